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
#include "simd128_relaxed.h"

#include <emscripten.h> // emscripten_get_now: the one timing of hs_simd128_q4_0_dots_i16
#include <math.h>

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
// |w| <= 31 and |a| <= 128 give |sum of four| <= 15872. (Relaxed SIMD uses its i8 dot instead.)
#ifndef __wasm_relaxed_simd__
static inline v128_t block_dot_small(v128_t lo, v128_t hi, const int8_t *a) {
    const v128_t y0 = wasm_v128_load(a), y1 = wasm_v128_load(a + 16);
    const v128_t p = wasm_i16x8_add(hs_simd128_mul_add_i8x16(lo, y0), hs_simd128_mul_add_i8x16(hi, y1));
    return wasm_i32x4_extadd_pairwise_i16x8(p);
}
#endif

// ---- block decoders ----
//
// A weight block is decoded once into its 32 integer weights (lo: elements 0..15, hi: 16..31)
// and then met with one or more activation blocks (several tokens in gemm). What "decoded" means
// depends on the instructions at hand:
//   SIMD128: signed weights, multiplied by extmul into i16 lanes (block_dot_small's bounds);
//   relaxed SIMD: the unsigned 4/5-bit codes, the u7 operand of relaxed i8 dots that add into
//   i32 lanes, one per 16, the second accumulating onto the first (exact: codes <= 31). Where
//   the CPU has AVX-VNNI, as this Zen 5 has, Chromium 156 makes each one vpdpbusd: Q4_0 mat-vec
//   28.7-29.2 -> 32.6-32.9 Gelem/s and gemm 38-39 -> 45 against i16 pair dots (pmaddubsw) added and
//   widened once per block (which had beaten i32 dots per 16 on an AVX2 EPYC without VNNI: gemm
//   14.4 -> 21.4); without VNNI V8 lowers the i32 dot to pmaddubsw + pmaddwd, the cost of that
//   older route. The format's offset (Q4_0: 8, Q5_0: 16) is taken off once per activation block:
//   sum((q - o) * a) = sum(q * a) - sum(o * a).
// Q8_0 and IQ4_NL weights use all eight bits: they take the SIMD128 route where a block meets an
// activation only once (vec_dot); their mat-vec and gemm move the activations' signs onto the
// weights instead (see split_activation). (Tried for them: both sides
// widened to i16 once where a block meets four rows or tokens, then i32x4.dot_i16x8: Q8_0 gemm
// +26 % in Node 20, but in Chromium 156 8.1 Gelem/s against 8.7-9.0 without it and IQ4_NL 6.9
// against 10.4-12.3.)
typedef struct {
    v128_t lo, hi;
} weights32;

#ifdef __wasm_relaxed_simd__
#define CODES_UNSIGNED 1 // decoders return codes, offset separate
#else
#define CODES_UNSIGNED 0
#endif

static inline weights32 decode_q4_0(const void *vx) {
    weights32 w;
    unpack_nibbles(((const block_q4_0 *)vx)->qs, &w.lo, &w.hi);
    if (!CODES_UNSIGNED) {
        const v128_t eight = wasm_i8x16_const_splat(8);
        w.lo = wasm_i8x16_sub(w.lo, eight);
        w.hi = wasm_i8x16_sub(w.hi, eight);
    }
    return w;
}

static inline weights32 decode_q4_1(const void *vx) {
    weights32 w;
    unpack_nibbles(((const block_q4_1 *)vx)->qs, &w.lo, &w.hi);
    return w;
}

// Q5 codes nibble | fifth bit << 4 in 0..31; with minus16 (Q5_0's signed weights) code - 16,
// formed as nibble - 16 where the bit is clear.
static inline weights32 decode_five_bits(const uint8_t *qs, const uint8_t qh[4], bool minus16) {
    weights32 w;
    v128_t lo_set, hi_set;
    unpack_nibbles(qs, &w.lo, &w.hi);
    unpack_fifth_bits(qh, &lo_set, &hi_set);
    const v128_t sixteen = wasm_i8x16_const_splat(16);
    if (minus16) {
        w.lo = wasm_i8x16_sub(w.lo, wasm_v128_andnot(sixteen, lo_set));
        w.hi = wasm_i8x16_sub(w.hi, wasm_v128_andnot(sixteen, hi_set));
    } else {
        w.lo = wasm_v128_or(w.lo, wasm_v128_and(lo_set, sixteen));
        w.hi = wasm_v128_or(w.hi, wasm_v128_and(hi_set, sixteen));
    }
    return w;
}

static inline weights32 decode_q5_0(const void *vx) {
    const block_q5_0 *x = vx;
    return decode_five_bits(x->qs, x->qh, !CODES_UNSIGNED);
}

static inline weights32 decode_q5_1(const void *vx) {
    const block_q5_1 *x = vx;
    return decode_five_bits(x->qs, x->qh, false);
}

static inline weights32 decode_q8_0(const void *vx) {
    const block_q8_0 *x = vx;
    return (weights32){wasm_v128_load(x->qs), wasm_v128_load(x->qs + 16)};
}

static inline weights32 decode_iq4_nl(const void *vx) {
    weights32 w;
    unpack_nibbles(((const block_iq4_nl *)vx)->qs, &w.lo, &w.hi);
    const v128_t levels = wasm_v128_load(hs_kvalues_iq4nl);
    w.lo = wasm_i8x16_swizzle(levels, w.lo);
    w.hi = wasm_i8x16_swizzle(levels, w.hi);
    return w;
}

// How a decoded block meets the 32 int8 activations of an activation block (whose quants follow
// its f16 header of header bytes): the integer dot as four i32 lanes.
typedef enum {
    DOT_SMALL, // |w| <= 31 (or codes 0..31 under relaxed SIMD)
    DOT_LEVELS, // IQ4_NL levels: |w| <= 127, two products per i16 lane
    DOT_FULL,  // Q8_0: any bytes, -128 * -128 included
} dot_kind;

// i16 (relaxed SIMD, DOT_SMALL): the two halves' i16 pair sums added in i16 and widened once, as
// Q4_0's interleaved kernel does where the relaxed i32 dot is slow (codes 0..31 against -128..127:
// pairs within +-7936, two within +-15872); the same integers, so the same bits.
static inline v128_t decoded_dot(weights32 w, const int8_t *a, dot_kind kind, const bool i16) {
    const v128_t y0 = wasm_v128_load(a), y1 = wasm_v128_load(a + 16);
    switch (kind) {
    case DOT_SMALL:
#ifdef __wasm_relaxed_simd__
        if (i16)
            return wasm_i32x4_extadd_pairwise_i16x8(
                wasm_i16x8_add(hs_relaxed_dot_i8_u7_i16(y0, w.lo), hs_relaxed_dot_i8_u7_i16(y1, w.hi)));
        return hs_relaxed_dot_i8_u7_add(y1, w.hi, hs_relaxed_dot_i8_u7_add(y0, w.lo, wasm_i32x4_const_splat(0)));
#else
        (void)i16;
        return block_dot_small(w.lo, w.hi, a);
#endif
    case DOT_LEVELS:
        return wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(hs_simd128_mul_add_i8x16(w.lo, y0)),
                              wasm_i32x4_extadd_pairwise_i16x8(hs_simd128_mul_add_i8x16(w.hi, y1)));
    case DOT_FULL:
    default:
        return wasm_i32x4_add(hs_simd128_dot_i8x16(w.lo, y0), hs_simd128_dot_i8x16(w.hi, y1));
    }
}

