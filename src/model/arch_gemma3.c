/*
 * arch_gemma3.c - Gemma 3 (text): embeddings scaled by sqrt(n_embd), RMS
 * norms on Q and K per head, sandwich norms around attention and FFN,
 * GELU(tanh)-gated FFN, NEOX RoPE, Q scaled after RoPE.
 *
 * Sliding-window attention: when attention.sliding_window is set, layer il
 * slides iff il % 6 < 5 (or per sliding_window_pattern); sliding layers
 * rotate with base rope.freq_base_swa (default 10000) and no scaling, full
 * layers with rope.freq_base and the linear scaling factor. The norm
 * weights in GGUF already include Gemma's "+1".
 */
#include <math.h>

#include "arch.h"

static int gemma3_read_hparams(const gguf_file *f, lz_hparams *hp, lz_err *err)
{
    char key[128];
    uint32_t n_swa;
    int rc = gguf_get_u32_opt(f, lz_arch_key(key, sizeof(key), "gemma3", "attention.sliding_window"), 0, &n_swa, err);
    if (rc) return rc;
    if (n_swa > 0) {
        hp->n_swa = n_swa;
        rc = lz_arch_read_swa_pattern(f, "gemma3", hp, 6, err);
        if (rc) return rc;
        rc = gguf_get_f32_opt(f, lz_arch_key(key, sizeof(key), "gemma3", "rope.freq_base_swa"), 10000.0f,
                              &hp->rope_base_swa, err);
        if (rc) return rc;
        hp->rope_freq_scale_swa = 1.0f;
    }
    rc = gguf_get_f32_opt(f, lz_arch_key(key, sizeof(key), "gemma3", "final_logit_softcapping"), 0.0f,
                          &hp->final_softcap, err);
    if (rc) return rc;
    /* Gemma 3 27B (62 layers) scales by its query_pre_attn_scalar,
     * n_embd / n_head, instead of the head size. */
    const uint32_t d = hp->n_layer == 62 ? hp->n_embd / hp->layers[0].n_head : hp->head_dim;
    hp->attn_scale = 1.0f / sqrtf((float)d);
    return 0;
}

const lz_arch lz_arch_gemma3 = {
    .name = "gemma3",
    .rope_type = LZ_ROPE_NEOX,
    .ffn_act = LZ_FFN_GELU_TANH,
    .embd_scale_sqrt = 1,
    .qk_norm = 1,
    .post_norms = 1,
    .q_prescale = 1,
    .qkv_fused_ok = 0,
    .ffn_fused_gate_up = 0,
    .qkv_bias = LZ_NEED_NONE,
    .out_bias = LZ_NEED_NONE,
    .ffn_bias = LZ_NEED_NONE,
    .output_bias = LZ_NEED_NONE,
    .rope_freqs = LZ_NEED_NONE,
    .rope_long_short = LZ_NEED_NONE,
    .read_hparams = gemma3_read_hparams,
};
