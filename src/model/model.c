/*
 * model.c - the generic decoder: loading (hyperparameters and tensors from
 * GGUF, checked once), the evaluation state (KV cache and scratch) and the
 * forward pass.
 *
 * Forward pass for a batch of B tokens at positions pos0 .. pos0+B-1
 * (doc/engine.md has it per architecture):
 *   x = embedding rows (dequantized per token) [* sqrtf(n_embd)]
 *   per layer:
 *     a = rmsnorm(x) * attn_norm
 *     q, k, v = Wq a, Wk a, Wv a (+ biases)          matmuls
 *     per token and head: [rmsnorm q, k], RoPE, [q *= scale], k, v -> f16 cache
 *     att = softmax(q.K^T [* scale]) V over the visible positions
 *     o = Wo att (+ bias) [; o = rmsnorm(o) * post_attention_norm]
 *     x = x + o
 *     f = rmsnorm(x) * ffn_norm
 *     g = act(Wgate f) * (Wup f)                      (gate/up fused for phi3)
 *     o = Wdown g (+ bias) [; o = rmsnorm(o) * post_ffw_norm]
 *     x = x + o
 *   logits = Wout (rmsnorm(x) * output_norm) (+ bias) [softcap]
 *
 * Matrix products go through lz_gemm with the activations quantized once
 * per row into the weight type's partner type; they are threaded over
 * chunks of output rows. Every other op works on one token (or one token
 * and head) at a time in the canonical orders of ops.c, so neither the
 * batch size nor the thread count nor the ISA changes a bit of the result.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/f16.h"
#include "../common/lz_math.h"
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
    lz_model_hparams pub;
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

static lz_mat mat_rows(const lz_mat *m, uint32_t r0, uint32_t n)
{
    lz_mat v = *m;
    v.data = m->data + (size_t)r0 * m->row_bytes;
    v.n_out = n;
    return v;
}

/* ================================================================ loading */

typedef struct {
    const gguf_file *f;
    lz_model *m;
    lz_err *err;
} loader;

static const char *const g_weight_types =
    "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K";

static int own_vec(lz_model *m, float *p)
{
    if (m->n_owned == m->cap_owned) {
        size_t cap = m->cap_owned ? 2 * m->cap_owned : 64;
        float **o = realloc(m->owned, cap * sizeof(*o));
        if (!o) return 1;
        m->owned = o;
        m->cap_owned = cap;
    }
    m->owned[m->n_owned++] = p;
    return 0;
}

static int check_shape(loader *L, const gguf_tensor *t, uint64_t ne0, uint64_t ne1)
{
    if (t->ne[0] != ne0 || t->ne[1] != ne1 || t->ne[2] != 1 || t->ne[3] != 1)
        return lz_fail(L->err, LLAMAZIP_E_GGUF,
                       "%s: tensor '%s' has shape [%llu, %llu, %llu, %llu], expected [%llu, %llu]",
                       L->m->arch->name, t->name, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                       (unsigned long long)t->ne[2], (unsigned long long)t->ne[3], (unsigned long long)ne0,
                       (unsigned long long)ne1);
    const lz_type_traits *tr = lz_type_get(t->type);
    if (!tr || !tr->is_weight_type)
        return lz_fail(L->err, LLAMAZIP_E_UNSUPPORTED, "%s: tensor '%s' has type %s, which is not supported (supported: %s)",
                       L->m->arch->name, t->name, lz_type_name(t->type), g_weight_types);
    if (ne0 % (uint64_t)tr->block_size != 0)
        return lz_fail(L->err, LLAMAZIP_E_GGUF, "%s: tensor '%s': row length %llu is not a multiple of the %s block (%d)",
                       L->m->arch->name, t->name, (unsigned long long)ne0, tr->name, tr->block_size);
    return 0;
}

static int find_tensor(loader *L, const char *name, lz_need need, const gguf_tensor **out)
{
    *out = NULL;
    if (need == LZ_NEED_NONE) return 0;
    *out = gguf_find_tensor(L->f, name);
    if (!*out && need == LZ_NEED_REQUIRED)
        return lz_fail(L->err, LLAMAZIP_E_GGUF, "%s: missing tensor '%s'", L->m->arch->name, name);
    return 0;
}

static int load_mat(loader *L, const char *name, lz_need need, uint32_t n_in, uint32_t n_out, lz_mat *out)
{
    const gguf_tensor *t;
    memset(out, 0, sizeof(*out));
    int rc = find_tensor(L, name, need, &t);
    if (rc || !t) return rc;
    if ((rc = check_shape(L, t, n_in, n_out))) return rc;
    out->data = t->data;
    out->type = (lz_type)t->type;
    out->act_type = lz_type_get(t->type)->vec_dot_type;
    out->n_in = n_in;
    out->n_out = n_out;
    out->row_bytes = lz_row_size(out->type, n_in);
    size_t act = lz_row_size(out->act_type, n_in);
    if (act > L->m->act_row_max) L->m->act_row_max = act;
    return 0;
}

/* Small vectors (norms, biases, rope factors) are copied to f32. */
static int load_vec(loader *L, const char *name, lz_need need, uint32_t n, const float **out)
{
    const gguf_tensor *t;
    *out = NULL;
    int rc = find_tensor(L, name, need, &t);
    if (rc || !t) return rc;
    if ((rc = check_shape(L, t, n, 1))) return rc;
    float *v = malloc((size_t)n * sizeof(float));
    if (!v || own_vec(L->m, v)) {
        free(v);
        return lz_fail(L->err, LLAMAZIP_E_NOMEM, "out of memory loading '%s'", name);
    }
    lz_dequantize_row((lz_type)t->type, t->data, v, n);
    *out = v;
    return 0;
}

static const char *blk(char *buf, size_t size, uint32_t il, const char *suffix)
{
    snprintf(buf, size, "blk.%u.%s", il, suffix);
    return buf;
}

