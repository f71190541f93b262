// Hostile inputs through the public API (engine in a worker_threads Worker): chat templates
// that come with a model file and try to reach JavaScript globals or run code, templates that
// loop forever or render without end, and models whose KV cache cannot fit the 4 GiB wasm heap.
// Each must end in a clear error (or a harmless render), and the engine must work right after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../js/index.mjs';
import { EngineCore, loadHearthModule } from '../../js/core.mjs';
import { loadModelFile } from '../../js/node-file.mjs';
import { renderChat } from '../../worker/chat-template.mjs';
import { writeModelWithTemplate } from '../fixtures/gguf-with-template.mjs';
import { NATIVE_CLI, nativeCliAvailable, STORIES_F32 } from './helpers/shared.mjs';

const T = { timeout: 60_000 };
const TEMPLATE = "{% for m in messages %}{{ m.role }}:{{ m.content }}\n{% endfor %}" +
    "{% if add_generation_prompt %}assistant:{% endif %}";
const MESSAGES = [{ role: 'user', content: 'Tell me a story.' }];
const RENDERED = 'user:Tell me a story.\nassistant:';

let tmp;
let canary; // a file the hostile code would write: the template runs in another thread
let engine;
let modelCount = 0;

before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hearth-hardening-'));
    canary = join(tmp, 'canary');
    engine = createEngine({ threads: 1 });
});

after(async () => {
    await engine?.dispose();
    await rm(tmp, { recursive: true, force: true });
});

async function modelWith(template) {
    const path = join(tmp, `chat-${modelCount++}.gguf`);
    await writeModelWithTemplate(STORIES_F32, path, template);
    return path;
}

const chat = (e, max = 4) => e.chat.completions.create({ messages: MESSAGES, max_tokens: max, temperature: 0 });

// A normal chat with a normal template model: the worker is still fine.
async function assertUsable(e) {
    await e.load(await modelWith(TEMPLATE));
    const reply = await chat(e);
    assert.equal(reply.usage.prompt_tokens, (await e.tokenize(RENDERED)).length);
    assert.ok(reply.choices[0].message.content.length > 0);
}

// ---- templates reaching for globals ----

// JavaScript that would leave a trace in this thread (globalThis) and across threads (a file).
const PAYLOAD = `globalThis.HEARTH_CANARY = 1; process.getBuiltinModule('fs').writeFileSync('${'CANARY'}', 'pwned')`;
const HOSTILE = [
    "constructor.constructor(CODE)()",
    "''.constructor.constructor(CODE)()",
    "''.__proto__",
    "''.__class__.__mro__[1].__subclasses__()",
    "self",
    "self.__init__.__globals__.__builtins__",
    "messages.constructor",
    "messages[0].content.constructor.constructor(CODE)()",
    "messages['constructor']['constructor'](CODE)()",
    "(messages|map(attribute='constructor')|first).constructor(CODE)()",
    "range.constructor(CODE)()",
    "raise_exception.constructor(CODE)()",
    "namespace.constructor(CODE)()",
    "namespace(a=1).constructor.constructor(CODE)()",
    "namespace(a=1).__proto__",
    "cycler('a', 'b').next()",
    "cycler.constructor(CODE)()",
    "joiner(',')()",
    "lipsum.__globals__['os'].popen('id').read()",
    "process ~ globalThis ~ require ~ window ~ config ~ request",
];

function hostileTemplates() {
    const p = JSON.stringify(PAYLOAD.replace('CANARY', canary)); // a Jinja string literal too
    return HOSTILE.map((expr) => `[{{ ${expr.replaceAll('CODE', p)} }}]` + TEMPLATE);
}

// Either a clear render error or the hostile part rendering as nothing.
const clearTemplateError = (err) => /^chat template (failed to render|does not parse): /.test(err.message);

test('hostile templates run no code and reach no globals, in this thread', T, async () => {
    for (const template of hostileTemplates()) {
        try {
            const { text } = await renderChat({ template, messages: MESSAGES, specialTokens: {} });
            assert.equal(text, '[]' + RENDERED, template);
        } catch (err) {
            assert.ok(clearTemplateError(err), `${template}: ${err.message}`);
        }
    }
    assert.equal(globalThis.HEARTH_CANARY, undefined);
    assert.equal(existsSync(canary), false);
});

test('hostile templates in a model file run no code and reach no globals, in the worker', T, async () => {
    let rendered = 0;
    for (const template of hostileTemplates()) {
        await engine.load(await modelWith(template));
        try {
            const reply = await chat(engine, 1);
            assert.equal(reply.usage.prompt_tokens, (await engine.tokenize('[]' + RENDERED)).length, template);
            rendered++;
        } catch (err) {
            assert.ok(clearTemplateError(err), `${template}: ${err.message}`);
        }
    }
    assert.ok(rendered > 0 && rendered < HOSTILE.length, `${rendered} rendered harmlessly, the rest failed`);
    assert.equal(existsSync(canary), false, 'the payload wrote its file');
    assert.equal(globalThis.HEARTH_CANARY, undefined);
    await assertUsable(engine);
});

// ---- templates that never end ----

