/* system.c: systems of chips: construction, validation, routing over the
 * chip-to-chip links and the derived figures (docs/SYSTEM.md). The JSON
 * format is system_json.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "seedchip/system.h"

static const char *const topo_names[SC_SYS_TOPOLOGY_COUNT] = {"ring", "torus", "switch"};

const char *sc_sys_topology_name(sc_sys_topology t) {
  return (unsigned)t < SC_SYS_TOPOLOGY_COUNT ? topo_names[t] : "?";
}

static void links_from_arch(const sc_arch *arch, sc_system *s) {
  s->links.per_chip = arch->chip_links.count;
  s->links.gb_s = arch->chip_links.gb_s;
  s->links.latency_ns = arch->chip_links.latency_ns;
  s->links.pj_per_byte = arch->energy.chip_link_pj_per_byte;
  s->host.gb_s = arch->host_link.gb_s;
  s->host.latency_ns = arch->host_link.latency_ns;
}

void sc_system_single(const sc_arch *arch, sc_system *out) {
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%.55sx1", arch->name);
  out->chip = *arch;
  out->chips = 1;
  out->topology = SC_SYS_SWITCH;
  out->rows = 1;
  out->cols = 1;
  links_from_arch(arch, out);
}

sc_status sc_system_of(const sc_arch *arch, uint32_t chips, sc_sys_topology topology,
                       sc_system *out, sc_strbuf *errors) {
  sc_system_single(arch, out);
  out->chips = chips;
  out->topology = topology;
  out->rows = 1;
  out->cols = chips;
  if (topology == SC_SYS_TORUS)
    for (uint32_t r = 1; (uint64_t)r * r <= chips; r++)
      if (chips % r == 0) out->rows = r, out->cols = chips / r;
  snprintf(out->name, sizeof out->name, "%.40sx%u%s", arch->name, chips,
           topology == SC_SYS_RING    ? "-ring"
           : topology == SC_SYS_TORUS ? "-torus"
                                      : "");
  return sc_system_validate(out, out->name, errors);
}

/* Directions a chip's links are divided among. */
static uint32_t dim_dirs(uint32_t n) {
  return n >= 3 ? 2 : n == 2 ? 1 : 0;
}
static uint32_t directions(const sc_system *s) {
  switch (s->topology) {
  case SC_SYS_RING:
    return dim_dirs(s->chips);
  case SC_SYS_TORUS:
    return dim_dirs(s->cols) + dim_dirs(s->rows);
  default:
    return s->chips > 1 ? 1 : 0;
  }
}

SC_PRINTF(3, 4)
static void problem(sc_strbuf *errors, const char *source, const char *fmt, ...) {
  if (!errors) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  sc_strbuf_printf(errors, "%s: %s\n", source ? source : "system", line);
}

sc_status sc_system_validate(const sc_system *s, const char *source, sc_strbuf *errors) {
  bool ok = true;
#define BAD(...) (problem(errors, source, __VA_ARGS__), ok = false)
  if (!s->name[0] || !memchr(s->name, 0, sizeof s->name)) BAD("name: 1..63 bytes");
  if (!memchr(s->description, 0, sizeof s->description)) BAD("description: too long");
  if (s->chips < 1 || s->chips > SC_SYS_MAX_CHIPS)
    BAD("chips: %u is not in 1..%d", s->chips, SC_SYS_MAX_CHIPS);
  if ((unsigned)s->topology >= SC_SYS_TOPOLOGY_COUNT)
    BAD("topology: %d is not ring, torus or switch", (int)s->topology);
  else if (s->topology == SC_SYS_TORUS) {
    if (!s->rows || !s->cols || (uint64_t)s->rows * s->cols != s->chips)
      BAD("torus: %u x %u is not %u chips", s->rows, s->cols, s->chips);
  } else if (s->rows != 1 || s->cols != s->chips) {
    BAD("%s: rows x cols must be 1 x %u, not %u x %u", sc_sys_topology_name(s->topology), s->chips,
        s->rows, s->cols);
  }
  bool shape_ok = s->chips >= 1 && s->chips <= SC_SYS_MAX_CHIPS &&
                  (unsigned)s->topology < SC_SYS_TOPOLOGY_COUNT &&
                  (uint64_t)s->rows * s->cols == s->chips;
  if (s->chips > 1 && shape_ok) {
    uint32_t dirs = directions(s);
    if (s->links.per_chip < dirs)
      BAD("links.per_chip: %u links cannot serve the %u directions of a %s of %u chips",
          s->links.per_chip, dirs, sc_sys_topology_name(s->topology), s->chips);
    if (!(s->links.gb_s > 0) || !isfinite(s->links.gb_s))
      BAD("links.gb_s: %g is not a positive bandwidth", s->links.gb_s);
  }
  if (!(s->links.latency_ns >= 0) || !isfinite(s->links.latency_ns))
    BAD("links.latency_ns: %g is not >= 0", s->links.latency_ns);
  if (!(s->links.pj_per_byte >= 0) || !isfinite(s->links.pj_per_byte))
    BAD("links.pj_per_byte: %g is not >= 0", s->links.pj_per_byte);
  if (!(s->switch_latency_ns >= 0) || !isfinite(s->switch_latency_ns))
    BAD("switch.latency_ns: %g is not >= 0", s->switch_latency_ns);
  if (!(s->host.gb_s > 0) || !isfinite(s->host.gb_s))
    BAD("host.gb_s: %g is not a positive bandwidth", s->host.gb_s);
  if (!(s->host.latency_ns >= 0) || !isfinite(s->host.latency_ns))
    BAD("host.latency_ns: %g is not >= 0", s->host.latency_ns);
  sc_strbuf chip_src = {0};
  sc_strbuf_printf(&chip_src, "%s: chip", source ? source : "system");
  if (sc_arch_validate(&s->chip, sc_strbuf_str(&chip_src), errors) != SC_STATUS_OK) {
    ok = false;
  } else {
    if (s->chip.memory.capacity_bytes > (uint64_t)1 << SC_SYS_CHIP_SHIFT)
      BAD("chip: %llu bytes of device memory exceed a chip's 2^%d-byte window",
          (unsigned long long)s->chip.memory.capacity_bytes, SC_SYS_CHIP_SHIFT);
    if ((uint64_t)s->chip.cores.count * s->chips > SC_SYS_MAX_CORES)
      BAD("chips: %u chips of %u cores exceed %d cores", s->chips, s->chip.cores.count,
          SC_SYS_MAX_CORES);
  }
  sc_strbuf_free(&chip_src);
#undef BAD
  return ok ? SC_STATUS_OK : SC_STATUS_INVALID;
}

