// Kernel throughput: one 4096 x 4096 mat-vec (like decoding one token; by vec_dot per row, or the
// table's gemm_rows4 or gemv as the matmul calls it) per weight type, with the
// scalar reference table and with the table in use (the SIMD128 kernels in a -msimd128 build,
// -mrelaxed-simd for the relaxed ones, patched by wasm/patch-relaxed-simd.mjs; natively both are
// the reference).
// Prints GB/s of weight bytes streamed and Gelem/s (multiply-adds), and the time to quantize one
// 4096-element activation row; asserts nothing. Single-threaded. Arguments, if any, name the types
// to run (e.g. "Q4_0 Q4_K").
//
// Node's V8 is not Chromium's, and the same wasm can rank differently in the two: check a kernel
// change in Chromium too, with the same build: node tests/bench/browser-kernels.mjs --js FILE.js.
//
// Built with -DBENCH_THREADS (and the engine's matmul and thread pool), it also times the engine's
// own matmul (src/matmul.c: activation quantization, the rows split over the pool, the kernels) on
// 1 and on 2 threads, for one token and for MT_TOKENS, and prints the 2-thread speed-up (the median
// and range over MT_ROUNDS rounds in which 1 and 2 threads take turns). In
// Chromium (the page is cross-origin isolated; main() runs on a worker thread):
//   NODE_PATH=/usr/share/nodejs emcc -O3 -msimd128 -mrelaxed-simd -pthread -sPROXY_TO_PTHREAD
//       -sPTHREAD_POOL_SIZE=3 -sALLOW_MEMORY_GROWTH=1 -DBENCH_THREADS -Isrc src/quant*.c src/types.c
//       src/matmul.c src/threadpool.c src/futex.c tests/bench/bench_kernels.c -o /tmp/bkt.js
//   node wasm/patch-relaxed-simd.mjs /tmp/bkt.wasm
//   node tests/bench/browser-kernels.mjs --js /tmp/bkt.js Q4_0 Q6_K
//
// WebAssembly (Node):
//   NODE_PATH=/usr/share/nodejs emcc -O3 -msimd128 -sALLOW_MEMORY_GROWTH=1 -Isrc
//       src/quant*.c src/types.c tests/bench/bench_kernels.c -o /tmp/bench_kernels.js
//   node --no-experimental-fetch /tmp/bench_kernels.js
// (Node 20's built-in fetch cannot load the .wasm by path; the flag makes emcc's loader read it.)
// Native:
//   cc -O3 -Isrc src/quant*.c src/types.c tests/bench/bench_kernels.c -lm -o /tmp/bench_kernels
#define _POSIX_C_SOURCE 200809L // clock_gettime under -std=c11

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quant.h"
#include "quant_blocks.h"
#include "types.h"
#ifdef BENCH_THREADS
#include "matmul.h"
#endif
#ifdef __wasm_simd128__
#include "quant_simd128.h"
#endif

#ifndef ROWS
#define ROWS 4096
#endif
#ifndef COLS
#define COLS 4096
#endif
// V8 first runs wasm in its baseline compiler and swaps in optimised code compiled on a background
// thread; on a busy 2-core machine that can take a while, so each kernel is warmed up for a fixed
// time before it is measured.
#define WARMUP_SECONDS 0.3
#define MIN_SECONDS 0.4 // per measurement

