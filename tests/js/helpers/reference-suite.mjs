// The reference parity suite for one build variant: the greedy text of stories260K F32, then every
// stories260K file (F16 KV) and every synthetic file (F32 KV, as their references were made).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EngineCore } from '../../../js/core.mjs';
import { createLoaded, readJson, STORIES_F32 } from './shared.mjs';
import { referenceRuns, requiredAgreement } from './reference.mjs';

async function greedyText(core, prompt, n) {
    core.eval(core.tokenize(prompt, { addSpecial: true, parseSpecial: false }));
    const sampler = core.createSampler({ temperature: 0 });
    const stream = core.createTextStream();
    let text = '';
    for (let i = 0; i < n; i++) {
        const token = sampler.sample();
        text += stream.push(core.tokenPiece(token));
        if (i + 1 < n) core.eval([token]);
    }
    text += stream.flush();
    sampler.free();
    stream.free();
    return text;
}

function checkDir(variant, nThreads, kvType, modelDir, refDir) {
    return async (t) => {
        const core = await EngineCore.create({ variant, nThreads, kvType });
        assert.equal(core.variant, variant);
        try {
            for await (const { file, result: r } of referenceRuns(core, modelDir, refDir)) {
                const need = requiredAgreement(file, kvType);
                t.diagnostic(`${file}: prompts ${r.promptsOk ? 'equal' : 'DIFFER'}, top1 ${r.top1Ok ? 'equal' : 'DIFFER'}, ` +
                    `agreement ${r.agreement.toFixed(1)}% of ${r.steps} (+${r.skipped} ties), max |dlogit| ${r.maxLogitDiff.toFixed(4)}`);
                assert.ok(r.promptsOk, `${file}: prompt ids differ from llama.cpp's`);
                assert.ok(r.top1Ok, `${file}: top-1 after the prompt differs`);
                assert.ok(r.agreement >= need, `${file}: teacher-forced agreement ${r.agreement.toFixed(1)}% < ${need}%\n${r.misses.join('\n')}`);
            }
            assert.equal(core.info().n_threads, nThreads);
        } finally {
            core.dispose();
        }
    };
}

export function referenceSuite(variant, nThreads) {
    const label = `${variant}, ${nThreads} thread${nThreads > 1 ? 's' : ''}`;

    test(`greedy text of stories260K F32 equals llama.cpp's (${label})`, async () => {
        const core = await createLoaded(STORIES_F32, { variant, nThreads });
        try {
            const ref = readJson('reference/stories260K-f32.ref.json').prompts[0];
            assert.equal(await greedyText(core, ref.prompt, ref.steps.length), ref.generated_text);
        } finally {
            core.dispose();
        }
    });

    test(`stories260K files match llama.cpp (${label}, KV F16)`,
        checkDir(variant, nThreads, 'f16', 'models/stories260K', 'reference'));
    test(`synthetic llama/qwen2/qwen3 files match llama.cpp (${label}, KV F32)`,
        checkDir(variant, nThreads, 'f32', 'models/synthetic', 'reference/synthetic'));
}
