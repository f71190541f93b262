// Streams a model's bytes into the engine: one chunk at a time goes from the source (model
// cache, file, Blob, network) into WebAssembly memory, so the model never exists as one whole
// ArrayBuffer. Sources yield {shard, chunk}, shards in order.
export async function loadIntoCore(core, source, { signal, onProgress }) {
    const shards = source.shards;
    const total = shards.reduce((n, s) => n + s.size, 0);
    core.loadBegin(shards.length);
    let shard = -1;
    let loaded = 0;
    let lastReport = -Infinity;
    for await (const piece of source.chunks({ signal })) {
        signal?.throwIfAborted();
        while (shard < piece.shard) core.loadShardBegin(shards[++shard].size);
        core.write(piece.chunk);
        loaded += piece.chunk.byteLength;
        // At most every 1%, so that a finely chunked source does not flood the page.
        if (loaded - lastReport >= total / 100 || loaded === total) {
            lastReport = loaded;
            onProgress?.({ phase: 'load', loaded, total });
        }
    }
    while (shard < shards.length - 1) core.loadShardBegin(shards[++shard].size); // empty shards
    if (loaded !== total) throw new Error(`${source.label}: got ${loaded} bytes of ${total}`);
    core.loadEnd();
}
