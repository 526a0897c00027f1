/*
 * f16.h - IEEE half and bfloat16 conversions in plain integer arithmetic.
 *
 * f16 -> f32 and bf16 -> f32 are exact. f32 -> f16 and f32 -> bf16 round to
 * nearest, ties to even, like F16C's VCVTPS2PH with imm 0 and ggml's
 * reference, so SIMD code may use the hardware instructions and still agree.
 */
#ifndef LZ_F16_H
#define LZ_F16_H

#include <stdint.h>
#include <string.h>

static inline float lz_f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t lz_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static inline float lz_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);           /* inf / NaN */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);   /* normal */
    } else if (mant == 0) {
        bits = sign;                                       /* zero */
    } else {                                               /* subnormal: normalise */
        int e = 113;
        while (!(mant & 0x400u)) { mant <<= 1; e--; }
        bits = sign | ((uint32_t)e << 23) | ((mant & 0x3ffu) << 13);
    }
    return lz_f32_from_bits(bits);
}

static inline uint16_t lz_f32_to_f16(float f)
{
    uint32_t x = lz_f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((ax >> 13) & 0x3ffu)); /* NaN stays NaN */
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  /* rounds to >= 65520: inf */
    if (ax < 0x38800000u) {                                     /* below f16 normal range */
        if (ax < 0x33000000u) return (uint16_t)sign;            /* < 2^-25: rounds to 0 */
        uint32_t e = ax >> 23;
        uint32_t m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - e;                               /* 14..24 */
        uint32_t q = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t q = ax - 0x38000000u;   /* rebias exponent by -112 */
    uint32_t rem = q & 0x1fffu;
    q >>= 13;
    if (rem > 0x1000u || (rem == 0x1000u && (q & 1))) q++;
    return (uint16_t)(sign | q);
}

static inline float lz_bf16_to_f32(uint16_t h) { return lz_f32_from_bits((uint32_t)h << 16); }

static inline uint16_t lz_f32_to_bf16(float f)
{
    uint32_t u = lz_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64); /* quiet NaN */
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

#endif /* LZ_F16_H */
