/* test_sim_vpu.c: the vector unit through the public API, against a reference
 * written here from docs/SIM.md ("Matrix and vector unit semantics"): every op,
 * several dtype pairs, every broadcast and scale granularity, both rope
 * pairings, accumulate vs overwrite, in-place operation, the accumulator space,
 * special values, and traps. Special functions are compared with num.h's own
 * functions element by element (the simulator must equal them exactly). */
#include "sim_test_util.h"

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

static sc_sim *new_sim(void) {
  sc_sim *sim;
  assert_int_equal(sc_sim_create(sc1, NULL, &sim), SC_STATUS_OK);
  return sim;
}

enum { A_D = 0x10000, A_S1 = 0x20000, A_S2 = 0x30000, A_TMP = 0x40000 };

/* One VPU op on random tiles: inputs decoded for the reference, the dst read back. */
typedef struct vcase {
  unsigned opcode, sel;
  sc_dtype ddt, s1dt, s2dt;
  size_t rows, cols; /* the op's shape (group xg+0, xg+1) */
  size_t r2, c2;     /* src2 / scale / table tile (0 x 0 = none) */
  size_t dr, dc;     /* dst tile */
  size_t s1r, s1c;   /* src1 tile (default rows x cols) */
  uint64_t xs1v, xs2v, G;
  bool specials;
  /* filled by vrun */
  size_t dstride, s1stride, s2stride;
  float *x1, *x2, *y0;
  uint8_t *y;
} vcase;

static size_t stride_of(sc_dtype dt, size_t cols) {
  return t_bytes(dt, cols) + (sc_dtype_bits(dt) == 32 ? 8 : 4);
}

/* Writes a random rows x cols tile of dt at addr; returns the decoded values. */
static float *rand_tile(sc_sim *sim, uint64_t addr, sc_dtype dt, size_t rows, size_t cols,
                        size_t stride, bool specials) {
  float *v = calloc(rows * cols + 1, sizeof *v);
  uint8_t *buf = calloc(rows * stride + 1, 1);
  for (size_t i = 0; i < rows; i++)
    for (size_t j = 0; j < cols; j++) {
      t_put(buf + i * stride, dt, j, t_rand_val(dt, specials));
      v[i * cols + j] = t_get(buf + i * stride, dt, j);
    }
  if (rows) assert_int_equal(sc_sim_write_sram(sim, 0, addr, buf, rows * stride), SC_STATUS_OK);
  free(buf);
  return v;
}

static void emit_v(tprog *p, const vcase *c, uint64_t d, uint64_t s1, uint64_t s2, unsigned dsp,
                   unsigned s1sp, unsigned s2sp) {
  const sc_isa_info *info = sc_isa_info_of(c->opcode);
  uint64_t g[6] = {c->rows, c->cols, c->dstride, c->s1stride, c->s2stride, c->G};
  unsigned ng = sc_isa_group_len(info->group);
  if (info->group == SC_ISA_GROUP_TQ) g[4] = c->s2stride;
  tp_li(p, TP_XD, d);
  tp_li(p, TP_XS1, info->format == SC_ISA_FMT_VF ? c->xs1v : s1);
  tp_li(p, TP_XS2, info->format == SC_ISA_FMT_VS ? c->xs2v : s2);
  sc_insn in = {0};
  in.opcode = (uint8_t)c->opcode;
  in.dsp = dsp;
  in.xd = TP_XD;
  in.ddt = c->ddt;
  in.s1sp = s1sp;
  in.xs1 = TP_XS1;
  in.s1dt = c->s1dt;
  in.s2sp = s2sp;
  in.xs2 = TP_XS2;
  in.s2dt = c->s2dt;
  in.xg = tp_group(p, ng, g);
  in.sel = c->sel;
  tp_insn(p, &in);
}

static void vrun(sc_sim *sim, vcase *c) {
  if (!c->dr) c->dr = c->rows, c->dc = c->cols;
  if (!c->s1r) c->s1r = c->rows, c->s1c = c->cols;
  c->dstride = stride_of(c->ddt, c->dc);
  c->s1stride = stride_of(c->s1dt, c->s1c);
  if (!c->s2stride) c->s2stride = stride_of(c->s2dt, c->c2);
  c->y0 = rand_tile(sim, A_D, c->ddt, c->dr, c->dc, c->dstride, c->specials);
  c->x1 = rand_tile(sim, A_S1, c->s1dt, c->s1r, c->s1c, c->s1stride, c->specials);
  c->x2 = rand_tile(sim, A_S2, c->s2dt, c->r2, c->c2, c->s2stride, c->specials);
  tprog p = {.n = 0};
  emit_v(&p, c, A_D, A_S1, A_S2, SC_ISA_SPACE_SRAM, SC_ISA_SPACE_SRAM, SC_ISA_SPACE_SRAM);
  tp_run_ok(sim, &p);
  c->y = calloc(c->dr * c->dstride + 1, 1);
  assert_int_equal(sc_sim_read_sram(sim, 0, A_D, c->y, c->dr * c->dstride), SC_STATUS_OK);
}

