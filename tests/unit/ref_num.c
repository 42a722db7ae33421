/* ref_num.c: the reference implementations declared in ref_num.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_num.h"

ref_fmt ref_bf16 = {"bf16", 8, 7, 127, true, 1u << 16, 0, NULL};
ref_fmt ref_fp16 = {"fp16", 5, 10, 15, true, 1u << 16, 0, NULL};
ref_fmt ref_e4m3 = {"e4m3", 4, 3, 7, false, 1u << 8, 0, NULL};
ref_fmt ref_e5m2 = {"e5m2", 5, 2, 15, true, 1u << 8, 0, NULL};

double ref_decode(const ref_fmt *f, uint32_t code, bool *is_nan) {
  int sign = (code >> (f->ebits + f->mbits)) & 1;
  int e = (int)((code >> f->mbits) & ((1u << f->ebits) - 1));
  int m = (int)(code & ((1u << f->mbits) - 1));
  int e_all = (1 << f->ebits) - 1, m_all = (1 << f->mbits) - 1;
  *is_nan = false;
  if (f->ieee_special && e == e_all) {
    if (m == 0) return sign ? -HUGE_VAL : HUGE_VAL;
    *is_nan = true;
  } else if (!f->ieee_special && e == e_all && m == m_all) {
    *is_nan = true;
  }
  if (*is_nan) return sign ? -(double)NAN : (double)NAN;
  /* normal: (1 + m / 2^mbits) 2^(e - bias); subnormal: (m / 2^mbits) 2^(1 - bias) */
  double frac = ldexp(m, -f->mbits);
  double v = e ? ldexp(1.0 + frac, e - f->bias) : ldexp(frac, 1 - f->bias);
  return sign ? -v : v;
}

static void init_fmt(ref_fmt *f) {
  if (f->values) return;
  unsigned half = f->n_codes / 2;
  /* The largest positive code that decodes to a finite value. */
  unsigned max = 0;
  for (unsigned c = 0; c < half; c++) {
    bool nan;
    double v = ref_decode(f, c, &nan);
    if (!nan && isfinite(v)) max = c;
  }
  f->max_code = max;
  f->values = malloc((max + 2) * sizeof(double));
  for (unsigned c = 0; c <= max; c++) {
    bool nan;
    f->values[c] = ref_decode(f, c, &nan);
  }
  /* The next value with an unbounded exponent: one more step of the top binade. */
  f->values[max + 1] = 2 * f->values[max] - f->values[max - 1];
}

void ref_num_init(void) {
  init_fmt(&ref_bf16);
  init_fmt(&ref_fp16);
  init_fmt(&ref_e4m3);
  init_fmt(&ref_e5m2);
}

static uint32_t nan_code(const ref_fmt *f, uint32_t sign_bit, uint32_t f32_bits) {
  uint32_t exp_all = ((1u << f->ebits) - 1) << f->mbits;
  if (!f->ieee_special) return sign_bit | exp_all | ((1u << f->mbits) - 1);
  uint32_t quiet = 1u << (f->mbits - 1);
  uint32_t top = (f32_bits & 0x7fffffu) >> (23 - f->mbits);
  return sign_bit | exp_all | quiet | top;
}

uint32_t ref_encode(const ref_fmt *f, float x, bool saturate) {
  uint32_t bits;
  memcpy(&bits, &x, 4);
  uint32_t sign_bit = signbit(x) ? 1u << (f->ebits + f->mbits) : 0;
  uint32_t exp_all = ((1u << f->ebits) - 1) << f->mbits;
  uint32_t over = saturate ? f->max_code : f->ieee_special ? exp_all : nan_code(f, 0, 0);
  if (isnan(x)) return nan_code(f, sign_bit, bits);
  if (isinf(x)) return sign_bit | over;
  double a = fabs((double)x);
  unsigned top = f->max_code + 1;
  if (a > f->values[top]) return sign_bit | over;
  /* Binary search: values[lo] <= a < values[lo + 1]. */
  unsigned lo = 0, hi = top;
  while (hi - lo > 1) {
    unsigned mid = (lo + hi) / 2;
    if (f->values[mid] <= a)
      lo = mid;
    else
      hi = mid;
  }
  if (a == f->values[top]) lo = top, hi = top;
  unsigned pick;
  double dlo = a - f->values[lo], dhi = f->values[hi] - a;
  if (lo == hi || dlo < dhi)
    pick = lo;
  else if (dhi < dlo)
    pick = hi;
  else
    pick = (lo % 2 == 0) ? lo : hi;
  if (pick > f->max_code) return sign_bit | over;
  return sign_bit | pick;
}

