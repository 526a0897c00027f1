/*
 * cli_list.c - llama-zip --list: what archives hold, read without a model
 * and without decoding (as xz --list does): per archive its sizes, ratio,
 * segments, format and settings; with -v each segment (frame).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llamazip.h"
#include "cli_list.h"
#include "fileio.h"
#include "model_names.h"

#define MAX_FRAMES_SHOWN 1000000

static void human(char *buf, size_t n, uint64_t b)
{
    if (b < 1024) snprintf(buf, n, "%llu B", (unsigned long long)b);
    else if (b < ((uint64_t)1 << 20)) snprintf(buf, n, "%.1f KiB", b / 1024.0);
    else if (b < ((uint64_t)1 << 30)) snprintf(buf, n, "%.1f MiB", b / 1048576.0);
    else snprintf(buf, n, "%.2f GiB", b / 1073741824.0);
}

static void ratio(char *buf, size_t n, uint64_t orig, uint64_t comp)
{
    if (comp) snprintf(buf, n, "%.3f", (double)orig / (double)comp);
    else snprintf(buf, n, "-");
}

static void settings(char *buf, size_t n, const llamazip_archive_info *a)
{
    if (a->has_settings) snprintf(buf, n, "n_ctx %u, overlap %u", a->n_ctx, a->window_overlap);
    else snprintf(buf, n, "n_ctx of the model, overlap 0");
}

/* The model's name when its fingerprint is a known model's (model_names.h), else the fingerprint or tag. */
static void model_id(char *buf, size_t n, const llamazip_archive_info *a)
{
    const lz_known_model *k = lz_known_model_by_id(a->version, a->model_id, a->model_id_bits);
    if (k) snprintf(buf, n, "%s", k->name);
    else if (a->model_id_bits == 16) snprintf(buf, n, "tag %04llx", (unsigned long long)a->model_id);
    else snprintf(buf, n, "%016llx", (unsigned long long)a->model_id);
}

typedef struct {
    uint64_t archives, segments, comp, orig;
} totals;

/* List the archives of one input; returns 0, or EXIT_DATA after a message. */
static int list_one(const char *name, const uint8_t *p, size_t n, int verbose, totals *t)
{
    llamazip_frame_info *frames = verbose ? malloc(sizeof(*frames) * 4096) : NULL;
    size_t cap = frames ? 4096 : 0;
    size_t pos = 0;
    int idx = 0;
    do {
        llamazip_archive_info a;
        size_t used = 0;
        char err[512];
        llamazip_status rc = llamazip_archive_list(p + pos, n - pos, &a, frames, cap, &used, err, sizeof(err));
        if (rc == LLAMAZIP_OK && verbose && a.n_frames > cap && a.n_frames <= MAX_FRAMES_SHOWN) {
            llamazip_frame_info *nf = realloc(frames, sizeof(*nf) * a.n_frames);
            if (nf) {
                frames = nf;
                cap = a.n_frames;
                rc = llamazip_archive_list(p + pos, n - pos, &a, frames, cap, &used, err, sizeof(err));
            }
        }
        if (rc != LLAMAZIP_OK) {
            fprintf(stderr, "llama-zip: %s: %s%s\n", name, pos ? "after the archives listed: " : "", err);
            free(frames);
            return 2;
        }
        uint32_t segments = 0;
        for (uint32_t i = 0; i < a.n_frames && i < cap; i++) segments += frames[i].kind == 'M';
        char c[32], o[32], r[16], m[32], s[64];
        human(c, sizeof(c), a.archive_size);
        human(o, sizeof(o), a.original_size);
        ratio(r, sizeof(r), a.original_size, a.archive_size);
        model_id(m, sizeof(m), &a);
        settings(s, sizeof(s), &a);
        printf("%5d %6u %11s %13s %7s  %u%s  %-18s %s  %s\n", ++idx, a.n_frames, c, o, r, a.version,
               a.compact ? "c" : " ", m, s, name);
        for (uint32_t i = 0; verbose && i < a.n_frames && i < cap; i++) {
            const llamazip_frame_info *f = &frames[i];
            human(c, sizeof(c), f->stored_size);
            human(o, sizeof(o), f->original_size);
            ratio(r, sizeof(r), f->original_size, f->stored_size);
            const char *kind = f->kind == 'M' ? "model" : f->kind == 'R' ? "raw" : "zstd";
            if (i == 0) {
                const lz_known_model *k = lz_known_model_by_id(a.version, a.model_id, a.model_id_bits);
                printf("      model %s %0*llx%s%s\n", a.model_id_bits == 16 ? "tag" : "fingerprint",
                       a.model_id_bits == 16 ? 4 : 16, (unsigned long long)a.model_id, k ? ": " : "",
                       k ? k->what : "");
            }
            if (f->kind == 'M' && f->n_tokens)
                printf("      %6u %11s %13s %7s  %-5s  %llu tokens\n", i + 1, c, o, r, kind,
                       (unsigned long long)f->n_tokens);
            else
                printf("      %6u %11s %13s %7s  %-5s\n", i + 1, c, o, r, kind);
        }
        t->archives++;
        t->segments += a.n_frames;
        t->comp += a.archive_size;
        t->orig += a.original_size;
        pos += used;
    } while (pos < n);
    free(frames);
    return 0;
}

int cli_list(const cli_options *o)
{
    printf("Archive Frames  Compressed  Uncompressed   Ratio  Fmt Model              Settings  Filename\n");
    totals t = { 0, 0, 0, 0 };
    int status = 0, files = 0;
    const char *const *inputs = (const char *const *)o->inputs;
    int n_inputs = o->n_inputs;
    const char *stdin_only[1] = { "-" };
    if (o->model_path && !o->model_option && !n_inputs) { /* no model is needed: a lone argument is a file */
        inputs = &o->model_path;
        n_inputs = 1;
    }
    if (n_inputs == 0) {
        inputs = stdin_only;
        n_inputs = 1;
    }
    for (int i = 0; i < n_inputs; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        const int from_stdin = !strcmp(inputs[i], "-");
        const int e = from_stdin ? fio_read_stream(stdin, &data, &len) : fio_read_path(inputs[i], &data, &len);
        if (e) {
            fprintf(stderr, "llama-zip: %s: %s\n", from_stdin ? "(stdin)" : inputs[i], strerror(e));
            status = 2;
            continue;
        }
        const int rc = list_one(from_stdin ? "(stdin)" : inputs[i], data, len, o->verbose, &t);
        if (rc) status = rc;
        files++;
        free(data);
    }
    if (files > 1 || t.archives > 1) {
        char c[32], og[32], r[16];
        human(c, sizeof(c), t.comp);
        human(og, sizeof(og), t.orig);
        ratio(r, sizeof(r), t.orig, t.comp);
        printf("%5llu %6llu %11s %13s %7s  totals (%d files)\n", (unsigned long long)t.archives,
               (unsigned long long)t.segments, c, og, r, files);
    }
    return status;
}
