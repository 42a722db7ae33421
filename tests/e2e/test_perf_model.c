/* test_perf_model.c: the timing model's validation cases (docs/PERF_MODEL.md,
 * "Validation"). Each runs a microbenchmark of examples/asm/ in the
 * timing-only mode, with its constants set by the test, and compares the
 * simulated cycles with a closed-form expectation computed here from the
 * architecture's published constants, not from the model's code:
 *
 *  - stream.sasm: all cores reach the effective memory bandwidth (2%); one
 *    core alone gets its NoC port's bandwidth (2%);
 *  - channel.sasm: cores sharing one memory channel get one channel's
 *    bandwidth between them, each its share (2%);
 *  - mxu_tiles.sasm: the MXU's weight-stationary cycle formula, exactly;
 *  - wstream.sasm: a GEMM streaming its weights is bandwidth-bound below the
 *    ridge point and compute-bound above it, within 10% of the roofline, on
 *    SC1 and on the TPU v1 preset (peak 92 TOPS, ridge ~2,700 ops per byte,
 *    matrix-vector far below peak). */
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
#include "seedchip/perf.h"
#include "seedchip/runtime.h"
#include "seedchip/util.h"

/* A text substitution applied to the example's source before assembling. */
typedef struct subst {
  const char *from, *to;
} subst;

/* Replaces every occurrence of from with to in *text. */
static void replace_all(sc_strbuf *text, const char *from, const char *to) {
  sc_strbuf out = {0};
  const char *s = sc_strbuf_str(text), *hit;
  size_t n = strlen(from);
  while ((hit = strstr(s, from))) {
    sc_strbuf_append(&out, s, (size_t)(hit - s));
    sc_strbuf_append(&out, to, strlen(to));
    s = hit + n;
  }
  sc_strbuf_append(&out, s, strlen(s));
  sc_strbuf_free(text);
  *text = out;
}

/* Sets `.const NAME = value` (the rest of its line is dropped). */
static void set_const(sc_strbuf *text, const char *name, long long value) {
  char key[64];
  snprintf(key, sizeof key, "\n.const %s ", name);
  char *at = strstr(text->data, key);
  if (!at) fail_msg("no .const %s", name);
  char *eol = strchr(at + 1, '\n');
  sc_strbuf out = {0};
  sc_strbuf_append(&out, text->data, (size_t)(at - text->data));
  sc_strbuf_printf(&out, "\n.const %s = %lld", name, value);
  sc_strbuf_append(&out, eol, strlen(eol));
  sc_strbuf_free(text);
  *text = out;
}

typedef struct run_result {
  uint64_t cycles;
  sc_prof_summary sum;
  double clock_ghz;
} run_result;

/* Assembles examples/asm/<name>.sasm with the constants and substitutions,
 * runs it in the timing-only mode on its architecture, and returns the
 * profile's figures. */
