#include "model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "types.h"

typedef struct {
    const gguf_ctx *meta;
    hs_tensor_lookup_fn lookup;
    void *user;
    char *err;
    size_t err_size;
    const char *arch;
    bool failed;
} binder;

static bool fail(binder *b, const char *fmt, ...) {
    if (b->failed) return false;
    b->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, b->err_size, fmt, ap);
    va_end(ap);
    return false;
}

// "{arch}.{suffix}" as an integer hyperparameter.
static bool arch_u32(binder *b, const char *suffix, int *out, bool required) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", b->arch, suffix);
    uint32_t v;
    if (gguf_get_u32(b->meta, key, &v)) {
        if (v > (1u << 30)) return fail(b, "metadata %s = %u is out of range", key, v);
        *out = (int)v;
        return true;
    }
    if (gguf_find(b->meta, key)) return fail(b, "metadata %s has the wrong type (expected an integer)", key);
    if (required) return fail(b, "metadata %s is missing", key);
    return true;
}

static bool arch_f32(binder *b, const char *suffix, float *out) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", b->arch, suffix);
    if (gguf_get_f32(b->meta, key, out)) return true;
    if (gguf_find(b->meta, key)) return fail(b, "metadata %s has the wrong type (expected a float)", key);
    return true;
}

// Binds tensor `name` expecting ne0 x ne1 (ne1 = 1 for vectors). Weights used in matmuls need a
// vec_dot kernel; norms and biases must be F32; embeddings need a dequantizer.
typedef enum { USE_MATMUL, USE_F32, USE_ROWS } tensor_use;

static bool bind(binder *b, hs_tensor *t, const char *name, int64_t ne0, int64_t ne1, tensor_use use, bool required) {
    memset(t, 0, sizeof *t);
    if (b->failed) return false;
    hs_tensor_ref ref = b->lookup(b->user, name);
    if (!ref.info) return required ? fail(b, "tensor '%s' is missing", name) : true;
    const gguf_tensor_info *info = ref.info;
    bool is_vector = ne1 == 1;
    bool shape_ok = info->ne[0] == (uint64_t)ne0 && info->ne[1] == (uint64_t)ne1 && info->ne[2] == 1 &&
                    info->ne[3] == 1 && (is_vector ? info->n_dims <= 2 : info->n_dims == 2);
    if (!shape_ok) {
        return fail(b, "tensor '%s' has shape [%llu, %llu, %llu, %llu]; expected [%lld, %lld]", name,
                    (unsigned long long)info->ne[0], (unsigned long long)info->ne[1],
                    (unsigned long long)info->ne[2], (unsigned long long)info->ne[3], (long long)ne0, (long long)ne1);
    }
    char tbuf[32];
    const hs_quant_traits *q = hs_quant_traits_get(info->type);
    if (use == USE_F32 && info->type != HS_TYPE_F32) {
        return fail(b, "tensor '%s' has type %s; Hearth expects F32 for norms and biases", name,
                    hs_type_name(info->type, tbuf));
    }
    if (!q || (use == USE_MATMUL && !q->vec_dot) || !q->dequantize_row) {
        return fail(b, "tensor '%s' has type %s, which Hearth does not support (supported: F32, F16, BF16, "
                    "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL)", name,
                    hs_type_name(info->type, tbuf));
    }
    t->data = ref.data;
    t->type = info->type;
    t->ne[0] = ne0;
    t->ne[1] = ne1;
    t->row_bytes = hs_row_size(info->type, (uint64_t)ne0);
    t->name = info->name.data;
    return true;
}

