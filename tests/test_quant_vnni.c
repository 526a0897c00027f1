/*
 * test_quant_vnni.c - the VNNI flavour of the x86 kernel body, run on a CPU
 * without AVX-512.
 *
 * dot_avx512.c compiles src/quant/x86/dot_x86_body.h with LZ_X86_VNNI 1,
 * which forms the exact integer sums with vpdpbusd / vpdpwssd. Machines
 * without AVX-512 VNNI cannot run that code, so this test compiles the same
 * body for AVX2 with the two instructions replaced by exact AVX2 emulations
 * (Intel's definitions: u8 x s8 quads and s16 pairs summed into int32,
 * wrapping), and checks every kernel against the scalar reference with
 * memcmp. It proves the VNNI code paths (operand order, signedness,
 * accumulation) without the hardware; the hardware itself is exercised by
 * test_quant on AVX-512 machines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#if defined(__x86_64__) && defined(LZ_BUILD_X86_SIMD) && defined(__GNUC__)
#include <immintrin.h>
/* Only the kernel body and the emulation are compiled for AVX2; the test
 * itself stays baseline so that it can skip on CPUs without AVX2. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif

/* dst + sum over each 4-byte group of (unsigned a byte) * (signed b byte). */
static inline __m256i emu_dpbusd(__m256i src, __m256i a, __m256i b)
{
    const __m256i a_even = _mm256_and_si256(a, _mm256_set1_epi16(0x00ff));
    const __m256i a_odd = _mm256_srli_epi16(a, 8);
    const __m256i b_even = _mm256_srai_epi16(_mm256_slli_epi16(b, 8), 8);
    const __m256i b_odd = _mm256_srai_epi16(b, 8);
    return _mm256_add_epi32(src, _mm256_add_epi32(_mm256_madd_epi16(a_even, b_even), _mm256_madd_epi16(a_odd, b_odd)));
}

/* dst + sum over each pair of int16 products. */
static inline __m256i emu_dpwssd(__m256i src, __m256i a, __m256i b) { return _mm256_add_epi32(src, _mm256_madd_epi16(a, b)); }

#undef _mm256_dpbusd_epi32   /* GCC may define them as macros */
#undef _mm256_dpwssd_epi32
#define _mm256_dpbusd_epi32 emu_dpbusd
#define _mm256_dpwssd_epi32 emu_dpwssd
#define LZ_X86_VNNI 1
#include "quant/x86/dot_x86_body.h"
#define LZ_GEMM_W 8
#include "quant/x86/gemm_x86_body.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#define HAVE_EMU 1
#endif

#include "common/f16.h"
#include "common/lz_common.h"
#include "quant/quant.h"

#ifdef HAVE_EMU

static uint64_t g_rng = 12345;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* Random blocks with finite fp16 scales where the block types have them. */
static void random_weights(lz_type t, uint8_t *w, int64_t n, int rows)
{
    const lz_type_traits *tr = lz_type_get(t);
    const size_t rb = lz_row_size(t, n);
    for (size_t i = 0; i < rb * rows; i++) w[i] = (uint8_t)rnd();
    static const struct { lz_type t; int off[2]; int count; } f16s[] = {
        { LZ_TYPE_Q4_0, { 0 }, 1 }, { LZ_TYPE_Q5_0, { 0 }, 1 }, { LZ_TYPE_Q8_0, { 0 }, 1 },
        { LZ_TYPE_Q4_1, { 0, 2 }, 2 }, { LZ_TYPE_Q5_1, { 0, 2 }, 2 }, { LZ_TYPE_Q4_K, { 0, 2 }, 2 },
        { LZ_TYPE_Q5_K, { 0, 2 }, 2 }, { LZ_TYPE_Q2_K, { 80, 82 }, 2 }, { LZ_TYPE_Q3_K, { 108 }, 1 },
        { LZ_TYPE_Q6_K, { 208 }, 1 },
    };
    for (size_t k = 0; k < LZ_ARRAY_LEN(f16s); k++) {
        if (f16s[k].t != t) continue;
        for (size_t b = 0; b < rb * rows / (size_t)tr->type_size; b++)
            for (int f = 0; f < f16s[k].count; f++)
                lz_wr16(w + b * tr->type_size + f16s[k].off[f], lz_f32_to_f16(((int)(rnd() % 2001) - 1000) * 1e-5f));
    }
    if (t == LZ_TYPE_Q8_0) {   /* some -128 weights, the largest |w| */
        for (size_t b = 0; b < rb * rows / 34; b += 3) w[b * 34 + 2 + b % 32] = 0x80;
    }
}

