/*
 * stress.c - round trips in bulk: compress and decompress generated inputs
 * with the committed tiny models (tests/golden/models) across thread counts,
 * batch sizes, context windows and overlaps, and count mismatches.
 *
 *   stress [N] [SEED]      N round trips (default 100000); exit 1 on any mismatch
 *
 * The settings go through every combination of model (SentencePiece, BPE),
 * n_ctx (8, 17, 64, 128 = the models' context), overlap (0, 25 %, 50 %,
 * n_ctx - 2), batch (1, 7, 64) and threads (1, 2, 4), in blocks of N / 288
 * cases; within a block the cases rotate through the segment sizes (one
 * segment, 64 and 300 bytes, the default 64 KiB) and the streams the
 * decoder runs at once (all, 1, 3). Inputs rotate through the generators
 * below. Each case: compress, decompress with a context of other settings
 * (n_ctx and overlap come from the archive), compare; every tenth case also
 * compresses with one thread and batch 64 and requires the same archive
 * bytes (determinism). A failing case is written to stress-fail-CASE.bin
 * with its settings on stderr.
 *
 * Uses the public API, plus the internal tokenizer to place inputs exactly
 * at window boundaries (n_ctx - 1, n_ctx, n_ctx + 1 tokens, and the same
 * around the second window).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llamazip.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

#define TEXT_FILE "tests/golden/v1/originals/long.txt"
static const char *const MODEL_PATHS[2] = { "tests/golden/models/tiny-spm.gguf", "tests/golden/models/tiny-bpe.gguf" };
static const uint32_t N_CTX[4] = { 8, 17, 64, 128 };
static const uint32_t BATCH[3] = { 1, 7, 64 };
static const int THREADS[3] = { 1, 2, 4 };
static const uint64_t SEGMENT[4] = { LLAMAZIP_SEGMENT_NONE, 64, 300, 0 };
static const char *const SEGMENT_NAMES[4] = { "one segment", "segments of 64 B", "segments of 300 B",
                                              "segments of 64 KiB" };
static const uint32_t STREAMS[3] = { 0, 1, 3 };
#define N_OVERLAP 4
#define N_COMBOS (2 * 4 * N_OVERLAP * 3 * 3)

enum { GEN_RANDOM, GEN_UTF8, GEN_BAD_UTF8, GEN_REPEAT, GEN_CONTROL, GEN_LENGTHS, GEN_BOUNDARY, GEN_MIXED, GEN_WORDS,
       N_GEN };
static const char *const GEN_NAMES[N_GEN] = { "random bytes", "random UTF-8", "invalid UTF-8", "long repeats",
                                              "control characters", "every length 0..300", "n_ctx boundaries",
                                              "mixed text/binary", "English words" };

/* ---------------------------------------------------------------- random */

static uint64_t g_rng;

static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13; /* xorshift64 */
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

/* ---------------------------------------------------------------- inputs */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) { fprintf(stderr, "stress: out of memory\n"); exit(2); }
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_byte(buf *b, uint8_t c) { put(b, &c, 1); }

static void put_utf8(buf *b, uint32_t cp)
{
    uint8_t s[4];
    size_t n;
    if (cp < 0x80) { s[0] = (uint8_t)cp; n = 1; }
    else if (cp < 0x800) { s[0] = (uint8_t)(0xc0 | cp >> 6); s[1] = (uint8_t)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) {
        s[0] = (uint8_t)(0xe0 | cp >> 12); s[1] = (uint8_t)(0x80 | ((cp >> 6) & 63)); s[2] = (uint8_t)(0x80 | (cp & 63));
        n = 3;
    } else {
        s[0] = (uint8_t)(0xf0 | cp >> 18); s[1] = (uint8_t)(0x80 | ((cp >> 12) & 63));
        s[2] = (uint8_t)(0x80 | ((cp >> 6) & 63)); s[3] = (uint8_t)(0x80 | (cp & 63)); n = 4;
    }
    put(b, s, n);
}

static uint8_t *g_text; /* English text: the golden long.txt */
static size_t g_text_len;

static void put_words(buf *b, size_t bytes)
{
    while (b->n < bytes) {
        size_t at = below(g_text_len - 40);
        while (at < g_text_len && g_text[at] != ' ') at++;
        size_t len = 1 + below(40);
        if (at + len > g_text_len) len = g_text_len - at;
        put(b, g_text + at, len);
    }
    b->n = bytes;
}

