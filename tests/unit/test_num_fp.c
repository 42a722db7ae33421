/* test_num_fp.c: FP32 <-> BF16 / FP16 / FP8 and FP32 -> integer conversions,
 * against the independent references of ref_num.c: every narrow code decoded,
 * every rounding boundary of every binade encoded, random FP32 patterns (fixed
 * seed, printed), round trips, and sc_num_convert over every dtype pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "ref_num.h"
#include "seedchip/num.h"
#include "seedchip/util.h"

static uint32_t f2u(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  return u;
}

static float u2f(uint32_t u) {
  float x;
  memcpy(&x, &u, 4);
  return x;
}

/* The library's scalar functions behind one signature, per format and mode. */
typedef struct fmt_case {
  ref_fmt *ref;
  bool saturate;
  sc_dtype dtype;
} fmt_case;

static uint32_t lib_encode(const fmt_case *c, float x) {
  sc_fp8_mode mode = c->saturate ? SC_FP8_SATURATE : SC_FP8_NONSAT;
  switch (c->dtype) {
  case SC_DTYPE_BF16:
    return sc_f32_to_bf16(x);
  case SC_DTYPE_FP16:
    return sc_f32_to_fp16(x);
  case SC_DTYPE_FP8_E4M3:
    return sc_f32_to_fp8e4m3(x, mode);
  default:
    return sc_f32_to_fp8e5m2(x, mode);
  }
}

static float lib_decode(sc_dtype dt, uint32_t code) {
  switch (dt) {
  case SC_DTYPE_BF16:
    return sc_bf16_to_f32((uint16_t)code);
  case SC_DTYPE_FP16:
    return sc_fp16_to_f32((uint16_t)code);
  case SC_DTYPE_FP8_E4M3:
    return sc_fp8e4m3_to_f32((uint8_t)code);
  default:
    return sc_fp8e5m2_to_f32((uint8_t)code);
  }
}

/* BF16 and FP16 have no modes (IEEE overflow): their "saturate" entry is never used. */
static fmt_case cases[] = {
    {&ref_bf16, false, SC_DTYPE_BF16},    {&ref_fp16, false, SC_DTYPE_FP16},
    {&ref_e4m3, true, SC_DTYPE_FP8_E4M3}, {&ref_e4m3, false, SC_DTYPE_FP8_E4M3},
    {&ref_e5m2, true, SC_DTYPE_FP8_E5M2}, {&ref_e5m2, false, SC_DTYPE_FP8_E5M2},
};

static int setup(void **state) {
  (void)state;
  ref_num_init();
  return 0;
}

/* One encode check; prints the first few mismatches of a test. */
static unsigned check_encode(const fmt_case *c, float x, unsigned *failures) {
  uint32_t got = lib_encode(c, x), want = ref_encode(c->ref, x, c->saturate);
  if (got != want) {
    if (++*failures <= 8)
      print_message("%s%s: x=%a (0x%08x): got 0x%x want 0x%x\n", c->ref->name,
                    c->saturate ? "/sat" : "", (double)x, f2u(x), got, want);
    return 1;
  }
  return 0;
}

static void test_decode_every_code(void **state) {
  (void)state;
  for (size_t k = 0; k < SC_ARRAY_LEN(cases); k++) {
    const ref_fmt *f = cases[k].ref;
    for (uint32_t code = 0; code < f->n_codes; code++) {
      bool nan;
      double want = ref_decode(f, code, &nan);
      uint32_t got = f2u(lib_decode(cases[k].dtype, code));
      if (nan) {
        /* NaN widens exactly: sign, all-ones exponent, payload at the top. */
        uint32_t sign = (code >> (f->ebits + f->mbits)) & 1;
        uint32_t m = code & ((1u << f->mbits) - 1);
        assert_int_equal(got, sign << 31 | 0x7f800000u | m << (23 - f->mbits));
      } else {
        if (got != f2u((float)want))
          print_message("%s code 0x%x: got 0x%08x want %a\n", f->name, code, got, want);
        assert_int_equal(got, f2u((float)want)); /* bits: -0 and +0 differ */
      }
    }
  }
}

/* Around every representable value and every midpoint between neighbours
 * (including 0 / smallest subnormal, and max / the first value past max, which
 * is the overflow threshold), one FP32 ulp either side, both signs. The expected
 * code is also derived right here from the position, not only from the reference. */
