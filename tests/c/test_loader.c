// The loader and the engine's error paths: a model fed in chunks of any size gives the same
// logits as one read whole; split GGUF; every malformed model gives its own clear error and the
// engine loads a good model right after; context overflow; the header-only estimate.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf.h"
#include "gguf_writer.h"
#include "harness.h"
#include "hearth.h"
#include "types.h"

#define STORIES "models/stories260K/stories260K-f32.gguf"
#define SYNTH "models/synthetic/synth-llama-spm512-F32.gguf"

static char tmpdir[256];

static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int slot;
    char *p = buf[slot++ & 3];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

// ---- rewriting a real model with one defect ----

typedef struct {
    const char *drop_key;
    const char *arch;          // replaces general.architecture (and renames the arch keys)
    const char *drop_tensor;
    const char *reshape_tensor; // its second dimension becomes reshape_ne1 (data sized to match)
    uint64_t reshape_ne1;
    uint64_t vocab_tokens;     // keep only this many tokens/scores/types
    const char *retype_tensor; // its type becomes new_type (data sized to match, zero-filled)
    uint32_t new_type;
    uint64_t tensor_from, tensor_to; // write only tensors [from, to) (for shards); 0, 0 = all
    const char *trim_tensor;   // keeps only its first trim_ne1 rows (data cut to match)
    uint64_t trim_ne1;
} edit;

static void *read_model(const char *rel, size_t *size, gguf_ctx **g) {
    uint8_t *data = (uint8_t *)read_file(shared_path(rel), size);
    char err[256];
    if (!data || gguf_parse(data, *size, *size, g, NULL, err, sizeof err) != GGUF_OK) {
        CHECK(false, "cannot read %s", rel);
        free(data);
        return NULL;
    }
    return data;
}

static bool write_edited(const char *src_rel, const char *dst, const edit *ed) {
    size_t size;
    gguf_ctx *g;
    uint8_t *data = read_model(src_rel, &size, &g);
    if (!data) return false;
    const char *old_arch = gguf_get_str(g, "general.architecture");
    gguf_writer *w = gguf_writer_create();
    void *owned[8];
    int n_owned = 0;
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const gguf_kv *kv = &g->kv[i];
        const char *key = kv->key.data;
        if (ed->drop_key && strcmp(key, ed->drop_key) == 0) continue;
        char renamed[256];
        if (ed->arch && strncmp(key, old_arch, strlen(old_arch)) == 0 && key[strlen(old_arch)] == '.') {
            snprintf(renamed, sizeof renamed, "%s%s", ed->arch, key + strlen(old_arch));
            key = renamed;
        }
        if (ed->arch && strcmp(key, "general.architecture") == 0) {
            gguf_writer_str(w, key, ed->arch);
            continue;
        }
        if (ed->vocab_tokens && strncmp(key, "tokenizer.ggml.", 15) == 0 && kv->value.type == GGUF_TYPE_ARRAY &&
            kv->value.arr.n > ed->vocab_tokens) {
            gguf_value v = kv->value;
            v.arr.n = ed->vocab_tokens;
            gguf_writer_value(w, key, &v);
            continue;
        }
        gguf_writer_value(w, key, &kv->value);
    }
    uint64_t from = ed->tensor_to ? ed->tensor_from : 0, to = ed->tensor_to ? ed->tensor_to : g->n_tensors;
    for (uint64_t i = from; i < to; i++) {
        const gguf_tensor_info *t = &g->tensors[i];
        const char *name = t->name.data;
        if (ed->drop_tensor && strcmp(name, ed->drop_tensor) == 0) continue;
        uint64_t ne[4] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3]};
        uint32_t type = t->type;
        const void *bytes = data + g->data_offset + t->offset;
        uint64_t nbytes = t->size;
        bool replaced = false;
        if (ed->reshape_tensor && strcmp(name, ed->reshape_tensor) == 0) { ne[1] = ed->reshape_ne1; replaced = true; }
        if (ed->trim_tensor && strcmp(name, ed->trim_tensor) == 0) {
            ne[1] = ed->trim_ne1;
            nbytes = hs_row_size(type, ne[0]) * ne[1];
        }
        if (ed->retype_tensor && strcmp(name, ed->retype_tensor) == 0) { type = ed->new_type; replaced = true; }
        if (replaced) {
            nbytes = hs_row_size(type, ne[0]) * ne[1] * ne[2] * ne[3];
            bytes = owned[n_owned++] = calloc(1, (size_t)nbytes);
        }
        gguf_writer_tensor(w, name, t->n_dims, ne, type, bytes, nbytes);
    }
    FILE *f = fopen(dst, "wb");
    bool ok = f && gguf_writer_write(w, f);
    if (f) fclose(f);
    gguf_writer_free(w);
    for (int i = 0; i < n_owned; i++) free(owned[i]);
    gguf_free(g);
    free(data);
    CHECK(ok, "cannot write %s", dst);
    return ok;
}