static uint32_t random_code_point(void)
{
    switch (below(5)) {
    case 0: return 0x20 + (uint32_t)below(0x5f);                  /* ASCII */
    case 1: return 0xa0 + (uint32_t)below(0x700);                 /* Latin, Greek, Cyrillic... */
    case 2: return 0x4e00 + (uint32_t)below(0x5000);              /* CJK */
    case 3: return 0x1f300 + (uint32_t)below(0x300);              /* emoji */
    default: {
        uint32_t cp = (uint32_t)below(0x110000);
        return cp >= 0xd800 && cp < 0xe000 ? 0xfffd : cp;         /* anything but surrogates */
    }
    }
}

static void gen_bad_utf8(buf *b)
{
    static const uint8_t bad[][4] = { { 0x80 }, { 0xbf }, { 0xc0, 0xaf }, { 0xe0, 0x80 }, { 0xed, 0xa0, 0x80 },
                                      { 0xf4, 0x90 }, { 0xff }, { 0xfe }, { 0xc3 }, { 0xe2, 0x82 } };
    static const uint8_t bad_len[] = { 1, 1, 2, 2, 3, 2, 1, 1, 1, 2 };
    size_t target = below(400);
    while (b->n < target) {
        if (below(4) == 0) {
            size_t k = below(sizeof(bad_len));
            put(b, bad[k], bad_len[k]);
        } else {
            put_utf8(b, random_code_point());
        }
    }
}

/* Tokens of a prefix of the English text. */
static size_t count_tokens(const lz_tokenizer *t, const uint8_t *p, size_t n)
{
    int32_t *ids = NULL;
    size_t n_ids = 0;
    lz_err err;
    lz_err_clear(&err);
    if (lz_tokenize(t, p, n, &ids, &n_ids, &err)) return 0;
    free(ids);
    return n_ids;
}

/* A prefix of the English text (from a random start) of exactly `want` tokens, or the nearest below. */
static void gen_boundary(buf *b, const lz_tokenizer *t, uint32_t n_ctx, uint32_t overlap)
{
    const uint32_t stride = n_ctx - 1 - overlap; /* tokens each later window adds */
    const long base[2] = { (long)n_ctx, (long)n_ctx + (long)stride };
    long want = base[below(2)] + (long)below(3) - 1;
    size_t start = below(g_text_len / 2);
    const uint8_t *p = g_text + start;
    size_t lo = 0, hi = g_text_len - start;
    while (lo < hi) { /* the shortest prefix with at least `want` tokens */
        size_t mid = (lo + hi) / 2;
        if ((long)count_tokens(t, p, mid) < want) lo = mid + 1;
        else hi = mid;
    }
    put(b, p, lo);
}

static void gen_mixed(buf *b)
{
    int blocks = 2 + (int)below(2);
    for (int k = 0; k < blocks; k++) {
        size_t len = k == blocks - 1 ? 1 + below(4096) : 4096;
        if ((k + (int)below(2)) % 2) {
            buf t = { 0 };
            put_words(&t, len);
            put(b, t.p, t.n);
            free(t.p);
        } else {
            for (size_t i = 0; i < len; i++) put_byte(b, (uint8_t)(below(3) ? rnd() : i % 7));
        }
    }
}

static int generate(buf *b, uint64_t i, const lz_tokenizer *t, uint32_t n_ctx, uint32_t overlap)
{
    b->n = 0;
    int gen = (int)(i % N_GEN);
    if (gen == GEN_MIXED && i % (10 * N_GEN) != GEN_MIXED) gen = GEN_WORDS; /* 12 KB cases: one in ten turns */
    switch (gen) {
    case GEN_RANDOM: {
        size_t n = below(4) ? below(300) : below(1500);
        for (size_t k = 0; k < n; k++) put_byte(b, (uint8_t)rnd());
        break;
    }
    case GEN_UTF8: {
        size_t n = below(400);
        while (b->n < n) put_utf8(b, random_code_point());
        break;
    }
    case GEN_BAD_UTF8: gen_bad_utf8(b); break;
    case GEN_REPEAT: {
        uint8_t unit[16];
        size_t u = 1 + below(12), n = below(1500);
        for (size_t k = 0; k < u; k++) unit[k] = below(2) ? (uint8_t)(' ' + below(95)) : (uint8_t)rnd();
        while (b->n < n) put(b, unit, u);
        break;
    }
    case GEN_CONTROL: {
        size_t n = below(500);
        for (size_t k = 0; k < n; k++) put_byte(b, below(3) ? (uint8_t)below(32) : (uint8_t)(' ' + below(95)));
        break;
    }
    case GEN_LENGTHS: put_words(b, (size_t)(i / N_GEN % 301)); break;
    case GEN_BOUNDARY: gen_boundary(b, t, n_ctx, overlap); break;
    case GEN_MIXED: gen_mixed(b); break;
    default: put_words(b, below(800)); break;
    }
    return gen;
}