// ---- Q8_0 and IQ4_NL under relaxed SIMD: the activations' signs moved onto the weights ----
//
// Neither operand (Q8_0 weights or IQ4_NL levels, -127..113, and Q8_0 activations) fits the
// relaxed dot's u7 side, so each activation block is split once into
// its magnitudes |a| (0..127) and sign masks, and every weight vector that meets it takes the
// signs, (w ^ neg) - neg = w * sign(a), before one relaxed dot: three operations per 16 products
// where DOT_FULL takes five, the split itself shared by the four rows (mat-vec) or the tile's rows
// (gemm) that read the block. In Chromium 156 on this Zen 5 (tests/bench/browser-kernels.mjs,
// relaxed build): mat-vec 15.9 -> 27.9 GB/s from L2 and 12.0 -> 15.9 from a 17 MiB matrix, gemm
// 20 -> 28 Gelem/s; IQ4_NL mat-vec 11.7 -> 21.0 Gelem/s from L2, 10.3 -> 16.3 from 9 MiB, gemm
// 17-18.5 -> 22-25. (Node 20 had measured the mirror image, |w| * (sign(w) * a), slower.)
// Two values break it: an activation of -128 (|a| = 128 is not u7: x86 reads it as 128, an ARM
// sdot as -128) and a Q8_0 weight of -128 (its negation wraps). Neither occurs in a quantized file
// or in our activations (both quantizers stay within -127..127), so the kernels keep probes for
// them and hand what holds one to the reference, as they do an infinite scale.
#ifdef __wasm_relaxed_simd__
#define Q8_SIGN_SPLIT 1
#else
#define Q8_SIGN_SPLIT 0
#endif

// Whether a format's blocks take the split: the 8-bit weights of Q8_0 and IQ4_NL's levels.
static inline bool sign_split(dot_kind kind) { return Q8_SIGN_SPLIT && kind != DOT_SMALL; }

typedef struct {
    v128_t mag[2], neg[2]; // elements 0..15, 16..31
} split_act;

// *mag_probe or's in the magnitudes: a high bit set there means some activation was -128.
static inline split_act split_activation(const int8_t *a, v128_t *mag_probe) {
    split_act sa;
    for (int h = 0; h < 2; h++) {
        const v128_t v = wasm_v128_load(a + 16 * h);
        sa.mag[h] = wasm_i8x16_abs(v);
        sa.neg[h] = wasm_i8x16_lt(v, wasm_i8x16_const_splat(0));
        *mag_probe = wasm_v128_or(*mag_probe, sa.mag[h]);
    }
    return sa;
}

// i16 lanes of 1, read through a volatile: split_dot's pmaddwd operand, made once per call (a
// literal would be rebuilt at every use, and the relaxed i32 dot rebuilds its own each time).
// Each such constant has a static volatile of its own (here and in the other kernels' constant
// loaders): one helper splatting a volatile local was miscompiled by clang 14, whose wasm backend
// folded the splats into v128.load32_splat of one reused stack slot after all its stores, so
// every constant came out as the last (test_quant_simd fails 40038 checks with it).
static volatile const int16_t i16_one = 1;

static inline v128_t i16_ones(void) { return wasm_i16x8_splat(i16_one); }

// The block's integer dot, four i32 lanes, for weights whose -128s the caller probes
// (weight_probe below). i16 (where the relaxed i32 dot is slow, hs_simd128_q4_0_dots_i16): the
// same sums as i16 pairs (|w| <= 127 times |a| <= 127: within +-32258, no saturation), widened
// against ones: three instructions a half where V8's i32 dot without AVX-VNNI takes five.
static inline v128_t split_dot(weights32 w, const split_act *sa, const bool i16, v128_t ones) {
    const v128_t lo = wasm_i8x16_sub(wasm_v128_xor(w.lo, sa->neg[0]), sa->neg[0]);
    const v128_t hi = wasm_i8x16_sub(wasm_v128_xor(w.hi, sa->neg[1]), sa->neg[1]);
#ifdef __wasm_relaxed_simd__
    if (i16)
        return wasm_i32x4_add(wasm_i32x4_dot_i16x8(hs_relaxed_dot_i8_u7_i16(lo, sa->mag[0]), ones),
                              wasm_i32x4_dot_i16x8(hs_relaxed_dot_i8_u7_i16(hi, sa->mag[1]), ones));
    return hs_relaxed_dot_i8_u7_add(hi, sa->mag[1], hs_relaxed_dot_i8_u7_add(lo, sa->mag[0], wasm_i32x4_const_splat(0)));
#else // not called (Q8_SIGN_SPLIT 0); the same sum by plain SIMD128
    (void)i16, (void)ones;
    return wasm_i32x4_add(hs_simd128_dot_i8x16(lo, sa->mag[0]), hs_simd128_dot_i8x16(hi, sa->mag[1]));
#endif
}

// ---- Q8_0's gemm widened to i16 ----
//
// The gemm can also take Q8_0's blocks widened to i16, weights once per row and block for the
// tile's four tokens, activations once per block for its rows: i32x4.dot_i16x8_s (pmaddwd) then
// sums pairs of exact products, and no value needs the sign split or its -128 probes. Per row,
// token and block: four dots and three adds, where the split takes four sign operations and two
// relaxed dots (three instructions each without AVX-VNNI) and the plain SIMD128 build's DOT_FULL
// ten. Kernel bench in Chromium 156 on Zen 4, 2048 x 2048 gemm: relaxed 15.9 -> 19.2 Gelem/s,
// SIMD128 16.2 -> 19.4. The plain build takes it always; the relaxed build where the relaxed i32
// dot is slow (hs_simd128_q4_0_dots_i16's timing), as with a 4-byte dot the split is the fewer
// instructions. The same exact integers, so the same bits.
static inline v128_t wide_dot(const v128_t w16[4], const v128_t a16[4]) {
    return wasm_i32x4_add(wasm_i32x4_add(wasm_i32x4_dot_i16x8(w16[0], a16[0]), wasm_i32x4_dot_i16x8(w16[1], a16[1])),
                          wasm_i32x4_add(wasm_i32x4_dot_i16x8(w16[2], a16[2]), wasm_i32x4_dot_i16x8(w16[3], a16[3])));
}

// Running minimum of the weights: -128 in a lane when some weight was.
static inline v128_t weight_probe(v128_t probe, weights32 w) {
    return wasm_i8x16_min(probe, wasm_i8x16_min(w.lo, w.hi));
}

static inline bool split_probes_hit(v128_t mag_probe, v128_t weight_min) {
    return wasm_i8x16_bitmask(mag_probe) != 0 || wasm_v128_any_true(wasm_i8x16_eq(weight_min, wasm_i8x16_const_splat(-128)));
}

// offset * (sum of the 32 activations), as four i32 lanes: what unsigned codes overcount.
static inline v128_t offset_dot(const int8_t *a, int offset) {
#ifdef __wasm_relaxed_simd__
    const v128_t o = wasm_i8x16_splat((int8_t)offset);
    return hs_relaxed_dot_i8_u7_add(wasm_v128_load(a + 16), o,
                                    hs_relaxed_dot_i8_u7_add(wasm_v128_load(a), o, wasm_i32x4_const_splat(0)));
#else
    (void)a;
    (void)offset;
    return wasm_i32x4_const_splat(0);
#endif
}

// Everything a kernel needs to know about its format.
typedef struct {
    weights32 (*decode)(const void *x);
    dot_kind kind;
    int offset;     // subtracted from unsigned codes (relaxed SIMD only; 0 where codes are the weights)
    size_t x_block, y_block;
    size_t y_quants; // where an activation block's int8 quants start (after d, or d and s)
    bool with_min;  // Q4_1 / Q5_1: x has a min m after d, y a sum s after d
    bool int_first; // the reference's order of the float products, see vec_dot_blocks
    hs_vec_dot_fn reference;
    hs_type type; // for its interleaved layout (hs_rows4_row)
} block_format;

// The integer dot of one weight block with one activation block.
static inline v128_t block_dot(const block_format *f, const uint8_t *xb, const uint8_t *yb) {
    const int8_t *a = (const int8_t *)(yb + f->y_quants);
    const v128_t dot = decoded_dot(f->decode(xb), a, f->kind, false);
    return CODES_UNSIGNED && f->offset ? wasm_i32x4_sub(dot, offset_dot(a, f->offset)) : dot;
}

// ---- one row times one activation row ----