// ---- helpers on the engine ----

static int first_greedy_token(hearth_engine *e) {
    int32_t ids[32];
    int n = hearth_tokenize(e, "Once upon a time", 16, true, false, ids, 32);
    hearth_kv_truncate(e, 0);
    if (n <= 0 || hearth_eval(e, ids, n) != 0) return -1;
    const float *l = hearth_logits(e);
    int best = 0;
    for (int i = 1; i < hearth_n_vocab(e); i++)
        if (l[i] > l[best]) best = i;
    return best;
}

static void expect_load_error(hearth_engine *e, const char *path, const char *what, const char *must_contain) {
    int rc = hearth_load_file(e, path, NULL, NULL);
    CHECK(rc != 0, "%s: loaded although broken", what);
    CHECK(strstr(hearth_last_error(e), must_contain) != NULL, "%s: error '%s' lacks '%s'", what, hearth_last_error(e),
          must_contain);
    CHECK(hearth_n_vocab(e) == 0 && hearth_logits(e) == NULL, "%s: a failed load left a model behind", what);
    // The engine must load a good model right after.
    CHECK(hearth_load_file(e, shared_path(STORIES), NULL, NULL) == 0, "%s: good model after failure: %s", what,
          hearth_last_error(e));
    CHECK(first_greedy_token(e) == 432, "%s: good model gives a wrong token after a failed load", what);
}

// ---- the tests ----

static void test_chunk_sizes(void) {
    hearth_engine *whole = hearth_create(NULL);
    CHECK(hearth_load_file(whole, shared_path("models/stories260K/stories260K-Q4_K_M.gguf"), NULL, NULL) == 0, "%s",
          hearth_last_error(whole));
    first_greedy_token(whole);
    float *want = malloc(512 * sizeof(float));
    memcpy(want, hearth_logits(whole), 512 * sizeof(float));
    size_t size;
    uint8_t *data = (uint8_t *)read_file(shared_path("models/stories260K/stories260K-Q4_K_M.gguf"), &size);
    const size_t chunk_sizes[] = {1, 7, 4096, 65536 + 13, 1 << 20};
    hearth_engine *e = hearth_create(NULL);
    for (size_t c = 0; c < sizeof chunk_sizes / sizeof chunk_sizes[0]; c++) {
        size_t chunk = chunk_sizes[c];
        // 1-byte chunks through the whole file would be slow: use them for the header only.
        CHECK(hearth_load_begin(e, 1) == 0 && hearth_load_shard_begin(e, size) == 0, "begin");
        size_t pos = 0;
        bool ok = true;
        while (ok && pos < size) {
            size_t n = chunk == 1 && pos > 40000 ? 1 << 16 : chunk;
            if (n > size - pos) n = size - pos;
            ok = hearth_load_write(e, data + pos, n) == 0;
            pos += n;
            uint64_t done, total;
            hearth_load_progress(e, &done, &total);
            ok = ok && done == pos && total == size;
        }
        CHECK(ok && hearth_load_end(e) == 0, "chunks of %zu: %s", chunk, hearth_last_error(e));
        first_greedy_token(e);
        CHECK(memcmp(hearth_logits(e), want, 512 * sizeof(float)) == 0, "chunks of %zu: logits differ from a whole read", chunk);
    }
    // More bytes than announced, and less.
    CHECK(hearth_load_begin(e, 1) == 0 && hearth_load_shard_begin(e, size - 1) == 0 && hearth_load_write(e, data, size) != 0 &&
              strstr(hearth_last_error(e), "more bytes than the shard's size"), "overlong write: %s", hearth_last_error(e));
    CHECK(hearth_load_begin(e, 1) == 0 && hearth_load_shard_begin(e, size) == 0 &&
              hearth_load_write(e, data, size / 2) == 0 && hearth_load_end(e) != 0 &&
              strstr(hearth_last_error(e), "incomplete"), "half a file: %s", hearth_last_error(e));
    free(data);
    free(want);
    hearth_free(e);
    hearth_free(whole);
}

