/*
 * ops_neon.c - AArch64 Advanced SIMD versions of the forward pass's float
 * kernels (ops_ref.c) and of the coder's frequency passes (coder/freq.c):
 * the attention's f16 dot product, exponentials and weighted V sum, the
 * gated activations, and max / exp-sum / integer frequency sums.
 *
 * The same operations as the scalar reference in the same order, as in
 * x86/ops_avx2.c: eight float32x4 accumulators hold the reference's
 * acc[0..31] (element i goes to lane i % 32), multiply then add (vmulq +
 * vaddq, never vfmaq: GCC would contract a*b + c into FMLA on AArch64 but
 * the build passes -ffp-contract=off, and no fused intrinsic is used), f16
 * widened exactly by FCVTL, and the reference's halving reduction pair by
 * pair. Selections that the reference writes as "x > m ? x : m" are
 * compare + bit select here, never FMAX/FMIN, whose NaN and signed-zero
 * rules differ from the C expression.
 */
#include <arm_neon.h>
#include <string.h>

#include "common/f16.h"
#include "coder/freq.h"
#include "quant/kernels.h"
#include "quant/quant_internal.h"

static inline float32x4_t load4_f16(const uint16_t *k) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(k))); }

/* The reference's reduction of acc[0..31] held in a[0..7] (a[v] = lanes
 * 4v..4v+3): h = 16, 8, 4 add whole vectors, h = 2 the two halves, h = 1
 * the last pair. */
static inline float reduce32(float32x4_t a[8])
{
    for (int v = 0; v < 4; v++) a[v] = vaddq_f32(a[v], a[v + 4]);   /* h = 16 */
    for (int v = 0; v < 2; v++) a[v] = vaddq_f32(a[v], a[v + 2]);   /* h = 8 */
    const float32x4_t u = vaddq_f32(a[0], a[1]);                    /* h = 4 */
    const float32x2_t p = vadd_f32(vget_low_f32(u), vget_high_f32(u)); /* h = 2 */
    return vget_lane_f32(p, 0) + vget_lane_f32(p, 1);               /* h = 1 */
}

static float dot_f16_neon(const float *q, const uint16_t *k, uint32_t n)
{
    float32x4_t a[8];
    for (int v = 0; v < 8; v++) a[v] = vdupq_n_f32(0.0f);
    uint32_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int v = 0; v < 8; v++) a[v] = vaddq_f32(a[v], vmulq_f32(vld1q_f32(q + i + 4 * v), load4_f16(k + i + 4 * v)));
    for (; i + 4 <= n; i += 4) {
        const int v = (int)(i % 32) / 4;
        a[v] = vaddq_f32(a[v], vmulq_f32(vld1q_f32(q + i), load4_f16(k + i)));
    }
    if (i < n) { /* scalar tail into the same lanes */
        float t[32];
        for (int v = 0; v < 8; v++) vst1q_f32(t + 4 * v, a[v]);
        for (; i < n; i++) t[i % 32] = t[i % 32] + q[i] * lz_f16_to_f32(k[i]);
        for (int v = 0; v < 8; v++) a[v] = vld1q_f32(t + 4 * v);
    }
    return reduce32(a);
}

/*
 * lz_expf (src/common/lz_math.c) for 4 arguments in [-87.33654, 88], where
 * it takes its main path: the same float operations in the same order
 * (x86/ops_avx2.c's exp_core_avx2 has the derivation). Rounding half away
 * from zero is "truncate x*log2e -/+ 0.5": FCVTZS truncates like the C
 * cast; the scale 2^k is built from its exponent bits.
 */
static inline float32x4_t exp_core(float32x4_t x)
{
    const float32x4_t log2e = vdupq_n_f32(1.44269504088896341f);
    const float32x4_t ln2_hi = vdupq_n_f32(0.693145751953125f);
    const float32x4_t ln2_lo = vdupq_n_f32(1.428606765330187045e-06f);
    const float32x4_t half = vdupq_n_f32(0.5f);
    const float32x4_t v = vmulq_f32(x, log2e);
    const uint32x4_t nonneg = vcgeq_f32(v, vdupq_n_f32(0.0f));
    const float32x4_t shifted = vbslq_f32(nonneg, vaddq_f32(v, half), vsubq_f32(v, half));
    const int32x4_t k = vcvtq_s32_f32(shifted);
    const float32x4_t kf = vcvtq_f32_s32(k);
    const float32x4_t r = vsubq_f32(vsubq_f32(x, vmulq_f32(kf, ln2_hi)), vmulq_f32(kf, ln2_lo));
    float32x4_t p = vdupq_n_f32(1.0f / 5040.0f);
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(1.0f / 720.0f));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(1.0f / 120.0f));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(1.0f / 24.0f));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(1.0f / 6.0f));
    p = vaddq_f32(vmulq_f32(p, r), half);
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(1.0f));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(1.0f));
    const float32x4_t scale = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k, vdupq_n_s32(127)), 23));
    return vmulq_f32(p, scale);
}

