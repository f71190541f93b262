// Parity with llama.cpp's recorded outputs, measured exactly as tests/c/test_reference.c does:
// prompt ids, top-1 after the prompt, and teacher-forced greedy agreement, with llama.cpp's own
// near-ties (top-1/top-2 gap < 0.1) left out of the count.
import { loadModelFile } from '../../../js/node-file.mjs';
import { ggufFiles, readJson, sharedPath } from './shared.mjs';

export const NEAR_TIE = 0.1;

// Ties go to the lower id, as in the references.
export function argmax(x) {
    let best = 0;
    for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
    return best;
}

function topGap(top) {
    return top && top.length >= 2 ? top[0].logit - top[1].logit : Infinity;
}

export function isExactType(file) {
    return /-(f32|F32|F16|BF16|Q8_0)/.test(file);
}

// What the C test demands: 100% for exact types; quantized synthetic files (F32 KV) 97.5%, the
// other quantized files 98%.
export function requiredAgreement(file, kvType) {
    if (isExactType(file)) return 100;
    return kvType === 'f32' ? 97.5 : 98;
}

export function runReference(core, ref) {
    const r = { steps: 0, agree: 0, skipped: 0, maxLogitDiff: 0, promptsOk: true, top1Ok: true, misses: [] };
    for (const [pi, p] of ref.prompts.entries()) {
        let ids = core.tokenize(p.prompt, { addSpecial: true, parseSpecial: false });
        if (ids.length !== p.prompt_ids.length || ids.some((id, i) => id !== p.prompt_ids[i])) {
            r.promptsOk = false;
            ids = Int32Array.from(p.prompt_ids); // go on with the reference's ids to compare logits
        }
        core.kvTruncate(0);
        core.eval(ids);
        let logits = core.logits();
        const compared = p.logits_after_prompt ? p.logits_after_prompt.map((logit, id) => ({ id, logit })) : p.top_after_prompt;
        for (const { id, logit } of compared) r.maxLogitDiff = Math.max(r.maxLogitDiff, Math.abs(logits[id] - logit));
        if (topGap(p.top_after_prompt) >= NEAR_TIE && argmax(logits) !== p.top_after_prompt[0].id) r.top1Ok = false;
        for (const [s, step] of p.steps.entries()) {
            const gap = step.gap ?? topGap(step.top);
            if (gap < NEAR_TIE) {
                r.skipped++;
            } else {
                r.steps++;
                const ours = argmax(logits);
                if (ours === step.id) r.agree++;
                else r.misses.push(`prompt ${pi} step ${s}: llama.cpp ${step.id} (gap ${gap.toFixed(3)}), ours ${ours}`);
            }
            if (s + 1 < p.steps.length) {
                core.eval([step.id]);
                logits = core.logits();
            }
        }
    }
    r.agreement = r.steps ? (100 * r.agree) / r.steps : 0;
    return r;
}

// Every model of a directory, loaded in turn into the same engine (which also checks that an
// engine takes one model after another), against its reference.
export async function* referenceRuns(core, modelDir, refDir) {
    for (const file of ggufFiles(modelDir)) {
        await loadModelFile(core, sharedPath(`${modelDir}/${file}`));
        const ref = readJson(`${refDir}/${file.replace(/\.gguf$/, '.ref.json')}`);
        yield { file, result: runReference(core, ref) };
    }
}
