/*
 * quant.c - the table of tensor types: block geometry, which types the
 * engine accepts as weights, and which activation type each one pairs with.
 */
#include <stdio.h>

#include "quant.h"
#include "blocks.h"

#define W 1  /* usable as a weight type */

static const lz_type_traits g_traits[LZ_TYPE_MAX_CODE] = {
    [LZ_TYPE_F32]  = { "F32",  1,      4,                      W, LZ_TYPE_F32 },
    [LZ_TYPE_F16]  = { "F16",  1,      2,                      W, LZ_TYPE_F32 },
    [LZ_TYPE_BF16] = { "BF16", 1,      2,                      W, LZ_TYPE_F32 },
    [LZ_TYPE_Q4_0] = { "Q4_0", LZ_QK,   sizeof(lz_block_q4_0), W, LZ_TYPE_Q8_0 },
    [LZ_TYPE_Q4_1] = { "Q4_1", LZ_QK,   sizeof(lz_block_q4_1), W, LZ_TYPE_Q8_1 },
    [LZ_TYPE_Q5_0] = { "Q5_0", LZ_QK,   sizeof(lz_block_q5_0), W, LZ_TYPE_Q8_0 },
    [LZ_TYPE_Q5_1] = { "Q5_1", LZ_QK,   sizeof(lz_block_q5_1), W, LZ_TYPE_Q8_1 },
    [LZ_TYPE_Q8_0] = { "Q8_0", LZ_QK,   sizeof(lz_block_q8_0), W, LZ_TYPE_Q8_0 },
    [LZ_TYPE_Q8_1] = { "Q8_1", LZ_QK,   sizeof(lz_block_q8_1), 0, LZ_TYPE_Q8_1 },
    [LZ_TYPE_Q2_K] = { "Q2_K", LZ_QK_K, sizeof(lz_block_q2_k), W, LZ_TYPE_Q8_K },
    [LZ_TYPE_Q3_K] = { "Q3_K", LZ_QK_K, sizeof(lz_block_q3_k), W, LZ_TYPE_Q8_K },
    [LZ_TYPE_Q4_K] = { "Q4_K", LZ_QK_K, sizeof(lz_block_q4_k), W, LZ_TYPE_Q8_K },
    [LZ_TYPE_Q5_K] = { "Q5_K", LZ_QK_K, sizeof(lz_block_q5_k), W, LZ_TYPE_Q8_K },
    [LZ_TYPE_Q6_K] = { "Q6_K", LZ_QK_K, sizeof(lz_block_q6_k), W, LZ_TYPE_Q8_K },
    [LZ_TYPE_Q8_K] = { "Q8_K", LZ_QK_K, sizeof(lz_block_q8_k), 0, LZ_TYPE_Q8_K },
};

/* Names of the ggml codes we do not support, for error messages. */
static const char *const g_other_names[LZ_TYPE_MAX_CODE] = {
    [4] = "Q4_2", [5] = "Q4_3",
    [16] = "IQ2_XXS", [17] = "IQ2_XS", [18] = "IQ3_XXS", [19] = "IQ1_S",
    [20] = "IQ4_NL", [21] = "IQ3_S", [22] = "IQ2_S", [23] = "IQ4_XS",
    [24] = "I8", [25] = "I16", [26] = "I32", [27] = "I64", [28] = "F64",
    [29] = "IQ1_M", [31] = "Q4_0_4_4", [32] = "Q4_0_4_8", [33] = "Q4_0_8_8",
    [34] = "TQ1_0", [35] = "TQ2_0", [36] = "IQ4_NL_4_4", [37] = "IQ4_NL_4_8",
    [38] = "IQ4_NL_8_8", [39] = "MXFP4",
};

const lz_type_traits *lz_type_get(uint32_t type)
{
    if (type >= LZ_TYPE_MAX_CODE || g_traits[type].name == NULL) return NULL;
    return &g_traits[type];
}

const char *lz_type_name(uint32_t type)
{
    static _Thread_local char unknown[24];
    const lz_type_traits *t = lz_type_get(type);
    if (t) return t->name;
    if (type < LZ_TYPE_MAX_CODE && g_other_names[type]) return g_other_names[type];
    snprintf(unknown, sizeof(unknown), "type %u", (unsigned)type);
    return unknown;
}

size_t lz_row_size(lz_type type, int64_t n)
{
    const lz_type_traits *t = lz_type_get((uint32_t)type);
    if (!t || n < 0) return 0;
    return (size_t)(n / t->block_size) * (size_t)t->type_size;
}
