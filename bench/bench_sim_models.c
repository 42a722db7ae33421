/* bench_sim_models.c: how fast the simulator simulates full-size models, in
 * wall seconds of one host core per step, in the timing-only mode (no weights,
 * no data: cycles only), the way `seedchip bench` runs them. The goals: a
 * decode step of Llama-3.1-70B on its system in under 1 s of wall time, a
 * 2k-token prefill in under 10 s (docs/BENCH.md). The system is one SC1 chip (its
 * device memory holds 70B in FP8 with a 4k cache).
 *
 * For each of llama-3.1-8b and llama-3.1-70b (built-in configurations, FP8
 * weights, compiled with no_weights):
 *   decode: a one-token step with a cache of 4096 positions, launched at
 *           position 4095; printed: wall seconds, simulated cycles, simulated
 *           cycles per wall second, and the compile time apart. The first
 *           launch is the figure (`seedchip bench` launches each step once);
 *           a second launch of the same step is printed beside it, as the
 *           first pays for the simulator's warm-up;
 *   prefill: the step of the largest T in {128, 64, 32, 16} tokens that
 *           compiles (the SRAM refuses the larger ones: UNSUPPORTED), all
 *           2048 / T launches at positions 0, T, 2T, ...; printed: the total
 *           wall seconds and cycles.
 * The machine is noisy, so the 8B decode measured in the same run is the
 * reference: the 70B/8B wall ratio is printed beside the 70B/8B ratio of
 * simulated cycles (equal when the simulator's speed does not depend on the
 * model's size).
 *
 *   bench_sim_models [--quick]
 *     --quick (or SEEDCHIP_TEST_QUICK=1, as for the tests): llama-3.1-8b
 *     alone and only the first and last prefill launches, to check it works */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seedchip/cc.h"
#include "seedchip/runtime.h"

enum { PROMPT = 2048, CONTEXT = 4096 };
#define DECODE_GOAL_S 1.0   /* llama-3.1-70b decode step */
#define PREFILL_GOAL_S 10.0 /* a 2k prefill */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One compiled step, loaded on its own device in the timing-only mode. */
typedef struct step {
  sc_graph *graph;
  sc_program *prog;
  sc_device *dev;
  sc_rt_program *p;
  double compile_s; /* graph, compile and load */
} step;

static void step_free(step *s) {
  sc_rt_close(s->dev);
  sc_prog_destroy(s->prog);
  sc_graph_destroy(s->graph);
  *s = (step){0};
}

/* Compiles cfg's step of `tokens` tokens with a cache of CONTEXT positions,
 * FP8 weights, no weight data, and loads it for timing-only launches. The
 * compiler's status (UNSUPPORTED when the step does not fit the SRAM). */
static sc_status step_make(step *s, const sc_arch *arch, const sc_model_config *cfg,
                           uint32_t tokens, char *err, size_t err_size) {
  double t0 = now_s();
  sc_llama_step st = {
      .tokens = tokens, .max_seq = CONTEXT, .act_dtype = SC_DTYPE_FP32, .last_logits = true};
  sc_cc_options opt = {.wdtype = SC_CC_FP8, .no_weights = true};
  sc_status rc = sc_cc_llama_graph(cfg, &st, &s->graph, err, err_size);
  if (rc == SC_STATUS_OK)
    rc = sc_cc_compile_opts(s->graph, NULL, arch, &opt, &s->prog, NULL, err, err_size);
  if (rc == SC_STATUS_OK) rc = sc_rt_open(arch, &s->dev, err, err_size);
  if (rc != SC_STATUS_OK) return rc;
  /* before the load: a timing-only device maps the buffers without host memory */
  if ((rc = sc_rt_set_mode(s->dev, SC_SIM_TIMING_ONLY, false)) != SC_STATUS_OK ||
      (rc = sc_rt_load(s->dev, s->prog, NULL, &s->p)) != SC_STATUS_OK) {
    snprintf(err, err_size, "%s", sc_rt_errmsg(s->dev));
    return rc;
  }
  s->compile_s = now_s() - t0;
  return SC_STATUS_OK;
}

typedef struct timing {
  double wall_s, cycles;
} timing;

/* Launches the step at position pos (its first token's) and adds the wall
 * seconds and simulated cycles to acc. */
static bool step_launch(step *s, uint32_t pos, timing *acc, char *err, size_t err_size) {
  sc_rt_set_args(s->dev, (const uint64_t[]){1, pos}, 2);
  double t0 = now_s();
  if (sc_rt_launch(s->dev, s->p) != SC_STATUS_OK || sc_rt_wait(s->dev) != SC_STATUS_OK) {
    snprintf(err, err_size, "position %" PRIu32 ": %s", pos, sc_rt_errmsg(s->dev));
    return false;
  }
  acc->wall_s += now_s() - t0;
  const sc_profile *prof = sc_rt_profile(s->dev);
  acc->cycles += prof ? (double)prof->cycles : 0;
  return true;
}

typedef struct model_result {
  timing decode, prefill;
  timing decode_again; /* a second launch of the same step: without the first's warm-up */
  double decode_compile_s, prefill_compile_s;
  uint32_t chunk;    /* prefill tokens per step */
  uint32_t launches; /* prefill launches timed: PROMPT / chunk, or 2 when quick */
} model_result;

