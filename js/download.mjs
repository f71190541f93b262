// Downloads one remote file into a chunk store with HTTP Range requests: a few chunks in
// flight, each written to the store as soon as it has fully arrived, so an interrupted
// download (network error, reload, browser restart) resumes from the stored chunks and never
// from zero. A changed ETag or size discards the stale chunks. Transient failures (network
// errors, stalls, 5xx, a body shorter or longer than announced) are retried with exponential
// back-off; a server that ignores Range is read as one stream split into chunks. When the Hub
// gives the file's sha256, the bytes are hashed in order as they arrive and checked at the end.
import { DownloadError, StorageQuotaError, abortError, formatBytes } from './delivery-errors.mjs';
import {
    timedFetch, readExactly, checkRedirect, statusError, etagOf, parseContentRange, contentLengthOf,
    TransientError, FileChangedError, RangeIgnoredError, finalError,
} from './http.mjs';
import { probeFile } from './hub.mjs';
import { withRetries } from './retry.mjs';
import { ProgressMeter } from './progress.mjs';
import { Sha256 } from './sha256.mjs';
import { chunkCount, chunkLength, bytesOfChunks } from './store-common.mjs';

const MiB = 1024 * 1024;

export const DOWNLOAD_DEFAULTS = Object.freeze({
    chunkSize: 16 * MiB,
    concurrency: 3,
    timeoutMs: 30000, // a request that sends nothing for this long is cut and retried
    retries: 5, // per chunk, after the first attempt
    retryBaseMs: 1000,
    retryMaxMs: 30000,
    progressIntervalMs: 250,
    maxRestarts: 2, // times the file may change on the server during one download
});

function fileNameOf(url) {
    try {
        return decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
    } catch {
        return String(url);
    }
}

function hasEncoding(response) {
    const enc = response.headers.get('content-encoding');
    return Boolean(enc && enc !== 'identity');
}

/**
 * Hashes a file's chunks in index order while they arrive in any order. Chunks that arrive
 * ahead of the next one wait in memory (at most `window` of them; the rest are read back from
 * the store when their turn comes), as do chunks stored before a resume.
 */
class OrderedHasher {
    constructor(store, record, stored, window) {
        this.store = store;
        this.record = record;
        this.stored = stored;
        this.window = window;
        this.n = chunkCount(record);
        this.next = 0;
        this.pending = new Map();
        this.sha = new Sha256();
        this.chain = Promise.resolve();
        this.failure = null;
    }

    add(index, bytes) {
        if (index < this.next) return;
        this.pending.set(index, bytes);
        while (this.pending.size > this.window) {
            const farthest = Math.max(...this.pending.keys());
            if (farthest === this.next) break;
            this.pending.delete(farthest);
        }
        this.chain = this.chain.then(() => this.advance()).catch((err) => {
            this.failure ??= err;
        });
    }

    async advance() {
        while (this.next < this.n && !this.failure) {
            let bytes = this.pending.get(this.next);
            if (!bytes) {
                if (!this.stored.has(this.next)) return;
                bytes = await this.store.getChunk(this.record.id, this.next);
                if (!bytes) throw new Error(`chunk ${this.next} vanished from the store while being verified`);
            }
            this.pending.delete(this.next);
            this.sha.update(bytes);
            this.next++;
        }
    }

    async finish() {
        await this.chain;
        if (!this.failure) await this.advance();
        if (this.failure) throw this.failure;
        if (this.next < this.n) throw new Error(`could not hash chunk ${this.next}: not stored`);
        return this.sha.hexDigest();
    }
}

/**
 * Downloads url into store as file `id` (default: the URL), resuming from stored chunks.
 * Returns the file's record once every chunk is stored (and verified when sha256 is given).
 *
 * @param {object} options
 * @param {any} options.store a chunk store (IdbStore, MemoryStore)
 * @param {string} options.url
 * @param {string} [options.id]
 * @param {string | null} [options.sha256] expected sha256 (hex), e.g. the Hub's LFS oid
 * @param {object} [options.meta] extra record fields (name, modelId, repo, file, revision, hubUrl, shardIndex, shardCount)
 * @param {{size: number, etag: string | null}} [options.probed] size and ETag already probed (saves a request)
 * @param {AbortSignal} [options.signal]
 * @param {(p: object) => void} [options.onProgress] {phase, loaded, total, rate, eta, file, resumedFrom}
 * @param {ProgressMeter} [options.meter] a meter shared by several files (then onProgress is not used)
 * @param {typeof fetch} [options.fetch]
 * @param {string[]} [options.allowedOrigins] origins besides the URL's own that redirects may go to
 * @param {boolean} [options.revalidate] probe the server even when the file is complete
 * @param {number} [options.chunkSize] @param {number} [options.concurrency] @param {number} [options.timeoutMs]
 * @param {number} [options.retries] @param {number} [options.retryBaseMs] @param {number} [options.retryMaxMs]
 * @param {number} [options.progressIntervalMs]
 */
