/* test_examples.c: every program in examples/asm/ assembles, runs on the
 * simulated SC1 through the runtime, and matches a plain C reference bit for bit.
 *
 * The references are written from the instruction definitions (docs/ISA.md):
 * sequential FP32 sums in ascending k, each product and sum rounded to FP32, the
 * num layer's exp / reciprocal square root, 1.0f / x for vpu.recip. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/asm.h"
#include "seedchip/num.h"
#include "seedchip/runtime.h"
#include "seedchip/util.h"

static uint64_t rng = 0x5eed;
static float uniform(float lo, float hi) { /* xorshift64*, 24 random bits */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  uint32_t r = (uint32_t)((rng * 2685821657736338717ull) >> 40);
  return lo + (hi - lo) * ((float)r / 16777216.0f);
}

static float bf16_round(float x) {
  return sc_bf16_to_f32(sc_f32_to_bf16(x));
}

/* Assembles examples/asm/<name>.sasm and loads it on a fresh SC1 device. */
typedef struct example {
  sc_program *prog;
  sc_device *dev;
  sc_rt_program *loaded;
} example;

static example open_example(const char *name) {
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  assert_non_null(src);
  sc_strbuf path = {0}, diags = {0};
  sc_strbuf_printf(&path, "%s/examples/asm/%s.sasm", src, name);
  uint8_t *text;
  size_t len;
  char err[512];
  assert_int_equal(sc_read_file(path.data, 1 << 20, &text, &len, err, sizeof err), SC_STATUS_OK);
  example ex = {0};
  if (sc_asm_assemble((const char *)text, len, path.data, NULL, &ex.prog, &diags) != SC_STATUS_OK)
    fail_msg("%s", sc_strbuf_str(&diags));
  free(text);
  sc_arch *arch;
  assert_int_equal(sc_arch_load(sc_prog_arch_name(ex.prog), &arch, NULL), SC_STATUS_OK);
  assert_int_equal(sc_rt_open(arch, &ex.dev, err, sizeof err), SC_STATUS_OK);
  sc_arch_destroy(arch);
  if (sc_rt_load(ex.dev, ex.prog, NULL, &ex.loaded) != SC_STATUS_OK)
    fail_msg("%s", sc_rt_errmsg(ex.dev));
  sc_strbuf_free(&path);
  sc_strbuf_free(&diags);
  return ex;
}

static void bind(example *ex, const char *name, void *host, size_t size) {
  if (sc_rt_bind(ex->loaded, name, host, size) != SC_STATUS_OK)
    fail_msg("%s", sc_rt_errmsg(ex->dev));
}

static void run_mode(example *ex, sc_sim_mode mode) {
  assert_int_equal(sc_rt_set_mode(ex->dev, mode, false), SC_STATUS_OK);
  assert_int_equal(sc_rt_launch(ex->dev, ex->loaded), SC_STATUS_OK);
  if (sc_rt_wait(ex->dev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(ex->dev));
}

static void run(example *ex) {
  run_mode(ex, SC_SIM_FUNCTIONAL);
}

/* Runs in the timing-only mode after a timed run and checks that every
 * counter of every core (cycles included) and the profile's cycles agree. */
static void check_timing_only(example *ex) {
  uint32_t cores = sc_rt_arch(ex->dev)->cores.count;
  uint64_t cyc = sc_rt_profile(ex->dev)->cycles;
  uint64_t(*want)[SC_SIM_N_COUNTERS] = calloc(cores, sizeof *want);
  for (uint32_t c = 0; c < cores; c++)
    for (unsigned e = 0; e < SC_SIM_N_COUNTERS; e++) want[c][e] = sc_rt_counter(ex->dev, c, e);
  run_mode(ex, SC_SIM_TIMING_ONLY);
  assert_true(cyc > 0);
  assert_int_equal(sc_rt_profile(ex->dev)->cycles, cyc);
  for (uint32_t c = 0; c < cores; c++)
    for (unsigned e = 0; e < SC_SIM_N_COUNTERS; e++)
      if (sc_rt_counter(ex->dev, c, e) != want[c][e])
        fail_msg("timing-only: core %u counter %u is %llu, timed %llu", c, e,
                 (unsigned long long)sc_rt_counter(ex->dev, c, e), (unsigned long long)want[c][e]);
  free(want);
}

/* The timed mode computes the same bits (checked by the caller after it) and
 * the timing-only mode the same cycles. */
static void run_timed(example *ex) {
  run_mode(ex, SC_SIM_TIMED);
}

static void close_example(example *ex) {
  sc_rt_close(ex->dev);
  sc_prog_destroy(ex->prog);
}

/* Bit-for-bit comparison with the index of the first difference. */
static void assert_bits_equal(const float *got, const float *want, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++)
    if (memcmp(&got[i], &want[i], 4) != 0)
      fail_msg("%s[%zu]: got %.9g, want %.9g", what, i, (double)got[i], (double)want[i]);
}

