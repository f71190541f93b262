// A model the user picked (File) or the page holds (Blob): read slice by slice, so only one
// chunk at a time is ever outside the engine's memory. Nothing is downloaded or cached.
import { readHeaderFromBlob } from '../../js/header.mjs';

export const BLOB_CHUNK_BYTES = 8 * 1024 * 1024;

export function blobSource(blob) {
    return {
        label: blob.name || 'model.gguf',
        shards: [{ size: blob.size }],
        inspect: ({ nCtx, estimate, signal }) => readHeaderFromBlob(blob, { nCtx, estimate, signal }),
        async fetch() {},
        async *chunks({ signal } = {}) {
            for (let at = 0; at < blob.size; at += BLOB_CHUNK_BYTES) {
                signal?.throwIfAborted();
                yield { shard: 0, chunk: new Uint8Array(await blob.slice(at, at + BLOB_CHUNK_BYTES).arrayBuffer()), owned: true };
            }
        },
    };
}