// Every x block starts with its f16 scale d (and Q4_1/Q5_1 follow it with the min m); every
// activation block starts with d (Q8_1 follows it with s = d * sum). Four blocks per step: their
// integer sums are scaled in one f32x4. int_first picks the reference's order of the float
// products ((isum * dx) * dy for Q4_0, (dx * dy) * isum for the others), so that short rows give
// the reference's bits.
static inline __attribute__((always_inline)) void vec_dot_blocks(int n, float *s, const void *vx, const void *vy,
                                                                  const block_format f) {
    const uint8_t *x = vx, *y = vy;
    const size_t x_stride = f.x_block, y_stride = f.y_block;
    const int nb = n / 32;
    v128_t acc = wasm_f32x4_const_splat(0.0f), probe = wasm_i32x4_const_splat(0);
    int i = 0;
    for (; i + 4 <= nb; i += 4) {
        const uint8_t *xb = x + (size_t)i * x_stride, *yb = y + (size_t)i * y_stride;
        const v128_t isum = wasm_f32x4_convert_i32x4(hs_simd128_sum4_i32x4(
            block_dot(&f, xb, yb), block_dot(&f, xb + x_stride, yb + y_stride),
            block_dot(&f, xb + 2 * x_stride, yb + 2 * y_stride), block_dot(&f, xb + 3 * x_stride, yb + 3 * y_stride)));
        const v128_t dx = hs_simd128_gather_f16x4(xb, x_stride, &probe);
        const v128_t dy = hs_simd128_gather_f16x4(yb, y_stride, &probe);
        v128_t term = f.int_first ? wasm_f32x4_mul(wasm_f32x4_mul(isum, dx), dy) : wasm_f32x4_mul(wasm_f32x4_mul(dx, dy), isum);
        if (f.with_min) {
            const v128_t mx = hs_simd128_gather_f16x4(xb + 2, x_stride, &probe);
            const v128_t sy = hs_simd128_gather_f16x4(yb + 2, y_stride, &probe);
            term = wasm_f32x4_add(term, wasm_f32x4_mul(mx, sy));
        }
        acc = wasm_f32x4_add(acc, term);
    }
    if (hs_simd128_probe_hit(probe)) { // an infinite or NaN scale: let the reference say what it gives
        f.reference(n, s, vx, vy);
        return;
    }
    float tail = 0.0f;
    for (; i < nb; i++) {
        const uint8_t *xb = x + (size_t)i * x_stride, *yb = y + (size_t)i * y_stride;
        const float isum = (float)hs_simd128_hsum_i32x4(block_dot(&f, xb, yb));
        const float dx = hs_simd128_f16_to_f32(((const hs_f16 *)xb)[0]), dy = hs_simd128_f16_to_f32(((const hs_f16 *)yb)[0]);
        float term = f.int_first ? isum * dx * dy : (dx * dy) * isum;
        if (f.with_min) term += hs_simd128_f16_to_f32(((const hs_f16 *)xb)[1]) * hs_simd128_f16_to_f32(((const hs_f16 *)yb)[1]);
        tail += term;
    }
    *s = hs_simd128_hsum_f32x4(acc) + tail;
}

// ---- many rows times many activation rows (prefill) ----

#define GEMM_TOKENS 4 // one f32x4 lane per token
#define GEMM_ROWS 16  // rows whose running sums are kept while a block column is walked

// The f16 at byte off of four rows (activation rows of four tokens, or four weight rows), as
// f32x4 (finite only; see hs_simd128_gather_f16x4's probe).
static inline v128_t gather4_f16(const uint8_t *const p[4], size_t off, v128_t *probe) {
    v128_t v = wasm_i32x4_const_splat(0);
    v = wasm_v128_load16_lane(p[0] + off, v, 1);
    v = wasm_v128_load16_lane(p[1] + off, v, 3);
    v = wasm_v128_load16_lane(p[2] + off, v, 5);
    v = wasm_v128_load16_lane(p[3] + off, v, 7);
    *probe = wasm_u32x4_max(*probe, wasm_i32x4_shl(v, 1));
    return hs_simd128_f16hi_to_f32_finite(v);
}

// Where row r's block b is: rows one after the other, or interleaved in groups of four
// (hs_interleave_rows4: a group holds block 0 of its four rows, then block 1, ...).
static inline const uint8_t *block_at(const uint8_t *x, size_t x_row, int r, int b, size_t x_block, bool rows4) {
    if (!rows4) return x + (size_t)r * x_row + (size_t)b * x_block;
    return x + (size_t)(r & ~3) * x_row + ((size_t)b * 4 + (size_t)(r & 3)) * x_block;
}

// The reference's result for row r of interleaved rows (a row with an infinite or NaN scale).
static float reference_rows4(int n, const uint8_t *x, size_t x_row, int r, const uint8_t *y, const block_format f) {
    return hs_simd128_rows4_row_dot(f.reference, n, x, x_row, r, f.type, y);
}

// These decode kernels do not read ahead (HS_TOUCH_AHEAD in quant_simd128.h): in Chromium 156 on
// a 65536 x 2048 mat-vec out of DRAM (three alternating runs), two touches per step of four
// blocks gave Q4_0 11.3-12.2 GB/s against 17.7-18.3 without, Q8_0 8.7-15.3 against 13.0-19.7.
// (On 12-04, in Node, they had helped: Q4_0 3.0-3.8 -> 4.4 GB/s.)

// What gemv_rows4 needs of each activation block whatever the weight rows: its scale d (and Q8_1's
// s) converted, and the offset formats' overcount, worked out once per call rather than once per
// group of four rows. Up to GEMV_MAX_BLOCKS blocks (rows of 16384 elements; 16 KiB of stack);
// wider rows work them out per group.
#define GEMV_MAX_BLOCKS 512
typedef struct {
    v128_t overcount; // the whole block's, in every lane: one subtraction for four rows
    float d, s;
} act_block;

static inline act_block activation_block(const uint8_t *yb, const block_format *f) {
    act_block ab;
    const int8_t *a = (const int8_t *)(yb + f->y_quants);
    ab.overcount = CODES_UNSIGNED && f->offset ? wasm_i32x4_splat(hs_simd128_hsum_i32x4(offset_dot(a, f->offset)))
                                               : wasm_i32x4_const_splat(0);
    ab.d = hs_simd128_f16_to_f32(((const hs_f16 *)yb)[0]); // exact, inf too
    ab.s = f->with_min ? hs_simd128_f16_to_f32(((const hs_f16 *)yb)[1]) : 0.0f;
    return ab;
}

// A block's term for four interleaved rows (lane = row) and one activation block: their integer
// dots (lane r: row r's), the rows' scales dx (and mins mx), in the reference's operand order.
static inline v128_t rows4_term(v128_t dots, const act_block *ab, v128_t dx, v128_t mx, const block_format *f) {
    if (CODES_UNSIGNED && f->offset) dots = wasm_i32x4_sub(dots, ab->overcount);
    const v128_t isum = wasm_f32x4_convert_i32x4(dots);
    const v128_t dy = wasm_f32x4_splat(ab->d);
    v128_t term = f->int_first ? wasm_f32x4_mul(wasm_f32x4_mul(isum, dx), dy) : wasm_f32x4_mul(wasm_f32x4_mul(dx, dy), isum);
    if (f->with_min) term = wasm_f32x4_add(term, wasm_f32x4_mul(mx, wasm_f32x4_splat(ab->s)));
    return term;
}

