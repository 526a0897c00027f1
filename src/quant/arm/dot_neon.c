/*
 * dot_neon.c - AArch64 Advanced SIMD dot products, bit-identical to
 * quant_ref.c.
 *
 * NEON forms each block's exact integer sums; the few float operations of
 * v_b and the accumulation into acc[b % 8] are written as plain C, the same
 * expressions as the reference, so they are the same IEEE operations
 * (-ffp-contract=off keeps the compiler from fusing them into FMLA).
 *
 * Integer products: vmull_s8 gives exact int16 products (|w| <= 128,
 * |a| <= 127), vmlal_high_s8 adds a second product to each lane:
 * <= 2 * 128 * 127 = 32512, no wrap; then widening pairwise adds to int32.
 * Weights are first unpacked to int8 with their offset applied (Q4_0 -8,
 * Q5_0 -16, Q3_K -4, Q6_K -32), so every type uses the same dot.
 */
#include <arm_neon.h>
#include <string.h>

#include "quant/arm/unpack_neon.h"
#include "quant/kernels.h"
#include "quant/quant_internal.h"
#include "common/f16.h"
#include "common/lz_common.h"

static inline float f16(uint16_t h) { return lz_f16_to_f32(h); }

/* Exact sum of 32 products w_i * a_i. */
static inline int32_t dot32(int8x16_t w0, int8x16_t w1, const int8_t *a)
{
    const int8x16_t a0 = vld1q_s8(a), a1 = vld1q_s8(a + 16);
    int16x8_t p0 = vmull_s8(vget_low_s8(w0), vget_low_s8(a0));
    p0 = vmlal_high_s8(p0, w0, a0);
    int16x8_t p1 = vmull_s8(vget_low_s8(w1), vget_low_s8(a1));
    p1 = vmlal_high_s8(p1, w1, a1);
    return vaddvq_s32(vpadalq_s16(vpaddlq_s16(p0), p1));
}

/* Exact sum of 16 products. */
static inline int32_t dot16(int8x16_t w, const int8_t *a)
{
    const int8x16_t x = vld1q_s8(a);
    int16x8_t p = vmull_s8(vget_low_s8(w), vget_low_s8(x));
    p = vmlal_high_s8(p, w, x);
    return vaddlvq_s16(p);
}

/* 16 bits of qh (starting at bit `first`) -> 16 bytes of 0x10 / 0. */
static inline uint8x16_t bits_to_0x10(uint32_t qh, int first)
{
    const uint16_t bits = (uint16_t)(qh >> first);
    const uint8x16_t bytes = vcombine_u8(vdup_n_u8((uint8_t)bits), vdup_n_u8((uint8_t)(bits >> 8)));
    static const uint8_t m[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };
    return vandq_u8(vtstq_u8(bytes, vld1q_u8(m)), vdupq_n_u8(16));
}

/* ------------------------------------------------ 32-element blocks */

/* Unpack a block's 32 values (offset applied) into two int8x16. */
static inline void unpack_nibbles(const uint8_t *qs, uint8x16_t *lo, uint8x16_t *hi)
{
    const uint8x16_t q = vld1q_u8(qs);
    *lo = vandq_u8(q, vdupq_n_u8(15));
    *hi = vshrq_n_u8(q, 4);
}

static void vec_dot_q8_0(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q8_0 *bw = w;
    const lz_block_q8_0 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        const int32_t isum = dot32(vld1q_s8(bw[b].qs), vld1q_s8(bw[b].qs + 16), ba[b].qs);
        acc[b % LZ_QACC] += (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
    }
    *out = lz_reduce_qacc(acc);
}

static void vec_dot_q4_0(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q4_0 *bw = w;
    const lz_block_q8_0 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        uint8x16_t lo, hi;
        unpack_nibbles(bw[b].qs, &lo, &hi);
        const int8x16_t w0 = vsubq_s8(vreinterpretq_s8_u8(lo), vdupq_n_s8(8));
        const int8x16_t w1 = vsubq_s8(vreinterpretq_s8_u8(hi), vdupq_n_s8(8));
        const int32_t isum = dot32(w0, w1, ba[b].qs);
        acc[b % LZ_QACC] += (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
    }
    *out = lz_reduce_qacc(acc);
}

