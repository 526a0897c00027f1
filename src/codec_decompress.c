/*
 * codec_decompress.c - archives (format 1 and 2, one after another in the
 * input) -> frames -> the original bytes, written in order to a sink.
 *
 * The MODEL frames of an archive are decoded many at a time
 * (codec_streams.c); RAW and ZSTD frames, and the decoded segments, are
 * written out in frame order as soon as every frame before them is, so at
 * most the decoder's lookahead of segments waits in memory. The checksum is
 * computed over the bytes as they go out.
 *
 * The input is either all in memory or pulled from a read callback. Pulled,
 * an archive is taken in groups of frames of about lz_decompress_group_bytes (8 MiB): the bytes
 * of one group are read, its segments decoded and written, and the bytes
 * dropped before the next group is read, so memory stays bounded whatever
 * the archive's size (the frames of a group are parsed as offsets into the
 * input buffer, which may move while it grows, and become pointers once the
 * group is complete).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec_internal.h"

/* Archive bytes read before a group's segments are decoded (read mode);
 * a variable so that tests reach group boundaries with small archives. */
size_t lz_decompress_group_bytes = (size_t)8 << 20;
#define READ_CHUNK ((size_t)1 << 20)

/* The input: memory (read == NULL: all of it in p[0..len)) or a reader
 * filling buf. p[pos..len) are the bytes not parsed yet. */
typedef struct {
    llamazip_ctx *ctx;
    int (*read)(void *user, void *buf, size_t size, size_t *got);
    void *user;
    uint8_t *buf;
    size_t cap;
    const uint8_t *p;
    size_t len, pos;
    uint64_t offset;     /* stream offset of p[0] */
    int eof;
} in_stream;

static size_t in_avail(const in_stream *in) { return in->len - in->pos; }

/* Read more bytes (read mode, not at the end): returns 1 if some came, 0
 * at the end of the input, or -1 with the error set. */
static int in_more(in_stream *in)
{
    if (!in->read || in->eof) return 0;
    if (in->cap - in->len < READ_CHUNK) {
        size_t nc = in->cap ? in->cap : READ_CHUNK;
        while (nc - in->len < READ_CHUNK) nc *= 2;
        uint8_t *nb = realloc(in->buf, nc);
        if (!nb) return lz_fail(&in->ctx->err, LLAMAZIP_E_NOMEM, "out of memory for the input"), -1;
        in->buf = nb;
        in->cap = nc;
        in->p = nb;
    }
    size_t got = 0;
    const int rc = in->read(in->user, in->buf + in->len, READ_CHUNK, &got);
    if (rc) return lz_fail(&in->ctx->err, rc > 0 ? rc : LLAMAZIP_E_IO, "cannot read the input"), -1;
    if (got == 0) in->eof = 1;
    in->len += got;
    return got > 0;
}

/* Drop the parsed bytes (read mode, between groups). */
static void in_drop(in_stream *in)
{
    if (!in->read || in->pos == 0) return;
    memmove(in->buf, in->buf + in->pos, in->len - in->pos);
    in->offset += in->pos;
    in->len -= in->pos;
    in->pos = 0;
}

/* Run one parse step at the current position, reading more while it says
 * the data is truncated and more can come. */
typedef int (*parse_step)(in_stream *in, void *arg, size_t *used);

static int in_parse(in_stream *in, parse_step step, void *arg, size_t *used)
{
    for (;;) {
        lz_err_clear(&in->ctx->err);
        const int rc = step(in, arg, used);
        if (rc != LLAMAZIP_E_TRUNCATED) return rc;
        const int more = in_more(in);
        if (more < 0) return in->ctx->err.code;
        if (more == 0) {   /* the input ended: parse again for the right message */
            lz_err_clear(&in->ctx->err);
            return step(in, arg, used);
        }
    }
}

