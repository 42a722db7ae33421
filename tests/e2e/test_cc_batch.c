/* test_cc_batch.c: decode steps of a batch of sequences (sc_llama_step.batch,
 * docs/COMPILER.md, "Batched decode"): B sequences in lockstep, one token
 * each per step, each with its own KV cache.
 *
 * A synthetic model (dim 256, 4 query heads of 64 over 2 kv heads, hidden 896,
 * vocabulary 2000) runs B = 3 sequences with different tokens for 12
 * positions:
 * - in FP32 every sequence's logits are within 1e-4 of the FP32 reference
 *   forward pass run for that sequence alone, with the same greedy token;
 * - in fp8 and fp8-channel (batched GEMVs) every sequence's logits are
 *   bit-identical to the one-sequence program's on the same tokens, and the
 *   timed mode gives the functional bits (every program here splits the
 *   attention's positions in 2 parts, so the sums are the same);
 * - with a BF16 KV cache (sc_cc_options.kv_dtype) the caches take half the
 *   bytes and the FP32 logits stay within 1% of the largest reference logit
 *   (K and V rounded to BF16), for one sequence and for the batch;
 * - 12 sequences (24 units on 16 cores: the decode attention's ring runs on
 *   from unit to unit), and 20 of a latent attention, give one sequence's
 *   bits, functional and timed, at positions whose cache fits one DMA and at
 *   positions that take several. */
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

enum { B = 3, STEPS = 12, SEQ = 16, NB = 20, SEQ_LONG = 768 };

typedef struct prog_run {
  sc_graph *g;
  sc_program *prog;
  sc_device *dev;
  sc_rt_program *p;
  float *logits;
  int32_t tokens[NB];
} prog_run;

