/* program.c: the program container in memory, and its checks.
 *
 * Invariants of an sc_program (kept by every sc_prog_ call, so a parsed program
 * and a built one are equally trustworthy):
 *   - every string (arch name, buffer names, external paths, debug places) is
 *     interned once in `strs` and never moves, so pointers handed out stay valid;
 *   - buffers have unique names, valid dtype/role/init, a non-overflowing size and
 *     pairwise disjoint device-memory ranges;
 *   - each core's debug entries are sorted by pc with no duplicates.
 * The byte format lives in program_io.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog_int.h"
#include "seedchip/util.h"

static const char *const role_names[SC_PROG_ROLE_COUNT] = {"input", "output", "state", "const",
                                                           "scratch"};

const char *sc_prog_role_name(sc_prog_role role) {
  return (unsigned)role < SC_PROG_ROLE_COUNT ? role_names[role] : "?";
}

/* ---- interned strings: open addressing on FNV-1a, each string its own block ---- */

static uint64_t fnv1a(const char *s) {
  uint64_t h = 0xcbf29ce484222325u;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3u;
  return h;
}

static bool strs_grow(prog_strs *t) {
  size_t cap = t->cap ? t->cap * 2 : 64;
  uint32_t *slots = malloc(cap * sizeof *slots);
  if (!slots) return false;
  for (size_t i = 0; i < cap; i++) slots[i] = UINT32_MAX;
  for (uint32_t i = 0; i < t->n; i++) {
    size_t j = fnv1a(t->items[i]) & (cap - 1);
    while (slots[j] != UINT32_MAX) j = (j + 1) & (cap - 1);
    slots[j] = i;
  }
  char **items = realloc(t->items, cap / 2 * sizeof *items);
  if (!items) {
    free(slots);
    return false;
  }
  free(t->slots);
  t->slots = slots;
  t->items = items;
  t->cap = cap;
  return true;
}

const char *prog_intern(sc_program *prog, const char *s, uint32_t *index) {
  prog_strs *t = &prog->strs;
  if ((t->n + 1) * 2 > t->cap && !strs_grow(t)) return NULL;
  size_t j = fnv1a(s) & (t->cap - 1);
  while (t->slots[j] != UINT32_MAX) {
    if (strcmp(t->items[t->slots[j]], s) == 0) {
      if (index) *index = t->slots[j];
      return t->items[t->slots[j]];
    }
    j = (j + 1) & (t->cap - 1);
  }
  size_t len = strlen(s);
  char *copy = malloc(len + 1);
  if (!copy) return NULL;
  memcpy(copy, s, len + 1);
  t->items[t->n] = copy;
  t->slots[j] = t->n;
  if (index) *index = t->n;
  t->n++;
  return copy;
}

bool prog_string_index(const sc_program *prog, const char *s, uint32_t *index) {
  const prog_strs *t = &prog->strs;
  if (!t->cap) return false;
  size_t j = fnv1a(s) & (t->cap - 1);
  while (t->slots[j] != UINT32_MAX) {
    if (t->items[t->slots[j]] == s) {
      *index = t->slots[j];
      return true;
    }
    j = (j + 1) & (t->cap - 1);
  }
  return false;
}

/* ---- lifetime ---- */

sc_status prog_seterr(sc_program *prog, sc_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prog->errmsg, sizeof prog->errmsg, fmt, ap);
  va_end(ap);
  return st;
}

sc_status sc_prog_create(const char *arch_name, uint64_t fingerprint, sc_program **out) {
  *out = NULL;
  sc_program *prog = calloc(1, sizeof *prog);
  if (!prog) return SC_STATUS_NO_MEMORY;
  prog->fingerprint = fingerprint;
  prog->arch_name = prog_intern(prog, arch_name ? arch_name : "", NULL);
  if (!prog->arch_name) {
    sc_prog_destroy(prog);
    return SC_STATUS_NO_MEMORY;
  }
  *out = prog;
  return SC_STATUS_OK;
}

