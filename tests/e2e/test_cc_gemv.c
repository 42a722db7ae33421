/* test_cc_gemv.c: the decode matmuls done as GEMVs (docs/COMPILER.md,
 * "Decode matmuls") against the weight-stationary tile path they replace.
 *
 * A synthetic model whose matmuls all qualify (dim 256: K of two chunks;
 * hidden 896: seven tiles per core on some cores; a 32000-token classifier:
 * 250 tiles, 15 or 16 per core; one kv head of 128: the k and v projections
 * have one tile, so 15 cores have none) is compiled twice per dtype (fp8,
 * fp8-channel, bf16): with GEMVs and with `no_gemv`. Both run the same tokens
 * for 12 positions in the functional mode and give bit-identical logits
 * (the GEMV sums the same products in the same order); the GEMV program's
 * timed run gives the functional bits too, and it takes fewer cycles than the
 * tile path (both printed). A second model (fp8 and bf16, 3 positions)
 * has a GEMV group larger than the default ring buffer and, in fp8, a GEMV
 * that issues the next GEMV's first weight DMAs (the listing says so; the
 * first model has none): the same checks. Every model has a GEMV of at
 * least 8 tiles a core (a classifier of 32000; the second's gate and up),
 * which computes its last chunk in pieces, each drained while the next
 * streams; and its k and v GEMVs write the cache's row at the position from
 * their sums (no cache-write op of their own). */
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

enum { STEPS = 12, SEQ = 32 };

typedef struct run {
  sc_device *dev;
  sc_rt_program *p;
  sc_program *prog;
  float *logits;
} run;

