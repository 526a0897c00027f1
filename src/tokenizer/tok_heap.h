/*
 * tok_heap.h - the merge queue of SentencePiece and BPE: a binary max-heap
 * of candidate pairs ordered by one 64-bit key, so that comparing two
 * entries is a single integer compare (the queue is the hot loop).
 *
 * key = (priority << 32) | (0xFFFFFFFF - left): the best priority first,
 * then the leftmost pair, as llama.cpp breaks ties. The right symbol is not
 * stored: it is the left symbol's current neighbour, and `size` (the pair's
 * length when queued) tells whether the entry is stale.
 */
#ifndef LZ_TOK_HEAP_H
#define LZ_TOK_HEAP_H

#include <stdint.h>
#include <string.h>

#include "tok_internal.h"

typedef struct {
    uint64_t key;
    uint32_t size;
    int32_t id;     /* the merged text's id */
} tok_heap_item;

typedef struct {
    tok_heap_item *v;
    size_t n;
    tok_buf *buf;
} tok_heap;

static inline uint64_t tok_heap_key(uint32_t priority, int32_t left)
{
    return ((uint64_t)priority << 32) | (0xFFFFFFFFu - (uint32_t)left);
}

static inline int32_t tok_heap_left(uint64_t key) { return (int32_t)(0xFFFFFFFFu - (uint32_t)key); }

/* An order-preserving map from a float score to uint32 (-0 = +0; NaN
 * sorts lowest). */
static inline uint32_t tok_score_order(float score)
{
    if (score != score) return 0;
    if (score == 0.0f) score = 0.0f;
    uint32_t u;
    memcpy(&u, &score, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline int tok_heap_push(tok_heap *h, uint64_t key, uint32_t size, int32_t id, lz_err *err)
{
    if ((h->n + 1) * sizeof(tok_heap_item) > h->buf->cap) {
        int rc = tok_buf_fit(h->buf, h->n + 1, sizeof(tok_heap_item), err);
        if (rc) return rc;
        h->v = h->buf->p;
    }
    size_t i = h->n++;
    while (i > 0) {
        const size_t up = (i - 1) / 2;
        if (h->v[up].key >= key) break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i].key = key;
    h->v[i].size = size;
    h->v[i].id = id;
    return 0;
}

static inline tok_heap_item tok_heap_pop(tok_heap *h)
{
    const tok_heap_item top = h->v[0];
    const tok_heap_item last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        c += (c + 1 < h->n) & (h->v[c + 1].key > h->v[c].key);
        if (h->v[c].key <= last.key) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}

#endif /* LZ_TOK_HEAP_H */
