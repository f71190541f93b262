// Hand-written equivalents of llama.cpp's pre-tokenizer regex lists (see pretokenize.h).
//
// Each regex of a list becomes a matcher: given a position inside a piece, it returns the length
// of the match starting there under the semantics llama.cpp gets (ECMAScript std::regex:
// alternatives tried in order, greedy quantifiers with backtracking; or the custom GPT-2 /
// LLaMA-3 code), or 0 when no match starts there. A driver applies a matcher the way
// std::regex_iterator is used: leftmost matches become words, the stretches between them stay
// words of their own. Each piece is searched on its own, so lookaheads see its end as the end.
//
// Character classes follow the text llama.cpp's regexes actually see:
// - collapsed text (regexes with \p{..}): ASCII as is; other codepoints become one byte per
//   category, whitespace becoming \v. So \p{L} = LETTER, \p{N} = NUMBER, \p{P} = PUNCTUATION,
//   \s = WHITESPACE; but \p{S} lacks '~' (llama.cpp's ASCII list for \p{S} omits it).
// - wide text (regexes without \p{..}, run with std::wregex): codepoints as is, except that
//   non-ASCII whitespace becomes \v, so it never falls in a literal range such as [一-龥].
#include "pretokenize.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unicode.h"

typedef struct {
    const uint32_t *cp;
    const uint16_t *fl; // hs_unicode_flags of each codepoint
} text;

// Match length at i in a piece ending at end; 0 = no match here; -k = none in [i, i + k).
typedef ptrdiff_t (*matcher)(const text *t, size_t i, size_t end);

enum {
    WS = HS_UCAT_WHITESPACE,
    LET = HS_UCAT_LETTER,
    NUM = HS_UCAT_NUMBER,
    PUN = HS_UCAT_PUNCTUATION,
    SYM = HS_UCAT_SYMBOL,
    MRK = HS_UCAT_MARK,
};

#define NO_CP 0xFFFFFFFFu

static inline uint32_t cp_at(const text *t, size_t i, size_t end) {
    return i < end ? t->cp[i] : NO_CP;
}
static inline uint16_t fl_at(const text *t, size_t i, size_t end) {
    return i < end ? t->fl[i] : 0;
}
// First index >= i whose flags have none of mask.
static size_t run_of(const text *t, size_t i, size_t end, uint16_t mask) {
    while (i < end && (t->fl[i] & mask)) i++;
    return i;
}
static bool is_crlf(uint32_t c) { return c == '\r' || c == '\n'; }
static bool is_ascii_alpha(uint32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// \p{S} of the collapsed text: SYMBOL, but not '~'.
static bool is_sym(uint32_t c, uint16_t f) { return (f & SYM) && c != '~'; }

// Codepoint as std::wregex sees it.
static uint32_t wide_cp(const text *t, size_t i) {
    return t->cp[i] > 0x7F && (t->fl[i] & WS) ? 0x0B : t->cp[i];
}

typedef struct {
    uint32_t lo, hi;
} cp_range;

static bool in_ranges(uint32_t c, const cp_range *r, size_t n) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < r[mid].lo) hi = mid;
        else if (c > r[mid].hi) lo = mid + 1;
        else return true;
    }
    return false;
}
#define IN(c, table) in_ranges((c), (table), sizeof(table) / sizeof((table)[0]))

// ---- shared pieces ----

