/* runtime.c: the runtime API over the functional simulator.
 *
 * The device keeps one record per mapped program buffer (name, range, how many
 * loaded programs use it) so that programs can share buffers such as a KV cache
 * and so that unloading never unmaps what another program still uses. A launch
 * runs the simulator to completion at once; sc_rt_wait reports its result and
 * copies the outputs back, so the asynchronous API already has its final shape. */
#include "seedchip/runtime.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/util.h"

typedef struct rt_mapping {
  const char *name; /* owned by the first program that mapped it */
  uint64_t addr, size;
  unsigned users;
  bool unbacked; /* mapped for the timing-only mode: no data behind it */
} rt_mapping;

typedef struct rt_binding {
  void *host;
} rt_binding;

struct sc_rt_program {
  sc_device *dev;
  const sc_program *prog;
  rt_binding *bind; /* one per program buffer */
  sc_rt_program *next;
};

struct sc_device {
  sc_sim *sim;
  rt_mapping *maps;
  size_t n_maps, cap_maps;
  sc_rt_program *programs;
  sc_rt_program *launched;      /* awaiting sc_rt_wait */
  const sc_rt_program *code_of; /* whose code the cores hold (NULL: none or unknown) */
  sc_status launch_status;
  char errmsg[512];
};

SC_PRINTF(3, 4)
static sc_status seterr(sc_device *dev, sc_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dev->errmsg, sizeof dev->errmsg, fmt, ap);
  va_end(ap);
  return st;
}

/* Passes a failed simulator call's status and message through. */
static sc_status from_sim(sc_device *dev, sc_status st) {
  if (st != SC_STATUS_OK) seterr(dev, st, "%s", sc_sim_errmsg(dev->sim));
  return st;
}

sc_status sc_rt_open(const sc_arch *arch, sc_device **out, char *err, size_t err_size) {
  sc_system one;
  sc_system_single(arch, &one);
  return sc_rt_open_system(&one, out, err, err_size);
}

sc_status sc_rt_open_system(const sc_system *sys, sc_device **out, char *err, size_t err_size) {
  *out = NULL;
  sc_device *dev = calloc(1, sizeof *dev);
  if (!dev) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "out of memory");
  sc_status st = sc_sim_create_system(sys, NULL, &dev->sim);
  if (st != SC_STATUS_OK) {
    free(dev);
    return sc_errf(err, err_size, st, "%s: cannot create the simulated %s: %s", sys->name,
                   sys->chips > 1 ? "system" : "chip", sc_status_str(st));
  }
  *out = dev;
  return SC_STATUS_OK;
}

void sc_rt_close(sc_device *dev) {
  if (!dev) return;
  while (dev->programs) sc_rt_unload(dev, dev->programs);
  free(dev->maps);
  sc_sim_destroy(dev->sim);
  free(dev);
}

const char *sc_rt_errmsg(const sc_device *dev) {
  return dev ? dev->errmsg : "";
}
const sc_arch *sc_rt_arch(const sc_device *dev) {
  return sc_sim_arch(dev->sim);
}
sc_sim *sc_rt_sim(sc_device *dev) {
  return dev->sim;
}
const sc_trap *sc_rt_trap(const sc_device *dev) {
  return sc_sim_trap(dev->sim);
}

uint64_t sc_rt_counter(const sc_device *dev, uint32_t core, sc_sim_event c) {
  return sc_sim_counter(dev->sim, core, c);
}

sc_status sc_rt_set_mode(sc_device *dev, sc_sim_mode mode, bool record_ops) {
  if ((unsigned)mode >= SC_SIM_MODE_COUNT)
    return seterr(dev, SC_STATUS_INVALID_ARGUMENT, "simulation mode %d does not exist", (int)mode);
  sc_sim_set_mode(dev->sim, mode);
  sc_sim_set_record(dev->sim, record_ops);
  return SC_STATUS_OK;
}

void sc_rt_set_args(sc_device *dev, const uint64_t *args, unsigned n) {
  sc_sim_set_args(dev->sim, args, n);
}

const sc_profile *sc_rt_profile(const sc_device *dev) {
  return sc_sim_profile(dev->sim);
}

sc_status sc_rt_malloc(sc_device *dev, uint64_t size, uint64_t *addr) {
  return from_sim(dev, sc_sim_alloc(dev->sim, size, 64, addr));
}

