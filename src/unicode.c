#include "unicode.h"

uint16_t hs_unicode_flags(uint32_t cp) {
    if (cp > 0x10FFFF) return HS_UCAT_UNDEFINED;
    // Last range whose first codepoint is <= cp (the table starts at U+0000).
    uint32_t lo = 0, hi = hs_unicode_n_ranges;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (hs_unicode_ranges[mid].first <= cp) lo = mid;
        else hi = mid;
    }
    return (uint16_t)hs_unicode_ranges[lo].flags;
}

static bool is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

uint32_t hs_utf8_decode(const uint8_t *s, size_t n, size_t *pos) {
    size_t i = *pos;
    uint8_t b0 = s[i];
    if (b0 < 0x80) {
        *pos = i + 1;
        return b0;
    }
    // Same acceptance rules as llama.cpp: the lead byte's prefix decides the length, the
    // continuation bytes must be 10xxxxxx; overlong forms are not rejected.
    if ((b0 & 0xE0) == 0xC0 && i + 1 < n && is_cont(s[i + 1])) {
        *pos = i + 2;
        return ((uint32_t)(b0 & 0x1F) << 6) | (s[i + 1] & 0x3F);
    }
    if ((b0 & 0xF0) == 0xE0 && i + 2 < n && is_cont(s[i + 1]) && is_cont(s[i + 2])) {
        *pos = i + 3;
        return ((uint32_t)(b0 & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    }
    if ((b0 & 0xF8) == 0xF0 && i + 3 < n && is_cont(s[i + 1]) && is_cont(s[i + 2]) &&
        is_cont(s[i + 3])) {
        *pos = i + 4;
        return ((uint32_t)(b0 & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12) |
               ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
    }
    *pos = i + 1;
    return HS_CP_REPLACEMENT;
}

size_t hs_utf8_encode(uint32_t cp, char *out) {
    uint8_t *o = (uint8_t *)out;
    if (cp > 0x10FFFF) cp = HS_CP_REPLACEMENT;
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

// GPT-2's bytes_to_unicode(): the printable bytes '!'..'~', U+00A1..U+00AC and U+00AE..U+00FF
// stand for themselves; the other 68 bytes (0x00..0x20, 0x7F..0xA0, 0xAD), in increasing order,
// take U+0100, U+0101, ... so that every byte has a visible, non-space character.
uint32_t hs_gpt2_byte_to_cp(uint8_t b) {
    if (b <= 0x20) return 0x100u + b;               // U+0100..U+0120
    if (b >= 0x7F && b <= 0xA0) return b + 0xA2u;   // U+0121..U+0142
    if (b == 0xAD) return 0x143;
    return b;
}

int hs_gpt2_cp_to_byte(uint32_t cp) {
    if ((cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE && cp <= 0xFF))
        return (int)cp;
    if (cp >= 0x100 && cp <= 0x120) return (int)(cp - 0x100);
    if (cp >= 0x121 && cp <= 0x142) return (int)(cp - 0xA2);
    if (cp == 0x143) return 0xAD;
    return -1;
}
