/* cmd_compile.c: `seedchip compile`: a model file to a program (.scb) for a
 * chip: one decode step (one token, its position and the token as launch
 * arguments x2 and x1, the KV cache as a state buffer), with its assembly
 * listing and its graph on request. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model_cli.h"
#include "seedchip/util.h"

static const char usage[] =
    "usage: seedchip compile (--model FILE | --config NAME) -o OUT.scb [--dtype D]\n"
    "                        [--arch <preset|file>] [--max-seq N] [--listing OUT.sasm]\n"
    "                        [--graph OUT.txt] [--cores N|auto]\n"
    "\n"
    "Compiles one decode step of a Llama-family model (llama2.c, GGUF or safetensors)\n"
    "for the chip: the program takes the token in x1 and its position in x2 (launch\n"
    "arguments), keeps the KV cache in its state buffers and writes \"logits\".\n"
    "--dtype: f32 (default), bf16, fp8, fp8-channel, int8, int4. --listing writes the\n"
    "generated assembly, --graph the graph in its text form (docs/COMPILER.md).\n"
    "--config compiles a built-in model configuration (see `seedchip profile`) without\n"
    "weights: the program runs only in the timing-only mode. --cores: the cores of\n"
    "the chip the program uses, from core 0 (default auto: as many as its largest\n"
    "matmul has output tiles, at most the chip's; docs/COMPILER.md, \"Cores\").\n";

static int parse_seq(const char *s, uint32_t *out) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (end == s || *end || s[0] == '-' || v == 0 || v > 1u << 20) return 0;
  *out = (uint32_t)v;
  return 1;
}

int cmd_compile(int argc, char **argv) {
  static const struct option opts[] = {
      {"model", required_argument, NULL, 'm'},   {"dtype", required_argument, NULL, 'd'},
      {"arch", required_argument, NULL, 'a'},    {"max-seq", required_argument, NULL, 'S'},
      {"listing", required_argument, NULL, 'l'}, {"graph", required_argument, NULL, 'g'},
      {"help", no_argument, NULL, 'h'},          {"config", required_argument, NULL, 'c'},
      {"cores", required_argument, NULL, 'C'},   {NULL, 0, NULL, 0}};
  const char *config = NULL, *model = NULL, *out = NULL, *arch = "sc1", *listing = NULL,
             *graph = NULL;
  sc_cc_wdtype wdtype = SC_CC_F32;
  uint32_t seq = 0, cores = 0;
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
    switch (c) {
    case 'm':
      model = optarg;
      break;
    case 'c':
      config = optarg;
      break;
    case 'o':
      out = optarg;
      break;
    case 'a':
      arch = optarg;
      break;
    case 'l':
      listing = optarg;
      break;
    case 'g':
      graph = optarg;
      break;
    case 'd':
      wdtype = sc_cc_wdtype_parse(optarg);
      if (wdtype == SC_CC_WDTYPE_COUNT)
        return cli_usage_error("compile", usage, "--dtype: unknown dtype '%s'", optarg);
      break;
    case 'S':
      if (!parse_seq(optarg, &seq))
        return cli_usage_error("compile", usage, "--max-seq needs 1 to 1048576, got '%s'", optarg);
      break;
    case 'C':
      if (!model_cores_parse(optarg, &cores))
        return cli_usage_error("compile", usage, "--cores needs 1 to 4096 or auto, got '%s'",
                               optarg);
      break;
    case 'h':
      fputs(usage, stdout);
      return CLI_EXIT_OK;
    default:
      return cli_bad_option("compile", usage, argv);
    }
  }
  if (optind != argc)
    return cli_usage_error("compile", usage, "unexpected argument '%s'", argv[optind]);
  if (!model == !config)
    return cli_usage_error("compile", usage, "one of --model and --config is required");
  if (!out) return cli_usage_error("compile", usage, "-o is required");
  int rc = CLI_EXIT_FAIL;
  model_build mb;
  sc_strbuf asm_text = {0}, g_text = {0};
  char err[512];
  if (config ? !model_build_config(&mb, config, arch, NULL, false, wdtype, SC_DTYPE_FP32, seq, 1, 0,
                                   false, cores, listing ? &asm_text : NULL)
             : !model_build_make(&mb, model, arch, wdtype, seq, cores, listing ? &asm_text : NULL))
    goto done;
  sc_status st = sc_prog_write(mb.prog, out);
  if (st != SC_STATUS_OK) {
    cli_fail("%s: cannot write the program: %s", out, sc_status_str(st));
    goto done;
  }
  if (listing &&
      sc_write_file(listing, asm_text.data, asm_text.len, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("--listing %s", err);
    goto done;
  }
  if (graph) {
    sc_graph_dump(mb.graph, &g_text);
    if (sc_write_file(graph, g_text.data, g_text.len, err, sizeof err) != SC_STATUS_OK) {
      cli_fail("--graph %s", err);
      goto done;
    }
  }
  size_t words = 0, n;
  for (uint32_t core = 0; core < sc_prog_core_count(mb.prog); core++) {
    (void)sc_prog_code(mb.prog, core, &n);
    words += n;
  }
  printf("%s: %s for %s (%s, %u of %u cores), context %u: %zu instructions, %zu buffers\n", out,
         config ? config : model, mb.arch->name, sc_cc_wdtype_name(wdtype), mb.cores,
         mb.arch->cores.count, mb.max_seq, words, sc_prog_buffer_count(mb.prog));
  rc = CLI_EXIT_OK;
done:
  sc_strbuf_free(&asm_text);
  sc_strbuf_free(&g_text);
  model_build_free(&mb);
  return rc;
}
