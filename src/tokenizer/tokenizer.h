/*
 * tokenizer.h - tokenizers built from GGUF metadata: SentencePiece
 * (tokenizer.ggml.model = "llama") and byte-level BPE ("gpt2").
 *
 * Input is data, never markup: control-token texts inside the input are
 * tokenized as ordinary text. Tokenization equals llama.cpp's
 * (add_special = false, parse_special = false) wherever that is invertible;
 * spans whose canonical tokens would not decode back to the same bytes are
 * coded with byte tokens instead (doc/tokenizer.md). So for every byte
 * string x: lz_detokenize(lz_tokenize(x)) == x.
 */
#ifndef LZ_TOKENIZER_H
#define LZ_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "../common/lz_common.h"
#include "../gguf/gguf.h"

typedef struct lz_tokenizer lz_tokenizer;

/* Unsupported tokenizer kinds (or pre-tokenizers) get LLAMAZIP_E_UNSUPPORTED
 * with the kind named. The tokenizer copies what it needs: the gguf_file
 * may be closed afterwards. */
int lz_tokenizer_load(const gguf_file *f, lz_tokenizer **out, lz_err *err);
void lz_tokenizer_free(lz_tokenizer *t);

uint32_t lz_tokenizer_n_vocab(const lz_tokenizer *t);
int32_t lz_tokenizer_bos(const lz_tokenizer *t);       /* -1 if the vocabulary has none */
const char *lz_tokenizer_kind(const lz_tokenizer *t);  /* e.g. "SentencePiece (llama)" */
/* Whether llama.cpp would start a prompt with BOS for this vocabulary
 * (tokenizer.ggml.add_bos_token or its per-tokenizer default). */
int lz_tokenizer_add_bos(const lz_tokenizer *t);

/* Tokenize len bytes. *tokens is malloc'd (free()); *n_tokens its length.
 * Fails only on allocation failure or when a byte cannot be represented at
 * all (a vocabulary without byte tokens): LLAMAZIP_E_UNSUPPORTED. */
int lz_tokenize(const lz_tokenizer *t, const uint8_t *text, size_t len,
                int32_t **tokens, size_t *n_tokens, lz_err *err);

/* Inverse of lz_tokenize. *out is malloc'd (free()). Token ids out of range
 * give LLAMAZIP_E_CORRUPT. */
int lz_detokenize(const lz_tokenizer *t, const int32_t *tokens, size_t n_tokens,
                  uint8_t **out, size_t *out_len, lz_err *err);

/* The text length of a token sequence, one token at a time: what
 * lz_detokenize would add for each next token (SentencePiece drops the
 * space prefix of the first text piece). */
typedef struct {
    int strip;   /* the next text piece loses a leading space */
} lz_detok_state;

void lz_detok_begin(const lz_tokenizer *t, lz_detok_state *st);
/* Bytes `token` adds to the text; -1 for an id out of range. */
int64_t lz_detok_len(const lz_tokenizer *t, lz_detok_state *st, int32_t token);

#endif /* LZ_TOKENIZER_H */
