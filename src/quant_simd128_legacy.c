// WebAssembly SIMD128 kernels for the 32-element block formats: Q8_0 / Q8_1 quantization in both
// of the reference's roundings (activations and weights, byte for byte) and the dot products of
// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and IQ4_NL weights with them.
//
// Dot products take four blocks per iteration: each block's integer dot is exact (see the bounds
// at each kernel), the four are reduced into one i32x4 (lane b = block b), converted to float and
// scaled with the blocks' scales gathered into vectors, in the reference's operand order, so each
// lane holds exactly the reference's per-block term (rows with an infinite or NaN scale are
// handed to the reference, see hs_simd128_gather_f16x4). Only the summation order of those terms
// differs (four lanes instead of one running sum). Leftover blocks go through the same block dot
// and the reference's scalar formula, in the reference's order, so rows of fewer than four blocks
// give the reference's result bit for bit.
#ifdef __wasm_simd128__

#include "quant_simd128.h"

// ---- Q8_0 / Q8_1 quantization ----

// 0.5 - 2^-25, the largest float below one half. For |v| < 2^23, truncating v + copysign(this, v)
// rounds half away from zero exactly like roundf: below a tie the sum stays under the next
// integer (the gap is at least an ulp of v plus 2^-25, more than half an ulp of the sum), and at
// or above a tie it reaches it (it is at most 2^-25 short, less than half an ulp there). A plain
// + 0.5 would round 0.49999997 up.
#define JUST_BELOW_HALF 0.49999997f

// q = roundf(v) for each lane, as integers.
static inline v128_t round_half_away(v128_t v) {
    const v128_t sign = wasm_v128_and(v, wasm_i32x4_const_splat((int32_t)0x80000000));
    const v128_t bias = wasm_v128_or(sign, wasm_f32x4_const_splat(JUST_BELOW_HALF));
    return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(v, bias));
}

// Largest lane by pmax. pmax(acc, v) is "acc < v ? v : acc", which keeps acc when v is NaN, as
// the reference's fmaxf(amax, fabsf(x)) does.
static inline float hmax_f32x4(v128_t v) {
    v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

// One block of 32, in either of the reference's two roundings. Returns d; *sum gets the sum of
// the quants (for Q8_1).
//   weights (quantize_block_q8, llama-quantize): d = amax / 127, q = roundf(x * (1/d));
//   activations (quantize_block_q8_activation, ggml's x86 path): q = nearest-even(x * (127/amax)),
//   which f32x4.nearest does directly; d = amax / 127.
// |x * scale| <= 127 plus an ulp or so, so the quants are within -127..127 and the saturating
// narrows below are plain truncations.
static inline float quantize_block_q8(const float *x, int8_t *qs, int *sum, bool activation) {
    v128_t v[8];
    v128_t amax = wasm_f32x4_const_splat(0.0f);
    for (int j = 0; j < 8; j++) {
        v[j] = wasm_v128_load(x + 4 * j);
        amax = wasm_f32x4_pmax(amax, wasm_f32x4_abs(v[j]));
    }
    const float a = hmax_f32x4(amax);
    const float d = a / 127.0f;
    v128_t q[8];
    if (activation) {
        const v128_t scale = wasm_f32x4_splat(a != 0.0f ? 127.0f / a : 0.0f);
        for (int j = 0; j < 8; j++) q[j] = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_f32x4_mul(v[j], scale)));
    } else {
        const v128_t scale = wasm_f32x4_splat(d != 0.0f ? 1.0f / d : 0.0f);
        for (int j = 0; j < 8; j++) q[j] = round_half_away(wasm_f32x4_mul(v[j], scale));
    }
    const v128_t q01 = wasm_i16x8_narrow_i32x4(q[0], q[1]), q23 = wasm_i16x8_narrow_i32x4(q[2], q[3]);
    const v128_t q45 = wasm_i16x8_narrow_i32x4(q[4], q[5]), q67 = wasm_i16x8_narrow_i32x4(q[6], q[7]);
    wasm_v128_store(qs, wasm_i8x16_narrow_i16x8(q01, q23));
    wasm_v128_store(qs + 16, wasm_i8x16_narrow_i16x8(q45, q67));
    if (sum) {
        const v128_t s = wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_add(q[0], q[1]), wasm_i32x4_add(q[2], q[3])),
                                        wasm_i32x4_add(wasm_i32x4_add(q[4], q[5]), wasm_i32x4_add(q[6], q[7])));
        *sum = hs_simd128_hsum_i32x4(s);
    }
    return d;
}

