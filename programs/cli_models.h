/* cli_models.h - llama-zip --list-models, and the names of the models
 * behind an "archive made with another model" error. */
#ifndef LLAMAZIP_CLI_MODELS_H
#define LLAMAZIP_CLI_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "llamazip.h"

/* Print the known models: name, size, licence, where installed; returns the exit status. */
int cli_list_models(void);

/* The message for a failed decompression of the archives in arc with the
 * loaded model: the library's message, and when the error is a model
 * mismatch (the library's message names both fingerprints), the names of
 * the archive's model and of the loaded one where their fingerprints are
 * those of known models (model_names.h). Written into buf. */
void cli_decode_error(char *buf, size_t size, llamazip_status rc, const char *lib_msg, const llamazip_model *model,
                      const uint8_t *arc, size_t arc_len);

#endif
