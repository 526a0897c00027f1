/*
 * bpe.c - byte-level BPE (tokenizer.ggml.model = "gpt2"): the
 * pre-tokenizers chosen by tokenizer.ggml.pre, and merging by rank.
 *
 * Pre-tokenizers are lists of regexes applied in turn to every current
 * piece; matches and the gaps between them both become pieces. Each regex
 * is a small hand-written matcher with the semantics llama.cpp gives it
 * (leftmost match, first alternative that matches wins), over code points
 * decoded leniently (an invalid byte is one U+FFFD unit).
 *
 * A word is then merged from single bytes (each byte is one GPT-2
 * character), lowest merge rank first (ties: leftmost). Merging runs on the
 * word's own bytes, so an invalid UTF-8 byte stays itself where llama.cpp
 * would have turned it into U+FFFD; every final symbol is checked to decode
 * back to its bytes (tok_emit_checked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_heap.h"
#include "tok_internal.h"
#include "unicode.h"

/* ------------------------------------------------------------ pre-tokenizer table */

static const tok_pretok TOK_PRE_DEFAULT = {"default", 4, {TOK_RX_PUNCT_RUN, TOK_RX_GPT2, TOK_RX_NUM_RUN, TOK_RX_DIGIT3}};
static const tok_pretok TOK_PRE_LLAMA3 = {"llama3", 1, {TOK_RX_LLAMA3}};
static const tok_pretok TOK_PRE_QWEN2 = {"qwen2", 1, {TOK_RX_QWEN2}};
static const tok_pretok TOK_PRE_SMOLLM = {"smollm", 2, {TOK_RX_NUM_EACH, TOK_RX_GPT2}};
static const tok_pretok TOK_PRE_GPT2 = {"gpt-2", 1, {TOK_RX_GPT2}};
static const tok_pretok TOK_PRE_FALCON = {"falcon", 3, {TOK_RX_PUNCT_RUN_BQ, TOK_RX_GPT2, TOK_RX_DIGIT3}};

/* tokenizer.ggml.pre values, grouped by the regexes llama.cpp uses for them. */
static const struct {
    const char *name;
    const tok_pretok *pre;
    uint8_t ignore_merges, add_bos;
} tok_pre_names[] = {
    {"default", &TOK_PRE_DEFAULT, 0, 0},
    {"llama3", &TOK_PRE_LLAMA3, 1, 1}, {"llama-v3", &TOK_PRE_LLAMA3, 1, 1}, {"llama-bpe", &TOK_PRE_LLAMA3, 1, 1},
    {"falcon3", &TOK_PRE_LLAMA3, 1, 1}, {"falcon-h1", &TOK_PRE_LLAMA3, 1, 1}, {"pixtral", &TOK_PRE_LLAMA3, 1, 1},
    {"midm-2.0", &TOK_PRE_LLAMA3, 1, 1}, {"lfm2", &TOK_PRE_LLAMA3, 1, 1}, {"jina-v5-nano", &TOK_PRE_LLAMA3, 1, 1},
    {"dbrx", &TOK_PRE_LLAMA3, 0, 0}, {"smaug-bpe", &TOK_PRE_LLAMA3, 0, 0},
    {"qwen2", &TOK_PRE_QWEN2, 0, 0}, {"deepseek-r1-qwen", &TOK_PRE_QWEN2, 0, 0}, {"kormo", &TOK_PRE_QWEN2, 0, 0},
    {"f2llmv2", &TOK_PRE_QWEN2, 0, 0}, {"megrez", &TOK_PRE_QWEN2, 0, 0}, {"stablelm2", &TOK_PRE_QWEN2, 0, 0},
    {"hunyuan", &TOK_PRE_QWEN2, 0, 0}, {"solar-open", &TOK_PRE_QWEN2, 0, 0}, {"grok-2", &TOK_PRE_QWEN2, 0, 0},
    {"smollm", &TOK_PRE_SMOLLM, 0, 0}, {"starcoder", &TOK_PRE_SMOLLM, 0, 0}, {"refact", &TOK_PRE_SMOLLM, 0, 0},
    {"command-r", &TOK_PRE_SMOLLM, 0, 0}, {"codeshell", &TOK_PRE_SMOLLM, 0, 0}, {"exaone", &TOK_PRE_SMOLLM, 0, 0},
    {"minerva-7b", &TOK_PRE_SMOLLM, 0, 0}, {"mellum2", &TOK_PRE_SMOLLM, 0, 0},
    {"gpt-2", &TOK_PRE_GPT2, 0, 0}, {"phi-2", &TOK_PRE_GPT2, 0, 0}, {"mpt", &TOK_PRE_GPT2, 0, 0},
    {"olmo", &TOK_PRE_GPT2, 0, 0}, {"jais", &TOK_PRE_GPT2, 0, 0}, {"trillion", &TOK_PRE_GPT2, 0, 0},
    {"granite-docling", &TOK_PRE_GPT2, 0, 0}, {"exaone4", &TOK_PRE_GPT2, 0, 0}, {"jina-es", &TOK_PRE_GPT2, 0, 0},
    {"jina-de", &TOK_PRE_GPT2, 0, 0}, {"jina-v2-es", &TOK_PRE_GPT2, 0, 0}, {"jina-v2-de", &TOK_PRE_GPT2, 0, 0},
    {"jina-v1-en", &TOK_PRE_GPT2, 0, 0}, {"jina-v2-code", &TOK_PRE_GPT2, 0, 0}, {"roberta-bpe", &TOK_PRE_GPT2, 0, 0},
    {"gigachat", &TOK_PRE_GPT2, 0, 0}, {"a.x-4.0", &TOK_PRE_GPT2, 0, 0}, {"mellum", &TOK_PRE_GPT2, 0, 0},
    {"modern-bert", &TOK_PRE_GPT2, 0, 0},
    {"falcon", &TOK_PRE_FALCON, 0, 0},
};

