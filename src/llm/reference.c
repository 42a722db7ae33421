/* reference.c: the FP32 reference forward pass (see reference.h).
 *
 * Deliberately the plainest code: one loop nest per operation, in the order
 * and with the float arithmetic of llama2.c's run.c (sequential FP32 sums,
 * powf/cosf/sinf/expf/sqrtf), so that llama2.c's published outputs are
 * reproduced exactly. Nothing here is fast; faster paths are checked
 * against it.
 *
 * Buffers (q_dim = n_heads * head_dim, kv_dim = n_kv_heads * head_dim,
 * o_dim = q_dim, or n_heads * v_head_dim with MLA):
 *   x (dim) the residual stream     xb (max(dim, q_dim, o_dim)) normed input / attention output
 *   xb2 (dim)  q (q_dim)  att (n_heads * max_seq)  hb, hb2 (hidden)  logits (vocab)
 *   k_cache, v_cache (n_layers, max_seq, kv_dim)
 * and with multi-head latent attention (kv_lora_rank > 0) instead of the
 * k/v caches (lora = kv_lora_rank, rope = qk_rope_dim):
 *   lat_cache (n_layers, max_seq, lora) the normed latent   kpe_cache (n_layers, max_seq, rope)
 *   qa (q_lora_rank)  kv (lora + rope)  k_nope (qk_nope_dim)  vh (v_head_dim) */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/reference.h"
#include "seedchip/util.h"

typedef struct layer {
  const float *attn_norm;    /* (dim) */
  const float *wq, *wk, *wv; /* (q_dim, dim), (kv_dim, dim), (kv_dim, dim); MLA: wq only
                                without a query latent */
  const float *bq, *bk, *bv; /* (q_dim), (kv_dim), (kv_dim) or NULL */
  /* MLA (model.h; lora = kv_lora_rank, qlora = q_lora_rank, rope = qk_rope_dim) */
  const float *wq_a, *q_a_norm, *wq_b; /* (qlora, dim), (qlora), (q_dim, qlora) */
  const float *wkv_a, *kv_a_norm;      /* (lora + rope, dim), (lora) */
  const float *wk_b, *wv_b; /* (n_heads, lora, qk_nope_dim), (n_heads, v_head_dim, lora) */
  const float *wo;          /* (dim, o_dim) */
  const float *ffn_norm;    /* (dim) */
  const float *w_gate, *w_up, *w_down; /* (hidden, dim), (hidden, dim), (dim, hidden) */
} layer;

