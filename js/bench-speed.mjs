// How Hearth measures speed, shared by `node js/cli.mjs bench` and the browser benchmark, and the
// same as tools/cli/cmd_bench.c: the same random prompt, one untimed warm-up pass (V8 tiers wasm
// up in the background), then `reps` timed passes of pp prompt tokens from position 0 followed by
// tg single-token evaluations; medians.

export function median(values) {
    const v = [...values].sort((a, b) => a - b);
    const n = v.length;
    return n % 2 ? v[(n - 1) / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The native bench's prompt: a 64-bit LCG from seed 42, token = (state >> 33) % n_vocab.
export function benchTokens(count, nVocab) {
    const mask = (1n << 64n) - 1n;
    let state = 42n;
    const tokens = new Int32Array(count);
    for (let i = 0; i < count; i++) {
        state = (state * 6364136223846793005n + 1442695040888963407n) & mask;
        tokens[i] = Number((state >> 33n) % BigInt(nVocab));
    }
    return tokens;
}

/**
 * onTimed, if given, is called once the warm-up pass is done, before the timed passes.
 * @returns {{ppTokS: number, tgTokS: number}} medians over `reps` timed passes
 */
export function measureSpeed(core, { pp, tg, reps, onTimed }) {
    const tokens = benchTokens(pp, core.nVocab);
    const ppRate = [];
    const tgRate = [];
    for (let rep = -1; rep < reps; rep++) {
        if (rep === 0) onTimed?.();
        core.kvTruncate(0);
        const t0 = performance.now();
        core.eval(tokens);
        const t1 = performance.now();
        for (let i = 0; i < tg; i++) core.eval(tokens[0]);
        const t2 = performance.now();
        if (rep >= 0) {
            ppRate.push((pp * 1e3) / (t1 - t0));
            tgRate.push((tg * 1e3) / (t2 - t1));
        }
    }
    return { ppTokS: median(ppRate), tgTokS: median(tgRate) };
}
