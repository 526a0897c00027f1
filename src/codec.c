/*
 * codec.c - the pipeline: input bytes -> text/binary runs -> tokens ->
 * model distributions -> range coder -> archive frames, and back.
 *
 * The window schedule of MODEL frames (doc/format.md) is the part both
 * directions must agree on to the bit: compression evaluates each window in
 * batches, decompression one token at a time, and the engine guarantees
 * identical logits for both (doc/determinism.md).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "api_internal.h"
#include "coder/freq.h"
#include "coder/rangecoder.h"
#include "format/container.h"

#define RUN_BLOCK 4096          /* classification granularity */
#define MIN_TEXT_RUN 16         /* shorter text runs are not worth a model frame */
#define ZSTD_LEVEL 19

/* ---------------------------------------------------------------- helpers */

typedef struct {
    llamazip_ctx *ctx;
    double t0;
    uint64_t bytes_total;
    uint64_t bytes_base;     /* original bytes of the frames already finished */
    uint64_t coded_base;     /* archive bytes of the frames already finished */
    int decompressing;
} progress_tracker;

static int report_progress(progress_tracker *pt, uint64_t bytes_in_run, uint64_t coded_in_run)
{
    llamazip_ctx *ctx = pt->ctx;
    if (!ctx->params.progress) return 0;
    llamazip_progress p;
    p.decompressing = pt->decompressing;
    p.bytes_done = pt->bytes_base + bytes_in_run;
    p.bytes_total = pt->bytes_total;
    p.tokens_done = ctx->stats.n_tokens;
    p.coded_bytes = pt->coded_base + coded_in_run;
    p.seconds = lz_now_seconds() - pt->t0;
    if (ctx->params.progress(ctx->params.progress_user, &p))
        return lz_fail(&ctx->err, LLAMAZIP_E_CANCELLED, "cancelled");
    return 0;
}

static int32_t bos_token(const llamazip_ctx *ctx)
{
    int32_t bos = lz_tokenizer_bos(ctx->model->tokenizer);
    return bos >= 0 ? bos : 0;
}

static uint32_t n_vocab(const llamazip_ctx *ctx)
{
    return lz_model_get_hparams(ctx->model->model)->n_vocab;
}

/* Evaluate tokens at positions pos0.. into ctx->logits (all rows or the last). */
static int eval(llamazip_ctx *ctx, const int32_t *tokens, uint32_t n, uint32_t pos0, int last_only)
{
    return lz_model_eval(ctx->model->model, ctx->state, ctx->pool, ctx->isa, tokens, n, pos0, ctx->logits,
                         last_only, &ctx->err);
}

/* ---------------------------------------------------------------- windows */

/*
 * One window of the schedule: the context prefix is BOS + `overlap` tokens
 * before t[i]; the window then codes t[i .. i + m] where m tokens are
 * appended behind the prefix. Returns m.
 */
static uint32_t window_appended(uint32_t n_ctx, uint32_t prefix_len, uint64_t i, uint64_t n_tokens)
{
    uint64_t room = n_ctx - prefix_len;
    uint64_t left = n_tokens - 1 - i;
    return (uint32_t)(room < left ? room : left);
}

/* Build the window prefix [BOS, t[i-k] .. t[i-1]] into buf; returns its length. */
static uint32_t window_prefix(const llamazip_ctx *ctx, const int32_t *t, uint64_t i, uint32_t overlap,
                              int32_t *buf)
{
    uint32_t k = i < overlap ? (uint32_t)i : overlap;
    buf[0] = bos_token(ctx);
    memcpy(buf + 1, t + i - k, k * sizeof(int32_t));
    return 1 + k;
}

typedef struct {
    lz_freq_table freq;
    lz_rc_encoder enc;
    lz_rc_decoder dec;
    int32_t *window;      /* n_ctx tokens */
    lz_freq_slice *slices; /* compression: one per row of a batch */
    float *e_scratch;     /* compression: n_vocab floats per thread */
} coding_state;

typedef struct {
    const float *logits;
    uint32_t n_vocab;
    const int32_t *tokens;  /* the row's token for each row */
    float *e_scratch;
    lz_freq_slice *slices;
    int failed;
} slice_job;

static void slice_task(void *arg, int task, int thread)
{
    slice_job *j = arg;
    if (lz_freq_slice_of(j->logits + (size_t)task * j->n_vocab, j->n_vocab, (uint32_t)j->tokens[task],
                         j->e_scratch + (size_t)thread * j->n_vocab, &j->slices[task]))
        j->failed = 1;   /* a token out of range: reported below */
}

