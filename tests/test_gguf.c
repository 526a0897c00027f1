/*
 * test_gguf.c - the GGUF reader: every value type through the getters,
 * tensors and data pointers, v2 files and alignment 64; one test per
 * malformed-file rule (error code + a distinctive part of the message);
 * every prefix of a small valid file; the real default model if present.
 *
 * Images are built in memory with tests/util/gguf_builder.h. A failing open
 * is always given a buffer of exactly the image's size (malloc'd), so that
 * ASan catches any read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "gguf/gguf.h"
#include "quant/quant.h"
#include "util/gguf_builder.h"

#define MODEL_PATH "models/gemma-3-270m-q4_k_m.gguf"

/* ------------------------------------------------------------ helpers */

static uint64_t tensor_bytes(uint32_t type, uint32_t n_dims, const uint64_t *ne)
{
    const lz_type_traits *tt = lz_type_get(type);
    assert_non_null(tt);
    uint64_t n = ne[0] / (uint64_t)tt->block_size * (uint64_t)tt->type_size;
    for (uint32_t j = 1; j < n_dims; j++) n *= ne[j];
    return n;
}

/* Add a tensor whose data size is the real one for its type and shape. */
static int add_tensor(gb_builder *b, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type)
{
    const int i = gb_tensor(b, name, n_dims, ne, type, tensor_bytes(type, n_dims, ne));
    assert_true(i >= 0);
    return i;
}

/* Open `size` bytes of `data` from an exact-size copy. */
static int open_copy(const uint8_t *data, size_t size, gguf_file **f, lz_err *err)
{
    uint8_t *copy = malloc(size ? size : 1);
    assert_non_null(copy);
    if (size) memcpy(copy, data, size);
    lz_err_clear(err);
    const int rc = gguf_open_memory(copy, size, f, err);
    if (rc == 0) { /* keep the copy alive: the file points into it */
        gguf_close(*f);
        *f = NULL;
    }
    free(copy);
    return rc;
}

/* The image must be rejected with `code` and a message containing `want`. */
static void expect_reject(const gb_image *img, int code, const char *want)
{
    gguf_file *f = NULL;
    lz_err err;
    const int rc = open_copy(img->data, img->size, &f, &err);
    printf("  rejected (%s): %s\n", llamazip_status_name(rc), err.msg);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_null(f);
    if (!strstr(err.msg, want)) {
        printf("  expected the message to contain: %s\n", want);
        fail();
    }
}

static void build_and_reject(gb_builder *b, int code, const char *want)
{
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    expect_reject(&img, code, want);
    gb_image_free(&img);
    gb_free(b);
}

