/*
 * quant_ref.c - the scalar reference of every type: dequantization,
 * activation quantization (f32 -> Q8_0 / Q8_1 / Q8_K) and the dot product
 * of every weight type with its activation partner.
 *
 * This file is the specification. The SIMD kernels (x86/, arm/) must give
 * the same bits; doc/determinism.md ("Dot products") states the order in
 * words. Pattern of every quantized dot product:
 *
 *   for each block b:  integer sums of the block (exact in int32, so the
 *                      order in which they are formed does not matter),
 *                      then v_b from them by a fixed sequence of float
 *                      multiplies and adds (written out below, one rounding
 *                      per operator, no FMA),
 *                      acc[b % 8] += v_b
 *   result = halving reduction of acc (h = 4, 2, 1).
 */
#include <string.h>

#include "quant_internal.h"
#include "common/f16.h"
#include "common/lz_common.h"

static inline float f16(uint16_t h) { return lz_f16_to_f32(h); }

/* ------------------------------------------------------------------------
 * Rounding to an integer, done on the bits so that it depends on no
 * rounding mode and no libm: exact for every float. NaN gives 0; results
 * are clamped to [-127, 127], the int8 range the kernels rely on (finite
 * activations never reach the clamp: see lz_quantize_act_row).
 */
enum { ROUND_HALF_AWAY, ROUND_HALF_EVEN };

static int round_to_q8(float v, int mode)
{
    const uint32_t u = lz_f32_bits(v);
    const uint32_t e = (u >> 23) & 0xffu;
    const uint32_t mant = (u & 0x7fffffu) | 0x800000u;
    int32_t q;
    if (e == 0xffu && (u & 0x7fffffu)) return 0;      /* NaN */
    if (e < 126) {                                   /* |v| < 0.5 */
        q = 0;
    } else if (e >= 127 + 8) {                       /* |v| >= 256: clamps anyway */
        q = 256;
    } else {
        const uint32_t shift = 150 - e;              /* 16..24: bits below the point */
        const uint32_t half = 1u << (shift - 1);
        const uint32_t rem = mant & ((1u << shift) - 1);
        uint32_t iq = mant >> shift;
        if (mode == ROUND_HALF_AWAY ? rem >= half : (rem > half || (rem == half && (iq & 1))))
            iq++;
        q = (int32_t)iq;
    }
    if (q > 127) q = 127;
    return (u >> 31) ? -q : q;
}

static inline float abs_f32(float x) { return lz_f32_from_bits(lz_f32_bits(x) & 0x7fffffffu); }

/* ------------------------------------------------------------------------
 * Dequantization. The float operations and their order are those of the
 * gguf Python package (and ggml's reference): e.g. Q4_K is
 * (d * sc) * q - (dmin * m), each product rounded to f32.
 */

static void dequant_q4_0(const lz_block_q4_0 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK) {
        const float d = f16(b[i].d);
        for (int j = 0; j < LZ_QK / 2; j++) {
            y[j] = d * (float)((b[i].qs[j] & 15) - 8);
            y[j + 16] = d * (float)((b[i].qs[j] >> 4) - 8);
        }
    }
}

static void dequant_q4_1(const lz_block_q4_1 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK) {
        const float d = f16(b[i].d), m = f16(b[i].m);
        for (int j = 0; j < LZ_QK / 2; j++) {
            y[j] = d * (float)(b[i].qs[j] & 15) + m;
            y[j + 16] = d * (float)(b[i].qs[j] >> 4) + m;
        }
    }
}

/* 5-bit value j (0..31) of a Q5_0 / Q5_1 block. */
static inline int q5_value(const uint8_t qh[4], const uint8_t qs[16], int j)
{
    const uint32_t h = lz_rd32(qh);
    const int low = j < 16 ? (qs[j] & 15) : (qs[j - 16] >> 4);
    return low | (int)(((h >> j) & 1u) << 4);
}

