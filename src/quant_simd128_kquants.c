// WebAssembly SIMD128 kernels for the k-quants: Q8_K activation quantization (byte for byte the
// reference) and the dot products of Q2_K, Q3_K, Q4_K, Q5_K and Q6_K with Q8_K.
//
// Per 256-element super-block, each kernel unpacks the quants 16 lanes at a time, multiplies with
// the activations into i16 lanes (bounds at each kernel), applies the integer sub-block scale with
// i32x4.dot_i16x8 against the scale splatted to all lanes (one instruction that widens, scales and
// adds pairs), and keeps the super-block's integer sum in an i32x4. That vector is converted to
// float and multiplied into an f32x4 accumulator once per super-block; the mins use Q8_K's bsums
// the same way. Integer sums are exact; only the grouping of the float additions differs from the
// reference (which keeps eight float lanes for Q3_K..Q6_K). With an infinite or NaN scale that
// grouping decides between inf and NaN, so such rows are handed to the reference.
#ifdef __wasm_simd128__

#include <math.h>

#include "quant_simd128.h"
#include "simd128_relaxed.h"

// Tokens a gemm multiplies with each unpacked weight super-block (their activations, ~1 KiB per
// 768 elements, stay in L1 meanwhile).
#define GEMM_TOKENS 4

// The gemms' tokens t0 .. t0 + tn - 1 (returns tn <= GEMM_TOKENS): yt[t] is token t0 + t's
// activation row; spare entries repeat token t0, so the kernels always compute GEMM_TOKENS lanes.
static inline int token_group(const uint8_t *y, size_t y_row, int t0, int nt, const block_q8_K *yt[GEMM_TOKENS]) {
    const int tn = nt - t0 < GEMM_TOKENS ? nt - t0 : GEMM_TOKENS;
    for (int t = 0; t < GEMM_TOKENS; t++) yt[t] = (const block_q8_K *)(y + (size_t)(t0 + (t < tn ? t : 0)) * y_row);
    return tn;
}

// One super-block (i) of a weight row (xr) met by GEMM_TOKENS tokens (yt): acc[t] += token t's
// float term, finite[t] cleared where a scale is infinite or NaN; flag: the format's variant
// (Q5_K against Q4_K, Q3_K against Q2_K).
typedef void (*gemm_step_fn)(const uint8_t *xr, int i, const block_q8_K *const yt[GEMM_TOKENS], v128_t acc[GEMM_TOKENS],
                             bool finite[GEMM_TOKENS], bool flag);
typedef void (*row_ref_fn)(int n, float *s, const void *x, const void *y, bool flag);

// The k-quants' prefill: for each weight row and GEMM_TOKENS tokens at a time, step unpacks each
// super-block's scales and codes once and meets every token's activations with them, per token
// with the vec_dot's operations in its order, so every result is that token's vec_dot bit for
// bit; a token whose terms met an infinite or NaN scale gets the reference's result (ref).
static inline __attribute__((always_inline)) void gemm_kquant(int n, int nr, int nt, const void *vx, size_t x_row,
                                                              const void *vy, size_t y_row, float *s, size_t s_stride,
                                                              gemm_step_fn step, row_ref_fn ref, bool flag) {
    const uint8_t *x = vx, *y = vy;
    for (int t0 = 0; t0 < nt; t0 += GEMM_TOKENS) {
        const block_q8_K *yt[GEMM_TOKENS];
        const int tn = token_group(y, y_row, t0, nt, yt);
        for (int r = 0; r < nr; r++) {
            const uint8_t *xr = x + (size_t)r * x_row;
            v128_t acc[GEMM_TOKENS];
            bool finite[GEMM_TOKENS];
            for (int t = 0; t < GEMM_TOKENS; t++) acc[t] = wasm_f32x4_const_splat(0.0f), finite[t] = true;
            for (int i = 0; i < n / QK_K; i++) step(xr, i, yt, acc, finite, flag);
            for (int t = 0; t < tn; t++) {
                float *out = &s[(size_t)(t0 + t) * s_stride + (size_t)r];
                if (finite[t]) *out = hs_simd128_hsum_f32x4(acc[t]);
                else ref(n, out, xr, yt[t], flag);
            }
        }
    }
}

// The exported gemm of a k-quant: gemm_kquant with its step, reference and variant flag.
#define KQUANT_GEMM(name, step, ref, flag)                                                                          \
    void name(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,            \
              size_t s_stride) {                                                                                    \
        gemm_kquant(n, nr, nt, x, x_row, y, y_row, s, s_stride, step, ref, flag);                                   \
    }

// ---- Q8_K activation quantization ----

// As the reference: the signed value of largest magnitude (its first occurrence) maps to -127,
// q = nearest-even(x * (-127 / max)) capped at 127, d = 1 / iscale, and the sums of each 16 quants.
// f32x4.nearest rounds to nearest even like hs_nearest_int does for these magnitudes (<= 127.x).
void hs_quantize_row_q8_K_simd128(const float *x, void *vy, int64_t k) {
    block_q8_K *y = vy;
    for (int64_t i = 0; i < k / QK_K; i++, x += QK_K) {
        // pmax(acc, v) keeps acc when v is NaN, like the reference's strict "fabsf(x) > amax"
        v128_t m0 = wasm_f32x4_const_splat(0.0f), m1 = m0, m2 = m0, m3 = m0;
        for (int j = 0; j < QK_K; j += 16) {
            m0 = wasm_f32x4_pmax(m0, wasm_f32x4_abs(wasm_v128_load(x + j)));
            m1 = wasm_f32x4_pmax(m1, wasm_f32x4_abs(wasm_v128_load(x + j + 4)));
            m2 = wasm_f32x4_pmax(m2, wasm_f32x4_abs(wasm_v128_load(x + j + 8)));
            m3 = wasm_f32x4_pmax(m3, wasm_f32x4_abs(wasm_v128_load(x + j + 12)));
        }
        v128_t m = wasm_f32x4_pmax(wasm_f32x4_pmax(m0, m1), wasm_f32x4_pmax(m2, m3));
        m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 2, 3, 0, 1));
        m = wasm_f32x4_pmax(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2));
        const float amax = wasm_f32x4_extract_lane(m, 0);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        // The sign of the scale comes from the first element of that magnitude.
        const v128_t vamax = wasm_f32x4_splat(amax);
        int first = 0;
        for (;; first += 4) {
            const v128_t magnitudes = wasm_f32x4_abs(wasm_v128_load(x + first));
            const uint32_t hits = wasm_i32x4_bitmask(wasm_f32x4_eq(magnitudes, vamax));
            if (hits) {
                first += __builtin_ctz(hits);
                break;
            }
        }
        const float iscale = -127.0f / x[first];
        const v128_t vscale = wasm_f32x4_splat(iscale);
        v128_t group_sum[QK_K / 16];
        for (int g = 0; g < QK_K / 16; g++) {
            v128_t q[4];
            for (int l = 0; l < 4; l++) {
                q[l] = wasm_i32x4_trunc_sat_f32x4(
                    wasm_f32x4_nearest(wasm_f32x4_mul(vscale, wasm_v128_load(x + 16 * g + 4 * l))));
            }
            // The saturating narrow caps 128 (from 127.5 and up) at 127 like the reference; the
            // other end cannot go below -127 since the scale maps the largest magnitude to 127.
            const v128_t q8 = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(q[0], q[1]),
                                                      wasm_i16x8_narrow_i32x4(q[2], q[3]));
            wasm_v128_store(y[i].qs + 16 * g, q8);
            // the bsums count the capped values
            group_sum[g] = wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extadd_pairwise_i8x16(q8));
        }
        for (int g = 0; g < QK_K / 16; g += 4) {
            const v128_t sums =
                hs_simd128_sum4_i32x4(group_sum[g], group_sum[g + 1], group_sum[g + 2], group_sum[g + 3]);
            // |sum of 16 quants| <= 2032 fits int16
            wasm_v128_store64_lane(y[i].bsums + g, wasm_i16x8_narrow_i32x4(sums, sums), 0);
        }
        y[i].d = 1.0f / iscale;
    }
}

