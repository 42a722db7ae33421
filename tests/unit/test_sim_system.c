/* test_sim_system.c: several chips in one simulator (docs/SYSTEM.md): the
 * system address space and core ids, data moved between chips in the
 * functional and timed modes, barriers that stay within a chip, and the
 * timing of the chip-to-chip links against cycle counts worked out by hand
 * from the SC1 constants: clock 1.6 GHz, 8 links of 100 GB/s per chip with
 * 500 ns (800 cycles) and 10.4 pJ/byte per hop, DMA set-up 64 cycles, memory
 * latency 192 cycles, NoC ports of 256 bytes per cycle, 6000 GB/s of memory
 * (3750 bytes per cycle) per chip. A switch gives each chip one bundle of all
 * 8 links each way (800 GB/s = 500 bytes per cycle); a ring of 4 chips gives
 * each direction 4 links (400 GB/s = 250 bytes per cycle). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/asm.h"
#include "seedchip/sim.h"
#include "seedchip/system.h"
#include "seedchip/util.h"

#define CHIP(c) ((uint64_t)(c) << 40)
#define MIB (1u << 20)

/* A system of chips SC1s on topology, with 16 MiB mapped at the start of
 * every chip's memory. */
static sc_sim *make(uint32_t chips, sc_sys_topology topo, sc_sim_mode mode) {
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_system sys;
  sc_strbuf err = {0};
  if (sc_system_of(arch, chips, topo, &sys, &err) != SC_STATUS_OK)
    fail_msg("%s", sc_strbuf_str(&err));
  sc_strbuf_free(&err);
  sc_sim_options opt = {.mode = mode};
  sc_sim *sim;
  assert_int_equal(sc_sim_create_system(&sys, &opt, &sim), SC_STATUS_OK);
  for (uint32_t c = 0; c < chips; c++)
    assert_int_equal(sc_sim_map(sim, CHIP(c), 16 * MIB), SC_STATUS_OK);
  sc_arch_destroy(arch);
  return sim;
}

/* Assembles text (".arch sc1" prepended; cores 0-15) as the code of chip. */
static void load(sc_sim *sim, uint32_t chip, const char *text) {
  sc_strbuf src = {0}, diags = {0};
  sc_strbuf_printf(&src, ".arch sc1\n%s", text);
  sc_program *prog;
  if (sc_asm_assemble(src.data, src.len, "t.sasm", NULL, &prog, &diags) != SC_STATUS_OK)
    fail_msg("%s", sc_strbuf_str(&diags));
  for (uint32_t c = 0; c < sc_prog_core_count(prog); c++) {
    size_t n;
    const uint64_t *code = sc_prog_code(prog, c, &n);
    if (n) assert_int_equal(sc_sim_set_code(sim, chip * 16 + c, code, n), SC_STATUS_OK);
  }
  sc_prog_destroy(prog);
  sc_strbuf_free(&src);
  sc_strbuf_free(&diags);
}

static uint64_t run_cycles(sc_sim *sim) {
  sc_status st = sc_sim_run(sim);
  if (st != SC_STATUS_OK) fail_msg("%s: %s", sc_sim_trap(sim)->detail, sc_sim_errmsg(sim));
  return sc_sim_profile(sim)->cycles;
}

/* ---- the address space, core ids, data between chips ---- */

static void test_memory_and_ids(void **state) {
  (void)state;
  sc_sim *sim = make(2, SC_SYS_SWITCH, SC_SIM_FUNCTIONAL);
  assert_int_equal(sc_sim_chips(sim), 2);
  /* chip 2 does not exist; chip 1 ends at its capacity */
  assert_int_equal(sc_sim_map(sim, CHIP(2), 4096), SC_STATUS_INVALID);
  assert_non_null(strstr(sc_sim_errmsg(sim), "every chip"));
  uint64_t cap = sc_sim_arch(sim)->memory.capacity_bytes;
  assert_int_equal(sc_sim_map(sim, CHIP(1) + cap - 4096, 8192), SC_STATUS_INVALID);
  assert_int_equal(sc_sim_map(sim, CHIP(1) + cap - 4096, 4096), SC_STATUS_OK);
  /* the CSRs of core 1 of chip 1 (global id 17) */
  load(sim, 1,
       ".core 1\n  csrr x10, core_id\n  csrr x11, core_count\n  csrr x12, chip_id\n"
       "  csrr x13, chip_count\n  halt\n");
  assert_int_equal(sc_sim_run(sim), SC_STATUS_OK);
  assert_int_equal(sc_sim_reg(sim, 17, 10), 1);
  assert_int_equal(sc_sim_reg(sim, 17, 11), 16);
  assert_int_equal(sc_sim_reg(sim, 17, 12), 1);
  assert_int_equal(sc_sim_reg(sim, 17, 13), 2);
  sc_sim_destroy(sim);
}

