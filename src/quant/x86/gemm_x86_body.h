/*
 * gemm_x86_body.h - register-tiled products of quantized weight rows with
 * several activation rows, bit-identical to quant_ref.c. Included by
 * dot_avx2.c (LZ_GEMM_W 8: 256-bit vectors, maddubs/madd integer sums) and
 * dot_avx512.c (LZ_GEMM_W 16: 512-bit vectors, VNNI vpdpbusd), after
 * dot_x86_body.h, whose block unpackers it reuses.
 *
 * Layout of the work: vector lane i holds weight row r0 + i, so one vector
 * instruction advances LZ_GEMM_W output rows of one activation column, and
 * results are stored as whole vectors of consecutive rows.
 *  - Weight rows are first packed, a group of LZ_GEMM_W rows at a time
 *    ("panel"): each block is unpacked to unsigned bytes (Q4_0: 0..15,
 *    Q5_0: 0..31, Q8_0: w + 128, K-quants: 0..63) and transposed so that
 *    the four bytes of elements 4j..4j+3 of all the rows form one vector.
 *    The per-row scales are widened to f32 (or int32) vectors beside them.
 *    A panel is packed once per call and serves every activation column.
 *  - For each column, the four activation bytes of elements 4j..4j+3 are
 *    broadcast to every lane, so vpdpbusd (or maddubs + madd) adds the
 *    exact product of those four elements to each row's int32 sum.
 *  - Offsets (Q4_0's -8, Q5_0's -16, Q8_0's +128 shift) come off through the
 *    activation sums, as exact integer arithmetic: the int32 sums start at
 *    -offset * (sum of the block's activations). K-quant offsets and mins go
 *    through the Q8_K group sums (bsums), as in dot_x86_body.h.
 *  - Then, lane by lane, the reference's float operations on the block
 *    (quant_ref.c): v = (d_w * d_a) * (float)isum [+ m_w * s_a] (or the
 *    K-quant form), added to acc[b % 8] of that (row, column); the row
 *    result is the halving reduction of the 8 accumulators. Exactly the
 *    reference's operations in the reference's order, per output element,
 *    so every tile shape, ISA, thread count and batch size gives the same
 *    bits.
 *
 * Integer ranges: vpdpbusd multiplies u8 by s8 and adds four products to
 * an int32 without saturation; the AVX2 form (maddubs then madd) saturates
 * a pair sum at 32767, so it needs 2 * 127 * max(u) <= 32767, true for every
 * unpacked weight below 129 - all but Q8_0's w + 128, which AVX2 therefore
 * handles with |w| and sign(a, w) as dot_x86_body.h does.
 */
#ifndef LZ_GEMM_W
#error "define LZ_GEMM_W (8 or 16) before including gemm_x86_body.h"
#endif

#include <pthread.h>

/* ------------------------------------------------------------ vectors */

