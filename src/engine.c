// The public C API (hearth.h): one engine = loader + model + tokenizer + thread pool + context.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "hearth.h"
#include "loader.h"
#include "model.h"
#include "model_info.h"
#include "quant.h"
#include "threadpool.h"
#include "tokenizer.h"

#define MAX_HEAD_DIM 512 // attention keeps one head in stack buffers of this size

struct hearth_engine {
    hearth_options opts;
    hs_loader loader;
    bool loaded;
    hs_model model;
    hs_tokenizer *tok;
    hs_threadpool *pool;
    hs_context ctx;
    char err[512];
};

static int fail(hearth_engine *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, sizeof e->err, fmt, ap);
    va_end(ap);
    return -1;
}

void hearth_options_default(hearth_options *o) {
    o->n_threads = 1;
    o->n_ctx = 0;
    o->n_batch = 64;
    o->kv_type = HEARTH_KV_F16;
}

hearth_engine *hearth_create(const hearth_options *opts) {
    hearth_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    if (opts) e->opts = *opts;
    else hearth_options_default(&e->opts);
    if (e->opts.n_threads < 1) e->opts.n_threads = 1;
    if (e->opts.n_batch < 1) e->opts.n_batch = 64;
    e->pool = hs_threadpool_create(e->opts.n_threads);
    if (!e->pool) { free(e); return NULL; }
    return e;
}

void hearth_unload(hearth_engine *e) {
    hs_context_free(&e->ctx);
    hs_tokenizer_free(e->tok);
    e->tok = NULL;
    hs_model_free(&e->model);
    hs_loader_free(&e->loader);
    e->loaded = false;
}

void hearth_free(hearth_engine *e) {
    if (!e) return;
    hearth_unload(e);
    hs_threadpool_free(e->pool);
    free(e);
}

const char *hearth_last_error(const hearth_engine *e) { return e->err; }

int hearth_set_threads(hearth_engine *e, int n_threads) {
    if (n_threads < 1) return fail(e, "thread count must be at least 1, got %d", n_threads);
    // The old workers go first: in WebAssembly threads come from a fixed pool, which may not
    // hold the old and the new pool at once.
    hs_threadpool_free(e->pool);
    e->pool = hs_threadpool_create(n_threads);
    if (!e->pool) e->pool = hs_threadpool_create(1);
    if (!e->pool) return fail(e, "could not create a thread pool");
    int got = hs_threadpool_size(e->pool);
    e->opts.n_threads = got;
    if (e->loaded) {
        // Only the attention scores scratch is per thread; the KV cache stays as it is.
        float *scores = realloc(e->ctx.scores, (size_t)got * hs_attention_scratch_floats(e->ctx.n_ctx) * sizeof(float));
        if (!scores) return fail(e, "out of memory for %d threads' attention scratch", got);
        e->ctx.scores = scores;
        e->ctx.pool = e->pool;
        e->ctx.mm.pool = e->pool;
    }
    if (got < n_threads) return fail(e, "only %d of %d threads could be started", got, n_threads);
    return 0;
}

// ---- loading ----

static int loader_error(hearth_engine *e) {
    fail(e, "%s", e->loader.err);
    hearth_unload(e);
    return -1;
}

int hearth_load_begin(hearth_engine *e, int n_shards) {
    hearth_unload(e);
    e->err[0] = 0;
    return hs_loader_begin(&e->loader, n_shards) ? 0 : loader_error(e);
}

int hearth_load_shard_begin(hearth_engine *e, uint64_t shard_size) {
    return hs_loader_shard_begin(&e->loader, shard_size) ? 0 : loader_error(e);
}

uint8_t *hearth_load_buffer(hearth_engine *e, size_t want, size_t *capacity) {
    uint8_t *p = hs_loader_buffer(&e->loader, want, capacity);
    if (!p) loader_error(e);
    return p;
}

int hearth_load_commit(hearth_engine *e, size_t n) {
    return hs_loader_commit(&e->loader, n) ? 0 : loader_error(e);
}

