// Where a model comes from, in one place: a Hub repository's GGUF files (tree API) and a model's
// header (by HTTP Range, or the first bytes of a local file), read before anything is downloaded.
import { listGgufFiles } from '../js/hub.mjs';
import { readHeaderFromUrl, readHeaderFromBlob } from '../js/header.mjs';

// A source: {kind: 'hub', repo, file, revision, hubUrl} | {kind: 'file', file: File} | {kind: 'url', url}.

export function sourceLabel(source) {
    if (source.kind === 'file') return source.file.name;
    if (source.kind === 'url') return source.url;
    return `${source.repo}/${source.file}`;
}

/** What engine.load() takes for this source. */
export function engineSource(source) {
    if (source.kind === 'file') return source.file;
    if (source.kind === 'url') return source.url;
    return { repo: source.repo, file: source.file, revision: source.revision ?? 'main', hubUrl: source.hubUrl };
}

/** [{path, size}] of the repository's .gguf files. */
export async function listRepoFiles({ hubUrl, repo, revision = 'main', signal }) {
    const files = await listGgufFiles(repo, { hubUrl, revision, signal });
    return files.map((f) => ({ path: f.path, size: f.size ?? 0 }));
}

/**
 * The model's metadata and memory estimate from its header alone, plus `fits` and `refusal`
 * (why it cannot run or be stored here).
 */
export function readModelHeader(source, { signal } = {}) {
    if (source.kind === 'file') return readHeaderFromBlob(source.file, { signal });
    return readHeaderFromUrl(engineSource(source), { signal });
}