static void test_malformed_models(void) {
    hearth_engine *e = hearth_create(NULL);
    struct {
        const char *what, *src;
        edit ed;
        const char *must;
    } cases[] = {
        {"unsupported architecture", STORIES, {.arch = "gptj"}, "architecture 'gptj' is not supported"},
        {"missing tensor", STORIES, {.drop_tensor = "blk.2.ffn_up.weight"}, "tensor 'blk.2.ffn_up.weight' is missing"},
        {"mis-shaped tensor", STORIES, {.reshape_tensor = "blk.0.attn_q.weight", .reshape_ne1 = 48},
         "tensor 'blk.0.attn_q.weight' has shape [64, 48, 1, 1]; expected [64, 64]"},
        {"vocabulary disagrees with the embedding", STORIES, {.vocab_tokens = 300},
         "the vocabulary has 300 tokens but token_embd.weight has 512 rows"},
        {"missing hyperparameter", STORIES, {.drop_key = "llama.embedding_length"}, "metadata llama.embedding_length is missing"},
        {"missing vocabulary", STORIES, {.drop_key = "tokenizer.ggml.tokens"}, "tokenizer.ggml.tokens is missing"},
        {"unsupported tensor type", SYNTH, {.retype_tensor = "blk.1.ffn_up.weight", .new_type = HS_TYPE_IQ2_XXS},
         "tensor 'blk.1.ffn_up.weight' has type IQ2_XXS, which Hearth does not support"},
        {"norm not F32", SYNTH, {.retype_tensor = "blk.0.attn_norm.weight", .new_type = HS_TYPE_F16},
         "Hearth expects F32 for norms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = tmp_path("bad.gguf");
        if (write_edited(cases[i].src, path, &cases[i].ed)) expect_load_error(e, path, cases[i].what, cases[i].must);
    }
    // A truncated file and a file that is not GGUF at all.
    size_t size;
    char *data = read_file(shared_path(STORIES), &size);
    FILE *f = fopen(tmp_path("cut.gguf"), "wb");
    fwrite(data, 1, size - 1000, f);
    fclose(f);
    expect_load_error(e, tmp_path("cut.gguf"), "truncated file", "past the end of the file");
    f = fopen(tmp_path("text.gguf"), "wb");
    fputs("this is not a model, just some text that is long enough", f);
    fclose(f);
    expect_load_error(e, tmp_path("text.gguf"), "not GGUF", "not a GGUF file");
    expect_load_error(e, tmp_path("does-not-exist.gguf"), "missing file", "cannot open");
    free(data);
    hearth_free(e);
}

static void test_split(void) {
    // Shard 1: all metadata and the first 20 tensors; shard 2: the same metadata, the rest.
    size_t size;
    gguf_ctx *g;
    void *data = read_model(STORIES, &size, &g);
    uint64_t n = g ? g->n_tensors : 0;
    gguf_free(g);
    free(data);
    edit a = {.tensor_from = 0, .tensor_to = 20}, b = {.tensor_from = 20, .tensor_to = n};
    write_edited(STORIES, tmp_path("story-00001-of-00002.gguf"), &a);
    write_edited(STORIES, tmp_path("story-00002-of-00002.gguf"), &b);
    hearth_engine *e = hearth_create(NULL);
    CHECK(hearth_load_file(e, tmp_path("story-00001-of-00002.gguf"), NULL, NULL) == 0, "split: %s", hearth_last_error(e));
    CHECK(first_greedy_token(e) == 432, "split model gives a wrong token");
    char info[4096];
    hearth_model_info_json(e, info, sizeof info);
    CHECK(strstr(info, "\"shards\":2") != NULL, "info: %s", info);
    char piece[32];
    int text_len = hearth_token_text(e, 2, piece, sizeof piece);
    CHECK(text_len == 4 && memcmp(piece, "</s>", 4) == 0 && hearth_token_piece(e, 2, piece, sizeof piece) == 0,
          "control token text: %d", text_len);
    // Only the first shard present: a clear error.
    remove(tmp_path("story-00002-of-00002.gguf"));
    CHECK(hearth_load_file(e, tmp_path("story-00001-of-00002.gguf"), NULL, NULL) != 0 &&
              strstr(hearth_last_error(e), "story-00002-of-00002.gguf"), "missing shard: %s", hearth_last_error(e));
    hearth_free(e);
}

static void test_context_overflow(void) {
    hearth_options o;
    hearth_options_default(&o);
    o.n_ctx = 16;
    hearth_engine *e = hearth_create(&o);
    CHECK(hearth_load_file(e, shared_path(STORIES), NULL, NULL) == 0, "%s", hearth_last_error(e));
    int32_t ids[20] = {1};
    for (int i = 1; i < 20; i++) ids[i] = 300 + i;
    CHECK(hearth_eval(e, ids, 20) != 0 && strstr(hearth_last_error(e), "context is full"), "overflow: %s", hearth_last_error(e));
    CHECK(hearth_n_past(e) == 0, "a refused batch changed the cache");
    CHECK(hearth_eval(e, ids, 16) == 0 && hearth_eval(e, ids, 1) != 0, "exactly full");
    CHECK(hearth_kv_truncate(e, 5) == 0 && hearth_eval(e, ids, 3) == 0 && hearth_n_past(e) == 8, "truncate and go on");
    int32_t bad = 9999;
    CHECK(hearth_eval(e, &bad, 1) != 0 && strstr(hearth_last_error(e), "outside the vocabulary"), "bad id: %s", hearth_last_error(e));
    o.n_ctx = 100000;
    hearth_engine *big = hearth_create(&o);
    CHECK(hearth_load_file(big, shared_path(STORIES), NULL, NULL) != 0 && strstr(hearth_last_error(big), "maximum is 128"),
          "context above the model's maximum: %s", hearth_last_error(big));
    hearth_free(big);
    hearth_free(e);
}

// Changing the thread count mid-conversation keeps the cache; results do not depend on how the
// rows are split across threads, so the logits are bit-identical.
static void test_set_threads(void) {
    hearth_engine *one = hearth_create(NULL), *switched = hearth_create(NULL);
    CHECK(hearth_load_file(one, shared_path(STORIES), NULL, NULL) == 0 &&
          hearth_load_file(switched, shared_path(STORIES), NULL, NULL) == 0, "load");
    int32_t ids[6] = {1, 403, 407, 261, 378, 432};
    CHECK(hearth_eval(one, ids, 6) == 0 && hearth_eval(switched, ids, 3) == 0, "eval");
    // Builds without pthreads (single-thread WebAssembly) say so and go on with one thread.
    CHECK(hearth_set_threads(switched, 2) == 0 || strstr(hearth_last_error(switched), "only 1 of 2 threads"),
          "set_threads 2: %s", hearth_last_error(switched));
    CHECK(hearth_eval(switched, ids + 3, 3) == 0 && hearth_n_past(switched) == 6, "eval after switch");
    CHECK(memcmp(hearth_logits(one), hearth_logits(switched), 512 * sizeof(float)) == 0, "logits differ after set_threads");
    CHECK(hearth_set_threads(switched, 0) != 0, "0 threads accepted");
    hearth_free(one);
    hearth_free(switched);
}

// A tied output whose rows the engine interleaves at load (vocab a multiple of 4; the shared tied
// models have 1025 tokens, which it leaves as they are): the token embeddings, the same rows, are
// then read back out of their groups. The model cut to 1024 tokens gives the first 1024 logits of
// the whole one, whose rows stay plain (the output's kernels differ only in summation order).
static void test_tied_interleaved(void) {
    static const char *const types[] = {"Q4_0", "Q8_0", "Q6_K", "F16"};
    const int32_t ids[] = {1, 7, 42, 300, 515, 1023, 998, 4, 250};
    const int n = (int)(sizeof ids / sizeof ids[0]);
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        char src[128];
        snprintf(src, sizeof src, "models/synthetic/synth-llama-bpe1k-tied-%s.gguf", types[k]);
        const edit cut = {.vocab_tokens = 1024, .trim_tensor = "token_embd.weight", .trim_ne1 = 1024};
        if (!write_edited(src, tmp_path("tied1024.gguf"), &cut)) continue;
        hearth_engine *whole = hearth_create(NULL), *e = hearth_create(NULL);
        const bool loaded = hearth_load_file(whole, shared_path(src), NULL, NULL) == 0 &&
                            hearth_load_file(e, tmp_path("tied1024.gguf"), NULL, NULL) == 0;
        CHECK(loaded, "%s: tied models did not load: %s / %s", types[k], hearth_last_error(whole), hearth_last_error(e));
        if (loaded && hearth_n_vocab(e) == 1024 && hearth_eval(whole, ids, n) == 0 && hearth_eval(e, ids, n) == 0) {
            const float *want = hearth_logits(whole), *got = hearth_logits(e);
            double most = 0, worst = 0;
            for (int i = 0; i < 1024; i++) {
                most = fmax(most, fabs(want[i]));
                worst = fmax(worst, fabs((double)got[i] - want[i]));
            }
            CHECK(worst <= 1e-4 * most, "%s: tied output cut to 1024 rows: logits off by %g (largest %g)", types[k], worst, most);
        } else {
            CHECK(false, "%s: tied 1024-token model: %d tokens, %s", types[k], hearth_n_vocab(e), hearth_last_error(e));
        }
        hearth_free(e);
        hearth_free(whole);
    }
}

