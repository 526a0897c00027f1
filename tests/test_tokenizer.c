/*
 * test_tokenizer.c - tokenizers from GGUF metadata.
 *
 *  - tiny vocabularies built in memory (tests/util/gguf_builder.h) pin the
 *    rules: SentencePiece merge order by score (ties leftmost), byte
 *    fallback, the space prefix, literal U+2581, split-out user-defined
 *    tokens, control-token texts as plain text; BPE merge order by rank,
 *    ignore_merges; the pre-tokenizer regexes on hand-worked strings;
 *    unsupported tokenizers and unrepresentable bytes;
 *  - the round trip lz_detokenize(lz_tokenize(x)) == x for >= 100,000
 *    random strings (random bytes, random UTF-8, adversarial mixes) per
 *    real vocabulary, and for every file of the corpus;
 *  - a speed sanity check.
 *
 * Real vocabularies: the default model (models/, `make model`) and the
 * vocab-only GGUFs of `make vocabs` (models/vocab/); absent files are
 * skipped with a note. $LZ_TEST_SEED changes the random strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "gguf/gguf.h"
#include "tokenizer/tok_internal.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"
#include "util/gguf_builder.h"

#define MODEL_PATH "models/gemma-3-270m-q4_k_m.gguf"
#define VOCAB_DIR "models/vocab/"
#define CORPUS_DIR "/work/shared/corpus"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_SANITIZED 1
#endif
#endif
#ifndef TEST_SANITIZED
#define TEST_SANITIZED 0
#endif

/* ------------------------------------------------------------ helpers */

static uint64_t rng_state;

static uint64_t rng_next(void)   /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t rng_below(uint32_t n) { return (uint32_t)(rng_next() % n); }

static uint64_t test_seed(void)
{
    const char *s = getenv("LZ_TEST_SEED");
    return s ? strtoull(s, NULL, 0) : 20240601u;
}

static lz_tokenizer *load_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return NULL;
    gguf_file *f = NULL;
    lz_tokenizer *t = NULL;
    lz_err err = {0};
    if (gguf_open(path, 0, &f, &err)) fail_msg("%s: %s", path, err.msg);
    if (lz_tokenizer_load(f, &t, &err)) fail_msg("%s: %s", path, err.msg);
    gguf_close(f);
    return t;
}

/* Tokenize, check the round trip; returns the tokens (free()). */
static int32_t *roundtrip(const lz_tokenizer *t, const void *data, size_t len, size_t *n_tok, int *ok)
{
    lz_err err = {0};
    int32_t *tok = NULL;
    uint8_t *back = NULL;
    size_t back_len = 0;
    int rc = lz_tokenize(t, data, len, &tok, n_tok, &err);
    if (rc) fail_msg("lz_tokenize: %s", err.msg);
    rc = lz_detokenize(t, tok, *n_tok, &back, &back_len, &err);
    if (rc) fail_msg("lz_detokenize: %s", err.msg);
    *ok = back_len == len && (len == 0 || memcmp(back, data, len) == 0);
    free(back);
    return tok;
}

static void assert_tokens(const lz_tokenizer *t, const char *text, const int32_t *want, size_t n_want)
{
    size_t n = 0;
    int ok = 0;
    int32_t *tok = roundtrip(t, text, strlen(text), &n, &ok);
    int same = n == n_want && (n == 0 || memcmp(tok, want, n * sizeof(*tok)) == 0);
    if (!same || !ok) {
        fprintf(stderr, "text \"%s\": got", text);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", tok[i]);
        fprintf(stderr, ", want");
        for (size_t i = 0; i < n_want; i++) fprintf(stderr, " %d", want[i]);
        fprintf(stderr, " (round trip %s)\n", ok ? "ok" : "FAILED");
    }
    free(tok);
    assert_true(same);
    assert_true(ok);
}

/* ------------------------------------------------------------ tiny vocabularies */

typedef struct {
    const char *text;
    float score;
    int32_t type;   /* 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte */
} tv_token;

typedef struct {
    const char **texts;
    float *scores;
    int32_t *types;
    char (*bytes)[8];
    size_t n;
} tv_vocab;

/* With_bytes: the 256 "<0xXX>" byte tokens come first (ids 0..255), then toks. */
static void tv_make(tv_vocab *v, const tv_token *toks, size_t n, int with_bytes)
{
    v->n = n + (with_bytes ? 256 : 0);
    v->texts = calloc(v->n, sizeof(*v->texts));
    v->scores = calloc(v->n, sizeof(*v->scores));
    v->types = calloc(v->n, sizeof(*v->types));
    v->bytes = calloc(256, sizeof(*v->bytes));
    assert_non_null(v->texts);
    size_t k = 0;
    if (with_bytes) {
        for (int b = 0; b < 256; b++, k++) {
            snprintf(v->bytes[b], sizeof(v->bytes[b]), "<0x%02X>", b);
            v->texts[k] = v->bytes[b];
            v->types[k] = 6;
        }
    }
    for (size_t i = 0; i < n; i++, k++) {
        v->texts[k] = toks[i].text;
        v->scores[k] = toks[i].score;
        v->types[k] = toks[i].type;
    }
}

