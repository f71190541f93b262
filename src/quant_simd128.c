// The WebAssembly SIMD128 kernel table: hs_quant_simd128_override (see quant_blocks.h) installs
// the vector kernels of quant_simd128_{float,legacy,kquants}.c over quant.c's copy of the
// reference table. The k-quant and IQ4_NL weight quantizers (used only to write synthetic
// models) stay scalar.
#ifdef __wasm_simd128__

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "quant_simd128.h"

volatile uint32_t hs_simd128_touch_sink;

const char *hs_simd128_kernels = "simd128";

// One block per thread, kept between calls (a pthread key frees it when the thread exits): a 16-byte
// header with its size, then the scratch.
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_key_made;

static void make_scratch_key(void) { scratch_key_made = pthread_key_create(&scratch_key, free) == 0; }

void *hs_simd128_scratch(size_t bytes) {
    pthread_once(&scratch_once, make_scratch_key);
    if (!scratch_key_made || bytes > SIZE_MAX - 32) return NULL;
    uint8_t *block = pthread_getspecific(scratch_key);
    size_t held = 0;
    if (block) memcpy(&held, block, sizeof held);
    if (block && held >= bytes) return block + 16;
    free(block);
    const size_t size = 16 + ((bytes + 15) & ~(size_t)15);
    block = aligned_alloc(16, size);
    if (block) memcpy(block, &bytes, sizeof bytes);
    if (pthread_setspecific(scratch_key, block) != 0) {
        free(block);
        return NULL;
    }
    return block ? block + 16 : NULL;
}

size_t hs_simd128_scratch_held(void) {
    pthread_once(&scratch_once, make_scratch_key);
    const uint8_t *block = scratch_key_made ? pthread_getspecific(scratch_key) : NULL;
    size_t held = 0;
    if (block) memcpy(&held, block, sizeof held);
    return held;
}

float hs_simd128_rows4_row_dot(hs_vec_dot_fn dot, int n, const uint8_t *x, size_t x_row, int r, uint32_t type,
                               const void *y) {
    uint8_t *row = malloc(x_row);
    if (!row) return NAN;
    hs_rows4_row(x + (size_t)(r & ~3) * x_row, x_row, r & 3, type, row);
    float s;
    dot(n, &s, row, y);
    free(row);
    return s;
}