/* Arguments below -87.33654 give 0, as lz_expf does. */
static inline float32x4_t exp_nonpos(float32x4_t x)
{
    const uint32x4_t under = vcltq_f32(x, vdupq_n_f32(-87.33654f));
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(exp_core(x)), under));
}

static void exp_sum_neon(float *x, uint32_t n, float max, double *sum)
{
    double s = *sum;
    const float32x4_t mv = vdupq_n_f32(max);
    uint32_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const float32x4_t d = vsubq_f32(vld1q_f32(x + j), mv);
        /* every lane <= 0 (those below -87.33654 give 0): else the scalar path (NaN included) */
        if (vminvq_u32(vcleq_f32(d, vdupq_n_f32(0.0f))) == 0) break;
        vst1q_f32(x + j, exp_nonpos(d));
        for (int l = 0; l < 4; l++) s += (double)x[j + l];
    }
    *sum = s;
    lz_op_exp_sum_ref(x + j, n - j, max, sum);
}

static void exp_sum_rows_neon(float *x, size_t stride, uint32_t R, const uint32_t *n, const float *max, double *sum)
{
    for (uint32_t r = 0; r < R; r++) exp_sum_neon(x + r * stride, n[r], max[r], &sum[r]);
}

/* The same slice of the row one tile of rows ahead: a pass over a tile
 * reads a short piece of each strided row, which the hardware prefetchers
 * follow poorly from memory (as in ops_avx512.c; prefetches change no bit). */
static inline void prefetch_next_tile(const uint16_t *vj, size_t stride, uint32_t bytes)
{
    const char *p = (const char *)(vj + (size_t)LZ_WSUM_TILE * stride);
    for (uint32_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b);
}

/* Blocks of 64 outputs stay in 16 registers while the rows stream past, in
 * tiles of LZ_WSUM_TILE rows so that each block rereads a tile from L2 (every
 * output still adds its rows in ascending order). */
static void wsum_f16_neon(float *y, const float *w, const uint16_t *v, size_t stride, uint32_t n_rows, uint32_t n)
{
    const uint32_t n64 = n / 64 * 64;
    for (uint32_t j0 = 0; j0 < n_rows && n64; j0 += LZ_WSUM_TILE) {
        const uint32_t j1 = n_rows - j0 < LZ_WSUM_TILE ? n_rows : j0 + LZ_WSUM_TILE;
        for (uint32_t i = 0; i < n64; i += 64) {
            float32x4_t a[16];
            for (int r = 0; r < 16; r++) a[r] = vld1q_f32(y + i + 4 * r);
            for (uint32_t j = j0; j < j1; j++) {
                const float32x4_t wj = vdupq_n_f32(w[j]);
                const uint16_t *vj = v + (size_t)j * stride + i;
                prefetch_next_tile(vj, stride, 128);
                for (int r = 0; r < 16; r++) a[r] = vaddq_f32(a[r], vmulq_f32(wj, load4_f16(vj + 4 * r)));
            }
            for (int r = 0; r < 16; r++) vst1q_f32(y + i + 4 * r, a[r]);
        }
    }
    uint32_t i = n64;
    for (; i + 4 <= n; i += 4) {
        float32x4_t a = vld1q_f32(y + i);
        for (uint32_t j = 0; j < n_rows; j++)
            a = vaddq_f32(a, vmulq_f32(vdupq_n_f32(w[j]), load4_f16(v + (size_t)j * stride + i)));
        vst1q_f32(y + i, a);
    }
    if (i < n) lz_op_wsum_f16_ref(y + i, w, v + i, stride, n_rows, n - i);
}

/* lz_tanhf: odd Taylor series below 1/16, 1 - 2/(e^(2|x|) + 1) up to 9, +-1
 * beyond; the sign restored as lz_tanhf does (x < 0 ? -t : t). */