static void test_estimate(void) {
    size_t size;
    uint8_t *data = (uint8_t *)read_file(shared_path(STORIES), &size);
    char buf[8192];
    hearth_estimate_json(data, 100, size, 0, buf, sizeof buf);
    CHECK(strstr(buf, "\"need_bytes\":") != NULL, "short header: %s", buf);
    hearth_estimate_json(data, size, size, 64, buf, sizeof buf);
    CHECK(strstr(buf, "\"architecture\":\"llama\"") && strstr(buf, "\"n_ctx\":64") && strstr(buf, "\"total\":"),
          "estimate: %s", buf);
    // 2 (K and V) x 5 layers x 100M positions x 32 values x 2 bytes = 64e9 bytes: past 4 GiB, so a
    // 32-bit size_t (WebAssembly) would wrap. The estimate is computed in 64 bits.
    hearth_estimate_json(data, size, size, 100000000, buf, sizeof buf);
    CHECK(strstr(buf, "\"kv_cache\":64000000000,") != NULL, "huge context estimate: %s", buf);
    uint8_t bad[64] = "GGUX";
    hearth_estimate_json(bad, sizeof bad, sizeof bad, 0, buf, sizeof buf);
    CHECK(strstr(buf, "\"error\":\"GGUF: not a GGUF file") != NULL, "bad header: %s", buf);
    free(data);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hearth-test-loader-%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", tmpdir);
    if (system(cmd) != 0) return 1;
    test_chunk_sizes();
    test_malformed_models();
    test_split();
    test_context_overflow();
    test_set_threads();
    test_estimate();
    test_tied_interleaved();
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_finish();
}
