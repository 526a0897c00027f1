/* buffer.h - a growable byte buffer (archive output, detokenized text). */
#ifndef LZ_BUFFER_H
#define LZ_BUFFER_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} lz_buf;

/* All return 0 on success, LLAMAZIP_E_NOMEM on allocation failure (the
 * buffer is then unchanged). */
int lz_buf_reserve(lz_buf *b, size_t extra);
int lz_buf_append(lz_buf *b, const void *p, size_t n);
int lz_buf_push(lz_buf *b, uint8_t byte);
int lz_buf_put_varint(lz_buf *b, uint64_t v);
void lz_buf_free(lz_buf *b);

/* Take ownership of the bytes (the buffer is reset to empty). */
uint8_t *lz_buf_detach(lz_buf *b, size_t *len);

#endif /* LZ_BUFFER_H */