static inline float32x4_t tanh_neon(float32x4_t x)
{
    const float32x4_t zero = vdupq_n_f32(0.0f), one = vdupq_n_f32(1.0f);
    const uint32x4_t neg = vcltq_f32(x, zero);
    const float32x4_t ax = vbslq_f32(neg, vnegq_f32(x), x);
    const float32x4_t x2 = vmulq_f32(ax, ax);
    float32x4_t p = vdupq_n_f32(62.0f / 2835.0f);
    p = vsubq_f32(vmulq_f32(p, x2), vdupq_n_f32(17.0f / 315.0f));
    p = vaddq_f32(vmulq_f32(p, x2), vdupq_n_f32(2.0f / 15.0f));
    p = vsubq_f32(vmulq_f32(p, x2), vdupq_n_f32(1.0f / 3.0f));
    const float32x4_t t_small = vaddq_f32(ax, vmulq_f32(ax, vmulq_f32(x2, p)));
    /* the clamp only keeps exp_core in range for lanes the selects below discard */
    const float32x4_t e = exp_core(vminq_f32(vmulq_f32(vdupq_n_f32(2.0f), ax), vdupq_n_f32(18.0f)));
    const float32x4_t t_mid = vsubq_f32(one, vdivq_f32(vdupq_n_f32(2.0f), vaddq_f32(e, one)));
    float32x4_t t = vbslq_f32(vcltq_f32(ax, vdupq_n_f32(0.0625f)), t_small, t_mid);
    t = vbslq_f32(neg, vnegq_f32(t), t);
    t = vbslq_f32(vcgtq_f32(x, vdupq_n_f32(9.0f)), one, t);
    return vbslq_f32(vcltq_f32(x, vdupq_n_f32(-9.0f)), vdupq_n_f32(-1.0f), t);
}

/* whether any lane is NaN */
static inline int any_nan(float32x4_t x) { return vminvq_u32(vceqq_f32(x, x)) == 0; }

static void gated_act_neon(float *gate, const float *up, uint32_t n, lz_ffn_act act)
{
    uint32_t i = 0;
    if (act == LZ_FFN_GELU_TANH) {
        const float32x4_t s2pi = vdupq_n_f32(0.79788456080286535588f), ca = vdupq_n_f32(0.044715f);
        const float32x4_t one = vdupq_n_f32(1.0f), half = vdupq_n_f32(0.5f);
        for (; i + 4 <= n; i += 4) {
            const float32x4_t x = vld1q_f32(gate + i);
            if (any_nan(x)) break; /* NaN: scalar */
            /* inner = sqrt_2_over_pi * x * (1 + coef_a * x * x), left to right */
            const float32x4_t inner = vmulq_f32(vmulq_f32(s2pi, x), vaddq_f32(one, vmulq_f32(vmulq_f32(ca, x), x)));
            if (any_nan(inner)) break;
            const float32x4_t g = vmulq_f32(vmulq_f32(half, x), vaddq_f32(one, tanh_neon(inner)));
            vst1q_f32(gate + i, vmulq_f32(g, vld1q_f32(up + i)));
        }
    } else {
        const float32x4_t one = vdupq_n_f32(1.0f);
        /* up to 88 only: above ~88.37, lz_expf's k reaches 128 and takes its overflow-safe branch */
        const float32x4_t lo = vdupq_n_f32(-87.33654f), hi = vdupq_n_f32(88.0f);
        for (; i + 4 <= n; i += 4) {
            const float32x4_t x = vld1q_f32(gate + i);
            const float32x4_t nx = vnegq_f32(x);
            /* lz_expf's main path only (else, and for NaN, the scalar code) */
            if (vminvq_u32(vandq_u32(vcgeq_f32(nx, lo), vcleq_f32(nx, hi))) == 0) break;
            const float32x4_t s = vdivq_f32(x, vaddq_f32(one, exp_core(nx)));
            vst1q_f32(gate + i, vmulq_f32(s, vld1q_f32(up + i)));
        }
    }
    if (i < n) lz_op_gated_act(gate + i, up + i, n - i, act);
}

/* ---------------------------------------------------------------- grouped attention */

/* Two queries at a time share each converted chunk of the key row; other
 * head sizes and the last odd query use dot_f16_neon (any n). */
