/*
 * arch_qwen2.c - Qwen2 / Qwen2.5: the llama block with NEOX RoPE and biases
 * on the Q, K and V projections (none on the attention output); optional
 * output.bias; tied output when output.weight is absent.
 */
#include "arch.h"

static int qwen2_read_hparams(const gguf_file *f, lz_hparams *hp, lz_err *err)
{
    (void)f;
    return lz_arch_require_full_rotary("qwen2", hp, err);
}

const lz_arch lz_arch_qwen2 = {
    .name = "qwen2",
    .rope_type = LZ_ROPE_NEOX,
    .ffn_act = LZ_FFN_SILU,
    .q_prescale = 0,
    .qkv_fused_ok = 0,
    .qkv_bias = LZ_NEED_OPTIONAL,
    .out_bias = LZ_NEED_NONE,
    .ffn_bias = LZ_NEED_NONE,
    .output_bias = LZ_NEED_OPTIONAL,
    .rope_freqs = LZ_NEED_NONE,
    .rope_long_short = LZ_NEED_NONE,
    .read_hparams = qwen2_read_hparams,
};
