#include "matmul.h"

#include <assert.h>
#include <stdatomic.h>
#include <string.h>

#include "quant.h"

#define MAX_WEIGHTS 4
// Weight rows per tile: small enough that a tile of a 4096-wide Q4_0 matrix (~36 KiB) stays in
// L1/L2 while it is multiplied with every token of the batch.
#define TILE_ROWS 16
// Rows per chunk when the rows are handed out on demand (prepared activations, several threads):
// a multiple of 4 (interleaved groups) and of the F16 gemm's 16-row tiles.
#define CHUNK_ROWS 64

size_t hs_matmul_qbuf_size(int T, int K) {
    // Weights of one call may need up to MAX_WEIGHTS different encodings of X (F16, BF16, Q8_0,
    // Q8_1, Q8_K); each takes at most 2 bytes per value (F32 activations are used in place).
    return (size_t)T * (size_t)K * 2 * MAX_WEIGHTS;
}

typedef struct {
    const float *x;
    int T, K, n;
    const hs_tensor *const *ws;
    float *const *ys;
    const hs_quant_traits *traits[MAX_WEIGHTS];
    // One quantized copy of X per distinct vec_dot type (weights of mixed types share X).
    hs_type act_type[MAX_WEIGHTS];
    const uint8_t *act[MAX_WEIGHTS];
    size_t act_row[MAX_WEIGHTS];
    int n_act;
    int weight_act[MAX_WEIGHTS]; // which activation copy each weight uses
    int64_t total_rows;
    // At most one activation copy (prep_act, else -1) is also prepared in its gemm's own form
    // (hs_quant_traits.prep_token) into prep; weights that read it use their gemm_prep.
    int prep_act;
    const hs_quant_traits *prep_traits;
    void *prep;
    hs_gemm_prep_fn gemm_prep[MAX_WEIGHTS]; // NULL: the weight does not read prep
    // Rows handed out in chunks of CHUNK_ROWS on demand (see hs_matmul_multi): chunk i of the
    // job's chunks goes to the thread that takes next_chunk == i.
    bool on_demand;
    int64_t chunks;
    atomic_llong next_chunk;
} matmul_job;

static void quantize_task(void *arg, int ith, int nth) {
    matmul_job *job = arg;
    for (int a = 0; a < job->n_act; a++) {
        if (job->act_type[a] == HS_TYPE_F32) continue;
        const hs_quant_traits *q = hs_quant_traits_get(job->act_type[a]);
        int64_t begin, end;
        hs_split_range(job->T, ith, nth, &begin, &end);
        for (int64_t t = begin; t < end; t++) {
            uint8_t *row = (uint8_t *)job->act[a] + t * job->act_row[a];
            q->quantize_activation(job->x + t * job->K, row, job->K);
            if (a == job->prep_act) job->prep_traits->prep_token(job->K, job->T, (int)t, row, job->prep);
        }
    }
}

// Rows [lo, hi) of weight i against every token.
static void weight_rows(const matmul_job *job, int i, int64_t lo, int64_t hi) {
    const hs_tensor *w = job->ws[i];
    const int64_t rows = w->ne[1];
    const hs_quant_traits *q = job->traits[i];
    const int a = job->weight_act[i];
    const uint8_t *act = job->act[a];
    const size_t act_row = job->act_row[a];
    float *y = job->ys[i];
    if (job->gemm_prep[i]) {
        job->gemm_prep[i](job->K, (int)(hi - lo), job->T, (const uint8_t *)w->data + (size_t)lo * w->row_bytes,
                          w->row_bytes, act, act_row, job->prep, y + lo, (size_t)rows);
        return;
    }
    const hs_vec_dot_fn vec_dot = q->vec_dot;
    // Interleaved weights are read only by their gemm, one token included; otherwise the gemm
    // serves prefill, and decode goes to the type's gemv where it has one, else vec_dot.
    const hs_gemm_fn gemm = w->rows4 ? q->gemm_rows4 : job->T > 1 ? q->gemm : w->finite ? q->gemv_finite : q->gemv;
    // One token has no tokens to share a tile with: its kernel gets the thread's whole range,
    // along which it streams (and F16 reads ahead, see quant_simd128.h); so does a gemm that tiles itself.
    const int64_t tile = gemm && (job->T == 1 || q->gemm_whole_range) ? hi - lo : TILE_ROWS;
    for (int64_t r0 = lo; r0 < hi; r0 += tile) {
        const int64_t r1 = r0 + tile < hi ? r0 + tile : hi;
        if (gemm) {
            gemm(job->K, (int)(r1 - r0), job->T, (const uint8_t *)w->data + (size_t)r0 * w->row_bytes, w->row_bytes,
                 act, act_row, y + r0, (size_t)rows);
            continue;
        }
        for (int t = 0; t < job->T; t++) {
            const uint8_t *xt = act + (size_t)t * act_row;
            float *yt = y + (size_t)t * rows;
            for (int64_t r = r0; r < r1; r++) {
                vec_dot(job->K, &yt[r], (const uint8_t *)w->data + (size_t)r * w->row_bytes, xt);
            }
        }
    }
}