/* Code rows r = 0..nb-1 of ctx->logits with tokens[r]: the frequencies of
 * the rows are independent and are computed on the pool; the range coder
 * then takes them in order. */
static int code_rows(llamazip_ctx *ctx, coding_state *cs, uint32_t nb, const int32_t *tokens)
{
    slice_job j = { ctx->logits, n_vocab(ctx), tokens, cs->e_scratch, cs->slices, 0 };
    lz_pool_run(ctx->pool, (int)nb, slice_task, &j);
    if (j.failed) return lz_fail(&ctx->err, LLAMAZIP_E_USAGE, "token out of range");
    for (uint32_t r = 0; r < nb; r++) {
        const lz_freq_slice *sl = &cs->slices[r];
        ctx->stats.ideal_bits += sl->ideal_bits;
        ctx->stats.coded_bits += sl->coded_bits;
        ctx->stats.n_tokens++;
        int rc = lz_rc_encode(&cs->enc, sl->low, sl->freq, sl->total);
        if (rc) return lz_fail(&ctx->err, rc, "out of memory");
    }
    return 0;
}

/* Compress tokens t[0..n) into cs->enc following the window schedule. */
static int model_encode(llamazip_ctx *ctx, coding_state *cs, const int32_t *t, uint64_t n, uint32_t overlap,
                        progress_tracker *pt, uint64_t run_bytes)
{
    const uint32_t n_ctx = ctx->n_ctx;
    uint64_t i = 0;
    while (i < n) {
        uint32_t plen = window_prefix(ctx, t, i, overlap, cs->window);
        uint32_t m = window_appended(n_ctx, plen, i, n);
        memcpy(cs->window + plen, t + i, (size_t)m * sizeof(int32_t));
        /* prefix except its last token: only the KV cache is needed */
        int rc = plen > 1 ? eval(ctx, cs->window, plen - 1, 0, 1) : 0;
        if (rc) return rc;
        /* positions plen-1 .. plen-1+m code t[i .. i+m] */
        uint32_t pos = plen - 1;
        uint32_t end = plen + m; /* one past the last evaluated position */
        while (pos < end) {
            uint32_t nb = end - pos < ctx->n_batch ? end - pos : ctx->n_batch;
            if ((rc = eval(ctx, cs->window + pos, nb, pos, 0))) return rc;
            /* row r predicts t[i + pos + r - (plen - 1)] */
            if ((rc = code_rows(ctx, cs, nb, t + i + (pos - (plen - 1))))) return rc;
            pos += nb;
            if ((rc = report_progress(pt, run_bytes * (i + pos - (plen - 1)) / n, cs->enc.size))) return rc;
        }
        i += (uint64_t)m + 1;
    }
    return 0;
}

static int decode_row(llamazip_ctx *ctx, coding_state *cs, const float *logits, int32_t *token)
{
    if (lz_freq_from_logits(logits, n_vocab(ctx), &cs->freq)) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    *token = (int32_t)lz_freq_decode_token(&cs->dec, &cs->freq);
    ctx->stats.n_tokens++;
    if (cs->dec.corrupt) return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: invalid model-coded data");
    if (lz_rc_dec_truncated(&cs->dec)) return lz_fail(&ctx->err, LLAMAZIP_E_TRUNCATED, "truncated archive: model-coded data ends early");
    return 0;
}

/* Progress, and with it the chance to cancel, every 16 decoded tokens of a
 * frame. Counted over the frame, not per window: windows of fewer than 16
 * tokens (a small n_ctx) must not skip the check. */
static int decode_checkpoint(progress_tracker *pt, const coding_state *cs, uint64_t decoded, uint64_t n,
                             uint64_t run_bytes)
{
    if (decoded % 16 != 0) return 0;
    return report_progress(pt, (uint64_t)((double)run_bytes * (double)decoded / (double)n), cs->dec.pos);
}

