/*
 * ops_avx2.c - AVX2/F16C versions of the forward pass's float kernels
 * (ops_ref.c): the attention's f16 dot product, exponentials and weighted
 * V sum, and the gated activations.
 *
 * Same operations as the scalar reference in the same order: four __m256
 * accumulators holding the reference's acc[0..31] (element i goes to lane
 * i % 32), multiply then add (never FMA), f16 widened exactly by VCVTPH2PS,
 * and the reference's halving reduction pair by pair.
 * Built with the AVX2 flags (Makefile, *_avx2.c); FMA never used.
 */
#include <immintrin.h>
#include <string.h>

#include "common/f16.h"
#include "coder/freq.h"
#include "quant/kernels.h"
#include "quant/quant_internal.h"


static inline __m256 load_f16(const uint16_t *k)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)k));
}

/* Lanes 0..31 of the reference live in a[0..3] (a[v] = lanes 8v..8v+7). */
static float dot_f16_avx2(const float *q, const uint16_t *k, uint32_t n)
{
    __m256 a[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    uint32_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a[0] = _mm256_add_ps(a[0], _mm256_mul_ps(_mm256_loadu_ps(q + i), load_f16(k + i)));
        a[1] = _mm256_add_ps(a[1], _mm256_mul_ps(_mm256_loadu_ps(q + i + 8), load_f16(k + i + 8)));
        a[2] = _mm256_add_ps(a[2], _mm256_mul_ps(_mm256_loadu_ps(q + i + 16), load_f16(k + i + 16)));
        a[3] = _mm256_add_ps(a[3], _mm256_mul_ps(_mm256_loadu_ps(q + i + 24), load_f16(k + i + 24)));
    }
    for (; i + 8 <= n; i += 8) {
        const int v = (int)(i % 32) / 8;
        a[v] = _mm256_add_ps(a[v], _mm256_mul_ps(_mm256_loadu_ps(q + i), load_f16(k + i)));
    }
    if (i < n) { /* scalar tail into the same lanes */
        float t[32];
        for (int v = 0; v < 4; v++) _mm256_storeu_ps(t + 8 * v, a[v]);
        for (; i < n; i++) t[i % 32] = t[i % 32] + q[i] * lz_f16_to_f32(k[i]);
        for (int v = 0; v < 4; v++) a[v] = _mm256_loadu_ps(t + 8 * v);
    }
    /* halving reduction h = 16, 8 (whole vectors), 4, 2, 1 (inside one) */
    const __m256 s = _mm256_add_ps(_mm256_add_ps(a[0], a[2]), _mm256_add_ps(a[1], a[3]));
    __m128 u = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    u = _mm_add_ps(u, _mm_movehl_ps(u, u));
    u = _mm_add_ss(u, _mm_shuffle_ps(u, u, 1));
    return _mm_cvtss_f32(u);
}

/*
 * lz_expf (src/common/lz_math.c) for 8 arguments in [-87.33654, 88], where
 * lz_expf takes its main path: the same float operations in the same
 * order (range reduction with the Cody-Waite ln2 split, round half away from
 * zero by truncating x*log2e -/+ 0.5, degree-7 Horner, scaling by the exact
 * 2^k, which is normal for -126 <= k <= 127). tests/test_model.c compares
 * it, and the tanh/GELU/SiLU built on it, with lz_math.c.
 */
static __m256 exp_core_avx2(__m256 x)
{
    const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
    const __m256 ln2_hi = _mm256_set1_ps(0.693145751953125f);
    const __m256 ln2_lo = _mm256_set1_ps(1.428606765330187045e-06f);
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256 v = _mm256_mul_ps(x, log2e);
    const __m256 nonneg = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ);
    const __m256 shifted = _mm256_blendv_ps(_mm256_sub_ps(v, half), _mm256_add_ps(v, half), nonneg);
    const __m256i k = _mm256_cvttps_epi32(shifted);
    const __m256 kf = _mm256_cvtepi32_ps(k);
    const __m256 r = _mm256_sub_ps(_mm256_sub_ps(x, _mm256_mul_ps(kf, ln2_hi)), _mm256_mul_ps(kf, ln2_lo));
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), half);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
    const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(p, scale);
}

