// One readable pass per batch of T tokens (shapes in comments; E = n_embd, Q = n_head*head_dim,
// KV = n_head_kv*head_dim, F = n_ff):
//   x[T][E] = embedding rows
//   per layer: xn = rmsnorm(x) * attn_norm
//              q[T][Q], k[T][KV], v[T][KV] = xn · Wq, Wk, Wv (+ biases for qwen2)
//              per-head RMS norm of q, k (qwen3); rope on q, k; k, v -> cache at their positions
//              att[T][Q] = causal softmax(q·kᵀ/sqrt(hd)) · v  (grouped heads share a KV head)
//              x += att · Wo
//              xn = rmsnorm(x) * ffn_norm;  x += (silu(xn·Wgate) * (xn·Wup)) · Wdown
//   logits[V] = rmsnorm(x[T-1]) * output_norm · Wout
#include "forward.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "quant.h"
#include "vec.h"

static size_t kv_elem_size(bool kv_f16) { return kv_f16 ? sizeof(hs_f16) : sizeof(float); }

uint64_t hs_context_kv_bytes(const hs_model *m, int n_ctx, bool kv_f16) {
    return 2 * (uint64_t)m->n_layer * (uint64_t)n_ctx * (uint64_t)m->n_head_kv * (uint64_t)m->head_dim * kv_elem_size(kv_f16);
}

static size_t widest(const hs_model *m) {
    size_t w = (size_t)m->n_embd;
    size_t q = (size_t)m->n_head * m->head_dim;
    if (q > w) w = q;
    if ((size_t)m->n_ff > w) w = (size_t)m->n_ff;
    return w;
}

// The matmul's prepared activations for a batch (see hs_matmul_ctx.prep): the most any weight needs.
static uint64_t weight_prep_bytes(const hs_tensor *w, int n_batch) {
    const hs_quant_traits *q = hs_quant_traits_get(w->type);
    if (w->ne[0] <= 0 || n_batch < 2 || !q->prep_bytes) return 0;
    return q->prep_bytes((int)w->ne[0], n_batch);
}

// The most per_weight gives for any matmul weight of the model (the output included).
static uint64_t most_over_weights(const hs_model *m, int n_batch, uint64_t (*per_weight)(const hs_tensor *, int)) {
    uint64_t most = per_weight(&m->output, n_batch);
    for (int il = 0; il < m->n_layer; il++) {
        hs_tensor *ws[HS_LAYER_MATMULS];
        hs_layer_matmuls(&m->layers[il], ws);
        for (int i = 0; i < HS_LAYER_MATMULS; i++) {
            const uint64_t bytes = per_weight(ws[i], n_batch);
            if (bytes > most) most = bytes;
        }
    }
    return most;
}

static uint64_t prep_bytes(const hs_model *m, int n_batch) { return most_over_weights(m, n_batch, weight_prep_bytes); }

// A layer's matmul calls as layer_forward makes them, the weights of a call reading the same
// activations: q, k and v together; wo; gate and up together; down.
enum { CALL_QKV, CALL_WO, CALL_GATE_UP, CALL_DOWN, LAYER_CALLS };
typedef struct {
    const hs_tensor *ws[3];
    int n;
} matmul_call;

static void layer_calls(const hs_layer *L, matmul_call calls[LAYER_CALLS]) {
    calls[CALL_QKV] = (matmul_call){{&L->wq, &L->wk, &L->wv}, 3};
    calls[CALL_WO] = (matmul_call){{&L->wo}, 1};
    calls[CALL_GATE_UP] = (matmul_call){{&L->w_gate, &L->w_up}, 2};
    calls[CALL_DOWN] = (matmul_call){{&L->w_down}, 1};
}

// The most any matmul call's gemms need in a thread's scratch (hs_matmul_scratch_bytes: F16's
// converted activations where the matmul prepares none, the interleaved gemms' activation records
// of long rows), for a full batch or one token: each layer's calls (layer_calls) and the output's.
// Each thread may hold that much, from call to call.
static void most_call_scratch(const hs_tensor *const *ws, int n, int T, size_t prep_size, uint64_t *most) {
    const int K = (int)ws[0]->ne[0]; // set from the header, before any data
    if (K <= 0) return;
    const uint64_t bytes = hs_matmul_scratch_bytes(ws, n, T, K, prep_size);
    if (bytes > *most) *most = bytes;
}

