/* fileio.c - see fileio.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

#include "cli_signals.h"
#include "fileio.h"

#define TEMP_BASENAME ".llz-XXXXXX" /* short: any output name up to NAME_MAX keeps its temporary file legal */

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
        if (ferror(f)) { int e = errno ? errno : EIO; free(buf); return e; }
        if (feof(f)) break; /* not another read: on a terminal, Ctrl+D ends the input once */
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

/* ---------------------------------------------------------------- inputs */

static void id_of(const struct stat *sb, fio_id *id)
{
    id->known = 1;
    id->dev = sb->st_dev;
    id->ino = sb->st_ino;
}

int fio_check_input(const char *path, fio_id *id, fio_meta *meta)
{
    memset(id, 0, sizeof(*id));
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* O_NONBLOCK: a FIFO must not block the check */
    if (fd < 0) return errno;
    struct stat sb;
    int e = fstat(fd, &sb) == 0 ? 0 : errno;
    if (!e && S_ISDIR(sb.st_mode)) e = EISDIR;
    if (!e && S_ISREG(sb.st_mode)) { /* a file that opens but cannot be read (EIO); /proc files say size 0 */
        char c;
        if (read(fd, &c, 1) < 0) e = errno;
    }
    close(fd);
    if (e) return e;
    id_of(&sb, id);
    if (meta) {
        meta->mode = sb.st_mode;
        meta->uid = sb.st_uid;
        meta->gid = sb.st_gid;
        meta->atime = sb.st_atim;
        meta->mtime = sb.st_mtim;
    }
    return 0;
}

void fio_stdin_id(fio_id *id)
{
    struct stat sb;
    memset(id, 0, sizeof(*id));
    if (fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode)) id_of(&sb, id);
}

/* ---------------------------------------------------------------- output checks */

static int is_input(const struct stat *sb, const fio_id *inputs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (inputs[i].known && inputs[i].dev == sb->st_dev && inputs[i].ino == sb->st_ino) return 1;
    return 0;
}

/* The directory part of path ("" for a bare name), with its trailing slash. */
static char *dir_prefix(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) + 1 : 0;
    char *d = malloc(n + sizeof(TEMP_BASENAME));
    if (!d) return NULL;
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

static int dir_writable(const char *path)
{
    char *d = dir_prefix(path);
    if (!d) return ENOMEM;
    int e = faccessat(AT_FDCWD, d[0] ? d : ".", W_OK | X_OK, AT_EACCESS) == 0 ? 0 : errno;
    free(d);
    return e;
}

static int refuse(int *refused, int e)
{
    *refused = 1;
    return e;
}

int fio_check_output(const char *path, int force, const fio_id *inputs, size_t n_inputs, fio_out_kind *kind,
                     int *refused, char *msg, size_t msg_size)
{
    *refused = 0;
    *kind = FIO_OUT_NEW;
    struct stat target, link;
    int target_ok = stat(path, &target) == 0;
    if (target_ok && is_input(&target, inputs, n_inputs)) {
        snprintf(msg, msg_size, "%s: refusing to overwrite the input file", path);
        return refuse(refused, EINVAL);
    }
    int e = 0;
    if (lstat(path, &link) != 0) {
        e = errno;
        if (e == ENOENT) e = dir_writable(path);
    } else if (target_ok && !S_ISREG(target.st_mode) && !S_ISDIR(target.st_mode)) {
        *kind = FIO_OUT_SPECIAL; /* a FIFO or device, or a link to one: written into, never replaced */
        return 0;
    } else if (!force) { /* a file, a directory, or a symbolic link (even a dangling one) */
        snprintf(msg, msg_size, "%s: already exists (use --force to overwrite)", path);
        return refuse(refused, EEXIST);
    } else if (!S_ISLNK(link.st_mode) && S_ISDIR(link.st_mode)) {
        snprintf(msg, msg_size, "%s: is a directory", path);
        return EISDIR;
    } else {
        *kind = FIO_OUT_REPLACE;
        e = dir_writable(path);
    }
    if (e) snprintf(msg, msg_size, "%s: %s", path, strerror(e));
    return e;
}

/* ---------------------------------------------------------------- atomic writes */

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