// One activation row (decode) on interleaved rows: four weight rows at a time, lane r holding
// row r's running sum, reading the group's bytes in order. Each block's four integer dots are
// reduced into one i32x4 (lane = row) and meet the four rows' scales at once, with the
// reference's float operations in its order: bit for bit the reference's result. The activation
// block is read once for the four rows, and no row needs a horizontal sum of its own. (On rows one
// after the other the same loop reads four streams at once, which the prefetchers do not follow:
// Q8_0 fell to a third from DRAM. There vec_dot runs row by row.)
static inline __attribute__((always_inline)) void gemv_rows4(int n, int nr, const uint8_t *x, size_t x_row,
                                                              const uint8_t *y, float *s, const block_format f,
                                                              const bool i16) {
    const int nb = n / 32;
    act_block acts[GEMV_MAX_BLOCKS];
    const bool precomputed = nb <= GEMV_MAX_BLOCKS;
    const v128_t ones = i16_ones();
    for (int b = 0; precomputed && b < nb; b++) acts[b] = activation_block(y + (size_t)b * f.y_block, &f);
    for (int r0 = 0; r0 < nr; r0 += 4) {
        const uint8_t *xr[4]; // block 0 of each row; block b is 4 * b blocks further
        for (int r = 0; r < 4; r++) xr[r] = block_at(x, x_row, r0 + r, 0, f.x_block, true);
        v128_t acc = wasm_f32x4_const_splat(0.0f), probe = wasm_i32x4_const_splat(0);
        v128_t mag_probe = wasm_i8x16_const_splat(0), weight_min = wasm_i8x16_const_splat(0);
        for (int b = 0; b < nb; b++) {
            const uint8_t *yb = y + (size_t)b * f.y_block;
            const int8_t *a = (const int8_t *)(yb + f.y_quants);
            const act_block ab = precomputed ? acts[b] : activation_block(yb, &f);
            const size_t xo = (size_t)b * 4 * f.x_block;
            v128_t d0, d1, d2, d3;
            if (sign_split(f.kind)) {
                const split_act sa = split_activation(a, &mag_probe);
                const weights32 w0 = f.decode(xr[0] + xo), w1 = f.decode(xr[1] + xo);
                const weights32 w2 = f.decode(xr[2] + xo), w3 = f.decode(xr[3] + xo);
                if (f.kind == DOT_FULL) { // IQ4_NL's levels hold no -128
                    weight_min = weight_probe(weight_probe(weight_min, w0), w1);
                    weight_min = weight_probe(weight_probe(weight_min, w2), w3);
                }
                d0 = split_dot(w0, &sa, i16, ones), d1 = split_dot(w1, &sa, i16, ones);
                d2 = split_dot(w2, &sa, i16, ones), d3 = split_dot(w3, &sa, i16, ones);
            } else {
                d0 = decoded_dot(f.decode(xr[0] + xo), a, f.kind, i16), d1 = decoded_dot(f.decode(xr[1] + xo), a, f.kind, i16);
                d2 = decoded_dot(f.decode(xr[2] + xo), a, f.kind, i16), d3 = decoded_dot(f.decode(xr[3] + xo), a, f.kind, i16);
            }
            const v128_t dx = gather4_f16(xr, xo, &probe);
            const v128_t mx = f.with_min ? gather4_f16(xr, xo + 2, &probe) : wasm_f32x4_const_splat(0.0f);
            acc = wasm_f32x4_add(acc, rows4_term(hs_simd128_sum4_i32x4(d0, d1, d2, d3), &ab, dx, mx, &f));
        }
        // a weight scale of inf / NaN, or a -128 the sign split cannot take: the reference says what it gives
        if (hs_simd128_probe_hit(probe) || (sign_split(f.kind) && split_probes_hit(mag_probe, weight_min))) {
            for (int r = 0; r < 4; r++) s[r0 + r] = reference_rows4(n, x, x_row, r0 + r, y, f);
        } else {
            wasm_v128_store(s + r0, acc);
        }
    }
}

// Several activation rows (prefill) on interleaved rows, for the small-weight formats (Q4_1, Q5_0,
// Q5_1; Q4_0 has its own layout, below): gemv_rows4 with a loop over tokens inside the block loop. A group of four rows has
// its block decoded and its four scales converted once, then meets each token of a group of up to
// ROWS4_TOKENS: per token, its two activation vectors feed all four rows' dots, and the results
// come out with lane = row. Each token's steps are gemv_rows4's, so each result is bit for bit the
// reference's. Against gemm_blocks (one row x four tokens per pass: the activations loaded again
// for every row, a weight scale converted per row, per block) about a third fewer operations per
// product. The tokens' activation blocks are worked out once per token group (act_block).
// Q8_0 and IQ4_NL stay with gemm_blocks: their sign split is shared by a tile's 16 rows there.
#define ROWS4_TOKENS 16
#define ROWS4_ACTS 2048 // act_blocks on the stack (64 KiB): rows up to 4096 elements take 16 tokens a group

static inline __attribute__((always_inline)) bool gemm_rows4_small(int n, int nr, int nt, const uint8_t *x, size_t x_row,
                                                                    const uint8_t *y, size_t y_row, float *s,
                                                                    size_t s_stride, const block_format f, const bool i16) {
    const int nb = n / 32;
    int group = nb > 0 ? ROWS4_ACTS / nb : ROWS4_TOKENS;
    if (group > ROWS4_TOKENS) group = ROWS4_TOKENS;
    if (group < 4) return false; // rows too long for the stack: gemm_blocks
    act_block acts[ROWS4_ACTS];
    for (int t0 = 0; t0 < nt; t0 += group) {
        const int tn = nt - t0 < group ? nt - t0 : group;
        for (int t = 0; t < tn; t++)
            for (int b = 0; b < nb; b++) acts[t * nb + b] = activation_block(y + (size_t)(t0 + t) * y_row + (size_t)b * f.y_block, &f);
        for (int r0 = 0; r0 < nr; r0 += 4) {
            const uint8_t *xr[4]; // block 0 of each row; block b is 4 * b blocks further
            for (int r = 0; r < 4; r++) xr[r] = block_at(x, x_row, r0 + r, 0, f.x_block, true);
            v128_t acc[ROWS4_TOKENS];
            for (int t = 0; t < tn; t++) acc[t] = wasm_f32x4_const_splat(0.0f);
            v128_t probe = wasm_i32x4_const_splat(0);
            for (int b = 0; b < nb; b++) {
                const size_t xo = (size_t)b * 4 * f.x_block;
                const weights32 w0 = f.decode(xr[0] + xo), w1 = f.decode(xr[1] + xo);
                const weights32 w2 = f.decode(xr[2] + xo), w3 = f.decode(xr[3] + xo);
                const v128_t dx = gather4_f16(xr, xo, &probe);
                const v128_t mx = f.with_min ? gather4_f16(xr, xo + 2, &probe) : wasm_f32x4_const_splat(0.0f);
                const int8_t *a = (const int8_t *)(y + (size_t)t0 * y_row + (size_t)b * f.y_block + f.y_quants);
                const act_block *ab = &acts[b];
                for (int t = 0; t < tn; t++, a += y_row, ab += nb) {
                    const v128_t dots = hs_simd128_sum4_i32x4(decoded_dot(w0, a, f.kind, i16), decoded_dot(w1, a, f.kind, i16),
                                                              decoded_dot(w2, a, f.kind, i16), decoded_dot(w3, a, f.kind, i16));
                    acc[t] = wasm_f32x4_add(acc[t], rows4_term(dots, ab, dx, mx, &f));
                }
            }
            const bool special = hs_simd128_probe_hit(probe); // a weight scale of inf / NaN
            for (int t = 0; t < tn; t++) {
                float *out = s + (size_t)(t0 + t) * s_stride + (size_t)r0;
                if (!special) {
                    wasm_v128_store(out, acc[t]);
                    continue;
                }
                for (int r = 0; r < 4; r++) out[r] = reference_rows4(n, x, x_row, r0 + r, y + (size_t)(t0 + t) * y_row, f);
            }
        }
    }
    return true;
}

