/* test_bench_report.c: the three renderings of a bench result (bench.h) on a
 * result built here by hand: two SC1 decode rows, an SC1 row that did not run,
 * an SC1 prefill row whose model name needs escaping, an H200 floor row and
 * an H200 measurement.
 *
 * The JSON is parsed back with cJSON and every field compared with the values
 * put into the result (not with anything the writer computed); the table for
 * its models, marks, note and line widths; the HTML for its structure, its
 * escaping, the absence of scripts, and for NaN or infinity in any SVG tag.
 * All three are checked for determinism, for results with NaN, infinite and
 * zero figures, for an empty result, and for refused arguments. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "seedchip/bench.h"

#define N_ROWS 6
#define EVIL_MODEL "tiny<&>\"model'"
#define SKIP_NOTE "needs 4 chips of 16 GiB; the system has 1"

typedef struct fixture {
  sc_bench_result r;
  sc_bench_row rows[N_ROWS];
} fixture;

static void part(sc_bench_row *w, const char *name, double seconds) {
  snprintf(w->parts[w->n_parts].name, sizeof w->parts[0].name, "%s", name);
  w->parts[w->n_parts++].seconds = seconds;
}

/* The figures of a run row from its step time and token count; arbitrary but
 * distinct, so a field written in the wrong place is caught. */
static void figures(sc_bench_row *w, double step_s, double tokens, double flops, double bytes) {
  w->ok = true;
  w->step_s = step_s;
  w->ttft_ms = w->phase == SC_BENCH_PREFILL ? step_s * 1e3 : 0;
  w->ms_per_token = w->phase == SC_BENCH_DECODE ? step_s * 1e3 : 0;
  w->tok_s_chip = tokens / step_s / w->chips;
  w->energy_j = 0.25 * step_s * 300;
  w->power_w = 0.25 * 300;
  w->tok_per_j = tokens / w->energy_j;
  w->mxu_util = 0.0123;
  w->bw_util = 0.8125;
  w->flops = flops;
  w->bytes = bytes;
  w->floor_mem_s = bytes / 6e12;
  w->floor_flop_s = flops / 1.6e15;
  w->floor_ratio = w->floor_mem_s / step_s;
  w->sim_wall_s = 1.75;
}

