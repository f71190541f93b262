// GGUF reader: every real file in ../shared parses (whole and fed in growing prefixes), and
// malformed files fail with an error that names the problem.
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "gguf.h"
#include "gguf_writer.h"
#include "harness.h"
#include "types.h"

static char err[512];

// Parses by feeding ever longer prefixes, as the browser loader does with chunks.
static gguf_ctx *parse_incrementally(const uint8_t *data, size_t size, int *rounds) {
    uint64_t have = 16;
    gguf_ctx *ctx = NULL;
    *rounds = 0;
    for (;;) {
        uint64_t need = 0;
        (*rounds)++;
        gguf_status st = gguf_parse(data, (size_t)(have < size ? have : size), size, &ctx, &need, err, sizeof err);
        if (st != GGUF_NEED_MORE) return st == GGUF_OK ? ctx : NULL;
        if (need <= have || need > size) return NULL; // the parser must always ask for more, within the file
        // Grow geometrically, as a chunked reader does: re-parsing from the start after every
        // single missing string would be quadratic in the header size.
        have = need > have * 2 ? need : have * 2;
    }
}

static void check_real_file(const char *path) {
    size_t size;
    uint8_t *data = (uint8_t *)read_file(path, &size);
    CHECK(data != NULL, "cannot read %s", path);
    if (!data) return;
    gguf_ctx *whole = NULL;
    uint64_t need = 0;
    gguf_status st = gguf_parse(data, size, size, &whole, &need, err, sizeof err);
    CHECK(st == GGUF_OK, "%s: %s", path, err);
    int rounds;
    gguf_ctx *inc = parse_incrementally(data, size, &rounds);
    CHECK(inc != NULL, "%s incremental: %s", path, err);
    if (whole && inc) {
        CHECK(whole->n_kv == inc->n_kv && whole->n_tensors == inc->n_tensors &&
                  whole->data_offset == inc->data_offset && whole->data_size == inc->data_size,
              "%s: incremental parse differs", path);
        CHECK(whole->data_offset + whole->data_size <= size, "%s: data past the end", path);
        CHECK(whole->n_tensors == 0 || whole->data_offset % whole->alignment == 0, "%s: data offset not aligned", path);
        const char *arch = gguf_get_str(whole, "general.architecture");
        CHECK(arch != NULL || strstr(path, "vocab") != NULL, "%s: no general.architecture", path);
    }
    gguf_free(whole);
    gguf_free(inc);
    free(data);
}

static void check_all_real_files(const char *dir_rel) {
    const char *dir_path = shared_path(dir_rel);
    DIR *dir = opendir(dir_path);
    CHECK(dir != NULL, "cannot open %s", dir_path);
    if (!dir) return;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".gguf") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir_path, e->d_name);
        check_real_file(path);
        n++;
    }
    closedir(dir);
    printf("parsed %d files in %s\n", n, dir_rel);
    CHECK(n > 0, "no GGUF files in %s", dir_rel);
}