const tok_pretok *tok_pretok_find(const char *name, size_t len, int *ignore_merges, int *add_bos)
{
    for (size_t i = 0; i < LZ_ARRAY_LEN(tok_pre_names); i++) {
        if (strlen(tok_pre_names[i].name) == len && memcmp(tok_pre_names[i].name, name, len) == 0) {
            *ignore_merges = tok_pre_names[i].ignore_merges;
            *add_bos = tok_pre_names[i].add_bos;
            return tok_pre_names[i].pre;
        }
    }
    return NULL;
}

/* The message lists one name per regex family and counts the aliases (the
 * full list is in doc/tokenizer.md): lz_err messages are short. */
void tok_pretok_list(char *buf, size_t size)
{
    static const char *const shown[] = {"default", "llama3", "llama-bpe", "qwen2", "smollm", "starcoder",
                                        "refact", "command-r", "gpt-2", "mpt", "falcon"};
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < LZ_ARRAY_LEN(shown) && at + 1 < size; i++) {
        const int k = snprintf(buf + at, size - at, "%s, ", shown[i]);
        if (k < 0) return;
        at += (size_t)k;
    }
    if (at + 1 < size)
        snprintf(buf + at, size - at, "and %zu aliases of these",
                 LZ_ARRAY_LEN(tok_pre_names) - LZ_ARRAY_LEN(shown));
}

/* ------------------------------------------------------------ regex matchers */

typedef struct {
    const uint32_t *cp;
    const uint8_t *cls;
} tok_units;

