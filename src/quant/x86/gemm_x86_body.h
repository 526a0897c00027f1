/*
 * gemm_x86_body.h - register-tiled products of quantized weight rows with
 * several activation rows, bit-identical to quant_ref.c. Included by
 * dot_avx2.c (LZ_GEMM_W 8: 256-bit vectors, maddubs/madd integer sums) and
 * dot_avx512.c (LZ_GEMM_W 16: 512-bit vectors, VNNI vpdpbusd), after
 * dot_x86_body.h, whose block unpackers and LZ_X86_VNNI it reuses (8 lanes
 * with VNNI: the 256-bit vpdpbusd, as tests/test_quant_vnni.c builds it).
 *
 * Layout of the work: vector lane i holds weight row r0 + i, so one vector
 * instruction advances several output rows of one activation column, and
 * results are stored as whole vectors of consecutive rows.
 *  - Weight rows are packed 16 at a time into a panel (the same layout for
 *    every x86 level: an AVX2 vector covers half a panel, an AVX-512 vector
 *    all of it): each block is unpacked to unsigned bytes (Q4_0: 0..15,
 *    Q5_0: 0..31, Q8_0: w + 128, K-quants: 0..63) and transposed so that
 *    the four bytes of elements 4j..4j+3 of the 16 rows lie together; the
 *    per-row scales lie beside them as they are stored in the blocks (f16,
 *    widened exactly in the kernel; K-quant group scales as int8), so that
 *    a panel is hardly larger than the rows it holds: single steps and
 *    lockstep decoding read every weight from memory once per step, and
 *    their speed is the bytes read. Panels are
 *    packed once per matrix (lz_pack_mat) or, for a single call, into
 *    per-thread scratch; either way one panel serves every column.
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
 * turns back into w and handles with |w| and sign(a, w) as dot_x86_body.h
 * does.
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
#define GV_LOAD_H(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))   /* f16, widened exactly */
#define GV_LOAD_S8(p) _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p)))   /* int8, widened */
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
#define GV_LOAD_H(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define GV_LOAD_S8(p) _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p)))
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
#define PANEL LZ_X86_PANEL_ROWS           /* rows of a packed panel (quant_internal.h) */
#define QBYTES (PANEL * 4)                /* one packed quad: 4 bytes per row */
#define VPP (PANEL / GW)                  /* vectors per panel */

INLINE int32_t rd32s(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Software prefetch of the row tile after the current one, a slice per
 * block: the hardware prefetcher follows the four or more interleaved
 * streams of one tile (bytes, scales of each panel) but restarts at every
 * tile, and at a few columns the weights are read faster than it ramps up.
 * A prefetch never faults, so running past the matrix is harmless. The
 * 32-element tiles prefetch into L2 (more lines in flight than L1 takes:
 * 8 columns from memory, 11.6 -> 12.8 GB/s of packed Q8_0, bench_kernels
 * 512 on an Intel Xeon); the K-quant tiles lost speed that way (10.5 -> 9.1)
 * and prefetch into L1.
 *
 * A plan says what one tile prefetches: `len` bytes from p, a slice of
 * `step` bytes (whole lines) per block, worked out once per tile (a 64-bit
 * division per block showed in the profile: 8 columns of Q8_0 at n = 640,
 * in L2, 88-93 -> 101-113 GMAC/s). */
typedef struct {
    const uint8_t *p;
    size_t len, step;
} prefetch_plan;

/* Share `share` of `shares` of the span at `next` (NULL: nothing), spread
 * over nb blocks: the column tiles of a row tile divide the next one among
 * them, so the memory keeps streaming while any of them runs. */
INLINE prefetch_plan prefetch_share(const uint8_t *next, size_t span, int64_t share, int64_t shares, int64_t nb)
{
    prefetch_plan pl = { NULL, 0, 0 };
    const size_t part = ((span + (size_t)shares - 1) / (size_t)shares + 63) & ~(size_t)63;
    const size_t lo = part * (size_t)share;
    if (!next || lo >= span) return pl;
    pl.p = next + lo;
    pl.len = LZ_MIN(part, span - lo);
    pl.step = ((pl.len + (size_t)nb - 1) / (size_t)nb + 63) & ~(size_t)63;
    return pl;
}

INLINE void prefetch_slice(prefetch_plan pl, int64_t b, int to_l2)
{
    const size_t at = (size_t)b * pl.step;
    if (!pl.p || at >= pl.len) return;
    const size_t end = LZ_MIN(at + pl.step, pl.len);
    for (size_t o = at; o < end; o += 64) {
        if (to_l2) _mm_prefetch((const char *)(pl.p + o), _MM_HINT_T1);
        else _mm_prefetch((const char *)(pl.p + o), _MM_HINT_T0);
    }
}

/* Bytes of the panels a tile of RV row vectors reads. */
INLINE size_t tile_span(int RV, size_t panel_bytes) { return (size_t)((RV + VPP - 1) / VPP) * panel_bytes; }

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

/* Per-thread scratch, grown on demand and freed when the thread exits:
 * slot SCRATCH_WORK for a kernel's accumulators and column tables, slot
 * SCRATCH_PANELS for panels packed by the unpacked entries. */
enum { SCRATCH_WORK, SCRATCH_PANELS, SCRATCH_SLOTS };

typedef struct {
    void *p[SCRATCH_SLOTS];
    size_t size[SCRATCH_SLOTS];
} gemm_scratch;

static pthread_key_t g_scratch_key;
static pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *v)
{
    gemm_scratch *s = v;
    if (!s) return;
    for (int i = 0; i < SCRATCH_SLOTS; i++) lz_free_aligned(s->p[i]);
    free(s);
}

