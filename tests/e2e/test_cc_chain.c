/* test_cc_chain.c: element-wise chains a GEMV's epilogue does
 * (docs/COMPILER.md, "Epilogue chains").
 *
 * A graph embeds one token (x, a row of K = 512) and multiplies it by a
 * synthetic model's q weight (y = x W^T, N = 512), then
 *   m1 = y * r1        (a multiply by a row computed before: a routing weight)
 *   a1 = x + m1        (an add with the chain's value second: a residual)
 *   m2 = r2 * a1       (a multiply with the chain's value second)
 * where r1 and r2 are two of the model's norm weights viewed as [1, N]. In
 * bf16 and fp8, on 4 cores (the default: one tile each) and on 16 (blocks of
 * 32 outputs), the GEMV does all three on its columns and stores m2 alone:
 * the listing has the products and the sum in its epilogue, and m2 is bit for
 * bit the tile path's (`no_gemv`: each op on its own), in the functional and
 * the timed modes. f32 (the tile path) is within 1e-5 of the same arithmetic
 * done here in double precision, so the operands and their order are the
 * graph's. A chain that multiplied by r1 twice, or dropped the residual,
 * would fail both. (The chain's operands take SRAM B, a row of x: with a
 * row of 256 only two of the three fit, and the GEMV stores a1.) */
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

enum { D = 512, TOK = 17 };

