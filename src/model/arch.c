/*
 * arch.c - the table of supported architectures and the small helpers their
 * hyperparameter readers share.
 */
#include <stdio.h>
#include <string.h>

#include "arch.h"

static const lz_arch *const g_archs[] = {
    &lz_arch_gemma3,
    &lz_arch_llama,
    &lz_arch_qwen2,
    &lz_arch_phi3,
};

const lz_arch *lz_arch_find(const char *name, uint64_t len)
{
    for (size_t i = 0; i < LZ_ARRAY_LEN(g_archs); i++) {
        const char *a = g_archs[i]->name;
        if (strlen(a) == len && memcmp(a, name, (size_t)len) == 0) return g_archs[i];
    }
    return NULL;
}

const char *lz_arch_supported_list(void)
{
    return "gemma3, llama, qwen2, phi3";
}

const char *lz_arch_key(char *buf, size_t size, const char *arch, const char *suffix)
{
    snprintf(buf, size, "%s.%s", arch, suffix);
    return buf;
}

int lz_arch_read_swa_pattern(const gguf_file *f, const char *arch, lz_hparams *hp,
                             uint32_t default_period, lz_err *err)
{
    char key[128];
    lz_arch_key(key, sizeof(key), arch, "attention.sliding_window_pattern");
    const int64_t ki = gguf_find_key(f, key);
    if (ki >= 0 && gguf_kv_type(f, ki) == GGUF_TYPE_ARRAY) {
        gguf_value_type et;
        uint64_t count;
        const void *data;
        int rc = gguf_get_arr(f, key, &et, &count, &data, err);
        if (rc) return rc;
        if (count != hp->n_layer)
            return lz_fail(err, LLAMAZIP_E_GGUF, "key '%s' has %llu entries, expected one per layer (%u)", key,
                           (unsigned long long)count, hp->n_layer);
        const uint8_t *p = data;
        for (uint32_t il = 0; il < hp->n_layer; il++) {
            switch (et) {
            case GGUF_TYPE_BOOL: case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8:
                hp->layers[il].sliding = p[il] != 0;
                break;
            case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32:
                hp->layers[il].sliding = lz_rd32(p + 4 * (size_t)il) != 0;
                break;
            default:
                return lz_fail(err, LLAMAZIP_E_GGUF, "key '%s' has elements of type %s, expected bool or integer",
                               key, gguf_type_name(et));
            }
        }
        return 0;
    }
    uint32_t period;
    int rc = gguf_get_u32_opt(f, key, default_period, &period, err);
    if (rc) return rc;
    for (uint32_t il = 0; il < hp->n_layer; il++)
        hp->layers[il].sliding = period == 0 || il % period < period - 1;
    return 0;
}

int lz_arch_require_full_rotary(const char *arch, const lz_hparams *hp, lz_err *err)
{
    if (hp->n_rot != hp->head_dim)
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED, "%s: rope.dimension_count %u differs from the head size %u",
                       arch, hp->n_rot, hp->head_dim);
    return 0;
}
