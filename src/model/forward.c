/*
 * forward.c - the forward pass over a batch of tokens, which may mix
 * several sequences (each token carries its KV cache and position).
 *
 * For a batch of B tokens (doc/engine.md has it per architecture):
 *   x = embedding rows (dequantized per token) [* sqrtf(n_embd)]
 *   per layer:
 *     a = rmsnorm(x) * attn_norm
 *     q, k, v = Wq a, Wk a, Wv a (+ biases)          matmuls
 *     per token and head: [rmsnorm q, k], RoPE, [q *= scale], k, v -> its f16 cache
 *     att = softmax(q.K^T [* scale]) V over the token's visible positions
 *     o = Wo att (+ bias) [; o = rmsnorm(o) * post_attention_norm]
 *     x = x + o
 *     f = rmsnorm(x) * ffn_norm
 *     g = act(Wgate f) * (Wup f)                      (gate/up fused for phi3)
 *     o = Wdown g (+ bias) [; o = rmsnorm(o) * post_ffw_norm]
 *     x = x + o
 *   logits = Wout (rmsnorm(x) * output_norm) (+ bias) [softcap], for the
 *            tokens whose logits are wanted
 *
 * Matrix products go through the kernel table with the activations
 * quantized once per row into the weight type's partner type; they are
 * threaded over chunks of output rows, and every output element is one
 * canonical dot product. Every other op works on one token (or one token
 * and head) at a time in the canonical orders of ops.c and kernels.h, and
 * attention reads only the token's own cache, so neither the batch size,
 * nor the other sequences in the batch, nor the thread count, nor the ISA
 * changes a bit of a sequence's result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/f16.h"
#include "../common/lz_math.h"
#include "model_internal.h"

/* ================================================================ scratch */

struct lz_scratch {
    const lz_model *m;
    uint32_t max_tokens;
    float *rope_tab;       /* [2][max_tokens][n_rot] */
    float *x, *xn, *q, *k, *v, *att, *o, *gate, *up;
    uint8_t *act[3];       /* quantized activations, one buffer per partner type */
    uint32_t *out_src;     /* max_tokens: the token of each logits row */
    float *scores;         /* scores_rows rows of scores_len floats: max_group per thread,
                              or G per (token, KV head) pair of a split attention */
    uint32_t max_group;    /* score rows per thread: the most query heads one attention task handles */
    uint32_t scores_len;   /* keys a query may see: the largest n_ctx met so far */
    uint64_t scores_rows;
};

static void *alloc_floats(uint64_t n)
{
    uint64_t bytes;
    if (lz_mul_u64(n, sizeof(float), &bytes) || bytes > SIZE_MAX) return NULL;
    return lz_malloc_aligned((size_t)(bytes ? bytes : 64));
}

void lz_scratch_free(lz_scratch *s)
{
    if (!s) return;
    float *fl[] = { s->rope_tab, s->x, s->xn, s->q, s->k, s->v, s->att, s->o, s->gate, s->up, s->scores };
    for (size_t i = 0; i < LZ_ARRAY_LEN(fl); i++) lz_free_aligned(fl[i]);
    for (int i = 0; i < 3; i++) lz_free_aligned(s->act[i]);
    free(s->out_src);
    free(s);
}

lz_scratch *lz_scratch_create(const lz_model *m, uint32_t max_tokens, lz_err *err)
{
    if (!m || max_tokens == 0 || max_tokens > (1u << 20)) {
        lz_fail(err, LLAMAZIP_E_USAGE, "lz_scratch_create: need a model and 1 <= max_tokens <= 2^20");
        return NULL;
    }
    const lz_hparams *hp = &m->hp;
    lz_scratch *s = calloc(1, sizeof(*s));
    if (!s) goto nomem;
    s->m = m;
    s->max_tokens = max_tokens;
    /* a task's query heads: a group, or a tile of tokens' groups (attn_tile_task) */
    s->max_group = LZ_MAX_GROUP;
    const uint64_t B = max_tokens;
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
    s->out_src = malloc((size_t)B * sizeof(uint32_t));
    if (!s->rope_tab || !s->x || !s->xn || !s->o || !s->q || !s->att || !s->k || !s->v || !s->gate || !s->up ||
        !s->out_src)
        goto nomem;
    for (int i = 0; i < 3; i++) {
        uint64_t bytes;
        if (lz_mul_u64(B, m->act_row_max, &bytes) || bytes > SIZE_MAX) goto nomem;
        if (!(s->act[i] = lz_malloc_aligned((size_t)bytes))) goto nomem;
    }
    return s;
nomem:
    lz_scratch_free(s);
    lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory for the scratch of a batch of %u tokens", max_tokens);
    return NULL;
}