/* Lets go of a core's code (freed when no other core shares it). */
static void release_words(prog_core *c) {
  if (c->words_refs && --*c->words_refs > 0) {
    c->words = NULL;
  } else {
    free(c->words);
    free(c->words_refs);
  }
  c->words = NULL;
  c->words_refs = NULL;
  c->n_words = 0;
}

static void release_debug(prog_core *c) {
  if (c->debug_refs && --*c->debug_refs > 0) {
    c->debug = NULL;
  } else {
    free(c->debug);
    free(c->debug_refs);
  }
  c->debug = NULL;
  c->debug_refs = NULL;
  c->n_debug = c->cap_debug = 0;
}

/* Makes a shared array's count exist (2 holders after the caller's share). */
static bool share(uint32_t **refs) {
  if (!*refs) {
    *refs = malloc(sizeof **refs);
    if (!*refs) return false;
    **refs = 1;
  }
  ++**refs;
  return true;
}

void sc_prog_destroy(sc_program *prog) {
  if (!prog) return;
  for (uint32_t i = 0; i < prog->strs.n; i++) free(prog->strs.items[i]);
  free(prog->strs.items);
  free(prog->strs.slots);
  for (uint32_t c = 0; c < prog->n_cores; c++) {
    release_words(&prog->cores[c]);
    release_debug(&prog->cores[c]);
  }
  free(prog->cores);
  for (size_t i = 0; i < prog->n_bufs; i++) free((void *)prog->bufs[i].data);
  free(prog->bufs);
  free(prog->by_name);
  free(prog->by_addr);
  free(prog);
}

const char *sc_prog_errmsg(const sc_program *prog) {
  return prog ? prog->errmsg : "";
}
const char *sc_prog_arch_name(const sc_program *prog) {
  return prog->arch_name;
}
uint64_t sc_prog_fingerprint(const sc_program *prog) {
  return prog->fingerprint;
}
uint32_t sc_prog_core_count(const sc_program *prog) {
  return prog->n_cores;
}

/* ---- code ---- */

/* Makes cores 0..core exist (new ones empty). */
static sc_status ensure_core(sc_program *prog, uint32_t core) {
  if (core >= SC_PROG_MAX_CORES)
    return prog_seterr(prog, SC_STATUS_INVALID, "core %u: at most %d cores per program", core,
                       SC_PROG_MAX_CORES);
  if (core < prog->n_cores) return SC_STATUS_OK;
  prog_core *cores = realloc(prog->cores, (size_t)(core + 1) * sizeof *cores);
  if (!cores) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
  memset(cores + prog->n_cores, 0, (size_t)(core + 1 - prog->n_cores) * sizeof *cores);
  prog->cores = cores;
  prog->n_cores = core + 1;
  return SC_STATUS_OK;
}

sc_status sc_prog_set_code(sc_program *prog, uint32_t core, const uint64_t *words, size_t n_words) {
  sc_status st = ensure_core(prog, core);
  if (st != SC_STATUS_OK) return st;
  if (n_words > UINT32_MAX)
    return prog_seterr(prog, SC_STATUS_INVALID, "core %u: %zu instructions, at most %u", core,
                       n_words, UINT32_MAX);
  uint64_t *copy = NULL;
  if (n_words) {
    copy = malloc(n_words * sizeof *copy);
    if (!copy) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
    memcpy(copy, words, n_words * sizeof *copy);
  }
  prog_core *c = &prog->cores[core];
  release_words(c);
  c->words = copy;
  c->n_words = n_words;
  return SC_STATUS_OK;
}

sc_status sc_prog_share_code(sc_program *prog, uint32_t from, uint32_t to) {
  if (from >= prog->n_cores || from == to)
    return prog_seterr(prog, SC_STATUS_INVALID, "core %u's code shared with core %u", from, to);
  sc_status st = ensure_core(prog, to);
  if (st != SC_STATUS_OK) return st;
  prog_core *f = &prog->cores[from], *t = &prog->cores[to];
  release_words(t);
  release_debug(t);
  if (f->words && !share(&f->words_refs))
    return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
  if (f->debug && !share(&f->debug_refs))
    return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
  t->words = f->words;
  t->n_words = f->n_words;
  t->words_refs = f->words ? f->words_refs : NULL;
  t->debug = f->debug;
  t->n_debug = f->n_debug;
  t->cap_debug = f->cap_debug;
  t->debug_refs = f->debug ? f->debug_refs : NULL;
  return SC_STATUS_OK;
}

