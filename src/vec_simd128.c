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


// q's n halves (n a multiple of 8) as even and odd f32x4 times 2^112 (see dot_rows_f16); returns
// their exponent probe.
static v128_t q_f16_split(const hs_f16 *q, int n, v128_t *qe, v128_t *qo) {
    v128_t probe = wasm_i16x8_const_splat(0);
    const v128_t two_112 = wasm_f32x4_const_splat(0x1p112f);
    for (int c = 0; c < n / 8; c++) {
        const v128_t h = wasm_v128_load(q + 8 * c);
        probe = wasm_u16x8_max(probe, exponent_probe(h));
        qe[c] = wasm_f32x4_mul(even_f16_to_f32(h), two_112);
        qo[c] = wasm_f32x4_mul(odd_f16_to_f32(h), two_112);
    }
    return probe;
}

// q is converted once (even and odd elements per 8, times 2^112) and k's halves are taken as
// scaled bits (hs_simd128_f16x8_split_scaled), so each product is q * k exactly and the fused
// multiply-add gives the multiply-then-add's bits; then four rows at a time, each with an even and
// an odd accumulator, so eight independent add chains hide the add latency and every q load serves
// four rows. (Converting every half in full, three more operations per eight, spent 15 % more time
// in attention in a Chromium profile of a Q4_K decode.)
static inline __attribute__((always_inline)) void dot_rows_f16(float *out, const hs_f16 *q, const hs_f16 *k, size_t stride,
                                                               int n_rows, int n, const bool check) {
    if (n % 8 != 0 || n > DOT_ROWS_MAX_N) {
        hs_dot_rows_f16_ref(out, q, k, stride, n_rows, n);
        return;
    }
    v128_t qe[DOT_ROWS_MAX_N / 8], qo[DOT_ROWS_MAX_N / 8];
    v128_t probe = q_f16_split(q, n, qe, qo);
    int j = 0;
    for (; j + 4 <= n_rows; j += 4) {
        const hs_f16 *r0 = k + (size_t)j * stride, *r1 = r0 + stride, *r2 = r1 + stride, *r3 = r2 + stride;
        v128_t e0 = wasm_f32x4_const_splat(0.0f), o0 = e0, e1 = e0, o1 = e0, e2 = e0, o2 = e0, e3 = e0, o3 = e0;
        for (int c = 0; c < n / 8; c++) {
            const v128_t h0 = wasm_v128_load(r0 + 8 * c), h1 = wasm_v128_load(r1 + 8 * c);
            const v128_t h2 = wasm_v128_load(r2 + 8 * c), h3 = wasm_v128_load(r3 + 8 * c);
            if (check)
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
            if (check) probe = wasm_u16x8_max(probe, exponent_probe(h));
            v128_t ke, ko;
            hs_simd128_f16x8_split_scaled(h, &ke, &ko);
            e = hs_simd128_madd_exact_product(qe[c], ke, e);
            o = hs_simd128_madd_exact_product(qo[c], ko, o);
        }
        out[j] = lane_sum(wasm_f32x4_add(e, o));
    }
    if (probe_hit(probe)) hs_dot_rows_f16_ref(out, q, k, stride, n_rows, n);
}

// rows_finite: the rows' probe (an eighth of the operations per element) is left out; q's stays.
void hs_dot_rows_f16_simd128(float *out, const hs_f16 *q, const hs_f16 *k, size_t stride, int n_rows, int n,
                             bool rows_finite) {
    if (rows_finite) dot_rows_f16(out, q, k, stride, n_rows, n, false);
    else dot_rows_f16(out, q, k, stride, n_rows, n, true);
}

