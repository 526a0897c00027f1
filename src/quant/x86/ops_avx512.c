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

/*
 * Sixteen rows at a time, for short heads (head_dim 64 and the like, where
 * reduce32 per row would cost more than the products): each row's two
 * accumulators are summed (the reduction's h = 16 step), then the four
 * remaining halving steps run on the sixteen rows together, two rows per
 * add, with shuffles that pair exactly the lanes the reference pairs
 * (a + b and b + a are the same float, so the bits are the reference's):
 *   h = 8: rows r, r+1 -> [t8(r) | t8(r+1)]           (256-bit halves)
 *   h = 4: four rows per vector, one per 128-bit lane
 *   h = 2, h = 1: within each 128-bit lane
 * which leaves row 4e + k in element e of 128-bit lane k: a fixed
 * permutation puts the sixteen scores back in row order.
 */
#define BLOCK_ROWS 16
#define BLOCK_MAX_N 256       /* head sizes the block path takes (16 KiB of converted rows on the stack) */
#define BLOCK_PREFETCH 2      /* blocks ahead that the block path prefetches (into L2) */

static inline __m512 halve8(__m512 a, __m512 b)
{
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}

static inline __m512 halve4(__m512 a, __m512 b)
{
    return _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

static inline __m512 halve2(__m512 a, __m512 b)
{
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
}

static inline __m512 halve1(__m512 a, __m512 b)
{
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
}

/* s[r]: lanes 0..15 of row r after the h = 16 step; returns the 16 sums in row order. */
static inline __m512 reduce16x16(const __m512 *s)
{
    __m512 p[8], u[4];
    for (int i = 0; i < 8; i++) p[i] = halve8(s[2 * i], s[2 * i + 1]);       /* rows 2i, 2i+1 */
    for (int i = 0; i < 4; i++) u[i] = halve4(p[2 * i], p[2 * i + 1]);       /* rows 4i..4i+3 in lanes 0..3 */
    /* u[i] lane k holds row 4i + k: h = 2 pairs u[0] with u[1], u[2] with u[3] */
    const __m512 v0 = halve2(u[0], u[1]), v1 = halve2(u[2], u[3]);
    /* lane k of v0: rows k, 4 + k (two lanes each); of v1: rows 8 + k, 12 + k */
    const __m512 f = halve1(v0, v1);                                          /* lane k, element e: row 4e + k */
    const __m512i back = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(back, f);
}

static void scores_blocks(const float *const *q, int G, const uint16_t *k, size_t stride, uint32_t n_blocks,
                          uint32_t n, float scale, float *scores, size_t scores_stride)
{
    float kf[BLOCK_ROWS * BLOCK_MAX_N] __attribute__((aligned(64)));
    const __m512 vscale = _mm512_set1_ps(scale);
    for (uint32_t blk = 0; blk < n_blocks; blk++) {
        const uint32_t j0 = blk * BLOCK_ROWS;
        for (int r = 0; r < BLOCK_ROWS; r++)
            for (uint32_t i = 0; i < n; i += 16)
                _mm512_store_ps(kf + (size_t)r * n + i, load16_f16(k + (size_t)(j0 + r) * stride + i));
        /* the block BLOCK_PREFETCH ahead, a share of its rows per query:
         * the conversion above waits on memory and the products below load
         * nothing from the cache, so without it the two never overlap
         * (from memory the kernel ran at the speed of both in turn: 13
         * GMAC/s, against 19 with it, bench_kernels on an Intel Xeon) */
        const uint16_t *ahead =
            blk + BLOCK_PREFETCH < n_blocks ? k + (size_t)(j0 + BLOCK_PREFETCH * BLOCK_ROWS) * stride : NULL;
        for (int g = 0; g < G; g++) {
            const float *qg = q[g];
            __m512 s[BLOCK_ROWS];
            if (ahead)
                for (int r = g * BLOCK_ROWS / G; r < (g + 1) * BLOCK_ROWS / G; r++)
                    for (uint32_t i = 0; i < n; i += 32)   /* one 64-byte line */
                        _mm_prefetch((const char *)(ahead + (size_t)r * stride + i), _MM_HINT_T1);
            /* eight rows at a time share each load of the query (the loads,
             * not the products, were the limit); every row keeps its own
             * two accumulators over ascending i, as the reference does */
            for (int r0 = 0; r0 < BLOCK_ROWS; r0 += 8) {
                __m512 lo[8], hi[8];
#pragma GCC unroll 8
                for (int r = 0; r < 8; r++) lo[r] = hi[r] = _mm512_setzero_ps();
                for (uint32_t i = 0; i < n; i += 32) {
                    const __m512 q0 = _mm512_loadu_ps(qg + i), q1 = _mm512_loadu_ps(qg + i + 16);
#pragma GCC unroll 8
                    for (int r = 0; r < 8; r++) {
                        const float *kr = kf + (size_t)(r0 + r) * n + i;
                        lo[r] = _mm512_add_ps(lo[r], _mm512_mul_ps(q0, _mm512_load_ps(kr)));
                        hi[r] = _mm512_add_ps(hi[r], _mm512_mul_ps(q1, _mm512_load_ps(kr + 16)));
                    }
                }
#pragma GCC unroll 8
                for (int r = 0; r < 8; r++) s[r0 + r] = _mm512_add_ps(lo[r], hi[r]);   /* h = 16 */
            }
            _mm512_storeu_ps(scores + (size_t)g * scores_stride + j0, _mm512_mul_ps(reduce16x16(s), vscale));
        }
    }
}

static void attn_scores_avx512(const float *const *q, int G, const uint16_t *k, size_t stride, uint32_t n_rows,
                               uint32_t n, float scale, float *scores, size_t scores_stride)
{
    if (n % 32 != 0) {
        lz_op_attn_scores_ref(q, G, k, stride, n_rows, n, scale, scores, scores_stride);
        return;
    }
    if (n <= BLOCK_MAX_N && n_rows >= BLOCK_ROWS) {
        const uint32_t done = n_rows / BLOCK_ROWS * BLOCK_ROWS;
        scores_blocks(q, G, k, stride, n_rows / BLOCK_ROWS, n, scale, scores, scores_stride);
        k += (size_t)done * stride;
        n_rows -= done;
        scores += done;
        if (!n_rows) return;
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
                /* the same slice of the next tile's row: this pass reads a
                 * 128-byte piece of each strided row, a pattern the hardware
                 * prefetchers follow poorly (3 GB/s from memory without this) */
                _mm_prefetch((const char *)(vj + (size_t)LZ_WSUM_TILE * stride), _MM_HINT_T1);
                _mm_prefetch((const char *)(vj + (size_t)LZ_WSUM_TILE * stride) + 64, _MM_HINT_T1);
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