struct sc_ref {
  sc_model_config c;
  uint32_t max_seq;
  const float *tok_embd, *out_norm, *wcls; /* (vocab, dim), (dim), (vocab, dim) */
  layer *layers;
  float *x, *xb, *xb2, *q, *att, *hb, *hb2, *logits;
  float *k_cache, *v_cache;
  float *lat_cache, *kpe_cache, *qa, *kv, *k_nope, *vh; /* MLA */
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
  bool mla = c->kv_lora_rank > 0, q_latent = mla && c->q_lora_rank > 0;
  if (c->dim == 0 || c->n_layers == 0 || c->n_heads == 0 || c->n_kv_heads == 0 ||
      c->head_dim == 0 || (c->head_dim % 2 != 0 && !mla) || c->hidden_dim == 0 ||
      c->vocab_size == 0 || c->n_heads % c->n_kv_heads != 0 ||
      (mla && (c->qk_nope_dim == 0 || c->qk_rope_dim == 0 || c->qk_rope_dim % 2 != 0 ||
               c->v_head_dim == 0 || c->head_dim != c->qk_nope_dim + c->qk_rope_dim)))
    return sc_errf(err, err_size, SC_STATUS_INVALID, "reference: the configuration is incomplete");
  sc_ref *r = calloc(1, sizeof *r);
  if (!r) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "reference: out of memory");
  r->c = *c;
  r->max_seq = max_seq;
  uint64_t dim = c->dim, hidden = c->hidden_dim, vocab = c->vocab_size;
  uint64_t H = c->n_heads, q_dim = H * c->head_dim, kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
  uint64_t o_dim = mla ? H * c->v_head_dim : q_dim;
  uint64_t qlora = c->q_lora_rank, lora = c->kv_lora_rank, rope = c->qk_rope_dim;
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
      bool used, optional;
      const float **dst;
    } parts[] = {
        {"attn_norm.weight", dim, true, false, &L->attn_norm},
        {"attn_q.weight", q_dim * dim, !q_latent, false, &L->wq},
        {"attn_k.weight", kv_dim * dim, !mla, false, &L->wk},
        {"attn_v.weight", kv_dim * dim, !mla, false, &L->wv},
        {"attn_q.bias", q_dim, !mla, !c->qkv_bias, &L->bq},
        {"attn_k.bias", kv_dim, !mla, !c->qkv_bias, &L->bk},
        {"attn_v.bias", kv_dim, !mla, !c->qkv_bias, &L->bv},
        {"attn_q_a.weight", qlora * dim, q_latent, false, &L->wq_a},
        {"attn_q_a_norm.weight", qlora, q_latent, false, &L->q_a_norm},
        {"attn_q_b.weight", q_dim * qlora, q_latent, false, &L->wq_b},
        {"attn_kv_a_mqa.weight", (lora + rope) * dim, mla, false, &L->wkv_a},
        {"attn_kv_a_norm.weight", lora, mla, false, &L->kv_a_norm},
        {"attn_k_b.weight", H * lora * c->qk_nope_dim, mla, false, &L->wk_b},
        {"attn_v_b.weight", H * c->v_head_dim * lora, mla, false, &L->wv_b},
        {"attn_output.weight", dim * o_dim, true, false, &L->wo},
        {"ffn_norm.weight", dim, true, false, &L->ffn_norm},
        {"ffn_gate.weight", hidden * dim, true, false, &L->w_gate},
        {"ffn_up.weight", hidden * dim, true, false, &L->w_up},
        {"ffn_down.weight", dim * hidden, true, false, &L->w_down},
    };
    for (size_t i = 0; i < SC_ARRAY_LEN(parts); i++) {
      if (!parts[i].used) continue;
      char name[64];
      snprintf(name, sizeof name, "blk.%" PRIu32 ".%s", l, parts[i].suffix);
      if ((st = load(r, m, name, parts[i].n, parts[i].optional, parts[i].dst, err, err_size)))
        goto fail;
    }
  }
  uint64_t positions = (uint64_t)c->n_layers * max_seq; /* cache rows, < 2^44 */
  uint64_t row = mla ? lora + rope : 2 * kv_dim;        /* cache floats per row */
  if (positions > UINT64_MAX / 4 / row) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY,
                 "reference: a cache of %" PRIu32 " positions is too large", max_seq);
    goto fail;
  }
  uint64_t xb = dim > q_dim ? dim : q_dim;
  if (o_dim > xb) xb = o_dim;
  bool ok = (r->x = alloc_floats(r, dim)) && (r->xb = alloc_floats(r, xb)) &&
            (r->xb2 = alloc_floats(r, dim)) && (r->q = alloc_floats(r, q_dim)) &&
            (r->att = alloc_floats(r, H * max_seq)) && (r->hb = alloc_floats(r, hidden)) &&
            (r->hb2 = alloc_floats(r, hidden)) && (r->logits = alloc_floats(r, vocab));
  if (ok && !mla)
    ok = (r->k_cache = alloc_floats(r, positions * kv_dim)) &&
         (r->v_cache = alloc_floats(r, positions * kv_dim));
  if (ok && mla)
    ok = (r->lat_cache = alloc_floats(r, positions * lora)) &&
         (r->kpe_cache = alloc_floats(r, positions * rope)) && (r->qa = alloc_floats(r, qlora)) &&
         (r->kv = alloc_floats(r, lora + rope)) && (r->k_nope = alloc_floats(r, c->qk_nope_dim)) &&
         (r->vh = alloc_floats(r, c->v_head_dim));
  if (!ok) {
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

/* Rotates the n elements of v (a head, or MLA's rope part of one) by
 * position pos: pair j (of n / 2) turns by pos * theta^(-2j / n), divided by
 * the pair's factor for a scaled RoPE (sc_rope_freq, whose n is head_dim, or
 * qk_rope_dim with MLA). PAIRS pairs elements (2j, 2j+1), HALVES pairs
 * (j, j + n/2). */
static void rope_head(float *v, uint32_t n, const sc_model_config *c, uint32_t pos) {
  sc_rope_style style = c->rope_style;
  for (uint32_t j = 0; j < n / 2; j++) {
    float freq = sc_rope_freq(c, j);
    float val = (float)pos * freq;
    float fcr = cosf(val), fci = sinf(val);
    uint32_t a = style == SC_ROPE_PAIRS ? 2 * j : j;
    uint32_t b = style == SC_ROPE_PAIRS ? 2 * j + 1 : j + n / 2;
    float v0 = v[a], v1 = v[b];
    v[a] = v0 * fcr - v1 * fci;
    v[b] = v0 * fci + v1 * fcr;
  }
}

/* Rotates each of n_heads heads of vec (head_dim each) by position pos. */
static void rope(float *vec, uint32_t n_heads, const sc_model_config *c, uint32_t pos) {
  for (uint32_t h = 0; h < n_heads; h++)
    rope_head(vec + (uint64_t)h * c->head_dim, c->head_dim, c, pos);
}

/* Attention of layer l at pos (grouped-query, or multi-head when the kv
 * heads are the query heads): r->xb holds the normed input; the heads'
 * outputs (q_dim) replace it. */
static void attention(sc_ref *r, const layer *L, uint32_t l, uint32_t pos) {
  const sc_model_config *c = &r->c;
  uint32_t dim = c->dim, hd = c->head_dim;
  uint32_t q_dim = c->n_heads * hd, kv_dim = c->n_kv_heads * hd;
  uint32_t kv_mul = c->n_heads / c->n_kv_heads;      /* query heads per kv head */
  uint64_t loff = (uint64_t)l * r->max_seq * kv_dim; /* this layer's cache */
  float *k = r->k_cache + loff + (uint64_t)pos * kv_dim;
  float *v = r->v_cache + loff + (uint64_t)pos * kv_dim;

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
}

/* Multi-head latent attention of layer l at pos, in its plain (naive) form:
 * every cached position's key and value are expanded from its latent, head
 * by head (reference.h). r->xb holds the normed input; the heads' outputs
 * (n_heads * v_head_dim) replace it. */
static void attention_mla(sc_ref *r, const layer *L, uint32_t l, uint32_t pos) {
  const sc_model_config *c = &r->c;
  uint32_t dim = c->dim, hd = c->head_dim, nope = c->qk_nope_dim, rope_dim = c->qk_rope_dim;
  uint32_t lora = c->kv_lora_rank, qlora = c->q_lora_rank, vd = c->v_head_dim;
  uint32_t q_dim = c->n_heads * hd;
  uint64_t lat_off = (uint64_t)l * r->max_seq * lora, kpe_off = (uint64_t)l * r->max_seq * rope_dim;

  /* queries (per head: nope, then rope), through the query latent or not */
  if (qlora > 0) {
    matmul(r->qa, r->xb, L->wq_a, dim, qlora);
    rmsnorm(r->qa, r->qa, L->q_a_norm, qlora, c->norm_eps);
    matmul(r->q, r->qa, L->wq_b, qlora, q_dim);
  } else {
    matmul(r->q, r->xb, L->wq, dim, q_dim);
  }
  /* this position's latent (normed) and shared rope key, into the cache */
  float *lat = r->lat_cache + lat_off + (uint64_t)pos * lora;
  float *kpe = r->kpe_cache + kpe_off + (uint64_t)pos * rope_dim;
  matmul(r->kv, r->xb, L->wkv_a, dim, lora + rope_dim);
  rmsnorm(lat, r->kv, L->kv_a_norm, lora, c->norm_eps);
  memcpy(kpe, r->kv + lora, rope_dim * sizeof *kpe);
  rope_head(kpe, rope_dim, c, pos);
  for (uint32_t h = 0; h < c->n_heads; h++)
    rope_head(r->q + (uint64_t)h * hd + nope, rope_dim, c, pos);

  for (uint32_t h = 0; h < c->n_heads; h++) {
    const float *qh = r->q + (uint64_t)h * hd;
    const float *kb = L->wk_b + (uint64_t)h * lora * nope; /* (lora, nope) */
    const float *vb = L->wv_b + (uint64_t)h * vd * lora;   /* (vd, lora) */
    float *att = r->att + (uint64_t)h * r->max_seq;
    for (uint32_t t = 0; t <= pos; t++) {
      const float *lat_t = r->lat_cache + lat_off + (uint64_t)t * lora;
      const float *kpe_t = r->kpe_cache + kpe_off + (uint64_t)t * rope_dim;
      /* k_nope = kb^T lat_t */
      for (uint32_t j = 0; j < nope; j++) {
        float val = 0.0f;
        for (uint32_t i = 0; i < lora; i++) val += kb[(uint64_t)i * nope + j] * lat_t[i];
        r->k_nope[j] = val;
      }
      float score = 0.0f;
      for (uint32_t j = 0; j < nope; j++) score += qh[j] * r->k_nope[j];
      for (uint32_t j = 0; j < rope_dim; j++) score += qh[nope + j] * kpe_t[j];
      score /= sqrtf((float)hd);
      att[t] = score;
    }
    softmax(att, pos + 1);
    float *out = r->xb + (uint64_t)h * vd;
    memset(out, 0, vd * sizeof *out);
    for (uint32_t t = 0; t <= pos; t++) {
      const float *lat_t = r->lat_cache + lat_off + (uint64_t)t * lora;
      matmul(r->vh, lat_t, vb, lora, vd); /* v = vb lat_t */
      float a = att[t];
      for (uint32_t i = 0; i < vd; i++) out[i] += a * r->vh[i];
    }
  }
}

const float *sc_ref_forward(sc_ref *r, int32_t token, uint32_t pos) {
  const sc_model_config *c = &r->c;
  if (token < 0 || (uint32_t)token >= c->vocab_size || pos >= r->max_seq) return NULL;
  uint32_t dim = c->dim, hidden = c->hidden_dim;
  uint32_t o_dim = c->n_heads * (c->kv_lora_rank > 0 ? c->v_head_dim : c->head_dim);
  float *x = r->x;

  memcpy(x, r->tok_embd + (uint64_t)token * dim, dim * sizeof *x);

  for (uint32_t l = 0; l < c->n_layers; l++) {
    const layer *L = &r->layers[l];

    /* attention */
    rmsnorm(r->xb, x, L->attn_norm, dim, c->norm_eps);
    if (c->kv_lora_rank > 0)
      attention_mla(r, L, l, pos);
    else
      attention(r, L, l, pos);
    matmul(r->xb2, r->xb, L->wo, o_dim, dim);
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