static void vfree(vcase *c) {
  free(c->x1);
  free(c->x2);
  free(c->y0);
  free(c->y);
}

/* dst element (i, j) must be cvt(want). */
static void vcheck(const vcase *c, size_t i, size_t j, float want) {
  uint8_t cell[4] = {0};
  t_put(cell, c->ddt, 0, want);
  const uint8_t *row = c->y + i * c->dstride;
  bool ok = sc_dtype_is_float(c->ddt)
                ? t_bits(t_get(row, c->ddt, j)) == t_bits(t_get(cell, c->ddt, 0))
                : t_get_i(row, c->ddt, j) == t_get_i(cell, c->ddt, 0);
  if (!ok)
    fail_msg("%s %s <- %s, %s: (%zu, %zu) = 0x%08x, want 0x%08x (from 0x%08x)",
             sc_isa_info_of(c->opcode)->mnemonic, sc_dtype_name(c->ddt), sc_dtype_name(c->s1dt),
             sc_dtype_name(c->s2dt), i, j, t_bits(t_get(row, c->ddt, j)),
             t_bits(t_get(cell, c->ddt, 0)), t_bits(want));
}

/* ---- element-wise unary ---- */

static float ref_unary(unsigned op, float x) {
  switch (op) {
  case SC_OP_VPU_MOV:
    return x;
  case SC_OP_VPU_NEG:
    return t_float(t_bits(x) ^ 0x80000000u);
  case SC_OP_VPU_ABS:
    return t_float(t_bits(x) & 0x7fffffffu);
  case SC_OP_VPU_SQ:
    return t_mul(x, x);
  case SC_OP_VPU_RELU:
    return isnan(x) ? t_nan(x, x) : x > 0 ? x : 0.0f;
  case SC_OP_VPU_EXP:
    return sc_num_exp(x);
  case SC_OP_VPU_LOG:
    return sc_num_log(x);
  case SC_OP_VPU_RECIP:
    return sc_num_rcp(x);
  case SC_OP_VPU_SQRT:
    return isnan(x) || x < 0 ? t_nan(x, x) : sqrtf(x);
  case SC_OP_VPU_RSQRT:
    return sc_num_rsqrt(x);
  case SC_OP_VPU_SIGMOID:
    return sc_num_sigmoid(x);
  case SC_OP_VPU_TANH:
    return sc_num_tanh(x);
  case SC_OP_VPU_SILU:
    return sc_num_silu(x);
  case SC_OP_VPU_GELU:
    return sc_num_gelu_tanh(x);
  default:
    fail();
    return 0;
  }
}

static const sc_dtype pairs[][2] = {
    {SC_DTYPE_FP32, SC_DTYPE_FP32}, {SC_DTYPE_BF16, SC_DTYPE_BF16},
    {SC_DTYPE_FP32, SC_DTYPE_FP16}, {SC_DTYPE_BF16, SC_DTYPE_INT8},
    {SC_DTYPE_INT8, SC_DTYPE_FP32}, {SC_DTYPE_FP8_E4M3, SC_DTYPE_BF16},
}; /* {dst, src} */

