/* isa_int.h: private declarations shared by the isa layer's files. */
#ifndef SEEDCHIP_ISA_INT_H
#define SEEDCHIP_ISA_INT_H

#include "seedchip/isa.h"

/* The mask of width low bits (width 1..64). */
static inline uint64_t isa_mask(unsigned width) {
  return width >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << width) - 1);
}

/* Whether kind is read with sign extension. */
static inline bool isa_kind_signed(sc_isa_kind k) {
  return k == SC_ISA_KIND_SIMM || k == SC_ISA_KIND_PCREL;
}

/* The header bits of in (opcode, wait, signal), assuming they are in range. */
uint64_t isa_header(const sc_insn *in);

#endif
