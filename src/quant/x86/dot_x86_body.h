/*
 * dot_x86_body.h - the x86 dot-product kernels, bit-identical to
 * quant_ref.c. Included by dot_avx2.c (LZ_X86_VNNI 0) and dot_avx512.c
 * (LZ_X86_VNNI 1, compiled with the AVX-512 flags), which export them; the
 * two differ only in how the exact integer sums are formed (see dot_u8).
 *
 * How the canonical order maps onto 256-bit vectors (doc/determinism.md):
 *  - A group of 8 consecutive blocks is processed at once: block b of the
 *    group leaves its exact int32 partial sums in one vector; an 8-way
 *    transpose-add (reduce8_epi32) turns the 8 vectors into one vector whose
 *    lane k is block k's sum. Lane k then computes v_k with the same float
 *    operations as the reference and is added to acc lane k, which is
 *    acc[b % 8] because groups start at multiples of 8.
 *  - A last, partial group runs the same code with missing blocks treated as
 *    zero (sums 0, scales 0): their v is +-0 and adding +-0 leaves an
 *    accumulator lane unchanged, since a lane that starts at +0 and only
 *    ever adds can never hold -0.
 *  - The batched product (gemm) puts 8 activation columns in the 8 lanes
 *    instead: lane c accumulates column c's v_b into its own acc[b % 8].
 *
 * Integer products use maddubs (u8 x s8, pairs summed to saturating int16)
 * arranged so that they cannot saturate:
 *  - Q8_0 / Q4_0 / Q5_0 (signed weights): |w| as the unsigned operand and
 *    sign(a, w) as the signed one: |w| <= 128 and |a| <= 127 (activation
 *    quantizers clamp to [-127, 127], so negating a never overflows), pair
 *    sum <= 2 * 128 * 127 = 32512 < 32767.
 *  - Q4_1/Q5_1/K-quants: unsigned weights 0..63 at most (Q6_K before its
 *    -32 offset, Q3_K as 0..7 before its -4 offset): pair <= 2*63*127.
 *    The offsets are applied afterwards with the activation group sums
 *    (Q8_K bsums), which is exact integer arithmetic.
 * madd_epi16 then widens to exact int32 (with VNNI: vpdpbusd / vpdpwssd,
 * exact as well). No FMA anywhere.
 */
#ifndef LZ_X86_VNNI
#error "define LZ_X86_VNNI (0 or 1) before including dot_x86_body.h"
#endif
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "quant/kernels.h"
#include "quant/quant_internal.h"
#include "common/f16.h"
#include "common/lz_common.h"

#define INLINE static inline __attribute__((always_inline))

/* ------------------------------------------------------------ helpers */

INLINE float h2f(uint16_t h) { return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h))); }

INLINE __m256i loadu256(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
INLINE __m128i loadu128(const void *p) { return _mm_loadu_si128((const __m128i *)p); }

/* Lane k of the result = sum of the 8 lanes of s[k] (exact int32). */
INLINE __m256i reduce8_epi32(const __m256i s[8])
{
    const __m256i h01 = _mm256_hadd_epi32(s[0], s[1]);
    const __m256i h23 = _mm256_hadd_epi32(s[2], s[3]);
    const __m256i h45 = _mm256_hadd_epi32(s[4], s[5]);
    const __m256i h67 = _mm256_hadd_epi32(s[6], s[7]);
    const __m256i q0 = _mm256_hadd_epi32(h01, h23);   /* [s0..s3 low halves | s0..s3 high halves] */
    const __m256i q1 = _mm256_hadd_epi32(h45, h67);
    const __m256i lo = _mm256_permute2x128_si256(q0, q1, 0x20);
    const __m256i hi = _mm256_permute2x128_si256(q0, q1, 0x31);
    return _mm256_add_epi32(lo, hi);
}

/* The canonical halving reduction of 8 lanes: h = 4, 2, 1. */
INLINE float reduce8_ps(__m256 acc)
{
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

/* The same reduction across 8 vectors, lane by lane (gemm: one lane per column). */
INLINE __m256 reduce_acc8(__m256 acc[8])
{
    for (int h = 4; h >= 1; h /= 2)
        for (int i = 0; i < h; i++) acc[i] = _mm256_add_ps(acc[i], acc[i + h]);
    return acc[0];
}

/*
 * Exact integer dot products of 32 byte pairs, as 8 int32 partial sums.
 * Without VNNI: maddubs (u8 x s8 pairs -> int16, operands arranged so that
 * it cannot saturate, see the top comment) then madd_epi16 (-> int32).
 * With AVX-512 VNNI: vpdpbusd (u8 x s8 quads -> int32) and vpdpwssd
 * (int16 pairs -> int32), which do the same exact sums in fewer steps.
 */

/* sum w_i * a_i; w any int8 (-128 included), a in [-127, 127]. */
INLINE __m256i dot_s8_split(__m256i wabs, __m256i w, __m256i a)
{
#if LZ_X86_VNNI
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), wabs, _mm256_sign_epi8(a, w));
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, _mm256_sign_epi8(a, w)), _mm256_set1_epi16(1));
#endif
}

