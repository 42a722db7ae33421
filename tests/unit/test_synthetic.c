/* test_synthetic.c: sc_model_synthetic (src/llm/synthetic.c): the same seed
 * gives the same bytes and another seed other bytes; every tensor of the
 * configuration is there with its shape (llm_model_check), for tied and untied
 * classifiers, with and without biases; a tensor's values depend on the seed
 * and its name only; the statistics of the weights are the documented ones
 * (|w| <= a = 1/sqrt(fan_in), mean about 0, norms in [0.8, 1.2]); the
 * reference forward pass runs on several shapes with finite logits of order 1;
 * and every refusal has its status and exact message. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "llm_int.h"
#include "seedchip/model.h"
#include "seedchip/reference.h"

/* A small GQA configuration (2 query heads per kv head). */
static sc_model_config small_config(void) {
  sc_model_config c = {.dim = 64,
                       .hidden_dim = 96,
                       .n_layers = 2,
                       .n_heads = 4,
                       .n_kv_heads = 2,
                       .vocab_size = 100,
                       .max_seq_len = 32,
                       .tied_embeddings = true};
  return c;
}

static sc_model *make(const sc_model_config *c, uint64_t seed) {
  char err[256] = "";
  sc_model *m = NULL;
  sc_status st = sc_model_synthetic(c, seed, &m, err, sizeof err);
  if (st != SC_STATUS_OK) fail_msg("sc_model_synthetic: %s", err);
  assert_non_null(m);
  return m;
}

static bool same_bytes(const sc_tensor *a, const sc_tensor *b) {
  return a->n_bytes == b->n_bytes && memcmp(a->data, b->data, a->n_bytes) == 0;
}

static void test_deterministic(void **state) {
  (void)state;
  sc_model_config c = small_config();
  sc_model *a = make(&c, 42), *b = make(&c, 42), *d = make(&c, 43);
  assert_int_equal(sc_model_tensor_count(a), sc_model_tensor_count(b));
  for (size_t i = 0; i < sc_model_tensor_count(a); i++) {
    const sc_tensor *ta = sc_model_tensor_at(a, i);
    const sc_tensor *tb = sc_model_tensor(b, ta->name), *td = sc_model_tensor(d, ta->name);
    assert_non_null(tb);
    assert_non_null(td);
    if (!same_bytes(ta, tb)) fail_msg("%s: seed 42 gave two different tensors", ta->name);
    if (same_bytes(ta, td)) fail_msg("%s: seeds 42 and 43 gave the same tensor", ta->name);
  }
  /* Seed 0 is a seed like any other (xorshift's state is never 0). */
  sc_model *z = make(&c, 0);
  const sc_tensor *t = sc_model_tensor(z, "blk.1.ffn_down.weight");
  float w[8];
  sc_tensor_to_f32(t, 0, 8, w);
  assert_true(w[0] != w[1] && w[1] != w[2]);
  sc_model_free(z);
  sc_model_free(a);
  sc_model_free(b);
  sc_model_free(d);
}

/* The weights of a tensor depend on the seed and its name, not on the rest of
 * the configuration: layer 0 is the same in a 1-layer and a 3-layer model. */
static void test_tensor_streams_independent(void **state) {
  (void)state;
  sc_model_config c1 = small_config(), c3 = small_config();
  c1.n_layers = 1;
  c3.n_layers = 3;
  c3.vocab_size = 200; /* a different embedding table; layer 0 must not care */
  sc_model *m1 = make(&c1, 7), *m3 = make(&c3, 7);
  for (size_t i = 0; i < sc_model_tensor_count(m1); i++) {
    const sc_tensor *t = sc_model_tensor_at(m1, i);
    if (strncmp(t->name, "blk.0.", 6) != 0) continue;
    assert_true(same_bytes(t, sc_model_tensor(m3, t->name)));
  }
  /* and two tensors of the same shape get different values */
  assert_false(same_bytes(sc_model_tensor(m3, "blk.0.attn_k.weight"),
                          sc_model_tensor(m3, "blk.0.attn_v.weight")));
  sc_model_free(m1);
  sc_model_free(m3);
}

