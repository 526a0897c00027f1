/*
 * test_model.c - the engine's determinism and load-time checks.
 *
 * Uses the tiny random-weight models of tools/make_tiny_models.py
 * (build/tiny/, made by `make test-c`; $LZ_TINY_DIR overrides) and the
 * default model when present (models/gemma-3-270m-q4_k_m.gguf or
 * $LLAMAZIP_MODEL). What is checked:
 *  - logits are bit-identical (memcmp) whatever the batch size (1, 7, 64,
 *    512), the call split, the thread count (1, 2, 3) and the kernel ISA
 *    (every level lz_cpu_isa_available reports);
 *  - rewinding inside the sliding-window ring cache reproduces the logits;
 *    rewinding past it, gaps and bad token ids are refused;
 *  - an unsupported architecture, a missing tensor, a misshapen tensor and an
 *    unsupported tensor type are refused with the culprit named.
 * Missing models skip with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "common/threadpool.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "model/ops.h"
#include "common/f16.h"

#define N_TOK 160

static const char *const g_tiny[] = {
    "gemma3-f32", "gemma3-q4_k", "gemma3-q5_0", "gemma3-pattern-bf16", "llama-f16-bias",
    "llama-q4_0-ropefreqs", "llama-q4_k", "qwen2-q8_0", "phi3-f16-longrope", "phi3-q8_0",
};

static const char *tiny_dir(void)
{
    const char *d = getenv("LZ_TINY_DIR");
    return d && *d ? d : "build/tiny";
}

static int tiny_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s.gguf", tiny_dir(), name);
    FILE *f = fopen(buf, "rb");
    if (!f) return 0;
    fclose(f);
    return 1;
}

typedef struct {
    gguf_file *gf;
    lz_model *m;
    uint32_t nv;
} loaded;

static int load(const char *path, loaded *L)
{
    lz_err err = { 0 };
    memset(L, 0, sizeof(*L));
    if (gguf_open(path, 0, &L->gf, &err)) {
        print_message("cannot open %s: %s\n", path, err.msg);
        return 0;
    }
    int rc = lz_model_load(L->gf, &L->m, &err);
    if (rc) print_message("load %s: %s\n", path, err.msg);
    assert_int_equal(rc, 0);
    L->nv = lz_model_get_hparams(L->m)->n_vocab;
    return 1;
}

static void unload(loaded *L)
{
    lz_model_free(L->m);
    gguf_close(L->gf);
}

/* Deterministic pseudo-random token ids (BOS-like 1 first). */
static void make_tokens(int32_t *t, uint32_t n, uint32_t nv)
{
    uint32_t x = 12345;
    for (uint32_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        t[i] = i == 0 ? 1 : (int32_t)((x >> 8) % nv);
    }
}

/* All-row logits of tokens[0..n) evaluated `step` tokens per call. */
static float *run(const loaded *L, const int32_t *tok, uint32_t n, uint32_t n_ctx, uint32_t batch, uint32_t step,
                  int threads, lz_isa isa)
{
    lz_err err = { 0 };
    lz_eval_state *s = lz_eval_state_create(L->m, n_ctx, batch, &err);
    assert_non_null(s);
    lz_pool *pool = threads > 1 ? lz_pool_create(threads) : NULL;
    float *out = malloc((size_t)n * L->nv * sizeof(float));
    assert_non_null(out);
    for (uint32_t p = 0; p < n; p += step) {
        const uint32_t k = n - p < step ? n - p : step;
        int rc = lz_model_eval(L->m, s, pool, isa, tok + p, k, p, out + (size_t)p * L->nv, 0, &err);
        if (rc) print_message("eval: %s\n", err.msg);
        assert_int_equal(rc, 0);
    }
    lz_pool_free(pool);
    lz_eval_state_free(s);
    return out;
}

static int same(const float *a, const float *b, size_t n, const char *what)
{
    if (!memcmp(a, b, n * sizeof(float))) return 1;
    size_t i = 0;
    while (i < n && !memcmp(a + i, b + i, sizeof(float))) i++;
    print_message("  %s differs first at float %zu: %.9g vs %.9g\n", what, i, (double)a[i], (double)b[i]);
    return 0;
}