// ---- shared pieces ----

// Sum of the products of two 16-lane groups that share one sub-block scale, as eight i16 lanes;
// callers state why four products fit a lane. (Relaxed SIMD uses its i8 dot instead.)
#ifndef __wasm_relaxed_simd__
static inline v128_t mul_add_pair(v128_t w0, v128_t a0, v128_t w1, v128_t a1) {
    return wasm_i16x8_add(hs_simd128_mul_add_i8x16(w0, a0), hs_simd128_mul_add_i8x16(w1, a1));
}
#endif

// i16 products times a sub-block scale, widened to i32 (pairs added): one i32x4.dot_i16x8.
static inline v128_t scaled(v128_t products, const int16_t *scale) {
    return wasm_i32x4_dot_i16x8(products, wasm_v128_load16_splat(scale));
}

// acc + d * isum - dmin * imins, one super-block's contribution in float.
static inline v128_t accumulate(v128_t acc, v128_t isum, float d, v128_t imins, float dmin) {
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(d), wasm_f32x4_convert_i32x4(isum)));
    return wasm_f32x4_sub(acc, wasm_f32x4_mul(wasm_f32x4_splat(dmin), wasm_f32x4_convert_i32x4(imins)));
}

// sum over the 16 sub-blocks of 16 of bsums[j] * mins16[j] (mins as i16 lanes, 0..7 and 8..15).
static inline v128_t mins_dot(const int16_t *bsums, v128_t mins_lo, v128_t mins_hi) {
    return wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(bsums), mins_lo),
                          wasm_i32x4_dot_i16x8(wasm_v128_load(bsums + 8), mins_hi));
}

// The super-block's integer sum from codes that are the weights plus 2^shift (Q3_K: 4, Q6_K: 32),
// finished: under relaxed SIMD the codes' overcount, 2^shift * the sum over the 16 groups of scale
// * (sum of the group's activations: the bsums), taken off, and the lanes added exactly into lane
// 0. The codes' products and the overcount fall in different lanes, each up to ~2^28 (Q6_K) where
// their difference is what counts: lanes converted to float one by one would round away what
// survives the cancellation (up to 1e-3 relative on wide rows). Their i32 total is exact (|total| <
// 2^27; wrapped lanes still add up to it): it goes to float whole, in lane 0. Without relaxed SIMD
// the kernels use the signed weights, and isum is the sum already.
static inline v128_t finish_offset_codes(v128_t isum, const block_q8_K *y, const int16_t *sc, int shift) {
#ifdef __wasm_relaxed_simd__
    const v128_t overcount = wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(y->bsums), wasm_v128_load(sc)),
                                            wasm_i32x4_dot_i16x8(wasm_v128_load(y->bsums + 8), wasm_v128_load(sc + 8)));
    isum = wasm_i32x4_sub(isum, wasm_i32x4_shl(overcount, shift));
    const v128_t pairs = wasm_i32x4_add(isum, wasm_i32x4_shuffle(isum, isum, 2, 3, 0, 1));
    const v128_t total = wasm_i32x4_add(pairs, wasm_i32x4_shuffle(pairs, pairs, 1, 0, 3, 2));
    return wasm_v128_and(total, wasm_i32x4_const(-1, 0, 0, 0));
#else
    (void)y, (void)sc, (void)shift;
    return isum;
#endif
}

// The 2-bit field at bit 2*shift of each byte. A 16-bit lane shift is one native instruction where
// an 8-bit one is emulated; the bits it drags in from the neighbouring byte are masked off anyway.
static inline v128_t two_bits(v128_t packed, unsigned shift) {
    return wasm_v128_and(wasm_u16x8_shr(packed, 2 * shift), wasm_i8x16_const_splat(3));
}

// ---- Q2_K and Q3_K ----
//
// Both hold 2-bit fields (Q3_K adds a high bit from hmask) with a scale per 16 weights. A
// super-block's 256 weights come in eight parts (half h, shift s): elements 128h + 32s + 0..15
// and + 16..31, the 2-bit fields at shift s of qs[32h + 0..15] and qs[32h + 16..31], sub-blocks
// j = 8h + 2s and j + 1. The two formats differ only in what the helpers below do with the
// flag q3, a constant at each call, so the compiler emits specialised loops.
//
// Q2_K: weights 0..3 per 16 with a 4-bit scale (low nibble) and min (high nibble): two products
// per i16 lane stay within 768.

// The sub-block scales as i16 (sc) and the mins as i16 lanes (for their dot with the bsums).
static inline void unpack_scales_q2(const block_q2_K *x, int16_t sc[16], v128_t *mins_lo, v128_t *mins_hi) {
    const v128_t packed = wasm_v128_load(x->scales);
    const v128_t mins = hs_simd128_high_nibbles(packed), scales = hs_simd128_low_nibbles(packed);
    *mins_lo = wasm_u16x8_extend_low_u8x16(mins);
    *mins_hi = wasm_u16x8_extend_high_u8x16(mins);
    wasm_v128_store(sc, wasm_u16x8_extend_low_u8x16(scales));
    wasm_v128_store(sc + 8, wasm_u16x8_extend_high_u8x16(scales));
}

// Q3_K: sixteen 6-bit scales, stored + 32: low 4 bits in the nibbles of bytes 0..7, high 2 bits in
// bytes 8..11 (bit pair j/4 of byte 8 + j%4). Assembled four at a time in 32-bit words.
static inline void unpack_scales_q3(const uint8_t *packed, int16_t sc[16]) {
    uint32_t w[3];
    memcpy(w, packed, sizeof w);
    const uint32_t low4 = 0x0f0f0f0fu, low2 = 0x03030303u;
    const v128_t biased = wasm_u32x4_make((w[0] & low4) | ((w[2] & low2) << 4),
                                          (w[1] & low4) | (((w[2] >> 2) & low2) << 4),
                                          ((w[0] >> 4) & low4) | (((w[2] >> 4) & low2) << 4),
                                          ((w[1] >> 4) & low4) | (((w[2] >> 6) & low2) << 4));
    const v128_t signed_scales = wasm_i8x16_sub(biased, wasm_i8x16_const_splat(32));
    wasm_v128_store(sc, wasm_i16x8_extend_low_i8x16(signed_scales));
    wasm_v128_store(sc + 8, wasm_i16x8_extend_high_i8x16(signed_scales));
}

