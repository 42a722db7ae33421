/* test_prefill_interp.c: the assumption behind `seedchip bench`'s prefill
 * rows (docs/BENCH.md, "Prefill chunks"): the simulated time of a prefill
 * chunk grows linearly with its first position (only attention depends on
 * it), so the sum over all chunks equals n / 2 x (first + last).
 *
 * A synthetic model (dim 256, 4 query heads of 64 over 2 kv heads, 2 layers)
 * is compiled without weights for chunks of 32 tokens and timed in the
 * timing-only mode at every chunk of a 512-token prompt; the trapezoid of the
 * first and last chunks is within 2% of the full sum (printed), and the
 * chunks do grow (the last is slower than the first, so the test would see a
 * position-independent model). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "seedchip/cc.h"
#include "seedchip/runtime.h"

enum { PROMPT = 512, CHUNK = 32, CTX = 512 };

static void test_linear_in_position(void **state) {
  (void)state;
  sc_model_config cfg = {.dim = 256,
                         .hidden_dim = 512,
                         .n_layers = 2,
                         .n_heads = 4,
                         .n_kv_heads = 2,
                         .head_dim = 64,
                         .vocab_size = 512,
                         .max_seq_len = CTX,
                         .rope_theta = 10000.0f,
                         .norm_eps = 1e-5f};
  char err[1024];
  sc_llama_step st = {.tokens = CHUNK, .max_seq = CTX, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  if (sc_cc_llama_graph(&cfg, &st, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_cc_options opt = {.wdtype = SC_CC_FP8, .no_weights = true, .kv_dtype = SC_DTYPE_BF16};
  sc_program *prog;
  if (sc_cc_compile_opts(g, NULL, arch, &opt, &prog, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(sc_rt_set_mode(dev, SC_SIM_TIMING_ONLY, false), SC_STATUS_OK);
  sc_rt_program *p;
  if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  double sum = 0, first = 0, last = 0;
  for (uint32_t pos = 0; pos < PROMPT; pos += CHUNK) {
    sc_rt_set_args(dev, (const uint64_t[]){1, pos}, 2);
    assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
    if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("position %u: %s", pos, sc_rt_errmsg(dev));
    double c = (double)sc_rt_profile(dev)->cycles;
    sum += c;
    if (pos == 0) first = c;
    last = c;
  }
  double n = PROMPT / CHUNK, est = n / 2 * (first + last), e = (est - sum) / sum;
  print_message("  %d chunks of %d: %.0f cycles in all, first %.0f, last %.0f; trapezoid %.0f "
                "(%+.2f%%)\n",
                PROMPT / CHUNK, CHUNK, sum, first, last, est, 100 * e);
  assert_true(last > first * 1.01);
  assert_true(e < 0.02 && e > -0.02);
  sc_rt_close(dev);
  sc_prog_destroy(prog);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_linear_in_position),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
