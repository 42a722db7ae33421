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

static const char *models_dir(char *buf, size_t size) {
  const char *env = getenv("SEEDCHIP_MODELS");
  if (env && env[0]) return env;
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  if (!src) return NULL;
  snprintf(buf, size, "%s/../shared/models", src);
  return buf;
}

static void test_stories260k_greedy(void **state) {
  (void)state;
  char dir[1024], path[1200], err[1024];
  const char *md = models_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/llama2c/stories260K.bin", md ? md : "");
  FILE *f = md ? fopen(path, "rb") : NULL;
  if (!f) {
    print_message("skipped: %s not found (set SEEDCHIP_MODELS)\n", path);
    skip();
  }
  fclose(f);
  sc_model *m;
  if (sc_model_load(path, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stories260k_greedy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
