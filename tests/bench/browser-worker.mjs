// The browser bench's module Worker: creates the engine, streams the model from `url` into it chunk
// by chunk (fetch body, never one whole buffer), then times prefill and decode exactly as
// js/cli/cmd-bench.mjs does (one untimed warm-up pass, then `reps` timed ones; medians).
import { EngineCore } from '../../js/core.mjs';

const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    const n = s.length;
    return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
};

// The native bench's prompt: a 64-bit LCG from seed 42, token = (state >> 33) % n_vocab.
function benchTokens(count, nVocab) {
    const mask = (1n << 64n) - 1n;
    let state = 42n;
    const tokens = new Int32Array(count);
    for (let i = 0; i < count; i++) {
        state = (state * 6364136223846793005n + 1442695040888963407n) & mask;
        tokens[i] = Number((state >> 33n) % BigInt(nVocab));
    }
    return tokens;
}

async function bench({ url, threads, ctx, pp, tg, reps }) {
    if (threads > 1 && !crossOriginIsolated) throw new Error('page is not cross-origin isolated: no threads');
    const t0 = performance.now();
    const core = await EngineCore.create({ nThreads: threads, nCtx: ctx });
    const t1 = performance.now();
    try {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        core.loadBegin(1);
        core.loadShardBegin(Number(response.headers.get('content-length')));
        const reader = response.body.getReader();
        let chunks = 0;
        for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            core.write(value);
            chunks++;
        }
        core.loadEnd();
        const t2 = performance.now();
        if (pp + tg > core.nCtx) throw new Error(`pp ${pp} + tg ${tg} exceed the context ${core.nCtx}`);
        const tokens = benchTokens(pp, core.nVocab);
        const ppRate = [];
        const tgRate = [];
        for (let rep = -1; rep < reps; rep++) { // rep -1: warm-up (V8 tiers wasm up in the background)
            core.kvTruncate(0);
            const a = performance.now();
            core.eval(tokens);
            const b = performance.now();
            for (let i = 0; i < tg; i++) core.eval(tokens[0]);
            const c = performance.now();
            if (rep >= 0) {
                ppRate.push((pp * 1e3) / (b - a));
                tgRate.push((tg * 1e3) / (c - b));
            }
        }
        const info = core.info();
        return {
            type: info.type, threads: info.n_threads, variant: core.variant, n_ctx: core.nCtx,
            kv_mb: info.memory.kv_cache / 1048576, init_ms: t1 - t0, load_ms: t2 - t1, chunks,
            pp_tok_s: median(ppRate), tg_tok_s: median(tgRate), wasm_heap_mb: core.memoryBytes / 1048576,
        };
    } finally {
        core.dispose();
    }
}

self.onmessage = async ({ data }) => {
    try {
        self.postMessage({ result: await bench(data) });
    } catch (err) {
        self.postMessage({ error: String(err?.stack ?? err) });
    }
};
