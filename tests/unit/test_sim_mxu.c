/* test_sim_mxu.c: the matrix unit (mxu.ldw, mxu.ldwq, mxu.mm, mxu.drain)
 * through the public API, against a reference written here from docs/SIM.md
 * ("Matrix and vector unit semantics"): every dtype, both layouts, accumulate
 * and overwrite, int4 packing, special values, wraparound, traps. One test
 * (fast_matches_reference) reaches inside: it runs the simulator's fast and
 * reference matmul kernels on the same host buffers and compares bits. */
#include <time.h>

#include "sim_test_util.h"

#include "sim_kernels.h" /* fast_matches_reference only */

static sc_arch *sc1;

static int setup(void **state) {
  (void)state;
  return sc_arch_load("sc1", &sc1, NULL) == SC_STATUS_OK ? 0 : -1;
}
static int teardown(void **state) {
  (void)state;
  sc_arch_destroy(sc1);
  return 0;
}

static sc_sim *new_sim(const sc_arch *arch) {
  sc_sim *sim;
  assert_int_equal(sc_sim_create(arch, NULL, &sim), SC_STATUS_OK);
  return sim;
}

/* SRAM layout of the tests. */
enum {
  A_W = 0x0,        /* weights */
  A_S = 0x20000,    /* scales */
  A_A = 0x40000,    /* activations */
  A_C0 = 0x80000,   /* staged accumulator start values */
  A_OUT = 0x100000, /* drained results */
  A_ACC = 0x100,    /* accumulator byte address */
};

static bool is_int(sc_dtype dt) {
  return !sc_dtype_is_float(dt);
}

/* ---- instruction builders (registers: x1 xd, x2 xs1, x3 xs2, x8.. group) ---- */

static void emit_ldw(tprog *p, uint64_t addr, sc_dtype dt, uint64_t K, uint64_t N, uint64_t stride,
                     unsigned layout) {
  tp_li(p, TP_XS1, addr);
  uint64_t g[3] = {K, N, stride};
  sc_insn in = {0};
  in.opcode = SC_OP_MXU_LDW;
  in.xs1 = TP_XS1;
  in.s1dt = dt;
  in.xg = tp_group(p, 3, g);
  in.sel = layout;
  tp_insn(p, &in);
}

static void emit_ldwq(tprog *p, uint64_t qaddr, sc_dtype qdt, uint64_t saddr, sc_dtype sdt,
                      sc_dtype ddt, uint64_t K, uint64_t N, uint64_t stride, uint64_t G,
                      unsigned layout) {
  tp_li(p, TP_XS1, qaddr);
  tp_li(p, TP_XS2, saddr);
  uint64_t g[4] = {K, N, stride, G};
  sc_insn in = {0};
  in.opcode = SC_OP_MXU_LDWQ;
  in.xs1 = TP_XS1;
  in.s1dt = qdt;
  in.xs2 = TP_XS2;
  in.s2dt = sdt;
  in.xg = tp_group(p, 4, g);
  in.sel = layout;
  in.ddt = ddt;
  tp_insn(p, &in);
}

static void emit_mm(tprog *p, uint64_t acc, uint64_t a, sc_dtype adt, uint64_t M, uint64_t astride,
                    uint64_t cstride, bool accumulate) {
  tp_li(p, TP_XD, acc);
  tp_li(p, TP_XS1, a);
  uint64_t g[3] = {M, astride, cstride};
  sc_insn in = {0};
  in.opcode = SC_OP_MXU_MM;
  in.xd = TP_XD;
  in.xs1 = TP_XS1;
  in.s1dt = adt;
  in.xg = tp_group(p, 3, g);
  in.sel = accumulate ? SC_ISA_ACCMODE_ACCUMULATE : SC_ISA_ACCMODE_OVERWRITE;
  tp_insn(p, &in);
}

static void emit_drain(tprog *p, uint64_t dst, sc_dtype ddt, uint64_t acc, sc_dtype adt, uint64_t M,
                       uint64_t N, uint64_t dstride, uint64_t cstride) {
  tp_li(p, TP_XD, dst);
  tp_li(p, TP_XS1, acc);
  uint64_t g[4] = {M, N, dstride, cstride};
  sc_insn in = {0};
  in.opcode = SC_OP_MXU_DRAIN;
  in.xd = TP_XD;
  in.ddt = ddt;
  in.xs1 = TP_XS1;
  in.s1dt = adt;
  in.xg = tp_group(p, 4, g);
  tp_insn(p, &in);
}

