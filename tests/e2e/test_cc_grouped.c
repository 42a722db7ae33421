/* test_cc_grouped.c: grouped matmuls (docs/COMPILER.md, "Grouped matmuls"):
 * y[t, g, n] = sum_k x[t, g, k] * w[g, n, k], each group of rows of x against
 * its own weight matrix (multi-head latent attention's per-head key and value
 * up-projections).
 *
 * A graph embeds T tokens (rows of G * K), views them as [T, G, K] and
 * multiplies by a synthetic model's weight read as [G, N, K] (G = 4 groups
 * of K = 128 and N = 256, or 2 of K = 256 (two chunks) and N = 128; T = 1
 * or 3). Run on the simulated chip:
 * - f32 (the tile path): every output within 1e-5 (relative to the row's
 *   largest) of the same sums done here in double precision from the
 *   model's tensors, so each row used its own group's weights and inputs;
 * - bf16 and fp8 as GEMVs (a load of x per tile) and on the tile path
 *   (`no_gemv`): bit-identical to each other, in the functional and the
 *   timed modes; the bf16 results within 2% of the host's sums.
 * One group of 8 to 128 outputs (a router, a RoPE key) is done on the VPU,
 * one block of 1 to 8 outputs a core: the same checks. */
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
#include "seedchip/runtime.h"
#include "seedchip/util.h"

typedef struct gcase {
  uint32_t T, G, K, N; /* tokens, groups, K and outputs per group */
} gcase;

/* The model: token_embd [V, G * K], blk.0.ffn_gate [hidden, G * K] read as
 * [G, N / G, K] (hidden = N / G). */
