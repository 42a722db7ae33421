/* perf_bench.c: the three renderings of a `seedchip bench` result (bench.h):
 * the compact text table printed at the end of a run, the JSON file with every
 * figure, and the self-contained HTML report (inline CSS and SVG, no scripts,
 * fonts or links), drawn in the style of perf_report.c (whose CSS and plot
 * helpers are static there, so the ones needed are repeated here).
 *
 * Invariants:
 *  - A result is checked before anything is written (bench_check): every
 *    string field is NUL-terminated inside its array, counts fit their arrays,
 *    enums are in range. A refused result writes nothing.
 *  - Figures may be anything the driver computed, 0, NaN and infinities
 *    included: a non-finite figure prints as a dash in the table and HTML
 *    (null in JSON), and only figures in (1e-300, 1e300) are plotted, so no
 *    NaN or infinity reaches an SVG coordinate.
 *  - Rows with ok = false appear in the tables with their note and in no plot.
 *  - Every string from the result goes through perf_html (HTML) or
 *    perf_json_string (JSON). Numbers are printed with fixed precision and
 *    nothing depends on time or addresses, so equal inputs give equal bytes. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "perf_int.h"
#include "seedchip/bench.h"
#include "seedchip/version.h"

#define PI 3.14159265358979323846

/* The text table's widest line, in columns (bench.h promises < 120). */
#define TABLE_COLS 119

/* ---- the result ------------------------------------------------------------ */

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

/* OK, or INVALID for a result the writers cannot read safely. */
static sc_status bench_check(const sc_bench_result *r) {
  if (!TERMINATED(r->arch) || !TERMINATED(r->system) || !TERMINATED(r->dtype) ||
      !TERMINATED(r->kv_dtype) || !TERMINATED(r->goals))
    return SC_STATUS_INVALID;
  if (r->n_roofs > SC_ARRAY_LEN(r->roofs) || (r->n_rows > 0 && !r->rows)) return SC_STATUS_INVALID;
  for (size_t i = 0; i < r->n_roofs; i++)
    if (!TERMINATED(r->roofs[i].chip)) return SC_STATUS_INVALID;
  for (size_t i = 0; i < r->n_rows; i++) {
    const sc_bench_row *w = &r->rows[i];
    if ((unsigned)w->kind > SC_BENCH_MEASURED || (unsigned)w->phase > SC_BENCH_DECODE)
      return SC_STATUS_INVALID;
    if (!TERMINATED(w->chip) || !TERMINATED(w->model) || !TERMINATED(w->dtype) ||
        !TERMINATED(w->source) || !TERMINATED(w->note) || w->n_parts > SC_ARRAY_LEN(w->parts))
      return SC_STATUS_INVALID;
    for (size_t k = 0; k < w->n_parts; k++)
      if (!TERMINATED(w->parts[k].name)) return SC_STATUS_INVALID;
  }
  return SC_STATUS_OK;
}

/* Figures the plots take: positive and within 300 decades of 1, so that sums,
 * ratios and axis margins of them stay finite. */
static bool plottable(double v) {
  return v > 1e-300 && v < 1e300;
}

static const char *kind_name(sc_bench_kind k) {
  return k == SC_BENCH_SIMULATED ? "simulated" : k == SC_BENCH_FLOOR ? "floor" : "measured";
}

static const char *phase_name(sc_bench_phase p) {
  return p == SC_BENCH_PREFILL ? "prefill" : "decode";
}

/* "prefill 2048p" or "decode b64 ctx4096". */
static void phase_label(const sc_bench_row *w, char *buf, size_t size) {
  if (w->phase == SC_BENCH_PREFILL)
    snprintf(buf, size, "prefill %" PRIu32 "p", w->prompt);
  else if (w->batch == 0) /* a published throughput at the batch its run chose */
    snprintf(buf, size, "decode offline");
  else
    snprintf(buf, size, "decode b%" PRIu32 " ctx%" PRIu32, w->batch, w->context);
}

/* A figure as perf_fmt_num writes it, or dash when it is not finite. */
static const char *fig(char *buf, size_t size, double v, const char *dash) {
  if (isfinite(v))
    perf_fmt_num(buf, size, v);
  else
    snprintf(buf, size, "%s", dash);
  return buf;
}

/* A fraction as a percentage with one decimal ("72.5"), or dash. */
static const char *pct1(char *buf, size_t size, double frac, const char *dash) {
  if (isfinite(frac))
    snprintf(buf, size, "%.1f", 100 * frac);
  else
    snprintf(buf, size, "%s", dash);
  return buf;
}

/* The row's step time as the table shows it: TTFT for prefill, per token for decode. */
static double row_ms(const sc_bench_row *w) {
  return w->phase == SC_BENCH_PREFILL ? w->ttft_ms : w->ms_per_token;
}

/* ---- text table ------------------------------------------------------------- */

/* Display columns of the UTF-8 string s (bytes that do not continue a sequence). */
static int cols_of(const char *s, size_t n) {
  int c = 0;
  for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xc0) != 0x80;
  return c;
}

/* Appends the first n bytes of s with control characters as spaces. */
static void append_plain(sc_strbuf *sb, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
    sc_strbuf_append(sb, &c, 1);
  }
}

/* Appends s cut to at most max columns: when longer, max - 1 columns and a '~'. */
static int clip(sc_strbuf *sb, const char *s, int max) {
  size_t len = strlen(s);
  int cols = cols_of(s, len);
  if (cols <= max) {
    append_plain(sb, s, len);
    return cols;
  }
  size_t n = 0;
  for (int c = 0; s[n]; n++)
    if (((unsigned char)s[n] & 0xc0) != 0x80 && c++ == max - 1) break;
  append_plain(sb, s, n);
  sc_strbuf_append(sb, "~", 1);
  return max;
}

/* Appends s in width columns: left-aligned text is clipped to them; numbers,
 * right-aligned, are never cut (tnum keeps them narrow). */
static void cell(sc_strbuf *sb, const char *s, int width, bool right_align) {
  int cols = cols_of(s, strlen(s));
  if (right_align) {
    for (int i = cols; i < width; i++) sc_strbuf_append(sb, " ", 1);
    append_plain(sb, s, strlen(s));
    return;
  }
  cols = clip(sb, s, width);
  for (int i = cols; i < width; i++) sc_strbuf_append(sb, " ", 1);
}

/* A table figure (percent: 100 v with one decimal) in at most about width
 * columns: as fig writes it, else with 3 significant digits, else 1. */
static const char *tnum(char *buf, size_t size, double v, int width, bool percent) {
  if (percent)
    pct1(buf, size, v, "-");
  else
    fig(buf, size, v, "-");
  if (isfinite(v) && (int)strlen(buf) > width) {
    if (percent) v *= 100;
    snprintf(buf, size, "%.3g", v);
    if ((int)strlen(buf) > width) snprintf(buf, size, "%.0e", v);
  }
  return buf;
}

/* Appends text word-wrapped to lines of at most width columns; lines after
 * the first start with indent spaces. A word longer than a line is cut. */