INLINE __m256i dot_s8(__m256i w, __m256i a) { return dot_s8_split(_mm256_abs_epi8(w), w, a); }

/* sum u_i * a_i; u unsigned 0..63. */
INLINE __m256i dot_u8(__m256i u, __m256i a)
{
#if LZ_X86_VNNI
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, a);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, a), _mm256_set1_epi16(1));
#endif
}

/* acc + sum u_i * a_i * scale(i), one int16 scale per pair of u. */
INLINE __m256i acc_u8_scaled(__m256i acc, __m256i u, __m256i a, __m256i scale16)
{
#if LZ_X86_VNNI
    return _mm256_dpwssd_epi32(acc, _mm256_maddubs_epi16(u, a), scale16);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, a), scale16));
#endif
}

/* 32 bits -> 32 bytes: byte j = 0xFF if bit j is set. */
INLINE __m256i bits_to_bytes(uint32_t bits)
{
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
        _mm256_set_epi64x(0x0303030303030303ll, 0x0202020202020202ll, 0x0101010101010101ll, 0));
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201ll);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

/* 16 packed nibbles -> 32 bytes: low nibbles first, then high nibbles. */
INLINE __m256i nibbles_to_bytes(const uint8_t *qs)
{
    const __m128i t = loadu128(qs);
    const __m256i v = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
    return _mm256_and_si256(v, _mm256_set1_epi8(15));
}

/* ---------------------------------------- 32-element blocks: weight unpack */

/* Q8_0: the int8 values themselves. */
INLINE __m256i unpack_q8_0(const uint8_t *blk) { return loadu256(blk + 2); }

/* The others: unsigned values before their offset (Q4_0: q - 8, Q5_0: q - 16). */
INLINE __m256i unpack_q4_0(const uint8_t *blk) { return nibbles_to_bytes(blk + 2); }
INLINE __m256i unpack_q4_1(const uint8_t *blk) { return nibbles_to_bytes(blk + 4); }

INLINE __m256i unpack_q5_0(const uint8_t *blk)
{
    const __m256i hi = _mm256_and_si256(bits_to_bytes(lz_rd32(blk + 2)), _mm256_set1_epi8(16));
    return _mm256_or_si256(nibbles_to_bytes(blk + 6), hi);
}

INLINE __m256i unpack_q5_1(const uint8_t *blk)
{
    const __m256i hi = _mm256_and_si256(bits_to_bytes(lz_rd32(blk + 4)), _mm256_set1_epi8(16));
    return _mm256_or_si256(nibbles_to_bytes(blk + 8), hi);
}

typedef __m256i (*unpack32_fn)(const uint8_t *blk);

/* Layout of a 32-element weight type as seen by the generic drivers. */
typedef struct {
    unpack32_fn unpack;
    int is_signed;        /* unpack gives int8 values (Q8_0) */
    int offset;           /* else: value = unpacked - offset */
    size_t wsize;         /* weight block bytes */
    size_t asize;         /* activation block bytes (Q8_0 34, Q8_1 36) */
    size_t aqs;           /* offset of the int8 values in the activation block */
    int has_min;          /* Q4_1 / Q5_1: v += m_w * s_a (m at byte 2, s at byte 2) */
} b32_layout;

