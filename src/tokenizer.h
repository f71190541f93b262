// Tokenizers built from a GGUF file's tokenizer.* metadata, matching llama.cpp's:
// - "llama" (SentencePiece): bigram merges by score, byte fallback <0xXX>, spaces as U+2581,
//   a leading space unless tokenizer.ggml.add_space_prefix is false;
// - "gpt2" (byte-level BPE): merges by rank after the pre-tokenizer tokenizer.ggml.pre names
//   (an unknown name falls back to llama.cpp's default splitting, see hs_tokenizer_warning).
// Control and user-defined tokens written in the text are recognised as whole tokens the way
// llama.cpp does: user-defined ones always, control ones only when parse_special.
#ifndef HEARTH_TOKENIZER_H
#define HEARTH_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"

typedef struct hs_tokenizer hs_tokenizer;

// Builds the tokenizer; the result does not refer to gguf afterwards. NULL on bad or unsupported
// metadata, with a message naming the key in err.
hs_tokenizer *hs_tokenizer_load(const gguf_ctx *gguf, char *err, size_t err_size);
void hs_tokenizer_free(hs_tokenizer *tok);

// Token ids of text[0..len). add_special: BOS/EOS as the metadata asks. parse_special: control
// tokens written in the text (e.g. "<|im_start|>") become those tokens. Returns the number of
// tokens; when it exceeds max only the first max are written. -1 on error.
int hs_tokenize(const hs_tokenizer *tok, const char *text, size_t len, bool add_special,
                bool parse_special, int32_t *out, int max);

// The bytes token id stands for (possibly part of a UTF-8 character). Control and unknown
// tokens give an empty piece unless render_special. Returns the piece's length and writes it
// to buf only if it fits in size (no NUL is added); -1 for an invalid id.
int hs_token_piece(const hs_tokenizer *tok, int32_t id, bool render_special, char *buf, int size);

int32_t hs_tokenizer_n_vocab(const hs_tokenizer *tok);
int32_t hs_tokenizer_bos(const hs_tokenizer *tok); // -1 if none
int32_t hs_tokenizer_eos(const hs_tokenizer *tok);
int32_t hs_tokenizer_eot(const hs_tokenizer *tok);
bool hs_tokenizer_add_bos(const hs_tokenizer *tok);
bool hs_tokenizer_add_eos(const hs_tokenizer *tok);
// End of generation: EOS, EOT, EOM and the tokens llama.cpp recognises by text (<|im_end|>,
// <|eot_id|>, <|endoftext|>, ...).
bool hs_tokenizer_is_eog(const hs_tokenizer *tok, int32_t id);
// "spm" or "bpe:<pre-tokenizer>", e.g. "bpe:qwen2".
const char *hs_tokenizer_kind(const hs_tokenizer *tok);
// A note about a questionable but loadable vocabulary (e.g. an unknown pre-tokenizer); NULL if
// none.
const char *hs_tokenizer_warning(const hs_tokenizer *tok);
// The vocabulary's text of a token (NUL-terminated), NULL for an invalid id.
const char *hs_token_text(const hs_tokenizer *tok, int32_t id);

#endif