static int64_t weight_chunks(const hs_tensor *w) { return (w->ne[1] + CHUNK_ROWS - 1) / CHUNK_ROWS; }

static void dot_task(void *arg, int ith, int nth) {
    matmul_job *job = arg;
    if (job->on_demand) {
        for (;;) {
            int64_t c = atomic_fetch_add_explicit(&job->next_chunk, 1, memory_order_relaxed);
            if (c >= job->chunks) return;
            int i = 0;
            while (c >= weight_chunks(job->ws[i])) c -= weight_chunks(job->ws[i++]);
            const int64_t rows = job->ws[i]->ne[1], lo = c * CHUNK_ROWS;
            weight_rows(job, i, lo, lo + CHUNK_ROWS < rows ? lo + CHUNK_ROWS : rows);
        }
    }
    // The rows of all weights form one range [0, total_rows), split evenly across threads.
    int64_t begin, end;
    hs_split_range(job->total_rows, ith, nth, &begin, &end);
    int64_t base = 0;
    for (int i = 0; i < job->n && begin < end; i++) {
        const hs_tensor *w = job->ws[i];
        const int64_t rows = w->ne[1];
        int64_t lo = begin > base ? begin - base : 0, hi = end - base < rows ? end - base : rows;
        base += rows;
        if (w->rows4) {
            // Interleaved rows go four at a time: each boundary between threads is rounded down
            // to a group, the same way by the thread on either side of it (rows % 4 == 0).
            lo &= ~(int64_t)3;
            hi &= ~(int64_t)3;
        }
        if (lo < hi) weight_rows(job, i, lo, hi);
    }
}

// Which weights of a call of T tokens read activations prepared in prep_size bytes
// (prepared[i]; returns their traits, NULL when none): the first weight whose gemm can read them
// prepared sets the kind, and the others of its activation type and prep_token join it; the rest
// run their own gemm, which may need its scratch (hs_matmul_scratch_bytes).
static const hs_quant_traits *choose_prepared(const hs_tensor *const *ws, int n, int T, int K, size_t prep_size,
                                              bool prepared[MAX_WEIGHTS]) {
    const hs_quant_traits *chosen = NULL;
    for (int i = 0; i < n; i++) {
        prepared[i] = false;
        const hs_quant_traits *q = hs_quant_traits_get(ws[i]->type);
        const hs_gemm_prep_fn gemm_prep = ws[i]->rows4 ? q->gemm_rows4_prep : q->gemm_prep;
        if (T < 2 || !gemm_prep || !q->prep_token || !q->prep_bytes) continue;
        const uint64_t bytes = q->prep_bytes(K, T);
        if (bytes == 0 || bytes > prep_size) continue;
        if (!chosen) chosen = q;
        prepared[i] = q->vec_dot_type == chosen->vec_dot_type && q->prep_token == chosen->prep_token;
    }
    return chosen;
}

