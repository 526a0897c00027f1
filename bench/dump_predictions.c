/*
 * dump_predictions.c - the model's frequencies for every token of a text,
 * for studying secondary models offline (doc/coder.md, "Mixing"):
 * what a match or n-gram model would have gained on a file can be
 * computed from this dump in seconds, where running the model takes
 * minutes.
 *
 *   dump_predictions MODEL TEXT OUT [--segment BYTES] [--threads N] [--topk K]
 *
 * The text is cut into pieces of --segment bytes (default 65536, the
 * codec's default segment size; cut at byte offsets, so not exactly where
 * the codec cuts), each tokenized alone and evaluated from a fresh context
 * (BOS, then the piece), as the codec codes a segment. For every token,
 * OUT gets one record of little-endian u32s:
 *
 *   segment, token, total, freq(token), then K pairs (token, freq)
 *   of the largest frequencies, largest first (ties: lower id first),
 *   then for each temperature T of TEMPS, -log2 p(token) under the
 *   softmax of logits / T (a float32's bits; libm, not the codec's math)
 *
 * with the frequencies of doc/coder.md section 2 (what the range coder
 * uses). Prints the tokens and the ideal bits of the whole text.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coder/freq.h"
#include "common/threadpool.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

#define MAX_TOPK 64
#define BATCH 256u

static const double TEMPS[] = { 0.9, 0.95, 1.0, 1.05, 1.1 };
#define N_TEMPS (sizeof(TEMPS) / sizeof(TEMPS[0]))

/* -log2 p(y) under softmax(l / T), with libm's expf and double sums (a
 * study, not the codec: nothing here needs to be bit-exact). */
static void temperature_bits(const float *l, uint32_t n, uint32_t y, uint32_t *out)
{
    float m = l[0];
    for (uint32_t i = 1; i < n; i++) m = l[i] > m ? l[i] : m;
    for (size_t k = 0; k < N_TEMPS; k++) {
        double s = 0;
        const float inv = (float)(1.0 / TEMPS[k]);
        for (uint32_t i = 0; i < n; i++) s += expf((l[i] - m) * inv);
        const float b = (float)((log(s) - ((double)l[y] - m) / TEMPS[k]) / log(2.0));
        memcpy(&out[k], &b, sizeof(b));
    }
}

static void die(const char *what, const lz_err *err)
{
    fprintf(stderr, "dump_predictions: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path, NULL);
    size_t cap = 1 << 20, len = 0;
    uint8_t *p = malloc(cap);
    size_t k;
    while (p && (k = fread(p + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) p = realloc(p, cap *= 2);
    }
    fclose(f);
    if (!p) die("out of memory", NULL);
    *n = len;
    return p;
}

/* The K largest frequencies of the table, largest first. */
static void top_k(const lz_freq_table *t, uint32_t k, uint32_t *tok, uint32_t *freq)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->n_vocab; i++) {
        const uint32_t f = lz_freq_of(t, i);
        if (n == k && f <= freq[k - 1]) continue;
        uint32_t j = n < k ? n++ : k - 1;
        while (j > 0 && freq[j - 1] < f) {
            freq[j] = freq[j - 1];
            tok[j] = tok[j - 1];
            j--;
        }
        freq[j] = f;
        tok[j] = i;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL TEXT OUT [--segment BYTES] [--threads N] [--topk K]\n", argv[0]);
        return 2;
    }
    size_t seg_bytes = 65536;
    int threads = 2;
    uint32_t k = 8;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--segment")) seg_bytes = (size_t)strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--topk")) k = (uint32_t)atoi(argv[i + 1]);
    }
    if (k < 1 || k > MAX_TOPK || seg_bytes == 0) {
        fprintf(stderr, "dump_predictions: bad --topk or --segment\n");
        return 2;
    }
    lz_err err = { 0 };
    gguf_file *gf = NULL;
    lz_model *m = NULL;
    lz_tokenizer *tk = NULL;
    if (gguf_open(argv[1], 0, &gf, &err) || lz_model_load(gf, &m, &err) || lz_tokenizer_load(gf, &tk, &err))
        die(argv[1], &err);
    const uint32_t nv = lz_model_get_hparams(m)->n_vocab;
    lz_pool *pool = threads > 1 ? lz_pool_create(threads) : NULL;
    size_t n_text;
    uint8_t *text = read_all(argv[2], &n_text);
    FILE *out = fopen(argv[3], "wb");
    if (!out) die(argv[3], NULL);
    float *logits = malloc((size_t)BATCH * nv * sizeof(float));
    lz_freq_table t;
    lz_freq_init(&t);
    double bits = 0;
    uint64_t n_all = 0;
    for (size_t off = 0, seg = 0; off < n_text; off += seg_bytes, seg++) {
        const size_t len = n_text - off < seg_bytes ? n_text - off : seg_bytes;
        int32_t *tok = NULL;
        size_t n = 0;
        if (lz_tokenize(tk, text + off, len, &tok, &n, &err)) die("tokenize", &err);
        /* the window: BOS, then the piece; row j predicts tok[j] */
        int32_t *w = malloc((n + 1) * sizeof(int32_t));
        w[0] = lz_tokenizer_bos(tk);
        memcpy(w + 1, tok, n * sizeof(int32_t));
        lz_eval_state *s = lz_eval_state_create(m, (uint32_t)n + 1, BATCH, &err);
        if (!s) die("state", &err);
        for (size_t p = 0; p < n; p += BATCH) {
            const uint32_t b = (uint32_t)(n - p < BATCH ? n - p : BATCH);
            if (lz_model_eval(m, s, pool, lz_cpu_isa(), w + p, b, (uint32_t)p, logits, 0, &err)) die("eval", &err);
            for (uint32_t r = 0; r < b; r++) {
                if (lz_freq_from_logits(logits + (size_t)r * nv, nv, &t)) die("freq", NULL);
                uint32_t rec[4 + 2 * MAX_TOPK + N_TEMPS], tt[MAX_TOPK], ff[MAX_TOPK];
                const uint32_t y = (uint32_t)tok[p + r];
                rec[0] = (uint32_t)seg;
                rec[1] = y;
                rec[2] = lz_freq_total(&t);
                rec[3] = lz_freq_of(&t, y);
                top_k(&t, k, tt, ff);
                for (uint32_t j = 0; j < k; j++) {
                    rec[4 + 2 * j] = tt[j];
                    rec[5 + 2 * j] = ff[j];
                }
                temperature_bits(logits + (size_t)r * nv, nv, y, rec + 4 + 2 * k);
                fwrite(rec, sizeof(uint32_t), 4 + 2 * k + N_TEMPS, out);
                bits += log2((double)rec[2] / rec[3]);
            }
        }
        n_all += n;
        lz_eval_state_free(s);
        free(w);
        free(tok);
    }
    fclose(out);
    printf("%llu tokens, %.1f bits (%.4f bits per byte)\n", (unsigned long long)n_all, bits,
           n_text ? bits / (double)n_text : 0.0);
    lz_freq_free(&t);
    free(logits);
    free(text);
    lz_pool_free(pool);
    lz_tokenizer_free(tk);
    lz_model_free(m);
    gguf_close(gf);
    return 0;
}