// Weights -4..3: the 2-bit field, minus 4 where the hmask bit is clear. Two products per i16 lane
// stay within 1024. Part (half, shift) takes hmask bit 4 * half + shift.
// Under relaxed SIMD the codes 0..7 (the field plus 4 where the bit is set: weight + 4), whose
// overcount finish_offset_codes takes off once per super-block.
static inline void decode_part_q3(v128_t q0, v128_t q1, v128_t h0, v128_t h1, unsigned half, unsigned shift,
                                  v128_t *w0, v128_t *w1) {
#ifdef __wasm_relaxed_simd__
    // hmask bit k of each byte moved to bit 2 (16-bit shifts: what they drag in from the
    // neighbouring byte is masked off)
    const unsigned k = 4 * half + shift;
    const v128_t four = wasm_i8x16_const_splat(4);
    const v128_t set0 = wasm_v128_and(k >= 2 ? wasm_u16x8_shr(h0, k - 2) : wasm_i16x8_shl(h0, 2 - k), four);
    const v128_t set1 = wasm_v128_and(k >= 2 ? wasm_u16x8_shr(h1, k - 2) : wasm_i16x8_shl(h1, 2 - k), four);
    *w0 = wasm_v128_or(two_bits(q0, shift), set0);
    *w1 = wasm_v128_or(two_bits(q1, shift), set1);
#else
    const v128_t four = wasm_i8x16_const_splat(4);
    const v128_t bit = wasm_i8x16_splat((int8_t)(1u << (4 * half + shift)));
    const v128_t set0 = wasm_i8x16_eq(wasm_v128_and(h0, bit), bit);
    const v128_t set1 = wasm_i8x16_eq(wasm_v128_and(h1, bit), bit);
    *w0 = wasm_i8x16_sub(two_bits(q0, shift), wasm_v128_andnot(four, set0));
    *w1 = wasm_i8x16_sub(two_bits(q1, shift), wasm_v128_andnot(four, set1));
#endif
}

// A part's integer dot with its 32 activations (elements 0..15 of w0, 16..31 of w1), each
// sub-block's sum times its scale. Under relaxed SIMD the weights must be codes 0..7 (Q2_K's are;
// Q3_K's are made so), the u7 operand of an i8 dot into i16 pairs (one pmaddubsw where the SIMD128
// route takes two multiplies and an add).
static inline v128_t part_dot_small(v128_t w0, v128_t w1, const int8_t *a, const int16_t *sc) {
#ifdef __wasm_relaxed_simd__
    const v128_t p0 = hs_relaxed_dot_i8_u7_i16(wasm_v128_load(a), w0);
    const v128_t p1 = hs_relaxed_dot_i8_u7_i16(wasm_v128_load(a + 16), w1);
#else
    const v128_t p0 = hs_simd128_mul_add_i8x16(w0, wasm_v128_load(a));
    const v128_t p1 = hs_simd128_mul_add_i8x16(w1, wasm_v128_load(a + 16));
#endif
    return wasm_i32x4_add(scaled(p0, sc), scaled(p1, sc + 1));
}

// A Q2_K / Q3_K super-block's fields, unpacked once for every token that meets it.
typedef struct {
    int16_t sc[16];
    v128_t mins_lo, mins_hi; // Q2_K
    v128_t h0, h1;           // Q3_K's hmask
    const uint8_t *qs;
    hs_f16 d, dmin;
} super_k23;

static inline super_k23 super_block_k23(const void *vx, int i, bool q3) {
    super_k23 b;
    if (q3) {
        const block_q3_K *x = (const block_q3_K *)vx + i;
        unpack_scales_q3(x->scales, b.sc);
        b.h0 = wasm_v128_load(x->hmask), b.h1 = wasm_v128_load(x->hmask + 16);
        b.mins_lo = b.mins_hi = wasm_i16x8_const_splat(0);
        b.qs = x->qs, b.d = x->d, b.dmin = 0;
    } else {
        const block_q2_K *x = (const block_q2_K *)vx + i;
        unpack_scales_q2(x, b.sc, &b.mins_lo, &b.mins_hi);
        b.h0 = b.h1 = wasm_i8x16_const_splat(0);
        b.qs = x->qs, b.d = x->d, b.dmin = x->dmin;
    }
    return b;
}

// Part (half, shift)'s weights from the half's packed fields q0, q1.
static inline void decode_part_k23(const super_k23 *b, v128_t q0, v128_t q1, unsigned half, unsigned shift, bool q3,
                                   v128_t *w0, v128_t *w1) {
    if (q3) {
        decode_part_q3(q0, q1, b->h0, b->h1, half, shift, w0, w1);
    } else {
        *w0 = two_bits(q0, shift);
        *w1 = two_bits(q1, shift);
    }
}

// acc plus one token's float term for the super-block: its integer sum isum scaled (Q2_K: less
// the mins against the bsums; Q3_K: its codes' overcount off), xd and xdmin the weights' scales as
// floats; *finite turns false on an infinite or NaN scale.
static inline v128_t add_term_k23(v128_t acc, v128_t isum, const super_k23 *b, const block_q8_K *y, float xd,
                                  float xdmin, bool q3, bool *finite) {
    if (q3) {
        const float d = xd * y->d;
        *finite &= isfinite(d);
        const v128_t total = finish_offset_codes(isum, y, b->sc, 2);
        return wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(d), wasm_f32x4_convert_i32x4(total)));
    }
    const float dall = y->d * xd, dmin = y->d * xdmin;
    *finite &= isfinite(dall) && isfinite(dmin);
    return accumulate(acc, isum, dall, mins_dot(y->bsums, b->mins_lo, b->mins_hi), dmin);
}

static void vec_dot_k23_ref(int n, float *s, const void *vx, const void *vy, bool q3) {
    if (q3) hs_vec_dot_q3_K_q8_K_ref(n, s, vx, vy);
    else hs_vec_dot_q2_K_q8_K_ref(n, s, vx, vy);
}

static inline __attribute__((always_inline)) void vec_dot_k23(int n, float *s, const void *vx, const void *vy, bool q3) {
    const block_q8_K *y = vy;
    v128_t acc = wasm_f32x4_const_splat(0.0f);
    bool finite = true;
    for (int i = 0; i < n / QK_K; i++) {
        const super_k23 b = super_block_k23(vx, i, q3);
        v128_t isum = wasm_i32x4_const_splat(0);
        for (unsigned half = 0; half < 2; half++) {
            const v128_t q0 = wasm_v128_load(b.qs + 32 * half), q1 = wasm_v128_load(b.qs + 32 * half + 16);
            for (unsigned shift = 0; shift < 4; shift++) {
                const unsigned j = 8 * half + 2 * shift;
                v128_t w0, w1;
                decode_part_k23(&b, q0, q1, half, shift, q3, &w0, &w1);
                isum = wasm_i32x4_add(isum, part_dot_small(w0, w1, y[i].qs + 16 * j, b.sc + j));
            }
        }
        acc = add_term_k23(acc, isum, &b, &y[i], hs_simd128_f16_to_f32(b.d), hs_simd128_f16_to_f32(b.dmin), q3, &finite);
    }
    if (!finite) {
        vec_dot_k23_ref(n, s, vx, vy, q3);
        return;
    }
    *s = hs_simd128_hsum_f32x4(acc);
}

// Prefill (gemm_kquant): each part's weights decoded once for GEMM_TOKENS tokens; per token the
// operations are vec_dot_k23's.
static inline __attribute__((always_inline)) void gemm_step_k23(const uint8_t *xr, int i, const block_q8_K *const yt[GEMM_TOKENS],
                                                                v128_t acc[GEMM_TOKENS], bool finite[GEMM_TOKENS], bool q3) {
    const super_k23 b = super_block_k23(xr, i, q3);
    v128_t isum[GEMM_TOKENS];
    for (int t = 0; t < GEMM_TOKENS; t++) isum[t] = wasm_i32x4_const_splat(0);
    for (unsigned half = 0; half < 2; half++) {
        const v128_t q0 = wasm_v128_load(b.qs + 32 * half), q1 = wasm_v128_load(b.qs + 32 * half + 16);
        for (unsigned shift = 0; shift < 4; shift++) {
            const unsigned j = 8 * half + 2 * shift;
            v128_t w0, w1;
            decode_part_k23(&b, q0, q1, half, shift, q3, &w0, &w1);
            for (int t = 0; t < GEMM_TOKENS; t++)
                isum[t] = wasm_i32x4_add(isum[t], part_dot_small(w0, w1, yt[t][i].qs + 16 * j, b.sc + j));
        }
    }
    const float xd = hs_simd128_f16_to_f32(b.d), xdmin = hs_simd128_f16_to_f32(b.dmin);
    for (int t = 0; t < GEMM_TOKENS; t++) acc[t] = add_term_k23(acc[t], isum[t], &b, yt[t] + i, xd, xdmin, q3, &finite[t]);
}

