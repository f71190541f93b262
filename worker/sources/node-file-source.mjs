// A model file on disk (Node only), read through one reused buffer chunk by chunk. Naming any
// shard of a split GGUF (name-00001-of-00003.gguf) loads all of them, in order.
import { open, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHeaderWith } from '../../js/header.mjs';
import { shardNames } from '../../js/hub.mjs';

export const FILE_CHUNK_BYTES = 8 * 1024 * 1024;

async function readRange(path, start, end) {
    const fh = await open(path, 'r');
    try {
        const buf = new Uint8Array(end - start);
        const { bytesRead } = await fh.read(buf, 0, buf.length, start);
        return buf.subarray(0, bytesRead);
    } finally {
        await fh.close();
    }
}

export async function nodeFileSource(pathOrUrl) {
    const given = pathOrUrl.startsWith('file:') ? fileURLToPath(pathOrUrl) : pathOrUrl;
    const paths = shardNames(basename(given)).map((name) => join(dirname(given), name));
    const shards = [];
    for (const path of paths) shards.push({ path, size: (await stat(path)).size });
    return {
        label: basename(given),
        shards,
        async inspect({ nCtx, estimate, signal }) {
            const first = shards[0];
            const { estimate: result } = await readHeaderWith((s, e) => readRange(first.path, s, e), first.size,
                { nCtx, estimate, signal, label: basename(first.path) });
            return result;
        },
        async fetch() {},
        async *chunks({ signal } = {}) {
            const buf = new Uint8Array(FILE_CHUNK_BYTES);
            for (let shard = 0; shard < shards.length; shard++) {
                const { path, size } = shards[shard];
                const fh = await open(path, 'r');
                try {
                    for (let at = 0; at < size;) {
                        signal?.throwIfAborted();
                        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - at), at);
                        if (bytesRead === 0) throw new Error(`${path}: the file ended at byte ${at} of ${size}`);
                        at += bytesRead;
                        // core.write copies the bytes before the buffer is reused
                        yield { shard, chunk: buf.subarray(0, bytesRead) };
                    }
                } finally {
                    await fh.close();
                }
            }
        },
    };
}
