// Tokenizer tests against llama.cpp's outputs: the vocabulary test vectors in shared/vocab
// (tokenized without BOS and without special-token parsing, as llama.cpp's test-tokenizer-0),
// the prompt ids of the reference runs, round trips through the token pieces, special tokens,
// bad metadata, and speed.
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gguf.h"
#include "pretokenize.h"
#include "harness.h"
#include "tokenizer.h"
#include "unicode.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static gguf_ctx *open_gguf(const char *path) {
    size_t len;
    char *buf = read_file(path, &len);
    if (!buf) return NULL;
    gguf_ctx *ctx = NULL;
    uint64_t need = 0;
    char err[256];
    gguf_status st = gguf_parse((const uint8_t *)buf, len, len, &ctx, &need, err, sizeof err);
    free(buf);
    if (st != GGUF_OK) {
        fprintf(stderr, "%s: %s\n", path, st == GGUF_ERROR ? err : "truncated");
        return NULL;
    }
    return ctx;
}

static hs_tokenizer *open_tokenizer(const char *rel, double *load_ms) {
    gguf_ctx *g = open_gguf(shared_path(rel));
    CHECK(g != NULL, "cannot read %s", shared_path(rel));
    if (!g) return NULL;
    char err[256];
    double t0 = now_ms();
    hs_tokenizer *tok = hs_tokenizer_load(g, err, sizeof err);
    if (load_ms) *load_ms = now_ms() - t0;
    gguf_free(g);
    CHECK(tok != NULL, "%s: %s", rel, err);
    return tok;
}

typedef struct {
    int32_t *v;
    int n;
} ids;

static ids tokenize(const hs_tokenizer *tok, const char *s, size_t len, bool add, bool parse) {
    ids r = {NULL, hs_tokenize(tok, s, len, add, parse, NULL, 0)};
    if (r.n < 0) return r;
    r.v = malloc(((size_t)r.n + 1) * sizeof *r.v);
    int again = hs_tokenize(tok, s, len, add, parse, r.v, r.n);
    CHECK(again == r.n, "count changed between calls: %d then %d", r.n, again);
    return r;
}

static bool ids_equal(ids a, const int32_t *b, int nb) {
    return a.n == nb && (nb == 0 || memcmp(a.v, b, (size_t)nb * sizeof *b) == 0);
}

static void print_ids(const char *label, const int32_t *v, int n) {
    fprintf(stderr, "    %s:", label);
    for (int i = 0; i < n; i++) fprintf(stderr, " %d", v[i]);
    fputc('\n', stderr);
}

// Concatenated pieces (without special tokens), malloc'd; *len set.
static char *detokenize(const hs_tokenizer *tok, ids t, size_t *len) {
    size_t cap = 64, n = 0;
    char *out = malloc(cap);
    for (int i = 0; i < t.n; i++) {
        int need = hs_token_piece(tok, t.v[i], false, NULL, 0);
        if (need < 0) break;
        while (n + (size_t)need + 1 > cap) out = realloc(out, cap *= 2);
        int got = hs_token_piece(tok, t.v[i], false, out + n, need);
        CHECK(got == need, "piece length changed: %d then %d", need, got);
        n += (size_t)need;
    }
    out[n] = 0;
    *len = n;
    return out;
}

// ---- vocabulary test vectors ----

#define SEP "\n__ggml_vocab_test__\n"