#if LZ_GEMM_W == 16
typedef __m512i gvi;
typedef __m512 gvf;
#define GV_ZERO_I() _mm512_setzero_si512()
#define GV_ZERO_F() _mm512_setzero_ps()
#define GV_LOAD_I(p) _mm512_load_si512((const void *)(p))
#define GV_LOAD_F(p) _mm512_load_ps((const float *)(p))
#define GV_STORE_F(p, v) _mm512_store_ps((float *)(p), (v))
#define GV_SET1_I(x) _mm512_set1_epi32(x)
#define GV_SET1_F(x) _mm512_set1_ps(x)
#define GV_ADD_I(a, b) _mm512_add_epi32((a), (b))
#define GV_SUB_I(a, b) _mm512_sub_epi32((a), (b))
#define GV_MULLO_I(a, b) _mm512_mullo_epi32((a), (b))
#define GV_SLLI_I(a, s) _mm512_slli_epi32((a), (s))
#define GV_CVT(a) _mm512_cvtepi32_ps(a)
#define GV_ADD_F(a, b) _mm512_add_ps((a), (b))
#define GV_SUB_F(a, b) _mm512_sub_ps((a), (b))
#define GV_MUL_F(a, b) _mm512_mul_ps((a), (b))
/* acc + sum of four u8 (weights) x s8 (activation) products per lane */
#define GV_DOT_U8(acc, u, a) _mm512_dpbusd_epi32((acc), (u), (a))
/* acc + sum of two int16 x int16 products per lane */
#define GV_DOT_I16(acc, x, y) _mm512_dpwssd_epi32((acc), (x), (y))
#define GEMM_SIGNED_SPLIT 0
INLINE void gv_store_rows(float *out, gvf v, int n)
{
    if (n >= 16) {
        _mm512_storeu_ps(out, v);
    } else {
        float t[16];
        _mm512_storeu_ps(t, v);
        for (int i = 0; i < n; i++) out[i] = t[i];
    }
}
#elif LZ_GEMM_W == 8
typedef __m256i gvi;
typedef __m256 gvf;
#define GV_ZERO_I() _mm256_setzero_si256()
#define GV_ZERO_F() _mm256_setzero_ps()
#define GV_LOAD_I(p) _mm256_load_si256((const __m256i *)(p))
#define GV_LOAD_F(p) _mm256_load_ps((const float *)(p))
#define GV_STORE_F(p, v) _mm256_store_ps((float *)(p), (v))
#define GV_SET1_I(x) _mm256_set1_epi32(x)
#define GV_SET1_F(x) _mm256_set1_ps(x)
#define GV_ADD_I(a, b) _mm256_add_epi32((a), (b))
#define GV_SUB_I(a, b) _mm256_sub_epi32((a), (b))
#define GV_MULLO_I(a, b) _mm256_mullo_epi32((a), (b))
#define GV_SLLI_I(a, s) _mm256_slli_epi32((a), (s))
#define GV_CVT(a) _mm256_cvtepi32_ps(a)
#define GV_ADD_F(a, b) _mm256_add_ps((a), (b))
#define GV_SUB_F(a, b) _mm256_sub_ps((a), (b))
#define GV_MUL_F(a, b) _mm256_mul_ps((a), (b))
#if LZ_X86_VNNI   /* 256-bit VNNI (tests/test_quant_vnni.c emulates it on AVX2) */
#define GV_DOT_U8(acc, u, a) _mm256_dpbusd_epi32((acc), (u), (a))
#define GV_DOT_I16(acc, x, y) _mm256_dpwssd_epi32((acc), (x), (y))
#define GEMM_SIGNED_SPLIT 0
#else
#define GV_DOT_U8(acc, u, a) \
    _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((u), (a)), _mm256_set1_epi16(1)))
#define GV_DOT_I16(acc, x, y) _mm256_add_epi32((acc), _mm256_madd_epi16((x), (y)))
/* Q8_0: u = |w|, and the activation takes w's sign (dot_x86_body.h) */
#define GEMM_SIGNED_SPLIT 1
#endif
INLINE void gv_store_rows(float *out, gvf v, int n)
{
    if (n >= 8) {
        _mm256_storeu_ps(out, v);
    } else {
        float t[8];
        _mm256_storeu_ps(t, v);
        for (int i = 0; i < n; i++) out[i] = t[i];
    }
}
#else
#error "LZ_GEMM_W must be 8 or 16"
#endif

#define GW LZ_GEMM_W
#define GQUAD_BYTES (GW * 4)            /* one packed vector: 4 bytes per row */