static void init(fixture *f) {
  memset(f, 0, sizeof *f);
  sc_bench_result *r = &f->r;
  snprintf(r->arch, sizeof r->arch, "sc1");
  snprintf(r->system, sizeof r->system, "sc1x4-pcie");
  snprintf(r->dtype, sizeof r->dtype, "fp8");
  r->wall_s = 12.5;
  r->rows = f->rows;
  r->n_rows = N_ROWS;
  r->n_roofs = 2;
  r->roofs[0] =
      (sc_bench_roof){.chip = "SC1", .peak_flop_s = 1.6e15, .mem_b_s = 6e12, .tdp_w = 300};
  r->roofs[1] =
      (sc_bench_roof){.chip = "H200", .peak_flop_s = 1.979e15, .mem_b_s = 4.8e12, .tdp_w = 700};
  snprintf(r->goals, sizeof r->goals,
           "met: llama-3.1-8b decode b1 at 88.0%% of the floor (goal 70%%)\n"
           "MISSED: llama-3.1-70b prefill 2048p did not run\n");

  sc_bench_row *w = f->rows;
  for (int i = 0; i < N_ROWS; i++) {
    snprintf(w[i].dtype, sizeof w[i].dtype, "fp8");
    snprintf(w[i].chip, sizeof w[i].chip, i < 4 ? "SC1" : "H200");
    w[i].kind = SC_BENCH_SIMULATED;
    w[i].phase = SC_BENCH_DECODE;
    w[i].batch = 1;
    w[i].context = 4096;
    w[i].chips = 1;
  }
  snprintf(w[0].model, sizeof w[0].model, "llama-3.1-8b");
  figures(&w[0], 1.6e-3, 1, 1.6e10, 8.6e9);
  part(&w[0], "attention", 0.4e-3);
  part(&w[0], "ffn", 1.0e-3);
  part(&w[0], "lm_head", 0.1e-3);

  snprintf(w[1].model, sizeof w[1].model, "llama-3.1-8b");
  w[1].batch = 64;
  figures(&w[1], 9.5e-3, 64, 1.0e12, 3.0e10);
  part(&w[1], "attention", 6e-3);
  part(&w[1], "ffn", 3e-3);
  snprintf(w[1].note, sizeof w[1].note, "KV cache in fp8");

  snprintf(w[2].model, sizeof w[2].model, "llama-3.1-70b");
  w[2].phase = SC_BENCH_PREFILL;
  w[2].batch = 1;
  w[2].context = 0;
  w[2].prompt = 2048;
  w[2].chips = 4;
  snprintf(w[2].note, sizeof w[2].note, SKIP_NOTE);

  snprintf(w[3].model, sizeof w[3].model, EVIL_MODEL);
  w[3].phase = SC_BENCH_PREFILL;
  w[3].context = 0;
  w[3].prompt = 128;
  figures(&w[3], 2e-3, 128, 1e11, 2e8);
  part(&w[3], "attention <b>", 1e-3);

  w[4].kind = SC_BENCH_FLOOR;
  snprintf(w[4].model, sizeof w[4].model, "llama-3.1-8b");
  snprintf(w[4].source, sizeof w[4].source, "PEERS.md: H200 datasheet, 4.8 TB/s");
  figures(&w[4], 1.8e-3, 1, 1.6e10, 8.6e9);

  w[5].kind = SC_BENCH_MEASURED;
  snprintf(w[5].model, sizeof w[5].model, "llama-3.3-70b");
  snprintf(w[5].source, sizeof w[5].source, "NVIDIA developer blog (TensorRT-LLM)");
  figures(&w[5], 19.6e-3, 1, 1.4e11, 7.1e10);
}

static size_t count(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

/* Checks that no tag inside an <svg> element (attributes: the coordinates,
 * paths and transforms) holds "nan" or "inf" in any case; text between tags
 * is labels and may. Returns the number of <svg> elements. */
static size_t check_svg_tags(const char *h) {
  size_t n = 0;
  for (const char *s = strstr(h, "<svg "); s; s = strstr(s, "<svg ")) {
    const char *end = strstr(s, "</svg>");
    assert_non_null(end);
    for (const char *t = s; t < end; t++) {
      if (*t != '<') continue;
      const char *close = strchr(t, '>');
      assert_non_null(close);
      for (const char *c = t; c + 3 <= close; c++) {
        char low[4] = {0};
        for (int k = 0; k < 3; k++) low[k] = (char)(c[k] | 0x20);
        if (strcmp(low, "nan") == 0 || strcmp(low, "inf") == 0) {
          fprintf(stderr, "non-finite in SVG tag: %.*s\n", (int)(close - t + 1), t);
          fail();
        }
      }
      t = close;
    }
    n++;
    s = end;
  }
  return n;
}

static void assert_lines_under(const char *s, size_t cols) {
  while (*s) {
    size_t n = strcspn(s, "\n"), w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xc0) != 0x80;
    if (w >= cols) {
      fprintf(stderr, "line of %zu columns: %.*s\n", w, (int)n, s);
      fail();
    }
    s += n + (s[n] == '\n');
  }
}

/* ---- JSON ------------------------------------------------------------------- */

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v)) {
    fprintf(stderr, "%s: not a number\n", key);
    fail();
  }
  return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsString(v)) {
    fprintf(stderr, "%s: not a string\n", key);
    fail();
  }
  return v->valuestring;
}

