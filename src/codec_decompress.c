/*
 * codec_decompress.c - archives (format 1 and 2, one after another in the
 * input) -> frames -> the original bytes, written in order to a sink.
 *
 * The MODEL frames of an archive are decoded many at a time
 * (codec_streams.c); RAW and ZSTD frames, and the decoded segments, are
 * written out in frame order as soon as every frame before them is, so at
 * most the decoder's lookahead of segments waits in memory. The checksum is
 * computed over the bytes as they go out.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec_internal.h"

typedef struct {
    llamazip_ctx *ctx;
    const lz_archive *a;
    lz_sink sink;
    XXH64_state_t *xx;
    uint64_t written;     /* bytes of this archive out so far */
    size_t next;          /* next frame to write */
    uint8_t **ready;      /* per frame: a decoded segment waiting for its turn */
    progress_tracker *pt;
} writer;

static int emit(writer *w, const uint8_t *p, size_t n)
{
    if (n == 0) return 0;
    XXH64_update(w->xx, p, n);
    w->written += n;
    w->pt->bytes_base += n;
    int rc = w->sink.write(w->sink.user, p, n);
    return rc ? lz_fail(&w->ctx->err, rc, "cannot write the output") : 0;
}

static int emit_zstd(writer *w, const lz_frame *f)
{
    llamazip_ctx *ctx = w->ctx;
    const unsigned long long content = ZSTD_getFrameContentSize(f->payload, (size_t)f->payload_size);
    if (content != f->raw_size)
        return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: zstd frame size does not match");
    uint8_t *buf = malloc(f->raw_size ? (size_t)f->raw_size : 1);
    if (!buf) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    const size_t got = ZSTD_decompress(buf, (size_t)f->raw_size, f->payload, (size_t)f->payload_size);
    int rc = 0;
    if (ZSTD_isError(got) && ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation)
        rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory (zstd frame)");
    else if (ZSTD_isError(got) || got != f->raw_size)
        rc = lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: zstd frame: %s",
                     ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size");
    if (!rc) rc = emit(w, buf, (size_t)f->raw_size);
    free(buf);
    return rc;
}

/* Write every frame that is ready, in order. */
static int flush_ready(writer *w)
{
    int rc = 0;
    while (!rc && w->next < w->a->n_frames) {
        const lz_frame *f = &w->a->frames[w->next];
        if (f->tag == LZ_FRAME_MODEL) {
            if (!w->ready[w->next]) break;
            rc = emit(w, w->ready[w->next], (size_t)f->raw_size);
            free(w->ready[w->next]);
            w->ready[w->next] = NULL;
        } else if (f->tag == LZ_FRAME_RAW) {
            rc = emit(w, f->payload, (size_t)f->raw_size);
        } else {
            rc = emit_zstd(w, f);
        }
        w->next++;
    }
    return rc;
}

static int segment_done(void *user, size_t seg, uint8_t *text)
{
    writer *w = user;
    /* segment numbers follow the MODEL frames; find the frame */
    size_t k = 0, i = 0;
    for (; i < w->a->n_frames; i++)
        if (w->a->frames[i].tag == LZ_FRAME_MODEL && k++ == seg) break;
    w->ready[i] = text;
    return flush_ready(w);
}

static int check_model(llamazip_ctx *ctx, const lz_archive *a)
{
    const llamazip_model *m = ctx->model;
    if (a->version == 1) {
        if (a->model_id == m->fingerprint) return 0;
        return lz_fail(&ctx->err, LLAMAZIP_E_MODEL_MISMATCH,
                       "archive made with another model (fingerprint %016llx, loaded model %016llx)",
                       (unsigned long long)a->model_id, (unsigned long long)m->fingerprint);
    }
    if (a->model_id_bits == 16) {
        if (a->model_id == (m->fingerprint2 & 0xFFFF)) return 0;
        return lz_fail(&ctx->err, LLAMAZIP_E_MODEL_MISMATCH,
                       "archive made with another model (model tag %04llx, loaded model %04llx)",
                       (unsigned long long)a->model_id, (unsigned long long)(m->fingerprint2 & 0xFFFF));
    }
    if (a->model_id == m->fingerprint2) return 0;
    return lz_fail(&ctx->err, LLAMAZIP_E_MODEL_MISMATCH,
                   "archive made with another model (fingerprint %016llx, loaded model %016llx)",
                   (unsigned long long)a->model_id, (unsigned long long)m->fingerprint2);
}

