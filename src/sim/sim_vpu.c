/* sim_vpu.c: executors of the vector unit: element-wise unary, binary and
 * scalar-operand ops, row reductions, argmax, scaled conversions, transpose,
 * rotary embedding, causal mask and fill. docs/SIM.md "Matrix and vector unit
 * semantics" is the specification.
 *
 * Every op reads its elements as FP32 (sim_load_f32's rules), computes in FP32
 * with the ISA's NaN rules (sim_f* in sim_kernels.h) and writes with
 * sim_store_f32's conversion; the bit operations (neg, abs), the equal-dtype
 * moves (mov, trans) and the mask (causal) move bits without arithmetic.
 *
 * Invariants: all operand checks happen before the first write, so an op that
 * traps writes nothing. A source whose bytes overlap the destination's is first
 * copied aside (unalias), so every op behaves as if it read all its sources
 * before writing anything. Work goes row by row through host float buffers
 * (sim_row_load_f32 / sim_row_store_f32): one dtype switch per row. */
#include <math.h>
#include <stdlib.h>

#include "seedchip/num.h"
#include "sim_kernels.h"

/* ---- tiles ---- */

/* Bytes from a view's first element to the end of its last (0 when empty). */
static uint64_t span_bytes(const sim_view *v) {
  if (!v->rows || !v->cols || !v->base) return 0;
  unsigned bits = sc_dtype_bits(v->dtype);
  uint64_t row = bits == 4 ? (v->cols + 1) / 2 : v->cols * (bits / 8);
  return (v->rows - 1) * v->stride + row;
}

static bool overlaps(const sim_view *a, const sim_view *b) {
  uint64_t na = span_bytes(a), nb = span_bytes(b);
  if (!na || !nb) return false;
  /* Integer addresses: the views may lie in different host blocks (SRAM and
   * accumulators), where pointer comparison is not defined; a false positive
   * would only cost a copy. */
  uintptr_t pa = (uintptr_t)a->base, pb = (uintptr_t)b->base;
  return pa < pb + nb && pb < pa + na;
}

/* A VPU op's operands: the destination, up to two sources, their private
 * copies (when they overlapped the destination) and row buffers. */
typedef struct vop {
  sc_sim *sim;
  sim_core *core;
  const sim_op *op;
  sim_view d, s1, s2;
  uint8_t *copy[2];
  float *x1, *x2, *y; /* cols floats each */
} vop;

static void vop_free(vop *v) {
  free(v->copy[0]);
  free(v->copy[1]);
  free(v->x1);
  free(v->x2);
  free(v->y);
}

static bool oom(vop *v) {
  vop_free(v);
  return sim_trap(v->sim, v->core, v->op, SC_TRAP_OUT_OF_BOUNDS,
                  "host out of memory for vector buffers");
}

/* Points s at a private copy of its bytes when they overlap the destination. */
static bool unalias(vop *v, sim_view *s, uint8_t **copy) {
  if (!overlaps(&v->d, s)) return true;
  uint64_t n = span_bytes(s);
  *copy = malloc((size_t)n);
  if (!*copy) return false;
  memcpy(*copy, s->base, (size_t)n);
  s->base = *copy;
  return true;
}

/* Unaliases both sources (s2 may be empty) and allocates the row buffers. */
static bool vop_prepare(vop *v, size_t cols) {
  if (!unalias(v, &v->s1, &v->copy[0]) || !unalias(v, &v->s2, &v->copy[1])) return false;
  size_t n = cols ? cols : 1;
  v->x1 = malloc(n * sizeof(float));
  v->x2 = malloc(n * sizeof(float));
  v->y = malloc(n * sizeof(float));
  return v->x1 && v->x2 && v->y;
}

static bool resolve_dst(vop *v, uint64_t rows, uint64_t cols, uint64_t stride) {
  const sc_insn *in = &v->op->in;
  return sim_view_resolve(v->sim, v->core, v->op, "dst", (unsigned)in->dsp, 0, v->op->xd,
                          (sc_dtype)in->ddt, rows, cols, stride, &v->d);
}
static bool resolve_src1(vop *v, uint64_t rows, uint64_t cols, uint64_t stride) {
  const sc_insn *in = &v->op->in;
  return sim_view_resolve(v->sim, v->core, v->op, "src1", (unsigned)in->s1sp, 0, v->op->xs1,
                          (sc_dtype)in->s1dt, rows, cols, stride, &v->s1);
}
static bool resolve_src2(vop *v, const char *what, uint64_t rows, uint64_t cols, uint64_t stride) {
  const sc_insn *in = &v->op->in;
  return sim_view_resolve(v->sim, v->core, v->op, what, (unsigned)in->s2sp, 0, v->op->xs2,
                          (sc_dtype)in->s2dt, rows, cols, stride, &v->s2);
}