static run_result run_example(const char *name, const char *const *consts, const long long *values,
                              size_t n_consts, const subst *subs, size_t n_subs) {
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  assert_non_null(src);
  sc_strbuf path = {0}, text = {0}, diags = {0};
  sc_strbuf_printf(&path, "%s/examples/asm/%s.sasm", src, name);
  uint8_t *bytes;
  size_t len;
  char err[512];
  assert_int_equal(sc_read_file(path.data, 1 << 20, &bytes, &len, err, sizeof err), SC_STATUS_OK);
  sc_strbuf_append(&text, (const char *)bytes, len);
  free(bytes);
  for (size_t i = 0; i < n_consts; i++) set_const(&text, consts[i], values[i]);
  for (size_t i = 0; i < n_subs; i++) replace_all(&text, subs[i].from, subs[i].to);
  sc_program *prog;
  if (sc_asm_assemble(text.data, text.len, path.data, NULL, &prog, &diags) != SC_STATUS_OK)
    fail_msg("%s", sc_strbuf_str(&diags));
  sc_arch *arch;
  assert_int_equal(sc_arch_load(sc_prog_arch_name(prog), &arch, NULL), SC_STATUS_OK);
  sc_device *dev;
  assert_int_equal(sc_rt_open(arch, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *loaded;
  if (sc_rt_load(dev, prog, NULL, &loaded) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  assert_int_equal(sc_rt_set_mode(dev, SC_SIM_TIMING_ONLY, false), SC_STATUS_OK);
  assert_int_equal(sc_rt_launch(dev, loaded), SC_STATUS_OK);
  if (sc_rt_wait(dev) != SC_STATUS_OK) fail_msg("%s", sc_rt_errmsg(dev));
  const sc_profile *p = sc_rt_profile(dev);
  assert_non_null(p);
  run_result r = {.cycles = p->cycles, .clock_ghz = arch->clock_ghz};
  sc_perf_summarize(p, arch, &r.sum);
  sc_rt_close(dev);
  sc_arch_destroy(arch);
  sc_prog_destroy(prog);
  sc_strbuf_free(&path);
  sc_strbuf_free(&text);
  sc_strbuf_free(&diags);
  return r;
}

static sc_arch *load_arch(const char *name) {
  sc_arch *a;
  assert_int_equal(sc_arch_load(name, &a, NULL), SC_STATUS_OK);
  return a;
}

static void assert_within(double got, double want, double rel, const char *what) {
  double err = fabs(got - want) / want;
  print_message("  %-44s expected %12.4g  simulated %12.4g  error %+.2f%%\n", what, want, got,
                100 * (got - want) / want);
  if (!(err <= rel))
    fail_msg("%s: simulated %.6g, expected %.6g (error %.2f%% > %.2f%%)", what, got, want,
             100 * err, 100 * rel);
}

/* ---- memory bandwidth ---- */

static void test_stream_all_cores(void **state) {
  (void)state;
  sc_arch *a = load_arch("sc1");
  const char *k[] = {"NC", "CHUNK", "REPS"};
  const long long v[] = {16, 262144, 32};
  run_result r = run_example("stream", k, v, 3, NULL, 0);
  double bytes = 16.0 * 2 * 32 * 262144;
  double gb_s = bytes / ((double)r.cycles / a->clock_ghz);
  assert_within(gb_s, a->memory.effective_gb_s, 0.02, "16 cores streaming, GB/s");
  assert_true(gb_s <= a->memory.effective_gb_s * (1 + 1e-9));
  sc_arch_destroy(a);
}

static void test_stream_one_core(void **state) {
  (void)state;
  sc_arch *a = load_arch("sc1");
  const char *k[] = {"NC", "CHUNK", "REPS"};
  const long long v[] = {1, 262144, 32};
  run_result r = run_example("stream", k, v, 3, NULL, 0);
  double bytes = 2.0 * 32 * 262144;
  double gb_s = bytes / ((double)r.cycles / a->clock_ghz);
  /* Both engines share the core's NoC port: a link width per cycle. */
  double port = a->noc.link_width_bytes * a->clock_ghz;
  assert_true(port < a->memory.effective_gb_s);
  assert_within(gb_s, port, 0.02, "1 core streaming (its NoC port), GB/s");
  sc_arch_destroy(a);
}

static void test_channel_shared(void **state) {
  (void)state;
  sc_arch *a = load_arch("sc1");
  assert_int_equal(a->memory.interleave_bytes, 256);
  assert_int_equal(a->memory.channels, 96);
  double chan = a->memory.effective_gb_s / a->memory.channels;
  const char *k[] = {"NC", "ROWS", "REPS"};
  double t[3];
  for (long long nc = 1; nc <= 2; nc++) {
    const long long v[] = {nc, 512, 8};
    run_result r = run_example("channel", k, v, 3, NULL, 0);
    double bytes = (double)nc * 2 * 8 * 512 * 256;
    t[nc] = (double)r.cycles / a->clock_ghz;
    char what[64];
    snprintf(what, sizeof what, "%lld core(s) on one channel, GB/s", nc);
    assert_within(bytes / t[nc], chan, 0.02, what);
  }
  /* Two cores moving twice the bytes through the same channel take twice as long. */
  assert_within(t[2] / t[1], 2.0, 0.02, "time with 2 cores / time with 1");
  sc_arch_destroy(a);
}

/* ---- the MXU formula ---- */

static void test_mxu_formula(void **state) {
  (void)state;
  sc_arch *a = load_arch("sc1");
  const uint64_t R = a->core.mxu.rows, C = a->core.mxu.cols;
  assert_true(a->core.mxu.macs_per_pe_cycle[SC_DTYPE_BF16] == 1.0);
  static const long long cases[][4] = {
      /* M, K, N, T */
      {256, 128, 128, 8}, {64, 128, 128, 8}, {128, 128, 128, 1}, {200, 96, 64, 5}, {1, 128, 128, 3},
  };
  const uint64_t first_ldw = 16; /* the 16 li of the prologue issue at cycles 0..15 */
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const long long *c = cases[i];
    const char *k[] = {"M", "K", "N", "T"};
    run_result r = run_example("mxu_tiles", k, c, 4, NULL, 0);
    uint64_t M = (uint64_t)c[0], K = (uint64_t)c[1], T = (uint64_t)c[3];
    uint64_t per_tile = M > K ? M : K;
    /* load the first tile; each later tile costs max(K, M); the last tile's
     * rows cross the array (R + C - 2); the drain takes M rows; the fence and
     * the halt a cycle each */
    uint64_t want = first_ldw + K + (T - 1) * per_tile + M + (R + C - 2) + M + 2;
    print_message("  mxu_tiles M=%lld K=%lld N=%lld T=%lld: expected %llu, simulated %llu\n", c[0],
                  c[1], c[2], c[3], (unsigned long long)want, (unsigned long long)r.cycles);
    assert_int_equal(r.cycles, want);
  }
  sc_arch_destroy(a);
}

/* ---- the roofline ---- */

/* Checks a run at arithmetic intensity ai (FLOP per byte) against the
 * roofline min(peak, ai * bw): within 10% below it, never above, and bound by
 * the roof the roofline says (memory below the ridge, the MXU above). */
static void check_roofline(const char *what, const run_result *r, double ai, double peak,
                           double bw) {
  double want = ai * bw < peak ? ai * bw : peak, got = r->sum.achieved_flop_s;
  print_message("  %-44s roofline %10.4g  simulated %10.4g  ratio %.3f\n", what, want, got,
                got / want);
  assert_true(got <= want * 1.001);
  assert_true(got >= want * 0.90);
  if (ai < peak / bw)
    assert_true(r->sum.achieved_mem_b_s >= 0.90 * bw);
  else
    assert_true(r->sum.mxu_utilization >= 0.90);
}

static void test_wstream_roofline_sc1(void **state) {
  (void)state;
  sc_arch *a = load_arch("sc1");
  sc_arch_figures fig;
  sc_arch_derive(a, &fig);
  double peak = fig.peak_ops_per_s[SC_DTYPE_BF16], bw = a->memory.effective_gb_s * 1e9;
  double ridge = peak / bw; /* FLOP per byte */
  print_message("  sc1 bf16: peak %.4g FLOP/s, effective %.4g B/s, ridge %.1f FLOP/B\n", peak, bw,
                ridge);
  static const long long ms[] = {32, 64, 128, 160, 256, 512};
  for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
    const char *k[] = {"M", "T"};
    const long long v[] = {ms[i], 128};
    run_result r = run_example("wstream", k, v, 2, NULL, 0);
    double ai = 2.0 * (double)ms[i] / 2; /* FLOP per bf16 weight byte */
    char what[80];
    snprintf(what, sizeof what, "M=%lld (%.0f FLOP/B) FLOP/s vs roofline", ms[i], ai);
    check_roofline(what, &r, ai, peak, bw);
  }
  sc_arch_destroy(a);
}

static const subst tpu_subs[] = {
    {".arch sc1", ".arch tpu-v1"}, {".core 0-15", ".core 0"}, {":bf16", ":int8"},
    {":fp32", ":int32"},           {", q1 ", ", q0 "},
};

static void test_wstream_roofline_tpu_v1(void **state) {
  (void)state;
  sc_arch *a = load_arch("tpu-v1");
  sc_arch_figures fig;
  sc_arch_derive(a, &fig);
  double peak = fig.peak_ops_per_s[SC_DTYPE_INT8], bw = a->memory.effective_gb_s * 1e9;
  double ridge = peak / bw;
  assert_within(peak, 92e12, 0.01, "TPU v1 peak INT8 ops/s (paper: 92 T)");
  assert_within(ridge, 2700, 0.01, "TPU v1 ridge, ops per weight byte");
  static const long long ms[] = {1, 256, 1024, 2048};
  for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
    const char *k[] = {"M", "T", "TK", "TN", "ES", "CORES"};
    const long long v[] = {ms[i], 32, 256, 256, 1, 1};
    run_result r = run_example("wstream", k, v, 6, tpu_subs, SC_ARRAY_LEN(tpu_subs));
    double ai = 2.0 * (double)ms[i]; /* ops per int8 weight byte */
    char what[80];
    snprintf(what, sizeof what, "tpu-v1 M=%lld (%.0f op/B) ops/s vs roofline", ms[i], ai);
    check_roofline(what, &r, ai, peak, bw);
    if (ms[i] == 1) /* matrix-vector: bandwidth-bound far below the peak */
      assert_true(r.sum.achieved_flop_s < 0.001 * peak);
  }
  sc_arch_destroy(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stream_all_cores),     cmocka_unit_test(test_stream_one_core),
      cmocka_unit_test(test_channel_shared),       cmocka_unit_test(test_mxu_formula),
      cmocka_unit_test(test_wstream_roofline_sc1), cmocka_unit_test(test_wstream_roofline_tpu_v1),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
