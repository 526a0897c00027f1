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

/* Rows of V a weighted-sum kernel takes per pass (ops_*.c): with a head of
 * 256 f16 values a tile is 64 KiB, so the passes over a tile, one per
 * block of outputs, read it from L2 instead of memory (long contexts). */
#define LZ_WSUM_TILE 128

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

/* Weight rows repacked for a level's tiled kernels: panels of panel_rows
 * rows (the last one padded with zero rows), panel_bytes(n) each. */
typedef struct {
    size_t (*panel_bytes)(int64_t n);
    /* pack n_rows rows (any count) into consecutive panels at dst */
    void (*pack)(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, uint8_t *dst);
    /* out[c * out_stride + r] for the first n_rows rows of the panels; 0 = declined */
    int (*gemm)(int64_t n, const uint8_t *panels, int64_t n_rows, const uint8_t *act, size_t act_bytes,
                int64_t n_cols, float *out, size_t out_stride);
} lz_packed_kernels;

/* Packing layouts: a matrix packed by one level serves every level of the
 * same layout. */
enum { LZ_PACK_NONE = 0, LZ_PACK_X86 = 1 };

typedef struct lz_kernels {
    lz_isa isa;
    lz_vec_dot_fn vec_dot[LZ_TYPE_MAX_CODE];    /* by weight type */
    lz_gemm_fn gemm[LZ_TYPE_MAX_CODE];          /* by weight type; NULL: vec_dot loop */
    lz_quantize_fn quantize[LZ_TYPE_MAX_CODE];  /* by activation type */
    int pack_format;                            /* LZ_PACK_* of packed[] */
    int panel_rows;
    lz_packed_kernels packed[LZ_TYPE_MAX_CODE]; /* by weight type; NULL entries: no packed form */

    /* The float kernels of the forward pass (ops_ref.c has the orders). */
    /* sum_i q[i] * k[i] over an f16 row: acc[i % 32] += q[i] * (float)k[i]
     * ascending, then acc[i] += acc[i + h] for h = 16, 8, 4, 2, 1 */
    float (*dot_f16)(const float *q, const uint16_t *k, uint32_t n);
    /* x[j] = lz_expf(x[j] - max), j ascending; *sum += (double)x[j] likewise */
    void (*exp_sum)(float *x, uint32_t n, float max, double *sum);
    /* exp_sum on R rows: row r at x + r * stride, with n[r], max[r], sum[r]
     * (several rows' additions can overlap; each row keeps its own order) */
    void (*exp_sum_rows)(float *x, size_t stride, uint32_t R, const uint32_t *n, const float *max, double *sum);
    /* rows j ascending, every i < n: y[i] = y[i] + w[j] * (float)v[j * stride + i] */
    void (*wsum_f16)(float *y, const float *w, const uint16_t *v, size_t stride, uint32_t n_rows, uint32_t n);
    /* gate[i] = act(gate[i]) * up[i] */
    void (*gated_act)(float *gate, const float *up, uint32_t n, lz_ffn_act act);
    /* The same attention steps for G queries that share one KV head (grouped
     * query attention), so that each f16 cache row is loaded once for all:
     * scores[g * scores_stride + j] = dot_f16(q[g], k + j * stride, n) * scale */
    void (*attn_scores)(const float *const *q, int G, const uint16_t *k, size_t stride, uint32_t n_rows, uint32_t n,
                        float scale, float *scores, size_t scores_stride);
    /* for each g: wsum_f16(y[g], w[g], v, stride, n_rows, n) */
    void (*attn_wsum)(float *const *y, const float *const *w, int G, const uint16_t *v, size_t stride, uint32_t n_rows,
                      uint32_t n);
    /* The passes of coder/freq.c (doc/coder.md) over finite logits:
     * the largest logit and whether any logit is NaN or infinite; */
    float (*freq_max)(const float *x, uint32_t n, int *nonfinite);
    /* e[i] = exp(x[i] - m) (lz_expf, 0 below -87.33654) and their sum in
     * double over 8 lanes (lane i % 8, index order; lanes added pairwise); */
    double (*freq_exp_sum)(const float *x, uint32_t n, float m, float *e);
    /* with f(i) = 1 + floor(e[i] * scale): the sum of f over [0, n) and,
     * in *below, over [0, upto); */
    uint64_t (*freq_total)(const float *e, uint32_t n, double scale, uint32_t upto, uint64_t *below);
    /* the first i with (sum of f over [0, i]) > target, *low = the sum
     * over [0, i); n - 1 (and its low) when there is none. */
    uint32_t (*freq_find)(const float *e, uint32_t n, double scale, uint64_t target, uint64_t *low);
} lz_kernels;

/* The table of `isa`, lowered to the best level this CPU and build run
 * (never NULL). */
const lz_kernels *lz_kernels_get(lz_isa isa);

/* A weight matrix packed once for the tiled kernels of one layout, so that
 * products with few columns (a batch of tokens, or one token from each of
 * several streams) do not repack it on every call. */
typedef struct {
    int format;           /* LZ_PACK_*; LZ_PACK_NONE: not packed */
    lz_type type;
    int64_t n, n_rows;
    int panel_rows;
    size_t panel_bytes;
    uint8_t *data;
} lz_packed_mat;

/* Allocate the packed form of an n_rows x n matrix for level `isa`'s
 * layout. Returns 0 and leaves pm->format LZ_PACK_NONE when the level has
 * no packed form of the type; -1 when out of memory. */
int lz_pack_alloc(lz_packed_mat *pm, lz_isa isa, lz_type type, int64_t n, int64_t n_rows);
/* Pack rows [r0, r0 + n_rows) of w (row 0 at w); r0 a multiple of
 * panel_rows. Disjoint row ranges may be packed by different threads. */
void lz_pack_rows(const lz_packed_mat *pm, const void *w, size_t row_bytes, int64_t r0, int64_t n_rows);
void lz_pack_free(lz_packed_mat *pm);

/* out[c * out_stride + r] = W row (r0 + r) . A row c, from the packed
 * form: the same bits as lz_gemm. r0 a multiple of panel_rows. Returns 0
 * when level `isa` cannot use this packing (the caller falls back to
 * lz_gemm on the unpacked rows). */
int lz_gemm_packed(const lz_packed_mat *pm, lz_isa isa, int64_t r0, int64_t n_rows, const void *act,
                   size_t act_bytes, int64_t n_cols, float *out, size_t out_stride);

/* The scalar references of the float kernels (also used by the SIMD
 * versions for their tails and out-of-range inputs). */
float lz_op_dot_f16_ref(const float *q, const uint16_t *k, uint32_t n);
void lz_op_exp_sum_ref(float *x, uint32_t n, float max, double *sum);
void lz_op_exp_sum_rows_ref(float *x, size_t stride, uint32_t R, const uint32_t *n, const float *max, double *sum);
void lz_op_wsum_f16_ref(float *y, const float *w, const uint16_t *v, size_t stride, uint32_t n_rows, uint32_t n);
void lz_op_gated_act(float *gate, const float *up, uint32_t n, lz_ffn_act act);
void lz_op_attn_scores_ref(const float *const *q, int G, const uint16_t *k, size_t stride, uint32_t n_rows, uint32_t n,
                           float scale, float *scores, size_t scores_stride);
void lz_op_attn_wsum_ref(float *const *y, const float *const *w, int G, const uint16_t *v, size_t stride,
                         uint32_t n_rows, uint32_t n);

#endif /* LZ_KERNELS_H */