static void scratch_key_init(void) { (void)pthread_key_create(&g_scratch_key, scratch_free); }

static void *scratch_get(int slot, size_t size)
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
    if (s->size[slot] < size) {
        lz_free_aligned(s->p[slot]);
        s->p[slot] = lz_malloc_aligned(size);
        s->size[slot] = s->p[slot] ? size : 0;
    }
    return s->p[slot];
}

/* ------------------------------------------------------------ 32-element blocks */

/*
 * Panel of 16 rows, nb blocks (padded to a multiple of 64 bytes, so that
 * the next panel's bytes stay aligned):
 *   u[b][j][row][4]   unsigned bytes of elements 4j..4j+3 (j < 8)
 *   d[b][row]         f16 weight scale
 *   m[b][row]         f16 weight min (Q4_1 / Q5_1 only)
 * 34 bytes per row and block for Q8_0 (its own size), 36 with a min.
 */
static size_t panel32_bytes(int64_t nb, int has_min)
{
    const size_t bytes = (size_t)nb * (8 * QBYTES + (has_min ? 2 : 1) * PANEL * sizeof(uint16_t));
    return (bytes + 63) & ~(size_t)63;
}

INLINE const uint8_t *p32_u(const uint8_t *panel) { return panel; }
INLINE const uint16_t *p32_d(const uint8_t *panel, int64_t nb) { return (const uint16_t *)(panel + (size_t)nb * 8 * QBYTES); }
INLINE const uint16_t *p32_m(const uint8_t *panel, int64_t nb) { return p32_d(panel, nb) + (size_t)nb * PANEL; }

/* Pack rows w[0 .. n) (n <= 16; missing rows are zero) into one panel. */
static void panel32_pack(uint8_t *panel, const uint8_t *w, size_t row_bytes, int n, int64_t nb, b32_layout L)
{
    uint8_t *u = panel;
    uint16_t *d = (uint16_t *)p32_d(panel, nb), *m = (uint16_t *)p32_m(panel, nb);
    for (int row = 0; row < PANEL; row++) {
        for (int64_t b = 0; b < nb; b++) {
            uint8_t ub[32] __attribute__((aligned(32)));
            uint16_t dv = 0, mv = 0;
            if (row < n) {
                const uint8_t *bw = w + (size_t)row * row_bytes + (size_t)b * L.wsize;
                __m256i q = L.unpack(bw);
                if (L.is_signed) q = _mm256_xor_si256(q, _mm256_set1_epi8((char)0x80));   /* w + 128 */
                _mm256_store_si256((__m256i *)ub, q);
                dv = lz_rd16(bw);
                if (L.has_min) mv = lz_rd16(bw + 2);
            } else {
                memset(ub, 0, sizeof(ub));
            }
            for (int j = 0; j < 8; j++) memcpy(u + ((size_t)b * 8 + (size_t)j) * QBYTES + (size_t)row * 4, ub + 4 * j, 4);
            d[(size_t)b * PANEL + row] = dv;
            if (L.has_min) m[(size_t)b * PANEL + row] = mv;
        }
    }
}

/* Register tile: RV row vectors x C columns (int32 sums RV * C registers). */
#define G32_RV 2
#define G32_C (GW == 16 ? 8 : 4)
#define G32_ROWS (G32_RV * GW)