/* Room for `rows` rows of attention scores over `len` keys. */
static int ensure_scores(lz_scratch *s, uint64_t rows, uint32_t len, lz_err *err)
{
    if (s->scores_rows >= rows && s->scores_len >= len) return 0;
    if (len < s->scores_len) len = s->scores_len;
    if (rows < s->scores_rows) rows = s->scores_rows;
    lz_free_aligned(s->scores);
    s->scores = alloc_floats(rows * len);
    s->scores_rows = s->scores ? rows : 0;
    s->scores_len = s->scores ? len : 0;
    return s->scores ? 0 : lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory for attention scores");
}

/* ================================================================ forward pass */

/* One batch being evaluated. */
typedef struct {
    const lz_model *m;
    lz_scratch *s;
    lz_pool *pool;
    int n_threads;
    lz_isa isa;
    const lz_kernels *kern;
    const lz_batch_token *t;
    uint32_t n;            /* tokens in the batch */
    uint32_t il;           /* current layer */
    uint32_t n_out;        /* tokens whose logits are wanted ... */
    const uint32_t *out_src; /* ... out row k is token out_src[k] */
    float *logits;
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
    lz_dequantize_row(e->type, e->data + (size_t)F->t[b].token * e->row_bytes, x, n_embd);
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
    lz_scratch *s = F->s;
    const lz_kv_cache *kv = F->t[b].kv;
    const uint32_t il = F->il;
    const lz_layer *ly = &m->layers[il];
    const lz_layer_hparams *lh = &hp->layers[il];
    const uint32_t hd = hp->head_dim;
    const uint32_t n_q = lh->n_head * hd, n_kv = lh->n_head_kv * hd;
    float *q = s->q + (size_t)b * n_q;
    float *k = s->k + (size_t)b * n_kv;
    float *v = s->v + (size_t)b * n_kv;
    const float *cs = s->rope_tab + ((size_t)(lh->sliding ? s->max_tokens : 0) + b) * hp->n_rot;
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
    const size_t slot = (size_t)(F->t[b].pos % kv->cap[il]);
    lz_op_store_f16(kv->kc[il] + slot * n_kv, k, n_kv);
    lz_op_store_f16(kv->vc[il] + slot * n_kv, v, n_kv);
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

/* Output row k: the final norm of token out_src[k] (the rows with logits
 * are gathered to the front of xn, in batch order). */
static void stage_out_norm(const fwd *F, uint32_t k)
{
    const uint32_t n = F->m->hp.n_embd;
    lz_op_rmsnorm(F->s->xn + (size_t)k * n, F->s->x + (size_t)F->out_src[k] * n, F->m->output_norm, n,
                  F->m->hp.rms_eps);
}

static void stage_logits(const fwd *F, uint32_t k)
{
    const lz_model *m = F->m;
    const uint32_t nv = m->hp.n_vocab;
    float *y = F->logits + (size_t)k * nv;
    add_bias(y, m->output_bias, nv);
    if (m->hp.final_softcap != 0.0f) lz_op_softcap(y, nv, m->hp.final_softcap);
}

/* ---------------------------------------------------------------- attention */

typedef struct {
    const fwd *F;
    float kq_scale;
    uint32_t heads_per_task;   /* query heads of one KV head handled together */
    uint32_t tile;             /* tokens per task (attn_tile_task), 1 for attn_task */
} attn_job;

/* The keys token b's query heads on KV head kvh see: positions lo..pos in
 * ascending order, at most two runs of ring slots (run0 from slot s0, then
 * the rest from slot 0). */
typedef struct {
    uint32_t n_keys, s0, run0;
    uint32_t n_kv;               /* cache row stride, in f16 values */
    const uint16_t *kc, *vc;     /* this KV head's column of the cache */
} attn_keys;

static attn_keys attn_keys_of(const fwd *F, uint32_t b, uint32_t kvh)
{
    const lz_hparams *hp = &F->m->hp;
    const lz_layer_hparams *lh = &hp->layers[F->il];
    const lz_kv_cache *kv = F->t[b].kv;
    const uint32_t pos = F->t[b].pos, cap = kv->cap[F->il];
    const uint32_t lo = lh->sliding && pos + 1 > hp->n_swa ? pos + 1 - hp->n_swa : 0;
    attn_keys ak;
    ak.n_keys = pos - lo + 1;
    ak.s0 = lo % cap;
    ak.run0 = LZ_MIN(ak.n_keys, cap - ak.s0);
    ak.n_kv = lh->n_head_kv * hp->head_dim;
    ak.kc = kv->kc[F->il] + (size_t)kvh * hp->head_dim;
    ak.vc = kv->vc[F->il] + (size_t)kvh * hp->head_dim;
    return ak;
}

/* Scores of keys [k0, k1) for G queries: sc[g * stride + k]. */
static void attn_keys_scores(const fwd *F, const attn_keys *ak, const float *const *q, uint32_t G, float kq_scale,
                             uint32_t k0, uint32_t k1, float *sc, size_t stride)
{
    const uint32_t hd = F->m->hp.head_dim;
    if (k0 < ak->run0)
        F->kern->attn_scores(q, (int)G, ak->kc + (size_t)(ak->s0 + k0) * ak->n_kv, ak->n_kv, LZ_MIN(k1, ak->run0) - k0,
                             hd, kq_scale, sc + k0, stride);
    if (k1 > ak->run0) {
        const uint32_t k = LZ_MAX(k0, ak->run0);
        F->kern->attn_scores(q, (int)G, ak->kc + (size_t)(k - ak->run0) * ak->n_kv, ak->n_kv, k1 - k, hd, kq_scale,
                             sc + k, stride);
    }
}

/* The softmax of R heads' scores at once (row r at sc + r * stride, over
 * n[r] keys), in place: exp(s - max) in key order; their sums in sum. */
static void attn_softmax_rows(const fwd *F, float *sc, size_t stride, uint32_t R, const uint32_t *n, double *sum)
{
    float mx[LZ_MAX_GROUP];
    for (uint32_t r = 0; r < R; r++) {
        const float *x = sc + r * stride;
        mx[r] = -INFINITY;
        for (uint32_t k = 0; k < n[r]; k++)
            if (x[k] > mx[r]) mx[r] = x[k];
        sum[r] = 0.0;
    }
    F->kern->exp_sum_rows(sc, stride, R, n, mx, sum);
}

/* Outputs [i0, i0 + n) of G heads (out[g] points at output i0): the V sum
 * over every key in order, then the division by the softmax sum. */
static void attn_keys_wsum(const fwd *F, const attn_keys *ak, float *const *out, const float *const *w, uint32_t G,
                           uint32_t i0, uint32_t n, const double *sum)
{
    const float *w1[LZ_MAX_GROUP];
    for (uint32_t g = 0; g < G; g++) {
        memset(out[g], 0, n * sizeof(float));
        w1[g] = w[g] + ak->run0;
    }
    F->kern->attn_wsum(out, w, (int)G, ak->vc + (size_t)ak->s0 * ak->n_kv + i0, ak->n_kv, ak->run0, n);
    if (ak->run0 < ak->n_keys) F->kern->attn_wsum(out, w1, (int)G, ak->vc + i0, ak->n_kv, ak->n_keys - ak->run0, n);
    for (uint32_t g = 0; g < G; g++) {
        const float inv = 1.0f / (float)sum[g];
        for (uint32_t i = 0; i < n; i++) out[g][i] = out[g][i] * inv;
    }
}

/*
 * Query heads h0 .. h0+G-1 of token b, which share a KV head: scores over
 * the visible cache rows, softmax, V sum, each head in the reference's
 * order (kernels.h); the heads only share the loads of the cache rows, so
 * any grouping gives the same bits.
 */
static void attn_heads(const fwd *F, float kq_scale, uint32_t b, uint32_t h0, uint32_t G, float *sc)
{
    const lz_scratch *s = F->s;
    const lz_layer_hparams *lh = &F->m->hp.layers[F->il];
    const uint32_t hd = F->m->hp.head_dim;
    const attn_keys ak = attn_keys_of(F, b, h0 / (lh->n_head / lh->n_head_kv));
    const float *q[LZ_MAX_GROUP] = { 0 }, *w[LZ_MAX_GROUP] = { 0 };   /* entries 0..G-1 set below */
    float *out[LZ_MAX_GROUP];
    double sum[LZ_MAX_GROUP];
    for (uint32_t g = 0; g < G; g++) {
        q[g] = s->q + (size_t)b * lh->n_head * hd + (size_t)(h0 + g) * hd;
        out[g] = s->att + (size_t)b * lh->n_head * hd + (size_t)(h0 + g) * hd;
        w[g] = sc + g * s->scores_len;
    }
    uint32_t n_keys[LZ_MAX_GROUP];
    for (uint32_t g = 0; g < G; g++) n_keys[g] = ak.n_keys;
    attn_keys_scores(F, &ak, q, G, kq_scale, 0, ak.n_keys, sc, s->scores_len);
    attn_softmax_rows(F, sc, s->scores_len, G, n_keys, sum);
    attn_keys_wsum(F, &ak, out, w, G, 0, hd, sum);
}

/* One token and a run of heads_per_task query heads on one KV head. */
static void attn_task(void *arg, int task, int thread)
{
    const attn_job *j = arg;
    const fwd *F = j->F;
    const lz_layer_hparams *lh = &F->m->hp.layers[F->il];
    const uint32_t G = j->heads_per_task, tasks_per_token = lh->n_head / G;
    attn_heads(F, j->kq_scale, (uint32_t)task / tasks_per_token, ((uint32_t)task % tasks_per_token) * G, G,
               F->s->scores + (size_t)thread * F->s->max_group * F->s->scores_len);
}

/*
 * Tiles of tokens. The tokens compression feeds come in runs of one
 * sequence at consecutive positions, and on layers without a window (or
 * before the window fills) token i of such a run sees the first token's
 * keys plus i more. A task of up to `tile` tokens and one KV head scores
 * the query heads of all of them over the shared keys in one kernel call,
 * so each converted cache row serves tile x G queries instead of G, then
 * the few keys past the first token's per token; the V sums likewise.
 * Every score is its own dot product, every softmax runs over its keys in
 * order and every output element adds its rows in ascending order (the
 * kernels' contracts), so a tile gives attn_task's bits for each of its
 * tokens (test_model: batches equal to single steps and to the scalar
 * reference).
 */

/* How many tokens from b on (at most max) form such a run: the same
 * cache, consecutive positions, keys from cache row 0 without a wrap;
 * 0 if token b's keys start elsewhere (a window that moved). */
static uint32_t tile_run(const fwd *F, uint32_t b, uint32_t max, uint32_t kvh)
{
    const attn_keys a0 = attn_keys_of(F, b, kvh);
    if (a0.s0 != 0 || a0.run0 != a0.n_keys) return 0;
    uint32_t r = 1;
    while (r < max && F->t[b + r].kv == F->t[b].kv && F->t[b + r].pos == F->t[b].pos + r) {
        const attn_keys a = attn_keys_of(F, b + r, kvh);
        if (a.s0 != 0 || a.run0 != a.n_keys || a.n_keys != a0.n_keys + r) break;
        r++;
    }
    return r;
}

/* The G heads of KV head kvh for the r tokens of a run from b. */
static void attn_run(const fwd *F, float kq_scale, uint32_t b, uint32_t r, uint32_t kvh, float *sc)
{
    const lz_scratch *s = F->s;
    const lz_layer_hparams *lh = &F->m->hp.layers[F->il];
    const uint32_t hd = F->m->hp.head_dim, G = lh->n_head / lh->n_head_kv, Q = r * G;
    const attn_keys ak = attn_keys_of(F, b, kvh);
    const uint32_t n0 = ak.n_keys;   /* keys every token of the run sees */
    const float *q[LZ_MAX_GROUP] = { 0 }, *w[LZ_MAX_GROUP] = { 0 }, *w1[LZ_MAX_GROUP] = { 0 };
    float *out[LZ_MAX_GROUP] = { 0 };
    double sum[LZ_MAX_GROUP];
    for (uint32_t i = 0; i < r; i++)
        for (uint32_t g = 0; g < G; g++) {
            const size_t at = (size_t)(b + i) * lh->n_head * hd + (size_t)(kvh * G + g) * hd;
            q[i * G + g] = s->q + at;
            out[i * G + g] = s->att + at;
            w[i * G + g] = sc + (size_t)(i * G + g) * s->scores_len;
            w1[i * G + g] = w[i * G + g] + n0;
        }
    const size_t rows = (size_t)n0 * ak.n_kv;   /* offset of key n0 in the cache column */
    F->kern->attn_scores(q, (int)Q, ak.kc, ak.n_kv, n0, hd, kq_scale, sc, s->scores_len);
    for (uint32_t i = 1; i < r; i++)
        F->kern->attn_scores(q + i * G, (int)G, ak.kc + rows, ak.n_kv, i, hd, kq_scale,
                             sc + (size_t)i * G * s->scores_len + n0, s->scores_len);
    uint32_t n_keys[LZ_MAX_GROUP];
    for (uint32_t k = 0; k < Q; k++) {
        n_keys[k] = n0 + k / G;
        memset(out[k], 0, hd * sizeof(float));
    }
    attn_softmax_rows(F, sc, s->scores_len, Q, n_keys, sum);
    F->kern->attn_wsum(out, w, (int)Q, ak.vc, ak.n_kv, n0, hd);
    for (uint32_t i = 1; i < r; i++) F->kern->attn_wsum(out + i * G, w1 + i * G, (int)G, ak.vc + rows, ak.n_kv, i, hd);
    for (uint32_t k = 0; k < Q; k++) {
        const float inv = 1.0f / (float)sum[k];
        for (uint32_t i = 0; i < hd; i++) out[k][i] = out[k][i] * inv;
    }
}

static void attn_tile_task(void *arg, int task, int thread)
{
    const attn_job *j = arg;
    const fwd *F = j->F;
    const uint32_t n_head_kv = F->m->hp.layers[F->il].n_head_kv;
    const uint32_t b1 = LZ_MIN(F->n, ((uint32_t)task / n_head_kv + 1) * j->tile), kvh = (uint32_t)task % n_head_kv;
    float *sc = F->s->scores + (size_t)thread * F->s->max_group * F->s->scores_len;
    for (uint32_t b = ((uint32_t)task / n_head_kv) * j->tile; b < b1;) {
        const uint32_t r = tile_run(F, b, b1 - b, kvh);
        if (r) attn_run(F, j->kq_scale, b, r, kvh, sc);
        else attn_heads(F, j->kq_scale, b, kvh * j->heads_per_task, j->heads_per_task, sc);
        b += r ? r : 1;
    }
}

/*
 * Few (token, KV head) pairs for the threads: single steps, where one task
 * per query head made every head read the whole cache (4x the memory traffic
 * of Gemma 3's shared KV head at long positions), and lockstep steps of a
 * few streams, where one task per pair left a thread idle for a whole
 * pair's attention when the pairs do not divide among the threads (3
 * streams on 2 threads: the second thread idle a third of the time).
 * Instead each pair's work is split three ways, in three pool runs: the
 * scores over chunks of cache rows (every head of the pair sharing each
 * row), the softmax per head (or per pair, with a pair per thread or
 * more), the V sums over slices of the head's outputs.
 * Each score is its own dot product, each softmax runs over the keys in
 * order and each output element adds its rows in ascending order whatever
 * slice it is in, so the split gives attn_task's bits (test_model: single
 * steps equal to batches, several sequences equal to each alone).
 * Pair p is token p / n_head_kv, KV head p % n_head_kv; its scores are
 * rows p * G .. p * G + G - 1 of the scratch.
 */
#define SPLIT_MAX_PAIRS 32
#define SPLIT_SLICE 64   /* outputs per V-sum task */

typedef struct {
    const fwd *F;
    float kq_scale;
    uint32_t G, chunk;
    uint32_t softmax_rows;   /* heads per softmax task: 1 or G */
    uint32_t first_task[SPLIT_MAX_PAIRS + 1];   /* of each pair's score chunks */
    double sum[SPLIT_MAX_PAIRS][LZ_MAX_GROUP];
} split_job;

static attn_keys split_keys(const split_job *j, uint32_t p)
{
    const uint32_t n_head_kv = j->F->m->hp.layers[j->F->il].n_head_kv;
    return attn_keys_of(j->F, p / n_head_kv, p % n_head_kv);
}

static float *split_scores(const split_job *j, uint32_t p)
{
    return j->F->s->scores + (size_t)p * j->G * j->F->s->scores_len;
}

/* Whether attention over n_pairs (token, KV head) pairs of G query heads
 * runs split: at most as many pairs as threads, or a few more that do not
 * divide among them (a multiple of the threads balances as whole pairs,
 * with one pool run instead of three). */
static int use_split(uint32_t n_pairs, uint32_t G, int n_threads)
{
    if (G > LZ_MAX_GROUP || n_pairs > SPLIT_MAX_PAIRS) return 0;
    return n_pairs <= (uint32_t)n_threads || n_pairs % (uint32_t)n_threads != 0;
}

/* Query head g of pair p: its query (and *out, its output row). */
static const float *split_query(const split_job *j, uint32_t p, uint32_t g, float **out)
{
    const fwd *F = j->F;
    const uint32_t hd = F->m->hp.head_dim;
    /* token p / n_head_kv, head (p % n_head_kv) * G + g: row p * G + g of the token-major heads */
    const size_t at = ((size_t)p * j->G + g) * hd;
    if (out) *out = F->s->att + at;
    return F->s->q + at;
}

static void split_scores_task(void *arg, int task, int thread)
{
    (void)thread;
    const split_job *j = arg;
    uint32_t p = 0;
    while ((uint32_t)task >= j->first_task[p + 1]) p++;
    const attn_keys ak = split_keys(j, p);
    const uint32_t k0 = ((uint32_t)task - j->first_task[p]) * j->chunk, k1 = LZ_MIN(k0 + j->chunk, ak.n_keys);
    const float *q[LZ_MAX_GROUP];
    for (uint32_t g = 0; g < j->G; g++) q[g] = split_query(j, p, g, NULL);
    attn_keys_scores(j->F, &ak, q, j->G, j->kq_scale, k0, k1, split_scores(j, p), j->F->s->scores_len);
}

/* The softmax of softmax_rows heads of one pair: one head each when the
 * pairs are fewer than the threads (so every thread gets some), else all
 * G together (exp_sum_rows advances their sums side by side). */
static void split_softmax_task(void *arg, int task, int thread)
{
    (void)thread;
    split_job *j = arg;
    const uint32_t R = j->softmax_rows, p = (uint32_t)task * R / j->G, g0 = (uint32_t)task * R % j->G;
    const uint32_t n = split_keys(j, p).n_keys;
    uint32_t n_keys[LZ_MAX_GROUP];
    for (uint32_t r = 0; r < R; r++) n_keys[r] = n;
    attn_softmax_rows(j->F, split_scores(j, p) + g0 * j->F->s->scores_len, j->F->s->scores_len, R, n_keys,
                      &j->sum[p][g0]);
}

static void split_wsum_task(void *arg, int task, int thread)
{
    (void)thread;
    const split_job *j = arg;
    const uint32_t hd = j->F->m->hp.head_dim, slices = (hd + SPLIT_SLICE - 1) / SPLIT_SLICE;
    const uint32_t p = (uint32_t)task / slices, i0 = ((uint32_t)task % slices) * SPLIT_SLICE;
    const attn_keys ak = split_keys(j, p);
    const float *w[LZ_MAX_GROUP];
    float *out[LZ_MAX_GROUP];
    for (uint32_t g = 0; g < j->G; g++) {
        split_query(j, p, g, &out[g]);
        out[g] += i0;
        w[g] = split_scores(j, p) + g * j->F->s->scores_len;
    }
    attn_keys_wsum(j->F, &ak, out, w, j->G, i0, LZ_MIN((uint32_t)SPLIT_SLICE, hd - i0), j->sum[p]);
}

static void run_attention_split(const fwd *F, float kq_scale, uint32_t G, uint32_t n_pairs)
{
    split_job j;
    memset(&j, 0, sizeof(j));
    j.F = F;
    j.kq_scale = kq_scale;
    j.G = G;
    uint32_t max_keys = 0;
    for (uint32_t p = 0; p < n_pairs; p++) max_keys = LZ_MAX(max_keys, split_keys(&j, p).n_keys);
    /* about four chunks per thread over the longest pair; whole blocks of 16 rows */
    const uint32_t want = (uint32_t)F->n_threads * 4;
    j.chunk = LZ_MAX(64u, ((max_keys + want - 1) / want + 15) / 16 * 16);
    for (uint32_t p = 0; p < n_pairs; p++)
        j.first_task[p + 1] = j.first_task[p] + (split_keys(&j, p).n_keys + j.chunk - 1) / j.chunk;
    const uint32_t slices = (F->m->hp.head_dim + SPLIT_SLICE - 1) / SPLIT_SLICE;
    lz_pool_run(F->pool, (int)j.first_task[n_pairs], split_scores_task, &j);
    j.softmax_rows = n_pairs >= (uint32_t)F->n_threads ? G : 1;
    lz_pool_run(F->pool, (int)(n_pairs * G / j.softmax_rows), split_softmax_task, &j);
    lz_pool_run(F->pool, (int)(n_pairs * slices), split_wsum_task, &j);
}

static void run_attention(const fwd *F)
{
    const lz_model *m = F->m;
    const lz_layer_hparams *lh = &m->hp.layers[F->il];
    attn_job j = { F, m->arch->q_prescale ? 1.0f : m->hp.attn_scale, lh->n_head / lh->n_head_kv, 1 };
    const uint32_t n_pairs = F->n * lh->n_head_kv;
    if (use_split(n_pairs, j.heads_per_task, F->n_threads)) {
        run_attention_split(F, j.kq_scale, j.heads_per_task, n_pairs);
        return;
    }
    /* whole groups share the cache loads; with too few tokens to keep the
     * threads busy, one head per task instead */
    if (j.heads_per_task > LZ_MAX_GROUP || n_pairs < (uint32_t)F->n_threads * 2) j.heads_per_task = 1;
    /* batches long enough to give every thread several tiles: tiles of
     * consecutive tokens share the cache rows too */
    j.tile = LZ_MAX_GROUP / j.heads_per_task;
    if (j.heads_per_task == lh->n_head / lh->n_head_kv && j.tile > 1 && F->n >= j.tile * (uint32_t)F->n_threads * 4) {
        const uint32_t tiles = (F->n + j.tile - 1) / j.tile;
        lz_pool_run(F->pool, (int)(tiles * lh->n_head_kv), attn_tile_task, &j);
        return;
    }
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
    if (lz_gemm_packed(&w->pack->pm, ms->isa, r0, r_end - r0, j->act, j->act_bytes, ms->n_cols,
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

/* Pack w once, on its first product. Every product goes through the
 * panels, one column too: single steps are bound by the bytes they read,
 * and the tiles read panels (prefetched into L2, no larger than the rows
 * for Q8_0) faster than vec_dot reads the rows: Gemma's single steps 38.5
 * -> 25.9 ms on one core of an Intel Xeon, for ~280 MiB more memory when a
 * process only decodes one segment (doc/engine.md). Without memory or a
 * packed form (NEON, scalar), the products use the rows as stored. */
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
    lz_scratch *s = F->s;
    quant_job q = { F->kern, x, x_stride, w[0]->n_in, { 0 }, { 0 }, { 0 }, 0 };
    mm_set ms;
    memset(&ms, 0, sizeof(ms));
    ms.n_jobs = n;
    ms.n_cols = n_cols;
    ms.isa = F->isa;
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
        ensure_packed(F, w[i]);
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

/* cos/sin of every token's position, for full and sliding layers (each
 * sequence has its own RoPE settings: longrope depends on its length). */
static void rope_tables(const fwd *F)
{
    lz_scratch *s = F->s;
    const uint32_t n_rot = F->m->hp.n_rot;
    for (int t = 0; t < 2; t++) {
        if (t == 1 && !F->m->has_swa) break;
        for (uint32_t b = 0; b < F->n; b++)
            lz_op_rope_table(&F->t[b].kv->rope[t], F->t[b].pos, s->rope_tab + ((size_t)t * s->max_tokens + b) * n_rot);
    }
}

static void layer_forward(fwd *F, uint32_t il)
{
    const lz_model *m = F->m;
    lz_scratch *s = F->s;
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
    lz_scratch *s = F->s;
    const uint32_t n_embd = m->hp.n_embd;
    run_rows(F, stage_embed, 0, F->n);
    rope_tables(F);
    for (uint32_t il = 0; il < m->hp.n_layer; il++) layer_forward(F, il);
    if (F->n_out == 0) return;
    /* xn is free again after the last layer: the wanted rows are normed
     * into its first n_out rows, in batch order */
    run_rows(F, stage_out_norm, 0, F->n_out);
    matmul1(F, s->xn, n_embd, F->n_out, &m->output, F->logits, m->hp.n_vocab);
    if (m->output_bias || m->hp.final_softcap != 0.0f) run_rows(F, stage_logits, 0, F->n_out);
}
/* ---------------------------------------------------------------- entry */

/* The batch's rules (model.h): tokens in range, and the tokens of each
 * sequence at consecutive positions its cache can take. */
static int check_batch(const lz_model *m, const lz_batch_token *t, uint32_t n, lz_err *err)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!t[i].kv || t[i].kv->m != m) return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: bad KV cache");
        if (t[i].token < 0 || (uint32_t)t[i].token >= m->hp.n_vocab)
            return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: token id %d out of range (vocabulary %u)", t[i].token,
                           m->hp.n_vocab);
        uint32_t prev = i, count = 1;
        for (uint32_t j = i; j-- > 0;)
            if (t[j].kv == t[i].kv) {
                prev = j;
                break;
            }
        if (prev != i) {
            if (t[i].pos != t[prev].pos + 1)
                return lz_fail(err, LLAMAZIP_E_USAGE,
                               "lz_model_eval: a sequence's tokens must have consecutive positions (%u after %u)",
                               t[i].pos, t[prev].pos);
            continue;
        }
        for (uint32_t j = i + 1; j < n; j++) count += t[j].kv == t[i].kv;
        int rc = lz_kv_check(t[i].kv, t[i].pos, count, err);
        if (rc) return rc;
    }
    return 0;
}

