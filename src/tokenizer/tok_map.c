/*
 * tok_map.c - the tokenizer's containers: texts by id, the open-addressing
 * text -> id map over them, growable scratch buffers and the output vector.
 */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* ------------------------------------------------------------ scratch and output */

int tok_buf_fit(tok_buf *b, size_t n, size_t sz, lz_err *err)
{
    if (n > SIZE_MAX / sz) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: scratch size overflow");
    const size_t need = n * sz;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    void *p = realloc(b->p, cap);
    if (!p) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (%zu bytes of scratch)", cap);
    b->p = p;
    b->cap = cap;
    return 0;
}

void tok_work_free(tok_work *w)
{
    tok_buf *all[] = {&w->src, &w->esc, &w->sym, &w->heap, &w->cand, &w->units_cp, &w->units_cls,
                      &w->units_off, &w->bounds, &w->bounds2, &w->enc, &w->pair_cache};
    for (size_t i = 0; i < LZ_ARRAY_LEN(all); i++) free(all[i]->p);
    memset(w, 0, sizeof(*w));
}

int tok_out_reserve(tok_out *o, size_t extra, lz_err *err)
{
    if (o->n + extra <= o->cap) return 0;
    size_t cap = o->cap ? o->cap : 1024;
    while (cap < o->n + extra) cap *= 2;
    int32_t *v = realloc(o->v, cap * sizeof(*v));
    if (!v) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (%zu tokens)", cap);
    o->v = v;
    o->cap = cap;
    return 0;
}

/* ------------------------------------------------------------ text -> id map */

static uint32_t tok_hash(const uint8_t *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)s[i] << (8 * i);
    h = (h ^ v) * 0x94D049BB133111EBull;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

int32_t tok_map_find(const lz_tokenizer *t, const uint8_t *s, size_t len)
{
    const uint32_t h = tok_hash(s, len);
    for (uint32_t i = h & t->map.mask;; i = (i + 1) & t->map.mask) {
        const uint64_t e = t->map.slot[i];
        if (!e) return -1;
        if ((uint32_t)(e >> 32) != h) continue;
        const int32_t id = (int32_t)(uint32_t)e - 1;
        uint32_t tl;
        const uint8_t *tx = tok_text(t, id, &tl);
        if (tl == len && memcmp(tx, s, len) == 0) return id;
    }
}

/* Insert id for its text; an existing entry for the same text is replaced
 * (llama.cpp: the last duplicate wins). */
static void tok_map_put(tok_map *m, const lz_tokenizer *t, int32_t id)
{
    uint32_t len;
    const uint8_t *s = tok_text(t, id, &len);
    const uint32_t h = tok_hash(s, len);
    for (uint32_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const uint64_t e = m->slot[i];
        if (e && (uint32_t)(e >> 32) == h) {
            uint32_t ol;
            const uint8_t *os = tok_text(t, (int32_t)(uint32_t)e - 1, &ol);
            if (ol == len && memcmp(os, s, len) == 0) {
                m->slot[i] = ((uint64_t)h << 32) | (uint32_t)(id + 1);
                return;
            }
            continue;
        }
        if (!e) {
            m->slot[i] = ((uint64_t)h << 32) | (uint32_t)(id + 1);
            return;
        }
    }
}

int tok_map_rebuild(lz_tokenizer *t, uint32_t min_entries, lz_err *err)
{
    uint32_t size = 1024;
    while (size < 2 * (uint64_t)min_entries) size *= 2;
    uint64_t *slot = calloc(size, sizeof(*slot));
    if (!slot) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (token map)");
    free(t->map.slot);
    t->map.slot = slot;
    t->map.mask = size - 1;
    for (uint32_t id = 0; id < t->texts.n; id++) tok_map_put(&t->map, t, (int32_t)id);
    return 0;
}

int tok_texts_add(tok_texts *x, const uint8_t *s, size_t len)
{
    if (x->n + 1 >= x->cap) {
        uint32_t cap = x->cap ? x->cap * 2 : 1024;
        uint32_t *off = realloc(x->off, (size_t)(cap + 1) * sizeof(*off));
        if (!off) return -1;
        x->off = off;
        x->cap = cap;
        if (x->n == 0) x->off[0] = 0;
    }
    if (x->blob_len + len > UINT32_MAX) return -1;
    if (x->blob_len + len > x->blob_cap) {
        size_t cap = x->blob_cap ? x->blob_cap : 65536;
        while (cap < x->blob_len + len) cap *= 2;
        uint8_t *b = realloc(x->blob, cap);
        if (!b) return -1;
        x->blob = b;
        x->blob_cap = cap;
    }
    if (len) memcpy(x->blob + x->blob_len, s, len);
    x->blob_len += len;
    x->n++;
    x->off[x->n] = (uint32_t)x->blob_len;
    return 0;
}

int32_t tok_map_intern(lz_tokenizer *t, const uint8_t *s, size_t len)
{
    const int32_t id = tok_map_find(t, s, len);
    if (id >= 0) return id;
    if (t->texts.n >= INT32_MAX - 1 || tok_texts_add(&t->texts, s, len)) return -1;
    const int32_t nid = (int32_t)t->texts.n - 1;
    if ((uint64_t)t->texts.n * 2 > (uint64_t)t->map.mask + 1) {
        if (tok_map_rebuild(t, t->texts.n * 2, NULL)) return -1;
    } else {
        tok_map_put(&t->map, t, nid);
    }
    return nid;
}