static void open_run(run *r, const sc_graph *g, const sc_model *m, const sc_arch *arch,
                     sc_cc_wdtype t, bool no_gemv, bool want_pf, bool want_sw, uint32_t cores,
                     uint32_t V) {
  char err[1024];
  sc_cc_options opt = {.wdtype = t, .no_gemv = no_gemv, .cores = cores};
  sc_strbuf listing = {0};
  if (sc_cc_compile_opts(g, m, arch, &opt, &r->prog, &listing, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s: %s", sc_cc_wdtype_name(t), err);
  /* the GEMV program has GEMV loops; the tile path none */
  bool has = strstr(sc_strbuf_str(&listing), "dma.3d") != NULL;
  assert_true(has == !no_gemv);
  /* and (want_pf) a GEMV that issues the next one's first weight DMAs */
  bool pf = strstr(sc_strbuf_str(&listing), "_fd:") != NULL;
  assert_true(pf == (want_pf && !no_gemv));
  /* on fewer cores, more DMAs a GEMV: the next one's are issued in the last
   * PF_LEAD of the ring's deeper lead (its slot set back by the difference) */
  if (want_pf && !no_gemv && cores)
    assert_non_null(strstr(sc_strbuf_str(&listing), "addi x22, x22, -4"));
  /* and (want_sw) gate and up's GEMV computes the SwiGLU on its own sums (in
   * C, x6) instead of down loading both (into A, x5) */
  bool sw = strstr(sc_strbuf_str(&listing), "vpu.silu sram[x6]") != NULL;
  assert_true(sw == (want_sw && !no_gemv));
  /* every model here has a GEMV of at least 8 tiles a core (a classifier of
   * 32000, or gate and up of 130 tiles): it ends in pieces, each drained
   * behind the next one's matmul (gemv_split_last) */
  bool split = strstr(sc_strbuf_str(&listing), "_spl:") != NULL;
  assert_true(split == !no_gemv);
  /* the k and v GEMVs write the cache's row themselves (cw_of): no cache
   * write of its own, which the tile path keeps (a DMA from device memory) */
  bool cw = strstr(sc_strbuf_str(&listing), "_wd") != NULL;
  assert_true(cw == !no_gemv);
  sc_strbuf_free(&listing);
  assert_int_equal(sc_rt_open(arch, &r->dev, err, sizeof err), SC_STATUS_OK);
  if (sc_rt_load(r->dev, r->prog, NULL, &r->p) != SC_STATUS_OK)
    fail_msg("%s", sc_rt_errmsg(r->dev));
  r->logits = malloc(V * sizeof *r->logits);
  assert_non_null(r->logits);
  assert_int_equal(sc_rt_bind(r->p, "logits", r->logits, V * sizeof *r->logits), SC_STATUS_OK);
}

static uint64_t step(run *r, sc_sim_mode mode, int32_t tok, uint32_t pos) {
  assert_int_equal(sc_rt_set_mode(r->dev, mode, false), SC_STATUS_OK);
  sc_rt_set_args(r->dev, (const uint64_t[]){(uint64_t)tok, pos}, 2);
  assert_int_equal(sc_rt_launch(r->dev, r->p), SC_STATUS_OK);
  if (sc_rt_wait(r->dev) != SC_STATUS_OK) fail_msg("position %u: %s", pos, sc_rt_errmsg(r->dev));
  return mode == SC_SIM_FUNCTIONAL ? 0 : sc_rt_profile(r->dev)->cycles;
}

static void close_run(run *r) {
  free(r->logits);
  sc_rt_close(r->dev);
  sc_prog_destroy(r->prog);
}

static void check_model(sc_cc_wdtype t, sc_model_config cfg, uint32_t steps, bool want_pf,
                        bool want_sw, uint32_t cores) {
  char err[1024];
  sc_model *m;
  if (sc_model_synthetic(&cfg, 77, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_llama_step st = {.tokens = 1, .max_seq = SEQ, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  if (sc_cc_llama_graph(sc_model_config_of(m), &st, &g, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  const uint32_t V = cfg.vocab_size;
  run gv, tile;
  open_run(&gv, g, m, arch, t, false, want_pf, want_sw, cores, V);
  open_run(&tile, g, m, arch, t, true, want_pf, want_sw, cores, V);
  float *want = malloc(V * sizeof *want);
  assert_non_null(want);
  uint64_t cyc_gemv = 0, cyc_tile = 0;
  int32_t tok = 1;
  for (uint32_t pos = 0; pos < steps; pos++) {
    (void)step(&tile, SC_SIM_FUNCTIONAL, tok, pos);
    (void)step(&gv, SC_SIM_FUNCTIONAL, tok, pos);
    for (uint32_t i = 0; i < V; i++)
      if (memcmp(&gv.logits[i], &tile.logits[i], 4) != 0)
        fail_msg("%s: position %u: logit %u is %.9g by GEMV, %.9g by tiles", sc_cc_wdtype_name(t),
                 pos, i, (double)gv.logits[i], (double)tile.logits[i]);
    if (pos == steps - 1) { /* the timed GEMV run again gives the same bits */
      memcpy(want, gv.logits, V * sizeof *want);
      /* the cache already holds this position's K and V: rewriting them is idempotent */
      cyc_gemv = step(&gv, SC_SIM_TIMED, tok, pos);
      assert_memory_equal(gv.logits, want, V * sizeof *want);
      cyc_tile = step(&tile, SC_SIM_TIMING_ONLY, tok, pos);
    }
    int32_t a = 0;
    for (uint32_t i = 1; i < V; i++)
      if (gv.logits[i] > gv.logits[a]) a = (int32_t)i;
    tok = pos < 4 ? (int32_t)(pos * 7919 % V) : a;
  }
  print_message("  %-12s %u positions bit-identical; %llu cycles per step by GEMV, %llu by "
                "tiles (%.2fx)\n",
                sc_cc_wdtype_name(t), steps, (unsigned long long)cyc_gemv,
                (unsigned long long)cyc_tile, (double)cyc_tile / (double)cyc_gemv);
  assert_true(cyc_gemv < cyc_tile);
  free(want);
  close_run(&gv);
  close_run(&tile);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  sc_model_free(m);
}

static void check_dtype(sc_cc_wdtype t) {
  sc_model_config cfg = {.dim = 256,
                         .hidden_dim = 896,
                         .n_layers = 2,
                         .n_heads = 2,
                         .n_kv_heads = 1,
                         .head_dim = 128,
                         .vocab_size = 32000,
                         .max_seq_len = SEQ,
                         .tied_embeddings = true};
  check_model(t, cfg, STEPS, false, false, 0);
}

static void test_fp8(void **state) {
  (void)state;
  check_dtype(SC_CC_FP8);
}

/* down (8320 inputs: 65 chunks, 3 DMAs) has a tile on every core and so has the
 * classifier after it: in fp8 (the final norm fused into the classifier)
 * down issues the classifier's first DMAs. The gate and up group has 130
 * tiles, 9 a core: more than a ring buffer of 128 KiB holds in fp8 (144
 * KiB), and in bf16 (288 KiB): the ring grows for it (a smaller ring let
 * the group's DMAs run into the next buffer: wrong logits, different ones
 * in the timed mode). */
static void test_prefetch(void **state) {
  (void)state;
  sc_model_config cfg = {.dim = 512,
                         .hidden_dim = 8320,
                         .n_layers = 1,
                         .n_heads = 4,
                         .n_kv_heads = 4,
                         .vocab_size = 4096,
                         .max_seq_len = SEQ};
  check_model(SC_CC_FP8, cfg, 3, true, false, 0);
  check_model(SC_CC_BF16, cfg, 3, false, false,
              0); /* no fused x: a norm between down and the classifier */
  /* on 4 cores: down's tiles are 128 wide, 9 DMAs of 8 chunks, more than the
   * decode ring's lead (7): the classifier's first DMAs go out in down's last
   * 3 steps, into the slots after down's last */
  check_model(SC_CC_FP8, cfg, 3, true, false, 4);
}

/* gate and up of 2048 rows each: 16 tiles of 128, a multiple of the cores
 * (16 by default, 1 tile of each a core; 4, 4 of each), so each core holds
 * its tiles' pairs and computes silu(gate) x up of its own sums before it
 * stores, with (fp8) the max |x| of its columns, which down's quantization
 * takes the max of (fp8 fuses the SwiGLU into down; bf16 does not, and
 * stores both): the tile path's bits, functional and timed. */
static void test_swiglu_epilogue(void **state) {
  (void)state;
  sc_model_config cfg = {.dim = 256,
                         .hidden_dim = 2048,
                         .n_layers = 2,
                         .n_heads = 2,
                         .n_kv_heads = 1,
                         .head_dim = 128,
                         .vocab_size = 32000,
                         .max_seq_len = SEQ,
                         .tied_embeddings = true};
  check_model(SC_CC_FP8, cfg, 6, false, true, 0);
  check_model(SC_CC_FP8_CHANNEL, cfg, 6, false, true, 0);
  check_model(SC_CC_FP8, cfg, 6, false, true, 4);
  check_model(SC_CC_BF16, cfg, 3, false, false, 0);
}
static void test_fp8_channel(void **state) {
  (void)state;
  check_dtype(SC_CC_FP8_CHANNEL);
}
static void test_bf16(void **state) {
  (void)state;
  check_dtype(SC_CC_BF16);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fp8),
      cmocka_unit_test(test_fp8_channel),
      cmocka_unit_test(test_bf16),
      cmocka_unit_test(test_prefetch),
      cmocka_unit_test(test_swiglu_epilogue),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
