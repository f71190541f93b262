// Helpers for the JavaScript side of the WebAssembly build, on top of the public API (hearth.h).
//
// JavaScript cannot easily fill C structs, and without WASM_BIGINT a uint64_t parameter becomes
// two i32 halves at the JS boundary. So options and sampling parameters arrive as plain scalars,
// 64-bit sizes arrive as doubles (exact up to 2^53 bytes), and JSON comes back as one malloc'ed
// string rather than the size-then-fill pair of calls. Loading also works around an Emscripten
// limit on growing the heap (see grow_heap_in_steps).
#include <math.h>
#include <stdlib.h>

#include "hearth.h"

hearth_engine *hearth_wasm_create(int n_threads, int n_ctx, int n_batch, int kv_f32) {
    hearth_options opts;
    hearth_options_default(&opts);
    opts.n_threads = n_threads;
    opts.n_ctx = n_ctx;
    opts.n_batch = n_batch;
    opts.kv_type = kv_f32 ? HEARTH_KV_F32 : HEARTH_KV_F16;
    return hearth_create(&opts);
}

// Emscripten 3.1.6's sbrk() takes a signed 32-bit increment, so malloc cannot grow the heap by
// 2 GiB or more at once, and a shard's weights are one allocation (the loader's arena). Growing the
// heap in smaller steps and freeing them leaves one free block at the top of the heap, which the
// arena is then carved from without a large sbrk.
#define HEAP_STEP ((uint64_t)1 << 30)
#define MAX_STEPS 4 // 4 GiB, the most the module may have

static void grow_heap_in_steps(uint64_t bytes) {
    void *blocks[MAX_STEPS];
    int n = 0;
    for (uint64_t have = 0; have < bytes && n < MAX_STEPS; have += HEAP_STEP) {
        uint64_t step = bytes - have < HEAP_STEP ? bytes - have : HEAP_STEP;
        void *p = malloc((size_t)step);
        if (!p) break; // the arena's own allocation then reports the shortage
        blocks[n++] = p;
    }
    while (n > 0) free(blocks[--n]);
}

int hearth_wasm_load_shard_begin(hearth_engine *engine, double shard_size) {
    if (shard_size >= (double)HEAP_STEP) grow_heap_in_steps((uint64_t)shard_size);
    return hearth_load_shard_begin(engine, (uint64_t)shard_size);
}

// Both return a fresh NUL-terminated JSON string (free() it), NULL when out of memory.
char *hearth_wasm_model_info_json(const hearth_engine *engine) {
    size_t need = hearth_model_info_json(engine, NULL, 0);
    char *out = malloc(need + 1);
    if (out) hearth_model_info_json(engine, out, need + 1);
    return out;
}

char *hearth_wasm_estimate_json(const uint8_t *header, size_t len, double file_size, int n_ctx) {
    size_t need = hearth_estimate_json(header, len, (uint64_t)file_size, n_ctx, NULL, 0);
    char *out = malloc(need + 1);
    if (out) hearth_estimate_json(header, len, (uint64_t)file_size, n_ctx, out, need + 1);
    return out;
}

// A NaN argument keeps hearth_sampling_default's value, so JavaScript passes only what it sets.
hearth_sampler *hearth_wasm_sampler_create(double temperature, double top_k, double top_p, double min_p,
                                           double repeat_penalty, double frequency_penalty, double presence_penalty,
                                           double penalty_last_n, double seed) {
    hearth_sampling p;
    hearth_sampling_default(&p);
    if (!isnan(temperature)) p.temperature = (float)temperature;
    if (!isnan(top_k)) p.top_k = (int)top_k;
    if (!isnan(top_p)) p.top_p = (float)top_p;
    if (!isnan(min_p)) p.min_p = (float)min_p;
    if (!isnan(repeat_penalty)) p.repeat_penalty = (float)repeat_penalty;
    if (!isnan(frequency_penalty)) p.frequency_penalty = (float)frequency_penalty;
    if (!isnan(presence_penalty)) p.presence_penalty = (float)presence_penalty;
    if (!isnan(penalty_last_n)) p.penalty_last_n = (int)penalty_last_n;
    if (!isnan(seed)) p.seed = (uint64_t)seed;
    return hearth_sampler_create(&p);
}
