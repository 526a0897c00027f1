/*
 * test_api.c - robustness of the public API (include/llamazip.h).
 *
 *  - llamazip_model_load: every way it can fail (missing file, directory,
 *    empty file, not GGUF, every kind of truncation, unsupported
 *    architecture, missing tensor, unsupported tokenizer, NULL arguments):
 *    the status, *out left NULL, and a message naming the problem and the
 *    path;
 *  - llamazip_ctx_create and compress/decompress argument errors;
 *  - damaged archives (garbage, every truncation, bit flips, another
 *    model): the status, a message, no output buffer, and a context that
 *    still works afterwards;
 *  - cancellation, model description, two threads sharing one model;
 *  - a floating-point environment that is not the default (another rounding
 *    mode, flush-to-zero) refused by ctx_create and by every coding call.
 *
 * Uses only the public header. Small llama models with random weights are
 * built with tests/util/gguf_builder and written to a temporary directory;
 * the tests on the default model (models/gemma-3-270m-q4_k_m.gguf, n_ctx
 * 64, short inputs) skip when it is absent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fenv.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "llamazip.h"
#include "util/gguf_builder.h"

/* The one internal knob these tests use (src/api_internal.h): the archive
 * bytes a pulled decompression reads per group of frames. */
extern size_t lz_decompress_group_bytes;

#define DEFAULT_MODEL "models/gemma-3-270m-q4_k_m.gguf"
#define ERRBUF 1024

/* ggml type codes and GGUF value types the tiny model uses */
#define T_F32 0
#define V_INT32 5
#define V_FLOAT32 6

static char g_dir[64];   /* temporary directory of this run */

/* ================================================================ helpers */

static const char *tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", g_dir, name);
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Load must fail with `want`, leave *out NULL, and say `needle` and the path. */
static void expect_load_error(const char *label, const char *path, llamazip_status want, const char *needle)
{
    llamazip_model *m = (llamazip_model *)&g_dir; /* not NULL: load must reset it */
    char err[ERRBUF];
    memset(err, 'x', sizeof(err));
    llamazip_status rc = llamazip_model_load(path, NULL, &m, err, sizeof(err));
    assert_non_null(memchr(err, '\0', sizeof(err)));
    printf("  %-26s -> %s: %s\n", label, llamazip_status_name(rc), err);
    assert_int_equal(rc, want);
    assert_null(m);
    assert_non_null(strstr(err, path));
    if (needle && !strstr(err, needle)) fail_msg("message lacks '%s'", needle);
}

/* ---------------------------------------------------------------- tiny model */

/* A 1-layer llama (n_embd 16, 2 heads, 1 KV head, FFN 32, F32 weights) with
 * a SentencePiece vocabulary: <unk> <s> </s>, 256 byte tokens and a few
 * pieces. The embeddings make " the" by far the likeliest next token, so
 * that text of " the" compresses into a MODEL frame. */
typedef struct {
    const char *arch;          /* general.architecture */
    const char *tok_model;     /* tokenizer.ggml.model */
    const char *skip_tensor;   /* leave this tensor out */
    uint32_t seed;             /* weight values */
} tiny_spec;

#define TINY_EMBD 16
#define TINY_FF 32
#define TINY_KV 8
static const char *const g_pieces[] = { "\xe2\x96\x81the", "\xe2\x96\x81", "t", "h", "e", "th", "the", "a",
                                        "\xe2\x96\x81" "a", "c", "at", "cat", "\xe2\x96\x81" "cat", "." };
#define TINY_N_PIECES (sizeof(g_pieces) / sizeof(g_pieces[0]))
#define TINY_VOCAB (3 + 256 + TINY_N_PIECES)
#define TINY_THE (3 + 256) /* id of "▁the" */

typedef enum { FILL_ONES, FILL_RANDOM, FILL_EMBD } fill_kind;

typedef struct {
    const char *name;
    uint64_t ne0, ne1;
    fill_kind fill;
} tiny_tensor;

static const tiny_tensor g_tensors[] = {
    { "token_embd.weight", TINY_EMBD, TINY_VOCAB, FILL_EMBD },
    { "output_norm.weight", TINY_EMBD, 1, FILL_ONES },
    { "blk.0.attn_norm.weight", TINY_EMBD, 1, FILL_ONES },
    { "blk.0.ffn_norm.weight", TINY_EMBD, 1, FILL_ONES },
    { "blk.0.attn_q.weight", TINY_EMBD, TINY_EMBD, FILL_RANDOM },
    { "blk.0.attn_k.weight", TINY_EMBD, TINY_KV, FILL_RANDOM },
    { "blk.0.attn_v.weight", TINY_EMBD, TINY_KV, FILL_RANDOM },
    { "blk.0.attn_output.weight", TINY_EMBD, TINY_EMBD, FILL_RANDOM },
    { "blk.0.ffn_gate.weight", TINY_EMBD, TINY_FF, FILL_RANDOM },
    { "blk.0.ffn_up.weight", TINY_EMBD, TINY_FF, FILL_RANDOM },
    { "blk.0.ffn_down.weight", TINY_FF, TINY_EMBD, FILL_RANDOM },
};
#define TINY_N_TENSORS (sizeof(g_tensors) / sizeof(g_tensors[0]))

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Uniform in [-a, a). */
static float rnd(uint32_t *s, float a)
{
    return a * ((float)lcg(s) / (float)(1u << 23) - 1.0f);
}

static void fill_tensor(float *w, const tiny_tensor *t, uint32_t *s)
{
    for (uint64_t r = 0; r < t->ne1; r++) {
        for (uint64_t c = 0; c < t->ne0; c++) {
            float v = 1.0f;
            if (t->fill == FILL_RANDOM) v = rnd(s, 0.05f);
            if (t->fill == FILL_EMBD) {
                /* dimension 0 carries the preference: " the" >> other pieces and specials >> bytes */
                const float pref = r == TINY_THE ? 4.0f : r >= 3 && r < TINY_THE ? -3.0f : 1.0f;
                v = c == 0 ? pref : rnd(s, 0.1f);
            }
            memcpy(w + r * t->ne0 + c, &v, sizeof(v));
        }
    }
}

static void add_vocab(gb_builder *b)
{
    static char bytes[256][8];
    const char *toks[TINY_VOCAB];
    float scores[TINY_VOCAB];
    int32_t types[TINY_VOCAB];
    toks[0] = "<unk>"; types[0] = 2;
    toks[1] = "<s>";   types[1] = 3;
    toks[2] = "</s>";  types[2] = 3;
    for (int i = 0; i < 256; i++) {
        snprintf(bytes[i], sizeof(bytes[i]), "<0x%02X>", i);
        toks[3 + i] = bytes[i];
        types[3 + i] = 6;
    }
    for (size_t i = 0; i < TINY_N_PIECES; i++) {
        toks[TINY_THE + i] = g_pieces[i];
        types[TINY_THE + i] = 1;
    }
    for (size_t i = 0; i < TINY_VOCAB; i++) scores[i] = i >= TINY_THE ? -(float)(i - TINY_THE) : 0.0f;
    gb_kv_arr_str(b, "tokenizer.ggml.tokens", toks, TINY_VOCAB);
    gb_kv_arr(b, "tokenizer.ggml.scores", V_FLOAT32, scores, TINY_VOCAB);
    gb_kv_arr(b, "tokenizer.ggml.token_type", V_INT32, types, TINY_VOCAB);
}

