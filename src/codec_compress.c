/*
 * codec_compress.c - input bytes -> text/binary runs -> segments -> frames
 * -> a format-2 archive (doc/format.md).
 *
 * Text runs are tokenized and cut into segments of about the context's
 * segment size, each coded by the model with a fresh context (a MODEL
 * frame), unless zstd or storing it raw is smaller; binary runs become
 * ZSTD or RAW frames. One MODEL frame alone (short inputs) makes the
 * compact form.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec_internal.h"

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

/* Raw bytes of one RAW or ZSTD frame, at most. */
#define BINARY_PIECE ((size_t)4 << 20)

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

/* ---------------------------------------------------------------- frames */

/* The frames being built; payloads owned here until the archive is written. */
typedef struct {
    lz_frame *f;
    uint8_t **owned;        /* per frame: its payload buffer if owned, else NULL */
    size_t n, cap;
    int last_token_silent;  /* the last MODEL frame's last token adds no byte */
} frame_list;

static int frames_push(frame_list *fl, const lz_frame *f, uint8_t *owned)
{
    if (fl->n == fl->cap) {
        size_t nc = fl->cap ? 2 * fl->cap : 16;
        lz_frame *nf = realloc(fl->f, nc * sizeof(*nf));
        if (!nf) return LLAMAZIP_E_NOMEM;
        fl->f = nf;
        uint8_t **no = realloc(fl->owned, nc * sizeof(*no));
        if (!no) return LLAMAZIP_E_NOMEM;
        fl->owned = no;
        fl->cap = nc;
    }
    fl->f[fl->n] = *f;
    fl->owned[fl->n] = owned;
    fl->n++;
    return 0;
}

static void frames_free(frame_list *fl)
{
    for (size_t i = 0; i < fl->n; i++) free(fl->owned[i]);
    free(fl->f);
    free(fl->owned);
}

/* A RAW or ZSTD frame for p[0..n), whichever is smaller. With model_size
 * given (a model-coded size), nothing is added when the model does at
 * least as well (*use_model = 1). */
static int raw_or_zstd(llamazip_ctx *ctx, const uint8_t *p, size_t n, frame_list *fl, size_t model_size, int *use_model)
{
    const size_t bound = ZSTD_compressBound(n);
    uint8_t *z = malloc(bound ? bound : 1);
    if (!z) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    const size_t zn = ZSTD_compress(z, bound, p, n, ZSTD_LEVEL);
    if (ZSTD_isError(zn) && ZSTD_getErrorCode(zn) == ZSTD_error_memory_allocation) {
        free(z); /* not a RAW frame instead: the archive must not depend on the memory available */
        return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory (zstd)");
    }
    const int zok = !ZSTD_isError(zn);
    if (use_model) {
        *use_model = model_size <= n && (!zok || model_size <= zn);
        if (*use_model) {
            free(z);
            return 0;
        }
    }
    lz_frame f;
    memset(&f, 0, sizeof(f));
    f.raw_size = n;
    uint8_t *owned = NULL;
    if (zok && zn < n) {
        f.tag = LZ_FRAME_ZSTD;
        f.payload = z;
        f.payload_size = zn;
        owned = z;
    } else {
        free(z);
        f.tag = LZ_FRAME_RAW;
        f.payload = p;
        f.payload_size = n;
    }
    if (frames_push(fl, &f, owned)) {
        free(owned);
        return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    }
    return 0;
}

/* A text segment's frame: MODEL, or RAW/ZSTD where they are smaller (or
 * where the vocabulary cannot express its bytes). */
static int segment_frame(llamazip_ctx *ctx, lz_text_segment *seg, frame_list *fl)
{
    if (seg->unsupported) return raw_or_zstd(ctx, seg->p, seg->n, fl, 0, NULL);
    int use_model = 0;
    /* + a few bytes for the frame's header fields */
    int rc = raw_or_zstd(ctx, seg->p, seg->n, fl, seg->payload_size + 8, &use_model);
    if (rc || !use_model) return rc;
    lz_frame f;
    memset(&f, 0, sizeof(f));
    f.tag = LZ_FRAME_MODEL;
    f.raw_size = seg->n;
    f.n_tokens = seg->n_tokens;
    f.payload = seg->payload;
    f.payload_size = seg->payload_size;
    if (frames_push(fl, &f, seg->payload)) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    seg->payload = NULL;   /* the frame list owns it */
    /* the compact form ends on the token whose text reaches the size */
    fl->last_token_silent = seg->last_token_silent;
    return 0;
}

