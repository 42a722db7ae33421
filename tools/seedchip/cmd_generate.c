/* cmd_generate.c: `seedchip generate`: a model file in, text out, generated on
 * the simulated chip: load the model and its tokenizer, compile one decode
 * step for the chip, run the prompt and then each new token through it (the
 * KV cache stays in device memory), sample, stream the text, and print the
 * chip's figures: time to first token, time per output token and tokens/s at
 * the chip's clock, energy per token, MXU and bandwidth utilization, and the
 * simulator's own speed. docs/LLM.md explains every figure. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "model_cli.h"
#include "seedchip/cc.h"
#include "seedchip/perf.h"
#include "seedchip/runtime.h"
#include "seedchip/sampler.h"
#include "seedchip/tokenizer.h"

static const char usage[] =
    "usage: seedchip generate --model FILE [--tokenizer FILE] [--prompt TEXT] [-n N]\n"
    "                         [--temp T] [--top-p P] [--top-k K] [--seed S]\n"
    "                         [--dtype D] [--arch <preset|file>] [--max-seq N]\n"
    "                         [--cores N|auto]\n"
    "\n"
    "Generates text with a Llama-family model (llama2.c checkpoint, GGUF, or\n"
    "safetensors with config.json) on the simulated chip, bit-exact, and prints the\n"
    "chip's speed and energy. --tokenizer takes a llama2.c tokenizer .bin, or a\n"
    "Hugging Face tokenizer.json or checkpoint directory; GGUF files carry theirs and\n"
    "a safetensors checkpoint directory its tokenizer.json. -n is the number of new\n"
    "tokens (default 128). --temp 0 (the default) is greedy; --top-p and --top-k filter the\n"
    "sampled distribution; --seed seeds the sampler. --max-seq bounds the context\n"
    "(default: the model's, at most 1024). --dtype sets how matmul weights are\n"
    "stored and multiplied: f32 (default), bf16, fp8 (E4M3, per-tensor scale),\n"
    "fp8-channel, int8 (weight-only, per channel), int4 (weight-only, groups of 32).\n"
    "--cores: the chip's cores the programs use, from core 0 (default auto: as many as\n"
    "the largest matmul has output tiles, at most the chip's; docs/COMPILER.md, \"Cores\").\n";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool parse_num(const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= lo && v <= hi)) return false;
  *out = v;
  return true;
}

/* Sums of the profiles of a run of launches. */
typedef struct totals {
  uint64_t cycles, launches;
  double energy_j, flops, peak_flop_cycles, mem_bytes;
} totals;

static void add_profile(totals *t, const sc_profile *p, const sc_arch *a) {
  sc_prof_summary s;
  sc_perf_summarize(p, a, &s);
  t->cycles += p->cycles;
  t->launches++;
  t->energy_j += s.energy_j;
  t->flops += s.flops;
  t->peak_flop_cycles += s.peak_flop_s * s.seconds; /* what the peak would do in that time */
  t->mem_bytes += s.mem_bytes;
}

/* A Hugging Face tokenizer: a directory or a .json file. */
static bool is_hf_tokenizer(const char *path) {
  struct stat sb;
  size_t n = strlen(path);
  return (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) ||
         (n >= 5 && strcmp(path + n - 5, ".json") == 0);
}

/* Tokens per prefill launch (at most the MXU's rows: the prefill program
 * streams them through the array at once). */
enum { PREFILL_CHUNK = 32 };

/* A prefill program of T tokens loaded beside the decode program. */
typedef struct prefill_prog {
  sc_graph *graph;
  sc_program *prog;
  sc_rt_program *loaded;
  int32_t *tokens;
  float *logits;
  uint64_t end;
} prefill_prog;