int lz_model_eval_batch(const lz_model *m, lz_scratch *s, lz_pool *pool, lz_isa isa, const lz_batch_token *t,
                        uint32_t n, float *logits, lz_err *err)
{
    if (!m || !s || s->m != m || (n > 0 && !t)) return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: bad arguments");
    if (n == 0) return 0;
    if (n > s->max_tokens)
        return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: %u tokens, the scratch holds %u", n, s->max_tokens);
    int rc = check_batch(m, t, n, err);
    if (rc) return rc;
    uint32_t n_out = 0, max_keys = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (t[i].logits) s->out_src[n_out++] = i;
        if (t[i].kv->n_ctx > max_keys) max_keys = t[i].kv->n_ctx;
    }
    if (n_out > 0 && !logits) return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: no buffer for the logits");
    /* score rows: a group per thread, or G per pair of a split layer */
    uint64_t score_rows = (uint64_t)lz_pool_size(pool) * s->max_group;
    for (uint32_t il = 0; il < m->hp.n_layer; il++) {
        const lz_layer_hparams *lh = &m->hp.layers[il];
        if (use_split(n * lh->n_head_kv, lh->n_head / lh->n_head_kv, lz_pool_size(pool)))
            score_rows = LZ_MAX(score_rows, (uint64_t)n * lh->n_head);
    }
    if ((rc = ensure_scores(s, score_rows, max_keys, err))) return rc;

    fwd F;
    memset(&F, 0, sizeof(F));
    F.m = m;
    F.s = s;
    F.pool = pool;
    F.n_threads = lz_pool_size(pool);
    F.isa = isa;
    F.kern = lz_kernels_get(isa);
    F.t = t;
    F.n = n;
    F.n_out = n_out;
    F.out_src = s->out_src;
    F.logits = logits;
    forward(&F);
    /* each sequence now holds its positions up to its last token here */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t last = i;
        int first = 1;
        for (uint32_t j = 0; j < i && first; j++) first = t[j].kv != t[i].kv;
        if (!first) continue;
        for (uint32_t j = i + 1; j < n; j++)
            if (t[j].kv == t[i].kv) last = j;
        lz_kv_note(t[i].kv, t[i].pos, t[last].pos - t[i].pos + 1);
    }
    return 0;
}

