// IQ4_NL: 32-element blocks of 4-bit indices into a fixed non-linear table of 16 levels, with an
// f16 scale: x = d * kvalues[q]. Nibble order as Q4_0 (element j low, element j + 16 high).
//
// The quantizer is ours, not ggml's (ggml's reference row quantizer takes d = max / -127 with
// no search; llama-quantize searches 15 scales weighting errors by x^2). We try the scales that
// map the largest-magnitude value to levels near either end of the table, pick each element's
// nearest level, refit d by least squares and keep the fit with the smallest plain squared error.
#include <math.h>

#include "quant_blocks.h"

const int8_t hs_kvalues_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};

// Midpoints between neighbouring levels.
static const float MIDPOINTS[15] = {-115.5f, -93.5f, -74.0f, -57.0f, -42.0f, -28.5f, -16.0f, -4.5f,
                                    7.0f,    19.0f,  31.5f,  45.5f,  61.0f,  79.0f,  101.0f};

// Index of the table level nearest to v (ties to the lower level): the number of midpoints
// below v. Branch-free, since the quantizer calls it ~1000 times per block.
static int nearest_level(float v) {
    int idx = 0;
    for (int i = 0; i < 15; i++) idx += v > MIDPOINTS[i];
    return idx;
}

static void quantize_block(const float *x, block_iq4_nl *y) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < QK4_NL; j++) {
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    memset(y->qs, 0, sizeof y->qs);
    y->d = hs_f32_to_f16(0.0f);
    if (amax < 1e-30f) return;

    uint8_t L[QK4_NL], trial[QK4_NL];
    double best_score = -1.0; // sumlx^2 / suml2: the squared error is sum x^2 minus this
    float best_d = 0.0f;
    for (int end = 0; end < 2; end++) {
        const float edge = end ? hs_kvalues_iq4nl[15] : hs_kvalues_iq4nl[0];
        for (int t = -7; t <= 7; t++) {
            const float id = (edge + (float)t) / max; // max lands near that end of the table
            double slx = 0, sll = 0;
            for (int j = 0; j < QK4_NL; j++) {
                trial[j] = (uint8_t)nearest_level(id * x[j]);
                const double v = hs_kvalues_iq4nl[trial[j]];
                slx += v * x[j];
                sll += v * v;
            }
            if (sll > 0 && slx * slx / sll > best_score) {
                best_score = slx * slx / sll;
                best_d = (float)(slx / sll);
                memcpy(L, trial, sizeof L);
            }
        }
    }
    // re-pick the levels for the f16 scale a reader will see
    y->d = hs_f32_to_f16(best_d);
    const float d = hs_f16_to_f32(y->d);
    if (d != 0.0f) {
        const float id = 1.0f / d;
        for (int j = 0; j < QK4_NL; j++) L[j] = (uint8_t)nearest_level(id * x[j]);
    }
    for (int j = 0; j < QK4_NL / 2; j++) y->qs[j] = (uint8_t)(L[j] | (L[j + QK4_NL / 2] << 4));
}

void hs_quantize_row_iq4_nl_ref(const float *x, void *vy, int64_t k) {
    block_iq4_nl *y = vy;
    for (int64_t i = 0; i < k / QK4_NL; i++) quantize_block(x + i * QK4_NL, &y[i]);
}

void hs_dequantize_row_iq4_nl_ref(const void *vx, float *y, int64_t k) {
    const block_iq4_nl *x = vx;
    for (int64_t i = 0; i < k / QK4_NL; i++, y += QK4_NL) {
        const float d = hs_f16_to_f32(x[i].d);
        for (int j = 0; j < QK4_NL / 2; j++) {
            y[j] = d * hs_kvalues_iq4nl[x[i].qs[j] & 0x0f];
            y[j + QK4_NL / 2] = d * hs_kvalues_iq4nl[x[i].qs[j] >> 4];
        }
    }
}

// As ggml's generic: d = dy * dx, then d * (integer dot), summed in float.
void hs_vec_dot_iq4_nl_q8_0_ref(int n, float *s, const void *vx, const void *vy) {
    const block_iq4_nl *x = vx;
    const block_q8_0 *y = vy;
    float sum = 0.0f;
    for (int i = 0; i < n / QK4_NL; i++) {
        const float d = hs_f16_to_f32(y[i].d) * hs_f16_to_f32(x[i].d);
        int lo = 0, hi = 0;
        for (int j = 0; j < QK4_NL / 2; j++) {
            lo += y[i].qs[j] * hs_kvalues_iq4nl[x[i].qs[j] & 0x0f];
            hi += y[i].qs[j + QK4_NL / 2] * hs_kvalues_iq4nl[x[i].qs[j] >> 4];
        }
        sum += d * (float)(lo + hi);
    }
    *s = sum;
}
