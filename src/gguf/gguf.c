/*
 * gguf.c - GGUF v2/v3 reader.
 *
 * One validating pass at open (gguf_parse) walks the whole header, checks
 * every length against the bytes that are really there, and records where
 * each value lives; afterwards lookups are O(1) hash probes and nothing is
 * re-checked. All sizes are uint64_t and every sum or product that depends
 * on file contents goes through lz_add_u64 / lz_mul_u64, so a hostile file
 * can make us fail but never read outside the buffer.
 *
 * The rules (what is accepted, what is rejected) are listed in doc/gguf.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf.h"
#include "../common/f16.h"
#include "../quant/quant.h"

#define GGUF_HEADER_BYTES 24
#define GGUF_NAME_MAX 64          /* tensor names are shorter than this (ggml's GGML_MAX_NAME) */
#define GGUF_KEY_SHOWN 96         /* at most this many bytes of a name go into a message */
/* Smallest possible encodings, used to reject absurd counts before allocating:
 * a kv is key length (8) + at least 1 key byte + type (4) + a 1-byte value;
 * a tensor info is name length (8) + 1 name byte + n_dims (4) + one dim (8)
 * + type (4) + offset (8). */
#define GGUF_MIN_KV_BYTES 14
#define GGUF_MIN_TENSOR_INFO_BYTES 33

typedef struct {
    const char *key;           /* NUL-terminated copy (set once parsing is done) */
    uint64_t key_off, key_len; /* where the key bytes are in the file */
    gguf_value_type type;
    gguf_value_type elem_type; /* arrays only */
    uint64_t n;                /* string: byte length; array: element count */
    uint64_t off;              /* scalar value, string bytes or first array element */
    uint64_t *str_offs;        /* string arrays: offset of each element's u64 length */
} gguf_kv;

/* Open-addressing hash set of indices (-1 = empty slot). */
typedef struct {
    int64_t *slots;
    uint64_t mask;
} gguf_index;

struct gguf_file {
    const uint8_t *base;
    uint64_t size;
    void *map;                 /* mmap'd region (gguf_open), else NULL */
    size_t map_size;
    int locked;
    int mapped_fd;             /* the mapped file, kept open to notice changes (gguf_open), else -1 */
    struct timespec mapped_mtime;
    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;
    int64_t n_kv, n_tensors;
    gguf_kv *kv;
    gguf_tensor *tensors;
    char *key_names;           /* all keys, NUL-terminated, back to back */
    char *tensor_names;        /* GGUF_NAME_MAX bytes per tensor */
    gguf_index kv_index, tensor_index;
};

static const uint8_t gguf_scalar_size[GGUF_TYPE_COUNT] = {
    [GGUF_TYPE_UINT8] = 1, [GGUF_TYPE_INT8] = 1, [GGUF_TYPE_UINT16] = 2, [GGUF_TYPE_INT16] = 2,
    [GGUF_TYPE_UINT32] = 4, [GGUF_TYPE_INT32] = 4, [GGUF_TYPE_FLOAT32] = 4, [GGUF_TYPE_BOOL] = 1,
    [GGUF_TYPE_STRING] = 0, [GGUF_TYPE_ARRAY] = 0, [GGUF_TYPE_UINT64] = 8, [GGUF_TYPE_INT64] = 8,
    [GGUF_TYPE_FLOAT64] = 8,
};

const char *gguf_type_name(gguf_value_type t)
{
    static const char *const names[GGUF_TYPE_COUNT] = {
        "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "array", "u64", "i64", "f64",
    };
    if ((unsigned)t >= GGUF_TYPE_COUNT) return "unknown";
    return names[t];
}

static int gguf_is_int_type(gguf_value_type t)
{
    return t == GGUF_TYPE_UINT8 || t == GGUF_TYPE_INT8 || t == GGUF_TYPE_UINT16 || t == GGUF_TYPE_INT16 ||
           t == GGUF_TYPE_UINT32 || t == GGUF_TYPE_INT32 || t == GGUF_TYPE_UINT64 || t == GGUF_TYPE_INT64;
}

/* ------------------------------------------------------------ hashing */