static void tv_free(tv_vocab *v)
{
    free(v->texts);
    free(v->scores);
    free(v->types);
    free(v->bytes);
}

/* Build a GGUF with just tokenizer keys and load it. *err_out gets the
 * load error (then NULL is returned). */
static lz_tokenizer *tv_load(const char *model, const char *pre, const tv_vocab *v, const char *const *merges,
                             size_t n_merges, int add_space_prefix, lz_err *err_out)
{
    gb_builder *b = gb_new();
    assert_non_null(b);
    gb_kv_str(b, "general.architecture", "test");
    if (model) gb_kv_str(b, "tokenizer.ggml.model", model);
    if (pre) gb_kv_str(b, "tokenizer.ggml.pre", pre);
    gb_kv_arr_str(b, "tokenizer.ggml.tokens", v->texts, v->n);
    gb_kv_arr(b, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, v->scores, v->n);
    gb_kv_arr(b, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, v->types, v->n);
    if (merges) gb_kv_arr_str(b, "tokenizer.ggml.merges", merges, n_merges);
    if (add_space_prefix >= 0) gb_kv_bool(b, "tokenizer.ggml.add_space_prefix", add_space_prefix);
    gb_image img;
    assert_int_equal(gb_build(b, &img), 0);
    gguf_file *f = NULL;
    lz_err err = {0};
    if (gguf_open_memory(img.data, img.size, &f, &err)) fail_msg("gguf: %s", err.msg);
    lz_tokenizer *t = NULL;
    const int rc = lz_tokenizer_load(f, &t, &err);
    gguf_close(f);   /* the tokenizer keeps copies */
    gb_image_free(&img);
    gb_free(b);
    if (err_out) *err_out = err;
    if (rc) return NULL;
    return t;
}

#define SP "\xe2\x96\x81"   /* U+2581 */

/* ids: 256 byte tokens, then these */
static const tv_token spm_tokens[] = {
    {"<unk>", 0, 2},          /* 256 */
    {"<s>", 0, 3},            /* 257 */
    {"</s>", 0, 3},           /* 258 */
    {SP, -1, 1},              /* 259 */
    {"a", -1, 1},             /* 260 */
    {"b", -1, 1},             /* 261 */
    {"ab", -2, 1},            /* 262 */
    {"ba", -1.5f, 1},         /* 263 */
    {SP "a", -0.5f, 1},       /* 264 */
    {"<x>", -1000, 4},        /* 265 user-defined */
    {"c", -1, 1},             /* 266 */
    {"cc", -1, 1},            /* 267 */
    {"<", -1, 1},             /* 268 */
    {"/", -1, 1},             /* 269 */
    {"s", -1, 1},             /* 270 */
    {">", -1, 1},             /* 271 */
    {"</", -1, 1},            /* 272 */
    {"</s", -1, 1},           /* 273 */
};

