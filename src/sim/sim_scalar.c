/* sim_scalar.c: executors of the scalar and sync instructions (isa.def rows
 * 0x01-0x4f). They run at issue on the scalar unit and set the next pc: pc + 1,
 * a branch target, or the same pc for a sync instruction that must block (the
 * scheduler retries it next round). Writes to x0 are dropped. */
#include "sim_int.h"
#include "sim_scalar.h"

static void wr(sim_core *core, const sim_op *op, uint64_t v) {
  if (op->in.xd != 0) core->x[op->in.xd] = v;
}

static bool next(sim_core *core) {
  core->pc++;
  return true;
}

/* Register-register ops: xd = f(xs1, xs2). */
#define RR(name, expr)                                                                             \
  bool sim_exec_##name(sc_sim *sim, sim_core *core, const sim_op *op) {                            \
    (void)sim;                                                                                     \
    uint64_t a = op->xs1, b = op->xs2;                                                             \
    wr(core, op, (expr));                                                                          \
    return next(core);                                                                             \
  }
/* Register-immediate ops: b = the sign-extended immediate. */
#define RI(name, expr)                                                                             \
  bool sim_exec_##name(sc_sim *sim, sim_core *core, const sim_op *op) {                            \
    (void)sim;                                                                                     \
    uint64_t a = op->xs1, b = (uint64_t)op->in.imm;                                                \
    wr(core, op, (expr));                                                                          \
    return next(core);                                                                             \
  }

SIM_RR_OPS(RR)
SIM_RI_OPS(RI)

bool sim_exec_NOP(sc_sim *sim, sim_core *core, const sim_op *op) {
  (void)sim, (void)op;
  return next(core);
}

bool sim_exec_HALT(sc_sim *sim, sim_core *core, const sim_op *op) {
  (void)sim, (void)op;
  core->issuing = false;
  return true;
}

bool sim_exec_LI(sc_sim *sim, sim_core *core, const sim_op *op) {
  (void)sim;
  wr(core, op, (uint64_t)op->in.imm);
  return next(core);
}

bool sim_exec_LIH(sc_sim *sim, sim_core *core, const sim_op *op) {
  (void)sim;
  wr(core, op, (op->xd & 0xffffffffu) | (uint64_t)op->in.imm << 32);
  return next(core);
}

bool sim_exec_CSRR(sc_sim *sim, sim_core *core, const sim_op *op) {
  uint64_t v = 0;
  switch (op->in.sel) {
  case SC_ISA_CSR_CORE_ID: /* on its chip; the global id is chip_id * core_count + core_id */
    v = core->id % sim->chip_cores;
    break;
  case SC_ISA_CSR_CORE_COUNT:
    v = sim->chip_cores;
    break;
  case SC_ISA_CSR_CHIP_ID:
    v = core->chip;
    break;
  case SC_ISA_CSR_CHIP_COUNT:
    v = sim->chips;
    break;
  default:
    break;
  }
  wr(core, op, v);
  return next(core);
}

/* Loads from this core's SRAM: little-endian, aligned, inside the SRAM. */
static bool load(sc_sim *sim, sim_core *core, const sim_op *op, unsigned bytes) {
  uint64_t addr = op->xs1 + (uint64_t)op->in.imm;
  sim_view v;
  if (!sim_view_resolve(sim, core, op, "address", SC_ISA_SPACE_SRAM, 0, addr, SC_DTYPE_INT32, 1,
                        bytes / 4, 0, &v))
    return false;
  if (addr % bytes)
    return sim_trap(sim, core, op, SC_TRAP_MISALIGNED, "address 0x%llx is not a multiple of %u",
                    (unsigned long long)addr, bytes);
  uint64_t x = 0;
  for (unsigned b = 0; b < bytes; b++) x |= (uint64_t)v.base[b] << (8 * b);
  if (bytes == 4) x = (uint64_t)(int64_t)(int32_t)(uint32_t)x;
  wr(core, op, x);
  return next(core);
}

