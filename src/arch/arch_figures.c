/* arch_figures.c: the figures derived from an architecture description. Every
 * formula here is written out in docs/ARCH.md ("Derived figures"); keep them in
 * step. Inputs are validated, so counts are >= 1 and products fit in a double. */
#include <string.h>

#include "seedchip/arch.h"

void sc_arch_derive(const sc_arch *a, sc_arch_figures *out) {
  memset(out, 0, sizeof *out);
  const double hz = a->clock_ghz * 1e9;
  const double cores = a->cores.count;
  out->cores = a->cores.count;
  out->pes_per_core = (uint64_t)a->core.mxu.rows * a->core.mxu.cols;
  out->mem_capacity_bytes = a->memory.capacity_bytes;
  out->mem_peak_gb_s = a->memory.channels * a->memory.channel_peak_gb_s;
  out->mem_effective_gb_s = a->memory.effective_gb_s;
  out->mem_efficiency = out->mem_peak_gb_s > 0 ? out->mem_effective_gb_s / out->mem_peak_gb_s : 0;
  out->mem_power_w = a->memory.effective_gb_s * 1e9 * a->energy.memory_pj_per_byte * 1e-12;

  /* A MAC is two operations (multiply, add), the convention of FLOP/s and TOPS. */
  const double bytes_per_s = a->memory.effective_gb_s * 1e9;
  for (int t = 0; t < SC_DTYPE_COUNT; t++) {
    double rate = a->core.mxu.macs_per_pe_cycle[t];
    if (!(rate > 0)) continue;
    double macs_per_s = cores * (double)out->pes_per_core * rate * hz;
    out->peak_ops_per_s[t] = 2 * macs_per_s;
    out->ridge_ops_per_byte[t] = bytes_per_s > 0 ? out->peak_ops_per_s[t] / bytes_per_s : 0;
    out->mxu_power_w[t] = macs_per_s * a->energy.mac_pj[t] * 1e-12;
  }
  out->vpu_ops_per_s = cores * a->core.vpu.lanes * a->core.vpu.alu_ops_per_lane_cycle * hz;
  out->sfu_elems_per_s = cores * a->core.vpu.sfu_elems_per_cycle * hz;

  out->sram_bytes_per_core = a->core.sram.size_bytes;
  out->sram_bytes_chip = a->core.sram.size_bytes * a->cores.count;
  out->sram_bank_bytes = a->core.sram.banks ? a->core.sram.size_bytes / a->core.sram.banks : 0;
  out->sram_gb_s_per_core = (double)a->core.sram.banks * a->core.sram.ports_per_bank *
                            a->core.sram.bank_width_bytes * hz / 1e9;
  out->acc_bytes_per_core = a->core.acc_sram.size_bytes;
  out->acc_bytes_chip = a->core.acc_sram.size_bytes * a->cores.count;

  /* R x C mesh. The narrowest bisection cuts across the longer dimension, so it
   * crosses one link per row (or column) of the shorter one: min(R, C) links,
   * none when the mesh is a single core. */
  uint32_t r = a->cores.mesh_rows, c = a->cores.mesh_cols;
  out->noc_diameter_hops = (r ? r - 1 : 0) + (c ? c - 1 : 0);
  out->noc_link_gb_s = a->noc.link_width_bytes * hz / 1e9;
  out->noc_bisection_links = (r > 1 || c > 1) ? (r < c ? r : c) : 0;
  out->noc_bisection_gb_s = out->noc_bisection_links * out->noc_link_gb_s;
  out->noc_bisection_gb_s_both = 2 * out->noc_bisection_gb_s;

  out->chip_links_gb_s = a->chip_links.count * a->chip_links.gb_s;
  out->chip_links_gb_s_both = 2 * out->chip_links_gb_s;
  out->host_link_gb_s = a->host_link.gb_s;
  out->tdp_w = a->power.tdp_w;
  out->static_w = a->energy.static_w;
}
