// hearth synth: writes a random-weight GGUF model of any shape and supported type, for
// benchmarks at real sizes (llama.cpp loads it too). The vocabulary is a made-up SentencePiece
// one (unk, bos, eos, the 256 byte tokens, then distinct pieces), so the tokenizer works on it.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "gguf_writer.h"
#include "quant.h"
#include "types.h"

typedef struct {
    uint64_t state;
} rng;

static float next_uniform(rng *r) { // in [-1, 1)
    r->state = r->state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((r->state >> 40) / (double)(1ull << 24)) * 2.0f - 1.0f;
}

typedef struct {
    void **blocks;
    int n;
} owned;

static void *keep(owned *o, void *p) {
    o->blocks = realloc(o->blocks, (size_t)(o->n + 1) * sizeof(void *));
    o->blocks[o->n++] = p;
    return p;
}

// A [rows x cols] matrix of uniform noise with std 1/sqrt(cols), written in `type`.
static bool add_matrix(gguf_writer *w, owned *o, rng *r, const char *name, int64_t cols, int64_t rows, uint32_t type) {
    size_t row_bytes = hs_row_size(type, (uint64_t)cols);
    const hs_quant_traits *q = hs_quant_traits_get(type);
    if (!row_bytes || (type != HS_TYPE_F32 && (!q || !q->quantize_row))) {
        char tb[32];
        fprintf(stderr, "hearth synth: cannot write %s as %s (rows of %lld)\n", name, hs_type_name(type, tb), (long long)cols);
        return false;
    }
    uint8_t *data = keep(o, malloc(row_bytes * (size_t)rows));
    float *row = malloc((size_t)cols * sizeof(float));
    const float scale = sqrtf(3.0f / (float)cols); // uniform(-a, a) has std a / sqrt(3)
    for (int64_t i = 0; i < rows; i++) {
        for (int64_t j = 0; j < cols; j++) row[j] = next_uniform(r) * scale;
        if (type == HS_TYPE_F32) memcpy(data + (size_t)i * row_bytes, row, row_bytes);
        else q->quantize_row(row, data + (size_t)i * row_bytes, cols);
    }
    free(row);
    uint64_t ne[2] = {(uint64_t)cols, (uint64_t)rows};
    gguf_writer_tensor(w, name, 2, ne, type, data, row_bytes * (size_t)rows);
    return true;
}

static void add_vector(gguf_writer *w, owned *o, const char *name, int64_t n, float value) {
    float *data = keep(o, malloc((size_t)n * sizeof(float)));
    for (int64_t i = 0; i < n; i++) data[i] = value;
    uint64_t ne[1] = {(uint64_t)n};
    gguf_writer_tensor(w, name, 1, ne, HS_TYPE_F32, data, (uint64_t)n * sizeof(float));
}

static void add_vocab(gguf_writer *w, int n_vocab) {
    char **tokens = malloc((size_t)n_vocab * sizeof(char *));
    float *scores = malloc((size_t)n_vocab * sizeof(float));
    int32_t *types = malloc((size_t)n_vocab * sizeof(int32_t));
    for (int i = 0; i < n_vocab; i++) {
        char buf[32];
        if (i == 0) snprintf(buf, sizeof buf, "<unk>");
        else if (i == 1) snprintf(buf, sizeof buf, "<s>");
        else if (i == 2) snprintf(buf, sizeof buf, "</s>");
        else if (i < 3 + 256) snprintf(buf, sizeof buf, "<0x%02X>", i - 3);
        else {
            // "\u2581" + a distinct lowercase word per id (base 26), or the bare word for odd ids.
            int k = i - 259, len = 0;
            char word[16];
            do { word[len++] = (char)('a' + k % 26); k /= 26; } while (k > 0);
            word[len] = 0;
            snprintf(buf, sizeof buf, "%s%s", (i % 2) ? "" : "\xE2\x96\x81", word);
        }
        tokens[i] = malloc(strlen(buf) + 1);
        strcpy(tokens[i], buf);
        scores[i] = i < 259 ? 0.0f : -(float)i;
        types[i] = i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1;
    }
    gguf_writer_str(w, "tokenizer.ggml.model", "llama");
    gguf_writer_arr(w, "tokenizer.ggml.tokens", GGUF_TYPE_STRING, (uint64_t)n_vocab, tokens);
    gguf_writer_arr(w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, (uint64_t)n_vocab, scores);
    gguf_writer_arr(w, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, (uint64_t)n_vocab, types);
    gguf_writer_u32(w, "tokenizer.ggml.unknown_token_id", 0);
    gguf_writer_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gguf_writer_u32(w, "tokenizer.ggml.eos_token_id", 2);
    for (int i = 0; i < n_vocab; i++) free(tokens[i]);
    free(tokens);
    free(scores);
    free(types);
}

static int parse_type(const char *name) {
    for (uint32_t t = 0; t < HS_TYPE_COUNT; t++) {
        const hs_type_info *info = hs_type_get(t);
        if (info && strcmp(info->name, name) == 0) return (int)t;
    }
    return -1;
}

