/* test_cc_tp.c: tensor and pipeline parallelism (docs/COMPILER.md, "Tensor
 * parallelism", "Pipeline parallelism"):
 * a decode step split over 2 and 4 chips of a simulated system, against the
 * same step on one chip and against the FP32 reference forward pass.
 *
 * Two synthetic models (dim 256, 8 query heads of 32 over 4 kv heads, hidden
 * 1024, vocabulary 2048, 2 layers; one with tied embeddings, one untied with
 * Qwen2-style q/k/v biases) run 12 positions, each chip holding its share of
 * the heads, hidden units and vocabulary:
 * - every chip ends each step with the same logits, bit for bit (all_gather),
 *   and the timed mode gives the functional mode's bits;
 * - f32: within 2e-6 of the one-chip program's logits (relative to the
 *   largest; the row-parallel projections' FP32 sums are added in another
 *   order) and within 1e-4 of the reference, with the same greedy tokens;
 * - bf16: within 2e-2 of one chip, the same top-1 token at every position;
 * - fp8: each chip scales its own slice of the activations, so the bits
 *   differ from one chip's; the error from the reference stays within 1.5x
 *   one chip's (+0.01) and the top-1 agreement within one position of it.
 * A wrong shard, a missing all_reduce or a wrong gather breaks these by
 * orders of magnitude.
 * Pipelines of 2 and 3 stages (2, 3 and 5 layers; f32, fp8, int4) give one
 * chip's logits bit for bit, functional and timed. A latent-attention model
 * (4 heads) over 2 and 4 chips: f32 within 2e-6 of one chip, bf16 2e-2, fp8
 * as the other fp8 runs (against the reference). */
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
#include "seedchip/system.h"
#include "seedchip/util.h"

enum { STEPS = 12, SEQ = 16 };

typedef struct run {
  sc_program *prog;
  sc_device *dev;
  sc_rt_program *p;
  float *logits;
  uint32_t chips;
} run;

static void open_run_pp(run *r, const sc_model *m, const sc_arch *arch, sc_cc_wdtype t,
                        uint32_t chips, uint32_t pp) {
  char err[1024];
  sc_llama_step st = {.tokens = 1, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32, .pp = pp};
  sc_cc_options opt = {.wdtype = t};
  if (sc_cc_compile_tp(sc_model_config_of(m), &st, m, arch, &opt, chips, &r->prog, NULL, err,
                       sizeof err) != SC_STATUS_OK)
    fail_msg("%s over %u chips: %s", sc_cc_wdtype_name(t), chips, err);
  sc_system sys;
  sc_strbuf e = {0};
  if (sc_system_of(arch, chips, chips > 2 ? SC_SYS_RING : SC_SYS_SWITCH, &sys, &e) != SC_STATUS_OK)
    fail_msg("%s", sc_strbuf_str(&e));
  sc_strbuf_free(&e);
  assert_int_equal(sc_rt_open_system(&sys, &r->dev, err, sizeof err), SC_STATUS_OK);
  if (sc_rt_load(r->dev, r->prog, NULL, &r->p) != SC_STATUS_OK)
    fail_msg("%s", sc_rt_errmsg(r->dev));
  uint32_t V = sc_model_config_of(m)->vocab_size;
  r->logits = malloc(V * sizeof *r->logits);
  assert_non_null(r->logits);
  char name[32] = "logits"; /* a pipeline's logits are on its last chip */
  if (pp > 1) snprintf(name, sizeof name, "chip%u/logits", pp - 1);
  assert_int_equal(sc_rt_bind(r->p, name, r->logits, V * sizeof *r->logits), SC_STATUS_OK);
  r->chips = pp > 1 ? 1 : chips; /* chips whose logits agree */
}

static void open_run(run *r, const sc_model *m, const sc_arch *arch, sc_cc_wdtype t,
                     uint32_t chips) {
  open_run_pp(r, m, arch, t, chips, 0);
}

static void step(run *r, sc_sim_mode mode, int32_t tok, uint32_t pos) {
  assert_int_equal(sc_rt_set_mode(r->dev, mode, false), SC_STATUS_OK);
  sc_rt_set_args(r->dev, (const uint64_t[]){(uint64_t)tok, pos}, 2);
  assert_int_equal(sc_rt_launch(r->dev, r->p), SC_STATUS_OK);
  if (sc_rt_wait(r->dev) != SC_STATUS_OK) fail_msg("position %u: %s", pos, sc_rt_errmsg(r->dev));
}

