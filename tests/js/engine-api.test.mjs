// The public API in Node (engine in a worker_threads Worker, model from a file path): greedy
// text equal to llama.cpp's, abort and generate again, queued requests, chat completions
// (streaming and not) with a follow-up turn that evaluates only its new tokens, refusals, and a
// dying worker rejecting what is pending.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEngine } from '../../js/index.mjs';
import { writeModelWithTemplate } from '../fixtures/gguf-with-template.mjs';
import { commonPrefixLength } from '../../worker/kv-prefix.mjs';
import { HubServer } from '../server/hub-server.mjs';

const SHARED = process.env.SHARED_DIR ?? resolve(import.meta.dirname, '../../../shared');
const MODEL = join(SHARED, 'models/stories260K/stories260K-f32.gguf');
const REFERENCE = join(SHARED, 'reference/stories260K-f32.ref.json');
const T = { timeout: 120_000 };

// The template the fixture model carries: "<role>:<content>\n" per message.
const TEMPLATE = "{% for m in messages %}{{ m.role }}:{{ m.content }}\n{% endfor %}" +
    "{% if add_generation_prompt %}assistant:{% endif %}";
const render = (messages) => messages.map((m) => `${m.role}:${m.content}\n`).join('') + 'assistant:';

let reference;
let engine;
let tmp;
let templateModel;

before(async () => {
    reference = JSON.parse(await readFile(REFERENCE, 'utf8')).prompts[0];
    tmp = await mkdtemp(join(tmpdir(), 'hearth-api-'));
    templateModel = join(tmp, 'stories260K-chat.gguf');
    await writeModelWithTemplate(MODEL, templateModel, TEMPLATE);
    engine = createEngine({ threads: 2 });
});

after(async () => {
    await engine?.dispose();
    await rm(tmp, { recursive: true, force: true });
});

async function collect(stream) {
    const items = [];
    for await (const item of stream) items.push(item);
    return { items, text: items.map((i) => i.text).join(''), result: await stream.result };
}

test('loads a GGUF file and describes it', T, async () => {
    const progress = [];
    const info = await engine.load(MODEL, { onProgress: (p) => progress.push(p) });
    assert.equal(info.architecture, 'llama');
    assert.equal(info.n_vocab, 512);
    assert.ok(info.parameters > 200_000);
    assert.ok(info.memory.total > 0);
    assert.equal(info.variant, 'mt'); // Node always has shared memory
    assert.equal(info.threads, 2); // as asked in createEngine
    assert.equal(info.n_threads, 2); // and as the engine runs
    assert.equal(progress.at(-1).loaded, progress.at(-1).total);
    assert.deepEqual(await engine.info(), info);
    assert.deepEqual(await engine.tokenize(reference.prompt), reference.prompt_ids);
});

test('greedy generation equals llama.cpp', T, async () => {
    const { items, text, result } = await collect(engine.generate(reference.prompt, { maxTokens: 64, temperature: 0 }));
    assert.equal(text, reference.generated_text);
    assert.deepEqual(items.filter((i) => i.token !== null).map((i) => i.token), reference.generated_ids);
    assert.equal(result.finishReason, 'length');
    assert.equal(result.completionTokens, 64);
    assert.equal(result.text, reference.generated_text);
});

test('abort mid-generation, then generate again', T, async () => {
    const stream = engine.generate(reference.prompt, { maxTokens: 100, temperature: 0 });
    let n = 0;
    for await (const item of stream) {
        if (item.token !== null && ++n === 5) engine.abort();
    }
    const aborted = await stream.result;
    assert.equal(aborted.finishReason, 'abort');
    assert.ok(aborted.completionTokens >= 5 && aborted.completionTokens < 100, `${aborted.completionTokens} tokens`);
    const again = await collect(engine.generate(reference.prompt, { maxTokens: 64, temperature: 0 }));
    assert.equal(again.text, reference.generated_text);
});

test('an AbortSignal and leaving the loop stop a generation too', T, async () => {
    const controller = new AbortController();
    const stream = engine.generate(reference.prompt, { maxTokens: 100, temperature: 0, signal: controller.signal });
    let n = 0;
    for await (const _ of stream) if (++n === 3) controller.abort();
    assert.equal((await stream.result).finishReason, 'abort');

    const early = engine.generate(reference.prompt, { maxTokens: 100, temperature: 0 });
    for await (const _ of early) break;
    assert.equal((await early.result).finishReason, 'abort');
});

test('two requests at once run one after the other', T, async () => {
    const first = engine.generate(reference.prompt, { maxTokens: 64, temperature: 0 });
    const second = engine.generate(reference.prompt, { maxTokens: 64, temperature: 0 });
    const [a, b] = await Promise.all([collect(first), collect(second)]);
    assert.equal(a.text, reference.generated_text);
    assert.equal(b.text, reference.generated_text);
});