/*
 * Activation tile of G32_C columns (missing columns are zero), per block b
 * at b * ATILE32_BLOCK:
 *   q[j][c][4]   the activation bytes of elements 4j..4j+3 of column c
 *   d[c]         f32 activation scale
 *   s[c]         f32 Q8_1 sum term (0 otherwise)
 *   start[c]     int32 starting sum: -offset * (sum of the block's bytes)
 * so that the kernel reaches every operand from one pointer.
 */
#define ATILE32_BLOCK (8 * G32_C * 4 + 3 * G32_C * 4)

static size_t atile32_bytes(int64_t nb) { return (size_t)nb * ATILE32_BLOCK; }

static void atile32_pack(uint8_t *tile, const uint8_t *act, size_t act_bytes, int n_cols, int64_t nb, b32_layout L)
{
    /* Q8_0 packed as w + 128: the VNNI form subtracts 128 * sum(a); the
     * AVX2 form restores w instead */
    const int offset = L.is_signed ? (GEMM_SIGNED_SPLIT ? 0 : 128) : L.offset;
    for (int64_t b = 0; b < nb; b++) {
        uint8_t *t = tile + (size_t)b * ATILE32_BLOCK;
        float *d = (float *)(t + 8 * G32_C * 4), *sv = d + G32_C;
        int32_t *start = (int32_t *)(sv + G32_C);
        for (int c = 0; c < G32_C; c++) {
            if (c >= n_cols) {
                for (int j = 0; j < 8; j++) memset(t + ((size_t)j * G32_C + c) * 4, 0, 4);
                d[c] = sv[c] = 0.0f;
                start[c] = 0;
                continue;
            }
            const uint8_t *ba = act + (size_t)c * act_bytes + (size_t)b * L.asize;
            for (int j = 0; j < 8; j++) memcpy(t + ((size_t)j * G32_C + c) * 4, ba + L.aqs + 4 * j, 4);
            d[c] = h2f(lz_rd16(ba));
            sv[c] = L.has_min ? h2f(lz_rd16(ba + 2)) : 0.0f;
            int32_t sum = 0;
            if (offset)
                for (int k = 0; k < LZ_QK; k++) sum += (int8_t)ba[L.aqs + k];
            start[c] = -offset * sum;
        }
    }
}

/* Row vector v (GW rows) of the panels starting at `panels`. */
INLINE const uint8_t *rowvec_panel(const uint8_t *panels, size_t panel_bytes, int v)
{
    return panels + (size_t)(v / VPP) * panel_bytes;
}

/*
 * RV row vectors x C columns, blocks 0..nb-1: the int32 sums of a block
 * stay in registers, the 8 float accumulators of every (row vector,
 * column) in acc[8][RV][C] (memory; each is touched once per block).
 */