/* Build the tiny model described by `spec` into `img`. */
static void tiny_build(const tiny_spec *spec, gb_image *img)
{
    gb_builder *b = gb_new();
    assert_non_null(b);
    char key[128];
    const char *a = spec->arch;
#define ARCH_KEY(suffix) (snprintf(key, sizeof(key), "%s.%s", a, suffix), key)
    gb_kv_str(b, "general.architecture", a);
    gb_kv_str(b, "general.name", "tiny test model");
    gb_kv_u32(b, ARCH_KEY("context_length"), 256);
    gb_kv_u32(b, ARCH_KEY("embedding_length"), TINY_EMBD);
    gb_kv_u32(b, ARCH_KEY("block_count"), 1);
    gb_kv_u32(b, ARCH_KEY("feed_forward_length"), TINY_FF);
    gb_kv_u32(b, ARCH_KEY("attention.head_count"), 2);
    gb_kv_u32(b, ARCH_KEY("attention.head_count_kv"), 1);
    gb_kv_f32(b, ARCH_KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
    gb_kv_f32(b, ARCH_KEY("rope.freq_base"), 10000.0f);
#undef ARCH_KEY
    gb_kv_str(b, "tokenizer.ggml.model", spec->tok_model);
    add_vocab(b);
    gb_kv_u32(b, "tokenizer.ggml.bos_token_id", 1);
    gb_kv_u32(b, "tokenizer.ggml.eos_token_id", 2);
    gb_kv_u32(b, "tokenizer.ggml.unknown_token_id", 0);
    gb_kv_bool(b, "tokenizer.ggml.add_space_prefix", 0);

    const tiny_tensor *added[TINY_N_TENSORS];
    size_t n = 0;
    for (size_t i = 0; i < TINY_N_TENSORS; i++) {
        const tiny_tensor *t = &g_tensors[i];
        if (spec->skip_tensor && !strcmp(spec->skip_tensor, t->name)) continue;
        const uint64_t ne[2] = { t->ne0, t->ne1 };
        const uint32_t n_dims = t->ne1 == 1 ? 1 : 2;
        assert_int_equal(gb_tensor(b, t->name, n_dims, ne, T_F32, t->ne0 * t->ne1 * 4), (int)n);
        added[n++] = t;
    }
    assert_int_equal(gb_build(b, img), 0);
    gb_free(b);
    uint32_t s = spec->seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++)
        fill_tensor((float *)(img->data + img->data_start + img->tensor[i].data_offset), added[i], &s);
}

static const tiny_spec g_tiny = { "llama", "llama", NULL, 1 };

/* Write a tiny model file; returns its path in buf. */
static const char *tiny_file(const tiny_spec *spec, const char *name, char *buf, size_t size)
{
    gb_image img;
    tiny_build(spec, &img);
    tmp_path(buf, size, name);
    assert_int_equal(gb_write_file(&img, img.size, buf), 0);
    gb_image_free(&img);
    return buf;
}

static llamazip_model *load_ok(const char *path)
{
    llamazip_model *m = NULL;
    char err[ERRBUF];
    llamazip_status rc = llamazip_model_load(path, NULL, &m, err, sizeof(err));
    if (rc != LLAMAZIP_OK) fail_msg("loading %s: %s: %s", path, llamazip_status_name(rc), err);
    assert_non_null(m);
    return m;
}

static llamazip_ctx *ctx_ok(const llamazip_model *m, uint32_t n_ctx)
{
    llamazip_ctx_params p;
    llamazip_ctx_params_default(&p);
    p.n_ctx = n_ctx;
    char err[ERRBUF];
    llamazip_ctx *c = NULL;
    if (llamazip_ctx_create(m, &p, &c, err, sizeof(err)) != LLAMAZIP_OK)
        fail_msg("llamazip_ctx_create(n_ctx %u): %s", n_ctx, err);
    assert_non_null(c);
    return c;
}

/* The shared tiny model and its text (loaded once by the group setup). */
static char g_tiny_path[128];
static llamazip_model *g_tiny_model;
static char g_text[400];      /* " the" x 100 */

/* The default model, loaded on first use; NULL (tests skip) when absent. */
static llamazip_model *g_default;
static int g_default_tried;

static llamazip_model *default_model(void)
{
    if (!g_default_tried) {
        g_default_tried = 1;
        if (file_exists(DEFAULT_MODEL)) g_default = load_ok(DEFAULT_MODEL);
        else printf("  (default model %s absent)\n", DEFAULT_MODEL);
    }
    return g_default;
}

static void compress_ok(llamazip_ctx *c, const void *src, size_t n, uint8_t **arc, size_t *arc_len)
{
    void *dst = NULL;
    llamazip_status rc = llamazip_compress(c, src, n, &dst, arc_len);
    if (rc != LLAMAZIP_OK) fail_msg("compress: %s: %s", llamazip_status_name(rc), llamazip_ctx_error(c));
    *arc = dst;
}

/* Decompress must give back exactly src. */
static void expect_round_trip(llamazip_ctx *c, const uint8_t *arc, size_t arc_len, const void *src, size_t n)
{
    void *dst = NULL;
    size_t dst_len = 0;
    llamazip_status rc = llamazip_decompress(c, arc, arc_len, &dst, &dst_len);
    if (rc != LLAMAZIP_OK) fail_msg("decompress: %s: %s", llamazip_status_name(rc), llamazip_ctx_error(c));
    assert_int_equal(dst_len, n);
    if (n) assert_memory_equal(dst, src, n);
    llamazip_free_buffer(dst);
}

/* Decompress must fail: a status other than OK, a message, no output.
 * Returns the status. */
static llamazip_status expect_decompress_error(llamazip_ctx *c, const uint8_t *arc, size_t arc_len)
{
    void *dst = (void *)&g_dir; /* must be reset */
    size_t dst_len = 12345;
    llamazip_status rc = llamazip_decompress(c, arc, arc_len, &dst, &dst_len);
    if (rc == LLAMAZIP_OK) fail_msg("a damaged archive of %zu bytes decompressed (%zu bytes)", arc_len, dst_len);
    assert_null(dst);
    assert_int_equal(dst_len, 0);
    assert_true(llamazip_ctx_error(c)[0] != '\0');
    return rc;
}

/* ================================================================ model loading */