static void vec_dot_q5_0(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q5_0 *bw = w;
    const lz_block_q8_0 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        uint8x16_t lo, hi;
        unpack_nibbles(bw[b].qs, &lo, &hi);
        const uint32_t qh = lz_rd32(bw[b].qh);
        const int8x16_t w0 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(lo, bits_to_0x10(qh, 0))), vdupq_n_s8(16));
        const int8x16_t w1 = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(hi, bits_to_0x10(qh, 16))), vdupq_n_s8(16));
        const int32_t isum = dot32(w0, w1, ba[b].qs);
        acc[b % LZ_QACC] += (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
    }
    *out = lz_reduce_qacc(acc);
}

static void vec_dot_q4_1(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q4_1 *bw = w;
    const lz_block_q8_1 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        uint8x16_t lo, hi;
        unpack_nibbles(bw[b].qs, &lo, &hi);
        const int32_t isum = dot32(vreinterpretq_s8_u8(lo), vreinterpretq_s8_u8(hi), ba[b].qs);
        const float scaled = (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
        acc[b % LZ_QACC] += scaled + f16(bw[b].m) * f16(ba[b].s);
    }
    *out = lz_reduce_qacc(acc);
}

static void vec_dot_q5_1(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q5_1 *bw = w;
    const lz_block_q8_1 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        uint8x16_t lo, hi;
        unpack_nibbles(bw[b].qs, &lo, &hi);
        const uint32_t qh = lz_rd32(bw[b].qh);
        const int8x16_t w0 = vreinterpretq_s8_u8(vorrq_u8(lo, bits_to_0x10(qh, 0)));
        const int8x16_t w1 = vreinterpretq_s8_u8(vorrq_u8(hi, bits_to_0x10(qh, 16)));
        const int32_t isum = dot32(w0, w1, ba[b].qs);
        const float scaled = (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
        acc[b % LZ_QACC] += scaled + f16(bw[b].m) * f16(ba[b].s);
    }
    *out = lz_reduce_qacc(acc);
}

/* ------------------------------------------------------------ K-quants */

/* The reference's v_b, same expressions (kquant_v in quant_ref.c). */
static inline float kquant_v(float da, uint16_t dw, uint16_t dmin, int32_t isum, int32_t msum)
{
    const float scaled = (da * f16(dw)) * (float)isum;
    const float mins = (da * f16(dmin)) * (float)msum;
    return scaled - mins;
}

static inline float kquant_v_nomin(float da, uint16_t dw, int32_t isum)
{
    return (da * f16(dw)) * (float)isum;
}

static void vec_dot_q4_k(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q4_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        int32_t isum = 0, msum = 0;
        for (int c = 0; c < 4; c++) {   /* chunk c: groups 2c (low nibbles) and 2c + 1 */
            const uint8x16_t q0 = vld1q_u8(bw[b].qs + 32 * c), q1 = vld1q_u8(bw[b].qs + 32 * c + 16);
            const int8x16_t l0 = vreinterpretq_s8_u8(vandq_u8(q0, vdupq_n_u8(15)));
            const int8x16_t l1 = vreinterpretq_s8_u8(vandq_u8(q1, vdupq_n_u8(15)));
            const int8x16_t h0 = vreinterpretq_s8_u8(vshrq_n_u8(q0, 4)), h1 = vreinterpretq_s8_u8(vshrq_n_u8(q1, 4));
            int sc0, m0, sc1, m1;
            lz_k4_scale_min(bw[b].scales, 2 * c, &sc0, &m0);
            lz_k4_scale_min(bw[b].scales, 2 * c + 1, &sc1, &m1);
            isum += sc0 * dot32(l0, l1, ba[b].qs + 64 * c) + sc1 * dot32(h0, h1, ba[b].qs + 64 * c + 32);
            msum += m0 * (ba[b].bsums[4 * c] + ba[b].bsums[4 * c + 1]) + m1 * (ba[b].bsums[4 * c + 2] + ba[b].bsums[4 * c + 3]);
        }
        acc[b % LZ_QACC] += kquant_v(ba[b].d, bw[b].d, bw[b].dmin, isum, msum);
    }
    *out = lz_reduce_qacc(acc);
}