static void test_encode_boundaries(void **state) {
  (void)state;
  unsigned failures = 0, checked = 0;
  for (size_t k = 0; k < SC_ARRAY_LEN(cases); k++) {
    const fmt_case *c = &cases[k];
    const ref_fmt *f = c->ref;
    uint32_t sign_shift = (uint32_t)(f->ebits + f->mbits);
    uint32_t over = c->saturate       ? f->max_code
                    : f->ieee_special ? ((1u << f->ebits) - 1) << f->mbits
                                      : (1u << sign_shift) - 1;
    for (uint32_t code = 0; code <= f->max_code; code++) {
      double lo = f->values[code], hi = f->values[code + 1];
      float mid = (float)((lo + hi) / 2);
      assert_true((double)mid == (lo + hi) / 2); /* midpoints are FP32 values */
      float v = (float)lo;
      uint32_t even = (code % 2 == 0) ? code : code + 1;
      uint32_t up = code + 1 > f->max_code ? over : code + 1;
      uint32_t tie = even > f->max_code ? over : even;
      struct {
        float x;
        uint32_t want;
      } pts[] = {
          {v, code},  {nextafterf(v, 0), code},   {nextafterf(v, INFINITY), code},
          {mid, tie}, {nextafterf(mid, 0), code}, {nextafterf(mid, INFINITY), up},
      };
      for (size_t i = 0; i < SC_ARRAY_LEN(pts); i++) {
        for (int s = 0; s < 2; s++) {
          float x = s ? -pts[i].x : pts[i].x;
          uint32_t want = pts[i].want | (s ? 1u << sign_shift : 0);
          checked++;
          check_encode(c, x, &failures);
          if (lib_encode(c, x) != want && ++failures <= 8)
            print_message("%s%s x=%a: got 0x%x want 0x%x\n", f->name, c->saturate ? "/sat" : "",
                          (double)x, lib_encode(c, x), want);
        }
      }
    }
    /* Specials: signed zeros, infinities, NaN payloads (quiet and signalling),
     * FP32 subnormals and extremes. */
    const uint32_t specials[] = {0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000,
                                 0xffc00000, 0x7f800001, 0xff800001, 0x7fa00000, 0x7fbfffff,
                                 0xffffffff, 0x7fffffff, 0x7fd55555, 0x7f8aaaaa, 0x00000001,
                                 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff};
    for (size_t i = 0; i < SC_ARRAY_LEN(specials); i++) {
      checked++;
      check_encode(c, u2f(specials[i]), &failures);
    }
    /* The documented special-value rules, spelled out. */
    uint32_t sign = 1u << sign_shift;
    assert_int_equal(lib_encode(c, INFINITY), over);
    assert_int_equal(lib_encode(c, -INFINITY), sign | over);
    assert_int_equal(lib_encode(c, -0.0f), sign);
  }
  print_message("boundary points checked: %u\n", checked);
  assert_int_equal(failures, 0);
}

/* Random FP32 bit patterns, every format and mode, against the reference. */
static void test_encode_random(void **state) {
  (void)state;
  const uint64_t seed = 0x5eedc41b00000001ull;
  uint64_t s = seed;
  size_t n = ref_quick() ? 1000000 : 10000000;
  print_message("random encode: %zu FP32 patterns x %zu cases, splitmix64 seed 0x%016llx\n", n,
                SC_ARRAY_LEN(cases), (unsigned long long)seed);
  unsigned failures = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t r = ref_splitmix64(&s);
    float x = u2f((uint32_t)r);
    /* Half the draws land near the formats' ranges (exponent field 90..160),
     * where the interesting rounding happens; the rest are anywhere. */
    if (r >> 63) x = u2f(((uint32_t)r & 0x807fffffu) | (uint32_t)(90 + (r >> 40) % 71) << 23);
    for (size_t k = 0; k < SC_ARRAY_LEN(cases); k++) check_encode(&cases[k], x, &failures);
  }
  assert_int_equal(failures, 0);
}

/* decode(encode(decode(b))) == decode(b) and encode(decode(b)) == b for every
 * non-NaN code (Inf only where the mode keeps it); NaN codes come back quiet. */
static void test_round_trip(void **state) {
  (void)state;
  for (size_t k = 0; k < SC_ARRAY_LEN(cases); k++) {
    const fmt_case *c = &cases[k];
    const ref_fmt *f = c->ref;
    for (uint32_t code = 0; code < f->n_codes; code++) {
      bool nan;
      double v = ref_decode(f, code, &nan);
      float x = lib_decode(c->dtype, code);
      if (nan) {
        uint32_t quiet = f->ieee_special ? 1u << (f->mbits - 1) : 0;
        assert_int_equal(lib_encode(c, x), code | quiet);
        continue;
      }
      if (isinf(v) && c->saturate) continue; /* Inf saturates by definition */
      assert_int_equal(lib_encode(c, x), code);
      assert_int_equal(f2u(lib_decode(c->dtype, lib_encode(c, x))), f2u(x));
    }
  }
}