static void test_load_null_arguments(void **state)
{
    (void)state;
    llamazip_model *m = (llamazip_model *)&g_dir;
    char err[ERRBUF];
    assert_int_equal(llamazip_model_load(NULL, NULL, &m, err, sizeof(err)), LLAMAZIP_E_USAGE);
    assert_null(m);
    assert_non_null(strstr(err, "NULL"));
    printf("  path NULL -> E_USAGE: %s\n", err);
    assert_int_equal(llamazip_model_load(g_tiny_path, NULL, NULL, err, sizeof(err)), LLAMAZIP_E_USAGE);
    printf("  out NULL  -> E_USAGE: %s\n", err);
    /* no error buffer, or one of size 0 or 1: no crash, buffer bounds respected */
    assert_int_equal(llamazip_model_load(NULL, NULL, &m, NULL, 0), LLAMAZIP_E_USAGE);
    assert_int_equal(llamazip_model_load("/nonexistent/x.gguf", NULL, &m, NULL, 100), LLAMAZIP_E_IO);
    char one[2] = { 'x', 'y' };
    assert_int_equal(llamazip_model_load("/nonexistent/x.gguf", NULL, &m, one, 1), LLAMAZIP_E_IO);
    assert_int_equal(one[0], '\0');
    assert_int_equal(one[1], 'y');
    char small[9];
    memset(small, 'z', sizeof(small));
    assert_int_equal(llamazip_model_load("/nonexistent/x.gguf", NULL, &m, small, 8), LLAMAZIP_E_IO);
    assert_int_equal(strlen(small), 7);
    assert_int_equal(small[8], 'z');
    printf("  errbuf NULL / size 1 / size 8: no overflow, truncated message '%s'\n", small);
    /* NULL-tolerant helpers */
    llamazip_model_free(NULL);
    llamazip_ctx_free(NULL);
    llamazip_free_buffer(NULL);
    llamazip_model_params_default(NULL);
    llamazip_ctx_params_default(NULL);
    char d[8] = "zzzzzzz";
    assert_int_equal(llamazip_model_describe(NULL, d, sizeof(d)), 0);
    assert_int_equal(d[0], '\0');
    assert_int_equal(llamazip_model_context_length(NULL), 0);
    llamazip_stats st;
    llamazip_ctx_stats(NULL, &st);
    assert_int_equal(st.n_tokens, 0);
    llamazip_ctx_stats(NULL, NULL);
    assert_non_null(llamazip_ctx_error(NULL));
    printf("  free/default/describe/stats/error accept NULL\n");
}

static void test_load_bad_paths(void **state)
{
    (void)state;
    char p[128];
    expect_load_error("missing file", tmp_path(p, sizeof(p), "does-not-exist.gguf"), LLAMAZIP_E_IO,
                      "No such file");
    expect_load_error("missing directory", "/nonexistent-dir/model.gguf", LLAMAZIP_E_IO, "No such file");
    expect_load_error("a directory", g_dir, LLAMAZIP_E_IO, "not a regular file");
    expect_load_error("/dev/null", "/dev/null", LLAMAZIP_E_IO, "not a regular file");
    write_bytes(tmp_path(p, sizeof(p), "empty.gguf"), "", 0);
    expect_load_error("empty file", p, LLAMAZIP_E_GGUF, "truncated");
    static const char text[] = "This is a text file, not a model.\n";
    write_bytes(tmp_path(p, sizeof(p), "text.gguf"), text, sizeof(text) - 1);
    expect_load_error("text file", p, LLAMAZIP_E_GGUF, "bad magic");
    write_bytes(tmp_path(p, sizeof(p), "magic-only.gguf"), "GGUF", 4);
    expect_load_error("magic only", p, LLAMAZIP_E_GGUF, "truncated");
    static const uint8_t v9[] = { 'G', 'G', 'U', 'F', 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    write_bytes(tmp_path(p, sizeof(p), "v9.gguf"), v9, sizeof(v9));
    expect_load_error("GGUF version 9", p, LLAMAZIP_E_GGUF, "version 9");
    /* an archive given as the model */
    static const uint8_t arc[] = { 'L', 'Z', 'L', 'M', 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 64, 0, 0 };
    write_bytes(tmp_path(p, sizeof(p), "archive.llz"), arc, sizeof(arc));
    expect_load_error("an archive as the model", p, LLAMAZIP_E_GGUF, "bad magic");
    if (geteuid() != 0) {
        write_bytes(tmp_path(p, sizeof(p), "unreadable.gguf"), "GGUF", 4);
        assert_int_equal(chmod(p, 0), 0);
        expect_load_error("unreadable file", p, LLAMAZIP_E_IO, "Permission denied");
    } else {
        printf("  (running as root: unreadable-file case skipped)\n");
    }
}

static void test_load_tiny_model(void **state)
{
    (void)state;
    char d[4096];
    const size_t need = llamazip_model_describe(g_tiny_model, d, sizeof(d));
    assert_true(need < sizeof(d));
    assert_int_equal(strlen(d), need);
    assert_non_null(strstr(d, "llama"));
    assert_non_null(strstr(d, g_tiny_path));
    assert_int_equal(llamazip_model_context_length(g_tiny_model), 256);
    printf("  tiny llama model (%zu tokens) loads; context length 256; description %zu chars\n",
           (size_t)TINY_VOCAB, need);
}

static void test_load_truncated(void **state)
{
    (void)state;
    gb_image img;
    tiny_build(&g_tiny, &img);
    char p[128];
    tmp_path(p, sizeof(p), "truncated.gguf");
    int n = 0, said_truncated = 0;
    for (size_t cut = 0; cut < img.data_end; cut += cut < 64 ? 1 : cut < img.infos_end ? 13 : 509) {
        assert_int_equal(gb_write_file(&img, cut, p), 0);
        llamazip_model *m = (llamazip_model *)&g_dir;
        char err[ERRBUF];
        llamazip_status rc = llamazip_model_load(p, NULL, &m, err, sizeof(err));
        if (rc != LLAMAZIP_E_GGUF || m || !strstr(err, p))
            fail_msg("cut at %zu of %zu: %s: %s", cut, img.size, llamazip_status_name(rc), err);
        said_truncated += strstr(err, "truncated") != NULL;
        n++;
    }
    /* the last byte of tensor data */
    assert_int_equal(gb_write_file(&img, img.data_end - 1, p), 0);
    expect_load_error("cut in the last tensor", p, LLAMAZIP_E_GGUF, "blk.0.ffn_down.weight");
    printf("  %d truncated copies (of %zu bytes, data ends at %zu): all E_GGUF naming the path, "
           "%d saying 'truncated'\n", n, img.size, img.data_end, said_truncated);
    gb_image_free(&img);
}

static void test_load_unsupported_architecture(void **state)
{
    (void)state;
    char p[128];
    tiny_spec s = g_tiny;
    s.arch = "mamba";
    expect_load_error("architecture mamba", tiny_file(&s, "mamba.gguf", p, sizeof(p)), LLAMAZIP_E_UNSUPPORTED,
                      "mamba");
    char err[ERRBUF];
    llamazip_model *m = NULL;
    llamazip_model_load(p, NULL, &m, err, sizeof(err));
    static const char *const supported[] = { "gemma3", "llama", "qwen2", "phi3" };
    for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
        if (!strstr(err, supported[i])) fail_msg("the message does not list '%s': %s", supported[i], err);
    printf("  the message lists the supported architectures\n");
}

static void test_load_missing_tensor(void **state)
{
    (void)state;
    static const char *const names[] = { "blk.0.ffn_down.weight", "blk.0.attn_k.weight", "token_embd.weight",
                                         "output_norm.weight" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char p[128], file[64], label[64];
        tiny_spec s = g_tiny;
        s.skip_tensor = names[i];
        snprintf(file, sizeof(file), "missing-%zu.gguf", i);
        snprintf(label, sizeof(label), "without %s", names[i]);
        expect_load_error(label, tiny_file(&s, file, p, sizeof(p)), LLAMAZIP_E_GGUF, names[i]);
    }
}

static void test_load_unsupported_tokenizer(void **state)
{
    (void)state;
    static const char *const kinds[] = { "bert", "rwkv", "no-such-tokenizer" };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        char p[128], file[64], label[64];
        tiny_spec s = g_tiny;
        s.tok_model = kinds[i];
        snprintf(file, sizeof(file), "tok-%zu.gguf", i);
        snprintf(label, sizeof(label), "tokenizer %s", kinds[i]);
        expect_load_error(label, tiny_file(&s, file, p, sizeof(p)), LLAMAZIP_E_UNSUPPORTED, kinds[i]);
    }
}

