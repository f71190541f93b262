// Receives a model file (or the shards of a split GGUF) as a stream of byte chunks. Header bytes
// collect in a small staging buffer until the GGUF header parses; from then on the caller writes
// straight into the weight arena, which is sized from the tensor infos, so the file is never held
// twice (the browser copies each IndexedDB chunk directly to the pointer we hand out).
#ifndef HEARTH_LOADER_H
#define HEARTH_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf.h"
#include "model.h"

typedef struct {
    uint64_t size;        // bytes in this shard's file
    uint64_t received;    // bytes of it committed so far
    gguf_ctx *gguf;       // set once the header has parsed
    uint8_t *staging;     // header bytes until then
    size_t staging_len, staging_cap;
    uint64_t next_parse;  // try parsing once staging_len reaches this
    uint8_t *arena;       // tensor data: file bytes [data_offset, data_offset + data_size)
    uint8_t discard[4096]; // padding and trailing bytes that belong to no tensor
} hs_shard;

typedef struct {
    int n_shards, n_begun;
    hs_shard *shards;
    char err[512];
    bool failed;
} hs_loader;

bool hs_loader_begin(hs_loader *ld, int n_shards);
bool hs_loader_shard_begin(hs_loader *ld, uint64_t size);
uint8_t *hs_loader_buffer(hs_loader *ld, size_t want, size_t *capacity);
bool hs_loader_commit(hs_loader *ld, size_t n);
// True when every shard has arrived whole and its header parsed.
bool hs_loader_finish(hs_loader *ld);
void hs_loader_free(hs_loader *ld);

// Finds a tensor in any shard (for hs_model_bind).
hs_tensor_ref hs_loader_lookup(void *loader, const char *name);
uint64_t hs_loader_arena_bytes(const hs_loader *ld);

#endif