/* acc[acc] (rows, cols) = sram[src] bit for bit (vpu.mov, equal dtypes). */
static void emit_to_acc(tprog *p, uint64_t acc, uint64_t src, sc_dtype dt, uint64_t rows,
                        uint64_t cols, uint64_t stride) {
  tp_li(p, TP_XD, acc);
  tp_li(p, TP_XS1, src);
  uint64_t g[4] = {rows, cols, stride, stride};
  sc_insn in = {0};
  in.opcode = SC_OP_VPU_MOV;
  in.dsp = SC_ISA_SPACE_ACC;
  in.xd = TP_XD;
  in.ddt = dt;
  in.s1sp = SC_ISA_SPACE_SRAM;
  in.xs1 = TP_XS1;
  in.s1dt = dt;
  in.xg = tp_group(p, 4, g);
  tp_insn(p, &in);
  tp_fence(p); /* the MXU runs beside the VPU: order them */
}

/* ---- the reference ---- */

/* Writes a stored weight tile for W (K, N) (values wv) in layout. */
static uint8_t *store_tile(const float *wv, sc_dtype dt, size_t K, size_t N, unsigned layout,
                           size_t *stride, size_t *size) {
  size_t rows = layout == SC_ISA_LAYOUT_NK ? N : K, cols = layout == SC_ISA_LAYOUT_NK ? K : N;
  *stride = t_bytes(dt, cols) + 8;
  *size = rows * *stride;
  uint8_t *buf = calloc(1, *size);
  for (size_t k = 0; k < K; k++)
    for (size_t n = 0; n < N; n++) {
      size_t r = layout == SC_ISA_LAYOUT_NK ? n : k, c = layout == SC_ISA_LAYOUT_NK ? k : n;
      uint8_t *row = buf + r * *stride;
      t_put(row, dt, c, wv[k * N + n]);
    }
  return buf;
}

/* Random W (K, N) of dt, exactly representable: returns the values. */
static float *rand_values(sc_dtype dt, size_t n, bool specials) {
  float *v = malloc(n * sizeof *v);
  uint8_t cell[4];
  for (size_t i = 0; i < n; i++) {
    memset(cell, 0, 4);
    t_put(cell, dt, 0, t_rand_val(dt, specials));
    v[i] = t_get(cell, dt, 0);
  }
  return v;
}

/* acc (M, N) (+)= a (M, K) @ W (K, N) per docs/SIM.md, as FP32 bits or int32. */
static void ref_mm(bool integer, const float *a, const float *w, const uint32_t *c0, size_t M,
                   size_t K, size_t N, bool accumulate, uint32_t *out) {
  for (size_t i = 0; i < M; i++)
    for (size_t n = 0; n < N; n++) {
      if (integer) {
        uint32_t s = accumulate ? c0[i * N + n] : 0;
        for (size_t k = 0; k < K; k++)
          s += (uint32_t)(int32_t)a[i * K + k] * (uint32_t)(int32_t)w[k * N + n];
        out[i * N + n] = s;
      } else {
        float s = accumulate ? t_float(c0[i * N + n]) : 0.0f;
        for (size_t k = 0; k < K; k++) s = t_add(s, t_mul(a[i * K + k], w[k * N + n]));
        out[i * N + n] = t_bits(s);
      }
    }
}

/* Loads W (wv, or the ldwq operands when q != NULL), runs mxu.mm on random
 * activations and drains fp32 / int32 accumulators; compares with ref_mm. */
typedef struct mm_case {
  sc_dtype wdt, adt;
  unsigned layout;
  bool accumulate, specials;
  size_t M, K, N;
} mm_case;

