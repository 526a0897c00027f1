/*
 * fingerprint.h - the model fingerprints archives record (doc/format.md).
 */
#ifndef LZ_FINGERPRINT_H
#define LZ_FINGERPRINT_H

#include <stdint.h>

#include "common/lz_common.h"
#include "gguf/gguf.h"

/* Both definitions at once (one pass over the tensor data). */
int lz_fingerprints(const gguf_file *f, uint64_t *v1, uint64_t *v2, lz_err *err);

#endif /* LZ_FINGERPRINT_H */
