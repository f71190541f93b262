// SIMD128 versions of ops.h. rope and add do the reference's float operations per element in
// its order (bit-exact). rmsnorm and softmax keep their double sums in two f64x2 accumulators
// (another order of the same double additions). softmax and swiglu use exp_f32x4 below, which
// differs from expf by at most a couple of ulp; llama.cpp's own SIMD paths use an approximate
// exp there too.
#ifdef __wasm_simd128__
#include <math.h>
#include <wasm_simd128.h>

#include "ops.h"

// e^x for four lanes. x = n ln2 + r with n = nearest(x / ln2) and |r| <= ln2 / 2 (ln2 in two
// parts, the first exact in a few bits, so n * ln2_hi is exact); e^r = 1 + r + r^2 p(r) with
// Cephes expf's degree-5 p; then 2^n added to the exponent bits. Below -87 the result (< 2^-125,
// where the exponent arithmetic would leave the normal range) is 0, above ln(FLT_MAX) it is inf;
// NaN gives that NaN back.
//
// Its fifteen constants come in an exp_consts read once per call: V8 builds a v128 constant from
// a general register with three instructions at every use, which made the constants half of
// exp's instructions, and a loop of exps is bound by how many of them fit the CPU's window (each
// exp is one long chain of dependent operations). Read through a volatile, the values are opaque
// to LLVM, so they stay in locals (registers) instead of being folded back into the loop.
typedef struct {
    v128_t hi, lo, log2e, magic, ln2_hi, ln2_lo, p[6], one, inf;
} exp_consts;

static volatile const float exp_values[] = {
    88.72283935546875f, -87.0f, 1.44269504088896341f, 12582912.0f, 0.693359375f, -2.12194440e-4f,
    1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f,
    1.0f, INFINITY,
};

static inline exp_consts exp_consts_load(void) {
    float v[sizeof exp_values / sizeof exp_values[0]];
    for (int i = 0; i < (int)(sizeof v / sizeof v[0]); i++) v[i] = exp_values[i];
    exp_consts k;
    k.hi = wasm_f32x4_splat(v[0]), k.lo = wasm_f32x4_splat(v[1]), k.log2e = wasm_f32x4_splat(v[2]);
    k.magic = wasm_f32x4_splat(v[3]), k.ln2_hi = wasm_f32x4_splat(v[4]), k.ln2_lo = wasm_f32x4_splat(v[5]);
    for (int i = 0; i < 6; i++) k.p[i] = wasm_f32x4_splat(v[6 + i]);
    k.one = wasm_f32x4_splat(v[12]), k.inf = wasm_f32x4_splat(v[13]);
    return k;
}

static inline v128_t exp_f32x4(v128_t x, const exp_consts *k) {
    const v128_t over = wasm_f32x4_gt(x, k->hi), under = wasm_f32x4_lt(x, k->lo);
    const v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, k->lo), k->hi);
    // n = nearest(x / ln2) by adding 1.5 * 2^23, whose ulp is 1: the FPU rounds to nearest even,
    // as f32x4.nearest does, and the sum's low mantissa bits hold n itself (two's complement), so
    // shifting them up by 23 gives 2^n's exponent bits without a float -> int conversion (which
    // V8 makes eight instructions on x86).
    const v128_t n_magic = wasm_f32x4_add(wasm_f32x4_mul(xc, k->log2e), k->magic);
    const v128_t n = wasm_f32x4_sub(n_magic, k->magic);
    v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, k->ln2_hi));
    r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, k->ln2_lo));
    v128_t p = k->p[0];
    for (int i = 1; i < 6; i++) p = wasm_f32x4_add(wasm_f32x4_mul(p, r), k->p[i]);
    const v128_t y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), r), k->one);
    // y is in [0.7, 1.5) and n >= -126 with y >= 1 when n = -126 (x >= -87): the sum of the
    // exponents stays normal; at the top it reaches 255 (inf) exactly when y * 2^n overflows.
    v128_t e = wasm_i32x4_add(y, wasm_i32x4_shl(n_magic, 23));
    e = wasm_v128_bitselect(k->inf, e, over);
    // A NaN's payload bits would be shifted into e: a NaN lane gives back x itself.
    return wasm_v128_bitselect(x, wasm_v128_andnot(e, under), wasm_f32x4_ne(x, x));
}

// Adds four floats, in double, into two f64x2 accumulators (lanes 0, 1 and lanes 2, 3).
static inline void add_f64(v128_t v, v128_t *acc0, v128_t *acc1) {
    *acc0 = wasm_f64x2_add(*acc0, wasm_f64x2_promote_low_f32x4(v));
    *acc1 = wasm_f64x2_add(*acc1, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
}

static inline double sum_f64(v128_t acc0, v128_t acc1) {
    const v128_t s = wasm_f64x2_add(acc0, acc1);
    return wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
}

void hs_rmsnorm_simd128(float *out, const float *x, const float *w, int n, float eps) {
    v128_t acc0 = wasm_f64x2_const_splat(0.0), acc1 = acc0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        const v128_t v = wasm_v128_load(x + i);
        add_f64(wasm_f32x4_mul(v, v), &acc0, &acc1); // squares in float, as the reference
    }
    double sum = sum_f64(acc0, acc1);
    for (; i < n; i++) sum += (double)(x[i] * x[i]);
    const float scale = 1.0f / sqrtf((float)(sum / n) + eps);
    const v128_t vs = wasm_f32x4_splat(scale);
    for (i = 0; i + 4 <= n; i += 4) {
        wasm_v128_store(out + i, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(x + i), vs), wasm_v128_load(w + i)));
    }
    for (; i < n; i++) out[i] = (x[i] * scale) * w[i];
}

