/* perf_report.c: the HTML report of a profile. One self-contained page: inline
 * CSS and inline SVG drawn here, no scripts, fonts, images or links, so it
 * opens offline and can be mailed as one file.
 *
 * Sections: key figures, summary, energy by component, roofline, utilization
 * timeline, engines, stall and overhead reasons, time by source op. Every
 * string that is not a literal of this file goes through perf_html. Numbers
 * are printed with fixed precision, so equal inputs give equal bytes. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf_int.h"
#include "seedchip/version.h"

/* Time bins of the timeline: about this many across the run. */
#define REPORT_BINS 400

#define PI 3.14159265358979323846

static const char css_page[] =
    "header .desc{margin-top:6px;color:#98a6c2;font-size:12.5px;max-width:980px}\n"
    "main{padding:22px 0 40px}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;"
    "padding:18px 22px 20px;margin:0 0 18px;box-shadow:0 1px 2px rgba(20,30,50,.04)}\n"
    "h2{margin:0 0 4px;font-size:16px;font-weight:600;color:var(--accent)}\n"
    "p.note{margin:0 0 12px;color:var(--muted);font-size:12.5px}\n"
    ".cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin:0 0 18px}\n"
    ".card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px}\n"
    ".card .k{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.6px}\n"
    ".card .v{font-size:21px;font-weight:600;margin-top:2px;font-variant-numeric:tabular-nums}\n"
    ".card .s{color:var(--muted);font-size:12px}\n"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
    "th{font-size:11.5px;text-transform:uppercase;letter-spacing:.4px;color:var(--muted);"
    "font-weight:600;text-align:right;padding:6px 10px;border-bottom:2px solid var(--line)}\n"
    "td{text-align:right;padding:6px 10px;border-bottom:1px solid var(--line);"
    "vertical-align:top}\n"
    "tr:last-child td{border-bottom:none}\n"
    "th.l,td.l{text-align:left}\n"
    "td .doc{color:var(--muted);font-size:12px}\n"
    "code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}\n"
    "td.nw{white-space:nowrap}\n"
    "td.barc{width:190px}\n"
    ".bar{height:9px;background:#e9edf3;border-radius:5px;overflow:hidden;margin-top:5px}\n"
    ".bar span{display:block;height:100%;background:var(--accent);border-radius:5px}\n"
    ".two{display:grid;grid-template-columns:1fr 1fr;gap:0 36px}\n"
    ".kv td:first-child{text-align:left;color:var(--muted)}\n"
    ".stack{display:flex;height:26px;border-radius:6px;overflow:hidden;margin:8px 0 14px}\n"
    ".stack span{display:block;height:100%}\n";

/* Colors: units, energy components, roofs. */
static const char *const unit_color[SC_UNIT_COUNT] = {"#8a94a6", "#3b75af", "#3b75af", "#3b75af",
                                                      "#3b75af", "#c8553d", "#4f9d69"};
static const char *const energy_color[SC_ENERGY_COUNT] = {"#c8553d", "#4f9d69", "#e0a030",
                                                          "#d4c04a", "#7b5ea7", "#3b75af",
                                                          "#9aa3b2", "#8a6d3b", "#2a9d9f"};
static const char *const roof_color[] = {"#c8553d", "#3b75af", "#4f9d69", "#e0a030",
                                         "#7b5ea7", "#8a6d3b", "#2a9d9f", "#b5487f"};
static const char mem_color[] = "#7b5ea7";

/* ---- small pieces ----------------------------------------------------------- */

/* v with thousands separators in buf (at least GROUP_BUF bytes); returns buf. */
#define GROUP_BUF 32
static const char *group(char *buf, uint64_t v) {
  perf_fmt_group(buf, GROUP_BUF, v);
  return buf;
}

static void bar(sc_strbuf *out, double pct, const char *color) {
  if (pct < 0) pct = 0;
  if (pct > 100) pct = 100;
  sc_strbuf_printf(out, "<div class=\"bar\"><span style=\"width:%.1f%%", pct);
  if (color) sc_strbuf_printf(out, ";background:%s", color);
  sc_strbuf_printf(out, "\"></span></div>");
}

static void card(sc_strbuf *out, const char *key, const char *value, const char *sub) {
  sc_strbuf_printf(out, "<div class=\"card\"><div class=\"k\">");
  perf_html(out, key);
  sc_strbuf_printf(out, "</div><div class=\"v\">");
  perf_html(out, value);
  sc_strbuf_printf(out, "</div><div class=\"s\">");
  perf_html(out, sub);
  sc_strbuf_printf(out, "</div></div>\n");
}

static void kv(sc_strbuf *out, const char *key, const char *fmt, ...) SC_PRINTF(3, 4);
static void kv(sc_strbuf *out, const char *key, const char *fmt, ...) {
  char value[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(value, sizeof value, fmt, ap);
  va_end(ap);
  sc_strbuf_printf(out, "<tr><td>");
  perf_html(out, key);
  sc_strbuf_printf(out, "</td><td>");
  perf_html(out, value);
  sc_strbuf_printf(out, "</td></tr>\n");
}

/* ---- header, cards, summary ----------------------------------------------- */

static void report_head(const sc_profile *p, const sc_arch *a, const char *title, sc_strbuf *out) {
  char t[48];
  perf_fmt_si(t, sizeof t, (double)p->cycles / (perf_clock_ghz(p, a) * 1e9), "s");
  sc_strbuf_printf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                        "<title>");
  perf_html(out, title);
  sc_strbuf_printf(out,
                   "</title>\n<style>\n%s%s%s</style>\n</head>\n<body>\n<header><div "
                   "class=\"wrap\">\n<h1>",
                   perf_css_head, css_page, perf_css_tail);
  perf_html(out, title);
  sc_strbuf_printf(out, "</h1>\n<div class=\"sub\">Architecture <b>");
  perf_html(out, a->name);
  char g[GROUP_BUF], cores[64];
  perf_cores_label(p, cores, sizeof cores);
  sc_strbuf_printf(out,
                   "</b> &middot; %s at %.4g GHz &middot; %s cycles (%s) "
                   "&middot; fingerprint %016" PRIx64 "</div>\n",
                   cores, perf_clock_ghz(p, a), group(g, p->cycles), t, sc_arch_fingerprint(a));
  if (a->description[0]) {
    sc_strbuf_printf(out, "<div class=\"desc\">");
    perf_html(out, a->description);
    sc_strbuf_printf(out, "</div>\n");
  }
  sc_strbuf_printf(out, "</div></header>\n<main><div class=\"wrap\">\n");
}

