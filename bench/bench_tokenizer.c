/*
 * bench_tokenizer.c - tokenizer throughput on one core: lz_tokenize and
 * lz_detokenize over text files, best of a few runs, in MB/s of input.
 *
 *   bench_tokenizer [MODEL.gguf] [FILE ...]
 * Defaults: the default model and /work/shared/corpus/{calgary/book1,dce/data.txt}
 * (override the corpus directory with $LLAMAZIP_CORPUS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);   /* CPU time: robust to a busy machine */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    const long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static int bench_file(const lz_tokenizer *t, const char *path)
{
    size_t len;
    unsigned char *data = read_file(path, &len);
    if (!data) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    double best_enc = 1e30, best_dec = 1e30;
    size_t n_tok = 0;
    int ok = 1;
    for (int rep = 0; rep < 5; rep++) {
        lz_err err = {0};
        int32_t *tok;
        uint8_t *back;
        size_t back_len;
        double t0 = now();
        if (lz_tokenize(t, data, len, &tok, &n_tok, &err)) {
            fprintf(stderr, "%s: %s\n", path, err.msg);
            free(data);
            return 1;
        }
        double t1 = now();
        if (lz_detokenize(t, tok, n_tok, &back, &back_len, &err)) {
            fprintf(stderr, "%s: %s\n", path, err.msg);
            free(tok);
            free(data);
            return 1;
        }
        double t2 = now();
        ok &= back_len == len && memcmp(back, data, len) == 0;
        if (t1 - t0 < best_enc) best_enc = t1 - t0;
        if (t2 - t1 < best_dec) best_dec = t2 - t1;
        free(tok);
        free(back);
    }
    printf("%-40s %9zu bytes %8zu tokens (%.2f bytes/token)  tokenize %7.2f MB/s  detokenize %8.1f MB/s  %s\n",
           path, len, n_tok, n_tok ? (double)len / (double)n_tok : 0.0, (double)len / best_enc / 1e6,
           (double)len / best_dec / 1e6, ok ? "round trip ok" : "ROUND TRIP FAILED");
    free(data);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "models/gemma-3-270m-q4_k_m.gguf";
    const char *corpus = getenv("LLAMAZIP_CORPUS") ? getenv("LLAMAZIP_CORPUS") : "/work/shared/corpus";
    lz_err err = {0};
    gguf_file *f = NULL;
    lz_tokenizer *t = NULL;
    double t0 = now();
    if (gguf_open(model, 0, &f, &err) || lz_tokenizer_load(f, &t, &err)) {
        fprintf(stderr, "%s: %s\n", model, err.msg);
        gguf_close(f);
        return 1;
    }
    gguf_close(f);
    printf("%s: %s, %u tokens, loaded in %.0f ms\n", model, lz_tokenizer_kind(t), lz_tokenizer_n_vocab(t),
           1e3 * (now() - t0));
    int rc = 0;
    if (argc > 2) {
        for (int i = 2; i < argc; i++) rc |= bench_file(t, argv[i]);
    } else {
        char path[4096];
        snprintf(path, sizeof(path), "%s/calgary/book1", corpus);
        rc |= bench_file(t, path);
        snprintf(path, sizeof(path), "%s/dce/data.txt", corpus);
        rc |= bench_file(t, path);
    }
    lz_tokenizer_free(t);
    return rc;
}
