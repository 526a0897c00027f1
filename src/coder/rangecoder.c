/*
 * rangecoder.c - the range coder of rangecoder.h; arithmetic in doc/coder.md.
 *
 * Both sides keep a 64-bit window on the infinitely precise interval
 * [low, low + range). Coding a slice narrows it to
 *     low += r * cum,  range = r * freq,  with r = floor(range / total),
 * and whenever range falls below 2^56 the top byte of low leaves the window
 * (written by the encoder, replaced by a fresh input byte in the decoder).
 * The encoder's low can overflow 2^64: that carry belongs to the bytes
 * already written, which is why the encoder writes into memory.
 */
#include <stdlib.h>
#include <string.h>

#include "coder/rangecoder.h"

#define RC_TOP ((uint64_t)1 << 56) /* range stays >= RC_TOP between symbols */
#define RC_INITIAL_CAP 4096

/* ---------------------------------------------------------------- encoder */

void lz_rc_enc_init(lz_rc_encoder *enc)
{
    memset(enc, 0, sizeof(*enc));
    enc->range = UINT64_MAX;
}

void lz_rc_enc_reset(lz_rc_encoder *enc)
{
    uint8_t *buf = enc->buf;
    size_t cap = enc->cap;
    lz_rc_enc_init(enc);
    enc->buf = buf;
    enc->cap = cap;
}

void lz_rc_enc_free(lz_rc_encoder *enc)
{
    if (!enc) return;
    free(enc->buf);
    lz_rc_enc_init(enc);
}

static int rc_grow(lz_rc_encoder *enc)
{
    size_t cap = enc->cap ? enc->cap * 2 : RC_INITIAL_CAP;
    if (cap < enc->cap) return enc->status = LLAMAZIP_E_NOMEM;
    uint8_t *buf = realloc(enc->buf, cap);
    if (!buf) return enc->status = LLAMAZIP_E_NOMEM;
    enc->buf = buf;
    enc->cap = cap;
    return 0;
}

static inline void rc_put_byte(lz_rc_encoder *enc, uint8_t byte)
{
    if (enc->size == enc->cap && rc_grow(enc)) return;
    enc->buf[enc->size++] = byte;
}

/* Add 1 to the number formed by the bytes written so far. It cannot
 * overflow: every interval lies inside [0, 1) scaled by the written length
 * (the first one is [0, 2^64 - 1)), so reaching it would be a bug. */
static void rc_carry(lz_rc_encoder *enc)
{
    size_t i = enc->size;
    while (i > 0 && enc->buf[i - 1] == 0xFF) enc->buf[--i] = 0x00;
    if (i == 0) {
        if (!enc->status) enc->status = LLAMAZIP_E_INTERNAL;
        return;
    }
    enc->buf[i - 1]++;
    enc->n_carry++;
    if (enc->size - i > enc->carry_run_max) enc->carry_run_max = enc->size - i;
}

/* Narrow to [low + r*cum, low + r*(cum+freq)); r*(cum+freq) <= range. */
static inline void rc_enc_narrow(lz_rc_encoder *enc, uint64_t r, uint64_t cum, uint64_t freq)
{
    const uint64_t add = r * cum;
    enc->low += add;
    if (enc->low < add) rc_carry(enc);
    enc->range = r * freq;
    while (enc->range < RC_TOP) {
        rc_put_byte(enc, (uint8_t)(enc->low >> 56));
        enc->low <<= 8;
        enc->range <<= 8;
    }
}

int lz_rc_encode(lz_rc_encoder *enc, uint32_t cum, uint32_t freq, uint32_t total)
{
    if (enc->status) return enc->status;
    if (freq == 0 || (uint64_t)cum + freq > total) return enc->status = LLAMAZIP_E_USAGE;
    rc_enc_narrow(enc, enc->range / total, cum, freq);
    return enc->status;
}

int lz_rc_enc_bits(lz_rc_encoder *enc, uint32_t value, unsigned nbits)
{
    if (enc->status) return enc->status;
    if (nbits < 1 || nbits > LZ_RC_BITS_MAX || (uint64_t)value >> nbits)
        return enc->status = LLAMAZIP_E_USAGE;
    rc_enc_narrow(enc, enc->range >> nbits, value, 1);
    return enc->status;
}

/* Bytes the flush writes for a final interval [low, low + range), 65-bit
 * arithmetic, range >= 2^56. The decoder reads zeros past the end, so the
 * stream may stop as soon as "written bytes, then zeros" lies in the
 * interval:
 *   0 bytes if low == 0 (the value is the written bytes themselves), or if
 *           2^64 < low + range (the value 2^64: one carry into the bytes);
 *   1 byte  ceil(low / 2^56) otherwise, which is < low + range as
 *           range >= 2^56 and cannot overflow as low + range <= 2^64.
 * Shared with the decoder, which mirrors low to check the stream length. */
