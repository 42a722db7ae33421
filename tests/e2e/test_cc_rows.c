/* test_cc_rows.c: row splitting (docs/COMPILER.md, "Row splitting"): the
 * row-wise work of a step of several rows (prefill chunks, batched decode)
 * split over the cores, and an fp8 matmul's activations prepared once, a
 * share of the rows per core, instead of by every core.
 *
 * A synthetic model is compiled with the rows split (the default) and on one
 * core (`serial_rows`). Prefills of 21 and 40 tokens (16 cores: 2 and 3 rows
 * a core, the last core one, some cores none) then decode steps, and a
 * batched decode of 12 sequences, give bit-identical logits in f32, fp8 and
 * fp8 per channel, in the functional and the timed modes; the split steps
 * take fewer simulated cycles. The model's widths put some matmuls' x above
 * the size prepared once (PREP_MIN, 16384 values) and some below: the
 * batch's feed-forward down projection (12 x 1536) and not its q (12 x
 * 512); in the prefill of 21 the down projection only, of 40 every one.
 * A chunk with `last_logits` (the last token's logits alone, through a
 * `slice` view) gives the full chunk's last row bit for bit. Matmuls of one
 * prepared x run without a barrier between them, the next one's tiles on
 * the cores after the last one's (docs/COMPILER.md, "Chained matmuls"):
 * the split prefill of 40 chains k to q and v to k in both layers, and
 * still gives the serial program's bits. */
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

enum { SEQ = 64, MAXT = 40, STEPS = 4, V = 384, BATCH = 12 };

typedef struct side {
  sc_program *dprog, *pprog;
  sc_device *dev;
  sc_rt_program *dp, *pp;
  float dlog[V], plog[MAXT * V];
  int32_t toks[MAXT];
  unsigned chained; /* the prefill's matmuls chained to the one before (their tiles rotated) */
} side;

