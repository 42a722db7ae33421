/* test_graph.c: the graph IR: building, shape and dtype inference, every
 * verifier error with its message, the text dump of a small graph against a
 * reviewed listing, and the Llama step graph's structure for stories260K's
 * configuration and for grouped-query, biased and rotate-half variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/cc.h"
#include "seedchip/graph.h"

static void assert_contains(const char *text, const char *want) {
  if (!strstr(text, want)) fail_msg("expected \"%s\" in:\n%s", want, text);
}

/* Verifies g, expecting one problem whose message contains want. */
static void expect_invalid(sc_graph *g, const char *want) {
  sc_strbuf e = {0};
  assert_int_equal(sc_graph_verify(g, &e), SC_STATUS_INVALID);
  assert_contains(sc_strbuf_str(&e), want);
  sc_strbuf_free(&e);
}

static void test_build_and_dump(void **state) {
  (void)state;
  sc_graph *g = sc_graph_create("tiny");
  int64_t x = sc_graph_input(g, "x", SC_DTYPE_FP32, 2, (int64_t[]){4, 64});
  int64_t w = sc_graph_const(g, "w", SC_DTYPE_FP32, 2, (int64_t[]){32, 64}, "blk.0.w");
  int64_t n = sc_graph_const(g, "n", SC_DTYPE_FP32, 1, (int64_t[]){64}, NULL);
  assert_true(x == 0 && w == 1 && n == 2);
  sc_gattrs eps = {.eps = 1e-5f}, tb = {.trans_b = 1};
  int64_t h = sc_graph_op(g, "h", SC_GOP_RMSNORM, (uint32_t[]){0, 2}, 2, &eps);
  int64_t y = sc_graph_op(g, "y", SC_GOP_MATMUL, (uint32_t[]){(uint32_t)h, 1}, 2, &tb);
  int64_t s = sc_graph_op(g, "s", SC_GOP_SILU, (uint32_t[]){(uint32_t)y}, 1, NULL);
  sc_gattrs rs = {.rank = 3, .shape = {4, 4, -1}};
  int64_t r = sc_graph_op(g, "r", SC_GOP_RESHAPE, (uint32_t[]){(uint32_t)s}, 1, &rs);
  sc_gattrs tp = {.perm = {1, 0, 2}};
  int64_t t = sc_graph_op(g, "t", SC_GOP_TRANSPOSE, (uint32_t[]){(uint32_t)r}, 1, &tp);
  int64_t am = sc_graph_op(g, "am", SC_GOP_ARGMAX, (uint32_t[]){(uint32_t)y}, 1, NULL);
  assert_true(sc_graph_output(g, (uint32_t)t));
  assert_true(sc_graph_output(g, (uint32_t)am));
  assert_false(sc_graph_output(g, 99));
  /* before verify the op shapes are unknown */
  sc_strbuf out = {0};
  sc_graph_dump(g, &out);
  assert_contains(out.data, "%h: fp32[] = rmsnorm(%x, %n) {eps=9.99999975e-06}");
  sc_strbuf_free(&out);
  assert_int_equal(sc_graph_verify(g, NULL), SC_STATUS_OK);
  sc_graph_dump(g, &out);
  /* Reviewed: matmul(x[4,64], w[32,64]^T) is [4,32]; 128 elements reshape
   * to [4,4,8]; the transpose swaps the first two axes; argmax drops the
   * last axis and is int32. */
  const char *want = "graph tiny {\n"
                     "  input %x: fp32[4, 64]\n"
                     "  const %w: fp32[32, 64] = \"blk.0.w\"\n"
                     "  const %n: fp32[64] = \"n\"\n"
                     "  %h: fp32[4, 64] = rmsnorm(%x, %n) {eps=9.99999975e-06}\n"
                     "  %y: fp32[4, 32] = matmul(%h, %w) {trans_b}\n"
                     "  %s: fp32[4, 32] = silu(%y)\n"
                     "  %r: fp32[4, 4, 8] = reshape(%s) {shape=[4, 4, -1]}\n"
                     "  %t: fp32[4, 4, 8] = transpose(%r) {perm=[1, 0, 2]}\n"
                     "  %am: int32[4] = argmax(%y)\n"
                     "  output %t\n"
                     "  output %am\n"
                     "}\n";
  assert_string_equal(out.data, want);
  sc_strbuf_free(&out);
  assert_int_equal(sc_graph_find(g, "y"), y);
  assert_int_equal(sc_graph_find(g, "nope"), -1);
  assert_int_equal(sc_graph_value(g, (uint32_t)y)->shape[1], 32);
  sc_graph_destroy(g);
}