INLINE int32_t rd32s(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The halving reduction of acc[0..7] (quant.h), lane-wise. */
INLINE gvf gv_reduce8(const gvf *acc, size_t stride)
{
    gvf a[8];
    for (int l = 0; l < 8; l++) a[l] = GV_LOAD_F(acc + (size_t)l * stride);
    for (int h = 4; h >= 1; h /= 2)
        for (int i = 0; i < h; i++) a[i] = GV_ADD_F(a[i], a[i + h]);
    return a[0];
}

/* ------------------------------------------------------------ scratch */

/* Per-thread scratch, grown on demand and freed when the thread exits. */
static pthread_key_t g_scratch_key;
static pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;

typedef struct {
    void *p;
    size_t size;
} gemm_scratch;

static void scratch_free(void *v)
{
    gemm_scratch *s = v;
    if (s) lz_free_aligned(s->p);
    free(s);
}

static void scratch_key_init(void) { (void)pthread_key_create(&g_scratch_key, scratch_free); }

static void *scratch_get(size_t size)
{
    if (pthread_once(&g_scratch_once, scratch_key_init) != 0) return NULL;
    gemm_scratch *s = pthread_getspecific(g_scratch_key);
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s || pthread_setspecific(g_scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    if (s->size < size) {
        lz_free_aligned(s->p);
        s->p = lz_malloc_aligned(size);
        s->size = s->p ? size : 0;
    }
    return s->p;
}

/* ------------------------------------------------------------ 32-element blocks */

/*
 * Packed panel of GW rows, nb blocks, in one buffer:
 *   u[b][j][lane][4]   unsigned bytes of elements 4j..4j+3 (j < 8)
 *   s[b][j][lane][4]   (AVX2 Q8_0 only) the signed weights, for sign(a, w)
 *   d[b][lane]         f32 weight scale
 *   m[b][lane]         f32 weight min (Q4_1 / Q5_1)
 */
typedef struct {
    uint8_t *u, *s;
    float *d, *m;
} panel32;

static size_t panel32_bytes(int64_t nb) { return (size_t)nb * (2 * 8 * GQUAD_BYTES + 2 * GW * sizeof(float)); }

static void panel32_map(panel32 *p, uint8_t *base, int64_t nb)
{
    p->u = base;
    p->s = p->u + (size_t)nb * 8 * GQUAD_BYTES;
    p->d = (float *)(p->s + (size_t)nb * 8 * GQUAD_BYTES);
    p->m = p->d + (size_t)nb * GW;
}

/* Unpack and transpose rows r0 .. r0+n-1 (n <= GW; missing rows are zero). */
static void panel32_pack(panel32 *p, const uint8_t *w, size_t row_bytes, int n, int64_t nb, b32_layout L)
{
    const int split = L.is_signed && GEMM_SIGNED_SPLIT;
    for (int lane = 0; lane < GW; lane++) {
        const uint8_t *row = w + (size_t)lane * row_bytes;
        for (int64_t b = 0; b < nb; b++) {
            uint8_t ub[32] __attribute__((aligned(32))), sb[32] __attribute__((aligned(32)));
            float d = 0.0f, m = 0.0f;
            if (lane < n) {
                const uint8_t *bw = row + (size_t)b * L.wsize;
                const __m256i q = L.unpack(bw);
                if (!L.is_signed) _mm256_store_si256((__m256i *)ub, q);
                else if (split) {
                    _mm256_store_si256((__m256i *)ub, _mm256_abs_epi8(q));
                    _mm256_store_si256((__m256i *)sb, q);
                } else {
                    _mm256_store_si256((__m256i *)ub, _mm256_xor_si256(q, _mm256_set1_epi8((char)0x80)));
                }
                d = h2f(lz_rd16(bw));
                if (L.has_min) m = h2f(lz_rd16(bw + 2));
            } else {
                memset(ub, 0, sizeof(ub));
                memset(sb, 0, sizeof(sb));
            }
            for (int j = 0; j < 8; j++) {
                const size_t at = ((size_t)b * 8 + (size_t)j) * GQUAD_BYTES + (size_t)lane * 4;
                memcpy(p->u + at, ub + 4 * j, 4);
                if (split) memcpy(p->s + at, sb + 4 * j, 4);
            }
            p->d[(size_t)b * GW + lane] = d;
            p->m[(size_t)b * GW + lane] = m;
        }
    }
}

/* Per column and block: d_a, s_a (Q8_1) and the offset's starting sum. */
typedef struct {
    float *d, *s;
    int32_t *start;
} acts32;

static void acts32_prepare(acts32 *A, const uint8_t *act, size_t act_bytes, int64_t n_cols, int64_t nb, b32_layout L)
{
    /* Q8_0 on the VNNI form: u = w + 128, so subtract 128 * sum(a) */
    const int offset = L.is_signed ? (GEMM_SIGNED_SPLIT ? 0 : 128) : L.offset;
    for (int64_t c = 0; c < n_cols; c++)
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *ba = act + (size_t)c * act_bytes + (size_t)b * L.asize;
            const size_t i = (size_t)c * nb + b;
            A->d[i] = h2f(lz_rd16(ba));
            A->s[i] = L.has_min ? h2f(lz_rd16(ba + 2)) : 0.0f;
            int32_t sum = 0;
            if (offset)
                for (int j = 0; j < LZ_QK; j++) sum += (int8_t)ba[L.aqs + j];
            A->start[i] = -offset * sum;
        }
}

/*
 * RV panels (RV * GW rows) x C columns, blocks 0..nb-1: the int32 sums of
 * a block stay in registers, the 8 float accumulators of every (row group,
 * column) in acc[8][RV][C] (memory; each is touched once per block).
 */
INLINE void tile32(const panel32 *P, int RV, const uint8_t *act, size_t act_bytes, const acts32 *A, int64_t c0,
                   int C, int64_t nb, b32_layout L, gvf *acc, float *out, size_t out_stride, int64_t r0, int n_rows)
{
#if GEMM_SIGNED_SPLIT
    const int split = L.is_signed;
#endif
    for (int i = 0; i < 8 * RV * C; i++) GV_STORE_F(acc + i, GV_ZERO_F());
    for (int64_t b = 0; b < nb; b++) {
        gvi s[4][8];
#pragma GCC unroll 8
        for (int c = 0; c < C; c++) {
            const gvi start = GV_SET1_I(A->start[(size_t)(c0 + c) * nb + b]);
#pragma GCC unroll 4
            for (int rv = 0; rv < RV; rv++) s[rv][c] = start;
        }
        const size_t aq = (size_t)b * L.asize + L.aqs;
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            gvi u[4];
#if GEMM_SIGNED_SPLIT
            gvi sg[4];
#endif
#pragma GCC unroll 4
            for (int rv = 0; rv < RV; rv++) {
                u[rv] = GV_LOAD_I(P[rv].u + ((size_t)b * 8 + j) * GQUAD_BYTES);
#if GEMM_SIGNED_SPLIT
                if (split) sg[rv] = GV_LOAD_I(P[rv].s + ((size_t)b * 8 + j) * GQUAD_BYTES);
#endif
            }
#pragma GCC unroll 8
            for (int c = 0; c < C; c++) {
                const gvi a = GV_SET1_I(rd32s(act + (size_t)(c0 + c) * act_bytes + aq + 4 * j));
#pragma GCC unroll 4
                for (int rv = 0; rv < RV; rv++) {
#if GEMM_SIGNED_SPLIT
                    if (split) {
                        s[rv][c] = GV_DOT_U8(s[rv][c], u[rv], _mm256_sign_epi8(a, sg[rv]));
                        continue;
                    }
#endif
                    s[rv][c] = GV_DOT_U8(s[rv][c], u[rv], a);
                }
            }
        }
        gvf *accb = acc + (size_t)(b % 8) * RV * C;
#pragma GCC unroll 4
        for (int rv = 0; rv < RV; rv++) {
            const gvf dw = GV_LOAD_F(P[rv].d + (size_t)b * GW);
            const gvf mw = L.has_min ? GV_LOAD_F(P[rv].m + (size_t)b * GW) : GV_ZERO_F();
#pragma GCC unroll 8
            for (int c = 0; c < C; c++) {
                const size_t ai = (size_t)(c0 + c) * nb + b;
                gvf v = GV_MUL_F(GV_MUL_F(dw, GV_SET1_F(A->d[ai])), GV_CVT(s[rv][c]));
                if (L.has_min) v = GV_ADD_F(v, GV_MUL_F(mw, GV_SET1_F(A->s[ai])));
                gvf *a8 = accb + rv * C + c;
                GV_STORE_F(a8, GV_ADD_F(GV_LOAD_F(a8), v));
            }
        }
    }
    for (int rv = 0; rv < RV; rv++) {
        const int nr = n_rows - rv * GW;
        if (nr <= 0) break;
        for (int c = 0; c < C; c++)
            gv_store_rows(out + (size_t)(c0 + c) * out_stride + (size_t)(r0 + rv * GW),
                          gv_reduce8(acc + rv * C + c, (size_t)RV * C), nr);
    }
}

