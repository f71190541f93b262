#include "json_read.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p;
    bool ok;
} parser;

static void skip_ws(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t') ps->p++;
}

static void put_utf8(char **out, unsigned cp) {
    char *o = *out;
    if (cp < 0x80) *o++ = (char)cp;
    else if (cp < 0x800) { *o++ = (char)(0xC0 | cp >> 6); *o++ = (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) { *o++ = (char)(0xE0 | cp >> 12); *o++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *o++ = (char)(0x80 | (cp & 0x3F)); }
    else { *o++ = (char)(0xF0 | cp >> 18); *o++ = (char)(0x80 | ((cp >> 12) & 0x3F)); *o++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *o++ = (char)(0x80 | (cp & 0x3F)); }
    *out = o;
}

static unsigned hex4(parser *ps) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else { ps->ok = false; return 0; }
    }
    return v;
}

static char *parse_string(parser *ps, size_t *len) {
    ps->p++; // opening quote
    const char *start = ps->p;
    size_t cap = 1;
    while (*ps->p && *ps->p != '"') { if (*ps->p == '\\') { ps->p++; cap += 4; } if (*ps->p) ps->p++; cap++; }
    char *s = malloc(cap + 4), *o = s;
    ps->p = start;
    while (ps->ok && *ps->p && *ps->p != '"') {
        char c = *ps->p++;
        if (c != '\\') { *o++ = c; continue; }
        c = *ps->p++;
        switch (c) {
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            unsigned cp = hex4(ps);
            if (cp >= 0xD800 && cp < 0xDC00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                ps->p += 2;
                unsigned lo = hex4(ps);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(&o, cp);
            break;
        }
        default: *o++ = c;
        }
    }
    if (*ps->p != '"') ps->ok = false;
    else ps->p++;
    *o = 0;
    *len = (size_t)(o - s);
    return s;
}

static void parse_value(parser *ps, jv *v);

static void push(jv *v, size_t *cap) {
    if (v->len == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        v->items = realloc(v->items, *cap * sizeof(jv));
        if (v->kind == JV_OBJ) v->keys = realloc(v->keys, *cap * sizeof(char *));
    }
    memset(&v->items[v->len], 0, sizeof(jv));
    v->len++;
}

static void parse_value(parser *ps, jv *v) {
    memset(v, 0, sizeof *v);
    skip_ws(ps);
    char c = *ps->p;
    if (c == '{' || c == '[') {
        v->kind = c == '{' ? JV_OBJ : JV_ARR;
        char close = c == '{' ? '}' : ']';
        size_t cap = 0;
        ps->p++;
        skip_ws(ps);
        if (*ps->p == close) { ps->p++; return; }
        while (ps->ok) {
            push(v, &cap);
            if (v->kind == JV_OBJ) {
                skip_ws(ps);
                size_t klen;
                if (*ps->p != '"') { ps->ok = false; v->keys[v->len - 1] = NULL; return; }
                v->keys[v->len - 1] = parse_string(ps, &klen);
                skip_ws(ps);
                if (*ps->p++ != ':') { ps->ok = false; return; }
            }
            parse_value(ps, &v->items[v->len - 1]);
            skip_ws(ps);
            if (*ps->p == ',') { ps->p++; continue; }
            if (*ps->p == close) { ps->p++; return; }
            ps->ok = false;
        }
    } else if (c == '"') {
        v->kind = JV_STR;
        v->str = parse_string(ps, &v->len);
    } else if (strncmp(ps->p, "true", 4) == 0) { v->kind = JV_BOOL; v->b = true; ps->p += 4; }
    else if (strncmp(ps->p, "false", 5) == 0) { v->kind = JV_BOOL; ps->p += 5; }
    else if (strncmp(ps->p, "null", 4) == 0) { v->kind = JV_NULL; ps->p += 4; }
    else {
        char *end;
        v->kind = JV_NUM;
        v->num = strtod(ps->p, &end);
        if (end == ps->p) ps->ok = false;
        ps->p = end;
    }
}

static void free_inner(jv *v) {
    for (size_t i = 0; (v->kind == JV_ARR || v->kind == JV_OBJ) && i < v->len; i++) {
        free_inner(&v->items[i]);
        if (v->kind == JV_OBJ) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
}

jv *jv_parse(const char *text) {
    parser ps = {text, true};
    jv *v = malloc(sizeof *v);
    parse_value(&ps, v);
    if (!ps.ok) { jv_free(v); return NULL; }
    return v;
}

void jv_free(jv *v) {
    if (!v) return;
    free_inner(v);
    free(v);
}

const jv *jv_get(const jv *obj, const char *key) {
    if (!obj || obj->kind != JV_OBJ) return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (obj->keys[i] && strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

const jv *jv_at(const jv *arr, size_t i) {
    if (!arr || (arr->kind != JV_ARR && arr->kind != JV_OBJ) || i >= arr->len) return NULL;
    return &arr->items[i];
}

double jv_num(const jv *v, double fallback) { return v && v->kind == JV_NUM ? v->num : fallback; }
