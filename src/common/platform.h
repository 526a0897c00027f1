/*
 * platform.h - what the host must provide for bit-exact coding, refused
 * cleanly where it does not (doc/determinism.md, "Platform rules"):
 *
 *  - little-endian byte order: GGUF files and archives are little-endian
 *    and are read by loading their bytes as host integers and floats, so a
 *    big-endian host would silently compute wrong results. Refused at build
 *    time (#error in lz_common.h, which every file includes) and at run time.
 *  - the default floating-point environment: rounding to nearest even, and
 *    subnormals kept (no flush-to-zero, no denormals-are-zero: x86 MXCSR
 *    FTZ/DAZ, AArch64 FPCR.FZ). A caller (or a library it loaded, or a
 *    startup file linked by unsafe math options) that changed them would make the logits, and
 *    so the archive, differ from every other machine's.
 */
#ifndef LZ_PLATFORM_H
#define LZ_PLATFORM_H

#include "lz_common.h"

/* 0 when this thread's byte order and floating-point environment are the
 * ones the coding path needs; otherwise LLAMAZIP_E_USAGE with the reason
 * in err (nothing is changed: the caller's environment is the caller's). */
int lz_platform_check(lz_err *err);

#endif /* LZ_PLATFORM_H */