/* Exact partial sums of w . a for one block. */
INLINE __m256i block_sums_b32(const uint8_t *bw, __m256i a, b32_layout L)
{
    const __m256i u = L.unpack(bw);
    if (L.is_signed) return dot_s8(u, a);
    if (L.offset) return dot_s8(_mm256_sub_epi8(u, _mm256_set1_epi8((char)L.offset)), a);
    return dot_u8(u, a);
}

/* 8 fp16 fields, one per block of a group (0 for missing blocks), widened
 * to f32. Packed in general registers: the vector ports are the busy ones. */
INLINE __m256 gather_f16(const uint8_t *p, size_t stride, int count)
{
    uint64_t lo = 0, hi = 0;
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        if (k < count) lo |= (uint64_t)lz_rd16(p + k * stride) << (16 * k);
        if (k + 4 < count) hi |= (uint64_t)lz_rd16(p + (k + 4) * stride) << (16 * k);
    }
    return _mm256_cvtph_ps(_mm_set_epi64x((long long)hi, (long long)lo));
}

/* v for up to 8 consecutive blocks (count <= 8; missing lanes give +-0). */
INLINE __m256 group_b32(const uint8_t *w, const uint8_t *a, int count, b32_layout L)
{
    __m256i s[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
        s[k] = k < count ? block_sums_b32(w + k * L.wsize, loadu256(a + k * L.asize + L.aqs), L) : _mm256_setzero_si256();
    const __m256 isum = _mm256_cvtepi32_ps(reduce8_epi32(s));
    const __m256 d = _mm256_mul_ps(gather_f16(w, L.wsize, count), gather_f16(a, L.asize, count));
    __m256 v = _mm256_mul_ps(d, isum);
    if (L.has_min) v = _mm256_add_ps(v, _mm256_mul_ps(gather_f16(w + 2, L.wsize, count), gather_f16(a + 2, L.asize, count)));
    return v;
}

INLINE void vec_dot_b32(int64_t n, float *out, const void *w, const void *a, b32_layout L)
{
    const uint8_t *pw = w, *pa = a;
    const int64_t nb = n / LZ_QK;
    __m256 acc = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8) acc = _mm256_add_ps(acc, group_b32(pw + b * L.wsize, pa + b * L.asize, 8, L));
    if (b < nb) acc = _mm256_add_ps(acc, group_b32(pw + b * L.wsize, pa + b * L.asize, (int)(nb - b), L));
    *out = reduce8_ps(acc);
}

static const b32_layout L_Q8_0 = { unpack_q8_0, 1, 0, sizeof(lz_block_q8_0), sizeof(lz_block_q8_0), 2, 0 };
static const b32_layout L_Q4_0 = { unpack_q4_0, 0, 8, sizeof(lz_block_q4_0), sizeof(lz_block_q8_0), 2, 0 };
static const b32_layout L_Q5_0 = { unpack_q5_0, 0, 16, sizeof(lz_block_q5_0), sizeof(lz_block_q8_0), 2, 0 };
static const b32_layout L_Q4_1 = { unpack_q4_1, 0, 0, sizeof(lz_block_q4_1), sizeof(lz_block_q8_1), 4, 1 };
static const b32_layout L_Q5_1 = { unpack_q5_1, 0, 0, sizeof(lz_block_q5_1), sizeof(lz_block_q8_1), 4, 1 };

static void vec_dot_q8_0(int64_t n, float *out, const void *w, const void *a) { vec_dot_b32(n, out, w, a, L_Q8_0); }
static void vec_dot_q4_0(int64_t n, float *out, const void *w, const void *a) { vec_dot_b32(n, out, w, a, L_Q4_0); }
static void vec_dot_q5_0(int64_t n, float *out, const void *w, const void *a) { vec_dot_b32(n, out, w, a, L_Q5_0); }
static void vec_dot_q4_1(int64_t n, float *out, const void *w, const void *a) { vec_dot_b32(n, out, w, a, L_Q4_1); }
static void vec_dot_q5_1(int64_t n, float *out, const void *w, const void *a) { vec_dot_b32(n, out, w, a, L_Q5_1); }