static int u_letter(const tok_units *u, size_t i) { return (u->cls[i] & TOK_UC_GROUP_MASK) == TOK_UC_LETTER; }
static int u_number(const tok_units *u, size_t i) { return (u->cls[i] & TOK_UC_GROUP_MASK) == TOK_UC_NUMBER; }
static int u_space(const tok_units *u, size_t i) { return (u->cls[i] & TOK_UC_SPACE) != 0; }
/* [^\s\p{L}\p{N}] */
static int u_other(const tok_units *u, size_t i) { return !u_space(u, i) && !u_letter(u, i) && !u_number(u, i); }
static int u_crlf(const tok_units *u, size_t i) { return u->cp[i] == '\r' || u->cp[i] == '\n'; }
static uint32_t ascii_lower(uint32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* 's|'t|'re|'ve|'m|'ll|'d at p (case-insensitive for llama3/qwen2); returns the end or 0. */
static size_t rx_contraction(const tok_units *u, size_t p, size_t e, int fold)
{
    if (u->cp[p] != '\'' || p + 1 >= e) return 0;
    const uint32_t a = fold ? ascii_lower(u->cp[p + 1]) : u->cp[p + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return p + 2;
    if (p + 2 >= e) return 0;
    const uint32_t b = fold ? ascii_lower(u->cp[p + 2]) : u->cp[p + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return p + 3;
    return 0;
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * One match starting at p (some alternative always matches). */
static size_t rx_llama3(const tok_units *u, size_t p, size_t e, size_t max_digits)
{
    size_t q = rx_contraction(u, p, e, 1);
    if (q) return q;
    const uint32_t c = u->cp[p];
    if (!u_crlf(u, p) && !u_number(u, p) && (u_letter(u, p) || (p + 1 < e && u_letter(u, p + 1)))) {
        for (q = p + 1; q < e && u_letter(u, q); q++) {}
        return q;
    }
    if (u_number(u, p)) {
        for (q = p + 1; q < e && q - p < max_digits && u_number(u, q); q++) {}
        return q;
    }
    /* ' ?[^\s\p{L}\p{N}]+[\r\n]*'; a lone space at the end of the piece is
     * taken here too (the whitespace rules would give the same piece) */
    if (c == ' ' ? (p + 1 >= e || u_other(u, p + 1)) : u_other(u, p)) {
        for (q = p + (c == ' '); q < e && u_other(u, q); q++) {}
        while (q < e && u_crlf(u, q)) q++;
        return q;
    }
    size_t last_crlf = 0;
    for (q = p; q < e && u_space(u, q); q++) {
        if (u_crlf(u, q)) last_crlf = q + 1;
    }
    if (last_crlf) return last_crlf;         /* \s*[\r\n]+ */
    if (q - p > 1 && q < e) return q - 1;    /* \s+(?!\S): leave one space for the next word */
    if (q > p) return q;                     /* \s+ */
    return p + 1;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
static size_t rx_gpt2(const tok_units *u, size_t p, size_t e)
{
    size_t q = rx_contraction(u, p, e, 0);
    if (q) return q;
    const int sp = u->cp[p] == ' ';
    const size_t k = p + (size_t)sp;   /* first unit after the optional space */
    if (k < e) {
        int (*cls)(const tok_units *, size_t) = NULL;
        if (u_letter(u, k)) cls = u_letter;
        else if (u_number(u, k)) cls = u_number;
        else if (u_other(u, k)) cls = u_other;
        if (cls) {
            for (q = k + 1; q < e && cls(u, q); q++) {}
            return q;
        }
    }
    for (q = p; q < e && u_space(u, q); q++) {}
    if (q - p > 1 && q < e) return q - 1;
    if (q > p) return q;
    return p + 1;
}

/* Character classes of the regexes llama.cpp runs with std::regex. */
static int u_default_punct(const tok_units *u, size_t i, int backquote)
{
    const uint32_t c = u->cp[i];
    if (c < 128) {
        /* ASCII \p{P} (!"#%&'()*,-./:;?@[\]_{}) and $+<=>^~| (and ` for falcon) */
        return (c >= 0x21 && c <= 0x2F) || c == ':' || c == ';' || (c >= '<' && c <= '@') ||
               (c >= '[' && c <= '_') || (c >= '{' && c <= '~') || (backquote && c == '`');
    }
    return !u_space(u, i) && (u->cls[i] & TOK_UC_GROUP_MASK) == TOK_UC_PUNCT;
}

static int u_ascii_digit(const tok_units *u, size_t i) { return u->cp[i] >= '0' && u->cp[i] <= '9'; }

/* Length of a match of a class-based stage at p, 0 if none. */
static size_t rx_class_match(tok_rx rx, const tok_units *u, size_t p, size_t e)
{
    size_t q = p;
    switch (rx) {
    case TOK_RX_NUM_EACH:
        return u_number(u, p) ? 1 : 0;
    case TOK_RX_NUM_RUN:
        while (q < e && u_number(u, q)) q++;
        return q - p;
    case TOK_RX_PUNCT_RUN:
    case TOK_RX_PUNCT_RUN_BQ:
        while (q < e && u_default_punct(u, q, rx == TOK_RX_PUNCT_RUN_BQ)) q++;
        return q - p;
    case TOK_RX_DIGIT3:
        return (p + 3 <= e && u_ascii_digit(u, p) && u_ascii_digit(u, p + 1) && u_ascii_digit(u, p + 2)) ? 3 : 0;
    default:
        return 0;
    }
}

/* Split piece [a, e) with one stage, appending the end of each sub-piece. */
static void rx_split(tok_rx rx, const tok_units *u, size_t a, size_t e, uint32_t *out, size_t *n_out)
{
    if (rx == TOK_RX_LLAMA3 || rx == TOK_RX_QWEN2 || rx == TOK_RX_GPT2) {
        for (size_t p = a; p < e;) {
            p = rx == TOK_RX_GPT2 ? rx_gpt2(u, p, e) : rx_llama3(u, p, e, rx == TOK_RX_LLAMA3 ? 3 : 1);
            out[(*n_out)++] = (uint32_t)p;
        }
        return;
    }
    size_t gap = a;   /* start of the unmatched text before the next match */
    for (size_t p = a; p < e;) {
        const size_t m = rx_class_match(rx, u, p, e);
        if (!m) {
            p++;
            continue;
        }
        if (p > gap) out[(*n_out)++] = (uint32_t)p;
        p += m;
        out[(*n_out)++] = (uint32_t)p;
        gap = p;
    }
    if (e > gap) out[(*n_out)++] = (uint32_t)e;
}

int tok_pretokenize(const tok_pretok *pre, tok_work *w, const uint8_t *s, size_t n, tok_word_fn fn, void *ctx,
                    lz_err *err)
{
    if (n > INT32_MAX - 1)   /* unit and symbol indices are 32-bit */
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED, "tokenizer: a text fragment of %zu bytes is too long", n);
    int rc;
    if ((rc = tok_buf_fit(&w->units_cp, n, sizeof(uint32_t), err)) ||
        (rc = tok_buf_fit(&w->units_cls, n, 1, err)) ||
        (rc = tok_buf_fit(&w->units_off, n + 1, sizeof(uint32_t), err)) ||
        (rc = tok_buf_fit(&w->bounds, n + 1, sizeof(uint32_t), err)) ||
        (rc = tok_buf_fit(&w->bounds2, n + 1, sizeof(uint32_t), err)))
        return rc;
    uint32_t *cp = w->units_cp.p, *off = w->units_off.p;
    uint8_t *cls = w->units_cls.p;
    size_t nu = 0;
    for (size_t i = 0; i < n;) {
        size_t used;
        cp[nu] = tok_utf8_decode(s + i, n - i, &used);
        cls[nu] = tok_uclass(cp[nu]);
        off[nu++] = (uint32_t)i;
        i += used;
    }
    off[nu] = (uint32_t)n;

    const tok_units u = {cp, cls};
    uint32_t *bnd = w->bounds.p, *next = w->bounds2.p;
    size_t n_bnd = 2;
    bnd[0] = 0;
    bnd[1] = (uint32_t)nu;
    for (unsigned st = 0; st < pre->n_stages; st++) {
        size_t n_next = 1;
        next[0] = 0;
        for (size_t i = 0; i + 1 < n_bnd; i++) rx_split((tok_rx)pre->stage[st], &u, bnd[i], bnd[i + 1], next, &n_next);
        uint32_t *tmp = bnd;
        bnd = next;
        next = tmp;
        n_bnd = n_next;
    }
    for (size_t i = 0; i + 1 < n_bnd; i++) {
        const size_t a = off[bnd[i]], b = off[bnd[i + 1]];
        if ((rc = fn(ctx, a, b - a))) return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ merges */

static uint32_t bpe_key_hash(uint64_t key)
{
    key *= 0x9E3779B97F4A7C15ull;
    return (uint32_t)(key >> 32);
}

static uint64_t bpe_key(int32_t a, int32_t b) { return ((uint64_t)(uint32_t)(a + 1) << 32) | (uint32_t)(b + 1); }

static const tok_pair *bpe_pair_find(const tok_pairs *p, int32_t a, int32_t b)
{
    if (a < 0 || b < 0 || !p->slot) return NULL;
    const uint64_t key = bpe_key(a, b);
    for (uint32_t i = bpe_key_hash(key) & p->mask;; i = (i + 1) & p->mask) {
        if (p->slot[i].key == key) return &p->slot[i];
        if (!p->slot[i].key) return NULL;
    }
}

/* "A B": split at the first space after the first byte (llama.cpp). */
static int bpe_split_merge(const char *s, uint64_t len, uint64_t *pos)
{
    for (uint64_t i = 1; i < len; i++) {
        if (s[i] == ' ') {
            *pos = i;
            return i + 1 < len;   /* both halves non-empty */
        }
    }
    return 0;
}

static const char *const TOK_KEY_MERGES = "tokenizer.ggml.merges";

int tok_bpe_load(lz_tokenizer *t, const gguf_file *f, lz_err *err)
{
    for (int b = 0; b < 256; b++) t->bpe_char_len[b] = (uint8_t)tok_utf8_encode(tok_byte_to_cp((uint8_t)b), t->bpe_char[b]);

    gguf_value_type et;
    uint64_t n;
    const void *data;
    if (gguf_find_key(f, TOK_KEY_MERGES) < 0)
        return lz_fail(err, LLAMAZIP_E_GGUF, "BPE tokenizer without '%s'", TOK_KEY_MERGES);
    int rc = gguf_get_arr(f, TOK_KEY_MERGES, &et, &n, &data, err);
    if (rc) return rc;
    if (et != GGUF_TYPE_STRING)
        return lz_fail(err, LLAMAZIP_E_GGUF, "'%s' is an array of %s, expected str", TOK_KEY_MERGES, gguf_type_name(et));
    if (n > TOK_MAX_ENTRIES)
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED, "'%s' has %llu entries", TOK_KEY_MERGES, (unsigned long long)n);

    /* pass 1: every merge half gets an id (a token, or a new pseudo text) */
    for (uint64_t k = 0; k < n; k++) {
        const char *s;
        uint64_t len, pos;
        if ((rc = gguf_arr_str(f, TOK_KEY_MERGES, k, &s, &len, err))) return rc;
        if (!bpe_split_merge(s, len, &pos)) continue;
        if (tok_map_intern(t, (const uint8_t *)s, pos) < 0 ||
            tok_map_intern(t, (const uint8_t *)s + pos + 1, len - pos - 1) < 0)
            return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (merges)");
    }

    /* pass 2: (left id, right id) -> first rank, merged text id */
    uint32_t size = 1024;
    while (size < 2 * n) size *= 2;
    t->pairs.slot = calloc(size, sizeof(*t->pairs.slot));
    uint8_t *cat = malloc(1);
    size_t cat_cap = 1;
    if (!t->pairs.slot || !cat) {
        free(cat);
        return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (merges)");
    }
    t->pairs.mask = size - 1;
    for (uint64_t k = 0; k < n; k++) {
        const char *s;
        uint64_t len, pos;
        if ((rc = gguf_arr_str(f, TOK_KEY_MERGES, k, &s, &len, err))) break;
        if (!bpe_split_merge(s, len, &pos)) continue;
        const int32_t a = tok_map_find(t, (const uint8_t *)s, pos);
        const int32_t b = tok_map_find(t, (const uint8_t *)s + pos + 1, len - pos - 1);
        if (len > cat_cap) {
            uint8_t *g = realloc(cat, len);
            if (!g) {
                rc = lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (merges)");
                break;
            }
            cat = g;
            cat_cap = len;
        }
        memcpy(cat, s, pos);
        memcpy(cat + pos, s + pos + 1, len - pos - 1);
        const uint64_t key = bpe_key(a, b);
        for (uint32_t i = bpe_key_hash(key) & t->pairs.mask;; i = (i + 1) & t->pairs.mask) {
            tok_pair *e = &t->pairs.slot[i];
            if (e->key == key) break;   /* a duplicate keeps its first rank */
            if (!e->key) {
                e->key = key;
                e->rank = (int32_t)k;
                e->result = tok_map_find(t, cat, len - 1);
                break;
            }
        }
    }
    free(cat);
    if (rc) return rc;

    for (int b = 0; b < 256; b++) {
        t->bpe_byte_id[b] = tok_map_find(t, t->bpe_char[b], t->bpe_char_len[b]);
        const uint8_t one = (uint8_t)b;
        const int32_t id = tok_map_find(t, &one, 1);
        t->bpe_single_tok[b] = (id >= 0 && (uint32_t)id < t->n_vocab) ? id : -1;
    }
    return 0;
}

void tok_bpe_free(lz_tokenizer *t)
{
    free(t->pairs.slot);
    t->pairs.slot = NULL;
}

/* ------------------------------------------------------------ merging one word */

typedef struct {
    int32_t prev, next;
    uint32_t start, n;   /* bytes of the word; n = 0 once merged away */
    int32_t id;          /* text id (token or merge half), -1 none */
} bpe_sym;

static int bpe_try_pair(const lz_tokenizer *t, const bpe_sym *sym, int32_t l, int32_t r, tok_heap *h, lz_err *err)
{
    if (l < 0 || r < 0) return 0;
    const tok_pair *p = bpe_pair_find(&t->pairs, sym[l].id, sym[r].id);
    if (!p) return 0;
    /* lower rank first */
    return tok_heap_push(h, tok_heap_key(0xFFFFFFFFu - (uint32_t)p->rank, l), sym[l].n + sym[r].n, p->result, err);
}

/* Emit one final symbol: its token, or what llama.cpp falls back to (the
 * tokens of the single bytes of its GPT-2 text that exist), checked. */
static int bpe_emit_symbol(const lz_tokenizer *t, tok_work *w, const uint8_t *s, const bpe_sym *sym, tok_out *out,
                           lz_err *err)
{
    if (sym->id >= 0 && (uint32_t)sym->id < t->n_vocab)
        return tok_emit_checked(t, out, &sym->id, 1, s + sym->start, sym->n, 0, err);
    int rc = tok_buf_fit(&w->cand, 2 * (size_t)sym->n, sizeof(int32_t), err);
    if (rc) return rc;
    int32_t *cand = w->cand.p;
    size_t nc = 0;
    for (uint32_t i = 0; i < sym->n; i++) {
        const uint8_t b = s[sym->start + i];
        for (uint8_t j = 0; j < t->bpe_char_len[b]; j++) {
            const int32_t id = t->bpe_single_tok[t->bpe_char[b][j]];
            if (id >= 0) cand[nc++] = id;
        }
    }
    return tok_emit_checked(t, out, cand, nc, s + sym->start, sym->n, 0, err);
}

static int bpe_word(const lz_tokenizer *t, tok_work *w, const uint8_t *s, size_t n, tok_out *out, lz_err *err)
{
    int rc;
    if (t->ignore_merges) {   /* a word that is a token as a whole is that token */
        if ((rc = tok_buf_fit(&w->enc, 2 * n, 1, err))) return rc;
        uint8_t *enc = w->enc.p;
        size_t ne = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy(enc + ne, t->bpe_char[s[i]], t->bpe_char_len[s[i]]);
            ne += t->bpe_char_len[s[i]];
        }
        const int32_t id = tok_map_find(t, enc, ne);
        if (id >= 0 && (uint32_t)id < t->n_vocab) return tok_emit_checked(t, out, &id, 1, s, n, 0, err);
    }
    if ((rc = tok_buf_fit(&w->sym, n, sizeof(bpe_sym), err))) return rc;
    bpe_sym *sym = w->sym.p;
    for (size_t i = 0; i < n; i++) {
        sym[i].prev = (int32_t)i - 1;
        sym[i].next = i + 1 == n ? -1 : (int32_t)i + 1;
        sym[i].start = (uint32_t)i;
        sym[i].n = 1;
        sym[i].id = t->bpe_byte_id[s[i]];
    }
    tok_heap h = {w->heap.p, 0, &w->heap};
    for (size_t i = 1; i < n; i++) {
        if ((rc = bpe_try_pair(t, sym, (int32_t)i - 1, (int32_t)i, &h, err))) return rc;
    }
    while (h.n) {
        const tok_heap_item it = tok_heap_pop(&h);
        const int32_t li = tok_heap_left(it.key);
        bpe_sym *l = &sym[li];
        if (l->n == 0 || l->next < 0) continue;
        bpe_sym *r = &sym[l->next];
        if (l->n + r->n != it.size) continue;   /* stale */
        l->n += r->n;
        l->id = it.id;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = li;
        if ((rc = bpe_try_pair(t, sym, l->prev, li, &h, err)) || (rc = bpe_try_pair(t, sym, li, l->next, &h, err)))
            return rc;
    }
    for (int32_t i = 0; i >= 0; i = sym[i].next) {
        if ((rc = bpe_emit_symbol(t, w, s, &sym[i], out, err))) return rc;
    }
    return 0;
}

typedef struct {
    const lz_tokenizer *t;
    tok_work *w;
    const uint8_t *s;
    tok_out *out;
    lz_err *err;
} bpe_ctx;

static int bpe_on_word(void *ctx, size_t start, size_t len)
{
    bpe_ctx *c = ctx;
    return bpe_word(c->t, c->w, c->s + start, len, c->out, c->err);
}

int tok_bpe_fragment(const lz_tokenizer *t, tok_work *w, const uint8_t *s, size_t n, tok_out *out, lz_err *err)
{
    bpe_ctx c = {t, w, s, out, err};
    return tok_pretokenize(t->pre, w, s, n, bpe_on_word, &c, err);
}
