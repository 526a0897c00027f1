/*
 * model.h - the transformer: one generic decoder with a small descriptor per
 * architecture (gemma3, llama, qwen2, phi3), every hyperparameter read from
 * GGUF metadata. Turns token ids into next-token logits for every position.
 *
 * All math follows the canonical orders of doc/determinism.md: batch size,
 * thread count and kernel ISA never change a single bit of the logits.
 */
#ifndef LZ_MODEL_H
#define LZ_MODEL_H

#include <stdint.h>

#include "../common/lz_common.h"
#include "../common/cpu.h"
#include "../common/threadpool.h"
#include "../gguf/gguf.h"

typedef struct lz_model lz_model;

typedef struct {
    const char *arch;        /* "gemma3", "llama", "qwen2", "phi3" */
    uint32_t n_vocab;
    uint32_t n_embd;
    uint32_t n_layer;
    uint32_t n_head;         /* of layer 0 */
    uint32_t n_head_kv;      /* of layer 0 */
    uint32_t head_dim;       /* key_length */
    uint32_t n_ff;           /* of layer 0 */
    uint32_t n_ctx_train;
    uint32_t sliding_window; /* 0 = none */
    float rms_eps;
    float rope_base;
} lz_model_hparams;

/* Build the model over an open GGUF file (which must outlive it). Checks
 * every tensor's presence, shape and type; an unsupported architecture or a
 * missing tensor gets an error naming it (and the supported list). */
int lz_model_load(const gguf_file *f, lz_model **out, lz_err *err);
void lz_model_free(lz_model *m);
const lz_model_hparams *lz_model_get_hparams(const lz_model *m);

/* KV cache and scratch for one sequence of up to n_ctx positions, evaluated
 * in batches of up to max_batch tokens. */
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
 * pool may be NULL (single thread); isa selects kernels (results identical).
 */
int lz_model_eval(const lz_model *m, lz_eval_state *s, lz_pool *pool, lz_isa isa,
                  const int32_t *tokens, uint32_t n, uint32_t pos0, float *logits, int last_only,
                  lz_err *err);

#endif /* LZ_MODEL_H */
