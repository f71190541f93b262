// The CLI's engine: options from -t/--ctx/--batch/--kv (and --variant / --simd, which only this CLI has),
// and the model file streamed in from disk.
import { EngineCore } from '../core.mjs';
import { loadModelFile } from '../node-file.mjs';
import { UsageError } from './args.mjs';

export function engineOptions(args) {
    const kv = args.str(null, '--kv') ?? 'f16';
    if (kv !== 'f16' && kv !== 'f32') throw new UsageError(`--kv is f16 or f32, not '${kv}'`);
    // Out-of-range counts fall back as hearth_create does.
    const threads = args.int('-t', '--threads', 1);
    const batch = args.int(null, '--batch', 64);
    return {
        nThreads: threads >= 1 ? threads : 1,
        nCtx: args.int(null, '--ctx', 0),
        nBatch: batch >= 1 ? batch : 64,
        kvType: kv,
        variant: args.str(null, '--variant') ?? 'auto',
        simd: args.str(null, '--simd') ?? 'auto',
    };
}

// What -m and the engine flags ask for; read before anything is loaded, so that an unknown flag is
// reported without waiting for a load.
export function modelSpec(args) {
    return { path: args.require('-m', '--model'), options: engineOptions(args) };
}

// Returns {core, loadMs}; a failed load is reported as "PATH: message".
export async function loadModel({ path, options }) {
    const core = await EngineCore.create(options);
    const t0 = performance.now();
    try {
        await loadModelFile(core, path);
    } catch (err) {
        core.dispose();
        throw new Error(`${path}: ${err.message}`);
    }
    return { core, loadMs: performance.now() - t0 };
}
