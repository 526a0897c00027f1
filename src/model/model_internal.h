/*
 * model_internal.h - the loaded model (weights, hyperparameters) as the
 * files of src/model/ share it: weights.c fills it, forward.c reads it.
 * Nothing outside src/model/ includes this; they go through model.h.
 */
#ifndef LZ_MODEL_INTERNAL_H
#define LZ_MODEL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "../quant/kernels.h"
#include "../quant/quant.h"
#include "arch.h"
#include "model.h"
#include "ops.h"

/* ================================================================ weights */

/* The packed form of a matrix (quant/kernels.h), made on its first
 * product with several columns and kept for the model's lifetime. */
typedef struct {
    atomic_int ready;      /* pm is final (packed, or LZ_PACK_NONE: none) */
    lz_packed_mat pm;
} mat_pack;

/* A weight matrix inside the mapping: n_out rows of n_in values. */
typedef struct {
    const uint8_t *data;
    lz_type type;
    lz_type act_type;     /* partner type the activations are quantized to */
    uint32_t n_in;
    uint32_t n_out;
    size_t row_bytes;
    mat_pack *pack;       /* NULL for matrices that take no products (embeddings) */
} lz_mat;

typedef struct {
    const float *attn_norm, *q_norm, *k_norm, *post_attn_norm;
    const float *ffn_norm, *post_ffw_norm;
    lz_mat wq, wk, wv, wo;           /* views into attn_qkv when fused */
    lz_mat gate, up, down;           /* views into ffn_up when fused */
    const float *bq, *bk, *bv, *bo;  /* NULL when absent */
    const float *b_gate, *b_up, *b_down;
} lz_layer;

struct lz_model {
    const lz_arch *arch;
    lz_hparams hp;
    lz_layer *layers;
    lz_mat tok_embd;
    lz_mat output;                   /* = tok_embd when tied */
    const float *output_norm;
    const float *output_bias;
    const float *rope_freqs, *rope_long, *rope_short;
    float **owned;                   /* f32 copies of the small vectors */
    size_t n_owned, cap_owned;
    uint32_t n_q_max, n_kv_max, n_ff_max;  /* widest layer, in floats */
    size_t act_row_max;              /* bytes of the widest quantized activation row */
    int has_swa;
    mat_pack *packs;                 /* one per matrix that takes products */
    size_t n_packs;
    pthread_mutex_t pack_mu;         /* serialises the packing of a matrix */
};


/* Query heads of one KV head evaluated together at most (attention). */
#define LZ_MAX_GROUP 16

/* The KV cache of one sequence (kv_cache.c). */
struct lz_kv_cache {
    const lz_model *m;
    uint32_t n_ctx;
    uint32_t max_batch;    /* most tokens of this sequence in one batch */
    uint32_t cap_swa;      /* slots of the sliding layers' ring caches */
    uint32_t filled;       /* KV holds positions [0, filled) ... */
    uint32_t ring_lo;      /* ... of which sliding layers still hold [ring_lo, filled) */
    uint16_t **kc, **vc;   /* per layer: cap x (n_head_kv * head_dim) f16 */
    uint32_t *cap;         /* per layer: n_ctx, or cap_swa for sliding layers */
    lz_rope_cfg rope[2];   /* RoPE of this context length: [0] full layers, [1] sliding */
};

/* Whether `n` tokens starting at position pos0 may be evaluated next in
 * this cache (kv_cache.c); then record that they were. */
int lz_kv_check(const lz_kv_cache *kv, uint32_t pos0, uint32_t n, lz_err *err);
void lz_kv_note(lz_kv_cache *kv, uint32_t pos0, uint32_t n);

#endif /* LZ_MODEL_INTERNAL_H */
