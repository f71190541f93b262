// The public API in headless Chromium, models from the local Hub server: greedy text equal to
// llama.cpp's in the threaded build (cross-origin isolated page) and in the single-thread
// fallback (page not isolated), abort then generate again, chat completions with the model's
// template (streaming) and a follow-up turn reusing the KV cache, a refusal before downloading,
// and a crashing worker rejecting calls instead of hanging.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEnvironment, openPage } from './browser-env.mjs';

const T = { timeout: 90_000 };
let env;

before(async () => {
    env = await startEnvironment();
});

after(async () => {
    await env?.close();
});

// Runs fn in a fresh page of app; on failure the page's console is part of the message.
async function inPage(app, fn, arg) {
    const { page, context, log } = await openPage(env, app);
    try {
        return await page.evaluate(fn, arg);
    } catch (err) {
        err.message += `\n--- page console ---\n${log.join('\n')}`;
        throw err;
    } finally {
        await context.close();
    }
}

// Loads stories260K from the Hub, generates greedily, aborts one generation and generates again.
async function greedyScenario({ hubUrl, prompt, file = 'stories260K-f32.gguf' }) {
    const { createEngine, listCachedModels } = await import('/js/index.mjs');
    const engine = createEngine();
    const phases = new Set();
    const info = await engine.load({ repo: 'local/stories260K', file, hubUrl },
        { onProgress: (p) => phases.add(p.phase) });
    const collect = async (stream) => {
        let text = '';
        for await (const item of stream) text += item.text;
        return { text, result: await stream.result };
    };
    const greedy = await collect(engine.generate(prompt, { maxTokens: 64, temperature: 0 }));
    const stream = engine.generate(prompt, { maxTokens: 120, temperature: 0 });
    for await (const _ of stream) engine.abort(); // at the first token
    const aborted = await stream.result;
    const again = await collect(engine.generate(prompt, { maxTokens: 64, temperature: 0 }));
    const cached = await listCachedModels();
    await engine.dispose();
    return {
        isolated: globalThis.crossOriginIsolated,
        cores: navigator.hardwareConcurrency,
        variant: info.variant,
        simd: info.simd,
        threads: info.threads,
        architecture: info.architecture,
        phases: [...phases],
        greedy: greedy.text,
        aborted: { finishReason: aborted.finishReason, tokens: aborted.completionTokens },
        again: again.text,
        cached: cached.map((m) => m.name),
    };
}

test('cross-origin isolated page: threaded build, greedy text equals llama.cpp, abort then generate again', T, async () => {
    const r = await inPage(env.isolated, greedyScenario, { hubUrl: env.hub.url, prompt: env.reference.prompt });
    assert.equal(r.isolated, true);
    assert.equal(r.variant, 'mt');
    assert.equal(r.simd, 'relaxed'); // Chromium has relaxed SIMD
    assert.equal(r.threads, Math.min(r.cores, 4));
    assert.equal(r.architecture, 'llama');
    assert.deepEqual(r.phases.sort(), ['download', 'load']);
    assert.equal(r.greedy, env.reference.generated_text);
    assert.equal(r.aborted.finishReason, 'abort');
    assert.ok(r.aborted.tokens >= 1 && r.aborted.tokens < 120, `${r.aborted.tokens} tokens before the abort took`);
    assert.equal(r.again, env.reference.generated_text);
    assert.deepEqual(r.cached, ['stories260K-f32.gguf']);
});

test('Q4_0 in the relaxed-SIMD build (i8 dot products, prefill by gemm): greedy text equals llama.cpp', T, async () => {
    const r = await inPage(env.isolated, greedyScenario,
        { hubUrl: env.hub.url, prompt: env.referenceQ4_0.prompt, file: 'stories260K-Q4_0.gguf' });
    assert.equal(r.simd, 'relaxed');
    assert.equal(r.greedy, env.referenceQ4_0.generated_text);
    assert.equal(r.again, env.referenceQ4_0.generated_text);
});

test('page without cross-origin isolation: one thread (st build), same text', T, async () => {
    const r = await inPage(env.plain, greedyScenario, { hubUrl: env.hub.url, prompt: env.reference.prompt });
    assert.equal(r.isolated, false);
    assert.equal(r.variant, 'st');
    assert.equal(r.simd, 'relaxed');
    assert.equal(r.threads, 1);
    assert.equal(r.greedy, env.reference.generated_text);
    assert.equal(r.aborted.finishReason, 'abort');
    assert.equal(r.again, env.reference.generated_text);
});

