// The kernel table in use (hs_quant_traits_get: the WebAssembly SIMD128 kernels in a -msimd128
// build) against the scalar reference (hs_quant_traits_ref), for every type:
//   - quantize_row and quantize_activation byte for byte (the activation quantizers Q8_0, Q8_1,
//     Q8_K, F16, BF16 on several seeds, the weight quantizers once), on random rows, rounding
//     ties, extremes, and for F16 / BF16 every rounding boundary and random bit patterns;
//   - dequantize_row bit for bit;
//   - vec_dot within 1e-5 of the sum of the magnitudes of its terms, and exactly where every term
//     and partial sum is an integer below 2^24 (unit scales), so the integer paths are checked
//     bit for bit; on realistic rows, raw random blocks (every bit pattern of the quants) and
//     constant extremes (weights all -128 / all 0xff / zero, activations -128 / 127 / 0).
//   - gemm, gemm_rows4 and gemv against the reference or vec_dot, also with infinite scales and
//     (for Q8_0 activations) int8 extremes of -128, which no quantizer writes.
// In a native build both tables are the reference, so the test only checks itself there; run it
// under wasm (see tests/bench/bench_kernels.c for the emcc command line).
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "quant_blocks.h"
#ifdef __wasm_simd128__
#include "quant_simd128.h"
#endif
#include "harness.h"
#include "types.h"

static const hs_type TYPES[] = {
    HS_TYPE_F32,  HS_TYPE_F16,  HS_TYPE_BF16, HS_TYPE_Q4_0, HS_TYPE_Q4_1, HS_TYPE_Q5_0,
    HS_TYPE_Q5_1, HS_TYPE_Q8_0, HS_TYPE_Q8_1, HS_TYPE_Q8_K, HS_TYPE_Q2_K, HS_TYPE_Q3_K,
    HS_TYPE_Q4_K, HS_TYPE_Q5_K, HS_TYPE_Q6_K, HS_TYPE_IQ4_NL,
};
#define NTYPES (sizeof TYPES / sizeof TYPES[0])
#define MAX_BLOCKS 16

static int exact_dot_checks, tolerance_dot_checks;

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static bool is_float_type(hs_type t) { return t == HS_TYPE_F32 || t == HS_TYPE_F16 || t == HS_TYPE_BF16; }

// Elements per test row of "blocks" blocks: float types use odd lengths too, for the tails.
static int row_length(hs_type t, int blocks) {
    // float rows: odd lengths (the kernels' tails), and every fourth one a multiple of 16 longer
    // than the F16 gemm's chunk of 128 (its tiled path: 16, 208, 400, 592; the last chunk partial)
    if (is_float_type(t)) return blocks % 4 == 1 ? 48 * blocks - 32 : 37 * blocks - (blocks % 3);
    return blocks * (int)hs_type_get(t)->block_size;
}

// Room for the biggest row plus a misalignment offset.
static void *alloc_row(void) { return calloc(1, MAX_BLOCKS * 1024 + 64); }

// ---- float inputs ----

enum {
    DIST_UNIFORM,   // [-1, 1)
    DIST_WIDE,      // magnitudes over 2^-20 .. 2^10 (F16 scales of weights stay finite)
    DIST_TIES,      // multiples of 1/2 with one +-127 per 32: Q8 scales of 1, so x/d lands on ties
    DIST_ZERO,
    DIST_CONSTANT,
    DIST_ONE_SPIKE, // zeros and one large value
    DIST_SIGN_TIE,  // the largest magnitude occurs with both signs (Q8_K takes the first one)
    DIST_OUTLIER,   // small values and a few large ones
    DIST_COUNT
};

static void fill_floats(float *x, int n, int dist, uint64_t *st) {
    for (int i = 0; i < n; i++) {
        switch (dist) {
        case DIST_UNIFORM: x[i] = test_randf(st); break;
        case DIST_WIDE: x[i] = ldexpf(test_randf(st), (int)(test_rand(st) % 31) - 20); break;
        case DIST_TIES: {
            // halves, and the floats either side of them (a + 0.5 rounding would misplace those)
            const float v = (float)((int)(test_rand(st) % 509) - 254) * 0.5f;
            const uint32_t r = test_rand(st) % 3;
            x[i] = r == 0 ? v : nextafterf(v, r == 1 ? 0.0f : copysignf(INFINITY, v));
            break;
        }
        case DIST_ZERO: x[i] = (test_rand(st) & 1) ? 0.0f : -0.0f; break;
        case DIST_CONSTANT: x[i] = -0.3f; break;
        case DIST_ONE_SPIKE: x[i] = 0.0f; break;
        case DIST_SIGN_TIE: x[i] = test_randf(st) * 0.9f; break;
        default: x[i] = test_randf(st) * 0.01f; break;
        }
    }
    if (dist == DIST_TIES) {
        for (int b = 0; b < n; b += 32) {
            x[b + (int)(test_rand(st) % 32) % (n - b)] = (test_rand(st) & 1) ? 127.0f : -127.0f;
        }
    }
    if (dist == DIST_ONE_SPIKE && n > 0) x[test_rand(st) % (unsigned)n] = 7.5f;
    if (dist == DIST_SIGN_TIE) {
        for (int b = 0; b < n; b += 32) {
            const int len = n - b < 32 ? n - b : 32;
            x[b + (int)(test_rand(st) % (unsigned)len)] = 1.0f;
            x[b + (int)(test_rand(st) % (unsigned)len)] = -1.0f;
        }
    }
    if (dist == DIST_OUTLIER) {
        for (int k = 0; k < 3 && n > 0; k++) x[test_rand(st) % (unsigned)n] = test_randf(st) * 1000.0f;
    }
}

// ---- quantize_row ----

static void compare_bytes(hs_type t, hs_quantize_row_fn fast, hs_quantize_row_fn ref, const float *x, int n,
                          const char *fn, const char *what) {
    const size_t bytes = hs_row_size(t, (uint64_t)n);
    uint8_t *a = malloc(bytes + 1), *b = malloc(bytes + 1);
    memset(a, 0xa5, bytes + 1);
    memset(b, 0xa5, bytes + 1);
    fast(x, a, n);
    ref(x, b, n);
    size_t first = 0;
    while (first < bytes + 1 && a[first] == b[first]) first++;
    CHECK(first == bytes + 1, "%s %s (%s, n=%d): byte %zu differs (%02x vs ref %02x)", hs_type_get(t)->name, fn,
          what, n, first, a[first], b[first]);
    free(a);
    free(b);
}

// Both quantizers of a type: quantize_row (weights) and quantize_activation (what the matmul
// applies to activations; different rounding for Q8_0 / Q8_1).
static void compare_quantize(hs_type t, const float *x, int n, const char *what) {
    const hs_quant_traits *fast = hs_quant_traits_get(t), *ref = hs_quant_traits_ref(t);
    if (ref->quantize_row) compare_bytes(t, fast->quantize_row, ref->quantize_row, x, n, "quantize_row", what);
    if (ref->quantize_activation) {
        compare_bytes(t, fast->quantize_activation, ref->quantize_activation, x, n, "quantize_activation", what);
    }
}

