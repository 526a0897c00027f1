/*
 * tokenizer.c - tokenizers from GGUF metadata: loading, dispatch to the
 * split-out of user-defined tokens (special.c), SentencePiece (spm.c) or
 * byte-level BPE (bpe.c), the round-trip guarantee and detokenization.
 *
 * Behaviour follows llama.cpp's llama_tokenize(add_special = false,
 * parse_special = false); doc/tokenizer.md lists where and why we differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"
#include "unicode.h"

/* ------------------------------------------------------------ loading */

static const char *const TOK_KEY_MODEL = "tokenizer.ggml.model";
static const char *const TOK_KEY_TOKENS = "tokenizer.ggml.tokens";

/* Read the token texts, scores and types. */
static int tok_load_vocab(lz_tokenizer *t, const gguf_file *f, lz_err *err)
{
    gguf_value_type et;
    uint64_t n;
    const void *data;
    int rc = gguf_get_arr(f, TOK_KEY_TOKENS, &et, &n, &data, err);
    if (rc) return rc;
    if (et != GGUF_TYPE_STRING)
        return lz_fail(err, LLAMAZIP_E_GGUF, "'%s' is an array of %s, expected str", TOK_KEY_TOKENS,
                       gguf_type_name(et));
    if (n == 0 || n > TOK_MAX_ENTRIES)
        return lz_fail(err, LLAMAZIP_E_GGUF, "'%s' has %llu tokens", TOK_KEY_TOKENS, (unsigned long long)n);
    t->n_vocab = (uint32_t)n;

    for (uint64_t i = 0; i < n; i++) {
        const char *s;
        uint64_t len;
        if ((rc = gguf_arr_str(f, TOK_KEY_TOKENS, i, &s, &len, err))) return rc;
        char empty[32];
        if (len == 0) {   /* llama.cpp renames empty tokens */
            int k = snprintf(empty, sizeof(empty), "[EMPTY_%llu]", (unsigned long long)i);
            s = empty;
            len = (uint64_t)k;
        }
        if (tok_texts_add(&t->texts, (const uint8_t *)s, (size_t)len))
            return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (token texts)");
    }
    if ((rc = tok_map_rebuild(t, t->n_vocab, err))) return rc;

    t->score = calloc(n, sizeof(*t->score));
    t->attr = malloc(n);
    if (!t->score || !t->attr) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory");

    if (gguf_find_key(f, "tokenizer.ggml.scores") >= 0) {
        uint64_t ns;
        if ((rc = gguf_get_arr(f, "tokenizer.ggml.scores", &et, &ns, &data, err))) return rc;
        if (et != GGUF_TYPE_FLOAT32 && et != GGUF_TYPE_INT32)
            return lz_fail(err, LLAMAZIP_E_GGUF, "'tokenizer.ggml.scores' is an array of %s, expected f32",
                           gguf_type_name(et));
        if (ns < n)
            return lz_fail(err, LLAMAZIP_E_GGUF, "'tokenizer.ggml.scores' has %llu entries for %llu tokens",
                           (unsigned long long)ns, (unsigned long long)n);
        for (uint64_t i = 0; i < n; i++) {
            const uint32_t u = lz_rd32((const uint8_t *)data + 4 * i);
            if (et == GGUF_TYPE_FLOAT32) {
                memcpy(&t->score[i], &u, 4);
            } else {
                t->score[i] = (float)(int32_t)u;
            }
        }
    }

    memset(t->attr, TOK_ATTR_NORMAL, n);
    if (gguf_find_key(f, "tokenizer.ggml.token_type") >= 0) {
        uint64_t nt;
        if ((rc = gguf_get_arr(f, "tokenizer.ggml.token_type", &et, &nt, &data, err))) return rc;
        if (et != GGUF_TYPE_INT32)
            return lz_fail(err, LLAMAZIP_E_GGUF, "'tokenizer.ggml.token_type' is an array of %s, expected i32",
                           gguf_type_name(et));
        if (nt < n)
            return lz_fail(err, LLAMAZIP_E_GGUF, "'tokenizer.ggml.token_type' has %llu entries for %llu tokens",
                           (unsigned long long)nt, (unsigned long long)n);
        static const uint8_t type_attr[7] = {0, TOK_ATTR_NORMAL, TOK_ATTR_UNKNOWN, TOK_ATTR_CONTROL,
                                             TOK_ATTR_USER_DEFINED, TOK_ATTR_UNUSED, TOK_ATTR_BYTE};
        for (uint64_t i = 0; i < n; i++) {
            const int32_t ty = (int32_t)lz_rd32((const uint8_t *)data + 4 * i);
            t->attr[i] = (ty >= 0 && ty < 7) ? type_attr[ty] : 0;
        }
    }
    return 0;
}

