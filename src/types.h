// Tensor element types, numbered exactly as GGUF / ggml number them, with their block geometry.
// The reader needs sizes for every type it may meet (to validate offsets and name the type in
// errors); only the types with kernels in quant.h are usable for inference.
#ifndef HEARTH_TYPES_H
#define HEARTH_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    HS_TYPE_F32 = 0,
    HS_TYPE_F16 = 1,
    HS_TYPE_Q4_0 = 2,
    HS_TYPE_Q4_1 = 3,
    HS_TYPE_Q5_0 = 6,
    HS_TYPE_Q5_1 = 7,
    HS_TYPE_Q8_0 = 8,
    HS_TYPE_Q8_1 = 9,
    HS_TYPE_Q2_K = 10,
    HS_TYPE_Q3_K = 11,
    HS_TYPE_Q4_K = 12,
    HS_TYPE_Q5_K = 13,
    HS_TYPE_Q6_K = 14,
    HS_TYPE_Q8_K = 15,
    HS_TYPE_IQ2_XXS = 16,
    HS_TYPE_IQ2_XS = 17,
    HS_TYPE_IQ3_XXS = 18,
    HS_TYPE_IQ1_S = 19,
    HS_TYPE_IQ4_NL = 20,
    HS_TYPE_IQ3_S = 21,
    HS_TYPE_IQ2_S = 22,
    HS_TYPE_IQ4_XS = 23,
    HS_TYPE_I8 = 24,
    HS_TYPE_I16 = 25,
    HS_TYPE_I32 = 26,
    HS_TYPE_I64 = 27,
    HS_TYPE_F64 = 28,
    HS_TYPE_IQ1_M = 29,
    HS_TYPE_BF16 = 30,
    HS_TYPE_TQ1_0 = 34,
    HS_TYPE_TQ2_0 = 35,
    HS_TYPE_MXFP4 = 39,
    HS_TYPE_COUNT = 40
} hs_type;

typedef struct {
    const char *name;   // ggml's name, e.g. "Q4_K"; NULL for numbers ggml never assigned
    uint32_t block_size; // elements per block
    uint32_t type_size;  // bytes per block
} hs_type_info;

// Info for a type number read from a file; NULL when the number is not a known ggml type.
const hs_type_info *hs_type_get(uint32_t type);
// A printable name for any type number ("Q4_K", or "unknown type 77").
const char *hs_type_name(uint32_t type, char buf[32]);
// Bytes of one row of n elements; 0 if n is not a multiple of the block size or the type is unknown.
size_t hs_row_size(uint32_t type, uint64_t n);

#endif
