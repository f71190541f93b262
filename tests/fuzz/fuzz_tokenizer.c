// libFuzzer target: arbitrary bytes as text through both tokenizer families (SentencePiece from
// stories260K, byte-level BPE with the qwen2 pre-tokenizer from a synthetic model), with and
// without special-token parsing, then every token's piece and the UTF-8 text stream.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hearth.h"

static hearth_engine *engines[2];

static hearth_engine *load(const char *rel) {
    const char *root = getenv("SHARED_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root ? root : "../shared", rel);
    hearth_engine *e = hearth_create(NULL);
    if (hearth_load_file(e, path, NULL, NULL) != 0) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", hearth_last_error(e));
        abort();
    }
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!engines[0]) {
        engines[0] = load("models/stories260K/stories260K-Q8_0.gguf");
        engines[1] = load("models/synthetic/synth-qwen2-bpe1k-Q8_0.gguf");
    }
    int32_t ids[4096];
    for (int m = 0; m < 2; m++) {
        for (int special = 0; special < 2; special++) {
            int n = hearth_tokenize(engines[m], (const char *)data, size, special, special, ids, 4096);
            if (n < 0 || n > 4096) continue;
            hearth_text_stream *ts = hearth_text_stream_create();
            char piece[256];
            for (int i = 0; i < n; i++) {
                int len = hearth_token_piece(engines[m], ids[i], piece, sizeof piece);
                if (len >= 0 && len <= (int)sizeof piece) hearth_text_stream_push(ts, piece, (size_t)len);
            }
            hearth_text_stream_flush(ts);
            hearth_text_stream_free(ts);
        }
    }
    return 0;
}
