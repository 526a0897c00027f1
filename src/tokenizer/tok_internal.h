/*
 * tok_internal.h - what tokenizer.c, spm.c and bpe.c share: the tokenizer
 * object, the text -> id map, the output vector, per-call scratch, and the
 * checked emitter that makes every span round trip.
 */
#ifndef LZ_TOK_INTERNAL_H
#define LZ_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

/* Token attributes (llama.cpp's token types, as bits because its load-time
 * fix-ups combine them, e.g. USER_DEFINED | CONTROL). */
enum {
    TOK_ATTR_NORMAL = 1u << 0,
    TOK_ATTR_UNKNOWN = 1u << 1,
    TOK_ATTR_CONTROL = 1u << 2,
    TOK_ATTR_USER_DEFINED = 1u << 3,
    TOK_ATTR_UNUSED = 1u << 4,
    TOK_ATTR_BYTE = 1u << 5,
    /* derived: split out of the raw text before tokenizing (user-defined
     * and neither control nor unknown: llama.cpp with parse_special = false) */
    TOK_ATTR_SPLIT = 1u << 6,
    /* derived, SentencePiece: some longer token is this text followed by
     * U+2581 (without it, no pair (this, "\xe2\x96\x81...") can merge) */
    TOK_ATTR_BEFORE_SPACE = 1u << 7
};

typedef enum { TOK_TYPE_SPM = 1, TOK_TYPE_BPE = 2 } tok_type;

/* Most tokens and most merges a vocabulary may have (real ones have well
 * under a million); keeps every table size far from overflow. */
#define TOK_MAX_ENTRIES (1u << 26)

/* Pre-tokenizer regex stages (bpe.c). */
typedef enum {
    TOK_RX_LLAMA3,        /* llama3 regex, \p{N}{1,3} */
    TOK_RX_QWEN2,         /* same with \p{N} */
    TOK_RX_GPT2,          /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
    TOK_RX_NUM_EACH,      /* \p{N} */
    TOK_RX_NUM_RUN,       /* \p{N}+ */
    TOK_RX_PUNCT_RUN,     /* [\p{P}\$\+<=>\^~\|]+ */
    TOK_RX_PUNCT_RUN_BQ,  /* [\p{P}\$\+<=>\^~\|`]+ (falcon) */
    TOK_RX_DIGIT3         /* [0-9][0-9][0-9] */
} tok_rx;

#define TOK_MAX_STAGES 4

typedef struct {
    const char *name;
    uint8_t n_stages;
    uint8_t stage[TOK_MAX_STAGES];
} tok_pretok;

/* Texts by id: [0, n_vocab) are the tokens; BPE appends merge parts that
 * are not tokens ("pseudo ids") after them. */
typedef struct {
    uint8_t *blob;
    uint32_t *off;       /* n + 1 offsets into blob */
    uint32_t n, cap;
    size_t blob_len, blob_cap;
} tok_texts;

/* Open-addressing hash map text -> id over a tok_texts. */
typedef struct {
    uint64_t *slot;      /* (hash32 << 32) | (id + 1); 0 = empty */
    uint32_t mask;
} tok_map;

/* BPE merges: (left id, right id) -> rank and the merged text's id. */
typedef struct {
    uint64_t key;        /* ((uint64)(left+1) << 32) | (right+1); 0 = empty */
    int32_t rank;
    int32_t result;      /* id of left+right text, -1 if none */
} tok_pair;

typedef struct {
    tok_pair *slot;
    uint32_t mask;
} tok_pairs;

/* Byte trie over the split-out tokens, used to find which of them occur. */
typedef struct {
    int32_t child;       /* first child node, -1 */
    int32_t sibling;     /* next sibling, -1 */
    int32_t special;     /* index into special[] ending here, -1 */
    uint8_t byte;
} tok_trie_node;

struct lz_tokenizer {
    tok_type type;
    char kind[96];
    uint32_t n_vocab;

    tok_texts texts;
    tok_map map;
    uint8_t *piece;      /* decoded bytes of every token */
    uint32_t *piece_off; /* n_vocab + 1 */
    float *score;
    uint8_t *attr;

    int32_t bos;
    int add_bos;
    int add_space_prefix; /* SPM only */

    int32_t byte_tok[256];     /* our byte fallback: a token decoding to exactly that byte, -1 */
    int32_t spm_byte_tok[256]; /* llama.cpp's SPM byte fallback ("<0xXX>", else the 1-char token) */
    int32_t spm_char_id[128];  /* token of each ASCII character, -1 */
    int32_t spm_space_id;      /* token "\xe2\x96\x81" (U+2581), -1 */
    uint8_t spm_alone[128];    /* ASCII bytes no longer token contains: they never merge */
    int32_t *spm_pair1;        /* [129 * 129]: token of two one-character symbols (ASCII, 128 = U+2581) */

    /* split-out tokens, longest text first (ties: lower id first) */
    int32_t *special;
    uint32_t n_special;
    tok_trie_node *trie;
    uint32_t n_trie;
    int32_t trie_root[256];