static void test_json(void **state) {
  (void)state;
  fixture f;
  init(&f);
  sc_strbuf out = {0};
  assert_int_equal(sc_bench_json(&f.r, &out), SC_STATUS_OK);
  cJSON *root = cJSON_Parse(sc_strbuf_str(&out));
  assert_non_null(root);
  assert_string_equal(str(root, "arch"), "sc1");
  assert_string_equal(str(root, "system"), "sc1x4-pcie");
  assert_string_equal(str(root, "dtype"), "fp8");
  assert_true(num(root, "wall_s") == 12.5);

  const cJSON *roofs = cJSON_GetObjectItemCaseSensitive(root, "roofs");
  assert_int_equal(cJSON_GetArraySize(roofs), 2);
  const cJSON *h200 = cJSON_GetArrayItem(roofs, 1);
  assert_string_equal(str(h200, "chip"), "H200");
  assert_true(num(h200, "peak_flop_s") == 1.979e15);
  assert_true(num(h200, "mem_b_s") == 4.8e12);
  assert_true(num(h200, "tdp_w") == 700);

  static const char *const kinds[] = {"simulated", "floor", "measured"};
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "rows");
  assert_int_equal(cJSON_GetArraySize(rows), N_ROWS);
  for (int i = 0; i < N_ROWS; i++) {
    const sc_bench_row *w = &f.rows[i];
    const cJSON *o = cJSON_GetArrayItem(rows, i);
    assert_string_equal(str(o, "kind"), kinds[w->kind]);
    assert_string_equal(str(o, "chip"), w->chip);
    assert_string_equal(str(o, "model"), w->model);
    assert_string_equal(str(o, "dtype"), w->dtype);
    assert_string_equal(str(o, "source"), w->source);
    assert_string_equal(str(o, "note"), w->note);
    assert_string_equal(str(o, "phase"), w->phase == SC_BENCH_PREFILL ? "prefill" : "decode");
    assert_true(num(o, "batch") == w->batch);
    assert_true(num(o, "context") == w->context);
    assert_true(num(o, "prompt") == w->prompt);
    assert_true(num(o, "chips") == w->chips);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(o, "ok");
    assert_true(cJSON_IsBool(ok));
    assert_int_equal(cJSON_IsTrue(ok), w->ok);
    /* cJSON prints 15 significant digits (17 only when 15 do not read back
     * within its own tolerance), so figures come back to about 1e-15. */
    const struct {
      const char *key;
      double want;
    } figs[] = {
        {"step_s", w->step_s},
        {"ttft_ms", w->ttft_ms},
        {"ms_per_token", w->ms_per_token},
        {"tok_s_chip", w->tok_s_chip},
        {"tok_per_j", w->tok_per_j},
        {"energy_j", w->energy_j},
        {"power_w", w->power_w},
        {"mxu_util", w->mxu_util},
        {"bw_util", w->bw_util},
        {"flops", w->flops},
        {"bytes", w->bytes},
        {"floor_mem_s", w->floor_mem_s},
        {"floor_flop_s", w->floor_flop_s},
        {"floor_ratio", w->floor_ratio},
        {"sim_wall_s", w->sim_wall_s},
    };
    for (size_t k = 0; k < sizeof figs / sizeof figs[0]; k++) {
      if (fabs(num(o, figs[k].key) - figs[k].want) > 1e-14 * fabs(figs[k].want)) {
        fprintf(stderr, "row %d %s: %.17g, want %.17g\n", i, figs[k].key, num(o, figs[k].key),
                figs[k].want);
        fail();
      }
    }
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(o, "parts");
    assert_true(cJSON_IsArray(parts));
    assert_int_equal(cJSON_GetArraySize(parts), w->n_parts);
    for (size_t k = 0; k < w->n_parts; k++) {
      const cJSON *p = cJSON_GetArrayItem(parts, (int)k);
      assert_string_equal(str(p, "name"), w->parts[k].name);
      assert_true(fabs(num(p, "seconds") - w->parts[k].seconds) <= 1e-14 * w->parts[k].seconds);
    }
  }
  /* Spot checks against literals, in case init and the loop agree on a mistake. */
  assert_string_equal(str(cJSON_GetArrayItem(rows, 3), "model"), EVIL_MODEL);
  assert_true(num(cJSON_GetArrayItem(rows, 1), "batch") == 64);
  assert_true(num(cJSON_GetArrayItem(rows, 0), "flops") == 1.6e10);
  assert_string_equal(str(cJSON_GetArrayItem(rows, 2), "note"), SKIP_NOTE);

  const cJSON *goals = cJSON_GetObjectItemCaseSensitive(root, "goals");
  assert_int_equal(cJSON_GetArraySize(goals), 2);
  assert_string_equal(cJSON_GetArrayItem(goals, 1)->valuestring,
                      "MISSED: llama-3.1-70b prefill 2048p did not run");
  cJSON_Delete(root);
  sc_strbuf_free(&out);
}