static void unary_ops(void **state) {
  (void)state;
  t_rng = 11;
  sc_sim *sim = new_sim();
  const unsigned ops[] = {SC_OP_VPU_MOV,  SC_OP_VPU_NEG,   SC_OP_VPU_ABS,     SC_OP_VPU_SQ,
                          SC_OP_VPU_RELU, SC_OP_VPU_EXP,   SC_OP_VPU_LOG,     SC_OP_VPU_RECIP,
                          SC_OP_VPU_SQRT, SC_OP_VPU_RSQRT, SC_OP_VPU_SIGMOID, SC_OP_VPU_TANH,
                          SC_OP_VPU_SILU, SC_OP_VPU_GELU};
  for (size_t o = 0; o < sizeof ops / sizeof *ops; o++)
    for (size_t d = 0; d < sizeof pairs / sizeof *pairs; d++) {
      vcase c = {.opcode = ops[o],
                 .ddt = pairs[d][0],
                 .s1dt = pairs[d][1],
                 .rows = 1 + t_below(6),
                 .cols = 2 * (1 + t_below(30)),
                 .specials = true};
      vrun(sim, &c);
      assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_VPU_ELEMS), c.rows * c.cols);
      if (ops[o] == SC_OP_VPU_MOV && c.ddt == c.s1dt) { /* bits unchanged, sNaN included */
        uint8_t *src = calloc(c.rows, c.s1stride);
        assert_int_equal(sc_sim_read_sram(sim, 0, A_S1, src, c.rows * c.s1stride), SC_STATUS_OK);
        for (size_t i = 0; i < c.rows; i++)
          assert_memory_equal(c.y + i * c.dstride, src + i * c.s1stride, t_bytes(c.ddt, c.cols));
        free(src);
      } else {
        for (size_t i = 0; i < c.rows; i++)
          for (size_t j = 0; j < c.cols; j++)
            vcheck(&c, i, j, ref_unary(ops[o], c.x1[i * c.cols + j]));
      }
      vfree(&c);
    }
  /* mov between equal dtypes copies bits: a signalling bf16 NaN stays one. */
  uint16_t snan[3] = {0x7f81, 0xff80, 0x0001};
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S1, snan, 6), SC_STATUS_OK);
  vcase c = {
      .opcode = SC_OP_VPU_MOV, .ddt = SC_DTYPE_BF16, .s1dt = SC_DTYPE_BF16, .rows = 1, .cols = 3};
  c.dstride = c.s1stride = 8;
  tprog p = {.n = 0};
  emit_v(&p, &c, A_D, A_S1, 0, SC_ISA_SPACE_SRAM, SC_ISA_SPACE_SRAM, 0);
  tp_run_ok(sim, &p);
  uint16_t got[3];
  assert_int_equal(sc_sim_read_sram(sim, 0, A_D, got, 6), SC_STATUS_OK);
  assert_memory_equal(got, snan, 6);
  sc_sim_destroy(sim);
}

/* ---- binary, scalar operand, causal, fill ---- */

static float ref_binary(unsigned op, float a, float b) {
  switch (op) {
  case SC_OP_VPU_ADD:
  case SC_OP_VPU_ADDS:
    return t_add(a, b);
  case SC_OP_VPU_SUB:
    return t_sub(a, b);
  case SC_OP_VPU_MUL:
  case SC_OP_VPU_MULS:
    return t_mul(a, b);
  case SC_OP_VPU_DIV:
    return t_div(a, b);
  case SC_OP_VPU_MAX:
  case SC_OP_VPU_MAXS:
    return t_max(a, b);
  case SC_OP_VPU_MIN:
  case SC_OP_VPU_MINS:
    return t_min(a, b);
  default:
    fail();
    return 0;
  }
}

static void binary_ops(void **state) {
  (void)state;
  t_rng = 12;
  sc_sim *sim = new_sim();
  const unsigned ops[] = {SC_OP_VPU_ADD, SC_OP_VPU_SUB, SC_OP_VPU_MUL,
                          SC_OP_VPU_DIV, SC_OP_VPU_MAX, SC_OP_VPU_MIN};
  const sc_dtype s2[] = {SC_DTYPE_FP32, SC_DTYPE_BF16, SC_DTYPE_FP16, SC_DTYPE_INT8};
  for (size_t o = 0; o < 6; o++)
    for (unsigned bc = 0; bc < 4; bc++)
      for (size_t d = 0; d < sizeof pairs / sizeof *pairs; d++) {
        vcase c = {.opcode = ops[o],
                   .sel = bc,
                   .ddt = pairs[d][0],
                   .s1dt = pairs[d][1],
                   .s2dt = s2[t_below(4)],
                   .rows = 1 + t_below(5),
                   .cols = 1 + t_below(40),
                   .specials = true};
        c.r2 = bc == SC_ISA_BCAST_FULL || bc == SC_ISA_BCAST_COL ? c.rows : 1;
        c.c2 = bc == SC_ISA_BCAST_FULL || bc == SC_ISA_BCAST_ROW ? c.cols : 1;
        if (bc == SC_ISA_BCAST_COL) c.s2stride = 12; /* one element per row, strided */
        vrun(sim, &c);
        for (size_t i = 0; i < c.rows; i++)
          for (size_t j = 0; j < c.cols; j++) {
            size_t i2 = c.r2 == 1 ? 0 : i, j2 = c.c2 == 1 ? 0 : j;
            vcheck(&c, i, j, ref_binary(ops[o], c.x1[i * c.cols + j], c.x2[i2 * c.c2 + j2]));
          }
        vfree(&c);
      }
  sc_sim_destroy(sim);
}

