/* fp.c: FP32 <-> BF16 / FP16 / FP8 (E4M3, E5M2) and FP32 -> integer, scalar.
 *
 * One generic encoder and one generic decoder, driven by a format description
 * (num_fmt), so every format follows the same written-down rule
 * (docs/NUMERICS.md) instead of four hand-tuned bit tricks that could disagree
 * at the edges. Only integer operations on the bit patterns: the result does not
 * depend on the host's rounding mode, flush-to-zero setting or compiler. */
#include <assert.h>

#include "num_int.h"

/* clang-format off */
/*                                       ebits mbits bias max_finite has_inf e4m3_nan */
const num_fmt num_fmt_bf16 = {8, 7, 127, 0x7f7f, true, false};  /* max 3.3895e38 */
const num_fmt num_fmt_fp16 = {5, 10, 15, 0x7bff, true, false};  /* max 65504 */
const num_fmt num_fmt_e4m3 = {4, 3, 7, 0x7e, false, true};      /* max 448 */
const num_fmt num_fmt_e5m2 = {5, 2, 15, 0x7b, true, false};     /* max 57344 */
/* clang-format on */

/* v / 2^shift rounded to nearest, ties to even. */
static uint32_t rne_shr(uint32_t v, unsigned shift) {
  if (shift == 0) return v;
  if (shift > 31) return 0; /* v < 2^31 is below half of 2^shift */
  uint32_t k = v >> shift;
  uint32_t rem = v & ((1u << shift) - 1);
  uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (k & 1))) k++;
  return k;
}

uint32_t num_encode(const num_fmt *f, float x, bool saturate) {
  const uint32_t u = num_f32_bits(x);
  const uint32_t a = u & 0x7fffffffu; /* |x| */
  const uint32_t sign = (u >> 31) << (f->ebits + f->mbits);
  const uint32_t exp_ones = ((1u << f->ebits) - 1) << f->mbits;
  const uint32_t mant_mask = (1u << f->mbits) - 1;

  if (a > 0x7f800000u) { /* NaN */
    if (f->e4m3_nan) return sign | exp_ones | mant_mask;
    /* Quiet bit (the top mantissa bit) set, then the top payload bits kept. */
    uint32_t payload = (a & 0x7fffffu) >> (23 - f->mbits);
    return sign | exp_ones | (1u << (f->mbits - 1)) | payload;
  }
  const uint32_t overflow = saturate     ? f->max_finite
                            : f->has_inf ? exp_ones
                                         : exp_ones | mant_mask; /* E4M3: NaN */
  if (a == 0x7f800000u) return sign | overflow;
  if (a == 0) return sign;

  /* |x| = sig * 2^E exactly. */
  const int e = (int)(a >> 23);
  const uint32_t sig = (a & 0x7fffffu) | (e ? 0x800000u : 0);
  const int E = (e ? e : 1) - 150;
  /* The binade of |x| in the target, clamped at emin: below it the target is
   * subnormal with the quantum of the lowest binade. FP32 subnormals are always
   * below every target's emin (emin >= -126). */
  const int emin = 1 - f->bias;
  int ex = e - 127;
  if (e == 0 || ex < emin) ex = emin;
  const int quantum = ex - f->mbits; /* result = k * 2^quantum */
  assert(quantum > E);
  const uint32_t k = rne_shr(sig, (unsigned)(quantum - E));
  /* k is in [0, 2^(mbits+1)]; k = 2^(mbits+1) after a round-up carries into the
   * exponent field, and in the subnormal binade (ex = emin) k >= 2^mbits lands
   * on exponent field 1: the same sum covers both. Rounding happened with an
   * unbounded exponent, so "overflow" is exactly "the encoding passed max". */
  const uint32_t enc = ((uint32_t)(ex + f->bias - 1) << f->mbits) + k;
  if (enc > f->max_finite) return sign | overflow;
  return sign | enc;
}

