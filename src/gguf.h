// GGUF v2/v3 header reader: metadata key/values and tensor infos.
//
// The header is parsed from a memory prefix of the file; when the prefix is too short the parser
// says how many bytes it needs, so a caller receiving the file in chunks (the browser reads
// IndexedDB chunk by chunk) can keep feeding and retry. Every count, length and offset is checked
// against the file size and for overflow before anything is allocated.
#ifndef HEARTH_GGUF_H
#define HEARTH_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gguf_value_type {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8 = 1,
    GGUF_TYPE_UINT16 = 2,
    GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4,
    GGUF_TYPE_INT32 = 5,
    GGUF_TYPE_FLOAT32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8,
    GGUF_TYPE_ARRAY = 9,
    GGUF_TYPE_UINT64 = 10,
    GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12,
    GGUF_TYPE_COUNT = 13
};

// A string from the file: len bytes, plus a NUL we add (the file's bytes may contain NULs).
typedef struct {
    uint64_t len;
    char *data;
} gguf_str;

typedef struct gguf_value gguf_value;
struct gguf_value {
    uint32_t type; // enum gguf_value_type
    union {
        uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32;
        float f32; bool b; uint64_t u64; int64_t i64; double f64;
        gguf_str str;
        struct {
            uint32_t type; // element type
            uint64_t n;
            // Packed C array of the element type (uint8_t[], int32_t[], float[], ...);
            // gguf_str[] for strings; gguf_value[] (each an ARRAY) for nested arrays.
            void *data;
        } arr;
    };
};

typedef struct {
    gguf_str key;
    gguf_value value;
} gguf_kv;

#define GGUF_MAX_DIMS 4

typedef struct {
    gguf_str name;
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS]; // ne[0] = row length; unused dims are 1
    uint32_t type;              // hs_type number (may be a type we cannot compute with)
    uint64_t offset;            // relative to the data section
    uint64_t size;              // bytes, from ne and the type's block geometry
} gguf_tensor_info;

typedef struct {
    uint32_t version;
    uint64_t n_kv;
    gguf_kv *kv;
    uint64_t n_tensors;
    gguf_tensor_info *tensors;
    uint32_t alignment;   // general.alignment or 32
    uint64_t data_offset; // start of the tensor data section in the file
    uint64_t data_size;   // bytes from data_offset to the end of the last tensor
    uint64_t file_size;
} gguf_ctx;

typedef enum { GGUF_OK = 0, GGUF_NEED_MORE = 1, GGUF_ERROR = -1 } gguf_status;

// Parse the header from the first `len` bytes of a file of `file_size` bytes.
// GGUF_OK: *out is set (free with gguf_free). GGUF_NEED_MORE: *need_bytes is the prefix length
// that must be available before trying again (never more than file_size). GGUF_ERROR: err holds
// a message naming what is wrong and at which file offset.
gguf_status gguf_parse(const uint8_t *buf, size_t len, uint64_t file_size, gguf_ctx **out,
                       uint64_t *need_bytes, char *err, size_t err_size);
void gguf_free(gguf_ctx *ctx);

const gguf_kv *gguf_find(const gguf_ctx *ctx, const char *key);
const gguf_tensor_info *gguf_find_tensor(const gguf_ctx *ctx, const char *name);

// Typed getters: true when the key exists and converts losslessly (any integer type for ints,
// FLOAT32/FLOAT64 for floats). They leave *out untouched otherwise.
bool gguf_get_u32(const gguf_ctx *ctx, const char *key, uint32_t *out);
bool gguf_get_i64(const gguf_ctx *ctx, const char *key, int64_t *out);
bool gguf_get_f32(const gguf_ctx *ctx, const char *key, float *out);
bool gguf_get_bool(const gguf_ctx *ctx, const char *key, bool *out);
const char *gguf_get_str(const gguf_ctx *ctx, const char *key); // NULL if absent / not a string
// An array's element type, count and data; false if absent or not an array.
bool gguf_get_arr(const gguf_ctx *ctx, const char *key, uint32_t *elem_type, uint64_t *n,
                  const void **data);

const char *gguf_value_type_name(uint32_t type);

#endif
