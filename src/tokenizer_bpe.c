// Byte-level BPE ("gpt2") tokenization as llama.cpp does it: the pre-tokenizer splits the text
// into words; each word's UTF-8 bytes are spelled in GPT-2's byte alphabet; adjacent symbols
// are merged by the rank of their pair in tokenizer.ggml.merges (lowest first, ties: leftmost).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

#define KEY_PRE "tokenizer.ggml.pre"
#define KEY_MERGES "tokenizer.ggml.merges"

// ---- pre-tokenizer names (llama.cpp's list, minus the ones without a splitter here) ----

enum { IGNORE_MERGES = 1, ADD_BOS = 2, NO_BOS = 4 };

static const struct {
    const char *name;
    hs_pre_type pre;
    int flags;
} PRE_NAMES[] = {
    {"default", HS_PRE_DEFAULT, 0},
    {"llama3", HS_PRE_LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"llama-v3", HS_PRE_LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"llama-bpe", HS_PRE_LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"falcon3", HS_PRE_LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"falcon-h1", HS_PRE_LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"pixtral", HS_PRE_LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"midm-2.0", HS_PRE_LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"lfm2", HS_PRE_LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"jina-v5-nano", HS_PRE_LLAMA3, IGNORE_MERGES | ADD_BOS},
    {"dbrx", HS_PRE_LLAMA3, 0},
    {"smaug-bpe", HS_PRE_LLAMA3, 0},
    {"glm4", HS_PRE_LLAMA3, NO_BOS},
    {"chatglm-bpe", HS_PRE_LLAMA3, NO_BOS},
    {"deepseek-llm", HS_PRE_DEEPSEEK_LLM, 0},
    {"deepseek-coder", HS_PRE_DEEPSEEK_CODER, 0},
    {"deepseek-v3", HS_PRE_DEEPSEEK3, 0},
    {"hunyuan-dense", HS_PRE_DEEPSEEK3, 0},
    {"hy_v4", HS_PRE_DEEPSEEK3, 0},
    {"joyai-llm", HS_PRE_DEEPSEEK3, 0},
    {"falcon", HS_PRE_FALCON, 0},
    {"gpt-2", HS_PRE_GPT2, 0},
    {"mpt", HS_PRE_GPT2, 0},
    {"olmo", HS_PRE_GPT2, 0},
    {"jais", HS_PRE_GPT2, 0},
    {"phi-2", HS_PRE_GPT2, 0},
    {"jina-es", HS_PRE_GPT2, 0},
    {"jina-de", HS_PRE_GPT2, 0},
    {"gigachat", HS_PRE_GPT2, 0},
    {"jina-v2-es", HS_PRE_GPT2, 0},
    {"jina-v2-de", HS_PRE_GPT2, 0},
    {"jina-v1-en", HS_PRE_GPT2, 0},
    {"jina-v2-code", HS_PRE_GPT2, 0},
    {"roberta-bpe", HS_PRE_GPT2, 0},
    {"a.x-4.0", HS_PRE_GPT2, 0},
    {"mellum", HS_PRE_GPT2, 0},
    {"modern-bert", HS_PRE_GPT2, 0},
    {"exaone4", HS_PRE_GPT2, 0},
    {"trillion", HS_PRE_GPT2, 0},
    {"granite-docling", HS_PRE_GPT2, 0},
    {"starcoder", HS_PRE_STARCODER, 0},
    {"refact", HS_PRE_STARCODER, 0},
    {"command-r", HS_PRE_STARCODER, 0},
    {"smollm", HS_PRE_STARCODER, 0},
    {"codeshell", HS_PRE_STARCODER, 0},
    {"exaone", HS_PRE_STARCODER, 0},
    {"minerva-7b", HS_PRE_STARCODER, 0},
    {"mellum2", HS_PRE_STARCODER, 0},
    {"qwen2", HS_PRE_QWEN2, 0},
    {"deepseek-r1-qwen", HS_PRE_QWEN2, 0},
    {"kormo", HS_PRE_QWEN2, 0},
    {"f2llmv2", HS_PRE_QWEN2, 0},
    {"megrez", HS_PRE_QWEN2, 0},
    {"stablelm2", HS_PRE_QWEN2, 0},
    {"hunyuan", HS_PRE_QWEN2, 0},
    {"solar-open", HS_PRE_QWEN2, 0},
    {"grok-2", HS_PRE_QWEN2, 0},
    {"seed-coder", HS_PRE_SEED_CODER, 0},
    {"ufakzeka", HS_PRE_UFAKZEKA, 0},
    {"bloom", HS_PRE_BLOOM, 0},
    {"poro-chat", HS_PRE_BLOOM, 0},
    {"gpt3-finnish", HS_PRE_BLOOM, 0},
    {"viking", HS_PRE_VIKING, 0},
    {"gpt-4o", HS_PRE_GPT4O, 0},
    {"llama4", HS_PRE_GPT4O, 0},
    {"kanana2", HS_PRE_GPT4O, 0},
    {"talkie", HS_PRE_GPT4O, 0},
    {"minimax-m2", HS_PRE_GPT4O, 0},
    {"tekken", HS_PRE_TEKKEN, IGNORE_MERGES | ADD_BOS},
};

