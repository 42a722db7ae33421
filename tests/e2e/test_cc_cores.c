/* test_cc_cores.c: programs on fewer cores than the chip has
 * (sc_cc_options.cores, sc_cc_cores_auto; docs/COMPILER.md, "Cores").
 *
 * sc_cc_cores_auto gives the most output tiles (128 columns on SC1) of any
 * matmul of the step, at most 16: checked against that count worked out
 * here from each configuration's sizes (q, k, v, o, gate, up, down and the
 * classifier), for shapes where it is 1, 2, 4, 8 and capped at 16.
 *
 * On synthetic models, decode steps (teacher-forced, timed mode) of the
 * program on 1, 2 and 4 cores against the one on every core and the FP32
 * reference forward pass: the logits agree with the reference as closely
 * as the all-core program's do (bound 2e-5 of the row's largest logit),
 * the argmax is the same, and only the first `cores` cores have code. On
 * stories260K's shape, the automatic choice (4 cores) takes fewer cycles
 * than every core. A prefill chunk on 4 cores matches the reference too.
 * More cores than the chip has is refused with a message that says so. */
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
#include "../test_logits.h"

/* The tiles of 128 columns of a matmul of n outputs. */
static uint32_t tiles(uint32_t n) {
  return (n + 127) / 128;
}

/* The expected automatic choice, from the configuration's matmul sizes. */
static uint32_t expect_cores(const sc_model_config *c) {
  uint32_t hd = c->dim / c->n_heads, most = 1;
  uint32_t outs[] = {c->dim, c->n_kv_heads * hd, c->hidden_dim, c->vocab_size};
  for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
    if (tiles(outs[i]) > most) most = tiles(outs[i]);
  return most < 16 ? most : 16;
}

/* A configuration of these sizes, completed as a synthetic model's (head
 * size, RoPE, epsilon). */
