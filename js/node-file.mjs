// Node only: a GGUF file (or a split set) streamed from disk into an EngineCore, chunk by chunk
// through write(), so that a file above 2 GiB never exists as one buffer.
import { open } from 'node:fs/promises';

const CHUNK_BYTES = 4 << 20; // as the native loader reads

// "name-00001-of-00003.gguf": the shard paths of a split set, in order; [path] otherwise.
export function shardPaths(path) {
    const m = /^(.*)-00001-of-(\d{5})\.gguf$/.exec(path);
    const count = m ? Number(m[2]) : 1;
    if (count <= 1) return [path];
    return Array.from({ length: count }, (_, i) => `${m[1]}-${String(i + 1).padStart(5, '0')}-of-${m[2]}.gguf`);
}

async function openFile(path) {
    try {
        return await open(path, 'r');
    } catch {
        throw new Error(`cannot open ${path}`);
    }
}

// Reads [0, size) of an open file; the chunk buffer is reused, so the consumer copies each chunk
// before asking for the next (EngineCore.write does).
async function* chunksOf(file, size, path, chunkBytes) {
    const buffer = new Uint8Array(Math.max(1, Math.min(chunkBytes, size)));
    for (let position = 0; position < size;) {
        const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, size - position), position);
        if (bytesRead === 0) throw new Error(`read error in ${path}`);
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
    }
}

export async function loadModelFile(core, path, { chunkBytes = CHUNK_BYTES } = {}) {
    const paths = shardPaths(path);
    core.loadBegin(paths.length);
    for (const shard of paths) {
        const file = await openFile(shard);
        try {
            const { size } = await file.stat();
            core.loadShardBegin(size);
            for await (const chunk of chunksOf(file, size, shard, chunkBytes)) core.write(chunk);
        } finally {
            await file.close();
        }
    }
    core.loadEnd();
}
