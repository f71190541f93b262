#include "gguf_writer.h"

#include <stdlib.h>
#include <string.h>

#define ALIGNMENT 32

typedef struct {
    char *key;
    uint32_t type;
    uint8_t *bytes; // the value exactly as it goes into the file
    size_t len;
} pending_kv;

typedef struct {
    char *name;
    uint32_t n_dims, type;
    uint64_t ne[GGUF_MAX_DIMS];
    const void *data;
    uint64_t size, offset;
} pending_tensor;

struct gguf_writer {
    pending_kv *kv;
    size_t n_kv, cap_kv;
    pending_tensor *tensors;
    size_t n_tensors, cap_tensors;
    uint64_t data_size;
    bool failed;
};

// A growable byte buffer for encoding values.
typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool failed;
} bytes_buf;

static void put(bytes_buf *b, const void *src, size_t n) {
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) { b->failed = true; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u32(bytes_buf *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(bytes_buf *b, uint64_t v) { put(b, &v, 8); }
static void put_str(bytes_buf *b, const char *s) {
    size_t n = strlen(s);
    put_u64(b, n);
    put(b, s, n);
}

static char *copy_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

gguf_writer *gguf_writer_create(void) { return calloc(1, sizeof(gguf_writer)); }

void gguf_writer_free(gguf_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) { free(w->kv[i].key); free(w->kv[i].bytes); }
    for (size_t i = 0; i < w->n_tensors; i++) free(w->tensors[i].name);
    free(w->kv);
    free(w->tensors);
    free(w);
}

static void add_kv(gguf_writer *w, const char *key, uint32_t type, bytes_buf *value) {
    if (w->n_kv == w->cap_kv) {
        size_t cap = w->cap_kv ? w->cap_kv * 2 : 16;
        pending_kv *kv = realloc(w->kv, cap * sizeof *kv);
        if (!kv) { w->failed = true; free(value->p); return; }
        w->kv = kv;
        w->cap_kv = cap;
    }
    char *k = copy_str(key);
    if (!k || value->failed) w->failed = true;
    w->kv[w->n_kv++] = (pending_kv){k, type, value->p, value->len};
}

static void add_scalar(gguf_writer *w, const char *key, uint32_t type, const void *v, size_t n) {
    bytes_buf b = {0};
    put(&b, v, n);
    add_kv(w, key, type, &b);
}

void gguf_writer_u32(gguf_writer *w, const char *key, uint32_t v) { add_scalar(w, key, GGUF_TYPE_UINT32, &v, 4); }
void gguf_writer_i32(gguf_writer *w, const char *key, int32_t v) { add_scalar(w, key, GGUF_TYPE_INT32, &v, 4); }
void gguf_writer_f32(gguf_writer *w, const char *key, float v) { add_scalar(w, key, GGUF_TYPE_FLOAT32, &v, 4); }
void gguf_writer_bool(gguf_writer *w, const char *key, bool v) {
    uint8_t b = v;
    add_scalar(w, key, GGUF_TYPE_BOOL, &b, 1);
}
void gguf_writer_str(gguf_writer *w, const char *key, const char *v) {
    bytes_buf b = {0};
    put_str(&b, v);
    add_kv(w, key, GGUF_TYPE_STRING, &b);
}

static size_t scalar_size(uint32_t type) {
    switch (type) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
    case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
    case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
    default: return 8;
    }
}

void gguf_writer_arr(gguf_writer *w, const char *key, uint32_t elem_type, uint64_t n, const void *data) {
    bytes_buf b = {0};
    put_u32(&b, elem_type);
    put_u64(&b, n);
    if (elem_type == GGUF_TYPE_STRING) {
        for (uint64_t i = 0; i < n; i++) put_str(&b, ((const char *const *)data)[i]);
    } else {
        put(&b, data, (size_t)n * scalar_size(elem_type));
    }
    add_kv(w, key, GGUF_TYPE_ARRAY, &b);
}