static void wrap(sc_strbuf *sb, const char *text, int indent, int width) {
  int used = 0;
  const char *p = text;
  while (*p) {
    while (*p == ' ') p++;
    if (!*p) break;
    size_t n = strcspn(p, " ");
    int w = cols_of(p, n);
    if (used > 0 && used + 1 + w > width) {
      sc_strbuf_printf(sb, "\n%*s", indent, "");
      used = 0;
    }
    if (used > 0) {
      sc_strbuf_append(sb, " ", 1);
      used++;
    }
    if (w > width - used) {
      /* Cut the word at the columns left on this line; the rest is next. */
      size_t k = 0;
      for (int c = 0; k < n; k++)
        if (((unsigned char)p[k] & 0xc0) != 0x80 && c++ == width - used) break;
      append_plain(sb, p, k);
      used = width;
      p += k;
      continue;
    }
    append_plain(sb, p, n);
    used += w;
    p += n;
  }
}

/* Columns of the table: widths, and whether numbers align right. */
static const struct {
  const char *head;
  int width;
  bool right;
} table_col[] = {
    {"chip", 6, false}, {"model", 18, false},     {"phase", 22, false}, {"chips", 5, true},
    {"ms", 9, true},    {"tok/s/chip", 10, true}, {"tok/J", 8, true},   {"MXU%", 6, true},
    {"BW%", 6, true},   {"floor%", 7, true},
};
enum { COL_CHIPS = 3, COL_FIGURES = 4, COL_PERCENT = 7 };

sc_status sc_bench_table(const sc_bench_result *r, sc_strbuf *out) {
  if (!r || !out) return SC_STATUS_INVALID_ARGUMENT;
  sc_status st = bench_check(r);
  if (st != SC_STATUS_OK) return st;

  char wall[48];
  if (isfinite(r->wall_s))
    perf_fmt_si(wall, sizeof wall, r->wall_s, "s");
  else
    snprintf(wall, sizeof wall, "-");
  sc_strbuf_printf(out, "bench: ");
  clip(out, r->arch[0] ? r->arch : "?", 36);
  sc_strbuf_printf(out, " on ");
  clip(out, r->system[0] ? r->system : "?", 36);
  sc_strbuf_printf(out, ", ");
  clip(out, r->dtype, 15);
  if (r->kv_dtype[0]) {
    sc_strbuf_printf(out, " (KV cache ");
    clip(out, r->kv_dtype, 15);
    sc_strbuf_printf(out, ")");
  }
  sc_strbuf_printf(out, ", %zu rows in %s\n", r->n_rows, wall);

  /* The note column starts after the chips column. */
  int note_at = 0;
  for (size_t c = 0; c < SC_ARRAY_LEN(table_col); c++) {
    if (c > 0) sc_strbuf_append(out, " ", 1);
    cell(out, table_col[c].head, table_col[c].width, table_col[c].right);
    if (c <= COL_CHIPS) note_at += table_col[c].width + 1;
  }
  sc_strbuf_append(out, "\n", 1);
  if (r->n_rows == 0) sc_strbuf_printf(out, "(no rows)\n");

  for (size_t i = 0; i < r->n_rows; i++) {
    const sc_bench_row *w = &r->rows[i];
    char text[SC_ARRAY_LEN(table_col)][72];
    snprintf(text[0], sizeof text[0], "%s", w->chip);
    snprintf(text[1], sizeof text[1], "%s", w->model);
    phase_label(w, text[2], sizeof text[2]);
    if (w->chips)
      snprintf(text[3], sizeof text[3], "%" PRIu32, w->chips);
    else
      snprintf(text[3], sizeof text[3], "-");
    const double v[] = {row_ms(w),   w->tok_s_chip, w->tok_per_j,
                        w->mxu_util, w->bw_util,    w->floor_ratio};
    for (size_t c = COL_FIGURES; c < SC_ARRAY_LEN(table_col); c++) {
      /* a measurement gives some figures only: the others are not zero but unknown */
      if (w->kind == SC_BENCH_MEASURED && !(v[c - COL_FIGURES] > 0))
        snprintf(text[c], sizeof text[c], "-");
      else
        tnum(text[c], sizeof text[c], v[c - COL_FIGURES], table_col[c].width, c >= COL_PERCENT);
    }
    size_t n_cols = w->ok ? SC_ARRAY_LEN(table_col) : COL_FIGURES;
    for (size_t c = 0; c < n_cols; c++) {
      if (c > 0) sc_strbuf_append(out, " ", 1);
      cell(out, text[c], table_col[c].width, table_col[c].right);
    }
    const char *mark = w->kind == SC_BENCH_FLOOR      ? "(floor)"
                       : w->kind == SC_BENCH_MEASURED ? "(measured)"
                                                      : NULL;
    if (w->ok) {
      if (mark) sc_strbuf_printf(out, " %s", mark);
    } else {
      char note[400];
      snprintf(note, sizeof note, "%s%snot run: %s", mark ? mark : "", mark ? " " : "",
               w->note[0] ? w->note : "(no note)");
      sc_strbuf_append(out, " ", 1);
      wrap(out, note, note_at, TABLE_COLS - note_at);
    }
    sc_strbuf_append(out, "\n", 1);
  }
  sc_strbuf_printf(out, "ms: time to first token (prefill) or per output token (decode); "
                        "floor%%: physical floor / step time.\n");
  if (r->goals[0]) {
    size_t len = strlen(r->goals);
    sc_strbuf_printf(out, "\n");
    sc_strbuf_append(out, r->goals, len);
    if (r->goals[len - 1] != '\n') sc_strbuf_append(out, "\n", 1);
  }
  return out->oom ? SC_STATUS_NO_MEMORY : SC_STATUS_OK;
}

/* ---- JSON ----------------------------------------------------------------------- */

/* cJSON keeps the keys in insertion order, so the order below is the file's.
 * Strings go in as raw JSON written by perf_json_string: cJSON would copy
 * invalid UTF-8 through, and the file must stay valid JSON whatever the
 * names hold. *oom latches any allocation failure. */
static void j_str(cJSON *o, const char *key, const char *s, bool *oom) {
  sc_strbuf tmp = {0};
  perf_json_string(&tmp, s);
  if (tmp.oom || !cJSON_AddRawToObject(o, key, sc_strbuf_str(&tmp))) *oom = true;
  sc_strbuf_free(&tmp);
}

static void j_num(cJSON *o, const char *key, double v, bool *oom) {
  if (!cJSON_AddNumberToObject(o, key, v)) *oom = true;
}

static cJSON *j_array(cJSON *parent, const char *key, bool *oom) {
  cJSON *a = cJSON_AddArrayToObject(parent, key);
  if (!a) *oom = true;
  return a;
}

/* A new object appended to the array a (NULL when that fails). */
static cJSON *j_item(cJSON *a, bool *oom) {
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddItemToArray(a, o)) {
    cJSON_Delete(o);
    *oom = true;
    return NULL;
  }
  return o;
}

