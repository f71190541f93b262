// The engine as the worker holds it: the loaded model, its KV cache contents, and the requests
// that use them (load, generate, chat, tokenize, info, unload).
import { EngineCore, MAX_THREADS } from '../js/core.mjs';
import { KvPrefix } from './kv-prefix.mjs';
import { runGeneration } from './generation.mjs';
import { samplingParams, maxTokensParam, stopParam } from './sampling-params.mjs';
import { renderChat, FALLBACK_STOPS } from './chat-template.mjs';
import { checkModelFits, WASM_MEMORY_LIMIT } from './fits.mjs';
import { loadIntoCore } from './load-model.mjs';
import { resolveVariant } from '../js/wasm-module.mjs';

const DEFAULT_BATCH = 64;
const utf8 = new TextDecoder();

export class Session {
    // platform: {cores, openSource(source), name}
    constructor(platform) {
        this.platform = platform;
        this.core = null;
        this.coreOptions = null;
        this.model = null; // {label, info}
        this.kv = new KvPrefix();
        this.options = {};
    }

    // Which build and how many threads: the threaded build only where shared memory exists.
    engineOptions(options) {
        const variant = resolveVariant(options.variant ?? 'auto');
        const wanted = Math.max(1, Math.floor(options.threads ?? this.platform.cores));
        const nThreads = variant === 'st' ? 1 : Math.min(wanted, MAX_THREADS);
        return {
            variant,
            nThreads,
            // pthread Workers for the engine's threads besides the calling one (at least one)
            poolSize: nThreads - 1,
            nCtx: options.contextLength ?? 0,
            nBatch: options.batchSize ?? DEFAULT_BATCH,
            kvType: options.kvType ?? 'f16',
            simd: options.simd ?? 'auto',
        };
    }

    async load({ source, options = {} }, job) {
        this.unload();
        this.options = options;
        const wanted = this.engineOptions(options);
        const { signal } = job;
        const src = await this.platform.openSource(source);
        signal.throwIfAborted();
        // Refuse before downloading: the header alone tells the memory needed.
        // the same module the engine will use (variant, SIMD and pool), started once
        const estimate = (header, size, nCtx) => EngineCore.estimate(header, size, nCtx,
            { variant: wanted.variant, simd: wanted.simd, poolSize: wanted.poolSize });
        const inspected = await src.inspect({ nCtx: wanted.nCtx, estimate, signal });
        checkModelFits({
            memoryBytes: inspected.memory?.total,
            memoryLimit: Math.min(options.maxMemoryBytes ?? WASM_MEMORY_LIMIT, WASM_MEMORY_LIMIT),
            downloadBytes: inspected.downloadBytes ?? 0,
            storageAvailable: inspected.storageAvailable,
        });
        await src.fetch({ signal, onProgress: (p) => job.progress({ phase: 'download', ...p }) });
        signal.throwIfAborted();
        const core = await EngineCore.create(wanted);
        this.core = core;
        this.coreOptions = { ...wanted, variant: core.variant, simd: core.simd };
        try {
            await loadIntoCore(core, src, { signal, onProgress: (p) => job.progress(p) });
            this.model = { label: src.label, info: core.info() };
        } catch (err) {
            this.unload(); // a half-loaded engine is of no use; the next load starts afresh
            throw err;
        }
        return this.describe();
    }

    unload() {
        this.kv.clear();
        this.model = null;
        if (this.core) {
            const core = this.core;
            this.core = null;
            this.coreOptions = null;
            core.dispose();
        }
        return true;
    }

    // After a WebAssembly trap the engine's memory cannot be trusted: drop the model.
    crashed() {
        try {
            this.unload();
        } catch {
            this.core = null;
        }
    }

    requireModel() {
        if (!this.core || !this.model) throw new Error('no model loaded: call load() first');
        return this.core;
    }

    describe() {
        const core = this.requireModel();
        return {
            ...this.model.info,
            source: this.model.label,
            variant: this.coreOptions.variant,
            simd: this.coreOptions.simd,
            threads: this.coreOptions.nThreads,
            context: core.nCtx,
            crossOriginIsolated: globalThis.crossOriginIsolated ?? null,
        };
    }

    info() {
        return this.describe();
    }

    tokenize({ text, addSpecial = true, parseSpecial = true }) {
        const core = this.requireModel();
        return Array.from(core.tokenize(String(text), { addSpecial, parseSpecial }));
    }

    async generate({ prompt, params = {} }, job) {
        const core = this.requireModel();
        if (typeof prompt !== 'string') throw new TypeError('prompt must be a string');
        const promptIds = core.tokenize(prompt, { addSpecial: true, parseSpecial: true });
        return this.run(core, promptIds, params, stopParam(params.stop), job);
    }

    async chat({ messages, params = {} }, job) {
        const core = this.requireModel();
        const info = this.model.info;
        // Templates want the special tokens' text ("<s>", "</s>"): asked for with {special: true}.
        // A core that renders control tokens as '' still works for BOS (tokenize adds it) but
        // loses eos_token inside earlier turns.
        const piece = (id) => (Number.isInteger(id) && id >= 0 ? utf8.decode(core.tokenPiece(id, { special: true })) : '');
        const bosToken = piece(info.bos);
        const { text, usedFallback } = await renderChat({
            template: this.options.chatTemplate ?? core.chatTemplate(),
            messages,
            specialTokens: { bos_token: bosToken, eos_token: piece(info.eos) },
            jinjaUrl: this.options.jinjaUrl,
        });
        // Templates that write the BOS token themselves must not get a second one.
        const addSpecial = !(bosToken && text.startsWith(bosToken));
        const promptIds = core.tokenize(text, { addSpecial, parseSpecial: true });
        const stops = [...stopParam(params.stop), ...(usedFallback ? FALLBACK_STOPS : [])];
        const result = await this.run(core, promptIds, params, stops, job);
        return { ...result, templateFallback: usedFallback };
    }

    async run(core, promptIds, params, stops, job) {
        return runGeneration({
            core,
            kv: this.kv,
            promptIds,
            sampling: samplingParams(params),
            maxTokens: maxTokensParam(params.maxTokens),
            stops,
            nBatch: this.coreOptions.nBatch,
            isAborted: () => job.signal.aborted,
            onToken: (t) => job.token(t),
        });
    }
}