/* Arguments below -87.33654 give 0, as lz_expf does. */
static __m256 exp_nonpos_avx2(__m256 x)
{
    const __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
    return _mm256_andnot_ps(under, exp_core_avx2(x));
}

/* The exponentials of the first blocks of 8 whose every lane lies in
 * [-87.33654, 0] or below (-> 0), in place; returns how many values were
 * done (the rest, NaN or above the max included, take the scalar path). */
static uint32_t exp_vector_prefix(float *x, uint32_t n, float max)
{
    const __m256 mv = _mm256_set1_ps(max);
    const __m256 lo = _mm256_set1_ps(-87.33654f);
    uint32_t j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + j), mv);
        const __m256 ok = _mm256_or_ps(_mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_LE_OQ), _mm256_cmp_ps(d, lo, _CMP_LT_OQ));
        if (_mm256_movemask_ps(ok) != 0xff) break;
        _mm256_storeu_ps(x + j, exp_nonpos_avx2(d));
    }
    return j;
}

static void exp_sum_avx2(float *x, uint32_t n, float max, double *sum)
{
    const uint32_t j = exp_vector_prefix(x, n, max);
    double s = *sum;
    for (uint32_t i = 0; i < j; i++) s += (double)x[i];
    *sum = s;
    lz_op_exp_sum_ref(x + j, n - j, max, sum);
}

/* The exponentials of exp_sum_avx2 alone, in place. */
static void exp_only_avx2(float *x, uint32_t n, float max)
{
    const uint32_t j = exp_vector_prefix(x, n, max);
    double unused = 0.0;
    lz_op_exp_sum_ref(x + j, n - j, max, &unused);
}

/* Values j .. j+3 of four rows as four double vectors, one per j: lane i = row i. */
#define ROWS4_ADD(s, p, j)                                                                                    \
    do {                                                                                                      \
        __m128 a_ = _mm_loadu_ps((p)[0] + (j)), b_ = _mm_loadu_ps((p)[1] + (j));                             \
        __m128 c_ = _mm_loadu_ps((p)[2] + (j)), d_ = _mm_loadu_ps((p)[3] + (j));                             \
        _MM_TRANSPOSE4_PS(a_, b_, c_, d_);                                                                    \
        s = _mm256_add_pd(s, _mm256_cvtps_pd(a_));                                                            \
        s = _mm256_add_pd(s, _mm256_cvtps_pd(b_));                                                            \
        s = _mm256_add_pd(s, _mm256_cvtps_pd(c_));                                                            \
        s = _mm256_add_pd(s, _mm256_cvtps_pd(d_));                                                            \
    } while (0)

/*
 * exp_sum over rows (kernels.h). A row's sum is a chain of dependent double
 * additions (4 cycles each), which made the softmax of long rows cost more
 * than its exponentials. Here the exponentials are computed row by row,
 * then up to eight rows' sums advance together, one double lane per row
 * (two vectors; lanes without a row of their own repeat row 0 and are
 * dropped), four values of each row per step: every row still adds its
 * values in ascending order to its own sum, so the bits are exp_sum's.
 */
static void exp_sum_rows_avx2(float *x, size_t stride, uint32_t R, const uint32_t *n, const float *max, double *sum)
{
    if (R == 1) {
        exp_sum_avx2(x, n[0], max[0], sum);
        return;
    }
    for (uint32_t r = 0; r < R; r += 8) {
        const uint32_t k = R - r < 8 ? R - r : 8;
        const float *p[8];
        double t[8];
        uint32_t m = n[r];
        for (uint32_t i = 0; i < 8; i++) {
            if (i < k) {
                exp_only_avx2(x + (r + i) * stride, n[r + i], max[r + i]);
                p[i] = x + (r + i) * stride;
                t[i] = sum[r + i];
                if (n[r + i] < m) m = n[r + i];
            } else {
                p[i] = p[0];
                t[i] = 0.0;
            }
        }
        __m256d s0 = _mm256_loadu_pd(t), s1 = _mm256_loadu_pd(t + 4);
        uint32_t j = 0;
        if (k > 4) {
            for (; j + 4 <= m; j += 4) {
                ROWS4_ADD(s0, p, j);
                ROWS4_ADD(s1, p + 4, j);
            }
        } else {
            for (; j + 4 <= m; j += 4) ROWS4_ADD(s0, p, j);
        }
        _mm256_storeu_pd(t, s0);
        _mm256_storeu_pd(t + 4, s1);
        for (uint32_t i = 0; i < k; i++) {
            for (uint32_t u = j; u < n[r + i]; u++) t[i] += (double)p[i][u];
            sum[r + i] = t[i];
        }
    }
}

