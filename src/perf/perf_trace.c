/* perf_trace.c: the Chrome trace (Trace Event Format, JSON object form) of a
 * profile's recorded ops, for Perfetto UI or chrome://tracing.
 *
 * Layout: pid = core ("core N"), tid = sc_unit ("scalar", "dma0" ... "vpu")
 * with sort indices so units appear in report order; pid = n_cores is the
 * process "memory" with one counter. Times are microseconds (the format's
 * unit) at the chip clock, printed with 6 decimals, which resolves a cycle at
 * any clock up to 1000 GHz. One event per line, so the file diffs well. */
#include <inttypes.h>
#include <stdio.h>

#include "perf_int.h"
#include "seedchip/isa.h"
#include "seedchip/version.h"

/* Bins of the bandwidth counter: about 1000 across the run. */
#define TRACE_BINS 1000

static void meta(sc_strbuf *out, const char *name, uint32_t pid, int tid, const char *key,
                 const char *text, long long num) {
  sc_strbuf_printf(out, "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%d,\"args\":{",
                   name, pid, tid);
  if (text) {
    sc_strbuf_printf(out, "\"%s\":", key);
    perf_json_string(out, text);
  } else {
    sc_strbuf_printf(out, "\"%s\":%lld", key, num);
  }
  sc_strbuf_printf(out, "}},\n");
}

static void trace_ops(const sc_profile *p, const sc_program *prog, double cycles_per_us,
                      sc_strbuf *out) {
  char source[512];
  for (size_t i = 0; i < p->n_ops; i++) {
    const sc_prof_op *op = &p->ops[i];
    const sc_isa_info *info = sc_isa_info_of(op->opcode);
    char name[16];
    if (!info) snprintf(name, sizeof name, "op 0x%02x", (unsigned)op->opcode);
    perf_source_at(prog, op->core, op->pc, source, sizeof source);
    sc_strbuf_printf(
        out,
        "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%" PRIu32
        ",\"tid\":%u,\"ts\":%.6f,\"dur\":%.6f,\"args\":{\"pc\":%" PRIu32 ",\"source\":",
        info ? info->mnemonic : name, sc_unit_name((sc_unit)op->unit), op->core, (unsigned)op->unit,
        (double)op->start / cycles_per_us, (double)(op->end - op->start) / cycles_per_us, op->pc);
    perf_json_string(out, source);
    sc_strbuf_printf(out, ",\"cycles\":%" PRIu64, op->end - op->start);
    if (op->mem_bytes) sc_strbuf_printf(out, ",\"mem_bytes\":%" PRIu64, op->mem_bytes);
    sc_strbuf_printf(out, "}},\n");
  }
}

/* The counter: one sample per bin at its start, GB/s = bytes / bin time, then
 * a closing 0 at the end of the run so the last bin has its width. */
static sc_status trace_bandwidth(const sc_profile *p, double cycles_per_us, sc_strbuf *out) {
  perf_timeline t;
  uint64_t span = perf_span(p); /* the cycles, unless an op ends later */
  uint64_t bin = span / TRACE_BINS ? span / TRACE_BINS : 1;
  sc_status st = perf_timeline_build(p, bin, &t);
  if (st != SC_STATUS_OK) return st;
  uint32_t pid = p->n_cores;
  for (size_t i = 0; i <= t.n_bins; i++) {
    double gb_s = 0;
    if (i < t.n_bins) gb_s = t.mem_bytes[i] * cycles_per_us / 1e3 / (double)perf_bin_cycles(&t, i);
    uint64_t at = i < t.n_bins ? (uint64_t)i * t.bin : t.span;
    sc_strbuf_printf(out,
                     "{\"name\":\"memory bandwidth (GB/s)\",\"ph\":\"C\",\"pid\":%" PRIu32
                     ",\"tid\":0,\"ts\":%.6f,\"args\":{\"GB/s\":%.9g}},\n",
                     pid, (double)at / cycles_per_us, gb_s);
  }
  perf_timeline_free(&t);
  return SC_STATUS_OK;
}

sc_status sc_perf_trace(const sc_profile *p, const sc_arch *a, const sc_program *prog,
                        sc_strbuf *out) {
  if (!p || !a || !out) return SC_STATUS_INVALID_ARGUMENT;
  sc_status st = perf_check(p, a);
  if (st != SC_STATUS_OK) return st;
  const double ghz = perf_clock_ghz(p, a);
  const double cycles_per_us = ghz * 1e3;

  sc_strbuf_printf(out, "{\"traceEvents\":[\n");
  char name[32];
  for (uint32_t c = 0; c < p->n_cores; c++) {
    snprintf(name, sizeof name, "core %" PRIu32, c);
    meta(out, "process_name", c, 0, "name", name, 0);
    meta(out, "process_sort_index", c, 0, "sort_index", NULL, c);
    for (unsigned u = 0; u < SC_UNIT_COUNT; u++) {
      if (!perf_unit_exists(a, u)) continue;
      meta(out, "thread_name", c, (int)u, "name", sc_unit_name((sc_unit)u), 0);
      meta(out, "thread_sort_index", c, (int)u, "sort_index", NULL, u);
    }
  }
  if (p->ops) {
    meta(out, "process_name", p->n_cores, 0, "name", "memory", 0);
    meta(out, "process_sort_index", p->n_cores, 0, "sort_index", NULL, p->n_cores);
    trace_ops(p, prog, cycles_per_us, out);
    st = trace_bandwidth(p, cycles_per_us, out);
    if (st != SC_STATUS_OK) return st;
  }
  /* The last event ends with ",\n": drop the comma (JSON has no trailing commas). */
  if (!out->oom && out->len >= 2 && out->data[out->len - 2] == ',') {
    out->data[out->len - 2] = '\n';
    out->data[--out->len] = '\0';
  }
  sc_strbuf_printf(
      out,
      "],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"generator\":\"SeedChip " SC_VERSION_STRING
      "\",\"arch\":");
  perf_json_string(out, a->name);
  sc_strbuf_printf(
      out, ",\"cores\":%" PRIu32 ",\"clock_ghz\":%.6g,\"cycles\":%" PRIu64 ",\"ops_recorded\":%zu",
      p->n_cores, ghz, p->cycles, p->n_ops);
  if (!p->ops)
    sc_strbuf_printf(out, ",\"note\":\"no op intervals were recorded: run with trace recording "
                          "on to see the ops\"");
  sc_strbuf_printf(out, "}}\n");
  return out->oom ? SC_STATUS_NO_MEMORY : SC_STATUS_OK;
}