static void test_build_errors(void **state) {
  (void)state;
  sc_graph *g = sc_graph_create("e");
  assert_true(sc_graph_input(g, "x", SC_DTYPE_FP32, 1, (int64_t[]){4}) == 0);
  assert_int_equal(sc_graph_input(g, "x", SC_DTYPE_FP32, 1, (int64_t[]){4}), -1);
  assert_contains(sc_graph_error(g), "%x: the name is taken");
  assert_int_equal(sc_graph_input(g, "", SC_DTYPE_FP32, 1, (int64_t[]){4}), -1);
  assert_int_equal(sc_graph_input(g, "big", SC_DTYPE_FP32, 5, (int64_t[]){1, 1, 1, 1, 1}), -1);
  assert_contains(sc_graph_error(g), "rank 5 exceeds 4");
  assert_int_equal(sc_graph_op(g, "y", SC_GOP_ADD, (uint32_t[]){0}, 1, NULL), -1);
  assert_contains(sc_graph_error(g), "add takes 2 to 2 inputs, got 1");
  assert_int_equal(sc_graph_op(g, "y", SC_GOP_SILU, (uint32_t[]){7}, 1, NULL), -1);
  assert_contains(sc_graph_error(g), "value 7, which is not defined yet");
  assert_int_equal(sc_graph_count(g), 1);
  sc_graph_destroy(g);
}

/* One-op graphs that must fail verification with a given message. */
static void test_verify_errors(void **state) {
  (void)state;
  struct {
    sc_gop op;
    int64_t a[4], b[4];
    uint32_t ra, rb;
    sc_dtype da, db;
    sc_gattrs at;
    const char *want;
  } cases[] = {
      {SC_GOP_MATMUL,
       {4, 64},
       {32, 48},
       2,
       2,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.trans_b = 1},
       "%y = matmul: a is [4, 64] but b is [32, 48] (n x k): k 64 != 48"},
      {SC_GOP_ADD,
       {4, 64},
       {3},
       2,
       1,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.axis = 0},
       "b [3] does not broadcast to a [4, 64] (dimension 1)"},
      {SC_GOP_RMSNORM,
       {4, 64},
       {32},
       2,
       1,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.eps = 1e-5f},
       "weight %b is [32], [64] is needed"},
      {SC_GOP_RMSNORM,
       {4, 64},
       {64},
       2,
       1,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.axis = 0},
       "eps 0: a positive epsilon is needed"},
      {SC_GOP_ROPE,
       {4, 2, 7},
       {4},
       3,
       1,
       SC_DTYPE_FP32,
       SC_DTYPE_INT32,
       {.theta = 1e4f},
       "head_dim 7 is odd"},
      {SC_GOP_ROPE,
       {4, 2, 8},
       {3},
       3,
       1,
       SC_DTYPE_FP32,
       SC_DTYPE_INT32,
       {.theta = 1e4f},
       "positions %b has 3 entries, 4 are needed"},
      {SC_GOP_ROPE,
       {4, 2, 8},
       {4},
       3,
       1,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.theta = 1e4f},
       "positions %b is fp32[4]: int32[n] is needed"},
      {SC_GOP_EMBEDDING,
       {10, 8},
       {3},
       2,
       1,
       SC_DTYPE_INT8,
       SC_DTYPE_INT32,
       {.axis = 0},
       "table %a is int8: a float dtype is needed"},
      {SC_GOP_SWIGLU,
       {4, 8},
       {4, 9},
       2,
       2,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.axis = 0},
       "gate [4, 8] and up [4, 9] differ"},
      {SC_GOP_CONCAT,
       {4, 8},
       {5, 9},
       2,
       2,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.axis = 0},
       "differ in dimension 1"},
      {SC_GOP_QUANTIZE,
       {4, 8},
       {3},
       2,
       1,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.dtype = SC_DTYPE_INT8, .gran = SC_GGRAN_ROW},
       "scale %b [3] has 3 elements, this granularity needs 4"},
      {SC_GOP_QUANTIZE,
       {4, 8},
       {4},
       2,
       1,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.dtype = SC_DTYPE_BF16, .gran = SC_GGRAN_ROW},
       "result dtype bf16 does not fit a quantize"},
      {SC_GOP_CACHE_WRITE,
       {16, 2, 8},
       {1, 2, 8},
       3,
       3,
       SC_DTYPE_FP32,
       SC_DTYPE_FP32,
       {.axis = 0},
       "cache %a is not a state"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sc_graph *g = sc_graph_create("v");
    uint32_t a = (uint32_t)sc_graph_input(g, "a", cases[i].da, cases[i].ra, cases[i].a);
    uint32_t b = (uint32_t)sc_graph_input(g, "b", cases[i].db, cases[i].rb, cases[i].b);
    uint32_t in[3] = {a, b, b};
    uint32_t n = cases[i].op == SC_GOP_CACHE_WRITE ? 3 : 2;
    if (cases[i].op == SC_GOP_CACHE_WRITE)
      in[2] = (uint32_t)sc_graph_input(g, "p", SC_DTYPE_INT32, 1, (int64_t[]){1});
    int64_t y = sc_graph_op(g, "y", cases[i].op, in, n, &cases[i].at);
    assert_true(y >= 0);
    sc_graph_output(g, (uint32_t)y);
    expect_invalid(g, cases[i].want);
    sc_graph_destroy(g);
  }
  /* no output; a zero dimension */
  sc_graph *g = sc_graph_create("none");
  (void)sc_graph_input(g, "x", SC_DTYPE_FP32, 2, (int64_t[]){4, 0});
  expect_invalid(g, "graph none: no output");
  expect_invalid(g, "%x: dimension 1 is 0");
  sc_graph_destroy(g);
}