static void json_row(cJSON *o, const sc_bench_row *w, bool *oom) {
  j_str(o, "kind", kind_name(w->kind), oom);
  j_str(o, "chip", w->chip, oom);
  j_str(o, "model", w->model, oom);
  j_str(o, "dtype", w->dtype, oom);
  j_str(o, "source", w->source, oom);
  j_str(o, "note", w->note, oom);
  j_str(o, "phase", phase_name(w->phase), oom);
  j_num(o, "batch", w->batch, oom);
  j_num(o, "context", w->context, oom);
  j_num(o, "prompt", w->prompt, oom);
  j_num(o, "chips", w->chips, oom);
  if (!cJSON_AddBoolToObject(o, "ok", w->ok)) *oom = true;
#define NUM(f) j_num(o, #f, w->f, oom)
  NUM(step_s);
  NUM(ttft_ms);
  NUM(ms_per_token);
  NUM(tok_s_chip);
  NUM(tok_per_j);
  NUM(energy_j);
  NUM(power_w);
  NUM(mxu_util);
  NUM(bw_util);
  NUM(flops);
  NUM(bytes);
  NUM(floor_mem_s);
  NUM(floor_flop_s);
  NUM(floor_ratio);
  NUM(sim_wall_s);
  NUM(offline_out);
  NUM(offline_prefill_s);
  NUM(offline_tok_s_chip);
#undef NUM
  cJSON *parts = j_array(o, "parts", oom);
  for (size_t k = 0; parts && k < w->n_parts; k++) {
    cJSON *p = j_item(parts, oom);
    if (!p) break;
    j_str(p, "name", w->parts[k].name, oom);
    j_num(p, "seconds", w->parts[k].seconds, oom);
  }
}

sc_status sc_bench_json(const sc_bench_result *r, sc_strbuf *out) {
  if (!r || !out) return SC_STATUS_INVALID_ARGUMENT;
  sc_status st = bench_check(r);
  if (st != SC_STATUS_OK) return st;
  bool oom = false;
  cJSON *root = cJSON_CreateObject();
  if (!root) return SC_STATUS_NO_MEMORY;
  j_str(root, "generator", "SeedChip " SC_VERSION_STRING, &oom);
  j_str(root, "arch", r->arch, &oom);
  j_str(root, "system", r->system, &oom);
  j_str(root, "dtype", r->dtype, &oom);
  j_str(root, "kv_dtype", r->kv_dtype, &oom);
  j_num(root, "wall_s", r->wall_s, &oom);
  cJSON *roofs = j_array(root, "roofs", &oom);
  for (size_t i = 0; roofs && i < r->n_roofs; i++) {
    cJSON *o = j_item(roofs, &oom);
    if (!o) break;
    j_str(o, "chip", r->roofs[i].chip, &oom);
    j_num(o, "peak_flop_s", r->roofs[i].peak_flop_s, &oom);
    j_num(o, "mem_b_s", r->roofs[i].mem_b_s, &oom);
    j_num(o, "tdp_w", r->roofs[i].tdp_w, &oom);
  }
  cJSON *rows = j_array(root, "rows", &oom);
  for (size_t i = 0; rows && i < r->n_rows; i++) {
    cJSON *o = j_item(rows, &oom);
    if (!o) break;
    json_row(o, &r->rows[i], &oom);
  }
  /* The goals one line each, without the line ends. */
  cJSON *goals = j_array(root, "goals", &oom);
  for (const char *g = r->goals; goals && *g;) {
    size_t n = strcspn(g, "\n");
    char line[sizeof r->goals];
    memcpy(line, g, n);
    line[n] = '\0';
    sc_strbuf tmp = {0};
    perf_json_string(&tmp, line);
    cJSON *s = tmp.oom ? NULL : cJSON_CreateRaw(sc_strbuf_str(&tmp));
    sc_strbuf_free(&tmp);
    if (!s || !cJSON_AddItemToArray(goals, s)) {
      cJSON_Delete(s);
      oom = true;
      break;
    }
    g += n + (g[n] == '\n');
  }
  char *text = oom ? NULL : cJSON_Print(root);
  cJSON_Delete(root);
  if (!text) return SC_STATUS_NO_MEMORY;
  sc_strbuf_printf(out, "%s\n", text);
  cJSON_free(text);
  return out->oom ? SC_STATUS_NO_MEMORY : SC_STATUS_OK;
}

/* ---- HTML: pieces ------------------------------------------------------------- */

/* perf_report.c's look, with the goal, tag and legend classes of this page. */
static const char css_page[] =
    "main{padding:22px 0 40px}\n"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;"
    "padding:18px 22px 20px;margin:0 0 18px;box-shadow:0 1px 2px rgba(20,30,50,.04)}\n"
    "h2{margin:0 0 4px;font-size:16px;font-weight:600;color:var(--accent)}\n"
    "h3{margin:14px 0 4px;font-size:14px;font-weight:600}\n"
    "p.note{margin:0 0 12px;color:var(--muted);font-size:12.5px}\n"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
    "th{font-size:11.5px;text-transform:uppercase;letter-spacing:.4px;color:var(--muted);"
    "font-weight:600;text-align:right;padding:6px 8px;border-bottom:2px solid var(--line)}\n"
    "td{text-align:right;padding:6px 8px;border-bottom:1px solid var(--line);"
    "vertical-align:top}\n"
    "tr:last-child td{border-bottom:none}\n"
    "th.l,td.l{text-align:left}\n"
    "td .doc{color:var(--muted);font-size:12px}\n"
    "td.nw{white-space:nowrap}\n"
    "tr.peer td{background:#f8f9fb}\n"
    ".scroll{overflow-x:auto}\n"
    "td.src{min-width:170px;font-size:12.5px}\n"
    "td.skip{text-align:left;color:#9a3412}\n"
    ".tag{display:inline-block;font-size:10.5px;text-transform:uppercase;letter-spacing:.5px;"
    "padding:0 6px;border-radius:4px;background:#e9edf3;color:var(--muted);margin-top:2px}\n"
    "ul.goals{margin:6px 0 0;padding:0;list-style:none}\n"
    "ul.goals li{padding:5px 10px;border-radius:5px;margin:0 0 4px;background:#f1f7f2;"
    "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;"
    "white-space:pre-wrap}\n"
    "ul.goals li.miss{background:#fdecea;color:#a11d1d;font-weight:600}\n"
    ".legend{margin:6px 0 0;font-size:12.5px;color:var(--muted)}\n"
    ".legend span.it{display:inline-block;margin:0 16px 4px 0}\n";

/* Colors of models (points and curves) and of layer parts. */
static const char *const model_color[] = {"#3b75af", "#c8553d", "#4f9d69", "#e0a030",
                                          "#7b5ea7", "#8a6d3b", "#2a9d9f", "#b5487f"};
static const char *const part_color[] = {"#3b75af", "#c8553d", "#4f9d69", "#e0a030", "#7b5ea7",
                                         "#2a9d9f", "#b5487f", "#8a6d3b", "#d4c04a", "#5d6677"};
static const char other_color[] = "#dfe4eb";

/* A page being written: the result, the output, each row's model index in
 * first-seen order (for colors). */
typedef struct page {
  const sc_bench_result *r;
  sc_strbuf *out;
  size_t *model; /* [n_rows] */
} page;

static const char *row_color(const page *pg, size_t i) {
  return model_color[pg->model[i] % SC_ARRAY_LEN(model_color)];
}

/* Appends s escaped. */
static void esc(const page *pg, const char *s) {
  perf_html(pg->out, s);
}

/* Log-log or log-linear plot area: pixels [px0, px1] x [py0, py1] (py1 at the
 * bottom); x is log10 from lx0 to lx1 (in decades, or in octaves for the
 * batch plot), y log10 from ly0 to ly1 decades or linear from 0 to ymax. */
