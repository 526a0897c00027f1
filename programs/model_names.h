/* model_names.h - the models llama-zip knows by name (policy of the
 * program: the library takes a path only).
 *
 * The same table is in tools/fetch_model.py (which fetches them: `make
 * model MODEL=NAME`) and python/llama_zip/_defaults.py;
 * tests/python/test_models.py checks that the three agree. The fingerprints
 * let --list and the "archive made with another model" error name the model
 * of an archive. */
#ifndef LZ_CLI_MODEL_NAMES_H
#define LZ_CLI_MODEL_NAMES_H

#include <stdint.h>

typedef struct {
    const char *name;          /* "smollm2-135m" */
    const char *file;          /* its file name in a models directory */
    uint64_t size;             /* bytes (sha256 pinned in tools/fetch_model.py) */
    const char *licence;
    const char *what;          /* one line: model, quantization, architecture, tokenizer */
    uint64_t fingerprint2;     /* format 2 archives (the compact form keeps the low 16 bits) */
    uint64_t fingerprint1;     /* format 1 archives */
} lz_known_model;

/* The known models, in --list-models order; the first is the default. */
extern const lz_known_model lz_known_models[];
extern const int lz_n_known_models;

/* The model of that name, or NULL. */
const lz_known_model *lz_known_model_by_name(const char *name);

/* The model an archive's model id (llamazip_archive_info: version, model_id,
 * model_id_bits) designates, or NULL when it is none of the known ones. */
const lz_known_model *lz_known_model_by_id(int version, uint64_t id, int bits);

#endif