static uint64_t gguf_hash(const void *s, uint64_t n)
{
    const uint8_t *p = s;
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */
    for (uint64_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int gguf_index_init(gguf_index *ix, int64_t n)
{
    uint64_t cap = 8;
    while (cap < (uint64_t)n * 2) cap <<= 1;
    ix->slots = malloc(cap * sizeof(*ix->slots));
    if (!ix->slots) return 1;
    for (uint64_t i = 0; i < cap; i++) ix->slots[i] = -1;
    ix->mask = cap - 1;
    return 0;
}

/* ------------------------------------------------------------ reader */

typedef struct {
    const uint8_t *p;
    uint64_t size, pos;
} gguf_reader;

static uint64_t rd_left(const gguf_reader *r) { return r->size - r->pos; }

static int rd_u32(gguf_reader *r, uint32_t *v)
{
    if (rd_left(r) < 4) return 1;
    *v = lz_rd32(r->p + r->pos);
    r->pos += 4;
    return 0;
}

static int rd_u64(gguf_reader *r, uint64_t *v)
{
    if (rd_left(r) < 8) return 1;
    *v = lz_rd64(r->p + r->pos);
    r->pos += 8;
    return 0;
}

/* "truncated file: <what> needs N bytes at offset P, but the file ends at S" */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int gguf_truncated(const gguf_reader *r, lz_err *err, uint64_t need, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return lz_fail(err, LLAMAZIP_E_GGUF,
                   "truncated file: %s needs %llu bytes at offset %llu, but the file ends at %llu",
                   what, (unsigned long long)need, (unsigned long long)r->pos, (unsigned long long)r->size);
}

/* printf arguments for a name that lives in the file (not NUL-terminated). */
#define NAME_ARGS(p, len) (int)LZ_MIN((len), (uint64_t)GGUF_KEY_SHOWN), (const char *)(p)

/* ------------------------------------------------------------ header */

static int gguf_parse_header(gguf_file *f, gguf_reader *r, uint64_t *n_tensors, uint64_t *n_kv, lz_err *err)
{
    const uint8_t *p = r->p;
    if (r->size < 4)
        return gguf_truncated(r, err, 4, "the GGUF magic");
    if (memcmp(p, "GGUF", 4) != 0)
        return lz_fail(err, LLAMAZIP_E_GGUF, "bad magic: expected \"GGUF\" (47 47 55 46), got %02x %02x %02x %02x",
                       p[0], p[1], p[2], p[3]);
    r->pos = 4;
    uint32_t version;
    if (rd_u32(r, &version)) return gguf_truncated(r, err, 4, "the header's version field");
    if (version == 0 || version == 1 || version > 3) {
        if (version != 0 && (version & 0xffffu) == 0)
            return lz_fail(err, LLAMAZIP_E_GGUF,
                           "version field reads 0x%08x: this looks like a byte-swapped (big-endian) GGUF file, "
                           "only little-endian files are supported", version);
        return lz_fail(err, LLAMAZIP_E_GGUF, "unsupported GGUF version %u (versions 2 and 3 are supported)",
                       version);
    }
    f->version = version;
    if (rd_u64(r, n_tensors)) return gguf_truncated(r, err, 8, "the header's tensor count");
    if (rd_u64(r, n_kv)) return gguf_truncated(r, err, 8, "the header's key/value count");

    /* Every entry takes some minimum number of bytes: counts that cannot fit
     * are rejected before anything is allocated for them. */
    const uint64_t left = rd_left(r);
    uint64_t kv_bytes, ti_bytes, total;
    if (lz_mul_u64(*n_kv, GGUF_MIN_KV_BYTES, &kv_bytes) || kv_bytes > left)
        return lz_fail(err, LLAMAZIP_E_GGUF,
                       "n_kv = %llu is impossible for a file of %llu bytes (a key/value pair takes at least %d bytes)",
                       (unsigned long long)*n_kv, (unsigned long long)r->size, GGUF_MIN_KV_BYTES);
    if (lz_mul_u64(*n_tensors, GGUF_MIN_TENSOR_INFO_BYTES, &ti_bytes) || ti_bytes > left)
        return lz_fail(err, LLAMAZIP_E_GGUF,
                       "n_tensors = %llu is impossible for a file of %llu bytes (a tensor info takes at least %d bytes)",
                       (unsigned long long)*n_tensors, (unsigned long long)r->size, GGUF_MIN_TENSOR_INFO_BYTES);
    if (lz_add_u64(kv_bytes, ti_bytes, &total) || total > left)
        return lz_fail(err, LLAMAZIP_E_GGUF,
                       "n_kv = %llu and n_tensors = %llu are impossible together for a file of %llu bytes",
                       (unsigned long long)*n_kv, (unsigned long long)*n_tensors, (unsigned long long)r->size);
    return 0;
}

/* ------------------------------------------------------------ key/values */

/* Lookup of a key given as bytes (the file's, during parsing, or the caller's). */
static int64_t gguf_kv_lookup(const gguf_file *f, const char *key, uint64_t len)
{
    const gguf_index *ix = &f->kv_index;
    if (!ix->slots) return -1;
    for (uint64_t h = gguf_hash(key, len) & ix->mask;; h = (h + 1) & ix->mask) {
        const int64_t i = ix->slots[h];
        if (i < 0) return -1;
        const gguf_kv *kv = &f->kv[i];
        if (kv->key_len == len && memcmp(f->base + kv->key_off, key, len) == 0) return i;
    }
}

static void gguf_kv_insert(gguf_file *f, int64_t i)
{
    const gguf_kv *kv = &f->kv[i];
    gguf_index *ix = &f->kv_index;
    uint64_t h = gguf_hash(f->base + kv->key_off, kv->key_len) & ix->mask;
    while (ix->slots[h] >= 0) h = (h + 1) & ix->mask;
    ix->slots[h] = i;
}

/* Read one string (u64 length + bytes); *off receives the offset of the bytes. */
static int gguf_read_string(gguf_reader *r, uint64_t *off, uint64_t *len)
{
    if (rd_u64(r, len)) return 1;
    if (*len > rd_left(r)) return 2;
    *off = r->pos;
    r->pos += *len;
    return 0;
}

static int gguf_parse_string_array(gguf_kv *kv, gguf_reader *r, const uint8_t *key, lz_err *err)
{
    /* Each element needs at least its 8-byte length. */
    if (kv->n > rd_left(r) / 8)
        return lz_fail(err, LLAMAZIP_E_GGUF,
                       "key '%.*s': array of %llu strings does not fit in the %llu bytes left in the file",
                       NAME_ARGS(key, kv->key_len), (unsigned long long)kv->n, (unsigned long long)rd_left(r));
    kv->str_offs = malloc((kv->n ? kv->n : 1) * sizeof(uint64_t));
    if (!kv->str_offs) return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory indexing string array '%.*s'",
                                      NAME_ARGS(key, kv->key_len));
    for (uint64_t j = 0; j < kv->n; j++) {
        uint64_t len_at = r->pos, off, len;
        const int rc = gguf_read_string(r, &off, &len);
        if (rc == 1)
            return gguf_truncated(r, err, 8, "length of string #%llu of key '%.*s'", (unsigned long long)j,
                                  NAME_ARGS(key, kv->key_len));
        if (rc == 2)
            return lz_fail(err, LLAMAZIP_E_GGUF,
                           "key '%.*s': string #%llu has length %llu, longer than the %llu bytes left in the file",
                           NAME_ARGS(key, kv->key_len), (unsigned long long)j, (unsigned long long)len,
                           (unsigned long long)rd_left(r));
        kv->str_offs[j] = len_at;
    }
    return 0;
}

static int gguf_parse_value(gguf_kv *kv, gguf_reader *r, const uint8_t *key, lz_err *err)
{
    const uint64_t klen = kv->key_len;
    if (kv->type == GGUF_TYPE_STRING) {
        const int rc = gguf_read_string(r, &kv->off, &kv->n);
        if (rc == 1) return gguf_truncated(r, err, 8, "string length of key '%.*s'", NAME_ARGS(key, klen));
        if (rc == 2)
            return lz_fail(err, LLAMAZIP_E_GGUF,
                           "key '%.*s': string length %llu is longer than the %llu bytes left in the file",
                           NAME_ARGS(key, klen), (unsigned long long)kv->n, (unsigned long long)rd_left(r));
        return 0;
    }
    if (kv->type != GGUF_TYPE_ARRAY) {
        const uint64_t size = gguf_scalar_size[kv->type];
        if (rd_left(r) < size)
            return gguf_truncated(r, err, size, "%s value of key '%.*s'", gguf_type_name(kv->type),
                                  NAME_ARGS(key, klen));
        kv->off = r->pos;
        kv->n = 1;
        r->pos += size;
        return 0;
    }
    uint32_t elem;
    if (rd_u32(r, &elem)) return gguf_truncated(r, err, 4, "array element type of key '%.*s'", NAME_ARGS(key, klen));
    if (elem == GGUF_TYPE_ARRAY)
        return lz_fail(err, LLAMAZIP_E_GGUF, "key '%.*s': nested arrays are not supported", NAME_ARGS(key, klen));
    if (elem >= GGUF_TYPE_COUNT)
        return lz_fail(err, LLAMAZIP_E_GGUF, "key '%.*s': array has unknown element type %u", NAME_ARGS(key, klen),
                       elem);
    kv->elem_type = (gguf_value_type)elem;
    if (rd_u64(r, &kv->n)) return gguf_truncated(r, err, 8, "array length of key '%.*s'", NAME_ARGS(key, klen));
    kv->off = r->pos;
    if (elem == GGUF_TYPE_STRING) return gguf_parse_string_array(kv, r, key, err);
    uint64_t bytes;
    if (lz_mul_u64(kv->n, gguf_scalar_size[elem], &bytes) || bytes > rd_left(r))
        return lz_fail(err, LLAMAZIP_E_GGUF,
                       "key '%.*s': array of %llu %s elements does not fit in the %llu bytes left in the file",
                       NAME_ARGS(key, klen), (unsigned long long)kv->n, gguf_type_name(kv->elem_type),
                       (unsigned long long)rd_left(r));
    r->pos += bytes;
    return 0;
}

static int gguf_parse_kv(gguf_file *f, gguf_reader *r, int64_t i, lz_err *err)
{
    gguf_kv *kv = &f->kv[i];
    if (rd_u64(r, &kv->key_len)) return gguf_truncated(r, err, 8, "name length of key #%lld", (long long)i);
    if (kv->key_len == 0) return lz_fail(err, LLAMAZIP_E_GGUF, "key #%lld has an empty name", (long long)i);
    if (kv->key_len > rd_left(r))
        return lz_fail(err, LLAMAZIP_E_GGUF,
                       "key #%lld: name length %llu is longer than the %llu bytes left in the file", (long long)i,
                       (unsigned long long)kv->key_len, (unsigned long long)rd_left(r));
    kv->key_off = r->pos;
    r->pos += kv->key_len;
    const uint8_t *key = f->base + kv->key_off;
    if (memchr(key, 0, kv->key_len))
        return lz_fail(err, LLAMAZIP_E_GGUF, "key #%lld ('%s...') contains a NUL byte", (long long)i, key);
    const int64_t prev = gguf_kv_lookup(f, (const char *)key, kv->key_len);
    if (prev >= 0)
        return lz_fail(err, LLAMAZIP_E_GGUF, "duplicate key '%.*s' (key/value pairs #%lld and #%lld)",
                       NAME_ARGS(key, kv->key_len), (long long)prev, (long long)i);
    gguf_kv_insert(f, i);

    uint32_t type;
    if (rd_u32(r, &type)) return gguf_truncated(r, err, 4, "value type of key '%.*s'", NAME_ARGS(key, kv->key_len));
    if (type >= GGUF_TYPE_COUNT)
        return lz_fail(err, LLAMAZIP_E_GGUF, "key '%.*s' has unknown value type %u", NAME_ARGS(key, kv->key_len),
                       type);
    kv->type = (gguf_value_type)type;
    return gguf_parse_value(kv, r, key, err);
}

/* general.alignment: u32, non-zero power of two; 32 when absent. */
static int gguf_read_alignment(gguf_file *f, lz_err *err)
{
    static const char key[] = "general.alignment";
    const int64_t i = gguf_kv_lookup(f, key, sizeof(key) - 1);
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    if (i < 0) return 0;
    const gguf_kv *kv = &f->kv[i];
    if (kv->type != GGUF_TYPE_UINT32)
        return lz_fail(err, LLAMAZIP_E_GGUF, "%s has type %s, expected u32", key, gguf_type_name(kv->type));
    const uint32_t a = lz_rd32(f->base + kv->off);
    if (a == 0 || (a & (a - 1)) != 0)
        return lz_fail(err, LLAMAZIP_E_GGUF, "%s = %u is not a power of two", key, a);
    f->alignment = a;
    return 0;
}

/* ------------------------------------------------------------ tensors */

static int64_t gguf_tensor_lookup(const gguf_file *f, const char *name, uint64_t len)
{
    const gguf_index *ix = &f->tensor_index;
    if (!ix->slots) return -1;
    for (uint64_t h = gguf_hash(name, len) & ix->mask;; h = (h + 1) & ix->mask) {
        const int64_t i = ix->slots[h];
        if (i < 0) return -1;
        const char *s = f->tensors[i].name;
        if (strlen(s) == len && memcmp(s, name, len) == 0) return i;
    }
}

static void gguf_tensor_insert(gguf_file *f, int64_t i)
{
    gguf_index *ix = &f->tensor_index;
    const char *s = f->tensors[i].name;
    uint64_t h = gguf_hash(s, strlen(s)) & ix->mask;
    while (ix->slots[h] >= 0) h = (h + 1) & ix->mask;
    ix->slots[h] = i;
}

/* Shape, type and size of a tensor whose info has been read. */
static int gguf_check_tensor(const gguf_file *f, gguf_tensor *t, lz_err *err)
{
    uint64_t n_el = 1;
    for (uint32_t j = 0; j < t->n_dims; j++) {
        if (t->ne[j] == 0)
            return lz_fail(err, LLAMAZIP_E_GGUF, "tensor '%s': dimension %u is 0", t->name, j);
        if (t->ne[j] > (uint64_t)INT64_MAX)
            return lz_fail(err, LLAMAZIP_E_GGUF, "tensor '%s': dimension %u is negative (%lld)", t->name, j,
                           (long long)t->ne[j]);
    }
    for (uint32_t j = 0; j < GGUF_MAX_DIMS; j++)
        if (lz_mul_u64(n_el, t->ne[j], &n_el) || n_el > (uint64_t)INT64_MAX)
            return lz_fail(err, LLAMAZIP_E_GGUF,
                           "tensor '%s': element count overflows (ne = [%llu, %llu, %llu, %llu])", t->name,
                           (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                           (unsigned long long)t->ne[2], (unsigned long long)t->ne[3]);
    const lz_type_traits *tt = lz_type_get(t->type);
    if (!tt) {
        const char *type_name = lz_type_name(t->type);
        if (strncmp(type_name, "type ", 5) == 0)   /* a code ggml does not know either */
            return lz_fail(err, LLAMAZIP_E_UNSUPPORTED,
                           "tensor '%s' has unknown type code %u, which this build does not support", t->name,
                           t->type);
        return lz_fail(err, LLAMAZIP_E_UNSUPPORTED,
                       "tensor '%s' has type %s (code %u), which this build does not support", t->name, type_name,
                       t->type);
    }
    const uint64_t bs = (uint64_t)tt->block_size;
    if (t->ne[0] % bs != 0)
        return lz_fail(err, LLAMAZIP_E_GGUF,
                       "tensor '%s' (%s): row length %llu is not a multiple of the block size %llu", t->name,
                       tt->name, (unsigned long long)t->ne[0], (unsigned long long)bs);
    t->n_rows = t->ne[1] * t->ne[2] * t->ne[3];   /* <= n_el: cannot overflow */
    if (lz_mul_u64(t->ne[0] / bs, (uint64_t)tt->type_size, &t->row_bytes) ||
        lz_mul_u64(t->row_bytes, t->n_rows, &t->nbytes))
        return lz_fail(err, LLAMAZIP_E_GGUF, "tensor '%s' (%s): byte size overflows (%llu elements)", t->name,
                       tt->name, (unsigned long long)n_el);
    if (t->offset % f->alignment != 0)
        return lz_fail(err, LLAMAZIP_E_GGUF, "tensor '%s': offset %llu is not a multiple of the alignment %u",
                       t->name, (unsigned long long)t->offset, f->alignment);
    return 0;
}

static int gguf_parse_tensor_info(gguf_file *f, gguf_reader *r, int64_t i, lz_err *err)
{
    gguf_tensor *t = &f->tensors[i];
    char *name = f->tensor_names + (size_t)i * GGUF_NAME_MAX;
    uint64_t len;
    if (rd_u64(r, &len)) return gguf_truncated(r, err, 8, "name length of tensor #%lld", (long long)i);
    if (len == 0) return lz_fail(err, LLAMAZIP_E_GGUF, "tensor #%lld has an empty name", (long long)i);
    if (len >= GGUF_NAME_MAX)
        return lz_fail(err, LLAMAZIP_E_GGUF, "tensor #%lld: name of %llu bytes is too long (at most %d)",
                       (long long)i, (unsigned long long)len, GGUF_NAME_MAX - 1);
    if (len > rd_left(r)) return gguf_truncated(r, err, len, "name of tensor #%lld", (long long)i);
    memcpy(name, r->p + r->pos, len);
    name[len] = '\0';
    r->pos += len;
    t->name = name;
    if (strlen(name) != len)
        return lz_fail(err, LLAMAZIP_E_GGUF, "tensor #%lld ('%s...') has a NUL byte in its name", (long long)i, name);
    const int64_t prev = gguf_tensor_lookup(f, name, len);
    if (prev >= 0)
        return lz_fail(err, LLAMAZIP_E_GGUF, "duplicate tensor name '%s' (tensors #%lld and #%lld)", name,
                       (long long)prev, (long long)i);
    gguf_tensor_insert(f, i);

    if (rd_u32(r, &t->n_dims)) return gguf_truncated(r, err, 4, "n_dims of tensor '%s'", name);
    if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS)
        return lz_fail(err, LLAMAZIP_E_GGUF, "tensor '%s' has n_dims = %u (must be 1 to %d)", name, t->n_dims,
                       GGUF_MAX_DIMS);
    for (uint32_t j = 0; j < GGUF_MAX_DIMS; j++) t->ne[j] = 1;
    for (uint32_t j = 0; j < t->n_dims; j++)
        if (rd_u64(r, &t->ne[j])) return gguf_truncated(r, err, 8, "dimension %u of tensor '%s'", j, name);
    if (rd_u32(r, &t->type)) return gguf_truncated(r, err, 4, "type of tensor '%s'", name);
    if (rd_u64(r, &t->offset)) return gguf_truncated(r, err, 8, "data offset of tensor '%s'", name);
    return gguf_check_tensor(f, t, err);
}

typedef struct {
    uint64_t offset;
    int64_t index;
} gguf_span;

static int gguf_span_cmp(const void *a, const void *b)
{
    const gguf_span *x = a, *y = b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Place the data section, bound every tensor by the file end, reject overlaps. */
static int gguf_place_data(gguf_file *f, uint64_t end_of_infos, lz_err *err)
{
    const uint64_t a = f->alignment;
    uint64_t padded;
    if (lz_add_u64(end_of_infos, a - 1, &padded))
        return lz_fail(err, LLAMAZIP_E_GGUF, "data section offset overflows");
    f->data_offset = padded / a * a;
    if (f->n_tensors == 0) return 0;

    gguf_span *spans = malloc((size_t)f->n_tensors * sizeof(*spans));
    if (!spans) return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory checking %lld tensors", (long long)f->n_tensors);
    int rc = 0;
    for (int64_t i = 0; i < f->n_tensors && rc == 0; i++) {
        gguf_tensor *t = &f->tensors[i];
        uint64_t start, end;
        if (lz_add_u64(f->data_offset, t->offset, &start) || lz_add_u64(start, t->nbytes, &end))
            rc = lz_fail(err, LLAMAZIP_E_GGUF, "tensor '%s': offset %llu + %llu bytes overflows", t->name,
                         (unsigned long long)t->offset, (unsigned long long)t->nbytes);
        else if (end > f->size)
            rc = lz_fail(err, LLAMAZIP_E_GGUF,
                         "tensor '%s': data [%llu, %llu) extends past the end of the file (%llu bytes)", t->name,
                         (unsigned long long)start, (unsigned long long)end, (unsigned long long)f->size);
        else
            t->data = f->base + start;
        spans[i].offset = t->offset;
        spans[i].index = i;
    }
    if (rc == 0) {
        qsort(spans, (size_t)f->n_tensors, sizeof(*spans), gguf_span_cmp);
        for (int64_t k = 1; k < f->n_tensors && rc == 0; k++) {
            const gguf_tensor *p = &f->tensors[spans[k - 1].index], *t = &f->tensors[spans[k].index];
            if (t->offset < p->offset + p->nbytes)   /* both end inside the file: no overflow */
                rc = lz_fail(err, LLAMAZIP_E_GGUF,
                             "tensors '%s' [%llu, %llu) and '%s' [%llu, %llu) overlap (offsets in the data section)",
                             p->name, (unsigned long long)p->offset, (unsigned long long)(p->offset + p->nbytes),
                             t->name, (unsigned long long)t->offset, (unsigned long long)(t->offset + t->nbytes));
        }
    }
    free(spans);
    return rc;
}

/* ------------------------------------------------------------ open/close */

/* Copy every key into one block of NUL-terminated strings. */
static int gguf_copy_keys(gguf_file *f, lz_err *err)
{
    uint64_t total = 1;
    for (int64_t i = 0; i < f->n_kv; i++) total += f->kv[i].key_len + 1;   /* <= file size + n_kv */
    f->key_names = malloc((size_t)total);
    if (!f->key_names) return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory copying keys");
    char *p = f->key_names;
    for (int64_t i = 0; i < f->n_kv; i++) {
        gguf_kv *kv = &f->kv[i];
        memcpy(p, f->base + kv->key_off, (size_t)kv->key_len);
        p[kv->key_len] = '\0';
        kv->key = p;
        p += kv->key_len + 1;
    }
    return 0;
}

static int gguf_parse(gguf_file *f, lz_err *err)
{
    gguf_reader r = { f->base, f->size, 0 };
    uint64_t n_tensors, n_kv;
    int rc = gguf_parse_header(f, &r, &n_tensors, &n_kv, err);
    if (rc) return rc;
    f->n_kv = (int64_t)n_kv;            /* both bounded by the file size above */
    f->n_tensors = (int64_t)n_tensors;

    f->kv = calloc((size_t)n_kv + 1, sizeof(*f->kv));
    f->tensors = calloc((size_t)n_tensors + 1, sizeof(*f->tensors));
    f->tensor_names = malloc(((size_t)n_tensors + 1) * GGUF_NAME_MAX);
    if (!f->kv || !f->tensors || !f->tensor_names || gguf_index_init(&f->kv_index, f->n_kv) ||
        gguf_index_init(&f->tensor_index, f->n_tensors))
        return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory for %llu keys and %llu tensors",
                       (unsigned long long)n_kv, (unsigned long long)n_tensors);

    for (int64_t i = 0; i < f->n_kv; i++)
        if ((rc = gguf_parse_kv(f, &r, i, err)) != 0) return rc;
    if ((rc = gguf_read_alignment(f, err)) != 0) return rc;
    for (int64_t i = 0; i < f->n_tensors; i++)
        if ((rc = gguf_parse_tensor_info(f, &r, i, err)) != 0) return rc;
    if ((rc = gguf_place_data(f, r.pos, err)) != 0) return rc;
    return gguf_copy_keys(f, err);
}

void gguf_close(gguf_file *f)
{
    if (!f) return;
    if (f->kv)
        for (int64_t i = 0; i < f->n_kv; i++) free(f->kv[i].str_offs);
    free(f->kv);
    free(f->tensors);
    free(f->tensor_names);
    free(f->key_names);
    free(f->kv_index.slots);
    free(f->tensor_index.slots);
    if (f->map) {
        if (f->locked) munlock(f->map, f->map_size);
        munmap(f->map, f->map_size);
    }
    if (f->map && f->mapped_fd >= 0) close(f->mapped_fd);
    free(f);
}

int gguf_open_memory(const void *data, size_t size, gguf_file **out, lz_err *err)
{
    static const uint8_t empty[1];
    if (!out) return lz_fail(err, LLAMAZIP_E_USAGE, "gguf_open_memory: out is NULL");
    *out = NULL;
    if (!data && size) return lz_fail(err, LLAMAZIP_E_USAGE, "gguf_open_memory: NULL buffer of %zu bytes", size);
    gguf_file *f = calloc(1, sizeof(*f));
    if (!f) return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory");
    f->base = data ? data : empty;
    f->size = size;
    const int rc = gguf_parse(f, err);
    if (rc) {
        gguf_close(f);
        return rc;
    }
    *out = f;
    return 0;
}

int gguf_open(const char *path, int use_mlock, gguf_file **out, lz_err *err)
{
    if (!out || !path) return lz_fail(err, LLAMAZIP_E_USAGE, "gguf_open: NULL argument");
    *out = NULL;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lz_fail(err, LLAMAZIP_E_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        const int e = errno;
        close(fd);
        return lz_fail(err, LLAMAZIP_E_IO, "cannot stat '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return lz_fail(err, LLAMAZIP_E_IO, "'%s' is not a regular file", path);
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return lz_fail(err, LLAMAZIP_E_IO, "'%s' is too large to map", path);
    }
    const size_t size = (size_t)st.st_size;
    void *map = NULL;
    if (size > 0) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            const int e = errno;
            close(fd);
            if (e == ENOMEM) /* an address-space limit (ulimit -v) below the model's size */
                return lz_fail(err, LLAMAZIP_E_NOMEM, "out of memory: cannot map '%s' (%zu bytes)", path, size);
            return lz_fail(err, LLAMAZIP_E_IO, "cannot map '%s' (%zu bytes): %s", path, size, strerror(e));
        }
    }

    gguf_file *f = NULL;
    const int rc = gguf_open_memory(map, size, &f, err);
    if (rc) {
        if (map) munmap(map, size);
        close(fd);
        lz_err_context(err, "%s", path);
        return rc;
    }
    f->map = map;
    f->map_size = size;
    if (map) {
        f->mapped_fd = fd;
        f->mapped_mtime = st.st_mtim;
    } else {
        close(fd);
    }
    if (use_mlock && map) f->locked = mlock(map, size) == 0;   /* best effort: RLIMIT_MEMLOCK is often small */
    *out = f;
    return 0;
}

