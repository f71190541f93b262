// Shared between tokenizer.c (vocabulary, special tokens, pieces), tokenizer_spm.c and
// tokenizer_bpe.c. Not part of the engine's interface.
#ifndef HEARTH_TOKENIZER_INTERNAL_H
#define HEARTH_TOKENIZER_INTERNAL_H

#include "pretokenize.h"
#include "tokenizer.h"

// tokenizer.ggml.token_type values
enum {
    HS_TOKTYPE_UNDEFINED = 0,
    HS_TOKTYPE_NORMAL = 1,
    HS_TOKTYPE_UNKNOWN = 2,
    HS_TOKTYPE_CONTROL = 3,
    HS_TOKTYPE_USER_DEFINED = 4,
    HS_TOKTYPE_UNUSED = 5,
    HS_TOKTYPE_BYTE = 6,
};

// Token attributes (llama.cpp's llama_token_attr): the type plus adjustments made at load.
enum {
    HS_ATTR_UNKNOWN = 1 << 0,
    HS_ATTR_UNUSED = 1 << 1,
    HS_ATTR_NORMAL = 1 << 2,
    HS_ATTR_CONTROL = 1 << 3,
    HS_ATTR_USER_DEFINED = 1 << 4,
    HS_ATTR_BYTE = 1 << 5,
    HS_ATTR_LSTRIP = 1 << 7, // eat whitespace before the token when matching it in text
    HS_ATTR_RSTRIP = 1 << 8, // eat whitespace after it
};

typedef enum { HS_VOCAB_SPM, HS_VOCAB_BPE } hs_vocab_type;

// Merge table of a BPE vocabulary (tokenizer_bpe.c).
typedef struct hs_bpe_merges hs_bpe_merges;

struct hs_tokenizer {
    hs_vocab_type type;
    hs_pre_type pre;
    int32_t n_vocab;

    char *text;          // all token texts, each NUL-terminated
    uint32_t *text_off;  // token id -> offset in text
    uint32_t *text_len;  // token id -> length
    float *scores;       // SPM merge priorities (0 when the file has none)
    uint16_t *attr;      // HS_ATTR_* per token
    uint32_t *map;       // open-addressing hash: text -> id + 1 (0 = empty)
    uint32_t map_mask;

    hs_bpe_merges *merges;
    bool ignore_merges;    // BPE: a whole word that is a token skips the merges
    bool add_space_prefix; // SPM
    bool add_bos, add_eos;

    int32_t bos, eos, eot, eom, unk, sep, pad, mask;
    int32_t fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;

    int32_t *special;  // control/user-defined/unknown tokens, longest text first
    int32_t n_special;
    int32_t *eog;      // end-of-generation ids, sorted
    int32_t n_eog;
    int32_t byte_token[256]; // SPM: token of each byte (<0xXX>, or the byte itself); -1 if none

    char kind[64];
    char warning[192];
};

// A growable list of token ids.
typedef struct {
    int32_t *ids;
    size_t n, cap;
    bool oom;
} hs_ids;

void hs_ids_push(hs_ids *v, int32_t id);

// Token id of the text s[0..len), -1 if it is not in the vocabulary.
int32_t hs_vocab_find(const hs_tokenizer *tok, const char *s, size_t len);

// SentencePiece: appends the tokens of one text fragment. Spaces are escaped here; a leading
// space is added first when prefix_space.
void hs_spm_encode(const hs_tokenizer *tok, const char *s, size_t len, bool prefix_space,
                   hs_ids *out);

// Byte-level BPE: reads tokenizer.ggml.pre and tokenizer.ggml.merges into tok (pre, merges,
// ignore_merges, add_bos default, kind, warning). false with err set on bad metadata.
bool hs_bpe_load(hs_tokenizer *tok, const gguf_ctx *gguf, char *err, size_t err_size);
void hs_bpe_free(hs_bpe_merges *merges);
// Appends the tokens of one text fragment.
void hs_bpe_encode(const hs_tokenizer *tok, const char *s, size_t len, hs_ids *out);

// 64-bit FNV-1a, continuing from h (start with HS_FNV_INIT).
#define HS_FNV_INIT 0xCBF29CE484222325ull
static inline uint64_t hs_fnv1a(uint64_t h, const void *data, size_t len) {
    const uint8_t *p = (const uint8_t *)data;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

#endif