KQUANT_GEMM(hs_gemm_q2_K_q8_K_simd128, gemm_step_k23, vec_dot_k23_ref, false)

KQUANT_GEMM(hs_gemm_q3_K_q8_K_simd128, gemm_step_k23, vec_dot_k23_ref, true)

// ---- Q4_K / Q5_K ----

// Eight 6-bit scales and mins from 12 bytes, as i16 lanes: sub-blocks 0..3 keep them in the low 6
// bits of bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7 keep their low 4 bits in the nibbles
// of bytes 8..11 and their high 2 bits in the top bits of bytes 0..3 / 4..7. Mins are returned
// repeated per 16 (lanes j/2) to meet the bsums.
static inline void unpack_scales_mins_k4(const uint8_t *packed, int16_t sc[8], v128_t *mins_lo, v128_t *mins_hi) {
    uint32_t w[3];
    memcpy(w, packed, sizeof w);
    const uint32_t low6 = 0x3f3f3f3fu, low4 = 0x0f0f0f0fu, top2 = 0x03030303u;
    const v128_t bytes = wasm_u32x4_make(w[0] & low6,                                    // scales 0..3
                                         (w[2] & low4) | (((w[0] >> 6) & top2) << 4),    // scales 4..7
                                         w[1] & low6,                                    // mins 0..3
                                         ((w[2] >> 4) & low4) | (((w[1] >> 6) & top2) << 4)); // mins 4..7
    wasm_v128_store(sc, wasm_u16x8_extend_low_u8x16(bytes));
    const v128_t mins = wasm_u16x8_extend_high_u8x16(bytes);
    *mins_lo = wasm_i16x8_shuffle(mins, mins, 0, 0, 1, 1, 2, 2, 3, 3);
    *mins_hi = wasm_i16x8_shuffle(mins, mins, 4, 4, 5, 5, 6, 6, 7, 7);
}

// One 64-element chunk c of a Q4_K / Q5_K super-block: byte l of the 32 holds element 64c + l in
// its low nibble and 64c + 32 + l in its high one (sub-blocks 2c and 2c + 1). With the fifth bits
// (Q5_K: bit 2c / 2c + 1 of qh[l]) weights reach 31: |four products| <= 15872.
typedef struct {
    v128_t lo0, lo1, hi0, hi1; // codes 0..31 of elements 64c + 0..15, 16..31, 32..47, 48..63
} chunk_k4;

static inline chunk_k4 decode_chunk_k4(const uint8_t *qs, bool five_bits, v128_t h0, v128_t h1, int c) {
    const v128_t q0 = wasm_v128_load(qs), q1 = wasm_v128_load(qs + 16);
    chunk_k4 w = {hs_simd128_low_nibbles(q0), hs_simd128_low_nibbles(q1), hs_simd128_high_nibbles(q0),
                  hs_simd128_high_nibbles(q1)};
    if (five_bits) {
        const v128_t sixteen = wasm_i8x16_const_splat(16);
        const v128_t bit_lo = wasm_i8x16_splat((int8_t)(1 << (2 * c)));
        const v128_t bit_hi = wasm_i8x16_splat((int8_t)(1 << (2 * c + 1)));
        w.lo0 = wasm_v128_or(w.lo0, wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(h0, bit_lo), bit_lo), sixteen));
        w.lo1 = wasm_v128_or(w.lo1, wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(h1, bit_lo), bit_lo), sixteen));
        w.hi0 = wasm_v128_or(w.hi0, wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(h0, bit_hi), bit_hi), sixteen));
        w.hi1 = wasm_v128_or(w.hi1, wasm_v128_and(wasm_i8x16_eq(wasm_v128_and(h1, bit_hi), bit_hi), sixteen));
    }
    return w;
}

// The chunk's integer dot with its 64 activations, each sub-block's sum times its scale.
// Under relaxed SIMD the codes (0..15 / 0..31) are the u7 operand of an i8 dot into i16 pairs
// (|two such sums| <= 15872 as above), which meets the scale in one i32x4.dot_i16x8.
static inline v128_t chunk_dot_k4(const chunk_k4 *w, const int8_t *a, const int16_t *sc2) {
#ifdef __wasm_relaxed_simd__
    const v128_t p_lo = wasm_i16x8_add(hs_relaxed_dot_i8_u7_i16(wasm_v128_load(a), w->lo0),
                                       hs_relaxed_dot_i8_u7_i16(wasm_v128_load(a + 16), w->lo1));
    const v128_t p_hi = wasm_i16x8_add(hs_relaxed_dot_i8_u7_i16(wasm_v128_load(a + 32), w->hi0),
                                       hs_relaxed_dot_i8_u7_i16(wasm_v128_load(a + 48), w->hi1));
#else
    const v128_t p_lo = mul_add_pair(w->lo0, wasm_v128_load(a), w->lo1, wasm_v128_load(a + 16));
    const v128_t p_hi = mul_add_pair(w->hi0, wasm_v128_load(a + 32), w->hi1, wasm_v128_load(a + 48));
#endif
    return wasm_i32x4_add(scaled(p_lo, sc2), scaled(p_hi, sc2 + 1));
}

// A Q4_K / Q5_K super-block's fields: d, dmin, packed scales, quants and (Q5_K) fifth bits.
typedef struct {
    hs_f16 d, dmin;
    const uint8_t *scales, *qs;
    v128_t h0, h1;
} super_k4;

static inline super_k4 super_block_k4(const void *vx, int i, bool five_bits) {
    if (five_bits) {
        const block_q5_K *x = (const block_q5_K *)vx + i;
        return (super_k4){x->d, x->dmin, x->scales, x->qs, wasm_v128_load(x->qh), wasm_v128_load(x->qh + 16)};
    }
    const block_q4_K *x = (const block_q4_K *)vx + i;
    return (super_k4){x->d, x->dmin, x->scales, x->qs, wasm_i8x16_const_splat(0), wasm_i8x16_const_splat(0)};
}

static void vec_dot_k4_ref(int n, float *s, const void *vx, const void *vy, bool five_bits) {
    if (five_bits) hs_vec_dot_q5_K_q8_K_ref(n, s, vx, vy);
    else hs_vec_dot_q4_K_q8_K_ref(n, s, vx, vy);
}

// Q4_K and Q5_K differ only in the fifth bits; the flag is a constant at each call, so the
// compiler emits two specialised loops.
static inline __attribute__((always_inline)) void vec_dot_k4(int n, float *s, const void *vx, const void *vy,
                                                             bool five_bits) {
    const block_q8_K *y = vy;
    v128_t acc = wasm_f32x4_const_splat(0.0f);
    bool finite = true;
    for (int i = 0; i < n / QK_K; i++) {
        const super_k4 b = super_block_k4(vx, i, five_bits);
        int16_t sc[8];
        v128_t mins_lo, mins_hi;
        unpack_scales_mins_k4(b.scales, sc, &mins_lo, &mins_hi);
        const v128_t imins = mins_dot(y[i].bsums, mins_lo, mins_hi);
        v128_t isum = wasm_i32x4_const_splat(0);
        for (int c = 0; c < 4; c++) {
            const chunk_k4 w = decode_chunk_k4(b.qs + 32 * c, five_bits, b.h0, b.h1, c);
            isum = wasm_i32x4_add(isum, chunk_dot_k4(&w, y[i].qs + 64 * c, sc + 2 * c));
        }
        const float d = hs_simd128_f16_to_f32(b.d) * y[i].d;
        const float dmin = hs_simd128_f16_to_f32(b.dmin) * y[i].d;
        finite &= isfinite(d) && isfinite(dmin);
        acc = accumulate(acc, isum, d, imins, dmin);
    }
    if (!finite) {
        vec_dot_k4_ref(n, s, vx, vy, five_bits);
        return;
    }
    *s = hs_simd128_hsum_f32x4(acc);
}

