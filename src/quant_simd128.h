// Internal to the WebAssembly SIMD128 kernels (src/quant_simd128_*.c): the kernels that
// quant_simd128.c installs over the reference table, and the small vector helpers they share.
//
// Every kernel computes exactly what its reference in quant_float.c / quant_legacy.c /
// quant_kquants.c computes: integer parts bit for bit, quantizers byte for byte; only
// the order in which float partial sums are added differs (vector lanes instead of one running
// sum). Dot products whose row holds an infinite or NaN scale (or F16 value) rerun it by the
// reference, since the summation order would decide between inf and NaN. WebAssembly floats are
// IEEE binary32 with round-to-nearest-even and no flush-to-zero, so the same float operation
// gives the same bits as the scalar code.
#ifndef HEARTH_QUANT_SIMD128_H
#define HEARTH_QUANT_SIMD128_H
#ifdef __wasm_simd128__

#include <wasm_simd128.h>

#include "simd128_relaxed.h"

#include "quant_blocks.h"

// quant_simd128_float.c
void hs_vec_dot_f32_simd128(int n, float *s, const void *x, const void *y);
void hs_vec_dot_f16_simd128(int n, float *s, const void *x, const void *y);
void hs_vec_dot_bf16_simd128(int n, float *s, const void *x, const void *y);
void hs_gemm_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                             size_t s_stride);
// The same for BF16 (its scratch: hs_gemm_f16_scratch_bytes_simd128).
void hs_gemm_bf16_bf16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
uint64_t hs_gemm_f16_scratch_bytes_simd128(int n, int nt);
void hs_gemm_rows4_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                   float *s, size_t s_stride);
uint64_t hs_gemm_rows4_q4_0_scratch_bytes_simd128(int n, int nt);
// Q4_0's activation blocks worked out once per matmul (hs_quant_traits.prep_*) and its
// interleaved gemm on them (quant_simd128_legacy.c).
uint64_t hs_gemm_q4_0_prep_bytes_simd128(int n, int nt);
void hs_prep_token_q4_0_simd128(int n, int nt, int t, const void *y, void *prep);
void hs_gemm_rows4_prep_q4_0_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                         size_t y_row, const void *prep, float *s, size_t s_stride);
#ifdef __wasm_relaxed_simd__
void hs_gemm_rows4_prep_q4_0_q8_0_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                             size_t y_row, const void *prep, float *s, size_t s_stride);
// The same by i16 pair sums (quant_simd128_legacy.c), and whether it is the faster here: timed
// once, on the first call of the table (30-150 ms).
void hs_gemm_rows4_q4_0_q8_0_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                        size_t y_row, float *s, size_t s_stride);
bool hs_simd128_q4_0_dots_i16(void);
// The 32-element formats' gemms with i16 dots (quant_simd128_legacy.c: Q8_0 on widened blocks, the
// small formats by i16 pair sums), taken on the same timing.
#define HS_LEGACY_I16_DECL(name)                                                                                  \
    void hs_gemm_##name##_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,          \
                                      size_t y_row, float *s, size_t s_stride);                                    \
    void hs_gemm_rows4_##name##_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,    \
                                            size_t y_row, float *s, size_t s_stride);