static void max_min_specials(void **state) {
  (void)state;
  sc_sim *sim = new_sim();
  /* (a, b) pairs: signed zeros both ways, NaN on either side, Inf */
  const uint32_t a[] = {0x80000000, 0x00000000, 0x7fc00001, 0x3f800000, 0xff800000, 0xffa00000};
  const uint32_t b[] = {0x00000000, 0x80000000, 0x3f800000, 0xff800001, 0x3f800000, 0x7fc00000};
  const uint32_t mx[] = {0x00000000, 0x00000000, 0x7fc00001, 0xffc00001, 0x3f800000, 0xffe00000};
  const uint32_t mn[] = {0x80000000, 0x80000000, 0x7fc00001, 0xffc00001, 0xff800000, 0xffe00000};
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S1, a, sizeof a), SC_STATUS_OK);
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S2, b, sizeof b), SC_STATUS_OK);
  for (int k = 0; k < 2; k++) {
    vcase c = {.opcode = k ? SC_OP_VPU_MIN : SC_OP_VPU_MAX,
               .ddt = SC_DTYPE_FP32,
               .s1dt = SC_DTYPE_FP32,
               .s2dt = SC_DTYPE_FP32,
               .rows = 1,
               .cols = 6};
    c.dstride = c.s1stride = c.s2stride = 24;
    tprog p = {.n = 0};
    emit_v(&p, &c, A_D, A_S1, A_S2, 1, 1, 1);
    tp_run_ok(sim, &p);
    uint32_t got[6];
    assert_int_equal(sc_sim_read_sram(sim, 0, A_D, got, sizeof got), SC_STATUS_OK);
    assert_memory_equal(got, k ? mn : mx, sizeof got);
  }
  /* Inf - Inf gives the default NaN 0x7fc00000 (x86 would give 0xffc00000). */
  const uint32_t inf[2] = {0x7f800000, 0x7f800000};
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S1, inf, 8), SC_STATUS_OK);
  vcase c = {.opcode = SC_OP_VPU_SUB,
             .ddt = SC_DTYPE_FP32,
             .s1dt = SC_DTYPE_FP32,
             .s2dt = SC_DTYPE_FP32,
             .rows = 1,
             .cols = 2,
             .sel = SC_ISA_BCAST_SCALAR};
  c.dstride = c.s1stride = c.s2stride = 8;
  tprog p = {.n = 0};
  emit_v(&p, &c, A_D, A_S1, A_S1, 1, 1, 1);
  tp_run_ok(sim, &p);
  uint32_t got[2];
  assert_int_equal(sc_sim_read_sram(sim, 0, A_D, got, 8), SC_STATUS_OK);
  assert_int_equal(got[0], 0x7fc00000u);
  sc_sim_destroy(sim);
}

static void scalar_ops(void **state) {
  (void)state;
  t_rng = 13;
  sc_sim *sim = new_sim();
  const unsigned ops[] = {SC_OP_VPU_ADDS, SC_OP_VPU_MULS, SC_OP_VPU_MAXS, SC_OP_VPU_MINS};
  const uint32_t sv[] = {0x3fc00000, 0x80000000, 0x00000000, 0x7fc00005, 0xff800000, 0x00000001};
  for (size_t o = 0; o < 4; o++)
    for (size_t s = 0; s < 6; s++) {
      vcase c = {.opcode = ops[o],
                 .ddt = pairs[s % 6][0],
                 .s1dt = pairs[s % 6][1],
                 .rows = 1 + t_below(4),
                 .cols = 1 + t_below(33),
                 .specials = true,
                 .xs2v = 0xdeadbeef00000000ull | sv[s]}; /* the high bits are ignored */
      vrun(sim, &c);
      for (size_t i = 0; i < c.rows; i++)
        for (size_t j = 0; j < c.cols; j++)
          vcheck(&c, i, j, ref_binary(ops[o], c.x1[i * c.cols + j], t_float(sv[s])));
      vfree(&c);
    }
  /* causal: y[i][j] = j > i + off ? -inf : x */
  const int64_t offs[] = {0, 2, -1, -3, INT64_MIN, INT64_MAX};
  for (size_t k = 0; k < 6; k++) {
    vcase c = {.opcode = SC_OP_VPU_CAUSAL,
               .ddt = SC_DTYPE_BF16,
               .s1dt = SC_DTYPE_FP32,
               .rows = 5,
               .cols = 7,
               .specials = true,
               .xs2v = (uint64_t)offs[k]};
    vrun(sim, &c);
    for (size_t i = 0; i < c.rows; i++)
      for (size_t j = 0; j < c.cols; j++) {
        bool masked =
            offs[k] == INT64_MIN || (offs[k] != INT64_MAX && (int64_t)j > (int64_t)i + offs[k]);
        vcheck(&c, i, j, masked ? -INFINITY : c.x1[i * c.cols + j]);
      }
    vfree(&c);
  }
  /* fill */
  const uint32_t fv[] = {0x3fc00000, 0xc0500000, 0x7fc00000, 0x80000000};
  const sc_dtype fd[] = {SC_DTYPE_FP32, SC_DTYPE_BF16, SC_DTYPE_INT8, SC_DTYPE_INT4};
  for (size_t k = 0; k < 4; k++) {
    vcase c = {.opcode = SC_OP_VPU_FILL,
               .ddt = fd[k],
               .s1dt = SC_DTYPE_FP32,
               .rows = 3,
               .cols = 6,
               .xs1v = 0xffffffff00000000ull | fv[k]};
    c.s1r = 1, c.s1c = 1; /* no source */
    vrun(sim, &c);
    assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_VPU_ELEMS), 18);
    for (size_t i = 0; i < 3; i++)
      for (size_t j = 0; j < 6; j++) vcheck(&c, i, j, t_float(fv[k]));
    vfree(&c);
  }
  sc_sim_destroy(sim);
}

