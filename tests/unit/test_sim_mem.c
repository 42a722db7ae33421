/* test_sim_mem.c: the sparse device memory against a byte-map reference: random
 * map / alloc / unmap sequences on a small device, and after each step every
 * (addr, n) probe must agree with "all n bytes owned by the same region". */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim_mem.h"

enum { CAP = 4096, STEPS = 20000 };

static uint64_t rng = 42;
static uint64_t next(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717ull;
}

/* owner[b] = 1 + index of the allocation holding byte b, 0 = unmapped. */
static int owner[CAP];
static uint64_t bases[CAP];
static int next_id = 1;

static bool ref_range_owned(uint64_t addr, uint64_t n) {
  if (addr >= CAP || n > CAP - addr) return false;
  if (n == 0) return owner[addr] != 0;
  for (uint64_t b = addr; b < addr + n; b++)
    if (owner[b] == 0 || owner[b] != owner[addr]) return false;
  return true;
}

static void ref_set(uint64_t base, uint64_t size, int id) {
  for (uint64_t b = base; b < base + size; b++) owner[b] = id;
}

static bool ref_free(uint64_t base, uint64_t size) {
  if (size == 0 || base >= CAP || size > CAP - base) return false;
  for (uint64_t b = base; b < base + size; b++)
    if (owner[b]) return false;
  return true;
}

static void test_random_against_reference(void **state) {
  (void)state;
  sim_mem mem;
  sim_mem_init(&mem, CAP, 1);
  char err[200];
  for (int step = 0; step < STEPS; step++) {
    uint64_t r = next() % 10;
    if (r < 4) { /* map at a chosen address */
      uint64_t base = next() % (CAP + 16), size = next() % 300;
      sc_status st = sim_mem_map(&mem, base, size, err, sizeof err);
      bool ok = ref_free(base, size);
      assert_int_equal(st == SC_STATUS_OK, ok);
      if (ok) {
        ref_set(base, size, next_id);
        bases[next_id++ % CAP] = base;
      }
    } else if (r < 7) { /* allocate: the lowest aligned fit */
      uint64_t size = 1 + next() % 200, align = (uint64_t)1 << (next() % 8), got = 0;
      sc_status st = sim_mem_alloc(&mem, size, align, &got, err, sizeof err);
      uint64_t want = UINT64_MAX;
      for (uint64_t b = 0; b + size <= CAP; b += align)
        if (ref_free(b, size)) {
          want = b;
          break;
        }
      if (want == UINT64_MAX) {
        assert_int_equal(st, SC_STATUS_NO_MEMORY);
      } else {
        assert_int_equal(st, SC_STATUS_OK);
        assert_int_equal(got, want);
        ref_set(got, size, next_id++);
      }
    } else { /* unmap: mostly the start of the region holding a random byte, else any address */
      uint64_t addr = next() % CAP;
      if (r < 9)
        while (addr > 0 && owner[addr] && owner[addr - 1] == owner[addr]) addr--;
      bool is_start = owner[addr] && (addr == 0 || owner[addr - 1] != owner[addr]);
      sc_status st = sim_mem_unmap(&mem, addr, err, sizeof err);
      assert_int_equal(st == SC_STATUS_OK, is_start);
      if (is_start) {
        int id = owner[addr];
        for (uint64_t b = addr; b < CAP && owner[b] == id; b++) owner[b] = 0;
      }
    }
    for (int probe = 0; probe < 8; probe++) {
      uint64_t addr = next() % (CAP + 8), n = next() % 64;
      uint8_t *p = sim_mem_ptr(&mem, addr, n);
      assert_int_equal(p != NULL, ref_range_owned(addr, n));
    }
  }
  uint64_t mapped = 0;
  for (int b = 0; b < CAP; b++) mapped += owner[b] != 0;
  assert_int_equal(mem.mapped_bytes, mapped);
  sim_mem_free(&mem);
}

static void test_contents_and_errors(void **state) {
  (void)state;
  sim_mem mem;
  sim_mem_init(&mem, 1ull << 40, 1); /* a 1 TiB device costs nothing until mapped */
  char err[200];
  assert_int_equal(sim_mem_map(&mem, 1ull << 39, 64, err, sizeof err), SC_STATUS_OK);
  uint8_t *p = sim_mem_ptr(&mem, 1ull << 39, 64);
  assert_non_null(p);
  for (int i = 0; i < 64; i++) assert_int_equal(p[i], 0); /* zero-filled */
  p[63] = 7;
  assert_int_equal(*sim_mem_ptr(&mem, (1ull << 39) + 63, 1), 7);
  assert_null(sim_mem_ptr(&mem, (1ull << 39) + 63, 2));
  assert_null(sim_mem_ptr(&mem, UINT64_MAX, 1));
  assert_int_equal(sim_mem_map(&mem, (1ull << 40) - 8, 16, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(strstr(err, "outside device memory"));
  assert_int_equal(sim_mem_map(&mem, UINT64_MAX - 4, 16, err, sizeof err), SC_STATUS_INVALID);
  assert_int_equal(sim_mem_map(&mem, (1ull << 39) + 8, 8, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(strstr(err, "overlaps"));
  uint64_t base;
  assert_int_equal(sim_mem_alloc(&mem, 100, 3, &base, err, sizeof err), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sim_mem_alloc(&mem, 1ull << 41, 64, &base, err, sizeof err),
                   SC_STATUS_NO_MEMORY);
  assert_int_equal(sim_mem_unmap(&mem, 5, err, sizeof err), SC_STATUS_NOT_FOUND);
  sim_mem_free(&mem);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_against_reference),
      cmocka_unit_test(test_contents_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
