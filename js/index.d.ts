// Type declarations for Hearth's public API (js/index.mjs).

/** Hugging Face Hub file: resolved to `${hubUrl}/${repo}/resolve/${revision}/${file}`. */
export interface HubSource {
    repo: string;
    file: string;
    /** Branch, tag or commit; default "main". */
    revision?: string;
    /** Default "https://huggingface.co". */
    hubUrl?: string;
}

/**
 * What load() accepts. Browsers: a Hub reference or URL (downloaded into the IndexedDB model
 * cache, resumable, then streamed into the engine) or a File/Blob (read slice by slice, not
 * cached). Node: also a file path or file: URL; URLs are streamed without a cache.
 */
export type ModelSource = HubSource | string | URL | Blob;

export interface EngineOptions {
    /** Engine threads; default: navigator.hardwareConcurrency (Node: os.availableParallelism()) capped at 4. Always 1 in the single-thread build. */
    threads?: number;
    /** 'auto' (default): the threaded build when SharedArrayBuffer is available (cross-origin isolated page, Node), else the single-thread one. */
    variant?: 'auto' | 'mt' | 'st';
    /** 'auto' (default): the build using relaxed SIMD (i8 dot products, fused multiply-add) where the browser has it (Chromium, Firefox), else plain SIMD128 (Safari, Node). */
    simd?: 'auto' | 'relaxed' | 'simd128';
    /** Context length in tokens; 0 / undefined: the model's, capped at 4096. */
    contextLength?: number;
    /** Most prompt tokens evaluated per weight pass (default 64); prefill yields to abort between batches. */
    batchSize?: number;
    /** KV cache element type, default 'f16'. */
    kvType?: 'f16' | 'f32';
    /** Refuse models whose estimated memory exceeds this (default and maximum: 4 GiB). */
    maxMemoryBytes?: number;
    /** Jinja chat template to use instead of the model's tokenizer.chat_template. */
    chatTemplate?: string;
    /** Where the worker imports @huggingface/jinja from, when neither a bundler nor node_modules next to Hearth provides it. */
    jinjaUrl?: string;
    /** The worker script (for bundlers that relocate it); default worker/hearth-worker.mjs (Node: worker/node-worker.mjs). */
    workerUrl?: string | URL;
}

export interface LoadProgress {
    /** 'download': bytes fetched into the cache; 'load': bytes copied into the engine. */
    phase: 'download' | 'load';
    loaded: number;
    total: number;
    [extra: string]: unknown;
}

export interface LoadOptions {
    onProgress?: (progress: LoadProgress) => void;
    /** Cancels the load (download included); load() then rejects with an AbortError. */
    signal?: AbortSignal;
}

/** Model facts from the GGUF file and the engine (engine.info() and load()'s result). */
export interface ModelInfo {
    architecture: string;
    name: string | null;
    /** Parameter count. */
    parameters: number;
    /** Dominant tensor type, e.g. "Q4_K". */
    type: string;
    /** Context length the engine was created with. */
    context: number;
    n_ctx_train: number;
    n_vocab: number;
    memory: { weights: number; kv_cache: number; kv_type: string; scratch: number; total: number };
    bos: number;
    eos: number;
    chat_template: string | null;
    /** The file the model came from. */
    source: string;
    /** Which WebAssembly build runs it. */
    variant: 'mt' | 'st';
    simd: 'relaxed' | 'simd128';
    threads: number;
    crossOriginIsolated: boolean | null;
    [key: string]: unknown;
}

export interface SamplingOptions {
    /** Most tokens to generate; default: until an end-of-generation token or a full context. */
    maxTokens?: number;
    /** 0 = greedy. Default 0.8. */
    temperature?: number;
    /** Default 40; 0 = off. */
    topK?: number;
    /** Default 0.95; 1 = off. */
    topP?: number;
    /** Default 0.05; 0 = off. */
    minP?: number;
    /** Default 1 (off). */
    repeatPenalty?: number;
    frequencyPenalty?: number;
    presencePenalty?: number;
    /** Recent tokens the penalties consider, default 64. */
    penaltyLastN?: number;
    /** Default: random. */
    seed?: number;
    /** Generation ends before any of these strings; they never appear in the text. */
    stop?: string | string[];
}

export interface GenerateOptions extends SamplingOptions {
    /** Ends the generation early (the stream ends normally, finishReason 'abort'). */
    signal?: AbortSignal;
}

export interface GeneratedToken {
    /** Token id; null for a last piece of text that was held back and released at the end. */
    token: number | null;
    /** Newly complete text (valid UTF-8, possibly ''). */
    text: string;
}