bool sim_exec_LW(sc_sim *sim, sim_core *core, const sim_op *op) {
  return load(sim, core, op, 4);
}

bool sim_exec_LD(sc_sim *sim, sim_core *core, const sim_op *op) {
  return load(sim, core, op, 8);
}

/* pc = pc + offset, trapping when the target leaves the code. */
static bool jump(sc_sim *sim, sim_core *core, const sim_op *op, int64_t target) {
  if (target < 0 || (uint64_t)target >= core->n_code)
    return sim_trap(sim, core, op, SC_TRAP_PC_OUT_OF_RANGE,
                    "branch target %lld is outside the core's %zu instructions", (long long)target,
                    core->n_code);
  core->pc = (uint32_t)target;
  return true;
}

#define BRANCH(name, cond)                                                                         \
  bool sim_exec_##name(sc_sim *sim, sim_core *core, const sim_op *op) {                            \
    uint64_t a = op->xs1, b = op->xs2;                                                             \
    if (cond) return jump(sim, core, op, (int64_t)op->pc + op->in.imm);                            \
    return next(core);                                                                             \
  }
SIM_BRANCH_OPS(BRANCH)

bool sim_exec_JAL(sc_sim *sim, sim_core *core, const sim_op *op) {
  wr(core, op, (uint64_t)op->pc + 1);
  return jump(sim, core, op, (int64_t)op->pc + op->in.imm);
}

bool sim_exec_JALR(sc_sim *sim, sim_core *core, const sim_op *op) {
  uint64_t target = op->xs1 + (uint64_t)op->in.imm;
  wr(core, op, (uint64_t)op->pc + 1);
  if (target > INT64_MAX) target = (uint64_t)INT64_MAX; /* traps as out of range */
  return jump(sim, core, op, (int64_t)target);
}

/* ---- sync ---- */

bool sim_exec_SYNC_WAIT(sc_sim *sim, sim_core *core, const sim_op *op) {
  (void)sim;
  uint64_t need = (uint64_t)op->in.imm;
  if (core->sem[op->in.sem] < need) return true; /* blocked: pc unchanged */
  core->sem[op->in.sem] -= need;
  return next(core);
}

bool sim_exec_SYNC_SIGNAL(sc_sim *sim, sim_core *core, const sim_op *op) {
  if (op->xc >= sim->n_cores)
    return sim_trap(sim, core, op, SC_TRAP_BAD_CORE, "signal to core %llu, the %s has %u",
                    (unsigned long long)op->xc, sim_what(sim), sim->n_cores);
  if (!sim_post_signal(sim, core, op, (uint32_t)op->xc, (uint32_t)op->in.sem, (uint64_t)op->in.imm))
    return false;
  return next(core);
}

bool sim_exec_SYNC_BARRIER(sc_sim *sim, sim_core *core, const sim_op *op) {
  (void)sim, (void)op;
  core->at_barrier = true; /* the scheduler releases it (pc + 1) when all arrive */
  return true;
}

bool sim_exec_SYNC_FENCE(sc_sim *sim, sim_core *core, const sim_op *op) {
  (void)sim;
  unsigned lo = 0, hi = SIM_N_QUEUES;
  switch (op->in.sel) {
  case SC_ISA_FENCE_DMA:
    hi = SIM_MAX_DMA;
    break;
  case SC_ISA_FENCE_MXU:
    lo = SIM_Q_MXU, hi = SIM_Q_MXU + 1;
    break;
  case SC_ISA_FENCE_VPU:
    lo = SIM_Q_VPU, hi = SIM_Q_VPU + 1;
    break;
  default:
    break;
  }
  for (unsigned q = lo; q < hi; q++)
    if (core->q[q].count) return true; /* blocked until they drain */
  return next(core);
}

bool sim_exec_CNT_READ(sc_sim *sim, sim_core *core, const sim_op *op) {
  (void)sim;
  wr(core, op, (unsigned)op->in.sel < SC_SIM_N_COUNTERS ? core->counters[op->in.sel] : 0);
  return next(core);
}
