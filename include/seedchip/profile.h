/* profile.h: what a timed run measured: cycles, per-unit busy time and the
 * reasons behind lost cycles, action counts, energy per component, time per
 * instruction, and (when asked for) every op's interval for traces.
 *
 * The simulator fills an sc_profile in its timed modes (sim.h: SC_SIM_TIMED,
 * SC_SIM_TIMING_ONLY); the perf layer (perf.h) turns it into the text profile,
 * the Perfetto trace and the HTML report. Every number here comes from the
 * timing model of docs/PERF_MODEL.md with the constants of the architecture. */
#ifndef SEEDCHIP_PROFILE_H
#define SEEDCHIP_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "seedchip/dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The units of a core, in report order: the scalar unit, DMA engines 0-3, the
 * MXU and the VPU. */
typedef enum sc_unit {
  SC_UNIT_SCALAR,
  SC_UNIT_DMA0,
  SC_UNIT_DMA1,
  SC_UNIT_DMA2,
  SC_UNIT_DMA3,
  SC_UNIT_MXU,
  SC_UNIT_VPU,
  SC_UNIT_COUNT
} sc_unit;

/* "scalar", "dma0" ... "vpu"; "?" out of range. */
const char *sc_unit_name(sc_unit u);

typedef enum sc_reason {
#define SC_REASON(name, key, doc) SC_REASON_##name,
#include "seedchip/reason.def"
  SC_REASON_COUNT
} sc_reason;

const char *sc_reason_key(sc_reason r); /* "sem_wait"; "?" out of range */
const char *sc_reason_doc(sc_reason r);

/* Energy components, in picojoules. */
typedef enum sc_energy {
  SC_ENERGY_MXU,    /* MACs times energy.mac_pj of their dtype */
  SC_ENERGY_VPU,    /* ALU ops and special-function results */
  SC_ENERGY_SRAM,   /* scratchpad bytes read and written */
  SC_ENERGY_ACC,    /* accumulator bytes read and written */
  SC_ENERGY_MEMORY, /* device-memory bytes read and written */
  SC_ENERGY_NOC,    /* byte-hops over the NoC (a core's port counts as one hop) */
  SC_ENERGY_STATIC, /* energy.static_w over the run's time */
  SC_ENERGY_HOST,   /* bytes over the host link (energy.host_link_pj_per_byte) */
  SC_ENERGY_LINK,   /* bytes times chip-to-chip links crossed (system links.pj_per_byte) */
  SC_ENERGY_COUNT
} sc_energy;

const char *sc_energy_name(sc_energy e); /* "mxu" ... "static", "host" */

/* One unit of one core. */
typedef struct sc_prof_unit {
  uint64_t ops;                     /* ops (instructions) the unit executed */
  uint64_t busy;                    /* cycles with at least one op in flight */
  uint64_t reason[SC_REASON_COUNT]; /* cycles lost, by reason (see reason.def) */
} sc_prof_unit;

/* One op's interval, for traces (recorded only when asked for). */
typedef struct sc_prof_op {
  uint32_t core;
  uint8_t unit; /* sc_unit */
  uint8_t opcode;
  uint32_t pc;
  uint64_t start, end; /* cycles; end is when the op completed (signal time) */
  uint64_t mem_bytes;  /* device-memory bytes the op moved (DMA), else 0 */
} sc_prof_op;

/* Action counts of the whole chip or system (summed over cores). */
typedef struct sc_prof_actions {
  uint64_t macs[SC_DTYPE_COUNT];       /* by the MXU's input dtype */
  uint64_t vpu_ops;                    /* lane ALU ops */
  uint64_t sfu_elems;                  /* special-function results */
  uint64_t sram_bytes;                 /* scratchpad bytes read + written (DMA, MXU, VPU) */
  uint64_t acc_bytes;                  /* accumulator bytes read + written */
  uint64_t mem_rd_bytes, mem_wr_bytes; /* device memory */
  uint64_t noc_bytes;                  /* bytes through the NoC (remote SRAM and device memory) */
  uint64_t noc_byte_hops;              /* bytes times hops (a core's port counts as one hop) */
  uint64_t link_bytes;                 /* bytes sent from one chip to another */
  uint64_t link_byte_hops;             /* bytes times chip-to-chip links crossed */
} sc_prof_actions;

typedef struct sc_profile {
  uint64_t cycles;                      /* from launch to the last core done */
  double clock_ghz;                     /* of the architecture */
  uint32_t n_cores;                     /* of the system: chips * cores per chip */
  uint32_t chips;                       /* 1 for a chip */
  sc_prof_unit (*units)[SC_UNIT_COUNT]; /* units[core][unit] */
  uint64_t *core_end;                   /* cycle each core finished */
  sc_prof_actions actions;
  double energy_pj[SC_ENERGY_COUNT];
  /* The host link: bytes sent before the run and read back after it, and the
   * cycles (at the chip clock) they take, latency included. Not part of
   * `cycles`, which is the chip's time; SC_ENERGY_HOST is their energy. */
  uint64_t host_to_device, host_from_device, host_cycles;
  /* Cycles charged to each instruction, per core: the cycles an engine op was
   * in flight, one per scalar instruction issued, plus the cycles the scalar
   * unit waited in a sync instruction (or for room in a queue). pc_cycles[core]
   * has n_code[core] entries. The per-source-op breakdown sums them. */
  uint64_t **pc_cycles;
  size_t *n_code;
  /* Op intervals in completion order (NULL unless trace recording is on). */
  sc_prof_op *ops;
  size_t n_ops;
} sc_profile;

/* Derived figures of a profile on its architecture (formulas in
 * docs/PERF_MODEL.md). */
typedef struct sc_prof_summary {
  double seconds;          /* cycles / clock */
  double energy_j;         /* sum of energy_pj */
  double avg_power_w;      /* energy / seconds */
  double flops;            /* 2 * MACs */
  double achieved_flop_s;  /* flops / seconds */
  double peak_flop_s;      /* the chip's peak for the dtype mix of the run's MACs */
  double mxu_utilization;  /* achieved / peak (0 when no MACs) */
  double mem_bytes;        /* read + written */
  double achieved_mem_b_s; /* mem_bytes / seconds */
  double mem_peak_b_s;     /* channels * channel peak */
  double mem_effective_b_s;
  double mem_utilization;      /* achieved / peak */
  double arithmetic_intensity; /* flops / mem_bytes (0 when no bytes) */
} sc_prof_summary;

#ifdef __cplusplus
}
#endif
#endif
