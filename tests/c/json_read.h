// A small JSON reader for the tests: parses a whole document into a tree (llama.cpp reference
// files, tokenizer vectors). Not for untrusted input at scale: tests only.
#ifndef HEARTH_TEST_JSON_READ_H
#define HEARTH_TEST_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } jv_kind;

typedef struct jv jv;
struct jv {
    jv_kind kind;
    double num;
    bool b;
    char *str;      // JV_STR (decoded, NUL-terminated)
    size_t len;     // JV_STR bytes; JV_ARR / JV_OBJ element count
    jv *items;      // JV_ARR elements; JV_OBJ values
    char **keys;    // JV_OBJ keys
};

jv *jv_parse(const char *text); // NULL on a syntax error
void jv_free(jv *v);
const jv *jv_get(const jv *obj, const char *key); // NULL when absent or not an object
const jv *jv_at(const jv *arr, size_t i);         // NULL when out of range
double jv_num(const jv *v, double fallback);

#endif
