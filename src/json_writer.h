// A small JSON writer into a growable buffer: model info for the JS side, and the CLI's --json.
// Strings are escaped so that any bytes a model file holds come out as valid JSON text.
#ifndef HEARTH_JSON_WRITER_H
#define HEARTH_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;  // out of memory: the text is incomplete
    bool need_comma;
} hs_json;

void hs_json_init(hs_json *j);
void hs_json_free(hs_json *j);
void hs_json_raw(hs_json *j, const char *text);
void hs_json_begin_object(hs_json *j);
void hs_json_end_object(hs_json *j);
void hs_json_begin_array(hs_json *j);
void hs_json_end_array(hs_json *j);
void hs_json_key(hs_json *j, const char *key); // then exactly one value
void hs_json_string(hs_json *j, const char *s, size_t len);
void hs_json_cstr(hs_json *j, const char *s); // NULL writes null
void hs_json_int(hs_json *j, int64_t v);
void hs_json_uint(hs_json *j, uint64_t v);
void hs_json_double(hs_json *j, double v); // shortest text that reads back to the same float
void hs_json_bool(hs_json *j, bool v);

#endif
