/* test_num_quant.c: quantize / dequantize of a 2-D tensor with per-tensor,
 * per-channel (per-row) and per-group scales, every dtype, against a naive
 * reference loop; the INT8 / INT4 rounding ties and saturation exhaustively;
 * and every invalid argument combination. */
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

static int setup(void **state) {
  (void)state;
  ref_num_init();
  return 0;
}

static uint32_t f2u(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  return u;
}

static bool is_int_dt(sc_dtype dt) {
  return dt == SC_DTYPE_INT8 || dt == SC_DTYPE_INT4 || dt == SC_DTYPE_INT32;
}

/* The scale of (r, c), written out per layout without sharing the library's code. */
static float ref_scale(const sc_num_scales *s, size_t r, size_t c, size_t cols) {
  if (s->layout == SC_SCALE_PER_TENSOR) return s->values[0];
  if (s->layout == SC_SCALE_PER_CHANNEL) return s->values[r];
  size_t groups_per_row = cols / s->group_size;
  return s->values[r * groups_per_row + c / s->group_size];
}

/* The expected element of quantize(x / s), per the documented rule. */
static double ref_quant(float t, sc_dtype dt, sc_fp8_mode mode) {
  if (dt == SC_DTYPE_FP32) return (double)t;
  if (dt == SC_DTYPE_INT8) return (double)ref_round_int(t, -128, 127);
  if (dt == SC_DTYPE_INT4) return (double)ref_round_int(t, -8, 7);
  if (dt == SC_DTYPE_INT32) return (double)ref_round_int(t, INT32_MIN, INT32_MAX);
  const ref_fmt *f = ref_fmt_of(dt);
  bool nan;
  bool sat = dt == SC_DTYPE_FP8_E4M3 || dt == SC_DTYPE_FP8_E5M2 ? mode == SC_FP8_SATURATE : false;
  return ref_decode(f, ref_encode(f, t, sat), &nan);
}

static bool same(double a, double b) {
  return (isnan(a) && isnan(b)) || (a == b && !signbit(a) == !signbit(b));
}

/* One (rows, cols, layout) case for every dtype and mode. */
static void run_case(size_t rows, size_t cols, sc_scale_layout layout, size_t group,
                     uint64_t *rng) {
  size_t n = rows * cols;
  size_t n_scales = layout == SC_SCALE_PER_TENSOR    ? 1
                    : layout == SC_SCALE_PER_CHANNEL ? rows
                                                     : rows * (cols / group);
  float *x = malloc(n * sizeof *x), *sc = malloc(n_scales * sizeof *sc);
  float *back = malloc(n * sizeof *back);
  uint8_t *q = malloc(n * 4 + 8);
  assert_non_null(x);
  for (size_t i = 0; i < n_scales; i++) /* powers of two and ragged values */
    sc[i] = (i % 3 == 0) ? ldexpf(1.0f, (int)(ref_splitmix64(rng) % 12) - 6)
                         : 0.001f + (float)(ref_splitmix64(rng) % 100000) / 997.0f;
  sc_num_scales s = {layout, group, sc};
  for (size_t r = 0; r < rows; r++) {
    for (size_t c = 0; c < cols; c++) {
      uint64_t u = ref_splitmix64(rng);
      float scale = ref_scale(&s, r, c, cols);
      float v;
      switch (u % 6) {
      case 0:
        v = ((float)(int)((u >> 8) % 41) - 20.0f + 0.5f) * scale;
        break; /* ties */
      case 1:
        v = (float)((int64_t)((u >> 8) % 2000001) - 1000000) / 1000.0f;
        break;
      case 2:
        v = ((float)(int)((u >> 8) % 600) - 300.0f) * scale;
        break; /* saturation */
      case 3: {
        float sp[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e30f, -1e-30f};
        v = sp[(u >> 8) % 8];
        break;
      }
      default:
        v = ldexpf((float)((u >> 8) & 0xffffff) / 16777216.0f, (int)((u >> 40) % 40) - 20);
      }
      if (u & (1ull << 63)) v = -v;
      x[r * cols + c] = v;
    }
  }
  for (int d = 0; d < SC_DTYPE_COUNT; d++) {
    sc_dtype dt = (sc_dtype)d;
    for (int mode = 0; mode < SC_FP8_MODE_COUNT; mode++) {
      memset(q, 0xa5, n * 4 + 8);
      assert_int_equal(sc_num_quantize(x, rows, cols, &s, dt, (sc_fp8_mode)mode, q), SC_STATUS_OK);
      size_t bytes = (n * sc_dtype_bits(dt) + 7) / 8;
      for (size_t b = bytes; b < n * 4 + 8; b++) assert_int_equal(q[b], 0xa5);
      assert_int_equal(sc_num_dequantize(q, dt, rows, cols, &s, back), SC_STATUS_OK);
      for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
          size_t i = r * cols + c;
          float scale = ref_scale(&s, r, c, cols);
          double want = ref_quant(x[i] / scale, dt, (sc_fp8_mode)mode);
          double got = ref_elem(q, dt, i);
          if (!same(got, want)) {
            print_message("%s mode %d layout %d (%zu,%zu): x=%a s=%a got %a want %a\n",
                          sc_dtype_name(dt), mode, layout, r, c, (double)x[i], (double)scale, got,
                          want);
            fail();
          }
          /* dequantize: (float)q * scale, one FP32 multiplication. */
          float want_x = (float)got * scale;
          if (is_int_dt(dt)) want_x = (float)(int64_t)got * scale;
          if (!(isnan(want_x) && isnan(back[i]))) assert_int_equal(f2u(back[i]), f2u(want_x));
        }
      }
    }
  }
  free(x);
  free(sc);
  free(back);
  free(q);
}

