/* synthetic.c: sc_model_synthetic (model.h): a model of any Llama-family
 * configuration with deterministic pseudo-random FP32 weights, for the shapes
 * no real model file covers (many heads, MQA, long contexts, big vocabularies)
 * and for benchmarks of a given size.
 *
 * Invariants: the weights are one owned block holding every tensor back to
 * back, in the order of tensor_spec (each 4-byte aligned, little-endian F32);
 * the values of a tensor depend only on the seed and its name (its own
 * xorshift64* stream), never on the other sizes of the configuration or on the
 * tensors before it. The configuration is checked by llm_config_check before
 * anything is allocated, and the model by llm_model_check at the end. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llm_int.h"
#include "seedchip/util.h"

/* The most weight bytes a synthetic model may have. */
#define MAX_BYTES ((uint64_t)8 << 30)

typedef enum kind { MATRIX, NORM, BIAS } kind;

/* One tensor to make: its name, what it is, and its shape ([out, in] or [n]). */
typedef struct spec {
  char name[64];
  kind kind;
  uint32_t rank;
  uint64_t shape[2];
} spec;

static const struct {
  const char *suffix;
  kind kind;
} layer_tensors[] = {
    {"attn_norm.weight", NORM},  {"attn_q.weight", MATRIX},      {"attn_k.weight", MATRIX},
    {"attn_v.weight", MATRIX},   {"attn_output.weight", MATRIX}, {"ffn_norm.weight", NORM},
    {"ffn_gate.weight", MATRIX}, {"ffn_up.weight", MATRIX},      {"ffn_down.weight", MATRIX},
    {"attn_q.bias", BIAS},       {"attn_k.bias", BIAS},          {"attn_v.bias", BIAS},
};
enum { LAYER_TENSORS_NO_BIAS = 9 };

static uint32_t n_global(const sc_model_config *c) {
  return c->tied_embeddings ? 2 : 3;
}
static uint32_t n_per_layer(const sc_model_config *c) {
  return c->qkv_bias ? (uint32_t)SC_ARRAY_LEN(layer_tensors) : LAYER_TENSORS_NO_BIAS;
}

/* Tensor i of the model (0 <= i < n_global + n_layers * n_per_layer). */
static void tensor_spec(const sc_model_config *c, uint64_t i, spec *s) {
  uint64_t dim = c->dim, hidden = c->hidden_dim;
  uint64_t q_dim = (uint64_t)c->n_heads * c->head_dim,
           kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
  memset(s, 0, sizeof *s);
  if (i < n_global(c)) {
    static const char *const names[3] = {"token_embd.weight", "output_norm.weight",
                                         "output.weight"};
    snprintf(s->name, sizeof s->name, "%s", names[i]);
    s->kind = i == 1 ? NORM : MATRIX;
    s->rank = i == 1 ? 1 : 2;
    s->shape[0] = i == 1 ? dim : c->vocab_size;
    s->shape[1] = dim;
    return;
  }
  i -= n_global(c);
  uint64_t l = i / n_per_layer(c), j = i % n_per_layer(c);
  snprintf(s->name, sizeof s->name, "blk.%" PRIu64 ".%s", l, layer_tensors[j].suffix);
  s->kind = layer_tensors[j].kind;
  s->rank = s->kind == MATRIX ? 2 : 1;
  /* [out, in] per tensor, in the order of layer_tensors */
  const uint64_t shapes[][2] = {
      {dim, 0},      {q_dim, dim},  {kv_dim, dim}, {kv_dim, dim}, {dim, q_dim}, {dim, 0},
      {hidden, dim}, {hidden, dim}, {dim, hidden}, {q_dim, 0},    {kv_dim, 0},  {kv_dim, 0},
  };
  s->shape[0] = shapes[j][0];
  s->shape[1] = shapes[j][1];
}

/* ---- the generator ---- */

static uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/* The stream of tensor `name`: xorshift64* (the sampler's recurrence) from a
 * state mixed from the seed and the name (FNV-1a), never 0. */
