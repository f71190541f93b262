// k-quant quantizers (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K), used to write synthetic models and in tests.
// They produce valid blocks in ggml's layouts (see quant_kquants.c) but do NOT reproduce ggml's
// quantize_row_*_K_ref bytes: the scale search is simpler than ggml's make_qkx2_quants /
// make_q3_quants / make_qx_quants and it minimizes the plain (unweighted) squared error:
//
//   1. Each sub-block (16 or 32 values) gets a float scale (and for Q2_K/Q4_K/Q5_K a min):
//      we try 13-17 candidate scales around "the extreme value maps to the extreme level", round
//      every value at each, refit scale (and min) by least squares for those integer levels,
//      keep the best, then polish with two rounds of re-rounding and refitting.
//   2. The sub-block scales (and mins) are quantized to 4, 6 or 8 bits against one f16 super-block
//      scale (and min scale), as ggml does: the largest one maps to the top level.
//   3. Every value is re-rounded with the final, quantized scales, so the stored levels are the
//      best ones for what a reader will decode.
//
// Mins follow ggml's convention: x = d*sc*q - dmin*m with m >= 0, so a sub-block whose values are
// all positive gets m = 0 rather than a positive offset.
#include <math.h>

#include "quant_blocks.h"

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// Nearest integer (ties to even) clamped to [lo, hi]; safe for any float, NaN included.
static inline int round_clamp(float v, int lo, int hi) {
    if (!(v > (float)lo)) return lo;
    if (!(v < (float)hi)) return hi;
    return clampi(hs_nearest_int(v), lo, hi);
}

// ---- sub-block fits ----

// x[0..n) ~ s * L with integer L in [lo, hi] (lo = -hi - 1); returns s, which may be negative
// (the value of largest magnitude maps to lo). All-zero input gives s = 0 and L = 0.
static float fit_symmetric(int n, const float *x, int lo, int hi, int8_t *L) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) {
            amax = fabsf(x[i]);
            max = x[i];
        }
    }
    memset(L, 0, (size_t)n);
    if (amax < 1e-30f) return 0.0f;

    double best_score = -1.0; // sumlx^2 / suml2: the error is sum x^2 minus this
    float best_s = 0.0f;
    int8_t trial[32];
    for (int t = -8; t <= 8; t++) {
        const float iscale = ((float)lo + 0.1f * (float)t) / max;
        double slx = 0, sll = 0;
        for (int i = 0; i < n; i++) {
            trial[i] = (int8_t)round_clamp(iscale * x[i], lo, hi);
            slx += (double)trial[i] * x[i];
            sll += (double)trial[i] * trial[i];
        }
        if (sll > 0 && slx * slx / sll > best_score) {
            best_score = slx * slx / sll;
            best_s = (float)(slx / sll);
            memcpy(L, trial, (size_t)n);
        }
    }
    // polish: re-round at the fitted scale and refit while that helps
    for (int iter = 0; iter < 2 && best_s != 0.0f; iter++) {
        const float inv = 1.0f / best_s;
        double slx = 0, sll = 0;
        for (int i = 0; i < n; i++) {
            trial[i] = (int8_t)round_clamp(inv * x[i], lo, hi);
            slx += (double)trial[i] * x[i];
            sll += (double)trial[i] * trial[i];
        }
        if (!(sll > 0 && slx * slx / sll > best_score)) break;
        best_score = slx * slx / sll;
        best_s = (float)(slx / sll);
        memcpy(L, trial, (size_t)n);
    }
    return best_s;
}

