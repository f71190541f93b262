// Legacy 32-element block formats: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, and the Q8_1 activations.
//
// In every 4/5-bit block, byte j of qs holds element j in its low nibble and element j + 16 in its
// high nibble; Q5's fifth bits are bit j of a little-endian uint32 qh.
//
// Quantizers round exactly like ggml's reference ones (llama-quantize uses them when there is no
// importance matrix, so ours reproduce its files byte for byte):
//   Q4_0 / Q5_0: d = (signed value of largest magnitude) / -8 (or -16), q = (int)(x/d + 8.5)
//                (+16.5), clamped to 15 (31); the extreme lands exactly on -8 (-16).
//   Q4_1 / Q5_1: d = (max - min) / 15 (31), m = min, q = (int)((x - min)/d + 0.5).
//   Q8_0 / Q8_1: d = amax / 127, q = roundf(x / d) (half away from zero); Q8_1 also stores
//                s = f16(d * sum(q)).
// Throughout, "x / d" is x * (1/d) computed in float, as ggml does.
//
// Dot products follow ggml's generic code: an integer dot per block, then one float
// multiply-add per block into a float sum, in ggml's operand order.
#include <float.h>
#include <math.h>

#include "quant_blocks.h"

static inline int imin(int a, int b) { return a < b ? a : b; }

// ---- Q4_0 ----

