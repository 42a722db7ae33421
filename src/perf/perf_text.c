/* perf_text.c: the text profile that `--profile` prints: summary figures,
 * energy by component, engines, ranked stall and overhead reasons, and time
 * by source op. Every line is shorter than 100 columns (reason docs are
 * wrapped, long source names shortened from the left). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf_int.h"

/* Appends text wrapped at width columns, each line indented by indent spaces. */
static void wrap(sc_strbuf *out, const char *text, int indent, int width) {
  const char *s = text;
  while (*s) {
    int avail = width - indent;
    size_t n = strlen(s);
    size_t cut = n;
    if (n > (size_t)avail) {
      cut = (size_t)avail;
      while (cut > 0 && s[cut] != ' ') cut--;
      if (cut == 0) cut = (size_t)avail;
    }
    sc_strbuf_printf(out, "%*s%.*s\n", indent, "", (int)cut, s);
    s += cut;
    while (*s == ' ') s++;
  }
}

/* Copies s into buf (size > width), keeping its last columns when it is wider
 * than width ("...path/file.sasm:12"); never splits a UTF-8 sequence. */
static void shorten(char *buf, size_t size, const char *s, size_t width) {
  size_t len = strlen(s), at = 0, skip = 0;
  if (len > width) {
    memcpy(buf, "...", 3);
    at = 3;
    skip = len - (width - 3);
    while (((unsigned char)s[skip] & 0xc0) == 0x80) skip++;
  }
  size_t n = len - skip;
  if (at + n >= size) n = size - at - 1;
  memcpy(buf + at, s + skip, n);
  buf[at + n] = '\0';
}

static void text_summary(const sc_profile *p, const sc_arch *a, const sc_prof_summary *s,
                         sc_strbuf *out) {
  char t[48], e[48], fl[48], by[48], mix[160];
  perf_fmt_si(t, sizeof t, s->seconds, "s");
  perf_fmt_si(e, sizeof e, s->energy_j, "J");
  perf_fmt_si(fl, sizeof fl, s->flops, "FLOP");
  perf_fmt_si(by, sizeof by, s->mem_bytes, "B");
  perf_mix_label(p, mix, sizeof mix);
  char cores[64];
  perf_cores_label(p, cores, sizeof cores);
  sc_strbuf_printf(out, "profile on %s: %s at %.4g GHz\n", a->name, cores, perf_clock_ghz(p, a));
  sc_strbuf_printf(out, "  %-12s %" PRIu64 " cycles = %s\n", "time", p->cycles, t);
  sc_strbuf_printf(out, "  %-12s %s, average power %.3g W\n", "energy", e, s->avg_power_w);
  sc_strbuf_printf(out, "  %-12s %.2f of %.2f TFLOP/s peak for %s: %.1f%% utilization\n", "MXU",
                   s->achieved_flop_s / 1e12, s->peak_flop_s / 1e12, mix, 100 * s->mxu_utilization);
  sc_strbuf_printf(
      out, "  %-12s %.1f of %.1f GB/s peak (%.1f%%), of %.1f GB/s effective (%.1f%%)\n",
      "memory bw", s->achieved_mem_b_s / 1e9, s->mem_peak_b_s / 1e9, 100 * s->mem_utilization,
      s->mem_effective_b_s / 1e9, perf_pct(s->achieved_mem_b_s, s->mem_effective_b_s));
  char ai[48];
  perf_fmt_num(ai, sizeof ai, s->arithmetic_intensity);
  sc_strbuf_printf(out, "  %-12s %s FLOP/B (%s over %s of device memory)\n", "intensity", ai, fl,
                   by);
  if (p->host_to_device || p->host_from_device) {
    char hi[48], ho[48], ht[48];
    perf_fmt_si(hi, sizeof hi, (double)p->host_to_device, "B");
    perf_fmt_si(ho, sizeof ho, (double)p->host_from_device, "B");
    perf_fmt_si(ht, sizeof ht, (double)p->host_cycles / (perf_clock_ghz(p, a) * 1e9), "s");
    sc_strbuf_printf(out, "  %-12s %s in, %s out over %s: %s (before and after the chip's time)\n",
                     "host link", hi, ho, a->host_link.name, ht);
  }
}

static void text_energy(const sc_profile *p, const sc_prof_summary *s, sc_strbuf *out) {
  char e[48];
  perf_fmt_si(e, sizeof e, s->energy_j, "J");
  sc_strbuf_printf(out, "\nenergy by component (total %s)\n", e);
  double total = s->energy_j * 1e12;
  for (int c = 0; c < SC_ENERGY_COUNT; c++) {
    double pj = p->energy_pj[c];
    double pct = perf_pct(pj, total);
    perf_fmt_si(e, sizeof e, pj * 1e-12, "J");
    sc_strbuf_printf(out, "  %-8s ", sc_energy_name((sc_energy)c));
    perf_pad(out, e, 10, true);
    sc_strbuf_printf(out, " %6.1f%%", pct);
    int bar = (int)(pct * 0.4 + 0.5); /* 40 columns = 100% */
    if (bar > 0) sc_strbuf_append(out, "  ", 2);
    for (int i = 0; i < bar; i++) sc_strbuf_append(out, "#", 1);
    sc_strbuf_append(out, "\n", 1);
  }
}

