/*
 * unicode.c - UTF-8 decoding and GPT-2's byte-level alphabet.
 */
#include "unicode.h"

static int tok_is_cont(uint8_t c) { return (c & 0xC0) == 0x80; }

uint32_t tok_utf8_decode(const uint8_t *s, size_t n, size_t *used)
{
    const uint8_t b = s[0];
    *used = 1;
    if (b < 0x80) return b;
    if (!(b & 0x40)) return 0xFFFD;                 /* stray continuation byte */
    if (!(b & 0x20)) {
        if (n < 2 || !tok_is_cont(s[1])) return 0xFFFD;
        *used = 2;
        return ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (!(b & 0x10)) {
        if (n < 3 || !tok_is_cont(s[1]) || !tok_is_cont(s[2])) return 0xFFFD;
        *used = 3;
        return ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    if (!(b & 0x08)) {
        if (n < 4 || !tok_is_cont(s[1]) || !tok_is_cont(s[2]) || !tok_is_cont(s[3])) return 0xFFFD;
        *used = 4;
        return ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
               ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    }
    return 0xFFFD;                                  /* 0xF8..0xFF never lead */
}

size_t tok_utf8_encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | ((cp >> 18) & 0x07));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* GPT-2 keeps the printable Latin-1 bytes as themselves and moves the other
 * 68 (0x00-0x20, 0x7F-0xA0, 0xAD) to U+0100.. in increasing byte order, so
 * that every byte is a visible character. */
static int tok_byte_is_printable(unsigned b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

uint32_t tok_byte_to_cp(uint8_t b)
{
    if (tok_byte_is_printable(b)) return b;
    uint32_t k = 0;   /* rank of b among the non-printable bytes */
    for (unsigned c = 0; c < b; c++) k += !tok_byte_is_printable(c);
    return 0x100 + k;
}

int tok_cp_to_byte(uint32_t cp)
{
    if (cp < 0x100) return tok_byte_is_printable(cp) ? (int)cp : -1;
    if (cp >= 0x100 + 68) return -1;
    uint32_t k = cp - 0x100;
    for (unsigned c = 0; c < 256; c++) {
        if (!tok_byte_is_printable(c)) {
            if (k == 0) return (int)c;
            k--;
        }
    }
    return -1;
}
