/*
 * spm.c - SentencePiece (tokenizer.ggml.model = "llama") over one raw
 * fragment, as llama.cpp does it: spaces become U+2581, the text starts as
 * one symbol per UTF-8 character, and adjacent symbols whose concatenation
 * is a token merge, highest token score first (ties: leftmost). Symbols
 * that end up not being tokens are spelled with byte tokens.
 *
 * Each final symbol (or the few symbols that together cover whole source
 * bytes, see spm_emit) goes through tok_emit_checked, so a literal
 * U+2581, a merge into a control token or any other piece that would not
 * decode back to its source bytes is spelled with byte tokens instead.
 */
#include <string.h>

#include "tok_heap.h"
#include "tok_internal.h"
#include "unicode.h"

typedef struct {
    int32_t prev, next;
    uint32_t start, n;   /* bytes of the escaped text; n = 0 once merged away */
    int32_t id;          /* token id, -1 if the text is not a token */
    int32_t ch;          /* one-character symbol: ASCII byte, 128 for U+2581; else -1 */
} spm_sym;

typedef struct {
    int32_t left, right, id;
    float score;
} spm_cached;

/* Size the per-call pair cache for the whole input (w->input_len): it
 * only grows, up to 65536 entries, and keeps its contents across
 * fragments. */
static int spm_cache_fit(tok_work *w, lz_err *err)
{
    size_t want = 64;
    while (want < 2 * w->input_len && want < 65536) want *= 2;
    if (w->pair_cache.p && (size_t)w->pair_cache_mask + 1 >= want) return 0;
    int rc = tok_buf_fit(&w->pair_cache, want, sizeof(spm_cached), err);
    if (rc) return rc;
    memset(w->pair_cache.p, 0xFF, want * sizeof(spm_cached));   /* left = -1: empty */
    w->pair_cache_mask = (uint32_t)want - 1;
    return 0;
}

/* Token whose text is the concatenation of symbols l and r, -1 if none.
 * Pairs of known tokens go through the cache: the answer only depends on
 * the two texts. */
static int32_t spm_pair_token(const lz_tokenizer *t, tok_work *w, const uint8_t *esc, const spm_sym *sym,
                              int32_t l, int32_t r, float *score)
{
    if (sym[l].ch >= 0 && sym[r].ch >= 0) {
        const int32_t id = t->spm_pair1[sym[l].ch * 129 + sym[r].ch];
        *score = id >= 0 ? t->score[id] : 0.0f;
        return id;
    }
    const int32_t a = sym[l].id, b = sym[r].id;
    const uint8_t *rt = esc + sym[r].start;
    if (a >= 0 && sym[r].n >= 3 && rt[0] == 0xE2 && rt[1] == 0x96 && rt[2] == 0x81 &&
        !(t->attr[a] & TOK_ATTR_BEFORE_SPACE))
        return -1;   /* no token has text(a) followed by U+2581 */
    spm_cached *c = NULL;
    if (a >= 0 && b >= 0) {
        uint32_t h = (uint32_t)a * 0x9E3779B1u ^ (uint32_t)b * 0x85EBCA77u;
        h ^= h >> 15;
        c = (spm_cached *)w->pair_cache.p + (h & w->pair_cache_mask);
        if (c->left == a && c->right == b) {
            *score = c->score;
            return c->id;
        }
    }
    int32_t id = tok_map_find(t, esc + sym[l].start, sym[l].n + sym[r].n);
    if ((uint32_t)id >= t->n_vocab) id = -1;
    *score = id >= 0 ? t->score[id] : 0.0f;
    if (c) {
        c->left = a;
        c->right = b;
        c->id = id;
        c->score = *score;
    }
    return id;
}

static int spm_try_pair(const lz_tokenizer *t, tok_work *w, const uint8_t *esc, const spm_sym *sym, int32_t l,
                        int32_t r, tok_heap *h, lz_err *err)
{
    if (l < 0 || r < 0) return 0;
    float score;
    const int32_t id = spm_pair_token(t, w, esc, sym, l, r, &score);
    if (id < 0) return 0;
    return tok_heap_push(h, tok_heap_key(tok_score_order(score), l), sym[l].n + sym[r].n, id, err);
}

/* Token of a one-character symbol, -1 if none. */
static int32_t spm_char_token(const lz_tokenizer *t, const uint8_t *c, size_t len)
{
    if (len == 1 && c[0] < 128) return t->spm_char_id[c[0]];
    if (len == 3 && c[0] == 0xE2 && c[1] == 0x96 && c[2] == 0x81) return t->spm_space_id;
    const int32_t id = tok_map_find(t, c, len);
    return (uint32_t)id < t->n_vocab ? id : -1;
}

/* Merge symbols [first, end) (a chain segment) to completion. */
static int spm_merge(const lz_tokenizer *t, tok_work *w, const uint8_t *esc, spm_sym *sym, int32_t first,
                     int32_t end, lz_err *err)
{
    int rc;
    tok_heap h = {w->heap.p, 0, &w->heap};
    for (int32_t i = first + 1; i < end; i++) {
        if ((rc = spm_try_pair(t, w, esc, sym, i - 1, i, &h, err))) return rc;
    }
    while (h.n) {
        const tok_heap_item p = tok_heap_pop(&h);
        const int32_t li = tok_heap_left(p.key);
        spm_sym *l = &sym[li];
        if (l->n == 0 || l->next < 0) continue;
        spm_sym *r = &sym[l->next];
        if (l->n + r->n != p.size) continue;   /* stale: one side has changed since */
        l->n += r->n;
        l->id = p.id;
        l->ch = -1;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = li;
        if ((rc = spm_try_pair(t, w, esc, sym, l->prev, li, &h, err)) ||
            (rc = spm_try_pair(t, w, esc, sym, li, l->next, &h, err)))
            return rc;
    }
    return 0;
}

