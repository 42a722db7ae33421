/* main.c: the `seedchip` command line: global options and subcommand dispatch.
 * Subcommands are listed in commands.def. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "seedchip/version.h"

typedef struct command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
#define SC_COMMAND(name, summary) {#name, summary, cmd_##name},
#include "commands.def"
#undef SC_COMMAND
};

static void print_usage(FILE *out) {
  fputs("usage: seedchip [--help] [--version] <command> [<args>]\n"
        "\n"
        "SeedChip: the pre-silicon system of an AI inference accelerator.\n"
        "\n"
        "commands:\n",
        out);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fputs("\n'seedchip <command> --help' describes a command.\n", out);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *arg = argv[1];
  if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0) {
    print_usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(arg, "--version") == 0) {
    printf("seedchip %s\n", SC_VERSION_STRING);
    return CLI_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(arg, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  }
  if (arg[0] == '-')
    fprintf(stderr, "seedchip: unknown option '%s'\n\n", arg);
  else
    fprintf(stderr, "seedchip: unknown command '%s'\n\n", arg);
  print_usage(stderr);
  return CLI_EXIT_USAGE;
}
