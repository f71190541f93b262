// The matmul (src/matmul.c) against vec_dot per row and token, bit for bit: on one thread and on
// two, with and without activations prepared in the gemm's own form (hs_matmul_ctx.prep; F16,
// BF16, interleaved Q4_0 and, under relaxed SIMD, Q6_K in WebAssembly builds), whose rows then go
// out on demand in chunks. Shapes cross the chunks (64 rows) and the F16 gemm's token groups (64 tokens); weights of several types share
// one call; Q8_0, IQ4_NL and k-quant weights, whose gemms also take rows on demand; F16 rows interleaved in pairs (rows4) as the loader leaves them; an inf activation.
// Natively the table has no prepared form: the same checks then cover the plain paths. The
// on-demand path needs two threads: the pthreads flavour of the wasm suite runs this test.
#include "harness.h"
#include "matmul.h"
#include "quant.h"
#include "threadpool.h"
#include "types.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#ifdef __wasm_simd128__
#include "quant_simd128.h"
#endif

typedef struct {
    hs_tensor t;
    uint8_t *plain; // the rows before interleaving, for vec_dot
} weight;

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static weight make_weight(hs_type type, int K, int N, bool rows4, uint64_t seed) {
    const hs_quant_traits *q = hs_quant_traits_get(type);
    weight w = {.t = {.type = type, .ne = {K, N}, .row_bytes = hs_row_size(type, (uint64_t)K), .name = "w"}};
    w.plain = malloc((size_t)N * w.t.row_bytes);
    uint8_t *data = malloc((size_t)N * w.t.row_bytes);
    float *row = malloc((size_t)K * sizeof(float));
    for (int r = 0; r < N; r++) {
        for (int i = 0; i < K; i++) row[i] = test_randf(&seed) * (r % 5 == 1 ? 40.0f : 1.0f);
        hs_quant_traits_ref(type)->quantize_row(row, w.plain + (size_t)r * w.t.row_bytes, K);
    }
    memcpy(data, w.plain, (size_t)N * w.t.row_bytes);
    if (rows4) {
        w.t.rows4 = q->gemm_rows4 && hs_interleave_rows4(data, N, w.t.row_bytes, type);
        if (!w.t.rows4) memcpy(data, w.plain, (size_t)N * w.t.row_bytes);
    }
    w.t.data = data;
    free(row);
    return w;
}

static void free_weight(weight *w) {
    free((void *)w->t.data);
    free(w->plain);
}

// Every output of ys[i] = x · ws[i]ᵀ is vec_dot's on the activation as the matmul quantizes it:
// the table's own for the float types and the k-quants (their gemms keep its order), the
// reference's for the 32-element formats (whose gemms keep the reference's order, their SIMD
// vec_dot a four-lane one); a NaN-filled output shows rows or tokens left unwritten.
static int checks;
static void check_matmul(hs_threadpool *pool, bool prep, const float *x, int T, int K, weight *ws, int n,
                         const char *what) {
    hs_matmul_ctx ctx = {.pool = pool, .qbuf_size = hs_matmul_qbuf_size(T, K)};
    ctx.qbuf = malloc(ctx.qbuf_size);
    for (int i = 0; prep && i < n; i++) {
        const hs_quant_traits *q = hs_quant_traits_get(ws[i].t.type);
        const uint64_t bytes = q->prep_bytes ? q->prep_bytes(K, T) : 0;
        if (bytes > ctx.prep_size) ctx.prep_size = (size_t)bytes;
    }
    if (ctx.prep_size) ctx.prep = aligned_alloc(16, (ctx.prep_size + 15) & ~(size_t)15);
    const hs_tensor *tensors[4];
    float *ys[4];
    for (int i = 0; i < n; i++) {
        tensors[i] = &ws[i].t;
        ys[i] = malloc((size_t)T * (size_t)ws[i].t.ne[1] * sizeof(float));
        for (int64_t j = 0; j < T * ws[i].t.ne[1]; j++) ys[i][j] = NAN;
    }
    hs_matmul_multi(&ctx, x, T, K, tensors, ys, n);
    for (int i = 0; i < n; i++) {
        const hs_quant_traits *q = hs_quant_traits_get(ws[i].t.type);
        const hs_type vt = q->vec_dot_type;
        const size_t act_row = hs_row_size(vt, (uint64_t)K);
        uint8_t *act = malloc(act_row);
        const int64_t N = ws[i].t.ne[1];
        int wrong = 0;
        for (int t = 0; t < T; t++) {
            if (vt == HS_TYPE_F32) memcpy(act, x + (size_t)t * K, act_row);
            else hs_quant_traits_get(vt)->quantize_activation(x + (size_t)t * K, act, K);
            for (int64_t r = 0; r < N; r++) {
                float want;
                const hs_type wt = ws[i].t.type;
                const bool own_order = wt == HS_TYPE_F16 || wt == HS_TYPE_BF16 || (wt >= HS_TYPE_Q2_K && wt <= HS_TYPE_Q6_K);
                (own_order ? q : hs_quant_traits_ref(wt))->vec_dot(K, &want, ws[i].plain + (size_t)r * ws[i].t.row_bytes, act);
                const float got = ys[i][(size_t)t * N + r];
                const bool same = f32_bits(got) == f32_bits(want) || (isnan(got) && isnan(want));
                if (!same && wrong++ < 3)
                    fprintf(stderr, "%s: %s weight %d (%s%s) row %lld token %d: %.9g, vec_dot %.9g\n", what,
                            prep && ctx.prep ? "prepared" : "plain", i, hs_type_get(ws[i].t.type)->name,
                            ws[i].t.rows4 ? ", rows4" : "", (long long)r, t, got, want);
                checks++;
            }
        }
        CHECK(wrong == 0, "%s: weight %d (%s), %d of %lld results differ", what, i, hs_type_get(ws[i].t.type)->name,
              wrong, (long long)(T * N));
        free(act);
        free(ys[i]);
    }
    free(ctx.qbuf);
    free(ctx.prep);
}