#define G32_RV 2
#define G32_C (GW == 16 ? 8 : 4)

/* One column tile of up to G32_C columns: a compile-time width per case. */
static void tile32_cols(const panel32 *P, int RV, const uint8_t *act, size_t act_bytes, const acts32 *A, int64_t c0,
                        int C, int64_t nb, b32_layout L, gvf *acc, float *out, size_t out_stride, int64_t r0,
                        int n_rows)
{
#define T32(RVc, Cc) tile32(P, RVc, act, act_bytes, A, c0, Cc, nb, L, acc, out, out_stride, r0, n_rows)
#define T32C(RVc)                                      \
    switch (C) {                                        \
    case 1: T32(RVc, 1); break;                         \
    case 2: T32(RVc, 2); break;                         \
    case 3: T32(RVc, 3); break;                         \
    case 4: T32(RVc, 4); break;                         \
    GEMM_C8_CASES(RVc)                                  \
    }
#if GW == 16
#define GEMM_C8_CASES(RVc)  \
    case 5: T32(RVc, 5); break; \
    case 6: T32(RVc, 6); break; \
    case 7: T32(RVc, 7); break; \
    default: T32(RVc, 8); break;
#else
#define GEMM_C8_CASES(RVc) default: T32(RVc, 4); break;
#endif
    if (RV == 2) T32C(2) else T32C(1)
#undef T32
#undef T32C
#undef GEMM_C8_CASES
}