static void test_spm_rules(void **state)
{
    (void)state;
    tv_vocab v;
    tv_make(&v, spm_tokens, LZ_ARRAY_LEN(spm_tokens), 1);
    lz_tokenizer *t = tv_load("llama", NULL, &v, NULL, 0, 0, NULL);   /* no space prefix */
    assert_non_null(t);
    assert_int_equal(lz_tokenizer_n_vocab(t), 256 + LZ_ARRAY_LEN(spm_tokens));
    assert_int_equal(lz_tokenizer_bos(t), 1);   /* llama.cpp's SPM default id */

    /* "aba": pairs ab (-2) and ba (-1.5): the higher score wins */
    assert_tokens(t, "aba", (const int32_t[]){260, 263}, 2);
    /* "cccc": equal scores, the leftmost pair first: cc cc */
    assert_tokens(t, "cccc", (const int32_t[]){267, 267}, 2);
    assert_tokens(t, "ccc", (const int32_t[]){267, 266}, 2);
    /* spaces become U+2581; "▁a" beats "▁" alone */
    assert_tokens(t, "a a", (const int32_t[]){260, 264}, 2);
    /* byte fallback for characters not in the vocabulary */
    assert_tokens(t, "d\xc3\xa9", (const int32_t[]){'d', 0xC3, 0xA9}, 3);
    /* a literal U+2581 would come back as a space: spelled with bytes */
    assert_tokens(t, SP, (const int32_t[]){0xE2, 0x96, 0x81}, 3);
    assert_tokens(t, SP "a", (const int32_t[]){0xE2, 0x96, 0x81, 'a'}, 4);
    /* control-token text is text: "</s" + ">" merge into the control token
     * "</s>" would decode to nothing, so those symbols are spelled in bytes */
    assert_tokens(t, "</s>", (const int32_t[]){'<', '/', 's', '>'}, 4);
    /* user-defined tokens are split out first */
    assert_tokens(t, "a<x>b", (const int32_t[]){260, 265, 261}, 3);
    /* invalid UTF-8: byte tokens, and the round trip holds */
    /* invalid UTF-8: the lead byte 0xFF swallows bytes of the U+2581 a space
     * became; the group up to a source boundary is spelled in bytes */
    assert_tokens(t, "\xff\xe2\x96 ", (const int32_t[]){0xFF, 0xE2, 0x96, ' '}, 4);
    printf("SentencePiece rules: merge order, ties, byte fallback, U+2581, control text, user-defined: ok\n");
    lz_tokenizer_free(t);

    /* with the space prefix (llama.cpp's default for SentencePiece) */
    t = tv_load("llama", NULL, &v, NULL, 0, -1, NULL);
    assert_non_null(t);
    assert_tokens(t, "a", (const int32_t[]){264}, 1);
    assert_tokens(t, "", (const int32_t[]){0}, 0);
    assert_tokens(t, " a", (const int32_t[]){259, 264}, 2);
    /* after a split-out token the next text gets the prefix again */
    assert_tokens(t, "a<x>a", (const int32_t[]){264, 265, 264}, 3);
    assert_tokens(t, "<x><x>", (const int32_t[]){265, 265}, 2);
    /* a text that starts without a space still round trips when its first
     * symbol is spelled in bytes */
    assert_tokens(t, "\xff", (const int32_t[]){259, 0xFF}, 2);
    printf("SentencePiece space prefix: ok\n");
    lz_tokenizer_free(t);
    tv_free(&v);
}

static void test_spm_no_byte_tokens(void **state)
{
    (void)state;
    tv_vocab v;
    tv_make(&v, spm_tokens + 3, 5, 0);   /* ▁ a b ab ba only */
    lz_tokenizer *t = tv_load("llama", NULL, &v, NULL, 0, 0, NULL);
    assert_non_null(t);
    assert_tokens(t, "ab", (const int32_t[]){3}, 1);
    lz_err err = {0};
    int32_t *tok = NULL;
    size_t n = 0;
    int rc = lz_tokenize(t, (const uint8_t *)"abz", 3, &tok, &n, &err);
    printf("unrepresentable byte: rc %d \"%s\"\n", rc, err.msg);
    assert_int_equal(rc, LLAMAZIP_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "0x7A"));
    assert_null(tok);
    /* out-of-range ids are corrupt input to the detokenizer */
    uint8_t *out = NULL;
    size_t out_len;
    const int32_t bad[2] = {0, 99};
    assert_int_equal(lz_detokenize(t, bad, 2, &out, &out_len, &err), LLAMAZIP_E_CORRUPT);
    lz_tokenizer_free(t);
    tv_free(&v);
}

/* GPT-2 byte-level alphabet: the text of byte b's token */
static void gpt2_char(int b, char *out)
{
    const uint32_t cp = tok_byte_to_cp((uint8_t)b);
    const size_t n = tok_utf8_encode(cp, (uint8_t *)out);
    out[n] = 0;
}

