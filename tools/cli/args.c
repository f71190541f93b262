#include "args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void args_init(cli_args *a, int argc, char **argv) {
    a->argc = argc;
    a->argv = argv;
    a->used = calloc((size_t)argc + 1, sizeof(bool));
}

void args_free(cli_args *a) { free(a->used); }

static int find(cli_args *a, const char *short_name, const char *long_name) {
    for (int i = 0; i < a->argc; i++) {
        if ((short_name && strcmp(a->argv[i], short_name) == 0) || (long_name && strcmp(a->argv[i], long_name) == 0))
            return i;
    }
    return -1;
}

const char *args_str(cli_args *a, const char *short_name, const char *long_name) {
    int i = find(a, short_name, long_name);
    if (i < 0) return NULL;
    if (i + 1 >= a->argc) {
        fprintf(stderr, "hearth: %s needs a value\n", a->argv[i]);
        exit(2);
    }
    a->used[i] = a->used[i + 1] = true;
    return a->argv[i + 1];
}

const char *args_require(cli_args *a, const char *short_name, const char *long_name) {
    const char *v = args_str(a, short_name, long_name);
    if (!v) {
        fprintf(stderr, "hearth: %s is required\n", long_name ? long_name : short_name);
        exit(2);
    }
    return v;
}

long args_int(cli_args *a, const char *short_name, const char *long_name, long fallback) {
    const char *v = args_str(a, short_name, long_name);
    if (!v) return fallback;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v) {
        fprintf(stderr, "hearth: %s expects an integer, got '%s'\n", long_name ? long_name : short_name, v);
        exit(2);
    }
    return n;
}

double args_num(cli_args *a, const char *short_name, const char *long_name, double fallback) {
    const char *v = args_str(a, short_name, long_name);
    if (!v) return fallback;
    char *end;
    double n = strtod(v, &end);
    if (*end || end == v) {
        fprintf(stderr, "hearth: %s expects a number, got '%s'\n", long_name ? long_name : short_name, v);
        exit(2);
    }
    return n;
}

bool args_flag(cli_args *a, const char *long_name) {
    int i = find(a, NULL, long_name);
    if (i >= 0) a->used[i] = true;
    return i >= 0;
}

void args_check_all_used(cli_args *a) {
    for (int i = 0; i < a->argc; i++) {
        if (!a->used[i]) {
            fprintf(stderr, "hearth: unknown argument '%s'\n", a->argv[i]);
            exit(2);
        }
    }
}
