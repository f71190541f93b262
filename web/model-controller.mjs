// Picking and loading a model: a Hub repository's files grouped by quantization, or a local
// .gguf file; its header metadata before download; the download with progress; the cached
// models. Every failure becomes a readable message and leaves the page usable.
import { el, byId, replaceChildren } from './dom.mjs';
import { formatBytes } from './format.mjs';
import { groupByQuant, pickDefaultFile } from './quant.mjs';
import { showError, clearError, describeError } from './errors.mjs';
import { showMetadata, showMetadataMessage } from './model-meta-view.mjs';
import { showCachedModels } from './cache-list-view.mjs';
import { createDownloadView } from './download-view.mjs';
import { setHubUrl } from './config.mjs';
import { listRepoFiles, readModelHeader, engineSource, sourceLabel } from './model-source.mjs';
import { listCachedModels, deleteCachedModel, cacheUsage } from '../js/index.mjs';

const LAST_MODEL_KEY = 'hearth.lastModel';

/** A cache entry (listCachedModels) → what the list shows and the source that loads it again. */
function cacheItem(entry) {
    let source = null;
    if (entry.repo && entry.file) {
        source = { kind: 'hub', repo: entry.repo, file: entry.file, revision: entry.revision ?? 'main', hubUrl: entry.hubUrl };
    } else if (entry.url) {
        source = { kind: 'url', url: entry.url };
    }
    return {
        id: entry.id,
        label: source ? sourceLabel(source) : String(entry.name ?? entry.id),
        size: entry.size,
        complete: entry.complete !== false,
        lastUsed: entry.lastUsed,
        source,
    };
}

