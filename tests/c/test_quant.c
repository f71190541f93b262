// Quant kernels: f16/bf16 rounding, hand-computed Q8_0/Q8_1/Q8_K blocks (exact bytes), round trips
// and dot products for every type on random rows, and the real synthetic GGUF files: every
// quantized tensor must decode to the F32 file's weights within the type's error, and our
// quantizers must reproduce llama-quantize's bytes where we use ggml's algorithm (legacy types,
// F16, BF16) and match its quality where we do not (k-quants, IQ4_NL).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "quant.h"
#include "quant_blocks.h"
#include "harness.h"
#include "types.h"

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

// ---- f16 / bf16 ----

static void test_f16(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = hs_f16_to_f32((hs_f16)h);
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (nan) {
            if (!isnan(f) || hs_f32_to_f16(f) != ((h & 0x8000) | 0x7e00)) bad++;
        } else if (hs_f32_to_f16(f) != h) {
            bad++;
        }
    }
    CHECK(bad == 0, "%d f16 values do not round-trip", bad);

    static const struct { float f; uint16_t h; } cases[] = {
        {1.0f, 0x3c00},          {-2.0f, 0xc000},         {65504.0f, 0x7bff},
        {65519.99f, 0x7bff},     {65520.0f, 0x7c00},      {1e9f, 0x7c00},
        {0x1p-14f, 0x0400},      {0x1p-24f, 0x0001},      {0x1p-25f, 0x0000},
        {0x1.8p-25f, 0x0001},    {0x1.8p-24f, 0x0002},    {0x1.4p-24f, 0x0001},
        {1.0f + 0x1p-11f, 0x3c00}, {1.0f + 0x3p-11f, 0x3c02}, {1.0f + 0x1.2p-11f, 0x3c01},
        {-0.0f, 0x8000},         {0x1p-16f, 0x0100},      {0x1.ffcp-15f, 0x0400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(hs_f32_to_f16(cases[i].f) == cases[i].h, "f16(%a) = %04x, want %04x", cases[i].f,
              hs_f32_to_f16(cases[i].f), cases[i].h);
    }
    CHECK(hs_f32_to_f16(bits_f32(0xffc00001u)) == 0xfe00, "f16 of negative NaN");
    CHECK(hs_f32_to_f16(INFINITY) == 0x7c00 && hs_f32_to_f16(-INFINITY) == 0xfc00, "f16 of inf");

#if defined(__FLT16_MAX__)
    // the compiler's own conversion (round to nearest even) as an oracle, over every exponent
    uint64_t st = 1;
    bad = 0;
    for (int i = 0; i < 2000000; i++) {
        uint32_t u = test_rand(&st);
        float f = bits_f32(u);
        if (isnan(f)) continue;
        _Float16 h = (_Float16)f;
        uint16_t hb;
        memcpy(&hb, &h, sizeof hb);
        if (hs_f32_to_f16(f) != hb) bad++;
    }
    CHECK(bad == 0, "%d random floats convert unlike the compiler's _Float16", bad);
#endif
}

static void test_bf16(void) {
    static const struct { uint32_t f; uint16_t h; } cases[] = {
        {0x3f800000u, 0x3f80}, {0x3f808000u, 0x3f80}, {0x3f818000u, 0x3f82}, {0x3f808001u, 0x3f81},
        {0x7f7fffffu, 0x7f80}, {0x7f800000u, 0x7f80}, {0x7f800001u, 0x7fc0}, {0xff800001u, 0xffc0},
        {0x00018000u, 0x0002}, {0x80008000u, 0x8000}, {0xbf7fffffu, 0xbf80},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hs_bf16 h = hs_f32_to_bf16(bits_f32(cases[i].f));
        CHECK(h == cases[i].h, "bf16(%08x) = %04x, want %04x", cases[i].f, h, cases[i].h);
    }
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = hs_bf16_to_f32((hs_bf16)h);
        if (!isnan(f) && hs_f32_to_bf16(f) != h) bad++;
        if (f32_bits(f) != h << 16) bad++;
    }
    CHECK(bad == 0, "%d bf16 values do not round-trip", bad);
}

// ---- hand-computed activation blocks ----