// Several activation rows (prefill), on rows one after the other or interleaved (rows4). Blocks
// are walked in order and lane t of a row's f32x4 accumulates token t's terms one block at a
// time, each term formed with the reference's operations in the reference's order: every result
// is bit for bit the reference's (and vec_dot_blocks's up to its four-lane summation).
// For each block the four tokens' activations are read once for up to GEMM_ROWS rows, and each
// row's weight block is decoded once for four tokens.
static inline __attribute__((always_inline)) void gemm_blocks(int n, int nr, int nt, const void *vx, size_t x_row,
                                                               const void *vy, size_t y_row, float *s, size_t s_stride,
                                                               const block_format f, bool rows4, bool i16_in) {
    const uint8_t *x = vx, *y = vy;
    const bool wide = i16_in && f.kind == DOT_FULL;
    if (nt == 1) {
        if (rows4) gemv_rows4(n, nr, x, x_row, y, s, f, i16_in);
        else for (int r = 0; r < nr; r++) vec_dot_blocks(n, &s[r], x + (size_t)r * x_row, y, f);
        return;
    }
    const v128_t ones = i16_ones();
    if (rows4 && f.kind == DOT_SMALL && gemm_rows4_small(n, nr, nt, x, x_row, y, y_row, s, s_stride, f, i16_in)) return;
    const int nb = n / 32;
    // a tile of rows meets every token before the next tile: the matmul may hand over a thread's
    // whole range (gemm_whole_range), whose weights would not stay in cache across the tokens
    for (int r0 = 0; r0 < nr; r0 += GEMM_ROWS) {
        const int rn = nr - r0 < GEMM_ROWS ? nr - r0 : GEMM_ROWS;
        for (int t0 = 0; t0 < nt; t0 += GEMM_TOKENS) {
            const int tn = nt - t0 < GEMM_TOKENS ? nt - t0 : GEMM_TOKENS;
            const uint8_t *yt[GEMM_TOKENS];
            for (int t = 0; t < GEMM_TOKENS; t++) yt[t] = y + (size_t)(t0 + (t < tn ? t : 0)) * y_row; // spare lanes repeat token 0
            v128_t acc[GEMM_ROWS];
            for (int r = 0; r < rn; r++) acc[r] = wasm_f32x4_const_splat(0.0f);
            v128_t probe = wasm_i32x4_const_splat(0);
            v128_t mag_probe = wasm_i8x16_const_splat(0), weight_min = wasm_i8x16_const_splat(0);
            for (int b = 0; b < nb; b++) {
                const size_t yo = (size_t)b * f.y_block;
                const int8_t *a0 = (const int8_t *)(yt[0] + yo + f.y_quants), *a1 = (const int8_t *)(yt[1] + yo + f.y_quants);
                const int8_t *a2 = (const int8_t *)(yt[2] + yo + f.y_quants), *a3 = (const int8_t *)(yt[3] + yo + f.y_quants);
                const v128_t dy = gather4_f16(yt, yo, &probe);
                const v128_t sy = f.with_min ? gather4_f16(yt, yo + 2, &probe) : wasm_f32x4_const_splat(0.0f);
                const v128_t overcount =
                    CODES_UNSIGNED && f.offset ? hs_simd128_sum4_i32x4(offset_dot(a0, f.offset), offset_dot(a1, f.offset),
                                                                       offset_dot(a2, f.offset), offset_dot(a3, f.offset))
                                               : wasm_i32x4_const_splat(0);
                v128_t a16[GEMM_TOKENS][4];
                if (wide) {
                    const int8_t *at[GEMM_TOKENS] = {a0, a1, a2, a3};
                    for (int t = 0; t < GEMM_TOKENS; t++) {
                        const v128_t v0 = wasm_v128_load(at[t]), v1 = wasm_v128_load(at[t] + 16);
                        a16[t][0] = wasm_i16x8_extend_low_i8x16(v0), a16[t][1] = wasm_i16x8_extend_high_i8x16(v0);
                        a16[t][2] = wasm_i16x8_extend_low_i8x16(v1), a16[t][3] = wasm_i16x8_extend_high_i8x16(v1);
                    }
                }
                split_act sa[GEMM_TOKENS];
                if (sign_split(f.kind) && !wide) {
                    sa[0] = split_activation(a0, &mag_probe), sa[1] = split_activation(a1, &mag_probe);
                    sa[2] = split_activation(a2, &mag_probe), sa[3] = split_activation(a3, &mag_probe);
                }
                for (int r = 0; r < rn; r++) {
                    const uint8_t *xb = block_at(x, x_row, r0 + r, b, f.x_block, rows4);
                    const weights32 w = f.decode(xb);
                    v128_t isum;
                    if (wide) {
                        const v128_t w16[4] = {wasm_i16x8_extend_low_i8x16(w.lo), wasm_i16x8_extend_high_i8x16(w.lo),
                                               wasm_i16x8_extend_low_i8x16(w.hi), wasm_i16x8_extend_high_i8x16(w.hi)};
                        isum = hs_simd128_sum4_i32x4(wide_dot(w16, a16[0]), wide_dot(w16, a16[1]), wide_dot(w16, a16[2]),
                                                     wide_dot(w16, a16[3]));
                    } else if (sign_split(f.kind)) {
                        if (f.kind == DOT_FULL) weight_min = weight_probe(weight_min, w);
                        isum = hs_simd128_sum4_i32x4(split_dot(w, &sa[0], i16_in, ones), split_dot(w, &sa[1], i16_in, ones),
                                                     split_dot(w, &sa[2], i16_in, ones), split_dot(w, &sa[3], i16_in, ones));
                    } else {
                        isum = hs_simd128_sum4_i32x4(decoded_dot(w, a0, f.kind, i16_in), decoded_dot(w, a1, f.kind, i16_in),
                                                     decoded_dot(w, a2, f.kind, i16_in), decoded_dot(w, a3, f.kind, i16_in));
                    }
                    if (CODES_UNSIGNED && f.offset) isum = wasm_i32x4_sub(isum, overcount);
                    const v128_t fsum = wasm_f32x4_convert_i32x4(isum);
                    const v128_t dx = wasm_f32x4_splat(hs_simd128_f16_to_f32(((const hs_f16 *)xb)[0])); // exact, inf too
                    v128_t term = f.int_first ? wasm_f32x4_mul(wasm_f32x4_mul(fsum, dx), dy)
                                              : wasm_f32x4_mul(wasm_f32x4_mul(dx, dy), fsum);
                    if (f.with_min) {
                        const v128_t mx = wasm_f32x4_splat(hs_simd128_f16_to_f32(((const hs_f16 *)xb)[1]));
                        term = wasm_f32x4_add(term, wasm_f32x4_mul(mx, sy));
                    }
                    acc[r] = wasm_f32x4_add(acc[r], term);
                }
            }
            // an activation scale of inf / NaN, or a -128 the sign split cannot take
            const bool special = hs_simd128_probe_hit(probe) ||
                                 (sign_split(f.kind) && !wide && split_probes_hit(mag_probe, weight_min));
            for (int r = 0; r < rn; r++) {
                float lanes[GEMM_TOKENS];
                wasm_v128_store(lanes, acc[r]);
                for (int t = 0; t < tn; t++) {
                    float *out = &s[(size_t)(t0 + t) * s_stride + (size_t)(r0 + r)];
                    if (!special) *out = lanes[t];
                    else if (rows4) *out = reference_rows4(n, x, x_row, r0 + r, yt[t], f);
                    else f.reference(n, out, x + (size_t)(r0 + r) * x_row, yt[t]);
                }
            }
        }
    }
}

// ---- the formats ----

static const block_format Q4_0 = {decode_q4_0, DOT_SMALL, 8, sizeof(block_q4_0), sizeof(block_q8_0), 2, false, true,
                                  hs_vec_dot_q4_0_q8_0_ref, HS_TYPE_Q4_0};
static const block_format Q4_1 = {decode_q4_1, DOT_SMALL, 0, sizeof(block_q4_1), sizeof(block_q8_1), 4, true, false,
                                  hs_vec_dot_q4_1_q8_1_ref, HS_TYPE_Q4_1};
static const block_format Q5_0 = {decode_q5_0, DOT_SMALL, 16, sizeof(block_q5_0), sizeof(block_q8_0), 2, false, false,
                                  hs_vec_dot_q5_0_q8_0_ref, HS_TYPE_Q5_0};
static const block_format Q5_1 = {decode_q5_1, DOT_SMALL, 0, sizeof(block_q5_1), sizeof(block_q8_1), 4, true, false,
                                  hs_vec_dot_q5_1_q8_1_ref, HS_TYPE_Q5_1};
static const block_format Q8_0 = {decode_q8_0, DOT_FULL, 0, sizeof(block_q8_0), sizeof(block_q8_0), 2, false, false,
                                  hs_vec_dot_q8_0_q8_0_ref, HS_TYPE_Q8_0};
static const block_format IQ4_NL = {decode_iq4_nl, DOT_LEVELS, 0, sizeof(block_iq4_nl), sizeof(block_q8_0), 2, false,
                                    false, hs_vec_dot_iq4_nl_q8_0_ref, HS_TYPE_IQ4_NL};

