/* perf.c: the names of profile.h's tables, the profile check, the derived
 * figures (sc_perf_summarize) and the aggregations every writer shares: totals
 * per unit, reasons ranked by cycles, source ops ranked by cycles, and the
 * time-binned timeline.
 *
 * Invariants: rankings are total orders (ties broken by table order or by
 * name), so output never depends on qsort's instability; every ratio with a
 * zero denominator is 0. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf_int.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const unit_names[] = {"scalar", "dma0", "dma1", "dma2", "dma3", "mxu", "vpu"};
_Static_assert(SC_ARRAY_LEN(unit_names) == SC_UNIT_COUNT, "a name for every sc_unit");

const char *sc_unit_name(sc_unit u) {
  return (unsigned)u < SC_UNIT_COUNT ? unit_names[u] : "?";
}

static const char *const reason_keys[] = {
#define SC_REASON(name, key, doc) key,
#include "seedchip/reason.def"
};
static const char *const reason_docs[] = {
#define SC_REASON(name, key, doc) doc,
#include "seedchip/reason.def"
};

const char *sc_reason_key(sc_reason r) {
  return (unsigned)r < SC_REASON_COUNT ? reason_keys[r] : "?";
}

const char *sc_reason_doc(sc_reason r) {
  return (unsigned)r < SC_REASON_COUNT ? reason_docs[r] : "?";
}

static const char *const energy_names[] = {"mxu", "vpu",    "sram", "acc", "memory",
                                           "noc", "static", "host", "link"};
_Static_assert(SC_ARRAY_LEN(energy_names) == SC_ENERGY_COUNT, "a name for every sc_energy");

const char *sc_energy_name(sc_energy e) {
  return (unsigned)e < SC_ENERGY_COUNT ? energy_names[e] : "?";
}

/* ---- the profile ---------------------------------------------------------- */

double perf_clock_ghz(const sc_profile *p, const sc_arch *a) {
  return p->clock_ghz > 0 && isfinite(p->clock_ghz) ? p->clock_ghz : a->clock_ghz;
}

bool perf_unit_exists(const sc_arch *a, unsigned unit) {
  if (unit >= SC_UNIT_COUNT) return false;
  if (unit >= SC_UNIT_DMA0 && unit <= SC_UNIT_DMA3)
    return unit - SC_UNIT_DMA0 < a->core.dma.engines;
  return true;
}

unsigned perf_n_units(const sc_arch *a) {
  unsigned n = 0;
  for (unsigned u = 0; u < SC_UNIT_COUNT; u++) n += perf_unit_exists(a, u);
  return n;
}

double perf_pct(double x, double den) {
  return den > 0 ? 100.0 * x / den : 0;
}

void perf_mix_label(const sc_profile *p, char *buf, size_t size) {
  double total = 0;
  int kinds = 0;
  for (int d = 0; d < SC_DTYPE_COUNT; d++) {
    total += (double)p->actions.macs[d];
    kinds += p->actions.macs[d] > 0;
  }
  if (size) buf[0] = '\0';
  if (kinds == 0) {
    snprintf(buf, size, "no MACs");
    return;
  }
  size_t len = 0;
  for (int d = 0; d < SC_DTYPE_COUNT && len < size; d++) {
    if (p->actions.macs[d] == 0) continue;
    int n = kinds == 1
                ? snprintf(buf + len, size - len, "%s", sc_dtype_name((sc_dtype)d))
                : snprintf(buf + len, size - len, "%s%s %.0f%%", len ? " + " : "",
                           sc_dtype_name((sc_dtype)d), perf_pct((double)p->actions.macs[d], total));
    if (n < 0) break;
    len += (size_t)n;
  }
}

sc_status perf_check(const sc_profile *p, const sc_arch *a) {
  if (!(perf_clock_ghz(p, a) > 0)) return SC_STATUS_INVALID;
  if (p->n_cores > 0 && !p->units) return SC_STATUS_INVALID;
  if (p->n_ops > 0 && !p->ops) return SC_STATUS_INVALID;
  for (size_t i = 0; i < p->n_ops; i++) {
    const sc_prof_op *op = &p->ops[i];
    if (op->core >= p->n_cores || !perf_unit_exists(a, op->unit) || op->end < op->start)
      return SC_STATUS_INVALID;
  }
  if (p->pc_cycles) {
    if (!p->n_code) return SC_STATUS_INVALID;
    for (uint32_t c = 0; c < p->n_cores; c++)
      if (p->n_code[c] > 0 && !p->pc_cycles[c]) return SC_STATUS_INVALID;
  }
  return SC_STATUS_OK;
}

