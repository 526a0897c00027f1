/*
 * arch_llama.c - Llama 2/3, Mistral, SmolLM and friends: the plain pre-norm
 * decoder with SiLU-gated FFN and NORM (interleaved-pair) RoPE; the
 * converter permutes the Q/K rows so the GGUF weights are used as they are.
 * Optional: rope_freqs.weight (Llama 3.1 per-pair frequency divisors),
 * longrope factors, biases on every projection, a separate output matrix
 * (tied to the embeddings when absent). Mixture-of-experts variants are not
 * supported.
 */
#include "arch.h"

static int llama_read_hparams(const gguf_file *f, lz_hparams *hp, lz_err *err)
{
    char key[128];
    uint32_t n_expert;
    int rc = gguf_get_u32_opt(f, lz_arch_key(key, sizeof(key), "llama", "expert_count"), 0, &n_expert, err);
    if (rc) return rc;
    if (n_expert > 0)
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED, "llama: mixture-of-experts models (%u experts) are not supported",
                       n_expert);
    /* softmax scale 1/sqrt(head_dim), applied to the scores (the
     * attention_scale key some relatives carry is not part of llama) */
    return lz_arch_require_full_rotary("llama", hp, err);
}

const lz_arch lz_arch_llama = {
    .name = "llama",
    .rope_type = LZ_ROPE_NORM,
    .ffn_act = LZ_FFN_SILU,
    .q_prescale = 0,
    .qkv_fused_ok = 0,
    .qkv_bias = LZ_NEED_OPTIONAL,
    .out_bias = LZ_NEED_OPTIONAL,
    .ffn_bias = LZ_NEED_OPTIONAL,
    .output_bias = LZ_NEED_NONE,
    .rope_freqs = LZ_NEED_OPTIONAL,
    .rope_long_short = LZ_NEED_OPTIONAL,
    .read_hparams = llama_read_hparams,
};