int hearth_load_write(hearth_engine *e, const void *data, size_t n) {
    const uint8_t *src = data;
    while (n > 0) {
        size_t cap;
        uint8_t *dst = hearth_load_buffer(e, n, &cap);
        if (!dst) return -1;
        memcpy(dst, src, cap);
        if (hearth_load_commit(e, cap) != 0) return -1;
        src += cap;
        n -= cap;
    }
    return 0;
}

void hearth_load_progress(const hearth_engine *e, uint64_t *done, uint64_t *total) {
    *done = *total = 0;
    for (int i = 0; i < e->loader.n_begun; i++) {
        *done += e->loader.shards[i].received;
        *total += e->loader.shards[i].size;
    }
}

int hearth_load_end(hearth_engine *e) {
    if (!hs_loader_finish(&e->loader)) return loader_error(e);
    const gguf_ctx *meta = e->loader.shards[0].gguf;
    char err[400];
    if (!hs_model_bind(&e->model, meta, hs_loader_lookup, &e->loader, err, sizeof err)) {
        fail(e, "%s", err);
        hearth_unload(e);
        return -1;
    }
    if (e->model.head_dim > MAX_HEAD_DIM) {
        fail(e, "head size %d is larger than the %d Hearth supports", e->model.head_dim, MAX_HEAD_DIM);
        hearth_unload(e);
        return -1;
    }
    e->tok = hs_tokenizer_load(meta, err, sizeof err);
    if (!e->tok) {
        fail(e, "tokenizer: %s", err);
        hearth_unload(e);
        return -1;
    }
    if (hs_tokenizer_n_vocab(e->tok) != e->model.n_vocab) {
        fail(e, "the tokenizer has %d tokens but the model %d", hs_tokenizer_n_vocab(e->tok), e->model.n_vocab);
        hearth_unload(e);
        return -1;
    }
    int n_ctx = hs_resolve_n_ctx(&e->model, e->opts.n_ctx);
    if (n_ctx > e->model.n_ctx_train) {
        fail(e, "context of %d tokens requested; the model's maximum is %d", n_ctx, e->model.n_ctx_train);
        hearth_unload(e);
        return -1;
    }
    if (!hs_context_init(&e->ctx, &e->model, e->pool, n_ctx, e->opts.n_batch, e->opts.kv_type == HEARTH_KV_F16, err,
                         sizeof err)) {
        fail(e, "%s", err);
        hearth_unload(e);
        return -1;
    }
    hs_model_prepare_weights(&e->model); // last: nothing after it can fail and leave them rewritten
    e->loaded = true;
    return 0;
}

// Split GGUF: "name-00001-of-00003.gguf" (the 20-character suffix llama.cpp's gguf-split writes).
#define SPLIT_SUFFIX_LEN 20

