/* perf.h: what a user sees of a timed run. Turns an sc_profile (profile.h),
 * filled by the simulator's timing model, into derived figures, the text
 * profile of `--profile`, a Chrome trace (the Trace Event Format that Perfetto
 * UI and chrome://tracing open) and a self-contained HTML report with a
 * roofline plot and a utilization timeline.
 *
 * Everything here only reads the profile, the architecture and the program;
 * output is appended to a caller-owned sc_strbuf and is deterministic (the
 * same inputs give the same bytes). The per-source-op breakdown uses the
 * program's debug map (program.h); prog may be NULL, and then every
 * instruction counts as "(no debug info)".
 *
 * A profile is checked before use: a core count without units, op intervals
 * naming a core, unit or DMA engine that does not exist or ending before they
 * start, or a per-pc table without its lengths are SC_STATUS_INVALID. */
#ifndef SEEDCHIP_PERF_H
#define SEEDCHIP_PERF_H

#include "seedchip/arch.h"
#include "seedchip/profile.h"
#include "seedchip/program.h"
#include "seedchip/status.h"
#include "seedchip/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills *out with the derived figures of p on a (formulas in docs/PERF_MODEL.md):
 *   seconds           = cycles / clock (the profile's clock_ghz, else the arch's)
 *   energy_j          = sum(energy_pj) * 1e-12; avg_power_w = energy_j / seconds
 *   flops             = 2 * sum(macs); achieved_flop_s = flops / seconds
 *   peak_flop_s       = flops / sum_d(2 * macs[d] / peak_ops_per_s[d]), the
 *                       MAC-weighted harmonic mean of the per-dtype peaks: the
 *                       rate of a chip that spends on each dtype the time its
 *                       share of MACs takes at that dtype's peak. 0 when there
 *                       are no MACs or some are of a dtype the MXU lacks.
 *   mxu_utilization   = achieved_flop_s / peak_flop_s
 *   mem_bytes         = rd + wr; achieved_mem_b_s = mem_bytes / seconds
 *   mem_peak_b_s      = mem_peak_gb_s * 1e9 (and mem_effective_b_s likewise)
 *   mem_utilization   = achieved_mem_b_s / mem_peak_b_s
 *   arithmetic_intensity = flops / mem_bytes
 * Every ratio is 0 when its denominator is 0. p and a must not be NULL; p is
 * not checked (the writers below check it). */
void sc_perf_summarize(const sc_profile *p, const sc_arch *a, sc_prof_summary *out);

/* Appends the `--profile` text to out: time and energy with the per-component
 * breakdown, a per-engine table (scalar, the DMA engines a has, mxu, vpu;
 * summed over cores), MXU and memory-bandwidth utilization, the stall and
 * overhead reasons ranked by cycles, and the 15 source ops (debug-map entries)
 * that held units longest. Lines are shorter than 100 columns.
 * prog may be NULL. Returns OK, INVALID_ARGUMENT (p, a or out NULL), INVALID
 * (a malformed profile, see above) or NO_MEMORY (out latched a failure). */
SC_MUST_USE sc_status sc_perf_text(const sc_profile *p, const sc_arch *a, const sc_program *prog,
                                   sc_strbuf *out);

/* Appends a Chrome trace (JSON object format) to out: one process per core
 * (pid = core, named "core N"), one thread per unit (tid = sc_unit, named
 * "scalar", "dma0" ... "mxu", "vpu"), one complete event ("ph":"X") per recorded
 * op with ts and dur in microseconds at the chip clock and args {pc, source,
 * cycles}, and a process "memory" (pid = n_cores) with the counter
 * "memory bandwidth (GB/s)": each op's mem_bytes spread evenly over
 * [start, end), in bins of max(1, cycles / 1000) cycles (cycles, or the
 * last op's end when that is later), one sample per bin
 * and a closing 0. Without recorded ops (p->ops NULL) the metadata is still
 * written, with a note in otherData. prog may be NULL.
 * Returns as sc_perf_text. */
SC_MUST_USE sc_status sc_perf_trace(const sc_profile *p, const sc_arch *a, const sc_program *prog,
                                    sc_strbuf *out);

/* Appends a self-contained HTML page (inline CSS and SVG; no scripts, fonts or
 * other resources) to out: title (escaped; NULL gives a default), the summary
 * figures, the energy breakdown, the engine, reason and source-op tables of
 * sc_perf_text, a log-log roofline plot (compute roof per supported dtype,
 * effective and peak memory roofs, ridge points, the run's point) and a
 * utilization timeline from the recorded ops (fraction of DMA engines, MXUs
 * and VPUs busy per time bin, and device-memory bandwidth). prog may be NULL.
 * Returns as sc_perf_text. */
SC_MUST_USE sc_status sc_perf_report(const sc_profile *p, const sc_arch *a, const sc_program *prog,
                                     const char *title, sc_strbuf *out);

#ifdef __cplusplus
}
#endif
#endif
