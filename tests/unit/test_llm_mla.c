/* test_llm_mla.c: multi-head latent attention (DeepSeek-V2/V3) in layer llm.
 *
 * - the configuration check: each MLA and DeepSeek-MoE field out of range is
 *   refused with the message naming it; head_dim is filled in as qk_nope_dim
 *   + qk_rope_dim (odd allowed: only the rope part turns);
 * - synthetic MLA models have model.h's MLA tensors with their shapes (with
 *   and without a query latent), no attn_k/attn_v, matrices within 1/sqrt of
 *   their last dimension, norms in [0.8, 1.2]; a mixture of experts still
 *   gets the dense feed-forward only;
 * - llm_model_check names an MLA tensor that is missing or misshapen;
 * - the reference forward pass against an independent double-precision
 *   implementation written here from the formulas of reference.h (naive MLA,
 *   one token at a time, two layers), at positions 0 to 3, with and without
 *   the query latent, and with a rope part of 4 (frequencies theta^(-2j/4)):
 *   within 1e-5 of the largest logit;
 * - the rope part matters: another rope_theta leaves position 0's logits
 *   exactly as they are (every rotation is by angle 0 there) and changes
 *   position 1's. */
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

enum { DIM = 16, HIDDEN = 24, HEADS = 2, LORA = 8, NOPE = 4, ROPE = 2, VD = 4, VOCAB = 12 };
enum { LAYERS = 2, SEQ = 4, QK = NOPE + ROPE, MAX_ROPE = 4 };

/* dim 16, 2 heads, kv latent 8, nope 4, rope 2, value 4; q_lora 6 or 0. */
static sc_model_config mla_config(uint32_t q_lora) {
  sc_model_config c = {.arch = "deepseek2",
                       .dim = DIM,
                       .hidden_dim = HIDDEN,
                       .n_layers = LAYERS,
                       .n_heads = HEADS,
                       .n_kv_heads = HEADS,
                       .vocab_size = VOCAB,
                       .max_seq_len = 16,
                       .tied_embeddings = true,
                       .rope_theta = 10000.0f,
                       .norm_eps = 1e-5f,
                       .q_lora_rank = q_lora,
                       .kv_lora_rank = LORA,
                       .qk_nope_dim = NOPE,
                       .qk_rope_dim = ROPE,
                       .v_head_dim = VD};
  return c;
}

static sc_model *make(const sc_model_config *c, uint64_t seed) {
  char err[256] = "";
  sc_model *m = NULL;
  if (sc_model_synthetic(c, seed, &m, err, sizeof err) != SC_STATUS_OK)
    fail_msg("sc_model_synthetic: %s", err);
  return m;
}

/* ---- the configuration check ---- */