static void test_quantize_random(void) {
    static const char *dist_names[DIST_COUNT] = {"uniform", "wide", "ties", "zero",
                                                 "constant", "spike", "sign tie", "outlier"};
    float *x = malloc(MAX_BLOCKS * 256 * sizeof(float));
    for (size_t ti = 0; ti < NTYPES; ti++) {
        const hs_type t = TYPES[ti];
        // the weight quantizers are reference-only today; one pass keeps them honest cheaply
        const bool activation = t == HS_TYPE_Q8_0 || t == HS_TYPE_Q8_1 || t == HS_TYPE_Q8_K || is_float_type(t);
        const int seeds = activation ? 4 : 1;
        for (int seed = 0; seed < seeds; seed++) {
            uint64_t st = 1000 + 77 * (uint64_t)t + (uint64_t)seed;
            for (int dist = 0; dist < DIST_COUNT; dist++) {
                for (int blocks = 1; blocks <= MAX_BLOCKS; blocks += activation ? 1 : 5) {
                    const int n = row_length(t, blocks);
                    fill_floats(x, n, dist, &st);
                    compare_quantize(t, x, n, dist_names[dist]);
                }
            }
        }
    }
    free(x);
}

// F16 and BF16 conversions at every rounding boundary and on random bit patterns (all exponents,
// subnormals, infinities, NaNs).
static void test_quantize_float_bits(void) {
    enum { N = 4096 };
    float *x = malloc(N * sizeof(float));
    int filled = 0;
    // around every f16 value: itself, the midpoint to the next one, and one float ulp either side
    for (uint32_t h = 0; h < 0x7c00; h++) {
        const float lo = hs_f16_to_f32((hs_f16)h), hi = hs_f16_to_f32((hs_f16)(h + 1));
        const float mid = lo + (hi - lo) * 0.5f; // exact: one bit below the f16 ulp
        const float cand[6] = {lo, mid, nextafterf(mid, 0.0f), nextafterf(mid, INFINITY), -mid, -lo};
        for (int c = 0; c < 6; c++) {
            x[filled++] = cand[c];
            if (filled == N) {
                compare_quantize(HS_TYPE_F16, x, N, "f16 boundaries");
                filled = 0;
            }
        }
    }
    if (filled) compare_quantize(HS_TYPE_F16, x, filled, "f16 boundaries");

    uint64_t st = 99;
    for (int round = 0; round < 64; round++) {
        for (int i = 0; i < N; i++) {
            uint32_t u = test_rand(&st);
            // BF16 boundaries: low halves at and around 0x8000
            if (round & 1) u = (u & 0xffff0000u) | (0x7fffu + (u & 3));
            x[i] = bits_f32(u);
        }
        x[0] = INFINITY;
        x[1] = -INFINITY;
        x[2] = 65520.0f;
        x[3] = nextafterf(65520.0f, 0.0f);
        x[4] = bits_f32(0x7f7fffffu); // rounds to BF16 infinity
        x[5] = bits_f32(0xffc00001u); // negative NaN
        x[6] = bits_f32(0x00000001u); // smallest subnormal
        const int n = N - (round % 7); // odd lengths for the scalar tails
        compare_quantize(HS_TYPE_F16, x, n, "random bits");
        compare_quantize(HS_TYPE_BF16, x, n, "random bits");
    }
    free(x);
}

// ---- raw blocks ----

enum { SCALES_RANDOM, SCALES_UNIT };

// A random f16 scale of moderate size, never zero, inf or NaN.
static hs_f16 random_scale(uint64_t *st) {
    const float v = ldexpf(0.25f + 0.75f * fabsf(test_randf(st)), (int)(test_rand(st) % 9) - 6);
    return hs_f32_to_f16((test_rand(st) & 1) ? v : -v);
}

// A small integer-valued f16 for mins in unit-scale mode.
static hs_f16 small_int_f16(uint64_t *st) { return hs_f32_to_f16((float)((int)(test_rand(st) % 17) - 8)); }

// Overwrites a weight block's float fields: random moderate scales, or 1.0 with integer mins
// (every term then an integer). Unit mode also tames Q6_K's 8-bit scales so sums stay below 2^24.
static void fix_weight_block(hs_type t, uint8_t *blk, int mode, uint64_t *st) {
    const hs_f16 one = 0x3c00;
    const hs_f16 d = mode == SCALES_UNIT ? one : random_scale(st);
    const hs_f16 m = mode == SCALES_UNIT ? small_int_f16(st) : random_scale(st);
    switch (t) {
    case HS_TYPE_Q4_0: ((block_q4_0 *)blk)->d = d; break;
    case HS_TYPE_Q4_1: ((block_q4_1 *)blk)->d = d; ((block_q4_1 *)blk)->m = m; break;
    case HS_TYPE_Q5_0: ((block_q5_0 *)blk)->d = d; break;
    case HS_TYPE_Q5_1: ((block_q5_1 *)blk)->d = d; ((block_q5_1 *)blk)->m = m; break;
    case HS_TYPE_Q8_0: ((block_q8_0 *)blk)->d = d; break;
    case HS_TYPE_IQ4_NL: ((block_iq4_nl *)blk)->d = d; break;
    case HS_TYPE_Q2_K: ((block_q2_K *)blk)->d = d; ((block_q2_K *)blk)->dmin = mode == SCALES_UNIT ? one : m; break;
    case HS_TYPE_Q3_K: ((block_q3_K *)blk)->d = d; break;
    case HS_TYPE_Q4_K: ((block_q4_K *)blk)->d = d; ((block_q4_K *)blk)->dmin = mode == SCALES_UNIT ? one : m; break;
    case HS_TYPE_Q5_K: ((block_q5_K *)blk)->d = d; ((block_q5_K *)blk)->dmin = mode == SCALES_UNIT ? one : m; break;
    case HS_TYPE_Q6_K: {
        block_q6_K *b = (block_q6_K *)blk;
        b->d = d;
        if (mode == SCALES_UNIT) {
            for (int j = 0; j < QK_K / 16; j++) b->scales[j] = (int8_t)((b->scales[j] & 0x0f) - 8);
        }
        break;
    }
    default: break;
    }
}

// Zeroes the min / offset field, so that dequantizing gives only the scale part of each value.
static void zero_min(hs_type t, uint8_t *blk) {
    switch (t) {
    case HS_TYPE_Q4_1: ((block_q4_1 *)blk)->m = 0; break;
    case HS_TYPE_Q5_1: ((block_q5_1 *)blk)->m = 0; break;
    case HS_TYPE_Q2_K: ((block_q2_K *)blk)->dmin = 0; break;
    case HS_TYPE_Q4_K: ((block_q4_K *)blk)->dmin = 0; break;
    case HS_TYPE_Q5_K: ((block_q5_K *)blk)->dmin = 0; break;
    default: break;
    }
}

// Activation block metadata consistent with its quants, as the quantizers write it.
static void fix_activation_block(hs_type t, uint8_t *blk, int mode, uint64_t *st) {
    if (t == HS_TYPE_Q8_0) {
        ((block_q8_0 *)blk)->d = mode == SCALES_UNIT ? 0x3c00 : random_scale(st);
    } else if (t == HS_TYPE_Q8_1) {
        block_q8_1 *b = (block_q8_1 *)blk;
        b->d = mode == SCALES_UNIT ? 0x3c00 : random_scale(st);
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) sum += b->qs[j];
        // unit mode: an integer that f16 holds exactly (f16 integers are exact up to 2048)
        b->s = mode == SCALES_UNIT ? hs_f32_to_f16((float)(sum / 4)) : hs_f32_to_f16(hs_f16_to_f32(b->d) * (float)sum);
    } else if (t == HS_TYPE_Q8_K) {
        block_q8_K *b = (block_q8_K *)blk;
        b->d = mode == SCALES_UNIT ? 1.0f : hs_f16_to_f32(random_scale(st)) * 0.01f;
        for (int j = 0; j < QK_K / 16; j++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += b->qs[16 * j + l];
            b->bsums[j] = (int16_t)sum;
        }
    }
}

