/*
 * quantize_neon.c - AArch64 Advanced SIMD versions of the activation
 * quantizers (quant_ref.c, "Activation quantization"), byte-identical to
 * the reference.
 *
 * The rounding decision is x86/quantize_avx2.c's, made with exact float
 * operations: for a = |v| <= 256, t = trunc(a) (FCVTZS) and the fraction
 * a - t are exact, so "half away from zero" is t + (frac >= 0.5) and "half
 * to even" is t + (frac > 0.5 or (frac == 0.5 and t odd)); |v| >= 256
 * clamps to 127 either way; NaN gives 0, as in the reference. Maxima are
 * compare + select ("|x| > amax"), never FMAX, which would let a NaN
 * through where the reference skips it.
 */
#include <arm_neon.h>
#include <string.h>

#include "common/f16.h"
#include "common/lz_common.h"
#include "quant/blocks.h"
#include "quant/kernels.h"
#include "quant/quant_internal.h"

enum { HALF_AWAY, HALF_EVEN };

/* round(v) clamped to [-127, 127] as int32 lanes (quant_ref.c's round_to_q8). */
static inline int32x4_t round_q8(float32x4_t v, int mode)
{
    /* NaN stays NaN through FMIN: FCVTZS gives 0 and the mask below clears it anyway */
    const float32x4_t a = vminq_f32(vabsq_f32(v), vdupq_n_f32(256.0f));
    const int32x4_t ti = vcvtq_s32_f32(a);
    const float32x4_t frac = vsubq_f32(a, vcvtq_f32_s32(ti));
    const float32x4_t half = vdupq_n_f32(0.5f);
    uint32x4_t up;
    if (mode == HALF_AWAY) {
        up = vcgeq_f32(frac, half);
    } else {
        const uint32x4_t odd = vtstq_s32(ti, vdupq_n_s32(1));
        up = vorrq_u32(vcgtq_f32(frac, half), vandq_u32(vceqq_f32(frac, half), odd));
    }
    int32x4_t q = vsubq_s32(ti, vreinterpretq_s32_u32(up)); /* up is -1 where it rounds up */
    q = vminq_s32(q, vdupq_n_s32(127));
    q = vbicq_s32(q, vreinterpretq_s32_u32(vmvnq_u32(vceqq_f32(v, v)))); /* NaN: 0 */
    /* the sign of v (bit 31), -0 included: -q */
    const int32x4_t neg = vshrq_n_s32(vreinterpretq_s32_f32(v), 31);
    return vsubq_s32(veorq_s32(q, neg), neg);
}

/* 32 int32 lanes (8 vectors' worth, in element order) -> 32 int8: the
 * narrowing is exact, every value is in [-127, 127]. */
static inline void store_q8x32(int8_t *dst, const int32x4_t q[8])
{
    for (int h = 0; h < 2; h++) {
        const int16x8_t a = vcombine_s16(vqmovn_s32(q[4 * h]), vqmovn_s32(q[4 * h + 1]));
        const int16x8_t b = vcombine_s16(vqmovn_s32(q[4 * h + 2]), vqmovn_s32(q[4 * h + 3]));
        vst1q_s8(dst + 16 * h, vcombine_s8(vqmovn_s16(a), vqmovn_s16(b)));
    }
}

/* max |x| over 4n floats, ignoring NaN as the reference's "|x| > amax" does. */
static inline float amax_f32(const float *x, int n4)
{
    float32x4_t m = vdupq_n_f32(0.0f);
    for (int i = 0; i < n4; i++) {
        const float32x4_t a = vabsq_f32(vld1q_f32(x + 4 * i));
        m = vbslq_f32(vcgtq_f32(a, m), a, m);
    }
    float lanes[4];
    vst1q_f32(lanes, m);
    float r = 0.0f;
    for (int i = 0; i < 4; i++)
        if (lanes[i] > r) r = lanes[i];
    return r;
}

/* q[i] for 32 elements of x times `scale`. */
static inline void round_block32(const float *x, float scale, int mode, int32x4_t q[8])
{
    const float32x4_t s = vdupq_n_f32(scale);
    for (int k = 0; k < 8; k++) q[k] = round_q8(vmulq_f32(vld1q_f32(x + 4 * k), s), mode);
}

static inline int32_t sum_q(const int32x4_t *q, int n)
{
    int32x4_t s = q[0];
    for (int k = 1; k < n; k++) s = vaddq_s32(s, q[k]);
    return vaddvq_s32(s);
}

static void quantize_q8_0_neon(const float *x, void *dst, int64_t n)
{
    lz_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / LZ_QK; i++, x += LZ_QK) {
        const float amax = amax_f32(x, 8);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int32x4_t q[8];
        round_block32(x, id, HALF_AWAY, q);
        y[i].d = lz_f32_to_f16(d);
        store_q8x32(y[i].qs, q);
    }
}

static void quantize_q8_1_neon(const float *x, void *dst, int64_t n)
{
    lz_block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / LZ_QK; i++, x += LZ_QK) {
        const float amax = amax_f32(x, 8);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int32x4_t q[8];
        round_block32(x, id, HALF_AWAY, q);
        store_q8x32(y[i].qs, q);
        y[i].d = lz_f32_to_f16(d);
        y[i].s = lz_f32_to_f16((float)sum_q(q, 8) * d);
    }
}

static void quantize_q8_k_neon(const float *x, void *dst, int64_t n)
{
    lz_block_q8_k *y = dst;
    for (int64_t i = 0; i < n / LZ_QK_K; i++, x += LZ_QK_K) {
        const float amax = amax_f32(x, LZ_QK_K / 4);
        memset(&y[i], 0, sizeof(y[i]));
        if (amax == 0.0f) continue;
        /* the first x with |x| == amax (the reference keeps the first on ties) */
        float max = 0.0f;
        for (int j = 0; j < LZ_QK_K; j++)
            if (lz_f32_bits(x[j]) << 1 == lz_f32_bits(amax) << 1) {
                max = x[j];
                break;
            }
        const float iscale = -127.0f / max;
        for (int g = 0; g < LZ_QK_K / 32; g++) {
            int32x4_t q[8];
            round_block32(x + 32 * g, iscale, HALF_EVEN, q);
            store_q8x32(y[i].qs + 32 * g, q);
            /* bsums of elements 32g .. 32g+15 and 32g+16 .. 32g+31 */
            y[i].bsums[2 * g] = (int16_t)sum_q(q, 4);
            y[i].bsums[2 * g + 1] = (int16_t)sum_q(q + 4, 4);
        }
        y[i].d = 1.0f / iscale;
    }
}

void lz_quantize_fill_neon(lz_kernels *k)
{
    k->quantize[LZ_TYPE_Q8_0] = quantize_q8_0_neon;
    k->quantize[LZ_TYPE_Q8_1] = quantize_q8_1_neon;
    k->quantize[LZ_TYPE_Q8_K] = quantize_q8_k_neon;
}