static void test_layouts_all_dtypes(void **state) {
  (void)state;
  uint64_t rng = 7;
  for (int rep = 0; rep < 20; rep++) {
    run_case(5, 12, SC_SCALE_PER_TENSOR, 0, &rng);
    run_case(5, 12, SC_SCALE_PER_CHANNEL, 0, &rng);
    run_case(5, 12, SC_SCALE_PER_GROUP, 4, &rng);
    run_case(5, 12, SC_SCALE_PER_GROUP, 12, &rng);
    run_case(3, 7, SC_SCALE_PER_GROUP, 7, &rng); /* odd element count: INT4 tail */
    run_case(3, 7, SC_SCALE_PER_GROUP, 1, &rng);
    run_case(1, 1, SC_SCALE_PER_CHANNEL, 99, &rng); /* group ignored outside PER_GROUP */
    run_case(64, 128, SC_SCALE_PER_GROUP, 32, &rng);
  }
}

/* INT8 / INT4: every multiple of 1/4 from -300 to 300 times a few scales
 * (every tie, both sides, saturation), through the tensor path. */
static void test_int_ties_exhaustive(void **state) {
  (void)state;
  enum { N = 2401 };
  float x[N];
  int8_t q8[N];
  uint8_t q4[(N + 1) / 2];
  const float scales[] = {1.0f, 0.5f, 0.125f, 3.0f, 0.1f};
  for (size_t k = 0; k < SC_ARRAY_LEN(scales); k++) {
    for (int i = 0; i < N; i++) x[i] = (float)(i - 1200) / 4.0f * scales[k];
    sc_num_scales s = {SC_SCALE_PER_TENSOR, 0, &scales[k]};
    assert_int_equal(sc_num_quantize(x, 1, N, &s, SC_DTYPE_INT8, SC_FP8_SATURATE, q8),
                     SC_STATUS_OK);
    assert_int_equal(sc_num_quantize(x, 1, N, &s, SC_DTYPE_INT4, SC_FP8_SATURATE, q4),
                     SC_STATUS_OK);
    for (int i = 0; i < N; i++) {
      float t = x[i] / scales[k];
      assert_int_equal(q8[i], ref_round_int(t, -128, 127));
      assert_int_equal(sc_int4_unpack(q4[i / 2], (unsigned)(i & 1)), ref_round_int(t, -8, 7));
    }
  }
  /* Spelled out with scale 1: ties to even on both signs and saturation. */
  const float one = 1.0f;
  sc_num_scales s = {SC_SCALE_PER_TENSOR, 0, &one};
  float v[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 6.5f, 7.5f, -8.5f, 1000.0f, NAN};
  int8_t want4[] = {0, 2, 2, 0, -2, -2, 6, 7, -8, 7, 0};
  uint8_t out[6];
  assert_int_equal(sc_num_quantize(v, 1, 11, &s, SC_DTYPE_INT4, SC_FP8_SATURATE, out),
                   SC_STATUS_OK);
  for (int i = 0; i < 11; i++) assert_int_equal(sc_int4_unpack(out[i / 2], i & 1), want4[i]);
  assert_int_equal(out[5] >> 4, 0);
}