/* Blocks of 64 outputs stay in 8 registers while the rows stream past. */
static void wsum_f16_avx2(float *y, const float *w, const uint16_t *v, size_t stride, uint32_t n_rows,
                                         uint32_t n)
{
    uint32_t i = 0;
    /* rows in tiles (LZ_WSUM_TILE) reread from L2 by each block of outputs */
    for (uint32_t j0 = 0; j0 < n_rows; j0 += LZ_WSUM_TILE) {
        const uint32_t j1 = n_rows - j0 < LZ_WSUM_TILE ? n_rows : j0 + LZ_WSUM_TILE;
        for (i = 0; i + 64 <= n; i += 64) {
            __m256 a[8];
            for (int r = 0; r < 8; r++) a[r] = _mm256_loadu_ps(y + i + 8 * r);
            for (uint32_t j = j0; j < j1; j++) {
                const __m256 wj = _mm256_set1_ps(w[j]);
                const uint16_t *vj = v + (size_t)j * stride + i;
                _mm_prefetch((const char *)(vj + (size_t)LZ_WSUM_TILE * stride), _MM_HINT_T1);   /* as attn_wsum_avx2 */
                _mm_prefetch((const char *)(vj + (size_t)LZ_WSUM_TILE * stride) + 64, _MM_HINT_T1);
                for (int r = 0; r < 8; r++) a[r] = _mm256_add_ps(a[r], _mm256_mul_ps(wj, load_f16(vj + 8 * r)));
            }
            for (int r = 0; r < 8; r++) _mm256_storeu_ps(y + i + 8 * r, a[r]);
        }
    }
    i = n - n % 64;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_loadu_ps(y + i);
        for (uint32_t j = 0; j < n_rows; j++)
            a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_set1_ps(w[j]), load_f16(v + (size_t)j * stride + i)));
        _mm256_storeu_ps(y + i, a);
    }
    if (i < n) lz_op_wsum_f16_ref(y + i, w, v + i, stride, n_rows, n - i);
}

/* lz_tanhf: odd Taylor series below 1/16, 1 - 2/(e^(2|x|) + 1) up to 9, +-1
 * beyond; the sign restored as lz_tanhf does (x < 0 ? -t : t). */
static __m256 tanh_avx2(__m256 x)
{
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 neg = _mm256_cmp_ps(x, zero, _CMP_LT_OQ);
    const __m256 ax = _mm256_blendv_ps(x, _mm256_xor_ps(x, sign), neg);
    const __m256 x2 = _mm256_mul_ps(ax, ax);
    __m256 p = _mm256_set1_ps(62.0f / 2835.0f);
    p = _mm256_sub_ps(_mm256_mul_ps(p, x2), _mm256_set1_ps(17.0f / 315.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, x2), _mm256_set1_ps(2.0f / 15.0f));
    p = _mm256_sub_ps(_mm256_mul_ps(p, x2), _mm256_set1_ps(1.0f / 3.0f));
    const __m256 t_small = _mm256_add_ps(ax, _mm256_mul_ps(ax, _mm256_mul_ps(x2, p)));
    const __m256 e = exp_core_avx2(_mm256_min_ps(_mm256_mul_ps(_mm256_set1_ps(2.0f), ax), _mm256_set1_ps(18.0f)));
    const __m256 t_mid = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    __m256 t = _mm256_blendv_ps(t_mid, t_small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.0625f), _CMP_LT_OQ));
    t = _mm256_blendv_ps(t, _mm256_xor_ps(t, sign), neg);
    t = _mm256_blendv_ps(t, one, _mm256_cmp_ps(x, _mm256_set1_ps(9.0f), _CMP_GT_OQ));
    return _mm256_blendv_ps(t, _mm256_set1_ps(-1.0f), _mm256_cmp_ps(x, _mm256_set1_ps(-9.0f), _CMP_LT_OQ));
}

