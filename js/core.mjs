// The engine as JavaScript sees it: one hearth_engine in the WebAssembly module, with the model
// streamed in chunk by chunk. Used the same way by Node (tests, js/cli.mjs) and by the Web Worker;
// nothing here touches the DOM. Every failing call throws an Error carrying the engine's message.
import { loadHearthModule, loadAnyHearthModule, forgetRuntime, MAX_THREADS } from './wasm-module.mjs';
import { WasmHeap } from './wasm-heap.mjs';
import { Sampler } from './sampler.mjs';
import { TextStream } from './text-stream.mjs';

export { loadHearthModule, MAX_THREADS };

const KV_TYPES = { f16: 0, f32: 1 };
const SMALL_PIECE = 64; // most token pieces fit; longer ones get a second call with the exact size

function isTrap(err) {
    return (typeof WebAssembly !== 'undefined' && err instanceof WebAssembly.RuntimeError) || err?.name === 'RuntimeError';
}

function checkInt(name, v, min) {
    if (!Number.isInteger(v) || v < min) throw new TypeError(`${name} must be an integer >= ${min}, got ${v}`);
    return v;
}

// Any chunk a source may hand over, as bytes (no copy).
function asBytes(chunk) {
    if (chunk instanceof Uint8Array) return chunk;
    if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (chunk instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && chunk instanceof SharedArrayBuffer)) {
        return new Uint8Array(chunk);
    }
    throw new TypeError('write() takes a Uint8Array (or another ArrayBuffer view)');
}

export class EngineCore {
    #runtime;
    #m; // the Emscripten module: its _hearth_* functions
    #heap;
    #ptr; // hearth_engine *
    #threads;
    #scratch = 0; // a reusable buffer for call arguments (ids, text, size_t out-parameters)
    #scratchSize = 0;
    #children = new Set(); // samplers and text streams, freed with the engine
    #owner; // what children may ask of the engine