static inline unsigned rc_flush_bytes(uint64_t low, uint64_t range)
{
    return (low == 0 || range > (uint64_t)0 - low) ? 0 : 1;
}

int lz_rc_enc_finish(lz_rc_encoder *enc, lz_err *err)
{
    if (!enc->status) {
        if (rc_flush_bytes(enc->low, enc->range) == 1)
            rc_put_byte(enc, (uint8_t)((enc->low + (RC_TOP - 1)) >> 56));
        else if (enc->low != 0)
            rc_carry(enc);
        enc->low = 0;
        enc->range = UINT64_MAX;
    }
    switch (enc->status) {
    case 0: return 0;
    case LLAMAZIP_E_NOMEM:
        return lz_fail(err, enc->status, "range coder: out of memory after %zu bytes", enc->size);
    case LLAMAZIP_E_USAGE:
        return lz_fail(err, enc->status, "range coder: invalid symbol slice (freq 0 or cum + freq > total)");
    default:
        return lz_fail(err, enc->status, "range coder: carry past the first byte (bug)");
    }
}

uint8_t *lz_rc_enc_detach(lz_rc_encoder *enc, size_t *size)
{
    uint8_t *buf = enc->buf;
    *size = enc->size;
    lz_rc_enc_init(enc);
    return buf;
}

/* ---------------------------------------------------------------- decoder */

static inline uint8_t rc_next_byte(lz_rc_decoder *dec)
{
    if (dec->pos < dec->size) return dec->src[dec->pos++];
    dec->overread++;
    return 0;
}

void lz_rc_dec_init(lz_rc_decoder *dec, const uint8_t *src, size_t size)
{
    memset(dec, 0, sizeof(*dec));
    dec->src = src;
    dec->size = src ? size : 0;
    dec->range = UINT64_MAX;
    for (int i = 0; i < 8; i++) dec->code = (dec->code << 8) | rc_next_byte(dec);
}

/* Mirror of rc_enc_narrow; `code` stays < range on any valid stream. */
static inline void rc_dec_narrow(lz_rc_decoder *dec, uint64_t r, uint64_t cum, uint64_t freq)
{
    const uint64_t sub = r * cum;
    dec->code -= sub;
    dec->low += sub;
    dec->range = r * freq;
    if (dec->code >= dec->range) dec->corrupt = 1;
    while (dec->range < RC_TOP) {
        dec->code = (dec->code << 8) | rc_next_byte(dec);
        dec->low <<= 8;
        dec->range <<= 8;
    }
}

uint32_t lz_rc_dec_target(lz_rc_decoder *dec, uint32_t total)
{
    if (total == 0) {
        dec->corrupt = 1;
        dec->total = 0;
        return 0;
    }
    dec->r = dec->range / total;
    dec->total = total;
    uint64_t t = dec->code / dec->r;
    if (t >= total) { /* in the unused top sliver, or code >= range */
        dec->corrupt = 1;
        t = total - 1;
    }
    return (uint32_t)t;
}

void lz_rc_dec_update(lz_rc_decoder *dec, uint32_t cum, uint32_t freq)
{
    if (freq == 0 || (uint64_t)cum + freq > dec->total) {
        dec->corrupt = 1; /* also catches an update without a target (total 0) */
        return;
    }
    rc_dec_narrow(dec, dec->r, cum, freq);
    dec->total = 0;
}

uint32_t lz_rc_dec_bits(lz_rc_decoder *dec, unsigned nbits)
{
    if (nbits < 1 || nbits > LZ_RC_BITS_MAX) {
        dec->corrupt = 1;
        return 0;
    }
    const uint64_t r = dec->range >> nbits;
    const uint64_t max = ((uint64_t)1 << nbits) - 1;
    uint64_t t = dec->code / r;
    if (t > max) {
        dec->corrupt = 1;
        t = max;
    }
    rc_dec_narrow(dec, r, t, 1);
    return (uint32_t)t;
}

int lz_rc_dec_finish(const lz_rc_decoder *dec, lz_err *err)
{
    if (dec->corrupt)
        return lz_fail(err, LLAMAZIP_E_CORRUPT, "range coder: invalid code value (corrupt stream)");
    /* The decoder reads 8 bytes up front and one per encoder output byte;
     * the encoder adds 0 or 1 flush bytes. */
    const uint64_t expect = 8 - rc_flush_bytes(dec->low, dec->range);
    if (dec->overread > expect)
        return lz_fail(err, LLAMAZIP_E_TRUNCATED, "range coder: stream %llu byte(s) short",
                       (unsigned long long)(dec->overread - expect));
    if (dec->overread < expect || dec->pos != dec->size)
        return lz_fail(err, LLAMAZIP_E_CORRUPT, "range coder: %llu unused byte(s) at the end",
                       (unsigned long long)(dec->size - dec->pos + (expect - dec->overread)));
    return 0;
}
