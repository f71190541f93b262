// Vocabulary loading, special tokens, the text partition around special tokens, and token
// pieces. The merge algorithms live in tokenizer_spm.c and tokenizer_bpe.c.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

#define KEY_MODEL "tokenizer.ggml.model"
#define KEY_TOKENS "tokenizer.ggml.tokens"
#define KEY_SCORES "tokenizer.ggml.scores"
#define KEY_TYPES "tokenizer.ggml.token_type"

static bool fail(char *err, size_t err_size, const char *fmt, ...) {
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return false;
}

// ---- small containers ----

void hs_ids_push(hs_ids *v, int32_t id) {
    if (v->oom) return;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        int32_t *ids = realloc(v->ids, cap * sizeof *ids);
        if (!ids) {
            v->oom = true;
            return;
        }
        v->ids = ids;
        v->cap = cap;
    }
    v->ids[v->n++] = id;
}

// ---- vocabulary: id <-> text ----

static const char *tok_text(const hs_tokenizer *tok, int32_t id) { return tok->text + tok->text_off[id]; }

int32_t hs_vocab_find(const hs_tokenizer *tok, const char *s, size_t len) {
    uint32_t slot = (uint32_t)hs_fnv1a(HS_FNV_INIT, s, len) & tok->map_mask;
    for (;; slot = (slot + 1) & tok->map_mask) {
        uint32_t v = tok->map[slot];
        if (!v) return -1;
        int32_t id = (int32_t)(v - 1);
        if (tok->text_len[id] == len && memcmp(tok_text(tok, id), s, len) == 0) return id;
    }
}

static int32_t find_cstr(const hs_tokenizer *tok, const char *s) { return hs_vocab_find(tok, s, strlen(s)); }

// Copies the token texts and builds the text -> id table. Empty texts become "[EMPTY_<id>]"
// and duplicates are an error, as in llama.cpp.
static bool load_texts(hs_tokenizer *tok, const gguf_str *strs, uint32_t n, char *err, size_t err_size) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += (strs[i].len ? strs[i].len : 24) + 1;
    if (total > UINT32_MAX) return fail(err, err_size, KEY_TOKENS ": token texts too large");
    uint32_t cap = 1;
    while (cap < 2 * n) cap *= 2;
    tok->text = malloc((size_t)total);
    tok->text_off = malloc(n * sizeof *tok->text_off);
    tok->text_len = malloc(n * sizeof *tok->text_len);
    tok->map = calloc(cap, sizeof *tok->map);
    tok->map_mask = cap - 1;
    if (!tok->text || !tok->text_off || !tok->text_len || !tok->map)
        return fail(err, err_size, KEY_TOKENS ": out of memory");
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        char *dst = tok->text + off;
        size_t len = strs[i].len;
        if (len) memcpy(dst, strs[i].data, len);
        else len = (size_t)snprintf(dst, 24, "[EMPTY_%u]", i);
        dst[len] = 0;
        tok->text_off[i] = (uint32_t)off;
        tok->text_len[i] = (uint32_t)len;
        off += len + 1;

        int32_t dup = hs_vocab_find(tok, dst, len);
        if (dup >= 0)
            return fail(err, err_size, KEY_TOKENS ": duplicate token '%.64s' (ids %d and %u)", dst, dup, i);
        uint32_t slot = (uint32_t)hs_fnv1a(HS_FNV_INIT, dst, len) & tok->map_mask;
        while (tok->map[slot]) slot = (slot + 1) & tok->map_mask;
        tok->map[slot] = i + 1;
    }
    return true;
}