/* ---------------------------------------------------------------- segments */

typedef struct {
    size_t *at;
    size_t n, cap;
} cut_list;

static int cuts_push(cut_list *c, size_t at)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 8;
        size_t *na = realloc(c->at, nc * sizeof(*na));
        if (!na) return LLAMAZIP_E_NOMEM;
        c->at = na;
        c->cap = nc;
    }
    c->at[c->n++] = at;
    return 0;
}

/* Segment ends for a text run of n bytes: after the first token boundary
 * at or past each multiple of the segment size (boundaries of the whole
 * run's tokenization, so that no segment cuts a word or a character); the
 * last end is n. */
static int segment_ends(llamazip_ctx *ctx, const uint8_t *p, size_t n, uint64_t seg, cut_list *cuts)
{
    memset(cuts, 0, sizeof(*cuts));
    int rc = 0;
    if (seg > 0 && seg < n) {
        int32_t *tokens = NULL;
        size_t n_tokens = 0;
        lz_err terr;
        lz_err_clear(&terr);
        rc = lz_tokenize(ctx->model->tokenizer, p, n, &tokens, &n_tokens, &terr);
        if (rc == LLAMAZIP_E_UNSUPPORTED) {
            /* bytes the vocabulary cannot express: fixed cuts (zstd codes them anyway) */
            rc = 0;
            for (uint64_t at = seg; !rc && at < n; at += seg) rc = cuts_push(cuts, (size_t)at);
        } else if (rc) {
            free(tokens);
            return lz_fail(&ctx->err, rc, "%s", terr.msg);
        } else {
            lz_detok_state ds;
            lz_detok_begin(ctx->model->tokenizer, &ds);
            uint64_t at = 0, next = seg;
            for (size_t k = 0; !rc && k < n_tokens && next < n; k++) {
                at += (uint64_t)lz_detok_len(ctx->model->tokenizer, &ds, tokens[k]);
                if (at < next || at >= n) continue;
                rc = cuts_push(cuts, (size_t)at);
                next = at + seg;
            }
        }
        free(tokens);
    }
    if (!rc) rc = cuts_push(cuts, n);
    if (rc) {
        free(cuts->at);
        return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    }
    return 0;
}

static uint32_t effective_overlap(const llamazip_ctx *ctx)
{
    uint32_t k = ctx->params.window_overlap;
    if (ctx->params.window_overlap_percent)
        k = (uint32_t)((uint64_t)ctx->params.window_overlap_percent * (ctx->n_ctx - 1) / 100);
    return k > ctx->n_ctx - 2 ? ctx->n_ctx - 2 : k;
}

static uint64_t segment_size(const llamazip_ctx *ctx)
{
    const uint64_t s = ctx->params.segment_size;
    if (s == 0) return LZ_DEFAULT_SEGMENT;
    return s == LLAMAZIP_SEGMENT_NONE ? 0 : s;
}

/* ---------------------------------------------------------------- pieces */

/* The input in order: binary runs and the text runs' segments. */
typedef struct {
    const uint8_t *p;
    size_t n;
    size_t seg;   /* index of its text segment, or NO_SEGMENT */
} piece;

#define NO_SEGMENT ((size_t)-1)

typedef struct {
    piece *pc;
    size_t n, cap;
    lz_text_segment *segs;
    size_t n_segs, segs_cap;
} piece_list;