/* Append the tokens llama.cpp gives one final symbol: its token, or one
 * byte-fallback token per byte. */
static int spm_symbol_tokens(const lz_tokenizer *t, const uint8_t *esc, spm_sym *s, tok_buf *cand, size_t *n_cand,
                             lz_err *err)
{
    const size_t need = *n_cand + (s->id >= 0 ? 1 : s->n);
    int rc = tok_buf_fit(cand, need, sizeof(int32_t), err);
    if (rc) return rc;
    int32_t *c = cand->p;
    if (s->id >= 0) {
        c[(*n_cand)++] = s->id;
    } else {
        for (uint32_t j = 0; j < s->n; j++) c[(*n_cand)++] = t->spm_byte_tok[esc[s->start + j]];
    }
    return 0;
}

/* Walk the final symbols, grouping them until they end on a source byte
 * boundary (a symbol can end inside the three bytes a space became when an
 * invalid lead byte swallowed part of it), and emit each group checked. */
static int spm_emit(const lz_tokenizer *t, tok_work *w, const uint8_t *src, size_t ns, const uint8_t *esc,
                    spm_sym *sym, tok_out *out, lz_err *err)
{
    size_t src_pos = 0, esc_pos = 0, group_start = 0, n_cand = 0;
    for (int32_t i = 0; i >= 0; i = sym[i].next) {
        int rc = spm_symbol_tokens(t, esc, &sym[i], &w->cand, &n_cand, err);
        if (rc) return rc;
        const size_t esc_end = sym[i].start + sym[i].n;
        while (src_pos < ns) {
            const size_t width = src[src_pos] == ' ' ? 3 : 1;
            if (esc_pos + width > esc_end) break;
            esc_pos += width;
            src_pos++;
        }
        if (esc_pos != esc_end) continue;
        rc = tok_emit_checked(t, out, w->cand.p, n_cand, src + group_start, src_pos - group_start,
                              t->add_space_prefix, err);
        if (rc) return rc;
        n_cand = 0;
        group_start = src_pos;
    }
    return 0;
}

int tok_spm_fragment(const lz_tokenizer *t, tok_work *w, const uint8_t *s, size_t n, int prefix, tok_out *out,
                     lz_err *err)
{
    const size_t ns = n + (prefix ? 1 : 0);
    if (ns > INT32_MAX / 3)   /* symbol indices and offsets are 32-bit */
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED, "tokenizer: a text fragment of %zu bytes is too long", n);
    int rc;
    if ((rc = tok_buf_fit(&w->src, ns, 1, err)) || (rc = tok_buf_fit(&w->esc, 3 * ns, 1, err))) return rc;
    uint8_t *src = w->src.p, *esc = w->esc.p;
    if (prefix) src[0] = ' ';
    memcpy(src + (prefix ? 1 : 0), s, n);

    size_t ne = 0;
    for (size_t i = 0; i < ns; i++) {
        if (src[i] == ' ') {
            esc[ne++] = 0xE2;
            esc[ne++] = 0x96;
            esc[ne++] = 0x81;
        } else {
            esc[ne++] = src[i];
        }
    }

    if ((rc = tok_buf_fit(&w->sym, ne, sizeof(spm_sym), err))) return rc;
    spm_sym *sym = w->sym.p;
    int32_t n_sym = 0;
    for (size_t off = 0; off < ne;) {
        const size_t len = LZ_MIN(tok_utf8_len(esc[off]), ne - off);
        sym[n_sym].prev = n_sym - 1;
        sym[n_sym].next = off + len == ne ? -1 : n_sym + 1;
        sym[n_sym].start = (uint32_t)off;
        sym[n_sym].n = (uint32_t)len;
        sym[n_sym].id = spm_char_token(t, esc + off, len);
        sym[n_sym].ch = (len == 1 && esc[off] < 128) ? esc[off] : (len == 3 && esc[off] == 0xE2 &&
                        esc[off + 1] == 0x96 && esc[off + 2] == 0x81) ? 128 : -1;
        n_sym++;
        off += len;
    }

    /* Merge between symbols that can never merge (llama.cpp merges the
     * whole fragment at once; nothing crosses such a symbol, so the result
     * is the same and the heaps stay small). */
    if ((rc = spm_cache_fit(w, err))) return rc;
    int32_t first = 0;
    for (int32_t i = 0; i <= n_sym; i++) {
        const int alone = i < n_sym && sym[i].n == 1 && esc[sym[i].start] < 128 && t->spm_alone[esc[sym[i].start]];
        if (i < n_sym && !alone) continue;
        if (i - first > 1 && (rc = spm_merge(t, w, esc, sym, first, i, err))) return rc;
        first = i + 1;
    }
    return spm_emit(t, w, src, ns, esc, sym, out, err);
}