// ---- merges: (left, right) -> rank ----

struct hs_bpe_merges {
    char *text;         // the merge strings "left right", each NUL-terminated
    uint32_t *off;      // rank -> offset in text
    uint32_t *left_len; // rank -> length of the left part
    uint32_t *len;      // rank -> length of the whole string
    uint32_t *map;      // hash slots: rank + 1, 0 = empty
    uint32_t mask;
};

static uint64_t pair_hash(const char *l, size_t ln, const char *r, size_t rn) {
    return hs_fnv1a(hs_fnv1a(hs_fnv1a(HS_FNV_INIT, l, ln), " ", 1), r, rn);
}

static int32_t merge_rank(const hs_bpe_merges *m, const char *l, size_t ln, const char *r, size_t rn) {
    uint32_t slot = (uint32_t)pair_hash(l, ln, r, rn) & m->mask;
    for (;; slot = (slot + 1) & m->mask) {
        uint32_t v = m->map[slot];
        if (!v) return -1;
        uint32_t k = v - 1;
        const char *s = m->text + m->off[k];
        if (m->left_len[k] == ln && m->len[k] == ln + 1 + rn && memcmp(s, l, ln) == 0 &&
            memcmp(s + ln + 1, r, rn) == 0)
            return (int32_t)k;
    }
}

void hs_bpe_free(hs_bpe_merges *m) {
    if (!m) return;
    free(m->text);
    free(m->off);
    free(m->left_len);
    free(m->len);
    free(m->map);
    free(m);
}

static bool fail(char *err, size_t err_size, const char *msg, const char *key) {
    if (err && err_size) snprintf(err, err_size, "%s: %s", key, msg);
    return false;
}