static sc_model *model_for(const gcase *c) {
  sc_model_config cfg = {.dim = c->G * c->K,
                         .hidden_dim = c->N / c->G,
                         .n_layers = 1,
                         .n_heads = 1,
                         .n_kv_heads = 1,
                         .vocab_size = 40,
                         .max_seq_len = 8,
                         .tied_embeddings = true};
  sc_model *m;
  char err[256];
  if (sc_model_synthetic(&cfg, 77, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  return m;
}

static sc_graph *graph_for(const gcase *c) {
  sc_graph *g = sc_graph_create("grouped");
  int64_t D = (int64_t)c->G * c->K;
  uint32_t tok = (uint32_t)sc_graph_input(g, "tokens", SC_DTYPE_INT32, 1, (int64_t[]){c->T});
  (void)sc_graph_input(g, "pos", SC_DTYPE_INT32, 1, (int64_t[]){c->T});
  uint32_t emb =
      (uint32_t)sc_graph_const(g, "token_embd.weight", SC_DTYPE_FP32, 2, (int64_t[]){40, D}, NULL);
  /* one group: a plain matmul of x [T, K] by w [N, K] */
  uint32_t w =
      c->G == 1
          ? (uint32_t)sc_graph_const(g, "w", SC_DTYPE_FP32, 2, (int64_t[]){c->N, c->K},
                                     "blk.0.ffn_gate.weight")
          : (uint32_t)sc_graph_const(g, "w", SC_DTYPE_FP32, 3, (int64_t[]){c->G, c->N / c->G, c->K},
                                     "blk.0.ffn_gate.weight");
  uint32_t x = (uint32_t)sc_graph_op(g, "x", SC_GOP_EMBEDDING, (uint32_t[]){emb, tok}, 2, NULL);
  sc_gattrs rs = {.rank = 3, .shape = {c->T, c->G, c->K}}, tb = {.trans_b = 1};
  uint32_t xg =
      c->G == 1 ? x : (uint32_t)sc_graph_op(g, "xg", SC_GOP_RESHAPE, (uint32_t[]){x}, 1, &rs);
  uint32_t y = (uint32_t)sc_graph_op(g, "y", SC_GOP_MATMUL, (uint32_t[]){xg, w}, 2, &tb);
  sc_graph_output(g, y);
  sc_strbuf errs = {0};
  if (sc_graph_verify(g, &errs) != SC_STATUS_OK) fail_msg("%s", sc_strbuf_str(&errs));
  sc_strbuf_free(&errs);
  const sc_gvalue *yv = sc_graph_value(g, y);
  assert_int_equal(yv->shape[yv->rank - 1], c->N / c->G);
  return g;
}

/* Runs the graph compiled with t (GEMVs or not) in mode; y gets T x N. */
static void run(const gcase *c, const sc_graph *g, const sc_model *m, const sc_arch *arch,
                sc_cc_wdtype t, bool no_gemv, sc_sim_mode mode, const int32_t *toks, float *y) {
  char err[1024];
  /* one group of few outputs on all 16 cores (by default it would take as
   * many as its one or two tiles') */
  bool vdot = c->T == 1 && c->G == 1 && c->N <= 128;
  sc_cc_options opt = {.wdtype = t, .no_gemv = no_gemv, .cores = vdot ? 16 : 0};
  sc_program *prog;
  sc_strbuf listing = {0};
  if (sc_cc_compile_opts(g, m, arch, &opt, &prog, &listing, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s: %s", sc_cc_wdtype_name(t), err);
  /* a GEMV's weight DMAs and its store are 3-D, and (one row, at most 16
   * outputs: one a core) the VPU does its sums, a row of weights by a
   * product and a row sum; the tile path has neither */
  if (t != SC_CC_F32) {
    const char *ls = sc_strbuf_str(&listing);
    assert_true((strstr(ls, "dma.3d") != NULL) == !no_gemv);
    assert_true((strstr(ls, "vpu.rsum sram[x6]:fp32, sram[x7]:fp32") != NULL) ==
                (!no_gemv && vdot));
  }
  sc_strbuf_free(&listing);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *p;
  if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  size_t n = (size_t)c->T * c->N;
  assert_int_equal(sc_rt_bind(p, "y", y, n * sizeof *y), SC_STATUS_OK);
  if (c->T > 1)
    assert_int_equal(sc_rt_bind(p, "tokens", (void *)toks, c->T * sizeof *toks), SC_STATUS_OK);
  assert_int_equal(sc_rt_set_mode(dev, mode, false), SC_STATUS_OK);
  sc_rt_set_args(dev, (const uint64_t[]){(uint64_t)toks[0], 0}, 2);
  assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
  if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  sc_rt_close(dev);
  sc_prog_destroy(prog);
}

/* The host's sums in double precision; the worst error of y relative to
 * each row's largest. */
static double host_error(const gcase *c, const sc_model *m, const int32_t *toks, const float *y) {
  const sc_tensor *te = sc_model_tensor(m, "token_embd.weight");
  const sc_tensor *tw = sc_model_tensor(m, "blk.0.ffn_gate.weight");
  uint32_t D = c->G * c->K, Ng = c->N / c->G;
  float *x = malloc(D * sizeof *x), *w = malloc((size_t)c->N * c->K * sizeof *w);
  assert_non_null(x);
  assert_non_null(w);
  sc_tensor_to_f32(tw, 0, (uint64_t)c->N * c->K, w);
  double worst = 0;
  for (uint32_t t = 0; t < c->T; t++) {
    sc_tensor_to_f32(te, (uint64_t)toks[t] * D, D, x);
    double want[1024], big = 0;
    for (uint32_t g = 0; g < c->G; g++)
      for (uint32_t n = 0; n < Ng; n++) {
        double s = 0;
        for (uint32_t k = 0; k < c->K; k++)
          s += (double)x[g * c->K + k] * (double)w[((size_t)g * Ng + n) * c->K + k];
        want[g * Ng + n] = s;
        big = fmax(big, fabs(s));
      }
    for (uint32_t j = 0; j < c->N; j++)
      worst = fmax(worst, fabs((double)y[(size_t)t * c->N + j] - want[j]) / big);
  }
  free(x);
  free(w);
  return worst;
}

static void check(const gcase *c) {
  sc_model *m = model_for(c);
  sc_graph *g = graph_for(c);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  int32_t toks[4] = {3, 17, 39, 8};
  size_t n = (size_t)c->T * c->N;
  float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *d = malloc(n * sizeof *d);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(d);
  run(c, g, m, arch, SC_CC_F32, false, SC_SIM_TIMED, toks, a);
  double e32 = host_error(c, m, toks, a);
  assert_true(e32 < 1e-5);
  static const sc_cc_wdtype low[2] = {SC_CC_BF16, SC_CC_FP8};
  double elow[2];
  for (int i = 0; i < 2; i++) {
    run(c, g, m, arch, low[i], false, SC_SIM_FUNCTIONAL, toks, a);
    run(c, g, m, arch, low[i], true, SC_SIM_FUNCTIONAL, toks, b);
    run(c, g, m, arch, low[i], false, SC_SIM_TIMED, toks, d);
    assert_memory_equal(a, b, n * sizeof *a);
    assert_memory_equal(a, d, n * sizeof *a);
    elow[i] = host_error(c, m, toks, a);
  }
  assert_true(elow[0] < 0.02);
  print_message("  T %u, %u groups of K %u and N %u: f32 error %.3g; bf16 %.3g and fp8 %.3g, "
                "GEMV = tile path bit for bit\n",
                c->T, c->G, c->K, c->N / c->G, e32, elow[0], elow[1]);
  free(a);
  free(b);
  free(d);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  sc_model_free(m);
}

static void test_one_token(void **state) {
  (void)state;
  check(&(gcase){1, 4, 128, 4 * 256}); /* 2 tiles per group */
}

static void test_three_tokens_two_chunks(void **state) {
  (void)state;
  check(&(gcase){3, 2, 256, 2 * 128}); /* K in 2 chunks, one tile per group */
}

/* One group of few outputs on 16 cores (a mixture's router: 8 of K = 4096,
 * 32 chunks; 16 of K = 256; latent attention's RoPE key: 64 of K = 7168;
 * 128 of K = 256): blocks of 1, 1, 4 and 8 outputs a core, done on the VPU
 * (gemv_vdot), bit for bit the tile path's. */
static void test_few_outputs(void **state) {
  (void)state;
  check(&(gcase){1, 1, 4096, 8});
  check(&(gcase){1, 1, 256, 16});
  check(&(gcase){1, 1, 7168, 64});
  check(&(gcase){1, 1, 256, 128});
}

/* Groups whose outputs are not whole MXU tiles are refused with a reason. */
static void test_partial_tiles_refused(void **state) {
  (void)state;
  gcase c = {1, 2, 128, 2 * 64};
  sc_model *m = model_for(&c);
  sc_graph *g = graph_for(&c);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_program *prog;
  char err[512];
  assert_int_equal(sc_cc_compile(g, m, arch, &prog, NULL, err, sizeof err), SC_STATUS_UNSUPPORTED);
  assert_non_null(strstr(err, "%y: a grouped matmul's 64 outputs per group are not whole tiles"));
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  sc_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_token),
      cmocka_unit_test(test_three_tokens_two_chunks),
      cmocka_unit_test(test_few_outputs),
      cmocka_unit_test(test_partial_tiles_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