// Scores (float or int arrays) and token types; both optional.
static bool load_scores_types(hs_tokenizer *tok, const gguf_ctx *g, char *err, size_t err_size) {
    uint32_t n = (uint32_t)tok->n_vocab, et;
    uint64_t count;
    const void *data;
    tok->scores = calloc(n, sizeof *tok->scores);
    tok->attr = malloc(n * sizeof *tok->attr);
    if (!tok->scores || !tok->attr) return fail(err, err_size, KEY_SCORES ": out of memory");

    if (gguf_find(g, KEY_SCORES)) {
        if (!gguf_get_arr(g, KEY_SCORES, &et, &count, &data) ||
            (et != GGUF_TYPE_FLOAT32 && et != GGUF_TYPE_INT32))
            return fail(err, err_size, KEY_SCORES ": expected an array of float32 or int32");
        if (count < n)
            return fail(err, err_size, KEY_SCORES ": %llu entries for %u tokens", (unsigned long long)count, n);
        for (uint32_t i = 0; i < n; i++)
            tok->scores[i] = et == GGUF_TYPE_FLOAT32 ? ((const float *)data)[i] : (float)((const int32_t *)data)[i];
    }

    const int32_t *types = NULL;
    if (gguf_find(g, KEY_TYPES)) {
        if (!gguf_get_arr(g, KEY_TYPES, &et, &count, &data) || et != GGUF_TYPE_INT32)
            return fail(err, err_size, KEY_TYPES ": expected an array of int32");
        if (count < n)
            return fail(err, err_size, KEY_TYPES ": %llu entries for %u tokens", (unsigned long long)count, n);
        types = data;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint16_t a = HS_ATTR_NORMAL;
        if (types) {
            switch (types[i]) {
            case HS_TOKTYPE_UNKNOWN: a = HS_ATTR_UNKNOWN; break;
            case HS_TOKTYPE_UNUSED: a = HS_ATTR_UNUSED; break;
            case HS_TOKTYPE_NORMAL: a = HS_ATTR_NORMAL; break;
            case HS_TOKTYPE_CONTROL: a = HS_ATTR_CONTROL; break;
            case HS_TOKTYPE_USER_DEFINED: a = HS_ATTR_USER_DEFINED; break;
            case HS_TOKTYPE_BYTE: a = HS_ATTR_BYTE; break;
            default: a = 0; break; // undefined
            }
        }
        tok->attr[i] = a;
    }
    return true;
}

static bool get_flag(const gguf_ctx *g, const char *key, bool *v, char *err, size_t err_size) {
    const gguf_kv *kv = gguf_find(g, key);
    if (!kv) return true;
    if (kv->value.type != GGUF_TYPE_BOOL) return fail(err, err_size, "%s: expected a bool", key);
    *v = kv->value.b;
    return true;
}

// Special token ids from the metadata; a value outside the vocabulary keeps the default, as in
// llama.cpp, and a default outside it becomes "none".
static bool load_special_ids(hs_tokenizer *tok, const gguf_ctx *g, char *err, size_t err_size) {
    static const struct {
        const char *key;
        size_t field;
    } keys[] = {
        {"tokenizer.ggml.bos_token_id", offsetof(hs_tokenizer, bos)},
        {"tokenizer.ggml.eos_token_id", offsetof(hs_tokenizer, eos)},
        {"tokenizer.ggml.eot_token_id", offsetof(hs_tokenizer, eot)},
        {"tokenizer.ggml.eom_token_id", offsetof(hs_tokenizer, eom)},
        {"tokenizer.ggml.unknown_token_id", offsetof(hs_tokenizer, unk)},
        {"tokenizer.ggml.seperator_token_id", offsetof(hs_tokenizer, sep)},
        {"tokenizer.ggml.padding_token_id", offsetof(hs_tokenizer, pad)},
        {"tokenizer.ggml.mask_token_id", offsetof(hs_tokenizer, mask)},
        {"tokenizer.ggml.fim_pre_token_id", offsetof(hs_tokenizer, fim_pre)},
        {"tokenizer.ggml.fim_suf_token_id", offsetof(hs_tokenizer, fim_suf)},
        {"tokenizer.ggml.fim_mid_token_id", offsetof(hs_tokenizer, fim_mid)},
        {"tokenizer.ggml.fim_pad_token_id", offsetof(hs_tokenizer, fim_pad)},
        {"tokenizer.ggml.fim_rep_token_id", offsetof(hs_tokenizer, fim_rep)},
        {"tokenizer.ggml.fim_sep_token_id", offsetof(hs_tokenizer, fim_sep)},
        {"tokenizer.ggml.prefix_token_id", offsetof(hs_tokenizer, fim_pre)}, // deprecated names
        {"tokenizer.ggml.suffix_token_id", offsetof(hs_tokenizer, fim_suf)},
        {"tokenizer.ggml.middle_token_id", offsetof(hs_tokenizer, fim_mid)},
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        int32_t *id = (int32_t *)((char *)tok + keys[k].field);
        if (*id >= tok->n_vocab) *id = -1;
        const gguf_kv *kv = gguf_find(g, keys[k].key);
        if (!kv) continue;
        int64_t v;
        if (!gguf_get_i64(g, keys[k].key, &v))
            return fail(err, err_size, "%s: expected an integer", keys[k].key);
        if (v >= 0 && v < tok->n_vocab) *id = (int32_t)v;
    }
    return true;
}

