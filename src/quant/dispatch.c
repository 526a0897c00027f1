/*
 * dispatch.c - choose the kernel for (weight type, ISA level) and run the
 * batched product. Every level computes the same bits (quant_ref.c is the
 * specification), so the choice only changes speed.
 */
#include "quant_internal.h"

static lz_vec_dot_fn vec_dot_ref(lz_type type)
{
    switch (type) {
    case LZ_TYPE_F32: return lz_vec_dot_f32_ref;
    case LZ_TYPE_F16: return lz_vec_dot_f16_ref;
    case LZ_TYPE_BF16: return lz_vec_dot_bf16_ref;
    case LZ_TYPE_Q4_0: return lz_vec_dot_q4_0_ref;
    case LZ_TYPE_Q4_1: return lz_vec_dot_q4_1_ref;
    case LZ_TYPE_Q5_0: return lz_vec_dot_q5_0_ref;
    case LZ_TYPE_Q5_1: return lz_vec_dot_q5_1_ref;
    case LZ_TYPE_Q8_0: return lz_vec_dot_q8_0_ref;
    case LZ_TYPE_Q2_K: return lz_vec_dot_q2_k_ref;
    case LZ_TYPE_Q3_K: return lz_vec_dot_q3_k_ref;
    case LZ_TYPE_Q4_K: return lz_vec_dot_q4_k_ref;
    case LZ_TYPE_Q5_K: return lz_vec_dot_q5_k_ref;
    case LZ_TYPE_Q6_K: return lz_vec_dot_q6_k_ref;
    default: return NULL;
    }
}

/* A level this CPU (or build) cannot run is lowered, so that a caller asking
 * for too much gets a slower kernel instead of an illegal instruction. */
static lz_isa usable_isa(lz_isa isa)
{
    if (isa == LZ_ISA_AVX512 && !lz_cpu_isa_available(isa)) isa = LZ_ISA_AVX2;
    if (!lz_cpu_isa_available(isa)) isa = LZ_ISA_SCALAR;
    return isa;
}

lz_vec_dot_fn lz_get_vec_dot(lz_type type, lz_isa isa)
{
    lz_vec_dot_fn fn = NULL;
    isa = usable_isa(isa);
#if defined(LZ_BUILD_X86_SIMD)
    if (isa == LZ_ISA_AVX512) fn = lz_quant_avx512_vec_dot(type);
    if (!fn && (isa == LZ_ISA_AVX2 || isa == LZ_ISA_AVX512)) fn = lz_quant_avx2_vec_dot(type);
#endif
#if defined(LZ_BUILD_ARM_SIMD)
    if (isa == LZ_ISA_NEON) fn = lz_quant_neon_vec_dot(type);
#endif
    (void)isa;
    return fn ? fn : vec_dot_ref(type);
}

/* Generic batched product: one vec_dot per (row, column). */
static void gemm_loop(lz_vec_dot_fn dot, int64_t n,
                      const uint8_t *w, size_t row_bytes, int64_t n_rows,
                      const uint8_t *act, size_t act_bytes, int64_t n_cols,
                      float *out, size_t out_stride)
{
    for (int64_t c = 0; c < n_cols; c++)
        for (int64_t r = 0; r < n_rows; r++)
            dot(n, &out[(size_t)c * out_stride + (size_t)r], w + (size_t)r * row_bytes, act + (size_t)c * act_bytes);
}

void lz_gemm(lz_type type, lz_isa isa, int64_t n,
             const void *w, size_t row_bytes, int64_t r0, int64_t n_rows,
             const void *act, size_t act_bytes, int64_t n_cols,
             float *out, size_t out_stride)
{
    isa = usable_isa(isa);
    lz_vec_dot_fn dot = lz_get_vec_dot(type, isa);
    if (!dot || n_rows <= 0 || n_cols <= 0) return;
    const uint8_t *wr = (const uint8_t *)w + (size_t)r0 * row_bytes;
    const uint8_t *a = act;
#if defined(LZ_BUILD_X86_SIMD)
    if (isa == LZ_ISA_AVX512 &&
        lz_quant_avx512_gemm(type, n, wr, row_bytes, n_rows, a, act_bytes, n_cols, out, out_stride))
        return;
    if ((isa == LZ_ISA_AVX2 || isa == LZ_ISA_AVX512) &&
        lz_quant_avx2_gemm(type, n, wr, row_bytes, n_rows, a, act_bytes, n_cols, out, out_stride))
        return;
#endif
    gemm_loop(dot, n, wr, row_bytes, n_rows, a, act_bytes, n_cols, out, out_stride);
}
