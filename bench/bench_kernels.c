/*
 * bench_kernels.c - single-thread throughput of the dot-product kernels.
 *
 * For every weight type and every ISA level this CPU runs: a weight matrix
 * larger than the caches (default 64 MiB, above L2 and a 32 MiB L3) is
 * multiplied with one activation row through vec_dot (weights streamed
 * from memory once per product) and with 8 activation rows through lz_gemm
 * (each weight load reused 8 times). Reported: GB/s of weight bytes
 * processed per second of thread CPU time, median of several runs.
 *
 *   bench_kernels [MiB] [type ...]      e.g. bench_kernels 64 Q8_0 Q4_K
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/f16.h"
#include "common/lz_common.h"
#include "quant/quant.h"

/* CPU time of this thread: on a shared machine, time spent descheduled
 * does not count (cache and memory contention still does). */
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

static uint64_t g_rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

/* Random bytes with sane fp16 scales (finite), enough for timing. */
static void fill_weights(lz_type t, uint8_t *w, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++) w[i] = (uint8_t)rnd();
    if (t == LZ_TYPE_F32) {
        float *f = (float *)w;
        for (size_t i = 0; i < bytes / 4; i++) f[i] = (float)(int)(rnd() % 2001 - 1000) * 1e-3f;
    } else if (t == LZ_TYPE_F16 || t == LZ_TYPE_BF16) {
        for (size_t i = 0; i + 1 < bytes; i += 2)
            lz_wr16(w + i, t == LZ_TYPE_F16 ? lz_f32_to_f16((float)(int)(rnd() % 2001 - 1000) * 1e-3f)
                                            : lz_f32_to_bf16((float)(int)(rnd() % 2001 - 1000) * 1e-3f));
    }
    /* quantized: random scale bits may be huge or NaN; timing does not care */
}

#define MAX_RUNS 7

typedef struct { double vec_dot, gemm8; } result;

static result bench_one(lz_type t, lz_isa isa, size_t mib)
{
    const int64_t n = 4096;
    const lz_type at = lz_type_get(t)->vec_dot_type;
    const size_t rb = lz_row_size(t, n), ab = lz_row_size(at, n);
    const int64_t rows = (int64_t)(mib * 1024 * 1024 / rb);
    const size_t wbytes = (size_t)rows * rb;
    uint8_t *w = lz_malloc_aligned(wbytes);
    uint8_t *a = lz_malloc_aligned(ab * 8);
    float *x = malloc(n * sizeof(float));
    float *out = malloc((size_t)rows * 8 * sizeof(float));
    result r = { 0, 0 };
    if (!w || !a || !x || !out) { fprintf(stderr, "out of memory\n"); exit(1); }
    fill_weights(t, w, wbytes);
    for (int c = 0; c < 8; c++) {
        for (int64_t i = 0; i < n; i++) x[i] = (float)((int)(rnd() % 2001) - 1000) * 1e-3f;
        lz_quantize_act_row(at, x, a + c * ab, n);
    }
    lz_vec_dot_fn dot = lz_get_vec_dot(t, isa);
    /* the scalar reference is slow: fewer runs, and gemm on 1/8 of the rows */
    const int runs = isa == LZ_ISA_SCALAR ? 3 : MAX_RUNS;
    const int64_t gemm_rows = isa == LZ_ISA_SCALAR ? rows / 8 : rows;
    double times[MAX_RUNS];
    volatile float sink = 0;

    for (int k = 0; k < runs; k++) {
        const double t0 = now();
        for (int64_t i = 0; i < rows; i++) dot(n, &out[i], w + (size_t)i * rb, a);
        times[k] = now() - t0;
        sink += out[rows - 1];
    }
    qsort(times, runs, sizeof(double), cmp_double);
    r.vec_dot = (double)wbytes / times[runs / 2] * 1e-9;

    for (int k = 0; k < runs; k++) {
        const double t0 = now();
        lz_gemm(t, isa, n, w, rb, 0, gemm_rows, a, ab, 8, out, (size_t)rows);
        times[k] = now() - t0;
        sink += out[0];
    }
    qsort(times, runs, sizeof(double), cmp_double);
    r.gemm8 = (double)gemm_rows * rb / times[runs / 2] * 1e-9;
    (void)sink;
    lz_free_aligned(w);
    lz_free_aligned(a);
    free(x);
    free(out);
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
    int first_type = 1;   /* argv index of the first type name */
    if (argc > 1 && atoi(argv[1]) > 0) {
        mib = (size_t)atoi(argv[1]);
        first_type = 2;
    }

    printf("bench_kernels: n = 4096, %zu MiB of weights, single thread, median of %d runs (scalar: 3)\n",
           mib, MAX_RUNS);
    printf("GB/s of weight bytes; gemm8 = lz_gemm with 8 activation columns\n\n");
    printf("%-6s %-7s %10s %10s\n", "type", "isa", "vec_dot", "gemm8");
    for (size_t ti = 0; ti < sizeof(all) / sizeof(all[0]); ti++) {
        const lz_type t = all[ti];
        if (argc > first_type) {
            int wanted = 0;
            for (int i = first_type; i < argc; i++) wanted |= !strcmp(argv[i], lz_type_name(t));
            if (!wanted) continue;
        }
        for (size_t ii = 0; ii < sizeof(isas) / sizeof(isas[0]); ii++) {
            if (!lz_cpu_isa_available(isas[ii])) continue;
            const result r = bench_one(t, isas[ii], mib);
            printf("%-6s %-7s %10.2f %10.2f\n", lz_type_name(t), lz_isa_name(isas[ii]), r.vec_dot, r.gemm8);
            fflush(stdout);
        }
    }
    return 0;
}
