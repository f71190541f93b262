#include "json_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hs_json_init(hs_json *j) { memset(j, 0, sizeof *j); }
void hs_json_free(hs_json *j) { free(j->buf); memset(j, 0, sizeof *j); }

static void append(hs_json *j, const char *s, size_t n) {
    if (j->failed) return;
    if (j->len + n + 1 > j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 256;
        while (cap < j->len + n + 1) cap *= 2;
        char *p = realloc(j->buf, cap);
        if (!p) { j->failed = true; return; }
        j->buf = p;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = 0;
}

void hs_json_raw(hs_json *j, const char *text) { append(j, text, strlen(text)); }

// Values inside arrays and objects are separated by commas; a key's value is not.
static void before_value(hs_json *j) {
    if (j->need_comma) append(j, ",", 1);
    j->need_comma = true;
}

void hs_json_begin_object(hs_json *j) { before_value(j); append(j, "{", 1); j->need_comma = false; }
void hs_json_end_object(hs_json *j) { append(j, "}", 1); j->need_comma = true; }
void hs_json_begin_array(hs_json *j) { before_value(j); append(j, "[", 1); j->need_comma = false; }
void hs_json_end_array(hs_json *j) { append(j, "]", 1); j->need_comma = true; }

static void write_string(hs_json *j, const char *s, size_t len) {
    append(j, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        if (ch == '"' || ch == '\\') { esc[0] = '\\'; esc[1] = (char)ch; append(j, esc, 2); }
        else if (ch == '\n') append(j, "\\n", 2);
        else if (ch == '\r') append(j, "\\r", 2);
        else if (ch == '\t') append(j, "\\t", 2);
        else if (ch < 0x20 || ch == 0x7f) { snprintf(esc, sizeof esc, "\\u%04x", ch); append(j, esc, 6); }
        else if (ch < 0x80) append(j, (const char *)&ch, 1);
        else {
            // Copy a whole valid UTF-8 sequence; a byte that does not start one becomes U+FFFD, so
            // the output is always valid JSON text.
            int n = ch >= 0xF0 && ch <= 0xF4 ? 4 : ch >= 0xE0 ? 3 : ch >= 0xC2 && ch <= 0xDF ? 2 : 0;
            bool ok = n > 0 && i + (size_t)n <= len;
            for (int k = 1; ok && k < n; k++) ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
            if (ok && n == 3) {
                unsigned char c1 = (unsigned char)s[i + 1];
                ok = !(ch == 0xE0 && c1 < 0xA0) && !(ch == 0xED && c1 >= 0xA0);
            }
            if (ok && n == 4) {
                unsigned char c1 = (unsigned char)s[i + 1];
                ok = !(ch == 0xF0 && c1 < 0x90) && !(ch == 0xF4 && c1 >= 0x90);
            }
            if (ok) { append(j, s + i, (size_t)n); i += (size_t)n - 1; }
            else append(j, "\xEF\xBF\xBD", 3);
        }
    }
    append(j, "\"", 1);
}

void hs_json_key(hs_json *j, const char *key) {
    before_value(j);
    write_string(j, key, strlen(key));
    append(j, ":", 1);
    j->need_comma = false;
}

void hs_json_string(hs_json *j, const char *s, size_t len) { before_value(j); write_string(j, s, len); }
void hs_json_cstr(hs_json *j, const char *s) {
    if (!s) { before_value(j); append(j, "null", 4); return; }
    hs_json_string(j, s, strlen(s));
}

void hs_json_int(hs_json *j, int64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    before_value(j);
    hs_json_raw(j, b);
}

void hs_json_uint(hs_json *j, uint64_t v) {
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    before_value(j);
    hs_json_raw(j, b);
}

void hs_json_double(hs_json *j, double v) {
    char b[40];
    before_value(j);
    if (!isfinite(v)) { hs_json_raw(j, "null"); return; }
    // Shortest %g that round-trips the float value (logits are floats).
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, v);
        if ((float)strtod(b, NULL) == (float)v) break;
    }
    hs_json_raw(j, b);
}

void hs_json_bool(hs_json *j, bool v) { before_value(j); hs_json_raw(j, v ? "true" : "false"); }
