/* num_int.h: private declarations of the num layer: the description of each
 * narrow float format, shared by the scalar converters and the array paths. */
#ifndef SEEDCHIP_NUM_INT_H
#define SEEDCHIP_NUM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "seedchip/num.h"

/* A binary float format narrower than FP32:  sign | exponent (ebits) | mantissa (mbits).
 * Every format here has emin = 1 - bias >= -126, so no FP32 subnormal lies in
 * a normal binade of the target (the encoder relies on it). */
typedef struct num_fmt {
  int ebits, mbits, bias;
  uint32_t max_finite; /* encoding of the largest finite magnitude */
  bool has_inf;        /* all-ones exponent, zero mantissa is Inf (IEEE-like) */
  bool e4m3_nan;       /* only S.1111.111 is NaN; the rest of that binade is finite */
} num_fmt;

extern const num_fmt num_fmt_bf16, num_fmt_fp16, num_fmt_e4m3, num_fmt_e5m2;

/* FP32 -> fmt, RNE; `saturate` clamps finite overflow and Inf to max finite. */
uint32_t num_encode(const num_fmt *fmt, float x, bool saturate);
/* fmt -> FP32, exact. */
float num_decode(const num_fmt *fmt, uint32_t bits);

/* Round half to even, saturate to [lo, hi], NaN -> 0. */
int32_t num_f32_to_int(float x, int32_t lo, int32_t hi);

static inline uint32_t num_f32_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static inline float num_bits_f32(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

#endif