static void test_vnni_body_matches_reference(void **state)
{
    (void)state;
    if (!lz_cpu_isa_available(LZ_ISA_AVX2)) {
        printf("no AVX2 on this CPU: the emulated VNNI body cannot run; skipped\n");
        skip();
    }
    static const lz_type types[] = { LZ_TYPE_Q8_0, LZ_TYPE_Q4_0, LZ_TYPE_Q4_1, LZ_TYPE_Q5_0, LZ_TYPE_Q5_1,
                                     LZ_TYPE_Q2_K, LZ_TYPE_Q3_K, LZ_TYPE_Q4_K, LZ_TYPE_Q5_K, LZ_TYPE_Q6_K };
    enum { ROWS = 19, COLS = 11 };   /* two 8-row vectors and a tail; 4-column tiles and a tail */
    for (size_t ti = 0; ti < LZ_ARRAY_LEN(types); ti++) {
        const lz_type t = types[ti];
        const lz_type at = lz_type_get(t)->vec_dot_type;
        const int64_t n = lz_type_get(t)->block_size == 256 ? 2304 : 672;
        const size_t rb = lz_row_size(t, n), ab = lz_row_size(at, n);
        uint8_t *w = malloc(rb * ROWS);
        uint8_t *a = lz_malloc_aligned(ab * COLS);
        float *x = malloc(n * sizeof(float));
        float out[ROWS * COLS];
        random_weights(t, w, n, ROWS);
        for (int c = 0; c < COLS; c++) {
            for (int64_t i = 0; i < n; i++) x[i] = ((int)(rnd() % 20001) - 10000) * (c % 2 ? 1e-3f : 1e-1f);
            lz_quantize_act_row(at, x, a + c * ab, n);
        }
        lz_kernels k;
        memset(&k, 0, sizeof(k));
        x86_fill_quant(&k);
        lz_vec_dot_fn ref = lz_get_vec_dot(t, LZ_ISA_SCALAR), emu = k.vec_dot[t];
        assert_non_null(emu);
        assert_non_null(k.gemm[t]);
        assert_int_equal(k.gemm[t](n, w, rb, ROWS, a, ab, COLS, out, ROWS), 1);
        int checked = 0;
        for (int r = 0; r < ROWS; r++)
            for (int c = 0; c < COLS; c++) {
                float want, got;
                ref(n, &want, w + r * rb, a + c * ab);
                emu(n, &got, w + r * rb, a + c * ab);
                if (memcmp(&want, &got, 4) || memcmp(&want, &out[c * ROWS + r], 4))
                    fail_msg("%s row %d col %d: reference %.9g, VNNI vec_dot %.9g, VNNI gemm %.9g",
                             lz_type_name(t), r, c, want, got, out[c * ROWS + r]);
                checked += 2;
            }
        printf("VNNI body (emulated) %-5s: %d vec_dot + gemm results bit-identical to scalar\n", lz_type_name(t), checked);
        free(w); lz_free_aligned(a); free(x);
    }
}

#else

static void test_vnni_body_matches_reference(void **state)
{
    (void)state;
    printf("not an x86-64 SIMD build: skipped\n");
    skip();
}

#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vnni_body_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
