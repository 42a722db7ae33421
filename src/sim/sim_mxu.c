/* sim_mxu.c: executors of the matrix unit: weight tile loads (mxu.ldw,
 * mxu.ldwq), the matmul into accumulators (mxu.mm) and the drain of
 * accumulators to SRAM (mxu.drain). docs/SIM.md "Matrix and vector unit
 * semantics" is the specification.
 *
 * Invariants: core->mxu holds the loaded tile as K x N row-major values, FP32
 * for float tiles (every float dtype is exact in FP32) and INT32 for integer
 * tiles, so mxu.mm never looks at the stored layout. Its buffers have the arch's
 * rows * cols capacity, allocated on first load (sim.c frees them). Operand
 * values are checked before any memory is touched, and an op that traps writes
 * nothing. */
#include <stdlib.h>

#include "seedchip/num.h"
#include "sim_kernels.h"

static const char *dt_name(int64_t dt) {
  return sc_dtype_name((sc_dtype)dt);
}

static bool mxu_supports(const sc_sim *sim, sc_dtype dt) {
  return dt < SC_DTYPE_COUNT && sim->arch.core.mxu.macs_per_pe_cycle[dt] > 0;
}

/* K and N of a tile: 1 .. the array's rows and cols. */
static bool check_kn(sc_sim *sim, sim_core *core, const sim_op *op, uint64_t k, uint64_t n) {
  uint32_t rows = sim->arch.core.mxu.rows, cols = sim->arch.core.mxu.cols;
  if (k == 0 || k > rows)
    return sim_trap(sim, core, op, SC_TRAP_BAD_OPERAND, "K = %llu outside 1..%u (mxu.rows)",
                    (unsigned long long)k, rows);
  if (n == 0 || n > cols)
    return sim_trap(sim, core, op, SC_TRAP_BAD_OPERAND, "N = %llu outside 1..%u (mxu.cols)",
                    (unsigned long long)n, cols);
  return true;
}

static bool tile_alloc(sc_sim *sim, sim_core *core, const sim_op *op, bool integer) {
  size_t cap = (size_t)sim->arch.core.mxu.rows * sim->arch.core.mxu.cols;
  if (integer && !core->mxu.wi) core->mxu.wi = malloc(cap * sizeof *core->mxu.wi);
  if (!integer && !core->mxu.wf) core->mxu.wf = malloc(cap * sizeof *core->mxu.wf);
  if (integer ? !core->mxu.wi : !core->mxu.wf)
    return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS, "host out of memory for the weight tile");
  return true;
}

/* The stored tile: KN = K rows of N elements, NK = N rows of K (W transposed). */
static bool resolve_tile(sc_sim *sim, sim_core *core, const sim_op *op, const char *what,
                         uint64_t addr, sc_dtype dt, uint64_t k, uint64_t n, uint64_t stride,
                         sim_view *v) {
  bool nk = op->in.sel == SC_ISA_LAYOUT_NK;
  return sim_view_resolve(sim, core, op, what, SC_ISA_SPACE_SRAM, 0, addr, dt, nk ? n : k,
                          nk ? k : n, stride, v);
}

/* Element W[k][n] of a stored tile in either layout. */
static uint64_t tile_r(const sim_op *op, uint64_t k, uint64_t n) {
  return op->in.sel == SC_ISA_LAYOUT_NK ? n : k;
}
static uint64_t tile_c(const sim_op *op, uint64_t k, uint64_t n) {
  return op->in.sel == SC_ISA_LAYOUT_NK ? k : n;
}