/* Decode n tokens into t[0..n) following the window schedule. */
static int model_decode(llamazip_ctx *ctx, coding_state *cs, int32_t *t, uint64_t n, uint32_t overlap,
                        progress_tracker *pt, uint64_t run_bytes)
{
    const uint32_t n_ctx = ctx->n_ctx;
    uint64_t i = 0;
    int rc;
    while (i < n) {
        uint32_t plen = window_prefix(ctx, t, i, overlap, cs->window);
        uint32_t m = window_appended(n_ctx, plen, i, n);
        if ((rc = eval(ctx, cs->window, plen, 0, 1))) return rc;
        if ((rc = decode_row(ctx, cs, ctx->logits, &t[i]))) return rc;
        if ((rc = decode_checkpoint(pt, cs, i + 1, n, run_bytes))) return rc;
        for (uint32_t q = 0; q < m; q++) {
            if ((rc = eval(ctx, &t[i + q], 1, plen + q, 1))) return rc;
            if ((rc = decode_row(ctx, cs, ctx->logits, &t[i + q + 1]))) return rc;
            if ((rc = decode_checkpoint(pt, cs, i + q + 2, n, run_bytes))) return rc;
        }
        i += (uint64_t)m + 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- classification */

/* Bytes that a text model handles badly: C0 controls other than
 * \t \n \v \f \r and ESC, DEL, and bytes of invalid UTF-8. */
static size_t count_bad_bytes(const uint8_t *p, size_t n)
{
    size_t bad = 0, i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            if ((c < 0x20 && !(c >= 0x09 && c <= 0x0d) && c != 0x1b) || c == 0x7f) bad++;
            i++;
            continue;
        }
        size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
        if (c >= 0xf5) len = 0;
        size_t k = 1;
        while (len && k < len && i + k < n && (p[i + k] & 0xc0) == 0x80) k++;
        if (len && (k == len || i + k == n)) { /* complete, or cut by the block edge */
            i += k;
        } else {
            bad++;
            i++;
        }
    }
    return bad;
}

/* A block is handed to the model unless more than 15 % of its bytes are bad.
 * Text runs are still stored as zstd or raw when that is smaller, so a
 * generous threshold costs time, never size: text with some control bytes
 * (Calgary `trans`, a terminal log with NUL padding and backspaces, has
 * 4-13 % per block) codes to about half of zstd's size with the model, while
 * object code, images and compressed data sit far above it (50-100 %). */
static int block_is_text(const uint8_t *p, size_t n)
{
    return count_bad_bytes(p, n) * 100 <= 15 * n;
}

typedef struct {
    size_t start, len;
    int text;
} run;

/* Split the input into maximal runs of text blocks and binary blocks. */
static int split_runs(const uint8_t *src, size_t n, run **runs, size_t *n_runs)
{
    size_t cap = 8, count = 0;
    run *r = malloc(cap * sizeof(*r));
    if (!r) return LLAMAZIP_E_NOMEM;
    for (size_t off = 0; off < n; off += RUN_BLOCK) {
        size_t len = n - off < RUN_BLOCK ? n - off : RUN_BLOCK;
        int text = block_is_text(src + off, len);
        if (count && r[count - 1].text == text) {
            r[count - 1].len += len;
            continue;
        }
        if (count == cap) {
            run *nr = realloc(r, 2 * cap * sizeof(*r));
            if (!nr) { free(r); return LLAMAZIP_E_NOMEM; }
            r = nr;
            cap *= 2;
        }
        r[count].start = off;
        r[count].len = len;
        r[count].text = text;
        count++;
    }
    *runs = r;
    *n_runs = count;
    return 0;
}

/* ---------------------------------------------------------------- compress */

static int emit_raw_or_zstd(llamazip_ctx *ctx, const uint8_t *p, size_t n, size_t model_size, lz_buf *out,
                            int *used_model)
{
    size_t bound = ZSTD_compressBound(n);
    uint8_t *z = malloc(bound ? bound : 1);
    if (!z) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    size_t zn = ZSTD_compress(z, bound, p, n, ZSTD_LEVEL);
    if (ZSTD_isError(zn) && ZSTD_getErrorCode(zn) == ZSTD_error_memory_allocation) {
        free(z); /* not a RAW frame instead: the archive must not depend on the memory available */
        return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory (zstd)");
    }
    int zok = !ZSTD_isError(zn);
    lz_frame f = { 0 };
    f.raw_size = n;
    if (used_model && model_size <= n && (!zok || model_size <= zn)) {
        *used_model = 1;
        free(z);
        return 0;
    }
    if (used_model) *used_model = 0;
    if (zok && zn < n) {
        f.tag = LZ_FRAME_ZSTD;
        f.payload = z;
        f.payload_size = zn;
    } else {
        f.tag = LZ_FRAME_RAW;
        f.payload = p;
        f.payload_size = n;
    }
    int rc = lz_frame_write(out, &f);
    free(z);
    return rc ? lz_fail(&ctx->err, rc, "out of memory") : 0;
}