static sc_model *model(void) {
  sc_model_config cfg = {.dim = D,
                         .hidden_dim = 512,
                         .n_layers = 1,
                         .n_heads = 2,
                         .n_kv_heads = 2,
                         .vocab_size = 40,
                         .max_seq_len = 8,
                         .tied_embeddings = true};
  sc_model *m;
  char err[256];
  if (sc_model_synthetic(&cfg, 91, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  return m;
}

static sc_graph *graph(void) {
  sc_graph *g = sc_graph_create("chain");
  uint32_t tok = (uint32_t)sc_graph_input(g, "tokens", SC_DTYPE_INT32, 1, (int64_t[]){1});
  (void)sc_graph_input(g, "pos", SC_DTYPE_INT32, 1, (int64_t[]){1});
  uint32_t emb =
      (uint32_t)sc_graph_const(g, "token_embd.weight", SC_DTYPE_FP32, 2, (int64_t[]){40, D}, NULL);
  uint32_t w =
      (uint32_t)sc_graph_const(g, "w", SC_DTYPE_FP32, 2, (int64_t[]){D, D}, "blk.0.attn_q.weight");
  uint32_t r1 = (uint32_t)sc_graph_const(g, "r1", SC_DTYPE_FP32, 2, (int64_t[]){1, D},
                                         "blk.0.attn_norm.weight");
  uint32_t r2 = (uint32_t)sc_graph_const(g, "r2", SC_DTYPE_FP32, 2, (int64_t[]){1, D},
                                         "blk.0.ffn_norm.weight");
  uint32_t x = (uint32_t)sc_graph_op(g, "x", SC_GOP_EMBEDDING, (uint32_t[]){emb, tok}, 2, NULL);
  sc_gattrs tb = {.trans_b = 1};
  uint32_t y = (uint32_t)sc_graph_op(g, "y", SC_GOP_MATMUL, (uint32_t[]){x, w}, 2, &tb);
  uint32_t m1 = (uint32_t)sc_graph_op(g, "m1", SC_GOP_MUL, (uint32_t[]){y, r1}, 2, NULL);
  uint32_t a1 = (uint32_t)sc_graph_op(g, "a1", SC_GOP_ADD, (uint32_t[]){x, m1}, 2, NULL);
  uint32_t m2 = (uint32_t)sc_graph_op(g, "m2", SC_GOP_MUL, (uint32_t[]){r2, a1}, 2, NULL);
  sc_graph_output(g, m2);
  sc_strbuf errs = {0};
  if (sc_graph_verify(g, &errs) != SC_STATUS_OK) fail_msg("%s", sc_strbuf_str(&errs));
  sc_strbuf_free(&errs);
  return g;
}

/* Runs the graph compiled with t on `cores` (0: the default) in mode; out
 * gets m2. */
static void run(const sc_graph *g, const sc_model *m, const sc_arch *arch, sc_cc_wdtype t,
                bool no_gemv, uint32_t cores, sc_sim_mode mode, float *out) {
  char err[1024];
  sc_cc_options opt = {.wdtype = t, .no_gemv = no_gemv, .cores = cores};
  sc_program *prog;
  sc_strbuf listing = {0};
  if (sc_cc_compile_opts(g, m, arch, &opt, &prog, &listing, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s: %s", sc_cc_wdtype_name(t), err);
  if (t != SC_CC_F32) { /* the GEMV's epilogue: two products and a sum, after its drain */
    const char *ls = sc_strbuf_str(&listing), *d = strstr(ls, "mxu.drain");
    bool chain = d && strstr(d, "vpu.mul sram[x6]:fp32, sram[x6]:fp32, sram[x7]:fp32") &&
                 strstr(d, "vpu.add sram[x6]:fp32, sram[x7]:fp32, sram[x6]:fp32") &&
                 strstr(d, "vpu.mul sram[x6]:fp32, sram[x7]:fp32, sram[x6]:fp32");
    assert_true(chain == !no_gemv);
  }
  sc_strbuf_free(&listing);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *p;
  if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  assert_int_equal(sc_rt_bind(p, "m2", out, D * sizeof *out), SC_STATUS_OK);
  assert_int_equal(sc_rt_set_mode(dev, mode, false), SC_STATUS_OK);
  sc_rt_set_args(dev, (const uint64_t[]){TOK, 0}, 2);
  assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
  if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  sc_rt_close(dev);
  sc_prog_destroy(prog);
}

/* m2 in double precision from the model's tensors; the worst error of out
 * relative to its largest value. */
static double host_error(const sc_model *m, const float *out) {
  float *x = malloc(D * sizeof *x), *w = malloc((size_t)D * D * sizeof *w);
  float *r1 = malloc(D * sizeof *r1), *r2 = malloc(D * sizeof *r2);
  assert_true(x && w && r1 && r2);
  sc_tensor_to_f32(sc_model_tensor(m, "token_embd.weight"), (uint64_t)TOK * D, D, x);
  sc_tensor_to_f32(sc_model_tensor(m, "blk.0.attn_q.weight"), 0, (uint64_t)D * D, w);
  sc_tensor_to_f32(sc_model_tensor(m, "blk.0.attn_norm.weight"), 0, D, r1);
  sc_tensor_to_f32(sc_model_tensor(m, "blk.0.ffn_norm.weight"), 0, D, r2);
  double want[D], big = 0, worst = 0;
  for (uint32_t n = 0; n < D; n++) {
    double y = 0;
    for (uint32_t k = 0; k < D; k++) y += (double)x[k] * (double)w[(size_t)n * D + k];
    want[n] = (double)r2[n] * ((double)x[n] + y * (double)r1[n]);
    big = fmax(big, fabs(want[n]));
  }
  for (uint32_t n = 0; n < D; n++) worst = fmax(worst, fabs((double)out[n] - want[n]) / big);
  free(x);
  free(w);
  free(r1);
  free(r2);
  return worst;
}

static void test_chain(void **state) {
  (void)state;
  sc_model *m = model();
  sc_graph *g = graph();
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  float a[D], b[D], c[D];
  run(g, m, arch, SC_CC_F32, false, 0, SC_SIM_TIMED, a);
  double e32 = host_error(m, a);
  assert_true(e32 < 1e-5);
  static const sc_cc_wdtype low[2] = {SC_CC_BF16, SC_CC_FP8};
  static const uint32_t cores[2] = {0, 16};
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) {
      run(g, m, arch, low[i], false, cores[j], SC_SIM_FUNCTIONAL, a);
      run(g, m, arch, low[i], true, cores[j], SC_SIM_FUNCTIONAL, b);
      run(g, m, arch, low[i], false, cores[j], SC_SIM_TIMED, c);
      assert_memory_equal(a, b, sizeof a);
      assert_memory_equal(a, c, sizeof a);
      print_message("  %-5s on %2u cores: the chain in the GEMV's epilogue = the ops alone, bit "
                    "for bit (error %.3g against the host)\n",
                    sc_cc_wdtype_name(low[i]), cores[j] ? cores[j] : 4, host_error(m, a));
    }
  print_message("  f32 error %.3g\n", e32);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  sc_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