static void run_mm_case(sc_sim *sim, const mm_case *c, const float *wv, const tprog *load) {
  const size_t M = c->M, K = c->K, N = c->N;
  bool integer = is_int(c->wdt);
  sc_dtype cdt = integer ? SC_DTYPE_INT32 : SC_DTYPE_FP32;
  /* activations */
  float *av = rand_values(c->adt, M * K, c->specials);
  size_t astride = t_bytes(c->adt, K) + 6 * (sc_dtype_bits(c->adt) >= 16 ? 2 : 1);
  if (sc_dtype_bits(c->adt) == 32) astride = K * 4 + 12;
  uint8_t *abuf = calloc(M, astride);
  for (size_t i = 0; i < M; i++)
    for (size_t k = 0; k < K; k++) t_put(abuf + i * astride, c->adt, k, av[i * K + k]);
  assert_int_equal(sc_sim_write_sram(sim, 0, A_A, abuf, M * astride), SC_STATUS_OK);
  /* accumulator start values */
  size_t cstride = N * 4 + 8;
  uint32_t *c0 = calloc(M * N, 4);
  uint8_t *cbuf = calloc(M, cstride);
  for (size_t i = 0; i < M * N; i++) {
    c0[i] = integer ? (uint32_t)(int32_t)(t_below(5) == 0
                                              ? (t_below(2) ? INT32_MAX - (int)t_below(1000)
                                                            : INT32_MIN + (int)t_below(1000))
                                              : (int32_t)t_below(2000) - 1000)
                    : t_bits(t_rand_val(SC_DTYPE_FP32, c->specials));
    memcpy(cbuf + (i / N) * cstride + (i % N) * 4, &c0[i], 4);
  }
  assert_int_equal(sc_sim_write_sram(sim, 0, A_C0, cbuf, M * cstride), SC_STATUS_OK);

  tprog p = *load;
  /* Garbage in the accumulators first, so overwrite must really overwrite. */
  emit_to_acc(&p, A_ACC, A_C0, cdt, M, N, cstride);
  emit_mm(&p, A_ACC, A_A, c->adt, M, astride, cstride, c->accumulate);
  emit_drain(&p, A_OUT, cdt, A_ACC, cdt, M, N, N * 4, cstride);
  tp_run_ok(sim, &p);
  assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_MXU_MACS), M * K * N);

  uint32_t *got = calloc(M * N, 4), *want = calloc(M * N, 4);
  assert_int_equal(sc_sim_read_sram(sim, 0, A_OUT, got, M * N * 4), SC_STATUS_OK);
  ref_mm(integer, av, wv, c0, M, K, N, c->accumulate, want);
  for (size_t i = 0; i < M * N; i++)
    if (got[i] != want[i])
      fail_msg("%s x %s %s %s M%zu K%zu N%zu: element (%zu, %zu) = 0x%08x, want 0x%08x",
               sc_dtype_name(c->wdt), sc_dtype_name(c->adt), c->layout ? "nk" : "kn",
               c->accumulate ? "acc" : "ovw", M, K, N, i / N, i % N, got[i], want[i]);
  free(av);
  free(abuf);
  free(c0);
  free(cbuf);
  free(got);
  free(want);
}

static void check_mm(sc_sim *sim, const mm_case *c) {
  float *wv = rand_values(c->wdt, c->K * c->N, c->specials);
  size_t stride, size;
  uint8_t *wbuf = store_tile(wv, c->wdt, c->K, c->N, c->layout, &stride, &size);
  assert_int_equal(sc_sim_write_sram(sim, 0, A_W, wbuf, size), SC_STATUS_OK);
  tprog p = {.n = 0};
  emit_ldw(&p, A_W, c->wdt, c->K, c->N, stride, c->layout);
  run_mm_case(sim, c, wv, &p);
  free(wv);
  free(wbuf);
}

/* ---- tests ---- */

