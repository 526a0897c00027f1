/* buffer.c - see buffer.h. */
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "lz_common.h"

int lz_buf_reserve(lz_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len) return 0;
    if (extra > SIZE_MAX - b->len) return LLAMAZIP_E_NOMEM;
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) return LLAMAZIP_E_NOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int lz_buf_append(lz_buf *b, const void *p, size_t n)
{
    if (n == 0) return 0;
    int rc = lz_buf_reserve(b, n);
    if (rc) return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int lz_buf_push(lz_buf *b, uint8_t byte) { return lz_buf_append(b, &byte, 1); }

int lz_buf_put_varint(lz_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        tmp[n++] = byte | (v ? 0x80 : 0);
    } while (v);
    return lz_buf_append(b, tmp, n);
}

void lz_buf_free(lz_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

uint8_t *lz_buf_detach(lz_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