/* ---- reductions, argmax ---- */

static void reductions(void **state) {
  (void)state;
  t_rng = 14;
  sc_sim *sim = new_sim();
  const unsigned ops[] = {SC_OP_VPU_RSUM, SC_OP_VPU_RSUMSQ, SC_OP_VPU_RMAX, SC_OP_VPU_RMIN};
  for (size_t o = 0; o < 4; o++)
    for (unsigned acc = 0; acc < 2; acc++)
      for (size_t d = 0; d < 4; d++) {
        vcase c = {.opcode = ops[o],
                   .sel = acc,
                   .ddt = pairs[d][0],
                   .s1dt = pairs[d][1],
                   .rows = 1 + t_below(6),
                   .cols = t_below(50),
                   .specials = d % 2 == 1};
        c.dr = c.rows, c.dc = 1;
        vrun(sim, &c);
        assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_VPU_ELEMS), c.rows);
        for (size_t i = 0; i < c.rows; i++) {
          float s = acc                        ? c.y0[i]
                    : ops[o] == SC_OP_VPU_RMAX ? -INFINITY
                    : ops[o] == SC_OP_VPU_RMIN ? INFINITY
                                               : 0.0f;
          for (size_t j = 0; j < c.cols; j++) {
            float x = c.x1[i * c.cols + j];
            s = ops[o] == SC_OP_VPU_RSUM     ? t_add(s, x)
                : ops[o] == SC_OP_VPU_RSUMSQ ? t_add(s, t_mul(x, x))
                : ops[o] == SC_OP_VPU_RMAX   ? t_max(s, x)
                                             : t_min(s, x);
          }
          vcheck(&c, i, 0, s);
        }
        vfree(&c);
      }
  sc_sim_destroy(sim);
}

static void argmax(void **state) {
  (void)state;
  sc_sim *sim = new_sim();
  /* rows: a tie (first wins), a NaN (wins), -0 before +0 (equal: first), all -inf */
  const float x[4][5] = {{1, 3, 2, 3, 0},
                         {1, 9, NAN, 9, NAN},
                         {-0.0f, 0.0f, -1, -2, -3},
                         {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY}};
  const int32_t want[4] = {1, 2, 0, 0};
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S1, x, sizeof x), SC_STATUS_OK);
  const sc_dtype dts[] = {SC_DTYPE_INT32, SC_DTYPE_INT8, SC_DTYPE_FP32, SC_DTYPE_BF16};
  for (size_t d = 0; d < 4; d++) {
    vcase c = {
        .opcode = SC_OP_VPU_RARGMAX, .ddt = dts[d], .s1dt = SC_DTYPE_FP32, .rows = 4, .cols = 5};
    c.dstride = 8, c.s1stride = 20;
    tprog p = {.n = 0};
    emit_v(&p, &c, A_D, A_S1, 0, 1, 1, 0);
    tp_run_ok(sim, &p);
    assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_VPU_ELEMS), 4);
    uint8_t got[32];
    assert_int_equal(sc_sim_read_sram(sim, 0, A_D, got, sizeof got), SC_STATUS_OK);
    for (size_t i = 0; i < 4; i++) {
      float g = t_get(got + 8 * i, dts[d], 0);
      assert_true(g == (float)want[i]);
    }
  }
  sc_sim_destroy(sim);
}

/* ---- quant, dequant, rope, trans ---- */

