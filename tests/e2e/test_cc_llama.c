/* test_cc_llama.c: stories260K compiled for SC1 and run on the simulated chip
 * (timed mode), one token per launch with the KV cache kept in device
 * memory, against the project's FP32 reference forward pass: greedy decoding
 * from BOS gives the same tokens for 256 steps (the reference's own test
 * checks those against the published llama2.c story), and the logits agree
 * within a documented bound (the chip's exp and sigmoid are the VPU's
 * algorithms, not the host's libm). Needs ../shared/models; skips otherwise. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/cc.h"
#include "seedchip/reference.h"
#include "seedchip/runtime.h"
#include "../test_models.h"

static void test_stories260k_greedy(void **state) {
  (void)state;
  char err[1024];
  char *path = test_model_path("llama2c/stories260K.bin");
  if (!path) skip();
  sc_model *m;
  if (sc_model_load(path, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  free(path);
  const sc_model_config *cfg = sc_model_config_of(m);
  enum { STEPS = 256, SEQ = 256 };
  sc_llama_step step = {.tokens = 1, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  if (sc_cc_llama_graph(cfg, &step, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_program *prog;
  if (sc_cc_compile(g, m, arch, &prog, NULL, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *p;
  if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  assert_int_equal(sc_rt_set_mode(dev, SC_SIM_TIMED, false), SC_STATUS_OK);
  uint32_t V = cfg->vocab_size;
  float *logits = malloc(V * sizeof *logits);
  assert_int_equal(sc_rt_bind(p, "logits", logits, V * sizeof *logits), SC_STATUS_OK);
  sc_ref *ref;
  if (sc_ref_create(m, SEQ, &ref, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  int32_t tok = 1; /* BOS */
  double worst = 0;
  uint64_t cycles = 0;
  int steps = 0;
  for (uint32_t pos = 0; pos < STEPS; pos++) {
    const float *want = sc_ref_forward(ref, tok, pos);
    assert_non_null(want);
    sc_rt_set_args(dev, (const uint64_t[]){(uint64_t)tok, pos}, 2);
    assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
    if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("step %u: %s", pos, sc_rt_errmsg(dev));
    cycles += sc_rt_profile(dev)->cycles;
    int32_t a = 0, b = 0;
    float scale = 0;
    for (uint32_t i = 0; i < V; i++) {
      if (logits[i] > logits[a]) a = (int32_t)i;
      if (want[i] > want[b]) b = (int32_t)i;
      if (fabsf(want[i]) > scale) scale = fabsf(want[i]);
    }
    for (uint32_t i = 0; i < V; i++) {
      double e = fabs((double)logits[i] - (double)want[i]) / (double)scale;
      if (e > worst) worst = e;
    }
    if (a != b) fail_msg("step %u: the chip picks token %d, the reference %d", pos, a, b);
    steps++;
    tok = a;
    if (tok == 1) break; /* BOS ends a story (llama2.c's run.c) */
  }
  print_message("  %d greedy steps identical; worst logit error %.3g of the largest logit; "
                "%.0f cycles per token on sc1 (%.2f us)\n",
                steps, worst, (double)cycles / steps,
                (double)cycles / steps / (arch->clock_ghz * 1e3));
  assert_true(worst < 1e-4); /* exp/sigmoid within a few ulp, through 5 layers */
  sc_ref_free(ref);
  free(logits);
  sc_rt_close(dev);
  sc_prog_destroy(prog);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  sc_model_free(m);
}

/* Prefill: the first 16 tokens of the greedy story in one launch of a
 * 16-token program (its logits row by row against the reference's), then
 * decode continues from position 16 with the one-token program sharing the
 * KV cache the prefill wrote: the same greedy tokens as the reference. */