typedef struct plot {
  double px0, px1, py0, py1;
  double lx0, lx1, ly0, ly1;
  double base;  /* of the x axis: 10 or 2 */
  double y_max; /* > 0: the y axis is linear over [0, y_max] */
} plot;

/* Pixel coordinates of v; values far outside the axes (and 0, NaN) map to
 * finite points well outside the plot, where the clip path hides them. */
static double pl_x(const plot *g, double v) {
  double l = v > 0 ? (g->base == 2 ? log2(v) : log10(v)) : -HUGE_VAL;
  double span = g->lx1 - g->lx0;
  l = fmax(g->lx0 - span, fmin(g->lx1 + span, l));
  return g->px0 + (l - g->lx0) / span * (g->px1 - g->px0);
}
static double pl_y(const plot *g, double v) {
  double f;
  if (g->y_max > 0)
    f = v / g->y_max;
  else
    f = ((v > 0 ? log10(v) : -HUGE_VAL) - g->ly0) / (g->ly1 - g->ly0);
  f = isnan(f) ? -1 : fmax(-1, fmin(2, f));
  return g->py1 - f * (g->py1 - g->py0);
}

/* A step from 1, 2, 5 x 10^k giving at most about 8 ticks over span (> 0). */
static double nice_step(double span) {
  double raw = span / 8, mag = pow(10, floor(log10(raw)));
  double m = raw / mag;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * mag;
}

/* The frame of a plot with its clip rectangle (id clip). */
static void plot_frame(const page *pg, const plot *g, const char *clip) {
  sc_strbuf_printf(pg->out,
                   "<defs><clipPath id=\"%s\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                   "height=\"%.1f\"/></clipPath></defs>\n"
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fbfcfd\" "
                   "stroke=\"#c9d0db\"/>\n",
                   clip, g->px0, g->py0, g->px1 - g->px0, g->py1 - g->py0, g->px0, g->py0,
                   g->px1 - g->px0, g->py1 - g->py0);
}

static void vline(const page *pg, const plot *g, double x, const char *color) {
  sc_strbuf_printf(pg->out,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x,
                   g->py0, x, g->py1, color);
}
static void hline(const page *pg, const plot *g, double y, const char *color) {
  sc_strbuf_printf(pg->out,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
                   g->px0, y, g->px1, y, color);
}

/* Point markers: simulated rows filled circles, floors rings, measurements squares. */
static void marker(const page *pg, sc_bench_kind kind, double x, double y, const char *color) {
  if (kind == SC_BENCH_SIMULATED)
    sc_strbuf_printf(pg->out,
                     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5.5\" fill=\"%s\" stroke=\"#fff\" "
                     "stroke-width=\"1.5\">",
                     x, y, color);
  else if (kind == SC_BENCH_FLOOR)
    sc_strbuf_printf(pg->out,
                     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#fff\" stroke=\"%s\" "
                     "stroke-width=\"2\">",
                     x, y, color);
  else
    sc_strbuf_printf(pg->out,
                     "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\" "
                     "stroke=\"#fff\" stroke-width=\"1.5\">",
                     x - 5, y - 5, color);
}
static void marker_end(const page *pg, sc_bench_kind kind) {
  sc_strbuf_printf(pg->out, kind == SC_BENCH_MEASURED ? "</rect>\n" : "</circle>\n");
}

/* A legend entry in the right-hand column of a plot at (x, y): a line sample
 * (dash NULL: none; "": solid), a marker, and the escaped label. */
static void legend_item(const page *pg, double x, double y, const char *color, const char *dash,
                        sc_bench_kind kind, const char *label) {
  if (dash)
    sc_strbuf_printf(pg->out,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"2\"%s/>\n",
                     x, y, x + 26, y, color, dash);
  marker(pg, kind, x + 13, y, color);
  marker_end(pg, kind);
  sc_strbuf_printf(pg->out, "<text x=\"%.1f\" y=\"%.1f\">", x + 34, y + 4);
  esc(pg, label);
  sc_strbuf_printf(pg->out, "</text>\n");
}

/* ---- HTML: sections ---------------------------------------------------------- */

static void html_head(const page *pg) {
  const sc_bench_result *r = pg->r;
  size_t n_sim = 0;
  for (size_t i = 0; i < r->n_rows; i++) n_sim += r->rows[i].kind == SC_BENCH_SIMULATED;
  char wall[48];
  if (isfinite(r->wall_s))
    perf_fmt_si(wall, sizeof wall, r->wall_s, "s");
  else
    snprintf(wall, sizeof wall, "\xe2\x80\x93");
  sc_strbuf_printf(pg->out,
                   "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>SeedChip benchmark: ");
  esc(pg, r->arch);
  sc_strbuf_printf(pg->out,
                   "</title>\n<style>\n%s%s%s</style>\n</head>\n<body>\n<header><div "
                   "class=\"wrap\">\n<h1>SeedChip benchmark</h1>\n"
                   "<div class=\"sub\">Architecture <b>",
                   perf_css_head, css_page, perf_css_tail);
  esc(pg, r->arch);
  sc_strbuf_printf(pg->out, "</b> &middot; system <b>");
  esc(pg, r->system);
  sc_strbuf_printf(pg->out, "</b> &middot; dtype <b>");
  esc(pg, r->dtype);
  sc_strbuf_printf(pg->out, "</b> &middot; KV cache <b>");
  esc(pg, r->kv_dtype);
  sc_strbuf_printf(pg->out,
                   "</b> &middot; wall time %s &middot; %zu rows (%zu simulated, %zu peer)"
                   "</div>\n</div></header>\n<main><div class=\"wrap\">\n",
                   wall, r->n_rows, n_sim, r->n_rows - n_sim);
}

static void html_goals(const page *pg) {
  const char *g = pg->r->goals;
  sc_strbuf_printf(pg->out, "<section><h2>Goals</h2>\n");
  if (!g[strspn(g, " \t\r\n")]) {
    sc_strbuf_printf(pg->out, "<p class=\"note\">No goals were given.</p></section>\n");
    return;
  }
  sc_strbuf_printf(pg->out, "<p class=\"note\">Each goal met or missed in this run; missed "
                            "goals are highlighted.</p>\n<ul class=\"goals\">\n");
  char line[sizeof pg->r->goals];
  while (*g) {
    size_t n = strcspn(g, "\n");
    memcpy(line, g, n);
    line[n] = '\0';
    g += n + (g[n] == '\n');
    if (!line[strspn(line, " \t\r")]) continue;
    sc_strbuf_printf(pg->out, "<li%s>", strstr(line, "MISSED") ? " class=\"miss\"" : "");
    esc(pg, line);
    sc_strbuf_printf(pg->out, "</li>\n");
  }
  sc_strbuf_printf(pg->out, "</ul></section>\n");
}

