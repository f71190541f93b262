// k-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K): dequantization and dot products with Q8_K
// activations, plus the Q8_K activation quantizer. The quantizers for the weight types are in
// quant_kquants_quantize.c.
//
// Every type packs 256 elements. Bit layouts (element e = 0..255 of a super-block):
//   Q2_K: 2-bit q in qs[32*(e/128) + e%32] at bit 2*((e%128)/32); 16 sub-blocks of 16 with 4-bit
//         scale (low nibble of scales[e/16]) and min (high nibble): x = d*sc*q - dmin*m.
//   Q3_K: low 2 bits as in Q2_K; third bit hmask[e%32] bit e/32 (set: q in 0..3, clear: q - 4);
//         16 six-bit scales, stored + 32: low 4 bits in scales[j%8] (nibble j/8), high 2 bits in
//         scales[8 + j%4] at bit 2*(j/4). x = d*(sc - 32)*q.
//   Q4_K: 4-bit q in qs[32*(e/64) + e%32], low nibble for (e%64) < 32; 8 sub-blocks of 32 with
//         six-bit scale and min packed in 12 bytes (see unpack_scales_mins_k4).
//   Q5_K: as Q4_K plus a fifth bit in qh[e%32] at bit e/32.
//   Q6_K: low 4 bits in ql, high 2 bits in qh (see levels_q6); 16 signed 8-bit scales.
//         x = d*sc*(q - 32).
//
// The dot products reproduce ggml's generic code, including where it keeps eight float partial
// sums (lanes) across blocks and adds them at the end, so results round like llama.cpp's
// portable CPU path.
#include <math.h>

#include "quant_blocks.h"

// ---- scale unpacking ----

