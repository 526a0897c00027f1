/*
 * unpack_neon.h - the NEON unpacking of quantized blocks that dot_neon.c
 * (one row at a time) and gemm_neon.c (rows unpacked once for many
 * columns) share.
 */
#ifndef LZ_UNPACK_NEON_H
#define LZ_UNPACK_NEON_H

#include <arm_neon.h>
#include <stdint.h>

/* Q6_K: the 6-bit values (0..63, offset not applied) of elements
 * 128h + 32t + 16s .. +15 for the four quarters t, from ql = ql + 64h and
 * qh = qh + 32h of the block. */
static inline void lz_q6k_quarters(const uint8_t *ql, const uint8_t *qh, int s, uint8x16_t q[4])
{
    const uint8x16_t m4 = vdupq_n_u8(15), m2 = vdupq_n_u8(0x30);
    const uint8x16_t l0 = vld1q_u8(ql + 16 * s), l1 = vld1q_u8(ql + 32 + 16 * s);
    const uint8x16_t hb = vld1q_u8(qh + 16 * s);
    q[0] = vorrq_u8(vandq_u8(l0, m4), vandq_u8(vshlq_n_u8(hb, 4), m2));
    q[1] = vorrq_u8(vandq_u8(l1, m4), vandq_u8(vshlq_n_u8(hb, 2), m2));
    q[2] = vorrq_u8(vshrq_n_u8(l0, 4), vandq_u8(hb, m2));
    q[3] = vorrq_u8(vshrq_n_u8(l1, 4), vandq_u8(vshrq_n_u8(hb, 2), m2));
}

#endif /* LZ_UNPACK_NEON_H */