// ---- Q4_0 on its own interleaved layout (block_q4_0x4) ----
//
// gemv_rows4 and gemm_rows4_small form a block's four rows' integer dots as four i32x4, one per
// row with the block's parts in its lanes, and reduce them into one with lane = row: nine shuffles
// and adds per token and block, more than the eight dots themselves. In block_q4_0x4 lane r of
// every nibble vector is row r's, so a dot adding four products per lane, against the matching
// four activations broadcast to all lanes, adds straight into lane r: eight dots per token and
// block and no reduction. Each broadcast is read from the Q8_0 activation row itself
// (v128.load32_splat, one vbroadcastss), which keeps what a 16-token group's dots read at 66
// bytes a block (the row's 34 and a 32-byte record): with the broadcasts made once per call and
// kept, 160, and a group of 2048-element rows outgrew the 32 KiB L1. Kernel bench in Chromium on
// Zen 4, three alternating pairs, gemm 16 tokens: 768 x 2048 38.4-38.7 -> 38.7-39.0 Gelem/s,
// 2048 x 768 40.6-40.9 -> 41.3-41.6; plain SIMD128 768 x 2048 13.3 -> 13.8. (An earlier version
// made each broadcast from a general register, which V8 spilled.) The integer sums are the same (exact), and each block's float term
// is formed as gemv_rows4 forms it, so every result is still bit for bit the reference's. Kernel
// in Chromium 156 on this Zen 5, 2048 x 2048: mat-vec 26-29 -> 35-40 Gelem/s, gemm (16 tokens)
// 49-52 -> 52-54.

// The four rows' codes: c[j] holds in lane r row r's elements 4j..4j+3 (j < 4: the low nibbles of
// qs vector j; j >= 4: the high nibbles of vector j - 4, elements 16 + 4(j - 4) = 4j on), which
// meet the activations' elements 4j..4j+3. Unsigned codes under relaxed SIMD, else minus 8.
typedef struct {
    v128_t c[8];
} codes_x4;

// The decode's constants, read once per call through a volatile (V8 rebuilds a v128 constant with
// three instructions at every use, and does not hoist it out of the block loop: for a mat-vec,
// nine of a block's some fifty): the nibble mask, the code offset 8 (plain SIMD128), and
// hs_simd128_f16hi_to_f32_finite's mask and 2^112.
typedef struct {
    v128_t nibble, eight, f16_bits, two_112;
} q4_0_consts;

static volatile const uint32_t q4_0_const_values[4] = {0x0f0f0f0fu, 0x08080808u, 0x8fffffffu, 0x77800000u /* 2^112 */};

static inline q4_0_consts q4_0_consts_load(void) {
    q4_0_consts k;
    k.nibble = wasm_i32x4_splat((int32_t)q4_0_const_values[0]);
    k.eight = wasm_i32x4_splat((int32_t)q4_0_const_values[1]);
    k.f16_bits = wasm_i32x4_splat((int32_t)q4_0_const_values[2]);
    k.two_112 = wasm_i32x4_splat((int32_t)q4_0_const_values[3]);
    return k;
}

static inline codes_x4 decode_q4_0x4(const block_q4_0x4 *x, const q4_0_consts *k) {
    codes_x4 w;
    for (int v = 0; v < 4; v++) {
        const v128_t packed = wasm_v128_load(x->qs + 16 * v);
        w.c[v] = wasm_v128_and(packed, k->nibble);                         // hs_simd128_low_nibbles
        w.c[4 + v] = wasm_v128_and(wasm_u16x8_shr(packed, 4), k->nibble); // hs_simd128_high_nibbles
        if (!CODES_UNSIGNED) {
            w.c[v] = wasm_i8x16_sub(w.c[v], k->eight);
            w.c[4 + v] = wasm_i8x16_sub(w.c[4 + v], k->eight);
        }
    }
    return w;
}

// The four rows' scales as f32x4 (finite only: *probe as hs_simd128_gather_f16x4's), converted as
// hs_simd128_f16hi_to_f32_finite converts.
static inline v128_t scales_x4(const block_q4_0x4 *x, v128_t *probe, const q4_0_consts *k) {
    const v128_t hi = wasm_i32x4_shl(wasm_u32x4_load16x4(x->d), 16);
    *probe = wasm_u32x4_max(*probe, wasm_i32x4_shl(hi, 1));
    return wasm_f32x4_mul(wasm_v128_and(wasm_i32x4_shr(hi, 3), k->f16_bits), k->two_112);
}

// What an activation block brings besides its bytes, worked out once per call: minus the unsigned
// codes' overcount 8 * sum(a) in every lane (the dots start from it; zero without relaxed SIMD);
// and its scale.
typedef struct {
    v128_t minus_overcount, dy;
} q4_0_act;

static inline void q4_0_activation(const uint8_t *yb, q4_0_act *act) {
    const int8_t *a = (const int8_t *)(yb + 2);
    act->minus_overcount = CODES_UNSIGNED ? wasm_i32x4_splat(-hs_simd128_hsum_i32x4(offset_dot(a, 8)))
                                          : wasm_i32x4_const_splat(0);
    act->dy = wasm_f32x4_splat(hs_simd128_f16_to_f32(((const hs_f16 *)yb)[0])); // exact, inf too
}

// Lane r: row r's integer dot with the activation block's 32 bytes a (minus the overcount). i16
// (relaxed SIMD only): by i16 pair sums, see hs_simd128_q4_0_dots_i16 below.
static inline v128_t a4(const int8_t *a, int j) { return wasm_v128_load32_splat(a + 4 * j); }

static inline __attribute__((always_inline)) v128_t dot_x4(const codes_x4 *w, const int8_t *a, const q4_0_act *act,
                                                            const bool i16) {
#ifdef __wasm_relaxed_simd__
    if (i16) {
        // codes 0..15 times activations -128..127: pairs within +-3840, and a lane's eight pairs
        // (two chains of four, for the adds' latency) within +-30720, inside i16; one widening
        v128_t p0 = hs_relaxed_dot_i8_u7_i16(a4(a, 0), w->c[0]), p1 = hs_relaxed_dot_i8_u7_i16(a4(a, 1), w->c[1]);
        for (int j = 2; j < 8; j += 2) {
            p0 = wasm_i16x8_add(p0, hs_relaxed_dot_i8_u7_i16(a4(a, j), w->c[j]));
            p1 = wasm_i16x8_add(p1, hs_relaxed_dot_i8_u7_i16(a4(a, j + 1), w->c[j + 1]));
        }
        return wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_add(p0, p1)), act->minus_overcount);
    }
    // four chains of two, for the dots' latency
    v128_t s[4];
    for (int j = 0; j < 4; j++) s[j] = hs_relaxed_dot_i8_u7_add(a4(a, j), w->c[j], j ? wasm_i32x4_const_splat(0) : act->minus_overcount);
    for (int j = 0; j < 4; j++) s[j] = hs_relaxed_dot_i8_u7_add(a4(a, 4 + j), w->c[4 + j], s[j]);
    return wasm_i32x4_add(wasm_i32x4_add(s[0], s[1]), wasm_i32x4_add(s[2], s[3]));
#else
    (void)i16;
    // i16 products, rows 0 and 1 in lo, 2 and 3 in hi, four lanes a row: |w| <= 8, |a| <= 128, so
    // eight products a lane stay within 8192
    v128_t lo = wasm_i16x8_const_splat(0), hi = lo;
    for (int j = 0; j < 8; j++) {
        lo = wasm_i16x8_add(lo, wasm_i16x8_extmul_low_i8x16(w->c[j], a4(a, j)));
        hi = wasm_i16x8_add(hi, wasm_i16x8_extmul_high_i8x16(w->c[j], a4(a, j)));
    }
    const v128_t lo2 = wasm_i32x4_extadd_pairwise_i16x8(lo), hi2 = wasm_i32x4_extadd_pairwise_i16x8(hi); // two lanes a row
    return wasm_i32x4_add(wasm_i32x4_shuffle(lo2, hi2, 0, 2, 4, 6), wasm_i32x4_shuffle(lo2, hi2, 1, 3, 5, 7));
#endif
}

// A block's term for the four rows, in the reference's order: (isum * dx) * dy.
static inline v128_t q4_0_term(v128_t dots, v128_t dx, v128_t dy) {
    return wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(dots), dx), dy);
}

