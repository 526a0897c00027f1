/*
 * bench_engine.c - tokens per second of the engine on a model, on the work
 * compression and decompression do:
 *
 *  - batched: `tokens` tokens in batches of `batch`, the logits of every
 *    position (compression);
 *  - steps: `steps` single-token steps after them, all logits of each
 *    (decompression);
 *  - positions: for each listed position P, a fresh context is filled up to
 *    P (in batches, last logits only, not timed), then one batch of `span`
 *    tokens at P .. P+span-1 with all logits and `pos_steps` single steps
 *    after it are timed: the cost of long contexts;
 *  - streams: with --streams K, instead of the positions above, K sequences
 *    each holding the first listed position's context (one is filled, not
 *    timed, and copied), then `pos_steps` lockstep steps, each one batch of
 *    one token per sequence with all logits (what decompressing K segments
 *    at once does).
 *
 *   bench_engine MODEL [--threads N] [--isa NAME] [--batch N] [--tokens N]
 *                [--steps N] [--positions P,P,...] [--span N] [--pos-steps N]
 *                [--streams K] [--json]
 *
 * Token ids are a fixed pseudo-random sequence (BOS first; the cost does
 * not depend on which ids they are), the same as tools/bench_llamacpp.py's.
 * Reported: wall-clock tokens/s, the process CPU time, and the peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/threadpool.h"
#include "gguf/gguf.h"
#include "model/model.h"

#define MAX_POSITIONS 8

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    double wall, cpu;
} span_time;

static span_time mark(void)
{
    span_time t = { clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_PROCESS_CPUTIME_ID) };
    return t;
}

static span_time since(span_time t0)
{
    span_time t = mark();
    t.wall -= t0.wall;
    t.cpu -= t0.cpu;
    return t;
}

typedef struct {
    const lz_model *m;
    lz_pool *pool;
    lz_isa isa;
    const int32_t *tok;
    float *logits;
    uint32_t batch;
} bench;

static void die(const lz_err *err)
{
    fprintf(stderr, "bench_engine: %s\n", err->msg);
    exit(1);
}

/* Tokens [p0, p1) in batches (all logits, or the last one of each). */
static void eval_range(const bench *B, lz_eval_state *s, uint32_t p0, uint32_t p1, int last_only)
{
    lz_err err = { 0 };
    for (uint32_t p = p0; p < p1; p += B->batch) {
        const uint32_t k = p1 - p < B->batch ? p1 - p : B->batch;
        if (lz_model_eval(B->m, s, B->pool, B->isa, B->tok + p, k, p, B->logits, last_only, &err)) die(&err);
    }
}

static void eval_steps(const bench *B, lz_eval_state *s, uint32_t p0, uint32_t n)
{
    lz_err err = { 0 };
    for (uint32_t i = 0; i < n; i++)
        if (lz_model_eval(B->m, s, B->pool, B->isa, B->tok + p0 + i, 1, p0 + i, B->logits, 1, &err)) die(&err);
}

/* K sequences at position p (the first filled in batches, the others
 * copies of it), then n lockstep steps of one token per sequence. */
static span_time eval_lockstep(const bench *B, uint32_t K, uint32_t n_ctx, uint32_t p, uint32_t n)
{
    lz_err err = { 0 };
    lz_kv_cache **kv = calloc(K, sizeof(*kv));
    lz_batch_token *bt = calloc(B->batch > K ? B->batch : K, sizeof(*bt));
    lz_scratch *sc = lz_scratch_create(B->m, B->batch > K ? B->batch : K, &err);
    if (!kv || !bt || !sc) die(&err);
    for (uint32_t s = 0; s < K; s++)
        if (!(kv[s] = lz_kv_cache_create(B->m, n_ctx, B->batch, &err))) die(&err);
    for (uint32_t q = 0; q < p; q += B->batch) {
        const uint32_t k = p - q < B->batch ? p - q : B->batch;
        for (uint32_t i = 0; i < k; i++) bt[i] = (lz_batch_token){ kv[0], B->tok[q + i], q + i, 0 };
        if (lz_model_eval_batch(B->m, sc, B->pool, B->isa, bt, k, B->logits, &err)) die(&err);
    }
    for (uint32_t s = 1; s < K; s++) lz_kv_cache_copy(kv[s], kv[0]);
    fprintf(stderr, "bench_engine: %u streams at position %u: stepping\n", K, p);   /* a profiler may attach now */
    span_time t0 = mark();
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t s = 0; s < K; s++) bt[s] = (lz_batch_token){ kv[s], B->tok[p + i], p + i, 1 };
        if (lz_model_eval_batch(B->m, sc, B->pool, B->isa, bt, K, B->logits, &err)) die(&err);
    }
    span_time t = since(t0);
    for (uint32_t s = 0; s < K; s++) lz_kv_cache_free(kv[s]);
    lz_scratch_free(sc);
    free(kv);
    free(bt);
    return t;
}

