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
    h.version = LZ_ARCHIVE_V1;
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

/* ---------------------------------------------------------------- format 2 */

static const uint8_t g_payload[] = "some range-coded bytes, and a raw run";

/* A general-form archive: RAW, MODEL, ZSTD, MODEL frames; settings stored. */
static void build_v2_general(lz_buf *b, lz_archive *a, lz_frame *frames)
{
    memset(a, 0, sizeof(*a));
    frames[0] = (lz_frame){ LZ_FRAME_RAW, 5, 0, g_payload, 5 };
    frames[1] = (lz_frame){ LZ_FRAME_MODEL, 300, 77, g_payload, 13 };
    frames[2] = (lz_frame){ LZ_FRAME_ZSTD, 1000, 0, g_payload, 9 };
    frames[3] = (lz_frame){ LZ_FRAME_MODEL, 200, 40, g_payload + 3, 20 };
    a->has_settings = 1;
    a->n_ctx = 4096;
    a->window_overlap = 100;
    a->model_id = 0x1122334455667788ull;
    a->original_size = 5 + 300 + 1000 + 200;
    a->checksum = 0xfedcba9876543210ull;
    a->frames = frames;
    a->n_frames = 4;
    assert_int_equal(lz_archive_write_v2(b, a), 0);
}

static void test_v2_round_trip(void **state)
{
    (void)state;
    lz_buf b = { 0 };
    lz_archive a, p;
    lz_frame frames[4];
    lz_err err;
    lz_err_clear(&err);
    build_v2_general(&b, &a, frames);
    assert_int_equal(b.data[0], 0xA3);   /* format 2, general form, settings */
    assert_int_equal(lz_archive_parse(b.data, b.len, &p, &err), 0);
    assert_int_equal(p.version, 2);
    assert_false(p.compact);
    assert_int_equal(p.n_ctx, 4096);
    assert_int_equal(p.window_overlap, 100);
    assert_true(p.model_id == a.model_id && p.model_id_bits == 64);
    assert_true(p.checksum == a.checksum && p.checksum_bits == 64);
    assert_int_equal(p.n_frames, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(p.frames[i].tag, frames[i].tag);
        assert_int_equal(p.frames[i].raw_size, frames[i].raw_size);
        assert_int_equal(p.frames[i].n_tokens, frames[i].n_tokens);
        assert_int_equal(p.frames[i].payload_size, frames[i].payload_size);
        assert_memory_equal(p.frames[i].payload, frames[i].payload, frames[i].payload_size);
    }
    assert_int_equal(p.size, b.len);
    lz_archive_free(&p);

    /* compact: one MODEL frame, no settings; empty: just the header and checksum */
    lz_buf c = { 0 };
    lz_frame m = { LZ_FRAME_MODEL, 44, 0, g_payload, 5 };
    lz_archive ca;
    memset(&ca, 0, sizeof(ca));
    ca.compact = 1;
    ca.model_id = 0xabcd;
    ca.original_size = 44;
    ca.checksum = 0x01020304;
    ca.frames = &m;
    ca.n_frames = 1;
    assert_int_equal(lz_archive_write_v2(&c, &ca), 0);
    assert_int_equal(c.len, 1 + 2 + 1 + 1 + 5 + 4);   /* the 14 bytes of doc/format.md's example */
    assert_int_equal(lz_archive_parse(c.data, c.len, &p, &err), 0);
    assert_true(p.compact && p.model_id == 0xabcd && p.model_id_bits == 16 && p.checksum == 0x01020304);
    assert_int_equal(p.n_frames, 1);
    assert_int_equal(p.frames[0].raw_size, 44);
    assert_int_equal(p.frames[0].n_tokens, 0);
    lz_archive_free(&p);
    lz_buf e = { 0 };
    ca.original_size = 0;
    ca.n_frames = 0;
    assert_int_equal(lz_archive_write_v2(&e, &ca), 0);
    assert_int_equal(e.len, 8);
    assert_int_equal(lz_archive_parse(e.data, e.len, &p, &err), 0);
    assert_int_equal(p.n_frames, 0);
    lz_archive_free(&p);

    /* archives back to back: each parse stops at its own end */
    lz_buf all = { 0 };
    assert_int_equal(lz_buf_append(&all, c.data, c.len), 0);
    assert_int_equal(lz_buf_append(&all, e.data, e.len), 0);
    assert_int_equal(lz_buf_append(&all, b.data, b.len), 0);
    size_t pos = 0, count = 0;
    while (pos < all.len) {
        assert_int_equal(lz_archive_parse(all.data + pos, all.len - pos, &p, &err), 0);
        pos += p.size;
        count++;
        lz_archive_free(&p);
    }
    assert_int_equal(count, 3);
    assert_int_equal(pos, all.len);
    lz_buf_free(&all);
    lz_buf_free(&e);
    lz_buf_free(&c);
    lz_buf_free(&b);
}

static void test_v2_damage(void **state)
{
    (void)state;
    lz_buf b = { 0 };
    lz_archive a, p;
    lz_frame frames[4];
    lz_err err;
    build_v2_general(&b, &a, frames);
    /* every proper prefix is truncated */
    for (size_t n = 0; n < b.len; n++) {
        lz_err_clear(&err);
        int rc = lz_archive_parse(b.data, n, &p, &err);
        if (n == 0) assert_int_equal(rc, LLAMAZIP_E_NOT_ARCHIVE);
        else if (rc != LLAMAZIP_E_TRUNCATED) fail_msg("prefix of %zu bytes: status %d (%s)", n, rc, err.msg);
    }
    /* reserved flag bits */
    for (int bit = 2; bit < 4; bit++) {
        uint8_t save = b.data[0];
        b.data[0] |= (uint8_t)(1 << bit);
        lz_err_clear(&err);
        assert_int_equal(lz_archive_parse(b.data, b.len, &p, &err), LLAMAZIP_E_CORRUPT);
        assert_non_null(strstr(err.msg, "flags"));
        b.data[0] = save;
    }
    /* a frame passing the original size */
    lz_buf o = { 0 };
    lz_archive big = a;
    big.original_size = a.original_size - 1;
    assert_int_equal(lz_archive_write_v2(&o, &big), 0);
    lz_err_clear(&err);
    assert_int_equal(lz_archive_parse(o.data, o.len, &p, &err), LLAMAZIP_E_CORRUPT);
    assert_non_null(strstr(err.msg, "more data"));
    /* n_ctx out of range, overlap too large */
    lz_buf s = { 0 };
    lz_archive bad = a;
    bad.n_ctx = 1;
    assert_int_equal(lz_archive_write_v2(&s, &bad), 0);
    assert_int_equal(lz_archive_parse(s.data, s.len, &p, &err), LLAMAZIP_E_CORRUPT);
    lz_buf_free(&s);
    bad.n_ctx = 100;
    bad.window_overlap = 99;
    assert_int_equal(lz_archive_write_v2(&s, &bad), 0);
    assert_int_equal(lz_archive_parse(s.data, s.len, &p, &err), LLAMAZIP_E_CORRUPT);
    /* an unknown first byte */
    uint8_t junk[4] = { 0x7f, 0, 0, 0 };
    assert_int_equal(lz_archive_parse(junk, 4, &p, &err), LLAMAZIP_E_NOT_ARCHIVE);
    lz_buf_free(&s);
    lz_buf_free(&o);
    lz_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_varint),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_frames),
        cmocka_unit_test(test_v2_round_trip),
        cmocka_unit_test(test_v2_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
