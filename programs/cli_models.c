/* cli_models.c - see cli_models.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_models.h"
#include "model_names.h"
#include "model_path.h"

int cli_list_models(void)
{
    printf("%-14s %9s  %-18s  %s\n", "NAME", "SIZE", "LICENCE", "INSTALLED");
    for (int i = 0; i < lz_n_known_models; i++) {
        const lz_known_model *m = &lz_known_models[i];
        char path[4096];
        const char *found = lz_cli_find_model(m->file, path, sizeof(path));
        printf("%-14s %5.1f MiB  %-18s  ", m->name, m->size / 1048576.0, m->licence);
        if (found) printf("%s\n", found);
        else printf("no (make model MODEL=%s)\n", m->name);
        printf("%-14s %s%s\n", "", m->what, i == 0 ? " (the default)" : "");
    }
    return 0;
}

/* The loaded model's fingerprints, from its description (the public API
 * gives them in no other way): "fingerprint: X (format 2 archives), Y (format 1)". */
static int loaded_fingerprints(const llamazip_model *model, uint64_t *fp2, uint64_t *fp1)
{
    size_t need = llamazip_model_describe(model, NULL, 0) + 1;
    char *text = malloc(need);
    if (!text) return 0;
    llamazip_model_describe(model, text, need);
    const char *p = strstr(text, "\nfingerprint:");
    int ok = p && sscanf(p + 13, " %" SCNx64 " (format 2 archives), %" SCNx64, fp2, fp1) == 2;
    free(text);
    return ok;
}

static int id_matches(const llamazip_archive_info *a, uint64_t fp2, uint64_t fp1)
{
    uint64_t fp = a->version == 1 ? fp1 : fp2;
    return a->model_id_bits == 16 ? (fp & 0xFFFF) == a->model_id : fp == a->model_id;
}

void cli_decode_error(char *buf, size_t size, llamazip_status rc, const char *lib_msg, const llamazip_model *model,
                      const uint8_t *arc, size_t arc_len)
{
    snprintf(buf, size, "%s", lib_msg);
    if (rc != LLAMAZIP_E_MODEL_MISMATCH || !model) return;
    uint64_t fp2 = 0, fp1 = 0;
    if (!loaded_fingerprints(model, &fp2, &fp1)) return;
    const lz_known_model *ours = lz_known_model_by_id(2, fp2, 64);
    const char *model_name = ours ? ours->name : NULL;
    /* the first archive (of several back to back) that the loaded model did not make */
    const lz_known_model *theirs = NULL;
    for (size_t pos = 0; pos < arc_len;) {
        llamazip_archive_info a;
        size_t used = 0;
        if (llamazip_archive_list(arc + pos, arc_len - pos, &a, NULL, 0, &used, NULL, 0) != LLAMAZIP_OK) break;
        if (!id_matches(&a, fp2, fp1)) {
            theirs = lz_known_model_by_id(a.version, a.model_id, a.model_id_bits);
            break;
        }
        pos += used;
    }
    size_t n = strlen(buf);
    if (theirs && model_name)
        snprintf(buf + n, size - n, ": the archive's model is %s, the loaded one %s (decode it with --model %s)",
                 theirs->name, model_name, theirs->name);
    else if (theirs)
        snprintf(buf + n, size - n, ": the archive's model is %s (decode it with --model %s)", theirs->name,
                 theirs->name);
    else if (model_name)
        snprintf(buf + n, size - n, ": the loaded model is %s", model_name);
}