// Least-squares s, b for x ~ s * L + b with b <= 0 and s >= 0; returns the squared error.
static double fit_line(int n, const float *x, const uint8_t *L, float *s, float *b) {
    double sl = 0, sll = 0, sx = 0, slx = 0;
    for (int i = 0; i < n; i++) {
        sl += L[i];
        sll += (double)L[i] * L[i];
        sx += x[i];
        slx += (double)L[i] * x[i];
    }
    const double det = n * sll - sl * sl;
    double ss = 0, bb = 0;
    if (det > 0) {
        ss = (n * slx - sl * sx) / det;
        bb = (sll * sx - sl * slx) / det;
    }
    if (det <= 0 || bb > 0 || ss < 0) {
        // constrained: either b = 0 (fit through the origin) or s = 0 (a constant <= 0)
        double s0 = sll > 0 ? slx / sll : 0, b1 = sx / n < 0 ? sx / n : 0;
        double e0 = 0, e1 = 0;
        if (s0 < 0) s0 = 0;
        for (int i = 0; i < n; i++) {
            e0 += (s0 * L[i] - x[i]) * (s0 * L[i] - x[i]);
            e1 += (b1 - x[i]) * (b1 - x[i]);
        }
        ss = e0 <= e1 ? s0 : 0;
        bb = e0 <= e1 ? 0 : b1;
    }
    *s = (float)ss;
    *b = (float)bb;
    double err = 0;
    for (int i = 0; i < n; i++) {
        double r = (double)*s * L[i] + *b - x[i];
        err += r * r;
    }
    return err;
}

// x[0..n) ~ s * L - m with L in [0, nmax], s >= 0, m >= 0; returns s and sets *m.
static float fit_affine(int n, const float *x, int nmax, uint8_t *L, float *m) {
    float mn = 0.0f, mx = x[0];
    for (int i = 0; i < n; i++) {
        if (x[i] < mn) mn = x[i];
        if (x[i] > mx) mx = x[i];
    }
    memset(L, 0, (size_t)n);
    *m = -mn;
    if (!(mx - mn > 1e-30f)) return 0.0f;

    double best_err = INFINITY;
    float best_s = 0.0f, best_b = mn;
    uint8_t trial[32];
    for (int t = -6; t <= 6; t++) {
        const float iscale = ((float)nmax + 0.1f * (float)t) / (mx - mn);
        for (int i = 0; i < n; i++) trial[i] = (uint8_t)round_clamp(iscale * (x[i] - mn), 0, nmax);
        float s, b;
        double err = fit_line(n, x, trial, &s, &b);
        if (err < best_err) {
            best_err = err;
            best_s = s;
            best_b = b;
            memcpy(L, trial, (size_t)n);
        }
    }
    for (int iter = 0; iter < 2 && best_s > 0.0f; iter++) {
        const float inv = 1.0f / best_s;
        for (int i = 0; i < n; i++) trial[i] = (uint8_t)round_clamp(inv * (x[i] - best_b), 0, nmax);
        float s, b;
        double err = fit_line(n, x, trial, &s, &b);
        if (!(err < best_err)) break;
        best_err = err;
        best_s = s;
        best_b = b;
        memcpy(L, trial, (size_t)n);
    }
    *m = -best_b;
    return best_s;
}

// ---- super-block scale quantization ----

// Quantizes nonnegative v[0..n) to integers in [0, top] against one f16 scale (largest -> top);
// returns the f16 scale.
static hs_f16 quantize_scales_unsigned(int n, const float *v, int top, uint8_t *q) {
    float max = 0.0f;
    for (int i = 0; i < n; i++) max = v[i] > max ? v[i] : max;
    const hs_f16 dh = hs_f32_to_f16(max / (float)top);
    const float d = hs_f16_to_f32(dh);
    for (int i = 0; i < n; i++) q[i] = d > 0.0f ? (uint8_t)round_clamp(v[i] / d, 0, top) : 0;
    return dh;
}

// Quantizes signed v[0..n) to integers in [lo, hi] (lo < 0) against one f16 scale: the value of
// largest magnitude maps to lo; returns the f16 scale (negative when that value is positive).
static hs_f16 quantize_scales_signed(int n, const float *v, int lo, int hi, int *q) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; i++) {
        if (fabsf(v[i]) > amax) {
            amax = fabsf(v[i]);
            max = v[i];
        }
    }
    const hs_f16 dh = hs_f32_to_f16(max / (float)lo);
    const float d = hs_f16_to_f32(dh);
    for (int i = 0; i < n; i++) q[i] = d != 0.0f ? round_clamp(v[i] / d, lo, hi) : 0;
    return dh;
}

