/*
 * fuzz_roundtrip.c - libFuzzer target for the whole pipeline: compress, then
 * decompress, arbitrary bytes with the committed tiny models.
 *
 * The first byte selects the model and settings (fuzz_tiny.h) and, with its
 * top bit, whether the archive is decoded by a context with other n_ctx and
 * batch settings (decompression must take them from the archive). The rest
 * is the data: text and binary, invalid UTF-8, runs of 4 KiB blocks that
 * change kind, windows that slide. Promises checked:
 *  - compression succeeds, and the archive is never much larger than the
 *    input: the header (at most 35 bytes in format 2) and at most 5 bytes
 *    per frame, a frame per run of 4 KiB blocks or per segment (generously
 *    two per segment size, as segments end on token boundaries) (doc/format.md);
 *  - decompression succeeds and gives back exactly the input;
 *  - the statistics agree with the buffers.
 * A broken promise traps, so the fuzzer reports it.
 *
 * Build: make fuzz-roundtrip (clang -fsanitize=fuzzer,address,undefined), or
 * link with standalone_driver.c to replay files without libFuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_tiny.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const unsigned selector = data[0];
    const uint8_t *src = data + 1;
    const size_t n = size - 1;
    llamazip_ctx *enc = fuzz_tiny_ctx(selector);
    llamazip_ctx *dec = selector & 0x80 ? fuzz_tiny_other_ctx(selector) : enc;

    void *arc = NULL, *back = NULL;
    size_t arc_len = 0, back_len = 0;
    FUZZ_CHECK(llamazip_compress(enc, src, n, &arc, &arc_len) == LLAMAZIP_OK);
    const uint64_t seg = fuzz_tiny_segment_bytes(selector);
    const uint64_t frames = n / 4096 + 2 + (seg ? 2 * (n / seg) + 2 : 0);
    FUZZ_CHECK(arc_len <= n + 35 + 5 * frames);
    llamazip_stats st;
    llamazip_ctx_stats(enc, &st);
    FUZZ_CHECK(st.input_bytes == n && st.output_bytes == arc_len);

    FUZZ_CHECK(llamazip_decompress(dec, arc, arc_len, &back, &back_len) == LLAMAZIP_OK);
    FUZZ_CHECK(back_len == n && (n == 0 || memcmp(back, src, n) == 0));
    llamazip_ctx_stats(dec, &st);
    FUZZ_CHECK(st.input_bytes == arc_len && st.output_bytes == n);
    llamazip_free_buffer(back);
    llamazip_free_buffer(arc);
    return 0;
}