/* ------------------------------------------------------------ K-quants */

/*
 * A K-quant super-block is first unpacked into a common form, then dotted
 * with one or several Q8_K activation blocks:
 *   u[g]   32 unsigned weights of elements 32g .. 32g + 31 (0..63)
 *   sc[g]  16 int16 scales, one per maddubs pair of u[g]
 *   coef   16 int16 coefficients for the activation's bsums:
 *            mins (Q2_K, Q4_K, Q5_K): msum = sum_k coef_k * bsums_k
 *            offset types (Q3_K, Q6_K): isum -= (sum_k coef_k * bsums_k) << shift
 * so isum = sum_g sum_pairs madd(maddubs(u[g], a), sc[g]) (- offset).
 */
typedef struct {
    __m256i u[8], sc[8], coef;
} kblock;

enum { KMODE_MIN, KMODE_OFFSET };

/* Byte shuffle masks that broadcast int16 lane j of a 128-bit half. */
INLINE __m256i bcast16_mask(int j) { return _mm256_set1_epi16((short)(((2 * j + 1) << 8) | (2 * j))); }

/* Masks for "low half = int16 lane j, high half = lane j + 1". */
INLINE __m256i bcast16_pair_mask(int j)
{
    return _mm256_set_m128i(_mm_set1_epi16((short)(((2 * j + 3) << 8) | (2 * j + 2))),
                            _mm_set1_epi16((short)(((2 * j + 1) << 8) | (2 * j))));
}

/* Scale vectors of the 16-element-group types (Q2_K, Q3_K, Q6_K): the 32
 * elements 32g .. 32g + 31 use scales 2g (first 16) and 2g + 1. */
INLINE void scales_16(__m256i sc16, __m256i sc[8])
{
    const __m256i lo = _mm256_permute2x128_si256(sc16, sc16, 0x00);   /* scales 0..7 in both halves */
    const __m256i hi = _mm256_permute2x128_si256(sc16, sc16, 0x11);   /* scales 8..15 */
    for (int t = 0; t < 4; t++) {
        sc[t] = _mm256_shuffle_epi8(lo, bcast16_pair_mask(2 * t));
        sc[t + 4] = _mm256_shuffle_epi8(hi, bcast16_pair_mask(2 * t));
    }
}

/* Q4_K / Q5_K packed scales: 8 six-bit scales and 8 mins as bytes. */
INLINE void k4_unpack_scales(const uint8_t *s, uint64_t *sc, uint64_t *mn)
{
    const uint32_t u0 = lz_rd32(s), u1 = lz_rd32(s + 4), u2 = lz_rd32(s + 8);
    const uint32_t sc_lo = u0 & 0x3f3f3f3fu, mn_lo = u1 & 0x3f3f3f3fu;
    const uint32_t sc_hi = (u2 & 0x0f0f0f0fu) | (((u0 >> 6) & 0x03030303u) << 4);
    const uint32_t mn_hi = ((u2 >> 4) & 0x0f0f0f0fu) | (((u1 >> 6) & 0x03030303u) << 4);
    *sc = sc_lo | ((uint64_t)sc_hi << 32);
    *mn = mn_lo | ((uint64_t)mn_hi << 32);
}

/* Scales and bsums coefficients shared by Q4_K and Q5_K: one scale per 32
 * elements; min j applies to bsums 2j and 2j + 1. */
INLINE void k4_scales(const uint8_t *bw, kblock *k)
{
    uint64_t sc, mn;
    k4_unpack_scales(bw + 4, &sc, &mn);
    const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc)));
    for (int g = 0; g < 8; g++) k->sc[g] = _mm256_shuffle_epi8(sc16, bcast16_mask(g));
    const __m128i m8 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mn));
    k->coef = _mm256_set_m128i(_mm_unpackhi_epi16(m8, m8), _mm_unpacklo_epi16(m8, m8));
}