// Fills a row of n elements of type t: float types get finite values (small integers in unit
// mode); block types get the byte pattern (random when pattern < 0) with their metadata fixed.
static void fill_raw_row(hs_type t, uint8_t *row, int n, int pattern, int mode, bool activation, uint64_t *st) {
    if (is_float_type(t)) {
        for (int i = 0; i < n; i++) {
            float v = mode == SCALES_UNIT ? (float)((int)(test_rand(st) % 33) - 16)
                                          : ldexpf(test_randf(st), (int)(test_rand(st) % 21) - 10);
            if (pattern >= 0) v = pattern == 0 ? 0.0f : (pattern == 0x80 ? -128.0f : 127.0f);
            if (t == HS_TYPE_F32) memcpy(row + 4 * i, &v, 4);
            else if (t == HS_TYPE_F16) { hs_f16 h = hs_f32_to_f16(v); memcpy(row + 2 * i, &h, 2); }
            else { hs_bf16 h = hs_f32_to_bf16(v); memcpy(row + 2 * i, &h, 2); }
        }
        return;
    }
    const hs_type_info *info = hs_type_get(t);
    const int blocks = n / (int)info->block_size;
    for (int b = 0; b < blocks; b++) {
        uint8_t *blk = row + (size_t)b * info->type_size;
        for (uint32_t k = 0; k < info->type_size; k++) blk[k] = pattern < 0 ? (uint8_t)test_rand(st) : (uint8_t)pattern;
        if (activation) fix_activation_block(t, blk, mode, st);
        else fix_weight_block(t, blk, mode, st);
    }
}

// ---- vec_dot ----

// Sum of |x_i * y_i| over the dequantized rows, with the min part of each weight counted
// separately (|scale part * y| + |min part * y|), since the kernels round the two apart.
static double magnitude_bound(hs_type t, const uint8_t *x, const uint8_t *y, int n) {
    const hs_quant_traits *tr = hs_quant_traits_ref(t), *ty = hs_quant_traits_ref(tr->vec_dot_type);
    const size_t bytes = hs_row_size(t, (uint64_t)n);
    const size_t floats = (size_t)n * sizeof(float);
    float *xf = malloc(floats), *xs = malloc(floats), *yf = malloc(floats);
    uint8_t *scale_only = malloc(bytes);
    memcpy(scale_only, x, bytes);
    if (!is_float_type(t)) {
        const hs_type_info *info = hs_type_get(t);
        for (int b = 0; b < n / (int)info->block_size; b++) zero_min(t, scale_only + (size_t)b * info->type_size);
    }
    tr->dequantize_row(x, xf, n);
    tr->dequantize_row(scale_only, xs, n);
    ty->dequantize_row(y, yf, n);
    double bound = 0.0;
    for (int i = 0; i < n; i++) {
        bound += (fabs((double)xs[i]) + fabs((double)xf[i] - (double)xs[i])) * fabs((double)yf[i]);
    }
    if (t == HS_TYPE_Q4_1 || t == HS_TYPE_Q5_1) {
        // these use the activation's stored sum s (one f16 rounding away from sum(y))
        const block_q8_1 *yb = (const block_q8_1 *)y;
        const block_q4_1 *x41 = (const block_q4_1 *)x;
        const block_q5_1 *x51 = (const block_q5_1 *)x;
        for (int b = 0; b < n / 32; b++) {
            const float m = hs_f16_to_f32(t == HS_TYPE_Q4_1 ? x41[b].m : x51[b].m);
            bound += fabs((double)m * hs_f16_to_f32(yb[b].s));
        }
    }
    free(xf);
    free(xs);
    free(yf);
    free(scale_only);
    return bound;
}

static void compare_dot(hs_type t, const uint8_t *x, const uint8_t *y, int n, bool unit_scales, const char *what) {
    const hs_quant_traits *fast = hs_quant_traits_get(t), *ref = hs_quant_traits_ref(t);
    float got = 1234.5f, want = -1234.5f;
    fast->vec_dot(n, &got, x, y);
    ref->vec_dot(n, &want, x, y);
    const double bound = magnitude_bound(t, x, y, n);
    if (!isfinite(want) || !isfinite(bound)) {
        CHECK((isnan(got) && isnan(want)) || got == want, "%s vec_dot (%s, n=%d): %g, want %g",
              hs_type_get(t)->name, what, n, got, want);
    } else if (unit_scales && bound < 16777216.0) {
        // every term and every partial sum is an integer below 2^24: any order is exact
        exact_dot_checks++;
        CHECK(f32_bits(got) == f32_bits(want) || (got == 0.0f && want == 0.0f),
              "%s vec_dot (%s, n=%d): %.9g, want exactly %.9g", hs_type_get(t)->name, what, n, got, want);
    } else {
        tolerance_dot_checks++;
        const double err = fabs((double)got - (double)want);
        CHECK(err <= 1e-5 * bound + 1e-30, "%s vec_dot (%s, n=%d): %.9g vs ref %.9g, error %.3g > 1e-5 * %.6g",
              hs_type_get(t)->name, what, n, got, want, err, bound);
    }
}

static void test_vec_dot(void) {
    float *xf = malloc(MAX_BLOCKS * 256 * sizeof(float)), *yf = malloc(MAX_BLOCKS * 256 * sizeof(float));
    uint8_t *xbuf = alloc_row(), *ybuf = alloc_row();
    for (size_t ti = 0; ti < NTYPES; ti++) {
        const hs_type t = TYPES[ti];
        const hs_quant_traits *ref = hs_quant_traits_ref(t), *fast = hs_quant_traits_get(t);
        CHECK(fast != NULL && ref != NULL, "type %u has no kernels", (unsigned)t);
        if (!fast || !ref) continue;
        CHECK(fast->vec_dot_type == ref->vec_dot_type, "%s: vec_dot_type differs", hs_type_get(t)->name);
        if (!ref->vec_dot) continue;
        const hs_type vt = ref->vec_dot_type;
        for (int seed = 0; seed < 3; seed++) {
            uint64_t st = 5000 + 131 * (uint64_t)t + (uint64_t)seed;
#ifdef __wasm__
            // weights at odd addresses, as rows inside a file mapping may be (wasm loads allow it)
            uint8_t *x = xbuf + seed;
#else
            uint8_t *x = xbuf;
#endif
            uint8_t *y = ybuf;
            for (int blocks = 1; blocks <= MAX_BLOCKS; blocks++) {
                const int n = row_length(t, blocks);
                // realistic: both rows from the reference quantizers
                fill_floats(xf, n, seed == 2 ? DIST_WIDE : DIST_UNIFORM, &st);
                fill_floats(yf, n, seed == 1 ? DIST_OUTLIER : DIST_UNIFORM, &st);
                ref->quantize_row(xf, x, n);
                hs_quant_traits_ref(vt)->quantize_activation(yf, y, n);
                compare_dot(t, x, y, n, false, "quantized rows");
                // raw random blocks, moderate scales
                fill_raw_row(t, x, n, -1, SCALES_RANDOM, false, &st);
                fill_raw_row(vt, y, n, -1, SCALES_RANDOM, true, &st);
                compare_dot(t, x, y, n, false, "raw blocks");
                // raw random blocks, unit scales: exact
                fill_raw_row(t, x, n, -1, SCALES_UNIT, false, &st);
                fill_raw_row(vt, y, n, -1, SCALES_UNIT, true, &st);
                compare_dot(t, x, y, n, true, "raw blocks, unit scales");
            }
            // constant extremes
            static const int patterns[] = {0x80, 0xff, 0x00, 0x7f};
            for (int blocks = 1; blocks <= MAX_BLOCKS; blocks += 3) {
                const int n = row_length(t, blocks);
                for (int xp = 0; xp < 4; xp++) {
                    for (int yp = 0; yp < 4; yp++) {
                        fill_raw_row(t, x, n, patterns[xp], SCALES_UNIT, false, &st);
                        fill_raw_row(vt, y, n, patterns[yp], SCALES_UNIT, true, &st);
                        char what[64];
                        snprintf(what, sizeof what, "weights 0x%02x, activations 0x%02x", patterns[xp], patterns[yp]);
                        compare_dot(t, x, y, n, true, what);
                    }
                }
            }
        }
    }
    free(xf);
    free(yf);
    free(xbuf);
    free(ybuf);
}