// ---- end of generation and other adjustments made by token text ----

#define FW_BAR "\xEF\xBD\x9C" // U+FF5C, in DeepSeek's special tokens
#define SPM_SPACE "\xE2\x96\x81" // U+2581

// The lowest id among the tokens whose text is in the NULL-terminated list; -1 if none.
static int32_t first_of(const hs_tokenizer *tok, const char *const *list) {
    int32_t best = -1;
    for (; *list; list++) {
        int32_t id = find_cstr(tok, *list);
        if (id >= 0 && (best < 0 || id < best)) best = id;
    }
    return best;
}

static void add_eog(hs_tokenizer *tok, int32_t id) {
    if (id < 0) return;
    for (int32_t i = 0; i < tok->n_eog; i++)
        if (tok->eog[i] == id) return;
    int32_t *e = realloc(tok->eog, (size_t)(tok->n_eog + 1) * sizeof *e);
    if (!e) return;
    tok->eog = e;
    tok->eog[tok->n_eog++] = id;
}

static void remove_eog(hs_tokenizer *tok, int32_t id) {
    for (int32_t i = 0; i < tok->n_eog; i++)
        if (tok->eog[i] == id) tok->eog[i] = tok->eog[--tok->n_eog];
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

// llama.cpp finds EOT, EOM and FIM tokens by their text when the metadata does not name them
// (the first match in its hash-map order; here the lowest id), and collects the end-of-generation
// set the same way; tokens found so are made control tokens.
static void detect_special(hs_tokenizer *tok) {
    static const char *const eot[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
        "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
        "<" FW_BAR "end" SPM_SPACE "of" SPM_SPACE "sentence" FW_BAR ">", "<end_of_utterance>", NULL};
    static const char *const eom[] = {"<|eom_id|>", NULL};
    static const char *const fim_pre[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
        "<" FW_BAR "fim" SPM_SPACE "begin" FW_BAR ">", "<PRE>", SPM_SPACE "<PRE>", "<|code_prefix|>",
        "<|prefix|>", NULL};
    static const char *const fim_suf[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
        "<" FW_BAR "fim" SPM_SPACE "hole" FW_BAR ">", "<SUF>", SPM_SPACE "<SUF>", "<|code_suffix|>",
        "<|suffix|>", NULL};
    static const char *const fim_mid[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
        "<" FW_BAR "fim" SPM_SPACE "end" FW_BAR ">", "<MID>", SPM_SPACE "<MID>", "<|code_middle|>",
        "<|middle|>", NULL};
    static const char *const fim_pad[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL};
    static const char *const fim_rep[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
        "<reponame>", NULL};
    static const char *const fim_sep[] = {"<|file_sep|>", NULL};
    static const char *const eog[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>",
        "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>",
        "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>",
        "<eos>", "<turn|>", "<|tool_response>",
        "<" FW_BAR "end" SPM_SPACE "of" SPM_SPACE "sentence" FW_BAR ">", "[e~[", NULL};
    static const char *const user_defined[] = {"<|channel|>", "<|message|>", "<|start|>",
        "<|constrain|>", NULL};
    struct {
        int32_t *id;
        const char *const *texts;
    } finds[] = {{&tok->eot, eot}, {&tok->eom, eom}, {&tok->fim_pre, fim_pre},
                 {&tok->fim_suf, fim_suf}, {&tok->fim_mid, fim_mid}, {&tok->fim_pad, fim_pad},
                 {&tok->fim_rep, fim_rep}, {&tok->fim_sep, fim_sep}};

    for (size_t k = 0; k < sizeof finds / sizeof finds[0]; k++) {
        if (*finds[k].id >= 0) continue;
        int32_t id = first_of(tok, finds[k].texts);
        if (id >= 0) {
            *finds[k].id = id;
            tok->attr[id] |= HS_ATTR_CONTROL;
        }
    }

    add_eog(tok, tok->fim_pad);
    add_eog(tok, tok->fim_rep);
    add_eog(tok, tok->fim_sep);
    for (const char *const *t = eog; *t; t++) {
        int32_t id = find_cstr(tok, *t);
        if (id >= 0) {
            add_eog(tok, id);
            tok->attr[id] |= HS_ATTR_CONTROL;
        }
    }
    // gpt-oss: these are always rendered
    for (const char *const *t = user_defined; *t; t++) {
        int32_t id = find_cstr(tok, *t);
        if (id >= 0) tok->attr[id] = HS_ATTR_USER_DEFINED;
    }
    add_eog(tok, tok->eos);
    add_eog(tok, tok->eot);
    add_eog(tok, tok->eom);

    // o200k_harmony and solar-open: "<|end|>" is not an end of generation there
    bool has_return = false, has_call = false, has_flush = false;
    int32_t end_id = -1, tool_response = -1, s_id = -1;
    for (int32_t i = 0; i < tok->n_eog; i++) {
        const char *s = tok_text(tok, tok->eog[i]);
        if (strcmp(s, "<|return|>") == 0) has_return = true;
        else if (strcmp(s, "<|call|>") == 0 || strcmp(s, "<|calls|>") == 0) has_call = true;
        else if (strcmp(s, "<|flush|>") == 0) has_flush = true;
        else if (strcmp(s, "<|end|>") == 0) end_id = tok->eog[i];
        else if (strcmp(s, "<|tool_response>") == 0) tool_response = tok->eog[i];
        else if (strcmp(s, "</s>") == 0) s_id = tok->eog[i];
    }
    if (end_id >= 0 && has_call && (has_return || has_flush)) {
        remove_eog(tok, end_id);
        tok->attr[end_id] = HS_ATTR_USER_DEFINED;
    }
    // gemma4: "</s>" is not an end of generation there
    if (tool_response >= 0 && s_id >= 0) {
        remove_eog(tok, s_id);
        tok->attr[s_id] = HS_ATTR_NORMAL;
    }
    if (tok->n_eog) qsort(tok->eog, (size_t)tok->n_eog, sizeof *tok->eog, cmp_i32);
}

typedef struct {
    uint32_t len;
    int32_t id;
} len_id;

static int cmp_len_desc(const void *a, const void *b) {
    const len_id *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

// The tokens matched as whole strings in text, longest first.
static bool build_special_cache(hs_tokenizer *tok) {
    int32_t n = 0;
    for (int32_t id = 0; id < tok->n_vocab; id++)
        if (tok->attr[id] & (HS_ATTR_CONTROL | HS_ATTR_USER_DEFINED | HS_ATTR_UNKNOWN)) n++;
    if (!n) return true;
    len_id *tmp = malloc((size_t)n * sizeof *tmp);
    tok->special = malloc((size_t)n * sizeof *tok->special);
    if (!tmp || !tok->special) {
        free(tmp);
        return false;
    }
    n = 0;
    for (int32_t id = 0; id < tok->n_vocab; id++)
        if (tok->attr[id] & (HS_ATTR_CONTROL | HS_ATTR_USER_DEFINED | HS_ATTR_UNKNOWN))
            tmp[n++] = (len_id){tok->text_len[id], id};
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_len_desc);
    for (int32_t i = 0; i < n; i++) tok->special[i] = tmp[i].id;
    tok->n_special = n;
    free(tmp);
    return true;
}

static bool contains_ci(const char *s, const char *sub) {
    size_t n = strlen(s), m = strlen(sub);
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && (s[i + k] | ((s[i + k] >= 'A' && s[i + k] <= 'Z') ? 0x20 : 0)) == sub[k]) k++;
        if (k == m) return true;
    }
    return false;
}