static uint64_t gemm_scratch_bytes(const hs_model *m, int n_batch, size_t prep_size) {
    uint64_t most = 0;
    const int batches[2] = {1, n_batch};
    for (int b = 0; b < 2; b++) {
        const int T = batches[b];
        for (int il = 0; il < m->n_layer; il++) {
            matmul_call calls[LAYER_CALLS];
            layer_calls(&m->layers[il], calls);
            for (int i = 0; i < LAYER_CALLS; i++) most_call_scratch(calls[i].ws, calls[i].n, T, prep_size, &most);
        }
        const hs_tensor *output = &m->output;
        most_call_scratch(&output, 1, T, prep_size, &most);
    }
    return most;
}

// Per thread: for each of the HS_ROWS_QUERIES queries of an item, its scores (n_ctx floats) and
// their F16 probabilities (n_ctx halves, rounded up to whole floats).
size_t hs_attention_scratch_floats(int n_ctx) { return HS_ROWS_QUERIES * ((size_t)n_ctx + ((size_t)n_ctx + 1) / 2); }

uint64_t hs_context_scratch_bytes(const hs_model *m, int n_ctx, int n_batch, int n_threads) {
    uint64_t B = (uint64_t)n_batch, E = (uint64_t)m->n_embd, Q = (uint64_t)m->n_head * m->head_dim;
    uint64_t KV = (uint64_t)m->n_head_kv * m->head_dim, F = (uint64_t)m->n_ff;
    uint64_t floats = B * (E + E + Q + KV + KV + Q + F + F + (uint64_t)m->rope_dim) + (uint64_t)n_threads * hs_attention_scratch_floats(n_ctx) + m->n_vocab;
    const uint64_t prep = prep_bytes(m, n_batch);
    return floats * sizeof(float) + (uint64_t)hs_matmul_qbuf_size(n_batch, (int)widest(m)) +
           (uint64_t)n_threads * gemm_scratch_bytes(m, n_batch, (size_t)prep) + prep + m->tok_embd.row_bytes;
}

