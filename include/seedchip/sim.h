/* sim.h: the functional simulator of a SeedChip chip: device memory, the code of
 * each core, a run to completion or to an architected trap, the trap report and
 * the performance counters.
 *
 * The simulator is the specification: it computes exactly the bits the hardware
 * would (docs/ISA.md defines each instruction, docs/NUMERICS.md the formats),
 * on any host. A bad program never crashes or corrupts the host: it traps, and
 * sc_sim_trap says which core, engine, pc and instruction, and why.
 *
 * Most users go through the runtime (runtime.h); the simulator is the layer
 * under it. */
#ifndef SEEDCHIP_SIM_H
#define SEEDCHIP_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/arch.h"
#include "seedchip/isa.h"
#include "seedchip/profile.h"
#include "seedchip/status.h"
#include "seedchip/system.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sc_trap_cause {
#define SC_TRAP(name, msg) SC_TRAP_##name,
#include "seedchip/trap.def"
#undef SC_TRAP
  SC_TRAP_COUNT
} sc_trap_cause;

/* The fixed message of a cause ("out-of-bounds access"). */
const char *sc_trap_cause_str(sc_trap_cause cause);

/* What stopped the chip. cause NONE when the last run completed. */
typedef struct sc_trap {
  sc_trap_cause cause;
  uint32_t core;
  sc_isa_engine engine;         /* the engine that executed (or waited on) the instruction */
  uint32_t pc;                  /* index of the instruction in the core's code */
  uint64_t word;                /* its encoding */
  char insn[SC_ISA_DISASM_MAX]; /* its canonical assembly text */
  char detail[320];             /* what exactly went wrong, with the values involved */
} sc_trap;

/* Performance counters per core are the ISA's EVENT selectors (cnt.read). */
typedef unsigned sc_sim_event; /* an SC_ISA_EVENT_ value */
#define SC_SIM_N_COUNTERS (SC_ISA_EVENT_VPU_ELEMS + 1)

typedef struct sc_sim sc_sim;

/* How a run is simulated (docs/SIM.md, docs/PERF_MODEL.md). */
typedef enum sc_sim_mode {
  SC_SIM_FUNCTIONAL,  /* data only, in rounds, on any number of host threads; no cycles */
  SC_SIM_TIMED,       /* data and time: each op executes when the timing model starts it */
  SC_SIM_TIMING_ONLY, /* time only: no data is read or written, no weights are needed */
  SC_SIM_MODE_COUNT
} sc_sim_mode;

/* "functional", "timed", "timing-only"; "?" out of range. */
const char *sc_sim_mode_name(sc_sim_mode m);
/* The mode named s, or SC_SIM_MODE_COUNT when none is. */
sc_sim_mode sc_sim_mode_parse(const char *s);

typedef struct sc_sim_options {
  uint64_t watchdog_insns; /* instructions per core per run before a WATCHDOG trap; 0 = 1e9 */
  unsigned threads;        /* host threads stepping the cores; 0 or 1 = the caller only */
  sc_sim_mode mode;        /* SC_SIM_FUNCTIONAL (0) unless set */
  bool record_ops;         /* timed modes: keep every op's interval for traces */
} sc_sim_options;

/* A chip described by arch (copied), with empty device memory and no code.
 * options may be NULL. NO_MEMORY, or INVALID when arch fails validation. */
SC_MUST_USE sc_status sc_sim_create(const sc_arch *arch, const sc_sim_options *options,
                                    sc_sim **out);
/* A system of chips (system.h): cores are numbered chip * cores + core and
 * chip c's device memory starts at sc_sys_chip_base(c); each chip's barrier
 * spans its own cores; transfers between chips cross the system's links.
 * sc_sim_create(arch) is the one-chip system of arch. */
SC_MUST_USE sc_status sc_sim_create_system(const sc_system *sys, const sc_sim_options *options,
                                           sc_sim **out);
void sc_sim_destroy(sc_sim *sim);

/* The message of the last failed call ("" when none). */
const char *sc_sim_errmsg(const sc_sim *sim);
/* Each chip's architecture. */
const sc_arch *sc_sim_arch(const sc_sim *sim);
const sc_system *sc_sim_system(const sc_sim *sim);
uint32_t sc_sim_chips(const sc_sim *sim);

/* ---- device memory: sparse, mapped ranges of [0, memory.capacity_bytes) ---- */

/* Maps [addr, addr + size) zero-filled. INVALID when it leaves the device or
 * overlaps a mapped range; NO_MEMORY when the host cannot back it. */
