/* test_arch.c: the architecture description: presets against the shipped files
 * and against figures computed here from the published numbers (the SC1
 * reference design, the TPU v1 paper), canonical round trip and fingerprint, every validation rule
 * (table-driven: take sc1.json, change one value, expect one message), diff. */
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

#include "seedchip/arch.h"

static sc_arch *load_ok(const char *what) {
  sc_arch *a = NULL;
  sc_strbuf err = {0};
  sc_status st = sc_arch_load(what, &a, &err);
  if (st != SC_STATUS_OK) fprintf(stderr, "%s", sc_strbuf_str(&err));
  assert_int_equal(st, SC_STATUS_OK);
  assert_non_null(a);
  sc_strbuf_free(&err);
  return a;
}

static char *example_path(const char *preset) {
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  assert_non_null(src);
  sc_strbuf p = {0};
  sc_strbuf_printf(&p, "%s/examples/arch/%s.json", src, preset);
  return p.data;
}

static void assert_close(double got, double want, double rel) {
  if (fabs(got - want) > rel * fabs(want)) {
    fprintf(stderr, "got %.17g, want %.17g (rel %g)\n", got, want, rel);
    fail();
  }
}

/* ---- presets -------------------------------------------------------------- */

static void test_presets_match_files(void **state) {
  (void)state;
  const char *const *names = sc_arch_preset_names();
  int n = 0;
  for (; names[n]; n++) {
    char *path = example_path(names[n]);
    sc_arch *p = load_ok(names[n]);
    sc_arch *f = load_ok(path);
    assert_true(sc_arch_equal(p, f));
    assert_true(sc_arch_fingerprint(p) == sc_arch_fingerprint(f));
    assert_string_equal(p->name, names[n]);
    /* The shipped file is byte for byte the canonical form, so dump -> edit ->
     * diff workflows never show formatting noise. */
    size_t len;
    const char *text = sc_arch_preset_text(names[n], &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    sc_strbuf canon = {0};
    assert_int_equal(sc_arch_to_json(p, &canon), SC_STATUS_OK);
    assert_string_equal(sc_strbuf_str(&canon), text);
    uint8_t *bytes;
    size_t flen;
    char err[256];
    assert_int_equal(sc_read_file(path, 1 << 20, &bytes, &flen, err, sizeof err), SC_STATUS_OK);
    assert_int_equal(flen, len);
    assert_memory_equal(bytes, text, len);
    free(bytes);
    sc_strbuf_free(&canon);
    sc_arch_destroy(p);
    sc_arch_destroy(f);
    free(path);
  }
  assert_int_equal(n, 3);
  assert_null(sc_arch_preset_text("nope", NULL));
}

static void test_tpu_v1_figures(void **state) {
  (void)state;
  sc_arch *a = load_ok("tpu-v1");
  sc_arch_figures f;
  sc_arch_derive(a, &f);
  /* Jouppi et al. 2017: 256 x 256 MACs at 700 MHz, 2 ops per MAC = 92 TOPS. */
  double want = 256.0 * 256.0 * 2.0 * 0.7e9;
  assert_close(f.peak_ops_per_s[SC_DTYPE_INT8], want, 1e-12);
  assert_close(f.peak_ops_per_s[SC_DTYPE_INT8], 92e12, 0.01);
  for (int t = 0; t < SC_DTYPE_COUNT; t++)
    if (t != SC_DTYPE_INT8) assert_true(f.peak_ops_per_s[t] == 0);
  assert_close(f.ridge_ops_per_byte[SC_DTYPE_INT8], want / 34e9, 1e-12);
  assert_int_equal(f.sram_bytes_chip, 24u << 20);
  assert_int_equal(f.acc_bytes_chip, 4u << 20);
  assert_int_equal(f.mem_capacity_bytes, (uint64_t)8 << 30);
  assert_close(f.mem_effective_gb_s, 34, 1e-12);
  assert_close(f.tdp_w, 75, 0);
  assert_int_equal(f.noc_bisection_links, 0); /* one core: no NoC links */
  sc_arch_destroy(a);
}

static void test_sc1_figures(void **state) {
  (void)state;
  sc_arch *a = load_ok("sc1");
  sc_arch_figures f;
  sc_arch_derive(a, &f);
  /* SC1 reference design: 16 cores x 128 x 128 PEs x 1.6 GHz x 2 ops; FP8 and INT8 at 2x,
   * FP32 at 1/4. */
  double bf16 = 16.0 * 128 * 128 * 1.6e9 * 2;
  assert_close(f.peak_ops_per_s[SC_DTYPE_BF16], bf16, 1e-12);
  assert_close(f.peak_ops_per_s[SC_DTYPE_BF16], 838.9e12, 1e-4);
  assert_close(f.peak_ops_per_s[SC_DTYPE_FP16], bf16, 1e-12);
  assert_close(f.peak_ops_per_s[SC_DTYPE_FP8_E4M3], 1.678e15, 1e-3);
  assert_close(f.peak_ops_per_s[SC_DTYPE_FP8_E5M2], 2 * bf16, 1e-12);
  assert_close(f.peak_ops_per_s[SC_DTYPE_INT8], 2 * bf16, 1e-12);
  assert_close(f.peak_ops_per_s[SC_DTYPE_INT4], 2 * bf16, 1e-12);
  assert_close(f.peak_ops_per_s[SC_DTYPE_FP32], bf16 / 4, 1e-12);
  assert_true(f.peak_ops_per_s[SC_DTYPE_INT32] == 0);
  /* 6 stacks x 1.0 TB/s effective; 6 x 16 channels x 80 GB/s = 7.68 TB/s peak. */
  assert_close(f.mem_effective_gb_s, 6000, 1e-12);
  assert_close(f.mem_peak_gb_s, 6 * 1280.0, 1e-12);
  assert_int_equal(f.mem_capacity_bytes, 6 * 36000000000ull);
  assert_close(f.ridge_ops_per_byte[SC_DTYPE_BF16], bf16 / 6e12, 1e-12);
  assert_close(f.ridge_ops_per_byte[SC_DTYPE_BF16], 139.8, 1e-3);
  assert_int_equal(f.sram_bytes_per_core, 16u << 20);
  assert_int_equal(f.sram_bytes_chip, 256u << 20);
  /* 4x4 mesh: 4 links cross the bisection, 256 B x 1.6 GHz each. */
  assert_int_equal(f.noc_bisection_links, 4);
  assert_close(f.noc_bisection_gb_s, 4 * 256 * 1.6, 1e-12);
  assert_close(f.noc_bisection_gb_s_both, 2 * 4 * 256 * 1.6, 1e-12);
  assert_int_equal(f.noc_diameter_hops, 6);
  assert_close(f.chip_links_gb_s, 800, 1e-12);
  assert_close(f.chip_links_gb_s_both, 1600, 1e-12);
  assert_close(f.host_link_gb_s, 64, 1e-12);
  assert_close(f.tdp_w, 500, 0);
  /* BF16 MAC 0.30 pJ at peak: bf16/2 MACs/s x 0.3e-12 J. */
  assert_close(f.mxu_power_w[SC_DTYPE_BF16], bf16 / 2 * 0.3e-12, 1e-12);
  assert_close(f.mem_power_w, 6e12 * 32e-12, 1e-12);
  sc_arch_destroy(a);
}

static void test_sc1_lp_figures(void **state) {
  (void)state;
  sc_arch *a = load_ok("sc1-lp");
  sc_arch *h = load_ok("sc1");
  sc_arch_figures f, fh;
  sc_arch_derive(a, &f);
  sc_arch_derive(h, &fh);
  /* Same die: same compute. LPDDR5X-8533 at 17.1 GB/s per x16 channel. */
  assert_close(f.peak_ops_per_s[SC_DTYPE_BF16], fh.peak_ops_per_s[SC_DTYPE_BF16], 0);
  assert_close(f.mem_peak_gb_s, 32 * 17.1, 1e-12);
  assert_close(f.mem_efficiency, 0.85, 1e-9);
  assert_true(f.tdp_w < fh.tdp_w);
  assert_int_equal(a->memory.stacks, 0);
  sc_arch_destroy(a);
  sc_arch_destroy(h);
}

/* A mesh that is not square: the bisection cuts the longer dimension. */
static void test_noc_bisection_rect(void **state) {
  (void)state;
  sc_arch *a = load_ok("sc1");
  sc_arch b = *a;
  b.cores.count = 8;
  b.cores.mesh_rows = 2;
  b.cores.mesh_cols = 4;
  assert_int_equal(sc_arch_validate(&b, "x", NULL), SC_STATUS_OK);
  sc_arch_figures f;
  sc_arch_derive(&b, &f);
  assert_int_equal(f.noc_bisection_links, 2);
  b.cores.count = 5;
  b.cores.mesh_rows = 1;
  b.cores.mesh_cols = 5;
  sc_arch_derive(&b, &f);
  assert_int_equal(f.noc_bisection_links, 1);
  sc_arch_destroy(a);
}

/* ---- canonical form ------------------------------------------------------- */

static void test_round_trip(void **state) {
  (void)state;
  for (const char *const *n = sc_arch_preset_names(); *n; n++) {
    sc_arch *a = load_ok(*n);
    sc_strbuf js = {0};
    assert_int_equal(sc_arch_to_json(a, &js), SC_STATUS_OK);
    sc_arch *b = NULL;
    assert_int_equal(sc_arch_parse(js.data, js.len, "rt", &b, NULL), SC_STATUS_OK);
    assert_true(sc_arch_equal(a, b));
    assert_true(sc_arch_fingerprint(a) == sc_arch_fingerprint(b));
    /* Formatting and key order do not change the fingerprint. */
    cJSON *j = cJSON_Parse(js.data);
    cJSON *rev = cJSON_CreateObject();
    while (j->child) {
      cJSON *last = j->child;
      while (last->next) last = last->next;
      cJSON_AddItemToObject(rev, last->string, cJSON_DetachItemViaPointer(j, last));
    }
    char *compact = cJSON_PrintUnformatted(rev);
    sc_arch *c = NULL;
    assert_int_equal(sc_arch_parse(compact, strlen(compact), "rev", &c, NULL), SC_STATUS_OK);
    assert_true(sc_arch_equal(a, c));
    assert_true(sc_arch_fingerprint(a) == sc_arch_fingerprint(c));
    assert_true(sc_arch_fingerprint(a) != 0);
    cJSON_free(compact);
    cJSON_Delete(j);
    cJSON_Delete(rev);
    sc_strbuf_free(&js);
    sc_arch_destroy(a);
    sc_arch_destroy(b);
    sc_arch_destroy(c);
  }
}

/* Values that only shortest-round-trip printing keeps exact, and optional keys. */
static void test_round_trip_odd_values(void **state) {
  (void)state;
  sc_arch *a = load_ok("sc1");
  a->clock_ghz = 0.1 + 0.2; /* 0.30000000000000004 */
  a->memory.latency_ns = 1.0 / 3.0;
  a->memory.interleave_bytes = (uint64_t)1 << 30; /* the range limits */
  a->memory.access_bytes = 65536;
  a->area_die_mm2 = 812.5;
  a->cost_unit_usd = 12000;
  snprintf(a->description, sizeof a->description, "quote \" backslash \\ tab \t newline \n");
  sc_strbuf js = {0};
  assert_int_equal(sc_arch_to_json(a, &js), SC_STATUS_OK);
  assert_non_null(strstr(js.data, "\"die_mm2\": 812.5"));
  assert_non_null(strstr(js.data, "\"interleave_bytes\": 1073741824,\n"
                                  "    \"access_bytes\": 65536\n"));
  sc_arch *b = NULL;
  sc_strbuf err = {0};
  assert_int_equal(sc_arch_parse(js.data, js.len, "rt", &b, &err), SC_STATUS_OK);
  assert_true(sc_arch_equal(a, b));
  assert_true(b->clock_ghz == 0.1 + 0.2);
  assert_int_equal(b->memory.interleave_bytes, (uint64_t)1 << 30);
  assert_int_equal(b->memory.access_bytes, 65536);
  assert_string_equal(a->description, b->description);
  sc_arch *c = load_ok("sc1");
  assert_true(sc_arch_fingerprint(a) != sc_arch_fingerprint(c));
  sc_strbuf_free(&js);
  sc_strbuf_free(&err);
  sc_arch_destroy(a);
  sc_arch_destroy(b);
  sc_arch_destroy(c);
}

/* Every key the canonical form writes is documented in docs/ARCH.md. */
static void check_documented(const cJSON *obj, const char *prefix, const char *doc, int *n) {
  for (const cJSON *e = obj->child; e; e = e->next) {
    char path[128];
    snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", e->string);
    bool dmap = strstr(path, "macs_per_pe_cycle") || strstr(path, "mac_pj");
    if (cJSON_IsObject(e) && !dmap) {
      check_documented(e, path, doc, n);
      continue;
    }
    char quoted[140];
    snprintf(quoted, sizeof quoted, "| `%s` |", path);
    if (!strstr(doc, quoted)) {
      fprintf(stderr, "docs/ARCH.md does not document %s\n", path);
      fail();
    }
    (*n)++;
  }
}

static void test_keys_documented(void **state) {
  (void)state;
  sc_arch *a = load_ok("sc1");
  a->area_die_mm2 = 800; /* optional keys too */
  a->cost_unit_usd = 1;
  sc_strbuf js = {0};
  assert_int_equal(sc_arch_to_json(a, &js), SC_STATUS_OK);
  cJSON *root = cJSON_Parse(js.data);
  assert_non_null(root);
  sc_strbuf path = {0};
  sc_strbuf_printf(&path, "%s/docs/ARCH.md", getenv("SEEDCHIP_SOURCE_DIR"));
  uint8_t *doc;
  size_t len;
  char err[256];
  assert_int_equal(sc_read_file(path.data, 1 << 20, &doc, &len, err, sizeof err), SC_STATUS_OK);
  int n = 0;
  check_documented(root, "", (const char *)doc, &n);
  assert_int_equal(n, 55); /* every leaf of the format, version 1 */
  free(doc);
  sc_strbuf_free(&path);
  cJSON_Delete(root);
  sc_strbuf_free(&js);
  sc_arch_destroy(a);
}

/* ---- validation ----------------------------------------------------------- */

/* Sets (or with value NULL deletes) the member at a dotted path of root. */
static void set_path(cJSON *root, const char *path, const char *value_json) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  cJSON *obj = root;
  char *key = buf, *dot;
  while ((dot = strchr(key, '.')) != NULL) {
    *dot = '\0';
    obj = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_non_null(obj);
    key = dot + 1;
  }
  if (!value_json) {
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    return;
  }
  cJSON *v = cJSON_Parse(value_json);
  assert_non_null(v);
  if (cJSON_GetObjectItemCaseSensitive(obj, key))
    cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
  else
    cJSON_AddItemToObject(obj, key, v);
}