static vop vop_init(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = {sim, core, op, {0}, {0}, {0}, {NULL, NULL}, NULL, NULL, NULL};
  return v;
}

static void fill(float *x, size_t n, float value) {
  for (size_t j = 0; j < n; j++) x[j] = value;
}

/* f32(x): the float whose bits are the low 32 bits of a register value. */
static float reg_f32(uint64_t x) {
  return sim_bits_f32((uint32_t)x);
}

/* ---- element-wise unary ---- */

/* x[j] = f(x[j]) for the unary op opcode. */
static void apply_unary(unsigned opcode, float *x, size_t n) {
  switch (opcode) {
  case SC_OP_VPU_MOV:
    break;
  case SC_OP_VPU_NEG: /* sign bit flip: also on NaN, which keeps its payload */
    for (size_t j = 0; j < n; j++) x[j] = sim_bits_f32(sim_f32_bits(x[j]) ^ 0x80000000u);
    break;
  case SC_OP_VPU_ABS:
    for (size_t j = 0; j < n; j++) x[j] = sim_bits_f32(sim_f32_bits(x[j]) & 0x7fffffffu);
    break;
  case SC_OP_VPU_SQ:
    for (size_t j = 0; j < n; j++) x[j] = sim_fmul(x[j], x[j]);
    break;
  case SC_OP_VPU_RELU:
    for (size_t j = 0; j < n; j++) x[j] = sim_is_nan(x[j]) ? sim_quiet(x[j]) : x[j] > 0 ? x[j] : 0;
    break;
  case SC_OP_VPU_EXP:
    for (size_t j = 0; j < n; j++) x[j] = sc_num_exp(x[j]);
    break;
  case SC_OP_VPU_LOG:
    for (size_t j = 0; j < n; j++) x[j] = sc_num_log(x[j]);
    break;
  case SC_OP_VPU_RECIP:
    for (size_t j = 0; j < n; j++) x[j] = sc_num_rcp(x[j]);
    break;
  case SC_OP_VPU_SQRT: /* IEEE requires sqrt correctly rounded; NaNs per the ISA */
    for (size_t j = 0; j < n; j++) {
      float r = sqrtf(x[j]);
      x[j] = sim_is_nan(r) ? sim_nan2(x[j], x[j]) : r;
    }
    break;
  case SC_OP_VPU_RSQRT:
    for (size_t j = 0; j < n; j++) x[j] = sc_num_rsqrt(x[j]);
    break;
  case SC_OP_VPU_SIGMOID:
    for (size_t j = 0; j < n; j++) x[j] = sc_num_sigmoid(x[j]);
    break;
  case SC_OP_VPU_TANH:
    for (size_t j = 0; j < n; j++) x[j] = sc_num_tanh(x[j]);
    break;
  case SC_OP_VPU_SILU:
    for (size_t j = 0; j < n; j++) x[j] = sc_num_silu(x[j]);
    break;
  case SC_OP_VPU_GELU:
    for (size_t j = 0; j < n; j++) x[j] = sc_num_gelu_tanh(x[j]);
    break;
  default:
    break;
  }
}

/* Element (di, dj) of d = element (si, sj) of s, bit for bit (equal dtypes). */
static void copy_elem(const sim_view *d, uint64_t di, uint64_t dj, const sim_view *s, uint64_t si,
                      uint64_t sj) {
  unsigned bits = sc_dtype_bits(d->dtype);
  if (bits == 4) {
    sim_store_i32(d, di, dj, sim_load_i32(s, si, sj)); /* a nibble: exact */
    return;
  }
  size_t eb = bits / 8;
  memcpy(d->base + di * d->stride + dj * eb, s->base + si * s->stride + sj * eb, eb);
}