// Metadata values of every type, including nested arrays, read back exactly.
static void check_value_types(void) {
    gguf_writer *w = gguf_writer_create();
    gguf_writer_u32(w, "a.u32", 4000000000u);
    gguf_writer_i32(w, "a.i32", -7);
    gguf_writer_f32(w, "a.f32", 0.25f);
    gguf_writer_bool(w, "a.bool", true);
    gguf_writer_str(w, "a.str", "héllo");
    const char *strs[] = {"x", "", "zz"};
    gguf_writer_arr(w, "a.strs", GGUF_TYPE_STRING, 3, strs);
    int16_t i16s[] = {-1, 2, 300};
    gguf_writer_arr(w, "a.i16s", GGUF_TYPE_INT16, 3, i16s);
    gguf_writer_u32(w, "general.alignment", 64);
    float t[64];
    for (int i = 0; i < 64; i++) t[i] = (float)i;
    uint64_t ne[2] = {32, 2};
    gguf_writer_tensor(w, "t", 2, ne, HS_TYPE_F32, t, sizeof t);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    CHECK(gguf_writer_write(w, f), "write failed");
    fclose(f);
    gguf_writer_free(w);
    // Writer aligns to 32: with general.alignment 64 the tensor offset 0 is still valid.
    gguf_ctx *ctx = NULL;
    gguf_status st = gguf_parse((uint8_t *)buf, size, size, &ctx, NULL, err, sizeof err);
    CHECK(st == GGUF_OK, "%s", err);
    if (ctx) {
        uint32_t u;
        int64_t i;
        float fl;
        bool b;
        CHECK(gguf_get_u32(ctx, "a.u32", &u) && u == 4000000000u, "u32");
        CHECK(gguf_get_i64(ctx, "a.i32", &i) && i == -7, "i32");
        CHECK(!gguf_get_u32(ctx, "a.i32", &u), "negative value read as u32");
        CHECK(gguf_get_f32(ctx, "a.f32", &fl) && fl == 0.25f, "f32");
        CHECK(gguf_get_bool(ctx, "a.bool", &b) && b, "bool");
        CHECK(strcmp(gguf_get_str(ctx, "a.str"), "héllo") == 0, "str");
        CHECK(ctx->alignment == 64, "alignment %u", ctx->alignment);
        uint32_t et;
        uint64_t n;
        const void *data;
        CHECK(gguf_get_arr(ctx, "a.strs", &et, &n, &data) && et == GGUF_TYPE_STRING && n == 3 &&
                  strcmp(((const gguf_str *)data)[2].data, "zz") == 0 && ((const gguf_str *)data)[1].len == 0,
              "string array");
        CHECK(gguf_get_arr(ctx, "a.i16s", &et, &n, &data) && et == GGUF_TYPE_INT16 && n == 3 &&
                  ((const int16_t *)data)[2] == 300, "int16 array");
        const gguf_tensor_info *ti = gguf_find_tensor(ctx, "t");
        CHECK(ti && ti->ne[0] == 32 && ti->ne[1] == 2 && ti->size == 256 && ti->offset == 0, "tensor info");
        gguf_free(ctx);
    }
    free(buf);
}

// ---- malformed files: a small valid file, then one byte-level change each ----

typedef struct {
    uint8_t *p;
    size_t size;
} file_bytes;

static file_bytes build_small(void) {
    gguf_writer *w = gguf_writer_create();
    gguf_writer_str(w, "general.architecture", "llama");
    uint32_t nested_inner[2] = {1, 2};
    gguf_writer_arr(w, "x.arr", GGUF_TYPE_UINT32, 2, nested_inner);
    static float a[32], b[64];
    uint64_t ne_a[1] = {32}, ne_b[2] = {32, 2};
    gguf_writer_tensor(w, "a", 1, ne_a, HS_TYPE_F32, a, sizeof a);
    gguf_writer_tensor(w, "b", 2, ne_b, HS_TYPE_F32, b, sizeof b);
    file_bytes fb = {0};
    FILE *f = open_memstream((char **)&fb.p, &fb.size);
    gguf_writer_write(w, f);
    fclose(f);
    gguf_writer_free(w);
    return fb;
}

// Offset of the first occurrence of needle in the file (to patch a field after a known string).
static size_t find(const file_bytes *fb, const void *needle, size_t n) {
    for (size_t i = 0; i + n <= fb->size; i++)
        if (memcmp(fb->p + i, needle, n) == 0) return i;
    return (size_t)-1;
}

static void expect_error(const file_bytes *fb, uint64_t file_size, const char *what, const char *must_contain) {
    gguf_ctx *ctx = NULL;
    uint64_t need = 0;
    gguf_status st = gguf_parse(fb->p, fb->size < file_size ? fb->size : file_size, file_size, &ctx, &need, err, sizeof err);
    CHECK(st == GGUF_ERROR, "%s: expected an error, got status %d", what, st);
    CHECK(strstr(err, must_contain) != NULL, "%s: error '%s' lacks '%s'", what, err, must_contain);
    gguf_free(ctx);
}

