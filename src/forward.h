// The evaluation context: KV cache, scratch buffers and the forward pass of llama-family models
// (llama, qwen2, qwen3) over a batch of tokens.
#ifndef HEARTH_FORWARD_H
#define HEARTH_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "matmul.h"
#include "model.h"
#include "threadpool.h"

typedef struct {
    const hs_model *m;
    hs_threadpool *pool;
    int n_ctx, n_batch, n_past;
    bool kv_f16;
    int kv_dim;            // n_head_kv * head_dim
    void *k_cache, *v_cache; // [n_layer][n_head_kv][n_ctx][head_dim], F16 or F32
    // Some row written to the F16 cache held an inf or NaN (once set, for the context's life):
    // attention then looks for them in every row it reads, which it otherwise need not.
    bool kv_nonfinite;
    // Scratch for one batch: every activation is [n_batch][width].
    float *x, *xn, *q, *k, *v, *att, *gate, *up;
    float *rope;           // [n_batch][rope_dim] cos/sin pairs
    float *scores;         // [n_threads][hs_attention_scratch_floats(n_ctx)]: per query of an item, scores then probabilities as F16
    float *logits;         // [n_vocab], for the last token of the last batch
    uint8_t *embd_row;     // a token's embedding row read out of its interleaved group (tied output)
    hs_matmul_ctx mm;
    uint64_t scratch_bytes;
} hs_context;

// Allocates the KV cache and scratch; false with err set when memory is short.
bool hs_context_init(hs_context *c, const hs_model *m, hs_threadpool *pool, int n_ctx, int n_batch, bool kv_f16,
                     char *err, size_t err_size);
void hs_context_free(hs_context *c);
// Sizes in 64 bits: in WebAssembly size_t is 32 bits, and a large context must not wrap.
uint64_t hs_context_kv_bytes(const hs_model *m, int n_ctx, bool kv_f16);
uint64_t hs_context_scratch_bytes(const hs_model *m, int n_ctx, int n_batch, int n_threads);
// Floats of attention scratch per thread: for each query of an item (up to HS_ROWS_QUERIES), n_ctx
// scores, then as many F16 probabilities.
size_t hs_attention_scratch_floats(int n_ctx);

// Evaluates tokens[0..T) (T <= n_batch) at positions n_past.. and leaves the last token's logits
// in c->logits. Fails, changing nothing, if a token id is out of range or the context is full.
bool hs_forward(hs_context *c, const int32_t *tokens, int T, char *err, size_t err_size);

#endif
