// The EngineCore contract beyond parity: chunked writes of any size, token pieces and the UTF-8
// text stream, samplers, thread changes with a loaded model, variant choice.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { EngineCore, loadHearthModule, MAX_THREADS } from '../../js/core.mjs';
import { createLoaded, STORIES_F32 } from './helpers/shared.mjs';

const stories = readFileSync(STORIES_F32);
const PROMPT = 'Once upon a time';

function logitsAfter(core, text) {
    core.kvTruncate(0);
    core.eval(core.tokenize(text));
    return core.logits();
}

test("'auto' picks the threaded build under Node", async () => {
    const core = await EngineCore.create({ nThreads: 2 });
    assert.equal(core.variant, 'mt');
    core.dispose();
    assert.equal((await loadHearthModule({ variant: 'st' })).variant, 'st');
});

test('any chunking of the file gives the same model as one write (ArrayBuffer views accepted)', async () => {
    const whole = await EngineCore.create({ variant: 'st' });
    whole.loadBegin();
    whole.loadShardBegin(stories.length);
    whole.write(new Uint8Array(stories));
    whole.loadEnd();
    const want = logitsAfter(whole, PROMPT);
    whole.dispose();

    const core = await EngineCore.create({ variant: 'st' });
    const sizes = [1, 7, 4099, 65536, 1 << 20];
    core.loadBegin(1);
    core.loadShardBegin(stories.length);
    for (let pos = 0, i = 0; pos < stories.length; i++) {
        const n = Math.min(sizes[i % sizes.length], stories.length - pos);
        const chunk = stories.subarray(pos, pos + n);
        core.write(i % 2 ? new DataView(chunk.buffer, chunk.byteOffset, n) : chunk);
        pos += n;
    }
    core.loadEnd();
    assert.deepEqual(logitsAfter(core, PROMPT), want);
    assert.deepEqual(Object.keys(core.info()).slice(0, 3), ['architecture', 'name', 'parameters']);
    core.dispose();
});

test('pieces are bytes; the text stream joins a character split across byte tokens', async () => {
    const core = await createLoaded(STORIES_F32, { variant: 'st' });
    try {
        const ids = core.tokenize('a 🙂 b', { addSpecial: false });
        const pieces = Array.from(ids, (id) => core.tokenPiece(id));
        assert.ok(pieces.every((p) => p instanceof Uint8Array));
        const stream = core.createTextStream();
        const outputs = pieces.map((p) => stream.push(p));
        assert.equal(outputs.join('') + stream.flush(), ' a 🙂 b'); // SentencePiece's leading space
        assert.ok(outputs.includes(''), 'bytes of the emoji were held back until it was complete');
        assert.equal(stream.push(new Uint8Array([0xf0, 0x9f])) + stream.flush(), '\uFFFD');
        stream.free();
        assert.throws(() => stream.push(new Uint8Array([65])), /freed/);
        assert.equal(core.tokenize('a', { addSpecial: true })[0], 1); // BOS
        assert.ok(core.isEog(2) && !core.isEog(1));
        assert.equal(core.chatTemplate(), null);
        assert.equal(core.nVocab, 512);
    } finally {
        core.dispose();
    }
});

test('samplers: greedy is the argmax, a seed repeats its sequence, penalties apply', async () => {
    const core = await createLoaded(STORIES_F32, { variant: 'st' });
    try {
        const logits = logitsAfter(core, PROMPT);
        assert.equal(core.createSampler({ temperature: 0 }).sample(), logits.indexOf(Math.max(...logits)));
        const draw = (seed) => {
            const s = core.createSampler({ temperature: 1.5, topK: 0, topP: 1, minP: 0, seed });
            const ids = Array.from({ length: 20 }, () => s.sample());
            s.reset();
            const again = Array.from({ length: 20 }, () => s.sample());
            s.free();
            return { ids, again };
        };
        const a = draw(123);
        assert.deepEqual(draw(123).ids, a.ids);
        assert.deepEqual(a.again, a.ids, 'reset starts the sequence over');
        assert.ok(new Set(a.ids).size > 1, 'temperature 1.5 samples more than one token');
        // A strong repetition penalty on the greedy token makes greedy pick another.
        const top = logits.indexOf(Math.max(...logits));
        const penalised = core.createSampler({ temperature: 0, repeatPenalty: 100, penaltyLastN: 64 });
        penalised.accept(top);
        assert.notEqual(penalised.sample(), top);
        assert.throws(() => core.createSampler({ temperature: 'hot' }), TypeError);
    } finally {
        core.dispose(); // frees the samplers not freed above
    }
});

test('setThreads keeps the KV cache and uses every worker of the pool', async () => {
    const core = await createLoaded(STORIES_F32, { variant: 'mt', nThreads: 2 });
    const reference = await createLoaded(STORIES_F32, { variant: 'st' });
    try {
        const ids = core.tokenize(PROMPT);
        core.eval(ids);
        reference.eval(ids);
        for (const n of [1, MAX_THREADS, 3, 100]) {
            core.setThreads(n);
            assert.equal(core.info().n_threads, Math.min(n, MAX_THREADS));
            core.eval([400 + n]);
            reference.eval([400 + n]);
            assert.equal(core.nPast, reference.nPast);
            const got = core.logits();
            const want = reference.logits();
            for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-4, `logit ${i} after setThreads(${n})`);
        }
    } finally {
        core.dispose();
        reference.dispose();
    }
});

test('engines in one module are independent', async () => {
    const a = await createLoaded(STORIES_F32, { variant: 'st' });
    const b = await createLoaded(STORIES_F32, { variant: 'st', nCtx: 32 });
    try {
        assert.equal(a.nCtx, 128);
        assert.equal(b.nCtx, 32);
        a.eval(a.tokenize(PROMPT));
        assert.equal(b.nPast, 0);
        b.eval(b.tokenize(PROMPT));
        assert.deepEqual(a.logits(), b.logits());
    } finally {
        a.dispose();
        b.dispose();
    }
});
