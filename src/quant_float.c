// Float element types: F32, F16 (IEEE binary16) and BF16 (the top half of a binary32), their
// conversions, and their reference dot products.
//
// Conversions round to nearest, ties to even, as ggml does. NaNs: F16 gives sign | 0x7E00 (ggml's
// portable converter); BF16 keeps the top bits and forces the quiet bit (ggml). BF16 subnormals
// are rounded, not flushed (current ggml).
//
// Dot products follow ggml's generic (non-SIMD) code: each product is formed in float (exact for
// F16 and BF16 inputs) and accumulated in double, then rounded to float once at the end.
#include <string.h>

#include "quant_blocks.h"

static inline uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float f32_from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float hs_f16_to_f32(hs_f16 h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    if (exp == 0x1f) return f32_from_bits(sign | 0x7f800000u | (man << 13)); // inf / NaN
    if (exp == 0) {
        // zero or subnormal: man * 2^-24, exact in float
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    return f32_from_bits(sign | ((exp + 112) << 23) | (man << 13));
}

// Rounds the integer m / 2^shift to nearest, ties to even (1 <= shift <= 31).
static inline uint32_t shift_round_even(uint32_t m, unsigned shift) {
    uint32_t q = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return q;
}

hs_f16 hs_f32_to_f16(float f) {
    uint32_t w = f32_bits(f);
    uint16_t sign = (uint16_t)((w >> 16) & 0x8000);
    uint32_t a = w & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00;   // NaN
    if (a >= 0x477ff000u) return sign | 0x7c00;  // >= 65520 rounds to infinity (and inf itself)
    uint32_t exp = a >> 23;                      // biased binary32 exponent
    if (exp < 113) {
        // below 2^-14: an F16 subnormal (or zero), i.e. a multiple of 2^-24
        uint32_t shift = 126 - exp;              // value / 2^-24 = man * 2^-shift
        if (exp == 0 || shift > 24) return sign; // below 2^-25 (ties at 2^-25 go to even 0)
        uint32_t man = (a & 0x7fffffu) | 0x800000u;
        return sign | (uint16_t)shift_round_even(man, shift); // may carry into the smallest normal
    }
    // normal: rebias the exponent, round 23 mantissa bits to 10; a carry bumps the exponent
    uint32_t h = ((exp - 112) << 23) | (a & 0x7fffffu);
    return sign | (uint16_t)shift_round_even(h, 13);
}

float hs_bf16_to_f32(hs_bf16 h) { return f32_from_bits((uint32_t)h << 16); }

hs_bf16 hs_f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (hs_bf16)((u >> 16) | 0x40); // quiet NaN
    return (hs_bf16)(shift_round_even(u, 16) & 0xffff); // overflow rounds to inf naturally
}

// ---- F32 ----

void hs_dequantize_row_f32_ref(const void *x, float *y, int64_t k) {
    memcpy(y, x, (size_t)k * sizeof(float));
}

void hs_quantize_row_f32_ref(const float *x, void *y, int64_t k) {
    memcpy(y, x, (size_t)k * sizeof(float));
}

void hs_vec_dot_f32_ref(int n, float *s, const void *vx, const void *vy) {
    const float *x = vx, *y = vy;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)(x[i] * y[i]);
    *s = (float)sum;
}

// ---- F16 ----

void hs_dequantize_row_f16_ref(const void *vx, float *y, int64_t k) {
    const hs_f16 *x = vx;
    for (int64_t i = 0; i < k; i++) y[i] = hs_f16_to_f32(x[i]);
}

void hs_quantize_row_f16_ref(const float *x, void *vy, int64_t k) {
    hs_f16 *y = vy;
    for (int64_t i = 0; i < k; i++) y[i] = hs_f32_to_f16(x[i]);
}

bool hs_f16_all_finite_ref(const void *data, size_t bytes) {
    const hs_f16 *h = data;
    for (size_t i = 0; i < bytes / sizeof(hs_f16); i++) {
        if ((h[i] & 0x7c00) == 0x7c00) return false;
    }
    return true;
}

void hs_vec_dot_f16_ref(int n, float *s, const void *vx, const void *vy) {
    const hs_f16 *x = vx, *y = vy;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)(hs_f16_to_f32(x[i]) * hs_f16_to_f32(y[i]));
    *s = (float)sum;
}

// ---- BF16 ----

void hs_dequantize_row_bf16_ref(const void *vx, float *y, int64_t k) {
    const hs_bf16 *x = vx;
    for (int64_t i = 0; i < k; i++) y[i] = hs_bf16_to_f32(x[i]);
}

void hs_quantize_row_bf16_ref(const float *x, void *vy, int64_t k) {
    hs_bf16 *y = vy;
    for (int64_t i = 0; i < k; i++) y[i] = hs_f32_to_bf16(x[i]);
}

void hs_vec_dot_bf16_ref(int n, float *s, const void *vx, const void *vy) {
    const hs_bf16 *x = vx, *y = vy;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)(hs_bf16_to_f32(x[i]) * hs_bf16_to_f32(y[i]));
    *s = (float)sum;
}
