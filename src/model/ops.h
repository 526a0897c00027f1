/*
 * ops.h - the non-matmul math of the forward pass, each in one canonical
 * order (doc/determinism.md, "Model ops"): RMS norm, RoPE, the attention
 * inner products over the f16 KV cache, activations.
 *
 * Every function works on one row (one token, or one token and head), so
 * results never depend on the batch size or on which thread runs them. The
 * kernels with ISA-specific versions (the attention's f16 dot product,
 * exponentials and weighted V sum, the gated activation) are in the kernel
 * table (quant/kernels.h).
 */
#ifndef LZ_MODEL_OPS_H
#define LZ_MODEL_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "../common/cpu.h"
#include "arch.h"

/* y[i] = (x[i] * s) * w[i] with s = 1 / sqrtf(mean + eps),
 * mean = (float)(sum_i (double)(x[i] * x[i]) / n), summed in ascending i.
 * y may equal x. w may be NULL (no weight). */
void lz_op_rmsnorm(float *y, const float *x, const float *w, uint32_t n, float eps);

/* RoPE of one position. */
typedef struct {
    uint32_t n_rot;        /* rotated dims (even) */
    float theta_scale;     /* base^(-2/n_rot), as float */
    float freq_scale;      /* linear scaling */
    float attn_factor;     /* multiplies cos and sin */
    const float *factors;  /* n_rot/2 divisors, or NULL */
} lz_rope_cfg;

void lz_rope_cfg_init(lz_rope_cfg *c, uint32_t n_rot, float base, float freq_scale, float attn_factor,
                      const float *factors);

/* cs[2i] = cos(theta_i), cs[2i+1] = sin(theta_i) for i < n_rot/2, where
 * theta_i = freq_scale * ((pos * theta_scale^i) / factor_i), the power taken
 * by repeated float multiplication; cos/sin from lz_sincos (double), rounded
 * to float, times attn_factor. */
void lz_op_rope_table(const lz_rope_cfg *c, uint32_t pos, float *cs);

/* Rotate one head vector in place with a table from lz_op_rope_table. */
void lz_op_rope_apply(float *x, const float *cs, uint32_t n_rot, lz_rope_type type);

/* Round a row to f16 (RNE) for the KV cache. */
void lz_op_store_f16(uint16_t *dst, const float *src, uint32_t n);

/* x[i] = cap * tanh(x[i] / cap), as cap * lz_tanhf(x[i] * (1 / cap)). */
void lz_op_softcap(float *x, uint32_t n, float cap);

#endif /* LZ_MODEL_OPS_H */
