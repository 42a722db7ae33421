/* isa.h: the SeedChip instruction set, generated from isa.def: enums, the
 * decoded instruction, table access, encoder, decoder, disassembler and the
 * one-line assembly parser that the assembler (src/asm) builds on.
 *
 * Every instruction is one 64-bit little-endian word:
 *
 *  63                   20 19   18    14 13   12   8 7      0
 * +-----------------------+----+--------+----+------+--------+
 * | operands (per format) | SE | signal | WE | wait | opcode |
 * +-----------------------+----+--------+----+------+--------+
 *
 *  WE/wait:   before the instruction executes on its engine, wait until
 *             semaphore `wait` (core-local, counting, s0..s31) is > 0, then
 *             decrement it.
 *  SE/signal: after the instruction completes, increment semaphore `signal`.
 *  A disabled wait or signal has its semaphore bits zero (one encoding each).
 *
 * The operand fields of each format are packed from bit 20 in operand order;
 * docs/ISA.md draws all of them. Four that recur (bits 0-19: the header):
 *
 *   R
 *  63      35 34  30 29  25 24  20 19     0
 * +----------+------+------+------+--------+
 * | reserved | xs2  | xs1  |  xd  | header |
 * +----------+------+------+------+--------+
 *
 *   I
 *  63      62 61  30 29  25 24  20 19     0
 * +----------+------+------+------+--------+
 * | reserved | imm  | xs1  |  xd  | header |
 * +----------+------+------+------+--------+
 *
 *   VU
 *  63      47 46  42 41  38 37  33 32  31 30  27 26  22 21  20 19     0
 * +----------+------+------+------+------+------+------+------+--------+
 * | reserved |  xg  | s1dt | xs1  | s1sp | ddt  |  xd  | dsp  | header |
 * +----------+------+------+------+------+------+------+------+--------+
 *
 *   DMA
 *  63      54 53  52 51  47 46  42 41  38 37  33 32  31 30  27 26  22 21  20 19     0
 * +----------+------+------+------+------+------+------+------+------+------+--------+
 * | reserved | eng  |  xc  |  xg  | s1dt | xs1  | s1sp | ddt  |  xd  | dsp  | header |
 * +----------+------+------+------+------+------+------+------+------+------+--------+
 *
 * Field macros for the header; operand fields are read through the format
 * table (sc_isa_format_get), never by hand-written shifts. */
#ifndef SEEDCHIP_ISA_H
#define SEEDCHIP_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the header ---- */
#define SC_ISA_OPCODE(w) ((unsigned)((w)&0xffu))
#define SC_ISA_WAIT_SEM(w) ((unsigned)(((w) >> 8) & 0x1fu))
#define SC_ISA_WAIT_EN(w) ((unsigned)(((w) >> 13) & 1u))
#define SC_ISA_SIGNAL_SEM(w) ((unsigned)(((w) >> 14) & 0x1fu))
#define SC_ISA_SIGNAL_EN(w) ((unsigned)(((w) >> 19) & 1u))
enum {
  SC_ISA_OPERAND_LO = 20,  /* first operand bit */
  SC_ISA_N_OPCODES = 256,  /* opcode space */
  SC_ISA_N_REGS = 32,      /* x0..x31 */
  SC_ISA_N_SEMS = 32,      /* s0..s31 per core */
  SC_ISA_MAX_FIELDS = 16,  /* operand fields in one format */
  SC_ISA_DISASM_MAX = 160, /* a buffer this large always holds sc_isa_disasm's text */
};

/* ---- enums generated from isa.def ---- */
typedef enum sc_isa_engine {
#define SC_ISA_ENGINE(name, text, doc) SC_ISA_ENGINE_##name,
#include "seedchip/isa.def"
  SC_ISA_ENGINE_COUNT
} sc_isa_engine;

typedef enum sc_isa_flag {
#define SC_ISA_FLAG(name, bit, doc) SC_ISA_F_##name = 1u << (bit),
#include "seedchip/isa.def"
} sc_isa_flag;

typedef enum sc_isa_kind {
#define SC_ISA_KIND(name, text, doc) SC_ISA_KIND_##name,
#include "seedchip/isa.def"
  SC_ISA_KIND_COUNT
} sc_isa_kind;

typedef enum sc_isa_slot {
#define SC_ISA_SLOT(name, doc) SC_ISA_SLOT_##name,
#include "seedchip/isa.def"
  SC_ISA_SLOT_COUNT
} sc_isa_slot;

