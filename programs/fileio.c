/* fileio.c - see fileio.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "fileio.h"

int fio_read_stream(FILE *f, uint8_t **data, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) return ENOMEM;
    for (;;) {
        if (n == cap) {
            uint8_t *p = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!p) { free(buf); return ENOMEM; }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) { int e = errno ? errno : EIO; free(buf); return e; }
            break;
        }
    }
    *data = buf;
    *len = n;
    return 0;
}

int fio_read_path(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return errno;
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) { fclose(f); return EISDIR; }
    int rc = fio_read_stream(f, data, len);
    fclose(f);
    return rc;
}

int fio_write_stream(FILE *f, const uint8_t *data, size_t len)
{
    if (len && fwrite(data, 1, len, f) != len) return errno ? errno : EIO;
    if (fflush(f) != 0) return errno ? errno : EIO;
    return 0;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Give a finished temporary file the permissions a new file would get. */
static void chmod_default(const char *path)
{
    mode_t mask = umask(0);
    umask(mask);
    (void)chmod(path, 0666 & ~mask);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int write_special(const char *path, const uint8_t *data, size_t len, char *msg, size_t msg_size)
{
    int fd = open(path, O_WRONLY);
    int e = fd < 0 ? errno : write_all(fd, data, len);
    if (fd >= 0 && close(fd) != 0 && !e) e = errno;
    if (e) snprintf(msg, msg_size, "%s: %s", path, strerror(e));
    return e;
}

int fio_write_atomic(const char *path, const uint8_t *data, size_t len, int force, const char *protect,
                     char *msg, size_t msg_size)
{
    if (same_file(path, protect)) {
        snprintf(msg, msg_size, "%s: refusing to overwrite the input file", path);
        return EINVAL;
    }
    struct stat sb;
    if (stat(path, &sb) == 0) {
        if (!force) {
            snprintf(msg, msg_size, "%s: already exists (use --force to overwrite)", path);
            return EEXIST;
        }
        if (S_ISDIR(sb.st_mode)) {
            snprintf(msg, msg_size, "%s: is a directory", path);
            return EISDIR;
        }
        if (!S_ISREG(sb.st_mode)) /* a FIFO or device: write into it, never replace it */
            return write_special(path, data, len, msg, msg_size);
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) { snprintf(msg, msg_size, "out of memory"); return ENOMEM; }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        snprintf(msg, msg_size, "%s: cannot create a temporary file: %s", path, strerror(e));
        free(tmp);
        return e;
    }
    int e = write_all(fd, data, len);
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e) chmod_default(tmp); /* mkstemp made it 0600; best effort */
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        snprintf(msg, msg_size, "%s: %s", path, strerror(e));
        unlink(tmp);
    }
    free(tmp);
    return e;
}