static void mm_float_dtypes(void **state) {
  (void)state;
  t_rng = 1;
  sc_sim *sim = new_sim(sc1);
  const sc_dtype fl[] = {SC_DTYPE_FP32, SC_DTYPE_BF16, SC_DTYPE_FP16, SC_DTYPE_FP8_E4M3,
                         SC_DTYPE_FP8_E5M2};
  for (size_t d = 0; d < 5; d++)
    for (unsigned layout = 0; layout < 2; layout++)
      for (int acc = 0; acc < 2; acc++)
        for (int sp = 0; sp < 2; sp++) {
          mm_case c = {fl[d], fl[d],           layout,          acc,
                       sp,    1 + t_below(20), 1 + t_below(40), 1 + t_below(40)};
          check_mm(sim, &c);
        }
  /* The two fp8 formats mix. */
  for (int acc = 0; acc < 2; acc++) {
    mm_case c = {SC_DTYPE_FP8_E4M3, SC_DTYPE_FP8_E5M2, 0, acc, true, 7, 33, 17};
    check_mm(sim, &c);
    mm_case c2 = {SC_DTYPE_FP8_E5M2, SC_DTYPE_FP8_E4M3, 1, acc, true, 9, 12, 31};
    check_mm(sim, &c2);
  }
  /* The full array. */
  mm_case big = {SC_DTYPE_BF16, SC_DTYPE_BF16, 0, true, true, 70, 128, 128};
  check_mm(sim, &big);
  sc_sim_destroy(sim);
}

static void mm_integer(void **state) {
  (void)state;
  t_rng = 2;
  sc_sim *sim = new_sim(sc1);
  const sc_dtype it[] = {SC_DTYPE_INT8, SC_DTYPE_INT4};
  for (size_t d = 0; d < 2; d++)
    for (unsigned layout = 0; layout < 2; layout++)
      for (int acc = 0; acc < 2; acc++) {
        /* int4 rows must end on a byte: even K and N */
        mm_case c = {it[d],
                     SC_DTYPE_INT8,
                     layout,
                     acc,
                     false,
                     1 + t_below(20),
                     2 + 2 * t_below(30),
                     2 + 2 * t_below(30)};
        check_mm(sim, &c);
      }
  /* Extremes: every product -128 * -128, start values near INT32_MAX wrap. */
  sc_sim_destroy(sim);
  sim = new_sim(sc1);
  float *wv = malloc(128 * 128 * sizeof *wv);
  for (size_t i = 0; i < 128 * 128; i++) wv[i] = -128;
  size_t stride, size;
  uint8_t *wbuf = store_tile(wv, SC_DTYPE_INT8, 128, 128, 0, &stride, &size);
  assert_int_equal(sc_sim_write_sram(sim, 0, A_W, wbuf, size), SC_STATUS_OK);
  int8_t a[128];
  memset(a, 0x80, sizeof a);
  assert_int_equal(sc_sim_write_sram(sim, 0, A_A, a, sizeof a), SC_STATUS_OK);
  int32_t start = INT32_MAX - 5;
  tprog p = {.n = 0};
  assert_int_equal(sc_sim_write_sram(sim, 0, A_C0, &start, 4), SC_STATUS_OK);
  emit_to_acc(&p, A_ACC, A_C0, SC_DTYPE_INT32, 1, 1, 4);
  emit_ldw(&p, A_W, SC_DTYPE_INT8, 128, 128, stride, 0);
  emit_mm(&p, A_ACC, A_A, SC_DTYPE_INT8, 1, 128, 512, true);
  emit_mm(&p, A_ACC, A_A, SC_DTYPE_INT8, 1, 128, 512, true);
  emit_drain(&p, A_OUT, SC_DTYPE_INT32, A_ACC, SC_DTYPE_INT32, 1, 2, 8, 512);
  tp_run_ok(sim, &p);
  int32_t got[2];
  assert_int_equal(sc_sim_read_sram(sim, 0, A_OUT, got, 8), SC_STATUS_OK);
  /* 2 * 128 * 16384 = 2^22 added to INT32_MAX - 5 wraps */
  assert_int_equal(got[0], (int32_t)((uint32_t)INT32_MAX - 5u + (1u << 22)));
  assert_int_equal(got[1], 1 << 22);
  free(wv);
  free(wbuf);
  sc_sim_destroy(sim);
}