static void gated_act_avx2(float *gate, const float *up, uint32_t n, lz_ffn_act act)
{
    uint32_t i = 0;
    if (act == LZ_FFN_GELU_TANH) {
        const __m256 s2pi = _mm256_set1_ps(0.79788456080286535588f), ca = _mm256_set1_ps(0.044715f);
        const __m256 one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(0.5f);
        for (; i + 8 <= n; i += 8) {
            const __m256 x = _mm256_loadu_ps(gate + i);
            if (_mm256_movemask_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q))) break; /* NaN: scalar */
            /* inner = sqrt_2_over_pi * x * (1 + coef_a * x * x), left to right */
            const __m256 inner = _mm256_mul_ps(_mm256_mul_ps(s2pi, x),
                                               _mm256_add_ps(one, _mm256_mul_ps(_mm256_mul_ps(ca, x), x)));
            if (_mm256_movemask_ps(_mm256_cmp_ps(inner, inner, _CMP_UNORD_Q))) break;
            const __m256 g = _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_add_ps(one, tanh_avx2(inner)));
            _mm256_storeu_ps(gate + i, _mm256_mul_ps(g, _mm256_loadu_ps(up + i)));
        }
    } else {
        const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
        /* up to 88 only: above ~88.37, lz_expf's k reaches 128 and takes its overflow-safe branch */
        const __m256 lo = _mm256_set1_ps(-87.33654f), hi = _mm256_set1_ps(88.0f);
        for (; i + 8 <= n; i += 8) {
            const __m256 x = _mm256_loadu_ps(gate + i);
            const __m256 nx = _mm256_xor_ps(x, sign);
            /* lz_expf's main path only (else, and for NaN, the scalar code) */
            const __m256 in = _mm256_and_ps(_mm256_cmp_ps(nx, lo, _CMP_GE_OQ), _mm256_cmp_ps(nx, hi, _CMP_LE_OQ));
            if (_mm256_movemask_ps(in) != 0xff) break;
            const __m256 s = _mm256_div_ps(x, _mm256_add_ps(one, exp_core_avx2(nx)));
            _mm256_storeu_ps(gate + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
        }
    }
    if (i < n) lz_op_gated_act(gate + i, up + i, n - i, act);
}

/* ---------------------------------------------------------------- grouped attention */

/* The reference's reduction of 32 lanes held in a[0..3] (a[v] = lanes 8v..8v+7). */
static inline float reduce32_avx2(const __m256 a[4])
{
    const __m256 s = _mm256_add_ps(_mm256_add_ps(a[0], a[2]), _mm256_add_ps(a[1], a[3]));
    __m128 u = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    u = _mm_add_ps(u, _mm_movehl_ps(u, u));
    u = _mm_add_ss(u, _mm_shuffle_ps(u, u, 1));
    return _mm_cvtss_f32(u);
}

/* Two queries at a time share each converted chunk of the key row. */
static void attn_scores_avx2(const float *const *q, int G, const uint16_t *k, size_t stride, uint32_t n_rows, uint32_t n,
                             float scale, float *scores, size_t scores_stride)
{
    if (n % 32 != 0) {
        lz_op_attn_scores_ref(q, G, k, stride, n_rows, n, scale, scores, scores_stride);
        return;
    }
    int g = 0;
    for (; g + 2 <= G; g += 2) {
        const float *q0 = q[g], *q1 = q[g + 1];
        for (uint32_t j = 0; j < n_rows; j++) {
            const uint16_t *kr = k + (size_t)j * stride;
            __m256 a[4], b[4];
            for (int v = 0; v < 4; v++) a[v] = b[v] = _mm256_setzero_ps();
            for (uint32_t i = 0; i < n; i += 32)
                for (int v = 0; v < 4; v++) {
                    const __m256 kv = load_f16(kr + i + 8 * v);
                    a[v] = _mm256_add_ps(a[v], _mm256_mul_ps(_mm256_loadu_ps(q0 + i + 8 * v), kv));
                    b[v] = _mm256_add_ps(b[v], _mm256_mul_ps(_mm256_loadu_ps(q1 + i + 8 * v), kv));
                }
            scores[(size_t)g * scores_stride + j] = reduce32_avx2(a) * scale;
            scores[(size_t)(g + 1) * scores_stride + j] = reduce32_avx2(b) * scale;
        }
    }
    for (; g < G; g++)
        for (uint32_t j = 0; j < n_rows; j++) scores[(size_t)g * scores_stride + j] = dot_f16_avx2(q[g], k + (size_t)j * stride, n) * scale;
}

