// bench: prefill (pp) and decode (tg) tokens/s as medians over repetitions after one untimed
// warm-up, load time and peak memory, as tools/cli/cmd_bench.c measures them (same random tokens).
// The JSON has the native fields, then `variant` and `wasm_heap_mb` (the WebAssembly memory size,
// which is what a browser tab holds; peak_rss_mb is the whole Node process).
import { loadModel, modelSpec } from './load-model.mjs';
import { UsageError } from './args.mjs';
import { double, toNativeJson } from './native-json.mjs';

function median(values) {
    const v = [...values].sort((a, b) => a - b);
    const n = v.length;
    return n % 2 ? v[(n - 1) / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The native bench's prompt: a 64-bit LCG from seed 42, token = (state >> 33) % n_vocab.
export function benchTokens(count, nVocab) {
    const mask = (1n << 64n) - 1n;
    let state = 42n;
    const tokens = new Int32Array(count);
    for (let i = 0; i < count; i++) {
        state = (state * 6364136223846793005n + 1442695040888963407n) & mask;
        tokens[i] = Number((state >> 33n) % BigInt(nVocab));
    }
    return tokens;
}

export async function cmdBench(args, out) {
    const pp = args.int(null, '--pp', 64);
    const tg = args.int(null, '--tg', 32);
    const reps = args.int(null, '--reps', 3);
    const json = args.flag('--json');
    const spec = modelSpec(args);
    args.checkAllUsed();
    const { core, loadMs } = await loadModel(spec);
    try {
        if (pp < 1 || tg < 1 || reps < 1 || pp + tg > core.nCtx) {
            throw new UsageError(`--pp ${pp} + --tg ${tg} must fit the context of ${core.nCtx} (and reps >= 1)`);
        }
        const tokens = benchTokens(pp, core.nVocab);
        const ppRate = [];
        const tgRate = [];
        for (let rep = -1; rep < reps; rep++) {
            core.kvTruncate(0);
            const t0 = performance.now();
            core.eval(tokens);
            const t1 = performance.now();
            for (let i = 0; i < tg; i++) core.eval(tokens[0]);
            const t2 = performance.now();
            if (rep >= 0) {
                ppRate.push((pp * 1e3) / (t1 - t0));
                tgRate.push((tg * 1e3) / (t2 - t1));
            }
        }
        const info = core.info();
        const peakRssMb = process.resourceUsage().maxRSS / 1024;
        const wasmHeapMb = core.memoryBytes / 1048576;
        const ppMed = median(ppRate);
        const tgMed = median(tgRate);
        if (json) {
            out.write(`${toNativeJson({
                type: info.type, threads: info.n_threads, pp, tg, reps,
                load_ms: double(loadMs), pp_tok_s: double(ppMed), tg_tok_s: double(tgMed), peak_rss_mb: double(peakRssMb),
                variant: core.variant, wasm_heap_mb: double(wasmHeapMb),
            })}\n`);
        } else {
            out.write(`type ${info.type}, ${info.n_threads} threads: load ${loadMs.toFixed(0)} ms, pp${pp} ${ppMed.toFixed(1)} tok/s, ` +
                `tg${tg} ${tgMed.toFixed(1)} tok/s (medians of ${reps}), peak RSS ${peakRssMb.toFixed(1)} MiB, ` +
                `wasm ${core.variant} heap ${wasmHeapMb.toFixed(1)} MiB\n`);
        }
        return 0;
    } finally {
        core.dispose();
    }
}
