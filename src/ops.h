// The non-matmul operations of a transformer layer, with ggml's arithmetic (same accumulation
// types and operation order) so our logits track llama.cpp's. Each has a scalar reference (_ref,
// ops.c) and, in WebAssembly builds, a SIMD128 version (_simd128, ops_simd128.c); the unsuffixed
// names use the fastest built. rope and add are bit-exact in SIMD; rmsnorm and softmax add their
// sums in another order, and softmax and swiglu use their own exp (within 2 ulp of expf).
#ifndef HEARTH_OPS_H
#define HEARTH_OPS_H

#include <stdint.h>

// out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]   (the mean is accumulated in double, like ggml)
void hs_rmsnorm(float *out, const float *x, const float *w, int n, float eps);

// Rotary embedding of one head (head_dim values) at position pos; only the first rope_dim rotate.
// cache holds cos/sin pairs from hs_rope_cache for that position.
void hs_rope_cache(float *cache, int rope_dim, float pos, float base, float freq_scale, const float *freq_factors);
void hs_rope_norm(float *head, int rope_dim, const float *cache); // adjacent pairs
void hs_rope_neox(float *head, int rope_dim, const float *cache); // halves

// x[0..n) = softmax(x * scale); the sum is accumulated in double like ggml's soft_max.
void hs_softmax(float *x, int n, float scale);

// out[i] = silu(gate[i]) * up[i]
void hs_swiglu(float *out, const float *gate, const float *up, int n);

// x[i] += y[i]
void hs_add(float *x, const float *y, int n);

void hs_rmsnorm_ref(float *out, const float *x, const float *w, int n, float eps);
void hs_rope_norm_ref(float *head, int rope_dim, const float *cache);
void hs_rope_neox_ref(float *head, int rope_dim, const float *cache);
void hs_softmax_ref(float *x, int n, float scale);
void hs_swiglu_ref(float *out, const float *gate, const float *up, int n);
void hs_add_ref(float *x, const float *y, int n);

#ifdef __wasm_simd128__
void hs_rmsnorm_simd128(float *out, const float *x, const float *w, int n, float eps);
void hs_rope_norm_simd128(float *head, int rope_dim, const float *cache);
void hs_rope_neox_simd128(float *head, int rope_dim, const float *cache);
void hs_softmax_simd128(float *x, int n, float scale);
void hs_swiglu_simd128(float *out, const float *gate, const float *up, int n);
void hs_add_simd128(float *x, const float *y, int n);
#endif

#endif