static void html_table(const page *pg) {
  const sc_bench_result *r = pg->r;
  sc_strbuf *out = pg->out;
  sc_strbuf_printf(out,
                   "<section><h2>Results</h2>\n<p class=\"note\">Simulated rows are timed by the "
                   "simulator; peer rows are a chip's physical floor (max of bytes over bandwidth "
                   "and FLOPs over peak) or a published measurement, with their source. Floor: "
                   "the physical floor over the step time (100%% = at the floor).</p>\n");
  if (r->n_rows == 0) {
    sc_strbuf_printf(out, "<p>No rows.</p></section>\n");
    return;
  }
  sc_strbuf_printf(
      out, "<div class=\"scroll\"><table>\n<tr><th class=\"l\">chip</th><th class=\"l\">model</th>"
           "<th class=\"l\">phase</th><th>chips</th><th>time</th>"
           "<th>tok/s/chip</th><th>tok/J</th><th>MXU</th><th>BW</th>"
           "<th>floor</th><th class=\"l\">source / note</th></tr>\n");
  const char *dash = "\xe2\x80\x93";
  for (size_t i = 0; i < r->n_rows; i++) {
    const sc_bench_row *w = &r->rows[i];
    char ph[64], a[48], b[48], c[48], e[48], f[48], h[48];
    phase_label(w, ph, sizeof ph);
    sc_strbuf_printf(out, "<tr%s><td class=\"l nw\">",
                     w->kind == SC_BENCH_SIMULATED ? "" : " class=\"peer\"");
    esc(pg, w->chip);
    if (w->kind != SC_BENCH_SIMULATED)
      sc_strbuf_printf(out, "<br><span class=\"tag\">%s</span>", kind_name(w->kind));
    sc_strbuf_printf(out, "</td><td class=\"l nw\">");
    esc(pg, w->model);
    sc_strbuf_printf(out, "<div class=\"doc\">");
    esc(pg, w->dtype);
    sc_strbuf_printf(out, "</div></td><td class=\"l nw\">%s</td><td>%" PRIu32 "</td>", ph,
                     w->chips);
    if (!w->ok) {
      sc_strbuf_printf(out, "<td colspan=\"6\" class=\"skip\">not run: ");
      esc(pg, w->note[0] ? w->note : "(no note)");
      sc_strbuf_printf(out, "</td><td class=\"l src\">");
      esc(pg, w->source);
      sc_strbuf_printf(out, "</td></tr>\n");
      continue;
    }
    /* a measurement gives some figures only: the others are unknown, not zero */
    bool meas = w->kind == SC_BENCH_MEASURED;
#define KNOWN(v) (meas && !((v) > 0) ? (double)NAN : (v))
    sc_strbuf_printf(
        out,
        "<td class=\"nw\">%s %s</td><td>%s</td><td>%s</td>"
        "<td>%s%%</td><td>%s%%</td><td>%s%%</td><td class=\"l src\">",
        fig(a, sizeof a, KNOWN(row_ms(w)), dash), w->phase == SC_BENCH_PREFILL ? "ms" : "ms/tok",
        fig(b, sizeof b, KNOWN(w->tok_s_chip), dash), fig(c, sizeof c, KNOWN(w->tok_per_j), dash),
        pct1(e, sizeof e, KNOWN(w->mxu_util), dash), pct1(f, sizeof f, KNOWN(w->bw_util), dash),
        pct1(h, sizeof h, KNOWN(w->floor_ratio), dash));
#undef KNOWN
    esc(pg, w->source);
    if (w->note[0]) {
      sc_strbuf_printf(out, "<div class=\"doc\">");
      esc(pg, w->note);
      sc_strbuf_printf(out, "</div>");
    }
    sc_strbuf_printf(out, "</td></tr>\n");
  }
  sc_strbuf_printf(out, "</table></div></section>\n");
}

/* The point of row w on its chip's roofline: (FLOP/B, FLOP/s per chip). */
static bool roof_point(const sc_bench_row *w, double *x, double *y) {
  if (!w->ok || w->chips == 0 || !plottable(w->flops) || !plottable(w->bytes) ||
      !plottable(w->step_s))
    return false;
  *x = w->flops / w->bytes;
  *y = w->flops / w->step_s / w->chips;
  return plottable(*x) && plottable(*y);
}

/* Row i plotted on the roofline of chip, with its coordinates in *x, *y. */
static bool on_roof(const page *pg, const char *chip, size_t i, double *x, double *y) {
  return strcmp(pg->r->rows[i].chip, chip) == 0 && roof_point(&pg->r->rows[i], x, y);
}

/* Row i is the first on chip's roofline with its model (a legend entry). */
static bool first_on_roof(const page *pg, const char *chip, size_t i) {
  double x, y;
  for (size_t j = 0; j < i; j++)
    if (pg->model[j] == pg->model[i] && on_roof(pg, chip, j, &x, &y)) return false;
  return true;
}

/* One log-log roofline: the compute roof min(peak, bw x AI) of the chip and
 * the points of its rows (model colors; markers by kind). */
