#include "vec.h"

float hs_dot_f32_ref(const float *a, const float *b, int n) {
    float sum = 0.0f;
    for (int i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

void hs_axpy_f32_ref(float *y, float a, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

void hs_dot_rows_f16_ref(float *out, const hs_f16 *q, const hs_f16 *k, size_t stride, int n_rows, int n) {
    for (int j = 0; j < n_rows; j++) {
        const hs_f16 *row = k + (size_t)j * stride;
        float sum = 0.0f;
        for (int i = 0; i < n; i++) sum += hs_f16_to_f32(q[i]) * hs_f16_to_f32(row[i]);
        out[j] = sum;
    }
}

void hs_mix_rows_f16_ref(float *y, const hs_f16 *p, const hs_f16 *v, size_t stride, int n_rows, int n) {
    for (int i = 0; i < n; i++) y[i] = 0.0f;
    for (int j = 0; j < n_rows; j++) {
        const hs_f16 *row = v + (size_t)j * stride;
        const float pj = hs_f16_to_f32(p[j]);
        for (int i = 0; i < n; i++) y[i] += pj * hs_f16_to_f32(row[i]);
    }
}

// The fastest built: SIMD128 in WebAssembly builds, the reference elsewhere.
#ifdef __wasm_simd128__
#define FASTEST(name) name##_simd128
#else
#define FASTEST(name) name##_ref
#endif

float hs_dot_f32(const float *a, const float *b, int n) { return FASTEST(hs_dot_f32)(a, b, n); }
void hs_axpy_f32(float *y, float a, const float *x, int n) { FASTEST(hs_axpy_f32)(y, a, x, n); }
#ifdef __wasm_simd128__
void hs_dot_rows_f16(float *out, const hs_f16 *q, const hs_f16 *k, size_t stride, int n_rows, int n, bool rows_finite) {
    hs_dot_rows_f16_simd128(out, q, k, stride, n_rows, n, rows_finite);
}
void hs_mix_rows_f16(float *y, const hs_f16 *p, const hs_f16 *v, size_t stride, int n_rows, int n, bool rows_finite) {
    hs_mix_rows_f16_simd128(y, p, v, stride, n_rows, n, rows_finite);
}
void hs_dot_rows_f16_multi(float *const *out, const hs_f16 *const *q, int nq, const hs_f16 *k, size_t stride,
                           const int *n_rows, int n, bool rows_finite) {
    hs_dot_rows_f16_multi_simd128(out, q, nq, k, stride, n_rows, n, rows_finite);
}
void hs_mix_rows_f16_multi(float *const *y, const hs_f16 *const *p, int nq, const hs_f16 *v, size_t stride,
                           const int *n_rows, int n, bool rows_finite) {
    hs_mix_rows_f16_multi_simd128(y, p, nq, v, stride, n_rows, n, rows_finite);
}
#else // the reference looks at every value anyway
void hs_dot_rows_f16(float *out, const hs_f16 *q, const hs_f16 *k, size_t stride, int n_rows, int n, bool rows_finite) {
    (void)rows_finite;
    hs_dot_rows_f16_ref(out, q, k, stride, n_rows, n);
}
void hs_mix_rows_f16(float *y, const hs_f16 *p, const hs_f16 *v, size_t stride, int n_rows, int n, bool rows_finite) {
    (void)rows_finite;
    hs_mix_rows_f16_ref(y, p, v, stride, n_rows, n);
}
void hs_dot_rows_f16_multi(float *const *out, const hs_f16 *const *q, int nq, const hs_f16 *k, size_t stride,
                           const int *n_rows, int n, bool rows_finite) {
    (void)rows_finite;
    for (int i = 0; i < nq; i++) hs_dot_rows_f16_ref(out[i], q[i], k, stride, n_rows[i], n);
}
void hs_mix_rows_f16_multi(float *const *y, const hs_f16 *const *p, int nq, const hs_f16 *v, size_t stride,
                           const int *n_rows, int n, bool rows_finite) {
    (void)rows_finite;
    for (int i = 0; i < nq; i++) hs_mix_rows_f16_ref(y[i], p[i], v, stride, n_rows[i], n);
}
#endif