static void int4_packing(void **state) {
  (void)state;
  /* W (2, 2) int4 [[1, -2], [-8, 7]]: bytes 0xe1, 0x78 (low nibble first). */
  sc_sim *sim = new_sim(sc1);
  uint8_t w[2] = {0xe1, 0x78};
  int8_t a[2] = {3, -1};
  assert_int_equal(sc_sim_write_sram(sim, 0, A_W, w, 2), SC_STATUS_OK);
  assert_int_equal(sc_sim_write_sram(sim, 0, A_A, a, 2), SC_STATUS_OK);
  tprog p = {.n = 0};
  emit_ldw(&p, A_W, SC_DTYPE_INT4, 2, 2, 1, SC_ISA_LAYOUT_KN);
  emit_mm(&p, A_ACC, A_A, SC_DTYPE_INT8, 1, 2, 8, false);
  emit_ldw(&p, A_W, SC_DTYPE_INT4, 2, 2, 1, SC_ISA_LAYOUT_NK); /* W^T stored */
  emit_mm(&p, A_ACC + 8, A_A, SC_DTYPE_INT8, 1, 2, 8, false);
  emit_drain(&p, A_OUT, SC_DTYPE_INT32, A_ACC, SC_DTYPE_INT32, 2, 2, 8, 8);
  tp_run_ok(sim, &p);
  int32_t got[4];
  assert_int_equal(sc_sim_read_sram(sim, 0, A_OUT, got, 16), SC_STATUS_OK);
  assert_int_equal(got[0], 3 * 1 + -1 * -8); /* KN: W[0][0] = 1, W[1][0] = -8 */
  assert_int_equal(got[1], 3 * -2 + -1 * 7);
  assert_int_equal(got[2], 3 * 1 + -1 * -2); /* NK: W[k][n] = stored[n][k] */
  assert_int_equal(got[3], 3 * -8 + -1 * 7);
  sc_sim_destroy(sim);
}

static void check_ldwq(sc_sim *sim, sc_dtype qdt, sc_dtype sdt, sc_dtype ddt, unsigned layout,
                       size_t K, size_t N, size_t G) {
  float *qv = rand_values(qdt, K * N, false);
  size_t stride, size;
  uint8_t *qbuf = store_tile(qv, qdt, K, N, layout, &stride, &size);
  assert_int_equal(sc_sim_write_sram(sim, 0, A_W, qbuf, size), SC_STATUS_OK);
  size_t srows = (K + G - 1) / G;
  float *sv = malloc(srows * N * sizeof *sv);
  uint8_t *sbuf = calloc(srows * N, 4);
  for (size_t i = 0; i < srows * N; i++) {
    t_put(sbuf, sdt, i, (float)(1 + t_below(200)) / 64.0f * (t_below(8) ? 1.0f : 1e-3f));
    if (t_below(40) == 0) t_put(sbuf, sdt, i, t_float(0x7f800000u)); /* Inf scale */
    sv[i] = t_get(sbuf, sdt, i);
  }
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S, sbuf, t_bytes(sdt, srows * N)), SC_STATUS_OK);
  /* W[k][n] = cvt_ddt(q * scale[k / G][n]) */
  float *wv = malloc(K * N * sizeof *wv);
  uint8_t cell[4];
  for (size_t k = 0; k < K; k++)
    for (size_t n = 0; n < N; n++) {
      t_put(cell, ddt, 0, t_mul(qv[k * N + n], sv[(k / G) * N + n]));
      wv[k * N + n] = t_get(cell, ddt, 0);
    }
  tprog p = {.n = 0};
  emit_ldwq(&p, A_W, qdt, A_S, sdt, ddt, K, N, stride, G, layout);
  mm_case c = {ddt, ddt, layout, false, false, 5, K, N};
  run_mm_case(sim, &c, wv, &p);
  free(qv);
  free(qbuf);
  free(sv);
  free(sbuf);
  free(wv);
}

static void ldwq_dtypes(void **state) {
  (void)state;
  t_rng = 3;
  sc_sim *sim = new_sim(sc1);
  const sc_dtype q[] = {SC_DTYPE_INT8, SC_DTYPE_INT4};
  const sc_dtype s[] = {SC_DTYPE_FP32, SC_DTYPE_BF16, SC_DTYPE_FP16};
  const sc_dtype d[] = {SC_DTYPE_BF16, SC_DTYPE_FP32, SC_DTYPE_FP16, SC_DTYPE_FP8_E4M3,
                        SC_DTYPE_FP8_E5M2};
  size_t G[] = {1, 3, 32, 200};
  for (size_t qi = 0; qi < 2; qi++)
    for (size_t si = 0; si < 3; si++)
      for (size_t di = 0; di < 5; di++)
        for (unsigned layout = 0; layout < 2; layout++)
          check_ldwq(sim, q[qi], s[si], d[di], layout, 2 + 2 * t_below(40), 2 + 2 * t_below(20),
                     G[t_below(4)]);
  sc_sim_destroy(sim);
}