int gguf_check_unchanged(const gguf_file *f, lz_err *err)
{
    if (!f->map || f->mapped_fd < 0) return 0;
    struct stat st;
    if (fstat(f->mapped_fd, &st) != 0)
        return lz_fail(err, LLAMAZIP_E_IO, "the model file cannot be checked: %s", strerror(errno));
    if ((uint64_t)st.st_size != (uint64_t)f->map_size)
        return lz_fail(err, LLAMAZIP_E_IO, "the model file changed while in use (%zu bytes, now %llu): load it again",
                       f->map_size, (unsigned long long)st.st_size);
    if (st.st_mtim.tv_sec != f->mapped_mtime.tv_sec || st.st_mtim.tv_nsec != f->mapped_mtime.tv_nsec)
        return lz_fail(err, LLAMAZIP_E_IO, "the model file changed while in use (modified after loading): load it again");
    return 0;
}

/* ------------------------------------------------------------ accessors */

uint32_t gguf_version(const gguf_file *f) { return f->version; }
uint32_t gguf_alignment(const gguf_file *f) { return f->alignment; }
const void *gguf_base(const gguf_file *f) { return f->base; }
uint64_t gguf_size(const gguf_file *f) { return f->size; }
uint64_t gguf_data_offset(const gguf_file *f) { return f->data_offset; }
int64_t gguf_n_kv(const gguf_file *f) { return f->n_kv; }
int64_t gguf_n_tensors(const gguf_file *f) { return f->n_tensors; }