static void report_cards(const sc_profile *p, const sc_arch *a, const sc_prof_summary *s,
                         sc_strbuf *out) {
  char v[64], sub[160], g[GROUP_BUF];
  sc_strbuf_printf(out, "<div class=\"cards\">\n");
  perf_fmt_si(v, sizeof v, s->seconds, "s");
  snprintf(sub, sizeof sub, "%s cycles", group(g, p->cycles));
  card(out, "Run time", v, sub);
  perf_fmt_si(v, sizeof v, s->energy_j, "J");
  snprintf(sub, sizeof sub, "%.1f%% in the MXU",
           perf_pct(p->energy_pj[SC_ENERGY_MXU], s->energy_j * 1e12));
  card(out, "Energy", v, sub);
  snprintf(v, sizeof v, "%.1f W", s->avg_power_w);
  snprintf(sub, sizeof sub, "%.0f%% of %.0f W TDP", perf_pct(s->avg_power_w, a->power.tdp_w),
           a->power.tdp_w);
  card(out, "Average power", v, sub);
  snprintf(v, sizeof v, "%.1f%%", 100 * s->mxu_utilization);
  snprintf(sub, sizeof sub, "%.1f of %.1f TFLOP/s", s->achieved_flop_s / 1e12,
           s->peak_flop_s / 1e12);
  card(out, "MXU utilization", v, sub);
  snprintf(v, sizeof v, "%.1f%%", 100 * s->mem_utilization);
  snprintf(sub, sizeof sub, "%.0f of %.0f GB/s peak", s->achieved_mem_b_s / 1e9,
           s->mem_peak_b_s / 1e9);
  card(out, "Memory bandwidth", v, sub);
  perf_fmt_num(v, sizeof v, s->arithmetic_intensity);
  card(out, "Arithmetic intensity", v, "FLOP per byte of device memory");
  sc_strbuf_printf(out, "</div>\n");
}

static void report_summary(const sc_profile *p, const sc_arch *a, const sc_prof_summary *s,
                           sc_strbuf *out) {
  char t[48], e[48], fl[48], by[48], rd[48], wr[48], mix[160];
  perf_fmt_si(t, sizeof t, s->seconds, "s");
  perf_fmt_si(e, sizeof e, s->energy_j, "J");
  perf_fmt_si(fl, sizeof fl, s->flops, "FLOP");
  perf_fmt_si(by, sizeof by, s->mem_bytes, "B");
  perf_fmt_si(rd, sizeof rd, (double)p->actions.mem_rd_bytes, "B");
  perf_fmt_si(wr, sizeof wr, (double)p->actions.mem_wr_bytes, "B");
  perf_mix_label(p, mix, sizeof mix);
  sc_strbuf_printf(out, "<section><h2>Summary</h2>\n<p class=\"note\">Derived from the cycle "
                        "counts, action counts and energy of the timed run "
                        "(docs/PERF_MODEL.md).</p>\n<div class=\"two\">\n"
                        "<table class=\"kv\">\n");
  char g[GROUP_BUF];
  kv(out, "Cycles", "%s", group(g, p->cycles));
  kv(out, "Time at the chip clock", "%s at %.4g GHz", t, perf_clock_ghz(p, a));
  kv(out, "Energy", "%s", e);
  kv(out, "Average power", "%.2f W (TDP %.0f W)", s->avg_power_w, a->power.tdp_w);
  kv(out, "Work", "%s (2 per MAC)", fl);
  kv(out, "MAC dtype mix", "%s", mix);
  kv(out, "Achieved", "%.2f TFLOP/s", s->achieved_flop_s / 1e12);
  kv(out, "Peak for the mix", "%.2f TFLOP/s", s->peak_flop_s / 1e12);
  kv(out, "MXU utilization", "%.1f%%", 100 * s->mxu_utilization);
  sc_strbuf_printf(out, "</table>\n<table class=\"kv\">\n");
  kv(out, "Device memory moved", "%s (read %s, written %s)", by, rd, wr);
  kv(out, "Achieved bandwidth", "%.1f GB/s", s->achieved_mem_b_s / 1e9);
  kv(out, "Peak bandwidth", "%.1f GB/s", s->mem_peak_b_s / 1e9);
  kv(out, "Effective bandwidth", "%.1f GB/s", s->mem_effective_b_s / 1e9);
  kv(out, "Bandwidth utilization", "%.1f%% of peak, %.1f%% of effective", 100 * s->mem_utilization,
     perf_pct(s->achieved_mem_b_s, s->mem_effective_b_s));
  char num[48];
  perf_fmt_num(num, sizeof num, s->arithmetic_intensity);
  kv(out, "Arithmetic intensity", "%s FLOP/B", num);
  perf_fmt_num(num, sizeof num,
               s->mem_effective_b_s > 0 ? s->peak_flop_s / s->mem_effective_b_s : 0);
  kv(out, "Ridge point of the mix", "%s FLOP/B", num);
  kv(out, "Bound by", "%s",
     s->flops == 0       ? "no MXU work"
     : s->mem_bytes == 0 ? "compute (no device memory traffic)"
     : s->mem_effective_b_s * s->arithmetic_intensity < s->peak_flop_s ? "memory bandwidth"
                                                                       : "compute");
  sc_strbuf_printf(out, "</table>\n</div></section>\n");
}

