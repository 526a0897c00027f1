/*
 * freq.c - logits -> integer frequencies (see freq.h, doc/coder.md).
 *
 * Three passes over the vocabulary, each in one fixed order:
 *   1. m = max of the sanitized logits;
 *   2. e_i = lz_expf(s_i - m), summed in double over 8 interleaved lanes
 *      (lane j takes i = j mod 8, in index order) combined pairwise, an
 *      order a vectorized implementation can keep;
 *   3. freq_i = 1 + trunc(e_i * scale), scale = (TARGET - n) / sum,
 *      and the prefix sums.
 * The total is then the exact integer sum, at most TARGET (+ a few units
 * of rounding, far inside the 2^20 margin).
 */
#include <float.h>
#include <math.h> /* INFINITY only: no libm call */
#include <stdlib.h>
#include <string.h>

#include "coder/freq.h"
#include "quant/kernels.h"
#include "common/lz_math.h"

#define FREQ_LANES 8
#define LOG2E 1.44269504088896340736

void lz_freq_init(lz_freq_table *t)
{
    memset(t, 0, sizeof(*t));
}

void lz_freq_free(lz_freq_table *t)
{
    if (!t) return;
    free(t->cum);
    free(t->e);
    lz_freq_init(t);
}

int lz_freq_reserve(lz_freq_table *t, uint32_t n_vocab, lz_err *err)
{
    if (n_vocab == 0 || n_vocab > LZ_FREQ_MAX_VOCAB)
        return lz_fail(err, LLAMAZIP_E_USAGE, "frequency table: vocabulary size %u not in [1, %u]",
                       n_vocab, LZ_FREQ_MAX_VOCAB);
    if (n_vocab <= t->cap) return 0;
    uint32_t *cum = malloc(((size_t)n_vocab + 1) * sizeof(*cum));
    float *e = malloc((size_t)n_vocab * sizeof(*e));
    if (!cum || !e) {
        free(cum);
        free(e);
        return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory for a frequency table of %u entries", n_vocab);
    }
    free(t->cum);
    free(t->e);
    t->cum = cum;
    t->e = e;
    t->cap = n_vocab;
    t->n_vocab = 0; /* the old table is gone */
    cum[0] = 0;
    return 0;
}

/* NaN -> -inf, +inf -> FLT_MAX; everything else unchanged. */
static inline float freq_sanitize(float x)
{
    if (x != x) return -INFINITY;
    if (x > FLT_MAX) return FLT_MAX;
    return x;
}

/* lz_expf(x) for x <= 0, as the same IEEE operations in the same order, so
 * the same bits (test_coder checks this against lz_expf). Here k is in
 * [-126, 0], so lz_expf's overflow and subnormal branches never apply, and
 * the whole function is branch-free and can be vectorized by the compiler:
 * it is the hot loop of the coder (~262k calls per token). */
static inline float freq_exp_nonpos(float x)
{
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693145751953125f;
    const float ln2_lo = 1.428606765330187045e-06f;
    /* Below -87.33654 lz_expf gives 0. The select is done on the bits (x
     * becomes +0, the result 0): a conditional around float operations
     * would stop GCC from vectorizing under -ftrapping-math. Replacing x
     * also keeps the float -> int conversion below defined. */
    const uint32_t keep = 0u - (uint32_t)(x >= -87.33654f);
    uint32_t xb;
    memcpy(&xb, &x, sizeof(xb));
    xb &= keep;
    float xs;
    memcpy(&xs, &xb, sizeof(xs));
    /* lz_expf rounds half away from zero; kf <= 0 here, and where kf is
     * +-0 both of its branches give k = 0, so only one branch remains */
    const float kf = xs * log2e;
    const int k = (int)(kf - 0.5f);
    const float r = (xs - (float)k * ln2_hi) - (float)k * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const uint32_t sbits = (uint32_t)(k + 127) << 23; /* 2^k, k in [-126, 0] */
    float scale;
    memcpy(&scale, &sbits, sizeof(scale));
    const float y = p * scale;
    uint32_t yb;
    memcpy(&yb, &y, sizeof(yb));
    yb &= keep;
    float out;
    memcpy(&out, &yb, sizeof(out));
    return out;
}

/* Pass 1 on 8 logits: running max per lane, and whether any is NaN/inf. */
static inline int freq_max_block(const float *restrict x, float *restrict lane)
{
    int bad = 0;
    for (int j = 0; j < FREQ_LANES; j++) {
        bad |= !(x[j] - x[j] == 0.0f); /* NaN or +-inf */
        lane[j] = x[j] > lane[j] ? x[j] : lane[j];
    }
    return bad;
}

/* Pass 1. Returns the max of the sanitized logits; *nonfinite tells whether
 * any logit needs sanitizing. The max does not depend on the order (no NaN
 * once sanitized; +0 and -0 lead to the same e_i), so lanes are fine. */