static void dequant_q5_0(const lz_block_q5_0 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK) {
        const float d = f16(b[i].d);
        for (int j = 0; j < LZ_QK; j++) y[j] = d * (float)(q5_value(b[i].qh, b[i].qs, j) - 16);
    }
}

static void dequant_q5_1(const lz_block_q5_1 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK) {
        const float d = f16(b[i].d), m = f16(b[i].m);
        for (int j = 0; j < LZ_QK; j++) y[j] = d * (float)q5_value(b[i].qh, b[i].qs, j) + m;
    }
}

static void dequant_q8_0(const lz_block_q8_0 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK) {
        const float d = f16(b[i].d);
        for (int j = 0; j < LZ_QK; j++) y[j] = d * (float)b[i].qs[j];
    }
}

static void dequant_q8_1(const lz_block_q8_1 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK) {
        const float d = f16(b[i].d);
        for (int j = 0; j < LZ_QK; j++) y[j] = d * (float)b[i].qs[j];
    }
}

/* Element e (0..255) of a Q2_K / Q3_K block: 2 low bits from qs, group of
 * 16 for the scale. Both types share this layout: half h = e / 128 uses
 * qs[32h .. 32h + 31], shifted by 2 * ((e % 128) / 32). */
static inline int k2_low_bits(const uint8_t qs[64], int e)
{
    const int h = e / 128, j = (e % 128) / 32, l = e % 32;
    return (qs[32 * h + l] >> (2 * j)) & 3;
}

static void dequant_q2_k(const lz_block_q2_k *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK_K) {
        const float d = f16(b[i].d), dmin = f16(b[i].dmin);
        for (int e = 0; e < LZ_QK_K; e++) {
            const int s = b[i].scales[e / 16];
            const float dl = d * (float)(s & 15);
            const float ml = dmin * (float)(s >> 4);
            y[e] = dl * (float)k2_low_bits(b[i].qs, e) - ml;
        }
    }
}

/* Signed 3-bit value (-4..3) of element e of a Q3_K block: the high bit
 * lives in bit e / 32 of hmask[e % 32]; a clear bit means "minus 4". */
static inline int q3_value(const lz_block_q3_k *b, int e)
{
    const int hbit = (b->hmask[e % 32] >> (e / 32)) & 1;
    return k2_low_bits(b->qs, e) - (hbit ? 0 : 4);
}

static void dequant_q3_k(const lz_block_q3_k *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK_K) {
        const float d = f16(b[i].d);
        int8_t sc[16];
        lz_k3_scales(b[i].scales, sc);
        for (int e = 0; e < LZ_QK_K; e++) {
            const float dl = d * (float)sc[e / 16];
            y[e] = dl * (float)q3_value(&b[i], e);
        }
    }
}

/* 4-bit value of element e of a Q4_K / Q5_K block: chunk c = e / 64 of
 * 32 bytes; the first 32 elements of the chunk in the low nibbles. */
static inline int k4_nibble(const uint8_t qs[128], int e)
{
    const int c = e / 64, l = e % 32;
    return (e % 64) < 32 ? (qs[32 * c + l] & 15) : (qs[32 * c + l] >> 4);
}

static void dequant_q4_k(const lz_block_q4_k *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK_K) {
        const float d = f16(b[i].d), dmin = f16(b[i].dmin);
        for (int e = 0; e < LZ_QK_K; e++) {
            int sc, m;
            lz_k4_scale_min(b[i].scales, e / 32, &sc, &m);
            const float dd = d * (float)sc, dm = dmin * (float)m;
            y[e] = dd * (float)k4_nibble(b[i].qs, e) - dm;
        }
    }
}

static inline int q5k_value(const lz_block_q5_k *b, int e)
{
    return k4_nibble(b->qs, e) | (((b->qh[e % 32] >> (e / 32)) & 1) << 4);
}

