/*
 * codec_encode.c - coding the text segments of an input with the model,
 * many at a time.
 *
 * A forward pass costs about the same whether it evaluates one token or a
 * batch of n_batch: the weights are streamed once either way. A long
 * segment fills its batches by itself, but short ones (small inputs, a
 * small --segment-size, the last piece of every text run) would leave
 * them nearly empty. So the segments are coded as the decoder decodes
 * them (codec_streams.c): several at once, each with its own KV cache and
 * range encoder, their tokens packed into shared batches. The engine gives
 * every sequence of a batch the bits it would get alone (model.h), so the
 * payloads are the same as coding the segments one by one.
 *
 * Segments start in order. Each step fills one batch: first the active
 * segments, in order, as many of their current window's tokens as fit;
 * then new segments while room is left and their KV caches fit the
 * memory budget. A segment gives a batch tokens of one window only (a
 * window that slides restarts its positions, which must wait for the
 * next batch).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec_internal.h"

typedef struct {
    lz_text_segment *seg;
    int32_t *t;          /* the segment's tokens */
    uint64_t n;
    uint64_t i;          /* the first token the current window codes */
    int32_t *window;     /* the current window: prefix, then the tokens it codes */
    uint32_t plen;       /* prefix length (BOS + overlap tokens) */
    uint32_t len;        /* window length */
    uint32_t fed;        /* window tokens evaluated so far */
    uint64_t coded;      /* tokens coded */
    uint64_t kv_bytes;
    lz_kv_cache *kv;
    lz_rc_encoder enc;
} enc_stream;

typedef struct {
    llamazip_ctx *ctx;
    uint32_t overlap;
    enc_stream *s;          /* the active segments, in order */
    uint32_t n_active;
    uint64_t kv_bytes;      /* their KV caches */
    uint64_t kv_budget;
    lz_batch_token *bt;     /* this step's batch */
    int32_t *row_token;     /* per row with logits: the token it codes */
    uint32_t *row_stream;   /* ... and its stream */
    lz_freq_slice *slices;
    float *e_scratch;       /* n_vocab floats per thread */
    lz_scratch *sc;
    uint64_t bytes_done;    /* text bytes of the finished segments */
} encoder;

/* ---------------------------------------------------------------- one segment */

static void window_start(const llamazip_ctx *ctx, enc_stream *st, uint32_t overlap)
{
    st->plen = lz_window_prefix(ctx, st->t, st->i, overlap, st->window);
    const uint64_t room = ctx->n_ctx - st->plen, left = st->n - 1 - st->i;
    const uint32_t m = (uint32_t)(room < left ? room : left);   /* tokens appended after the prefix */
    memcpy(st->window + st->plen, st->t + st->i, (size_t)m * sizeof(int32_t));
    st->len = st->plen + m;
    st->fed = 0;
}

/* The positions a window of a segment of n tokens can reach: BOS + n. */
static uint32_t segment_n_ctx(uint64_t n, uint32_t n_ctx)
{
    return n + 1 < n_ctx ? (uint32_t)(n + 1) : n_ctx;
}

static void stream_release(enc_stream *st)
{
    lz_kv_cache_free(st->kv);
    lz_rc_enc_free(&st->enc);
    free(st->t);
    free(st->window);
    memset(st, 0, sizeof(*st));
}

/* Whether the segment's last token adds no byte (a token that only
 * closes the text): the compact form cannot end on one (doc/format.md). */
static int last_token_silent(const llamazip_ctx *ctx, const int32_t *t, uint64_t n)
{
    lz_detok_state ds;
    lz_detok_begin(ctx->model->tokenizer, &ds);
    int64_t last = 0;
    for (uint64_t k = 0; k < n; k++) last = lz_detok_len(ctx->model->tokenizer, &ds, t[k]);
    return last <= 0;
}

/* The segment's payload is complete. */
static int stream_finish(encoder *e, enc_stream *st)
{
    llamazip_ctx *ctx = e->ctx;
    int rc = lz_rc_enc_finish(&st->enc, &ctx->err);
    if (rc) return rc;
    st->seg->payload = lz_rc_enc_detach(&st->enc, &st->seg->payload_size);
    e->bytes_done += st->seg->n;
    e->kv_bytes -= st->kv_bytes;
    stream_release(st);
    return 0;
}

/* Tokenize a segment and set it up; segments without tokens, or with
 * bytes the vocabulary cannot express, are finished at once (*active = 0). */