static void test_bpe_rules(void **state)
{
    (void)state;
    static char chars[256][4];
    tv_token toks[256 + 6];
    for (int b = 0; b < 256; b++) {
        gpt2_char(b, chars[b]);
        toks[b] = (tv_token){chars[b], 0, 1};
    }
    toks[256] = (tv_token){"ab", 0, 1};
    toks[257] = (tv_token){"bc", 0, 1};
    toks[258] = (tv_token){"abc", 0, 1};
    toks[259] = (tv_token){"xyz", 0, 1};            /* no merges lead here */
    toks[260] = (tv_token){"\xc4\xa0" "a", 0, 1};   /* "Ġa" = " a" */
    toks[261] = (tv_token){"<|endoftext|>", 0, 3};
    tv_vocab v;
    tv_make(&v, toks, LZ_ARRAY_LEN(toks), 0);
    static const char *const merges[] = {"b c", "a b", "a bc", "\xc4\xa0 a"};
    lz_tokenizer *t = tv_load("gpt2", "gpt-2", &v, merges, LZ_ARRAY_LEN(merges), -1, NULL);
    assert_non_null(t);
    /* "abc": b c has the lower rank, then a + bc */
    assert_tokens(t, "abc", (const int32_t[]){258}, 1);
    assert_tokens(t, "ab", (const int32_t[]){256}, 1);
    assert_tokens(t, "xyz", (const int32_t[]){'x', 'y', 'z'}, 3);
    assert_tokens(t, "a a", (const int32_t[]){'a', 260}, 2);
    /* control text is text */
    size_t n;
    int ok;
    int32_t *tok = roundtrip(t, "<|endoftext|>", 13, &n, &ok);
    assert_true(ok);
    for (size_t i = 0; i < n; i++) assert_int_not_equal(tok[i], 261);
    free(tok);
    lz_tokenizer_free(t);

    /* merges in the other order: a b first, and "ab c" is no merge */
    static const char *const merges2[] = {"a b", "b c", "a bc"};
    t = tv_load("gpt2", "gpt-2", &v, merges2, LZ_ARRAY_LEN(merges2), -1, NULL);
    assert_non_null(t);
    assert_tokens(t, "abc", (const int32_t[]){256, 'c'}, 2);
    lz_tokenizer_free(t);

    /* llama3 pre-tokenizer: ignore_merges takes whole-word tokens as they are */
    t = tv_load("gpt2", "llama-bpe", &v, merges, LZ_ARRAY_LEN(merges), -1, NULL);
    assert_non_null(t);
    assert_int_equal(lz_tokenizer_add_bos(t), 1);   /* llama.cpp's llama3 default */
    assert_tokens(t, "xyz", (const int32_t[]){259}, 1);
    lz_tokenizer_free(t);
    tv_free(&v);
    printf("BPE rules: rank order, merge halves, ignore_merges, control text: ok\n");
}

/* Random strings over a small alphabet that hits a vocabulary's odd corners. */
static void small_alphabet_roundtrips(const lz_tokenizer *t, const char *name, const char *const *alpha,
                                      size_t n_alpha, unsigned count)
{
    rng_state = test_seed() ^ 0x5EEDu;
    unsigned failures = 0;
    size_t tokens = 0;
    for (unsigned i = 0; i < count; i++) {
        uint8_t buf[256];
        size_t len = 0;
        const unsigned parts = rng_below(24);
        for (unsigned k = 0; k < parts; k++) {
            const char *a = alpha[rng_below((uint32_t)n_alpha)];
            const size_t al = a[0] ? strlen(a) : 1;   /* "" stands for a NUL byte */
            if (len + al > sizeof(buf)) break;
            memcpy(buf + len, a, al);
            len += al;
        }
        size_t n;
        int ok;
        free(roundtrip(t, buf, len, &n, &ok));
        tokens += n;
        if (!ok) {
            if (failures < 3) {
                fprintf(stderr, "%s: round trip failed:", name);
                for (size_t j = 0; j < len; j++) fprintf(stderr, " %02x", buf[j]);
                fprintf(stderr, "\n");
            }
            failures++;
        }
    }
    printf("%s: %u strings over a %zu-piece alphabet (%zu tokens), %u round-trip failures\n", name, count,
           n_alpha, tokens, failures);
    assert_int_equal(failures, 0);
}

/* Vocabularies with traps: user-defined tokens that overlap or contain
 * U+2581, a control token reachable by merges, a NORMAL token that looks
 * like a byte token, a token with a real space, empty and duplicate texts,
 * a BYTE token with a malformed name; BPE merges whose halves are not
 * tokens and a vocabulary without most byte characters. */
