/* sampler.c: llama2.c's sampler (see sampler.h), plus top-k.
 *
 * The arithmetic follows run.c step for step (FP32 softmax, the CDF walks,
 * the top-p cutoff), so a seed gives run.c's tokens. One difference: run.c
 * sorts with qsort, which leaves the order of equal probabilities to the C
 * library; we break ties by the lower token id, so results do not depend on
 * the platform. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/sampler.h"

typedef struct prob_index {
  float prob;
  int32_t index;
} prob_index;

struct sc_sampler {
  uint32_t n; /* vocabulary size */
  sc_sampler_params p;
  uint64_t rng;
  float *probs;       /* (n) */
  prob_index *sorted; /* (n) */
};

uint32_t sc_random_u32(uint64_t *state) {
  /* xorshift64*: https://en.wikipedia.org/wiki/Xorshift#xorshift* */
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (uint32_t)((*state * 0x2545F4914F6CDD1Dull) >> 32);
}

float sc_random_f32(uint64_t *state) {
  return (float)(sc_random_u32(state) >> 8) / 16777216.0f;
}

sc_status sc_sampler_create(uint32_t vocab_size, const sc_sampler_params *p, sc_sampler **out) {
  *out = NULL;
  if (vocab_size == 0 || vocab_size > INT32_MAX || !(p->temperature >= 0.0f) ||
      isinf(p->temperature))
    return SC_STATUS_INVALID_ARGUMENT;
  sc_sampler *s = calloc(1, sizeof *s);
  if (!s) return SC_STATUS_NO_MEMORY;
  s->n = vocab_size;
  s->p = *p;
  s->rng = p->seed ? p->seed : 1;
  s->probs = malloc(vocab_size * sizeof *s->probs);
  s->sorted = malloc(vocab_size * sizeof *s->sorted);
  if (!s->probs || !s->sorted) {
    sc_sampler_free(s);
    return SC_STATUS_NO_MEMORY;
  }
  *out = s;
  return SC_STATUS_OK;
}

void sc_sampler_free(sc_sampler *s) {
  if (!s) return;
  free(s->probs);
  free(s->sorted);
  free(s);
}

/* Descending probability, then ascending id: a total order. */
static int by_prob_desc(const void *a, const void *b) {
  const prob_index *x = a, *y = b;
  if (x->prob > y->prob) return -1;
  if (x->prob < y->prob) return 1;
  return (x->index > y->index) - (x->index < y->index);
}

static int32_t argmax(const float *v, uint32_t n) {
  uint32_t best = 0;
  for (uint32_t i = 1; i < n; i++)
    if (v[i] > v[best]) best = i;
  return (int32_t)best;
}

/* run.c's softmax, in place. */
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

/* Index i where the CDF first exceeds coin (the last on rounding). */
static int32_t sample_mult(const float *probs, uint32_t n, float coin) {
  float cdf = 0.0f;
  for (uint32_t i = 0; i < n; i++) {
    cdf += probs[i];
    if (coin < cdf) return (int32_t)i;
  }
  return (int32_t)n - 1;
}

/* run.c's sample_topp: sample from the smallest set of tokens whose
 * probabilities sum to more than topp. Probabilities below (1 - topp) / (n - 1)
 * cannot be in that set, so they are dropped before sorting. */
static int32_t sample_topp(const float *probs, uint32_t n, float topp, prob_index *pi, float coin) {
  uint32_t n0 = 0;
  const float cutoff = (1.0f - topp) / (float)(n - 1);
  for (uint32_t i = 0; i < n; i++) {
    if (probs[i] >= cutoff) {
      pi[n0].index = (int32_t)i;
      pi[n0].prob = probs[i];
      n0++;
    }
  }
  if (n0 == 0) return argmax(probs, n); /* only when n == 1 rounding is off; be safe */
  qsort(pi, n0, sizeof *pi, by_prob_desc);
  float cumulative = 0.0f;
  uint32_t last = n0 - 1; /* on rounding errors, consider all */
  for (uint32_t i = 0; i < n0; i++) {
    cumulative += pi[i].prob;
    if (cumulative > topp) {
      last = i;
      break;
    }
  }
  float r = coin * cumulative;
  float cdf = 0.0f;
  for (uint32_t i = 0; i <= last; i++) {
    cdf += pi[i].prob;
    if (r < cdf) return pi[i].index;
  }
  return pi[last].index;
}

int32_t sc_sampler_sample(sc_sampler *s, const float *logits) {
  uint32_t n = s->n;
  if (s->p.temperature == 0.0f) return argmax(logits, n);
  float *probs = s->probs;
  for (uint32_t i = 0; i < n; i++) probs[i] = logits[i] / s->p.temperature;
  if (s->p.top_k > 0 && s->p.top_k < n) {
    /* Keep the k largest (ties: lower id); the others get probability 0. */
    for (uint32_t i = 0; i < n; i++) s->sorted[i] = (prob_index){probs[i], (int32_t)i};
    qsort(s->sorted, n, sizeof *s->sorted, by_prob_desc);
    for (uint32_t i = s->p.top_k; i < n; i++) probs[s->sorted[i].index] = -INFINITY;
  }
  softmax(probs, n);
  float coin = sc_random_f32(&s->rng);
  if (s->p.top_p <= 0.0f || s->p.top_p >= 1.0f || n == 1) return sample_mult(probs, n, coin);
  return sample_topp(probs, n, s->p.top_p, s->sorted, coin);
}
