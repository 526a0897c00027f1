/* fuzz_tiny.c - see fuzz_tiny.h. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_tiny.h"

static const char *const MODEL_PATHS[2] = {
    "tests/golden/models/tiny-spm.gguf",
    "tests/golden/models/tiny-bpe.gguf",
};
static const uint32_t N_CTX[4] = { 8, 17, 40, 128 };
static const uint32_t OVERLAP_PERCENT[4] = { 0, 25, 50, 100 };
static const uint32_t BATCH[4] = { 1, 3, 16, 64 };
static const uint64_t SEGMENT[4] = { 64, 300, LLAMAZIP_SEGMENT_NONE, 0 };
static const uint32_t STREAMS[4] = { 0, 1, 2, 5 };

static llamazip_model *g_models[2];
static llamazip_ctx *g_ctx[FUZZ_TINY_SELECTORS];

static llamazip_model *model(unsigned which)
{
    if (!g_models[which]) {
        char err[512];
        if (llamazip_model_load(MODEL_PATHS[which], NULL, &g_models[which], err, sizeof(err)) != LLAMAZIP_OK) {
            fprintf(stderr, "fuzz: %s (run from the repository root)\n", err);
            abort();
        }
    }
    return g_models[which];
}

llamazip_ctx *fuzz_tiny_ctx(unsigned selector)
{
    selector &= FUZZ_TINY_SELECTORS - 1;
    if (g_ctx[selector]) return g_ctx[selector];
    llamazip_ctx_params p;
    llamazip_ctx_params_default(&p);
    p.n_ctx = N_CTX[(selector >> 1) & 3];
    p.window_overlap = 0;
    p.window_overlap_percent = OVERLAP_PERCENT[(selector >> 3) & 3];
    p.segment_size = SEGMENT[(selector >> 3) & 3];
    p.n_batch = BATCH[(selector >> 5) & 3];
    p.n_streams = STREAMS[(selector >> 5) & 3];
    p.n_threads = 1;
    char err[512];
    if (llamazip_ctx_create(model(selector & 1), &p, &g_ctx[selector], err, sizeof(err)) != LLAMAZIP_OK) {
        fprintf(stderr, "fuzz: llamazip_ctx_create: %s\n", err);
        abort();
    }
    return g_ctx[selector];
}

uint64_t fuzz_tiny_segment_bytes(unsigned selector)
{
    const uint64_t s = SEGMENT[(selector >> 3) & 3];
    return s == LLAMAZIP_SEGMENT_NONE ? 0 : s ? s : 64 * 1024;
}

llamazip_ctx *fuzz_tiny_other_ctx(unsigned selector)
{
    return fuzz_tiny_ctx(selector ^ 0x62); /* same model, overlap and segment size; n_ctx, batch and streams flipped */
}
