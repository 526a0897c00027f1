/*
 * fuzz_coder.c - libFuzzer target for the entropy coder (src/coder/).
 *
 * Each input is used three ways:
 *   1. as a range-coded stream, decoded with tables derived from its first
 *      bytes (must never crash or read out of bounds, whatever the bytes);
 *   2. as logits (raw float bit patterns: NaN, inf, subnormals included)
 *      for lz_freq_from_logits, whose table must satisfy its invariants;
 *   3. as a token sequence coded with that table, mixed with raw bit
 *      fields, which must decode to itself, give an OK finish, and encode to
 *      the same bytes twice.
 * Violations abort() so the fuzzer reports them.
 * Build: clang -fsanitize=fuzzer,address,undefined ... (or replay files
 * with fuzz/standalone_driver.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coder/freq.h"
#include "coder/rangecoder.h"

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "fuzz_coder: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                \
        }                                                                           \
    } while (0)

enum { MAX_VOCAB = 512, MAX_TOKENS = 4096 };

/* Part 1: decode arbitrary bytes. Table: n symbols with frequencies from the
 * header bytes, total up to 2^32 - 1. */
static void fuzz_decode_garbage(const uint8_t *data, size_t size)
{
    if (size < 2) return;
    const uint32_t n = 1 + data[0] % 64;
    const unsigned shift = data[1] % 26; /* frequencies up to 2^(7+25) */
    uint32_t cum[65], m = 0;
    cum[0] = 0;
    for (uint32_t i = 0; i < n; i++, m++) {
        const uint64_t f = 1 + ((uint64_t)data[(2 + i) % size] << shift);
        if (cum[m] + f > LZ_RC_TOTAL_MAX) break;
        cum[m + 1] = (uint32_t)(cum[m] + f);
    }
    if (m == 0) return;

    lz_rc_decoder dec;
    lz_rc_dec_init(&dec, data, size);
    for (size_t k = 0; k < 4 * size + 16; k++) {
        if (k % 7 == 3) {
            (void)lz_rc_dec_bits(&dec, 1 + (unsigned)(k % 32));
            continue;
        }
        const uint32_t target = lz_rc_dec_target(&dec, cum[m]);
        CHECK(target < cum[m]);
        uint32_t lo = 0, hi = m;
        while (hi - lo > 1) {
            const uint32_t mid = lo + (hi - lo) / 2;
            if (cum[mid] <= target) lo = mid;
            else hi = mid;
        }
        lz_rc_dec_update(&dec, cum[lo], cum[lo + 1] - cum[lo]);
        if (lz_rc_dec_truncated(&dec)) break;
    }
    CHECK(dec.pos <= dec.size);
    (void)lz_rc_dec_finish(&dec, NULL);
}

/* Encode tokens (and a bit field after every 5th) with table t. */
static int fuzz_encode(const lz_freq_table *t, const uint32_t *toks, size_t n_toks, lz_rc_encoder *enc)
{
    lz_rc_enc_init(enc);
    for (size_t i = 0; i < n_toks; i++) {
        CHECK(lz_freq_encode_token(enc, t, toks[i]) == 0);
        if (i % 5 == 4) CHECK(lz_rc_enc_bits(enc, toks[i] & 0x3F, 6) == 0);
    }
    return lz_rc_enc_finish(enc, NULL);
}

static void fuzz_roundtrip(const uint8_t *data, size_t size)
{
    if (size < 4) return;
    /* logits: the first 4*n bytes as float bit patterns */
    const uint32_t n = 1 + (uint32_t)LZ_MIN(size / 4, (size_t)MAX_VOCAB - 1);
    float logits[MAX_VOCAB];
    for (uint32_t i = 0; i < n; i++) {
        uint8_t b[4];
        for (int j = 0; j < 4; j++) b[j] = data[(4 * (size_t)i + (size_t)j) % size];
        const uint32_t u = lz_rd32(b);
        memcpy(&logits[i], &u, 4);
    }
    lz_freq_table t;
    lz_freq_init(&t);
    if (lz_freq_from_logits(logits, n, &t) != 0) abort(); /* only allocation can fail */
    CHECK(t.n_vocab == n && t.cum[0] == 0);
    for (uint32_t i = 0; i < n; i++) CHECK(t.cum[i + 1] > t.cum[i]);
    CHECK(lz_freq_total(&t) <= LZ_FREQ_TARGET);
    CHECK(lz_freq_total(&t) > LZ_FREQ_TARGET - 2 * n);

    /* tokens: the bytes again, as token ids */
    static uint32_t toks[MAX_TOKENS];
    const size_t n_toks = LZ_MIN(size, (size_t)MAX_TOKENS);
    for (size_t i = 0; i < n_toks; i++) toks[i] = (data[i] | (uint32_t)data[(i + 1) % size] << 8) % n;

    lz_rc_encoder enc, enc2;
    CHECK(fuzz_encode(&t, toks, n_toks, &enc) == 0);
    CHECK(fuzz_encode(&t, toks, n_toks, &enc2) == 0);
    CHECK(enc.size == enc2.size && (enc.size == 0 || memcmp(enc.buf, enc2.buf, enc.size) == 0));

    lz_rc_decoder dec;
    lz_rc_dec_init(&dec, enc.buf, enc.size);
    for (size_t i = 0; i < n_toks; i++) {
        CHECK(lz_freq_decode_token(&dec, &t) == toks[i]);
        if (i % 5 == 4) CHECK(lz_rc_dec_bits(&dec, 6) == (toks[i] & 0x3F));
    }
    CHECK(lz_rc_dec_finish(&dec, NULL) == 0);

    /* the same stream cut short must not pass as complete */
    if (enc.size > 0) {
        lz_rc_dec_init(&dec, enc.buf, enc.size - 1);
        int same = 1;
        for (size_t i = 0; i < n_toks; i++) {
            same &= lz_freq_decode_token(&dec, &t) == toks[i];
            if (i % 5 == 4) same &= lz_rc_dec_bits(&dec, 6) == (toks[i] & 0x3F);
        }
        CHECK(!same || lz_rc_dec_finish(&dec, NULL) != 0);
    }
    lz_rc_enc_free(&enc);
    lz_rc_enc_free(&enc2);
    lz_freq_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_decode_garbage(data, size);
    fuzz_roundtrip(data, size);
    return 0;
}