static void open_side(side *s, const sc_graph *dg, const sc_graph *pg, const sc_model *m,
                      const sc_arch *arch, sc_cc_wdtype t, bool serial, uint32_t T) {
  char err[1024];
  sc_cc_options o = {.wdtype = t, .serial_rows = serial};
  if (sc_cc_compile_opts(dg, m, arch, &o, &s->dprog, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  o.scratch_base = sc_cc_program_end(s->dprog);
  sc_strbuf listing = {0};
  if (sc_cc_compile_opts(pg, m, arch, &o, &s->pprog, &listing, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  s->chained = 0;
  for (const char *p = listing.data; (p = strstr(p, "remu x3, x3,")); p++) s->chained++;
  sc_strbuf_free(&listing);
  assert_int_equal(sc_rt_open(arch, &s->dev, err, sizeof err), SC_STATUS_OK);
  if (sc_rt_load(s->dev, s->dprog, NULL, &s->dp) != SC_STATUS_OK ||
      sc_rt_load(s->dev, s->pprog, NULL, &s->pp) != SC_STATUS_OK)
    fail_msg("%s", sc_rt_errmsg(s->dev));
  assert_int_equal(sc_rt_bind(s->dp, "logits", s->dlog, sizeof s->dlog), SC_STATUS_OK);
  assert_int_equal(sc_rt_bind(s->pp, "logits", s->plog, (size_t)T * V * sizeof(float)),
                   SC_STATUS_OK);
  assert_int_equal(sc_rt_bind(s->pp, "tokens", s->toks, T * sizeof(int32_t)), SC_STATUS_OK);
}

/* Runs p; returns its simulated cycles. */
static uint64_t launch(side *s, sc_rt_program *p, sc_sim_mode mode, int32_t tok, uint32_t pos) {
  assert_int_equal(sc_rt_set_mode(s->dev, mode, false), SC_STATUS_OK);
  sc_rt_set_args(s->dev, (const uint64_t[]){(uint64_t)tok, pos}, 2);
  assert_int_equal(sc_rt_launch(s->dev, p), SC_STATUS_OK);
  if (sc_rt_wait(s->dev) != SC_STATUS_OK) fail_msg("position %u: %s", pos, sc_rt_errmsg(s->dev));
  return mode == SC_SIM_FUNCTIONAL ? 0 : sc_rt_profile(s->dev)->cycles;
}

static void launch_dev(sc_device *dev, sc_rt_program *p, sc_sim_mode mode) {
  assert_int_equal(sc_rt_set_mode(dev, mode, false), SC_STATUS_OK);
  sc_rt_set_args(dev, (const uint64_t[]){0, 0}, 2);
  assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
  if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
}

static void close_side(side *s) {
  sc_rt_close(s->dev);
  sc_prog_destroy(s->dprog);
  sc_prog_destroy(s->pprog);
}

static sc_model *model(void) {
  sc_model_config cfg = {.dim = 512,
                         .hidden_dim = 1536,
                         .n_layers = 2,
                         .n_heads = 4,
                         .n_kv_heads = 2,
                         .vocab_size = V,
                         .max_seq_len = SEQ};
  char err[1024];
  sc_model *m;
  if (sc_model_synthetic(&cfg, 11, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  return m;
}

/* A prefill of T tokens then decode steps, split and serial. */
static void check_prefill(sc_cc_wdtype t, uint32_t T) {
  char err[1024];
  sc_model *m = model();
  sc_llama_step ds = {.tokens = 1, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32};
  sc_llama_step ps = {.tokens = T, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32};
  sc_graph *dg, *pg;
  if (sc_cc_llama_graph(sc_model_config_of(m), &ds, &dg, err, sizeof err) != SC_STATUS_OK ||
      sc_cc_llama_graph(sc_model_config_of(m), &ps, &pg, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  side *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  assert_non_null(a);
  assert_non_null(b);
  open_side(a, dg, pg, m, arch, t, false, T);
  open_side(b, dg, pg, m, arch, t, true, T);
  for (uint32_t i = 0; i < T; i++) a->toks[i] = b->toks[i] = (int32_t)((i * 97 + 5) % V);
  uint64_t ca = 0, cb = 0;
  for (int mode = 0; mode < 2; mode++) { /* functional, then timed over the same positions */
    sc_sim_mode md = mode ? SC_SIM_TIMED : SC_SIM_FUNCTIONAL;
    ca += launch(a, a->pp, md, 0, 0);
    cb += launch(b, b->pp, md, 0, 0);
    assert_memory_equal(a->plog, b->plog, (size_t)T * V * sizeof(float));
    int32_t tok = 3;
    for (uint32_t pos = T; pos < T + STEPS; pos++) {
      launch(a, a->dp, md, tok, pos);
      launch(b, b->dp, md, tok, pos);
      assert_memory_equal(a->dlog, b->dlog, sizeof a->dlog);
      int32_t best = 0;
      for (int32_t i = 1; i < V; i++)
        if (a->dlog[i] > a->dlog[best]) best = i;
      tok = best;
    }
  }
  print_message("  %-11s prefill %2u + decode %u identical; prefill %llu cycles split, %llu "
                "serial (%.2fx); %u matmuls chained\n",
                sc_cc_wdtype_name(t), T, STEPS, (unsigned long long)ca, (unsigned long long)cb,
                (double)cb / (double)ca, a->chained);
  assert_true(ca < cb);
  /* x prepared once for every matmul of the prefill of 40 (k after q, v
   * after k: the rows chained) and never serially */
  assert_int_equal(b->chained, 0);
  if (t != SC_CC_F32 && T == 40) assert_true(a->chained >= 2 * 2);
  close_side(a);
  close_side(b);
  free(a);
  free(b);
  sc_arch_destroy(arch);
  sc_graph_destroy(dg);
  sc_graph_destroy(pg);
  sc_model_free(m);
}

/* A decode step of BATCH sequences, split and serial. */
static void check_batch(sc_cc_wdtype t) {
  char err[1024];
  sc_model *m = model();
  sc_llama_step bs = {.tokens = BATCH, .batch = BATCH, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  if (sc_cc_llama_graph(sc_model_config_of(m), &bs, &g, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  float *out[2];
  uint64_t cyc[2];
  for (int serial = 0; serial < 2; serial++) {
    sc_cc_options o = {.wdtype = t, .serial_rows = serial};
    sc_program *p;
    sc_device *dev;
    sc_rt_program *rp;
    if (sc_cc_compile_opts(g, m, arch, &o, &p, NULL, err, sizeof err) != SC_STATUS_OK)
      fail_msg("%s", err);
    assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
    if (sc_rt_load(dev, p, NULL, &rp) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
    out[serial] = calloc((size_t)BATCH * V * 2, sizeof(float));
    assert_non_null(out[serial]);
    int32_t toks[BATCH];
    for (int mode = 0; mode < 2; mode++) {
      assert_int_equal(sc_rt_bind(rp, "logits", out[serial] + (size_t)mode * BATCH * V,
                                  (size_t)BATCH * V * sizeof(float)),
                       SC_STATUS_OK);
      assert_int_equal(sc_rt_bind(rp, "tokens", toks, sizeof toks), SC_STATUS_OK);
      /* each sequence's cache filled by steps at positions 0 .. 2 */
      for (uint32_t pos = 0; pos < 3; pos++) {
        for (int i = 0; i < BATCH; i++) toks[i] = (int32_t)((i * 53 + pos * 7 + 1) % V);
        assert_int_equal(sc_rt_set_mode(dev, mode ? SC_SIM_TIMED : SC_SIM_FUNCTIONAL, false),
                         SC_STATUS_OK);
        sc_rt_set_args(dev, (const uint64_t[]){0, pos}, 2);
        assert_int_equal(sc_rt_launch(dev, rp), SC_STATUS_OK);
        if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
      }
    }
    cyc[serial] = sc_rt_profile(dev)->cycles;
    sc_rt_close(dev);
    sc_prog_destroy(p);
  }
  assert_memory_equal(out[0], out[1], (size_t)BATCH * V * 2 * sizeof(float));
  /* the timed run computes the same bits as the functional one */
  assert_memory_equal(out[0], out[0] + (size_t)BATCH * V, (size_t)BATCH * V * sizeof(float));
  print_message("  %-11s batch of %u identical; a step %llu cycles split, %llu serial (%.2fx)\n",
                sc_cc_wdtype_name(t), BATCH, (unsigned long long)cyc[0], (unsigned long long)cyc[1],
                (double)cyc[1] / (double)cyc[0]);
  assert_true(cyc[0] < cyc[1]);
  free(out[0]);
  free(out[1]);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  sc_model_free(m);
}

/* A prefill chunk with last_logits gives the full chunk's last row, bit for
 * bit, functional and timed. */
static void check_last_logits(sc_cc_wdtype t) {
  enum { T = 21 };
  char err[1024];
  sc_model *m = model();
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  static float out[2][2][T * V];
  int32_t toks[T];
  for (uint32_t i = 0; i < T; i++) toks[i] = (int32_t)((i * 61 + 2) % V);
  for (int last = 0; last < 2; last++) {
    sc_llama_step ps = {
        .tokens = T, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32, .last_logits = last};
    sc_graph *g;
    sc_program *p;
    sc_device *dev;
    sc_rt_program *rp;
    sc_cc_options o = {.wdtype = t};
    if (sc_cc_llama_graph(sc_model_config_of(m), &ps, &g, err, sizeof err) != SC_STATUS_OK ||
        sc_cc_compile_opts(g, m, arch, &o, &p, NULL, err, sizeof err) != SC_STATUS_OK)
      fail_msg("%s", err);
    assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
    if (sc_rt_load(dev, p, NULL, &rp) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
    assert_int_equal(sc_rt_bind(rp, "tokens", toks, sizeof toks), SC_STATUS_OK);
    for (int mode = 0; mode < 2; mode++) {
      assert_int_equal(
          sc_rt_bind(rp, "logits", out[last][mode], (last ? 1 : T) * V * sizeof(float)),
          SC_STATUS_OK);
      launch_dev(dev, rp, mode ? SC_SIM_TIMED : SC_SIM_FUNCTIONAL);
    }
    sc_rt_close(dev);
    sc_prog_destroy(p);
    sc_graph_destroy(g);
  }
  for (int mode = 0; mode < 2; mode++)
    assert_memory_equal(out[1][mode], out[0][mode] + (size_t)(T - 1) * V, V * sizeof(float));
  print_message("  %-11s prefill %u with last_logits: its [1, %u] logits are the full chunk's "
                "last row\n",
                sc_cc_wdtype_name(t), T, V);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

static void test_f32(void **state) {
  (void)state;
  check_prefill(SC_CC_F32, 21);
  check_batch(SC_CC_F32);
  check_last_logits(SC_CC_F32);
}

static void test_fp8(void **state) {
  (void)state;
  check_prefill(SC_CC_FP8, 21);
  check_prefill(SC_CC_FP8, 40);
  check_batch(SC_CC_FP8);
  check_last_logits(SC_CC_FP8);
}

static void test_fp8_channel(void **state) {
  (void)state;
  check_prefill(SC_CC_FP8_CHANNEL, 40);
  check_batch(SC_CC_FP8_CHANNEL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_f32),
      cmocka_unit_test(test_fp8),
      cmocka_unit_test(test_fp8_channel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