static int read_rope_scaling(const gguf_file *f, const char *arch, lz_hparams *hp, lz_err *err)
{
    char key[128];
    int rc;
    int type_none = 0;
    lz_arch_key(key, sizeof(key), arch, "rope.scaling.type");
    if (gguf_find_key(f, key) >= 0) {
        const char *s;
        uint64_t len;
        if ((rc = gguf_get_str(f, key, &s, &len, err))) return rc;
        if (len == 4 && !memcmp(s, "none", 4)) type_none = 1;
        else if (len == 8 && !memcmp(s, "longrope", 8)) hp->rope_longrope = 1;
        else if (!(len == 6 && !memcmp(s, "linear", 6)))
            return lz_fail(err, LLAMAZIP_E_UNSUPPORTED,
                           "%s: rope scaling '%.*s' is not supported (supported: none, linear, longrope)", arch,
                           (int)(len > 32 ? 32 : len), s);
    }
    float factor;
    if ((rc = gguf_get_f32_opt(f, lz_arch_key(key, sizeof(key), arch, "rope.scaling.factor"), 0.0f, &factor, err)))
        return rc;
    if (factor == 0.0f &&
        (rc = gguf_get_f32_opt(f, lz_arch_key(key, sizeof(key), arch, "rope.scale_linear"), 0.0f, &factor, err)))
        return rc;
    hp->rope_freq_scale = (factor == 0.0f || type_none) ? 1.0f : 1.0f / factor;
    if ((rc = gguf_get_f32_opt(f, lz_arch_key(key, sizeof(key), arch, "rope.scaling.attn_factor"), 1.0f,
                               &hp->rope_attn_factor, err)))
        return rc;
    return gguf_get_u32_opt(f, lz_arch_key(key, sizeof(key), arch, "rope.scaling.original_context_length"),
                            hp->n_ctx_train, &hp->rope_orig_ctx, err);
}

/* The keys every architecture shares (llama.cpp's generic loader). */
static int read_hparams(const gguf_file *f, const char *arch, lz_hparams *hp, lz_err *err)
{
    char key[128];
    int rc;
#define GET_U32(suffix, dst) \
    if ((rc = gguf_get_u32(f, lz_arch_key(key, sizeof(key), arch, suffix), dst, err))) return rc
    GET_U32("context_length", &hp->n_ctx_train);
    GET_U32("embedding_length", &hp->n_embd);
    GET_U32("block_count", &hp->n_layer);
#undef GET_U32
    if (hp->n_embd == 0 || hp->n_layer == 0 || hp->n_layer > 4096)
        return lz_fail(err, LLAMAZIP_E_GGUF, "%s: bad embedding_length %u or block_count %u", arch, hp->n_embd,
                       hp->n_layer);
    hp->layers = calloc(hp->n_layer, sizeof(*hp->layers));
    if (!hp->layers) return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory");
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        lz_layer_hparams *lh = &hp->layers[il];
        if ((rc = gguf_get_u32_layer(f, lz_arch_key(key, sizeof(key), arch, "attention.head_count"), il, 0, 0,
                                     &lh->n_head, err)))
            return rc;
        if ((rc = gguf_get_u32_layer(f, lz_arch_key(key, sizeof(key), arch, "attention.head_count_kv"), il, 1,
                                     lh->n_head, &lh->n_head_kv, err)))
            return rc;
        if ((rc = gguf_get_u32_layer(f, lz_arch_key(key, sizeof(key), arch, "feed_forward_length"), il, 0, 0,
                                     &lh->n_ff, err)))
            return rc;
        if (lh->n_head == 0 || lh->n_head_kv == 0 || lh->n_head % lh->n_head_kv != 0 || lh->n_ff == 0)
            return lz_fail(err, LLAMAZIP_E_UNSUPPORTED,
                           "%s: layer %u has head_count %u, head_count_kv %u, feed_forward_length %u "
                           "(need non-zero counts, head_count a multiple of head_count_kv)",
                           arch, il, lh->n_head, lh->n_head_kv, lh->n_ff);
    }
    const uint32_t n_head0 = hp->layers[0].n_head;
    if ((rc = gguf_get_u32_opt(f, lz_arch_key(key, sizeof(key), arch, "attention.key_length"), hp->n_embd / n_head0,
                               &hp->head_dim, err)))
        return rc;
    uint32_t head_dim_v;
    if ((rc = gguf_get_u32_opt(f, lz_arch_key(key, sizeof(key), arch, "attention.value_length"), hp->n_embd / n_head0,
                               &head_dim_v, err)))
        return rc;
    if (hp->head_dim == 0 || head_dim_v != hp->head_dim)
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED, "%s: key_length %u and value_length %u must be equal and non-zero",
                       arch, hp->head_dim, head_dim_v);
    if ((rc = gguf_get_u32_opt(f, lz_arch_key(key, sizeof(key), arch, "rope.dimension_count"), hp->head_dim,
                               &hp->n_rot, err)))
        return rc;
    if (hp->n_rot == 0 || hp->n_rot % 2 != 0 || hp->n_rot > hp->head_dim)
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED, "%s: rope.dimension_count %u must be even and at most the head size %u",
                       arch, hp->n_rot, hp->head_dim);
    if ((rc = gguf_get_f32(f, lz_arch_key(key, sizeof(key), arch, "attention.layer_norm_rms_epsilon"), &hp->rms_eps,
                           err)))
        return rc;
    if ((rc = gguf_get_f32_opt(f, lz_arch_key(key, sizeof(key), arch, "rope.freq_base"), 10000.0f, &hp->rope_base,
                               err)))
        return rc;
    if ((rc = read_rope_scaling(f, arch, hp, err))) return rc;
    if (!(hp->rope_base > 0.0f) || !(hp->rope_freq_scale > 0.0f))
        return lz_fail(err, LLAMAZIP_E_GGUF, "%s: bad rope.freq_base %g or scaling factor", arch, (double)hp->rope_base);
    hp->rope_base_swa = hp->rope_base;
    hp->rope_freq_scale_swa = hp->rope_freq_scale;
    hp->attn_scale = 1.0f / sqrtf((float)hp->head_dim);
    return 0;
}