static sc_model_config shape(uint32_t dim, uint32_t hidden, uint32_t heads, uint32_t kv,
                             uint32_t vocab) {
  sc_model_config c = {.dim = dim,
                       .hidden_dim = hidden,
                       .n_layers = 2,
                       .n_heads = heads,
                       .n_kv_heads = kv,
                       .vocab_size = vocab,
                       .max_seq_len = 64};
  char err[512];
  sc_model *m;
  if (sc_model_synthetic(&c, 1, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  c = *sc_model_config_of(m);
  sc_model_free(m);
  return c;
}

static void test_auto_choice(void **state) {
  (void)state;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  const struct {
    sc_model_config c;
    uint32_t want;
  } cases[] = {
      {shape(64, 96, 4, 4, 128), 1},      {shape(64, 172, 8, 8, 256), 2},
      {shape(64, 172, 8, 8, 512), 4},     {shape(256, 768, 8, 4, 1024), 8},
      {shape(288, 768, 6, 6, 32000), 16}, {shape(512, 1376, 8, 8, 4096), 16},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char err[512];
    sc_llama_step step = {.tokens = 1, .max_seq = 64, .act_dtype = SC_DTYPE_FP32};
    sc_graph *g;
    if (sc_cc_llama_graph(&cases[i].c, &step, &g, err, sizeof err) != SC_STATUS_OK)
      fail_msg("%s", err);
    assert_int_equal(expect_cores(&cases[i].c), cases[i].want);
    uint32_t got = sc_cc_cores_auto(g, arch);
    if (got != cases[i].want)
      fail_msg("case %zu (dim %u, vocab %u): %u cores, want %u", i, cases[i].c.dim,
               cases[i].c.vocab_size, got, cases[i].want);
    sc_graph_destroy(g);
  }
  sc_arch_destroy(arch);
}

/* Runs n teacher-forced decode steps of m compiled on `cores` cores (0: all)
 * into out (n rows of logits); returns their cycles. */
static uint64_t run_decode(const sc_model *m, const sc_arch *arch, uint32_t cores, sc_cc_wdtype t,
                           const int32_t *toks, uint32_t n, float *out) {
  char err[1024];
  const sc_model_config *cfg = sc_model_config_of(m);
  sc_llama_step step = {.tokens = 1, .max_seq = cfg->max_seq_len, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  if (sc_cc_llama_graph(cfg, &step, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_program *prog;
  sc_cc_options o = {.wdtype = t, .cores = cores};
  if (sc_cc_compile_opts(g, m, arch, &o, &prog, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%u cores: %s", cores, err);
  /* code on the first `cores` cores only */
  assert_int_equal(sc_prog_core_count(prog), cores ? cores : arch->cores.count);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *p;
  if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  assert_int_equal(sc_rt_set_mode(dev, SC_SIM_TIMED, false), SC_STATUS_OK);
  uint32_t V = cfg->vocab_size;
  uint64_t cycles = 0;
  for (uint32_t pos = 0; pos < n; pos++) {
    assert_int_equal(sc_rt_bind(p, "logits", out + (size_t)pos * V, V * sizeof *out), SC_STATUS_OK);
    sc_rt_set_args(dev, (const uint64_t[]){(uint64_t)toks[pos], pos}, 2);
    assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
    if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("pos %u: %s", pos, sc_rt_errmsg(dev));
    cycles += sc_rt_profile(dev)->cycles;
  }
  sc_rt_close(dev);
  sc_prog_destroy(prog);
  sc_graph_destroy(g);
  return cycles;
}

/* Worst |a - b| over each row's largest |b|, and rows whose argmax differ. */
static double worst_err(const float *a, const float *b, uint32_t rows, uint32_t v,
                        uint32_t *argmax_diff) {
  double worst;
  uint32_t agree;
  compare_logits(a, b, rows, v, &worst, &agree);
  *argmax_diff = rows - agree;
  return worst;
}

static void check_model(const sc_model_config *c, bool fewer_cycles) {
  enum { N = 12 };
  char err[1024];
  sc_model *m;
  if (sc_model_synthetic(c, 31, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  uint32_t V = c->vocab_size;
  int32_t toks[N];
  toks[0] = 1;
  for (uint32_t i = 1; i < N; i++) toks[i] = (int32_t)((i * 7919u + 5u) % V);
  float *want = malloc((size_t)N * V * sizeof *want), *all = malloc((size_t)N * V * sizeof *all),
        *few = malloc((size_t)N * V * sizeof *few);
  assert_true(want && all && few);
  sc_ref *r;
  assert_int_equal(sc_ref_create(m, c->max_seq_len, &r, err, sizeof err), SC_STATUS_OK);
  for (uint32_t pos = 0; pos < N; pos++)
    memcpy(want + (size_t)pos * V, sc_ref_forward(r, toks[pos], pos), V * sizeof *want);
  sc_ref_free(r);
  uint64_t c_all = run_decode(m, arch, 0, SC_CC_F32, toks, N, all);
  uint32_t diff;
  double e_all = worst_err(all, want, N, V, &diff);
  assert_int_equal(diff, 0);
  assert_true(e_all < 2e-5);
  const uint32_t counts[] = {1, 2, 4};
  for (size_t i = 0; i < 3; i++) {
    uint64_t cyc = run_decode(m, arch, counts[i], SC_CC_F32, toks, N, few);
    double e = worst_err(few, want, N, V, &diff);
    print_message("dim %u vocab %u: %2u cores %8llu cycles, worst %.2e (every core: %8llu, %.2e)\n",
                  c->dim, V, counts[i], (unsigned long long)cyc, e, (unsigned long long)c_all,
                  e_all);
    if (diff || !(e < 2e-5))
      fail_msg("%u cores: worst error %.3g, %u rows with another argmax", counts[i], e, diff);
  }
  /* the automatic choice */
  sc_llama_step step = {.tokens = 1, .max_seq = c->max_seq_len, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  assert_int_equal(sc_cc_llama_graph(c, &step, &g, err, sizeof err), SC_STATUS_OK);
  uint32_t a = sc_cc_cores_auto(g, arch);
  sc_graph_destroy(g);
  uint64_t c_auto = run_decode(m, arch, a, SC_CC_F32, toks, N, few);
  print_message("auto: %u cores, %llu cycles against %llu on every core\n", a,
                (unsigned long long)c_auto, (unsigned long long)c_all);
  if (fewer_cycles && !(c_auto < c_all))
    fail_msg("%u cores take %llu cycles, every core %llu", a, (unsigned long long)c_auto,
             (unsigned long long)c_all);
  /* fp8 (activations quantized per row, rows split over the cores) on 4
   * cores: as close to the reference as on every core */
  run_decode(m, arch, 0, SC_CC_FP8, toks, N, all);
  run_decode(m, arch, 4, SC_CC_FP8, toks, N, few);
  uint32_t d8a, d8f;
  double e8a = worst_err(all, want, N, V, &d8a), e8f = worst_err(few, want, N, V, &d8f);
  print_message("fp8: 4 cores worst %.3g (%u argmax differ), every core %.3g (%u)\n", e8f, d8f, e8a,
                d8a);
  if (!(e8f <= 1.5 * e8a + 1e-3) || d8f > d8a + 1)
    fail_msg("fp8 on 4 cores: worst %.3g, %u argmax differ; every core %.3g, %u", e8f, d8f, e8a,
             d8a);
  free(want);
  free(all);
  free(few);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

/* stories260K's shape: 4 cores by the classifier's 512 outputs */
static void test_stories_shape(void **state) {
  (void)state;
  sc_model_config c = shape(64, 172, 8, 4, 512);
  check_model(&c, true);
}

/* grouped-query attention, two tiles of hidden units */
static void test_gqa_shape(void **state) {
  (void)state;
  sc_model_config c = shape(128, 256, 8, 2, 384);
  check_model(&c, false);
}

/* a prefill chunk of 16 tokens on 4 cores against the reference */
static void test_prefill(void **state) {
  (void)state;
  enum { T = 16 };
  char err[1024];
  sc_model_config c = shape(64, 172, 8, 4, 512);
  sc_model *m;
  if (sc_model_synthetic(&c, 32, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_llama_step step = {.tokens = T, .max_seq = c.max_seq_len, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  assert_int_equal(sc_cc_llama_graph(&c, &step, &g, err, sizeof err), SC_STATUS_OK);
  sc_program *prog;
  sc_cc_options o = {.cores = 4};
  if (sc_cc_compile_opts(g, m, arch, &o, &prog, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  assert_int_equal(sc_prog_core_count(prog), 4);
  int32_t toks[T];
  for (uint32_t i = 0; i < T; i++) toks[i] = (int32_t)((i * 131u + 1u) % c.vocab_size);
  float *got = malloc((size_t)T * c.vocab_size * sizeof *got),
        *want = malloc((size_t)T * c.vocab_size * sizeof *want);
  assert_true(got && want);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *p;
  if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  assert_int_equal(sc_rt_bind(p, "tokens", toks, sizeof toks), SC_STATUS_OK);
  assert_int_equal(sc_rt_bind(p, "logits", got, (size_t)T * c.vocab_size * sizeof *got),
                   SC_STATUS_OK);
  sc_rt_set_args(dev, (const uint64_t[]){0, 0}, 2);
  assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
  if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  sc_ref *r;
  assert_int_equal(sc_ref_create(m, c.max_seq_len, &r, err, sizeof err), SC_STATUS_OK);
  for (uint32_t t = 0; t < T; t++)
    memcpy(want + (size_t)t * c.vocab_size, sc_ref_forward(r, toks[t], t),
           c.vocab_size * sizeof *want);
  sc_ref_free(r);
  uint32_t diff;
  double e = worst_err(got, want, T, c.vocab_size, &diff);
  print_message("prefill of %u tokens on 4 cores: worst %.2e, %u argmax differ\n", T, e, diff);
  assert_int_equal(diff, 0);
  assert_true(e < 2e-5);
  sc_rt_close(dev);
  sc_prog_destroy(prog);
  sc_graph_destroy(g);
  free(got);
  free(want);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

static void test_too_many(void **state) {
  (void)state;
  char err[512] = "";
  sc_model_config c = shape(64, 172, 8, 4, 512);
  sc_llama_step step = {.tokens = 1, .max_seq = 64, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  assert_int_equal(sc_cc_llama_graph(&c, &step, &g, err, sizeof err), SC_STATUS_OK);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_program *prog = NULL;
  sc_cc_options o = {.cores = 17, .no_weights = true};
  assert_int_equal(sc_cc_compile_opts(g, NULL, arch, &o, &prog, NULL, err, sizeof err),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_null(prog);
  if (!strstr(err, "17 cores: sc1 has 16")) fail_msg("message: %s", err);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_auto_choice), cmocka_unit_test(test_stories_shape),
      cmocka_unit_test(test_gqa_shape),   cmocka_unit_test(test_prefill),
      cmocka_unit_test(test_too_many),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
