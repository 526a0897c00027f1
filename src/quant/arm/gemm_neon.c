/*
 * gemm_neon.c - AArch64 Advanced SIMD register-tiled products of quantized
 * weight rows with several activation rows, bit-identical to quant_ref.c.
 *
 * vec_dot (dot_neon.c) unpacks every weight block again for every
 * activation column; here each pair of weight rows is unpacked once per
 * call into plain int8 values (offsets applied: Q4_0 -8, Q5_0 -16, Q3_K -4,
 * Q6_K -32) with their block factors and per-16 group scales, and then
 * serves every column, four at a time:
 *  - a register tile is 2 rows x 4 columns; each loaded weight vector serves
 *    4 columns and each loaded activation vector 2 rows;
 *  - a block's exact integer sums: vmull_s8 / vmlal_high_s8 (int16 pairs,
 *    <= 2 * 128 * 127), widened to int32, times the group scale for
 *    K-quants (vmlal_n_s16); integer sums are exact in any order;
 *  - the 4 columns' sums of a row are gathered into one vector (pairwise
 *    adds), so the reference's float operations on the block run with one
 *    column per lane: v = (d_w * d_a) * (float)isum [+ m_w * s_a], or the
 *    K-quant form (da * d_w) * isum - (da * dmin) * msum, added to
 *    acc[b % 8], then the halving reduction of the 8 accumulators. The
 *    reference's IEEE operations in its order per output element (separate
 *    vmulq / vaddq: no FMLA), so tile shape, thread count and batch size
 *    change no bit.
 * The activation scales are widened to f32 once per call (lz_f16_to_f32,
 * the reference's conversion), 4 columns per vector.
 */
#include <arm_neon.h>
#include <stdlib.h>
#include <string.h>

#include "quant/arm/unpack_neon.h"
#include "quant/kernels.h"
#include "quant/quant_internal.h"
#include "common/f16.h"
#include "common/lz_common.h"

#define TILE_ROWS 2
#define TILE_COLS 4
#define GROUPS_K (LZ_QK_K / 16)   /* per-16 groups of a K-quant block */

/* The float form of a block's value (quant_ref.c). */
typedef enum {
    FORM_Q,       /* (d_w * d_a) * isum */
    FORM_Q_MIN,   /* (d_w * d_a) * isum + m_w * s_a */
    FORM_K,       /* (d_a * d_w) * isum */
    FORM_K_MIN    /* (d_a * d_w) * isum - (d_a * dmin_w) * msum */
} block_form;

/* One weight row unpacked. */
typedef struct {
    int8_t *q;     /* n values, offsets applied */
    float *d;      /* per block: d_w */
    float *m;      /* per block: m_w (Q4_1, Q5_1) or dmin_w (K-quants with mins) */
    int16_t *sc;   /* K-quants: GROUPS_K per block, the scale of each 16 values */
    int16_t *mn;   /* K-quants with mins: GROUPS_K per block, the min of each 16 */
} row_unpacked;

typedef void (*unpack_fn)(const uint8_t *row, int64_t nb, row_unpacked *u);

/* ------------------------------------------------------------ unpacking */

static inline void store_nibbles(const uint8_t *qs, int8_t *dst, int8_t offset)
{
    const uint8x16_t q = vld1q_u8(qs);
    const int8x16_t off = vdupq_n_s8(offset);
    vst1q_s8(dst, vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(15))), off));
    vst1q_s8(dst + 16, vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), off));
}

/* Nibbles of a Q5 block with their fifth bits (qh bit j for element j). */
static inline void store_q5(const uint8_t *qs, const uint8_t *qh4, int8_t *dst, int8_t offset)
{
    static const uint8_t bit[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };
    const uint32_t qh = lz_rd32(qh4);
    const uint8x16_t q = vld1q_u8(qs), m = vld1q_u8(bit), m16 = vdupq_n_u8(16);
    const int8x16_t off = vdupq_n_s8(offset);
    for (int half = 0; half < 2; half++) {
        const uint16_t bits = (uint16_t)(qh >> (16 * half));
        const uint8x16_t b = vcombine_u8(vdup_n_u8((uint8_t)bits), vdup_n_u8((uint8_t)(bits >> 8)));
        const uint8x16_t nib = half ? vshrq_n_u8(q, 4) : vandq_u8(q, vdupq_n_u8(15));
        const uint8x16_t v = vorrq_u8(nib, vandq_u8(vtstq_u8(b, m), m16));
        vst1q_s8(dst + 16 * half, vsubq_s8(vreinterpretq_s8_u8(v), off));
    }
}