static void test_tensors_and_shapes(void **state) {
  (void)state;
  struct {
    bool tied, bias;
    sc_rope_style rope;
    uint32_t head_dim; /* 0: dim / n_heads */
  } cases[] = {
      {true, false, SC_ROPE_PAIRS, 0},
      {false, false, SC_ROPE_PAIRS, 0},
      {false, true, SC_ROPE_HALVES, 0},
      {true, true, SC_ROPE_HALVES, 32}, /* q_dim 128 != dim 64 */
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    sc_model_config c = small_config();
    c.tied_embeddings = cases[k].tied;
    c.qkv_bias = cases[k].bias;
    c.rope_style = cases[k].rope;
    c.head_dim = cases[k].head_dim;
    sc_model *m = make(&c, 1);
    const sc_model_config *mc = sc_model_config_of(m);
    assert_string_equal(sc_model_format(m), "synthetic");
    assert_string_equal(mc->arch, "llama");
    assert_int_equal(mc->head_dim, cases[k].head_dim ? cases[k].head_dim : 16);
    assert_true(mc->rope_theta == 10000.0f && mc->norm_eps == 1e-5f);
    assert_int_equal(mc->tied_embeddings, cases[k].tied);
    assert_int_equal(mc->qkv_bias, cases[k].bias);
    assert_int_equal(mc->rope_style, cases[k].rope);
    size_t want = (cases[k].tied ? 2 : 3) + c.n_layers * (cases[k].bias ? 12 : 9);
    assert_int_equal(sc_model_tensor_count(m), want);
    assert_int_equal(sc_model_tensor(m, "output.weight") == NULL, cases[k].tied);
    uint64_t q_dim = 4ull * mc->head_dim;
    const sc_tensor *q = sc_model_tensor(m, "blk.1.attn_q.weight");
    assert_non_null(q);
    assert_int_equal(q->type, SC_WTYPE_F32);
    assert_int_equal(q->shape[0], q_dim);
    assert_int_equal(q->shape[1], 64);
    const sc_tensor *o = sc_model_tensor(m, "blk.1.attn_output.weight");
    assert_int_equal(o->shape[0], 64);
    assert_int_equal(o->shape[1], q_dim);
    if (cases[k].bias) {
      assert_int_equal(sc_model_tensor(m, "blk.0.attn_k.bias")->shape[0], 2ull * mc->head_dim);
    }
    char err[256] = "";
    sc_status st = llm_model_check(m, err, sizeof err);
    if (st != SC_STATUS_OK) fail_msg("case %zu: %s", k, err);
    sc_model_free(m);
  }
  /* the arch name is kept */
  sc_model_config c = small_config();
  snprintf(c.arch, sizeof c.arch, "qwen2");
  sc_model *m = make(&c, 1);
  assert_string_equal(sc_model_config_of(m)->arch, "qwen2");
  sc_model_free(m);
}

