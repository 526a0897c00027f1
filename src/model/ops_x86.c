/*
 * ops_x86.c - AVX2/F16C versions of the attention kernels of ops.c.
 *
 * Same operations as the scalar reference in the same order: one __m256
 * accumulator whose lane l is the reference's acc[l] (element i goes to lane
 * i % 8), multiply then add (never FMA), f16 widened exactly by VCVTPH2PS.
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

LZ_TARGET_AVX2 static float dot_f16_avx2(const float *q, const uint16_t *k, uint32_t n)
{
    __m256 acc = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 kv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i)));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(q + i), kv));
    }
    float a[8];
    _mm256_storeu_ps(a, acc);
    for (; i < n; i++) a[i % 8] = a[i % 8] + q[i] * lz_f16_to_f32(k[i]);
    for (int h = 4; h >= 1; h /= 2)
        for (int j = 0; j < h; j++) a[j] = a[j] + a[j + h];
    return a[0];
}

LZ_TARGET_AVX2 static void axpy_f16_avx2(float *y, float a, const uint16_t *v, uint32_t n)
{
    const __m256 av = _mm256_set1_ps(a);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 vv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i)));
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(av, vv)));
    }
    for (; i < n; i++) y[i] = y[i] + a * lz_f16_to_f32(v[i]);
}

static const lz_attn_kernels g_avx2 = { dot_f16_avx2, axpy_f16_avx2 };

const lz_attn_kernels *lz_attn_kernels_avx2(void) { return &g_avx2; }

#else

typedef int lz_ops_x86_unused; /* ISO C forbids an empty translation unit */

#endif