static void drain_conversions(void **state) {
  (void)state;
  t_rng = 4;
  sc_sim *sim = new_sim(sc1);
  const size_t M = 5, N = 6;
  const sc_dtype dst[] = {SC_DTYPE_FP32,     SC_DTYPE_BF16, SC_DTYPE_FP16, SC_DTYPE_FP8_E4M3,
                          SC_DTYPE_FP8_E5M2, SC_DTYPE_INT8, SC_DTYPE_INT4, SC_DTYPE_INT32};
  for (int integer = 0; integer < 2; integer++)
    for (size_t di = 0; di < 8; di++) {
      sc_dtype adt = integer ? SC_DTYPE_INT32 : SC_DTYPE_FP32, ddt = dst[di];
      uint32_t v[30];
      for (size_t i = 0; i < M * N; i++) {
        if (integer) {
          int32_t x = (int32_t)(uint32_t)t_u64() >> t_below(31);
          v[i] = (uint32_t)x;
        } else {
          float x = t_rand_val(SC_DTYPE_FP32, true);
          if (t_below(3) == 0) x = (float)((int)t_below(601) - 300) + 0.5f; /* ties, saturation */
          v[i] = t_bits(x);
        }
      }
      assert_int_equal(sc_sim_write_sram(sim, 0, A_C0, v, sizeof v), SC_STATUS_OK);
      size_t dstride = t_bytes(ddt, N) + 2 * (sc_dtype_bits(ddt) == 32 ? 2 : 1);
      tprog p = {.n = 0};
      emit_to_acc(&p, A_ACC, A_C0, adt, M, N, N * 4);
      emit_drain(&p, A_OUT, ddt, A_ACC, adt, M, N, dstride, N * 4);
      tp_run_ok(sim, &p);
      uint8_t got[256], want[256];
      assert_int_equal(sc_sim_read_sram(sim, 0, A_OUT, got, M * dstride), SC_STATUS_OK);
      memcpy(want, got, sizeof want); /* padding bytes as they are */
      for (size_t i = 0; i < M; i++)
        for (size_t n = 0; n < N; n++) {
          if (integer)
            t_put_i(want + i * dstride, ddt, n, (int32_t)v[i * N + n]);
          else
            t_put(want + i * dstride, ddt, n, t_float(v[i * N + n]));
        }
      if (memcmp(got, want, M * dstride))
        fail_msg("drain %s -> %s differs", sc_dtype_name(adt), sc_dtype_name(ddt));
    }
  sc_sim_destroy(sim);
}

/* ---- traps ---- */

