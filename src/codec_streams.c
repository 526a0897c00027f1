/*
 * codec_streams.c - decoding the MODEL frames (segments) of an archive many
 * at a time.
 *
 * A segment must be decoded one token at a time, and each token costs a
 * forward pass that streams every weight from memory. Segments are
 * independent, so K of them advance in lockstep: each step is one batched
 * forward pass over one token from each live stream (or a chunk of a
 * stream's window prefix when its window starts or slides), which reads
 * the weights once for K tokens. The engine gives every sequence in a
 * batch the bits it would get alone (model.h), so each segment decodes
 * exactly as the compressor coded it.
 *
 * Each stream has its own KV cache and range decoder; the frequencies and
 * the token decodes of a step run on the pool, one task per stream. Streams start in frame order, at most `lookahead`
 * segments past the first unfinished one, so the decoded text waiting for
 * its turn in the output stays bounded.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec_internal.h"

#define PREFIX_CHUNK 64   /* window-prefix tokens of one stream per step */

typedef struct {
    int live;
    size_t seg;              /* index into the segment list */
    const lz_frame *f;
    lz_kv_cache *kv;
    lz_rc_decoder dec;
    float *e;                /* frequency scratch: n_vocab floats */
    int32_t *t;              /* decoded tokens */
    uint64_t cap;            /* tokens t holds */
    uint64_t n_tokens;       /* the frame's count (0: implicit, until the text reaches raw_size) */
    uint64_t done;           /* tokens decoded */
    uint64_t text;           /* text bytes of the decoded tokens */
    lz_detok_state ds;
    int32_t *prefix;         /* the current window's prefix: BOS + overlap tokens */
    uint32_t plen, fed;      /* its length; how many of its tokens are evaluated */
    uint32_t q;              /* tokens appended to the window after the prefix */
    int in_prefix;
    int row;                 /* row of this step's logits, -1: none */
    int finished;
    int status;              /* an error found by the stream's task */
    const char *why;
} stream;

typedef struct {
    llamazip_ctx *ctx;
    const lz_kernels *kern;
    lz_coding_settings set;
    int implicit_tokens;
    stream *s;
    int K;
    const float *logits;
} step_job;

static uint32_t stream_n_ctx(const lz_frame *f, int implicit_tokens, uint32_t n_ctx)
{
    /* a window never holds more positions than BOS + the frame's tokens; a
     * frame of raw_size bytes has at most raw_size + 1 tokens */
    const uint64_t most = (implicit_tokens ? f->raw_size + 1 : f->n_tokens) + 1;
    return most < n_ctx ? (uint32_t)most : n_ctx;
}

static void stream_release(stream *st)
{
    lz_kv_cache_free(st->kv);
    free(st->e);
    free(st->t);
    free(st->prefix);
    memset(st, 0, sizeof(*st));
}

/* Start a window at token i: its prefix is evaluated next. */
static void stream_window(const llamazip_ctx *ctx, stream *st, uint32_t overlap)
{
    st->plen = lz_window_prefix(ctx, st->t, st->done, overlap, st->prefix);
    st->fed = 0;
    st->q = 0;
    st->in_prefix = 1;
}

static int stream_start(llamazip_ctx *ctx, stream *st, const lz_frame *f, size_t seg, int implicit_tokens,
                        lz_coding_settings set)
{
    memset(st, 0, sizeof(*st));
    st->live = 1;   /* from here on stream_release frees what was allocated */
    if (!implicit_tokens) {
        /* every token of a tokenized text yields at least one byte (one more for a space prefix) */
        if (f->n_tokens > f->raw_size + 1 || f->n_tokens > SIZE_MAX / sizeof(int32_t))
            return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: %llu tokens cannot make %llu bytes",
                           (unsigned long long)f->n_tokens, (unsigned long long)f->raw_size);
        if (f->raw_size && !f->n_tokens)
            return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: model frame without tokens");
    }
    st->f = f;
    st->seg = seg;
    st->n_tokens = implicit_tokens ? 0 : f->n_tokens;
    st->cap = implicit_tokens ? 256 : (f->n_tokens ? f->n_tokens : 1);
    st->t = malloc((size_t)st->cap * sizeof(int32_t));
    st->prefix = malloc(((size_t)set.overlap + 1) * sizeof(int32_t));
    st->e = malloc((size_t)lz_codec_n_vocab(ctx) * sizeof(float));
    st->kv = lz_kv_cache_create(ctx->model->model, stream_n_ctx(f, implicit_tokens, set.n_ctx), PREFIX_CHUNK,
                                &ctx->err);
    if (!st->kv) return ctx->err.code ? ctx->err.code : LLAMAZIP_E_NOMEM;
    if (!st->t || !st->prefix || !st->e)
        return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    lz_rc_dec_init(&st->dec, f->payload, (size_t)f->payload_size);
    lz_detok_begin(ctx->model->tokenizer, &st->ds);
    st->finished = f->raw_size == 0;
    if (!st->finished) stream_window(ctx, st, set.overlap);
    return 0;
}

