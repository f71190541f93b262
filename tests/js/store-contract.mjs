// What every chunk store must do, as checks that run against the in-memory store in Node
// (tests/js/delivery-store.test.mjs) and the IndexedDB store in Chromium
// (tests/browser/delivery.test.mjs). No Node imports: browsers import this file too.
//
// storeContract(makeStore) → [{name, run}]; makeStore({quotaBytes}) gives a fresh, empty store.

function check(cond, message) {
    if (!cond) throw new Error(message);
}

function equalBytes(a, b) {
    if (a.byteLength !== b.byteLength) return false;
    for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
    return true;
}

function pattern(n, seed) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7) & 255;
    return out;
}

function record(id, extra = {}) {
    return {
        id, modelId: id, url: `https://example.test/${id}`, name: `${id}.gguf`, etag: '"e1"', size: 10, chunkSize: 4,
        complete: false, verified: false, sha256: null, lastUsed: 1, createdAt: 1, shardIndex: 0, shardCount: 1, ...extra,
    };
}

export function storeContract(makeStore) {
    return [
        {
            name: 'file records: put, get, update, list, delete',
            async run() {
                const store = await makeStore();
                check((await store.getFile('a')) === undefined, 'a missing record is undefined');
                await store.putFile(record('a'));
                await store.putFile(record('b', { lastUsed: 5 }));
                check((await store.getFile('a')).etag === '"e1"', 'getFile returns what putFile stored');
                const updated = await store.updateFile('a', { complete: true, lastUsed: 9 });
                check(updated.complete === true && updated.lastUsed === 9 && updated.etag === '"e1"', 'updateFile merges fields');
                check((await store.updateFile('nope', { complete: true })) === undefined, 'updateFile of a missing id gives undefined');
                check((await store.listFiles()).map((r) => r.id).sort().join() === 'a,b', 'listFiles lists both');
                await store.deleteFile('a');
                check((await store.getFile('a')) === undefined, 'deleteFile removes the record');
                check((await store.listFiles()).length === 1, 'one record left');
            },
        },
        {
            name: 'chunks: stored copies, indices in order, delete by file',
            async run() {
                const store = await makeStore();
                await store.putFile(record('f'));
                await store.putFile(record('g'));
                const c2 = pattern(2, 2);
                await store.putChunk('f', 2, c2);
                await store.putChunk('f', 0, pattern(4, 0));
                await store.putChunk('g', 1, pattern(4, 9));
                c2[0] ^= 255; // the store must have kept its own copy
                check(equalBytes(await store.getChunk('f', 2), pattern(2, 2)), 'getChunk returns the stored bytes');
                check((await store.getChunk('f', 1)) === undefined, 'a missing chunk is undefined');
                check((await store.chunkIndices('f')).join() === '0,2', 'chunkIndices sorted');
                const view = new Uint8Array(new ArrayBuffer(16), 4, 4);
                view.set(pattern(4, 1));
                await store.putChunk('f', 1, view); // a view into a larger buffer: only its bytes
                check(equalBytes(await store.getChunk('f', 1), pattern(4, 1)), 'a view is stored as its own bytes');
                await store.deleteChunks('f');
                check((await store.chunkIndices('f')).length === 0, 'deleteChunks removes the file\'s chunks');
                check((await store.chunkIndices('g')).join() === '1', 'other files keep theirs');
                await store.deleteFile('g');
                check((await store.chunkIndices('g')).length === 0, 'deleteFile removes chunks too');
            },
        },
        {
            name: 'readChunks yields the chunks in order and fails on a missing one',
            async run() {
                const store = await makeStore();
                await store.putFile(record('r', { size: 10, chunkSize: 4 }));
                await store.putChunk('r', 2, pattern(2, 2));
                await store.putChunk('r', 1, pattern(4, 1));
                await store.putChunk('r', 0, pattern(4, 0));
                const got = [];
                for await (const chunk of store.readChunks('r')) got.push(chunk);
                check(got.length === 3 && got.every((c, i) => equalBytes(c, pattern(i === 2 ? 2 : 4, i))), 'chunks in order');
                await store.deleteChunks('r');
                await store.putChunk('r', 0, pattern(4, 0));
                let failed = null;
                try {
                    for await (const chunk of store.readChunks('r')) void chunk;
                } catch (err) {
                    failed = err;
                }
                check(failed && /chunk 1/.test(failed.message), `a missing chunk is an error naming it (${failed?.message})`);
            },
        },
        {
            name: 'models group shards; deleteModel removes them all',
            async run() {
                const store = await makeStore();
                await store.putFile(record('m1', { modelId: 'm1', shardIndex: 0, shardCount: 2, complete: true, size: 10, lastUsed: 3 }));
                await store.putFile(record('m2', { modelId: 'm1', shardIndex: 1, shardCount: 2, complete: true, size: 6, lastUsed: 4 }));
                await store.putFile(record('solo', { complete: false, lastUsed: 10 }));
                await store.putChunk('m2', 0, pattern(4, 0));
                const models = await store.listModels();
                check(models.length === 2, 'two models');
                check(models[0].id === 'solo' && models[0].complete === false, 'newest first; incomplete flagged');
                const split = models[1];
                check(split.size === 16 && split.shards === 2 && split.complete && split.files.map((f) => f.id).join() === 'm1,m2',
                    'a split model: summed size, its shards in order');
                await store.deleteModel('m1');
                check((await store.listFiles()).map((r) => r.id).join() === 'solo', 'deleteModel removed both shards');
                check((await store.chunkIndices('m2')).length === 0, 'and their chunks');
            },
        },
        {
            name: 'a quota: a chunk that does not fit is a StorageQuotaError naming the numbers',
            async run() {
                const store = await makeStore({ quotaBytes: 10 });
                await store.putFile(record('q'));
                await store.putChunk('q', 0, pattern(4, 0));
                await store.putChunk('q', 1, pattern(4, 1));
                const before = await store.estimate();
                check(before.usage === 8 && before.quota === 10 && before.available === 2, `estimate counts stored bytes (${JSON.stringify(before)})`);
                let failed = null;
                try {
                    await store.putChunk('q', 2, pattern(4, 2));
                } catch (err) {
                    failed = err;
                }
                check(failed?.name === 'StorageQuotaError' && failed.code === 'STORAGE_QUOTA', `quota error (${failed?.name})`);
                check(/quota/.test(failed.message) && /10 bytes/.test(failed.message) && /8 bytes/.test(failed.message),
                    `the message names quota and usage: ${failed.message}`);
                check((await store.chunkIndices('q')).join() === '0,1', 'nothing partial was stored');
                await store.deleteChunks('q');
                check((await store.estimate()).usage === 0, 'deleting gives the room back');
            },
        },
    ];
}