static void set_attr(hs_tokenizer *tok, const char *text, uint16_t bit, bool on) {
    int32_t id = find_cstr(tok, text);
    if (id < 0) return;
    if (on) tok->attr[id] |= bit;
    else tok->attr[id] &= (uint16_t)~bit;
}

// Whitespace stripping around special tokens that llama.cpp sets by model name.
static void model_specific_attrs(hs_tokenizer *tok, const gguf_ctx *g) {
    const char *name = gguf_get_str(g, "general.name");
    const char *pre = gguf_get_str(g, "tokenizer.ggml.pre");
    const char *arch = gguf_get_str(g, "general.architecture");
    if (!name) name = "";
    if (!pre) pre = "";
    if (!arch) arch = "";
    if (strstr(pre, "jina-v2-de") || strstr(pre, "jina-v2-es") || strstr(pre, "jina-v2-code") ||
        strstr(arch, "nomic-bert-moe") || strstr(arch, "jina-bert-v3")) {
        set_attr(tok, "<mask>", HS_ATTR_LSTRIP, true);
    } else if (contains_ci(name, "phi-3") || contains_ci(name, "phi3")) {
        for (int32_t i = 0; i < tok->n_special; i++) tok->attr[tok->special[i]] |= HS_ATTR_RSTRIP;
        set_attr(tok, "</s>", HS_ATTR_RSTRIP, true);
        set_attr(tok, "<unk>", HS_ATTR_RSTRIP, false);
        set_attr(tok, "<s>", HS_ATTR_RSTRIP, false);
        set_attr(tok, "<|endoftext|>", HS_ATTR_RSTRIP, false);
    } else if (contains_ci(name, "modern-bert")) {
        set_attr(tok, "[MASK]", HS_ATTR_LSTRIP, true);
    }
}