static int compress_text_run(llamazip_ctx *ctx, coding_state *cs, const uint8_t *p, size_t n, uint32_t overlap,
                             lz_buf *out, progress_tracker *pt)
{
    int32_t *tokens = NULL;
    size_t n_tokens = 0;
    lz_err terr;
    lz_err_clear(&terr);
    int rc = lz_tokenize(ctx->model->tokenizer, p, n, &tokens, &n_tokens, &terr);
    if (rc == LLAMAZIP_E_UNSUPPORTED) /* bytes the vocabulary cannot express */
        return emit_raw_or_zstd(ctx, p, n, 0, out, NULL);
    if (rc) return lz_fail(&ctx->err, rc, "%s", terr.msg);
    lz_rc_enc_reset(&cs->enc);
    rc = n_tokens ? model_encode(ctx, cs, tokens, n_tokens, overlap, pt, n) : 0;
    if (!rc) rc = lz_rc_enc_finish(&cs->enc, &ctx->err);
    free(tokens);
    if (rc) return rc;
    int use_model = 0;
    if ((rc = emit_raw_or_zstd(ctx, p, n, cs->enc.size + 8, out, &use_model))) return rc;
    if (!use_model) return 0;
    lz_frame f = { 0 };
    f.tag = LZ_FRAME_MODEL;
    f.raw_size = n;
    f.n_tokens = n_tokens;
    f.payload = cs->enc.buf;
    f.payload_size = cs->enc.size;
    if (lz_frame_write(out, &f)) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    return 0;
}

static uint32_t effective_overlap(const llamazip_ctx *ctx)
{
    uint32_t k = ctx->params.window_overlap;
    if (ctx->params.window_overlap_percent)
        k = (uint32_t)((uint64_t)ctx->params.window_overlap_percent * (ctx->n_ctx - 1) / 100);
    return k > ctx->n_ctx - 2 ? ctx->n_ctx - 2 : k;
}

static int coding_state_init(llamazip_ctx *ctx, coding_state *cs)
{
    memset(cs, 0, sizeof(*cs));
    lz_freq_init(&cs->freq);
    lz_rc_enc_init(&cs->enc);
    cs->window = malloc((size_t)ctx->n_ctx * sizeof(int32_t));
    cs->slices = malloc((size_t)ctx->n_batch * sizeof(*cs->slices));
    cs->e_scratch = malloc((size_t)lz_pool_size(ctx->pool) * n_vocab(ctx) * sizeof(float));
    if (!cs->window || !cs->slices || !cs->e_scratch) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    return lz_freq_reserve(&cs->freq, n_vocab(ctx), &ctx->err);
}

static void coding_state_free(coding_state *cs)
{
    lz_freq_free(&cs->freq);
    lz_rc_enc_free(&cs->enc);
    free(cs->window);
    free(cs->slices);
    free(cs->e_scratch);
}

int lz_codec_compress(llamazip_ctx *ctx, const uint8_t *src, size_t n, lz_buf *out)
{
    lz_archive_header h;
    memset(&h, 0, sizeof(h));
    h.version = LZ_ARCHIVE_VERSION;
    h.model_fingerprint = ctx->model->fingerprint;
    h.n_ctx = ctx->n_ctx;
    h.window_overlap = effective_overlap(ctx);
    h.original_size = n;
    h.content_checksum = XXH64(src, n, 0);
    if (lz_header_write(out, &h)) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");

    run *runs = NULL;
    size_t n_runs = 0;
    if (split_runs(src, n, &runs, &n_runs)) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    coding_state cs;
    int rc = coding_state_init(ctx, &cs);
    progress_tracker pt = { ctx, lz_now_seconds(), n, 0, out->len, 0 };
    for (size_t r = 0; !rc && r < n_runs; r++) {
        const uint8_t *p = src + runs[r].start;
        size_t len = runs[r].len;
        if (runs[r].text && len >= MIN_TEXT_RUN) rc = compress_text_run(ctx, &cs, p, len, h.window_overlap, out, &pt);
        else rc = emit_raw_or_zstd(ctx, p, len, 0, out, NULL);
        pt.bytes_base += len;
        pt.coded_base = out->len;
        if (!rc) rc = report_progress(&pt, 0, 0);
    }
    lz_frame end = { 0 };
    end.tag = LZ_FRAME_END;
    if (!rc && lz_frame_write(out, &end)) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    coding_state_free(&cs);
    free(runs);
    return rc;
}

/* ---------------------------------------------------------------- decompress */

