/* test_system.c: systems of chips. Routing is checked against what the link
 * layout documented in system.h says (every route a connected walk over the
 * link ids, of the length a shortest-way formula computed here gives), link
 * bundles, latencies and derived figures against hand-computed numbers for
 * SC1 (8 links of 100 GB/s, 500 ns, 16 cores, 216 GB, 6000 GB/s, 500 W),
 * every validation rule, the three example files, a table of malformed files
 * (each message must name its key), the canonical round trip and the
 * sc_system_load shorthands. */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "seedchip/system.h"

/* SC1's published chip-link and host figures (examples/arch/sc1.json). */
#define SC1_LINKS 8
#define SC1_LINK_GB_S 100.0
#define SC1_LINK_NS 500.0
#define SC1_LINK_PJ 10.4
#define SC1_HOST_GB_S 64.0
#define SC1_HOST_NS 1000.0

static sc_arch *load_arch(const char *what) {
  sc_arch *a = NULL;
  sc_strbuf err = {0};
  sc_status st = sc_arch_load(what, &a, &err);
  if (st != SC_STATUS_OK) fprintf(stderr, "%s", sc_strbuf_str(&err));
  assert_int_equal(st, SC_STATUS_OK);
  sc_strbuf_free(&err);
  return a;
}

/* chips of sc1 on topology via sc_system_of, which must accept them. */
static void make(sc_system *s, uint32_t chips, sc_sys_topology t) {
  sc_arch *a = load_arch("sc1");
  sc_strbuf err = {0};
  sc_status st = sc_system_of(a, chips, t, s, &err);
  if (st != SC_STATUS_OK) fprintf(stderr, "%s", sc_strbuf_str(&err));
  assert_int_equal(st, SC_STATUS_OK);
  sc_strbuf_free(&err);
  sc_arch_destroy(a);
}

/* A torus of exactly rows x cols (sc_system_of picks the squarest shape). */
static void make_torus(sc_system *s, uint32_t rows, uint32_t cols) {
  make(s, rows * cols, SC_SYS_TORUS);
  s->rows = rows;
  s->cols = cols;
  assert_int_equal(sc_system_validate(s, "t", NULL), SC_STATUS_OK);
}

static void assert_close(double got, double want) {
  if (fabs(got - want) > 1e-12 * fabs(want)) {
    fprintf(stderr, "got %.17g, want %.17g\n", got, want);
    fail();
  }
}

static void assert_contains(const char *text, const char *want) {
  if (!strstr(text, want)) {
    fprintf(stderr, "missing \"%s\" in:\n%s\n", want, text);
    fail();
  }
}

static uint32_t ring_dist(uint32_t a, uint32_t b, uint32_t n) {
  uint32_t d = (b + n - a) % n;
  return d < n - d ? d : n - d;
}

/* ---- addresses and names -------------------------------------------------- */

static void test_addresses(void **state) {
  (void)state;
  assert_true(sc_sys_chip_base(0) == 0);
  assert_true(sc_sys_chip_base(3) == 3ull * 1099511627776ull);
  assert_int_equal(sc_sys_chip_of(3ull * 1099511627776ull + 12345), 3);
  assert_int_equal(sc_sys_chip_of(1099511627775ull), 0);
  assert_string_equal(sc_sys_topology_name(SC_SYS_RING), "ring");
  assert_string_equal(sc_sys_topology_name(SC_SYS_TORUS), "torus");
  assert_string_equal(sc_sys_topology_name(SC_SYS_SWITCH), "switch");
  assert_string_equal(sc_sys_topology_name(SC_SYS_TOPOLOGY_COUNT), "?");
  assert_string_equal(sc_sys_topology_name((sc_sys_topology)-1), "?");
}

static void test_single(void **state) {
  (void)state;
  sc_arch *a = load_arch("sc1");
  sc_system s;
  sc_system_single(a, &s);
  assert_string_equal(s.name, "sc1x1");
  assert_int_equal(s.chips, 1);
  assert_int_equal(s.rows, 1);
  assert_int_equal(s.cols, 1);
  assert_int_equal(s.links.per_chip, SC1_LINKS);
  assert_close(s.links.gb_s, SC1_LINK_GB_S);
  assert_close(s.links.latency_ns, SC1_LINK_NS);
  assert_close(s.links.pj_per_byte, SC1_LINK_PJ);
  assert_close(s.host.gb_s, SC1_HOST_GB_S);
  assert_close(s.host.latency_ns, SC1_HOST_NS);
  assert_int_equal(sc_system_validate(&s, "t", NULL), SC_STATUS_OK);
  assert_int_equal(sc_system_links(&s), 0);
  assert_int_equal(sc_system_hops(&s, 0, 0), 0);
  assert_true(sc_system_latency_ns(&s, 0, 0) == 0);
  /* One chip without chip links (TPU v1) is a valid system. */
  sc_arch *t = load_arch("tpu-v1");
  sc_system_single(t, &s);
  assert_int_equal(sc_system_validate(&s, "t", NULL), SC_STATUS_OK);
  sc_arch_destroy(t);
  sc_arch_destroy(a);
}

static void test_system_of_names_and_shapes(void **state) {
  (void)state;
  static const struct {
    uint32_t chips;
    sc_sys_topology t;
    const char *name;
    uint32_t rows, cols;
  } cases[] = {
      {8, SC_SYS_SWITCH, "sc1x8", 1, 8},        {8, SC_SYS_RING, "sc1x8-ring", 1, 8},
      {16, SC_SYS_TORUS, "sc1x16-torus", 4, 4}, {8, SC_SYS_TORUS, "sc1x8-torus", 2, 4},
      {6, SC_SYS_TORUS, "sc1x6-torus", 2, 3},   {7, SC_SYS_TORUS, "sc1x7-torus", 1, 7},
      {12, SC_SYS_TORUS, "sc1x12-torus", 3, 4}, {64, SC_SYS_TORUS, "sc1x64-torus", 8, 8},
      {2, SC_SYS_RING, "sc1x2-ring", 1, 2},     {1, SC_SYS_TORUS, "sc1x1-torus", 1, 1},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    sc_system s;
    make(&s, cases[i].chips, cases[i].t);
    assert_string_equal(s.name, cases[i].name);
    assert_int_equal(s.chips, cases[i].chips);
    assert_int_equal(s.topology, cases[i].t);
    assert_int_equal(s.rows, cases[i].rows);
    assert_int_equal(s.cols, cases[i].cols);
  }
}

/* ---- routing -------------------------------------------------------------- */

/* The chip a link id leaves from and the chip it arrives at, from the layout
 * system.h documents. */
