/*
 * special.c - user-defined tokens split out of the text before tokenizing,
 * as llama.cpp's tokenizer_st_partition does with parse_special = false:
 * each such token, longest text first, claims every leftmost
 * non-overlapping occurrence of its text in the still-raw text.
 */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* ------------------------------------------------------------ building */

typedef struct {
    int32_t id;
    uint32_t len;
} tok_special_key;

static int tok_special_order(const void *a, const void *b)
{
    const tok_special_key *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;   /* longest first */
    return x->id < y->id ? -1 : x->id > y->id;
}

int tok_special_build(lz_tokenizer *t, lz_err *err)
{
    uint32_t n = 0, trie_max = 0;
    for (uint32_t id = 0; id < t->n_vocab; id++) {
        if (t->attr[id] & TOK_ATTR_SPLIT) {
            n++;
            trie_max += t->texts.off[id + 1] - t->texts.off[id];
        }
    }
    for (int b = 0; b < 256; b++) t->trie_root[b] = -1;
    if (n == 0) return 0;
    tok_special_key *keys = malloc(n * sizeof(*keys));
    t->special = malloc(n * sizeof(*t->special));
    t->trie = malloc((size_t)trie_max * sizeof(*t->trie));
    if (!keys || !t->special || !t->trie) {
        free(keys);
        return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (special tokens)");
    }
    n = 0;
    for (uint32_t id = 0; id < t->n_vocab; id++) {
        if (t->attr[id] & TOK_ATTR_SPLIT) {
            keys[n].id = (int32_t)id;
            keys[n].len = t->texts.off[id + 1] - t->texts.off[id];
            n++;
        }
    }
    qsort(keys, n, sizeof(*keys), tok_special_order);
    for (uint32_t i = 0; i < n; i++) t->special[i] = keys[i].id;
    t->n_special = n;
    free(keys);

    /* trie of the special texts; a node's children form a sibling list,
     * the root's are indexed by byte */
    for (uint32_t k = 0; k < n; k++) {
        uint32_t len;
        const uint8_t *s = tok_text(t, t->special[k], &len);
        int32_t *link = &t->trie_root[s[0]];
        int32_t node = -1;
        for (uint32_t d = 0; d < len; d++) {
            if (d > 0) link = &t->trie[node].child;
            int32_t c = *link;
            while (c >= 0 && t->trie[c].byte != s[d]) c = t->trie[c].sibling;
            if (c < 0) {
                c = (int32_t)t->n_trie++;
                t->trie[c].child = -1;
                t->trie[c].special = -1;
                t->trie[c].byte = s[d];
                t->trie[c].sibling = d > 0 ? *link : -1;
                *link = c;
            }
            node = c;
        }
        if (t->trie[node].special < 0) t->trie[node].special = (int32_t)k;
    }
    return 0;
}

/* ------------------------------------------------------------ splitting */

static int tok_span_order(const void *a, const void *b)
{
    const tok_span *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Which split-out tokens occur in the text at all: one pass over the trie,
 * pruning subtrees whose tokens have all been seen, so long runs of one
 * character cost little. Sets seen[k]. */
static int tok_specials_present(const lz_tokenizer *t, const uint8_t *s, size_t n, uint8_t *seen, lz_err *err)
{
    /* unseen[node]: tokens ending at or below the node not seen yet */
    uint32_t *unseen = calloc(t->n_trie, sizeof(*unseen));
    int32_t *path = malloc((size_t)t->n_trie * sizeof(*path));
    if (!unseen || !path) {
        free(unseen);
        free(path);
        return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory");
    }
    uint32_t remaining = 0;
    for (uint32_t v = 0; v < t->n_trie; v++) {
        unseen[v] = t->trie[v].special >= 0;
        remaining += unseen[v];
    }
    /* add up the subtrees: children are created after their parents */
    for (int32_t v = (int32_t)t->n_trie - 1; v >= 0; v--) {
        for (int32_t c = t->trie[v].child; c >= 0; c = t->trie[c].sibling) unseen[v] += unseen[c];
    }
    for (size_t i = 0; i < n && remaining; i++) {
        int32_t node = t->trie_root[s[i]];
        size_t depth = 0;
        while (node >= 0 && unseen[node]) {
            path[depth++] = node;
            const int32_t k = t->trie[node].special;
            if (k >= 0 && !seen[k]) {
                seen[k] = 1;
                remaining--;
                for (size_t d = 0; d < depth; d++) unseen[path[d]]--;
            }
            if (i + depth >= n) break;
            int32_t c = t->trie[node].child;
            while (c >= 0 && t->trie[c].byte != s[i + depth]) c = t->trie[c].sibling;
            node = c;
        }
    }
    free(unseen);
    free(path);
    return 0;
}

/* llama.cpp's special-token partition with parse_special = false: for each
 * split-out token, longest first, every leftmost non-overlapping occurrence
 * inside the still-raw text becomes that token. Produces the spans of the
 * tokens in text order (*spans, *n_spans; free()). */
int tok_special_partition(const lz_tokenizer *t, const uint8_t *s, size_t n, tok_span **spans, size_t *n_spans,
                         lz_err *err)
{
    *spans = NULL;
    *n_spans = 0;
    if (t->n_special == 0 || n == 0) return 0;
    uint8_t *seen = calloc(t->n_special, 1);
    if (!seen) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory");
    int rc = tok_specials_present(t, s, n, seen, err);
    uint8_t *claimed = NULL;
    tok_span *sp = NULL;
    size_t n_sp = 0, cap = 0;
    for (uint32_t k = 0; k < t->n_special && !rc; k++) {
        if (!seen[k]) continue;
        if (!claimed && !(claimed = calloc(n, 1))) {
            rc = lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory");
            break;
        }
        uint32_t len;
        const uint8_t *tx = tok_text(t, t->special[k], &len);
        size_t pos = 0;
        while (pos + len <= n) {
            const uint8_t *hit = memmem(s + pos, n - pos, tx, len);
            if (!hit) break;
            const size_t q = (size_t)(hit - s);
            const uint8_t *busy = memchr(claimed + q, 1, len);
            if (busy) {   /* overlaps a token already split out: resume after it */
                pos = (size_t)(busy - claimed);
                while (pos < n && claimed[pos]) pos++;
                continue;
            }
            if (n_sp == cap) {
                cap = cap ? cap * 2 : 256;
                tok_span *g = realloc(sp, cap * sizeof(*sp));
                if (!g) {
                    rc = lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory");
                    break;
                }
                sp = g;
            }
            sp[n_sp].pos = q;
            sp[n_sp].len = len;
            sp[n_sp].id = t->special[k];
            n_sp++;
            memset(claimed + q, 1, len);
            pos = q + len;
        }
    }
    free(seen);
    free(claimed);
    if (rc) {
        free(sp);
        return rc;
    }
    if (n_sp > 1) qsort(sp, n_sp, sizeof(*sp), tok_span_order);
    *spans = sp;
    *n_spans = n_sp;
    return 0;
}
