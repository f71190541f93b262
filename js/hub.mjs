// Where a model's bytes come from: a Hugging Face Hub reference ({repo, file, revision, hubUrl}
// → `${hubUrl}/${repo}/resolve/${revision}/${file}`), a plain URL, or a File/Blob; the size and
// identity (ETag) of a remote file from a one-byte Range request; the shards of a split GGUF
// (name-00001-of-00003.gguf → all three); and a repository's files from the Hub's tree API.
import { DownloadError, abortError } from './delivery-errors.mjs';
import { timedFetch, checkRedirect, statusError, etagOf, totalSizeOf, contentLengthOf, parseContentRange, finalError } from './http.mjs';
import { withRetries } from './retry.mjs';

export const DEFAULT_HUB = 'https://huggingface.co';
export const SHARD_PATTERN = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;
const MAX_TREE_PAGES = 100;
const MAX_SHARDS = 9999;

function encodePath(path) {
    return path.split('/').map(encodeURIComponent).join('/');
}

function cleanBase(hubUrl) {
    return String(hubUrl ?? DEFAULT_HUB).replace(/\/+$/, '');
}

/** `${hubUrl}/${repo}/resolve/${revision}/${file}`, each part URL-encoded. */
export function hubFileUrl({ repo, file, revision = 'main', hubUrl = DEFAULT_HUB }) {
    if (typeof repo !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(repo)) throw new TypeError(`repo must look like owner/name, got ${repo}`);
    if (typeof file !== 'string' || !file || file.startsWith('/')) throw new TypeError(`file must be a path inside the repository, got ${file}`);
    return `${cleanBase(hubUrl)}/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/${encodePath(file)}`;
}

function lastSegment(url) {
    try {
        return decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
    } catch {
        return String(url);
    }
}

/**
 * @typedef {{kind: 'url', url: string, name: string, hub: null | {repo: string, file: string, revision: string, hubUrl: string}}} UrlSource
 * @typedef {{kind: 'blob', blob: Blob, name: string}} BlobSource
 */

/**
 * What a model source refers to.
 * @param {{repo: string, file: string, revision?: string, hubUrl?: string} | string | URL | Blob} source
 * @returns {UrlSource | BlobSource}
 */
export function resolveSource(source) {
    if (typeof Blob !== 'undefined' && source instanceof Blob) {
        return { kind: 'blob', blob: source, name: source.name || 'model.gguf' };
    }
    if (source instanceof URL) source = source.href;
    if (typeof source === 'string') {
        let url;
        try {
            url = new URL(source);
        } catch {
            throw new TypeError(`not a URL: ${source}`);
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`only http(s) URLs can be downloaded, got ${source}`);
        return { kind: 'url', url: url.href, name: lastSegment(url.href), hub: null };
    }
    if (source && typeof source === 'object' && typeof source.repo === 'string' && typeof source.file === 'string') {
        const hub = { repo: source.repo, file: source.file, revision: source.revision ?? 'main', hubUrl: cleanBase(source.hubUrl) };
        return { kind: 'url', url: hubFileUrl(hub), name: source.file.split('/').pop(), hub };
    }
    throw new TypeError('a model source is {repo, file, revision?, hubUrl?}, a URL or a File/Blob');
}

/** The shard names of a split GGUF (name-00001-of-00003.gguf → three names), or [name]. */
export function shardNames(name) {
    const m = SHARD_PATTERN.exec(name);
    if (!m) return [name];
    const count = Number(m[3]);
    if (count < 1 || count > MAX_SHARDS) throw new TypeError(`${name}: a split GGUF has 1 to ${MAX_SHARDS} parts`);
    return Array.from({ length: count }, (_, i) => `${m[1]}-${String(i + 1).padStart(5, '0')}-of-${m[3]}.gguf`);
}

/**
 * Every shard of a resolved URL source, in order. Any shard may be given: all are returned.
 * @param {UrlSource} resolved
 * @returns {Array<UrlSource & {shardIndex: number, shardCount: number}>}
 */
export function expandShards(resolved) {
    if (resolved.kind !== 'url') throw new TypeError('only URL sources have shards');
    if (resolved.hub) {
        const dir = resolved.hub.file.includes('/') ? resolved.hub.file.slice(0, resolved.hub.file.lastIndexOf('/') + 1) : '';
        const names = shardNames(resolved.hub.file.slice(dir.length));
        return names.map((name, i) => ({
            ...resolveSource({ ...resolved.hub, file: dir + name }),
            shardIndex: i,
            shardCount: names.length,
        }));
    }
    const url = new URL(resolved.url);
    const names = shardNames(lastSegment(resolved.url));
    const dir = url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1);
    return names.map((name, i) => {
        const shard = new URL(url.href);
        shard.pathname = dir + encodeURIComponent(name);
        return { kind: 'url', url: names.length === 1 ? resolved.url : shard.href, name, hub: null, shardIndex: i, shardCount: names.length };
    });
}