static void open_prog_parts(prog_run *r, const sc_model *m, const sc_arch *arch, sc_cc_wdtype t,
                            uint32_t batch, sc_dtype kv, uint32_t parts) {
  char err[1024];
  sc_llama_step st = {.tokens = batch,
                      .max_seq = sc_model_config_of(m)->max_seq_len,
                      .act_dtype = SC_DTYPE_FP32,
                      .batch = batch};
  if (sc_cc_llama_graph(sc_model_config_of(m), &st, &r->g, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  /* the same split of the attention for the batch and one sequence (the
   * automatic choice depends on the number of sequences) */
  sc_cc_options opt = {.wdtype = t, .kv_dtype = kv, .attn_parts = parts};
  if (sc_cc_compile_opts(r->g, m, arch, &opt, &r->prog, NULL, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s batch %u: %s", sc_cc_wdtype_name(t), batch, err);
  assert_int_equal(sc_rt_open(arch, &r->dev, err, sizeof err), SC_STATUS_OK);
  if (sc_rt_load(r->dev, r->prog, NULL, &r->p) != SC_STATUS_OK)
    fail_msg("%s", sc_rt_errmsg(r->dev));
  uint32_t V = sc_model_config_of(m)->vocab_size;
  r->logits = malloc((size_t)batch * V * sizeof *r->logits);
  assert_non_null(r->logits);
  assert_int_equal(sc_rt_bind(r->p, "logits", r->logits, (size_t)batch * V * sizeof *r->logits),
                   SC_STATUS_OK);
  if (batch > 1)
    assert_int_equal(sc_rt_bind(r->p, "tokens", r->tokens, batch * sizeof *r->tokens),
                     SC_STATUS_OK);
}

static void open_prog_kv(prog_run *r, const sc_model *m, const sc_arch *arch, sc_cc_wdtype t,
                         uint32_t batch, sc_dtype kv) {
  open_prog_parts(r, m, arch, t, batch, kv, 2);
}

static void open_prog(prog_run *r, const sc_model *m, const sc_arch *arch, sc_cc_wdtype t,
                      uint32_t batch) {
  open_prog_kv(r, m, arch, t, batch, SC_DTYPE_FP32);
}

static void step(prog_run *r, sc_sim_mode mode, int32_t tok, uint32_t pos) {
  assert_int_equal(sc_rt_set_mode(r->dev, mode, false), SC_STATUS_OK);
  sc_rt_set_args(r->dev, (const uint64_t[]){(uint64_t)tok, pos}, 2);
  assert_int_equal(sc_rt_launch(r->dev, r->p), SC_STATUS_OK);
  if (sc_rt_wait(r->dev) != SC_STATUS_OK) fail_msg("position %u: %s", pos, sc_rt_errmsg(r->dev));
}

static void close_prog(prog_run *r) {
  free(r->logits);
  sc_rt_close(r->dev);
  sc_prog_destroy(r->prog);
  sc_graph_destroy(r->g);
}

static sc_model *model_seq(uint32_t seq) {
  sc_model_config cfg = {.dim = 256,
                         .hidden_dim = 896,
                         .n_layers = 2,
                         .n_heads = 4,
                         .n_kv_heads = 2,
                         .head_dim = 64,
                         .vocab_size = 2048,
                         .max_seq_len = seq,
                         .tied_embeddings = true};
  char err[512];
  sc_model *m;
  if (sc_model_synthetic(&cfg, 99, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  return m;
}

static sc_model *model(void) {
  return model_seq(SEQ);
}

static int32_t argmax(const float *x, uint32_t n) {
  int32_t a = 0;
  for (uint32_t i = 1; i < n; i++)
    if (x[i] > x[a]) a = (int32_t)i;
  return a;
}

/* FP32: each sequence against its own reference run, with the attention's
 * positions whole (parts 1) or split in 2 or 4 parts and combined. */
static void check_f32_vs_reference(uint32_t parts) {
  sc_model *m = model();
  const uint32_t V = sc_model_config_of(m)->vocab_size;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  prog_run r = {0};
  open_prog_parts(&r, m, arch, SC_CC_F32, B, SC_DTYPE_FP32, parts);
  sc_ref *ref[B];
  char err[512];
  for (int b = 0; b < B; b++) {
    if (sc_ref_create(m, SEQ, &ref[b], err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
    r.tokens[b] = 1 + 37 * b;
  }
  double worst = 0;
  for (uint32_t pos = 0; pos < STEPS; pos++) {
    step(&r, SC_SIM_FUNCTIONAL, 0, pos);
    for (int b = 0; b < B; b++) {
      const float *want = sc_ref_forward(ref[b], r.tokens[b], pos), *got = r.logits + b * V;
      assert_non_null(want);
      float scale = 0;
      for (uint32_t i = 0; i < V; i++) scale = fmaxf(scale, fabsf(want[i]));
      for (uint32_t i = 0; i < V; i++) {
        double e = fabs((double)got[i] - (double)want[i]) / (double)scale;
        if (!(e < 1e-4))
          fail_msg("sequence %d position %u: logit %u is %g, the reference's %g", b, pos, i,
                   (double)got[i], (double)want[i]);
        if (e > worst) worst = e;
      }
      int32_t a = argmax(got, V);
      assert_int_equal(a, argmax(want, V));
      r.tokens[b] = a;
    }
  }
  print_message("  f32, attention in %u part(s): %d sequences x %d positions within %.3g of the "
                "reference, same tokens\n",
                parts, B, STEPS, worst);
  for (int b = 0; b < B; b++) sc_ref_free(ref[b]);
  close_prog(&r);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

static void test_f32_vs_reference(void **state) {
  (void)state;
  check_f32_vs_reference(1);
  check_f32_vs_reference(2);
  check_f32_vs_reference(4);
}

/* fp8: the batched program against the one-sequence program, bit for bit. */
static void check_same_bits(sc_cc_wdtype t) {
  sc_model *m = model();
  const uint32_t V = sc_model_config_of(m)->vocab_size;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  prog_run batch = {0}, one[B];
  open_prog(&batch, m, arch, t, B);
  for (int b = 0; b < B; b++) {
    one[b] = (prog_run){0};
    open_prog(&one[b], m, arch, t, 1);
    batch.tokens[b] = 5 + 301 * b;
  }
  for (uint32_t pos = 0; pos < STEPS; pos++) {
    step(&batch, SC_SIM_FUNCTIONAL, 0, pos);
    for (int b = 0; b < B; b++) {
      step(&one[b], SC_SIM_FUNCTIONAL, batch.tokens[b], pos);
      if (memcmp(one[b].logits, batch.logits + b * V, V * sizeof(float)) != 0)
        fail_msg("%s: sequence %d position %u: the batch's logits differ from one sequence's",
                 sc_cc_wdtype_name(t), b, pos);
    }
    if (pos == STEPS - 1) { /* timed: the same bits (rewriting this position's cache rows) */
      float *want = malloc((size_t)B * V * sizeof *want);
      assert_non_null(want);
      memcpy(want, batch.logits, (size_t)B * V * sizeof *want);
      step(&batch, SC_SIM_TIMED, 0, pos);
      assert_memory_equal(batch.logits, want, (size_t)B * V * sizeof *want);
      free(want);
    }
    for (int b = 0; b < B; b++) batch.tokens[b] = argmax(batch.logits + b * V, V);
  }
  print_message("  %-12s %d sequences x %d positions bit-identical to one sequence at a time\n",
                sc_cc_wdtype_name(t), B, STEPS);
  for (int b = 0; b < B; b++) close_prog(&one[b]);
  close_prog(&batch);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

static void test_fp8_same_bits(void **state) {
  (void)state;
  check_same_bits(SC_CC_FP8);
}

static void test_fp8_channel_same_bits(void **state) {
  (void)state;
  check_same_bits(SC_CC_FP8_CHANNEL);
}

/* More units (sequence, kv head) than cores: 12 sequences of 2 kv heads, or
 * 20 of a latent attention's one (keys of 192 values, values of 128), on 16
 * cores, so that some cores take two units, whose cache DMAs run on through
 * one ring, the next unit's first ones issued while the last finishes
 * (docs/COMPILER.md, "Decode attention"). At positions 0-3 a unit's
 * positions fit one DMA of K and one of V (the next unit's are not issued
 * early); further on (200, 300, 700, 701) two or more each (they are, one of
 * them of V when there are two). The batch's logits, functional and timed,
 * are bit for bit the one-sequence programs' (one ring per unit), with an
 * FP32 and a BF16 cache. */
static void check_many_units(sc_model *m, uint32_t nseq, sc_dtype kv, const char *what) {
  const uint32_t V = sc_model_config_of(m)->vocab_size;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  prog_run *batch = calloc(1, sizeof *batch), *one = calloc(nseq, sizeof *one);
  assert_non_null(batch);
  assert_non_null(one);
  open_prog_parts(batch, m, arch, SC_CC_FP8, nseq, kv, 1);
  for (uint32_t b = 0; b < nseq; b++) {
    open_prog_parts(&one[b], m, arch, SC_CC_FP8, 1, kv, 1);
    batch->tokens[b] = (int32_t)((7 + 157 * b) % V);
  }
  static const uint32_t positions[] = {0, 1, 2, 3, 200, 300, 700, 701};
  float *want = malloc((size_t)nseq * V * sizeof *want);
  assert_non_null(want);
  for (size_t i = 0; i < sizeof positions / sizeof *positions; i++) {
    uint32_t pos = positions[i];
    for (int mode = 0; mode < 2; mode++) { /* functional, then timed over the same position */
      sc_sim_mode md = mode ? SC_SIM_TIMED : SC_SIM_FUNCTIONAL;
      step(batch, md, 0, pos);
      for (uint32_t b = 0; b < nseq; b++) {
        step(&one[b], md, batch->tokens[b], pos);
        if (memcmp(one[b].logits, batch->logits + b * V, V * sizeof(float)) != 0)
          fail_msg("%s, %s cache, %s: sequence %u position %u: the batch's logits differ from "
                   "one sequence's",
                   what, sc_dtype_name(kv), mode ? "timed" : "functional", b, pos);
      }
      if (mode == 0)
        memcpy(want, batch->logits, (size_t)nseq * V * sizeof *want);
      else
        assert_memory_equal(batch->logits, want, (size_t)nseq * V * sizeof *want);
    }
    for (uint32_t b = 0; b < nseq; b++) batch->tokens[b] = argmax(batch->logits + b * V, V);
  }
  print_message("  fp8, %s, %s cache: %u sequences at positions 0-3, 200, 300, 700, 701 "
                "bit-identical to one sequence at a time, functional and timed\n",
                what, sc_dtype_name(kv), nseq);
  free(want);
  for (uint32_t b = 0; b < nseq; b++) close_prog(&one[b]);
  close_prog(batch);
  free(one);
  free(batch);
  sc_arch_destroy(arch);
}

static void test_many_units(void **state) {
  (void)state;
  sc_model *m = model_seq(SEQ_LONG);
  check_many_units(m, 12, SC_DTYPE_FP32, "24 units");
  check_many_units(m, 12, SC_DTYPE_BF16, "24 units");
  sc_model_free(m);
  /* a latent attention (docs/COMPILER.md, "Multi-head latent attention") */
  sc_model_config c = {.dim = 256,
                       .hidden_dim = 512,
                       .n_layers = 2,
                       .n_heads = 4,
                       .n_kv_heads = 4,
                       .head_dim = 192,
                       .vocab_size = 300,
                       .max_seq_len = SEQ_LONG,
                       .tied_embeddings = true,
                       .kv_lora_rank = 128,
                       .qk_nope_dim = 128,
                       .qk_rope_dim = 64,
                       .v_head_dim = 128,
                       .q_lora_rank = 128,
                       .norm_eps = 1e-6f};
  char err[512];
  if (sc_model_synthetic(&c, 5, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  check_many_units(m, NB, SC_DTYPE_BF16, "latent, 20 units");
  sc_model_free(m);
}

/* A BF16 cache: half the bytes; logits close to the reference. */
static void check_bf16_kv(uint32_t batch) {
  sc_model *m = model();
  const uint32_t V = sc_model_config_of(m)->vocab_size;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  prog_run r = {0}, r32 = {0};
  open_prog_kv(&r, m, arch, SC_CC_F32, batch, SC_DTYPE_BF16);
  open_prog_kv(&r32, m, arch, SC_CC_F32, batch, SC_DTYPE_FP32);
  const sc_prog_buffer *c16 = sc_prog_find_buffer(r.prog, "k_cache.0");
  const sc_prog_buffer *c32 = sc_prog_find_buffer(r32.prog, "k_cache.0");
  assert_non_null(c16);
  assert_non_null(c32);
  assert_int_equal(c16->dtype, SC_DTYPE_BF16);
  assert_int_equal(c16->shape[0], c32->shape[0]); /* as many values, */
  uint64_t per_seq = (uint64_t)SEQ * 2 * 64;      /* positions x kv heads x head_dim */
  assert_int_equal(c16->shape[0], per_seq * batch);
  sc_ref *ref[B];
  char err[512];
  for (uint32_t b = 0; b < batch; b++) {
    if (sc_ref_create(m, SEQ, &ref[b], err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
    r.tokens[b] = 3 + 41 * (int32_t)b;
  }
  double worst = 0;
  uint32_t agree = 0, total = 0;
  for (uint32_t pos = 0; pos < STEPS; pos++) {
    step(&r, SC_SIM_FUNCTIONAL, r.tokens[0], pos);
    for (uint32_t b = 0; b < batch; b++) {
      const float *want = sc_ref_forward(ref[b], r.tokens[b], pos), *got = r.logits + b * V;
      assert_non_null(want);
      float scale = 0;
      for (uint32_t i = 0; i < V; i++) scale = fmaxf(scale, fabsf(want[i]));
      for (uint32_t i = 0; i < V; i++) {
        double e = fabs((double)got[i] - (double)want[i]) / (double)scale;
        if (!(e < 1e-2))
          fail_msg("bf16 cache, sequence %u position %u: logit %u is %g, the reference's %g", b,
                   pos, i, (double)got[i], (double)want[i]);
        if (e > worst) worst = e;
      }
      int32_t a = argmax(want, V);
      agree += argmax(got, V) == a;
      total++;
      r.tokens[b] = a; /* both follow the reference's tokens */
    }
  }
  print_message(
      "  bf16 cache, %u sequence(s): worst logit error %.3g of the largest, top-1 %u/%u\n", batch,
      worst, agree, total);
  assert_true(worst > 0); /* the rounding is there */
  for (uint32_t b = 0; b < batch; b++) sc_ref_free(ref[b]);
  close_prog(&r);
  close_prog(&r32);
  sc_arch_destroy(arch);
  sc_model_free(m);
}

static void test_bf16_kv_one(void **state) {
  (void)state;
  check_bf16_kv(1);
}

static void test_bf16_kv_batch(void **state) {
  (void)state;
  check_bf16_kv(B);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_f32_vs_reference),      cmocka_unit_test(test_fp8_same_bits),
      cmocka_unit_test(test_fp8_channel_same_bits), cmocka_unit_test(test_bf16_kv_one),
      cmocka_unit_test(test_bf16_kv_batch),         cmocka_unit_test(test_many_units),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