// W (K, N) = sram[xs1]:s1dt in layout sel; group WT {K, N, stored row stride}
bool sim_exec_MXU_LDW(sc_sim *sim, sim_core *core, const sim_op *op) {
  const sc_dtype dt = (sc_dtype)op->in.s1dt;
  const uint64_t K = op->g[0], N = op->g[1];
  bool integer = dt == SC_DTYPE_INT8 || dt == SC_DTYPE_INT4;
  if (!mxu_supports(sim, dt) || (!integer && !sc_dtype_is_float(dt)))
    return sim_trap(sim, core, op, SC_TRAP_BAD_DTYPE,
                    "weights: the MXU of %s does not take %s tiles", sim->arch.name, dt_name(dt));
  if (!check_kn(sim, core, op, K, N)) return false;
  sim_view w;
  if (!resolve_tile(sim, core, op, "weights", op->xs1, dt, K, N, op->g[2], &w) ||
      !tile_alloc(sim, core, op, integer))
    return false;
  sim_mxu *m = &core->mxu;
  /* Row by row through the row kernels: stored row r is W[r][:] (kn) or
   * W[:][r] (nk). Values as sim_load_i32 / sim_load_f32 give them (int4
   * sign-extends). */
  bool nk = op->in.sel == SC_ISA_LAYOUT_NK;
  uint64_t rows = nk ? N : K, cols = nk ? K : N;
  if (nk) {
    /* Transposed in blocks of TB stored rows, so that the writes to W are
     * TB consecutive values instead of one value per cache line. */
    enum { TB = 16 };
    void *blk = malloc((size_t)cols * TB * 4);
    if (!blk)
      return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS, "host out of memory for a tile row");
    for (uint64_t r0 = 0; r0 < rows; r0 += TB) {
      uint64_t nb = rows - r0 < TB ? rows - r0 : TB;
      if (integer) {
        int32_t *t = blk;
        for (uint64_t b = 0; b < nb; b++) sim_row_load_i32(&w, r0 + b, t + b * cols);
        for (uint64_t c = 0; c < cols; c++)
          for (uint64_t b = 0; b < nb; b++) m->wi[c * N + r0 + b] = t[b * cols + c];
      } else {
        float *t = blk;
        for (uint64_t b = 0; b < nb; b++) sim_row_load_f32(&w, r0 + b, t + b * cols);
        for (uint64_t c = 0; c < cols; c++)
          for (uint64_t b = 0; b < nb; b++) m->wf[c * N + r0 + b] = t[b * cols + c];
      }
    }
    free(blk);
  } else {
    for (uint64_t r = 0; r < rows; r++) {
      if (integer)
        sim_row_load_i32(&w, r, m->wi + r * N);
      else
        sim_row_load_f32(&w, r, m->wf + r * N);
    }
  }
  m->loaded = true;
  m->dtype = dt;
  m->k = (uint32_t)K;
  m->n = (uint32_t)N;
  return true;
}

// W[k][n] = cvt_ddt(f32(q[k][n]) * scale[k / G][n]); group WTQ {K, N, stride, G}
bool sim_exec_MXU_LDWQ(sc_sim *sim, sim_core *core, const sim_op *op) {
  const sc_dtype qdt = (sc_dtype)op->in.s1dt, sdt = (sc_dtype)op->in.s2dt;
  const sc_dtype ddt = (sc_dtype)op->in.ddt;
  const uint64_t K = op->g[0], N = op->g[1], G = op->g[3];
  if (qdt != SC_DTYPE_INT8 && qdt != SC_DTYPE_INT4)
    return sim_trap(sim, core, op, SC_TRAP_BAD_DTYPE,
                    "weights: quantized weights are int8 or int4, not %s", dt_name(qdt));
  if (!sc_dtype_is_float(sdt))
    return sim_trap(sim, core, op, SC_TRAP_BAD_DTYPE, "scales: a float dtype is needed, not %s",
                    dt_name(sdt));
  if (!sc_dtype_is_float(ddt) || !mxu_supports(sim, ddt))
    return sim_trap(sim, core, op, SC_TRAP_BAD_DTYPE,
                    "array dtype: the MXU of %s does not take %s tiles (a float dtype it "
                    "supports is needed)",
                    sim->arch.name, dt_name(ddt));
  if (!check_kn(sim, core, op, K, N)) return false;
  if (G == 0)
    return sim_trap(sim, core, op, SC_TRAP_BAD_OPERAND, "G = 0: a scale group needs >= 1 rows");
  sim_view q, s;
  uint64_t scale_rows = (K - 1) / G + 1; /* ceil(K / G) without overflow */
  if (!resolve_tile(sim, core, op, "weights", op->xs1, qdt, K, N, op->g[2], &q) ||
      !sim_view_resolve(sim, core, op, "scales", SC_ISA_SPACE_SRAM, 0, op->xs2, sdt, scale_rows, N,
                        N * (sc_dtype_bits(sdt) / 8), &s) ||
      !tile_alloc(sim, core, op, false))
    return false;
  /* The array dtype's rounding goes through a 1 x 1 FP32 -> ddt -> FP32 trip. */
  uint8_t cell[4];
  sim_view one = {cell, ddt, 1, 1, 4};
  sim_mxu *m = &core->mxu;
  for (uint64_t k = 0; k < K; k++)
    for (uint64_t n = 0; n < N; n++) {
      float p = sim_fmul((float)sim_load_i32(&q, tile_r(op, k, n), tile_c(op, k, n)),
                         sim_load_f32(&s, k / G, n));
      sim_store_f32(&one, 0, 0, p);
      m->wf[k * N + n] = sim_load_f32(&one, 0, 0);
    }
  m->loaded = true;
  m->dtype = ddt;
  m->k = (uint32_t)K;
  m->n = (uint32_t)N;
  return true;
}