static void test_odd_vocabularies(void **state)
{
    (void)state;
    static const tv_token odd_spm[] = {
        {"aa", -1000, 4}, {"aaa", -1000, 4}, {"a" SP, -1000, 4}, {SP "b", -1000, 4},   /* user-defined */
        {"a", -1, 1}, {"b", -1, 1}, {"ab", 0, 3},                                      /* control via merge */
        {"<0x41>", -1, 1}, {"<0x4", -1, 1}, {"<0", -2, 1}, {"<", -1, 1}, {"x y", -1, 1}, {"x", -1, 1},
        {"y", -1, 1}, {"", -1, 1}, {"b", -3, 1}, {"<0xZZ>", 0, 6}, {SP SP, -1, 1}, {"ba", -0.5f, 1},
    };
    static const char *const alpha[] = {"a", "b", "aa", " ", "  ", SP, "\xe2\x96", "<0x41>", "<0x4", "x y", "x",
                                        "y", "\xff", "\xe2", "", "\n", "ab", "ba", "\xc3\xa9"};
    tv_vocab v;
    tv_make(&v, odd_spm, LZ_ARRAY_LEN(odd_spm), 1);
    for (int prefix = 0; prefix <= 1; prefix++) {
        lz_tokenizer *t = tv_load("llama", NULL, &v, NULL, 0, prefix, NULL);
        assert_non_null(t);
        small_alphabet_roundtrips(t, prefix ? "odd SentencePiece vocabulary, space prefix"
                                            : "odd SentencePiece vocabulary, no space prefix",
                                  alpha, LZ_ARRAY_LEN(alpha), 20000);
        lz_tokenizer_free(t);
    }
    tv_free(&v);

    /* BPE: only the printable ASCII characters (ids 0..93), merge halves
     * that are not tokens ("q" is not one), a user-defined token */
    static char chars[94][2];
    tv_token toks[94 + 5];
    for (int c = 0x21; c <= 0x7E; c++) {
        chars[c - 0x21][0] = (char)c;
        toks[c - 0x21] = (tv_token){chars[c - 0x21], 0, 1};
    }
    toks[94] = (tv_token){"xy", 0, 1};
    toks[95] = (tv_token){"xyq", 0, 1};          /* reached through the pseudo half "yq" */
    toks[96] = (tv_token){"<u>", 0, 4};
    toks[97] = (tv_token){"\xc4\xa0x", 0, 1};    /* " x" */
    toks[98] = (tv_token){"\xc4\xa0", 0, 1};     /* " " */
    static const char *const merges[] = {"x y", "y q", "x yq", "\xc4\xa0 x", "q q"};
    tv_make(&v, toks, LZ_ARRAY_LEN(toks), 0);
    lz_tokenizer *t = tv_load("gpt2", "llama-bpe", &v, merges, LZ_ARRAY_LEN(merges), -1, NULL);
    assert_non_null(t);
    static const char *const balpha[] = {"x", "y", "q", " ", "xy", "<u>", "<", "u", ">", "'s", "1", "!"};
    small_alphabet_roundtrips(t, "odd BPE vocabulary", balpha, LZ_ARRAY_LEN(balpha), 20000);
    lz_err err = {0};
    int32_t *tok = NULL;
    size_t n = 0;
    assert_int_equal(lz_tokenize(t, (const uint8_t *)"x\ty", 3, &tok, &n, &err), LLAMAZIP_E_UNSUPPORTED);
    lz_tokenizer_free(t);
    tv_free(&v);
}

/* ------------------------------------------------------------ pre-tokenizers */

typedef struct {
    char words[64][32];
    size_t n;
    const uint8_t *s;
} word_list;

static int collect_word(void *ctx, size_t start, size_t len)
{
    word_list *wl = ctx;
    assert_true(wl->n < 64 && len < 32);
    memcpy(wl->words[wl->n], wl->s + start, len);
    wl->words[wl->n][len] = 0;
    wl->n++;
    return 0;
}

static void assert_split(const char *pre_name, const char *text, const char *const *want, size_t n_want)
{
    int im, ab;
    const tok_pretok *pre = tok_pretok_find(pre_name, strlen(pre_name), &im, &ab);
    assert_non_null(pre);
    tok_work w;
    memset(&w, 0, sizeof(w));
    word_list wl = {.n = 0, .s = (const uint8_t *)text};
    assert_int_equal(tok_pretokenize(pre, &w, (const uint8_t *)text, strlen(text), collect_word, &wl, NULL), 0);
    tok_work_free(&w);
    int same = wl.n == n_want;
    for (size_t i = 0; same && i < n_want; i++) same = strcmp(wl.words[i], want[i]) == 0;
    if (!same) {
        fprintf(stderr, "%s: \"%s\" ->", pre_name, text);
        for (size_t i = 0; i < wl.n; i++) fprintf(stderr, " [%s]", wl.words[i]);
        fprintf(stderr, "\n");
    }
    assert_true(same);
}

static void test_pretokenizers(void **state)
{
    (void)state;
    const char *text = "Hello world's  test\n\n 12345 IT'S";
    assert_split("gpt-2", text,
                 (const char *const[]){"Hello", " world", "'s", " ", " test", "\n\n", " 12345", " IT", "'", "S"}, 10);
    assert_split("llama-bpe", text,
                 (const char *const[]){"Hello", " world", "'s", " ", " test", "\n\n", " ", "123", "45", " IT", "'S"}, 11);
    assert_split("qwen2", "ab 12\r\n\r\n  x", (const char *const[]){"ab", " ", "1", "2", "\r\n\r\n", " ", " x"}, 7);
    assert_split("llama3", "a...\n\nb", (const char *const[]){"a", "...\n\n", "b"}, 3);
    assert_split("llama3", " (x", (const char *const[]){" (", "x"}, 2);
    assert_split("smollm", "abc123def 45", (const char *const[]){"abc", "1", "2", "3", "def", " ", "4", "5"}, 8);
    assert_split("default", "a+=b 1234", (const char *const[]){"a", "+=", "b", " ", "123", "4"}, 6);
    assert_split("falcon", "x`y 12345", (const char *const[]){"x", "`", "y", " ", "123", "45"}, 6);
    /* invalid UTF-8 bytes are single "other" units, not letters */
    assert_split("gpt-2", "a\xff\xfe b", (const char *const[]){"a", "\xff\xfe", " b"}, 3);
    /* non-ASCII letters, numbers and spaces */
    assert_split("llama3", "\xc3\xa9t\xc3\xa9\xe3\x80\x80\xd9\xa1\xd9\xa2",
                 (const char *const[]){"\xc3\xa9t\xc3\xa9", "\xe3\x80\x80", "\xd9\xa1\xd9\xa2"}, 3);
    printf("pre-tokenizers: gpt-2, llama3, qwen2, smollm, default, falcon on hand-worked strings: ok\n");
}