INLINE int gemm32(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, const uint8_t *act,
                  size_t act_bytes, int64_t n_cols, float *out, size_t out_stride, b32_layout L)
{
    const int64_t nb = n / LZ_QK;
    const size_t pbytes = panel32_bytes(nb);
    const size_t abytes = (size_t)n_cols * nb * 3 * sizeof(float);
    const size_t accbytes = (size_t)8 * G32_RV * G32_C * sizeof(gvf);
    uint8_t *buf = scratch_get(G32_RV * pbytes + abytes + accbytes + 64);
    if (!buf) return 0;
    panel32 P[G32_RV];
    for (int rv = 0; rv < G32_RV; rv++) panel32_map(&P[rv], buf + rv * pbytes, nb);
    acts32 A;
    A.d = (float *)(buf + G32_RV * pbytes);
    A.s = A.d + (size_t)n_cols * nb;
    A.start = (int32_t *)(A.s + (size_t)n_cols * nb);
    gvf *acc = (gvf *)(((uintptr_t)(A.start + (size_t)n_cols * nb) + 63) & ~(uintptr_t)63);
    acts32_prepare(&A, act, act_bytes, n_cols, nb, L);
    for (int64_t r0 = 0; r0 < n_rows; r0 += G32_RV * GW) {
        const int rows = (int)LZ_MIN((int64_t)G32_RV * GW, n_rows - r0);
        const int RV = (rows + GW - 1) / GW;
        for (int rv = 0; rv < RV; rv++)
            panel32_pack(&P[rv], w + (size_t)(r0 + rv * GW) * row_bytes, row_bytes, LZ_MIN(GW, rows - rv * GW), nb, L);
        for (int64_t c0 = 0; c0 < n_cols; c0 += G32_C)
            tile32_cols(P, RV, act, act_bytes, &A, c0, (int)LZ_MIN((int64_t)G32_C, n_cols - c0), nb, L, acc, out,
                        out_stride, r0, rows);
    }
    return 1;
}

/* ------------------------------------------------------------ K-quants */

/*
 * Packed panel of GW rows, nb super-blocks:
 *   u[b][q][lane][4]   unsigned bytes of elements 4q..4q+3 (q < 64)
 *   sc[b][g][lane]     int32 scale of element group g (8 groups of 32 or 16 of 16)
 *   coef[b][k][lane]   int16 pair (bsums coefficients 2k, 2k+1), k < 8
 *   d[b][lane], dmin[b][lane]   f32
 */
typedef struct {
    uint8_t *u;
    int32_t *sc, *coef;
    float *d, *dmin;
} panelk;

static size_t panelk_bytes(int64_t nb) { return (size_t)nb * (64 * GQUAD_BYTES + (16 + 8 + 2) * GW * 4); }

static void panelk_map(panelk *p, uint8_t *base, int64_t nb)
{
    p->u = base;
    p->sc = (int32_t *)(p->u + (size_t)nb * 64 * GQUAD_BYTES);
    p->coef = p->sc + (size_t)nb * 16 * GW;
    p->d = (float *)(p->coef + (size_t)nb * 8 * GW);
    p->dmin = p->d + (size_t)nb * GW;
}

/* Element groups of each K-quant: 16 groups of 16 elements for Q2_K, Q3_K,
 * Q6_K (scales 0..15), 8 groups of 32 for Q4_K, Q5_K. */
INLINE int k_groups(k_layout L) { return L.unpack == unpack_q4_k || L.unpack == unpack_q5_k ? 8 : 16; }

/* Unpack a super-block: 256 unsigned bytes in element order, the group
 * scales and the 16 bsums coefficients (the same as the kblock form). */
