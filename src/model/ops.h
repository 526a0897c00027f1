/*
 * ops.h - the non-matmul math of the forward pass, each in one canonical
 * order (doc/determinism.md, "Model ops"): RMS norm, RoPE, the attention
 * inner products over the f16 KV cache, activations.
 *
 * Every function works on one row (one token, or one token and head), so
 * results never depend on the batch size or on which thread runs them. The
 * kernels with an ISA-specific version (the attention's f16 dot product,
 * exponentials and weighted V sum) compute exactly the scalar version's operations in the same
 * order: lanes in vector registers are the scalar code's acc[i % 32].
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

/* The kernels that have ISA-specific versions: attention over f16 cache rows
 * and the gated FFN activation. */
typedef struct {
    /* sum_i q[i] * k[i]: p_i = q[i] * (float)k[i]; acc[i % 32] += p_i in
     * ascending i (32 lanes: four independent vector chains); then
     * acc[i] += acc[i + h] for h = 16, 8, 4, 2, 1. */
    float (*dot_f16)(const float *q, const uint16_t *k, uint32_t n);
    /* x[j] = lz_expf(x[j] - max) for j ascending; *sum += (double)x[j] in
     * the same order. */
    void (*exp_sum)(float *x, uint32_t n, float max, double *sum);
    /* for rows j ascending, for every i < n: y[i] = y[i] + w[j] * (float)v[j * stride + i] */
    void (*wsum_f16)(float *y, const float *w, const uint16_t *v, size_t stride, uint32_t n_rows, uint32_t n);
    /* gate[i] = act(gate[i]) * up[i] (lz_op_gated_act) */
    void (*gated_act)(float *gate, const float *up, uint32_t n, lz_ffn_act act);
} lz_op_kernels;

/* The kernels for `isa` (lowered to what this CPU and build can run). */
const lz_op_kernels *lz_op_kernels_get(lz_isa isa);

/* The scalar reference versions (also what other levels must equal). */
float lz_op_dot_f16_ref(const float *q, const uint16_t *k, uint32_t n);
void lz_op_exp_sum_ref(float *x, uint32_t n, float max, double *sum);
void lz_op_wsum_f16_ref(float *y, const float *w, const uint16_t *v, size_t stride, uint32_t n_rows, uint32_t n);

#if defined(LZ_BUILD_X86_SIMD) && (defined(__x86_64__) || defined(__i386__))
#define LZ_MODEL_X86 1
const lz_op_kernels *lz_op_kernels_avx2(void);
#endif

/* gate[i] = act(gate[i]) * up[i] */
void lz_op_gated_act(float *gate, const float *up, uint32_t n, lz_ffn_act act);

/* x[i] = cap * tanh(x[i] / cap), as cap * lz_tanhf(x[i] * (1 / cap)). */
void lz_op_softcap(float *x, uint32_t n, float cap);

#endif /* LZ_MODEL_OPS_H */