// dst (rows, cols) = f(src (rows, cols)); group T2 {rows, cols, dst stride, src stride}
static bool exec_unary(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1];
  if (!resolve_dst(&v, rows, cols, op->g[2]) || !resolve_src1(&v, rows, cols, op->g[3]))
    return false;
  if (!rows || !cols) return true;
  if (!vop_prepare(&v, (size_t)cols)) return oom(&v);
  if (op->in.opcode == SC_OP_VPU_MOV && v.d.dtype == v.s1.dtype) {
    for (uint64_t i = 0; i < rows; i++) /* bits unchanged, NaN payloads included */
      for (uint64_t j = 0; j < cols; j++) copy_elem(&v.d, i, j, &v.s1, i, j);
  } else {
    for (uint64_t i = 0; i < rows; i++) {
      sim_row_load_f32(&v.s1, i, v.x1);
      apply_unary(op->in.opcode, v.x1, (size_t)cols);
      sim_row_store_f32(&v.d, i, v.x1);
    }
  }
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows * cols);
  return true;
}

#define UNARY(NAME)                                                                                \
  bool sim_exec_VPU_##NAME(sc_sim *sim, sim_core *core, const sim_op *op) {                        \
    return exec_unary(sim, core, op);                                                              \
  }
UNARY(MOV)
UNARY(NEG)
UNARY(ABS)
UNARY(SQ)
UNARY(RELU)
UNARY(EXP)
UNARY(LOG)
UNARY(RECIP)
UNARY(SQRT)
UNARY(RSQRT)
UNARY(SIGMOID)
UNARY(TANH)
UNARY(SILU)
UNARY(GELU)

// dst (cols, rows) = src (rows, cols)^T; group T2 {rows, cols, dst stride, src stride}
bool sim_exec_VPU_TRANS(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1];
  if (!resolve_dst(&v, cols, rows, op->g[2]) || !resolve_src1(&v, rows, cols, op->g[3]))
    return false;
  if (!rows || !cols) return true;
  if (!vop_prepare(&v, 1)) return oom(&v);
  bool raw = v.d.dtype == v.s1.dtype;
  for (uint64_t i = 0; i < rows; i++)
    for (uint64_t j = 0; j < cols; j++) {
      if (raw)
        copy_elem(&v.d, j, i, &v.s1, i, j);
      else
        sim_store_f32(&v.d, j, i, sim_load_f32(&v.s1, i, j));
    }
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows * cols);
  return true;
}

// dst (rows, 1) = argmax over j of src (rows, cols); group T2
bool sim_exec_VPU_RARGMAX(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1];
  if (rows && !cols)
    return sim_trap(sim, core, op, SC_TRAP_BAD_OPERAND, "cols = 0: an empty row has no argmax");
  if (cols > INT32_MAX)
    return sim_trap(sim, core, op, SC_TRAP_BAD_OPERAND, "cols = %llu: indices exceed int32",
                    (unsigned long long)cols);
  if (!resolve_dst(&v, rows, 1, op->g[2]) || !resolve_src1(&v, rows, cols, op->g[3])) return false;
  if (!rows) return true;
  if (!vop_prepare(&v, (size_t)cols)) return oom(&v);
  for (uint64_t i = 0; i < rows; i++) {
    sim_row_load_f32(&v.s1, i, v.x1);
    /* The first NaN is the max; else the first of the largest (-0 == +0). */
    size_t best = 0;
    for (size_t j = 1; j < cols && !sim_is_nan(v.x1[best]); j++)
      if (sim_is_nan(v.x1[j]) || v.x1[j] > v.x1[best]) best = j;
    sim_store_i32(&v.d, i, 0, (int32_t)best);
  }
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows);
  return true;
}

/* ---- element-wise binary ---- */