static void test_vocab(const char *gguf_name, int *n_vocabs) {
    char rel[512], inp_rel[512], out_rel[512];
    snprintf(rel, sizeof rel, "vocab/%s", gguf_name);
    snprintf(inp_rel, sizeof inp_rel, "vocab/%s.inp", gguf_name);
    snprintf(out_rel, sizeof out_rel, "vocab/%s.out", gguf_name);
    size_t inp_len, out_len;
    char *inp = read_file(shared_path(inp_rel), &inp_len);
    char *out = read_file(shared_path(out_rel), &out_len);
    if (!inp || !out) { // no test vectors for this vocabulary
        free(inp);
        free(out);
        return;
    }
    (*n_vocabs)++;
    double load_ms = 0;
    hs_tokenizer *tok = open_tokenizer(rel, &load_ms);
    if (!tok) {
        free(inp);
        free(out);
        return;
    }
    bool spm = strcmp(hs_tokenizer_kind(tok), "spm") == 0;

    // Strings are separated (and the file ended) by SEP; .out has one line per string.
    int n = 0, pass = 0, round_trip = 0, shown = 0;
    char *s = inp, *line = out;
    double tok_ms = 0;
    for (char *end; (end = strstr(s, SEP)) != NULL; s = end + strlen(SEP), n++) {
        size_t len = (size_t)(end - s);
        char *eol = strchr(line, '\n');
        CHECK(eol != NULL, "%s: .out has fewer lines than .inp has strings", gguf_name);
        if (!eol) break;
        int32_t want[1024];
        int nw = 0;
        for (char *p = line; p < eol && nw < 1024;) {
            char *q;
            long v = strtol(p, &q, 10);
            if (q == p) break;
            want[nw++] = (int32_t)v;
            p = q;
        }
        line = eol + 1;

        double t0 = now_ms();
        ids got = tokenize(tok, s, len, false, false);
        tok_ms += now_ms() - t0;
        if (ids_equal(got, want, nw)) {
            pass++;
        } else if (shown++ < 4) {
            fprintf(stderr, "  %s: string %d \"%.*s\"\n", gguf_name, n, (int)len, s);
            print_ids("want", want, nw);
            print_ids("got ", got.v, got.n);
        }

        size_t dlen;
        char *text = detokenize(tok, got, &dlen);
        const char *d = text;
        if (spm && dlen > 0 && d[0] == ' ') d++, dlen--; // the space SentencePiece puts first
        if (dlen == len && memcmp(d, s, len) == 0) round_trip++;
        else fprintf(stderr, "  %s: string %d does not round-trip: \"%s\"\n", gguf_name, n, text);
        free(text);
        free(got.v);
    }
    printf("%-36s %-20s %2d/%2d exact  %2d/%2d round trip  load %6.1f ms  tokenize %5.2f ms\n",
           gguf_name, hs_tokenizer_kind(tok), pass, n, round_trip, n, load_ms, tok_ms);
    CHECK(n > 0, "%s: no test strings", gguf_name);
    CHECK(pass == n, "%s: %d of %d strings differ from llama.cpp", gguf_name, n - pass, n);
    CHECK(round_trip == n, "%s: %d of %d strings do not round-trip", gguf_name, n - round_trip, n);
    CHECK(*line == 0, "%s: .out has more lines than .inp has strings", gguf_name);
    hs_tokenizer_free(tok);
    free(inp);
    free(out);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_all_vocabs(void) {
    DIR *dir = opendir(shared_path("vocab"));
    CHECK(dir != NULL, "cannot list %s", shared_path("vocab"));
    if (!dir) return;
    char *names[256];
    int count = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL && count < 256;) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".gguf") == 0 && !strstr(e->d_name, "bert-bge"))
            names[count++] = strdup(e->d_name); // bert-bge: WordPiece, not supported
    }
    closedir(dir);
    qsort(names, (size_t)count, sizeof *names, cmp_str);
    int n_vocabs = 0;
    for (int i = 0; i < count; i++) {
        test_vocab(names[i], &n_vocabs);
        free(names[i]);
    }
    CHECK(n_vocabs >= 9, "only %d vocabularies with test vectors found", n_vocabs);
}

// ---- reference prompts (ref.json: "prompt":"...","prompt_ids":[...]) ----

