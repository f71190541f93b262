// Y = X · Wᵀ for a block of tokens: X is [T][K] floats, each weight W is [N][K] in its file type,
// Y is [T][N]. The activations are quantized once to the weights' vec_dot type, then the weight
// rows are split evenly over the thread pool and walked in tiles, so that a tile of weight rows
// is read from memory once for all T tokens (prefill) and streamed once per token (decode).
#ifndef HEARTH_MATMUL_H
#define HEARTH_MATMUL_H

#include <stddef.h>

#include "model.h"
#include "threadpool.h"

typedef struct {
    hs_threadpool *pool;
    void *qbuf;        // quantized activations
    size_t qbuf_size;
    // Activations prepared in a gemm's own form (hs_quant_traits.prep_bytes), or NULL: weights
    // whose type offers it (F16, BF16 in WebAssembly) then read them, and with several threads
    // their rows are handed out on demand in small chunks. Zero-initialised contexts go without.
    void *prep;
    size_t prep_size;
} hs_matmul_ctx;

// Bytes of quantized activations needed for T rows of K features, for any weight type.
size_t hs_matmul_qbuf_size(int T, int K);

// Several weights that share the same input X (e.g. Q, K and V), in one pass over the pool:
// ys[i] = X · ws[i]ᵀ. All ws must have ne[0] == K. At most 4.
void hs_matmul_multi(hs_matmul_ctx *ctx, const float *x, int T, int K, const hs_tensor *const *ws, float *const *ys, int n);
void hs_matmul(hs_matmul_ctx *ctx, const float *x, int T, int K, const hs_tensor *w, float *y);

// Heap scratch a thread's gemms may take for one hs_matmul_multi call of T tokens (ws and K as it
// takes them, prep_size as the context's hs_matmul_ctx.prep_size; ws' types and rows4 as loaded):
// the most gemm_scratch_bytes of any weight that runs its own gemm, not reading prepared
// activations (see hs_quant_traits.prep_bytes). Each thread keeps that much between calls.
uint64_t hs_matmul_scratch_bytes(const hs_tensor *const *ws, int n, int T, int K, size_t prep_size);

#endif