// Each merge "left right" splits at the first space after its first byte; the first of equal
// pairs keeps its rank.
static bool load_merges(hs_tokenizer *tok, const gguf_ctx *g, char *err, size_t err_size) {
    uint32_t et;
    uint64_t n;
    const void *data;
    if (!gguf_find(g, KEY_MERGES)) return fail(err, err_size, "missing", KEY_MERGES);
    if (!gguf_get_arr(g, KEY_MERGES, &et, &n, &data) || et != GGUF_TYPE_STRING)
        return fail(err, err_size, "expected an array of strings", KEY_MERGES);
    if (n > INT32_MAX / 4) return fail(err, err_size, "too many merges", KEY_MERGES);
    const gguf_str *strs = data;
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) total += strs[i].len + 1;
    if (total > UINT32_MAX) return fail(err, err_size, "merges too large", KEY_MERGES);

    hs_bpe_merges *m = calloc(1, sizeof *m);
    if (!m) return fail(err, err_size, "out of memory", KEY_MERGES);
    tok->merges = m;
    uint32_t cap = 1;
    while (cap < 2 * n) cap *= 2;
    m->text = malloc(total ? (size_t)total : 1);
    m->off = malloc((n ? n : 1) * sizeof *m->off);
    m->left_len = malloc((n ? n : 1) * sizeof *m->left_len);
    m->len = malloc((n ? n : 1) * sizeof *m->len);
    m->map = calloc(cap, sizeof *m->map);
    m->mask = cap - 1;
    if (!m->text || !m->off || !m->left_len || !m->len || !m->map)
        return fail(err, err_size, "out of memory", KEY_MERGES);

    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *s = strs[i].data;
        size_t len = strs[i].len;
        memcpy(m->text + off, s, len);
        m->text[off + len] = 0;
        m->off[i] = (uint32_t)off;
        m->len[i] = (uint32_t)len;
        off += len + 1;
        const char *sp = len > 1 ? memchr(s + 1, ' ', len - 1) : NULL;
        if (!sp) { // no pair: llama.cpp files it under ("", ""), which never matches
            m->left_len[i] = UINT32_MAX;
            continue;
        }
        size_t ln = (size_t)(sp - s);
        m->left_len[i] = (uint32_t)ln;
        if (merge_rank(m, s, ln, sp + 1, len - ln - 1) >= 0) continue;
        uint32_t slot = (uint32_t)pair_hash(s, ln, sp + 1, len - ln - 1) & m->mask;
        while (m->map[slot]) slot = (slot + 1) & m->mask;
        m->map[slot] = i + 1;
    }
    return true;
}

bool hs_bpe_load(hs_tokenizer *tok, const gguf_ctx *g, char *err, size_t err_size) {
    const char *pre = gguf_get_str(g, KEY_PRE);
    if (!pre && gguf_find(g, KEY_PRE)) return fail(err, err_size, "expected a string", KEY_PRE);
    tok->pre = HS_PRE_DEFAULT;
    snprintf(tok->kind, sizeof tok->kind, "bpe:default");
    if (!pre) {
        snprintf(tok->warning, sizeof tok->warning,
                 KEY_PRE " is missing: using llama.cpp's default pre-tokenizer");
    } else {
        size_t k = 0, n = sizeof PRE_NAMES / sizeof PRE_NAMES[0];
        while (k < n && strcmp(PRE_NAMES[k].name, pre) != 0) k++;
        if (k == n) {
            snprintf(tok->warning, sizeof tok->warning,
                     "unknown " KEY_PRE " '%.64s': using llama.cpp's default pre-tokenizer", pre);
        } else {
            tok->pre = PRE_NAMES[k].pre;
            tok->ignore_merges = PRE_NAMES[k].flags & IGNORE_MERGES;
            if (PRE_NAMES[k].flags & ADD_BOS) tok->add_bos = true;
            if (PRE_NAMES[k].flags & NO_BOS) tok->bos = -1;
            snprintf(tok->kind, sizeof tok->kind, "bpe:%s", PRE_NAMES[k].name);
        }
    }
    return load_merges(tok, g, err, err_size);
}

// ---- merging one word ----

typedef struct {
    int prev, next;
    size_t off, n; // bytes of the encoded word; n = 0 once merged into the left neighbour
} symbol;

typedef struct {
    int left, right;
    int32_t rank;
    size_t size;
} bigram;

typedef struct {
    const hs_tokenizer *tok;
    const char *word;
    symbol *sym;
    bigram *q; // binary heap
    size_t qn, qcap;
    hs_ids *out;
} session;

