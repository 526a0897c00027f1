/*
 * test_reliability.c - library behaviour found wanting by outside testing
 * (issue 17), through the public API, with the committed tiny model
 * tests/golden/models/tiny-spm.gguf:
 *
 *  - cancellation reaches the decoder within 16 tokens even when every
 *    window adds fewer than 16 tokens (small n_ctx);
 *  - a model file that is truncated or rewritten after loading is reported
 *    ("changed while in use") instead of crashing on the mapping or coding
 *    with weights the fingerprint does not describe.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "llamazip.h"

#define TINY_MODEL "tests/golden/models/tiny-spm.gguf"
#define TEXT_FILE "tests/golden/v1/originals/long.txt"
#define ERRBUF 1024

static char *read_all(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

static llamazip_model *load(const char *path)
{
    llamazip_model *m = NULL;
    char err[ERRBUF];
    llamazip_status rc = llamazip_model_load(path, NULL, &m, err, sizeof(err));
    if (rc != LLAMAZIP_OK) fail_msg("loading %s: %s", path, err);
    return m;
}

static llamazip_ctx *context(const llamazip_model *m, uint32_t n_ctx, llamazip_progress_fn fn, void *user)
{
    llamazip_ctx_params p;
    llamazip_ctx_params_default(&p);
    p.n_ctx = n_ctx;
    p.progress = fn;
    p.progress_user = user;
    char err[ERRBUF];
    llamazip_ctx *c = NULL;
    if (llamazip_ctx_create(m, &p, &c, err, sizeof(err)) != LLAMAZIP_OK) fail_msg("llamazip_ctx_create: %s", err);
    return c;
}

static int skip_without_files(void)
{
    if (access(TINY_MODEL, R_OK) == 0 && access(TEXT_FILE, R_OK) == 0) return 0;
    printf("  skipped: %s or %s missing (run from the repository root)\n", TINY_MODEL, TEXT_FILE);
    return 1;
}

/* ---------------------------------------------------------------- cancellation */

typedef struct {
    int calls;
    uint64_t tokens_at_first_call;
} cancel_probe;

static int cancel_at_once(void *user, const llamazip_progress *p)
{
    cancel_probe *c = user;
    if (c->calls++ == 0) c->tokens_at_first_call = p->tokens_done;
    return 1;
}

/* With n_ctx 8 each window of the decoder adds at most 7 tokens; the
 * cancellation check must still come every 16 tokens, not once per frame. */
static void test_cancel_decode_small_windows(void **state)
{
    (void)state;
    if (skip_without_files()) return;
    size_t len;
    char *text = read_all(TEXT_FILE, &len);
    assert_non_null(text);
    llamazip_model *m = load(TINY_MODEL);
    llamazip_ctx *plain = context(m, 8, NULL, NULL);
    void *arc = NULL;
    size_t arc_len = 0;
    assert_int_equal(llamazip_compress(plain, text, len, &arc, &arc_len), LLAMAZIP_OK);
    llamazip_stats st;
    llamazip_ctx_stats(plain, &st);
    assert_true(st.n_tokens > 200); /* one long MODEL frame of many 7-token windows */

    cancel_probe probe = { 0, 0 };
    llamazip_ctx *c = context(m, 8, cancel_at_once, &probe);
    void *out = (void *)&probe;
    size_t out_len = 1;
    llamazip_status rc = llamazip_decompress(c, arc, arc_len, &out, &out_len);
    llamazip_ctx_stats(c, &st);
    printf("  n_ctx 8: cancelled after %llu of %zu bytes' tokens (first progress call at %llu tokens): %s\n",
           (unsigned long long)st.n_tokens, len, (unsigned long long)probe.tokens_at_first_call,
           llamazip_ctx_error(c));
    assert_int_equal(rc, LLAMAZIP_E_CANCELLED);
    assert_null(out);
    assert_int_equal(out_len, 0);
    assert_int_equal(probe.calls, 1);
    assert_true(st.n_tokens <= 16);

    /* the context still works afterwards */
    assert_int_equal(llamazip_decompress(plain, arc, arc_len, &out, &out_len), LLAMAZIP_OK);
    assert_int_equal(out_len, len);
    assert_memory_equal(out, text, len);
    llamazip_free_buffer(out);
    llamazip_free_buffer(arc);
    llamazip_ctx_free(c);
    llamazip_ctx_free(plain);
    llamazip_model_free(m);
    free(text);
}

/* ---------------------------------------------------------------- model file changes */

static void copy_file(const char *from, const char *to)
{
    size_t n = 0;
    FILE *f = fopen(from, "rb");
    assert_non_null(f);
    char *buf = malloc(4 << 20);
    assert_non_null(buf);
    n = fread(buf, 1, 4 << 20, f);
    fclose(f);
    f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    free(buf);
}

static void expect_changed(llamazip_ctx *c, const char *text, size_t len, const char *what)
{
    void *out = NULL;
    size_t out_len = 0;
    llamazip_status rc = llamazip_compress(c, text, len, &out, &out_len);
    printf("  %s: %s: %s\n", what, llamazip_status_name(rc), llamazip_ctx_error(c));
    assert_int_equal(rc, LLAMAZIP_E_IO);
    assert_non_null(strstr(llamazip_ctx_error(c), "changed while in use"));
    assert_null(out);
}

static void test_model_file_changed(void **state)
{
    (void)state;
    if (skip_without_files()) return;
    char dir[] = "/tmp/lz_reliability_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/model.gguf", dir);
    const char *text = "The model of a compressor predicts the next token.";
    const size_t len = strlen(text);

    /* truncated after loading: an error, not SIGBUS */
    copy_file(TINY_MODEL, path);
    llamazip_model *m = load(path);
    llamazip_ctx *c = context(m, 64, NULL, NULL);
    void *out = NULL;
    size_t out_len = 0;
    assert_int_equal(llamazip_compress(c, text, len, &out, &out_len), LLAMAZIP_OK);
    llamazip_free_buffer(out);
    assert_int_equal(truncate(path, 4096), 0);
    expect_changed(c, text, len, "truncated to 4096 bytes");
    llamazip_ctx_free(c);
    llamazip_model_free(m);

    /* rewritten in place, same size: the weights no longer match the fingerprint */
    copy_file(TINY_MODEL, path);
    m = load(path);
    c = context(m, 64, NULL, NULL);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)sb.st_size - 64, SEEK_SET), 0);
    assert_int_equal(fputc(0x55, f), 0x55);
    assert_int_equal(fclose(f), 0);
    struct timespec later[2] = { sb.st_atim, sb.st_mtim };
    later[1].tv_sec += 1;
    assert_int_equal(utimensat(AT_FDCWD, path, later, 0), 0);
    expect_changed(c, text, len, "rewritten in place");
    llamazip_ctx_free(c);
    llamazip_model_free(m);

    /* replaced by rename: the mapping still holds the old file, which is fine */
    copy_file(TINY_MODEL, path);
    m = load(path);
    c = context(m, 64, NULL, NULL);
    char other[160];
    snprintf(other, sizeof(other), "%s/other.gguf", dir);
    copy_file(TINY_MODEL, other);
    assert_int_equal(rename(other, path), 0);
    assert_int_equal(llamazip_compress(c, text, len, &out, &out_len), LLAMAZIP_OK);
    llamazip_free_buffer(out);
    llamazip_ctx_free(c);
    llamazip_model_free(m);

    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_decode_small_windows),
        cmocka_unit_test(test_model_file_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