static void put_value(bytes_buf *b, const gguf_value *v) {
    switch (v->type) {
    case GGUF_TYPE_STRING:
        put_u64(b, v->str.len);
        put(b, v->str.data, (size_t)v->str.len);
        break;
    case GGUF_TYPE_ARRAY:
        put_u32(b, v->arr.type);
        put_u64(b, v->arr.n);
        for (uint64_t i = 0; i < v->arr.n; i++) {
            if (v->arr.type == GGUF_TYPE_STRING) {
                const gguf_str *s = &((const gguf_str *)v->arr.data)[i];
                put_u64(b, s->len);
                put(b, s->data, (size_t)s->len);
            } else if (v->arr.type == GGUF_TYPE_ARRAY) {
                put_value(b, &((const gguf_value *)v->arr.data)[i]);
            } else {
                size_t n = scalar_size(v->arr.type);
                put(b, (const uint8_t *)v->arr.data + i * n, n);
            }
        }
        break;
    case GGUF_TYPE_BOOL: {
        uint8_t x = v->b;
        put(b, &x, 1);
        break;
    }
    default: put(b, &v->u64, scalar_size(v->type));
    }
}

void gguf_writer_value(gguf_writer *w, const char *key, const gguf_value *v) {
    bytes_buf b = {0};
    put_value(&b, v);
    add_kv(w, key, v->type, &b);
}

void gguf_writer_tensor(gguf_writer *w, const char *name, uint32_t n_dims, const uint64_t *ne,
                        uint32_t type, const void *data, uint64_t size) {
    if (w->n_tensors == w->cap_tensors) {
        size_t cap = w->cap_tensors ? w->cap_tensors * 2 : 16;
        pending_tensor *t = realloc(w->tensors, cap * sizeof *t);
        if (!t) { w->failed = true; return; }
        w->tensors = t;
        w->cap_tensors = cap;
    }
    pending_tensor *t = &w->tensors[w->n_tensors++];
    memset(t, 0, sizeof *t);
    t->name = copy_str(name);
    if (!t->name) w->failed = true;
    t->n_dims = n_dims;
    for (uint32_t i = 0; i < n_dims && i < GGUF_MAX_DIMS; i++) t->ne[i] = ne[i];
    t->type = type;
    t->data = data;
    t->size = size;
    t->offset = w->data_size;
    w->data_size += (size + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
}

bool gguf_writer_write(gguf_writer *w, FILE *f) {
    if (w->failed) return false;
    bytes_buf h = {0};
    put(&h, "GGUF", 4);
    put_u32(&h, 3);
    put_u64(&h, w->n_tensors);
    put_u64(&h, w->n_kv);
    for (size_t i = 0; i < w->n_kv; i++) {
        put_str(&h, w->kv[i].key);
        put_u32(&h, w->kv[i].type);
        put(&h, w->kv[i].bytes, w->kv[i].len);
    }
    for (size_t i = 0; i < w->n_tensors; i++) {
        const pending_tensor *t = &w->tensors[i];
        put_str(&h, t->name);
        put_u32(&h, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++) put_u64(&h, t->ne[d]);
        put_u32(&h, t->type);
        put_u64(&h, t->offset);
    }
    static const uint8_t zeros[ALIGNMENT];
    put(&h, zeros, (ALIGNMENT - h.len % ALIGNMENT) % ALIGNMENT);
    bool ok = !h.failed && fwrite(h.p, 1, h.len, f) == h.len;
    free(h.p);
    for (size_t i = 0; ok && i < w->n_tensors; i++) {
        const pending_tensor *t = &w->tensors[i];
        ok = fwrite(t->data, 1, (size_t)t->size, f) == t->size &&
             fwrite(zeros, 1, (size_t)((ALIGNMENT - t->size % ALIGNMENT) % ALIGNMENT), f) ==
                 (ALIGNMENT - t->size % ALIGNMENT) % ALIGNMENT;
    }
    return ok;
}