static void html_roof(const page *pg, size_t ri) {
  const sc_bench_result *r = pg->r;
  const sc_bench_roof *rf = &r->roofs[ri];
  sc_strbuf *out = pg->out;
  const double peak = plottable(rf->peak_flop_s) ? rf->peak_flop_s : 0;
  const double bw = plottable(rf->mem_b_s) ? rf->mem_b_s : 0;

  /* Decades as perf_report.c: x from a tenth of the ridge (or the lowest
   * point) to ten times the highest, y from the roof down to the memory roof
   * at the left edge (or the lowest point); at most 10 x 8 decades. */
  double xmin = HUGE_VAL, xmax = 0, ymin = HUGE_VAL, ymax = 0;
  size_t n_points = 0;
  for (size_t i = 0; i < r->n_rows; i++) {
    double x, y;
    if (!on_roof(pg, rf->chip, i, &x, &y)) continue;
    n_points++;
    xmin = fmin(xmin, x), xmax = fmax(xmax, x);
    ymin = fmin(ymin, y), ymax = fmax(ymax, y);
  }
  if (peak > 0 && bw > 0) xmin = fmin(xmin, peak / bw), xmax = fmax(xmax, peak / bw);
  if (!(xmax > 0)) xmin = xmax = 1;
  ymax = fmax(ymax, peak);
  if (!(ymax > 0)) ymax = bw > 0 ? bw : 1e12;
  plot g = {.px0 = 84, .px1 = 790, .py0 = 24, .py1 = 404, .base = 10};
  g.lx0 = floor(log10(xmin)) - 1;
  g.lx1 = ceil(log10(xmax)) + 1;
  if (g.lx1 - g.lx0 > 10) g.lx0 = g.lx1 - 10;
  g.ly1 = ceil(log10(ymax * 1.5));
  double ylow = bw > 0 ? bw * pow(10, g.lx0) : ymax / 1e4;
  if (n_points) ylow = fmin(ylow, ymin);
  g.ly0 = floor(log10(ylow));
  if (g.ly1 - g.ly0 > 8) g.ly0 = g.ly1 - 8;
  if (g.ly1 - g.ly0 < 3) g.ly0 = g.ly1 - 3;

  /* The legend: models with points here, then the kinds of point. */
  bool kinds[3] = {false, false, false};
  size_t n_legend = 0;
  for (size_t i = 0; i < r->n_rows; i++) {
    double x, y;
    if (!on_roof(pg, rf->chip, i, &x, &y)) continue;
    kinds[r->rows[i].kind] = true;
    n_legend += first_on_roof(pg, rf->chip, i);
  }
  n_legend += kinds[0] + kinds[1] + kinds[2];
  double height = fmax(470, 40 + 20 * (double)n_legend + 20);

  char num[48], text[160];
  sc_strbuf_printf(out, "<h3>");
  esc(pg, rf->chip);
  sc_strbuf_printf(out, "</h3>\n<p class=\"note\">");
  if (peak > 0) {
    perf_fmt_si(num, sizeof num, peak, "FLOP/s");
    sc_strbuf_printf(out, "Peak %s", num);
  } else {
    sc_strbuf_printf(out, "No peak given");
  }
  if (bw > 0) {
    perf_fmt_si(num, sizeof num, bw, "B/s");
    sc_strbuf_printf(out, ", memory %s", num);
  }
  if (peak > 0 && bw > 0) {
    perf_fmt_num(num, sizeof num, peak / bw);
    sc_strbuf_printf(out, ", ridge %s FLOP/B", num);
  }
  if (plottable(rf->tdp_w)) sc_strbuf_printf(out, ", TDP %.0f W", rf->tdp_w);
  sc_strbuf_printf(out, "; %zu point%s.</p>\n", n_points, n_points == 1 ? "" : "s");
  sc_strbuf_printf(out,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1100 %.0f\" "
                   "width=\"1100\" height=\"%.0f\" role=\"img\" aria-label=\"roofline\">\n",
                   height, height);
  char clip[32];
  snprintf(clip, sizeof clip, "rf-clip-%zu", ri);
  plot_frame(pg, &g, clip);

  /* Grid: decades solid, 2..9 faint; tick labels. */
  char lab[32];
  for (int k = (int)g.lx0; k <= (int)g.lx1; k++) {
    double x = pl_x(&g, pow(10, k));
    vline(pg, &g, x, "#dfe4eb");
    for (int m = 2; m < 10 && k < (int)g.lx1; m++)
      vline(pg, &g, pl_x(&g, m * pow(10, k)), "#eef1f5");
    perf_decade_label(lab, sizeof lab, k, true);
    sc_strbuf_printf(out,
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"t\">%s</text>\n",
                     x, g.py1 + 16, lab);
  }
  for (int k = (int)g.ly0; k <= (int)g.ly1; k++) {
    double y = pl_y(&g, pow(10, k));
    hline(pg, &g, y, "#dfe4eb");
    for (int m = 2; m < 10 && k < (int)g.ly1; m++)
      hline(pg, &g, pl_y(&g, m * pow(10, k)), "#eef1f5");
    perf_decade_label(lab, sizeof lab, k, false);
    sc_strbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"t\">%s</text>\n",
                     g.px0 - 8, y + 4, lab);
  }
  sc_strbuf_printf(out,
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">arithmetic intensity "
                   "(FLOP per byte of device memory)</text>\n"
                   "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 "
                   "%.1f)\">FLOP/s per chip</text>\n",
                   (g.px0 + g.px1) / 2, g.py1 + 40, (g.py0 + g.py1) / 2, (g.py0 + g.py1) / 2);

  /* The roof: along the memory roof to the ridge, then flat at the peak. */
  double xa = pow(10, g.lx0), xb = pow(10, g.lx1);
  if (peak > 0 || bw > 0) {
    sc_strbuf_printf(out, "<path d=\"");
    if (bw > 0 && peak > 0 && peak / bw > xa)
      sc_strbuf_printf(out, "M%.1f %.1fL%.1f %.1fL%.1f %.1f", pl_x(&g, xa), pl_y(&g, bw * xa),
                       pl_x(&g, peak / bw), pl_y(&g, peak), pl_x(&g, xb), pl_y(&g, peak));
    else if (peak > 0)
      sc_strbuf_printf(out, "M%.1f %.1fL%.1f %.1f", pl_x(&g, xa), pl_y(&g, peak), pl_x(&g, xb),
                       pl_y(&g, peak));
    else
      sc_strbuf_printf(out, "M%.1f %.1fL%.1f %.1f", pl_x(&g, xa), pl_y(&g, bw * xa), pl_x(&g, xb),
                       pl_y(&g, bw * xb));
    sc_strbuf_printf(out,
                     "\" fill=\"none\" stroke=\"#39465e\" stroke-width=\"2.5\" "
                     "clip-path=\"url(#%s)\"/>\n",
                     clip);
  }
  if (peak > 0) {
    double y = pl_y(&g, peak);
    perf_fmt_si(num, sizeof num, peak, "FLOP/s");
    snprintf(text, sizeof text, "compute roof %s", num);
    if (bw > 0) {
      double x = pl_x(&g, peak / bw);
      sc_strbuf_printf(out,
                       "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#fff\" stroke=\"#39465e\" "
                       "stroke-width=\"2\" clip-path=\"url(#%s)\"/>\n",
                       x, y, clip);
    }
    if (y >= g.py0 + 14) {
      sc_strbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"h halo\">",
                       g.px1 - 8, y - 7);
      esc(pg, text);
      sc_strbuf_printf(out, "</text>\n");
    }
  }
  if (bw > 0) {
    /* Labelled along its slope a tenth of the way across, when that is in the plot. */
    double xv = pow(10, g.lx0 + 0.1 * (g.lx1 - g.lx0));
    double px = pl_x(&g, xv), py = pl_y(&g, bw * xv);
    if (py >= g.py0 + 14 && py <= g.py1 - 6 && (peak == 0 || bw * xv < peak)) {
      double dx = (g.px1 - g.px0) / (g.lx1 - g.lx0), dy = (g.py1 - g.py0) / (g.ly1 - g.ly0);
      perf_fmt_si(num, sizeof num, bw, "B/s");
      snprintf(text, sizeof text, "memory roof %s", num);
      sc_strbuf_printf(out,
                       "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(%.2f %.1f %.1f)\" "
                       "class=\"t halo\">",
                       px, py - 7, -atan2(dy, dx) * 180 / PI, px, py);
      esc(pg, text);
      sc_strbuf_printf(out, "</text>\n");
    }
  }

  /* The points, each with a tooltip. */
  for (size_t i = 0; i < r->n_rows; i++) {
    const sc_bench_row *w = &r->rows[i];
    double x, y;
    if (!on_roof(pg, rf->chip, i, &x, &y)) continue;
    char ph[64], ai[48], fl[48];
    phase_label(w, ph, sizeof ph);
    perf_fmt_num(ai, sizeof ai, x);
    perf_fmt_si(fl, sizeof fl, y, "FLOP/s");
    marker(pg, w->kind, pl_x(&g, x), pl_y(&g, y), row_color(pg, i));
    sc_strbuf_printf(out, "<title>");
    esc(pg, w->model);
    sc_strbuf_printf(out, " %s (%s): %s per chip at %s FLOP/B</title>", ph, kind_name(w->kind), fl,
                     ai);
    marker_end(pg, w->kind);
  }

  /* Legend column. */
  double lx = g.px1 + 24, ly = g.py0 + 10;
  for (size_t i = 0; i < r->n_rows; i++) {
    double x, y;
    if (!on_roof(pg, rf->chip, i, &x, &y) || !first_on_roof(pg, rf->chip, i)) continue;
    legend_item(pg, lx, ly, row_color(pg, i), NULL, SC_BENCH_SIMULATED, r->rows[i].model);
    ly += 20;
  }
  for (int k = 0; k < 3; k++) {
    if (!kinds[k]) continue;
    legend_item(pg, lx, ly, "#8a94a6", NULL, (sc_bench_kind)k, kind_name((sc_bench_kind)k));
    ly += 20;
  }
  if (n_points == 0)
    sc_strbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"t\">no rows to plot</text>\n", lx,
                     ly);
  sc_strbuf_printf(out, "</svg>\n");
}

