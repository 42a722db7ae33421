/* system.h: a system of SeedChip chips joined by chip-to-chip links: how many
 * chips, which chip (an sc_arch), the topology (a ring, a 2-D torus or a
 * switch), the links' bandwidth, latency and energy, and each chip's host
 * link. The simulator runs every chip of a system in one process
 * (sim.h: sc_sim_create_system); the compiler partitions a model over them
 * (cc.h: sc_cc_options.tp).
 *
 * docs/SYSTEM.md documents the JSON format, the shorthand specs, the routing
 * and the link model.
 *
 * Addresses: chip c's device memory is [c << SC_SYS_CHIP_SHIFT,
 * (c << SC_SYS_CHIP_SHIFT) + capacity) of one system-wide address space, and
 * core k of chip c is core c * cores + k of the system (its "global" id:
 * the remote space and remote semaphores of the instruction set take it).
 * A one-chip system is exactly the chip: addresses and core ids unchanged. */
#ifndef SEEDCHIP_SYSTEM_H
#define SEEDCHIP_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/arch.h"
#include "seedchip/status.h"
#include "seedchip/util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_SYS_FORMAT "seedchip-system"
#define SC_SYS_VERSION 1
#define SC_SYS_MAX_FILE_BYTES ((size_t)1 << 20)

/* Chip c's device memory starts at c << SC_SYS_CHIP_SHIFT (1 TiB apart; a
 * chip's capacity must not exceed it). */
#define SC_SYS_CHIP_SHIFT 40
#define SC_SYS_MAX_CHIPS 64
/* Cores of a whole system (a program's limit, SC_PROG_MAX_CORES). */
#define SC_SYS_MAX_CORES 4096

static inline uint64_t sc_sys_chip_base(uint32_t chip) {
  return (uint64_t)chip << SC_SYS_CHIP_SHIFT;
}
/* The chip a system address belongs to. */
static inline uint32_t sc_sys_chip_of(uint64_t addr) {
  return (uint32_t)(addr >> SC_SYS_CHIP_SHIFT);
}

typedef enum sc_sys_topology {
  SC_SYS_RING,   /* "ring": chip i linked to i - 1 and i + 1 (mod N); shortest way round */
  SC_SYS_TORUS,  /* "torus": rows x cols, wrap-around links, dimension-ordered (X first) */
  SC_SYS_SWITCH, /* "switch": every chip's links go to one non-blocking switch */
  SC_SYS_TOPOLOGY_COUNT
} sc_sys_topology;

typedef struct sc_system {
  char name[64];         /* "sc1x8"; 1..63 bytes */
  char description[256]; /* free text, may be empty */
  sc_arch chip;          /* every chip of the system is this one */
  uint32_t chips;        /* 1 .. SC_SYS_MAX_CHIPS */
  sc_sys_topology topology;
  uint32_t rows, cols; /* torus: rows * cols == chips; others: 1 x chips */
  struct {
    uint32_t per_chip;  /* links a chip has (default: the chip's chip_links.count) */
    double gb_s;        /* per link per direction */
    double latency_ns;  /* one way, per hop (sc_system_hops) */
    double pj_per_byte; /* per byte per hop */
  } links;
  double switch_latency_ns; /* switch: added once per crossing of the switch */
  struct {
    double gb_s;       /* per chip, per direction */
    double latency_ns; /* one way */
  } host;
} sc_system;

/* "ring", "torus", "switch"; "?" out of range. */
const char *sc_sys_topology_name(sc_sys_topology t);

/* The one-chip system of arch (links and host link from the arch). */
void sc_system_single(const sc_arch *arch, sc_system *out);

/* chips copies of arch on topology (torus: the squarest rows x cols with
 * rows <= cols), links and host link from the arch; name "<arch>x<N>" (plus
 * "-ring" / "-torus" for those topologies). INVALID when it does not
 * validate (errors receives why). */
SC_MUST_USE sc_status sc_system_of(const sc_arch *arch, uint32_t chips, sc_sys_topology topology,
                                   sc_system *out, sc_strbuf *errors);

/* Checks every field and cross-field rule (chips in range, torus shape,
 * positive link figures when chips > 1, chip capacity <= 1 << SC_SYS_CHIP_SHIFT,
 * chip cores * chips <= 4096, the chip itself); one line per problem. */
SC_MUST_USE sc_status sc_system_validate(const sc_system *s, const char *source_name,
                                         sc_strbuf *errors);

/* Parses a system file (docs/SYSTEM.md). Its "chip" is an architecture
 * preset name, a file path (relative to base_dir when not absolute; base_dir
 * may be NULL: the current directory) or an inline architecture object. Errors as sc_arch_parse:
 * "source: key: problem". */
SC_MUST_USE sc_status sc_system_parse(const char *text, size_t len, const char *source_name,
                                      const char *base_dir, sc_system *out, sc_strbuf *errors);

/* Loads spec, which is one of:
 *   "<arch>x<N>[-ring|-torus|-switch]"  N chips of an architecture preset
 *                                       (switch unless named; "sc1x8")
 *   "<N>"                               N chips of default_arch (may be NULL: sc1)
 *   a path to a system JSON file.
 * NOT_FOUND, IO, PARSE, INVALID as the parsers. */
SC_MUST_USE sc_status sc_system_load(const char *spec, const sc_arch *default_arch, sc_system *out,
                                     sc_strbuf *errors);

/* Canonical JSON of s (the chip written inline as its canonical arch JSON). */
SC_MUST_USE sc_status sc_system_to_json(const sc_system *s, sc_strbuf *out);

/* ---- routing and the link model (docs/SYSTEM.md, "Links") ----
 * The directed link resources of a system are numbered 0 .. sc_system_links(s) - 1;
 * a route from chip a to chip b is the list of resources it crosses. */

/* The number of directed link resources (0 for one chip). */
uint32_t sc_system_links(const sc_system *s);
/* GB/s of link resource id, per direction (the links it bundles times gb_s). */
double sc_system_link_gb_s(const sc_system *s, uint32_t id);
/* The route from chip a to chip b into ids (at most max); returns its length
 * (0 when a == b). */
uint32_t sc_system_route(const sc_system *s, uint32_t a, uint32_t b, uint32_t *ids, uint32_t max);
/* Chip-to-chip hops from a to b: the route's length on a ring or torus, 1
 * through a switch (its up and down links are one crossing). */
uint32_t sc_system_hops(const sc_system *s, uint32_t a, uint32_t b);
/* One-way latency from a to b in ns: hops * links.latency_ns, plus
 * switch_latency_ns for a switch; 0 when a == b. Energy is hops *
 * links.pj_per_byte per byte. */
double sc_system_latency_ns(const sc_system *s, uint32_t a, uint32_t b);

/* Derived figures (docs/SYSTEM.md). */
typedef struct sc_system_figures {
  uint32_t chips, cores;
  uint64_t mem_capacity_bytes; /* chips * chip capacity */
  double mem_effective_gb_s;   /* chips * chip effective bandwidth */
  double link_gb_s_per_chip;   /* per direction: per_chip * gb_s */
  double bisection_gb_s;       /* per direction across the narrowest cut into halves */
  uint32_t diameter_hops;      /* most hops (sc_system_hops) between two chips */
  double tdp_w;                /* chips * chip TDP */
} sc_system_figures;

void sc_system_derive(const sc_system *s, sc_system_figures *out);

#ifdef __cplusplus
}
#endif
#endif
