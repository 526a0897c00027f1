/* version.c - runtime version of the library. */
#include "llamazip.h"

unsigned llamazip_version_number(void) { return LLAMAZIP_VERSION_NUMBER; }
const char *llamazip_version_string(void) { return LLAMAZIP_VERSION_STRING; }
