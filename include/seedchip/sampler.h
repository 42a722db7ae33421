/* sampler.h: picking the next token from logits, as llama2.c's run.c does it,
 * so that a seed reproduces llama2.c's output token for token:
 *   temperature 0: argmax (the first maximum);
 *   else logits / temperature, softmax, then one coin = random_f32() and
 *     top-k (ours; llama2.c has none): only the k largest logits stay;
 *     top-p in (0, 1): run.c's nucleus sampling (drop probabilities below
 *       (1 - top_p) / (n - 1), sort descending, keep the shortest prefix whose
 *       sum exceeds top_p, pick by coin * that sum);
 *     otherwise: pick from the whole distribution by its CDF.
 * The RNG is run.c's xorshift64* (random_u32, random_f32), state = seed. */
#ifndef SEEDCHIP_SAMPLER_H
#define SEEDCHIP_SAMPLER_H

#include <stdint.h>

#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sc_sampler_params {
  float temperature; /* 0 = greedy */
  float top_p;       /* nucleus; <= 0 or >= 1 = off */
  uint32_t top_k;    /* 0 = off */
  uint64_t seed;     /* the RNG state; 0 is replaced by 1 (xorshift sticks at 0) */
} sc_sampler_params;

typedef struct sc_sampler sc_sampler;

/* INVALID_ARGUMENT for vocab_size 0 or a negative or non-finite temperature,
 * NO_MEMORY. */
SC_MUST_USE sc_status sc_sampler_create(uint32_t vocab_size, const sc_sampler_params *p,
                                        sc_sampler **out);
/* The next token for vocab_size logits (read only). */
int32_t sc_sampler_sample(sc_sampler *s, const float *logits);
void sc_sampler_free(sc_sampler *s);

/* run.c's xorshift64* generator: the next 32 bits, and a float in [0, 1). */
uint32_t sc_random_u32(uint64_t *state);
float sc_random_f32(uint64_t *state);

#ifdef __cplusplus
}
#endif
#endif