// ---- gemm ----

// Every result of a gemm against the reference vec_dot of its row and token: bit for bit for the
// 32-element block formats (their gemm adds each token's terms in the reference's order; with one
// token it is vec_dot, within tolerance), within vec_dot's tolerance for the others; F16's and the
// k-quants' are also their SIMD vec_dot bit for bit. gemm_rows4 on the same rows interleaved: bit
// for bit, one token included. Shapes cover partial token groups and row tiles, rows at odd strides, and an
// activation whose scale (F16: first element) is infinite (the kernel's rerun by the reference).
// Types without a gemm get vec_dot per row and token, as the matmul calls it, on the same wide
// rows and outlier activations (where relaxed Q6_K once lost 1e-3 to cancelling lanes).
static bool gemm_exact(hs_type t) {
    return t == HS_TYPE_Q4_0 || t == HS_TYPE_Q4_1 || t == HS_TYPE_Q5_0 || t == HS_TYPE_Q5_1 || t == HS_TYPE_Q8_0 ||
           t == HS_TYPE_IQ4_NL;
}

// gemms that decode each weight block once for several tokens and then do, per token, what the
// SIMD vec_dot does: their results are its results exactly.
static bool gemm_is_vec_dot(hs_type t) {
    return t == HS_TYPE_F16 || t == HS_TYPE_BF16 || t == HS_TYPE_Q2_K || t == HS_TYPE_Q3_K || t == HS_TYPE_Q4_K || t == HS_TYPE_Q5_K ||
           t == HS_TYPE_Q6_K;
}

static int gemm_checks;

// The first rows of x (x_row apart) packed into x4 and interleaved in the type's own layout, as
// the engine does at load for gemm_rows4; false (x4 left as packed) where the layout does not take
// them: F16 rows of a length not a multiple of 16, or holding an inf or NaN.
static bool interleave_rows(uint8_t *x4, const uint8_t *x, size_t x_row, size_t row_bytes, int rows, hs_type t) {
    bool fit = true;
    for (int r = 0; r < rows; r++) {
        memcpy(x4 + (size_t)r * row_bytes, x + (size_t)r * x_row, row_bytes);
        if (t == HS_TYPE_F16) fit &= row_bytes % 32 == 0 && hs_f16_all_finite_ref(x4 + (size_t)r * row_bytes, row_bytes);
    }
    const bool done = hs_interleave_rows4(x4, rows, row_bytes, t);
    CHECK(done == fit, "%s interleave of %d rows of %zu bytes: %d, want %d", hs_type_get(t)->name, rows, row_bytes, done, fit);
    return done;
}
enum { MAX_ROWS = 21, MAX_TOKENS = 70 }; // the gemm test's rows and tokens

// A decode kernel (one token) on nr rows: each result vec_dot's bit for bit, nothing written past them.
static void check_decode(const hs_quant_traits *fast, hs_gemm_fn kernel, const char *name, int n, int nr, int special,
                         const uint8_t *x, size_t x_row, const uint8_t *y, size_t y_row) {
    float got[MAX_ROWS + 1];
    got[nr] = -777.0f;
    kernel(n, nr, 1, x, x_row, y, y_row, got, 1);
    for (int r = 0; r < nr; r++) {
        float same;
        fast->vec_dot(n, &same, x + (size_t)r * x_row, y);
        gemm_checks++;
        CHECK(f32_bits(got[r]) == f32_bits(same) || (isnan(got[r]) && isnan(same)),
              "%s %s %d rows (n=%d, special %d) row %d: %.9g, vec_dot %.9g", hs_type_get(fast->type)->name, name, nr, n,
              special, r, got[r], same);
    }
    CHECK(got[nr] == -777.0f, "%s %s wrote past row %d", hs_type_get(fast->type)->name, name, nr);
}

// The gemm on activations prepared once per matmul (hs_quant_traits.prep_*): the tokens prepared
// in reverse order (the matmul shares them out over threads), results bit for bit `want`, the
// gemm's on the same rows (checked against vec_dot above).
static int prep_checks;
static void check_prep(const hs_quant_traits *fast, hs_prep_token_fn prep_token, hs_gemm_prep_fn gemm_prep, const char *name, int n, int nr, int nt,
                       const uint8_t *x, size_t x_row, const uint8_t *y, size_t y_row, const float *want,
                       size_t s_stride, int special) {
    const uint64_t bytes = fast->prep_bytes(n, nt);
    if (bytes == 0) {
        CHECK(n % 16 != 0, "%s prep_bytes(%d, %d) 0 for whole runs", hs_type_get(fast->type)->name, n, nt);
        return;
    }
    void *prep = aligned_alloc(16, (size_t)(bytes + 15) & ~(size_t)15);
    memset(prep, 0xa5, (size_t)bytes); // nothing read unwritten: a stale copy would show
    for (int k = nt - 1; k >= 0; k--) prep_token(n, nt, k, y + (size_t)k * y_row, prep);
    float *out = malloc((size_t)nt * s_stride * sizeof(float));
    for (size_t i = 0; i < (size_t)nt * s_stride; i++) out[i] = -777.0f;
    gemm_prep(n, nr, nt, x, x_row, y, y_row, prep, out, s_stride);
    for (int k = 0; k < nt; k++) {
        for (int r = 0; r < nr; r++) {
            const float got = out[(size_t)k * s_stride + (size_t)r], w = want[(size_t)k * s_stride + (size_t)r];
            prep_checks++;
            CHECK(f32_bits(got) == f32_bits(w) || (isnan(got) && isnan(w)),
                  "%s %s %dx%d (n=%d, special %d) row %d token %d: %.9g, the gemm's %.9g", hs_type_get(fast->type)->name,
                  name, nr, nt, n, special, r, k, got, w);
        }
        if (s_stride > (size_t)nr) CHECK(out[(size_t)k * s_stride + (size_t)nr] == -777.0f, "%s %s wrote past row %d", hs_type_get(fast->type)->name, name, nr);
    }
    free(out);
    free(prep);
}

