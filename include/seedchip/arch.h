/* arch.h: the chip description. One plain-data struct, sc_arch, holds every
 * constant the functional, timing and energy models use (no number is hidden in
 * code); it is read from a JSON file or a built-in preset, validated, written
 * back canonically, fingerprinted, compared and turned into derived figures.
 *
 * docs/ARCH.md documents the JSON format key by key, with units, ranges and the
 * formula of every derived figure. Field names below match the JSON key paths
 * ("core.mxu.rows" is sc_arch.core.mxu.rows) and carry their unit.
 *
 * Invariants of an sc_arch returned by the loader: it passed sc_arch_validate,
 * so every count is at least 1 (except where noted), cores.count equals
 * mesh_rows * mesh_cols, memory.effective_gb_s <= channels * channel_peak_gb_s,
 * SRAM banks divide SRAM sizes, and memory.interleave_bytes and access_bytes are
 * powers of two with access_bytes <= interleave_bytes. */
#ifndef SEEDCHIP_ARCH_H
#define SEEDCHIP_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/dtype.h"
#include "seedchip/status.h"
#include "seedchip/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The JSON "format" and "version" every architecture file carries. */
#define SC_ARCH_FORMAT "seedchip-arch"
#define SC_ARCH_VERSION 1

/* Architecture files larger than this are refused (the real ones are ~3 KiB). */
#define SC_ARCH_MAX_FILE_BYTES ((size_t)1 << 20)

typedef enum sc_arch_dataflow {
  SC_ARCH_WEIGHT_STATIONARY, /* "weight-stationary": the one the timing model implements */
  SC_ARCH_OUTPUT_STATIONARY, /* "output-stationary": accepted for exploration */
  SC_ARCH_DATAFLOW_COUNT
} sc_arch_dataflow;

typedef enum sc_arch_topology {
  SC_ARCH_MESH, /* "mesh": a 2-D mesh, dimension-ordered routing */
  SC_ARCH_TOPOLOGY_COUNT
} sc_arch_topology;

typedef struct sc_arch {
  char name[64];         /* "sc1"; 1..63 bytes */
  char description[512]; /* free text, may be empty */
  double clock_ghz;      /* core, MXU, VPU and NoC clock */

  struct {
    uint32_t count;                /* tensor cores on the chip */
    uint32_t mesh_rows, mesh_cols; /* JSON "mesh": [rows, cols]; rows * cols == count */
  } cores;

  struct {
    struct {
      uint32_t rows, cols; /* PEs of the systolic array (K x N of a weight tile) */
      sc_arch_dataflow dataflow;
      /* MACs per PE per cycle for each input dtype; 0 = unsupported (absent in JSON). */
      double macs_per_pe_cycle[SC_DTYPE_COUNT];
    } mxu;
    struct {
      uint32_t lanes;                /* FP32 lanes */
      double alu_ops_per_lane_cycle; /* element-wise ALU ops per lane per cycle */
      double sfu_elems_per_cycle;    /* special-function results per cycle (0 = no SFU) */
    } vpu;
    struct {
      uint32_t registers; /* scalar registers */
    } scalar;
    struct {
      uint64_t size_bytes;       /* scratchpad per core */
      uint32_t banks;            /* divides size_bytes */
      uint32_t ports_per_bank;   /* accesses per bank per cycle */
      uint32_t bank_width_bytes; /* bytes per port per cycle; divides the bank size */
    } sram;
    struct {
      uint64_t size_bytes; /* accumulator SRAM per core (FP32 / INT32 partial sums) */
      uint32_t banks;      /* divides size_bytes */
    } acc_sram;
    struct {
      uint32_t engines;                    /* DMA engines per core */
      uint32_t descriptor_overhead_cycles; /* fixed cost of each DMA instruction */
      uint64_t max_burst_bytes;            /* largest single memory transaction */
    } dma;
  } core; /* every core is the same */

  struct {
    char technology[32];      /* "HBM3E", "LPDDR5X", "DDR3" */
    uint32_t stacks;          /* HBM stacks; 0 for non-HBM memory */
    uint32_t channels;        /* total independent channels */
    double channel_peak_gb_s; /* peak per channel, 1e9 bytes/s */
    uint64_t capacity_bytes;  /* total device memory */
    double effective_gb_s;    /* sustained total, <= channels * channel_peak_gb_s */
    double latency_ns;        /* idle load-to-use latency */
    /* Address interleave: channel = (addr / interleave_bytes) % channels. A power of two. */
    uint64_t interleave_bytes;
    /* Smallest transaction a channel performs: an access to fewer bytes still occupies
     * the channel for this many. A power of two, <= interleave_bytes. */
    uint32_t access_bytes;
  } memory;

  struct {
    sc_arch_topology topology;
    uint32_t link_width_bytes;   /* per link, per direction, per cycle */
    uint32_t hop_latency_cycles; /* per router hop */
  } noc;

  struct {
    uint32_t count;    /* chip-to-chip links; may be 0 */
    double gb_s;       /* per link per direction */
    double latency_ns; /* one way */
  } chip_links;

  struct {
    char name[64];     /* "PCIe Gen5 x16" */
    double gb_s;       /* per direction */
    double latency_ns; /* one way */
  } host_link;

  struct {
    double mac_pj[SC_DTYPE_COUNT]; /* per MAC, per MXU dtype; 0 = absent */
    double vpu_op_pj;              /* per lane ALU op */
    double sfu_elem_pj;            /* per special-function result */
    double sram_pj_per_byte;       /* scratchpad read or write */
    double acc_sram_pj_per_byte;   /* accumulator read or write */
    double memory_pj_per_byte;     /* device memory (HBM / DRAM) read or write */
    double noc_pj_per_byte_hop;    /* per byte per router hop */
    double chip_link_pj_per_byte;  /* per byte sent */
    double host_link_pj_per_byte;  /* per byte sent */
    double static_w;               /* leakage and always-on power */
  } energy;

  struct {
    double tdp_w; /* thermal design power */
  } power;

  double area_die_mm2;  /* JSON area.die_mm2; 0 = not given */
  double cost_unit_usd; /* JSON cost.unit_usd; 0 = not given */
} sc_arch;

