/* test_cc_dtypes.c: stories260K compiled in every weight dtype and run on the
 * simulated chip, teacher-forced over a fixed text (the sampled story of
 * tests/data, tokenized with tok512: 200-odd positions), against the FP32
 * reference forward pass. For each dtype it reports the worst logit error
 * (relative to the position's largest reference logit), the top-1 agreement
 * and the perplexity of the text, and checks them against bounds that a
 * wrong kernel would break (a scrambled weight tile or a wrong scale drives
 * top-1 agreement far below them). Needs ../shared/models; skips otherwise. */
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
#include "seedchip/tokenizer.h"
#include "seedchip/util.h"
#include "../test_models.h"

/* Bounds per dtype: worst logit error, top-1 agreement, perplexity ratio. */
static const struct {
  sc_cc_wdtype t;
  double max_err, min_top1, max_ppl_ratio;
} bounds[] = {
    {SC_CC_F32, 1e-5, 1.00, 1.0001}, {SC_CC_BF16, 0.05, 0.95, 1.02},
    {SC_CC_INT8, 0.05, 0.95, 1.02},  {SC_CC_FP8_CHANNEL, 0.15, 0.85, 1.08},
    {SC_CC_FP8, 0.15, 0.85, 1.08},   {SC_CC_INT4, 0.60, 0.75, 1.25},
};

static double log_softmax_at(const float *x, uint32_t n, int32_t t) {
  double m = (double)x[0], s = 0;
  for (uint32_t i = 1; i < n; i++) m = (double)x[i] > m ? (double)x[i] : m;
  for (uint32_t i = 0; i < n; i++) s += exp((double)x[i] - m);
  return (double)x[t] - m - log(s);
}

