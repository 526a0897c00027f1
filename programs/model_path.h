/* model_path.h - where the program finds its model: a path, a known name
 * (model_names.h) or the default (policy of the program, not of the
 * library: llamazip_model_load takes a path only). */
#ifndef LZ_CLI_MODEL_PATH_H
#define LZ_CLI_MODEL_PATH_H

#include <stddef.h>

/* The file FILE (a known model's file name) in the models directories, in
 * this order (README.md, "Where the model is found"; the Python package
 * follows the same order), written into buf, or NULL when it is in none:
 *   1. <program dir>/../models: the source tree's models/ for a program run
 *      from its build directory (build/llama-zip)
 *   2. $XDG_DATA_HOME/llama-zip/models (default ~/.local/share/llama-zip/models)
 *   3. <program dir>/../share/llama-zip/models: the prefix the program is
 *      installed in (make install PREFIX=...), found at run time, so a copy
 *      moved elsewhere with its prefix still finds its model
 *   4. each DIR of $XDG_DATA_DIRS (default /usr/local/share:/usr/share): DIR/llama-zip/models
 * Nothing is compiled in. */
const char *lz_cli_find_model(const char *file, char *buf, size_t size);

typedef enum {
    LZ_MODEL_FOUND,          /* buf holds the path (perhaps of a missing file: the load says why) */
    LZ_MODEL_NOT_FOUND,      /* no model given and the default model is in no directory */
    LZ_MODEL_NOT_INSTALLED   /* a known name whose file is in no directory */
} lz_model_where;

/* The model ARG designates (LLM_PATH, --model): a known name (unless a
 * file of that name exists) is looked for in the directories above; any
 * other text is a path. Without ARG: $LLAMAZIP_MODEL (a name or a path,
 * taken the same way), else the default model (the first known one) in the
 * directories above. *name is the known name, or NULL for a path. */
lz_model_where lz_cli_resolve_model(const char *arg, char *buf, size_t size, const char **name);

#endif
