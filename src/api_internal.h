/*
 * api_internal.h - the bodies of the public opaque objects, shared by the
 * files that implement the public API (api_model.c, api_ctx.c, codec.c).
 */
#ifndef LZ_API_INTERNAL_H
#define LZ_API_INTERNAL_H

#include "llamazip.h"
#include "common/lz_common.h"
#include "common/buffer.h"
#include "common/cpu.h"
#include "common/threadpool.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

struct llamazip_model {
    llamazip_model_params params;
    char *path;
    gguf_file *gguf;
    lz_model *model;
    lz_tokenizer *tokenizer;
    uint64_t fingerprint;  /* doc/format.md, "Model fingerprint", version 1 (format 1 archives) */
    uint64_t fingerprint2; /* version 2 (format 2 archives) */
};

struct llamazip_ctx {
    const llamazip_model *model;
    llamazip_ctx_params params;
    uint32_t n_ctx;
    uint32_t n_batch;
    lz_isa isa;
    lz_pool *pool;
    float *logits;         /* n_batch rows of n_vocab */
    lz_err err;
    llamazip_stats stats;
};

/* The pipeline (codec.c). Errors are recorded in ctx->err. */
int lz_codec_compress(llamazip_ctx *ctx, const uint8_t *src, size_t n, lz_buf *out);
int lz_codec_decompress(llamazip_ctx *ctx, const uint8_t *src, size_t n, lz_buf *out);
/* The same, the output handed to write() piece by piece, in order (0, or a
 * status that stops decoding). */
int lz_codec_decompress_stream(llamazip_ctx *ctx, const uint8_t *src, size_t n,
                               int (*write)(void *user, const uint8_t *p, size_t n), void *user);
/* Archive bytes a pulled decompression reads before decoding them (8 MiB;
 * tests lower it to cross group boundaries with small archives). */
extern size_t lz_decompress_group_bytes;
/* The same with the archive bytes pulled from `read` (bounded memory);
 * *consumed: the bytes read. */
int lz_codec_decompress_reader(llamazip_ctx *ctx, int (*read)(void *user, void *buf, size_t size, size_t *got),
                               void *ruser, int (*write)(void *user, const uint8_t *p, size_t n), void *wuser,
                               uint64_t *consumed);

#endif /* LZ_API_INTERNAL_H */
