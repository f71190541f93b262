// The JavaScript CLI against the native one: same flags, same JSON (ids and text equal; logits
// within the small differences SIMD summation order makes; info byte for byte).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { JS_CLI, NATIVE_CLI, nativeCliAvailable, sharedPath, STORIES_F32 } from './helpers/shared.mjs';

const run = promisify(execFile);
const skip = nativeCliAvailable() ? false : `no native CLI at ${NATIVE_CLI} (build it first)`;

async function both(args) {
    const [native, wasm] = await Promise.all([run(NATIVE_CLI, args), run(process.execPath, [JS_CLI, ...args])]);
    return { native: native.stdout, wasm: wasm.stdout };
}

const SYNTH_Q4K = sharedPath('models/synthetic/synth-qwen2-bpe1k-Q4_K.gguf');
const SYNTH_SPM_Q8 = sharedPath('models/synthetic/synth-llama-spm512-Q8_0.gguf');
const STORIES_Q4_0 = sharedPath('models/stories260K/stories260K-Q4_0.gguf');
// Node 20 runs the relaxed-SIMD builds only behind a flag, and right only in its optimising compiler.
const RELAXED_NODE = ['--experimental-wasm-relaxed-simd', '--no-liftoff'];

const RUNS = [
    ['stories260K F32, greedy, mt 2 threads', ['-m', STORIES_F32, '-p', 'Once upon a time', '-n', '48', '--temp', '0', '-t', '2']],
    ['stories260K F32, sampled with a seed, st', ['-m', STORIES_F32, '-p', 'The cat', '-n', '32', '--temp', '0.8',
        '--top-k', '40', '--top-p', '0.9', '--seed', '7', '--repeat-penalty', '1.1', '--variant', 'st']],
    ['synthetic qwen2 Q4_K, greedy, F32 KV', ['-m', SYNTH_Q4K, '-p', 'Hello, world! 1234', '-n', '24', '--temp', '0',
        '--kv', 'f32', '--ignore-eos']],
    // the relaxed-SIMD builds (i8 dot products), prefill through their gemm
    ['stories260K Q4_0, greedy, mt-relaxed 2 threads', ['-m', STORIES_Q4_0, '-p', 'Once upon a time there was', '-n', '40',
        '--temp', '0', '-t', '2', '--simd', 'relaxed']],
    ['synthetic llama Q8_0, greedy, st-relaxed', ['-m', SYNTH_SPM_Q8, '-p', 'Hello, world! 1234', '-n', '24', '--temp', '0',
        '--ignore-eos', '--variant', 'st', '--simd', 'relaxed']],
];

// The JavaScript CLI's own flags, which the native one does not have.
const JS_ONLY = new Set(['--variant', '--simd']);

for (const [name, args] of RUNS) {
    test(`run --json: ${name}`, { skip }, async () => {
        const nativeArgs = args.filter((a, i) => !JS_ONLY.has(a) && !JS_ONLY.has(args[i - 1]));
        const nodeFlags = args.includes('relaxed') ? RELAXED_NODE : [];
        const [native, wasm] = await Promise.all([
            run(NATIVE_CLI, ['run', ...nativeArgs, '--json']),
            run(process.execPath, [...nodeFlags, JS_CLI, 'run', ...args, '--json']),
        ]);
        const n = JSON.parse(native.stdout);
        const w = JSON.parse(wasm.stdout);
        assert.deepEqual(Object.keys(w), Object.keys(n));
        assert.deepEqual(w.prompt_ids, n.prompt_ids);
        assert.deepEqual(w.ids, n.ids);
        assert.equal(w.text, n.text);
        assert.deepEqual(w.top_after_prompt.map((t) => t.id).slice(0, 3), n.top_after_prompt.map((t) => t.id).slice(0, 3));
        const nativeLogit = new Map(n.top_after_prompt.map((t) => [t.id, t.logit]));
        for (const t of w.top_after_prompt) {
            if (nativeLogit.has(t.id)) assert.ok(Math.abs(t.logit - nativeLogit.get(t.id)) < 0.05, `logit of ${t.id}`);
        }
    });
}

test('tokenize --json is byte-identical (SPM and byte-level BPE, UTF-8 split across tokens)', { skip }, async () => {
    for (const model of [STORIES_F32, SYNTH_Q4K]) {
        const { native, wasm } = await both(['tokenize', '-m', model, '-p', 'Hello, world! 1234 ünïcödé 🙂 "quoted"\ttab', '--json']);
        assert.equal(wasm, native);
    }
});

test('info --json is byte-identical', { skip }, async () => {
    for (const model of [STORIES_F32, SYNTH_SPM_Q8]) {
        const { native, wasm } = await both(['info', '-m', model, '--ctx', '64', '--json']);
        assert.equal(wasm, native);
    }
});

test('bench --json has the native fields, positive rates, and the wasm memory size', async () => {
    const { stdout } = await run(process.execPath, [JS_CLI, 'bench', '-m', STORIES_F32, '--pp', '16', '--tg', '8', '--reps', '1', '-t', '2', '--json']);
    const b = JSON.parse(stdout);
    assert.deepEqual(Object.keys(b), ['type', 'threads', 'pp', 'tg', 'reps', 'load_ms', 'pp_tok_s', 'tg_tok_s', 'peak_rss_mb', 'kernels', 'variant', 'simd', 'wasm_heap_mb']);
    assert.equal(b.type, 'F32');
    assert.equal(b.threads, 2);
    assert.equal(b.variant, 'mt');
    assert.match(b.kernels, b.simd === 'relaxed' ? /^relaxed-simd, i(16|32) dots$/ : /^simd128$/);
    for (const key of ['load_ms', 'pp_tok_s', 'tg_tok_s', 'peak_rss_mb', 'wasm_heap_mb']) assert.ok(b[key] > 0, key);
});

test('errors: exit status and message as the native CLI gives them', async () => {
    await assert.rejects(run(process.execPath, [JS_CLI, 'run', '-m', '/nonexistent.gguf', '-p', 'x']),
        (err) => err.code === 1 && /hearth: \/nonexistent\.gguf: cannot open/.test(err.stderr));
    await assert.rejects(run(process.execPath, [JS_CLI, 'tokenize', '-m', STORIES_F32, '-p', 'x', '--bogus']),
        (err) => err.code === 2 && /unknown argument '--bogus'/.test(err.stderr));
    await assert.rejects(run(process.execPath, [JS_CLI, 'frobnicate']), (err) => err.code === 2);
});