static void link_ends(const sc_system *s, uint32_t id, uint32_t *from, uint32_t *to) {
  uint32_t n = s->chips;
  switch (s->topology) {
  case SC_SYS_RING:
    if (n == 2) {
      *from = id;
      *to = 1 - id;
    } else {
      *from = id / 2;
      *to = id % 2 == 0 ? (*from + 1) % n : (*from + n - 1) % n;
    }
    return;
  case SC_SYS_TORUS: {
    uint32_t C = s->cols, R = s->rows, chip = id / 4, r = chip / C, c = chip % C;
    *from = chip;
    switch (id % 4) {
    case 0: /* east */
      *to = r * C + (c + 1) % C;
      break;
    case 1: /* west */
      *to = r * C + (c + C - 1) % C;
      break;
    case 2: /* south */
      *to = ((r + 1) % R) * C + c;
      break;
    default: /* north */
      *to = ((r + R - 1) % R) * C + c;
      break;
    }
    return;
  }
  default: /* switch: even ids go up from chip id/2, odd ones come down to it */
    *from = id % 2 == 0 ? id / 2 : UINT32_MAX;
    *to = id % 2 == 1 ? id / 2 : UINT32_MAX;
    return;
  }
}

/* Checks that the route a -> b is a walk from a to b over valid link ids. */
static uint32_t check_walk(const sc_system *s, uint32_t a, uint32_t b) {
  uint32_t ids[2 * SC_SYS_MAX_CHIPS];
  uint32_t n = sc_system_route(s, a, b, ids, SC_ARRAY_LEN(ids));
  /* Hops are the links crossed, except that a switch's up and down links make
   * one chip-to-chip crossing. */
  if (s->topology != SC_SYS_SWITCH) assert_int_equal(n, sc_system_hops(s, a, b));
  uint32_t at = a;
  for (uint32_t k = 0; k < n; k++) {
    assert_true(ids[k] < sc_system_links(s));
    uint32_t from, to;
    link_ends(s, ids[k], &from, &to);
    if (s->topology == SC_SYS_SWITCH) {
      /* up from a, then down to b */
      assert_int_equal(n, 2);
      if (k == 0) assert_int_equal(from, a);
      if (k == 1) assert_int_equal(to, b);
      at = k == 1 ? to : at;
      continue;
    }
    assert_int_equal(from, at);
    at = to;
  }
  assert_int_equal(at, b);
  return n;
}

static void test_ring_routes(void **state) {
  (void)state;
  static const uint32_t sizes[] = {2, 3, 4, 5, 8, 64};
  for (size_t i = 0; i < SC_ARRAY_LEN(sizes); i++) {
    uint32_t N = sizes[i];
    sc_system s;
    make(&s, N, SC_SYS_RING);
    assert_int_equal(sc_system_links(&s), 2 * N);
    for (uint32_t a = 0; a < N; a++) {
      for (uint32_t b = 0; b < N; b++) {
        assert_int_equal(check_walk(&s, a, b), ring_dist(a, b, N));
        /* Halfway round both ways are equally short: ties go forward. */
        if (N > 2 && N % 2 == 0 && (b + N - a) % N == N / 2) {
          uint32_t id;
          assert_int_equal(sc_system_route(&s, a, b, &id, 1), 1);
          assert_int_equal(id, 2 * a);
        }
      }
    }
    /* Out-of-range chips have no route. */
    assert_int_equal(sc_system_hops(&s, 0, N), 0);
  }
  /* The route buffer bounds the output. */
  sc_system s;
  make(&s, 8, SC_SYS_RING);
  uint32_t ids[2] = {99, 99};
  assert_int_equal(sc_system_route(&s, 0, 4, ids, 1), 1);
  assert_int_equal(ids[1], 99);
  assert_int_equal(ids[0], 0);
  assert_int_equal(sc_system_route(&s, 0, 4, NULL, 0), 0);
}

static void test_torus_routes(void **state) {
  (void)state;
  static const uint32_t shapes[][2] = {{4, 4}, {2, 4}, {1, 4}, {3, 5}, {2, 2}, {4, 2}, {8, 8}};
  for (size_t i = 0; i < SC_ARRAY_LEN(shapes); i++) {
    uint32_t R = shapes[i][0], C = shapes[i][1];
    sc_system s;
    make_torus(&s, R, C);
    assert_int_equal(sc_system_links(&s), 4 * R * C);
    uint32_t diameter = 0;
    for (uint32_t a = 0; a < R * C; a++) {
      for (uint32_t b = 0; b < R * C; b++) {
        uint32_t want = ring_dist(a % C, b % C, C) + ring_dist(a / C, b / C, R);
        assert_int_equal(check_walk(&s, a, b), want);
        if (want > diameter) diameter = want;
        /* Dimension-ordered: every east/west link before any south/north one. */
        uint32_t ids[2 * SC_SYS_MAX_CHIPS];
        uint32_t n = sc_system_route(&s, a, b, ids, SC_ARRAY_LEN(ids));
        for (uint32_t k = 1; k < n; k++) assert_false(ids[k - 1] % 4 >= 2 && ids[k] % 4 < 2);
      }
    }
    sc_system_figures f;
    sc_system_derive(&s, &f);
    assert_int_equal(f.diameter_hops, diameter);
  }
}

static void test_switch_routes(void **state) {
  (void)state;
  sc_system s;
  make(&s, 8, SC_SYS_SWITCH);
  assert_int_equal(sc_system_links(&s), 16);
  for (uint32_t a = 0; a < 8; a++) {
    for (uint32_t b = 0; b < 8; b++) {
      uint32_t ids[4];
      uint32_t n = sc_system_route(&s, a, b, ids, 4);
      assert_int_equal(n, a == b ? 0 : 2);
      assert_int_equal(check_walk(&s, a, b), n);
      assert_int_equal(sc_system_hops(&s, a, b), a == b ? 0 : 1);
      if (n) {
        assert_int_equal(ids[0], 2 * a);
        assert_int_equal(ids[1], 2 * b + 1);
      }
    }
  }
}

/* ---- the link model and derived figures ----------------------------------- */

static void test_link_bundles(void **state) {
  (void)state;
  sc_system s;
  const double all = SC1_LINKS * SC1_LINK_GB_S; /* 800 GB/s per chip per direction */
  make(&s, 2, SC_SYS_RING);                     /* one neighbour: every link to it */
  assert_close(sc_system_link_gb_s(&s, 0), all);
  assert_close(sc_system_link_gb_s(&s, 1), all);
  for (uint32_t n = 3; n <= 8; n++) { /* two neighbours: half each */
    make(&s, n, SC_SYS_RING);
    for (uint32_t id = 0; id < 2 * n; id++) assert_close(sc_system_link_gb_s(&s, id), all / 2);
  }
  make_torus(&s, 4, 4); /* four directions */
  assert_close(sc_system_link_gb_s(&s, 5), all / 4);
  make_torus(&s, 2, 4); /* east, west and one link pair to the other row */
  assert_close(sc_system_link_gb_s(&s, 5), all / 3);
  make_torus(&s, 2, 2); /* one direction per dimension */
  assert_close(sc_system_link_gb_s(&s, 0), all / 2);
  make_torus(&s, 1, 4); /* a ring */
  assert_close(sc_system_link_gb_s(&s, 0), all / 2);
  make(&s, 8, SC_SYS_SWITCH); /* every link to the switch */
  assert_close(sc_system_link_gb_s(&s, 0), all);
  assert_close(sc_system_link_gb_s(&s, 15), all);
}

