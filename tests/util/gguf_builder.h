/*
 * gguf_builder.h - build GGUF images in memory, valid or deliberately broken,
 * for tests and fuzz seeds. Depends only on libc.
 *
 * Use:
 *     gb_builder *b = gb_new();
 *     gb_kv_str(b, "general.architecture", "gemma3");
 *     gb_kv_u32(b, "gemma3.block_count", 2);
 *     uint64_t ne[2] = {64, 4};
 *     gb_tensor(b, "blk.0.attn_q.weight", 2, ne, 0, 64 * 4 * 4);   // F32
 *     gb_image img;
 *     gb_build(b, &img);            // img.data / img.size: the file bytes
 *     gb_put_u64(&img, img.tensor[0].ne + 8, 0);   // corrupt: ne[1] = 0
 *     ... gguf_open_memory(img.data, img.size, ...) ...
 *     gb_image_free(&img); gb_free(b);
 *
 * The builder writes whatever it is given (unknown type codes, 8 dims, empty
 * or over-long names, overlapping offsets): checking is the reader's job.
 * Hooks to break a file:
 *  - settings: gb_set_version, gb_set_alignment (layout only: add the
 *    general.alignment key yourself), gb_set_pad_tail;
 *  - gb_kv_raw: any type code followed by any value bytes (nested arrays,
 *    unknown types, lying lengths);
 *  - gb_tensor_offset: an explicit offset instead of the packed one;
 *  - after gb_build, the gb_image records where every field of the header,
 *    each key/value and each tensor info was written, so a test can patch
 *    any of them (gb_put_u32 / gb_put_u64) or cut the image short.
 *
 * Layout written: header; key/values in insertion order; tensor infos;
 * zeros up to the layout alignment (data section start); tensor data. By
 * default each tensor is placed at the next aligned offset after the
 * previous one and filled with gb_data_byte(tensor, i); the file ends with
 * zero padding to the alignment (as gguf-py and ggml write it) unless
 * gb_set_pad_tail(b, 0). Data that would lie beyond GB_MAX_DATA bytes of the
 * data section is not written (so a test can set a huge offset).
 */
#ifndef GGUF_BUILDER_H
#define GGUF_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#define GB_MAX_DIMS 8                    /* more than GGUF allows, to test rejection */
#define GB_MAX_DATA ((uint64_t)1 << 26)  /* largest data section actually written */

/* Byte offsets of the header fields. */
#define GB_OFF_MAGIC 0
#define GB_OFF_VERSION 4
#define GB_OFF_N_TENSORS 8
#define GB_OFF_N_KV 16

typedef struct gb_builder gb_builder;

gb_builder *gb_new(void);                  /* GGUF v3, alignment 32, tail padded; NULL if out of memory */
void gb_free(gb_builder *b);

void gb_set_version(gb_builder *b, uint32_t version);
void gb_set_alignment(gb_builder *b, uint32_t alignment);   /* power of two; layout only */
void gb_set_pad_tail(gb_builder *b, int pad);

/* ---- key/values: each returns the pair's index (insertion order), -1 if out of memory */
int gb_kv_u8(gb_builder *b, const char *key, uint8_t v);
int gb_kv_i8(gb_builder *b, const char *key, int8_t v);
int gb_kv_u16(gb_builder *b, const char *key, uint16_t v);
int gb_kv_i16(gb_builder *b, const char *key, int16_t v);
int gb_kv_u32(gb_builder *b, const char *key, uint32_t v);
int gb_kv_i32(gb_builder *b, const char *key, int32_t v);
int gb_kv_f32(gb_builder *b, const char *key, float v);
int gb_kv_bool(gb_builder *b, const char *key, int v);
int gb_kv_u64(gb_builder *b, const char *key, uint64_t v);
int gb_kv_i64(gb_builder *b, const char *key, int64_t v);
int gb_kv_f64(gb_builder *b, const char *key, double v);
int gb_kv_str(gb_builder *b, const char *key, const char *s);
int gb_kv_strn(gb_builder *b, const char *key, size_t key_len, const char *s, size_t len);  /* any bytes */
/* Array of fixed-size elements: `elems` holds `count` values in host order
 * (uint8_t[], int32_t[], float[], ... matching elem_type); bool = uint8_t. */
int gb_kv_arr(gb_builder *b, const char *key, uint32_t elem_type, const void *elems, uint64_t count);
int gb_kv_arr_str(gb_builder *b, const char *key, const char *const *strs, uint64_t count);
/* Key, then the u32 `type`, then `n` raw value bytes, exactly as given. */
int gb_kv_raw(gb_builder *b, const char *key, uint32_t type, const void *value, size_t n);

/* ---- tensors: returns the tensor's index, -1 on error (n_dims > GB_MAX_DIMS, out of memory).
 * `nbytes` data bytes are reserved (the builder does not know type sizes). */
int gb_tensor(gb_builder *b, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type,
              uint64_t nbytes);
int gb_tensor_namen(gb_builder *b, const char *name, size_t name_len, uint32_t n_dims, const uint64_t *ne,
                    uint32_t type, uint64_t nbytes);
void gb_tensor_offset(gb_builder *b, int tensor, uint64_t offset);
/* The byte the builder writes at position i of tensor t's data. */
static inline uint8_t gb_data_byte(int t, uint64_t i) { return (uint8_t)(t * 31 + i * 7 + 1); }

/* ---- serialised image */
typedef struct {
    size_t key_len, key, type, value;   /* value: first byte after the type field */
} gb_kv_pos;

typedef struct {
    size_t name_len, name, n_dims, ne, type, offset; /* ne: first dimension; ne[j] at ne + 8 j */
    uint64_t data_offset;                            /* relative to the data section */
} gb_tensor_pos;

typedef struct {
    uint8_t *data;
    size_t size;
    size_t n_kv, n_tensors;
    gb_kv_pos *kv;
    gb_tensor_pos *tensor;
    size_t infos_end;     /* end of the last tensor info */
    size_t data_start;    /* start of the data section (aligned) */
    size_t data_end;      /* end of the last tensor's data (before tail padding) */
} gb_image;

/* Serialise. @return 0, or -1 if out of memory. */
int gb_build(const gb_builder *b, gb_image *img);
void gb_image_free(gb_image *img);

/* Patch a little-endian field of a built image (off + width must be <= size). */
void gb_put_u8(gb_image *img, size_t off, uint8_t v);
void gb_put_u32(gb_image *img, size_t off, uint32_t v);
void gb_put_u64(gb_image *img, size_t off, uint64_t v);

/* Write the image (or its first `size` bytes) to a file. @return 0 or -1. */
int gb_write_file(const gb_image *img, size_t size, const char *path);

#endif /* GGUF_BUILDER_H */