bool hs_context_init(hs_context *c, const hs_model *m, hs_threadpool *pool, int n_ctx, int n_batch, bool kv_f16,
                     char *err, size_t err_size) {
    memset(c, 0, sizeof *c);
    c->m = m;
    c->pool = pool;
    c->n_ctx = n_ctx;
    c->n_batch = n_batch;
    c->kv_f16 = kv_f16;
    c->kv_dim = m->n_head_kv * m->head_dim;
    const uint64_t kv_total = hs_context_kv_bytes(m, n_ctx, kv_f16);
    const uint64_t scratch_total = hs_context_scratch_bytes(m, n_ctx, n_batch, hs_threadpool_size(pool));
    // Refuse before any allocation when a size cannot even be expressed in this address space
    // (32-bit WebAssembly): the buffers and their offset arithmetic assume it fits.
    if (kv_total + scratch_total > (uint64_t)SIZE_MAX / 2) {
        snprintf(err, err_size, "out of memory: the KV cache (%.1f MiB for %d positions) and scratch (%.1f MiB) "
                 "do not fit this %d-bit address space", kv_total / 1048576.0, n_ctx, scratch_total / 1048576.0,
                 (int)(sizeof(size_t) * 8));
        return false;
    }
    size_t kv_half = (size_t)(kv_total / 2);
    // Not zeroed: attention reads only positions already written. Zeroing touched every page of
    // a cache sized for the whole context (36 MiB at 1024 positions of the 110M model) at load,
    // time and resident memory spent on positions a short chat never reaches.
    c->k_cache = malloc(kv_half);
    c->v_cache = malloc(kv_half);
    size_t B = (size_t)n_batch, E = (size_t)m->n_embd, Q = (size_t)m->n_head * m->head_dim;
    size_t KV = (size_t)c->kv_dim, F = (size_t)m->n_ff;
    int n_threads = hs_threadpool_size(pool);
    c->x = malloc(B * E * sizeof(float));
    c->xn = malloc(B * E * sizeof(float));
    c->q = malloc(B * Q * sizeof(float));
    c->k = malloc(B * KV * sizeof(float));
    c->v = malloc(B * KV * sizeof(float));
    c->att = malloc(B * Q * sizeof(float));
    c->gate = malloc(B * F * sizeof(float));
    c->up = malloc(B * F * sizeof(float));
    c->rope = malloc(B * (size_t)m->rope_dim * sizeof(float));
    c->scores = malloc((size_t)n_threads * hs_attention_scratch_floats(n_ctx) * sizeof(float));
    c->logits = calloc((size_t)m->n_vocab, sizeof(float));
    c->embd_row = malloc(m->tok_embd.row_bytes);
    c->mm.pool = pool;
    c->mm.qbuf_size = hs_matmul_qbuf_size(n_batch, (int)widest(m));
    c->mm.qbuf = malloc(c->mm.qbuf_size);
    c->mm.prep_size = (size_t)prep_bytes(m, n_batch);
    c->mm.prep = c->mm.prep_size ? aligned_alloc(16, (c->mm.prep_size + 15) & ~(size_t)15) : NULL;
    c->scratch_bytes = scratch_total;
    if (!c->k_cache || !c->v_cache || !c->x || !c->xn || !c->q || !c->k || !c->v || !c->att || !c->gate || !c->up ||
        !c->rope || !c->scores || !c->logits || !c->embd_row || !c->mm.qbuf || (c->mm.prep_size && !c->mm.prep)) {
        snprintf(err, err_size, "out of memory for the KV cache (%.1f MiB for %d positions) and scratch (%.1f MiB)",
                 2.0 * kv_half / 1048576.0, n_ctx, c->scratch_bytes / 1048576.0);
        hs_context_free(c);
        return false;
    }
    return true;
}

void hs_context_free(hs_context *c) {
    void *bufs[] = {c->k_cache, c->v_cache, c->x, c->xn, c->q, c->k, c->v, c->att, c->gate, c->up,
                    c->rope, c->scores, c->logits, c->embd_row, c->mm.qbuf, c->mm.prep};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    memset(c, 0, sizeof *c);
}

// ---- KV cache rows ----
//
// Each KV head's positions are contiguous ([n_layer][n_head_kv][n_ctx][head_dim]): a head's
// attention then streams one block that the hardware prefetchers follow. With the positions
// outermost ([n_ctx][kv_dim]) it read 2 x 64 bytes every 1.5 KiB, whose cache misses (the weights
// stream through L3 between tokens) made attention ~10 % of a Q6_K decode step at 64 positions.

// Position pos of KV head kvh in layer's cache.
static void *kv_head_row(const hs_context *c, void *cache, int layer, int kvh, int pos) {
    const hs_model *m = c->m;
    const size_t row = ((size_t)layer * m->n_head_kv + kvh) * c->n_ctx + pos;
    return (uint8_t *)cache + row * m->head_dim * kv_elem_size(c->kv_f16);
}

// One position's K (or V) for every KV head, src: [n_head_kv * head_dim].
static void kv_store(hs_context *c, void *cache, int layer, int pos, const float *src) {
    const int hd = c->m->head_dim;
    for (int h = 0; h < c->m->n_head_kv; h++) {
        void *dst = kv_head_row(c, cache, layer, h, pos);
        const float *head = src + (size_t)h * hd;
        if (c->kv_f16) {
            // F16's row quantizer (hs_f32_to_f16 per element) and inf / NaN check, in SIMD where built
            const hs_quant_traits *f16 = hs_quant_traits_get(HS_TYPE_F16);
            f16->quantize_activation(head, dst, hd);
            if (!c->kv_nonfinite && !f16->all_finite(dst, (size_t)hd * sizeof(hs_f16))) c->kv_nonfinite = true;
        } else {
            memcpy(dst, head, (size_t)hd * sizeof(float));
        }
    }
}