/* Every way of evaluating gives the reference's bits. */
static void check_invariance(const char *path, uint32_t n, const uint32_t *batches, int n_batches)
{
    loaded L;
    if (!load(path, &L)) return;
    int32_t *tok = malloc(n * sizeof(int32_t));
    make_tokens(tok, n, L.nv);
    const size_t nf = (size_t)n * L.nv;
    const lz_isa best = lz_cpu_isa();
    float *ref = run(&L, tok, n, n, 512, n, 1, best);
    int checks = 0, bad = 0;
    char what[96];
    for (int b = 0; b < n_batches; b++) {
        float *o = run(&L, tok, n, n, batches[b], n, 1, best);
        snprintf(what, sizeof(what), "batch %u", batches[b]);
        bad += !same(ref, o, nf, what);
        checks++;
        free(o);
    }
    /* calls of 5 tokens into a state of batch 3: splitting inside and across calls */
    float *o = run(&L, tok, n, n + 7, 3, 5, 1, best);
    bad += !same(ref, o, nf, "calls of 5, batch 3");
    checks++;
    free(o);
    for (int t = 2; t <= 3; t++) {
        o = run(&L, tok, n, n, 64, n, t, best);
        snprintf(what, sizeof(what), "%d threads", t);
        bad += !same(ref, o, nf, what);
        checks++;
        free(o);
    }
    for (int isa = 0; isa < LZ_ISA_COUNT; isa++) {
        if (!lz_cpu_isa_available((lz_isa)isa) || (lz_isa)isa == best) continue;
        o = run(&L, tok, n, n, 7, n, 2, (lz_isa)isa);
        snprintf(what, sizeof(what), "isa %s", lz_isa_name((lz_isa)isa));
        bad += !same(ref, o, nf, what);
        checks++;
        free(o);
    }
    print_message("%s: %u tokens x %u vocab, %d evaluations bit-identical to batch 512 / 1 thread / %s: %s\n", path, n,
                  L.nv, checks, lz_isa_name(best), bad ? "NO" : "yes");
    assert_int_equal(bad, 0);
    free(ref);
    free(tok);
    unload(&L);
}

static void test_tiny_invariance(void **state)
{
    (void)state;
    char path[512];
    static const uint32_t batches[] = { 1, 7, 64 };
    int found = 0;
    for (size_t i = 0; i < LZ_ARRAY_LEN(g_tiny); i++) {
        if (!tiny_path(path, sizeof(path), g_tiny[i])) continue;
        found++;
        check_invariance(path, N_TOK, batches, 3);
    }
    if (!found) {
        print_message("SKIP: no tiny models in %s (make tiny-models)\n", tiny_dir());
        skip();
    }
}

static const char *default_model(void)
{
    const char *e = getenv("LLAMAZIP_MODEL");
    const char *p = e && *e ? e : "models/gemma-3-270m-q4_k_m.gguf";
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fclose(f);
    return p;
}

static void test_default_invariance(void **state)
{
    (void)state;
    const char *p = default_model();
    if (!p) {
        print_message("SKIP: default model absent (make model)\n");
        skip();
    }
    static const uint32_t batches[] = { 1, 7 };
    check_invariance(p, 12, batches, 2);
}

/*
 * Batches that mix sequences (lz_model_eval_batch): K sequences of different
 * lengths advance by a random 1..3 tokens each in batches whose entries are
 * interleaved in a random order, with a random subset of the sequences in
 * each batch; every token's logits must equal those of its sequence
 * evaluated alone, one token per call. Done for K = 1..5, 1 and 3 threads,
 * every ISA, on models with sliding windows, biases and longrope.
 */