static void text_engines(const sc_profile *p, const sc_arch *a, sc_strbuf *out) {
  perf_unit_total t[SC_UNIT_COUNT];
  perf_unit_totals(p, t);
  double core_cycles = (double)p->cycles * p->n_cores;
  sc_strbuf_printf(out,
                   "\nengines (summed over %" PRIu32 " cores; %% of %.0f core-cycles)\n"
                   "  %-8s %10s %13s %6s %13s %6s  %s\n",
                   p->n_cores, core_cycles, "unit", "ops", "busy cycles", "busy", "lost cycles",
                   "lost", "top stall/overhead");
  for (unsigned u = 0; u < SC_UNIT_COUNT; u++) {
    if (!perf_unit_exists(a, u)) continue;
    sc_strbuf_printf(out, "  %-8s %10" PRIu64 " %13" PRIu64 " %5.1f%% %13" PRIu64 " %5.1f%%  ",
                     sc_unit_name((sc_unit)u), t[u].ops, t[u].busy,
                     perf_pct((double)t[u].busy, core_cycles), t[u].lost,
                     perf_pct((double)t[u].lost, core_cycles));
    if (t[u].lost > 0)
      sc_strbuf_printf(out, "%s %" PRIu64 "\n", sc_reason_key(t[u].top), t[u].reason[t[u].top]);
    else
      sc_strbuf_printf(out, "-\n");
  }
}

static void text_reasons(const sc_profile *p, const sc_arch *a, sc_strbuf *out) {
  perf_reason_row rows[SC_REASON_COUNT];
  size_t n = perf_rank_reasons(p, rows);
  double unit_cycles = (double)p->cycles * p->n_cores * perf_n_units(a);
  double core_cycles = (double)p->cycles * p->n_cores;
  sc_strbuf_printf(out,
                   "\nstall and overhead reasons (summed over cores and units; %% of %.0f "
                   "unit-cycles)\n",
                   unit_cycles);
  if (n == 0) {
    sc_strbuf_printf(out, "  (none)\n");
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const perf_reason_row *r = &rows[i];
    sc_strbuf_printf(
        out, "  %2zu  %-14s %13" PRIu64 " %5.1f%%   most on %s: %" PRIu64 " (%.1f%% of its time)\n",
        i + 1, sc_reason_key(r->reason), r->cycles, perf_pct((double)r->cycles, unit_cycles),
        sc_unit_name(r->worst), r->worst_cycles, perf_pct((double)r->worst_cycles, core_cycles));
    wrap(out, sc_reason_doc(r->reason), 6, 99);
  }
}

static sc_status text_sources(const sc_profile *p, const sc_program *prog, sc_strbuf *out) {
  perf_source_row *rows;
  size_t n;
  uint64_t total;
  sc_status st = perf_rank_sources(p, prog, &rows, &n, &total);
  if (st != SC_STATUS_OK) return st;
  sc_strbuf_printf(out,
                   "\ntime by source op (unit-busy cycles of its instructions, summed over "
                   "cores; top %d)\n",
                   PERF_TOP_SOURCES);
  if (!p->pc_cycles) {
    sc_strbuf_printf(out, "  (no per-instruction cycles recorded)\n");
  } else if (n == 0) {
    sc_strbuf_printf(out, "  (no instruction held a unit)\n");
  } else {
    sc_strbuf_printf(out, "  %3s  %-48s %14s %6s %7s\n", "#", "source", "cycles", "share",
                     "instrs");
    for (size_t i = 0; i < n && i < PERF_TOP_SOURCES; i++) {
      char name[512], shown[160];
      perf_source_name(&rows[i], name, sizeof name);
      shorten(shown, sizeof shown, name, 48);
      sc_strbuf_printf(out, "  %3zu  ", i + 1);
      perf_pad(out, shown, 48, false);
      sc_strbuf_printf(out, " %14" PRIu64 " %5.1f%% %7" PRIu64 "\n", rows[i].cycles,
                       perf_pct((double)rows[i].cycles, (double)total), rows[i].n_instrs);
    }
    if (n > PERF_TOP_SOURCES)
      sc_strbuf_printf(out, "  ... %zu more; %" PRIu64 " busy cycles in all\n",
                       n - PERF_TOP_SOURCES, total);
  }
  free(rows);
  return SC_STATUS_OK;
}

sc_status sc_perf_text(const sc_profile *p, const sc_arch *a, const sc_program *prog,
                       sc_strbuf *out) {
  if (!p || !a || !out) return SC_STATUS_INVALID_ARGUMENT;
  sc_status st = perf_check(p, a);
  if (st != SC_STATUS_OK) return st;
  sc_prof_summary s;
  sc_perf_summarize(p, a, &s);
  text_summary(p, a, &s, out);
  text_energy(p, &s, out);
  text_engines(p, a, out);
  text_reasons(p, a, out);
  st = text_sources(p, prog, out);
  if (st != SC_STATUS_OK) return st;
  return out->oom ? SC_STATUS_NO_MEMORY : SC_STATUS_OK;
}