export async function downloadFile(options) {
    const o = { ...DOWNLOAD_DEFAULTS, ...options };
    const { store, url, signal } = o;
    if (!store || !url) throw new TypeError('downloadFile needs a store and a url');
    if (!(o.chunkSize >= 1) || !(o.concurrency >= 1)) throw new RangeError('chunkSize and concurrency must be at least 1');
    const id = o.id ?? url;
    const name = o.meta?.name ?? fileNameOf(url);
    const meter = o.meter ?? new ProgressMeter({ intervalMs: o.progressIntervalMs, onProgress: o.onProgress });
    const ownMeter = !o.meter;
    meter.file = name;
    if (signal?.aborted) throw abortError(signal);

    let record = await store.getFile(id);
    if (record?.complete && !o.revalidate) {
        record = (await store.updateFile(id, { lastUsed: Date.now() })) ?? record;
        if (ownMeter) meter.total = record.size;
        meter.addResumed(record.size);
        meter.report();
        return record;
    }

    let probed = o.probed ?? null;
    for (let round = 0; ; round++) {
        const info = probed ?? (await probeFile(url, {
            fetch: o.fetch, signal, timeoutMs: o.timeoutMs, retries: o.retries, retryBaseMs: o.retryBaseMs, allowedOrigins: o.allowedOrigins,
        }));
        probed = null;
        if (record && (record.size !== info.size || (record.etag ?? null) !== (info.etag ?? null))) {
            // The file changed on the server since these chunks were stored: they are stale.
            await store.deleteChunks(id);
            record = null;
        }
        if (record?.complete) {
            record = (await store.updateFile(id, { lastUsed: Date.now() })) ?? record;
            if (ownMeter) meter.total = record.size;
            meter.addResumed(record.size);
            meter.report();
            return record;
        }
        if (!record) {
            const now = Date.now();
            record = {
                shardIndex: 0,
                shardCount: 1,
                modelId: id,
                ...o.meta,
                id,
                url,
                name,
                etag: info.etag ?? null,
                size: info.size,
                chunkSize: o.chunkSize,
                complete: false,
                verified: false,
                sha256: o.sha256 ? String(o.sha256).toLowerCase() : null,
                createdAt: now,
                lastUsed: now,
            };
            await store.putFile(record);
        } else if (o.sha256 && !record.sha256) {
            record = (await store.updateFile(id, { sha256: String(o.sha256).toLowerCase() })) ?? record;
        }
        if (ownMeter) meter.total = record.size;
        const counted = { bytes: 0, resumed: 0 };
        try {
            return await fetchChunks(store, record, o, meter, counted);
        } catch (err) {
            if (err instanceof FileChangedError && round < o.maxRestarts && !signal?.aborted) {
                meter.retract(counted.bytes);
                meter.resumedFrom -= counted.resumed;
                await store.deleteChunks(id);
                record = null;
                continue;
            }
            throw finalError(err, url, signal);
        }
    }
}

