// Memory above 2 GiB: pointers there come back from wasm as negative i32 (js/ turns them with
// `>>> 0`), and one allocation of 2 GiB or more needs wasm/entry.c's stepwise heap growth.
// Untouched WebAssembly pages cost no RSS, so this is cheap. Its own file: the memory a module
// grows never shrinks, and each test file runs in its own process.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EngineCore, loadHearthModule } from '../../js/core.mjs';
import { loadModelFile } from '../../js/node-file.mjs';
import { ggufHeader } from './helpers/gguf-bytes.mjs';
import { readJson, STORIES_F32 } from './helpers/shared.mjs';

const GiB = 2 ** 30;

for (const [variant, nThreads] of [['st', 1], ['mt', 2]]) {
    test(`a model placed above 2 GiB runs as anywhere else (${variant})`, async () => {
        const { module } = await loadHearthModule({ variant });
        // Fill the heap below 2 GiB so that everything the engine allocates next lies above it.
        const filler = [1, 1, 0.25].map((g) => module._malloc(g * GiB) >>> 0);
        assert.ok(filler.every((p) => p !== 0) && filler[2] > 2 * GiB - 1);
        const core = await EngineCore.create({ variant, nThreads });
        try {
            await loadModelFile(core, STORIES_F32);
            assert.ok(core.memoryBytes > 2.25 * GiB);
            const ref = readJson('reference/stories260K-f32.ref.json').prompts[0];
            core.eval(core.tokenize(ref.prompt, { parseSpecial: false }));
            const sampler = core.createSampler({ temperature: 0 });
            const ids = [];
            for (let i = 0; i < 16; i++) {
                ids.push(sampler.sample());
                core.eval([ids[i]]);
            }
            assert.deepEqual(ids, ref.generated_ids.slice(0, 16));
        } finally {
            core.dispose();
            for (const p of filler) module._free(p);
        }
    });
}

test('one shard whose weights take more than 2 GiB gets its arena (st)', async () => {
    // Only the header is sent: the loader allocates the whole arena as soon as the header parses.
    const { header, dataBytes, fileSize } = ggufHeader([{ name: 'big.weight', shape: [4096, 147456] }]);
    assert.ok(dataBytes > 2.2 * GiB);
    const core = await EngineCore.create({ variant: 'st' });
    try {
        core.loadBegin(1);
        core.loadShardBegin(fileSize);
        core.write(header);
        core.write(new Uint8Array(1 << 20)); // the first weights go into the arena
        assert.ok(core.memoryBytes > dataBytes);
        assert.throws(() => core.loadEnd(), /incomplete/);
    } finally {
        core.dispose();
    }
});
