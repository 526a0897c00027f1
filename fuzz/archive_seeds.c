/*
 * archive_seeds.c - write a small seed corpus for fuzz_archive into a
 * directory: archives with each frame type (a real zstd frame), an empty
 * archive, large varint fields, and a truncated copy. Built with the
 * container writer by `make fuzz-archive`.
 */
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "format/container.h"

static int write_seed(const char *dir, const char *name, const lz_buf *b, size_t cut)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return 1;
    const size_t n = b->len - cut;
    const int short_write = n && fwrite(b->data, 1, n, f) != n;
    const int close_failed = fclose(f) != 0;   /* close even after a short write */
    return short_write || close_failed;
}

static lz_archive_header seed_header(uint32_t n_ctx, uint32_t overlap, uint64_t size)
{
    lz_archive_header h;
    memset(&h, 0, sizeof(h));
    h.version = LZ_ARCHIVE_V1;
    h.model_fingerprint = 0x9e3779b97f4a7c15ull;
    h.n_ctx = n_ctx;
    h.window_overlap = overlap;
    h.original_size = size;
    h.content_checksum = 0x0123456789abcdefull;
    return h;
}

static int add_frame(lz_buf *b, lz_frame_tag tag, uint64_t raw, uint64_t n_tokens, const void *payload,
                     uint64_t n)
{
    lz_frame f = { tag, raw, n_tokens, payload, n };
    return lz_frame_write(b, &f);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    static const char text[] = "hello hello hello hello";
    uint8_t zframe[256];
    const size_t zn = ZSTD_compress(zframe, sizeof(zframe), text, sizeof(text) - 1, 19);
    if (ZSTD_isError(zn)) return 1;
    static const uint8_t coded[] = { 0x5a, 0x11, 0xc3, 0x00, 0xff, 0x80, 0x7f, 0x01 };
    int rc = 0;

    lz_buf b = { 0 };
    lz_archive_header h = seed_header(64, 0, 0);
    rc |= lz_header_write(&b, &h);
    rc |= add_frame(&b, LZ_FRAME_END, 0, 0, NULL, 0);
    rc |= write_seed(dir, "seed_empty.llz", &b, 0);
    lz_buf_free(&b);

    h = seed_header(32768, 8191, 5 + 100 + sizeof(text) - 1);
    rc |= lz_header_write(&b, &h);
    rc |= add_frame(&b, LZ_FRAME_RAW, 5, 0, "hello", 5);
    rc |= add_frame(&b, LZ_FRAME_MODEL, 100, 20, coded, sizeof(coded));
    rc |= add_frame(&b, LZ_FRAME_ZSTD, sizeof(text) - 1, 0, zframe, zn);
    rc |= add_frame(&b, LZ_FRAME_END, 0, 0, NULL, 0);
    rc |= write_seed(dir, "seed_all_frames.llz", &b, 0);
    rc |= write_seed(dir, "seed_truncated.llz", &b, 7);
    lz_buf_free(&b);

    h = seed_header(LZ_MAX_N_CTX, LZ_MAX_N_CTX - 2, UINT64_MAX);
    rc |= lz_header_write(&b, &h);
    rc |= add_frame(&b, LZ_FRAME_MODEL, 1ull << 40, 1ull << 33, coded, 0);
    rc |= add_frame(&b, LZ_FRAME_END, 0, 0, NULL, 0);
    rc |= write_seed(dir, "seed_big_fields.llz", &b, 0);
    lz_buf_free(&b);

    if (rc) fprintf(stderr, "failed to write seeds into %s\n", dir);
    return rc != 0;
}