uint64_t hs_matmul_scratch_bytes(const hs_tensor *const *ws, int n, int T, int K, size_t prep_size) {
    assert(n >= 1 && n <= MAX_WEIGHTS);
    bool prepared[MAX_WEIGHTS];
    choose_prepared(ws, n, T, K, prep_size, prepared);
    uint64_t most = 0;
    for (int i = 0; i < n; i++) {
        const hs_quant_traits *q = hs_quant_traits_get(ws[i]->type);
        const uint64_t bytes = !prepared[i] && q->gemm_scratch_bytes ? q->gemm_scratch_bytes(K, T) : 0;
        if (bytes > most) most = bytes;
    }
    return most;
}

void hs_matmul_multi(hs_matmul_ctx *ctx, const float *x, int T, int K, const hs_tensor *const *ws, float *const *ys, int n) {
    assert(n >= 1 && n <= MAX_WEIGHTS);
    matmul_job job = {.x = x, .T = T, .K = K, .n = n, .ws = ws, .ys = ys, .prep_act = -1};
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        assert(ws[i]->ne[0] == K);
        job.traits[i] = hs_quant_traits_get(ws[i]->type);
        const hs_type vt = job.traits[i]->vec_dot_type;
        int a = 0;
        while (a < job.n_act && job.act_type[a] != vt) a++;
        if (a == job.n_act) {
            job.act_type[a] = vt;
            if (vt == HS_TYPE_F32) {
                job.act[a] = (const uint8_t *)x;
                job.act_row[a] = (size_t)K * sizeof(float);
            } else {
                job.act_row[a] = hs_row_size(vt, (uint64_t)K);
                job.act[a] = (const uint8_t *)ctx->qbuf + used;
                used += job.act_row[a] * (size_t)T;
                assert(used <= ctx->qbuf_size);
            }
            job.n_act++;
        }
        job.weight_act[i] = a;
        job.total_rows += ws[i]->ne[1];
    }
    // Prefill: the weights choose_prepared picks read their activations prepared, along with
    // the quantization (once, the tokens shared out over the threads). When every weight reads
    // prepared activations, its rows no longer cost a conversion per gemm call, and they are
    // handed out on demand in chunks of CHUNK_ROWS: a thread that runs slower (a VM's vCPUs do,
    // for seconds at a time) takes fewer chunks instead of keeping the other waiting at the end
    // (10-13 % of a 2-thread prefill was such idle time).
    bool prepared[MAX_WEIGHTS];
    const hs_quant_traits *prep_traits = ctx->prep ? choose_prepared(ws, n, T, K, ctx->prep_size, prepared) : NULL;
    for (int i = 0; prep_traits && i < n; i++) {
        if (!prepared[i]) continue;
        if (job.prep_act < 0) {
            job.prep_act = job.weight_act[i];
            job.prep_traits = prep_traits;
            job.prep = ctx->prep;
        }
        job.gemm_prep[i] = ws[i]->rows4 ? job.traits[i]->gemm_rows4_prep : job.traits[i]->gemm_prep;
    }
    // Likewise, with no preparation needed, for weights whose gemm prepares nothing per call.
    job.on_demand = T > 1 && hs_threadpool_size(ctx->pool) > 1;
    for (int i = 0; i < n; i++) {
        const hs_quant_traits *q = job.traits[i];
        job.on_demand &= job.gemm_prep[i] != NULL || (q->gemm_calls_cheap && (ws[i]->rows4 ? q->gemm_rows4 : q->gemm));
        job.chunks += weight_chunks(ws[i]);
    }
    atomic_init(&job.next_chunk, 0);
    bool needs_quantize = false;
    for (int a = 0; a < job.n_act; a++) needs_quantize |= job.act_type[a] != HS_TYPE_F32;
    if (needs_quantize) {
        if (T == 1) quantize_task(&job, 0, 1); // one row: not worth waking the pool
        else hs_threadpool_run(ctx->pool, quantize_task, &job);
    }
    hs_threadpool_run(ctx->pool, dot_task, &job);
}

void hs_matmul(hs_matmul_ctx *ctx, const float *x, int T, int K, const hs_tensor *w, float *y) {
    hs_matmul_multi(ctx, x, T, K, &w, &y, 1);
}