int64_t gguf_find_key(const gguf_file *f, const char *key)
{
    if (!key) return -1;
    return gguf_kv_lookup(f, key, strlen(key));
}

const char *gguf_key_at(const gguf_file *f, int64_t i)
{
    if (i < 0 || i >= f->n_kv) return NULL;
    return f->kv[i].key;
}

gguf_value_type gguf_kv_type(const gguf_file *f, int64_t i)
{
    if (i < 0 || i >= f->n_kv) return GGUF_TYPE_COUNT;
    return f->kv[i].type;
}

int gguf_kv_value_span(const gguf_file *f, int64_t i, uint64_t *start, uint64_t *size)
{
    if (i < 0 || i >= f->n_kv) return -1;
    const gguf_kv *kv = &f->kv[i];
    const uint64_t begin = kv->key_off + kv->key_len + 4;   /* after the key and its u32 type */
    uint64_t end;
    if (kv->type == GGUF_TYPE_STRING) {
        end = kv->off + kv->n;
    } else if (kv->type == GGUF_TYPE_ARRAY) {
        if (kv->elem_type == GGUF_TYPE_STRING)
            end = kv->n ? kv->str_offs[kv->n - 1] + 8 + lz_rd64(f->base + kv->str_offs[kv->n - 1]) : kv->off;
        else
            end = kv->off + kv->n * gguf_scalar_size[kv->elem_type];   /* checked at open */
    } else {
        end = kv->off + gguf_scalar_size[kv->type];
    }
    *start = begin;
    *size = end - begin;
    return 0;
}