static void test_gemm(void) {
    // {7, 19}, {3, 35}, {2, 70}: more tokens than a gemm tile takes (F16: 32) and than it converts
    // at a time (F16: 64)
    static const int shapes[][2] = {{1, 2}, {3, 4}, {16, 5}, {17, 8}, {21, 9}, {7, 19}, {3, 35}, {2, 70}, {5, 1}, {2, 3}, {16, 1}, {3, 1}, {1, 1}};
    for (size_t ti = 0; ti < NTYPES; ti++) {
        const hs_type t = TYPES[ti];
        const hs_quant_traits *fast = hs_quant_traits_get(t), *ref = hs_quant_traits_ref(t);
        if (!fast->vec_dot) continue;
        const hs_type vt = ref->vec_dot_type;
        for (int blocks = 1; blocks <= MAX_BLOCKS; blocks += 2) {
            const int n = row_length(t, blocks);
            // odd strides for a gemm; vec_dot gets rows at their natural (aligned) size
            const size_t pad_x = fast->gemm ? 3 : 0, pad_y = fast->gemm ? 5 : 0;
            const size_t x_row = hs_row_size(t, (uint64_t)n) + pad_x, y_row = hs_row_size(vt, (uint64_t)n) + pad_y;
            uint8_t *x = calloc(MAX_ROWS, x_row), *y = calloc(MAX_TOKENS, y_row);
            float *xf = malloc((size_t)n * sizeof(float));
            uint64_t st = 9000 + 17 * (uint64_t)t + (uint64_t)blocks;
            for (int r = 0; r < MAX_ROWS; r++) {
                fill_floats(xf, n, r % 3 == 2 ? DIST_WIDE : DIST_UNIFORM, &st);
                ref->quantize_row(xf, x + (size_t)r * x_row, n);
            }
            for (int k = 0; k < MAX_TOKENS; k++) {
                fill_floats(xf, n, k % 2 ? DIST_OUTLIER : DIST_UNIFORM, &st);
                hs_quant_traits_ref(vt)->quantize_activation(xf, y + (size_t)k * y_row, n);
            }
            // the first 20 rows interleaved in groups of four, for gemm_rows4
            const size_t row_bytes = hs_row_size(t, (uint64_t)n);
            uint8_t *x4 = malloc(20 * row_bytes);
            bool interleaved = interleave_rows(x4, x, x_row, row_bytes, 20, t);
            uint8_t *row_back = malloc(row_bytes); // each row read back out of its group as it was
            for (int r = 0; interleaved && r < 20; r++) {
                hs_rows4_row(x4 + (size_t)(r & ~3) * row_bytes, row_bytes, r & 3, t, row_back);
                CHECK(memcmp(row_back, x + (size_t)r * x_row, row_bytes) == 0, "%s rows4 row %d read back", hs_type_get(t)->name, r);
            }
            free(row_back);
            // pass 2 starts from these (pass 1's infinities undone)
            uint8_t *x_saved = malloc(MAX_ROWS * x_row), *y_saved = malloc(MAX_TOKENS * y_row);
            memcpy(x_saved, x, MAX_ROWS * x_row), memcpy(y_saved, y, MAX_TOKENS * y_row);
            for (int special = 0; special < 3; special++) {
                if (special && is_float_type(t) && t != HS_TYPE_F16) break; // F16: its gemm's rerun of inf rows
                if (special == 2) { // int8 extremes, which no quantizer writes: Q8_0 activations (and weights) of -128
                    if (vt != HS_TYPE_Q8_0) break;
                    memcpy(x, x_saved, MAX_ROWS * x_row), memcpy(y, y_saved, MAX_TOKENS * y_row);
                    const size_t last_block = (size_t)(blocks - 1) * sizeof(block_q8_0) + 2; // its quants
                    memset(y + 2, 0x81, 32);                       // token 0's first block: -127, every sign negative
                    memset(y + 2 * y_row + last_block, 0x80, 32);  // token 2's last block: -128
                    if (t == HS_TYPE_Q8_0) { // row 1's first block and row 6's last: -128
                        memset(x + x_row + 2, 0x80, 32), memset(x + 6 * x_row + last_block, 0x80, 32);
                    }
                }
                if (special == 1) { // token 1's first scale infinite (every activation block starts with d)
                    const uint16_t inf = 0x7c00;
                    if (vt == HS_TYPE_Q8_K) { const float f = INFINITY; memcpy(y + y_row, &f, 4); }
                    else memcpy(y + y_row, &inf, 2);
                    // and row 2's first block scale (F16: element; Q6_K keeps d at its block's end)
                    if (fast->gemm_rows4 || t == HS_TYPE_F16) memcpy(x + 2 * x_row + (t == HS_TYPE_Q6_K ? offsetof(block_q6_K, d) : 0), &inf, 2);
                }
                // from the changed rows; F16, which interleaves only finite rows, from the finite
                // ones (its kernel's rerun of an inf activation)
                const uint8_t *x4_rows = t == HS_TYPE_F16 && special == 1 ? x_saved : x;
                if (special && t == HS_TYPE_F16) interleave_rows(x4, x, x_row, row_bytes, 20, t); // refused
                if (special) interleaved = interleave_rows(x4, x4_rows, x_row, row_bytes, 20, t);
                for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
                    const int nr = shapes[si][0], nt = shapes[si][1];
                    const size_t s_stride = (size_t)nr + 2;
                    float out[MAX_TOKENS * (MAX_ROWS + 2)];
                    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) out[i] = -777.0f;
                    if (fast->gemm) {
                        fast->gemm(n, nr, nt, x, x_row, y, y_row, out, s_stride);
                    } else { // what the matmul does without a gemm: vec_dot per row and token
                        for (int k = 0; k < nt; k++) {
                            for (int r = 0; r < nr; r++) {
                                fast->vec_dot(n, &out[(size_t)k * s_stride + (size_t)r], x + (size_t)r * x_row,
                                              y + (size_t)k * y_row);
                            }
                        }
                    }
                    for (int k = 0; k < nt; k++) {
                        for (int r = 0; r < nr; r++) {
                            float want;
                            ref->vec_dot(n, &want, x + (size_t)r * x_row, y + (size_t)k * y_row);
                            const float got = out[(size_t)k * s_stride + (size_t)r];
                            gemm_checks++;
                            if (gemm_is_vec_dot(t)) {
                                float same;
                                fast->vec_dot(n, &same, x + (size_t)r * x_row, y + (size_t)k * y_row);
                                CHECK(f32_bits(got) == f32_bits(same) || (isnan(got) && isnan(same)),
                                      "%s gemm %dx%d (n=%d, special %d) row %d token %d: %.9g, vec_dot %.9g",
                                      hs_type_get(t)->name, nr, nt, n, special, r, k, got, same);
                            }
                            // one token on rows one after the other is vec_dot itself (four-lane sums)
                            if ((gemm_exact(t) && nt > 1) || !isfinite(want)) {
                                CHECK(f32_bits(got) == f32_bits(want) || (isnan(got) && isnan(want)),
                                      "%s gemm %dx%d (n=%d, special %d) row %d token %d: %.9g, want exactly %.9g",
                                      hs_type_get(t)->name, nr, nt, n, special, r, k, got, want);
                            } else {
                                const double bound = magnitude_bound(t, x + (size_t)r * x_row, y + (size_t)k * y_row, n);
                                CHECK(fabs((double)got - want) <= 1e-5 * bound + 1e-30,
                                      "%s gemm %dx%d (n=%d) row %d token %d: %.9g vs ref %.9g", hs_type_get(t)->name,
                                      nr, nt, n, r, k, got, want);
                            }
                        }
                        // the padding between output rows is not written
                        CHECK(out[(size_t)k * s_stride + (size_t)nr] == -777.0f, "%s gemm wrote past row %d",
                              hs_type_get(t)->name, nr);
                    }
#ifdef __wasm_relaxed_simd__
                    // the 32-element formats' other gemm (i32 dots or i16 ones, whichever the table did
                    // not take): the same bits as the one checked above
                    hs_gemm_fn pair[2] = {NULL, NULL};
                    if (t == HS_TYPE_Q8_0) pair[0] = hs_gemm_q8_0_q8_0_simd128, pair[1] = hs_gemm_q8_0_q8_0_i16_simd128;
                    if (t == HS_TYPE_Q4_0) pair[0] = hs_gemm_q4_0_q8_0_simd128, pair[1] = hs_gemm_q4_0_q8_0_i16_simd128;
                    if (t == HS_TYPE_Q4_1) pair[0] = hs_gemm_q4_1_q8_1_simd128, pair[1] = hs_gemm_q4_1_q8_1_i16_simd128;
                    if (t == HS_TYPE_Q5_0) pair[0] = hs_gemm_q5_0_q8_0_simd128, pair[1] = hs_gemm_q5_0_q8_0_i16_simd128;
                    if (t == HS_TYPE_Q5_1) pair[0] = hs_gemm_q5_1_q8_1_simd128, pair[1] = hs_gemm_q5_1_q8_1_i16_simd128;
                    if (pair[0] && nt > 1) {
                        const hs_gemm_fn other = fast->gemm == pair[1] ? pair[0] : pair[1];
                        float out2[MAX_TOKENS * (MAX_ROWS + 2)];
                        other(n, nr, nt, x, x_row, y, y_row, out2, s_stride);
                        for (int k = 0; k < nt; k++)
                            for (int r = 0; r < nr; r++) {
                                const float a = out[(size_t)k * s_stride + (size_t)r], b = out2[(size_t)k * s_stride + (size_t)r];
                                gemm_checks++;
                                CHECK(f32_bits(a) == f32_bits(b) || (isnan(a) && isnan(b)),
                                      "%s gemms %dx%d (n=%d, special %d) row %d token %d: %.9g and %.9g",
                                      hs_type_get(t)->name, nr, nt, n, special, r, k, a, b);
                            }
                    }
#endif
                    if (fast->gemm_prep && nt > 1)
                        check_prep(fast, fast->prep_token, fast->gemm_prep, "gemm_prep", n, nr, nt, x, x_row, y, y_row, out, s_stride, special);
                    // the decode path (one token): vec_dot bit for bit, row by row
                    if (fast->gemv && nt == 1) check_decode(fast, fast->gemv, "gemv", n, nr, special, x, x_row, y, y_row);
                    // the decode path for rows the load-time check finds free of inf / NaN (row 2
                    // holds an inf in the special pass): the same without looking
                    if (fast->gemv_finite && nt == 1) {
                        bool finite = true;
                        for (int r = 0; r < nr; r++) finite &= fast->all_finite(x + (size_t)r * x_row, row_bytes);
                        CHECK(finite == !(special && nr > 2), "%s all_finite over %d rows (special %d): %d",
                              hs_type_get(t)->name, nr, special, finite);
                        if (finite) check_decode(fast, fast->gemv_finite, "gemv_finite", n, nr, special, x, x_row, y, y_row);
                    }
                }
                static const int shapes4[][2] = {{4, 1}, {8, 1}, {20, 1}, {4, 2}, {16, 5}, {20, 9}, {8, 35}}; // 35: three token groups
                for (size_t si = 0; fast->gemm_rows4 && interleaved && si < sizeof shapes4 / sizeof shapes4[0]; si++) {
                    const int nr = shapes4[si][0], nt = shapes4[si][1];
                    float out[MAX_TOKENS * MAX_ROWS];
                    // the 32-element formats and Q6_K under relaxed SIMD: both ways of forming their dots, whichever the table took
                    hs_gemm_fn kernels[2] = {fast->gemm_rows4, NULL};
#ifdef __wasm_relaxed_simd__
                    if (t == HS_TYPE_Q4_0) kernels[0] = hs_gemm_rows4_q4_0_q8_0_simd128, kernels[1] = hs_gemm_rows4_q4_0_q8_0_i16_simd128;
                    if (t == HS_TYPE_Q6_K) kernels[0] = hs_gemm_rows4_q6_K_q8_K_simd128, kernels[1] = hs_gemm_rows4_q6_K_q8_K_i16_simd128;
                    if (t == HS_TYPE_Q8_0) kernels[0] = hs_gemm_rows4_q8_0_q8_0_simd128, kernels[1] = hs_gemm_rows4_q8_0_q8_0_i16_simd128;
                    if (t == HS_TYPE_Q4_1) kernels[0] = hs_gemm_rows4_q4_1_q8_1_simd128, kernels[1] = hs_gemm_rows4_q4_1_q8_1_i16_simd128;
                    if (t == HS_TYPE_Q5_0) kernels[0] = hs_gemm_rows4_q5_0_q8_0_simd128, kernels[1] = hs_gemm_rows4_q5_0_q8_0_i16_simd128;
                    if (t == HS_TYPE_Q5_1) kernels[0] = hs_gemm_rows4_q5_1_q8_1_simd128, kernels[1] = hs_gemm_rows4_q5_1_q8_1_i16_simd128;
#endif
                    for (int ki = 0; ki < 2 && kernels[ki]; ki++) {
                        kernels[ki](n, nr, nt, x4, row_bytes, y, y_row, out, (size_t)nr);
                        for (int k = 0; k < nt; k++) {
                            for (int r = 0; r < nr; r++) {
                                float want; // the reference's, or for the k-quants their SIMD vec_dot's
                                (gemm_is_vec_dot(t) ? fast : ref)->vec_dot(n, &want, x4_rows + (size_t)r * x_row, y + (size_t)k * y_row);
                                const float got = out[(size_t)k * (size_t)nr + (size_t)r];
                                gemm_checks++;
                                CHECK(f32_bits(got) == f32_bits(want) || (isnan(got) && isnan(want)),
                                      "%s gemm_rows4 (kernel %d) %dx%d (n=%d, special %d) row %d token %d: %.9g, want exactly %.9g",
                                      hs_type_get(t)->name, ki, nr, nt, n, special, r, k, got, want);
                            }
                        }
                    }
                    if (fast->gemm_rows4_prep && nt > 1)
                        check_prep(fast, fast->prep_token, fast->gemm_rows4_prep, "gemm_rows4_prep", n, nr, nt, x4, row_bytes, y, y_row, out,
                                   (size_t)nr, special);
#ifdef __wasm_relaxed_simd__
                    if (t == HS_TYPE_Q4_0 && nt > 1) { // both ways of its dots, whichever the table took
                        check_prep(fast, fast->prep_token, hs_gemm_rows4_prep_q4_0_q8_0_simd128, "gemm_rows4_prep (i32 dots)",
                                   n, nr, nt, x4, row_bytes, y, y_row, out, (size_t)nr, special);
                        check_prep(fast, fast->prep_token, hs_gemm_rows4_prep_q4_0_q8_0_i16_simd128, "gemm_rows4_prep (i16 dots)",
                                   n, nr, nt, x4, row_bytes, y, y_row, out, (size_t)nr, special);
                    }
                    if (t == HS_TYPE_Q6_K && nt > 1) { // each way with its own prepared activations
                        check_prep(fast, hs_prep_token_q6_K_simd128, hs_gemm_rows4_prep_q6_K_q8_K_simd128,
                                   "gemm_rows4_prep (i32 dots)", n, nr, nt, x4, row_bytes, y, y_row, out, (size_t)nr, special);
                        check_prep(fast, hs_prep_token_q6_K_i16_simd128, hs_gemm_rows4_prep_q6_K_q8_K_i16_simd128,
                                   "gemm_rows4_prep (i16 dots)", n, nr, nt, x4, row_bytes, y, y_row, out, (size_t)nr, special);
                    }
#endif
                }
            }
            free(x_saved), free(y_saved);
            free(x4);
            free(x);
            free(y);
            free(xf);
        }
    }
}