static void report_energy(const sc_profile *p, const sc_prof_summary *s, sc_strbuf *out) {
  double total = s->energy_j * 1e12;
  char e[48];
  perf_fmt_si(e, sizeof e, s->energy_j, "J");
  sc_strbuf_printf(out,
                   "<section><h2>Energy by component</h2>\n<p class=\"note\">Total %s over "
                   "the run; average power %.2f W.</p>\n<div class=\"stack\">",
                   e, s->avg_power_w);
  for (int c = 0; c < SC_ENERGY_COUNT; c++) {
    double pct = perf_pct(p->energy_pj[c], total);
    if (pct <= 0) continue;
    sc_strbuf_printf(out, "<span style=\"width:%.3f%%;background:%s\" title=\"%s %.1f%%\"></span>",
                     pct, energy_color[c], sc_energy_name((sc_energy)c), pct);
  }
  sc_strbuf_printf(out, "</div>\n<table>\n<tr><th class=\"l\">component</th><th>energy</th>"
                        "<th>picojoules</th><th>share</th><th class=\"l\"></th></tr>\n");
  char g[GROUP_BUF];
  for (int c = 0; c < SC_ENERGY_COUNT; c++) {
    double pct = perf_pct(p->energy_pj[c], total);
    perf_fmt_si(e, sizeof e, p->energy_pj[c] * 1e-12, "J");
    sc_strbuf_printf(out,
                     "<tr><td class=\"l\"><span class=\"sw\" style=\"background:%s\"></span>%s"
                     "</td><td>%s</td><td>%s</td><td>%.1f%%</td><td class=\"l barc\">",
                     energy_color[c], sc_energy_name((sc_energy)c), e,
                     group(g, (uint64_t)(p->energy_pj[c] + 0.5)), pct);
    bar(out, pct, energy_color[c]);
    sc_strbuf_printf(out, "</td></tr>\n");
  }
  sc_strbuf_printf(out, "</table></section>\n");
}

/* ---- roofline --------------------------------------------------------------- */

/* Log-log plot area: pixels [px0, px1] x [py0, py1] (py1 at the bottom),
 * decades [lx0, lx1] x [ly0, ly1]. */
typedef struct loglog {
  double px0, px1, py0, py1;
  int lx0, lx1, ly0, ly1;
} loglog;

static double ll_x(const loglog *g, double v) {
  return g->px0 + (log10(v) - g->lx0) / (g->lx1 - g->lx0) * (g->px1 - g->px0);
}
static double ll_y(const loglog *g, double v) {
  return g->py1 - (log10(v) - g->ly0) / (g->ly1 - g->ly0) * (g->py1 - g->py0);
}

/* Dtypes whose peaks are equal share one roof. */
typedef struct roof {
  double peak;
  char label[128];
  bool any_float, any_int;
} roof;

static size_t collect_roofs(const sc_arch_figures *f, roof *roofs) {
  size_t n = 0;
  for (int d = 0; d < SC_DTYPE_COUNT; d++) {
    double pk = f->peak_ops_per_s[d];
    if (!(pk > 0)) continue;
    size_t i = 0;
    while (i < n && fabs(roofs[i].peak - pk) > 1e-9 * pk) i++;
    if (i == n) roofs[n++] = (roof){.peak = pk};
    roof *r = &roofs[i];
    size_t len = strlen(r->label);
    snprintf(r->label + len, sizeof r->label - len, "%s%s", len ? ", " : "",
             sc_dtype_name((sc_dtype)d));
    if (sc_dtype_is_float((sc_dtype)d))
      r->any_float = true;
    else
      r->any_int = true;
  }
  /* Highest roof first, so labels stack from the top. */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && roofs[j].peak > roofs[j - 1].peak; j--) {
      roof tmp = roofs[j];
      roofs[j] = roofs[j - 1];
      roofs[j - 1] = tmp;
    }
  return n;
}

/* A diagonal bandwidth roof y = bw * x across the plot, clipped by the SVG,
 * labelled along its slope at the fraction `at` of the plot's width, offset
 * pixels off the line (negative: above). */
static void roof_diagonal(sc_strbuf *out, const loglog *g, double bw, const char *dash,
                          const char *color, const char *label, double at, double offset) {
  double xa = pow(10, g->lx0), xb = pow(10, g->lx1);
  sc_strbuf_printf(out,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2\"%s clip-path=\"url(#rf-clip)\"/>\n",
                   ll_x(g, xa), ll_y(g, bw * xa), ll_x(g, xb), ll_y(g, bw * xb), color, dash);
  /* Label where the line crosses the chosen x, when that point is in the plot. */
  double lx = g->lx0 + at * (g->lx1 - g->lx0);
  double xv = pow(10, lx), yv = bw * xv;
  double px = ll_x(g, xv), py = ll_y(g, yv);
  if (py < g->py0 + 14 || py > g->py1 - 6) return;
  double dx = (g->px1 - g->px0) / (g->lx1 - g->lx0), dy = (g->py1 - g->py0) / (g->ly1 - g->ly0);
  double angle = -atan2(dy, dx) * 180 / PI;
  sc_strbuf_printf(out,
                   "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(%.2f %.1f %.1f)\" "
                   "class=\"halo\" style=\"fill:%s\">",
                   px, py + offset, angle, px, py, color);
  perf_html(out, label);
  sc_strbuf_printf(out, "</text>\n");
}