const gguf_tensor *gguf_tensor_at(const gguf_file *f, int64_t i)
{
    if (i < 0 || i >= f->n_tensors) return NULL;
    return &f->tensors[i];
}

const gguf_tensor *gguf_find_tensor(const gguf_file *f, const char *name)
{
    if (!name) return NULL;
    const int64_t i = gguf_tensor_lookup(f, name, strlen(name));
    return i < 0 ? NULL : &f->tensors[i];
}

/* ------------------------------------------------------------ getters */

static const gguf_kv *gguf_get_kv(const gguf_file *f, const char *key, lz_err *err)
{
    const int64_t i = gguf_find_key(f, key);
    if (i < 0) {
        lz_fail(err, LLAMAZIP_E_GGUF, "missing key '%s'", key ? key : "(null)");
        return NULL;
    }
    return &f->kv[i];
}

/* "u32", "array of str", ... */
static const char *gguf_kv_type_desc(const gguf_kv *kv, char *buf, size_t n)
{
    if (kv->type != GGUF_TYPE_ARRAY) return gguf_type_name(kv->type);
    snprintf(buf, n, "array of %s", gguf_type_name(kv->elem_type));
    return buf;
}

static int gguf_wrong_type(const gguf_kv *kv, const char *expected, lz_err *err)
{
    char buf[32];
    return lz_fail(err, LLAMAZIP_E_GGUF, "key '%s' has type %s, expected %s", kv->key,
                   gguf_kv_type_desc(kv, buf, sizeof(buf)), expected);
}