static float freq_max(const float *logits, uint32_t n, int *nonfinite)
{
    float lane[FREQ_LANES];
    int bad = 0;
    for (int j = 0; j < FREQ_LANES; j++) lane[j] = -FLT_MAX;
    uint32_t i = 0;
    for (; i + FREQ_LANES <= n; i += FREQ_LANES) bad |= freq_max_block(logits + i, lane);
    for (; i < n; i++) {
        const float x = logits[i];
        bad |= !(x - x == 0.0f);
        lane[0] = x > lane[0] ? x : lane[0];
    }
    float m = lane[0];
    for (int j = 1; j < FREQ_LANES; j++) m = lane[j] > m ? lane[j] : m;
    *nonfinite = bad;
    if (!bad) return m;
    m = -INFINITY;
    for (i = 0; i < n; i++) {
        const float x = freq_sanitize(logits[i]);
        m = x > m ? x : m;
    }
    return m;
}

/* Pass 2 on 8 (sanitized) logits. */
static inline void freq_exp_block(const float *restrict x, float m, float *restrict e)
{
    for (int j = 0; j < FREQ_LANES; j++) e[j] = freq_exp_nonpos(x[j] - m);
}

/* The canonical sum of e[0..n): lane j adds the e_i with i = j (mod 8) in
 * index order, starting from +0; then the lanes are added pairwise. */
static double freq_sum(const float *e, uint32_t n)
{
    double l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
    uint32_t i = 0;
    for (; i + FREQ_LANES <= n; i += FREQ_LANES) {
        l0 += (double)e[i + 0];
        l1 += (double)e[i + 1];
        l2 += (double)e[i + 2];
        l3 += (double)e[i + 3];
        l4 += (double)e[i + 4];
        l5 += (double)e[i + 5];
        l6 += (double)e[i + 6];
        l7 += (double)e[i + 7];
    }
    double lane[FREQ_LANES] = {l0, l1, l2, l3, l4, l5, l6, l7};
    for (int j = 0; i < n; i++, j++) lane[j] += (double)e[i];
    return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/* Pass 2: e_i = lz_expf(s_i - m) (all 1 if every logit is -inf/NaN), and their sum. */
static double freq_exp_sum(const float *logits, uint32_t n, float m, int nonfinite, float *e)
{
    if (m == -INFINITY) {
        for (uint32_t i = 0; i < n; i++) e[i] = 1.0f;
        return freq_sum(e, n);
    }
    uint32_t i = 0;
    if (!nonfinite) {
        for (; i + FREQ_LANES <= n; i += FREQ_LANES) freq_exp_block(logits + i, m, e + i);
    }
    for (; i < n; i += FREQ_LANES) { /* sanitized blocks, and the tail */
        float x[FREQ_LANES], ex[FREQ_LANES];
        const uint32_t len = LZ_MIN(n - i, (uint32_t)FREQ_LANES);
        for (uint32_t j = 0; j < FREQ_LANES; j++) x[j] = j < len ? freq_sanitize(logits[i + j]) : m; /* pad: d = 0 */
        freq_exp_block(x, m, ex);
        memcpy(e + i, ex, len * sizeof(*e));
    }
    return freq_sum(e, n);
}

/* ---------------------------------------------------------------- kernels (scalar references) */

float lz_freq_max_ref(const float *x, uint32_t n, int *nonfinite) { return freq_max(x, n, nonfinite); }

double lz_freq_exp_sum_ref(const float *x, uint32_t n, float m, float *e) { return freq_exp_sum(x, n, m, 0, e); }

static inline uint64_t freq_of(float e, double scale) { return 1 + (uint32_t)((double)e * scale); }

uint64_t lz_freq_total_ref(const float *e, uint32_t n, double scale, uint32_t upto, uint64_t *below)
{
    uint64_t lo = 0, hi = 0;
    for (uint32_t i = 0; i < upto; i++) lo += freq_of(e[i], scale);
    for (uint32_t i = upto; i < n; i++) hi += freq_of(e[i], scale);
    *below = lo;
    return lo + hi;
}

uint32_t lz_freq_find_ref(const float *e, uint32_t n, double scale, uint64_t target, uint64_t *low)
{
    uint64_t acc = 0;
    for (uint32_t i = 0; i + 1 < n; i++) {
        const uint64_t f = freq_of(e[i], scale);
        if (acc + f > target) {
            *low = acc;
            return i;
        }
        acc += f;
    }
    *low = acc;
    return n - 1;
}

/* Passes 1 and 2 with the given kernels (sanitized logits take the scalar path). */
static double freq_prepare(const lz_kernels *k, const float *logits, uint32_t n, float *e, float *max)
{
    int nonfinite;
    const float m = k->freq_max(logits, n, &nonfinite);
    *max = nonfinite ? freq_max(logits, n, &nonfinite) : m;
    if (nonfinite || *max == -INFINITY) return freq_exp_sum(logits, n, *max, nonfinite, e);
    return k->freq_exp_sum(logits, n, *max, e);
}

int lz_freq_slice_of(const lz_kernels *k, const float *logits, uint32_t n_vocab, uint32_t token, float *e,
                     lz_freq_slice *out)
{
    if (n_vocab == 0 || n_vocab > LZ_FREQ_MAX_VOCAB || token >= n_vocab) return LLAMAZIP_E_USAGE;
    float m;
    const double sum = freq_prepare(k, logits, n_vocab, e, &m);
    const double scale = (double)(LZ_FREQ_TARGET - n_vocab) / sum;
    uint64_t below;
    const uint64_t total = k->freq_total(e, n_vocab, scale, token, &below);
    const uint32_t own = (uint32_t)freq_of(e[token], scale);
    if (total > LZ_RC_TOTAL_MAX) return LLAMAZIP_E_INTERNAL; /* impossible, see lz_freq_from_logits */
    out->low = (uint32_t)below;
    out->freq = own;
    out->total = (uint32_t)total;
    const double log2_sum = lz_log(sum) * LOG2E;
    if (m == -INFINITY) {
        out->ideal_bits = lz_log((double)n_vocab) * LOG2E;
    } else {
        const float d = freq_sanitize(logits[token]) - m;
        out->ideal_bits = log2_sum - (double)d * LOG2E;
    }
    out->coded_bits = lz_log((double)total) * LOG2E - lz_log((double)own) * LOG2E;
    return 0;
}

int lz_freq_decode_logits(const lz_kernels *k, lz_rc_decoder *dec, const float *logits, uint32_t n_vocab, float *e,
                          int32_t *token)
{
    if (n_vocab == 0 || n_vocab > LZ_FREQ_MAX_VOCAB) return LLAMAZIP_E_USAGE;
    float m;
    const double sum = freq_prepare(k, logits, n_vocab, e, &m);
    const double scale = (double)(LZ_FREQ_TARGET - n_vocab) / sum;
    uint64_t below;
    const uint64_t total = k->freq_total(e, n_vocab, scale, 0, &below);
    if (total > LZ_RC_TOTAL_MAX) return LLAMAZIP_E_INTERNAL;
    const uint32_t target = lz_rc_dec_target(dec, (uint32_t)total);
    uint64_t low;
    const uint32_t tok = k->freq_find(e, n_vocab, scale, target, &low);
    lz_rc_dec_update(dec, (uint32_t)low, (uint32_t)freq_of(e[tok], scale));
    *token = (int32_t)tok;
    return 0;
}

int lz_freq_from_logits(const float *logits, uint32_t n_vocab, lz_freq_table *t)
{
    int rc = lz_freq_reserve(t, n_vocab, NULL);
    if (rc) return rc;
    int nonfinite;
    const float m = freq_max(logits, n_vocab, &nonfinite);
    const double sum = freq_exp_sum(logits, n_vocab, m, nonfinite, t->e);
    /* sum >= 1: the max contributes lz_expf(0) = 1 */
    const double scale = (double)(LZ_FREQ_TARGET - n_vocab) / sum;

    uint32_t *cum = t->cum;
    const float *e = t->e;
    uint64_t acc = 0;
    cum[0] = 0;
    for (uint32_t i = 0; i < n_vocab; i++) {
        acc += 1 + (uint32_t)((double)e[i] * scale);
        cum[i + 1] = (uint32_t)acc;
    }
    if (acc > LZ_RC_TOTAL_MAX) { /* impossible, see above */
        t->n_vocab = 0;
        return LLAMAZIP_E_INTERNAL;
    }

    t->n_vocab = n_vocab;
    t->max_logit = m;
    t->sum = sum;
    t->log2_sum = lz_log(sum) * LOG2E;
    t->log2_total = lz_log((double)acc) * LOG2E;
    return 0;
}

uint32_t lz_freq_lookup(const lz_freq_table *t, uint32_t target)
{
    const uint32_t *cum = t->cum;
    uint32_t lo = 0, hi = t->n_vocab; /* invariant: cum[lo] <= target < cum[hi] (or hi = n) */
    while (hi - lo > 1) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (cum[mid] <= target) lo = mid;
        else hi = mid;
    }
    return lo;
}

