/* cmd_arch.c: placeholder until the arch layer lands. */
#include "cli.h"

int cmd_arch(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return cli_fail("arch: not yet available");
}