// Prefill (gemm_kquant): each chunk's codes decoded once for GEMM_TOKENS tokens; per token the
// operations are vec_dot_k4's.
static inline __attribute__((always_inline)) void gemm_step_k4(const uint8_t *xr, int i, const block_q8_K *const yt[GEMM_TOKENS],
                                                               v128_t acc[GEMM_TOKENS], bool finite[GEMM_TOKENS], bool five_bits) {
    const super_k4 b = super_block_k4(xr, i, five_bits);
    int16_t sc[8];
    v128_t mins_lo, mins_hi;
    unpack_scales_mins_k4(b.scales, sc, &mins_lo, &mins_hi);
    v128_t isum[GEMM_TOKENS];
    for (int t = 0; t < GEMM_TOKENS; t++) isum[t] = wasm_i32x4_const_splat(0);
    for (int c = 0; c < 4; c++) {
        const chunk_k4 w = decode_chunk_k4(b.qs + 32 * c, five_bits, b.h0, b.h1, c);
        for (int t = 0; t < GEMM_TOKENS; t++) isum[t] = wasm_i32x4_add(isum[t], chunk_dot_k4(&w, yt[t][i].qs + 64 * c, sc + 2 * c));
    }
    const float xd = hs_simd128_f16_to_f32(b.d), xdmin = hs_simd128_f16_to_f32(b.dmin);
    for (int t = 0; t < GEMM_TOKENS; t++) {
        const v128_t imins = mins_dot(yt[t][i].bsums, mins_lo, mins_hi);
        const float d = xd * yt[t][i].d, dmin = xdmin * yt[t][i].d;
        finite[t] &= isfinite(d) && isfinite(dmin);
        acc[t] = accumulate(acc[t], isum[t], d, imins, dmin);
    }
}

void hs_vec_dot_q4_K_q8_K_simd128(int n, float *s, const void *vx, const void *vy) {
    vec_dot_k4(n, s, vx, vy, false);
}

void hs_vec_dot_q5_K_q8_K_simd128(int n, float *s, const void *vx, const void *vy) {
    vec_dot_k4(n, s, vx, vy, true);
}

KQUANT_GEMM(hs_gemm_q4_K_q8_K_simd128, gemm_step_k4, vec_dot_k4_ref, false)

KQUANT_GEMM(hs_gemm_q5_K_q8_K_simd128, gemm_step_k4, vec_dot_k4_ref, true)

// ---- Q6_K ----

// Weights -32..31 with a signed 8-bit scale per 16: two products per i16 lane (<= 8192) before the
// scale, then |dot_i16x8| <= 2 * 8192 * 128 and a super-block sums to < 2^26.
//
// Each half of 128 elements: for l < 32, ql[l] holds elements l (low nibble) and 64 + l (high),
// ql[32 + l] elements 32 + l and 96 + l; qh[l] the high 2 bits of l, 32 + l, 64 + l, 96 + l.
//
// Under relaxed SIMD the codes 0..63 are the u7 operand of an i8 dot into i16 pairs (<= 16128),
// scaled like the others, and the 32 * sum(scale * activations) they overcount is taken off once
// per super-block with the Q8_K bsums. (With an i8 dot into i32 lanes and an i32 multiply by the
// scale, V8's i32x4.mul being two instructions, the mat-vec ran at 10.3 Gelem/s;
// 12.0 with this and the parts below.)
static inline v128_t group_dot_q6(v128_t w, const int8_t *a, const int16_t *scale) {
#ifdef __wasm_relaxed_simd__
    return scaled(hs_relaxed_dot_i8_u7_i16(wasm_v128_load(a), w), scale);
#else
    return scaled(hs_simd128_mul_add_i8x16(w, wasm_v128_load(a)), scale);
#endif
}

// The four 16-element groups that part (0: l = 0..15, 1: l = 16..31) of half h of a super-block
// holds: groups 8h + part, 8h + 2 + part, 8h + 4 + part, 8h + 6 + part (elements 16g .. 16g + 15,
// scale g), as the operand group_dot_q6 takes (codes 0..63 under relaxed SIMD, else -32..31).
typedef struct {
    v128_t g[4];
} part_q6;

static inline part_q6 decode_part_q6(const block_q6_K *x, int half, int part) {
    const uint8_t *ql = x->ql + 64 * half + 16 * part, *qh = x->qh + 32 * half + 16 * part;
    const v128_t m2 = wasm_i8x16_const_splat(0x30);
    const v128_t l0 = wasm_v128_load(ql), l1 = wasm_v128_load(ql + 32), h = wasm_v128_load(qh);
    // each 2-bit field of qh moved to bits 4..5 (16-bit shifts: the stray bits are masked)
    part_q6 p = {{wasm_v128_or(hs_simd128_low_nibbles(l0), wasm_v128_and(wasm_i16x8_shl(h, 4), m2)),
                  wasm_v128_or(hs_simd128_low_nibbles(l1), wasm_v128_and(wasm_i16x8_shl(h, 2), m2)),
                  wasm_v128_or(hs_simd128_high_nibbles(l0), wasm_v128_and(h, m2)),
                  wasm_v128_or(hs_simd128_high_nibbles(l1), wasm_v128_and(wasm_u16x8_shr(h, 2), m2))}};
#ifndef __wasm_relaxed_simd__
    for (int k = 0; k < 4; k++) p.g[k] = wasm_i8x16_sub(p.g[k], wasm_i8x16_const_splat(32));
#endif
    return p;
}

// The part's integer dot with its activations (a: the super-block's 256), each group times its scale.
static inline v128_t part_dot_q6(const part_q6 *p, const int8_t *a, const int16_t *sc, int half, int part) {
    const int g = 8 * half + part;
    v128_t sum = group_dot_q6(p->g[0], a + 16 * g, sc + g);
    sum = wasm_i32x4_add(sum, group_dot_q6(p->g[1], a + 16 * (g + 2), sc + g + 2));
    sum = wasm_i32x4_add(sum, group_dot_q6(p->g[2], a + 16 * (g + 4), sc + g + 4));
    return wasm_i32x4_add(sum, group_dot_q6(p->g[3], a + 16 * (g + 6), sc + g + 6));
}

static inline void scales_q6(const block_q6_K *x, int16_t sc[16]) {
    const v128_t scales = wasm_v128_load(x->scales);
    wasm_v128_store(sc, wasm_i16x8_extend_low_i8x16(scales));
    wasm_v128_store(sc + 8, wasm_i16x8_extend_high_i8x16(scales));
}

static inline __attribute__((always_inline)) void vec_dot_q6(int n, float *s, const void *vx, const void *vy) {
    const block_q6_K *x = vx;
    const block_q8_K *y = vy;
    v128_t acc = wasm_f32x4_const_splat(0.0f);
    bool finite = true;
    for (int i = 0; i < n / QK_K; i++) {
        int16_t sc[16];
        scales_q6(&x[i], sc);
        v128_t isum = wasm_i32x4_const_splat(0);
        for (int half = 0; half < 2; half++) {
            for (int part = 0; part < 2; part++) {
                const part_q6 p = decode_part_q6(&x[i], half, part);
                isum = wasm_i32x4_add(isum, part_dot_q6(&p, y[i].qs, sc, half, part));
            }
        }
        isum = finish_offset_codes(isum, &y[i], sc, 5);
        const float d = hs_simd128_f16_to_f32_branchless(x[i].d) * y[i].d;
        finite &= isfinite(d);
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(d), wasm_f32x4_convert_i32x4(isum)));
    }
    if (!finite) {
        hs_vec_dot_q6_K_q8_K_ref(n, s, vx, vy);
        return;
    }
    *s = hs_simd128_hsum_f32x4(acc);
}