HS_LEGACY_I16_DECL(q4_1_q8_1)
HS_LEGACY_I16_DECL(q5_0_q8_0)
HS_LEGACY_I16_DECL(q5_1_q8_1)
HS_LEGACY_I16_DECL(q8_0_q8_0)
void hs_gemm_q4_0_q8_0_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                   float *s, size_t s_stride);
// Q6_K's interleaved kernel the same way (quant_simd128_kquants.c), taken on the same timing.
void hs_gemm_rows4_q6_K_q8_K_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                         size_t y_row, float *s, size_t s_stride);
#endif
// F16 / BF16 activations converted once per matmul (hs_quant_traits.prep_*) and the gemms on them.
uint64_t hs_gemm_f16_prep_bytes_simd128(int n, int nt);
void hs_prep_token_f16_simd128(int n, int nt, int t, const void *y, void *prep);
void hs_prep_token_bf16_simd128(int n, int nt, int t, const void *y, void *prep);
void hs_gemm_prep_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                  const void *prep, float *s, size_t s_stride);
void hs_gemm_rows4_prep_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                        size_t y_row, const void *prep, float *s, size_t s_stride);
void hs_gemm_prep_bf16_bf16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                    const void *prep, float *s, size_t s_stride);
// The same for one token (nt 1), two rows at a time: the matmul's decode path for F16.
void hs_gemv_f16_f16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                             size_t s_stride);
// The same for rows found by hs_f16_all_finite_simd128 to hold no inf or NaN.
void hs_gemv_f16_f16_finite_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                    float *s, size_t s_stride);
bool hs_f16_all_finite_simd128(const void *data, size_t bytes);
void hs_quantize_row_f16_simd128(const float *x, void *y, int64_t k);
void hs_quantize_row_bf16_simd128(const float *x, void *y, int64_t k);
void hs_dequantize_row_f16_simd128(const void *x, float *y, int64_t k);
void hs_dequantize_row_bf16_simd128(const void *x, float *y, int64_t k);

// quant_simd128_legacy.c
void hs_quantize_row_q8_0_simd128(const float *x, void *y, int64_t k);
void hs_quantize_row_q8_1_simd128(const float *x, void *y, int64_t k);
void hs_quantize_row_q8_0_activation_simd128(const float *x, void *y, int64_t k);
void hs_quantize_row_q8_1_activation_simd128(const float *x, void *y, int64_t k);
void hs_vec_dot_q4_0_q8_0_simd128(int n, float *s, const void *x, const void *y);
void hs_gemm_q4_0_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                            size_t s_stride);
void hs_gemm_rows4_q4_0_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                  float *s, size_t s_stride);
void hs_vec_dot_q4_1_q8_1_simd128(int n, float *s, const void *x, const void *y);
void hs_gemm_q4_1_q8_1_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                            size_t s_stride);
void hs_gemm_rows4_q4_1_q8_1_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                  float *s, size_t s_stride);
void hs_vec_dot_q5_0_q8_0_simd128(int n, float *s, const void *x, const void *y);
void hs_gemm_q5_0_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                            size_t s_stride);
void hs_gemm_rows4_q5_0_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                  float *s, size_t s_stride);
void hs_vec_dot_q5_1_q8_1_simd128(int n, float *s, const void *x, const void *y);
void hs_gemm_q5_1_q8_1_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                            size_t s_stride);
void hs_gemm_rows4_q5_1_q8_1_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                  float *s, size_t s_stride);
void hs_vec_dot_q8_0_q8_0_simd128(int n, float *s, const void *x, const void *y);
void hs_gemm_q8_0_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                            size_t s_stride);
void hs_gemm_rows4_q8_0_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                  float *s, size_t s_stride);
void hs_vec_dot_iq4_nl_q8_0_simd128(int n, float *s, const void *x, const void *y);
void hs_gemm_iq4_nl_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                            size_t s_stride);
void hs_gemm_rows4_iq4_nl_q8_0_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                  float *s, size_t s_stride);

// quant_simd128_kquants.c
void hs_quantize_row_q8_K_simd128(const float *x, void *y, int64_t k);
void hs_vec_dot_q2_K_q8_K_simd128(int n, float *s, const void *x, const void *y);
void hs_vec_dot_q3_K_q8_K_simd128(int n, float *s, const void *x, const void *y);
void hs_vec_dot_q4_K_q8_K_simd128(int n, float *s, const void *x, const void *y);
void hs_vec_dot_q5_K_q8_K_simd128(int n, float *s, const void *x, const void *y);
void hs_vec_dot_q6_K_q8_K_simd128(int n, float *s, const void *x, const void *y);
void hs_gemm_q2_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
void hs_gemm_q3_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
void hs_gemm_q4_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
void hs_gemm_q5_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
// Decode (nt 1): the rows in one loop, each result vec_dot's.
void hs_gemv_q2_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
void hs_gemv_q3_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
void hs_gemv_q4_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
void hs_gemv_q5_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
void hs_gemv_q6_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
void hs_gemm_q6_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row, float *s,
                               size_t s_stride);