static void dequant_q5_k(const lz_block_q5_k *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK_K) {
        const float d = f16(b[i].d), dmin = f16(b[i].dmin);
        for (int e = 0; e < LZ_QK_K; e++) {
            int sc, m;
            lz_k4_scale_min(b[i].scales, e / 32, &sc, &m);
            const float dd = d * (float)sc, dm = dmin * (float)m;
            y[e] = dd * (float)q5k_value(&b[i], e) - dm;
        }
    }
}

/* 6-bit value (0..63, not yet offset by -32) of element e of a Q6_K block:
 * half h = e / 128, quarter t = (e % 128) / 32, l = e % 32. Low 4 bits from
 * ql[64h + 32 (t & 1) + l], nibble t / 2; high 2 bits from qh[32h + l]
 * shifted by 2t. */
static inline int q6_value(const lz_block_q6_k *b, int e)
{
    const int h = e / 128, t = (e % 128) / 32, l = e % 32;
    const int low = (b->ql[64 * h + 32 * (t & 1) + l] >> (4 * (t >> 1))) & 15;
    const int high = (b->qh[32 * h + l] >> (2 * t)) & 3;
    return low | (high << 4);
}

static void dequant_q6_k(const lz_block_q6_k *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK_K) {
        const float d = f16(b[i].d);
        for (int e = 0; e < LZ_QK_K; e++) {
            const float dl = d * (float)b[i].scales[e / 16];
            y[e] = dl * (float)(q6_value(&b[i], e) - 32);
        }
    }
}

static void dequant_q8_k(const lz_block_q8_k *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += LZ_QK_K)
        for (int j = 0; j < LZ_QK_K; j++) y[j] = b[i].d * (float)b[i].qs[j];
}

void lz_dequantize_row(lz_type type, const void *src, float *dst, int64_t n)
{
    const lz_type_traits *t = lz_type_get((uint32_t)type);
    if (!t || n <= 0) return;
    const int64_t nb = n / t->block_size;
    const uint8_t *p = src;
    switch (type) {
    case LZ_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case LZ_TYPE_F16:
        for (int64_t i = 0; i < n; i++) dst[i] = lz_f16_to_f32(lz_rd16(p + 2 * i));
        break;
    case LZ_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) dst[i] = lz_bf16_to_f32(lz_rd16(p + 2 * i));
        break;
    case LZ_TYPE_Q4_0: dequant_q4_0(src, dst, nb); break;
    case LZ_TYPE_Q4_1: dequant_q4_1(src, dst, nb); break;
    case LZ_TYPE_Q5_0: dequant_q5_0(src, dst, nb); break;
    case LZ_TYPE_Q5_1: dequant_q5_1(src, dst, nb); break;
    case LZ_TYPE_Q8_0: dequant_q8_0(src, dst, nb); break;
    case LZ_TYPE_Q8_1: dequant_q8_1(src, dst, nb); break;
    case LZ_TYPE_Q2_K: dequant_q2_k(src, dst, nb); break;
    case LZ_TYPE_Q3_K: dequant_q3_k(src, dst, nb); break;
    case LZ_TYPE_Q4_K: dequant_q4_k(src, dst, nb); break;
    case LZ_TYPE_Q5_K: dequant_q5_k(src, dst, nb); break;
    case LZ_TYPE_Q6_K: dequant_q6_k(src, dst, nb); break;
    case LZ_TYPE_Q8_K: dequant_q8_k(src, dst, nb); break;
    default: break;
    }
}

/* ------------------------------------------------------------------------
 * Activation quantization, as ggml's reference quantizers.
 *
 * Q8_0: amax = max |x|; d = amax / 127 (f32); id = d ? 1 / d : 0;
 *       q = round_half_away(x * id); the block stores f16(d).
 *       |x * id| <= 127 * (1 + 3 ulp) for finite x, so |q| <= 127.
 * Q8_1: the same, plus s = f16((float)sum(q) * d) with the f32 d.
 * Q8_K: max = the x of largest |x| (first on ties); iscale = -127 / max;
 *       q = round_half_even(iscale * x); d = 1 / iscale (f32, = -max/127);
 *       bsums[k] = sum of q[16k .. 16k + 15]. All-zero input: d = 0, q = 0.
 */