export interface GenerationResult {
    text: string;
    /** Ids of the generated tokens. */
    tokens: number[];
    finishReason: 'stop' | 'length' | 'abort';
    promptTokens: number;
    /** Prompt tokens already in the KV cache from the previous request. */
    cachedTokens: number;
    /** Prompt tokens evaluated this time (promptTokens - cachedTokens). */
    evaluatedTokens: number;
    completionTokens: number;
    timings: { promptMs: number; promptPerSecond: number; predictedMs: number; predictedPerSecond: number };
}

export interface GenerationStream extends AsyncIterable<GeneratedToken> {
    /** Resolves when the generation ends. */
    readonly result: Promise<GenerationResult>;
    /** Stops this generation. */
    abort(): void;
}

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool' | (string & {});

export interface ChatMessage {
    role: ChatRole;
    content: string | Array<{ type: 'text'; text: string } | { type: string; [k: string]: unknown }> | null;
    [key: string]: unknown;
}

export interface ChatCompletionRequest {
    messages: ChatMessage[];
    stream?: boolean;
    model?: string;
    max_tokens?: number;
    max_completion_tokens?: number;
    temperature?: number;
    top_p?: number;
    /** llama.cpp server extensions. */
    top_k?: number;
    min_p?: number;
    repeat_penalty?: number;
    frequency_penalty?: number;
    presence_penalty?: number;
    seed?: number;
    stop?: string | string[];
    n?: 1;
    /** Ends the generation early: finish_reason 'abort', the text so far kept. */
    signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'length' | 'abort';

export interface ChatUsage {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    /** cached_tokens: prompt tokens reused from the KV cache of the previous turn. */
    prompt_tokens_details: { cached_tokens: number };
    /** Prompt tokens evaluated for this request (the new ones only). */
    prompt_tokens_evaluated: number;
}

/** llama.cpp server-style timings. */
export interface ChatTimings {
    cache_n: number;
    prompt_n: number;
    prompt_ms: number;
    prompt_per_second: number;
    predicted_n: number;
    predicted_ms: number;
    predicted_per_second: number;
}

export interface ChatCompletion {
    id: string;
    object: 'chat.completion';
    created: number;
    model: string;
    choices: [{ index: 0; message: { role: 'assistant'; content: string }; logprobs: null; finish_reason: FinishReason }];
    usage: ChatUsage;
    timings: ChatTimings;
}

export interface ChatCompletionChunk {
    id: string;
    object: 'chat.completion.chunk';
    created: number;
    model: string;
    choices: [{ index: 0; delta: { role?: 'assistant'; content?: string }; logprobs: null; finish_reason: FinishReason | null }];
    /** On the last chunk only. */
    usage?: ChatUsage;
    timings?: ChatTimings;
}

export interface ChatCompletions {
    create(request: ChatCompletionRequest & { stream: true }): Promise<AsyncIterable<ChatCompletionChunk> & { result: Promise<GenerationResult>; abort(): void }>;
    create(request: ChatCompletionRequest & { stream?: false }): Promise<ChatCompletion>;
}

export class Engine {
    constructor(options?: EngineOptions);
    /** Set after a successful load. */
    readonly model: ModelInfo | null;
    /**
     * Loads a model, replacing the current one. Refuses before downloading when the header's
     * memory estimate exceeds 4 GiB (or maxMemoryBytes) or the download exceeds the storage quota
     * left (error code 'MEMORY_LIMIT' / 'STORAGE_QUOTA', the message naming both numbers).
     */
    load(source: ModelSource, options?: LoadOptions): Promise<ModelInfo>;
    /** Requests run one at a time in call order: a second generate() waits for the first. */
    generate(prompt: string, options?: GenerateOptions): GenerationStream;
    readonly chat: { completions: ChatCompletions };
    tokenize(text: string, options?: { addSpecial?: boolean; parseSpecial?: boolean }): Promise<number[]>;
    info(): Promise<ModelInfo>;
    /** Stops the running and queued generations (they end with finishReason 'abort') and cancels a load. */
    abort(): void;
    /** Frees the model, keeps the worker. */
    unload(): Promise<void>;
    /** Ends the worker; pending calls reject and the engine cannot be used again. */
    dispose(): Promise<void>;
}

export declare function createEngine(options?: EngineOptions): Engine;

/** A model in the browser's model cache, as js/store.mjs keeps it. */
export type { CachedModel } from './store.d.mts';
import type { CachedModel } from './store.d.mts';

export interface CacheUsage {
    /** The origin's storage use and quota (navigator.storage.estimate()), in bytes. */
    usage: number;
    quota: number | undefined;
    available: number | undefined;
    /** Bytes the cached models take. */
    models: number;
    persisted: boolean;
}

/** Models in the browser's model cache (IndexedDB); [] in Node. */
export declare function listCachedModels(): Promise<CachedModel[]>;
/** Deletes a cached model (every shard) by its id. */
export declare function deleteCachedModel(id: string): Promise<void>;
export declare function cacheUsage(): Promise<CacheUsage>;