/* ================================================================ contexts */

/* The failure's status, its message, no context; the same without an error buffer. */
static void expect_ctx_error(const char *label, const llamazip_model *m, const llamazip_ctx_params *p,
                             llamazip_status want, const char *needle)
{
    char err[ERRBUF];
    memset(err, 'x', sizeof(err));
    llamazip_ctx *c = (llamazip_ctx *)&g_dir; /* must be reset */
    llamazip_status rc = llamazip_ctx_create(m, p, &c, err, sizeof(err));
    printf("  %-22s -> %s: %s\n", label, llamazip_status_name(rc), err);
    assert_int_equal(rc, want);
    assert_null(c);
    assert_non_null(strstr(err, needle));
    c = (llamazip_ctx *)&g_dir;
    assert_int_equal(llamazip_ctx_create(m, p, &c, NULL, 0), want); /* no error buffer: no crash */
    assert_null(c);
}

static void test_ctx_create_errors(void **state)
{
    (void)state;
    llamazip_ctx_params p;
    llamazip_ctx_params_default(&p);
    expect_ctx_error("model NULL", NULL, &p, LLAMAZIP_E_USAGE, "NULL");
    char err0[ERRBUF];
    assert_int_equal(llamazip_ctx_create(g_tiny_model, &p, NULL, err0, sizeof(err0)), LLAMAZIP_E_USAGE);
    assert_non_null(strstr(err0, "out must not be NULL"));
    p.n_ctx = 1;
    expect_ctx_error("n_ctx 1", g_tiny_model, &p, LLAMAZIP_E_USAGE, "n_ctx 1 out of range");
    p.n_ctx = (1u << 24) + 1;
    expect_ctx_error("n_ctx 2^24 + 1", g_tiny_model, &p, LLAMAZIP_E_USAGE, "out of range");
    p.n_ctx = UINT32_MAX;
    expect_ctx_error("n_ctx 2^32 - 1", g_tiny_model, &p, LLAMAZIP_E_USAGE, "out of range");
    p.n_ctx = 64;
    p.n_batch = 100000;
    expect_ctx_error("batch 100000", g_tiny_model, &p, LLAMAZIP_E_USAGE, "batch");
    p.n_batch = 0;
    p.cpu_level = LLAMAZIP_CPU_NEON + 1;
    expect_ctx_error("cpu_level 5", g_tiny_model, &p, LLAMAZIP_E_USAGE, "cpu_level 5 out of range");
    p.cpu_level = -1;
    expect_ctx_error("cpu_level -1", g_tiny_model, &p, LLAMAZIP_E_USAGE, "cpu_level -1 out of range");
    p.cpu_level = LLAMAZIP_CPU_AUTO;
    /* the extremes that are allowed work */
    p.n_batch = 1;
    p.n_ctx = 2;
    p.n_threads = 1;
    char err[ERRBUF];
    llamazip_ctx *c = NULL;
    if (llamazip_ctx_create(g_tiny_model, &p, &c, err, sizeof(err)) != LLAMAZIP_OK)
        fail_msg("n_ctx 2, batch 1: %s", err);
    assert_string_equal(llamazip_ctx_error(c), "");
    uint8_t *arc;
    size_t arc_len;
    compress_ok(c, g_text, 40, &arc, &arc_len);
    expect_round_trip(c, arc, arc_len, g_text, 40);
    llamazip_free_buffer(arc);
    llamazip_ctx_free(c);
    assert_int_equal(llamazip_ctx_create(g_tiny_model, NULL, &c, err, sizeof(err)), LLAMAZIP_OK); /* defaults */
    assert_non_null(c);
    llamazip_ctx_free(c);
    printf("  n_ctx 2 with batch 1 round-trips 40 bytes; NULL params give the defaults\n");
}

/* ================================================================ coding arguments */

static void test_coding_argument_errors(void **state)
{
    (void)state;
    llamazip_ctx *c = ctx_ok(g_tiny_model, 64);
    void *dst = NULL;
    size_t n = 0;
    assert_int_equal(llamazip_compress(NULL, "a", 1, &dst, &n), LLAMAZIP_E_USAGE);
    assert_int_equal(llamazip_decompress(NULL, "a", 1, &dst, &n), LLAMAZIP_E_USAGE);
    assert_int_equal(llamazip_compress(c, "a", 1, NULL, &n), LLAMAZIP_E_USAGE);
    assert_true(llamazip_ctx_error(c)[0] != '\0');
    printf("  dst NULL -> E_USAGE: %s\n", llamazip_ctx_error(c));
    assert_int_equal(llamazip_compress(c, "a", 1, &dst, NULL), LLAMAZIP_E_USAGE);
    assert_int_equal(llamazip_decompress(c, "a", 1, NULL, &n), LLAMAZIP_E_USAGE);
    assert_int_equal(llamazip_decompress(c, "a", 1, &dst, NULL), LLAMAZIP_E_USAGE);
    dst = NULL;
    assert_int_equal(llamazip_compress(c, NULL, 5, &dst, &n), LLAMAZIP_E_USAGE);
    assert_null(dst);
    assert_int_equal(llamazip_decompress(c, NULL, 5, &dst, &n), LLAMAZIP_E_USAGE);
    assert_null(dst);
    printf("  ctx NULL, dst NULL, size NULL, src NULL with a length: E_USAGE with a message\n");
    /* NULL with length 0 is the empty input */
    uint8_t *arc;
    size_t arc_len;
    compress_ok(c, NULL, 0, &arc, &arc_len);
    assert_non_null(arc);
    expect_round_trip(c, arc, arc_len, "", 0);
    printf("  empty input (src NULL, 0 bytes) -> %zu-byte archive -> 0 bytes\n", arc_len);
    assert_int_equal(expect_decompress_error(c, NULL, 0), LLAMAZIP_E_NOT_ARCHIVE);
    printf("  decompressing 0 bytes -> E_NOT_ARCHIVE: %s\n", llamazip_ctx_error(c));
    llamazip_free_buffer(arc);
    llamazip_ctx_free(c);
}

/* ================================================================ damaged archives */

static void archive_of(const llamazip_model *m, uint32_t n_ctx, const void *src, size_t n, uint8_t **arc,
                       size_t *arc_len)
{
    llamazip_ctx *c = ctx_ok(m, n_ctx);
    compress_ok(c, src, n, arc, arc_len);
    llamazip_ctx_free(c);
}

static void test_tiny_model_frames(void **state)
{
    (void)state;
    llamazip_ctx *c = ctx_ok(g_tiny_model, 8);
    uint8_t *arc;
    size_t arc_len;
    compress_ok(c, g_text, sizeof(g_text), &arc, &arc_len);
    llamazip_stats st;
    expect_round_trip(c, arc, arc_len, g_text, sizeof(g_text));
    llamazip_ctx_stats(c, &st);
    printf("  %zu bytes of ' the' -> %zu-byte archive; decompression decoded %llu tokens with the model "
           "(n_ctx 8: the window slides)\n", sizeof(g_text), arc_len, (unsigned long long)st.n_tokens);
    assert_true(st.n_tokens > 8); /* a MODEL frame, longer than one window */
    assert_true(arc_len < sizeof(g_text) / 4);
    llamazip_free_buffer(arc);
    llamazip_ctx_free(c);
}

