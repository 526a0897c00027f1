/*
 * gguf.h - bounds-checked reader for GGUF v2/v3 model files.
 *
 * File layout (little-endian): magic "GGUF", u32 version, u64 n_tensors,
 * u64 n_kv; n_kv key/value pairs (string key, u32 type, value); n_tensors
 * tensor infos (string name, u32 n_dims, u64 ne[n_dims], u32 type,
 * u64 offset); padding to general.alignment (default 32); tensor data.
 * Strings are u64 length + bytes. Arrays are u32 element type + u64 count +
 * elements.
 *
 * Everything is validated once in gguf_open*(): after that, every pointer
 * handed out lies inside the mapping and every size is consistent, so the
 * rest of the engine never re-checks. Nothing here aborts: failures return
 * an error code with a precise message in lz_err.
 */
#ifndef LZ_GGUF_H
#define LZ_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "../common/lz_common.h"

typedef enum {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8 = 1,
    GGUF_TYPE_UINT16 = 2,
    GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4,
    GGUF_TYPE_INT32 = 5,
    GGUF_TYPE_FLOAT32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8,
    GGUF_TYPE_ARRAY = 9,
    GGUF_TYPE_UINT64 = 10,
    GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12,
    GGUF_TYPE_COUNT
} gguf_value_type;

#define GGUF_MAX_DIMS 4
#define GGUF_DEFAULT_ALIGNMENT 32

typedef struct gguf_file gguf_file;

typedef struct {
    const char *name;        /* NUL-terminated copy owned by the gguf_file */
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS]; /* ne[0] = row length; missing dims are 1 */
    uint32_t type;           /* ggml type code (see quant/quant.h) */
    uint64_t offset;         /* relative to the data section */
    const void *data;        /* inside the mapping, nbytes long */
    uint64_t nbytes;
    uint64_t n_rows;         /* ne[1]*ne[2]*ne[3] */
    uint64_t row_bytes;      /* bytes of one row of ne[0] elements */
} gguf_tensor;

/* Open and validate. gguf_open maps the file read-only (use_mlock: try to
 * lock it in RAM). gguf_open_memory parses a caller-owned buffer, which must
 * outlive the gguf_file (used by tests and fuzzers). */
int gguf_open(const char *path, int use_mlock, gguf_file **out, lz_err *err);
int gguf_open_memory(const void *data, size_t size, gguf_file **out, lz_err *err);
void gguf_close(gguf_file *f);

/* For a file opened with gguf_open: 0 while it still has the size and
 * modification time it had when it was mapped, else LLAMAZIP_E_IO ("changed
 * while in use"). A file truncated under a mapping raises SIGBUS on access,
 * and one rewritten in place no longer matches what was validated and
 * fingerprinted; callers check before and after using the mapping. Files
 * replaced by rename do not matter: the mapping keeps the old one. */
int gguf_check_unchanged(const gguf_file *f, lz_err *err);

uint32_t gguf_version(const gguf_file *f);
uint32_t gguf_alignment(const gguf_file *f);
const void *gguf_base(const gguf_file *f);   /* start of the file bytes */
uint64_t gguf_size(const gguf_file *f);
uint64_t gguf_data_offset(const gguf_file *f); /* absolute offset of the data section */

/* ---- key/value metadata ---- */
int64_t gguf_n_kv(const gguf_file *f);
int64_t gguf_find_key(const gguf_file *f, const char *key);   /* -1 if absent */
const char *gguf_key_at(const gguf_file *f, int64_t i);
gguf_value_type gguf_kv_type(const gguf_file *f, int64_t i);
/* Where key/value i's value lies in the file (gguf_base() + start, size
 * bytes): everything after its type field, lengths and array headers
 * included. Returns -1 for an index out of range. */
int gguf_kv_value_span(const gguf_file *f, int64_t i, uint64_t *start, uint64_t *size);
const char *gguf_type_name(gguf_value_type t);

/* Typed getters. Missing key -> LLAMAZIP_E_GGUF "missing key 'x'"; wrong
 * type -> LLAMAZIP_E_GGUF "key 'x' has type T, expected U". The integer
 * getters accept any integer type whose value fits the destination; the
 * float getter accepts f32 and f64. */
int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out, lz_err *err);
int gguf_get_i32(const gguf_file *f, const char *key, int32_t *out, lz_err *err);
int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out, lz_err *err);
int gguf_get_f32(const gguf_file *f, const char *key, float *out, lz_err *err);
int gguf_get_bool(const gguf_file *f, const char *key, int *out, lz_err *err);
/* String value: pointer into the mapping (not NUL-terminated) and length. */
int gguf_get_str(const gguf_file *f, const char *key, const char **s, uint64_t *len, lz_err *err);

/* Optional variants: a missing key stores `def` and succeeds; a present key
 * of the wrong type is still an error. */
int gguf_get_u32_opt(const gguf_file *f, const char *key, uint32_t def, uint32_t *out, lz_err *err);
int gguf_get_f32_opt(const gguf_file *f, const char *key, float def, float *out, lz_err *err);
int gguf_get_bool_opt(const gguf_file *f, const char *key, int def, int *out, lz_err *err);

/* Arrays. gguf_get_arr gives the element type and count. For fixed-size
 * element types, *data points at the packed little-endian elements inside
 * the mapping (possibly unaligned: read with memcpy / lz_rd32). For string
 * arrays use gguf_arr_str (O(1), offsets are indexed at open). */
int gguf_get_arr(const gguf_file *f, const char *key, gguf_value_type *elem_type, uint64_t *count,
                 const void **data, lz_err *err);
int gguf_arr_str(const gguf_file *f, const char *key, uint64_t index, const char **s, uint64_t *len, lz_err *err);

/* Per-layer hyperparameters may be a scalar or an array (one per layer):
 * store the value for `layer`. Missing key -> `def` if has_def, else error. */
int gguf_get_u32_layer(const gguf_file *f, const char *key, uint32_t layer, int has_def, uint32_t def,
                       uint32_t *out, lz_err *err);

/* ---- tensors ---- */
int64_t gguf_n_tensors(const gguf_file *f);
const gguf_tensor *gguf_tensor_at(const gguf_file *f, int64_t i);
const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name); /* NULL if absent */

#endif /* LZ_GGUF_H */