static void test_latency(void **state) {
  (void)state;
  sc_system s;
  make(&s, 8, SC_SYS_RING);
  assert_close(sc_system_latency_ns(&s, 0, 4), 4 * SC1_LINK_NS);
  assert_close(sc_system_latency_ns(&s, 0, 7), SC1_LINK_NS);
  assert_close(sc_system_latency_ns(&s, 6, 1), 3 * SC1_LINK_NS);
  assert_true(sc_system_latency_ns(&s, 3, 3) == 0);
  make_torus(&s, 4, 4);
  assert_close(sc_system_latency_ns(&s, 0, 15), 2 * SC1_LINK_NS); /* (0,0) -> (3,3): wraps */
  assert_close(sc_system_latency_ns(&s, 0, 10), 4 * SC1_LINK_NS); /* (0,0) -> (2,2) */
  make(&s, 8, SC_SYS_SWITCH);
  s.switch_latency_ns = 100;
  assert_close(sc_system_latency_ns(&s, 2, 5), SC1_LINK_NS + 100); /* one hop via the switch */
  assert_true(sc_system_latency_ns(&s, 5, 5) == 0);
}

static void test_derived_figures(void **state) {
  (void)state;
  static const struct {
    uint32_t chips, rows, cols; /* rows 0: not a torus */
    sc_sys_topology t;
    double bisection_gb_s;
    uint32_t diameter;
  } cases[] = {
      /* ring: halves joined by two link pairs of 400 GB/s each way */
      {8, 0, 0, SC_SYS_RING, 800, 4},
      {3, 0, 0, SC_SYS_RING, 800, 1},
      {5, 0, 0, SC_SYS_RING, 800, 2},
      /* two chips: one bundle of all 8 links */
      {2, 0, 0, SC_SYS_RING, 800, 1},
      /* 4 x 4: 4 rows cut twice (wrap) by 200 GB/s bundles */
      {16, 4, 4, SC_SYS_TORUS, 1600, 4},
      /* 2 x 4: 2 rows cut twice by 800/3 GB/s bundles */
      {8, 2, 4, SC_SYS_TORUS, 3200.0 / 3, 3},
      /* 2 x 2: 2 lines cut once by 400 GB/s bundles */
      {4, 2, 2, SC_SYS_TORUS, 800, 2},
      /* switch: half the chips send 800 GB/s each */
      {8, 0, 0, SC_SYS_SWITCH, 3200, 1},
      {5, 0, 0, SC_SYS_SWITCH, 1600, 1},
      {1, 0, 0, SC_SYS_SWITCH, 0, 0},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    sc_system s;
    if (cases[i].rows)
      make_torus(&s, cases[i].rows, cases[i].cols);
    else
      make(&s, cases[i].chips, cases[i].t);
    sc_system_figures f;
    sc_system_derive(&s, &f);
    assert_int_equal(f.chips, cases[i].chips);
    assert_int_equal(f.cores, 16 * cases[i].chips);
    assert_true(f.mem_capacity_bytes == 216000000000ull * cases[i].chips);
    assert_close(f.mem_effective_gb_s, 6000.0 * cases[i].chips);
    assert_close(f.tdp_w, 500.0 * cases[i].chips);
    assert_close(f.link_gb_s_per_chip, cases[i].chips > 1 ? 800 : 0);
    if (cases[i].bisection_gb_s == 0)
      assert_true(f.bisection_gb_s == 0);
    else
      assert_close(f.bisection_gb_s, cases[i].bisection_gb_s);
    assert_int_equal(f.diameter_hops, cases[i].diameter);
  }
}

/* ---- validation of the struct ---------------------------------------------- */

static void expect_invalid(const sc_system *s, const char *want) {
  sc_strbuf err = {0};
  assert_int_equal(sc_system_validate(s, "v", &err), SC_STATUS_INVALID);
  assert_contains(sc_strbuf_str(&err), want);
  sc_strbuf_free(&err);
}

