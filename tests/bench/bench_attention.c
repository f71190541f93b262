// Attention's F16-cache kernels over a causal prefill from position 0: for each of 12 heads of
// head_dim 64 and each of POS tokens, the token's scores against the keys it sees
// (hs_dot_rows_f16) and its output from the values (hs_mix_rows_f16), one query at a time, against
// the same work HS_ROWS_QUERIES consecutive tokens at a time (the _multi kernels, as
// src/forward.c's attention calls them). Then one decode step after those POS tokens with the 12
// heads in groups of GROUP sharing a KV head (grouped-query attention; default 3): one head at a
// time against the group's heads together. Prints microseconds per layer (best of 200) and the
// ratios, three times; asserts nothing. Single-threaded.
//
// In Chromium (the last line starts with "pp: ", which tests/bench/browser-kernels.mjs waits for):
//   NODE_PATH=/usr/share/nodejs emcc -O3 -msimd128 -mrelaxed-simd -ffp-contract=off -DPOS=64 -Isrc
//       tests/bench/bench_attention.c src/vec.c src/vec_simd128.c src/quant*.c src/types.c
//       -sALLOW_MEMORY_GROWTH=1 -o /tmp/ba.js
//   node wasm/patch-relaxed-simd.mjs --allow-none /tmp/ba.wasm
//   node tests/bench/browser-kernels.mjs --js /tmp/ba.js
#define _POSIX_C_SOURCE 200809L // clock_gettime under -std=c11

#include <stdio.h>
#include <time.h>

#include "vec.h"

#ifndef POS
#define POS 64
#endif
#ifndef GROUP
#define GROUP 3
#endif
enum { HEADS = 12, HEAD_DIM = 64 };

static hs_f16 k_cache[HEADS][POS * HEAD_DIM], v_cache[HEADS][POS * HEAD_DIM];
static hs_f16 queries[POS > HEADS ? POS : HEADS][HEAD_DIM], probs[POS][POS];
static float scores[HS_ROWS_QUERIES][POS], outs[HS_ROWS_QUERIES][HEAD_DIM];
static volatile float sink; // keeps the results alive

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint32_t rng = 12345;
static float random_value(void) { // [-2, 2)
    rng = rng * 1103515245u + 12345u;
    return (float)(rng >> 8) / 4194304.0f - 2.0f;
}

static void one_query_at_a_time(void) {
    for (int h = 0; h < HEADS; h++) {
        for (int t = 0; t < POS; t++) {
            hs_dot_rows_f16(scores[0], queries[t], k_cache[h], HEAD_DIM, t + 1, HEAD_DIM, true);
            hs_mix_rows_f16(outs[0], probs[t], v_cache[h], HEAD_DIM, t + 1, HEAD_DIM, true);
            sink += scores[0][t] + outs[0][0];
        }
    }
}

static void queries_together(void) {
    float *score_rows[HS_ROWS_QUERIES], *out_rows[HS_ROWS_QUERIES];
    for (int i = 0; i < HS_ROWS_QUERIES; i++) score_rows[i] = scores[i], out_rows[i] = outs[i];
    for (int h = 0; h < HEADS; h++) {
        for (int t0 = 0; t0 < POS; t0 += HS_ROWS_QUERIES) {
            const int nq = POS - t0 < HS_ROWS_QUERIES ? POS - t0 : HS_ROWS_QUERIES;
            const hs_f16 *q[HS_ROWS_QUERIES], *p[HS_ROWS_QUERIES];
            int n_rows[HS_ROWS_QUERIES];
            for (int i = 0; i < nq; i++) q[i] = queries[t0 + i], p[i] = probs[t0 + i], n_rows[i] = t0 + i + 1;
            hs_dot_rows_f16_multi(score_rows, q, nq, k_cache[h], HEAD_DIM, n_rows, HEAD_DIM, true);
            hs_mix_rows_f16_multi(out_rows, p, nq, v_cache[h], HEAD_DIM, n_rows, HEAD_DIM, true);
            sink += scores[0][t0] + outs[0][0];
        }
    }
}

