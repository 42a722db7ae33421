/* test_cc_shapes.c: the code generator on shapes the real models do not have,
 * with synthetic weights (sc_model_synthetic): many small heads with grouped
 * queries and attention past the 128-position tile, multi-query attention,
 * head_dim 64 and 128 with matmul K loops of several chunks and N not a
 * multiple of the MXU's width, a 32k vocabulary, a Qwen2-like model (biases,
 * HALVES RoPE, untied classifier), a context of 1024 positions, a tiny
 * model, Llama 3.1's scaled RoPE, and head_dim 256 and 192, beyond one MXU
 * tile (attention in chunks of the head).
 *
 * Each case builds the one-token graph, compiles it for SC1, and runs it on the
 * simulated chip (timed mode) one position per launch, next to the FP32
 * reference forward pass: at every position the chip's logits are within 1e-4
 * of the reference's largest logit and both pick the same token. The first
 * `forced` positions read a fixed token sequence on both sides (to reach long
 * positions without depending on greedy loops); after them each side is fed
 * the (common) argmax. Prints each case's worst error, step count and time.
 *
 * SEEDCHIP_CC_LISTING=dir writes each case's generated assembly there. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "seedchip/cc.h"
#include "seedchip/reference.h"
#include "seedchip/runtime.h"
#include "seedchip/util.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct shape_case {
  const char *name;
  sc_model_config cfg;
  uint32_t seq;     /* KV cache positions */
  uint32_t steps;   /* positions run, 0 .. steps-1 */
  uint32_t forced;  /* positions whose token is fixed (the rest: greedy) */
  uint32_t prefill; /* the first positions in one launch of a prefill program (0: none) */
} shape_case;

/* The fixed token of position pos (BOS at 0). */
static int32_t forced_token(uint32_t pos, uint32_t vocab) {
  return pos == 0 ? 1 : (int32_t)(((uint64_t)pos * 7919u + 13u) % vocab);
}

static void write_listing(const char *name, const sc_strbuf *listing) {
  const char *dir = getenv("SEEDCHIP_CC_LISTING");
  if (!dir || !*dir) return;
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.sasm", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return;
  fwrite(listing->data, 1, listing->len, f);
  fclose(f);
}