static void test_q8_blocks(void) {
    float x[3 * 32] = {0};
    // block 0: amax 127 -> d = 1; halves round to even (ggml's x86 activation path, which
    // produced the reference logits, scales by 127/amax and rounds to nearest even)
    const float a[7] = {-127.0f, 2.5f, -2.5f, 0.5f, -0.5f, 1.49f, 126.5f};
    memcpy(x, a, sizeof a);
    for (int j = 7; j < 32; j++) x[j] = (float)(j - 16);
    // block 1: amax 254 -> d = 2
    const float b[5] = {254.0f, 5.0f, -5.0f, 3.0f, 1.0f};
    memcpy(x + 32, b, sizeof b);
    // block 2: zeros

    block_q8_0 want0[3];
    memset(want0, 0, sizeof want0);
    want0[0].d = 0x3c00;
    const int8_t qa[7] = {-127, 2, -2, 0, 0, 1, 126};
    memcpy(want0[0].qs, qa, sizeof qa);
    for (int j = 7; j < 32; j++) want0[0].qs[j] = (int8_t)(j - 16);
    want0[1].d = 0x4000;
    const int8_t qb[5] = {127, 2, -2, 2, 0};
    memcpy(want0[1].qs, qb, sizeof qb);

    block_q8_0 got0[3];
    memset(got0, 0xa5, sizeof got0);
    hs_quant_traits_ref(HS_TYPE_Q8_0)->quantize_activation(x, got0, 96);
    CHECK(memcmp(got0, want0, sizeof want0) == 0, "Q8_0 hand blocks differ");

    block_q8_1 want1[3], got1[3];
    memset(want1, 0, sizeof want1);
    for (int i = 0; i < 3; i++) {
        want1[i].d = want0[i].d;
        memcpy(want1[i].qs, want0[i].qs, 32);
    }
    want1[0].s = 0x54b0; // sum 75 * d 1 = 75
    want1[1].s = 0x5c08; // sum 129 * d 2 = 258
    memset(got1, 0xa5, sizeof got1);
    hs_quant_traits_ref(HS_TYPE_Q8_1)->quantize_activation(x, got1, 96);
    CHECK(memcmp(got1, want1, sizeof want1) == 0, "Q8_1 hand blocks differ");

    // Q8_K: the signed extreme maps to -127, ties round to even
    float xk[3 * 256] = {0};
    const float ka[8] = {-127.0f, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f, 127.0f};
    memcpy(xk, ka, sizeof ka);
    for (int j = 16; j < 32; j++) xk[j] = 1.0f;
    const float kb[4] = {254.0f, 5.0f, -7.0f, -254.0f};
    memcpy(xk + 256, kb, sizeof kb);

    block_q8_K wantk[3], gotk[3];
    memset(wantk, 0, sizeof wantk);
    wantk[0].d = 1.0f;
    const int8_t qka[8] = {-127, 2, 4, -2, 0, 0, 2, 127};
    memcpy(wantk[0].qs, qka, sizeof qka);
    for (int j = 16; j < 32; j++) wantk[0].qs[j] = 1;
    wantk[0].bsums[0] = 6;
    wantk[0].bsums[1] = 16;
    wantk[1].d = -2.0f;
    const int8_t qkb[4] = {-127, -2, 4, 127};
    memcpy(wantk[1].qs, qkb, sizeof qkb);
    wantk[1].bsums[0] = 2;
    memset(gotk, 0xa5, sizeof gotk);
    hs_quant_traits_ref(HS_TYPE_Q8_K)->quantize_row(xk, gotk, 768);
    CHECK(memcmp(gotk, wantk, sizeof wantk) == 0, "Q8_K hand blocks differ (d %g %g, q %d %d %d)",
          gotk[0].d, gotk[1].d, gotk[0].qs[1], gotk[0].qs[2], gotk[1].qs[3]);
}

// ---- random rows ----

typedef struct {
    hs_type type;
    // bounds on sqrt(sum err^2 / sum x^2): for the plain random rows, and for rows with outliers
    // (every 37th value 8x larger, which stretches its block's scale); about 1.2x what we measure
    double max_rel_rmse, max_rel_rmse_outliers;
} type_case;