static void report_roofline(const sc_profile *p, const sc_arch *a, const sc_prof_summary *s,
                            sc_strbuf *out) {
  sc_arch_figures f;
  sc_arch_derive(a, &f);
  roof roofs[SC_DTYPE_COUNT];
  size_t n_roofs = collect_roofs(&f, roofs);
  const double bw = s->mem_effective_b_s, bw_peak = s->mem_peak_b_s;
  const bool has_point = s->arithmetic_intensity > 0 && s->achieved_flop_s > 0;

  /* Decades: x from a tenth of the lowest ridge (or the run) to ten times the
   * highest; y from the top roof down to the bandwidth roof at the left edge
   * (or the run's point), at most 8 decades. */
  double xmin = HUGE_VAL, xmax = 0, ymax = 0;
  for (size_t i = 0; i < n_roofs; i++) {
    double ridge = bw > 0 ? roofs[i].peak / bw : 1;
    xmin = fmin(xmin, ridge);
    xmax = fmax(xmax, ridge);
    ymax = fmax(ymax, roofs[i].peak);
  }
  if (n_roofs == 0) xmin = xmax = 1, ymax = bw > 0 ? bw : 1e12;
  if (has_point) {
    xmin = fmin(xmin, s->arithmetic_intensity);
    xmax = fmax(xmax, s->arithmetic_intensity);
    ymax = fmax(ymax, s->achieved_flop_s);
  }
  loglog g = {.px0 = 84, .px1 = 1060, .py0 = 24, .py1 = 424};
  g.lx0 = (int)floor(log10(xmin)) - 1;
  g.lx1 = (int)ceil(log10(xmax)) + 1;
  if (g.lx1 - g.lx0 > 10) g.lx0 = g.lx1 - 10;
  g.ly1 = (int)ceil(log10(ymax * 1.5));
  double ylow = bw > 0 ? bw * pow(10, g.lx0) : ymax / 1e4;
  if (has_point) ylow = fmin(ylow, s->achieved_flop_s);
  g.ly0 = (int)floor(log10(ylow));
  if (g.ly1 - g.ly0 > 8) g.ly0 = g.ly1 - 8;
  if (g.ly1 - g.ly0 < 3) g.ly0 = g.ly1 - 3;

  sc_strbuf_printf(out,
                   "<section><h2>Roofline</h2>\n<p class=\"note\">Attainable throughput against "
                   "arithmetic intensity: the compute roof of each MXU dtype, the effective "
                   "(solid) and peak (dashed) device-memory bandwidth, their ridge points, and "
                   "this run. Log-log axes.</p>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1100 512\" "
                   "width=\"1100\" height=\"512\" role=\"img\" aria-label=\"roofline\">\n"
                   "<defs><clipPath id=\"rf-clip\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                   "height=\"%.1f\"/></clipPath></defs>\n"
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fbfcfd\" "
                   "stroke=\"#c9d0db\"/>\n",
                   g.px0, g.py0, g.px1 - g.px0, g.py1 - g.py0, g.px0, g.py0, g.px1 - g.px0,
                   g.py1 - g.py0);

  /* Grid: decades solid, 2..9 faint; tick labels. */
  char lab[32];
  for (int k = g.lx0; k <= g.lx1; k++) {
    double x = ll_x(&g, pow(10, k));
    sc_strbuf_printf(out,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dfe4eb\"/>\n",
                     x, g.py0, x, g.py1);
    for (int m = 2; m < 10 && k < g.lx1; m++) {
      double xm = ll_x(&g, m * pow(10, k));
      sc_strbuf_printf(out,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#eef1f5\"/>\n",
                       xm, g.py0, xm, g.py1);
    }
    perf_decade_label(lab, sizeof lab, k, true);
    sc_strbuf_printf(out,
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"t\">%s"
                     "</text>\n",
                     x, g.py1 + 16, lab);
  }
  for (int k = g.ly0; k <= g.ly1; k++) {
    double y = ll_y(&g, pow(10, k));
    sc_strbuf_printf(out,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dfe4eb\"/>\n",
                     g.px0, y, g.px1, y);
    for (int m = 2; m < 10 && k < g.ly1; m++) {
      double ym = ll_y(&g, m * pow(10, k));
      sc_strbuf_printf(out,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#eef1f5\"/>\n",
                       g.px0, ym, g.px1, ym);
    }
    perf_decade_label(lab, sizeof lab, k, false);
    sc_strbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"t\">%s</text>\n",
                     g.px0 - 8, y + 4, lab);
  }
  sc_strbuf_printf(out,
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">arithmetic intensity "
                   "(FLOP per byte of device memory)</text>\n"
                   "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 "
                   "%.1f)\">throughput (FLOP/s; op/s for integer dtypes)</text>\n",
                   (g.px0 + g.px1) / 2, g.py1 + 40, (g.py0 + g.py1) / 2, (g.py0 + g.py1) / 2);

  /* The roof of the run's dtype mix, when it is none of the dtype roofs, as a
   * short stretch around the run's point (a full line would cross the roof
   * labels); then the memory roofs, then each compute roof from its ridge to
   * the right edge. */
  bool mix_roof = has_point && s->peak_flop_s > 0 && bw > 0;
  for (size_t i = 0; i < n_roofs && mix_roof; i++)
    mix_roof = fabs(roofs[i].peak - s->peak_flop_s) > 1e-9 * s->peak_flop_s;
  if (mix_roof) {
    double y = ll_y(&g, s->peak_flop_s), px = ll_x(&g, s->arithmetic_intensity);
    double xa = fmax(ll_x(&g, s->peak_flop_s / bw), px - 60), xb = fmin(g.px1, px + 60);
    if (xb > xa)
      sc_strbuf_printf(out,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#d12f2f\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n",
                       xa, y, xb, y);
    else
      mix_roof = false;
  }
  char text[320];
  if (bw_peak > bw) {
    snprintf(text, sizeof text, "peak %.0f GB/s", bw_peak / 1e9);
    roof_diagonal(out, &g, bw_peak, " stroke-dasharray=\"6 5\"", "#8a94a6", text, 0.1, -7);
  }
  if (bw > 0) {
    snprintf(text, sizeof text, "effective %.0f GB/s", bw / 1e9);
    roof_diagonal(out, &g, bw, "", "#39465e", text, 0.1, 16);
  }
  for (size_t i = 0; i < n_roofs; i++) {
    const roof *r = &roofs[i];
    const char *color = roof_color[i % SC_ARRAY_LEN(roof_color)];
    double ridge = bw > 0 ? r->peak / bw : pow(10, g.lx0);
    double x0 = ll_x(&g, ridge), y = ll_y(&g, r->peak);
    sc_strbuf_printf(out,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"2.5\" clip-path=\"url(#rf-clip)\"/>\n"
                     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#fff\" stroke=\"%s\" "
                     "stroke-width=\"2\"/>\n",
                     x0, y, g.px1, y, color, x0, y, color);
    const char *unit = r->any_int ? (r->any_float ? "Top/s" : "TOPS") : "TFLOP/s";
    snprintf(text, sizeof text, "%s: %.1f %s", r->label, r->peak / 1e12, unit);
    sc_strbuf_printf(out,
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"h halo\" "
                     "style=\"fill:%s\">",
                     g.px1 - 8, y - 7, color);
    perf_html(out, text);
    char num[48];
    perf_fmt_num(num, sizeof num, ridge);
    snprintf(text, sizeof text, "ridge %s FLOP/B", num);
    sc_strbuf_printf(out, "</text>\n<text x=\"%.1f\" y=\"%.1f\" class=\"t halo\">", x0 + 8, y + 16);
    perf_html(out, text);
    sc_strbuf_printf(out, "</text>\n");
  }

  /* The run: its point, a dotted line up to what its dtype mix could attain,
   * the roof of that mix when it is none of the dtype roofs, and a legend. */
  const double ly = g.py1 + 62;
  if (has_point) {
    double ai = s->arithmetic_intensity, fl = s->achieved_flop_s;
    double px = ll_x(&g, ai), py = ll_y(&g, fl);
    double attain = s->peak_flop_s > 0 ? fmin(s->peak_flop_s, bw * ai) : bw * ai;
    if (attain > fl) {
      sc_strbuf_printf(out,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d12f2f\" "
                       "stroke-width=\"1.5\" stroke-dasharray=\"2 3\" "
                       "clip-path=\"url(#rf-clip)\"/>\n",
                       px, py, px, ll_y(&g, attain));
    }
    sc_strbuf_printf(out,
                     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6.5\" fill=\"#d12f2f\" stroke=\"#fff\" "
                     "stroke-width=\"2\"/>\n"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"h halo\" "
                     "style=\"fill:#b02121\">this run</text>\n",
                     px, py, px + (px > g.px1 - 90 ? -10 : 10), py + 20,
                     px > g.px1 - 90 ? "end" : "start");
    char num[48], mix[160];
    perf_fmt_num(num, sizeof num, ai);
    perf_mix_label(p, mix, sizeof mix);
    snprintf(text, sizeof text,
             "this run: %.2f TFLOP/s at %s FLOP/B, %.0f%% of what its dtype mix attains there",
             fl / 1e12, num, perf_pct(fl, attain));
    sc_strbuf_printf(out,
                     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#d12f2f\"/>\n"
                     "<text x=\"%.1f\" y=\"%.1f\">",
                     g.px0 + 6, ly - 4, g.px0 + 18, ly);
    perf_html(out, text);
    sc_strbuf_printf(out, "</text>\n");
    if (mix_roof) {
      snprintf(text, sizeof text, "roof of the run's dtype mix (%s): %.1f TFLOP/s", mix,
               s->peak_flop_s / 1e12);
      sc_strbuf_printf(out,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#d12f2f\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n"
                       "<text x=\"%.1f\" y=\"%.1f\">",
                       g.px0, ly + 16, g.px0 + 12, ly + 16, g.px0 + 18, ly + 20);
      perf_html(out, text);
      sc_strbuf_printf(out, "</text>\n");
    }
  } else {
    sc_strbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", g.px0, ly,
                     s->flops == 0 ? "No point for this run: it did no MXU work."
                                   : "No point for this run: it moved no device memory.");
  }
  sc_strbuf_printf(out, "</svg>\n</section>\n");
}