int64_t ref_round_int(float x, int64_t lo, int64_t hi) {
  if (isnan(x)) return 0;
  double v = (double)x, fl = floor(v), r;
  if (v - fl > 0.5)
    r = fl + 1;
  else if (v - fl < 0.5)
    r = fl;
  else
    r = fmod(fl, 2.0) == 0 ? fl : fl + 1;
  if (r < (double)lo) return lo;
  if (r > (double)hi) return hi;
  return (int64_t)r;
}

double ref_ulp_error(float y, double ref, double floor_abs) {
  if (isnan(ref) || isnan(y)) return isnan(ref) && isnan(y) ? 0 : HUGE_VAL;
  if (isinf(ref)) return isinf(y) && !signbit(y) == !signbit(ref) ? 0 : HUGE_VAL;
  /* Beyond 2^128 the float result is Inf whatever the rounding. */
  if (fabs(ref) >= 0x1p128) return isinf(y) && !signbit(y) == !signbit(ref) ? 0 : HUGE_VAL;
  double yd = isinf(y) ? copysign(ldexp(1, 128), (double)y) : (double)y;
  double a = fabs(ref);
  if (a < floor_abs) a = floor_abs;
  int e;
  frexp(a, &e); /* a = f 2^e, f in [0.5, 1): the binade is 2^(e-1) */
  int b = e - 1 < -126 ? -126 : e - 1;
  return fabs(yd - ref) / ldexp(1, b - 23);
}

bool ref_quick(void) {
  const char *q = getenv("SEEDCHIP_TEST_QUICK");
  return q && strcmp(q, "1") == 0;
}

/* Element i of a buffer as a double (the test's own reading of each layout). */
double ref_elem(const void *p, sc_dtype dt, size_t i) {
  const uint8_t *b = p;
  switch (dt) {
  case SC_DTYPE_FP32: {
    float v;
    memcpy(&v, b + 4 * i, 4);
    return (double)v;
  }
  case SC_DTYPE_BF16:
  case SC_DTYPE_FP16: {
    uint16_t v;
    memcpy(&v, b + 2 * i, 2);
    bool nan;
    return ref_decode(dt == SC_DTYPE_BF16 ? &ref_bf16 : &ref_fp16, v, &nan);
  }
  case SC_DTYPE_FP8_E4M3:
  case SC_DTYPE_FP8_E5M2: {
    bool nan;
    return ref_decode(dt == SC_DTYPE_FP8_E4M3 ? &ref_e4m3 : &ref_e5m2, b[i], &nan);
  }
  case SC_DTYPE_INT8:
    return (int8_t)b[i];
  case SC_DTYPE_INT4: {
    int nib = (b[i / 2] >> (4 * (i & 1))) & 0xf;
    return nib >= 8 ? nib - 16 : nib;
  }
  default: {
    int32_t v;
    memcpy(&v, b + 4 * i, 4);
    return v;
  }
  }
}

const ref_fmt *ref_fmt_of(sc_dtype dt) {
  switch (dt) {
  case SC_DTYPE_BF16:
    return &ref_bf16;
  case SC_DTYPE_FP16:
    return &ref_fp16;
  case SC_DTYPE_FP8_E4M3:
    return &ref_e4m3;
  case SC_DTYPE_FP8_E5M2:
    return &ref_e5m2;
  default:
    return NULL;
  }
}
