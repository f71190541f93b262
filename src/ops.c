#include "ops.h"

#include <math.h>

void hs_rmsnorm_ref(float *out, const float *x, const float *w, int n, float eps) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float scale = 1.0f / sqrtf((float)(sum / n) + eps);
    // ggml applies the scale (rms_norm) and the weight (mul) as two float operations.
    for (int i = 0; i < n; i++) out[i] = (x[i] * scale) * w[i];
}

void hs_rope_cache(float *cache, int rope_dim, float pos, float base, float freq_scale, const float *freq_factors) {
    // theta_i = pos * base^(-2i/d), built by repeated multiplication in float as ggml does, so the
    // angles round the same way.
    const float theta_scale = powf(base, -2.0f / (float)rope_dim);
    float theta = pos;
    for (int i = 0; i < rope_dim / 2; i++) {
        const float ff = freq_factors ? freq_factors[i] : 1.0f;
        const float angle = freq_scale * (theta / ff);
        cache[2 * i] = cosf(angle);
        cache[2 * i + 1] = sinf(angle);
        theta *= theta_scale;
    }
}

void hs_rope_norm_ref(float *head, int rope_dim, const float *cache) {
    for (int i = 0; i < rope_dim; i += 2) {
        const float c = cache[i], s = cache[i + 1];
        const float x0 = head[i], x1 = head[i + 1];
        head[i] = x0 * c - x1 * s;
        head[i + 1] = x0 * s + x1 * c;
    }
}

void hs_rope_neox_ref(float *head, int rope_dim, const float *cache) {
    const int half = rope_dim / 2;
    for (int i = 0; i < half; i++) {
        const float c = cache[2 * i], s = cache[2 * i + 1];
        const float x0 = head[i], x1 = head[i + half];
        head[i] = x0 * c - x1 * s;
        head[i + half] = x0 * s + x1 * c;
    }
}

void hs_softmax_ref(float *x, int n, float scale) {
    float max = -INFINITY;
    for (int i = 0; i < n; i++) {
        x[i] *= scale;
        if (x[i] > max) max = x[i];
    }
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        const float e = expf(x[i] - max);
        x[i] = e;
        sum += (double)e;
    }
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++) x[i] *= inv;
}

void hs_swiglu_ref(float *out, const float *gate, const float *up, int n) {
    for (int i = 0; i < n; i++) {
        const float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

void hs_add_ref(float *x, const float *y, int n) {
    for (int i = 0; i < n; i++) x[i] += y[i];
}

// The fastest built: SIMD128 in WebAssembly builds, the reference elsewhere.
#ifdef __wasm_simd128__
#define FASTEST(name) name##_simd128
#else
#define FASTEST(name) name##_ref
#endif

void hs_rmsnorm(float *out, const float *x, const float *w, int n, float eps) { FASTEST(hs_rmsnorm)(out, x, w, n, eps); }
void hs_rope_norm(float *head, int rope_dim, const float *cache) { FASTEST(hs_rope_norm)(head, rope_dim, cache); }
void hs_rope_neox(float *head, int rope_dim, const float *cache) { FASTEST(hs_rope_neox)(head, rope_dim, cache); }
void hs_softmax(float *x, int n, float scale) { FASTEST(hs_softmax)(x, n, scale); }
void hs_swiglu(float *out, const float *gate, const float *up, int n) { FASTEST(hs_swiglu)(out, gate, up, n); }
void hs_add(float *x, const float *y, int n) { FASTEST(hs_add)(x, y, n); }