static void attn_scores_neon(const float *const *q, int G, const uint16_t *k, size_t stride, uint32_t n_rows, uint32_t n,
                             float scale, float *scores, size_t scores_stride)
{
    int g = 0;
    if (n % 32 == 0)
        for (; g + 2 <= G; g += 2) {
            const float *q0 = q[g], *q1 = q[g + 1];
            for (uint32_t j = 0; j < n_rows; j++) {
                const uint16_t *kr = k + (size_t)j * stride;
                float32x4_t a[8], b[8];
                for (int v = 0; v < 8; v++) a[v] = b[v] = vdupq_n_f32(0.0f);
                for (uint32_t i = 0; i < n; i += 32)
                    for (int v = 0; v < 8; v++) {
                        const float32x4_t kv = load4_f16(kr + i + 4 * v);
                        a[v] = vaddq_f32(a[v], vmulq_f32(vld1q_f32(q0 + i + 4 * v), kv));
                        b[v] = vaddq_f32(b[v], vmulq_f32(vld1q_f32(q1 + i + 4 * v), kv));
                    }
                scores[(size_t)g * scores_stride + j] = reduce32(a) * scale;
                scores[(size_t)(g + 1) * scores_stride + j] = reduce32(b) * scale;
            }
        }
    for (; g < G; g++)
        for (uint32_t j = 0; j < n_rows; j++)
            scores[(size_t)g * scores_stride + j] = dot_f16_neon(q[g], k + (size_t)j * stride, n) * scale;
}

/* 32 outputs of two queries stay in 16 registers while the rows stream past;
 * each converted chunk of a value row serves both. */
static void attn_wsum_neon(float *const *y, const float *const *w, int G, const uint16_t *v, size_t stride,
                           uint32_t n_rows, uint32_t n)
{
    int g = 0;
    if (n % 32 == 0)
        for (; g + 2 <= G; g += 2) {
            float *y0 = y[g], *y1 = y[g + 1];
            const float *w0 = w[g], *w1 = w[g + 1];
            for (uint32_t j0 = 0; j0 < n_rows; j0 += LZ_WSUM_TILE) {   /* tiles of rows, as above */
                const uint32_t j1 = n_rows - j0 < LZ_WSUM_TILE ? n_rows : j0 + LZ_WSUM_TILE;
                for (uint32_t i = 0; i < n; i += 32) {
                    float32x4_t a[8], b[8];
                    for (int r = 0; r < 8; r++) {
                        a[r] = vld1q_f32(y0 + i + 4 * r);
                        b[r] = vld1q_f32(y1 + i + 4 * r);
                    }
                    for (uint32_t j = j0; j < j1; j++) {
                        const float32x4_t c0 = vdupq_n_f32(w0[j]), c1 = vdupq_n_f32(w1[j]);
                        const uint16_t *vj = v + (size_t)j * stride + i;
                        prefetch_next_tile(vj, stride, 64);
                        for (int r = 0; r < 8; r++) {
                            const float32x4_t vv = load4_f16(vj + 4 * r);
                            a[r] = vaddq_f32(a[r], vmulq_f32(c0, vv));
                            b[r] = vaddq_f32(b[r], vmulq_f32(c1, vv));
                        }
                    }
                    for (int r = 0; r < 8; r++) {
                        vst1q_f32(y0 + i + 4 * r, a[r]);
                        vst1q_f32(y1 + i + 4 * r, b[r]);
                    }
                }
            }
        }
    for (; g < G; g++) wsum_f16_neon(y[g], w[g], v, stride, n_rows, n);
}

/* ---------------------------------------------------------------- frequencies (coder/freq.c) */

/* The reference's 8 lanes (i % 8) in two vectors: lane = x > lane ? x : lane
 * (a compare and a select, so NaN and -0/+0 keep the lane as in C). */
static float freq_max_neon(const float *x, uint32_t n, int *nonfinite)
{
    float32x4_t m0 = vdupq_n_f32(-3.40282347e38f), m1 = m0;
    uint32x4_t bad = vdupq_n_u32(0);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);
        /* x - x == 0 fails for NaN and +-inf */
        bad = vorrq_u32(bad, vmvnq_u32(vceqq_f32(vsubq_f32(v0, v0), vdupq_n_f32(0.0f))));
        bad = vorrq_u32(bad, vmvnq_u32(vceqq_f32(vsubq_f32(v1, v1), vdupq_n_f32(0.0f))));
        m0 = vbslq_f32(vcgtq_f32(v0, m0), v0, m0);
        m1 = vbslq_f32(vcgtq_f32(v1, m1), v1, m1);
    }
    float lane[8];
    vst1q_f32(lane, m0);
    vst1q_f32(lane + 4, m1);
    int b = vmaxvq_u32(bad) != 0;
    for (; i < n; i++) {
        b |= !(x[i] - x[i] == 0.0f);
        lane[0] = x[i] > lane[0] ? x[i] : lane[0];
    }
    float r = lane[0];
    for (int j = 1; j < 8; j++) r = lane[j] > r ? lane[j] : r;
    if (b) return lz_freq_max_ref(x, n, nonfinite);
    *nonfinite = 0;
    return r;
}