static void test_dtypes(void **state) {
  (void)state;
  char err[1024];
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  assert_non_null(src);
  char *path = test_model_path("llama2c/stories260K.bin");
  char *tpath = test_model_path("llama2c/tok512.bin");
  if (!path || !tpath) skip();
  sc_model *m;
  if (sc_model_load(path, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  const sc_model_config *cfg = sc_model_config_of(m);
  sc_tokenizer *tok;
  if (sc_tok_load_llama2c(tpath, cfg->vocab_size, &tok, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  /* the fixed text */
  sc_strbuf tp = {0};
  sc_strbuf_printf(&tp, "%s/tests/data/stories260K_t1_p0.9_s133742.txt", src);
  uint8_t *text;
  size_t len, n = 0;
  assert_int_equal(sc_read_file(tp.data, 1 << 20, &text, &len, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(sc_tok_encode(tok, (const char *)text, len, true, NULL, 0, &n), SC_STATUS_OK);
  int32_t *ids = malloc(n * sizeof *ids);
  assert_int_equal(sc_tok_encode(tok, (const char *)text, len, true, ids, n, &n), SC_STATUS_OK);
  assert_true(n > 100 && n < 512);
  uint32_t V = cfg->vocab_size, P = (uint32_t)n - 1; /* positions with a next token */
  /* the reference's logits at every position */
  float *ref = malloc((size_t)P * V * sizeof *ref);
  sc_ref *r;
  if (sc_ref_create(m, (uint32_t)n, &r, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  double nll_ref = 0;
  for (uint32_t p = 0; p < P; p++) {
    const float *l = sc_ref_forward(r, ids[p], p);
    memcpy(ref + (size_t)p * V, l, V * sizeof *l);
    nll_ref -= log_softmax_at(l, V, ids[p + 1]);
  }
  sc_ref_free(r);
  double ppl_ref = exp(nll_ref / P);
  sc_llama_step step = {.tokens = 1, .max_seq = (uint32_t)n, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  if (sc_cc_llama_graph(cfg, &step, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  float *logits = malloc(V * sizeof *logits);
  print_message("  %u teacher-forced positions; reference perplexity %.4f\n", P, ppl_ref);
  print_message("  %-12s %12s %8s %12s %8s\n", "dtype", "worst error", "top-1", "perplexity",
                "ratio");
  for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
    sc_cc_options opt = {.wdtype = bounds[b].t};
    sc_program *prog;
    if (sc_cc_compile_opts(g, m, arch, &opt, &prog, NULL, err, sizeof err) != SC_STATUS_OK)
      fail_msg("%s: %s", sc_cc_wdtype_name(opt.wdtype), err);
    sc_device *dev;
    assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
    sc_rt_program *p;
    if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
    /* the functional mode: the same bits as the timed mode, faster */
    assert_int_equal(sc_rt_set_mode(dev, SC_SIM_FUNCTIONAL, false), SC_STATUS_OK);
    assert_int_equal(sc_rt_bind(p, "logits", logits, V * sizeof *logits), SC_STATUS_OK);
    double worst = 0, nll = 0;
    uint32_t agree = 0;
    enum { TIMED = 8 };
    static float first[TIMED][512];
    for (uint32_t pos = 0; pos < P; pos++) {
      sc_rt_set_args(dev, (const uint64_t[]){(uint64_t)ids[pos], pos}, 2);
      assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
      if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
      const float *want = ref + (size_t)pos * V;
      uint32_t a = 0, c = 0;
      float scale = 0;
      for (uint32_t i = 0; i < V; i++) {
        if (logits[i] > logits[a]) a = i;
        if (want[i] > want[c]) c = i;
        if (fabsf(want[i]) > scale) scale = fabsf(want[i]);
      }
      for (uint32_t i = 0; i < V; i++) {
        double e = fabs((double)logits[i] - (double)want[i]) / (double)scale;
        if (e > worst) worst = e;
      }
      agree += a == c;
      nll -= log_softmax_at(logits, V, ids[pos + 1]);
      if (pos < TIMED) memcpy(first[pos], logits, V * sizeof *logits);
    }
    /* the timed mode computes the same bits (engines overlap there: a missing
     * semaphore would show) */
    sc_device *tdev;
    assert_int_equal(sc_rt_open(arch, &tdev, err, sizeof err), SC_STATUS_OK);
    sc_rt_program *timed_p;
    if (sc_rt_load(tdev, prog, NULL, &timed_p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(tdev));
    assert_int_equal(sc_rt_set_mode(tdev, SC_SIM_TIMED, false), SC_STATUS_OK);
    assert_int_equal(sc_rt_bind(timed_p, "logits", logits, V * sizeof *logits), SC_STATUS_OK);
    for (uint32_t pos = 0; pos < TIMED; pos++) {
      sc_rt_set_args(tdev, (const uint64_t[]){(uint64_t)ids[pos], pos}, 2);
      assert_int_equal(sc_rt_launch(tdev, timed_p), SC_STATUS_OK);
      if (sc_rt_wait(tdev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(tdev));
      if (memcmp(first[pos], logits, V * sizeof *logits) != 0)
        fail_msg("%s: the timed mode's logits at position %u differ from the functional mode's",
                 sc_cc_wdtype_name(opt.wdtype), pos);
    }
    sc_rt_close(tdev);
    double top1 = (double)agree / P, ppl = exp(nll / P);
    print_message("  %-12s %12.3g %7.1f%% %12.4f %8.4f\n", sc_cc_wdtype_name(opt.wdtype), worst,
                  100 * top1, ppl, ppl / ppl_ref);
    if (!(worst <= bounds[b].max_err && top1 >= bounds[b].min_top1 &&
          ppl / ppl_ref <= bounds[b].max_ppl_ratio && ppl / ppl_ref >= 1 / bounds[b].max_ppl_ratio))
      fail_msg("%s outside its bounds (error <= %g, top-1 >= %g, perplexity ratio <= %g)",
               sc_cc_wdtype_name(opt.wdtype), bounds[b].max_err, bounds[b].min_top1,
               bounds[b].max_ppl_ratio);
    sc_rt_close(dev);
    sc_prog_destroy(prog);
  }
  free(logits);
  free(ref);
  free(ids);
  free(text);
  sc_strbuf_free(&tp);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  sc_tok_free(tok);
  sc_model_free(m);
  free(path);
  free(tpath);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dtypes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
