/*
 * bench_kernels.c - single-thread speed of the kernels against what the
 * machine can do.
 *
 *  1. Machine limits: the int8 multiply-accumulate peak of each ISA level
 *     (independent chains of vpdpbusd / maddubs+madd on registers, no
 *     memory) and the read bandwidth from memory (a 256 MiB stream).
 *  2. Per weight type and ISA level:
 *     - vec_dot: one activation row against a matrix larger than the caches
 *       (what a single-token step does): GB/s of weights, beside the read
 *       bandwidth;
 *     - gemm on packed weights with 64 and 512 activation columns (what a
 *       batch does): GMAC/s, and its share of the level's int8 peak;
 *     - gemm on packed weights larger than the caches with 4 and 8 columns
 *       (what lockstep decoding of 4 or 8 streams does): GB/s of packed
 *       weights, beside the read bandwidth; memory-bound if near it.
 *  3. The attention kernels (scores q.k and the V sum) for the heads of the
 *     real models (Gemma 3: 4 queries of 256 per KV head; SmolLM2: 3 of 64),
 *     over 1024 cache rows (in L2) and over 16384 rows of caches larger than
 *     L3, taken in turn (what long positions do): GMAC/s.
 * Times are CPU time of this thread, median of several runs.
 *
 *   bench_kernels [MiB] [type ...]      e.g. bench_kernels 64 Q8_0 Q4_K
 *   bench_kernels --json FILE ...       also write the figures as JSON
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common/f16.h"
#include "common/lz_common.h"
#include "quant/kernels.h"
#include "quant/quant.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(double), cmp_double);
    return v[n / 2];
}

static uint64_t g_rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* Random bytes with finite fp16 scales: the kernels' speed does not depend
 * on the values, only NaN/inf scales could make float units slower. */
static void fill_weights(lz_type t, uint8_t *w, size_t bytes, int64_t n)
{
    for (size_t i = 0; i < bytes; i++) w[i] = (uint8_t)rnd();
    const lz_type_traits *tr = lz_type_get(t);
    if (tr->block_size == 1) {
        for (size_t i = 0; i + 1 < bytes; i += 2)
            lz_wr16(w + i, t == LZ_TYPE_BF16 ? lz_f32_to_bf16((float)(int)(rnd() % 2001 - 1000) * 1e-3f)
                                             : lz_f32_to_f16((float)(int)(rnd() % 2001 - 1000) * 1e-3f));
        if (t == LZ_TYPE_F32)
            for (size_t i = 0; i + 3 < bytes; i += 4) {
                const float f = (float)(int)(rnd() % 2001 - 1000) * 1e-3f;
                memcpy(w + i, &f, 4);
            }
        return;
    }
    /* every fp16 field of every block: a small positive scale */
    const size_t bs = (size_t)tr->type_size, nblocks = bytes / bs;
    const uint16_t h = lz_f32_to_f16(0.01f);
    for (size_t b = 0; b < nblocks; b++) {
        uint8_t *p = w + b * bs;
        switch (t) {
        case LZ_TYPE_Q4_1: case LZ_TYPE_Q5_1: lz_wr16(p + 2, h); /* fall through */
        case LZ_TYPE_Q4_0: case LZ_TYPE_Q5_0: case LZ_TYPE_Q8_0: lz_wr16(p, h); break;
        case LZ_TYPE_Q2_K: lz_wr16(p + 80, h); lz_wr16(p + 82, h); break;
        case LZ_TYPE_Q3_K: lz_wr16(p + 108, h); break;
        case LZ_TYPE_Q4_K: case LZ_TYPE_Q5_K: lz_wr16(p, h); lz_wr16(p + 2, h); break;
        case LZ_TYPE_Q6_K: lz_wr16(p + 208, h); break;
        default: break;
        }
    }
    (void)n;
}

/* ------------------------------------------------------------ machine limits */

#define PEAK_ITERS 20000000L

#if defined(__x86_64__)
/* The peak loops must use every accumulator after the loop: a chain whose
 * result is never read is dead code, and the compiler drops it while the
 * MAC count still includes it (until 2026-12-03 only 2 of the 12 VNNI
 * chains ran, and the reported peak was the latency of 2 chains times 6). */