static const type_case TYPES[] = {
    {HS_TYPE_F32, 0.0, 0.0},          {HS_TYPE_F16, 2.7e-4, 2.7e-4},    {HS_TYPE_BF16, 2e-3, 2e-3},
    {HS_TYPE_Q8_0, 6.5e-3, 1.25e-2},  {HS_TYPE_Q6_K, 2e-2, 3.3e-2},     {HS_TYPE_Q5_K, 4.2e-2, 5.8e-2},
    {HS_TYPE_Q5_1, 4.5e-2, 6.3e-2},   {HS_TYPE_Q5_0, 5e-2, 9.2e-2},     {HS_TYPE_Q4_K, 8e-2, 1.14e-1},
    {HS_TYPE_Q4_1, 9e-2, 1.24e-1},    {HS_TYPE_Q4_0, 1e-1, 1.95e-1},    {HS_TYPE_IQ4_NL, 8.8e-2, 1.47e-1},
    {HS_TYPE_Q3_K, 1.66e-1, 2.82e-1}, {HS_TYPE_Q2_K, 3.2e-1, 3.7e-1},   {HS_TYPE_Q8_1, 6.5e-3, 1.17e-2},
    {HS_TYPE_Q8_K, 7.5e-3, 2.05e-2},
};
enum { N_TYPES = sizeof TYPES / sizeof TYPES[0] };

enum { ROW = 1024, N_DIST = 5 };
static const char *DIST_NAMES[N_DIST] = {"uniform", "gaussian", "outliers", "positive", "tiny"};

static void fill_row(float *x, int dist, uint64_t *st) {
    for (int i = 0; i < ROW; i++) {
        float u = test_randf(st);
        switch (dist) {
        case 0: x[i] = u; break;
        case 1: x[i] = 0.02f * (u + test_randf(st) + test_randf(st) + test_randf(st)); break;
        case 2: x[i] = i % 37 == 5 ? 8.0f * u : u; break;
        case 3: x[i] = 0.5f * (u + 1.0f) + 0.1f; break;
        default: x[i] = 1e-3f * u; break;
        }
    }
}

static double rel_rmse(const float *a, const float *b, size_t n) {
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)a[i] * a[i];
    }
    return s > 0 ? sqrt(e / s) : sqrt(e);
}

static double measured_random[HS_TYPE_COUNT];

static void test_random_rows(void) {
    uint64_t st = 42;
    float *x = malloc(ROW * sizeof(float)), *y = malloc(ROW * sizeof(float));
    float *xd = malloc(ROW * sizeof(float)), *yd = malloc(ROW * sizeof(float));
    uint8_t *qx = malloc(ROW * 4), *qy = malloc(ROW * 4);
    for (int t = 0; t < N_TYPES; t++) {
        const hs_quant_traits *tr = hs_quant_traits_ref(TYPES[t].type);
        char nb[32];
        const char *name = hs_type_name(TYPES[t].type, nb);
        CHECK(tr != NULL && tr->quantize_row && tr->dequantize_row, "%s: no kernels", name);
        if (!tr) continue;
        const hs_quant_traits *vt = hs_quant_traits_ref(tr->vec_dot_type);
        for (int dist = 0; dist < N_DIST; dist++) {
            fill_row(x, dist, &st);
            memset(qx, 0, ROW * 4);
            tr->quantize_row(x, qx, ROW);
            tr->dequantize_row(qx, xd, ROW);
            double err = rel_rmse(x, xd, ROW);
            if (err > measured_random[TYPES[t].type]) measured_random[TYPES[t].type] = err;
            const double bound = dist == 2 ? TYPES[t].max_rel_rmse_outliers : TYPES[t].max_rel_rmse;
            CHECK(err <= bound, "%s %s: relative rms error %.4g > %.4g", name, DIST_NAMES[dist], err, bound);
            bool finite = true;
            for (int i = 0; i < ROW; i++) finite = finite && isfinite(xd[i]);
            CHECK(finite, "%s %s: non-finite output", name, DIST_NAMES[dist]);
            if (!tr->vec_dot) continue;

            // vec_dot(x, quantize(y)) against a double dot of the two dequantized rows
            fill_row(y, (dist + 1) % N_DIST, &st);
            vt->quantize_row(y, qy, ROW);
            vt->dequantize_row(qy, yd, ROW);
            double ref = 0, mag = 0, slack = 0;
            for (int i = 0; i < ROW; i++) {
                ref += (double)xd[i] * yd[i];
                mag += fabs((double)xd[i] * yd[i]);
            }
            if (tr->vec_dot_type == HS_TYPE_Q8_1) {
                // the kernel uses y's stored s = f16(d * sum q), which is rounded
                const block_q8_1 *b8 = (const block_q8_1 *)qy;
                for (int b = 0; b < ROW / 32; b++) {
                    float m = TYPES[t].type == HS_TYPE_Q4_1 ? hs_f16_to_f32(((const block_q4_1 *)qx)[b].m)
                                                            : hs_f16_to_f32(((const block_q5_1 *)qx)[b].m);
                    slack += fabs((double)m * hs_f16_to_f32(b8[b].s)) * 0x1p-10;
                }
            }
            float got = 0;
            tr->vec_dot(ROW, &got, qx, qy);
            double tol = 1e-5 * mag + slack + 1e-30;
            CHECK(fabs(got - ref) <= tol, "%s %s: vec_dot %.9g, dequantized dot %.9g (tol %.3g)", name,
                  DIST_NAMES[dist], got, ref, tol);
        }
        // all-zero rows decode to zeros and dot to zero
        memset(x, 0, ROW * sizeof(float));
        tr->quantize_row(x, qx, ROW);
        tr->dequantize_row(qx, xd, ROW);
        bool zero = true;
        for (int i = 0; i < ROW; i++) zero = zero && xd[i] == 0.0f;
        CHECK(zero, "%s: zero row does not decode to zeros", name);
    }
    free(x), free(y), free(xd), free(yd), free(qx), free(qy);
}