// Decodes the JSON string starting after the opening quote; returns its length in out.
static size_t json_string(const char *p, char *out, size_t cap) {
    size_t n = 0;
    while (*p && *p != '"' && n + 4 < cap) {
        if (*p != '\\') {
            out[n++] = *p++;
            continue;
        }
        p++;
        char c = *p++;
        if (c == 'u') {
            unsigned cp = (unsigned)strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = (unsigned)strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            if (cp < 0x80) out[n++] = (char)cp;
            else if (cp < 0x800) out[n++] = (char)(0xC0 | cp >> 6), out[n++] = (char)(0x80 | (cp & 0x3F));
            else if (cp < 0x10000)
                out[n++] = (char)(0xE0 | cp >> 12), out[n++] = (char)(0x80 | ((cp >> 6) & 0x3F)),
                out[n++] = (char)(0x80 | (cp & 0x3F));
            else
                out[n++] = (char)(0xF0 | cp >> 18), out[n++] = (char)(0x80 | ((cp >> 12) & 0x3F)),
                out[n++] = (char)(0x80 | ((cp >> 6) & 0x3F)), out[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
            out[n++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
        }
    }
    return n;
}

// Checks every prompt of a reference file against the model's tokenizer (with BOS).
static int test_ref_prompts(const char *model_rel, const char *ref_rel) {
    size_t len;
    char *json = read_file(shared_path(ref_rel), &len);
    CHECK(json != NULL, "cannot read %s", shared_path(ref_rel));
    if (!json) return 0;
    hs_tokenizer *tok = open_tokenizer(model_rel, NULL);
    int n = 0, pass = 0;
    for (char *p = json; tok && (p = strstr(p, "\"prompt\":\"")) != NULL; n++) {
        char prompt[1024];
        size_t plen = json_string(p + 10, prompt, sizeof prompt);
        char *q = strstr(p, "\"prompt_ids\":[");
        CHECK(q != NULL, "%s: prompt without prompt_ids", ref_rel);
        if (!q) break;
        int32_t want[1024];
        int nw = 0;
        for (q += 14; *q != ']' && nw < 1024;) {
            want[nw++] = (int32_t)strtol(q, &q, 10);
            if (*q == ',') q++;
        }
        ids got = tokenize(tok, prompt, plen, true, true);
        if (ids_equal(got, want, nw)) {
            pass++;
        } else {
            fprintf(stderr, "  %s: \"%.*s\"\n", model_rel, (int)plen, prompt);
            print_ids("want", want, nw);
            print_ids("got ", got.v, got.n);
        }
        free(got.v);
        p = q;
    }
    if (tok)
        printf("%-36s %-20s %2d/%2d prompts\n", strrchr(model_rel, '/') + 1, hs_tokenizer_kind(tok), pass, n);
    CHECK(n > 0 && pass == n, "%s: %d of %d prompts differ from llama.cpp", model_rel, n - pass, n);
    hs_tokenizer_free(tok);
    free(json);
    return n;
}

static void test_models(void) {
    hs_tokenizer *tok = open_tokenizer("models/stories260K/stories260K-f32.gguf", NULL);
    if (tok) {
        static const int32_t want[] = {1, 403, 407, 261, 378};
        ids got = tokenize(tok, "Once upon a time", 16, true, false);
        CHECK(ids_equal(got, want, 5), "stories260K: \"Once upon a time\" -> %d tokens", got.n);
        free(got.v);
        CHECK(hs_tokenizer_add_bos(tok) && hs_tokenizer_bos(tok) == 1 && hs_tokenizer_eos(tok) == 2,
              "stories260K special ids");
        CHECK(hs_tokenizer_is_eog(tok, 2) && !hs_tokenizer_is_eog(tok, 1), "stories260K EOG set");
        hs_tokenizer_free(tok);
    }
    test_ref_prompts("models/stories260K/stories260K-f32.gguf", "reference/stories260K-f32.ref.json");
    static const char *const synth[] = {"synth-llama-spm512-F32", "synth-llama-bpe1k-tied-F32",
                                        "synth-qwen2-bpe1k-F32", "synth-qwen3-bpe1k-tied-F32"};
    for (size_t i = 0; i < sizeof synth / sizeof synth[0]; i++) {
        char model[256], ref[256];
        snprintf(model, sizeof model, "models/synthetic/%s.gguf", synth[i]);
        snprintf(ref, sizeof ref, "reference/synthetic/%s.ref.json", synth[i]);
        test_ref_prompts(model, ref);
    }
}

// ---- pre-tokenizers on one text, for the families no vocabulary above covers ----
// The expected word lengths (in codepoints) come from an emulation of llama.cpp's splitting
// (its regex lists run on the collapsed text with ECMAScript semantics) in Python.

static const char PRE_TEXT[] =
    "Hello, world! 1234 \303\274n\303\257c\303\266d\303\251 \360\237\231\202 I'VE been 't"
    "is\012\012  x  \011\015\012END HELLOworld HelloWorld \303\211\303\251A \344\270\255"
    "\346\226\207 \346\227\245\346\234\254\350\252\236\343\201\256\343\203\206\343\202"
    "\255\343\202\271\343\203\210 \355\225\234\352\265\255\354\226\264 \302\275\302\262 "
    "\357\275\236\357\274\201\357\274\214\343\200\202 \342\200\246\340\245\244 x = a+b*(c"
    "-d)/e; // ~~~ `code` $100.00 1234567 cafe\314\201!\302\240\343\200\200end  ";
static const struct {
    hs_pre_type type;
    const char *name;
    uint8_t lens[96]; // word lengths, 0-terminated
} PRE_CASES[] = {
    {HS_PRE_DEFAULT, "default", {5,1,6,1,1,3,1,8,2,2,1,2,5,1,1,3,3,2,4,1,3,11,11,4,3,9,4,1,2,2,3,
        1,2,2,1,1,2,1,1,2,1,1,1,2,1,1,1,2,1,3,2,4,1,1,1,3,1,2,1,3,3,1,5,1,1,1,1,3,2}},
    {HS_PRE_GPT2, "gpt2", {5,1,6,1,5,8,2,2,1,2,5,2,3,3,2,4,1,3,11,11,4,3,9,4,3,5,3,2,2,2,1,1,2,1,
        1,1,2,1,1,3,4,2,4,1,2,3,1,2,8,5,2,1,1,3,2}},
    {HS_PRE_LLAMA3, "llama3", {5,1,6,1,1,3,1,8,2,2,3,5,2,3,2,1,2,5,3,11,11,4,3,9,4,1,2,5,3,2,2,2,
        2,2,1,2,2,1,1,3,4,2,4,1,2,3,1,2,1,3,3,1,5,2,1,4,2}},
    {HS_PRE_QWEN2, "qwen2", {5,1,6,1,1,1,1,1,1,8,2,2,3,5,2,3,2,1,2,5,3,11,11,4,3,9,4,1,1,1,5,3,2,
        2,2,2,2,1,2,2,1,1,3,4,2,4,1,2,1,1,1,1,1,1,1,1,1,1,1,1,1,1,5,2,1,4,2}},
    {HS_PRE_SEED_CODER, "seed_coder", {5,1,6,1,1,1,1,1,1,8,2,2,3,5,2,3,2,1,2,5,3,11,11,4,3,9,4,1,
        1,1,5,3,2,2,2,2,2,1,2,2,1,1,3,4,2,4,1,2,1,1,1,1,1,1,1,1,1,1,1,1,1,1,5,2,1,4,2}},
    {HS_PRE_UFAKZEKA, "ufakzeka", {5,1,6,1,1,1,1,1,1,8,2,2,3,5,2,3,2,1,2,5,3,11,11,4,3,9,4,1,1,1,
        5,3,2,2,2,2,2,1,2,2,1,1,3,4,2,4,1,2,1,1,1,1,1,1,1,1,1,1,1,1,1,1,5,2,1,4,2}},
    {HS_PRE_STARCODER, "starcoder", {5,1,6,1,1,1,1,1,1,8,2,2,1,2,5,2,3,3,2,4,1,3,11,11,4,3,9,4,1,
        1,1,5,3,2,2,2,1,1,2,1,1,1,2,1,1,3,4,2,4,1,2,1,1,1,1,1,1,1,1,1,1,1,1,1,1,5,2,1,1,3,2}},
    {HS_PRE_FALCON, "falcon", {5,1,6,1,1,3,1,8,2,2,1,2,5,1,1,3,3,2,4,1,3,11,11,4,3,9,4,3,2,3,1,2,
        2,1,1,2,1,1,2,1,1,1,2,1,1,1,2,1,3,1,1,4,1,1,1,3,1,2,1,3,3,1,5,1,1,1,1,3,2}},
    {HS_PRE_DEEPSEEK_LLM, "deepseek_llm", {5,1,6,1,1,4,2,1,1,1,1,1,1,2,2,1,2,5,2,3,1,1,1,2,3,1,1,
        3,11,11,3,1,1,2,1,8,1,3,1,2,4,1,1,2,2,2,2,1,1,2,1,1,1,2,1,1,3,4,2,4,1,2,3,1,2,1,7,5,1,1,1,
        4,2}},
    {HS_PRE_DEEPSEEK_CODER, "deepseek_coder", {5,1,6,1,1,1,1,1,1,8,2,2,1,2,5,2,3,1,1,1,2,3,1,1,3,
        11,11,4,1,2,1,8,1,3,1,1,1,2,2,1,1,2,2,2,2,1,1,2,1,1,1,2,1,1,3,6,4,3,1,1,1,1,1,1,1,1,1,1,1,
        1,1,1,5,1,1,1,4,2}},
    {HS_PRE_DEEPSEEK3, "deepseek3", {5,1,6,1,1,3,1,8,2,2,3,5,2,3,2,1,2,5,3,11,11,4,1,2,1,8,4,1,2,
        5,3,2,2,2,2,2,1,2,2,1,1,3,1,3,2,4,1,2,3,1,2,1,3,3,1,6,1,1,4,2}},
    {HS_PRE_BLOOM, "bloom", {5,1,6,1,5,8,2,5,5,5,3,2,5,3,11,11,4,3,9,4,3,3,5,2,2,5,1,3,1,3,3,4,7,
        5,1,2,8,6,3,3,2}},
    {HS_PRE_VIKING, "viking", {5,1,6,1,1,1,1,1,1,8,2,5,5,5,3,2,5,3,11,11,4,3,9,4,1,1,1,3,5,2,2,5,
        1,3,1,3,3,4,7,2,1,1,1,1,1,1,1,1,1,1,1,1,1,1,6,3,3,2}},
    {HS_PRE_GPT4O, "gpt4o", {5,1,6,1,1,3,1,8,2,5,5,2,3,2,1,2,5,3,11,6,5,3,1,3,9,4,1,2,5,3,2,2,2,2,
        2,1,2,2,1,1,3,4,2,4,1,2,3,1,2,1,3,3,1,5,2,1,4,2}},
    {HS_PRE_TEKKEN, "tekken", {5,1,6,1,1,1,1,1,1,8,2,2,3,5,2,3,2,1,2,5,3,11,6,5,3,1,3,9,4,1,1,1,5,
        3,2,2,2,2,2,1,2,2,1,1,3,4,2,4,1,2,1,1,1,1,1,1,1,1,1,1,1,1,1,1,5,2,1,4,2}},
};

static void test_pretokenizers(void) {
    size_t len = strlen(PRE_TEXT), n = 0;
    uint32_t cps[512], lens[512];
    for (size_t pos = 0; pos < len && n < 512;)
        cps[n++] = hs_utf8_decode((const uint8_t *)PRE_TEXT, len, &pos);
    for (size_t c = 0; c < sizeof PRE_CASES / sizeof PRE_CASES[0]; c++) {
        ptrdiff_t got = hs_pretokenize(PRE_CASES[c].type, cps, n, lens);
        ptrdiff_t want = 0;
        while (want < 96 && PRE_CASES[c].lens[want]) want++;
        bool same = got == want;
        for (ptrdiff_t k = 0; same && k < want; k++) same = lens[k] == PRE_CASES[c].lens[k];
        CHECK(same, "pre-tokenizer %s splits differently (%td words, want %td)", PRE_CASES[c].name, got,
              want);
    }
}

// ---- special tokens and pieces ----

static bool contains_id(ids t, int32_t id) {
    for (int i = 0; i < t.n; i++)
        if (t.v[i] == id) return true;
    return false;
}

static void test_special(void) {
    hs_tokenizer *tok = open_tokenizer("vocab/ggml-vocab-gpt-2.gguf", NULL);
    if (tok) {
        const char *s = "Hello<|endoftext|> world";
        ids a = tokenize(tok, s, strlen(s), true, true);
        ids b = tokenize(tok, s, strlen(s), true, false);
        CHECK(a.n == 3 && a.v[1] == 50256, "gpt-2: parse_special should give one <|endoftext|> token");
        CHECK(!contains_id(b, 50256), "gpt-2: <|endoftext|> recognised without parse_special");
        CHECK(!hs_tokenizer_add_bos(tok), "gpt-2 adds no BOS");
        CHECK(hs_tokenizer_eot(tok) == 50256 && hs_tokenizer_is_eog(tok, 50256), "gpt-2 EOT/EOG");
        char buf[32];
        CHECK(hs_token_piece(tok, 50256, false, buf, sizeof buf) == 0, "control piece not empty");
        int n = hs_token_piece(tok, 50256, true, buf, sizeof buf);
        CHECK(n == 13 && memcmp(buf, "<|endoftext|>", 13) == 0, "rendered control piece");
        n = hs_token_piece(tok, 198, false, buf, sizeof buf); // "Ċ"
        CHECK(n == 1 && buf[0] == '\n', "gpt-2 piece of 198 should be a newline");
        CHECK(hs_token_piece(tok, 50257, false, buf, sizeof buf) == -1, "invalid id accepted");
        int32_t few[2];
        CHECK(hs_tokenize(tok, "Hello world, again", 18, false, false, few, 2) == 4,
              "count when out is too small");
        free(a.v);
        free(b.v);
        hs_tokenizer_free(tok);
    }

    tok = open_tokenizer("vocab/ggml-vocab-llama-spm.gguf", NULL);
    if (tok) {
        ids plain = tokenize(tok, "Hello", 5, false, false);
        ids with = tokenize(tok, "<s>Hello", 8, false, true);
        CHECK(with.n == plain.n + 1 && with.v[0] == 1 &&
                  memcmp(with.v + 1, plain.v, (size_t)plain.n * sizeof *plain.v) == 0,
              "spm: text after a special token gets the space prefix");
        ids bos = tokenize(tok, "Hello", 5, true, false);
        CHECK(bos.n == plain.n + 1 && bos.v[0] == 1, "spm: BOS with add_special");
        char buf[8];
        int n = hs_token_piece(tok, 13, false, buf, sizeof buf); // <0x0A>
        CHECK(n == 1 && buf[0] == '\n', "spm byte token piece");
        ids nl = tokenize(tok, "\n", 1, false, false);
        CHECK(contains_id(nl, 13), "spm: newline through byte fallback");
        free(plain.v);
        free(with.v);
        free(bos.v);
        free(nl.v);
        hs_tokenizer_free(tok);
    }
}

// ---- metadata problems ----

// A shallow copy of ctx whose kv array may be edited.
static gguf_ctx *edit_copy(const gguf_ctx *g) {
    gguf_ctx *c = malloc(sizeof *c);
    *c = *g;
    c->kv = malloc(g->n_kv * sizeof *c->kv);
    memcpy(c->kv, g->kv, g->n_kv * sizeof *c->kv);
    return c;
}
static gguf_kv *find_kv(gguf_ctx *c, const char *key) {
    for (uint64_t i = 0; i < c->n_kv; i++)
        if (strcmp(c->kv[i].key.data, key) == 0) return &c->kv[i];
    return NULL;
}

static void test_metadata(void) {
    gguf_ctx *g = open_gguf(shared_path("vocab/ggml-vocab-gpt-2.gguf"));
    if (!g) return;
    char err[256];

    gguf_ctx *c = edit_copy(g);
    gguf_kv *kv = find_kv(c, "tokenizer.ggml.pre");
    gguf_value saved = kv->value;
    char unknown[] = "no-such-pre";
    kv->value.str = (gguf_str){sizeof unknown - 1, unknown};
    hs_tokenizer *tok = hs_tokenizer_load(c, err, sizeof err);
    CHECK(tok != NULL, "unknown pre should load: %s", err);
    if (tok) {
        CHECK(strcmp(hs_tokenizer_kind(tok), "bpe:default") == 0, "kind %s", hs_tokenizer_kind(tok));
        const char *w = hs_tokenizer_warning(tok);
        CHECK(w && strstr(w, "no-such-pre"), "warning should name the pre-tokenizer: %s", w ? w : "(none)");
        ids t = tokenize(tok, "Hello world 123", 15, false, false);
        CHECK(t.n > 0, "default pre-tokenizer tokenizes");
        free(t.v);
        hs_tokenizer_free(tok);
    }

    kv->value = saved;
    kv = find_kv(c, "tokenizer.ggml.tokens");
    gguf_str saved_key = kv->key;
    char renamed[] = "tokenizer.ggml.tokenz";
    kv->key = (gguf_str){sizeof renamed - 1, renamed};
    err[0] = 0;
    CHECK(hs_tokenizer_load(c, err, sizeof err) == NULL && strstr(err, "tokenizer.ggml.tokens"),
          "missing tokens: %s", err);
    kv->key = saved_key;

    kv = find_kv(c, "tokenizer.ggml.merges");
    saved = kv->value;
    kv->value.type = GGUF_TYPE_UINT32;
    kv->value.u32 = 7;
    err[0] = 0;
    CHECK(hs_tokenizer_load(c, err, sizeof err) == NULL && strstr(err, "tokenizer.ggml.merges"),
          "bad merges: %s", err);
    kv->value = saved;

    kv = find_kv(c, "tokenizer.ggml.model");
    char bert[] = "bert";
    kv->value.str = (gguf_str){sizeof bert - 1, bert};
    err[0] = 0;
    CHECK(hs_tokenizer_load(c, err, sizeof err) == NULL && strstr(err, "tokenizer.ggml.model"),
          "unsupported model: %s", err);

    free(c->kv);
    free(c);
    gguf_free(g);
}

// ---- speed: a few KB must take milliseconds ----

static void test_speed(void) {
    size_t len;
    char *inp = read_file(shared_path("vocab/ggml-vocab-gpt-2.gguf.inp"), &len);
    if (!inp) return;
    size_t big_len = 0;
    char *big = malloc(len * 8 + 1);
    while (big_len < 8 * 1024) {
        memcpy(big + big_len, inp, len);
        big_len += len;
    }
    static const char *const vocabs[] = {"vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-llama-spm.gguf",
                                         "vocab/ggml-vocab-deepseek-llm.gguf"};
    for (size_t i = 0; i < sizeof vocabs / sizeof vocabs[0]; i++) {
        double load_ms;
        hs_tokenizer *tok = open_tokenizer(vocabs[i], &load_ms);
        if (!tok) continue;
        double t0 = now_ms();
        ids t = tokenize(tok, big, big_len, false, false);
        double ms = now_ms() - t0;
        printf("speed %-34s load %6.1f ms, %zu bytes -> %d tokens in %6.2f ms\n", vocabs[i], load_ms,
               big_len, t.n, ms);
        CHECK(t.n > 0 && ms < 1000, "%s: tokenizing %zu bytes took %.1f ms", vocabs[i], big_len, ms);
        CHECK(load_ms < 3000, "%s: loading took %.1f ms", vocabs[i], load_ms);
        free(t.v);
        hs_tokenizer_free(tok);
    }
    free(big);
    free(inp);
}

int main(void) {
    test_all_vocabs();
    test_models();
    test_pretokenizers();
    test_special();
    test_metadata();
    test_speed();
    return test_finish();
}