#ifdef __wasm_relaxed_simd__
void hs_gemm_rows4_q6_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                     float *s, size_t s_stride);
uint64_t hs_gemm_rows4_q6_K_scratch_bytes_simd128(int n, int nt);
// Q6_K's activations worked out once per matmul (hs_quant_traits.prep_*), one prep_token per way
// of forming the dots, and its interleaved gemms on them.
uint64_t hs_gemm_q6_K_prep_bytes_simd128(int n, int nt);
void hs_prep_token_q6_K_simd128(int n, int nt, int t, const void *y, void *prep);
void hs_prep_token_q6_K_i16_simd128(int n, int nt, int t, const void *y, void *prep);
void hs_gemm_rows4_prep_q6_K_q8_K_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                          size_t y_row, const void *prep, float *s, size_t s_stride);
void hs_gemm_rows4_prep_q6_K_q8_K_i16_simd128(int n, int nr, int nt, const void *x, size_t x_row, const void *y,
                                              size_t y_row, const void *prep, float *s, size_t s_stride);
#endif

// ---- f16 -> f32 ----
//
// There is no f16 arithmetic in WebAssembly. The exponent and mantissa bits of a binary16 value,
// moved up 13 places into a binary32 (em below), need only the exponent rebiased by 127 - 15 = 112:
// an integer add of 112 << 23 for normals. An f16 subnormal m * 2^-24 is formed with float
// arithmetic on normal numbers only: (em + (113 << 23)) is 2^-14 + m * 2^-24, minus 2^-14.
// (Multiplying em, an f32 subnormal, by 2^112 would be shorter, but x86 takes a microcode assist
// of ~100 cycles on every subnormal operand: random-weight Q6_K files have f16-subnormal block
// scales, and that alone halved their prefill.) Exponent 31 (inf / NaN) goes to exponent 255.

static inline float hs_simd128_f32_from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t hs_simd128_f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

// Scalar, exact (same bits as hs_f16_to_f32), for block scales and tails. Branches on the range
// (and, for subnormals, the sign): predictable where a file's scales are normal, and cheaper than
// the form below there (which slowed the Q4_K mat-vec by a third and the Q4_0 gemm by a tenth;
// even or'ing the sign in place of that last branch cost 5 %, clang then computing both paths).
static inline float hs_simd128_f16_to_f32(hs_f16 h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16, em = (uint32_t)(h & 0x7fff) << 13;
    if (em >= 0x0f800000u) return hs_simd128_f32_from_bits(sign | em | 0x70000000u); // inf / NaN
    if (em >= 0x00800000u) return hs_simd128_f32_from_bits(sign | (em + 0x38000000u));
    const float v = hs_simd128_f32_from_bits(em + 0x38800000u) - 0x1p-14f; // zero or subnormal
    return sign ? -v : v;
}

// The same without branches, for Q6_K's block scales: f16 subnormals with random signs (the
// scale of a random-weight file, and of many blocks of a real one, around the smallest f16
// normal 2^-14), on which the branches above missed often enough to cost a quarter of the
// Q6_K mat-vec. Both forms are computed and one selected; the sign is or'ed onto the magnitude,
// which gives -v exactly, -0 included.
static inline float hs_simd128_f16_to_f32_branchless(hs_f16 h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16, em = (uint32_t)(h & 0x7fff) << 13;
    const uint32_t subnormal = hs_simd128_f32_bits(hs_simd128_f32_from_bits(em + 0x38800000u) - 0x1p-14f);
    uint32_t magnitude = em >= 0x00800000u ? em + 0x38000000u : subnormal;
    magnitude = em >= 0x0f800000u ? em | 0x70000000u : magnitude; // inf / NaN
    return hs_simd128_f32_from_bits(sign | magnitude);
}