/* Every chip's copy of the logits equals chip 0's. */
static void check_chips_agree(run *r, uint32_t V) {
  float *other = malloc(V * sizeof *other);
  assert_non_null(other);
  for (uint32_t c = 1; c < r->chips; c++) {
    char name[32];
    snprintf(name, sizeof name, "chip%u/logits", c);
    uint64_t addr, size;
    assert_int_equal(sc_rt_buffer(r->p, name, &addr, &size), SC_STATUS_OK);
    assert_int_equal(size, V * sizeof *other);
    assert_int_equal(addr >> SC_SYS_CHIP_SHIFT, c);
    assert_int_equal(sc_rt_copy_from_device(r->dev, other, addr, size), SC_STATUS_OK);
    if (memcmp(other, r->logits, size) != 0) fail_msg("chip %u's logits differ from chip 0's", c);
  }
  free(other);
}

static void close_run(run *r) {
  free(r->logits);
  sc_rt_close(r->dev);
  sc_prog_destroy(r->prog);
}

static sc_model *model_layers(bool tied, uint32_t layers) {
  sc_model_config cfg = {.dim = 256,
                         .hidden_dim = 1024,
                         .n_layers = layers,
                         .n_heads = 8,
                         .n_kv_heads = 4,
                         .head_dim = 32,
                         .vocab_size = 2048,
                         .max_seq_len = SEQ,
                         .tied_embeddings = tied,
                         .qkv_bias = !tied};
  char err[512];
  sc_model *m;
  if (sc_model_synthetic(&cfg, tied ? 7 : 8, &m, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  return m;
}

static sc_model *model(bool tied) {
  return model_layers(tied, 2);
}

static int32_t argmax(const float *x, uint32_t n) {
  int32_t a = 0;
  for (uint32_t i = 1; i < n; i++)
    if (x[i] > x[a]) a = (int32_t)i;
  return a;
}

static double rel_diff(const float *a, const float *b, uint32_t n) {
  float scale = 0;
  double worst = 0;
  for (uint32_t i = 0; i < n; i++) scale = fmaxf(scale, fabsf(b[i]));
  for (uint32_t i = 0; i < n; i++) {
    double e = fabs((double)a[i] - (double)b[i]) / (double)scale;
    if (!(e <= worst)) worst = e; /* NaN makes it NaN */
  }
  return worst;
}

/* chips chips against one chip and the FP32 reference, the reference's
 * greedy tokens fed back. bound: the largest difference from one chip
 * allowed (relative to the largest logit), or 0 to compare both with the
 * reference instead (fp8: each chip quantizes its own slice of the
 * activations with its own scale, so the two runs round differently). */
static void check_model(sc_model *m, const char *what, sc_cc_wdtype t, uint32_t chips,
                        double bound) {
  const uint32_t V = sc_model_config_of(m)->vocab_size;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  run one = {0}, tp = {0};
  open_run(&one, m, arch, t, 1);
  open_run(&tp, m, arch, t, chips);
  sc_ref *ref = NULL;
  char err[512];
  if (sc_ref_create(m, SEQ, &ref, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  int32_t tok = 1;
  double worst = 0, e_tp = 0, e_one = 0;
  int agree_tp = 0, agree_one = 0, same = 0;
  for (uint32_t pos = 0; pos < STEPS; pos++) {
    step(&one, SC_SIM_FUNCTIONAL, tok, pos);
    step(&tp, SC_SIM_FUNCTIONAL, tok, pos);
    check_chips_agree(&tp, V);
    double d = rel_diff(tp.logits, one.logits, V);
    if (bound > 0 && !(d <= bound))
      fail_msg("%s %s over %u chips, position %u: %g from one chip (bound %g)", what,
               sc_cc_wdtype_name(t), chips, pos, d, bound);
    if (d > worst) worst = d;
    const float *want = sc_ref_forward(ref, tok, pos);
    assert_non_null(want);
    double a = rel_diff(tp.logits, want, V), b = rel_diff(one.logits, want, V);
    if (a > e_tp) e_tp = a;
    if (b > e_one) e_one = b;
    int32_t rt = argmax(want, V);
    agree_tp += argmax(tp.logits, V) == rt;
    agree_one += argmax(one.logits, V) == rt;
    same += argmax(tp.logits, V) == argmax(one.logits, V);
    if (pos == STEPS - 1) { /* timed: the same bits (rewriting this position's cache rows) */
      float *bits = malloc(V * sizeof *bits);
      assert_non_null(bits);
      memcpy(bits, tp.logits, V * sizeof *bits);
      step(&tp, SC_SIM_TIMED, tok, pos);
      assert_memory_equal(tp.logits, bits, V * sizeof *bits);
      const sc_profile *p = sc_rt_profile(tp.dev);
      assert_non_null(p);
      assert_int_equal(p->chips, chips);
      assert_true(p->actions.link_bytes > 0);
      free(bits);
    }
    tok = rt;
  }
  print_message("  %-6s %-5s %u chips: %.3g from one chip (top-1 same %d/%d); from the "
                "reference %.3g (one chip %.3g), top-1 %d/%d (one chip %d/%d)\n",
                what, sc_cc_wdtype_name(t), chips, worst, same, STEPS, e_tp, e_one, agree_tp, STEPS,
                agree_one, STEPS);
  if (bound > 0) {
    assert_int_equal(same, STEPS);
  } else { /* no worse than one chip's own quantization, give or take */
    if (!(e_tp <= 1.5 * e_one + 0.01) || agree_tp < agree_one - 1)
      fail_msg("%u chips: %.3g from the reference, top-1 %d/%d; one chip %.3g, %d/%d", chips, e_tp,
               agree_tp, STEPS, e_one, agree_one, STEPS);
  }
  if (t == SC_CC_F32) {
    assert_true(e_tp < 1e-4);
    assert_int_equal(agree_tp, STEPS);
  }
  sc_ref_free(ref);
  close_run(&tp);
  close_run(&one);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

static void check(bool tied, sc_cc_wdtype t, uint32_t chips, double bound) {
  check_model(model(tied), tied ? "tied" : "untied", t, chips, bound);
}

/* Multi-head latent attention (docs/COMPILER.md): 4 heads over 2 and 4
 * chips, each chip its heads' rows of attn_q_b (a box of the per-head view),
 * of attn_k_b and attn_v_b, attn_output's columns, and the whole latent
 * cache; f32 within 2e-6 of one chip, bf16 within 2e-2, fp8 no worse than
 * one chip against the reference; timed = functional bit for bit. */
static sc_model *mla_model(void) {
  sc_model_config cfg = {.dim = 256,
                         .hidden_dim = 1024,
                         .n_layers = 2,
                         .n_heads = 4,
                         .n_kv_heads = 4,
                         .head_dim = 192,
                         .vocab_size = 2048,
                         .max_seq_len = SEQ,
                         .tied_embeddings = true,
                         .q_lora_rank = 128,
                         .kv_lora_rank = 128,
                         .qk_nope_dim = 128,
                         .qk_rope_dim = 64,
                         .v_head_dim = 128};
  char err[512];
  sc_model *m;
  if (sc_model_synthetic(&cfg, 9, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  return m;
}

static void test_mla(void **state) {
  (void)state;
  check_model(mla_model(), "mla", SC_CC_F32, 2, 2e-6);
  check_model(mla_model(), "mla", SC_CC_F32, 4, 2e-6);
  check_model(mla_model(), "mla", SC_CC_BF16, 2, 2e-2);
  check_model(mla_model(), "mla", SC_CC_FP8, 2, 0);
}

static void test_f32(void **state) {
  (void)state;
  check(true, SC_CC_F32, 2, 2e-6);
  check(false, SC_CC_F32, 4, 2e-6);
}

static void test_bf16(void **state) {
  (void)state;
  check(true, SC_CC_BF16, 2, 2e-2);
  check(false, SC_CC_BF16, 4, 2e-2);
}

static void test_fp8(void **state) {
  (void)state;
  check(true, SC_CC_FP8, 2, 0);
  check(false, SC_CC_FP8, 4, 0);
}

/* A pipeline of pp stages, one per chip, each its share of the layers:
 * the same ops in the same order as one chip, so the same bits, in every
 * dtype; the timed mode too. */
static void check_pp(sc_cc_wdtype t, uint32_t layers, uint32_t pp) {
  sc_model *m = model_layers(false, layers);
  const uint32_t V = sc_model_config_of(m)->vocab_size;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  run one = {0}, pl = {0};
  open_run(&one, m, arch, t, 1);
  open_run_pp(&pl, m, arch, t, pp, pp);
  int32_t tok = 3;
  for (uint32_t pos = 0; pos < STEPS; pos++) {
    step(&one, SC_SIM_FUNCTIONAL, tok, pos);
    step(&pl, pos == STEPS - 1 ? SC_SIM_TIMED : SC_SIM_FUNCTIONAL, tok, pos);
    if (memcmp(pl.logits, one.logits, V * sizeof *one.logits) != 0)
      fail_msg("%s, %u layers in %u stages, position %u: the logits differ from one chip's",
               sc_cc_wdtype_name(t), layers, pp, pos);
    tok = argmax(one.logits, V);
  }
  const sc_profile *p = sc_rt_profile(pl.dev);
  assert_non_null(p);
  assert_int_equal(p->chips, pp);
  /* the residual crossed pp - 1 times: T x D fp32 each */
  assert_int_equal(p->actions.link_bytes, (uint64_t)(pp - 1) * 256 * 4);
  print_message("  %-5s %u layers in %u stages: %d positions bit-identical to one chip\n",
                sc_cc_wdtype_name(t), layers, pp, STEPS);
  close_run(&pl);
  close_run(&one);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

static void test_pipeline(void **state) {
  (void)state;
  check_pp(SC_CC_F32, 2, 2);
  check_pp(SC_CC_FP8, 3, 3);
  check_pp(SC_CC_INT4, 5, 2);
}

/* Shapes tensor parallelism refuses: kv heads, hidden units or vocabulary
 * that the chips do not divide. */
static void test_refused(void **state) {
  (void)state;
  sc_model_config cfg = {.dim = 64,
                         .hidden_dim = 96,
                         .n_layers = 1,
                         .n_heads = 4,
                         .n_kv_heads = 2,
                         .head_dim = 16,
                         .vocab_size = 100,
                         .max_seq_len = SEQ,
                         .norm_eps = 1e-5f,
                         .rope_theta = 10000};
  sc_llama_step st = {.tokens = 1, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32, .tp = 4};
  sc_graph *g;
  char err[256];
  assert_int_equal(sc_cc_llama_graph(&cfg, &st, &g, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(strstr(err, "do not divide"));
  st.tp = 2;
  st.tp_chip = 2;
  assert_int_equal(sc_cc_llama_graph(&cfg, &st, &g, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(strstr(err, "chip 2 of"));
  /* a good split builds, with two all_reduce per layer and one all_gather */
  st.tp_chip = 1;
  if (sc_cc_llama_graph(&cfg, &st, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  int reduce = 0, gather = 0;
  for (uint32_t i = 0; i < sc_graph_count(g); i++) {
    const sc_gvalue *v = sc_graph_value(g, i);
    if (v->kind != SC_GV_OP) continue;
    reduce += v->op == SC_GOP_ALL_REDUCE;
    gather += v->op == SC_GOP_ALL_GATHER;
    if (v->op == SC_GOP_ALL_GATHER) assert_int_equal(v->shape[1], 100);
  }
  assert_int_equal(reduce, 2);
  assert_int_equal(gather, 1);
  const sc_gvalue *wq = sc_graph_value(g, (uint32_t)sc_graph_find(g, "blk.0.attn_q.weight"));
  assert_int_equal(wq->shape[0], 32); /* 2 of 4 heads of 16 */
  assert_int_equal(wq->slice_start[0], 32);
  assert_int_equal(wq->slice_full[0], 64);
  assert_int_equal(wq->slice_full[1], 0);
  sc_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refused), cmocka_unit_test(test_f32),      cmocka_unit_test(test_bf16),
      cmocka_unit_test(test_fp8),     cmocka_unit_test(test_pipeline), cmocka_unit_test(test_mla),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
