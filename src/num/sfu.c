/* sfu.c: the special functions of the VPU: exp, log, rcp, rsqrt, sigmoid, tanh,
 * SiLU and GELU (tanh form), FP32 in and out.
 *
 * These algorithms are the specification of the chip's special-function unit:
 * the functional model and any hardware must give these exact bits. So they use
 * only FP32 +, -, *, / (each correctly rounded by IEEE 754, the same on every
 * host; the build forbids FMA contraction) and integer operations on the bits:
 * no libm, no double, no long double. Every constant is written so that it is
 * exactly one float (the bit pattern is in the comment where it matters).
 *
 * Special values (docs/NUMERICS.md): a NaN input comes back quiet with its sign
 * and payload; invalid operations give the default NaN 0x7fc00000. */
#include "num_int.h"

#define DEFAULT_NAN 0x7fc00000u
#define LOG2E 1.44269502e+00f /* 0x3fb8aa3b */
#define LN2_HI                                                                                     \
  6.93145752e-01f              /* 0x3f317200: 15 significant bits, n * LN2_HI exact for |n| < 2^9  \
                                */
#define LN2_LO 1.42860677e-06f /* 0x35bfbe8e: ln 2 - LN2_HI */

static float quiet(float x) {
  return num_bits_f32(num_f32_bits(x) | 0x00400000u);
}
static bool is_nan(float x) {
  return (num_f32_bits(x) & 0x7fffffffu) > 0x7f800000u;
}

/* 2^n for n in [-126, 127], built from the exponent field. */
static float pow2(int n) {
  return num_bits_f32((uint32_t)(n + 127) << 23);
}

/* v * 2^n for n in [-252, 254] in two multiplications. The first is exact
 * whenever v 2^(n/2) is normal, which holds for every call in this file (v is
 * the exp mantissa p in [0.7, 1.42], or |v| >= 0.1 when n != 0, and n >= -217),
 * so the only rounding is the final one, which is where a subnormal or
 * overflowing result is produced. */
static float scale2(float v, int n) {
  int n1 = n / 2;
  return v * pow2(n1) * pow2(n - n1);
}

/* Range reduction for e^x, |x| <= 104: x = n ln2 + r with |r| <= ~0.347.
 * Adding 1.5 * 2^23 rounds x / ln2 to an integer inside the float addition
 * itself (ties to even), so no libm rint is needed. n * LN2_HI is exact and
 * x - n * LN2_HI is exact (Sterbenz), so r carries only the error of the small
 * LN2_LO term (Cody and Waite). */
static float exp_reduce(float x, int *n) {
  const float shifter = 12582912.0f; /* 1.5 * 2^23 */
  float nf = (x * LOG2E + shifter) - shifter;
  *n = (int)nf;
  return (x - nf * LN2_HI) - nf * LN2_LO;
}

/* The same for an argument given as x + x_lo (|x_lo| <= ulp(x)), as GELU
 * computes it: the low part joins the small correction term. */
static float exp_reduce2(float x, float x_lo, int *n) {
  const float shifter = 12582912.0f;
  float nf = (x * LOG2E + shifter) - shifter;
  *n = (int)nf;
  return (x - nf * LN2_HI) + (x_lo - nf * LN2_LO);
}

/* e^r - 1 for |r| <= 0.35: Taylor series to degree 7 (the truncation error,
 * r^8 / 8! < 5.2e-9, is below 0.05 ulp of e^r). Written as r + r^2 (...) so
 * that the result keeps full relative precision for tiny r. */
static float expm1_poly(float r) {
  float q = 1.0f / 5040.0f;
  q = 1.0f / 720.0f + r * q;
  q = 1.0f / 120.0f + r * q;
  q = 1.0f / 24.0f + r * q;
  q = 1.0f / 6.0f + r * q;
  q = 0.5f + r * q;
  return r + (r * r) * q;
}

float sc_num_exp(float x) {
  if (is_nan(x)) return quiet(x);
  if (x > 88.8f) return num_bits_f32(0x7f800000u); /* e^88.8 > FLT_MAX; also +Inf */
  if (x < -104.0f) return 0.0f;                    /* e^-104 < 2^-150, rounds to 0; also -Inf */
  int n;
  float r = exp_reduce(x, &n);
  return scale2(1.0f + expm1_poly(r), n); /* n in [-150, 129] */
}

/* e^x - 1 for 0 <= x <= 20 (tanh only): 2^n (1 + p) - 1 = 2^n p + (2^n - 1),
 * which has no cancellation for n >= 1 and is p itself for n = 0, so small x
 * keep their relative precision (what 1 - 2 / (e^2x + 1) would lose). */
static float expm1_pos(float x) {
  int n;
  float p = expm1_poly(exp_reduce(x, &n));
  if (n == 0) return p;
  float s = pow2(n);
  return s * p + (s - 1.0f);
}

