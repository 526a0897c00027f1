/* base64.h - standard base64 (RFC 4648) for the CLI's -f base64 and interactive mode. */
#ifndef LLAMAZIP_BASE64_H
#define LLAMAZIP_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Whether c belongs to the base64 alphabet (A-Z a-z 0-9 + /). */
int b64_is_alpha(unsigned char c);

/* Encode n bytes; returns a malloc'd NUL-terminated string or NULL on allocation failure. */
char *b64_encode(const uint8_t *src, size_t n, size_t *out_len);

/* Lenient decode as the original llama-zip does: characters outside the
 * alphabet (whitespace, '=', anything else) are skipped and missing padding
 * is tolerated. Returns a malloc'd buffer (NULL on allocation failure). */
uint8_t *b64_decode(const char *src, size_t n, size_t *out_len);

#endif
