/* test_cc_buffers.c: the intermediates' buffers (docs/COMPILER.md,
 * "Buffers"): a step's intermediates share one scratch buffer in which a
 * block is taken again once its values are dead.
 *
 * A synthetic model of 4 layers is compiled with the blocks reused and with
 * every intermediate in memory of its own (`no_reuse`), in f32 (the tile
 * paths) and fp8 (GEMV groups, fused RMSNorms and SwiGLUs, residual adds
 * done by the GEMVs: values written before their op's turn). Both run the
 * same tokens, a prefill of 8 then decode steps on the cache it wrote, and
 * give bit-identical logits, in the functional and the timed modes; the
 * reused scratch is under half the other's (the 4 layers' intermediates
 * take one layer's room, about). */
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

enum { SEQ = 32, PREFILL = 8, STEPS = 14, V = 500 };

typedef struct side {
  sc_program *dprog, *pprog;
  sc_device *dev;
  sc_rt_program *dp, *pp;
  float dlog[V], plog[PREFILL * V];
  int32_t toks[PREFILL];
} side;

static uint64_t scratch_of(const sc_program *p) {
  const sc_prog_buffer *b = sc_prog_find_buffer(p, "cc.scratch");
  assert_non_null(b);
  return b->size_bytes;
}

static void open_side(side *s, const sc_graph *dg, const sc_graph *pg, const sc_model *m,
                      const sc_arch *arch, sc_cc_wdtype t, bool no_reuse) {
  char err[1024];
  sc_cc_options o = {.wdtype = t, .no_reuse = no_reuse};
  if (sc_cc_compile_opts(dg, m, arch, &o, &s->dprog, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  o.scratch_base = sc_cc_program_end(s->dprog);
  if (sc_cc_compile_opts(pg, m, arch, &o, &s->pprog, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  assert_int_equal(sc_rt_open(arch, &s->dev, err, sizeof err), SC_STATUS_OK);
  if (sc_rt_load(s->dev, s->dprog, NULL, &s->dp) != SC_STATUS_OK ||
      sc_rt_load(s->dev, s->pprog, NULL, &s->pp) != SC_STATUS_OK)
    fail_msg("%s", sc_rt_errmsg(s->dev));
  assert_int_equal(sc_rt_bind(s->dp, "logits", s->dlog, sizeof s->dlog), SC_STATUS_OK);
  assert_int_equal(sc_rt_bind(s->pp, "logits", s->plog, sizeof s->plog), SC_STATUS_OK);
  assert_int_equal(sc_rt_bind(s->pp, "tokens", s->toks, sizeof s->toks), SC_STATUS_OK);
}

static void launch(side *s, sc_rt_program *p, sc_sim_mode mode, int32_t tok, uint32_t pos) {
  assert_int_equal(sc_rt_set_mode(s->dev, mode, false), SC_STATUS_OK);
  sc_rt_set_args(s->dev, (const uint64_t[]){(uint64_t)tok, pos}, 2);
  assert_int_equal(sc_rt_launch(s->dev, p), SC_STATUS_OK);
  if (sc_rt_wait(s->dev) != SC_STATUS_OK) fail_msg("position %u: %s", pos, sc_rt_errmsg(s->dev));
}

static void close_side(side *s) {
  sc_rt_close(s->dev);
  sc_prog_destroy(s->dprog);
  sc_prog_destroy(s->pprog);
}

static void check(sc_cc_wdtype t) {
  sc_model_config cfg = {.dim = 256,
                         .hidden_dim = 512,
                         .n_layers = 4,
                         .n_heads = 4,
                         .n_kv_heads = 2,
                         .vocab_size = V,
                         .max_seq_len = SEQ};
  char err[1024];
  sc_model *m;
  if (sc_model_synthetic(&cfg, 5, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_llama_step ds = {.tokens = 1, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32};
  sc_llama_step ps = {.tokens = PREFILL, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32};
  sc_graph *dg, *pg;
  if (sc_cc_llama_graph(sc_model_config_of(m), &ds, &dg, err, sizeof err) != SC_STATUS_OK ||
      sc_cc_llama_graph(sc_model_config_of(m), &ps, &pg, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  side *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  assert_non_null(a);
  assert_non_null(b);
  open_side(a, dg, pg, m, arch, t, false);
  open_side(b, dg, pg, m, arch, t, true);
  uint64_t sa = scratch_of(a->dprog), sb = scratch_of(b->dprog);
  uint64_t pa = scratch_of(a->pprog), pb = scratch_of(b->pprog);
  assert_true(2 * sa < sb);
  assert_true(2 * pa < pb);
  for (int32_t i = 0; i < PREFILL; i++) a->toks[i] = b->toks[i] = (i * 131 + 1) % V;
  for (int mode = 0; mode < 2; mode++) { /* functional, then timed over the same positions */
    sc_sim_mode md = mode ? SC_SIM_TIMED : SC_SIM_FUNCTIONAL;
    launch(a, a->pp, md, 0, 0);
    launch(b, b->pp, md, 0, 0);
    assert_memory_equal(a->plog, b->plog, sizeof a->plog);
    int32_t tok = 7;
    for (uint32_t pos = PREFILL; pos < STEPS; pos++) {
      launch(a, a->dp, md, tok, pos);
      launch(b, b->dp, md, tok, pos);
      assert_memory_equal(a->dlog, b->dlog, sizeof a->dlog);
      int32_t best = 0;
      for (int32_t i = 1; i < V; i++)
        if (a->dlog[i] > a->dlog[best]) best = i;
      tok = best;
    }
  }
  print_message("  %-4s prefill %u + decode to %u identical; scratch %llu bytes (decode) and %llu "
                "(prefill), %llu and %llu without reuse\n",
                sc_cc_wdtype_name(t), PREFILL, STEPS, (unsigned long long)sa,
                (unsigned long long)pa, (unsigned long long)sb, (unsigned long long)pb);
  close_side(a);
  close_side(b);
  free(a);
  free(b);
  sc_arch_destroy(arch);
  sc_graph_destroy(dg);
  sc_graph_destroy(pg);
  sc_model_free(m);
}

static void test_f32(void **state) {
  (void)state;
  check(SC_CC_F32);
}

static void test_fp8(void **state) {
  (void)state;
  check(SC_CC_FP8);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_f32),
      cmocka_unit_test(test_fp8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