static void run_case(const shape_case *sc) {
  char err[1024];
  double t0 = now_s();
  sc_model *m;
  if (sc_model_synthetic(&sc->cfg, 2024, &m, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s: %s", sc->name, err);
  const sc_model_config *cfg = sc_model_config_of(m);
  sc_llama_step step = {.tokens = 1, .max_seq = sc->seq, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  if (sc_cc_llama_graph(cfg, &step, &g, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s: %s", sc->name, err);
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_program *prog;
  sc_strbuf listing = {0};
  if (sc_cc_compile(g, m, arch, &prog, &listing, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s: %s", sc->name, err);
  write_listing(sc->name, &listing);
  sc_strbuf_free(&listing);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *p;
  if (sc_rt_load(dev, prog, NULL, &p) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  assert_int_equal(sc_rt_set_mode(dev, SC_SIM_TIMED, false), SC_STATUS_OK);
  uint32_t V = cfg->vocab_size;
  float *logits = malloc(V * sizeof *logits);
  assert_non_null(logits);
  assert_int_equal(sc_rt_bind(p, "logits", logits, V * sizeof *logits), SC_STATUS_OK);
  sc_ref *ref;
  if (sc_ref_create(m, sc->seq, &ref, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  double worst = 0;
  uint32_t worst_pos = 0;
  uint64_t cycles = 0;
  int32_t tok = 1;
  sc_graph *pg = NULL;
  sc_program *pprog = NULL; /* loaded until the device closes */
  if (sc->prefill) {        /* positions 0 .. prefill - 1 at once, on the same cache */
    uint32_t T = sc->prefill;
    assert_true(T <= sc->forced);
    sc_llama_step pstep = {.tokens = T, .max_seq = sc->seq, .act_dtype = SC_DTYPE_FP32};
    sc_cc_options popt = {.scratch_base = sc_cc_program_end(prog)};
    if (sc_cc_llama_graph(cfg, &pstep, &pg, err, sizeof err) != SC_STATUS_OK ||
        sc_cc_compile_opts(pg, m, arch, &popt, &pprog, NULL, err, sizeof err) != SC_STATUS_OK)
      fail_msg("%s: prefill: %s", sc->name, err);
    sc_rt_program *pp;
    if (sc_rt_load(dev, pprog, NULL, &pp) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
    float *plog = malloc((size_t)T * V * sizeof *plog);
    int32_t *toks = malloc(T * sizeof *toks);
    assert_non_null(plog);
    assert_non_null(toks);
    for (uint32_t t = 0; t < T; t++) toks[t] = forced_token(t, V);
    assert_int_equal(sc_rt_bind(pp, "logits", plog, (size_t)T * V * sizeof *plog), SC_STATUS_OK);
    assert_int_equal(sc_rt_bind(pp, "tokens", toks, T * sizeof *toks), SC_STATUS_OK);
    sc_rt_set_args(dev, (const uint64_t[]){0, 0}, 2);
    assert_int_equal(sc_rt_launch(dev, pp), SC_STATUS_OK);
    if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("%s: prefill: %s", sc->name, sc_rt_errmsg(dev));
    for (uint32_t t = 0; t < T; t++) {
      const float *want = sc_ref_forward(ref, toks[t], t);
      const float *got = plog + (size_t)t * V;
      float scale = 0;
      for (uint32_t i = 0; i < V; i++) scale = fmaxf(scale, fabsf(want[i]));
      for (uint32_t i = 0; i < V; i++) {
        double e = fabs((double)got[i] - (double)want[i]) / (double)scale;
        if (!(e < 1e-4))
          fail_msg("%s: prefill row %u: logit %u is %g on the chip, %g in the reference", sc->name,
                   t, i, (double)got[i], (double)want[i]);
        if (e > worst) worst = e, worst_pos = t;
      }
    }
    free(plog);
    free(toks);
  }
  for (uint32_t pos = sc->prefill; pos < sc->steps; pos++) {
    if (pos < sc->forced) tok = forced_token(pos, V);
    const float *want = sc_ref_forward(ref, tok, pos);
    assert_non_null(want);
    sc_rt_set_args(dev, (const uint64_t[]){(uint64_t)tok, pos}, 2);
    assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
    if (sc_rt_wait(dev) != SC_STATUS_OK)
      fail_msg("%s: position %u: %s", sc->name, pos, sc_rt_errmsg(dev));
    cycles += sc_rt_profile(dev)->cycles;
    int32_t a = 0, b = 0;
    float scale = 0;
    for (uint32_t i = 0; i < V; i++) {
      if (logits[i] > logits[a]) a = (int32_t)i;
      if (want[i] > want[b]) b = (int32_t)i;
      if (fabsf(want[i]) > scale) scale = fabsf(want[i]);
    }
    double step_worst = 0;
    uint32_t at = 0;
    for (uint32_t i = 0; i < V; i++) {
      double e = fabs((double)logits[i] - (double)want[i]) / (double)scale;
      if (!(e <= step_worst)) { /* NaN included */
        step_worst = e;
        at = i;
      }
    }
    if (!(step_worst < 1e-4))
      fail_msg("%s: position %u (token %d): logit %u is %g on the chip, %g in the reference "
               "(error %.3g of the largest logit %g)",
               sc->name, pos, tok, at, (double)logits[at], (double)want[at], step_worst,
               (double)scale);
    if (a != b)
      fail_msg("%s: position %u: the chip picks token %d (%g), the reference %d (%g)", sc->name,
               pos, a, (double)logits[a], b, (double)want[b]);
    if (step_worst > worst) {
      worst = step_worst;
      worst_pos = pos;
    }
    tok = a;
  }
  print_message("  %-14s %3u positions (%u forced, %u prefilled) identical; worst logit error "
                "%.3g of the largest logit (position %u); %.0f cycles/token; %.2f s\n",
                sc->name, sc->steps, sc->forced, sc->prefill, worst, worst_pos,
                (double)cycles / (sc->steps - sc->prefill), now_s() - t0);
  sc_ref_free(ref);
  free(logits);
  sc_rt_close(dev);
  sc_prog_destroy(prog);
  sc_prog_destroy(pprog);
  sc_graph_destroy(pg);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  sc_model_free(m);
}

/* A configuration: dim, hidden, layers, heads, kv heads, head_dim (0: dim /
 * heads), vocab; tied classifier, PAIRS RoPE, no biases. */
static sc_model_config config(uint32_t dim, uint32_t hidden, uint32_t layers, uint32_t heads,
                              uint32_t kv_heads, uint32_t head_dim, uint32_t vocab,
                              uint32_t max_seq) {
  sc_model_config c = {.dim = dim,
                       .hidden_dim = hidden,
                       .n_layers = layers,
                       .n_heads = heads,
                       .n_kv_heads = kv_heads,
                       .head_dim = head_dim,
                       .vocab_size = vocab,
                       .max_seq_len = max_seq,
                       .tied_embeddings = true};
  return c;
}

/* 32 heads of 8 over 8 kv heads (GQA 4:1), two layers; every one of the 160
 * positions, so attention spans two tiles of 128 positions from 128 on. The
 * first 96 in one prefill: two heads a core, whose attention is pipelined
 * (the second head's scores while the first's softmax runs). */
static void test_many_heads(void **state) {
  (void)state;
  shape_case c = {"many-heads", config(256, 688, 2, 32, 8, 8, 300, 160), 160, 160, 100, 96};
  run_case(&c);
}

/* Multi-query attention: 8 heads of 16 share one kv head. */
static void test_mqa(void **state) {
  (void)state;
  shape_case c = {"mqa", config(128, 256, 1, 8, 1, 0, 256, 64), 64, 64, 8, 0};
  run_case(&c);
}

/* head_dim 64 (dim 256) and 128 (dim 512), 4 heads: matmul K of 256, 344 and
 * 512 (several 128-row chunks, a partial last one), N of 344 and 1000 (a
 * partial last tile of columns). */
static void test_head_dim_64(void **state) {
  (void)state;
  shape_case c = {"head-dim-64", config(256, 344, 2, 4, 4, 0, 1000, 32), 32, 32, 4, 0};
  run_case(&c);
}

static void test_head_dim_128(void **state) {
  (void)state;
  shape_case c = {"head-dim-128", config(512, 344, 1, 4, 2, 0, 1000, 32), 32, 32, 4, 0};
  run_case(&c);
}

/* A 32k vocabulary: the classifier's 250 column tiles over 16 cores. */
static void test_vocab_32k(void **state) {
  (void)state;
  shape_case c = {"vocab-32k", config(64, 172, 1, 4, 4, 0, 32000, 8), 8, 8, 1, 0};
  run_case(&c);
}

/* Qwen2-like: q/k/v biases, HALVES RoPE with theta 1e6, eps 1e-6, untied. */
static void test_qwen2_like(void **state) {
  (void)state;
  shape_case c = {"qwen2-like", config(128, 352, 2, 4, 2, 0, 512, 48), 48, 48, 4, 0};
  snprintf(c.cfg.arch, sizeof c.cfg.arch, "qwen2");
  c.cfg.qkv_bias = true;
  c.cfg.rope_style = SC_ROPE_HALVES;
  c.cfg.rope_theta = 1e6f;
  c.cfg.norm_eps = 1e-6f;
  c.cfg.tied_embeddings = false;
  run_case(&c);
}

/* A long context: every position of a 1024-position cache, 1000 forced, then
 * greedy; the attention of the last positions spans eight tiles. */
static void test_long_context(void **state) {
  (void)state;
  shape_case c = {"long-context", config(64, 172, 1, 4, 2, 0, 256, 1024), 1024, 1024, 1000, 0};
  run_case(&c);
}

/* Llama 3.1's scaled RoPE (sc_rope_llama3 with an original context of 64, so
 * that pairs fall in all three bands): the chip's RoPE table takes the model's
 * factors, as the reference does. The reference's logits with and without the
 * scaling differ (checked), so a chip that ignored the factors would fail. */
static void test_llama3_rope(void **state) {
  (void)state;
  shape_case c = {"llama3-rope", config(256, 344, 1, 4, 2, 0, 300, 96), 96, 96, 96, 0};
  c.cfg.rope_theta = 500000.0f;
  c.cfg.rope_style = SC_ROPE_HALVES;
  c.cfg.head_dim = 64;
  assert_int_equal(sc_rope_llama3(&c.cfg, 8, 1, 4, 64), SC_STATUS_OK);
  int scaled = 0;
  for (uint32_t j = 0; j < 32; j++) scaled += c.cfg.rope_factors[j] > 1.0f;
  assert_true(scaled > 0 && scaled < 32);
  /* the scaling changes the reference's logits */
  sc_model *m1, *m2;
  char err[256];
  sc_model_config plain = c.cfg;
  plain.rope_scaled = false;
  assert_int_equal(sc_model_synthetic(&c.cfg, 2024, &m1, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(sc_model_synthetic(&plain, 2024, &m2, err, sizeof err), SC_STATUS_OK);
  sc_ref *r1, *r2;
  assert_int_equal(sc_ref_create(m1, 96, &r1, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(sc_ref_create(m2, 96, &r2, err, sizeof err), SC_STATUS_OK);
  double diff = 0;
  for (uint32_t pos = 0; pos < 80; pos++) {
    const float *a = sc_ref_forward(r1, forced_token(pos, 300), pos);
    const float *b = sc_ref_forward(r2, forced_token(pos, 300), pos);
    for (uint32_t i = 0; i < 300; i++) diff = fmax(diff, fabs((double)a[i] - (double)b[i]));
  }
  assert_true(diff > 1e-3);
  sc_ref_free(r1);
  sc_ref_free(r2);
  sc_model_free(m1);
  sc_model_free(m2);
  run_case(&c);
}

/* Tiny: rows narrower than the VPU (dim 16), a vocabulary in one partial
 * tile, three layers. */
static void test_tiny(void **state) {
  (void)state;
  shape_case c = {"tiny", config(16, 24, 3, 2, 1, 0, 50, 16), 16, 16, 2, 0};
  run_case(&c);
}

/* head_dim 256 (Gemma's), two MXU tiles of SC1: the scores sum two chunks
 * of 128 rows, the values come in two chunks of 128 columns; 160 positions,
 * so that the keys span two position tiles too. head_dim 192
 * (dim 384 over 2 heads): a full chunk and a partial one of 64. Both start
 * with a prefill (the tile path's attention in chunks) that the decode
 * steps continue from. */
static void test_head_dim_256(void **state) {
  (void)state;
  shape_case c = {"head-dim-256", config(512, 344, 1, 2, 1, 0, 300, 160), 160, 160, 150, 20};
  run_case(&c);
}

static void test_head_dim_192(void **state) {
  (void)state;
  shape_case c = {"head-dim-192", config(384, 344, 2, 2, 2, 0, 300, 48), 48, 48, 8, 8};
  run_case(&c);
}

/* Multi-head latent attention (DeepSeek-V3's form, docs/COMPILER.md): 4
 * heads with queries and keys of 128 + 64 (RoPE) values over a latent of
 * 128, values of 128, queries through a rank-128 latent; the chip runs the
 * absorbed form (one cached latent for every head, grouped matmuls into and
 * out of it), the reference the plain one (each head's key and value
 * recomputed from the cached latent), so the two agreeing checks the
 * algebra as well as the code. A prefill of 12 first, then decode; and the
 * same without the query latent (q_lora_rank 0). */
static sc_model_config mla_config(uint32_t q_lora) {
  sc_model_config c = config(256, 512, 2, 4, 4, 192, 300, 64);
  c.kv_lora_rank = 128;
  c.qk_nope_dim = 128;
  c.qk_rope_dim = 64;
  c.v_head_dim = 128;
  c.q_lora_rank = q_lora;
  c.norm_eps = 1e-6f;
  return c;
}

static void test_mla(void **state) {
  (void)state;
  shape_case c = {"mla", mla_config(128), 64, 64, 40, 12};
  run_case(&c);
}

static void test_mla_no_q_lora(void **state) {
  (void)state;
  shape_case c = {"mla-no-q-lora", mla_config(0), 32, 32, 8, 0};
  run_case(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_many_heads),    cmocka_unit_test(test_mqa),
      cmocka_unit_test(test_head_dim_64),   cmocka_unit_test(test_head_dim_128),
      cmocka_unit_test(test_vocab_32k),     cmocka_unit_test(test_qwen2_like),
      cmocka_unit_test(test_long_context),  cmocka_unit_test(test_tiny),
      cmocka_unit_test(test_llama3_rope),   cmocka_unit_test(test_head_dim_256),
      cmocka_unit_test(test_head_dim_192),  cmocka_unit_test(test_mla),
      cmocka_unit_test(test_mla_no_q_lora),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