/* y[j] = a[j] op b[j] for the binary (or scalar-operand) op opcode. */
static void apply_binary(unsigned opcode, float *y, const float *a, const float *b, size_t n) {
  switch (opcode) {
  case SC_OP_VPU_ADD:
  case SC_OP_VPU_ADDS:
    for (size_t j = 0; j < n; j++) y[j] = sim_fadd(a[j], b[j]);
    break;
  case SC_OP_VPU_SUB:
    for (size_t j = 0; j < n; j++) y[j] = sim_fsub(a[j], b[j]);
    break;
  case SC_OP_VPU_MUL:
  case SC_OP_VPU_MULS:
    for (size_t j = 0; j < n; j++) y[j] = sim_fmul(a[j], b[j]);
    break;
  case SC_OP_VPU_DIV:
    for (size_t j = 0; j < n; j++) y[j] = sim_fdiv(a[j], b[j]);
    break;
  case SC_OP_VPU_MAX:
  case SC_OP_VPU_MAXS:
    for (size_t j = 0; j < n; j++) y[j] = sim_fmax(a[j], b[j]);
    break;
  case SC_OP_VPU_MIN:
  case SC_OP_VPU_MINS:
    for (size_t j = 0; j < n; j++) y[j] = sim_fmin(a[j], b[j]);
    break;
  default:
    break;
  }
}

// dst (rows, cols) = src1 (rows, cols) op src2 (broadcast per sel);
// group T3 {rows, cols, dst stride, src1 stride, src2 stride}
static bool exec_binary(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1];
  const unsigned bcast = (unsigned)op->in.sel;
  /* src2's shape: FULL rows x cols, ROW 1 x cols, COL rows x 1, SCALAR 1 x 1 */
  uint64_t r2 = bcast == SC_ISA_BCAST_FULL || bcast == SC_ISA_BCAST_COL ? rows : 1;
  uint64_t c2 = bcast == SC_ISA_BCAST_FULL || bcast == SC_ISA_BCAST_ROW ? cols : 1;
  if (!rows || !cols) r2 = c2 = 0; /* an empty op reads nothing */
  if (!resolve_dst(&v, rows, cols, op->g[2]) || !resolve_src1(&v, rows, cols, op->g[3]) ||
      !resolve_src2(&v, "src2", r2, c2, op->g[4]))
    return false;
  if (!rows || !cols) return true;
  if (!vop_prepare(&v, (size_t)cols)) return oom(&v);
  if (bcast == SC_ISA_BCAST_ROW) sim_row_load_f32(&v.s2, 0, v.x2);
  if (bcast == SC_ISA_BCAST_SCALAR) fill(v.x2, (size_t)cols, sim_load_f32(&v.s2, 0, 0));
  for (uint64_t i = 0; i < rows; i++) {
    sim_row_load_f32(&v.s1, i, v.x1);
    if (bcast == SC_ISA_BCAST_FULL) sim_row_load_f32(&v.s2, i, v.x2);
    if (bcast == SC_ISA_BCAST_COL) fill(v.x2, (size_t)cols, sim_load_f32(&v.s2, i, 0));
    apply_binary(op->in.opcode, v.y, v.x1, v.x2, (size_t)cols);
    sim_row_store_f32(&v.d, i, v.y);
  }
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows * cols);
  return true;
}

#define BINARY(NAME)                                                                               \
  bool sim_exec_VPU_##NAME(sc_sim *sim, sim_core *core, const sim_op *op) {                        \
    return exec_binary(sim, core, op);                                                             \
  }
BINARY(ADD)
BINARY(SUB)
BINARY(MUL)
BINARY(DIV)
BINARY(MAX)
BINARY(MIN)

// dst (rows, cols) = src (rows, cols) op f32(xs2); group T2
static bool exec_scalar(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1];
  if (!resolve_dst(&v, rows, cols, op->g[2]) || !resolve_src1(&v, rows, cols, op->g[3]))
    return false;
  if (!rows || !cols) return true;
  if (!vop_prepare(&v, (size_t)cols)) return oom(&v);
  fill(v.x2, (size_t)cols, reg_f32(op->xs2));
  for (uint64_t i = 0; i < rows; i++) {
    sim_row_load_f32(&v.s1, i, v.x1);
    apply_binary(op->in.opcode, v.y, v.x1, v.x2, (size_t)cols);
    sim_row_store_f32(&v.d, i, v.y);
  }
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows * cols);
  return true;
}

bool sim_exec_VPU_ADDS(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_scalar(sim, core, op);
}
bool sim_exec_VPU_MULS(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_scalar(sim, core, op);
}
bool sim_exec_VPU_MAXS(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_scalar(sim, core, op);
}
bool sim_exec_VPU_MINS(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_scalar(sim, core, op);
}