// Sixteen output elements at a time, held in four accumulators over the rows, so each element's
// chain of adds runs in row order as in the reference. Each row's halves are split into even and
// odd elements and taken as scaled bits (hs_simd128_f16x8_split_scaled, f16 * 2^-112), and its
// probability carries the 2^112 (converted once per row for every strip: p is an F16, so p * 2^112
// is exact and finite), so each product is p * v exactly and the fused multiply-add gives the
// multiply-then-add's bits; the accumulators hold the even and odd elements apart and are put back
// in order at the end. (Against a conversion of every half in full, in order, then a multiply and
// an add: a third fewer operations per row.) Rows go in chunks of MIX_ROWS, whose probabilities
// are converted into a stack buffer; the running sums wait in acc between chunks. A running
// maximum of the halves doubled (sign dropped) shows at the end whether some exponent was 31, and
// then the reference redoes the head (an inf or NaN in the cache or the probabilities is the
// exception).
#define MIX_ROWS 256
#define MIX_MAX_N 512 // head_dim <= 512 is checked at load; longer rows take the reference

static inline __attribute__((always_inline)) void mix_rows_f16(float *y, const hs_f16 *p, const hs_f16 *v, size_t stride,
                                                               int n_rows, int n, const bool check) {
    if (n > MIX_MAX_N) {
        hs_mix_rows_f16_ref(y, p, v, stride, n_rows, n);
        return;
    }
    const int strips = n / 16;
    v128_t acc[MIX_MAX_N / 4]; // strip s: even and odd elements of its two halves, 4s .. 4s + 3
    for (int k = 0; k < 4 * strips; k++) acc[k] = wasm_f32x4_const_splat(0.0f);
    float scaled_p[MIX_ROWS];
    uint32_t p_magnitude = 0;
    v128_t probe = wasm_i16x8_const_splat(0);
    for (int j0 = 0; j0 < n_rows; j0 += MIX_ROWS) {
        const int rows = n_rows - j0 < MIX_ROWS ? n_rows - j0 : MIX_ROWS;
        for (int k = 0; k < rows; k++) {
            const hs_f16 h = p[j0 + k];
            p_magnitude = (h & 0x7fffu) > p_magnitude ? (h & 0x7fffu) : p_magnitude;
            scaled_p[k] = hs_simd128_f16_to_f32_branchless(h) * 0x1p112f;
        }
        for (int s = 0; s < strips; s++) {
            v128_t e0 = acc[4 * s], o0 = acc[4 * s + 1], e1 = acc[4 * s + 2], o1 = acc[4 * s + 3];
            const hs_f16 *row = v + (size_t)j0 * stride + 16 * s;
            for (int k = 0; k < rows; k++, row += stride) {
                const v128_t h0 = wasm_v128_load(row), h1 = wasm_v128_load(row + 8);
                if (check) probe = wasm_u16x8_max(probe, wasm_u16x8_max(exponent_probe(h0), exponent_probe(h1)));
                const v128_t pk = wasm_v128_load32_splat(&scaled_p[k]);
                v128_t ve0, vo0, ve1, vo1;
                hs_simd128_f16x8_split_scaled(h0, &ve0, &vo0);
                hs_simd128_f16x8_split_scaled(h1, &ve1, &vo1);
                e0 = hs_simd128_madd_exact_product(pk, ve0, e0), o0 = hs_simd128_madd_exact_product(pk, vo0, o0);
                e1 = hs_simd128_madd_exact_product(pk, ve1, e1), o1 = hs_simd128_madd_exact_product(pk, vo1, o1);
            }
            acc[4 * s] = e0, acc[4 * s + 1] = o0, acc[4 * s + 2] = e1, acc[4 * s + 3] = o1;
        }
    }
    if (probe_hit(probe) || p_magnitude >= 0x7c00u) {
        hs_mix_rows_f16_ref(y, p, v, stride, n_rows, n);
        return;
    }
    for (int s = 0; s < strips; s++) { // even and odd lanes back in order
        const v128_t e0 = acc[4 * s], o0 = acc[4 * s + 1], e1 = acc[4 * s + 2], o1 = acc[4 * s + 3];
        wasm_v128_store(y + 16 * s, wasm_i32x4_shuffle(e0, o0, 0, 4, 1, 5));
        wasm_v128_store(y + 16 * s + 4, wasm_i32x4_shuffle(e0, o0, 2, 6, 3, 7));
        wasm_v128_store(y + 16 * s + 8, wasm_i32x4_shuffle(e1, o1, 0, 4, 1, 5));
        wasm_v128_store(y + 16 * s + 12, wasm_i32x4_shuffle(e1, o1, 2, 6, 3, 7));
    }
    if (16 * strips < n) hs_mix_rows_f16_ref(y + 16 * strips, p, v + 16 * strips, stride, n_rows, n - 16 * strips);
}