// The activation blocks of up to Q4_0_STACK_ACTS tokens x blocks live on the stack (32 KiB);
// more in the thread's scratch (hs_simd128_scratch).
#define Q4_0_STACK_ACTS 1024

uint64_t hs_gemm_rows4_q4_0_scratch_bytes_simd128(int n, int nt) {
    const uint64_t blocks = (uint64_t)(n / 32) * (uint64_t)(nt < ROWS4_TOKENS ? nt : ROWS4_TOKENS);
    return blocks <= Q4_0_STACK_ACTS ? 0 : blocks * sizeof(q4_0_act);
}

// Tokens [0, nt) x rows [0, nr) against acts (token t's block b at acts[t * nb + b]), nt <= ROWS4_TOKENS.
static inline __attribute__((always_inline)) void gemm_q4_0x4_tokens(int nb, int nr, int nt, const uint8_t *x,
                                                                      size_t x_row, const q4_0_act *acts,
                                                                      const uint8_t *y, size_t y_row, float *s,
                                                                      size_t s_stride, int n, const bool i16,
                                                                      const q4_0_consts *k) {
    for (int r0 = 0; r0 < nr; r0 += 4) {
        const block_q4_0x4 *xg = (const block_q4_0x4 *)(x + (size_t)r0 * x_row);
        v128_t acc[ROWS4_TOKENS];
        for (int t = 0; t < nt; t++) acc[t] = wasm_f32x4_const_splat(0.0f);
        v128_t probe = wasm_i32x4_const_splat(0);
        for (int b = 0; b < nb; b++) {
            const codes_x4 w = decode_q4_0x4(xg + b, k);
            const v128_t dx = scales_x4(xg + b, &probe, k);
            const q4_0_act *ab = &acts[b];
            const int8_t *a = (const int8_t *)(y + (size_t)b * sizeof(block_q8_0) + 2); // token 0's block b
            for (int t = 0; t < nt; t++, ab += nb, a += y_row)
                acc[t] = wasm_f32x4_add(acc[t], q4_0_term(dot_x4(&w, a, ab, i16), dx, ab->dy));
        }
        const bool special = hs_simd128_probe_hit(probe); // a weight scale of inf / NaN
        for (int t = 0; t < nt; t++) {
            float *out = s + (size_t)t * s_stride + (size_t)r0;
            if (!special) {
                wasm_v128_store(out, acc[t]);
                continue;
            }
            for (int r = 0; r < 4; r++) out[r] = reference_rows4(n, x, x_row, r0 + r, y + (size_t)t * y_row, Q4_0);
        }
    }
}

// Token row y's activation blocks into acts[0, nb).
static inline void q4_0_token_activations(int nb, const uint8_t *y, q4_0_act *acts) {
    for (int b = 0; b < nb; b++) q4_0_activation(y + (size_t)b * sizeof(block_q8_0), &acts[b]);
}

static inline __attribute__((always_inline)) void gemm_rows4_q4_0(int n, int nr, int nt, const void *vx, size_t x_row,
                                                                   const void *vy, size_t y_row, float *s,
                                                                   size_t s_stride, const bool i16) {
    const uint8_t *x = vx, *y = vy;
    const int nb = n / 32;
    if (nb == 0) { // no blocks: every sum is empty
        for (int t = 0; t < nt; t++) memset(s + (size_t)t * s_stride, 0, (size_t)nr * sizeof(float));
        return;
    }
    const int group = nt < ROWS4_TOKENS ? nt : ROWS4_TOKENS;
    const q4_0_consts k = q4_0_consts_load();
    q4_0_act on_stack[Q4_0_STACK_ACTS];
    const size_t heap = (size_t)hs_gemm_rows4_q4_0_scratch_bytes_simd128(n, nt);
    q4_0_act *acts = heap ? hs_simd128_scratch(heap) : on_stack;
    int tokens = group; // a group's tokens
    if (!acts) { // no room for a whole group: one token at a time, its blocks on the stack in turn
        acts = on_stack;
        tokens = 1;
    }
    for (int t0 = 0; t0 < nt; t0 += tokens) {
        const int tn = nt - t0 < tokens ? nt - t0 : tokens;
        if (tokens == 1 && nb > Q4_0_STACK_ACTS) { // rows longer than the stack holds: the reference, row by row
            for (int r = 0; r < nr; r++) s[(size_t)t0 * s_stride + (size_t)r] = reference_rows4(n, x, x_row, r, y + (size_t)t0 * y_row, Q4_0);
            continue;
        }
        for (int t = 0; t < tn; t++) q4_0_token_activations(nb, y + (size_t)(t0 + t) * y_row, &acts[t * nb]);
        if (tn == 1) // a literal 1, so that the inlined decode loop drops the token loop
            gemm_q4_0x4_tokens(nb, nr, 1, x, x_row, acts, y + (size_t)t0 * y_row, y_row, s + (size_t)t0 * s_stride, s_stride, n, i16, &k);
        else
            gemm_q4_0x4_tokens(nb, nr, tn, x, x_row, acts, y + (size_t)t0 * y_row, y_row, s + (size_t)t0 * s_stride, s_stride, n, i16, &k);
    }
}

void hs_gemm_rows4_q4_0_q8_0_simd128(int n, int nr, int nt, const void *vx, size_t x_row, const void *vy,
                                    size_t y_row, float *s, size_t s_stride) {
    gemm_rows4_q4_0(n, nr, nt, vx, x_row, vy, y_row, s, s_stride, false);
}

// ---- Q4_0's activation blocks worked out once per matmul ----
//
// The matmul may work out every token's q4_0_act blocks once (hs_quant_traits.prep_token, its
// tokens shared out over the threads) and then hand the rows out on demand in chunks: with each
// call working out its own, the rows went to the threads in two fixed halves, and a 2-thread
// prefill waited at the end of every matmul for whichever vCPU ran slower (9.7 % of the two cores
// idle in a perf profile of Q4_0 pp64). Layout: token t's block b at ((q4_0_act *)prep)[t * nb + b],
// as gemm_rows4_q4_0 keeps them; 32 bytes per block (2 KiB per token at n = 2048).
uint64_t hs_gemm_q4_0_prep_bytes_simd128(int n, int nt) {
    if (n <= 0 || n % 32 != 0 || nt <= 0) return 0;
    return (uint64_t)nt * (uint64_t)(n / 32) * sizeof(q4_0_act);
}

void hs_prep_token_q4_0_simd128(int n, int nt, int t, const void *y, void *prep) {
    (void)nt;
    const int nb = n / 32;
    q4_0_token_activations(nb, y, (q4_0_act *)prep + (size_t)t * (size_t)nb);
}

static inline __attribute__((always_inline)) void gemm_rows4_prep_q4_0(int n, int nr, int nt, const void *vx,
                                                                        size_t x_row, const void *vy, size_t y_row,
                                                                        const void *prep, float *s, size_t s_stride,
                                                                        const bool i16) {
    const uint8_t *x = vx, *y = vy;
    const int nb = n / 32;
    const q4_0_act *acts = prep;
    const q4_0_consts k = q4_0_consts_load();
    for (int t0 = 0; t0 < nt; t0 += ROWS4_TOKENS) {
        const int tn = nt - t0 < ROWS4_TOKENS ? nt - t0 : ROWS4_TOKENS;
        gemm_q4_0x4_tokens(nb, nr, tn, x, x_row, acts + (size_t)t0 * (size_t)nb, y + (size_t)t0 * y_row, y_row,
                           s + (size_t)t0 * s_stride, s_stride, n, i16, &k);
    }
}

void hs_gemm_rows4_prep_q4_0_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                         size_t y_row, const void *prep, float *s, size_t s_stride) {
    gemm_rows4_prep_q4_0(n, nr, nt, x, x_row, y, y_row, prep, s, s_stride, false);
}