static inline void quantize_row_q8_0(const float *x, block_q8_0 *y, int64_t k, bool activation) {
    for (int64_t i = 0; i < k / QK8_0; i++, x += QK8_0) {
        y[i].d = hs_f32_to_f16(quantize_block_q8(x, y[i].qs, NULL, activation));
    }
}

static inline void quantize_row_q8_1(const float *x, block_q8_1 *y, int64_t k, bool activation) {
    for (int64_t i = 0; i < k / QK8_1; i++, x += QK8_1) {
        int sum;
        const float d = quantize_block_q8(x, y[i].qs, &sum, activation);
        y[i].d = hs_f32_to_f16(d);
        y[i].s = hs_f32_to_f16((float)sum * d);
    }
}

void hs_quantize_row_q8_0_simd128(const float *x, void *y, int64_t k) { quantize_row_q8_0(x, y, k, false); }
void hs_quantize_row_q8_1_simd128(const float *x, void *y, int64_t k) { quantize_row_q8_1(x, y, k, false); }
void hs_quantize_row_q8_0_activation_simd128(const float *x, void *y, int64_t k) { quantize_row_q8_0(x, y, k, true); }
void hs_quantize_row_q8_1_activation_simd128(const float *x, void *y, int64_t k) { quantize_row_q8_1(x, y, k, true); }

// ---- block unpacking ----

// The 32 four-bit values of a block: elements 0..15 (low nibbles) and 16..31 (high nibbles).
static inline void unpack_nibbles(const uint8_t *qs, v128_t *lo, v128_t *hi) {
    const v128_t packed = wasm_v128_load(qs);
    *lo = hs_simd128_low_nibbles(packed);
    *hi = hs_simd128_high_nibbles(packed);
}