float num_decode(const num_fmt *f, uint32_t bits) {
  const uint32_t sign = ((bits >> (f->ebits + f->mbits)) & 1u) << 31;
  const uint32_t ones = (1u << f->ebits) - 1;
  const uint32_t mant_mask = (1u << f->mbits) - 1;
  const uint32_t exp = (bits >> f->mbits) & ones;
  uint32_t m = bits & mant_mask;

  if ((f->has_inf && exp == ones) || (f->e4m3_nan && exp == ones && m == mant_mask)) {
    /* Inf or NaN: widen exactly, the payload at the top of the FP32 mantissa. */
    return num_bits_f32(sign | 0x7f800000u | (m << (23 - f->mbits)));
  }
  if (exp == 0 && m == 0) return num_bits_f32(sign);
  int ex; /* value = m * 2^(ex - mbits) with m normalised to [2^mbits, 2^(mbits+1)) */
  if (exp == 0) {
    ex = 1 - f->bias;
    while (!(m & (1u << f->mbits))) {
      m <<= 1;
      ex--;
    }
  } else {
    ex = (int)exp - f->bias;
    m |= 1u << f->mbits;
  }
  if (ex >= -126) {
    return num_bits_f32(sign | (uint32_t)(ex + 127) << 23 | (m & mant_mask) << (23 - f->mbits));
  }
  /* Only BF16 subnormals get here; they are FP32 subnormals: m * 2^(ex - mbits)
   * in units of 2^-149. */
  assert(ex + 149 - f->mbits >= 0);
  return num_bits_f32(sign | m << (ex + 149 - f->mbits));
}

int32_t num_f32_to_int(float x, int32_t lo, int32_t hi) {
  const uint32_t u = num_f32_bits(x);
  const uint32_t a = u & 0x7fffffffu;
  const bool neg = u >> 31;
  if (a > 0x7f800000u) return 0;              /* NaN */
  if (a >= 0x4f000000u) return neg ? lo : hi; /* |x| >= 2^31, Inf included */
  const int e = (int)(a >> 23);
  if (e < 126) return 0;                            /* |x| < 0.5 */
  const uint32_t sig = (a & 0x7fffffu) | 0x800000u; /* |x| = sig * 2^(e - 150) */
  const uint32_t mag = e >= 150 ? sig << (e - 150) : rne_shr(sig, (unsigned)(150 - e));
  const int64_t v = neg ? -(int64_t)mag : (int64_t)mag;
  return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

uint16_t sc_f32_to_bf16(float x) {
  return (uint16_t)num_encode(&num_fmt_bf16, x, false);
}
float sc_bf16_to_f32(uint16_t bits) {
  return num_decode(&num_fmt_bf16, bits);
}
uint16_t sc_f32_to_fp16(float x) {
  return (uint16_t)num_encode(&num_fmt_fp16, x, false);
}
float sc_fp16_to_f32(uint16_t bits) {
  return num_decode(&num_fmt_fp16, bits);
}

uint8_t sc_f32_to_fp8e4m3(float x, sc_fp8_mode mode) {
  return (uint8_t)num_encode(&num_fmt_e4m3, x, mode != SC_FP8_NONSAT);
}
float sc_fp8e4m3_to_f32(uint8_t bits) {
  return num_decode(&num_fmt_e4m3, bits);
}

uint8_t sc_f32_to_fp8e5m2(float x, sc_fp8_mode mode) {
  return (uint8_t)num_encode(&num_fmt_e5m2, x, mode != SC_FP8_NONSAT);
}
float sc_fp8e5m2_to_f32(uint8_t bits) {
  return num_decode(&num_fmt_e5m2, bits);
}

int8_t sc_f32_to_int8(float x) {
  return (int8_t)num_f32_to_int(x, -128, 127);
}
int8_t sc_f32_to_int4(float x) {
  return (int8_t)num_f32_to_int(x, -8, 7);
}
int32_t sc_f32_to_int32(float x) {
  return num_f32_to_int(x, INT32_MIN, INT32_MAX);
}

uint8_t sc_int4_pack(int8_t lo, int8_t hi) {
  return (uint8_t)(((unsigned)lo & 0xfu) | ((unsigned)hi & 0xfu) << 4);
}

int8_t sc_int4_unpack(uint8_t byte, unsigned which) {
  unsigned nib = (which ? byte >> 4 : byte) & 0xfu;
  return (int8_t)((int)(nib ^ 8u) - 8); /* sign-extend bit 3 */
}