/* Decompress a damaged archive: it must fail (a status, a message, no
 * output) or give back exactly the original (possible for slack bits: the
 * range coder's last byte may take any value inside the final interval, and
 * the zstd decoder ignores a few header bits; the content checksum vouches
 * for the result). Returns the status, or -1 for "the original". */
static int damaged_outcome(llamazip_ctx *c, const uint8_t *arc, size_t arc_len, const void *src, size_t n)
{
    void *dst = (void *)&g_dir;
    size_t dst_len = 12345;
    llamazip_status rc = llamazip_decompress(c, arc, arc_len, &dst, &dst_len);
    if (rc == LLAMAZIP_OK) {
        if (dst_len != n || (n && memcmp(dst, src, n) != 0))
            fail_msg("a damaged archive decompressed to other data (%zu bytes, original %zu)", dst_len, n);
        llamazip_free_buffer(dst);
        return -1;
    }
    assert_null(dst);
    assert_int_equal(dst_len, 0);
    assert_true(llamazip_ctx_error(c)[0] != '\0');
    if (rc == LLAMAZIP_E_USAGE || rc == LLAMAZIP_E_INTERNAL || rc == LLAMAZIP_E_CANCELLED)
        fail_msg("damaged archive: unexpected %s: %s", llamazip_status_name(rc), llamazip_ctx_error(c));
    return rc;
}

/* The bytes [*lo, *hi) of a format-2 archive's settings (n_ctx and overlap
 * varints, doc/format.md), or an empty range when it has none. */
static void settings_bytes(const uint8_t *arc, size_t len, size_t *lo, size_t *hi)
{
    *lo = *hi = 0;
    if (len == 0 || (arc[0] >> 4) != 0xA || !(arc[0] & 0x02)) return;
    size_t pos = 1 + ((arc[0] & 0x01) ? 8 : 2);
    *lo = pos;
    for (int field = 0; field < 2; field++) {
        while (pos < len && (arc[pos] & 0x80)) pos++;
        pos++;
    }
    *hi = pos < len ? pos : len;
}

/* Every truncation, and single-bit flips of a small archive, fail cleanly;
 * the context decodes the intact archive afterwards. */
static void check_damage(const llamazip_model *m, const uint8_t *arc, size_t arc_len, const void *src, size_t n,
                         size_t flip_step, const char *label)
{
    llamazip_ctx *c = ctx_ok(m, 64);
    int count[LLAMAZIP_E_INTERNAL + 1] = { 0 };
    uint8_t *copy = malloc(arc_len);
    assert_non_null(copy);
    for (size_t cut = 0; cut < arc_len; cut++) {
        memcpy(copy, arc, cut); /* exact-size data: ASan sees any overread */
        llamazip_status rc = expect_decompress_error(c, copy, cut);
        if (rc != LLAMAZIP_E_NOT_ARCHIVE && rc != LLAMAZIP_E_TRUNCATED && rc != LLAMAZIP_E_CORRUPT)
            fail_msg("cut at %zu: %s: %s", cut, llamazip_status_name(rc), llamazip_ctx_error(c));
        count[rc]++;
    }
    printf("  %s: %zu truncations: %d not an archive, %d truncated, %d corrupt\n", label, arc_len,
           count[LLAMAZIP_E_NOT_ARCHIVE], count[LLAMAZIP_E_TRUNCATED], count[LLAMAZIP_E_CORRUPT]);
    memset(count, 0, sizeof(count));
    int flips = 0, harmless = 0, harmless_settings = 0;
    size_t settings_lo, settings_hi;
    settings_bytes(arc, arc_len, &settings_lo, &settings_hi);
    for (size_t bit = 0; bit < 8 * arc_len; bit += flip_step) {
        memcpy(copy, arc, arc_len);
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        const int rc = damaged_outcome(c, copy, arc_len, src, n);
        if (rc < 0 && bit / 8 >= settings_lo && bit / 8 < settings_hi) harmless_settings++;
        else if (rc < 0) harmless++;
        else count[rc]++;
        flips++;
    }
    printf("  %s: %d bit flips:", label, flips);
    for (int s = 1; s <= LLAMAZIP_E_INTERNAL; s++)
        if (count[s]) printf(" %d %s;", count[s], llamazip_status_name(s));
    printf(" %d decode to the original (and %d in the settings)\n", harmless, harmless_settings);
    /* only slack bits may be harmless: the low bits of the range coder's
     * final byte (any value inside the final interval decodes the same)
     * and the few bits the zstd decoder ignores. Apart from those, another
     * n_ctx or overlap may decode the same tokens when the model predicts
     * them whatever the context (the tiny models do, on repetitive text);
     * the checksum vouches for the output either way. */
    assert_true(harmless <= 8 + flips / 20);
    expect_round_trip(c, arc, arc_len, src, n);
    printf("  %s: the same context then decodes the intact archive\n", label);
    free(copy);
    llamazip_ctx_free(c);
}

/* llamazip_decompress_reader: archives pulled in small, uneven reads and
 * decoded in groups of a few frames (the group size lowered so that a
 * small archive crosses many group boundaries), several archives back to
 * back (an empty one among them), against llamazip_decompress; a truncated
 * input, a damaged segment in the middle and a failing reader stop it with
 * their status. */
typedef struct {
    const uint8_t *p;
    size_t len, pos, step;
    int fail_at;          /* read number that fails (0: none) */
    int reads;
} chunk_reader;

static int chunk_read(void *user, void *buf, size_t size, size_t *got)
{
    chunk_reader *r = user;
    if (r->fail_at && ++r->reads == r->fail_at) return LLAMAZIP_E_IO;
    size_t n = r->len - r->pos;
    if (n > size) n = size;
    if (n > r->step) n = r->step;
    memcpy(buf, r->p + r->pos, n);
    r->pos += n;
    *got = n;
    r->step = r->step % 61 + 7;   /* uneven pieces */
    return 0;
}

typedef struct {
    uint8_t *data;
    size_t len, cap;
} bytes;

static int bytes_add(bytes *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n) nc *= 2;
        uint8_t *d = realloc(b->data, nc);
        if (!d) return -1;
        b->data = d;
        b->cap = nc;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static int collect_write(void *user, const void *data, size_t size)
{
    return bytes_add(user, data, size) ? LLAMAZIP_E_NOMEM : 0;
}

static llamazip_status pull(llamazip_ctx *c, const uint8_t *arc, size_t len, int fail_at, bytes *out)
{
    chunk_reader r = { arc, len, 0, 5, fail_at, 0 };
    out->len = 0;
    return llamazip_decompress_reader(c, chunk_read, &r, collect_write, out);
}

