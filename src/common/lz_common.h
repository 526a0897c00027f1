/*
 * lz_common.h - internal basics shared by every module: error reporting,
 * checked arithmetic, small helpers. Depends on nothing but libc.
 *
 * Errors: internal functions return an int status, 0 on success or one of
 * the public LLAMAZIP_E_* codes, and describe the failure in an lz_err that
 * the caller passes in (may be NULL). Nothing in the library exits or aborts
 * on bad input.
 */
#ifndef LZ_COMMON_H
#define LZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#include "llamazip.h"

/* Every module reads little-endian GGUF and archive bytes as host values:
 * a big-endian target is refused here, at build time (the run-time check
 * is lz_platform_check, common/platform.h). */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#  error "llama-zip needs a little-endian target: GGUF files and archives are little-endian (doc/determinism.md)"
#endif

#define LZ_ERR_MSG_MAX 512

typedef struct lz_err {
    int code;                  /* LLAMAZIP_OK or LLAMAZIP_E_* */
    char msg[LZ_ERR_MSG_MAX];  /* human-readable, no trailing newline */
} lz_err;

/* Record an error (printf-style message) and return `code`, so that
 * callers can write `return lz_fail(err, LLAMAZIP_E_GGUF, "...")`.
 * `err` may be NULL. */
int lz_fail(lz_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefix the existing message with context: "context: old message". */
void lz_err_context(lz_err *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

void lz_err_clear(lz_err *err);

/* Checked arithmetic: return 0 on success, 1 on overflow. */
static inline int lz_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (a != 0 && b > UINT64_MAX / a) return 1;
    *out = a * b;
    return 0;
}
static inline int lz_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    if (b > UINT64_MAX - a) return 1;
    *out = a + b;
    return 0;
}

#define LZ_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LZ_MAX(a, b) ((a) > (b) ? (a) : (b))
#define LZ_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Little-endian loads/stores that are safe on any alignment and host. */
static inline uint16_t lz_rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t lz_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t lz_rd64(const uint8_t *p) { return (uint64_t)lz_rd32(p) | ((uint64_t)lz_rd32(p + 4) << 32); }
static inline void lz_wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void lz_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void lz_wr64(uint8_t *p, uint64_t v) { lz_wr32(p, (uint32_t)v); lz_wr32(p + 4, (uint32_t)(v >> 32)); }

/* Monotonic wall clock in seconds (timing statistics and progress only). */
double lz_now_seconds(void);

/* Aligned allocation (64 bytes) for activations and scratch; free with lz_free_aligned. */
void *lz_malloc_aligned(size_t size);
void lz_free_aligned(void *p);

#endif /* LZ_COMMON_H */
