/*
 * dot_avx2.c - AVX2 (+F16C) kernels: the x86 kernel body (dot_x86_body.h)
 * with maddubs/madd integer sums. Built with -mavx2 -mfma -mf16c; FMA is
 * never used (-ffp-contract=off, no FMA intrinsics).
 */
#define LZ_X86_VNNI 0
#include "dot_x86_body.h"
#define LZ_GEMM_W 8
#include "gemm_x86_body.h"

void lz_kernels_fill_avx2(lz_kernels *k)
{
    x86_fill_quant(k);
    lz_ops_fill_avx2(k);
    lz_quantize_fill_avx2(k);
}