static void test_decompress_reader(void **state)
{
    (void)state;
    /* text in many segments with binary pieces (RAW/ZSTD frames) between them */
    static uint8_t src[6000];
    for (size_t i = 0; i < sizeof(src); i++) src[i] = (uint8_t)g_text[i % sizeof(g_text)];
    for (size_t i = 1500; i < 1800; i++) src[i] = (uint8_t)(i * 2654435761u >> 13);
    for (size_t i = 4000; i < 4100; i++) src[i] = 0;
    llamazip_ctx_params p;
    llamazip_ctx_params_default(&p);
    p.n_ctx = 64;
    p.segment_size = 300;
    char err[ERRBUF];
    llamazip_ctx *c = NULL;
    assert_int_equal(llamazip_ctx_create(g_tiny_model, &p, &c, err, sizeof(err)), LLAMAZIP_OK);
    uint8_t *a1, *a2, *a0;
    size_t n1, n2, n0;
    compress_ok(c, src, sizeof(src), &a1, &n1);
    compress_ok(c, src + 100, 2000, &a2, &n2);
    compress_ok(c, "", 0, &a0, &n0);
    /* the first archive: many segments, and frames of other kinds between them */
    llamazip_archive_info info;
    llamazip_frame_info fi[64];
    size_t used = 0;
    assert_int_equal(llamazip_archive_list(a1, n1, &info, fi, 64, &used, NULL, 0), LLAMAZIP_OK);
    int kinds[256] = { 0 };
    for (uint32_t i = 0; i < info.n_frames && i < 64; i++) kinds[(unsigned char)fi[i].kind]++;
    printf("  archive 1: %u frames (%d model, %d raw, %d zstd)\n", info.n_frames, kinds['M'], kinds['R'], kinds['Z']);
    assert_true(kinds['M'] >= 10);
    assert_true(kinds['R'] + kinds['Z'] >= 1);
    bytes cat = { 0 }, want = { 0 }, got = { 0 };
    assert_int_equal(bytes_add(&cat, a1, n1) | bytes_add(&cat, a0, n0) | bytes_add(&cat, a2, n2), 0);
    assert_int_equal(bytes_add(&want, src, sizeof(src)) | bytes_add(&want, src + 100, 2000), 0);
    const size_t saved = lz_decompress_group_bytes;
    const size_t groups[] = { 1, 200, 1000, saved };
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        lz_decompress_group_bytes = groups[g];
        llamazip_status rc = pull(c, cat.data, cat.len, 0, &got);
        if (rc != LLAMAZIP_OK) fail_msg("group %zu: %s: %s", groups[g], llamazip_status_name(rc), llamazip_ctx_error(c));
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);
        llamazip_stats st;
        llamazip_ctx_stats(c, &st);
        assert_int_equal(st.input_bytes, cat.len);
        assert_int_equal(st.output_bytes, want.len);
    }
    printf("  3 archives (%zu bytes, one empty) pulled in 7..67-byte reads, groups of 1 B .. 8 MiB: identical\n",
           cat.len);
    lz_decompress_group_bytes = 200;
    /* every truncation fails with TRUNCATED (or NOT_ARCHIVE / CORRUPT where the cut leaves a different stream) */
    int truncated = 0;
    for (size_t cut = 1; cut < n1; cut += 7) {
        llamazip_status rc = pull(c, a1, cut, 0, &got);
        if (rc != LLAMAZIP_E_TRUNCATED && rc != LLAMAZIP_E_CORRUPT)
            fail_msg("cut at %zu: %s: %s", cut, llamazip_status_name(rc), llamazip_ctx_error(c));
        truncated += rc == LLAMAZIP_E_TRUNCATED;
    }
    assert_true(truncated > 0);
    /* a damaged byte in the middle of the archive: an error, never other data */
    uint8_t *bad = malloc(n1);
    assert_non_null(bad);
    memcpy(bad, a1, n1);
    bad[n1 / 2] ^= 0x55;
    llamazip_status rc = pull(c, bad, n1, 0, &got);
    assert_true(rc == LLAMAZIP_E_CORRUPT || rc == LLAMAZIP_E_CHECKSUM || rc == LLAMAZIP_E_TRUNCATED);
    /* the reader's own failure is the call's status */
    assert_int_equal(pull(c, a1, n1, 3, &got), LLAMAZIP_E_IO);
    /* junk after an archive */
    assert_int_equal(bytes_add(&cat, "junk", 4), 0);
    rc = pull(c, cat.data, cat.len, 0, &got);
    assert_int_equal(rc, LLAMAZIP_E_CORRUPT);
    assert_non_null(strstr(llamazip_ctx_error(c), "4 unexpected bytes"));
    lz_decompress_group_bytes = saved;
    free(bad);
    free(cat.data);
    free(want.data);
    free(got.data);
    llamazip_free_buffer(a0);
    llamazip_free_buffer(a1);
    llamazip_free_buffer(a2);
    llamazip_ctx_free(c);
}

static void test_damaged_archives_tiny(void **state)
{
    (void)state;
    uint8_t *arc;
    size_t arc_len;
    archive_of(g_tiny_model, 16, g_text, 200, &arc, &arc_len);
    check_damage(g_tiny_model, arc, arc_len, g_text, 200, 1, "tiny model");
    llamazip_free_buffer(arc);
}

static void test_garbage(void **state)
{
    (void)state;
    llamazip_ctx *c = ctx_ok(g_tiny_model, 64);
    uint32_t s = 99;
    uint8_t junk[512];
    for (size_t i = 0; i < sizeof(junk); i++) junk[i] = (uint8_t)lcg(&s);
    assert_int_equal(expect_decompress_error(c, junk, sizeof(junk)), LLAMAZIP_E_NOT_ARCHIVE);
    printf("  512 random bytes -> %s\n", llamazip_ctx_error(c));
    /* the magic, then garbage: the header check rejects it */
    memcpy(junk, "LZLM\x01\x00", 6);
    llamazip_status rc = expect_decompress_error(c, junk, sizeof(junk));
    printf("  magic + version + garbage -> %s: %s\n", llamazip_status_name(rc), llamazip_ctx_error(c));
    assert_int_equal(rc, LLAMAZIP_E_CORRUPT);
    junk[4] = 2;
    assert_int_equal(expect_decompress_error(c, junk, sizeof(junk)), LLAMAZIP_E_VERSION);
    printf("  'LZLM', version 2 -> %s\n", llamazip_ctx_error(c));
    junk[0] = 0xC0; /* a format-2 style first byte of a later version (4) */
    assert_int_equal(expect_decompress_error(c, junk, sizeof(junk)), LLAMAZIP_E_VERSION);
    printf("  first byte 0xC0 -> %s\n", llamazip_ctx_error(c));
    /* an archive, then trailing bytes */
    uint8_t *arc;
    size_t arc_len;
    compress_ok(c, g_text, 40, &arc, &arc_len);
    uint8_t *longer = malloc(arc_len + 3);
    assert_non_null(longer);
    memcpy(longer, arc, arc_len);
    memcpy(longer + arc_len, "xyz", 3);
    assert_int_equal(expect_decompress_error(c, longer, arc_len + 3), LLAMAZIP_E_CORRUPT);
    printf("  3 bytes after the end -> %s\n", llamazip_ctx_error(c));
    /* two archives back to back */
    uint8_t *twice = malloc(2 * arc_len);
    assert_non_null(twice);
    memcpy(twice, arc, arc_len);
    memcpy(twice + arc_len, arc, arc_len);
    void *both = NULL;
    size_t both_len = 0;
    assert_int_equal(llamazip_decompress(c, twice, 2 * arc_len, &both, &both_len), LLAMAZIP_OK);
    assert_int_equal(both_len, 80);
    assert_memory_equal(both, g_text, 40);
    assert_memory_equal((uint8_t *)both + 40, g_text, 40);
    llamazip_free_buffer(both);
    printf("  two archives concatenated -> the two texts one after the other\n");
    /* ... but not the second one cut short */
    assert_int_equal(expect_decompress_error(c, twice, 2 * arc_len - 1), LLAMAZIP_E_TRUNCATED);
    printf("  the second one cut short -> %s\n", llamazip_ctx_error(c));
    free(twice);
    free(longer);
    llamazip_free_buffer(arc);
    llamazip_ctx_free(c);
}