static void unpack_q8_0(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q8_0 *bw = (const lz_block_q8_0 *)(const void *)row;
    for (int64_t b = 0; b < nb; b++) {
        memcpy(u->q + LZ_QK * b, bw[b].qs, LZ_QK);
        u->d[b] = lz_f16_to_f32(bw[b].d);
    }
}

static void unpack_q4_0(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q4_0 *bw = (const lz_block_q4_0 *)(const void *)row;
    for (int64_t b = 0; b < nb; b++) {
        store_nibbles(bw[b].qs, u->q + LZ_QK * b, 8);
        u->d[b] = lz_f16_to_f32(bw[b].d);
    }
}

static void unpack_q5_0(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q5_0 *bw = (const lz_block_q5_0 *)(const void *)row;
    for (int64_t b = 0; b < nb; b++) {
        store_q5(bw[b].qs, bw[b].qh, u->q + LZ_QK * b, 16);
        u->d[b] = lz_f16_to_f32(bw[b].d);
    }
}

static void unpack_q4_1(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q4_1 *bw = (const lz_block_q4_1 *)(const void *)row;
    for (int64_t b = 0; b < nb; b++) {
        store_nibbles(bw[b].qs, u->q + LZ_QK * b, 0);
        u->d[b] = lz_f16_to_f32(bw[b].d);
        u->m[b] = lz_f16_to_f32(bw[b].m);
    }
}

static void unpack_q5_1(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q5_1 *bw = (const lz_block_q5_1 *)(const void *)row;
    for (int64_t b = 0; b < nb; b++) {
        store_q5(bw[b].qs, bw[b].qh, u->q + LZ_QK * b, 0);
        u->d[b] = lz_f16_to_f32(bw[b].d);
        u->m[b] = lz_f16_to_f32(bw[b].m);
    }
}

/* Q4_K / Q5_K: a scale and min per 32 values, given to both of its 16s
 * (m * (bsum_2g + bsum_2g+1) = m * bsum_2g + m * bsum_2g+1, exactly). */
static void k4_group_scales(const uint8_t *scales, int16_t *sc, int16_t *mn)
{
    for (int g = 0; g < 8; g++) {
        int s, m;
        lz_k4_scale_min(scales, g, &s, &m);
        sc[2 * g] = sc[2 * g + 1] = (int16_t)s;
        mn[2 * g] = mn[2 * g + 1] = (int16_t)m;
    }
}

static void unpack_q4_k(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q4_k *bw = (const lz_block_q4_k *)(const void *)row;
    for (int64_t b = 0; b < nb; b++) {
        int8_t *q = u->q + LZ_QK_K * b;
        for (int c = 0; c < 4; c++)   /* values 64c..64c+31: low nibbles of qs[32c..]; then the high ones */
            for (int h = 0; h < 2; h++) {
                const uint8x16_t v = vld1q_u8(bw[b].qs + 32 * c + 16 * h);
                vst1q_s8(q + 64 * c + 16 * h, vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(15))));
                vst1q_s8(q + 64 * c + 32 + 16 * h, vreinterpretq_s8_u8(vshrq_n_u8(v, 4)));
            }
        k4_group_scales(bw[b].scales, u->sc + GROUPS_K * b, u->mn + GROUPS_K * b);
        u->d[b] = lz_f16_to_f32(bw[b].d);
        u->m[b] = lz_f16_to_f32(bw[b].dmin);
    }
}