/* Selector sets (SC_ISA_ENUM_SPACE ...) and their values (SC_ISA_SPACE_HBM ...). */
typedef enum sc_isa_enum {
#define SC_ISA_ENUM(name, doc) SC_ISA_ENUM_##name,
#include "seedchip/isa.def"
  SC_ISA_ENUM_COUNT
} sc_isa_enum;

enum {
#define SC_ISA_ENUMVAL(enum_, name, value, text, doc) SC_ISA_##enum_##_##name = (value),
#include "seedchip/isa.def"
};

typedef enum sc_isa_group {
#define SC_ISA_GROUP(name, n_regs, doc) SC_ISA_GROUP_##name,
#include "seedchip/isa.def"
  SC_ISA_GROUP_COUNT
} sc_isa_group;

typedef enum sc_isa_format {
#define SC_ISA_FORMAT(name, syntax, doc) SC_ISA_FMT_##name,
#include "seedchip/isa.def"
  SC_ISA_FMT_COUNT
} sc_isa_format;

/* Opcodes: SC_OP_ADD = 0x08 ... */
typedef enum sc_opcode {
#define SC_INSN(name, opcode, mnemonic, engine, format, group, flags, semantics)                   \
  SC_OP_##name = (opcode),
#include "seedchip/isa.def"
} sc_opcode;

/* ---- a decoded instruction ----
 * Operand values by slot: registers 0..31, signed immediates sign-extended,
 * dtypes as sc_dtype, spaces and selectors as their values. Slots the format
 * does not have are zero. Zero-initialise, set opcode and the slots, encode. */
typedef struct sc_insn {
  uint8_t opcode;
  bool has_wait, has_signal;
  uint8_t wait, signal; /* semaphores, used when has_wait / has_signal */
  union {
    struct {
#define SC_ISA_SLOT(name, doc) int64_t name;
#include "seedchip/isa.def"
    };
    int64_t slot[SC_ISA_SLOT_COUNT]; /* the same values, by sc_isa_slot */
  };
} sc_insn;

/* ---- the tables ---- */
typedef struct sc_isa_field {
  sc_isa_slot slot;
  sc_isa_kind kind;
  uint8_t lo, width; /* bits [lo, lo + width) of the word */
  uint8_t arg;       /* SPACE: allowed-space mask; ENUM: sc_isa_enum; else 0 */
} sc_isa_field;

typedef struct sc_isa_format_info {
  const char *name;   /* "VB" */
  const char *syntax; /* operand template: "{xd}, {xs1}, {imm}" */
  const char *doc;
  const sc_isa_field *fields; /* in operand (= bit) order */
  unsigned n_fields;
} sc_isa_format_info;

typedef struct sc_isa_info {
  uint8_t opcode;
  const char *name;     /* "MXU_MM" (the enum suffix) */
  const char *mnemonic; /* "mxu.mm" */
  sc_isa_engine engine;
  sc_isa_format format;
  sc_isa_group group;
  unsigned flags; /* sc_isa_flag bits */
  const char *semantics;
} sc_isa_info;

/* The row of opcode, or NULL when the opcode is not assigned. */
const sc_isa_info *sc_isa_info_of(unsigned opcode);
/* The rows in table order: i < sc_isa_count(); NULL beyond. */
size_t sc_isa_count(void);
const sc_isa_info *sc_isa_at(size_t i);
/* The row whose mnemonic is the len bytes at name, or NULL. */
const sc_isa_info *sc_isa_lookup(const char *name, size_t len);

const sc_isa_format_info *sc_isa_format_of(sc_isa_format fmt); /* NULL when out of range */
const char *sc_isa_engine_name(sc_isa_engine e);               /* "mxu"; "?" when out of range */
const char *sc_isa_engine_doc(sc_isa_engine e);
const char *sc_isa_kind_name(sc_isa_kind k);
const char *sc_isa_kind_doc(sc_isa_kind k);
const char *sc_isa_slot_name(sc_isa_slot s); /* "xs1" */
const char *sc_isa_slot_doc(sc_isa_slot s);
const char *sc_isa_flag_name(unsigned bit); /* "BRANCH" for bit 1; NULL past the last */
const char *sc_isa_flag_doc(unsigned bit);
const char *sc_isa_enum_name(sc_isa_enum e); /* "SPACE" */
const char *sc_isa_enum_doc(sc_isa_enum e);
/* The text of value v of selector set e ("sram"), or NULL when undefined. */
const char *sc_isa_enum_text(sc_isa_enum e, unsigned v);
const char *sc_isa_enum_value_doc(sc_isa_enum e, unsigned v);
/* Registers in group g (0 for NONE) and its layout text. */
unsigned sc_isa_group_len(sc_isa_group g);
const char *sc_isa_group_name(sc_isa_group g);
const char *sc_isa_group_doc(sc_isa_group g);