static void test_model_mismatch(void **state)
{
    (void)state;
    char p[128];
    tiny_spec s = g_tiny;
    s.seed = 2; /* same shapes and vocabulary, other weights */
    llamazip_model *other = load_ok(tiny_file(&s, "other.gguf", p, sizeof(p)));
    uint8_t *arc;
    size_t arc_len;
    archive_of(g_tiny_model, 64, g_text, 100, &arc, &arc_len);
    llamazip_ctx *c = ctx_ok(other, 64);
    assert_int_equal(expect_decompress_error(c, arc, arc_len), LLAMAZIP_E_MODEL_MISMATCH);
    printf("  tiny model, other weights -> %s\n", llamazip_ctx_error(c));
    assert_non_null(strstr(llamazip_ctx_error(c), "another model"));
    llamazip_ctx_free(c);
    llamazip_model *dm = default_model();
    if (dm) {
        c = ctx_ok(dm, 64);
        assert_int_equal(expect_decompress_error(c, arc, arc_len), LLAMAZIP_E_MODEL_MISMATCH);
        printf("  default model -> %s\n", llamazip_ctx_error(c));
        llamazip_ctx_free(c);
    }
    llamazip_free_buffer(arc);
    llamazip_model_free(other);
}

static int cancel_at_second(void *user, const llamazip_progress *p)
{
    (void)p;
    return ++*(int *)user >= 2;
}

static void test_cancel(void **state)
{
    (void)state;
    int calls = 0;
    llamazip_ctx_params p;
    llamazip_ctx_params_default(&p);
    p.n_ctx = 16;
    p.n_batch = 4;
    p.progress = cancel_at_second;
    p.progress_user = &calls;
    char err[ERRBUF];
    llamazip_ctx *c = NULL;
    assert_int_equal(llamazip_ctx_create(g_tiny_model, &p, &c, err, sizeof(err)), LLAMAZIP_OK);
    void *dst = (void *)&g_dir;
    size_t n = 7;
    assert_int_equal(llamazip_compress(c, g_text, sizeof(g_text), &dst, &n), LLAMAZIP_E_CANCELLED);
    assert_null(dst);
    assert_int_equal(n, 0);
    printf("  progress callback returning 1 on call %d -> E_CANCELLED (%s), no output\n", calls,
           llamazip_ctx_error(c));
    llamazip_ctx_free(c);
}

/* ================================================================ default model */

static const char g_short[] = "The quick brown fox jumps over the lazy dog.";

static void test_default_damaged_archives(void **state)
{
    (void)state;
    llamazip_model *m = default_model();
    if (!m) { skip(); return; }
    uint8_t *arc;
    size_t arc_len;
    archive_of(m, 64, g_short, sizeof(g_short) - 1, &arc, &arc_len);
    /* one bit in every 2 bytes (step 17: every bit position is hit) */
    check_damage(m, arc, arc_len, g_short, sizeof(g_short) - 1, 8 * 2 + 1, "default model");
    llamazip_free_buffer(arc);
}

static void test_default_describe(void **state)
{
    (void)state;
    llamazip_model *m = default_model();
    if (!m) { skip(); return; }
    const size_t need = llamazip_model_describe(m, NULL, 0);
    char *d = malloc(need + 1);
    assert_non_null(d);
    assert_int_equal(llamazip_model_describe(m, d, need + 1), need);
    assert_int_equal(strlen(d), need);
    static const char *const want[] = { "architecture:", "gemma3", "tokenizer:", "fingerprint:", "tensors:",
                                        "Q4_K", "F32", "context length:" };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(d, want[i])) fail_msg("description lacks '%s':\n%s", want[i], d);
    char small[16];
    assert_int_equal(llamazip_model_describe(m, small, sizeof(small)), need);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_memory_equal(small, d, sizeof(small) - 1);
    printf("%s", d);
    printf("  %zu chars; a 16-byte buffer gets a NUL-terminated prefix and the full length\n", need);
    free(d);
}

typedef struct {
    const llamazip_model *model;
    uint8_t *arc;
    size_t arc_len;
    llamazip_status rc;
} thread_job;

static void *compress_thread(void *arg)
{
    thread_job *j = arg;
    llamazip_ctx_params p;
    llamazip_ctx_params_default(&p);
    p.n_ctx = 64;
    llamazip_ctx *c = NULL;
    j->rc = llamazip_ctx_create(j->model, &p, &c, NULL, 0);
    if (j->rc != LLAMAZIP_OK) return NULL;
    void *dst = NULL;
    j->rc = llamazip_compress(c, g_short, sizeof(g_short) - 1, &dst, &j->arc_len);
    j->arc = dst;
    llamazip_ctx_free(c);
    return NULL;
}

static void test_default_two_threads(void **state)
{
    (void)state;
    llamazip_model *m = default_model();
    if (!m) { skip(); return; }
    thread_job jobs[2] = { { m, NULL, 0, LLAMAZIP_E_INTERNAL }, { m, NULL, 0, LLAMAZIP_E_INTERNAL } };
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, compress_thread, &jobs[i]), 0);
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 2; i++) assert_int_equal(jobs[i].rc, LLAMAZIP_OK);
    assert_int_equal(jobs[0].arc_len, jobs[1].arc_len);
    assert_memory_equal(jobs[0].arc, jobs[1].arc, jobs[0].arc_len);
    /* and the same bytes as one thread alone */
    uint8_t *arc;
    size_t arc_len;
    archive_of(m, 64, g_short, sizeof(g_short) - 1, &arc, &arc_len);
    assert_int_equal(arc_len, jobs[0].arc_len);
    assert_memory_equal(arc, jobs[0].arc, arc_len);
    llamazip_ctx *c = ctx_ok(m, 64);
    expect_round_trip(c, arc, arc_len, g_short, sizeof(g_short) - 1);
    llamazip_ctx_free(c);
    printf("  two threads, one model, two contexts: identical %zu-byte archives of %zu bytes, equal to a "
           "lone thread's, round trip OK\n", arc_len, sizeof(g_short) - 1);
    llamazip_free_buffer(arc);
    for (int i = 0; i < 2; i++) llamazip_free_buffer(jobs[i].arc);
}

/* ================================================================ status names */

static void test_status_names(void **state)
{
    (void)state;
    /* the one list (LLAMAZIP_STATUS_LIST) gives the enum and the messages */
    static const struct { int value; const char *message; } list[] = {
#define STATUS_ROW(name, value, message, python_exception) { LLAMAZIP_##name, message },
        LLAMAZIP_STATUS_LIST(STATUS_ROW)
#undef STATUS_ROW
    };
    const int n = (int)(sizeof(list) / sizeof(list[0]));
    for (int i = 0; i < n; i++) {
        assert_int_equal(list[i].value, i); /* codes are 0, 1, 2... in order */
        assert_string_equal(llamazip_status_name(i), list[i].message);
        for (int t = 0; t < i; t++) assert_string_not_equal(list[i].message, list[t].message);
    }
    assert_int_equal(n - 1, LLAMAZIP_E_INTERNAL);
    assert_string_equal(llamazip_status_name(-1), "unknown error");
    assert_string_equal(llamazip_status_name(n), "unknown error");
    assert_int_equal(llamazip_version_number(), LLAMAZIP_VERSION_NUMBER);
    assert_string_equal(llamazip_version_string(), LLAMAZIP_VERSION_STRING);
    printf("  %d distinct status names from the list; out-of-range codes named too; version %s\n", n,
           llamazip_version_string());
}

