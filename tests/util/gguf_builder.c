/* gguf_builder.c - in-memory GGUF writer for tests (see gguf_builder.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_builder.h"

/* Value type codes (same as src/gguf/gguf.h; repeated so the builder needs no project header). */
enum { T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64, T_COUNT };
static const int gb_elem_size[T_COUNT] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

typedef struct {
    uint8_t *p;
    size_t n, cap;
    int oom;
} gb_buf;

typedef struct {
    char *name;
    size_t name_len;
    uint32_t n_dims;
    uint64_t ne[GB_MAX_DIMS];
    uint32_t type;
    uint64_t nbytes, offset;
    int offset_set;
} gb_tensor_def;

struct gb_builder {
    uint32_t version, alignment;
    int pad_tail;
    gb_buf kvs;                /* serialised key/values */
    gb_kv_pos *kv_pos;         /* relative to the start of kvs */
    size_t n_kv, cap_kv;
    gb_tensor_def *tensors;
    size_t n_tensors, cap_tensors;
};

static void buf_put(gb_buf *b, const void *p, size_t n)
{
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void le_store(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void buf_u32(gb_buf *b, uint32_t v)
{
    uint8_t t[4];
    le_store(t, v, 4);
    buf_put(b, t, 4);
}

static void buf_u64(gb_buf *b, uint64_t v)
{
    uint8_t t[8];
    le_store(t, v, 8);
    buf_put(b, t, 8);
}

static void buf_str(gb_buf *b, const char *s, size_t n)
{
    buf_u64(b, n);
    buf_put(b, s, n);
}

gb_builder *gb_new(void)
{
    gb_builder *b = calloc(1, sizeof(*b));
    if (!b) return NULL;
    b->version = 3;
    b->alignment = 32;
    b->pad_tail = 1;
    return b;
}

void gb_free(gb_builder *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n_tensors; i++) free(b->tensors[i].name);
    free(b->tensors);
    free(b->kv_pos);
    free(b->kvs.p);
    free(b);
}

void gb_set_version(gb_builder *b, uint32_t version) { b->version = version; }
void gb_set_alignment(gb_builder *b, uint32_t alignment) { b->alignment = alignment ? alignment : 1; }
void gb_set_pad_tail(gb_builder *b, int pad) { b->pad_tail = pad; }

/* Key and type; the caller appends the value. Returns the kv index. */
static int kv_begin(gb_builder *b, const char *key, size_t key_len, uint32_t type)
{
    if (b->n_kv == b->cap_kv) {
        size_t cap = b->cap_kv ? 2 * b->cap_kv : 16;
        gb_kv_pos *q = realloc(b->kv_pos, cap * sizeof(*q));
        if (!q) return -1;
        b->kv_pos = q;
        b->cap_kv = cap;
    }
    gb_kv_pos *pos = &b->kv_pos[b->n_kv];
    pos->key_len = b->kvs.n;
    pos->key = b->kvs.n + 8;
    buf_str(&b->kvs, key, key_len);
    pos->type = b->kvs.n;
    buf_u32(&b->kvs, type);
    pos->value = b->kvs.n;
    return b->kvs.oom ? -1 : (int)b->n_kv++;
}

static int kv_scalar(gb_builder *b, const char *key, uint32_t type, uint64_t bits)
{
    const int i = kv_begin(b, key, strlen(key), type);
    if (i < 0) return -1;
    uint8_t t[8];
    le_store(t, bits, gb_elem_size[type]);
    buf_put(&b->kvs, t, (size_t)gb_elem_size[type]);
    return b->kvs.oom ? -1 : i;
}

int gb_kv_u8(gb_builder *b, const char *key, uint8_t v) { return kv_scalar(b, key, T_U8, v); }
int gb_kv_i8(gb_builder *b, const char *key, int8_t v) { return kv_scalar(b, key, T_I8, (uint8_t)v); }
int gb_kv_u16(gb_builder *b, const char *key, uint16_t v) { return kv_scalar(b, key, T_U16, v); }
int gb_kv_i16(gb_builder *b, const char *key, int16_t v) { return kv_scalar(b, key, T_I16, (uint16_t)v); }
int gb_kv_u32(gb_builder *b, const char *key, uint32_t v) { return kv_scalar(b, key, T_U32, v); }
int gb_kv_i32(gb_builder *b, const char *key, int32_t v) { return kv_scalar(b, key, T_I32, (uint32_t)v); }
int gb_kv_bool(gb_builder *b, const char *key, int v) { return kv_scalar(b, key, T_BOOL, v != 0); }
int gb_kv_u64(gb_builder *b, const char *key, uint64_t v) { return kv_scalar(b, key, T_U64, v); }
int gb_kv_i64(gb_builder *b, const char *key, int64_t v) { return kv_scalar(b, key, T_I64, (uint64_t)v); }

int gb_kv_f32(gb_builder *b, const char *key, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    return kv_scalar(b, key, T_F32, u);
}

int gb_kv_f64(gb_builder *b, const char *key, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return kv_scalar(b, key, T_F64, u);
}

int gb_kv_strn(gb_builder *b, const char *key, size_t key_len, const char *s, size_t len)
{
    const int i = kv_begin(b, key, key_len, T_STR);
    if (i < 0) return -1;
    buf_str(&b->kvs, s, len);
    return b->kvs.oom ? -1 : i;
}

int gb_kv_str(gb_builder *b, const char *key, const char *s) { return gb_kv_strn(b, key, strlen(key), s, strlen(s)); }

int gb_kv_arr(gb_builder *b, const char *key, uint32_t elem_type, const void *elems, uint64_t count)
{
    const int i = kv_begin(b, key, strlen(key), T_ARR);
    if (i < 0) return -1;
    buf_u32(&b->kvs, elem_type);
    buf_u64(&b->kvs, count);
    const int n = elem_type < T_COUNT ? gb_elem_size[elem_type] : 0;
    const uint8_t *src = elems;
    for (uint64_t k = 0; k < count && n > 0; k++) {
        uint64_t v = 0;
        switch (n) {   /* host order in, little-endian out */
        case 1: v = src[k]; break;
        case 2: { uint16_t x; memcpy(&x, src + 2 * k, 2); v = x; break; }
        case 4: { uint32_t x; memcpy(&x, src + 4 * k, 4); v = x; break; }
        default: memcpy(&v, src + 8 * k, 8); break;
        }
        uint8_t t[8];
        le_store(t, v, n);
        buf_put(&b->kvs, t, (size_t)n);
    }
    return b->kvs.oom ? -1 : i;
}

int gb_kv_arr_str(gb_builder *b, const char *key, const char *const *strs, uint64_t count)
{
    const int i = kv_begin(b, key, strlen(key), T_ARR);
    if (i < 0) return -1;
    buf_u32(&b->kvs, T_STR);
    buf_u64(&b->kvs, count);
    for (uint64_t k = 0; k < count; k++) buf_str(&b->kvs, strs[k], strlen(strs[k]));
    return b->kvs.oom ? -1 : i;
}

int gb_kv_raw(gb_builder *b, const char *key, uint32_t type, const void *value, size_t n)
{
    const int i = kv_begin(b, key, strlen(key), type);
    if (i < 0) return -1;
    buf_put(&b->kvs, value, n);
    return b->kvs.oom ? -1 : i;
}

int gb_tensor_namen(gb_builder *b, const char *name, size_t name_len, uint32_t n_dims, const uint64_t *ne,
                    uint32_t type, uint64_t nbytes)
{
    if (n_dims > GB_MAX_DIMS) return -1;
    if (b->n_tensors == b->cap_tensors) {
        size_t cap = b->cap_tensors ? 2 * b->cap_tensors : 8;
        gb_tensor_def *q = realloc(b->tensors, cap * sizeof(*q));
        if (!q) return -1;
        b->tensors = q;
        b->cap_tensors = cap;
    }
    gb_tensor_def *t = &b->tensors[b->n_tensors];
    memset(t, 0, sizeof(*t));
    t->name = malloc(name_len + 1);
    if (!t->name) return -1;
    memcpy(t->name, name, name_len);
    t->name[name_len] = '\0';
    t->name_len = name_len;
    t->n_dims = n_dims;
    for (uint32_t j = 0; j < n_dims; j++) t->ne[j] = ne[j];
    t->type = type;
    t->nbytes = nbytes;
    return (int)b->n_tensors++;
}

int gb_tensor(gb_builder *b, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t nbytes)
{
    return gb_tensor_namen(b, name, strlen(name), n_dims, ne, type, nbytes);
}

void gb_tensor_offset(gb_builder *b, int tensor, uint64_t offset)
{
    b->tensors[tensor].offset = offset;
    b->tensors[tensor].offset_set = 1;
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

int gb_build(const gb_builder *b, gb_image *img)
{
    memset(img, 0, sizeof(*img));
    if (b->kvs.oom) return -1;
    gb_buf out = { 0 };
    img->n_kv = b->n_kv;
    img->n_tensors = b->n_tensors;
    img->kv = calloc(b->n_kv + 1, sizeof(*img->kv));
    img->tensor = calloc(b->n_tensors + 1, sizeof(*img->tensor));
    if (!img->kv || !img->tensor) goto oom;

    buf_put(&out, "GGUF", 4);
    buf_u32(&out, b->version);
    buf_u64(&out, b->n_tensors);
    buf_u64(&out, b->n_kv);
    const size_t kv_start = out.n;
    buf_put(&out, b->kvs.p, b->kvs.n);
    for (size_t i = 0; i < b->n_kv; i++) {
        const gb_kv_pos *p = &b->kv_pos[i];
        img->kv[i] = (gb_kv_pos){ kv_start + p->key_len, kv_start + p->key, kv_start + p->type, kv_start + p->value };
    }

    /* Offsets: packed and aligned unless set explicitly. */
    uint64_t next = 0, data_size = 0;
    for (size_t i = 0; i < b->n_tensors; i++) {
        const gb_tensor_def *t = &b->tensors[i];
        const uint64_t off = t->offset_set ? t->offset : next;
        img->tensor[i].data_offset = off;
        if (off <= GB_MAX_DATA && t->nbytes <= GB_MAX_DATA - off) {
            next = align_up(off + t->nbytes, b->alignment);
            if (off + t->nbytes > data_size) data_size = off + t->nbytes;
        }
    }

    for (size_t i = 0; i < b->n_tensors; i++) {
        const gb_tensor_def *t = &b->tensors[i];
        gb_tensor_pos *p = &img->tensor[i];
        p->name_len = out.n;
        p->name = out.n + 8;
        buf_str(&out, t->name, t->name_len);
        p->n_dims = out.n;
        buf_u32(&out, t->n_dims);
        p->ne = out.n;
        for (uint32_t j = 0; j < t->n_dims; j++) buf_u64(&out, t->ne[j]);
        p->type = out.n;
        buf_u32(&out, t->type);
        p->offset = out.n;
        buf_u64(&out, p->data_offset);
    }
    img->infos_end = out.n;
    img->data_start = (size_t)align_up(out.n, b->alignment);
    img->data_end = img->data_start + (size_t)data_size;
    const size_t total = b->pad_tail && b->n_tensors ? (size_t)align_up(img->data_end, b->alignment)
                                                     : (b->n_tensors ? img->data_end : out.n);
    static const uint8_t zeros[64];
    while (out.n < total && !out.oom) buf_put(&out, zeros, (total - out.n < sizeof(zeros) ? total - out.n : sizeof(zeros)));
    if (out.oom) goto oom;
    for (size_t i = 0; i < b->n_tensors; i++) {
        const uint64_t off = img->tensor[i].data_offset, n = b->tensors[i].nbytes;
        if (off > GB_MAX_DATA || n > GB_MAX_DATA - off) continue;
        for (uint64_t k = 0; k < n; k++) out.p[img->data_start + off + k] = gb_data_byte((int)i, k);
    }
    img->data = out.p;
    img->size = out.n;
    return 0;
oom:
    free(out.p);
    gb_image_free(img);
    return -1;
}

void gb_image_free(gb_image *img)
{
    free(img->data);
    free(img->kv);
    free(img->tensor);
    memset(img, 0, sizeof(*img));
}

void gb_put_u8(gb_image *img, size_t off, uint8_t v) { img->data[off] = v; }
void gb_put_u32(gb_image *img, size_t off, uint32_t v) { le_store(img->data + off, v, 4); }
void gb_put_u64(gb_image *img, size_t off, uint64_t v) { le_store(img->data + off, v, 8); }

int gb_write_file(const gb_image *img, size_t size, const char *path)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    const size_t n = size < img->size ? size : img->size;
    const int ok = fwrite(img->data, 1, n, fp) == n;
    return (fclose(fp) == 0 && ok) ? 0 : -1;
}
