/* test_isa_gen.h: legal and illegal field values for the isa tests, derived
 * from the table alone (so a new row is tested without touching the tests). */
#ifndef TEST_ISA_GEN_H
#define TEST_ISA_GEN_H

#include <stdint.h>

#include "seedchip/dtype.h"
#include "seedchip/isa.h"

/* A fixed-seed generator: the same values on every host. */
static inline uint64_t gen_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Is v a legal value of field f for an instruction with group g? */
static inline bool gen_legal(const sc_isa_field *f, sc_isa_group g, int64_t v) {
  return sc_isa_field_check(f, g, v, NULL, 0) == SC_STATUS_OK;
}

/* The smallest and largest legal values of f (scans the raw range). */
static inline int64_t gen_min(const sc_isa_field *f, sc_isa_group g) {
  if (f->kind == SC_ISA_KIND_SIMM || f->kind == SC_ISA_KIND_PCREL)
    return -(int64_t)((uint64_t)1 << (f->width - 1));
  for (int64_t v = 0;; v++)
    if (gen_legal(f, g, v)) return v;
}

static inline int64_t gen_max(const sc_isa_field *f, sc_isa_group g) {
  if (f->kind == SC_ISA_KIND_SIMM || f->kind == SC_ISA_KIND_PCREL)
    return (int64_t)(((uint64_t)1 << (f->width - 1)) - 1);
  if (f->kind == SC_ISA_KIND_UIMM) return (int64_t)(((uint64_t)1 << f->width) - 1);
  for (int64_t v = (int64_t)(((uint64_t)1 << f->width) - 1);; v--)
    if (gen_legal(f, g, v)) return v;
}

/* A random legal value of f. */
static inline int64_t gen_random(const sc_isa_field *f, sc_isa_group g, uint64_t *seed) {
  for (;;) {
    uint64_t raw = gen_next(seed) & (f->width >= 64 ? ~0ull : ((1ull << f->width) - 1));
    int64_t v = (int64_t)raw;
    if ((f->kind == SC_ISA_KIND_SIMM || f->kind == SC_ISA_KIND_PCREL) &&
        (raw >> (f->width - 1)) & 1)
      v = (int64_t)(raw | ~((1ull << f->width) - 1));
    if (gen_legal(f, g, v)) return v;
  }
}

enum { GEN_MIN, GEN_MAX, GEN_RANDOM };

/* An instruction of row info with every field at its min, max or a random
 * legal value, and a wait/signal chosen from the seed. */
static inline sc_insn gen_insn(const sc_isa_info *info, int how, uint64_t *seed) {
  sc_insn in = {.opcode = info->opcode};
  const sc_isa_format_info *fi = sc_isa_format_of(info->format);
  for (unsigned i = 0; i < fi->n_fields; i++) {
    const sc_isa_field *f = &fi->fields[i];
    in.slot[f->slot] = how == GEN_MIN   ? gen_min(f, info->group)
                       : how == GEN_MAX ? gen_max(f, info->group)
                                        : gen_random(f, info->group, seed);
  }
  uint64_t r = gen_next(seed);
  in.has_wait = how == GEN_MAX || (how == GEN_RANDOM && (r & 1));
  in.wait = how == GEN_MAX ? 31 : (uint8_t)((r >> 8) & 31) * in.has_wait;
  in.has_signal = how == GEN_MAX || (how == GEN_RANDOM && (r & 2));
  in.signal = how == GEN_MAX ? 31 : (uint8_t)((r >> 16) & 31) * in.has_signal;
  return in;
}

static inline bool gen_insn_equal(const sc_insn *a, const sc_insn *b) {
  if (a->opcode != b->opcode || a->has_wait != b->has_wait || a->has_signal != b->has_signal)
    return false;
  if (a->has_wait && a->wait != b->wait) return false;
  if (a->has_signal && a->signal != b->signal) return false;
  for (int s = 0; s < SC_ISA_SLOT_COUNT; s++)
    if (a->slot[s] != b->slot[s]) return false;
  return true;
}

#endif