INLINE void tile32(const uint8_t *panels, size_t panel_bytes, int RV, const uint8_t *tile, int C, int64_t nb,
                   b32_layout L, gvf *acc, float *out, size_t out_stride, int n_rows, prefetch_plan next)
{
    const uint8_t *pu[4];
    const uint16_t *pd[4], *pm[4];
    for (int rv = 0; rv < RV; rv++) {
        const uint8_t *p = rowvec_panel(panels, panel_bytes, rv);
        const int half = (rv % VPP) * GW;   /* first lane of this vector within its panel */
        pu[rv] = p32_u(p) + (size_t)half * 4;
        pd[rv] = p32_d(p, nb) + half;
        pm[rv] = p32_m(p, nb) + half;
    }
    for (int i = 0; i < 8 * RV * C; i++) GV_STORE_F(acc + i, GV_ZERO_F());
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *t = tile + (size_t)b * ATILE32_BLOCK;
        const float *td = (const float *)(t + 8 * G32_C * 4), *ts = td + G32_C;
        const int32_t *tstart = (const int32_t *)(ts + G32_C);
        prefetch_slice(next, b, 1);
        gvi s[4][8];
#pragma GCC unroll 8
        for (int c = 0; c < C; c++) {
            const gvi start = GV_SET1_I(tstart[c]);
#pragma GCC unroll 4
            for (int rv = 0; rv < RV; rv++) s[rv][c] = start;
        }
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            gvi u[4];
#if GEMM_SIGNED_SPLIT
            gvi sw[4];
#endif
#pragma GCC unroll 4
            for (int rv = 0; rv < RV; rv++) {
                u[rv] = GV_LOAD_I(pu[rv] + ((size_t)b * 8 + j) * QBYTES);
#if GEMM_SIGNED_SPLIT
                if (L.is_signed) {   /* packed w + 128: back to w, then |w| */
                    sw[rv] = _mm256_xor_si256(u[rv], _mm256_set1_epi8((char)0x80));
                    u[rv] = _mm256_abs_epi8(sw[rv]);
                }
#endif
            }
#pragma GCC unroll 8
            for (int c = 0; c < C; c++) {
                const gvi a = GV_SET1_I(rd32s(t + ((size_t)j * G32_C + c) * 4));
#pragma GCC unroll 4
                for (int rv = 0; rv < RV; rv++) {
#if GEMM_SIGNED_SPLIT
                    if (L.is_signed) {
                        s[rv][c] = GV_DOT_U8(s[rv][c], u[rv], _mm256_sign_epi8(a, sw[rv]));
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
            const gvf dw = GV_LOAD_H(pd[rv] + (size_t)b * PANEL);
            const gvf mw = L.has_min ? GV_LOAD_H(pm[rv] + (size_t)b * PANEL) : GV_ZERO_F();
#pragma GCC unroll 8
            for (int c = 0; c < C; c++) {
                gvf v = GV_MUL_F(GV_MUL_F(dw, GV_SET1_F(td[c])), GV_CVT(s[rv][c]));
                if (L.has_min) v = GV_ADD_F(v, GV_MUL_F(mw, GV_SET1_F(ts[c])));
                gvf *a8 = accb + rv * C + c;
                GV_STORE_F(a8, GV_ADD_F(GV_LOAD_F(a8), v));
            }
        }
    }
    for (int rv = 0; rv < RV; rv++) {
        const int nr = n_rows - rv * GW;
        if (nr <= 0) break;
        for (int c = 0; c < C; c++)
            gv_store_rows(out + (size_t)c * out_stride + (size_t)rv * GW, gv_reduce8(acc + rv * C + c, (size_t)RV * C),
                          nr);
    }
}

static void tile32_cols(const uint8_t *panels, size_t panel_bytes, int RV, const uint8_t *tile, int C, int64_t nb,
                        b32_layout L, gvf *acc, float *out, size_t out_stride, int n_rows, prefetch_plan next)
{
#define T32(RVc, Cc) tile32(panels, panel_bytes, RVc, tile, Cc, nb, L, acc, out, out_stride, n_rows, next)
#if GW == 16
#define T32C(RVc)                \
    switch (C) {                 \
    case 1: T32(RVc, 1); break;  \
    case 2: T32(RVc, 2); break;  \
    case 3: T32(RVc, 3); break;  \
    case 4: T32(RVc, 4); break;  \
    case 5: T32(RVc, 5); break;  \
    case 6: T32(RVc, 6); break;  \
    case 7: T32(RVc, 7); break;  \
    default: T32(RVc, 8); break; \
    }
#else
#define T32C(RVc)                \
    switch (C) {                 \
    case 1: T32(RVc, 1); break;  \
    case 2: T32(RVc, 2); break;  \
    case 3: T32(RVc, 3); break;  \
    default: T32(RVc, 4); break; \
    }
#endif
    switch (RV) {
    case 1: T32C(1) break;
#if G32_RV >= 4
    case 3: T32C(3) break;
    case 4: T32C(4) break;
#endif
    default: T32C(2) break;
    }
#undef T32
#undef T32C
}

/* Rows [0, n_rows) of the panels at `panels` (consecutive, panel_bytes
 * apart) times n_cols activation rows: the activations are packed into
 * column tiles once, then each register tile of rows runs over them. */
INLINE int gemm32_panels(int64_t n, const uint8_t *panels, size_t panel_bytes, int64_t n_rows, const uint8_t *act,
                         size_t act_bytes, int64_t n_cols, float *out, size_t out_stride, b32_layout L)
{
    const int64_t nb = n / LZ_QK;
    const int64_t n_tiles = (n_cols + G32_C - 1) / G32_C;
    const size_t tbytes = atile32_bytes(nb), accbytes = (size_t)8 * G32_RV * G32_C * sizeof(gvf);
    uint8_t *buf = scratch_get(SCRATCH_WORK, accbytes + (size_t)n_tiles * tbytes);
    if (!buf) return 0;
    gvf *acc = (gvf *)buf;
    uint8_t *tiles = buf + accbytes;
    for (int64_t t = 0; t < n_tiles; t++)
        atile32_pack(tiles + (size_t)t * tbytes, act + (size_t)t * G32_C * act_bytes, act_bytes,
                     (int)LZ_MIN((int64_t)G32_C, n_cols - t * G32_C), nb, L);
    for (int64_t r0 = 0; r0 < n_rows; r0 += G32_ROWS) {
        const int rows = (int)LZ_MIN((int64_t)G32_ROWS, n_rows - r0);
        const int RV = (rows + GW - 1) / GW;
        const uint8_t *p = panels + (size_t)(r0 / PANEL) * panel_bytes;
        const size_t span = tile_span(RV, panel_bytes);
        const uint8_t *next = r0 + G32_ROWS < n_rows ? p + span : NULL;
        for (int64_t t = 0; t < n_tiles; t++)
            tile32_cols(p, panel_bytes, RV, tiles + (size_t)t * tbytes, (int)LZ_MIN((int64_t)G32_C, n_cols - t * G32_C),
                        nb, L, acc, out + (size_t)t * G32_C * out_stride + (size_t)r0, out_stride, rows,
                        prefetch_share(next, span, t, n_tiles, nb));
    }
    return 1;
}

/* ------------------------------------------------------------ K-quants */

/*
 * Panel of 16 rows, nb super-blocks (a multiple of 64 bytes):
 *   u[b][q][row][4]    unsigned bytes of elements 4q..4q+3 (q < 64)
 *   sc[b][g][row]      int8 scale of element group g (8 groups of 32 or 16 of
 *                      16; every K-quant's group scales fit: 4 to 8 bits)
 *   coef[b][k][row]    int16 pair (bsums coefficients 2k, 2k+1), k < 8
 *   d[b][row], dmin[b][row]   f16, as stored in the super-block
 */
static size_t panelk_bytes(int64_t nb) { return (size_t)nb * (64 * QBYTES + 16 * PANEL + 8 * PANEL * 4 + 2 * PANEL * 2); }

typedef struct {
    const uint8_t *u;
    const int8_t *sc;
    const int32_t *coef;
    const uint16_t *d, *dmin;
} panelk_view;

INLINE panelk_view panelk_at(const uint8_t *panel, int64_t nb)
{
    panelk_view v;
    v.u = panel;
    v.sc = (const int8_t *)(v.u + (size_t)nb * 64 * QBYTES);
    v.coef = (const int32_t *)(v.sc + (size_t)nb * 16 * PANEL);
    v.d = (const uint16_t *)(v.coef + (size_t)nb * 8 * PANEL);
    v.dmin = v.d + (size_t)nb * PANEL;
    return v;
}

/* Element groups of each K-quant: 16 groups of 16 elements for Q2_K, Q3_K,
 * Q6_K (scales 0..15), 8 groups of 32 for Q4_K, Q5_K. */
INLINE int k_groups(k_layout L) { return L.unpack == unpack_q4_k || L.unpack == unpack_q5_k ? 8 : 16; }

/* Unpack a super-block: 256 unsigned bytes in element order, the group
 * scales and the 16 bsums coefficients (the kblock form, in memory). */
static void k_unpack_block(const uint8_t *bw, k_layout L, uint8_t u[256], int32_t sc[16], int16_t coef[16])
{
    kblock kb;
    L.unpack(bw, &kb);
    for (int g = 0; g < 8; g++) _mm256_storeu_si256((__m256i *)(u + 32 * g), kb.u[g]);
    _mm256_storeu_si256((__m256i *)coef, kb.coef);
    /* kb.sc[g] holds int16 scales per maddubs pair of u[g]: one scale for
     * 32-element groups, two (low / high 128-bit half) for 16-element ones */
    const int G = k_groups(L);
    for (int g = 0; g < 8; g++) {
        int16_t s16[16];
        _mm256_storeu_si256((__m256i *)s16, kb.sc[g]);
        if (G == 8) {
            sc[g] = s16[0];
        } else {
            sc[2 * g] = s16[0];
            sc[2 * g + 1] = s16[8];
        }
    }
}

static void panelk_pack(uint8_t *panel, const uint8_t *w, size_t row_bytes, int n, int64_t nb, k_layout L)
{
    const int G = k_groups(L);
    panelk_view v = panelk_at(panel, nb);
    uint8_t *u = panel;
    int8_t *sc = (int8_t *)v.sc;
    int32_t *coef = (int32_t *)v.coef;
    uint16_t *d = (uint16_t *)v.d, *dmin = (uint16_t *)v.dmin;
    for (int row = 0; row < PANEL; row++) {
        for (int64_t b = 0; b < nb; b++) {
            uint8_t ub[256];
            int32_t s[16] = { 0 };
            int16_t cf[16] = { 0 };
            uint16_t dv = 0, dm = 0;
            if (row < n) {
                const uint8_t *bw = w + (size_t)row * row_bytes + (size_t)b * L.wsize;
                k_unpack_block(bw, L, ub, s, cf);
                dv = lz_rd16(bw + L.d_off);
                if (L.mode == KMODE_MIN) dm = lz_rd16(bw + L.dmin_off);
            } else {
                memset(ub, 0, sizeof(ub));
            }
            for (int q = 0; q < 64; q++) memcpy(u + ((size_t)b * 64 + q) * QBYTES + (size_t)row * 4, ub + 4 * q, 4);
            for (int g = 0; g < 16; g++) sc[((size_t)b * 16 + g) * PANEL + row] = (int8_t)(g < G ? s[g] : 0);
            for (int k = 0; k < 8; k++) {
                const uint32_t pair = (uint16_t)cf[2 * k] | ((uint32_t)(uint16_t)cf[2 * k + 1] << 16);
                coef[((size_t)b * 8 + k) * PANEL + row] = (int32_t)pair;
            }
            d[(size_t)b * PANEL + row] = dv;
            dmin[(size_t)b * PANEL + row] = dm;
        }
    }
}

INLINE void tilek(const uint8_t *panels, size_t panel_bytes, int RV, const uint8_t *act, size_t act_bytes, int64_t c0,
                  int C, int64_t nb, k_layout L, gvf *acc, float *out, size_t out_stride, int n_rows,
                  prefetch_plan next)
{
    const int G = k_groups(L);
    const int QG = 64 / G;   /* quads per group */
    const uint8_t *pu[2];
    const int8_t *psc[2];
    const int32_t *pcf[2];
    const uint16_t *pd[2], *pdm[2];
    for (int rv = 0; rv < RV; rv++) {
        const panelk_view v = panelk_at(rowvec_panel(panels, panel_bytes, rv), nb);
        const int half = (rv % VPP) * GW;
        pu[rv] = v.u + (size_t)half * 4;
        psc[rv] = v.sc + half;
        pcf[rv] = v.coef + half;
        pd[rv] = v.d + half;
        pdm[rv] = v.dmin + half;
    }
    for (int i = 0; i < 8 * RV * C; i++) GV_STORE_F(acc + i, GV_ZERO_F());
    for (int64_t b = 0; b < nb; b++) {
        const size_t ab = (size_t)b * Q8K_SIZE;
        prefetch_slice(next, b, 0);
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
                for (int rv = 0; rv < RV; rv++) u[rv] = GV_LOAD_I(pu[rv] + ((size_t)b * 64 + q) * QBYTES);
#pragma GCC unroll 4
                for (int c = 0; c < C; c++) {
                    const gvi a = GV_SET1_I(rd32s(act + (size_t)(c0 + c) * act_bytes + ab + Q8K_QS + 4 * q));
#pragma GCC unroll 2
                    for (int rv = 0; rv < RV; rv++) t[rv][c] = GV_DOT_U8(t[rv][c], u[rv], a);
                }
            }
#pragma GCC unroll 2
            for (int rv = 0; rv < RV; rv++) {
                const gvi sc = GV_LOAD_S8(psc[rv] + ((size_t)b * 16 + g) * PANEL);
#pragma GCC unroll 4
                for (int c = 0; c < C; c++) isum[rv][c] = GV_ADD_I(isum[rv][c], GV_MULLO_I(t[rv][c], sc));
            }
        }
        /* sum_k coef_k * bsums_k, two int16 pairs per step */
        for (int k = 0; k < 8; k++) {
            gvi cf[2];
#pragma GCC unroll 2
            for (int rv = 0; rv < RV; rv++) cf[rv] = GV_LOAD_I(pcf[rv] + ((size_t)b * 8 + k) * PANEL);
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
            const gvf dw = GV_LOAD_H(pd[rv] + (size_t)b * PANEL);
            const gvf dmin = GV_LOAD_H(pdm[rv] + (size_t)b * PANEL);
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
            gv_store_rows(out + (size_t)(c0 + c) * out_stride + (size_t)rv * GW, gv_reduce8(acc + rv * C + c, (size_t)RV * C),
                          nr);
    }
}

