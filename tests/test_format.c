/*
 * test_format.c - archive header and frames (doc/format.md): round trips,
 * strict varints, and every malformed-header case with its own status and
 * message; every truncation of a small archive is reported as truncated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <xxhash.h>

#include "format/container.h"

static lz_archive_header sample_header(void)
{
    lz_archive_header h;
    memset(&h, 0, sizeof(h));
    h.version = LZ_ARCHIVE_VERSION;
    h.model_fingerprint = 0x0123456789abcdefull;
    h.n_ctx = 32768;
    h.window_overlap = 8191;
    h.original_size = 1234567;
    h.content_checksum = 0xfedcba9876543210ull;
    return h;
}

static void build_archive(lz_buf *b)
{
    lz_archive_header h = sample_header();
    assert_int_equal(lz_header_write(b, &h), 0);
    static const uint8_t payload[] = "hello, frames";
    lz_frame f = { LZ_FRAME_RAW, 5, 0, payload, 5 };
    assert_int_equal(lz_frame_write(b, &f), 0);
    lz_frame m = { LZ_FRAME_MODEL, 100, 20, payload, 13 };
    assert_int_equal(lz_frame_write(b, &m), 0);
    lz_frame z = { LZ_FRAME_ZSTD, 7, 0, payload, 9 };
    assert_int_equal(lz_frame_write(b, &z), 0);
    lz_frame e = { LZ_FRAME_END, 0, 0, NULL, 0 };
    assert_int_equal(lz_frame_write(b, &e), 0);
}

/* Parse a whole archive's framing; returns the first error or 0. */
static int parse_all(const uint8_t *p, size_t n, lz_err *err)
{
    lz_archive_header h;
    size_t pos = 0, used = 0;
    int rc = lz_header_read(p, n, &h, &pos, err);
    if (rc) return rc;
    for (;;) {
        lz_frame f;
        if ((rc = lz_frame_read(p + pos, n - pos, &f, &used, err))) return rc;
        pos += used;
        if (f.tag == LZ_FRAME_END) return 0;
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    lz_buf b = { 0 };
    build_archive(&b);
    lz_archive_header h, want = sample_header();
    size_t pos = 0;
    lz_err err;
    assert_int_equal(lz_header_read(b.data, b.len, &h, &pos, &err), 0);
    assert_memory_equal(&h, &want, sizeof(h));
    size_t hlen = pos;
    lz_frame f;
    size_t used;
    assert_int_equal(lz_frame_read(b.data + pos, b.len - pos, &f, &used, &err), 0);
    assert_int_equal(f.tag, LZ_FRAME_RAW);
    assert_int_equal(f.raw_size, 5);
    assert_memory_equal(f.payload, "hello", 5);
    pos += used;
    assert_int_equal(lz_frame_read(b.data + pos, b.len - pos, &f, &used, &err), 0);
    assert_int_equal(f.tag, LZ_FRAME_MODEL);
    assert_int_equal(f.n_tokens, 20);
    assert_int_equal(f.payload_size, 13);
    printf("header is %zu bytes; sample archive %zu bytes\n", hlen, b.len);
    lz_buf_free(&b);
}

static void test_varint(void **state)
{
    (void)state;
    uint64_t vals[] = { 0, 1, 127, 128, 16383, 16384, 0xffffffffull, UINT64_MAX };
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        lz_buf b = { 0 };
        assert_int_equal(lz_buf_put_varint(&b, vals[i]), 0);
        uint64_t v;
        assert_int_equal(lz_varint_read(b.data, b.len, &v), (int)b.len);
        assert_true(v == vals[i]);
        for (size_t cut = 0; cut < b.len; cut++) assert_int_equal(lz_varint_read(b.data, cut, &v), 0);
        lz_buf_free(&b);
    }
    uint64_t v;
    const uint8_t overlong[] = { 0x80, 0x00 };
    assert_int_equal(lz_varint_read(overlong, 2, &v), -1);
    const uint8_t too_big[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
    assert_int_equal(lz_varint_read(too_big, 10, &v), -1);
    printf("varints: %zu values round trip; overlong and 65-bit encodings rejected\n",
           sizeof(vals) / sizeof(vals[0]));
}

static void expect_error(const uint8_t *p, size_t n, int code, const char *needle)
{
    lz_err err;
    lz_err_clear(&err);
    int rc = parse_all(p, n, &err);
    if (rc != code || !strstr(err.msg, needle))
        fail_msg("expected status %d with '%s', got %d: '%s'", code, needle, rc, err.msg);
}

static size_t header_len(const uint8_t *p, size_t n)
{
    lz_archive_header h;
    size_t pos = 0;
    lz_err err;
    assert_int_equal(lz_header_read(p, n, &h, &pos, &err), 0);
    return pos;
}

/* Re-seal the header check after editing header bytes in place. */
static void reseal(uint8_t *p, size_t hlen)
{
    uint16_t c = (uint16_t)XXH32(p, hlen - 2, 0);
    p[hlen - 2] = (uint8_t)c;
    p[hlen - 1] = (uint8_t)(c >> 8);
}

static void test_bad_headers(void **state)
{
    (void)state;
    lz_buf b = { 0 };
    build_archive(&b);
    size_t hl = header_len(b.data, b.len);
    uint8_t copy[256];
    assert_true(b.len <= sizeof(copy));

    expect_error(b.data, 3, LLAMAZIP_E_NOT_ARCHIVE, "not a llama-zip archive");
    memcpy(copy, b.data, b.len);
    copy[0] = 'X';
    expect_error(copy, b.len, LLAMAZIP_E_NOT_ARCHIVE, "bad magic");

    memcpy(copy, b.data, b.len);
    copy[4] = 9;
    expect_error(copy, b.len, LLAMAZIP_E_VERSION, "unsupported archive version 9");

    memcpy(copy, b.data, b.len);
    copy[5] = 0x80;
    reseal(copy, hl);
    expect_error(copy, b.len, LLAMAZIP_E_CORRUPT, "unknown flags");

    memcpy(copy, b.data, b.len);
    copy[8] ^= 0x10; /* a flipped fingerprint bit: the header check catches it */
    expect_error(copy, b.len, LLAMAZIP_E_CORRUPT, "header check failed");

    /* every bit flip inside the header is detected */
    int detected = 0, total = 0;
    for (size_t i = 0; i < hl; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, b.data, b.len);
            copy[i] ^= (uint8_t)(1 << bit);
            lz_err err;
            total++;
            if (parse_all(copy, b.len, &err) != 0) detected++;
        }
    }
    printf("header bit flips detected: %d / %d\n", detected, total);
    assert_int_equal(detected, total);

    /* overlap >= n_ctx - 1 */
    lz_buf c = { 0 };
    lz_archive_header h = sample_header();
    h.n_ctx = 100;
    h.window_overlap = 99;
    assert_int_equal(lz_header_write(&c, &h), 0);
    lz_buf_push(&c, 0);
    expect_error(c.data, c.len, LLAMAZIP_E_CORRUPT, "window overlap");
    lz_buf_free(&c);
    lz_buf_free(&b);
}

static void test_bad_frames(void **state)
{
    (void)state;
    lz_buf b = { 0 };
    build_archive(&b);
    size_t hl = header_len(b.data, b.len);
    uint8_t copy[256];
    memcpy(copy, b.data, b.len);
    copy[hl] = 0x07;
    expect_error(copy, b.len, LLAMAZIP_E_CORRUPT, "unknown frame type 0x07");
    /* every strict prefix is truncated (or, inside the magic, not an archive) */
    int truncated = 0;
    for (size_t cut = 0; cut < b.len; cut++) {
        lz_err err;
        int rc = parse_all(b.data, cut, &err);
        if (cut < 4) assert_int_equal(rc, LLAMAZIP_E_NOT_ARCHIVE);
        else if (rc != LLAMAZIP_E_TRUNCATED) fail_msg("prefix %zu: status %d (%s)", cut, rc, err.msg);
        else truncated++;
    }
    printf("all %zu prefixes rejected (%d as truncated)\n", b.len, truncated);
    expect_error(b.data, b.len - 1, LLAMAZIP_E_TRUNCATED, "end-of-archive marker is missing");
    lz_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_varint),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