static gguf_file *open_ok(const gb_image *img)
{
    gguf_file *f = NULL;
    lz_err err;
    lz_err_clear(&err);
    const int rc = gguf_open_memory(img->data, img->size, &f, &err);
    if (rc) printf("  unexpected failure: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(f);
    return f;
}

static void expect_err(int rc, const lz_err *err, const char *want)
{
    printf("  error: %s\n", err->msg);
    assert_int_equal(rc, LLAMAZIP_E_GGUF);
    if (!strstr(err->msg, want)) {
        printf("  expected the message to contain: %s\n", want);
        fail();
    }
}

/* A small valid model: some metadata of several types, a string array and
 * three tensors (F32, Q8_0, Q4_K). */
static gb_builder *base_builder(void)
{
    gb_builder *b = gb_new();
    assert_non_null(b);
    static const char *const toks[] = { "<pad>", "a", "", "hello world" };
    const int32_t heads[3] = { 4, 4, 8 };
    gb_kv_str(b, "general.architecture", "test");
    gb_kv_u32(b, "test.block_count", 3);
    gb_kv_f32(b, "test.rms_eps", 1e-6f);
    gb_kv_bool(b, "tokenizer.ggml.add_bos_token", 1);
    gb_kv_arr(b, "test.attention.head_count", 5 /* i32 */, heads, 3);
    gb_kv_arr_str(b, "tokenizer.ggml.tokens", toks, 4);
    const uint64_t ne0[2] = { 8, 2 }, ne1[2] = { 64, 3 }, ne2[1] = { 256 };
    add_tensor(b, "a.weight", 2, ne0, LZ_TYPE_F32);
    add_tensor(b, "b.weight", 2, ne1, LZ_TYPE_Q8_0);
    add_tensor(b, "c.weight", 1, ne2, LZ_TYPE_Q4_K);
    return b;
}

/* ------------------------------------------------------------ positive tests */

static void test_value_types_roundtrip(void **state)
{
    (void)state;
    gb_builder *b = gb_new();
    const uint8_t au8[3] = { 1, 2, 255 };
    const int8_t ai8[2] = { -128, 127 };
    const uint16_t au16[2] = { 0, 65535 };
    const int16_t ai16[2] = { -32768, 7 };
    const uint32_t au32[2] = { 7, 4000000000u };
    const int32_t ai32[2] = { -5, 2147483647 };
    const float af32[2] = { 0.5f, -2.25f };
    const uint8_t abool[2] = { 1, 0 };
    const uint64_t au64[1] = { 0xfedcba9876543210ull };
    const int64_t ai64[1] = { -1234567890123ll };
    const double af64[2] = { 1.0 / 3.0, -1e300 };
    static const char *const strs[] = { "x", "", "long string with spaces" };
    gb_kv_u8(b, "v.u8", 200);
    gb_kv_i8(b, "v.i8", -100);
    gb_kv_u16(b, "v.u16", 60000);
    gb_kv_i16(b, "v.i16", -30000);
    gb_kv_u32(b, "v.u32", 4000000000u);
    gb_kv_i32(b, "v.i32", -2000000000);
    gb_kv_f32(b, "v.f32", 3.5f);
    gb_kv_bool(b, "v.bool", 1);
    gb_kv_bool(b, "v.false", 0);
    gb_kv_str(b, "v.str", "héllo");
    gb_kv_u64(b, "v.u64", 0x123456789abcull);
    gb_kv_i64(b, "v.i64", -5);
    gb_kv_f64(b, "v.f64", 0.125);
    gb_kv_f64(b, "v.f64big", 1e300);
    gb_kv_arr(b, "a.u8", 0, au8, 3);
    gb_kv_arr(b, "a.i8", 1, ai8, 2);
    gb_kv_arr(b, "a.u16", 2, au16, 2);
    gb_kv_arr(b, "a.i16", 3, ai16, 2);
    gb_kv_arr(b, "a.u32", 4, au32, 2);
    gb_kv_arr(b, "a.i32", 5, ai32, 2);
    gb_kv_arr(b, "a.f32", 6, af32, 2);
    gb_kv_arr(b, "a.bool", 7, abool, 2);
    gb_kv_arr(b, "a.u64", 10, au64, 1);
    gb_kv_arr(b, "a.i64", 11, ai64, 1);
    gb_kv_arr(b, "a.f64", 12, af64, 2);
    gb_kv_arr(b, "a.empty", 4, NULL, 0);
    gb_kv_arr_str(b, "a.str", strs, 3);
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gguf_file *f = open_ok(&img);
    lz_err err;

    assert_int_equal(gguf_n_kv(f), 27);
    assert_int_equal(gguf_n_tensors(f), 0);
    assert_int_equal(gguf_version(f), 3);
    assert_int_equal(gguf_alignment(f), 32);
    for (int64_t i = 0; i < gguf_n_kv(f); i++) {
        const char *k = gguf_key_at(f, i);
        assert_non_null(k);
        assert_int_equal(gguf_find_key(f, k), i);
    }
    assert_null(gguf_key_at(f, -1));
    assert_null(gguf_key_at(f, 27));
    assert_int_equal(gguf_kv_type(f, 27), GGUF_TYPE_COUNT);
    assert_int_equal(gguf_kv_type(f, gguf_find_key(f, "v.i16")), GGUF_TYPE_INT16);
    assert_int_equal(gguf_kv_type(f, gguf_find_key(f, "a.str")), GGUF_TYPE_ARRAY);
    assert_string_equal(gguf_type_name(GGUF_TYPE_FLOAT64), "f64");
    assert_string_equal(gguf_type_name((gguf_value_type)99), "unknown");

    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    float f32;
    int bl;
    assert_int_equal(gguf_get_u32(f, "v.u8", &u32, &err), 0);   assert_int_equal(u32, 200);
    assert_int_equal(gguf_get_i32(f, "v.i8", &i32, &err), 0);   assert_int_equal(i32, -100);
    assert_int_equal(gguf_get_u32(f, "v.u16", &u32, &err), 0);  assert_int_equal(u32, 60000);
    assert_int_equal(gguf_get_i32(f, "v.i16", &i32, &err), 0);  assert_int_equal(i32, -30000);
    assert_int_equal(gguf_get_u32(f, "v.u32", &u32, &err), 0);  assert_true(u32 == 4000000000u);
    assert_int_equal(gguf_get_u64(f, "v.u32", &u64, &err), 0);  assert_true(u64 == 4000000000u);
    assert_int_equal(gguf_get_i32(f, "v.i32", &i32, &err), 0);  assert_int_equal(i32, -2000000000);
    assert_int_equal(gguf_get_f32(f, "v.f32", &f32, &err), 0);  assert_true(f32 == 3.5f);
    assert_int_equal(gguf_get_bool(f, "v.bool", &bl, &err), 0); assert_int_equal(bl, 1);
    assert_int_equal(gguf_get_bool(f, "v.false", &bl, &err), 0); assert_int_equal(bl, 0);
    assert_int_equal(gguf_get_u64(f, "v.u64", &u64, &err), 0);  assert_true(u64 == 0x123456789abcull);
    assert_int_equal(gguf_get_i32(f, "v.i64", &i32, &err), 0);  assert_int_equal(i32, -5);
    assert_int_equal(gguf_get_f32(f, "v.f64", &f32, &err), 0);  assert_true(f32 == 0.125f);
    const char *s;
    uint64_t len;
    assert_int_equal(gguf_get_str(f, "v.str", &s, &len, &err), 0);
    assert_int_equal(len, strlen("héllo"));
    assert_memory_equal(s, "héllo", len);

    /* integer conversions that do not fit, and a double beyond float */
    expect_err(gguf_get_u32(f, "v.i8", &u32, &err), &err, "value -100 does not fit in u32");
    expect_err(gguf_get_i32(f, "v.u32", &i32, &err), &err, "value 4000000000 does not fit in i32");
    expect_err(gguf_get_u32(f, "v.u64", &u32, &err), &err, "does not fit in u32");
    expect_err(gguf_get_u64(f, "v.i64", &u64, &err), &err, "value -5 does not fit in u64");
    expect_err(gguf_get_f32(f, "v.f64big", &f32, &err), &err, "does not fit in f32");

    /* arrays of every fixed type: element type, count and raw little-endian data */
    const struct { const char *key; gguf_value_type t; uint64_t n; const void *want; size_t bytes; } arrs[] = {
        { "a.u8", GGUF_TYPE_UINT8, 3, au8, 3 },     { "a.i8", GGUF_TYPE_INT8, 2, ai8, 2 },
        { "a.u16", GGUF_TYPE_UINT16, 2, au16, 4 },  { "a.i16", GGUF_TYPE_INT16, 2, ai16, 4 },
        { "a.u32", GGUF_TYPE_UINT32, 2, au32, 8 },  { "a.i32", GGUF_TYPE_INT32, 2, ai32, 8 },
        { "a.f32", GGUF_TYPE_FLOAT32, 2, af32, 8 }, { "a.bool", GGUF_TYPE_BOOL, 2, abool, 2 },
        { "a.u64", GGUF_TYPE_UINT64, 1, au64, 8 },  { "a.i64", GGUF_TYPE_INT64, 1, ai64, 8 },
        { "a.f64", GGUF_TYPE_FLOAT64, 2, af64, 16 }, { "a.empty", GGUF_TYPE_UINT32, 0, au32, 0 },
    };
    for (size_t k = 0; k < LZ_ARRAY_LEN(arrs); k++) {
        gguf_value_type et;
        uint64_t n;
        const void *data;
        assert_int_equal(gguf_get_arr(f, arrs[k].key, &et, &n, &data, &err), 0);
        assert_int_equal(et, arrs[k].t);
        assert_int_equal(n, arrs[k].n);
        if (arrs[k].bytes) assert_memory_equal(data, arrs[k].want, arrs[k].bytes);   /* host is little-endian */
    }
    gguf_value_type et;
    uint64_t n;
    const void *data;
    assert_int_equal(gguf_get_arr(f, "a.str", &et, &n, &data, &err), 0);
    assert_int_equal(et, GGUF_TYPE_STRING);
    assert_int_equal(n, 3);
    for (uint64_t k = 0; k < 3; k++) {
        assert_int_equal(gguf_arr_str(f, "a.str", k, &s, &len, &err), 0);
        assert_int_equal(len, strlen(strs[k]));
        assert_memory_equal(s, strs[k], len);
    }
    expect_err(gguf_arr_str(f, "a.str", 3, &s, &len, &err), &err, "index 3 is out of range (3 strings)");
    expect_err(gguf_arr_str(f, "a.u8", 0, &s, &len, &err), &err, "has type array of u8, expected array of str");
    printf("27 key/values of all 13 types and 12 array element types round-trip\n");
    gguf_close(f);
    gb_image_free(&img);
    gb_free(b);
}

static void test_wrong_type_and_missing(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gguf_file *f = open_ok(&img);
    lz_err err;
    uint32_t u32 = 0;
    float f32 = 0;
    int bl = 0;
    const char *s;
    uint64_t len;
    expect_err(gguf_get_u32(f, "no.such.key", &u32, &err), &err, "missing key 'no.such.key'");
    expect_err(gguf_get_str(f, "missing.str", &s, &len, &err), &err, "missing key 'missing.str'");
    expect_err(gguf_get_u32(f, "general.architecture", &u32, &err), &err,
               "key 'general.architecture' has type str, expected u32");
    expect_err(gguf_get_f32(f, "test.block_count", &f32, &err), &err, "has type u32, expected f32");
    expect_err(gguf_get_bool(f, "test.block_count", &bl, &err), &err, "has type u32, expected bool");
    expect_err(gguf_get_str(f, "test.rms_eps", &s, &len, &err), &err, "has type f32, expected str");
    expect_err(gguf_get_u32(f, "tokenizer.ggml.tokens", &u32, &err), &err, "has type array of str, expected u32");
    expect_err(gguf_get_arr(f, "test.block_count", NULL, NULL, NULL, &err), &err, "has type u32, expected array");
    /* optional variants: absent -> default, wrong type -> still an error */
    assert_int_equal(gguf_get_u32_opt(f, "absent", 77, &u32, &err), 0);
    assert_int_equal(u32, 77);
    assert_int_equal(gguf_get_f32_opt(f, "absent", 1.5f, &f32, &err), 0);
    assert_true(f32 == 1.5f);
    assert_int_equal(gguf_get_bool_opt(f, "absent", 1, &bl, &err), 0);
    assert_int_equal(bl, 1);
    assert_int_equal(gguf_get_u32_opt(f, "test.block_count", 77, &u32, &err), 0);
    assert_int_equal(u32, 3);
    assert_int_equal(gguf_get_f32_opt(f, "test.rms_eps", 0.0f, &f32, &err), 0);
    assert_true(f32 == 1e-6f);
    assert_int_equal(gguf_get_bool_opt(f, "tokenizer.ggml.add_bos_token", 0, &bl, &err), 0);
    assert_int_equal(bl, 1);
    expect_err(gguf_get_u32_opt(f, "general.architecture", 1, &u32, &err), &err, "has type str, expected u32");
    expect_err(gguf_get_f32_opt(f, "general.architecture", 1, &f32, &err), &err, "has type str, expected f32");
    expect_err(gguf_get_bool_opt(f, "test.rms_eps", 1, &bl, &err), &err, "has type f32, expected bool");
    assert_int_equal(gguf_find_key(f, "absent"), -1);
    assert_null(gguf_find_tensor(f, "absent"));
    gguf_close(f);
    gb_image_free(&img);
    gb_free(b);
}

static void test_per_layer(void **state)
{
    (void)state;
    gb_builder *b = gb_new();
    const int32_t ff[3] = { 2048, 4096, 1024 };
    const int32_t neg[2] = { 5, -1 };
    const float fl[2] = { 1, 2 };
    gb_kv_u32(b, "x.head_count", 8);
    gb_kv_arr(b, "x.feed_forward_length", 5, ff, 3);
    gb_kv_arr(b, "x.neg", 5, neg, 2);
    gb_kv_arr(b, "x.float", 6, fl, 2);
    gb_kv_str(b, "x.str", "8");
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gguf_file *f = open_ok(&img);
    lz_err err;
    uint32_t v;
    for (uint32_t l = 0; l < 3; l++) {
        assert_int_equal(gguf_get_u32_layer(f, "x.head_count", l, 0, 0, &v, &err), 0);
        assert_int_equal(v, 8);
        assert_int_equal(gguf_get_u32_layer(f, "x.feed_forward_length", l, 0, 0, &v, &err), 0);
        assert_int_equal(v, (uint32_t)ff[l]);
    }
    printf("per-layer: scalar 8 for every layer; array [2048, 4096, 1024] by layer\n");
    expect_err(gguf_get_u32_layer(f, "x.feed_forward_length", 3, 0, 0, &v, &err), &err,
               "has 3 per-layer entries, none for layer 3");
    assert_int_equal(gguf_get_u32_layer(f, "x.neg", 0, 0, 0, &v, &err), 0);
    assert_int_equal(v, 5);
    expect_err(gguf_get_u32_layer(f, "x.neg", 1, 0, 0, &v, &err), &err, "value -1 does not fit in u32");
    expect_err(gguf_get_u32_layer(f, "x.float", 0, 0, 0, &v, &err), &err,
               "has type array of f32, expected an integer or an array of integers");
    expect_err(gguf_get_u32_layer(f, "x.str", 0, 0, 0, &v, &err), &err, "has type str");
    expect_err(gguf_get_u32_layer(f, "x.absent", 0, 0, 0, &v, &err), &err, "missing key 'x.absent'");
    assert_int_equal(gguf_get_u32_layer(f, "x.absent", 0, 1, 99, &v, &err), 0);
    assert_int_equal(v, 99);
    gguf_close(f);
    gb_image_free(&img);
    gb_free(b);
}

static void check_tensors_against_image(const gguf_file *f, const gb_image *img, uint32_t alignment)
{
    assert_int_equal(gguf_alignment(f), alignment);
    assert_int_equal(gguf_data_offset(f), img->data_start);
    assert_int_equal(gguf_data_offset(f) % alignment, 0);
    assert_int_equal(gguf_n_tensors(f), (int64_t)img->n_tensors);
    assert_ptr_equal(gguf_base(f), img->data);
    assert_int_equal(gguf_size(f), img->size);
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        assert_ptr_equal(gguf_find_tensor(f, t->name), t);
        assert_int_equal(t->offset, img->tensor[i].data_offset);
        assert_int_equal(t->offset % alignment, 0);
        assert_ptr_equal(t->data, img->data + img->data_start + t->offset);
        assert_int_equal(t->nbytes, tensor_bytes(t->type, t->n_dims, t->ne));
        assert_int_equal(t->nbytes, t->row_bytes * t->n_rows);
        for (uint64_t k = 0; k < t->nbytes; k++) assert_int_equal(((const uint8_t *)t->data)[k], gb_data_byte((int)i, k));
        printf("  tensor %s: type %u, ne [%llu, %llu, %llu, %llu], %llu rows x %llu bytes at offset %llu\n", t->name,
               t->type, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1], (unsigned long long)t->ne[2],
               (unsigned long long)t->ne[3], (unsigned long long)t->n_rows, (unsigned long long)t->row_bytes,
               (unsigned long long)t->offset);
    }
    assert_null(gguf_tensor_at(f, -1));
    assert_null(gguf_tensor_at(f, gguf_n_tensors(f)));
}

