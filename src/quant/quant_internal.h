/*
 * quant_internal.h - what the scalar reference, the dispatcher and the ISA
 * kernels share inside src/quant/. Not for other modules: they go through
 * quant.h (lz_get_vec_dot, lz_gemm).
 */
#ifndef LZ_QUANT_INTERNAL_H
#define LZ_QUANT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "quant.h"
#include "blocks.h"

/* Lanes of the canonical accumulators (quant.h, doc/determinism.md). */
#define LZ_QACC 8    /* quantized types: block b goes to lane b % 8 */
#define LZ_FACC 32   /* float types: element i goes to lane i % 32 */

/* Scalar reference kernels (quant_ref.c): the specification. */
void lz_vec_dot_f32_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_f16_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_bf16_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q4_0_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q4_1_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q5_0_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q5_1_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q8_0_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q2_k_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q3_k_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q4_k_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q5_k_ref(int64_t n, float *out, const void *w, const void *a);
void lz_vec_dot_q6_k_ref(int64_t n, float *out, const void *w, const void *a);

/* The canonical final reductions, shared so every kernel that spills its
 * accumulators to memory finishes them the same way. */
static inline float lz_reduce_qacc(float acc[LZ_QACC])
{
    for (int h = LZ_QACC / 2; h >= 1; h /= 2)
        for (int i = 0; i < h; i++) acc[i] = acc[i] + acc[i + h];
    return acc[0];
}

static inline float lz_reduce_facc(float acc[LZ_FACC])
{
    for (int h = LZ_FACC / 2; h >= 1; h /= 2)
        for (int i = 0; i < h; i++) acc[i] = acc[i] + acc[i + h];
    return acc[0];
}

/* 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes of a
 * Q4_K / Q5_K block. */
static inline void lz_k4_scale_min(const uint8_t *s, int j, int *sc, int *m)
{
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/* The 16 signed 6-bit scales (-32..31) of a Q3_K block. */
static inline void lz_k3_scales(const uint8_t *b, int8_t out[16])
{
    for (int k = 0; k < 16; k++) {
        int low4 = k < 8 ? (b[k] & 15) : (b[k - 8] >> 4);
        int high2 = (b[8 + k % 4] >> (2 * (k / 4))) & 3;
        out[k] = (int8_t)((low4 | (high2 << 4)) - 32);
    }
}

/* Rows of a packed weight panel at every x86 level (x86/gemm_x86_body.h). */
#define LZ_X86_PANEL_ROWS 16

/* Quantizers of the activation types (the reference, by activation type). */
void lz_quantize_q8_0_ref(const float *x, void *dst, int64_t n);
void lz_quantize_q8_1_ref(const float *x, void *dst, int64_t n);
void lz_quantize_q8_k_ref(const float *x, void *dst, int64_t n);
void lz_quantize_f32_ref(const float *x, void *dst, int64_t n);

/* The fill functions of the kernel table's levels (kernels.c): each sets
 * the entries its level implements. */
struct lz_kernels;
void lz_kernels_fill_ref(struct lz_kernels *k);
#if defined(LZ_BUILD_X86_SIMD)
void lz_kernels_fill_avx2(struct lz_kernels *k);
void lz_kernels_fill_avx512(struct lz_kernels *k);
void lz_ops_fill_avx2(struct lz_kernels *k);        /* x86/ops_avx2.c: the float kernels */
void lz_quantize_fill_avx2(struct lz_kernels *k);   /* x86/quantize_avx2.c */
void lz_ops_fill_avx512(struct lz_kernels *k);      /* x86/ops_avx512.c */
#endif
#if defined(LZ_BUILD_ARM_SIMD)
void lz_kernels_fill_neon(struct lz_kernels *k);
void lz_ops_fill_neon(struct lz_kernels *k);        /* arm/ops_neon.c: the float kernels */
void lz_quantize_fill_neon(struct lz_kernels *k);   /* arm/quantize_neon.c */
void lz_gemm_fill_neon(struct lz_kernels *k);       /* arm/gemm_neon.c: the tiled products */
#endif

#endif /* LZ_QUANT_INTERNAL_H */