// rows_finite: the rows' probe (a fifth of the operations per row) is left out; p's stays.
void hs_mix_rows_f16_simd128(float *y, const hs_f16 *p, const hs_f16 *v, size_t stride, int n_rows, int n,
                             bool rows_finite) {
    if (rows_finite) mix_rows_f16(y, p, v, stride, n_rows, n, false);
    else mix_rows_f16(y, p, v, stride, n_rows, n, true);
}

// ---- several queries on the same rows (a prefill's consecutive tokens, one head) ----
//
// The single-query kernels above split each cache row's halves once per query. Here a row is
// loaded and split once for up to HS_ROWS_QUERIES queries: per eight elements one load and one
// split feed 2 * nq multiply-adds (dot_rows_f16: four of each for eight; mix_rows_f16: two of each
// for four). Each (query, row) pair keeps its single-query accumulators, products and order, so
// every query's results are its single call's bits; its checks too: the probes of the rows all
// queries read are shared, those of a query's own last rows and of its q or p are its own, and a
// hit sends that query alone to the reference, as its single call would.

// Rows [j0, j1) against queries q0 .. q0 + NQ - 1 (NQ a literal), scores into out[q0 + i][j].
static inline __attribute__((always_inline)) void dot_rows_queries(float *const *out, const v128_t (*qe)[DOT_ROWS_MAX_N / 8],
                                                                   const v128_t (*qo)[DOT_ROWS_MAX_N / 8], int q0, const int NQ,
                                                                   const hs_f16 *k, size_t stride, int j0, int j1, int n,
                                                                   v128_t *probe, const bool check) {
    for (int j = j0; j < j1; j++) {
        const hs_f16 *r = k + (size_t)j * stride;
        v128_t e[HS_ROWS_QUERIES], o[HS_ROWS_QUERIES];
        for (int i = 0; i < NQ; i++) e[i] = o[i] = wasm_f32x4_const_splat(0.0f);
        for (int c = 0; c < n / 8; c++) {
            const v128_t h = wasm_v128_load(r + 8 * c);
            if (check) *probe = wasm_u16x8_max(*probe, exponent_probe(h));
            v128_t ke, ko;
            hs_simd128_f16x8_split_scaled(h, &ke, &ko);
            for (int i = 0; i < NQ; i++) {
                e[i] = hs_simd128_madd_exact_product(qe[q0 + i][c], ke, e[i]);
                o[i] = hs_simd128_madd_exact_product(qo[q0 + i][c], ko, o[i]);
            }
        }
        for (int i = 0; i < NQ; i++) out[q0 + i][j] = lane_sum(wasm_f32x4_add(e[i], o[i]));
    }
}

