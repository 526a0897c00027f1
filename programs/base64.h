/* base64.h - standard base64 (RFC 4648) for the CLI's -f base64 and interactive mode. */
#ifndef LLAMAZIP_BASE64_H
#define LLAMAZIP_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Encode n bytes; returns a malloc'd NUL-terminated string or NULL on allocation failure. */
char *b64_encode(const uint8_t *src, size_t n, size_t *out_len);

typedef enum { B64_OK, B64_INVALID, B64_NOMEM } b64_status;

/* Strict decode: only the alphabet (A-Z a-z 0-9 + /), '=' padding that
 * completes the last group of four (and nothing but whitespace after it),
 * and ASCII whitespace anywhere (wrapped lines, a final newline). Anything
 * else is B64_INVALID with a description in why. On B64_OK, *out is a
 * malloc'd buffer of *out_len bytes. */
b64_status b64_decode(const char *src, size_t n, uint8_t **out, size_t *out_len, char *why, size_t why_size);

#endif