    /* BPE */
    const tok_pretok *pre;
    int ignore_merges;
    tok_pairs pairs;
    int32_t bpe_byte_id[256];      /* text id of each byte's GPT-2 character, -1 */
    int32_t bpe_single_tok[256];   /* token whose text is that single byte, -1 */
    uint8_t bpe_char[256][2];      /* each byte's GPT-2 character in UTF-8 */
    uint8_t bpe_char_len[256];
};

/* ---- texts and map (tok_map.c) ---- */
static inline const uint8_t *tok_text(const lz_tokenizer *t, int32_t id, uint32_t *len)
{
    const uint32_t a = t->texts.off[id], b = t->texts.off[id + 1];
    *len = b - a;
    return t->texts.blob + a;
}
int32_t tok_map_find(const lz_tokenizer *t, const uint8_t *s, size_t len);
/* Id of text s, appending it as a new text (and to the map) if absent; -1 on allocation failure. */
int32_t tok_map_intern(lz_tokenizer *t, const uint8_t *s, size_t len);
/* Append a text (no map update); 0 or -1 on allocation failure. */
int tok_texts_add(tok_texts *x, const uint8_t *s, size_t len);
/* (Re)build the map over all texts, sized for min_entries. */
int tok_map_rebuild(lz_tokenizer *t, uint32_t min_entries, lz_err *err);

static inline const uint8_t *tok_piece(const lz_tokenizer *t, int32_t id, uint32_t *len)
{
    const uint32_t a = t->piece_off[id], b = t->piece_off[id + 1];
    *len = b - a;
    return t->piece + a;
}

/* ---- output vector ---- */
typedef struct {
    int32_t *v;
    size_t n, cap;
} tok_out;

int tok_out_reserve(tok_out *o, size_t extra, lz_err *err);
static inline int tok_out_push(tok_out *o, int32_t id, lz_err *err)
{
    if (o->n == o->cap && tok_out_reserve(o, 1, err)) return LLAMAZIP_E_NOMEM;
    o->v[o->n++] = id;
    return 0;
}

/* Growable scratch buffer. */
typedef struct {
    void *p;
    size_t cap;   /* bytes */
} tok_buf;

/* Make b hold at least n elements of size sz. */
int tok_buf_fit(tok_buf *b, size_t n, size_t sz, lz_err *err);

/* Per-call scratch, shared by the fragment tokenizers. pair_cache
 * remembers (left id, right id) -> merged token for SentencePiece. */
typedef struct {
    tok_buf src, esc, sym, heap, cand, units_cp, units_cls, units_off, bounds, bounds2, enc, pair_cache;
    uint32_t pair_cache_mask;
    size_t input_len;    /* bytes of the whole lz_tokenize input */
} tok_work;

void tok_work_free(tok_work *w);

/* Append the candidate tokens `cand` for the source bytes src[0..n) if they
 * decode back to exactly those bytes (and, with no_split set, none of them
 * is a split-out token); otherwise append byte tokens for src. Fails with
 * LLAMAZIP_E_UNSUPPORTED if a byte has no token. */
int tok_emit_checked(const lz_tokenizer *t, tok_out *out, const int32_t *cand, size_t n_cand,
                     const uint8_t *src, size_t n, int no_split, lz_err *err);
int tok_emit_bytes(const lz_tokenizer *t, tok_out *out, const uint8_t *src, size_t n, lz_err *err);

/* ---- split-out tokens (special.c) ---- */
typedef struct {
    size_t pos;
    uint32_t len;
    int32_t id;
} tok_span;

/* The split-out tokens in priority order and their trie (at load). */
int tok_special_build(lz_tokenizer *t, lz_err *err);
/* Where split-out tokens occur in s, in text order (*spans: free()). */
int tok_special_partition(const lz_tokenizer *t, const uint8_t *s, size_t n, tok_span **spans, size_t *n_spans,
                          lz_err *err);

/* ---- fragment tokenizers ---- */
/* SentencePiece over one raw fragment; `prefix`: prepend the space prefix. */
int tok_spm_fragment(const lz_tokenizer *t, tok_work *w, const uint8_t *s, size_t n, int prefix,
                     tok_out *out, lz_err *err);
/* Byte-level BPE over one raw fragment. */
int tok_bpe_fragment(const lz_tokenizer *t, tok_work *w, const uint8_t *s, size_t n, tok_out *out,
                     lz_err *err);

/* BPE set-up (bpe.c): pre-tokenizer by name (NULL or "" = default), merges. */
const tok_pretok *tok_pretok_find(const char *name, size_t len, int *ignore_merges, int *add_bos);
void tok_pretok_list(char *buf, size_t size);
int tok_bpe_load(lz_tokenizer *t, const gguf_file *f, lz_err *err);
void tok_bpe_free(lz_tokenizer *t);

/* Split a fragment into pre-tokenizer words; calls fn(ctx, start, len) per
 * word in order (byte offsets into s). Exposed for tests. */
typedef int (*tok_word_fn)(void *ctx, size_t start, size_t len);
int tok_pretokenize(const tok_pretok *pre, tok_work *w, const uint8_t *s, size_t n, tok_word_fn fn,
                    void *ctx, lz_err *err);

#endif /* LZ_TOK_INTERNAL_H */
