/* test_cc_attn_lp.c: a prefill's attention with BF16 MXU operands
 * (docs/COMPILER.md, "Prefill attention precision"), the default in every
 * dtype but f32, against the same program with FP32 operands (attn_fp32)
 * and the FP32 reference forward pass (sc_ref_forward), on synthetic
 * models.
 *
 * Two chunks of T tokens (positions 0 .. T-1, then T .. 2T-1 over the cache
 * the first wrote, so the causal mask meets earlier positions, and the
 * second's keys span two tiles of 128 positions) run on the
 * simulated chip (timed mode) in bf16 and fp8. For each row of logits: the
 * worst error relative to the row's largest reference logit and the top-1
 * agreement, against the reference and against attn_fp32 (bounds per
 * dtype), and no worse against the reference than attn_fp32 beyond a
 * margin. A wrong kernel (q unscaled, a probability or a key row
 * misplaced, a mask off by one) breaks them. The BF16 prefill takes fewer
 * cycles than the FP32 one. The cache read in blocks of positions (the
 * default: one block here) gives the same bits as in blocks of 128 (two for
 * the second chunk) and as tile by tile (attn_block), the tiles in more
 * cycles (in bf16: fp8's attention is the same code).
 *
 * Two shapes: 32 heads on 16 cores (two heads a core: the pipelined
 * attention, whose next head's q is prepared during the round) and 8 heads
 * with a long cache (score blocks too large for two: head after head). The
 * listing says which. */
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
#include "seedchip/util.h"
#include "../test_logits.h"

typedef struct lp_case {
  const char *name;
  sc_model_config cfg;
  uint32_t T;     /* tokens a chunk; two chunks */
  bool pipelined; /* the listing's attention: pipelined rounds, or head after head */
} lp_case;

/* Bounds per dtype: the worst error against the reference and against the
 * FP32-operand attention, top-1 agreement with each. In fp8 the matmuls'
 * activations are rounded to FP8 (3 mantissa bits), which turns attention's
 * small differences into larger ones downstream. */
static const struct {
  sc_cc_wdtype t;
  double ref_err, fp32_err, ref_top1, fp32_top1;
} bounds[] = {{SC_CC_BF16, 0.03, 0.02, 0.90, 0.90}, {SC_CC_FP8, 0.20, 0.15, 0.70, 0.85}};

/* Compiles the T-token prefill of m in dtype t (attn_fp32 as given), runs
 * two chunks into out (2T rows); returns the cycles of both. */