int cmd_synth(cli_args *a) {
    const char *arch = args_str(a, NULL, "--arch");
    if (!arch) arch = "llama";
    int dim = (int)args_int(a, NULL, "--dim", 768), layers = (int)args_int(a, NULL, "--layers", 12);
    int ffn = (int)args_int(a, NULL, "--ffn", 2048), heads = (int)args_int(a, NULL, "--heads", 12);
    int kv_heads = (int)args_int(a, NULL, "--kv-heads", heads), vocab = (int)args_int(a, NULL, "--vocab", 32000);
    int ctx = (int)args_int(a, NULL, "--ctx", 2048);
    const char *type_name = args_str(a, NULL, "--type");
    bool tied = args_flag(a, "--tied");
    uint64_t seed = (uint64_t)args_int(a, NULL, "--seed", 1);
    const char *out = args_require(a, "-o", "--output");
    args_check_all_used(a);
    int type = parse_type(type_name ? type_name : "Q4_0");
    const hs_quant_traits *q = type >= 0 ? hs_quant_traits_get((uint32_t)type) : NULL;
    if (!q || !q->vec_dot) {
        fprintf(stderr, "hearth synth: --type %s is not a type Hearth computes with\n", type_name);
        return 2;
    }
    bool qwen2 = strcmp(arch, "qwen2") == 0, qwen3 = strcmp(arch, "qwen3") == 0;
    if (!qwen2 && !qwen3 && strcmp(arch, "llama") != 0) {
        fprintf(stderr, "hearth synth: --arch is llama, qwen2 or qwen3\n");
        return 2;
    }
    if (dim <= 0 || heads <= 0 || kv_heads <= 0 || dim % heads || heads % kv_heads || vocab < 300 || layers <= 0 || ffn <= 0) {
        fprintf(stderr, "hearth synth: inconsistent shape (dim %% heads, heads %% kv-heads, vocab >= 300)\n");
        return 2;
    }
    int head_dim = dim / heads, n_kv = kv_heads * head_dim;
    gguf_writer *w = gguf_writer_create();
    owned o = {0};
    rng r = {seed};
    char key[128], name[96];
    gguf_writer_str(w, "general.architecture", arch);
    gguf_writer_str(w, "general.name", "hearth synth (random weights)");
    gguf_writer_u32(w, "general.quantization_version", 2);
#define ARCH_KEY(suffix) (snprintf(key, sizeof key, "%s.%s", arch, suffix), key)
    gguf_writer_u32(w, ARCH_KEY("context_length"), (uint32_t)ctx);
    gguf_writer_u32(w, ARCH_KEY("embedding_length"), (uint32_t)dim);
    gguf_writer_u32(w, ARCH_KEY("block_count"), (uint32_t)layers);
    gguf_writer_u32(w, ARCH_KEY("feed_forward_length"), (uint32_t)ffn);
    gguf_writer_u32(w, ARCH_KEY("attention.head_count"), (uint32_t)heads);
    gguf_writer_u32(w, ARCH_KEY("attention.head_count_kv"), (uint32_t)kv_heads);
    gguf_writer_u32(w, ARCH_KEY("rope.dimension_count"), (uint32_t)head_dim);
    gguf_writer_f32(w, ARCH_KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
    gguf_writer_f32(w, ARCH_KEY("rope.freq_base"), qwen2 || qwen3 ? 1e6f : 1e4f);
#undef ARCH_KEY
    add_vocab(w, vocab);
    bool ok = add_matrix(w, &o, &r, "token_embd.weight", dim, vocab, (uint32_t)type);
    add_vector(w, &o, "output_norm.weight", dim, 1.0f);
    if (!tied) ok = ok && add_matrix(w, &o, &r, "output.weight", dim, vocab, (uint32_t)type);
    for (int il = 0; il < layers && ok; il++) {
#define NAME(suffix) (snprintf(name, sizeof name, "blk.%d.%s", il, suffix), name)
        add_vector(w, &o, NAME("attn_norm.weight"), dim, 1.0f);
        ok = add_matrix(w, &o, &r, NAME("attn_q.weight"), dim, dim, (uint32_t)type) &&
             add_matrix(w, &o, &r, NAME("attn_k.weight"), dim, n_kv, (uint32_t)type) &&
             add_matrix(w, &o, &r, NAME("attn_v.weight"), dim, n_kv, (uint32_t)type) &&
             add_matrix(w, &o, &r, NAME("attn_output.weight"), dim, dim, (uint32_t)type);
        if (qwen2) {
            add_vector(w, &o, NAME("attn_q.bias"), dim, 0.0f);
            add_vector(w, &o, NAME("attn_k.bias"), n_kv, 0.0f);
            add_vector(w, &o, NAME("attn_v.bias"), n_kv, 0.0f);
        }
        if (qwen3) {
            add_vector(w, &o, NAME("attn_q_norm.weight"), head_dim, 1.0f);
            add_vector(w, &o, NAME("attn_k_norm.weight"), head_dim, 1.0f);
        }
        add_vector(w, &o, NAME("ffn_norm.weight"), dim, 1.0f);
        ok = ok && add_matrix(w, &o, &r, NAME("ffn_gate.weight"), dim, ffn, (uint32_t)type) &&
             add_matrix(w, &o, &r, NAME("ffn_up.weight"), dim, ffn, (uint32_t)type) &&
             add_matrix(w, &o, &r, NAME("ffn_down.weight"), ffn, dim, (uint32_t)type);
#undef NAME
    }
    FILE *f = ok ? fopen(out, "wb") : NULL;
    if (ok && !f) fprintf(stderr, "hearth synth: cannot write %s\n", out);
    ok = f && gguf_writer_write(w, f);
    if (f && fclose(f) != 0) ok = false;
    for (int i = 0; i < o.n; i++) free(o.blocks[i]);
    free(o.blocks);
    gguf_writer_free(w);
    if (ok) fprintf(stderr, "wrote %s\n", out);
    return ok ? 0 : 1;
}
