// The worker's generation logic against a fake engine: KV prefix reuse, stop sequences, abort,
// limits, and the checks that refuse a model before downloading it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeCore } from './fake-core.mjs';
import { runGeneration } from '../../worker/generation.mjs';
import { KvPrefix, commonPrefixLength } from '../../worker/kv-prefix.mjs';
import { StopMatcher } from '../../worker/stop-strings.mjs';
import { samplingParams } from '../../worker/sampling-params.mjs';
import { checkModelFits } from '../../worker/fits.mjs';
import { AsyncQueue } from '../../js/async-queue.mjs';

function generate(core, kv, prompt, { maxTokens = 5, stops = [], isAborted = () => false, nBatch = 4 } = {}) {
    const tokens = [];
    return runGeneration({
        core, kv, promptIds: core.tokenize(prompt), sampling: samplingParams({ temperature: 0 }), maxTokens, stops,
        nBatch, isAborted, onToken: (t) => tokens.push(t),
    }).then((result) => ({ ...result, events: tokens }));
}

test('continues the prompt and streams one event per token', async () => {
    const core = new FakeCore();
    const r = await generate(core, new KvPrefix(), 'abc', { maxTokens: 4 });
    assert.equal(r.text, 'defg');
    assert.deepEqual(r.events.map((e) => e.text), ['d', 'e', 'f', 'g']);
    assert.equal(r.finishReason, 'length');
    assert.equal(r.evaluatedTokens, 3);
    assert.equal(r.cachedTokens, 0);
});

test('prefill runs in batches of nBatch', async () => {
    const core = new FakeCore();
    await generate(core, new KvPrefix(), 'abcdefghij', { maxTokens: 1, nBatch: 4 });
    assert.deepEqual(core.evalCalls.map((c) => c.length), [4, 4, 2]);
});

test('a follow-up prompt evaluates only what the cache does not hold', async () => {
    const core = new FakeCore();
    const kv = new KvPrefix();
    const first = await generate(core, kv, 'abc', { maxTokens: 3 });
    assert.equal(first.text, 'def');
    // The cache holds abc + d e (the last sampled token is never evaluated).
    assert.deepEqual(kv.tokens, Array.from(core.tokenize('abcde')));
    const second = await generate(core, kv, 'abcdefxy', { maxTokens: 1 });
    assert.equal(second.cachedTokens, 5);
    assert.equal(second.evaluatedTokens, 3); // f x y
    assert.equal(second.promptTokens, 8);
    // A diverging prompt truncates the cache to the shared part.
    const third = await generate(core, kv, 'abz', { maxTokens: 1 });
    assert.equal(third.cachedTokens, 2);
    assert.equal(third.evaluatedTokens, 1);
    assert.equal(core.nPast, 3);
});

test('the same prompt twice re-evaluates only its last token', async () => {
    const core = new FakeCore();
    const kv = new KvPrefix();
    await generate(core, kv, 'abc', { maxTokens: 1 });
    const again = await generate(core, kv, 'abc', { maxTokens: 1 });
    assert.equal(again.cachedTokens, 2);
    assert.equal(again.evaluatedTokens, 1);
    assert.equal(again.text, 'd');
});

test('stop sequences end generation and never reach the text', async () => {
    const core = new FakeCore();
    const r = await generate(core, new KvPrefix(), 'abc', { maxTokens: 10, stops: ['fg'] });
    assert.equal(r.text, 'de');
    assert.equal(r.finishReason, 'stop');
    assert.equal(r.events.map((e) => e.text).join(''), 'de');
});

test('text held back for a possible stop sequence is released when it is not one', async () => {
    const core = new FakeCore();
    const r = await generate(core, new KvPrefix(), 'abc', { maxTokens: 2, stops: ['efx'] });
    assert.equal(r.text, 'de');
    assert.equal(r.events.at(-1).token, null);
    assert.equal(r.events.map((e) => e.text).join(''), 'de');
});