// ---- loading ----

hs_tokenizer *hs_tokenizer_load(const gguf_ctx *g, char *err, size_t err_size) {
    if (err && err_size) err[0] = 0;
    if (!g) {
        fail(err, err_size, "no GGUF metadata");
        return NULL;
    }
    const char *model = gguf_get_str(g, KEY_MODEL);
    if (!model) {
        fail(err, err_size, gguf_find(g, KEY_MODEL) ? KEY_MODEL ": expected a string" : KEY_MODEL ": missing");
        return NULL;
    }
    hs_vocab_type type;
    if (strcmp(model, "llama") == 0) type = HS_VOCAB_SPM;
    else if (strcmp(model, "gpt2") == 0) type = HS_VOCAB_BPE;
    else {
        fail(err, err_size, KEY_MODEL ": unsupported tokenizer '%.64s' (supported: llama, gpt2)", model);
        return NULL;
    }

    uint32_t et;
    uint64_t n;
    const void *data;
    if (!gguf_find(g, KEY_TOKENS)) {
        fail(err, err_size, KEY_TOKENS ": missing");
        return NULL;
    }
    if (!gguf_get_arr(g, KEY_TOKENS, &et, &n, &data) || et != GGUF_TYPE_STRING) {
        fail(err, err_size, KEY_TOKENS ": expected an array of strings");
        return NULL;
    }
    if (n == 0 || n > INT32_MAX / 4) {
        fail(err, err_size, KEY_TOKENS ": bad token count %llu", (unsigned long long)n);
        return NULL;
    }

    hs_tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) {
        fail(err, err_size, "out of memory");
        return NULL;
    }
    tok->type = type;
    tok->n_vocab = (int32_t)n;
    if (!load_texts(tok, data, (uint32_t)n, err, err_size) || !load_scores_types(tok, g, err, err_size))
        goto error;

    // llama.cpp's defaults per tokenizer type
    tok->eot = tok->eom = tok->sep = tok->pad = tok->mask = -1;
    tok->fim_pre = tok->fim_suf = tok->fim_mid = tok->fim_pad = tok->fim_rep = tok->fim_sep = -1;
    if (type == HS_VOCAB_SPM) {
        tok->bos = 1;
        tok->eos = 2;
        tok->unk = 0;
        tok->add_space_prefix = true;
        tok->add_bos = true;
        snprintf(tok->kind, sizeof tok->kind, "spm");
    } else {
        tok->bos = tok->eos = 11;
        tok->unk = -1;
        if (!hs_bpe_load(tok, g, err, err_size)) goto error;
    }
    if (!get_flag(g, "tokenizer.ggml.add_space_prefix", &tok->add_space_prefix, err, err_size) ||
        !load_special_ids(tok, g, err, err_size) ||
        !get_flag(g, "tokenizer.ggml.add_bos_token", &tok->add_bos, err, err_size) ||
        !get_flag(g, "tokenizer.ggml.add_eos_token", &tok->add_eos, err, err_size))
        goto error;
    if (tok->add_bos && tok->bos < 0) {
        fail(err, err_size, "tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
        goto error;
    }
    if (tok->add_eos && tok->eos < 0) {
        fail(err, err_size, "tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");
        goto error;
    }

    if (type == HS_VOCAB_SPM) {
        for (int b = 0; b < 256; b++) {
            char hex[8], one = (char)b;
            snprintf(hex, sizeof hex, "<0x%02X>", b);
            int32_t id = find_cstr(tok, hex);
            tok->byte_token[b] = id >= 0 ? id : hs_vocab_find(tok, &one, 1);
        }
    }

    detect_special(tok);
    if (!build_special_cache(tok)) {
        fail(err, err_size, "out of memory");
        goto error;
    }
    model_specific_attrs(tok, g);
    return tok;

error:
    hs_tokenizer_free(tok);
    return NULL;
}