// Two pairs at a time: cache {c0, s0, c1, s1}, head {x0, x1, x2, x3}. The even outputs are
// x0 * c - x1 * s, the odd ones x0 * s + x1 * c: {x0, x0} * {c, s} plus {-x1 s, x1 c}.
void hs_rope_norm_simd128(float *head, int rope_dim, const float *cache) {
    const v128_t negate_even = wasm_i32x4_const(INT32_MIN, 0, INT32_MIN, 0);
    int i = 0;
    for (; i + 4 <= rope_dim; i += 4) {
        const v128_t cs = wasm_v128_load(cache + i), x = wasm_v128_load(head + i);
        const v128_t x_even = wasm_i32x4_shuffle(x, x, 0, 0, 2, 2), x_odd = wasm_i32x4_shuffle(x, x, 1, 1, 3, 3);
        const v128_t sc = wasm_i32x4_shuffle(cs, cs, 1, 0, 3, 2);
        const v128_t b = wasm_v128_xor(wasm_f32x4_mul(x_odd, sc), negate_even);
        wasm_v128_store(head + i, wasm_f32x4_add(wasm_f32x4_mul(x_even, cs), b));
    }
    if (i < rope_dim) hs_rope_norm_ref(head + i, rope_dim - i, cache + i);
}

// Four rotations at a time: x0 from the first half, x1 from the second, cos and sin taken
// apart from the cache's pairs.
void hs_rope_neox_simd128(float *head, int rope_dim, const float *cache) {
    const int half = rope_dim / 2;
    int i = 0;
    for (; i + 4 <= half; i += 4) {
        const v128_t p0 = wasm_v128_load(cache + 2 * i), p1 = wasm_v128_load(cache + 2 * i + 4);
        const v128_t c = wasm_i32x4_shuffle(p0, p1, 0, 2, 4, 6), s = wasm_i32x4_shuffle(p0, p1, 1, 3, 5, 7);
        const v128_t x0 = wasm_v128_load(head + i), x1 = wasm_v128_load(head + i + half);
        wasm_v128_store(head + i, wasm_f32x4_sub(wasm_f32x4_mul(x0, c), wasm_f32x4_mul(x1, s)));
        wasm_v128_store(head + i + half, wasm_f32x4_add(wasm_f32x4_mul(x0, s), wasm_f32x4_mul(x1, c)));
    }
    for (; i < half; i++) {
        const float c = cache[2 * i], s = cache[2 * i + 1];
        const float x0 = head[i], x1 = head[i + half];
        head[i] = x0 * c - x1 * s;
        head[i + half] = x0 * s + x1 * c;
    }
}

void hs_softmax_simd128(float *x, int n, float scale) {
    const v128_t vs = wasm_f32x4_splat(scale);
    v128_t vmax = wasm_f32x4_const_splat(-INFINITY);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        const v128_t v = wasm_f32x4_mul(wasm_v128_load(x + i), vs);
        wasm_v128_store(x + i, v);
        vmax = wasm_f32x4_pmax(vmax, v); // keeps vmax where v is NaN, as the reference's ">"
    }
    vmax = wasm_f32x4_pmax(vmax, wasm_i32x4_shuffle(vmax, vmax, 2, 3, 0, 1));
    vmax = wasm_f32x4_pmax(vmax, wasm_i32x4_shuffle(vmax, vmax, 1, 0, 3, 2));
    float max = wasm_f32x4_extract_lane(vmax, 0);
    for (; i < n; i++) {
        x[i] *= scale;
        if (x[i] > max) max = x[i];
    }
    const v128_t m = wasm_f32x4_splat(max);
    const exp_consts k = exp_consts_load();
    v128_t acc0 = wasm_f64x2_const_splat(0.0), acc1 = acc0;
    for (i = 0; i + 4 <= n; i += 4) {
        const v128_t e = exp_f32x4(wasm_f32x4_sub(wasm_v128_load(x + i), m), &k);
        wasm_v128_store(x + i, e);
        add_f64(e, &acc0, &acc1);
    }
    double sum = sum_f64(acc0, acc1);
    for (; i < n; i++) {
        const float e = wasm_f32x4_extract_lane(exp_f32x4(wasm_f32x4_splat(x[i] - max), &k), 0);
        x[i] = e;
        sum += (double)e;
    }
    const float inv = (float)(1.0 / sum);
    const v128_t vinv = wasm_f32x4_splat(inv);
    for (i = 0; i + 4 <= n; i += 4) wasm_v128_store(x + i, wasm_f32x4_mul(wasm_v128_load(x + i), vinv));
    for (; i < n; i++) x[i] *= inv;
}

// silu(g) * up = g / (1 + e^-g) * up, in that order.
static inline v128_t swiglu_f32x4(v128_t g, v128_t up, const exp_consts *k) {
    const v128_t e = exp_f32x4(wasm_f32x4_neg(g), k);
    return wasm_f32x4_mul(wasm_f32x4_div(g, wasm_f32x4_add(k->one, e)), up);
}

void hs_swiglu_simd128(float *out, const float *gate, const float *up, int n) {
    const exp_consts k = exp_consts_load();
    int i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(out + i, swiglu_f32x4(wasm_v128_load(gate + i), wasm_v128_load(up + i), &k));
    for (; i < n; i++) {
        out[i] = wasm_f32x4_extract_lane(swiglu_f32x4(wasm_f32x4_splat(gate[i]), wasm_f32x4_splat(up[i]), &k), 0);
    }
}

void hs_add_simd128(float *x, const float *y, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, wasm_f32x4_add(wasm_v128_load(x + i), wasm_v128_load(y + i)));
    for (; i < n; i++) x[i] += y[i];
}
#endif
