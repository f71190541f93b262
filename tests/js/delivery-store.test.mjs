// The in-memory chunk store against the store contract (the IndexedDB store runs the same
// checks in Chromium: tests/browser/delivery.test.mjs), plus the shared chunk arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../js/store-memory.mjs';
import { chunkCount, chunkLength, bytesOfChunks, groupModels } from '../../js/store-common.mjs';
import { storeContract } from './store-contract.mjs';

for (const { name, run } of storeContract(async (options) => new MemoryStore(options))) {
    test(`MemoryStore: ${name}`, run);
}

test('chunk arithmetic', () => {
    const r = { size: 10, chunkSize: 4 };
    assert.equal(chunkCount(r), 3);
    assert.deepEqual([0, 1, 2].map((i) => chunkLength(r, i)), [4, 4, 2]);
    assert.equal(bytesOfChunks(r, [0, 2, 7]), 6);
    assert.equal(chunkCount({ size: 0, chunkSize: 4 }), 0);
    assert.equal(chunkCount({ size: 8, chunkSize: 4 }), 2);
});

test('groupModels: a split model missing a shard is not complete', () => {
    const models = groupModels([{ id: 'a', modelId: 'a', shardIndex: 0, shardCount: 2, complete: true, verified: true, size: 5, lastUsed: 1 }]);
    assert.equal(models.length, 1);
    assert.equal(models[0].complete, false);
    assert.equal(models[0].verified, false);
});

test('a closed MemoryStore refuses to work', async () => {
    const store = new MemoryStore();
    store.close();
    await assert.rejects(store.getFile('x'), /closed/);
});
