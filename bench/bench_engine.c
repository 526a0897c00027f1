/*
 * bench_engine.c - tokens per second of the engine on a model: batched
 * evaluation (logits for every position, as compression uses it) and
 * single-token steps (as decompression uses it), and the peak RSS.
 *
 *   bench_engine MODEL [--threads N] [--tokens N] [--batch N] [--steps N] [--isa NAME]
 *
 * Token ids are a fixed pseudo-random sequence (the cost does not depend on
 * which ids they are). Single steps start after a prefix of `tokens`
 * positions evaluated in batches, so their attention spans a realistic
 * context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/threadpool.h"
#include "gguf/gguf.h"
#include "model/model.h"

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL [--threads N] [--tokens N] [--batch N] [--steps N] [--isa NAME]\n", argv[0]);
        return 2;
    }
    int threads = 2;
    uint32_t n_tok = 1024, batch = 512, steps = 128;
    lz_isa isa = lz_cpu_isa();
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--tokens")) n_tok = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps")) steps = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--isa")) {
            for (int k = 0; k < LZ_ISA_COUNT; k++)
                if (!strcmp(lz_isa_name((lz_isa)k), argv[i + 1])) isa = (lz_isa)k;
        }
    }
    lz_err err = { 0 };
    gguf_file *gf = NULL;
    lz_model *m = NULL;
    if (gguf_open(argv[1], 0, &gf, &err) || lz_model_load(gf, &m, &err)) {
        fprintf(stderr, "bench_engine: %s\n", err.msg);
        return 1;
    }
    const lz_model_hparams *hp = lz_model_get_hparams(m);
    const uint32_t n_ctx = n_tok + steps;
    lz_eval_state *s = lz_eval_state_create(m, n_ctx, batch, &err);
    lz_pool *pool = threads > 1 ? lz_pool_create(threads) : NULL;
    int32_t *tok = malloc(n_ctx * sizeof(int32_t));
    float *logits = malloc((size_t)batch * hp->n_vocab * sizeof(float));
    if (!s || !tok || !logits) {
        fprintf(stderr, "bench_engine: out of memory\n");
        return 1;
    }
    uint32_t x = 1;
    for (uint32_t i = 0; i < n_ctx; i++) {
        x = x * 1664525u + 1013904223u;
        tok[i] = i == 0 ? 2 : (int32_t)((x >> 8) % hp->n_vocab);
    }
    double t0 = now(), c0 = cpu_now();
    for (uint32_t p = 0; p < n_tok; p += batch) {
        const uint32_t k = n_tok - p < batch ? n_tok - p : batch;
        if (lz_model_eval(m, s, pool, isa, tok + p, k, p, logits, 0, &err)) {
            fprintf(stderr, "bench_engine: %s\n", err.msg);
            return 1;
        }
    }
    const double t_batch = now() - t0, c_batch = cpu_now() - c0;
    t0 = now();
    c0 = cpu_now();
    for (uint32_t i = 0; i < steps; i++) {
        if (lz_model_eval(m, s, pool, isa, tok + n_tok + i, 1, n_tok + i, logits, 1, &err)) {
            fprintf(stderr, "bench_engine: %s\n", err.msg);
            return 1;
        }
    }
    const double t_step = now() - t0, c_step = cpu_now() - c0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("llama-zip engine (%s, %d threads, isa %s)\n", hp->arch, threads, lz_isa_name(isa));
    printf("  batched     : %u tokens in batches of %u, all logits: %.2f s = %.1f tokens/s\n", n_tok, batch, t_batch,
           n_tok / t_batch);
    printf("  single steps: %u tokens after %u of context: %.2f s = %.1f tokens/s (%.1f ms/token)\n", steps, n_tok,
           t_step, steps / t_step, 1e3 * t_step / steps);
    printf("  cpu time    : batched %.2f s (%.2f ms/token), single steps %.2f s (%.2f ms/token)\n", c_batch,
           1e3 * c_batch / n_tok, c_step, steps ? 1e3 * c_step / steps : 0.0);
    printf("  peak RSS    : %.0f MiB\n", ru.ru_maxrss / 1024.0);
    free(tok);
    free(logits);
    lz_pool_free(pool);
    lz_eval_state_free(s);
    lz_model_free(m);
    gguf_close(gf);
    return 0;
}