// Rows longer than 16384 elements, where the decode kernels change course: gemv_rows4 works out
// each activation block per group of rows instead of once per call (nb > 512), and the F16 gemv
// keeps the converted activation on the heap. Bit for bit as on short rows (gemm_rows4: the
// reference; the F16 and k-quant gemv: their vec_dot), also with an infinite activation scale
// (F16: element) past the precomputed range. F16 on plain rows with a tail, and on rows in pairs.
static void check_long_rows(hs_type t, int n) {
    enum { ROWS = 8 };
    const hs_quant_traits *fast = hs_quant_traits_get(t), *ref = hs_quant_traits_ref(t);
    bool rows4 = fast->gemm_rows4 != NULL && (t != HS_TYPE_F16 || n % 16 == 0);
    if (!rows4 && !fast->gemv) return;
    const hs_type vt = ref->vec_dot_type;
    const size_t x_row = hs_row_size(t, (uint64_t)n), y_row = hs_row_size(vt, (uint64_t)n);
    uint8_t *x = malloc(ROWS * x_row), *x4 = malloc(ROWS * x_row), *y = malloc(y_row);
    float *xf = malloc((size_t)n * sizeof(float));
    uint64_t st = 4242 + (uint64_t)t;
    for (int r = 0; r < ROWS; r++) {
        fill_floats(xf, n, r % 2 ? DIST_WIDE : DIST_UNIFORM, &st);
        ref->quantize_row(xf, x + (size_t)r * x_row, n);
    }
    if (rows4) rows4 = interleave_rows(x4, x, x_row, x_row, ROWS, t);
    fill_floats(xf, n, DIST_OUTLIER, &st);
    hs_quant_traits_ref(vt)->quantize_activation(xf, y, n);
    for (int special = 0; special < 2; special++) {
        if (special) { // the last activation block's scale (F16: an element near the end) infinite
            const uint16_t inf = 0x7c00;
            const float inf32 = INFINITY; // Q8_K's d is an f32
            if (t == HS_TYPE_F16) memcpy(y + y_row - 8, &inf, 2);
            else if (vt == HS_TYPE_Q8_K) memcpy(y + y_row - hs_type_get(vt)->type_size, &inf32, 4);
            else memcpy(y + y_row - hs_type_get(vt)->type_size, &inf, 2);
        }
        float got[ROWS + 1];
        got[ROWS] = -777.0f;
        if (rows4) fast->gemm_rows4(n, ROWS, 1, x4, x_row, y, y_row, got, ROWS);
        else fast->gemv(n, ROWS, 1, x, x_row, y, y_row, got, 1);
        for (int r = 0; r < ROWS; r++) {
            float want;
            if (rows4 && !gemm_is_vec_dot(t)) ref->vec_dot(n, &want, x + (size_t)r * x_row, y);
            else fast->vec_dot(n, &want, x + (size_t)r * x_row, y);
            gemm_checks++;
            CHECK(f32_bits(got[r]) == f32_bits(want) || (isnan(got[r]) && isnan(want)),
                  "%s %s, n=%d (special %d) row %d: %.9g, want exactly %.9g", hs_type_get(t)->name,
                  rows4 ? "gemm_rows4" : "gemv", n, special, r, got[r], want);
            if (special) CHECK(!isfinite(got[r]), "%s n=%d row %d: finite with an infinite activation",
                               hs_type_get(t)->name, n, r);
        }
        CHECK(got[ROWS] == -777.0f, "%s long-row decode wrote past row %d", hs_type_get(t)->name, ROWS);
        if (rows4) { // two tokens: Q4_0's activation records for a group outgrow its stack (heap scratch)
            uint8_t *y2 = malloc(2 * y_row);
            memcpy(y2, y, y_row);
            memcpy(y2 + y_row, y, y_row);
            float got2[2 * ROWS];
            fast->gemm_rows4(n, ROWS, 2, x4, x_row, y2, y_row, got2, ROWS);
            for (int k = 0; k < 2; k++)
                for (int r = 0; r < ROWS; r++) {
                    gemm_checks++;
                    CHECK(f32_bits(got2[k * ROWS + r]) == f32_bits(got[r]) || (isnan(got2[k * ROWS + r]) && isnan(got[r])),
                          "%s gemm_rows4 n=%d, 2 tokens (special %d) row %d token %d: %.9g, one token gave %.9g",
                          hs_type_get(t)->name, n, special, r, k, got2[k * ROWS + r], got[r]);
                }
            free(y2);
        }
    }
    free(x);
    free(x4);
    free(y);
    free(xf);
}