static int decode_archive(llamazip_ctx *ctx, const lz_archive *a, lz_sink sink, progress_tracker *pt)
{
    int rc = check_model(ctx, a);
    if (rc) return rc;
    lz_coding_settings set = { lz_default_n_ctx(ctx), 0 };
    if (a->has_settings) {
        set.n_ctx = a->n_ctx;
        set.overlap = a->window_overlap;
    }
    writer w;
    memset(&w, 0, sizeof(w));
    w.ctx = ctx;
    w.a = a;
    w.sink = sink;
    w.pt = pt;
    w.xx = XXH64_createState();
    w.ready = calloc(a->n_frames ? a->n_frames : 1, sizeof(*w.ready));
    size_t *idx = malloc((a->n_frames ? a->n_frames : 1) * sizeof(*idx));
    if (!w.xx || !w.ready || !idx) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    size_t n_model = 0;
    if (!rc) {
        XXH64_reset(w.xx, 0);
        for (size_t i = 0; i < a->n_frames; i++)
            if (a->frames[i].tag == LZ_FRAME_MODEL) idx[n_model++] = i;
        rc = flush_ready(&w);
    }
    if (!rc) rc = lz_decode_segments(ctx, a->frames, idx, n_model, a->compact, set, segment_done, &w, pt);
    if (!rc) rc = flush_ready(&w);
    if (!rc && (w.next != a->n_frames || w.written != a->original_size))
        rc = lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: frames hold %llu bytes, header says %llu",
                     (unsigned long long)w.written, (unsigned long long)a->original_size);
    if (!rc) {
        uint64_t sum = XXH64_digest(w.xx);
        if (a->checksum_bits == 32) sum &= 0xFFFFFFFFu;
        if (sum != a->checksum) rc = lz_fail(&ctx->err, LLAMAZIP_E_CHECKSUM, "checksum mismatch: the archive is corrupt");
    }
    /* the archive done: one report at its end (also for archives without MODEL frames) */
    if (!rc) rc = lz_codec_progress(pt, 0, a->size);
    for (size_t i = 0; w.ready && i < a->n_frames; i++) free(w.ready[i]);
    free(w.ready);
    free(idx);
    XXH64_freeState(w.xx);
    return rc;
}

static int decompress_to(llamazip_ctx *ctx, const uint8_t *src, size_t n, lz_sink sink)
{
    progress_tracker pt = { ctx, lz_now_seconds(), 0, 0, 0, 1 };
    size_t pos = 0;
    int rc = 0;
    do {
        /* after an archive, only another archive may follow */
        if (pos > 0 && !lz_archive_magic(src + pos, n - pos))
            return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: %zu unexpected bytes after the end", n - pos);
        lz_archive a;
        if ((rc = lz_archive_parse(src + pos, n - pos, &a, &ctx->err))) return rc;
        pt.bytes_total += a.original_size;
        pt.coded_base = pos;
        rc = decode_archive(ctx, &a, sink, &pt);
        pos += a.size;
        lz_archive_free(&a);
    } while (!rc && pos < n);
    return rc;
}

static int buf_write(void *user, const uint8_t *p, size_t n)
{
    return lz_buf_append(user, p, n) ? LLAMAZIP_E_NOMEM : 0;
}

int lz_codec_decompress(llamazip_ctx *ctx, const uint8_t *src, size_t n, lz_buf *out)
{
    lz_sink sink = { buf_write, out };
    return decompress_to(ctx, src, n, sink);
}

int lz_codec_decompress_stream(llamazip_ctx *ctx, const uint8_t *src, size_t n,
                               int (*write)(void *user, const uint8_t *p, size_t n), void *user)
{
    lz_sink sink = { write, user };
    return decompress_to(ctx, src, n, sink);
}