static void html_roofs(const page *pg) {
  sc_strbuf_printf(pg->out,
                   "<section><h2>Rooflines</h2>\n<p class=\"note\">Per chip: attainable FLOP/s "
                   "per chip against arithmetic intensity (essential FLOPs over essential bytes "
                   "of the step), with each row of that chip at (FLOP/B, FLOP / step time / "
                   "chips). Filled: simulated; rings: physical floors; squares: measurements. "
                   "Log-log axes.</p>\n");
  if (pg->r->n_roofs == 0) sc_strbuf_printf(pg->out, "<p>No chip figures were given.</p>\n");
  for (size_t i = 0; i < pg->r->n_roofs; i++) html_roof(pg, i);
  sc_strbuf_printf(pg->out, "</section>\n");
}

/* Decode rows on the batch plot; a series is one (kind, chip, model, context). */
static bool batch_point(const sc_bench_row *w) {
  return w->ok && w->phase == SC_BENCH_DECODE && w->batch > 0 && plottable(w->tok_s_chip);
}
static bool same_series(const sc_bench_row *a, const sc_bench_row *b) {
  return a->kind == b->kind && a->context == b->context && strcmp(a->chip, b->chip) == 0 &&
         strcmp(a->model, b->model) == 0;
}

/* Row i is on the batch plot and the first of its series. */
static bool series_head(const sc_bench_result *r, size_t i) {
  if (!batch_point(&r->rows[i])) return false;
  for (size_t j = 0; j < i; j++)
    if (batch_point(&r->rows[j]) && same_series(&r->rows[j], &r->rows[i])) return false;
  return true;
}

/* Decode tok/s/chip against batch: a line per series (simulated solid, floors
 * dashed, measurements dotted), log2 x axis, linear y. idx has n_rows entries. */
static void html_batch(const page *pg, size_t *idx) {
  const sc_bench_result *r = pg->r;
  sc_strbuf *out = pg->out;
  sc_strbuf_printf(out,
                   "<section><h2>Decode throughput against batch size</h2>\n<p class=\"note\">"
                   "Output tokens per second per chip for each model and context: simulated rows "
                   "solid, peer floors dashed, peer measurements dotted. Log x axis.</p>\n");
  double bmin = HUGE_VAL, bmax = 0, ymax = 0;
  size_t n_series = 0;
  for (size_t i = 0; i < r->n_rows; i++) {
    const sc_bench_row *w = &r->rows[i];
    if (!batch_point(w)) continue;
    bmin = fmin(bmin, w->batch), bmax = fmax(bmax, w->batch);
    ymax = fmax(ymax, w->tok_s_chip);
    n_series += series_head(r, i);
  }
  if (n_series == 0) {
    sc_strbuf_printf(out, "<p>No decode rows to plot.</p></section>\n");
    return;
  }
  plot g = {.px0 = 84, .px1 = 790, .py0 = 20, .py1 = 380, .base = 2};
  g.lx0 = floor(log2(bmin));
  g.lx1 = ceil(log2(bmax));
  if (g.lx1 <= g.lx0) g.lx1 = g.lx0 + 1;
  double tick = nice_step(ymax * 1.05 * 2);
  g.y_max = ceil(ymax * 1.05 / tick) * tick;
  double height = fmax(440, 30 + 20 * (double)n_series + 20);
  sc_strbuf_printf(out,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1100 %.0f\" "
                   "width=\"1100\" height=\"%.0f\" role=\"img\" aria-label=\"batch curves\">\n",
                   height, height);
  plot_frame(pg, &g, "bt-clip");
  for (int k = (int)g.lx0; k <= (int)g.lx1; k++) {
    double x = pl_x(&g, pow(2, k));
    vline(pg, &g, x, "#dfe4eb");
    sc_strbuf_printf(out,
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"t\">%.0f</text>\n",
                     x, g.py1 + 16, pow(2, k));
  }
  for (int k = 0; k * tick <= g.y_max * (1 + 1e-9); k++) {
    double y = pl_y(&g, k * tick);
    hline(pg, &g, y, "#dfe4eb");
    char num[48];
    perf_fmt_num(num, sizeof num, k * tick);
    sc_strbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"t\">%s</text>\n",
                     g.px0 - 8, y + 4, num);
  }
  sc_strbuf_printf(out,
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">batch (sequences per "
                   "step)</text>\n"
                   "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 "
                   "%.1f)\">output tokens/s per chip</text>\n",
                   (g.px0 + g.px1) / 2, g.py1 + 40, (g.py0 + g.py1) / 2, (g.py0 + g.py1) / 2);

  double lx = g.px1 + 24, ly = g.py0 + 10;
  for (size_t i = 0; i < r->n_rows; i++) {
    const sc_bench_row *w = &r->rows[i];
    if (!series_head(r, i)) continue;
    /* The series' rows by batch (stable: equal batches keep table order). */
    size_t n = 0;
    for (size_t j = i; j < r->n_rows; j++)
      if (batch_point(&r->rows[j]) && same_series(&r->rows[j], w)) idx[n++] = j;
    for (size_t a = 1; a < n; a++)
      for (size_t b = a; b > 0 && r->rows[idx[b]].batch < r->rows[idx[b - 1]].batch; b--) {
        size_t t = idx[b];
        idx[b] = idx[b - 1];
        idx[b - 1] = t;
      }
    const char *color = row_color(pg, i);
    const char *dash = w->kind == SC_BENCH_SIMULATED ? ""
                       : w->kind == SC_BENCH_FLOOR   ? " stroke-dasharray=\"7 5\""
                                                     : " stroke-dasharray=\"2 4\"";
    if (n > 1) {
      sc_strbuf_printf(out, "<path d=\"");
      for (size_t k = 0; k < n; k++)
        sc_strbuf_printf(out, "%s%.1f %.1f", k ? "L" : "M", pl_x(&g, r->rows[idx[k]].batch),
                         pl_y(&g, r->rows[idx[k]].tok_s_chip));
      sc_strbuf_printf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", color, dash);
    }
    for (size_t k = 0; k < n; k++) {
      const sc_bench_row *p = &r->rows[idx[k]];
      char num[48];
      marker(pg, p->kind, pl_x(&g, p->batch), pl_y(&g, p->tok_s_chip), color);
      sc_strbuf_printf(out, "<title>");
      esc(pg, p->chip);
      sc_strbuf_printf(out, " ");
      esc(pg, p->model);
      sc_strbuf_printf(out, " (%s) batch %" PRIu32 " ctx %" PRIu32 ": %s tok/s/chip</title>",
                       kind_name(p->kind), p->batch, p->context,
                       fig(num, sizeof num, p->tok_s_chip, "-"));
      marker_end(pg, p->kind);
    }
    char label[160];
    snprintf(label, sizeof label, "%s %s ctx%" PRIu32 "%s%s", w->chip, w->model, w->context,
             w->kind == SC_BENCH_SIMULATED ? "" : " ",
             w->kind == SC_BENCH_SIMULATED ? "" : kind_name(w->kind));
    legend_item(pg, lx, ly, color, dash, w->kind, label);
    ly += 20;
  }
  sc_strbuf_printf(out, "</svg>\n</section>\n");
}