/* Statistics of every tensor against the documented distributions. */
static void test_weight_stats(void **state) {
  (void)state;
  sc_model_config c = small_config();
  c.tied_embeddings = false;
  c.qkv_bias = true;
  c.hidden_dim = 200;
  sc_model *m = make(&c, 12345);
  for (size_t i = 0; i < sc_model_tensor_count(m); i++) {
    const sc_tensor *t = sc_model_tensor_at(m, i);
    float *w = malloc(t->n_elems * sizeof *w);
    assert_non_null(w);
    sc_tensor_to_f32(t, 0, t->n_elems, w);
    double sum = 0, lo = (double)INFINITY, hi = -(double)INFINITY;
    for (uint64_t j = 0; j < t->n_elems; j++) {
      double v = (double)w[j];
      sum += v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    double mean = sum / (double)t->n_elems;
    const char *kind = strstr(t->name, "norm") ? "norm" : strstr(t->name, "bias") ? "bias" : "w";
    double center = 0, a;
    if (kind[0] == 'n') {
      center = 1.0;
      a = 0.2;
    } else if (kind[0] == 'b') {
      a = 0.1;
    } else {
      a = (double)(1.0f / sqrtf((float)t->shape[1]));
    }
    /* the mean of n uniform(-a, a) has sigma a / sqrt(3 n); 5 sigma */
    double tol = 5 * a / sqrt(3.0 * (double)t->n_elems);
    if (fabs(mean - center) > tol)
      fail_msg("%s: mean %g, expected %g within %g", t->name, mean, center, tol);
    if (lo < center - a - 1e-6 || hi > center + a + 1e-6)
      fail_msg("%s: values in [%g, %g], outside %g +- %g", t->name, lo, hi, center, a);
    if (kind[0] == 'w' && (hi < 0.9 * a || lo > -0.9 * a)) /* and they use the range */
      fail_msg("%s: values in [%g, %g], expected to reach near +-%g", t->name, lo, hi, a);
    free(w);
  }
  /* the bound is exact for the matrices: max |w| <= a in FP32 */
  const sc_tensor *t = sc_model_tensor(m, "blk.0.ffn_down.weight");
  float a = 1.0f / sqrtf(200.0f), w[1];
  for (uint64_t j = 0; j < t->n_elems; j++) {
    sc_tensor_to_f32(t, j, 1, w);
    assert_true(fabsf(w[0]) <= a);
  }
  sc_model_free(m);
}

/* The reference forward pass on several shapes: finite logits of order 1. */
static void test_reference_runs(void **state) {
  (void)state;
  sc_model_config cases[4];
  cases[0] = small_config();
  cases[1] = small_config(); /* MQA, untied */
  cases[1].n_kv_heads = 1;
  cases[1].tied_embeddings = false;
  cases[2] = small_config(); /* Qwen2-like */
  cases[2].qkv_bias = true;
  cases[2].rope_style = SC_ROPE_HALVES;
  cases[2].tied_embeddings = false;
  cases[3] = small_config(); /* head_dim 8, 8 heads, more layers */
  cases[3].n_heads = 8;
  cases[3].n_kv_heads = 8;
  cases[3].n_layers = 4;
  for (size_t k = 0; k < 4; k++) {
    sc_model *m = make(&cases[k], 99);
    sc_ref *r;
    char err[256];
    if (sc_ref_create(m, 0, &r, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
    int32_t tok = 1;
    for (uint32_t pos = 0; pos < 16; pos++) {
      const float *lg = sc_ref_forward(r, tok, pos);
      assert_non_null(lg);
      double mx = 0, sum = 0, sum2 = 0;
      int32_t best = 0;
      for (uint32_t i = 0; i < cases[k].vocab_size; i++) {
        double l = (double)lg[i];
        if (!isfinite(l)) fail_msg("case %zu pos %u: logit %u is %g", k, pos, i, l);
        if (fabs(l) > mx) mx = fabs(l);
        if (lg[i] > lg[best]) best = (int32_t)i;
        sum += l;
        sum2 += l * l;
      }
      double n = cases[k].vocab_size, sd = sqrt(sum2 / n - (sum / n) * (sum / n));
      if (!(mx < 20 && sd > 0.05))
        fail_msg("case %zu pos %u: logits max |l| %g, std %g: not of order 1", k, pos, mx, sd);
      tok = best;
    }
    sc_ref_free(r);
    sc_model_free(m);
  }
}

/* The weight bytes of a tied model without biases, computed from the shapes
 * (model.h) rather than from the tensors. */
static uint64_t weight_bytes(const sc_model_config *c) {
  uint64_t D = c->dim, H = c->hidden_dim, hd = c->head_dim ? c->head_dim : D / c->n_heads;
  uint64_t q = c->n_heads * hd, kv = c->n_kv_heads * hd;
  uint64_t layer = 2 * D + q * D * 2 + kv * D * 2 + 3 * H * D;
  return 4 * (c->vocab_size * D + D + c->n_layers * layer);
}

#define CFG(d, h, l, nh, kv, v, s)                                                                 \
  {                                                                                                \
    .dim = d, .hidden_dim = h, .n_layers = l, .n_heads = nh, .n_kv_heads = kv, .vocab_size = v,    \
    .max_seq_len = s, .tied_embeddings = true                                                      \
  }

static void test_errors(void **state) {
  (void)state;
  struct {
    const char *what;
    sc_model_config c;
    sc_status st;
    const char *msg; /* NULL: the 8 GiB message, checked below */
  } cases[] = {
      {"dim 0", CFG(0, 96, 2, 4, 2, 100, 32), SC_STATUS_INVALID,
       "synthetic: config: dim is 0 (must be 1 to 16777216)"},
      {"no kv heads", CFG(64, 96, 2, 4, 0, 100, 32), SC_STATUS_INVALID,
       "synthetic: config: n_kv_heads is 0 (must be 1 to 16777216)"},
      {"no positions", CFG(64, 96, 2, 4, 2, 100, 0), SC_STATUS_INVALID,
       "synthetic: config: max_seq_len is 0 (must be 1 to 4294967295)"},
      {"too many layers", CFG(64, 96, 5000, 4, 2, 100, 32), SC_STATUS_INVALID,
       "synthetic: config: n_layers is 5000 (must be 1 to 4096)"},
      {"heads", CFG(64, 96, 2, 6, 4, 100, 32), SC_STATUS_INVALID,
       "synthetic: config: n_heads (6) is not a multiple of n_kv_heads (4)"},
      {"dim", CFG(100, 96, 2, 3, 1, 100, 32), SC_STATUS_INVALID,
       "synthetic: config: dim (100) is not a multiple of n_heads (3)"},
      {"odd head_dim", CFG(28, 96, 2, 4, 2, 100, 32), SC_STATUS_INVALID,
       "synthetic: config: head_dim 7 (must be even, and head_dim * n_heads at most 16777216)"},
      /* 8 GiB of embeddings (2^20 x 2048 x 4 bytes) and then the layers */
      {"over 8 GiB", CFG(2048, 5632, 2, 16, 4, 1u << 20, 32), SC_STATUS_OVERFLOW, NULL},
      /* 2^24-wide layers: seven 2^24 x 2^24 matrices of 2^50 bytes each, so 64
       * bits overflow in the 2341st layer */
      {"overflow", CFG(1u << 24, 1u << 24, 4096, 1, 1, 100, 32), SC_STATUS_OVERFLOW,
       "synthetic: blk.2340.attn_output.weight: the weights' byte count overflows 64 bits"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    char err[256] = "";
    sc_model *m = (sc_model *)&cases[k]; /* must come back NULL */
    sc_status st = sc_model_synthetic(&cases[k].c, 1, &m, err, sizeof err);
    if (st != cases[k].st)
      fail_msg("%s: status %s, expected %s (%s)", cases[k].what, sc_status_str(st),
               sc_status_str(cases[k].st), err);
    assert_null(m);
    char want[256];
    if (cases[k].msg)
      snprintf(want, sizeof want, "%s", cases[k].msg);
    else
      snprintf(want, sizeof want,
               "synthetic: the weights need %llu bytes, more than the limit of 8 GiB (8589934592)",
               (unsigned long long)weight_bytes(&cases[k].c));
    if (strcmp(err, want) != 0)
      fail_msg("%s: message\n  %s\nexpected\n  %s", cases[k].what, err, want);
  }
  /* rope_style and rope_theta (0 is the default, a negative one is refused) */
  sc_model_config c = small_config();
  char err[256];
  sc_model *m;
  c.rope_style = (sc_rope_style)7;
  assert_int_equal(sc_model_synthetic(&c, 1, &m, err, sizeof err), SC_STATUS_INVALID);
  assert_string_equal(err, "synthetic: config: unknown rope_style 7");
  c = small_config();
  c.rope_theta = -1.0f;
  assert_int_equal(sc_model_synthetic(&c, 1, &m, err, sizeof err), SC_STATUS_INVALID);
  assert_string_equal(
      err, "synthetic: config: rope_theta -1 must be positive and norm_eps 1e-05 in [0, 1]");
  /* NULL arguments */
  assert_int_equal(sc_model_synthetic(NULL, 1, &m, err, sizeof err), SC_STATUS_INVALID_ARGUMENT);
  assert_null(m);
  assert_string_equal(err, "synthetic: cfg is NULL");
  c = small_config();
  assert_int_equal(sc_model_synthetic(&c, 1, NULL, err, sizeof err), SC_STATUS_INVALID_ARGUMENT);
  assert_string_equal(err, "synthetic: out is NULL");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deterministic),      cmocka_unit_test(test_tensor_streams_independent),
      cmocka_unit_test(test_tensors_and_shapes), cmocka_unit_test(test_weight_stats),
      cmocka_unit_test(test_reference_runs),     cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
