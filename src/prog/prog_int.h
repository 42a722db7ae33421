/* prog_int.h: the program container's private representation, shared by
 * program.c (in memory) and program_io.c (the bytes). */
#ifndef SEEDCHIP_PROG_INT_H
#define SEEDCHIP_PROG_INT_H

#include <stdbool.h>

#include "seedchip/program.h"
#include "seedchip/util.h"

/* Interned strings: items[i] is the i-th distinct string (its own allocation, so
 * it never moves); slots is an open-addressing table of item indices. */
typedef struct prog_strs {
  char **items;
  uint32_t n;
  uint32_t *slots; /* cap entries, UINT32_MAX = empty; cap a power of two */
  size_t cap;
} prog_strs;

typedef struct prog_core {
  uint64_t *words;
  size_t n_words;
  sc_prog_debug *debug; /* sorted by pc, unique */
  size_t n_debug, cap_debug;
  /* cores that run the same code share its arrays: the count of cores
   * holding each (NULL: this core's alone); a shared debug map is copied
   * before it changes */
  uint32_t *words_refs, *debug_refs;
} prog_core;

struct sc_program {
  const char *arch_name;
  uint64_t fingerprint;
  prog_core *cores;
  uint32_t n_cores;
  sc_prog_buffer *bufs;
  size_t n_bufs, cap_bufs;
  /* the buffers by name (open addressing: an index, or UINT32_MAX) and by
   * address (indices in ascending order of addr), so that adding one
   * checks its name and its neighbours in logarithmic time */
  uint32_t *by_name;
  size_t name_cap;
  uint32_t *by_addr;
  prog_strs strs;
  char errmsg[512];
};

/* Interns s; returns the stable copy (NULL when out of memory) and its index. */
const char *prog_intern(sc_program *prog, const char *s, uint32_t *index);
/* Index of an interned pointer (one returned by prog_intern). */
bool prog_string_index(const sc_program *prog, const char *s, uint32_t *index);
/* Bytes of a buffer of dtype and shape; false on overflow. */
bool prog_buffer_size(sc_dtype dtype, uint32_t rank, const uint64_t *shape, uint64_t *size);
SC_PRINTF(3, 4) sc_status prog_seterr(sc_program *prog, sc_status st, const char *fmt, ...);

#endif