static uint32_t mix_rnd(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

static int check_mixed(const char *path)
{
    enum { KMAX = 5, LEN = 60 };   /* > window + batch of the tiny gemma3 (48 + 3): its ring wraps */
    loaded L;
    if (!load(path, &L)) return 0;
    int32_t tok[KMAX][LEN];
    float *ref[KMAX];
    uint32_t len[KMAX];
    lz_err err = { 0 };
    for (int k = 0; k < KMAX; k++) {
        len[k] = LEN - 4 * (uint32_t)k;
        uint32_t x = 77 + (uint32_t)k;
        for (uint32_t i = 0; i < len[k]; i++) tok[k][i] = i == 0 ? 1 : (int32_t)(mix_rnd(&x) % L.nv);
        ref[k] = run(&L, tok[k], len[k], LEN, 1, 1, 1, LZ_ISA_SCALAR);
    }
    float *out = malloc((size_t)3 * KMAX * L.nv * sizeof(float));
    int checked = 0;
    for (int K = 1; K <= KMAX; K++)
        for (int threads = 1; threads <= 3; threads += 2)
            for (int isa = 0; isa < LZ_ISA_COUNT; isa++) {
                if (!lz_cpu_isa_available((lz_isa)isa)) continue;
                lz_kv_cache *kv[KMAX];
                uint32_t done[KMAX] = { 0 };
                for (int k = 0; k < K; k++) assert_non_null(kv[k] = lz_kv_cache_create(L.m, LEN, 3, &err));
                lz_scratch *sc = lz_scratch_create(L.m, 3 * KMAX, &err);
                assert_non_null(sc);
                lz_pool *pool = threads > 1 ? lz_pool_create(threads) : NULL;
                uint32_t x = 1234u + (uint32_t)(K * 7 + threads + isa * 31);
                for (;;) {
                    /* each live sequence joins with probability 3/4, with 1..3 tokens */
                    lz_batch_token bt[3 * KMAX];
                    int seq_of[3 * KMAX], pending[KMAX];
                    uint32_t nb = 0, live = 0;
                    for (int k = 0; k < K; k++) {
                        pending[k] = 0;
                        if (done[k] >= len[k]) continue;
                        live++;
                        if (mix_rnd(&x) % 4 == 0) continue;
                        const uint32_t want = 1 + mix_rnd(&x) % 3;   /* LZ_MIN evaluates twice */
                        pending[k] = (int)LZ_MIN(want, len[k] - done[k]);
                    }
                    if (!live) break;
                    /* interleave: repeatedly take the next token of a random pending sequence */
                    for (;;) {
                        int any = 0;
                        for (int k = 0; k < K; k++) any |= pending[k] > 0;
                        if (!any) break;
                        int k = (int)(mix_rnd(&x) % (uint32_t)K);
                        if (!pending[k]) continue;
                        const uint32_t p = done[k]++;
                        pending[k]--;
                        bt[nb] = (lz_batch_token){ kv[k], tok[k][p], p, 1 };
                        seq_of[nb++] = k;
                    }
                    if (nb == 0) continue;
                    int rc = lz_model_eval_batch(L.m, sc, pool, (lz_isa)isa, bt, nb, out, &err);
                    if (rc) print_message("mixed batch: %s\n", err.msg);
                    assert_int_equal(rc, 0);
                    for (uint32_t i = 0; i < nb; i++) {
                        const float *want = ref[seq_of[i]] + (size_t)bt[i].pos * L.nv;
                        if (memcmp(want, out + (size_t)i * L.nv, L.nv * sizeof(float)))
                            fail_msg("%s: K=%d, %d threads, %s: sequence %d position %u differs from the sequence alone",
                                     path, K, threads, lz_isa_name((lz_isa)isa), seq_of[i], bt[i].pos);
                        checked++;
                    }
                }
                for (int k = 0; k < K; k++) lz_kv_cache_free(kv[k]);
                lz_scratch_free(sc);
                lz_pool_free(pool);
            }
    print_message("%s: %d tokens of mixed batches bit-identical to their sequences alone\n", path, checked);
    free(out);
    for (int k = 0; k < KMAX; k++) free(ref[k]);
    unload(&L);
    return 1;
}

static void test_mixed_batches(void **state)
{
    (void)state;
    static const char *const models[] = { "gemma3-q4_k", "llama-q4_0-ropefreqs", "phi3-f16-longrope", "qwen2-q8_0" };
    char path[512];
    int found = 0;
    for (size_t i = 0; i < LZ_ARRAY_LEN(models); i++)
        if (tiny_path(path, sizeof(path), models[i])) found += check_mixed(path);
    if (!found) {
        print_message("SKIP: no tiny models in %s (make tiny-models)\n", tiny_dir());
        skip();
    }
}

/* A mixed batch is refused when a sequence's tokens are not consecutive, or
 * when a sequence has more tokens than its cache's batch allows. */
static void test_mixed_batch_rules(void **state)
{
    (void)state;
    char path[512];
    if (!tiny_path(path, sizeof(path), "gemma3-q4_k")) {
        print_message("SKIP: tiny model gemma3-q4_k absent\n");
        skip();
    }
    loaded L;
    if (!load(path, &L)) return;
    lz_err err = { 0 };
    lz_kv_cache *a = lz_kv_cache_create(L.m, 32, 2, &err), *b = lz_kv_cache_create(L.m, 32, 2, &err);
    lz_scratch *sc = lz_scratch_create(L.m, 8, &err);
    float *out = malloc((size_t)8 * L.nv * sizeof(float));
    assert_true(a && b && sc && out);
    lz_batch_token bt[4] = { { a, 1, 0, 1 }, { b, 1, 0, 1 }, { a, 5, 2, 1 }, { b, 6, 1, 1 } };
    assert_int_equal(lz_model_eval_batch(L.m, sc, NULL, LZ_ISA_SCALAR, bt, 4, out, &err), LLAMAZIP_E_USAGE);
    print_message("not consecutive: %s\n", err.msg);
    bt[2].pos = 1;
    assert_int_equal(lz_model_eval_batch(L.m, sc, NULL, LZ_ISA_SCALAR, bt, 4, out, &err), 0);
    lz_batch_token three[3] = { { a, 1, 2, 0 }, { a, 2, 3, 0 }, { a, 3, 4, 1 } };
    assert_int_equal(lz_model_eval_batch(L.m, sc, NULL, LZ_ISA_SCALAR, three, 3, out, &err), LLAMAZIP_E_USAGE);
    print_message("too many tokens of one sequence: %s\n", err.msg);
    lz_batch_token gap[1] = { { b, 1, 5, 1 } };
    assert_int_equal(lz_model_eval_batch(L.m, sc, NULL, LZ_ISA_SCALAR, gap, 1, out, &err), LLAMAZIP_E_USAGE);
    lz_kv_cache_free(a);
    lz_kv_cache_free(b);
    lz_scratch_free(sc);
    free(out);
    unload(&L);
}

/* Sliding-window ring: rewinding within reach reproduces the logits; past
 * it, after a gap, or with a bad token the call is refused. */
static void test_rewind_and_usage(void **state)
{
    (void)state;
    char path[512];
    if (!tiny_path(path, sizeof(path), "gemma3-q4_k")) {
        print_message("SKIP: tiny model gemma3-q4_k absent\n");
        skip();
    }
    loaded L;
    if (!load(path, &L)) return;
    const lz_hparams *hp = lz_model_get_hparams(L.m);
    assert_true(hp->n_swa > 0);
    const uint32_t n = N_TOK, batch = 4;
    int32_t tok[N_TOK];
    make_tokens(tok, n, L.nv);
    float *ref = run(&L, tok, n, n, 512, n, 1, LZ_ISA_SCALAR);
    lz_err err = { 0 };
    lz_eval_state *s = lz_eval_state_create(L.m, n, batch, &err);
    float *row = malloc(L.nv * sizeof(float));
    assert_int_equal(lz_model_eval(L.m, s, NULL, LZ_ISA_SCALAR, tok, n, 0, row, 1, &err), 0);
    assert_memory_equal(row, ref + (size_t)(n - 1) * L.nv, L.nv * sizeof(float));
    /* rewind a few positions: the ring (window + batch slots) still holds the keys */
    const uint32_t back = n - 3;
    assert_int_equal(lz_model_eval(L.m, s, NULL, LZ_ISA_SCALAR, tok + back, 1, back, row, 1, &err), 0);
    assert_memory_equal(row, ref + (size_t)back * L.nv, L.nv * sizeof(float));
    /* rewind far: the window's keys are gone */
    int rc = lz_model_eval(L.m, s, NULL, LZ_ISA_SCALAR, tok + 60, 1, 60, row, 1, &err);
    print_message("rewind to 60 with window %u, batch %u: %s\n", hp->n_swa, batch, err.msg);
    assert_int_equal(rc, LLAMAZIP_E_USAGE);
    /* restarting at position 0 is always allowed */
    assert_int_equal(lz_model_eval(L.m, s, NULL, LZ_ISA_SCALAR, tok, 2, 0, row, 1, &err), 0);
    assert_memory_equal(row, ref + 1 * (size_t)L.nv, L.nv * sizeof(float));
    /* a gap */
    rc = lz_model_eval(L.m, s, NULL, LZ_ISA_SCALAR, tok, 1, 5, row, 1, &err);
    print_message("gap: %s\n", err.msg);
    assert_int_equal(rc, LLAMAZIP_E_USAGE);
    /* a bad token, beyond the context */
    const int32_t badtok = (int32_t)L.nv;
    rc = lz_model_eval(L.m, s, NULL, LZ_ISA_SCALAR, &badtok, 1, 2, row, 1, &err);
    print_message("bad token: %s\n", err.msg);
    assert_int_equal(rc, LLAMAZIP_E_USAGE);
    rc = lz_model_eval(L.m, s, NULL, LZ_ISA_SCALAR, tok, 1, n, row, 1, &err);
    print_message("beyond n_ctx: %s\n", err.msg);
    assert_int_equal(rc, LLAMAZIP_E_USAGE);
    free(row);
    free(ref);
    lz_eval_state_free(s);
    unload(&L);
}

/* The grouped attention kernels (G queries sharing one KV head) of every
 * ISA against the reference: head sizes that are and are not multiples of
 * the vector blocks, every group size up to 11, several row counts. */
static void test_attn_group_kernels(void **state)
{
    (void)state;
    enum { HD = 256, ROWS = 301, STRIDE = 3 * HD + 5, GMAX = 11 };   /* rows: several tiles of LZ_WSUM_TILE, and a tail */
    static const uint32_t dims[] = { 256, 128, 64, 96, 48, 40 };
    float *q = malloc(GMAX * HD * sizeof(float)), *w = malloc(GMAX * ROWS * sizeof(float));
    float *s_ref = malloc(GMAX * ROWS * sizeof(float)), *s_got = malloc(GMAX * ROWS * sizeof(float));
    float *y_ref = malloc(GMAX * HD * sizeof(float)), *y_got = malloc(GMAX * HD * sizeof(float));
    uint16_t *kv = malloc((size_t)ROWS * STRIDE * sizeof(uint16_t));
    uint32_t x = 99;
    for (int i = 0; i < GMAX * HD; i++) {
        x = x * 1103515245u + 12345u;
        q[i] = (float)((int32_t)(x >> 8) % 20001 - 10000) / 3000.0f;
    }
    for (int i = 0; i < GMAX * ROWS; i++) {
        x = x * 1103515245u + 12345u;
        w[i] = (float)((int32_t)(x >> 9) % 1000) / 999.0f;
    }
    for (int i = 0; i < ROWS * STRIDE; i++) {
        x = x * 1103515245u + 12345u;
        kv[i] = lz_f32_to_f16((float)((int32_t)(x >> 8) % 20001 - 10000) / 7000.0f);
    }
    long checked = 0;
    for (int isa = 0; isa < LZ_ISA_COUNT; isa++) {
        if (!lz_cpu_isa_available((lz_isa)isa)) continue;
        const lz_kernels *kern = lz_kernels_get((lz_isa)isa);
        for (size_t di = 0; di < LZ_ARRAY_LEN(dims); di++)
            for (int G = 1; G <= GMAX; G++)
                for (uint32_t rows = 1; rows <= ROWS; rows += rows < 40 ? 12 : 65) {
                    const uint32_t n = dims[di];
                    const float *qp[GMAX], *wp[GMAX];
                    float *yr[GMAX], *yg[GMAX];
                    for (int g = 0; g < G; g++) {
                        qp[g] = q + g * HD;
                        wp[g] = w + g * ROWS;
                        yr[g] = y_ref + g * HD;
                        yg[g] = y_got + g * HD;
                    }
                    lz_op_attn_scores_ref(qp, G, kv + 3, STRIDE, rows, n, 0.0625f, s_ref, ROWS);
                    kern->attn_scores(qp, G, kv + 3, STRIDE, rows, n, 0.0625f, s_got, ROWS);
                    for (int g = 0; g < G; g++) assert_memory_equal(s_ref + g * ROWS, s_got + g * ROWS, rows * sizeof(float));
                    memcpy(y_ref, q, GMAX * HD * sizeof(float));
                    memcpy(y_got, q, GMAX * HD * sizeof(float));
                    lz_op_attn_wsum_ref(yr, wp, G, kv + 3, STRIDE, rows, n);
                    kern->attn_wsum(yg, wp, G, kv + 3, STRIDE, rows, n);
                    assert_memory_equal(y_ref, y_got, GMAX * HD * sizeof(float));
                    checked++;
                }
    }
    print_message("grouped attention scores and V sums: %ld cases bit-identical to the reference\n", checked);
    free(q); free(w); free(s_ref); free(s_got); free(y_ref); free(y_got); free(kv);
}

/* The attention kernels of every ISA against the scalar reference, on every
 * length up to 100 (tails of the vector loops included); the vector
 * exponential against lz_expf on ~11 million arguments in [-90, 0]. */
static void test_attn_kernels(void **state)
{
    (void)state;
    enum { N = 100, ROWS = 5 };
    float q[N], w[ROWS], y_ref[N], y[N];
    uint16_t k[N * ROWS];
    uint32_t x = 7;
    for (int i = 0; i < N * ROWS; i++) {
        x = x * 1103515245u + 12345u;
        if (i < N) q[i] = (float)((int32_t)(x >> 8) % 20001 - 10000) / 3000.0f;
        if (i < ROWS) w[i] = (float)((int32_t)(x >> 9) % 1000) / 999.0f;
        x = x * 1103515245u + 12345u;
        k[i] = lz_f32_to_f16((float)((int32_t)(x >> 8) % 20001 - 10000) / 7000.0f);
    }
    int n_isa = 0;
    uint64_t n_exp = 0;
    float *ea = malloc(4096 * sizeof(float)), *eb = malloc(4096 * sizeof(float));
    for (int isa = 0; isa < LZ_ISA_COUNT; isa++) {
        if (!lz_cpu_isa_available((lz_isa)isa)) continue;
        const lz_kernels *kern = lz_kernels_get((lz_isa)isa);
        for (uint32_t n = 1; n <= N; n++) {
            const float a = lz_op_dot_f16_ref(q, k, n), b = kern->dot_f16(q, k, n);
            assert_memory_equal(&a, &b, sizeof(float));
            for (uint32_t rows = 1; rows <= ROWS; rows += 2) {
                memcpy(y_ref, q, sizeof(q));
                memcpy(y, q, sizeof(q));
                lz_op_wsum_f16_ref(y_ref, w, k, N, rows, n);
                kern->wsum_f16(y, w, k, N, rows, n);
                assert_memory_equal(y_ref, y, sizeof(y));
            }
        }
        /* exponentials: arguments from -0 down past -90 (and a max of 1.5,
         * so that x - max is rounded as in the engine) */
        const uint32_t stop = lz_f32_bits(-90.0f);
        uint32_t bits = 0x80000000u;
        const float maxes[2] = { 0.0f, 1.5f };
        while (bits < stop) {
            uint32_t m = 0;
            for (; m < 4096 && bits < stop; m++, bits += 97) ea[m] = eb[m] = lz_f32_from_bits(bits);
            for (int t = 0; t < 2; t++) {
                double sa = 0.25, sb = 0.25;
                for (uint32_t i = 0; i < m; i++) ea[i] = eb[i] = ea[i] + maxes[t];
                lz_op_exp_sum_ref(ea, m, maxes[t], &sa);
                kern->exp_sum(eb, m, maxes[t], &sb);
                assert_memory_equal(ea, eb, m * sizeof(float));
                assert_memory_equal(&sa, &sb, sizeof(double));
                for (uint32_t i = 0; i < m; i++) ea[i] = eb[i] = lz_f32_from_bits(bits - 97 * (m - i));
            }
            n_exp += 2 * m;
        }
        /* several rows at once: 1..19 rows of unequal lengths (0..70 values
         * past a common 0..40), some with a NaN, an infinity or a value
         * above the max (the scalar path), sums starting from nonzero */
        for (uint32_t R = 1; R <= 19; R++) {
            enum { STRIDE = 128 };
            float xa[19 * STRIDE], xb[19 * STRIDE], mx[19];
            uint32_t nr[19];
            double sa[19], sb[19];
            uint32_t z = 777u * R + (uint32_t)isa;
            for (uint32_t r = 0; r < R; r++) {
                z = z * 1103515245u + 12345u;
                nr[r] = (R * 7u) % 41u + (z >> 9) % 71u;
                mx[r] = 0.5f * (float)(r % 5);
                sa[r] = sb[r] = 0.125 * (double)r;
                for (uint32_t j = 0; j < STRIDE; j++) {
                    z = z * 1103515245u + 12345u;
                    xa[r * STRIDE + j] = mx[r] - (float)((z >> 8) % 100000u) / 1000.0f;
                }
                if (r % 7 == 3 && nr[r] > 5) xa[r * STRIDE + nr[r] / 2] = NAN;
                if (r % 7 == 5 && nr[r] > 5) xa[r * STRIDE + 1] = -INFINITY;
                if (r % 7 == 6 && nr[r] > 9) xa[r * STRIDE + 9] = mx[r] + 2.0f;
            }
            memcpy(xb, xa, sizeof(xa));
            lz_op_exp_sum_rows_ref(xa, STRIDE, R, nr, mx, sa);
            kern->exp_sum_rows(xb, STRIDE, R, nr, mx, sb);
            assert_memory_equal(xa, xb, sizeof(xa));
            assert_memory_equal(sa, sb, R * sizeof(double));
        }
        n_isa++;
    }
    /* gated activations on ~9 million arguments of both signs, every
     * magnitude up to 2^62, plus infinities and NaN */
    uint64_t n_act = 0;
    float up[4096];
    for (int i = 0; i < 4096; i++) up[i] = 0.5f + (float)(i % 7) * 0.25f;
    for (int isa = 0; isa < LZ_ISA_COUNT; isa++) {
        if (!lz_cpu_isa_available((lz_isa)isa)) continue;
        const lz_kernels *kern = lz_kernels_get((lz_isa)isa);
        for (int act = 0; act < 2; act++) {
            const uint32_t stop = lz_f32_bits(0x1p62f);
            for (uint32_t bits = 0; bits < stop;) {
                uint32_t m = 0;
                for (; m < 4096 && bits < stop; m++, bits += 241) {
                    const float v = lz_f32_from_bits(bits);
                    ea[m] = eb[m] = (m & 1) ? -v : v;
                }
                if (bits >= stop && m + 4 <= 4096) {
                    const float special[4] = { INFINITY, -INFINITY, NAN, 88.5f };
                    for (int t = 0; t < 4; t++, m++) ea[m] = eb[m] = special[t];
                }
                lz_op_gated_act(ea, up, m, (lz_ffn_act)act);
                kern->gated_act(eb, up, m, (lz_ffn_act)act);
                assert_memory_equal(ea, eb, m * sizeof(float));
                n_act += m;
            }
        }
    }
    free(ea);
    free(eb);
    print_message("attention dot / exp+sum / weighted V sum / gated activations: bit-identical to the reference on "
                  "%d ISA level(s) (lengths 1..%d, %llu exponentials, %llu activations)\n", n_isa, N,
                  (unsigned long long)n_exp, (unsigned long long)n_act);
}

/* ---------------------------------------------------------------- load errors */

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}