__attribute__((target("avx2"))) static void peak_sink_256(const __m256i *acc, int n)
{
    for (int i = 0; i < n; i++) __asm__ volatile("" : : "x"(acc[i]));
}

__attribute__((target("avx2"))) static double peak_avx2(void)
{
    __m256i acc[8], a[8];
    const __m256i b = _mm256_set1_epi8(5), one = _mm256_set1_epi16(1);
    for (int i = 0; i < 8; i++) {
        acc[i] = _mm256_setzero_si256();
        a[i] = _mm256_set1_epi8((char)(3 + i));
    }
    const double t0 = now();
    for (long it = 0; it < PEAK_ITERS / 8; it++) {
        /* opaque operands: no product can be hoisted out of the loop or shared */
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++) __asm__ volatile("" : "+x"(a[i]));
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++) acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(_mm256_maddubs_epi16(a[i], b), one));
    }
    const double t = now() - t0;
    peak_sink_256(acc, 8);
    return (double)(PEAK_ITERS / 8) * 8 * 32 / t * 1e-9;   /* 32 MACs per step */
}

__attribute__((target("avx512f,avx512vnni"))) static double peak_avx512_vnni(void)
{
    __m512i acc[12];
    const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(5);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_setzero_si512();
    const double t0 = now();
    for (long it = 0; it < PEAK_ITERS / 12; it++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
    const double t = now() - t0;
    for (int i = 0; i < 12; i++) __asm__ volatile("" : : "v"(acc[i]));   /* every chain is used */
    return (double)(PEAK_ITERS / 12) * 12 * 64 / t * 1e-9;   /* 64 MACs per instruction */
}
#endif

/* int8 GMAC/s of the level's integer dot-product instruction, median of 5. */
static double int8_peak(lz_isa isa)
{
    double v[5];
    for (int k = 0; k < 5; k++) {
        v[k] = 0.0;
#if defined(__x86_64__)
        if (isa == LZ_ISA_AVX2) v[k] = peak_avx2();
        if (isa == LZ_ISA_AVX512 && lz_cpu_get_features()->avx512vnni) v[k] = peak_avx512_vnni();
        if (isa == LZ_ISA_AVX512 && !lz_cpu_get_features()->avx512vnni) v[k] = peak_avx2();
#endif
    }
    (void)isa;
    return median(v, 5);
}

/* Read bandwidth from memory: sum of a 256 MiB buffer, GB/s, median of 5. */
static double read_bandwidth(void)
{
    const size_t n = (size_t)256 << 20;
    uint64_t *p = lz_malloc_aligned(n);
    if (!p) return 0.0;
    for (size_t i = 0; i < n / 8; i++) p[i] = i;
    double v[5];
    volatile uint64_t sink = 0;
    for (int k = 0; k < 5; k++) {
        uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const double t0 = now();
        for (size_t i = 0; i < n / 8; i += 4) {
            s0 += p[i];
            s1 += p[i + 1];
            s2 += p[i + 2];
            s3 += p[i + 3];
        }
        v[k] = (double)n / (now() - t0) * 1e-9;
        sink += s0 + s1 + s2 + s3;
    }
    (void)sink;
    lz_free_aligned(p);
    return median(v, 5);
}

/* ------------------------------------------------------------ kernels */

#define RUNS 7

typedef struct {
    double vec_dot_gbs;      /* GB/s of weights, one column */
    double gemm64, gemm512;  /* GMAC/s on packed weights */
    double gemm4_gbs, gemm8_gbs;   /* GB/s of packed weights, 4 and 8 columns, out of cache */
    int packed;
} result;

static double time_gemm(const lz_packed_mat *pm, lz_isa isa, int64_t rows, const uint8_t *a, size_t ab, int64_t cols,
                        float *out, int64_t n)
{
    double v[RUNS];
    for (int k = 0; k < RUNS; k++) {
        const double t0 = now();
        lz_gemm_packed(pm, isa, 0, rows, a, ab, cols, out, (size_t)rows);
        v[k] = now() - t0;
    }
    return (double)rows * cols * n / median(v, RUNS) * 1e-9;
}

static result bench_one(lz_type t, lz_isa isa, size_t mib)
{
    const int64_t n = 4096;
    const lz_type at = lz_type_get(t)->vec_dot_type;
    const size_t rb = lz_row_size(t, n), ab = lz_row_size(at, n);
    const int64_t rows = (int64_t)(mib * 1024 * 1024 / rb);
    const int64_t gemm_rows = 256;   /* stays in the caches: compute, not memory */
    const size_t wbytes = (size_t)rows * rb;
    uint8_t *w = lz_malloc_aligned(wbytes);
    uint8_t *a = lz_malloc_aligned(ab * 512);
    float *x = malloc(n * sizeof(float));
    float *out = malloc((size_t)(rows * 8 > gemm_rows * 512 ? rows * 8 : gemm_rows * 512) * sizeof(float));
    result r = { 0, 0, 0, 0, 0, 0 };
    if (!w || !a || !x || !out) { fprintf(stderr, "out of memory\n"); exit(1); }
    fill_weights(t, w, wbytes, n);
    for (int c = 0; c < 512; c++) {
        for (int64_t i = 0; i < n; i++) x[i] = (float)((int)(rnd() % 2001) - 1000) * 1e-3f;
        lz_quantize_act_row(at, x, a + c * ab, n);
    }
    lz_vec_dot_fn dot = lz_get_vec_dot(t, isa);
    const int runs = isa == LZ_ISA_SCALAR ? 3 : RUNS;
    double v[RUNS];
    for (int k = 0; k < runs; k++) {
        const double t0 = now();
        for (int64_t i = 0; i < rows; i++) dot(n, &out[i], w + (size_t)i * rb, a);
        v[k] = now() - t0;
    }
    r.vec_dot_gbs = (double)wbytes / median(v, runs) * 1e-9;

    lz_packed_mat pm;
    if (isa != LZ_ISA_SCALAR && lz_pack_alloc(&pm, isa, t, n, gemm_rows) == 0 && pm.format != LZ_PACK_NONE) {
        lz_pack_rows(&pm, w, rb, 0, gemm_rows);
        if (lz_gemm_packed(&pm, isa, 0, gemm_rows, a, ab, 1, out, (size_t)gemm_rows)) {
            r.packed = 1;
            r.gemm64 = time_gemm(&pm, isa, gemm_rows, a, ab, 64, out, n);
            r.gemm512 = time_gemm(&pm, isa, gemm_rows, a, ab, 512, out, n);
        }
        lz_pack_free(&pm);
    }
    if (r.packed && lz_pack_alloc(&pm, isa, t, n, rows) == 0) {
        lz_pack_rows(&pm, w, rb, 0, rows);
        const double pbytes = (double)pm.panel_bytes * (double)((rows + pm.panel_rows - 1) / pm.panel_rows);
        r.gemm4_gbs = time_gemm(&pm, isa, rows, a, ab, 4, out, n) / (4.0 * n * rows) * pbytes;
        r.gemm8_gbs = time_gemm(&pm, isa, rows, a, ab, 8, out, n) / (8.0 * n * rows) * pbytes;
        lz_pack_free(&pm);
    }
    lz_free_aligned(w);
    lz_free_aligned(a);
    free(x);
    free(out);
    return r;
}

/* ---------------------------------------------------------------- attention */

typedef struct {
    double scores, wsum;   /* GMAC/s */
} attn_result;

/* G queries of n over n_rows rows of `copies` f16 caches used in turn (one
 * copy: the cache stays in L2/L3; several: each call reads from memory). */
static attn_result bench_attn(lz_isa isa, uint32_t n, int G, uint32_t n_rows, int copies)
{
    const lz_kernels *k = lz_kernels_get(isa);
    const size_t cache = (size_t)n_rows * n;
    uint16_t *kc = malloc(cache * 2 * copies), *vc = malloc(cache * 2 * copies);
    float *q = malloc((size_t)G * n * sizeof(float)), *y = malloc((size_t)G * n * sizeof(float));
    float *sc = malloc((size_t)G * n_rows * sizeof(float));
    if (!kc || !vc || !q || !y || !sc) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (size_t i = 0; i < cache * copies; i++) {
        kc[i] = lz_f32_to_f16((float)((int)(rnd() % 2001) - 1000) / 1000.0f);
        vc[i] = lz_f32_to_f16((float)((int)(rnd() % 2001) - 1000) / 1000.0f);
    }
    const float *qp[8], *wp[8];   /* G <= 8 */
    float *yp[8];
    for (int g = 0; g < G; g++) {
        for (uint32_t i = 0; i < n; i++) q[(size_t)g * n + i] = (float)((int)(rnd() % 2001) - 1000) / 16000.0f;
        for (uint32_t j = 0; j < n_rows; j++) sc[(size_t)g * n_rows + j] = 1.0f / (float)(j + 1);
        qp[g] = q + (size_t)g * n;
        wp[g] = sc + (size_t)g * n_rows;
        yp[g] = y + (size_t)g * n;
    }
    const int calls = copies > 8 ? copies : 8;
    double ts[RUNS], tw[RUNS];
    for (int run = 0; run < RUNS; run++) {
        double t0 = now();
        for (int c = 0; c < calls; c++)
            k->attn_scores(qp, G, kc + (size_t)(c % copies) * cache, n, n_rows, n, 0.0625f, sc, n_rows);
        double t1 = now();
        for (int c = 0; c < calls; c++) {
            memset(y, 0, (size_t)G * n * sizeof(float));
            k->attn_wsum(yp, wp, G, vc + (size_t)(c % copies) * cache, n, n_rows, n);
        }
        double t2 = now();
        ts[run] = t1 - t0;
        tw[run] = t2 - t1;
    }
    const double macs = (double)n_rows * n * G * calls;
    attn_result r = { macs / median(ts, RUNS) / 1e9, macs / median(tw, RUNS) / 1e9 };
    free(kc);
    free(vc);
    free(q);
    free(y);
    free(sc);
    return r;
}

int main(int argc, char **argv)
{
    static const lz_type all[] = {
        LZ_TYPE_F32, LZ_TYPE_F16, LZ_TYPE_BF16, LZ_TYPE_Q8_0, LZ_TYPE_Q4_0, LZ_TYPE_Q4_1, LZ_TYPE_Q5_0,
        LZ_TYPE_Q5_1, LZ_TYPE_Q2_K, LZ_TYPE_Q3_K, LZ_TYPE_Q4_K, LZ_TYPE_Q5_K, LZ_TYPE_Q6_K,
    };
    static const lz_isa isas[] = { LZ_ISA_SCALAR, LZ_ISA_AVX2, LZ_ISA_AVX512, LZ_ISA_NEON };
    size_t mib = 64;
    const char *json_path = NULL;
    int ai = 1;
    if (ai + 1 < argc && !strcmp(argv[ai], "--json")) {
        json_path = argv[ai + 1];
        ai += 2;
    }
    if (ai < argc && atoi(argv[ai]) > 0) mib = (size_t)atoi(argv[ai++]);
    const int first_type = ai;

    FILE *js = json_path ? fopen(json_path, "w") : NULL;
    if (json_path && !js) { perror(json_path); return 1; }
    const double bw = read_bandwidth();
    printf("bench_kernels: single thread, CPU time, median of %d runs; vec_dot over %zu MiB of weights (n = 4096),\n"
           "gemm on 256 packed rows (in cache) x 64 / 512 columns\n\n", RUNS, mib);
    printf("machine: read bandwidth %.2f GB/s", bw);
    if (js) fprintf(js, "{\n  \"read_bandwidth_gbs\": %.3f,\n  \"int8_peak_gmacs\": {", bw);
    double peak[LZ_ISA_COUNT] = { 0 };
    int first = 1;
    for (size_t ii = 0; ii < sizeof(isas) / sizeof(isas[0]); ii++) {
        if (isas[ii] == LZ_ISA_SCALAR || !lz_cpu_isa_available(isas[ii])) continue;
        peak[isas[ii]] = int8_peak(isas[ii]);
        if (peak[isas[ii]] <= 0) continue;
        printf(", int8 peak %s %.1f GMAC/s", lz_isa_name(isas[ii]), peak[isas[ii]]);
        if (js) fprintf(js, "%s\"%s\": %.3f", first ? "" : ", ", lz_isa_name(isas[ii]), peak[isas[ii]]);
        first = 0;
    }
    printf("\n\n%-6s %-7s %9s %9s %10s %8s %10s %8s %8s %8s\n", "type", "isa", "vec_dot", "of bw", "gemm64", "of peak",
           "gemm512", "of peak", "gemm4", "gemm8");
    printf("%-6s %-7s %9s %9s %10s %8s %10s %8s %8s %8s\n", "", "", "GB/s", "", "GMAC/s", "", "GMAC/s", "", "GB/s",
           "GB/s");
    if (js) fprintf(js, "},\n  \"kernels\": [");
    first = 1;
    for (size_t ti = 0; ti < sizeof(all) / sizeof(all[0]); ti++) {
        const lz_type t = all[ti];
        if (argc > first_type) {
            int wanted = 0;
            for (int i = first_type; i < argc; i++) wanted |= !strcmp(argv[i], lz_type_name(t));
            if (!wanted) continue;
        }
        for (size_t ii = 0; ii < sizeof(isas) / sizeof(isas[0]); ii++) {
            const lz_isa isa = isas[ii];
            if (!lz_cpu_isa_available(isa)) continue;
            const result r = bench_one(t, isa, mib);
            printf("%-6s %-7s %9.2f %8.0f%%", lz_type_name(t), lz_isa_name(isa), r.vec_dot_gbs, 100.0 * r.vec_dot_gbs / bw);
            if (r.packed)
                printf(" %10.1f %7.0f%% %10.1f %7.0f%% %8.2f %8.2f", r.gemm64, 100.0 * r.gemm64 / peak[isa], r.gemm512,
                       100.0 * r.gemm512 / peak[isa], r.gemm4_gbs, r.gemm8_gbs);
            printf("\n");
            fflush(stdout);
            if (js) {
                fprintf(js, "%s\n    {\"type\": \"%s\", \"isa\": \"%s\", \"vec_dot_gbs\": %.3f", first ? "" : ",",
                        lz_type_name(t), lz_isa_name(isa), r.vec_dot_gbs);
                if (r.packed)
                    fprintf(js, ", \"gemm64_gmacs\": %.3f, \"gemm512_gmacs\": %.3f, \"gemm4_gbs\": %.3f, \"gemm8_gbs\": %.3f",
                            r.gemm64, r.gemm512, r.gemm4_gbs, r.gemm8_gbs);
                fprintf(js, "}");
                first = 0;
            }
        }
    }
    if (js) fprintf(js, "\n  ],\n  \"attention\": [");
    printf("\n%-7s %-16s %12s %12s %12s %12s\n", "isa", "heads", "scores L2", "V sum L2", "scores mem", "V sum mem");
    printf("%-7s %-16s %12s %12s %12s %12s\n", "", "", "GMAC/s", "GMAC/s", "GMAC/s", "GMAC/s");
    static const struct { const char *name; uint32_t n; int G; } heads[] = { { "4 x 256 (gemma)", 256, 4 },
                                                                             { "3 x 64 (smollm2)", 64, 3 } };
    first = 1;
    for (size_t ii = 0; ii < sizeof(isas) / sizeof(isas[0]); ii++) {
        const lz_isa isa = isas[ii];
        if (!lz_cpu_isa_available(isa)) continue;
        for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
            /* the far caches: 16384 rows each, together 4x a 32 MiB L3 */
            const int copies = (int)((128u << 20) / ((size_t)16384 * heads[h].n * 2));
            const attn_result near = bench_attn(isa, heads[h].n, heads[h].G, 1024, 1);
            const attn_result far = bench_attn(isa, heads[h].n, heads[h].G, 16384, copies);
            printf("%-7s %-16s %12.2f %12.2f %12.2f %12.2f\n", lz_isa_name(isa), heads[h].name, near.scores, near.wsum,
                   far.scores, far.wsum);
            fflush(stdout);
            if (js) {
                fprintf(js, "%s\n    {\"isa\": \"%s\", \"head_dim\": %u, \"group\": %d, \"scores_l2_gmacs\": %.3f, "
                        "\"wsum_l2_gmacs\": %.3f, \"scores_mem_gmacs\": %.3f, \"wsum_mem_gmacs\": %.3f}",
                        first ? "" : ",", lz_isa_name(isa), heads[h].n, heads[h].G, near.scores, near.wsum, far.scores,
                        far.wsum);
                first = 0;
            }
        }
    }
    if (js) {
        fprintf(js, "\n  ]\n}\n");
        fclose(js);
    }
    return 0;
}
