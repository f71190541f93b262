// The JSON description of a model: what the UI shows before and after loading, and what
// `hearth info` prints. One writer for both, so the estimate and the loaded model agree.
#ifndef HEARTH_MODEL_INFO_H
#define HEARTH_MODEL_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "gguf.h"
#include "json_writer.h"
#include "model.h"
#include "tokenizer.h"

typedef struct {
    int n_ctx, n_batch, n_threads;
    bool kv_f16;
} hs_run_shape;

// Context length a request resolves to: 0 means the model's own, capped at 4096.
int hs_resolve_n_ctx(const hs_model *m, int requested);

// Writes the members of the info object (the caller opens and closes it). tok may be NULL.
void hs_model_info_write(hs_json *j, const hs_model *m, const gguf_ctx *meta, const hs_tokenizer *tok,
                         const hs_run_shape *shape);

#endif