void hs_vec_dot_q6_K_q8_K_simd128(int n, float *s, const void *vx, const void *vy) { vec_dot_q6(n, s, vx, vy); }

// Prefill (gemm_kquant): each part's codes decoded once for GEMM_TOKENS tokens; per token the
// operations are vec_dot_q6's.
static inline __attribute__((always_inline)) void gemm_step_q6(const uint8_t *vx, int i, const block_q8_K *const yt[GEMM_TOKENS],
                                                               v128_t acc[GEMM_TOKENS], bool finite[GEMM_TOKENS], bool flag) {
    (void)flag;
    const block_q6_K *x = (const block_q6_K *)vx + i;
    int16_t sc[16];
    scales_q6(x, sc);
    v128_t isum[GEMM_TOKENS];
    for (int t = 0; t < GEMM_TOKENS; t++) isum[t] = wasm_i32x4_const_splat(0);
    for (int half = 0; half < 2; half++) {
        for (int part = 0; part < 2; part++) {
            const part_q6 p = decode_part_q6(x, half, part);
            for (int t = 0; t < GEMM_TOKENS; t++) isum[t] = wasm_i32x4_add(isum[t], part_dot_q6(&p, yt[t][i].qs, sc, half, part));
        }
    }
    const float xd = hs_simd128_f16_to_f32_branchless(x->d);
    for (int t = 0; t < GEMM_TOKENS; t++) {
        const v128_t total = finish_offset_codes(isum[t], &yt[t][i], sc, 5);
        const float d = xd * yt[t][i].d;
        finite[t] &= isfinite(d);
        acc[t] = wasm_f32x4_add(acc[t], wasm_f32x4_mul(wasm_f32x4_splat(d), wasm_f32x4_convert_i32x4(total)));
    }
}

static void vec_dot_q6_ref(int n, float *s, const void *x, const void *y, bool flag) {
    (void)flag;
    hs_vec_dot_q6_K_q8_K_ref(n, s, x, y);
}

KQUANT_GEMM(hs_gemm_q6_K_q8_K_simd128, gemm_step_q6, vec_dot_q6_ref, false)

// ---- Q6_K on its own interleaved layout (block_q6_Kx4) ----
//
// vec_dot_q6 spends per 64 weights 17 operations decoding and 16 on the dots and their scales
// (each group of 16 a dot into i16 pairs, a dot with its scale, an add). In block_q6_Kx4 lane r of
// each decoded vector is row r's four elements, so one relaxed i32 dot against the four matching
// activations, broadcast, adds four products into lane r: a group of four rows is four dots
// started from the group's offset term, one i32 multiply by the rows' scales and an add, and its
// 64 codes decode in eleven operations. The integer sums are vec_dot_q6's (exact), and each
// super-block's float term is formed as there, so every result is vec_dot's bit for bit. Relaxed
// SIMD only: without its i32 dot, vec_dot_q6's sums in i16 lanes are the faster way (the four
// lanes a super-block leaves are then added in float, which the rows could not do alike).
// Kernel in Chromium 156 (tests/bench/browser-kernels.mjs, three alternating runs, Gelem/s, on a
// machine whose speed wandered between runs): 2048 x 2048 mat-vec 18.2 / 13.5 / 18.2 -> 20.5 /
// 21.0 / 28.0, gemm 29.7 / 18.7 / 29.3 -> 45.2 / 32.6 / 31.5; 65536 x 2048 out of DRAM 11.5 / 11.4 /
// 11.4 -> 16.3 / 16.1 / 25.9.
#ifdef __wasm_relaxed_simd__

// Per token and super-block, worked out once per call: the activations four at a time, each
// broadcast (the dots read them from memory, see block_q4_0x4's kernel); -32 * each group's sum
// (the codes are the weights plus 32), in every lane; and the scale.
// The i16 way (below) takes instead of the offsets groups 2p and 2p + 1's sums, as an i16 pair
// in every lane; each way fills only its own.
typedef struct {
    v128_t a4[QK_K / 4];
    v128_t minus_offset[QK_K / 16];
    v128_t bsum_pairs[QK_K / 32];
    float d;
} q6_act;

static inline __attribute__((always_inline)) void q6_activation(const block_q8_K *y, q6_act *act, const bool i16) {
    for (int k = 0; k < QK_K / 4; k++) act->a4[k] = wasm_v128_load32_splat(y->qs + 4 * k);
    if (i16)
        for (int p = 0; p < QK_K / 32; p++) act->bsum_pairs[p] = wasm_v128_load32_splat(&y->bsums[2 * p]);
    else
        for (int g = 0; g < QK_K / 16; g++) act->minus_offset[g] = wasm_i32x4_splat(-32 * y->bsums[g]);
    act->d = y->d;
}

// The decode's four byte masks, read once per call through a volatile: V8 rebuilds a v128
// constant from a general register with three instructions at every use, which were a third of a
// group's decode (opaque to LLVM, the values stay in locals instead).
typedef struct {
    v128_t low6, top2[3];
} q6_masks;

static volatile const uint8_t q6_mask_bytes[4] = {0x3f, 0x03, 0x0c, 0x30};

static inline q6_masks q6_masks_load(void) {
    q6_masks m;
    m.low6 = wasm_i8x16_splat((int8_t)q6_mask_bytes[0]);
    for (int k = 0; k < 3; k++) m.top2[k] = wasm_i8x16_splat((int8_t)q6_mask_bytes[1 + k]);
    return m;
}

// Group g's codes of the four rows: c[k] lane r = row r's elements 16g + 4k .. + 3 (0..63).
static inline void decode_group_q6x4(const uint8_t *q, v128_t c[4], const q6_masks *m) {
    const v128_t a = wasm_v128_load(q), b = wasm_v128_load(q + 16), d = wasm_v128_load(q + 32);
    c[0] = wasm_v128_and(a, m->low6);
    c[1] = wasm_v128_and(b, m->low6);
    c[2] = wasm_v128_and(d, m->low6);
    // the top 2 bits of each to bits 0-1, 2-3, 4-5 (16-bit shifts: the stray bits are masked)
    c[3] = wasm_v128_or(wasm_v128_or(wasm_v128_and(wasm_u16x8_shr(a, 6), m->top2[0]),
                                     wasm_v128_and(wasm_u16x8_shr(b, 4), m->top2[1])),
                        wasm_v128_and(wasm_u16x8_shr(d, 2), m->top2[2]));
}

// Lane r: acc + row r's sum of code * activation over the group (a4: its four broadcasts).
static inline v128_t group_dot_q6x4(const v128_t c[4], const v128_t *a4, v128_t acc) {
    for (int k = 0; k < 4; k++) acc = hs_relaxed_dot_i8_u7_add(a4[k], c[k], acc);
    return acc;
}

