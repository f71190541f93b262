// The engine as the page sees it: every call becomes a request to the worker that owns the
// WebAssembly engine, so the page's thread never runs model code.
import { WorkerClient } from './worker-client.mjs';
import { AsyncQueue } from './async-queue.mjs';
import { ChatCompletions } from './chat-completions.mjs';

// Settings that travel to the worker with every load.
const ENGINE_OPTIONS = ['threads', 'contextLength', 'batchSize', 'kvType', 'variant', 'maxMemoryBytes', 'chatTemplate', 'jinjaUrl'];
const GENERATE_PARAMS = ['maxTokens', 'temperature', 'topK', 'topP', 'minP', 'repeatPenalty', 'frequencyPenalty',
    'presencePenalty', 'penaltyLastN', 'seed', 'stop'];

function pick(object, keys) {
    const out = {};
    for (const key of keys) if (object?.[key] !== undefined) out[key] = object[key];
    return out;
}

// Calls onAbort when signal fires; returns the function that stops listening.
export function onSignal(signal, onAbort) {
    if (!signal) return () => {};
    if (signal.aborted) {
        onAbort();
        return () => {};
    }
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
}

function normalizeSource(source) {
    if (source instanceof URL) return source.href;
    if (typeof source === 'string') return source;
    if (typeof Blob !== 'undefined' && source instanceof Blob) return source;
    if (source && typeof source === 'object' && typeof source.repo === 'string' && typeof source.file === 'string') {
        return pick(source, ['repo', 'file', 'revision', 'hubUrl']);
    }
    throw new TypeError('source must be {repo, file, revision?, hubUrl?}, a URL, a file path (Node) or a File/Blob');
}

// What generate() returns: `for await (const {token, text} of stream)`, and `stream.result`
// for the totals once it ends. A final item may have token null: text that was held back (an
// unfinished character or a possible stop sequence) and turned out to be part of the reply.
export class GenerationStream {
    constructor(queue, result, abort) {
        this.queue = queue;
        this.result = result;
        this.abort = abort;
        result.catch(() => {}); // reading only the tokens must not leave an unhandled rejection
    }

    [Symbol.asyncIterator]() {
        return this.queue;
    }
}

export class Engine {
    constructor(options = {}) {
        this.options = pick(options, ENGINE_OPTIONS);
        this.client = new WorkerClient({ workerUrl: options.workerUrl });
        this.model = null;
        this.chat = { completions: new ChatCompletions(this) };
    }

    async load(source, { onProgress, signal } = {}) {
        signal?.throwIfAborted();
        const { id, promise } = this.client.request('load', { source: normalizeSource(source), options: this.options }, {
            onEvent: (msg) => {
                if (msg.type !== 'progress' || !onProgress) return;
                const { id: _id, type: _type, ...progress } = msg;
                onProgress(progress);
            },
        });
        const stop = onSignal(signal, () => this.client.abort(id));
        try {
            this.model = null;
            this.model = await promise;
            return this.model;
        } finally {
            stop();
        }
    }

    // Streams a continuation of prompt. Aborting (engine.abort(), options.signal, or leaving the
    // for-await loop) ends the stream early with result.finishReason 'abort'.
    generate(prompt, options = {}) {
        return this.stream('generate', { prompt, params: pick(options, GENERATE_PARAMS) }, options.signal,
            (msg, queue) => queue.push({ token: msg.token, text: msg.text }));
    }

    // Runs a streamed request; onToken maps each token message into the queue.
    stream(type, payload, signal, onToken, finish) {
        let id = 0;
        const queue = new AsyncQueue({ onReturn: () => this.client.abort(id) });
        const request = this.client.request(type, payload, {
            onEvent: (msg) => msg.type === 'token' && onToken(msg, queue),
        });
        id = request.id;
        const stop = onSignal(signal, () => this.client.abort(id));
        const result = request.promise.then(
            (value) => {
                stop();
                finish?.(value, queue);
                queue.end();
                return value;
            },
            (err) => {
                stop();
                queue.fail(err);
                throw err;
            });
        return new GenerationStream(queue, result, () => this.client.abort(id));
    }

    tokenize(text, { addSpecial = true, parseSpecial = true } = {}) {
        return this.client.request('tokenize', { text, addSpecial, parseSpecial }).promise;
    }

    info() {
        return this.client.request('info').promise;
    }

    // Stops the running generation and any queued ones (their streams end, finishReason 'abort')
    // and cancels a load in progress (it rejects with an AbortError).
    abort() {
        this.client.abort();
    }

    async unload() {
        await this.client.request('unload').promise;
        this.model = null;
    }

    // Ends the worker and frees all its memory; pending calls reject. The engine is unusable after.
    async dispose() {
        this.client.abort();
        this.client.terminate(new Error('the engine was disposed'));
        this.model = null;
    }
}