const uint64_t *sc_prog_code(const sc_program *prog, uint32_t core, size_t *n_words) {
  if (core >= prog->n_cores) {
    *n_words = 0;
    return NULL;
  }
  *n_words = prog->cores[core].n_words;
  return prog->cores[core].words;
}

/* ---- buffers ---- */

bool prog_buffer_size(sc_dtype dtype, uint32_t rank, const uint64_t *shape, uint64_t *size) {
  uint64_t n = 1;
  for (uint32_t i = 0; i < rank; i++) {
    if (shape[i] != 0 && n > UINT64_MAX / shape[i]) return false;
    n *= shape[i];
  }
  unsigned bits = sc_dtype_bits(dtype);
  if (bits % 8 == 0) {
    if (n > UINT64_MAX / (bits / 8)) return false;
    *size = n * (bits / 8);
  } else { /* INT4: two per byte, the last byte half used when n is odd */
    *size = n / 2 + (n & 1);
  }
  return true;
}

sc_status sc_prog_add_buffer(sc_program *prog, const sc_prog_buffer *buf) {
  const char *name = buf->name ? buf->name : "";
  size_t name_len = strlen(name);
  if (name_len == 0 || name_len > SC_PROG_MAX_NAME)
    return prog_seterr(prog, SC_STATUS_INVALID, "buffer name must be 1 to %d bytes, got %zu",
                       SC_PROG_MAX_NAME, name_len);
  if (sc_prog_find_buffer(prog, name))
    return prog_seterr(prog, SC_STATUS_INVALID, "buffer '%s': name already used", name);
  if ((unsigned)buf->dtype >= SC_DTYPE_COUNT)
    return prog_seterr(prog, SC_STATUS_INVALID, "buffer '%s': unknown dtype %d", name,
                       (int)buf->dtype);
  if ((unsigned)buf->role >= SC_PROG_ROLE_COUNT)
    return prog_seterr(prog, SC_STATUS_INVALID, "buffer '%s': unknown role %d", name,
                       (int)buf->role);
  if ((unsigned)buf->init >= SC_PROG_INIT_COUNT)
    return prog_seterr(prog, SC_STATUS_INVALID, "buffer '%s': unknown initialisation %d", name,
                       (int)buf->init);
  if (buf->rank > SC_PROG_MAX_RANK)
    return prog_seterr(prog, SC_STATUS_INVALID, "buffer '%s': rank %u, at most %d", name, buf->rank,
                       SC_PROG_MAX_RANK);
  for (uint32_t i = 0; i < buf->rank; i++) {
    if (buf->shape[i] == 0)
      return prog_seterr(prog, SC_STATUS_INVALID, "buffer '%s': shape[%u] is 0", name, i);
  }
  uint64_t size;
  if (!prog_buffer_size(buf->dtype, buf->rank, buf->shape, &size) || buf->addr > UINT64_MAX - size)
    return prog_seterr(prog, SC_STATUS_INVALID, "buffer '%s': size overflows 64 bits", name);
  bool is_const = buf->role == SC_PROG_ROLE_CONST;
  if (is_const != (buf->init != SC_PROG_INIT_NONE))
    return prog_seterr(prog, SC_STATUS_INVALID,
                       is_const ? "buffer '%s': a const buffer needs inline or external data"
                                : "buffer '%s': only const buffers carry initial data",
                       name);
  if (buf->init == SC_PROG_INIT_INLINE && !buf->data)
    return prog_seterr(prog, SC_STATUS_INVALID, "buffer '%s': inline data missing", name);
  if (buf->init == SC_PROG_INIT_EXTERNAL) {
    size_t plen = buf->ext_path ? strlen(buf->ext_path) : 0;
    if (plen == 0 || plen > 4096)
      return prog_seterr(prog, SC_STATUS_INVALID,
                         "buffer '%s': external file path must be 1 to 4096 bytes", name);
    if (buf->ext_offset > UINT64_MAX - size)
      return prog_seterr(prog, SC_STATUS_INVALID, "buffer '%s': external range overflows", name);
  }
  /* the buffers are disjoint: only the ones just below and above can overlap */
  size_t lo = 0, hi = prog->n_bufs; /* the first at or above buf->addr */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (prog->bufs[prog->by_addr[mid]].addr < buf->addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t k = lo ? lo - 1 : 0; k < lo + 1 && k < prog->n_bufs; k++) {
    const sc_prog_buffer *o = &prog->bufs[prog->by_addr[k]];
    if (buf->addr < o->addr + o->size_bytes && o->addr < buf->addr + size)
      return prog_seterr(prog, SC_STATUS_INVALID,
                         "buffer '%s' [0x%llx, 0x%llx) overlaps buffer '%s' [0x%llx, 0x%llx)", name,
                         (unsigned long long)buf->addr, (unsigned long long)(buf->addr + size),
                         o->name, (unsigned long long)o->addr,
                         (unsigned long long)(o->addr + o->size_bytes));
  }
  if (prog->n_bufs == prog->cap_bufs) {
    size_t cap = prog->cap_bufs ? prog->cap_bufs * 2 : 8;
    sc_prog_buffer *bufs = realloc(prog->bufs, cap * sizeof *bufs);
    if (!bufs) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
    prog->bufs = bufs;
    uint32_t *by_addr = realloc(prog->by_addr, cap * sizeof *by_addr);
    if (!by_addr) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
    prog->by_addr = by_addr;
    prog->cap_bufs = cap;
  }
  if ((prog->n_bufs + 1) * 2 > prog->name_cap) { /* the name table, rebuilt twice as large */
    size_t cap = prog->name_cap ? prog->name_cap * 2 : 16;
    uint32_t *slots = malloc(cap * sizeof *slots);
    if (!slots) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < cap; i++) slots[i] = UINT32_MAX;
    for (size_t i = 0; i < prog->n_bufs; i++) {
      size_t j = fnv1a(prog->bufs[i].name) & (cap - 1);
      while (slots[j] != UINT32_MAX) j = (j + 1) & (cap - 1);
      slots[j] = (uint32_t)i;
    }
    free(prog->by_name);
    prog->by_name = slots;
    prog->name_cap = cap;
  }
  sc_prog_buffer b = *buf;
  b.size_bytes = size;
  for (uint32_t i = b.rank; i < SC_PROG_MAX_RANK; i++) b.shape[i] = 0;
  b.name = prog_intern(prog, name, NULL);
  b.ext_path = NULL;
  b.data = NULL;
  if (!b.name) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
  if (b.init == SC_PROG_INIT_EXTERNAL) {
    b.ext_path = prog_intern(prog, buf->ext_path, NULL);
    if (!b.ext_path) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
  } else {
    b.ext_offset = 0;
  }
  if (b.init == SC_PROG_INIT_INLINE) {
    if (size > SIZE_MAX) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
    uint8_t *copy = malloc(size ? (size_t)size : 1);
    if (!copy) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
    memcpy(copy, buf->data, (size_t)size);
    b.data = copy;
  }
  size_t j = fnv1a(b.name) & (prog->name_cap - 1);
  while (prog->by_name[j] != UINT32_MAX) j = (j + 1) & (prog->name_cap - 1);
  prog->by_name[j] = (uint32_t)prog->n_bufs;
  memmove(prog->by_addr + lo + 1, prog->by_addr + lo, (prog->n_bufs - lo) * sizeof *prog->by_addr);
  prog->by_addr[lo] = (uint32_t)prog->n_bufs;
  prog->bufs[prog->n_bufs++] = b;
  return SC_STATUS_OK;
}