static void k_unpack_scalar(const uint8_t *bw, k_layout L, uint8_t u[256], int32_t sc[16], int16_t coef[16])
{
    kblock kb;
    L.unpack(bw, &kb);
    for (int g = 0; g < 8; g++) _mm256_storeu_si256((__m256i *)(u + 32 * g), kb.u[g]);
    int16_t c16[16];
    _mm256_storeu_si256((__m256i *)c16, kb.coef);
    for (int k = 0; k < 16; k++) coef[k] = c16[k];
    /* scales: broadcast pairs in kb.sc[g]; read them back per group */
    const int G = k_groups(L);
    for (int g = 0; g < 8; g++) {
        int16_t s16[16];
        _mm256_storeu_si256((__m256i *)s16, kb.sc[g]);
        if (G == 8) sc[g] = s16[0];
        else {
            sc[2 * g] = s16[0];       /* first 16 elements of the 32 */
            sc[2 * g + 1] = s16[8];   /* next 16 (the high 128-bit half) */
        }
    }
}

static void panelk_pack(panelk *p, const uint8_t *w, size_t row_bytes, int n, int64_t nb, k_layout L)
{
    const int G = k_groups(L);
    for (int lane = 0; lane < GW; lane++) {
        const uint8_t *row = w + (size_t)lane * row_bytes;
        for (int64_t b = 0; b < nb; b++) {
            uint8_t u[256];
            int32_t sc[16] = { 0 };
            int16_t coef[16] = { 0 };
            float d = 0.0f, dmin = 0.0f;
            if (lane < n) {
                const uint8_t *bw = row + (size_t)b * L.wsize;
                k_unpack_scalar(bw, L, u, sc, coef);
                d = h2f(lz_rd16(bw + L.d_off));
                if (L.mode == KMODE_MIN) dmin = h2f(lz_rd16(bw + L.dmin_off));
            } else {
                memset(u, 0, sizeof(u));
            }
            for (int q = 0; q < 64; q++) memcpy(p->u + ((size_t)b * 64 + q) * GQUAD_BYTES + (size_t)lane * 4, u + 4 * q, 4);
            for (int g = 0; g < G; g++) p->sc[((size_t)b * 16 + g) * GW + lane] = sc[g];
            for (int k = 0; k < 8; k++) {
                const uint32_t pair = (uint16_t)coef[2 * k] | ((uint32_t)(uint16_t)coef[2 * k + 1] << 16);
                p->coef[((size_t)b * 8 + k) * GW + lane] = (int32_t)pair;
            }
            p->d[(size_t)b * GW + lane] = d;
            p->dmin[(size_t)b * GW + lane] = dmin;
        }
    }
}