/* slice: the shape along its axis (negative counts from the end), its dump,
 * and boxes outside the axis refused with the numbers. */
static void test_slice(void **state) {
  (void)state;
  sc_graph *g = sc_graph_create("sl");
  uint32_t x = (uint32_t)sc_graph_input(g, "x", SC_DTYPE_FP32, 3, (int64_t[]){5, 4, 6});
  sc_gattrs last = {.axis = 0, .start = 4, .len = 1}, mid = {.axis = -1, .start = 1, .len = 3};
  int64_t a = sc_graph_op(g, "a", SC_GOP_SLICE, &x, 1, &last);
  int64_t b = sc_graph_op(g, "b", SC_GOP_SLICE, &x, 1, &mid);
  assert_true(a >= 0 && b >= 0);
  sc_graph_output(g, (uint32_t)a);
  sc_graph_output(g, (uint32_t)b);
  assert_int_equal(sc_graph_verify(g, NULL), SC_STATUS_OK);
  sc_strbuf out = {0};
  sc_graph_dump(g, &out);
  assert_contains(out.data, "%a: fp32[1, 4, 6] = slice(%x) {axis=0, start=4, len=1}");
  assert_contains(out.data, "%b: fp32[5, 4, 3] = slice(%x) {axis=-1, start=1, len=3}");
  sc_strbuf_free(&out);
  sc_graph_destroy(g);
  const struct {
    sc_gattrs at;
    const char *want;
  } bad[] = {
      {{.axis = 3, .start = 0, .len = 1}, "axis 3 outside [5, 4, 6]"},
      {{.axis = 0, .start = 4, .len = 2}, "elements [4, 4 + 2) are outside axis 0 of [5, 4, 6]"},
      {{.axis = 1, .start = -1, .len = 1}, "elements [-1, -1 + 1) are outside axis 1"},
      {{.axis = 2, .start = 0, .len = 0}, "elements [0, 0 + 0) are outside axis 2"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    g = sc_graph_create("sl");
    x = (uint32_t)sc_graph_input(g, "x", SC_DTYPE_FP32, 3, (int64_t[]){5, 4, 6});
    int64_t y = sc_graph_op(g, "y", SC_GOP_SLICE, &x, 1, &bad[i].at);
    assert_true(y >= 0);
    sc_graph_output(g, (uint32_t)y);
    expect_invalid(g, bad[i].want);
    sc_graph_destroy(g);
  }
}

static sc_model_config stories260k(void) {
  sc_model_config c = {.arch = "llama",
                       .dim = 64,
                       .hidden_dim = 172,
                       .n_layers = 5,
                       .n_heads = 8,
                       .n_kv_heads = 4,
                       .head_dim = 8,
                       .vocab_size = 512,
                       .max_seq_len = 512,
                       .rope_theta = 10000,
                       .norm_eps = 1e-5f,
                       .rope_style = SC_ROPE_PAIRS,
                       .tied_embeddings = true};
  return c;
}

static void test_llama_graph(void **state) {
  (void)state;
  sc_model_config c = stories260k();
  sc_llama_step step = {.tokens = 1, .max_seq = 512, .act_dtype = SC_DTYPE_FP32};
  sc_graph *g;
  char err[512];
  if (sc_cc_llama_graph(&c, &step, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  const sc_gvalue *logits = sc_graph_value(g, (uint32_t)sc_graph_find(g, "logits"));
  assert_true(logits->is_output);
  assert_int_equal(logits->rank, 2);
  assert_int_equal(logits->shape[0], 1);
  assert_int_equal(logits->shape[1], 512);
  /* tied: the classifier reads the embedding table; no output.weight */
  assert_int_equal(sc_graph_find(g, "output.weight"), -1);
  assert_string_equal(sc_graph_value(g, logits->in[1])->name, "token_embd.weight");
  /* per layer: 9 weights, 2 caches, 21 ops (norm, 3 projections and 3 reshapes, 2 ropes, 2
   * cache writes, attention, reshape, output projection, residual, norm, gate, up, swiglu,
   * down, residual); plus the embedding table and final norm, and x, x_final, logits */
  size_t ops = 0, consts = 0, states = 0;
  for (uint32_t i = 0; i < sc_graph_count(g); i++) {
    const sc_gvalue *v = sc_graph_value(g, i);
    ops += v->kind == SC_GV_OP;
    consts += v->kind == SC_GV_CONST;
    states += v->kind == SC_GV_STATE;
  }
  assert_int_equal(consts, 2 + 5 * 9);
  assert_int_equal(states, 5 * 2);
  assert_int_equal(ops, 3 + 5 * 21);
  /* GQA shapes: q heads 8, k heads 4, head_dim 8; the cache holds 512 positions */
  const sc_gvalue *q = sc_graph_value(g, (uint32_t)sc_graph_find(g, "l2.q_rope"));
  const sc_gvalue *kc = sc_graph_value(g, (uint32_t)sc_graph_find(g, "l2.k_cache"));
  assert_true(q->shape[0] == 1 && q->shape[1] == 8 && q->shape[2] == 8);
  assert_true(kc->shape[0] == 512 && kc->shape[1] == 4 && kc->shape[2] == 8);
  sc_strbuf out = {0};
  sc_graph_dump(g, &out);
  assert_contains(out.data, "  %l0.attn: fp32[1, 8, 8] = attention(%l0.q_rope, %l0.k_cache, "
                            "%l0.v_cache, %pos) {causal}\n");
  assert_contains(out.data, "  %l4.swiglu: fp32[1, 172] = swiglu(%l4.gate, %l4.up)\n");
  assert_contains(out.data, "{theta=10000, pairs}");
  sc_strbuf_free(&out);
  sc_graph_destroy(g);

  /* Qwen2-like: biases, rotate-half, untied, a prefill chunk of 16, bf16 */
  c.qkv_bias = true;
  c.rope_style = SC_ROPE_HALVES;
  c.tied_embeddings = false;
  step = (sc_llama_step){.tokens = 16, .max_seq = 64, .act_dtype = SC_DTYPE_BF16};
  if (sc_cc_llama_graph(&c, &step, &g, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_true(sc_graph_find(g, "blk.0.attn_q.bias") >= 0);
  assert_true(sc_graph_find(g, "output.weight") >= 0);
  logits = sc_graph_value(g, (uint32_t)sc_graph_find(g, "logits"));
  assert_int_equal(logits->shape[0], 16);
  assert_int_equal(logits->dtype, SC_DTYPE_BF16);
  sc_graph_dump(g, &out);
  assert_contains(out.data, "{theta=10000, halves}");
  assert_contains(out.data, "%l3.q: bf16[16, 64] = matmul(%l3.attn_in, %blk.3.attn_q.weight, "
                            "%blk.3.attn_q.bias) {trans_b}");
  sc_strbuf_free(&out);
  sc_graph_destroy(g);

  /* configurations it refuses */
  c.n_kv_heads = 3;
  assert_int_equal(sc_cc_llama_graph(&c, &step, &g, err, sizeof err), SC_STATUS_INVALID);
  assert_contains(err, "8 query heads do not divide into 3 kv heads");
  c.n_kv_heads = 4;
  step.tokens = 65;
  assert_int_equal(sc_cc_llama_graph(&c, &step, &g, err, sizeof err), SC_STATUS_INVALID);
  assert_contains(err, "65 tokens per step exceed the cache's 64 positions");
  step.tokens = 1;
  step.act_dtype = SC_DTYPE_INT8;
  assert_int_equal(sc_cc_llama_graph(&c, &step, &g, err, sizeof err), SC_STATUS_INVALID);
  assert_contains(err, "activations are fp32 or bf16, not int8");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build_and_dump), cmocka_unit_test(test_build_errors),
      cmocka_unit_test(test_verify_errors),  cmocka_unit_test(test_slice),
      cmocka_unit_test(test_llama_graph),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
