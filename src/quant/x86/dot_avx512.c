/*
 * dot_avx512.c - AVX-512 (F, BW, VL, DQ, + VNNI when present) kernels.
 *
 *  - Quantized types: the x86 kernel body (dot_x86_body.h) with its exact
 *    integer sums formed by VNNI (vpdpbusd / vpdpwssd) on 256-bit vectors;
 *    the float part is unchanged, so the results are those of AVX2 and of
 *    the reference. Offered only when the CPU has AVX512_VNNI; without it
 *    this level returns nothing for them and the dispatcher uses AVX2.
 *  - F32 / F16 / BF16: 512-bit vectors; lanes 0..15 of the canonical
 *    acc[i % 32] live in one register and lanes 16..31 in another.
 * Built with the AVX-512 flags (Makefile, *_avx512.c); FMA never used.
 */
#define LZ_X86_VNNI 1
#include "dot_x86_body.h"
#define LZ_GEMM_W 16
#include "gemm_x86_body.h"

INLINE __m512 load16_f32(const uint8_t *w, int64_t i) { return _mm512_loadu_ps((const float *)w + i); }
INLINE __m512 load16_f16(const uint8_t *w, int64_t i) { return _mm512_cvtph_ps(loadu256(w + 2 * i)); }
INLINE __m512 load16_bf16(const uint8_t *w, int64_t i)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(loadu256(w + 2 * i)), 16));
}

typedef __m512 (*load16_fn)(const uint8_t *w, int64_t i);

/* acc[i % 32] += w_i * x_i with acc[0..15] in lo and acc[16..31] in hi. */
INLINE void vec_dot_float512(int64_t n, float *out, const void *w, const void *a, load16_fn load, scalar_w_fn scalar)
{
    const uint8_t *pw = w;
    const float *x = a;
    __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        lo = _mm512_add_ps(lo, _mm512_mul_ps(load(pw, i), _mm512_loadu_ps(x + i)));
        hi = _mm512_add_ps(hi, _mm512_mul_ps(load(pw, i + 16), _mm512_loadu_ps(x + i + 16)));
    }
    if (i < n) {   /* tail: finish lane by lane in the reference order */
        float lanes[LZ_FACC];
        _mm512_storeu_ps(lanes, lo);
        _mm512_storeu_ps(lanes + 16, hi);
        for (int64_t j = i; j < n; j++) lanes[j - i] += scalar(pw, j) * x[j];
        *out = lz_reduce_facc(lanes);
        return;
    }
    lo = _mm512_add_ps(lo, hi);                                            /* h = 16 */
    const __m256 r8 = _mm256_add_ps(_mm512_castps512_ps256(lo), _mm512_extractf32x8_ps(lo, 1));   /* h = 8 */
    *out = reduce8_ps(r8);                                                 /* h = 4, 2, 1 */
}

static void vec_dot_f32_512(int64_t n, float *out, const void *w, const void *a) { vec_dot_float512(n, out, w, a, load16_f32, scalar_f32); }
static void vec_dot_f16_512(int64_t n, float *out, const void *w, const void *a) { vec_dot_float512(n, out, w, a, load16_f16, scalar_f16); }
static void vec_dot_bf16_512(int64_t n, float *out, const void *w, const void *a) { vec_dot_float512(n, out, w, a, load16_bf16, scalar_bf16); }

/* The float types at 512 bits; the quantized ones only with VNNI (without
 * it the AVX2 level's kernels, inherited, are as fast). */
void lz_kernels_fill_avx512(lz_kernels *k)
{
    k->vec_dot[LZ_TYPE_F32] = vec_dot_f32_512;
    k->vec_dot[LZ_TYPE_F16] = vec_dot_f16_512;
    k->vec_dot[LZ_TYPE_BF16] = vec_dot_bf16_512;
    if (lz_cpu_get_features()->avx512vnni) x86_fill_quant(k);
    lz_ops_fill_avx512(k);
}