static bool all_digits(const char *s, int n) {
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

// The shard count when path names the first shard of a split set; 1 otherwise.
static int split_count(const char *path) {
    size_t n = strlen(path);
    if (n < SPLIT_SUFFIX_LEN) return 1;
    const char *s = path + n - SPLIT_SUFFIX_LEN;
    if (s[0] != '-' || !all_digits(s + 1, 5) || memcmp(s + 6, "-of-", 4) != 0 || !all_digits(s + 10, 5) ||
        strcmp(s + 15, ".gguf") != 0 || strncmp(s + 1, "00001", 5) != 0)
        return 1;
    int count = atoi(s + 10);
    return count >= 1 ? count : 1;
}

static void shard_path(char *out, size_t size, const char *first, int i) {
    size_t n = strlen(first);
    snprintf(out, size, "%.*s-%05d%s", (int)(n - SPLIT_SUFFIX_LEN), first, i, first + n - SPLIT_SUFFIX_LEN + 6);
}

int hearth_load_file(hearth_engine *e, const char *path, hearth_progress_fn progress, void *user) {
    int n_shards = split_count(path);
    if (hearth_load_begin(e, n_shards) != 0) return -1;
    for (int i = 1; i <= n_shards; i++) {
        char p[4096];
        if (n_shards > 1) shard_path(p, sizeof p, path, i);
        else snprintf(p, sizeof p, "%s", path);
        FILE *f = fopen(p, "rb");
        if (!f) {
            fail(e, "cannot open %s", p);
            hearth_unload(e);
            return -1;
        }
        fseek(f, 0, SEEK_END);
        long long size = ftell(f);
        rewind(f);
        if (size < 0 || hearth_load_shard_begin(e, (uint64_t)size) != 0) {
            if (size < 0) fail(e, "cannot size %s", p);
            fclose(f);
            hearth_unload(e);
            return -1;
        }
        // Read straight into the engine's buffers, 4 MiB at a time.
        for (uint64_t left = (uint64_t)size; left > 0;) {
            size_t cap;
            uint8_t *dst = hearth_load_buffer(e, left < (4u << 20) ? (size_t)left : (4u << 20), &cap);
            if (!dst || fread(dst, 1, cap, f) != cap) {
                if (dst) fail(e, "read error in %s", p);
                fclose(f);
                hearth_unload(e);
                return -1;
            }
            if (hearth_load_commit(e, cap) != 0) { fclose(f); return -1; }
            left -= cap;
            if (progress) {
                uint64_t done, total;
                hearth_load_progress(e, &done, &total);
                progress(done, total, user);
            }
        }
        fclose(f);
    }
    return hearth_load_end(e);
}

// ---- model facts ----

static size_t copy_json(hs_json *j, char *buf, size_t size) {
    size_t need = j->failed ? 0 : j->len;
    if (buf && size) {
        size_t n = need < size - 1 ? need : size - 1;
        if (n) memcpy(buf, j->buf, n);
        buf[n] = 0;
    }
    hs_json_free(j);
    return need;
}

size_t hearth_model_info_json(const hearth_engine *e, char *buf, size_t size) {
    hs_json j;
    hs_json_init(&j);
    hs_json_begin_object(&j);
    if (e->loaded) {
        hs_run_shape shape = {e->ctx.n_ctx, e->ctx.n_batch, hs_threadpool_size(e->pool), e->ctx.kv_f16};
        hs_model_info_write(&j, &e->model, e->loader.shards[0].gguf, e->tok, &shape);
        uint64_t file_bytes = 0;
        for (int i = 0; i < e->loader.n_shards; i++) file_bytes += e->loader.shards[i].size;
        hs_json_key(&j, "file_bytes"); hs_json_uint(&j, file_bytes);
        hs_json_key(&j, "shards"); hs_json_int(&j, e->loader.n_shards);
        hs_json_key(&j, "n_threads"); hs_json_int(&j, hs_threadpool_size(e->pool));
    } else {
        hs_json_key(&j, "error"); hs_json_cstr(&j, "no model loaded");
    }
    hs_json_end_object(&j);
    return copy_json(&j, buf, size);
}

static uint8_t PRESENT; // estimates bind tensors to this: present, but never read

static hs_tensor_ref header_lookup(void *meta, const char *name) {
    const gguf_tensor_info *t = gguf_find_tensor(meta, name);
    return (hs_tensor_ref){t, t ? &PRESENT : NULL};
}

size_t hearth_estimate_json(const uint8_t *header, size_t len, uint64_t file_size, int n_ctx, char *buf, size_t size) {
    hs_json j;
    hs_json_init(&j);
    hs_json_begin_object(&j);
    gguf_ctx *meta = NULL;
    uint64_t need = 0;
    char err[512];
    gguf_status st = gguf_parse(header, len, file_size, &meta, &need, err, sizeof err);
    hs_model m;
    memset(&m, 0, sizeof m);
    if (st == GGUF_NEED_MORE) {
        hs_json_key(&j, "need_bytes"); hs_json_uint(&j, need);
    } else if (st == GGUF_ERROR) {
        hs_json_key(&j, "error"); hs_json_cstr(&j, err);
    } else if (!hs_model_bind(&m, meta, header_lookup, meta, err, sizeof err)) {
        hs_json_key(&j, "error"); hs_json_cstr(&j, err);
    } else {
        hearth_options o;
        hearth_options_default(&o);
        hs_run_shape shape = {hs_resolve_n_ctx(&m, n_ctx), o.n_batch, 1, true};
        hs_model_info_write(&j, &m, meta, NULL, &shape);
        hs_json_key(&j, "file_bytes"); hs_json_uint(&j, file_size);
        hs_json_key(&j, "header_bytes"); hs_json_uint(&j, meta->data_offset);
        uint32_t split = 0;
        gguf_get_u32(meta, "split.count", &split);
        hs_json_key(&j, "shards"); hs_json_int(&j, split ? split : 1);
    }
    hs_model_free(&m);
    gguf_free(meta);
    hs_json_end_object(&j);
    return copy_json(&j, buf, size);
}

int hearth_n_vocab(const hearth_engine *e) { return e->loaded ? e->model.n_vocab : 0; }
int hearth_n_ctx(const hearth_engine *e) { return e->loaded ? e->ctx.n_ctx : 0; }
int32_t hearth_token_bos(const hearth_engine *e) { return e->loaded ? hs_tokenizer_bos(e->tok) : -1; }
int32_t hearth_token_eos(const hearth_engine *e) { return e->loaded ? hs_tokenizer_eos(e->tok) : -1; }
bool hearth_token_is_eog(const hearth_engine *e, int32_t t) { return e->loaded && hs_tokenizer_is_eog(e->tok, t); }
const char *hearth_kernels(void) { return hs_quant_kernels(); }
bool hearth_add_bos(const hearth_engine *e) { return e->loaded && hs_tokenizer_add_bos(e->tok); }
const char *hearth_chat_template(const hearth_engine *e) {
    return e->loaded ? gguf_get_str(e->loader.shards[0].gguf, "tokenizer.chat_template") : NULL;
}

// ---- text ----

int hearth_tokenize(const hearth_engine *e, const char *text, size_t len, bool add_special, bool parse_special,
                    int32_t *out, int max) {
    if (!e->loaded) return fail((hearth_engine *)e, "no model loaded");
    return hs_tokenize(e->tok, text, len, add_special, parse_special, out, max);
}

int hearth_token_piece(const hearth_engine *e, int32_t token, char *buf, int size) {
    if (!e->loaded) return 0;
    return hs_token_piece(e->tok, token, false, buf, size);
}

int hearth_token_text(const hearth_engine *e, int32_t token, char *buf, int size) {
    if (!e->loaded) return 0;
    return hs_token_piece(e->tok, token, true, buf, size);
}

// ---- evaluation ----

int hearth_eval(hearth_engine *e, const int32_t *tokens, int n) {
    if (!e->loaded) return fail(e, "no model loaded");
    if (n <= 0) return fail(e, "nothing to evaluate");
    if (e->ctx.n_past + n > e->ctx.n_ctx) {
        return fail(e, "context is full: %d of %d positions used, %d more requested", e->ctx.n_past, e->ctx.n_ctx, n);
    }
    char err[256];
    for (int done = 0; done < n;) {
        int T = n - done < e->ctx.n_batch ? n - done : e->ctx.n_batch;
        if (!hs_forward(&e->ctx, tokens + done, T, err, sizeof err)) return fail(e, "%s", err);
        done += T;
    }
    return 0;
}

const float *hearth_logits(const hearth_engine *e) { return e->loaded ? e->ctx.logits : NULL; }
int hearth_n_past(const hearth_engine *e) { return e->loaded ? e->ctx.n_past : 0; }

int hearth_kv_truncate(hearth_engine *e, int n) {
    if (!e->loaded) return fail(e, "no model loaded");
    if (n < 0 || n > e->ctx.n_past) return fail(e, "cannot truncate to %d positions: %d are in the cache", n, e->ctx.n_past);
    // Positions past n are simply overwritten by the next evaluation.
    e->ctx.n_past = n;
    return 0;
}