static void fail(const char *model, const char *what, const char *err) {
  fprintf(stderr, "bench_sim_models: %s %s: %s\n", model, what, err);
  exit(1);
}

static const char *verdict(double goal_s, double measured_s) {
  return measured_s < goal_s ? "met" : "MISSED";
}

/* Times name's decode and prefill; quick: the prefill's first and last
 * launches alone (a check that it works, not the figure). */
static model_result bench_model(const sc_arch *arch, const char *name, bool quick) {
  char err[1024];
  model_result r = {0};
  sc_model_config cfg;
  if (sc_model_config_builtin(name, &cfg) != SC_STATUS_OK)
    fail(name, "configuration", "not a built-in configuration");
  /* decode: one token at the last position of the cache */
  step s = {0};
  if (step_make(&s, arch, &cfg, 1, err, sizeof err) != SC_STATUS_OK) fail(name, "decode", err);
  r.decode_compile_s = s.compile_s;
  if (!step_launch(&s, CONTEXT - 1, &r.decode, err, sizeof err) ||
      !step_launch(&s, CONTEXT - 1, &r.decode_again, err, sizeof err))
    fail(name, "decode", err);
  step_free(&s);
  /* prefill: the largest chunk that fits, every chunk of the prompt */
  static const uint32_t chunks[] = {128, 64, 32, 16};
  double t0 = now_s();
  sc_status rc = SC_STATUS_UNSUPPORTED;
  for (size_t i = 0; i < sizeof chunks / sizeof chunks[0] && rc == SC_STATUS_UNSUPPORTED; i++) {
    step_free(&s);
    r.chunk = chunks[i];
    rc = step_make(&s, arch, &cfg, r.chunk, err, sizeof err);
  }
  if (rc != SC_STATUS_OK) fail(name, "prefill", err);
  r.prefill_compile_s = now_s() - t0; /* with the refused larger chunks */
  for (uint32_t pos = 0; pos < PROMPT; pos += r.chunk) {
    if (quick && pos != 0 && pos != PROMPT - r.chunk) continue;
    if (!step_launch(&s, pos, &r.prefill, err, sizeof err)) fail(name, "prefill", err);
    r.launches++;
  }
  step_free(&s);

  double ghz = arch->clock_ghz;
  printf("%s, fp8, %s, timing-only (one host thread)\n", name, arch->name);
  printf("  decode, 1 token at position %d:  %8.3f s wall, %11.0f cycles (%.3f ms on the chip), "
         "%.3g cycles/s; compile %.2f s\n",
         CONTEXT - 1, r.decode.wall_s, r.decode.cycles, r.decode.cycles / (ghz * 1e6),
         r.decode.cycles / r.decode.wall_s, r.decode_compile_s);
  printf("  decode, launched again:            %8.3f s wall, %.3g cycles/s\n",
         r.decode_again.wall_s, r.decode_again.cycles / r.decode_again.wall_s);
  printf("  prefill, %d tokens, %2u x %3u:    %8.3f s wall, %11.0f cycles (%.3f ms on the chip), "
         "%.3g cycles/s; compile %.2f s\n",
         PROMPT, PROMPT / r.chunk, r.chunk, r.prefill.wall_s, r.prefill.cycles,
         r.prefill.cycles / (ghz * 1e6), r.prefill.cycles / r.prefill.wall_s, r.prefill_compile_s);
  if (r.launches * r.chunk < PROMPT)
    printf("  (--quick: %u of the %u prefill launches, no goal)\n", r.launches, PROMPT / r.chunk);
  else
    printf("  goal prefill < %.0f s wall: %s (goal / measured %.2fx)\n", PREFILL_GOAL_S,
           verdict(PREFILL_GOAL_S, r.prefill.wall_s), PREFILL_GOAL_S / r.prefill.wall_s);
  return r;
}

int main(int argc, char **argv) {
  const char *env = getenv("SEEDCHIP_TEST_QUICK");
  bool quick = env && strcmp(env, "1") == 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      fprintf(stderr, "usage: bench_sim_models [--quick]\n");
      return 2;
    }
  }
  sc_arch *arch;
  if (sc_arch_load("sc1", &arch, NULL) != SC_STATUS_OK) {
    fprintf(stderr, "bench_sim_models: cannot load the architecture sc1\n");
    return 1;
  }
  /* the reference first: the 8B decode of this run */
  model_result small = bench_model(arch, "llama-3.1-8b", quick);
  if (!quick) {
    printf("\n");
    model_result big = bench_model(arch, "llama-3.1-70b", false);
    printf("  goal decode < %.0f s wall: %s (goal / measured %.2fx)\n", DECODE_GOAL_S,
           verdict(DECODE_GOAL_S, big.decode.wall_s), DECODE_GOAL_S / big.decode.wall_s);
    printf("  decode 70B / 8B (the reference of this run): %.2fx wall, %.2fx simulated cycles\n",
           big.decode.wall_s / small.decode.wall_s, big.decode.cycles / small.decode.cycles);
    printf("  prefill 70B / 8B: %.2fx wall, %.2fx simulated cycles\n",
           big.prefill.wall_s / small.prefill.wall_s, big.prefill.cycles / small.prefill.cycles);
  }
  sc_arch_destroy(arch);
  return 0;
}