/* ---- table ------------------------------------------------------------------- */

static void test_table(void **state) {
  (void)state;
  fixture f;
  init(&f);
  sc_strbuf out = {0};
  assert_int_equal(sc_bench_table(&f.r, &out), SC_STATUS_OK);
  const char *t = sc_strbuf_str(&out);
  assert_non_null(strstr(t, "llama-3.1-8b"));
  assert_non_null(strstr(t, "llama-3.1-70b"));
  assert_non_null(strstr(t, "llama-3.3-70b"));
  assert_non_null(strstr(t, EVIL_MODEL)); /* plain text: nothing to escape */
  assert_non_null(strstr(t, SKIP_NOTE));
  assert_non_null(strstr(t, "decode b64 ctx4096"));
  assert_non_null(strstr(t, "prefill 2048p"));
  assert_int_equal(count(t, "(floor)"), 1);
  assert_int_equal(count(t, "(measured)"), 1);
  assert_non_null(strstr(t, f.r.goals)); /* verbatim */
  assert_null(strstr(t, "nan"));
  assert_lines_under(t, 120);
  /* The row that did not run shows its note and no figures. */
  const char *line = strstr(t, "llama-3.1-70b");
  size_t n = strcspn(line, "\n");
  assert_true(strstr(line, SKIP_NOTE) < line + n);
  sc_strbuf_free(&out);

  /* Long notes wrap, long names are cut: every line stays under 120 columns. */
  memset(f.rows[2].note, 'x', 150);
  for (int i = 0; i < 150; i += 9) f.rows[2].note[i] = ' ';
  memset(f.rows[0].model, 'm', sizeof f.rows[0].model - 1);
  memset(f.r.arch, 'a', sizeof f.r.arch - 1);
  memset(f.r.system, 's', sizeof f.r.system - 1);
  f.r.goals[0] = '\0';
  assert_int_equal(sc_bench_table(&f.r, &out), SC_STATUS_OK);
  assert_lines_under(sc_strbuf_str(&out), 120);
  sc_strbuf_free(&out);
}

/* ---- HTML -------------------------------------------------------------------- */