static void quant_dequant(void **state) {
  (void)state;
  t_rng = 15;
  sc_sim *sim = new_sim();
  const sc_dtype qd[] = {SC_DTYPE_INT8, SC_DTYPE_INT4, SC_DTYPE_FP8_E4M3, SC_DTYPE_FP8_E5M2};
  const sc_dtype xd[] = {SC_DTYPE_FP32, SC_DTYPE_BF16};
  const sc_dtype sd[] = {SC_DTYPE_FP32, SC_DTYPE_BF16, SC_DTYPE_FP16};
  for (int quant = 0; quant < 2; quant++)
    for (unsigned gran = 0; gran < 4; gran++)
      for (size_t k = 0; k < 4; k++) {
        size_t rows = 1 + t_below(5), cols = 2 * (1 + t_below(20));
        size_t G = 1 + t_below((uint32_t)cols + 2);
        vcase c = {.opcode = quant ? SC_OP_VPU_QUANT : SC_OP_VPU_DEQUANT,
                   .sel = gran,
                   .ddt = quant ? qd[k] : xd[k % 2],
                   .s1dt = quant ? xd[k % 2] : qd[k],
                   .s2dt = sd[t_below(3)],
                   .rows = rows,
                   .cols = cols,
                   .G = G,
                   .specials = k == 3};
        c.r2 = gran == SC_ISA_GRAN_ROW || gran == SC_ISA_GRAN_GROUP ? rows : 1;
        c.c2 = gran == SC_ISA_GRAN_COL ? cols : gran == SC_ISA_GRAN_GROUP ? (cols + G - 1) / G : 1;
        vrun(sim, &c);
        for (size_t i = 0; i < rows; i++)
          for (size_t j = 0; j < cols; j++) {
            size_t si = gran == SC_ISA_GRAN_ROW || gran == SC_ISA_GRAN_GROUP ? i : 0;
            size_t sj = gran == SC_ISA_GRAN_COL ? j : gran == SC_ISA_GRAN_GROUP ? j / G : 0;
            float s = c.x2[si * c.c2 + sj], x = c.x1[i * cols + j];
            vcheck(&c, i, j, quant ? t_div(x, s) : t_mul(x, s));
          }
        vfree(&c);
      }
  sc_sim_destroy(sim);
}

static void rope(void **state) {
  (void)state;
  t_rng = 16;
  sc_sim *sim = new_sim();
  for (unsigned sel = 0; sel < 2; sel++)
    for (size_t d = 0; d < 3; d++) {
      size_t rows = 1 + t_below(4), cols = 2 * (1 + t_below(16));
      vcase c = {.opcode = SC_OP_VPU_ROPE,
                 .sel = sel,
                 .ddt = pairs[d][0],
                 .s1dt = pairs[d][1],
                 .s2dt = d == 1 ? SC_DTYPE_BF16 : SC_DTYPE_FP32,
                 .rows = rows,
                 .cols = cols,
                 .r2 = rows,
                 .c2 = cols,
                 .specials = d == 2};
      vrun(sim, &c);
      for (size_t i = 0; i < rows; i++)
        for (size_t q = 0; q < cols / 2; q++) {
          size_t ia = sel ? q : 2 * q, ib = sel ? q + cols / 2 : 2 * q + 1;
          float a = c.x1[i * cols + ia], b = c.x1[i * cols + ib];
          float co = c.x2[i * cols + 2 * q], si = c.x2[i * cols + 2 * q + 1];
          vcheck(&c, i, ia, t_sub(t_mul(a, co), t_mul(b, si)));
          vcheck(&c, i, ib, t_add(t_mul(a, si), t_mul(b, co)));
        }
      vfree(&c);
    }
  sc_sim_destroy(sim);
}

static void transpose(void **state) {
  (void)state;
  t_rng = 17;
  sc_sim *sim = new_sim();
  const sc_dtype tp[][2] = {{SC_DTYPE_FP32, SC_DTYPE_FP32},
                            {SC_DTYPE_FP32, SC_DTYPE_BF16},
                            {SC_DTYPE_INT4, SC_DTYPE_INT4},
                            {SC_DTYPE_FP8_E5M2, SC_DTYPE_FP8_E5M2},
                            {SC_DTYPE_INT8, SC_DTYPE_FP16}};
  for (size_t d = 0; d < 5; d++) {
    size_t rows = 2 * (1 + t_below(4)), cols = 2 * (2 + t_below(5)); /* non-square */
    if (rows == cols) cols += 2;
    vcase c = {.opcode = SC_OP_VPU_TRANS,
               .ddt = tp[d][0],
               .s1dt = tp[d][1],
               .rows = rows,
               .cols = cols,
               .dr = cols,
               .dc = rows,
               .specials = d != 3};
    /* (no random e5m2 bits: a signalling NaN code is copied as is, which
     * decode-then-encode in vcheck would quiet; fp32 NaNs are checked raw) */
    vrun(sim, &c);
    for (size_t i = 0; i < rows; i++)
      for (size_t j = 0; j < cols; j++) vcheck(&c, j, i, c.x1[i * cols + j]);
    vfree(&c);
  }
  sc_sim_destroy(sim);
}

/* ---- in place and the accumulator space ---- */