/* An integer of type t at p, as sign and magnitude (so every value of every
 * integer type is representable). */
static void gguf_read_int(const uint8_t *p, gguf_value_type t, int *neg, uint64_t *mag)
{
    int64_t s = 0;
    *neg = 0;
    switch (t) {
    case GGUF_TYPE_UINT8:  *mag = p[0]; return;
    case GGUF_TYPE_UINT16: *mag = lz_rd16(p); return;
    case GGUF_TYPE_UINT32: *mag = lz_rd32(p); return;
    case GGUF_TYPE_UINT64: *mag = lz_rd64(p); return;
    case GGUF_TYPE_INT8:   s = (int8_t)p[0]; break;
    case GGUF_TYPE_INT16:  s = (int16_t)lz_rd16(p); break;
    case GGUF_TYPE_INT32:  s = (int32_t)lz_rd32(p); break;
    case GGUF_TYPE_INT64:  s = (int64_t)lz_rd64(p); break;
    default:               *mag = 0; return;
    }
    *neg = s < 0;
    *mag = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
}

/* Convert to an unsigned value of at most `max`; `what` names the source in errors. */
static int gguf_int_to_unsigned(const gguf_kv *kv, const uint8_t *p, gguf_value_type t, uint64_t max,
                                const char *dest, uint64_t *out, lz_err *err)
{
    int neg;
    uint64_t mag;
    gguf_read_int(p, t, &neg, &mag);
    if (neg || mag > max)
        return lz_fail(err, LLAMAZIP_E_GGUF, "key '%s': value %s%llu does not fit in %s", kv->key, neg ? "-" : "",
                       (unsigned long long)mag, dest);
    *out = mag;
    return 0;
}

