// GGUF v3 writer: metadata and tensors in, a file out. Used by `hearth synth` to write benchmark
// models and by tests to build well-formed and deliberately malformed files.
#ifndef HEARTH_GGUF_WRITER_H
#define HEARTH_GGUF_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gguf.h"

typedef struct gguf_writer gguf_writer;

gguf_writer *gguf_writer_create(void);
void gguf_writer_free(gguf_writer *w);

// Metadata, in the order added. Strings and arrays are copied.
void gguf_writer_u32(gguf_writer *w, const char *key, uint32_t v);
void gguf_writer_i32(gguf_writer *w, const char *key, int32_t v);
void gguf_writer_f32(gguf_writer *w, const char *key, float v);
void gguf_writer_bool(gguf_writer *w, const char *key, bool v);
void gguf_writer_str(gguf_writer *w, const char *key, const char *v);
// Array of scalars (elem_type a GGUF scalar type, data packed) or of strings (data = const char **).
void gguf_writer_arr(gguf_writer *w, const char *key, uint32_t elem_type, uint64_t n, const void *data);

// Any value as parsed by the reader (copying metadata from one file to another).
void gguf_writer_value(gguf_writer *w, const char *key, const gguf_value *v);

// A tensor; data (size bytes) is borrowed until the file is written.
void gguf_writer_tensor(gguf_writer *w, const char *name, uint32_t n_dims, const uint64_t *ne,
                        uint32_t type, const void *data, uint64_t size);

// Writes the whole file; false on an I/O error or an earlier allocation failure.
bool gguf_writer_write(gguf_writer *w, FILE *f);

#endif