INLINE void tilek(const panelk *P, int RV, const uint8_t *act, size_t act_bytes, int64_t c0, int C, int64_t nb,
                  k_layout L, gvf *acc, float *out, size_t out_stride, int64_t r0, int n_rows)
{
    const int G = k_groups(L);
    const int QG = 64 / G;   /* quads per group */
    for (int i = 0; i < 8 * RV * C; i++) GV_STORE_F(acc + i, GV_ZERO_F());
    for (int64_t b = 0; b < nb; b++) {
        const size_t ab = (size_t)b * Q8K_SIZE;
        gvi isum[2][4], msum[2][4];
#pragma GCC unroll 4
        for (int c = 0; c < C; c++)
#pragma GCC unroll 2
            for (int rv = 0; rv < RV; rv++) isum[rv][c] = msum[rv][c] = GV_ZERO_I();
        for (int g = 0; g < G; g++) {
            gvi t[2][4];
#pragma GCC unroll 4
            for (int c = 0; c < C; c++)
#pragma GCC unroll 2
                for (int rv = 0; rv < RV; rv++) t[rv][c] = GV_ZERO_I();
            for (int qq = 0; qq < QG; qq++) {
                const int q = g * QG + qq;
                gvi u[2];
#pragma GCC unroll 2
                for (int rv = 0; rv < RV; rv++) u[rv] = GV_LOAD_I(P[rv].u + ((size_t)b * 64 + q) * GQUAD_BYTES);
#pragma GCC unroll 4
                for (int c = 0; c < C; c++) {
                    const gvi a = GV_SET1_I(rd32s(act + (size_t)(c0 + c) * act_bytes + ab + Q8K_QS + 4 * q));
#pragma GCC unroll 2
                    for (int rv = 0; rv < RV; rv++) t[rv][c] = GV_DOT_U8(t[rv][c], u[rv], a);
                }
            }
#pragma GCC unroll 2
            for (int rv = 0; rv < RV; rv++) {
                const gvi sc = GV_LOAD_I(P[rv].sc + ((size_t)b * 16 + g) * GW);
#pragma GCC unroll 4
                for (int c = 0; c < C; c++) isum[rv][c] = GV_ADD_I(isum[rv][c], GV_MULLO_I(t[rv][c], sc));
            }
        }
        /* sum_k coef_k * bsums_k, two int16 pairs per step */
        for (int k = 0; k < 8; k++) {
            gvi cf[2];
#pragma GCC unroll 2
            for (int rv = 0; rv < RV; rv++) cf[rv] = GV_LOAD_I(P[rv].coef + ((size_t)b * 8 + k) * GW);
#pragma GCC unroll 4
            for (int c = 0; c < C; c++) {
                const gvi bs = GV_SET1_I(rd32s(act + (size_t)(c0 + c) * act_bytes + ab + Q8K_BSUMS + 4 * k));
#pragma GCC unroll 2
                for (int rv = 0; rv < RV; rv++) msum[rv][c] = GV_DOT_I16(msum[rv][c], cf[rv], bs);
            }
        }
        gvf *accb = acc + (size_t)(b % 8) * RV * C;
#pragma GCC unroll 2
        for (int rv = 0; rv < RV; rv++) {
            const gvf dw = GV_LOAD_F(P[rv].d + (size_t)b * GW);
            const gvf dmin = GV_LOAD_F(P[rv].dmin + (size_t)b * GW);
#pragma GCC unroll 4
            for (int c = 0; c < C; c++) {
                float daf;
                memcpy(&daf, act + (size_t)(c0 + c) * act_bytes + ab, sizeof(float));
                const gvf da = GV_SET1_F(daf);
                gvf v;
                if (L.mode == KMODE_OFFSET) {
                    const gvi is = GV_SUB_I(isum[rv][c], GV_SLLI_I(msum[rv][c], L.shift));
                    v = GV_MUL_F(GV_MUL_F(da, dw), GV_CVT(is));
                } else {
                    v = GV_SUB_F(GV_MUL_F(GV_MUL_F(da, dw), GV_CVT(isum[rv][c])),
                                 GV_MUL_F(GV_MUL_F(da, dmin), GV_CVT(msum[rv][c])));
                }
                gvf *a8 = accb + rv * C + c;
                GV_STORE_F(a8, GV_ADD_F(GV_LOAD_F(a8), v));
            }
        }
    }
    for (int rv = 0; rv < RV; rv++) {
        const int nr = n_rows - rv * GW;
        if (nr <= 0) break;
        for (int c = 0; c < C; c++)
            gv_store_rows(out + (size_t)(c0 + c) * out_stride + (size_t)(r0 + rv * GW),
                          gv_reduce8(acc + rv * C + c, (size_t)RV * C), nr);
    }
}

#define GK_RV 2
#define GK_C 4

static void tilek_cols(const panelk *P, int RV, const uint8_t *act, size_t act_bytes, int64_t c0, int C, int64_t nb,
                       k_layout L, gvf *acc, float *out, size_t out_stride, int64_t r0, int n_rows)
{
#define TK(RVc, Cc) tilek(P, RVc, act, act_bytes, c0, Cc, nb, L, acc, out, out_stride, r0, n_rows)
#define TKC(RVc)                \
    switch (C) {                 \
    case 1: TK(RVc, 1); break;   \
    case 2: TK(RVc, 2); break;   \
    case 3: TK(RVc, 3); break;   \
    default: TK(RVc, 4); break;  \
    }
    if (RV == 2) TKC(2) else TKC(1)
#undef TK
#undef TKC
}

