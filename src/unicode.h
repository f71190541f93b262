// Unicode helpers for the tokenizers: UTF-8 decoding with llama.cpp's error handling, codepoint
// categories (\p{L}, \p{N}, ...) and whitespace from the generated table in unicode_data.c, and
// GPT-2's byte <-> codepoint mapping used by byte-level BPE vocabularies.
#ifndef HEARTH_UNICODE_H
#define HEARTH_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Codepoint flags: one general-category bit plus WHITESPACE (the White_Space property).
// CONTROL covers all of \p{C} (Cc, Cf, Cs, Co and unassigned Cn). UNDEFINED is only for
// values past U+10FFFF, which the decoder can produce from F4..F7 lead bytes.
enum {
    HS_UCAT_UNDEFINED = 1 << 0,
    HS_UCAT_NUMBER = 1 << 1,      // \p{N}
    HS_UCAT_LETTER = 1 << 2,      // \p{L}
    HS_UCAT_SEPARATOR = 1 << 3,   // \p{Z}
    HS_UCAT_MARK = 1 << 4,        // \p{M}
    HS_UCAT_PUNCTUATION = 1 << 5, // \p{P}
    HS_UCAT_SYMBOL = 1 << 6,      // \p{S}
    HS_UCAT_CONTROL = 1 << 7,     // \p{C}
    HS_UCAT_WHITESPACE = 1 << 8,  // \s
};

typedef struct {
    unsigned first : 21; // first codepoint of the range
    unsigned flags : 11;
} hs_unicode_range;

extern const hs_unicode_range hs_unicode_ranges[]; // unicode_data.c (generated)
extern const uint32_t hs_unicode_n_ranges;

#define HS_CP_REPLACEMENT 0xFFFDu

// Flags of a codepoint (never 0).
uint16_t hs_unicode_flags(uint32_t cp);

// Byte length of the UTF-8 sequence a lead byte announces (1 for continuation and invalid
// bytes), as llama.cpp's unicode_len_utf8.
static inline size_t hs_utf8_len(uint8_t lead) {
    static const uint8_t len[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return len[lead >> 4];
}

// Decode one codepoint at s[*pos] (pos < n) and advance *pos. A malformed or truncated
// sequence yields U+FFFD and advances by one byte (llama.cpp's unicode_cpts_from_utf8).
uint32_t hs_utf8_decode(const uint8_t *s, size_t n, size_t *pos);

// Encode cp into out (at least 4 bytes); returns the length. Values past U+10FFFF encode as
// U+FFFD.
size_t hs_utf8_encode(uint32_t cp, char *out);

// GPT-2 byte-level BPE alphabet: each byte maps to a printable codepoint below U+0144.
uint32_t hs_gpt2_byte_to_cp(uint8_t byte);
// Inverse mapping; -1 if cp is not in the alphabet.
int hs_gpt2_cp_to_byte(uint32_t cp);

#endif
