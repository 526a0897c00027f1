/* endian_probe.c - make check-endian compiles this for big-endian targets
 * (clang --target=aarch64_be-linux-gnu, powerpc64-linux-gnu), where the
 * #error of common/lz_common.h must stop it, and for aarch64 (little-endian),
 * where it must compile: the build-time refusal of a big-endian host. */
#include "common/lz_common.h"

int lz_endian_probe(void);
int lz_endian_probe(void) { return LZ_ERR_MSG_MAX; }
