/* error.c - lz_err helpers and the public status strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lz_common.h"

int lz_fail(lz_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void lz_err_context(lz_err *err, const char *fmt, ...)
{
    if (!err) return;
    char prefix[LZ_ERR_MSG_MAX / 2 - 8];
    char old[LZ_ERR_MSG_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old)); /* keeps the head; long messages are cut */
    old[sizeof(old) - 1] = '\0';
    snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void lz_err_clear(lz_err *err)
{
    if (!err) return;
    err->code = LLAMAZIP_OK;
    err->msg[0] = '\0';
}

double lz_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void *lz_malloc_aligned(size_t size)
{
    void *p = NULL;
    if (size == 0) size = 64;
    size = (size + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, size) != 0) return NULL;
    return p;
}

void lz_free_aligned(void *p) { free(p); }

const char *llamazip_status_name(int code)
{
    switch (code) {
#define LZ_STATUS_MESSAGE_CASE(name, value, message, python_exception) \
    case LLAMAZIP_##name: return message;
    LLAMAZIP_STATUS_LIST(LZ_STATUS_MESSAGE_CASE)
#undef LZ_STATUS_MESSAGE_CASE
    default: return "unknown error";
    }
}