/* The bits of a word of format fmt that are not reserved: the header and the
 * fields. */
uint64_t sc_isa_used_mask(sc_isa_format fmt);

/* The raw value of field f in word (sign-extended for SIMM and PCREL). */
int64_t sc_isa_format_get(const sc_isa_field *f, uint64_t word);

/* OK when value fits field f of an instruction with group g (registers, widths,
 * defined dtypes, allowed spaces, defined selectors, a group that ends at or
 * below x31); else INVALID with "field <slot>: <why>" in err. */
SC_MUST_USE sc_status sc_isa_field_check(const sc_isa_field *f, sc_isa_group g, int64_t value,
                                         char *err, size_t err_size);

/* ---- encoding ---- */

/* Packs *in into *word. INVALID with the offending field named in err
 * ("mxu.mm: field xg: group x30..x32 runs past x31") for an unassigned opcode,
 * a semaphore above 31, or an operand that does not fit; slots the format does
 * not have are ignored. */
SC_MUST_USE sc_status sc_isa_encode(const sc_insn *in, uint64_t *word, char *err, size_t err_size);

/* Unpacks word. INVALID (and *out zeroed) for an unassigned opcode, a nonzero
 * reserved bit, or an illegal field value; err (may be NULL when err_size is 0)
 * says which. Decoding is the exact inverse of encoding: a word decodes iff it
 * is the encoding of what it decodes to. */
SC_MUST_USE sc_status sc_isa_decode(uint64_t word, sc_insn *out, char *err, size_t err_size);

/* ---- text ----
 * Canonical syntax: `mnemonic operands [@wait(sN)] [@signal(sM)]`, operands as
 * the format's template says, e.g.
 *   mxu.mm acc[x5], sram[x6]:bf16, x8..x10, accumulate @wait(s3) @signal(s4)
 * Registers x0..x31, register groups x8..x10, semaphores s0..s31, immediates
 * in decimal (pc-relative targets with their sign), dtypes and selectors by
 * name. `#` starts a comment. */

/* Writes the canonical text of *in into buf (NUL-terminated, truncated to size)
 * and returns its full length. Values that do not fit a field print as `?`. */
size_t sc_isa_disasm(const sc_insn *in, char *buf, size_t size);

/* Decodes and disassembles word; an illegal word prints as `.word 0x...`. */
size_t sc_isa_disasm_word(uint64_t word, char *buf, size_t size);

/* Resolves a name where a number is expected (a label for a PCREL field, a
 * constant). Return OK with *value set, NOT_FOUND when unknown, or another
 * status to abort the parse. */
typedef sc_status (*sc_isa_resolve_fn)(void *ctx, const char *name, size_t len,
                                       const sc_isa_field *field, int64_t *value);

/* Parses ONE instruction from the len bytes at text (stops at a newline or a
 * `#` comment) into *out, range-checked exactly as sc_isa_encode checks. On
 * failure returns PARSE, sets *col to the 1-based byte column of the problem
 * and writes a message to err ("expected ',' after operand 2 of vpu.add").
 * resolve may be NULL (then names are errors). */
SC_MUST_USE sc_status sc_isa_parse(const char *text, size_t len, sc_insn *out,
                                   sc_isa_resolve_fn resolve, void *ctx, size_t *col, char *err,
                                   size_t err_size);

/* ---- simulator dispatch (the intended pattern) ----
 * The simulator defines one function per instruction and lets the table
 * build the jump table, so adding a row without its function fails to link:
 *
 *   #define SC_INSN(name, op, mn, eng, fmt, grp, flags, sem) \
 *     [op] = sim_exec_##name,
 *   static const sim_exec_fn exec_table[SC_ISA_N_OPCODES] = {
 *   #include "seedchip/isa.def"
 *   };
 *
 * Decode once (sc_isa_decode), route by sc_isa_info_of(op)->engine to a queue
 * (capturing the values of every register operand, groups included, at issue),
 * then call exec_table[op] when the engine executes it. */

#ifdef __cplusplus
}
#endif
#endif