    // Use EngineCore.create.
    constructor(runtime, ptr, threads) {
        this.#runtime = runtime;
        this.#m = runtime.module;
        this.#heap = runtime.heap;
        this.#ptr = ptr;
        this.#threads = threads;
        const core = this;
        this.#owner = {
            logitsPtr: () => core.#logitsPtr(),
            get nVocab() { return core.nVocab; },
            release: (child) => core.#children.delete(child),
        };
    }

    // nThreads is capped at what the build has (MAX_THREADS for 'mt', 1 for 'st'); nCtx 0 = the
    // model's maximum (capped at 4096).
    // simd: 'auto' (relaxed SIMD where the engine validates it), 'relaxed' or 'simd128'. poolSize:
    // see loadHearthModule (default: room for MAX_THREADS).
    static async create({ nThreads = 1, nCtx = 0, nBatch = 64, kvType = 'f16', variant = 'auto', simd = 'auto', poolSize,
        locateFile } = {}) {
        checkInt('nThreads', nThreads, 1);
        checkInt('nCtx', nCtx, 0);
        checkInt('nBatch', nBatch, 1);
        if (!Object.hasOwn(KV_TYPES, kvType)) throw new TypeError(`kvType must be 'f16' or 'f32', not '${kvType}'`);
        const runtime = await loadHearthModule({ variant, simd, poolSize, locateFile });
        const threads = Math.min(nThreads, runtime.maxThreads);
        const ptr = runtime.module._hearth_wasm_create(threads, nCtx, nBatch, KV_TYPES[kvType]) >>> 0;
        if (!ptr) throw new Error('could not create the engine (out of WebAssembly memory)');
        return new EngineCore(runtime, ptr, threads);
    }

    // What a model needs (parsed hearth_estimate_json), from the first bytes of its file:
    // the model facts and memory estimate, {need_bytes} when the header is longer, or {error}.
    static async estimate(headerU8, fileSize, nCtx = 0, options = {}) {
        return JSON.parse(await EngineCore.estimateJson(headerU8, fileSize, nCtx, options));
    }

    // The engine's JSON text itself (the CLI prints it unchanged). Without options.variant any
    // module already started is used: an estimate does not depend on threads.
    static async estimateJson(headerU8, fileSize, nCtx = 0, { variant, simd, poolSize, locateFile } = {}) {
        const header = asBytes(headerU8);
        checkInt('nCtx', nCtx, 0);
        if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw new TypeError('fileSize must be a byte count');
        const runtime = await (variant ? loadHearthModule({ variant, simd, poolSize, locateFile }) : loadAnyHearthModule({ locateFile }));
        const heap = runtime.heap;
        const ptr = heap.malloc(header.length);
        try {
            heap.u8().set(header, ptr);
            const json = runtime.module._hearth_wasm_estimate_json(ptr, header.length, fileSize, nCtx) >>> 0;
            if (!json) throw new Error('out of WebAssembly memory while estimating');
            return heap.takeCString(json);
        } finally {
            heap.free(ptr);
        }
    }

    get variant() { return this.#runtime.variant; }
    get simd() { return this.#runtime.simd; }
    // Which kernels compute: 'reference', 'simd128', 'relaxed-simd, i32 dots' or 'relaxed-simd, i16
    // dots' (hearth_kernels: the int8 dot the first use timed faster on this CPU).
    get kernels() { return this.#heap.cString(this.#m._hearth_kernels() >>> 0); }

    // The WebAssembly memory's size in bytes: what the module (all its engines) holds. Memory never
    // shrinks, so this is also its peak.
    get memoryBytes() { return this.#heap.buffer.byteLength; }

    // ---- loading ----

    loadBegin(nShards = 1) {
        checkInt('nShards', nShards, 1);
        this.#check(this.#call(() => this.#m._hearth_load_begin(this.#live(), nShards)), 'load_begin failed');
    }

    loadShardBegin(size) {
        if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('shard size must be a byte count');
        this.#check(this.#call(() => this.#m._hearth_wasm_load_shard_begin(this.#live(), size)), 'load_shard_begin failed');
    }

    // Copies the chunk straight into the engine's memory where the loader wants it (the model is
    // never held whole in JavaScript). The loader may offer less room than asked: loop.
    write(chunk) {
        const bytes = asBytes(chunk);
        const engine = this.#live();
        const capacityPtr = this.#scratchBuffer(4);
        this.#call(() => {
            for (let done = 0; done < bytes.length;) {
                const dst = this.#m._hearth_load_buffer(engine, bytes.length - done, capacityPtr) >>> 0;
                if (!dst) throw this.#error('no room for the model bytes');
                const capacity = this.#heap.u32()[capacityPtr >>> 2];
                this.#heap.u8().set(bytes.subarray(done, done + capacity), dst);
                if (this.#m._hearth_load_commit(engine, capacity) !== 0) throw this.#error('load_commit failed');
                done += capacity;
            }
        });
    }

    // All bytes are in: checks the tensors, builds the model and the KV cache.
    loadEnd() {
        this.#check(this.#call(() => this.#m._hearth_load_end(this.#live())), 'the model could not be loaded');
    }

    // Model facts (parsed hearth_model_info_json).
    info() {
        const engine = this.#live();
        const json = this.#m._hearth_wasm_model_info_json(engine) >>> 0;
        if (!json) throw new Error('out of WebAssembly memory');
        const info = JSON.parse(this.#heap.takeCString(json));
        if (info.error) throw new Error(info.error);
        return info;
    }

    // ---- text ----

    tokenize(text, { addSpecial = true, parseSpecial = true } = {}) {
        const engine = this.#live();
        const bytes = WasmHeap.encode(text);
        // BOS/EOS may add a token or two; special-token text only shortens the count.
        let max = bytes.length + 8;
        for (;;) {
            const textPtr = this.#scratchBuffer(bytes.length + 4 * max);
            const idsPtr = textPtr + ((bytes.length + 3) & ~3);
            this.#heap.u8().set(bytes, textPtr);
            const n = this.#m._hearth_tokenize(engine, textPtr, bytes.length, addSpecial, parseSpecial, idsPtr, max);
            if (n < 0) throw this.#error('could not tokenize the text');
            if (n <= max) return this.#heap.i32().slice(idsPtr >>> 2, (idsPtr >>> 2) + n);
            max = n;
        }
    }

    // The bytes a token stands for (may be part of a UTF-8 character): a Uint8Array.
    tokenPiece(id) {
        const engine = this.#live();
        checkInt('token id', id, 0);
        let size = SMALL_PIECE;
        for (;;) {
            const buf = this.#scratchBuffer(size);
            const n = this.#m._hearth_token_piece(engine, id, buf, size);
            if (n < 0) throw this.#error(`no piece for token ${id}`);
            if (n <= size) return this.#heap.bytes(buf, n);
            size = n;
        }
    }

    isEog(id) { return this.#m._hearth_token_is_eog(this.#live(), id) !== 0; }
    get nVocab() { return this.#m._hearth_n_vocab(this.#live()); }
    get nCtx() { return this.#m._hearth_n_ctx(this.#live()); }
    get nPast() { return this.#m._hearth_n_past(this.#live()); }

    chatTemplate() {
        return this.#heap.cString(this.#m._hearth_chat_template(this.#live()) >>> 0);
    }

    // ---- evaluation ----

    // Evaluates the tokens at positions nPast.. and keeps the logits of the last one.
    eval(ids) {
        const engine = this.#live();
        const tokens = typeof ids === 'number' ? [ids] : ids;
        const n = tokens.length;
        if (!(n > 0)) throw new Error('nothing to evaluate');
        const ptr = this.#scratchBuffer(4 * n);
        this.#heap.i32().set(tokens, ptr >>> 2);
        this.#check(this.#call(() => this.#m._hearth_eval(engine, ptr, n)), 'eval failed');
    }

    // A copy of the logits after the last eval (n_vocab floats).
    logits() {
        const ptr = this.#logitsPtr();
        return this.#heap.f32().slice(ptr >>> 2, (ptr >>> 2) + this.nVocab);
    }

    kvTruncate(n) {
        checkInt('n', n, 0);
        this.#check(this.#m._hearth_kv_truncate(this.#live(), n), 'kv_truncate failed');
    }

    // Capped like create's nThreads. With a model loaded the KV cache is kept.
    setThreads(n) {
        checkInt('thread count', n, 1);
        const want = Math.min(n, this.#runtime.maxThreads);
        if (want === this.#threads) return;
        const engine = this.#live();
        // hearth_set_threads builds the new pool before freeing the old one; passing through one
        // thread (which needs no worker) lets the new pool use every worker the build has.
        if (this.#threads > 1 && want > 1) {
            this.#check(this.#call(() => this.#m._hearth_set_threads(engine, 1)), 'set_threads failed');
            this.#threads = 1;
        }
        this.#check(this.#call(() => this.#m._hearth_set_threads(engine, want)), 'set_threads failed');
        this.#threads = want;
    }

    // ---- sampling and streaming text ----

    createSampler(params = {}) {
        this.#live();
        const sampler = new Sampler(this.#m, this.#owner, params);
        this.#children.add(sampler);
        return sampler;
    }

    createTextStream() {
        this.#live();
        const stream = new TextStream(this.#m, this.#heap, this.#owner);
        this.#children.add(stream);
        return stream;
    }

    // Frees the engine, and with it the samplers and text streams it made. Safe to call twice.
    dispose() {
        if (!this.#ptr) return;
        for (const child of [...this.#children]) child.free();
        this.#heap.free(this.#scratch);
        this.#scratch = 0;
        this.#scratchSize = 0;
        this.#m._hearth_free(this.#ptr);
        this.#ptr = 0;
    }

    // ---- internals ----

    #live() {
        if (!this.#ptr) throw new Error('the engine has been disposed');
        return this.#ptr;
    }

    #logitsPtr() {
        const ptr = this.#m._hearth_logits(this.#live()) >>> 0;
        if (!ptr) throw new Error('no logits: no model loaded');
        return ptr;
    }

    #error(fallback) {
        const message = this.#ptr ? this.#heap.cString(this.#m._hearth_last_error(this.#ptr) >>> 0) : '';
        return new Error(message || fallback);
    }

    #check(rc, fallback) {
        if (rc !== 0) throw this.#error(fallback);
    }

    // Runs an engine call; a trap leaves the module unusable, so the next create starts afresh.
    #call(fn) {
        try {
            return fn();
        } catch (err) {
            if (isTrap(err)) {
                forgetRuntime(this.#runtime);
                this.#ptr = 0; // its memory is no longer trustworthy; do not touch it again
            }
            throw err;
        }
    }

    // At least size bytes of engine memory for one call's arguments (8-byte aligned by malloc).
    #scratchBuffer(size) {
        if (size > this.#scratchSize) {
            this.#heap.free(this.#scratch);
            this.#scratch = 0;
            this.#scratchSize = 0;
            const grown = Math.max(size, 2 * this.#scratchSize, 256);
            this.#scratch = this.#heap.malloc(grown);
            this.#scratchSize = grown;
        }
        return this.#scratch;
    }
}
