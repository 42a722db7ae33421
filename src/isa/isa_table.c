/* isa_table.c: the tables of isa.def as C arrays, and their accessors.
 *
 * Invariant: every array here is generated from isa.def; nothing is spelled
 * twice. The opcode index (info_by_op) is built at compile time by designated
 * initialisers, so a duplicate opcode is a compile error ("initialized field
 * overwritten" with -Werror) as well as a failing test. */
#include <string.h>

#include "isa_int.h"
#include "seedchip/util.h"

/* ---- rows ---- */
static const sc_isa_info rows[] = {
#define SC_INSN(name, opcode, mnemonic, engine, format, group, flags, semantics)                   \
  {(opcode),                                                                                       \
   #name,                                                                                          \
   (mnemonic),                                                                                     \
   SC_ISA_ENGINE_##engine,                                                                         \
   SC_ISA_FMT_##format,                                                                            \
   SC_ISA_GROUP_##group,                                                                           \
   (flags),                                                                                        \
   (semantics)},
#include "seedchip/isa.def"
};

enum {
#define SC_INSN(name, opcode, mnemonic, engine, format, group, flags, semantics) ROW_##name,
#include "seedchip/isa.def"
  N_ROWS
};

static const sc_isa_info *const info_by_op[SC_ISA_N_OPCODES] = {
#define SC_INSN(name, opcode, mnemonic, engine, format, group, flags, semantics)                   \
  [(opcode)] = &rows[ROW_##name],
#include "seedchip/isa.def"
};

const sc_isa_info *sc_isa_info_of(unsigned opcode) {
  return opcode < SC_ISA_N_OPCODES ? info_by_op[opcode] : NULL;
}

size_t sc_isa_count(void) {
  return N_ROWS;
}

const sc_isa_info *sc_isa_at(size_t i) {
  return i < N_ROWS ? &rows[i] : NULL;
}

const sc_isa_info *sc_isa_lookup(const char *name, size_t len) {
  for (size_t i = 0; i < N_ROWS; i++) {
    if (strlen(rows[i].mnemonic) == len && memcmp(rows[i].mnemonic, name, len) == 0)
      return &rows[i];
  }
  return NULL;
}

/* ---- formats ----
 * One field array per format. Each SC_ISA_FORMAT row closes the array before
 * it and opens its own; every array ends in a sentinel row (slot COUNT). */
#define FIELD_END                                                                                  \
  { SC_ISA_SLOT_COUNT, SC_ISA_KIND_COUNT, 0, 0, 0 }
// clang-format off
static const sc_isa_field fields_before_first_[] = {
#define SC_ISA_FORMAT(name, syntax, doc) \
    FIELD_END}; static const sc_isa_field fields_##name[] = {
#define SC_ISA_FIELD(format, slot, kind, lo, width, arg) \
    {SC_ISA_SLOT_##slot, SC_ISA_KIND_##kind, (lo), (width), (arg)},
#include "seedchip/isa.def"
    FIELD_END};
// clang-format on

static const sc_isa_format_info formats[SC_ISA_FMT_COUNT] = {
#define SC_ISA_FORMAT(name, syntax, doc)                                                           \
  {#name, (syntax), (doc), fields_##name, SC_ARRAY_LEN(fields_##name) - 1},
#include "seedchip/isa.def"
};

const sc_isa_format_info *sc_isa_format_of(sc_isa_format fmt) {
  (void)fields_before_first_; /* the empty array the first format row closes */
  return (unsigned)fmt < SC_ISA_FMT_COUNT ? &formats[fmt] : NULL;
}

/* ---- small tables ---- */
typedef struct named {
  const char *name, *doc;
} named;

static const named engines[] = {
#define SC_ISA_ENGINE(name, text, doc) {(text), (doc)},
#include "seedchip/isa.def"
};
static const named kinds[] = {
#define SC_ISA_KIND(name, text, doc) {(text), (doc)},
#include "seedchip/isa.def"
};
static const named slots[] = {
#define SC_ISA_SLOT(name, doc) {#name, (doc)},
#include "seedchip/isa.def"
};
static const named enums[] = {
#define SC_ISA_ENUM(name, doc) {#name, (doc)},
#include "seedchip/isa.def"
};

typedef struct flag_row {
  unsigned bit;
  const char *name, *doc;
} flag_row;
static const flag_row flags[] = {
#define SC_ISA_FLAG(name, bit, doc) {(bit), #name, (doc)},
#include "seedchip/isa.def"
};

typedef struct enumval_row {
  sc_isa_enum e;
  unsigned value;
  const char *text, *doc;
} enumval_row;
static const enumval_row enumvals[] = {
#define SC_ISA_ENUMVAL(enum_, name, value, text, doc) {SC_ISA_ENUM_##enum_, (value), (text), (doc)},
#include "seedchip/isa.def"
};

typedef struct group_row {
  const char *name;
  unsigned n_regs;
  const char *doc;
} group_row;
static const group_row groups[] = {
#define SC_ISA_GROUP(name, n_regs, doc) {#name, (n_regs), (doc)},
#include "seedchip/isa.def"
};

#define NAMED_GET(table, i, member, count) ((unsigned)(i) < (count) ? table[(i)].member : "?")

const char *sc_isa_engine_name(sc_isa_engine e) {
  return NAMED_GET(engines, e, name, SC_ISA_ENGINE_COUNT);
}
const char *sc_isa_engine_doc(sc_isa_engine e) {
  return NAMED_GET(engines, e, doc, SC_ISA_ENGINE_COUNT);
}
const char *sc_isa_kind_name(sc_isa_kind k) {
  return NAMED_GET(kinds, k, name, SC_ISA_KIND_COUNT);
}
const char *sc_isa_kind_doc(sc_isa_kind k) {
  return NAMED_GET(kinds, k, doc, SC_ISA_KIND_COUNT);
}
const char *sc_isa_slot_name(sc_isa_slot s) {
  return NAMED_GET(slots, s, name, SC_ISA_SLOT_COUNT);
}
const char *sc_isa_slot_doc(sc_isa_slot s) {
  return NAMED_GET(slots, s, doc, SC_ISA_SLOT_COUNT);
}
const char *sc_isa_enum_name(sc_isa_enum e) {
  return NAMED_GET(enums, e, name, SC_ISA_ENUM_COUNT);
}
const char *sc_isa_enum_doc(sc_isa_enum e) {
  return NAMED_GET(enums, e, doc, SC_ISA_ENUM_COUNT);
}

const char *sc_isa_flag_name(unsigned bit) {
  for (size_t i = 0; i < SC_ARRAY_LEN(flags); i++)
    if (flags[i].bit == bit) return flags[i].name;
  return NULL;
}

const char *sc_isa_flag_doc(unsigned bit) {
  for (size_t i = 0; i < SC_ARRAY_LEN(flags); i++)
    if (flags[i].bit == bit) return flags[i].doc;
  return NULL;
}

static const enumval_row *enumval(sc_isa_enum e, unsigned v) {
  for (size_t i = 0; i < SC_ARRAY_LEN(enumvals); i++)
    if (enumvals[i].e == e && enumvals[i].value == v) return &enumvals[i];
  return NULL;
}

const char *sc_isa_enum_text(sc_isa_enum e, unsigned v) {
  const enumval_row *r = enumval(e, v);
  return r ? r->text : NULL;
}

const char *sc_isa_enum_value_doc(sc_isa_enum e, unsigned v) {
  const enumval_row *r = enumval(e, v);
  return r ? r->doc : NULL;
}

unsigned sc_isa_group_len(sc_isa_group g) {
  return (unsigned)g < SC_ISA_GROUP_COUNT ? groups[g].n_regs : 0;
}
const char *sc_isa_group_name(sc_isa_group g) {
  return NAMED_GET(groups, g, name, SC_ISA_GROUP_COUNT);
}
const char *sc_isa_group_doc(sc_isa_group g) {
  return NAMED_GET(groups, g, doc, SC_ISA_GROUP_COUNT);
}