static int load_layer(loader *L, uint32_t il)
{
    lz_model *m = L->m;
    const lz_arch *a = m->arch;
    const lz_hparams *hp = &m->hp;
    const lz_layer_hparams *lh = &hp->layers[il];
    lz_layer *ly = &m->layers[il];
    const uint32_t n_embd = hp->n_embd, hd = hp->head_dim;
    const uint32_t n_q = lh->n_head * hd, n_kv = lh->n_head_kv * hd, n_ff = lh->n_ff;
    char name[96];
    int rc;
#define VEC(dst, suffix, need, n) \
    if ((rc = load_vec(L, blk(name, sizeof(name), il, suffix), need, n, &ly->dst))) return rc
#define MAT(dst, suffix, need, nin, nout) \
    if ((rc = load_mat(L, blk(name, sizeof(name), il, suffix), need, nin, nout, &ly->dst))) return rc

    VEC(attn_norm, "attn_norm.weight", LZ_NEED_REQUIRED, n_embd);
    VEC(ffn_norm, "ffn_norm.weight", LZ_NEED_REQUIRED, n_embd);
    if (a->qk_norm) {
        VEC(q_norm, "attn_q_norm.weight", LZ_NEED_REQUIRED, hd);
        VEC(k_norm, "attn_k_norm.weight", LZ_NEED_REQUIRED, hd);
    }
    if (a->post_norms) {
        VEC(post_attn_norm, "post_attention_norm.weight", LZ_NEED_REQUIRED, n_embd);
        VEC(post_ffw_norm, "post_ffw_norm.weight", LZ_NEED_REQUIRED, n_embd);
    }

    /* attention projections: separate, or fused rows [Q; K; V] */
    const gguf_tensor *fused = a->qkv_fused_ok ? gguf_find_tensor(L->f, blk(name, sizeof(name), il, "attn_qkv.weight")) : NULL;
    if (fused) {
        lz_mat qkv;
        if ((rc = load_mat(L, name, LZ_NEED_REQUIRED, n_embd, n_q + 2 * n_kv, &qkv))) return rc;
        ly->wq = mat_rows(&qkv, 0, n_q);
        ly->wk = mat_rows(&qkv, n_q, n_kv);
        ly->wv = mat_rows(&qkv, n_q + n_kv, n_kv);
        const float *b = NULL;
        if ((rc = load_vec(L, blk(name, sizeof(name), il, "attn_qkv.bias"), a->qkv_bias == LZ_NEED_NONE ? LZ_NEED_NONE : LZ_NEED_OPTIONAL,
                           n_q + 2 * n_kv, &b)))
            return rc;
        if (b) {
            ly->bq = b;
            ly->bk = b + n_q;
            ly->bv = b + n_q + n_kv;
        }
    } else {
        MAT(wq, "attn_q.weight", LZ_NEED_REQUIRED, n_embd, n_q);
        MAT(wk, "attn_k.weight", LZ_NEED_REQUIRED, n_embd, n_kv);
        MAT(wv, "attn_v.weight", LZ_NEED_REQUIRED, n_embd, n_kv);
    }
    if (!ly->bq) {
        VEC(bq, "attn_q.bias", a->qkv_bias, n_q);
        VEC(bk, "attn_k.bias", a->qkv_bias, n_kv);
        VEC(bv, "attn_v.bias", a->qkv_bias, n_kv);
    }
    MAT(wo, "attn_output.weight", LZ_NEED_REQUIRED, n_q, n_embd);
    VEC(bo, "attn_output.bias", a->out_bias, n_embd);

    if (a->ffn_fused_gate_up) {
        lz_mat gu;
        if ((rc = load_mat(L, blk(name, sizeof(name), il, "ffn_up.weight"), LZ_NEED_REQUIRED, n_embd, 2 * n_ff, &gu)))
            return rc;
        ly->gate = mat_rows(&gu, 0, n_ff);
        ly->up = mat_rows(&gu, n_ff, n_ff);
    } else {
        MAT(gate, "ffn_gate.weight", LZ_NEED_REQUIRED, n_embd, n_ff);
        MAT(up, "ffn_up.weight", LZ_NEED_REQUIRED, n_embd, n_ff);
        VEC(b_gate, "ffn_gate.bias", a->ffn_bias, n_ff);
        VEC(b_up, "ffn_up.bias", a->ffn_bias, n_ff);
    }
    MAT(down, "ffn_down.weight", LZ_NEED_REQUIRED, n_ff, n_embd);
    VEC(b_down, "ffn_down.bias", a->ffn_bias, n_embd);
#undef VEC
#undef MAT
    if (n_q > m->n_q_max) m->n_q_max = n_q;
    if (n_kv > m->n_kv_max) m->n_kv_max = n_kv;
    if (n_ff > m->n_ff_max) m->n_ff_max = n_ff;
    if (lh->sliding) m->has_swa = 1;
    return 0;
}

static int load_tensors(loader *L)
{
    lz_model *m = L->m;
    lz_hparams *hp = &m->hp;
    const lz_arch *a = m->arch;
    int rc;
    const gguf_tensor *te = gguf_find_tensor(L->f, "token_embd.weight");
    if (!te) return lz_fail(L->err, LLAMAZIP_E_GGUF, "%s: missing tensor 'token_embd.weight'", a->name);
    if (te->ne[1] == 0 || te->ne[1] > INT32_MAX)
        return lz_fail(L->err, LLAMAZIP_E_GGUF, "%s: tensor 'token_embd.weight' has %llu rows", a->name,
                       (unsigned long long)te->ne[1]);
    hp->n_vocab = (uint32_t)te->ne[1];
    if ((rc = load_mat(L, "token_embd.weight", LZ_NEED_REQUIRED, hp->n_embd, hp->n_vocab, &m->tok_embd))) return rc;
    if ((rc = load_mat(L, "output.weight", LZ_NEED_OPTIONAL, hp->n_embd, hp->n_vocab, &m->output))) return rc;
    if (!m->output.data) m->output = m->tok_embd; /* tied */
    if ((rc = load_vec(L, "output_norm.weight", LZ_NEED_REQUIRED, hp->n_embd, &m->output_norm))) return rc;
    if ((rc = load_vec(L, "output.bias", a->output_bias, hp->n_vocab, &m->output_bias))) return rc;
    const uint32_t n_pairs = hp->n_rot / 2;
    if ((rc = load_vec(L, "rope_freqs.weight", a->rope_freqs, n_pairs, &m->rope_freqs))) return rc;
    if (hp->rope_longrope) {
        if ((rc = load_vec(L, "rope_factors_long.weight", a->rope_long_short, n_pairs, &m->rope_long))) return rc;
        if ((rc = load_vec(L, "rope_factors_short.weight", a->rope_long_short, n_pairs, &m->rope_short))) return rc;
    }
    m->layers = calloc(hp->n_layer, sizeof(*m->layers));
    if (!m->layers) return lz_fail(L->err, LLAMAZIP_E_NOMEM, "out of memory");
    for (uint32_t il = 0; il < hp->n_layer; il++)
        if ((rc = load_layer(L, il))) return rc;
    return 0;
}

/* Every matrix that takes products gets a packing slot (views of fused
 * tensors get their own: they are packed from their own first row). */
static int assign_packs(lz_model *m, lz_err *err)
{
    const size_t per_layer = 7;
    m->n_packs = (size_t)m->hp.n_layer * per_layer + 1;
    m->packs = calloc(m->n_packs, sizeof(*m->packs));
    if (!m->packs) return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory");
    pthread_mutex_init(&m->pack_mu, NULL);
    size_t i = 0;
    for (uint32_t il = 0; il < m->hp.n_layer; il++) {
        lz_layer *ly = &m->layers[il];
        lz_mat *mats[7] = { &ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->gate, &ly->up, &ly->down };
        for (size_t k = 0; k < per_layer; k++) mats[k]->pack = &m->packs[i++];
    }
    m->output.pack = &m->packs[i++];
    for (size_t k = 0; k < m->n_packs; k++) atomic_init(&m->packs[k].ready, 0);
    return 0;
}