static int decompress_model_frame(llamazip_ctx *ctx, coding_state *cs, const lz_frame *f, lz_buf *out,
                                  uint32_t overlap, progress_tracker *pt)
{
    /* every token of a tokenized text yields at least one byte (one more for a space prefix) */
    if (f->n_tokens > f->raw_size + 1 || f->n_tokens > SIZE_MAX / sizeof(int32_t))
        return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: %llu tokens cannot make %llu bytes",
                       (unsigned long long)f->n_tokens, (unsigned long long)f->raw_size);
    if (f->raw_size && !f->n_tokens)
        return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: model frame without tokens");
    int32_t *tokens = malloc((size_t)(f->n_tokens ? f->n_tokens : 1) * sizeof(int32_t));
    if (!tokens) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    lz_rc_dec_init(&cs->dec, f->payload, (size_t)f->payload_size);
    int rc = model_decode(ctx, cs, tokens, f->n_tokens, overlap, pt, f->raw_size);
    if (!rc && (rc = lz_rc_dec_finish(&cs->dec, &ctx->err)))
        lz_err_context(&ctx->err, rc == LLAMAZIP_E_TRUNCATED ? "truncated archive" : "corrupt archive");
    uint8_t *text = NULL;
    size_t text_len = 0;
    if (!rc) {
        lz_err terr;
        lz_err_clear(&terr);
        int drc = lz_detokenize(ctx->model->tokenizer, tokens, (size_t)f->n_tokens, &text, &text_len, &terr);
        if (drc == LLAMAZIP_E_NOMEM) rc = lz_fail(&ctx->err, drc, "%s", terr.msg);
        else if (drc) rc = lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: %s", terr.msg);
    }
    if (!rc && text_len != f->raw_size)
        rc = lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: model frame decodes to %zu bytes, expected %llu",
                     text_len, (unsigned long long)f->raw_size);
    if (!rc && lz_buf_append(out, text, text_len)) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    free(text);
    free(tokens);
    return rc;
}

static int decompress_zstd_frame(llamazip_ctx *ctx, const lz_frame *f, lz_buf *out)
{
    unsigned long long content = ZSTD_getFrameContentSize(f->payload, (size_t)f->payload_size);
    if (content != f->raw_size)
        return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: zstd frame size does not match");
    if (lz_buf_reserve(out, (size_t)f->raw_size)) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    size_t got = ZSTD_decompress(out->data + out->len, (size_t)f->raw_size, f->payload, (size_t)f->payload_size);
    if (ZSTD_isError(got) && ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation)
        return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory (zstd frame)");
    if (ZSTD_isError(got) || got != f->raw_size)
        return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: zstd frame: %s",
                       ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
    out->len += got;
    return 0;
}

int lz_codec_decompress(llamazip_ctx *ctx, const uint8_t *src, size_t n, lz_buf *out)
{
    lz_archive_header h;
    size_t pos = 0;
    int rc = lz_header_read(src, n, &h, &pos, &ctx->err);
    if (rc) return rc;
    if (h.model_fingerprint != ctx->model->fingerprint)
        return lz_fail(&ctx->err, LLAMAZIP_E_MODEL_MISMATCH,
                       "archive made with another model (fingerprint %016llx, loaded model %016llx)",
                       (unsigned long long)h.model_fingerprint, (unsigned long long)ctx->model->fingerprint);
    uint32_t saved_n_ctx = ctx->n_ctx;
    if ((rc = lz_ctx_ensure_n_ctx(ctx, h.n_ctx))) return rc;
    ctx->n_ctx = h.n_ctx;
    coding_state cs;
    rc = coding_state_init(ctx, &cs);
    progress_tracker pt = { ctx, lz_now_seconds(), h.original_size, 0, pos, 1 };
    while (!rc) {
        lz_frame f;
        size_t used = 0;
        if ((rc = lz_frame_read(src + pos, n - pos, &f, &used, &ctx->err))) break;
        pos += used;
        if (f.tag == LZ_FRAME_END) break;
        if (f.raw_size > h.original_size - out->len) {
            rc = lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: frames hold more data than the header says");
            break;
        }
        if (f.tag == LZ_FRAME_RAW) {
            if (lz_buf_append(out, f.payload, (size_t)f.raw_size)) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
        } else if (f.tag == LZ_FRAME_ZSTD) {
            rc = decompress_zstd_frame(ctx, &f, out);
        } else {
            rc = decompress_model_frame(ctx, &cs, &f, out, h.window_overlap, &pt);
        }
        pt.bytes_base = out->len;
        pt.coded_base = pos;
        if (!rc) rc = report_progress(&pt, 0, 0);
    }
    coding_state_free(&cs);
    ctx->n_ctx = saved_n_ctx;
    if (rc) return rc;
    if (pos != n) return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: %zu unexpected bytes after the end", n - pos);
    if (out->len != h.original_size)
        return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: frames hold %zu bytes, header says %llu",
                       out->len, (unsigned long long)h.original_size);
    if (XXH64(out->data, out->len, 0) != h.content_checksum)
        return lz_fail(&ctx->err, LLAMAZIP_E_CHECKSUM, "checksum mismatch: the archive is corrupt");
    return 0;
}