test('chat completions with the model template, streaming, and a follow-up turn reusing the KV cache', T, async () => {
    const r = await inPage(env.isolated, async ({ hubUrl }) => {
        const { createEngine } = await import('/js/index.mjs');
        const engine = createEngine();
        const info = await engine.load({ repo: 'test/chat', file: 'stories260K-chat.gguf', hubUrl });
        const render = (messages) => messages.map((m) => `${m.role}:${m.content}\n`).join('') + 'assistant:';
        const turn1 = [{ role: 'user', content: 'Tell me a story about a dog.' }];
        const stream = await engine.chat.completions.create({ messages: turn1, stream: true, max_tokens: 16, temperature: 0 });
        const chunks = [];
        for await (const chunk of stream) chunks.push(chunk);
        const content = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
        const generated = (await stream.result).tokens;
        const turn2 = [...turn1, { role: 'assistant', content }, { role: 'user', content: 'And then?' }];
        const follow = await engine.chat.completions.create({ messages: turn2, max_tokens: 8, temperature: 0 });
        const prompt1 = await engine.tokenize(render(turn1));
        const prompt2 = await engine.tokenize(render(turn2));
        const held = [...prompt1, ...generated.slice(0, -1)]; // the last reply token was never evaluated
        let shared = 0;
        while (shared < held.length && held[shared] === prompt2[shared]) shared++;
        await engine.dispose();
        return {
            template: info.chat_template,
            firstRole: chunks[0].choices[0].delta.role,
            content,
            lastChunk: chunks.at(-1),
            prompt1: prompt1.length,
            prompt2: prompt2.length,
            shared,
            follow: { usage: follow.usage, timings: follow.timings, content: follow.choices[0].message.content },
        };
    }, { hubUrl: env.hub.url });
    assert.match(r.template, /add_generation_prompt/);
    assert.equal(r.firstRole, 'assistant');
    assert.ok(r.content.length > 0);
    assert.ok(['stop', 'length'].includes(r.lastChunk.choices[0].finish_reason));
    assert.equal(r.lastChunk.usage.prompt_tokens, r.prompt1);
    assert.ok(r.shared >= r.prompt1, `turn 1's whole prompt is reused (${r.shared} of ${r.prompt1})`);
    assert.equal(r.follow.usage.prompt_tokens, r.prompt2);
    assert.equal(r.follow.usage.prompt_tokens_details.cached_tokens, r.shared);
    assert.equal(r.follow.usage.prompt_tokens_evaluated, r.prompt2 - r.shared);
    assert.equal(r.follow.timings.prompt_n, r.prompt2 - r.shared);
});

test('a cached model loads again with the Hub unreachable', T, async () => {
    const { page, context, log } = await openPage(env, env.isolated);
    const load = ({ hubUrl, prompt }) => (async () => {
        const { createEngine } = await import('/js/index.mjs');
        const engine = createEngine();
        try {
            await engine.load({ repo: 'local/stories260K', file: 'stories260K-f32.gguf', hubUrl });
            let text = '';
            for await (const item of engine.generate(prompt, { maxTokens: 64, temperature: 0 })) text += item.text;
            return text;
        } finally {
            await engine.dispose();
        }
    })();
    const arg = { hubUrl: env.hub.url, prompt: env.reference.prompt };
    try {
        assert.equal(await page.evaluate(load, arg), env.reference.generated_text);
        env.hub.setFaults([{ type: 'down', on: 'any' }]);
        env.hub.clearLog();
        assert.equal(await page.evaluate(load, arg), env.reference.generated_text);
        assert.deepEqual(env.hub.log.filter((e) => e.kind !== 'other'), []);
    } catch (err) {
        err.message += `\n--- page console ---\n${log.join('\n')}`;
        throw err;
    } finally {
        env.hub.reset();
        await context.close();
    }
});

test('a File the user picked is read into the engine directly, not cached', T, async () => {
    const r = await inPage(env.isolated, async ({ url, prompt }) => {
        const { createEngine, listCachedModels } = await import('/js/index.mjs');
        const bytes = await (await fetch(url)).arrayBuffer();
        const engine = createEngine();
        const info = await engine.load(new File([bytes], 'picked.gguf'));
        let text = '';
        for await (const item of engine.generate(prompt, { maxTokens: 64, temperature: 0 })) text += item.text;
        await engine.dispose();
        return { source: info.source, text, cached: (await listCachedModels()).length };
    }, { url: `${env.hub.url}/local/stories260K/resolve/main/stories260K-f32.gguf`, prompt: env.reference.prompt });
    assert.equal(r.source, 'picked.gguf');
    assert.equal(r.text, env.reference.generated_text);
    assert.equal(r.cached, 0);
});

test('a model over the memory limit is refused before its download', T, async () => {
    env.hub.clearLog();
    const r = await inPage(env.isolated, async ({ hubUrl }) => {
        const { createEngine, listCachedModels } = await import('/js/index.mjs');
        const engine = createEngine({ maxMemoryBytes: 100_000 });
        let error;
        try {
            await engine.load({ repo: 'local/stories260K', file: 'stories260K-f32.gguf', hubUrl });
        } catch (err) {
            error = { code: err.code, message: err.message };
        }
        const cached = await listCachedModels();
        await engine.dispose();
        return { error, cached: cached.length };
    }, { hubUrl: env.hub.url });
    assert.equal(r.error?.code, 'MEMORY_LIMIT');
    assert.match(r.error.message, /\(\d+ bytes\) of memory/);
    assert.match(r.error.message, /100000 bytes/);
    assert.equal(r.cached, 0);
    // Only Range reads of the header reached the file, never a whole-file download.
    const bodyReads = env.hub.log.filter((e) => e.kind === 'cdn' && e.method === 'GET' && !e.range);
    assert.deepEqual(bodyReads, []);
});

test('a crashing worker rejects pending and later calls instead of hanging', T, async () => {
    const r = await inPage(env.isolated, async () => {
        const { createEngine } = await import('/js/index.mjs');
        const engine = createEngine({ workerUrl: '/tests/browser/fixtures/dying-worker.mjs' });
        const hang = new Promise((resolve) => setTimeout(() => resolve('hang'), 15_000));
        const outcome = (p) => Promise.race([p.then(() => 'resolved', (err) => err.message), hang]);
        const first = await outcome(engine.info());
        const later = await outcome(engine.generate('x').result);
        return { first, later };
    });
    assert.match(r.first, /simulated worker crash/);
    assert.match(r.later, /simulated worker crash/);
});