/* ================================================================ one sequence */

struct lz_eval_state {
    lz_kv_cache *kv;
    lz_scratch *sc;
    lz_batch_token *batch;   /* max_batch entries */
};

uint32_t lz_eval_state_n_ctx(const lz_eval_state *s) { return lz_kv_cache_n_ctx(s->kv); }

void lz_eval_state_free(lz_eval_state *s)
{
    if (!s) return;
    lz_kv_cache_free(s->kv);
    lz_scratch_free(s->sc);
    free(s->batch);
    free(s);
}

lz_eval_state *lz_eval_state_create(const lz_model *m, uint32_t n_ctx, uint32_t max_batch, lz_err *err)
{
    if (!m || n_ctx == 0 || max_batch == 0 || n_ctx > (1u << 24)) {
        lz_fail(err, LLAMAZIP_E_USAGE, "lz_eval_state_create: need a model, 1 <= n_ctx <= 2^24 and max_batch >= 1");
        return NULL;
    }
    if (max_batch > n_ctx) max_batch = n_ctx;
    lz_eval_state *s = calloc(1, sizeof(*s));
    if (!s) {
        lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory");
        return NULL;
    }
    s->kv = lz_kv_cache_create(m, n_ctx, max_batch, err);
    s->sc = s->kv ? lz_scratch_create(m, max_batch, err) : NULL;
    s->batch = malloc((size_t)max_batch * sizeof(*s->batch));
    if (!s->kv || !s->sc || !s->batch) {
        if (s->kv && s->sc) lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory");
        lz_eval_state_free(s);
        return NULL;
    }
    return s;
}