// The i16 way, for CPUs whose relaxed i32 dot is three instructions (see the Q4_0 kernel's
// hs_simd128_q4_0_dots_i16, whose timing chooses for both). Codes 0..63 times activations
// -128..127 make pairs within +-16128 and two pairs within +-32256, so two i16 dots (pmaddubsw)
// add in i16; i32x4.dot_i16x8 against the rows' scales, each in both i16 lanes of its row
// (sc_rows), then multiplies and widens at once, in place of the i32 multiply. The offset,
// -32 * scale * the group's activation sum, goes apart: one i16 dot per two groups (sc_pairs:
// row r's scales of groups 2p and 2p + 1 in its lanes; bsum_pairs: the groups' sums). Exact
// integers either way (|isum| < 2^29), so the same bits.
static inline v128_t group_dot_scaled_q6x4_i16(const v128_t c[4], const v128_t *a4, v128_t sc_rows) {
    const v128_t p0 = wasm_i16x8_add(hs_relaxed_dot_i8_u7_i16(a4[0], c[0]), hs_relaxed_dot_i8_u7_i16(a4[1], c[1]));
    const v128_t p1 = wasm_i16x8_add(hs_relaxed_dot_i8_u7_i16(a4[2], c[2]), hs_relaxed_dot_i8_u7_i16(a4[3], c[3]));
    return wasm_i32x4_add(wasm_i32x4_dot_i16x8(p0, sc_rows), wasm_i32x4_dot_i16x8(p1, sc_rows));
}

// Token groups of a pass share each decoded group of codes; a pass's activations (tokens x
// super-blocks) live on the stack up to Q6_STACK_ACTS (41 KiB), else in the thread's scratch
// (hs_simd128_scratch).
#define Q6_TOKENS 4
#define Q6_PASS_TOKENS 16
#define Q6_STACK_ACTS 32

uint64_t hs_gemm_rows4_q6_K_scratch_bytes_simd128(int n, int nt) {
    const uint64_t acts = (uint64_t)(n / QK_K) * (uint64_t)(nt < Q6_PASS_TOKENS ? nt : Q6_PASS_TOKENS);
    return acts <= Q6_STACK_ACTS ? 0 : acts * sizeof(q6_act);
}

// vec_dot's result for row r of interleaved rows (rows with an infinite or NaN scale).
static float vec_dot_rows4_q6(int n, const uint8_t *x, size_t x_row, int r, const block_q8_K *y) {
    return hs_simd128_rows4_row_dot(hs_vec_dot_q6_K_q8_K_simd128, n, x, x_row, r, HS_TYPE_Q6_K, y);
}

// Rows [0, nr) x tokens act[t] (NT of them, a literal; the first tn are stored, at s + t * s_stride).
static inline __attribute__((always_inline)) void gemm_q6x4_tokens(int nb, int nr, int NT, int tn, const uint8_t *x,
                                                                    size_t x_row, const q6_act *const act[],
                                                                    const uint8_t *const y[], float *s, size_t s_stride,
                                                                    int n, const bool i16) {
    const q6_masks masks = q6_masks_load();
    for (int r0 = 0; r0 < nr; r0 += 4) {
        const block_q6_Kx4 *xg = (const block_q6_Kx4 *)(x + (size_t)r0 * x_row);
        v128_t acc[Q6_TOKENS], finite[Q6_TOKENS];
        for (int t = 0; t < NT; t++) acc[t] = wasm_f32x4_const_splat(0.0f), finite[t] = wasm_i32x4_const_splat(-1);
        for (int i = 0; i < nb; i++) {
            const block_q6_Kx4 *b = xg + i;
            v128_t isum[Q6_TOKENS];
            v128_t offset[Q6_TOKENS]; // i16: the sum over groups of scale * activation sum
            for (int t = 0; t < NT; t++) isum[t] = wasm_i32x4_const_splat(0), offset[t] = isum[t];
            for (int g = 0; g < QK_K / 16; g += 2) {
                const v128_t sc = wasm_i16x8_load8x8(b->scales[g]); // groups g and g + 1, lane = row
                if (i16) {
                    const v128_t sc_pairs = wasm_i16x8_shuffle(sc, sc, 0, 4, 1, 5, 2, 6, 3, 7);
                    for (int t = 0; t < NT; t++)
                        offset[t] = wasm_i32x4_add(offset[t], wasm_i32x4_dot_i16x8(sc_pairs, act[t][i].bsum_pairs[g / 2]));
                }
                for (int h = 0; h < 2; h++) {
                    v128_t c[4];
                    decode_group_q6x4(b->q[g + h], c, &masks);
                    if (i16) {
                        const v128_t sc_rows = h ? wasm_i16x8_shuffle(sc, sc, 4, 4, 5, 5, 6, 6, 7, 7)
                                                 : wasm_i16x8_shuffle(sc, sc, 0, 0, 1, 1, 2, 2, 3, 3);
                        for (int t = 0; t < NT; t++)
                            isum[t] = wasm_i32x4_add(isum[t], group_dot_scaled_q6x4_i16(c, &act[t][i].a4[4 * (g + h)], sc_rows));
                        continue;
                    }
                    const v128_t scale = h ? wasm_i32x4_extend_high_i16x8(sc) : wasm_i32x4_extend_low_i16x8(sc);
                    for (int t = 0; t < NT; t++) {
                        const q6_act *a = &act[t][i];
                        const v128_t dot = group_dot_q6x4(c, &a->a4[4 * (g + h)], a->minus_offset[g + h]);
                        isum[t] = wasm_i32x4_add(isum[t], wasm_i32x4_mul(dot, scale));
                    }
                }
            }
            if (i16)
                for (int t = 0; t < NT; t++) isum[t] = wasm_i32x4_sub(isum[t], wasm_i32x4_shl(offset[t], 5));
            const v128_t dx = hs_simd128_f16hi_to_f32_scales(wasm_i32x4_shl(wasm_u32x4_load16x4(b->d), 16)); // exact
            for (int t = 0; t < NT; t++) {
                const v128_t d = wasm_f32x4_mul(dx, wasm_f32x4_splat(act[t][i].d)); // vec_dot's xd * yd
                finite[t] = wasm_v128_and(finite[t], wasm_f32x4_lt(wasm_f32x4_abs(d), wasm_f32x4_const_splat(INFINITY)));
                acc[t] = wasm_f32x4_add(acc[t], wasm_f32x4_mul(d, wasm_f32x4_convert_i32x4(isum[t])));
            }
        }
        for (int t = 0; t < tn; t++) {
            float *out = s + (size_t)t * s_stride + (size_t)r0;
            if (wasm_i32x4_all_true(finite[t])) {
                wasm_v128_store(out, acc[t]);
                continue;
            }
            // a scale of inf or NaN: vec_dot hands such a row to the reference
            for (int r = 0; r < 4; r++) out[r] = vec_dot_rows4_q6(n, x, x_row, r0 + r, (const block_q8_K *)y[t]);
        }
    }
}

// Token t's q6_act, from its Q8_K row y, into acts[t * nb ..) (nb = n / QK_K).
static inline __attribute__((always_inline)) void prep_token_q6(int n, int t, const void *y, void *acts, const bool i16) {
    const int nb = n / QK_K;
    q6_act *a = (q6_act *)acts + (size_t)t * (size_t)nb;
    for (int i = 0; i < nb; i++) q6_activation((const block_q8_K *)y + i, &a[i], i16);
}

