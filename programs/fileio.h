/* fileio.h - whole-file reads and atomic, non-clobbering writes for the CLI. */
#ifndef LLAMAZIP_FILEIO_H
#define LLAMAZIP_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Read everything from a stream / a path. Returns 0 or an errno value. */
int fio_read_stream(FILE *f, uint8_t **data, size_t *len);
int fio_read_path(const char *path, uint8_t **data, size_t *len);

/* Write `len` bytes to `path` atomically: a temporary file in the same
 * directory, fsync, then rename. Refuses to replace an existing file unless
 * `force`, and never replaces `protect` (the input file) even with force.
 * On any failure nothing is left behind. Returns 0, or an errno value
 * (EEXIST when the target exists and !force; EINVAL for target == input),
 * with a message in msg. */
int fio_write_atomic(const char *path, const uint8_t *data, size_t len, int force, const char *protect,
                     char *msg, size_t msg_size);

/* Write to a stream fully; returns 0 or errno. */
int fio_write_stream(FILE *f, const uint8_t *data, size_t len);

#endif
