/* model_names.c - the models llama-zip knows by name (see model_names.h). */
#include "model_names.h"

#include <string.h>

const lz_known_model lz_known_models[] = {
    { "gemma-3-270m", "gemma-3-270m-q4_k_m.gguf", 253113024, "Gemma Terms of Use",
      "Gemma 3 270M Q4_K_M: gemma3, SentencePiece, 262144 tokens",
      0x1c5c8f3ba4752015ULL, 0x5433ac01aed5db93ULL },
    { "smollm2-135m", "smollm2-135m-instruct-q4_1.gguf", 98362432, "Apache-2.0",
      "SmolLM2-135M-Instruct Q4_1: llama, byte-level BPE, 49152 tokens",
      0x59fa9e53af5cf3fcULL, 0x67f20471d1ffe718ULL },
};
const int lz_n_known_models = (int)(sizeof(lz_known_models) / sizeof(lz_known_models[0]));

const lz_known_model *lz_known_model_by_name(const char *name)
{
    for (int i = 0; name && i < lz_n_known_models; i++)
        if (!strcmp(lz_known_models[i].name, name)) return &lz_known_models[i];
    return NULL;
}

const lz_known_model *lz_known_model_by_id(int version, uint64_t id, int bits)
{
    for (int i = 0; i < lz_n_known_models; i++) {
        const lz_known_model *m = &lz_known_models[i];
        uint64_t fp = version == 1 ? m->fingerprint1 : m->fingerprint2;
        if (bits == 16 ? (fp & 0xFFFF) == id : fp == id) return m;
    }
    return NULL;
}
