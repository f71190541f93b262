// engine.chat.completions.create: the OpenAI chat API over the worker's chat request, which
// renders the model's chat template and reuses the KV cache for the shared conversation prefix.
import { paramsFromRequest, completionId, completionObject, chunkObject } from './openai-shapes.mjs';

export class ChatCompletions {
    constructor(engine) {
        this.engine = engine;
    }

    // stream: false -> Promise<chat.completion>; stream: true -> Promise<AsyncIterable<chunk>>.
    // An extra `signal` (AbortSignal) stops the generation; the reply then ends with
    // finish_reason 'abort' and the text generated so far.
    async create(request) {
        if (!request || !Array.isArray(request.messages)) throw new TypeError('create() needs {messages: [...]}');
        const id = completionId();
        const created = Math.floor(Date.now() / 1000);
        const model = request.model ?? this.engine.model?.source ?? this.engine.model?.name ?? 'hearth';
        const payload = { messages: request.messages, params: paramsFromRequest(request) };
        if (request.stream) {
            const stream = this.engine.stream('chat', payload, request.signal,
                (msg, queue) => {
                    if (msg.text) queue.push(chunkObject({ id, created, model, delta: { content: msg.text } }));
                },
                (result, queue) => {
                    queue.push(chunkObject({ id, created, model, delta: {}, finishReason: result.finishReason, result }));
                });
            stream.queue.push(chunkObject({ id, created, model, delta: { role: 'assistant', content: '' } }));
            return stream;
        }
        const stream = this.engine.stream('chat', payload, request.signal, () => {});
        const result = await stream.result;
        return completionObject({ id, created, model, result });
    }
}
