/*
 * weights.c - loading a model: the hyperparameters from GGUF metadata (the
 * keys every architecture shares; arch_<name>.c reads its own), every
 * tensor checked once for presence, shape and type, the small vectors
 * copied to f32, the matrices left in the mapping (packed later, on their
 * first batched product: forward.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

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
    if (!m->has_swa) m->hp.n_swa = 0;   /* "0 = none" for the callers */
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

const lz_hparams *lz_model_get_hparams(const lz_model *m) { return &m->hp; }

const char *lz_model_arch_name(const lz_model *m) { return m->arch->name; }

uint64_t lz_model_macs_per_token(const lz_model *m)
{
    uint64_t macs = (uint64_t)m->output.n_in * m->output.n_out;
    for (uint32_t il = 0; il < m->hp.n_layer; il++) {
        const lz_layer *ly = &m->layers[il];
        const lz_mat *mats[7] = { &ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->gate, &ly->up, &ly->down };
        for (int k = 0; k < 7; k++) macs += (uint64_t)mats[k]->n_in * mats[k]->n_out;
    }
    return macs;
}
