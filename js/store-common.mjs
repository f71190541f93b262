// What every chunk store shares (the IndexedDB one and the in-memory one): the record shapes,
// chunk arithmetic, reading a file back in order, and grouping file records into models.
//
// A file record: {id, modelId, url, name, etag, size, chunkSize, complete, verified, sha256,
//   lastUsed, createdAt, shardIndex, shardCount, repo?, file?, revision?, hubUrl?}
// Chunk i of a file holds bytes [i * chunkSize, min(size, (i + 1) * chunkSize)).
import { abortError } from './delivery-errors.mjs';

/** @typedef {{id: string, modelId: string, url: string, name: string, etag: string | null, size: number,
 *   chunkSize: number, complete: boolean, verified: boolean, sha256: string | null, lastUsed: number,
 *   createdAt: number, shardIndex: number, shardCount: number, repo?: string, file?: string,
 *   revision?: string, hubUrl?: string}} FileRecord */

export function chunkCount(record) {
    return record.size === 0 ? 0 : Math.ceil(record.size / record.chunkSize);
}

export function chunkLength(record, index) {
    return Math.min(record.chunkSize, record.size - index * record.chunkSize);
}

/** Bytes held by the chunks with these indices. */
export function bytesOfChunks(record, indices) {
    let n = 0;
    for (const i of indices) if (i >= 0 && i < chunkCount(record)) n += chunkLength(record, i);
    return n;
}

/** A Uint8Array over exactly the given bytes (no copy when possible). */
export function toBytes(data) {
    if (data instanceof Uint8Array) return data;
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    throw new TypeError('chunk data must be an ArrayBuffer or a typed array');
}

/** An ArrayBuffer holding exactly these bytes (copied only when the view is part of a larger buffer). */
export function toExactBuffer(data) {
    const bytes = toBytes(data);
    if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
        return bytes.buffer;
    }
    return bytes.slice().buffer;
}

/**
 * The file's chunks in order, one at a time (the next one read ahead while the caller uses the
 * current one), each checked for its expected length. Throws when a chunk is missing.
 * @param {{getFile(id: string): Promise<FileRecord | undefined>, getChunk(id: string, i: number): Promise<Uint8Array | undefined>}} store
 */
export async function* readChunksOf(store, fileId, { signal } = {}) {
    const record = await store.getFile(fileId);
    if (!record) throw new Error(`the model cache has no file ${fileId}`);
    const n = chunkCount(record);
    let next = n > 0 ? store.getChunk(fileId, 0) : null;
    for (let i = 0; i < n; i++) {
        if (signal?.aborted) {
            next?.catch(() => {});
            throw abortError(signal);
        }
        const chunk = await next;
        next = i + 1 < n ? store.getChunk(fileId, i + 1) : null;
        if (!chunk) {
            next?.catch(() => {});
            throw new Error(`the model cache lost chunk ${i} of ${record.name ?? fileId}; download the model again`);
        }
        if (chunk.byteLength !== chunkLength(record, i)) {
            next?.catch(() => {});
            throw new Error(`chunk ${i} of ${record.name ?? fileId} has ${chunk.byteLength} bytes, expected ${chunkLength(record, i)}`);
        }
        yield chunk;
    }
}

/** File records → models (a split model's shards together), newest use first. */
export function groupModels(records) {
    const byModel = new Map();
    for (const r of records) {
        const key = r.modelId ?? r.id;
        if (!byModel.has(key)) byModel.set(key, []);
        byModel.get(key).push(r);
    }
    const models = [];
    for (const [id, files] of byModel) {
        files.sort((a, b) => (a.shardIndex ?? 0) - (b.shardIndex ?? 0));
        const first = files[0];
        const shardCount = first.shardCount ?? 1;
        models.push({
            id,
            name: first.name,
            url: first.url,
            repo: first.repo,
            file: first.file,
            revision: first.revision,
            hubUrl: first.hubUrl,
            size: files.reduce((n, f) => n + (f.size ?? 0), 0),
            complete: files.length === shardCount && files.every((f) => f.complete),
            verified: files.length === shardCount && files.every((f) => f.verified),
            lastUsed: Math.max(...files.map((f) => f.lastUsed ?? 0)),
            shards: shardCount,
            files: files.map((f) => ({ id: f.id, name: f.name, size: f.size, complete: f.complete, verified: f.verified })),
        });
    }
    return models.sort((a, b) => b.lastUsed - a.lastUsed);
}
