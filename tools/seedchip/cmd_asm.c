/* cmd_asm.c: `seedchip asm` (.sasm -> .scb) and `seedchip disasm` (.scb ->
 * .sasm). Both are thin: the work is sc_asm_assemble / sc_asm_disassemble.
 * `asm` writes nothing when the source has errors, so a stale .scb never
 * looks like a fresh one. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "seedchip/asm.h"
#include "seedchip/util.h"

enum { MAX_SOURCE_BYTES = 256u << 20 };

static const char usage_asm[] =
    "usage: seedchip asm <file.sasm> [-o <out.scb>] [--arch <preset|file>]\n"
    "\n"
    "Assembles a program (docs/ASM.md). The output defaults to the source name with\n"
    "the extension .scb. --arch replaces the file's .arch and .fingerprint.\n"
    "Every error is printed as file:line:col: error: message; on any error no\n"
    "output is written.\n"
    "Exit status: 0 success, 1 assembly errors, 2 bad usage.\n";

static const char usage_disasm[] =
    "usage: seedchip disasm <file.scb> [-o <out.sasm>]\n"
    "\n"
    "Prints a program as assembly that assembles back to the identical file\n"
    "(to stdout unless -o is given).\n"
    "Exit status: 0 success, 1 the program cannot be read, 2 bad usage.\n";

/* path with its extension (after the last '/') replaced by .scb. */
static char *default_output(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(path, '.');
  size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - path) : strlen(path);
  char *out = malloc(stem + 5);
  if (!out) return NULL;
  memcpy(out, path, stem);
  memcpy(out + stem, ".scb", 5);
  return out;
}

int cmd_asm(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"arch", required_argument, NULL, 'a'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *out_path = NULL, *arch = NULL;
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      out_path = optarg;
      break;
    case 'a':
      arch = optarg;
      break;
    case 'h':
      fputs(usage_asm, stdout);
      return CLI_EXIT_OK;
    default:
      return cli_bad_option("asm", usage_asm, argv);
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("asm", usage_asm,
                           optind >= argc ? "no source file given" : "one source file only");
  const char *path = argv[optind];

  int rc = CLI_EXIT_FAIL;
  char err[512];
  uint8_t *text = NULL;
  size_t len = 0;
  char *def = NULL;
  sc_program *prog = NULL;
  sc_strbuf diags = {0};
  if (sc_read_file(path, MAX_SOURCE_BYTES, &text, &len, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("%s", err);
    goto done;
  }
  sc_status st = sc_asm_assemble((const char *)text, len, path, arch, &prog, &diags);
  fputs(sc_strbuf_str(&diags), stderr);
  if (st != SC_STATUS_OK) {
    if (st != SC_STATUS_PARSE) cli_fail("%s: %s", path, sc_status_str(st));
    goto done;
  }
  if (!out_path && !(out_path = def = default_output(path))) {
    cli_fail("out of memory");
    goto done;
  }
  if (sc_prog_write(prog, out_path) != SC_STATUS_OK) {
    cli_fail("%s: %s", out_path, sc_prog_errmsg(prog));
    goto done;
  }
  rc = CLI_EXIT_OK;
done:
  sc_strbuf_free(&diags);
  sc_prog_destroy(prog);
  free(def);
  free(text);
  return rc;
}

int cmd_disasm(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *out_path = NULL;
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    switch (c) {
    case 'o':
      out_path = optarg;
      break;
    case 'h':
      fputs(usage_disasm, stdout);
      return CLI_EXIT_OK;
    default:
      return cli_bad_option("disasm", usage_disasm, argv);
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("disasm", usage_disasm,
                           optind >= argc ? "no program given" : "one program only");
  const char *path = argv[optind];

  int rc = CLI_EXIT_FAIL;
  char err[512];
  sc_program *prog = NULL;
  sc_strbuf text = {0};
  if (sc_prog_load(path, 0, &prog, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("%s", err);
    goto done;
  }
  if (sc_asm_disassemble(prog, &text) != SC_STATUS_OK) {
    cli_fail("%s: out of memory", path);
    goto done;
  }
  if (out_path) {
    if (sc_write_file(out_path, text.data, text.len, err, sizeof err) != SC_STATUS_OK) {
      cli_fail("%s", err);
      goto done;
    }
  } else if (fwrite(sc_strbuf_str(&text), 1, text.len, stdout) != text.len || fflush(stdout)) {
    cli_fail("cannot write to stdout");
    goto done;
  }
  rc = CLI_EXIT_OK;
done:
  sc_strbuf_free(&text);
  sc_prog_destroy(prog);
  return rc;
}
