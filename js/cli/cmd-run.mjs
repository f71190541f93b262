// run: generate text from a prompt, as tools/cli/cmd_run.c does; --json prints the same object
// (prompt_ids, top_after_prompt, ids, text, prompt_ms, generate_ms).
import { loadModel, modelSpec } from './load-model.mjs';
import { double, toNativeJson } from './native-json.mjs';

const TOP_AFTER_PROMPT = 10;

// The k best ids, highest logit first, ties to the lower id (as the native selection).
export function topIds(logits, k) {
    const ids = Array.from(logits.keys());
    ids.sort((a, b) => logits[b] - logits[a] || a - b);
    return ids.slice(0, Math.min(k, logits.length));
}

export async function cmdRun(args, out) {
    const prompt = args.require('-p', '--prompt');
    const nPredict = args.int('-n', '--n-predict', 64);
    const sampling = {
        temperature: args.num(null, '--temp', undefined),
        topK: args.int(null, '--top-k', undefined),
        topP: args.num(null, '--top-p', undefined),
        minP: args.num(null, '--min-p', undefined),
        repeatPenalty: args.num(null, '--repeat-penalty', undefined),
        seed: args.int(null, '--seed', undefined),
    };
    const ignoreEos = args.flag('--ignore-eos');
    const json = args.flag('--json');
    const spec = modelSpec(args);
    args.checkAllUsed();
    const { core } = await loadModel(spec);
    try {
        const t0 = performance.now();
        let promptIds;
        try {
            promptIds = core.tokenize(prompt, { addSpecial: true, parseSpecial: true });
        } catch (err) {
            throw new Error(`could not tokenize the prompt: ${err.message}`);
        }
        if (promptIds.length === 0) throw new Error('could not tokenize the prompt: it gives no tokens');
        core.eval(promptIds);
        const promptMs = performance.now() - t0;
        const logits = core.logits();
        const result = {
            prompt_ids: promptIds,
            top_after_prompt: topIds(logits, TOP_AFTER_PROMPT).map((id) => ({ id, logit: double(logits[id]) })),
        };
        const sampler = core.createSampler(sampling);
        const stream = core.createTextStream();
        for (const id of promptIds) sampler.accept(id);
        const ids = [];
        let text = '';
        let failure = null;
        while (ids.length < nPredict) {
            const token = sampler.sample();
            if (!ignoreEos && core.isEog(token)) break;
            ids.push(token);
            const piece = stream.push(core.tokenPiece(token));
            text += piece;
            if (!json) out.write(piece);
            if (ids.length < nPredict) {
                try {
                    core.eval([token]);
                } catch (err) {
                    failure = err;
                    break;
                }
            }
        }
        const rest = stream.flush();
        text += rest;
        if (!json) out.write(`${rest}\n`);
        if (failure) throw failure;
        const generateMs = performance.now() - t0 - promptMs;
        if (json) {
            Object.assign(result, { ids, text, prompt_ms: double(promptMs), generate_ms: double(generateMs) });
            out.write(`${toNativeJson(result)}\n`);
        } else {
            const rate = ids.length > 1 ? ((ids.length - 1) * 1e3) / generateMs : 0;
            process.stderr.write(`prompt: ${promptIds.length} tokens in ${promptMs.toFixed(1)} ms; generated ${ids.length} tokens in ` +
                `${generateMs.toFixed(1)} ms (${rate.toFixed(1)} tok/s)\n`);
        }
        return 0;
    } finally {
        core.dispose();
    }
}