static uint32_t parse_positions(const char *s, uint32_t *out)
{
    uint32_t n = 0;
    while (*s && n < MAX_POSITIONS) {
        char *end;
        out[n++] = (uint32_t)strtoul(s, &end, 10);
        s = *end == ',' ? end + 1 : end;
        if (end == s && *s) break;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL [--threads N] [--isa NAME] [--batch N] [--tokens N] [--steps N]\n"
                        "       [--positions P,P,...] [--span N] [--pos-steps N] [--streams K] [--json]\n", argv[0]);
        return 2;
    }
    int threads = 2, json = 0;
    uint32_t n_tok = 1024, batch = 512, steps = 64, span = 512, pos_steps = 16, streams = 0;
    uint32_t positions[MAX_POSITIONS], n_pos = 0;
    lz_isa isa = lz_cpu_isa();
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--tokens")) n_tok = (uint32_t)atoi(v);
        else if (!strcmp(a, "--batch")) batch = (uint32_t)atoi(v);
        else if (!strcmp(a, "--steps")) steps = (uint32_t)atoi(v);
        else if (!strcmp(a, "--span")) span = (uint32_t)atoi(v);
        else if (!strcmp(a, "--pos-steps")) pos_steps = (uint32_t)atoi(v);
        else if (!strcmp(a, "--streams")) streams = (uint32_t)atoi(v);
        else if (!strcmp(a, "--positions")) n_pos = parse_positions(v, positions);
        else if (!strcmp(a, "--isa")) {
            for (int k = 0; k < LZ_ISA_COUNT; k++)
                if (!strcmp(lz_isa_name((lz_isa)k), v)) isa = (lz_isa)k;
        } else {
            fprintf(stderr, "bench_engine: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (batch == 0 || span == 0 || threads < 1 || (streams > 0 && pos_steps == 0)) {
        fprintf(stderr, "bench_engine: batch, span, threads (and pos-steps with streams) must be positive\n");
        return 2;
    }
    lz_err err = { 0 };
    gguf_file *gf = NULL;
    lz_model *m = NULL;
    if (gguf_open(argv[1], 0, &gf, &err) || lz_model_load(gf, &m, &err)) die(&err);
    const lz_hparams *hp = lz_model_get_hparams(m);

    uint32_t n_ctx = n_tok + steps;
    for (uint32_t i = 0; i < n_pos; i++)
        if (positions[i] + span + pos_steps > n_ctx) n_ctx = positions[i] + span + pos_steps;
    const uint32_t streams_at = n_pos > 0 ? positions[0] : n_tok;
    if (streams > 0 && streams_at + pos_steps > n_ctx) n_ctx = streams_at + pos_steps;
    uint32_t max_batch = batch > span ? batch : span;
    if (streams > max_batch) max_batch = streams;
    int32_t *tok = malloc((size_t)n_ctx * sizeof(int32_t));
    float *logits = malloc((size_t)max_batch * hp->n_vocab * sizeof(float));
    lz_pool *pool = threads > 1 ? lz_pool_create(threads) : NULL;
    if (!tok || !logits || (threads > 1 && !pool)) {
        fprintf(stderr, "bench_engine: out of memory\n");
        return 1;
    }
    uint32_t x = 1;
    for (uint32_t i = 0; i < n_ctx; i++) {
        x = x * 1664525u + 1013904223u;
        tok[i] = i == 0 ? 2 : (int32_t)((x >> 8) % hp->n_vocab);
    }
    bench B = { m, pool, isa, tok, logits, batch };

    span_time t_batch = { 0, 0 }, t_step = { 0, 0 };
    if (n_tok > 0) {
        lz_eval_state *s = lz_eval_state_create(m, n_tok + steps, batch, &err);
        if (!s) die(&err);
        span_time t0 = mark();
        eval_range(&B, s, 0, n_tok, 0);
        t_batch = since(t0);
        t0 = mark();
        eval_steps(&B, s, n_tok, steps);
        t_step = since(t0);
        lz_eval_state_free(s);
    }

    span_time t_pos[MAX_POSITIONS], t_pos_step[MAX_POSITIONS];
    if (n_pos > 0 && streams == 0) {
        /* one context walks through the positions in increasing order */
        lz_eval_state *s = lz_eval_state_create(m, n_ctx, max_batch, &err);
        if (!s) die(&err);
        uint32_t filled = 0;
        for (uint32_t i = 0; i < n_pos; i++) {
            const uint32_t p = positions[i];
            if (p < filled) {   /* out of order: start again */
                lz_eval_state_free(s);
                if (!(s = lz_eval_state_create(m, n_ctx, max_batch, &err))) die(&err);
                filled = 0;
            }
            eval_range(&B, s, filled, p, 1);
            B.batch = span;
            span_time t0 = mark();
            eval_range(&B, s, p, p + span, 0);
            t_pos[i] = since(t0);
            B.batch = batch;
            t0 = mark();
            eval_steps(&B, s, p + span, pos_steps);
            t_pos_step[i] = since(t0);
            filled = p + span + pos_steps;
        }
        lz_eval_state_free(s);
    }

    span_time t_streams = { 0, 0 };
    if (streams > 0) t_streams = eval_lockstep(&B, streams, n_ctx, streams_at, pos_steps);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const double rss = ru.ru_maxrss / 1024.0;
    if (json) {
        printf("{\"engine\": \"llama-zip\", \"arch\": \"%s\", \"threads\": %d, \"isa\": \"%s\", \"batch\": %u, "
               "\"macs_per_token\": %llu", lz_model_arch_name(m), threads, lz_isa_name(isa), batch,
               (unsigned long long)lz_model_macs_per_token(m));
        if (n_tok > 0)
            printf(",\n \"batched\": {\"tokens\": %u, \"wall_s\": %.4f, \"cpu_s\": %.4f, \"tok_s\": %.2f},\n"
                   " \"steps\": {\"tokens\": %u, \"after\": %u, \"wall_s\": %.4f, \"cpu_s\": %.4f, \"ms_per_token\": %.3f}",
                   n_tok, t_batch.wall, t_batch.cpu, n_tok / t_batch.wall, steps, n_tok, t_step.wall, t_step.cpu,
                   steps ? 1e3 * t_step.wall / steps : 0.0);
        printf(",\n \"positions\": [");
        for (uint32_t i = 0; i < n_pos && !streams; i++)
            printf("%s{\"pos\": %u, \"span\": %u, \"wall_s\": %.4f, \"tok_s\": %.2f, \"steps\": %u, \"step_ms\": %.3f}",
                   i ? ", " : "", positions[i], span, t_pos[i].wall, span / t_pos[i].wall, pos_steps,
                   pos_steps ? 1e3 * t_pos_step[i].wall / pos_steps : 0.0);
        printf("]");
        if (streams > 0)
            printf(",\n \"streams\": {\"k\": %u, \"pos\": %u, \"steps\": %u, \"wall_s\": %.4f, \"step_ms\": %.3f, "
                   "\"tok_s\": %.2f}", streams, streams_at, pos_steps, t_streams.wall, 1e3 * t_streams.wall / pos_steps,
                   streams * pos_steps / t_streams.wall);
        printf(",\n \"peak_rss_mib\": %.1f}\n", rss);
    } else {
        printf("llama-zip engine (%s, %d threads, isa %s)\n", lz_model_arch_name(m), threads, lz_isa_name(isa));
        if (n_tok > 0) {
            printf("  batched     : %u tokens in batches of %u, all logits: %.2f s = %.1f tokens/s (cpu %.2f s)\n", n_tok,
                   batch, t_batch.wall, n_tok / t_batch.wall, t_batch.cpu);
            printf("  single steps: %u tokens after %u of context: %.2f s = %.1f tokens/s (%.1f ms/token, cpu %.2f s)\n",
                   steps, n_tok, t_step.wall, steps / t_step.wall, 1e3 * t_step.wall / (steps ? steps : 1), t_step.cpu);
        }
        for (uint32_t i = 0; i < n_pos && !streams; i++)
            printf("  at %6u   : %u tokens, all logits: %.1f tokens/s; %u single steps: %.1f ms/token\n", positions[i],
                   span, span / t_pos[i].wall, pos_steps, pos_steps ? 1e3 * t_pos_step[i].wall / pos_steps : 0.0);
        if (streams > 0)
            printf("  %u streams at %u: %u lockstep steps, all logits: %.1f ms/step = %.1f tokens/s\n", streams,
                   streams_at, pos_steps, 1e3 * t_streams.wall / pos_steps, streams * pos_steps / t_streams.wall);
        printf("  peak RSS    : %.0f MiB\n", rss);
    }
    free(tok);
    free(logits);
    lz_pool_free(pool);
    lz_model_free(m);
    gguf_close(gf);
    return 0;
}