int lz_model_load(const gguf_file *f, lz_model **out, lz_err *err)
{
    *out = NULL;
    const char *an;
    uint64_t alen;
    int rc = gguf_get_str(f, "general.architecture", &an, &alen, err);
    if (rc) return rc;
    const lz_arch *arch = lz_arch_find(an, alen);
    if (!arch)
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED, "unsupported architecture '%.*s' (supported: %s)",
                       (int)(alen > 64 ? 64 : alen), an, lz_arch_supported_list());
    lz_model *m = calloc(1, sizeof(*m));
    if (!m) return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory");
    m->arch = arch;
    loader L = { f, m, err };
    rc = read_hparams(f, arch->name, &m->hp, err);
    if (!rc) rc = arch->read_hparams(f, &m->hp, err);
    if (!rc) rc = load_tensors(&L);
    if (rc) {
        lz_model_free(m);
        return rc;
    }
    if ((rc = assign_packs(m, err))) {
        lz_model_free(m);
        return rc;
    }
    const lz_hparams *hp = &m->hp;
    m->pub.arch = arch->name;
    m->pub.n_vocab = hp->n_vocab;
    m->pub.n_embd = hp->n_embd;
    m->pub.n_layer = hp->n_layer;
    m->pub.n_head = hp->layers[0].n_head;
    m->pub.n_head_kv = hp->layers[0].n_head_kv;
    m->pub.head_dim = hp->head_dim;
    m->pub.n_ff = hp->layers[0].n_ff;
    m->pub.n_ctx_train = hp->n_ctx_train;
    m->pub.sliding_window = m->has_swa ? hp->n_swa : 0;
    m->pub.rms_eps = hp->rms_eps;
    m->pub.rope_base = hp->rope_base;
    *out = m;
    return 0;
}

void lz_model_free(lz_model *m)
{
    if (!m) return;
    if (m->packs) {
        for (size_t i = 0; i < m->n_packs; i++) lz_pack_free(&m->packs[i].pm);
        free(m->packs);
        pthread_mutex_destroy(&m->pack_mu);
    }
    for (size_t i = 0; i < m->n_owned; i++) free(m->owned[i]);
    free(m->owned);
    free(m->layers);
    free(m->hp.layers);
    free(m);
}

const lz_model_hparams *lz_model_get_hparams(const lz_model *m) { return &m->pub; }

/* ================================================================ eval state */

/* Query heads of one KV head evaluated together at most (attention). */
#define LZ_MAX_GROUP 16

struct lz_eval_state {
    const lz_model *m;
    uint32_t n_ctx;
    uint32_t max_batch;
    uint32_t cap_swa;      /* slots of the sliding layers' ring caches */
    uint32_t filled;       /* KV holds positions [0, filled) ... */
    uint32_t ring_lo;      /* ... of which sliding layers still hold [ring_lo, filled) */
    uint16_t **kc, **vc;   /* per layer: cap x (n_head_kv * head_dim) f16 */
    uint32_t *cap;         /* per layer: n_ctx, or cap_swa for sliding layers */
    lz_rope_cfg rope[2];   /* [0] full layers, [1] sliding layers */
    float *rope_tab;       /* [2][max_batch][n_rot] */
    float *x, *xn, *q, *k, *v, *att, *o, *gate, *up;
    uint8_t *act[3];       /* quantized activations, one buffer per partner type */
    float *scores;         /* per thread: max_group rows of n_ctx floats */
    uint32_t max_group;    /* widest group of query heads sharing a KV head (<= LZ_MAX_GROUP) */
    int scores_threads;
};

uint32_t lz_eval_state_n_ctx(const lz_eval_state *s) { return s->n_ctx; }

static void *alloc_floats(uint64_t n)
{
    uint64_t bytes;
    if (lz_mul_u64(n, sizeof(float), &bytes) || bytes > SIZE_MAX) return NULL;
    return lz_malloc_aligned((size_t)(bytes ? bytes : 64));
}

void lz_eval_state_free(lz_eval_state *s)
{
    if (!s) return;
    if (s->kc)
        for (uint32_t il = 0; il < s->m->hp.n_layer; il++) {
            lz_free_aligned(s->kc[il]);
            lz_free_aligned(s->vc[il]);
        }
    free(s->kc);
    free(s->vc);
    free(s->cap);
    float *fl[] = { s->rope_tab, s->x, s->xn, s->q, s->k, s->v, s->att, s->o, s->gate, s->up, s->scores };
    for (size_t i = 0; i < LZ_ARRAY_LEN(fl); i++) lz_free_aligned(fl[i]);
    for (int i = 0; i < 3; i++) lz_free_aligned(s->act[i]);
    free(s);
}

lz_eval_state *lz_eval_state_create(const lz_model *m, uint32_t n_ctx, uint32_t max_batch, lz_err *err)
{
    if (!m || n_ctx == 0 || max_batch == 0 || n_ctx > (1u << 24)) {
        lz_fail(err, LLAMAZIP_E_USAGE, "lz_eval_state_create: need a model, 1 <= n_ctx <= 2^24 and max_batch >= 1");
        return NULL;
    }
    const lz_hparams *hp = &m->hp;
    if (max_batch > n_ctx) max_batch = n_ctx;
    lz_eval_state *s = calloc(1, sizeof(*s));
    if (!s) goto nomem;
    s->m = m;
    s->n_ctx = n_ctx;
    s->max_batch = max_batch;
    s->cap_swa = n_ctx;
    s->max_group = 1;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        const uint32_t g = hp->layers[il].n_head / hp->layers[il].n_head_kv;
        if (g <= LZ_MAX_GROUP && g > s->max_group) s->max_group = g;
    }
    if (m->has_swa && (uint64_t)hp->n_swa + max_batch < n_ctx) s->cap_swa = hp->n_swa + max_batch;
    s->kc = calloc(hp->n_layer, sizeof(*s->kc));
    s->vc = calloc(hp->n_layer, sizeof(*s->vc));
    s->cap = calloc(hp->n_layer, sizeof(*s->cap));
    if (!s->kc || !s->vc || !s->cap) goto nomem;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        const uint64_t row = (uint64_t)hp->layers[il].n_head_kv * hp->head_dim;
        s->cap[il] = hp->layers[il].sliding ? s->cap_swa : n_ctx;
        uint64_t bytes;
        if (lz_mul_u64(row * 2, s->cap[il], &bytes) || bytes > SIZE_MAX) goto nomem;
        s->kc[il] = lz_malloc_aligned((size_t)bytes);
        s->vc[il] = lz_malloc_aligned((size_t)bytes);
        if (!s->kc[il] || !s->vc[il]) goto nomem;
    }

    /* RoPE: frequency factors of this context (longrope picks by length) */
    const float *factors = m->rope_freqs;
    if (!factors && hp->rope_longrope) factors = n_ctx > hp->rope_orig_ctx ? m->rope_long : m->rope_short;
    lz_rope_cfg_init(&s->rope[0], hp->n_rot, hp->rope_base, hp->rope_freq_scale, hp->rope_attn_factor, factors);
    lz_rope_cfg_init(&s->rope[1], hp->n_rot, hp->rope_base_swa, hp->rope_freq_scale_swa, hp->rope_attn_factor,
                     factors);

    const uint64_t B = max_batch;
    s->rope_tab = alloc_floats(2 * B * hp->n_rot);
    s->x = alloc_floats(B * hp->n_embd);
    s->xn = alloc_floats(B * hp->n_embd);
    s->o = alloc_floats(B * hp->n_embd);
    s->q = alloc_floats(B * m->n_q_max);
    s->att = alloc_floats(B * m->n_q_max);
    s->k = alloc_floats(B * m->n_kv_max);
    s->v = alloc_floats(B * m->n_kv_max);
    s->gate = alloc_floats(B * m->n_ff_max);
    s->up = alloc_floats(B * m->n_ff_max);
    if (!s->rope_tab || !s->x || !s->xn || !s->o || !s->q || !s->att || !s->k || !s->v || !s->gate || !s->up)
        goto nomem;
    for (int i = 0; i < 3; i++) {
        uint64_t bytes;
        if (lz_mul_u64(B, m->act_row_max, &bytes) || bytes > SIZE_MAX) goto nomem;
        if (!(s->act[i] = lz_malloc_aligned((size_t)bytes))) goto nomem;
    }
    return s;
