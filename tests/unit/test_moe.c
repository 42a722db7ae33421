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
#include "seedchip/runtime.h"
#include "seedchip/system.h"

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

/* Expert parallelism over 2 and 4 chips: chip c's graph holds, whole, the
 * used experts e with e mod chips == c (a chip with none adds zeros), its
 * share of the attention's heads, and one all_reduce after each of attention
 * and the experts; the chips' experts together are the used ones. A skewed
 * routing loads the chips unevenly: the system's timing-only run shows it. */
static void test_expert_parallel(void **state) {
  (void)state;
  sc_model_config c = moe(8, 2);
  c.n_kv_heads = 2; /* heads for 2 chips */
  c.n_heads = 4;
  for (uint32_t chips = 2; chips <= 4; chips *= 2) {
    if (c.n_kv_heads % chips) c.n_kv_heads = c.n_heads = chips;
    for (double skew = 0; skew < 3; skew += 2) {
      sc_llama_step st = {
          .tokens = 4, .max_seq = 64, .batch = 4, .moe_skew = skew, .tp = chips, .ep = true};
      int seen[2][8] = {{0}};
      for (uint32_t chip = 0; chip < chips; chip++) {
        st.tp_chip = chip;
        sc_graph *g;
        char err[512];
        if (sc_cc_llama_graph(&c, &st, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
        int reduce = 0;
        for (size_t i = 0; i < sc_graph_count(g); i++) {
          const sc_gvalue *v = sc_graph_value(g, (uint32_t)i);
          reduce += v->kind == SC_GV_OP && v->op == SC_GOP_ALL_REDUCE;
          unsigned l, e;
          char part[16];
          if (v->kind == SC_GV_CONST &&
              sscanf(v->name, "blk.%u.ffn_%15[a-z].%u.weight", &l, part, &e) == 3 &&
              strcmp(part, "gate") == 0) {
            assert_int_equal(e % chips, chip);
            assert_int_equal(v->shape[0], c.hidden_dim); /* whole */
            assert_int_equal(v->slice_full[0], 0);
            seen[l][e]++;
          }
        }
        assert_int_equal(reduce, 2 * (int)c.n_layers);
        sc_graph_destroy(g);
      }
      for (uint32_t l = 0; l < c.n_layers; l++) {
        bool used[8] = {0};
        for (uint32_t t = 0; t < 4; t++) {
          uint32_t ex[2];
          sc_cc_moe_route(&c, &st, l, t, ex);
          used[ex[0]] = used[ex[1]] = true;
        }
        for (int e = 0; e < 8; e++) assert_int_equal(seen[l][e], used[e] ? 1 : 0);
      }
    }
  }
  /* a timing-only run on 2 chips, skewed: the chip holding more of the used
   * experts (each runs every token of the step) keeps its MXU busier */
  c = moe(8, 2);
  c.n_kv_heads = 2;
  c.n_heads = 4;
  sc_llama_step st = {.tokens = 8, .max_seq = 64, .batch = 8, .moe_skew = 1.0, .tp = 2, .ep = true};
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_cc_options opt = {.wdtype = SC_CC_FP8, .no_weights = true};
  sc_program *p;
  char err[512];
  if (sc_cc_compile_tp(&c, &st, NULL, arch, &opt, 2, &p, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_system sys;
  assert_int_equal(sc_system_of(arch, 2, SC_SYS_SWITCH, &sys, NULL), SC_STATUS_OK);
  sc_device *dev;
  sc_rt_program *rp;
  assert_int_equal(sc_rt_open_system(&sys, &dev, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(sc_rt_set_mode(dev, SC_SIM_TIMING_ONLY, false), SC_STATUS_OK);
  if (sc_rt_load(dev, p, NULL, &rp) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  sc_rt_set_args(dev, (const uint64_t[]){1, 63}, 2);
  assert_int_equal(sc_rt_launch(dev, rp), SC_STATUS_OK);
  if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  const sc_profile *prof = sc_rt_profile(dev);
  assert_int_equal(prof->chips, 2);
  assert_true(prof->actions.link_bytes > 0);
  uint64_t busy[2] = {0, 0};
  for (uint32_t core = 0; core < prof->n_cores; core++)
    busy[core / 16] += prof->units[core][SC_UNIT_MXU].busy;
  int held[2] = {0, 0};
  for (uint32_t l = 0; l < c.n_layers; l++) {
    bool used[8] = {0};
    for (uint32_t t = 0; t < 8; t++) {
      uint32_t ex[2];
      sc_cc_moe_route(&c, &st, l, t, ex);
      used[ex[0]] = used[ex[1]] = true;
    }
    for (int e = 0; e < 8; e++) held[e % 2] += used[e];
  }
  print_message("  expert parallel, skewed routing: chip 0 holds %d used experts, MXU busy %llu "
                "cycles; chip 1 %d, %llu\n",
                held[0], (unsigned long long)busy[0], held[1], (unsigned long long)busy[1]);
  assert_true(held[0] != held[1]);
  assert_true((busy[0] > busy[1]) == (held[0] > held[1]));
  sc_rt_close(dev);
  sc_prog_destroy(p);
  sc_arch_destroy(arch);
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
      cmocka_unit_test(test_expert_parallel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
