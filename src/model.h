// A transformer model as the forward pass sees it: hyperparameters from GGUF metadata and every
// weight bound to its bytes in the loaded arena, checked for shape and type.
#ifndef HEARTH_MODEL_H
#define HEARTH_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

typedef enum { HS_ARCH_LLAMA, HS_ARCH_QWEN2, HS_ARCH_QWEN3 } hs_arch;
// NORM rotates adjacent pairs (x0,x1),(x2,x3)...; NEOX rotates the two halves (x_i, x_{i+d/2}).
typedef enum { HS_ROPE_NORM, HS_ROPE_NEOX } hs_rope_type;

typedef struct {
    const void *data; // NULL when the tensor is absent (optional tensors)
    uint32_t type;
    int64_t ne[2];    // ne[0] = row length (input features), ne[1] = rows (output features)
    size_t row_bytes;
    const char *name;
    // Rows interleaved in groups of four (hs_interleave_rows4: by block; Q4_0 and Q6_K further; F16 in pairs, finite
    // rows only), done at load for matmul weights whose type has a gemm_rows4 kernel; such a tensor is read only
    // through that kernel (and hs_rows4_row: the token embeddings of a tied output).
    bool rows4;
    // Plain rows checked at load to hold no inf or NaN (hs_quant_traits.all_finite), for types whose
    // gemv_finite then skips looking for them on every call.
    bool finite;
} hs_tensor;

typedef struct {
    hs_tensor attn_norm, wq, wk, wv, wo;
    hs_tensor bq, bk, bv;         // qwen2
    hs_tensor q_norm, k_norm;     // qwen3: RMS norm over each head before rope
    hs_tensor ffn_norm, w_gate, w_up, w_down;
} hs_layer;

typedef struct {
    hs_arch arch;
    const char *arch_name;
    int n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx_train;
    float norm_eps;
    hs_rope_type rope_type;
    int rope_dim;            // leading dimensions of each head that rotate
    float rope_base;
    float rope_freq_scale;   // linear scaling: positions are multiplied by this
    const float *rope_freq_factors; // llama-3 style per-frequency divisors (rope_dim/2), or NULL
    hs_tensor tok_embd, output_norm, output; // output aliases tok_embd when tied
    bool tied_output;
    hs_layer *layers;
    uint64_t n_params;
    uint64_t weight_bytes;
} hs_model;

// Looks a tensor up by name across the loaded shards; NULL when absent.
typedef struct {
    const gguf_tensor_info *info;
    const uint8_t *data;
} hs_tensor_ref;
typedef hs_tensor_ref (*hs_tensor_lookup_fn)(void *user, const char *name);

// Reads hyperparameters and binds every tensor. On failure returns false with err naming the key
// or tensor and what was expected; m->layers is freed by hs_model_free either way.
bool hs_model_bind(hs_model *m, const gguf_ctx *meta, hs_tensor_lookup_fn lookup, void *user,
                   char *err, size_t err_size);
void hs_model_free(hs_model *m);

// The matmul weights of a layer, in the order the forward pass uses them.
#define HS_LAYER_MATMULS 7
static inline void hs_layer_matmuls(hs_layer *L, hs_tensor *out[HS_LAYER_MATMULS]) {
    hs_tensor *const ws[HS_LAYER_MATMULS] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
    for (int i = 0; i < HS_LAYER_MATMULS; i++) out[i] = ws[i];
}

// After a load, readies the matmul weights for their kernels: interleaves the rows of those whose
// kernels read that layout faster (hs_tensor.rows4), in place in the loaded arena (which is why
// the data pointers may be written here), and marks the others found to hold no inf or NaN
// (hs_tensor.finite) where the type has a gemv_finite to use it. A tied output is the token embeddings too,
// whose lookup then reads a row back out of its group (hs_rows4_row). No memory beyond a four-row
// scratch per tensor.
void hs_model_prepare_weights(hs_model *m);

#endif
