#include "matmul.h"

#include <assert.h>
#include <string.h>

#include "quant.h"

#define MAX_WEIGHTS 4
// Weight rows per tile: small enough that a tile of a 4096-wide Q4_0 matrix (~36 KiB) stays in
// L1/L2 while it is multiplied with every token of the batch.
#define TILE_ROWS 16

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
} matmul_job;

static void quantize_task(void *arg, int ith, int nth) {
    matmul_job *job = arg;
    for (int a = 0; a < job->n_act; a++) {
        if (job->act_type[a] == HS_TYPE_F32) continue;
        const hs_quant_traits *q = hs_quant_traits_get(job->act_type[a]);
        int64_t begin, end;
        hs_split_range(job->T, ith, nth, &begin, &end);
        for (int64_t t = begin; t < end; t++) {
            q->quantize_activation(job->x + t * job->K, (uint8_t *)job->act[a] + t * job->act_row[a], job->K);
        }
    }
}

static void dot_task(void *arg, int ith, int nth) {
    matmul_job *job = arg;
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
        if (lo >= hi) continue;
        const hs_quant_traits *q = job->traits[i];
        const hs_vec_dot_fn vec_dot = q->vec_dot;
        const int a = job->weight_act[i];
        const uint8_t *act = job->act[a];
        const size_t act_row = job->act_row[a];
        float *y = job->ys[i];
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
}

void hs_matmul_multi(hs_matmul_ctx *ctx, const float *x, int T, int K, const hs_tensor *const *ws, float *const *ys, int n) {
    assert(n >= 1 && n <= MAX_WEIGHTS);
    matmul_job job = {.x = x, .T = T, .K = K, .n = n, .ws = ws, .ys = ys};
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