static int stream_start(encoder *e, enc_stream *st, lz_text_segment *seg, int *active)
{
    llamazip_ctx *ctx = e->ctx;
    memset(st, 0, sizeof(*st));
    *active = 0;
    st->seg = seg;
    size_t n_tokens = 0;
    lz_err terr;
    lz_err_clear(&terr);
    int rc = lz_tokenize(ctx->model->tokenizer, seg->p, seg->n, &st->t, &n_tokens, &terr);
    if (rc == LLAMAZIP_E_UNSUPPORTED) {
        seg->unsupported = 1;   /* stored as RAW or ZSTD */
        e->bytes_done += seg->n;
        stream_release(st);
        return 0;
    }
    if (rc) {
        stream_release(st);
        return lz_fail(&ctx->err, rc, "%s", terr.msg);
    }
    st->n = n_tokens;
    seg->n_tokens = n_tokens;
    seg->last_token_silent = last_token_silent(ctx, st->t, st->n);
    lz_rc_enc_init(&st->enc);
    if (st->n == 0) return stream_finish(e, st);
    const uint32_t c = segment_n_ctx(st->n, ctx->n_ctx);
    st->window = malloc((size_t)c * sizeof(int32_t));
    st->kv = lz_kv_cache_create(ctx->model->model, c, ctx->n_batch, &ctx->err);
    if (!st->window || !st->kv) {
        rc = st->kv ? lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory") : (ctx->err.code ? ctx->err.code : LLAMAZIP_E_NOMEM);
        stream_release(st);
        return rc;
    }
    st->kv_bytes = lz_kv_cache_bytes(ctx->model->model, c, ctx->n_batch);
    e->kv_bytes += st->kv_bytes;
    window_start(ctx, st, e->overlap);
    *active = 1;
    return 0;
}

/* Put up to `room` tokens of the stream's window into the batch at nb;
 * rows with logits are numbered from *rows. Returns the new nb. */
static uint32_t stream_feed(encoder *e, uint32_t si, uint32_t nb, uint32_t room, uint32_t *rows)
{
    enc_stream *st = &e->s[si];
    const uint32_t k = LZ_MIN(room, st->len - st->fed);
    for (uint32_t j = st->fed; j < st->fed + k; j++, nb++) {
        e->bt[nb].kv = st->kv;
        e->bt[nb].token = st->window[j];
        e->bt[nb].pos = j;
        /* position plen-1 and after: each row predicts the window's next token */
        e->bt[nb].logits = j + 1 >= st->plen;
        if (e->bt[nb].logits) {
            e->row_token[*rows] = st->t[st->i + (j + 1 - st->plen)];
            e->row_stream[*rows] = si;
            (*rows)++;
        }
    }
    st->fed += k;
    return nb;
}

/* ---------------------------------------------------------------- steps */

typedef struct {
    const lz_kernels *kern;
    const float *logits;
    uint32_t n_vocab;
    const int32_t *tokens;  /* the token each row codes */
    float *e_scratch;
    lz_freq_slice *slices;
    int failed;
} slice_job;

static void slice_task(void *arg, int task, int thread)
{
    slice_job *j = arg;
    if (lz_freq_slice_of(j->kern, j->logits + (size_t)task * j->n_vocab, j->n_vocab, (uint32_t)j->tokens[task],
                         j->e_scratch + (size_t)thread * j->n_vocab, &j->slices[task]))
        j->failed = 1;   /* a token out of range: reported below */
}

/* Code the rows of a step: their frequencies on the pool (rows are
 * independent), then each into its segment's encoder, in order. */
static int code_rows(encoder *e, uint32_t rows)
{
    llamazip_ctx *ctx = e->ctx;
    slice_job j = { lz_kernels_get(ctx->isa), ctx->logits, lz_codec_n_vocab(ctx), e->row_token, e->e_scratch,
                    e->slices, 0 };
    lz_pool_run(ctx->pool, (int)rows, slice_task, &j);
    if (j.failed) return lz_fail(&ctx->err, LLAMAZIP_E_USAGE, "token out of range");
    for (uint32_t r = 0; r < rows; r++) {
        const lz_freq_slice *sl = &e->slices[r];
        enc_stream *st = &e->s[e->row_stream[r]];
        ctx->stats.ideal_bits += sl->ideal_bits;
        ctx->stats.coded_bits += sl->coded_bits;
        ctx->stats.n_tokens++;
        st->coded++;
        int rc = lz_rc_encode(&st->enc, sl->low, sl->freq, sl->total);
        if (rc) return lz_fail(&ctx->err, rc, "out of memory");
    }
    return 0;
}

/* After a step: windows that are done slide or finish their segment;
 * finished segments leave the active list (which keeps its order). */
