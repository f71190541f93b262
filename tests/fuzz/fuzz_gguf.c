// libFuzzer target: arbitrary bytes as a GGUF file, through the header parser (whole and in
// growing prefixes), the header-only estimate, and a full engine load fed in odd-sized chunks.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gguf.h"
#include "hearth.h"

static hearth_engine *engine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!engine) engine = hearth_create(NULL);
    char err[256];
    gguf_ctx *g = NULL;
    uint64_t need = 0;
    if (gguf_parse(data, size, size, &g, &need, err, sizeof err) == GGUF_OK) gguf_free(g);
    // A prefix of the file, as the browser sees it before the rest arrives.
    if (gguf_parse(data, size / 2, size, &g, &need, err, sizeof err) == GGUF_OK) gguf_free(g);
    char json[4096];
    hearth_estimate_json(data, size, size, 0, json, sizeof json);
    if (hearth_load_begin(engine, 1) == 0 && hearth_load_shard_begin(engine, size) == 0) {
        size_t pos = 0, step = 1 + size / 7;
        while (pos < size) {
            size_t n = size - pos < step ? size - pos : step;
            if (hearth_load_write(engine, data + pos, n) != 0) break;
            pos += n;
        }
        if (pos == size && hearth_load_end(engine) == 0) {
            int32_t ids[8];
            int n = hearth_tokenize(engine, "Hi there", 8, true, true, ids, 8);
            if (n > 0 && n <= 8) hearth_eval(engine, ids, n);
        }
    }
    return 0;
}
