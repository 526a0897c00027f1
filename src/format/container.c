/* container.c - see container.h and doc/format.md. */
#include <stdlib.h>
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
    if (h->version != LZ_ARCHIVE_V1)
        return lz_fail(err, LLAMAZIP_E_VERSION,
                       "unsupported archive version %u in an 'LZLM' header (only version 1 used that header)",
                       h->version);
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

/* ---------------------------------------------------------------- archives of either version */

int lz_archive_magic(const uint8_t *p, size_t n)
{
    if (n >= 1 && p[0] >= LZ_V2_MARK) return 2 + ((p[0] - LZ_V2_MARK) >> 4);   /* 0xA_: 2, 0xB_: 3, ... */
    if (n >= 4 && !memcmp(p, LZ_ARCHIVE_MAGIC, 4)) return 1;
    return 0;
}

void lz_archive_free(lz_archive *a)
{
    if (!a) return;
    free(a->frames);
    a->frames = NULL;
    a->n_frames = 0;
}

static int push_frame(lz_archive *a, size_t *cap, const lz_frame *f, lz_err *err)
{
    if (a->n_frames == *cap) {
        size_t nc = *cap ? 2 * *cap : 8;
        lz_frame *nf = realloc(a->frames, nc * sizeof(*nf));
        if (!nf) return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory");
        a->frames = nf;
        *cap = nc;
    }
    a->frames[a->n_frames++] = *f;
    return 0;
}

static int v2_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v, const char *what, lz_err *err)
{
    int used = lz_varint_read(p + *pos, n - *pos, v);
    if (used == 0) return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: data ends inside the %s", what);
    if (used < 0) return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive: malformed %s", what);
    *pos += (size_t)used;
    return 0;
}

static int head_v1(const uint8_t *p, size_t n, lz_archive *a, size_t *used, lz_err *err)
{
    lz_archive_header h;
    int rc = lz_header_read(p, n, &h, used, err);
    if (rc) return rc;
    a->version = 1;
    a->has_settings = 1;
    a->n_ctx = h.n_ctx;
    a->window_overlap = h.window_overlap;
    a->model_id = h.model_fingerprint;
    a->model_id_bits = 64;
    a->original_size = h.original_size;
    a->checksum = h.content_checksum;
    a->checksum_bits = 64;
    return 0;
}

static int head_v2(const uint8_t *p, size_t n, lz_archive *a, size_t *used, lz_err *err)
{
    const uint8_t flags = p[0] & 0x0F;
    if (flags & ~(LZ_V2_FLAG_GENERAL | LZ_V2_FLAG_SETTINGS))
        return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive: unknown flags 0x%x", flags);
    a->version = 2;
    a->compact = !(flags & LZ_V2_FLAG_GENERAL);
    a->has_settings = !!(flags & LZ_V2_FLAG_SETTINGS);
    a->model_id_bits = a->compact ? 16 : 64;
    a->checksum_bits = a->compact ? 32 : 64;
    const size_t id_bytes = a->compact ? 2 : 8;
    size_t pos = 1;
    int rc;
    if (n - pos < id_bytes) return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: header is incomplete");
    a->model_id = a->compact ? lz_rd16(p + pos) : lz_rd64(p + pos);
    pos += id_bytes;
    if (a->has_settings) {
        uint64_t n_ctx, overlap;
        if ((rc = v2_varint(p, n, &pos, &n_ctx, "n_ctx", err))) return rc;
        if ((rc = v2_varint(p, n, &pos, &overlap, "window overlap", err))) return rc;
        if (n_ctx < 2 || n_ctx > LZ_MAX_N_CTX)
            return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive: n_ctx %llu out of range", (unsigned long long)n_ctx);
        if (overlap > n_ctx - 2)
            return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive: window overlap %llu >= n_ctx - 1",
                           (unsigned long long)overlap);
        a->n_ctx = (uint32_t)n_ctx;
        a->window_overlap = (uint32_t)overlap;
    }
    if ((rc = v2_varint(p, n, &pos, &a->original_size, "original size", err))) return rc;
    *used = pos;
    return 0;
}

int lz_archive_parse_head(const uint8_t *p, size_t n, lz_archive *a, size_t *used, lz_err *err)
{
    memset(a, 0, sizeof(*a));
    *used = 0;
    switch (lz_archive_magic(p, n)) {
    case 1: return head_v1(p, n, a, used, err);
    case 2: return head_v2(p, n, a, used, err);
    case 0: return lz_fail(err, LLAMAZIP_E_NOT_ARCHIVE, "not a llama-zip archive (bad magic bytes)");
    default:
        return lz_fail(err, LLAMAZIP_E_VERSION, "unsupported archive version %d (this build reads versions 1 and 2)",
                       lz_archive_magic(p, n));
    }
}