nomem:
    lz_eval_state_free(s);
    lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory for an evaluation state of %u positions, batch %u", n_ctx, max_batch);
    return NULL;
}

/* ================================================================ forward pass */

/* One sub-batch being evaluated. */
typedef struct {
    const lz_model *m;
    lz_eval_state *s;
    lz_pool *pool;
    int n_threads;
    lz_isa isa;
    const lz_kernels *kern;
    const int32_t *tokens;
    uint32_t pos0;
    uint32_t n;            /* tokens in this sub-batch */
    uint32_t il;           /* current layer */
    uint32_t out_row0;     /* first row that gets logits */
    float *logits;         /* row out_row0 of the sub-batch goes here */
} fwd;

/* ---------------------------------------------------------------- row stages */

typedef void (*row_fn)(const fwd *F, uint32_t b);

typedef struct {
    const fwd *F;
    row_fn fn;
    uint32_t row0, n_rows, chunk;
} rows_job;

static void rows_task(void *arg, int task, int thread)
{
    (void)thread;
    const rows_job *j = arg;
    const uint32_t b0 = (uint32_t)task * j->chunk;
    const uint32_t b1 = LZ_MIN(b0 + j->chunk, j->n_rows);
    for (uint32_t b = b0; b < b1; b++) j->fn(j->F, j->row0 + b);
}

/* Run fn on rows row0 .. row0+n_rows-1; rows are independent. */
static void run_rows(const fwd *F, row_fn fn, uint32_t row0, uint32_t n_rows)
{
    if (F->n_threads <= 1 || n_rows < 2) {
        for (uint32_t b = 0; b < n_rows; b++) fn(F, row0 + b);
        return;
    }
    rows_job j = { F, fn, row0, n_rows, 0 };
    const uint32_t want = (uint32_t)F->n_threads * 4;
    j.chunk = (n_rows + want - 1) / want;
    lz_pool_run(F->pool, (int)((n_rows + j.chunk - 1) / j.chunk), rows_task, &j);
}

static void add_bias(float *y, const float *b, uint32_t n)
{
    if (b)
        for (uint32_t i = 0; i < n; i++) y[i] = y[i] + b[i];
}

static void stage_embed(const fwd *F, uint32_t b)
{
    const lz_model *m = F->m;
    const uint32_t n_embd = m->hp.n_embd;
    float *x = F->s->x + (size_t)b * n_embd;
    const lz_mat *e = &m->tok_embd;
    lz_dequantize_row(e->type, e->data + (size_t)F->tokens[b] * e->row_bytes, x, n_embd);
    if (m->arch->embd_scale_sqrt) {
        const float scale = sqrtf((float)n_embd);
        for (uint32_t i = 0; i < n_embd; i++) x[i] = x[i] * scale;
    }
}

static void stage_attn_norm(const fwd *F, uint32_t b)
{
    const uint32_t n = F->m->hp.n_embd;
    lz_op_rmsnorm(F->s->xn + (size_t)b * n, F->s->x + (size_t)b * n, F->m->layers[F->il].attn_norm, n, F->m->hp.rms_eps);
}

/* Biases, q/k norms, RoPE, Q scale; K and V into the cache. */
static void stage_qk(const fwd *F, uint32_t b)
{
    const lz_model *m = F->m;
    const lz_hparams *hp = &m->hp;
    const lz_arch *a = m->arch;
    lz_eval_state *s = F->s;
    const uint32_t il = F->il;
    const lz_layer *ly = &m->layers[il];
    const lz_layer_hparams *lh = &hp->layers[il];
    const uint32_t hd = hp->head_dim;
    const uint32_t n_q = lh->n_head * hd, n_kv = lh->n_head_kv * hd;
    float *q = s->q + (size_t)b * n_q;
    float *k = s->k + (size_t)b * n_kv;
    float *v = s->v + (size_t)b * n_kv;
    const float *cs = s->rope_tab + ((size_t)(lh->sliding ? s->max_batch : 0) + b) * hp->n_rot;
    add_bias(q, ly->bq, n_q);
    add_bias(k, ly->bk, n_kv);
    add_bias(v, ly->bv, n_kv);
    for (uint32_t h = 0; h < lh->n_head; h++) {
        float *qh = q + (size_t)h * hd;
        if (a->qk_norm) lz_op_rmsnorm(qh, qh, ly->q_norm, hd, hp->rms_eps);
        lz_op_rope_apply(qh, cs, hp->n_rot, a->rope_type);
        if (a->q_prescale)
            for (uint32_t i = 0; i < hd; i++) qh[i] = qh[i] * hp->attn_scale;
    }
    for (uint32_t h = 0; h < lh->n_head_kv; h++) {
        float *kh = k + (size_t)h * hd;
        if (a->qk_norm) lz_op_rmsnorm(kh, kh, ly->k_norm, hd, hp->rms_eps);
        lz_op_rope_apply(kh, cs, hp->n_rot, a->rope_type);
    }
    const size_t slot = (size_t)((F->pos0 + b) % s->cap[il]);
    lz_op_store_f16(s->kc[il] + slot * n_kv, k, n_kv);
    lz_op_store_f16(s->vc[il] + slot * n_kv, v, n_kv);
}

