/*
 * container.h - the archive header and frames of doc/format.md: writing,
 * and strict, bounds-checked parsing. Knows nothing about models or coding.
 */
#ifndef LZ_CONTAINER_H
#define LZ_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "../common/buffer.h"
#include "../common/lz_common.h"

#define LZ_ARCHIVE_MAGIC "LZLM"
#define LZ_ARCHIVE_VERSION 1
#define LZ_MAX_N_CTX (1u << 24)

typedef struct {
    uint8_t version;
    uint8_t flags;
    uint64_t model_fingerprint;
    uint32_t n_ctx;
    uint32_t window_overlap;
    uint64_t original_size;
    uint64_t content_checksum; /* XXH64 of the original data */
} lz_archive_header;

typedef enum {
    LZ_FRAME_END = 0,
    LZ_FRAME_MODEL = 1,
    LZ_FRAME_RAW = 2,
    LZ_FRAME_ZSTD = 3,
} lz_frame_tag;

typedef struct {
    lz_frame_tag tag;
    uint64_t raw_size;        /* bytes of original data the frame covers */
    uint64_t n_tokens;        /* MODEL frames only */
    const uint8_t *payload;   /* RAW: the raw bytes; MODEL/ZSTD: coded bytes */
    uint64_t payload_size;
} lz_frame;

int lz_header_write(lz_buf *out, const lz_archive_header *h);
/* Parses and validates the header; *consumed = its length. Errors:
 * NOT_ARCHIVE, VERSION, CORRUPT, TRUNCATED, with messages. */
int lz_header_read(const uint8_t *p, size_t n, lz_archive_header *h, size_t *consumed, lz_err *err);

int lz_frame_write(lz_buf *out, const lz_frame *f);
/* Parses one frame at p (n bytes left). payload points into p. */
int lz_frame_read(const uint8_t *p, size_t n, lz_frame *f, size_t *consumed, lz_err *err);

/* Strict LEB128 read: returns bytes used, 0 if truncated, -1 if malformed. */
int lz_varint_read(const uint8_t *p, size_t n, uint64_t *v);

#endif /* LZ_CONTAINER_H */