// 's 't 'm 'd 're 've 'll at i (ASCII case-insensitive when icase): its length, or 0.
static size_t contraction(const text *t, size_t i, size_t end, bool icase) {
    if (i + 1 >= end || t->cp[i] != '\'') return 0;
    uint32_t a = icase ? ascii_lower(t->cp[i + 1]) : t->cp[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 >= end) return 0;
    uint32_t b = icase ? ascii_lower(t->cp[i + 2]) : t->cp[i + 2];
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

// \s+(?!\S)|\s+ : a whitespace run, less its last character when a non-space follows it.
static size_t ws_run(const text *t, size_t i, size_t end) {
    size_t j = run_of(t, i, end, WS), k = j - i;
    return k > 1 && j < end ? k - 1 : k;
}

// \s*[\r\n]+|\s+(?!\S)|\s+ : as ws_run, but a run holding a newline ends after its last one.
static size_t ws_run_nl(const text *t, size_t i, size_t end) {
    size_t j = i, after_nl = 0;
    for (; j < end && (t->fl[j] & WS); j++)
        if (is_crlf(t->cp[j])) after_nl = j + 1;
    if (after_nl) return after_nl - i;
    size_t k = j - i;
    return k > 1 && j < end ? k - 1 : k;
}

// ` ?X+` then optionally [\r\n]* (and '/' when slash): X = not whitespace/letter/number.
static size_t other_run(const text *t, size_t i, size_t end, bool nl_tail, bool slash) {
    size_t j = i + (t->cp[i] == ' ');
    while (j < end && !(t->fl[j] & (WS | LET | NUM))) j++;
    if (nl_tail)
        for (uint32_t c; (c = cp_at(t, j, end)) == '\r' || c == '\n' || (slash && c == '/');) j++;
    return j - i;
}

// ---- GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (llama.cpp's hand-written version, which also takes the final \s+ alternative).

static ptrdiff_t m_gpt2(const text *t, size_t i, size_t end) {
    size_t n = contraction(t, i, end, false);
    if (n) return (ptrdiff_t)n;
    uint32_t c = t->cp[i];
    uint16_t f = c == ' ' ? fl_at(t, i + 1, end) : t->fl[i]; // class after the optional space
    size_t j = i + (c == ' ');
    if (f & LET) return (ptrdiff_t)(run_of(t, j, end, LET) - i);
    if (f & NUM) return (ptrdiff_t)(run_of(t, j, end, NUM) - i);
    if (f && !(f & (WS | LET | NUM))) return (ptrdiff_t)other_run(t, i, end, false, false);
    n = ws_run(t, i, end);
    return n ? (ptrdiff_t)n : 1;
}

// ---- LLaMA-3 family:
// (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// qwen2 has \p{N} (one digit), seed-coder also drops [\r\n]* after punctuation, ufakzeka drops
// the contractions. (llama.cpp runs llama3 through hand-written code and the others through
// std::regex; both give these results.)

static ptrdiff_t llama3_like(const text *t, size_t i, size_t end, bool contractions,
                             size_t max_digits, bool nl_tail) {
    size_t n = contractions ? contraction(t, i, end, true) : 0;
    if (n) return (ptrdiff_t)n;
    uint32_t c = t->cp[i];
    uint16_t f = t->fl[i];
    if (!is_crlf(c) && !(f & NUM) && ((f & LET) || (fl_at(t, i + 1, end) & LET)))
        return (ptrdiff_t)(run_of(t, i + 1, end, LET) - i);
    if (f & NUM) {
        size_t j = i;
        while (j < end && (t->fl[j] & NUM) && j - i < max_digits) j++;
        return (ptrdiff_t)(j - i);
    }
    uint16_t f2 = c == ' ' ? fl_at(t, i + 1, end) : f;
    // A lone space ending the piece comes out as " " here, as it would from \s+(?!\S).
    if (!(f2 & (WS | LET | NUM))) return (ptrdiff_t)other_run(t, i, end, nl_tail, false);
    n = ws_run_nl(t, i, end);
    return n ? (ptrdiff_t)n : 1;
}

static ptrdiff_t m_llama3(const text *t, size_t i, size_t end) {
    return llama3_like(t, i, end, true, 3, true);
}
static ptrdiff_t m_qwen2(const text *t, size_t i, size_t end) {
    return llama3_like(t, i, end, true, 1, true);
}
static ptrdiff_t m_seed_coder(const text *t, size_t i, size_t end) {
    return llama3_like(t, i, end, true, 1, false);
}
static ptrdiff_t m_ufakzeka(const text *t, size_t i, size_t end) {
    return llama3_like(t, i, end, false, 1, true);
}

// ---- GPT-4o / tekken:
// [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|...)?|
// [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|...)?|
// \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
// "Upper" = a letter other than a-z, "lower" = a letter other than A-Z: non-ASCII letters are
// both (the collapsed text has no case). tekken has no contractions and \p{N}.

static bool upper_at(const text *t, size_t i) {
    return (t->fl[i] & LET) && !(t->cp[i] >= 'a' && t->cp[i] <= 'z');
}
static bool lower_at(const text *t, size_t i) {
    return (t->fl[i] & LET) && !(t->cp[i] >= 'A' && t->cp[i] <= 'Z');
}

static ptrdiff_t gpt4o_like(const text *t, size_t i, size_t end, bool contractions,
                            size_t max_digits) {
    uint32_t c = t->cp[i];
    uint16_t f = t->fl[i];
    // q: where the letters start (after the optional lead character)
    size_t q = i;
    bool letters = (f & LET) != 0;
    if (!letters && !is_crlf(c) && !(f & NUM) && (fl_at(t, i + 1, end) & LET)) {
        q = i + 1;
        letters = true;
    }
    if (letters) {
        size_t a = q, e = 0;
        while (a < end && upper_at(t, a)) a++;
        if (a < end && lower_at(t, a)) {
            // upper* takes a..; lower+ continues from the first a-z
            for (e = a; e < end && lower_at(t, e);) e++;
        } else {
            // backtrack upper*: lower+ starts at the last non-ASCII letter and stops at the
            // A-Z that follows it (or at a)
            size_t k = a;
            while (k > q && !lower_at(t, k - 1)) k--;
            if (k > q) e = k;
            else if (a > q) e = a; // second alternative: upper+ lower* (lower* is empty here)
        }
        if (e) {
            if (contractions) e += contraction(t, e, end, true);
            return (ptrdiff_t)(e - i);
        }
    }
    if (f & NUM) {
        size_t j = i;
        while (j < end && (t->fl[j] & NUM) && j - i < max_digits) j++;
        return (ptrdiff_t)(j - i);
    }
    uint16_t f2 = c == ' ' ? fl_at(t, i + 1, end) : f;
    if (!(f2 & (WS | LET | NUM))) return (ptrdiff_t)other_run(t, i, end, true, true);
    size_t n = ws_run_nl(t, i, end);
    return n ? (ptrdiff_t)n : 1;
}

static ptrdiff_t m_gpt4o(const text *t, size_t i, size_t end) {
    return gpt4o_like(t, i, end, true, 3);
}
static ptrdiff_t m_tekken(const text *t, size_t i, size_t end) {
    return gpt4o_like(t, i, end, false, 1);
}

// ---- small regexes used by several lists ----

// [\p{P}\$\+<=>\^~\|]+ (default) and [\p{P}\$\+<=>\^~\|`]+ (falcon)
static bool punct_default(uint32_t c, uint16_t f) {
    return (f & PUN) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
           c == '~' || c == '|';
}
static ptrdiff_t m_punct_default(const text *t, size_t i, size_t end) {
    size_t j = i;
    while (j < end && punct_default(t->cp[j], t->fl[j])) j++;
    return (ptrdiff_t)(j - i);
}
static ptrdiff_t m_punct_falcon(const text *t, size_t i, size_t end) {
    size_t j = i;
    while (j < end && (punct_default(t->cp[j], t->fl[j]) || t->cp[j] == '`')) j++;
    return (ptrdiff_t)(j - i);
}

// \p{N}, \p{N}+, \p{N}{1,3}
static ptrdiff_t m_num_one(const text *t, size_t i, size_t end) {
    (void)end;
    return (t->fl[i] & NUM) ? 1 : 0;
}
static ptrdiff_t m_num_run(const text *t, size_t i, size_t end) {
    return (ptrdiff_t)(run_of(t, i, end, NUM) - i);
}
static ptrdiff_t m_num_3(const text *t, size_t i, size_t end) {
    size_t j = i;
    while (j < end && (t->fl[j] & NUM) && j - i < 3) j++;
    return (ptrdiff_t)(j - i);
}

// [0-9][0-9][0-9]
static ptrdiff_t m_digit3(const text *t, size_t i, size_t end) {
    for (size_t j = i; j < i + 3; j++)
        if (j >= end || t->cp[j] < '0' || t->cp[j] > '9') return 0;
    return 3;
}

// [\r\n]
static ptrdiff_t m_crlf(const text *t, size_t i, size_t end) {
    (void)end;
    return is_crlf(t->cp[i]) ? 1 : 0;
}

// \s+$
static ptrdiff_t m_ws_to_end(const text *t, size_t i, size_t end) {
    if (!(t->fl[i] & WS)) return 0;
    size_t j = run_of(t, i, end, WS);
    return j == end ? (ptrdiff_t)(j - i) : -(ptrdiff_t)(j - i);
}

// \s?X+ for a character class X given as a predicate on the position.
typedef bool (*class_at)(const text *t, size_t i);
static ptrdiff_t opt_space_run(const text *t, size_t i, size_t end, class_at in) {
    size_t j = i;
    if ((t->fl[i] & WS) && i + 1 < end && in(t, i + 1)) j = i + 1;
    else if (!in(t, i)) return 0;
    while (j < end && in(t, j)) j++;
    return (ptrdiff_t)(j - i);
}

// ---- deepseek-llm: [\r\n] / \s?[A-Za-zµÀ-ÖØ-öø-ƺ...]+ / \s?[!-/:-~！-／：-～‘-‟　-。]+ / \s+$ /
// [一-龥ࠀ-一가-퟿]+ / \p{N}+

// The letter class of the second regex (cased letters of an older Unicode), as ranges.
static const cp_range DSL_LETTERS[] = {
    {0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA},
    {0x1BC, 0x1BF}, {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x377},
    {0x37B, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C},
    {0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556},
    {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF},
    {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A}, {0x1E00, 0x1F15}, {0x1F18, 0x1F1D},
    {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57}, {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4}, {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE},
    {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3}, {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC},
    {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113},
    {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
    {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149},
    {0x214E, 0x214E}, {0x2183, 0x2184}, {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE},
    {0x2CF2, 0x2CF3}, {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787},
    {0xA78B, 0xA78E}, {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A}, {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
static const cp_range DSL_PUNCT[] = {
    {0x21, 0x2F}, {0x3A, 0x7E}, {0x2018, 0x201F}, {0x3000, 0x3002}, {0xFF01, 0xFF0F},
    {0xFF1A, 0xFF5E},
};
// [一-龥ࠀ-一가-퟿] (deepseek-llm, deepseek-coder) and [一-龥぀-ゟ゠-ヿ] (deepseek-v3)
static const cp_range CJK_HANGUL[] = {{0x0800, 0x9FA5}, {0xAC00, 0xD7FF}};
static const cp_range CJK_KANA[] = {{0x3040, 0x30FF}, {0x4E00, 0x9FA5}};

static bool dsl_letter_at(const text *t, size_t i) { return IN(wide_cp(t, i), DSL_LETTERS); }
static bool dsl_punct_at(const text *t, size_t i) { return IN(wide_cp(t, i), DSL_PUNCT); }

static ptrdiff_t m_dsl_letters(const text *t, size_t i, size_t end) {
    return opt_space_run(t, i, end, dsl_letter_at);
}
static ptrdiff_t m_dsl_punct(const text *t, size_t i, size_t end) {
    return opt_space_run(t, i, end, dsl_punct_at);
}
static ptrdiff_t m_cjk_hangul(const text *t, size_t i, size_t end) {
    size_t j = i;
    while (j < end && IN(wide_cp(t, j), CJK_HANGUL)) j++;
    return (ptrdiff_t)(j - i);
}
static ptrdiff_t m_cjk_kana(const text *t, size_t i, size_t end) {
    size_t j = i;
    while (j < end && IN(wide_cp(t, j), CJK_KANA)) j++;
    return (ptrdiff_t)(j - i);
}

// ---- deepseek-coder: [\r\n] / \s?\p{L}+ / \s?\p{P}+ / [一-龥ࠀ-一가-퟿]+ / \p{N}

static bool letter_at(const text *t, size_t i) { return t->fl[i] & LET; }
static bool punct_at(const text *t, size_t i) { return t->fl[i] & PUN; }

static ptrdiff_t m_dsc_letters(const text *t, size_t i, size_t end) {
    return opt_space_run(t, i, end, letter_at);
}
static ptrdiff_t m_dsc_punct(const text *t, size_t i, size_t end) {
    return opt_space_run(t, i, end, punct_at);
}

// ---- deepseek-v3: \p{N}{1,3} / [一-龥぀-ゟ゠-ヿ]+ /
// [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
//  ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+

static bool ds3_punct_at(const text *t, size_t i) {
    return (t->fl[i] & PUN) || is_sym(t->cp[i], t->fl[i]);
}

static ptrdiff_t m_ds3(const text *t, size_t i, size_t end) {
    uint32_t c = t->cp[i];
    uint16_t f = t->fl[i];
    bool ascii_punct = c >= 0x21 && c <= 0x7E && !is_ascii_alpha(c) && !(c >= '0' && c <= '9');
    if (ascii_punct && i + 1 < end && is_ascii_alpha(t->cp[i + 1])) {
        size_t j = i + 1;
        while (j < end && is_ascii_alpha(t->cp[j])) j++;
        return (ptrdiff_t)(j - i);
    }
    bool lead = !is_crlf(c) && !(f & (LET | PUN)) && !is_sym(c, f);
    if (lead && (fl_at(t, i + 1, end) & (LET | MRK)))
        return (ptrdiff_t)(run_of(t, i + 1, end, LET | MRK) - i);
    if (f & (LET | MRK)) return (ptrdiff_t)(run_of(t, i, end, LET | MRK) - i);
    size_t j = i;
    if (c == ' ' && i + 1 < end && ds3_punct_at(t, i + 1)) j = i + 1;
    if (ds3_punct_at(t, j)) {
        while (j < end && ds3_punct_at(t, j)) j++;
        while (is_crlf(cp_at(t, j, end))) j++;
        return (ptrdiff_t)(j - i);
    }
    return (ptrdiff_t)ws_run_nl(t, i, end);
}

// ---- bloom: " ?[^(\s|.,!?…。，、।۔،)]+" (wide text); viking adds \p{N}

static bool bloom_at(const text *t, size_t i) {
    if (t->fl[i] & WS) return false;
    switch (wide_cp(t, i)) {
    case '(': case '|': case '.': case ',': case '!': case '?': case ')':
    case 0x2026: case 0x3002: case 0xFF0C: case 0x3001: case 0x0964: case 0x06D4: case 0x060C:
        return false;
    default:
        return true;
    }
}
static ptrdiff_t m_bloom(const text *t, size_t i, size_t end) {
    size_t j = i;
    if (t->cp[i] == ' ' && i + 1 < end && bloom_at(t, i + 1)) j = i + 1;
    else if (!bloom_at(t, i)) return 0;
    while (j < end && bloom_at(t, j)) j++;
    return (ptrdiff_t)(j - i);
}

// ---- the lists ----

#define MAX_STAGES 6
static const matcher STAGES[HS_PRE_COUNT][MAX_STAGES + 1] = {
    [HS_PRE_DEFAULT] = {m_punct_default, m_gpt2, m_num_run, m_digit3},
    [HS_PRE_GPT2] = {m_gpt2},
    [HS_PRE_LLAMA3] = {m_llama3},
    [HS_PRE_QWEN2] = {m_qwen2},
    [HS_PRE_SEED_CODER] = {m_seed_coder},
    [HS_PRE_UFAKZEKA] = {m_ufakzeka},
    [HS_PRE_STARCODER] = {m_num_one, m_gpt2},
    [HS_PRE_FALCON] = {m_punct_falcon, m_gpt2, m_digit3},
    [HS_PRE_DEEPSEEK_LLM] = {m_crlf, m_dsl_letters, m_dsl_punct, m_ws_to_end, m_cjk_hangul,
                             m_num_run},
    [HS_PRE_DEEPSEEK_CODER] = {m_crlf, m_dsc_letters, m_dsc_punct, m_cjk_hangul, m_num_one},
    [HS_PRE_DEEPSEEK3] = {m_num_3, m_cjk_kana, m_ds3},
    [HS_PRE_BLOOM] = {m_bloom},
    [HS_PRE_VIKING] = {m_bloom, m_num_one},
    [HS_PRE_GPT4O] = {m_gpt4o},
    [HS_PRE_TEKKEN] = {m_tekken},
};

// One regex over every piece: matches and the stretches between them become pieces.
static size_t split(const text *t, const uint32_t *in, size_t n_in, uint32_t *out, matcher m) {
    size_t n_out = 0, start = 0;
    for (size_t k = 0; k < n_in; k++) {
        size_t end = start + in[k], gap = start, i = start;
        while (i < end) {
            ptrdiff_t len = m(t, i, end);
            if (len > 0) {
                if (i > gap) out[n_out++] = (uint32_t)(i - gap);
                out[n_out++] = (uint32_t)len;
                i += (size_t)len;
                gap = i;
            } else {
                i += len < 0 ? (size_t)-len : 1;
            }
        }
        if (end > gap) out[n_out++] = (uint32_t)(end - gap);
        start = end;
    }
    return n_out;
}

ptrdiff_t hs_pretokenize(hs_pre_type type, const uint32_t *cps, size_t n, uint32_t *lens) {
    if (n == 0) return 0;
    if ((unsigned)type >= HS_PRE_COUNT) type = HS_PRE_DEFAULT;
    uint16_t *fl = malloc(n * sizeof *fl);
    uint32_t *tmp = malloc(n * sizeof *tmp);
    if (!fl || !tmp) {
        free(fl);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < n; i++) fl[i] = hs_unicode_flags(cps[i]);
    text t = {cps, fl};

    uint32_t *cur = lens, *next = tmp;
    cur[0] = (uint32_t)n;
    size_t count = 1;
    for (const matcher *m = STAGES[type]; *m; m++) {
        count = split(&t, cur, count, next, *m);
        uint32_t *swap = cur;
        cur = next;
        next = swap;
    }
    if (cur != lens) memcpy(lens, cur, count * sizeof *lens);
    free(fl);
    free(tmp);
    return (ptrdiff_t)count;
}
