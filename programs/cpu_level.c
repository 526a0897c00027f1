/* cpu_level.c - $LLAMAZIP_CPU -> llamazip_ctx_params.cpu_level (see cpu_level.h). */
#include "cpu_level.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamazip.h"

int lz_cli_cpu_level(void)
{
    static const struct { const char *name; int level; } levels[] = {
        { "scalar", LLAMAZIP_CPU_SCALAR }, { "avx2", LLAMAZIP_CPU_AVX2 },
        { "avx512", LLAMAZIP_CPU_AVX512 }, { "neon", LLAMAZIP_CPU_NEON },
    };
    const char *env = getenv("LLAMAZIP_CPU");
    if (!env || !*env) return LLAMAZIP_CPU_AUTO;
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (!strcmp(env, levels[i].name)) return levels[i].level;
    fprintf(stderr, "llama-zip: warning: LLAMAZIP_CPU=%s not understood (scalar, avx2, avx512 or neon): "
                    "using the best level\n", env);
    return LLAMAZIP_CPU_AUTO;
}