static void unpack_q5_k(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q5_k *bw = (const lz_block_q5_k *)(const void *)row;
    const uint8x16_t m16 = vdupq_n_u8(16);
    for (int64_t b = 0; b < nb; b++) {
        int8_t *q = u->q + LZ_QK_K * b;
        for (int c = 0; c < 4; c++) {
            /* bit 2c (2c + 1) of qh[l] is the fifth bit of value 64c + l (+ 32) */
            const uint8x16_t bl = vdupq_n_u8((uint8_t)(1u << (2 * c))), bh = vdupq_n_u8((uint8_t)(2u << (2 * c)));
            for (int h = 0; h < 2; h++) {
                const uint8x16_t v = vld1q_u8(bw[b].qs + 32 * c + 16 * h), qh = vld1q_u8(bw[b].qh + 16 * h);
                const uint8x16_t lo = vorrq_u8(vandq_u8(v, vdupq_n_u8(15)), vandq_u8(vtstq_u8(qh, bl), m16));
                const uint8x16_t hi = vorrq_u8(vshrq_n_u8(v, 4), vandq_u8(vtstq_u8(qh, bh), m16));
                vst1q_s8(q + 64 * c + 16 * h, vreinterpretq_s8_u8(lo));
                vst1q_s8(q + 64 * c + 32 + 16 * h, vreinterpretq_s8_u8(hi));
            }
        }
        k4_group_scales(bw[b].scales, u->sc + GROUPS_K * b, u->mn + GROUPS_K * b);
        u->d[b] = lz_f16_to_f32(bw[b].d);
        u->m[b] = lz_f16_to_f32(bw[b].dmin);
    }
}

static void unpack_q6_k(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q6_k *bw = (const lz_block_q6_k *)(const void *)row;
    const int8x16_t off = vdupq_n_s8(32);
    for (int64_t b = 0; b < nb; b++) {
        int8_t *q = u->q + LZ_QK_K * b;
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = bw[b].ql + 64 * h, *qh = bw[b].qh + 32 * h;
            for (int s = 0; s < 2; s++) {   /* values 128h + 32t + 16s .. +15 for quarter t */
                uint8x16_t v[4];
                lz_q6k_quarters(ql, qh, s, v);
                for (int t = 0; t < 4; t++)
                    vst1q_s8(q + 128 * h + 32 * t + 16 * s, vsubq_s8(vreinterpretq_s8_u8(v[t]), off));
            }
        }
        for (int g = 0; g < GROUPS_K; g++) u->sc[GROUPS_K * b + g] = bw[b].scales[g];
        u->d[b] = lz_f16_to_f32(bw[b].d);
    }
}

static void unpack_q2_k(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q2_k *bw = (const lz_block_q2_k *)(const void *)row;
    const uint8x16_t m3 = vdupq_n_u8(3);
    for (int64_t b = 0; b < nb; b++) {
        int8_t *q = u->q + LZ_QK_K * b;
        for (int h = 0; h < 2; h++)
            for (int s = 0; s < 2; s++) {
                uint8x16_t v = vld1q_u8(bw[b].qs + 32 * h + 16 * s);
                for (int j = 0; j < 4; j++, v = vshrq_n_u8(v, 2))   /* group 8h + 2j + s */
                    vst1q_s8(q + 16 * (8 * h + 2 * j + s), vreinterpretq_s8_u8(vandq_u8(v, m3)));
            }
        for (int g = 0; g < GROUPS_K; g++) {
            u->sc[GROUPS_K * b + g] = bw[b].scales[g] & 15;
            u->mn[GROUPS_K * b + g] = bw[b].scales[g] >> 4;
        }
        u->d[b] = lz_f16_to_f32(bw[b].d);
        u->m[b] = lz_f16_to_f32(bw[b].dmin);
    }
}

static void unpack_q3_k(const uint8_t *row, int64_t nb, row_unpacked *u)
{
    const lz_block_q3_k *bw = (const lz_block_q3_k *)(const void *)row;
    const uint8x16_t m3 = vdupq_n_u8(3);
    for (int64_t b = 0; b < nb; b++) {
        int8_t *q = u->q + LZ_QK_K * b;
        for (int s = 0; s < 2; s++) {
            const uint8x16_t hm = vld1q_u8(bw[b].hmask + 16 * s);
            for (int h = 0; h < 2; h++) {
                uint8x16_t v = vld1q_u8(bw[b].qs + 32 * h + 16 * s);
                for (int j = 0; j < 4; j++, v = vshrq_n_u8(v, 2)) {   /* group 8h + 2j + s */
                    /* low 2 bits - 4 unless bit (4h + j) of hmask is set */
                    const uint8x16_t set = vtstq_u8(hm, vdupq_n_u8((uint8_t)(1u << (4 * h + j))));
                    const uint8x16_t minus4 = vbicq_u8(vdupq_n_u8(4), set);
                    vst1q_s8(q + 16 * (8 * h + 2 * j + s),
                             vsubq_s8(vreinterpretq_s8_u8(vandq_u8(v, m3)), vreinterpretq_s8_u8(minus4)));
                }
            }
        }
        int8_t sc[GROUPS_K];
        lz_k3_scales(bw[b].scales, sc);
        for (int g = 0; g < GROUPS_K; g++) u->sc[GROUPS_K * b + g] = sc[g];
        u->d[b] = lz_f16_to_f32(bw[b].d);
    }
}

