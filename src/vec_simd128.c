// SIMD128 versions of vec.h. Dot products keep four lane sums (so they add in another order
// than the reference: tolerance in tests); axpy and mix_rows do the same multiplies and adds per
// element as the reference, in its order, so they are bit-exact.
#ifdef __wasm_simd128__
#include <wasm_simd128.h>

#include "quant_simd128.h"
#include "vec.h"

static inline float lane_sum(v128_t v) {
    return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
           (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

float hs_dot_f32_simd128(const float *a, const float *b, int n) {
    v128_t acc = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    float sum = lane_sum(acc);
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

void hs_axpy_f32_simd128(float *y, float a, const float *x, int n) {
    const v128_t va = wasm_f32x4_splat(a);
    int i = 0;
    for (; i + 4 <= n; i += 4)
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i))));
    for (; i < n; i++) y[i] += a * x[i];
}

// Doubling an f16 drops its sign bit; the result is >= 0xf800 exactly when the exponent is 31.
static inline v128_t exponent_probe(v128_t h) { return wasm_i16x8_add(h, h); }

static inline bool probe_hit(v128_t probe) {
    return wasm_v128_any_true(wasm_u16x8_ge(probe, wasm_u16x8_const_splat(0xf800)));
}

// Eight halves as f32x4 pairs, the even elements and the odd ones (a dot product does not care
// about order): a shift or a mask puts each in the high half of a 32-bit lane, then the
// finite-only conversion.
static inline v128_t even_f16_to_f32(v128_t h) { return hs_simd128_f16hi_to_f32_finite(wasm_i32x4_shl(h, 16)); }
static inline v128_t odd_f16_to_f32(v128_t h) {
    return hs_simd128_f16hi_to_f32_finite(wasm_v128_and(h, wasm_i32x4_const_splat((int32_t)0xffff0000)));
}

#define DOT_ROWS_MAX_N 512 // head_dim <= 512 is checked at load; longer rows take the reference


// q is converted once (even and odd elements per 8, times 2^112) and k's halves are taken as
// scaled bits (hs_simd128_f16x8_split_scaled), so each product is q * k exactly and the fused
// multiply-add gives the multiply-then-add's bits; then four rows at a time, each with an even and
// an odd accumulator, so eight independent add chains hide the add latency and every q load serves
// four rows. (Converting every half in full, three more operations per eight, spent 15 % more time
// in attention in a Chromium profile of a Q4_K decode.)
void hs_dot_rows_f16_simd128(float *out, const hs_f16 *q, const hs_f16 *k, size_t stride, int n_rows, int n) {
    if (n % 8 != 0 || n > DOT_ROWS_MAX_N) {
        hs_dot_rows_f16_ref(out, q, k, stride, n_rows, n);
        return;
    }
    v128_t qe[DOT_ROWS_MAX_N / 8], qo[DOT_ROWS_MAX_N / 8];
    v128_t probe = wasm_i16x8_const_splat(0);
    const v128_t two_112 = wasm_f32x4_const_splat(0x1p112f);
    for (int c = 0; c < n / 8; c++) {
        const v128_t h = wasm_v128_load(q + 8 * c);
        probe = wasm_u16x8_max(probe, exponent_probe(h));
        qe[c] = wasm_f32x4_mul(even_f16_to_f32(h), two_112);
        qo[c] = wasm_f32x4_mul(odd_f16_to_f32(h), two_112);
    }
    int j = 0;
    for (; j + 4 <= n_rows; j += 4) {
        const hs_f16 *r0 = k + (size_t)j * stride, *r1 = r0 + stride, *r2 = r1 + stride, *r3 = r2 + stride;
        v128_t e0 = wasm_f32x4_const_splat(0.0f), o0 = e0, e1 = e0, o1 = e0, e2 = e0, o2 = e0, e3 = e0, o3 = e0;
        for (int c = 0; c < n / 8; c++) {
            const v128_t h0 = wasm_v128_load(r0 + 8 * c), h1 = wasm_v128_load(r1 + 8 * c);
            const v128_t h2 = wasm_v128_load(r2 + 8 * c), h3 = wasm_v128_load(r3 + 8 * c);
            probe = wasm_u16x8_max(probe, wasm_u16x8_max(wasm_u16x8_max(exponent_probe(h0), exponent_probe(h1)),
                                                         wasm_u16x8_max(exponent_probe(h2), exponent_probe(h3))));
            v128_t ke0, ko0, ke1, ko1, ke2, ko2, ke3, ko3;
            hs_simd128_f16x8_split_scaled(h0, &ke0, &ko0);
            hs_simd128_f16x8_split_scaled(h1, &ke1, &ko1);
            hs_simd128_f16x8_split_scaled(h2, &ke2, &ko2);
            hs_simd128_f16x8_split_scaled(h3, &ke3, &ko3);
            e0 = hs_simd128_madd_exact_product(qe[c], ke0, e0), o0 = hs_simd128_madd_exact_product(qo[c], ko0, o0);
            e1 = hs_simd128_madd_exact_product(qe[c], ke1, e1), o1 = hs_simd128_madd_exact_product(qo[c], ko1, o1);
            e2 = hs_simd128_madd_exact_product(qe[c], ke2, e2), o2 = hs_simd128_madd_exact_product(qo[c], ko2, o2);
            e3 = hs_simd128_madd_exact_product(qe[c], ke3, e3), o3 = hs_simd128_madd_exact_product(qo[c], ko3, o3);
        }
        out[j] = lane_sum(wasm_f32x4_add(e0, o0));
        out[j + 1] = lane_sum(wasm_f32x4_add(e1, o1));
        out[j + 2] = lane_sum(wasm_f32x4_add(e2, o2));
        out[j + 3] = lane_sum(wasm_f32x4_add(e3, o3));
    }
    for (; j < n_rows; j++) {
        const hs_f16 *r = k + (size_t)j * stride;
        v128_t e = wasm_f32x4_const_splat(0.0f), o = e;
        for (int c = 0; c < n / 8; c++) {
            const v128_t h = wasm_v128_load(r + 8 * c);
            probe = wasm_u16x8_max(probe, exponent_probe(h));
            v128_t ke, ko;
            hs_simd128_f16x8_split_scaled(h, &ke, &ko);
            e = hs_simd128_madd_exact_product(qe[c], ke, e);
            o = hs_simd128_madd_exact_product(qo[c], ko, o);
        }
        out[j] = lane_sum(wasm_f32x4_add(e, o));
    }
    if (probe_hit(probe)) hs_dot_rows_f16_ref(out, q, k, stride, n_rows, n);
}