/* ---- routing ---- */

enum { DIR_E, DIR_W, DIR_S, DIR_N };

uint32_t sc_system_links(const sc_system *s) {
  if (s->chips < 2) return 0;
  switch (s->topology) {
  case SC_SYS_TORUS:
    return 4 * s->chips;
  default:
    return 2 * s->chips;
  }
}

double sc_system_link_gb_s(const sc_system *s, uint32_t id) {
  (void)id; /* every resource of a system bundles the same number of links */
  uint32_t dirs = directions(s);
  return dirs ? s->links.gb_s * s->links.per_chip / dirs : 0;
}

/* Steps along one ring dimension of n from i to j: +1 or -1 (shortest, ties
 * forward), 0 when there. */
static int ring_step(uint32_t i, uint32_t j, uint32_t n) {
  if (i == j) return 0;
  uint32_t fwd = (j + n - i) % n;
  return fwd <= n - fwd ? 1 : -1;
}

uint32_t sc_system_route(const sc_system *s, uint32_t a, uint32_t b, uint32_t *ids, uint32_t max) {
  uint32_t n = 0;
  if (a == b || a >= s->chips || b >= s->chips) return 0;
  switch (s->topology) {
  case SC_SYS_RING: {
    uint32_t N = s->chips, i = a;
    while (i != b && n < max) {
      int st = ring_step(i, b, N);
      /* two chips: one bundle each way */
      ids[n++] = N == 2 ? i : 2 * i + (st > 0 ? 0 : 1);
      i = (uint32_t)((i + N + (uint32_t)st) % N);
    }
    return n;
  }
  case SC_SYS_TORUS: {
    uint32_t C = s->cols, R = s->rows;
    uint32_t r = a / C, c = a % C, tr = b / C, tc = b % C;
    while (c != tc && n < max) {
      int st = ring_step(c, tc, C);
      ids[n++] = 4 * (r * C + c) + (C == 2 || st > 0 ? DIR_E : DIR_W);
      c = (uint32_t)((c + C + (uint32_t)st) % C);
    }
    while (r != tr && n < max) {
      int st = ring_step(r, tr, R);
      ids[n++] = 4 * (r * C + c) + (R == 2 || st > 0 ? DIR_S : DIR_N);
      r = (uint32_t)((r + R + (uint32_t)st) % R);
    }
    return n;
  }
  default: /* switch: up from a, down to b */
    if (n < max) ids[n++] = 2 * a;
    if (n < max) ids[n++] = 2 * b + 1;
    return n;
  }
}

uint32_t sc_system_hops(const sc_system *s, uint32_t a, uint32_t b) {
  if (a == b || a >= s->chips || b >= s->chips) return 0;
  if (s->topology == SC_SYS_SWITCH) return 1; /* one chip-to-chip crossing, through the switch */
  uint32_t ids[2 * SC_SYS_MAX_CHIPS];
  return sc_system_route(s, a, b, ids, 2 * SC_SYS_MAX_CHIPS);
}

double sc_system_latency_ns(const sc_system *s, uint32_t a, uint32_t b) {
  uint32_t h = sc_system_hops(s, a, b);
  if (!h) return 0;
  return h * s->links.latency_ns + (s->topology == SC_SYS_SWITCH ? s->switch_latency_ns : 0);
}

void sc_system_derive(const sc_system *s, sc_system_figures *f) {
  memset(f, 0, sizeof *f);
  f->chips = s->chips;
  f->cores = s->chips * s->chip.cores.count;
  f->mem_capacity_bytes = s->chips * s->chip.memory.capacity_bytes;
  f->mem_effective_gb_s = s->chips * s->chip.memory.effective_gb_s;
  f->tdp_w = s->chips * s->chip.power.tdp_w;
  if (s->chips < 2) return;
  f->link_gb_s_per_chip = s->links.per_chip * s->links.gb_s;
  double bundle = sc_system_link_gb_s(s, 0);
  switch (s->topology) {
  case SC_SYS_RING:
    f->bisection_gb_s = s->chips == 2 ? bundle : 2 * bundle;
    f->diameter_hops = s->chips / 2;
    break;
  case SC_SYS_TORUS: {
    /* cut across the longer dimension: each of the other's lines crosses it
     * once (two wrap-around bundles when that dimension has 3 or more) */
    uint32_t lo = s->rows < s->cols ? s->rows : s->cols, hi = s->rows < s->cols ? s->cols : s->rows;
    f->bisection_gb_s = (hi >= 3 ? 2.0 : 1.0) * lo * bundle;
    f->diameter_hops = s->rows / 2 + s->cols / 2;
    break;
  }
  default:
    f->bisection_gb_s = (s->chips / 2) * bundle;
    f->diameter_hops = 1;
    break;
  }
}