/* ---- summary -------------------------------------------------------------- */

static double ratio(double num, double den) {
  return den > 0 ? num / den : 0;
}

void sc_perf_summarize(const sc_profile *p, const sc_arch *a, sc_prof_summary *out) {
  memset(out, 0, sizeof *out);
  sc_arch_figures f;
  sc_arch_derive(a, &f);
  out->seconds = (double)p->cycles / (perf_clock_ghz(p, a) * 1e9);
  double pj = 0;
  for (int e = 0; e < SC_ENERGY_COUNT; e++) pj += p->energy_pj[e];
  out->energy_j = pj * 1e-12;
  out->avg_power_w = ratio(out->energy_j, out->seconds);

  /* The mix's peak: the time the MACs of each dtype take at that dtype's peak,
   * summed; a dtype without a peak makes the mix unattainable (0). */
  double flops = 0, peak_seconds = 0;
  const double chips = p->chips > 1 ? p->chips : 1; /* a system's peaks add up */
  bool attainable = true;
  for (int d = 0; d < SC_DTYPE_COUNT; d++) {
    double ops = 2.0 * (double)p->actions.macs[d];
    if (ops == 0) continue;
    flops += ops;
    if (f.peak_ops_per_s[d] > 0)
      peak_seconds += ops / (f.peak_ops_per_s[d] * chips);
    else
      attainable = false;
  }
  out->flops = flops;
  out->achieved_flop_s = ratio(flops, out->seconds);
  out->peak_flop_s = attainable ? ratio(flops, peak_seconds) : 0;
  out->mxu_utilization = ratio(out->achieved_flop_s, out->peak_flop_s);

  out->mem_bytes = (double)p->actions.mem_rd_bytes + (double)p->actions.mem_wr_bytes;
  out->achieved_mem_b_s = ratio(out->mem_bytes, out->seconds);
  out->mem_peak_b_s = f.mem_peak_gb_s * 1e9 * chips;
  out->mem_effective_b_s = f.mem_effective_gb_s * 1e9 * chips;
  out->mem_utilization = ratio(out->achieved_mem_b_s, out->mem_peak_b_s);
  out->arithmetic_intensity = ratio(flops, out->mem_bytes);
}

/* ---- aggregations --------------------------------------------------------- */

uint32_t perf_active_cores(const sc_profile *p) {
  uint32_t n = 0;
  for (uint32_t c = 0; c < p->n_cores; c++) {
    uint64_t ops = 0;
    for (int u = 0; u < SC_UNIT_COUNT; u++) ops += p->units[c][u].ops;
    n += ops > 0;
  }
  return n;
}

void perf_cores_label(const sc_profile *p, char *buf, size_t size) {
  uint32_t active = perf_active_cores(p);
  if (active == p->n_cores)
    snprintf(buf, size, "%" PRIu32 " cores", p->n_cores);
  else
    snprintf(buf, size, "%" PRIu32 " cores (%" PRIu32 " active)", p->n_cores, active);
}

void perf_unit_totals(const sc_profile *p, perf_unit_total out[SC_UNIT_COUNT]) {
  memset(out, 0, SC_UNIT_COUNT * sizeof *out);
  for (uint32_t c = 0; c < p->n_cores; c++) {
    for (int u = 0; u < SC_UNIT_COUNT; u++) {
      const sc_prof_unit *pu = &p->units[c][u];
      out[u].ops += pu->ops;
      out[u].busy += pu->busy;
      for (int r = 0; r < SC_REASON_COUNT; r++) out[u].reason[r] += pu->reason[r];
    }
  }
  for (int u = 0; u < SC_UNIT_COUNT; u++) {
    out[u].top = (sc_reason)0;
    for (int r = 0; r < SC_REASON_COUNT; r++) {
      out[u].lost += out[u].reason[r];
      if (out[u].reason[r] > out[u].reason[out[u].top]) out[u].top = (sc_reason)r;
    }
  }
}

static int cmp_reason_rows(const void *pa, const void *pb) {
  const perf_reason_row *x = pa, *y = pb;
  if (x->cycles != y->cycles) return x->cycles > y->cycles ? -1 : 1;
  return (int)x->reason - (int)y->reason;
}