static int32_t tok_find_str(const lz_tokenizer *t, const char *s)
{
    const int32_t id = tok_map_find(t, (const uint8_t *)s, strlen(s));
    return id < (int32_t)t->n_vocab ? id : -1;
}

static void tok_or_attr(lz_tokenizer *t, const char *const *texts, size_t n, uint8_t bits)
{
    for (size_t i = 0; i < n; i++) {
        const int32_t id = tok_find_str(t, texts[i]);
        if (id >= 0) t->attr[id] |= bits;
    }
}

/* llama.cpp's load-time attribute fix-ups that change which tokens are split
 * out of the text: tokens it recognises by text as end-of-turn or
 * fill-in-the-middle markers become CONTROL (so no longer split out), a few
 * gpt-oss markers become USER_DEFINED. */
static void tok_fix_attrs(lz_tokenizer *t, const gguf_file *f)
{
    static const char *const eot[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                      "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
                                      "<\357\275\234end\342\226\201of\342\226\201sentence\357\275\234>",
                                      "<end_of_utterance>"};
    static const char *const eom[] = {"<|eom_id|>"};
    static const char *const fim_pre[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                                          "<\357\275\234fim\342\226\201begin\357\275\234>", "<PRE>",
                                          "\342\226\201<PRE>", "<|code_prefix|>", "<|prefix|>"};
    static const char *const fim_suf[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                                          "<\357\275\234fim\342\226\201hole\357\275\234>", "<SUF>",
                                          "\342\226\201<SUF>", "<|code_suffix|>", "<|suffix|>"};
    static const char *const fim_mid[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                                          "<\357\275\234fim\342\226\201end\357\275\234>", "<MID>",
                                          "\342\226\201<MID>", "<|code_middle|>", "<|middle|>"};
    static const char *const fim_pad[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
    static const char *const fim_rep[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
    static const char *const fim_sep[] = {"<|file_sep|>"};
    static const char *const eog[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
                                      "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>",
                                      "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
                                      "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
                                      "<\357\275\234end\342\226\201of\342\226\201sentence\357\275\234>",
                                      "[e~["};
    static const struct {
        const char *key;
        const char *const *texts;
        size_t n;
    } by_role[] = {
        {"tokenizer.ggml.eot_token_id", eot, LZ_ARRAY_LEN(eot)},
        {"tokenizer.ggml.eom_token_id", eom, LZ_ARRAY_LEN(eom)},
        {"tokenizer.ggml.fim_pre_token_id", fim_pre, LZ_ARRAY_LEN(fim_pre)},
        {"tokenizer.ggml.fim_suf_token_id", fim_suf, LZ_ARRAY_LEN(fim_suf)},
        {"tokenizer.ggml.fim_mid_token_id", fim_mid, LZ_ARRAY_LEN(fim_mid)},
        {"tokenizer.ggml.fim_pad_token_id", fim_pad, LZ_ARRAY_LEN(fim_pad)},
        {"tokenizer.ggml.fim_rep_token_id", fim_rep, LZ_ARRAY_LEN(fim_rep)},
        {"tokenizer.ggml.fim_sep_token_id", fim_sep, LZ_ARRAY_LEN(fim_sep)},
    };
    for (size_t r = 0; r < LZ_ARRAY_LEN(by_role); r++) {
        if (gguf_find_key(f, by_role[r].key) < 0) tok_or_attr(t, by_role[r].texts, by_role[r].n, TOK_ATTR_CONTROL);
    }
    tok_or_attr(t, eog, LZ_ARRAY_LEN(eog), TOK_ATTR_CONTROL);

    static const char *const gpt_oss[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};
    for (size_t i = 0; i < LZ_ARRAY_LEN(gpt_oss); i++) {
        const int32_t id = tok_find_str(t, gpt_oss[i]);
        if (id >= 0) t->attr[id] = TOK_ATTR_USER_DEFINED;
    }
    const int32_t end = tok_find_str(t, "<|end|>");
    const int has_ret = tok_find_str(t, "<|return|>") >= 0, has_call = tok_find_str(t, "<|call|>") >= 0;
    const int has_calls = tok_find_str(t, "<|calls|>") >= 0, has_flush = tok_find_str(t, "<|flush|>") >= 0;
    if (end >= 0 && ((has_ret && has_call) || ((has_call || has_calls) && has_flush)))
        t->attr[end] = TOK_ATTR_USER_DEFINED;
    const int32_t s_end = tok_find_str(t, "</s>");
    if (s_end >= 0 && (tok_find_str(t, "<|tool_response>") >= 0 || tok_find_str(t, "<|plamo:eos|>") >= 0))
        t->attr[s_end] = TOK_ATTR_NORMAL;

    for (uint32_t i = 0; i < t->n_vocab; i++) {
        const uint8_t a = t->attr[i];
        if ((a & TOK_ATTR_USER_DEFINED) && !(a & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN))) t->attr[i] |= TOK_ATTR_SPLIT;
    }
}

static int tok_hex(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* What a token decodes to (llama.cpp's token_to_piece with special = false). */
static size_t tok_make_piece(const lz_tokenizer *t, int32_t id, uint8_t *out)
{
    uint32_t len;
    const uint8_t *s = tok_text(t, id, &len);
    const uint8_t a = t->attr[id];
    if (a & (TOK_ATTR_UNKNOWN | TOK_ATTR_CONTROL)) return 0;
    if (a & TOK_ATTR_USER_DEFINED) {
        memcpy(out, s, len);
        return len;
    }
    if (a & TOK_ATTR_NORMAL) {
        size_t k = 0;
        if (t->type == TOK_TYPE_SPM) {   /* U+2581 -> space */
            for (uint32_t i = 0; i < len;) {
                if (i + 3 <= len && s[i] == 0xE2 && s[i + 1] == 0x96 && s[i + 2] == 0x81) {
                    out[k++] = ' ';
                    i += 3;
                } else {
                    out[k++] = s[i++];
                }
            }
            return k;
        }
        for (uint32_t i = 0; i < len;) {  /* GPT-2 characters -> bytes */
            size_t used;
            const uint32_t cp = tok_utf8_decode(s + i, len - i, &used);
            const int b = tok_cp_to_byte(cp);
            if (b >= 0) {
                out[k++] = (uint8_t)b;
            } else {   /* not a byte character: keep the raw text */
                memcpy(out + k, s + i, used);
                k += used;
            }
            i += (uint32_t)used;
        }
        return k;
    }
    if (a & TOK_ATTR_BYTE) {
        if (len == 6 && s[0] == '<' && s[1] == '0' && s[2] == 'x' && s[5] == '>' && tok_hex(s[3]) >= 0 &&
            tok_hex(s[4]) >= 0) {
            out[0] = (uint8_t)(tok_hex(s[3]) * 16 + tok_hex(s[4]));
            return 1;
        }
    }
    return 0;
}

static int tok_build_pieces(lz_tokenizer *t, lz_err *err)
{
    /* A piece is never longer than its text. */
    t->piece = malloc(t->texts.off[t->n_vocab] + 1);
    t->piece_off = malloc(((size_t)t->n_vocab + 1) * sizeof(*t->piece_off));
    if (!t->piece || !t->piece_off) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (pieces)");
    uint32_t at = 0;
    for (uint32_t id = 0; id < t->n_vocab; id++) {
        t->piece_off[id] = at;
        at += (uint32_t)tok_make_piece(t, (int32_t)id, t->piece + at);
    }
    t->piece_off[t->n_vocab] = at;
    return 0;
}

/* Byte tokens: ours (a token that decodes to exactly that byte and is not
 * split out; BYTE tokens first, then the lowest id) and llama.cpp's SPM
 * fallback. */
static void tok_build_byte_tokens(lz_tokenizer *t)
{
    for (int b = 0; b < 256; b++) t->byte_tok[b] = t->spm_byte_tok[b] = -1;
    for (uint32_t id = 0; id < t->n_vocab; id++) {
        uint32_t len;
        const uint8_t *p = tok_piece(t, (int32_t)id, &len);
        if (len != 1 || (t->attr[id] & TOK_ATTR_SPLIT)) continue;
        int32_t *slot = &t->byte_tok[p[0]];
        if (*slot < 0 || ((t->attr[id] & TOK_ATTR_BYTE) && !(t->attr[*slot] & TOK_ATTR_BYTE))) *slot = (int32_t)id;
    }
    if (t->type != TOK_TYPE_SPM) return;
    for (int b = 0; b < 128; b++) {
        const uint8_t one = (uint8_t)b;
        const int32_t id = tok_map_find(t, &one, 1);
        t->spm_char_id[b] = id < (int32_t)t->n_vocab ? id : -1;
        t->spm_alone[b] = b != ' ';
    }
    const int32_t sp = tok_map_find(t, (const uint8_t *)"\xe2\x96\x81", 3);
    t->spm_space_id = sp < (int32_t)t->n_vocab ? sp : -1;
    for (uint32_t id = 0; id < t->n_vocab; id++) {
        uint32_t len;
        const uint8_t *s = tok_text(t, (int32_t)id, &len);
        if (len < 2) continue;
        for (uint32_t i = 0; i < len; i++) {
            if (s[i] < 128) t->spm_alone[s[i]] = 0;
        }
        /* a U+2581 inside: the text before it may be followed by a space symbol */
        for (uint32_t i = 1; i + 3 <= len; i++) {
            if (s[i] == 0xE2 && s[i + 1] == 0x96 && s[i + 2] == 0x81) {
                const int32_t left = tok_map_find(t, s, i);
                if (left >= 0 && (uint32_t)left < t->n_vocab) t->attr[left] |= TOK_ATTR_BEFORE_SPACE;
            }
        }
    }
    static const char hex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; b++) {
        const uint8_t name[6] = {'<', '0', 'x', (uint8_t)hex[b >> 4], (uint8_t)hex[b & 15], '>'};
        int32_t id = tok_map_find(t, name, 6);
        if (id < 0) {
            const uint8_t one = (uint8_t)b;
            id = tok_map_find(t, &one, 1);
        }
        t->spm_byte_tok[b] = id;
    }
}

/* SentencePiece: the token of every pair of one-character symbols that
 * are ASCII or U+2581 (most of the first merges in a text). */
static int tok_build_spm_pairs(lz_tokenizer *t, lz_err *err)
{
    t->spm_pair1 = malloc(129 * 129 * sizeof(*t->spm_pair1));
    if (!t->spm_pair1) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory");
    for (int a = 0; a < 129; a++) {
        for (int b = 0; b < 129; b++) {
            uint8_t txt[6];
            size_t n = 0;
            if (a == 128) {
                memcpy(txt, "\xe2\x96\x81", 3);
                n = 3;
            } else {
                txt[n++] = (uint8_t)a;
            }
            if (b == 128) {
                memcpy(txt + n, "\xe2\x96\x81", 3);
                n += 3;
            } else {
                txt[n++] = (uint8_t)b;
            }
            const int32_t id = tok_map_find(t, txt, n);
            t->spm_pair1[a * 129 + b] = (uint32_t)id < t->n_vocab ? id : -1;
        }
    }
    return 0;
}

/* Optional integer/bool keys: a key of the wrong type is ignored like a
 * missing one (llama.cpp warns and keeps its default). */
static void tok_opt_id(const gguf_file *f, const char *key, uint32_t n_vocab, int32_t *id)
{
    uint32_t v;
    if (gguf_find_key(f, key) < 0 || gguf_get_u32(f, key, &v, NULL)) return;
    if (v < n_vocab) *id = (int32_t)v;
}

static void tok_opt_bool(const gguf_file *f, const char *key, int *v)
{
    int b;
    if (gguf_find_key(f, key) >= 0 && !gguf_get_bool(f, key, &b, NULL)) *v = b;
}

static int tok_load(lz_tokenizer *t, const gguf_file *f, lz_err *err)
{
    const char *model;
    uint64_t model_len;
    int rc = gguf_get_str(f, TOK_KEY_MODEL, &model, &model_len, err);
    if (rc) return rc;
    int pre_add_bos = 0;
    if (model_len == 5 && memcmp(model, "llama", 5) == 0) {
        t->type = TOK_TYPE_SPM;
        t->bos = 1;
        t->add_bos = 1;
        t->add_space_prefix = 1;
        snprintf(t->kind, sizeof(t->kind), "SentencePiece (llama)");
    } else if (model_len == 4 && memcmp(model, "gpt2", 4) == 0) {
        t->type = TOK_TYPE_BPE;
        t->bos = 11;   /* llama.cpp's default for BPE vocabularies */
        const char *pre = "default";
        uint64_t pre_len = 7;
        if (gguf_find_key(f, "tokenizer.ggml.pre") >= 0 &&
            (rc = gguf_get_str(f, "tokenizer.ggml.pre", &pre, &pre_len, err)))
            return rc;
        t->pre = tok_pretok_find(pre, (size_t)pre_len, &t->ignore_merges, &pre_add_bos);
        if (!t->pre) {
            char list[1024];
            tok_pretok_list(list, sizeof(list));
            return lz_fail(err, LLAMAZIP_E_UNSUPPORTED,
                           "BPE pre-tokenizer '%.*s' (tokenizer.ggml.pre) is not supported; supported: %s",
                           (int)LZ_MIN(pre_len, 64), pre, list);
        }
        t->add_bos = pre_add_bos;
        snprintf(t->kind, sizeof(t->kind), "byte-level BPE (gpt2, pre-tokenizer %.*s)", (int)LZ_MIN(pre_len, 48),
                 pre);
    } else {
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED,
                       "tokenizer '%.*s' (tokenizer.ggml.model) is not supported; supported: "
                       "llama (SentencePiece), gpt2 (byte-level BPE)",
                       (int)LZ_MIN(model_len, 64), model);
    }
    tok_opt_bool(f, "tokenizer.ggml.add_space_prefix", &t->add_space_prefix);

    if ((rc = tok_load_vocab(t, f, err))) return rc;
    if (t->bos >= (int32_t)t->n_vocab) t->bos = -1;
    tok_opt_id(f, "tokenizer.ggml.bos_token_id", t->n_vocab, &t->bos);
    tok_opt_bool(f, "tokenizer.ggml.add_bos_token", &t->add_bos);

    tok_fix_attrs(t, f);
    if ((rc = tok_build_pieces(t, err))) return rc;
    tok_build_byte_tokens(t);
    if (t->type == TOK_TYPE_SPM && (rc = tok_build_spm_pairs(t, err))) return rc;
    if ((rc = tok_special_build(t, err))) return rc;
    if (t->type == TOK_TYPE_BPE && (rc = tok_bpe_load(t, f, err))) return rc;
    return 0;
}

int lz_tokenizer_load(const gguf_file *f, lz_tokenizer **out, lz_err *err)
{
    *out = NULL;
    if (!f) return lz_fail(err, LLAMAZIP_E_USAGE, "lz_tokenizer_load: no GGUF file");
    lz_tokenizer *t = calloc(1, sizeof(*t));
    if (!t) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory");
    const int rc = tok_load(t, f, err);
    if (rc) {
        lz_tokenizer_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void lz_tokenizer_free(lz_tokenizer *t)
{
    if (!t) return;
    tok_bpe_free(t);
    free(t->texts.blob);
    free(t->texts.off);
    free(t->map.slot);
    free(t->piece);
    free(t->piece_off);
    free(t->score);
    free(t->attr);
    free(t->special);
    free(t->trie);
    free(t->spm_pair1);
    free(t);
}

uint32_t lz_tokenizer_n_vocab(const lz_tokenizer *t) { return t->n_vocab; }
int32_t lz_tokenizer_bos(const lz_tokenizer *t) { return t->bos; }
int lz_tokenizer_add_bos(const lz_tokenizer *t) { return t->add_bos && t->bos >= 0; }
const char *lz_tokenizer_kind(const lz_tokenizer *t) { return t->kind; }

/* ------------------------------------------------------------ round-trip check */

int tok_emit_bytes(const lz_tokenizer *t, tok_out *out, const uint8_t *src, size_t n, lz_err *err)
{
    int rc = tok_out_reserve(out, n, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        const int32_t id = t->byte_tok[src[i]];
        if (id < 0)
            return lz_fail(err, LLAMAZIP_E_UNSUPPORTED,
                           "tokenizer: byte 0x%02X cannot be represented (the vocabulary has no token for it)",
                           src[i]);
        out->v[out->n++] = id;
    }
    return 0;
}

int tok_emit_checked(const lz_tokenizer *t, tok_out *out, const int32_t *cand, size_t n_cand,
                     const uint8_t *src, size_t n, int no_split, lz_err *err)
{
    size_t at = 0;
    int ok = 1;
    for (size_t i = 0; i < n_cand && ok; i++) {
        const int32_t id = cand[i];
        if (id < 0 || (uint32_t)id >= t->n_vocab || (no_split && (t->attr[id] & TOK_ATTR_SPLIT))) {
            ok = 0;
            break;
        }
        uint32_t len;
        const uint8_t *p = tok_piece(t, id, &len);
        if (len == 0 || len > n - at || memcmp(p, src + at, len) != 0) ok = 0;
        at += len;
    }
    if (!ok || at != n) return tok_emit_bytes(t, out, src, n, err);
    int rc = tok_out_reserve(out, n_cand, err);
    if (rc) return rc;
    memcpy(out->v + out->n, cand, n_cand * sizeof(*cand));
    out->n += n_cand;
    return 0;
}

/* ------------------------------------------------------------ tokenize / detokenize */

static int tok_fragment(const lz_tokenizer *t, tok_work *w, const uint8_t *s, size_t n, int at_start,
                        tok_out *out, lz_err *err)
{
    if (n == 0) return 0;
    if (t->type == TOK_TYPE_SPM) return tok_spm_fragment(t, w, s, n, t->add_space_prefix && at_start, out, err);
    return tok_bpe_fragment(t, w, s, n, out, err);
}

int lz_tokenize(const lz_tokenizer *t, const uint8_t *text, size_t len, int32_t **tokens, size_t *n_tokens,
                lz_err *err)
{
    *tokens = NULL;
    *n_tokens = 0;
    if (!t || (!text && len)) return lz_fail(err, LLAMAZIP_E_USAGE, "lz_tokenize: bad arguments");
    tok_out out = {0};
    tok_work w;
    memset(&w, 0, sizeof(w));
    w.input_len = len;
    tok_span *spans = NULL;
    size_t n_spans = 0;
    int rc = tok_special_partition(t, text, len, &spans, &n_spans, err);
    if (!rc) rc = tok_out_reserve(&out, len / 3 + 16, err);
    size_t pos = 0;
    /* after the start and after each split-out token, SentencePiece adds the space prefix */
    for (size_t i = 0; i <= n_spans && !rc; i++) {
        const size_t end = i < n_spans ? spans[i].pos : len;
        rc = tok_fragment(t, &w, text + pos, end - pos, 1, &out, err);
        if (rc || i == n_spans) break;
        rc = tok_out_push(&out, spans[i].id, err);
        pos = end + spans[i].len;
    }
    free(spans);
    tok_work_free(&w);
    if (rc) {
        free(out.v);
        return rc;
    }
    if (!out.v) out.v = malloc(sizeof(int32_t));   /* a valid pointer even for no tokens */
    if (!out.v) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory");
    *tokens = out.v;
    *n_tokens = out.n;
    return 0;
}

int lz_detokenize(const lz_tokenizer *t, const int32_t *tokens, size_t n_tokens, uint8_t **out, size_t *out_len,
                  lz_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (!t || (!tokens && n_tokens)) return lz_fail(err, LLAMAZIP_E_USAGE, "lz_detokenize: bad arguments");
    size_t total = 0;
    for (size_t i = 0; i < n_tokens; i++) {
        if (tokens[i] < 0 || (uint32_t)tokens[i] >= t->n_vocab)
            return lz_fail(err, LLAMAZIP_E_CORRUPT, "token %zu: id %d is out of range (vocabulary of %u)", i,
                           tokens[i], t->n_vocab);
        total += t->piece_off[tokens[i] + 1] - t->piece_off[tokens[i]];
    }
    uint8_t *buf = malloc(total ? total : 1);
    if (!buf) return lz_fail(err, LLAMAZIP_E_NOMEM, "tokenizer: out of memory (%zu bytes)", total);
    /* SentencePiece's space prefix: the first text after the start or after
     * a split-out token begins with the space that tokenizing added */
    const int prefix = t->type == TOK_TYPE_SPM && t->add_space_prefix;
    int strip = prefix;
    size_t at = 0;
    for (size_t i = 0; i < n_tokens; i++) {
        uint32_t len;
        const uint8_t *p = tok_piece(t, tokens[i], &len);
        if (t->attr[tokens[i]] & TOK_ATTR_SPLIT) {
            memcpy(buf + at, p, len);
            at += len;
            strip = prefix;
            continue;
        }
        if (len && strip) {
            if (p[0] == ' ') {
                p++;
                len--;
            }
            strip = 0;
        }
        memcpy(buf + at, p, len);
        at += len;
    }
    *out = buf;
    *out_len = at;
    return 0;
}

void lz_detok_begin(const lz_tokenizer *t, lz_detok_state *st)
{
    st->strip = t->type == TOK_TYPE_SPM && t->add_space_prefix;
}

/* The same steps as lz_detokenize, lengths only. */
int64_t lz_detok_len(const lz_tokenizer *t, lz_detok_state *st, int32_t token)
{
    if (token < 0 || (uint32_t)token >= t->n_vocab) return -1;
    uint32_t len;
    const uint8_t *p = tok_piece(t, token, &len);
    if (t->attr[token] & TOK_ATTR_SPLIT) {
        st->strip = t->type == TOK_TYPE_SPM && t->add_space_prefix;
        return len;
    }
    if (len && st->strip) {
        st->strip = 0;
        if (p[0] == ' ') return (int64_t)len - 1;
    }
    return len;
}
