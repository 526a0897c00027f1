/*
 * blocks.h - in-memory layout of the quantized block types.
 *
 * These are ggml's layouts byte for byte (GGUF stores blocks exactly like
 * this, little-endian), so a tensor in a mapped GGUF file can be read as an
 * array of these structs. Every struct is made of 1-byte-aligned members
 * or naturally aligned ones at naturally aligned offsets, so no padding
 * appears; the static_asserts pin the sizes. fp16 fields are raw IEEE half
 * bits (src/common/f16.h converts them).
 *
 * Kernels never assume the blocks are aligned beyond 1 byte (a row of Q8_0
 * blocks is 34 bytes apart, the mapped file gives no alignment): SIMD code
 * uses unaligned loads and memcpy for the scalar fields.
 */
#ifndef LZ_QUANT_BLOCKS_H
#define LZ_QUANT_BLOCKS_H

#include <assert.h>
#include <stdint.h>

#define LZ_QK 32      /* elements per block of the simple types */
#define LZ_QK_K 256   /* elements per super-block of the K-quants */
#define LZ_K_SCALE_BYTES 12

/* Q4_0: x = d * (q - 8), q 4 bits; element j in the low nibble of qs[j],
 * element j + 16 in the high nibble. */
typedef struct {
    uint16_t d;
    uint8_t qs[LZ_QK / 2];
} lz_block_q4_0;

/* Q4_1: x = d * q + m. */
typedef struct {
    uint16_t d;
    uint16_t m;
    uint8_t qs[LZ_QK / 2];
} lz_block_q4_1;

/* Q5_0: x = d * (q - 16), q = nibble | (bit j of qh) << 4. */
typedef struct {
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[LZ_QK / 2];
} lz_block_q5_0;

/* Q5_1: x = d * q + m. */
typedef struct {
    uint16_t d;
    uint16_t m;
    uint8_t qh[4];
    uint8_t qs[LZ_QK / 2];
} lz_block_q5_1;

/* Q8_0: x = d * q. */
typedef struct {
    uint16_t d;
    int8_t qs[LZ_QK];
} lz_block_q8_0;

/* Q8_1 (activations only): as Q8_0 plus s = f16(d * sum(q)). */
typedef struct {
    uint16_t d;
    uint16_t s;
    int8_t qs[LZ_QK];
} lz_block_q8_1;

/* Q2_K: 16 groups of 16; scales[k] = 4-bit scale | 4-bit min << 4;
 * x = d * (sc & 15) * q - dmin * (sc >> 4), q 2 bits. */
typedef struct {
    uint8_t scales[LZ_QK_K / 16];
    uint8_t qs[LZ_QK_K / 4];
    uint16_t d;
    uint16_t dmin;
} lz_block_q2_k;

/* Q3_K: 16 groups of 16 with 6-bit signed scales packed in 12 bytes;
 * q = low 2 bits - (high bit clear ? 4 : 0); x = d * (sc - 32) * q. */
typedef struct {
    uint8_t hmask[LZ_QK_K / 8];
    uint8_t qs[LZ_QK_K / 4];
    uint8_t scales[LZ_K_SCALE_BYTES];
    uint16_t d;
} lz_block_q3_k;

/* Q4_K: 8 groups of 32 with 6-bit scale and min packed in 12 bytes;
 * x = d * sc * q - dmin * m, q 4 bits. */
typedef struct {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[LZ_K_SCALE_BYTES];
    uint8_t qs[LZ_QK_K / 2];
} lz_block_q4_k;

/* Q5_K: Q4_K plus a fifth bit per element in qh. */
typedef struct {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[LZ_K_SCALE_BYTES];
    uint8_t qh[LZ_QK_K / 8];
    uint8_t qs[LZ_QK_K / 2];
} lz_block_q5_k;

/* Q6_K: 16 groups of 16 with int8 scales; x = d * sc * (q - 32), q 6 bits. */
typedef struct {
    uint8_t ql[LZ_QK_K / 2];
    uint8_t qh[LZ_QK_K / 4];
    int8_t scales[LZ_QK_K / 16];
    uint16_t d;
} lz_block_q6_k;

/* Q8_K (activations only): f32 scale, int8 values, sums of each 16. */
typedef struct {
    float d;
    int8_t qs[LZ_QK_K];
    int16_t bsums[LZ_QK_K / 16];
} lz_block_q8_k;

static_assert(sizeof(lz_block_q4_0) == 18, "Q4_0 block size");
static_assert(sizeof(lz_block_q4_1) == 20, "Q4_1 block size");
static_assert(sizeof(lz_block_q5_0) == 22, "Q5_0 block size");
static_assert(sizeof(lz_block_q5_1) == 24, "Q5_1 block size");
static_assert(sizeof(lz_block_q8_0) == 34, "Q8_0 block size");
static_assert(sizeof(lz_block_q8_1) == 36, "Q8_1 block size");
static_assert(sizeof(lz_block_q2_k) == 84, "Q2_K block size");
static_assert(sizeof(lz_block_q3_k) == 110, "Q3_K block size");
static_assert(sizeof(lz_block_q4_k) == 144, "Q4_K block size");
static_assert(sizeof(lz_block_q5_k) == 176, "Q5_K block size");
static_assert(sizeof(lz_block_q6_k) == 210, "Q6_K block size");
static_assert(sizeof(lz_block_q8_k) == 292, "Q8_K block size");

#endif /* LZ_QUANT_BLOCKS_H */
