// Kernel tables: which activation type each weight type multiplies with (as ggml's CPU backend)
// and the functions for each type.
//
// The reference table below lists only the portable scalar kernels. hs_quant_traits_get serves a
// second table, identical unless a SIMD build replaces entries: under __wasm_simd128__ it is a
// copy of the reference table that hs_quant_simd128_override (defined by the SIMD kernel files,
// see quant_blocks.h) edits once, on first use. Reference code never changes for SIMD.
#include "quant_blocks.h"

// The reference has no gemm: the matmul then calls vec_dot per row and token.
#define ENTRY_ACT(T, VDT, deq, quant, dot, act)                                                                        \
    [T] = {.type = T, .vec_dot_type = VDT, .dequantize_row = deq, .quantize_row = quant, .vec_dot = dot,              \
           .quantize_activation = act}
#define ENTRY(T, VDT, deq, quant, dot) ENTRY_ACT(T, VDT, deq, quant, dot, quant)

static const hs_quant_traits REF[HS_TYPE_COUNT] = {
    ENTRY(HS_TYPE_F32, HS_TYPE_F32, hs_dequantize_row_f32_ref, hs_quantize_row_f32_ref, hs_vec_dot_f32_ref),
    // all_finite: the attention's check of the rows it writes to an F16 KV cache (forward.c)
    [HS_TYPE_F16] = {.type = HS_TYPE_F16, .vec_dot_type = HS_TYPE_F16, .dequantize_row = hs_dequantize_row_f16_ref,
                     .quantize_row = hs_quantize_row_f16_ref, .vec_dot = hs_vec_dot_f16_ref,
                     .quantize_activation = hs_quantize_row_f16_ref, .all_finite = hs_f16_all_finite_ref},
    ENTRY(HS_TYPE_BF16, HS_TYPE_BF16, hs_dequantize_row_bf16_ref, hs_quantize_row_bf16_ref,
          hs_vec_dot_bf16_ref),
    ENTRY(HS_TYPE_Q4_0, HS_TYPE_Q8_0, hs_dequantize_row_q4_0_ref, hs_quantize_row_q4_0_ref,
          hs_vec_dot_q4_0_q8_0_ref),
    ENTRY(HS_TYPE_Q4_1, HS_TYPE_Q8_1, hs_dequantize_row_q4_1_ref, hs_quantize_row_q4_1_ref,
          hs_vec_dot_q4_1_q8_1_ref),
    ENTRY(HS_TYPE_Q5_0, HS_TYPE_Q8_0, hs_dequantize_row_q5_0_ref, hs_quantize_row_q5_0_ref,
          hs_vec_dot_q5_0_q8_0_ref),
    ENTRY(HS_TYPE_Q5_1, HS_TYPE_Q8_1, hs_dequantize_row_q5_1_ref, hs_quantize_row_q5_1_ref,
          hs_vec_dot_q5_1_q8_1_ref),
    ENTRY_ACT(HS_TYPE_Q8_0, HS_TYPE_Q8_0, hs_dequantize_row_q8_0_ref, hs_quantize_row_q8_0_ref,
              hs_vec_dot_q8_0_q8_0_ref, hs_quantize_row_q8_0_activation_ref),
    // activation-only: no vec_dot of their own
    ENTRY_ACT(HS_TYPE_Q8_1, HS_TYPE_Q8_1, hs_dequantize_row_q8_1_ref, hs_quantize_row_q8_1_ref, NULL,
              hs_quantize_row_q8_1_activation_ref),
    ENTRY(HS_TYPE_Q8_K, HS_TYPE_Q8_K, hs_dequantize_row_q8_K_ref, hs_quantize_row_q8_K_ref, NULL),
    ENTRY(HS_TYPE_Q2_K, HS_TYPE_Q8_K, hs_dequantize_row_q2_K_ref, hs_quantize_row_q2_K_ref,
          hs_vec_dot_q2_K_q8_K_ref),
    ENTRY(HS_TYPE_Q3_K, HS_TYPE_Q8_K, hs_dequantize_row_q3_K_ref, hs_quantize_row_q3_K_ref,
          hs_vec_dot_q3_K_q8_K_ref),
    ENTRY(HS_TYPE_Q4_K, HS_TYPE_Q8_K, hs_dequantize_row_q4_K_ref, hs_quantize_row_q4_K_ref,
          hs_vec_dot_q4_K_q8_K_ref),
    ENTRY(HS_TYPE_Q5_K, HS_TYPE_Q8_K, hs_dequantize_row_q5_K_ref, hs_quantize_row_q5_K_ref,
          hs_vec_dot_q5_K_q8_K_ref),
    ENTRY(HS_TYPE_Q6_K, HS_TYPE_Q8_K, hs_dequantize_row_q6_K_ref, hs_quantize_row_q6_K_ref,
          hs_vec_dot_q6_K_q8_K_ref),
    ENTRY(HS_TYPE_IQ4_NL, HS_TYPE_Q8_0, hs_dequantize_row_iq4_nl_ref, hs_quantize_row_iq4_nl_ref,
          hs_vec_dot_iq4_nl_q8_0_ref),
};

static const hs_quant_traits *lookup(const hs_quant_traits *table, uint32_t type) {
    if (type >= HS_TYPE_COUNT || table[type].dequantize_row == NULL) return NULL;
    return &table[type];
}

const hs_quant_traits *hs_quant_traits_ref(uint32_t type) { return lookup(REF, type); }

#ifdef __wasm_simd128__
#include <stdatomic.h>

static hs_quant_traits FAST[HS_TYPE_COUNT];
static atomic_int fast_state; // 0: not built, 1: being built, 2: ready

static const hs_quant_traits *fast_table(void) {
    if (atomic_load_explicit(&fast_state, memory_order_acquire) == 2) return FAST;
    int expected = 0;
    if (atomic_compare_exchange_strong(&fast_state, &expected, 1)) {
        memcpy(FAST, REF, sizeof FAST);
        hs_quant_simd128_override(FAST);
        atomic_store_explicit(&fast_state, 2, memory_order_release);
    } else {
        while (atomic_load_explicit(&fast_state, memory_order_acquire) != 2) {
        }
    }
    return FAST;
}

const hs_quant_traits *hs_quant_traits_get(uint32_t type) { return lookup(fast_table(), type); }

const char *hs_quant_kernels(void) {
    fast_table(); // the relaxed build's choice is made there
    return hs_simd128_kernels;
}
#else
const hs_quant_traits *hs_quant_traits_get(uint32_t type) { return lookup(REF, type); }

const char *hs_quant_kernels(void) { return "reference"; }
#endif