static const hs_type TYPES[] = {
    HS_TYPE_F32,  HS_TYPE_F16,  HS_TYPE_BF16, HS_TYPE_Q8_0, HS_TYPE_Q4_0, HS_TYPE_Q4_1, HS_TYPE_Q5_0,
    HS_TYPE_Q5_1, HS_TYPE_Q2_K, HS_TYPE_Q3_K, HS_TYPE_Q4_K, HS_TYPE_Q5_K, HS_TYPE_Q6_K, HS_TYPE_IQ4_NL,
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t next_random(void) {
    // xorshift64*: fast, and identical on every platform
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static float random_float(void) { return (float)next_random() / 2147483648.0f - 1.0f; } // [-1, 1)

// A plausible f16 block scale (finite, normal).
static hs_f16 random_scale(void) { return hs_f32_to_f16(0.001f + 0.01f * fabsf(random_float())); }

// A Q6_K super-block scale as files have it: the largest group scale / 127, for weights of a
// trained model's size an f16 subnormal (1e-5 .. 5e-5), on which a kernel's f32 subnormal
// operations would take x86's slow path: the bench measures that case.
static hs_f16 random_q6_K_d(void) { return hs_f32_to_f16(1e-5f + 4e-5f * fabsf(random_float())); }

// Random quants with sane scales: the kernels' speed does not depend on the values, as long as
// floats stay finite (and f16 scales are as files have them, see random_q6_K_d).
static void fill_weights(hs_type t, uint8_t *w, size_t bytes) {
    if (t == HS_TYPE_F32 || t == HS_TYPE_F16 || t == HS_TYPE_BF16) {
        const size_t elems = bytes / (t == HS_TYPE_F32 ? 4 : 2);
        for (size_t i = 0; i < elems; i++) {
            const float v = random_float() * 0.1f;
            if (t == HS_TYPE_F32) memcpy(w + 4 * i, &v, 4);
            else if (t == HS_TYPE_F16) { const hs_f16 h = hs_f32_to_f16(v); memcpy(w + 2 * i, &h, 2); }
            else { const hs_bf16 h = hs_f32_to_bf16(v); memcpy(w + 2 * i, &h, 2); }
        }
        return;
    }
    for (size_t i = 0; i < bytes; i += 4) {
        const uint32_t r = next_random();
        memcpy(w + i, &r, bytes - i < 4 ? bytes - i : 4);
    }
    const size_t block = hs_type_get(t)->type_size;
    size_t scale_at[2] = {0, (size_t)-1}; // byte offsets of the f16 scale fields in a block
    switch (t) {
    case HS_TYPE_Q4_1: scale_at[1] = offsetof(block_q4_1, m); break;
    case HS_TYPE_Q5_1: scale_at[1] = offsetof(block_q5_1, m); break;
    case HS_TYPE_Q2_K: scale_at[0] = offsetof(block_q2_K, d); scale_at[1] = offsetof(block_q2_K, dmin); break;
    case HS_TYPE_Q3_K: scale_at[0] = offsetof(block_q3_K, d); break;
    case HS_TYPE_Q4_K: scale_at[1] = offsetof(block_q4_K, dmin); break;
    case HS_TYPE_Q5_K: scale_at[1] = offsetof(block_q5_K, dmin); break;
    case HS_TYPE_Q6_K: scale_at[0] = offsetof(block_q6_K, d); break;
    default: break;
    }
    for (size_t b = 0; b + block <= bytes; b += block) {
        // a Q8_0 quantizer writes -127..127 (the relaxed kernels hand a -128 to the reference)
        for (size_t j = 2; t == HS_TYPE_Q8_0 && j < block; j++) if (w[b + j] == 0x80) w[b + j] = 0x81;
        for (int k = 0; k < 2; k++) {
            if (scale_at[k] == (size_t)-1) continue;
            const hs_f16 s = t == HS_TYPE_Q6_K ? random_q6_K_d() : random_scale();
            memcpy(w + b + scale_at[k], &s, 2);
        }
    }
}

static volatile float sink; // keeps the results alive

// Seconds per call of step(ctx): the best of as many runs as fit in MIN_SECONDS (at least
// min_runs), after WARMUP_SECONDS.
static double time_best(void (*step)(const void *ctx), const void *ctx, int min_runs) {
    double best = 1e30, warm = 0.0, spent = 0.0;
    for (int run = 0; run < min_runs || spent < MIN_SECONDS; run++) {
        const double t0 = now_seconds();
        step(ctx);
        const double dt = now_seconds() - t0;
        if (warm < WARMUP_SECONDS) {
            warm += dt;
            continue;
        }
        spent += dt;
        if (dt < best) best = dt;
    }
    return best;
}

typedef struct {
    const hs_quant_traits *tr;
    const uint8_t *w, *act;
    size_t row_bytes, act_row;
    float *out;
    bool rows4;  // w interleaved (hs_interleave_rows4): read by gemm_rows4 only
    bool finite; // w checked to hold no inf or NaN, as the loader checks (hs_tensor.finite)
} kernel_run;

// The gemm the matmul would call for this many tokens (NULL: vec_dot per row and token); for one
// token the type's gemv where it has one (gemv_finite for weights checked finite, as src/matmul.c).
static hs_gemm_fn gemm_for(const kernel_run *k, int tokens) {
    if (k->rows4) return k->tr->gemm_rows4;
    if (tokens > 1) return k->tr->gemm;
    return k->finite && k->tr->gemv_finite ? k->tr->gemv_finite : k->tr->gemv;
}

#define PP_TOKENS 16 // activation rows of the prefill measurement
#define PP_TILE 16   // weight rows per gemm call, as src/matmul.c tiles them (all rows for a gemm_whole_range type)

// One mat-vec: every row times one activation row, as the matmul does it on one thread: by
// gemm_rows4 on interleaved weights or by the type's gemv, over all rows in one call, else by
// vec_dot per row.
static void matvec_step(const void *ctx) {
    const kernel_run *k = ctx;
    const hs_gemm_fn gemm = gemm_for(k, 1);
    if (gemm) {
        gemm(COLS, ROWS, 1, k->w, k->row_bytes, k->act, 0, k->out, ROWS);
        return;
    }
    for (int r = 0; r < ROWS; r++) k->tr->vec_dot(COLS, &k->out[r], k->w + (size_t)r * k->row_bytes, k->act);
}

// Seconds per mat-vec.
static double time_matvec(const hs_quant_traits *tr, const uint8_t *w, size_t row_bytes, const void *act, float *out,
                          bool rows4) {
    const bool finite = tr->all_finite && tr->all_finite(w, (size_t)ROWS * row_bytes);
    const kernel_run k = {tr, w, act, row_bytes, 0, out, rows4, finite};
    const double best = time_best(matvec_step, &k, 3);
    float s = 0.0f;
    for (int r = 0; r < ROWS; r++) s += out[r];
    sink = s;
    return best;
}

// One prefill step: every row times PP_TOKENS activation rows, by the table's gemm in tiles of
// PP_TILE rows (or all at once) as the matmul calls it, or (no gemm) by vec_dot per row and token.
static void prefill_step(const void *ctx) {
    const kernel_run *k = ctx;
    const hs_gemm_fn gemm = gemm_for(k, PP_TOKENS);
    const int tile = gemm && k->tr->gemm_whole_range ? ROWS : PP_TILE;
    for (int r0 = 0; r0 < ROWS; r0 += tile) {
        const uint8_t *wt = k->w + (size_t)r0 * k->row_bytes;
        if (gemm) {
            gemm(COLS, tile, PP_TOKENS, wt, k->row_bytes, k->act, k->act_row, k->out + r0, ROWS);
            continue;
        }
        for (int t = 0; t < PP_TOKENS; t++) {
            for (int r = 0; r < PP_TILE; r++) {
                k->tr->vec_dot(COLS, &k->out[(size_t)t * ROWS + r0 + r], wt + (size_t)r * k->row_bytes,
                               k->act + t * k->act_row);
            }
        }
    }
}

// Seconds per prefill step.
static double time_prefill(const hs_quant_traits *tr, const uint8_t *w, size_t row_bytes, const uint8_t *act,
                           size_t act_row, float *out, bool rows4) {
    const kernel_run k = {tr, w, act, row_bytes, act_row, out, rows4, false};
    const double best = time_best(prefill_step, &k, 2);
    sink = out[0] + out[(size_t)PP_TOKENS * ROWS - 1];
    return best;
}

#ifdef BENCH_THREADS
#define MT_TOKENS 64 // the prefill of the threaded measurement (the browser bench's pp64)

typedef struct {
    hs_matmul_ctx *ctx;
    const float *x;
    int tokens;
    const hs_tensor *w;
    float *y;
} matmul_run;

static void matmul_step(const void *p) {
    const matmul_run *m = p;
    hs_matmul(m->ctx, m->x, m->tokens, COLS, m->w, m->y);
}

// A matmul context as the engine's holds it, on a pool of `threads`: false if out of memory.
static bool matmul_ctx_init(hs_matmul_ctx *ctx, int threads, const hs_tensor *w, int tokens) {
    *ctx = (hs_matmul_ctx){.pool = hs_threadpool_create(threads), .qbuf_size = hs_matmul_qbuf_size(tokens, COLS)};
    ctx->qbuf = malloc(ctx->qbuf_size);
    // prepared activations as the engine's context holds them (-DBENCH_NO_PREP: without, to compare)
    const hs_quant_traits *q = hs_quant_traits_get(w->type);
#ifndef BENCH_NO_PREP
    ctx->prep_size = q->prep_bytes && tokens > 1 ? (size_t)q->prep_bytes(COLS, tokens) : 0;
#endif
    ctx->prep = ctx->prep_size ? aligned_alloc(16, (ctx->prep_size + 15) & ~(size_t)15) : NULL;
    return ctx->pool && ctx->qbuf && (ctx->prep || !ctx->prep_size);
}

static void matmul_ctx_free(hs_matmul_ctx *ctx) {
    free(ctx->qbuf);
    free(ctx->prep);
    if (ctx->pool) hs_threadpool_free(ctx->pool);
}

static int compare_doubles(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof v[0], compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// 1 and 2 threads take turns, MT_ROUNDS times (each turn the best of a few matmuls), so that both
// see the same moments of a noisy shared machine; a 2-thread speed-up is a turn's pair's ratio.
#define MT_ROUNDS 5

typedef struct {
    double gelem_1t, gelem_2t;          // medians over the rounds
    double speedup, speedup_lo, speedup_hi; // median and range of the rounds' 2t / 1t
} thread_scaling;

static bool measure_scaling(const hs_tensor *w, const float *x, int tokens, float *y, thread_scaling *out) {
    hs_matmul_ctx ctx[2];
    bool ok = matmul_ctx_init(&ctx[0], 1, w, tokens);
    ok = matmul_ctx_init(&ctx[1], 2, w, tokens) && ok;
    if (ok) {
        double s1[MT_ROUNDS], s2[MT_ROUNDS], ratio[MT_ROUNDS];
        for (int r = 0; r < MT_ROUNDS; r++) {
            const matmul_run m1 = {&ctx[0], x, tokens, w, y}, m2 = {&ctx[1], x, tokens, w, y};
            s1[r] = time_best(matmul_step, &m1, 3);
            s2[r] = time_best(matmul_step, &m2, 3);
            ratio[r] = s1[r] / s2[r];
        }
        const double elems = (double)ROWS * COLS * tokens;
        out->gelem_1t = elems / median(s1, MT_ROUNDS) * 1e-9;
        out->gelem_2t = elems / median(s2, MT_ROUNDS) * 1e-9;
        out->speedup = median(ratio, MT_ROUNDS); // sorts ratio
        out->speedup_lo = ratio[0], out->speedup_hi = ratio[MT_ROUNDS - 1];
    }
    matmul_ctx_free(&ctx[0]);
    matmul_ctx_free(&ctx[1]);
    return ok;
}

// The weight (as the engine holds it after load) through the matmul on 1 and 2 threads.
static void print_threads(hs_type t, const uint8_t *w, size_t row_bytes, bool rows4) {
    const hs_quant_traits *tr = hs_quant_traits_get(t);
    const bool finite = tr->gemv_finite && tr->all_finite && tr->all_finite(w, (size_t)ROWS * row_bytes);
    const hs_tensor tensor = {.data = w, .type = t, .ne = {COLS, ROWS}, .row_bytes = row_bytes, .rows4 = rows4, .finite = finite};
    float *x = malloc((size_t)MT_TOKENS * COLS * sizeof(float)), *y = malloc((size_t)MT_TOKENS * ROWS * sizeof(float));
    thread_scaling dec, pp;
    if (x) {
        for (size_t i = 0; i < (size_t)MT_TOKENS * COLS; i++) x[i] = random_float();
    }
    if (!x || !y || !measure_scaling(&tensor, x, 1, y, &dec) || !measure_scaling(&tensor, x, MT_TOKENS, y, &pp)) {
        printf("%-7s threads: out of memory\n", hs_type_get(t)->name);
    } else {
        printf("%-7s threads | decode 1t %6.2f 2t %6.2f Gelem/s (2t/1t %.2f, %.2f-%.2f) | pp%d 1t %6.2f 2t %6.2f Gelem/s "
               "(2t/1t %.2f, %.2f-%.2f)\n",
               hs_type_get(t)->name, dec.gelem_1t, dec.gelem_2t, dec.speedup, dec.speedup_lo, dec.speedup_hi, MT_TOKENS,
               pp.gelem_1t, pp.gelem_2t, pp.speedup, pp.speedup_lo, pp.speedup_hi);
        sink = y[0];
    }
    free(x), free(y);
}
#endif

// Seconds per activation row quantization.
static double time_quantize(hs_quantize_row_fn quantize, const float *x, void *act) {
    const int reps = 2000;
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        const double t0 = now_seconds();
        for (int i = 0; i < reps; i++) quantize(x, act, COLS);
        const double dt = (now_seconds() - t0) / reps;
        if (round > 0 && dt < best) best = dt;
    }
    return best;
}

int main(int argc, char **argv) {
#ifdef __wasm_simd128__
    const char *target = "wasm simd128";
#elif defined(__wasm__)
    const char *target = "wasm (no simd)";
#else
    const char *target = "native";
#endif
    printf("%d x %d mat-vec, one thread, %s; ref = scalar reference table, fast = table in use\n", ROWS, COLS, target);
#ifdef __wasm_relaxed_simd__
    printf("Q4_0 dots: %s (timed once when the table was built)\n",
           hs_quant_traits_get(HS_TYPE_Q4_0)->gemm_rows4 == hs_gemm_rows4_q4_0_q8_0_i16_simd128 ? "i16 pair sums" : "i32 dot");
#endif
    printf("%-7s %8s | %8s %8s | %8s %8s | %7s | %9s %9s | %10s\n", "type", "MiB", "ref GB/s", "Gelem/s", "fast GB/s",
           "Gelem/s", "speedup", "act ref", "act fast", "pp Gelem/s");
    float *x = malloc(COLS * sizeof(float));
    float *out = malloc((size_t)PP_TOKENS * ROWS * sizeof(float));
    for (int i = 0; i < COLS; i++) x[i] = random_float();
    const size_t act_row = hs_row_size(HS_TYPE_F32, COLS);
    uint8_t *act = malloc(act_row * PP_TOKENS);
    for (size_t ti = 0; ti < sizeof TYPES / sizeof TYPES[0]; ti++) {
        const hs_type t = TYPES[ti];
        bool wanted = argc < 2;
        for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], hs_type_get(t)->name) == 0;
        if (!wanted) continue;
        const hs_quant_traits *ref = hs_quant_traits_ref(t), *fast = hs_quant_traits_get(t);
        const size_t row_bytes = hs_row_size(t, COLS);
        uint8_t *w = malloc(row_bytes * ROWS);
        if (!w) {
            printf("%-7s out of memory\n", hs_type_get(t)->name);
            continue;
        }
        fill_weights(t, w, row_bytes * ROWS);
        const hs_type vt = ref->vec_dot_type;
        const double q_ref = time_quantize(hs_quant_traits_ref(vt)->quantize_activation, x, act);
        const double q_fast = time_quantize(hs_quant_traits_get(vt)->quantize_activation, x, act);
        const size_t vt_row = hs_row_size(vt, COLS);
        for (int k = 0; k < PP_TOKENS; k++) {
            x[k] = random_float(); // tokens differ a little
            hs_quant_traits_get(vt)->quantize_activation(x, act + (size_t)k * vt_row, COLS);
        }
        const double t_ref = time_matvec(ref, w, row_bytes, act, out, false);
        // the table in use, with the weight layout the engine gives it at load
        const bool rows4 = fast->gemm_rows4 && hs_interleave_rows4(w, ROWS, row_bytes, t);
        const double t_pp = time_prefill(fast, w, row_bytes, act, vt_row, out, rows4);
        const double t_fast = time_matvec(fast, w, row_bytes, act, out, rows4);
        const double bytes = (double)row_bytes * ROWS, elems = (double)ROWS * COLS;
        printf("%-7s %8.1f | %8.2f %8.2f | %8.2f %8.2f | %6.1fx | %7.1fus %7.1fus | %6.2f %s\n", hs_type_get(t)->name,
               bytes / (1024.0 * 1024.0), bytes / t_ref * 1e-9, elems / t_ref * 1e-9, bytes / t_fast * 1e-9,
               elems / t_fast * 1e-9, t_ref / t_fast, q_ref * 1e6, q_fast * 1e6, elems * PP_TOKENS / t_pp * 1e-9,
               rows4 ? "gemm_rows4" : fast->gemm ? "gemm" : "vec_dot");
#ifdef BENCH_THREADS
        print_threads(t, w, row_bytes, rows4);
#endif
        fflush(stdout);
        free(w);
    }
    printf("act: quantizing one %d-element activation row to the vec_dot type (%s)\n", COLS,
           "Q8_0/Q8_1/Q8_K/F16/BF16; F32 is a copy");
    printf("pp: every row times %d activation rows, in tiles of %d rows (gemm where the type has one)\n", PP_TOKENS,
           PP_TILE);
    free(x);
    free(out);
    free(act);
    return 0;
}
