/* base64.c - see base64.h. */
#include <stdio.h>
#include <stdlib.h>

#include "base64.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *b64_encode(const uint8_t *src, size_t n, size_t *out_len)
{
    size_t len = (n + 2) / 3 * 4;
    char *out = malloc(len + 1);
    if (!out) return NULL;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = ALPHABET[(v >> 6) & 63];
        out[o++] = ALPHABET[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < n ? (uint32_t)src[i + 1] << 8 : 0);
        out[o++] = ALPHABET[v >> 18];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = i + 1 < n ? ALPHABET[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    if (out_len) *out_len = o;
    return out;
}

static b64_status invalid(char *why, size_t why_size, const char *fmt, unsigned c, size_t at)
{
    if (why && why_size) snprintf(why, why_size, fmt, c, at);
    return B64_INVALID;
}

b64_status b64_decode(const char *src, size_t n, uint8_t **out, size_t *out_len, char *why, size_t why_size)
{
    *out = NULL;
    *out_len = 0;
    uint8_t *buf = malloc(n / 4 * 3 + 3);
    if (!buf) return B64_NOMEM;
    size_t o = 0, symbols = 0, pad = 0;
    uint32_t acc = 0;
    int bits = 0;
    b64_status st = B64_OK;
    for (size_t i = 0; i < n && st == B64_OK; i++) {
        unsigned char c = (unsigned char)src[i];
        if (is_space(c)) continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0) {
            st = invalid(why, why_size, "invalid base64: character 0x%02x at offset %zu", c, i);
        } else if (pad) {
            st = invalid(why, why_size, "invalid base64: '%c' after the '=' padding at offset %zu", c, i);
        } else {
            symbols++;
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                buf[o++] = (uint8_t)(acc >> bits);
            }
        }
    }
    /* a last group of 2 or 3 symbols needs 2 or 1 '='; a group of 1 symbol cannot be */
    const size_t rest = symbols % 4, want_pad = rest == 2 ? 2 : rest == 3 ? 1 : 0;
    if (st == B64_OK && (rest == 1 || pad != want_pad))
        st = invalid(why, why_size, "invalid base64: %u symbols and %zu '=' do not make whole groups of four",
                     (unsigned)symbols, pad);
    if (st != B64_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *out_len = o;
    return B64_OK;
}
