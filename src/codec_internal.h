/*
 * codec_internal.h - what the files of the pipeline share:
 *   codec.c          helpers: progress, the window schedule, sizes
 *   codec_compress.c input -> runs -> segments -> frames -> archive (format 2)
 *   codec_decompress.c archives (format 1 and 2, concatenated) -> frames in order -> output
 *   codec_encode.c   the text segments of an input coded many at a time
 *   codec_streams.c  the MODEL frames of an archive decoded many at a time
 */
#ifndef LZ_CODEC_INTERNAL_H
#define LZ_CODEC_INTERNAL_H

#include <stdint.h>

#include "api_internal.h"
#include "coder/freq.h"
#include "coder/rangecoder.h"
#include "format/container.h"

#define RUN_BLOCK 4096          /* classification granularity */
#define MIN_TEXT_RUN 16         /* shorter text runs are not worth a model frame */
#define ZSTD_LEVEL 19
#define LZ_DEFAULT_SEGMENT ((uint64_t)96 << 10)   /* doc/results/segments.md: the smallest size within 1 % */
#define LZ_MAX_STREAMS 64       /* segments decoded at once, at most */

/* ---------------------------------------------------------------- progress */

typedef struct {
    llamazip_ctx *ctx;
    double t0;
    uint64_t bytes_total;
    uint64_t bytes_base;     /* original bytes of the frames already finished */
    uint64_t coded_base;     /* archive bytes of the frames already finished */
    int decompressing;
} progress_tracker;

/* Report progress (and let the callback cancel: LLAMAZIP_E_CANCELLED). */
int lz_codec_progress(progress_tracker *pt, uint64_t bytes_in_run, uint64_t coded_in_run);

/* ---------------------------------------------------------------- model */

int32_t lz_codec_bos(const llamazip_ctx *ctx);
uint32_t lz_codec_n_vocab(const llamazip_ctx *ctx);

/* The window schedule (doc/format.md, "MODEL frames"): the prefix of the
 * window that codes t[i] first is BOS + the min(i, overlap) tokens before
 * t[i]; it is written to buf, and its length returned. */
uint32_t lz_window_prefix(const llamazip_ctx *ctx, const int32_t *t, uint64_t i, uint32_t overlap, int32_t *buf);

/* The archive's settings as the decoder uses them. */
typedef struct {
    uint32_t n_ctx;
    uint32_t overlap;
} lz_coding_settings;

/* n_ctx a format-2 archive without settings means: the model's own. */
uint32_t lz_default_n_ctx(const llamazip_ctx *ctx);

/* ---------------------------------------------------------------- output */

/* Where decoded bytes go, in order. */
typedef struct {
    int (*write)(void *user, const uint8_t *p, size_t n);   /* 0, or a status */
    void *user;
} lz_sink;

/* ---------------------------------------------------------------- streams */

/* A finished segment: frame `index` of the archive decoded to `text`
 * (malloc'd, raw_size bytes; the callee takes it). Returns 0 or a status. */
typedef int (*lz_segment_done_fn)(void *user, size_t index, uint8_t *text);

/*
 * Decode the MODEL frames frames[idx[0..n)] (payloads and sizes as parsed;
 * implicit_tokens: the compact form, whose token count is not stored), up
 * to ctx's stream count at once. Segments start in the order given; at most
 * `lookahead` of them past the first unfinished one. Each finished segment
 * goes to done(); errors stop everything and are recorded in ctx->err.
 */
int lz_decode_segments(llamazip_ctx *ctx, const lz_frame *frames, const size_t *idx, size_t n, int implicit_tokens,
                       lz_coding_settings set, lz_segment_done_fn done, void *user, progress_tracker *pt);

/* Streams the decoder would use for n segments of the given settings. */
uint32_t lz_decode_streams(const llamazip_ctx *ctx, size_t n_segments, const lz_frame *frames, const size_t *idx,
                           lz_coding_settings set);

/* ---------------------------------------------------------------- text segments */

/* A segment of text to code with the model (codec_encode.c). */
typedef struct {
    const uint8_t *p;        /* its bytes */
    size_t n;
    int unsupported;         /* bytes the vocabulary cannot express: stored as RAW or ZSTD */
    uint64_t n_tokens;
    int last_token_silent;   /* its last token adds no byte */
    uint8_t *payload;        /* the model-coded bytes (malloc'd; the caller frees) */
    size_t payload_size;
} lz_text_segment;

/*
 * Code the segments segs[0..n) with the model, each from a fresh context
 * with the window schedule of doc/format.md, several at once in shared
 * batches of up to ctx->n_batch tokens. Fills each segment's payload (or
 * sets `unsupported`). Errors are recorded in ctx->err.
 */
int lz_encode_segments(llamazip_ctx *ctx, lz_text_segment *segs, size_t n, uint32_t overlap, progress_tracker *pt);

#endif /* LZ_CODEC_INTERNAL_H */