// Decode: the last token (position POS - 1) of every head; head h reads KV head h / GROUP (the
// caches of the first HEADS / GROUP heads stand in for the KV heads).
static void decode_one_head_at_a_time(void) {
    for (int h = 0; h < HEADS; h++) {
        hs_dot_rows_f16(scores[0], queries[h], k_cache[h / GROUP], HEAD_DIM, POS, HEAD_DIM, true);
        hs_mix_rows_f16(outs[0], probs[POS - 1], v_cache[h / GROUP], HEAD_DIM, POS, HEAD_DIM, true);
        sink += scores[0][0] + outs[0][0];
    }
}

static void decode_groups_together(void) {
    float *score_rows[HS_ROWS_QUERIES], *out_rows[HS_ROWS_QUERIES];
    for (int i = 0; i < HS_ROWS_QUERIES; i++) score_rows[i] = scores[i], out_rows[i] = outs[i];
    for (int kvh = 0; kvh < HEADS / GROUP; kvh++) {
        for (int h0 = 0; h0 < GROUP; h0 += HS_ROWS_QUERIES) {
            const int nq = GROUP - h0 < HS_ROWS_QUERIES ? GROUP - h0 : HS_ROWS_QUERIES;
            const hs_f16 *q[HS_ROWS_QUERIES], *p[HS_ROWS_QUERIES];
            int n_rows[HS_ROWS_QUERIES];
            for (int i = 0; i < nq; i++) q[i] = queries[kvh * GROUP + h0 + i], p[i] = probs[POS - 1], n_rows[i] = POS;
            hs_dot_rows_f16_multi(score_rows, q, nq, k_cache[kvh], HEAD_DIM, n_rows, HEAD_DIM, true);
            hs_mix_rows_f16_multi(out_rows, p, nq, v_cache[kvh], HEAD_DIM, n_rows, HEAD_DIM, true);
            sink += scores[0][0] + outs[0][0];
        }
    }
}

static double best_seconds(void (*layer)(void)) {
    double best = 1e30;
    for (int run = 0; run < 200; run++) {
        const double t0 = now_seconds();
        layer();
        const double dt = now_seconds() - t0;
        if (dt < best) best = dt;
    }
    return best;
}

int main(void) {
    for (int h = 0; h < HEADS; h++) {
        for (int i = 0; i < POS * HEAD_DIM; i++) {
            k_cache[h][i] = hs_f32_to_f16(random_value());
            v_cache[h][i] = hs_f32_to_f16(random_value());
        }
    }
    for (int t = 0; t < (POS > HEADS ? POS : HEADS); t++)
        for (int i = 0; i < HEAD_DIM; i++) queries[t][i] = hs_f32_to_f16(random_value());
    for (int t = 0; t < POS; t++) {
        for (int j = 0; j <= t; j++) probs[t][j] = hs_f32_to_f16(1.0f / (float)(t + 1));
    }
    for (int round = 0; round < 3; round++) {
        const double single = best_seconds(one_query_at_a_time), multi = best_seconds(queries_together);
        printf("attention, %d tokens from position 0, %d heads x %d: one query at a time %.0f us, %d at a time %.0f us (%.2fx)\n",
               POS, HEADS, HEAD_DIM, single * 1e6, HS_ROWS_QUERIES, multi * 1e6, single / multi);
        const double heads = best_seconds(decode_one_head_at_a_time), groups = best_seconds(decode_groups_together);
        printf("decode at position %d, %d heads in groups of %d: one head at a time %.1f us, a group at a time %.1f us (%.2fx)\n",
               POS - 1, HEADS, GROUP, heads * 1e6, groups * 1e6, heads / groups);
    }
    printf("pp: done\n");
    return 0;
}