sc_status sc_rt_free(sc_device *dev, uint64_t addr) {
  for (size_t i = 0; i < dev->n_maps; i++)
    if (dev->maps[i].addr == addr)
      return seterr(dev, SC_STATUS_INVALID,
                    "0x%llx is program buffer '%s'; unload the program instead",
                    (unsigned long long)addr, dev->maps[i].name);
  return from_sim(dev, sc_sim_unmap(dev->sim, addr));
}

sc_status sc_rt_copy_to_device(sc_device *dev, uint64_t dst, const void *src, size_t n) {
  return from_sim(dev, sc_sim_write(dev->sim, dst, src, n));
}

sc_status sc_rt_copy_from_device(sc_device *dev, void *dst, uint64_t src, size_t n) {
  return from_sim(dev, sc_sim_read(dev->sim, src, dst, n));
}

/* ---- loading ---- */

static rt_mapping *find_mapping(sc_device *dev, uint64_t addr) {
  for (size_t i = 0; i < dev->n_maps; i++)
    if (dev->maps[i].addr == addr) return &dev->maps[i];
  return NULL;
}

/* Maps buffer b, or shares an identical mapping. */
static sc_status map_buffer(sc_device *dev, const sc_prog_buffer *b, bool *shared) {
  rt_mapping *m = find_mapping(dev, b->addr);
  *shared = false;
  if (m && strcmp(m->name, b->name) == 0 && m->size == b->size_bytes) {
    m->users++;
    *shared = true;
    return SC_STATUS_OK;
  }
  bool unbacked = sc_sim_get_mode(dev->sim) == SC_SIM_TIMING_ONLY;
  sc_status st = unbacked ? sc_sim_map_unbacked(dev->sim, b->addr, b->size_bytes)
                          : sc_sim_map(dev->sim, b->addr, b->size_bytes);
  if (st != SC_STATUS_OK)
    return seterr(dev, st, "buffer '%s': %s", b->name, sc_sim_errmsg(dev->sim));
  if (dev->n_maps == dev->cap_maps) {
    size_t cap = dev->cap_maps ? dev->cap_maps * 2 : 16;
    rt_mapping *maps = realloc(dev->maps, cap * sizeof *maps);
    if (!maps) {
      sc_status undo = sc_sim_unmap(dev->sim, b->addr); /* just mapped: cannot fail */
      assert(undo == SC_STATUS_OK);
      (void)undo;
      return seterr(dev, SC_STATUS_NO_MEMORY, "out of memory");
    }
    dev->maps = maps;
    dev->cap_maps = cap;
  }
  dev->maps[dev->n_maps++] = (rt_mapping){b->name, b->addr, b->size_bytes, 1, unbacked};
  return SC_STATUS_OK;
}

static void unmap_buffer(sc_device *dev, const sc_prog_buffer *b) {
  rt_mapping *m = find_mapping(dev, b->addr);
  if (!m || strcmp(m->name, b->name) != 0) return;
  if (--m->users) return;
  sc_status st = sc_sim_unmap(dev->sim, b->addr);
  assert(st == SC_STATUS_OK); /* we mapped it, so it exists */
  (void)st;
  *m = dev->maps[--dev->n_maps];
}

/* Fills a const buffer from the external weight file, in 1 MiB pieces. */
static sc_status fill_external(sc_device *dev, const sc_prog_buffer *b, const char *base_dir) {
  sc_strbuf path = {0};
  if (base_dir && b->ext_path[0] != '/')
    sc_strbuf_printf(&path, "%s/%s", base_dir, b->ext_path);
  else
    sc_strbuf_printf(&path, "%s", b->ext_path);
  if (path.oom) return seterr(dev, SC_STATUS_NO_MEMORY, "out of memory");
  sc_status st = SC_STATUS_OK;
  FILE *f = fopen(path.data, "rb");
  if (!f) {
    st = seterr(dev, SC_STATUS_IO, "buffer '%s': %s: %s", b->name, path.data, strerror(errno));
    goto done;
  }
  if (b->ext_offset > (uint64_t)INT64_MAX || fseeko(f, (off_t)b->ext_offset, SEEK_SET) != 0) {
    st = seterr(dev, SC_STATUS_IO, "buffer '%s': %s: cannot seek to %llu", b->name, path.data,
                (unsigned long long)b->ext_offset);
    goto done;
  }
  enum { CHUNK = 1 << 20 };
  uint8_t *chunk = malloc(CHUNK);
  if (!chunk) {
    st = seterr(dev, SC_STATUS_NO_MEMORY, "out of memory");
    goto done;
  }
  for (uint64_t at = 0; at < b->size_bytes && st == SC_STATUS_OK;) {
    size_t want = b->size_bytes - at < CHUNK ? (size_t)(b->size_bytes - at) : CHUNK;
    size_t got = fread(chunk, 1, want, f);
    if (got != want)
      st = seterr(dev, SC_STATUS_IO,
                  "buffer '%s': %s: needs %llu bytes at offset %llu, the file ends after %llu",
                  b->name, path.data, (unsigned long long)b->size_bytes,
                  (unsigned long long)b->ext_offset, (unsigned long long)(at + got));
    else
      st = from_sim(dev, sc_sim_write(dev->sim, b->addr + at, chunk, want));
    at += got;
  }
  free(chunk);
done:
  if (f) fclose(f);
  sc_strbuf_free(&path);
  return st;
}