static void test_config_check(void **state) {
  (void)state;
  char err[256];
  sc_model_config c = mla_config(6);
  if (llm_config_check(&c, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(c.head_dim, QK); /* filled in */
  c = mla_config(6);
  c.qk_nope_dim = 3; /* head_dim 5: odd is fine, only the 2 rope elements turn */
  if (llm_config_check(&c, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(c.head_dim, 5);
  c = mla_config(6);
  c.n_experts = 4, c.n_experts_used = 2, c.n_shared_experts = 1, c.moe_hidden_dim = 8;
  c.n_dense_layers = 1;
  if (llm_config_check(&c, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);

  enum { Q_LORA, KV_LORA, NOPE_, ROPE_, V, HEAD_DIM, KV_HEADS, BIAS, EXPERTS, SHARED, DENSE, MOE };
  const struct {
    int field;
    uint32_t value;
    uint32_t kv_lora, experts; /* the case's kv_lora_rank and n_experts */
    const char *msg;
  } cases[] = {
      {ROPE_, 0, LORA, 0,
       "config: qk_rope_dim is 0 (must be 1 to 16777216 with multi-head latent attention)"},
      {ROPE_, 3, LORA, 0, "config: qk_rope_dim 3 must be even (RoPE turns pairs)"},
      {NOPE_, 0, LORA, 0,
       "config: qk_nope_dim is 0 (must be 1 to 16777216 with multi-head latent attention)"},
      {V, 0, LORA, 0,
       "config: v_head_dim is 0 (must be 1 to 16777216 with multi-head latent attention)"},
      {V, 1u << 24, LORA, 0,
       "config: v_head_dim 16777216 (v_head_dim * n_heads must be at most 16777216)"},
      {KV_LORA, (1u << 24) + 1, (1u << 24) + 1, 0,
       "config: kv_lora_rank is 16777217 (must be 1 to 16777216 with multi-head latent "
       "attention)"},
      {Q_LORA, (1u << 24) + 1, LORA, 0,
       "config: q_lora_rank is 16777217 (must be 0 to 16777216 with multi-head latent "
       "attention)"},
      {HEAD_DIM, 8, LORA, 0,
       "config: head_dim 8 is not qk_nope_dim + qk_rope_dim (4 + 2) with multi-head latent "
       "attention"},
      {KV_HEADS, 1, LORA, 0,
       "config: n_kv_heads (1) must equal n_heads (2) with multi-head latent attention (a key "
       "and a value per head)"},
      {BIAS, 1, LORA, 0,
       "config: qkv_bias with multi-head latent attention (it has no attn_q/k/v)"},
      /* without MLA every MLA field is 0 */
      {KV_LORA, 0, 0, 0,
       "config: qk_nope_dim is 4 without multi-head latent attention (kv_lora_rank 0; must be "
       "0)"},
      /* DeepSeek's expert fields */
      {SHARED, 1, LORA, 0,
       "config: n_shared_experts is 1 without experts (n_experts 0; must be 0)"},
      {DENSE, 1, LORA, 0, "config: n_dense_layers is 1 without experts (n_experts 0; must be 0)"},
      {MOE, 8, LORA, 0, "config: moe_hidden_dim is 8 without experts (n_experts 0; must be 0)"},
      {DENSE, 2, LORA, 4, "config: n_dense_layers 2 must be below n_layers (2)"},
      {MOE, 1u << 23, LORA, 4,
       "config: moe_hidden_dim 8388608 and n_shared_experts 3 (each expert and the shared ones "
       "together at most 16777216 wide)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    c = mla_config(6);
    c.kv_lora_rank = cases[i].kv_lora;
    if (cases[i].experts) c.n_experts = cases[i].experts, c.n_experts_used = 2;
    if (cases[i].field == MOE && cases[i].experts) c.n_shared_experts = 3;
    uint32_t v = cases[i].value;
    switch (cases[i].field) {
    case Q_LORA:
      c.q_lora_rank = v;
      break;
    case KV_LORA:
      c.kv_lora_rank = v;
      break;
    case NOPE_:
      c.qk_nope_dim = v;
      break;
    case ROPE_:
      c.qk_rope_dim = v;
      break;
    case V:
      c.v_head_dim = v;
      break;
    case HEAD_DIM:
      c.head_dim = v;
      break;
    case KV_HEADS:
      c.n_kv_heads = v;
      break;
    case BIAS:
      c.qkv_bias = true;
      break;
    case EXPERTS:
      c.n_experts = v;
      break;
    case SHARED:
      c.n_shared_experts = v;
      break;
    case DENSE:
      c.n_dense_layers = v;
      break;
    case MOE:
      c.moe_hidden_dim = v;
      break;
    }
    err[0] = '\0';
    sc_status st = llm_config_check(&c, err, sizeof err);
    if (st != SC_STATUS_INVALID || strcmp(err, cases[i].msg) != 0)
      fail_msg("case %zu: got %s \"%s\"\n  want INVALID \"%s\"", i, sc_status_name(st), err,
               cases[i].msg);
  }
}

/* ---- synthetic MLA models and the tensor check ---- */

static void expect_shape(const sc_model *m, const char *name, uint32_t rank, uint64_t a, uint64_t b,
                         uint64_t c) {
  const sc_tensor *t = sc_model_tensor(m, name);
  if (!t) fail_msg("%s: missing", name);
  const uint64_t want[3] = {a, b, c};
  assert_int_equal(t->rank, rank);
  for (uint32_t i = 0; i < rank; i++)
    if (t->shape[i] != want[i])
      fail_msg("%s: dimension %u is %llu", name, i, (unsigned long long)t->shape[i]);
}

static void test_synthetic_tensors(void **state) {
  (void)state;
  for (uint32_t q_lora = 0; q_lora <= 6; q_lora += 6) {
    sc_model_config c = mla_config(q_lora);
    sc_model *m = make(&c, 5);
    const sc_model_config *mc = sc_model_config_of(m);
    assert_int_equal(mc->head_dim, QK);
    assert_int_equal(mc->kv_lora_rank, LORA);
    /* tied: token_embd, output_norm; 13 tensors a layer with the query latent, 11 without */
    assert_int_equal(sc_model_tensor_count(m), 2 + LAYERS * (q_lora ? 13 : 11));
    for (int l = 0; l < LAYERS; l++) {
      char name[64];
#define NAME(suffix) (snprintf(name, sizeof name, "blk.%d.%s", l, suffix), name)
      if (q_lora) {
        expect_shape(m, NAME("attn_q_a.weight"), 2, q_lora, DIM, 0);
        expect_shape(m, NAME("attn_q_a_norm.weight"), 1, q_lora, 0, 0);
        expect_shape(m, NAME("attn_q_b.weight"), 2, HEADS * QK, q_lora, 0);
        assert_null(sc_model_tensor(m, NAME("attn_q.weight")));
      } else {
        expect_shape(m, NAME("attn_q.weight"), 2, HEADS * QK, DIM, 0);
        assert_null(sc_model_tensor(m, NAME("attn_q_a.weight")));
      }
      expect_shape(m, NAME("attn_kv_a_mqa.weight"), 2, LORA + ROPE, DIM, 0);
      expect_shape(m, NAME("attn_kv_a_norm.weight"), 1, LORA, 0, 0);
      expect_shape(m, NAME("attn_k_b.weight"), 3, HEADS, LORA, NOPE);
      expect_shape(m, NAME("attn_v_b.weight"), 3, HEADS, VD, LORA);
      expect_shape(m, NAME("attn_output.weight"), 2, DIM, HEADS * VD, 0);
      expect_shape(m, NAME("ffn_gate.weight"), 2, HIDDEN, DIM, 0);
      assert_null(sc_model_tensor(m, NAME("attn_k.weight")));
      assert_null(sc_model_tensor(m, NAME("attn_v.weight")));
#undef NAME
    }
    /* every value within its distribution's range */
    for (size_t i = 0; i < sc_model_tensor_count(m); i++) {
      const sc_tensor *t = sc_model_tensor_at(m, i);
      float *w = malloc(t->n_elems * sizeof *w);
      assert_non_null(w);
      sc_tensor_to_f32(t, 0, t->n_elems, w);
      bool norm = strstr(t->name, "norm") != NULL;
      double a = 1.0 / sqrt((double)t->shape[t->rank - 1]), mx = 0;
      for (uint64_t k = 0; k < t->n_elems; k++) {
        double x = (double)w[k];
        if (norm ? !(x >= 0.8 && x <= 1.2) : !(fabs(x) <= a))
          fail_msg("%s[%llu] = %g out of range", t->name, (unsigned long long)k, x);
        if (fabs(x) > mx) mx = fabs(x);
      }
      if (!norm && mx < 0.5 * a) fail_msg("%s: max |w| %g, far below a = %g", t->name, mx, a);
      free(w);
    }
    sc_model_free(m);
  }
  /* a mixture of experts: no expert weights, the dense feed-forward, the fields kept */
  sc_model_config c = mla_config(6);
  c.n_experts = 4, c.n_experts_used = 2, c.moe_hidden_dim = 8, c.n_shared_experts = 1;
  c.n_dense_layers = 1;
  sc_model *m = make(&c, 5);
  assert_int_equal(sc_model_tensor_count(m), 2 + LAYERS * 13);
  expect_shape(m, "blk.1.ffn_up.weight", 2, HIDDEN, DIM, 0);
  assert_int_equal(sc_model_config_of(m)->n_experts, 4);
  assert_int_equal(sc_model_config_of(m)->n_shared_experts, 1);
  sc_model_free(m);
}

/* A copy of m's tensors under another configuration. */
static sc_model *copy_model(const sc_model *m, const sc_model_config *cfg) {
  char err[256];
  sc_model *out = llm_model_new("test");
  assert_non_null(out);
  for (size_t i = 0; i < sc_model_tensor_count(m); i++) {
    const sc_tensor *t = sc_model_tensor_at(m, i);
    if (llm_model_add_tensor(out, t->name, t->type, t->rank, t->shape, t->data, t->n_bytes, err,
                             sizeof err) != SC_STATUS_OK)
      fail_msg("%s", err);
  }
  *llm_model_config(out) = *cfg;
  return out;
}

static void test_model_check(void **state) {
  (void)state;
  sc_model_config c = mla_config(6);
  sc_model *m = make(&c, 3);
  char err[256];
  const struct {
    const char *name;
    uint64_t shape[4]; /* all 0: left out */
    sc_status st;
    const char *msg;
  } cases[] = {
      {"blk.1.attn_k_b.weight",
       {HEADS, NOPE, LORA},
       SC_STATUS_INVALID,
       "blk.1.attn_k_b.weight: expected [2, 8, 4], found [2, 4, 8]"},
      {"blk.0.attn_v_b.weight",
       {HEADS * VD, LORA},
       SC_STATUS_INVALID,
       "blk.0.attn_v_b.weight: expected [2, 4, 8], found [8, 8]"},
      {"blk.0.attn_kv_a_mqa.weight",
       {LORA, DIM},
       SC_STATUS_INVALID,
       "blk.0.attn_kv_a_mqa.weight: expected [10, 16], found [8, 16]"},
      {"blk.1.attn_output.weight",
       {DIM, HEADS * QK},
       SC_STATUS_INVALID,
       "blk.1.attn_output.weight: expected [16, 8], found [16, 12]"},
      {"blk.0.attn_kv_a_norm.weight",
       {0},
       SC_STATUS_NOT_FOUND,
       "blk.0.attn_kv_a_norm.weight: missing"},
      {"blk.0.attn_q_a_norm.weight",
       {0},
       SC_STATUS_NOT_FOUND,
       "blk.0.attn_q_a_norm.weight: missing"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const uint64_t *shape = cases[i].shape[0] ? cases[i].shape : NULL;
    uint32_t rank = cases[i].shape[2] ? 3 : 2;
    /* the others as they are; the reshaped one with zeros of its new size */
    sc_model *bad = llm_model_new("test");
    assert_non_null(bad);
    for (size_t k = 0; k < sc_model_tensor_count(m); k++) {
      const sc_tensor *t = sc_model_tensor_at(m, k);
      bool it = strcmp(t->name, cases[i].name) == 0;
      if (it && !shape) continue;
      uint64_t n_bytes = t->n_bytes;
      const void *data = t->data;
      if (it) {
        n_bytes = 4 * shape[0] * shape[1] * (rank == 3 ? shape[2] : 1);
        data = llm_model_alloc(bad, n_bytes);
        assert_non_null(data);
      }
      assert_int_equal(llm_model_add_tensor(bad, t->name, t->type, it ? rank : t->rank,
                                            it ? shape : t->shape, data, n_bytes, err, sizeof err),
                       SC_STATUS_OK);
    }
    *llm_model_config(bad) = c;
    err[0] = '\0';
    sc_status st = llm_model_check(bad, err, sizeof err);
    if (st != cases[i].st || strcmp(err, cases[i].msg) != 0)
      fail_msg("case %zu: got %s \"%s\"\n  want %s \"%s\"", i, sc_status_name(st), err,
               sc_status_name(cases[i].st), cases[i].msg);
    sc_model_free(bad);
  }
  /* the same tensors under a configuration without the query latent: attn_q is missing */
  sc_model_config c0 = mla_config(0);
  sc_model *q0 = copy_model(m, &c0);
  assert_int_equal(llm_model_check(q0, err, sizeof err), SC_STATUS_NOT_FOUND);
  assert_string_equal(err, "blk.0.attn_q.weight: missing");
  sc_model_free(q0);
  /* and as a dense model: attn_k is missing */
  sc_model_config dense = c;
  dense.kv_lora_rank = dense.q_lora_rank = dense.qk_nope_dim = dense.qk_rope_dim = 0;
  dense.v_head_dim = 0;
  dense.head_dim = QK;
  sc_model *d = copy_model(m, &dense);
  assert_int_equal(llm_model_check(d, err, sizeof err), SC_STATUS_NOT_FOUND);
  assert_string_equal(err, "blk.0.attn_q.weight: missing");
  sc_model_free(d);
  sc_model_free(m);
}

/* ---- the reference against an independent implementation ---- */

/* Tensor `name` of m as doubles; it must have n elements. */
static double *get(const sc_model *m, const char *name, uint64_t n) {
  const sc_tensor *t = sc_model_tensor(m, name);
  if (!t) fail_msg("%s: missing", name);
  assert_int_equal(t->n_elems, n);
  float *f = malloc(n * sizeof *f);
  double *d = malloc(n * sizeof *d);
  assert_true(f && d);
  sc_tensor_to_f32(t, 0, n, f);
  for (uint64_t i = 0; i < n; i++) d[i] = (double)f[i];
  free(f);
  return d;
}

static double *get_l(const sc_model *m, int l, const char *suffix, uint64_t n) {
  char name[64];
  snprintf(name, sizeof name, "blk.%d.%s", l, suffix);
  return get(m, name, n);
}

/* y (rows) = W (rows, cols) x (cols) */
static void mv(double *y, const double *w, const double *x, int rows, int cols) {
  for (int i = 0; i < rows; i++) {
    double s = 0;
    for (int j = 0; j < cols; j++) s += w[i * cols + j] * x[j];
    y[i] = s;
  }
}

static void norm(double *o, const double *x, const double *w, int n, double eps) {
  double ss = 0;
  for (int i = 0; i < n; i++) ss += x[i] * x[i];
  double k = 1.0 / sqrt(ss / n + eps);
  for (int i = 0; i < n; i++) o[i] = w[i] * x[i] * k;
}

/* rotates the pairs (2j, 2j+1) of v (n elements) by pos * theta^(-2j / n) */
static void turn(double *v, int n, double theta, int pos) {
  for (int j = 0; j < n / 2; j++) {
    double a = pos * pow(theta, -2.0 * j / n), x = v[2 * j], y = v[2 * j + 1];
    v[2 * j] = x * cos(a) - y * sin(a);
    v[2 * j + 1] = x * sin(a) + y * cos(a);
  }
}

/* The logits of tokens[0..n) at positions 0..n-1, in double precision, from
 * reference.h's formulas; want[p * VOCAB + v]. */
static void independent(const sc_model *m, const int *tokens, int n, double *want) {
  const sc_model_config *c = sc_model_config_of(m);
  int ql = (int)c->q_lora_rank, nope = (int)c->qk_nope_dim, rope = (int)c->qk_rope_dim;
  int qk = nope + rope;
  assert_true(ql <= 8 && rope <= MAX_ROPE && nope <= NOPE);
  double theta = (double)c->rope_theta, eps = (double)c->norm_eps;
  double *embd = get(m, "token_embd.weight", VOCAB * DIM);
  double *cls = c->tied_embeddings ? embd : get(m, "output.weight", VOCAB * DIM);
  double *out_norm = get(m, "output_norm.weight", DIM);
  static double lat[LAYERS][SEQ][LORA], kpe[LAYERS][SEQ][MAX_ROPE];
  for (int p = 0; p < n; p++) {
    double x[DIM];
    memcpy(x, embd + tokens[p] * DIM, sizeof x);
    for (int l = 0; l < LAYERS; l++) {
      double xb[DIM], q[HEADS * (NOPE + MAX_ROPE)], kv[LORA + MAX_ROPE], o[HEADS * VD];
      double *attn_norm = get_l(m, l, "attn_norm.weight", DIM);
      norm(xb, x, attn_norm, DIM, eps);
      if (ql) {
        double *wa = get_l(m, l, "attn_q_a.weight", (uint64_t)ql * DIM);
        double *na = get_l(m, l, "attn_q_a_norm.weight", (uint64_t)ql);
        double *wb = get_l(m, l, "attn_q_b.weight", (uint64_t)HEADS * qk * ql);
        double qa[8];
        mv(qa, wa, xb, ql, DIM);
        norm(qa, qa, na, ql, eps);
        mv(q, wb, qa, HEADS * qk, ql);
        free(wa), free(na), free(wb);
      } else {
        double *wq = get_l(m, l, "attn_q.weight", (uint64_t)HEADS * qk * DIM);
        mv(q, wq, xb, HEADS * qk, DIM);
        free(wq);
      }
      double *wkv = get_l(m, l, "attn_kv_a_mqa.weight", (uint64_t)(LORA + rope) * DIM);
      double *kvn = get_l(m, l, "attn_kv_a_norm.weight", LORA);
      double *kb = get_l(m, l, "attn_k_b.weight", (uint64_t)HEADS * LORA * nope);
      double *vb = get_l(m, l, "attn_v_b.weight", HEADS * VD * LORA);
      double *wo = get_l(m, l, "attn_output.weight", DIM * HEADS * VD);
      mv(kv, wkv, xb, LORA + rope, DIM);
      norm(lat[l][p], kv, kvn, LORA, eps);
      memcpy(kpe[l][p], kv + LORA, rope * sizeof kpe[l][p][0]);
      turn(kpe[l][p], rope, theta, p);
      for (int h = 0; h < HEADS; h++) turn(q + h * qk + nope, rope, theta, p);
      for (int h = 0; h < HEADS; h++) {
        const double *qh = q + h * qk;
        double score[SEQ], mx = -1e300, sum = 0;
        for (int s = 0; s <= p; s++) {
          double d = 0;
          for (int j = 0; j < nope; j++) {
            double k = 0; /* key element j: column j of attn_k_b[h] times the latent */
            for (int r = 0; r < LORA; r++) k += kb[(h * LORA + r) * nope + j] * lat[l][s][r];
            d += qh[j] * k;
          }
          for (int j = 0; j < rope; j++) d += qh[nope + j] * kpe[l][s][j];
          score[s] = d / sqrt((double)qk);
          if (score[s] > mx) mx = score[s];
        }
        for (int s = 0; s <= p; s++) sum += score[s] = exp(score[s] - mx);
        for (int i = 0; i < VD; i++) {
          double acc = 0;
          for (int s = 0; s <= p; s++) {
            double v = 0; /* value element i: row i of attn_v_b[h] times the latent */
            for (int r = 0; r < LORA; r++) v += vb[(h * VD + i) * LORA + r] * lat[l][s][r];
            acc += score[s] / sum * v;
          }
          o[h * VD + i] = acc;
        }
      }
      double y[DIM];
      mv(y, wo, o, DIM, HEADS * VD);
      for (int i = 0; i < DIM; i++) x[i] += y[i];
      free(attn_norm), free(wkv), free(kvn), free(kb), free(vb), free(wo);

      double *fn = get_l(m, l, "ffn_norm.weight", DIM);
      double *wg = get_l(m, l, "ffn_gate.weight", HIDDEN * DIM);
      double *wu = get_l(m, l, "ffn_up.weight", HIDDEN * DIM);
      double *wd = get_l(m, l, "ffn_down.weight", DIM * HIDDEN);
      double g[HIDDEN], u[HIDDEN];
      norm(xb, x, fn, DIM, eps);
      mv(g, wg, xb, HIDDEN, DIM);
      mv(u, wu, xb, HIDDEN, DIM);
      for (int i = 0; i < HIDDEN; i++) g[i] = g[i] / (1 + exp(-g[i])) * u[i];
      mv(y, wd, g, DIM, HIDDEN);
      for (int i = 0; i < DIM; i++) x[i] += y[i];
      free(fn), free(wg), free(wu), free(wd);
    }
    double xn[DIM];
    norm(xn, x, out_norm, DIM, eps);
    mv(want + p * VOCAB, cls, xn, VOCAB, DIM);
  }
  if (cls != embd) free(cls);
  free(embd);
  free(out_norm);
}

static void test_reference(void **state) {
  (void)state;
  static const int tokens[SEQ] = {3, 7, 1, 10};
  /* the published shape (rope 2), with and without the query latent; then
   * rope 4, where the second pair's frequency depends on qk_rope_dim */
  const struct { uint32_t q_lora, rope; } cases[] = {{6, ROPE}, {0, ROPE}, {6, 4}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    sc_model_config c = mla_config(cases[k].q_lora);
    c.qk_rope_dim = cases[k].rope;
    c.tied_embeddings = k != 1; /* both classifiers */
    sc_model *m = make(&c, 11);
    double want[SEQ * VOCAB];
    independent(m, tokens, SEQ, want);
    sc_ref *r;
    char err[256];
    if (sc_ref_create(m, SEQ, &r, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
    for (int p = 0; p < SEQ; p++) {
      const float *got = sc_ref_forward(r, tokens[p], (uint32_t)p);
      assert_non_null(got);
      double big = 0, diff = 0;
      for (int v = 0; v < VOCAB; v++) {
        double w = want[p * VOCAB + v];
        if (fabs(w) > big) big = fabs(w);
        if (fabs((double)got[v] - w) > diff) diff = fabs((double)got[v] - w);
      }
      if (!(big > 0.1 && diff <= 1e-5 * big))
        fail_msg("case %zu, position %d: largest logit %g, largest difference %g", k, p, big, diff);
    }
    assert_null(sc_ref_forward(r, 0, SEQ)); /* beyond the cache */
    sc_ref_free(r);
    sc_model_free(m);
  }
}

/* Only the rope part of the queries and the shared key depends on the
 * position: another theta changes nothing at position 0 and the logits at
 * position 1. */
static void test_rope_matters(void **state) {
  (void)state;
  sc_model_config a = mla_config(6), b = mla_config(6);
  a.qk_rope_dim = b.qk_rope_dim = 4; /* with 2, the one pair turns at theta^0 = 1 */
  b.rope_theta = 7.0f;
  sc_model *ma = make(&a, 2), *mb = make(&b, 2);
  sc_ref *ra, *rb;
  char err[256];
  assert_int_equal(sc_ref_create(ma, 4, &ra, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(sc_ref_create(mb, 4, &rb, err, sizeof err), SC_STATUS_OK);
  const float *la = sc_ref_forward(ra, 5, 0), *lb = sc_ref_forward(rb, 5, 0);
  assert_memory_equal(la, lb, VOCAB * sizeof *la);
  la = sc_ref_forward(ra, 9, 1);
  lb = sc_ref_forward(rb, 9, 1);
  double diff = 0;
  for (int v = 0; v < VOCAB; v++)
    if (fabs((double)la[v] - (double)lb[v]) > diff) diff = fabs((double)la[v] - (double)lb[v]);
  if (!(diff > 1e-4)) fail_msg("theta 10000 and 7 give logits within %g at position 1", diff);
  sc_ref_free(ra);
  sc_ref_free(rb);
  sc_model_free(ma);
  sc_model_free(mb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_check), cmocka_unit_test(test_synthetic_tensors),
      cmocka_unit_test(test_model_check),  cmocka_unit_test(test_reference),
      cmocka_unit_test(test_rope_matters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