void hs_tokenizer_free(hs_tokenizer *tok) {
    if (!tok) return;
    free(tok->text);
    free(tok->text_off);
    free(tok->text_len);
    free(tok->scores);
    free(tok->attr);
    free(tok->map);
    hs_bpe_free(tok->merges);
    free(tok->special);
    free(tok->eog);
    free(tok);
}

// ---- tokenizing ----

// A piece of the input: raw text to run through the model's algorithm, or a special token.
typedef struct {
    int32_t id; // -1 for raw text
    size_t off, len;
} fragment;

typedef struct {
    fragment *v;
    size_t n, cap;
} fragments;

static bool frag_push(fragments *f, int32_t id, size_t off, size_t len) {
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        fragment *v = realloc(f->v, cap * sizeof *v);
        if (!v) return false;
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = (fragment){id, off, len};
    return true;
}

static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t m) {
    if (m == 0 || m > n) return NULL;
    const char *last = hay + (n - m);
    for (const char *p = hay; p <= last; p++) {
        p = memchr(p, needle[0], (size_t)(last - p) + 1);
        if (!p) return NULL;
        if (memcmp(p, needle, m) == 0) return p;
    }
    return NULL;
}

static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// llama.cpp's tokenizer_st_partition: for each special token in turn, longest first, every raw
// fragment is cut around its occurrences. Control and unknown tokens take part only when
// parse_special; user-defined ones always.
static bool partition(const hs_tokenizer *tok, const char *text, size_t len, bool parse_special,
                      fragments *out) {
    fragments cur = {0}, next = {0};
    bool ok = len == 0 || frag_push(&cur, -1, 0, len);
    for (int32_t k = 0; ok && k < tok->n_special; k++) {
        int32_t id = tok->special[k];
        uint16_t attr = tok->attr[id];
        if (!parse_special && (attr & (HS_ATTR_CONTROL | HS_ATTR_UNKNOWN))) continue;
        const char *s = tok_text(tok, id);
        size_t slen = tok->text_len[id];
        if (slen > len) continue;
        next.n = 0;
        for (size_t f = 0; ok && f < cur.n; f++) {
            fragment fr = cur.v[f];
            if (fr.id >= 0) {
                ok = frag_push(&next, fr.id, 0, 0);
                continue;
            }
            size_t off = fr.off, n = fr.len;
            while (ok && n > 0) {
                const char *m = find_bytes(text + off, n, s, slen);
                if (!m) {
                    ok = frag_push(&next, -1, off, n);
                    break;
                }
                size_t at = (size_t)(m - text), left = at - off;
                if (attr & HS_ATTR_LSTRIP)
                    while (left > 0 && is_space(text[off + left - 1])) left--;
                if (left > 0) ok = frag_push(&next, -1, off, left);
                ok = ok && frag_push(&next, id, 0, 0);
                size_t r = at + slen, rn = off + n - r;
                if (attr & HS_ATTR_RSTRIP)
                    while (rn > 0 && is_space(text[r])) r++, rn--;
                off = r;
                n = rn;
            }
        }
        fragments t = cur;
        cur = next;
        next = t;
    }
    free(next.v);
    if (!ok) {
        free(cur.v);
        return false;
    }
    *out = cur;
    return true;
}