static inline __attribute__((always_inline)) void dot_rows_f16_multi(float *const *out, const hs_f16 *const *q, int nq,
                                                                     const hs_f16 *k, size_t stride, const int *n_rows,
                                                                     int n, const bool check) {
    if (nq < 2 || nq > HS_ROWS_QUERIES || n % 8 != 0 || n > DOT_ROWS_MAX_N) {
        for (int i = 0; i < nq; i++) dot_rows_f16(out[i], q[i], k, stride, n_rows[i], n, check);
        return;
    }
    v128_t qe[HS_ROWS_QUERIES][DOT_ROWS_MAX_N / 8], qo[HS_ROWS_QUERIES][DOT_ROWS_MAX_N / 8];
    v128_t own[HS_ROWS_QUERIES]; // each query's probe: its q, its own last rows
    int common = n_rows[0];
    for (int i = 0; i < nq; i++) {
        own[i] = q_f16_split(q[i], n, qe[i], qo[i]);
        if (n_rows[i] < common) common = n_rows[i];
    }
    if (common < 0) common = 0;
    v128_t shared = wasm_i16x8_const_splat(0);
    if (nq == 4) dot_rows_queries(out, qe, qo, 0, 4, k, stride, 0, common, n, &shared, check);
    else if (nq == 3) dot_rows_queries(out, qe, qo, 0, 3, k, stride, 0, common, n, &shared, check);
    else dot_rows_queries(out, qe, qo, 0, 2, k, stride, 0, common, n, &shared, check);
    for (int i = 0; i < nq; i++) {
        dot_rows_queries(out, qe, qo, i, 1, k, stride, common, n_rows[i], n, &own[i], check);
        if (probe_hit(wasm_u16x8_max(shared, own[i]))) hs_dot_rows_f16_ref(out[i], q[i], k, stride, n_rows[i], n);
    }
}

void hs_dot_rows_f16_multi_simd128(float *const *out, const hs_f16 *const *q, int nq, const hs_f16 *k, size_t stride,
                                   const int *n_rows, int n, bool rows_finite) {
    if (rows_finite) dot_rows_f16_multi(out, q, nq, k, stride, n_rows, n, false);
    else dot_rows_f16_multi(out, q, nq, k, stride, n_rows, n, true);
}

// Rows [k0, k1) of a chunk (row k at v_rows + k * stride, scaled probabilities sp[q0 + i][k]) into
// the running sums e[q0 + i], o[q0 + i] of one eight-element strip, queries q0 .. q0 + NQ - 1.
static inline __attribute__((always_inline)) void mix_strip_queries(v128_t *e, v128_t *o, const float (*sp)[MIX_ROWS],
                                                                    int q0, const int NQ, const hs_f16 *v_rows,
                                                                    size_t stride, int k0, int k1, v128_t *probe,
                                                                    const bool check) {
    v128_t se[HS_ROWS_QUERIES], so[HS_ROWS_QUERIES];
    for (int i = 0; i < NQ; i++) se[i] = e[q0 + i], so[i] = o[q0 + i];
    const hs_f16 *row = v_rows + (size_t)k0 * stride;
    for (int k = k0; k < k1; k++, row += stride) {
        const v128_t h = wasm_v128_load(row);
        if (check) *probe = wasm_u16x8_max(*probe, exponent_probe(h));
        v128_t ve, vo;
        hs_simd128_f16x8_split_scaled(h, &ve, &vo);
        for (int i = 0; i < NQ; i++) {
            const v128_t pk = wasm_v128_load32_splat(&sp[q0 + i][k]);
            se[i] = hs_simd128_madd_exact_product(pk, ve, se[i]);
            so[i] = hs_simd128_madd_exact_product(pk, vo, so[i]);
        }
    }
    for (int i = 0; i < NQ; i++) e[q0 + i] = se[i], o[q0 + i] = so[i];
}