static void check_malformed(void) {
    file_bytes good = build_small();
    gguf_ctx *ctx = NULL;
    CHECK(gguf_parse(good.p, good.size, good.size, &ctx, NULL, err, sizeof err) == GGUF_OK, "small file: %s", err);
    uint64_t header_end = ctx ? ctx->data_offset : 0;
    gguf_free(ctx);

    // Truncation at every byte of the header and inside the data: an error, never a crash.
    for (uint64_t cut = 0; cut < good.size; cut++) {
        gguf_status st = gguf_parse(good.p, cut, cut, &ctx, NULL, err, sizeof err);
        CHECK(st == GGUF_ERROR, "truncated at %llu: status %d", (unsigned long long)cut, st);
        if (cut < header_end) CHECK(strstr(err, "truncated") || strstr(err, "past the end") || strstr(err, "more than") || strstr(err, "larger than the whole file"),
                                    "truncated at %llu: '%s'", (unsigned long long)cut, err);
        else CHECK(strstr(err, "past the end of the file") || strstr(err, "larger than the whole file"), "cut in data at %llu: '%s'", (unsigned long long)cut, err);
        gguf_free(ctx);
    }
    // A prefix of a longer file asks for more rather than failing.
    uint64_t need = 0;
    CHECK(gguf_parse(good.p, 10, good.size, &ctx, &need, err, sizeof err) == GGUF_NEED_MORE && need > 10 && need <= good.size,
          "prefix: need %llu", (unsigned long long)need);

    file_bytes bad = {malloc(good.size), good.size};
#define MUTATE(stmt, what, must)                     \
    do {                                             \
        memcpy(bad.p, good.p, good.size);            \
        stmt;                                        \
        expect_error(&bad, bad.size, what, must);    \
    } while (0)
    MUTATE(bad.p[0] = 'X', "bad magic", "not a GGUF file");
    MUTATE(bad.p[4] = 1, "version 1", "version 1");
    MUTATE(bad.p[4] = 9, "version 9", "unsupported version 9");
    MUTATE((bad.p[4] = 0, bad.p[7] = 3), "big endian", "big-endian");
    MUTATE(memset(bad.p + 8, 0xff, 7), "absurd tensor count", "tensors, more than");
    MUTATE(memset(bad.p + 16, 0xff, 7), "absurd kv count", "metadata entries, more than");
    size_t arr = find(&good, "x.arr", 5);
    // x.arr: key | u32 type | u32 elem type | u64 count: make the count ~2^64.
    MUTATE(memset(bad.p + arr + 5 + 8, 0xff, 8), "absurd array count", "claims");
    MUTATE(bad.p[arr + 5 + 4] = 77, "unknown array element type", "unknown element type 77");
    MUTATE(bad.p[arr + 5] = 99, "unknown value type", "unknown value type 99");
    size_t key = find(&good, "general.architecture", 20);
    MUTATE(memset(bad.p + key - 8, 0x7f, 7), "string length past the end", "past the end of the file");
    // Tensor "b": name | u32 n_dims | u64 ne0 | u64 ne1 | u32 type | u64 offset.
    size_t tb = find(&good, "\x01\0\0\0\0\0\0\0b", 9) + 9;
    MUTATE(bad.p[tb] = 7, "too many dims", "dimensions");
    MUTATE(bad.p[tb + 4 + 16] = 200, "unknown tensor type", "unknown type 200");
    MUTATE((bad.p[tb + 4] = 16, bad.p[tb + 4 + 16] = HS_TYPE_Q4_0), "row not a block multiple", "not a multiple");
    MUTATE(bad.p[tb + 4 + 16 + 4] = 3, "misaligned offset", "not a multiple of the alignment");
    MUTATE(memset(bad.p + tb + 4 + 16 + 4, 0, 8), "overlap", "overlaps");
    MUTATE(bad.p[tb + 4 + 16 + 4 + 1] = 0x10, "tensor past end", "extends past the end");
    MUTATE(bad.p[tb + 4 + 5] = 1, "huge shape", "larger than the whole file");
    MUTATE(memset(bad.p + tb + 4, 0xff, 8), "absurd shape", "impossible shape");
    MUTATE(memset(bad.p + tb + 4, 0, 8), "zero dim", "impossible shape");
    MUTATE(bad.p[tb - 1] = 'a', "duplicate name", "appears twice");
#undef MUTATE
    free(bad.p);
    free(good.p);
}

int main(void) {
    check_value_types();
    check_malformed();
    check_all_real_files("models/stories260K");
    check_all_real_files("models/synthetic");
    check_all_real_files("vocab");
    return test_finish();
}