/* Chip 0 core 0 copies 4 KiB from its memory into chip 1's and into the
 * SRAM of chip 1's core 2 (global 18), then signals chip 1's core 0 (16),
 * which copies the block on within chip 1 and signals core 18, which copies
 * its SRAM back to chip 1's memory. */
static const char xfer0[] = ".core 0\n"
                            "  li x8, 4096\n  li x1, 0\n"
                            "  li x2, 0x1000\n  lih x2, 256\n" /* chip 1 + 0x1000 */
                            "  li x5, 18\n  li x6, 16\n"
                            "  dma.1d hbm[x2]:int8, hbm[x1]:int8, x8, x0, q0\n"
                            "  dma.1d remote[x0]:int8, hbm[x1]:int8, x8, x5, q1\n"
                            "  sync.fence dma\n"
                            "  sync.signal x6, s3, 1\n  sync.signal x5, s3, 1\n  halt\n";
static const char xfer1[] = ".core 0\n"
                            "  li x8, 4096\n  li x1, 0x1000\n  lih x1, 256\n"
                            "  li x2, 0x3000\n  lih x2, 256\n"
                            "  sync.wait s3, 1\n"
                            "  dma.1d hbm[x2]:int8, hbm[x1]:int8, x8, x0, q0\n"
                            "  sync.fence dma\n  halt\n"
                            ".core 2\n"
                            "  li x8, 4096\n  li x2, 0x5000\n  lih x2, 256\n"
                            "  sync.wait s3, 1\n"
                            "  dma.1d hbm[x2]:int8, sram[x0]:int8, x8, x0, q0\n"
                            "  sync.fence dma\n  halt\n";

static void check_xfer(sc_sim_mode mode) {
  sc_sim *sim = make(2, SC_SYS_RING, mode);
  uint8_t pat[4096], got[4096];
  for (int i = 0; i < 4096; i++) pat[i] = (uint8_t)(i * 7 + 3);
  assert_int_equal(sc_sim_write(sim, 0, pat, sizeof pat), SC_STATUS_OK);
  load(sim, 0, xfer0);
  load(sim, 1, xfer1);
  sc_status st = sc_sim_run(sim);
  if (st != SC_STATUS_OK) fail_msg("%s", sc_sim_trap(sim)->detail);
  assert_int_equal(sc_sim_read(sim, CHIP(1) + 0x3000, got, sizeof got), SC_STATUS_OK);
  assert_memory_equal(got, pat, sizeof pat);
  assert_int_equal(sc_sim_read(sim, CHIP(1) + 0x5000, got, sizeof got), SC_STATUS_OK);
  assert_memory_equal(got, pat, sizeof pat);
  /* chip 0's memory past the block is untouched */
  assert_int_equal(sc_sim_read(sim, 0x1000, got, sizeof got), SC_STATUS_OK);
  for (int i = 0; i < 4096; i++) assert_int_equal(got[i], 0);
  if (mode != SC_SIM_FUNCTIONAL) {
    const sc_profile *p = sc_sim_profile(sim);
    assert_int_equal(p->chips, 2);
    assert_int_equal(p->n_cores, 32);
    /* two blocks crossed one hop each */
    assert_int_equal(p->actions.link_bytes, 8192);
    assert_int_equal(p->actions.link_byte_hops, 8192);
    assert_true(fabs(p->energy_pj[SC_ENERGY_LINK] - 8192 * 10.4) < 1e-6);
  }
  sc_sim_destroy(sim);
}

static void test_transfer_functional(void **state) {
  (void)state;
  check_xfer(SC_SIM_FUNCTIONAL);
}

static void test_transfer_timed(void **state) {
  (void)state;
  check_xfer(SC_SIM_TIMED);
}

