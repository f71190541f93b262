#include "types.h"

#include <stdio.h>

// Block geometry from the GGUF specification / ggml. Types that were removed from ggml
// (4, 5: Q4_2/Q4_3; 31-33, 36-38: packed layouts) have no entry.
static const hs_type_info TYPE_INFO[HS_TYPE_COUNT] = {
    [HS_TYPE_F32] = {"F32", 1, 4},
    [HS_TYPE_F16] = {"F16", 1, 2},
    [HS_TYPE_Q4_0] = {"Q4_0", 32, 18},
    [HS_TYPE_Q4_1] = {"Q4_1", 32, 20},
    [HS_TYPE_Q5_0] = {"Q5_0", 32, 22},
    [HS_TYPE_Q5_1] = {"Q5_1", 32, 24},
    [HS_TYPE_Q8_0] = {"Q8_0", 32, 34},
    [HS_TYPE_Q8_1] = {"Q8_1", 32, 36},
    [HS_TYPE_Q2_K] = {"Q2_K", 256, 84},
    [HS_TYPE_Q3_K] = {"Q3_K", 256, 110},
    [HS_TYPE_Q4_K] = {"Q4_K", 256, 144},
    [HS_TYPE_Q5_K] = {"Q5_K", 256, 176},
    [HS_TYPE_Q6_K] = {"Q6_K", 256, 210},
    [HS_TYPE_Q8_K] = {"Q8_K", 256, 292},
    [HS_TYPE_IQ2_XXS] = {"IQ2_XXS", 256, 66},
    [HS_TYPE_IQ2_XS] = {"IQ2_XS", 256, 74},
    [HS_TYPE_IQ3_XXS] = {"IQ3_XXS", 256, 98},
    [HS_TYPE_IQ1_S] = {"IQ1_S", 256, 50},
    [HS_TYPE_IQ4_NL] = {"IQ4_NL", 32, 18},
    [HS_TYPE_IQ3_S] = {"IQ3_S", 256, 110},
    [HS_TYPE_IQ2_S] = {"IQ2_S", 256, 82},
    [HS_TYPE_IQ4_XS] = {"IQ4_XS", 256, 136},
    [HS_TYPE_I8] = {"I8", 1, 1},
    [HS_TYPE_I16] = {"I16", 1, 2},
    [HS_TYPE_I32] = {"I32", 1, 4},
    [HS_TYPE_I64] = {"I64", 1, 8},
    [HS_TYPE_F64] = {"F64", 1, 8},
    [HS_TYPE_IQ1_M] = {"IQ1_M", 256, 56},
    [HS_TYPE_BF16] = {"BF16", 1, 2},
    [HS_TYPE_TQ1_0] = {"TQ1_0", 256, 54},
    [HS_TYPE_TQ2_0] = {"TQ2_0", 256, 66},
    [HS_TYPE_MXFP4] = {"MXFP4", 32, 17},
};

const hs_type_info *hs_type_get(uint32_t type) {
    if (type >= HS_TYPE_COUNT || TYPE_INFO[type].name == NULL) return NULL;
    return &TYPE_INFO[type];
}

const char *hs_type_name(uint32_t type, char buf[32]) {
    const hs_type_info *info = hs_type_get(type);
    if (info) return info->name;
    snprintf(buf, 32, "unknown type %u", type);
    return buf;
}

size_t hs_row_size(uint32_t type, uint64_t n) {
    const hs_type_info *info = hs_type_get(type);
    if (!info || n % info->block_size != 0) return 0;
    return (size_t)(n / info->block_size) * info->type_size;
}
