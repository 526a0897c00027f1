/* model_path.h - where the program looks for the default model (policy of
 * the program, not of the library: llamazip_model_load takes a path only). */
#ifndef LZ_CLI_MODEL_PATH_H
#define LZ_CLI_MODEL_PATH_H

#include <stddef.h>

#define LZ_CLI_DEFAULT_MODEL_NAME "gemma-3-270m-q4_k_m.gguf"

/* The default model file, written into buf, or NULL when none is found.
 * Order (README.md, "Where the default model is found"; the Python package
 * follows the same order):
 *   1. $LLAMAZIP_MODEL (a file; used even if missing, so the load says why)
 *   2. <program dir>/../models: the source tree's models/ for a program run
 *      from its build directory (build/llama-zip)
 *   3. $XDG_DATA_HOME/llama-zip/models (default ~/.local/share/llama-zip/models)
 *   4. <program dir>/../share/llama-zip/models: the prefix the program is
 *      installed in (make install PREFIX=...), found at run time, so a copy
 *      moved elsewhere with its prefix still finds its model
 *   5. each DIR of $XDG_DATA_DIRS (default /usr/local/share:/usr/share): DIR/llama-zip/models
 * Nothing is compiled in. */
const char *lz_cli_default_model(char *buf, size_t size);

#endif