static void test_html(void **state) {
  (void)state;
  fixture f;
  init(&f);
  sc_strbuf out = {0};
  assert_int_equal(sc_bench_html(&f.r, &out), SC_STATUS_OK);
  const char *h = sc_strbuf_str(&out);
  assert_int_equal(strncmp(h, "<!DOCTYPE html>", 15), 0);
  assert_non_null(strstr(h, "</html>\n"));
  assert_null(strstr(h, "<script"));
  assert_null(strstr(h, "<link"));
  assert_null(strstr(h, "<img"));
  /* Self-contained: the only URL is the SVG namespace. */
  assert_int_equal(count(h, "http"), count(h, "http://www.w3.org/2000/svg"));
  /* Two rooflines, the batch curves, the breakdown. */
  assert_int_equal(count(h, "<svg "), 4);
  assert_int_equal(count(h, "</svg>"), 4);
  assert_int_equal(check_svg_tags(h), 4);

  /* Escaping: the model name and a part name never appear raw. */
  assert_null(strstr(h, EVIL_MODEL));
  assert_non_null(strstr(h, "tiny&lt;&amp;&gt;&quot;model&#39;"));
  assert_null(strstr(h, "attention <b>"));
  assert_non_null(strstr(h, "attention &lt;b&gt;"));

  /* Goals: the missed one highlighted, the met one not. */
  assert_int_equal(count(h, "<li class=\"miss\">MISSED: llama-3.1-70b"), 1);
  assert_int_equal(count(h, "<li>met: llama-3.1-8b"), 1);

  /* The table: every row, peers with their sources, the skipped row's note. */
  assert_int_equal(count(h, "<tr"), 1 + N_ROWS);
  assert_non_null(strstr(h, "PEERS.md: H200 datasheet, 4.8 TB/s"));
  assert_non_null(strstr(h, "NVIDIA developer blog (TensorRT-LLM)"));
  assert_non_null(strstr(h, "not run: " SKIP_NOTE));
  assert_non_null(strstr(h, "KV cache in fp8"));

  /* The skipped row is in no plot: its model shows up only in the table and
   * the goals (the tooltips of plotted rows name their models). */
  assert_int_equal(count(h, "llama-3.1-70b"), 2);
  /* Points, each with a tooltip: the 5 rows that ran on their chips'
   * rooflines, the 4 decode rows on the batch plot, the 6 parts of the 3
   * simulated rows in the breakdown. */
  assert_int_equal(count(h, "FLOP/B</title>"), 5);
  assert_int_equal(count(h, "tok/s/chip</title>"), 4);
  assert_int_equal(count(h, "of the step</title>"), 6);
  sc_strbuf_free(&out);
}

/* NaN, infinities and zeros anywhere: no crash, nothing non-finite in SVG
 * tags, valid JSON (non-finite numbers become null), no "nan" in the table. */
static void test_non_finite(void **state) {
  (void)state;
  fixture f;
  init(&f);
  f.r.wall_s = (double)NAN;
  f.r.roofs[0].peak_flop_s = (double)NAN;
  f.r.roofs[1].mem_b_s = 0;
  f.rows[0].step_s = (double)NAN;
  f.rows[0].ms_per_token = (double)INFINITY;
  f.rows[0].parts[1].seconds = (double)NAN;
  f.rows[1].flops = (double)INFINITY;
  f.rows[1].tok_s_chip = 0;
  f.rows[1].parts[0].seconds = -1;
  f.rows[3].bytes = 0;
  f.rows[3].mxu_util = -(double)INFINITY;
  f.rows[4].step_s = 1e-320;
  f.rows[4].floor_ratio = (double)NAN;
  f.rows[5].chips = 0;
  f.rows[5].tok_s_chip = 1e308;
  sc_strbuf out = {0};
  assert_int_equal(sc_bench_html(&f.r, &out), SC_STATUS_OK);
  const char *h = sc_strbuf_str(&out);
  assert_int_equal(count(h, "<svg "), count(h, "</svg>"));
  check_svg_tags(h);
  sc_strbuf_free(&out);

  assert_int_equal(sc_bench_table(&f.r, &out), SC_STATUS_OK);
  assert_null(strstr(sc_strbuf_str(&out), "nan"));
  assert_null(strstr(sc_strbuf_str(&out), "inf"));
  sc_strbuf_free(&out);

  assert_int_equal(sc_bench_json(&f.r, &out), SC_STATUS_OK);
  cJSON *root = cJSON_Parse(sc_strbuf_str(&out));
  assert_non_null(root);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "wall_s")));
  cJSON_Delete(root);
  sc_strbuf_free(&out);

  /* Every figure zero (a driver that filled nothing in). */
  for (int i = 0; i < N_ROWS; i++) {
    sc_bench_row *w = &f.rows[i];
    memset(&w->step_s, 0, (size_t)((char *)&w->n_parts - (char *)&w->step_s));
    for (size_t k = 0; k < w->n_parts; k++) w->parts[k].seconds = 0;
  }
  f.r.roofs[0] = (sc_bench_roof){.chip = "SC1"};
  assert_int_equal(sc_bench_html(&f.r, &out), SC_STATUS_OK);
  h = sc_strbuf_str(&out);
  assert_int_equal(count(h, "<svg "), count(h, "</svg>"));
  check_svg_tags(h);
  sc_strbuf_free(&out);
}

