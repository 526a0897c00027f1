/*
 * arch_phi3.c - Phi-3 / Phi-3.5 / Phi-4-mini: fused attn_qkv (rows: Q, then
 * K, then V) and fused ffn_up (rows: gate, then up) with SiLU, NEOX RoPE,
 * possibly on only the first rope.dimension_count dims of each head
 * (partial rotary), Q scaled by 1/sqrt(head_dim) after RoPE. longrope
 * models carry rope_factors_long/short: the long ones are used when the
 * context is longer than rope.scaling.original_context_length. The sliding
 * window some Phi-3 files declare is ignored, as llama.cpp does.
 */
#include <math.h>

#include "arch.h"

static int phi3_read_hparams(const gguf_file *f, lz_hparams *hp, lz_err *err)
{
    (void)f;
    (void)err;
    hp->attn_scale = 1.0f / sqrtf((float)hp->head_dim);
    return 0;
}

const lz_arch lz_arch_phi3 = {
    .name = "phi3",
    .rope_type = LZ_ROPE_NEOX,
    .ffn_act = LZ_FFN_SILU,
    .q_prescale = 1,
    .qkv_fused_ok = 1,
    .ffn_fused_gate_up = 1,
    .qkv_bias = LZ_NEED_OPTIONAL,
    .out_bias = LZ_NEED_NONE,      /* llama.cpp's phi3 loader reads neither */
    .ffn_bias = LZ_NEED_NONE,
    .output_bias = LZ_NEED_NONE,
    .rope_freqs = LZ_NEED_NONE,
    .rope_long_short = LZ_NEED_OPTIONAL,
    .read_hparams = phi3_read_hparams,
};
