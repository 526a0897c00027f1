/*
 * kv_cache.c - the state of one sequence: its KV cache, rounded to f16 as
 * llama.cpp's default cache is, and which positions it holds.
 *
 * Full-attention layers hold n_ctx positions. Sliding layers hold a ring of
 * min(n_ctx, window + max_batch) slots (slot = position mod size): a batch
 * writes the K and V of all its tokens before any of them attends, so the
 * ring must keep the window of the batch's first token while the last one
 * is written.
 */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

uint32_t lz_kv_cache_n_ctx(const lz_kv_cache *kv) { return kv->n_ctx; }

static uint32_t swa_slots(const lz_model *m, uint32_t n_ctx, uint32_t max_batch)
{
    const lz_hparams *hp = lz_model_get_hparams(m);
    if (hp->n_swa > 0 && (uint64_t)hp->n_swa + max_batch < n_ctx) return hp->n_swa + max_batch;
    return n_ctx;
}

uint64_t lz_kv_cache_bytes(const lz_model *m, uint32_t n_ctx, uint32_t max_batch)
{
    const lz_hparams *hp = lz_model_get_hparams(m);
    if (max_batch > n_ctx) max_batch = n_ctx;
    const uint32_t cap_swa = swa_slots(m, n_ctx, max_batch);
    uint64_t bytes = 0;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        const uint64_t row = (uint64_t)hp->layers[il].n_head_kv * hp->head_dim;
        bytes += 2 * 2 * row * (hp->layers[il].sliding ? cap_swa : n_ctx);
    }
    return bytes;
}

void lz_kv_cache_free(lz_kv_cache *kv)
{
    if (!kv) return;
    if (kv->kc)
        for (uint32_t il = 0; il < lz_model_get_hparams(kv->m)->n_layer; il++) {
            lz_free_aligned(kv->kc[il]);
            lz_free_aligned(kv->vc[il]);
        }
    free(kv->kc);
    free(kv->vc);
    free(kv->cap);
    free(kv);
}

lz_kv_cache *lz_kv_cache_create(const lz_model *m, uint32_t n_ctx, uint32_t max_batch, lz_err *err)
{
    if (!m || n_ctx == 0 || max_batch == 0 || n_ctx > (1u << 24)) {
        lz_fail(err, LLAMAZIP_E_USAGE, "lz_kv_cache_create: need a model, 1 <= n_ctx <= 2^24 and max_batch >= 1");
        return NULL;
    }
    const lz_hparams *hp = lz_model_get_hparams(m);
    if (max_batch > n_ctx) max_batch = n_ctx;
    lz_kv_cache *kv = calloc(1, sizeof(*kv));
    if (!kv) goto nomem;
    kv->m = m;
    kv->n_ctx = n_ctx;
    kv->max_batch = max_batch;
    kv->cap_swa = swa_slots(m, n_ctx, max_batch);
    kv->kc = calloc(hp->n_layer, sizeof(*kv->kc));
    kv->vc = calloc(hp->n_layer, sizeof(*kv->vc));
    kv->cap = calloc(hp->n_layer, sizeof(*kv->cap));
    if (!kv->kc || !kv->vc || !kv->cap) goto nomem;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        const uint64_t row = (uint64_t)hp->layers[il].n_head_kv * hp->head_dim;
        kv->cap[il] = hp->layers[il].sliding ? kv->cap_swa : n_ctx;
        uint64_t bytes;
        if (lz_mul_u64(row * 2, kv->cap[il], &bytes) || bytes > SIZE_MAX) goto nomem;
        kv->kc[il] = lz_malloc_aligned((size_t)bytes);
        kv->vc[il] = lz_malloc_aligned((size_t)bytes);
        if (!kv->kc[il] || !kv->vc[il]) goto nomem;
    }
    /* RoPE frequency factors of this context (longrope picks by length) */
    const float *factors = m->rope_freqs;
    if (!factors && hp->rope_longrope) factors = n_ctx > hp->rope_orig_ctx ? m->rope_long : m->rope_short;
    lz_rope_cfg_init(&kv->rope[0], hp->n_rot, hp->rope_base, hp->rope_freq_scale, hp->rope_attn_factor, factors);
    lz_rope_cfg_init(&kv->rope[1], hp->n_rot, hp->rope_base_swa, hp->rope_freq_scale_swa, hp->rope_attn_factor,
                     factors);
    return kv;
nomem:
    lz_kv_cache_free(kv);
    lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory for a KV cache of %u positions", n_ctx);
    return NULL;
}

int lz_kv_cache_copy(lz_kv_cache *dst, const lz_kv_cache *src)
{
    if (dst->m != src->m || dst->n_ctx != src->n_ctx || dst->cap_swa != src->cap_swa) return -1;
    const lz_hparams *hp = lz_model_get_hparams(src->m);
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        const size_t bytes = (size_t)hp->layers[il].n_head_kv * hp->head_dim * 2 * src->cap[il];
        memcpy(dst->kc[il], src->kc[il], bytes);
        memcpy(dst->vc[il], src->vc[il], bytes);
    }
    dst->filled = src->filled;
    dst->ring_lo = src->ring_lo;
    return 0;
}

int lz_kv_check(const lz_kv_cache *kv, uint32_t pos0, uint32_t n, lz_err *err)
{
    if ((uint64_t)pos0 + n > kv->n_ctx)
        return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: positions %u..%u exceed the context of %u", pos0,
                       pos0 + n - 1, kv->n_ctx);
    if (n > kv->max_batch)
        return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: %u tokens of one sequence in a batch, at most %u", n,
                       kv->max_batch);
    if (pos0 > kv->filled)
        return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: position %u follows a gap (KV filled up to %u)", pos0,
                       kv->filled);
    const lz_hparams *hp = lz_model_get_hparams(kv->m);
    if (hp->n_swa > 0 && pos0 > 0) {
        const uint32_t need = pos0 + 1 > hp->n_swa ? pos0 + 1 - hp->n_swa : 0;
        if (need < kv->ring_lo)
            return lz_fail(err, LLAMAZIP_E_USAGE,
                           "lz_model_eval: position %u needs sliding-window KV from position %u, already overwritten "
                           "(held from %u)", pos0, need, kv->ring_lo);
    }
    return 0;
}

void lz_kv_note(lz_kv_cache *kv, uint32_t pos0, uint32_t n)
{
    uint32_t lo = kv->ring_lo <= pos0 ? kv->ring_lo : pos0;
    if (pos0 + n > kv->cap_swa && pos0 + n - kv->cap_swa > lo) lo = pos0 + n - kv->cap_swa;
    kv->ring_lo = lo;
    kv->filled = pos0 + n;
}