/* ------------------------------------------------------------ errors */

static void test_unsupported(void **state)
{
    (void)state;
    tv_vocab v;
    tv_make(&v, spm_tokens + 3, 5, 1);
    lz_err err = {0};
    assert_null(tv_load("bert", NULL, &v, NULL, 0, -1, &err));
    printf("unsupported model: %s\n", err.msg);
    assert_int_equal(err.code, LLAMAZIP_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "'bert'"));
    assert_non_null(strstr(err.msg, "gpt2"));
    assert_non_null(strstr(err.msg, "llama"));

    static const char *const merges[] = {"a b"};
    assert_null(tv_load("gpt2", "deepseek-coder", &v, merges, 1, -1, &err));
    printf("unsupported pre-tokenizer: %s\n", err.msg);
    assert_int_equal(err.code, LLAMAZIP_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "'deepseek-coder'"));
    assert_non_null(strstr(err.msg, "qwen2"));

    assert_null(tv_load(NULL, NULL, &v, NULL, 0, -1, &err));
    assert_int_equal(err.code, LLAMAZIP_E_GGUF);
    assert_null(tv_load("gpt2", "gpt-2", &v, NULL, 0, -1, &err));   /* no merges */
    assert_int_equal(err.code, LLAMAZIP_E_GGUF);
    tv_free(&v);
}

/* ------------------------------------------------------------ random round trips */

static const char *const adversarial[] = {
    " ", "  ", "    ", "\t", "\t\t", "\n", "\r\n", "\r", "\n\n\n", " \n", "\r\r\n", "\x0b", "\x0c",
    SP, SP SP, "\xe2\x96", "\x96\x81", "\0", "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80", "\xed\xbf\xbf",
    "\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf", "\xff", "\xfe", "\x80", "\xc3", "\xc3\xa9", "\xe2\x80\xa8",
    "\xc2\xa0", "\xe3\x80\x80", "\xef\xbb\xbf", "\xef\xbf\xbd", "\xf0\x9f\x98\x80", "\xe4\xb8\xad\xe6\x96\x87",
    "<0x41>", "<0x0A>", "<unused0>", "<pad>", "<eos>", "<bos>", "</s>", "<s>", "<unk>", "<mask>", "<table>",
    "</td>", "<start_of_image>", "[multimodal]", "<|endoftext|>", "<|im_start|>", "<|begin_of_text|>",
    "[PAD151646]", "'s", "'S", "'ll", "'LL", "'re", "'", "''", "0", "12345", "9999999", "\xd9\xa1\xd9\xa2",
    "a", "the", "The", " the", "Hello", "world", ".", "...", ",", "!?", "$", "+=", "`", "~", "|", "\\",
    "\xc4\xa0", "\xc4\x8a", "\xc3\x84", "e\xcc\x81", "\xe2\x80\x8b", "-->", "/*", "*/", "{", "}", "==",
};

typedef enum { GEN_BYTES, GEN_UTF8, GEN_MIX, GEN_RUN, GEN_KINDS } gen_kind;

static size_t gen_utf8_char(uint8_t *out)
{
    static const uint32_t specials[] = {0x2581, 0x20, 0x0A, 0x09, 0x0D, 0xA0, 0x3000, 0x2028, 0x85, 0xFFFD,
                                        0xFEFF, 0x200B, 0x1F600, 0x10FFFF, 0x7F, 0x00};
    uint32_t cp;
    switch (rng_below(6)) {
    case 0: cp = specials[rng_below(LZ_ARRAY_LEN(specials))]; break;
    case 1: cp = 0x80 + rng_below(0x780); break;
    case 2: cp = 0x800 + rng_below(0xF800); if (cp >= 0xD800 && cp < 0xE000) cp -= 0x800; break;
    case 3: cp = 0x10000 + rng_below(0x100000); break;
    default: cp = 0x20 + rng_below(0x5F); break;
    }
    return tok_utf8_encode(cp, out);
}