/* Figures derived from an sc_arch; formulas in docs/ARCH.md. Per-dtype arrays
 * are 0 for dtypes the MXU does not support. "ops" = 2 per MAC. */
typedef struct sc_arch_figures {
  uint32_t cores;
  uint64_t pes_per_core;                     /* mxu.rows * mxu.cols */
  double peak_ops_per_s[SC_DTYPE_COUNT];     /* cores*rows*cols*rate*2*clock */
  double ridge_ops_per_byte[SC_DTYPE_COUNT]; /* peak / effective memory bytes/s */
  double mxu_power_w[SC_DTYPE_COUNT];        /* MAC energy at peak rate */
  double vpu_ops_per_s;                      /* cores*lanes*alu_ops*clock */
  double sfu_elems_per_s;                    /* cores*sfu_elems*clock */
  uint64_t mem_capacity_bytes;
  double mem_peak_gb_s;      /* channels * channel_peak_gb_s */
  double mem_effective_gb_s; /* memory.effective_gb_s */
  double mem_efficiency;     /* effective / peak */
  double mem_power_w;        /* memory_pj_per_byte at effective bandwidth */
  uint64_t sram_bytes_per_core, sram_bytes_chip, sram_bank_bytes;
  double sram_gb_s_per_core; /* banks*ports*bank_width*clock */
  uint64_t acc_bytes_per_core, acc_bytes_chip;
  uint32_t noc_diameter_hops;     /* (rows-1) + (cols-1) */
  double noc_link_gb_s;           /* link_width_bytes * clock, per direction */
  uint32_t noc_bisection_links;   /* links cut by the narrowest bisection */
  double noc_bisection_gb_s;      /* per direction */
  double noc_bisection_gb_s_both; /* both directions */
  double chip_links_gb_s;         /* count * gb_s, per direction */
  double chip_links_gb_s_both;    /* both directions */
  double host_link_gb_s;          /* per direction */
  double tdp_w, static_w;
} sc_arch_figures;

/* Parses and validates an architecture description from text (len bytes, need
 * not be NUL-terminated). source_name (e.g. the file name) prefixes every
 * message. On success *out is a new sc_arch the caller frees with
 * sc_arch_destroy. On failure *out is NULL and errors (may be NULL) receives
 * every problem found, one per line, "source: key.path: problem".
 * Returns OK, PARSE (JSON syntax), INVALID (schema or values), NO_MEMORY,
 * OVERFLOW (text longer than SC_ARCH_MAX_FILE_BYTES) or INVALID_ARGUMENT. */
SC_MUST_USE sc_status sc_arch_parse(const char *text, size_t len, const char *source_name,
                                    sc_arch **out, sc_strbuf *errors);

/* Loads a built-in preset by name ("sc1") or else the file at that path.
 * Same ownership and statuses as sc_arch_parse, plus IO and NOT_FOUND. */
SC_MUST_USE sc_status sc_arch_load(const char *preset_or_path, sc_arch **out, sc_strbuf *errors);

/* Frees an sc_arch; NULL is a no-op. */
void sc_arch_destroy(sc_arch *arch);

/* The built-in preset names, NULL-terminated, in a static table. */
const char *const *sc_arch_preset_names(void);

/* The embedded JSON text of a preset (built from examples/arch/<name>.json);
 * NULL when there is no such preset. *len (may be NULL) gets its length. */
const char *sc_arch_preset_text(const char *name, size_t *len);

/* Checks every range and cross-field rule; appends one line per problem to
 * errors (may be NULL), prefixed with source_name. Use it on a struct built or
 * modified in code (design-space sweeps). Returns OK or INVALID. */
SC_MUST_USE sc_status sc_arch_validate(const sc_arch *arch, const char *source_name,
                                       sc_strbuf *errors);

/* Appends the canonical JSON (fixed key order, 2-space indent, shortest
 * round-tripping numbers, a final newline) to out. parse(to_json(a)) equals a.
 * Returns OK, or NO_MEMORY when out latched an allocation failure. */
SC_MUST_USE sc_status sc_arch_to_json(const sc_arch *arch, sc_strbuf *out);

/* FNV-1a 64 (offset 0xcbf29ce484222325, prime 0x100000001b3) over the bytes of
 * the canonical JSON. Equal descriptions have equal fingerprints whatever the
 * formatting or key order of the file they came from. 0 on allocation failure. */
uint64_t sc_arch_fingerprint(const sc_arch *arch);

/* Fills *out with the derived figures of a validated arch. */
void sc_arch_derive(const sc_arch *arch, sc_arch_figures *out);

/* Appends one line per differing key path, "key.path: <a value> -> <b value>"
 * ("(absent)" for a missing optional value), to out (may be NULL). Returns the
 * number of differences: 0 when a and b are equal. */
size_t sc_arch_diff(const sc_arch *a, const sc_arch *b, sc_strbuf *out);

/* True when every field of a and b is equal (sc_arch_diff(a, b, NULL) == 0). */
bool sc_arch_equal(const sc_arch *a, const sc_arch *b);

/* "weight-stationary", "mesh"; "?" outside the enum. */
const char *sc_arch_dataflow_name(sc_arch_dataflow d);
const char *sc_arch_topology_name(sc_arch_topology t);

#ifdef __cplusplus
}
#endif
#endif
