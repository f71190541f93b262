// Hearth public C API: everything the CLI, the WebAssembly entry points and the tests use.
//
// Life of an engine: create -> load (push the file's bytes in chunks) -> tokenize -> eval a batch
// -> sample -> eval the sampled token -> ... Functions returning int give 0 on success and -1 on
// failure, with hearth_last_error() naming the problem; a failed load leaves the engine empty and
// usable for the next load.
#ifndef HEARTH_H
#define HEARTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hearth_engine hearth_engine;

typedef enum { HEARTH_KV_F16 = 0, HEARTH_KV_F32 = 1 } hearth_kv_type;

typedef struct {
    int n_threads;   // worker threads for matmuls (>= 1)
    int n_ctx;       // context length; 0 = the model's maximum, capped at 4096
    int n_batch;     // most tokens evaluated in one weight pass during prefill (default 64)
    hearth_kv_type kv_type;
} hearth_options;

void hearth_options_default(hearth_options *opts);
hearth_engine *hearth_create(const hearth_options *opts);
void hearth_free(hearth_engine *engine);
const char *hearth_last_error(const hearth_engine *engine);

// ---- Loading: the file arrives as byte chunks, written straight into engine memory ----
// A model is one GGUF file or the shards of a split GGUF, in order.
int hearth_load_begin(hearth_engine *engine, int n_shards);
int hearth_load_shard_begin(hearth_engine *engine, uint64_t shard_size);
// Where the next bytes of the current shard go: up to *capacity (<= want, > 0) bytes may be
// written at the returned pointer, then reported with hearth_load_commit. NULL on error.
uint8_t *hearth_load_buffer(hearth_engine *engine, size_t want, size_t *capacity);
int hearth_load_commit(hearth_engine *engine, size_t n);
// Convenience: copies n bytes through load_buffer/commit.
int hearth_load_write(hearth_engine *engine, const void *data, size_t n);
// All shards complete: checks every tensor, builds the model and the KV cache.
int hearth_load_end(hearth_engine *engine);
// Bytes received / expected over all shards begun so far.
void hearth_load_progress(const hearth_engine *engine, uint64_t *done, uint64_t *total);
// Native convenience: loads one file (or a split set, given its first shard's path).
typedef void (*hearth_progress_fn)(uint64_t done, uint64_t total, void *user);
int hearth_load_file(hearth_engine *engine, const char *path, hearth_progress_fn progress, void *user);
void hearth_unload(hearth_engine *engine);

// ---- Model facts ----
// Model description as one JSON object (architecture, sizes, types, tokens, memory, metadata);
// returns the length it needs (excluding NUL), writing at most size bytes.
size_t hearth_model_info_json(const hearth_engine *engine, char *buf, size_t size);
// Before downloading: what a model needs, from its header bytes alone (the first len bytes of a
// file of file_size bytes). Writes one JSON object: the same fields as hearth_model_info_json
// (memory estimate for n_ctx positions, 0 = default), or {"need_bytes": N} when the header is
// longer than len, or {"error": "..."}. Returns the length it needs, like hearth_model_info_json.
size_t hearth_estimate_json(const uint8_t *header, size_t len, uint64_t file_size, int n_ctx, char *buf, size_t size);
int hearth_n_vocab(const hearth_engine *engine);
int hearth_n_ctx(const hearth_engine *engine);
int32_t hearth_token_bos(const hearth_engine *engine); // -1 when none
int32_t hearth_token_eos(const hearth_engine *engine);
bool hearth_token_is_eog(const hearth_engine *engine, int32_t token);
bool hearth_add_bos(const hearth_engine *engine);
const char *hearth_chat_template(const hearth_engine *engine); // NULL when the file has none
// Which kernels compute (the same for every engine of the process): "reference" (scalar C),
// "simd128", "relaxed-simd, i32 dots" or "relaxed-simd, i16 dots" (the int8 dot the first use
// timed faster on this CPU). For benchmark reports.
const char *hearth_kernels(void);

// ---- Text ----
// Token ids of text: BOS per the model's metadata when add_special, special-token text such as
// "<|im_start|>" recognised when parse_special. Returns the count; if it exceeds max, nothing is
// promised about out and the return value is the count needed. -1 on error.
int hearth_tokenize(const hearth_engine *engine, const char *text, size_t len, bool add_special,
                    bool parse_special, int32_t *out, int max);
// The bytes a token stands for (may be part of a UTF-8 character); returns the length.
int hearth_token_piece(const hearth_engine *engine, int32_t token, char *buf, int size);
// The same, but control tokens render as their text (e.g. "</s>", "<|im_end|>"), as chat
// templates need for bos_token / eos_token.
int hearth_token_text(const hearth_engine *engine, int32_t token, char *buf, int size);

// ---- Evaluation ----
// Evaluates n tokens at positions n_past .. n_past+n-1 (split into n_batch pieces) and keeps
// the logits of the last one. Fails cleanly if the context would overflow.
int hearth_eval(hearth_engine *engine, const int32_t *tokens, int n);
const float *hearth_logits(const hearth_engine *engine); // n_vocab floats, after hearth_eval
int hearth_n_past(const hearth_engine *engine);
// Forget everything after the first n positions (multi-turn reuse of a shared prefix).
int hearth_kv_truncate(hearth_engine *engine, int n);
int hearth_set_threads(hearth_engine *engine, int n_threads);

// ---- Sampling ----
typedef struct {
    float temperature;       // 0 = greedy (ties to the lower id)
    int top_k;               // 0 = off
    float top_p;             // 1 = off
    float min_p;             // 0 = off
    float repeat_penalty;    // 1 = off (llama.cpp style: divide positive logits, multiply negative)
    float frequency_penalty; // 0 = off
    float presence_penalty;  // 0 = off
    int penalty_last_n;      // how many recent tokens the penalties look at (default 64)
    uint64_t seed;
} hearth_sampling;

void hearth_sampling_default(hearth_sampling *params);
typedef struct hearth_sampler hearth_sampler;
hearth_sampler *hearth_sampler_create(const hearth_sampling *params);
void hearth_sampler_free(hearth_sampler *sampler);
// Picks the next token from logits[0..n_vocab) and remembers it for the penalties.
int32_t hearth_sampler_sample(hearth_sampler *sampler, const float *logits, int n_vocab);
// Tells the sampler about tokens it did not pick (the prompt), for the penalties.
void hearth_sampler_accept(hearth_sampler *sampler, int32_t token);
void hearth_sampler_reset(hearth_sampler *sampler);

// ---- Streaming text: token pieces in, complete UTF-8 out ----
typedef struct hearth_text_stream hearth_text_stream;
hearth_text_stream *hearth_text_stream_create(void);
void hearth_text_stream_free(hearth_text_stream *stream);
// Appends piece bytes; returns a NUL-terminated string of the newly complete UTF-8 text (valid
// UTF-8; bytes that can never become valid come out as U+FFFD). Valid until the next call.
const char *hearth_text_stream_push(hearth_text_stream *stream, const char *piece, size_t len);
// Whatever is held back at the end of generation (incomplete sequences become U+FFFD).
const char *hearth_text_stream_flush(hearth_text_stream *stream);

#ifdef __cplusplus
}
#endif
#endif