size_t perf_rank_reasons(const sc_profile *p, perf_reason_row out[SC_REASON_COUNT]) {
  perf_unit_total t[SC_UNIT_COUNT];
  perf_unit_totals(p, t);
  size_t n = 0;
  for (int r = 0; r < SC_REASON_COUNT; r++) {
    perf_reason_row row = {.reason = (sc_reason)r};
    for (int u = 0; u < SC_UNIT_COUNT; u++) {
      row.cycles += t[u].reason[r];
      if (t[u].reason[r] > row.worst_cycles) {
        row.worst_cycles = t[u].reason[r];
        row.worst = (sc_unit)u;
      }
    }
    if (row.cycles > 0) out[n++] = row;
  }
  qsort(out, n, sizeof *out, cmp_reason_rows);
  return n;
}

/* NULL (no debug info) sorts last; then by name, then line. */
static int cmp_source_key(const perf_source_row *x, const perf_source_row *y) {
  if (!x->where || !y->where) return (x->where == NULL) - (y->where == NULL);
  int c = strcmp(x->where, y->where);
  if (c) return c;
  return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_source_by_key(const void *pa, const void *pb) {
  return cmp_source_key(pa, pb);
}

static int cmp_source_by_cycles(const void *pa, const void *pb) {
  const perf_source_row *x = pa, *y = pb;
  if (x->cycles != y->cycles) return x->cycles > y->cycles ? -1 : 1;
  return cmp_source_key(x, y);
}

sc_status perf_rank_sources(const sc_profile *p, const sc_program *prog, perf_source_row **rows,
                            size_t *n_rows, uint64_t *total) {
  *rows = NULL;
  *n_rows = 0;
  *total = 0;
  if (!p->pc_cycles) return SC_STATUS_OK;
  size_t n = 0;
  for (uint32_t c = 0; c < p->n_cores; c++)
    for (size_t pc = 0; pc < p->n_code[c]; pc++) n += p->pc_cycles[c][pc] > 0;
  if (n == 0) return SC_STATUS_OK;
  size_t bytes;
  if (!sc_mul_size(n, sizeof(perf_source_row), &bytes)) return SC_STATUS_NO_MEMORY;
  perf_source_row *r = malloc(bytes);
  if (!r) return SC_STATUS_NO_MEMORY;
  size_t k = 0;
  for (uint32_t c = 0; c < p->n_cores; c++) {
    for (size_t pc = 0; pc < p->n_code[c]; pc++) {
      uint64_t cy = p->pc_cycles[c][pc];
      if (cy == 0) continue;
      const sc_prog_debug *d =
          prog && pc <= UINT32_MAX ? sc_prog_debug_at(prog, c, (uint32_t)pc) : NULL;
      r[k++] = (perf_source_row){d ? d->where : NULL, d ? d->line : 0, cy, 1};
      *total += cy;
    }
  }
  /* Sort by key, merge equal keys, rank the merged rows. */
  qsort(r, n, sizeof *r, cmp_source_by_key);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (m > 0 && cmp_source_key(&r[m - 1], &r[i]) == 0) {
      r[m - 1].cycles += r[i].cycles;
      r[m - 1].n_instrs += r[i].n_instrs;
    } else {
      r[m++] = r[i];
    }
  }
  qsort(r, m, sizeof *r, cmp_source_by_cycles);
  *rows = r;
  *n_rows = m;
  return SC_STATUS_OK;
}

void perf_source_name(const perf_source_row *r, char *buf, size_t size) {
  if (!r->where)
    snprintf(buf, size, "(no debug info)");
  else if (r->line == 0)
    snprintf(buf, size, "%s", r->where);
  else
    snprintf(buf, size, "%s:%u", r->where, (unsigned)r->line);
}

void perf_source_at(const sc_program *prog, uint32_t core, uint32_t pc, char *buf, size_t size) {
  const sc_prog_debug *d = prog ? sc_prog_debug_at(prog, core, pc) : NULL;
  perf_source_row r = {d ? d->where : NULL, d ? d->line : 0, 0, 0};
  perf_source_name(&r, buf, size);
}

/* ---- timeline ------------------------------------------------------------- */

uint64_t perf_bin_cycles(const perf_timeline *t, size_t i) {
  uint64_t lo = (uint64_t)i * t->bin;
  uint64_t hi = lo + t->bin < t->span ? lo + t->bin : t->span;
  return hi - lo;
}

/* Adds rate per cycle over [s, e) (s < e <= span) to the bins: the partial end
 * bins directly, the whole bins between them through the difference array
 * diff, so a long op costs O(1). */