static void test_tensors(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    const uint64_t ne3[4] = { 32, 2, 3, 2 }, ne4[2] = { 512, 2 };
    add_tensor(b, "d.weight", 4, ne3, LZ_TYPE_F16);
    add_tensor(b, "e.weight", 2, ne4, LZ_TYPE_Q6_K);
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gguf_file *f = open_ok(&img);
    check_tensors_against_image(f, &img, 32);
    const gguf_tensor *t = gguf_find_tensor(f, "d.weight");
    assert_int_equal(t->n_dims, 4);
    assert_int_equal(t->n_rows, 12);
    assert_int_equal(t->row_bytes, 64);
    t = gguf_find_tensor(f, "a.weight");
    assert_int_equal(t->n_dims, 2);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->ne[3], 1);
    printf("5 tensors: shapes, sizes, offsets and data bytes match the builder; data section at %llu\n",
           (unsigned long long)gguf_data_offset(f));
    gguf_close(f);
    gb_image_free(&img);
    gb_free(b);
}

static void test_v2_file(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_set_version(b, 2);
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gguf_file *f = open_ok(&img);
    assert_int_equal(gguf_version(f), 2);
    check_tensors_against_image(f, &img, 32);
    printf("GGUF v2 file opens: %lld keys, %lld tensors\n", (long long)gguf_n_kv(f), (long long)gguf_n_tensors(f));
    gguf_close(f);
    gb_image_free(&img);
    gb_free(b);
}