int lz_archive_parse_frame(const uint8_t *p, size_t n, const lz_archive *a, uint64_t *covered, lz_frame *f,
                           size_t *used, int *done, lz_err *err)
{
    int rc;
    *used = 0;
    *done = 0;
    memset(f, 0, sizeof(*f));
    if (a->version == 1) {
        /* frames until END (consumed here) */
        if ((rc = lz_frame_read(p, n, f, used, err))) return rc;
        if (f->tag == LZ_FRAME_END) *done = 1;
        else *covered += f->raw_size;
        return 0;
    }
    if (*covered >= a->original_size) {
        *done = 1;
        return 0;
    }
    if (a->compact) {
        /* the one MODEL frame: payload size, payload */
        size_t pos = 0;
        f->tag = LZ_FRAME_MODEL;
        f->raw_size = a->original_size;
        if ((rc = v2_varint(p, n, &pos, &f->payload_size, "payload size", err))) return rc;
        if (f->payload_size > n - pos)
            return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: the payload needs %llu bytes, %llu remain",
                           (unsigned long long)f->payload_size, (unsigned long long)(n - pos));
        f->payload = p + pos;
        *used = pos + (size_t)f->payload_size;
        *covered = a->original_size;
        return 0;
    }
    if ((rc = lz_frame_read(p, n, f, used, err))) return rc;
    if (f->tag == LZ_FRAME_END) return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive: unknown frame type 0x00");
    if (f->raw_size > a->original_size - *covered)
        return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive: frames hold more data than the header says");
    if (f->raw_size == 0) return lz_fail(err, LLAMAZIP_E_CORRUPT, "corrupt archive: empty frame");
    *covered += f->raw_size;
    return 0;
}

int lz_archive_parse_tail(const uint8_t *p, size_t n, lz_archive *a, size_t *used, lz_err *err)
{
    *used = 0;
    if (a->version == 1) return 0;   /* the checksum is in the header */
    const size_t sum_bytes = (size_t)a->checksum_bits / 8;
    if (n < sum_bytes) return lz_fail(err, LLAMAZIP_E_TRUNCATED, "truncated archive: the checksum is missing");
    a->checksum = sum_bytes == 4 ? lz_rd32(p) : lz_rd64(p);
    *used = sum_bytes;
    return 0;
}

int lz_archive_parse(const uint8_t *p, size_t n, lz_archive *a, lz_err *err)
{
    size_t pos = 0, used = 0, cap = 0;
    uint64_t covered = 0;
    int rc = lz_archive_parse_head(p, n, a, &pos, err);
    for (int done = 0; !rc && !done; pos += used) {
        lz_frame f;
        rc = lz_archive_parse_frame(p + pos, n - pos, a, &covered, &f, &used, &done, err);
        if (!rc && !done) rc = push_frame(a, &cap, &f, err);
    }
    if (!rc) rc = lz_archive_parse_tail(p + pos, n - pos, a, &used, err);
    if (rc) {
        lz_archive_free(a);
        return rc;
    }
    a->size = pos + used;
    return 0;
}

int lz_archive_write_v2(lz_buf *out, const lz_archive *a)
{
    uint8_t first = LZ_V2_MARK | (a->compact ? 0 : LZ_V2_FLAG_GENERAL) | (a->has_settings ? LZ_V2_FLAG_SETTINGS : 0);
    uint8_t id[8];
    int rc = lz_buf_push(out, first);
    if (a->compact) lz_wr16(id, (uint16_t)a->model_id);
    else lz_wr64(id, a->model_id);
    if (!rc) rc = lz_buf_append(out, id, a->compact ? 2 : 8);
    if (!rc && a->has_settings) rc = lz_buf_put_varint(out, a->n_ctx);
    if (!rc && a->has_settings) rc = lz_buf_put_varint(out, a->window_overlap);
    if (!rc) rc = lz_buf_put_varint(out, a->original_size);
    if (a->compact) {
        if (!rc && a->original_size > 0) {
            rc = lz_buf_put_varint(out, a->frames[0].payload_size);
            if (!rc) rc = lz_buf_append(out, a->frames[0].payload, (size_t)a->frames[0].payload_size);
        }
    } else {
        for (size_t i = 0; !rc && i < a->n_frames; i++) rc = lz_frame_write(out, &a->frames[i]);
    }
    uint8_t sum[8];
    lz_wr64(sum, a->checksum);
    if (!rc) rc = lz_buf_append(out, sum, a->compact ? 4 : 8);
    return rc;
}