typedef struct mutation {
  const char *path;  /* dotted key path to change */
  const char *value; /* new value as JSON text; NULL deletes the key */
} mutation;

/* Parses sc1.json with the mutations applied as "t.json"; returns the errors. */
static sc_status parse_mutated(const mutation *m, size_t n, sc_strbuf *errors) {
  size_t len;
  const char *text = sc_arch_preset_text("sc1", &len);
  cJSON *root = cJSON_Parse(text);
  assert_non_null(root);
  for (size_t i = 0; i < n; i++) set_path(root, m[i].path, m[i].value);
  char *js = cJSON_Print(root);
  sc_arch *a = NULL;
  sc_status st = sc_arch_parse(js, strlen(js), "t.json", &a, errors);
  assert_true((st == SC_STATUS_OK) == (a != NULL));
  sc_arch_destroy(a);
  cJSON_free(js);
  cJSON_Delete(root);
  return st;
}

static size_t count_lines(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

static void test_validation_table(void **state) {
  (void)state;
  static const struct {
    mutation m;
    const char *want; /* the one expected line, without the trailing newline */
  } cases[] = {
      {{"core.vpu.lanes", "0"}, "t.json: core.vpu.lanes: must be at least 1, got 0"},
      {{"core.vpu.lanes", "-3"}, "t.json: core.vpu.lanes: must be at least 1, got -3"},
      {{"core.vpu.lanes", "2.5"}, "t.json: core.vpu.lanes: must be an integer, got 2.5"},
      {{"core.vpu.lanes", "\"128\""}, "t.json: core.vpu.lanes: must be an integer, got a string"},
      {{"core.mxu.rows", "1e300"}, "t.json: core.mxu.rows: must be at most 65536, got 1e+300"},
      {{"clock_ghz", "null"}, "t.json: clock_ghz: must be a number, got null"},
      {{"clock_ghz", "0"}, "t.json: clock_ghz: must be greater than 0, got 0"},
      {{"clock_ghz", "true"}, "t.json: clock_ghz: must be a number, got a boolean"},
      {{"clock_ghz", NULL}, "t.json: clock_ghz: missing required key"},
      {{"memory", NULL}, "t.json: memory: missing required key"},
      {{"core.sram", "[]"}, "t.json: core.sram: must be an object, got an array"},
      {{"core.vpu.width", "4"}, "t.json: core.vpu.width: unknown key"},
      {{"extra", "{}"}, "t.json: extra: unknown key"},
      {{"format", "\"other\""},
       "t.json: format: must be \"seedchip-arch\" (this is not a SeedChip architecture file)"},
      {{"version", "2"}, "t.json: version: unsupported version (this build reads version 1)"},
      {{"name", "\"\""}, "t.json: name: must not be empty"},
      {{"name", "\"0123456789012345678901234567890123456789012345678901234567890123\""},
       "t.json: name: must be at most 63 bytes long, got 64"},
      {{"cores.mesh", "[4, 3]"},
       "t.json: cores.mesh: [4, 3] holds 12 cores, but cores.count is 16"},
      {{"cores.mesh", "[4]"},
       "t.json: cores.mesh: must be an array of 2 integers [rows, cols], got an array of another "
       "length"},
      {{"cores.mesh", "[4, 0]"}, "t.json: cores.mesh[1]: must be at least 1, got 0"},
      {{"core.mxu.dataflow", "\"row-stationary\""},
       "t.json: core.mxu.dataflow: unknown value \"row-stationary\" (known: \"weight-stationary\", "
       "\"output-stationary\")"},
      {{"noc.topology", "\"torus\""},
       "t.json: noc.topology: unknown value \"torus\" (known: \"mesh\")"},
      {{"core.mxu.macs_per_pe_cycle.fp6", "1"},
       "t.json: core.mxu.macs_per_pe_cycle.fp6: unknown dtype (known: fp32, bf16, fp16, fp8e4m3, "
       "fp8e5m2, int8, int4, int32)"},
      {{"core.mxu.macs_per_pe_cycle.bf16", "0"},
       "t.json: core.mxu.macs_per_pe_cycle.bf16: must be greater than 0, got 0"},
      {{"core.mxu.macs_per_pe_cycle", "{}"},
       "t.json: core.mxu.macs_per_pe_cycle: must name at least one dtype"},
      {{"energy.mac_pj.int4", NULL},
       "t.json: energy.mac_pj: missing int4, which core.mxu.macs_per_pe_cycle supports"},
      {{"memory.effective_gb_s", "7700"},
       "t.json: memory.effective_gb_s: 7700 exceeds what 96 channels of 80 GB/s can carry (7680)"},
      {{"core.sram.banks", "3"},
       "t.json: core.sram.banks: 3 banks do not divide size_bytes 16777216"},
      {{"core.sram.bank_width_bytes", "3"},
       "t.json: core.sram.bank_width_bytes: 3 does not divide the bank size of 524288 bytes"},
      {{"core.acc_sram.banks", "3"},
       "t.json: core.acc_sram.banks: 3 banks do not divide size_bytes 2097152"},
      {{"memory.stacks", "0"}, "t.json: memory.stacks: must be at least 1 for HBM3E memory, got 0"},
      {{"memory.stacks", "5"},
       "t.json: memory.channels: 96 channels do not divide evenly over 5 stacks"},
      {{"memory.technology", "\"GDDR7\""},
       "t.json: memory.stacks: must be 0 for non-HBM memory (GDDR7), got 6"},
      {{"memory.interleave_bytes", "384"},
       "t.json: memory.interleave_bytes: must be a power of two, got 384"},
      {{"memory.interleave_bytes", "0"},
       "t.json: memory.interleave_bytes: must be at least 1, got 0"},
      {{"memory.interleave_bytes", "2147483648"},
       "t.json: memory.interleave_bytes: must be at most 1073741824, got 2147483648"},
      {{"memory.interleave_bytes", NULL}, "t.json: memory.interleave_bytes: missing required key"},
      {{"memory.interleave_bytes", "32"},
       "t.json: memory.access_bytes: 64 exceeds memory.interleave_bytes (32)"},
      {{"memory.access_bytes", "512"},
       "t.json: memory.access_bytes: 512 exceeds memory.interleave_bytes (256)"},
      {{"memory.access_bytes", "48"},
       "t.json: memory.access_bytes: must be a power of two, got 48"},
      {{"memory.access_bytes", "131072"},
       "t.json: memory.access_bytes: must be at most 65536, got 131072"},
      {{"memory.access_bytes", "64.5"},
       "t.json: memory.access_bytes: must be an integer, got 64.5"},
      {{"memory.access_bytes", NULL}, "t.json: memory.access_bytes: missing required key"},
      {{"chip_links.gb_s", "0"},
       "t.json: chip_links.gb_s: must be greater than 0 when chip_links.count is 8"},
      {{"energy.static_w", "600"}, "t.json: energy.static_w: 600 W exceeds power.tdp_w (500 W)"},
      {{"memory.capacity_bytes", "1e17"},
       "t.json: memory.capacity_bytes: must be at most 9007199254740992, got 1e+17"},
      {{"area", "{\"die_mm2\": 0}"},
       "t.json: area.die_mm2: must be greater than 0 (leave the key out when unknown), got 0"},
      {{"area", "{\"die_mm2\": 800, \"x\": 1}"}, "t.json: area.x: unknown key"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sc_strbuf err = {0};
    sc_status st = parse_mutated(&cases[i].m, 1, &err);
    sc_strbuf want = {0};
    sc_strbuf_printf(&want, "%s\n", cases[i].want);
    if (st == SC_STATUS_OK || strcmp(sc_strbuf_str(&err), sc_strbuf_str(&want)) != 0) {
      fprintf(stderr, "case %zu (%s): got\n%swant\n%s", i, cases[i].m.path, sc_strbuf_str(&err),
              sc_strbuf_str(&want));
      fail();
    }
    assert_int_equal(st, SC_STATUS_INVALID);
    sc_strbuf_free(&want);
    sc_strbuf_free(&err);
  }
}

static void test_valid_mutations(void **state) {
  (void)state;
  static const mutation ok[] = {
      {"core.mxu.dataflow", "\"output-stationary\""},
      {"area", "{\"die_mm2\": 800}"},
      {"cost", "{\"unit_usd\": 15000}"},
      {"description", NULL},
      {"chip_links", "{\"count\": 0, \"gb_s\": 0, \"latency_ns\": 0}"},
      {"memory.interleave_bytes", "64"}, /* access_bytes == interleave_bytes */
      {"memory.interleave_bytes", "1073741824"},
      {"memory.access_bytes", "1"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    sc_strbuf err = {0};
    assert_int_equal(parse_mutated(&ok[i], 1, &err), SC_STATUS_OK);
    assert_string_equal(sc_strbuf_str(&err), "");
    sc_strbuf_free(&err);
  }
}

static void test_all_errors_reported(void **state) {
  (void)state;
  static const mutation m[] = {
      {"core.vpu.lanes", "0"},  {"memory.effective_gb_s", "7000.5e3"},   {"noc.bogus", "1"},
      {"host_link.name", NULL}, {"core.mxu.macs_per_pe_cycle.fp4", "8"},
  };
  sc_strbuf err = {0};
  assert_int_equal(parse_mutated(m, 5, &err), SC_STATUS_INVALID);
  const char *e = sc_strbuf_str(&err);
  assert_int_equal(count_lines(e), 5);
  assert_non_null(strstr(e, "t.json: core.vpu.lanes: must be at least 1, got 0\n"));
  assert_non_null(strstr(e, "t.json: memory.effective_gb_s: 7000500 exceeds what 96 channels"));
  assert_non_null(strstr(e, "t.json: noc.bogus: unknown key\n"));
  assert_non_null(strstr(e, "t.json: host_link.name: missing required key\n"));
  assert_non_null(strstr(e, "t.json: core.mxu.macs_per_pe_cycle.fp4: unknown dtype"));
  sc_strbuf_free(&err);
}

static void expect_parse(const char *text, sc_status want_st, const char *want_err) {
  sc_arch *a = (sc_arch *)(uintptr_t)1;
  sc_strbuf err = {0};
  assert_int_equal(sc_arch_parse(text, strlen(text), "x.json", &a, &err), want_st);
  assert_null(a);
  if (!strstr(sc_strbuf_str(&err), want_err)) {
    fprintf(stderr, "got '%s', want '%s'\n", sc_strbuf_str(&err), want_err);
    fail();
  }
  sc_strbuf_free(&err);
}

static void test_syntax_errors(void **state) {
  (void)state;
  expect_parse("", SC_STATUS_PARSE, "x.json:1:1: JSON syntax error");
  expect_parse("{\n  \"name\": \"a\",\n  \"clock_ghz\": 1.6,,\n}", SC_STATUS_PARSE,
               "x.json:3:21: JSON syntax error");
  expect_parse("{\"name\": \"a\"", SC_STATUS_PARSE, "x.json:1:");
  expect_parse("{} trailing", SC_STATUS_PARSE, "x.json:1:4: JSON syntax error");
  expect_parse("[1, 2]", SC_STATUS_INVALID, "x.json: must be a JSON object, got an array");
  expect_parse("{}", SC_STATUS_INVALID, "x.json: format: missing required key\n");
  /* The duplicate of a key is an error, not a silent "last one wins". */
  size_t len;
  const char *text = sc_arch_preset_text("sc1", &len);
  sc_strbuf dup = {0};
  sc_strbuf_append(&dup, text, len - 2); /* drop "}\n" */
  sc_strbuf_printf(&dup, ",\n  \"clock_ghz\": 2\n}\n");
  expect_parse(dup.data, SC_STATUS_INVALID, "x.json: clock_ghz: duplicate key\n");
  sc_strbuf_free(&dup);
  /* 1e999 overflows to infinity in the parser (cJSON would print it as null,
   * so this one is spliced into the text). */
  const char *clock = strstr(text, "\"clock_ghz\": 1.6");
  assert_non_null(clock);
  sc_strbuf inf = {0};
  sc_strbuf_append(&inf, text, (size_t)(clock - text));
  sc_strbuf_printf(&inf, "\"clock_ghz\": 1e999%s", clock + strlen("\"clock_ghz\": 1.6"));
  expect_parse(inf.data, SC_STATUS_INVALID,
               "x.json: clock_ghz: must be a finite number, got inf\n");
  sc_strbuf_free(&inf);
  /* Many unknown keys: messages stop at a limit. */
  sc_strbuf many = {0};
  sc_strbuf_printf(&many, "{");
  for (int i = 0; i < 5000; i++) sc_strbuf_printf(&many, "%s\"k%d\": %d", i ? "," : "", i, i);
  sc_strbuf_printf(&many, "}");
  sc_arch *a = NULL;
  sc_strbuf err = {0};
  assert_int_equal(sc_arch_parse(many.data, many.len, "m", &a, &err), SC_STATUS_INVALID);
  assert_true(count_lines(sc_strbuf_str(&err)) <= 101);
  assert_non_null(strstr(sc_strbuf_str(&err), "too many errors"));
  sc_strbuf_free(&err);
  sc_strbuf_free(&many);
}

static void test_bad_arguments(void **state) {
  (void)state;
  sc_arch *a = NULL;
  assert_int_equal(sc_arch_parse(NULL, 5, "x", &a, NULL), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_arch_parse("{}", 2, "x", NULL, NULL), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_arch_parse(NULL, 0, NULL, &a, NULL), SC_STATUS_PARSE);
  sc_strbuf err = {0};
  assert_int_equal(sc_arch_load("/nonexistent/arch.json", &a, &err), SC_STATUS_NOT_FOUND);
  assert_null(a);
  assert_non_null(strstr(sc_strbuf_str(&err), "/nonexistent/arch.json"));
  sc_strbuf_free(&err);
  assert_int_equal(sc_arch_load("sc9", &a, &err), SC_STATUS_NOT_FOUND);
  assert_non_null(strstr(sc_strbuf_str(&err), "presets: sc1 sc1-lp tpu-v1"));
  sc_strbuf_free(&err);
  sc_arch_destroy(NULL);
  assert_string_equal(sc_arch_dataflow_name(SC_ARCH_WEIGHT_STATIONARY), "weight-stationary");
  assert_string_equal(sc_arch_dataflow_name((sc_arch_dataflow)7), "?");
  assert_string_equal(sc_arch_topology_name(SC_ARCH_MESH), "mesh");
}

static void test_validate_struct(void **state) {
  (void)state;
  sc_arch *a = load_ok("sc1");
  assert_int_equal(sc_arch_validate(a, "sweep", NULL), SC_STATUS_OK);
  a->core.mxu.rows = 0;
  a->memory.effective_gb_s = nan("");
  a->core.mxu.dataflow = (sc_arch_dataflow)9;
  memset(a->name, 'x', sizeof a->name); /* no terminator */
  sc_strbuf err = {0};
  assert_int_equal(sc_arch_validate(a, "sweep", &err), SC_STATUS_INVALID);
  const char *e = sc_strbuf_str(&err);
  assert_non_null(strstr(e, "sweep: core.mxu.rows: must be at least 1, got 0\n"));
  assert_non_null(strstr(e, "sweep: memory.effective_gb_s: must be a finite number"));
  assert_non_null(strstr(e, "sweep: core.mxu.dataflow: enum value 9 out of range\n"));
  assert_non_null(strstr(e, "sweep: name: is not NUL-terminated within 64 bytes\n"));
  assert_int_equal(count_lines(e), 4);
  sc_strbuf_free(&err);
  sc_arch_destroy(a);
}

/* The interleave rules on a struct built in code, as a design-space sweep would:
 * one message per bad value, the cross rule only between accepted values. */
static void test_validate_interleave(void **state) {
  (void)state;
  sc_arch *a = load_ok("sc1");
  assert_int_equal(a->memory.interleave_bytes, 256);
  assert_int_equal(a->memory.access_bytes, 64);
  static const struct {
    uint64_t interleave;
    uint32_t access;
    const char *want; /* NULL: valid */
  } cases[] = {
      {1, 1, NULL},
      {4096, 4096, NULL},
      {(uint64_t)1 << 30, 65536, NULL},
      {3, 1, "sweep: memory.interleave_bytes: must be a power of two, got 3\n"},
      {768, 1024, "sweep: memory.interleave_bytes: must be a power of two, got 768\n"},
      {256, 96, "sweep: memory.access_bytes: must be a power of two, got 96\n"},
      {256, 0, "sweep: memory.access_bytes: must be at least 1, got 0\n"},
      {0, 64, "sweep: memory.interleave_bytes: must be at least 1, got 0\n"},
      {(uint64_t)1 << 31, 64,
       "sweep: memory.interleave_bytes: must be at most 1073741824, got 2147483648\n"},
      {64, 128, "sweep: memory.access_bytes: 128 exceeds memory.interleave_bytes (64)\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    a->memory.interleave_bytes = cases[i].interleave;
    a->memory.access_bytes = cases[i].access;
    sc_strbuf err = {0};
    sc_status st = sc_arch_validate(a, "sweep", &err);
    const char *want = cases[i].want ? cases[i].want : "";
    if (st != (cases[i].want ? SC_STATUS_INVALID : SC_STATUS_OK) ||
        strcmp(sc_strbuf_str(&err), want) != 0) {
      fprintf(stderr, "case %zu: got status %d\n%swant\n%s", i, (int)st, sc_strbuf_str(&err), want);
      fail();
    }
    sc_strbuf_free(&err);
  }
  sc_arch_destroy(a);
}

/* ---- diff ----------------------------------------------------------------- */

static void test_diff(void **state) {
  (void)state;
  sc_arch *a = load_ok("sc1");
  sc_arch *b = load_ok("sc1-lp");
  sc_arch *c = load_ok("sc1");
  sc_strbuf out = {0};
  assert_int_equal(sc_arch_diff(a, c, &out), 0);
  assert_string_equal(sc_strbuf_str(&out), "");
  size_t n = sc_arch_diff(a, b, &out);
  const char *s = sc_strbuf_str(&out);
  assert_int_equal(count_lines(s), n);
  assert_non_null(strstr(s, "name: \"sc1\" -> \"sc1-lp\"\n"));
  assert_non_null(strstr(s, "memory.technology: \"HBM3E\" -> \"LPDDR5X\"\n"));
  assert_non_null(strstr(s, "memory.stacks: 6 -> 0\n"));
  assert_non_null(strstr(s, "memory.channel_peak_gb_s: 80 -> 17.1\n"));
  assert_non_null(strstr(s, "power.tdp_w: 500 -> 350\n"));
  assert_null(strstr(s, "core.")); /* same die */
  sc_strbuf_free(&out);
  /* Per-dtype entries and optional values show "(absent)". */
  c->core.mxu.macs_per_pe_cycle[SC_DTYPE_INT4] = 0;
  c->area_die_mm2 = 800;
  assert_int_equal(sc_arch_diff(a, c, &out), 2);
  assert_string_equal(sc_strbuf_str(&out), "core.mxu.macs_per_pe_cycle.int4: 2 -> (absent)\n"
                                           "area.die_mm2: (absent) -> 800\n");
  assert_false(sc_arch_equal(a, c));
  sc_strbuf_free(&out);
  /* The new memory keys take part in diff, equality and the fingerprint. */
  sc_arch *d = load_ok("sc1");
  uint64_t fp = sc_arch_fingerprint(d);
  d->memory.interleave_bytes = 512;
  assert_int_equal(sc_arch_diff(a, d, &out), 1);
  assert_string_equal(sc_strbuf_str(&out), "memory.interleave_bytes: 256 -> 512\n");
  assert_false(sc_arch_equal(a, d));
  assert_true(sc_arch_fingerprint(d) != fp);
  sc_strbuf_free(&out);
  d->memory.interleave_bytes = 256;
  d->memory.access_bytes = 32;
  assert_int_equal(sc_arch_diff(a, d, &out), 1);
  assert_string_equal(sc_strbuf_str(&out), "memory.access_bytes: 64 -> 32\n");
  assert_true(sc_arch_fingerprint(d) != fp);
  sc_strbuf_free(&out);
  sc_arch_destroy(d);
  sc_arch_destroy(a);
  sc_arch_destroy(b);
  sc_arch_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_presets_match_files),   cmocka_unit_test(test_tpu_v1_figures),
      cmocka_unit_test(test_sc1_figures),           cmocka_unit_test(test_sc1_lp_figures),
      cmocka_unit_test(test_noc_bisection_rect),    cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_round_trip_odd_values), cmocka_unit_test(test_keys_documented),
      cmocka_unit_test(test_validation_table),      cmocka_unit_test(test_valid_mutations),
      cmocka_unit_test(test_all_errors_reported),   cmocka_unit_test(test_syntax_errors),
      cmocka_unit_test(test_bad_arguments),         cmocka_unit_test(test_validate_struct),
      cmocka_unit_test(test_validate_interleave),   cmocka_unit_test(test_diff),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