/* Offset of the first occurrence of a length-prefixed GGUF string. */
static size_t find_gguf_string(const uint8_t *b, size_t n, const char *s)
{
    const size_t len = strlen(s);
    for (size_t i = 8; i + len <= n; i++)
        if (!memcmp(b + i, s, len) && lz_rd64(b + i - 8) == len) return i;
    return 0;
}

/* Load a patched copy of a model; returns the error code and message. */
static int load_patched(const uint8_t *img, size_t n, lz_err *err)
{
    gguf_file *gf = NULL;
    lz_model *m = NULL;
    int rc = gguf_open_memory(img, n, &gf, err);
    if (!rc) rc = lz_model_load(gf, &m, err);
    lz_model_free(m);
    gguf_close(gf);
    return rc;
}

static void test_load_errors(void **state)
{
    (void)state;
    char path[512];
    if (!tiny_path(path, sizeof(path), "gemma3-f32")) {
        print_message("SKIP: tiny model gemma3-f32 absent\n");
        skip();
    }
    size_t n = 0;
    uint8_t *orig = read_file(path, &n);
    assert_non_null(orig);
    uint8_t *b = malloc(n);
    lz_err err;

    /* unsupported architecture */
    memcpy(b, orig, n);
    size_t at = find_gguf_string(b, n, "gemma3");
    assert_true(at > 0);
    memcpy(b + at, "gemmaX", 6);
    memset(&err, 0, sizeof(err));
    assert_int_equal(load_patched(b, n, &err), LLAMAZIP_E_UNSUPPORTED);
    print_message("arch: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "gemmaX"));
    assert_non_null(strstr(err.msg, "gemma3, llama, qwen2, phi3"));

    /* missing tensor: rename it */
    memcpy(b, orig, n);
    at = find_gguf_string(b, n, "blk.1.ffn_down.weight");
    assert_true(at > 0);
    b[at + 4] = 'X';
    memset(&err, 0, sizeof(err));
    assert_int_equal(load_patched(b, n, &err), LLAMAZIP_E_GGUF);
    print_message("missing: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "blk.1.ffn_down.weight"));

    /* misshapen tensor: swap the two dimensions of a non-square F32 matrix */
    memcpy(b, orig, n);
    const char *qname = "blk.2.attn_q.weight";
    at = find_gguf_string(b, n, qname) + strlen(qname);
    assert_int_equal(lz_rd32(b + at), 2);
    const uint64_t ne0 = lz_rd64(b + at + 4), ne1 = lz_rd64(b + at + 12);
    assert_true(ne0 != ne1);
    lz_wr64(b + at + 4, ne1);
    lz_wr64(b + at + 12, ne0);
    memset(&err, 0, sizeof(err));
    assert_int_equal(load_patched(b, n, &err), LLAMAZIP_E_GGUF);
    print_message("shape: %s\n", err.msg);
    assert_non_null(strstr(err.msg, qname));

    /* unsupported type of the same size (F32 -> I32) */
    memcpy(b, orig, n);
    const char *vname = "blk.0.attn_v.weight";
    at = find_gguf_string(b, n, vname) + strlen(vname);
    const size_t type_at = at + 4 + 8 * lz_rd32(b + at);
    assert_int_equal(lz_rd32(b + type_at), 0);
    lz_wr32(b + type_at, 26);
    memset(&err, 0, sizeof(err));
    int rc = load_patched(b, n, &err);
    print_message("type: %s\n", err.msg);
    assert_int_not_equal(rc, 0);
    if (rc == LLAMAZIP_E_UNSUPPORTED) assert_non_null(strstr(err.msg, vname));

    free(b);
    free(orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attn_kernels),
        cmocka_unit_test(test_attn_group_kernels),
        cmocka_unit_test(test_tiny_invariance),
        cmocka_unit_test(test_default_invariance),
        cmocka_unit_test(test_rewind_and_usage),
        cmocka_unit_test(test_mixed_batches),
        cmocka_unit_test(test_mixed_batch_rules),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
