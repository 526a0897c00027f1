/*
 * api_ctx.c - public context object: parameters, the thread pool and the
 * logits buffer, and the compress/decompress entry points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "common/platform.h"

#define LZ_DEFAULT_BATCH 64

void llamazip_ctx_params_default(llamazip_ctx_params *p)
{
    if (!p) return;
    memset(p, 0, sizeof(*p));
}

/* The kernel level for a public cpu_level (llamazip.h), lowered to what runs here. */
static lz_isa isa_for_level(int level)
{
    switch (level) {
    case LLAMAZIP_CPU_SCALAR: return LZ_ISA_SCALAR;
    case LLAMAZIP_CPU_AVX2: return lz_cpu_isa_capped(LZ_ISA_AVX2);
    case LLAMAZIP_CPU_AVX512: return lz_cpu_isa_capped(LZ_ISA_AVX512);
    case LLAMAZIP_CPU_NEON: return lz_cpu_isa_capped(LZ_ISA_NEON);
    default: return lz_cpu_isa();
    }
}

static llamazip_status create_failed(lz_err *err, char *errbuf, size_t errbuf_size)
{
    if (errbuf && errbuf_size) snprintf(errbuf, errbuf_size, "%s", err->msg);
    return (llamazip_status)err->code;
}

llamazip_status llamazip_ctx_create(const llamazip_model *model, const llamazip_ctx_params *params,
                                    llamazip_ctx **out, char *errbuf, size_t errbuf_size)
{
    lz_err err;
    lz_err_clear(&err);
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (out) *out = NULL;
    if (!model || !out) {
        lz_fail(&err, LLAMAZIP_E_USAGE, "llamazip_ctx_create: model and out must not be NULL");
        return create_failed(&err, errbuf, errbuf_size);
    }
    /* the pool's threads inherit this thread's floating-point environment */
    if (lz_platform_check(&err)) return create_failed(&err, errbuf, errbuf_size);
    llamazip_ctx_params defaults;
    if (!params) {
        llamazip_ctx_params_default(&defaults);
        params = &defaults;
    }
    if (params->cpu_level < LLAMAZIP_CPU_AUTO || params->cpu_level > LLAMAZIP_CPU_NEON) {
        lz_fail(&err, LLAMAZIP_E_USAGE, "cpu_level %d out of range (0 .. %d)", params->cpu_level,
                LLAMAZIP_CPU_NEON);
        return create_failed(&err, errbuf, errbuf_size);
    }
    llamazip_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        lz_fail(&err, LLAMAZIP_E_NOMEM, "out of memory");
        return create_failed(&err, errbuf, errbuf_size);
    }
    ctx->model = model;
    ctx->params = *params;
    const lz_hparams *hp = lz_model_get_hparams(model->model);
    ctx->n_ctx = params->n_ctx ? params->n_ctx : hp->n_ctx_train;
    ctx->n_batch = params->n_batch ? params->n_batch : LZ_DEFAULT_BATCH;
    ctx->isa = isa_for_level(params->cpu_level);
    int n_threads = params->n_threads ? params->n_threads : model->params.n_threads;
    if (n_threads <= 0) n_threads = lz_cpu_count();
    int rc = 0;
    if (ctx->n_ctx < 2 || ctx->n_ctx > (1u << 24))
        rc = lz_fail(&ctx->err, LLAMAZIP_E_USAGE, "n_ctx %u out of range (2 .. 16777216)", ctx->n_ctx);
    if (!rc && ctx->n_batch > 4096)
        rc = lz_fail(&ctx->err, LLAMAZIP_E_USAGE, "batch size %u out of range (1 .. 4096)", ctx->n_batch);
    if (!rc) {
        ctx->pool = lz_pool_create(n_threads);
        if (!ctx->pool) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory: cannot start %d threads", n_threads);
    }
    if (!rc) {
        size_t n = (size_t)ctx->n_batch * hp->n_vocab;
        ctx->logits = lz_malloc_aligned(n * sizeof(float));
        if (!ctx->logits) rc = lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory for logits");
    }
    if (rc) {
        err = ctx->err;
        if (!err.code) err.code = rc;
        llamazip_ctx_free(ctx);
        return create_failed(&err, errbuf, errbuf_size);
    }
    *out = ctx;
    return LLAMAZIP_OK;
}

void llamazip_ctx_free(llamazip_ctx *ctx)
{
    if (!ctx) return;
    lz_free_aligned(ctx->logits);
    lz_pool_free(ctx->pool);
    free(ctx);
}

const char *llamazip_ctx_error(const llamazip_ctx *ctx)
{
    return ctx ? ctx->err.msg : "no context";
}

void llamazip_free_buffer(void *buf) { free(buf); }

void llamazip_ctx_stats(const llamazip_ctx *ctx, llamazip_stats *stats)
{
    if (!stats) return;
    if (!ctx) { memset(stats, 0, sizeof(*stats)); return; }
    *stats = ctx->stats;
}

typedef int (*codec_fn)(llamazip_ctx *, const uint8_t *, size_t, lz_buf *);