// ---- attention, split over (token, head) pairs ----

typedef struct {
    hs_context *c;
    int layer, T;
} attention_job;

static void attention_task(void *arg, int ith, int nth) {
    attention_job *job = arg;
    hs_context *c = job->c;
    const hs_model *m = c->m;
    const int hd = m->head_dim, group = m->n_head / m->n_head_kv;
    const int Q = m->n_head * hd;
    const float scale = 1.0f / sqrtf((float)hd);
    const size_t per_query = hs_attention_scratch_floats(c->n_ctx) / HS_ROWS_QUERIES;
    float *scratch = c->scores + (size_t)ith * hs_attention_scratch_floats(c->n_ctx);
    float acc[HS_ROWS_QUERIES][512];
    hs_f16 qh[HS_ROWS_QUERIES][512]; // head_dim <= 512 is checked at load
    float *scores[HS_ROWS_QUERIES], *outs[HS_ROWS_QUERIES];
    hs_f16 *probs[HS_ROWS_QUERIES];
    const hs_f16 *qs[HS_ROWS_QUERIES], *ps[HS_ROWS_QUERIES];
    for (int i = 0; i < HS_ROWS_QUERIES; i++) {
        scores[i] = scratch + (size_t)i * per_query;
        probs[i] = (hs_f16 *)(scores[i] + c->n_ctx);
        outs[i] = acc[i], qs[i] = qh[i], ps[i] = probs[i];
    }
    const hs_quant_traits *f16 = hs_quant_traits_get(HS_TYPE_F16);
    const size_t kv_elem = kv_elem_size(c->kv_f16);
    // An item is up to HS_ROWS_QUERIES queries that read the same cache rows (an F16 cache's are
    // then converted once for all of them): one head of consecutive tokens in a batch, or in
    // decode, heads of a group sharing a KV head (grouped-query attention). Items are dealt out in
    // turn rather than in two halves: a causal token's work grows with its position, so in a
    // 64-token prefill from position 0 the second half of the items had three times the first
    // half's keys.
    const bool by_heads = job->T == 1 && group > 1;
    const int blocks = by_heads ? (group + HS_ROWS_QUERIES - 1) / HS_ROWS_QUERIES : (job->T + HS_ROWS_QUERIES - 1) / HS_ROWS_QUERIES;
    const int64_t items = (int64_t)blocks * (by_heads ? m->n_head_kv : m->n_head);
    for (int64_t item = ith; item < items; item += nth) {
        int t[HS_ROWS_QUERIES], head[HS_ROWS_QUERIES], n_keys[HS_ROWS_QUERIES], nq, kvh;
        if (by_heads) {
            const int h0 = (int)(item % blocks) * HS_ROWS_QUERIES;
            kvh = (int)(item / blocks);
            nq = group - h0 < HS_ROWS_QUERIES ? group - h0 : HS_ROWS_QUERIES;
            for (int i = 0; i < nq; i++) t[i] = 0, head[i] = kvh * group + h0 + i;
        } else {
            const int t0 = (int)(item / m->n_head) * HS_ROWS_QUERIES, h = (int)(item % m->n_head);
            kvh = h / group;
            nq = job->T - t0 < HS_ROWS_QUERIES ? job->T - t0 : HS_ROWS_QUERIES;
            for (int i = 0; i < nq; i++) t[i] = t0 + i, head[i] = h;
        }
        const float *q[HS_ROWS_QUERIES];
        for (int i = 0; i < nq; i++) {
            n_keys[i] = c->n_past + t[i] + 1; // causal: earlier positions and itself
            q[i] = c->q + (size_t)t[i] * Q + (size_t)head[i] * hd;
        }
        const uint8_t *k0 = kv_head_row(c, c->k_cache, job->layer, kvh, 0);
        const uint8_t *v0 = kv_head_row(c, c->v_cache, job->layer, kvh, 0);
        const size_t kv_stride = (size_t)hd * kv_elem; // bytes from one position to the next
        if (c->kv_f16) {
            // llama.cpp multiplies an F16 cache with the query converted to F16, and the F16
            // values with the probabilities converted to F16: round the same way.
            const bool cache_finite = !c->kv_nonfinite;
            for (int i = 0; i < nq; i++) f16->quantize_activation(q[i], qh[i], hd);
            hs_dot_rows_f16_multi(scores, qs, nq, (const hs_f16 *)k0, (size_t)hd, n_keys, hd, cache_finite);
            for (int i = 0; i < nq; i++) {
                hs_softmax(scores[i], n_keys[i], scale);
                f16->quantize_activation(scores[i], probs[i], n_keys[i]);
            }
            hs_mix_rows_f16_multi(outs, ps, nq, (const hs_f16 *)v0, (size_t)hd, n_keys, hd, cache_finite);
        } else {
            for (int i = 0; i < nq; i++) {
                for (int j = 0; j < n_keys[i]; j++) scores[i][j] = hs_dot_f32(q[i], (const float *)(k0 + (size_t)j * kv_stride), hd);
                hs_softmax(scores[i], n_keys[i], scale);
                memset(acc[i], 0, (size_t)hd * sizeof(float));
                for (int j = 0; j < n_keys[i]; j++) hs_axpy_f32(acc[i], scores[i][j], (const float *)(v0 + (size_t)j * kv_stride), hd);
            }
        }
        for (int i = 0; i < nq; i++) memcpy(c->att + (size_t)t[i] * Q + (size_t)head[i] * hd, acc[i], (size_t)hd * sizeof(float));
    }
}

