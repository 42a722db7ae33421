/* sim_int.h: the functional simulator's state, shared by its files.
 *
 * Model (docs/SIM.md): each core has a scalar unit that issues its program in
 * order, and one in-order queue per engine (each DMA engine, the MXU, the VPU).
 * Scalar and sync instructions execute at issue; DMA, MXU and VPU instructions
 * are captured (register operands read at issue) and queued. An engine runs
 * the op at the head of its queue when the op's wait semaphore is > 0. The
 * scheduler steps every core and engine in a fixed order, so results never
 * depend on the host. Every memory access is resolved through sim_view_resolve,
 * which bounds- and alignment-checks it; failures become traps, never host
 * accesses. */
#ifndef SEEDCHIP_SIM_INT_H
#define SEEDCHIP_SIM_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "seedchip/arch.h"
#include "seedchip/isa.h"
#include "seedchip/profile.h"
#include "seedchip/sim.h"
#include "seedchip/system.h"
#include "sim_mem.h"

enum {
  SIM_QUEUE_DEPTH = 16, /* ops an engine queue holds; issue stalls when full */
  SIM_MAX_DMA = 4,      /* the eng field is 2 bits */
  SIM_MAX_GROUP = 8,    /* registers in the largest group */
};

/* Queues of a core: DMA engines 0..3, then the MXU and the VPU. */
enum { SIM_Q_MXU = SIM_MAX_DMA, SIM_Q_VPU, SIM_N_QUEUES };

/* An instruction captured at issue: decoded fields plus the values its register
 * operands held then (so later scalar writes do not affect a queued op). */
typedef struct sim_op {
  sc_insn in;
  uint32_t pc;
  uint64_t t_issue;          /* timed modes: the cycle the scalar unit issued it */
  uint64_t xd, xs1, xs2, xc; /* values of the registers named by those slots */
  uint64_t g[SIM_MAX_GROUP]; /* values of the group xg .. xg+n-1 */
} sim_op;

typedef struct sim_queue {
  sim_op ops[SIM_QUEUE_DEPTH];
  uint32_t head, count;
} sim_queue;

/* The matrix unit's weight tile: K x N values held in FP32 (float dtypes, exact)
 * or INT32 (int8 / int4), ready for sim_exec_MXU_MM. */
typedef struct sim_mxu {
  bool loaded;
  sc_dtype dtype; /* the array dtype the tile was loaded as */
  uint32_t k, n;
  float *wf;   /* rows x cols of the arch, row-major K x N used */
  int32_t *wi; /* same, for integer tiles */
} sim_mxu;

/* A semaphore signal to another core, delivered when the round ends. */
typedef struct sim_signal {
  uint32_t core, sem;
  uint64_t count;
} sim_signal;

/* A register or branch instruction that neither waits nor signals, in the
 * compact form the timed issue loop runs (sim_scalar.h): a sixth of an
 * sc_insn, so long runs of them stay in the cache. */
typedef struct sim_uop {
  int64_t imm;
  uint8_t opcode; /* 0: the word is not such an instruction */
  uint8_t xd, xs1, xs2;
} sim_uop;

/* A core's code, shared by the cores given the same words (a program's
 * cores usually run one code): copied once, decoded once. */
typedef struct sim_code {
  uint64_t *words;
  size_t n;
  sc_insn *dec;       /* the decoded words (before the first run after the code changed) */
  uint8_t *dec_state; /* SIM_DEC_OK, or SIM_DEC_BAD for a word that does not decode */
  sim_uop *uop;       /* each word's compact form, where it has one (with dec) */
  bool decoded;
  uint32_t refs;
} sim_code;

enum { SIM_DEC_OK = 1, SIM_DEC_BAD = 2 };

typedef struct sim_core {
  uint32_t id; /* global: chip * cores per chip + the core's index on its chip */
  uint32_t chip;
  uint64_t x[SC_ISA_N_REGS];
  uint32_t pc;
  bool issuing; /* false after halt (or when the core has no code) */
  bool at_barrier;
  uint64_t sem[SC_ISA_N_SEMS];
  const uint64_t *code; /* cobj's words (NULL without code) */
  size_t n_code;
  sim_code *cobj; /* shared by every core with the same code */
  uint8_t *sram;  /* arch core.sram.size_bytes, allocated on first use */
  uint8_t *acc;   /* arch core.acc_sram.size_bytes */
  sim_queue q[SIM_N_QUEUES];
  sim_mxu mxu;
  uint64_t counters[SC_SIM_N_COUNTERS];
  /* Per-round state: a core touches only its own while the round runs (cores
   * may run on different host threads); the scheduler reads it at the end. */
  sc_trap trap;       /* the core's first trap in this run */
  uint64_t executed;  /* instructions executed in this run (watchdog) */
  bool moved;         /* something advanced in this round */
  sim_signal *outbox; /* signals to other cores raised in this round */
  size_t n_out, cap_out;
} sim_core;

typedef struct sim_cost_memo sim_cost_memo;
void sim_cost_memo_free(sim_cost_memo *m);

struct sc_sim {
  sc_system sys; /* the chips (one for a plain chip) */
  sc_arch arch;  /* each chip's (sys.chip) */
  sim_mem mem;   /* every chip's device memory (sc_sys_chip_base) */
  sim_core *cores;
  uint32_t n_cores; /* chips * chip_cores */
  uint32_t chips, chip_cores;
  uint64_t watchdog; /* instructions per core per run before WATCHDOG */
  unsigned threads;  /* host threads that step cores (1 = the caller only) */
  sc_trap trap;      /* the run's trap: the lowest-numbered core's */
  sc_sim_mode mode;
  bool record_ops;     /* timed modes: keep every op's interval in the profile */
  sc_profile profile;  /* of the last timed run */
  sim_cost_memo *memo; /* MXU and VPU op costs (sim_time.h), NULL until a timed run */
  uint64_t host_to_device, host_from_device; /* host-link bytes of the next run */
  uint64_t args[SC_SIM_MAX_ARGS];            /* launch arguments: x1 .. x[n_args] */
  unsigned n_args;
  bool have_profile;
  char errmsg[512];
};