/** Fetches every missing chunk of record into store; marks it complete (and verified). */
async function fetchChunks(store, record, o, meter, counted) {
    const id = record.id;
    const n = chunkCount(record);
    const present = new Set((await store.chunkIndices(id)).filter((i) => i < n));
    const resumed = bytesOfChunks(record, present);
    meter.addResumed(resumed);
    counted.bytes += resumed;
    counted.resumed += resumed;

    const remaining = record.size - resumed;
    const room = await store.estimate();
    if (remaining > room.available) {
        throw new StorageQuotaError(
            `${record.name} needs ${formatBytes(remaining)} more storage, but the browser's storage quota has only ` +
            `${formatBytes(room.available)} left (${formatBytes(room.usage)} used of ${formatBytes(room.quota)}). ` +
            'Delete cached models to make room.',
            { needed: remaining, available: room.available });
    }
    if (remaining > 0) store.persist?.().catch?.(() => {});
    meter.report();

    const hasher = record.sha256 ? new OrderedHasher(store, record, present, o.concurrency + 1) : null;
    const stored = async (index, bytes) => {
        await store.putChunk(id, index, bytes);
        present.add(index);
        hasher?.add(index, bytes);
    };

    // A chunk whose ETag differs from the file's: the file changed, unless a fresh probe still
    // gives the old ETag (then this server's ETags vary per answer and are not compared again).
    let etagsReliable = true;
    let reprobe = null; // one probe answers every chunk that saw a different ETag meanwhile
    const checkEtag = async (etag) => {
        if (!etagsReliable || !record.etag || !etag || etag === record.etag) return;
        reprobe ??= probeFile(record.url, {
            fetch: o.fetch, signal: o.signal, timeoutMs: o.timeoutMs, retries: o.retries, retryBaseMs: o.retryBaseMs, allowedOrigins: o.allowedOrigins,
        });
        const now = await reprobe;
        if (now.etag !== record.etag || now.size !== record.size) {
            throw new FileChangedError(`its ETag changed from ${record.etag} to ${now.etag}`);
        }
        etagsReliable = false;
    };

    const pool = new AbortController();
    const stopped = new DOMException('another chunk failed', 'AbortError');
    const onAbort = () => pool.abort(abortError(o.signal));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const queue = [];
    for (let i = 0; i < n; i++) if (!present.has(i)) queue.push(i);
    let failure = null;

    const fetchOne = async (index) => {
        const start = index * record.chunkSize;
        const length = chunkLength(record, index);
        const end = start + length - 1;
        const request = await timedFetch(record.url, { headers: { Range: `bytes=${start}-${end}` }, cache: 'no-store', redirect: 'follow' },
            { fetchImpl: o.fetch, idleMs: o.timeoutMs, signal: pool.signal });
        const res = request.response;
        let got = 0;
        try {
            checkRedirect(record.url, res, { allowedOrigins: o.allowedOrigins });
            if (res.status === 200) throw new RangeIgnoredError(res, request);
            if (res.status === 416) throw new FileChangedError(`HTTP 416 for bytes ${start}-${end}: the file is now shorter than ${record.size} bytes`);
            if (res.status !== 206) throw statusError(res, record.url);
            await checkEtag(etagOf(res));
            const range = parseContentRange(res.headers.get('content-range'));
            if (!range || range.start === null) throw new TransientError('BAD_RANGE', `a 206 answer without a valid Content-Range for bytes ${start}-${end}`);
            if (range.total !== null && range.total !== record.size) throw new FileChangedError(`its size changed from ${record.size} to ${range.total} bytes`);
            if (range.start !== start || range.end !== end) {
                throw new TransientError('BAD_RANGE', `asked for bytes ${start}-${end}, got ${range.start}-${range.end}`);
            }
            const announced = contentLengthOf(res);
            if (announced !== null && announced !== length && !hasEncoding(res)) {
                throw new TransientError('LENGTH_MISMATCH', `Content-Length ${announced} for a ${length}-byte range`);
            }
            const bytes = await readExactly(request, length, (k) => {
                got += k;
                meter.add(k);
            });
            return bytes;
        } catch (err) {
            meter.retract(got);
            if (!(err instanceof RangeIgnoredError)) await request.cancel();
            throw err;
        }
    };

    const worker = async () => {
        while (!failure) {
            const index = queue.shift();
            if (index === undefined) return;
            try {
                const bytes = await withRetries(() => fetchOne(index), {
                    retries: o.retries, baseMs: o.retryBaseMs, maxMs: o.retryMaxMs, signal: pool.signal,
                });
                await stored(index, bytes);
                counted.bytes += bytes.byteLength;
            } catch (err) {
                if (!failure) {
                    // A Range-ignoring answer is kept (it becomes the stream), the rest stops.
                    if (err instanceof RangeIgnoredError) err.request.setSignal(o.signal);
                    failure = err;
                    pool.abort(stopped);
                } else if (err instanceof RangeIgnoredError && err !== failure) {
                    await err.request.cancel();
                }
                return;
            }
        }
    };

    try {
        await Promise.all(Array.from({ length: Math.min(o.concurrency, Math.max(1, queue.length)) }, worker));
        if (failure instanceof RangeIgnoredError) {
            await streamWhole(record, o, meter, present, stored, failure.request, counted, checkEtag);
        } else if (failure) {
            throw failure;
        }
    } finally {
        o.signal?.removeEventListener('abort', onAbort);
    }

    // Every chunk must be there; then the size and, when known, the sha256 must match.
    const have = new Set(await store.chunkIndices(id));
    for (let i = 0; i < n; i++) {
        if (!have.has(i)) throw new DownloadError('INCOMPLETE', `chunk ${i} of ${record.name} is missing after the download`);
    }
    if (bytesOfChunks(record, have) !== record.size) {
        throw new DownloadError('SIZE_MISMATCH', `${record.name}: stored ${bytesOfChunks(record, have)} bytes, expected ${record.size}`);
    }
    let verified = false;
    if (hasher) {
        const digest = await hasher.finish();
        if (digest !== record.sha256) {
            await store.deleteChunks(id);
            throw new DownloadError('CHECKSUM_MISMATCH',
                `${record.name}: the downloaded bytes have sha256 ${digest}, the Hub says ${record.sha256}. The copy was discarded; try again.`,
                { url: record.url });
        }
        verified = true;
    }
    const done = await store.updateFile(id, { complete: true, verified, lastUsed: Date.now(), completedAt: Date.now() });
    if (!done) {
        // Deleted from the cache (another tab, the cache list) while it downloaded.
        await store.deleteChunks(id);
        throw new DownloadError('DELETED', `${record.name} was deleted from the model cache during its download`);
    }
    meter.report();
    return done;
}