INLINE int gemmk(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, const uint8_t *act,
                 size_t act_bytes, int64_t n_cols, float *out, size_t out_stride, k_layout L)
{
    const int64_t nb = n / LZ_QK_K;
    const size_t pbytes = panelk_bytes(nb);
    const size_t accbytes = (size_t)8 * GK_RV * GK_C * sizeof(gvf);
    uint8_t *buf = scratch_get(GK_RV * pbytes + accbytes + 64);
    if (!buf) return 0;
    panelk P[GK_RV];
    for (int rv = 0; rv < GK_RV; rv++) panelk_map(&P[rv], buf + rv * pbytes, nb);
    gvf *acc = (gvf *)(((uintptr_t)(buf + GK_RV * pbytes) + 63) & ~(uintptr_t)63);
    for (int64_t r0 = 0; r0 < n_rows; r0 += GK_RV * GW) {
        const int rows = (int)LZ_MIN((int64_t)GK_RV * GW, n_rows - r0);
        const int RV = (rows + GW - 1) / GW;
        for (int rv = 0; rv < RV; rv++)
            panelk_pack(&P[rv], w + (size_t)(r0 + rv * GW) * row_bytes, row_bytes, LZ_MIN(GW, rows - rv * GW), nb, L);
        for (int64_t c0 = 0; c0 < n_cols; c0 += GK_C)
            tilek_cols(P, RV, act, act_bytes, c0, (int)LZ_MIN((int64_t)GK_C, n_cols - c0), nb, L, acc, out, out_stride,
                       r0, rows);
    }
    return 1;
}

/* ------------------------------------------------------------ table */

/* One tiled product per type (kernel table entries); a single column is
 * declined: vec_dot streams it faster than a panel can be packed. */
#define GEMM_ENTRY(name, driver, layout)                                                                   \
    static int name(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, const uint8_t *act,      \
                    size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)                      \
    {                                                                                                      \
        return n_cols >= 2 && driver(n, w, row_bytes, n_rows, act, act_bytes, n_cols, out, out_stride, layout); \
    }
GEMM_ENTRY(gemm_q8_0, gemm32, L_Q8_0)
GEMM_ENTRY(gemm_q4_0, gemm32, L_Q4_0)
GEMM_ENTRY(gemm_q5_0, gemm32, L_Q5_0)
GEMM_ENTRY(gemm_q4_1, gemm32, L_Q4_1)
GEMM_ENTRY(gemm_q5_1, gemm32, L_Q5_1)
GEMM_ENTRY(gemm_q2_k, gemmk, K_Q2)
GEMM_ENTRY(gemm_q3_k, gemmk, K_Q3)
GEMM_ENTRY(gemm_q4_k, gemmk, K_Q4)
GEMM_ENTRY(gemm_q5_k, gemmk, K_Q5)
GEMM_ENTRY(gemm_q6_k, gemmk, K_Q6)
#undef GEMM_ENTRY

/* The quantized types' entries of this level's kernel table (AVX2 also
 * sets the float types; dot_avx512.c has 512-bit ones of its own). */
static void x86_fill_quant(lz_kernels *k)
{
    static const struct {
        lz_type type;
        lz_vec_dot_fn dot;
        lz_gemm_fn gemm;
    } rows[] = {
        { LZ_TYPE_Q8_0, vec_dot_q8_0, gemm_q8_0 }, { LZ_TYPE_Q4_0, vec_dot_q4_0, gemm_q4_0 },
        { LZ_TYPE_Q5_0, vec_dot_q5_0, gemm_q5_0 }, { LZ_TYPE_Q4_1, vec_dot_q4_1, gemm_q4_1 },
        { LZ_TYPE_Q5_1, vec_dot_q5_1, gemm_q5_1 }, { LZ_TYPE_Q2_K, vec_dot_q2_k, gemm_q2_k },
        { LZ_TYPE_Q3_K, vec_dot_q3_k, gemm_q3_k }, { LZ_TYPE_Q4_K, vec_dot_q4_k, gemm_q4_k },
        { LZ_TYPE_Q5_K, vec_dot_q5_k, gemm_q5_k }, { LZ_TYPE_Q6_K, vec_dot_q6_k, gemm_q6_k },
    };
    for (size_t i = 0; i < LZ_ARRAY_LEN(rows); i++) {
        k->vec_dot[rows[i].type] = rows[i].dot;
        k->gemm[rows[i].type] = rows[i].gemm;
    }
#if !LZ_X86_VNNI
    k->vec_dot[LZ_TYPE_F32] = vec_dot_f32;
    k->vec_dot[LZ_TYPE_F16] = vec_dot_f16;
    k->vec_dot[LZ_TYPE_BF16] = vec_dot_bf16;
#endif
}
