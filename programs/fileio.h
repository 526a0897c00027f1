/* fileio.h - whole-file reads, output checks made before any work, and
 * atomic, non-clobbering writes for the CLI. */
#ifndef LLAMAZIP_FILEIO_H
#define LLAMAZIP_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Which file an input is (device and inode), to refuse writing over it. */
typedef struct {
    int known;
    dev_t dev;
    ino_t ino;
} fio_id;

/* An input file's permissions, owner and times, given to its output
 * (as gzip and zstd do). */
typedef struct {
    mode_t mode;
    uid_t uid;
    gid_t gid;
    struct timespec atime, mtime;
} fio_meta;

/* Read everything from a stream / a path. Returns 0 or an errno value. */
int fio_read_stream(FILE *f, uint8_t **data, size_t *len);
int fio_read_path(const char *path, uint8_t **data, size_t *len);

/* Whether `path` can be read as an input: it opens and is not a directory.
 * Fills its identity and metadata. Returns 0 or an errno value. */
int fio_check_input(const char *path, fio_id *id, fio_meta *meta);

/* The identity of standard input (known only for a regular file). */
void fio_stdin_id(fio_id *id);

/* How an output path will be written. */
typedef enum {
    FIO_OUT_NEW,       /* a new file (temporary file + rename) */
    FIO_OUT_REPLACE,   /* replaces an existing file or symbolic link (--force) */
    FIO_OUT_SPECIAL,   /* an existing FIFO or device (or a link to one): written into, never replaced */
} fio_out_kind;

/* Check, before any work, that `path` can be written: it is none of the
 * inputs (compared by device and inode, through links, even with force),
 * nothing exists there unless `force` (a dangling symbolic link counts as
 * existing), it is not a directory, its name fits, and its directory can
 * be written. Returns 0, or an errno value with a message in msg: EEXIST,
 * EINVAL (an input) and EISDIR-without-force are refusals the user fixes
 * on the command line (*refused = 1); others (ENOENT, EACCES, EROFS,
 * ENAMETOOLONG, EISDIR with force...) are I/O errors. */
int fio_check_output(const char *path, int force, const fio_id *inputs, size_t n_inputs, fio_out_kind *kind,
                     int *refused, char *msg, size_t msg_size);

/* Write `len` bytes to `path` atomically: a temporary file with a short
 * random name in the same directory (so any name up to NAME_MAX works),
 * written, given `meta`'s mode, owner and times (or the default mode for a
 * new file when meta is NULL), flushed to disk and renamed over `path`.
 * Without `force` the rename never replaces a file that appeared since the
 * check. The output checks above are repeated first. On any failure, or a
 * signal (cli_signals.h), nothing is left behind. Returns 0 or an errno
 * value with a message in msg (*refused as for fio_check_output). */
int fio_write_atomic(const char *path, const uint8_t *data, size_t len, int force, const fio_id *inputs,
                     size_t n_inputs, const fio_meta *meta, int *refused, char *msg, size_t msg_size);

/* The same, piece by piece, for outputs too large to hold: open (the
 * checks, then the temporary file), write any number of times, then finish:
 * with ok, give `meta` and rename; without, remove the temporary file. A
 * FIFO or device is written into directly. Each returns 0 or an errno
 * value (with a message in msg for open and finish). */
typedef struct {
    const char *path;
    char *tmp;          /* the temporary file; NULL when writing into a FIFO or device */
    int fd;
    int force;
    int error;          /* the first write error */
} fio_out;

int fio_out_open(fio_out *o, const char *path, int force, const fio_id *inputs, size_t n_inputs, int *refused,
                 char *msg, size_t msg_size);
int fio_out_write(fio_out *o, const uint8_t *data, size_t len);
int fio_out_finish(fio_out *o, int ok, const fio_meta *meta, int *refused, char *msg, size_t msg_size);

/* Write to a stream fully; returns 0 or errno. */
int fio_write_stream(FILE *f, const uint8_t *data, size_t len);

#endif