static uint64_t stream_start(uint64_t seed, const char *name) {
  uint64_t h = 1469598103934665603ull;
  for (const char *p = name; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  uint64_t s = splitmix64(seed ^ splitmix64(h));
  return s ? s : 1;
}

/* uniform in [-1, 1), exactly: 24 random bits, scaled by a power of two. */
static float next_signed(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  uint32_t u = (uint32_t)((*state * 0x2545F4914F6CDD1Dull) >> 40);
  return (float)u * 0x1p-23f - 1.0f;
}

static void put_f32(uint8_t *p, float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  p[0] = (uint8_t)u;
  p[1] = (uint8_t)(u >> 8);
  p[2] = (uint8_t)(u >> 16);
  p[3] = (uint8_t)(u >> 24);
}

/* n values of tensor s at p. */
static void fill(const spec *s, uint64_t seed, uint8_t *p, uint64_t n) {
  uint64_t st = stream_start(seed, s->name);
  float a = s->kind == MATRIX ? 1.0f / sqrtf((float)s->shape[1]) : 0.1f;
  for (uint64_t i = 0; i < n; i++) {
    float t = next_signed(&st);
    put_f32(p + 4 * i, s->kind == NORM ? 1.0f + 0.2f * t : a * t);
  }
}

/* ---- the model ---- */

sc_status sc_model_synthetic(const sc_model_config *cfg, uint64_t seed, sc_model **out, char *err,
                             size_t err_size) {
  if (!out) return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT, "synthetic: out is NULL");
  *out = NULL;
  if (!cfg) return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT, "synthetic: cfg is NULL");
  sc_model_config c = *cfg;
  snprintf(c.arch, sizeof c.arch, "%.*s", (int)sizeof c.arch - 1,
           cfg->arch[0] ? cfg->arch : "llama");
  if (c.rope_theta == 0.0f) c.rope_theta = 10000.0f;
  if (c.norm_eps == 0.0f) c.norm_eps = 1e-5f;
  char why[256];
  if (llm_config_check(&c, why, sizeof why) != SC_STATUS_OK)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "synthetic: %s", why);

  /* Sizes first, so that nothing is allocated for a model that cannot be. */
  uint64_t n_tensors = n_global(&c) + (uint64_t)c.n_layers * n_per_layer(&c), total = 0;
  spec s;
  for (uint64_t i = 0; i < n_tensors; i++) {
    tensor_spec(&c, i, &s);
    uint64_t n = s.shape[0], b = s.rank == 2 ? s.shape[1] : 1;
    if (n > UINT64_MAX / b || n * b > UINT64_MAX / 4 || total > UINT64_MAX - 4 * n * b)
      return sc_errf(err, err_size, SC_STATUS_OVERFLOW,
                     "synthetic: %s: the weights' byte count overflows 64 bits", s.name);
    total += 4 * n * b;
  }
  if (total > MAX_BYTES)
    return sc_errf(err, err_size, SC_STATUS_OVERFLOW,
                   "synthetic: the weights need %" PRIu64 " bytes, more than the limit of 8 GiB "
                   "(%" PRIu64 ")",
                   total, MAX_BYTES);

  sc_model *m = llm_model_new("synthetic");
  uint8_t *block = m ? llm_model_alloc(m, total) : NULL;
  if (!block) {
    sc_model_free(m);
    return sc_errf(err, err_size, SC_STATUS_NO_MEMORY,
                   "synthetic: out of memory for %" PRIu64 " bytes of weights", total);
  }
  *llm_model_config(m) = c;
  sc_status st = SC_STATUS_OK;
  uint64_t off = 0;
  for (uint64_t i = 0; i < n_tensors && st == SC_STATUS_OK; i++) {
    tensor_spec(&c, i, &s);
    uint64_t n = s.shape[0] * (s.rank == 2 ? s.shape[1] : 1);
    fill(&s, seed, block + off, n);
    st = llm_model_add_tensor(m, s.name, SC_WTYPE_F32, s.rank, s.shape, block + off, 4 * n, err,
                              err_size);
    off += 4 * n;
  }
  if (st == SC_STATUS_OK) st = llm_model_check(m, err, err_size);
  if (st != SC_STATUS_OK) {
    sc_model_free(m);
    return st;
  }
  *out = m;
  return SC_STATUS_OK;
}
