/*
 * codec.c - what both directions of the pipeline share: progress reports,
 * the window schedule of MODEL frames, the model's defaults.
 *
 * The window schedule (doc/format.md) is the part both directions must
 * agree on to the bit: compression evaluates each window in batches,
 * decompression one token per step (of many segments at once), and the
 * engine guarantees identical logits for both (doc/determinism.md).
 */
#include <string.h>

#include "codec_internal.h"

int lz_codec_progress(progress_tracker *pt, uint64_t bytes_in_run, uint64_t coded_in_run)
{
    llamazip_ctx *ctx = pt->ctx;
    /* a model file rewritten under us: stop now rather than at the end (one fstat) */
    int rc = gguf_check_unchanged(ctx->model->gguf, &ctx->err);
    if (rc) {
        lz_err_context(&ctx->err, "%s", ctx->model->path);
        return rc;
    }
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

int32_t lz_codec_bos(const llamazip_ctx *ctx)
{
    int32_t bos = lz_tokenizer_bos(ctx->model->tokenizer);
    return bos >= 0 ? bos : 0;
}

uint32_t lz_codec_n_vocab(const llamazip_ctx *ctx) { return lz_model_get_hparams(ctx->model->model)->n_vocab; }

uint32_t lz_window_prefix(const llamazip_ctx *ctx, const int32_t *t, uint64_t i, uint32_t overlap, int32_t *buf)
{
    uint32_t k = i < overlap ? (uint32_t)i : overlap;
    buf[0] = lz_codec_bos(ctx);
    memcpy(buf + 1, t + i - k, k * sizeof(int32_t));
    return 1 + k;
}

uint32_t lz_default_n_ctx(const llamazip_ctx *ctx)
{
    const uint32_t n = lz_model_get_hparams(ctx->model->model)->n_ctx_train;
    if (n < 2) return 2;
    return n > LZ_MAX_N_CTX ? LZ_MAX_N_CTX : n;
}
