#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"

double cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

hearth_engine *cli_load_model(cli_args *a, double *load_ms) {
    const char *path = args_require(a, "-m", "--model");
    hearth_options opts;
    hearth_options_default(&opts);
    opts.n_threads = (int)args_int(a, "-t", "--threads", 1);
    opts.n_ctx = (int)args_int(a, NULL, "--ctx", 0);
    opts.n_batch = (int)args_int(a, NULL, "--batch", opts.n_batch);
    const char *kv = args_str(a, NULL, "--kv");
    if (kv && strcmp(kv, "f32") == 0) opts.kv_type = HEARTH_KV_F32;
    else if (kv && strcmp(kv, "f16") != 0) {
        fprintf(stderr, "hearth: --kv is f16 or f32, not '%s'\n", kv);
        return NULL;
    }
    hearth_engine *e = hearth_create(&opts);
    if (!e) {
        fprintf(stderr, "hearth: cannot create the engine\n");
        return NULL;
    }
    double t0 = cli_now_ms();
    if (hearth_load_file(e, path, NULL, NULL) != 0) {
        fprintf(stderr, "hearth: %s: %s\n", path, hearth_last_error(e));
        hearth_free(e);
        return NULL;
    }
    if (load_ms) *load_ms = cli_now_ms() - t0;
    return e;
}