static void test_gemm(void **state) {
  (void)state;
  enum { M = 256, K = 512, N = 512 };
  uint16_t *a = malloc(M * K * 2), *b = malloc(K * N * 2);
  float *af = malloc(M * K * 4), *bf = malloc(K * N * 4);
  float *c = malloc(M * N * 4), *want = malloc(M * N * 4);
  for (int i = 0; i < M * K; i++)
    a[i] = sc_f32_to_bf16(uniform(-2, 2)), af[i] = sc_bf16_to_f32(a[i]);
  for (int i = 0; i < K * N; i++)
    b[i] = sc_f32_to_bf16(uniform(-2, 2)), bf[i] = sc_bf16_to_f32(b[i]);
  // C (M, N) = A (M, K) @ B (K, N), k ascending, one FP32 rounding per step
  for (int i = 0; i < M; i++)
    for (int n = 0; n < N; n++) {
      float s = 0.0f;
      for (int k = 0; k < K; k++) s = s + af[i * K + k] * bf[k * N + n];
      want[i * N + n] = s;
    }
  example ex = open_example("gemm");
  bind(&ex, "A", a, M * K * 2);
  bind(&ex, "B", b, K * N * 2);
  bind(&ex, "C", c, M * N * 4);
  /* The same bits and the same counters whatever the number of host threads. */
  static const unsigned thread_counts[] = {1, 2, 3, 16};
  uint64_t counters[16][SC_SIM_N_COUNTERS];
  for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
    sc_sim_set_threads(sc_rt_sim(ex.dev), thread_counts[t]);
    memset(c, 0xff, M * N * 4);
    run(&ex);
    assert_bits_equal(c, want, M * N, "C");
    for (uint32_t core = 0; core < 16; core++)
      for (unsigned e = 0; e < SC_SIM_N_COUNTERS; e++) {
        uint64_t v = sc_rt_counter(ex.dev, core, e);
        if (t == 0)
          counters[core][e] = v;
        else if (v != counters[core][e])
          fail_msg("%u threads: core %u counter %u is %llu, with 1 thread %llu", thread_counts[t],
                   core, e, (unsigned long long)v, (unsigned long long)counters[core][e]);
      }
  }
  /* The timed mode: the same bits; the timing-only mode: the same cycles. */
  memset(c, 0xff, M * N * 4);
  run_timed(&ex);
  assert_bits_equal(c, want, M * N, "C (timed)");
  check_timing_only(&ex);
  /* Every core did its share: 4 k-tiles of 64 x 128 x 128 MACs. */
  for (uint32_t core = 0; core < 16; core++)
    assert_int_equal(sc_rt_counter(ex.dev, core, SC_ISA_EVENT_MXU_MACS), 4ull * 64 * 128 * 128);
  close_example(&ex);
  free(a), free(b), free(af), free(bf), free(c), free(want);
}