/* FP32 -> INT8 / INT4 / INT32: every half-integer tie and its neighbours over
 * each range and past it, then random patterns, against ref_round_int. */
static void test_f32_to_int(void **state) {
  (void)state;
  for (int k = -600; k <= 600; k++) {
    float t = (float)k / 2;
    float xs[] = {t, nextafterf(t, -INFINITY), nextafterf(t, INFINITY)};
    for (size_t i = 0; i < 3; i++) {
      assert_int_equal(sc_f32_to_int8(xs[i]), ref_round_int(xs[i], -128, 127));
      assert_int_equal(sc_f32_to_int4(xs[i]), ref_round_int(xs[i], -8, 7));
      assert_int_equal(sc_f32_to_int32(xs[i]), ref_round_int(xs[i], INT32_MIN, INT32_MAX));
    }
  }
  /* Spelled out: ties to even, saturation, NaN -> 0, INT32 edges. */
  assert_int_equal(sc_f32_to_int8(2.5f), 2);
  assert_int_equal(sc_f32_to_int8(-2.5f), -2);
  assert_int_equal(sc_f32_to_int8(3.5f), 4);
  assert_int_equal(sc_f32_to_int8(-0.5f), 0);
  assert_int_equal(sc_f32_to_int8(127.5f), 127);
  assert_int_equal(sc_f32_to_int8(-128.5f), -128);
  assert_int_equal(sc_f32_to_int8(NAN), 0);
  assert_int_equal(sc_f32_to_int8(-INFINITY), -128);
  assert_int_equal(sc_f32_to_int4(7.49f), 7);
  assert_int_equal(sc_f32_to_int4(-8.5f), -8);
  assert_int_equal(sc_f32_to_int4(-NAN), 0);
  assert_int_equal(sc_f32_to_int32(2147483520.0f), 2147483520);
  assert_int_equal(sc_f32_to_int32(2147483648.0f), INT32_MAX);
  assert_int_equal(sc_f32_to_int32(-2147483648.0f), INT32_MIN);
  assert_int_equal(sc_f32_to_int32(INFINITY), INT32_MAX);
  assert_int_equal(sc_f32_to_int32(4194304.5f), 4194304); /* the last binade with halves */
  assert_int_equal(sc_f32_to_int32(4194305.5f), 4194306);
  uint64_t s = 42;
  size_t n = ref_quick() ? 1000000 : 4000000;
  for (size_t i = 0; i < n; i++) {
    uint64_t r = ref_splitmix64(&s);
    float x = u2f((uint32_t)r);
    if (r >> 63) x = u2f(((uint32_t)r & 0x807fffffu) | (uint32_t)(120 + (r >> 40) % 40) << 23);
    if (sc_f32_to_int8(x) != ref_round_int(x, -128, 127) ||
        sc_f32_to_int4(x) != ref_round_int(x, -8, 7) ||
        sc_f32_to_int32(x) != ref_round_int(x, INT32_MIN, INT32_MAX)) {
      print_message("x=%a\n", (double)x);
      fail();
    }
  }
}

static void test_int4_pack(void **state) {
  (void)state;
  for (unsigned b = 0; b < 256; b++) {
    int lo = (int)(b & 0xf) - ((b & 0x8) ? 16 : 0);
    int hi = (int)(b >> 4) - ((b & 0x80) ? 16 : 0);
    assert_int_equal(sc_int4_unpack((uint8_t)b, 0), lo);
    assert_int_equal(sc_int4_unpack((uint8_t)b, 1), hi);
    assert_int_equal(sc_int4_pack((int8_t)lo, (int8_t)hi), b);
  }
}

static bool is_int_dt(sc_dtype dt) {
  return dt == SC_DTYPE_INT8 || dt == SC_DTYPE_INT4 || dt == SC_DTYPE_INT32;
}

/* Every dtype pair over values that hit rounding, saturation and specials;
 * the expected element is built from the documented rule with the references. */