static void test_long_rows(void) {
    for (size_t ti = 0; ti < NTYPES; ti++) {
        const hs_type t = TYPES[ti];
        if (t != HS_TYPE_F16) {
            check_long_rows(t, 16384 + 2 * (int)hs_type_get(t)->block_size);
            continue;
        }
        check_long_rows(t, 16384 + 19); // a tail: plain rows (gemv)
        check_long_rows(t, 16384 + 48); // whole runs, interleaved in pairs (gemm_rows4)
    }
}

// F16 rows holding infinities and NaNs (the SIMD kernel reruns them through the reference).
static void test_f16_specials(void) {
    enum { N = 203 };
    hs_f16 x[N], y[N];
    uint64_t st = 7;
    for (int pos = 0; pos < N; pos += 13) {
        for (int kind = 0; kind < 3; kind++) {
            for (int i = 0; i < N; i++) {
                x[i] = hs_f32_to_f16(test_randf(&st));
                y[i] = hs_f32_to_f16(test_randf(&st));
            }
            x[pos] = kind == 0 ? 0x7c00 : kind == 1 ? 0xfc00 : 0x7e01;
            float got, want;
            hs_quant_traits_get(HS_TYPE_F16)->vec_dot(N, &got, x, y);
            hs_quant_traits_ref(HS_TYPE_F16)->vec_dot(N, &want, x, y);
            CHECK((isnan(got) && isnan(want)) || got == want, "F16 vec_dot with special at %d: %g vs %g", pos, got,
                  want);
        }
    }
}

// The f16 scale field of a weight block.
static hs_f16 *weight_scale(hs_type t, uint8_t *blk) {
    switch (t) {
    case HS_TYPE_Q2_K: return &((block_q2_K *)blk)->d;
    case HS_TYPE_Q3_K: return &((block_q3_K *)blk)->d;
    case HS_TYPE_Q6_K: return &((block_q6_K *)blk)->d;
    default: return (hs_f16 *)blk; // the legacy blocks, Q4_K and Q5_K start with d
    }
}

// Rows where one block's scale (weight or activation) is infinite or NaN: the result must be the
// reference's (the SIMD legacy kernels detect it and defer to the reference).
static void test_special_scales(void) {
    uint8_t *x = alloc_row(), *y = alloc_row();
    static const hs_f16 specials[3] = {0x7c00, 0xfc00, 0x7e00};
    for (size_t ti = 0; ti < NTYPES; ti++) {
        const hs_type t = TYPES[ti];
        const hs_quant_traits *ref = hs_quant_traits_ref(t);
        if (is_float_type(t) || !ref->vec_dot) continue;
        const hs_type vt = ref->vec_dot_type;
        const hs_type_info *xi = hs_type_get(t), *yi = hs_type_get(vt);
        uint64_t st = 4242 + (uint64_t)t;
        for (int blocks = 1; blocks <= 9; blocks += 4) {
            const int n = row_length(t, blocks);
            for (int k = 0; k < 6; k++) {
                fill_raw_row(t, x, n, -1, SCALES_RANDOM, false, &st);
                fill_raw_row(vt, y, n, -1, SCALES_RANDOM, true, &st);
                const int b = (int)(test_rand(&st) % (unsigned)blocks);
                if (k < 3) {
                    *weight_scale(t, x + (size_t)b * xi->type_size) = specials[k];
                } else if (vt == HS_TYPE_Q8_K) {
                    ((block_q8_K *)y)[b].d = k == 5 ? NAN : (k == 4 ? -INFINITY : INFINITY);
                } else {
                    memcpy(y + (size_t)b * yi->type_size, &specials[k - 3], 2); // Q8_0 / Q8_1 start with d
                }
                compare_dot(t, x, y, n, false, "infinite or NaN scale");
            }
        }
    }
    free(x);
    free(y);
}