float sc_num_log(float x) {
  uint32_t u = num_f32_bits(x);
  if (is_nan(x)) return quiet(x);
  if ((u & 0x7fffffffu) == 0) return num_bits_f32(0xff800000u); /* log(+-0) = -Inf */
  if (u >> 31) return num_bits_f32(DEFAULT_NAN);
  if (u == 0x7f800000u) return x;
  int k = 0;
  if (u < 0x00800000u) { /* subnormal: scale by 2^23 (exact) to normalise */
    u = num_f32_bits(x * 8388608.0f);
    k = -23;
  }
  /* x = 2^k * m with m in [sqrt(2)/2, sqrt(2)), so f = m - 1 is small on
   * either side of 0 and log(1 + f) needs a short series. */
  k += (int)(u >> 23) - 127;
  uint32_t mbits = u & 0x7fffffu;
  float m;
  if (mbits > 0x3504f3u) { /* 1.mbits > sqrt(2): use m / 2 */
    m = num_bits_f32(0x3f000000u | mbits);
    k++;
  } else {
    m = num_bits_f32(0x3f800000u | mbits);
  }
  float f = m - 1.0f; /* exact (Sterbenz) */
  /* log(1 + f) = 2 atanh(s), s = f / (2 + f), |s| <= 0.1716:
   * 2s + s R with R = 2s^2/3 + 2s^4/5 + ... (5 terms: truncation < 1e-10).
   * Rearranged as f - f^2/2 + s (f^2/2 + R) (fdlibm's form), so that the large
   * part f is exact and the rounding errors sit in small correction terms. */
  float s = f / (2.0f + f);
  float z = s * s;
  float R = 2.0f / 11.0f;
  R = 2.0f / 9.0f + z * R;
  R = 2.0f / 7.0f + z * R;
  R = 2.0f / 5.0f + z * R;
  R = 2.0f / 3.0f + z * R;
  R = z * R;
  float hfsq = 0.5f * f * f;
  float kf = (float)k;
  return kf * LN2_HI - ((hfsq - (s * (hfsq + R) + kf * LN2_LO)) - f);
}

float sc_num_rcp(float x) {
  if (is_nan(x)) return quiet(x);
  /* IEEE division is correctly rounded: one defined result on every host, and
   * the special cases (+-0 -> +-Inf, +-Inf -> +-0) are IEEE's. */
  return 1.0f / x;
}

float sc_num_rsqrt(float x) {
  uint32_t u = num_f32_bits(x);
  if (is_nan(x)) return quiet(x);
  if ((u & 0x7fffffffu) == 0) return num_bits_f32((u & 0x80000000u) | 0x7f800000u); /* +-Inf */
  if (u >> 31) return num_bits_f32(DEFAULT_NAN);
  if (u == 0x7f800000u) return 0.0f;
  float post = 1.0f;
  if (u < 0x00800000u) { /* subnormal: x * 2^24 is normal; rsqrt scales by 2^12 */
    x *= 16777216.0f;
    u = num_f32_bits(x);
    post = 4096.0f;
  }
  /* Seed from the bits (halving the exponent): relative error < 3.5%. Two
   * Newton steps bring it to < 5e-6, the third to below float precision. */
  float y = num_bits_f32(0x5f3759dfu - (u >> 1));
  float hx = 0.5f * x;
  y = y * (1.5f - hx * y * y);
  y = y * (1.5f - hx * y * y);
  /* The last step as y + y (e / 2), e = 1 - x y^2 tiny: the rounding errors of
   * the correction scale with e, so only the final addition rounds at full size. */
  float e = 1.0f - (x * y) * y;
  y = y + y * (0.5f * e);
  return y * post;
}

/* e^(z + z_lo) for |z| <= 104 (sigmoid only), the scale applied as in sc_num_exp. */
static float exp2f_(float z, float z_lo) {
  int n;
  float r = exp_reduce2(z, z_lo, &n);
  return scale2(1.0f + expm1_poly(r), n);
}

/* x * sigmoid(z + z_lo) for finite x and non-NaN z (z_lo a correction below
 * ulp(z), 0 when z is exact). For z < 0 the result is x e^z / (1 + e^z) with
 * e^z = p 2^n; the factor 2^n is applied last, so a result in the subnormal
 * range is rounded once from a full-precision value instead of multiplying an
 * already-underflowed sigmoid. */
static float mul_sigmoid(float x, float z, float z_lo) {
  if (z >= 0.0f) {
    if (z > 104.0f) return x;              /* e^-z < 2^-150: 1 + e^-z rounds to 1 */
    return x / (1.0f + exp2f_(-z, -z_lo)); /* e^-z in (0, 1]: no cancellation */
  }
  /* x e^z underflows to 0 for z < -150 whenever |x| < 2^40 (SiLU's x = z; GELU's
   * x is about z / 0.07^(1/3)); n stays >= -217, inside scale2's range. */
  if (z < -150.0f) return x * 0.0f; /* signed zero; also z = -Inf */
  int n;
  float p = 1.0f + expm1_poly(exp_reduce2(z, z_lo, &n));
  float e = scale2(p, n);
  return scale2((x * p) / (1.0f + e), n);
}