static void test_table(void) {
    static const struct { hs_type t, vdt; } want[] = {
        {HS_TYPE_F32, HS_TYPE_F32},   {HS_TYPE_F16, HS_TYPE_F16},   {HS_TYPE_BF16, HS_TYPE_BF16},
        {HS_TYPE_Q4_0, HS_TYPE_Q8_0}, {HS_TYPE_Q4_1, HS_TYPE_Q8_1}, {HS_TYPE_Q5_0, HS_TYPE_Q8_0},
        {HS_TYPE_Q5_1, HS_TYPE_Q8_1}, {HS_TYPE_Q8_0, HS_TYPE_Q8_0}, {HS_TYPE_Q2_K, HS_TYPE_Q8_K},
        {HS_TYPE_Q3_K, HS_TYPE_Q8_K}, {HS_TYPE_Q4_K, HS_TYPE_Q8_K}, {HS_TYPE_Q5_K, HS_TYPE_Q8_K},
        {HS_TYPE_Q6_K, HS_TYPE_Q8_K}, {HS_TYPE_IQ4_NL, HS_TYPE_Q8_0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const hs_quant_traits *r = hs_quant_traits_ref(want[i].t), *g = hs_quant_traits_get(want[i].t);
        CHECK(r && g && r->type == want[i].t && r->vec_dot_type == want[i].vdt && g->vec_dot_type == want[i].vdt &&
                  r->vec_dot && g->vec_dot && g->dequantize_row && g->quantize_row,
              "traits of type %d", want[i].t);
    }
    CHECK(hs_quant_traits_get(HS_TYPE_Q8_K) && hs_quant_traits_get(HS_TYPE_Q8_K)->vec_dot == NULL, "Q8_K traits");
    CHECK(hs_quant_traits_get(HS_TYPE_Q8_1) && hs_quant_traits_get(HS_TYPE_Q8_1)->vec_dot == NULL, "Q8_1 traits");
    CHECK(hs_quant_traits_get(HS_TYPE_IQ2_XXS) == NULL && hs_quant_traits_get(HS_TYPE_I8) == NULL &&
              hs_quant_traits_get(4) == NULL && hs_quant_traits_get(HS_TYPE_COUNT) == NULL &&
              hs_quant_traits_get(0xffffffffu) == NULL,
          "types without kernels must give NULL");
}

// ---- real files ----

typedef struct {
    uint8_t *data;
    size_t size;
    gguf_ctx *ctx;
} model_file;

static bool load_model(const char *path, model_file *m) {
    memset(m, 0, sizeof *m);
    m->data = (uint8_t *)read_file(path, &m->size);
    CHECK(m->data != NULL, "cannot read %s", path);
    if (!m->data) return false;
    char err[256];
    uint64_t need = 0;
    gguf_status st = gguf_parse(m->data, m->size, m->size, &m->ctx, &need, err, sizeof err);
    CHECK(st == GGUF_OK, "%s: %s", path, err);
    return st == GGUF_OK;
}

static void free_model(model_file *m) {
    gguf_free(m->ctx);
    free(m->data);
}

static const uint8_t *tensor_bytes(const model_file *m, const gguf_tensor_info *t) {
    return m->data + m->ctx->data_offset + t->offset;
}

typedef struct {
    const char *suffix; // file name part
    hs_type type;
    double max_rel_rmse; // bound on the file's decoding error against F32 (about 1.2x measured)
    bool exact;          // our quantize_row must reproduce the file's bytes
} file_case;

static const file_case FILES[] = {
    {"F16", HS_TYPE_F16, 2.5e-4, true},     {"BF16", HS_TYPE_BF16, 2e-3, true},
    {"Q8_0", HS_TYPE_Q8_0, 6.5e-3, true},   {"Q6_K", HS_TYPE_Q6_K, 2.15e-2, false},
    {"Q5_K", HS_TYPE_Q5_K, 4.4e-2, false},  {"Q5_1", HS_TYPE_Q5_1, 4.6e-2, true},
    {"Q5_0", HS_TYPE_Q5_0, 5.2e-2, true},   {"Q4_K", HS_TYPE_Q4_K, 8.7e-2, false},
    {"Q4_1", HS_TYPE_Q4_1, 9.5e-2, true},   {"Q4_0", HS_TYPE_Q4_0, 1.05e-1, true},
    {"IQ4_NL", HS_TYPE_IQ4_NL, 9.2e-2, false}, {"Q3_K", HS_TYPE_Q3_K, 1.83e-1, false},
    {"Q2_K", HS_TYPE_Q2_K, 3.6e-1, false},  {"Q4_K_M-mix", HS_TYPE_Q4_K, 0, false}, // Q4_K and Q6_K
};
enum { N_FILES = sizeof FILES / sizeof FILES[0] };

// The bound for a tensor of this type (a mixture file holds several types).
static double file_bound(uint32_t type) {
    for (int i = 0; i < N_FILES; i++)
        if (FILES[i].type == type && FILES[i].max_rel_rmse > 0) return FILES[i].max_rel_rmse;
    return 0;
}

static double measured_file[N_FILES], measured_ours[N_FILES];

// Every non-F32 tensor of one file against the F32 file's.
static void check_file(const model_file *f32, int fi) {
    char rel[256];
    snprintf(rel, sizeof rel, "models/synthetic/synth-llama-spm512-%s.gguf", FILES[fi].suffix);
    model_file q;
    if (!load_model(shared_path(rel), &q)) return;
    int checked = 0;
    for (uint64_t i = 0; i < q.ctx->n_tensors; i++) {
        const gguf_tensor_info *t = &q.ctx->tensors[i];
        if (t->type == HS_TYPE_F32) continue;
        const gguf_tensor_info *ref = gguf_find_tensor(f32->ctx, t->name.data);
        CHECK(ref && ref->type == HS_TYPE_F32 && ref->ne[0] == t->ne[0] && ref->ne[1] == t->ne[1],
              "%s: %s has no F32 twin", rel, t->name.data);
        if (!ref) continue;
        const hs_quant_traits *tr = hs_quant_traits_get(t->type);
        CHECK(tr != NULL, "%s: %s: type %u has no kernels", rel, t->name.data, t->type);
        if (!tr) continue;
        const int64_t ne0 = (int64_t)t->ne[0], nrows = (int64_t)(t->ne[1] * t->ne[2] * t->ne[3]);
        const size_t n = (size_t)(ne0 * nrows), row_bytes = hs_row_size(t->type, (uint64_t)ne0);
        const float *want = (const float *)tensor_bytes(f32, ref);
        const uint8_t *src = tensor_bytes(&q, t);
        float *got = malloc(n * sizeof(float));
        for (int64_t r = 0; r < nrows; r++) tr->dequantize_row(src + r * row_bytes, got + r * ne0, ne0);
        const double err = rel_rmse(want, got, n);
        if (err > measured_file[fi]) measured_file[fi] = err;
        CHECK(err <= file_bound(t->type), "%s: %s decodes with relative rms error %.4g > %.4g", rel,
              t->name.data, err, file_bound(t->type));

        // our quantizer on the F32 weights: same bytes, or comparable quality
        uint8_t *mine = malloc(row_bytes * (size_t)nrows);
        for (int64_t r = 0; r < nrows; r++) tr->quantize_row(want + r * ne0, mine + r * row_bytes, ne0);
        if (FILES[fi].exact) {
            CHECK(memcmp(mine, src, row_bytes * (size_t)nrows) == 0, "%s: %s: our quantization differs from the file",
                  rel, t->name.data);
        }
        float *back = malloc(n * sizeof(float));
        for (int64_t r = 0; r < nrows; r++) tr->dequantize_row(mine + r * row_bytes, back + r * ne0, ne0);
        const double ours = rel_rmse(want, back, n);
        if (ours / err > measured_ours[fi]) measured_ours[fi] = ours / err;
        CHECK(ours <= 1.1 * err, "%s: %s: our quantization error %.4g vs llama-quantize's %.4g", rel, t->name.data,
              ours, err);

        // dot products on real rows: row 0 and the last row against a random activation
        const hs_quant_traits *vt = hs_quant_traits_get(tr->vec_dot_type);
        float *act = malloc((size_t)ne0 * sizeof(float)), *actd = malloc((size_t)ne0 * sizeof(float));
        uint8_t *qa = malloc((size_t)ne0 * 4);
        uint64_t st = 7 + i;
        for (int64_t j = 0; j < ne0; j++) act[j] = test_randf(&st);
        vt->quantize_row(act, qa, ne0);
        vt->dequantize_row(qa, actd, ne0);
        for (int64_t r = 0; r < nrows; r += nrows - 1) {
            double dot = 0, mag = 0;
            for (int64_t j = 0; j < ne0; j++) {
                dot += (double)got[r * ne0 + j] * actd[j];
                mag += fabs((double)got[r * ne0 + j] * actd[j]);
            }
            float s = 0;
            tr->vec_dot((int)ne0, &s, src + r * row_bytes, qa);
            // Q8_1's rounded s adds up to |m * s| * 2^-11 per block; bound it by the row's scale
            const double tol = 1e-5 * mag + (tr->vec_dot_type == HS_TYPE_Q8_1 ? 2e-3 * mag : 0) + 1e-30;
            CHECK(fabs(s - dot) <= tol, "%s: %s row %lld: vec_dot %.9g, dequantized dot %.9g", rel,
                  t->name.data, (long long)r, s, dot);
            if (nrows == 1) break;
        }
        free(act), free(actd), free(qa), free(got), free(mine), free(back);
        checked++;
    }
    CHECK(checked >= 16, "%s: only %d quantized tensors", rel, checked);
    free_model(&q);
}

static void test_files(void) {
    model_file f32;
    if (!load_model(shared_path("models/synthetic/synth-llama-spm512-F32.gguf"), &f32)) return;
    for (int fi = 0; fi < N_FILES; fi++) check_file(&f32, fi);
    free_model(&f32);
}

int main(void) {
    test_f16();
    test_bf16();
    test_q8_blocks();
    test_table();
    test_random_rows();
    test_files();

    printf("random rows, max relative rms error:");
    for (int t = 0; t < N_TYPES; t++) {
        char nb[32];
        printf(" %s %.3g", hs_type_name(TYPES[t].type, nb), measured_random[TYPES[t].type]);
    }
    printf("\nsynthetic files, max relative rms error (file; ours/file):");
    for (int fi = 0; fi < N_FILES; fi++) printf(" %s %.3g; %.4f", FILES[fi].suffix, measured_file[fi], measured_ours[fi]);
    printf("\n");
    return test_finish();
}
