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

#define LZ_ARCHIVE_MAGIC "LZLM"    /* format 1 */
#define LZ_ARCHIVE_V1 1
#define LZ_ARCHIVE_VERSION 2         /* the version compressors write (lz_archive_write_v2) */
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

/* ---------------------------------------------------------------- archives of either version */

#define LZ_V2_MARK 0xA0            /* high nibble of a version-2 archive's first byte */
#define LZ_V2_FLAG_GENERAL 0x01    /* frames follow (else the compact form) */
#define LZ_V2_FLAG_SETTINGS 0x02   /* n_ctx and overlap are stored */

/* One archive as stored, parsed without decoding anything. */
typedef struct {
    int version;               /* 1 or 2 */
    int compact;               /* version 2 compact form: one MODEL frame (or none), token count implicit */
    int has_settings;          /* n_ctx / window_overlap stored (always in version 1) */
    uint32_t n_ctx, window_overlap;
    uint64_t model_id;         /* fingerprint (v1: version 1, v2: version 2), or its low 16 bits (compact) */
    int model_id_bits;         /* 64 or 16 */
    uint64_t original_size;
    uint64_t checksum;         /* XXH64 of the original, or its low 32 bits (compact) */
    int checksum_bits;         /* 64 or 32 */
    lz_frame *frames;          /* in order; payloads point into the parsed bytes */
    size_t n_frames;
    size_t size;               /* bytes the archive takes in the stream */
} lz_archive;

/* Whether p starts like an archive of a known version (first byte). */
int lz_archive_magic(const uint8_t *p, size_t n);

/* Parse one archive at p; bytes after it (another archive) are left alone.
 * Errors: NOT_ARCHIVE, VERSION, CORRUPT, TRUNCATED, with messages. */
int lz_archive_parse(const uint8_t *p, size_t n, lz_archive *a, lz_err *err);
void lz_archive_free(lz_archive *a);

/* The same parse in steps, for a reader that gets the archive piece by
 * piece: the head (header fields, no frames), then frames one at a time
 * until *done, then the tail (the checksum of version 2). Each step parses
 * from p (n bytes available) and sets *used; LLAMAZIP_E_TRUNCATED means
 * the step needs more bytes than n. `covered` (the raw bytes of the frames
 * so far) starts at 0 and is kept by the caller; a frame's payload points
 * into p. */
int lz_archive_parse_head(const uint8_t *p, size_t n, lz_archive *a, size_t *used, lz_err *err);
int lz_archive_parse_frame(const uint8_t *p, size_t n, const lz_archive *a, uint64_t *covered, lz_frame *f,
                           size_t *used, int *done, lz_err *err);
int lz_archive_parse_tail(const uint8_t *p, size_t n, lz_archive *a, size_t *used, lz_err *err);

/* Append a version-2 archive (a->version is ignored): the compact form
 * when a->compact (then frames holds one MODEL frame, or none for an empty
 * original), else the general form. Returns 0 or LLAMAZIP_E_NOMEM. */
int lz_archive_write_v2(lz_buf *out, const lz_archive *a);

#endif /* LZ_CONTAINER_H */
