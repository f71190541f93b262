// The interleaved row layouts that gemm_rows4 kernels read (hs_interleave_rows4 in quant.h): every
// type's four rows block by block, and the types whose kernels want more (Q4_0, Q6_K) rearranged
// further within each run of four blocks, and F16 (whose rows have no blocks) in pairs. Each layout
// is the same bytes in another order, so a row can always be read back out (hs_rows4_row) for the
// reference.
#include <stdlib.h>

#include "quant.h"
#include "quant_blocks.h"

// Block b of row r of an interleaved group, and the same block of all four rows together.
static size_t rows4_block_offset(size_t block_bytes, size_t b, size_t r) { return (4 * b + r) * block_bytes; }

// ---- Q4_0 (block_q4_0x4) ----

static void q4_0_to_x4(const block_q4_0 in[4], block_q4_0x4 *out) {
    for (int r = 0; r < 4; r++) {
        out->d[r] = in[r].d;
        for (int v = 0; v < 4; v++) memcpy(out->qs + 16 * v + 4 * r, in[r].qs + 4 * v, 4);
    }
}

static void q4_0_from_x4(const block_q4_0x4 *in, int r, block_q4_0 *out) {
    out->d = in->d[r];
    for (int v = 0; v < 4; v++) memcpy(out->qs + 4 * v, in->qs + 16 * v + 4 * r, 4);
}

// ---- Q6_K (block_q6_Kx4) ----

// A block's 256 codes (0..63, the weights plus 32), in element order, and back (out zeroed first).
// Layout in quant_kquants.c (levels_q6): in each half of 128 elements, for l < 32, ql[l] holds
// elements l (low nibble) and 64 + l (high), ql[32 + l] 32 + l and 96 + l, qh[l] the high 2 bits
// of l, 32 + l, 64 + l, 96 + l from its low bits up.
static void q6_K_codes(const block_q6_K *x, uint8_t c[QK_K]) {
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = x->ql + 64 * h, *qh = x->qh + 32 * h;
        uint8_t *o = c + 128 * h;
        for (int l = 0; l < 32; l++) {
            o[l] = (uint8_t)((ql[l] & 0x0f) | ((qh[l] & 3) << 4));
            o[l + 32] = (uint8_t)((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4));
            o[l + 64] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
            o[l + 96] = (uint8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
        }
    }
}

static void q6_K_set_codes(block_q6_K *x, const uint8_t c[QK_K]) {
    for (int h = 0; h < 2; h++) {
        uint8_t *ql = x->ql + 64 * h, *qh = x->qh + 32 * h;
        const uint8_t *o = c + 128 * h;
        for (int l = 0; l < 32; l++) {
            ql[l] = (uint8_t)((o[l] & 0x0f) | (o[l + 64] << 4));
            ql[l + 32] = (uint8_t)((o[l + 32] & 0x0f) | (o[l + 96] << 4));
            qh[l] = (uint8_t)((o[l] >> 4) | ((o[l + 32] >> 4) << 2) | ((o[l + 64] >> 4) << 4) | ((o[l + 96] >> 4) << 6));
        }
    }
}

// Group g's bytes m = 4r + j of codes k = 0..3 hold row r's element 16g + 4k + j; codes 0..2 go in
// the low 6 bits of the group's three vectors, code 3 in their top 2 bits, 2 bits per vector.
static void q6_K_to_x4(const block_q6_K in[4], block_q6_Kx4 *out) {
    uint8_t c[4][QK_K];
    for (int r = 0; r < 4; r++) {
        out->d[r] = in[r].d;
        q6_K_codes(&in[r], c[r]);
    }
    for (int g = 0; g < QK_K / 16; g++) {
        for (int r = 0; r < 4; r++) out->scales[g][r] = in[r].scales[g];
        for (int m = 0; m < 16; m++) {
            const uint8_t *e = &c[m / 4][16 * g + m % 4]; // code k at e[4k]
            for (int k = 0; k < 3; k++) out->q[g][16 * k + m] = (uint8_t)(e[4 * k] | ((e[12] >> (2 * k)) & 3) << 6);
        }
    }
}

static void q6_K_from_x4(const block_q6_Kx4 *in, int r, block_q6_K *out) {
    uint8_t c[QK_K];
    out->d = in->d[r];
    for (int g = 0; g < QK_K / 16; g++) {
        out->scales[g] = in->scales[g][r];
        for (int j = 0; j < 4; j++) {
            const uint8_t *v = &in->q[g][4 * r + j]; // vector k's byte at v[16k]
            uint8_t *e = &c[16 * g + j];
            for (int k = 0; k < 3; k++) e[4 * k] = v[16 * k] & 0x3f;
            e[12] = (uint8_t)((v[0] >> 6) | (v[16] >> 6) << 2 | (v[32] >> 6) << 4);
        }
    }
    q6_K_set_codes(out, c);
}