INLINE void unpack_q4_k(const uint8_t *bw, kblock *k)
{
    const __m256i m4 = _mm256_set1_epi8(15);
    for (int c = 0; c < 4; c++) {
        const __m256i q = loadu256(bw + 16 + 32 * c);
        k->u[2 * c] = _mm256_and_si256(q, m4);
        k->u[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
    }
    k4_scales(bw, k);
}

INLINE void unpack_q5_k(const uint8_t *bw, kblock *k)
{
    const __m256i m4 = _mm256_set1_epi8(15), one = _mm256_set1_epi8(1);
    const __m256i qh = loadu256(bw + 16);
    for (int c = 0; c < 4; c++) {
        const __m256i q = loadu256(bw + 48 + 32 * c);
        /* bit 2c (resp. 2c + 1) of qh[l] is the fifth bit of element 64c + l (+ 32) */
        const __m256i h_lo = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4);
        const __m256i h_hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4);
        k->u[2 * c] = _mm256_or_si256(_mm256_and_si256(q, m4), h_lo);
        k->u[2 * c + 1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), h_hi);
    }
    k4_scales(bw, k);
}

/* Q6_K: u = q (0..63); the -32 offset goes through bsums (coef = scales). */
INLINE void unpack_q6_k(const uint8_t *bw, kblock *k)
{
    const __m256i m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(0x30);
    for (int h = 0; h < 2; h++) {
        const __m256i l0 = loadu256(bw + 64 * h), l1 = loadu256(bw + 64 * h + 32);
        const __m256i hb = loadu256(bw + 128 + 32 * h);
        __m256i *u = &k->u[4 * h];
        u[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), m2));
        u[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), m2));
        u[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(hb, m2));
        u[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                               _mm256_and_si256(_mm256_srli_epi16(hb, 2), m2));
    }
    k->coef = _mm256_cvtepi8_epi16(loadu128(bw + 192));
    scales_16(k->coef, k->sc);
}

/* Q2_K: u = 2-bit q; scale = low nibble, min = high nibble of scales[k]. */
INLINE void unpack_q2_k(const uint8_t *bw, kblock *k)
{
    const __m128i sbytes = loadu128(bw);
    const __m256i m3 = _mm256_set1_epi8(3);
    for (int h = 0; h < 2; h++) {
        const __m256i q = loadu256(bw + 16 + 32 * h);
        for (int j = 0; j < 4; j++) k->u[4 * h + j] = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3);
    }
    scales_16(_mm256_cvtepu8_epi16(_mm_and_si128(sbytes, _mm_set1_epi8(15))), k->sc);
    k->coef = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sbytes, 4), _mm_set1_epi8(15)));
}

/* Q3_K: u = low 2 bits | high bit << 2 (0..7), value u - 4; the -4 offset
 * goes through bsums (coef = scales). */
/* The 16 signed 6-bit scales of a Q3_K block (lz_k3_scales, four at a time):
 * low 4 bits from bytes 0..7 (low nibbles for k < 8, high for k >= 8), high
 * 2 bits from bytes 8..11 at bit 2 * (k / 4). */
INLINE __m128i k3_scales(const uint8_t *b)
{
    const uint32_t u0 = lz_rd32(b), u1 = lz_rd32(b + 4), u2 = lz_rd32(b + 8);
    const uint32_t m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
    const uint32_t s0 = (u0 & m4) | ((u2 & m2) << 4);
    const uint32_t s1 = (u1 & m4) | (((u2 >> 2) & m2) << 4);
    const uint32_t s2 = ((u0 >> 4) & m4) | (((u2 >> 4) & m2) << 4);
    const uint32_t s3 = ((u1 >> 4) & m4) | (((u2 >> 6) & m2) << 4);
    return _mm_sub_epi8(_mm_set_epi32((int)s3, (int)s2, (int)s1, (int)s0), _mm_set1_epi8(32));
}

/* Q3_K: u = low 2 bits | high bit << 2 (0..7), value u - 4; the -4 offset
 * goes through bsums (coef = scales). */
INLINE void unpack_q3_k(const uint8_t *bw, kblock *k)
{
    const __m256i hm = loadu256(bw);
    const __m256i m3 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    for (int h = 0; h < 2; h++) {
        const __m256i q = loadu256(bw + 32 + 32 * h);
        for (int j = 0; j < 4; j++) {
            const __m256i hb = _mm256_and_si256(_mm256_srli_epi16(hm, 4 * h + j), one);
            k->u[4 * h + j] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3), _mm256_slli_epi16(hb, 2));
        }
    }
    k->coef = _mm256_cvtepi8_epi16(k3_scales(bw + 96));
    scales_16(k->coef, k->sc);
}

