// One generation: evaluate the prompt (only the part the KV cache does not already hold), then
// sample token after token. Between tokens, and between prefill batches, the loop gives the
// event loop a turn so that an abort message is seen at once.
import { nextTick } from './tick.mjs';
import { StopMatcher } from './stop-strings.mjs';

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function evalTokens(core, kv, ids) {
    try {
        core.eval(Int32Array.from(ids));
    } catch (err) {
        kv.invalidate(core);
        throw err;
    }
    kv.append(ids);
}

// onToken({token, text}) is called for every sampled token, text being the newly complete UTF-8
// text it adds (possibly ''). The returned text never contains a stop sequence.
export async function runGeneration({ core, kv, promptIds, sampling, maxTokens, stops, nBatch, isAborted, onToken }) {
    if (promptIds.length === 0) throw new Error('the prompt is empty: nothing to continue from');
    if (promptIds.length > core.nCtx) {
        throw new Error(`the prompt is ${promptIds.length} tokens, the context holds ${core.nCtx}`);
    }
    const started = now();
    const { reused, pending } = kv.reuse(core, promptIds);
    let evaluated = 0;
    let finishReason = null;
    for (let i = 0; i < pending.length; i += nBatch) {
        if (isAborted()) {
            finishReason = 'abort';
            break;
        }
        const batch = pending.slice(i, i + nBatch);
        evalTokens(core, kv, batch);
        evaluated += batch.length;
        if (i + nBatch < pending.length) await nextTick();
    }
    const prefilled = now();

    const completion = [];
    let text = '';
    if (!finishReason) {
        const sampler = core.createSampler(sampling);
        const stream = core.createTextStream();
        const matcher = new StopMatcher(stops);
        try {
            // The penalties look at recent tokens, the prompt's included (as llama.cpp does).
            const history = promptIds.slice(Math.max(0, promptIds.length - sampling.penaltyLastN));
            for (const id of history) sampler.accept(id);
            finishReason = await sampleLoop({ core, kv, sampler, stream, matcher, maxTokens, isAborted, completion,
                emit: (token, piece) => {
                    text += piece;
                    onToken({ token, text: piece });
                } });
            if (finishReason !== 'stop-sequence') {
                // Bytes held back for an unfinished character, and text held back because it might
                // have begun a stop sequence, belong to the reply after all.
                const held = matcher.push(stream.flush());
                let tail = held.text + (held.stopped ? '' : matcher.flush());
                if (held.stopped) finishReason = 'stop-sequence';
                if (tail) {
                    text += tail;
                    onToken({ token: null, text: tail });
                }
            }
        } finally {
            stream.free();
            sampler.free();
        }
    }
    const finished = now();
    return {
        text,
        tokens: completion,
        finishReason: finishReason === 'stop-sequence' ? 'stop' : finishReason,
        promptTokens: promptIds.length,
        cachedTokens: reused,
        evaluatedTokens: evaluated,
        completionTokens: completion.length,
        timings: {
            promptMs: prefilled - started,
            promptPerSecond: evaluated > 0 ? (evaluated * 1000) / Math.max(prefilled - started, 1e-3) : 0,
            predictedMs: finished - prefilled,
            predictedPerSecond: completion.length > 0 ? (completion.length * 1000) / Math.max(finished - prefilled, 1e-3) : 0,
        },
    };
}

// Returns why it stopped: 'stop' (end-of-generation token), 'stop-sequence', 'length' (maxTokens
// or a full context) or 'abort'.
async function sampleLoop({ core, kv, sampler, stream, matcher, maxTokens, isAborted, completion, emit }) {
    for (;;) {
        if (isAborted()) return 'abort';
        if (completion.length >= maxTokens) return 'length';
        const token = sampler.sample();
        if (core.isEog(token)) return 'stop';
        completion.push(token);
        const decoded = matcher.push(stream.push(core.tokenPiece(token)));
        emit(token, decoded.text);
        if (decoded.stopped) return 'stop-sequence';
        // The last token is not evaluated: nothing needs its logits, and a next turn that
        // repeats it evaluates it then.
        if (completion.length >= maxTokens) return 'length';
        if (kv.tokens.length >= core.nCtx) return 'length';
        evalTokens(core, kv, [token]);
        await nextTick();
    }
}