size_t sc_prog_buffer_count(const sc_program *prog) {
  return prog->n_bufs;
}

const sc_prog_buffer *sc_prog_buffer_at(const sc_program *prog, size_t i) {
  return i < prog->n_bufs ? &prog->bufs[i] : NULL;
}

const sc_prog_buffer *sc_prog_find_buffer(const sc_program *prog, const char *name) {
  if (!prog->name_cap) return NULL;
  for (size_t j = fnv1a(name) & (prog->name_cap - 1); prog->by_name[j] != UINT32_MAX;
       j = (j + 1) & (prog->name_cap - 1))
    if (strcmp(prog->bufs[prog->by_name[j]].name, name) == 0) return &prog->bufs[prog->by_name[j]];
  return NULL;
}

/* ---- debug map ---- */

/* Index of the first entry with pc >= target. */
static size_t debug_lower_bound(const prog_core *c, uint32_t pc) {
  size_t lo = 0, hi = c->n_debug;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->debug[mid].pc < pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

sc_status sc_prog_add_debug(sc_program *prog, uint32_t core, uint32_t pc, const char *where,
                            uint32_t line, uint32_t col) {
  size_t wlen = where ? strlen(where) : 0;
  if (wlen == 0 || wlen > SC_PROG_MAX_NAME)
    return prog_seterr(prog, SC_STATUS_INVALID,
                       "debug entry of core %u pc %u: place must be 1 to %d bytes", core, pc,
                       SC_PROG_MAX_NAME);
  sc_status st = ensure_core(prog, core);
  if (st != SC_STATUS_OK) return st;
  const char *w = prog_intern(prog, where, NULL);
  if (!w) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
  prog_core *c = &prog->cores[core];
  if (c->debug_refs && *c->debug_refs > 1) { /* shared: this core's own copy first */
    sc_prog_debug *d = malloc((c->n_debug ? c->n_debug : 1) * sizeof *d);
    if (!d) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
    memcpy(d, c->debug, c->n_debug * sizeof *d);
    size_t n = c->n_debug;
    release_debug(c);
    c->debug = d;
    c->n_debug = c->cap_debug = n;
  }
  sc_prog_debug e = {pc, w, line, col};
  size_t at = debug_lower_bound(c, pc);
  if (at < c->n_debug && c->debug[at].pc == pc) {
    c->debug[at] = e;
    return SC_STATUS_OK;
  }
  if (c->n_debug == c->cap_debug) {
    size_t cap = c->cap_debug ? c->cap_debug * 2 : 16;
    sc_prog_debug *d = realloc(c->debug, cap * sizeof *d);
    if (!d) return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
    c->debug = d;
    c->cap_debug = cap;
  }
  memmove(c->debug + at + 1, c->debug + at, (c->n_debug - at) * sizeof *c->debug);
  c->debug[at] = e;
  c->n_debug++;
  return SC_STATUS_OK;
}

sc_status sc_prog_copy_debug(sc_program *prog, uint32_t from, uint32_t to) {
  if (from >= prog->n_cores || from == to)
    return prog_seterr(prog, SC_STATUS_INVALID, "copy of debug entries from core %u to %u", from,
                       to);
  sc_status st = ensure_core(prog, to);
  if (st != SC_STATUS_OK) return st;
  prog_core *f = &prog->cores[from], *t = &prog->cores[to];
  if (t->debug == f->debug) return SC_STATUS_OK; /* shared already */
  release_debug(t);
  if (f->debug && !share(&f->debug_refs))
    return prog_seterr(prog, SC_STATUS_NO_MEMORY, "out of memory");
  t->debug = f->debug;
  t->n_debug = f->n_debug;
  t->cap_debug = f->cap_debug;
  t->debug_refs = f->debug ? f->debug_refs : NULL;
  return SC_STATUS_OK;
}

const sc_prog_debug *sc_prog_debug_at(const sc_program *prog, uint32_t core, uint32_t pc) {
  if (core >= prog->n_cores) return NULL;
  const prog_core *c = &prog->cores[core];
  size_t at = debug_lower_bound(c, pc);
  return at < c->n_debug && c->debug[at].pc == pc ? &c->debug[at] : NULL;
}
