// hearth: the native command-line tool. Subcommands: run, tokenize, info, bench, synth.
#include <stdio.h>
#include <string.h>

#include "commands.h"

static void usage(FILE *out) {
    fputs("usage:\n"
          "  hearth run -m FILE -p TEXT [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]\n"
          "             [--seed S] [-t THREADS] [--ctx N] [--kv f16|f32] [--ignore-eos] [--json]\n"
          "  hearth tokenize -m FILE -p TEXT [--json]\n"
          "  hearth info -m FILE [--ctx N]\n"
          "  hearth bench -m FILE [--pp 64] [--tg 32] [-t THREADS] [--reps 3] [--ctx N] [--json]\n"
          "  hearth synth [--arch llama] [--dim 768] [--layers 12] [--ffn 2048] [--heads 12] [--kv-heads 12]\n"
          "               [--vocab 32000] [--ctx 1024] [--type Q4_0] [--tied] [--seed S] -o FILE\n",
          out);
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    cli_args args;
    args_init(&args, argc - 2, argv + 2);
    int rc;
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0) rc = cmd_run(&args);
    else if (strcmp(cmd, "tokenize") == 0) rc = cmd_tokenize(&args);
    else if (strcmp(cmd, "info") == 0) rc = cmd_info(&args);
    else if (strcmp(cmd, "bench") == 0) rc = cmd_bench(&args);
    else if (strcmp(cmd, "synth") == 0) rc = cmd_synth(&args);
    else {
        fprintf(stderr, "hearth: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = 2;
    }
    args_free(&args);
    return rc;
}
