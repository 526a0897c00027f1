/*
 * model.h - the transformer: one generic decoder with a small descriptor per
 * architecture (gemma3, llama, qwen2, phi3), every hyperparameter read from
 * GGUF metadata. Turns token ids into next-token logits.
 *
 * Three concerns, three files:
 *   weights.c    the model: hyperparameters and weight tensors (lz_model);
 *   kv_cache.c   the state of one sequence: its KV cache (lz_kv_cache);
 *   forward.c    the forward pass over a batch of tokens, which may mix
 *                several sequences (lz_model_eval_batch), and its scratch.
 *
 * All math follows the canonical orders of doc/determinism.md: batch size,
 * the mix of sequences in a batch, thread count and kernel ISA never change
 * a single bit of a sequence's logits.
 */
#ifndef LZ_MODEL_H
#define LZ_MODEL_H

#include <stdint.h>

#include "../common/lz_common.h"
#include "../common/cpu.h"
#include "../common/threadpool.h"
#include "../gguf/gguf.h"
#include "arch.h"

typedef struct lz_model lz_model;

/* Build the model over an open GGUF file (which must outlive it). Checks
 * every tensor's presence, shape and type; an unsupported architecture or a
 * missing tensor gets an error naming it (and the supported list). */
int lz_model_load(const gguf_file *f, lz_model **out, lz_err *err);
void lz_model_free(lz_model *m);
/* Every hyperparameter (arch.h); n_swa is 0 when no layer slides. */
const lz_hparams *lz_model_get_hparams(const lz_model *m);
const char *lz_model_arch_name(const lz_model *m);   /* "gemma3", ... */
/* Multiply-adds of the matrix products of one token (attention excluded). */
uint64_t lz_model_macs_per_token(const lz_model *m);

/* ---------------------------------------------------------------- sequences */

/* The KV cache of one sequence of up to n_ctx positions, fed at most
 * max_batch of its tokens per batch (the sliding layers keep a ring of
 * window + max_batch positions). */
typedef struct lz_kv_cache lz_kv_cache;

lz_kv_cache *lz_kv_cache_create(const lz_model *m, uint32_t n_ctx, uint32_t max_batch, lz_err *err);
void lz_kv_cache_free(lz_kv_cache *kv);
uint32_t lz_kv_cache_n_ctx(const lz_kv_cache *kv);
/* Make dst hold what src holds (caches of one model, n_ctx and max_batch),
 * so that several sequences can start from one filled context without
 * evaluating it again (benchmarks of lockstep steps). -1 if they differ. */
int lz_kv_cache_copy(lz_kv_cache *dst, const lz_kv_cache *src);
/* Bytes the cache of a sequence of n_ctx positions takes (for memory planning). */
uint64_t lz_kv_cache_bytes(const lz_model *m, uint32_t n_ctx, uint32_t max_batch);

/* ---------------------------------------------------------------- batches */

/* The activations of one batch of up to max_tokens tokens. */
typedef struct lz_scratch lz_scratch;

lz_scratch *lz_scratch_create(const lz_model *m, uint32_t max_tokens, lz_err *err);
void lz_scratch_free(lz_scratch *sc);

/* One token of a batch: its sequence, position and whether its logits
 * are wanted. */
typedef struct {
    lz_kv_cache *kv;
    int32_t token;
    uint32_t pos;
    int logits;
} lz_batch_token;

/*
 * Evaluate a batch of n tokens (n <= the scratch's max_tokens). Tokens of
 * one sequence must come in increasing consecutive positions, the first at
 * most one past what its cache holds (a sequence may restart at an earlier
 * position; positions after it become invalid), and at most its cache's
 * max_batch of them. Any mix and order of sequences gives each sequence
 * the same bits as evaluating it alone.
 * logits: one row of n_vocab floats per token with .logits set, in batch
 * order. pool may be NULL (one thread); isa selects kernels (results
 * identical).
 */
int lz_model_eval_batch(const lz_model *m, lz_scratch *sc, lz_pool *pool, lz_isa isa, const lz_batch_token *t,
                        uint32_t n, float *logits, lz_err *err);

/* ---------------------------------------------------------------- one sequence */

/* A KV cache and a scratch for one sequence evaluated in batches of up to
 * max_batch tokens: the convenience form of the above. */
typedef struct lz_eval_state lz_eval_state;

lz_eval_state *lz_eval_state_create(const lz_model *m, uint32_t n_ctx, uint32_t max_batch, lz_err *err);
void lz_eval_state_free(lz_eval_state *s);
uint32_t lz_eval_state_n_ctx(const lz_eval_state *s);

/*
 * Evaluate tokens[0..n) at positions pos0 .. pos0+n-1. KV entries of
 * positions < pos0 must have been filled by earlier calls; later ones are
 * overwritten. n may exceed max_batch (split internally).
 * logits: n rows of n_vocab floats, row i = distribution after tokens[i];
 * if last_only, only the last row is written (1 row).
 */
int lz_model_eval(const lz_model *m, lz_eval_state *s, lz_pool *pool, lz_isa isa,
                  const int32_t *tokens, uint32_t n, uint32_t pos0, float *logits, int last_only,
                  lz_err *err);

#endif /* LZ_MODEL_H */
