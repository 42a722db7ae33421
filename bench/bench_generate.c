/* bench_generate.c: how fast the simulator generates text, in tokens per wall
 * second of one host core, next to the FP32 reference forward pass
 * (reference.h) generating the same tokens in the same run. The goal: the
 * simulator at least half as fast as the reference.
 *
 * Models: stories260K (llama2c/stories260K.bin from $SEEDCHIP_MODELS, else the
 * shared models beside the source tree; skipped with a message when absent)
 * and a synthetic model of stories15M's shape (dim 288, 6 layers, 6 heads,
 * hidden 768, vocab 32000, tied classifier: 15.2M parameters).
 *
 * For each: (a) the reference, greedy from BOS for N tokens; (b) the program
 * compiled once (sc_cc_compile for SC1), then one launch per token in the
 * timed mode (functional and timing: every bit and every cycle), greedy from
 * the chip's logits. Both sides produce the same tokens (checked). Printed:
 * tokens/s of each, their ratio, the goal, and the chip's own time per token
 * (cycles of the launches, microseconds at the chip's clock).
 *
 * The program runs on the cores `seedchip generate` gives it
 * (sc_cc_cores_auto: stories260K's largest matmul has 4 output tiles, so 4
 * cores), or with --all-cores on every core of the chip.
 *
 *   bench_generate [--quick] [-n N] [--model 260k|15m] [--all-cores]
 *     --quick: a few tokens, to check it works; -n: tokens per model;
 *     --model: one of the two models only */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seedchip/cc.h"
#include "seedchip/reference.h"
#include "seedchip/runtime.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int32_t argmax(const float *x, uint32_t n) {
  int32_t a = 0;
  for (uint32_t i = 1; i < n; i++)
    if (x[i] > x[a]) a = (int32_t)i;
  return a;
}

/* (a) the reference: n greedy tokens from BOS into toks; wall seconds. */
static double run_reference(const sc_model *m, uint32_t n, int32_t *toks) {
  char err[512];
  sc_ref *r;
  if (sc_ref_create(m, n, &r, err, sizeof err) != SC_STATUS_OK) {
    fprintf(stderr, "bench_generate: %s\n", err);
    exit(1);
  }
  uint32_t V = sc_model_config_of(m)->vocab_size;
  int32_t tok = 1;
  double t0 = now_s();
  for (uint32_t pos = 0; pos < n; pos++) {
    tok = argmax(sc_ref_forward(r, tok, pos), V);
    toks[pos] = tok;
  }
  double dt = now_s() - t0;
  sc_ref_free(r);
  return dt;
}

/* --all-cores: every core of the chip instead of sc_cc_cores_auto's. */
static bool all_cores;

typedef struct sim_result {
  double compile_s, gen_s; /* compile once; generate n tokens (wall) */
  uint64_t cycles;         /* the chip's cycles over the n launches */
  double clock_ghz;
  uint32_t same;              /* tokens equal to the reference's, from the first */
  uint32_t cores, chip_cores; /* the cores the program uses, of the chip's */
} sim_result;

/* (b) the simulator: compile once, then n launches in the timed mode. */
static sim_result run_simulator(const sc_model *m, uint32_t n, const int32_t *want) {
  char err[1024];
  sim_result res = {0};
  const sc_model_config *cfg = sc_model_config_of(m);
  double t0 = now_s();
  sc_llama_step step = {.tokens = 1, .max_seq = n, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  sc_arch *arch;
  sc_program *prog;
  uint32_t cores = 0;
  if (sc_cc_llama_graph(cfg, &step, &g, err, sizeof err) != SC_STATUS_OK ||
      sc_arch_load("sc1", &arch, NULL) != SC_STATUS_OK ||
      (cores = all_cores ? arch->cores.count : sc_cc_cores_auto(g, arch),
       sc_cc_compile_opts(g, m, arch, &(sc_cc_options){.cores = cores}, &prog, NULL, err,
                          sizeof err)) != SC_STATUS_OK) {
    fprintf(stderr, "bench_generate: %s\n", err);
    exit(1);
  }
  res.compile_s = now_s() - t0;
  res.clock_ghz = arch->clock_ghz;
  res.cores = cores;
  res.chip_cores = arch->cores.count;
  sc_device *dev;
  sc_rt_program *p;
  uint32_t V = cfg->vocab_size;
  float *logits = malloc(V * sizeof *logits);
  if (!logits || sc_rt_open(arch, &dev, err, sizeof err) != SC_STATUS_OK) {
    fprintf(stderr, "bench_generate: cannot open the device: %s\n", err);
    exit(1);
  }
  if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK ||
      sc_rt_set_mode(dev, SC_SIM_TIMED, false) != SC_STATUS_OK ||
      sc_rt_bind(p, "logits", logits, V * sizeof *logits) != SC_STATUS_OK) {
    fprintf(stderr, "bench_generate: %s\n", sc_rt_errmsg(dev));
    exit(1);
  }
  int32_t tok = 1;
  bool same = true;
  t0 = now_s();
  for (uint32_t pos = 0; pos < n; pos++) {
    sc_rt_set_args(dev, (const uint64_t[]){(uint64_t)tok, pos}, 2);
    if (sc_rt_launch(dev, p) != SC_STATUS_OK || sc_rt_wait(dev) != SC_STATUS_OK) {
      fprintf(stderr, "bench_generate: position %" PRIu32 ": %s\n", pos, sc_rt_errmsg(dev));
      exit(1);
    }
    res.cycles += sc_rt_profile(dev)->cycles;
    tok = argmax(logits, V);
    if (same && tok == want[pos]) res.same++;
    same = same && tok == want[pos];
  }
  res.gen_s = now_s() - t0;
  free(logits);
  sc_rt_close(dev);
  sc_prog_destroy(prog);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  return res;
}