/* Rows of the breakdown: simulated, run, with parts and a step time. */
static bool breakdown_row(const sc_bench_row *w) {
  return w->kind == SC_BENCH_SIMULATED && w->ok && w->n_parts > 0 && plottable(w->step_s);
}

/* The index of part name s among the distinct names in names[0..*n), added
 * when new. */
static size_t part_index(const char **names, size_t *n, const char *s) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp(names[i], s) == 0) return i;
  names[*n] = s;
  return (*n)++;
}

/* Stacked bars of each simulated row's parts as shares of its step; what the
 * parts do not cover is "other". Parts that sum past the step are scaled to
 * fit (they then overlap in time). */
static sc_status html_breakdown(const page *pg) {
  const sc_bench_result *r = pg->r;
  sc_strbuf *out = pg->out;
  size_t n_rows = 0, n_names_max = 0;
  for (size_t i = 0; i < r->n_rows; i++)
    if (breakdown_row(&r->rows[i])) n_rows++, n_names_max += r->rows[i].n_parts;
  sc_strbuf_printf(out, "<section><h2>Time by layer part</h2>\n<p class=\"note\">Each simulated "
                        "row's step split into its graph-op groups (summed over layers), as "
                        "shares of the step time.</p>\n");
  if (n_rows == 0) {
    sc_strbuf_printf(out, "<p>No simulated rows with a per-part breakdown.</p></section>\n");
    return SC_STATUS_OK;
  }
  const char **names = calloc(n_names_max, sizeof *names);
  if (!names) return SC_STATUS_NO_MEMORY;
  size_t n_names = 0;
  bool any_other = false;

  const double x0 = 300, x1 = 1060, row_h = 38, top = 8;
  double height = top + row_h * (double)n_rows + 30;
  sc_strbuf_printf(out,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1100 %.0f\" "
                   "width=\"1100\" height=\"%.0f\" role=\"img\" aria-label=\"per-part "
                   "breakdown\">\n",
                   height, height);
  double y = top;
  for (size_t i = 0; i < r->n_rows; i++) {
    const sc_bench_row *w = &r->rows[i];
    if (!breakdown_row(w)) continue;
    double sum = 0;
    for (size_t k = 0; k < w->n_parts; k++)
      if (plottable(w->parts[k].seconds)) sum += w->parts[k].seconds;
    double den = fmax(sum, w->step_s);
    char ph[64], st[48];
    phase_label(w, ph, sizeof ph);
    perf_fmt_si(st, sizeof st, w->step_s, "s");
    sc_strbuf_printf(out, "<text x=\"0\" y=\"%.1f\" class=\"h\">", y + 13);
    esc(pg, w->model);
    sc_strbuf_printf(out,
                     "</text>\n<text x=\"0\" y=\"%.1f\" class=\"t\">%s &middot; step %s"
                     "</text>\n",
                     y + 28, ph, st);
    sc_strbuf_printf(out,
                     "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"22\" fill=\"%s\"/>\n", x0,
                     y + 4, x1 - x0, other_color);
    double x = x0;
    for (size_t k = 0; k < w->n_parts; k++) {
      const sc_bench_part *p = &w->parts[k];
      size_t c = part_index(names, &n_names, p->name);
      if (!plottable(p->seconds)) continue;
      double frac = p->seconds / den, wd = frac * (x1 - x0);
      char ps[48];
      perf_fmt_si(ps, sizeof ps, p->seconds, "s");
      sc_strbuf_printf(out,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"22\" fill=\"%s\" "
                       "stroke=\"#fff\" stroke-width=\"0.8\"><title>",
                       x, y + 4, wd, part_color[c % SC_ARRAY_LEN(part_color)]);
      esc(pg, p->name);
      char share[48];
      sc_strbuf_printf(out, ": %s, %s%% of the step</title></rect>\n", ps,
                       pct1(share, sizeof share, p->seconds / w->step_s, "-"));
      if (wd >= 44)
        sc_strbuf_printf(out,
                         "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"t\" "
                         "style=\"fill:#fff\">%.0f%%</text>\n",
                         x + wd / 2, y + 19, 100 * frac);
      x += wd;
    }
    if (sum < w->step_s * (1 - 1e-9)) any_other = true;
    y += row_h;
  }
  for (int k = 0; k <= 4; k++) {
    double x = x0 + (x1 - x0) * k / 4;
    sc_strbuf_printf(out,
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8a94a6\"/>\n"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"t\">%d%%</text>\n",
                     x, y + 2, x, y + 7, x, y + 20, 25 * k);
  }
  sc_strbuf_printf(out, "</svg>\n<div class=\"legend\">");
  for (size_t c = 0; c < n_names; c++) {
    sc_strbuf_printf(out, "<span class=\"it\"><span class=\"sw\" style=\"background:%s\"></span>",
                     part_color[c % SC_ARRAY_LEN(part_color)]);
    esc(pg, names[c]);
    sc_strbuf_printf(out, "</span>");
  }
  if (any_other)
    sc_strbuf_printf(out,
                     "<span class=\"it\"><span class=\"sw\" style=\"background:%s\"></span>"
                     "other (not in a part)</span>",
                     other_color);
  sc_strbuf_printf(out, "</div>\n</section>\n");
  free(names);
  return SC_STATUS_OK;
}

sc_status sc_bench_html(const sc_bench_result *r, sc_strbuf *out) {
  if (!r || !out) return SC_STATUS_INVALID_ARGUMENT;
  sc_status st = bench_check(r);
  if (st != SC_STATUS_OK) return st;
  /* Scratch: each row's model index, then the batch plot's series indices. */
  size_t n = r->n_rows ? r->n_rows : 1;
  size_t *scratch = calloc(n, 2 * sizeof *scratch);
  if (!scratch) return SC_STATUS_NO_MEMORY;
  page pg = {.r = r, .out = out, .model = scratch};
  size_t n_models = 0;
  for (size_t i = 0; i < r->n_rows; i++) {
    size_t j = 0;
    while (j < i && strcmp(r->rows[j].model, r->rows[i].model) != 0) j++;
    pg.model[i] = j < i ? pg.model[j] : n_models++;
  }
  html_head(&pg);
  html_goals(&pg);
  html_table(&pg);
  html_roofs(&pg);
  html_batch(&pg, scratch + n);
  st = html_breakdown(&pg);
  free(scratch);
  if (st != SC_STATUS_OK) return st;
  sc_strbuf_printf(out, "<footer>Generated by SeedChip " SC_VERSION_STRING
                        " from timing-only runs. tok/J: tokens of the step over the energy of "
                        "the step on all chips. MXU: achieved FLOP/s over the dtype's peak. BW: "
                        "achieved device-memory bandwidth over the effective bandwidth. Floor: "
                        "max(bytes / bandwidth, FLOPs / peak) over the step time.</footer>\n"
                        "</div></main>\n</body>\n</html>\n");
  return out->oom ? SC_STATUS_NO_MEMORY : SC_STATUS_OK;
}