export function createModelController({ config, engineHost, onLoaded, onUnloaded }) {
    const repoInput = byId('repo-input');
    const filePicker = byId('file-picker');
    const fileSelect = byId('file-select');
    const loadButton = byId('load-button');
    const localFile = byId('local-file');
    let hubUrl = config.hubUrl;
    let repoFiles = []; // [{path, size}] of the listed repository
    let listedRepo = null;
    let selected = null; // the source the Load button would load
    let loading = null; // AbortController of the download in progress
    let headerRequest = null;
    let current = null; // {source, label} of the loaded model
    const download = createDownloadView({ onCancel: () => loading?.abort() });

    byId('hub-input').value = hubUrl;

    function select(source, size) {
        selected = source;
        loadButton.disabled = !source || Boolean(loading);
        loadButton.textContent = source?.kind === 'file' ? 'Load this file' : 'Download and load';
        if (source) showHeader(source, size);
    }

    async function showHeader(source, size) {
        headerRequest?.abort();
        const request = (headerRequest = new AbortController());
        showMetadataMessage(`Reading the header of ${sourceLabel(source)}…`);
        try {
            const info = await readModelHeader(source, { signal: request.signal });
            if (request.signal.aborted) return;
            showMetadata(info, {
                fileSize: size ?? info?.downloadBytes ?? source.file?.size,
                note: info?.fits === false ? `Too large for this browser: ${info.refusal}` : null,
            });
        } catch (error) {
            if (request.signal.aborted) return;
            showMetadataMessage(`Could not read the model's header: ${describeError(error)}`);
        }
    }

    async function listRepo(repo, { preferredFile, revision = 'main' } = {}) {
        clearError();
        repoInput.value = repo;
        filePicker.hidden = true;
        showMetadataMessage(`Listing the GGUF files of ${repo}…`);
        select(null);
        try {
            repoFiles = await listRepoFiles({ hubUrl, repo, revision });
        } catch (error) {
            showMetadataMessage(`Could not list ${repo} on ${hubUrl}: ${describeError(error)}`);
            return false;
        }
        listedRepo = { repo, revision };
        const groups = groupByQuant(repoFiles);
        if (groups.length === 0) {
            showMetadataMessage(`${repo} has no .gguf file.`);
            return false;
        }
        replaceChildren(fileSelect, groups.map((group) => el('optgroup', { label: group.quant },
            group.files.map((file) => el('option', { value: file.path },
                `${formatBytes(file.size)} · ${file.path}${file.shards > 1 ? ` (${file.shards} parts)` : ''}`)))));
        const count = groups.reduce((n, g) => n + g.files.length, 0);
        byId('file-count').textContent = `(${count} in ${groups.length} quantization types)`;
        filePicker.hidden = false;
        const wanted = preferredFile && repoFiles.some((f) => f.path === preferredFile) ? preferredFile : pickDefaultFile(repoFiles);
        if (preferredFile && wanted !== preferredFile) {
            showError(new Error(`${repo} has no file named ${preferredFile}; showing ${wanted} instead.`));
        }
        fileSelect.value = wanted;
        selectListedFile();
        return true;
    }

    function selectListedFile() {
        const file = repoFiles.find((f) => f.path === fileSelect.value);
        if (!file || !listedRepo) return;
        select({ kind: 'hub', hubUrl, repo: listedRepo.repo, revision: listedRepo.revision, file: file.path }, file.size);
    }

    async function load(source) {
        if (loading) return false;
        clearError();
        const label = sourceLabel(source);
        loading = new AbortController();
        loadButton.disabled = true;
        download.start(label);
        byId('model-status').textContent = `Loading ${label}…`;
        // The engine drops its current model as a load begins: no chat until this one is in.
        current = null;
        onUnloaded();
        try {
            const engine = await engineHost.get();
            await engine.load(engineSource(source), {
                signal: loading.signal,
                onProgress: (progress) => download.update(progress),
            });
            const info = await engine.info();
            current = { source, label };
            if (source.kind === 'hub') {
                localStorage.setItem(LAST_MODEL_KEY, JSON.stringify(source));
            }
            showMetadata(info, { fileSize: source.file?.size });
            onLoaded({ label, info });
            return true;
        } catch (error) {
            byId('model-status').textContent = 'No model loaded';
            if (loading.signal.aborted) showError(new Error(`Download of ${label} cancelled; press Load again to resume it.`));
            else showError(error, `Could not load ${label}`);
            return false;
        } finally {
            loading = null;
            download.finish();
            loadButton.disabled = !selected;
            await refreshCache();
        }
    }

    async function refreshCache() {
        try {
            const items = (await listCachedModels()).map(cacheItem);
            showCachedModels(items, await cacheUsage().catch(() => null), {
                currentId: items.find((i) => current && i.label === current.label)?.id,
                onLoad: (item) => (item.source ? load(item.source) : showError(new Error(`Cannot tell where ${item.label} came from; load it again from the Hub.`))),
                onDelete: async (item) => {
                    try {
                        await deleteCachedModel(item.id);
                    } catch (error) {
                        showError(error, `Could not delete ${item.label}`);
                    }
                    await refreshCache();
                },
            });
            return items;
        } catch (error) {
            showError(error, 'Could not read the model cache');
            return [];
        }
    }

    byId('repo-form').addEventListener('submit', (event) => {
        event.preventDefault();
        const repo = repoInput.value.trim();
        if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) {
            showMetadataMessage('A Hub repository looks like owner/name.');
            return;
        }
        listRepo(repo);
    });
    fileSelect.addEventListener('change', selectListedFile);
    localFile.addEventListener('change', () => {
        const file = localFile.files?.[0];
        if (file) select({ kind: 'file', file });
    });
    loadButton.addEventListener('click', () => selected && load(selected));
    byId('hub-form').addEventListener('submit', (event) => {
        event.preventDefault();
        try {
            hubUrl = setHubUrl(byId('hub-input').value);
            byId('hub-input').value = hubUrl;
            if (repoInput.value.trim()) listRepo(repoInput.value.trim());
        } catch (error) {
            showError(error);
        }
    });

    return {
        listRepo,
        load,
        refreshCache,
        current: () => current,
        /** The model to load at start: the last one used, when it is still cached. */
        lastCachedSource(items) {
            try {
                const last = JSON.parse(localStorage.getItem(LAST_MODEL_KEY) ?? 'null');
                if (last && items.some((i) => i.complete && i.label === `${last.repo}/${last.file}`)) return last;
            } catch { /* a damaged entry just means no automatic load */ }
            return null;
        },
    };
}
