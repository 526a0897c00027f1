/*
 * fuzz_decompress.c - libFuzzer target for the whole decoder: arbitrary
 * bytes decompressed with the committed tiny models, so that damaged MODEL
 * frames reach the range decoder, the window schedule and the detokenizer
 * (fuzz_archive covers the container alone).
 *
 * The first byte selects the model and context (fuzz_tiny.h); the rest is
 * the archive. Seeds are real archives of the tiny models, whose header
 * (fingerprint, header check) mutations mostly keep. Promises checked:
 *  - any input gives LLAMAZIP_OK or an error with a message, no output
 *    buffer on error, and a context that keeps working;
 *  - an accepted archive decodes to the same bytes in a context with other
 *    n_ctx and batch settings (they come from the archive).
 * A broken promise traps, so the fuzzer reports it.
 *
 * Build: make fuzz-decompress (clang -fsanitize=fuzzer,address,undefined), or
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
    llamazip_ctx *ctx = fuzz_tiny_ctx(data[0]);
    void *out = NULL;
    size_t out_len = 0;
    llamazip_status rc = llamazip_decompress(ctx, data + 1, size - 1, &out, &out_len);
    if (rc != LLAMAZIP_OK) {
        FUZZ_CHECK(out == NULL && out_len == 0 && llamazip_ctx_error(ctx)[0] != '\0');
        return 0;
    }
    void *again = NULL;
    size_t again_len = 0;
    FUZZ_CHECK(llamazip_decompress(fuzz_tiny_other_ctx(data[0]), data + 1, size - 1, &again, &again_len) ==
               LLAMAZIP_OK);
    FUZZ_CHECK(again_len == out_len && (out_len == 0 || memcmp(again, out, out_len) == 0));
    llamazip_free_buffer(again);
    llamazip_free_buffer(out);
    return 0;
}