/* 32 outputs of two queries stay in 8 registers while the rows stream past;
 * each converted chunk of a value row serves both. */
static void attn_wsum_avx2(float *const *y, const float *const *w, int G, const uint16_t *v, size_t stride,
                           uint32_t n_rows, uint32_t n)
{
    int g = 0;
    if (n % 32 == 0) {
        /* tiles of rows outside the pairs of queries, so that the second
         * pair rereads a tile from L2, not the whole cache from memory */
        for (uint32_t j0 = 0; j0 < n_rows; j0 += LZ_WSUM_TILE) {
            const uint32_t j1 = n_rows - j0 < LZ_WSUM_TILE ? n_rows : j0 + LZ_WSUM_TILE;
            for (g = 0; g + 2 <= G; g += 2) {
                float *y0 = y[g], *y1 = y[g + 1];
                const float *w0 = w[g], *w1 = w[g + 1];
                for (uint32_t i = 0; i < n; i += 32) {
                    __m256 a[4], b[4];
                    for (int r = 0; r < 4; r++) {
                        a[r] = _mm256_loadu_ps(y0 + i + 8 * r);
                        b[r] = _mm256_loadu_ps(y1 + i + 8 * r);
                    }
                    for (uint32_t j = j0; j < j1; j++) {
                        const __m256 c0 = _mm256_set1_ps(w0[j]), c1 = _mm256_set1_ps(w1[j]);
                        const uint16_t *vj = v + (size_t)j * stride + i;
                        /* the next tile's slice: strided 64-byte pieces are
                         * a pattern the hardware prefetchers follow poorly */
                        if (g == 0) _mm_prefetch((const char *)(vj + (size_t)LZ_WSUM_TILE * stride), _MM_HINT_T1);
                        for (int r = 0; r < 4; r++) {
                            const __m256 vv = load_f16(vj + 8 * r);
                            a[r] = _mm256_add_ps(a[r], _mm256_mul_ps(c0, vv));
                            b[r] = _mm256_add_ps(b[r], _mm256_mul_ps(c1, vv));
                        }
                    }
                    for (int r = 0; r < 4; r++) {
                        _mm256_storeu_ps(y0 + i + 8 * r, a[r]);
                        _mm256_storeu_ps(y1 + i + 8 * r, b[r]);
                    }
                }
            }
        }
        g = G - G % 2;
    }
    for (; g < G; g++) wsum_f16_avx2(y[g], w[g], v, stride, n_rows, n);
}

/* ---------------------------------------------------------------- frequencies (coder/freq.c) */

/* Lanes are the reference's lanes (i % 8), combined in its order. */
static float freq_max_avx2(const float *x, uint32_t n, int *nonfinite)
{
    __m256 m = _mm256_set1_ps(-3.40282347e38f), bad = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_sub_ps(v, v), _mm256_setzero_ps(), _CMP_NEQ_UQ));
        m = _mm256_max_ps(v, m);   /* equal or NaN: keeps the lane, as "x > lane ? x : lane" */
    }
    float lane[8];
    _mm256_storeu_ps(lane, m);
    int b = _mm256_movemask_ps(bad) != 0;
    for (; i < n; i++) {
        b |= !(x[i] - x[i] == 0.0f);
        lane[0] = x[i] > lane[0] ? x[i] : lane[0];
    }
    float r = lane[0];
    for (int j = 1; j < 8; j++) r = lane[j] > r ? lane[j] : r;
    if (b) return lz_freq_max_ref(x, n, nonfinite);
    *nonfinite = 0;
    return r;
}

