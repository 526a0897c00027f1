/*
 * eval_dump.c - run the engine on token ids and write the logits, for the
 * Python tests that compare with llama.cpp (the shared library hides the
 * engine's internal symbols, so this links the static library).
 *
 *   eval_dump MODEL TOKENS OUT [options]
 *     TOKENS   little-endian int32 token ids
 *     OUT      "LZLOGITS" u32 n_rows u32 n_vocab, then n_rows x n_vocab f32
 *              (little-endian; memory-map it at offset 16)
 *   options:
 *     --batch N     evaluation state's max batch (default 512)
 *     --step N      tokens per lz_model_eval call (default: the batch)
 *     --threads N   thread pool size (default 1)
 *     --isa NAME    scalar | avx2 | avx512 | neon (default: best available)
 *     --n-ctx N     context of the state (default: number of tokens)
 *     --last-only   one row per call: the logits after its last token
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/threadpool.h"
#include "gguf/gguf.h"
#include "model/model.h"

static int parse_isa(const char *s, lz_isa *out)
{
    for (int i = 0; i < LZ_ISA_COUNT; i++)
        if (!strcmp(lz_isa_name((lz_isa)i), s)) {
            *out = (lz_isa)i;
            return 0;
        }
    return -1;
}

static int32_t *read_tokens(const char *path, uint32_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size <= 0 || size % 4) {
        fclose(f);
        return NULL;
    }
    int32_t *t = malloc((size_t)size);
    uint8_t *raw = malloc((size_t)size);
    if (!t || !raw || fread(raw, 1, (size_t)size, f) != (size_t)size) {
        free(t);
        free(raw);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *n = (uint32_t)(size / 4);
    for (uint32_t i = 0; i < *n; i++) t[i] = (int32_t)lz_rd32(raw + 4 * i);
    free(raw);
    return t;
}

static int write_rows(FILE *f, const float *rows, size_t n_floats)
{
    uint8_t buf[4096];
    size_t k = 0;
    for (size_t i = 0; i < n_floats; i++) {
        uint32_t u;
        memcpy(&u, &rows[i], 4);
        lz_wr32(buf + k, u);
        k += 4;
        if (k == sizeof(buf)) {
            if (fwrite(buf, 1, k, f) != k) return -1;
            k = 0;
        }
    }
    return k && fwrite(buf, 1, k, f) != k ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL TOKENS OUT [--batch N] [--step N] [--threads N] [--isa NAME] "
                        "[--n-ctx N] [--last-only]\n", argv[0]);
        return 2;
    }
    uint32_t batch = 512, step = 0, n_ctx = 0;
    int threads = 1, last_only = 0;
    lz_isa isa = lz_cpu_isa();
    for (int i = 4; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--last-only")) { last_only = 1; continue; }
        if (!v) { fprintf(stderr, "option %s needs a value\n", a); return 2; }
        i++;
        if (!strcmp(a, "--batch")) batch = (uint32_t)atoi(v);
        else if (!strcmp(a, "--step")) step = (uint32_t)atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--n-ctx")) n_ctx = (uint32_t)atoi(v);
        else if (!strcmp(a, "--isa")) {
            if (parse_isa(v, &isa)) { fprintf(stderr, "unknown isa %s\n", v); return 2; }
        } else { fprintf(stderr, "unknown option %s\n", a); return 2; }
    }
    uint32_t n;
    int32_t *tokens = read_tokens(argv[2], &n);
    if (!tokens) { fprintf(stderr, "cannot read tokens from %s\n", argv[2]); return 1; }
    if (!step) step = batch;
    if (!n_ctx) n_ctx = n;

    lz_err err = { 0 };
    gguf_file *gf = NULL;
    lz_model *m = NULL;
    lz_eval_state *s = NULL;
    lz_pool *pool = threads > 1 ? lz_pool_create(threads) : NULL;
    float *logits = NULL;
    FILE *out = NULL;
    int rc = gguf_open(argv[1], 0, &gf, &err);
    if (!rc) rc = lz_model_load(gf, &m, &err);
    if (!rc && !(s = lz_eval_state_create(m, n_ctx, batch, &err))) rc = err.code;
    if (rc) goto done;
    const uint32_t nv = lz_model_get_hparams(m)->n_vocab;
    logits = malloc((size_t)step * nv * sizeof(float));
    out = fopen(argv[3], "wb");
    if (!logits || !out) { fprintf(stderr, "cannot allocate or open %s\n", argv[3]); rc = 1; goto done; }
    const uint32_t n_rows = last_only ? (n + step - 1) / step : n;
    uint8_t hdr[16];
    memcpy(hdr, "LZLOGITS", 8);
    lz_wr32(hdr + 8, n_rows);
    lz_wr32(hdr + 12, nv);
    if (fwrite(hdr, 1, 16, out) != 16) { rc = 1; goto done; }
    struct timespec t0, t1;
    double secs = 0;
    for (uint32_t pos = 0; pos < n; pos += step) {
        const uint32_t k = n - pos < step ? n - pos : step;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = lz_model_eval(m, s, pool, isa, tokens + pos, k, pos, logits, last_only, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs += (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (rc) goto done;
        if (write_rows(out, logits, (size_t)(last_only ? 1 : k) * nv)) { rc = 1; goto done; }
    }
    fprintf(stderr, "eval_dump: %u tokens, batch %u, step %u, %d threads, isa %s: %.3f s (%.1f tokens/s)\n", n, batch,
            step, threads, lz_isa_name(isa), secs, secs > 0 ? n / secs : 0.0);
done:
    if (rc && err.msg[0]) fprintf(stderr, "eval_dump: %s\n", err.msg);
    if (out && fclose(out)) rc = 1;
    free(logits);
    lz_eval_state_free(s);
    lz_model_free(m);
    gguf_close(gf);
    lz_pool_free(pool);
    free(tokens);
    return rc ? 1 : 0;
}