typedef void (*kunpack_fn)(const uint8_t *bw, kblock *k);

typedef struct {
    kunpack_fn unpack;
    size_t wsize;
    size_t d_off, dmin_off;   /* fp16 fields of the weight block */
    int mode;                 /* KMODE_MIN or KMODE_OFFSET */
    int shift;                /* KMODE_OFFSET: offset = coef . bsums << shift */
} k_layout;

static const k_layout K_Q2 = { unpack_q2_k, sizeof(lz_block_q2_k), 80, 82, KMODE_MIN, 0 };
static const k_layout K_Q3 = { unpack_q3_k, sizeof(lz_block_q3_k), 108, 0, KMODE_OFFSET, 2 };
static const k_layout K_Q4 = { unpack_q4_k, sizeof(lz_block_q4_k), 0, 2, KMODE_MIN, 0 };
static const k_layout K_Q5 = { unpack_q5_k, sizeof(lz_block_q5_k), 0, 2, KMODE_MIN, 0 };
static const k_layout K_Q6 = { unpack_q6_k, sizeof(lz_block_q6_k), 208, 0, KMODE_OFFSET, 5 };

#define Q8K_SIZE sizeof(lz_block_q8_k)
#define Q8K_QS 4
#define Q8K_BSUMS 260

/* Exact partial sums of one (unpacked weight block, Q8_K block) pair:
 * *isum gets the scaled sum (offset applied), *msum the mins sum. */
INLINE void k_sums(const kblock *k, const uint8_t *ba, k_layout L, __m256i *isum, __m256i *msum)
{
    __m256i acc = _mm256_setzero_si256();
    for (int g = 0; g < 8; g++) acc = acc_u8_scaled(acc, k->u[g], loadu256(ba + Q8K_QS + 32 * g), k->sc[g]);
    const __m256i t = _mm256_madd_epi16(loadu256(ba + Q8K_BSUMS), k->coef);
    if (L.mode == KMODE_OFFSET) {
        *isum = _mm256_sub_epi32(acc, _mm256_slli_epi32(t, L.shift));
        *msum = _mm256_setzero_si256();
    } else {
        *isum = acc;
        *msum = t;
    }
}

/* v = (d_a * d_w) * isum - (d_a * dmin) * msum, lane-wise. */
INLINE __m256 k_block_v(__m256 da, __m256 dw, __m256 dmin, __m256i isum, __m256i msum, k_layout L)
{
    __m256 v = _mm256_mul_ps(_mm256_mul_ps(da, dw), _mm256_cvtepi32_ps(isum));
    if (L.mode == KMODE_MIN) v = _mm256_sub_ps(v, _mm256_mul_ps(_mm256_mul_ps(da, dmin), _mm256_cvtepi32_ps(msum)));
    return v;
}

INLINE __m256 group_k(const uint8_t *w, const uint8_t *a, int count, k_layout L)
{
    __m256i s[8], m[8];
    float da[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) {
        s[k] = m[k] = _mm256_setzero_si256();
        da[k] = 0.0f;
        if (k < count) {
            kblock kb;
            L.unpack(w + k * L.wsize, &kb);
            k_sums(&kb, a + k * Q8K_SIZE, L, &s[k], &m[k]);
            memcpy(&da[k], a + k * Q8K_SIZE, sizeof(float));
        }
    }
    const __m256i isum = reduce8_epi32(s);
    const __m256i msum = L.mode == KMODE_MIN ? reduce8_epi32(m) : _mm256_setzero_si256();
    const __m256 dmin = L.mode == KMODE_MIN ? gather_f16(w + L.dmin_off, L.wsize, count) : _mm256_setzero_ps();
    return k_block_v(_mm256_set_ps(da[7], da[6], da[5], da[4], da[3], da[2], da[1], da[0]),
                     gather_f16(w + L.d_off, L.wsize, count), dmin, isum, msum, L);
}