static int pieces_push(piece_list *l, const uint8_t *p, size_t n, int text)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 16;
        piece *np = realloc(l->pc, nc * sizeof(*np));
        if (!np) return LLAMAZIP_E_NOMEM;
        l->pc = np;
        l->cap = nc;
    }
    if (text && l->n_segs == l->segs_cap) {
        size_t nc = l->segs_cap ? 2 * l->segs_cap : 16;
        lz_text_segment *ns = realloc(l->segs, nc * sizeof(*ns));
        if (!ns) return LLAMAZIP_E_NOMEM;
        l->segs = ns;
        l->segs_cap = nc;
    }
    piece *pc = &l->pc[l->n++];
    pc->p = p;
    pc->n = n;
    pc->seg = NO_SEGMENT;
    if (text) {
        lz_text_segment *sg = &l->segs[l->n_segs];
        memset(sg, 0, sizeof(*sg));
        sg->p = p;
        sg->n = n;
        pc->seg = l->n_segs++;
    }
    return 0;
}

static void pieces_free(piece_list *l)
{
    for (size_t i = 0; i < l->n_segs; i++) free(l->segs[i].payload);
    free(l->segs);
    free(l->pc);
}

/* Cut the input into pieces: binary runs (and text runs too short for
 * the model) whole, text runs into segments. */
static int cut_pieces(llamazip_ctx *ctx, const uint8_t *src, size_t n, piece_list *l)
{
    memset(l, 0, sizeof(*l));
    run *runs = NULL;
    size_t n_runs = 0;
    if (split_runs(src, n, &runs, &n_runs)) return lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    const uint64_t seg = segment_size(ctx);
    int rc = 0;
    for (size_t r = 0; !rc && r < n_runs; r++) {
        const uint8_t *p = src + runs[r].start;
        const size_t len = runs[r].len;
        if (!runs[r].text || len < MIN_TEXT_RUN) {
            /* at most BINARY_PIECE per frame, so that a decoder pulling the
             * archive holds a bounded piece of it (codec_decompress.c) */
            for (size_t off = 0; !rc && off < len; off += BINARY_PIECE)
                if (pieces_push(l, p + off, len - off < BINARY_PIECE ? len - off : BINARY_PIECE, 0))
                    rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
            continue;
        }
        cut_list cuts;
        if ((rc = segment_ends(ctx, p, len, seg, &cuts))) break;
        for (size_t k = 0, start = 0; !rc && k < cuts.n; start = cuts.at[k++])
            if (pieces_push(l, p + start, cuts.at[k] - start, 1)) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
        free(cuts.at);
    }
    free(runs);
    return rc;
}

/* ---------------------------------------------------------------- entry */

int lz_codec_compress(llamazip_ctx *ctx, const uint8_t *src, size_t n, lz_buf *out)
{
    lz_archive a;
    memset(&a, 0, sizeof(a));
    a.version = 2;
    a.n_ctx = ctx->n_ctx;
    a.window_overlap = effective_overlap(ctx);
    a.has_settings = a.n_ctx != lz_default_n_ctx(ctx) || a.window_overlap != 0;
    a.original_size = n;
    a.checksum = XXH64(src, n, 0);

    frame_list fl;
    memset(&fl, 0, sizeof(fl));
    piece_list pl;
    int rc = cut_pieces(ctx, src, n, &pl);
    progress_tracker pt = { ctx, lz_now_seconds(), n, 0, 0, 0 };
    if (!rc) rc = lz_encode_segments(ctx, pl.segs, pl.n_segs, a.window_overlap, &pt);
    /* the frames in input order */
    for (size_t i = 0; !rc && i < pl.n; i++) {
        const piece *pc = &pl.pc[i];
        rc = pc->seg == NO_SEGMENT ? raw_or_zstd(ctx, pc->p, pc->n, &fl, 0, NULL)
                                   : segment_frame(ctx, &pl.segs[pc->seg], &fl);
    }
    if (!rc) {
        pt.bytes_base = n;
        rc = lz_codec_progress(&pt, 0, 0);
    }
    if (!rc) {
        /* one MODEL frame (or nothing): the compact form */
        a.compact = n == 0 || (fl.n == 1 && fl.f[0].tag == LZ_FRAME_MODEL && !fl.last_token_silent);
        a.model_id = a.compact ? (ctx->model->fingerprint2 & 0xFFFF) : ctx->model->fingerprint2;
        a.frames = fl.f;
        a.n_frames = fl.n;
        if (lz_archive_write_v2(out, &a)) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    }
    frames_free(&fl);
    pieces_free(&pl);
    return rc;
}