static int advance(encoder *e)
{
    uint32_t kept = 0;
    for (uint32_t si = 0; si < e->n_active; si++) {
        enc_stream *st = &e->s[si];
        if (st->fed == st->len) {
            st->i += st->len - st->plen + 1;   /* the window coded t[i .. i + m] */
            if (st->i < st->n) {
                window_start(e->ctx, st, e->overlap);
            } else {
                int rc = stream_finish(e, st);
                if (rc) return rc;
                continue;
            }
        }
        if (kept != si) {
            e->s[kept] = *st;
            memset(st, 0, sizeof(*st));
        }
        kept++;
    }
    e->n_active = kept;
    return 0;
}

static int report(encoder *e, progress_tracker *pt)
{
    uint64_t partial = 0, coded = 0;
    for (uint32_t si = 0; si < e->n_active; si++) {
        const enc_stream *st = &e->s[si];
        partial += st->seg->n * st->coded / (st->n ? st->n : 1);
        coded += st->enc.size;
    }
    return lz_codec_progress(pt, e->bytes_done + partial, coded);
}

/* ---------------------------------------------------------------- entry */

static uint64_t kv_budget(void)
{
    /* a quarter of the memory, as the decoder's streams */
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) return (uint64_t)pages * (uint64_t)page / 4;
    return (uint64_t)1 << 30;
}

static int encoder_init(encoder *e, llamazip_ctx *ctx, uint32_t overlap)
{
    memset(e, 0, sizeof(*e));
    e->ctx = ctx;
    e->overlap = overlap;
    e->kv_budget = kv_budget();
    const size_t nb = ctx->n_batch;
    e->s = calloc(nb, sizeof(*e->s));
    e->bt = malloc(nb * sizeof(*e->bt));
    e->row_token = malloc(nb * sizeof(*e->row_token));
    e->row_stream = malloc(nb * sizeof(*e->row_stream));
    e->slices = malloc(nb * sizeof(*e->slices));
    e->e_scratch = malloc((size_t)lz_pool_size(ctx->pool) * lz_codec_n_vocab(ctx) * sizeof(float));
    if (!e->s || !e->bt || !e->row_token || !e->row_stream || !e->slices || !e->e_scratch)
        return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    e->sc = lz_scratch_create(ctx->model->model, ctx->n_batch, &ctx->err);
    if (!e->sc) return ctx->err.code ? ctx->err.code : LLAMAZIP_E_NOMEM;
    return 0;
}

static void encoder_free(encoder *e)
{
    for (uint32_t si = 0; e->s && si < e->n_active; si++) stream_release(&e->s[si]);
    free(e->s);
    free(e->bt);
    free(e->row_token);
    free(e->row_stream);
    free(e->slices);
    free(e->e_scratch);
    lz_scratch_free(e->sc);
}

int lz_encode_segments(llamazip_ctx *ctx, lz_text_segment *segs, size_t n, uint32_t overlap, progress_tracker *pt)
{
    encoder e;
    int rc = encoder_init(&e, ctx, overlap);
    size_t next = 0;
    while (!rc && (e.n_active > 0 || next < n)) {
        uint32_t nb = 0, rows = 0;
        for (uint32_t si = 0; si < e.n_active && nb < ctx->n_batch; si++)
            nb = stream_feed(&e, si, nb, ctx->n_batch - nb, &rows);
        /* room left: more segments, while their caches fit (one at least) */
        while (!rc && nb < ctx->n_batch && next < n && e.n_active < ctx->n_batch) {
            /* a segment of n bytes has at most n + 1 tokens */
            const uint64_t need = lz_kv_cache_bytes(ctx->model->model, segment_n_ctx(segs[next].n + 1, ctx->n_ctx),
                                                    ctx->n_batch);
            if (e.n_active > 0 && e.kv_bytes + need > e.kv_budget) break;
            int active = 0;
            rc = stream_start(&e, &e.s[e.n_active], &segs[next++], &active);
            if (!rc && active) {
                nb = stream_feed(&e, e.n_active, nb, ctx->n_batch - nb, &rows);
                e.n_active++;
            }
        }
        if (rc || nb == 0) continue;
        rc = lz_model_eval_batch(ctx->model->model, e.sc, ctx->pool, ctx->isa, e.bt, nb, ctx->logits, &ctx->err);
        if (!rc && rows) rc = code_rows(&e, rows);
        if (!rc) rc = advance(&e);
        if (!rc) rc = report(&e, pt);
    }
    encoder_free(&e);
    return rc;
}
