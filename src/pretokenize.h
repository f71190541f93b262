// Pre-tokenizers of byte-level BPE vocabularies: split text into the words BPE merges within.
//
// llama.cpp describes each pre-tokenizer (GGUF key tokenizer.ggml.pre) as a list of regexes
// applied in turn: every regex splits each piece left by the previous ones into its matches and
// the unmatched stretches between them. Most run through std::regex on a "collapsed" copy of
// the text in which every non-ASCII codepoint is replaced by one byte standing for its category;
// the GPT-2 and LLaMA-3 patterns run through hand-written code. The splitters here are
// hand-written equivalents of each list, including the quirks of that machinery (noted where
// they matter).
#ifndef HEARTH_PRETOKENIZE_H
#define HEARTH_PRETOKENIZE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    HS_PRE_DEFAULT,        // llama.cpp's fallback list (no or unknown tokenizer.ggml.pre)
    HS_PRE_GPT2,           // gpt-2, mpt, olmo, jais, phi-2, ...
    HS_PRE_LLAMA3,         // llama-bpe / llama3, dbrx, smaug-bpe, chatglm-bpe, ...
    HS_PRE_QWEN2,          // qwen2, stablelm2, hunyuan, grok-2, ...: LLaMA-3 with single digits
    HS_PRE_SEED_CODER,     // seed-coder: qwen2 without the newlines after punctuation
    HS_PRE_UFAKZEKA,       // ufakzeka: qwen2 without the contractions
    HS_PRE_STARCODER,      // starcoder, refact, command-r, smollm, codeshell, exaone, minerva
    HS_PRE_FALCON,         // falcon
    HS_PRE_DEEPSEEK_LLM,   // deepseek-llm
    HS_PRE_DEEPSEEK_CODER, // deepseek-coder
    HS_PRE_DEEPSEEK3,      // deepseek-v3, hunyuan-dense, ...
    HS_PRE_BLOOM,          // bloom, poro-chat, gpt3-finnish
    HS_PRE_VIKING,         // viking
    HS_PRE_GPT4O,          // gpt-4o, llama4, minimax-m2, ...
    HS_PRE_TEKKEN,         // tekken (Mistral)
    HS_PRE_COUNT
} hs_pre_type;

// Split the codepoints cps[0..n) into words. Writes each word's length in codepoints to
// lens (room for n entries) and returns the number of words, or -1 if out of memory.
ptrdiff_t hs_pretokenize(hs_pre_type type, const uint32_t *cps, size_t n, uint32_t *lens);

#endif