test('sampling with a seed repeats; stop sequences cut the text', T, async () => {
    const opts = { maxTokens: 24, temperature: 0.9, seed: 42 };
    const x = await collect(engine.generate(reference.prompt, opts));
    const y = await collect(engine.generate(reference.prompt, opts));
    assert.equal(x.text, y.text);
    const stopped = await collect(engine.generate(reference.prompt, { maxTokens: 64, temperature: 0, stop: ['Lily'] }));
    assert.equal(stopped.text, ', there was a little girl named ');
    assert.equal(stopped.result.finishReason, 'stop');
});

test('chat completions without a model template use the ChatML fallback', T, async () => {
    const reply = await engine.chat.completions.create({
        messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 8, temperature: 0,
    });
    assert.equal(reply.object, 'chat.completion');
    assert.equal(typeof reply.choices[0].message.content, 'string');
    assert.ok(reply.usage.prompt_tokens > 10);
    assert.ok(reply.usage.completion_tokens <= 8);
});

test('chat completions with the model template: streaming, not, and a follow-up turn reusing the KV cache', T, async () => {
    const info = await engine.load(templateModel);
    assert.equal(info.chat_template, TEMPLATE);
    const turn1 = [{ role: 'user', content: 'Tell me a story about a dog.' }];
    const request = { messages: turn1, max_tokens: 16, temperature: 0 };

    const whole = await engine.chat.completions.create(request);
    const content = whole.choices[0].message.content;
    assert.ok(content.length > 0);
    assert.equal(whole.usage.prompt_tokens, (await engine.tokenize(render(turn1))).length);

    const stream = await engine.chat.completions.create({ ...request, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(chunks.map((c) => c.choices[0].delta.content ?? '').join(''), content);
    const last = chunks.at(-1);
    assert.ok(['stop', 'length'].includes(last.choices[0].finish_reason));
    assert.equal(last.usage.completion_tokens, whole.usage.completion_tokens);
    // The same conversation again: all but the last prompt token come from the cache.
    assert.equal(last.usage.prompt_tokens_evaluated, 1);
    const turn1Tokens = (await stream.result).tokens;

    const turn2 = [...turn1, { role: 'assistant', content }, { role: 'user', content: 'And then?' }];
    const follow = await engine.chat.completions.create({ messages: turn2, max_tokens: 8, temperature: 0 });
    const prompt1 = await engine.tokenize(render(turn1));
    const prompt2 = await engine.tokenize(render(turn2));
    // What the cache held: turn 1's prompt and reply (its last token was never evaluated).
    const held = [...prompt1, ...turn1Tokens.slice(0, -1)];
    const shared = commonPrefixLength(held, prompt2);
    assert.ok(shared >= prompt1.length, `turn 1's whole prompt is reused (${shared} of ${prompt1.length})`);
    assert.equal(follow.usage.prompt_tokens, prompt2.length);
    assert.equal(follow.usage.prompt_tokens_details.cached_tokens, shared);
    assert.equal(follow.usage.prompt_tokens_evaluated, prompt2.length - shared);
    assert.equal(follow.timings.prompt_n, prompt2.length - shared);
});

test('URL, Hub and Blob sources stream into the engine in Node', T, async () => {
    const hub = await new HubServer({ repos: { 'local/stories260K': { files: { 'stories260K-f32.gguf': MODEL } } } }).listen();
    const other = createEngine({ threads: 1 });
    try {
        const greedy = async () => (await collect(other.generate(reference.prompt, { maxTokens: 64, temperature: 0 }))).text;
        const fromHub = await other.load({ repo: 'local/stories260K', file: 'stories260K-f32.gguf', hubUrl: hub.url });
        assert.equal(fromHub.source, 'stories260K-f32.gguf');
        assert.equal(await greedy(), reference.generated_text);
        await other.load(`${hub.url}/local/stories260K/resolve/main/stories260K-f32.gguf`);
        assert.equal(await greedy(), reference.generated_text);
        await other.load(new Blob([await readFile(MODEL)]));
        assert.equal(await greedy(), reference.generated_text);
    } finally {
        await other.dispose();
        await hub.close();
    }
});

test('a model over the memory limit is refused before loading, naming both numbers', T, async () => {
    const small = createEngine({ maxMemoryBytes: 100_000 });
    try {
        await assert.rejects(small.load(MODEL), (err) => err.code === 'MEMORY_LIMIT' &&
            /100000 bytes/.test(err.message) && /\(\d+ bytes\) of memory/.test(err.message));
        await assert.rejects(small.info(), /no model loaded/);
    } finally {
        await small.dispose();
    }
});

test('a worker that dies rejects pending and later calls', T, async () => {
    const doomed = createEngine({ threads: 1 });
    await doomed.load(MODEL);
    const stream = doomed.generate(reference.prompt, { maxTokens: 100, temperature: 0 });
    const pending = doomed.info();
    await doomed.client.ready.then((w) => w.terminate());
    await assert.rejects(stream.result, /worker/);
    await assert.rejects(pending, /worker/);
    await assert.rejects(doomed.generate('x').result, /worker/);
    await doomed.dispose();
});