/* The input's mode, owner (when allowed) and times; a new file's mode without one. */
static int apply_meta(int fd, const fio_meta *meta)
{
    if (!meta) {
        mode_t mask = umask(0);
        umask(mask);
        return fchmod(fd, 0666 & ~mask) == 0 ? 0 : errno;
    }
    /* best effort: only root may give the file away; others keep the group if they belong to it */
    if (fchown(fd, geteuid() == 0 ? meta->uid : (uid_t)-1, meta->gid) != 0) { /* keep our own */ }
    if (fchmod(fd, meta->mode & 0777) != 0) return errno;
    const struct timespec times[2] = { meta->atime, meta->mtime };
    return futimens(fd, times) == 0 ? 0 : errno;
}

/* Rename tmp over path. Without force, never over a file that appeared
 * since the check (RENAME_NOREPLACE where the file system has it). */
static int publish(const char *tmp, const char *path, int force)
{
#ifdef RENAME_NOREPLACE
    if (!force) {
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) return 0;
        if (errno != EINVAL && errno != ENOSYS) return errno;
        struct stat sb;
        if (lstat(path, &sb) == 0) return EEXIST;
    }
#endif
    return rename(tmp, path) == 0 ? 0 : errno;
}

int fio_out_open(fio_out *o, const char *path, int force, const fio_id *inputs, size_t n_inputs, int *refused,
                 char *msg, size_t msg_size)
{
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    o->path = path;
    o->force = force;
    fio_out_kind kind;
    int e = fio_check_output(path, force, inputs, n_inputs, &kind, refused, msg, msg_size);
    if (e) return e;
    if (kind == FIO_OUT_SPECIAL) {   /* a FIFO or device: written into, never replaced */
        o->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0) {
            e = errno;
            snprintf(msg, msg_size, "%s: %s", path, strerror(e));
        }
        return e;
    }
    o->tmp = dir_prefix(path);
    if (!o->tmp) {
        snprintf(msg, msg_size, "out of memory");
        return ENOMEM;
    }
    strcat(o->tmp, TEMP_BASENAME);
    sigset_t saved;
    sig_block(&saved);
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd >= 0) sig_set_temp(o->tmp);
    sig_restore(&saved);
    if (o->fd < 0) {
        e = errno;
        snprintf(msg, msg_size, "%s: cannot create a temporary file: %s", path, strerror(e));
        free(o->tmp);
        o->tmp = NULL;
    }
    return e;
}

int fio_out_write(fio_out *o, const uint8_t *data, size_t len)
{
    if (o->error) return o->error;
    return o->error = write_all(o->fd, data, len);
}

int fio_out_finish(fio_out *o, int ok, const fio_meta *meta, int *refused, char *msg, size_t msg_size)
{
    int e = ok ? o->error : 0;
    if (!o->tmp) {   /* written into a FIFO or device */
        if (o->fd >= 0 && close(o->fd) != 0 && !e) e = errno;
        if (e && ok) snprintf(msg, msg_size, "%s: %s", o->path, strerror(e));
        return ok ? e : 0;
    }
    if (ok && !e) e = apply_meta(o->fd, meta);
    if (ok && !e && fsync(o->fd) != 0) e = errno;
    if (close(o->fd) != 0 && !e) e = errno;
    sigset_t saved;
    sig_block(&saved);
    if (ok && !e) e = publish(o->tmp, o->path, o->force);
    if (!ok || e) unlink(o->tmp);
    sig_set_temp(NULL);
    sig_restore(&saved);
    if (ok && e == EEXIST) {
        *refused = 1;
        snprintf(msg, msg_size, "%s: already exists (use --force to overwrite)", o->path);
    } else if (ok && e) {
        snprintf(msg, msg_size, "%s: %s", o->path, strerror(e));
    }
    free(o->tmp);
    o->tmp = NULL;
    return ok ? e : 0;
}

int fio_write_atomic(const char *path, const uint8_t *data, size_t len, int force, const fio_id *inputs,
                     size_t n_inputs, const fio_meta *meta, int *refused, char *msg, size_t msg_size)
{
    fio_out o;
    int e = fio_out_open(&o, path, force, inputs, n_inputs, refused, msg, msg_size);
    if (e) return e;
    fio_out_write(&o, data, len);
    return fio_out_finish(&o, 1, meta, refused, msg, msg_size);
}
