/* container.c - see container.h and doc/format.md. */
#include <string.h>
#include <xxhash.h>

#include "container.h"

int lz_varint_read(const uint8_t *p, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if ((size_t)i >= n) return 0;
        uint8_t b = p[i];
        if (i == 9 && b > 1) return -1;           /* would overflow 64 bits */
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (i > 0 && b == 0) return -1;       /* overlong encoding */
            *v = x;
            return i + 1;
        }
    }
    return -1;
}

int lz_header_write(lz_buf *out, const lz_archive_header *h)
{
    size_t start = out->len;
    uint8_t fixed[8 + 6];
    int rc = lz_buf_append(out, LZ_ARCHIVE_MAGIC, 4);
    memset(fixed, 0, sizeof(fixed));
    fixed[0] = h->version;
    fixed[1] = h->flags;
    lz_wr64(fixed + 2, h->model_fingerprint);
    if (!rc) rc = lz_buf_append(out, fixed, 10);
    if (!rc) rc = lz_buf_put_varint(out, h->n_ctx);
    if (!rc) rc = lz_buf_put_varint(out, h->window_overlap);
    if (!rc) rc = lz_buf_put_varint(out, h->original_size);
    uint8_t sum[8];
    lz_wr64(sum, h->content_checksum);
    if (!rc) rc = lz_buf_append(out, sum, 8);
    if (rc) return rc;
    uint16_t check = (uint16_t)XXH32(out->data + start, out->len - start, 0);
    uint8_t c2[2];
    lz_wr16(c2, check);
    return lz_buf_append(out, c2, 2);
}

static int read_header_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v, const char *what, lz_err *err)
{
    int used = lz_varint_read(p + *pos, n - *pos, v);
    if (used == 0) return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: header ends inside the %s field", what);
    if (used < 0) return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive header: malformed %s field", what);
    *pos += (size_t)used;
    return 0;
}

int lz_header_read(const uint8_t *p, size_t n, lz_archive_header *h, size_t *consumed, lz_err *err)
{
    if (n < 4 || memcmp(p, LZ_ARCHIVE_MAGIC, 4) != 0)
        return lz_fail(err, LLAMAZIP_E_NOT_ARCHIVE, "not a llama-zip archive (bad magic bytes)");
    if (n < 5) return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: header ends after the magic bytes");
    memset(h, 0, sizeof(*h));
    h->version = p[4];
    if (h->version != LZ_ARCHIVE_VERSION)
        return lz_fail(err, LLAMAZIP_E_VERSION,
                       "unsupported archive version %u (this build reads version %u)", h->version, LZ_ARCHIVE_VERSION);
    if (n < 14) return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: header is incomplete");
    h->flags = p[5];
    h->model_fingerprint = lz_rd64(p + 6);
    size_t pos = 14;
    uint64_t n_ctx, overlap, size;
    int rc;
    if ((rc = read_header_varint(p, n, &pos, &n_ctx, "n_ctx", err))) return rc;
    if ((rc = read_header_varint(p, n, &pos, &overlap, "window overlap", err))) return rc;
    if ((rc = read_header_varint(p, n, &pos, &size, "original size", err))) return rc;
    if (n - pos < 10) return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: header is incomplete");
    h->content_checksum = lz_rd64(p + pos);
    pos += 8;
    uint16_t want = (uint16_t)XXH32(p, pos, 0);
    uint16_t got = lz_rd16(p + pos);
    pos += 2;
    if (want != got) return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive header (header check failed)");
    if (h->flags != 0)
        return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive header: unknown flags 0x%02x", h->flags);
    if (n_ctx < 2 || n_ctx > LZ_MAX_N_CTX)
        return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive header: n_ctx %llu out of range",
                       (unsigned long long)n_ctx);
    if (overlap > n_ctx - 2)
        return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive header: window overlap %llu >= n_ctx - 1",
                       (unsigned long long)overlap);
    h->n_ctx = (uint32_t)n_ctx;
    h->window_overlap = (uint32_t)overlap;
    h->original_size = size;
    *consumed = pos;
    return 0;
}

int lz_frame_write(lz_buf *out, const lz_frame *f)
{
    int rc = lz_buf_push(out, (uint8_t)f->tag);
    if (rc || f->tag == LZ_FRAME_END) return rc;
    rc = lz_buf_put_varint(out, f->raw_size);
    if (!rc && f->tag == LZ_FRAME_MODEL) rc = lz_buf_put_varint(out, f->n_tokens);
    if (!rc && f->tag != LZ_FRAME_RAW) rc = lz_buf_put_varint(out, f->payload_size);
    if (!rc) rc = lz_buf_append(out, f->payload, (size_t)f->payload_size);
    return rc;
}

static int read_frame_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v, const char *what, lz_err *err)
{
    int used = lz_varint_read(p + *pos, n - *pos, v);
    if (used == 0) return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: data ends inside a frame's %s", what);
    if (used < 0) return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive: malformed frame %s", what);
    *pos += (size_t)used;
    return 0;
}

int lz_frame_read(const uint8_t *p, size_t n, lz_frame *f, size_t *consumed, lz_err *err)
{
    memset(f, 0, sizeof(*f));
    if (n == 0) return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: the end-of-archive marker is missing");
    uint8_t tag = p[0];
    size_t pos = 1;
    int rc;
    if (tag > LZ_FRAME_ZSTD) return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive: unknown frame type 0x%02x", tag);
    f->tag = (lz_frame_tag)tag;
    if (tag == LZ_FRAME_END) { *consumed = pos; return 0; }
    if ((rc = read_frame_varint(p, n, &pos, &f->raw_size, "size", err))) return rc;
    if (tag == LZ_FRAME_MODEL && (rc = read_frame_varint(p, n, &pos, &f->n_tokens, "token count", err))) return rc;
    if (tag == LZ_FRAME_RAW) f->payload_size = f->raw_size;
    else if ((rc = read_frame_varint(p, n, &pos, &f->payload_size, "payload size", err))) return rc;
    if (f->payload_size > n - pos)
        return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: a frame needs %llu bytes, %llu remain",
                       (unsigned long long)f->payload_size, (unsigned long long)(n - pos));
    f->payload = p + pos;
    pos += (size_t)f->payload_size;
    *consumed = pos;
    return 0;
}
