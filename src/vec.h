// Vector helpers of the attention inner loops (q·k over a head, p·v accumulation), for F32 and
// F16 KV caches. Each has a scalar reference (vec.c) and, in WebAssembly builds, a SIMD128
// version (vec_simd128.c); the unsuffixed names use the fastest built.
#ifndef HEARTH_VEC_H
#define HEARTH_VEC_H

#include "quant.h"

float hs_dot_f32(const float *a, const float *b, int n);
float hs_dot_f32_f16(const float *a, const hs_f16 *b, int n);
void hs_axpy_f32(float *y, float a, const float *x, int n);   // y += a * x
void hs_axpy_f16(float *y, float a, const hs_f16 *x, int n);  // y += a * f32(x)

float hs_dot_f32_ref(const float *a, const float *b, int n);
float hs_dot_f32_f16_ref(const float *a, const hs_f16 *b, int n);
void hs_axpy_f32_ref(float *y, float a, const float *x, int n);
void hs_axpy_f16_ref(float *y, float a, const hs_f16 *x, int n);

#ifdef __wasm_simd128__
float hs_dot_f32_simd128(const float *a, const float *b, int n);
float hs_dot_f32_f16_simd128(const float *a, const hs_f16 *b, int n);
void hs_axpy_f32_simd128(float *y, float a, const float *x, int n);
void hs_axpy_f16_simd128(float *y, float a, const hs_f16 *x, int n);
#endif

#endif
