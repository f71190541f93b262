// hearth info: metadata, tensor table, parameter count and memory estimate, from the header only
// (the weights are not read, so it is instant even for multi-GB files).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "gguf.h"
#include "types.h"

// Reads just enough of the file for its GGUF header, growing the prefix as the parser asks.
static uint8_t *read_header(const char *path, uint64_t *file_size, size_t *len, gguf_ctx **ctx) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "hearth: cannot open %s\n", path); return NULL; }
    fseek(f, 0, SEEK_END);
    *file_size = (uint64_t)ftell(f);
    uint8_t *buf = NULL;
    size_t have = 0, want = 1 << 20;
    for (;;) {
        if (want > *file_size) want = (size_t)*file_size;
        uint8_t *p = realloc(buf, want ? want : 1);
        if (!p) break;
        buf = p;
        fseek(f, (long)have, SEEK_SET);
        have += fread(buf + have, 1, want - have, f);
        uint64_t need = 0;
        char err[512];
        gguf_status st = gguf_parse(buf, have, *file_size, ctx, &need, err, sizeof err);
        if (st == GGUF_OK) { *len = have; fclose(f); return buf; }
        if (st == GGUF_ERROR || have < want) { fprintf(stderr, "hearth: %s: %s\n", path, err); break; }
        want = need > want * 2 ? (size_t)need : want * 2;
    }
    fclose(f);
    free(buf);
    return NULL;
}

static void print_value(const gguf_value *v) {
    switch (v->type) {
    case GGUF_TYPE_STRING: printf("\"%.100s%s\"", v->str.data, v->str.len > 100 ? "..." : ""); break;
    case GGUF_TYPE_ARRAY: printf("[%s x %llu]", gguf_value_type_name(v->arr.type), (unsigned long long)v->arr.n); break;
    case GGUF_TYPE_FLOAT32: printf("%g", v->f32); break;
    case GGUF_TYPE_FLOAT64: printf("%g", v->f64); break;
    case GGUF_TYPE_BOOL: printf("%s", v->b ? "true" : "false"); break;
    case GGUF_TYPE_UINT8: printf("%u", v->u8); break;
    case GGUF_TYPE_INT8: printf("%d", v->i8); break;
    case GGUF_TYPE_UINT16: printf("%u", v->u16); break;
    case GGUF_TYPE_INT16: printf("%d", v->i16); break;
    case GGUF_TYPE_UINT32: printf("%u", v->u32); break;
    case GGUF_TYPE_INT32: printf("%d", v->i32); break;
    case GGUF_TYPE_UINT64: printf("%llu", (unsigned long long)v->u64); break;
    case GGUF_TYPE_INT64: printf("%lld", (long long)v->i64); break;
    default: printf("?");
    }
}

int cmd_info(cli_args *a) {
    const char *path = args_require(a, "-m", "--model");
    int n_ctx = (int)args_int(a, NULL, "--ctx", 0);
    bool json = args_flag(a, "--json");
    args_check_all_used(a);
    uint64_t file_size;
    size_t len;
    gguf_ctx *g = NULL;
    uint8_t *header = read_header(path, &file_size, &len, &g);
    if (!header) return 1;
    size_t need = hearth_estimate_json(header, len, file_size, n_ctx, NULL, 0);
    char *estimate = malloc(need + 1);
    hearth_estimate_json(header, len, file_size, n_ctx, estimate, need + 1);
    if (json) {
        printf("%s\n", estimate);
    } else {
        printf("file: %s (%.2f MiB, GGUF v%u, %llu tensors, %llu metadata keys)\n", path, file_size / 1048576.0,
               g->version, (unsigned long long)g->n_tensors, (unsigned long long)g->n_kv);
        printf("\nmetadata:\n");
        for (uint64_t i = 0; i < g->n_kv; i++) {
            printf("  %-45s ", g->kv[i].key.data);
            print_value(&g->kv[i].value);
            printf("\n");
        }
        printf("\ntensors:\n");
        char tbuf[32];
        for (uint64_t i = 0; i < g->n_tensors; i++) {
            const gguf_tensor_info *t = &g->tensors[i];
            printf("  %-32s %-8s [%llu, %llu, %llu, %llu] %10llu bytes at %llu\n", t->name.data, hs_type_name(t->type, tbuf),
                   (unsigned long long)t->ne[0], (unsigned long long)t->ne[1], (unsigned long long)t->ne[2],
                   (unsigned long long)t->ne[3], (unsigned long long)t->size, (unsigned long long)(g->data_offset + t->offset));
        }
        printf("\nmodel (parameters, memory estimate in bytes):\n  %s\n", estimate);
    }
    int rc = strstr(estimate, "\"error\"") ? 1 : 0;
    free(estimate);
    gguf_free(g);
    free(header);
    return rc;
}