// The scratch estimate (hs_matmul_scratch_bytes) against what a call's gemms take: Q4_0 and
// Q6_K interleaved in one call, both able to read prepared activations but of different
// activation types, so Q4_0 reads them prepared and Q6_K (2304-element rows, 16 tokens: its
// activation records outgrow the stack under relaxed SIMD) runs its own gemm and takes scratch.
// On one thread, first: the calling thread then holds exactly what this call took. Natively and
// in the plain SIMD128 build neither takes any, and the estimate must say 0 there too.
static void test_scratch_estimate(hs_threadpool *pool) {
    const int K = 2304, T = 16;
    weight ws[2] = {make_weight(HS_TYPE_Q4_0, K, 64, true, 101), make_weight(HS_TYPE_Q6_K, K, 64, true, 102)};
    const hs_tensor *tensors[2] = {&ws[0].t, &ws[1].t};
    size_t prep_size = 0;
    for (int i = 0; i < 2; i++) {
        const hs_quant_traits *q = hs_quant_traits_get(ws[i].t.type);
        const uint64_t bytes = q->prep_bytes ? q->prep_bytes(K, T) : 0;
        if (bytes > prep_size) prep_size = (size_t)bytes;
    }
    const uint64_t estimate = hs_matmul_scratch_bytes(tensors, 2, T, K, prep_size);
    float *x = malloc((size_t)T * K * sizeof(float));
    uint64_t seed = 5;
    for (int i = 0; i < T * K; i++) x[i] = test_randf(&seed);
    float *y0 = malloc((size_t)T * 64 * sizeof(float)), *y1 = malloc((size_t)T * 64 * sizeof(float));
    float *ys[2] = {y0, y1};
    hs_matmul_ctx ctx = {.pool = pool, .qbuf_size = hs_matmul_qbuf_size(T, K), .prep_size = prep_size};
    ctx.qbuf = malloc(ctx.qbuf_size);
    ctx.prep = prep_size ? aligned_alloc(16, (prep_size + 15) & ~(size_t)15) : NULL;
#ifdef __wasm_simd128__
    const size_t before = hs_simd128_scratch_held();
#endif
    hs_matmul_multi(&ctx, x, T, K, tensors, ys, 2);
#ifdef __wasm_simd128__
    const size_t held = hs_simd128_scratch_held();
    CHECK(before == 0, "the thread held %zu bytes of scratch before the first call", before);
    CHECK(held <= estimate, "Q4_0 + Q6_K call: the gemms took %zu bytes of scratch, the estimate says %llu", held,
          (unsigned long long)estimate);
#ifdef __wasm_relaxed_simd__
    CHECK(held > 0 && ws[0].t.rows4 && ws[1].t.rows4, "Q4_0 + Q6_K call: no scratch taken (%zu), so nothing was tested", held);
#endif
#else
    CHECK(estimate == 0, "natively no gemm takes scratch, yet the estimate says %llu", (unsigned long long)estimate);
#endif
    free(ctx.qbuf);
    free(ctx.prep);
    free(x);
    free(y0);
    free(y1);
    for (int i = 0; i < 2; i++) free_weight(&ws[i]);
}