/* A random test string into buf (cap bytes); returns its length. */
static size_t gen_string(const lz_tokenizer *t, uint8_t *buf, size_t cap, gen_kind kind)
{
    size_t n = 0;
    const size_t target = rng_below(rng_below(8) == 0 ? (uint32_t)cap - 8 : 48);
    while (n < target) {
        uint8_t tmp[64];
        size_t k = 0;
        switch (kind) {
        case GEN_BYTES:
            tmp[k++] = (uint8_t)rng_next();
            break;
        case GEN_UTF8:
            k = gen_utf8_char(tmp);
            break;
        case GEN_RUN: {   /* long runs of one character or pattern */
            const char *const runs[] = {" ", "\t", "\n", "a", "\r\n", SP, "0", "-", " \t", "\xe3\x80\x80"};
            const char *r = runs[rng_below(LZ_ARRAY_LEN(runs))];
            const size_t rl = strlen(r), reps = 1 + rng_below(200);
            for (size_t i = 0; i < reps && n + rl <= cap; i++, n += rl) memcpy(buf + n, r, rl);
            continue;
        }
        default: {
            const uint32_t pick = rng_below(10);
            if (pick < 5) {
                const char *a = adversarial[rng_below(LZ_ARRAY_LEN(adversarial))];
                k = strlen(a);
                if (k == 0) tmp[k++] = 0;   /* the NUL entry */
                else memcpy(tmp, a, k);
            } else if (pick < 8) {   /* a vocabulary entry, as its text or as what it decodes to */
                const int32_t id = (int32_t)rng_below(lz_tokenizer_n_vocab(t));
                uint32_t len;
                const uint8_t *s = (pick < 7) ? tok_piece(t, id, &len) : tok_text(t, id, &len);
                k = LZ_MIN(len, sizeof(tmp));
                memcpy(tmp, s, k);
            } else if (pick < 9) {
                k = gen_utf8_char(tmp);
            } else {
                tmp[k++] = (uint8_t)rng_next();
            }
            break;
        }
        }
        if (n + k > cap) break;
        memcpy(buf + n, tmp, k);
        n += k;
    }
    return n;
}

/* Whether some byte of buf has no byte token in t. */
static int has_unrepresentable(const lz_tokenizer *t, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (t->byte_tok[buf[i]] < 0) return 1;
    }
    return 0;
}

static void property_test(const lz_tokenizer *t, const char *name, unsigned count)
{
    rng_state = test_seed();
    uint8_t buf[1024];
    unsigned failures = 0, per_kind[GEN_KINDS] = {0}, unsupported = 0, missing = 0;
    size_t bytes = 0, tokens = 0;
    for (int b = 0; b < 256; b++) missing += t->byte_tok[b] < 0;
    for (unsigned i = 0; i < count; i++) {
        const gen_kind kind = (gen_kind)(i % GEN_KINDS);
        const size_t len = gen_string(t, buf, sizeof(buf), kind);
        size_t n;
        int ok;
        per_kind[kind]++;
        if (missing && has_unrepresentable(t, buf, len)) {
            /* a byte without any token: must fail cleanly, nothing else */
            lz_err err = {0};
            int32_t *tok = NULL;
            assert_int_equal(lz_tokenize(t, buf, len, &tok, &n, &err), LLAMAZIP_E_UNSUPPORTED);
            assert_null(tok);
            unsupported++;
            continue;
        }
        int32_t *tok = roundtrip(t, buf, len, &n, &ok);
        free(tok);
        bytes += len;
        tokens += n;
        if (!ok) {
            if (failures < 5) {
                fprintf(stderr, "%s: round trip failed for (%zu bytes):", name, len);
                for (size_t j = 0; j < len; j++) fprintf(stderr, " %02x", buf[j]);
                fprintf(stderr, "\n");
            }
            failures++;
        }
    }
    printf("%s: %u random strings (%u bytes, %u utf8, %u mixed, %u runs; %zu bytes, %zu tokens), "
           "%u round-trip failures\n",
           name, count, per_kind[GEN_BYTES], per_kind[GEN_UTF8], per_kind[GEN_MIX], per_kind[GEN_RUN], bytes,
           tokens, failures);
    if (missing)
        printf("  (%u bytes have no token in this vocabulary: %u strings containing them were refused with "
               "LLAMAZIP_E_UNSUPPORTED as they should)\n", missing, unsupported);
    assert_int_equal(failures, 0);
}

#define N_PROPERTY 100000u

static void test_property_default_model(void **state)
{
    (void)state;
    lz_tokenizer *t = load_file(MODEL_PATH);
    if (!t) {
        printf("SKIP: %s not found (make model)\n", MODEL_PATH);
        skip();
    }
    property_test(t, lz_tokenizer_kind(t), N_PROPERTY);
    lz_tokenizer_free(t);
}