static void vec_dot_q5_k(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q5_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        const uint8x16_t qh0 = vld1q_u8(bw[b].qh), qh1 = vld1q_u8(bw[b].qh + 16);
        const uint8x16_t m16 = vdupq_n_u8(16);
        int32_t isum = 0, msum = 0;
        for (int c = 0; c < 4; c++) {
            const uint8x16_t q0 = vld1q_u8(bw[b].qs + 32 * c), q1 = vld1q_u8(bw[b].qs + 32 * c + 16);
            /* bit 2c (2c + 1) of qh[l] is the fifth bit of element 64c + l (+ 32) */
            const uint8x16_t bl = vdupq_n_u8((uint8_t)(1u << (2 * c))), bh = vdupq_n_u8((uint8_t)(2u << (2 * c)));
            const int8x16_t l0 = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q0, vdupq_n_u8(15)), vandq_u8(vtstq_u8(qh0, bl), m16)));
            const int8x16_t l1 = vreinterpretq_s8_u8(vorrq_u8(vandq_u8(q1, vdupq_n_u8(15)), vandq_u8(vtstq_u8(qh1, bl), m16)));
            const int8x16_t h0 = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q0, 4), vandq_u8(vtstq_u8(qh0, bh), m16)));
            const int8x16_t h1 = vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(q1, 4), vandq_u8(vtstq_u8(qh1, bh), m16)));
            int sc0, m0, sc1, m1;
            lz_k4_scale_min(bw[b].scales, 2 * c, &sc0, &m0);
            lz_k4_scale_min(bw[b].scales, 2 * c + 1, &sc1, &m1);
            isum += sc0 * dot32(l0, l1, ba[b].qs + 64 * c) + sc1 * dot32(h0, h1, ba[b].qs + 64 * c + 32);
            msum += m0 * (ba[b].bsums[4 * c] + ba[b].bsums[4 * c + 1]) + m1 * (ba[b].bsums[4 * c + 2] + ba[b].bsums[4 * c + 3]);
        }
        acc[b % LZ_QACC] += kquant_v(ba[b].d, bw[b].d, bw[b].dmin, isum, msum);
    }
    *out = lz_reduce_qacc(acc);
}

static void vec_dot_q6_k(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q6_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    const int8x16_t off = vdupq_n_s8(32);
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        int32_t isum = 0;
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = bw[b].ql + 64 * h, *qh = bw[b].qh + 32 * h;
            const int8_t *sc = bw[b].scales + 8 * h, *aq = ba[b].qs + 128 * h;
            for (int s = 0; s < 2; s++) {   /* elements l = 16s .. 16s + 15 of each quarter */
                uint8x16_t q[4];
                lz_q6k_quarters(ql, qh, s, q);
                for (int t = 0; t < 4; t++)   /* quarter t: 32t + 16s .. , scale 2t + s */
                    isum += sc[2 * t + s] * dot16(vsubq_s8(vreinterpretq_s8_u8(q[t]), off), aq + 32 * t + 16 * s);
            }
        }
        acc[b % LZ_QACC] += kquant_v_nomin(ba[b].d, bw[b].d, isum);
    }
    *out = lz_reduce_qacc(acc);
}

static void vec_dot_q2_k(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q2_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    const uint8x16_t m3 = vdupq_n_u8(3);
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        int32_t isum = 0, msum = 0;
        for (int h = 0; h < 2; h++)
            for (int s = 0; s < 2; s++) {
                uint8x16_t q = vld1q_u8(bw[b].qs + 32 * h + 16 * s);
                for (int j = 0; j < 4; j++, q = vshrq_n_u8(q, 2)) {   /* group 8h + 2j + s */
                    const int g = 8 * h + 2 * j + s;
                    isum += (bw[b].scales[g] & 15) * dot16(vreinterpretq_s8_u8(vandq_u8(q, m3)), ba[b].qs + 16 * g);
                }
            }
        for (int g = 0; g < 16; g++) msum += (bw[b].scales[g] >> 4) * ba[b].bsums[g];
        acc[b % LZ_QACC] += kquant_v(ba[b].d, bw[b].d, bw[b].dmin, isum, msum);
    }
    *out = lz_reduce_qacc(acc);
}

static void vec_dot_q3_k(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q3_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    const uint8x16_t m3 = vdupq_n_u8(3);
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        int8_t sc[16];
        lz_k3_scales(bw[b].scales, sc);
        int32_t isum = 0;
        for (int s = 0; s < 2; s++) {
            const uint8x16_t hm = vld1q_u8(bw[b].hmask + 16 * s);
            for (int h = 0; h < 2; h++) {
                uint8x16_t q = vld1q_u8(bw[b].qs + 32 * h + 16 * s);
                for (int j = 0; j < 4; j++, q = vshrq_n_u8(q, 2)) {   /* group 8h + 2j + s */
                    const int g = 8 * h + 2 * j + s;
                    /* value = low 2 bits - 4 unless bit (4h + j) of hmask is set */
                    const uint8x16_t set = vtstq_u8(hm, vdupq_n_u8((uint8_t)(1u << (4 * h + j))));
                    const uint8x16_t minus4 = vbicq_u8(vdupq_n_u8(4), set);
                    const int8x16_t v = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, m3)), vreinterpretq_s8_u8(minus4));
                    isum += sc[g] * dot16(v, ba[b].qs + 16 * g);
                }
            }
        }
        acc[b % LZ_QACC] += kquant_v_nomin(ba[b].d, bw[b].d, isum);
    }
    *out = lz_reduce_qacc(acc);
}