static bool before(const bigram *a, const bigram *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static void queue_push(session *s, bigram b) {
    if (s->qn == s->qcap) {
        size_t cap = s->qcap ? s->qcap * 2 : 64;
        bigram *v = realloc(s->q, cap * sizeof *v);
        if (!v) {
            s->out->oom = true;
            return;
        }
        s->q = v;
        s->qcap = cap;
    }
    size_t i = s->qn++;
    while (i > 0 && before(&b, &s->q[(i - 1) / 2])) {
        s->q[i] = s->q[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->q[i] = b;
}

static bigram queue_pop(session *s) {
    bigram top = s->q[0], last = s->q[--s->qn];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->qn) break;
        if (c + 1 < s->qn && before(&s->q[c + 1], &s->q[c])) c++;
        if (!before(&s->q[c], &last)) break;
        s->q[i] = s->q[c];
        i = c;
    }
    if (s->qn) s->q[i] = last;
    return top;
}

static void add_bigram(session *s, int left, int right) {
    if (left < 0 || right < 0) return;
    const symbol *l = &s->sym[left], *r = &s->sym[right];
    int32_t rank = merge_rank(s->tok->merges, s->word + l->off, l->n, s->word + r->off, r->n);
    if (rank >= 0) queue_push(s, (bigram){left, right, rank, l->n + r->n});
}

static void encode_word(session *s, size_t len) {
    const hs_tokenizer *tok = s->tok;
    const char *w = s->word;
    if (tok->ignore_merges) {
        int32_t id = hs_vocab_find(tok, w, len);
        if (id >= 0) {
            hs_ids_push(s->out, id);
            return;
        }
    }
    int n_sym = 0;
    for (size_t off = 0; off < len;) {
        size_t n = hs_utf8_len((uint8_t)w[off]);
        if (n > len - off) n = len - off;
        s->sym[n_sym] = (symbol){n_sym - 1, off + n == len ? -1 : n_sym + 1, off, n};
        n_sym++;
        off += n;
    }
    s->qn = 0;
    for (int i = 1; i < n_sym; i++) add_bigram(s, i - 1, i);
    while (s->qn && !s->out->oom) {
        bigram b = queue_pop(s);
        symbol *l = &s->sym[b.left], *r = &s->sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue; // outdated
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) s->sym[r->next].prev = b.left;
        add_bigram(s, l->prev, b.left);
        add_bigram(s, b.left, l->next);
    }
    for (int i = 0; i != -1; i = s->sym[i].next) {
        const symbol *y = &s->sym[i];
        int32_t id = hs_vocab_find(tok, w + y->off, y->n);
        if (id >= 0) {
            hs_ids_push(s->out, id);
            continue;
        }
        // Not a token: llama.cpp looks each byte of the spelled symbol up as a token of its own
        // (which rarely exists) and drops the ones that are not.
        for (size_t k = 0; k < y->n; k++) {
            id = hs_vocab_find(tok, w + y->off + k, 1);
            if (id >= 0) hs_ids_push(s->out, id);
        }
    }
}

void hs_bpe_encode(const hs_tokenizer *tok, const char *src, size_t len, hs_ids *out) {
    if (len == 0) return;
    uint32_t *cps = malloc(len * sizeof *cps);
    uint32_t *lens = malloc(len * sizeof *lens);
    char *word = NULL;
    symbol *sym = NULL;
    session s = {tok, NULL, NULL, NULL, 0, 0, out};
    if (!cps || !lens) goto oom;

    size_t n = 0;
    for (size_t pos = 0; pos < len;) cps[n++] = hs_utf8_decode((const uint8_t *)src, len, &pos);
    ptrdiff_t n_words = hs_pretokenize(tok->pre, cps, n, lens);
    if (n_words < 0) goto oom;
    size_t longest = 0;
    for (ptrdiff_t k = 0; k < n_words; k++)
        if (lens[k] > longest) longest = lens[k];
    // a codepoint is at most 4 UTF-8 bytes, each spelled with a character of at most 2 bytes
    word = malloc(longest * 8);
    sym = malloc(longest * 8 * sizeof *sym);
    if (!word || !sym) goto oom;
    s.word = word;
    s.sym = sym;

    const uint32_t *cp = cps;
    for (ptrdiff_t k = 0; k < n_words && !out->oom; k++) {
        size_t wlen = 0;
        for (uint32_t j = 0; j < lens[k]; j++) {
            char utf8[4];
            size_t un = hs_utf8_encode(cp[j], utf8);
            for (size_t b = 0; b < un; b++)
                wlen += hs_utf8_encode(hs_gpt2_byte_to_cp((uint8_t)utf8[b]), word + wlen);
        }
        cp += lens[k];
        encode_word(&s, wlen);
    }
    goto done;
oom:
    out->oom = true;
done:
    free(cps);
    free(lens);
    free(word);
    free(sym);
    free(s.q);
}
