/* cmd_profile.c: `seedchip profile`: one decode step of a model on the chip,
 * timed: the profile of docs/PERF_MODEL.md with the time of every graph op
 * and of every layer, and the trace and HTML report on request. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model_cli.h"
#include "seedchip/perf.h"
#include "seedchip/runtime.h"

static const char usage[] =
    "usage: seedchip profile (--model FILE | --config NAME) [--dtype D] [--arch <preset|file>]\n"
    "                        [--system SPEC [--pipeline]] [--kv fp32|bf16] [--max-seq N] [--pos "
    "P]\n"
    "                        [--tokens T [--attn-fp32] | --batch B] [--trace OUT.json]\n"
    "                        [--report OUT.html] [--cores N|auto]\n"
    "\n"
    "Compiles one decode step of the model for the chip and runs it in the\n"
    "timing-only mode at position P (default 128, within the context): the attention\n"
    "reads P + 1 cached positions. Prints the profile (cycles, energy, engines, stall\n"
    "reasons, time per graph op) and the time per layer; --trace and --report write\n"
    "the Perfetto trace and the HTML report. --config times a built-in model\n"
    "configuration without its weights (llama-2-70b, llama-3.1-8b, llama-3.1-70b,\n"
    "llama-3.1-405b, mixtral-8x7b, qwen2.5-72b; or a Hugging Face config.json or a GGUF\n"
    "file, of which only the configuration is read; context 4096 unless --max-seq).\n"
    "--system (with --config) splits the step over a system of chips, tensor parallel\n"
    "(a mixture's experts whole on the chips), or with --pipeline one stage of layers\n"
    "per chip: \"<N>\", \"<arch>x<N>[-ring|-torus|-switch]\" or a system file\n"
    "(docs/SYSTEM.md). --kv (with --config): the KV cache's dtype (default fp32).\n"
    "--tokens T (with --config) times a prefill chunk instead: T tokens of one\n"
    "sequence at positions P .. P + T - 1 in one launch; --batch B (with --config)\n"
    "a decode step of B sequences, each at position P; a chunk's attention multiplies\n"
    "BF16 operands (in every dtype but f32), or with --attn-fp32 FP32 ones, as f32\n"
    "does (docs/COMPILER.md, \"Prefill attention precision\"). --cores: the cores of\n"
    "each chip the program uses (default auto, as `seedchip compile`).\n";

/* The layer of a graph op's name: "l12.attn" -> 12, else -1. */
static long layer_of(const char *name) {
  if (name[0] != 'l' || name[1] < '0' || name[1] > '9') return -1;
  char *end;
  long l = strtol(name + 1, &end, 10);
  return *end == '.' ? l : -1;
}