static void quantize_q8_0(const float *x, lz_block_q8_0 *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += LZ_QK) {
        float amax = 0.0f;
        for (int j = 0; j < LZ_QK; j++)
            if (abs_f32(x[j]) > amax) amax = abs_f32(x[j]);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = lz_f32_to_f16(d);
        for (int j = 0; j < LZ_QK; j++) y[i].qs[j] = (int8_t)round_to_q8(x[j] * id, ROUND_HALF_AWAY);
    }
}

static void quantize_q8_1(const float *x, lz_block_q8_1 *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += LZ_QK) {
        float amax = 0.0f;
        for (int j = 0; j < LZ_QK; j++)
            if (abs_f32(x[j]) > amax) amax = abs_f32(x[j]);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < LZ_QK; j++) {
            y[i].qs[j] = (int8_t)round_to_q8(x[j] * id, ROUND_HALF_AWAY);
            sum += y[i].qs[j];
        }
        y[i].d = lz_f32_to_f16(d);
        y[i].s = lz_f32_to_f16((float)sum * d);
    }
}

static void quantize_q8_k(const float *x, lz_block_q8_k *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += LZ_QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < LZ_QK_K; j++) {
            if (abs_f32(x[j]) > amax) { amax = abs_f32(x[j]); max = x[j]; }
        }
        memset(&y[i], 0, sizeof(y[i]));
        if (amax == 0.0f) continue;
        const float iscale = -127.0f / max;
        for (int j = 0; j < LZ_QK_K; j++) y[i].qs[j] = (int8_t)round_to_q8(iscale * x[j], ROUND_HALF_EVEN);
        for (int k = 0; k < LZ_QK_K / 16; k++) {
            int s = 0;
            for (int j = 0; j < 16; j++) s += y[i].qs[16 * k + j];
            y[i].bsums[k] = (int16_t)s;
        }
        y[i].d = 1.0f / iscale;
    }
}

void lz_quantize_q8_0_ref(const float *x, void *dst, int64_t n) { quantize_q8_0(x, dst, n / LZ_QK); }
void lz_quantize_q8_1_ref(const float *x, void *dst, int64_t n) { quantize_q8_1(x, dst, n / LZ_QK); }
void lz_quantize_q8_k_ref(const float *x, void *dst, int64_t n) { quantize_q8_k(x, dst, n / LZ_QK_K); }
void lz_quantize_f32_ref(const float *x, void *dst, int64_t n) { memcpy(dst, x, (size_t)n * sizeof(float)); }

void lz_quantize_act_row(lz_type act_type, const float *x, void *dst, int64_t n)
{
    if (n <= 0) return;
    switch (act_type) {
    case LZ_TYPE_F32: lz_quantize_f32_ref(x, dst, n); break;
    case LZ_TYPE_Q8_0: lz_quantize_q8_0_ref(x, dst, n); break;
    case LZ_TYPE_Q8_1: lz_quantize_q8_1_ref(x, dst, n); break;
    case LZ_TYPE_Q8_K: lz_quantize_q8_k_ref(x, dst, n); break;
    default: break;
    }
}

/* ------------------------------------------------------------------------
 * Dot products: float types.
 *   p_i = w_i * x_i (w widened exactly to f32); acc[i % 32] += p_i;
 *   halving reduction h = 16, 8, 4, 2, 1.
 */

void lz_vec_dot_f32_ref(int64_t n, float *out, const void *w, const void *a)
{
    const float *wf = w, *x = a;
    float acc[LZ_FACC] = {0};
    for (int64_t i = 0; i < n; i++) acc[i % LZ_FACC] += wf[i] * x[i];
    *out = lz_reduce_facc(acc);
}