typedef struct {
    llamazip_ctx *ctx;
    lz_sink sink;
    XXH64_state_t *xx;
    uint64_t written;     /* bytes of this archive out so far */
    const lz_frame *frames; /* the current group of frames */
    size_t n_frames;
    const size_t *idx;    /* segment s of the group is frame idx[s] */
    size_t next;          /* next frame of the group to write */
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

/* Write every frame of the group that is ready, in order. */
static int flush_ready(writer *w)
{
    int rc = 0;
    while (!rc && w->next < w->n_frames) {
        const lz_frame *f = &w->frames[w->next];
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
    w->ready[w->idx[seg]] = text;
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

/* Decode a group of frames and write them all. */
static int decode_group(writer *w, const lz_archive *a, lz_coding_settings set, const lz_frame *frames, size_t n)
{
    llamazip_ctx *ctx = w->ctx;
    int rc = 0;
    uint8_t **ready = calloc(n ? n : 1, sizeof(*ready));
    size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
    if (!ready || !idx) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    size_t n_model = 0;
    for (size_t i = 0; !rc && i < n; i++)
        if (frames[i].tag == LZ_FRAME_MODEL) idx[n_model++] = i;
    w->frames = frames;
    w->n_frames = n;
    w->idx = idx;
    w->ready = ready;
    w->next = 0;
    if (!rc) rc = flush_ready(w);
    if (!rc) rc = lz_decode_segments(ctx, frames, idx, n_model, a->compact, set, segment_done, w, w->pt);
    if (!rc) rc = flush_ready(w);
    if (!rc && w->next != n) rc = lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: a segment was not decoded");
    for (size_t i = 0; ready && i < n; i++) free(ready[i]);
    free(ready);
    free(idx);
    w->ready = NULL;
    w->idx = NULL;
    return rc;
}

/* Parse steps over the input (in_parse). */
typedef struct {
    lz_archive *a;
    uint64_t *covered;
    lz_frame *f;
    int *done;
} frame_step_arg;

static int step_frame(in_stream *in, void *arg, size_t *used)
{
    frame_step_arg *fa = arg;
    return lz_archive_parse_frame(in->p + in->pos, in_avail(in), fa->a, fa->covered, fa->f, used, fa->done,
                                  &in->ctx->err);
}

static int step_tail(in_stream *in, void *arg, size_t *used)
{
    return lz_archive_parse_tail(in->p + in->pos, in_avail(in), arg, used, &in->ctx->err);
}

static int step_head(in_stream *in, void *arg, size_t *used)
{
    return lz_archive_parse_head(in->p + in->pos, in_avail(in), arg, used, &in->ctx->err);
}

/* The frames of one archive after its head, group by group, then its tail. */
static int decode_archive(llamazip_ctx *ctx, in_stream *in, lz_archive *a, uint64_t start, lz_sink sink,
                          progress_tracker *pt)
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
    w.sink = sink;
    w.pt = pt;
    w.xx = XXH64_createState();
    if (!w.xx) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    XXH64_reset(w.xx, 0);
    lz_frame *frames = NULL;
    size_t cap = 0;
    uint64_t covered = 0;
    int done = 0;
    while (!rc && !done) {
        /* a group: frames whose payloads are offsets into the input until it is complete */
        size_t n = 0, group_start = in->pos;
        while (!rc && !done && (!in->read || in->pos - group_start < lz_decompress_group_bytes)) {
            lz_frame f;
            size_t used = 0;
            frame_step_arg fa = { a, &covered, &f, &done };
            if ((rc = in_parse(in, step_frame, &fa, &used))) break;
            if (!done) {
                if (n == cap) {
                    const size_t nc = cap ? 2 * cap : 16;
                    lz_frame *nf = realloc(frames, nc * sizeof(*nf));
                    if (!nf) {
                        rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
                        break;
                    }
                    frames = nf;
                    cap = nc;
                }
                f.payload = (const uint8_t *)(uintptr_t)(f.payload ? (size_t)(f.payload - in->p) : 0);
                frames[n++] = f;
            }
            in->pos += used;
        }
        if (rc) break;
        for (size_t i = 0; i < n; i++) frames[i].payload = in->p + (size_t)(uintptr_t)frames[i].payload;
        rc = decode_group(&w, a, set, frames, n);
        in_drop(in);
    }
    size_t used = 0;
    if (!rc) rc = in_parse(in, step_tail, a, &used);
    if (!rc) in->pos += used;
    if (!rc && w.written != a->original_size)
        rc = lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: frames hold %llu bytes, header says %llu",
                     (unsigned long long)w.written, (unsigned long long)a->original_size);
    if (!rc) {
        uint64_t sum = XXH64_digest(w.xx);
        if (a->checksum_bits == 32) sum &= 0xFFFFFFFFu;
        if (sum != a->checksum) rc = lz_fail(&ctx->err, LLAMAZIP_E_CHECKSUM, "checksum mismatch: the archive is corrupt");
    }
    /* the archive done: one report at its end (also for archives without MODEL frames) */
    if (!rc) rc = lz_codec_progress(pt, 0, in->offset + in->pos - start);
    free(frames);
    XXH64_freeState(w.xx);
    return rc;
}

/* Archives one after another until the input ends. */
static int decompress_in(llamazip_ctx *ctx, in_stream *in, lz_sink sink)
{
    progress_tracker pt = { ctx, lz_now_seconds(), 0, 0, 0, 1 };
    int rc = 0;
    for (int first = 1;; first = 0) {
        if (in_avail(in) == 0) {
            const int more = in_more(in);
            if (more < 0) return ctx->err.code;
            if (!more && !first) return 0;
        }
        /* after an archive, only another archive may follow */
        if (!first && !lz_archive_magic(in->p + in->pos, in_avail(in))) {
            /* count them without holding them */
            uint64_t extra = 0;
            do {
                extra += in_avail(in);
                in->pos = in->len;
                in_drop(in);
            } while ((rc = in_more(in)) > 0);
            if (rc < 0) return ctx->err.code;
            return lz_fail(&ctx->err, LLAMAZIP_E_CORRUPT, "corrupt archive: %llu unexpected bytes after the end",
                           (unsigned long long)extra);
        }
        lz_archive a;
        size_t used = 0;
        const uint64_t start = in->offset + in->pos;
        if ((rc = in_parse(in, step_head, &a, &used))) return rc;
        in->pos += used;
        pt.bytes_total += a.original_size;
        pt.coded_base = start;
        if ((rc = decode_archive(ctx, in, &a, start, sink, &pt))) return rc;
        if (!in->read && in_avail(in) == 0) return 0;
    }
}

static int decompress_to(llamazip_ctx *ctx, const uint8_t *src, size_t n, lz_sink sink)
{
    in_stream in;
    memset(&in, 0, sizeof(in));
    in.ctx = ctx;
    in.p = src;
    in.len = n;
    in.eof = 1;
    return decompress_in(ctx, &in, sink);
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

int lz_codec_decompress_reader(llamazip_ctx *ctx, int (*read)(void *user, void *buf, size_t size, size_t *got),
                               void *ruser, int (*write)(void *user, const uint8_t *p, size_t n), void *wuser,
                               uint64_t *consumed)
{
    lz_sink sink = { write, wuser };
    in_stream in;
    memset(&in, 0, sizeof(in));
    in.ctx = ctx;
    in.read = read;
    in.user = ruser;
    const int rc = decompress_in(ctx, &in, sink);
    if (consumed) *consumed = in.offset + in.len;
    free(in.buf);
    return rc;
}
