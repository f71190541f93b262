#include "vec.h"

float hs_dot_f32_ref(const float *a, const float *b, int n) {
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

float hs_dot_f32_f16_ref(const float *a, const hs_f16 *b, int n) {
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += a[i] * hs_f16_to_f32(b[i]);
    return sum;
}

void hs_axpy_f32_ref(float *y, float a, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

void hs_axpy_f16_ref(float *y, float a, const hs_f16 *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * hs_f16_to_f32(x[i]);
}

// The fastest built: SIMD128 in WebAssembly builds, the reference elsewhere.
#ifdef __wasm_simd128__
#define FASTEST(name) name##_simd128
#else
#define FASTEST(name) name##_ref
#endif

float hs_dot_f32(const float *a, const float *b, int n) { return FASTEST(hs_dot_f32)(a, b, n); }
float hs_dot_f32_f16(const float *a, const hs_f16 *b, int n) { return FASTEST(hs_dot_f32_f16)(a, b, n); }
void hs_axpy_f32(float *y, float a, const float *x, int n) { FASTEST(hs_axpy_f32)(y, a, x, n); }
void hs_axpy_f16(float *y, float a, const hs_f16 *x, int n) { FASTEST(hs_axpy_f16)(y, a, x, n); }