/* ---- timeline --------------------------------------------------------------- */

/* A step from 1, 2, 5 x 10^k giving at most about 8 ticks over span. */
static double nice_step(double span) {
  double raw = span / 8, mag = pow(10, floor(log10(raw)));
  double m = raw / mag;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * mag;
}

/* A step-shaped path of values v[i] (scaled to [0, vmax]) over the bins,
 * between pixel rows top and bottom; closed to the baseline when fill. */
static void step_path(sc_strbuf *out, const perf_timeline *t, const double *v, double vmax,
                      double x0, double x1, double top, double bottom, bool fill) {
  double sx = (x1 - x0) / (double)t->span;
  sc_strbuf_printf(out, "M%.1f %.1f", x0, fill ? bottom : bottom - (bottom - top) * v[0] / vmax);
  for (size_t i = 0; i < t->n_bins; i++) {
    double a = x0 + sx * (double)(i * t->bin);
    double b = x0 + sx * (double)(i * t->bin + perf_bin_cycles(t, i));
    double frac = vmax > 0 ? v[i] / vmax : 0;
    if (frac > 1) frac = 1;
    double y = bottom - (bottom - top) * frac;
    sc_strbuf_printf(out, "L%.1f %.1fL%.1f %.1f", a, y, b, y);
  }
  if (fill) sc_strbuf_printf(out, "L%.1f %.1fZ", x1, bottom);
}