static void test_validation(void **state) {
  (void)state;
  sc_arch *a = load_arch("sc1");
  sc_system s;
  sc_strbuf err = {0};
  assert_int_equal(sc_system_of(a, 0, SC_SYS_SWITCH, &s, &err), SC_STATUS_INVALID);
  assert_contains(sc_strbuf_str(&err), "sc1x0: chips: 0 is not in 1..64");
  sc_strbuf_free(&err);
  assert_int_equal(sc_system_of(a, 65, SC_SYS_RING, &s, &err), SC_STATUS_INVALID);
  assert_contains(sc_strbuf_str(&err), "chips: 65 is not in 1..64");
  sc_strbuf_free(&err);
  assert_int_equal(sc_system_of(a, 64, SC_SYS_RING, &s, NULL), SC_STATUS_OK);

  make(&s, 16, SC_SYS_TORUS);
  s.rows = 3;
  expect_invalid(&s, "v: torus: 3 x 4 is not 16 chips");
  make(&s, 8, SC_SYS_RING);
  s.rows = 2;
  s.cols = 4;
  expect_invalid(&s, "v: ring: rows x cols must be 1 x 8, not 2 x 4");
  make(&s, 8, SC_SYS_RING);
  s.topology = SC_SYS_TOPOLOGY_COUNT;
  expect_invalid(&s, "v: topology:");

  /* Too few links for the directions: 2 for a ring, 4 for a 4 x 4 torus, 3 for 2 x 4. */
  make(&s, 8, SC_SYS_RING);
  s.links.per_chip = 1;
  expect_invalid(&s, "v: links.per_chip: 1 links cannot serve the 2 directions");
  s.links.per_chip = 2;
  assert_int_equal(sc_system_validate(&s, "v", NULL), SC_STATUS_OK);
  make_torus(&s, 4, 4);
  s.links.per_chip = 3;
  expect_invalid(&s, "v: links.per_chip: 3 links cannot serve the 4 directions");
  make_torus(&s, 2, 4);
  s.links.per_chip = 2;
  expect_invalid(&s, "v: links.per_chip: 2 links cannot serve the 3 directions");
  s.links.per_chip = 3;
  assert_int_equal(sc_system_validate(&s, "v", NULL), SC_STATUS_OK);
  make(&s, 2, SC_SYS_SWITCH);
  s.links.per_chip = 0;
  expect_invalid(&s, "v: links.per_chip: 0 links");

  make(&s, 8, SC_SYS_RING);
  s.links.gb_s = 0;
  expect_invalid(&s, "v: links.gb_s:");
  make(&s, 8, SC_SYS_RING);
  s.links.latency_ns = -1;
  expect_invalid(&s, "v: links.latency_ns:");
  make(&s, 8, SC_SYS_RING);
  s.links.pj_per_byte = (double)NAN;
  expect_invalid(&s, "v: links.pj_per_byte:");
  make(&s, 8, SC_SYS_SWITCH);
  s.switch_latency_ns = -5;
  expect_invalid(&s, "v: switch.latency_ns:");
  make(&s, 8, SC_SYS_SWITCH);
  s.host.gb_s = 0;
  expect_invalid(&s, "v: host.gb_s:");
  make(&s, 8, SC_SYS_SWITCH);
  s.host.latency_ns = (double)INFINITY;
  expect_invalid(&s, "v: host.latency_ns:");
  make(&s, 8, SC_SYS_SWITCH);
  s.name[0] = '\0';
  expect_invalid(&s, "v: name:");
  make(&s, 8, SC_SYS_SWITCH);
  memset(s.description, 'x', sizeof s.description);
  expect_invalid(&s, "v: description:");

  /* A chip's memory must fit its 2^40-byte window. */
  make(&s, 4, SC_SYS_SWITCH);
  s.chip.memory.capacity_bytes = (1ull << 40) + 1;
  expect_invalid(&s, "v: chip: 1099511627777 bytes of device memory exceed");
  s.chip.memory.capacity_bytes = 1ull << 40;
  assert_int_equal(sc_system_validate(&s, "v", NULL), SC_STATUS_OK);

  /* At most 4096 cores in all: 256-core chips, 16 fit and 17 do not. */
  sc_arch big = *a;
  big.cores.count = 256;
  big.cores.mesh_rows = 16;
  big.cores.mesh_cols = 16;
  assert_int_equal(sc_arch_validate(&big, "big", NULL), SC_STATUS_OK);
  assert_int_equal(sc_system_of(&big, 16, SC_SYS_SWITCH, &s, NULL), SC_STATUS_OK);
  assert_int_equal(sc_system_of(&big, 17, SC_SYS_SWITCH, &s, &err), SC_STATUS_INVALID);
  assert_contains(sc_strbuf_str(&err), "chips: 17 chips of 256 cores exceed 4096 cores");
  sc_strbuf_free(&err);

  /* The chip itself is validated, its messages behind the system's source. */
  make(&s, 4, SC_SYS_SWITCH);
  s.chip.cores.count = 0;
  expect_invalid(&s, "v: chip: cores.count:");

  /* Links without bandwidth are fine for one chip, not for two (TPU v1 has none). */
  sc_arch *t = load_arch("tpu-v1");
  assert_int_equal(sc_system_of(t, 1, SC_SYS_RING, &s, NULL), SC_STATUS_OK);
  assert_int_equal(sc_system_of(t, 2, SC_SYS_RING, &s, &err), SC_STATUS_INVALID);
  assert_contains(sc_strbuf_str(&err), "links.per_chip: 0 links cannot serve the 1 directions");
  sc_strbuf_free(&err);
  sc_arch_destroy(t);
  sc_arch_destroy(a);
}

/* ---- files ------------------------------------------------------------------ */

static char *source_path(const char *rel) {
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  assert_non_null(src);
  sc_strbuf p = {0};
  sc_strbuf_printf(&p, "%s/%s", src, rel);
  return p.data;
}

static void load_ok(const char *spec, const sc_arch *def, sc_system *s) {
  sc_strbuf err = {0};
  sc_status st = sc_system_load(spec, def, s, &err);
  if (st != SC_STATUS_OK) fprintf(stderr, "%s", sc_strbuf_str(&err));
  assert_int_equal(st, SC_STATUS_OK);
  assert_int_equal(err.len, 0);
  sc_strbuf_free(&err);
}

static void assert_sc1_links(const sc_system *s) {
  assert_int_equal(s->links.per_chip, SC1_LINKS);
  assert_close(s->links.gb_s, SC1_LINK_GB_S);
  assert_close(s->links.latency_ns, SC1_LINK_NS);
  assert_close(s->links.pj_per_byte, SC1_LINK_PJ);
  assert_close(s->host.gb_s, SC1_HOST_GB_S);
  assert_close(s->host.latency_ns, SC1_HOST_NS);
}

static void test_example_files(void **state) {
  (void)state;
  sc_arch *sc1 = load_arch("sc1");
  sc_system s;
  char *p = source_path("examples/system/sc1x8-ring.json");
  load_ok(p, NULL, &s);
  assert_string_equal(s.name, "sc1x8-ring");
  assert_int_equal(s.chips, 8);
  assert_int_equal(s.topology, SC_SYS_RING);
  assert_int_equal(s.rows, 1);
  assert_int_equal(s.cols, 8);
  assert_sc1_links(&s);
  assert_true(s.switch_latency_ns == 0);
  assert_true(sc_arch_equal(&s.chip, sc1));
  free(p);

  p = source_path("examples/system/sc1x16-torus.json");
  load_ok(p, NULL, &s);
  assert_string_equal(s.name, "sc1x16-torus");
  assert_int_equal(s.chips, 16);
  assert_int_equal(s.topology, SC_SYS_TORUS);
  assert_int_equal(s.rows, 4);
  assert_int_equal(s.cols, 4);
  assert_sc1_links(&s);
  assert_true(sc_arch_equal(&s.chip, sc1));
  free(p);

  p = source_path("examples/system/sc1x8-switch.json");
  load_ok(p, NULL, &s);
  assert_string_equal(s.name, "sc1x8-switch");
  assert_int_equal(s.chips, 8);
  assert_int_equal(s.topology, SC_SYS_SWITCH);
  assert_int_equal(s.rows, 1);
  assert_int_equal(s.cols, 8);
  assert_sc1_links(&s); /* every link figure defaulted from the chip */
  assert_close(s.switch_latency_ns, 100);
  assert_true(sc_arch_equal(&s.chip, sc1));
  free(p);
  sc_arch_destroy(sc1);
}

/* A valid file whose "chips" and "topology" keys and anything else follow. */
#define HEAD                                                                                       \
  "{\"format\": \"seedchip-system\", \"version\": 1, \"name\": \"t\", \"chip\": \"sc1\", "
#define RING8 HEAD "\"chips\": 8, \"topology\": \"ring\""