INLINE void vec_dot_k(int64_t n, float *out, const void *w, const void *a, k_layout L)
{
    const uint8_t *pw = w, *pa = a;
    const int64_t nb = n / LZ_QK_K;
    __m256 acc = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8) acc = _mm256_add_ps(acc, group_k(pw + b * L.wsize, pa + b * Q8K_SIZE, 8, L));
    if (b < nb) acc = _mm256_add_ps(acc, group_k(pw + b * L.wsize, pa + b * Q8K_SIZE, (int)(nb - b), L));
    *out = reduce8_ps(acc);
}

static void vec_dot_q2_k(int64_t n, float *out, const void *w, const void *a) { vec_dot_k(n, out, w, a, K_Q2); }
static void vec_dot_q3_k(int64_t n, float *out, const void *w, const void *a) { vec_dot_k(n, out, w, a, K_Q3); }
static void vec_dot_q4_k(int64_t n, float *out, const void *w, const void *a) { vec_dot_k(n, out, w, a, K_Q4); }
static void vec_dot_q5_k(int64_t n, float *out, const void *w, const void *a) { vec_dot_k(n, out, w, a, K_Q5); }
static void vec_dot_q6_k(int64_t n, float *out, const void *w, const void *a) { vec_dot_k(n, out, w, a, K_Q6); }

/* ------------------------------------------------------------ float types */

/* 8 weights widened exactly to f32. */
INLINE __m256 load_w_f32(const uint8_t *w, int64_t i) { return _mm256_loadu_ps((const float *)w + i); }
INLINE __m256 load_w_f16(const uint8_t *w, int64_t i) { return _mm256_cvtph_ps(loadu128(w + 2 * i)); }
INLINE __m256 load_w_bf16(const uint8_t *w, int64_t i)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(loadu128(w + 2 * i)), 16));
}

typedef __m256 (*load_w_fn)(const uint8_t *w, int64_t i);
typedef float (*scalar_w_fn)(const uint8_t *w, int64_t i);

__attribute__((unused)) static float scalar_f32(const uint8_t *w, int64_t i) { float f; memcpy(&f, w + 4 * i, 4); return f; }
__attribute__((unused)) static float scalar_f16(const uint8_t *w, int64_t i) { return h2f(lz_rd16(w + 2 * i)); }
__attribute__((unused)) static float scalar_bf16(const uint8_t *w, int64_t i) { return lz_f32_from_bits((uint32_t)lz_rd16(w + 2 * i) << 16); }

/* acc[i % 32] += w_i * x_i: vector k holds lanes 8k .. 8k + 7. */
INLINE void vec_dot_float(int64_t n, float *out, const void *w, const void *a, load_w_fn load, scalar_w_fn scalar)
{
    const uint8_t *pw = w;
    const float *x = a;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps() };
    int64_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++)
            acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(load(pw, i + 8 * k), _mm256_loadu_ps(x + i + 8 * k)));
    if (i < n) {   /* tail: finish lane by lane in the reference order */
        float lanes[LZ_FACC];
        for (int k = 0; k < 4; k++) _mm256_storeu_ps(lanes + 8 * k, acc[k]);
        for (int64_t j = i; j < n; j++) lanes[j - i] += scalar(pw, j) * x[j];
        *out = lz_reduce_facc(lanes);
        return;
    }
    acc[0] = _mm256_add_ps(acc[0], acc[2]);   /* h = 16 */
    acc[1] = _mm256_add_ps(acc[1], acc[3]);
    acc[0] = _mm256_add_ps(acc[0], acc[1]);   /* h = 8 */
    *out = reduce8_ps(acc[0]);                /* h = 4, 2, 1 */
}

#if !LZ_X86_VNNI   /* the AVX-512 level has 512-bit ones */
static void vec_dot_f32(int64_t n, float *out, const void *w, const void *a) { vec_dot_float(n, out, w, a, load_w_f32, scalar_f32); }
static void vec_dot_f16(int64_t n, float *out, const void *w, const void *a) { vec_dot_float(n, out, w, a, load_w_f16, scalar_f16); }
static void vec_dot_bf16(int64_t n, float *out, const void *w, const void *a) { vec_dot_float(n, out, w, a, load_w_bf16, scalar_bf16); }
#endif