static void test_bad_args(void **state) {
  (void)state;
  float x[8] = {0}, y[8];
  int8_t q[8];
  float good[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  sc_num_scales s = {SC_SCALE_PER_GROUP, 4, good};
  assert_int_equal(sc_num_quantize(x, 2, 4, &s, SC_DTYPE_INT8, SC_FP8_SATURATE, q), SC_STATUS_OK);
  s.group_size = 0;
  assert_int_equal(sc_num_quantize(x, 2, 4, &s, SC_DTYPE_INT8, SC_FP8_SATURATE, q),
                   SC_STATUS_INVALID_ARGUMENT);
  s.group_size = 3; /* does not divide cols */
  assert_int_equal(sc_num_quantize(x, 2, 4, &s, SC_DTYPE_INT8, SC_FP8_SATURATE, q),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_dequantize(q, SC_DTYPE_INT8, 2, 4, &s, y), SC_STATUS_INVALID_ARGUMENT);
  s.group_size = 4;
  s.layout = SC_SCALE_LAYOUT_COUNT;
  assert_int_equal(sc_num_quantize(x, 2, 4, &s, SC_DTYPE_INT8, SC_FP8_SATURATE, q),
                   SC_STATUS_INVALID_ARGUMENT);
  s.layout = SC_SCALE_PER_TENSOR;
  assert_int_equal(sc_num_quantize(x, 2, 4, &s, SC_DTYPE_COUNT, SC_FP8_SATURATE, q),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_quantize(x, 2, 4, &s, SC_DTYPE_INT8, SC_FP8_MODE_COUNT, q),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_dequantize(q, (sc_dtype)99, 2, 4, &s, y), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_quantize(NULL, 2, 4, &s, SC_DTYPE_INT8, SC_FP8_SATURATE, q),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_quantize(x, 2, 4, &s, SC_DTYPE_INT8, SC_FP8_SATURATE, NULL),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_quantize(x, 2, 4, NULL, SC_DTYPE_INT8, SC_FP8_SATURATE, q),
                   SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_num_quantize(x, SIZE_MAX, 2, &s, SC_DTYPE_INT8, SC_FP8_SATURATE, q),
                   SC_STATUS_INVALID_ARGUMENT); /* rows * cols overflows */
  assert_int_equal(sc_num_quantize(NULL, 0, 4, &s, SC_DTYPE_INT8, SC_FP8_SATURATE, NULL),
                   SC_STATUS_OK); /* empty */
  /* Scales must be finite and positive. */
  const float bad[] = {0.0f, -0.0f, -1.0f, INFINITY, NAN, -INFINITY};
  for (size_t i = 0; i < SC_ARRAY_LEN(bad); i++) {
    sc_num_scales b = {SC_SCALE_PER_CHANNEL, 0, good};
    float vals[2] = {1.0f, bad[i]};
    b.values = vals;
    assert_int_equal(sc_num_quantize(x, 2, 4, &b, SC_DTYPE_INT8, SC_FP8_SATURATE, q),
                     SC_STATUS_INVALID_ARGUMENT);
    assert_int_equal(sc_num_dequantize(q, SC_DTYPE_INT8, 2, 4, &b, y), SC_STATUS_INVALID_ARGUMENT);
  }
  /* A subnormal scale is legal. */
  float tiny = 1e-40f;
  sc_num_scales t = {SC_SCALE_PER_TENSOR, 0, &tiny};
  assert_int_equal(sc_num_quantize(x, 2, 4, &t, SC_DTYPE_INT8, SC_FP8_SATURATE, q), SC_STATUS_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layouts_all_dtypes),
      cmocka_unit_test(test_int_ties_exhaustive),
      cmocka_unit_test(test_bad_args),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