/**
 * Size and identity of a remote file from `Range: bytes=0-0` (X-Linked-Size or the Content-Range
 * total; X-Linked-Etag or ETag). Follows redirects only to allowed origins (see redirectAllowed).
 * @returns {Promise<{size: number, etag: string | null, finalUrl: string, acceptsRanges: boolean}>}
 */
export async function probeFile(url, options = {}) {
    try {
        return await probeOnce(url, options);
    } catch (err) {
        throw finalError(err, url, options.signal);
    }
}

async function probeOnce(url, { fetch: fetchImpl = globalThis.fetch, signal, timeoutMs = 30000, retries = 3, retryBaseMs = 1000, allowedOrigins } = {}) {
    return withRetries(async () => {
        const request = await timedFetch(url, { headers: { Range: 'bytes=0-0' }, cache: 'no-store', redirect: 'follow' },
            { fetchImpl, idleMs: timeoutMs, signal });
        const res = request.response;
        try {
            checkRedirect(url, res, { allowedOrigins });
            if (res.status === 416) {
                const total = parseContentRange(res.headers.get('content-range'))?.total;
                if (total === 0) return { size: 0, etag: etagOf(res), finalUrl: res.url || url, acceptsRanges: true };
            }
            if (!res.ok) throw statusError(res, url);
            let size = totalSizeOf(res);
            if (res.status === 200) size ??= contentLengthOf(res);
            if (size === null || size === undefined) {
                throw new DownloadError('NO_SIZE', `${url}: the server says neither Content-Range nor X-Linked-Size nor Content-Length, so the file size is unknown`, { url });
            }
            return { size, etag: etagOf(res), finalUrl: res.url || url, acceptsRanges: res.status === 206 };
        } finally {
            await request.cancel();
        }
    }, { retries, baseMs: retryBaseMs, signal });
}

async function fetchJson(url, { fetch: fetchImpl = globalThis.fetch, signal, timeoutMs = 30000, retries = 2, retryBaseMs = 1000 }) {
    try {
        return await withRetries(async () => {
            const request = await timedFetch(url, { headers: { Accept: 'application/json' } }, { fetchImpl, idleMs: timeoutMs, signal });
            const res = request.response;
            try {
                if (!res.ok) throw statusError(res, url);
                return { body: await res.json(), link: res.headers.get('link') };
            } finally {
                request.done();
            }
        }, { retries, baseMs: retryBaseMs, signal });
    } catch (err) {
        throw finalError(err, url, signal);
    }
}

function nextLink(link) {
    if (!link) return null;
    for (const part of link.split(',')) {
        const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
        if (m) return m[1];
    }
    return null;
}

/**
 * A repository's files from the Hub's tree API (every page):
 * [{type, path, size, oid, lfs?: {oid (sha256), size}}].
 */
export async function listRepoTree(repo, { hubUrl = DEFAULT_HUB, revision = 'main', path = '', recursive = true, signal, fetch, timeoutMs, retries, retryBaseMs } = {}) {
    const base = `${cleanBase(hubUrl)}/api/models/${encodePath(repo)}/tree/${encodeURIComponent(revision)}${path ? `/${encodePath(path)}` : ''}`;
    let url = recursive ? `${base}?recursive=true` : base;
    const out = [];
    for (let page = 0; url; page++) {
        if (page >= MAX_TREE_PAGES) throw new Error(`${repo}: the file list goes on past ${MAX_TREE_PAGES} pages`);
        if (signal?.aborted) throw abortError(signal);
        const { body, link } = await fetchJson(url, { fetch, signal, timeoutMs, retries, retryBaseMs });
        if (!Array.isArray(body)) throw new Error(`${repo}: the Hub's tree API did not answer a list`);
        out.push(...body);
        const next = nextLink(link);
        url = next ? new URL(next, url).href : null;
    }
    return out;
}

/** The repository's .gguf files: [{path, size, sha256, shard: {index, count} | null}]. */
export async function listGgufFiles(repo, options = {}) {
    const tree = await listRepoTree(repo, options);
    return tree
        .filter((e) => e.type === 'file' && /\.gguf$/i.test(e.path))
        .map((e) => {
            const m = SHARD_PATTERN.exec(e.path.split('/').pop());
            return {
                path: e.path,
                size: e.lfs?.size ?? e.size,
                sha256: e.lfs?.oid ?? null,
                lfs: e.lfs ?? null,
                shard: m ? { index: Number(m[2]) - 1, count: Number(m[3]) } : null,
            };
        })
        .sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * sha256 (the LFS oid) of each of these files of one repository folder, from the tree API:
 * Map path → hex. Files the Hub keeps outside LFS have none.
 */
export async function lfsHashes({ repo, revision = 'main', hubUrl = DEFAULT_HUB }, paths, { signal, fetch, timeoutMs, retries, retryBaseMs } = {}) {
    const dirs = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '')));
    const out = new Map();
    for (const dir of dirs) {
        const tree = await listRepoTree(repo, { hubUrl, revision, path: dir, recursive: false, signal, fetch, timeoutMs, retries, retryBaseMs });
        for (const e of tree) if (e.type === 'file' && e.lfs?.oid && paths.includes(e.path)) out.set(e.path, e.lfs.oid);
    }
    return out;
}