/* x += post_norm(o + bias): the end of an attention or feed-forward sub-layer
 * (the post-norm only for architectures that have one, e.g. gemma3). */
static void add_residual(const fwd *F, uint32_t b, const float *bias, const float *post_norm)
{
    const lz_model *m = F->m;
    const uint32_t n = m->hp.n_embd;
    float *o = F->s->o + (size_t)b * n;
    float *x = F->s->x + (size_t)b * n;
    add_bias(o, bias, n);
    if (m->arch->post_norms) lz_op_rmsnorm(o, o, post_norm, n, m->hp.rms_eps);
    for (uint32_t i = 0; i < n; i++) x[i] = x[i] + o[i];
}

static void stage_attn_out(const fwd *F, uint32_t b)
{
    const lz_model *m = F->m;
    const lz_layer *ly = &m->layers[F->il];
    const uint32_t n = m->hp.n_embd;
    float *x = F->s->x + (size_t)b * n;
    add_residual(F, b, ly->bo, ly->post_attn_norm);
    lz_op_rmsnorm(F->s->xn + (size_t)b * n, x, ly->ffn_norm, n, m->hp.rms_eps);
}

static void stage_act(const fwd *F, uint32_t b)
{
    const lz_model *m = F->m;
    const lz_layer *ly = &m->layers[F->il];
    const uint32_t n = m->hp.layers[F->il].n_ff;
    float *g = F->s->gate + (size_t)b * n;
    float *u = F->s->up + (size_t)b * n;
    add_bias(g, ly->b_gate, n);
    add_bias(u, ly->b_up, n);
    F->kern->gated_act(g, u, n, m->arch->ffn_act);
}

static void stage_ffn_out(const fwd *F, uint32_t b)
{
    const lz_model *m = F->m;
    const lz_layer *ly = &m->layers[F->il];
    add_residual(F, b, ly->b_down, ly->post_ffw_norm);
}

static void stage_out_norm(const fwd *F, uint32_t b)
{
    const uint32_t n = F->m->hp.n_embd;
    lz_op_rmsnorm(F->s->xn + (size_t)b * n, F->s->x + (size_t)b * n, F->m->output_norm, n, F->m->hp.rms_eps);
}

static void stage_logits(const fwd *F, uint32_t b)
{
    const lz_model *m = F->m;
    const uint32_t nv = m->hp.n_vocab;
    float *y = F->logits + (size_t)(b - F->out_row0) * nv;
    add_bias(y, m->output_bias, nv);
    if (m->hp.final_softcap != 0.0f) lz_op_softcap(y, nv, m->hp.final_softcap);
}

/* ---------------------------------------------------------------- attention */

typedef struct {
    const fwd *F;
    float kq_scale;
    uint32_t heads_per_task;   /* query heads of one KV head handled together */
} attn_job;

/*
 * One token and a run of query heads that share a KV head: scores over the
 * visible cache rows, softmax, V sum, each head in the reference's order
 * (kernels.h); the heads only share the loads of the cache rows, so any
 * grouping gives the same bits.
 */
static void attn_task(void *arg, int task, int thread)
{
    const attn_job *j = arg;
    const fwd *F = j->F;
    const lz_hparams *hp = &F->m->hp;
    const lz_eval_state *s = F->s;
    const uint32_t il = F->il;
    const lz_layer_hparams *lh = &hp->layers[il];
    const uint32_t hd = hp->head_dim;
    const uint32_t tasks_per_token = lh->n_head / j->heads_per_task;
    const uint32_t b = (uint32_t)task / tasks_per_token;
    const uint32_t h0 = ((uint32_t)task % tasks_per_token) * j->heads_per_task;
    const uint32_t G = j->heads_per_task;
    const uint32_t kvh = h0 / (lh->n_head / lh->n_head_kv);
    const uint32_t n_kv = lh->n_head_kv * hd;
    const uint32_t pos = F->pos0 + b;
    const uint32_t lo = lh->sliding && pos + 1 > hp->n_swa ? pos + 1 - hp->n_swa : 0;
    const uint32_t cap = s->cap[il];
    const uint16_t *kc = s->kc[il] + (size_t)kvh * hd;
    const uint16_t *vc = s->vc[il] + (size_t)kvh * hd;
    const uint32_t n_keys = pos - lo + 1;
    const lz_kernels *kern = F->kern;
    const float *q[LZ_MAX_GROUP];
    float *sc[LZ_MAX_GROUP], *out[LZ_MAX_GROUP];
    for (uint32_t g = 0; g < G; g++) {
        q[g] = s->q + (size_t)b * lh->n_head * hd + (size_t)(h0 + g) * hd;
        sc[g] = s->scores + ((size_t)thread * s->max_group + g) * s->n_ctx;
        out[g] = s->att + (size_t)b * lh->n_head * hd + (size_t)(h0 + g) * hd;
        memset(out[g], 0, hd * sizeof(float));
    }
    /* positions lo..pos in ascending order: at most two runs of ring slots */
    const uint32_t s0 = lo % cap;
    const uint32_t run0 = LZ_MIN(n_keys, cap - s0);
    kern->attn_scores(q, (int)G, kc + (size_t)s0 * n_kv, n_kv, run0, hd, j->kq_scale, sc[0], s->n_ctx);
    if (run0 < n_keys) kern->attn_scores(q, (int)G, kc, n_kv, n_keys - run0, hd, j->kq_scale, sc[0] + run0, s->n_ctx);
    double sum[LZ_MAX_GROUP];
    for (uint32_t g = 0; g < G; g++) {
        float mx = -INFINITY;
        for (uint32_t p = 0; p < n_keys; p++)
            if (sc[g][p] > mx) mx = sc[g][p];
        sum[g] = 0.0;
        kern->exp_sum(sc[g], n_keys, mx, &sum[g]);
    }
    kern->attn_wsum(out, (const float *const *)sc, (int)G, vc + (size_t)s0 * n_kv, n_kv, run0, hd);
    if (run0 < n_keys) {
        const float *sc1[LZ_MAX_GROUP];
        for (uint32_t g = 0; g < G; g++) sc1[g] = sc[g] + run0;
        kern->attn_wsum(out, sc1, (int)G, vc, n_kv, n_keys - run0, hd);
    }
    for (uint32_t g = 0; g < G; g++) {
        const float inv = 1.0f / (float)sum[g];
        for (uint32_t i = 0; i < hd; i++) out[g][i] = out[g][i] * inv;
    }
}

