/*
 * arch.h - what distinguishes one decoder architecture from another.
 *
 * The generic decoder (model.c) runs the same pre-norm transformer for every
 * architecture; an lz_arch descriptor says which optional pieces are present
 * (q/k norms, sandwich norms, fused projections, biases), how RoPE rotates,
 * which gated activation the FFN uses, and reads the hyperparameters that
 * only this architecture has (arch_<name>.c). Everything numeric comes from
 * GGUF metadata; nothing here is a model size.
 */
#ifndef LZ_ARCH_H
#define LZ_ARCH_H

#include <stdint.h>

#include "../common/lz_common.h"
#include "../gguf/gguf.h"
#include "../quant/kernels.h"   /* lz_ffn_act */

typedef enum {
    LZ_ROPE_NORM = 0,  /* rotate consecutive pairs (x[2i], x[2i+1]) (llama) */
    LZ_ROPE_NEOX = 1   /* rotate (x[i], x[i + n_rot/2]) (gemma, qwen2, phi3) */
} lz_rope_type;


/* Whether a tensor (or family of tensors) may / must appear. */
typedef enum {
    LZ_NEED_NONE = 0,      /* never read: its presence is ignored */
    LZ_NEED_OPTIONAL = 1,  /* used when present (shape checked) */
    LZ_NEED_REQUIRED = 2   /* missing -> LLAMAZIP_E_GGUF naming it */
} lz_need;

/* Per-layer hyperparameters (arrays in GGUF may vary them per layer). */
typedef struct {
    uint32_t n_head;
    uint32_t n_head_kv;
    uint32_t n_ff;
    int sliding;          /* attends to the last n_swa positions only */
} lz_layer_hparams;

/* Every hyperparameter the forward pass uses. model.c reads the generic
 * keys, then the architecture's read_hparams fills in its own. */
typedef struct {
    uint32_t n_vocab;
    uint32_t n_embd;
    uint32_t n_layer;
    uint32_t n_ctx_train;
    uint32_t head_dim;         /* attention.key_length (= value_length) */
    uint32_t n_rot;            /* rope.dimension_count, <= head_dim, even */
    float rms_eps;

    /* RoPE of full-attention layers */
    float rope_base;           /* rope.freq_base (default 10000) */
    float rope_freq_scale;     /* 1 / rope.scaling.factor (1 when none) */
    float rope_attn_factor;    /* rope.scaling.attn_factor: multiplies cos and sin */
    uint32_t rope_orig_ctx;    /* rope.scaling.original_context_length */
    int rope_longrope;         /* rope.scaling.type == "longrope" */
    /* RoPE of sliding layers (gemma3: base 10000, scale 1 unless overridden) */
    float rope_base_swa;
    float rope_freq_scale_swa;

    uint32_t n_swa;            /* sliding window in positions; 0 = none */
    float attn_scale;          /* multiplies q.k (applied per the descriptor) */
    float final_softcap;       /* logits = cap * tanh(logits / cap); 0 = off */

    lz_layer_hparams *layers;  /* n_layer entries (owned by the model) */
} lz_hparams;

typedef struct lz_arch {
    const char *name;           /* general.architecture */
    lz_rope_type rope_type;
    lz_ffn_act ffn_act;
    int embd_scale_sqrt;        /* x = embedding * sqrtf(n_embd) (gemma) */
    int qk_norm;                /* per-head RMS norm of Q and K before RoPE */
    int post_norms;             /* RMS norm of the attention and FFN outputs
                                   before the residual adds (gemma 2/3) */
    int q_prescale;             /* 1: Q *= attn_scale after RoPE, softmax scale 1
                                   0: scores = (q.k) * attn_scale */
    int qkv_fused_ok;           /* attn_qkv.weight may replace attn_q/k/v */
    int ffn_fused_gate_up;      /* ffn_up is [gate; up] (2 n_ff rows), no ffn_gate */
    lz_need qkv_bias;           /* attn_q/k/v.bias (or attn_qkv.bias) */
    lz_need out_bias;           /* attn_output.bias */
    lz_need ffn_bias;           /* ffn_gate/up/down.bias */
    lz_need output_bias;        /* output.bias */
    lz_need rope_freqs;         /* rope_freqs.weight: per-pair divisors (llama 3.1) */
    lz_need rope_long_short;    /* rope_factors_long/short.weight (phi3 longrope) */
    /* Arch-specific keys, on top of the generic ones model.c has read.
     * Also sets attn_scale and the per-layer sliding flags. */
    int (*read_hparams)(const gguf_file *f, lz_hparams *hp, lz_err *err);
} lz_arch;

extern const lz_arch lz_arch_gemma3;
extern const lz_arch lz_arch_llama;
extern const lz_arch lz_arch_qwen2;
extern const lz_arch lz_arch_phi3;

/* The descriptor for a general.architecture value, NULL if unsupported. */
const lz_arch *lz_arch_find(const char *name, uint64_t len);

/* "gemma3, llama, qwen2, phi3", for error messages. */
const char *lz_arch_supported_list(void);

/* "<arch>.<suffix>" into buf (for the arch files' key lookups). */
const char *lz_arch_key(char *buf, size_t size, const char *arch, const char *suffix);

/* Mark the sliding layers from <arch>.attention.sliding_window_pattern: an
 * array with one flag per layer (non-zero = sliding), or a period p (u32):
 * layer il slides iff il % p < p - 1 (p = 0: every layer slides). Absent
 * key: period default_period. */
int lz_arch_read_swa_pattern(const gguf_file *f, const char *arch, lz_hparams *hp,
                             uint32_t default_period, lz_err *err);

/* Refuse a rope.dimension_count other than head_dim (llama, qwen2). */
int lz_arch_require_full_rotary(const char *arch, const lz_hparams *hp, lz_err *err);

#endif /* LZ_ARCH_H */
