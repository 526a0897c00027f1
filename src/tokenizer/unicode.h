/*
 * unicode.h - the little Unicode the tokenizers need: code point classes
 * (letter, number, punctuation, whitespace) from a generated table, UTF-8
 * decoding with llama.cpp's leniency, and GPT-2's byte <-> code point map.
 */
#ifndef LZ_TOK_UNICODE_H
#define LZ_TOK_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* Class byte of a code point: general category group in bits 0-2, plus
 * TOK_UC_SPACE. Generated into unicode_data.c by tools/gen_unicode_data.py. */
enum {
    TOK_UC_UNASSIGNED = 0,
    TOK_UC_LETTER = 1,
    TOK_UC_NUMBER = 2,
    TOK_UC_PUNCT = 3,
    TOK_UC_SYMBOL = 4,
    TOK_UC_MARK = 5,
    TOK_UC_SEPARATOR = 6,
    TOK_UC_OTHER = 7,       /* Cc, Cf, Cs, Co */
    TOK_UC_GROUP_MASK = 7,
    TOK_UC_SPACE = 8        /* \s: the White_Space property */
};

#define TOK_UCD_MAX 0x110000u

extern const char tok_ucd_version[];
extern const uint16_t tok_ucd_stage1[TOK_UCD_MAX >> 8];
extern const uint8_t tok_ucd_stage2[];

/* Class of a code point; values past U+10FFFF are unassigned. */
static inline uint8_t tok_uclass(uint32_t cp)
{
    if (cp >= TOK_UCD_MAX) return TOK_UC_UNASSIGNED;
    return tok_ucd_stage2[((uint32_t)tok_ucd_stage1[cp >> 8] << 8) | (cp & 255)];
}

/* Length of the UTF-8 sequence a lead byte announces, from its high nibble
 * only (1 for continuation bytes), as SentencePiece symbol splitting uses. */
static inline size_t tok_utf8_len(uint8_t lead)
{
    static const uint8_t len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return len[lead >> 4];
}

/* Decode one code point at s[0..n) (n >= 1) the way llama.cpp does: the
 * lead byte's pattern and continuation bytes are checked, nothing else
 * (overlong forms, surrogates and values up to 0x1FFFFF are accepted). An
 * invalid sequence yields U+FFFD and consumes one byte. Sets *used. */
uint32_t tok_utf8_decode(const uint8_t *s, size_t n, size_t *used);

/* GPT-2 byte-level mapping: byte -> code point (U+0021.. or U+0100..), and
 * the inverse (-1 for code points that are not in the map). */
uint32_t tok_byte_to_cp(uint8_t b);
int tok_cp_to_byte(uint32_t cp);

/* Encode a code point (< 0x200000) as UTF-8 into out (4 bytes room);
 * returns the length. */
size_t tok_utf8_encode(uint32_t cp, uint8_t *out);

#endif /* LZ_TOK_UNICODE_H */