static inline __attribute__((always_inline)) void mix_rows_f16_multi(float *const *y, const hs_f16 *const *p, int nq,
                                                                     const hs_f16 *v, size_t stride, const int *n_rows,
                                                                     int n, const bool check) {
    if (nq < 2 || nq > HS_ROWS_QUERIES || n > MIX_MAX_N) {
        for (int i = 0; i < nq; i++) mix_rows_f16(y[i], p[i], v, stride, n_rows[i], n, check);
        return;
    }
    const int strips = n / 8;
    // query i's strip s: even elements in acc_e[i][s], odd in acc_o[i][s]
    v128_t acc_e[HS_ROWS_QUERIES][MIX_MAX_N / 8], acc_o[HS_ROWS_QUERIES][MIX_MAX_N / 8];
    float sp[HS_ROWS_QUERIES][MIX_ROWS];
    uint32_t p_magnitude[HS_ROWS_QUERIES] = {0};
    v128_t shared = wasm_i16x8_const_splat(0), own[HS_ROWS_QUERIES];
    int most = 0;
    for (int i = 0; i < nq; i++) {
        for (int s = 0; s < strips; s++) acc_e[i][s] = acc_o[i][s] = wasm_f32x4_const_splat(0.0f);
        own[i] = wasm_i16x8_const_splat(0);
        if (n_rows[i] > most) most = n_rows[i];
    }
    for (int j0 = 0; j0 < most; j0 += MIX_ROWS) {
        int rows[HS_ROWS_QUERIES], common = MIX_ROWS;
        for (int i = 0; i < nq; i++) {
            const int left = n_rows[i] - j0;
            rows[i] = left <= 0 ? 0 : left < MIX_ROWS ? left : MIX_ROWS;
            if (rows[i] < common) common = rows[i];
            for (int k = 0; k < rows[i]; k++) {
                const hs_f16 h = p[i][j0 + k];
                p_magnitude[i] = (h & 0x7fffu) > p_magnitude[i] ? (h & 0x7fffu) : p_magnitude[i];
                sp[i][k] = hs_simd128_f16_to_f32_branchless(h) * 0x1p112f;
            }
        }
        const hs_f16 *v_rows = v + (size_t)j0 * stride;
        for (int s = 0; s < strips; s++) {
            v128_t e[HS_ROWS_QUERIES], o[HS_ROWS_QUERIES];
            for (int i = 0; i < nq; i++) e[i] = acc_e[i][s], o[i] = acc_o[i][s];
            if (nq == 4) mix_strip_queries(e, o, sp, 0, 4, v_rows + 8 * s, stride, 0, common, &shared, check);
            else if (nq == 3) mix_strip_queries(e, o, sp, 0, 3, v_rows + 8 * s, stride, 0, common, &shared, check);
            else mix_strip_queries(e, o, sp, 0, 2, v_rows + 8 * s, stride, 0, common, &shared, check);
            for (int i = 0; i < nq; i++) {
                mix_strip_queries(e, o, sp, i, 1, v_rows + 8 * s, stride, common, rows[i], &own[i], check);
                acc_e[i][s] = e[i], acc_o[i][s] = o[i];
            }
        }
    }
    for (int i = 0; i < nq; i++) {
        if (probe_hit(wasm_u16x8_max(shared, own[i])) || p_magnitude[i] >= 0x7c00u) {
            hs_mix_rows_f16_ref(y[i], p[i], v, stride, n_rows[i], n);
            continue;
        }
        for (int s = 0; s < strips; s++) { // even and odd lanes back in order
            wasm_v128_store(y[i] + 8 * s, wasm_i32x4_shuffle(acc_e[i][s], acc_o[i][s], 0, 4, 1, 5));
            wasm_v128_store(y[i] + 8 * s + 4, wasm_i32x4_shuffle(acc_e[i][s], acc_o[i][s], 2, 6, 3, 7));
        }
        if (8 * strips < n) hs_mix_rows_f16_ref(y[i] + 8 * strips, p[i], v + 8 * strips, stride, n_rows[i], n - 8 * strips);
    }
}

void hs_mix_rows_f16_multi_simd128(float *const *y, const hs_f16 *const *p, int nq, const hs_f16 *v, size_t stride,
                                   const int *n_rows, int n, bool rows_finite) {
    if (rows_finite) mix_rows_f16_multi(y, p, nq, v, stride, n_rows, n, false);
    else mix_rows_f16_multi(y, p, nq, v, stride, n_rows, n, true);
}
#endif