static llamazip_status run_codec(llamazip_ctx *ctx, codec_fn fn, const void *src, size_t n, void **dst,
                                 size_t *dst_size)
{
    if (!ctx) return LLAMAZIP_E_USAGE;
    lz_err_clear(&ctx->err);
    memset(&ctx->stats, 0, sizeof(ctx->stats));
    if (dst) *dst = NULL;
    if (dst_size) *dst_size = 0;
    if (!dst || !dst_size || (!src && n)) {
        return (llamazip_status)lz_fail(&ctx->err, LLAMAZIP_E_USAGE, "NULL buffer argument");
    }
    /* the calling thread codes too: its environment may have changed since ctx_create */
    if (lz_platform_check(&ctx->err)) return (llamazip_status)ctx->err.code;
    /* a model file truncated under the mapping would fault, one rewritten in
     * place would code with weights the fingerprint does not describe */
    if (gguf_check_unchanged(ctx->model->gguf, &ctx->err)) {
        lz_err_context(&ctx->err, "%s", ctx->model->path);
        return (llamazip_status)ctx->err.code;
    }
    double t0 = lz_now_seconds();
    lz_buf out = { 0 };
    int rc = fn(ctx, src ? src : "", n, &out);
    if (!rc && (rc = gguf_check_unchanged(ctx->model->gguf, &ctx->err)))
        lz_err_context(&ctx->err, "%s", ctx->model->path);
    ctx->stats.seconds = lz_now_seconds() - t0;
    if (rc) {
        lz_buf_free(&out);
        if (!ctx->err.msg[0]) lz_fail(&ctx->err, rc, "%s", llamazip_status_name(rc));
        return (llamazip_status)rc;
    }
    ctx->stats.input_bytes = n;
    ctx->stats.output_bytes = out.len;
    if (!out.data) { /* empty output still gets a valid pointer */
        out.data = malloc(1);
        if (!out.data) return (llamazip_status)lz_fail(&ctx->err, LLAMAZIP_E_NOMEM, "out of memory");
    }
    *dst = lz_buf_detach(&out, dst_size);
    return LLAMAZIP_OK;
}

llamazip_status llamazip_compress(llamazip_ctx *ctx, const void *src, size_t n, void **dst, size_t *dst_size)
{
    return run_codec(ctx, lz_codec_compress, src, n, dst, dst_size);
}

llamazip_status llamazip_decompress(llamazip_ctx *ctx, const void *src, size_t n, void **dst, size_t *dst_size)
{
    return run_codec(ctx, lz_codec_decompress, src, n, dst, dst_size);
}

typedef struct {
    llamazip_write_fn write;
    void *user;
    uint64_t bytes;
} stream_out;

static int stream_write(void *user, const uint8_t *p, size_t n)
{
    stream_out *o = user;
    o->bytes += n;
    const int rc = o->write(o->user, p, n);
    return rc ? (rc > 0 ? rc : LLAMAZIP_E_IO) : 0;
}

/* Checks shared by the streamed entries, before any work. */
static int stream_begin(llamazip_ctx *ctx)
{
    lz_err_clear(&ctx->err);
    memset(&ctx->stats, 0, sizeof(ctx->stats));
    if (lz_platform_check(&ctx->err)) return ctx->err.code;
    if (gguf_check_unchanged(ctx->model->gguf, &ctx->err)) {
        lz_err_context(&ctx->err, "%s", ctx->model->path);
        return ctx->err.code;
    }
    return 0;
}

static llamazip_status stream_end(llamazip_ctx *ctx, int rc, double t0, uint64_t in_bytes, const stream_out *o)
{
    if (!rc && (rc = gguf_check_unchanged(ctx->model->gguf, &ctx->err)))
        lz_err_context(&ctx->err, "%s", ctx->model->path);
    ctx->stats.seconds = lz_now_seconds() - t0;
    ctx->stats.input_bytes = in_bytes;
    ctx->stats.output_bytes = o->bytes;
    if (rc && !ctx->err.msg[0]) lz_fail(&ctx->err, rc, "%s", llamazip_status_name(rc));
    return (llamazip_status)rc;
}

llamazip_status llamazip_decompress_stream(llamazip_ctx *ctx, const void *src, size_t n, llamazip_write_fn write,
                                           void *user)
{
    if (!ctx) return LLAMAZIP_E_USAGE;
    int rc = stream_begin(ctx);
    if (rc) return (llamazip_status)rc;
    if (!write || (!src && n)) return (llamazip_status)lz_fail(&ctx->err, LLAMAZIP_E_USAGE, "NULL argument");
    const double t0 = lz_now_seconds();
    stream_out o = { write, user, 0 };
    rc = lz_codec_decompress_stream(ctx, src ? src : "", n, stream_write, &o);
    return stream_end(ctx, rc, t0, n, &o);
}

llamazip_status llamazip_decompress_reader(llamazip_ctx *ctx, llamazip_read_fn read, void *read_user,
                                           llamazip_write_fn write, void *write_user)
{
    if (!ctx) return LLAMAZIP_E_USAGE;
    int rc = stream_begin(ctx);
    if (rc) return (llamazip_status)rc;
    if (!write || !read) return (llamazip_status)lz_fail(&ctx->err, LLAMAZIP_E_USAGE, "NULL argument");
    const double t0 = lz_now_seconds();
    stream_out o = { write, write_user, 0 };
    uint64_t consumed = 0;
    rc = lz_codec_decompress_reader(ctx, read, read_user, stream_write, &o, &consumed);
    return stream_end(ctx, rc, t0, consumed, &o);
}