/* ---------------------------------------------------------------- contexts */

static llamazip_ctx *make_ctx(llamazip_model *m, uint32_t n_ctx, uint32_t overlap, uint32_t batch, int threads,
                              uint64_t segment, uint32_t streams)
{
    llamazip_ctx_params p;
    llamazip_ctx_params_default(&p);
    p.n_ctx = n_ctx;
    p.window_overlap = overlap;
    p.n_batch = batch;
    p.n_threads = threads;
    p.segment_size = segment;
    p.n_streams = streams;
    char err[512];
    llamazip_ctx *c = NULL;
    if (llamazip_ctx_create(m, &p, &c, err, sizeof(err)) != LLAMAZIP_OK) { fprintf(stderr, "stress: %s\n", err); exit(2); }
    return c;
}

static uint32_t overlap_of(int k, uint32_t n_ctx)
{
    switch (k) {
    case 0: return 0;
    case 1: return (n_ctx - 1) / 4;
    case 2: return (n_ctx - 1) / 2;
    default: return n_ctx - 2;
    }
}

static void save_failure(uint64_t i, const buf *in, const char *what, const char *settings)
{
    char name[64];
    snprintf(name, sizeof(name), "stress-fail-%llu.bin", (unsigned long long)i);
    FILE *f = fopen(name, "wb");
    if (f) {
        fwrite(in->p, 1, in->n, f);
        fclose(f);
    }
    fprintf(stderr, "MISMATCH case %llu (%s): %s; input in %s\n", (unsigned long long)i, settings, what, name);
}

