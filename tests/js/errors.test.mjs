// Failures: each gives an Error with the engine's own message, and the engine stays usable (a
// good model loads and runs after a bad one).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { EngineCore } from '../../js/core.mjs';
import { loadModelFile } from '../../js/node-file.mjs';
import { STORIES_F32 } from './helpers/shared.mjs';

const stories = readFileSync(STORIES_F32);

// The whole of bytes as one shard of declared size (default: its length), 64 KiB at a time.
function loadBytes(core, bytes, size = bytes.length) {
    core.loadBegin(1);
    core.loadShardBegin(size);
    for (let i = 0; i < bytes.length; i += 65536) core.write(bytes.subarray(i, i + 65536));
    core.loadEnd();
}

function firstGreedyToken(core) {
    core.kvTruncate(0);
    core.eval(core.tokenize('Once upon a time'));
    const logits = core.logits();
    return logits.indexOf(Math.max(...logits));
}

for (const [variant, nThreads] of [['st', 1], ['mt', 2]]) {
    test(`bad files give clear errors, then a good file loads (${variant})`, async () => {
        const core = await EngineCore.create({ variant, nThreads });
        try {
            const text = new TextEncoder().encode('this is not a model, just some text that is long enough');
            assert.throws(() => loadBytes(core, text), /not a GGUF file/);
            assert.throws(() => loadBytes(core, stories.subarray(0, stories.length - 1000)), /past the end of the file/);
            assert.throws(() => loadBytes(core, stories.subarray(0, stories.length / 2), stories.length), /incomplete/);
            const overlong = new Uint8Array(stories.length + 1);
            overlong.set(stories);
            assert.throws(() => loadBytes(core, overlong, stories.length), /more bytes than the shard's size/);
            assert.throws(() => loadBytes(core, new Uint8Array(10)), /too small to be GGUF/);
            assert.throws(() => core.info(), /no model loaded/);
            await loadModelFile(core, STORIES_F32);
            assert.equal(firstGreedyToken(core), 432);
            // And again after a failure that happens with a model already loaded.
            assert.throws(() => loadBytes(core, text), /not a GGUF file/);
            await loadModelFile(core, STORIES_F32);
            assert.equal(firstGreedyToken(core), 432);
        } finally {
            core.dispose();
        }
    });
}

test('calls without a model, past the context or after dispose throw the engine message', async () => {
    const core = await EngineCore.create({ variant: 'st', nCtx: 16 });
    assert.throws(() => core.eval([1]), /no model loaded/);
    assert.throws(() => core.tokenize('x'), /no model loaded/);
    assert.throws(() => core.logits(), /no model loaded/);
    assert.throws(() => core.kvTruncate(0), /no model loaded/);
    await loadModelFile(core, STORIES_F32);
    assert.equal(core.nCtx, 16);
    const ids = Array.from({ length: 20 }, (_, i) => (i ? 300 + i : 1));
    assert.throws(() => core.eval(ids), /context is full: 0 of 16 positions used, 20 more requested/);
    assert.equal(core.nPast, 0);
    core.eval(ids.slice(0, 16));
    assert.throws(() => core.eval([1]), /context is full/);
    assert.throws(() => core.kvTruncate(17), /cannot truncate to 17 positions/);
    core.kvTruncate(5);
    assert.throws(() => core.eval([9999]), /outside the vocabulary/);
    assert.throws(() => core.eval([]), /nothing to evaluate/);
    core.dispose();
    core.dispose();
    assert.throws(() => core.eval([1]), /disposed/);
    assert.throws(() => core.nVocab, /disposed/);
});

test('bad options are refused before anything is created', async () => {
    await assert.rejects(EngineCore.create({ kvType: 'q8' }), TypeError);
    await assert.rejects(EngineCore.create({ nThreads: 0 }), TypeError);
    await assert.rejects(EngineCore.create({ variant: 'gpu' }), TypeError);
});

test('a context larger than the model allows is refused at load', async () => {
    const core = await EngineCore.create({ nCtx: 100000, variant: 'st' });
    await assert.rejects(loadModelFile(core, STORIES_F32), /context of 100000 tokens requested; the model's maximum is 128/);
    core.dispose();
});

test('estimate from header bytes: need_bytes, error, or the model facts', async () => {
    assert.ok((await EngineCore.estimate(stories.subarray(0, 100), stories.length)).need_bytes > 100);
    assert.match((await EngineCore.estimate(new TextEncoder().encode('not a gguf file at all, no'), 1000)).error, /not a GGUF file/);
    const e = await EngineCore.estimate(stories.subarray(0, 65536), stories.length, 64);
    assert.equal(e.architecture, 'llama');
    assert.equal(e.n_ctx, 64);
    assert.equal(e.file_bytes, stories.length);
    assert.ok(e.memory.total > e.memory.weights);
});
