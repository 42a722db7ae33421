/* ref_num.h: independent references for the num tests, written differently
 * from src/num on purpose: values are computed in double with ldexp from the
 * bit fields, encodings are found by searching a table of every representable
 * value, and special functions come from the host's libm in double. The tests
 * may use libm; the library may not. */
#ifndef SEEDCHIP_REF_NUM_H
#define SEEDCHIP_REF_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/dtype.h"

/* A narrow float format as the OCP / IEEE documents describe it. */
typedef struct ref_fmt {
  const char *name;
  int ebits, mbits, bias;
  bool ieee_special; /* all-ones exponent: Inf (mantissa 0) or NaN (IEEE, E5M2) */
  /* else only S.1..1.1..1 is NaN and there is no Inf (E4M3) */
  unsigned n_codes;  /* 2^(1 + ebits + mbits) */
  unsigned max_code; /* positive code of the largest finite value */
  double *values;    /* values[c] for c = 0 .. max_code + 1 (the last one virtual) */
} ref_fmt;

extern ref_fmt ref_bf16, ref_fp16, ref_e4m3, ref_e5m2;

/* Fills the value tables (call once; idempotent). */
void ref_num_init(void);

/* Value of a code: from the fields with ldexp. NaN codes give a NaN whose sign
 * is the code's sign; *is_nan tells which. */
double ref_decode(const ref_fmt *f, uint32_t code, bool *is_nan);

/* The code of x: the nearest representable value (binary search in the table),
 * ties to the even code; overflow when the rounded value lies above max
 * (sat: +-max; else Inf or, without Inf, NaN). Specials per docs/NUMERICS.md. */
uint32_t ref_encode(const ref_fmt *f, float x, bool saturate);

/* saturate(round_half_even(x)) to [lo, hi]; NaN -> 0. Uses floor in double. */
int64_t ref_round_int(float x, int64_t lo, int64_t hi);

/* Error of y against the exact value ref in ulps of the float binade of ref
 * (subnormal ulp = 2^-149 below 2^-126); both NaN = 0, equal infinities = 0;
 * a float result of +-Inf counts as +-2^128. With floor_abs > 0, the ulp is
 * that of max(|ref|, floor_abs) (the combined absolute/relative metric). */
double ref_ulp_error(float y, double ref, double floor_abs);

/* Element i of a buffer of dtype dt as a double, read with the test's own
 * reading of each layout (INT4: element 2i in the low nibble of byte i). */
double ref_elem(const void *p, sc_dtype dt, size_t i);
/* The reference format of a narrow float dtype; NULL for others. */
const ref_fmt *ref_fmt_of(sc_dtype dt);

/* splitmix64: the tests' fixed-seed generator. */
static inline uint64_t ref_splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* 1 when SEEDCHIP_TEST_QUICK=1 is set (fewer random cases). */
bool ref_quick(void);

#endif