static void test_malformed_table(void **state) {
  (void)state;
  static const struct {
    const char *text;
    sc_status st;
    const char *want;
  } cases[] = {
      {RING8 "}", SC_STATUS_OK, ""},
      {RING8 ", \"colour\": 1}", SC_STATUS_INVALID, "t.json: colour: unknown key"},
      {RING8 ", \"links\": {\"speed\": 1}}", SC_STATUS_INVALID, "t.json: links.speed: unknown key"},
      {RING8 ", \"chips\": 8}", SC_STATUS_INVALID, "t.json: chips: duplicate key"},
      {HEAD "\"chips\": 8, \"topology\": 1}", SC_STATUS_INVALID,
       "t.json: topology: must be a string, got a number"},
      {HEAD "\"chips\": 8, \"topology\": \"mesh\"}", SC_STATUS_INVALID,
       "t.json: topology: unknown value \"mesh\""},
      {HEAD "\"chips\": \"8\", \"topology\": \"ring\"}", SC_STATUS_INVALID,
       "t.json: chips: must be an integer, got a string"},
      {HEAD "\"chips\": 1.5, \"topology\": \"ring\"}", SC_STATUS_INVALID,
       "t.json: chips: must be an integer, got 1.5"},
      {HEAD "\"chips\": 0, \"topology\": \"ring\"}", SC_STATUS_INVALID,
       "t.json: chips: must be at least 1, got 0"},
      {HEAD "\"chips\": 65, \"topology\": \"ring\"}", SC_STATUS_INVALID,
       "t.json: chips: must be at most 64, got 65"},
      {RING8 ", \"torus\": [2, 4]}", SC_STATUS_INVALID,
       "t.json: torus: only for the torus topology, not ring"},
      {HEAD "\"chips\": 8, \"topology\": \"torus\"}", SC_STATUS_INVALID,
       "t.json: torus: missing: the torus topology needs [rows, cols]"},
      {HEAD "\"chips\": 8, \"topology\": \"torus\", \"torus\": [2, 3]}", SC_STATUS_INVALID,
       "t.json: torus: 2 x 3 is not 8 chips"},
      {HEAD "\"chips\": 8, \"topology\": \"torus\", \"torus\": [8]}", SC_STATUS_INVALID,
       "t.json: torus: must be an array of 2 integers"},
      {HEAD "\"chips\": 8, \"topology\": \"torus\", \"torus\": [2, \"4\"]}", SC_STATUS_INVALID,
       "t.json: torus[1]: must be an integer, got a string"},
      {RING8 ", \"switch\": {\"latency_ns\": 5}}", SC_STATUS_INVALID,
       "t.json: switch: only for the switch topology, not ring"},
      {"{\"format\": \"seedchip-arch\", \"version\": 1, \"name\": \"t\", \"chip\": \"sc1\", "
       "\"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_INVALID, "t.json: format: must be \"seedchip-system\""},
      {"{\"format\": \"seedchip-system\", \"version\": 2, \"name\": \"t\", \"chip\": \"sc1\", "
       "\"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_INVALID, "t.json: version: unsupported version"},
      {"{\"format\": \"seedchip-system\", \"version\": 1, \"chip\": \"sc1\", "
       "\"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_INVALID, "t.json: name: missing required key"},
      {"{\"format\": \"seedchip-system\", \"version\": 1, \"name\": \"\", \"chip\": \"sc1\", "
       "\"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_INVALID, "t.json: name: must not be empty"},
      {"{\"format\": \"seedchip-system\", \"version\": 1, "
       "\"name\": \"0123456789012345678901234567890123456789012345678901234567890123\", "
       "\"chip\": \"sc1\", \"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_INVALID, "t.json: name: must be at most 63 bytes long, got 64"},
      {RING8 ", \"links\": {\"gb_s\": -1}}", SC_STATUS_INVALID,
       "t.json: links.gb_s: must be at least 0, got -1"},
      {RING8 ", \"links\": {\"per_chip\": 1}}", SC_STATUS_INVALID,
       "t.json: links.per_chip: 1 links cannot serve the 2 directions"},
      {RING8 ", \"links\": {\"latency_ns\": \"fast\"}}", SC_STATUS_INVALID,
       "t.json: links.latency_ns: must be a number, got a string"},
      {RING8 ", \"links\": 5}", SC_STATUS_INVALID,
       "t.json: links: must be an object, got a number"},
      {RING8 ", \"host\": {\"gb_s\": 0}}", SC_STATUS_INVALID,
       "t.json: host.gb_s: must be greater than 0, got 0"},
      {RING8 ", \"description\": null}", SC_STATUS_INVALID,
       "t.json: description: must be a string, got null"},
      {"{\"format\": \"seedchip-system\", \"version\": 1, \"name\": \"t\", "
       "\"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_INVALID, "t.json: chip: missing required key"},
      {"{\"format\": \"seedchip-system\", \"version\": 1, \"name\": \"t\", \"chip\": 3, "
       "\"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_INVALID, "t.json: chip: must be an architecture preset name"},
      {"{\"format\": \"seedchip-system\", \"version\": 1, \"name\": \"t\", \"chip\": \"\", "
       "\"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_INVALID,
       "t.json: chip: must be an architecture preset name, a file path or an "
       "object, got an empty string"},
      {"{\"format\": \"seedchip-system\", \"version\": 1, \"name\": \"t\", \"chip\": \"sc9\", "
       "\"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_NOT_FOUND, "t.json: chip: sc9: No such file or directory"},
      {"{\"format\": \"seedchip-system\", \"version\": 1, \"name\": \"t\", "
       "\"chip\": {\"format\": \"seedchip-arch\"}, \"chips\": 8, \"topology\": \"ring\"}",
       SC_STATUS_INVALID, "t.json: chip: name: missing required key"},
      {RING8, SC_STATUS_PARSE, "t.json:1:"},
      {RING8 "} x", SC_STATUS_PARSE, "JSON syntax error"},
      /* cJSON places an error at the end of the input on its last byte */
      {"{\"format\": ", SC_STATUS_PARSE, "t.json:1:11: JSON syntax error"},
      {"{\n\"format\": tru\n}", SC_STATUS_PARSE, "t.json:2:"},
      {"", SC_STATUS_PARSE, "t.json:1:1: JSON syntax error (unexpected end of input)"},
      {"[1, 2]", SC_STATUS_INVALID, "t.json: must be a JSON object, got an array"},
      {"\"sc1x8\"", SC_STATUS_INVALID, "t.json: must be a JSON object, got a string"},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    sc_system s;
    sc_strbuf err = {0};
    sc_status st = sc_system_parse(cases[i].text, strlen(cases[i].text), "t.json", NULL, &s, &err);
    if (st != cases[i].st) fprintf(stderr, "case %zu: %s\n", i, sc_strbuf_str(&err));
    assert_int_equal(st, cases[i].st);
    assert_contains(sc_strbuf_str(&err), cases[i].want);
    if (st != SC_STATUS_OK) {
      assert_true(err.len > 0);
      assert_int_equal(s.chips, 0); /* a refused file leaves nothing behind */
    }
    sc_strbuf_free(&err);
    /* Without an error buffer: the same status, no crash. */
    assert_int_equal(
        sc_system_parse(cases[i].text, strlen(cases[i].text), "t.json", NULL, &s, NULL),
        cases[i].st);
  }
}

static void test_all_errors_reported(void **state) {
  (void)state;
  const char *text = "{\"format\": \"x\", \"version\": 1, \"name\": 1, \"chip\": \"sc1\", "
                     "\"chips\": \"8\", \"topology\": \"ring\", \"host\": {\"gb_s\": -1}}";
  sc_system s;
  sc_strbuf err = {0};
  assert_int_equal(sc_system_parse(text, strlen(text), "t", NULL, &s, &err), SC_STATUS_INVALID);
  const char *e = sc_strbuf_str(&err);
  assert_contains(e, "t: format:");
  assert_contains(e, "t: name:");
  assert_contains(e, "t: chips:");
  assert_contains(e, "t: host.gb_s:");
  int lines = 0;
  for (const char *p = e; *p; p++) lines += *p == '\n';
  assert_int_equal(lines, 4);
  sc_strbuf_free(&err);

  /* Thousands of unknown keys: the message count is capped. */
  sc_strbuf big = {0};
  sc_strbuf_printf(&big, "{");
  for (int i = 0; i < 5000; i++) sc_strbuf_printf(&big, "\"k%d\": %d, ", i, i);
  sc_strbuf_printf(&big, "\"z\": 0}");
  assert_int_equal(sc_system_parse(big.data, big.len, "t", NULL, &s, &err), SC_STATUS_INVALID);
  lines = 0;
  for (const char *p = sc_strbuf_str(&err); *p; p++) lines += *p == '\n';
  assert_int_equal(lines, 101);
  assert_contains(sc_strbuf_str(&err), "too many errors");
  sc_strbuf_free(&err);
  sc_strbuf_free(&big);
}

static void test_huge_and_odd_inputs(void **state) {
  (void)state;
  sc_system s;
  sc_strbuf err = {0};
  size_t n = SC_SYS_MAX_FILE_BYTES + 1;
  char *text = malloc(n);
  assert_non_null(text);
  memset(text, ' ', n);
  assert_int_equal(sc_system_parse(text, n, "t", NULL, &s, &err), SC_STATUS_OVERFLOW);
  assert_contains(sc_strbuf_str(&err), "t: larger than the limit of 1048576 bytes");
  sc_strbuf_free(&err);
  /* Exactly at the limit is read (and is whitespace: a syntax error). */
  assert_int_equal(sc_system_parse(text, n - 1, "t", NULL, &s, &err), SC_STATUS_PARSE);
  sc_strbuf_free(&err);
  free(text);

  /* Bytes after a NUL, not NUL-terminated text, bad arguments. */
  static const char nul[] = RING8 "}\0garbage";
  assert_int_equal(sc_system_parse(nul, sizeof nul - 1, "t", NULL, &s, NULL), SC_STATUS_PARSE);
  static const char unterminated[] = {'{', '}'};
  assert_int_equal(sc_system_parse(unterminated, 2, "t", NULL, &s, &err), SC_STATUS_INVALID);
  assert_contains(sc_strbuf_str(&err), "t: format: missing required key");
  sc_strbuf_free(&err);
  assert_int_equal(sc_system_parse(NULL, 0, NULL, NULL, &s, &err), SC_STATUS_PARSE);
  assert_contains(sc_strbuf_str(&err), "system:1:1:");
  sc_strbuf_free(&err);
  assert_int_equal(sc_system_parse(NULL, 5, "t", NULL, &s, NULL), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_system_parse("{}", 2, "t", NULL, NULL, NULL), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_system_to_json(NULL, &err), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_system_load(NULL, NULL, &s, NULL), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_system_load("", NULL, &s, NULL), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_system_load("sc1x8", NULL, NULL, NULL), SC_STATUS_INVALID_ARGUMENT);
}

/* ---- canonical JSON -------------------------------------------------------- */

static void assert_sys_equal(const sc_system *a, const sc_system *b) {
  assert_string_equal(a->name, b->name);
  assert_string_equal(a->description, b->description);
  assert_true(sc_arch_equal(&a->chip, &b->chip));
  assert_int_equal(a->chips, b->chips);
  assert_int_equal(a->topology, b->topology);
  assert_int_equal(a->rows, b->rows);
  assert_int_equal(a->cols, b->cols);
  assert_int_equal(a->links.per_chip, b->links.per_chip);
  assert_true(a->links.gb_s == b->links.gb_s);
  assert_true(a->links.latency_ns == b->links.latency_ns);
  assert_true(a->links.pj_per_byte == b->links.pj_per_byte);
  assert_true(a->switch_latency_ns == b->switch_latency_ns);
  assert_true(a->host.gb_s == b->host.gb_s);
  assert_true(a->host.latency_ns == b->host.latency_ns);
}

static void round_trip(const sc_system *s) {
  sc_strbuf js = {0}, js2 = {0}, err = {0};
  assert_int_equal(sc_system_to_json(s, &js), SC_STATUS_OK);
  sc_system back;
  sc_status st = sc_system_parse(js.data, js.len, "canonical", NULL, &back, &err);
  if (st != SC_STATUS_OK) fprintf(stderr, "%s%s", sc_strbuf_str(&js), sc_strbuf_str(&err));
  assert_int_equal(st, SC_STATUS_OK);
  assert_sys_equal(s, &back);
  assert_int_equal(sc_system_to_json(&back, &js2), SC_STATUS_OK);
  assert_string_equal(sc_strbuf_str(&js), sc_strbuf_str(&js2));
  /* Valid JSON whose chip is an inline object. */
  cJSON *root = cJSON_Parse(js.data);
  assert_non_null(root);
  assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "chip")));
  cJSON_Delete(root);
  sc_strbuf_free(&js);
  sc_strbuf_free(&js2);
  sc_strbuf_free(&err);
}

static void test_round_trip(void **state) {
  (void)state;
  sc_system s;
  static const char *const examples[] = {"sc1x8-ring", "sc1x16-torus", "sc1x8-switch"};
  for (size_t i = 0; i < SC_ARRAY_LEN(examples); i++) {
    sc_strbuf rel = {0};
    sc_strbuf_printf(&rel, "examples/system/%s.json", examples[i]);
    char *p = source_path(rel.data);
    load_ok(p, NULL, &s);
    round_trip(&s);
    free(p);
    sc_strbuf_free(&rel);
  }
  make(&s, 1, SC_SYS_SWITCH);
  round_trip(&s);
  make_torus(&s, 2, 4);
  round_trip(&s);
  /* Odd values: shortest round-tripping numbers, escapes, a chip that is not a preset. */
  make(&s, 6, SC_SYS_RING);
  snprintf(s.description, sizeof s.description, "quote \" backslash \\ tab \t bell \a end");
  s.links.gb_s = 0.1;
  s.links.latency_ns = 1.0 / 3;
  s.links.pj_per_byte = 0;
  s.links.per_chip = 1024;
  s.host.gb_s = 1e-3;
  s.chip.clock_ghz = 1.1;
  snprintf(s.chip.name, sizeof s.chip.name, "custom");
  round_trip(&s);
  /* One chip without links keeps its zero link figures. */
  sc_arch *t = load_arch("tpu-v1");
  sc_system_single(t, &s);
  round_trip(&s);
  sc_arch_destroy(t);

  /* The canonical layout, byte for byte, apart from the chip. */
  make(&s, 8, SC_SYS_SWITCH);
  s.switch_latency_ns = 100;
  sc_strbuf js = {0};
  assert_int_equal(sc_system_to_json(&s, &js), SC_STATUS_OK);
  static const char want[] = "{\n"
                             "  \"format\": \"seedchip-system\",\n"
                             "  \"version\": 1,\n"
                             "  \"name\": \"sc1x8\",\n"
                             "  \"chips\": 8,\n"
                             "  \"topology\": \"switch\",\n"
                             "  \"links\": {\n"
                             "    \"per_chip\": 8,\n"
                             "    \"gb_s\": 100,\n"
                             "    \"latency_ns\": 500,\n"
                             "    \"pj_per_byte\": 10.4\n"
                             "  },\n"
                             "  \"switch\": {\n"
                             "    \"latency_ns\": 100\n"
                             "  },\n"
                             "  \"host\": {\n"
                             "    \"gb_s\": 64,\n"
                             "    \"latency_ns\": 1000\n"
                             "  },\n"
                             "  \"chip\": {\n"
                             "    \"format\": \"seedchip-arch\",\n";
  assert_memory_equal(js.data, want, sizeof want - 1);
  assert_true(js.len > 2 && strcmp(js.data + js.len - 6, "  }\n}\n") == 0);
  sc_strbuf_free(&js);
}

/* ---- sc_system_load ------------------------------------------------------- */

static void expect_load_error(const char *spec, const sc_arch *def, sc_status want_st,
                              const char *want) {
  sc_system s;
  sc_strbuf err = {0};
  sc_status st = sc_system_load(spec, def, &s, &err);
  if (st != want_st) fprintf(stderr, "%s: %s\n", spec, sc_strbuf_str(&err));
  assert_int_equal(st, want_st);
  assert_contains(sc_strbuf_str(&err), want);
  sc_strbuf_free(&err);
}

static void test_load_shorthand(void **state) {
  (void)state;
  sc_system s;
  load_ok("sc1x8", NULL, &s);
  assert_string_equal(s.name, "sc1x8");
  assert_int_equal(s.chips, 8);
  assert_int_equal(s.topology, SC_SYS_SWITCH);
  assert_sc1_links(&s);
  load_ok("sc1x8-ring", NULL, &s);
  assert_string_equal(s.name, "sc1x8-ring");
  assert_int_equal(s.topology, SC_SYS_RING);
  load_ok("sc1x16-torus", NULL, &s);
  assert_int_equal(s.topology, SC_SYS_TORUS);
  assert_int_equal(s.rows, 4);
  assert_int_equal(s.cols, 4);
  load_ok("sc1x8-switch", NULL, &s);
  assert_int_equal(s.topology, SC_SYS_SWITCH);
  load_ok("sc1-lpx4-ring", NULL, &s); /* a preset name with a dash */
  assert_string_equal(s.chip.name, "sc1-lp");
  assert_int_equal(s.chips, 4);
  assert_int_equal(s.topology, SC_SYS_RING);
  load_ok("sc1x1", NULL, &s);
  assert_int_equal(s.chips, 1);

  /* "<N>": copies of the default arch, sc1 without one. */
  load_ok("4", NULL, &s);
  assert_string_equal(s.name, "sc1x4");
  assert_string_equal(s.chip.name, "sc1");
  assert_int_equal(s.topology, SC_SYS_SWITCH);
  sc_arch *lp = load_arch("sc1-lp");
  load_ok("2", lp, &s);
  assert_string_equal(s.name, "sc1-lpx2");
  assert_true(sc_arch_equal(&s.chip, lp));
  sc_arch_destroy(lp);
  sc_arch *t = load_arch("tpu-v1");
  load_ok("1", t, &s);
  expect_load_error("2", t, SC_STATUS_INVALID, "links.per_chip: 0 links cannot serve");
  sc_arch_destroy(t);

  expect_load_error("sc1x0", NULL, SC_STATUS_INVALID, "sc1x0: chips: 0 is not in 1..64");
  expect_load_error("sc1x999", NULL, SC_STATUS_INVALID, "sc1x999: chips: 999 is not in 1..64");
  expect_load_error("sc1x99999999999999999999", NULL, SC_STATUS_INVALID,
                    "chips: 99999999999999999999 is not in 1..64");
  expect_load_error("sc1xfoo", NULL, SC_STATUS_INVALID, "sc1xfoo: \"foo\" is not a chip count");
  expect_load_error("sc1x", NULL, SC_STATUS_INVALID, "sc1x: \"\" is not a chip count");
  expect_load_error("sc1x8-mesh", NULL, SC_STATUS_INVALID, "sc1x8-mesh: unknown topology \"mesh\"");
  expect_load_error("0", NULL, SC_STATUS_INVALID, "0: chips: 0 is not in 1..64");
  expect_load_error("65", NULL, SC_STATUS_INVALID, "65: chips: 65 is not in 1..64");
  expect_load_error("tpu-v1x2", NULL, SC_STATUS_INVALID, "links.per_chip");
  expect_load_error("sc9x8", NULL, SC_STATUS_NOT_FOUND,
                    "sc9x8: No such file or directory (nor is it <arch>x<N> of an arch preset; "
                    "presets: sc1 sc1-lp tpu-v1)");
  expect_load_error("/nonexistent/dir/sys.json", NULL, SC_STATUS_NOT_FOUND,
                    "/nonexistent/dir/sys.json: No such file or directory");
}

static void write_text(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static void test_load_files(void **state) {
  (void)state;
  const char *tmp = getenv("TMPDIR");
  sc_strbuf dir = {0};
  sc_strbuf_printf(&dir, "%s/test_system_XXXXXX", tmp && *tmp ? tmp : "/tmp");
  assert_non_null(mkdtemp(dir.data));

  /* An arch file beside the system file, named relative to it. */
  sc_arch *a = load_arch("sc1");
  snprintf(a->name, sizeof a->name, "mychip");
  sc_strbuf js = {0}, path = {0}, sys = {0}, sys_path = {0};
  assert_int_equal(sc_arch_to_json(a, &js), SC_STATUS_OK);
  sc_strbuf_printf(&path, "%s/mychip.json", dir.data);
  write_text(path.data, js.data, js.len);
  sc_strbuf_printf(&sys, HEAD "\"chips\": 4, \"topology\": \"ring\"}");
  /* HEAD names the preset; point it at the file instead. */
  char *chip = strstr(sys.data, "\"sc1\"");
  assert_non_null(chip);
  sc_strbuf text = {0};
  sc_strbuf_printf(&text, "%.*s\"mychip.json\"%s", (int)(chip - sys.data), sys.data, chip + 5);
  sc_strbuf_printf(&sys_path, "%s/sys.json", dir.data);
  write_text(sys_path.data, text.data, text.len);
  sc_system s;
  load_ok(sys_path.data, NULL, &s);
  assert_string_equal(s.chip.name, "mychip");
  assert_int_equal(s.chips, 4);
  /* The same text parsed with no base directory looks in the current one. */
  sc_strbuf err = {0};
  assert_int_equal(sc_system_parse(text.data, text.len, "here", NULL, &s, &err),
                   SC_STATUS_NOT_FOUND);
  assert_contains(sc_strbuf_str(&err), "here: chip: mychip.json: No such file or directory");
  sc_strbuf_free(&err);
  /* ... and with the directory given, finds it. */
  assert_int_equal(sc_system_parse(text.data, text.len, "here", dir.data, &s, NULL), SC_STATUS_OK);

  /* A missing chip file names the path it tried. */
  sc_strbuf missing = {0}, missing_path = {0};
  sc_strbuf_printf(&missing, "%.*s\"absent.json\"%s", (int)(chip - sys.data), sys.data, chip + 5);
  sc_strbuf_printf(&missing_path, "%s/missing.json", dir.data);
  write_text(missing_path.data, missing.data, missing.len);
  sc_strbuf want = {0};
  sc_strbuf_printf(&want, "%s: chip: %s/absent.json: No such file or directory", missing_path.data,
                   dir.data);
  expect_load_error(missing_path.data, NULL, SC_STATUS_NOT_FOUND, want.data);

  /* A file over the size limit. */
  sc_strbuf big_path = {0};
  sc_strbuf_printf(&big_path, "%s/big.json", dir.data);
  size_t n = SC_SYS_MAX_FILE_BYTES + 1;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, ' ', n);
  write_text(big_path.data, big, n);
  free(big);
  expect_load_error(big_path.data, NULL, SC_STATUS_OVERFLOW, "larger than the limit");

  assert_int_equal(remove(path.data), 0);
  assert_int_equal(remove(sys_path.data), 0);
  assert_int_equal(remove(missing_path.data), 0);
  assert_int_equal(remove(big_path.data), 0);
  assert_int_equal(rmdir(dir.data), 0);
  sc_strbuf_free(&want);
  sc_strbuf_free(&big_path);
  sc_strbuf_free(&missing);
  sc_strbuf_free(&missing_path);
  sc_strbuf_free(&text);
  sc_strbuf_free(&js);
  sc_strbuf_free(&path);
  sc_strbuf_free(&sys);
  sc_strbuf_free(&sys_path);
  sc_strbuf_free(&dir);
  sc_arch_destroy(a);
}

/* ---- docs ------------------------------------------------------------------ */

static void test_keys_documented(void **state) {
  (void)state;
  /* Every key of the format, as this test knows it. */
  static const char *const keys[] = {
      "format",
      "version",
      "name",
      "description",
      "chip",
      "chips",
      "topology",
      "torus",
      "links.per_chip",
      "links.gb_s",
      "links.latency_ns",
      "links.pj_per_byte",
      "switch.latency_ns",
      "host.gb_s",
      "host.latency_ns",
  };
  char *path = source_path("docs/SYSTEM.md");
  uint8_t *doc;
  size_t len;
  char err[256];
  assert_int_equal(sc_read_file(path, 1 << 20, &doc, &len, err, sizeof err), SC_STATUS_OK);
  for (size_t i = 0; i < SC_ARRAY_LEN(keys); i++) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "`%s`", keys[i]);
    assert_contains((const char *)doc, quoted);
  }
  /* ... and the format has no key this list lacks: a torus and a switch system
   * together write every key. */
  bool met[SC_ARRAY_LEN(keys)] = {false};
  for (int sys = 0; sys < 2; sys++) {
    sc_system s;
    if (sys == 0)
      make_torus(&s, 2, 2);
    else
      make(&s, 2, SC_SYS_SWITCH);
    snprintf(s.description, sizeof s.description, "d");
    sc_strbuf js = {0};
    assert_int_equal(sc_system_to_json(&s, &js), SC_STATUS_OK);
    cJSON *root = cJSON_Parse(js.data);
    assert_non_null(root);
    for (const cJSON *e = root->child; e; e = e->next) {
      bool nested = cJSON_IsObject(e) && strcmp(e->string, "chip") != 0;
      for (const cJSON *leaf = nested ? e->child : e; leaf; leaf = nested ? leaf->next : NULL) {
        char kp[64];
        if (nested)
          snprintf(kp, sizeof kp, "%s.%s", e->string, leaf->string);
        else
          snprintf(kp, sizeof kp, "%s", e->string);
        size_t k = 0;
        while (k < SC_ARRAY_LEN(keys) && strcmp(keys[k], kp) != 0) k++;
        if (k == SC_ARRAY_LEN(keys)) fprintf(stderr, "undocumented key %s\n", kp);
        assert_true(k < SC_ARRAY_LEN(keys));
        met[k] = true;
      }
    }
    cJSON_Delete(root);
    sc_strbuf_free(&js);
  }
  for (size_t k = 0; k < SC_ARRAY_LEN(keys); k++) assert_true(met[k]);
  free(doc);
  free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_addresses),
      cmocka_unit_test(test_single),
      cmocka_unit_test(test_system_of_names_and_shapes),
      cmocka_unit_test(test_ring_routes),
      cmocka_unit_test(test_torus_routes),
      cmocka_unit_test(test_switch_routes),
      cmocka_unit_test(test_link_bundles),
      cmocka_unit_test(test_latency),
      cmocka_unit_test(test_derived_figures),
      cmocka_unit_test(test_validation),
      cmocka_unit_test(test_example_files),
      cmocka_unit_test(test_malformed_table),
      cmocka_unit_test(test_all_errors_reported),
      cmocka_unit_test(test_huge_and_odd_inputs),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_load_shorthand),
      cmocka_unit_test(test_load_files),
      cmocka_unit_test(test_keys_documented),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