static void test_empty(void **state) {
  (void)state;
  sc_bench_result r;
  memset(&r, 0, sizeof r);
  sc_strbuf out = {0};
  assert_int_equal(sc_bench_html(&r, &out), SC_STATUS_OK);
  const char *h = sc_strbuf_str(&out);
  assert_int_equal(strncmp(h, "<!DOCTYPE html>", 15), 0);
  assert_int_equal(count(h, "<svg "), count(h, "</svg>"));
  assert_non_null(strstr(h, "No goals were given."));
  sc_strbuf_free(&out);
  assert_int_equal(sc_bench_table(&r, &out), SC_STATUS_OK);
  assert_non_null(strstr(sc_strbuf_str(&out), "(no rows)"));
  sc_strbuf_free(&out);
  assert_int_equal(sc_bench_json(&r, &out), SC_STATUS_OK);
  cJSON *root = cJSON_Parse(sc_strbuf_str(&out));
  assert_non_null(root);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "rows")), 0);
  cJSON_Delete(root);
  sc_strbuf_free(&out);
}

typedef sc_status (*writer)(const sc_bench_result *, sc_strbuf *);
static const writer writers[] = {sc_bench_table, sc_bench_json, sc_bench_html};

static void test_deterministic(void **state) {
  (void)state;
  fixture f;
  init(&f);
  for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++) {
    sc_strbuf a = {0}, b = {0};
    assert_int_equal(writers[i](&f.r, &a), SC_STATUS_OK);
    fixture g;
    init(&g); /* an equal result at another address */
    assert_int_equal(writers[i](&g.r, &b), SC_STATUS_OK);
    assert_true(a.len > 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    sc_strbuf_free(&a);
    sc_strbuf_free(&b);
  }
}

static void test_refused(void **state) {
  (void)state;
  fixture f;
  init(&f);
  for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++) {
    sc_strbuf out = {0};
    assert_int_equal(writers[i](NULL, &out), SC_STATUS_INVALID_ARGUMENT);
    assert_int_equal(writers[i](&f.r, NULL), SC_STATUS_INVALID_ARGUMENT);

    /* Malformed results: nothing written. */
    f.rows[1].n_parts = 17;
    assert_int_equal(writers[i](&f.r, &out), SC_STATUS_INVALID);
    init(&f);
    memset(f.rows[4].model, 'x', sizeof f.rows[4].model); /* no NUL */
    assert_int_equal(writers[i](&f.r, &out), SC_STATUS_INVALID);
    init(&f);
    f.r.n_roofs = 5;
    assert_int_equal(writers[i](&f.r, &out), SC_STATUS_INVALID);
    init(&f);
    f.r.rows = NULL;
    assert_int_equal(writers[i](&f.r, &out), SC_STATUS_INVALID);
    init(&f);
    f.rows[0].kind = (sc_bench_kind)7;
    assert_int_equal(writers[i](&f.r, &out), SC_STATUS_INVALID);
    init(&f);
    assert_int_equal(out.len, 0);

    /* A buffer that already failed to grow. */
    out.oom = true;
    assert_int_equal(writers[i](&f.r, &out), SC_STATUS_NO_MEMORY);
    sc_strbuf_free(&out);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json),    cmocka_unit_test(test_table),
      cmocka_unit_test(test_html),    cmocka_unit_test(test_non_finite),
      cmocka_unit_test(test_empty),   cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
