/* sim_scalar.h: the register and branch instructions that the scalar unit
 * runs at once, without capturing them (both modes' issue loops): their
 * operations as X-macro lists, which the executors of
 * sim_scalar.c expand too, and their compact form (sim_uop), made once per
 * instruction word when the code is decoded. */
#ifndef SEEDCHIP_SIM_SCALAR_H
#define SEEDCHIP_SIM_SCALAR_H

#include "sim_int.h"

#define S64(v) ((int64_t)(v))
/* The register-register and register-immediate ops: X(name, expr of a, b),
 * b the second register or the sign-extended immediate. The executors and
 * sim_uop_run both expand these. */
#define SIM_RR_OPS(X)                                                                              \
  X(ADD, a + b)                                                                                    \
  X(SUB, a - b)                                                                                    \
  X(MUL, a *b)                                                                                     \
  X(DIVU, b ? a / b : UINT64_MAX)                                                                  \
  X(REMU, b ? a % b : a)                                                                           \
  X(AND, a &b)                                                                                     \
  X(OR, a | b)                                                                                     \
  X(XOR, a ^ b)                                                                                    \
  X(SHL, a << (b & 63))                                                                            \
  X(SHR, a >> (b & 63))                                                                            \
  /* arithmetic shift without relying on implementation-defined >> of negatives */                 \
  X(SRA, S64(a) < 0 ? ~(~a >> (b & 63)) : a >> (b & 63))                                           \
  X(SLT, S64(a) < S64(b))                                                                          \
  X(SLTU, a < b)                                                                                   \
  X(MIN, S64(a) < S64(b) ? a : b)                                                                  \
  X(MAX, S64(a) > S64(b) ? a : b)                                                                  \
  X(MINU, a < b ? a : b)                                                                           \
  X(MAXU, a > b ? a : b)
#define SIM_RI_OPS(X)                                                                              \
  X(ADDI, a + b)                                                                                   \
  X(MULI, a *b)                                                                                    \
  X(ANDI, a &b)                                                                                    \
  X(ORI, a | b)                                                                                    \
  X(XORI, a ^ b)                                                                                   \
  X(SLTI, S64(a) < S64(b))                                                                         \
  X(SLTIU, a < b)                                                                                  \
  X(SHLI, a << (b & 63))                                                                           \
  X(SHRI, a >> (b & 63))                                                                           \
  X(SRAI, S64(a) < 0 ? ~(~a >> (b & 63)) : a >> (b & 63))
#define SIM_BRANCH_OPS(X)                                                                          \
  X(BEQ, a == b)                                                                                   \
  X(BNE, a != b)                                                                                   \
  X(BLT, S64(a) < S64(b))                                                                          \
  X(BGE, S64(a) >= S64(b))                                                                         \
  X(BLTU, a < b)                                                                                   \
  X(BGEU, a >= b)

/* Whether in is one of the instructions sim_uop_run runs (ALU ops, li, lih,
 * nop, branches, jal) with register numbers in range; *u is its compact form
 * (zeroed, opcode 0, when not). Waits and signals are the caller's business. */
static inline bool sim_uop_make(const sc_insn *in, sim_uop *u) {
  *u = (sim_uop){0};
  switch (in->opcode) {
#define FAST_CASE(name, expr) case SC_OP_##name:
    SIM_RR_OPS(FAST_CASE)
    SIM_RI_OPS(FAST_CASE)
    SIM_BRANCH_OPS(FAST_CASE)
#undef FAST_CASE
  case SC_OP_LI:
  case SC_OP_LIH:
  case SC_OP_NOP:
  case SC_OP_JAL:
    break;
  default:
    return false;
  }
  if (in->xd < 0 || in->xd >= SC_ISA_N_REGS || in->xs1 < 0 || in->xs1 >= SC_ISA_N_REGS ||
      in->xs2 < 0 || in->xs2 >= SC_ISA_N_REGS)
    return false;
  *u = (sim_uop){.imm = in->imm,
                 .opcode = in->opcode,
                 .xd = (uint8_t)in->xd,
                 .xs1 = (uint8_t)in->xs1,
                 .xs2 = (uint8_t)in->xs2};
  return true;
}

/* Runs the register and branch instructions from core's pc on, as
 * their executors would one by one, at most max of them: stops before the first
 * word that is not one (opcode 0; uop has such an entry past the code's end)
 * and before a branch that would leave the code. pc_cycles (NULL: not kept)
 * counts a cycle for each pc run. Returns how many ran. */
static inline uint64_t sim_uop_run(sim_core *core, const sim_uop *uop, uint64_t max,
                                   uint64_t *pc_cycles) {
  uint64_t *x = core->x;
  const uint64_t n_code = core->n_code;
  uint32_t pc = core->pc;
  uint64_t n = 0;
  while (n < max) {
    const sim_uop *in = &uop[pc];
    uint64_t a = x[in->xs1], b = x[in->xs2], i = (uint64_t)in->imm, v;
    uint32_t next = pc + 1;
    int64_t target;
    switch (in->opcode) {
#define FR(name, expr)                                                                             \
  case SC_OP_##name:                                                                               \
    v = (expr);                                                                                    \
    break;
#define FI(name, expr)                                                                             \
  case SC_OP_##name:                                                                               \
    b = i;                                                                                         \
    v = (expr);                                                                                    \
    break;
      SIM_RR_OPS(FR)
      SIM_RI_OPS(FI)
#undef FR
#undef FI
    case SC_OP_LI:
      v = i;
      break;
    case SC_OP_LIH:
      v = (x[in->xd] & 0xffffffffu) | i << 32;
      break;
    case SC_OP_NOP:
      goto advance;
#define FB(name, cond)                                                                             \
  case SC_OP_##name:                                                                               \
    if (!(cond)) goto advance;                                                                     \
    goto taken;
      SIM_BRANCH_OPS(FB)
#undef FB
    case SC_OP_JAL:
      target = (int64_t)pc + in->imm;
      if (target < 0 || (uint64_t)target >= n_code) goto stop;
      if (in->xd) x[in->xd] = (uint64_t)pc + 1;
      next = (uint32_t)target;
      goto advance;
    default:
      goto stop;
    }
    if (in->xd) x[in->xd] = v;
    goto advance;
  taken:
    target = (int64_t)pc + in->imm;
    if (target < 0 || (uint64_t)target >= n_code) goto stop;
    next = (uint32_t)target;
  advance:
    if (pc_cycles) pc_cycles[pc]++;
    pc = next;
    n++;
  }
stop:
  core->pc = pc;
  return n;
}

#endif