/* ---- double-float helpers (GELU's argument) ----
 * A value carried as hi + lo, two floats, gives ~48 bits with float operations
 * only (Dekker 1971); without FMA the exact product needs Veltkamp's split. */

/* a = hi + lo with hi holding the top 12 significant bits; |a| < 2^100. */
static void split(float a, float *hi, float *lo) {
  float c = 4097.0f * a; /* 2^12 + 1 */
  *hi = c - (c - a);
  *lo = a - *hi;
}

/* a * b = *p + *e exactly (barring underflow). */
static void two_prod(float a, float b, float *p, float *e) {
  float ah, al, bh, bl;
  split(a, &ah, &al);
  split(b, &bh, &bl);
  *p = a * b;
  *e = ((ah * bh - *p) + ah * bl + al * bh) + al * bl;
}

/* a + b = *s + *e exactly, for |a| >= |b| or a = 0. */
static void fast_two_sum(float a, float b, float *s, float *e) {
  *s = a + b;
  *e = b - (*s - a);
}

float sc_num_sigmoid(float x) {
  if (is_nan(x)) return quiet(x);
  return mul_sigmoid(1.0f, x, 0.0f);
}

float sc_num_silu(float x) {
  if (is_nan(x)) return quiet(x);
  if (x == -num_bits_f32(0x7f800000u)) return -0.0f; /* limit of x e^x */
  return mul_sigmoid(x, x, 0.0f);
}

float sc_num_tanh(float x) {
  uint32_t u = num_f32_bits(x);
  if (is_nan(x)) return quiet(x);
  uint32_t sign = u & 0x80000000u;
  float a = num_bits_f32(u & 0x7fffffffu);
  float t;
  if (a >= 10.0f) {
    t = 1.0f; /* 1 - tanh(10) < 2^-27: rounds to 1 */
  } else {
    /* tanh a = (e^2a - 1) / (e^2a + 1), with e^2a - 1 computed directly so that
     * small a keep relative precision (tanh a ~ a). */
    float em = expm1_pos(2.0f * a);
    t = em / (em + 2.0f);
  }
  return num_bits_f32(num_f32_bits(t) | sign); /* odd; keeps -0 */
}

/* 2 sqrt(2/pi) and 0.044715 as hi + lo float pairs (the hi parts are the
 * nearest floats; the lo parts the nearest floats to the remainders). */
#define GELU_C_HI 0x1.988454p+0f   /* 1.59576917 */
#define GELU_C_LO -0x1.857936p-25f /* 2 sqrt(2/pi) - GELU_C_HI */
#define GELU_A_HI 0x1.6e4e26p-5f   /* 0.0447149985 */
#define GELU_A_LO 0x1.a9003ep-30f  /* 0.044715 - GELU_A_HI */

float sc_num_gelu_tanh(float x) {
  if (is_nan(x)) return quiet(x);
  /* 0.5 x (1 + tanh u) = x sigmoid(2u): the sigmoid form has no cancellation
   * for negative x, where 1 + tanh u would lose every digit. */
  if (x > 16.0f) return x;      /* 2u > 208: sigmoid rounds to 1 */
  if (x < -16.0f) return -0.0f; /* 2u < -216: the result underflows; also -Inf */
  /* For negative x the result x e^2u has relative condition number ~|2u|
   * (up to ~150), so the rounding errors of a plain float 2u would cost up to
   * ~100 ulp. 2u = C x (1 + A x^2) is therefore carried as z + z_lo
   * (double-float, about 48 bits) and handed to the exponential whole. */
  float s, s_lo, t, t_lo, v, v_lo, z, z_lo, w, w_lo;
  two_prod(x, x, &s, &s_lo);         /* x^2 */
  two_prod(GELU_A_HI, s, &t, &t_lo); /* A x^2 */
  t_lo += GELU_A_HI * s_lo + GELU_A_LO * s;
  if (t > 1.0f)
    fast_two_sum(t, 1.0f, &w, &w_lo); /* 1 + A x^2, larger term first */
  else
    fast_two_sum(1.0f, t, &w, &w_lo);
  w_lo += t_lo;
  two_prod(x, w, &v, &v_lo); /* x (1 + A x^2) */
  v_lo += x * w_lo;
  two_prod(GELU_C_HI, v, &z, &z_lo); /* C x (1 + A x^2) */
  z_lo += GELU_C_HI * v_lo + GELU_C_LO * v;
  fast_two_sum(z, z_lo, &z, &z_lo);
  return mul_sigmoid(x, z, z_lo);
}
