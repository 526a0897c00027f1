/*
 * fingerprint.c - the identity of a model that archives record
 * (doc/format.md, "Model fingerprint"), in both definitions:
 *   version 1: the tokenizer arrays, the tensor infos and the tensor data;
 *   version 2: every metadata key except descriptive ones (so a changed
 *              RoPE base, norm epsilon or BOS id counts as another model),
 *              the tensor infos and the tensor data.
 * Format 1 archives carry version 1, format 2 archives version 2.
 */
#include <string.h>
#include <xxhash.h>

#include "common/lz_common.h"
#include "format/fingerprint.h"


static void hash_u32(XXH3_state_t *st, uint32_t v)
{
    uint8_t b[4];
    lz_wr32(b, v);
    XXH3_64bits_update(st, b, 4);
}

static void hash_u64(XXH3_state_t *st, uint64_t v)
{
    uint8_t b[8];
    lz_wr64(b, v);
    XXH3_64bits_update(st, b, 8);
}

/* Hash an optional fixed-size array element (f32 or i32 stored as 4 bytes). */
static uint32_t arr_elem32(const void *data, uint64_t count, uint64_t i)
{
    if (!data || i >= count) return 0;
    return lz_rd32((const uint8_t *)data + 4 * i);
}

static int hash_tokenizer(XXH3_state_t *st, const gguf_file *f, lz_err *err)
{
    gguf_value_type et;
    uint64_t n_tokens = 0, n_scores = 0, n_types = 0, n_merges = 0;
    const void *unused, *scores = NULL, *types = NULL;
    if (gguf_get_arr(f, "tokenizer.ggml.tokens", &et, &n_tokens, &unused, err)) return err->code;
    if (gguf_find_key(f, "tokenizer.ggml.scores") >= 0 &&
        (gguf_get_arr(f, "tokenizer.ggml.scores", &et, &n_scores, &scores, err) || et != GGUF_TYPE_FLOAT32))
        scores = NULL;
    if (gguf_find_key(f, "tokenizer.ggml.token_type") >= 0 &&
        (gguf_get_arr(f, "tokenizer.ggml.token_type", &et, &n_types, &types, err) || et != GGUF_TYPE_INT32))
        types = NULL;
    lz_err_clear(err);
    for (uint64_t i = 0; i < n_tokens; i++) {
        const char *s;
        uint64_t len;
        if (gguf_arr_str(f, "tokenizer.ggml.tokens", i, &s, &len, err)) return err->code;
        hash_u32(st, (uint32_t)len);
        XXH3_64bits_update(st, s, (size_t)len);
        hash_u32(st, arr_elem32(scores, n_scores, i));
        hash_u32(st, arr_elem32(types, n_types, i));
    }
    if (gguf_find_key(f, "tokenizer.ggml.merges") >= 0) {
        if (gguf_get_arr(f, "tokenizer.ggml.merges", &et, &n_merges, &unused, err)) return err->code;
        for (uint64_t i = 0; i < n_merges; i++) {
            const char *s;
            uint64_t len;
            if (gguf_arr_str(f, "tokenizer.ggml.merges", i, &s, &len, err)) return err->code;
            hash_u32(st, (uint32_t)len);
            XXH3_64bits_update(st, s, (size_t)len);
        }
    }
    return 0;
}

/* The metadata keys fingerprint version 2 leaves out: descriptions that do
 * not change a prediction (doc/format.md, "Model fingerprint"). */
static int key_is_cosmetic(const char *key)
{
    if (!strncmp(key, "general.", 8)) return strcmp(key, "general.architecture") != 0 && strcmp(key, "general.alignment") != 0;
    if (!strncmp(key, "quantize.", 9)) return 1;
    return !strcmp(key, "tokenizer.chat_template") || !strncmp(key, "tokenizer.chat_template.", 24);
}

/* Version 2's metadata part: every key but the cosmetic ones, in file
 * order, as name length, name, value type and the value's bytes. */
static void hash_metadata(XXH3_state_t *st, const gguf_file *f)
{
    static const char tag[] = "llama-zip fingerprint 2";
    XXH3_64bits_update(st, tag, sizeof(tag) - 1);
    for (int64_t i = 0; i < gguf_n_kv(f); i++) {
        const char *key = gguf_key_at(f, i);
        uint64_t start, size;
        if (key_is_cosmetic(key) || gguf_kv_value_span(f, i, &start, &size)) continue;
        const size_t len = strlen(key);
        hash_u32(st, (uint32_t)len);
        XXH3_64bits_update(st, key, len);
        hash_u32(st, (uint32_t)gguf_kv_type(f, i));
        XXH3_64bits_update(st, (const uint8_t *)gguf_base(f) + start, (size_t)size);
    }
}

/* The tensor infos, then the tensor data, into every state given. */
static void hash_tensors(XXH3_state_t *const *st, int n_st, const gguf_file *f)
{
    const int64_t n = gguf_n_tensors(f);
    for (int64_t i = 0; i < n; i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        const size_t name_len = strlen(t->name);
        for (int k = 0; k < n_st; k++) {
            hash_u32(st[k], (uint32_t)name_len);
            XXH3_64bits_update(st[k], t->name, name_len);
            hash_u32(st[k], t->type);
            hash_u32(st[k], t->n_dims);
            for (uint32_t d = 0; d < t->n_dims; d++) hash_u64(st[k], t->ne[d]);
        }
    }
    /* one pass over the (large) data, in chunks that stay in cache for every state */
    const size_t chunk = (size_t)1 << 20;
    for (int64_t i = 0; i < n; i++) {
        const gguf_tensor *t = gguf_tensor_at(f, i);
        const uint8_t *p = t->data;
        for (uint64_t done = 0; done < t->nbytes; done += chunk) {
            const size_t len = (size_t)LZ_MIN((uint64_t)chunk, t->nbytes - done);
            for (int k = 0; k < n_st; k++) XXH3_64bits_update(st[k], p + done, len);
        }
    }
}

int lz_fingerprints(const gguf_file *f, uint64_t *v1, uint64_t *v2, lz_err *err)
{
    XXH3_state_t *st[2] = { XXH3_createState(), XXH3_createState() };
    int rc = 0;
    if (!st[0] || !st[1]) {
        rc = lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory");
    } else {
        XXH3_64bits_reset(st[0]);
        XXH3_64bits_reset(st[1]);
        rc = hash_tokenizer(st[0], f, err);
        hash_metadata(st[1], f);
    }
    if (!rc) {
        hash_tensors(st, 2, f);
        *v1 = XXH3_64bits_digest(st[0]);
        *v2 = XXH3_64bits_digest(st[1]);
    }
    XXH3_freeState(st[0]);
    XXH3_freeState(st[1]);
    return rc;
}

