/*
 * api_model.c - public model object: loading (GGUF + engine + tokenizer),
 * the model fingerprint stored in archives, and the human-readable
 * description behind `llama-zip --info`. Which model to load is the
 * caller's choice (programs/model_path.c, python/llama_zip/_defaults.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "api_internal.h"
#include "format/fingerprint.h"
#include "quant/quant.h"

void llamazip_model_params_default(llamazip_model_params *p)
{
    if (!p) return;
    memset(p, 0, sizeof(*p));
    p->n_threads = 0;
    p->n_gpu_layers = -1;
}

static void copy_error(char *buf, size_t size, const lz_err *err)
{
    if (buf && size) snprintf(buf, size, "%s", err->msg);
}

/* ---------------------------------------------------------------- load */

llamazip_status llamazip_model_load(const char *path, const llamazip_model_params *params,
                                    llamazip_model **out, char *errbuf, size_t errbuf_size)
{
    lz_err err;
    lz_err_clear(&err);
    if (out) *out = NULL;
    if (!path || !out) {
        lz_fail(&err, LLAMAZIP_E_USAGE, "llamazip_model_load: path and out must not be NULL");
        copy_error(errbuf, errbuf_size, &err);
        return LLAMAZIP_E_USAGE;
    }
    llamazip_model_params defaults;
    if (!params) {
        llamazip_model_params_default(&defaults);
        params = &defaults;
    }
    llamazip_model *m = calloc(1, sizeof(*m));
    if (!m) {
        lz_fail(&err, LLAMAZIP_E_NOMEM, "out of memory");
        copy_error(errbuf, errbuf_size, &err);
        return LLAMAZIP_E_NOMEM;
    }
    m->params = *params;
    m->path = strdup(path);
    int rc = m->path ? 0 : lz_fail(&err, LLAMAZIP_E_NOMEM, "out of memory");
    if (!rc) rc = gguf_open(path, params->use_mlock, &m->gguf, &err);
    if (!rc) rc = lz_model_load(m->gguf, &m->model, &err);
    if (!rc) rc = lz_tokenizer_load(m->gguf, &m->tokenizer, &err);
    if (!rc) rc = lz_fingerprints(m->gguf, &m->fingerprint, &m->fingerprint2, &err);
    if (!rc && lz_tokenizer_n_vocab(m->tokenizer) > lz_model_get_hparams(m->model)->n_vocab)
        rc = lz_fail(&err, LLAMAZIP_E_UNSUPPORTED, "tokenizer has %u tokens but the model only %u outputs",
                     lz_tokenizer_n_vocab(m->tokenizer), lz_model_get_hparams(m->model)->n_vocab);
    if (rc) {
        if (!strstr(err.msg, path)) lz_err_context(&err, "%s", path); /* gguf_open names it already */
        copy_error(errbuf, errbuf_size, &err);
        llamazip_model_free(m);
        return (llamazip_status)rc;
    }
    *out = m;
    return LLAMAZIP_OK;
}

void llamazip_model_free(llamazip_model *m)
{
    if (!m) return;
    lz_tokenizer_free(m->tokenizer);
    lz_model_free(m->model);
    gguf_close(m->gguf);
    free(m->path);
    free(m);
}

uint32_t llamazip_model_context_length(const llamazip_model *m)
{
    return m ? lz_model_get_hparams(m->model)->n_ctx_train : 0;
}

/* ---------------------------------------------------------------- describe */

typedef struct {
    char *buf;
    size_t size;
    size_t len; /* length it would have */
} text_out;

static void out_printf(text_out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void out_printf(text_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->size ? o->size - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

size_t llamazip_model_describe(const llamazip_model *m, char *buf, size_t size)
{
    text_out o = { buf, size, 0 };
    if (buf && size) buf[0] = '\0';
    if (!m) return 0;
    const lz_hparams *hp = lz_model_get_hparams(m->model);
    const gguf_file *f = m->gguf;
    const char *name = NULL;
    uint64_t name_len = 0;
    lz_err err;
    if (gguf_get_str(f, "general.name", &name, &name_len, &err)) { name = "(unnamed)"; name_len = 9; }
    out_printf(&o, "file:            %s\n", m->path);
    out_printf(&o, "name:            %.*s\n", (int)LZ_MIN(name_len, 200), name);
    out_printf(&o, "gguf version:    %u, %lld tensors, %lld metadata keys, alignment %u\n", gguf_version(f),
               (long long)gguf_n_tensors(f), (long long)gguf_n_kv(f), gguf_alignment(f));
    out_printf(&o, "architecture:    %s\n", lz_model_arch_name(m->model));
    out_printf(&o, "layers:          %u\n", hp->n_layer);
    out_printf(&o, "embedding:       %u\n", hp->n_embd);
    out_printf(&o, "heads:           %u (kv %u), head dim %u\n", hp->layers[0].n_head, hp->layers[0].n_head_kv,
               hp->head_dim);
    out_printf(&o, "feed-forward:    %u\n", hp->layers[0].n_ff);
    out_printf(&o, "context length:  %u\n", hp->n_ctx_train);
    if (hp->n_swa) out_printf(&o, "sliding window:  %u\n", hp->n_swa);
    out_printf(&o, "rope base:       %g\n", (double)hp->rope_base);
    out_printf(&o, "rms eps:         %g\n", (double)hp->rms_eps);
    out_printf(&o, "tokenizer:       %s, %u tokens, BOS %d\n", lz_tokenizer_kind(m->tokenizer),
               lz_tokenizer_n_vocab(m->tokenizer), lz_tokenizer_bos(m->tokenizer));
    out_printf(&o, "vocabulary:      %u model outputs\n", hp->n_vocab);
    out_printf(&o, "fingerprint:     %016llx (format 2 archives), %016llx (format 1)\n",
               (unsigned long long)m->fingerprint2, (unsigned long long)m->fingerprint);

    /* histogram of tensor types */
    uint64_t count[LZ_TYPE_MAX_CODE + 1], bytes[LZ_TYPE_MAX_CODE + 1], elems[LZ_TYPE_MAX_CODE + 1];
    memset(count, 0, sizeof(count));
    memset(bytes, 0, sizeof(bytes));
    memset(elems, 0, sizeof(elems));
    uint64_t total_bytes = 0, total_elems = 0;
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        uint32_t ty = t->type <= LZ_TYPE_MAX_CODE ? t->type : LZ_TYPE_MAX_CODE;
        uint64_t ne = t->ne[0] * t->n_rows;
        count[ty]++;
        bytes[ty] += t->nbytes;
        elems[ty] += ne;
        total_bytes += t->nbytes;
        total_elems += ne;
    }
    out_printf(&o, "tensors:         %llu parameters, %.1f MiB, %.2f bits per weight\n",
               (unsigned long long)total_elems, total_bytes / 1048576.0,
               total_elems ? 8.0 * total_bytes / total_elems : 0.0);
    out_printf(&o, "  %-6s %7s %12s %14s %6s\n", "type", "tensors", "MiB", "parameters", "bpw");
    for (uint32_t ty = 0; ty <= LZ_TYPE_MAX_CODE; ty++) {
        if (!count[ty]) continue;
        out_printf(&o, "  %-6s %7llu %12.2f %14llu %6.2f\n", lz_type_name(ty), (unsigned long long)count[ty],
                   bytes[ty] / 1048576.0, (unsigned long long)elems[ty],
                   elems[ty] ? 8.0 * bytes[ty] / elems[ty] : 0.0);
    }
    return o.len;
}
