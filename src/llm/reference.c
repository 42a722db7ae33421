/* reference.c: the FP32 reference forward pass (see reference.h).
 *
 * Deliberately the plainest code: one loop nest per operation, in the order
 * and with the float arithmetic of llama2.c's run.c (sequential FP32 sums,
 * powf/cosf/sinf/expf/sqrtf), so that llama2.c's published outputs are
 * reproduced exactly. Nothing here is fast; faster paths are checked
 * against it.
 *
 * Buffers (q_dim = n_heads * head_dim, kv_dim = n_kv_heads * head_dim):
 *   x (dim) the residual stream     xb (max(dim, q_dim)) normed input / attention output
 *   xb2 (dim)  q (q_dim)  att (n_heads * max_seq)  hb, hb2 (hidden)  logits (vocab)
 *   k_cache, v_cache (n_layers, max_seq, kv_dim) */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/reference.h"
#include "seedchip/util.h"

typedef struct layer {
  const float *attn_norm;              /* (dim) */
  const float *wq, *wk, *wv;           /* (q_dim, dim), (kv_dim, dim), (kv_dim, dim) */
  const float *bq, *bk, *bv;           /* (q_dim), (kv_dim), (kv_dim) or NULL */
  const float *wo;                     /* (dim, q_dim) */
  const float *ffn_norm;               /* (dim) */
  const float *w_gate, *w_up, *w_down; /* (hidden, dim), (hidden, dim), (dim, hidden) */
} layer;

struct sc_ref {
  sc_model_config c;
  uint32_t max_seq;
  const float *tok_embd, *out_norm, *wcls; /* (vocab, dim), (dim), (vocab, dim) */
  layer *layers;
  float *x, *xb, *xb2, *q, *att, *hb, *hb2, *logits;
  float *k_cache, *v_cache;
  float **owned; /* every array above, freed by sc_ref_free */
  size_t n_owned, cap_owned;
};

void sc_ref_free(sc_ref *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n_owned; i++) free(r->owned[i]);
  free(r->owned);
  free(r->layers);
  free(r);
}

/* n floats the state owns (zeroed), or NULL. */
static float *alloc_floats(sc_ref *r, uint64_t n) {
  size_t bytes;
  if (n > SIZE_MAX || !sc_mul_size((size_t)n, sizeof(float), &bytes)) return NULL;
  if (r->n_owned == r->cap_owned) {
    size_t cap = r->cap_owned ? 2 * r->cap_owned : 64;
    float **p = realloc(r->owned, cap * sizeof *p);
    if (!p) return NULL;
    r->owned = p;
    r->cap_owned = cap;
  }
  float *f = calloc(1, bytes ? bytes : 1);
  if (f) r->owned[r->n_owned++] = f;
  return f;
}

/* Tensor `name` of m decoded to FP32; it must have exactly n elements.
 * optional: a missing tensor gives *out = NULL and OK. */
static sc_status load(sc_ref *r, const sc_model *m, const char *name, uint64_t n, bool optional,
                      const float **out, char *err, size_t err_size) {
  *out = NULL;
  const sc_tensor *t = sc_model_tensor(m, name);
  if (!t) {
    if (optional) return SC_STATUS_OK;
    return sc_errf(err, err_size, SC_STATUS_NOT_FOUND, "reference: %s: missing", name);
  }
  if (t->n_elems != n)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "reference: %s: expected %" PRIu64 " elements, found %" PRIu64, name, n,
                   t->n_elems);
  float *f = alloc_floats(r, n);
  if (!f) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "reference: %s: out of memory", name);
  sc_tensor_to_f32(t, 0, n, f);
  *out = f;
  return SC_STATUS_OK;
}