int hs_tokenize(const hs_tokenizer *tok, const char *text, size_t len, bool add_special,
                bool parse_special, int32_t *out, int max) {
    if (!tok || (!text && len) || max < 0 || (max > 0 && !out)) return -1;
    fragments frags = {0};
    if (!partition(tok, text, len, parse_special, &frags)) return -1;

    hs_ids ids = {0};
    if (add_special && tok->add_bos) hs_ids_push(&ids, tok->bos);
    bool prev_special = true; // SPM: a space goes before text that starts the input or follows a token
    for (size_t f = 0; f < frags.n; f++) {
        const fragment *fr = &frags.v[f];
        if (fr->id >= 0) {
            hs_ids_push(&ids, fr->id);
            prev_special = true;
        } else if (tok->type == HS_VOCAB_SPM) {
            hs_spm_encode(tok, text + fr->off, fr->len, tok->add_space_prefix && prev_special, &ids);
            prev_special = false;
        } else {
            hs_bpe_encode(tok, text + fr->off, fr->len, &ids);
        }
    }
    if (add_special && tok->add_eos) hs_ids_push(&ids, tok->eos);
    free(frags.v);

    int result = -1;
    if (!ids.oom && ids.n <= (size_t)INT32_MAX) {
        size_t copy = ids.n < (size_t)max ? ids.n : (size_t)max;
        if (copy) memcpy(out, ids.ids, copy * sizeof *out);
        result = (int)ids.n;
    }
    free(ids.ids);
    return result;
}

// ---- pieces ----

typedef struct {
    char *buf;
    int size, n;
} writer;