#define GK_RV 2
#define GK_C 4
#define GK_ROWS (GK_RV * GW)

static void tilek_cols(const uint8_t *panels, size_t panel_bytes, int RV, const uint8_t *act, size_t act_bytes,
                       int64_t c0, int C, int64_t nb, k_layout L, gvf *acc, float *out, size_t out_stride, int n_rows,
                       prefetch_plan next)
{
#define TK(RVc, Cc) tilek(panels, panel_bytes, RVc, act, act_bytes, c0, Cc, nb, L, acc, out, out_stride, n_rows, next)
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

INLINE int gemmk_panels(int64_t n, const uint8_t *panels, size_t panel_bytes, int64_t n_rows, const uint8_t *act,
                        size_t act_bytes, int64_t n_cols, float *out, size_t out_stride, k_layout L)
{
    const int64_t nb = n / LZ_QK_K;
    gvf *acc = scratch_get(SCRATCH_WORK, (size_t)8 * GK_RV * GK_C * sizeof(gvf));
    if (!acc) return 0;
    for (int64_t r0 = 0; r0 < n_rows; r0 += GK_ROWS) {
        const int rows = (int)LZ_MIN((int64_t)GK_ROWS, n_rows - r0);
        const int RV = (rows + GW - 1) / GW;
        const uint8_t *p = panels + (size_t)(r0 / PANEL) * panel_bytes;
        const size_t span = tile_span(RV, panel_bytes);
        const uint8_t *next = r0 + GK_ROWS < n_rows ? p + span : NULL;
        const int64_t n_tiles = (n_cols + GK_C - 1) / GK_C;
        for (int64_t c0 = 0; c0 < n_cols; c0 += GK_C)
            tilek_cols(p, panel_bytes, RV, act, act_bytes, c0, (int)LZ_MIN((int64_t)GK_C, n_cols - c0), nb, L, acc,
                       out + (size_t)r0, out_stride, rows, prefetch_share(next, span, c0 / GK_C, n_tiles, nb));
    }
    return 1;
}

/* ------------------------------------------------------------ entries */

/*
 * Per type: the panel size, the packer, the product over packed panels,
 * and the product of unpacked rows, which packs a few panels at a time into
 * per-thread scratch (for one-off products; a matrix used many times is
 * packed once, lz_pack_mat). The packing is the same at every x86 level,
 * so a matrix packed by one level serves the others.
 */
#define PACK_ROWS_SCRATCH 64   /* rows packed at a time by the unpacked entry */

INLINE void pack_rows(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, uint8_t *dst, int is_k,
                      b32_layout L32, k_layout LK)
{
    const size_t pb = is_k ? panelk_bytes(n / LZ_QK_K) : panel32_bytes(n / LZ_QK, L32.has_min);
    for (int64_t r = 0; r < n_rows; r += PANEL) {
        const int rows = (int)LZ_MIN((int64_t)PANEL, n_rows - r);
        uint8_t *panel = dst + (size_t)(r / PANEL) * pb;
        if (is_k) panelk_pack(panel, w + (size_t)r * row_bytes, row_bytes, rows, n / LZ_QK_K, LK);
        else panel32_pack(panel, w + (size_t)r * row_bytes, row_bytes, rows, n / LZ_QK, L32);
    }
}

INLINE int gemm_panels(int64_t n, const uint8_t *panels, int64_t n_rows, const uint8_t *act, size_t act_bytes,
                       int64_t n_cols, float *out, size_t out_stride, int is_k, b32_layout L32, k_layout LK)
{
    if (is_k) return gemmk_panels(n, panels, panelk_bytes(n / LZ_QK_K), n_rows, act, act_bytes, n_cols, out, out_stride, LK);
    return gemm32_panels(n, panels, panel32_bytes(n / LZ_QK, L32.has_min), n_rows, act, act_bytes, n_cols, out, out_stride, L32);
}

INLINE int gemm_unpacked(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, const uint8_t *act,
                         size_t act_bytes, int64_t n_cols, float *out, size_t out_stride, int is_k, b32_layout L32,
                         k_layout LK)
{
    if (n_cols < 2) return 0;   /* one column: vec_dot streams faster than a panel is packed */
    const size_t pb = is_k ? panelk_bytes(n / LZ_QK_K) : panel32_bytes(n / LZ_QK, L32.has_min);
    uint8_t *panels = scratch_get(SCRATCH_PANELS, pb * (PACK_ROWS_SCRATCH / PANEL));
    if (!panels) return 0;
    for (int64_t r = 0; r < n_rows; r += PACK_ROWS_SCRATCH) {
        const int64_t nr = LZ_MIN((int64_t)PACK_ROWS_SCRATCH, n_rows - r);
        pack_rows(n, w + (size_t)r * row_bytes, row_bytes, nr, panels, is_k, L32, LK);
        if (!gemm_panels(n, panels, nr, act, act_bytes, n_cols, out + r, out_stride, is_k, L32, LK)) return 0;
    }
    return 1;
}

#define GEMM_ENTRIES(sfx, is_k, L32, LK)                                                                          \
    static size_t panel_bytes_##sfx(int64_t n)                                                                  \
    {                                                                                                           \
        return is_k ? panelk_bytes(n / LZ_QK_K) : panel32_bytes(n / LZ_QK, L32.has_min);                                     \
    }                                                                                                           \
    static void pack_##sfx(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, uint8_t *dst)         \
    {                                                                                                           \
        pack_rows(n, w, row_bytes, n_rows, dst, is_k, L32, LK);                                                 \
    }                                                                                                           \
    static int gemm_packed_##sfx(int64_t n, const uint8_t *panels, int64_t n_rows, const uint8_t *act,          \
                                 size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)               \
    {                                                                                                           \
        return gemm_panels(n, panels, n_rows, act, act_bytes, n_cols, out, out_stride, is_k, L32, LK);          \
    }                                                                                                           \
    static int gemm_##sfx(int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows, const uint8_t *act,    \
                          size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)                      \
    {                                                                                                           \
        return gemm_unpacked(n, w, row_bytes, n_rows, act, act_bytes, n_cols, out, out_stride, is_k, L32, LK);  \
    }