static void test_convert_all_pairs(void **state) {
  (void)state;
  enum { N = 41 };
  float vals[N] = {0.0f,     -0.0f,    1.0f,          -1.0f,    2.5f,          -2.5f,
                   3.5f,     7.5f,     -8.5f,         100.7f,   127.5f,        -129.0f,
                   300.0f,   448.0f,   464.0f,        465.0f,   -1e5f,         57344.0f,
                   61440.0f, 65504.0f, 65520.0f,      1e9f,     -3e9f,         16777217.0f,
                   1e-3f,    3e-8f,    1e-40f,        INFINITY, -INFINITY,     NAN,
                   -NAN,     0.333f,   2147483520.0f, 0.0625f,  -0.001953125f, 6.1e-5f,
                   5.9e-8f,  1.5f,     -7.0f,         6.0f,     2.0e-3f};
  for (int sd = 0; sd < SC_DTYPE_COUNT; sd++) {
    sc_dtype src_dt = (sc_dtype)sd;
    /* Source buffer: the values converted into src by the scalar rules. */
    uint8_t src[N * 4 + 1];
    assert_int_equal(sc_num_convert(vals, SC_DTYPE_FP32, src, src_dt, N, SC_FP8_SATURATE),
                     SC_STATUS_OK);
    for (int dd = 0; dd < SC_DTYPE_COUNT; dd++) {
      sc_dtype dst_dt = (sc_dtype)dd;
      for (int mode = 0; mode < SC_FP8_MODE_COUNT; mode++) {
        uint8_t dst[N * 4 + 8];
        memset(dst, 0xa5, sizeof dst);
        assert_int_equal(sc_num_convert(src, src_dt, dst, dst_dt, N, (sc_fp8_mode)mode),
                         SC_STATUS_OK);
        size_t bytes = (N * sc_dtype_bits(dst_dt) + 7) / 8;
        for (size_t b = bytes; b < sizeof dst; b++) assert_int_equal(dst[b], 0xa5); /* sentinel */
        if (dst_dt == SC_DTYPE_INT4) assert_int_equal(dst[N / 2] >> 4, 0);          /* odd tail */
        for (size_t i = 0; i < N; i++) {
          double sv = ref_elem(src, src_dt, i), got = ref_elem(dst, dst_dt, i);
          double want;
          if (is_int_dt(dst_dt)) {
            int64_t lo = dst_dt == SC_DTYPE_INT8 ? -128 : dst_dt == SC_DTYPE_INT4 ? -8 : INT32_MIN;
            int64_t hi = dst_dt == SC_DTYPE_INT8 ? 127 : dst_dt == SC_DTYPE_INT4 ? 7 : INT32_MAX;
            if (is_int_dt(src_dt))
              want = sv < (double)lo ? (double)lo : sv > (double)hi ? (double)hi : sv;
            else
              want = (double)ref_round_int((float)sv, lo, hi);
          } else if (dst_dt == SC_DTYPE_FP32) {
            want = (double)(float)sv;
          } else {
            bool nan; /* the mode applies to FP8 only */
            bool sat = mode == SC_FP8_SATURATE && sc_dtype_bits(dst_dt) == 8;
            want = ref_decode(ref_fmt_of(dst_dt), ref_encode(ref_fmt_of(dst_dt), (float)sv, sat),
                              &nan);
          }
          if (!(got == want || (isnan(got) && isnan(want) && !signbit(got) == !signbit(want)))) {
            print_message("%s -> %s mode %d elem %zu: src %a got %a want %a\n",
                          sc_dtype_name(src_dt), sc_dtype_name(dst_dt), mode, i, sv, got, want);
            fail();
          }
          if (want == 0 && !is_int_dt(dst_dt)) assert_int_equal(signbit(got), signbit(want));
        }
      }
    }
  }
}

static void test_convert_bad_args(void **state) {
  (void)state;
  float x = 1.0f;
  uint8_t out[4];
  assert_int_equal(sc_num_convert(&x, SC_DTYPE_COUNT, out, SC_DTYPE_INT8, 1, SC_FP8_SATURATE),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_convert(&x, SC_DTYPE_FP32, out, (sc_dtype)-1, 1, SC_FP8_SATURATE),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_convert(&x, SC_DTYPE_FP32, out, SC_DTYPE_INT8, 1, SC_FP8_MODE_COUNT),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_convert(NULL, SC_DTYPE_FP32, out, SC_DTYPE_INT8, 1, SC_FP8_SATURATE),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_convert(&x, SC_DTYPE_FP32, NULL, SC_DTYPE_INT8, 1, SC_FP8_SATURATE),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_convert(NULL, SC_DTYPE_FP32, NULL, SC_DTYPE_INT8, 0, SC_FP8_SATURATE),
                   SC_STATUS_OK);
  /* In place, equal widths: INT4 keeps the other nibble while converting. */
  uint8_t q[2] = {sc_int4_pack(-3, 7), sc_int4_pack(-8, 1)};
  assert_int_equal(sc_num_convert(q, SC_DTYPE_INT4, q, SC_DTYPE_INT4, 4, SC_FP8_SATURATE),
                   SC_STATUS_OK);
  assert_int_equal(q[0], sc_int4_pack(-3, 7));
  assert_int_equal(q[1], sc_int4_pack(-8, 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decode_every_code), cmocka_unit_test(test_encode_boundaries),
      cmocka_unit_test(test_encode_random),     cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_f32_to_int),        cmocka_unit_test(test_int4_pack),
      cmocka_unit_test(test_convert_all_pairs), cmocka_unit_test(test_convert_bad_args),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
