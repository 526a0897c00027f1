/*
 * rangecoder.h - byte-oriented range coder with a 64-bit low and range.
 *
 * A symbol is coded as a slice [cum, cum + freq) of [0, total), with
 * 1 <= freq, cum + freq <= total, 1 <= total <= 2^32 - 1. The range never
 * drops below 2^56 between symbols, so each symbol loses at most a factor
 * (1 - total / 2^56) > 1 - 2^-24 of its probability: under 1e-7 bits.
 * The exact arithmetic is specified in doc/coder.md.
 *
 * Encoder: writes to a growable memory buffer; a carry out of `low` is
 * propagated into the bytes already written. Allocation failure makes the
 * encoder fail sticky (every later call returns LLAMAZIP_E_NOMEM).
 *
 * Decoder: never allocates and never reads outside the input. Bytes past
 * the end read as zero and are counted, so the caller can tell truncation;
 * a target that no valid stream could produce is clamped and raises the
 * `corrupt` flag. lz_rc_dec_finish() checks that the stream had exactly the
 * length the encoder would have produced.
 */
#ifndef LZ_RANGECODER_H
#define LZ_RANGECODER_H

#include <stddef.h>
#include <stdint.h>

#include "common/lz_common.h"

#define LZ_RC_TOTAL_MAX 0xFFFFFFFFu /* largest frequency total */
#define LZ_RC_BITS_MAX 32           /* most bits per lz_rc_enc_bits call */

typedef struct {
    uint64_t low;        /* bottom of the interval, bits below the written bytes */
    uint64_t range;      /* width of the interval, >= 2^56 between symbols */
    uint8_t *buf;        /* bytes written so far (owned) */
    size_t size;
    size_t cap;
    int status;          /* 0, or the first error (sticky) */
    uint64_t n_carry;    /* carries propagated into written bytes (statistics) */
    size_t carry_run_max;/* longest run of 0xFF bytes a carry walked over */
} lz_rc_encoder;

typedef struct {
    const uint8_t *src;
    size_t size;
    size_t pos;
    uint64_t code;       /* value - low, within the current 64-bit window */
    uint64_t range;
    uint64_t low;        /* mirrors the encoder's low (for the end check) */
    uint64_t r;          /* range / total of the pending symbol */
    uint64_t total;      /* total of the pending symbol, 0 if none */
    uint64_t overread;   /* zero bytes supplied past the end of the input */
    int corrupt;         /* set once the stream proved invalid */
} lz_rc_decoder;

/* ---------------------------------------------------------------- encoder */

/*! lz_rc_enc_init() : an empty encoder (no allocation yet). */
void lz_rc_enc_init(lz_rc_encoder *enc);

/*! lz_rc_enc_reset() : start a new stream, keeping the buffer's memory. */
void lz_rc_enc_reset(lz_rc_encoder *enc);

/*! lz_rc_enc_free() : release the buffer (accepts NULL / a detached encoder). */
void lz_rc_enc_free(lz_rc_encoder *enc);

/*! lz_rc_encode() :
 *  Code the slice [cum, cum + freq) of [0, total).
 *  @return 0, LLAMAZIP_E_USAGE for an invalid slice, LLAMAZIP_E_NOMEM.
 *  Errors are sticky: the stream is then unusable. */
int lz_rc_encode(lz_rc_encoder *enc, uint32_t cum, uint32_t freq, uint32_t total);

/*! lz_rc_enc_bits() : code `value` (< 2^nbits, 1 <= nbits <= 32) uniformly. */
int lz_rc_enc_bits(lz_rc_encoder *enc, uint32_t value, unsigned nbits);

/*! lz_rc_enc_finish() :
 *  Write the final 0 or 1 byte. The stream is then enc->buf[0 .. enc->size).
 *  @return enc->status (describing it in `err`, which may be NULL). */
int lz_rc_enc_finish(lz_rc_encoder *enc, lz_err *err);

/*! lz_rc_enc_detach() : take ownership of the finished bytes (free with free());
 *  the encoder is left empty. May return NULL when the stream is empty. */
uint8_t *lz_rc_enc_detach(lz_rc_encoder *enc, size_t *size);

/* ---------------------------------------------------------------- decoder */

/*! lz_rc_dec_init() : start decoding `size` bytes at `src` (src may be NULL if size is 0). */
void lz_rc_dec_init(lz_rc_decoder *dec, const uint8_t *src, size_t size);

/*! lz_rc_dec_target() :
 *  First half of decoding a symbol coded with `total`: a value in
 *  [0, total) that lies in the coded symbol's slice [cum, cum + freq).
 *  Look the symbol up, then call lz_rc_dec_update() with its slice.
 *  Never fails: on a corrupt stream the target is clamped and
 *  dec->corrupt is set. */
uint32_t lz_rc_dec_target(lz_rc_decoder *dec, uint32_t total);

/*! lz_rc_dec_update() : consume the symbol [cum, cum + freq) found from the
 *  last target. An inconsistent slice sets dec->corrupt (no other harm). */
void lz_rc_dec_update(lz_rc_decoder *dec, uint32_t cum, uint32_t freq);

/*! lz_rc_dec_bits() : the counterpart of lz_rc_enc_bits(). */
uint32_t lz_rc_dec_bits(lz_rc_decoder *dec, unsigned nbits);

/*! lz_rc_dec_truncated() : non-zero once the decoder has read more zero
 *  bytes past the end than any valid stream needs: the input is certainly
 *  truncated (or the decoded symbols are already wrong). Cheap; callers may
 *  poll it to stop early. */
static inline int lz_rc_dec_truncated(const lz_rc_decoder *dec) { return dec->overread > 8; }

/*! lz_rc_dec_finish() :
 *  After the last symbol: checks that no invalid state was seen and that
 *  the input had exactly the length the encoder produces for the decoded
 *  symbols.
 *  @return 0, LLAMAZIP_E_TRUNCATED (input shorter) or LLAMAZIP_E_CORRUPT
 *  (invalid target/slice, or bytes left over). */
int lz_rc_dec_finish(const lz_rc_decoder *dec, lz_err *err);

#endif /* LZ_RANGECODER_H */
