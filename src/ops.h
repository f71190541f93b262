// The non-matmul operations of a transformer layer, with ggml's arithmetic (same accumulation
// types and operation order) so our logits track llama.cpp's.
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

#endif