static bool read_hparams(binder *b, hs_model *m) {
    const char *arch = gguf_get_str(b->meta, "general.architecture");
    if (!arch) return fail(b, "metadata general.architecture is missing");
    if (strcmp(arch, "llama") == 0) m->arch = HS_ARCH_LLAMA;
    else if (strcmp(arch, "qwen2") == 0) m->arch = HS_ARCH_QWEN2;
    else if (strcmp(arch, "qwen3") == 0) m->arch = HS_ARCH_QWEN3;
    else return fail(b, "architecture '%.64s' is not supported (supported: llama, qwen2, qwen3)", arch);
    b->arch = m->arch_name = arch;

    if (!arch_u32(b, "embedding_length", &m->n_embd, true) || !arch_u32(b, "block_count", &m->n_layer, true) ||
        !arch_u32(b, "feed_forward_length", &m->n_ff, true) || !arch_u32(b, "attention.head_count", &m->n_head, true))
        return false;
    m->n_head_kv = m->n_head;
    m->n_ctx_train = 2048;
    if (!arch_u32(b, "attention.head_count_kv", &m->n_head_kv, false) ||
        !arch_u32(b, "context_length", &m->n_ctx_train, false))
        return false;
    if (m->n_embd <= 0 || m->n_layer <= 0 || m->n_ff <= 0 || m->n_head <= 0 || m->n_head_kv <= 0)
        return fail(b, "metadata gives a zero size (embedding %d, blocks %d, ffn %d, heads %d, kv heads %d)",
                    m->n_embd, m->n_layer, m->n_ff, m->n_head, m->n_head_kv);
    if (m->n_head % m->n_head_kv != 0)
        return fail(b, "attention.head_count %d is not a multiple of head_count_kv %d", m->n_head, m->n_head_kv);
    m->head_dim = m->n_embd / m->n_head;
    if (!arch_u32(b, "attention.key_length", &m->head_dim, false)) return false;
    int value_length = m->head_dim;
    if (!arch_u32(b, "attention.value_length", &value_length, false)) return false;
    if (value_length != m->head_dim || m->head_dim <= 0 || m->head_dim % 2 != 0)
        return fail(b, "attention key/value lengths %d/%d are not supported (equal and even)", m->head_dim, value_length);

    m->norm_eps = 1e-5f;
    m->rope_base = 10000.0f;
    m->rope_freq_scale = 1.0f;
    m->rope_dim = m->head_dim;
    if (!arch_f32(b, "attention.layer_norm_rms_epsilon", &m->norm_eps) || !arch_f32(b, "rope.freq_base", &m->rope_base) ||
        !arch_u32(b, "rope.dimension_count", &m->rope_dim, false))
        return false;
    if (m->rope_dim <= 0 || m->rope_dim > m->head_dim || m->rope_dim % 2 != 0)
        return fail(b, "%s.rope.dimension_count %d does not fit head size %d", arch, m->rope_dim, m->head_dim);
    if (!(m->norm_eps > 0) || !(m->rope_base > 0))
        return fail(b, "metadata gives rms epsilon %g and rope base %g; both must be positive", m->norm_eps, m->rope_base);

    char key[128];
    snprintf(key, sizeof key, "%s.rope.scaling.type", arch);
    const char *scaling = gguf_get_str(b->meta, key);
    float factor = 1.0f;
    snprintf(key, sizeof key, "%s.rope.scaling.factor", arch);
    gguf_get_f32(b->meta, key, &factor);
    if (scaling && strcmp(scaling, "linear") == 0) {
        if (!(factor > 0)) return fail(b, "%s = %g must be positive", key, factor);
        m->rope_freq_scale = 1.0f / factor;
    } else if (scaling && strcmp(scaling, "none") != 0 && factor != 1.0f) {
        return fail(b, "rope scaling '%.32s' is not supported (none, linear, and llama-3 frequency factors are)", scaling);
    }
    m->rope_type = m->arch == HS_ARCH_LLAMA ? HS_ROPE_NORM : HS_ROPE_NEOX;

    uint32_t et;
    uint64_t n_tokens;
    const void *tokens;
    if (!gguf_get_arr(b->meta, "tokenizer.ggml.tokens", &et, &n_tokens, &tokens) || et != GGUF_TYPE_STRING)
        return fail(b, "metadata tokenizer.ggml.tokens is missing (a string array is required)");
    if (n_tokens == 0 || n_tokens > (1u << 24)) return fail(b, "tokenizer.ggml.tokens has %llu entries", (unsigned long long)n_tokens);
    m->n_vocab = (int)n_tokens;
    return true;
}