// Sixteen output elements at a time, held in four accumulators over every row, so each element's
// chain of adds runs in row order as in the reference. A row's halves go to the high halves of
// 32-bit lanes (an interleave with zeros) and through the finite-only conversion; a running
// maximum of the halves doubled (sign dropped) shows at the end whether some exponent was 31, and
// then the reference redoes the head (an inf or NaN in the cache is the exception).
void hs_mix_rows_f16_simd128(float *y, const float *p, const hs_f16 *v, size_t stride, int n_rows, int n) {
    const v128_t zero = wasm_i32x4_const_splat(0);
    v128_t probe = zero;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        v128_t a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        const hs_f16 *row = v + i;
        for (int j = 0; j < n_rows; j++, row += stride) {
            const v128_t h0 = wasm_v128_load(row), h1 = wasm_v128_load(row + 8);
            probe = wasm_u16x8_max(probe, wasm_u16x8_max(exponent_probe(h0), exponent_probe(h1)));
            const v128_t pj = wasm_f32x4_splat(p[j]);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(pj, hs_simd128_f16hi_to_f32_finite(wasm_i16x8_shuffle(zero, h0, 0, 8, 1, 9, 2, 10, 3, 11))));
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(pj, hs_simd128_f16hi_to_f32_finite(wasm_i16x8_shuffle(zero, h0, 4, 12, 5, 13, 6, 14, 7, 15))));
            a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(pj, hs_simd128_f16hi_to_f32_finite(wasm_i16x8_shuffle(zero, h1, 0, 8, 1, 9, 2, 10, 3, 11))));
            a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(pj, hs_simd128_f16hi_to_f32_finite(wasm_i16x8_shuffle(zero, h1, 4, 12, 5, 13, 6, 14, 7, 15))));
        }
        wasm_v128_store(y + i, a0);
        wasm_v128_store(y + i + 4, a1);
        wasm_v128_store(y + i + 8, a2);
        wasm_v128_store(y + i + 12, a3);
    }
    if (probe_hit(probe)) {
        hs_mix_rows_f16_ref(y, p, v, stride, n_rows, n);
        return;
    }
    if (i < n) hs_mix_rows_f16_ref(y + i, p, v + i, stride, n_rows, n - i);
}
#endif