static void test_dequantize(void) {
    uint8_t *x = alloc_row();
    float *a = malloc(MAX_BLOCKS * 256 * sizeof(float)), *b = malloc(MAX_BLOCKS * 256 * sizeof(float));
    for (size_t ti = 0; ti < NTYPES; ti++) {
        const hs_type t = TYPES[ti];
        uint64_t st = 321 + (uint64_t)t;
        for (int blocks = 1; blocks <= MAX_BLOCKS; blocks++) {
            const int n = row_length(t, blocks);
            const bool activation = t == HS_TYPE_Q8_1 || t == HS_TYPE_Q8_K;
            fill_raw_row(t, x, n, -1, SCALES_RANDOM, activation, &st);
            if (t == HS_TYPE_F16 || t == HS_TYPE_BF16) {
                // every bit pattern, NaNs and subnormals included
                for (int i = 0; i < n; i++) {
                    const uint16_t h = (uint16_t)test_rand(&st);
                    memcpy(x + 2 * i, &h, 2);
                }
            }
            hs_quant_traits_get(t)->dequantize_row(x, a, n);
            hs_quant_traits_ref(t)->dequantize_row(x, b, n);
            CHECK(memcmp(a, b, (size_t)n * sizeof(float)) == 0, "%s dequantize_row (n=%d) differs",
                  hs_type_get(t)->name, n);
        }
    }
    free(x);
    free(a);
    free(b);
}

// Under -msimd128 the table in use must actually hold SIMD kernels, or this test compares the
// reference with itself.
static void test_simd_installed(void) {
#ifdef __wasm_simd128__
    for (size_t ti = 0; ti < NTYPES; ti++) {
        const hs_type t = TYPES[ti];
        const hs_quant_traits *fast = hs_quant_traits_get(t), *ref = hs_quant_traits_ref(t);
        if (ref->vec_dot) CHECK(fast->vec_dot != ref->vec_dot, "%s: no SIMD vec_dot", hs_type_get(t)->name);
        if (gemm_exact(t)) CHECK(fast->gemm != NULL && fast->gemm_rows4 != NULL, "%s: no SIMD gemm", hs_type_get(t)->name);
        if (gemm_is_vec_dot(t)) CHECK(fast->gemm != NULL, "%s: no SIMD gemm", hs_type_get(t)->name);
#ifdef __wasm_relaxed_simd__
        if (t == HS_TYPE_Q6_K) CHECK(fast->gemm_rows4 != NULL, "Q6_K: no SIMD gemm_rows4");
#endif
        if (t == HS_TYPE_F16) CHECK(fast->gemm_rows4 != NULL, "F16: no SIMD gemm_rows4");
        if (t == HS_TYPE_F16 || t == HS_TYPE_BF16) CHECK(fast->gemm_prep != NULL, "%s: no gemm_prep", hs_type_get(t)->name);
        if (t == HS_TYPE_F16) CHECK(fast->gemm_rows4_prep != NULL, "F16: no gemm_rows4_prep");
        if (t == HS_TYPE_Q4_0) CHECK(fast->gemm_rows4_prep != NULL, "Q4_0: no gemm_rows4_prep");
#ifdef __wasm_relaxed_simd__
        if (t == HS_TYPE_Q6_K) CHECK(fast->gemm_rows4_prep != NULL, "Q6_K: no gemm_rows4_prep");
#endif
        const bool activation = t == HS_TYPE_Q8_0 || t == HS_TYPE_Q8_1 || t == HS_TYPE_Q8_K || t == HS_TYPE_F16 ||
                                t == HS_TYPE_BF16;
        if (activation) {
            CHECK(fast->quantize_activation != ref->quantize_activation, "%s: no SIMD activation quantizer",
                  hs_type_get(t)->name);
        }
    }
#endif
}

// Every F16 and BF16 value decoded (row length 65536, then an odd length for the scalar tail).
static void test_dequantize_all_halves(void) {
    uint16_t *h = malloc(65536 * sizeof *h);
    float *a = malloc(65536 * sizeof(float)), *b = malloc(65536 * sizeof(float));
    for (uint32_t i = 0; i < 65536; i++) h[i] = (uint16_t)(i * 40503u); // every value, shuffled
    static const hs_type types[2] = {HS_TYPE_F16, HS_TYPE_BF16};
    for (int k = 0; k < 2; k++) {
        for (int n = 65536; n >= 65531; n -= 5) {
            hs_quant_traits_get(types[k])->dequantize_row(h, a, n);
            hs_quant_traits_ref(types[k])->dequantize_row(h, b, n);
            CHECK(memcmp(a, b, (size_t)n * sizeof(float)) == 0, "%s: decoding all values differs (n=%d)",
                  hs_type_get(types[k])->name, n);
        }
    }
    free(h);
    free(a);
    free(b);
}

// The kernels' scalar f16 decoders (block scales and tails) and the vector one for block scales,
// on every value: the reference's bits.
static void test_scalar_f16_all(void) {
#ifdef __wasm_simd128__
    int bad = 0, bad_branchless = 0, bad_scales = 0;
    for (uint32_t i = 0; i < 65536; i++) {
        const float want = hs_f16_to_f32((hs_f16)i);
        const float a = hs_simd128_f16_to_f32((hs_f16)i), b = hs_simd128_f16_to_f32_branchless((hs_f16)i);
        bad += memcmp(&a, &want, sizeof a) != 0;
        bad_branchless += memcmp(&b, &want, sizeof b) != 0;
        float lanes[4];
        wasm_v128_store(lanes, hs_simd128_f16hi_to_f32_scales(wasm_i32x4_splat((int32_t)(i << 16))));
        for (int k = 0; k < 4; k++) bad_scales += memcmp(&lanes[k], &want, sizeof want) != 0;
    }
    CHECK(bad == 0, "hs_simd128_f16_to_f32: %d of 65536 values differ from hs_f16_to_f32", bad);
    CHECK(bad_branchless == 0, "hs_simd128_f16_to_f32_branchless: %d of 65536 values differ", bad_branchless);
    CHECK(bad_scales == 0, "hs_simd128_f16hi_to_f32_scales: %d of 4 x 65536 lanes differ", bad_scales);
#endif
}

int main(void) {
    test_simd_installed();
    test_scalar_f16_all();
    test_quantize_random();
    test_quantize_float_bits();
    test_dequantize();
    test_dequantize_all_halves();
    test_vec_dot();
    test_f16_specials();
    test_special_scales();
    test_gemm();
    test_long_rows();
#ifdef __wasm_simd128__
    CHECK(prep_checks > 0, "no gemm_prep was checked");
#endif
    printf("vec_dot: %d exact checks, %d within tolerance; gemm: %d checks, %d on prepared activations\n",
           exact_dot_checks, tolerance_dot_checks, gemm_checks, prep_checks);
    return test_finish();
}
