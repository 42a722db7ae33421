/* sim_dma.c: executors of the DMA instructions: strided 1-, 2- and 3-D block
 * copies between device memory, this core's SRAM and accumulators, and another
 * core's SRAM, with dtype conversion.
 *
 * A copy between equal dtypes moves the bytes unchanged (NaN payloads
 * included) and behaves as if the whole block were read before any of it is
 * written. A converting copy reads, converts and writes element by
 * element in ascending order: integer to integer saturates, everything else
 * goes through FP32 with sim_store_f32's rounding. */
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

/* One 2-D plane: n1 rows of n0 elements. */
static bool copy_plane(sc_sim *sim, sim_core *core, const sim_op *op, uint64_t dst_addr,
                       uint64_t src_addr, uint64_t n0, uint64_t n1, uint64_t dst_stride,
                       uint64_t src_stride) {
  const sc_insn *in = &op->in;
  sim_view d, s;
  if (!sim_view_resolve(sim, core, op, "dst", (unsigned)in->dsp, op->xc, dst_addr,
                        (sc_dtype)in->ddt, n1, n0, dst_stride, &d) ||
      !sim_view_resolve(sim, core, op, "src", (unsigned)in->s1sp, op->xc, src_addr,
                        (sc_dtype)in->s1dt, n1, n0, src_stride, &s))
    return false;
  if (!n0 || !n1) return true;
  unsigned bits = sc_dtype_bits(d.dtype);
  bool raw = d.dtype == s.dtype && (bits != 4 || n0 % 2 == 0);
  if (raw) {
    uint64_t row = bits == 4 ? n0 / 2 : n0 * (bits / 8);
    uint64_t span_d = (n1 - 1) * d.stride + row, span_s = (n1 - 1) * s.stride + row;
    bool overlap = d.base < s.base + span_s && s.base < d.base + span_d;
    uint8_t *tmp = NULL;
    const uint8_t *from = s.base;
    uint64_t from_stride = s.stride;
    if (overlap) { /* read the whole block first */
      tmp = malloc((size_t)(n1 * row));
      if (!tmp)
        return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS, "host out of memory for a copy");
      for (uint64_t i = 0; i < n1; i++) memcpy(tmp + i * row, s.base + i * s.stride, (size_t)row);
      from = tmp;
      from_stride = row;
    }
    for (uint64_t i = 0; i < n1; i++)
      memcpy(d.base + i * d.stride, from + i * from_stride, (size_t)row);
    free(tmp);
  } else {
    bool ints = !sc_dtype_is_float(d.dtype) && !sc_dtype_is_float(s.dtype);
    for (uint64_t i = 0; i < n1; i++)
      for (uint64_t j = 0; j < n0; j++) {
        if (ints)
          sim_store_i32(&d, i, j, sim_load_i32(&s, i, j));
        else
          sim_store_f32(&d, i, j, sim_load_f32(&s, i, j));
      }
  }
  /* Traffic counters, in bytes of each side. */
  uint64_t n = n0 * n1;
  uint64_t src_bytes = sc_dtype_bits(s.dtype) == 4 ? (n + 1) / 2 : n * (sc_dtype_bits(s.dtype) / 8);
  uint64_t dst_bytes = bits == 4 ? (n + 1) / 2 : n * (bits / 8);
  if (in->s1sp == SC_ISA_SPACE_HBM) sim_count(core, SC_ISA_EVENT_HBM_RD_BYTES, src_bytes);
  if (in->dsp == SC_ISA_SPACE_HBM) sim_count(core, SC_ISA_EVENT_HBM_WR_BYTES, dst_bytes);
  if (in->dsp == SC_ISA_SPACE_REMOTE) sim_count(core, SC_ISA_EVENT_NOC_BYTES, dst_bytes);
  if (in->s1sp == SC_ISA_SPACE_REMOTE) sim_count(core, SC_ISA_EVENT_NOC_BYTES, src_bytes);
  return true;
}

/* Groups: D1 {n0}; D2 {n0, n1, dst stride, src stride}. */
bool sim_exec_DMA_1D(sc_sim *sim, sim_core *core, const sim_op *op) {
  return copy_plane(sim, core, op, op->xd, op->xs1, op->g[0], 1, 0, 0);
}

bool sim_exec_DMA_2D(sc_sim *sim, sim_core *core, const sim_op *op) {
  return copy_plane(sim, core, op, op->xd, op->xs1, op->g[0], op->g[1], op->g[2], op->g[3]);
}

/* D3 {n0, n1, n2, dst stride1, dst stride2, src stride1, src stride2}. */
bool sim_exec_DMA_3D(sc_sim *sim, sim_core *core, const sim_op *op) {
  const uint64_t *g = op->g;
  for (uint64_t p = 0; p < g[2]; p++) {
    uint64_t dst = op->xd + p * g[4], src = op->xs1 + p * g[6];
    /* Plane addresses wrap modulo 2^64 like all address arithmetic; a wrapped
     * plane is out of bounds and traps in resolve. */
    if ((g[4] && p > (UINT64_MAX - op->xd) / g[4]) || (g[6] && p > (UINT64_MAX - op->xs1) / g[6]))
      return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS,
                      "plane %llu of the 3-D copy overflows the address space",
                      (unsigned long long)p);
    if (!copy_plane(sim, core, op, dst, src, g[0], g[1], g[3], g[5])) return false;
  }
  return true;
}