static void put(writer *w, const char *s, size_t len) {
    if (w->n >= 0 && (size_t)w->n + len <= (size_t)w->size) memcpy(w->buf + w->n, s, len);
    w->n += (int)len;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
}

// The byte of a "<0xXX>" token (llama.cpp parses the two characters after "<0x").
static char byte_of(const char *s, size_t len) {
    int v = 0;
    for (size_t i = 3; i < 5 && i < len && hex_digit(s[i]) >= 0; i++) v = v * 16 + hex_digit(s[i]);
    return (char)v;
}

int hs_token_piece(const hs_tokenizer *tok, int32_t id, bool render_special, char *buf, int size) {
    if (!tok || id < 0 || id >= tok->n_vocab || size < 0 || (size > 0 && !buf)) return -1;
    uint16_t attr = tok->attr[id];
    if (!render_special && (attr & (HS_ATTR_UNKNOWN | HS_ATTR_CONTROL))) return 0;
    const char *s = tok_text(tok, id);
    size_t len = tok->text_len[id];
    writer w = {buf, size, 0};
    if (attr & (HS_ATTR_UNKNOWN | HS_ATTR_CONTROL | HS_ATTR_USER_DEFINED)) {
        put(&w, s, len);
    } else if (attr & HS_ATTR_NORMAL) {
        if (tok->type == HS_VOCAB_SPM) {
            // U+2581 stands for a space
            for (size_t i = 0; i < len;) {
                if (i + 3 <= len && memcmp(s + i, SPM_SPACE, 3) == 0) {
                    put(&w, " ", 1);
                    i += 3;
                } else {
                    put(&w, s + i, 1);
                    i++;
                }
            }
        } else {
            // each codepoint stands for one byte (GPT-2 alphabet); llama.cpp spells out others
            for (size_t i = 0; i < len;) {
                uint32_t cp = hs_utf8_decode((const uint8_t *)s, len, &i);
                int b = hs_gpt2_cp_to_byte(cp);
                if (b >= 0) {
                    char c = (char)b;
                    put(&w, &c, 1);
                } else {
                    char u[8], hex[4];
                    size_t un = hs_utf8_encode(cp, u);
                    put(&w, "[UNK_BYTE_0x", 12);
                    for (size_t k = 0; k < un; k++) {
                        snprintf(hex, sizeof hex, "%02x", (uint8_t)u[k]);
                        put(&w, hex, 2);
                    }
                    put(&w, s, len);
                    put(&w, "]", 1);
                }
            }
        }
    } else if (attr & HS_ATTR_BYTE) {
        char c = byte_of(s, len);
        put(&w, &c, 1);
    }
    return w.n;
}

// ---- accessors ----

int32_t hs_tokenizer_n_vocab(const hs_tokenizer *tok) { return tok->n_vocab; }
int32_t hs_tokenizer_bos(const hs_tokenizer *tok) { return tok->bos; }
int32_t hs_tokenizer_eos(const hs_tokenizer *tok) { return tok->eos; }
int32_t hs_tokenizer_eot(const hs_tokenizer *tok) { return tok->eot; }
bool hs_tokenizer_add_bos(const hs_tokenizer *tok) { return tok->add_bos; }
bool hs_tokenizer_add_eos(const hs_tokenizer *tok) { return tok->add_eos; }
const char *hs_tokenizer_kind(const hs_tokenizer *tok) { return tok->kind; }
const char *hs_tokenizer_warning(const hs_tokenizer *tok) { return tok->warning[0] ? tok->warning : NULL; }

bool hs_tokenizer_is_eog(const hs_tokenizer *tok, int32_t id) {
    if (id < 0 || tok->n_eog == 0) return false;
    return bsearch(&id, tok->eog, (size_t)tok->n_eog, sizeof *tok->eog, cmp_i32) != NULL;
}

const char *hs_token_text(const hs_tokenizer *tok, int32_t id) {
    return id >= 0 && id < tok->n_vocab ? tok_text(tok, id) : NULL;
}
