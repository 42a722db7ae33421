/* test_moe.c: mixture-of-experts graphs for the timing-only mode
 * (docs/COMPILER.md, "Mixture of experts"): the routing policies and the
 * experts a step's graph contains.
 *
 * - uniform routing gives every token k distinct experts and, over E tokens,
 *   every expert k times;
 * - skewed routing (s = 1.2) is deterministic, gives distinct experts, and
 *   over 4000 draws its counts follow (e + 1)^-s within 10% for the common
 *   experts and fall monotonically;
 * - the graph of a step has the router and the gate/up/down matmuls of
 *   exactly the experts some token uses (counted independently from the
 *   routes), and Mixtral-8x7B's built-in configuration compiles without
 *   weights. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/cc.h"

static sc_model_config moe(uint32_t E, uint32_t k) {
  sc_model_config c = {.dim = 128,
                       .hidden_dim = 256,
                       .n_layers = 2,
                       .n_heads = 2,
                       .n_kv_heads = 1,
                       .head_dim = 64,
                       .vocab_size = 512,
                       .max_seq_len = 64,
                       .norm_eps = 1e-5f,
                       .rope_theta = 10000.0f,
                       .n_experts = E,
                       .n_experts_used = k};
  return c;
}

static void test_uniform(void **state) {
  (void)state;
  sc_model_config c = moe(8, 2);
  sc_llama_step st = {.tokens = 1, .max_seq = 64};
  for (uint32_t l = 0; l < 3; l++) {
    uint32_t count[8] = {0};
    for (uint32_t t = 0; t < 8; t++) {
      uint32_t ex[2];
      sc_cc_moe_route(&c, &st, l, t, ex);
      assert_true(ex[0] < 8 && ex[1] < 8 && ex[0] != ex[1]);
      count[ex[0]]++;
      count[ex[1]]++;
    }
    for (int e = 0; e < 8; e++) assert_int_equal(count[e], 2);
  }
}

static void test_skewed(void **state) {
  (void)state;
  sc_model_config c = moe(8, 2);
  sc_llama_step st = {.tokens = 1, .max_seq = 64, .moe_skew = 1.2};
  double count[8] = {0};
  enum { N = 2000 };
  for (uint32_t t = 0; t < N; t++) {
    uint32_t a[2], b[2];
    sc_cc_moe_route(&c, &st, 0, t, a);
    sc_cc_moe_route(&c, &st, 0, t, b);
    assert_memory_equal(a, b, sizeof a); /* deterministic */
    assert_true(a[0] < 8 && a[1] < 8 && a[0] != a[1]);
    count[a[0]]++;
    count[a[1]]++;
  }
  /* the first draw follows p_e = (e+1)^-s / sum; the second is the same without the
   * first: for the common experts the totals stay within 10% of 2N p_e adjusted below */
  double w[8], total = 0;
  for (int e = 0; e < 8; e++) total += w[e] = pow(e + 1.0, -1.2);
  for (int e = 0; e + 1 < 8; e++) assert_true(count[e] > count[e + 1]);
  /* expert 0 is drawn first with probability p0 and second with sum_{f != 0} p_f p0 / (1 - p_f) */
  double p0 = w[0] / total, second = 0;
  for (int f = 1; f < 8; f++) second += (w[f] / total) * p0 / (1 - w[f] / total);
  double want = N * (p0 + second);
  print_message("  skewed s=1.2: expert 0 taken %.0f times of %d tokens (expected %.0f)\n",
                count[0], N, want);
  assert_true(fabs(count[0] - want) < 0.1 * want);
}

static void test_graph_has_used_experts(void **state) {
  (void)state;
  sc_model_config c = moe(8, 2);
  for (double skew = 0; skew < 2; skew += 1.5) {
    for (uint32_t T = 1; T <= 8; T *= 8) {
      sc_llama_step st = {.tokens = T, .max_seq = 64, .batch = T, .moe_skew = skew};
      sc_graph *g;
      char err[512];
      if (sc_cc_llama_graph(&c, &st, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
      for (uint32_t l = 0; l < c.n_layers; l++) {
        bool used[8] = {0};
        for (uint32_t t = 0; t < T; t++) {
          uint32_t ex[2];
          sc_cc_moe_route(&c, &st, l, t, ex);
          used[ex[0]] = used[ex[1]] = true;
        }
        char name[64];
        snprintf(name, sizeof name, "l%u.router", l);
        bool router = false;
        int experts = 0, want = 0;
        for (int e = 0; e < 8; e++) want += used[e];
        for (size_t i = 0; i < sc_graph_count(g); i++) {
          const sc_gvalue *v = sc_graph_value(g, (uint32_t)i);
          if (strcmp(v->name, name) == 0) router = true;
          for (int e = 0; e < 8; e++) {
            char gate[64];
            snprintf(gate, sizeof gate, "l%u.e%d.gate", l, e);
            if (strcmp(v->name, gate) == 0) {
              assert_true(used[e]);
              assert_int_equal(v->op, SC_GOP_MATMUL);
              experts++;
            }
          }
        }
        assert_true(router);
        assert_int_equal(experts, want);
      }
      sc_graph_destroy(g);
    }
  }
}

static void test_mixtral_compiles(void **state) {
  (void)state;
  sc_model_config c;
  assert_int_equal(sc_model_config_builtin("mixtral-8x7b", &c), SC_STATUS_OK);
  assert_int_equal(c.n_experts, 8);
  assert_int_equal(c.n_experts_used, 2);
  c.n_layers = 2; /* the structure, quickly */
  sc_llama_step st = {.tokens = 1, .max_seq = 256};
  sc_graph *g;
  char err[512];
  if (sc_cc_llama_graph(&c, &st, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_cc_options opt = {.wdtype = SC_CC_FP8, .no_weights = true};
  sc_program *p;
  if (sc_cc_compile_opts(g, NULL, arch, &opt, &p, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_prog_destroy(p);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_uniform),
      cmocka_unit_test(test_skewed),
      cmocka_unit_test(test_graph_has_used_experts),
      cmocka_unit_test(test_mixtral_compiles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