// Final levels for x ~ ds * L - dm, L in [0, nmax].
static void requantize_affine(int n, const float *x, float ds, float dm, int nmax, uint8_t *L) {
    for (int i = 0; i < n; i++) L[i] = ds > 0.0f ? (uint8_t)round_clamp((x[i] + dm) / ds, 0, nmax) : 0;
}

// Final levels for x ~ ds * L, L in [lo, hi], stored as L - lo.
static void requantize_symmetric(int n, const float *x, float ds, int lo, int hi, uint8_t *Lu) {
    for (int i = 0; i < n; i++) Lu[i] = (uint8_t)((ds != 0.0f ? round_clamp(x[i] / ds, lo, hi) : 0) - lo);
}

// ---- bit packing ----

// 2-bit fields as Q2_K / Q3_K store them.
static void pack_2bit(const uint8_t L[QK_K], uint8_t qs[QK_K / 4]) {
    memset(qs, 0, QK_K / 4);
    for (int e = 0; e < QK_K; e++) qs[32 * (e / 128) + e % 32] |= (uint8_t)((L[e] & 3) << (2 * ((e % 128) / 32)));
}

// 4-bit fields as Q4_K / Q5_K store them.
static void pack_4bit(const uint8_t L[QK_K], uint8_t qs[QK_K / 2]) {
    memset(qs, 0, QK_K / 2);
    for (int e = 0; e < QK_K; e++) qs[32 * (e / 64) + e % 32] |= (uint8_t)((L[e] & 15) << (4 * ((e % 64) / 32)));
}

// One bit per element: bit e/32 of out[e%32] (Q3_K hmask, Q5_K qh).
static void pack_high_bit(const uint8_t L[QK_K], int bit, uint8_t out[QK_K / 8]) {
    memset(out, 0, QK_K / 8);
    for (int e = 0; e < QK_K; e++) out[e % 32] |= (uint8_t)(((L[e] >> bit) & 1) << (e / 32));
}

// Q4_K / Q5_K: eight 6-bit scales and mins into 12 bytes (inverse of unpack_scales_mins_k4).
static void pack_scales_mins_k4(const uint8_t sc[8], const uint8_t mn[8], uint8_t q[K_SCALE_SIZE]) {
    for (int j = 0; j < 4; j++) {
        q[j] = sc[j];
        q[j + 4] = mn[j];
    }
    for (int j = 4; j < 8; j++) {
        q[j + 4] = (uint8_t)((sc[j] & 0x0f) | ((mn[j] & 0x0f) << 4));
        q[j - 4] |= (uint8_t)((sc[j] >> 4) << 6);
        q[j] |= (uint8_t)((mn[j] >> 4) << 6);
    }
}

// ---- Q2_K ----

void hs_quantize_row_q2_K_ref(const float *x, void *vy, int64_t k) {
    block_q2_K *y = vy;
    for (int64_t i = 0; i < k / QK_K; i++, x += QK_K) {
        uint8_t L[QK_K], ls[16], lm[16];
        float s[16], m[16];
        for (int j = 0; j < 16; j++) s[j] = fit_affine(16, x + 16 * j, 3, L + 16 * j, &m[j]);
        y[i].d = quantize_scales_unsigned(16, s, 15, ls);
        y[i].dmin = quantize_scales_unsigned(16, m, 15, lm);
        const float d = hs_f16_to_f32(y[i].d), dmin = hs_f16_to_f32(y[i].dmin);
        for (int j = 0; j < 16; j++) {
            y[i].scales[j] = (uint8_t)(ls[j] | (lm[j] << 4));
            requantize_affine(16, x + 16 * j, d * ls[j], dmin * lm[j], 3, L + 16 * j);
        }
        pack_2bit(L, y[i].qs);
    }
}

// ---- Q3_K ----