// Q5's fifth bits as byte masks (0xff where set): bit j of the little-endian qh for element j.
// Each byte of qh is copied to the eight lanes it serves, then each lane tests its own bit.
static inline void unpack_fifth_bits(const uint8_t qh[4], v128_t *lo, v128_t *hi) {
    const v128_t bytes = wasm_v128_load32_splat(qh);
    const v128_t bit = wasm_u8x16_const(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
    const v128_t lo_bytes = wasm_i8x16_shuffle(bytes, bytes, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    const v128_t hi_bytes = wasm_i8x16_shuffle(bytes, bytes, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    *lo = wasm_i8x16_eq(wasm_v128_and(lo_bytes, bit), bit);
    *hi = wasm_i8x16_eq(wasm_v128_and(hi_bytes, bit), bit);
}

// Integer dot of a block's 32 weight values (lo: elements 0..15, hi: 16..31) with 32 activations,
// as four i32 lanes, for weights small enough that four products share an i16 lane:
// |w| <= 31 and |a| <= 128 give |sum of four| <= 15872.
static inline v128_t block_dot_small(v128_t lo, v128_t hi, const int8_t *a) {
    const v128_t y0 = wasm_v128_load(a), y1 = wasm_v128_load(a + 16);
    const v128_t p = wasm_i16x8_add(hs_simd128_mul_add_i8x16(lo, y0), hs_simd128_mul_add_i8x16(hi, y1));
    return wasm_i32x4_extadd_pairwise_i16x8(p);
}

// ---- the loop every legacy kernel shares ----

// Block decoders: the integer dot of one weight block with one activation block as four i32
// lanes. aux carries a per-kernel constant (IQ4_NL's level table).
typedef v128_t (*block_dot_fn)(const void *x, const void *y, v128_t aux);

// Every x block starts with its f16 scale d (and Q4_1/Q5_1 follow it with the min m); every
// activation block starts with d (Q8_1 follows it with s = d * sum). Four blocks per step: their
// integer sums are scaled in one f32x4. int_first picks the reference's order of the float
// products ((isum * dx) * dy for Q4_0, (dx * dy) * isum for the others), so that short rows give
// the reference's bits.
static inline __attribute__((always_inline)) void vec_dot_blocks(
    int n, float *s, const void *vx, const void *vy, size_t x_stride, size_t y_stride, bool with_min, bool int_first,
    block_dot_fn block_dot, v128_t aux, hs_vec_dot_fn reference) {
    const uint8_t *x = vx, *y = vy;
    const int nb = n / 32;
    v128_t acc = wasm_f32x4_const_splat(0.0f), probe = wasm_i32x4_const_splat(0);
    int i = 0;
    for (; i + 4 <= nb; i += 4) {
        const uint8_t *xb = x + (size_t)i * x_stride, *yb = y + (size_t)i * y_stride;
        const v128_t isum = wasm_f32x4_convert_i32x4(hs_simd128_sum4_i32x4(
            block_dot(xb, yb, aux), block_dot(xb + x_stride, yb + y_stride, aux),
            block_dot(xb + 2 * x_stride, yb + 2 * y_stride, aux), block_dot(xb + 3 * x_stride, yb + 3 * y_stride, aux)));
        const v128_t dx = hs_simd128_gather_f16x4(xb, x_stride, &probe);
        const v128_t dy = hs_simd128_gather_f16x4(yb, y_stride, &probe);
        v128_t term = int_first ? wasm_f32x4_mul(wasm_f32x4_mul(isum, dx), dy) : wasm_f32x4_mul(wasm_f32x4_mul(dx, dy), isum);
        if (with_min) {
            const v128_t mx = hs_simd128_gather_f16x4(xb + 2, x_stride, &probe);
            const v128_t sy = hs_simd128_gather_f16x4(yb + 2, y_stride, &probe);
            term = wasm_f32x4_add(term, wasm_f32x4_mul(mx, sy));
        }
        acc = wasm_f32x4_add(acc, term);
    }
    if (hs_simd128_probe_hit(probe)) { // an infinite or NaN scale: let the reference say what it gives
        reference(n, s, vx, vy);
        return;
    }
    float tail = 0.0f;
    for (; i < nb; i++) {
        const uint8_t *xb = x + (size_t)i * x_stride, *yb = y + (size_t)i * y_stride;
        const float isum = (float)hs_simd128_hsum_i32x4(block_dot(xb, yb, aux));
        const float dx = hs_simd128_f16_to_f32(((const hs_f16 *)xb)[0]), dy = hs_simd128_f16_to_f32(((const hs_f16 *)yb)[0]);
        float term = int_first ? isum * dx * dy : (dx * dy) * isum;
        if (with_min) term += hs_simd128_f16_to_f32(((const hs_f16 *)xb)[1]) * hs_simd128_f16_to_f32(((const hs_f16 *)yb)[1]);
        tail += term;
    }
    *s = hs_simd128_hsum_f32x4(acc) + tail;
}

// ---- the block decoders ----

// Q4_0: weights q - 8 in -8..7.
static inline v128_t block_dot_q4_0(const void *vx, const void *vy, v128_t aux) {
    (void)aux;
    const block_q4_0 *x = vx;
    v128_t lo, hi;
    unpack_nibbles(x->qs, &lo, &hi);
    const v128_t eight = wasm_i8x16_const_splat(8);
    return block_dot_small(wasm_i8x16_sub(lo, eight), wasm_i8x16_sub(hi, eight), ((const block_q8_0 *)vy)->qs);
}

// Q4_1: weights 0..15 (the min is added through the activations' sums).
static inline v128_t block_dot_q4_1(const void *vx, const void *vy, v128_t aux) {
    (void)aux;
    const block_q4_1 *x = vx;
    v128_t lo, hi;
    unpack_nibbles(x->qs, &lo, &hi);
    return block_dot_small(lo, hi, ((const block_q8_1 *)vy)->qs);
}

// Q5_0: weights (nibble | fifth bit << 4) - 16 in -16..15, formed as nibble - 16 where the bit is clear.
static inline v128_t block_dot_q5_0(const void *vx, const void *vy, v128_t aux) {
    (void)aux;
    const block_q5_0 *x = vx;
    v128_t lo, hi, lo_set, hi_set;
    unpack_nibbles(x->qs, &lo, &hi);
    unpack_fifth_bits(x->qh, &lo_set, &hi_set);
    const v128_t sixteen = wasm_i8x16_const_splat(16);
    lo = wasm_i8x16_sub(lo, wasm_v128_andnot(sixteen, lo_set));
    hi = wasm_i8x16_sub(hi, wasm_v128_andnot(sixteen, hi_set));
    return block_dot_small(lo, hi, ((const block_q8_0 *)vy)->qs);
}

// Q5_1: weights nibble | fifth bit << 4 in 0..31.
static inline v128_t block_dot_q5_1(const void *vx, const void *vy, v128_t aux) {
    (void)aux;
    const block_q5_1 *x = vx;
    v128_t lo, hi, lo_set, hi_set;
    unpack_nibbles(x->qs, &lo, &hi);
    unpack_fifth_bits(x->qh, &lo_set, &hi_set);
    const v128_t sixteen = wasm_i8x16_const_splat(16);
    lo = wasm_v128_or(lo, wasm_v128_and(lo_set, sixteen));
    hi = wasm_v128_or(hi, wasm_v128_and(hi_set, sixteen));
    return block_dot_small(lo, hi, ((const block_q8_1 *)vy)->qs);
}

// Q8_0: both operands may be -128 in a file, and two products of 2^14 overflow an i16 lane, so
// each product vector is widened on its own.
static inline v128_t block_dot_q8_0(const void *vx, const void *vy, v128_t aux) {
    (void)aux;
    const block_q8_0 *x = vx, *y = vy;
    return wasm_i32x4_add(hs_simd128_dot_i8x16(wasm_v128_load(x->qs), wasm_v128_load(y->qs)),
                          hs_simd128_dot_i8x16(wasm_v128_load(x->qs + 16), wasm_v128_load(y->qs + 16)));
}

// IQ4_NL: weights from the 16-entry level table (aux) by i8x16.swizzle, one lookup per lane. The
// levels reach -127, so only two products (<= 127 * 128 each) may share an i16 lane before widening.
static inline v128_t block_dot_iq4_nl(const void *vx, const void *vy, v128_t levels) {
    const block_iq4_nl *x = vx;
    const block_q8_0 *y = vy;
    v128_t lo, hi;
    unpack_nibbles(x->qs, &lo, &hi);
    lo = wasm_i8x16_swizzle(levels, lo);
    hi = wasm_i8x16_swizzle(levels, hi);
    const v128_t y0 = wasm_v128_load(y->qs), y1 = wasm_v128_load(y->qs + 16);
    return wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(hs_simd128_mul_add_i8x16(lo, y0)),
                          wasm_i32x4_extadd_pairwise_i16x8(hs_simd128_mul_add_i8x16(hi, y1)));
}

// ---- the kernels ----

static const v128_t NO_AUX = {0};

void hs_vec_dot_q4_0_q8_0_simd128(int n, float *s, const void *x, const void *y) {
    vec_dot_blocks(n, s, x, y, sizeof(block_q4_0), sizeof(block_q8_0), false, true, block_dot_q4_0, NO_AUX,
                   hs_vec_dot_q4_0_q8_0_ref);
}

void hs_vec_dot_q4_1_q8_1_simd128(int n, float *s, const void *x, const void *y) {
    vec_dot_blocks(n, s, x, y, sizeof(block_q4_1), sizeof(block_q8_1), true, false, block_dot_q4_1, NO_AUX,
                   hs_vec_dot_q4_1_q8_1_ref);
}

void hs_vec_dot_q5_0_q8_0_simd128(int n, float *s, const void *x, const void *y) {
    vec_dot_blocks(n, s, x, y, sizeof(block_q5_0), sizeof(block_q8_0), false, false, block_dot_q5_0, NO_AUX,
                   hs_vec_dot_q5_0_q8_0_ref);
}

void hs_vec_dot_q5_1_q8_1_simd128(int n, float *s, const void *x, const void *y) {
    vec_dot_blocks(n, s, x, y, sizeof(block_q5_1), sizeof(block_q8_1), true, false, block_dot_q5_1, NO_AUX,
                   hs_vec_dot_q5_1_q8_1_ref);
}

void hs_vec_dot_q8_0_q8_0_simd128(int n, float *s, const void *x, const void *y) {
    vec_dot_blocks(n, s, x, y, sizeof(block_q8_0), sizeof(block_q8_0), false, false, block_dot_q8_0, NO_AUX,
                   hs_vec_dot_q8_0_q8_0_ref);
}

void hs_vec_dot_iq4_nl_q8_0_simd128(int n, float *s, const void *x, const void *y) {
    vec_dot_blocks(n, s, x, y, sizeof(block_iq4_nl), sizeof(block_q8_0), false, false, block_dot_iq4_nl,
                   wasm_v128_load(hs_kvalues_iq4nl), hs_vec_dot_iq4_nl_q8_0_ref);
}

#endif // __wasm_simd128__