static void test_stories260k_prefill(void **state) {
  (void)state;
  char err[1024];
  char *path = test_model_path("llama2c/stories260K.bin");
  if (!path) skip();
  sc_model *m;
  if (sc_model_load(path, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  free(path);
  const sc_model_config *cfg = sc_model_config_of(m);
  enum { T = 16, SEQ = 128, STEPS = 96 };
  uint32_t V = cfg->vocab_size;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_llama_step dstep = {.tokens = 1, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32};
  sc_llama_step pstep = {.tokens = T, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32};
  sc_graph *dg, *pg;
  if (sc_cc_llama_graph(cfg, &dstep, &dg, err, sizeof err) != SC_STATUS_OK ||
      sc_cc_llama_graph(cfg, &pstep, &pg, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_program *dprog, *pprog;
  if (sc_cc_compile(dg, m, arch, &dprog, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_cc_options popt = {.scratch_base = sc_cc_program_end(dprog)};
  if (sc_cc_compile_opts(pg, m, arch, &popt, &pprog, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *dp = NULL, *pp = NULL;
  if (sc_rt_load(dev, dprog, NULL, &dp) != SC_STATUS_OK ||
      sc_rt_load(dev, pprog, NULL, &pp) != SC_STATUS_OK)
    fail_msg("%s", sc_rt_errmsg(dev));
  assert_int_equal(sc_rt_set_mode(dev, SC_SIM_TIMED, false), SC_STATUS_OK);
  float *plog = malloc((size_t)T * V * sizeof *plog), *dlog = malloc(V * sizeof *dlog);
  int32_t toks[T];
  assert_int_equal(sc_rt_bind(pp, "logits", plog, (size_t)T * V * sizeof *plog), SC_STATUS_OK);
  assert_int_equal(sc_rt_bind(pp, "tokens", toks, sizeof toks), SC_STATUS_OK);
  assert_int_equal(sc_rt_bind(dp, "logits", dlog, V * sizeof *dlog), SC_STATUS_OK);
  /* the reference's greedy tokens for STEPS positions */
  sc_ref *ref;
  if (sc_ref_create(m, SEQ, &ref, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  int32_t seq[STEPS + 1];
  static float want[STEPS][512];
  seq[0] = 1;
  for (uint32_t p = 0; p < STEPS; p++) {
    const float *l = sc_ref_forward(ref, seq[p], p);
    memcpy(want[p], l, V * sizeof *l);
    int32_t b = 0;
    for (uint32_t i = 0; i < V; i++)
      if (l[i] > l[b]) b = (int32_t)i;
    seq[p + 1] = b;
  }
  sc_ref_free(ref);
  /* prefill positions 0 .. T-1 in one launch */
  memcpy(toks, seq, sizeof toks);
  sc_rt_set_args(dev, (const uint64_t[]){0, 0}, 2);
  assert_int_equal(sc_rt_launch(dev, pp), SC_STATUS_OK);
  if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("prefill: %s", sc_rt_errmsg(dev));
  uint64_t prefill_cycles = sc_rt_profile(dev)->cycles;
  double worst = 0;
  for (uint32_t t = 0; t < T; t++) {
    float scale = 0;
    int32_t a = 0;
    for (uint32_t i = 0; i < V; i++) {
      float g = plog[(size_t)t * V + i];
      if (g > plog[(size_t)t * V + a]) a = (int32_t)i;
      if (fabsf(want[t][i]) > scale) scale = fabsf(want[t][i]);
    }
    for (uint32_t i = 0; i < V; i++) {
      double e = fabs((double)plog[(size_t)t * V + i] - (double)want[t][i]) / (double)scale;
      if (e > worst) worst = e;
    }
    if (a != seq[t + 1]) fail_msg("prefill row %u: token %d, the reference %d", t, a, seq[t + 1]);
  }
  /* decode from position T with the cache the prefill wrote */
  for (uint32_t p = T; p < STEPS; p++) {
    sc_rt_set_args(dev, (const uint64_t[]){(uint64_t)seq[p], p}, 2);
    assert_int_equal(sc_rt_launch(dev, dp), SC_STATUS_OK);
    if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("decode %u: %s", p, sc_rt_errmsg(dev));
    int32_t a = 0;
    for (uint32_t i = 0; i < V; i++)
      if (dlog[i] > dlog[a]) a = (int32_t)i;
    if (a != seq[p + 1]) fail_msg("decode at %u: token %d, the reference %d", p, a, seq[p + 1]);
  }
  print_message("  prefill of %d tokens in one launch: %llu cycles (%.2f us); worst logit error "
                "%.3g; decode continued identically to position %d\n",
                T, (unsigned long long)prefill_cycles,
                (double)prefill_cycles / (arch->clock_ghz * 1e3), worst, STEPS);
  assert_true(worst < 1e-5);
  free(plog);
  free(dlog);
  sc_rt_close(dev);
  sc_prog_destroy(dprog);
  sc_prog_destroy(pprog);
  sc_graph_destroy(dg);
  sc_graph_destroy(pg);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stories260k_greedy),
      cmocka_unit_test(test_stories260k_prefill),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