/* ------------------------------------------------------------ integer sums */

/* Exact sum of 16 products, as int32 lanes (to be added up later). */
static inline int16x8_t prod16(int8x16_t w, int8x16_t a)
{
    return vmlal_high_s8(vmull_s8(vget_low_s8(w), vget_low_s8(a)), w, a);
}

/* The four columns' totals of s[0..3] in lanes 0..3. */
static inline int32x4_t gather4(const int32x4_t s[TILE_COLS])
{
    return vpaddq_s32(vpaddq_s32(s[0], s[1]), vpaddq_s32(s[2], s[3]));
}

/* isum of one 32-value block for rows r x columns c (lane c). */
static inline void isum_q32(const int8_t *const wq[TILE_ROWS], const int8_t *const aq[TILE_COLS],
                            int32x4_t isum[TILE_ROWS])
{
    int8x16_t w[TILE_ROWS][2];
    for (int r = 0; r < TILE_ROWS; r++) w[r][0] = vld1q_s8(wq[r]), w[r][1] = vld1q_s8(wq[r] + 16);
    int32x4_t s[TILE_ROWS][TILE_COLS];
    for (int c = 0; c < TILE_COLS; c++) {
        const int8x16_t a0 = vld1q_s8(aq[c]), a1 = vld1q_s8(aq[c] + 16);
        for (int r = 0; r < TILE_ROWS; r++)
            s[r][c] = vpadalq_s16(vpaddlq_s16(prod16(w[r][0], a0)), prod16(w[r][1], a1));
    }
    for (int r = 0; r < TILE_ROWS; r++) isum[r] = gather4(s[r]);
}

/* isum of one K-quant block: sum over groups of sc_g * (group's products). */
static inline void isum_k(const int8_t *const wq[TILE_ROWS], const int16_t *const sc[TILE_ROWS],
                          const int8_t *const aq[TILE_COLS], int32x4_t isum[TILE_ROWS])
{
    int32x4_t s[TILE_ROWS][TILE_COLS];
    for (int r = 0; r < TILE_ROWS; r++)
        for (int c = 0; c < TILE_COLS; c++) s[r][c] = vdupq_n_s32(0);
    for (int g = 0; g < GROUPS_K; g++) {
        int8x16_t w[TILE_ROWS];
        for (int r = 0; r < TILE_ROWS; r++) w[r] = vld1q_s8(wq[r] + 16 * g);
        for (int c = 0; c < TILE_COLS; c++) {
            const int8x16_t a = vld1q_s8(aq[c] + 16 * g);
            for (int r = 0; r < TILE_ROWS; r++) {
                const int16x8_t p = prod16(w[r], a);
                s[r][c] = vmlal_n_s16(s[r][c], vget_low_s16(p), sc[r][g]);
                s[r][c] = vmlal_high_n_s16(s[r][c], p, sc[r][g]);
            }
        }
    }
    for (int r = 0; r < TILE_ROWS; r++) isum[r] = gather4(s[r]);
}

/* msum of one K-quant block: sum over groups of min_g * bsum_g. */
static inline int32x4_t msum_k(const int16_t *mn, const int16_t *const bsums[TILE_COLS])
{
    const int16x8_t m0 = vld1q_s16(mn), m1 = vld1q_s16(mn + 8);
    int32x4_t s[TILE_COLS];
    for (int c = 0; c < TILE_COLS; c++) {
        const int16x8_t b0 = vld1q_s16(bsums[c]), b1 = vld1q_s16(bsums[c] + 8);
        int32x4_t t = vmull_s16(vget_low_s16(m0), vget_low_s16(b0));
        t = vmlal_high_s16(t, m0, b0);
        t = vmlal_s16(t, vget_low_s16(m1), vget_low_s16(b1));
        s[c] = vmlal_high_s16(t, m1, b1);
    }
    return gather4(s);
}