int lz_freq_encode_token(lz_rc_encoder *enc, const lz_freq_table *t, uint32_t token)
{
    if (token >= t->n_vocab) {
        if (!enc->status) enc->status = LLAMAZIP_E_USAGE;
        return enc->status;
    }
    return lz_rc_encode(enc, t->cum[token], t->cum[token + 1] - t->cum[token], lz_freq_total(t));
}

uint32_t lz_freq_decode_token(lz_rc_decoder *dec, const lz_freq_table *t)
{
    const uint32_t target = lz_rc_dec_target(dec, lz_freq_total(t));
    const uint32_t token = lz_freq_lookup(t, target);
    lz_rc_dec_update(dec, t->cum[token], t->cum[token + 1] - t->cum[token]);
    return token;
}

double lz_freq_ideal_bits(const lz_freq_table *t, const float *logits, uint32_t token)
{
    if (t->max_logit == -INFINITY) return lz_log((double)t->n_vocab) * LOG2E;
    const float d = freq_sanitize(logits[token]) - t->max_logit;
    return t->log2_sum - (double)d * LOG2E; /* d = -inf gives +inf */
}

double lz_freq_coded_bits(const lz_freq_table *t, uint32_t token)
{
    return t->log2_total - lz_log((double)lz_freq_of(t, token)) * LOG2E;
}
