// SIMD128 versions of vec.h. Dot products keep four lane sums (so they add in another order
// than the reference: tolerance in tests); axpy does the same multiply and add per element as the
// reference, so it is bit-exact.
#ifdef __wasm_simd128__
#include <wasm_simd128.h>

#include "vec.h"

// Four halves (zero-extended into 32-bit lanes) to four floats, exactly: shifting the exponent
// and mantissa into float position and multiplying by 2^112 rebiases the exponent, and turns
// half subnormals into the right float values; infinities and NaNs get the all-ones exponent.
static inline v128_t f16x4_to_f32x4(v128_t h) {
    const v128_t sign = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16);
    const v128_t magnitude = wasm_v128_and(h, wasm_i32x4_splat(0x7fff));
    const v128_t shifted = wasm_i32x4_shl(magnitude, 13);
    const v128_t finite = wasm_f32x4_mul(shifted, wasm_f32x4_splat(0x1p112f));
    const v128_t inf_nan = wasm_v128_or(shifted, wasm_i32x4_splat(0x7f800000));
    const v128_t is_inf_nan = wasm_i32x4_ge(magnitude, wasm_i32x4_splat(0x7c00));
    return wasm_v128_or(wasm_v128_bitselect(inf_nan, finite, is_inf_nan), sign);
}

static inline float lane_sum(v128_t v) {
    return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
           (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

float hs_dot_f32_simd128(const float *a, const float *b, int n) {
    v128_t acc = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    float sum = lane_sum(acc);
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

float hs_dot_f32_f16_simd128(const float *a, const hs_f16 *b, int n) {
    v128_t acc = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        const v128_t bf = f16x4_to_f32x4(wasm_u32x4_load16x4(b + i));
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + i), bf));
    }
    float sum = lane_sum(acc);
    for (; i < n; i++) sum += a[i] * hs_f16_to_f32(b[i]);
    return sum;
}

void hs_axpy_f32_simd128(float *y, float a, const float *x, int n) {
    const v128_t va = wasm_f32x4_splat(a);
    int i = 0;
    for (; i + 4 <= n; i += 4)
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i))));
    for (; i < n; i++) y[i] += a * x[i];
}

void hs_axpy_f16_simd128(float *y, float a, const hs_f16 *x, int n) {
    const v128_t va = wasm_f32x4_splat(a);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        const v128_t xf = f16x4_to_f32x4(wasm_u32x4_load16x4(x + i));
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, xf)));
    }
    for (; i < n; i++) y[i] += a * hs_f16_to_f32(x[i]);
}
#endif