sc_status sc_ref_create(const sc_model *m, uint32_t max_seq, sc_ref **out, char *err,
                        size_t err_size) {
  *out = NULL;
  const sc_model_config *c = sc_model_config_of(m);
  if (max_seq == 0) max_seq = c->max_seq_len;
  if (max_seq == 0)
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT, "reference: max_seq is 0");
  if (c->dim == 0 || c->n_layers == 0 || c->n_heads == 0 || c->n_kv_heads == 0 ||
      c->head_dim == 0 || c->head_dim % 2 != 0 || c->hidden_dim == 0 || c->vocab_size == 0 ||
      c->n_heads % c->n_kv_heads != 0)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "reference: the configuration is incomplete");
  sc_ref *r = calloc(1, sizeof *r);
  if (!r) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "reference: out of memory");
  r->c = *c;
  r->max_seq = max_seq;
  uint64_t dim = c->dim, hidden = c->hidden_dim, vocab = c->vocab_size;
  uint64_t q_dim = (uint64_t)c->n_heads * c->head_dim,
           kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
  sc_status st;
  if ((st = load(r, m, "token_embd.weight", vocab * dim, false, &r->tok_embd, err, err_size)) ||
      (st = load(r, m, "output_norm.weight", dim, false, &r->out_norm, err, err_size)) ||
      (st = load(r, m, "output.weight", vocab * dim, true, &r->wcls, err, err_size)))
    goto fail;
  if (!r->wcls) r->wcls = r->tok_embd; /* tied classifier */
  r->layers = calloc(c->n_layers, sizeof *r->layers);
  if (!r->layers) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "reference: out of memory");
    goto fail;
  }
  for (uint32_t l = 0; l < c->n_layers; l++) {
    layer *L = &r->layers[l];
    const struct {
      const char *suffix;
      uint64_t n;
      bool optional;
      const float **dst;
    } parts[] = {
        {"attn_norm.weight", dim, false, &L->attn_norm},
        {"attn_q.weight", q_dim * dim, false, &L->wq},
        {"attn_k.weight", kv_dim * dim, false, &L->wk},
        {"attn_v.weight", kv_dim * dim, false, &L->wv},
        {"attn_q.bias", q_dim, !c->qkv_bias, &L->bq},
        {"attn_k.bias", kv_dim, !c->qkv_bias, &L->bk},
        {"attn_v.bias", kv_dim, !c->qkv_bias, &L->bv},
        {"attn_output.weight", dim * q_dim, false, &L->wo},
        {"ffn_norm.weight", dim, false, &L->ffn_norm},
        {"ffn_gate.weight", hidden * dim, false, &L->w_gate},
        {"ffn_up.weight", hidden * dim, false, &L->w_up},
        {"ffn_down.weight", dim * hidden, false, &L->w_down},
    };
    for (size_t i = 0; i < SC_ARRAY_LEN(parts); i++) {
      char name[64];
      snprintf(name, sizeof name, "blk.%" PRIu32 ".%s", l, parts[i].suffix);
      if ((st = load(r, m, name, parts[i].n, parts[i].optional, parts[i].dst, err, err_size)))
        goto fail;
    }
  }
  uint64_t cache = (uint64_t)c->n_layers * max_seq * kv_dim; /* < 2^62: each factor < 2^24 */
  if (!(r->x = alloc_floats(r, dim)) || !(r->xb = alloc_floats(r, dim > q_dim ? dim : q_dim)) ||
      !(r->xb2 = alloc_floats(r, dim)) || !(r->q = alloc_floats(r, q_dim)) ||
      !(r->att = alloc_floats(r, (uint64_t)c->n_heads * max_seq)) ||
      !(r->hb = alloc_floats(r, hidden)) || !(r->hb2 = alloc_floats(r, hidden)) ||
      !(r->logits = alloc_floats(r, vocab)) || !(r->k_cache = alloc_floats(r, cache)) ||
      !(r->v_cache = alloc_floats(r, cache))) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY,
                 "reference: out of memory for the state (KV cache of %" PRIu32 " positions)",
                 max_seq);
    goto fail;
  }
  *out = r;
  return SC_STATUS_OK;
fail:
  sc_ref_free(r);
  return st;
}

/* ---- the operations ---- */

/* o = w * (x / sqrt(mean(x^2) + eps)); o may be x. */
static void rmsnorm(float *o, const float *x, const float *w, uint32_t n, float eps) {
  float ss = 0.0f;
  for (uint32_t j = 0; j < n; j++) ss += x[j] * x[j];
  ss /= (float)n;
  ss += eps;
  ss = 1.0f / sqrtf(ss);
  for (uint32_t j = 0; j < n; j++) o[j] = w[j] * (ss * x[j]);
}

/* W (d, n) @ x (n) -> y (d) */
static void matmul(float *y, const float *x, const float *w, uint64_t n, uint64_t d) {
  for (uint64_t i = 0; i < d; i++) {
    float val = 0.0f;
    for (uint64_t j = 0; j < n; j++) val += w[i * n + j] * x[j];
    y[i] = val;
  }
}

static void add_bias(float *y, const float *b, uint64_t n) {
  if (b)
    for (uint64_t i = 0; i < n; i++) y[i] += b[i];
}

/* In place over n values. */
static void softmax(float *x, uint32_t n) {
  float max = x[0];
  for (uint32_t i = 1; i < n; i++)
    if (x[i] > max) max = x[i];
  float sum = 0.0f;
  for (uint32_t i = 0; i < n; i++) {
    x[i] = expf(x[i] - max);
    sum += x[i];
  }
  for (uint32_t i = 0; i < n; i++) x[i] /= sum;
}

/* Rotates each of n_heads heads of vec (head_dim each) by position pos:
 * pair j (of head_dim / 2) turns by pos * theta^(-2j / head_dim), divided by
 * the pair's factor for a scaled RoPE (sc_rope_freq). PAIRS pairs
 * elements (2j, 2j+1), HALVES pairs (j, j + head_dim/2). */