static double freq_exp_sum_avx2(const float *x, uint32_t n, float m, float *e)
{
    const __m256 mv = _mm256_set1_ps(m);
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();   /* lanes 0..3, 4..7 */
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 ev = exp_nonpos_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
        _mm256_storeu_ps(e + i, ev);
        lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(ev)));
        hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(ev, 1)));
    }
    double lane[8];
    _mm256_storeu_pd(lane, lo);
    _mm256_storeu_pd(lane + 4, hi);
    if (i < n) {   /* the tail, by the reference */
        lz_freq_exp_sum_ref(x + i, n - i, m, e + i);
        for (uint32_t j = 0; i + j < n; j++) lane[j] += (double)e[i + j];
    }
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/* 1 + floor(e * scale) for 4 e, as int64 (exact: floor < 2^32 < 2^52). */
static inline __m256i freq_of4(__m128 e, __m256d scale)
{
    const __m256d magic = _mm256_set1_pd(4503599627370496.0);   /* 2^52 */
    const __m256d y = _mm256_floor_pd(_mm256_mul_pd(_mm256_cvtps_pd(e), scale));
    const __m256i bits = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(y, magic)), _mm256_castpd_si256(magic));
    return _mm256_add_epi64(bits, _mm256_set1_epi64x(1));
}

static inline uint64_t hsum64(__m256i v)
{
    uint64_t t[4];
    _mm256_storeu_si256((__m256i *)t, v);
    return t[0] + t[1] + t[2] + t[3];
}

static uint64_t freq_sum_range(const float *e, uint32_t from, uint32_t to, __m256d scale)
{
    __m256i acc = _mm256_setzero_si256();
    uint32_t i = from;
    for (; i + 8 <= to; i += 8) {
        const __m256 v = _mm256_loadu_ps(e + i);
        acc = _mm256_add_epi64(acc, _mm256_add_epi64(freq_of4(_mm256_castps256_ps128(v), scale),
                                                     freq_of4(_mm256_extractf128_ps(v, 1), scale)));
    }
    uint64_t s = hsum64(acc), dummy;
    if (i < to) s += lz_freq_total_ref(e + i, to - i, _mm256_cvtsd_f64(scale), 0, &dummy);
    return s;
}

static uint64_t freq_total_avx2(const float *e, uint32_t n, double scale, uint32_t upto, uint64_t *below)
{
    const __m256d sc = _mm256_set1_pd(scale);
    *below = freq_sum_range(e, 0, upto, sc);
    return *below + freq_sum_range(e, upto, n, sc);
}

static uint32_t freq_find_avx2(const float *e, uint32_t n, double scale, uint64_t target, uint64_t *low)
{
    const __m256d sc = _mm256_set1_pd(scale);
    uint64_t acc = 0;
    uint32_t i = 0;
    for (; i + 8 < n; i += 8) {   /* whole chunks before the last element */
        const __m256 v = _mm256_loadu_ps(e + i);
        const uint64_t s = hsum64(_mm256_add_epi64(freq_of4(_mm256_castps256_ps128(v), sc),
                                                   freq_of4(_mm256_extractf128_ps(v, 1), sc)));
        if (acc + s > target) break;
        acc += s;
    }
    uint64_t sub;
    const uint32_t j = lz_freq_find_ref(e + i, n - i, scale, target - acc, &sub);
    *low = acc + sub;
    return i + j;
}

void lz_ops_fill_avx2(lz_kernels *k)
{
    k->dot_f16 = dot_f16_avx2;
    k->exp_sum = exp_sum_avx2;
    k->exp_sum_rows = exp_sum_rows_avx2;
    k->wsum_f16 = wsum_f16_avx2;
    k->gated_act = gated_act_avx2;
    k->attn_scores = attn_scores_avx2;
    k->attn_wsum = attn_wsum_avx2;
    k->freq_max = freq_max_avx2;
    k->freq_exp_sum = freq_exp_sum_avx2;
    k->freq_total = freq_total_avx2;
    k->freq_find = freq_find_avx2;
}
