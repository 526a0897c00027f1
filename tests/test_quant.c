/*
 * test_quant.c - tensor types, the scalar reference dot products, and every
 * ISA kernel against the scalar reference, bit for bit (memcmp).
 *
 * The reference itself is checked against a double-precision sum of the
 * dequantized values (a tolerance check: it proves the integer formulas read
 * the blocks right). The kernels are then compared with the reference with
 * memcmp only, on random rows of several lengths including all-zero blocks,
 * extreme and subnormal fp16 scales and the largest quant values; lz_gemm is
 * compared with vec_dot for every (row, column).
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/f16.h"
#include "common/lz_common.h"
#include "quant/quant.h"
#include "quant/kernels.h"
#include "quant/blocks.h"

/* ------------------------------------------------------------------ data */

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    uint64_t z = (g_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float rnd_unit(void) { return (float)(rnd() >> 40) * (1.0f / 16777216.0f); } /* [0, 1) */

static float rnd_normalish(void) /* sum of uniforms: roughly N(0, 1) */
{
    float s = 0;
    for (int i = 0; i < 4; i++) s += rnd_unit();
    return (s - 2.0f) * 1.7f;
}

/* Weight scale patterns, cycled over the blocks of a row. */
enum { SC_TYPICAL, SC_RANDOM, SC_SUBNORMAL, SC_LARGEST, SC_ZERO, SC_COUNT };

static uint16_t pick_f16(int mode)
{
    switch (mode) {
    case SC_TYPICAL: return lz_f32_to_f16((0.5f + rnd_unit()) * 0.01f * (rnd() & 1 ? 1.0f : -1.0f));
    case SC_RANDOM: {
        uint16_t h = (uint16_t)rnd();
        if ((h & 0x7c00) == 0x7c00) h ^= 0x4000;   /* finite */
        return h;
    }
    case SC_SUBNORMAL: return (uint16_t)((rnd() & 0x3ff) | 1 | (rnd() & 0x8000));
    case SC_LARGEST: return rnd() & 1 ? 0x7bff : 0xfbff;
    default: return 0;
    }
}

/* Quant byte patterns of a block. */
enum { QB_RANDOM, QB_ZERO, QB_ALL_ONES, QB_0x80, QB_0x7F, QB_COUNT };

/* Offsets of the fp16 scale fields of each block type. */
static int f16_fields(lz_type t, int off[2])
{
    switch (t) {
    case LZ_TYPE_Q4_0: case LZ_TYPE_Q5_0: case LZ_TYPE_Q8_0: off[0] = 0; return 1;
    case LZ_TYPE_Q4_1: case LZ_TYPE_Q5_1: case LZ_TYPE_Q4_K: case LZ_TYPE_Q5_K: off[0] = 0; off[1] = 2; return 2;
    case LZ_TYPE_Q2_K: off[0] = 80; off[1] = 82; return 2;
    case LZ_TYPE_Q3_K: off[0] = 108; return 1;
    case LZ_TYPE_Q6_K: off[0] = 208; return 1;
    default: return 0;
    }
}

/* One weight row of `type`, n elements; `variant` selects the pattern mix. */
static void make_weight_row(lz_type type, int64_t n, uint8_t *row, int variant)
{
    const lz_type_traits *tr = lz_type_get(type);
    if (type == LZ_TYPE_F32 || type == LZ_TYPE_F16 || type == LZ_TYPE_BF16) {
        for (int64_t i = 0; i < n; i++) {
            float v = rnd_normalish() * (variant % 3 == 2 ? 100.0f : 1.0f);
            if (variant % 5 == 4 && i % 7 == 0) v = 0.0f;
            if (type == LZ_TYPE_F32) memcpy(row + 4 * i, &v, 4);
            else if (type == LZ_TYPE_F16) lz_wr16(row + 2 * i, variant % 4 == 3 ? pick_f16((int)(i % SC_COUNT)) : lz_f32_to_f16(v));
            else lz_wr16(row + 2 * i, lz_f32_to_bf16(v));
        }
        return;
    }
    const int64_t nb = n / tr->block_size;
    int off[2];
    const int nf = f16_fields(type, off);
    for (int64_t b = 0; b < nb; b++) {
        uint8_t *blk = row + b * tr->type_size;
        const int qmode = variant == 0 ? QB_RANDOM : (int)((b + variant) % QB_COUNT);
        const int smode = variant == 0 ? SC_TYPICAL : (int)((b * 3 + variant) % SC_COUNT);
        for (int i = 0; i < tr->type_size; i++) {
            switch (qmode) {
            case QB_ZERO: blk[i] = 0; break;
            case QB_ALL_ONES: blk[i] = 0xff; break;
            case QB_0x80: blk[i] = 0x80; break;
            case QB_0x7F: blk[i] = 0x7f; break;
            default: blk[i] = (uint8_t)rnd(); break;
            }
        }
        if (qmode == QB_ZERO) continue;   /* an all-zero block, scales included */
        for (int f = 0; f < nf; f++) lz_wr16(blk + off[f], pick_f16(f == 1 && smode == SC_TYPICAL ? SC_TYPICAL : smode));
    }
}

/* An activation row (f32, then quantized to the partner type). */
static void make_act_row(lz_type act_type, int64_t n, float *x, uint8_t *dst, int variant)
{
    for (int64_t i = 0; i < n; i++) {
        float v = rnd_normalish();
        if (variant % 4 == 1 && (i / 32) % 3 == 0) v = 0.0f;           /* zero blocks */
        if (variant % 4 == 2) v *= (i / 256) % 2 ? 1e4f : 1e-3f;       /* mixed magnitudes */
        if (variant % 4 == 3 && i % 32 == 5) v = 127.0f;               /* ties after scaling */
        x[i] = v;
    }
    lz_quantize_act_row(act_type, x, dst, n);
}

static const lz_type g_weight_types[] = {
    LZ_TYPE_F32, LZ_TYPE_F16, LZ_TYPE_BF16, LZ_TYPE_Q8_0, LZ_TYPE_Q4_0, LZ_TYPE_Q4_1,
    LZ_TYPE_Q5_0, LZ_TYPE_Q5_1, LZ_TYPE_Q2_K, LZ_TYPE_Q3_K, LZ_TYPE_Q4_K, LZ_TYPE_Q5_K, LZ_TYPE_Q6_K,
};

static const int64_t g_len_float[] = { 1, 31, 33, 256, 640, 1000, 4096 };
static const int64_t g_len_small[] = { 32, 256, 512, 640, 672, 2048 };
static const int64_t g_len_k[] = { 256, 512, 1024, 2048, 2304, 4096 };

static const int64_t *lengths(lz_type t, size_t *count)
{
    const int bs = lz_type_get(t)->block_size;
    if (bs == 1) { *count = LZ_ARRAY_LEN(g_len_float); return g_len_float; }
    if (bs == LZ_QK) { *count = LZ_ARRAY_LEN(g_len_small); return g_len_small; }
    *count = LZ_ARRAY_LEN(g_len_k);
    return g_len_k;
}

/* ------------------------------------------------------------------ traits */

static void test_traits(void **state)
{
    (void)state;
    static const struct { lz_type t; const char *name; int bs, ts; } want[] = {
        { LZ_TYPE_F32, "F32", 1, 4 }, { LZ_TYPE_F16, "F16", 1, 2 }, { LZ_TYPE_BF16, "BF16", 1, 2 },
        { LZ_TYPE_Q4_0, "Q4_0", 32, 18 }, { LZ_TYPE_Q4_1, "Q4_1", 32, 20 }, { LZ_TYPE_Q5_0, "Q5_0", 32, 22 },
        { LZ_TYPE_Q5_1, "Q5_1", 32, 24 }, { LZ_TYPE_Q8_0, "Q8_0", 32, 34 }, { LZ_TYPE_Q8_1, "Q8_1", 32, 36 },
        { LZ_TYPE_Q2_K, "Q2_K", 256, 84 }, { LZ_TYPE_Q3_K, "Q3_K", 256, 110 }, { LZ_TYPE_Q4_K, "Q4_K", 256, 144 },
        { LZ_TYPE_Q5_K, "Q5_K", 256, 176 }, { LZ_TYPE_Q6_K, "Q6_K", 256, 210 }, { LZ_TYPE_Q8_K, "Q8_K", 256, 292 },
    };
    for (size_t i = 0; i < LZ_ARRAY_LEN(want); i++) {
        const lz_type_traits *tr = lz_type_get(want[i].t);
        assert_non_null(tr);
        assert_string_equal(tr->name, want[i].name);
        assert_string_equal(lz_type_name(want[i].t), want[i].name);
        assert_int_equal(tr->block_size, want[i].bs);
        assert_int_equal(tr->type_size, want[i].ts);
        assert_int_equal(lz_row_size(want[i].t, 4 * 256), (size_t)(4 * 256 / want[i].bs * want[i].ts));
    }
    assert_int_equal(lz_type_get(LZ_TYPE_Q4_0)->vec_dot_type, LZ_TYPE_Q8_0);
    assert_int_equal(lz_type_get(LZ_TYPE_Q5_0)->vec_dot_type, LZ_TYPE_Q8_0);
    assert_int_equal(lz_type_get(LZ_TYPE_Q8_0)->vec_dot_type, LZ_TYPE_Q8_0);
    assert_int_equal(lz_type_get(LZ_TYPE_Q4_1)->vec_dot_type, LZ_TYPE_Q8_1);
    assert_int_equal(lz_type_get(LZ_TYPE_Q5_1)->vec_dot_type, LZ_TYPE_Q8_1);
    assert_int_equal(lz_type_get(LZ_TYPE_Q6_K)->vec_dot_type, LZ_TYPE_Q8_K);
    assert_int_equal(lz_type_get(LZ_TYPE_F16)->vec_dot_type, LZ_TYPE_F32);
    assert_false(lz_type_get(LZ_TYPE_Q8_K)->is_weight_type);
    assert_false(lz_type_get(LZ_TYPE_Q8_1)->is_weight_type);
    assert_null(lz_type_get(4));
    assert_null(lz_type_get(20));
    assert_null(lz_type_get(1000));
    assert_string_equal(lz_type_name(20), "IQ4_NL");
    assert_string_equal(lz_type_name(99), "type 99");
    printf("traits: 15 known types, names and row sizes checked\n");
}

/* -------------------------------------------------- activation quantizers */

static const lz_isa g_isas[] = { LZ_ISA_AVX2, LZ_ISA_AVX512, LZ_ISA_NEON };

/* Inputs that probe every rounding decision of the quantizers: exact
 * halves after scaling, ties of the largest |x| with either sign, zeros of
 * both signs, NaN, infinities, subnormals, huge and tiny scales. */
static void make_quant_input(float *x, int n, int variant)
{
    switch (variant % 8) {
    case 0: for (int i = 0; i < n; i++) x[i] = rnd_normalish(); break;
    case 1: /* amax 127: id = 1, so k + 0.5 are exact ties */
        for (int i = 0; i < n; i++) x[i] = (float)((int)((uint32_t)rnd() % 255) - 127) + (((uint32_t)rnd() & 1) ? 0.5f : 0.0f);
        x[0] = (variant & 8) ? -127.0f : 127.0f;
        break;
    case 2: /* the largest |x| appears with both signs */
        for (int i = 0; i < n; i++) x[i] = rnd_normalish();
        x[n / 3] = 9.0f; x[n / 2] = -9.0f; x[n - 1] = 9.0f;
        if (variant & 8) { x[n / 3] = -9.0f; x[n / 2] = 9.0f; }
        break;
    case 3: for (int i = 0; i < n; i++) x[i] = ((uint32_t)rnd() & 1) ? -0.0f : 0.0f; break;
    case 4: /* NaN and infinities among ordinary values */
        for (int i = 0; i < n; i++) x[i] = rnd_normalish();
        x[(uint32_t)rnd() % n] = NAN; x[(uint32_t)rnd() % n] = -NAN;
        if (variant & 8) x[(uint32_t)rnd() % n] = INFINITY; else x[(uint32_t)rnd() % n] = -INFINITY;
        break;
    case 5: for (int i = 0; i < n; i++) x[i] = rnd_normalish() * 1e-40f; break;   /* subnormal */
    case 6: for (int i = 0; i < n; i++) x[i] = rnd_normalish() * ((variant & 8) ? 3e38f : 1e-30f); break;
    default: /* one large value, the rest tiny: most round to 0 or +-1 */
        for (int i = 0; i < n; i++) x[i] = rnd_normalish() * 1e-3f;
        x[(uint32_t)rnd() % n] = 1000.0f;
        break;
    }
}

static void test_act_quant_isa(void **state)
{
    (void)state;
    static const lz_type acts[] = { LZ_TYPE_Q8_0, LZ_TYPE_Q8_1, LZ_TYPE_Q8_K };
    float x[1024];
    uint8_t want[1200], got[1200];
    for (size_t li = 0; li < LZ_ARRAY_LEN(g_isas); li++) {
        if (!lz_cpu_isa_available(g_isas[li])) continue;
        long rows = 0;
        for (size_t ai = 0; ai < LZ_ARRAY_LEN(acts); ai++)
            for (int v = 0; v < 400; v++) {
                make_quant_input(x, 1024, v);
                const size_t bytes = lz_row_size(acts[ai], 1024);
                memset(want, 0xAA, sizeof(want));
                memset(got, 0x55, sizeof(got));
                lz_quantize_act_row(acts[ai], x, want, 1024);
                lz_quantize_act_row_isa(acts[ai], g_isas[li], x, got, 1024);
                if (memcmp(want, got, bytes) != 0)
                    fail_msg("%s quantizer %s differs from the reference (input variant %d)", lz_isa_name(g_isas[li]),
                             lz_type_name(acts[ai]), v);
                rows++;
            }
        printf("%s activation quantizers: %ld rows byte-identical to the reference\n", lz_isa_name(g_isas[li]), rows);
    }
}

static void test_act_quant_rounding(void **state)
{
    (void)state;
    float x[256];
    /* Q8_0: amax 127 gives d = 1, id = 1: q = round half away from zero. */
    for (int i = 0; i < 32; i++) x[i] = 0.0f;
    x[0] = 127.0f; x[1] = 2.5f; x[2] = -2.5f; x[3] = 0.5f; x[4] = -0.5f; x[5] = 3.49f; x[6] = -127.0f;
    lz_block_q8_0 b0;
    lz_quantize_act_row(LZ_TYPE_Q8_0, x, &b0, 32);
    assert_int_equal(lz_f16_to_f32(b0.d) == 1.0f, 1);
    const int want0[7] = { 127, 3, -3, 1, -1, 3, -127 };
    for (int i = 0; i < 7; i++) assert_int_equal(b0.qs[i], want0[i]);

    /* Q8_1: s = f16(sum * d). */
    lz_block_q8_1 b1;
    lz_quantize_act_row(LZ_TYPE_Q8_1, x, &b1, 32);
    assert_true(lz_f16_to_f32(b1.s) == 3.0f);   /* 127+3-3+1-1+3-127 */

    /* Q8_K: max is the signed largest value (127 here): iscale = -127 / max
     * = -1, d = 1 / iscale = -1, ties to even. */
    for (int i = 0; i < 256; i++) x[i] = 0.0f;
    x[0] = 127.0f; x[1] = 2.5f; x[2] = -2.5f; x[3] = 0.5f; x[4] = 1.5f; x[17] = 3.0f;
    lz_block_q8_k bk;
    lz_quantize_act_row(LZ_TYPE_Q8_K, x, &bk, 256);
    assert_true(bk.d == -1.0f);
    const int wantk[5] = { -127, -2, 2, 0, -2 };
    for (int i = 0; i < 5; i++) assert_int_equal(bk.qs[i], wantk[i]);
    assert_int_equal(bk.bsums[0], -127 - 2 + 2 + 0 - 2);
    assert_int_equal(bk.bsums[1], -3);

    /* All-zero blocks: zero scale, zero values. */
    memset(x, 0, sizeof(x));
    lz_quantize_act_row(LZ_TYPE_Q8_K, x, &bk, 256);
    assert_true(bk.d == 0.0f);
    lz_quantize_act_row(LZ_TYPE_Q8_0, x, &b0, 32);
    assert_int_equal(b0.d, 0);
    for (int i = 0; i < 32; i++) assert_int_equal(b0.qs[i], 0);

    /* Quantized activations stay in [-127, 127] (kernels rely on it). */
    float big[256];
    int minq = 0, maxq = 0;
    for (int rep = 0; rep < 200; rep++) {
        for (int i = 0; i < 256; i++) big[i] = rnd_normalish() * (rep % 2 ? 1e30f : 1e-30f);
        lz_quantize_act_row(LZ_TYPE_Q8_K, big, &bk, 256);
        for (int i = 0; i < 256; i++) { minq = LZ_MIN(minq, bk.qs[i]); maxq = LZ_MAX(maxq, bk.qs[i]); }
        lz_block_q8_0 b8[8];
        lz_quantize_act_row(LZ_TYPE_Q8_0, big, b8, 256);
        for (int k = 0; k < 8; k++)
            for (int i = 0; i < 32; i++) { minq = LZ_MIN(minq, b8[k].qs[i]); maxq = LZ_MAX(maxq, b8[k].qs[i]); }
    }
    assert_true(minq >= -127 && maxq <= 127);
    printf("activation quantizers: rounding rules, ties, zero blocks; 400 extreme rows within [%d, %d]\n", minq, maxq);
}

/* ---------------------------------------- reference vs exact (tolerance) */

/* The reference dot product against sum(dequant(w) * dequant(a)) in double.
 * Only Q8_1's s (rounded to f16) and float rounding separate them. */
static void test_reference_vs_dequant(void **state)
{
    (void)state;
    const int64_t n = 2048;
    uint8_t *w = malloc(lz_row_size(LZ_TYPE_F32, n));
    uint8_t *a = lz_malloc_aligned(lz_row_size(LZ_TYPE_F32, n));
    float *x = malloc(n * sizeof(float)), *wd = malloc(n * sizeof(float)), *ad = malloc(n * sizeof(float));
    double worst = 0;
    int checked = 0;
    for (size_t ti = 0; ti < LZ_ARRAY_LEN(g_weight_types); ti++) {
        const lz_type t = g_weight_types[ti];
        const lz_type at = lz_type_get(t)->vec_dot_type;
        for (int rep = 0; rep < 20; rep++) {
            make_weight_row(t, n, w, 0);
            make_act_row(at, n, x, a, rep);
            lz_dequantize_row(t, w, wd, n);
            lz_dequantize_row(at, a, ad, n);
            double exact = 0, mag = 0, s_err = 0;
            for (int64_t i = 0; i < n; i++) {
                exact += (double)wd[i] * ad[i];
                mag += fabs((double)wd[i] * ad[i]);
            }
            if (at == LZ_TYPE_Q8_1) {   /* the kernel uses m * s, s = f16(d * sum q) */
                const lz_block_q8_1 *ab = (const lz_block_q8_1 *)a;
                const int moff = 2;
                for (int64_t b = 0; b < n / 32; b++) {
                    const double m = lz_f16_to_f32(lz_rd16(w + b * lz_type_get(t)->type_size + moff));
                    const double s = lz_f16_to_f32(ab[b].s);
                    s_err += fabs(m * s) * (1.0 / 1024) + fabs(m) * 32 * fabs(lz_f16_to_f32(ab[b].d)) * 127 / 2048;
                    mag += fabs(m * s);
                }
            }
            float got;
            lz_get_vec_dot(t, LZ_ISA_SCALAR)(n, &got, w, a);
            const double err = fabs(got - exact);
            const double tol = 1e-5 * mag + s_err + 1e-30;
            if (err / (mag + 1e-30) > worst) worst = err / (mag + 1e-30);
            if (err > tol) fail_msg("%s: reference %.9g vs dequantized %.9g (tol %.3g)", lz_type_name(t), got, exact, tol);
            checked++;
        }
    }
    printf("reference vec_dot vs double sum of dequantized rows: %d rows of %lld, worst error %.3g of sum|w*a|\n",
           checked, (long long)n, worst);
    free(w); lz_free_aligned(a); free(x); free(wd); free(ad);
}

/* --------------------------------------------------- ISA kernels vs scalar */


#define N_ROWS 24

static void check_isa_vec_dot(lz_isa isa)
{
    const int64_t max_n = 4096;
    uint8_t *w = malloc(lz_row_size(LZ_TYPE_F32, max_n) * N_ROWS);
    uint8_t *a = lz_malloc_aligned(lz_row_size(LZ_TYPE_F32, max_n) * 4);
    float *x = malloc(max_n * sizeof(float));
    for (size_t ti = 0; ti < LZ_ARRAY_LEN(g_weight_types); ti++) {
        const lz_type t = g_weight_types[ti];
        const lz_type at = lz_type_get(t)->vec_dot_type;
        lz_vec_dot_fn ref = lz_get_vec_dot(t, LZ_ISA_SCALAR), fn = lz_get_vec_dot(t, isa);
        size_t nlen;
        const int64_t *lens = lengths(t, &nlen);
        long checked = 0;
        for (size_t li = 0; li < nlen; li++) {
            const int64_t n = lens[li];
            const size_t rb = lz_row_size(t, n), ab = lz_row_size(at, n);
            for (int r = 0; r < N_ROWS; r++) make_weight_row(t, n, w + r * rb, r);
            for (int c = 0; c < 4; c++) make_act_row(at, n, x, a + c * ab, c);
            for (int r = 0; r < N_ROWS; r++)
                for (int c = 0; c < 4; c++) {
                    float want, got;
                    ref(n, &want, w + r * rb, a + c * ab);
                    fn(n, &got, w + r * rb, a + c * ab);
                    if (memcmp(&want, &got, sizeof(float)) != 0)
                        fail_msg("%s %s n=%lld row %d col %d: %.9g (0x%08x) != reference %.9g (0x%08x)",
                                 lz_isa_name(isa), lz_type_name(t), (long long)n, r, c, got,
                                 lz_f32_bits(got), want, lz_f32_bits(want));
                    checked++;
                }
        }
        printf("  %-6s %-5s vec_dot: %5ld dot products bit-identical to scalar%s\n", lz_isa_name(isa),
               lz_type_name(t), checked, fn == ref ? " (no kernel: scalar fallback)" : "");
    }
    free(w); lz_free_aligned(a); free(x);
}

static void check_isa_gemm(lz_isa isa)
{
    /* tile edges: rows around the 8/16-row vectors and 32-row panels,
     * columns around the 4/8-column register tiles, and a full batch */
    static const int64_t rows[] = { 1, 3, 8, 17, 31, 33, 77 };
    static const int64_t cols[] = { 1, 2, 4, 5, 7, 8, 9, 13, 17, 512 };
    const int64_t r0 = 2, max_rows = 77 + 2, max_cols = 512;
    for (size_t ti = 0; ti < LZ_ARRAY_LEN(g_weight_types); ti++) {
        const lz_type t = g_weight_types[ti];
        const lz_type at = lz_type_get(t)->vec_dot_type;
        const int64_t n = lz_type_get(t)->block_size == LZ_QK_K ? 2304 : 672;
        const size_t rb = lz_row_size(t, n), ab = lz_row_size(at, n) + 64;   /* padded act stride */
        /* every SIMD level has a tiled kernel for each quantized type, so
         * what follows tests it, not the vec_dot loop behind it */
        const int tiled = lz_kernels_get(isa)->gemm[t] != NULL;
        if (isa != LZ_ISA_SCALAR && at != LZ_TYPE_F32) assert_true(tiled);
        uint8_t *w = malloc(rb * max_rows);
        uint8_t *a = lz_malloc_aligned(ab * max_cols);
        float *x = malloc(n * sizeof(float));
        const size_t stride = (size_t)max_rows + 3;
        float *out = malloc(stride * max_cols * sizeof(float));
        lz_vec_dot_fn fn = lz_get_vec_dot(t, isa);
        for (int r = 0; r < max_rows; r++) make_weight_row(t, n, w + r * rb, r);
        for (int c = 0; c < max_cols; c++) make_act_row(at, n, x, a + c * ab, c);
        float *want_all = malloc((size_t)max_rows * max_cols * sizeof(float));
        for (int64_t c = 0; c < max_cols; c++)
            for (int64_t r = 0; r + r0 < max_rows; r++) fn(n, &want_all[c * max_rows + r], w + (r0 + r) * rb, a + c * ab);
        long checked = 0;
        for (size_t ri = 0; ri < LZ_ARRAY_LEN(rows); ri++)
            for (size_t ci = 0; ci < LZ_ARRAY_LEN(cols); ci++) {
                for (size_t i = 0; i < stride * max_cols; i++) out[i] = -12345.0f;
                lz_gemm(t, isa, n, w, rb, r0, rows[ri], a, ab, cols[ci], out, stride);
                for (int64_t c = 0; c < max_cols; c++)
                    for (size_t r = 0; r < stride; r++) {
                        const float got = out[c * stride + r];
                        if (c >= cols[ci] || (int64_t)r >= rows[ri]) {   /* untouched */
                            assert_true(got == -12345.0f);
                            continue;
                        }
                        const float want = want_all[c * max_rows + (int64_t)r];
                        if (memcmp(&want, &got, sizeof(float)) != 0)
                            fail_msg("%s %s gemm %lldx%lld: (%zu,%lld) %.9g != vec_dot %.9g", lz_isa_name(isa),
                                     lz_type_name(t), (long long)rows[ri], (long long)cols[ci], r, (long long)c,
                                     got, want);
                        checked++;
                    }
            }
        printf("  %-6s %-5s gemm: %4ld outputs over %zu shapes equal to vec_dot%s\n", lz_isa_name(isa),
               lz_type_name(t), checked, LZ_ARRAY_LEN(rows) * LZ_ARRAY_LEN(cols), tiled ? " (tiled)" : "");
        free(w); lz_free_aligned(a); free(x); free(out); free(want_all);
    }
}

/* The packed form (lz_pack_alloc / lz_pack_rows / lz_gemm_packed): the
 * matrix is packed by each level in turn (in two row ranges, as threads
 * would) and read by every level of the same layout; every output equals
 * vec_dot's. */
static void check_isa_gemm_packed(lz_isa pack_isa)
{
    static const int64_t r0s[] = { 0, 16, 32 };
    static const int64_t rows[] = { 1, 15, 16, 17, 33, 45 };
    static const int64_t cols[] = { 1, 2, 7, 8, 9, 17, 512 };
    const int64_t n_rows_mat = 77, max_cols = 512;
    for (size_t ti = 0; ti < LZ_ARRAY_LEN(g_weight_types); ti++) {
        const lz_type t = g_weight_types[ti];
        const lz_type at = lz_type_get(t)->vec_dot_type;
        const int64_t n = lz_type_get(t)->block_size == LZ_QK_K ? 2304 : 672;
        const size_t rb = lz_row_size(t, n), ab = lz_row_size(at, n) + 64;
        lz_packed_mat pm;
        assert_int_equal(lz_pack_alloc(&pm, pack_isa, t, n, n_rows_mat), 0);
        if (pm.format == LZ_PACK_NONE) continue;   /* no packed form at this level */
        uint8_t *w = malloc(rb * n_rows_mat);
        uint8_t *a = lz_malloc_aligned(ab * max_cols);
        float *x = malloc(n * sizeof(float));
        const size_t stride = (size_t)n_rows_mat + 3;
        float *out = malloc(stride * max_cols * sizeof(float));
        float *want = malloc((size_t)n_rows_mat * max_cols * sizeof(float));
        lz_vec_dot_fn fn = lz_get_vec_dot(t, LZ_ISA_SCALAR);
        for (int r = 0; r < n_rows_mat; r++) make_weight_row(t, n, w + r * rb, r + 5);
        for (int c = 0; c < max_cols; c++) make_act_row(at, n, x, a + c * ab, c + 3);
        for (int64_t c = 0; c < max_cols; c++)
            for (int64_t r = 0; r < n_rows_mat; r++) fn(n, &want[c * n_rows_mat + r], w + r * rb, a + c * ab);
        const int64_t split = pm.panel_rows * 2;   /* two threads' ranges */
        lz_pack_rows(&pm, w, rb, 0, split);
        lz_pack_rows(&pm, w, rb, split, n_rows_mat - split);
        long checked = 0;
        for (size_t li = 0; li < LZ_ARRAY_LEN(g_isas); li++) {
            const lz_isa isa = g_isas[li];
            if (!lz_cpu_isa_available(isa)) continue;
            for (size_t i0 = 0; i0 < LZ_ARRAY_LEN(r0s); i0++)
                for (size_t ri = 0; ri < LZ_ARRAY_LEN(rows); ri++)
                    for (size_t ci = 0; ci < LZ_ARRAY_LEN(cols); ci++) {
                        const int64_t r0 = r0s[i0], nr = LZ_MIN(rows[ri], n_rows_mat - r0), nc = cols[ci];
                        for (size_t i = 0; i < stride * max_cols; i++) out[i] = -12345.0f;
                        if (!lz_gemm_packed(&pm, isa, r0, nr, a, ab, nc, out, stride)) {
                            assert_true(lz_kernels_get(isa)->pack_format != pm.format);   /* another layout */
                            continue;
                        }
                        for (int64_t c = 0; c < max_cols; c++)
                            for (int64_t r = 0; r < (int64_t)stride; r++) {
                                const float got = out[c * stride + r];
                                if (c >= nc || r >= nr) {
                                    assert_true(got == -12345.0f);
                                    continue;
                                }
                                const float wv = want[c * n_rows_mat + r0 + r];
                                if (memcmp(&wv, &got, sizeof(float)) != 0)
                                    fail_msg("%s %s packed by %s: rows %lld+%lld x %lld cols: (%lld,%lld) %.9g != %.9g",
                                             lz_isa_name(isa), lz_type_name(t), lz_isa_name(pack_isa), (long long)r0,
                                             (long long)nr, (long long)nc, (long long)r, (long long)c, got, wv);
                                checked++;
                            }
                    }
        }
        printf("  packed by %-6s %-5s: %ld outputs equal to the scalar reference\n", lz_isa_name(pack_isa),
               lz_type_name(t), checked);
        lz_pack_free(&pm);
        free(w); lz_free_aligned(a); free(x); free(out); free(want);
    }
}

static void test_isa_kernels(void **state)
{
    (void)state;
    int ran = 0;
    for (size_t i = 0; i < LZ_ARRAY_LEN(g_isas); i++) {
        if (!lz_cpu_isa_available(g_isas[i])) {
            printf("%s: not available on this CPU/build: skipped\n", lz_isa_name(g_isas[i]));
            continue;
        }
        printf("%s:\n", lz_isa_name(g_isas[i]));
        check_isa_vec_dot(g_isas[i]);
        ran++;
    }
    printf("scalar gemm:\n");
    check_isa_gemm(LZ_ISA_SCALAR);
    for (size_t i = 0; i < LZ_ARRAY_LEN(g_isas); i++)
        if (lz_cpu_isa_available(g_isas[i])) check_isa_gemm(g_isas[i]);
    printf("packed weights:\n");
    for (size_t i = 0; i < LZ_ARRAY_LEN(g_isas); i++)
        if (lz_cpu_isa_available(g_isas[i])) check_isa_gemm_packed(g_isas[i]);
    printf("%d SIMD level(s) checked\n", ran);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traits),
        cmocka_unit_test(test_act_quant_rounding),
        cmocka_unit_test(test_act_quant_isa),
        cmocka_unit_test(test_reference_vs_dequant),
        cmocka_unit_test(test_isa_kernels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
