/*
 * fuzz_archive.c - libFuzzer target for the archive container parser
 * (src/format/container.c, doc/format.md).
 *
 * Reads the header, then frames up to END, the way the decompressor does,
 * and checks the parser's promises:
 *  - an error comes with its own status (one of the container's) and a
 *    message; a success consumes at least one byte and never more than is
 *    left;
 *  - every payload pointer/size lies inside the input, inside the frame
 *    just consumed, and ends exactly where the frame does;
 *  - an accepted header satisfies the documented ranges;
 *  - the encoding is canonical: writing back what was parsed gives exactly
 *    the bytes that were consumed (so no two inputs parse to the same
 *    archive, and the writer and the reader agree).
 * A broken promise traps, so the fuzzer reports it.
 *
 * Build: make fuzz-archive (clang -fsanitize=fuzzer,address,undefined), or
 * link with standalone_driver.c to replay files without libFuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/container.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static volatile uint8_t fuzz_sink;

/* [p, p + n) must lie inside [lo, hi); touch its ends so ASan sees a read. */
static void fuzz_check_span(const uint8_t *lo, const uint8_t *hi, const uint8_t *p, uint64_t n)
{
    FUZZ_CHECK(p >= lo && p <= hi && n <= (uint64_t)(hi - p));
    if (n) fuzz_sink ^= p[0] ^ p[n - 1];
}

static void fuzz_check_error(int rc, const lz_err *err, int is_header)
{
    FUZZ_CHECK(err->code == rc && err->msg[0] != '\0');
    if (is_header)
        FUZZ_CHECK(rc == LLAMAZIP_E_NOT_ARCHIVE || rc == LLAMAZIP_E_VERSION || rc == LLAMAZIP_E_CORRUPT ||
                   rc == LLAMAZIP_E_TRUNCATED);
    else
        FUZZ_CHECK(rc == LLAMAZIP_E_CORRUPT || rc == LLAMAZIP_E_TRUNCATED);
}

/* Writing back a parsed piece must reproduce the consumed bytes exactly. */
static void fuzz_check_canonical(const lz_buf *b, const uint8_t *p, size_t n)
{
    FUZZ_CHECK(b->len == n && (n == 0 || memcmp(b->data, p, n) == 0));
}

static void fuzz_header(const uint8_t *data, size_t size, const lz_archive_header *h, size_t consumed)
{
    FUZZ_CHECK(consumed >= 4 + 10 + 3 + 8 + 2 && consumed <= size);
    FUZZ_CHECK(h->version == LZ_ARCHIVE_V1 && h->flags == 0);
    FUZZ_CHECK(h->n_ctx >= 2 && h->n_ctx <= LZ_MAX_N_CTX && h->window_overlap <= h->n_ctx - 2);
    lz_buf b = { 0 };
    if (lz_header_write(&b, h) == 0) fuzz_check_canonical(&b, data, consumed);
    lz_buf_free(&b);
}

static void fuzz_frame(const uint8_t *p, size_t n, const lz_frame *f, size_t consumed)
{
    FUZZ_CHECK(consumed >= 1 && consumed <= n);
    FUZZ_CHECK(f->tag == LZ_FRAME_END || f->tag == LZ_FRAME_MODEL || f->tag == LZ_FRAME_RAW ||
               f->tag == LZ_FRAME_ZSTD);
    FUZZ_CHECK(p[0] == (uint8_t)f->tag);
    if (f->tag == LZ_FRAME_END) {
        FUZZ_CHECK(consumed == 1 && f->payload == NULL && f->payload_size == 0 && f->raw_size == 0);
        return;
    }
    if (f->tag == LZ_FRAME_RAW) FUZZ_CHECK(f->payload_size == f->raw_size);
    if (f->tag != LZ_FRAME_MODEL) FUZZ_CHECK(f->n_tokens == 0);
    /* the payload is the frame's tail: inside the frame, ending where it ends */
    fuzz_check_span(p + 1, p + consumed, f->payload, f->payload_size);
    FUZZ_CHECK(f->payload + f->payload_size == p + consumed);
    lz_buf b = { 0 };
    if (lz_frame_write(&b, f) == 0) fuzz_check_canonical(&b, p, consumed);
    lz_buf_free(&b);
}

/* A varint at the start of the input reads back the way it was written. */
static void fuzz_varint(const uint8_t *data, size_t size)
{
    uint64_t v = 0;
    const int used = lz_varint_read(data, size, &v);
    FUZZ_CHECK(used >= -1 && used <= 10 && (used <= 0 || (size_t)used <= size));
    if (used <= 0) return;
    lz_buf b = { 0 };
    if (lz_buf_put_varint(&b, v) == 0) fuzz_check_canonical(&b, data, (size_t)used);
    lz_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lz_archive_parse (either version): a parsed archive lies inside the
 * input, its frames cover its original size, and a version-2 archive
 * written again from what was parsed gives the same bytes (one encoding). */
static void fuzz_archive_parse(const uint8_t *data, size_t size)
{
    lz_archive a;
    lz_err err;
    lz_err_clear(&err);
    int rc = lz_archive_parse(data, size, &a, &err);
    if (rc != 0) {
        fuzz_check_error(rc, &err, 1);
        return;
    }
    FUZZ_CHECK(a.size <= size && a.size > 0);
    uint64_t covered = 0;
    for (size_t i = 0; i < a.n_frames; i++) {
        fuzz_check_span(data, data + a.size, a.frames[i].payload, (size_t)a.frames[i].payload_size);
        covered += a.frames[i].raw_size;
    }
    if (a.version == 2) {
        FUZZ_CHECK(covered == a.original_size);
        lz_buf b = { 0 };
        if (lz_archive_write_v2(&b, &a) == 0) {
            FUZZ_CHECK(b.len == a.size && memcmp(b.data, data, b.len) == 0);
        }
        lz_buf_free(&b);
    }
    lz_archive_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_varint(data, size);
    fuzz_archive_parse(data, size);

    lz_archive_header h;
    size_t pos = 0;
    lz_err err;
    lz_err_clear(&err);
    int rc = lz_header_read(data, size, &h, &pos, &err);
    if (rc != 0) {
        fuzz_check_error(rc, &err, 1);
        return 0;
    }
    fuzz_header(data, size, &h, pos);

    /* frames up to END; the loop must end: every frame consumes >= 1 byte */
    uint64_t raw_total = 0;
    for (;;) {
        lz_frame f;
        size_t used = 0;
        lz_err_clear(&err);
        rc = lz_frame_read(data + pos, size - pos, &f, &used, &err);
        if (rc != 0) {
            fuzz_check_error(rc, &err, 0);
            if (pos == size) FUZZ_CHECK(rc == LLAMAZIP_E_TRUNCATED);
            break;
        }
        fuzz_check_span(data + pos, data + size, data + pos, used);
        fuzz_frame(data + pos, size - pos, &f, used);
        pos += used;
        if (f.tag == LZ_FRAME_END) break;
        /* raw sizes are attacker-controlled: a reader must add them with a check */
        if (lz_add_u64(raw_total, f.raw_size, &raw_total)) raw_total = UINT64_MAX;
    }
    FUZZ_CHECK(pos <= size);
    fuzz_sink ^= (uint8_t)raw_total;
    return 0;
}
