/*
 * quantize_avx2.c - AVX2 versions of the activation quantizers (quant_ref.c,
 * "Activation quantization"), byte-identical to the reference.
 *
 * The reference rounds on the float's bits; here the same decision is made
 * with exact float operations: for a = |v| <= 256, t = trunc(a) and the
 * fraction a - t are exact, so "round half away from zero" is t + (frac >=
 * 0.5) and "half to even" is t + (frac > 0.5 or (frac == 0.5 and t odd)).
 * |v| >= 256 clamps to 127 either way; NaN gives 0, as in the reference.
 * Built with the AVX2 flags (Makefile, *_avx2.c); FMA never used.
 */
#include <immintrin.h>
#include <string.h>

#include "common/f16.h"
#include "common/lz_common.h"
#include "quant/blocks.h"
#include "quant/kernels.h"
#include "quant/quant_internal.h"

enum { HALF_AWAY, HALF_EVEN };

/* round(v) clamped to [-127, 127] as int32 lanes (quant_ref.c's round_to_q8). */
static inline __m256i round_q8(__m256 v, int mode)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 a = _mm256_min_ps(_mm256_andnot_ps(sign, v), _mm256_set1_ps(256.0f));
    const __m256i ti = _mm256_cvttps_epi32(a);
    const __m256 frac = _mm256_sub_ps(a, _mm256_cvtepi32_ps(ti));
    const __m256 half = _mm256_set1_ps(0.5f);
    __m256i up;
    if (mode == HALF_AWAY) {
        up = _mm256_castps_si256(_mm256_cmp_ps(frac, half, _CMP_GE_OQ));
    } else {
        const __m256i odd = _mm256_cmpeq_epi32(_mm256_and_si256(ti, _mm256_set1_epi32(1)), _mm256_set1_epi32(1));
        const __m256i tie = _mm256_castps_si256(_mm256_cmp_ps(frac, half, _CMP_EQ_OQ));
        up = _mm256_or_si256(_mm256_castps_si256(_mm256_cmp_ps(frac, half, _CMP_GT_OQ)), _mm256_and_si256(tie, odd));
    }
    __m256i q = _mm256_sub_epi32(ti, up);   /* up is -1 where it rounds up */
    q = _mm256_min_epi32(q, _mm256_set1_epi32(127));
    /* NaN (min_ps turned it into 256): 0, as the reference gives */
    const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    q = _mm256_andnot_si256(nan, q);
    /* the sign of v (bit 31), -0 included: -q */
    const __m256i neg = _mm256_srai_epi32(_mm256_castps_si256(v), 31);
    return _mm256_sub_epi32(_mm256_xor_si256(q, neg), neg);
}

/* 32 int32 lanes (4 vectors) -> 32 int8 in element order. */
static inline void store_q8x32(int8_t *dst, const __m256i q[4])
{
    const __m256i p01 = _mm256_packs_epi32(q[0], q[1]);   /* lanes interleaved by 128-bit halves */
    const __m256i p23 = _mm256_packs_epi32(q[2], q[3]);
    __m256i b = _mm256_packs_epi16(p01, p23);
    b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)dst, b);
}

/* max |x| over 8n floats, ignoring NaN as the reference's "|x| > amax" does. */
static inline float amax_f32(const float *x, int n8)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int i = 0; i < n8; i++) m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * i)), m);
    float lanes[8];
    _mm256_storeu_ps(lanes, m);
    float r = 0.0f;
    for (int i = 0; i < 8; i++)
        if (lanes[i] > r) r = lanes[i];
    return r;
}

/* q[i] for 32 elements of x times `scale`. */
static inline void round_block32(const float *x, float scale, int mode, __m256i q[4])
{
    const __m256 s = _mm256_set1_ps(scale);
    for (int k = 0; k < 4; k++) q[k] = round_q8(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), s), mode);
}

static int32_t sum_q(const __m256i q[4])
{
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
    return _mm_cvtsi128_si32(h);
}

static void quantize_q8_0_avx2(const float *x, void *dst, int64_t n)
{
    lz_block_q8_0 *y = dst;
    for (int64_t i = 0; i < n / LZ_QK; i++, x += LZ_QK) {
        const float amax = amax_f32(x, 4);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        __m256i q[4];
        round_block32(x, id, HALF_AWAY, q);
        y[i].d = lz_f32_to_f16(d);
        store_q8x32(y[i].qs, q);
    }
}

static void quantize_q8_1_avx2(const float *x, void *dst, int64_t n)
{
    lz_block_q8_1 *y = dst;
    for (int64_t i = 0; i < n / LZ_QK; i++, x += LZ_QK) {
        const float amax = amax_f32(x, 4);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        __m256i q[4];
        round_block32(x, id, HALF_AWAY, q);
        store_q8x32(y[i].qs, q);
        y[i].d = lz_f32_to_f16(d);
        y[i].s = lz_f32_to_f16((float)sum_q(q) * d);
    }
}

static void quantize_q8_k_avx2(const float *x, void *dst, int64_t n)
{
    lz_block_q8_k *y = dst;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / LZ_QK_K; i++, x += LZ_QK_K) {
        const float amax = amax_f32(x, LZ_QK_K / 8);
        memset(&y[i], 0, sizeof(y[i]));
        if (amax == 0.0f) continue;
        /* the first x with |x| == amax (the reference keeps the first on ties) */
        float max = 0.0f;
        const __m256 am = _mm256_set1_ps(amax);
        for (int j = 0; j < LZ_QK_K; j += 8) {
            const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)), am, _CMP_EQ_OQ));
            if (hit) {
                max = x[j + __builtin_ctz((unsigned)hit)];
                break;
            }
        }
        const float iscale = -127.0f / max;
        for (int g = 0; g < LZ_QK_K / 32; g++) {
            __m256i q[4];
            round_block32(x + 32 * g, iscale, HALF_EVEN, q);
            store_q8x32(y[i].qs + 32 * g, q);
            /* bsums of elements 32g .. 32g+15 and 32g+16 .. 32g+31 */
            for (int h = 0; h < 2; h++) {
                const __m256i s = _mm256_add_epi32(q[2 * h], q[2 * h + 1]);
                __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
                t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
                t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
                y[i].bsums[2 * g + h] = (int16_t)_mm_cvtsi128_si32(t);
            }
        }
        y[i].d = 1.0f / iscale;
    }
}

void lz_quantize_fill_avx2(lz_kernels *k)
{
    k->quantize[LZ_TYPE_Q8_0] = quantize_q8_0_avx2;
    k->quantize[LZ_TYPE_Q8_1] = quantize_q8_1_avx2;
    k->quantize[LZ_TYPE_Q8_K] = quantize_q8_k_avx2;
}
