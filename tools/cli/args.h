// Command-line flags of the form `--name value` / `-n value` / `--flag`, looked up by name.
#ifndef HEARTH_CLI_ARGS_H
#define HEARTH_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int argc;
    char **argv;
    bool *used;  // which argv entries some lookup consumed (to report unknown flags)
} cli_args;

void args_init(cli_args *a, int argc, char **argv);
void args_free(cli_args *a);
// Value of the first of the given names ("-m", "--model"); NULL when absent.
const char *args_str(cli_args *a, const char *short_name, const char *long_name);
const char *args_require(cli_args *a, const char *short_name, const char *long_name); // exits with usage error
long args_int(cli_args *a, const char *short_name, const char *long_name, long fallback);
double args_num(cli_args *a, const char *short_name, const char *long_name, double fallback);
bool args_flag(cli_args *a, const char *long_name);
// Exits with an error naming the first argument no lookup consumed.
void args_check_all_used(cli_args *a);

#endif