// y[i][j] = j > i + (int64)xs2 ? -inf : x[i][j]; group T2
bool sim_exec_VPU_CAUSAL(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1];
  if (!resolve_dst(&v, rows, cols, op->g[2]) || !resolve_src1(&v, rows, cols, op->g[3]))
    return false;
  if (!rows || !cols) return true;
  if (!vop_prepare(&v, (size_t)cols)) return oom(&v);
  /* Tiles lie inside a space of far less than 2^62 bytes, so i and j fit an
   * int64 and j - i cannot overflow, while i + xs2 could. */
  const int64_t off = (int64_t)op->xs2;
  const float ninf = sim_bits_f32(0xff800000u);
  for (uint64_t i = 0; i < rows; i++) {
    sim_row_load_f32(&v.s1, i, v.x1);
    for (uint64_t j = 0; j < cols; j++)
      if ((int64_t)j - (int64_t)i > off) v.x1[j] = ninf;
    sim_row_store_f32(&v.d, i, v.x1);
  }
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows * cols);
  return true;
}

// y (rows, cols) = f32(xs1); group TF {rows, cols, dst stride}
bool sim_exec_VPU_FILL(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1];
  if (!resolve_dst(&v, rows, cols, op->g[2])) return false;
  if (!rows || !cols) return true;
  if (!vop_prepare(&v, (size_t)cols)) return oom(&v);
  fill(v.y, (size_t)cols, reg_f32(op->xs1));
  for (uint64_t i = 0; i < rows; i++) sim_row_store_f32(&v.d, i, v.y);
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows * cols);
  return true;
}

/* ---- row reductions ---- */

// y (rows, 1) = s (+)reduce x (rows, cols), left to right; group T2, sel ACCMODE
static bool exec_reduce(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1];
  const unsigned opc = op->in.opcode;
  if (!resolve_dst(&v, rows, 1, op->g[2]) || !resolve_src1(&v, rows, cols, op->g[3])) return false;
  if (!rows) return true;
  if (!vop_prepare(&v, (size_t)cols)) return oom(&v);
  /* The start values, all read before any write (y may overlap itself with a
   * zero stride, or a source). */
  float *start = malloc((size_t)rows * sizeof *start);
  if (!start) return oom(&v);
  float init = opc == SC_OP_VPU_RMAX   ? sim_bits_f32(0xff800000u) /* -inf */
               : opc == SC_OP_VPU_RMIN ? sim_bits_f32(0x7f800000u) /* +inf */
                                       : 0.0f;
  for (uint64_t i = 0; i < rows; i++)
    start[i] = op->in.sel == SC_ISA_ACCMODE_ACCUMULATE ? sim_load_f32(&v.d, i, 0) : init;
  for (uint64_t i = 0; i < rows; i++) {
    float s = start[i];
    if (cols) sim_row_load_f32(&v.s1, i, v.x1);
    const float *x = v.x1;
    switch (opc) {
    case SC_OP_VPU_RSUM:
      for (size_t j = 0; j < cols; j++) s = sim_fadd(s, x[j]);
      break;
    case SC_OP_VPU_RSUMSQ:
      for (size_t j = 0; j < cols; j++) s = sim_fadd(s, sim_fmul(x[j], x[j]));
      break;
    case SC_OP_VPU_RMAX:
      for (size_t j = 0; j < cols; j++) s = sim_fmax(s, x[j]);
      break;
    default:
      for (size_t j = 0; j < cols; j++) s = sim_fmin(s, x[j]);
      break;
    }
    sim_store_f32(&v.d, i, 0, s);
  }
  free(start);
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows);
  return true;
}

bool sim_exec_VPU_RSUM(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_reduce(sim, core, op);
}
bool sim_exec_VPU_RSUMSQ(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_reduce(sim, core, op);
}
bool sim_exec_VPU_RMAX(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_reduce(sim, core, op);
}
bool sim_exec_VPU_RMIN(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_reduce(sim, core, op);
}

/* ---- scaled conversion ---- */

