/*
 * ops_x86.c - AVX2/F16C versions of the attention kernels of ops.c.
 *
 * Same operations as the scalar reference in the same order: four __m256
 * accumulators holding the reference's acc[0..31] (element i goes to lane
 * i % 32), multiply then add (never FMA), f16 widened exactly by VCVTPH2PS,
 * and the reference's halving reduction pair by pair.
 * The functions carry a target attribute instead of per-file flags, so this
 * file builds with the common flags and only runs where lz_cpu_isa_available
 * says AVX2 (with F16C) is present.
 */
#include "ops.h"

#ifdef LZ_MODEL_X86

#include <immintrin.h>
#include <string.h>

#include "../common/f16.h"

#define LZ_TARGET_AVX2 __attribute__((target("avx2,f16c")))

LZ_TARGET_AVX2 static inline __m256 load_f16(const uint16_t *k)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)k));
}

/* Lanes 0..31 of the reference live in a[0..3] (a[v] = lanes 8v..8v+7). */
LZ_TARGET_AVX2 static float dot_f16_avx2(const float *q, const uint16_t *k, uint32_t n)
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

LZ_TARGET_AVX2 static void axpy_f16_avx2(float *y, float a, const uint16_t *v, uint32_t n)
{
    const __m256 av = _mm256_set1_ps(a);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(av, load_f16(v + i))));
    }
    for (; i < n; i++) y[i] = y[i] + a * lz_f16_to_f32(v[i]);
}

static const lz_attn_kernels g_avx2 = { dot_f16_avx2, axpy_f16_avx2 };

const lz_attn_kernels *lz_attn_kernels_avx2(void) { return &g_avx2; }

#else

typedef int lz_ops_x86_unused; /* ISO C forbids an empty translation unit */

#endif