static bool is_int_tile(const sim_mxu *m) {
  return m->dtype == SC_DTYPE_INT8 || m->dtype == SC_DTYPE_INT4;
}

/* The reference: element by element, i, n, k, exactly as docs/SIM.md says.
 * acc[i][n] (+)= sum over k ascending of a[i][k] * W[k][n] */
void sim_mxu_mm_ref(const sim_mxu *mxu, const sim_view *a, const sim_view *acc, bool accumulate) {
  const uint64_t M = a->rows, K = mxu->k, N = mxu->n;
  for (uint64_t i = 0; i < M; i++)
    for (uint64_t n = 0; n < N; n++) {
      if (is_int_tile(mxu)) {
        uint32_t s = accumulate ? (uint32_t)sim_load_i32(acc, i, n) : 0;
        for (uint64_t k = 0; k < K; k++)
          s += (uint32_t)sim_load_i32(a, i, k) * (uint32_t)mxu->wi[k * N + n];
        sim_store_i32(acc, i, n, (int32_t)s);
      } else {
        float s = accumulate ? sim_load_f32(acc, i, n) : 0.0f;
        for (uint64_t k = 0; k < K; k++)
          s = sim_fadd(s, sim_fmul(sim_load_f32(a, i, k), mxu->wf[k * N + n]));
        sim_store_f32(acc, i, n, s);
      }
    }
}

enum { MM_BLOCK_ROWS = 64 }; /* rows of a converted per kernel call */

/* The fast path: blocks of rows converted once to host arrays, then the
 * vectorized kernels. Same bits as sim_mxu_mm_ref. */
bool sim_mxu_mm_fast(const sim_mxu *mxu, const sim_view *a, const sim_view *acc, bool accumulate) {
  const size_t M = (size_t)a->rows, K = mxu->k, N = mxu->n;
  const size_t mb = M < MM_BLOCK_ROWS ? M : MM_BLOCK_ROWS;
  if (!M) return true;
  if (M > 1 && acc->stride < N * 4) {
    /* Accumulator rows that overlap each other: row i must see the rows before
     * it written, which a block of rows converted at once would not. */
    sim_mxu_mm_ref(mxu, a, acc, accumulate);
    return true;
  }
  bool integer = is_int_tile(mxu);
  /* 4-byte cells serve as float or int32: one buffer for a, one for c. */
  void *ab = malloc(mb * K * 4), *cb = malloc(mb * N * 4), *scratch = malloc(N * 4);
  bool ok = ab && cb && scratch;
  for (size_t i0 = 0; ok && i0 < M; i0 += mb) {
    size_t rows = M - i0 < mb ? M - i0 : mb;
    for (size_t r = 0; r < rows; r++) {
      if (integer) {
        sim_row_load_i32(a, i0 + r, (int32_t *)ab + r * K);
        if (accumulate) sim_row_load_i32(acc, i0 + r, (int32_t *)cb + r * N);
      } else {
        sim_row_load_f32(a, i0 + r, (float *)ab + r * K);
        if (accumulate) sim_row_load_f32(acc, i0 + r, (float *)cb + r * N);
      }
    }
    if (!accumulate) memset(cb, 0, rows * N * 4); /* +0.0f and 0 are all-zero bits */
    if (integer)
      sim_kern_mm_i32(rows, K, N, ab, mxu->wi, cb);
    else
      sim_kern_mm_f32(rows, K, N, ab, mxu->wf, cb, scratch);
    for (size_t r = 0; r < rows; r++) {
      if (integer)
        sim_row_store_i32(acc, i0 + r, (int32_t *)cb + r * N);
      else
        sim_row_store_f32(acc, i0 + r, (float *)cb + r * N);
    }
  }
  free(ab);
  free(cb);
  free(scratch);
  return ok;
}