static void rope(float *vec, uint32_t n_heads, const sc_model_config *c, uint32_t pos) {
  uint32_t head_dim = c->head_dim;
  sc_rope_style style = c->rope_style;
  for (uint32_t h = 0; h < n_heads; h++) {
    float *v = vec + (uint64_t)h * head_dim;
    for (uint32_t j = 0; j < head_dim / 2; j++) {
      float freq = sc_rope_freq(c, j);
      float val = (float)pos * freq;
      float fcr = cosf(val), fci = sinf(val);
      uint32_t a = style == SC_ROPE_PAIRS ? 2 * j : j;
      uint32_t b = style == SC_ROPE_PAIRS ? 2 * j + 1 : j + head_dim / 2;
      float v0 = v[a], v1 = v[b];
      v[a] = v0 * fcr - v1 * fci;
      v[b] = v0 * fci + v1 * fcr;
    }
  }
}

const float *sc_ref_forward(sc_ref *r, int32_t token, uint32_t pos) {
  const sc_model_config *c = &r->c;
  if (token < 0 || (uint32_t)token >= c->vocab_size || pos >= r->max_seq) return NULL;
  uint32_t dim = c->dim, hidden = c->hidden_dim, hd = c->head_dim;
  uint32_t q_dim = c->n_heads * hd, kv_dim = c->n_kv_heads * hd;
  uint32_t kv_mul = c->n_heads / c->n_kv_heads; /* query heads per kv head */
  float *x = r->x;

  memcpy(x, r->tok_embd + (uint64_t)token * dim, dim * sizeof *x);

  for (uint32_t l = 0; l < c->n_layers; l++) {
    const layer *L = &r->layers[l];
    uint64_t loff = (uint64_t)l * r->max_seq * kv_dim; /* this layer's cache */
    float *k = r->k_cache + loff + (uint64_t)pos * kv_dim;
    float *v = r->v_cache + loff + (uint64_t)pos * kv_dim;

    /* attention */
    rmsnorm(r->xb, x, L->attn_norm, dim, c->norm_eps);
    matmul(r->q, r->xb, L->wq, dim, q_dim);
    matmul(k, r->xb, L->wk, dim, kv_dim);
    matmul(v, r->xb, L->wv, dim, kv_dim);
    add_bias(r->q, L->bq, q_dim);
    add_bias(k, L->bk, kv_dim);
    add_bias(v, L->bv, kv_dim);
    rope(r->q, c->n_heads, c, pos);
    rope(k, c->n_kv_heads, c, pos);

    for (uint32_t h = 0; h < c->n_heads; h++) {
      const float *qh = r->q + (uint64_t)h * hd;
      float *att = r->att + (uint64_t)h * r->max_seq;
      uint64_t kv_off = (uint64_t)(h / kv_mul) * hd;
      for (uint32_t t = 0; t <= pos; t++) { /* causal: only positions up to pos */
        const float *kt = r->k_cache + loff + (uint64_t)t * kv_dim + kv_off;
        float score = 0.0f;
        for (uint32_t i = 0; i < hd; i++) score += qh[i] * kt[i];
        score /= sqrtf((float)hd);
        att[t] = score;
      }
      softmax(att, pos + 1);
      float *out = r->xb + (uint64_t)h * hd;
      memset(out, 0, hd * sizeof *out);
      for (uint32_t t = 0; t <= pos; t++) {
        const float *vt = r->v_cache + loff + (uint64_t)t * kv_dim + kv_off;
        float a = att[t];
        for (uint32_t i = 0; i < hd; i++) out[i] += a * vt[i];
      }
    }
    matmul(r->xb2, r->xb, L->wo, q_dim, dim);
    for (uint32_t i = 0; i < dim; i++) x[i] += r->xb2[i];

    /* feed-forward: SwiGLU */
    rmsnorm(r->xb, x, L->ffn_norm, dim, c->norm_eps);
    matmul(r->hb, r->xb, L->w_gate, dim, hidden);
    matmul(r->hb2, r->xb, L->w_up, dim, hidden);
    for (uint32_t i = 0; i < hidden; i++) {
      float val = r->hb[i];
      val *= 1.0f / (1.0f + expf(-val)); /* silu */
      val *= r->hb2[i];
      r->hb[i] = val;
    }
    matmul(r->xb, r->hb, L->w_down, hidden, dim);
    for (uint32_t i = 0; i < dim; i++) x[i] += r->xb[i];
  }

  rmsnorm(x, x, r->out_norm, dim, c->norm_eps);
  matmul(r->logits, x, r->wcls, dim, c->vocab_size);
  return r->logits;
}