int gguf_get_u32(const gguf_file *f, const char *key, uint32_t *out, lz_err *err)
{
    const gguf_kv *kv = gguf_get_kv(f, key, err);
    if (!kv) return LLAMAZIP_E_GGUF;
    if (!gguf_is_int_type(kv->type)) return gguf_wrong_type(kv, "u32", err);
    uint64_t v;
    const int rc = gguf_int_to_unsigned(kv, f->base + kv->off, kv->type, UINT32_MAX, "u32", &v, err);
    if (rc == 0) *out = (uint32_t)v;
    return rc;
}

int gguf_get_u64(const gguf_file *f, const char *key, uint64_t *out, lz_err *err)
{
    const gguf_kv *kv = gguf_get_kv(f, key, err);
    if (!kv) return LLAMAZIP_E_GGUF;
    if (!gguf_is_int_type(kv->type)) return gguf_wrong_type(kv, "u64", err);
    return gguf_int_to_unsigned(kv, f->base + kv->off, kv->type, UINT64_MAX, "u64", out, err);
}

int gguf_get_i32(const gguf_file *f, const char *key, int32_t *out, lz_err *err)
{
    const gguf_kv *kv = gguf_get_kv(f, key, err);
    if (!kv) return LLAMAZIP_E_GGUF;
    if (!gguf_is_int_type(kv->type)) return gguf_wrong_type(kv, "i32", err);
    int neg;
    uint64_t mag;
    gguf_read_int(f->base + kv->off, kv->type, &neg, &mag);
    if (mag > (neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX))
        return lz_fail(err, LLAMAZIP_E_GGUF, "key '%s': value %s%llu does not fit in i32", kv->key, neg ? "-" : "",
                       (unsigned long long)mag);
    *out = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
    return 0;
}