// acc[xd] (M, N) (+)= a (M, K) @ W (K, N); group MM {M, a row stride, acc row stride}
bool sim_exec_MXU_MM(sc_sim *sim, sim_core *core, const sim_op *op) {
  const sim_mxu *m = &core->mxu;
  const sc_dtype adt = (sc_dtype)op->in.s1dt;
  const uint64_t M = op->g[0];
  if (!m->loaded)
    return sim_trap(sim, core, op, SC_TRAP_BAD_OPERAND,
                    "no weight tile loaded (mxu.ldw or mxu.ldwq must come first)");
  /* Dtype rule: an integer tile takes int8 activations; a float tile takes
   * activations of its own dtype, except that fp8e4m3 and fp8e5m2 mix. */
  bool integer = is_int_tile(m);
  bool fp8 = (m->dtype == SC_DTYPE_FP8_E4M3 || m->dtype == SC_DTYPE_FP8_E5M2) &&
             (adt == SC_DTYPE_FP8_E4M3 || adt == SC_DTYPE_FP8_E5M2);
  bool ok = integer ? adt == SC_DTYPE_INT8 : (adt == m->dtype || fp8);
  if (!ok || (!integer && !mxu_supports(sim, adt)))
    return sim_trap(sim, core, op, SC_TRAP_BAD_DTYPE, "activations %s on a %s weight tile (%s)",
                    dt_name(adt), dt_name(m->dtype),
                    integer ? "an integer tile needs int8"
                    : !ok   ? "a float tile needs its own dtype; fp8 formats may mix"
                            : "the MXU does not take that dtype");
  sim_view a, acc;
  if (!sim_view_resolve(sim, core, op, "activations", SC_ISA_SPACE_SRAM, 0, op->xs1, adt, M, m->k,
                        op->g[1], &a) ||
      !sim_view_resolve(sim, core, op, "accumulators", SC_ISA_SPACE_ACC, 0, op->xd,
                        integer ? SC_DTYPE_INT32 : SC_DTYPE_FP32, M, m->n, op->g[2], &acc))
    return false;
  if (!sim_mxu_mm_fast(m, &a, &acc, op->in.sel == SC_ISA_ACCMODE_ACCUMULATE))
    return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS, "host out of memory for mxu.mm buffers");
  sim_count(core, SC_ISA_EVENT_MXU_MACS, M * m->k * m->n);
  return true;
}

// sram[xd]:ddt (M, N) = cvt(acc[xs1]:s1dt); group DRAIN {M, N, dst stride, acc stride}
bool sim_exec_MXU_DRAIN(sc_sim *sim, sim_core *core, const sim_op *op) {
  const sc_dtype sdt = (sc_dtype)op->in.s1dt, ddt = (sc_dtype)op->in.ddt;
  const uint64_t M = op->g[0], N = op->g[1];
  if (sdt != SC_DTYPE_FP32 && sdt != SC_DTYPE_INT32)
    return sim_trap(sim, core, op, SC_TRAP_BAD_DTYPE,
                    "accumulators: fp32 or int32 are drained, not %s", dt_name(sdt));
  sim_view d, s;
  if (!sim_view_resolve(sim, core, op, "dst", SC_ISA_SPACE_SRAM, 0, op->xd, ddt, M, N, op->g[2],
                        &d) ||
      !sim_view_resolve(sim, core, op, "accumulators", SC_ISA_SPACE_ACC, 0, op->xs1, sdt, M, N,
                        op->g[3], &s))
    return false;
  /* Different spaces: the source cannot overlap the destination. An int32
   * accumulator saturates into an integer dst and converts exactly as
   * (float) into a float one; an fp32 one converts with sim_store_f32. */
  if (!M || !N) return true;
  void *row = malloc((size_t)N * 4);
  if (!row)
    return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS, "host out of memory for a drain row");
  for (uint64_t i = 0; i < M; i++) {
    if (sdt == SC_DTYPE_INT32) {
      sim_row_load_i32(&s, i, row);
      sim_row_store_i32(&d, i, row);
    } else {
      sim_row_load_f32(&s, i, row);
      sim_row_store_f32(&d, i, row);
    }
  }
  free(row);
  return true;
}
