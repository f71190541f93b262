// Kernels per tensor type: scalar reference dequantizers, on-the-fly activation quantization and
// dot products, in ggml's block layouts (bit-exact with the files llama.cpp writes).
//
// A weight row of type T is multiplied with an activation row that was first quantized to
// hs_quant_traits(T)->vec_dot_type, exactly as ggml does (Q8_0 for Q4_0/Q5_0/Q8_0/IQ4_NL, Q8_1 for
// Q4_1/Q5_1, Q8_K for the k-quants, F16 for F16, BF16 for BF16, F32 for F32), so our logits round
// like llama.cpp's.
#ifndef HEARTH_QUANT_H
#define HEARTH_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

typedef uint16_t hs_f16;
typedef uint16_t hs_bf16;

float hs_f16_to_f32(hs_f16 h);
hs_f16 hs_f32_to_f16(float f);   // round to nearest even, like ggml
float hs_bf16_to_f32(hs_bf16 h);
hs_bf16 hs_f32_to_bf16(float f); // round to nearest even, NaN kept quiet, like ggml

// y[0..k) = dequantized x; k is a multiple of the type's block size.
typedef void (*hs_dequantize_row_fn)(const void *x, float *y, int64_t k);
// y = quantized x[0..k), reference rounding (used for activations and for writing synthetic models).
typedef void (*hs_quantize_row_fn)(const float *x, void *y, int64_t k);
// *s = dot(x row of n elements in this type, y row of n elements in vec_dot_type).
typedef void (*hs_vec_dot_fn)(int n, float *s, const void *x, const void *y);
// Many rows times many activations: s[t * s_stride + r] = dot(x row r, y row t) for r < nr and
// t < nt, rows x_row and y_row bytes apart. Each result equals what vec_dot gives for that pair
// (kernels say where it is only within rounding). Prefill uses it: the weights are decoded once
// for several tokens instead of once per token.
typedef void (*hs_gemm_fn)(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                           float *s, size_t s_stride);
// Token t of nt from its vec_dot_type row y into prep (see hs_quant_traits.prep_token).
typedef void (*hs_prep_token_fn)(int n, int nt, int t, const void *y, void *prep);
// The gemm on activations the matmul has prepared in the kernel's own form (prep, made by the
// type's prep_token for all nt tokens); y, y_row still the vec_dot_type rows they came from.
typedef void (*hs_gemm_prep_fn)(int n, int nr, int nt, const void *x, size_t x_row, const void *y, size_t y_row,
                                const void *prep, float *s, size_t s_stride);

typedef struct {
    hs_type type;
    hs_type vec_dot_type;              // what activations are quantized to for vec_dot
    hs_dequantize_row_fn dequantize_row;
    hs_quantize_row_fn quantize_row;   // NULL where the type is never written by us
    hs_vec_dot_fn vec_dot;             // NULL for activation-only types (Q8_1, Q8_K)
    // How the matmul quantizes activations to this type: quantize_row, except Q8_0/Q8_1, whose
    // activations are rounded like ggml's x86 path (see quant_legacy.c) while weights are
    // written like llama-quantize.
    hs_quantize_row_fn quantize_activation;
    hs_gemm_fn gemm;                   // NULL: the matmul calls vec_dot per row and token
    // The gemm takes a thread's whole range of rows in one call (it tiles them itself and prepares
    // the activations once per call); false: the matmul hands it TILE_ROWS rows at a time.
    bool gemm_whole_range;
    // Heap bytes the gemm (or gemm_rows4) needs for a call of nt tokens of n elements: its thread's
    // scratch, kept between calls (counted in the context's scratch estimate, per thread). NULL: none.
    uint64_t (*gemm_scratch_bytes)(int n, int nt);
    // One token (nt 1) on plain rows, each result vec_dot's bit for bit. NULL: vec_dot row by row,
    // which streams the weights in order (the gemm's tiles are slower for one token).
    hs_gemm_fn gemv;
    // gemv for rows that hold no inf or NaN (checked once at load by all_finite), which it then
    // need not look for: the same results on such rows. NULL: gemv.
    hs_gemm_fn gemv_finite;
    // Whether bytes of this type's data hold no inf or NaN: for gemv_finite, and for F16 in every
    // table (attention checks the rows it writes to an F16 KV cache). NULL: not offered.
    bool (*all_finite)(const void *data, size_t bytes);
    // The same on rows interleaved by hs_interleave_rows4 (x at the first row of a group, x_row
    // still one row's bytes; nr a multiple of 4), any nt including 1. NULL: not worth it.
    hs_gemm_fn gemm_rows4;
    // Optional (F16 and BF16 in WebAssembly): the activations converted to the gemm's own form
    // once per matmul rather than by every gemm call, so that the matmul can hand rows out in
    // small chunks to whichever thread is free (a call per chunk) without converting them again
    // for each. prep_bytes: bytes for nt tokens of n elements (0: not for this shape);
    // prep_token: token t of nt from its vec_dot_type row y into prep (tokens independent, so
    // threads may share them out); gemm_prep / gemm_rows4_prep: gemm / gemm_rows4 (nt > 1) reading
    // prep, with the same results. NULL: not offered.
    uint64_t (*prep_bytes)(int n, int nt);
    hs_prep_token_fn prep_token;
    hs_gemm_prep_fn gemm_prep;
    hs_gemm_prep_fn gemm_rows4_prep;
    // The gemm and gemm_rows4 prepare nothing per call (each call costs its rows' work alone), so
    // the matmul may hand their rows out on demand in small chunks too (see gemm_prep).
    bool gemm_calls_cheap;
} hs_quant_traits;

// The kernels hs_quant_traits_get hands out, for reports (it builds its table first if need be):
// "reference" (the scalar C of every native build), "simd128", or under relaxed SIMD
// "relaxed-simd, i32 dots" / "relaxed-simd, i16 dots": which int8 dot the 4- and 5-bit formats',
// Q6_K's and Q8_0's kernels use, as the first use timed them (hs_simd128_q4_0_dots_i16).
const char *hs_quant_kernels(void);

// Rewrites rows of a type (a multiple of 4 of them) so that each group of four holds, block by
// block, the four rows' block b one after the other: a kernel reading four rows at once then walks
// memory in order, which the hardware prefetchers follow (four separate row streams defeat them).
// Q4_0 and Q6_K go further and rearrange each such run of four blocks (block_q4_0x4 and
// block_q6_Kx4 in quant_blocks.h; src/quant_rows4.c). F16 goes in pairs of rows taking turns every
// HS_F16_PAIR_RUN elements, and only rows of whole pairs of runs that hold no inf or NaN.
// Same bytes, same size; false (data unchanged) if the rows do not qualify or the four-row
// scratch cannot be allocated.
#define HS_F16_PAIR_RUN 16
bool hs_interleave_rows4(void *data, int64_t rows, size_t row_bytes, uint32_t type);

// Row r (0..3) of an interleaved group (group at its first byte) as it was, into row (row_bytes).
void hs_rows4_row(const void *group, size_t row_bytes, int r, uint32_t type, void *row);

// Kernels for a type, or NULL when the engine cannot compute with it (the caller names the type
// in its error). The table holds the fastest kernels built for this target (SIMD where present).
const hs_quant_traits *hs_quant_traits_get(uint32_t type);
// The same, always the portable scalar reference (for tests that compare SIMD against it).
const hs_quant_traits *hs_quant_traits_ref(uint32_t type);

#endif