static uint64_t run_prefill(const sc_model *m, const sc_arch *arch, uint32_t T, uint32_t seq,
                            sc_cc_wdtype t, bool attn_fp32, uint32_t block, bool want_pipelined,
                            const int32_t *toks, float *out) {
  char err[1024];
  const sc_model_config *cfg = sc_model_config_of(m);
  sc_llama_step ps = {.tokens = T, .max_seq = seq, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  if (sc_cc_llama_graph(cfg, &ps, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_cc_options o = {.wdtype = t, .attn_fp32 = attn_fp32, .attn_block = block};
  sc_program *prog;
  sc_strbuf listing = {0};
  if (sc_cc_compile_opts(g, m, arch, &o, &prog, &listing, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  /* the cache in blocks (one DMA of keys per block), or tile by tile */
  if (!!strstr(listing.data, "_sct:") != (block == 0 || block >= 128))
    fail_msg("attn_block %u: the listing's attention %s blocks", block,
             block == 0 || block >= 128 ? "lacks" : "has");
  /* the attention the listing holds: BF16 score matmuls unless attn_fp32 */
  bool lp = strstr(listing.data, "vpu.mul sram[x30]:bf16");
  if (lp == attn_fp32)
    fail_msg("%s, attn_fp32 %d: the listing's attention %s BF16 operands", sc_cc_wdtype_name(t),
             attn_fp32, lp ? "has" : "lacks");
  if (!!strstr(listing.data, "_round:") != want_pipelined)
    fail_msg("the listing's attention is %spipelined", want_pipelined ? "not " : "");
  sc_strbuf_free(&listing);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *p;
  if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  int32_t *tk = malloc(T * sizeof *tk);
  assert_non_null(tk);
  uint32_t V = cfg->vocab_size;
  assert_int_equal(sc_rt_bind(p, "tokens", tk, T * sizeof *tk), SC_STATUS_OK);
  assert_int_equal(sc_rt_set_mode(dev, SC_SIM_TIMED, false), SC_STATUS_OK);
  uint64_t cycles = 0;
  for (uint32_t c = 0; c < 2; c++) {
    memcpy(tk, toks + (size_t)c * T, T * sizeof *tk);
    assert_int_equal(sc_rt_bind(p, "logits", out + (size_t)c * T * V, (size_t)T * V * sizeof *out),
                     SC_STATUS_OK);
    sc_rt_set_args(dev, (const uint64_t[]){0, (uint64_t)c * T}, 2);
    assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
    if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("chunk %u: %s", c, sc_rt_errmsg(dev));
    cycles += sc_rt_profile(dev)->cycles;
  }
  free(tk);
  sc_rt_close(dev);
  sc_prog_destroy(prog);
  sc_graph_destroy(g);
  return cycles;
}

static void run_case(const lp_case *c) {
  char err[1024];
  sc_model *m;
  if (sc_model_synthetic(&c->cfg, 77, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  const sc_model_config *cfg = sc_model_config_of(m);
  uint32_t T = c->T, N = 2 * T, V = cfg->vocab_size, seq = cfg->max_seq_len;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  int32_t *toks = malloc(N * sizeof *toks);
  float *want = malloc((size_t)N * V * sizeof *want), *lp = malloc((size_t)N * V * sizeof *lp),
        *hp = malloc((size_t)N * V * sizeof *hp);
  assert_true(toks && want && lp && hp);
  toks[0] = 1;
  for (uint32_t i = 1; i < N; i++) toks[i] = (int32_t)(((uint64_t)i * 7919u + 13u) % V);
  sc_ref *ref;
  if (sc_ref_create(m, seq, &ref, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  for (uint32_t p = 0; p < N; p++)
    memcpy(want + (size_t)p * V, sc_ref_forward(ref, toks[p], p), V * sizeof *want);
  sc_ref_free(ref);
  for (size_t d = 0; d < sizeof bounds / sizeof *bounds; d++) {
    sc_cc_wdtype t = bounds[d].t;
    uint64_t c_lp = run_prefill(m, arch, T, seq, t, false, 0, c->pipelined, toks, lp);
    /* the cache tile by tile, and in blocks of 128 positions (the second
     * chunk's 2T > 128 in two): the same bits, the tiles slower */
    for (uint32_t b = 0; b < 2 && t == SC_CC_BF16; b++) {
      uint64_t cb = run_prefill(m, arch, T, seq, t, false, b ? 128 : 1, c->pipelined, toks, hp);
      print_message("  %-10s %-5s cache %s: %llu cycles against %llu in one block\n", c->name,
                    sc_cc_wdtype_name(t), b ? "in blocks of 128" : "tile by tile",
                    (unsigned long long)cb, (unsigned long long)c_lp);
      if (memcmp(hp, lp, (size_t)N * V * sizeof *lp) != 0)
        fail_msg("%s: the logits with the cache %s differ", sc_cc_wdtype_name(t),
                 b ? "in blocks of 128" : "tile by tile");
      if (!b) assert_true(c_lp < cb);
    }
    uint64_t c_hp = run_prefill(m, arch, T, seq, t, true, 0, c->pipelined, toks, hp);
    double e_ref, e_hp, e_ref_hp;
    uint32_t a_ref, a_hp, a_ref_hp;
    compare_logits(lp, want, N, V, &e_ref, &a_ref);
    compare_logits(lp, hp, N, V, &e_hp, &a_hp);
    compare_logits(hp, want, N, V, &e_ref_hp, &a_ref_hp);
    print_message("  %-10s %-5s 2 x %u tokens: BF16 attention %llu cycles, FP32 %llu (%.2fx); "
                  "worst error vs reference %.4f (FP32 attention %.4f), vs FP32 attention "
                  "%.4f; top-1 vs reference %u/%u (FP32 attention %u/%u), vs FP32 attention "
                  "%u/%u\n",
                  c->name, sc_cc_wdtype_name(t), T, (unsigned long long)c_lp,
                  (unsigned long long)c_hp, (double)c_hp / (double)c_lp, e_ref, e_ref_hp, e_hp,
                  a_ref, N, a_ref_hp, N, a_hp, N);
    assert_true(e_ref <= bounds[d].ref_err);
    assert_true(e_hp <= bounds[d].fp32_err);
    assert_true((double)a_ref >= bounds[d].ref_top1 * N);
    assert_true((double)a_hp >= bounds[d].fp32_top1 * N);
    /* no worse than FP32 operands beyond a margin */
    assert_true(e_ref <= 1.2 * e_ref_hp + 0.005);
    assert_true(a_ref + N / 20 >= a_ref_hp);
    assert_true(c_lp < c_hp);
  }
  free(toks);
  free(want);
  free(lp);
  free(hp);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

static sc_model_config config(uint32_t dim, uint32_t hidden, uint32_t heads, uint32_t kv_heads,
                              uint32_t vocab, uint32_t max_seq) {
  sc_model_config c = {.dim = dim,
                       .hidden_dim = hidden,
                       .n_layers = 2,
                       .n_heads = heads,
                       .n_kv_heads = kv_heads,
                       .vocab_size = vocab,
                       .max_seq_len = max_seq,
                       .tied_embeddings = true};
  return c;
}

/* 32 heads of 32 over 8 kv heads: two heads a core, pipelined. */
static void test_pipelined(void **state) {
  (void)state;
  lp_case c = {"pipelined", config(1024, 1024, 32, 8, 320, 192), 80, true};
  run_case(&c);
}

/* 8 heads of 64 over 2 kv heads, a cache of 9472 positions: a chunk's
 * score rows (3.5 MiB) leave no room for a second block. */
static void test_head_after_head(void **state) {
  (void)state;
  lp_case c = {"one-block", config(512, 1024, 8, 2, 320, 9472), 96, false};
  run_case(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pipelined),
      cmocka_unit_test(test_head_after_head),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
