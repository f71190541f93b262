// The browser bench's module Worker: creates the engine, streams the model from `url` into it chunk
// by chunk (fetch body, never one whole buffer), then times prefill and decode with
// js/bench-speed.mjs, as `node js/cli.mjs bench` does.
import { EngineCore } from '../../js/core.mjs';
import { measureSpeed } from '../../js/bench-speed.mjs';

async function bench({ url, threads, ctx, pp, tg, reps, simd = 'auto' }) {
    if (threads > 1 && !crossOriginIsolated) throw new Error('page is not cross-origin isolated: no threads');
    const t0 = performance.now();
    // as the worker (worker/session.mjs) starts it: one pthread Worker per thread besides this one
    const core = await EngineCore.create({ nThreads: threads, nCtx: ctx, simd, poolSize: threads - 1 });
    const t1 = performance.now();
    try {
        // no-store, as the product's downloader (js/download.mjs) fetches (see browser.mjs for
        // the server's side of it)
        const response = await fetch(url, { cache: 'no-store' });
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        core.loadBegin(1);
        core.loadShardBegin(Number(response.headers.get('content-length')));
        // One 1 MiB buffer read into again and again (a BYOB reader hands it back each time), so
        // the download leaves no garbage behind, only what the engine holds.
        const reader = response.body.getReader({ mode: 'byob' });
        let buffer = new ArrayBuffer(1 << 20);
        let chunks = 0;
        for (;;) {
            const { value, done } = await reader.read(new Uint8Array(buffer));
            if (done) break;
            core.write(value);
            buffer = value.buffer;
            chunks++;
        }
        core.loadEnd();
        const t2 = performance.now();
        if (pp + tg > core.nCtx) throw new Error(`pp ${pp} + tg ${tg} exceed the context ${core.nCtx}`);
        // The page relays this to the bench, which stops sampling memory for the timed passes.
        const { ppTokS, tgTokS } = measureSpeed(core, { pp, tg, reps, onTimed: () => self.postMessage({ phase: 'timed' }) });
        const info = core.info();
        return {
            type: info.type, threads: info.n_threads, variant: core.variant, simd: core.simd, kernels: core.kernels, n_ctx: core.nCtx,
            kv_mb: info.memory.kv_cache / 1048576, init_ms: t1 - t0, load_ms: t2 - t1, chunks,
            pp_tok_s: ppTokS, tg_tok_s: tgTokS, wasm_heap_mb: core.memoryBytes / 1048576,
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
