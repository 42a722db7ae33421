/* cli.c: error and usage reporting shared by the subcommands. */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>

int cli_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("seedchip: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "seedchip %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fputs(usage, stderr);
  return CLI_EXIT_USAGE;
}

int cli_bad_option(const char *cmd, const char *usage, char **argv) {
  if (optopt) return cli_usage_error(cmd, usage, "unknown or incomplete option '-%c'", optopt);
  return cli_usage_error(cmd, usage, "unknown or incomplete option '%s'", argv[optind - 1]);
}