sc_status sc_rt_load(sc_device *dev, const sc_program *prog, const char *base_dir,
                     sc_rt_program **out) {
  *out = NULL;
  const sc_arch *arch = sc_rt_arch(dev);
  uint64_t fp = sc_arch_fingerprint(arch);
  if (sc_prog_fingerprint(prog) != fp)
    return seterr(dev, SC_STATUS_MISMATCH,
                  "the program was built for architecture '%s' (fingerprint %016llx), the device "
                  "is '%s' (%016llx)",
                  sc_prog_arch_name(prog), (unsigned long long)sc_prog_fingerprint(prog),
                  arch->name, (unsigned long long)fp);
  uint32_t chips = sc_sim_chips(dev->sim), cores = arch->cores.count * chips;
  if (sc_prog_core_count(prog) > cores)
    return seterr(dev, SC_STATUS_MISMATCH, "the program has code for %u cores, the %s has %u",
                  sc_prog_core_count(prog), chips > 1 ? "system" : "chip", cores);
  sc_rt_program *p = calloc(1, sizeof *p);
  size_t n = sc_prog_buffer_count(prog);
  if (!p || !(p->bind = calloc(n ? n : 1, sizeof *p->bind))) {
    free(p);
    return seterr(dev, SC_STATUS_NO_MEMORY, "out of memory");
  }
  p->dev = dev;
  p->prog = prog;
  sc_status st = SC_STATUS_OK;
  size_t mapped = 0;
  for (; mapped < n && st == SC_STATUS_OK; mapped++) {
    const sc_prog_buffer *b = sc_prog_buffer_at(prog, mapped);
    bool shared;
    st = map_buffer(dev, b, &shared);
    if (st != SC_STATUS_OK) break;
    if (find_mapping(dev, b->addr)->unbacked) continue; /* nothing to fill */
    if (b->init == SC_PROG_INIT_INLINE)
      st = from_sim(dev, sc_sim_write(dev->sim, b->addr, b->data, (size_t)b->size_bytes));
    else if (b->init == SC_PROG_INIT_EXTERNAL)
      st = fill_external(dev, b, base_dir);
  }
  if (st != SC_STATUS_OK) {
    for (size_t i = 0; i < mapped; i++) unmap_buffer(dev, sc_prog_buffer_at(prog, i));
    free(p->bind);
    free(p);
    return st;
  }
  p->next = dev->programs;
  dev->programs = p;
  *out = p;
  return SC_STATUS_OK;
}

void sc_rt_unload(sc_device *dev, sc_rt_program *p) {
  if (!p) return;
  if (dev->code_of == p) dev->code_of = NULL;
  for (sc_rt_program **at = &dev->programs; *at; at = &(*at)->next)
    if (*at == p) {
      *at = p->next;
      break;
    }
  if (dev->launched == p) dev->launched = NULL;
  for (size_t i = 0; i < sc_prog_buffer_count(p->prog); i++)
    unmap_buffer(dev, sc_prog_buffer_at(p->prog, i));
  free(p->bind);
  free(p);
}

static long buffer_index(const sc_rt_program *p, const char *name) {
  for (size_t i = 0; i < sc_prog_buffer_count(p->prog); i++)
    if (strcmp(sc_prog_buffer_at(p->prog, i)->name, name) == 0) return (long)i;
  return -1;
}