bool hs_model_bind(hs_model *m, const gguf_ctx *meta, hs_tensor_lookup_fn lookup, void *user, char *err, size_t err_size) {
    memset(m, 0, sizeof *m);
    binder b = {.meta = meta, .lookup = lookup, .user = user, .err = err, .err_size = err_size};
    if (!read_hparams(&b, m)) return false;

    int64_t n_embd = m->n_embd, n_q = (int64_t)m->n_head * m->head_dim, n_kv = (int64_t)m->n_head_kv * m->head_dim;
    hs_tensor_ref emb = lookup(user, "token_embd.weight");
    if (emb.info && emb.info->ne[1] != (uint64_t)m->n_vocab && emb.info->ne[0] == (uint64_t)n_embd) {
        return fail(&b, "the vocabulary has %d tokens but token_embd.weight has %llu rows", m->n_vocab,
                    (unsigned long long)emb.info->ne[1]);
    }
    bind(&b, &m->tok_embd, "token_embd.weight", n_embd, m->n_vocab, USE_ROWS, true);
    bind(&b, &m->output_norm, "output_norm.weight", n_embd, 1, USE_F32, true);
    bind(&b, &m->output, "output.weight", n_embd, m->n_vocab, USE_MATMUL, false);
    if (!b.failed && !m->output.data) {
        m->tied_output = true;
        m->output = m->tok_embd;
        const hs_quant_traits *q = hs_quant_traits_get(m->output.type);
        if (!q || !q->vec_dot) return fail(&b, "token_embd.weight (used as the tied output) has no matmul kernel");
    }
    hs_tensor freqs;
    bind(&b, &freqs, "rope_freqs.weight", m->rope_dim / 2, 1, USE_F32, false);
    m->rope_freq_factors = freqs.data;

    m->layers = calloc((size_t)m->n_layer, sizeof *m->layers);
    if (!m->layers) return fail(&b, "out of memory for %d layers", m->n_layer);
    for (int il = 0; il < m->n_layer && !b.failed; il++) {
        hs_layer *L = &m->layers[il];
        char name[96];
#define NAME(suffix) (snprintf(name, sizeof name, "blk.%d.%s", il, suffix), name)
        bind(&b, &L->attn_norm, NAME("attn_norm.weight"), n_embd, 1, USE_F32, true);
        bind(&b, &L->wq, NAME("attn_q.weight"), n_embd, n_q, USE_MATMUL, true);
        bind(&b, &L->wk, NAME("attn_k.weight"), n_embd, n_kv, USE_MATMUL, true);
        bind(&b, &L->wv, NAME("attn_v.weight"), n_embd, n_kv, USE_MATMUL, true);
        bind(&b, &L->wo, NAME("attn_output.weight"), n_q, n_embd, USE_MATMUL, true);
        bool qwen2 = m->arch == HS_ARCH_QWEN2, qwen3 = m->arch == HS_ARCH_QWEN3;
        bind(&b, &L->bq, NAME("attn_q.bias"), n_q, 1, USE_F32, qwen2);
        bind(&b, &L->bk, NAME("attn_k.bias"), n_kv, 1, USE_F32, qwen2);
        bind(&b, &L->bv, NAME("attn_v.bias"), n_kv, 1, USE_F32, qwen2);
        bind(&b, &L->q_norm, NAME("attn_q_norm.weight"), m->head_dim, 1, USE_F32, qwen3);
        bind(&b, &L->k_norm, NAME("attn_k_norm.weight"), m->head_dim, 1, USE_F32, qwen3);
        bind(&b, &L->ffn_norm, NAME("ffn_norm.weight"), n_embd, 1, USE_F32, true);
        bind(&b, &L->w_gate, NAME("ffn_gate.weight"), n_embd, m->n_ff, USE_MATMUL, true);
        bind(&b, &L->w_up, NAME("ffn_up.weight"), n_embd, m->n_ff, USE_MATMUL, true);
        bind(&b, &L->w_down, NAME("ffn_down.weight"), m->n_ff, n_embd, USE_MATMUL, true);
#undef NAME
    }
    if (b.failed) return false;

    // Parameter count and weight bytes over everything bound.
    const hs_tensor *all[3] = {&m->tok_embd, &m->output_norm, &m->output};
    for (int i = 0; i < 3; i++) {
        if (i == 2 && m->tied_output) break;
        m->n_params += (uint64_t)(all[i]->ne[0] * all[i]->ne[1]);
        m->weight_bytes += all[i]->row_bytes * (uint64_t)all[i]->ne[1];
    }
    for (int il = 0; il < m->n_layer; il++) {
        const hs_tensor *lt = &m->layers[il].attn_norm;
        for (size_t k = 0; k < sizeof(hs_layer) / sizeof(hs_tensor); k++) {
            if (!lt[k].data) continue;
            m->n_params += (uint64_t)(lt[k].ne[0] * lt[k].ne[1]);
            m->weight_bytes += lt[k].row_bytes * (uint64_t)lt[k].ne[1];
        }
    }
    return true;
}

void hs_model_free(hs_model *m) {
    free(m->layers);
    m->layers = NULL;
}

// One matmul weight: interleaved where the gemm_rows4 kernels read it faster (see hs_tensor.rows4),
// else marked finite where its type's gemv_finite can use that (interleaved rows never reach a
// gemv, and F16's interleave has already looked at every value: no second pass over them).
static void prepare_weight(hs_tensor *t) {
    const hs_quant_traits *q = hs_quant_traits_get(t->type);
    if (!t->data || !q) return;
    if (!t->rows4 && q->gemm_rows4 && t->ne[1] % 4 == 0) {
        void *data = (void *)(uintptr_t)t->data; // the loader's arena, which it allocated writable
        t->rows4 = hs_interleave_rows4(data, t->ne[1], t->row_bytes, t->type);
    }
    if (!t->rows4 && q->gemv_finite && q->all_finite) t->finite = q->all_finite(t->data, (size_t)t->ne[1] * t->row_bytes);
}

void hs_model_prepare_weights(hs_model *m) {
    prepare_weight(&m->output);
    // the same rows: the embedding lookup reads them back out of their groups
    if (m->tied_output) m->tok_embd.rows4 = m->output.rows4;
    for (int il = 0; il < m->n_layer; il++) {
        hs_tensor *weights[HS_LAYER_MATMULS];
        hs_layer_matmuls(&m->layers[il], weights);
        for (int k = 0; k < HS_LAYER_MATMULS; k++) prepare_weight(weights[k]);
    }
}
