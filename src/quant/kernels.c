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

int lz_pack_alloc(lz_packed_mat *pm, lz_isa isa, lz_type type, int64_t n, int64_t n_rows)
{
    memset(pm, 0, sizeof(*pm));
    if ((unsigned)type >= LZ_TYPE_MAX_CODE || n <= 0 || n_rows <= 0) return 0;
    const lz_kernels *k = lz_kernels_get(isa);
    const lz_packed_kernels *pk = &k->packed[type];
    if (k->pack_format == LZ_PACK_NONE || !pk->pack) return 0;
    const size_t pb = pk->panel_bytes(n);
    const uint64_t panels = (uint64_t)(n_rows + k->panel_rows - 1) / (uint64_t)k->panel_rows;
    uint64_t bytes;
    if (lz_mul_u64(panels, pb, &bytes) || bytes > SIZE_MAX) return -1;
    pm->data = lz_malloc_aligned((size_t)bytes);
    if (!pm->data) return -1;
    pm->format = k->pack_format;
    pm->type = type;
    pm->n = n;
    pm->n_rows = n_rows;
    pm->panel_rows = k->panel_rows;
    pm->panel_bytes = pb;
    return 0;
}

/* The table entry that can read pm at level isa, or NULL. */
static const lz_packed_kernels *packed_kernels(const lz_packed_mat *pm, lz_isa isa)
{
    const lz_kernels *k = lz_kernels_get(isa);
    if (pm->format == LZ_PACK_NONE || k->pack_format != pm->format || k->panel_rows != pm->panel_rows) return NULL;
    const lz_packed_kernels *pk = &k->packed[pm->type];
    return pk->gemm ? pk : NULL;
}

void lz_pack_rows(const lz_packed_mat *pm, const void *w, size_t row_bytes, int64_t r0, int64_t n_rows)
{
    if (pm->format == LZ_PACK_NONE || n_rows <= 0) return;
    /* the packer of any level of this layout: they write the same bytes */
    for (size_t i = 0; i < LZ_ARRAY_LEN(g_levels); i++) {
        const lz_kernels *k = g_built[g_levels[i].isa] ? &g_tables[g_levels[i].isa] : NULL;
        if (!k || k->pack_format != pm->format || !k->packed[pm->type].pack) continue;
        k->packed[pm->type].pack(pm->n, (const uint8_t *)w + (size_t)r0 * row_bytes, row_bytes, n_rows,
                                 pm->data + (size_t)(r0 / pm->panel_rows) * pm->panel_bytes);
        return;
    }
}

void lz_pack_free(lz_packed_mat *pm)
{
    if (!pm) return;
    lz_free_aligned(pm->data);
    memset(pm, 0, sizeof(*pm));
}

int lz_gemm_packed(const lz_packed_mat *pm, lz_isa isa, int64_t r0, int64_t n_rows, const void *act,
                   size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)
{
    if (n_rows <= 0 || n_cols <= 0) return 1;
    const lz_packed_kernels *pk = packed_kernels(pm, isa);
    if (!pk || r0 % pm->panel_rows != 0 || r0 + n_rows > pm->n_rows) return 0;
    return pk->gemm(pm->n, pm->data + (size_t)(r0 / pm->panel_rows) * pm->panel_bytes, n_rows, act, act_bytes, n_cols,
                    out, out_stride);
}
