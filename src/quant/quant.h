/*
 * quant.h - tensor types, dequantization, activation quantization and the
 * dot-product kernels that define every matrix product in the engine.
 *
 * A weight row of type T is multiplied with an activation row that has been
 * converted once to T's partner type (lz_type_vec_dot_type): Q8_0 for
 * Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants, F32 for
 * F32/F16/BF16 (the activation stays f32). Block layouts of the partner
 * types are ggml's, so activations are rounded the way llama.cpp rounds them.
 *
 * CANONICAL ORDER (doc/determinism.md has the full per-type formulas):
 *  - quantized types: each block b of the row yields one float v_b from
 *    exact integer sums and a fixed sequence of float multiplies/adds;
 *    v_b is added into lane acc[b % 8] (acc starts at +0.0f); the row result
 *    is the halving reduction: for h = 4, 2, 1: acc[i] = acc[i] + acc[i + h].
 *  - F32/F16/BF16: p_i = w_i * x_i in f32 (w widened exactly to f32);
 *    acc[i % 32] += p_i; halving reduction for h = 16, 8, 4, 2, 1.
 * Every ISA-specific kernel reproduces this bit for bit; tests compare with
 * memcmp, never with a tolerance. No FMA anywhere.
 */
#ifndef LZ_QUANT_H
#define LZ_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cpu.h"

/* ggml type codes, as stored in GGUF tensor infos. */
typedef enum {
    LZ_TYPE_F32 = 0,
    LZ_TYPE_F16 = 1,
    LZ_TYPE_Q4_0 = 2,
    LZ_TYPE_Q4_1 = 3,
    LZ_TYPE_Q5_0 = 6,
    LZ_TYPE_Q5_1 = 7,
    LZ_TYPE_Q8_0 = 8,
    LZ_TYPE_Q8_1 = 9,
    LZ_TYPE_Q2_K = 10,
    LZ_TYPE_Q3_K = 11,
    LZ_TYPE_Q4_K = 12,
    LZ_TYPE_Q5_K = 13,
    LZ_TYPE_Q6_K = 14,
    LZ_TYPE_Q8_K = 15,
    LZ_TYPE_BF16 = 30,
    LZ_TYPE_MAX_CODE = 40
} lz_type;

typedef struct {
    const char *name;      /* "Q4_K", ... */
    int block_size;        /* elements per block */
    int type_size;         /* bytes per block */
    int is_weight_type;    /* supported as a weight type by the engine */
    lz_type vec_dot_type;  /* partner activation type (weight types only) */
} lz_type_traits;

/* NULL for codes this build does not know (including ones ggml has but we
 * do not support, such as IQ*). */
const lz_type_traits *lz_type_get(uint32_t type);

/* Name of any ggml type code, known or not ("IQ2_XXS", "type 99"). */
const char *lz_type_name(uint32_t type);

/* Bytes of a row of n elements; n must be a multiple of the block size. */
size_t lz_row_size(lz_type type, int64_t n);

/* Scalar reference dequantization of n elements (n % block_size == 0). */
void lz_dequantize_row(lz_type type, const void *src, float *dst, int64_t n);

/* Convert an f32 activation row into `act_type` (Q8_0, Q8_1, Q8_K or F32):
 * the scalar reference. dst must hold lz_row_size(act_type, n) bytes. */
void lz_quantize_act_row(lz_type act_type, const float *x, void *dst, int64_t n);

/* The same bytes, computed by the kernels of level `isa`. */
void lz_quantize_act_row_isa(lz_type act_type, lz_isa isa, const float *x, void *dst, int64_t n);

/* One dot product: *out = w_row . act_row, n elements. */
typedef void (*lz_vec_dot_fn)(int64_t n, float *out, const void *w_row, const void *act_row);

/* The kernel for weight type `type` at level `isa` (falls back to the
 * nearest lower level that has one; never NULL for weight types).
 * kernels.h has the whole table of a level. */
lz_vec_dot_fn lz_get_vec_dot(lz_type type, lz_isa isa);

/*
 * Batched product of a block of weight rows with several activation rows:
 *   out[c * out_stride + r] = dot(W row (r0 + r), A row c)
 * for r in [0, n_rows) and c in [0, n_cols). Rows are row_bytes / act_bytes
 * apart. Each output equals what lz_get_vec_dot gives for the same pair,
 * bit for bit (tiling only reuses loads).
 */
void lz_gemm(lz_type type, lz_isa isa, int64_t n,
             const void *w, size_t row_bytes, int64_t r0, int64_t n_rows,
             const void *act, size_t act_bytes, int64_t n_cols,
             float *out, size_t out_stride);

#endif /* LZ_QUANT_H */