/* Addresses and cores outside the system trap. */
static void test_traps(void **state) {
  (void)state;
  sc_sim *sim = make(2, SC_SYS_SWITCH, SC_SIM_FUNCTIONAL);
  load(sim, 0,
       ".core 0\n  li x8, 64\n  li x2, 0\n  lih x2, 512\n" /* chip 2 */
       "  dma.1d hbm[x2]:int8, hbm[x0]:int8, x8, x0, q0\n  sync.fence dma\n  halt\n");
  assert_int_equal(sc_sim_run(sim), SC_STATUS_TRAP);
  assert_int_equal(sc_sim_trap(sim)->cause, SC_TRAP_OUT_OF_BOUNDS);
  sc_sim_destroy(sim);
  sim = make(2, SC_SYS_SWITCH, SC_SIM_FUNCTIONAL);
  load(sim, 1, ".core 3\n  li x5, 32\n  sync.signal x5, s1, 1\n  halt\n");
  assert_int_equal(sc_sim_run(sim), SC_STATUS_TRAP);
  assert_int_equal(sc_sim_trap(sim)->cause, SC_TRAP_BAD_CORE);
  assert_int_equal(sc_sim_trap(sim)->core, 19);
  assert_non_null(strstr(sc_sim_trap(sim)->detail, "the system has 32"));
  sc_sim_destroy(sim);
}

/* A barrier spans one chip: chip 0's cores pass theirs while chip 1's core
 * 0 waits for a signal chip 0 sends only after its barrier (one barrier over
 * both chips would deadlock). */
static void test_barrier_per_chip(void **state) {
  (void)state;
  for (int timed = 0; timed < 2; timed++) {
    sc_sim *sim = make(2, SC_SYS_SWITCH, timed ? SC_SIM_TIMED : SC_SIM_FUNCTIONAL);
    load(sim, 0,
         ".core 0\n  li x6, 16\n  sync.barrier\n  sync.signal x6, s2, 1\n  halt\n"
         ".core 1-15\n  sync.barrier\n  halt\n");
    load(sim, 1,
         ".core 0\n  sync.wait s2, 1\n  sync.barrier\n  halt\n.core 1-15\n"
         "  sync.barrier\n  halt\n");
    sc_status st = sc_sim_run(sim);
    if (st != SC_STATUS_OK) fail_msg("%s", sc_sim_trap(sim)->detail);
    sc_sim_destroy(sim);
  }
}

/* ---- timing ---- */

/* Each of the 16 cores of chip `from` copies `bytes` from its memory to chip
 * `to`'s, at 1 MiB per core apart. */
static void spread(char *buf, size_t size, uint32_t to, uint32_t bytes) {
  snprintf(buf, size,
           ".core 0-15\n  csrr x1, core_id\n  shli x1, x1, 20\n  li x8, %u\n"
           "  lih x2, %u\n  add x2, x2, x1\n"
           "  dma.1d hbm[x2]:int8, hbm[x1]:int8, x8, x0, q0\n  sync.fence dma\n  halt\n",
           bytes, to << 8);
}

static void test_link_bandwidth(void **state) {
  (void)state;
  char prog[512];
  /* switch: 16 MiB from chip 0 to chip 1 through one 500-byte-per-cycle
   * bundle (the ports give 16 x 256, memory 3750): 33554.4 cycles of data,
   * plus set-up, memory latency and one hop. */
  for (int mode = SC_SIM_TIMED; mode <= SC_SIM_TIMING_ONLY; mode++) {
    sc_sim *sim = make(2, SC_SYS_SWITCH, (sc_sim_mode)mode);
    spread(prog, sizeof prog, 1, MIB);
    load(sim, 0, prog);
    uint64_t cyc = run_cycles(sim);
    double want = 16.0 * MIB / 500 + 64 + 192 + 800;
    print_message("switch, 16 MiB: %llu cycles (formula %.0f)\n", (unsigned long long)cyc, want);
    assert_true(fabs((double)cyc - want) <= 16);
    const sc_profile *p = sc_sim_profile(sim);
    assert_int_equal(p->actions.link_bytes, 16ull * MIB);
    sc_sim_destroy(sim);
  }
  /* ring of 4, one hop: 4 links each way, 250 bytes per cycle */
  sc_sim *sim = make(4, SC_SYS_RING, SC_SIM_TIMING_ONLY);
  spread(prog, sizeof prog, 1, 256 * 1024);
  load(sim, 0, prog);
  uint64_t one = run_cycles(sim);
  double want = 4.0 * MIB / 250 + 64 + 192 + 800;
  assert_true(fabs((double)one - want) <= 16);
  sc_sim_destroy(sim);
  /* two hops (0 -> 1 -> 2): the same bandwidth, twice the latency */
  sim = make(4, SC_SYS_RING, SC_SIM_TIMING_ONLY);
  spread(prog, sizeof prog, 2, 256 * 1024);
  load(sim, 0, prog);
  uint64_t two = run_cycles(sim);
  assert_true(fabs((double)two - (want + 800)) <= 16);
  assert_int_equal(sc_sim_profile(sim)->actions.link_byte_hops, 2 * 4ull * MIB);
  sc_sim_destroy(sim);
}