void hs_quantize_row_q3_K_ref(const float *x, void *vy, int64_t k) {
    block_q3_K *y = vy;
    for (int64_t i = 0; i < k / QK_K; i++, x += QK_K) {
        int8_t Ls[16];
        uint8_t L[QK_K];
        float s[16];
        int ls[16];
        for (int j = 0; j < 16; j++) s[j] = fit_symmetric(16, x + 16 * j, -4, 3, Ls);
        y[i].d = quantize_scales_signed(16, s, -32, 31, ls);
        const float d = hs_f16_to_f32(y[i].d);
        memset(y[i].scales, 0, sizeof y[i].scales);
        for (int j = 0; j < 16; j++) {
            const int v = ls[j] + 32;
            y[i].scales[j % 8] |= (uint8_t)((v & 0x0f) << (4 * (j / 8)));
            y[i].scales[8 + j % 4] |= (uint8_t)((v >> 4) << (2 * (j / 4)));
            requantize_symmetric(16, x + 16 * j, d * ls[j], -4, 3, L + 16 * j);
        }
        pack_2bit(L, y[i].qs);
        pack_high_bit(L, 2, y[i].hmask);
    }
}

// ---- Q4_K / Q5_K ----

// Shared: 8 sub-blocks of 32 with 6-bit scales and mins; fills L (0..nmax) and the header.
static void quantize_k4_block(const float *x, int nmax, hs_f16 *dh, hs_f16 *dminh, uint8_t scales[K_SCALE_SIZE],
                              uint8_t L[QK_K]) {
    float s[8], m[8];
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; j++) s[j] = fit_affine(32, x + 32 * j, nmax, L + 32 * j, &m[j]);
    *dh = quantize_scales_unsigned(8, s, 63, ls);
    *dminh = quantize_scales_unsigned(8, m, 63, lm);
    const float d = hs_f16_to_f32(*dh), dmin = hs_f16_to_f32(*dminh);
    for (int j = 0; j < 8; j++) requantize_affine(32, x + 32 * j, d * ls[j], dmin * lm[j], nmax, L + 32 * j);
    pack_scales_mins_k4(ls, lm, scales);
}

void hs_quantize_row_q4_K_ref(const float *x, void *vy, int64_t k) {
    block_q4_K *y = vy;
    for (int64_t i = 0; i < k / QK_K; i++, x += QK_K) {
        uint8_t L[QK_K];
        quantize_k4_block(x, 15, &y[i].d, &y[i].dmin, y[i].scales, L);
        pack_4bit(L, y[i].qs);
    }
}

void hs_quantize_row_q5_K_ref(const float *x, void *vy, int64_t k) {
    block_q5_K *y = vy;
    for (int64_t i = 0; i < k / QK_K; i++, x += QK_K) {
        uint8_t L[QK_K];
        quantize_k4_block(x, 31, &y[i].d, &y[i].dmin, y[i].scales, L);
        pack_4bit(L, y[i].qs);
        pack_high_bit(L, 4, y[i].qh);
    }
}

// ---- Q6_K ----

void hs_quantize_row_q6_K_ref(const float *x, void *vy, int64_t k) {
    block_q6_K *y = vy;
    for (int64_t i = 0; i < k / QK_K; i++, x += QK_K) {
        int8_t Ls[16];
        uint8_t L[QK_K];
        float s[16];
        int ls[16];
        for (int j = 0; j < 16; j++) s[j] = fit_symmetric(16, x + 16 * j, -32, 31, Ls);
        y[i].d = quantize_scales_signed(16, s, -128, 127, ls);
        const float d = hs_f16_to_f32(y[i].d);
        for (int j = 0; j < 16; j++) {
            y[i].scales[j] = (int8_t)ls[j];
            requantize_symmetric(16, x + 16 * j, d * ls[j], -32, 31, L + 16 * j);
        }
        // element e: half h = e/128, quarter t = (e%128)/32, l = e%32 (see levels_q6)
        memset(y[i].ql, 0, sizeof y[i].ql);
        memset(y[i].qh, 0, sizeof y[i].qh);
        for (int e = 0; e < QK_K; e++) {
            const int h = e / 128, t = (e % 128) / 32, l = e % 32;
            y[i].ql[64 * h + l + 32 * (t & 1)] |= (uint8_t)((L[e] & 0x0f) << (4 * (t >> 1)));
            y[i].qh[32 * h + l] |= (uint8_t)((L[e] >> 4) << (2 * t));
        }
    }
}