SC_MUST_USE sc_status sc_sim_map(sc_sim *sim, uint64_t addr, uint64_t size);
/* Maps [addr, addr + size) with no host memory behind it, for runs in the
 * timing-only mode (which move no data): a full-size model's weights need not
 * fit the host. Reads, writes and functional accesses of it fail (INVALID, an
 * out-of-bounds trap). Same statuses as sc_sim_map otherwise. */
SC_MUST_USE sc_status sc_sim_map_unbacked(sc_sim *sim, uint64_t addr, uint64_t size);
/* Maps size bytes at the lowest free address aligned to align. */
SC_MUST_USE sc_status sc_sim_alloc(sc_sim *sim, uint64_t size, uint64_t align, uint64_t *addr);
/* Unmaps the range that starts at addr. NOT_FOUND otherwise. */
SC_MUST_USE sc_status sc_sim_unmap(sc_sim *sim, uint64_t addr);
/* Copies between the host and a mapped range (the whole range must be mapped,
 * in one mapping). INVALID otherwise. */
SC_MUST_USE sc_status sc_sim_write(sc_sim *sim, uint64_t addr, const void *src, size_t n);
SC_MUST_USE sc_status sc_sim_read(sc_sim *sim, uint64_t addr, void *dst, size_t n);

/* ---- running ---- */

/* Sets the code of core (the words are copied). Cores without code idle.
 * INVALID when core >= the chip's cores; NO_MEMORY. */
SC_MUST_USE sc_status sc_sim_set_code(sc_sim *sim, uint32_t core, const uint64_t *words,
                                      size_t n_words);

/* Resets every core (registers, pc 0, semaphores, queues, counters; SRAM and
 * device memory keep their contents) and runs all cores until every core has
 * halted with empty queues. Returns OK, TRAP with the report in sc_sim_trap, or
 * NO_MEMORY when the host cannot back the cores' SRAM or its threads. */
SC_MUST_USE sc_status sc_sim_run(sc_sim *sim);

/* Instructions per core per run before a WATCHDOG trap (0 restores the default,
 * 1e9). */
void sc_sim_set_watchdog(sc_sim *sim, uint64_t insns);

/* Host threads that step the cores during a run (0 or 1: the calling thread
 * only). Results, traps and counters are identical for every thread count. */
void sc_sim_set_threads(sc_sim *sim, unsigned threads);

/* The simulation mode of later runs. In SC_SIM_TIMING_ONLY no data moves:
 * device memory, SRAM and outputs are left as they were, and only traps that
 * do not depend on data addresses are raised (docs/PERF_MODEL.md). */
void sc_sim_set_mode(sc_sim *sim, sc_sim_mode mode);
sc_sim_mode sc_sim_get_mode(const sc_sim *sim);
/* Timed modes: whether later runs keep every op's interval (sc_profile.ops)
 * for traces and timelines. Off by default (it costs memory per op). */
void sc_sim_set_record(sc_sim *sim, bool record_ops);

/* The bytes the host sends over the host link before the next run and reads
 * back after it (the runtime declares its bound buffers). Timed runs report
 * their host-link time and energy in the profile, apart from the chip's
 * cycles. Reset to 0 by each run. */
void sc_sim_set_host_traffic(sc_sim *sim, uint64_t to_device, uint64_t from_device);

/* Launch arguments: registers x1 .. xn of every core hold args[0 .. n-1]
 * when a run starts (the other registers hold 0). n <= SC_SIM_MAX_ARGS; more
 * are ignored. The values stay for later runs until set again. */
#define SC_SIM_MAX_ARGS 16
void sc_sim_set_args(sc_sim *sim, const uint64_t *args, unsigned n);

/* The profile of the last completed timed run, or NULL (functional mode, no
 * run yet, or the run trapped). Valid until the next run or destroy. */
const sc_profile *sc_sim_profile(const sc_sim *sim);

/* The trap of the last run (cause NONE after a clean run). */
const sc_trap *sc_sim_trap(const sc_sim *sim);

/* Counter c of core after the last run (0 when out of range). */
uint64_t sc_sim_counter(const sc_sim *sim, uint32_t core, sc_sim_event c);
/* Scalar register r of core after the last run (for tests and debugging). */
uint64_t sc_sim_reg(const sc_sim *sim, uint32_t core, unsigned r);

/* Direct access to a core's SRAM (for tests and the runtime's debugging
 * tools): copies [addr, addr + n) of core's SRAM. INVALID when out of range. */
SC_MUST_USE sc_status sc_sim_read_sram(sc_sim *sim, uint32_t core, uint64_t addr, void *dst,
                                       size_t n);
SC_MUST_USE sc_status sc_sim_write_sram(sc_sim *sim, uint32_t core, uint64_t addr, const void *src,
                                        size_t n);

#ifdef __cplusplus
}
#endif
#endif