int gguf_get_f32(const gguf_file *f, const char *key, float *out, lz_err *err)
{
    const gguf_kv *kv = gguf_get_kv(f, key, err);
    if (!kv) return LLAMAZIP_E_GGUF;
    const uint8_t *p = f->base + kv->off;
    if (kv->type == GGUF_TYPE_FLOAT32) {
        *out = lz_f32_from_bits(lz_rd32(p));
        return 0;
    }
    if (kv->type != GGUF_TYPE_FLOAT64) return gguf_wrong_type(kv, "f32", err);
    const uint64_t bits = lz_rd64(p);
    double d;
    memcpy(&d, &bits, sizeof(d));
    if ((d > FLT_MAX || d < -FLT_MAX) && d - d == 0.0)   /* finite but beyond float's range */
        return lz_fail(err, LLAMAZIP_E_GGUF, "key '%s': value %g does not fit in f32", kv->key, d);
    *out = (float)d;
    return 0;
}

int gguf_get_bool(const gguf_file *f, const char *key, int *out, lz_err *err)
{
    const gguf_kv *kv = gguf_get_kv(f, key, err);
    if (!kv) return LLAMAZIP_E_GGUF;
    if (kv->type != GGUF_TYPE_BOOL) return gguf_wrong_type(kv, "bool", err);
    *out = f->base[kv->off] != 0;
    return 0;
}

int gguf_get_str(const gguf_file *f, const char *key, const char **s, uint64_t *len, lz_err *err)
{
    const gguf_kv *kv = gguf_get_kv(f, key, err);
    if (!kv) return LLAMAZIP_E_GGUF;
    if (kv->type != GGUF_TYPE_STRING) return gguf_wrong_type(kv, "str", err);
    *s = (const char *)f->base + kv->off;
    *len = kv->n;
    return 0;
}

int gguf_get_u32_opt(const gguf_file *f, const char *key, uint32_t def, uint32_t *out, lz_err *err)
{
    if (gguf_find_key(f, key) < 0) {
        *out = def;
        return 0;
    }
    return gguf_get_u32(f, key, out, err);
}

int gguf_get_f32_opt(const gguf_file *f, const char *key, float def, float *out, lz_err *err)
{
    if (gguf_find_key(f, key) < 0) {
        *out = def;
        return 0;
    }
    return gguf_get_f32(f, key, out, err);
}

int gguf_get_bool_opt(const gguf_file *f, const char *key, int def, int *out, lz_err *err)
{
    if (gguf_find_key(f, key) < 0) {
        *out = def;
        return 0;
    }
    return gguf_get_bool(f, key, out, err);
}

/* For string arrays, *data points at the first encoded element (u64 length +
 * bytes each); use gguf_arr_str to read them. */
int gguf_get_arr(const gguf_file *f, const char *key, gguf_value_type *elem_type, uint64_t *count,
                 const void **data, lz_err *err)
{
    const gguf_kv *kv = gguf_get_kv(f, key, err);
    if (!kv) return LLAMAZIP_E_GGUF;
    if (kv->type != GGUF_TYPE_ARRAY) return gguf_wrong_type(kv, "array", err);
    if (elem_type) *elem_type = kv->elem_type;
    if (count) *count = kv->n;
    if (data) *data = f->base + kv->off;
    return 0;
}

int gguf_arr_str(const gguf_file *f, const char *key, uint64_t index, const char **s, uint64_t *len, lz_err *err)
{
    const gguf_kv *kv = gguf_get_kv(f, key, err);
    if (!kv) return LLAMAZIP_E_GGUF;
    if (kv->type != GGUF_TYPE_ARRAY || kv->elem_type != GGUF_TYPE_STRING)
        return gguf_wrong_type(kv, "array of str", err);
    if (index >= kv->n)
        return lz_fail(err, LLAMAZIP_E_GGUF, "key '%s': index %llu is out of range (%llu strings)", kv->key,
                       (unsigned long long)index, (unsigned long long)kv->n);
    const uint64_t at = kv->str_offs[index];
    *len = lz_rd64(f->base + at);
    *s = (const char *)f->base + at + 8;
    return 0;
}

int gguf_get_u32_layer(const gguf_file *f, const char *key, uint32_t layer, int has_def, uint32_t def,
                       uint32_t *out, lz_err *err)
{
    const int64_t i = gguf_find_key(f, key);
    if (i < 0) {
        if (!has_def) return lz_fail(err, LLAMAZIP_E_GGUF, "missing key '%s'", key ? key : "(null)");
        *out = def;
        return 0;
    }
    const gguf_kv *kv = &f->kv[i];
    if (gguf_is_int_type(kv->type)) return gguf_get_u32(f, key, out, err);
    if (kv->type != GGUF_TYPE_ARRAY || !gguf_is_int_type(kv->elem_type))
        return gguf_wrong_type(kv, "an integer or an array of integers", err);
    if (layer >= kv->n)
        return lz_fail(err, LLAMAZIP_E_GGUF, "key '%s' has %llu per-layer entries, none for layer %u", kv->key,
                       (unsigned long long)kv->n, layer);
    const uint8_t *p = f->base + kv->off + (uint64_t)layer * gguf_scalar_size[kv->elem_type];
    uint64_t v;
    const int rc = gguf_int_to_unsigned(kv, p, kv->elem_type, UINT32_MAX, "u32", &v, err);
    if (rc == 0) *out = (uint32_t)v;
    return rc;
}
