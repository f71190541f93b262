// GGUF header parser. The file layout (GGUF v2/v3, little-endian):
//   magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//   n_kv x { string key | u32 value_type | value }
//   n_tensors x { string name | u32 n_dims | u64 ne[n_dims] | u32 type | u64 offset }
//   padding to general.alignment | tensor data
// string = u64 length + bytes; array = u32 element type + u64 count + elements.
//
// The parser reads from a prefix of the file. Running off the end of the prefix (but not of the
// file) stops with GGUF_NEED_MORE and the length needed; everything that would run off the end of
// the file, overflow, or allocate more than the file could describe is an error.
#include "gguf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"

#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_NESTING 8

// ---- allocation: everything the header owns lives in one chain of blocks ----

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
} arena_block;

typedef struct {
    gguf_ctx pub;
    arena_block *blocks;
} gguf_ctx_impl;

static void *arena_alloc(gguf_ctx_impl *ctx, size_t size) {
    size = (size + 15) & ~(size_t)15;
    arena_block *b = ctx->blocks;
    if (!b || b->size - b->used < size) {
        size_t cap = size > (1u << 20) ? size : (1u << 20);
        b = malloc(sizeof(arena_block) + cap);
        if (!b) return NULL;
        b->next = ctx->blocks;
        b->used = 0;
        b->size = cap;
        ctx->blocks = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

void gguf_free(gguf_ctx *pub) {
    if (!pub) return;
    gguf_ctx_impl *ctx = (gguf_ctx_impl *)pub;
    for (arena_block *b = ctx->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(ctx);
}

// ---- the read cursor ----

typedef struct {
    const uint8_t *buf;
    uint64_t len;       // bytes available in buf
    uint64_t file_size; // bytes in the whole file
    uint64_t pos;
    gguf_status status; // GGUF_OK until something stops the parse
    uint64_t need;      // with GGUF_NEED_MORE
    char *err;
    size_t err_size;
    gguf_ctx_impl *ctx;
} cursor;

static bool fail(cursor *c, const char *fmt, ...) {
    if (c->status != GGUF_OK) return false;
    c->status = GGUF_ERROR;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->err_size, fmt, ap);
    va_end(ap);
    return false;
}

static bool fail_oom(cursor *c, uint64_t bytes) {
    return fail(c, "GGUF: out of memory allocating %llu bytes for the header at offset %llu",
                (unsigned long long)bytes, (unsigned long long)c->pos);
}

// True when n more bytes are available at the cursor; otherwise stops the parse: NEED_MORE if
// the file has them, an error naming `what` if the file ends first.
static bool ensure(cursor *c, uint64_t n, const char *what) {
    if (c->status != GGUF_OK) return false;
    if (n > c->file_size - c->pos) {
        return fail(c, "GGUF: truncated file: %s at offset %llu needs %llu bytes, but the file ends at %llu",
                    what, (unsigned long long)c->pos, (unsigned long long)n,
                    (unsigned long long)c->file_size);
    }
    if (n > c->len - c->pos) {
        c->status = GGUF_NEED_MORE;
        c->need = c->pos + n;
        return false;
    }
    return true;
}

static bool read_bytes(cursor *c, void *dst, uint64_t n, const char *what) {
    if (!ensure(c, n, what)) return false;
    memcpy(dst, c->buf + c->pos, (size_t)n);
    c->pos += n;
    return true;
}

static bool read_u32(cursor *c, uint32_t *v, const char *what) { return read_bytes(c, v, 4, what); }
static bool read_u64(cursor *c, uint64_t *v, const char *what) { return read_bytes(c, v, 8, what); }

static bool read_str(cursor *c, gguf_str *s, const char *what) {
    uint64_t start = c->pos, len;
    if (!read_u64(c, &len, what)) return false;
    if (len > c->file_size - c->pos) {
        return fail(c, "GGUF: %s at offset %llu has length %llu, past the end of the file (%llu bytes)",
                    what, (unsigned long long)start, (unsigned long long)len,
                    (unsigned long long)c->file_size);
    }
    if (!ensure(c, len, what)) return false;
    char *data = arena_alloc(c->ctx, (size_t)len + 1);
    if (!data) return fail_oom(c, len + 1);
    memcpy(data, c->buf + c->pos, (size_t)len);
    data[len] = 0;
    c->pos += len;
    s->len = len;
    s->data = data;
    return true;
}

// ---- values ----

static const struct {
    const char *name;
    uint32_t size; // bytes of a scalar; for strings and arrays the smallest encoding
} VALUE_TYPES[GGUF_TYPE_COUNT] = {
    [GGUF_TYPE_UINT8] = {"uint8", 1},     [GGUF_TYPE_INT8] = {"int8", 1},
    [GGUF_TYPE_UINT16] = {"uint16", 2},   [GGUF_TYPE_INT16] = {"int16", 2},
    [GGUF_TYPE_UINT32] = {"uint32", 4},   [GGUF_TYPE_INT32] = {"int32", 4},
    [GGUF_TYPE_FLOAT32] = {"float32", 4}, [GGUF_TYPE_BOOL] = {"bool", 1},
    [GGUF_TYPE_STRING] = {"string", 8},   [GGUF_TYPE_ARRAY] = {"array", 12},
    [GGUF_TYPE_UINT64] = {"uint64", 8},   [GGUF_TYPE_INT64] = {"int64", 8},
    [GGUF_TYPE_FLOAT64] = {"float64", 8},
};

const char *gguf_value_type_name(uint32_t type) {
    return type < GGUF_TYPE_COUNT ? VALUE_TYPES[type].name : "unknown";
}

static bool read_value(cursor *c, gguf_value *v, uint32_t type, const char *key, int depth);

static bool read_array(cursor *c, gguf_value *v, const char *key, int depth) {
    uint64_t start = c->pos;
    uint32_t elem_type;
    uint64_t n;
    if (!read_u32(c, &elem_type, "array element type") || !read_u64(c, &n, "array length")) return false;
    if (elem_type >= GGUF_TYPE_COUNT) {
        return fail(c, "GGUF: key '%s': array at offset %llu has unknown element type %u", key,
                    (unsigned long long)start, elem_type);
    }
    if (elem_type == GGUF_TYPE_ARRAY && depth + 1 >= GGUF_MAX_NESTING) {
        return fail(c, "GGUF: key '%s': arrays nested deeper than %d at offset %llu", key,
                    GGUF_MAX_NESTING, (unsigned long long)start);
    }
    uint64_t min_size = VALUE_TYPES[elem_type].size;
    if (n > (c->file_size - c->pos) / min_size) {
        return fail(c, "GGUF: key '%s': array at offset %llu claims %llu %s elements, more than the "
                    "remaining %llu bytes of the file can hold", key, (unsigned long long)start,
                    (unsigned long long)n, VALUE_TYPES[elem_type].name,
                    (unsigned long long)(c->file_size - c->pos));
    }
    v->arr.type = elem_type;
    v->arr.n = n;
    v->arr.data = NULL;
    if (elem_type != GGUF_TYPE_STRING && elem_type != GGUF_TYPE_ARRAY) {
        // Packed scalars: copy as a block (the file's bytes are little-endian, like every target).
        uint64_t bytes = n * min_size;
        if (!ensure(c, bytes, "array data")) return false;
        v->arr.data = arena_alloc(c->ctx, (size_t)(bytes ? bytes : 1));
        if (!v->arr.data) return fail_oom(c, bytes);
        memcpy(v->arr.data, c->buf + c->pos, (size_t)bytes);
        c->pos += bytes;
        if (elem_type == GGUF_TYPE_BOOL) {
            for (uint64_t i = 0; i < n; i++) ((uint8_t *)v->arr.data)[i] = ((uint8_t *)v->arr.data)[i] != 0;
        }
        return true;
    }
    size_t elem_bytes = elem_type == GGUF_TYPE_STRING ? sizeof(gguf_str) : sizeof(gguf_value);
    v->arr.data = arena_alloc(c->ctx, (size_t)(n ? n : 1) * elem_bytes);
    if (!v->arr.data) return fail_oom(c, n * elem_bytes);
    for (uint64_t i = 0; i < n; i++) {
        if (elem_type == GGUF_TYPE_STRING) {
            if (!read_str(c, &((gguf_str *)v->arr.data)[i], "array string")) return false;
        } else {
            gguf_value *elem = &((gguf_value *)v->arr.data)[i];
            if (!read_value(c, elem, GGUF_TYPE_ARRAY, key, depth + 1)) return false;
        }
    }
    return true;
}

static bool read_value(cursor *c, gguf_value *v, uint32_t type, const char *key, int depth) {
    memset(v, 0, sizeof *v);
    v->type = type;
    switch (type) {
    case GGUF_TYPE_STRING: return read_str(c, &v->str, "string value");
    case GGUF_TYPE_ARRAY: return read_array(c, v, key, depth);
    case GGUF_TYPE_BOOL: {
        uint8_t b;
        if (!read_bytes(c, &b, 1, "bool value")) return false;
        v->b = b != 0;
        return true;
    }
    default:
        if (type >= GGUF_TYPE_COUNT) {
            return fail(c, "GGUF: key '%s' at offset %llu has unknown value type %u", key,
                        (unsigned long long)c->pos - 4, type);
        }
        // All other scalars: the union's first bytes hold them, little-endian as in the file.
        return read_bytes(c, &v->u64, VALUE_TYPES[type].size, "scalar value");
    }
}

// ---- tensor infos ----

static bool read_tensor_info(cursor *c, gguf_tensor_info *t, uint64_t index) {
    uint64_t start = c->pos;
    if (!read_str(c, &t->name, "tensor name")) return false;
    if (!read_u32(c, &t->n_dims, "tensor dimension count")) return false;
    if (t->n_dims == 0 || t->n_dims > GGUF_MAX_DIMS) {
        return fail(c, "GGUF: tensor '%s' (#%llu, offset %llu) has %u dimensions; 1 to %d are allowed",
                    t->name.data, (unsigned long long)index, (unsigned long long)start, t->n_dims,
                    GGUF_MAX_DIMS);
    }
    for (int i = 0; i < GGUF_MAX_DIMS; i++) t->ne[i] = 1;
    for (uint32_t i = 0; i < t->n_dims; i++) {
        if (!read_u64(c, &t->ne[i], "tensor shape")) return false;
    }
    if (!read_u32(c, &t->type, "tensor type") || !read_u64(c, &t->offset, "tensor offset")) return false;

    char tbuf[32];
    const hs_type_info *info = hs_type_get(t->type);
    if (!info) {
        return fail(c, "GGUF: tensor '%s' has %s, which no version of ggml defines", t->name.data,
                    hs_type_name(t->type, tbuf));
    }
    // Element count without overflow: every dimension is at most the file size in elements
    // for any real tensor, so cap the product well below 2^63.
    uint64_t n_elems = 1;
    for (int i = 0; i < GGUF_MAX_DIMS; i++) {
        if (t->ne[i] == 0 || (n_elems > 0 && t->ne[i] > (UINT64_C(1) << 62) / n_elems)) {
            return fail(c, "GGUF: tensor '%s' has an impossible shape [%llu, %llu, %llu, %llu]", t->name.data,
                        (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                        (unsigned long long)t->ne[2], (unsigned long long)t->ne[3]);
        }
        n_elems *= t->ne[i];
    }
    if (t->ne[0] % info->block_size != 0) {
        return fail(c, "GGUF: tensor '%s' has rows of %llu elements, not a multiple of %s's block of %u",
                    t->name.data, (unsigned long long)t->ne[0], info->name, info->block_size);
    }
    uint64_t n_blocks = n_elems / info->block_size;
    if (n_blocks > c->file_size / info->type_size + 1) {
        return fail(c, "GGUF: tensor '%s' (%s, %llu elements) is larger than the whole file", t->name.data,
                    info->name, (unsigned long long)n_elems);
    }
    t->size = n_blocks * info->type_size;
    return true;
}

static int compare_by_offset(const void *a, const void *b) {
    const gguf_tensor_info *x = *(const gguf_tensor_info *const *)a, *y = *(const gguf_tensor_info *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

// Offsets aligned, inside the file, not overlapping; names unique.
static bool check_tensor_layout(cursor *c, gguf_ctx *g) {
    uint64_t data_avail = g->file_size - g->data_offset;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const gguf_tensor_info *t = &g->tensors[i];
        if (t->offset % g->alignment != 0) {
            return fail(c, "GGUF: tensor '%s' data offset %llu is not a multiple of the alignment %u",
                        t->name.data, (unsigned long long)t->offset, g->alignment);
        }
        if (t->offset > data_avail || t->size > data_avail - t->offset) {
            return fail(c, "GGUF: tensor '%s' (%llu bytes at file offset %llu) extends past the end of the "
                        "file (%llu bytes)", t->name.data, (unsigned long long)t->size,
                        (unsigned long long)(g->data_offset + t->offset), (unsigned long long)g->file_size);
        }
        if (t->offset + t->size > g->data_size) g->data_size = t->offset + t->size;
    }
    if (g->n_tensors < 2) return true;
    const gguf_tensor_info **order = malloc(g->n_tensors * sizeof *order);
    if (!order) return fail_oom(c, g->n_tensors * sizeof *order);
    for (uint64_t i = 0; i < g->n_tensors; i++) order[i] = &g->tensors[i];
    qsort(order, g->n_tensors, sizeof *order, compare_by_offset);
    bool ok = true;
    for (uint64_t i = 1; i < g->n_tensors && ok; i++) {
        const gguf_tensor_info *prev = order[i - 1], *t = order[i];
        if (t->offset < prev->offset + prev->size) {
            ok = fail(c, "GGUF: tensor '%s' (data offset %llu) overlaps tensor '%s' (data offset %llu, %llu bytes)",
                      t->name.data, (unsigned long long)t->offset, prev->name.data,
                      (unsigned long long)prev->offset, (unsigned long long)prev->size);
        }
    }
    free(order);
    for (uint64_t i = 0; i < g->n_tensors && ok; i++) {
        // Pairwise: cheap enough for the few hundred tensors a model has.
        for (uint64_t j = i + 1; j < g->n_tensors; j++) {
            if (g->tensors[i].name.len == g->tensors[j].name.len &&
                memcmp(g->tensors[i].name.data, g->tensors[j].name.data, g->tensors[i].name.len) == 0) {
                ok = fail(c, "GGUF: tensor name '%s' appears twice", g->tensors[i].name.data);
                break;
            }
        }
    }
    return ok;
}

// ---- the header ----

static bool parse_header(cursor *c, gguf_ctx *g) {
    char magic[4];
    if (!read_bytes(c, magic, 4, "magic")) return false;
    if (memcmp(magic, "GGUF", 4) != 0) {
        return fail(c, "GGUF: not a GGUF file: the first 4 bytes are %02x %02x %02x %02x, expected \"GGUF\"",
                    (uint8_t)magic[0], (uint8_t)magic[1], (uint8_t)magic[2], (uint8_t)magic[3]);
    }
    if (!read_u32(c, &g->version, "version")) return false;
    if (g->version == 1) return fail(c, "GGUF: version 1 files are not supported (re-convert with a current llama.cpp)");
    if (g->version != 2 && g->version != 3) {
        if ((g->version & 0xFFFF) == 0) return fail(c, "GGUF: big-endian GGUF files are not supported");
        return fail(c, "GGUF: unsupported version %u (2 and 3 are supported)", g->version);
    }
    if (!read_u64(c, &g->n_tensors, "tensor count") || !read_u64(c, &g->n_kv, "metadata count")) return false;
    // Smallest encodings: a kv is 8 (key length) + 4 (type) + 1; a tensor info 8 + 4 + 8 + 4 + 8.
    uint64_t rest = c->file_size - c->pos;
    if (g->n_kv > rest / 13) {
        return fail(c, "GGUF: header claims %llu metadata entries, more than the file (%llu bytes) can hold",
                    (unsigned long long)g->n_kv, (unsigned long long)c->file_size);
    }
    if (g->n_tensors > rest / 32) {
        return fail(c, "GGUF: header claims %llu tensors, more than the file (%llu bytes) can hold",
                    (unsigned long long)g->n_tensors, (unsigned long long)c->file_size);
    }
    g->kv = arena_alloc(c->ctx, (size_t)(g->n_kv ? g->n_kv : 1) * sizeof(gguf_kv));
    g->tensors = arena_alloc(c->ctx, (size_t)(g->n_tensors ? g->n_tensors : 1) * sizeof(gguf_tensor_info));
    if (!g->kv || !g->tensors) return fail_oom(c, g->n_kv * sizeof(gguf_kv));

    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    for (uint64_t i = 0; i < g->n_kv; i++) {
        gguf_kv *kv = &g->kv[i];
        uint32_t type;
        if (!read_str(c, &kv->key, "metadata key")) return false;
        if (!read_u32(c, &type, "metadata value type")) return false;
        if (!read_value(c, &kv->value, type, kv->key.data, 0)) return false;
        if (strcmp(kv->key.data, "general.alignment") == 0) {
            if (type != GGUF_TYPE_UINT32 || kv->value.u32 == 0 || (kv->value.u32 & (kv->value.u32 - 1)) != 0) {
                return fail(c, "GGUF: general.alignment must be a power-of-two uint32, got %s %u",
                            gguf_value_type_name(type), type == GGUF_TYPE_UINT32 ? kv->value.u32 : 0);
            }
            g->alignment = kv->value.u32;
        }
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        if (!read_tensor_info(c, &g->tensors[i], i)) return false;
    }
    uint64_t pad = (g->alignment - c->pos % g->alignment) % g->alignment;
    g->data_offset = c->pos + pad;
    if (g->data_offset > c->file_size) g->data_offset = c->file_size;
    return check_tensor_layout(c, g);
}

gguf_status gguf_parse(const uint8_t *buf, size_t len, uint64_t file_size, gguf_ctx **out,
                       uint64_t *need_bytes, char *err, size_t err_size) {
    *out = NULL;
    if (err_size) err[0] = 0;
    gguf_ctx_impl *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        snprintf(err, err_size, "GGUF: out of memory");
        return GGUF_ERROR;
    }
    cursor c = {.buf = buf, .len = len < file_size ? len : file_size, .file_size = file_size,
                .err = err, .err_size = err_size, .ctx = ctx};
    ctx->pub.file_size = file_size;
    parse_header(&c, &ctx->pub);
    if (c.status != GGUF_OK) {
        if (c.status == GGUF_NEED_MORE && need_bytes) *need_bytes = c.need;
        gguf_free(&ctx->pub);
        return c.status;
    }
    *out = &ctx->pub;
    return GGUF_OK;
}

// ---- lookups ----

const gguf_kv *gguf_find(const gguf_ctx *ctx, const char *key) {
    for (uint64_t i = 0; i < ctx->n_kv; i++) {
        if (strcmp(ctx->kv[i].key.data, key) == 0) return &ctx->kv[i];
    }
    return NULL;
}

const gguf_tensor_info *gguf_find_tensor(const gguf_ctx *ctx, const char *name) {
    for (uint64_t i = 0; i < ctx->n_tensors; i++) {
        if (strcmp(ctx->tensors[i].name.data, name) == 0) return &ctx->tensors[i];
    }
    return NULL;
}

// Integer value of any integer-typed scalar (bools excluded); false for other types.
static bool value_as_int(const gguf_value *v, int64_t *out, bool *is_unsigned_big) {
    *is_unsigned_big = false;
    switch (v->type) {
    case GGUF_TYPE_UINT8: *out = v->u8; return true;
    case GGUF_TYPE_INT8: *out = v->i8; return true;
    case GGUF_TYPE_UINT16: *out = v->u16; return true;
    case GGUF_TYPE_INT16: *out = v->i16; return true;
    case GGUF_TYPE_UINT32: *out = v->u32; return true;
    case GGUF_TYPE_INT32: *out = v->i32; return true;
    case GGUF_TYPE_INT64: *out = v->i64; return true;
    case GGUF_TYPE_UINT64:
        *is_unsigned_big = v->u64 > INT64_MAX;
        *out = (int64_t)v->u64;
        return true;
    default: return false;
    }
}

bool gguf_get_i64(const gguf_ctx *ctx, const char *key, int64_t *out) {
    const gguf_kv *kv = gguf_find(ctx, key);
    int64_t v;
    bool big;
    if (!kv || !value_as_int(&kv->value, &v, &big) || big) return false;
    *out = v;
    return true;
}

bool gguf_get_u32(const gguf_ctx *ctx, const char *key, uint32_t *out) {
    int64_t v;
    if (!gguf_get_i64(ctx, key, &v) || v < 0 || v > UINT32_MAX) return false;
    *out = (uint32_t)v;
    return true;
}

bool gguf_get_f32(const gguf_ctx *ctx, const char *key, float *out) {
    const gguf_kv *kv = gguf_find(ctx, key);
    if (!kv) return false;
    if (kv->value.type == GGUF_TYPE_FLOAT32) *out = kv->value.f32;
    else if (kv->value.type == GGUF_TYPE_FLOAT64) *out = (float)kv->value.f64;
    else return false;
    return true;
}

bool gguf_get_bool(const gguf_ctx *ctx, const char *key, bool *out) {
    const gguf_kv *kv = gguf_find(ctx, key);
    if (!kv || kv->value.type != GGUF_TYPE_BOOL) return false;
    *out = kv->value.b;
    return true;
}

const char *gguf_get_str(const gguf_ctx *ctx, const char *key) {
    const gguf_kv *kv = gguf_find(ctx, key);
    return kv && kv->value.type == GGUF_TYPE_STRING ? kv->value.str.data : NULL;
}

bool gguf_get_arr(const gguf_ctx *ctx, const char *key, uint32_t *elem_type, uint64_t *n, const void **data) {
    const gguf_kv *kv = gguf_find(ctx, key);
    if (!kv || kv->value.type != GGUF_TYPE_ARRAY) return false;
    *elem_type = kv->value.arr.type;
    *n = kv->value.arr.n;
    *data = kv->value.arr.data;
    return true;
}
