#include "loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_PARSE_BYTES (1u << 20) // most headers fit; vocabularies of 150k tokens need a few MiB
#define ARENA_ALIGN 64

static bool fail(hs_loader *ld, const char *fmt, ...) {
    if (ld->failed) return false;
    ld->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err, sizeof ld->err, fmt, ap);
    va_end(ap);
    return false;
}

static void shard_free(hs_shard *s) {
    gguf_free(s->gguf);
    free(s->staging);
    free(s->arena);
    memset(s, 0, sizeof *s);
}

void hs_loader_free(hs_loader *ld) {
    for (int i = 0; i < ld->n_shards; i++) shard_free(&ld->shards[i]);
    free(ld->shards);
    memset(ld, 0, sizeof *ld);
}

bool hs_loader_begin(hs_loader *ld, int n_shards) {
    hs_loader_free(ld);
    if (n_shards < 1 || n_shards > 4096) return fail(ld, "a model has 1 to 4096 shards, not %d", n_shards);
    ld->shards = calloc((size_t)n_shards, sizeof *ld->shards);
    if (!ld->shards) return fail(ld, "out of memory");
    ld->n_shards = n_shards;
    return true;
}

static hs_shard *current(hs_loader *ld) {
    if (ld->failed) return NULL;
    if (ld->n_begun == 0) return fail(ld, "no shard begun: call load_shard_begin first"), NULL;
    return &ld->shards[ld->n_begun - 1];
}

bool hs_loader_shard_begin(hs_loader *ld, uint64_t size) {
    if (ld->failed) return false;
    if (!ld->shards) return fail(ld, "load_begin was not called");
    if (ld->n_begun > 0) {
        hs_shard *prev = &ld->shards[ld->n_begun - 1];
        if (prev->received != prev->size)
            return fail(ld, "shard %d is incomplete: %llu of %llu bytes received", ld->n_begun,
                        (unsigned long long)prev->received, (unsigned long long)prev->size);
    }
    if (ld->n_begun == ld->n_shards) return fail(ld, "more shards than the %d announced", ld->n_shards);
    if (size < 24) return fail(ld, "shard %d: a file of %llu bytes is too small to be GGUF", ld->n_begun + 1, (unsigned long long)size);
    hs_shard *s = &ld->shards[ld->n_begun++];
    s->size = size;
    s->next_parse = size < FIRST_PARSE_BYTES ? size : FIRST_PARSE_BYTES;
    return true;
}

// The header has parsed: allocate the arena and move the staged bytes past the header into it.
static bool start_arena(hs_loader *ld, hs_shard *s) {
    const gguf_ctx *g = s->gguf;
    size_t bytes = (size_t)g->data_size;
    if ((uint64_t)bytes != g->data_size) return fail(ld, "tensor data of %llu bytes does not fit in memory", (unsigned long long)g->data_size);
    s->arena = aligned_alloc(ARENA_ALIGN, (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN + ARENA_ALIGN);
    if (!s->arena) return fail(ld, "out of memory allocating %.1f MiB for the weights", bytes / 1048576.0);
    for (size_t i = 0; i < s->staging_len; i++) {
        uint64_t off = i;
        if (off >= g->data_offset && off - g->data_offset < g->data_size) s->arena[off - g->data_offset] = s->staging[i];
    }
    free(s->staging);
    s->staging = NULL;
    s->staging_cap = 0;
    return true;
}

static bool try_parse(hs_loader *ld, hs_shard *s) {
    uint64_t need = 0;
    char err[400];
    gguf_status st = gguf_parse(s->staging, s->staging_len, s->size, &s->gguf, &need, err, sizeof err);
    if (st == GGUF_ERROR) return fail(ld, "shard %d: %s", ld->n_begun, err);
    if (st == GGUF_NEED_MORE) {
        // Geometric growth keeps re-parsing linear overall in the header size.
        uint64_t next = s->staging_len * 2;
        if (next < need) next = need;
        s->next_parse = next < s->size ? next : s->size;
        return true;
    }
    return start_arena(ld, s);
}

uint8_t *hs_loader_buffer(hs_loader *ld, size_t want, size_t *capacity) {
    hs_shard *s = current(ld);
    *capacity = 0;
    if (!s) return NULL;
    uint64_t left = s->size - s->received;
    if (left == 0 || want == 0) return fail(ld, "shard %d: %s", ld->n_begun, left ? "asked for a zero-byte buffer" : "more bytes than the shard's size"), NULL;
    if (want > left) want = (size_t)left;
    if (!s->gguf) {
        // Header phase: stage only up to the next parse attempt.
        uint64_t room = s->next_parse - s->staging_len;
        if (want > room) want = (size_t)room;
        if (s->staging_len + want > s->staging_cap) {
            size_t cap = s->staging_cap ? s->staging_cap : 65536;
            while (cap < s->staging_len + want) cap *= 2;
            uint8_t *p = realloc(s->staging, cap);
            if (!p) return fail(ld, "out of memory staging the header"), NULL;
            s->staging = p;
            s->staging_cap = cap;
        }
        *capacity = want;
        return s->staging + s->staging_len;
    }
    const gguf_ctx *g = s->gguf;
    uint64_t pos = s->received;
    if (pos >= g->data_offset && pos - g->data_offset < g->data_size) {
        uint64_t avail = g->data_size - (pos - g->data_offset);
        *capacity = want < avail ? want : (size_t)avail;
        return s->arena + (pos - g->data_offset);
    }
    // Padding before the data, or bytes after the last tensor: read and dropped.
    uint64_t until = pos < g->data_offset ? g->data_offset - pos : left;
    size_t n = want < sizeof s->discard ? want : sizeof s->discard;
    *capacity = until < n ? (size_t)until : n;
    return s->discard;
}

bool hs_loader_commit(hs_loader *ld, size_t n) {
    hs_shard *s = current(ld);
    if (!s) return false;
    if (n > s->size - s->received) return fail(ld, "shard %d: committed past the end of the file", ld->n_begun);
    s->received += n;
    if (!s->gguf) {
        s->staging_len += n;
        if (s->staging_len >= s->next_parse) return try_parse(ld, s);
    }
    return true;
}

bool hs_loader_finish(hs_loader *ld) {
    if (ld->failed) return false;
    if (ld->n_begun != ld->n_shards) return fail(ld, "%d of %d shards were loaded", ld->n_begun, ld->n_shards);
    for (int i = 0; i < ld->n_shards; i++) {
        const hs_shard *s = &ld->shards[i];
        if (s->received != s->size || !s->gguf)
            return fail(ld, "shard %d is incomplete: %llu of %llu bytes received", i + 1,
                        (unsigned long long)s->received, (unsigned long long)s->size);
    }
    return true;
}

hs_tensor_ref hs_loader_lookup(void *loader, const char *name) {
    hs_loader *ld = loader;
    for (int i = 0; i < ld->n_shards; i++) {
        const hs_shard *s = &ld->shards[i];
        if (!s->gguf) continue;
        const gguf_tensor_info *t = gguf_find_tensor(s->gguf, name);
        if (t) return (hs_tensor_ref){t, s->arena + t->offset};
    }
    return (hs_tensor_ref){NULL, NULL};
}

uint64_t hs_loader_arena_bytes(const hs_loader *ld) {
    uint64_t total = 0;
    for (int i = 0; i < ld->n_shards; i++)
        if (ld->shards[i].gguf) total += ld->shards[i].gguf->data_size;
    return total;
}