// ---- SwiGLU, split over tokens ----

// expf per element makes SwiGLU the largest step of a batch outside the matmuls (64 tokens of a
// 2048-wide FFN: ~1.3 ms per layer in V8), so a batch shares it out; one token is not worth a wake-up.
typedef struct {
    hs_context *c;
    int T;
} swiglu_job;

static void swiglu_task(void *arg, int ith, int nth) {
    swiglu_job *job = arg;
    const size_t F = (size_t)job->c->m->n_ff;
    int64_t begin, end;
    hs_split_range(job->T, ith, nth, &begin, &end);
    for (int64_t t = begin; t < end; t++) hs_swiglu(job->c->gate + t * F, job->c->gate + t * F, job->c->up + t * F, (int)F);
}

// ---- the layer ----

static void add_bias(float *y, const hs_tensor *b, int T, int n) {
    if (!b->data) return;
    for (int t = 0; t < T; t++) hs_add(y + (size_t)t * n, (const float *)b->data, n);
}

static void head_norm(float *y, const hs_tensor *w, int T, int n_heads, int hd, float eps) {
    if (!w->data) return;
    for (int i = 0; i < T * n_heads; i++) hs_rmsnorm(y + (size_t)i * hd, y + (size_t)i * hd, (const float *)w->data, hd, eps);
}

static void rope_heads(const hs_model *m, float *y, const float *rope, int T, int n_heads) {
    const int hd = m->head_dim;
    for (int t = 0; t < T; t++) {
        for (int h = 0; h < n_heads; h++) {
            float *head = y + ((size_t)t * n_heads + h) * hd;
            if (m->rope_type == HS_ROPE_NORM) hs_rope_norm(head, m->rope_dim, rope + (size_t)t * m->rope_dim);
            else hs_rope_neox(head, m->rope_dim, rope + (size_t)t * m->rope_dim);
        }
    }
}

