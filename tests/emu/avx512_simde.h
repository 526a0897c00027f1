/*
 * avx512_simde.h - run the AVX-512 kernels on a CPU without AVX-512.
 *
 * `make test-avx512-emu` compiles src/quant/x86/dot_avx512.c with the AVX2
 * flags and this header forced in front (-include), so that every _mm512_*
 * and VNNI intrinsic it uses resolves to SIMDe's portable implementation
 * (Debian's libsimde-dev) built from AVX2 instructions; cpu.c then reports the
 * AVX-512 level as present (LZ_AVX512_EMULATED) and the ordinary tests run
 * the AVX-512 dispatch level. Every intrinsic is an exact lane-wise operation
 * (IEEE add/mul per lane, integer arithmetic, conversions), so the emulation
 * gives the bits the hardware gives: what it checks is our code (lane order,
 * the canonical reduction, operand order and signedness), which is where an
 * AVX-512 kernel can disagree with the scalar reference.
 */
#ifndef LZ_AVX512_SIMDE_H
#define LZ_AVX512_SIMDE_H

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include <simde/x86/f16c.h>

/* SIMDe 0.7.4 lacks six of the intrinsics the kernels use; five are two
 * 256-bit halves of the AVX2 / F16C operation, the sixth a choice of 128-bit
 * lanes, as Intel defines them. */
static inline simde__m512 lz_emu_mm512_cvtph_ps(simde__m256i a)
{
    simde__m256i_private a_ = simde__m256i_to_private(a);
    simde__m512_private r;
    r.m256[0] = simde_mm256_cvtph_ps(a_.m128i[0]);
    r.m256[1] = simde_mm256_cvtph_ps(a_.m128i[1]);
    return simde__m512_from_private(r);
}

static inline simde__m512i lz_emu_mm512_cvtepu16_epi32(simde__m256i a)
{
    simde__m256i_private a_ = simde__m256i_to_private(a);
    simde__m512i_private r;
    r.m256i[0] = simde_mm256_cvtepu16_epi32(a_.m128i[0]);
    r.m256i[1] = simde_mm256_cvtepu16_epi32(a_.m128i[1]);
    return simde__m512i_from_private(r);
}

/* VPMOVSXBD: the 16 int8 of a, sign-extended, 8 per 256-bit half. */
static inline simde__m512i lz_emu_mm512_cvtepi8_epi32(simde__m128i a)
{
    simde__m512i_private r;
    r.m256i[0] = simde_mm256_cvtepi8_epi32(a);
    r.m256i[1] = simde_mm256_cvtepi8_epi32(simde_mm_srli_si128(a, 8));
    return simde__m512i_from_private(r);
}

static inline simde__m256 lz_emu_mm512_extractf32x8_ps(simde__m512 a, int imm)
{
    return simde__m512_to_private(a).m256[imm & 1];
}

static inline simde__m512 lz_emu_mm512_cvtepi32_ps(simde__m512i a)
{
    simde__m512i_private a_ = simde__m512i_to_private(a);
    simde__m512_private r;
    r.m256[0] = simde_mm256_cvtepi32_ps(a_.m256i[0]);
    r.m256[1] = simde_mm256_cvtepi32_ps(a_.m256i[1]);
    return simde__m512_from_private(r);
}

/* VSHUFF32X4: lanes 0, 1 of the result from a, lanes 2, 3 from b, each picked by 2 bits of imm. */
static inline simde__m512 lz_emu_mm512_shuffle_f32x4(simde__m512 a, simde__m512 b, int imm)
{
    simde__m512_private a_ = simde__m512_to_private(a), b_ = simde__m512_to_private(b), r;
    r.m128[0] = a_.m128[imm & 3];
    r.m128[1] = a_.m128[(imm >> 2) & 3];
    r.m128[2] = b_.m128[(imm >> 4) & 3];
    r.m128[3] = b_.m128[(imm >> 6) & 3];
    return simde__m512_from_private(r);
}

#undef _mm512_shuffle_f32x4
#define _mm512_shuffle_f32x4(a, b, imm) lz_emu_mm512_shuffle_f32x4((a), (b), (imm))
#undef _mm512_cvtepi32_ps
#define _mm512_cvtepi32_ps(a) lz_emu_mm512_cvtepi32_ps(a)
#undef _mm512_cvtph_ps
#undef _mm512_cvtepu16_epi32
#undef _mm512_cvtepi8_epi32
#undef _mm512_extractf32x8_ps
#define _mm512_cvtph_ps(a) lz_emu_mm512_cvtph_ps(a)
#define _mm512_cvtepu16_epi32(a) lz_emu_mm512_cvtepu16_epi32(a)
#define _mm512_cvtepi8_epi32(a) lz_emu_mm512_cvtepi8_epi32(a)
#define _mm512_extractf32x8_ps(a, imm) lz_emu_mm512_extractf32x8_ps((a), (imm))

#endif
