/*
 * ops_ref.c - the scalar reference of the forward pass's float kernels
 * (kernels.h has their orders), and the scalar level of the kernel table.
 * No libm transcendental: exp, tanh and GELU come from lz_math.h.
 */
#include "../common/f16.h"
#include "../common/lz_math.h"
#include "../coder/freq.h"
#include "kernels.h"
#include "quant_internal.h"

float lz_op_dot_f16_ref(const float *q, const uint16_t *k, uint32_t n)
{
    float acc[32] = { 0 };
    for (uint32_t i = 0; i < n; i++) acc[i % 32] = acc[i % 32] + q[i] * lz_f16_to_f32(k[i]);
    for (int h = 16; h >= 1; h /= 2)
        for (int i = 0; i < h; i++) acc[i] = acc[i] + acc[i + h];
    return acc[0];
}

void lz_op_exp_sum_ref(float *x, uint32_t n, float max, double *sum)
{
    double s = *sum;
    for (uint32_t j = 0; j < n; j++) {
        x[j] = lz_expf(x[j] - max);
        s += (double)x[j];
    }
    *sum = s;
}

void lz_op_exp_sum_rows_ref(float *x, size_t stride, uint32_t R, const uint32_t *n, const float *max, double *sum)
{
    for (uint32_t r = 0; r < R; r++) lz_op_exp_sum_ref(x + r * stride, n[r], max[r], &sum[r]);
}

void lz_op_wsum_f16_ref(float *y, const float *w, const uint16_t *v, size_t stride, uint32_t n_rows, uint32_t n)
{
    for (uint32_t j = 0; j < n_rows; j++)
        for (uint32_t i = 0; i < n; i++) y[i] = y[i] + w[j] * lz_f16_to_f32(v[(size_t)j * stride + i]);
}

void lz_op_gated_act(float *gate, const float *up, uint32_t n, lz_ffn_act act)
{
    if (act == LZ_FFN_GELU_TANH) {
        for (uint32_t i = 0; i < n; i++) gate[i] = lz_gelu_tanhf(gate[i]) * up[i];
    } else {
        for (uint32_t i = 0; i < n; i++) gate[i] = lz_siluf(gate[i]) * up[i];
    }
}

void lz_op_attn_scores_ref(const float *const *q, int G, const uint16_t *k, size_t stride, uint32_t n_rows, uint32_t n,
                           float scale, float *scores, size_t scores_stride)
{
    for (int g = 0; g < G; g++)
        for (uint32_t j = 0; j < n_rows; j++)
            scores[(size_t)g * scores_stride + j] = lz_op_dot_f16_ref(q[g], k + (size_t)j * stride, n) * scale;
}

void lz_op_attn_wsum_ref(float *const *y, const float *const *w, int G, const uint16_t *v, size_t stride,
                         uint32_t n_rows, uint32_t n)
{
    for (int g = 0; g < G; g++) lz_op_wsum_f16_ref(y[g], w[g], v, stride, n_rows, n);
}

void lz_kernels_fill_ref(lz_kernels *k)
{
    k->vec_dot[LZ_TYPE_F32] = lz_vec_dot_f32_ref;
    k->vec_dot[LZ_TYPE_F16] = lz_vec_dot_f16_ref;
    k->vec_dot[LZ_TYPE_BF16] = lz_vec_dot_bf16_ref;
    k->vec_dot[LZ_TYPE_Q4_0] = lz_vec_dot_q4_0_ref;
    k->vec_dot[LZ_TYPE_Q4_1] = lz_vec_dot_q4_1_ref;
    k->vec_dot[LZ_TYPE_Q5_0] = lz_vec_dot_q5_0_ref;
    k->vec_dot[LZ_TYPE_Q5_1] = lz_vec_dot_q5_1_ref;
    k->vec_dot[LZ_TYPE_Q8_0] = lz_vec_dot_q8_0_ref;
    k->vec_dot[LZ_TYPE_Q2_K] = lz_vec_dot_q2_k_ref;
    k->vec_dot[LZ_TYPE_Q3_K] = lz_vec_dot_q3_k_ref;
    k->vec_dot[LZ_TYPE_Q4_K] = lz_vec_dot_q4_k_ref;
    k->vec_dot[LZ_TYPE_Q5_K] = lz_vec_dot_q5_k_ref;
    k->vec_dot[LZ_TYPE_Q6_K] = lz_vec_dot_q6_k_ref;
    k->quantize[LZ_TYPE_F32] = lz_quantize_f32_ref;
    k->quantize[LZ_TYPE_Q8_0] = lz_quantize_q8_0_ref;
    k->quantize[LZ_TYPE_Q8_1] = lz_quantize_q8_1_ref;
    k->quantize[LZ_TYPE_Q8_K] = lz_quantize_q8_k_ref;
    k->dot_f16 = lz_op_dot_f16_ref;
    k->exp_sum = lz_op_exp_sum_ref;
    k->exp_sum_rows = lz_op_exp_sum_rows_ref;
    k->wsum_f16 = lz_op_wsum_f16_ref;
    k->gated_act = lz_op_gated_act;
    k->attn_scores = lz_op_attn_scores_ref;
    k->attn_wsum = lz_op_attn_wsum_ref;
    k->freq_max = lz_freq_max_ref;
    k->freq_exp_sum = lz_freq_exp_sum_ref;
    k->freq_total = lz_freq_total_ref;
    k->freq_find = lz_freq_find_ref;
}
