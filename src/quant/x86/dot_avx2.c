/*
 * dot_avx2.c - AVX2 (+F16C) kernels: the x86 kernel body (dot_x86_body.h)
 * with maddubs/madd integer sums. Built with -mavx2 -mfma -mf16c; FMA is
 * never used (-ffp-contract=off, no FMA intrinsics).
 */
#define LZ_X86_VNNI 0
#include "dot_x86_body.h"

lz_vec_dot_fn lz_quant_avx2_vec_dot(lz_type type) { return x86_vec_dot(type); }

int lz_quant_avx2_gemm(lz_type type, int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows,
                       const uint8_t *act, size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)
{
    return x86_gemm(type, n, w, row_bytes, n_rows, act, act_bytes, n_cols, out, out_stride);
}