test('an end-of-generation token stops with finish reason stop', async () => {
    const core = new FakeCore({ eogAfter: 5 }); // abc + d + e in the cache -> end
    const r = await generate(core, new KvPrefix(), 'abc', { maxTokens: 10 });
    assert.equal(r.text, 'de');
    assert.equal(r.finishReason, 'stop');
});

test('abort between tokens stops generation and leaves a consistent cache', async () => {
    const core = new FakeCore();
    const kv = new KvPrefix();
    let count = 0;
    const r = await runGeneration({
        core, kv, promptIds: core.tokenize('abc'), sampling: samplingParams({ temperature: 0 }), maxTokens: 20,
        stops: [], nBatch: 8, isAborted: () => count >= 2, onToken: () => count++,
    });
    assert.equal(r.finishReason, 'abort');
    assert.equal(r.completionTokens, 2);
    assert.equal(core.nPast, kv.tokens.length);
    const next = await generate(core, kv, 'abc', { maxTokens: 2 });
    assert.equal(next.text, 'de');
});

test('a full context ends generation with finish reason length', async () => {
    const core = new FakeCore({ nCtx: 6 });
    const r = await generate(core, new KvPrefix(), 'abc', { maxTokens: 50 });
    assert.equal(r.finishReason, 'length');
    assert.equal(r.text, 'defg');
    await assert.rejects(generate(core, new KvPrefix(), 'abcdefgh'), /the prompt is 8 tokens, the context holds 6/);
});

test('common prefix length', () => {
    assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
    assert.equal(commonPrefixLength([], [1]), 0);
    assert.equal(commonPrefixLength([1, 2], [1, 2, 3]), 2);
});

test('stop matcher holds back only possible starts of a stop sequence', () => {
    const m = new StopMatcher(['</s>', 'END']);
    assert.deepEqual(m.push('hello <'), { text: 'hello ', stopped: false });
    assert.deepEqual(m.push('/'), { text: '', stopped: false });
    assert.deepEqual(m.push('x'), { text: '</x', stopped: false });
    assert.deepEqual(m.push('E'), { text: '', stopped: false });
    assert.deepEqual(m.push('ND tail'), { text: '', stopped: true });
});

test('sampling parameters are checked', () => {
    assert.throws(() => samplingParams({ temperature: -1 }), /temperature/);
    assert.throws(() => samplingParams({ topP: 2 }), /topP/);
    assert.throws(() => samplingParams({ seed: 1.5 }), /seed/);
    const p = samplingParams({ temperature: 0, seed: 7 });
    assert.equal(p.temperature, 0);
    assert.equal(p.seed, 7);
    assert.equal(p.topK, 40);
});

test('a model too big for memory or storage is refused naming both numbers', () => {
    assert.throws(() => checkModelFits({ memoryBytes: 5 * 2 ** 30 }),
        (err) => err.code === 'MEMORY_LIMIT' && /5368709120 bytes/.test(err.message) && /4294967296 bytes/.test(err.message));
    assert.throws(() => checkModelFits({ memoryBytes: 1000, downloadBytes: 3000, storageAvailable: 2000 }),
        (err) => err.code === 'STORAGE_QUOTA' && /3000 bytes/.test(err.message) && /2000 bytes/.test(err.message));
    checkModelFits({ memoryBytes: 1000, downloadBytes: 1000, storageAvailable: 2000 });
});

test('async queue buffers items and reports early return', async () => {
    let returned = false;
    const q = new AsyncQueue({ onReturn: () => { returned = true; } });
    q.push(1);
    q.push(2);
    const seen = [];
    for await (const x of q) {
        seen.push(x);
        if (x === 2) break;
    }
    assert.deepEqual(seen, [1, 2]);
    assert.equal(returned, true);
    const failing = new AsyncQueue();
    failing.fail(new Error('boom'));
    await assert.rejects(failing.next(), /boom/);
});