sc_status sc_rt_buffer(sc_rt_program *p, const char *name, uint64_t *addr, uint64_t *size) {
  long i = buffer_index(p, name);
  if (i < 0) return seterr(p->dev, SC_STATUS_NOT_FOUND, "the program has no buffer '%s'", name);
  const sc_prog_buffer *b = sc_prog_buffer_at(p->prog, (size_t)i);
  *addr = b->addr;
  *size = b->size_bytes;
  return SC_STATUS_OK;
}

sc_status sc_rt_bind(sc_rt_program *p, const char *name, void *host, size_t size) {
  long i = buffer_index(p, name);
  if (i < 0) return seterr(p->dev, SC_STATUS_NOT_FOUND, "the program has no buffer '%s'", name);
  const sc_prog_buffer *b = sc_prog_buffer_at(p->prog, (size_t)i);
  if (b->role == SC_PROG_ROLE_CONST || b->role == SC_PROG_ROLE_SCRATCH)
    return seterr(p->dev, SC_STATUS_INVALID, "buffer '%s' is %s: it cannot be bound", name,
                  sc_prog_role_name(b->role));
  if (host && size != b->size_bytes)
    return seterr(p->dev, SC_STATUS_INVALID, "buffer '%s' holds %llu bytes, the host gave %zu",
                  name, (unsigned long long)b->size_bytes, size);
  p->bind[i].host = host;
  return SC_STATUS_OK;
}

/* ---- running ---- */

sc_status sc_rt_launch(sc_device *dev, sc_rt_program *p) {
  if (dev->launched) return seterr(dev, SC_STATUS_INVALID, "a launch is still awaiting its wait");
  const sc_program *prog = p->prog;
  uint64_t to_dev = 0, from_dev = 0; /* bound buffers cross the host link */
  for (size_t i = 0; i < sc_prog_buffer_count(prog); i++) {
    const sc_prog_buffer *b = sc_prog_buffer_at(prog, i);
    bool in = b->role == SC_PROG_ROLE_INPUT || b->role == SC_PROG_ROLE_STATE;
    bool out = b->role == SC_PROG_ROLE_OUTPUT || b->role == SC_PROG_ROLE_STATE;
    if (p->bind[i].host && out) from_dev += b->size_bytes;
    if (in && p->bind[i].host) {
      to_dev += b->size_bytes;
      if (find_mapping(dev, b->addr)->unbacked) continue;
      sc_status st = sc_sim_write(dev->sim, b->addr, p->bind[i].host, (size_t)b->size_bytes);
      if (st != SC_STATUS_OK) return from_sim(dev, st);
    }
  }
  sc_sim_set_host_traffic(dev->sim, to_dev, from_dev);
  if (dev->code_of != p) { /* the cores keep the last launched program's code */
    dev->code_of = NULL;
    uint32_t cores = sc_rt_arch(dev)->cores.count * sc_sim_chips(dev->sim);
    for (uint32_t c = 0; c < cores; c++) {
      size_t n_words = 0;
      const uint64_t *code = sc_prog_code(prog, c, &n_words);
      sc_status st = sc_sim_set_code(dev->sim, c, code, n_words);
      if (st != SC_STATUS_OK) return from_sim(dev, st);
    }
    dev->code_of = p;
  }
  dev->launched = p;
  dev->launch_status = sc_sim_run(dev->sim);
  return SC_STATUS_OK;
}

sc_status sc_rt_wait(sc_device *dev) {
  sc_rt_program *p = dev->launched;
  if (!p) return seterr(dev, SC_STATUS_INVALID, "nothing was launched");
  dev->launched = NULL;
  if (dev->launch_status != SC_STATUS_OK) return from_sim(dev, dev->launch_status);
  for (size_t i = 0; i < sc_prog_buffer_count(p->prog); i++) {
    const sc_prog_buffer *b = sc_prog_buffer_at(p->prog, i);
    bool out = b->role == SC_PROG_ROLE_OUTPUT || b->role == SC_PROG_ROLE_STATE;
    if (out && p->bind[i].host && !find_mapping(dev, b->addr)->unbacked) {
      sc_status st = sc_sim_read(dev->sim, b->addr, p->bind[i].host, (size_t)b->size_bytes);
      if (st != SC_STATUS_OK) return from_sim(dev, st);
    }
  }
  return SC_STATUS_OK;
}
