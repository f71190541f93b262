// Internal to the quant kernels: ggml's block layouts (byte for byte what GGUF files hold), small
// rounding helpers, and the names of the scalar reference kernels, so that quant.c can build its
// tables and a SIMD file (src/quant_simd128_*.c) can fall back to them.
//
// All multi-byte fields are little-endian in files; like ggml we read them in place, which
// assumes a little-endian target (x86, ARM, WebAssembly).
#ifndef HEARTH_QUANT_BLOCKS_H
#define HEARTH_QUANT_BLOCKS_H

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "quant.h"

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK8_1 32
#define QK4_NL 32
#define QK_K 256
#define K_SCALE_SIZE 12 // bytes of packed 6-bit scales and mins in Q4_K / Q5_K

// ---- legacy 32-element blocks ----

typedef struct {
    hs_f16 d;             // scale: x = d * (q - 8)
    uint8_t qs[QK4_0 / 2]; // element j in the low nibble of qs[j], element j+16 in the high one
} block_q4_0;

typedef struct {
    hs_f16 d, m;           // x = d * q + m
    uint8_t qs[QK4_1 / 2];
} block_q4_1;

typedef struct {
    hs_f16 d;              // x = d * (q - 16)
    uint8_t qh[4];         // fifth bit of element j is bit j of this little-endian uint32
    uint8_t qs[QK5_0 / 2];
} block_q5_0;

typedef struct {
    hs_f16 d, m;           // x = d * q + m
    uint8_t qh[4];
    uint8_t qs[QK5_1 / 2];
} block_q5_1;

typedef struct {
    hs_f16 d;              // x = d * q
    int8_t qs[QK8_0];
} block_q8_0;

typedef struct {
    hs_f16 d;              // x = d * q
    hs_f16 s;              // d * sum(qs), rounded to f16
    int8_t qs[QK8_1];
} block_q8_1;

typedef struct {
    hs_f16 d;              // x = d * kvalues_iq4nl[q]
    uint8_t qs[QK4_NL / 2];
} block_iq4_nl;

// ---- k-quants: 256-element super-blocks of 16 or 32-element sub-blocks ----

typedef struct {
    uint8_t scales[QK_K / 16]; // sub-block scale in the low nibble, min in the high nibble
    uint8_t qs[QK_K / 4];      // 2-bit quants
    hs_f16 d, dmin;            // x = d * scale * q - dmin * min
} block_q2_K;

typedef struct {
    uint8_t hmask[QK_K / 8];   // high bit of each quant; set means q >= 0
    uint8_t qs[QK_K / 4];      // low 2 bits
    uint8_t scales[12];        // 16 six-bit scales, stored + 32
    hs_f16 d;                  // x = d * (scale - 32) * (q - 4)
} block_q3_K;

typedef struct {
    hs_f16 d, dmin;            // x = d * scale * q - dmin * min
    uint8_t scales[K_SCALE_SIZE]; // 8 six-bit scales and 8 six-bit mins
    uint8_t qs[QK_K / 2];      // 4-bit quants
} block_q4_K;

typedef struct {
    hs_f16 d, dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];      // fifth bit of each quant
    uint8_t qs[QK_K / 2];      // low 4 bits
} block_q5_K;

typedef struct {
    uint8_t ql[QK_K / 2];      // low 4 bits
    uint8_t qh[QK_K / 4];      // high 2 bits
    int8_t scales[QK_K / 16];  // signed 8-bit sub-block scales
    hs_f16 d;                  // x = d * scale * (q - 32)
} block_q6_K;

typedef struct {
    float d;                   // x = d * q
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16];  // sums of each 16 quants
} block_q8_K;

// Q4_0's rows4 layout (hs_interleave_rows4): block b of four rows r = 0..3 as one 72-byte block,
// their scales first, then their nibbles four bytes at a time: qs[16 * v + 4 * r + k] is row r's
// qs[4 * v + k]. A 16-byte load of qs + 16 * v then holds in 32-bit lane r row r's elements
// 4v..4v+3 (low nibbles) and 16+4v..16+4v+3 (high nibbles): an i32x4 dot of four products per
// lane against the activations' four elements, broadcast, gives lane r = row r's sum with no
// reduction across lanes (quant_simd128_legacy.c).
typedef struct {
    hs_f16 d[4];
    uint8_t qs[4 * QK4_0 / 2];
} block_q4_0x4;

// Q6_K's rows4 layout: super-block b of four rows as one 840-byte block. Group g (elements 16g ..
// 16g + 15) of the four rows is three 16-byte vectors q[g]: byte m = 4r + j of vector k (k < 3)
// holds in its low 6 bits row r's code (weight + 32) of element 16g + 4k + j, and in its top 2
// bits 2 bits (2k, 2k + 1) of the code of element 16g + 12 + j. So a lane r of each decoded vector is
// row r's four elements, the operand of an i32x4 dot against four activations broadcast (as
// block_q4_0x4), and decoding a group takes eleven operations (quant_simd128_kquants.c).
typedef struct {
    hs_f16 d[4];                // the rows' super-block scales
    int8_t scales[QK_K / 16][4]; // scales[g][r]: row r's scale of group g
    uint8_t q[QK_K / 16][48];
} block_q6_Kx4;