/* ------------------------------------------------------------ the tiles */

/* The activation side of a call: per block, the 4 columns' f32 factors of
 * each column tile side by side (d_a, and s_a for Q8_1), and each column's
 * block pointers. */
typedef struct {
    const uint8_t *act;
    size_t act_bytes, block_bytes;
    int64_t nb, n_cols;
    int k_quant;        /* Q8_K activations (f32 d, bsums) */
    int has_sum;        /* Q8_1 activations (s_a) */
    float *da, *sa;     /* [tile][block][lane] */
} act_side;

static inline const uint8_t *act_block(const act_side *A, int64_t col, int64_t b)
{
    return A->act + (size_t)col * A->act_bytes + (size_t)b * A->block_bytes;
}

static void widen_act_scales(act_side *A)
{
    const int64_t tiles = (A->n_cols + TILE_COLS - 1) / TILE_COLS;
    for (int64_t t = 0; t < tiles; t++)
        for (int64_t b = 0; b < A->nb; b++)
            for (int l = 0; l < TILE_COLS; l++) {
                const int64_t c = LZ_MIN(t * TILE_COLS + l, A->n_cols - 1);   /* padding repeats the last */
                const uint8_t *blk = act_block(A, c, b);
                const size_t at = ((size_t)t * (size_t)A->nb + (size_t)b) * TILE_COLS + (size_t)l;
                if (A->k_quant) {
                    memcpy(&A->da[at], blk, sizeof(float));
                } else {
                    A->da[at] = lz_f16_to_f32(lz_rd16(blk));
                    if (A->has_sum) A->sa[at] = lz_f16_to_f32(lz_rd16(blk + 2));
                }
            }
}

/* One tile: rows u[0..1] x columns c0..c0+3 (lanes), all blocks; the
 * results of the live rows and columns go to out. */
static void run_tile(block_form form, const row_unpacked *const u[TILE_ROWS], int live_rows, const act_side *A,
                     int64_t c0, float *out, size_t out_stride)
{
    const int k = form == FORM_K || form == FORM_K_MIN;
    const int64_t bs = k ? LZ_QK_K : LZ_QK;
    const size_t qs_off = k ? offsetof(lz_block_q8_k, qs) : (A->has_sum ? offsetof(lz_block_q8_1, qs) : offsetof(lz_block_q8_0, qs));
    const int64_t live_cols = LZ_MIN((int64_t)TILE_COLS, A->n_cols - c0);
    const float *da = A->da + (size_t)(c0 / TILE_COLS) * (size_t)A->nb * TILE_COLS;
    const float *sa = A->has_sum ? A->sa + (size_t)(c0 / TILE_COLS) * (size_t)A->nb * TILE_COLS : NULL;
    float32x4_t acc[TILE_ROWS][LZ_QACC];
    for (int r = 0; r < TILE_ROWS; r++)
        for (int i = 0; i < LZ_QACC; i++) acc[r][i] = vdupq_n_f32(0.0f);
    for (int64_t b = 0; b < A->nb; b++) {
        const int8_t *aq[TILE_COLS];
        const int16_t *bsums[TILE_COLS];
        for (int l = 0; l < TILE_COLS; l++) {
            const uint8_t *blk = act_block(A, c0 + LZ_MIN((int64_t)l, live_cols - 1), b);
            aq[l] = (const int8_t *)(const void *)(blk + qs_off);
            bsums[l] = k ? (const int16_t *)(const void *)(blk + offsetof(lz_block_q8_k, bsums)) : NULL;
        }
        const int8_t *wq[TILE_ROWS];
        const int16_t *sc[TILE_ROWS];
        for (int r = 0; r < TILE_ROWS; r++) {
            wq[r] = u[r]->q + (size_t)b * (size_t)bs;
            sc[r] = k ? u[r]->sc + (size_t)b * GROUPS_K : NULL;
        }
        int32x4_t isum[TILE_ROWS];
        if (k)
            isum_k(wq, sc, aq, isum);
        else
            isum_q32(wq, aq, isum);
        const float32x4_t d_a = vld1q_f32(da + (size_t)b * TILE_COLS);
        for (int r = 0; r < TILE_ROWS; r++) {
            const float32x4_t fsum = vcvtq_f32_s32(isum[r]);   /* round to nearest, as (float) */
            float32x4_t v;
            switch (form) {
            case FORM_Q:
            case FORM_K:   /* d_a * d_w is d_w * d_a: one product */
                v = vmulq_f32(vmulq_n_f32(d_a, u[r]->d[b]), fsum);
                break;
            case FORM_Q_MIN:
                v = vaddq_f32(vmulq_f32(vmulq_n_f32(d_a, u[r]->d[b]), fsum),
                              vmulq_n_f32(vld1q_f32(sa + (size_t)b * TILE_COLS), u[r]->m[b]));
                break;
            default: {   /* FORM_K_MIN */
                const float32x4_t msum = vcvtq_f32_s32(msum_k(u[r]->mn + (size_t)b * GROUPS_K, bsums));
                v = vsubq_f32(vmulq_f32(vmulq_n_f32(d_a, u[r]->d[b]), fsum),
                              vmulq_f32(vmulq_n_f32(d_a, u[r]->m[b]), msum));
                break;
            }
            }
            acc[r][b % LZ_QACC] = vaddq_f32(acc[r][b % LZ_QACC], v);
        }
    }
    for (int r = 0; r < live_rows; r++) {
        for (int h = LZ_QACC / 2; h >= 1; h /= 2)   /* the halving reduction, lane-wise */
            for (int i = 0; i < h; i++) acc[r][i] = vaddq_f32(acc[r][i], acc[r][i + h]);
        float lanes[TILE_COLS];
        vst1q_f32(lanes, acc[r][0]);
        for (int64_t l = 0; l < live_cols; l++) out[(size_t)(c0 + l) * out_stride + (size_t)r] = lanes[l];
    }
}