int main(int argc, char **argv)
{
    const uint64_t n_cases = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    g_rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 20250117;
    if (!g_rng) g_rng = 1;
    FILE *tf = fopen(TEXT_FILE, "rb");
    if (!tf) { fprintf(stderr, "stress: %s missing (run from the repository root)\n", TEXT_FILE); return 2; }
    g_text = malloc(1 << 16);
    g_text_len = fread(g_text, 1, 1 << 16, tf);
    fclose(tf);

    llamazip_model *models[2];
    lz_tokenizer *toks[2];
    for (int k = 0; k < 2; k++) {
        char err[512];
        if (llamazip_model_load(MODEL_PATHS[k], NULL, &models[k], err, sizeof(err))) {
            fprintf(stderr, "stress: %s\n", err);
            return 2;
        }
        gguf_file *f = NULL;
        lz_err e;
        lz_err_clear(&e);
        if (gguf_open(MODEL_PATHS[k], 0, &f, &e) || lz_tokenizer_load(f, &toks[k], &e)) {
            fprintf(stderr, "stress: %s\n", e.msg);
            return 2;
        }
        gguf_close(f);
    }

    uint64_t per_gen[N_GEN] = { 0 }, per_segment[4] = { 0 }, bytes_in = 0, bytes_out = 0, determinism_checks = 0, mismatches = 0;
    size_t longest = 0;
    buf in = { 0 };
    const double t0 = (double)clock() / CLOCKS_PER_SEC;
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    uint64_t i = 0;
    for (int combo = 0; combo < N_COMBOS && i < n_cases; combo++) {
        int c = combo;
        const int mi = c % 2; c /= 2;
        const uint32_t n_ctx = N_CTX[c % 4]; c /= 4;
        const uint32_t overlap = overlap_of(c % N_OVERLAP, n_ctx); c /= N_OVERLAP;
        const uint32_t batch = BATCH[c % 3]; c /= 3;
        const int threads = THREADS[c % 3];
        char settings[160];
        snprintf(settings, sizeof(settings), "%s, n_ctx %u, overlap %u, batch %u, threads %d",
                 mi ? "tiny-bpe" : "tiny-spm", n_ctx, overlap, batch, threads);
        llamazip_ctx *enc[4], *ref[4], *dec[3];
        for (int s = 0; s < 4; s++) {
            enc[s] = make_ctx(models[mi], n_ctx, overlap, batch, threads, SEGMENT[s], 0);
            ref[s] = make_ctx(models[mi], n_ctx, overlap, 64, 1, SEGMENT[s], 0);
        }
        for (int k = 0; k < 3; k++)
            dec[k] = make_ctx(models[mi], N_CTX[(combo + 1) % 4], 0, BATCH[(combo + 1) % 3], threads, 0, STREAMS[k]);
        const uint64_t end = n_cases * (uint64_t)(combo + 1) / N_COMBOS;
        for (; i < end; i++) {
            const int si = (int)(i % 4), ki = (int)(i / 4 % 3);
            per_segment[si]++;
            char case_settings[256];
            snprintf(case_settings, sizeof(case_settings), "%s, %s, decoded %u streams at once", settings,
                     SEGMENT_NAMES[si], STREAMS[ki]);
            const int gen = generate(&in, i, toks[mi], n_ctx, overlap);
            per_gen[gen]++;
            bytes_in += in.n;
            if (in.n > longest) longest = in.n;
            void *arc = NULL, *back = NULL, *arc2 = NULL;
            size_t arc_len = 0, back_len = 0, arc2_len = 0;
            const char *fail = NULL;
            if (llamazip_compress(enc[si], in.p, in.n, &arc, &arc_len) != LLAMAZIP_OK) fail = llamazip_ctx_error(enc[si]);
            else if (llamazip_decompress(dec[ki], arc, arc_len, &back, &back_len) != LLAMAZIP_OK)
                fail = llamazip_ctx_error(dec[ki]);
            else if (back_len != in.n || (in.n && memcmp(back, in.p, in.n) != 0)) fail = "decoded bytes differ";
            if (!fail && i % 10 == 0) {
                determinism_checks++;
                if (llamazip_compress(ref[si], in.p, in.n, &arc2, &arc2_len) != LLAMAZIP_OK)
                    fail = llamazip_ctx_error(ref[si]);
                else if (arc2_len != arc_len || memcmp(arc2, arc, arc_len) != 0)
                    fail = "archive differs with 1 thread, batch 64";
            }
            if (fail) {
                mismatches++;
                save_failure(i, &in, fail, case_settings);
            }
            bytes_out += arc_len;
            llamazip_free_buffer(arc);
            llamazip_free_buffer(back);
            llamazip_free_buffer(arc2);
        }
        for (int s = 0; s < 4; s++) {
            llamazip_ctx_free(enc[s]);
            llamazip_ctx_free(ref[s]);
        }
        for (int k = 0; k < 3; k++) llamazip_ctx_free(dec[k]);
        if ((combo + 1) % 24 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &w1);
            fprintf(stderr, "  %llu / %llu round trips, %llu mismatches, %.0f s\n", (unsigned long long)i,
                    (unsigned long long)n_cases, (unsigned long long)mismatches,
                    (double)(w1.tv_sec - w0.tv_sec) + 1e-9 * (double)(w1.tv_nsec - w0.tv_nsec));
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &w1);
    const double wall = (double)(w1.tv_sec - w0.tv_sec) + 1e-9 * (double)(w1.tv_nsec - w0.tv_nsec);
    printf("stress: %llu round trips (seed %s), %d setting combinations, %llu determinism checks\n",
           (unsigned long long)i, argc > 2 ? argv[2] : "20250117", N_COMBOS, (unsigned long long)determinism_checks);
    for (int g = 0; g < N_GEN; g++) printf("  %-22s %8llu\n", GEN_NAMES[g], (unsigned long long)per_gen[g]);
    for (int s = 0; s < 4; s++) printf("  %-22s %8llu\n", SEGMENT_NAMES[s], (unsigned long long)per_segment[s]);
    printf("input %llu bytes (longest %zu), archives %llu bytes; wall %.0f s, CPU %.0f s\n",
           (unsigned long long)bytes_in, longest, (unsigned long long)bytes_out, wall,
           (double)clock() / CLOCKS_PER_SEC - t0);
    printf("mismatches: %llu\n", (unsigned long long)mismatches);
    for (int k = 0; k < 2; k++) {
        lz_tokenizer_free(toks[k]);
        llamazip_model_free(models[k]);
    }
    free(in.p);
    free(g_text);
    return mismatches ? 1 : 0;
}