int lz_model_eval(const lz_model *m, lz_eval_state *s, lz_pool *pool, lz_isa isa,
                  const int32_t *tokens, uint32_t n, uint32_t pos0, float *logits, int last_only,
                  lz_err *err)
{
    if (!m || !s || s->kv->m != m || (n > 0 && (!tokens || !logits)))
        return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: bad arguments");
    if (n == 0) return 0;
    if ((uint64_t)pos0 + n > s->kv->n_ctx)
        return lz_fail(err, LLAMAZIP_E_USAGE, "lz_model_eval: positions %u..%u exceed the context of %u", pos0,
                       pos0 + n - 1, s->kv->n_ctx);
    const uint32_t max_batch = s->kv->max_batch;
    for (uint32_t done = 0; done < n;) {
        const uint32_t nb = LZ_MIN(n - done, max_batch);
        const int last_batch = done + nb == n;
        for (uint32_t i = 0; i < nb; i++) {
            s->batch[i].kv = s->kv;
            s->batch[i].token = tokens[done + i];
            s->batch[i].pos = pos0 + done + i;
            s->batch[i].logits = !last_only || (last_batch && i == nb - 1);
        }
        float *out = last_only ? logits : logits + (size_t)done * m->hp.n_vocab;
        int rc = lz_model_eval_batch(m, s->sc, pool, isa, s->batch, nb, out, err);
        if (rc) return rc;
        done += nb;
    }
    return 0;
}
