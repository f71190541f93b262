// The subcommands of the hearth CLI and what they share.
#ifndef HEARTH_CLI_COMMANDS_H
#define HEARTH_CLI_COMMANDS_H

#include "args.h"
#include "hearth.h"

int cmd_run(cli_args *a);
int cmd_tokenize(cli_args *a);
int cmd_info(cli_args *a);
int cmd_bench(cli_args *a);
int cmd_synth(cli_args *a);

// Creates an engine from -t/--ctx/--kv and loads -m; prints the error and returns NULL on failure.
hearth_engine *cli_load_model(cli_args *a, double *load_ms);
double cli_now_ms(void);

#endif
