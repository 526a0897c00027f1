/*
 * ops_avx512.c - AVX-512 versions of the attention kernels (ops_ref.c),
 * bit-identical to the reference: the reference's 32 accumulator lanes
 * acc[i % 32] live in two registers (lanes 0..15 and 16..31), products are
 * multiplied then added (never FMA), f16 is widened exactly by VCVTPH2PS,
 * and sums run over the rows in ascending order.
 * Built with the AVX-512 flags (Makefile, *_avx512.c).
 */
#include <immintrin.h>
#include <string.h>

#include "quant/kernels.h"
#include "quant/quant_internal.h"

static inline __m512 load16_f16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }

/* The reference's halving reduction of 32 lanes: lo = lanes 0..15, hi = 16..31. */
static inline float reduce32(__m512 lo, __m512 hi)
{
    const __m512 s = _mm512_add_ps(lo, hi);                                                          /* h = 16 */
    const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(s), _mm512_extractf32x8_ps(s, 1));        /* h = 8 */
    __m128 u = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));                 /* h = 4 */
    u = _mm_add_ps(u, _mm_movehl_ps(u, u));                                                          /* h = 2 */
    u = _mm_add_ss(u, _mm_shuffle_ps(u, u, 1));                                                      /* h = 1 */
    return _mm_cvtss_f32(u);
}

/* GN queries (a compile-time count, so that the accumulators stay in
 * registers) share each converted chunk of 32 key values. */
static inline __attribute__((always_inline)) void scores_group(const float *const *q, int GN, const uint16_t *k,
                                                               size_t stride, uint32_t n_rows, uint32_t n, float scale,
                                                               float *scores, size_t scores_stride)
{
    for (uint32_t j = 0; j < n_rows; j++) {
        const uint16_t *kr = k + (size_t)j * stride;
        __m512 lo[8], hi[8];
        for (int g = 0; g < GN; g++) lo[g] = hi[g] = _mm512_setzero_ps();
        for (uint32_t i = 0; i < n; i += 32) {
            const __m512 k0 = load16_f16(kr + i), k1 = load16_f16(kr + i + 16);
            for (int g = 0; g < GN; g++) {
                lo[g] = _mm512_add_ps(lo[g], _mm512_mul_ps(_mm512_loadu_ps(q[g] + i), k0));
                hi[g] = _mm512_add_ps(hi[g], _mm512_mul_ps(_mm512_loadu_ps(q[g] + i + 16), k1));
            }
        }
        for (int g = 0; g < GN; g++) scores[(size_t)g * scores_stride + j] = reduce32(lo[g], hi[g]) * scale;
    }
}

static void attn_scores_avx512(const float *const *q, int G, const uint16_t *k, size_t stride, uint32_t n_rows,
                               uint32_t n, float scale, float *scores, size_t scores_stride)
{
    if (n % 32 != 0) {
        lz_op_attn_scores_ref(q, G, k, stride, n_rows, n, scale, scores, scores_stride);
        return;
    }
    for (int g0 = 0; g0 < G;) {
        const int left = G - g0;
        float *sc = scores + (size_t)g0 * scores_stride;
        const float *const *qg = q + g0;
        /* groups of 4 (8 and 6 registers of sums stay in the 32 there are) */
        if (left >= 4) {
            scores_group(qg, 4, k, stride, n_rows, n, scale, sc, scores_stride);
            g0 += 4;
        } else if (left == 3) {
            scores_group(qg, 3, k, stride, n_rows, n, scale, sc, scores_stride);
            g0 += 3;
        } else if (left == 2) {
            scores_group(qg, 2, k, stride, n_rows, n, scale, sc, scores_stride);
            g0 += 2;
        } else {
            scores_group(qg, 1, k, stride, n_rows, n, scale, sc, scores_stride);
            g0 += 1;
        }
    }
}

/* 64 outputs of GN queries stay in registers while the rows stream past;
 * each converted chunk of a value row serves every query. Other widths go
 * to the parent level's kernel. */
static void (*g_wsum_parent)(float *const *y, const float *const *w, int G, const uint16_t *v, size_t stride,
                             uint32_t n_rows, uint32_t n);

static inline __attribute__((always_inline)) void wsum_group(float *const *y, const float *const *w, int GN,
                                                             const uint16_t *v, size_t stride, uint32_t n_rows,
                                                             uint32_t n)
{
    /* rows in tiles of LZ_WSUM_TILE, so that each block of outputs rereads
     * them from L2, not memory; every output still adds its rows in order */
    for (uint32_t j0 = 0; j0 < n_rows; j0 += LZ_WSUM_TILE) {
        const uint32_t j1 = n_rows - j0 < LZ_WSUM_TILE ? n_rows : j0 + LZ_WSUM_TILE;
        for (uint32_t i = 0; i < n; i += 64) {
            __m512 a[4][4];
            for (int g = 0; g < GN; g++)
                for (int r = 0; r < 4; r++) a[g][r] = _mm512_loadu_ps(y[g] + i + 16 * r);
            for (uint32_t j = j0; j < j1; j++) {
                const uint16_t *vj = v + (size_t)j * stride + i;
                __m512 vv[4];
                for (int r = 0; r < 4; r++) vv[r] = load16_f16(vj + 16 * r);
                for (int g = 0; g < GN; g++) {
                    const __m512 c = _mm512_set1_ps(w[g][j]);
                    for (int r = 0; r < 4; r++) a[g][r] = _mm512_add_ps(a[g][r], _mm512_mul_ps(c, vv[r]));
                }
            }
            for (int g = 0; g < GN; g++)
                for (int r = 0; r < 4; r++) _mm512_storeu_ps(y[g] + i + 16 * r, a[g][r]);
        }
    }
}

static void attn_wsum_avx512(float *const *y, const float *const *w, int G, const uint16_t *v, size_t stride,
                             uint32_t n_rows, uint32_t n)
{
    if (n % 64 != 0) {
        g_wsum_parent(y, w, G, v, stride, n_rows, n);
        return;
    }
    for (int g0 = 0; g0 < G;) {
        const int left = G - g0;
        if (left >= 4) {
            wsum_group(y + g0, w + g0, 4, v, stride, n_rows, n);
            g0 += 4;
        } else if (left == 3) {
            wsum_group(y + g0, w + g0, 3, v, stride, n_rows, n);
            g0 += 3;
        } else if (left == 2) {
            wsum_group(y + g0, w + g0, 2, v, stride, n_rows, n);
            g0 += 2;
        } else {
            wsum_group(y + g0, w + g0, 1, v, stride, n_rows, n);
            g0 += 1;
        }
    }
}

void lz_ops_fill_avx512(lz_kernels *k)
{
    g_wsum_parent = k->attn_wsum;
    k->attn_scores = attn_scores_avx512;
    k->attn_wsum = attn_wsum_avx512;
}