// Four lanes, each holding an f16 in its high half (h << 16, low half zero), a layout that costs
// a single shift or mask to make from packed f16s. An arithmetic shift right by 3 puts the
// exponent and mantissa 13 places up from their f16 position and smears the sign into bits
// 28..30, which the mask clears; one multiply by 2^112 rebiases the exponent and scales f16
// subnormals (f32 subnormals here) right. Unlike the scalar form this keeps the multiply: the
// subnormal-free form costs three times as much in the F16 dot product (V8 rebuilds each vector
// constant at every use), and f16 subnormals are rare among weights, unlike among Q6_K scales.
// Finite inputs only (exponent 31 comes out as a finite 2^16..).
//
// The shifted and masked bits alone, read as floats: each f16 times 2^-112 (a kernel that moves
// the multiply onto its other operand uses these; quant_simd128_float.c).
static inline v128_t hs_simd128_f16hi_to_f32_bits(v128_t hi) {
    return wasm_v128_and(wasm_i32x4_shr(hi, 3), wasm_i32x4_const_splat((int32_t)0x8fffffff));
}

// Eight packed f16s as f32 bits alone (each value times 2^-112), split into the even elements
// (shifted into the high halves first) and the odd ones (already there: the arithmetic shift moves
// them into place and the mask also clears the even neighbour's bits dragged below them). A kernel
// puts the 2^112 on its other operand (see hs_simd128_madd_exact_product).
static inline void hs_simd128_f16x8_split_scaled(v128_t h, v128_t *even, v128_t *odd) {
    *even = hs_simd128_f16hi_to_f32_bits(wasm_i32x4_shl(h, 16));
    *odd = wasm_v128_and(wasm_i32x4_shr(h, 3), wasm_i32x4_const_splat((int32_t)0x8fffe000));
}

static inline v128_t hs_simd128_f16hi_to_f32_finite(v128_t hi) {
    return wasm_f32x4_mul(hs_simd128_f16hi_to_f32_bits(hi), wasm_f32x4_const_splat(0x1p112f));
}

// The same, exact for every input: exponent 31 keeps its mantissa (NaN payload) under exponent 255.
static inline v128_t hs_simd128_f16hi_to_f32(v128_t hi) {
    const v128_t bits = hs_simd128_f16hi_to_f32_bits(hi);
    const v128_t finite = wasm_f32x4_mul(bits, wasm_f32x4_const_splat(0x1p112f));
    const v128_t special = wasm_i32x4_ge(wasm_v128_and(hi, wasm_i32x4_const_splat(0x7fffffff)),
                                         wasm_i32x4_const_splat(0x7c000000));
    const v128_t infnan = wasm_v128_or(bits, wasm_i32x4_const_splat(0x70000000));
    return wasm_v128_bitselect(infnan, finite, special);
}

