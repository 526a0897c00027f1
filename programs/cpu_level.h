/* cpu_level.h - $LLAMAZIP_CPU, the program's way to pick a lower kernel level
 * (for comparisons and tests; every level gives the same archive). */
#ifndef LZ_CLI_CPU_LEVEL_H
#define LZ_CLI_CPU_LEVEL_H

/* The llamazip_cpu_level for $LLAMAZIP_CPU (scalar, avx2, avx512, neon);
 * LLAMAZIP_CPU_AUTO when unset, or, with a warning on stderr, when not understood. */
int lz_cli_cpu_level(void);

#endif