void lz_vec_dot_f16_ref(int64_t n, float *out, const void *w, const void *a)
{
    const uint8_t *wh = w;
    const float *x = a;
    float acc[LZ_FACC] = {0};
    for (int64_t i = 0; i < n; i++) acc[i % LZ_FACC] += lz_f16_to_f32(lz_rd16(wh + 2 * i)) * x[i];
    *out = lz_reduce_facc(acc);
}

void lz_vec_dot_bf16_ref(int64_t n, float *out, const void *w, const void *a)
{
    const uint8_t *wh = w;
    const float *x = a;
    float acc[LZ_FACC] = {0};
    for (int64_t i = 0; i < n; i++) acc[i % LZ_FACC] += lz_bf16_to_f32(lz_rd16(wh + 2 * i)) * x[i];
    *out = lz_reduce_facc(acc);
}

/* ------------------------------------------------------------------------
 * Dot products: 32-element blocks with Q8_0 / Q8_1 activations.
 *   isum = sum_i qw_i * qa_i  (qw already offset: Q4_0 -8, Q5_0 -16)
 *   Q4_0, Q5_0, Q8_0:  v = (d_w * d_a) * (float)isum
 *   Q4_1, Q5_1:        v = ((d_w * d_a) * (float)isum) + (m_w * s_a)
 * d_w * d_a and m_w * s_a are products of two f16 values, hence exact in
 * f32; (float)isum is exact (|isum| <= 32 * 128 * 127 < 2^24).
 */

void lz_vec_dot_q8_0_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q8_0 *bw = w;
    const lz_block_q8_0 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        int32_t isum = 0;
        for (int j = 0; j < LZ_QK; j++) isum += bw[b].qs[j] * ba[b].qs[j];
        acc[b % LZ_QACC] += (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
    }
    *out = lz_reduce_qacc(acc);
}

void lz_vec_dot_q4_0_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q4_0 *bw = w;
    const lz_block_q8_0 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        int32_t isum = 0;
        for (int j = 0; j < LZ_QK / 2; j++) {
            isum += ((bw[b].qs[j] & 15) - 8) * ba[b].qs[j];
            isum += ((bw[b].qs[j] >> 4) - 8) * ba[b].qs[j + 16];
        }
        acc[b % LZ_QACC] += (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
    }
    *out = lz_reduce_qacc(acc);
}

void lz_vec_dot_q5_0_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q5_0 *bw = w;
    const lz_block_q8_0 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        int32_t isum = 0;
        for (int j = 0; j < LZ_QK; j++) isum += (q5_value(bw[b].qh, bw[b].qs, j) - 16) * ba[b].qs[j];
        acc[b % LZ_QACC] += (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
    }
    *out = lz_reduce_qacc(acc);
}

void lz_vec_dot_q4_1_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q4_1 *bw = w;
    const lz_block_q8_1 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        int32_t isum = 0;
        for (int j = 0; j < LZ_QK / 2; j++) {
            isum += (bw[b].qs[j] & 15) * ba[b].qs[j];
            isum += (bw[b].qs[j] >> 4) * ba[b].qs[j + 16];
        }
        const float scaled = (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
        acc[b % LZ_QACC] += scaled + f16(bw[b].m) * f16(ba[b].s);
    }
    *out = lz_reduce_qacc(acc);
}

void lz_vec_dot_q5_1_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q5_1 *bw = w;
    const lz_block_q8_1 *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK; b++) {
        int32_t isum = 0;
        for (int j = 0; j < LZ_QK; j++) isum += q5_value(bw[b].qh, bw[b].qs, j) * ba[b].qs[j];
        const float scaled = (f16(bw[b].d) * f16(ba[b].d)) * (float)isum;
        acc[b % LZ_QACC] += scaled + f16(bw[b].m) * f16(ba[b].s);
    }
    *out = lz_reduce_qacc(acc);
}