static bool prefill_make(prefill_prog *pf, const model_build *mb, sc_device *dev, uint32_t T,
                         sc_cc_wdtype wdtype, uint64_t base) {
  char err[1024];
  const sc_model_config *cfg = sc_model_config_of(mb->model);
  sc_llama_step step = {
      .tokens = T, .max_seq = mb->max_seq, .act_dtype = SC_DTYPE_FP32, .last_logits = true};
  uint64_t decode_end = sc_cc_program_end(mb->prog);
  sc_cc_options opt = {
      .wdtype = wdtype, .scratch_base = base > decode_end ? base : decode_end, .cores = mb->cores};
  if (sc_cc_llama_graph(cfg, &step, &pf->graph, err, sizeof err) != SC_STATUS_OK ||
      sc_cc_compile_opts(pf->graph, mb->model, mb->arch, &opt, &pf->prog, NULL, err, sizeof err) !=
          SC_STATUS_OK) {
    cli_fail("prefill of %u tokens: %s", T, err);
    return false;
  }
  pf->end = sc_cc_program_end(pf->prog);
  pf->tokens = calloc(T, sizeof *pf->tokens);
  pf->logits = calloc(cfg->vocab_size, sizeof *pf->logits); /* the last token's */
  if (!pf->tokens || !pf->logits) {
    cli_fail("out of memory");
    return false;
  }
  if (sc_rt_load(dev, pf->prog, NULL, &pf->loaded) != SC_STATUS_OK ||
      sc_rt_bind(pf->loaded, "tokens", pf->tokens, T * sizeof *pf->tokens) != SC_STATUS_OK ||
      sc_rt_bind(pf->loaded, "logits", pf->logits, cfg->vocab_size * sizeof *pf->logits) !=
          SC_STATUS_OK) {
    cli_fail("prefill of %u tokens: %s", T, sc_rt_errmsg(dev));
    return false;
  }
  return true;
}

static void prefill_free(prefill_prog *pf) {
  sc_prog_destroy(pf->prog);
  sc_graph_destroy(pf->graph);
  free(pf->tokens);
  free(pf->logits);
}