#ifdef __wasm_relaxed_simd__
// ---- Q4_0's dots by i16 pair sums ----
//
// i32x4.relaxed_dot_i8x16_i7x16_add_s is one instruction where the CPU has a 4-byte dot (x86's
// AVX-VNNI vpdpbusd, Arm's SDOT), and three elsewhere (pmaddubsw, pmaddwd, paddd: x86 without
// AVX-VNNI, which V8 asks for in its VEX form, so Zen 4 and Intel before Alder Lake among them).
// Q4_0's codes are small enough to sum a block's eight i16 pairs (i16x8.relaxed_dot_i8x16_i7x16_s,
// one pmaddubsw each) in i16 and widen once: 16 instructions a block and token instead of 24 (or
// 8 with the dot). The sums are the same integers, so results are the same bits either way.
// WebAssembly does not tell the CPU, so hs_simd128_q4_0_dots_i16 times the two once (30-150 ms). Kernel
// bench, Chromium 156 on Zen 4, 2048 x 2048: gemm 24.9 -> 37.8-38.1 Gelem/s, mat-vec 20.0 -> 26.2.
void hs_gemm_rows4_q4_0_q8_0_i16_simd128(int n, int nr, int nt, const void *vx, size_t x_row, const void *vy,
                                        size_t y_row, float *s, size_t s_stride) {
    gemm_rows4_q4_0(n, nr, nt, vx, x_row, vy, y_row, s, s_stride, true);
}

void hs_gemm_rows4_prep_q4_0_q8_0_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                             size_t y_row, const void *prep, float *s, size_t s_stride) {
    gemm_rows4_prep_q4_0(n, nr, nt, x, x_row, y, y_row, prep, s, s_stride, true);
}

// Seconds for 256 * reps block dots (64 activation blocks x 4 weight groups, reps times) one way.
// One function for both ways, so that V8 compiles them in the same tier whenever it is timed.
static volatile int32_t dots_sink;
static __attribute__((noinline)) double time_q4_0_dots(const codes_x4 *w, const int8_t *a, const q4_0_act *acts, int i16,
                                                       int reps) {
    v128_t acc = wasm_i32x4_const_splat(0);
    const double t0 = emscripten_get_now();
    if (i16) {
        for (int rep = 0; rep < reps; rep++)
            for (int i = 0; i < 64; i++)
                for (int k = 0; k < 4; k++) acc = wasm_i32x4_add(acc, dot_x4(&w[k], a + 32 * i, &acts[i], true));
    } else {
        for (int rep = 0; rep < reps; rep++)
            for (int i = 0; i < 64; i++)
                for (int k = 0; k < 4; k++) acc = wasm_i32x4_add(acc, dot_x4(&w[k], a + 32 * i, &acts[i], false));
    }
    const double t1 = emscripten_get_now();
    dots_sink += wasm_i32x4_extract_lane(acc, 0);
    return (t1 - t0) * 1e-3;
}

// The clock's step in ms: browsers coarsen performance.now() to 5 us in cross-origin isolated
// pages and to 100 us in others; Node's is finer.
static double clock_step_ms(void) {
    double t0 = emscripten_get_now(), t1;
    while ((t1 = emscripten_get_now()) == t0) {
    }
    double t2;
    while ((t2 = emscripten_get_now()) == t1) {
    }
    return t2 - t1;
}

bool hs_simd128_q4_0_dots_i16(void) {
    static codes_x4 w[4];
    static q4_0_act acts[64];
    static int8_t a[64 * 32]; // the activation blocks' bytes
    uint32_t state = 12345;
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 8; j++) w[k].c[j] = wasm_i8x16_splat((int8_t)((state = state * 1103515245u + 12345u) >> 28));
    for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 32; j++) a[32 * i + j] = (int8_t)((state = state * 1103515245u + 12345u) >> 24);
        acts[i].minus_overcount = wasm_i32x4_splat(-(int32_t)(i * 8));
        acts[i].dy = wasm_f32x4_splat(1.0f);
    }
    // Each timing long enough for some 25-45 clock steps (Zen 4: 65536 dots 120 us one way, 220 the
    // other). The first calls run in V8's baseline tier, whose spills could rank the two ways
    // otherwise, until its optimised code, compiled in the background, takes over: so the rounds go
    // on for 30 ms at least (24 rounds with a 5 us clock, 6 with a 100 us one), at most 150 ms, and
    // the fastest of each way counts.
    const double step = clock_step_ms();
    if (step > 1.0) return false; // no clock to time by
    const int reps = step <= 0.005 ? 256 : (int)(256 * (step / 0.005));
    const int min_rounds = step <= 0.005 ? 24 : 6;
    const double start = emscripten_get_now();
    double best[2] = {1e30, 1e30};
    for (int round = 0;; round++) {
        for (int i16 = 0; i16 < 2; i16++) {
            const double t = time_q4_0_dots(w, a, acts, i16, reps);
            if (t < best[i16]) best[i16] = t;
        }
        const double elapsed_ms = emscripten_get_now() - start;
        if ((round + 1 >= min_rounds && elapsed_ms >= 30.0) || elapsed_ms >= 150.0) break;
    }
    return best[1] < 0.95 * best[0]; // alike: the dot, which is the fewer instructions
}
#endif

// ---- the kernels ----

#define LEGACY_KERNELS(name, format)                                                                              \
    void hs_vec_dot_##name##_simd128(int n, float *s, const void *x, const void *y) {                             \
        vec_dot_blocks(n, s, x, y, format);                                                                        \
    }                                                                                                              \
    void hs_gemm_##name##_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, \
                                  float *s, size_t s_stride) {                                                     \
        gemm_blocks(n, nr, nt, x, x_row, y, y_row, s, s_stride, format, false, !Q8_SIGN_SPLIT);                    \
    }

// Their gemm_rows4 on the block-interleaved layout (Q4_0 has its own, above).
#define LEGACY_ROWS4_KERNEL(name, format)                                                                         \
    void hs_gemm_rows4_##name##_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,         \
                                        size_t y_row, float *s, size_t s_stride) {                                 \
        gemm_blocks(n, nr, nt, x, x_row, y, y_row, s, s_stride, format, true, !Q8_SIGN_SPLIT);                     \
    }

LEGACY_KERNELS(q4_0_q8_0, Q4_0)
LEGACY_KERNELS(q4_1_q8_1, Q4_1)
LEGACY_KERNELS(q5_0_q8_0, Q5_0)
LEGACY_KERNELS(q5_1_q8_1, Q5_1)
LEGACY_KERNELS(q8_0_q8_0, Q8_0)
LEGACY_KERNELS(iq4_nl_q8_0, IQ4_NL)
LEGACY_ROWS4_KERNEL(q4_1_q8_1, Q4_1)
LEGACY_ROWS4_KERNEL(q5_0_q8_0, Q5_0)
LEGACY_ROWS4_KERNEL(q5_1_q8_1, Q5_1)
LEGACY_ROWS4_KERNEL(q8_0_q8_0, Q8_0)
LEGACY_ROWS4_KERNEL(iq4_nl_q8_0, IQ4_NL)

#ifdef __wasm_relaxed_simd__
// The gemms with i16 dots (Q8_0 widened, see wide_dot; the small formats' i16 pair sums, see
// decoded_dot), for the table to take where the relaxed i32 dot is slow.
#define LEGACY_I16_KERNELS(name, format)                                                                          \
    void hs_gemm_##name##_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,          \
                                      size_t y_row, float *s, size_t s_stride) {                                   \
        gemm_blocks(n, nr, nt, x, x_row, y, y_row, s, s_stride, format, false, true);                             \
    }                                                                                                              \
    void hs_gemm_rows4_##name##_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,    \
                                            size_t y_row, float *s, size_t s_stride) {                             \
        gemm_blocks(n, nr, nt, x, x_row, y, y_row, s, s_stride, format, true, true);                              \
    }

LEGACY_I16_KERNELS(q4_1_q8_1, Q4_1)
LEGACY_I16_KERNELS(q5_0_q8_0, Q5_0)
LEGACY_I16_KERNELS(q5_1_q8_1, Q5_1)
LEGACY_I16_KERNELS(q8_0_q8_0, Q8_0)
// Q4_0's plain-layout gemm (its interleaved one is hs_gemm_rows4_q4_0_q8_0_i16_simd128, above)
void hs_gemm_q4_0_q8_0_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                   float *s, size_t s_stride) {
    gemm_blocks(n, nr, nt, x, x_row, y, y_row, s, s_stride, Q4_0, false, true);
}
#endif

#endif // __wasm_simd128__