static sc_status report_timeline(const sc_profile *p, const sc_arch *a, const sc_prof_summary *s,
                                 sc_strbuf *out) {
  sc_strbuf_printf(out, "<section><h2>Utilization over time</h2>\n");
  if (!p->ops) {
    sc_strbuf_printf(out, "<p class=\"note\">No op intervals were recorded in this profile: run "
                          "with trace recording for the timeline.</p></section>\n");
    return SC_STATUS_OK;
  }
  uint64_t span = perf_span(p);
  uint64_t bin = (span + REPORT_BINS - 1) / REPORT_BINS;
  perf_timeline t;
  sc_status st = perf_timeline_build(p, bin ? bin : 1, &t);
  if (st != SC_STATUS_OK) return st;

  unsigned engines = a->core.dma.engines < 4 ? a->core.dma.engines : 4;
  struct band {
    const char *name;
    const char *color;
    double units; /* per core */
    double *frac; /* per bin: busy unit-cycles / (bin cycles * units * cores) */
  } bands[3] = {{"DMA", unit_color[SC_UNIT_DMA0], engines, NULL},
                {"MXU", unit_color[SC_UNIT_MXU], 1, NULL},
                {"VPU", unit_color[SC_UNIT_VPU], 1, NULL}};
  double *store = calloc(3 * t.n_bins, sizeof *store);
  if (!store) {
    perf_timeline_free(&t);
    return SC_STATUS_NO_MEMORY;
  }
  double gb_max = s->mem_effective_b_s / 1e9;
  double *gb = calloc(t.n_bins, sizeof *gb);
  if (!gb) {
    free(store);
    perf_timeline_free(&t);
    return SC_STATUS_NO_MEMORY;
  }
  const double ghz = perf_clock_ghz(p, a);
  for (int b = 0; b < 3; b++) bands[b].frac = store + (size_t)b * t.n_bins;
  for (size_t i = 0; i < t.n_bins; i++) {
    double cyc = (double)perf_bin_cycles(&t, i);
    for (int b = 0; b < 3; b++) {
      double busy = 0;
      if (b == 0)
        for (unsigned e = 0; e < engines; e++) busy += t.busy[SC_UNIT_DMA0 + e][i];
      else
        busy = t.busy[b == 1 ? SC_UNIT_MXU : SC_UNIT_VPU][i];
      double cap = cyc * bands[b].units * p->n_cores;
      bands[b].frac[i] = cap > 0 ? busy / cap : 0;
    }
    gb[i] = t.mem_bytes[i] * ghz / cyc; /* bytes per cycle * cycles per ns */
    if (gb[i] > gb_max) gb_max = gb[i];
  }
  /* The scale: about four ticks from 1, 2, 5 x 10^k, the top one above every
   * bin and the peak bandwidth. */
  if (s->mem_peak_b_s / 1e9 > gb_max) gb_max = s->mem_peak_b_s / 1e9;
  double gb_tick = gb_max > 0 ? nice_step(gb_max * 1.05 * 2) : 1;
  gb_max = gb_max > 0 ? ceil(gb_max * 1.05 / gb_tick) * gb_tick : 1;

  char tl[48];
  perf_fmt_si(tl, sizeof tl, (double)t.bin / (ghz * 1e9), "s");
  sc_strbuf_printf(out,
                   "<p class=\"note\">Fraction of the units busy in each of %zu bins of %" PRIu64
                   " cycles (%s), over all %" PRIu32 " cores; DMA counts each of the %u engines "
                   "per core. Bottom: device-memory bandwidth, each DMA's bytes spread evenly "
                   "over its interval.</p>\n",
                   t.n_bins, t.bin, tl, p->n_cores, engines);

  const double x0 = 150, x1 = 1060, band_h = 58, gap = 16, top0 = 12, mem_h = 120;
  const double mem_top = top0 + 3 * (band_h + gap);
  const double axis_y = mem_top + mem_h;
  const double height = axis_y + 46;
  sc_strbuf_printf(out,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1100 %.0f\" "
                   "width=\"1100\" height=\"%.0f\" role=\"img\" aria-label=\"utilization "
                   "timeline\">\n",
                   height, height);

  for (int b = 0; b < 3; b++) {
    double top = top0 + b * (band_h + gap), bottom = top + band_h;
    double sum = 0, total = 0;
    for (size_t i = 0; i < t.n_bins; i++) {
      sum += bands[b].frac[i] * (double)perf_bin_cycles(&t, i);
      total += (double)perf_bin_cycles(&t, i);
    }
    sc_strbuf_printf(out,
                     "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f4f6f9\" "
                     "stroke=\"#dfe4eb\"/>\n"
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e8ee\" "
                     "stroke-dasharray=\"3 3\"/>\n",
                     x0, top, x1 - x0, band_h, x0, (top + bottom) / 2, x1, (top + bottom) / 2);
    sc_strbuf_printf(out, "<path d=\"");
    step_path(out, &t, bands[b].frac, 1.0, x0, x1, top, bottom, true);
    sc_strbuf_printf(out,
                     "\" fill=\"%s\" fill-opacity=\"0.78\" stroke=\"%s\" "
                     "stroke-width=\"0.8\"/>\n",
                     bands[b].color, bands[b].color);
    sc_strbuf_printf(out,
                     "<text x=\"12\" y=\"%.1f\" class=\"h\">%s</text>\n"
                     "<text x=\"12\" y=\"%.1f\" class=\"t\">avg %.1f%% busy</text>\n"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"t\">100%%</text>\n"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"t\">0%%</text>\n",
                     top + 22, bands[b].name, top + 38, perf_pct(sum, total), x0 - 6, top + 9,
                     x0 - 6, bottom);
  }

  /* Memory bandwidth band, with the effective and peak bandwidth lines when in scale. */
  sc_strbuf_printf(out,
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f4f6f9\" "
                   "stroke=\"#dfe4eb\"/>\n<path d=\"",
                   x0, mem_top, x1 - x0, mem_h);
  for (int k = 1; k * gb_tick <= gb_max * (1 + 1e-9); k++) {
    double y = axis_y - mem_h * k * gb_tick / gb_max;
    sc_strbuf_printf(out,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e8ee\"/>\n"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"t\">%.*f</text>\n",
                     x0, y, x1, y, x0 - 6, y + 4, gb_tick < 1 ? 2 : 0, k * gb_tick);
  }
  step_path(out, &t, gb, gb_max, x0, x1, mem_top, axis_y, true);
  sc_strbuf_printf(out, "\" fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\"/>\n<path d=\"",
                   mem_color);
  step_path(out, &t, gb, gb_max, x0, x1, mem_top, axis_y, false);
  sc_strbuf_printf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"/>\n", mem_color);
  double eff = s->mem_effective_b_s / 1e9, peak = s->mem_peak_b_s / 1e9;
  if (eff > 0) {
    double y = axis_y - mem_h * eff / gb_max;
    sc_strbuf_printf(out,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#39465e\" "
                     "stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>\n"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"t\">effective "
                     "%.0f GB/s</text>\n",
                     x0, y, x1, y, x1 - 6, y - 5, eff);
  }
  if (peak > 0 && peak <= gb_max) {
    double y = axis_y - mem_h * peak / gb_max;
    sc_strbuf_printf(out,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8a94a6\" "
                     "stroke-width=\"1\" stroke-dasharray=\"2 3\"/>\n"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"t\">peak "
                     "%.0f GB/s</text>\n",
                     x0, y, x1, y, x1 - 6, y - 5, peak);
  }
  sc_strbuf_printf(out,
                   "<text x=\"12\" y=\"%.1f\" class=\"h\">Memory</text>\n"
                   "<text x=\"12\" y=\"%.1f\" class=\"t\">GB/s, avg %.0f</text>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"t\">0</text>\n",
                   mem_top + 22, mem_top + 38, s->achieved_mem_b_s / 1e9, x0 - 6, axis_y);

  /* Time axis in the unit that suits the run. */
  double seconds = (double)t.span / (ghz * 1e9);
  double scale = seconds >= 1 ? 1 : seconds >= 1e-3 ? 1e3 : seconds >= 1e-6 ? 1e6 : 1e9;
  const char *unit = scale == 1 ? "s" : scale == 1e3 ? "ms" : scale == 1e6 ? "µs" : "ns";
  double total = seconds * scale, step = nice_step(total);
  sc_strbuf_printf(out,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8a94a6\"/>\n",
                   x0, axis_y, x1, axis_y);
  for (int k = 0; k * step <= total * (1 + 1e-9); k++) {
    double x = x0 + (x1 - x0) * (k * step) / total;
    sc_strbuf_printf(out,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e8ee\"/>\n"
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8a94a6\"/>\n"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"t\">%.4g</text>\n",
                     x, top0, x, axis_y, x, axis_y, x, axis_y + 5, x, axis_y + 18, k * step);
  }
  sc_strbuf_printf(out,
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time (%s)</text>\n"
                   "</svg>\n</section>\n",
                   (x0 + x1) / 2, axis_y + 38, unit);
  free(gb);
  free(store);
  perf_timeline_free(&t);
  return SC_STATUS_OK;
}