void hs_quantize_row_q4_0_ref(const float *x, void *vy, int64_t k) {
    block_q4_0 *y = vy;
    for (int64_t i = 0; i < k / QK4_0; i++, x += QK4_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK4_0; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hs_f32_to_f16(d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            int q0 = imin(15, (int)(x[j] * id + 8.5f));
            int q1 = imin(15, (int)(x[j + QK4_0 / 2] * id + 8.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void hs_dequantize_row_q4_0_ref(const void *vx, float *y, int64_t k) {
    const block_q4_0 *x = vx;
    for (int64_t i = 0; i < k / QK4_0; i++, y += QK4_0) {
        const float d = hs_f16_to_f32(x[i].d);
        for (int j = 0; j < QK4_0 / 2; j++) {
            y[j] = ((x[i].qs[j] & 0x0f) - 8) * d;
            y[j + QK4_0 / 2] = ((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void hs_vec_dot_q4_0_q8_0_ref(int n, float *s, const void *vx, const void *vy) {
    const block_q4_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_0; i++) {
        int lo = 0, hi = 0;
        for (int j = 0; j < QK8_0 / 2; j++) {
            lo += ((x[i].qs[j] & 0x0f) - 8) * y[i].qs[j];
            hi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + QK8_0 / 2];
        }
        sum += (float)(lo + hi) * hs_f16_to_f32(x[i].d) * hs_f16_to_f32(y[i].d);
    }
    *s = sum;
}

// ---- Q4_1 ----

void hs_quantize_row_q4_1_ref(const float *x, void *vy, int64_t k) {
    block_q4_1 *y = vy;
    for (int64_t i = 0; i < k / QK4_1; i++, x += QK4_1) {
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < QK4_1; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hs_f32_to_f16(d);
        y[i].m = hs_f32_to_f16(min);
        for (int j = 0; j < QK4_1 / 2; j++) {
            int q0 = imin(15, (int)((x[j] - min) * id + 0.5f));
            int q1 = imin(15, (int)((x[j + QK4_1 / 2] - min) * id + 0.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void hs_dequantize_row_q4_1_ref(const void *vx, float *y, int64_t k) {
    const block_q4_1 *x = vx;
    for (int64_t i = 0; i < k / QK4_1; i++, y += QK4_1) {
        const float d = hs_f16_to_f32(x[i].d), m = hs_f16_to_f32(x[i].m);
        for (int j = 0; j < QK4_1 / 2; j++) {
            y[j] = (x[i].qs[j] & 0x0f) * d + m;
            y[j + QK4_1 / 2] = (x[i].qs[j] >> 4) * d + m;
        }
    }
}

void hs_vec_dot_q4_1_q8_1_ref(int n, float *s, const void *vx, const void *vy) {
    const block_q4_1 *x = vx;
    const block_q8_1 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_1; i++) {
        int lo = 0, hi = 0;
        for (int j = 0; j < QK8_1 / 2; j++) {
            lo += (x[i].qs[j] & 0x0f) * y[i].qs[j];
            hi += (x[i].qs[j] >> 4) * y[i].qs[j + QK8_1 / 2];
        }
        sum += (hs_f16_to_f32(x[i].d) * hs_f16_to_f32(y[i].d)) * (float)(lo + hi) +
               hs_f16_to_f32(x[i].m) * hs_f16_to_f32(y[i].s);
    }
    *s = sum;
}

// ---- Q5_0 / Q5_1 ----

static inline uint32_t load_qh(const uint8_t qh[4]) {
    uint32_t v;
    memcpy(&v, qh, sizeof v);
    return v;
}

// The 5-bit values of a block: element j (< 16) from the low nibble of qs[j] and bit j of qh,
// element j + 16 from the high nibble and bit j + 16.
static inline void q5_levels(const uint8_t *qs, uint32_t qh, int q[32]) {
    for (int j = 0; j < 16; j++) {
        q[j] = (qs[j] & 0x0f) | (int)(((qh >> j) & 1) << 4);
        q[j + 16] = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
    }
}

void hs_quantize_row_q5_0_ref(const float *x, void *vy, int64_t k) {
    block_q5_0 *y = vy;
    for (int64_t i = 0; i < k / QK5_0; i++, x += QK5_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK5_0; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        const float d = max / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hs_f32_to_f16(d);
        uint32_t qh = 0;
        for (int j = 0; j < QK5_0 / 2; j++) {
            int q0 = imin(31, (int)(x[j] * id + 16.5f));
            int q1 = imin(31, (int)(x[j + QK5_0 / 2] * id + 16.5f));
            y[i].qs[j] = (uint8_t)((q0 & 0x0f) | ((q1 & 0x0f) << 4));
            qh |= (uint32_t)(q0 >> 4) << j;
            qh |= (uint32_t)(q1 >> 4) << (j + QK5_0 / 2);
        }
        memcpy(y[i].qh, &qh, sizeof qh);
    }
}

void hs_dequantize_row_q5_0_ref(const void *vx, float *y, int64_t k) {
    const block_q5_0 *x = vx;
    for (int64_t i = 0; i < k / QK5_0; i++, y += QK5_0) {
        const float d = hs_f16_to_f32(x[i].d);
        int q[32];
        q5_levels(x[i].qs, load_qh(x[i].qh), q);
        for (int j = 0; j < QK5_0; j++) y[j] = (q[j] - 16) * d;
    }
}

void hs_vec_dot_q5_0_q8_0_ref(int n, float *s, const void *vx, const void *vy) {
    const block_q5_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_0; i++) {
        int q[32], dot = 0;
        q5_levels(x[i].qs, load_qh(x[i].qh), q);
        for (int j = 0; j < QK8_0; j++) dot += (q[j] - 16) * y[i].qs[j];
        sum += (hs_f16_to_f32(x[i].d) * hs_f16_to_f32(y[i].d)) * (float)dot;
    }
    *s = sum;
}

void hs_quantize_row_q5_1_ref(const float *x, void *vy, int64_t k) {
    block_q5_1 *y = vy;
    for (int64_t i = 0; i < k / QK5_1; i++, x += QK5_1) {
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < QK5_1; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = hs_f32_to_f16(d);
        y[i].m = hs_f32_to_f16(min);
        uint32_t qh = 0;
        for (int j = 0; j < QK5_1 / 2; j++) {
            // ggml does not clamp here: (max - min) * id rounds to at most 31.5 - ulp
            int q0 = imin(31, (int)((x[j] - min) * id + 0.5f));
            int q1 = imin(31, (int)((x[j + QK5_1 / 2] - min) * id + 0.5f));
            y[i].qs[j] = (uint8_t)((q0 & 0x0f) | ((q1 & 0x0f) << 4));
            qh |= (uint32_t)(q0 >> 4) << j;
            qh |= (uint32_t)(q1 >> 4) << (j + QK5_1 / 2);
        }
        memcpy(y[i].qh, &qh, sizeof qh);
    }
}

void hs_dequantize_row_q5_1_ref(const void *vx, float *y, int64_t k) {
    const block_q5_1 *x = vx;
    for (int64_t i = 0; i < k / QK5_1; i++, y += QK5_1) {
        const float d = hs_f16_to_f32(x[i].d), m = hs_f16_to_f32(x[i].m);
        int q[32];
        q5_levels(x[i].qs, load_qh(x[i].qh), q);
        for (int j = 0; j < QK5_1; j++) y[j] = q[j] * d + m;
    }
}

void hs_vec_dot_q5_1_q8_1_ref(int n, float *s, const void *vx, const void *vy) {
    const block_q5_1 *x = vx;
    const block_q8_1 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_1; i++) {
        int q[32], dot = 0;
        q5_levels(x[i].qs, load_qh(x[i].qh), q);
        for (int j = 0; j < QK8_1; j++) dot += q[j] * y[i].qs[j];
        sum += (hs_f16_to_f32(x[i].d) * hs_f16_to_f32(y[i].d)) * (float)dot +
               hs_f16_to_f32(x[i].m) * hs_f16_to_f32(y[i].s);
    }
    *s = sum;
}

// ---- Q8_0 / Q8_1 ----

// One block of 32: d = amax / 127 and q = roundf(x * (1/d)); returns d. This is how
// llama-quantize writes Q8_0 weights.
static float quantize_block_q8(const float *x, int8_t *qs) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < 32; j++) qs[j] = (int8_t)roundf(x[j] * id);
    return d;
}

// The same block as ggml's x86 (AVX) activation path rounds it: scale by 127/amax (not 1/d,
// which differs in the last bit) and round halves to even. llama.cpp's reference logits were
// made that way; matching it makes our logits equal to theirs bit for bit on many files.
static float quantize_block_q8_activation(const float *x, int8_t *qs) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    for (int j = 0; j < 32; j++) qs[j] = (int8_t)hs_nearest_int(x[j] * id);
    return amax / 127.0f;
}

void hs_quantize_row_q8_0_activation_ref(const float *x, void *vy, int64_t k) {
    block_q8_0 *y = vy;
    for (int64_t i = 0; i < k / QK8_0; i++, x += QK8_0) {
        y[i].d = hs_f32_to_f16(quantize_block_q8_activation(x, y[i].qs));
    }
}

void hs_quantize_row_q8_1_activation_ref(const float *x, void *vy, int64_t k) {
    block_q8_1 *y = vy;
    for (int64_t i = 0; i < k / QK8_1; i++, x += QK8_1) {
        const float d = quantize_block_q8_activation(x, y[i].qs);
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) sum += y[i].qs[j];
        y[i].d = hs_f32_to_f16(d);
        y[i].s = hs_f32_to_f16((float)sum * d);
    }
}

void hs_quantize_row_q8_0_ref(const float *x, void *vy, int64_t k) {
    block_q8_0 *y = vy;
    for (int64_t i = 0; i < k / QK8_0; i++, x += QK8_0) {
        y[i].d = hs_f32_to_f16(quantize_block_q8(x, y[i].qs));
    }
}

void hs_dequantize_row_q8_0_ref(const void *vx, float *y, int64_t k) {
    const block_q8_0 *x = vx;
    for (int64_t i = 0; i < k / QK8_0; i++, y += QK8_0) {
        const float d = hs_f16_to_f32(x[i].d);
        for (int j = 0; j < QK8_0; j++) y[j] = x[i].qs[j] * d;
    }
}

void hs_vec_dot_q8_0_q8_0_ref(int n, float *s, const void *vx, const void *vy) {
    const block_q8_0 *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK8_0; i++) {
        int dot = 0;
        for (int j = 0; j < QK8_0; j++) dot += x[i].qs[j] * y[i].qs[j];
        sum += (float)dot * (hs_f16_to_f32(x[i].d) * hs_f16_to_f32(y[i].d));
    }
    *s = sum;
}

void hs_quantize_row_q8_1_ref(const float *x, void *vy, int64_t k) {
    block_q8_1 *y = vy;
    for (int64_t i = 0; i < k / QK8_1; i++, x += QK8_1) {
        const float d = quantize_block_q8(x, y[i].qs);
        int sum = 0;
        for (int j = 0; j < QK8_1; j++) sum += y[i].qs[j];
        y[i].d = hs_f32_to_f16(d);
        y[i].s = hs_f32_to_f16((float)sum * d);
    }
}

void hs_dequantize_row_q8_1_ref(const void *vx, float *y, int64_t k) {
    const block_q8_1 *x = vx;
    for (int64_t i = 0; i < k / QK8_1; i++, y += QK8_1) {
        const float d = hs_f16_to_f32(x[i].d);
        for (int j = 0; j < QK8_1; j++) y[j] = x[i].qs[j] * d;
    }
}
