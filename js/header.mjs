// A model's metadata and memory estimate before it is downloaded: the GGUF header is fetched
// with growing Range requests (1 MiB first, then as much as the engine's estimate says it needs,
// at least double) and handed to EngineCore.estimate. A split model's shard headers are all
// read and merged into one (js/gguf-header.mjs), since the first shard lacks the others' tensors. The result says whether the model fits
// the 4 GiB WebAssembly memory and the storage quota, naming both numbers when it does not, so
// the page can refuse it before a byte of the body is downloaded.
import { DownloadError, abortError } from './delivery-errors.mjs';
import { timedFetch, checkRedirect, statusError, etagOf, parseContentRange, TransientError, finalError } from './http.mjs';
import { withRetries } from './retry.mjs';
import { shardNames, expandShards, resolveSource, probeFile } from './hub.mjs';
import { parseGgufHeader, mergeShardHeaders } from './gguf-header.mjs';
import { checkModelFits, WASM_MEMORY_LIMIT } from '../worker/fits.mjs';

export const FIRST_HEADER_BYTES = 1024 * 1024;
const MAX_ROUNDS = 16;

/** EngineCore.estimate, loaded on first use (the wasm engine is only fetched when needed). */
async function defaultEstimate(header, fileSize, nCtx) {
    const { EngineCore } = await import('./core.mjs');
    return EngineCore.estimate(header, fileSize, nCtx);
}

function concat(a, b) {
    if (a.byteLength === 0) return b;
    const out = new Uint8Array(a.byteLength + b.byteLength);
    out.set(a, 0);
    out.set(b, a.byteLength);
    return out;
}

/**
 * Grows the header until the estimate no longer asks for more bytes.
 * @param {(start: number, end: number) => Promise<Uint8Array>} readRange bytes [start, end) of the file
 * @param {number} size the file's size
 * @returns {Promise<{estimate: object, headerBytes: number}>}
 */
export async function readHeaderWith(readRange, size, { estimate = defaultEstimate, nCtx = 0, firstBytes = FIRST_HEADER_BYTES, signal, label = 'the model' } = {}) {
    let header = new Uint8Array(0);
    let want = Math.min(firstBytes, size);
    for (let round = 0; round < MAX_ROUNDS; round++) {
        if (signal?.aborted) throw abortError(signal);
        if (want > header.byteLength) {
            const more = await readRange(header.byteLength, want);
            if (more.byteLength !== want - header.byteLength) {
                throw new DownloadError('SHORT_READ', `${label}: asked for bytes ${header.byteLength}-${want - 1}, got ${more.byteLength} bytes`);
            }
            header = concat(header, more);
        }
        const result = await estimate(header, size, nCtx);
        if (!result || typeof result !== 'object') throw new DownloadError('BAD_HEADER', `${label}: the engine could not read the header`);
        if (result.error) throw new DownloadError('BAD_HEADER', `${label}: ${result.error}`);
        if (result.need_bytes !== undefined && !result.memory) {
            const need = Number(result.need_bytes);
            if (!Number.isFinite(need) || need <= header.byteLength || need > size || header.byteLength >= size) {
                throw new DownloadError('BAD_HEADER', `${label}: the GGUF header claims ${need} bytes, the file has ${size} (read ${header.byteLength})`);
            }
            want = Math.min(size, Math.max(need, header.byteLength * 2));
            continue;
        }
        return { estimate: result, headerBytes: header.byteLength };
    }
    throw new DownloadError('BAD_HEADER', `${label}: the GGUF header keeps growing past ${header.byteLength} bytes`);
}

/** One shard's header bytes, grown (doubling) until they parse. */
async function shardHeader({ readRange, size, label }, { firstBytes = FIRST_HEADER_BYTES, signal }) {
    let header = new Uint8Array(0);
    let want = Math.min(firstBytes, size);
    for (let round = 0; round < 2 * MAX_ROUNDS; round++) {
        if (signal?.aborted) throw abortError(signal);
        if (want > header.byteLength) header = concat(header, await readRange(header.byteLength, want));
        let parsed;
        try {
            parsed = parseGgufHeader(header);
        } catch (err) {
            throw new DownloadError('BAD_HEADER', `${label}: ${err.message}`);
        }
        if (parsed.status === 'ok') return { parsed, bytes: header.byteLength };
        if (header.byteLength >= size) throw new DownloadError('BAD_HEADER', `${label}: the file ends inside its GGUF header`);
        want = Math.min(size, header.byteLength * 2);
    }
    throw new DownloadError('BAD_HEADER', `${label}: the GGUF header keeps growing past ${header.byteLength} bytes`);
}