/* e = exp(x - m) by exp_nonpos; the sum in double, lane i % 8 in index
 * order (four float64x2: lanes 0-1, 2-3, 4-5, 6-7), lanes added pairwise. */
static double freq_exp_sum_neon(const float *x, uint32_t n, float m, float *e)
{
    const float32x4_t mv = vdupq_n_f32(m);
    float64x2_t l01 = vdupq_n_f64(0.0), l23 = l01, l45 = l01, l67 = l01;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t e0 = exp_nonpos(vsubq_f32(vld1q_f32(x + i), mv));
        const float32x4_t e1 = exp_nonpos(vsubq_f32(vld1q_f32(x + i + 4), mv));
        vst1q_f32(e + i, e0);
        vst1q_f32(e + i + 4, e1);
        l01 = vaddq_f64(l01, vcvt_f64_f32(vget_low_f32(e0)));
        l23 = vaddq_f64(l23, vcvt_high_f64_f32(e0));
        l45 = vaddq_f64(l45, vcvt_f64_f32(vget_low_f32(e1)));
        l67 = vaddq_f64(l67, vcvt_high_f64_f32(e1));
    }
    double lane[8];
    vst1q_f64(lane, l01);
    vst1q_f64(lane + 2, l23);
    vst1q_f64(lane + 4, l45);
    vst1q_f64(lane + 6, l67);
    if (i < n) { /* the tail, by the reference */
        lz_freq_exp_sum_ref(x + i, n - i, m, e + i);
        for (uint32_t j = 0; i + j < n; j++) lane[j] += (double)e[i + j];
    }
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/* 1 + (uint32_t)(e * scale) for 4 e, as two uint64x2 added: FCVTZU truncates
 * toward zero like the C conversion (the product is below 2^32). */
static inline uint64x2_t freq_of4(float32x4_t e, float64x2_t scale)
{
    const uint64x2_t lo = vcvtq_u64_f64(vmulq_f64(vcvt_f64_f32(vget_low_f32(e)), scale));
    const uint64x2_t hi = vcvtq_u64_f64(vmulq_f64(vcvt_high_f64_f32(e), scale));
    return vaddq_u64(vaddq_u64(lo, hi), vdupq_n_u64(2));
}

static uint64_t freq_sum_range(const float *e, uint32_t from, uint32_t to, double scale)
{
    const float64x2_t sc = vdupq_n_f64(scale);
    uint64x2_t acc = vdupq_n_u64(0);
    uint32_t i = from;
    for (; i + 8 <= to; i += 8)
        acc = vaddq_u64(acc, vaddq_u64(freq_of4(vld1q_f32(e + i), sc), freq_of4(vld1q_f32(e + i + 4), sc)));
    uint64_t s = vaddvq_u64(acc), dummy;
    if (i < to) s += lz_freq_total_ref(e + i, to - i, scale, 0, &dummy);
    return s;
}

static uint64_t freq_total_neon(const float *e, uint32_t n, double scale, uint32_t upto, uint64_t *below)
{
    *below = freq_sum_range(e, 0, upto, scale);
    return *below + freq_sum_range(e, upto, n, scale);
}

static uint32_t freq_find_neon(const float *e, uint32_t n, double scale, uint64_t target, uint64_t *low)
{
    const float64x2_t sc = vdupq_n_f64(scale);
    uint64_t acc = 0;
    uint32_t i = 0;
    for (; i + 8 < n; i += 8) { /* whole chunks before the last element */
        const uint64_t s = vaddvq_u64(vaddq_u64(freq_of4(vld1q_f32(e + i), sc), freq_of4(vld1q_f32(e + i + 4), sc)));
        if (acc + s > target) break;
        acc += s;
    }
    uint64_t sub;
    const uint32_t j = lz_freq_find_ref(e + i, n - i, scale, target - acc, &sub);
    *low = acc + sub;
    return i + j;
}

void lz_ops_fill_neon(lz_kernels *k)
{
    k->dot_f16 = dot_f16_neon;
    k->exp_sum = exp_sum_neon;
    k->exp_sum_rows = exp_sum_rows_neon;
    k->wsum_f16 = wsum_f16_neon;
    k->gated_act = gated_act_neon;
    k->attn_scores = attn_scores_neon;
    k->attn_wsum = attn_wsum_neon;
    k->freq_max = freq_max_neon;
    k->freq_exp_sum = freq_exp_sum_neon;
    k->freq_total = freq_total_neon;
    k->freq_find = freq_find_neon;
}
