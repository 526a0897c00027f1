/* version.c - runtime version and ABI of the library. */
#include "llamazip.h"

unsigned llamazip_version_number(void) { return LLAMAZIP_VERSION_NUMBER; }
const char *llamazip_version_string(void) { return LLAMAZIP_VERSION_STRING; }
unsigned llamazip_abi_version(void) { return LLAMAZIP_ABI_VERSION; }

size_t llamazip_struct_size(int which)
{
    switch (which) {
    case LLAMAZIP_STRUCT_MODEL_PARAMS: return sizeof(llamazip_model_params);
    case LLAMAZIP_STRUCT_CTX_PARAMS: return sizeof(llamazip_ctx_params);
    case LLAMAZIP_STRUCT_PROGRESS: return sizeof(llamazip_progress);
    case LLAMAZIP_STRUCT_STATS: return sizeof(llamazip_stats);
    default: return 0;
    }
}