/* ------------------------------------------------------------ float types */

/* acc[i % 32] += w_i * x_i: eight float32x4 hold lanes 4k .. 4k + 3. */
typedef float32x4_t (*load4_fn)(const uint8_t *w, int64_t i);
typedef float (*scalar1_fn)(const uint8_t *w, int64_t i);

static inline float32x4_t load4_f32(const uint8_t *w, int64_t i) { return vld1q_f32((const float *)w + i); }
static inline float32x4_t load4_f16(const uint8_t *w, int64_t i)
{
    float t[4];
    for (int k = 0; k < 4; k++) t[k] = lz_f16_to_f32(lz_rd16(w + 2 * (i + k)));
    return vld1q_f32(t);
}
static inline float32x4_t load4_bf16(const uint8_t *w, int64_t i)
{
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16((const uint16_t *)(const void *)(w + 2 * i)), 16));
}
static float scalar_f32(const uint8_t *w, int64_t i) { float f; memcpy(&f, w + 4 * i, 4); return f; }
static float scalar_f16(const uint8_t *w, int64_t i) { return lz_f16_to_f32(lz_rd16(w + 2 * i)); }
static float scalar_bf16(const uint8_t *w, int64_t i) { return lz_bf16_to_f32(lz_rd16(w + 2 * i)); }

static inline void vec_dot_float(int64_t n, float *out, const void *w, const void *a, load4_fn load, scalar1_fn scalar)
{
    const uint8_t *pw = w;
    const float *x = a;
    float32x4_t acc[8];
    for (int k = 0; k < 8; k++) acc[k] = vdupq_n_f32(0.0f);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 8; k++)
            acc[k] = vaddq_f32(acc[k], vmulq_f32(load(pw, i + 4 * k), vld1q_f32(x + i + 4 * k)));
    float lanes[LZ_FACC];
    for (int k = 0; k < 8; k++) vst1q_f32(lanes + 4 * k, acc[k]);
    for (int64_t j = i; j < n; j++) lanes[j - i] += scalar(pw, j) * x[j];
    *out = lz_reduce_facc(lanes);
}

static void vec_dot_f32(int64_t n, float *out, const void *w, const void *a) { vec_dot_float(n, out, w, a, load4_f32, scalar_f32); }
static void vec_dot_f16(int64_t n, float *out, const void *w, const void *a) { vec_dot_float(n, out, w, a, load4_f16, scalar_f16); }
static void vec_dot_bf16(int64_t n, float *out, const void *w, const void *a) { vec_dot_float(n, out, w, a, load4_bf16, scalar_bf16); }

void lz_kernels_fill_neon(lz_kernels *k)
{
    static const struct {
        lz_type type;
        lz_vec_dot_fn dot;
    } rows[] = {
        { LZ_TYPE_F32, vec_dot_f32 },   { LZ_TYPE_F16, vec_dot_f16 },   { LZ_TYPE_BF16, vec_dot_bf16 },
        { LZ_TYPE_Q8_0, vec_dot_q8_0 }, { LZ_TYPE_Q4_0, vec_dot_q4_0 }, { LZ_TYPE_Q5_0, vec_dot_q5_0 },
        { LZ_TYPE_Q4_1, vec_dot_q4_1 }, { LZ_TYPE_Q5_1, vec_dot_q5_1 }, { LZ_TYPE_Q2_K, vec_dot_q2_k },
        { LZ_TYPE_Q3_K, vec_dot_q3_k }, { LZ_TYPE_Q4_K, vec_dot_q4_k }, { LZ_TYPE_Q5_K, vec_dot_q5_k },
        { LZ_TYPE_Q6_K, vec_dot_q6_k },
    };
    for (size_t i = 0; i < LZ_ARRAY_LEN(rows); i++) k->vec_dot[rows[i].type] = rows[i].dot;
    lz_gemm_fill_neon(k);
    lz_ops_fill_neon(k);
    lz_quantize_fill_neon(k);
}