GEMM_ENTRIES(q8_0, 0, L_Q8_0, K_Q4)
GEMM_ENTRIES(q4_0, 0, L_Q4_0, K_Q4)
GEMM_ENTRIES(q5_0, 0, L_Q5_0, K_Q4)
GEMM_ENTRIES(q4_1, 0, L_Q4_1, K_Q4)
GEMM_ENTRIES(q5_1, 0, L_Q5_1, K_Q4)
GEMM_ENTRIES(q2_k, 1, L_Q8_0, K_Q2)
GEMM_ENTRIES(q3_k, 1, L_Q8_0, K_Q3)
GEMM_ENTRIES(q4_k, 1, L_Q8_0, K_Q4)
GEMM_ENTRIES(q5_k, 1, L_Q8_0, K_Q5)
GEMM_ENTRIES(q6_k, 1, L_Q8_0, K_Q6)
#undef GEMM_ENTRIES

/* The quantized types' entries of this level's kernel table (AVX2 also
 * sets the float types; dot_avx512.c has 512-bit ones of its own). */
static void x86_fill_quant(lz_kernels *k)
{
#define ROW(T, sfx) { T, vec_dot_##sfx, gemm_##sfx, { panel_bytes_##sfx, pack_##sfx, gemm_packed_##sfx } }
    static const struct {
        lz_type type;
        lz_vec_dot_fn dot;
        lz_gemm_fn gemm;
        lz_packed_kernels packed;
    } rows[] = {
        ROW(LZ_TYPE_Q8_0, q8_0), ROW(LZ_TYPE_Q4_0, q4_0), ROW(LZ_TYPE_Q5_0, q5_0), ROW(LZ_TYPE_Q4_1, q4_1),
        ROW(LZ_TYPE_Q5_1, q5_1), ROW(LZ_TYPE_Q2_K, q2_k), ROW(LZ_TYPE_Q3_K, q3_k), ROW(LZ_TYPE_Q4_K, q4_k),
        ROW(LZ_TYPE_Q5_K, q5_k), ROW(LZ_TYPE_Q6_K, q6_k),
    };
#undef ROW
    k->pack_format = LZ_PACK_X86;
    k->panel_rows = PANEL;
    for (size_t i = 0; i < LZ_ARRAY_LEN(rows); i++) {
        k->vec_dot[rows[i].type] = rows[i].dot;
        k->gemm[rows[i].type] = rows[i].gemm;
        k->packed[rows[i].type] = rows[i].packed;
    }
#if !LZ_X86_VNNI
    k->vec_dot[LZ_TYPE_F32] = vec_dot_f32;
    k->vec_dot[LZ_TYPE_F16] = vec_dot_f16;
    k->vec_dot[LZ_TYPE_BF16] = vec_dot_bf16;
#endif
}