/* ------------------------------------------------------------------------
 * Dot products: K-quants with Q8_K activations (256-element blocks).
 *   isum = sum over groups g of sc_g * (sum_{i in g} qw_i * qa_i)
 *   msum = sum over groups g of m_g * (sum_{i in g} qa_i)  (from bsums)
 *   with min (Q2_K, Q4_K, Q5_K):
 *       v = (d_a * d_w) * (float)isum - (d_a * dmin_w) * (float)msum
 *   without (Q3_K, Q6_K):
 *       v = (d_a * d_w) * (float)isum
 * Both sums are exact in int32 (|isum| < 2^28); (float)isum rounds to
 * nearest even when |isum| >= 2^24, the same in every ISA. d_a is f32, so
 * d_a * d_w may round; it is always formed first, in that operand order.
 */

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

void lz_vec_dot_q2_k_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q2_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 16; g++) {
            int32_t gsum = 0;
            for (int e = 16 * g; e < 16 * g + 16; e++) gsum += k2_low_bits(bw[b].qs, e) * ba[b].qs[e];
            isum += (bw[b].scales[g] & 15) * gsum;
            msum += (bw[b].scales[g] >> 4) * ba[b].bsums[g];
        }
        acc[b % LZ_QACC] += kquant_v(ba[b].d, bw[b].d, bw[b].dmin, isum, msum);
    }
    *out = lz_reduce_qacc(acc);
}

void lz_vec_dot_q3_k_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q3_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        int8_t sc[16];
        lz_k3_scales(bw[b].scales, sc);
        int32_t isum = 0;
        for (int g = 0; g < 16; g++) {
            int32_t gsum = 0;
            for (int e = 16 * g; e < 16 * g + 16; e++) gsum += q3_value(&bw[b], e) * ba[b].qs[e];
            isum += sc[g] * gsum;
        }
        acc[b % LZ_QACC] += kquant_v_nomin(ba[b].d, bw[b].d, isum);
    }
    *out = lz_reduce_qacc(acc);
}

void lz_vec_dot_q4_k_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q4_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 8; g++) {
            int sc, m;
            lz_k4_scale_min(bw[b].scales, g, &sc, &m);
            int32_t gsum = 0;
            for (int e = 32 * g; e < 32 * g + 32; e++) gsum += k4_nibble(bw[b].qs, e) * ba[b].qs[e];
            isum += sc * gsum;
            msum += m * (ba[b].bsums[2 * g] + ba[b].bsums[2 * g + 1]);
        }
        acc[b % LZ_QACC] += kquant_v(ba[b].d, bw[b].d, bw[b].dmin, isum, msum);
    }
    *out = lz_reduce_qacc(acc);
}

void lz_vec_dot_q5_k_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q5_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 8; g++) {
            int sc, m;
            lz_k4_scale_min(bw[b].scales, g, &sc, &m);
            int32_t gsum = 0;
            for (int e = 32 * g; e < 32 * g + 32; e++) gsum += q5k_value(&bw[b], e) * ba[b].qs[e];
            isum += sc * gsum;
            msum += m * (ba[b].bsums[2 * g] + ba[b].bsums[2 * g + 1]);
        }
        acc[b % LZ_QACC] += kquant_v(ba[b].d, bw[b].d, bw[b].dmin, isum, msum);
    }
    *out = lz_reduce_qacc(acc);
}

void lz_vec_dot_q6_k_ref(int64_t n, float *out, const void *w, const void *a)
{
    const lz_block_q6_k *bw = w;
    const lz_block_q8_k *ba = a;
    float acc[LZ_QACC] = {0};
    for (int64_t b = 0; b < n / LZ_QK_K; b++) {
        int32_t isum = 0;
        for (int g = 0; g < 16; g++) {
            int32_t gsum = 0;
            for (int e = 16 * g; e < 16 * g + 16; e++) gsum += (q6_value(&bw[b], e) - 32) * ba[b].qs[e];
            isum += bw[b].scales[g] * gsum;
        }
        acc[b % LZ_QACC] += kquant_v_nomin(ba[b].d, bw[b].d, isum);
    }
    *out = lz_reduce_qacc(acc);
}