static void traps(void **state) {
  (void)state;
  sc_sim *sim = new_sim(sc1);
  tprog p = {.n = 0};
  /* int8 activations on a bf16 tile */
  emit_ldw(&p, A_W, SC_DTYPE_BF16, 4, 4, 8, 0);
  emit_mm(&p, A_ACC, A_A, SC_DTYPE_INT8, 2, 4, 16, false);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "int8", "bf16", NULL);
  /* fp16 activations on a bf16 tile */
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_BF16, 4, 4, 8, 0);
  emit_mm(&p, A_ACC, A_A, SC_DTYPE_FP16, 2, 8, 16, false);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "fp16", "bf16", NULL);
  /* bf16 activations on an int8 tile */
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_INT8, 4, 4, 4, 0);
  emit_mm(&p, A_ACC, A_A, SC_DTYPE_BF16, 2, 8, 16, false);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "bf16", "int8", NULL);
  /* an int32 weight tile */
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_INT32, 4, 4, 16, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "int32", NULL);
  /* ldwq: fp16 quantized weights, int8 scales, an int8 array */
  p.n = 0;
  emit_ldwq(&p, A_W, SC_DTYPE_FP16, A_S, SC_DTYPE_BF16, SC_DTYPE_BF16, 4, 4, 8, 2, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "fp16", NULL);
  p.n = 0;
  emit_ldwq(&p, A_W, SC_DTYPE_INT8, A_S, SC_DTYPE_INT8, SC_DTYPE_BF16, 4, 4, 8, 2, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "scales", "int8", NULL);
  p.n = 0;
  emit_ldwq(&p, A_W, SC_DTYPE_INT8, A_S, SC_DTYPE_BF16, SC_DTYPE_INT8, 4, 4, 8, 2, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "int8", NULL);
  /* drain from bf16 accumulators */
  p.n = 0;
  emit_drain(&p, A_OUT, SC_DTYPE_BF16, A_ACC, SC_DTYPE_BF16, 2, 2, 4, 8);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "bf16", NULL);

  /* K > 128, N = 0, N > 128 */
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_BF16, 129, 4, 8, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_OPERAND, p.n - 1, "K = 129", "128", NULL);
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_BF16, 4, 0, 8, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_OPERAND, p.n - 1, "N = 0", NULL);
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_INT8, 4, 300, 300, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_OPERAND, p.n - 1, "N = 300", NULL);
  /* mm without weights (every run starts with none) */
  p.n = 0;
  emit_mm(&p, A_ACC, A_A, SC_DTYPE_BF16, 2, 8, 16, false);
  tp_run_trap(sim, &p, SC_TRAP_BAD_OPERAND, p.n - 1, "no weight tile", NULL);
  /* ldwq with G = 0 */
  p.n = 0;
  emit_ldwq(&p, A_W, SC_DTYPE_INT8, A_S, SC_DTYPE_BF16, SC_DTYPE_BF16, 4, 4, 8, 0, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_OPERAND, p.n - 1, "G = 0", NULL);

  /* activations past the end of SRAM (16 MiB) */
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_BF16, 4, 4, 8, 0);
  emit_mm(&p, A_ACC, 16777216 - 8, SC_DTYPE_BF16, 2, 8, 16, false);
  tp_run_trap(sim, &p, SC_TRAP_OUT_OF_BOUNDS, p.n - 1, "activations", "0xfffff8", NULL);
  /* accumulators past the end of the accumulator SRAM (2 MiB) */
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_BF16, 4, 4, 8, 0);
  emit_mm(&p, 2097152 - 16, A_A, SC_DTYPE_BF16, 2, 8, 16, false);
  tp_run_trap(sim, &p, SC_TRAP_OUT_OF_BOUNDS, p.n - 1, "accumulators", NULL);
  /* bf16 weights at an odd address */
  p.n = 0;
  emit_ldw(&p, A_W + 1, SC_DTYPE_BF16, 4, 4, 8, 0);
  tp_run_trap(sim, &p, SC_TRAP_MISALIGNED, p.n - 1, "0x1", "bf16", NULL);
  sc_sim_destroy(sim);

  /* An arch whose MXU has no fp32: an fp32 tile is BAD_DTYPE (sc1 has fp32). */
  sc_arch arch = *sc1;
  arch.core.mxu.macs_per_pe_cycle[SC_DTYPE_FP32] = 0;
  arch.energy.mac_pj[SC_DTYPE_FP32] = 0;
  sim = new_sim(&arch);
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_FP32, 4, 4, 16, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "fp32", NULL);
  sc_sim_destroy(sim);
  sim = new_sim(sc1);
  p.n = 0;
  emit_ldw(&p, A_W, SC_DTYPE_FP32, 4, 4, 16, 0);
  tp_run_ok(sim, &p);
  sc_sim_destroy(sim);
}

/* ---- the fast kernel against the reference kernel (internal API) ---- */

static double seconds(void) {
  return (double)clock() / CLOCKS_PER_SEC;
}

