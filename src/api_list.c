/*
 * api_list.c - describing archives without decoding them (llama-zip -l):
 * the header and the frame headers, as format/container.c parses them.
 */
#include <stdio.h>
#include <string.h>

#include "api_internal.h"
#include "format/container.h"

static uint64_t varint_len(uint64_t v)
{
    uint64_t n = 1;
    while (v >>= 7) n++;
    return n;
}

/* Bytes of frame i in the archive, its tag and fields included (the
 * compact form: the whole archive but the first byte and the checksum). */
static uint64_t frame_bytes(const lz_archive *a, size_t i)
{
    const lz_frame *f = &a->frames[i];
    if (a->compact) return a->size - 1 - 4;
    uint64_t fields = 1 + varint_len(f->raw_size);
    if (f->tag == LZ_FRAME_MODEL) fields += varint_len(f->n_tokens);
    if (f->tag != LZ_FRAME_RAW) fields += varint_len(f->payload_size);
    return fields + f->payload_size;
}

llamazip_status llamazip_archive_list(const void *src, size_t n, llamazip_archive_info *info,
                                      llamazip_frame_info *frames, size_t max_frames, size_t *consumed, char *errbuf,
                                      size_t errbuf_size)
{
    lz_err err;
    lz_err_clear(&err);
    if (errbuf && errbuf_size) errbuf[0] = '\0';
    if (!src || !info) {
        if (errbuf && errbuf_size) snprintf(errbuf, errbuf_size, "llamazip_archive_list: NULL argument");
        return LLAMAZIP_E_USAGE;
    }
    lz_archive a;
    const int rc = lz_archive_parse(src, n, &a, &err);
    if (rc) {
        if (errbuf && errbuf_size) snprintf(errbuf, errbuf_size, "%s", err.msg);
        return (llamazip_status)rc;
    }
    memset(info, 0, sizeof(*info));
    info->version = a.version;
    info->compact = a.compact;
    info->archive_size = a.size;
    info->original_size = a.original_size;
    info->model_id = a.model_id;
    info->model_id_bits = a.model_id_bits;
    info->has_settings = a.has_settings;
    info->n_ctx = a.n_ctx;
    info->window_overlap = a.window_overlap;
    info->n_frames = (uint32_t)a.n_frames;
    for (size_t i = 0; frames && i < a.n_frames && i < max_frames; i++) {
        const lz_frame *f = &a.frames[i];
        frames[i].kind = f->tag == LZ_FRAME_MODEL ? 'M' : f->tag == LZ_FRAME_RAW ? 'R' : 'Z';
        frames[i].original_size = f->raw_size;
        frames[i].stored_size = frame_bytes(&a, i);
        frames[i].n_tokens = f->n_tokens;
    }
    if (consumed) *consumed = a.size;
    lz_archive_free(&a);
    return LLAMAZIP_OK;
}
