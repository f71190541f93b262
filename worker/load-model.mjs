// Streams a model's bytes into the engine: one chunk at a time goes from the source (model
// cache, file, Blob, network) into WebAssembly memory, so the model never exists as one whole
// ArrayBuffer. Sources yield {shard, chunk, owned}, shards in order; owned: the chunk's buffer
// was made for this chunk alone and nothing reads it afterwards (a source reading into one reused
// buffer says nothing).

// Frees a chunk's memory now rather than at the next garbage collection: a detached ArrayBuffer
// drops its bytes (ArrayBuffer.prototype.transfer, Chromium 114+, Node 21+). Without this the
// 16 MiB chunks of a load pile up until V8 collects them, tens of MiB at the peak.
function release(chunk) {
    const buffer = chunk.buffer;
    if (typeof buffer?.transfer !== 'function' || chunk.byteOffset !== 0 || chunk.byteLength !== buffer.byteLength) return;
    buffer.transfer(0);
}

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
        if (piece.owned) release(piece.chunk);
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