static void bench(const char *name, const sc_model *m, uint32_t n) {
  const sc_model_config *c = sc_model_config_of(m);
  uint64_t params = 0;
  for (size_t i = 0; i < sc_model_tensor_count(m); i++) params += sc_model_tensor_at(m, i)->n_elems;
  int32_t *toks = malloc(n * sizeof *toks);
  if (!toks) exit(1);
  double ref_s = run_reference(m, n, toks);
  sim_result s = run_simulator(m, n, toks);
  double ref_tps = n / ref_s, sim_tps = n / s.gen_s, ratio = sim_tps / ref_tps;
  double cyc = (double)s.cycles / n, us = cyc / (s.clock_ghz * 1e3);
  printf("%s: dim %" PRIu32 ", %" PRIu32 " layers, %" PRIu32 " heads, hidden %" PRIu32
         ", vocab %" PRIu32 ", %.2fM parameters; %" PRIu32 " greedy tokens from BOS\n",
         name, c->dim, c->n_layers, c->n_heads, c->hidden_dim, c->vocab_size, (double)params / 1e6,
         n);
  printf("  reference (FP32 C):        %9.1f tokens/s  (%.3f ms/token)\n", ref_tps,
         1e3 * ref_s / n);
  printf("  simulator (SC1, timed):    %9.1f tokens/s  (%.3f ms/token; compile %.3f s; %u of %u "
         "cores)\n",
         sim_tps, 1e3 * s.gen_s / n, s.compile_s, s.cores, s.chip_cores);
  printf("  tokens identical:          %" PRIu32 " of %" PRIu32 "\n", s.same, n);
  printf("  chip time per token:       %.0f cycles = %.2f us at %.2f GHz (%.0f tokens/s on the "
         "chip)\n",
         cyc, us, s.clock_ghz, 1e6 / us);
  printf("  simulator / reference:     %.3fx\n", ratio);
  printf("  goal simulator >= 0.5 x reference: %s (%.3f)\n", ratio >= 0.5 ? "met" : "MISSED",
         ratio);
  free(toks);
}

static const char *models_dir(void) {
  const char *env = getenv("SEEDCHIP_MODELS");
  if (env && *env) return env;
#ifdef SC_MODELS_DIR
  return SC_MODELS_DIR;
#else
  return ".";
#endif
}

int main(int argc, char **argv) {
  bool quick = false;
  long n_arg = 0;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
      n_arg = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--all-cores") == 0) {
      all_cores = true;
    } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc &&
               (strcmp(argv[i + 1], "260k") == 0 || strcmp(argv[i + 1], "15m") == 0)) {
      only = argv[++i];
    } else {
      fprintf(stderr,
              "usage: bench_generate [--quick] [-n tokens] [--model 260k|15m] [--all-cores]\n");
      return 2;
    }
  }
  if (n_arg < 0 || n_arg > 4096) {
    fprintf(stderr, "bench_generate: -n must be 1 to 4096\n");
    return 2;
  }
  char err[1024];
  /* stories260K */
  char path[2048];
  snprintf(path, sizeof path, "%s/llama2c/stories260K.bin", models_dir());
  FILE *f = only && strcmp(only, "260k") != 0 ? NULL : fopen(path, "rb");
  if (only && strcmp(only, "260k") != 0) {
    /* --model 15m */
  } else if (!f) {
    printf("stories260K: skipped: %s not found (set SEEDCHIP_MODELS)\n\n", path);
  } else {
    fclose(f);
    sc_model *m;
    if (sc_model_load(path, &m, err, sizeof err) != SC_STATUS_OK) {
      fprintf(stderr, "bench_generate: %s\n", err);
      return 1;
    }
    bench("stories260K", m, n_arg ? (uint32_t)n_arg : quick ? 4 : 256);
    sc_model_free(m);
    printf("\n");
  }
  /* a synthetic model of stories15M's shape */
  if (only && strcmp(only, "15m") != 0) return 0;
  sc_model_config c = {.dim = 288,
                       .hidden_dim = 768,
                       .n_layers = 6,
                       .n_heads = 6,
                       .n_kv_heads = 6,
                       .vocab_size = 32000,
                       .max_seq_len = 256,
                       .tied_embeddings = true};
  sc_model *m;
  if (sc_model_synthetic(&c, 15, &m, err, sizeof err) != SC_STATUS_OK) {
    fprintf(stderr, "bench_generate: %s\n", err);
    return 1;
  }
  bench("synthetic stories15M shape", m, n_arg ? (uint32_t)n_arg : quick ? 2 : 128);
  sc_model_free(m);
  return 0;
}