static void test_property_vocabs(void **state)
{
    (void)state;
    /* the gpt2 vocabularies get the full count, the others a share */
    static const struct {
        const char *name;
        unsigned count;
    } vocabs[] = {{"llama-bpe", N_PROPERTY}, {"qwen2", N_PROPERTY / 2}, {"gpt-2", N_PROPERTY / 5},
                  {"refact", N_PROPERTY / 5}, {"llama-spm", N_PROPERTY / 5}, {"phi-3", N_PROPERTY / 5}};
    int any = 0;
    for (size_t i = 0; i < LZ_ARRAY_LEN(vocabs); i++) {
        char path[256];
        snprintf(path, sizeof(path), VOCAB_DIR "ggml-vocab-%s.gguf", vocabs[i].name);
        lz_tokenizer *t = load_file(path);
        if (!t) {
            printf("SKIP: %s not found (make vocabs)\n", path);
            continue;
        }
        any = 1;
        char name[160];
        snprintf(name, sizeof(name), "%s [%s]", vocabs[i].name, lz_tokenizer_kind(t));
        property_test(t, name, vocabs[i].count);
        lz_tokenizer_free(t);
    }
    if (!any) skip();
}

/* ------------------------------------------------------------ corpus */

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    const long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static int corpus_dir(const lz_tokenizer *t, const char *dir, unsigned *files, size_t *bytes, size_t *tokens)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int failures = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "SHA256SUMS") == 0) continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode)) continue;
        size_t len, n;
        unsigned char *data = read_all(path, &len);
        assert_non_null(data);
        int ok;
        free(roundtrip(t, data, len, &n, &ok));
        if (!ok) {
            fprintf(stderr, "round trip FAILED: %s\n", path);
            failures++;
        }
        (*files)++;
        *bytes += len;
        *tokens += n;
        free(data);
    }
    closedir(d);
    return failures;
}

static void test_corpus(void **state)
{
    (void)state;
    const char *models[] = {MODEL_PATH, VOCAB_DIR "ggml-vocab-llama-bpe.gguf", VOCAB_DIR "ggml-vocab-qwen2.gguf"};
    int any = 0;
    for (size_t m = 0; m < LZ_ARRAY_LEN(models); m++) {
        lz_tokenizer *t = load_file(models[m]);
        if (!t) {
            printf("SKIP: %s not found\n", models[m]);
            continue;
        }
        unsigned files = 0;
        size_t bytes = 0, tokens = 0;
        int failures = corpus_dir(t, CORPUS_DIR "/calgary", &files, &bytes, &tokens);
        failures += corpus_dir(t, CORPUS_DIR "/dce", &files, &bytes, &tokens);
        printf("corpus round trip, %s: %u files, %zu bytes, %zu tokens, %d failures\n", models[m], files, bytes,
               tokens, failures);
        if (files) any = 1;
        assert_int_equal(failures, 0);
        lz_tokenizer_free(t);
    }
    if (!any) skip();
}

/* ------------------------------------------------------------ speed */

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_speed(void **state)
{
    (void)state;
    lz_tokenizer *t = load_file(MODEL_PATH);
    size_t len;
    unsigned char *data = read_all(CORPUS_DIR "/calgary/book1", &len);
    if (!t || !data) {
        printf("SKIP: needs %s and the corpus\n", MODEL_PATH);
        lz_tokenizer_free(t);
        free(data);
        skip();
    }
    double best = 1e30;
    size_t n = 0;
    for (int rep = 0; rep < 2; rep++) {
        int32_t *tok;
        lz_err err = {0};
        const double t0 = cpu_seconds();
        assert_int_equal(lz_tokenize(t, data, len, &tok, &n, &err), 0);
        const double dt = cpu_seconds() - t0;
        if (dt < best) best = dt;
        free(tok);
    }
    const double mbs = (double)len / best / 1e6;
    printf("speed: book1 (%zu bytes, %zu tokens) at %.2f MB/s of CPU time%s\n", len, n, mbs,
           TEST_SANITIZED ? " (sanitized build)" : "");
    /* a sanity bound only (make bench-tokenizer measures); sanitizers are slow */
    /* not under an emulator (make test-arm sets LZ_TEST_EMULATED) */
    if (!getenv("LZ_TEST_EMULATED")) assert_true(mbs > (TEST_SANITIZED ? 0.1 : 1.0));
    free(data);
    lz_tokenizer_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spm_rules),
        cmocka_unit_test(test_spm_no_byte_tokens),
        cmocka_unit_test(test_bpe_rules),
        cmocka_unit_test(test_odd_vocabularies),
        cmocka_unit_test(test_pretokenizers),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_property_default_model),
        cmocka_unit_test(test_property_vocabs),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