static void run_attention(const fwd *F)
{
    const lz_model *m = F->m;
    const lz_layer_hparams *lh = &m->hp.layers[F->il];
    attn_job j = { F, m->arch->q_prescale ? 1.0f : m->hp.attn_scale, lh->n_head / lh->n_head_kv };
    /* whole groups share the cache loads; with too few tokens to keep the
     * threads busy, one head per task instead */
    if (j.heads_per_task > LZ_MAX_GROUP || F->n * lh->n_head_kv < (uint32_t)F->n_threads * 2) j.heads_per_task = 1;
    lz_pool_run(F->pool, (int)(F->n * (lh->n_head / j.heads_per_task)), attn_task, &j);
}

/* ---------------------------------------------------------------- matmuls */

#define MM_MAX 3

typedef struct {
    const lz_mat *w;
    const uint8_t *act;
    size_t act_bytes;
    float *out;            /* column c (token) of the output at out + c * out_stride */
    size_t out_stride;
    uint32_t rows_per_task;
    uint32_t n_tasks;
} mm_job;

typedef struct {
    mm_job job[MM_MAX];
    int n_jobs;
    uint32_t n_cols;
    lz_isa isa;
    int use_packed;        /* the jobs' matrices are packed (several columns) */
} mm_set;

static void mm_task(void *arg, int task, int thread)
{
    (void)thread;
    const mm_set *ms = arg;
    int ji = 0;
    uint32_t t = (uint32_t)task;
    while (t >= ms->job[ji].n_tasks) t -= ms->job[ji++].n_tasks;
    const mm_job *j = &ms->job[ji];
    const lz_mat *w = j->w;
    const uint32_t r0 = t * j->rows_per_task;
    const uint32_t r_end = LZ_MIN(r0 + j->rows_per_task, w->n_out);
    /* all columns at once: each panel of weight rows serves every token */
    if (ms->use_packed && lz_gemm_packed(&w->pack->pm, ms->isa, r0, r_end - r0, j->act, j->act_bytes, ms->n_cols,
                                         j->out + r0, j->out_stride))
        return;
    lz_gemm(w->type, ms->isa, w->n_in, w->data, w->row_bytes, r0, r_end - r0, j->act, j->act_bytes, ms->n_cols,
            j->out + r0, j->out_stride);
}

/* ---------------------------------------------------------------- packing */

typedef struct {
    const lz_mat *w;
    uint32_t rows_per_task;
} pack_job;

static void pack_task(void *arg, int task, int thread)
{
    (void)thread;
    const pack_job *j = arg;
    const uint32_t r0 = (uint32_t)task * j->rows_per_task;
    const uint32_t n = LZ_MIN(j->rows_per_task, j->w->n_out - r0);
    lz_pack_rows(&j->w->pack->pm, j->w->data, j->w->row_bytes, r0, n);
}

/* Pack w once (the first time it takes a product with several columns).
 * Without memory or a packed form, the products use the unpacked rows. */
static void ensure_packed(const fwd *F, const lz_mat *w)
{
    mat_pack *mp = w->pack;
    if (atomic_load_explicit(&mp->ready, memory_order_acquire)) return;
    pthread_mutex_t *mu = (pthread_mutex_t *)&F->m->pack_mu;
    pthread_mutex_lock(mu);
    if (!atomic_load_explicit(&mp->ready, memory_order_relaxed)) {
        if (lz_pack_alloc(&mp->pm, F->isa, w->type, w->n_in, w->n_out) == 0 && mp->pm.format != LZ_PACK_NONE) {
            const uint32_t want = F->n_threads > 1 ? (uint32_t)F->n_threads * 4 : 1;
            const uint32_t pr = (uint32_t)mp->pm.panel_rows;
            pack_job j = { w, (((w->n_out + want - 1) / want) + pr - 1) / pr * pr };
            lz_pool_run(F->pool, (int)((w->n_out + j.rows_per_task - 1) / j.rows_per_task), pack_task, &j);
        }
        atomic_store_explicit(&mp->ready, 1, memory_order_release);
    }
    pthread_mutex_unlock(mu);
}

typedef struct {
    const lz_kernels *kern;
    const float *x;
    size_t x_stride;
    uint32_t n_in;
    lz_type types[MM_MAX];
    uint8_t *dst[MM_MAX];
    size_t bytes[MM_MAX];
    int n_types;
} quant_job;

static void quant_row(const quant_job *q, uint32_t c)
{
    for (int i = 0; i < q->n_types; i++)
        q->kern->quantize[q->types[i]](q->x + (size_t)c * q->x_stride, q->dst[i] + (size_t)c * q->bytes[i], q->n_in);
}

static void quant_task(void *arg, int task, int thread)
{
    (void)thread;
    quant_row(arg, (uint32_t)task);
}

/*
 * out_i = W_i x for the n_cols rows of x (n_in floats each, x_stride apart):
 * the activations are quantized once per partner type, then all products run
 * in one pool pass over chunks of output rows.
 */
static void matmul(const fwd *F, const float *x, size_t x_stride, uint32_t n_cols, const lz_mat *const *w,
                   float *const *out, const size_t *out_stride, int n)
{
    lz_eval_state *s = F->s;
    quant_job q = { F->kern, x, x_stride, w[0]->n_in, { 0 }, { 0 }, { 0 }, 0 };
    mm_set ms;
    memset(&ms, 0, sizeof(ms));
    ms.n_jobs = n;
    ms.n_cols = n_cols;
    ms.isa = F->isa;
    /* one column streams the unpacked rows (vec_dot); several use the
     * packed panels, packed on first use */
    ms.use_packed = n_cols >= 2;
    if (ms.use_packed)
        for (int i = 0; i < n; i++) ensure_packed(F, w[i]);
    uint32_t n_tasks = 0;
    for (int i = 0; i < n; i++) {
        int slot = 0;
        while (slot < q.n_types && q.types[slot] != w[i]->act_type) slot++;
        if (slot == q.n_types) {
            q.types[slot] = w[i]->act_type;
            q.dst[slot] = s->act[slot];
            q.bytes[slot] = lz_row_size(w[i]->act_type, q.n_in);
            q.n_types++;
        }
        mm_job *j = &ms.job[i];
        j->w = w[i];
        j->act = q.dst[slot];
        j->act_bytes = q.bytes[slot];
        j->out = out[i];
        j->out_stride = out_stride[i];
        /* enough chunks to balance the threads; any split gives the same bits */
        const uint32_t want = F->n_threads > 1 ? (uint32_t)F->n_threads * 4 : 1;
        uint32_t rows = (w[i]->n_out + want - 1) / want;
        rows = (rows + 31) / 32 * 32;   /* whole packed panels and register tiles */
        j->rows_per_task = rows;
        j->n_tasks = (w[i]->n_out + rows - 1) / rows;
        n_tasks += j->n_tasks;
    }
    if (F->n_threads > 1 && n_cols >= 4) {
        lz_pool_run(F->pool, (int)n_cols, quant_task, &q);
    } else {
        for (uint32_t c = 0; c < n_cols; c++) quant_row(&q, c);
    }
    lz_pool_run(F->pool, (int)n_tasks, mm_task, &ms);
}

