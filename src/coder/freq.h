/*
 * freq.h - the model's next-token logits as integer frequencies for the
 * range coder (the mapping is specified exactly in doc/coder.md).
 *
 *   every token gets a frequency >= 1 (any token stays codable),
 *   total <= LZ_FREQ_TARGET < 2^32 (and > LZ_FREQ_TARGET - 2 * n_vocab),
 *   the result depends only on the logits' bit patterns: IEEE float/double
 *   + - * / and lz_expf, in one fixed order, on every machine.
 *
 * Non-finite logits: NaN counts as -inf; +inf counts as FLT_MAX (so +inf
 * tokens share the mass of the most likely token); -inf gets frequency 1.
 * If no logit is above -inf, every token gets the same frequency.
 */
#ifndef LZ_FREQ_H
#define LZ_FREQ_H

#include <stdint.h>

#include "coder/rangecoder.h"

/* Frequencies are scaled so the total comes out just below this; the
 * 2^20 margin absorbs the rounding of the double sums (< 2^-30 relative). */
#define LZ_FREQ_TARGET (0xFFFFFFFFu - (1u << 20))
#define LZ_FREQ_MAX_VOCAB (1u << 24)

typedef struct {
    uint32_t n_vocab;   /* tokens in the current table */
    uint32_t cap;       /* tokens the buffers hold */
    uint32_t *cum;      /* n_vocab + 1 entries: cum[i] = freq of tokens 0..i-1, cum[n_vocab] = total */
    float *e;           /* scratch: exp(logit - max) per token */
    float max_logit;    /* after sanitizing; -inf means "all equal" */
    double sum;         /* canonical sum of e (see doc/coder.md) */
    double log2_sum;    /* log2(sum), for lz_freq_ideal_bits */
    double log2_total;  /* log2(total), for lz_freq_coded_bits */
} lz_freq_table;

/*! lz_freq_init() : an empty table; buffers are allocated on first use. */
void lz_freq_init(lz_freq_table *t);
void lz_freq_free(lz_freq_table *t);

/*! lz_freq_reserve() : make room for `n_vocab` tokens (optional: lz_freq_from_logits grows too).
 *  @return 0, LLAMAZIP_E_USAGE (n_vocab 0 or > LZ_FREQ_MAX_VOCAB), LLAMAZIP_E_NOMEM. */
int lz_freq_reserve(lz_freq_table *t, uint32_t n_vocab, lz_err *err);

/*! lz_freq_from_logits() :
 *  Fill `t` with the frequencies of `n_vocab` logits.
 *  @return 0, LLAMAZIP_E_USAGE (n_vocab 0 or > LZ_FREQ_MAX_VOCAB) or LLAMAZIP_E_NOMEM. */
int lz_freq_from_logits(const float *logits, uint32_t n_vocab, lz_freq_table *t);

static inline uint32_t lz_freq_total(const lz_freq_table *t) { return t->cum[t->n_vocab]; }
/* token < n_vocab (unchecked) */
static inline uint32_t lz_freq_cum(const lz_freq_table *t, uint32_t token) { return t->cum[token]; }
static inline uint32_t lz_freq_of(const lz_freq_table *t, uint32_t token)
{
    return t->cum[token + 1] - t->cum[token];
}

/* What coding one known token needs, without building the table: the
 * token's slice [low, low + freq) of [0, total), the same integers as
 * lz_freq_from_logits's cum[] gives, and the statistics. */
typedef struct {
    uint32_t low, freq, total;
    double ideal_bits;   /* as lz_freq_ideal_bits */
    double coded_bits;   /* as lz_freq_coded_bits */
} lz_freq_slice;

struct lz_kernels;

/*! lz_freq_slice_of() : the slice of `token` (< n_vocab) under `n_vocab`
 *  logits, computed with the kernels `k` (quant/kernels.h; every level
 *  gives the same integers); `e` is scratch for n_vocab floats. Rows are
 *  independent, so several can be computed at once on different threads.
 *  @return 0, LLAMAZIP_E_USAGE (n_vocab 0 or too large, token out of range). */
int lz_freq_slice_of(const struct lz_kernels *k, const float *logits, uint32_t n_vocab, uint32_t token, float *e,
                     lz_freq_slice *out);

/*! lz_freq_decode_logits() : decode one token with the frequencies of
 *  `n_vocab` logits, without building a table (the same token and decoder
 *  state as lz_freq_from_logits + lz_freq_decode_token); `e` is scratch for
 *  n_vocab floats. Problems show up in dec->corrupt.
 *  @return 0 or LLAMAZIP_E_USAGE. */
int lz_freq_decode_logits(const struct lz_kernels *k, lz_rc_decoder *dec, const float *logits, uint32_t n_vocab,
                          float *e, int32_t *token);

/* The scalar references of the kernel table's frequency entries. */
float lz_freq_max_ref(const float *x, uint32_t n, int *nonfinite);
double lz_freq_exp_sum_ref(const float *x, uint32_t n, float m, float *e);
uint64_t lz_freq_total_ref(const float *e, uint32_t n, double scale, uint32_t upto, uint64_t *below);
uint32_t lz_freq_find_ref(const float *e, uint32_t n, double scale, uint64_t target, uint64_t *low);

/*! lz_freq_lookup() : the token whose slice [cum, cum + freq) holds
 *  `target`; a target >= total gives the last token. O(log n_vocab). */
uint32_t lz_freq_lookup(const lz_freq_table *t, uint32_t target);

/*! lz_freq_encode_token() : code `token` (< n_vocab, else LLAMAZIP_E_USAGE) with the table. */
int lz_freq_encode_token(lz_rc_encoder *enc, const lz_freq_table *t, uint32_t token);

/*! lz_freq_decode_token() : decode one token with the table (always < n_vocab;
 *  problems show up in dec->corrupt). */
uint32_t lz_freq_decode_token(lz_rc_decoder *dec, const lz_freq_table *t);

/*! lz_freq_ideal_bits() : -log2 p(token) under the model's softmax
 *  (the table's own exp values, so close to but not bit-exact with a
 *  float64 softmax), for statistics. `logits` are those of the table;
 *  a -inf/NaN logit gives +inf. */
double lz_freq_ideal_bits(const lz_freq_table *t, const float *logits, uint32_t token);

/*! lz_freq_coded_bits() : -log2(freq / total), what coding `token` costs. */
double lz_freq_coded_bits(const lz_freq_table *t, uint32_t token);

#endif /* LZ_FREQ_H */