// ---- F16 (pairs) ----

// Rows 2p and 2p + 1 take turns every HS_F16_PAIR_RUN elements (32 bytes), so the decode kernel's
// two rows at a time (quant_simd128_float.c: more spill V8's registers) are one stream. Only rows
// of whole runs that hold no inf or NaN: the kernel then looks for neither in the weights.
#define F16_RUN_BYTES (HS_F16_PAIR_RUN * sizeof(hs_f16))

// Where run k of row r (0..3) of a group goes.
static size_t f16_pairs_offset(size_t row_bytes, int r, size_t k) {
    return (size_t)(r & ~1) * row_bytes + (2 * k + (size_t)(r & 1)) * F16_RUN_BYTES;
}

static bool f16_pairs_fit(const void *data, int64_t rows, size_t row_bytes) {
    return row_bytes % F16_RUN_BYTES == 0 && hs_quant_traits_get(HS_TYPE_F16)->all_finite(data, (size_t)rows * row_bytes);
}

// A group's four rows (at rows, one after the other) in pairs at group.
static void f16_to_pairs(const uint8_t *rows, size_t row_bytes, uint8_t *group) {
    for (int r = 0; r < 4; r++) {
        for (size_t k = 0; k < row_bytes / F16_RUN_BYTES; k++) {
            memcpy(group + f16_pairs_offset(row_bytes, r, k), rows + r * row_bytes + k * F16_RUN_BYTES, F16_RUN_BYTES);
        }
    }
}

// ---- any type ----

bool hs_interleave_rows4(void *data, int64_t rows, size_t row_bytes, uint32_t type) {
    const size_t block_bytes = hs_type_get(type)->type_size;
    assert(rows % 4 == 0 && row_bytes % block_bytes == 0);
    if (type == HS_TYPE_F16 && !f16_pairs_fit(data, rows, row_bytes)) return false;
    uint8_t *scratch = malloc(4 * row_bytes);
    if (!scratch) return false;
    const size_t blocks = row_bytes / block_bytes;
    for (int64_t g = 0; g < rows; g += 4) {
        uint8_t *group = (uint8_t *)data + (size_t)g * row_bytes;
        memcpy(scratch, group, 4 * row_bytes);
        if (type == HS_TYPE_F16) {
            f16_to_pairs(scratch, row_bytes, group);
            continue;
        }
        for (size_t b = 0; b < blocks; b++) {
            uint8_t *dst = group + rows4_block_offset(block_bytes, b, 0);
            if (type == HS_TYPE_Q4_0 || type == HS_TYPE_Q6_K) {
                union {
                    block_q4_0 q4_0[4];
                    block_q6_K q6_K[4];
                } four;
                for (size_t r = 0; r < 4; r++) memcpy((uint8_t *)&four + r * block_bytes, scratch + r * row_bytes + b * block_bytes, block_bytes);
                if (type == HS_TYPE_Q4_0) q4_0_to_x4(four.q4_0, (block_q4_0x4 *)dst);
                else q6_K_to_x4(four.q6_K, (block_q6_Kx4 *)dst);
            } else {
                for (size_t r = 0; r < 4; r++) memcpy(dst + r * block_bytes, scratch + r * row_bytes + b * block_bytes, block_bytes);
            }
        }
    }
    free(scratch);
    return true;
}

void hs_rows4_row(const void *group, size_t row_bytes, int r, uint32_t type, void *row) {
    const size_t block_bytes = hs_type_get(type)->type_size;
    const uint8_t *g = group;
    uint8_t *out = row;
    if (type == HS_TYPE_F16) {
        for (size_t k = 0; k < row_bytes / F16_RUN_BYTES; k++) {
            memcpy(out + k * F16_RUN_BYTES, g + f16_pairs_offset(row_bytes, r, k), F16_RUN_BYTES);
        }
        return;
    }
    for (size_t b = 0; b < row_bytes / block_bytes; b++) {
        const uint8_t *four = g + rows4_block_offset(block_bytes, b, 0);
        if (type == HS_TYPE_Q4_0) {
            block_q4_0x4 x4;
            memcpy(&x4, four, sizeof x4);
            q4_0_from_x4(&x4, r, (block_q4_0 *)(out + b * block_bytes));
        } else if (type == HS_TYPE_Q6_K) {
            block_q6_Kx4 x4;
            block_q6_K one;
            memcpy(&x4, four, sizeof x4);
            q6_K_from_x4(&x4, r, &one);
            memcpy(out + b * block_bytes, &one, sizeof one);
        } else {
            memcpy(out + b * block_bytes, four + (size_t)r * block_bytes, block_bytes);
        }
    }
}