// The same (exact for every input) with float arithmetic on normal numbers only, as the scalar
// forms above, for block scales: a Q6_K super-block's d (its largest group scale / 127, near
// 2^-16) is an f16 subnormal in random-weight and trained files alike, and the multiply above
// would then take x86's microcode assist on every block (the Q6_K decode in the browser ran at
// 147 tok/s with it, where its kernel's speed on normal scales predicted ~195).
static inline v128_t hs_simd128_f16hi_to_f32_scales(v128_t hi) {
    const v128_t em = wasm_u32x4_shr(wasm_i32x4_shl(hi, 1), 4); // exponent and mantissa, 13 places up
    const v128_t normal = wasm_i32x4_add(em, wasm_i32x4_const_splat(0x38000000));
    const v128_t subnormal = wasm_f32x4_sub(wasm_i32x4_add(em, wasm_i32x4_const_splat(0x38800000)),
                                            wasm_f32x4_const_splat(0x1p-14f));
    const v128_t infnan = wasm_v128_or(em, wasm_i32x4_const_splat(0x70000000));
    v128_t magnitude = wasm_v128_bitselect(subnormal, normal, wasm_u32x4_lt(em, wasm_u32x4_const_splat(0x00800000)));
    magnitude = wasm_v128_bitselect(infnan, magnitude, wasm_u32x4_ge(em, wasm_u32x4_const_splat(0x0f800000)));
    return wasm_v128_or(magnitude, wasm_v128_and(hi, wasm_i32x4_const_splat((int32_t)0x80000000)));
}

// The f16 fields at p, p + stride, p + 2*stride, p + 3*stride (the same field of four consecutive
// blocks) as four floats: one 16-bit lane load each into the high halves of zeroed lanes, then the
// finite-only conversion. Block scales are finite in any sane file, and the exact conversion
// takes twice the instructions in the hot loop, so instead *probe keeps the unsigned maximum of each lane
// shifted left once (sign dropped): at least 0xf8000000 exactly when some exponent was 31. A
// kernel checks it once at the end (hs_simd128_probe_hit) and reruns such a row by the reference.
static inline v128_t hs_simd128_gather_f16x4(const void *p, size_t stride, v128_t *probe) {
    const uint8_t *b = p;
    v128_t v = wasm_i32x4_const_splat(0);
    v = wasm_v128_load16_lane(b, v, 1);
    v = wasm_v128_load16_lane(b + stride, v, 3);
    v = wasm_v128_load16_lane(b + 2 * stride, v, 5);
    v = wasm_v128_load16_lane(b + 3 * stride, v, 7);
    *probe = wasm_u32x4_max(*probe, wasm_i32x4_shl(v, 1));
    return hs_simd128_f16hi_to_f32_finite(v);
}

static inline bool hs_simd128_probe_hit(v128_t probe) {
    return wasm_v128_any_true(wasm_u32x4_ge(probe, wasm_u32x4_const_splat(0xf8000000u)));
}

// ---- interleaved rows ----

// dot's result for row r of rows interleaved by hs_interleave_rows4 (x at row 0, x_row one row's
// bytes), on the row copied back out: for the rare row whose scale is infinite or NaN, which the
// rows4 kernels hand to the reference (or to vec_dot, where that is what their results match).
// NaN if the copy cannot be allocated.
float hs_simd128_rows4_row_dot(hs_vec_dot_fn dot, int n, const uint8_t *x, size_t x_row, int r, uint32_t type,
                               const void *y);

// ---- scratch ----

// At least `bytes` of 16-byte aligned scratch for the calling thread, or NULL: the same block on
// every call that fits in it (a larger request replaces it), held until the thread exits. The
// gemms keep their converted activations there rather than in a block allocated per call: two
// threads starting a matmul together met in malloc, and Q4_0 pp64 at 2 threads in the browser
// measured 593 / 578 / 720 / 663 tok/s with per-call blocks against 717 / 648 / 786 / 725 with
// this (alternating pairs; README, (dd)). Not for nested use.
void *hs_simd128_scratch(size_t bytes);
// Bytes of scratch the calling thread holds (0: none yet), for tests of the scratch estimate.
size_t hs_simd128_scratch_held(void);

