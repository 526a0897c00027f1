/*
 * dequant_dump.c - expose the library's reference dequantizer and
 * activation quantizers to tests/python/test_dequant.py (the shared library
 * hides internal symbols).
 *
 *   dequant_dump dequant TYPE   stdin: raw blocks of TYPE  -> stdout: f32
 *   dequant_dump quant TYPE     stdin: f32 (multiple of the block size)
 *                               -> stdout: blocks of TYPE (Q8_0, Q8_1, Q8_K)
 * TYPE is a ggml type name (Q4_K) or code (12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant/quant.h"

static int parse_type(const char *s, lz_type *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end) {
        if (!lz_type_get((uint32_t)v)) return -1;
        *out = (lz_type)v;
        return 0;
    }
    for (uint32_t t = 0; t < LZ_TYPE_MAX_CODE; t++) {
        const lz_type_traits *tr = lz_type_get(t);
        if (tr && !strcmp(tr->name, s)) { *out = (lz_type)t; return 0; }
    }
    return -1;
}

static unsigned char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    lz_type type;
    if (argc != 3 || parse_type(argv[2], &type) != 0) {
        fprintf(stderr, "usage: %s dequant|quant TYPE < in > out\n", argv[0]);
        return 2;
    }
    const lz_type_traits *tr = lz_type_get((uint32_t)type);
    size_t len;
    unsigned char *in = read_all(stdin, &len);
    if (!in) { fprintf(stderr, "out of memory\n"); return 1; }
    int rc = 0;
    if (!strcmp(argv[1], "dequant")) {
        if (len % (size_t)tr->type_size) { fprintf(stderr, "input is not whole blocks\n"); return 1; }
        const int64_t n = (int64_t)(len / (size_t)tr->type_size) * tr->block_size;
        float *out = malloc((size_t)n * sizeof(float) + 1);
        if (!out) { fprintf(stderr, "out of memory\n"); return 1; }
        lz_dequantize_row(type, in, out, n);
        if (fwrite(out, sizeof(float), (size_t)n, stdout) != (size_t)n) rc = 1;
        free(out);
    } else if (!strcmp(argv[1], "quant")) {
        const int64_t n = (int64_t)(len / sizeof(float));
        if (len % sizeof(float) || n % tr->block_size ||
            (type != LZ_TYPE_Q8_0 && type != LZ_TYPE_Q8_1 && type != LZ_TYPE_Q8_K && type != LZ_TYPE_F32)) {
            fprintf(stderr, "bad input length or activation type\n");
            return 1;
        }
        float *x = malloc((size_t)n * sizeof(float) + 1);
        const size_t out_len = lz_row_size(type, n);
        void *out = malloc(out_len + 1);
        if (!x || !out) { fprintf(stderr, "out of memory\n"); return 1; }
        memcpy(x, in, (size_t)n * sizeof(float));
        lz_quantize_act_row(type, x, out, n);
        if (fwrite(out, 1, out_len, stdout) != out_len) rc = 1;
        free(x);
        free(out);
    } else {
        fprintf(stderr, "unknown command %s\n", argv[1]);
        rc = 2;
    }
    free(in);
    return rc;
}