static void in_place(void **state) {
  (void)state;
  t_rng = 18;
  sc_sim *sim = new_sim();
  /* y = x1 + x2 with dst == src1, and a square transpose onto itself */
  float x[16], b[16];
  for (int k = 0; k < 16; k++) x[k] = (float)k, b[k] = 100.0f * (float)k;
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S1, x, sizeof x), SC_STATUS_OK);
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S2, b, sizeof b), SC_STATUS_OK);
  tprog p = {.n = 0};
  vcase add = {.opcode = SC_OP_VPU_ADD,
               .ddt = SC_DTYPE_FP32,
               .s1dt = SC_DTYPE_FP32,
               .s2dt = SC_DTYPE_FP32,
               .rows = 4,
               .cols = 4};
  add.dstride = add.s1stride = add.s2stride = 16;
  emit_v(&p, &add, A_S1, A_S1, A_S2, 1, 1, 1);
  vcase tr = {
      .opcode = SC_OP_VPU_TRANS, .ddt = SC_DTYPE_FP32, .s1dt = SC_DTYPE_FP32, .rows = 4, .cols = 4};
  tr.dstride = tr.s1stride = 16;
  emit_v(&p, &tr, A_S1, A_S1, 0, 1, 1, 0);
  /* a shifted overlapping move: dst starts one element after src (reads first) */
  vcase mv = {
      .opcode = SC_OP_VPU_MOV, .ddt = SC_DTYPE_FP32, .s1dt = SC_DTYPE_FP32, .rows = 1, .cols = 15};
  mv.dstride = mv.s1stride = 60;
  emit_v(&p, &mv, A_S1 + 4, A_S1, 0, 1, 1, 0);
  /* rsum of the rows into the first column of the same tile */
  vcase rs = {
      .opcode = SC_OP_VPU_RSUM, .ddt = SC_DTYPE_FP32, .s1dt = SC_DTYPE_FP32, .rows = 4, .cols = 4};
  rs.dstride = rs.s1stride = 16;
  emit_v(&p, &rs, A_S2, A_S2, 0, 1, 1, 0);
  tp_run_ok(sim, &p);
  float got[16], want[16], t[16];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) t[j * 4 + i] = x[i * 4 + j] + b[i * 4 + j];
  want[0] = t[0];
  for (int k = 1; k < 16; k++) want[k] = t[k - 1];
  assert_int_equal(sc_sim_read_sram(sim, 0, A_S1, got, sizeof got), SC_STATUS_OK);
  assert_memory_equal(got, want, sizeof got);
  assert_int_equal(sc_sim_read_sram(sim, 0, A_S2, got, sizeof got), SC_STATUS_OK);
  for (int i = 0; i < 4; i++) {
    float s = 0;
    for (int j = 0; j < 4; j++) s = s + b[i * 4 + j];
    assert_true(got[i * 4] == s);
    for (int j = 1; j < 4; j++) assert_true(got[i * 4 + j] == b[i * 4 + j]);
  }
  /* exp in place on bf16 */
  vcase e = {.opcode = SC_OP_VPU_EXP,
             .ddt = SC_DTYPE_BF16,
             .s1dt = SC_DTYPE_BF16,
             .rows = 3,
             .cols = 10,
             .specials = true};
  float *xv = rand_tile(sim, A_TMP, SC_DTYPE_BF16, 3, 10, 24, true);
  e.dstride = e.s1stride = 24;
  p.n = 0;
  emit_v(&p, &e, A_TMP, A_TMP, 0, 1, 1, 0);
  tp_run_ok(sim, &p);
  e.y = calloc(72, 1);
  assert_int_equal(sc_sim_read_sram(sim, 0, A_TMP, e.y, 72), SC_STATUS_OK);
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 10; j++) vcheck(&e, i, j, sc_num_exp(xv[i * 10 + j]));
  free(e.y);
  free(xv);
  sc_sim_destroy(sim);
}

static void acc_space(void **state) {
  (void)state;
  sc_sim *sim = new_sim();
  float x[6] = {1, 2, 3, 4, 5, 6}, b[3] = {0.5f, -1, 10};
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S1, x, sizeof x), SC_STATUS_OK);
  assert_int_equal(sc_sim_write_sram(sim, 0, A_S2, b, sizeof b), SC_STATUS_OK);
  tprog p = {.n = 0};
  vcase mv = {
      .opcode = SC_OP_VPU_MOV, .ddt = SC_DTYPE_FP32, .s1dt = SC_DTYPE_FP32, .rows = 2, .cols = 3};
  mv.dstride = mv.s1stride = 12;
  emit_v(&p, &mv, 64, A_S1, 0, SC_ISA_SPACE_ACC, SC_ISA_SPACE_SRAM, 0);
  vcase add = {.opcode = SC_OP_VPU_MUL,
               .sel = SC_ISA_BCAST_ROW,
               .ddt = SC_DTYPE_FP32,
               .s1dt = SC_DTYPE_FP32,
               .s2dt = SC_DTYPE_FP32,
               .rows = 2,
               .cols = 3};
  add.dstride = add.s1stride = 12;
  emit_v(&p, &add, 64, 64, A_S2, SC_ISA_SPACE_ACC, SC_ISA_SPACE_ACC, SC_ISA_SPACE_SRAM);
  vcase out = {
      .opcode = SC_OP_VPU_MOV, .ddt = SC_DTYPE_BF16, .s1dt = SC_DTYPE_FP32, .rows = 2, .cols = 3};
  out.dstride = 6, out.s1stride = 12;
  emit_v(&p, &out, A_D, 64, 0, SC_ISA_SPACE_SRAM, SC_ISA_SPACE_ACC, 0);
  tp_run_ok(sim, &p);
  uint16_t got[6];
  assert_int_equal(sc_sim_read_sram(sim, 0, A_D, got, sizeof got), SC_STATUS_OK);
  for (int k = 0; k < 6; k++) assert_int_equal(got[k], sc_f32_to_bf16(x[k] * b[k % 3]));
  sc_sim_destroy(sim);
}