/* Row softmax in the example's order of operations. */
static void ref_softmax_row(const float *x, float *y, int n) {
  float m = -INFINITY;
  for (int j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
  float s = 0.0f;
  for (int j = 0; j < n; j++) {
    y[j] = sc_num_exp(x[j] - m);
    s = s + y[j];
  }
  float r = 1.0f / s;
  for (int j = 0; j < n; j++) y[j] = y[j] * r;
}

static void test_softmax(void **state) {
  (void)state;
  enum { R = 64, C = 256 };
  static float x[R * C], y[R * C], want[R * C];
  for (int i = 0; i < R * C; i++) x[i] = uniform(-20, 20);
  for (int i = 0; i < R; i++) ref_softmax_row(x + i * C, want + i * C, C);
  example ex = open_example("softmax");
  bind(&ex, "x", x, sizeof x);
  bind(&ex, "y", y, sizeof y);
  run(&ex);
  assert_bits_equal(y, want, R * C, "y");
  memset(y, 0xff, sizeof y);
  run_timed(&ex);
  assert_bits_equal(y, want, R * C, "y (timed)");
  check_timing_only(&ex);
  close_example(&ex);
}

static void test_rmsnorm(void **state) {
  (void)state;
  enum { R = 64, C = 256 };
  static float x[R * C], w[C], y[R * C], want[R * C];
  for (int i = 0; i < R * C; i++) x[i] = uniform(-3, 3);
  for (int j = 0; j < C; j++) w[j] = uniform(0.5f, 1.5f);
  for (int i = 0; i < R; i++) {
    float ss = 0.0f;
    for (int j = 0; j < C; j++) ss = ss + x[i * C + j] * x[i * C + j];
    ss = ss * (1.0f / C);
    ss = ss + 1e-5f;
    float r = sc_num_rsqrt(ss);
    for (int j = 0; j < C; j++) want[i * C + j] = (x[i * C + j] * r) * w[j];
  }
  example ex = open_example("rmsnorm");
  bind(&ex, "x", x, sizeof x);
  bind(&ex, "w", w, sizeof w);
  bind(&ex, "y", y, sizeof y);
  run(&ex);
  assert_bits_equal(y, want, R * C, "y");
  memset(y, 0xff, sizeof y);
  run_timed(&ex);
  assert_bits_equal(y, want, R * C, "y (timed)");
  check_timing_only(&ex);
  close_example(&ex);
}

static void test_attention(void **state) {
  (void)state;
  enum { T = 64, D = 64 };
  static uint16_t q[T * D], k[T * D], v[T * D];
  static float qf[T * D], kf[T * D], vf[T * D], s[T * T], p[T * T], out[T * D], want[T * D];
  for (int i = 0; i < T * D; i++) {
    q[i] = sc_f32_to_bf16(uniform(-1, 1)), qf[i] = sc_bf16_to_f32(q[i]);
    k[i] = sc_f32_to_bf16(uniform(-1, 1)), kf[i] = sc_bf16_to_f32(k[i]);
    v[i] = sc_f32_to_bf16(uniform(-1, 1)), vf[i] = sc_bf16_to_f32(v[i]);
  }
  // scores (T, T) = q (T, D) @ k^T (D, T), scaled by 1/sqrt(D), causal
  for (int i = 0; i < T; i++)
    for (int j = 0; j < T; j++) {
      float acc = 0.0f;
      for (int d = 0; d < D; d++) acc = acc + qf[i * D + d] * kf[j * D + d];
      acc = acc * 0.125f;
      s[i * T + j] = j > i ? -INFINITY : acc;
    }
  for (int i = 0; i < T; i++) {
    ref_softmax_row(s + i * T, p + i * T, T);
    for (int j = 0; j < T; j++) p[i * T + j] = bf16_round(p[i * T + j]);
  }
  // out (T, D) = P (T, T) @ v (T, D)
  for (int i = 0; i < T; i++)
    for (int n = 0; n < D; n++) {
      float acc = 0.0f;
      for (int j = 0; j < T; j++) acc = acc + p[i * T + j] * vf[j * D + n];
      want[i * D + n] = acc;
    }
  example ex = open_example("attention");
  bind(&ex, "q", q, sizeof q);
  bind(&ex, "k", k, sizeof k);
  bind(&ex, "v", v, sizeof v);
  bind(&ex, "out", out, sizeof out);
  run(&ex);
  assert_bits_equal(out, want, T * D, "out");
  memset(out, 0xff, sizeof out);
  run_timed(&ex);
  assert_bits_equal(out, want, T * D, "out (timed)");
  check_timing_only(&ex);
  close_example(&ex);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gemm),
      cmocka_unit_test(test_softmax),
      cmocka_unit_test(test_rmsnorm),
      cmocka_unit_test(test_attention),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