// Q4_K / Q5_K: eight 6-bit scales and mins from 12 bytes. Sub-blocks 0..3 keep scale and min in
// the low 6 bits of bytes 0..3 and 4..7; sub-blocks 4..7 keep their low 4 bits in the nibbles of
// bytes 8..11 and their high 2 bits in the top bits of bytes 0..7.
static void unpack_scales_mins_k4(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
    }
    for (int j = 4; j < 8; j++) {
        sc[j] = (uint8_t)((q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4));
        mn[j] = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

// Q3_K: sixteen signed scales (stored value - 32).
static void unpack_scales_q3(const uint8_t *q, int sc[16]) {
    for (int j = 0; j < 16; j++) {
        int lo = j < 8 ? (q[j] & 0x0f) : (q[j - 8] >> 4);
        int hi = (q[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
        sc[j] = (lo | (hi << 4)) - 32;
    }
}

// ---- quant levels of a whole super-block, in element order ----

// Q2_K: 0..3. Byte 32*(e/128) + e%32 holds four elements, 32 apart, from its low bits up.
static void levels_q2(const uint8_t *qs, int8_t a[QK_K]) {
    for (int h = 0; h < 2; h++, qs += 32, a += 128) {
        for (int s = 0; s < 4; s++) {
            for (int l = 0; l < 32; l++) a[32 * s + l] = (int8_t)((qs[l] >> (2 * s)) & 3);
        }
    }
}

// Q3_K: -4..3. The low 2 bits as Q2_K; hmask[e%32] bit e/32 clear means subtract 4.
static void levels_q3(const block_q3_K *b, int8_t a[QK_K]) {
    levels_q2(b->qs, a);
    for (int e = 0; e < QK_K; e++) a[e] = (int8_t)(a[e] - (((b->hmask[e % 32] >> (e / 32)) & 1) ? 0 : 4));
}

// Q4_K: 0..15. In each 64 elements, byte l of the 32 holds element l low and element 32 + l high.
static void levels_q4(const uint8_t *qs, int8_t a[QK_K]) {
    for (int c = 0; c < 4; c++, qs += 32, a += 64) {
        for (int l = 0; l < 32; l++) {
            a[l] = (int8_t)(qs[l] & 0x0f);
            a[l + 32] = (int8_t)(qs[l] >> 4);
        }
    }
}

// Q5_K: 0..31, Q4_K's nibbles plus a fifth bit in qh[e%32] at bit e/32.
static void levels_q5(const block_q5_K *b, int8_t a[QK_K]) {
    levels_q4(b->qs, a);
    for (int e = 0; e < QK_K; e++) a[e] = (int8_t)(a[e] | (((b->qh[e % 32] >> (e / 32)) & 1) << 4));
}

// Q6_K: -32..31. In each half of 128 elements, for l < 32: ql[l] holds elements l (low nibble)
// and 64 + l (high), ql[32 + l] elements 32 + l and 96 + l; qh[l] holds the high 2 bits of
// elements l, 32 + l, 64 + l, 96 + l from its low bits up.
static void levels_q6(const block_q6_K *b, int8_t a[QK_K]) {
    const uint8_t *ql = b->ql, *qh = b->qh;
    for (int h = 0; h < 2; h++, ql += 64, qh += 32, a += 128) {
        for (int l = 0; l < 32; l++) {
            a[l] = (int8_t)(((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32);
            a[l + 32] = (int8_t)(((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32);
            a[l + 64] = (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            a[l + 96] = (int8_t)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

// ---- dequantization ----

void hs_dequantize_row_q2_K_ref(const void *vx, float *y, int64_t k) {
    const block_q2_K *x = vx;
    for (int64_t i = 0; i < k / QK_K; i++, y += QK_K) {
        const float d = hs_f16_to_f32(x[i].d), dmin = hs_f16_to_f32(x[i].dmin);
        int8_t a[QK_K];
        levels_q2(x[i].qs, a);
        for (int j = 0; j < 16; j++) {
            const float dl = d * (x[i].scales[j] & 0x0f), ml = dmin * (x[i].scales[j] >> 4);
            for (int l = 0; l < 16; l++) y[16 * j + l] = dl * a[16 * j + l] - ml;
        }
    }
}

void hs_dequantize_row_q3_K_ref(const void *vx, float *y, int64_t k) {
    const block_q3_K *x = vx;
    for (int64_t i = 0; i < k / QK_K; i++, y += QK_K) {
        const float d = hs_f16_to_f32(x[i].d);
        int sc[16];
        int8_t a[QK_K];
        unpack_scales_q3(x[i].scales, sc);
        levels_q3(&x[i], a);
        for (int j = 0; j < 16; j++) {
            const float dl = d * sc[j];
            for (int l = 0; l < 16; l++) y[16 * j + l] = dl * a[16 * j + l];
        }
    }
}

// Q4_K and Q5_K: x = d * sc * q - dmin * m per 32 elements.
static void dequantize_k4(const int8_t a[QK_K], hs_f16 dh, hs_f16 dminh, const uint8_t *packed, float *y) {
    const float d = hs_f16_to_f32(dh), dmin = hs_f16_to_f32(dminh);
    uint8_t sc[8], mn[8];
    unpack_scales_mins_k4(packed, sc, mn);
    for (int j = 0; j < 8; j++) {
        const float dl = d * sc[j], ml = dmin * mn[j];
        for (int l = 0; l < 32; l++) y[32 * j + l] = dl * a[32 * j + l] - ml;
    }
}

void hs_dequantize_row_q4_K_ref(const void *vx, float *y, int64_t k) {
    const block_q4_K *x = vx;
    for (int64_t i = 0; i < k / QK_K; i++, y += QK_K) {
        int8_t a[QK_K];
        levels_q4(x[i].qs, a);
        dequantize_k4(a, x[i].d, x[i].dmin, x[i].scales, y);
    }
}

void hs_dequantize_row_q5_K_ref(const void *vx, float *y, int64_t k) {
    const block_q5_K *x = vx;
    for (int64_t i = 0; i < k / QK_K; i++, y += QK_K) {
        int8_t a[QK_K];
        levels_q5(&x[i], a);
        dequantize_k4(a, x[i].d, x[i].dmin, x[i].scales, y);
    }
}

void hs_dequantize_row_q6_K_ref(const void *vx, float *y, int64_t k) {
    const block_q6_K *x = vx;
    for (int64_t i = 0; i < k / QK_K; i++, y += QK_K) {
        const float d = hs_f16_to_f32(x[i].d);
        int8_t a[QK_K];
        levels_q6(&x[i], a);
        for (int e = 0; e < QK_K; e++) y[e] = d * x[i].scales[e / 16] * a[e];
    }
}

// ---- Q8_K activations ----

// ggml's reference: the signed value of largest magnitude maps to -127 (so d = max / -127 may be
// negative), rounding to nearest even, and per-16 sums for the k-quant mins.
void hs_quantize_row_q8_K_ref(const float *x, void *vy, int64_t k) {
    block_q8_K *y = vy;
    for (int64_t i = 0; i < k / QK_K; i++, x += QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK_K; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; j++) {
            int v = hs_nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int j = 0; j < QK_K / 16; j++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y[i].qs[16 * j + l];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1.0f / iscale;
    }
}

void hs_dequantize_row_q8_K_ref(const void *vx, float *y, int64_t k) {
    const block_q8_K *x = vx;
    for (int64_t i = 0; i < k / QK_K; i++, y += QK_K) {
        for (int j = 0; j < QK_K; j++) y[j] = x[i].d * x[i].qs[j];
    }
}

// ---- dot products ----

// ggml's generic Q3_K..Q6_K dots accumulate, per super-block, eight integer lanes:
// lane[l] = sum over the 32 groups g of 8 elements of scale16[g/2] * a[8g+l] * q8[8g+l], where
// scale16 is the scale of each 16 elements. The lanes then go into eight float sums.
static void lane_dot(const int8_t *a, const int8_t *q8, const int scale16[16], int32_t lane[8]) {
    for (int l = 0; l < 8; l++) lane[l] = 0;
    for (int g = 0; g < QK_K / 8; g++) {
        for (int l = 0; l < 8; l++) lane[l] += scale16[g / 2] * (a[8 * g + l] * q8[8 * g + l]);
    }
}

void hs_vec_dot_q2_K_q8_K_ref(int n, float *s, const void *vx, const void *vy) {
    const block_q2_K *x = vx;
    const block_q8_K *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        int8_t a[QK_K];
        levels_q2(x[i].qs, a);
        int summs = 0, isum = 0;
        for (int j = 0; j < 16; j++) summs += y[i].bsums[j] * (x[i].scales[j] >> 4);
        for (int j = 0; j < 16; j++) {
            int part = 0;
            for (int l = 0; l < 16; l++) part += y[i].qs[16 * j + l] * a[16 * j + l];
            isum += (x[i].scales[j] & 0x0f) * part;
        }
        const float dall = y[i].d * hs_f16_to_f32(x[i].d);
        const float dmin = y[i].d * hs_f16_to_f32(x[i].dmin);
        sum += dall * (float)isum - dmin * (float)summs;
    }
    *s = sum;
}

void hs_vec_dot_q3_K_q8_K_ref(int n, float *s, const void *vx, const void *vy) {
    const block_q3_K *x = vx;
    const block_q8_K *y = vy;
    float sums[8] = {0};
    for (int i = 0; i < n / QK_K; i++) {
        int8_t a[QK_K];
        int sc[16];
        int32_t lane[8];
        levels_q3(&x[i], a);
        unpack_scales_q3(x[i].scales, sc);
        lane_dot(a, y[i].qs, sc, lane);
        const float d = hs_f16_to_f32(x[i].d) * y[i].d;
        for (int l = 0; l < 8; l++) sums[l] += d * (float)lane[l];
    }
    float sum = 0.0f;
    for (int l = 0; l < 8; l++) sum += sums[l];
    *s = sum;
}

// Q4_K and Q5_K share everything but the quant values.
static void vec_dot_k4(int n, float *s, const void *vx, const void *vy, bool five_bits) {
    const block_q8_K *y = vy;
    float sums[8] = {0};
    float sum = 0.0f;
    for (int i = 0; i < n / QK_K; i++) {
        int8_t a[QK_K];
        const uint8_t *packed;
        hs_f16 xd, xdmin;
        if (five_bits) {
            const block_q5_K *b = (const block_q5_K *)vx + i;
            levels_q5(b, a);
            packed = b->scales;
            xd = b->d;
            xdmin = b->dmin;
        } else {
            const block_q4_K *b = (const block_q4_K *)vx + i;
            levels_q4(b->qs, a);
            packed = b->scales;
            xd = b->d;
            xdmin = b->dmin;
        }
        uint8_t sc[8], mn[8];
        unpack_scales_mins_k4(packed, sc, mn);
        int sc16[16];
        for (int j = 0; j < 16; j++) sc16[j] = sc[j / 2];
        int sumi = 0;
        for (int j = 0; j < 16; j++) sumi += y[i].bsums[j] * mn[j / 2];
        int32_t lane[8];
        lane_dot(a, y[i].qs, sc16, lane);
        const float d = hs_f16_to_f32(xd) * y[i].d;
        for (int l = 0; l < 8; l++) sums[l] += d * (float)lane[l];
        const float dmin = hs_f16_to_f32(xdmin) * y[i].d;
        sum -= dmin * (float)sumi;
    }
    for (int l = 0; l < 8; l++) sum += sums[l];
    *s = sum;
}

void hs_vec_dot_q4_K_q8_K_ref(int n, float *s, const void *vx, const void *vy) {
    vec_dot_k4(n, s, vx, vy, false);
}

void hs_vec_dot_q5_K_q8_K_ref(int n, float *s, const void *vx, const void *vy) {
    vec_dot_k4(n, s, vx, vy, true);
}

void hs_vec_dot_q6_K_q8_K_ref(int n, float *s, const void *vx, const void *vy) {
    const block_q6_K *x = vx;
    const block_q8_K *y = vy;
    float sums[8] = {0};
    for (int i = 0; i < n / QK_K; i++) {
        int8_t a[QK_K];
        int sc[16];
        int32_t lane[8];
        levels_q6(&x[i], a);
        for (int j = 0; j < 16; j++) sc[j] = x[i].scales[j];
        lane_dot(a, y[i].qs, sc, lane);
        const float d = hs_f16_to_f32(x[i].d) * y[i].d;
        for (int l = 0; l < 8; l++) sums[l] += d * (float)lane[l];
    }
    float sum = 0.0f;
    for (int l = 0; l < 8; l++) sum += sums[l];
    *s = sum;
}
