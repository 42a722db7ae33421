/* perf_int.h: what the text, trace and report writers share: the profile
 * check, totals per unit, the ranked reasons and source ops, the time-binned
 * timeline, and number formatting and escaping. */
#ifndef SEEDCHIP_PERF_INT_H
#define SEEDCHIP_PERF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/perf.h"

/* The per-source-op tables list this many rows. */
#define PERF_TOP_SOURCES 15

/* ---- the profile ---- */

/* The clock the profile was taken at: p->clock_ghz, or a's when that is not a
 * positive number. */
double perf_clock_ghz(const sc_profile *p, const sc_arch *a);

/* True for the units a core of a has: scalar, dma0 .. dma<engines - 1>, mxu, vpu. */
bool perf_unit_exists(const sc_arch *a, unsigned unit);

/* Units per core of a: scalar, the DMA engines (at most 4), mxu, vpu. */
unsigned perf_n_units(const sc_arch *a);

/* The dtype mix of the run's MACs: "bf16", "bf16 75% + fp8e4m3 25%", or
 * "no MACs". */
void perf_mix_label(const sc_profile *p, char *buf, size_t size);

/* 100 * x / den, or 0 when den is 0. */
double perf_pct(double x, double den);

/* OK, or INVALID for a profile the writers cannot read safely (perf.h). */
sc_status perf_check(const sc_profile *p, const sc_arch *a);

/* Cores that executed at least one op. */
uint32_t perf_active_cores(const sc_profile *p);

/* "16 cores" or, when some idled, "16 cores (1 active)". */
void perf_cores_label(const sc_profile *p, char *buf, size_t size);

/* One unit summed over cores. */
typedef struct perf_unit_total {
  uint64_t ops, busy;
  uint64_t lost; /* all reasons */
  uint64_t reason[SC_REASON_COUNT];
  sc_reason top; /* the reason with most cycles (first in reason.def on ties) */
} perf_unit_total;

void perf_unit_totals(const sc_profile *p, perf_unit_total out[SC_UNIT_COUNT]);

/* One stall or overhead reason summed over cores and units, with the unit that
 * lost most to it. */
typedef struct perf_reason_row {
  sc_reason reason;
  uint64_t cycles;
  sc_unit worst;
  uint64_t worst_cycles;
} perf_reason_row;

/* The reasons with cycles, most cycles first (reason.def order on ties); returns
 * how many. */
size_t perf_rank_reasons(const sc_profile *p, perf_reason_row out[SC_REASON_COUNT]);

/* One debug-map entry (where, line) or, with where NULL, every instruction
 * without one; pc_cycles summed over cores. */
typedef struct perf_source_row {
  const char *where; /* borrowed from the program */
  uint32_t line;     /* 0: where is a graph op */
  uint64_t cycles;
  uint64_t n_instrs; /* (core, pc) pairs with cycles */
} perf_source_row;

/* Every source row with cycles, most cycles first (then by name, line), in a
 * malloc'd *rows the caller frees; *total gets the sum of all pc_cycles.
 * OK or NO_MEMORY. prog may be NULL. */
sc_status perf_rank_sources(const sc_profile *p, const sc_program *prog, perf_source_row **rows,
                            size_t *n_rows, uint64_t *total);

/* Writes "file:line", the op name, or "(no debug info)" into buf. */
void perf_source_name(const perf_source_row *r, char *buf, size_t size);

/* The source of (core, pc) as perf_source_name writes it. */
void perf_source_at(const sc_program *prog, uint32_t core, uint32_t pc, char *buf, size_t size);

/* ---- the timeline ----
 * Time bins over [0, span) where span = max(cycles, the last op's end), at
 * least 1: bin i covers [i * bin, min((i + 1) * bin, span)). */
typedef struct perf_timeline {
  uint64_t span, bin;
  size_t n_bins;
  /* Busy unit-cycles per bin, per unit summed over cores: the union of the
   * intervals of each (core, unit), so overlapping ops count once. */
  double *busy[SC_UNIT_COUNT];
  double *mem_bytes; /* device-memory bytes per bin, each op's spread over [start, end) */
} perf_timeline;

/* max(cycles, the last op's end), at least 1. */
uint64_t perf_span(const sc_profile *p);

/* Bins p->ops (which perf_check passed) into bins of bin_cycles (>= 1).
 * OK or NO_MEMORY; *t is freed with perf_timeline_free either way. */
sc_status perf_timeline_build(const sc_profile *p, uint64_t bin_cycles, perf_timeline *t);
void perf_timeline_free(perf_timeline *t);
/* Cycles in bin i. */
uint64_t perf_bin_cycles(const perf_timeline *t, size_t i);

/* ---- formatting ---- */

/* value in unit with an SI prefix from p to P chosen so that 1 <= mantissa <
 * 1000, 4 significant digits: "625.0 µs", "1.234 mJ"; "0 s" for 0. */
void perf_fmt_si(char *buf, size_t size, double value, const char *unit);

/* A plain number with about 4 significant digits and no exponent for values
 * from 0.001 to 1e15: "1036", "20.00", "0.1250"; %.3g outside that range. */
void perf_fmt_num(char *buf, size_t size, double value);

/* An integer with thousands separators: "14,366,784". */
void perf_fmt_group(char *buf, size_t size, uint64_t value);

/* Appends s padded with spaces to width display columns (UTF-8 aware), on the
 * right (left-aligned) or on the left (right_align). */
void perf_pad(sc_strbuf *sb, const char *s, int width, bool right_align);

/* Appends s as a JSON string (quoted), escaping quotes, backslashes and
 * control characters, and replacing invalid UTF-8 with U+FFFD. */
void perf_json_string(sc_strbuf *sb, const char *s);

/* Appends s escaped for HTML text and attribute values (& < > " '), with
 * control characters as spaces and invalid UTF-8 as U+FFFD. */
void perf_html(sc_strbuf *sb, const char *s);

/* The opening rules of the HTML pages' style sheets (colours, body, header);
 * each page appends its own. */
extern const char perf_css_head[];
/* The closing rules (legend swatches, SVG text, footer, print). */
extern const char perf_css_tail[];

/* A decade 10^k as a tick label: "0.01", "1", "1000", "10k", "1M" (plain
 * decimals for 10^-4 .. 10^3 when plain_small). */
void perf_decade_label(char *buf, size_t size, int k, bool plain_small);

#endif
