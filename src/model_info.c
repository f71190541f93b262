#include "model_info.h"

#include <string.h>

#include "forward.h"
#include "types.h"

int hs_resolve_n_ctx(const hs_model *m, int requested) {
    if (requested > 0) return requested;
    return m->n_ctx_train < 4096 ? m->n_ctx_train : 4096;
}

// The most common weight type among the matmul weights names the model's quantization.
static void write_types(hs_json *j, const hs_model *m) {
    uint64_t bytes_by_type[HS_TYPE_COUNT] = {0};
    const hs_tensor *top[3] = {&m->tok_embd, &m->output_norm, &m->output};
    for (int i = 0; i < 3; i++) {
        if (i == 2 && m->tied_output) break;
        bytes_by_type[top[i]->type] += top[i]->row_bytes * (uint64_t)top[i]->ne[1];
    }
    for (int il = 0; il < m->n_layer; il++) {
        const hs_tensor *lt = &m->layers[il].attn_norm;
        for (size_t k = 0; k < sizeof(hs_layer) / sizeof(hs_tensor); k++)
            if (lt[k].data) bytes_by_type[lt[k].type] += lt[k].row_bytes * (uint64_t)lt[k].ne[1];
    }
    int main_type = HS_TYPE_F32;
    hs_json_key(j, "tensor_bytes_by_type");
    hs_json_begin_object(j);
    for (int t = 0; t < HS_TYPE_COUNT; t++) {
        if (!bytes_by_type[t]) continue;
        hs_json_key(j, hs_type_get((uint32_t)t)->name);
        hs_json_uint(j, bytes_by_type[t]);
        if (t != HS_TYPE_F32 && (main_type == HS_TYPE_F32 || bytes_by_type[t] > bytes_by_type[main_type])) main_type = t;
    }
    hs_json_end_object(j);
    hs_json_key(j, "type");
    hs_json_cstr(j, hs_type_get((uint32_t)main_type)->name);
}

void hs_model_info_write(hs_json *j, const hs_model *m, const gguf_ctx *meta, const hs_tokenizer *tok,
                         const hs_run_shape *shape) {
    hs_json_key(j, "architecture"); hs_json_cstr(j, m->arch_name);
    hs_json_key(j, "name"); hs_json_cstr(j, gguf_get_str(meta, "general.name"));
    hs_json_key(j, "parameters"); hs_json_uint(j, m->n_params);
    write_types(j, m);
    hs_json_key(j, "n_vocab"); hs_json_int(j, m->n_vocab);
    hs_json_key(j, "n_ctx_train"); hs_json_int(j, m->n_ctx_train);
    hs_json_key(j, "n_ctx"); hs_json_int(j, shape->n_ctx);
    hs_json_key(j, "n_embd"); hs_json_int(j, m->n_embd);
    hs_json_key(j, "n_layer"); hs_json_int(j, m->n_layer);
    hs_json_key(j, "n_head"); hs_json_int(j, m->n_head);
    hs_json_key(j, "n_head_kv"); hs_json_int(j, m->n_head_kv);
    hs_json_key(j, "head_dim"); hs_json_int(j, m->head_dim);
    hs_json_key(j, "n_ff"); hs_json_int(j, m->n_ff);
    hs_json_key(j, "rope"); hs_json_cstr(j, m->rope_type == HS_ROPE_NORM ? "norm" : "neox");
    hs_json_key(j, "rope_base"); hs_json_double(j, m->rope_base);
    hs_json_key(j, "tied_output"); hs_json_bool(j, m->tied_output);
    uint64_t kv = hs_context_kv_bytes(m, shape->n_ctx, shape->kv_f16);
    uint64_t scratch = hs_context_scratch_bytes(m, shape->n_ctx, shape->n_batch, shape->n_threads);
    hs_json_key(j, "memory");
    hs_json_begin_object(j);
    hs_json_key(j, "weights"); hs_json_uint(j, m->weight_bytes);
    hs_json_key(j, "kv_cache"); hs_json_uint(j, kv);
    hs_json_key(j, "kv_type"); hs_json_cstr(j, shape->kv_f16 ? "F16" : "F32");
    hs_json_key(j, "scratch"); hs_json_uint(j, scratch);
    hs_json_key(j, "total"); hs_json_uint(j, m->weight_bytes + kv + scratch);
    hs_json_end_object(j);
    if (tok) {
        hs_json_key(j, "tokenizer"); hs_json_cstr(j, hs_tokenizer_kind(tok));
        hs_json_key(j, "tokenizer_warning"); hs_json_cstr(j, hs_tokenizer_warning(tok));
        hs_json_key(j, "bos"); hs_json_int(j, hs_tokenizer_bos(tok));
        hs_json_key(j, "eos"); hs_json_int(j, hs_tokenizer_eos(tok));
        hs_json_key(j, "eot"); hs_json_int(j, hs_tokenizer_eot(tok));
        hs_json_key(j, "add_bos"); hs_json_bool(j, hs_tokenizer_add_bos(tok));
    }
    hs_json_key(j, "chat_template"); hs_json_cstr(j, gguf_get_str(meta, "tokenizer.chat_template"));
}
