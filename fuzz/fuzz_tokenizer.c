/*
 * fuzz_tokenizer.c - libFuzzer target for the tokenizers (src/tokenizer/):
 * SentencePiece and byte-level BPE with every pre-tokenizer family.
 *
 * The first input byte picks a vocabulary, the rest is the text: arbitrary
 * bytes (invalid UTF-8, NULs, control-token texts, huge runs). The
 * tokenizer's promise is checked: every token id is in range and
 * detokenizing gives back exactly the input (doc/tokenizer.md), unless the
 * vocabulary cannot express some byte at all (LLAMAZIP_E_UNSUPPORTED).
 * A broken promise traps, so the fuzzer reports it.
 *
 * Vocabularies, paths relative to the repository root (where make runs):
 * the two committed tiny models (always there), the default model, and the
 * llama.cpp test vocabularies of `make vocabs` when present. A selector
 * whose vocabulary is missing falls back to a tiny model, so committed
 * inputs replay anywhere.
 *
 * Build: make fuzz-tokenizer (clang -fsanitize=fuzzer,address,undefined), or
 * link with standalone_driver.c to replay files without libFuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static const char *const VOCAB_PATHS[] = {
    "tests/golden/models/tiny-spm.gguf",          /* SPM, byte fallback */
    "tests/golden/models/tiny-bpe.gguf",          /* BPE, pre-tokenizer gpt-2 */
    "models/gemma-3-270m-q4_k_m.gguf",            /* SPM, 262k tokens: the default model */
    "models/vocab/ggml-vocab-llama-spm.gguf",     /* SPM */
    "models/vocab/ggml-vocab-phi-3.gguf",         /* SPM */
    "models/vocab/ggml-vocab-llama-bpe.gguf",     /* BPE llama3 (ignore_merges) */
    "models/vocab/ggml-vocab-qwen2.gguf",         /* BPE qwen2 */
    "models/vocab/ggml-vocab-gpt-2.gguf",         /* BPE gpt-2 */
    "models/vocab/ggml-vocab-falcon.gguf",        /* BPE falcon */
    "models/vocab/ggml-vocab-starcoder.gguf",     /* BPE smollm family */
    "models/vocab/ggml-vocab-gpt-neox.gguf",      /* BPE, the default pre-tokenizer */
    "models/vocab/ggml-vocab-command-r.gguf",     /* BPE smollm family, 256k tokens */
};
#define N_VOCABS (sizeof(VOCAB_PATHS) / sizeof(VOCAB_PATHS[0]))

static lz_tokenizer *g_tok[N_VOCABS];
static int g_loaded;

static void load_vocabularies(void)
{
    for (size_t i = 0; i < N_VOCABS; i++) {
        gguf_file *f = NULL;
        lz_err err;
        lz_err_clear(&err);
        if (gguf_open(VOCAB_PATHS[i], 0, &f, &err) == 0) {
            if (lz_tokenizer_load(f, &g_tok[i], &err) != 0) g_tok[i] = NULL;
            gguf_close(f);
        }
        if (!g_tok[i] && i < 2) {
            fprintf(stderr, "fuzz_tokenizer: %s: %s (run from the repository root)\n", VOCAB_PATHS[i], err.msg);
            abort();
        }
    }
    g_loaded = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_loaded) load_vocabularies();
    if (size == 0) return 0;
    size_t which = data[0] % N_VOCABS;
    const lz_tokenizer *t = g_tok[which] ? g_tok[which] : g_tok[which % 2];
    const uint8_t *text = data + 1;
    const size_t n = size - 1;

    int32_t *ids = NULL;
    size_t n_ids = 0;
    lz_err err;
    lz_err_clear(&err);
    int rc = lz_tokenize(t, text, n, &ids, &n_ids, &err);
    if (rc == LLAMAZIP_E_UNSUPPORTED) { /* a vocabulary without byte tokens */
        FUZZ_CHECK(ids == NULL && err.msg[0]);
        return 0;
    }
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(n_ids <= n + 1);                     /* every token yields a byte (one more: a space prefix) */
    const uint32_t nv = lz_tokenizer_n_vocab(t);
    for (size_t i = 0; i < n_ids; i++) FUZZ_CHECK(ids[i] >= 0 && (uint32_t)ids[i] < nv);

    uint8_t *back = NULL;
    size_t back_len = 0;
    rc = lz_detokenize(t, ids, n_ids, &back, &back_len, &err);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(back_len == n && (n == 0 || memcmp(back, text, n) == 0));
    free(back);
    free(ids);
    return 0;
}