int cmd_profile(int argc, char **argv) {
  static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                       {"dtype", required_argument, NULL, 'd'},
                                       {"arch", required_argument, NULL, 'a'},
                                       {"max-seq", required_argument, NULL, 'S'},
                                       {"pos", required_argument, NULL, 'p'},
                                       {"trace", required_argument, NULL, 't'},
                                       {"report", required_argument, NULL, 'r'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"config", required_argument, NULL, 'c'},
                                       {"system", required_argument, NULL, 's'},
                                       {"pipeline", no_argument, NULL, 'P'},
                                       {"kv", required_argument, NULL, 'k'},
                                       {"tokens", required_argument, NULL, 'T'},
                                       {"attn-fp32", no_argument, NULL, 'F'},
                                       {"batch", required_argument, NULL, 'B'},
                                       {"cores", required_argument, NULL, 'C'},
                                       {NULL, 0, NULL, 0}};
  const char *model = NULL, *config = NULL, *arch = "sc1", *trace = NULL, *report = NULL;
  const char *system = NULL;
  bool pipeline = false, attn_fp32 = false;
  sc_dtype kv = SC_DTYPE_FP32;
  sc_cc_wdtype wdtype = SC_CC_F32;
  unsigned long seq = 0, pos = 128, tokens = 1, batch = 1;
  uint32_t cores = 0;
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'm':
      model = optarg;
      break;
    case 'c':
      config = optarg;
      break;
    case 's':
      system = optarg;
      break;
    case 'P':
      pipeline = true;
      break;
    case 'F':
      attn_fp32 = true;
      break;
    case 'k':
      if (strcmp(optarg, "bf16") == 0)
        kv = SC_DTYPE_BF16;
      else if (strcmp(optarg, "fp32") != 0)
        return cli_usage_error("profile", usage, "--kv: fp32 or bf16, not '%s'", optarg);
      break;
    case 'a':
      arch = optarg;
      break;
    case 't':
      trace = optarg;
      break;
    case 'r':
      report = optarg;
      break;
    case 'd':
      wdtype = sc_cc_wdtype_parse(optarg);
      if (wdtype == SC_CC_WDTYPE_COUNT)
        return cli_usage_error("profile", usage, "--dtype: unknown dtype '%s'", optarg);
      break;
    case 'S':
    case 'T':
    case 'B':
    case 'p': {
      char *end;
      unsigned long v = strtoul(optarg, &end, 10);
      const char *what = c == 'S' ? "max-seq" : c == 'T' ? "tokens" : c == 'B' ? "batch" : "pos";
      if (end == optarg || *end || optarg[0] == '-' || v > 1u << 20 || (c != 'p' && v == 0))
        return cli_usage_error("profile", usage, "--%s: bad value '%s'", what, optarg);
      *(c == 'S' ? &seq : c == 'T' ? &tokens : c == 'B' ? &batch : &pos) = v;
      break;
    }
    case 'C':
      if (!model_cores_parse(optarg, &cores))
        return cli_usage_error("profile", usage, "--cores needs 1 to 4096 or auto, got '%s'",
                               optarg);
      break;
    case 'h':
      fputs(usage, stdout);
      return CLI_EXIT_OK;
    default:
      return cli_bad_option("profile", usage, argv);
    }
  }
  if (optind != argc)
    return cli_usage_error("profile", usage, "unexpected argument '%s'", argv[optind]);
  if (!model == !config)
    return cli_usage_error("profile", usage, "one of --model and --config is required");
  if (system && !config)
    return cli_usage_error("profile", usage, "--system needs --config (a timing-only run)");
  if (pipeline && !system) return cli_usage_error("profile", usage, "--pipeline needs --system");
  if (tokens > 1 && !config)
    return cli_usage_error("profile", usage, "--tokens needs --config (a timing-only run)");
  if (batch > 1 && !config)
    return cli_usage_error("profile", usage, "--batch needs --config (a timing-only run)");
  if (batch > 1 && (tokens > 1 || pipeline))
    return cli_usage_error("profile", usage, "--batch goes with neither --tokens nor --pipeline");
  if (attn_fp32 && tokens < 2)
    return cli_usage_error("profile", usage, "--attn-fp32 needs --tokens (a prefill chunk)");
  if (tokens > 1 && pipeline)
    return cli_usage_error("profile", usage, "--tokens and --pipeline do not go together yet");
  int rc = CLI_EXIT_FAIL;
  model_build mb;
  sc_device *dev = NULL;
  sc_strbuf out = {0};
  char err[512];
  if (config ? !model_build_config(&mb, config, arch, system, pipeline, wdtype, kv, (uint32_t)seq,
                                   (uint32_t)tokens, (uint32_t)batch, attn_fp32, cores, NULL)
             : !model_build_make(&mb, model, arch, wdtype, (uint32_t)seq, cores, NULL))
    goto done;
  if (pos + tokens > mb.max_seq) {
    cli_fail("--pos %lu%s is outside the context of %u positions", pos,
             tokens > 1 ? " with --tokens" : "", mb.max_seq);
    goto done;
  }
  sc_rt_program *p;
  if (sc_rt_open_system(&mb.sys, &dev, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("%s", err);
    goto done;
  }
  /* timing-only before the load: the buffers need no host memory */
  if (sc_rt_set_mode(dev, SC_SIM_TIMING_ONLY, trace || report) != SC_STATUS_OK ||
      sc_rt_load(dev, mb.prog, NULL, &p) != SC_STATUS_OK) {
    cli_fail("%s", sc_rt_errmsg(dev));
    goto done;
  }
  sc_rt_set_args(dev, (const uint64_t[]){1, pos}, 2);
  if (sc_rt_launch(dev, p) != SC_STATUS_OK || sc_rt_wait(dev) != SC_STATUS_OK) {
    cli_fail("%s", sc_rt_errmsg(dev));
    goto done;
  }
  const sc_profile *prof = sc_rt_profile(dev);
  if (tokens > 1)
    printf("%s (%s) on %s: a prefill chunk of %lu tokens at positions %lu .. %lu\n",
           config ? config : model, sc_cc_wdtype_name(wdtype),
           mb.sys.chips > 1 ? mb.sys.name : mb.arch->name, tokens, pos, pos + tokens - 1);
  else if (batch > 1)
    printf("%s (%s) on %s: one decode step of %lu sequences, each at position %lu\n",
           config ? config : model, sc_cc_wdtype_name(wdtype),
           mb.sys.chips > 1 ? mb.sys.name : mb.arch->name, batch, pos);
  else
    printf("%s (%s) on %s: one decode step at position %lu\n", config ? config : model,
           sc_cc_wdtype_name(wdtype), mb.sys.chips > 1 ? mb.sys.name : mb.arch->name, pos);
  if (sc_perf_text(prof, mb.arch, mb.prog, &out) != SC_STATUS_OK) {
    cli_fail("out of memory");
    goto done;
  }
  fputs(sc_strbuf_str(&out), stdout);
  /* time per layer: the cycles of the layer's graph ops (lN.*) */
  uint32_t layers = mb.cfg.n_layers;
  double *cyc = calloc(layers + 1, sizeof *cyc), total = 0;
  if (!cyc) {
    cli_fail("out of memory");
    goto done;
  }
  for (uint32_t core = 0; core < prof->n_cores; core++)
    for (size_t pc = 0; pc < prof->n_code[core]; pc++) {
      const sc_prog_debug *d = sc_prog_debug_at(mb.prog, core, (uint32_t)pc);
      long l = d ? layer_of(d->where) : -1;
      double v = (double)prof->pc_cycles[core][pc];
      cyc[l >= 0 && l < (long)layers ? (size_t)l : layers] += v;
      total += v;
    }
  printf("\ntime by layer (cycles charged to its graph ops, summed over cores)\n");
  for (uint32_t l = 0; l <= layers; l++) {
    char name[32];
    snprintf(name, sizeof name, l < layers ? "layer %u" : "outside layers", l);
    printf("  %-16s %14.0f  %5.1f%%\n", name, cyc[l], total > 0 ? 100 * cyc[l] / total : 0);
  }
  free(cyc);
  sc_strbuf_free(&out);
  if (trace) {
    if (sc_perf_trace(prof, mb.arch, mb.prog, &out) != SC_STATUS_OK ||
        sc_write_file(trace, out.data, out.len, err, sizeof err) != SC_STATUS_OK) {
      cli_fail("--trace %s", trace);
      goto done;
    }
    sc_strbuf_free(&out);
  }
  if (report) {
    if (sc_perf_report(prof, mb.arch, mb.prog, config ? config : model, &out) != SC_STATUS_OK ||
        sc_write_file(report, out.data, out.len, err, sizeof err) != SC_STATUS_OK) {
      cli_fail("--report %s", report);
      goto done;
    }
  }
  rc = CLI_EXIT_OK;
done:
  sc_strbuf_free(&out);
  sc_rt_close(dev);
  model_build_free(&mb);
  return rc;
}
