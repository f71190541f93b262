// Vector helpers of the attention inner loops (q·k over a head, p·v accumulation), for F32 and
// F16 KV caches. Each has a scalar reference
// (vec.c) and, in WebAssembly builds, a SIMD128 version (vec_simd128.c); the unsuffixed names use
// the fastest built.
#ifndef HEARTH_VEC_H
#define HEARTH_VEC_H

#include "quant.h"

float hs_dot_f32(const float *a, const float *b, int n);
void hs_axpy_f32(float *y, float a, const float *x, int n);   // y += a * x
// out[j] = q · k_j for rows j < n_rows, k_j = k + j * stride, n elements each: the attention
// scores of one head from an F16 cache (q rounded to F16 as llama.cpp does). F16 products are
// exact in float; the SIMD version adds them in another order (tolerance). rows_finite: the
// caller knows the rows hold no inf or NaN (checked by the F16 traits' all_finite when they were
// written), so the SIMD version need not look for them; the results are the same.
void hs_dot_rows_f16(float *out, const hs_f16 *q, const hs_f16 *k, size_t stride, int n_rows, int n, bool rows_finite);
// y[i] = sum over rows j < n_rows, in order, of f32(p[j]) * f32(v[j * stride + i]), for i < n:
// the attention output of one head from an F16 cache, p its probabilities rounded to F16 (as
// llama.cpp rounds them). Each element is the chain y = 0, then y += p * v (one float multiply,
// exact for two F16 values, and one add) per row, so every build gives the same bits.
// rows_finite as for hs_dot_rows_f16.
void hs_mix_rows_f16(float *y, const hs_f16 *p, const hs_f16 *v, size_t stride, int n_rows, int n, bool rows_finite);
// The same for up to HS_ROWS_QUERIES queries that read the same cache rows (a prefill's tokens, one
// head): query i against rows j < n_rows[i], into out[i] (y[i]), each exactly as the single-query
// call gives it (the same bits in every build). A SIMD build converts each row once for all of
// them rather than once per query.
#define HS_ROWS_QUERIES 4
void hs_dot_rows_f16_multi(float *const *out, const hs_f16 *const *q, int nq, const hs_f16 *k, size_t stride,
                           const int *n_rows, int n, bool rows_finite);
void hs_mix_rows_f16_multi(float *const *y, const hs_f16 *const *p, int nq, const hs_f16 *v, size_t stride,
                           const int *n_rows, int n, bool rows_finite);

float hs_dot_f32_ref(const float *a, const float *b, int n);
void hs_axpy_f32_ref(float *y, float a, const float *x, int n);
void hs_dot_rows_f16_ref(float *out, const hs_f16 *q, const hs_f16 *k, size_t stride, int n_rows, int n);
void hs_mix_rows_f16_ref(float *y, const hs_f16 *p, const hs_f16 *v, size_t stride, int n_rows, int n);

#ifdef __wasm_simd128__
float hs_dot_f32_simd128(const float *a, const float *b, int n);
void hs_axpy_f32_simd128(float *y, float a, const float *x, int n);
void hs_dot_rows_f16_simd128(float *out, const hs_f16 *q, const hs_f16 *k, size_t stride, int n_rows, int n,
                             bool rows_finite);
void hs_mix_rows_f16_simd128(float *y, const hs_f16 *p, const hs_f16 *v, size_t stride, int n_rows, int n,
                             bool rows_finite);
void hs_dot_rows_f16_multi_simd128(float *const *out, const hs_f16 *const *q, int nq, const hs_f16 *k, size_t stride,
                                   const int *n_rows, int n, bool rows_finite);
void hs_mix_rows_f16_multi_simd128(float *const *y, const hs_f16 *const *p, int nq, const hs_f16 *v, size_t stride,
                                   const int *n_rows, int n, bool rows_finite);
#endif

#endif
