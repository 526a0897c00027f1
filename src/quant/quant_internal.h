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

/*
 * ISA hooks. Each returns NULL / 0 for what it does not implement; the
 * dispatcher then falls back to the next lower level.
 *   *_vec_dot(type): the kernel for a weight type.
 *   *_gemm(...): a tiled product for the types it covers; returns 1 when it
 *   computed everything, 0 when the caller must loop vec_dot instead.
 */
typedef int (*lz_gemm_fn)(lz_type type, int64_t n,
                          const uint8_t *w, size_t row_bytes, int64_t n_rows,
                          const uint8_t *act, size_t act_bytes, int64_t n_cols,
                          float *out, size_t out_stride);

#if defined(LZ_BUILD_X86_SIMD)
lz_vec_dot_fn lz_quant_avx2_vec_dot(lz_type type);
int lz_quant_avx2_gemm(lz_type type, int64_t n,
                       const uint8_t *w, size_t row_bytes, int64_t n_rows,
                       const uint8_t *act, size_t act_bytes, int64_t n_cols,
                       float *out, size_t out_stride);
lz_vec_dot_fn lz_quant_avx512_vec_dot(lz_type type);
int lz_quant_avx512_gemm(lz_type type, int64_t n,
                         const uint8_t *w, size_t row_bytes, int64_t n_rows,
                         const uint8_t *act, size_t act_bytes, int64_t n_cols,
                         float *out, size_t out_stride);
#endif

#if defined(LZ_BUILD_ARM_SIMD)
lz_vec_dot_fn lz_quant_neon_vec_dot(lz_type type);
#endif

#endif /* LZ_QUANT_INTERNAL_H */
