// hearth bench: prefill (pp) and decode (tg) tokens/s as medians over repetitions, load time and
// peak memory. Prints numbers; never judges them.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "commands.h"
#include "json_writer.h"

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int cmd_bench(cli_args *a) {
    int pp = (int)args_int(a, NULL, "--pp", 64);
    int tg = (int)args_int(a, NULL, "--tg", 32);
    int reps = (int)args_int(a, NULL, "--reps", 3);
    bool json = args_flag(a, "--json");
    double load_ms = 0;
    hearth_engine *e = cli_load_model(a, &load_ms);
    args_check_all_used(a);
    if (!e) return 1;
    if (pp < 1 || tg < 1 || reps < 1 || pp + tg > hearth_n_ctx(e)) {
        fprintf(stderr, "hearth: --pp %d + --tg %d must fit the context of %d (and reps >= 1)\n", pp, tg, hearth_n_ctx(e));
        hearth_free(e);
        return 2;
    }
    int n_vocab = hearth_n_vocab(e);
    int32_t *tokens = malloc((size_t)pp * sizeof(int32_t));
    uint64_t seed = 42;
    for (int i = 0; i < pp; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        tokens[i] = (int32_t)((seed >> 33) % (uint64_t)n_vocab);
    }
    double *pp_rate = calloc((size_t)reps, sizeof(double)), *tg_rate = calloc((size_t)reps, sizeof(double));
    int rc = 0;
    // One untimed warm-up pass: first touch of the KV cache and scratch, and the CPU's clocks.
    for (int rep = -1; rep < reps && rc == 0; rep++) {
        hearth_kv_truncate(e, 0);
        double t0 = cli_now_ms();
        if (hearth_eval(e, tokens, pp) != 0) { rc = 1; break; }
        double t1 = cli_now_ms();
        int32_t tok = tokens[0];
        for (int i = 0; i < tg && rc == 0; i++) rc = hearth_eval(e, &tok, 1) != 0;
        double t2 = cli_now_ms();
        if (rep >= 0) {
            pp_rate[rep] = pp * 1e3 / (t1 - t0);
            tg_rate[rep] = tg * 1e3 / (t2 - t1);
        }
    }
    if (rc != 0) {
        fprintf(stderr, "hearth: %s\n", hearth_last_error(e));
    } else {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        size_t need = hearth_model_info_json(e, NULL, 0);
        char *info = malloc(need + 1);
        hearth_model_info_json(e, info, need + 1);
        const char *type = strstr(info, "\"type\":\"");
        char type_name[16] = "?";
        if (type) sscanf(type + 8, "%15[^\"]", type_name);
        double pp_med = median(pp_rate, reps), tg_med = median(tg_rate, reps);
        int threads = 0;
        const char *th = strstr(info, "\"n_threads\":");
        if (th) threads = atoi(th + 12);
        if (json) {
            hs_json j;
            hs_json_init(&j);
            hs_json_begin_object(&j);
            hs_json_key(&j, "type"); hs_json_cstr(&j, type_name);
            hs_json_key(&j, "threads"); hs_json_int(&j, threads);
            hs_json_key(&j, "pp"); hs_json_int(&j, pp);
            hs_json_key(&j, "tg"); hs_json_int(&j, tg);
            hs_json_key(&j, "reps"); hs_json_int(&j, reps);
            hs_json_key(&j, "load_ms"); hs_json_double(&j, load_ms);
            hs_json_key(&j, "pp_tok_s"); hs_json_double(&j, pp_med);
            hs_json_key(&j, "tg_tok_s"); hs_json_double(&j, tg_med);
            hs_json_key(&j, "peak_rss_mb"); hs_json_double(&j, ru.ru_maxrss / 1024.0);
            hs_json_key(&j, "kernels"); hs_json_cstr(&j, hearth_kernels());
            hs_json_end_object(&j);
            printf("%s\n", j.buf);
            hs_json_free(&j);
        } else {
            printf("type %s, %d threads: load %.0f ms, pp%d %.1f tok/s, tg%d %.1f tok/s (medians of %d), peak RSS %.1f MiB, "
                   "%s kernels\n",
                   type_name, threads, load_ms, pp, pp_med, tg, tg_med, reps, ru.ru_maxrss / 1024.0, hearth_kernels());
        }
        free(info);
    }
    free(pp_rate);
    free(tg_rate);
    free(tokens);
    hearth_free(e);
    return rc;
}
