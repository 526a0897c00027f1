/*
 * ops.c - scalar reference of the model ops (see ops.h for the exact
 * orders). No libm transcendental is used: exp, tanh, sin, cos and pow come
 * from lz_math.h; sqrtf is correctly rounded everywhere.
 */
#include <math.h>
#include <string.h>

#include "../common/f16.h"
#include "../common/lz_math.h"
#include "ops.h"

void lz_op_rmsnorm(float *y, const float *x, const float *w, uint32_t n, float eps)
{
    double sum = 0.0;
    for (uint32_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    if (w) {
        for (uint32_t i = 0; i < n; i++) y[i] = (x[i] * scale) * w[i];
    } else {
        for (uint32_t i = 0; i < n; i++) y[i] = x[i] * scale;
    }
}

void lz_rope_cfg_init(lz_rope_cfg *c, uint32_t n_rot, float base, float freq_scale, float attn_factor,
                      const float *factors)
{
    c->n_rot = n_rot;
    /* the exponent is formed in float, as ggml does, then the power in double */
    const float e = -2.0f / (float)n_rot;
    c->theta_scale = (float)lz_pow((double)base, (double)e);
    c->freq_scale = freq_scale;
    c->attn_factor = attn_factor;
    c->factors = factors;
}

void lz_op_rope_table(const lz_rope_cfg *c, uint32_t pos, float *cs)
{
    float theta = (float)pos;
    for (uint32_t i = 0; i < c->n_rot / 2; i++) {
        const float ff = c->factors ? c->factors[i] : 1.0f;
        const float t = c->freq_scale * (theta / ff);
        double s, co;
        lz_sincos((double)t, &s, &co);
        cs[2 * i] = (float)co * c->attn_factor;
        cs[2 * i + 1] = (float)s * c->attn_factor;
        theta *= c->theta_scale;
    }
}

void lz_op_rope_apply(float *x, const float *cs, uint32_t n_rot, lz_rope_type type)
{
    const uint32_t half = n_rot / 2;
    for (uint32_t i = 0; i < half; i++) {
        const uint32_t i0 = type == LZ_ROPE_NEOX ? i : 2 * i;
        const uint32_t i1 = type == LZ_ROPE_NEOX ? i + half : 2 * i + 1;
        const float c = cs[2 * i], s = cs[2 * i + 1];
        const float x0 = x[i0], x1 = x[i1];
        x[i0] = x0 * c - x1 * s;
        x[i1] = x0 * s + x1 * c;
    }
}

void lz_op_store_f16(uint16_t *dst, const float *src, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) dst[i] = lz_f32_to_f16(src[i]);
}

void lz_op_softcap(float *x, uint32_t n, float cap)
{
    const float inv = 1.0f / cap;
    for (uint32_t i = 0; i < n; i++) x[i] = cap * lz_tanhf(x[i] * inv);
}