/* ------------------------------------------------------------ entry */

typedef struct {
    lz_type type;
    unpack_fn unpack;
    block_form form;
} gemm_row;

static const gemm_row g_gemm_rows[] = {
    { LZ_TYPE_Q8_0, unpack_q8_0, FORM_Q },  { LZ_TYPE_Q4_0, unpack_q4_0, FORM_Q },
    { LZ_TYPE_Q5_0, unpack_q5_0, FORM_Q },  { LZ_TYPE_Q4_1, unpack_q4_1, FORM_Q_MIN },
    { LZ_TYPE_Q5_1, unpack_q5_1, FORM_Q_MIN }, { LZ_TYPE_Q2_K, unpack_q2_k, FORM_K_MIN },
    { LZ_TYPE_Q3_K, unpack_q3_k, FORM_K },  { LZ_TYPE_Q4_K, unpack_q4_k, FORM_K_MIN },
    { LZ_TYPE_Q5_K, unpack_q5_k, FORM_K_MIN }, { LZ_TYPE_Q6_K, unpack_q6_k, FORM_K },
};

/* Carve TILE_ROWS unpacked rows out of buf. */
static void layout_rows(uint8_t *buf, int64_t n, int64_t nb, row_unpacked u[TILE_ROWS])
{
    for (int r = 0; r < TILE_ROWS; r++) {
        u[r].q = (int8_t *)buf;
        buf += (size_t)n;
        u[r].d = (float *)(void *)buf;
        buf += (size_t)nb * sizeof(float);
        u[r].m = (float *)(void *)buf;
        buf += (size_t)nb * sizeof(float);
        u[r].sc = (int16_t *)(void *)buf;
        buf += (size_t)nb * GROUPS_K * sizeof(int16_t);
        u[r].mn = (int16_t *)(void *)buf;
        buf += (size_t)nb * GROUPS_K * sizeof(int16_t);
    }
}