static void test_link_contention(void **state) {
  (void)state;
  char p0[512], p1[512];
  /* ring of 4: chip 0 -> 2 (through 1) and chip 1 -> 2 share the link 1 -> 2:
   * 8 MiB through 250 bytes per cycle; the two-hop flows end 800 cycles later */
  sc_sim *sim = make(4, SC_SYS_RING, SC_SIM_TIMING_ONLY);
  spread(p0, sizeof p0, 2, 256 * 1024);
  spread(p1, sizeof p1, 2, 256 * 1024);
  load(sim, 0, p0);
  load(sim, 1, p1);
  uint64_t shared = run_cycles(sim);
  double want = 8.0 * MIB / 250 + 64 + 192 + 1600;
  print_message("ring, shared link: %llu cycles (formula %.0f)\n", (unsigned long long)shared,
                want);
  assert_true(fabs((double)shared - want) <= 16);
  sc_sim_destroy(sim);
  /* chip 0 -> 1 and chip 2 -> 3 use different links: no slower than one */
  sim = make(4, SC_SYS_RING, SC_SIM_TIMING_ONLY);
  spread(p0, sizeof p0, 1, 256 * 1024);
  spread(p1, sizeof p1, 3, 256 * 1024);
  load(sim, 0, p0);
  load(sim, 2, p1);
  uint64_t apart = run_cycles(sim);
  assert_true(fabs((double)apart - (4.0 * MIB / 250 + 64 + 192 + 800)) <= 16);
  sc_sim_destroy(sim);
  /* switch of 4: chips 0 and 1 both send to chip 2: its down link is shared */
  sim = make(4, SC_SYS_SWITCH, SC_SIM_TIMING_ONLY);
  spread(p0, sizeof p0, 2, 256 * 1024);
  load(sim, 0, p0);
  load(sim, 1, p0);
  uint64_t down = run_cycles(sim);
  assert_true(fabs((double)down - (8.0 * MIB / 500 + 64 + 192 + 800)) <= 16);
  sc_sim_destroy(sim);
}

/* A signal to another chip arrives a hop's latency later: sent at cycle 1,
 * 1 + 800 cycles in flight, then the wait and the halt. */
static void test_signal_latency(void **state) {
  (void)state;
  static const struct {
    sc_sys_topology topo;
    uint32_t chips, to_chip, hops;
  } cases[] = {{SC_SYS_SWITCH, 2, 1, 1}, {SC_SYS_RING, 4, 2, 2}, {SC_SYS_RING, 4, 3, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    sc_sim *sim = make(cases[i].chips, cases[i].topo, SC_SIM_TIMED);
    char prog[128];
    snprintf(prog, sizeof prog, ".core 0\n  li x1, %u\n  sync.signal x1, s3, 1\n  halt\n",
             cases[i].to_chip * 16 + 5);
    load(sim, 0, prog);
    load(sim, cases[i].to_chip, ".core 5\n  sync.wait s3, 1\n  halt\n");
    assert_int_equal(run_cycles(sim), 1 + 1 + 800 * cases[i].hops + 2);
    sc_sim_destroy(sim);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_memory_and_ids),   cmocka_unit_test(test_transfer_functional),
      cmocka_unit_test(test_transfer_timed),   cmocka_unit_test(test_traps),
      cmocka_unit_test(test_barrier_per_chip), cmocka_unit_test(test_link_bandwidth),
      cmocka_unit_test(test_link_contention),  cmocka_unit_test(test_signal_latency),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