/* ---- traps ---- */

static void traps(void **state) {
  (void)state;
  sc_sim *sim = new_sim();
  tprog p = {.n = 0};
  vcase r = {.opcode = SC_OP_VPU_ROPE,
             .ddt = SC_DTYPE_FP32,
             .s1dt = SC_DTYPE_FP32,
             .s2dt = SC_DTYPE_FP32,
             .rows = 2,
             .cols = 5};
  r.dstride = r.s1stride = r.s2stride = 20;
  emit_v(&p, &r, A_D, A_S1, A_S2, 1, 1, 1);
  tp_run_trap(sim, &p, SC_TRAP_BAD_OPERAND, p.n - 1, "cols = 5", NULL);

  p.n = 0;
  vcase q = {.opcode = SC_OP_VPU_QUANT,
             .sel = SC_ISA_GRAN_GROUP,
             .ddt = SC_DTYPE_INT8,
             .s1dt = SC_DTYPE_FP32,
             .s2dt = SC_DTYPE_FP32,
             .rows = 2,
             .cols = 4,
             .G = 0};
  q.dstride = 4, q.s1stride = q.s2stride = 16;
  emit_v(&p, &q, A_D, A_S1, A_S2, 1, 1, 1);
  tp_run_trap(sim, &p, SC_TRAP_BAD_OPERAND, p.n - 1, "G = 0", NULL);

  p.n = 0;
  vcase am = {.opcode = SC_OP_VPU_RARGMAX,
              .ddt = SC_DTYPE_INT32,
              .s1dt = SC_DTYPE_FP32,
              .rows = 2,
              .cols = 0};
  am.dstride = 4;
  emit_v(&p, &am, A_D, A_S1, 0, 1, 1, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_OPERAND, p.n - 1, "cols = 0", NULL);

  /* a tile past the end of SRAM (16 MiB) */
  p.n = 0;
  vcase a = {.opcode = SC_OP_VPU_ADD,
             .ddt = SC_DTYPE_FP32,
             .s1dt = SC_DTYPE_FP32,
             .s2dt = SC_DTYPE_FP32,
             .rows = 2,
             .cols = 4};
  a.dstride = a.s1stride = a.s2stride = 16;
  emit_v(&p, &a, A_D, A_S1, 16777216 - 16, 1, 1, 1);
  tp_run_trap(sim, &p, SC_TRAP_OUT_OF_BOUNDS, p.n - 1, "src2", "0xfffff0", NULL);

  /* bf16 at an odd address */
  p.n = 0;
  vcase m = {
      .opcode = SC_OP_VPU_EXP, .ddt = SC_DTYPE_BF16, .s1dt = SC_DTYPE_BF16, .rows = 2, .cols = 4};
  m.dstride = m.s1stride = 8;
  emit_v(&p, &m, A_D, A_S1 + 1, 0, 1, 1, 0);
  tp_run_trap(sim, &p, SC_TRAP_MISALIGNED, p.n - 1, "src1", "0x20001", "bf16", NULL);

  /* bf16 in the accumulator space */
  p.n = 0;
  emit_v(&p, &m, 0, A_S1, 0, SC_ISA_SPACE_ACC, 1, 0);
  tp_run_trap(sim, &p, SC_TRAP_BAD_DTYPE, p.n - 1, "bf16", NULL);

  /* Nothing was written by a trapping op: dst of the rope is still zero. */
  uint8_t d[40], z[40] = {0};
  assert_int_equal(sc_sim_read_sram(sim, 0, A_D, d, sizeof d), SC_STATUS_OK);
  assert_memory_equal(d, z, sizeof d);
  sc_sim_destroy(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(unary_ops),        cmocka_unit_test(binary_ops),
      cmocka_unit_test(max_min_specials), cmocka_unit_test(scalar_ops),
      cmocka_unit_test(reductions),       cmocka_unit_test(argmax),
      cmocka_unit_test(quant_dequant),    cmocka_unit_test(rope),
      cmocka_unit_test(transpose),        cmocka_unit_test(in_place),
      cmocka_unit_test(acc_space),        cmocka_unit_test(traps),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