/**
 * The server ignored Range: read the whole file as one stream, storing the chunks still missing
 * as they fill up (the bytes of stored ones are skipped). Retried like a chunk.
 */
async function streamWhole(record, o, meter, present, stored, firstRequest, counted, checkEtag) {
    const n = chunkCount(record);
    let first = firstRequest;
    await withRetries(async () => {
        let request = first;
        first = null;
        if (!request) {
            request = await timedFetch(record.url, { cache: 'no-store', redirect: 'follow' }, { fetchImpl: o.fetch, idleMs: o.timeoutMs, signal: o.signal });
        }
        const res = request.response;
        let partial = 0; // bytes of the chunk being filled, counted in the meter
        try {
            checkRedirect(record.url, res, { allowedOrigins: o.allowedOrigins });
            if (!res.ok) throw statusError(res, record.url);
            if (res.status !== 200) throw new TransientError('BAD_RANGE', `HTTP ${res.status} for the whole file`);
            await checkEtag(etagOf(res));
            const announced = contentLengthOf(res);
            if (announced !== null && announced !== record.size && !hasEncoding(res)) {
                throw new FileChangedError(`the server now sends ${announced} bytes instead of ${record.size}`);
            }
            let index = 0;
            let fill = 0;
            let buffer = null;
            const open = () => {
                buffer = index < n && !present.has(index) ? new Uint8Array(chunkLength(record, index)) : null;
            };
            open();
            for (;;) {
                const { done, value } = await request.read();
                if (done) break;
                let piece = value;
                while (piece.byteLength > 0) {
                    if (index >= n) throw new TransientError('LENGTH_MISMATCH', `the server sent more than ${record.size} bytes`);
                    const length = chunkLength(record, index);
                    const take = Math.min(piece.byteLength, length - fill);
                    if (buffer) {
                        buffer.set(piece.subarray(0, take), fill);
                        meter.add(take);
                        partial += take;
                    }
                    fill += take;
                    piece = piece.subarray(take);
                    if (fill === length) {
                        if (buffer && !present.has(index)) {
                            await stored(index, buffer);
                            counted.bytes += buffer.byteLength;
                        }
                        partial = 0;
                        index++;
                        fill = 0;
                        open();
                    }
                }
            }
            request.done();
            if (index < n) throw new TransientError('LENGTH_MISMATCH', `the answer ended at chunk ${index} of ${n}`);
        } catch (err) {
            meter.retract(partial);
            await request.cancel();
            throw err;
        }
    }, { retries: o.retries, baseMs: o.retryBaseMs, maxMs: o.retryMaxMs, signal: o.signal });
}