/* A rows x cols tile of dtype at host memory: element (i, j) starts at
 * base + i * stride + j * elem_bytes (INT4: byte j / 2, low nibble for even j). */
typedef struct sim_view {
  uint8_t *base;
  sc_dtype dtype;
  uint64_t rows, cols;
  uint64_t stride; /* bytes between rows */
} sim_view;

/* Sends count to semaphore sem of core target: at once when target is this
 * core, else when the round ends (in core order, so that the result does not
 * depend on how cores are spread over host threads). False after raising a
 * trap when the host runs out of memory. */
bool sim_post_signal(sc_sim *sim, sim_core *core, const sim_op *op, uint32_t target, uint32_t sem,
                     uint64_t count);

/* Records a trap raised by op on core (the core's first trap wins) and returns false,
 * so executors end with `return sim_trap(...)`. detail is printf-style. */
SC_PRINTF(5, 6)
bool sim_trap(sc_sim *sim, const sim_core *core, const sim_op *op, sc_trap_cause cause,
              const char *fmt, ...);

/* Resolves a rows x cols tile of dtype at byte address addr of space (an
 * SC_ISA_SPACE_ value; remote_core for SC_ISA_SPACE_REMOTE) into *v. Checks:
 * the space exists, addr and stride are aligned to the element size (INT4: to a
 * byte, and cols even unless rows is 1), every element lies inside the space,
 * and no size overflows. rows or cols 0 is an empty view (no checks beyond the
 * space). On failure raises the trap on behalf of op and returns false. `what`
 * names the operand in the trap message ("src1"). */
bool sim_view_resolve(sc_sim *sim, sim_core *core, const sim_op *op, const char *what,
                      unsigned space, uint64_t remote_core, uint64_t addr, sc_dtype dtype,
                      uint64_t rows, uint64_t cols, uint64_t stride, sim_view *v);

/* Element (i, j) of v as FP32 (ints convert exactly up to 2^24, INT32 rounds
 * to nearest even), and storing an FP32 into (i, j) converted to v's dtype:
 * floats round to nearest even (FP8 saturating to the largest finite value,
 * NaN stays NaN), ints round half to even and saturate (NaN gives 0). */
float sim_load_f32(const sim_view *v, uint64_t i, uint64_t j);
void sim_store_f32(const sim_view *v, uint64_t i, uint64_t j, float x);
/* Integer access for INT8 / INT4 / INT32 views. */
int32_t sim_load_i32(const sim_view *v, uint64_t i, uint64_t j);
void sim_store_i32(const sim_view *v, uint64_t i, uint64_t j, int32_t x);

/* One executor per instruction, generated from isa.def: returns false when the
 * op trapped (after calling sim_trap). Scalar and sync executors are in
 * sim_scalar.c, DMA in sim_dma.c, MXU in sim_mxu.c, VPU in sim_vpu.c. */
typedef bool (*sim_exec_fn)(sc_sim *sim, sim_core *core, const sim_op *op);
#define SC_INSN(name, opcode, mnemonic, engine, format, group, flags, semantics)                   \
  bool sim_exec_##name(sc_sim *sim, sim_core *core, const sim_op *op);
#include "seedchip/isa.def"

/* ---- shared with the timed scheduler (sim_timed.c) ---- */

/* Counts one executed instruction against the watchdog; false (after the
 * WATCHDOG trap) when the budget is spent. */
bool sim_watchdog(sc_sim *sim, sim_core *core, const sim_op *op);
/* The watchdog, then op's executor; its signal is the caller's business. */
bool sim_exec(sc_sim *sim, sim_core *core, const sim_op *op);
/* Captures the register operands of in (the slots its format has) into op. */
void sim_capture(const sim_core *core, const sc_insn *in, uint32_t pc, sim_op *op);
/* Each opcode's engine (sc_isa_info_of's), as a table for the issue loops
 * and the costing, which look at every instruction (sim_cost.c). */
extern const uint8_t sim_engine_of[256];
/* Which queue an engine op of that engine goes to. */
static inline unsigned sim_queue_of(unsigned engine, const sc_insn *in) {
  return engine == SC_ISA_ENGINE_DMA   ? (unsigned)in->eng
         : engine == SC_ISA_ENGINE_MXU ? SIM_Q_MXU
                                       : SIM_Q_VPU;
}
/* Resets the cores for a run and backs every core's SRAM and accumulators, so
 * that no allocation happens while cores run. False when out of host memory. */
bool sim_reset(sc_sim *sim);
bool sim_core_done(const sim_core *core);
/* Describes a blocked engine of a deadlocked chip into the first unfinished
 * core's trap. */
void sim_report_deadlock(sc_sim *sim);
/* Runs the loaded program in a timed mode: 0 done, 1 trapped, -1 out of host
 * memory. Fills sim->profile. */
int sim_run_timed(sc_sim *sim);
void sim_profile_free(sc_profile *p);

/* "chip" or "system", for messages about core ids. */
static inline const char *sim_what(const sc_sim *sim) {
  return sim->chips > 1 ? "system" : "chip";
}

/* Counter bumps, so executors need not know the layout. */
static inline void sim_count(sim_core *core, sc_sim_event c, uint64_t n) {
  core->counters[c] += n;
}

#endif