void hs_quant_simd128_override(hs_quant_traits table[HS_TYPE_COUNT]) {
    table[HS_TYPE_F32].vec_dot = hs_vec_dot_f32_simd128;

    table[HS_TYPE_F16].vec_dot = hs_vec_dot_f16_simd128;
    table[HS_TYPE_F16].gemm = hs_gemm_f16_f16_simd128;
    table[HS_TYPE_F16].gemm_whole_range = true;
    table[HS_TYPE_F16].gemm_scratch_bytes = hs_gemm_f16_scratch_bytes_simd128;
    table[HS_TYPE_F16].gemm_rows4 = hs_gemm_rows4_f16_f16_simd128;
    table[HS_TYPE_F16].prep_bytes = hs_gemm_f16_prep_bytes_simd128;
    table[HS_TYPE_F16].prep_token = hs_prep_token_f16_simd128;
    table[HS_TYPE_F16].gemm_prep = hs_gemm_prep_f16_f16_simd128;
    table[HS_TYPE_F16].gemm_rows4_prep = hs_gemm_rows4_prep_f16_f16_simd128;
    table[HS_TYPE_F16].gemv = hs_gemv_f16_f16_simd128;
    table[HS_TYPE_F16].gemv_finite = hs_gemv_f16_f16_finite_simd128;
    table[HS_TYPE_F16].all_finite = hs_f16_all_finite_simd128;
    table[HS_TYPE_F16].quantize_row = hs_quantize_row_f16_simd128;
    table[HS_TYPE_F16].quantize_activation = hs_quantize_row_f16_simd128;
    table[HS_TYPE_F16].dequantize_row = hs_dequantize_row_f16_simd128;

    table[HS_TYPE_BF16].vec_dot = hs_vec_dot_bf16_simd128;
    table[HS_TYPE_BF16].gemm = hs_gemm_bf16_bf16_simd128; // decode stays vec_dot, one row at a time
    table[HS_TYPE_BF16].gemm_whole_range = true;
    table[HS_TYPE_BF16].gemm_scratch_bytes = hs_gemm_f16_scratch_bytes_simd128;
    table[HS_TYPE_BF16].prep_bytes = hs_gemm_f16_prep_bytes_simd128;
    table[HS_TYPE_BF16].prep_token = hs_prep_token_bf16_simd128;
    table[HS_TYPE_BF16].gemm_prep = hs_gemm_prep_bf16_bf16_simd128;
    table[HS_TYPE_BF16].quantize_row = hs_quantize_row_bf16_simd128;
    table[HS_TYPE_BF16].quantize_activation = hs_quantize_row_bf16_simd128;
    table[HS_TYPE_BF16].dequantize_row = hs_dequantize_row_bf16_simd128;

    // Q8_0 / Q8_1 round weights (llama-quantize) and activations (ggml's x86 path) differently
    table[HS_TYPE_Q8_0].quantize_row = hs_quantize_row_q8_0_simd128;
    table[HS_TYPE_Q8_0].quantize_activation = hs_quantize_row_q8_0_activation_simd128;
    table[HS_TYPE_Q8_1].quantize_row = hs_quantize_row_q8_1_simd128;
    table[HS_TYPE_Q8_1].quantize_activation = hs_quantize_row_q8_1_activation_simd128;
    table[HS_TYPE_Q8_K].quantize_row = hs_quantize_row_q8_K_simd128;
    table[HS_TYPE_Q8_K].quantize_activation = hs_quantize_row_q8_K_simd128;

    table[HS_TYPE_Q4_0].vec_dot = hs_vec_dot_q4_0_q8_0_simd128;
    table[HS_TYPE_Q4_1].vec_dot = hs_vec_dot_q4_1_q8_1_simd128;
    table[HS_TYPE_Q5_0].vec_dot = hs_vec_dot_q5_0_q8_0_simd128;
    table[HS_TYPE_Q5_1].vec_dot = hs_vec_dot_q5_1_q8_1_simd128;
    table[HS_TYPE_Q8_0].vec_dot = hs_vec_dot_q8_0_q8_0_simd128;
    table[HS_TYPE_IQ4_NL].vec_dot = hs_vec_dot_iq4_nl_q8_0_simd128;
    table[HS_TYPE_Q4_0].gemm = hs_gemm_q4_0_q8_0_simd128;
    table[HS_TYPE_Q4_1].gemm = hs_gemm_q4_1_q8_1_simd128;
    table[HS_TYPE_Q5_0].gemm = hs_gemm_q5_0_q8_0_simd128;
    table[HS_TYPE_Q5_1].gemm = hs_gemm_q5_1_q8_1_simd128;
    table[HS_TYPE_Q8_0].gemm = hs_gemm_q8_0_q8_0_simd128;
    table[HS_TYPE_IQ4_NL].gemm = hs_gemm_iq4_nl_q8_0_simd128;
    table[HS_TYPE_Q4_0].gemm_rows4 = hs_gemm_rows4_q4_0_q8_0_simd128;
    table[HS_TYPE_Q4_0].gemm_scratch_bytes = hs_gemm_rows4_q4_0_scratch_bytes_simd128;
    table[HS_TYPE_Q4_0].prep_bytes = hs_gemm_q4_0_prep_bytes_simd128;
    table[HS_TYPE_Q4_0].prep_token = hs_prep_token_q4_0_simd128;
    table[HS_TYPE_Q4_0].gemm_rows4_prep = hs_gemm_rows4_prep_q4_0_q8_0_simd128;
    table[HS_TYPE_Q4_1].gemm_rows4 = hs_gemm_rows4_q4_1_q8_1_simd128;
    table[HS_TYPE_Q5_0].gemm_rows4 = hs_gemm_rows4_q5_0_q8_0_simd128;
    table[HS_TYPE_Q5_1].gemm_rows4 = hs_gemm_rows4_q5_1_q8_1_simd128;
    table[HS_TYPE_Q8_0].gemm_rows4 = hs_gemm_rows4_q8_0_q8_0_simd128;
    table[HS_TYPE_IQ4_NL].gemm_rows4 = hs_gemm_rows4_iq4_nl_q8_0_simd128;
    // their gemms tile the rows themselves, and the 4- and 5-bit formats' rows4 gemm works out the
    // tokens' activation blocks once per call (gemm_rows4_small)
    table[HS_TYPE_Q4_0].gemm_whole_range = table[HS_TYPE_Q4_1].gemm_whole_range = true;
    table[HS_TYPE_Q5_0].gemm_whole_range = table[HS_TYPE_Q5_1].gemm_whole_range = true;
    table[HS_TYPE_Q8_0].gemm_whole_range = table[HS_TYPE_IQ4_NL].gemm_whole_range = true;
    // Q8_0's and IQ4_NL's gemms (gemm_blocks) prepare nothing per call; the 4- and 5-bit formats'
    // rows4 gemm does
    table[HS_TYPE_Q8_0].gemm_calls_cheap = table[HS_TYPE_IQ4_NL].gemm_calls_cheap = true;
#ifdef __wasm_relaxed_simd__
    // Where the relaxed i32 dot is three instructions, the 4- and 5-bit formats' and Q6_K's kernels
    // sum i16 pairs instead, and Q8_0's gemms take i16-widened blocks: timed once, here
    // (hs_simd128_q4_0_dots_i16, quant_simd128_legacy.c)
    const bool i16_dots = hs_simd128_q4_0_dots_i16();
    hs_simd128_kernels = i16_dots ? "relaxed-simd, i16 dots" : "relaxed-simd, i32 dots";
    if (i16_dots) {
        table[HS_TYPE_Q4_0].gemm = hs_gemm_q4_0_q8_0_i16_simd128;
        table[HS_TYPE_Q4_0].gemm_rows4 = hs_gemm_rows4_q4_0_q8_0_i16_simd128;
        table[HS_TYPE_Q4_0].gemm_rows4_prep = hs_gemm_rows4_prep_q4_0_q8_0_i16_simd128;
        table[HS_TYPE_Q4_1].gemm = hs_gemm_q4_1_q8_1_i16_simd128;
        table[HS_TYPE_Q4_1].gemm_rows4 = hs_gemm_rows4_q4_1_q8_1_i16_simd128;
        table[HS_TYPE_Q5_0].gemm = hs_gemm_q5_0_q8_0_i16_simd128;
        table[HS_TYPE_Q5_0].gemm_rows4 = hs_gemm_rows4_q5_0_q8_0_i16_simd128;
        table[HS_TYPE_Q5_1].gemm = hs_gemm_q5_1_q8_1_i16_simd128;
        table[HS_TYPE_Q5_1].gemm_rows4 = hs_gemm_rows4_q5_1_q8_1_i16_simd128;
        table[HS_TYPE_Q8_0].gemm = hs_gemm_q8_0_q8_0_i16_simd128; // on widened blocks
        table[HS_TYPE_Q8_0].gemm_rows4 = hs_gemm_rows4_q8_0_q8_0_i16_simd128;
    }
#endif

    table[HS_TYPE_Q2_K].vec_dot = hs_vec_dot_q2_K_q8_K_simd128;
    table[HS_TYPE_Q3_K].vec_dot = hs_vec_dot_q3_K_q8_K_simd128;
    table[HS_TYPE_Q4_K].vec_dot = hs_vec_dot_q4_K_q8_K_simd128;
    table[HS_TYPE_Q5_K].vec_dot = hs_vec_dot_q5_K_q8_K_simd128;
    table[HS_TYPE_Q6_K].vec_dot = hs_vec_dot_q6_K_q8_K_simd128;
    table[HS_TYPE_Q2_K].gemm = hs_gemm_q2_K_q8_K_simd128;
    table[HS_TYPE_Q3_K].gemm = hs_gemm_q3_K_q8_K_simd128;
    table[HS_TYPE_Q4_K].gemm = hs_gemm_q4_K_q8_K_simd128;
    table[HS_TYPE_Q5_K].gemm = hs_gemm_q5_K_q8_K_simd128;
    table[HS_TYPE_Q6_K].gemm = hs_gemm_q6_K_q8_K_simd128;
    table[HS_TYPE_Q2_K].gemv = hs_gemv_q2_K_q8_K_simd128;
    table[HS_TYPE_Q3_K].gemv = hs_gemv_q3_K_q8_K_simd128;
    table[HS_TYPE_Q4_K].gemv = hs_gemv_q4_K_q8_K_simd128;
    table[HS_TYPE_Q5_K].gemv = hs_gemv_q5_K_q8_K_simd128;
    table[HS_TYPE_Q6_K].gemv = hs_gemv_q6_K_q8_K_simd128;
    // the k-quants' gemms take 16 rows a call (TILE_ROWS) and prepare nothing for them
    for (int t = HS_TYPE_Q2_K; t <= HS_TYPE_Q6_K; t++) table[t].gemm_calls_cheap = true;
#ifdef __wasm_relaxed_simd__
    // Q6_K on its own interleaved layout (block_q6_Kx4), one token included; it tiles the rows
    // itself. Its dots need the relaxed i32 dot: without it the plain layout's kernels are faster.
    table[HS_TYPE_Q6_K].gemm_rows4 = i16_dots ? hs_gemm_rows4_q6_K_q8_K_i16_simd128 : hs_gemm_rows4_q6_K_q8_K_simd128;
    table[HS_TYPE_Q6_K].gemm_scratch_bytes = hs_gemm_rows4_q6_K_scratch_bytes_simd128;
    table[HS_TYPE_Q6_K].gemm_whole_range = true;
    table[HS_TYPE_Q6_K].gemm_calls_cheap = false; // its rows4 gemm works out the tokens' q6_act per call
    table[HS_TYPE_Q6_K].prep_bytes = hs_gemm_q6_K_prep_bytes_simd128; // unless the matmul did
    table[HS_TYPE_Q6_K].prep_token = i16_dots ? hs_prep_token_q6_K_i16_simd128 : hs_prep_token_q6_K_simd128;
    table[HS_TYPE_Q6_K].gemm_rows4_prep = i16_dots ? hs_gemm_rows4_prep_q6_K_q8_K_i16_simd128 : hs_gemm_rows4_prep_q6_K_q8_K_simd128;
#endif
}

#endif // __wasm_simd128__
