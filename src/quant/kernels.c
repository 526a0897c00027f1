/*
 * kernels.c - the kernel tables of every ISA level (kernels.h), and the
 * entry points that run a product with the kernels of a level.
 */
#include <pthread.h>
#include <string.h>

#include "../common/lz_common.h"
#include "kernels.h"
#include "quant_internal.h"

/* One row per ISA level: its parent (whose table it starts from) and the
 * function that fills in its own kernels. */
typedef struct {
    lz_isa isa;
    lz_isa parent;
    void (*fill)(lz_kernels *k);
} level_row;

static const level_row g_levels[] = {
    { LZ_ISA_SCALAR, LZ_ISA_SCALAR, lz_kernels_fill_ref },
#if defined(LZ_BUILD_X86_SIMD)
    { LZ_ISA_AVX2, LZ_ISA_SCALAR, lz_kernels_fill_avx2 },
    { LZ_ISA_AVX512, LZ_ISA_AVX2, lz_kernels_fill_avx512 },
#endif
#if defined(LZ_BUILD_ARM_SIMD)
    { LZ_ISA_NEON, LZ_ISA_SCALAR, lz_kernels_fill_neon },
#endif
};

static lz_kernels g_tables[LZ_ISA_COUNT];
static int g_built[LZ_ISA_COUNT];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static const level_row *find_level(lz_isa isa)
{
    for (size_t i = 0; i < LZ_ARRAY_LEN(g_levels); i++)
        if (g_levels[i].isa == isa) return &g_levels[i];
    return NULL;
}

static void build_level(const level_row *row)
{
    lz_kernels *k = &g_tables[row->isa];
    if (row->parent != row->isa) {
        const level_row *parent = find_level(row->parent);
        if (!g_built[parent->isa]) build_level(parent);
        *k = g_tables[parent->isa];
    } else {
        memset(k, 0, sizeof(*k));
    }
    row->fill(k);
    k->isa = row->isa;
    g_built[row->isa] = 1;
}

/* Every level this CPU runs (a level is only built where it can run, so
 * its fill function may use its instructions to probe sub-features). */
static void build_all(void)
{
    for (size_t i = 0; i < LZ_ARRAY_LEN(g_levels); i++)
        if (!g_built[g_levels[i].isa] && lz_cpu_isa_available(g_levels[i].isa)) build_level(&g_levels[i]);
}

const lz_kernels *lz_kernels_get(lz_isa isa)
{
    pthread_once(&g_once, build_all);
    /* a level this CPU or build cannot run is lowered to its parent, so a
     * caller asking for too much gets slower kernels, never an illegal
     * instruction */
    while ((unsigned)isa >= LZ_ISA_COUNT || !g_built[isa]) {
        const level_row *row = (unsigned)isa < LZ_ISA_COUNT ? find_level(isa) : NULL;
        isa = row && row->parent != isa ? row->parent : LZ_ISA_SCALAR;
    }
    return &g_tables[isa];
}

lz_vec_dot_fn lz_get_vec_dot(lz_type type, lz_isa isa)
{
    return (unsigned)type < LZ_TYPE_MAX_CODE ? lz_kernels_get(isa)->vec_dot[type] : NULL;
}

/* Generic batched product: one vec_dot per (row, column). */
static void gemm_loop(lz_vec_dot_fn dot, int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows,
                      const uint8_t *act, size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)
{
    for (int64_t c = 0; c < n_cols; c++)
        for (int64_t r = 0; r < n_rows; r++)
            dot(n, &out[(size_t)c * out_stride + (size_t)r], w + (size_t)r * row_bytes, act + (size_t)c * act_bytes);
}

void lz_gemm(lz_type type, lz_isa isa, int64_t n, const void *w, size_t row_bytes, int64_t r0, int64_t n_rows,
             const void *act, size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)
{
    if ((unsigned)type >= LZ_TYPE_MAX_CODE || n_rows <= 0 || n_cols <= 0) return;
    const lz_kernels *k = lz_kernels_get(isa);
    const lz_vec_dot_fn dot = k->vec_dot[type];
    if (!dot) return;
    const uint8_t *wr = (const uint8_t *)w + (size_t)r0 * row_bytes;
    if (k->gemm[type] && k->gemm[type](n, wr, row_bytes, n_rows, act, act_bytes, n_cols, out, out_stride)) return;
    gemm_loop(dot, n, wr, row_bytes, n_rows, act, act_bytes, n_cols, out, out_stride);
}

void lz_quantize_act_row_isa(lz_type act_type, lz_isa isa, const float *x, void *dst, int64_t n)
{
    if (n <= 0 || (unsigned)act_type >= LZ_TYPE_MAX_CODE) return;
    const lz_quantize_fn q = lz_kernels_get(isa)->quantize[act_type];
    if (q) q(x, dst, n);
}
