/* cli.h: what the subcommands of the `seedchip` CLI share.
 *
 * Exit codes: 0 success, 1 the work failed (message on stderr), 2 bad usage
 * (message and usage on stderr). Only main() turns statuses into exit codes. */
#ifndef SEEDCHIP_CLI_H
#define SEEDCHIP_CLI_H

#include <stdio.h>

#include "seedchip/status.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

#define SC_COMMAND(name, summary) int cmd_##name(int argc, char **argv);
#include "commands.def"
#undef SC_COMMAND

/* Prints "seedchip: <message>" to stderr and returns CLI_EXIT_FAIL. */
SC_PRINTF(1, 2) int cli_fail(const char *fmt, ...);

/* Prints "seedchip <cmd>: <message>", then the usage text, to stderr; returns
 * CLI_EXIT_USAGE. */
SC_PRINTF(3, 4) int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...);

/* Reports an option getopt_long rejected (optopt / argv[optind-1]) as a usage
 * error. */
int cli_bad_option(const char *cmd, const char *usage, char **argv);

#endif
