/* program.h: the SeedChip program container (.scb), in memory and on disk.
 *
 * A program is what the assembler and the compiler produce and what the runtime
 * loads: the code of each core (64-bit instruction words), the named device-memory
 * buffers it reads and writes (inputs, outputs, state such as a KV cache, constants
 * with their data inline or in an external weight file), a debug map from each
 * instruction to a source location or graph op, and the fingerprint of the
 * architecture it was built for. docs/PROGRAM_FORMAT.md describes the bytes.
 *
 * Build one with sc_prog_create and the sc_prog_set_/add_ calls, write it with
 * sc_prog_write; read one with sc_prog_parse / sc_prog_load. A loaded program is
 * fully validated: every accessor below returns checked data. */
#ifndef SEEDCHIP_PROGRAM_H
#define SEEDCHIP_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "seedchip/dtype.h"
#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  SC_PROG_VERSION_MAJOR = 1,
  SC_PROG_VERSION_MINOR = 0,
  SC_PROG_MAX_CORES = 4096, /* per program; the architecture sets the real limit */
  SC_PROG_MAX_RANK = 8,
  SC_PROG_MAX_NAME = 255, /* bytes in a buffer name, file name or op name */
};

/* What a named buffer is for. The runtime binds host data to INPUT and reads
 * OUTPUT back; STATE persists across launches (a KV cache); CONST is initialised
 * from the program's data or an external weight file at load; SCRATCH is neither
 * read nor written by the host. */
typedef enum sc_prog_role {
  SC_PROG_ROLE_INPUT,
  SC_PROG_ROLE_OUTPUT,
  SC_PROG_ROLE_STATE,
  SC_PROG_ROLE_CONST,
  SC_PROG_ROLE_SCRATCH,
  SC_PROG_ROLE_COUNT
} sc_prog_role;

/* Where a CONST buffer's bytes come from. */
typedef enum sc_prog_init {
  SC_PROG_INIT_NONE,     /* not initialised (any role but CONST) */
  SC_PROG_INIT_INLINE,   /* bytes stored in the program */
  SC_PROG_INIT_EXTERNAL, /* size_bytes bytes at ext_offset in the file ext_path */
  SC_PROG_INIT_COUNT
} sc_prog_init;

/* A named buffer in device memory: [addr, addr + size_bytes). size_bytes is
 * derived from dtype and shape (INT4 rounds up to whole bytes). */
typedef struct sc_prog_buffer {
  const char *name;
  sc_dtype dtype;
  sc_prog_role role;
  uint32_t rank;                    /* 0 = scalar */
  uint64_t shape[SC_PROG_MAX_RANK]; /* outermost first */
  uint64_t addr;                    /* device-memory byte address */
  uint64_t size_bytes;
  sc_prog_init init;
  const uint8_t *data; /* INLINE: size_bytes bytes; otherwise NULL */
  const char *ext_path;
  uint64_t ext_offset;
} sc_prog_buffer;

/* One entry of the debug map: the instruction at (core, pc) came from a place in
 * a source file (line and col from 1) or, with line == 0, from a graph op named
 * by `where`. */
typedef struct sc_prog_debug {
  uint32_t pc;
  const char *where; /* file name or op name */
  uint32_t line;
  uint32_t col;
} sc_prog_debug;

typedef struct sc_program sc_program;

/* ---- building ---- */

/* An empty program for the architecture `arch_name` with `fingerprint` (see
 * sc_arch_fingerprint). NO_MEMORY on allocation failure. */
SC_MUST_USE sc_status sc_prog_create(const char *arch_name, uint64_t fingerprint, sc_program **out);
void sc_prog_destroy(sc_program *prog);

/* The code of `core`: n_words instruction words, copied. Cores used by a program
 * are 0 .. n-1 with no gaps; a core without code idles. */
SC_MUST_USE sc_status sc_prog_set_code(sc_program *prog, uint32_t core, const uint64_t *words,
                                       size_t n_words);

/* Adds a copy of *buf (name, shape, data and ext_path are copied; size_bytes is
 * computed, the given value is ignored). INVALID with a message when the name is
 * taken, the shape overflows, the range overlaps another buffer, or the
 * initialisation does not fit the role. */
SC_MUST_USE sc_status sc_prog_add_buffer(sc_program *prog, const sc_prog_buffer *buf);

/* Records where the instruction at (core, pc) came from. Entries of a core may be
 * added in any order; a later entry for the same pc replaces the earlier one. */
SC_MUST_USE sc_status sc_prog_add_debug(sc_program *prog, uint32_t core, uint32_t pc,
                                        const char *where, uint32_t line, uint32_t col);
/* Replaces the debug entries of core `to` by core `from`'s (cores that run
 * the same code; shared until either changes). INVALID when from is out of
 * range or equals to. */
SC_MUST_USE sc_status sc_prog_copy_debug(sc_program *prog, uint32_t from, uint32_t to);
/* Core `to` runs core `from`'s code, with its debug entries: the two share
 * them (in memory once; a later change to either's entries copies them). */
SC_MUST_USE sc_status sc_prog_share_code(sc_program *prog, uint32_t from, uint32_t to);

/* Serialises to a malloc'd byte array (caller frees). */
SC_MUST_USE sc_status sc_prog_serialize(sc_program *prog, uint8_t **bytes, size_t *len);

/* Serialises and writes atomically to path. */
SC_MUST_USE sc_status sc_prog_write(sc_program *prog, const char *path);

/* ---- loading ---- */

/* Parses and validates len bytes. `source` names the input in messages
 * ("prog.scb: section 3 (code of core 2): extends past the end of the file").
 * When expect_fingerprint is non-zero, a program built for another architecture
 * is refused with SC_STATUS_MISMATCH. On failure *out is NULL and the message is
 * in err (PARSE: malformed or corrupt; UNSUPPORTED: another format version). */
SC_MUST_USE sc_status sc_prog_parse(const uint8_t *bytes, size_t len, const char *source,
                                    uint64_t expect_fingerprint, sc_program **out, char *err,
                                    size_t err_size);

/* Reads path (at most 4 GiB) and parses it as sc_prog_parse does. */
SC_MUST_USE sc_status sc_prog_load(const char *path, uint64_t expect_fingerprint, sc_program **out,
                                   char *err, size_t err_size);

/* ---- reading ---- */

/* The message of the last failed call on prog ("" when none). */
const char *sc_prog_errmsg(const sc_program *prog);

const char *sc_prog_arch_name(const sc_program *prog);
uint64_t sc_prog_fingerprint(const sc_program *prog);

/* Number of cores with code (the highest core index + 1). */
uint32_t sc_prog_core_count(const sc_program *prog);
/* The code of core (NULL and 0 words for a core beyond the count). */
const uint64_t *sc_prog_code(const sc_program *prog, uint32_t core, size_t *n_words);

size_t sc_prog_buffer_count(const sc_program *prog);
/* Buffer i, in the order added; NULL when out of range. */
const sc_prog_buffer *sc_prog_buffer_at(const sc_program *prog, size_t i);
/* The buffer named name, or NULL. */
const sc_prog_buffer *sc_prog_find_buffer(const sc_program *prog, const char *name);

/* The debug entry of (core, pc), or NULL when none was recorded. */
const sc_prog_debug *sc_prog_debug_at(const sc_program *prog, uint32_t core, uint32_t pc);

const char *sc_prog_role_name(sc_prog_role role);

#ifdef __cplusplus
}
#endif
#endif