/**
 * The estimate of a model from its shards' headers: one shard as readHeaderWith does; several
 * merged into the header of one equivalent file first.
 * @param {Array<{readRange: (start: number, end: number) => Promise<Uint8Array>, size: number, label?: string}>} shards
 * @returns {Promise<{estimate: object, headerBytes: number}>}
 */
export async function readModelHeader(shards, { estimate = defaultEstimate, nCtx = 0, firstBytes, signal, label = 'the model' } = {}) {
    if (shards.length === 1) {
        return readHeaderWith(shards[0].readRange, shards[0].size, { estimate, nCtx, firstBytes, signal, label: shards[0].label ?? label });
    }
    const parsed = [];
    let headerBytes = 0;
    for (let i = 0; i < shards.length; i++) {
        const { parsed: p, bytes } = await shardHeader({ label: `${label} (part ${i + 1} of ${shards.length})`, ...shards[i] }, { firstBytes, signal });
        parsed.push(p);
        headerBytes += bytes;
    }
    const merged = mergeShardHeaders(parsed, shards.map((s) => s.size));
    const result = await estimate(merged.header, merged.size, nCtx);
    if (!result || typeof result !== 'object') throw new DownloadError('BAD_HEADER', `${label}: the engine could not read the header`);
    if (result.error) throw new DownloadError('BAD_HEADER', `${label}: ${result.error}`);
    if (!result.memory) throw new DownloadError('BAD_HEADER', `${label}: the merged header of its ${shards.length} parts is incomplete`);
    return { estimate: { ...result, shards: shards.length, file_bytes: shards.reduce((n, s) => n + s.size, 0) }, headerBytes };
}

/**
 * Bytes [start, end) of a URL with one Range request (retried when transient). A server that
 * ignores Range is read up to `end` and cut. Also reports the file's total size and ETag.
 */
export async function fetchRange(url, start, end, options = {}) {
    try {
        return await fetchRangeOnce(url, start, end, options);
    } catch (err) {
        throw finalError(err, url, options.signal);
    }
}

async function fetchRangeOnce(url, start, end, { fetch: fetchImpl, signal, timeoutMs = 30000, retries = 3, retryBaseMs = 1000, allowedOrigins } = {}) {
    return withRetries(async () => {
        const request = await timedFetch(url, { headers: { Range: `bytes=${start}-${end - 1}` }, cache: 'no-store', redirect: 'follow' },
            { fetchImpl, idleMs: timeoutMs, signal });
        const res = request.response;
        try {
            checkRedirect(url, res, { allowedOrigins });
            if (!res.ok) throw statusError(res, url);
            let skip = 0;
            let total = null;
            if (res.status === 206) {
                const range = parseContentRange(res.headers.get('content-range'));
                if (!range || range.start !== start) throw new TransientError('BAD_RANGE', `asked for bytes from ${start}, got ${res.headers.get('content-range')}`);
                total = range.total;
            } else {
                skip = start; // the whole file: skip to start
                const length = Number(res.headers.get('content-length'));
                if (Number.isSafeInteger(length) && !res.headers.get('content-encoding')) total = length;
            }
            const out = new Uint8Array(end - start);
            let got = 0;
            while (got < out.byteLength) {
                const { done, value } = await request.read();
                if (done) break;
                let piece = value;
                if (skip > 0) {
                    const s = Math.min(skip, piece.byteLength);
                    skip -= s;
                    piece = piece.subarray(s);
                }
                const take = Math.min(piece.byteLength, out.byteLength - got);
                out.set(piece.subarray(0, take), got);
                got += take;
            }
            return { bytes: out.subarray(0, got), total, etag: etagOf(res) };
        } finally {
            await request.cancel();
        }
    }, { retries, baseMs: retryBaseMs, signal });
}

/**
 * Whether a model of this estimate can run and be stored here.
 * @returns {{fits: boolean, problems: Array<{code: string, message: string}>}}
 */
export function fitsCheck({ memoryBytes, memoryLimit = WASM_MEMORY_LIMIT, downloadBytes = 0, storageAvailable }) {
    const problems = [];
    for (const check of [{ memoryBytes, memoryLimit }, { downloadBytes, storageAvailable }]) {
        try {
            checkModelFits(check);
        } catch (err) {
            problems.push({ code: err.code, message: err.message });
        }
    }
    return { fits: problems.length === 0, problems };
}

async function storageRoom(store) {
    if (store?.estimate) return (await store.estimate()).available;
    const storage = globalThis.navigator?.storage;
    if (!storage?.estimate) return undefined;
    const { quota, usage = 0 } = await storage.estimate();
    return Number.isFinite(quota) ? Math.max(0, quota - usage) : undefined;
}