static void matmul1(const fwd *F, const float *x, size_t x_stride, uint32_t n_cols, const lz_mat *w, float *out,
                    size_t out_stride)
{
    matmul(F, x, x_stride, n_cols, &w, &out, &out_stride, 1);
}

/* ---------------------------------------------------------------- layers */

static void rope_tables(const fwd *F)
{
    lz_eval_state *s = F->s;
    const uint32_t n_rot = F->m->hp.n_rot;
    for (int t = 0; t < 2; t++) {
        if (t == 1 && !F->m->has_swa) break;
        for (uint32_t b = 0; b < F->n; b++)
            lz_op_rope_table(&s->rope[t], F->pos0 + b, s->rope_tab + ((size_t)t * s->max_batch + b) * n_rot);
    }
}

static void layer_forward(fwd *F, uint32_t il)
{
    const lz_model *m = F->m;
    lz_eval_state *s = F->s;
    const lz_layer *ly = &m->layers[il];
    const lz_layer_hparams *lh = &m->hp.layers[il];
    const uint32_t n = F->n, n_embd = m->hp.n_embd;
    const size_t n_q = (size_t)lh->n_head * m->hp.head_dim, n_kv = (size_t)lh->n_head_kv * m->hp.head_dim;
    F->il = il;

    run_rows(F, stage_attn_norm, 0, n);
    {
        const lz_mat *w[3] = { &ly->wq, &ly->wk, &ly->wv };
        float *out[3] = { s->q, s->k, s->v };
        const size_t st[3] = { n_q, n_kv, n_kv };
        matmul(F, s->xn, n_embd, n, w, out, st, 3);
    }
    run_rows(F, stage_qk, 0, n);
    run_attention(F);
    matmul1(F, s->att, n_q, n, &ly->wo, s->o, n_embd);
    run_rows(F, stage_attn_out, 0, n);
    {
        const lz_mat *w[2] = { &ly->gate, &ly->up };
        float *out[2] = { s->gate, s->up };
        const size_t st[2] = { lh->n_ff, lh->n_ff };
        matmul(F, s->xn, n_embd, n, w, out, st, 2);
    }
    run_rows(F, stage_act, 0, n);
    matmul1(F, s->gate, lh->n_ff, n, &ly->down, s->o, n_embd);
    run_rows(F, stage_ffn_out, 0, n);
}

static void forward(fwd *F)
{
    const lz_model *m = F->m;
    lz_eval_state *s = F->s;
    const uint32_t n_embd = m->hp.n_embd;
    run_rows(F, stage_embed, 0, F->n);
    rope_tables(F);
    for (uint32_t il = 0; il < m->hp.n_layer; il++) layer_forward(F, il);
    if (!F->logits) return;
    const uint32_t rows = F->n - F->out_row0;
    run_rows(F, stage_out_norm, F->out_row0, rows);
    matmul1(F, s->xn + (size_t)F->out_row0 * n_embd, n_embd, rows, &m->output, F->logits, m->hp.n_vocab);
    if (m->output_bias || m->hp.final_softcap != 0.0f) run_rows(F, stage_logits, F->out_row0, rows);
}

/* ---------------------------------------------------------------- entry */

/* Bookkeeping of which positions the cache holds, checked before a batch. */
static int check_positions(const lz_eval_state *s, uint32_t pos0, lz_err *err)
{
    if (pos0 > s->filled)
        return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: position %u follows a gap (KV filled up to %u)", pos0,
                       s->filled);
    if (s->m->has_swa && pos0 > 0) {
        const uint32_t need = pos0 + 1 > s->m->hp.n_swa ? pos0 + 1 - s->m->hp.n_swa : 0;
        if (need < s->ring_lo)
            return lz_fail(err, LLAMAZIP_E_USAGE,
                           "lz_model_eval: position %u needs sliding-window KV from position %u, already overwritten "
                           "(held from %u)", pos0, need, s->ring_lo);
    }
    return 0;
}

static void note_positions(lz_eval_state *s, uint32_t pos0, uint32_t n)
{
    uint32_t lo = s->ring_lo <= pos0 ? s->ring_lo : pos0;
    if (pos0 + n > s->cap_swa && pos0 + n - s->cap_swa > lo) lo = pos0 + n - s->cap_swa;
    s->ring_lo = lo;
    s->filled = pos0 + n;
}

static int ensure_scores(lz_eval_state *s, int n_threads, lz_err *err)
{
    if (s->scores_threads >= n_threads) return 0;
    lz_free_aligned(s->scores);
    s->scores = alloc_floats((uint64_t)n_threads * s->max_group * s->n_ctx);
    s->scores_threads = s->scores ? n_threads : 0;
    return s->scores ? 0 : lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory for attention scores");
}

int lz_model_eval(const lz_model *m, lz_eval_state *s, lz_pool *pool, lz_isa isa,
                  const int32_t *tokens, uint32_t n, uint32_t pos0, float *logits, int last_only,
                  lz_err *err)
{
    if (!m || !s || s->m != m || (n > 0 && (!tokens || !logits)))
        return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: bad arguments");
    if (n == 0) return 0;
    if ((uint64_t)pos0 + n > s->n_ctx)
        return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: positions %u..%u exceed the context of %u", pos0,
                       pos0 + n - 1, s->n_ctx);
    for (uint32_t i = 0; i < n; i++)
        if (tokens[i] < 0 || (uint32_t)tokens[i] >= m->hp.n_vocab)
            return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: token id %d out of range (vocabulary %u)", tokens[i],
                           m->hp.n_vocab);
    int rc = check_positions(s, pos0, err);
    if (!rc) rc = ensure_scores(s, lz_pool_size(pool), err);
    if (rc) return rc;

    fwd F;
    memset(&F, 0, sizeof(F));
    F.m = m;
    F.s = s;
    F.pool = pool;
    F.n_threads = lz_pool_size(pool);
    F.isa = isa;
    F.kern = lz_kernels_get(isa);
    for (uint32_t done = 0; done < n;) {
        const uint32_t nb = LZ_MIN(n - done, s->max_batch);
        const int last_batch = done + nb == n;
        F.tokens = tokens + done;
        F.pos0 = pos0 + done;
        F.n = nb;
        if (!last_only) {
            F.out_row0 = 0;
            F.logits = logits + (size_t)done * m->hp.n_vocab;
        } else {
            F.out_row0 = nb - 1;
            F.logits = last_batch ? logits : NULL;
        }
        forward(&F);
        note_positions(s, F.pos0, nb);
        done += nb;
    }
    return 0;
}
