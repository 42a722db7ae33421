/* synthetic.c: sc_model_synthetic (model.h): a model of any Llama-family
 * configuration with deterministic pseudo-random FP32 weights, for the shapes
 * no real model file covers (many heads, MQA, long contexts, big vocabularies)
 * and for benchmarks of a given size. With multi-head latent attention
 * (kv_lora_rank > 0) a layer has MLA's tensors instead of attn_q/k/v. A
 * mixture of experts gets no expert weights: every layer has the dense
 * feed-forward of hidden_dim, and the expert fields stay in the configuration
 * as given (the reference forward pass then runs the dense feed-forward).
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

/* One tensor to make: its name, what it is, and its shape ([out, in], [n] or
 * [heads, out, in]). */
typedef struct spec {
  char name[64];
  llm_tkind kind;
  uint32_t rank;
  uint64_t shape[3];
} spec;

static uint32_t n_global(const sc_model_config *c) {
  return c->tied_embeddings ? 2 : 3;
}

/* Tensor i of the model (0 <= i < n_global + n_layers * the layer's count):
 * the global ones, then each layer's in the order of llm_layer_tensors. */
static void tensor_spec(const sc_model_config *c, uint64_t i, spec *s) {
  memset(s, 0, sizeof *s);
  if (i < n_global(c)) {
    static const char *const names[3] = {"token_embd.weight", "output_norm.weight",
                                         "output.weight"};
    snprintf(s->name, sizeof s->name, "%s", names[i]);
    s->kind = i == 1 ? LLM_NORM : LLM_MATRIX;
    s->rank = i == 1 ? 1 : 2;
    s->shape[0] = i == 1 ? c->dim : c->vocab_size;
    s->shape[1] = c->dim;
    return;
  }
  i -= n_global(c);
  llm_layer_tensor t[LLM_MAX_LAYER_TENSORS];
  uint32_t n = llm_layer_tensors(c, t);
  uint64_t l = i / n, j = i % n;
  snprintf(s->name, sizeof s->name, "blk.%" PRIu64 ".%s", l, t[j].suffix);
  s->kind = t[j].kind;
  s->rank = t[j].rank;
  memcpy(s->shape, t[j].shape, sizeof s->shape);
}

/* Elements of tensor s: at most 2^48, since the configuration check keeps
 * every dimension, and n_heads times a head's width, at most 2^24. */
static uint64_t spec_elems(const spec *s) {
  uint64_t n = 1;
  for (uint32_t d = 0; d < s->rank; d++) n *= s->shape[d];
  return n;
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
  /* a matrix's "in" is its last dimension (attn_k_b's too) */
  float a = s->kind == LLM_MATRIX ? 1.0f / sqrtf((float)s->shape[s->rank - 1]) : 0.1f;
  for (uint64_t i = 0; i < n; i++) {
    float t = next_signed(&st);
    put_f32(p + 4 * i, s->kind == LLM_NORM ? 1.0f + 0.2f * t : a * t);
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
  llm_layer_tensor per_layer[LLM_MAX_LAYER_TENSORS];
  uint64_t n_tensors = n_global(&c) + (uint64_t)c.n_layers * llm_layer_tensors(&c, per_layer);
  uint64_t total = 0;
  spec s;
  for (uint64_t i = 0; i < n_tensors; i++) {
    tensor_spec(&c, i, &s);
    uint64_t n = spec_elems(&s);
    if (n > UINT64_MAX / 4 || total > UINT64_MAX - 4 * n)
      return sc_errf(err, err_size, SC_STATUS_OVERFLOW,
                     "synthetic: %s: the weights' byte count overflows 64 bits", s.name);
    total += 4 * n;
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
    uint64_t n = spec_elems(&s);
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
