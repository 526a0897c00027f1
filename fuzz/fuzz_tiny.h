/*
 * fuzz_tiny.h - the committed tiny models (tests/golden/models) and a cache of
 * contexts over them, for the fuzz targets that run the whole pipeline.
 *
 * A 7-bit selector picks the model (SentencePiece or byte-level BPE), n_ctx
 * (8, 17, 40, 128: windows that slide after a few tokens, up to the model's
 * context), the window overlap (0, 25, 50, 100 % of n_ctx) with the segment
 * size (64 and 300 bytes: many segments; one segment; the default), and the
 * batch size (1, 3, 16, 64) with the streams decoded at once (all, 1, 2,
 * 5). One thread: the thread count cannot change an archive
 * (doc/determinism.md; tested elsewhere), and fuzzing wants speed.
 * Paths are relative to the repository root, where make runs the targets.
 */
#ifndef LLAMAZIP_FUZZ_TINY_H
#define LLAMAZIP_FUZZ_TINY_H

#include "llamazip.h"

#define FUZZ_TINY_SELECTORS 128

/* The context for selector & 127 (created on first use, kept for the run); aborts if the models are missing. */
llamazip_ctx *fuzz_tiny_ctx(unsigned selector);

/* The segment size the context for selector compresses with, in bytes (0: one segment). */
uint64_t fuzz_tiny_segment_bytes(unsigned selector);

/* Another context over the same model with other n_ctx and batch settings. */
llamazip_ctx *fuzz_tiny_other_ctx(unsigned selector);

#endif
