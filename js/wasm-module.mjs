// Finding, instantiating and sharing the engine's WebAssembly module (dist/wasm/hearth-{mt,st}, and
// hearth-{mt,st}-relaxed for engines with relaxed SIMD).
// Works the same in Node and in a (module) Web Worker; nothing here touches the DOM.
import { WasmHeap } from './wasm-heap.mjs';

// Must equal HEARTH_WASM_MAX_THREADS in wasm/CMakeLists.txt: the most threads an engine runs.
// The mt build starts its pthread workers up front (poolSize of them, default MAX_THREADS), and a
// thread asked for beyond them is refused rather than waited for.
export const MAX_THREADS = 8;

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

// Threads need SharedArrayBuffer, which a page only has when cross-origin isolated. Node has no
// isolation concept and always shares memory.
export function threadsAvailable() {
    if (typeof SharedArrayBuffer === 'undefined') return false;
    return isNode || globalThis.crossOriginIsolated === true;
}

export function resolveVariant(variant = 'auto') {
    if (variant === 'auto') return threadsAvailable() ? 'mt' : 'st';
    if (variant !== 'mt' && variant !== 'st') throw new TypeError(`variant must be 'auto', 'mt' or 'st', not '${variant}'`);
    if (variant === 'mt' && !threadsAvailable()) {
        throw new Error('the threaded engine needs SharedArrayBuffer (a cross-origin isolated page)');
    }
    return variant;
}

// A one-function module using i32x4.relaxed_dot_i8x16_i7x16_add_s: it validates exactly where the
// engine has relaxed SIMD (Chromium 114+, Firefox 145+; not Safari), whose i8 dot product and fused
// multiply-add the -relaxed builds use.
const RELAXED_PROBE = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0,
    10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 147, 2, 11,
]);

export function relaxedSimdAvailable() {
    if (!WebAssembly.validate(RELAXED_PROBE)) return false;
    // Node 20's V8 (11.3) has it only behind --experimental-wasm-relaxed-simd, and there its baseline
    // compiler gets the dot product wrong (the optimising one is right: run with --no-liftoff). Node
    // is given the relaxed build only when asked for it by name.
    return !isNode;
}

// 'relaxed' or 'simd128' (every engine with WebAssembly SIMD).
export function resolveSimd(simd = 'auto') {
    if (simd === 'auto') return relaxedSimdAvailable() ? 'relaxed' : 'simd128';
    if (simd !== 'relaxed' && simd !== 'simd128') throw new TypeError(`simd must be 'auto', 'relaxed' or 'simd128', not '${simd}'`);
    if (simd === 'relaxed' && !WebAssembly.validate(RELAXED_PROBE)) {
        throw new Error('this WebAssembly engine has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd --no-liftoff)');
    }
    return simd;
}

function buildName(variant, simd) {
    return `hearth-${variant}${simd === 'relaxed' ? '-relaxed' : ''}`;
}

// Where the built files live by default: dist/wasm next to js/.
function defaultLocate(name) {
    return new URL(`../dist/wasm/${name}`, import.meta.url).href;
}

// One module per variant, location and pool size: a module is large, and the mt one starts its
// worker pool when instantiated. Engines share it (each hearth_create lives in the same memory).
const runtimes = new Map();

// Resolves to {variant, simd, module (the Emscripten module), heap (WasmHeap), maxThreads}.
// locateFile(name) gives the URL (or, in Node, a path) of each built file:
// hearth-{mt,st}[-relaxed].{mjs,wasm}, hearth-mt[-relaxed].worker.js. poolSize: the pthread workers
// the mt build starts (each an idle Worker of a few MiB; 1 to MAX_THREADS); engines of this module then run at most
// poolSize + 1 threads in all (the calling thread computes too).
export function loadHearthModule({ variant = 'auto', simd = 'auto', locateFile, poolSize = MAX_THREADS } = {}) {
    const chosen = resolveVariant(variant);
    const chosenSimd = resolveSimd(simd);
    const name = buildName(chosen, chosenSimd);
    const locate = locateFile ?? defaultLocate;
    const factoryUrl = String(locate(`${name}.mjs`, ''));
    // At least one: Emscripten 3.1.6 waits for every pool worker to load the module before it
    // resolves, and with none it never resolves.
    const pool = chosen === 'mt' ? Math.max(1, Math.min(Math.floor(poolSize), MAX_THREADS)) : 0;
    const key = `${name} ${factoryUrl} ${pool}`;
    if (!runtimes.has(key)) {
        const pending = instantiate(key, chosen, chosenSimd, name, factoryUrl, locate, locateFile, pool);
        runtimes.set(key, pending);
        // A failed start is not cached: the next call tries again (e.g. after a network error).
        pending.catch(() => runtimes.delete(key));
    }
    return runtimes.get(key);
}

// Any module already started (estimates do not care which), else the single-threaded one, the
// cheapest to start.
export function loadAnyHearthModule({ locateFile } = {}) {
    if (!locateFile && runtimes.size > 0) return runtimes.values().next().value;
    return loadHearthModule({ variant: 'st', locateFile });
}

// After a trap (out-of-bounds access, abort) nothing in the module's memory can be trusted: the
// next loadHearthModule starts a fresh one.
export function forgetRuntime(runtime) {
    if (runtime.forgotten) return; // a newer runtime may already sit under the same key
    runtime.forgotten = true;
    runtimes.delete(runtime.key);
}

async function instantiate(key, variant, simd, name, factoryUrl, locate, locateFile, poolSize) {
    const { default: createHearthModule } = await import(factoryUrl);
    const settings = { hearthPoolSize: poolSize }; // read by the mt build's PTHREAD_POOL_SIZE
    // Only a caller's own locateFile is passed on: without one, Emscripten finds the .wasm and the
    // pthread worker script next to the factory through import.meta.url.
    if (locateFile) settings.locateFile = locateFile;
    if (isNode) {
        // Emscripten 3.1.6 cannot read a file: URL under Node; hand it the bytes instead.
        const { readFile } = await import('node:fs/promises');
        const where = String(locate(`${name}.wasm`, ''));
        settings.wasmBinary = await readFile(where.startsWith('file:') ? new URL(where) : where);
    }
    const module = await createHearthModule(settings);
    if (isNode && module.PThread) {
        // Idle pool workers would keep Node alive forever; the process may end whenever its own
        // work is done (a running engine call blocks the main thread anyway).
        for (const worker of [...module.PThread.unusedWorkers, ...module.PThread.runningWorkers]) worker.unref();
    }
    const maxThreads = variant === 'mt' ? Math.min(MAX_THREADS, poolSize + 1) : 1;
    return { key, variant, simd, module, heap: new WasmHeap(module), maxThreads };
}
