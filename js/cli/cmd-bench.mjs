// bench: prefill (pp) and decode (tg) tokens/s as medians over repetitions after one untimed
// warm-up (js/bench-speed.mjs), load time and peak memory, as tools/cli/cmd_bench.c measures them.
// The JSON has the native fields (`kernels`: which ones computed, see EngineCore.kernels), then
// `variant`, `simd` and `wasm_heap_mb` (the WebAssembly memory size, which is what a browser tab
// holds; peak_rss_mb is the whole Node process).
import { loadModel, modelSpec } from './load-model.mjs';
import { UsageError } from './args.mjs';
import { double, toNativeJson } from './native-json.mjs';
import { measureSpeed } from '../bench-speed.mjs';

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
        const { ppTokS: ppMed, tgTokS: tgMed } = measureSpeed(core, { pp, tg, reps });
        const info = core.info();
        const peakRssMb = process.resourceUsage().maxRSS / 1024;
        const wasmHeapMb = core.memoryBytes / 1048576;
        if (json) {
            out.write(`${toNativeJson({
                type: info.type, threads: info.n_threads, pp, tg, reps,
                load_ms: double(loadMs), pp_tok_s: double(ppMed), tg_tok_s: double(tgMed), peak_rss_mb: double(peakRssMb),
                kernels: core.kernels, variant: core.variant, simd: core.simd, wasm_heap_mb: double(wasmHeapMb),
            })}\n`);
        } else {
            out.write(`type ${info.type}, ${info.n_threads} threads: load ${loadMs.toFixed(0)} ms, pp${pp} ${ppMed.toFixed(1)} tok/s, ` +
                `tg${tg} ${tgMed.toFixed(1)} tok/s (medians of ${reps}), peak RSS ${peakRssMb.toFixed(1)} MiB, ` +
                `${core.kernels} kernels, wasm ${core.variant} ${core.simd} heap ${wasmHeapMb.toFixed(1)} MiB\n`);
        }
        return 0;
    } finally {
        core.dispose();
    }
}
