/* example.c MODEL - the public API in a few lines: compress a sentence, decompress it, compare.
 * Built against an installed library by tools/check_install.sh and tests/python/test_packaging.py:
 *   cc example.c $(pkg-config --cflags --libs llamazip)                  shared
 *   cc -static example.c $(pkg-config --static --cflags --libs llamazip) static (Libs.private) */
#include <llamazip.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char text[] = "The quick brown fox jumps over the lazy dog.";
    llamazip_model *m = NULL;
    llamazip_ctx *c = NULL;
    void *arc = NULL, *out = NULL;
    size_t arc_len = 0, out_len = 0;
    char err[256] = "";
    if (argc < 2 || llamazip_model_load(argv[1], NULL, &m, err, sizeof(err)) ||
        llamazip_ctx_create(m, NULL, &c, err, sizeof(err)) || llamazip_compress(c, text, strlen(text), &arc, &arc_len) ||
        llamazip_decompress(c, arc, arc_len, &out, &out_len) || out_len != strlen(text) || memcmp(out, text, out_len)) {
        fprintf(stderr, "example: failed: %s%s\n", err, c ? llamazip_ctx_error(c) : "");
        return 1;
    }
    printf("llamazip %s: %zu bytes -> %zu -> %zu, round trip OK\n", llamazip_version_string(), strlen(text), arc_len,
           out_len);
    llamazip_free_buffer(arc);
    llamazip_free_buffer(out);
    llamazip_ctx_free(c);
    llamazip_model_free(m);
    return 0;
}