/* ---- tables ---------------------------------------------------------------- */

static void report_engines(const sc_profile *p, const sc_arch *a, sc_strbuf *out) {
  perf_unit_total t[SC_UNIT_COUNT];
  perf_unit_totals(p, t);
  double core_cycles = (double)p->cycles * p->n_cores;
  char g1[GROUP_BUF], g2[GROUP_BUF];
  sc_strbuf_printf(out,
                   "<section><h2>Engines</h2>\n<p class=\"note\">Each unit summed over the %" PRIu32
                   " cores; percentages of %s core-cycles. Busy: cycles with an op in flight. "
                   "Lost: cycles attributed to a stall or overhead reason.</p>\n<table>\n"
                   "<tr><th class=\"l\">unit</th><th>ops</th><th>busy cycles</th><th>busy</th>"
                   "<th class=\"l\"></th><th>lost cycles</th><th>lost</th>"
                   "<th class=\"l\">top stall / overhead</th></tr>\n",
                   p->n_cores, group(g1, (uint64_t)core_cycles));
  for (unsigned u = 0; u < SC_UNIT_COUNT; u++) {
    if (!perf_unit_exists(a, u)) continue;
    double busy = perf_pct((double)t[u].busy, core_cycles);
    sc_strbuf_printf(out,
                     "<tr><td class=\"l\"><span class=\"sw\" style=\"background:%s\"></span>%s"
                     "</td><td>%s</td><td>%s</td><td>%.1f%%</td><td class=\"l barc\">",
                     unit_color[u], sc_unit_name((sc_unit)u), group(g1, t[u].ops),
                     group(g2, t[u].busy), busy);
    bar(out, busy, unit_color[u]);
    sc_strbuf_printf(out, "</td><td>%s</td><td>%.1f%%</td><td class=\"l\">", group(g1, t[u].lost),
                     perf_pct((double)t[u].lost, core_cycles));
    if (t[u].lost > 0)
      sc_strbuf_printf(out, "<code>%s</code> &middot; %s cycles", sc_reason_key(t[u].top),
                       group(g2, t[u].reason[t[u].top]));
    else
      sc_strbuf_printf(out, "&ndash;");
    sc_strbuf_printf(out, "</td></tr>\n");
  }
  sc_strbuf_printf(out, "</table></section>\n");
}

