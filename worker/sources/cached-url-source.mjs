// A model at a URL or on the Hub, in a browser: downloaded (resumable) into the IndexedDB model
// cache, then read back from it chunk by chunk into the engine. A model already in the cache is
// loaded without touching the network.
import { openDefaultStore } from '../../js/store.mjs';
import { fetchModel, cachedModel, modelShards, readModelChunks } from '../../js/model-cache.mjs';
import { readHeaderFromUrl, readModelHeader } from '../../js/header.mjs';

// Bytes [start, end) of a cached file, from its stored chunks.
function cachedRange(store, fileId) {
    return async (start, end) => {
        const record = await store.getFile(fileId);
        const out = new Uint8Array(end - start);
        for (let i = Math.floor(start / record.chunkSize); i * record.chunkSize < end; i++) {
            const chunk = await store.getChunk(fileId, i);
            if (!chunk) throw new Error(`the model cache lost chunk ${i} of ${record.name}`);
            const from = i * record.chunkSize;
            const a = Math.max(start, from);
            const b = Math.min(end, from + chunk.byteLength);
            out.set(chunk.subarray(a - from, b - from), a - start);
        }
        return out;
    };
}

export async function cachedUrlSource(source) {
    const { name } = modelShards(source); // checks the source before anything is opened
    const store = await openDefaultStore();
    let model = await cachedModel(source, { store });
    const self = {
        label: name,
        shards: model ? model.files.map((f) => ({ size: f.size })) : null,
        async inspect({ nCtx, estimate, signal }) {
            if (model) {
                // Every shard's header (a split model's first shard lacks the others' tensors).
                const shards = model.files.map((f) => ({ readRange: cachedRange(store, f.id), size: f.size, label: f.name }));
                const { estimate: result } = await readModelHeader(shards, { nCtx, estimate, signal, label: name });
                return { ...result, downloadBytes: 0 };
            }
            // Not cached: the header over the network, and the room the download needs.
            return readHeaderFromUrl(source, { nCtx, estimate, signal, store });
        },
        async fetch({ signal, onProgress }) {
            model = await fetchModel(source, { store, signal, onProgress });
            self.shards = model.files.map((f) => ({ size: f.size }));
        },
        async *chunks({ signal } = {}) {
            // every chunk a fresh ArrayBuffer from IndexedDB
            for await (const { shard, chunk } of readModelChunks(store, model, { signal })) yield { shard, chunk, owned: true };
        },
    };
    return self;
}