static void fast_matches_reference(void **state) {
  (void)state;
  t_rng = 5;
  const sc_dtype dts[] = {SC_DTYPE_FP32,     SC_DTYPE_BF16, SC_DTYPE_FP16, SC_DTYPE_FP8_E4M3,
                          SC_DTYPE_FP8_E5M2, SC_DTYPE_INT8, SC_DTYPE_INT4};
  float *wf = malloc(128 * 128 * sizeof *wf);
  int32_t *wi = malloc(128 * 128 * sizeof *wi);
  for (int iter = 0; iter < 60; iter++) {
    sc_dtype wdt = dts[t_below(7)];
    bool integer = is_int(wdt);
    sc_dtype adt = integer ? SC_DTYPE_INT8 : wdt;
    size_t M = 1 + t_below(150), K = 1 + t_below(128), N = 1 + t_below(128);
    if (iter < 4) K = N = 128;
    sim_mxu mxu = {true, wdt, (uint32_t)K, (uint32_t)N, wf, wi};
    for (size_t i = 0; i < K * N; i++) {
      float x = t_rand_val(wdt, iter % 2 == 0);
      uint8_t cell[4] = {0};
      t_put(cell, wdt, 0, x);
      wf[i] = t_get(cell, wdt, 0);
      wi[i] = (int32_t)wf[i];
    }
    size_t astride = t_bytes(adt, K) + 4;
    uint8_t *abuf = calloc(M, astride);
    for (size_t i = 0; i < M; i++)
      for (size_t k = 0; k < K; k++)
        t_put(abuf + i * astride, adt, k, t_rand_val(adt, iter % 2 == 0));
    uint8_t *c1 = malloc(M * N * 4), *c2 = malloc(M * N * 4);
    for (size_t i = 0; i < M * N; i++) {
      uint32_t u = integer ? (uint32_t)t_u64() : t_bits(t_rand_val(SC_DTYPE_FP32, iter % 2 == 0));
      memcpy(c1 + 4 * i, &u, 4);
    }
    memcpy(c2, c1, M * N * 4);
    sim_view a = {abuf, adt, M, K, astride};
    sc_dtype cdt = integer ? SC_DTYPE_INT32 : SC_DTYPE_FP32;
    sim_view v1 = {c1, cdt, M, N, N * 4}, v2 = {c2, cdt, M, N, N * 4};
    bool acc = t_below(2);
    sim_mxu_mm_ref(&mxu, &a, &v1, acc);
    assert_true(sim_mxu_mm_fast(&mxu, &a, &v2, acc));
    if (memcmp(c1, c2, M * N * 4)) {
      for (size_t i = 0; i < M * N; i++)
        if (memcmp(c1 + 4 * i, c2 + 4 * i, 4))
          fail_msg("%s M%zu K%zu N%zu: element %zu differs", sc_dtype_name(wdt), M, K, N, i);
    }
    free(abuf);
    free(c1);
    free(c2);
  }
  /* Speed: a 128 x 128 tile, M = 256 (printed, not asserted). */
  const sc_dtype bench[] = {SC_DTYPE_BF16, SC_DTYPE_INT8};
  for (size_t b = 0; b < 2; b++) {
    const size_t M = 256, K = 128, N = 128;
    sim_mxu mxu = {true, bench[b], K, N, wf, wi};
    for (size_t i = 0; i < K * N; i++) {
      wi[i] = (int32_t)t_below(256) - 128;
      wf[i] = (float)wi[i] / 64.0f; /* exact in bf16 */
    }
    uint8_t *abuf = calloc(M * K, 2);
    uint8_t *c = calloc(M * N, 4);
    for (size_t i = 0; i < M * K; i++) t_put(abuf, bench[b], i, t_rand_val(bench[b], false));
    sim_view a = {abuf, bench[b], M, K, K * sc_dtype_bits(bench[b]) / 8};
    sim_view cv = {c, b ? SC_DTYPE_INT32 : SC_DTYPE_FP32, M, N, N * 4};
    double t0 = seconds();
    sim_mxu_mm_ref(&mxu, &a, &cv, true);
    double t1 = seconds();
    int reps = 20;
    for (int r = 0; r < reps; r++) assert_true(sim_mxu_mm_fast(&mxu, &a, &cv, true));
    double t2 = seconds();
    double macs = (double)(M * K * N);
    printf("mxu.mm %s 128x128 M=256: reference %.3g MAC/s, fast %.3g MAC/s\n",
           sc_dtype_name(bench[b]), macs / (t1 - t0 + 1e-9), macs * reps / (t2 - t1 + 1e-9));
    free(abuf);
    free(c);
  }
  free(wf);
  free(wi);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mm_float_dtypes),        cmocka_unit_test(mm_integer),
      cmocka_unit_test(int4_packing),           cmocka_unit_test(ldwq_dtypes),
      cmocka_unit_test(drain_conversions),      cmocka_unit_test(traps),
      cmocka_unit_test(fast_matches_reference),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