int main(void) {
    hs_threadpool *pools[2] = {hs_threadpool_create(1), hs_threadpool_create(2)};
#if defined(__EMSCRIPTEN_PTHREADS__) || !defined(__EMSCRIPTEN__)
    CHECK(hs_threadpool_size(pools[1]) == 2, "a pool of 2 threads has %d", hs_threadpool_size(pools[1]));
#endif
#ifdef __wasm_simd128__
    CHECK(hs_quant_traits_get(HS_TYPE_F16)->gemm_prep != NULL, "F16 has no gemm_prep: the prepared path goes untested");
    CHECK(hs_quant_traits_get(HS_TYPE_Q4_0)->gemm_rows4_prep != NULL, "Q4_0 has no gemm_rows4_prep: its prepared path goes untested");
#endif
    test_scratch_estimate(pools[0]);
    static const struct { int K, T; } shapes[] = {{256, 70}, {256, 5}, {200, 9}, {64, 2}};
    uint64_t seed = 42;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const int K = shapes[si].K, T = shapes[si].T;
        float *x = malloc((size_t)T * K * sizeof(float));
        for (int i = 0; i < T * K; i++) x[i] = test_randf(&seed);
        // Q, K and V of one call as the engine makes them: 200 rows (four chunks, the last of 8),
        // interleaved pairs (132 rows), 70 plain rows
        weight f16[3] = {make_weight(HS_TYPE_F16, K, 200, false, seed + 1), make_weight(HS_TYPE_F16, K, 132, true, seed + 2),
                         make_weight(HS_TYPE_F16, K, 70, false, seed + 3)};
        weight mixed[3] = {make_weight(HS_TYPE_BF16, K, 130, false, seed + 4), make_weight(HS_TYPE_F16, K, 68, true, seed + 5),
                           make_weight(K % 32 == 0 ? HS_TYPE_Q4_0 : HS_TYPE_F16, K, 36, false, seed + 6)};
        // gemms that prepare nothing per call, also handed out on demand: Q8_0 and IQ4_NL
        // interleaved, k-quants (K = 256 only)
        const bool k256 = K % 256 == 0, k32 = K % 32 == 0;
        weight ints[3] = {make_weight(k32 ? HS_TYPE_Q8_0 : HS_TYPE_F16, K, 136, true, seed + 7),
                          make_weight(k256 ? HS_TYPE_Q4_K : k32 ? HS_TYPE_Q8_0 : HS_TYPE_F16, K, 80, false, seed + 8),
                          make_weight(k256 ? HS_TYPE_Q6_K : k32 ? HS_TYPE_IQ4_NL : HS_TYPE_F16, K, 68, true, seed + 9)};
        // Q4_0 interleaved, whose gemm reads prepared activation blocks (wasm), with Q8_0 beside it
        weight q4[3] = {make_weight(k32 ? HS_TYPE_Q4_0 : HS_TYPE_F16, K, 200, true, seed + 10),
                        make_weight(k32 ? HS_TYPE_Q4_0 : HS_TYPE_F16, K, 68, true, seed + 11),
                        make_weight(k32 ? HS_TYPE_Q8_0 : HS_TYPE_F16, K, 36, false, seed + 12)};
        char what[96];
        for (int p = 0; p < 2; p++) {
            for (int prep = 0; prep < 2; prep++) {
                snprintf(what, sizeof what, "F16 K=%d T=%d, %d thread(s)", K, T, hs_threadpool_size(pools[p]));
                check_matmul(pools[p], prep, x, T, K, f16, 3, what);
                snprintf(what, sizeof what, "BF16 + F16 + Q4_0 K=%d T=%d, %d thread(s)", K, T, hs_threadpool_size(pools[p]));
                check_matmul(pools[p], prep, x, T, K, mixed, 3, what);
                snprintf(what, sizeof what, "BF16 alone K=%d T=%d, %d thread(s)", K, T, hs_threadpool_size(pools[p]));
                check_matmul(pools[p], prep, x, T, K, mixed, 1, what);
                snprintf(what, sizeof what, "integer formats K=%d T=%d, %d thread(s)", K, T, hs_threadpool_size(pools[p]));
                check_matmul(pools[p], prep, x, T, K, ints, 3, what);
                snprintf(what, sizeof what, "Q4_0 + Q8_0 K=%d T=%d, %d thread(s)", K, T, hs_threadpool_size(pools[p]));
                check_matmul(pools[p], prep, x, T, K, q4, 3, what);
            }
        }
        // an inf activation in token 1: its results are the reference's (inf or NaN) either way
        x[(size_t)K + 3] = INFINITY;
        for (int p = 0; p < 2; p++) {
            snprintf(what, sizeof what, "F16 K=%d T=%d with an inf, %d thread(s)", K, T, hs_threadpool_size(pools[p]));
            check_matmul(pools[p], true, x, T, K, f16, 3, what);
            snprintf(what, sizeof what, "Q4_0 + Q8_0 K=%d T=%d with an inf, %d thread(s)", K, T, hs_threadpool_size(pools[p]));
            check_matmul(pools[p], true, x, T, K, q4, 3, what);
        }
        for (int i = 0; i < 3; i++) free_weight(&f16[i]), free_weight(&mixed[i]), free_weight(&ints[i]), free_weight(&q4[i]);
        free(x);
    }
    printf("%d results compared\n", checks);
    hs_threadpool_free(pools[0]);
    hs_threadpool_free(pools[1]);
    return test_finish();
}