/* The stream's part of a step: its tokens into the batch. */
static uint32_t stream_feed(stream *st, lz_batch_token *bt, uint32_t nb, int *rows)
{
    st->row = -1;
    if (st->in_prefix) {
        const uint32_t k = LZ_MIN((uint32_t)PREFIX_CHUNK, st->plen - st->fed);
        for (uint32_t j = 0; j < k; j++) {
            bt[nb + j].kv = st->kv;
            bt[nb + j].token = st->prefix[st->fed + j];
            bt[nb + j].pos = st->fed + j;
            bt[nb + j].logits = st->fed + j == st->plen - 1;
        }
        st->fed += k;
        if (st->fed == st->plen) st->row = (*rows)++;
        return nb + k;
    }
    bt[nb].kv = st->kv;
    bt[nb].token = st->t[st->done - 1];
    bt[nb].pos = st->plen + st->q;
    bt[nb].logits = 1;
    st->row = (*rows)++;
    return nb + 1;
}

static void stream_fail(stream *st, int status, const char *why)
{
    st->status = status;
    st->why = why;
}

/* Decode the next token of stream st from its row of logits, and move its
 * window on. Runs on the pool: touches nothing but the stream. */
static void stream_decode(step_job *j, stream *st)
{
    llamazip_ctx *ctx = j->ctx;
    const uint32_t nv = lz_codec_n_vocab(ctx);
    int32_t tok = 0;
    if (lz_freq_decode_logits(j->kern, &st->dec, j->logits + (size_t)st->row * nv, nv, st->e, &tok)) {
        stream_fail(st, LLAMAZIP_E_INTERNAL, "frequency table out of range");
        return;
    }
    if (st->dec.corrupt) {
        stream_fail(st, LLAMAZIP_E_CORRUPT, "corrupt archive: invalid model-coded data");
        return;
    }
    if (lz_rc_dec_truncated(&st->dec)) {
        stream_fail(st, LLAMAZIP_E_TRUNCATED, "truncated archive: model-coded data ends early");
        return;
    }
    if (st->done == st->cap) {   /* implicit count: grow */
        const uint64_t nc = 2 * st->cap;
        int32_t *nt = nc <= SIZE_MAX / sizeof(int32_t) ? realloc(st->t, (size_t)nc * sizeof(int32_t)) : NULL;
        if (!nt) {
            stream_fail(st, LLAMAZIP_E_NOMEM, "out of memory");
            return;
        }
        st->t = nt;
        st->cap = nc;
    }
    st->t[st->done++] = tok;
    if (st->in_prefix) st->in_prefix = 0;
    else st->q++;
    if (j->implicit_tokens) {
        const int64_t len = lz_detok_len(ctx->model->tokenizer, &st->ds, tok);
        if (len < 0 || st->text + (uint64_t)len > st->f->raw_size) {
            stream_fail(st, LLAMAZIP_E_CORRUPT, "corrupt archive: model-coded text runs past its size");
            return;
        }
        st->text += (uint64_t)len;
        st->finished = st->text == st->f->raw_size;
    } else {
        st->finished = st->done == st->n_tokens;
    }
    /* a full window slides: the next one starts at the next token */
    if (!st->finished && st->plen + st->q == j->set.n_ctx) stream_window(ctx, st, j->set.overlap);
}

static void step_task(void *arg, int task, int thread)
{
    (void)thread;
    step_job *j = arg;
    /* task k: the k-th stream with a row this step */
    for (int i = 0, k = 0; i < j->K; i++) {
        stream *st = &j->s[i];
        if (!st->live || st->row < 0) continue;
        if (k++ == task) {
            stream_decode(j, st);
            return;
        }
    }
}

/* A stream whose tokens are all decoded: the checks of its end, then its text. */
static int stream_finish(llamazip_ctx *ctx, stream *st, lz_segment_done_fn done, void *user)
{
    int rc = lz_rc_dec_finish(&st->dec, &ctx->err);
    if (rc) {
        lz_err_context(&ctx->err, rc == LLAMAZIP_E_TRUNCATED ? "truncated archive" : "corrupt archive");
        return rc;
    }
    uint8_t *text = NULL;
    size_t text_len = 0;
    lz_err terr;
    lz_err_clear(&terr);
    const int drc = lz_detokenize(ctx->model->tokenizer, st->t, (size_t)st->done, &text, &text_len, &terr);
    if (drc == LLAMAZIP_E_NOMEM) return lz_fail(&ctx->err, drc, "%s", terr.msg);
    if (drc) return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: %s", terr.msg);
    if (text_len != st->f->raw_size) {
        free(text);
        return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: model frame decodes to %zu bytes, expected %llu",
                       text_len, (unsigned long long)st->f->raw_size);
    }
    ctx->stats.n_tokens += st->done;
    return done(user, st->seg, text);
}

