// OpenAI chat-completions shapes: request fields to engine parameters, and engine results to
// chat.completion objects and chat.completion.chunk stream items. Extra fields that llama.cpp's
// server also reports (timings, prompt_tokens_details.cached_tokens) tell how much of the prompt
// the KV cache already held.

// OpenAI names plus the llama.cpp server's extensions (top_k, min_p, repeat_penalty).
export function paramsFromRequest(req) {
    if (req.n !== undefined && req.n !== 1) throw new RangeError('only n = 1 is supported');
    return {
        maxTokens: req.max_completion_tokens ?? req.max_tokens ?? undefined,
        temperature: req.temperature ?? undefined,
        topP: req.top_p ?? undefined,
        topK: req.top_k ?? undefined,
        minP: req.min_p ?? undefined,
        repeatPenalty: req.repeat_penalty ?? undefined,
        frequencyPenalty: req.frequency_penalty ?? undefined,
        presencePenalty: req.presence_penalty ?? undefined,
        seed: req.seed ?? undefined,
        stop: req.stop ?? undefined,
    };
}

export function completionId() {
    const bytes = new Uint8Array(12);
    globalThis.crypto.getRandomValues(bytes);
    return `chatcmpl-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function usageOf(result) {
    return {
        prompt_tokens: result.promptTokens,
        completion_tokens: result.completionTokens,
        total_tokens: result.promptTokens + result.completionTokens,
        prompt_tokens_details: { cached_tokens: result.cachedTokens },
        // Prompt tokens run through the model this time: prompt_tokens - cached_tokens.
        prompt_tokens_evaluated: result.evaluatedTokens,
    };
}

// The llama.cpp server's timings object.
export function timingsOf(result) {
    const t = result.timings;
    return {
        cache_n: result.cachedTokens,
        prompt_n: result.evaluatedTokens,
        prompt_ms: t.promptMs,
        prompt_per_second: t.promptPerSecond,
        predicted_n: result.completionTokens,
        predicted_ms: t.predictedMs,
        predicted_per_second: t.predictedPerSecond,
    };
}

export function completionObject({ id, created, model, result }) {
    return {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{
            index: 0,
            message: { role: 'assistant', content: result.text },
            logprobs: null,
            finish_reason: result.finishReason,
        }],
        usage: usageOf(result),
        timings: timingsOf(result),
    };
}

export function chunkObject({ id, created, model, delta, finishReason = null, result }) {
    const chunk = {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (result) {
        chunk.usage = usageOf(result);
        chunk.timings = timingsOf(result);
    }
    return chunk;
}
