/*
 * fuzz_gguf.c - libFuzzer target for the GGUF reader.
 *
 * Parses the input with gguf_open_memory; when it is accepted, walks every
 * key through every getter and every tensor, and checks the reader's
 * promises (pointers inside the buffer, sizes consistent, lookups
 * round-trip). A broken promise traps, so the fuzzer reports it.
 *
 * Build: make fuzz-gguf (clang -fsanitize=fuzzer,address,undefined), or
 * link with standalone_driver.c to replay files without libFuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static volatile uint8_t fuzz_sink;

/* [p, p + n) must lie inside the input; touch its ends so ASan sees a read. */
static void fuzz_check_span(const uint8_t *base, size_t size, const void *p, uint64_t n)
{
    const uint8_t *q = p;
    FUZZ_CHECK(q >= base && (uint64_t)(q - base) <= size && n <= size - (uint64_t)(q - base));
    if (n) fuzz_sink ^= q[0] ^ q[n - 1];
}

static void fuzz_walk_key(const gguf_file *f, const uint8_t *base, size_t size, int64_t i)
{
    const char *key = gguf_key_at(f, i);
    FUZZ_CHECK(key && gguf_find_key(f, key) == i);
    const gguf_value_type t = gguf_kv_type(f, i);
    FUZZ_CHECK((unsigned)t < GGUF_TYPE_COUNT);
    (void)gguf_type_name(t);

    lz_err err;
    uint32_t u32;
    int32_t i32;
    uint64_t u64, len, count;
    float f32;
    int b;
    const char *s;
    const void *data;
    gguf_value_type et;
    (void)gguf_get_u32(f, key, &u32, &err);
    (void)gguf_get_i32(f, key, &i32, &err);
    (void)gguf_get_u64(f, key, &u64, &err);
    (void)gguf_get_f32(f, key, &f32, &err);
    (void)gguf_get_bool(f, key, &b, &err);
    (void)gguf_get_u32_opt(f, key, 1, &u32, &err);
    (void)gguf_get_f32_opt(f, key, 1.0f, &f32, &err);
    (void)gguf_get_bool_opt(f, key, 1, &b, &err);
    for (uint32_t layer = 0; layer < 3; layer++) (void)gguf_get_u32_layer(f, key, layer, 1, 0, &u32, &err);
    if (gguf_get_str(f, key, &s, &len, &err) == 0) {
        FUZZ_CHECK(t == GGUF_TYPE_STRING);
        fuzz_check_span(base, size, s, len);
    }
    if (gguf_get_arr(f, key, &et, &count, &data, &err) == 0) {
        FUZZ_CHECK(t == GGUF_TYPE_ARRAY && (unsigned)et < GGUF_TYPE_COUNT && et != GGUF_TYPE_ARRAY);
        if (et == GGUF_TYPE_STRING) {
            FUZZ_CHECK(gguf_arr_str(f, key, count, &s, &len, &err) != 0);   /* one past the end */
            /* every string of small arrays, a sample of large ones */
            const uint64_t step = count > 4096 ? count / 1024 : 1;
            for (uint64_t k = 0; k < count; k += step) {
                FUZZ_CHECK(gguf_arr_str(f, key, k, &s, &len, &err) == 0);
                fuzz_check_span(base, size, s, len);
            }
            if (count) {
                FUZZ_CHECK(gguf_arr_str(f, key, count - 1, &s, &len, &err) == 0);
                fuzz_check_span(base, size, s, len);
            }
        } else {
            static const uint8_t elem_size[GGUF_TYPE_COUNT] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
            fuzz_check_span(base, size, data, count * elem_size[et]);   /* cannot overflow: it fits the input */
        }
    }
}

static void fuzz_walk_tensor(const gguf_file *f, const uint8_t *base, size_t size, int64_t i)
{
    const gguf_tensor *t = gguf_tensor_at(f, i);
    FUZZ_CHECK(t && t->name && t->name[0] && strlen(t->name) < 64);
    FUZZ_CHECK(gguf_find_tensor(f, t->name) == t);
    FUZZ_CHECK(t->n_dims >= 1 && t->n_dims <= GGUF_MAX_DIMS);
    FUZZ_CHECK(t->offset % gguf_alignment(f) == 0);
    FUZZ_CHECK(t->nbytes == t->row_bytes * t->n_rows && t->n_rows == t->ne[1] * t->ne[2] * t->ne[3]);
    FUZZ_CHECK((const uint8_t *)t->data == base + gguf_data_offset(f) + t->offset);
    fuzz_check_span(base, size, t->data, t->nbytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gguf_file *f = NULL;
    lz_err err;
    const int rc = gguf_open_memory(data, size, &f, &err);
    if (rc != 0) {
        FUZZ_CHECK(f == NULL && err.code == rc && err.msg[0] != '\0');
        FUZZ_CHECK(rc == LLAMAZIP_E_GGUF || rc == LLAMAZIP_E_UNSUPPORTED || rc == LLAMAZIP_E_NOMEM);
        return 0;
    }
    FUZZ_CHECK(gguf_version(f) == 2 || gguf_version(f) == 3);
    const uint32_t a = gguf_alignment(f);
    FUZZ_CHECK(a != 0 && (a & (a - 1)) == 0 && gguf_data_offset(f) % a == 0);
    FUZZ_CHECK(gguf_base(f) == (const void *)data && gguf_size(f) == size);
    for (int64_t i = 0; i < gguf_n_kv(f); i++) fuzz_walk_key(f, data, size, i);
    for (int64_t i = 0; i < gguf_n_tensors(f); i++) fuzz_walk_tensor(f, data, size, i);
    FUZZ_CHECK(gguf_key_at(f, gguf_n_kv(f)) == NULL && gguf_tensor_at(f, gguf_n_tensors(f)) == NULL);
    FUZZ_CHECK(gguf_find_key(f, "") == -1 && gguf_find_tensor(f, "") == NULL);
    gguf_close(f);
    return 0;
}