// Rows [0, nr) x tokens [0, nt) (token t's q6_act at acts[t * nb ..), its row at y + t *
// y_row), in groups of Q6_TOKENS.
static inline __attribute__((always_inline)) void gemm_q6x4_groups(int nb, int nr, int nt, const uint8_t *x, size_t x_row,
                                                                    const q6_act *acts, const uint8_t *y, size_t y_row,
                                                                    float *s, size_t s_stride, int n, const bool i16) {
    for (int t0 = 0; t0 < nt; t0 += Q6_TOKENS) {
        const int tn = nt - t0 < Q6_TOKENS ? nt - t0 : Q6_TOKENS;
        const q6_act *a[Q6_TOKENS];
        const uint8_t *yt[Q6_TOKENS];
        for (int t = 0; t < Q6_TOKENS; t++) { // spare lanes repeat the group's first token
            a[t] = &acts[(size_t)(t0 + (t < tn ? t : 0)) * (size_t)nb];
            yt[t] = y + (size_t)(t0 + (t < tn ? t : 0)) * y_row;
        }
        gemm_q6x4_tokens(nb, nr, Q6_TOKENS, tn, x, x_row, a, yt, s + (size_t)t0 * s_stride, s_stride, n, i16);
    }
}

static inline __attribute__((always_inline)) void gemm_rows4_q6(int n, int nr, int nt, const void *vx, size_t x_row,
                                                                 const void *vy, size_t y_row, float *s, size_t s_stride,
                                                                 const bool i16) {
    const uint8_t *x = vx, *y = vy;
    const int nb = n / QK_K;
    if (nb == 0) { // no super-blocks: every sum is empty
        for (int t = 0; t < nt; t++) memset(s + (size_t)t * s_stride, 0, (size_t)nr * sizeof(float));
        return;
    }
    q6_act on_stack[Q6_STACK_ACTS];
    const size_t heap = (size_t)hs_gemm_rows4_q6_K_scratch_bytes_simd128(n, nt);
    q6_act *acts = heap ? hs_simd128_scratch(heap) : on_stack;
    const int pass = nt < Q6_PASS_TOKENS ? nt : Q6_PASS_TOKENS;
    for (int p0 = 0; p0 < nt; p0 += pass) {
        const int pn = nt - p0 < pass ? nt - p0 : pass;
        const uint8_t *yp = y + (size_t)p0 * y_row;
        float *sp = s + (size_t)p0 * s_stride;
        if (!acts) { // no room for the pass's activations: vec_dot row by row
            for (int t = 0; t < pn; t++)
                for (int r = 0; r < nr; r++)
                    sp[(size_t)t * s_stride + (size_t)r] = vec_dot_rows4_q6(n, x, x_row, r, (const block_q8_K *)(yp + (size_t)t * y_row));
            continue;
        }
        for (int t = 0; t < pn; t++) prep_token_q6(n, t, yp + (size_t)t * y_row, acts, i16);
        if (pn == 1) { // a literal 1, so that the inlined decode loop drops the token loop
            const q6_act *a[1] = {acts};
            const uint8_t *yt[1] = {yp};
            gemm_q6x4_tokens(nb, nr, 1, 1, x, x_row, a, yt, sp, s_stride, n, i16);
            continue;
        }
        gemm_q6x4_groups(nb, nr, pn, x, x_row, acts, yp, y_row, sp, s_stride, n, i16);
    }
}

void hs_gemm_rows4_q6_K_q8_K_simd128(int n, int nr, int nt, const void *vx, size_t x_row, const void *vy, size_t y_row,
                                     float *s, size_t s_stride) {
    gemm_rows4_q6(n, nr, nt, vx, x_row, vy, y_row, s, s_stride, false);
}

void hs_gemm_rows4_q6_K_q8_K_i16_simd128(int n, int nr, int nt, const void *vx, size_t x_row, const void *vy,
                                         size_t y_row, float *s, size_t s_stride) {
    gemm_rows4_q6(n, nr, nt, vx, x_row, vy, y_row, s, s_stride, true);
}

// ---- Q6_K's activations worked out once per matmul ----
//
// As Q4_0's (quant_simd128_legacy.c): the matmul works out every token's q6_act once
// (hs_quant_traits.prep_token, the tokens shared out over the threads) and hands the rows out on
// demand in chunks, where each call working out its own kept the rows in two fixed halves, which
// a slower vCPU left the other waiting on (Q6_K pp64 ran 1.2-1.3x faster on 2 threads than on 1).
// Layout: token t's super-block i at ((q6_act *)prep)[t * nb + i], filled for the table's way of
// forming the dots (one prep_token per way); 1424 bytes a super-block (730 KiB for 64 tokens of a
// 2048-wide row).
uint64_t hs_gemm_q6_K_prep_bytes_simd128(int n, int nt) {
    if (n <= 0 || n % QK_K != 0 || nt <= 0) return 0;
    return (uint64_t)nt * (uint64_t)(n / QK_K) * sizeof(q6_act);
}

void hs_prep_token_q6_K_simd128(int n, int nt, int t, const void *y, void *prep) {
    (void)nt;
    prep_token_q6(n, t, y, prep, false);
}

void hs_prep_token_q6_K_i16_simd128(int n, int nt, int t, const void *y, void *prep) {
    (void)nt;
    prep_token_q6(n, t, y, prep, true);
}

void hs_gemm_rows4_prep_q6_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                          size_t y_row, const void *prep, float *s, size_t s_stride) {
    gemm_q6x4_groups(n / QK_K, nr, nt, x, x_row, prep, y, y_row, s, s_stride, n, false);
}

void hs_gemm_rows4_prep_q6_K_q8_K_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                              size_t y_row, const void *prep, float *s, size_t s_stride) {
    gemm_q6x4_groups(n / QK_K, nr, nt, x, x_row, prep, y, y_row, s, s_stride, n, true);
}
#endif // __wasm_relaxed_simd__

// ---- decode ----
//
// One token: the rows in one loop with vec_dot's body inlined (a call per row had its own set-up,
// and a 768-wide row is only three super-blocks: Q4_K tg 154 -> 203, Q6_K 115 -> 123 tok/s); every
// result is vec_dot's. More tokens: the same per token.
static inline __attribute__((always_inline)) void vec_dot_q4(int n, float *s, const void *x, const void *y) {
    vec_dot_k4(n, s, x, y, false);
}

static inline __attribute__((always_inline)) void vec_dot_q5(int n, float *s, const void *x, const void *y) {
    vec_dot_k4(n, s, x, y, true);
}

static inline __attribute__((always_inline)) void vec_dot_q2(int n, float *s, const void *x, const void *y) {
    vec_dot_k23(n, s, x, y, false);
}

static inline __attribute__((always_inline)) void vec_dot_q3(int n, float *s, const void *x, const void *y) {
    vec_dot_k23(n, s, x, y, true);
}

void hs_vec_dot_q2_K_q8_K_simd128(int n, float *s, const void *x, const void *y) { vec_dot_q2(n, s, x, y); }
void hs_vec_dot_q3_K_q8_K_simd128(int n, float *s, const void *x, const void *y) { vec_dot_q3(n, s, x, y); }

#define KQUANT_GEMV(name, row_dot)                                                                                     \
    void name(int n, int nr, int nt, const void *vx, size_t x_row, const void *vy, size_t y_row, float *s,           \
              size_t s_stride) {                                                                                      \
        const uint8_t *x = vx, *y = vy;                                                                               \
        for (int t = 0; t < nt; t++)                                                                                  \
            for (int r = 0; r < nr; r++)                                                                              \
                row_dot(n, &s[(size_t)t * s_stride + (size_t)r], x + (size_t)r * x_row, y + (size_t)t * y_row);       \
    }
KQUANT_GEMV(hs_gemv_q2_K_q8_K_simd128, vec_dot_q2)
KQUANT_GEMV(hs_gemv_q3_K_q8_K_simd128, vec_dot_q3)
KQUANT_GEMV(hs_gemv_q4_K_q8_K_simd128, vec_dot_q4)
KQUANT_GEMV(hs_gemv_q5_K_q8_K_simd128, vec_dot_q5)
KQUANT_GEMV(hs_gemv_q6_K_q8_K_simd128, vec_dot_q6)

#endif // __wasm_simd128__