function result(estimate, extra, { memoryLimit, downloadBytes, storageAvailable }) {
    const check = fitsCheck({ memoryBytes: estimate?.memory?.total, memoryLimit, downloadBytes, storageAvailable });
    return {
        ...estimate,
        ...extra,
        downloadBytes,
        storageAvailable,
        memoryLimit: memoryLimit ?? WASM_MEMORY_LIMIT,
        fits: check.fits,
        problems: check.problems,
        refusal: check.problems.length ? check.problems.map((p) => p.message).join('; ') : null,
    };
}

/** A shard at a URL as readModelHeader wants it: its size, and its bytes through Range requests. */
async function urlShard(url, name, net, firstBytes) {
    // The first read also tells the size; a file shorter than firstBytes comes back whole.
    const first = await fetchRange(url, 0, firstBytes, net);
    const size = first.total ?? (await probeFile(url, net)).size;
    const initial = first.bytes.subarray(0, Math.min(first.bytes.byteLength, size));
    const readRange = async (start, end) => {
        if (end <= initial.byteLength) return initial.subarray(start, end);
        const from = Math.max(start, initial.byteLength);
        const head = start < initial.byteLength ? initial.subarray(start) : new Uint8Array(0);
        const { bytes } = await fetchRange(url, from, end, net);
        return concat(head, bytes);
    };
    return { url, label: name, size, etag: first.etag, readRange };
}

/**
 * The header and estimate of a remote model (a URL or {repo, file, revision, hubUrl}; a split
 * model from any of its shards): the engine's estimate fields (architecture, name, parameters,
 * type, memory {total, ...}, ...) plus url and fileSize (of the first shard), shardSizes,
 * totalSize, headerBytes, etag, downloadBytes,
 * storageAvailable, fits, problems and refusal (a message naming the numbers, or null).
 * @param {any} source
 * @param {{signal?: AbortSignal, nCtx?: number, estimate?: Function, fetch?: typeof fetch, store?: any,
 *   memoryLimit?: number, firstBytes?: number, timeoutMs?: number, retries?: number, retryBaseMs?: number}} [options]
 */
export async function readHeaderFromUrl(source, options = {}) {
    const resolved = resolveSource(source);
    if (resolved.kind !== 'url') return readHeaderFromBlob(resolved.blob, options);
    const net = { fetch: options.fetch, signal: options.signal, timeoutMs: options.timeoutMs, retries: options.retries, retryBaseMs: options.retryBaseMs, allowedOrigins: options.allowedOrigins };
    const firstBytes = options.firstBytes ?? FIRST_HEADER_BYTES;
    const shards = [];
    for (const shard of expandShards(resolved)) shards.push(await urlShard(shard.url, shard.name, net, firstBytes));
    const { estimate, headerBytes } = await readModelHeader(shards, {
        estimate: options.estimate, nCtx: options.nCtx, firstBytes, signal: options.signal, label: shards[0].label,
    });
    const size = shards.reduce((n, s) => n + s.size, 0);
    return result(estimate, {
        url: shards[0].url, name: estimate?.name ?? resolved.name, fileName: shards[0].label, fileSize: shards[0].size, headerBytes,
        etag: shards[0].etag, shards: shards.length, shardSizes: shards.map((x) => x.size), totalSize: size,
    }, { memoryLimit: options.memoryLimit, downloadBytes: size, storageAvailable: await storageRoom(options.store) });
}

/** The same for a File/Blob the user picked (nothing to download, so no storage check). */
export async function readHeaderFromBlob(blob, options = {}) {
    const readRange = async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer());
    const name = blob.name || 'model.gguf';
    const { estimate, headerBytes } = await readHeaderWith(readRange, blob.size, {
        estimate: options.estimate, nCtx: options.nCtx, firstBytes: options.firstBytes, signal: options.signal, label: name,
    });
    return result(estimate, { name: estimate?.name ?? name, fileName: name, fileSize: blob.size, headerBytes, shards: shardNames(name).length },
        { memoryLimit: options.memoryLimit, downloadBytes: 0, storageAvailable: undefined });
}

/** Throws the refusal (code MEMORY_LIMIT or STORAGE_QUOTA) of a header result that does not fit. */
export function refuseIfTooLarge(info) {
    checkModelFits({ memoryBytes: info.memory?.total, memoryLimit: info.memoryLimit, downloadBytes: info.downloadBytes, storageAvailable: info.storageAvailable });
}