static void test_alignment_64(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_set_alignment(b, 64);
    gb_kv_u32(b, "general.alignment", 64);
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gguf_file *f = open_ok(&img);
    check_tensors_against_image(f, &img, 64);
    printf("alignment 64: data section at %llu, tensor offsets multiples of 64\n",
           (unsigned long long)gguf_data_offset(f));
    gguf_close(f);
    gb_image_free(&img);
    gb_free(b);
}

static void test_open_file(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    char path[] = "/tmp/test_gguf_XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(gb_write_file(&img, img.size, path), 0);
    gguf_file *f = NULL;
    lz_err err;
    assert_int_equal(gguf_open(path, 1, &f, &err), 0);   /* mlock failure is ignored */
    assert_int_equal(gguf_size(f), img.size);
    assert_memory_equal(gguf_base(f), img.data, img.size);
    const gguf_tensor *t = gguf_find_tensor(f, "b.weight");
    assert_non_null(t);
    assert_int_equal(((const uint8_t *)t->data)[5], gb_data_byte(1, 5));
    gguf_close(f);

    /* a mapped file with a defect: the message names the file */
    assert_int_equal(gb_write_file(&img, img.data_end - 1, path), 0);
    assert_int_equal(gguf_open(path, 0, &f, &err), LLAMAZIP_E_GGUF);
    printf("  truncated file on disk: %s\n", err.msg);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "extends past the end of the file"));
    assert_null(f);
    /* empty file */
    assert_int_equal(gb_write_file(&img, 0, path), 0);
    assert_int_equal(gguf_open(path, 0, &f, &err), LLAMAZIP_E_GGUF);
    printf("  empty file: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "truncated file"));
    unlink(path);
    assert_int_equal(gguf_open(path, 0, &f, &err), LLAMAZIP_E_IO);
    printf("  missing file: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "cannot open"));
    assert_int_equal(gguf_open("/tmp", 0, &f, &err), LLAMAZIP_E_IO);
    printf("  directory: %s\n", err.msg);
    gguf_close(NULL);
    gb_image_free(&img);
    gb_free(b);
}

/* ------------------------------------------------------------ malformed files */

static void test_bad_magic(void **state)
{
    (void)state;
    gb_image img;
    gb_builder *b = base_builder();
    assert_int_equal(gb_build(b, &img), 0);
    gb_put_u8(&img, GB_OFF_MAGIC + 3, 'X');
    expect_reject(&img, LLAMAZIP_E_GGUF, "bad magic: expected \"GGUF\" (47 47 55 46), got 47 47 55 58");
    gb_image_free(&img);
    gb_free(b);
}

static void test_bad_version(void **state)
{
    (void)state;
    static const struct { uint32_t v; const char *want; } cases[] = {
        { 0, "unsupported GGUF version 0" },
        { 1, "unsupported GGUF version 1" },
        { 4, "unsupported GGUF version 4" },
        { 0x03000000u, "version field reads 0x03000000: this looks like a byte-swapped (big-endian)" },
        { 0x02000000u, "byte-swapped (big-endian)" },
    };
    for (size_t k = 0; k < LZ_ARRAY_LEN(cases); k++) {
        gb_builder *b = base_builder();
        gb_set_version(b, cases[k].v);
        build_and_reject(b, LLAMAZIP_E_GGUF, cases[k].want);
    }
}

/* Every strict prefix of the file up to the end of the last tensor's data
 * fails cleanly; every longer prefix (only tail padding missing) opens. */
static void test_truncation_every_prefix(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    size_t n_trunc = 0, n_string = 0, n_count = 0, n_data = 0, n_ok = 0;
    for (size_t len = 0; len <= img.size; len++) {
        gguf_file *f = NULL;
        lz_err err;
        const int rc = open_copy(img.data, len, &f, &err);
        if (len < img.data_end) {
            if (rc != LLAMAZIP_E_GGUF) printf("  prefix %zu: rc %d (%s)\n", len, rc, err.msg);
            assert_int_equal(rc, LLAMAZIP_E_GGUF);
            if (strstr(err.msg, "truncated file")) n_trunc++;
            else if (strstr(err.msg, "bytes left in the file")) n_string++;
            else if (strstr(err.msg, "impossible")) n_count++;
            else if (strstr(err.msg, "extends past the end of the file")) n_data++;
            else {
                printf("  prefix %zu: unexpected message: %s\n", len, err.msg);
                fail();
            }
        } else {
            assert_int_equal(rc, 0);
            n_ok++;
        }
    }
    printf("%zu-byte file (data ends at %zu): %zu prefixes rejected (%zu truncated field, %zu length past end, "
           "%zu impossible count, %zu tensor data past end); %zu prefixes that only lack tail padding open\n",
           img.size, img.data_end, (size_t)img.data_end, n_trunc, n_string, n_count, n_data, n_ok);
    assert_int_equal(n_trunc + n_string + n_count + n_data, img.data_end);
    assert_true(n_trunc > 0 && n_string > 0 && n_count > 0 && n_data > 0);
    gb_image_free(&img);
    gb_free(b);
}

static void test_key_length_past_end(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gb_put_u64(&img, img.kv[2].key_len, (uint64_t)1 << 40);
    expect_reject(&img, LLAMAZIP_E_GGUF, "key #2: name length 1099511627776 is longer than the");
    gb_put_u64(&img, img.kv[2].key_len, UINT64_MAX);
    expect_reject(&img, LLAMAZIP_E_GGUF, "key #2: name length 18446744073709551615 is longer than the");
    gb_image_free(&img);
    gb_free(b);
}

static void test_string_value_past_end(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gb_put_u64(&img, img.kv[0].value, img.size);   /* general.architecture */
    expect_reject(&img, LLAMAZIP_E_GGUF, "key 'general.architecture': string length");
    expect_reject(&img, LLAMAZIP_E_GGUF, "is longer than the");
    gb_image_free(&img);
    gb_free(b);
}

static void test_string_array_element_past_end(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    /* tokens: elem type (4) + count (8), then string #0 length; patch string #1's length */
    const size_t s0 = img.kv[5].value + 12;
    const size_t s1 = s0 + 8 + strlen("<pad>");
    gb_put_u64(&img, s1, UINT64_MAX - 3);
    expect_reject(&img, LLAMAZIP_E_GGUF, "key 'tokenizer.ggml.tokens': string #1 has length 18446744073709551612");
    gb_image_free(&img);
    gb_free(b);
}

static void test_array_count_overflow(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    const size_t count_at = img.kv[4].value + 4;   /* head_count: i32 array */
    gb_put_u64(&img, count_at, (uint64_t)1 << 62);  /* 2^62 * 4 bytes overflows 64 bits */
    expect_reject(&img, LLAMAZIP_E_GGUF,
                  "key 'test.attention.head_count': array of 4611686018427387904 i32 elements does not fit");
    gb_put_u64(&img, count_at, 100000);
    expect_reject(&img, LLAMAZIP_E_GGUF, "array of 100000 i32 elements does not fit in the");
    gb_image_free(&img);
    gb_free(b);
}

static void test_string_array_count_too_big(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gb_put_u64(&img, img.kv[5].value + 4, UINT64_MAX);
    expect_reject(&img, LLAMAZIP_E_GGUF, "array of 18446744073709551615 strings does not fit in the");
    gb_image_free(&img);
    gb_free(b);
}

static void test_absurd_counts(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gb_put_u64(&img, GB_OFF_N_KV, (uint64_t)1 << 60);
    expect_reject(&img, LLAMAZIP_E_GGUF, "n_kv = 1152921504606846976 is impossible for a file of");
    gb_put_u64(&img, GB_OFF_N_KV, img.size / 14 + 1);
    expect_reject(&img, LLAMAZIP_E_GGUF, "is impossible for a file of");
    gb_put_u64(&img, GB_OFF_N_KV, 6);
    gb_put_u64(&img, GB_OFF_N_TENSORS, UINT64_MAX);
    expect_reject(&img, LLAMAZIP_E_GGUF, "n_tensors = 18446744073709551615 is impossible for a file of");
    gb_put_u64(&img, GB_OFF_N_TENSORS, (img.size - 24) / 33);   /* each count alone would fit */
    gb_put_u64(&img, GB_OFF_N_KV, (img.size - 24) / 14);
    expect_reject(&img, LLAMAZIP_E_GGUF, "are impossible together for a file of");
    gb_image_free(&img);
    gb_free(b);
}

static void test_unknown_value_type(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    const uint8_t v[4] = { 1, 2, 3, 4 };
    gb_kv_raw(b, "x.weird", 13, v, 4);
    build_and_reject(b, LLAMAZIP_E_GGUF, "key 'x.weird' has unknown value type 13");

    b = base_builder();
    uint8_t arr[12] = { 0 };
    arr[0] = 200;   /* element type 200, count 0 */
    gb_kv_raw(b, "x.weird_arr", 9, arr, 12);
    build_and_reject(b, LLAMAZIP_E_GGUF, "key 'x.weird_arr': array has unknown element type 200");
}

static void test_nested_array(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    uint8_t arr[12] = { 0 };
    arr[0] = 9;   /* element type array, count 0 */
    gb_kv_raw(b, "x.nested", 9, arr, 12);
    build_and_reject(b, LLAMAZIP_E_GGUF, "key 'x.nested': nested arrays are not supported");
}

static void test_duplicate_key(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_kv_u32(b, "test.block_count", 4);
    build_and_reject(b, LLAMAZIP_E_GGUF, "duplicate key 'test.block_count' (key/value pairs #1 and #6)");
}

static void test_bad_key_names(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_kv_strn(b, "", 0, "x", 1);
    build_and_reject(b, LLAMAZIP_E_GGUF, "key #6 has an empty name");
    b = base_builder();
    gb_kv_strn(b, "ab\0cd", 5, "x", 1);
    build_and_reject(b, LLAMAZIP_E_GGUF, "key #6 ('ab...') contains a NUL byte");
}

static void test_duplicate_tensor(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    const uint64_t ne[1] = { 32 };
    add_tensor(b, "b.weight", 1, ne, LZ_TYPE_F32);
    build_and_reject(b, LLAMAZIP_E_GGUF, "duplicate tensor name 'b.weight' (tensors #1 and #3)");
}

static void test_tensor_name_empty_or_long(void **state)
{
    (void)state;
    const uint64_t ne[1] = { 32 };
    gb_builder *b = base_builder();
    gb_tensor_namen(b, "", 0, 1, ne, LZ_TYPE_F32, 128);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor #3 has an empty name");

    char name[65];
    memset(name, 'n', 64);
    name[64] = '\0';
    b = base_builder();
    add_tensor(b, name, 1, ne, LZ_TYPE_F32);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor #3: name of 64 bytes is too long (at most 63)");

    name[63] = '\0';   /* 63 bytes: accepted */
    b = base_builder();
    add_tensor(b, name, 1, ne, LZ_TYPE_F32);
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gguf_file *f = open_ok(&img);
    assert_non_null(gguf_find_tensor(f, name));
    printf("  a 63-byte tensor name is accepted\n");
    gguf_close(f);
    gb_image_free(&img);
    gb_free(b);

    b = base_builder();
    gb_tensor_namen(b, "x\0y", 3, 1, ne, LZ_TYPE_F32, 128);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor #3 ('x...') has a NUL byte in its name");
}

static void test_bad_n_dims(void **state)
{
    (void)state;
    const uint64_t ne[5] = { 32, 1, 1, 1, 1 };
    gb_builder *b = base_builder();
    gb_tensor(b, "z.weight", 0, ne, LZ_TYPE_F32, 4);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor 'z.weight' has n_dims = 0 (must be 1 to 4)");
    b = base_builder();
    gb_tensor(b, "z.weight", 5, ne, LZ_TYPE_F32, 128);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor 'z.weight' has n_dims = 5 (must be 1 to 4)");
}

static void test_bad_dimension(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gb_put_u64(&img, img.tensor[1].ne + 8, 0);   /* b.weight ne[1] = 0 */
    expect_reject(&img, LLAMAZIP_E_GGUF, "tensor 'b.weight': dimension 1 is 0");
    gb_put_u64(&img, img.tensor[1].ne + 8, (uint64_t)-3);
    expect_reject(&img, LLAMAZIP_E_GGUF, "tensor 'b.weight': dimension 1 is negative (-3)");
    gb_image_free(&img);
    gb_free(b);
}

static void test_size_overflow(void **state)
{
    (void)state;
    const uint64_t big[2] = { (uint64_t)1 << 32, (uint64_t)1 << 32 };
    gb_builder *b = base_builder();
    gb_tensor(b, "z.weight", 2, big, LZ_TYPE_F32, 0);
    build_and_reject(b, LLAMAZIP_E_GGUF,
                     "tensor 'z.weight': element count overflows (ne = [4294967296, 4294967296, 1, 1])");
    const uint64_t big63[4] = { (uint64_t)1 << 31, (uint64_t)1 << 16, (uint64_t)1 << 16, 2 };   /* 2^64 */
    b = base_builder();
    gb_tensor(b, "z.weight", 4, big63, LZ_TYPE_F32, 0);
    build_and_reject(b, LLAMAZIP_E_GGUF, "element count overflows");
    const uint64_t bytes_big[2] = { (uint64_t)1 << 31, (uint64_t)1 << 31 };   /* 2^62 elements, 2^64 bytes */
    b = base_builder();
    gb_tensor(b, "z.weight", 2, bytes_big, LZ_TYPE_F32, 0);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor 'z.weight' (F32): byte size overflows (4611686018427387904 elements)");
}

static void test_unknown_tensor_type(void **state)
{
    (void)state;
    const uint64_t ne[1] = { 256 };
    gb_builder *b = base_builder();
    gb_tensor(b, "z.weight", 1, ne, 16 /* IQ2_XXS */, 66);
    build_and_reject(b, LLAMAZIP_E_UNSUPPORTED, "tensor 'z.weight' has type");
    b = base_builder();
    gb_tensor(b, "z.weight", 1, ne, 16, 66);
    build_and_reject(b, LLAMAZIP_E_UNSUPPORTED, "(code 16), which this build does not support");
    b = base_builder();
    gb_tensor(b, "z.weight", 1, ne, 123456, 66);
    build_and_reject(b, LLAMAZIP_E_UNSUPPORTED, "unknown type code 123456, which this build does not support");
}

static void test_row_not_block_multiple(void **state)
{
    (void)state;
    const uint64_t ne[2] = { 640, 2 };
    gb_builder *b = base_builder();
    gb_tensor(b, "z.weight", 2, ne, LZ_TYPE_Q4_K, 720);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor 'z.weight' (Q4_K): row length 640 is not a multiple of the block size 256");
    const uint64_t ne8[1] = { 48 };
    b = base_builder();
    gb_tensor(b, "z.weight", 1, ne8, LZ_TYPE_Q8_0, 51);
    build_and_reject(b, LLAMAZIP_E_GGUF, "row length 48 is not a multiple of the block size 32");
}

static void test_misaligned_offset(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_tensor_offset(b, 2, 4096 + 16);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor 'c.weight': offset 4112 is not a multiple of the alignment 32");
    b = base_builder();   /* alignment 64 declared: 32-aligned offsets no longer pass */
    gb_kv_u32(b, "general.alignment", 64);
    build_and_reject(b, LLAMAZIP_E_GGUF, "is not a multiple of the alignment 64");
}

static void test_bad_alignment_key(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_kv_u64(b, "general.alignment", 32);
    build_and_reject(b, LLAMAZIP_E_GGUF, "general.alignment has type u64, expected u32");
    b = base_builder();
    gb_kv_u32(b, "general.alignment", 0);
    build_and_reject(b, LLAMAZIP_E_GGUF, "general.alignment = 0 is not a power of two");
    b = base_builder();
    gb_kv_u32(b, "general.alignment", 48);
    build_and_reject(b, LLAMAZIP_E_GGUF, "general.alignment = 48 is not a power of two");
}

static void test_data_past_end(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_tensor_offset(b, 2, (uint64_t)1 << 40);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor 'c.weight': data [");
    b = base_builder();
    gb_tensor_offset(b, 2, (uint64_t)1 << 40);
    build_and_reject(b, LLAMAZIP_E_GGUF, "extends past the end of the file");
    b = base_builder();   /* offset + data section start overflows 64 bits */
    gb_tensor_offset(b, 2, UINT64_MAX - 31);
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensor 'c.weight': offset 18446744073709551584 + 144 bytes overflows");
}

static void test_overlapping_tensors(void **state)
{
    (void)state;
    gb_builder *b = base_builder();
    gb_tensor_offset(b, 1, 32);   /* a.weight occupies [0, 64) */
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensors 'a.weight' [0, 64) and 'b.weight' [32, 236) overlap");
    b = base_builder();
    gb_tensor_offset(b, 2, 0);    /* same start as a.weight */
    build_and_reject(b, LLAMAZIP_E_GGUF, "tensors 'a.weight' [0, 64) and 'c.weight' [0, 144) overlap");
}

/* ------------------------------------------------------------ the real model */

static void test_real_model(void **state)
{
    (void)state;
    if (access(MODEL_PATH, R_OK) != 0) {
        printf("SKIP: %s not present (make model fetches it)\n", MODEL_PATH);
        skip();
    }
    gguf_file *f = NULL;
    lz_err err;
    const int rc = gguf_open(MODEL_PATH, 0, &f, &err);
    if (rc) printf("  %s\n", err.msg);
    assert_int_equal(rc, 0);
    printf("%s: GGUF v%u, %lld keys, %lld tensors, alignment %u, data at %llu, %llu bytes\n", MODEL_PATH,
           gguf_version(f), (long long)gguf_n_kv(f), (long long)gguf_n_tensors(f), gguf_alignment(f),
           (unsigned long long)gguf_data_offset(f), (unsigned long long)gguf_size(f));
    const char *s;
    uint64_t len;
    assert_int_equal(gguf_get_str(f, "general.architecture", &s, &len, &err), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(s, "gemma3", 6);
    uint32_t v;
    assert_int_equal(gguf_get_u32(f, "gemma3.embedding_length", &v, &err), 0);
    assert_int_equal(v, 640);
    assert_int_equal(gguf_get_u32_layer(f, "gemma3.attention.head_count", 17, 0, 0, &v, &err), 0);
    assert_int_equal(v, 4);
    assert_int_equal(gguf_n_tensors(f), 236);
    const gguf_tensor *t = gguf_find_tensor(f, "token_embd.weight");
    assert_non_null(t);
    assert_int_equal(t->n_dims, 2);
    assert_int_equal(t->ne[0], 640);
    assert_int_equal(t->ne[1], 262144);
    assert_int_equal(t->type, LZ_TYPE_Q8_0);
    printf("  token_embd.weight: ne [%llu, %llu], type %u, %llu bytes\n", (unsigned long long)t->ne[0],
           (unsigned long long)t->ne[1], t->type, (unsigned long long)t->nbytes);
    uint64_t n_tok;
    gguf_value_type et;
    assert_int_equal(gguf_get_arr(f, "tokenizer.ggml.tokens", &et, &n_tok, NULL, &err), 0);
    assert_int_equal(et, GGUF_TYPE_STRING);
    assert_int_equal(gguf_arr_str(f, "tokenizer.ggml.tokens", 2, &s, &len, &err), 0);
    printf("  %llu tokens; token 2 = '%.*s'\n", (unsigned long long)n_tok, (int)len, s);
    assert_int_equal(len, 5);
    assert_memory_equal(s, "<bos>", 5);

    /* every tensor lies inside the file, in order of offset, without overlap */
    unsigned hist[64] = { 0 };
    uint64_t total = 0;
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        t = gguf_tensor_at(f, i);
        const uint8_t *p = t->data, *base = gguf_base(f);
        assert_true(p >= base + gguf_data_offset(f));
        assert_true((uint64_t)(p - base) + t->nbytes <= gguf_size(f));
        hist[t->type < 64 ? t->type : 63]++;
        total += t->nbytes;
    }
    printf("  tensor types:");
    for (unsigned k = 0; k < 64; k++)
        if (hist[k]) printf(" %s x%u", lz_type_name(k), hist[k]);
    printf("; %llu bytes of tensor data\n", (unsigned long long)total);
    gguf_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_types_roundtrip),
        cmocka_unit_test(test_wrong_type_and_missing),
        cmocka_unit_test(test_per_layer),
        cmocka_unit_test(test_tensors),
        cmocka_unit_test(test_v2_file),
        cmocka_unit_test(test_alignment_64),
        cmocka_unit_test(test_open_file),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_truncation_every_prefix),
        cmocka_unit_test(test_key_length_past_end),
        cmocka_unit_test(test_string_value_past_end),
        cmocka_unit_test(test_string_array_element_past_end),
        cmocka_unit_test(test_array_count_overflow),
        cmocka_unit_test(test_string_array_count_too_big),
        cmocka_unit_test(test_absurd_counts),
        cmocka_unit_test(test_unknown_value_type),
        cmocka_unit_test(test_nested_array),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_bad_key_names),
        cmocka_unit_test(test_duplicate_tensor),
        cmocka_unit_test(test_tensor_name_empty_or_long),
        cmocka_unit_test(test_bad_n_dims),
        cmocka_unit_test(test_bad_dimension),
        cmocka_unit_test(test_size_overflow),
        cmocka_unit_test(test_unknown_tensor_type),
        cmocka_unit_test(test_row_not_block_multiple),
        cmocka_unit_test(test_misaligned_offset),
        cmocka_unit_test(test_bad_alignment_key),
        cmocka_unit_test(test_data_past_end),
        cmocka_unit_test(test_overlapping_tensors),
        cmocka_unit_test(test_real_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