static void spread(const perf_timeline *t, double *acc, double *diff, uint64_t s, uint64_t e,
                   double rate) {
  size_t b0 = (size_t)(s / t->bin), b1 = (size_t)((e - 1) / t->bin);
  if (b0 == b1) {
    acc[b0] += rate * (double)(e - s);
    return;
  }
  acc[b0] += rate * (double)((b0 + 1) * t->bin - s);
  acc[b1] += rate * (double)(e - b1 * t->bin);
  if (b1 > b0 + 1) {
    diff[b0 + 1] += rate;
    diff[b1] -= rate;
  }
}

/* Folds diff (interior bins are always whole) into acc and clears it. */
static void fold(const perf_timeline *t, double *acc, double *diff) {
  double run = 0;
  for (size_t i = 0; i < t->n_bins; i++) {
    run += diff[i];
    acc[i] += run * (double)t->bin;
    diff[i] = 0;
  }
}

typedef struct op_ref {
  uint32_t core;
  uint8_t unit;
  uint64_t start, end;
} op_ref;

static int cmp_op_ref(const void *pa, const void *pb) {
  const op_ref *x = pa, *y = pb;
  if (x->core != y->core) return x->core < y->core ? -1 : 1;
  if (x->unit != y->unit) return x->unit < y->unit ? -1 : 1;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return x->end < y->end ? -1 : x->end > y->end;
}

uint64_t perf_span(const sc_profile *p) {
  uint64_t span = p->cycles;
  for (size_t i = 0; i < p->n_ops; i++)
    if (p->ops[i].end > span) span = p->ops[i].end;
  return span ? span : 1;
}

sc_status perf_timeline_build(const sc_profile *p, uint64_t bin_cycles, perf_timeline *t) {
  memset(t, 0, sizeof *t);
  t->span = perf_span(p);
  t->bin = bin_cycles ? bin_cycles : 1;
  t->n_bins = (size_t)((t->span - 1) / t->bin + 1);

  double *diff = calloc(t->n_bins + 1, sizeof *diff);
  op_ref *refs = p->n_ops ? calloc(p->n_ops, sizeof *refs) : NULL;
  bool ok = diff && (refs || !p->n_ops);
  for (int u = 0; u < SC_UNIT_COUNT && ok; u++)
    ok = (t->busy[u] = calloc(t->n_bins, sizeof(double))) != NULL;
  ok = ok && (t->mem_bytes = calloc(t->n_bins, sizeof(double))) != NULL;
  if (!ok) {
    free(diff);
    free(refs);
    perf_timeline_free(t);
    return SC_STATUS_NO_MEMORY;
  }

  /* Bytes: spread evenly over the op; an instantaneous op puts them in its bin. */
  for (size_t i = 0; i < p->n_ops; i++) {
    const sc_prof_op *op = &p->ops[i];
    if (op->mem_bytes == 0) continue;
    if (op->end == op->start) {
      size_t b = (size_t)(op->start / t->bin);
      t->mem_bytes[b < t->n_bins ? b : t->n_bins - 1] += (double)op->mem_bytes;
    } else {
      spread(t, t->mem_bytes, diff, op->start, op->end,
             (double)op->mem_bytes / (double)(op->end - op->start));
    }
  }
  fold(t, t->mem_bytes, diff);

  /* Busy: merge the intervals of each (core, unit), then spread the union. */
  for (size_t i = 0; i < p->n_ops; i++)
    refs[i] = (op_ref){p->ops[i].core, p->ops[i].unit, p->ops[i].start, p->ops[i].end};
  qsort(refs, p->n_ops, sizeof *refs, cmp_op_ref);
  for (size_t i = 0; i < p->n_ops;) {
    op_ref cur = refs[i++];
    while (i < p->n_ops && refs[i].core == cur.core && refs[i].unit == cur.unit &&
           refs[i].start <= cur.end) {
      if (refs[i].end > cur.end) cur.end = refs[i].end;
      i++;
    }
    if (cur.end > cur.start) spread(t, t->busy[cur.unit], diff, cur.start, cur.end, 1.0);
    if (i == p->n_ops || refs[i].unit != cur.unit || refs[i].core != cur.core)
      fold(t, t->busy[cur.unit], diff);
  }
  free(refs);
  free(diff);
  return SC_STATUS_OK;
}

void perf_timeline_free(perf_timeline *t) {
  for (int u = 0; u < SC_UNIT_COUNT; u++) free(t->busy[u]);
  free(t->mem_bytes);
  memset(t, 0, sizeof *t);
}