static int gemm_neon(const gemm_row *row, int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows,
                     const uint8_t *act, size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)
{
    if (n_cols < 2) return 0;   /* one column: vec_dot does as well without unpacking */
    const int k = row->form == FORM_K || row->form == FORM_K_MIN;
    const lz_type at = lz_type_get(row->type)->vec_dot_type;
    act_side A = {
        .act = act, .act_bytes = act_bytes, .block_bytes = lz_row_size(at, k ? LZ_QK_K : LZ_QK),
        .nb = n / (k ? LZ_QK_K : LZ_QK), .n_cols = n_cols, .k_quant = k, .has_sum = row->form == FORM_Q_MIN,
    };
    const size_t tiles = (size_t)((n_cols + TILE_COLS - 1) / TILE_COLS);
    const size_t scales_bytes = tiles * (size_t)A.nb * TILE_COLS * sizeof(float);
    /* per row: n values, d and m, sc and mn (every field 4-byte aligned: n is a multiple of 32) */
    const size_t row_buf = (size_t)n + (size_t)A.nb * (2 * sizeof(float) + 2 * GROUPS_K * sizeof(int16_t));
    uint8_t *buf = malloc(2 * scales_bytes + TILE_ROWS * row_buf);
    if (!buf) return 0;
    A.da = (float *)(void *)buf;
    A.sa = (float *)(void *)(buf + scales_bytes);
    widen_act_scales(&A);
    row_unpacked u[TILE_ROWS];
    layout_rows(buf + 2 * scales_bytes, n, A.nb, u);
    for (int64_t r0 = 0; r0 < n_rows; r0 += TILE_ROWS) {
        const int live_rows = (int)LZ_MIN((int64_t)TILE_ROWS, n_rows - r0);
        const row_unpacked *tile_rows[TILE_ROWS];
        for (int r = 0; r < TILE_ROWS; r++) {
            if (r < live_rows) row->unpack(w + (size_t)(r0 + r) * row_bytes, A.nb, &u[r]);
            tile_rows[r] = &u[LZ_MIN(r, live_rows - 1)];   /* a missing row repeats the last (not stored) */
        }
        for (int64_t c0 = 0; c0 < n_cols; c0 += TILE_COLS)
            run_tile(row->form, tile_rows, live_rows, &A, c0, out + (size_t)r0, out_stride);
    }
    free(buf);
    return 1;
}

static const gemm_row *row_of(lz_type type)
{
    for (size_t i = 0; i < LZ_ARRAY_LEN(g_gemm_rows); i++)
        if (g_gemm_rows[i].type == type) return &g_gemm_rows[i];
    return NULL;
}

/* lz_gemm_fn has no type argument: one entry per type. */
#define GEMM_ENTRY(sfx, T)                                                                                    \
    static int gemm_##sfx(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, const uint8_t *act, \
                          size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)                   \
    {                                                                                                        \
        return gemm_neon(row_of(T), n, w, row_bytes, n_rows, act, act_bytes, n_cols, out, out_stride);        \
    }
GEMM_ENTRY(q8_0, LZ_TYPE_Q8_0)
GEMM_ENTRY(q4_0, LZ_TYPE_Q4_0)
GEMM_ENTRY(q5_0, LZ_TYPE_Q5_0)
GEMM_ENTRY(q4_1, LZ_TYPE_Q4_1)
GEMM_ENTRY(q5_1, LZ_TYPE_Q5_1)
GEMM_ENTRY(q2_k, LZ_TYPE_Q2_K)
GEMM_ENTRY(q3_k, LZ_TYPE_Q3_K)
GEMM_ENTRY(q4_k, LZ_TYPE_Q4_K)
GEMM_ENTRY(q5_k, LZ_TYPE_Q5_K)
GEMM_ENTRY(q6_k, LZ_TYPE_Q6_K)
#undef GEMM_ENTRY

void lz_gemm_fill_neon(lz_kernels *k)
{
    static const struct {
        lz_type type;
        lz_gemm_fn fn;
    } entries[] = {
        { LZ_TYPE_Q8_0, gemm_q8_0 }, { LZ_TYPE_Q4_0, gemm_q4_0 }, { LZ_TYPE_Q5_0, gemm_q5_0 },
        { LZ_TYPE_Q4_1, gemm_q4_1 }, { LZ_TYPE_Q5_1, gemm_q5_1 }, { LZ_TYPE_Q2_K, gemm_q2_k },
        { LZ_TYPE_Q3_K, gemm_q3_k }, { LZ_TYPE_Q4_K, gemm_q4_k }, { LZ_TYPE_Q5_K, gemm_q5_k },
        { LZ_TYPE_Q6_K, gemm_q6_k },
    };
    for (size_t i = 0; i < LZ_ARRAY_LEN(entries); i++) k->gemm[entries[i].type] = entries[i].fn;
}
