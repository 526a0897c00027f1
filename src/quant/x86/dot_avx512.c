/* dot_avx512.c - AVX-512 kernels (placeholder while the scalar path lands). */
#include "quant/quant_internal.h"

lz_vec_dot_fn lz_quant_avx512_vec_dot(lz_type type) { (void)type; return NULL; }

int lz_quant_avx512_gemm(lz_type type, int64_t n, const uint8_t *w, size_t row_bytes, int64_t n_rows,
                       const uint8_t *act, size_t act_bytes, int64_t n_cols, float *out, size_t out_stride)
{
    (void)type; (void)n; (void)w; (void)row_bytes; (void)n_rows; (void)act; (void)act_bytes;
    (void)n_cols; (void)out; (void)out_stride;
    return 0;
}