const RUNAWAY = [
    ['a 10^8 range', '{% for i in range(100000000) %}x{% endfor %}', /range\(\) of 100000000 items/],
    ['nested loops', '{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}',
        /took more than \d+ ms/],
    ['a list doubled in a loop', '{% set ns = namespace(l=[0]) %}{% for i in range(64) %}' +
        '{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}', /list or dict of more than/],
    ['a text doubled in a loop', "{% set ns = namespace(s='x') %}{% for i in range(64) %}" +
        '{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}', /text of more than/],
    ['a huge output', "{% set s = 'x'|indent(1000000, true) %}{% for i in range(100000) %}{{ s }}{% endfor %}",
        /failed to render/],
];

for (const [name, template, message] of RUNAWAY) {
    test(`a template with ${name} fails within seconds, and the next chat works`, T, async () => {
        await engine.load(await modelWith(template + TEMPLATE));
        const started = Date.now();
        await assert.rejects(chat(engine), (err) => clearTemplateError(err) && message.test(err.message));
        const ms = Date.now() - started;
        assert.ok(ms < 5000, `failed after ${ms} ms`);
        await assertUsable(engine);
    });
}

// ---- a KV cache the 4 GiB heap cannot hold ----
// Synthetic models (random weights, a 1,000,000-token training context, files of a few MB):
// "huge" needs 16384 bytes of F16 KV cache per position, "small" 256.

const skip = nativeCliAvailable() ? false : `no native CLI at ${NATIVE_CLI} (it makes the synthetic models)`;
const HUGE_SHAPE = ['--dim', '256', '--layers', '16', '--ffn', '256', '--heads', '4', '--kv-heads', '4'];
const SMALL_SHAPE = ['--dim', '64', '--layers', '1', '--ffn', '64', '--heads', '1', '--kv-heads', '1'];

function synth(name, shape) {
    const path = join(tmp, name);
    if (!existsSync(path)) {
        execFileSync(NATIVE_CLI, ['synth', '--arch', 'llama', ...shape, '--vocab', '512', '--ctx', '1000000',
            '--type', 'Q4_0', '-o', path], { stdio: 'ignore', timeout: 30_000 });
    }
    return path;
}

test('a context whose KV cache needs more than 4 GiB is refused before loading; the worker goes on', { ...T, skip },
    async () => {
        // 262000 positions: 4.29e9 bytes of KV cache, just past 4 GiB with the weights.
        const big = createEngine({ threads: 1, contextLength: 262000 });
        try {
            await assert.rejects(big.load(synth('huge.gguf', HUGE_SHAPE)), (err) => err.code === 'MEMORY_LIMIT' &&
                /needs .* of memory, more than the 4\.00 GiB/.test(err.message));
            await assert.rejects(big.info(), /no model loaded/);
            // The same worker, the same context length, a model that fits: it loads and generates.
            const info = await big.load(synth('small.gguf', SMALL_SHAPE));
            assert.equal(info.context, 262000);
            const result = await big.generate('Once upon a time', { maxTokens: 4, temperature: 0 }).result;
            assert.equal(result.completionTokens, 4);
        } finally {
            await big.dispose();
        }
    });

test('the engine reports wasm memory running out for the KV cache, then loads a normal model', { ...T, skip },
    async () => {
        // The engine's own allocation failing, without the worker's check before loading. Most of
        // the heap is taken first (untouched pages cost no RAM), so the KV cache (1.6 GB) cannot fit.
        const { module } = await loadHearthModule({ variant: 'st' });
        const filler = [1, 1, 1, 0.5].map((g) => module._malloc(g * 2 ** 30) >>> 0);
        assert.ok(filler.every((p) => p !== 0));
        try {
            const core = await EngineCore.create({ variant: 'st', nCtx: 100_000 });
            try {
                await assert.rejects(loadModelFile(core, synth('huge.gguf', HUGE_SHAPE)),
                    /out of memory for the KV cache \(1562\.5 MiB for 100000 positions\)/);
                assert.throws(() => core.info(), /no model loaded/);
            } finally {
                core.dispose();
            }
        } finally {
            for (const p of filler) module._free(p);
        }
        const core = await EngineCore.create({ variant: 'st' });
        try {
            await loadModelFile(core, STORIES_F32);
            core.eval(core.tokenize('Once upon a time'));
            const logits = core.logits();
            assert.equal(logits.indexOf(Math.max(...logits)), 432);
        } finally {
            core.dispose();
        }
    });

// 262144 positions of 16384 bytes are exactly 2^32 bytes of KV cache: a size computed in 32-bit
// size_t would wrap to 0 and the first generate would write out of bounds. The engine computes
// sizes in 64 bits and refuses what does not fit.
test('a KV cache whose byte size overflows 32 bits is refused', { ...T, skip }, async () => {
    const big = createEngine({ threads: 1, contextLength: 262144 });
    try {
        await assert.rejects(big.load(synth('huge.gguf', HUGE_SHAPE)),
            (err) => err.code === 'MEMORY_LIMIT' || /out of memory/.test(err.message));
    } finally {
        await big.dispose();
    }
    await assertUsable(engine);
});