static_assert(sizeof(block_q4_0) == 18, "block_q4_0 size");
static_assert(sizeof(block_q4_0x4) == 4 * sizeof(block_q4_0), "block_q4_0x4 size");
static_assert(sizeof(block_q4_1) == 20, "block_q4_1 size");
static_assert(sizeof(block_q5_0) == 22, "block_q5_0 size");
static_assert(sizeof(block_q5_1) == 24, "block_q5_1 size");
static_assert(sizeof(block_q8_0) == 34, "block_q8_0 size");
static_assert(sizeof(block_q8_1) == 36, "block_q8_1 size");
static_assert(sizeof(block_iq4_nl) == 18, "block_iq4_nl size");
static_assert(sizeof(block_q2_K) == 84, "block_q2_K size");
static_assert(sizeof(block_q3_K) == 110, "block_q3_K size");
static_assert(sizeof(block_q4_K) == 144, "block_q4_K size");
static_assert(sizeof(block_q5_K) == 176, "block_q5_K size");
static_assert(sizeof(block_q6_K) == 210, "block_q6_K size");
static_assert(sizeof(block_q8_K) == 292, "block_q8_K size");
static_assert(sizeof(block_q6_Kx4) == 4 * sizeof(block_q6_K), "block_q6_Kx4 size");

// The 16 levels of IQ4_NL (shared with IQ4_XS).
extern const int8_t hs_kvalues_iq4nl[16];

// Round to nearest, ties to even, for |x| < 2^22: adding 1.5 * 2^23 leaves the rounded integer
// in the low mantissa bits (the default FP rounding mode does the rounding). ggml's k-quants and
// Q8_K round this way; the legacy formats use roundf or +0.5 truncation instead.
static inline int hs_nearest_int(float x) {
    float biased = x + 12582912.0f;
    int32_t bits;
    memcpy(&bits, &biased, sizeof bits);
    return (bits & 0x007fffff) - 0x00400000;
}

// ---- reference kernels (scalar, portable), by file ----

// quant_float.c
void hs_dequantize_row_f32_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_f32_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_f32_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_f16_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_f16_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_f16_ref(int n, float *s, const void *x, const void *y);
bool hs_f16_all_finite_ref(const void *data, size_t bytes);
void hs_dequantize_row_bf16_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_bf16_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_bf16_ref(int n, float *s, const void *x, const void *y);

// quant_legacy.c
void hs_dequantize_row_q4_0_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q4_0_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q4_0_q8_0_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q4_1_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q4_1_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q4_1_q8_1_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q5_0_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q5_0_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q5_0_q8_0_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q5_1_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q5_1_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q5_1_q8_1_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q8_0_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q8_0_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q8_0_q8_0_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q8_1_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q8_1_ref(const float *x, void *y, int64_t k);
void hs_quantize_row_q8_0_activation_ref(const float *x, void *y, int64_t k); // ggml x86 activation rounding
void hs_quantize_row_q8_1_activation_ref(const float *x, void *y, int64_t k);

// quant_kquants.c (dequantize, vec_dot, Q8_K) and quant_kquants_quantize.c (quantize_row)
void hs_dequantize_row_q2_K_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q2_K_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q2_K_q8_K_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q3_K_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q3_K_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q3_K_q8_K_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q4_K_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q4_K_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q4_K_q8_K_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q5_K_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q5_K_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q5_K_q8_K_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q6_K_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q6_K_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_q6_K_q8_K_ref(int n, float *s, const void *x, const void *y);
void hs_dequantize_row_q8_K_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_q8_K_ref(const float *x, void *y, int64_t k);

// quant_iq4nl.c
void hs_dequantize_row_iq4_nl_ref(const void *x, float *y, int64_t k);
void hs_quantize_row_iq4_nl_ref(const float *x, void *y, int64_t k);
void hs_vec_dot_iq4_nl_q8_0_ref(int n, float *s, const void *x, const void *y);

// ---- SIMD override hook ----
// A WebAssembly SIMD build (__wasm_simd128__) must link one definition of this function (in a
// src/quant_simd128_*.c file). quant.c calls it once on a copy of the reference table; it replaces
// the dequantize_row / quantize_row / vec_dot fields it has faster versions of and leaves the rest
// (quantize_row replacements must keep the reference rounding bit for bit).
void hs_quant_simd128_override(hs_quant_traits table[HS_TYPE_COUNT]);
// What hs_quant_kernels reports, set by hs_quant_simd128_override.
extern const char *hs_simd128_kernels;

#endif
