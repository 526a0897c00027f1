/*
 * tokenize_dump.c - print the token ids lz_tokenize gives a file, one per
 * line, for tests that compare them with llama.cpp (the shared library
 * hides the tokenizer, so tests/python runs this program instead).
 *
 *   tokenize_dump MODEL.gguf FILE     ids on stdout; exit 1 if the ids do
 *                                     not decode back to FILE's bytes
 *   tokenize_dump MODEL.gguf --hex FILE
 *                                     FILE holds one hex-encoded input per
 *                                     line; prints one line of ids per input
 *                                     (space separated), "!" + the message if
 *                                     it cannot be tokenized, and "#" at the
 *                                     end of a line whose round trip fails
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        const size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (n < cap) break;
        unsigned char *g = realloc(buf, cap * 2);
        if (!g) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = g;
        cap *= 2;
    }
    fclose(fp);
    *len = n;
    return buf;
}

static int hex_val(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One input per line, hex-encoded. */
static int run_hex(const lz_tokenizer *t, const unsigned char *data, size_t len)
{
    size_t pos = 0;
    unsigned char *buf = malloc(len / 2 + 1);
    if (!buf) return 2;
    while (pos < len) {
        size_t n = 0;
        while (pos + 1 < len && data[pos] != '\n') {
            buf[n++] = (unsigned char)(hex_val(data[pos]) * 16 + hex_val(data[pos + 1]));
            pos += 2;
        }
        while (pos < len && data[pos] != '\n') pos++;
        pos++;
        lz_err err = {0};
        int32_t *tok = NULL;
        size_t n_tok = 0;
        uint8_t *back = NULL;
        size_t back_len = 0;
        if (lz_tokenize(t, buf, n, &tok, &n_tok, &err) || lz_detokenize(t, tok, n_tok, &back, &back_len, &err)) {
            printf("!%s\n", err.msg);
        } else {
            for (size_t i = 0; i < n_tok; i++) printf(i ? " %d" : "%d", tok[i]);
            printf("%s\n", (back_len == n && (n == 0 || memcmp(back, buf, n) == 0)) ? "" : " #");
        }
        free(tok);
        free(back);
    }
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    const int hex = argc == 4 && strcmp(argv[2], "--hex") == 0;
    if (argc != 3 && !hex) {
        fprintf(stderr, "usage: %s MODEL.gguf [--hex] FILE\n", argv[0]);
        return 2;
    }
    lz_err err = {0};
    gguf_file *f = NULL;
    lz_tokenizer *t = NULL;
    if (gguf_open(argv[1], 0, &f, &err) || lz_tokenizer_load(f, &t, &err)) {
        fprintf(stderr, "%s: %s\n", argv[1], err.msg);
        gguf_close(f);
        return 2;
    }
    gguf_close(f);
    size_t len = 0;
    const char *path = argv[argc - 1];
    unsigned char *data = read_file(path, &len);
    if (!data) {
        fprintf(stderr, "%s: cannot read\n", path);
        lz_tokenizer_free(t);
        return 2;
    }
    if (hex) {
        const int rc = run_hex(t, data, len);
        free(data);
        lz_tokenizer_free(t);
        return rc;
    }
    int32_t *tok = NULL;
    size_t n_tok = 0;
    uint8_t *back = NULL;
    size_t back_len = 0;
    int rc = 0;
    if (lz_tokenize(t, data, len, &tok, &n_tok, &err) || lz_detokenize(t, tok, n_tok, &back, &back_len, &err)) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        rc = 2;
    } else {
        for (size_t i = 0; i < n_tok; i++) printf("%d\n", tok[i]);
        if (back_len != len || (len && memcmp(back, data, len) != 0)) {
            fprintf(stderr, "%s: round trip FAILED\n", path);
            rc = 1;
        }
    }
    free(tok);
    free(back);
    free(data);
    lz_tokenizer_free(t);
    return rc;
}
