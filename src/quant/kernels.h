/*
 * kernels.h - the kernel table: every computation that has an ISA-specific
 * version, one table per ISA level, built once and selected by level.
 *
 * A level's table starts as a copy of its parent level's (AVX-512 <- AVX2
 * <- scalar; NEON <- scalar) and its fill function replaces the entries it
 * implements, so a level without its own kernel for something runs the
 * nearest lower one. Every entry computes the scalar reference's bits
 * (quant_ref.c, ops_ref.c; doc/determinism.md), so the choice of level
 * only changes speed.
 *
 * Adding an ISA: one row in kernels.c's level table and its fill function
 * in its own file (x86/, arm/). Adding a weight type: one row in quant.c's
 * type table and its entries in the fill functions.
 */
#ifndef LZ_KERNELS_H
#define LZ_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cpu.h"
#include "quant.h"

/* The gated activation of a feed-forward block. */
typedef enum {
    LZ_FFN_SILU = 0,       /* down(silu(gate) * up) */
    LZ_FFN_GELU_TANH = 1   /* down(gelu_tanh(gate) * up) */
} lz_ffn_act;

/* Tiled product of n_rows weight rows (w, row_bytes apart) with n_cols
 * activation rows: out[c * out_stride + r] = vec_dot(W row r, A row c).
 * Returns 0 when it declines (the caller then loops vec_dot). */
typedef int (*lz_gemm_fn)(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, const uint8_t *act,
                          size_t act_bytes, int64_t n_cols, float *out, size_t out_stride);

/* f32 row -> one activation row of a partner type (lz_quantize_act_row). */
typedef void (*lz_quantize_fn)(const float *x, void *dst, int64_t n);

typedef struct lz_kernels {
    lz_isa isa;
    lz_vec_dot_fn vec_dot[LZ_TYPE_MAX_CODE];    /* by weight type */
    lz_gemm_fn gemm[LZ_TYPE_MAX_CODE];          /* by weight type; NULL: vec_dot loop */
    lz_quantize_fn quantize[LZ_TYPE_MAX_CODE];  /* by activation type */

    /* The float kernels of the forward pass (ops_ref.c has the orders). */
    /* sum_i q[i] * k[i] over an f16 row: acc[i % 32] += q[i] * (float)k[i]
     * ascending, then acc[i] += acc[i + h] for h = 16, 8, 4, 2, 1 */
    float (*dot_f16)(const float *q, const uint16_t *k, uint32_t n);
    /* x[j] = lz_expf(x[j] - max), j ascending; *sum += (double)x[j] likewise */
    void (*exp_sum)(float *x, uint32_t n, float max, double *sum);
    /* rows j ascending, every i < n: y[i] = y[i] + w[j] * (float)v[j * stride + i] */
    void (*wsum_f16)(float *y, const float *w, const uint16_t *v, size_t stride, uint32_t n_rows, uint32_t n);
    /* gate[i] = act(gate[i]) * up[i] */
    void (*gated_act)(float *gate, const float *up, uint32_t n, lz_ffn_act act);
} lz_kernels;

/* The table of `isa`, lowered to the best level this CPU and build run
 * (never NULL). */
const lz_kernels *lz_kernels_get(lz_isa isa);

/* The scalar references of the float kernels (also used by the SIMD
 * versions for their tails and out-of-range inputs). */
float lz_op_dot_f16_ref(const float *q, const uint16_t *k, uint32_t n);
void lz_op_exp_sum_ref(float *x, uint32_t n, float max, double *sum);
void lz_op_wsum_f16_ref(float *y, const float *w, const uint16_t *v, size_t stride, uint32_t n_rows, uint32_t n);
void lz_op_gated_act(float *gate, const float *up, uint32_t n, lz_ffn_act act);

#endif /* LZ_KERNELS_H */