int cmd_generate(int argc, char **argv) {
  static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
                                       {"tokenizer", required_argument, NULL, 'k'},
                                       {"prompt", required_argument, NULL, 'p'},
                                       {"temp", required_argument, NULL, 't'},
                                       {"top-p", required_argument, NULL, 'P'},
                                       {"top-k", required_argument, NULL, 'K'},
                                       {"seed", required_argument, NULL, 's'},
                                       {"dtype", required_argument, NULL, 'd'},
                                       {"arch", required_argument, NULL, 'a'},
                                       {"max-seq", required_argument, NULL, 'S'},
                                       {"cores", required_argument, NULL, 'C'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *model_path = NULL, *tok_path = NULL, *prompt = "", *arch_name = "sc1";
  sc_cc_wdtype wdtype = SC_CC_F32;
  double n_new = 128, temp = 0, top_p = 0.9, top_k = 0, seed = 0, max_seq = 0;
  uint32_t cores = 0;
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
    switch (c) {
    case 'm':
      model_path = optarg;
      break;
    case 'k':
      tok_path = optarg;
      break;
    case 'p':
      prompt = optarg;
      break;
    case 'a':
      arch_name = optarg;
      break;
    case 'd':
      wdtype = sc_cc_wdtype_parse(optarg);
      if (wdtype == SC_CC_WDTYPE_COUNT)
        return cli_usage_error("generate", usage,
                               "--dtype takes f32, bf16, fp8, fp8-channel, int8 or int4, got '%s'",
                               optarg);
      break;
    case 'n':
    case 't':
    case 'P':
    case 'K':
    case 's':
    case 'S': {
      double lo = 0, hi = c == 'P' ? 1 : c == 't' ? 100 : 1e15, v;
      if (!parse_num(optarg, lo, hi, &v) || (c != 't' && c != 'P' && v != floor(v)))
        return cli_usage_error("generate", usage, "-%c%s: bad value '%s'", c == 'n' ? 'n' : '-',
                               c == 'n'   ? ""
                               : c == 't' ? "-temp"
                               : c == 'P' ? "-top-p"
                               : c == 'K' ? "-top-k"
                               : c == 's' ? "-seed"
                                          : "-max-seq",
                               optarg);
      *(c == 'n'   ? &n_new
        : c == 't' ? &temp
        : c == 'P' ? &top_p
        : c == 'K' ? &top_k
        : c == 's' ? &seed
                   : &max_seq) = v;
      break;
    }
    case 'C':
      if (!model_cores_parse(optarg, &cores))
        return cli_usage_error("generate", usage, "--cores needs 1 to 4096 or auto, got '%s'",
                               optarg);
      break;
    case 'h':
      fputs(usage, stdout);
      return CLI_EXIT_OK;
    default:
      return cli_bad_option("generate", usage, argv);
    }
  }
  if (optind != argc)
    return cli_usage_error("generate", usage, "unexpected argument '%s'", argv[optind]);
  if (!model_path) return cli_usage_error("generate", usage, "--model is required");

  int rc = CLI_EXIT_FAIL;
  char err[1024];
  model_build mb;
  sc_tokenizer *tok = NULL;
  sc_device *dev = NULL;
  sc_sampler *smp = NULL;
  float *logits = NULL;
  int32_t *ids = NULL, next = 0;
  prefill_prog pf_full = {0}, pf_last = {0};
  uint32_t V = 0;
  double t_compile = now_s();
  if (!model_build_make(&mb, model_path, arch_name, wdtype, (uint32_t)max_seq, cores, NULL))
    goto done;
  t_compile = now_s() - t_compile;
  sc_model *m = mb.model;
  sc_arch *arch = mb.arch;
  uint32_t seq = mb.max_seq;
  const sc_model_config *cfg = sc_model_config_of(m);
  sc_status st;
  if (tok_path && is_hf_tokenizer(tok_path))
    st = sc_tok_from_hf(tok_path, &tok, err, sizeof err);
  else if (tok_path)
    st = sc_tok_load_llama2c(tok_path, cfg->vocab_size, &tok, err, sizeof err);
  else if (strcmp(sc_model_format(m), "gguf") == 0)
    st = sc_tok_from_gguf(model_path, &tok, err, sizeof err);
  else if (strcmp(sc_model_format(m), "safetensors") == 0)
    st = sc_tok_from_hf(model_path, &tok, err, sizeof err); /* its checkpoint directory */
  else
    st = sc_errf(err, sizeof err, SC_STATUS_INVALID,
                 "%s: a %s model carries no tokenizer: pass --tokenizer", model_path,
                 sc_model_format(m));
  if (st != SC_STATUS_OK) {
    cli_fail("%s", err);
    goto done;
  }
  if (sc_rt_open(arch, &dev, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("%s", err);
    goto done;
  }
  sc_rt_program *p;
  if (sc_rt_load(dev, mb.prog, NULL, &p) != SC_STATUS_OK ||
      sc_rt_set_mode(dev, SC_SIM_TIMED, false) != SC_STATUS_OK) {
    cli_fail("%s", sc_rt_errmsg(dev));
    goto done;
  }
  V = cfg->vocab_size;
  logits = malloc(V * sizeof *logits);
  if (!logits || sc_rt_bind(p, "logits", logits, V * sizeof *logits) != SC_STATUS_OK) {
    cli_fail("cannot bind the logits");
    goto done;
  }
  sc_sampler_params sp = {.temperature = (float)temp,
                          .top_p = (float)top_p,
                          .top_k = (uint32_t)top_k,
                          .seed = (uint64_t)seed};
  if (sc_sampler_create(V, &sp, &smp) != SC_STATUS_OK) {
    cli_fail("bad sampler settings");
    goto done;
  }
  size_t n_ids = 0, len = strlen(prompt);
  if (sc_tok_encode(tok, prompt, len, true, NULL, 0, &n_ids) != SC_STATUS_OK) n_ids = 0;
  ids = malloc((n_ids + 1) * sizeof *ids);
  if (!ids || sc_tok_encode(tok, prompt, len, true, ids, n_ids, &n_ids) != SC_STATUS_OK) {
    cli_fail("cannot encode the prompt");
    goto done;
  }
  if (n_ids == 0) ids[n_ids++] = 0;
  if (n_ids >= seq) {
    cli_fail("the prompt has %zu tokens, the context %u", n_ids, seq);
    goto done;
  }
  /* The prompt in chunks of up to PREFILL_CHUNK tokens, one launch each, by
   * prefill programs loaded beside the decode program (they share its
   * weights and KV cache); the last chunk's last logits row gives the first
   * new token. Then one decode launch per new token. */
  totals prefill = {0}, decode = {0};
  double t0 = now_s();
  char piece[512];
  int32_t prev = -1;
  for (size_t i = 0; i < n_ids; i++) { /* the prompt, as it was understood */
    size_t n = sc_tok_decode(tok, prev, ids[i], piece, sizeof piece);
    fwrite(piece, 1, n, stdout);
    prev = ids[i];
  }
  fflush(stdout);
  uint32_t chunks = 0;
  for (uint32_t pos = 0; pos < n_ids;) {
    uint32_t t = n_ids - pos < PREFILL_CHUNK ? (uint32_t)(n_ids - pos) : PREFILL_CHUNK;
    const float *row;
    if (t == 1) { /* the decode program */
      sc_rt_set_args(dev, (const uint64_t[]){(uint64_t)ids[pos], pos}, 2);
      if (sc_rt_launch(dev, p) != SC_STATUS_OK || sc_rt_wait(dev) != SC_STATUS_OK) {
        cli_fail("position %u: %s", pos, sc_rt_errmsg(dev));
        goto done;
      }
      row = logits;
    } else {
      prefill_prog *pf = t == PREFILL_CHUNK ? &pf_full : &pf_last;
      if (!pf->prog && !prefill_make(pf, &mb, dev, t, wdtype, pf_full.prog ? pf_full.end : 0))
        goto done;
      memcpy(pf->tokens, ids + pos, t * sizeof *ids);
      sc_rt_set_args(dev, (const uint64_t[]){0, pos}, 2);
      if (sc_rt_launch(dev, pf->loaded) != SC_STATUS_OK || sc_rt_wait(dev) != SC_STATUS_OK) {
        cli_fail("prefill at position %u: %s", pos, sc_rt_errmsg(dev));
        goto done;
      }
      row = pf->logits; /* its last token's */
    }
    add_profile(&prefill, sc_rt_profile(dev), arch);
    chunks++;
    pos += t;
    if (pos == n_ids) next = sc_sampler_sample(smp, row);
  }
  uint32_t generated = 1, pos = (uint32_t)n_ids;
  for (;; pos++) {
    int32_t cur = next;
    if (cur == sc_tok_eos(tok) || cur == sc_tok_bos(tok)) break; /* the end */
    size_t n = sc_tok_decode(tok, prev, cur, piece, sizeof piece);
    fwrite(piece, 1, n, stdout);
    fflush(stdout);
    prev = cur;
    if (generated >= (uint32_t)n_new || pos >= seq) break;
    sc_rt_set_args(dev, (const uint64_t[]){(uint64_t)cur, pos}, 2);
    if (sc_rt_launch(dev, p) != SC_STATUS_OK || sc_rt_wait(dev) != SC_STATUS_OK) {
      cli_fail("position %u: %s", pos, sc_rt_errmsg(dev));
      goto done;
    }
    add_profile(&decode, sc_rt_profile(dev), arch);
    next = sc_sampler_sample(smp, logits);
    generated++;
  }
  double wall = now_s() - t0;
  printf("\n");
  double hz = arch->clock_ghz * 1e9;
  /* Time to first token: the prompt's launches (the last yields it). */
  double ttft = (double)prefill.cycles / hz;
  double tpot = decode.launches ? (double)decode.cycles / decode.launches / hz : 0;
  double sim_cycles = (double)(prefill.cycles + decode.cycles);
  fprintf(stderr,
          "\n%s on %s (%s, %s, %u of %u cores): %zu prompt tokens, %u generated, context %u\n"
          "  time to first token   %.3f ms   (%zu prompt tokens in %u prefill launches)\n"
          "  time per output token %.3f ms   = %.1f tokens/s at %.3g GHz\n"
          "  energy per token      %.3f mJ   (average power %.1f W)\n"
          "  MXU utilization       %.2f%%     bandwidth %.1f GB/s = %.2f%% of %.0f GB/s peak\n"
          "  simulator             %.1f tokens/s, %.3g simulated cycles/s wall (compile %.2f s)\n",
          model_path, arch->name, sc_model_format(m), sc_cc_wdtype_name(wdtype), mb.cores,
          arch->cores.count, n_ids, generated, seq, ttft * 1e3, n_ids, chunks, tpot * 1e3,
          tpot > 0 ? 1 / tpot : 0, arch->clock_ghz,
          decode.launches ? decode.energy_j / decode.launches * 1e3 : 0,
          decode.cycles ? decode.energy_j / ((double)decode.cycles / hz) : 0,
          decode.peak_flop_cycles > 0 ? 100 * decode.flops / decode.peak_flop_cycles : 0,
          decode.cycles ? decode.mem_bytes / ((double)decode.cycles / hz) / 1e9 : 0,
          decode.cycles ? 100 * decode.mem_bytes / ((double)decode.cycles / hz) /
                              (arch->memory.channels * arch->memory.channel_peak_gb_s * 1e9)
                        : 0,
          arch->memory.channels * arch->memory.channel_peak_gb_s,
          wall > 0 ? (double)(n_ids + generated) / wall : 0, wall > 0 ? sim_cycles / wall : 0,
          t_compile);
  rc = CLI_EXIT_OK;
done:
  free(ids);
  free(logits);
  sc_sampler_free(smp);
  sc_rt_close(dev); /* before the prefill programs it borrows */
  prefill_free(&pf_full);
  prefill_free(&pf_last);
  sc_tok_free(tok);
  model_build_free(&mb);
  return rc;
}
