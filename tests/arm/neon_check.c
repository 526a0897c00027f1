/*
 * neon_check.c - the NEON kernels against the scalar reference, bit for bit.
 *
 * A standalone main (no cmocka: it is cross-compiled for AArch64 and run
 * under qemu-user by `make neon-check`). For every weight type: random rows
 * of several lengths with all-zero blocks, extreme and subnormal fp16
 * scales and the largest quant values, activations from the library's
 * quantizers; memcmp of every result. Exit status 1 on any mismatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/f16.h"
#include "common/lz_common.h"
#include "quant/quant.h"

static uint64_t g_rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static uint16_t pick_f16(int mode)
{
    switch (mode % 5) {
    case 0: return lz_f32_to_f16(((int)(rnd() % 2001) - 1000) * 1e-5f);
    case 1: { uint16_t h = (uint16_t)rnd(); return (h & 0x7c00) == 0x7c00 ? h ^ 0x4000 : h; }
    case 2: return (uint16_t)((rnd() & 0x83ff) | 1);     /* subnormal */
    case 3: return rnd() & 1 ? 0x7bff : 0xfbff;          /* largest */
    default: return 0;
    }
}

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

static void make_row(lz_type t, int64_t n, uint8_t *row, int variant)
{
    const lz_type_traits *tr = lz_type_get(t);
    if (tr->block_size == 1) {
        for (int64_t i = 0; i < n; i++) {
            const float v = ((int)(rnd() % 20001) - 10000) * 1e-3f;
            if (t == LZ_TYPE_F32) memcpy(row + 4 * i, &v, 4);
            else lz_wr16(row + 2 * i, t == LZ_TYPE_F16 ? (variant & 1 ? pick_f16((int)i) : lz_f32_to_f16(v)) : lz_f32_to_bf16(v));
        }
        return;
    }
    int off[2];
    const int nf = f16_fields(t, off);
    for (int64_t b = 0; b < n / tr->block_size; b++) {
        uint8_t *blk = row + b * tr->type_size;
        const int mode = (int)((b + variant) % 5);
        for (int i = 0; i < tr->type_size; i++)
            blk[i] = mode == 1 ? 0 : mode == 2 ? 0xff : mode == 3 ? 0x80 : (uint8_t)rnd();
        if (mode == 1) continue;
        for (int f = 0; f < nf; f++) lz_wr16(blk + off[f], pick_f16((int)(b * 3 + variant + f)));
    }
}

int main(void)
{
    static const lz_type types[] = {
        LZ_TYPE_F32, LZ_TYPE_F16, LZ_TYPE_BF16, LZ_TYPE_Q8_0, LZ_TYPE_Q4_0, LZ_TYPE_Q4_1, LZ_TYPE_Q5_0,
        LZ_TYPE_Q5_1, LZ_TYPE_Q2_K, LZ_TYPE_Q3_K, LZ_TYPE_Q4_K, LZ_TYPE_Q5_K, LZ_TYPE_Q6_K,
    };
    static const int64_t len_f[] = { 1, 31, 33, 640, 1000 }, len_32[] = { 32, 256, 640, 672 }, len_k[] = { 256, 1024, 2304 };
    if (!lz_cpu_isa_available(LZ_ISA_NEON)) {
        printf("NEON not available in this build: nothing checked\n");
        return 0;
    }
    int failures = 0;
    float *x = malloc(4096 * sizeof(float));
    uint8_t *w = malloc(4096 * 4), *a = lz_malloc_aligned(4096 * 4);
    for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
        const lz_type t = types[ti];
        const lz_type at = lz_type_get(t)->vec_dot_type;
        const int bs = lz_type_get(t)->block_size;
        const int64_t *lens = bs == 1 ? len_f : bs == 32 ? len_32 : len_k;
        const int nl = bs == 1 ? 5 : bs == 32 ? 4 : 3;
        lz_vec_dot_fn ref = lz_get_vec_dot(t, LZ_ISA_SCALAR), fn = lz_get_vec_dot(t, LZ_ISA_NEON);
        long checked = 0;
        for (int li = 0; li < nl; li++)
            for (int rep = 0; rep < 40; rep++) {
                const int64_t n = lens[li];
                make_row(t, n, w, rep);
                for (int64_t i = 0; i < n; i++) x[i] = ((int)(rnd() % 20001) - 10000) * (rep % 3 ? 1e-3f : 1e1f);
                if (rep % 4 == 1) memset(x, 0, 32 * sizeof(float));
                lz_quantize_act_row(at, x, a, n);
                float want, got;
                ref(n, &want, w, a);
                fn(n, &got, w, a);
                if (memcmp(&want, &got, 4) != 0) {
                    if (failures++ < 10)
                        printf("MISMATCH %s n=%lld rep %d: neon %.9g (0x%08x) reference %.9g (0x%08x)\n", lz_type_name(t),
                               (long long)n, rep, got, lz_f32_bits(got), want, lz_f32_bits(want));
                }
                checked++;
            }
        printf("neon %-5s vec_dot: %ld dot products %s%s\n", lz_type_name(t), checked,
               failures ? "checked" : "bit-identical to scalar", fn == ref ? " (scalar fallback)" : "");
    }
    free(x); free(w); lz_free_aligned(a);
    printf("%s\n", failures ? "FAILED" : "all NEON results bit-identical to the scalar reference");
    return failures ? 1 : 0;
}