// y (rows, cols) = cvt(x / scale) or cvt(x * scale), scale per sel;
// group TQ {rows, cols, dst stride, src stride, scale stride, G}
static bool exec_scaled(sc_sim *sim, sim_core *core, const sim_op *op, bool quant) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1], G = op->g[5];
  const unsigned gran = (unsigned)op->in.sel;
  if (gran == SC_ISA_GRAN_GROUP && G == 0)
    return sim_trap(sim, core, op, SC_TRAP_BAD_OPERAND, "G = 0: a scale group needs >= 1 element");
  /* The scale tile: TENSOR 1 x 1, ROW rows x 1, COL 1 x cols, GROUP rows x ceil(cols / G). */
  uint64_t sr = gran == SC_ISA_GRAN_ROW || gran == SC_ISA_GRAN_GROUP ? rows : 1;
  uint64_t sc = gran == SC_ISA_GRAN_COL     ? cols
                : gran == SC_ISA_GRAN_GROUP ? (cols ? (cols - 1) / G + 1 : 0)
                                            : 1;
  if (!rows || !cols) sr = sc = 0;
  if (!resolve_dst(&v, rows, cols, op->g[2]) || !resolve_src1(&v, rows, cols, op->g[3]) ||
      !resolve_src2(&v, "scales", sr, sc, op->g[4]))
    return false;
  if (!rows || !cols) return true;
  if (!vop_prepare(&v, (size_t)cols)) return oom(&v);
  if (gran == SC_ISA_GRAN_TENSOR) fill(v.x2, (size_t)cols, sim_load_f32(&v.s2, 0, 0));
  if (gran == SC_ISA_GRAN_COL) sim_row_load_f32(&v.s2, 0, v.x2);
  for (uint64_t i = 0; i < rows; i++) {
    if (gran == SC_ISA_GRAN_ROW) fill(v.x2, (size_t)cols, sim_load_f32(&v.s2, i, 0));
    if (gran == SC_ISA_GRAN_GROUP)
      for (uint64_t j = 0; j < cols; j++) v.x2[j] = sim_load_f32(&v.s2, i, j / G);
    sim_row_load_f32(&v.s1, i, v.x1);
    apply_binary(quant ? SC_OP_VPU_DIV : SC_OP_VPU_MUL, v.y, v.x1, v.x2, (size_t)cols);
    sim_row_store_f32(&v.d, i, v.y);
  }
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows * cols);
  return true;
}

bool sim_exec_VPU_QUANT(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_scaled(sim, core, op, true);
}
bool sim_exec_VPU_DEQUANT(sc_sim *sim, sim_core *core, const sim_op *op) {
  return exec_scaled(sim, core, op, false);
}

/* ---- rotary embedding ---- */

// y (rows, cols) = rotate pairs of x (rows, cols) by table (rows, cols) of (c, s);
// group T3 {rows, cols, dst stride, src stride, table stride}, sel ROPE
bool sim_exec_VPU_ROPE(sc_sim *sim, sim_core *core, const sim_op *op) {
  vop v = vop_init(sim, core, op);
  const uint64_t rows = op->g[0], cols = op->g[1];
  if (cols % 2)
    return sim_trap(sim, core, op, SC_TRAP_BAD_OPERAND,
                    "cols = %llu: rotary pairs need an even count", (unsigned long long)cols);
  uint64_t tr = rows && cols ? rows : 0;
  if (!resolve_dst(&v, rows, cols, op->g[2]) || !resolve_src1(&v, rows, cols, op->g[3]) ||
      !resolve_src2(&v, "table", tr, tr ? cols : 0, op->g[4]))
    return false;
  if (!rows || !cols) return true;
  if (!vop_prepare(&v, (size_t)cols)) return oom(&v);
  const size_t half = (size_t)cols / 2;
  const bool halves = op->in.sel == SC_ISA_ROPE_HALVES;
  for (uint64_t i = 0; i < rows; i++) {
    sim_row_load_f32(&v.s1, i, v.x1);
    sim_row_load_f32(&v.s2, i, v.x2);
    for (size_t p = 0; p < half; p++) {
      size_t ia = halves ? p : 2 * p, ib = halves ? p + half : 2 * p + 1;
      float a = v.x1[ia], b = v.x1[ib], c = v.x2[2 * p], s = v.x2[2 * p + 1];
      v.y[ia] = sim_fsub(sim_fmul(a, c), sim_fmul(b, s));
      v.y[ib] = sim_fadd(sim_fmul(a, s), sim_fmul(b, c));
    }
    sim_row_store_f32(&v.d, i, v.y);
  }
  vop_free(&v);
  sim_count(core, SC_ISA_EVENT_VPU_ELEMS, rows * cols);
  return true;
}