// ---- reading ahead (decode; the F16 and BF16 gemm read their next tile the same way) ----
//
// Decode streams the weights from DRAM, which the hardware prefetchers follow only within a 4 KiB
// page, and WebAssembly has no prefetch instruction. So the F16 decode kernel loads a byte
// HS_TOUCH_AHEAD bytes ahead of where it reads and keeps computing while that line arrives; the
// bytes are summed into hs_simd128_touch_sink so that the loads are not dropped as dead code. (The
// integer kernels, with less work per line to hide a miss behind, measured slower with it; see
// quant_simd128_legacy.c.)
#define HS_TOUCH_AHEAD 16384
extern volatile uint32_t hs_simd128_touch_sink;

// The byte HS_TOUCH_AHEAD bytes past p, or *last where that is further (never past our rows).
static inline uint32_t hs_simd128_touch_ahead(const uint8_t *p, const uint8_t *last) {
    const uint8_t *ahead = p + HS_TOUCH_AHEAD;
    return *(ahead < last ? ahead : last);
}

// ---- exact products ----

// acc + a * b for a product that is exact in float (two F16 values or their 2^-112 / 2^112 scaled
// forms: 11 + 11 significant bits, in float's normal range), where the fused relaxed_madd and a
// multiply then an add give the same bits. (Not BF16: its products can underflow.)
static inline v128_t hs_simd128_madd_exact_product(v128_t a, v128_t b, v128_t acc) {
#ifdef __wasm_relaxed_simd__
    return hs_relaxed_madd_f32x4(a, b, acc);
#else
    return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b));
#endif
}

// ---- nibbles ----

// The low and the high four bits of each byte. There is no 8-bit shift on x86: V8 emulates
// i8x16.shr_u with a 16-bit shift plus a mask it rebuilds on every use, so we shift 16-bit lanes
// and mask ourselves (the bits dragged in from the neighbouring byte fall outside the mask).
static inline v128_t hs_simd128_low_nibbles(v128_t v) { return wasm_v128_and(v, wasm_i8x16_const_splat(0x0f)); }

static inline v128_t hs_simd128_high_nibbles(v128_t v) {
    return wasm_v128_and(wasm_u16x8_shr(v, 4), wasm_i8x16_const_splat(0x0f));
}

// ---- horizontal sums ----

static inline float hs_simd128_hsum_f32x4(v128_t v) {
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(v, 0);
}

static inline int32_t hs_simd128_hsum_i32x4(v128_t v) {
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    v = wasm_i32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
    return wasm_i32x4_extract_lane(v, 0);
}

// {sum(a), sum(b), sum(c), sum(d)}: four horizontal sums for the price of about one and a half,
// so that four blocks' integer dots become one vector that meets four scales at once.
static inline v128_t hs_simd128_sum4_i32x4(v128_t a, v128_t b, v128_t c, v128_t d) {
    const v128_t ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
    const v128_t cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
    return wasm_i32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

// ---- int8 products ----
//
// i16x8.extmul_{low,high}_i8x16 + i32x4.extadd_pairwise_i16x8 is at least as fast in V8 as
// widening both operands and using i32x4.dot_i16x8 (TOOLCHAIN.md), and it lets kernels whose
// products are small add several i16 product vectors before the one widening step.

// Sum of the 16 products x[i] * y[i], as eight i16 lanes (lane i: products i and i + 8). Exact
// while |x[i] * y[i]| < 2^14 for at least one of each pair, i.e. unless both operands hold -128
// in the same lanes; callers say why their operands qualify.
static inline v128_t hs_simd128_mul_add_i8x16(v128_t x, v128_t y) {
    return wasm_i16x8_add(wasm_i16x8_extmul_low_i8x16(x, y), wasm_i16x8_extmul_high_i8x16(x, y));
}

// Sum of the 16 products x[i] * y[i] for any bytes, as four i32 lanes.
static inline v128_t hs_simd128_dot_i8x16(v128_t x, v128_t y) {
    return wasm_i32x4_add(wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extmul_low_i8x16(x, y)),
                          wasm_i32x4_extadd_pairwise_i16x8(wasm_i16x8_extmul_high_i8x16(x, y)));
}

#endif // __wasm_simd128__
#endif