static void layer_forward(hs_context *c, int il, int T) {
    const hs_model *m = c->m;
    const hs_layer *L = &m->layers[il];
    const int E = m->n_embd, Q = m->n_head * m->head_dim, KV = c->kv_dim, F = m->n_ff;

    for (int t = 0; t < T; t++) hs_rmsnorm(c->xn + (size_t)t * E, c->x + (size_t)t * E, L->attn_norm.data, E, m->norm_eps);
    matmul_call calls[LAYER_CALLS];
    layer_calls(L, calls);
    float *qkv_out[3] = {c->q, c->k, c->v};
    hs_matmul_multi(&c->mm, c->xn, T, E, calls[CALL_QKV].ws, qkv_out, calls[CALL_QKV].n);
    add_bias(c->q, &L->bq, T, Q);
    add_bias(c->k, &L->bk, T, KV);
    add_bias(c->v, &L->bv, T, KV);
    head_norm(c->q, &L->q_norm, T, m->n_head, m->head_dim, m->norm_eps);
    head_norm(c->k, &L->k_norm, T, m->n_head_kv, m->head_dim, m->norm_eps);
    rope_heads(m, c->q, c->rope, T, m->n_head);
    rope_heads(m, c->k, c->rope, T, m->n_head_kv);
    for (int t = 0; t < T; t++) {
        kv_store(c, c->k_cache, il, c->n_past + t, c->k + (size_t)t * KV);
        kv_store(c, c->v_cache, il, c->n_past + t, c->v + (size_t)t * KV);
    }
    attention_job job = {c, il, T};
    hs_threadpool_run(c->pool, attention_task, &job);
    hs_matmul(&c->mm, c->att, T, Q, calls[CALL_WO].ws[0], c->xn);
    for (int t = 0; t < T; t++) hs_add(c->x + (size_t)t * E, c->xn + (size_t)t * E, E);

    for (int t = 0; t < T; t++) hs_rmsnorm(c->xn + (size_t)t * E, c->x + (size_t)t * E, L->ffn_norm.data, E, m->norm_eps);
    float *gate_up_out[2] = {c->gate, c->up};
    hs_matmul_multi(&c->mm, c->xn, T, E, calls[CALL_GATE_UP].ws, gate_up_out, calls[CALL_GATE_UP].n);
    swiglu_job sj = {c, T};
    if (T == 1) swiglu_task(&sj, 0, 1);
    else hs_threadpool_run(c->pool, swiglu_task, &sj);
    hs_matmul(&c->mm, c->gate, T, F, calls[CALL_DOWN].ws[0], c->xn);
    for (int t = 0; t < T; t++) hs_add(c->x + (size_t)t * E, c->xn + (size_t)t * E, E);
}

bool hs_forward(hs_context *c, const int32_t *tokens, int T, char *err, size_t err_size) {
    const hs_model *m = c->m;
    if (T <= 0 || T > c->n_batch) {
        snprintf(err, err_size, "batch of %d tokens: must be 1 to %d", T, c->n_batch);
        return false;
    }
    if (c->n_past + T > c->n_ctx) {
        snprintf(err, err_size, "context is full: %d of %d positions used, %d more requested", c->n_past, c->n_ctx, T);
        return false;
    }
    for (int t = 0; t < T; t++) {
        if (tokens[t] < 0 || tokens[t] >= m->n_vocab) {
            snprintf(err, err_size, "token id %d at batch index %d is outside the vocabulary (0..%d)", tokens[t], t,
                     m->n_vocab - 1);
            return false;
        }
    }
    const int E = m->n_embd;
    const hs_tensor *te = &m->tok_embd;
    const hs_quant_traits *emb = hs_quant_traits_get(te->type);
    for (int t = 0; t < T; t++) {
        const uint8_t *row = (const uint8_t *)te->data + (size_t)tokens[t] * te->row_bytes;
        if (te->rows4) { // the tied output's interleaved rows: this one read back out of its group
            hs_rows4_row((const uint8_t *)te->data + (size_t)(tokens[t] & ~3) * te->row_bytes, te->row_bytes,
                         tokens[t] & 3, te->type, c->embd_row);
            row = c->embd_row;
        }
        emb->dequantize_row(row, c->x + (size_t)t * E, E);
        hs_rope_cache(c->rope + (size_t)t * m->rope_dim, m->rope_dim, (float)(c->n_past + t), m->rope_base,
                      m->rope_freq_scale, m->rope_freq_factors);
    }
    for (int il = 0; il < m->n_layer; il++) layer_forward(c, il, T);

    const float *last = c->x + (size_t)(T - 1) * E;
    hs_rmsnorm(c->xn, last, m->output_norm.data, E, m->norm_eps);
    hs_matmul(&c->mm, c->xn, 1, E, &m->output, c->logits);
    c->n_past += T;
    return true;
}