static void report_reasons(const sc_profile *p, const sc_arch *a, sc_strbuf *out) {
  perf_reason_row rows[SC_REASON_COUNT];
  size_t n = perf_rank_reasons(p, rows);
  double unit_cycles = (double)p->cycles * p->n_cores * perf_n_units(a);
  double core_cycles = (double)p->cycles * p->n_cores;
  double top = n ? (double)rows[0].cycles : 0;
  char g[GROUP_BUF];
  sc_strbuf_printf(out,
                   "<section><h2>Stall and overhead reasons</h2>\n<p class=\"note\">Cycles lost "
                   "by reason, summed over cores and units, ranked; shares of %s unit-cycles "
                   "(%u units per core). &ldquo;Most on&rdquo; names the unit that lost most to "
                   "the reason, with the share of its time.</p>\n",
                   group(g, (uint64_t)unit_cycles), perf_n_units(a));
  if (n == 0) {
    sc_strbuf_printf(out, "<p>No cycles were lost to stalls or overheads.</p></section>\n");
    return;
  }
  sc_strbuf_printf(out, "<table>\n<tr><th>#</th><th class=\"l\">reason</th><th>cycles</th>"
                        "<th>share</th><th class=\"l\"></th><th class=\"l\">most on</th></tr>\n");
  for (size_t i = 0; i < n; i++) {
    const perf_reason_row *r = &rows[i];
    char cyc[32];
    perf_fmt_group(cyc, sizeof cyc, r->cycles);
    sc_strbuf_printf(out, "<tr><td>%zu</td><td class=\"l\"><code>%s</code><div class=\"doc\">",
                     i + 1, sc_reason_key(r->reason));
    perf_html(out, sc_reason_doc(r->reason));
    sc_strbuf_printf(out, "</div></td><td>%s</td><td>%.1f%%</td><td class=\"l barc\">", cyc,
                     perf_pct((double)r->cycles, unit_cycles));
    bar(out, perf_pct((double)r->cycles, top), "#c8553d");
    sc_strbuf_printf(out, "</td><td class=\"l nw\">%s &middot; %.1f%% of its time</td></tr>\n",
                     sc_unit_name(r->worst), perf_pct((double)r->worst_cycles, core_cycles));
  }
  sc_strbuf_printf(out, "</table></section>\n");
}

static sc_status report_sources(const sc_profile *p, const sc_program *prog, sc_strbuf *out) {
  perf_source_row *rows;
  size_t n;
  uint64_t total;
  sc_status st = perf_rank_sources(p, prog, &rows, &n, &total);
  if (st != SC_STATUS_OK) return st;
  char g1[GROUP_BUF], g2[GROUP_BUF];
  sc_strbuf_printf(out, "<section><h2>Time by source op</h2>\n<p class=\"note\">Cycles each "
                        "instruction held its unit, summed over cores and grouped by the "
                        "program's debug map (source line or graph op); ");
  if (n > PERF_TOP_SOURCES)
    sc_strbuf_printf(out, "the top %d of %zu sources", PERF_TOP_SOURCES, n);
  else
    sc_strbuf_printf(out, "all %zu sources", n);
  sc_strbuf_printf(out, ", shares of %s busy cycles.</p>\n", group(g1, total));
  if (!p->pc_cycles || n == 0) {
    sc_strbuf_printf(out, "<p>%s</p></section>\n",
                     p->pc_cycles ? "No instruction held a unit."
                                  : "No per-instruction cycles were recorded.");
    free(rows);
    return SC_STATUS_OK;
  }
  sc_strbuf_printf(out, "<table>\n<tr><th>#</th><th class=\"l\">source</th><th>cycles</th>"
                        "<th>share</th><th class=\"l\"></th><th>instructions</th></tr>\n");
  for (size_t i = 0; i < n && i < PERF_TOP_SOURCES; i++) {
    char name[512];
    perf_source_name(&rows[i], name, sizeof name);
    double pct = perf_pct((double)rows[i].cycles, (double)total);
    sc_strbuf_printf(out, "<tr><td>%zu</td><td class=\"l\"><code>", i + 1);
    perf_html(out, name);
    sc_strbuf_printf(out, "</code></td><td>%s</td><td>%.1f%%</td><td class=\"l barc\">",
                     group(g1, rows[i].cycles), pct);
    bar(out, pct, NULL);
    sc_strbuf_printf(out, "</td><td>%s</td></tr>\n", group(g2, rows[i].n_instrs));
  }
  sc_strbuf_printf(out, "</table></section>\n");
  free(rows);
  return SC_STATUS_OK;
}

sc_status sc_perf_report(const sc_profile *p, const sc_arch *a, const sc_program *prog,
                         const char *title, sc_strbuf *out) {
  if (!p || !a || !out) return SC_STATUS_INVALID_ARGUMENT;
  sc_status st = perf_check(p, a);
  if (st != SC_STATUS_OK) return st;
  if (!title || !title[0]) title = "SeedChip performance report";
  sc_prof_summary s;
  sc_perf_summarize(p, a, &s);
  report_head(p, a, title, out);
  report_cards(p, a, &s, out);
  report_summary(p, a, &s, out);
  report_energy(p, &s, out);
  report_roofline(p, a, &s, out);
  st = report_timeline(p, a, &s, out);
  if (st == SC_STATUS_OK) {
    report_engines(p, a, out);
    report_reasons(p, a, out);
    st = report_sources(p, prog, out);
  }
  if (st != SC_STATUS_OK) return st;
  sc_strbuf_printf(out,
                   "<footer>Generated by SeedChip " SC_VERSION_STRING " from a timed run. "
                   "Peak for the mix: the MAC-weighted harmonic mean of the per-dtype peaks. "
                   "Utilization: achieved over peak. Arithmetic intensity: FLOP (2 per MAC) per "
                   "byte read or written in device memory.</footer>\n"
                   "</div></main>\n</body>\n</html>\n");
  return out->oom ? SC_STATUS_NO_MEMORY : SC_STATUS_OK;
}