uint32_t lz_decode_streams(const llamazip_ctx *ctx, size_t n_segments, const lz_frame *frames, const size_t *idx,
                           lz_coding_settings set)
{
    if (n_segments == 0) return 0;
    uint64_t k = ctx->params.n_streams ? ctx->params.n_streams : LZ_MAX_STREAMS;
    if (k > n_segments) k = n_segments;
    if (ctx->params.n_streams) return (uint32_t)k;
    /* as many as a quarter of the memory holds (KV caches and frequency tables) */
    uint32_t n_ctx = 2;
    for (size_t i = 0; i < n_segments; i++) {
        const uint32_t c = stream_n_ctx(&frames[idx[i]], frames[idx[i]].n_tokens == 0, set.n_ctx);
        if (c > n_ctx) n_ctx = c;
    }
    const uint64_t per = lz_kv_cache_bytes(ctx->model->model, n_ctx, PREFIX_CHUNK) +
                         (uint64_t)lz_codec_n_vocab(ctx) * 12 + 4 * (uint64_t)n_ctx;
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) {
        const uint64_t budget = (uint64_t)pages * (uint64_t)page / 4;
        const uint64_t fit = per ? budget / per : k;
        if (fit < k) k = fit ? fit : 1;
    }
    return (uint32_t)k;
}

int lz_decode_segments(llamazip_ctx *ctx, const lz_frame *frames, const size_t *idx, size_t n, int implicit_tokens,
                       lz_coding_settings set, lz_segment_done_fn done, void *user, progress_tracker *pt)
{
    if (n == 0) return 0;
    const int K = (int)lz_decode_streams(ctx, n, frames, idx, set);
    const size_t lookahead = 2 * (size_t)K;
    const uint32_t nv = lz_codec_n_vocab(ctx);
    stream *s = calloc((size_t)K, sizeof(*s));
    lz_batch_token *bt = malloc((size_t)K * PREFIX_CHUNK * sizeof(*bt));
    float *logits = lz_malloc_aligned((size_t)K * nv * sizeof(float));
    lz_scratch *sc = lz_scratch_create(ctx->model->model, (uint32_t)K * PREFIX_CHUNK, &ctx->err);
    int rc = 0;
    if (!s || !bt || !logits || !sc) rc = sc ? lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory") : ctx->err.code;
    ctx->stats.streams = (uint32_t)K;
    size_t next = 0;       /* next segment to start */
    size_t oldest = 0;     /* first unfinished segment */
    uint8_t *finished = calloc(n, 1);
    if (!rc && !finished) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    while (!rc) {
        /* start segments in the free slots */
        for (int i = 0; !rc && i < K && next < n && next < oldest + lookahead; i++)
            if (!s[i].live) rc = stream_start(ctx, &s[i], &frames[idx[next]], next, implicit_tokens, set), next++;
        /* streams with nothing to decode (empty frames) finish at once */
        int any = 0;
        for (int i = 0; !rc && i < K; i++) {
            if (!s[i].live) continue;
            if (s[i].finished) {
                rc = stream_finish(ctx, &s[i], done, user);
                finished[s[i].seg] = 1;
                stream_release(&s[i]);
                continue;
            }
            any = 1;
        }
        while (oldest < n && finished[oldest]) oldest++;
        if (rc || (!any && next >= n)) break;
        if (!any) continue;
        /* one step: every live stream's tokens in one batch */
        uint32_t nb = 0;
        int rows = 0;
        for (int i = 0; i < K; i++)
            if (s[i].live) nb = stream_feed(&s[i], bt, nb, &rows);
        rc = lz_model_eval_batch(ctx->model->model, sc, ctx->pool, ctx->isa, bt, nb, logits, &ctx->err);
        if (rc || rows == 0) continue;
        step_job j = { ctx, lz_kernels_get(ctx->isa), set, implicit_tokens, s, K, logits };
        lz_pool_run(ctx->pool, rows, step_task, &j);
        for (int i = 0; !rc && i < K; i++)
            if (s[i].live && s[i].status) rc = lz_fail(&ctx->err, s[i].status, "%s", s[i].why);
        if (!rc && ctx->params.progress) {
            /* the live segments' share, estimated from their decoded tokens */
            uint64_t partial = 0;
            for (int i = 0; i < K; i++)
                if (s[i].live)
                    partial += implicit_tokens ? s[i].text
                                               : s[i].f->raw_size * s[i].done / (s[i].n_tokens ? s[i].n_tokens : 1);
            rc = lz_codec_progress(pt, partial, 0);
        }
    }
    for (int i = 0; s && i < K; i++)
        if (s[i].live) stream_release(&s[i]);
    free(finished);
    free(s);
    free(bt);
    lz_free_aligned(logits);
    lz_scratch_free(sc);
    return rc;
}