/* The ABI the library was built with is the header's: what a binding checks. */
static void test_abi(void **state)
{
    (void)state;
    assert_int_equal(llamazip_abi_version(), LLAMAZIP_ABI_VERSION);
    assert_int_equal(llamazip_struct_size(LLAMAZIP_STRUCT_MODEL_PARAMS), sizeof(llamazip_model_params));
    assert_int_equal(llamazip_struct_size(LLAMAZIP_STRUCT_CTX_PARAMS), sizeof(llamazip_ctx_params));
    assert_int_equal(llamazip_struct_size(LLAMAZIP_STRUCT_PROGRESS), sizeof(llamazip_progress));
    assert_int_equal(llamazip_struct_size(LLAMAZIP_STRUCT_STATS), sizeof(llamazip_stats));
    assert_int_equal(llamazip_struct_size(0), 0);
    assert_int_equal(llamazip_struct_size(5), 0);
    printf("  ABI %u; struct sizes %zu %zu %zu %zu\n", llamazip_abi_version(), sizeof(llamazip_model_params),
           sizeof(llamazip_ctx_params), sizeof(llamazip_progress), sizeof(llamazip_stats));
}

/* Every kernel level gives the same archive (the level only changes speed);
 * a level the CPU lacks falls back instead of failing. */
static void test_cpu_levels(void **state)
{
    (void)state;
    uint8_t *ref = NULL;
    size_t ref_len = 0;
    for (int level = LLAMAZIP_CPU_AUTO; level <= LLAMAZIP_CPU_NEON; level++) {
        llamazip_ctx_params p;
        llamazip_ctx_params_default(&p);
        p.n_ctx = 64;
        p.cpu_level = level;
        llamazip_ctx *c = NULL;
        char err[ERRBUF];
        if (llamazip_ctx_create(g_tiny_model, &p, &c, err, sizeof(err)) != LLAMAZIP_OK)
            fail_msg("cpu_level %d: %s", level, err);
        uint8_t *arc;
        size_t arc_len;
        compress_ok(c, g_text, 120, &arc, &arc_len);
        expect_round_trip(c, arc, arc_len, g_text, 120);
        if (!ref) {
            ref = arc;
            ref_len = arc_len;
        } else {
            assert_int_equal(arc_len, ref_len);
            assert_memory_equal(arc, ref, ref_len);
            llamazip_free_buffer(arc);
        }
        llamazip_ctx_free(c);
    }
    printf("  cpu_level auto, scalar, avx2, avx512, neon: the same %zu-byte archive\n", ref_len);
    llamazip_free_buffer(ref);
}

/* ================================================================ floating-point environment */

/* Flush-to-zero on in this thread (x86 MXCSR.FTZ, AArch64 FPCR.FZ); 0 where
 * the test does not know how. */
static int set_flush_to_zero(int on)
{
#if defined(__x86_64__)
    unsigned int csr;
    __asm__ volatile("stmxcsr %0" : "=m"(csr));
    csr = on ? csr | (1u << 15) : csr & ~(1u << 15);
    __asm__ volatile("ldmxcsr %0" : : "m"(csr));
    return 1;
#elif defined(__aarch64__)
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = on ? fpcr | (1ul << 24) : fpcr & ~(1ul << 24);
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
    return 1;
#else
    (void)on;
    return 0;
#endif
}

static void expect_env_refused(llamazip_ctx *c, const uint8_t *arc, size_t arc_len, const char *what)
{
    llamazip_ctx_params p;
    llamazip_ctx_params_default(&p);
    p.n_ctx = 64;
    llamazip_ctx *c2 = NULL;
    char err[ERRBUF];
    assert_int_equal(llamazip_ctx_create(g_tiny_model, &p, &c2, err, sizeof(err)), LLAMAZIP_E_USAGE);
    assert_null(c2);
    if (!strstr(err, "floating-point environment")) fail_msg("%s: ctx_create said '%s'", what, err);
    void *dst = NULL;
    size_t n = 0;
    assert_int_equal(llamazip_compress(c, g_text, 40, &dst, &n), LLAMAZIP_E_USAGE);
    assert_null(dst);
    assert_non_null(strstr(llamazip_ctx_error(c), "floating-point environment"));
    assert_int_equal(llamazip_decompress(c, arc, arc_len, &dst, &n), LLAMAZIP_E_USAGE);
    assert_null(dst);
    printf("  %s: refused (%s)\n", what, err);
}

static void test_fp_environment(void **state)
{
    (void)state;
    llamazip_ctx *c = ctx_ok(g_tiny_model, 64);
    uint8_t *arc;
    size_t arc_len;
    compress_ok(c, g_text, 40, &arc, &arc_len);
    static const struct { int mode; const char *name; } modes[] = {
        { FE_UPWARD, "FE_UPWARD" }, { FE_DOWNWARD, "FE_DOWNWARD" }, { FE_TOWARDZERO, "FE_TOWARDZERO" },
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        assert_int_equal(fesetround(modes[i].mode), 0);
        expect_env_refused(c, arc, arc_len, modes[i].name);
        assert_int_equal(fesetround(FE_TONEAREST), 0);
    }
    if (set_flush_to_zero(1)) {
        expect_env_refused(c, arc, arc_len, "flush to zero");
        set_flush_to_zero(0);
    }
    /* back to the default: the same context works again */
    expect_round_trip(c, arc, arc_len, g_text, 40);
    llamazip_free_buffer(arc);
    llamazip_ctx_free(c);
}

/* ================================================================ setup */

static int group_setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_api_XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    for (size_t i = 0; i + 4 <= sizeof(g_text); i += 4) memcpy(g_text + i, " the", 4);
    tiny_file(&g_tiny, "tiny.gguf", g_tiny_path, sizeof(g_tiny_path));
    g_tiny_model = load_ok(g_tiny_path);
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb; (void)type; (void)ftw;
    return remove(path);
}

static int group_teardown(void **state)
{
    (void)state;
    llamazip_model_free(g_tiny_model);
    llamazip_model_free(g_default);
    return nftw(g_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_abi),
        cmocka_unit_test(test_load_null_arguments),
        cmocka_unit_test(test_load_bad_paths),
        cmocka_unit_test(test_load_tiny_model),
        cmocka_unit_test(test_load_truncated),
        cmocka_unit_test(test_load_unsupported_architecture),
        cmocka_unit_test(test_load_missing_tensor),
        cmocka_unit_test(test_load_unsupported_tokenizer),
        cmocka_unit_test(test_ctx_create_errors),
        cmocka_unit_test(test_cpu_levels),
        cmocka_unit_test(test_fp_environment),
        cmocka_unit_test(test_coding_argument_errors),
        cmocka_unit_test(test_tiny_model_frames),
        cmocka_unit_test(test_decompress_reader),
        cmocka_unit_test(test_damaged_archives_tiny),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_model_mismatch),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_default_describe),
        cmocka_unit_test(test_default_damaged_archives),
        cmocka_unit_test(test_default_two_threads),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
