// hearth run: generate text from a prompt; --json prints one object for tests and tools.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json_writer.h"

#define TOP_AFTER_PROMPT 10

static void write_top(hs_json *j, const float *logits, int n_vocab) {
    int top[TOP_AFTER_PROMPT];
    int n = n_vocab < TOP_AFTER_PROMPT ? n_vocab : TOP_AFTER_PROMPT;
    for (int k = 0; k < n; k++) {
        int best = -1;
        for (int i = 0; i < n_vocab; i++) {
            bool taken = false;
            for (int q = 0; q < k; q++) taken |= top[q] == i;
            if (!taken && (best < 0 || logits[i] > logits[best])) best = i;
        }
        top[k] = best;
    }
    hs_json_key(j, "top_after_prompt");
    hs_json_begin_array(j);
    for (int k = 0; k < n; k++) {
        hs_json_begin_object(j);
        hs_json_key(j, "id"); hs_json_int(j, top[k]);
        hs_json_key(j, "logit"); hs_json_double(j, logits[top[k]]);
        hs_json_end_object(j);
    }
    hs_json_end_array(j);
}

static void write_ids(hs_json *j, const char *key, const int32_t *ids, int n) {
    hs_json_key(j, key);
    hs_json_begin_array(j);
    for (int i = 0; i < n; i++) hs_json_int(j, ids[i]);
    hs_json_end_array(j);
}

int cmd_run(cli_args *a) {
    const char *prompt = args_require(a, "-p", "--prompt");
    int n_predict = (int)args_int(a, "-n", "--n-predict", 64);
    hearth_sampling sp;
    hearth_sampling_default(&sp);
    sp.temperature = (float)args_num(a, NULL, "--temp", sp.temperature);
    sp.top_k = (int)args_int(a, NULL, "--top-k", sp.top_k);
    sp.top_p = (float)args_num(a, NULL, "--top-p", sp.top_p);
    sp.min_p = (float)args_num(a, NULL, "--min-p", sp.min_p);
    sp.repeat_penalty = (float)args_num(a, NULL, "--repeat-penalty", sp.repeat_penalty);
    sp.seed = (uint64_t)args_int(a, NULL, "--seed", (long)sp.seed);
    bool ignore_eos = args_flag(a, "--ignore-eos");
    bool json = args_flag(a, "--json");
    hearth_engine *e = cli_load_model(a, NULL);
    args_check_all_used(a);
    if (!e) return 1;

    int n_vocab = hearth_n_vocab(e);
    size_t plen = strlen(prompt);
    int cap = (int)plen + 8;
    int32_t *prompt_ids = malloc((size_t)cap * sizeof(int32_t));
    int n_prompt = hearth_tokenize(e, prompt, plen, true, true, prompt_ids, cap);
    int32_t *ids = malloc((size_t)(n_predict > 0 ? n_predict : 1) * sizeof(int32_t));
    hearth_sampler *sampler = hearth_sampler_create(&sp);
    hearth_text_stream *stream = hearth_text_stream_create();
    hs_json text;
    hs_json_init(&text); // used as a plain growable buffer for the generated text
    int rc = 0, n_gen = 0;
    hs_json j;
    hs_json_init(&j);
    hs_json_begin_object(&j);
    double t0 = cli_now_ms(), t_prompt = 0;
    if (n_prompt <= 0 || n_prompt > cap) {
        fprintf(stderr, "hearth: could not tokenize the prompt: %s\n", hearth_last_error(e));
        rc = 1;
    } else if (hearth_eval(e, prompt_ids, n_prompt) != 0) {
        fprintf(stderr, "hearth: %s\n", hearth_last_error(e));
        rc = 1;
    } else {
        t_prompt = cli_now_ms() - t0;
        write_ids(&j, "prompt_ids", prompt_ids, n_prompt);
        write_top(&j, hearth_logits(e), n_vocab);
        for (int i = 0; i < n_prompt; i++) hearth_sampler_accept(sampler, prompt_ids[i]);
        char piece[256];
        for (; n_gen < n_predict; n_gen++) {
            int32_t tok = hearth_sampler_sample(sampler, hearth_logits(e), n_vocab);
            if (!ignore_eos && hearth_token_is_eog(e, tok)) break;
            ids[n_gen] = tok;
            int len = hearth_token_piece(e, tok, piece, sizeof piece);
            const char *out = hearth_text_stream_push(stream, piece, (size_t)(len < (int)sizeof piece ? len : 0));
            hs_json_raw(&text, out);
            if (!json) { fputs(out, stdout); fflush(stdout); }
            if (n_gen + 1 < n_predict && hearth_eval(e, &tok, 1) != 0) {
                fprintf(stderr, "\nhearth: %s\n", hearth_last_error(e));
                rc = 1;
                n_gen++;
                break;
            }
        }
        const char *rest = hearth_text_stream_flush(stream);
        hs_json_raw(&text, rest);
        if (!json) printf("%s\n", rest);
    }
    double t_total = cli_now_ms() - t0;
    if (rc == 0) {
        write_ids(&j, "ids", ids, n_gen);
        hs_json_key(&j, "text");
        hs_json_string(&j, text.buf ? text.buf : "", text.len);
        hs_json_key(&j, "prompt_ms"); hs_json_double(&j, t_prompt);
        hs_json_key(&j, "generate_ms"); hs_json_double(&j, t_total - t_prompt);
        hs_json_end_object(&j);
        if (json) printf("%s\n", j.buf);
        else fprintf(stderr, "prompt: %d tokens in %.1f ms; generated %d tokens in %.1f ms (%.1f tok/s)\n", n_prompt,
                     t_prompt, n_gen, t_total - t_prompt, n_gen > 1 ? (n_gen - 1) * 1e3 / (t_total - t_prompt) : 0.0);
    }
    hs_json_free(&j);
    hs_json_free(&text);
    hearth_text_stream_free(stream);
    hearth_sampler_free(sampler);
    free(ids);
    free(prompt_ids);
    hearth_free(e);
    return rc;
}
