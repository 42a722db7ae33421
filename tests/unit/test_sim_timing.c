/* test_sim_timing.c: the timing model, case by case, against cycle counts
 * worked out by hand from the formulas of docs/PERF_MODEL.md and the SC1
 * constants (clock 1.6 GHz, 128 VPU lanes, 32 special-function results per
 * cycle, 32 SRAM banks of 64 bytes with one port, DMA set-up 64 cycles, memory
 * latency 120 ns = 192 cycles, 96 channels interleaved every 256 bytes at
 * 6000 GB/s in all, 256-byte NoC links with 2-cycle hops on a 4 x 4 mesh):
 * VPU throughput and special functions, SRAM bank conflicts, DMA set-up,
 * latency, link width and short bursts, NoC routes and link contention,
 * signal and barrier latency, energy, determinism, the timing-only mode, and
 * traps and deadlocks in the timed modes. */
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
#include "seedchip/util.h"

/* Assembles text (with ".arch sc1" prepended) and runs it in mode on a fresh
 * SC1 with a 16 MiB device buffer mapped at 0. Returns the simulator (the
 * caller destroys it); *st gets the run's status. */
static sc_sim *run_text(const char *text, sc_sim_mode mode, bool record, sc_status *st) {
  sc_strbuf src = {0}, diags = {0};
  sc_strbuf_printf(&src, ".arch sc1\n%s", text);
  sc_program *prog;
  if (sc_asm_assemble(src.data, src.len, "t.sasm", NULL, &prog, &diags) != SC_STATUS_OK)
    fail_msg("%s", sc_strbuf_str(&diags));
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_sim_options opt = {.mode = mode, .record_ops = record};
  sc_sim *sim;
  assert_int_equal(sc_sim_create(arch, &opt, &sim), SC_STATUS_OK);
  assert_int_equal(sc_sim_map(sim, 0, 16u << 20), SC_STATUS_OK);
  for (uint32_t c = 0; c < sc_prog_core_count(prog); c++) {
    size_t n;
    const uint64_t *code = sc_prog_code(prog, c, &n);
    assert_int_equal(sc_sim_set_code(sim, c, code, n), SC_STATUS_OK);
  }
  *st = sc_sim_run(sim);
  sc_prog_destroy(prog);
  sc_arch_destroy(arch);
  sc_strbuf_free(&src);
  sc_strbuf_free(&diags);
  return sim;
}

/* Runs text in the timed mode and in the timing-only mode, checks that both
 * give the same cycles and counters, and returns the cycles. */
static uint64_t cycles_of(const char *text) {
  sc_status st;
  sc_sim *a = run_text(text, SC_SIM_TIMED, false, &st);
  if (st != SC_STATUS_OK) fail_msg("%s", sc_sim_errmsg(a));
  sc_sim *b = run_text(text, SC_SIM_TIMING_ONLY, false, &st);
  assert_int_equal(st, SC_STATUS_OK);
  uint64_t cyc = sc_sim_profile(a)->cycles;
  assert_int_equal(sc_sim_profile(b)->cycles, cyc);
  for (uint32_t c = 0; c < 16; c++)
    for (unsigned e = 0; e < SC_SIM_N_COUNTERS; e++)
      assert_int_equal(sc_sim_counter(a, c, e), sc_sim_counter(b, c, e));
  sc_sim_destroy(a);
  sc_sim_destroy(b);
  return cyc;
}

/* ---- VPU ---- */

/* 64 x 256 fp32: 16384 elements. */
static const char vpu_prog[] = ".core 0\n"
                               "  li x8, 64\n  li x9, 256\n  li x10, 1024\n  li x11, 1024\n"
                               "  li x12, 1024\n  li x1, 0\n  li x2, 0x10000\n  li x3, 0x20000\n"
                               "  %s\n  sync.fence vpu\n  halt\n";

static uint64_t vpu_cycles(const char *insn) {
  char text[1024];
  snprintf(text, sizeof text, vpu_prog, insn);
  return cycles_of(text);
}

static void test_vpu_throughput(void **state) {
  (void)state;
  /* issued at cycle 8; then the fence and the halt take a cycle each */
  /* ALU: 16384 / 128 lanes = 128 cycles (SRAM: 3 x 64 KiB = 3072 words over
   * 32 banks = 96 cycles, hidden) */
  assert_int_equal(vpu_cycles("vpu.add sram[x3]:fp32, sram[x1]:fp32, sram[x2]:fp32, x8..x12, full"),
                   8 + 128 + 2);
  /* special function: 16384 / 32 per cycle = 512 */
  assert_int_equal(vpu_cycles("vpu.exp sram[x3]:fp32, sram[x1]:fp32, x8..x11"), 8 + 512 + 2);
  /* GELU: 5 ALU ops (640 cycles) and one special function (512): 640 */
  assert_int_equal(vpu_cycles("vpu.gelu sram[x3]:fp32, sram[x1]:fp32, x8..x11"), 8 + 640 + 2);
  /* rsumsq: two ALU ops per element = 256 */
  assert_int_equal(vpu_cycles("vpu.rsumsq sram[x3]:fp32, sram[x1]:fp32, x8..x11, overwrite"),
                   8 + 256 + 2);
}

static void test_bank_conflicts(void **state) {
  (void)state;
  /* 64 rows of 16 fp32 (64 bytes, one word) at a stride of 2048 bytes = 32
   * banks x 64 bytes: every row of all three operands is in bank 0 (their
   * bases too): 192 accesses on one port, against 1024 / 128 = 8 ALU cycles. */
  const char *conflict = ".core 0\n"
                         "  li x8, 64\n  li x9, 16\n  li x10, 2048\n  li x11, 2048\n"
                         "  li x12, 2048\n  li x1, 0\n  li x2, 0x20000\n  li x3, 0x40000\n"
                         "  vpu.add sram[x3]:fp32, sram[x1]:fp32, sram[x2]:fp32, x8..x12, full\n"
                         "  sync.fence vpu\n  halt\n";
  assert_int_equal(cycles_of(conflict), 8 + 192 + 2);
  /* One word more per row: rows walk over all 32 banks, 6 accesses per bank. */
  const char *spread = ".core 0\n"
                       "  li x8, 64\n  li x9, 16\n  li x10, 2112\n  li x11, 2112\n"
                       "  li x12, 2112\n  li x1, 0\n  li x2, 0x20000\n  li x3, 0x40000\n"
                       "  vpu.add sram[x3]:fp32, sram[x1]:fp32, sram[x2]:fp32, x8..x12, full\n"
                       "  sync.fence vpu\n  halt\n";
  assert_int_equal(cycles_of(spread), 8 + 8 + 2);
  sc_status st;
  sc_sim *sim = run_text(conflict, SC_SIM_TIMING_ONLY, false, &st);
  const sc_profile *p = sc_sim_profile(sim);
  assert_int_equal(p->units[0][SC_UNIT_VPU].reason[SC_REASON_BANK_CONFLICT], 192 - 8);
  assert_int_equal(p->units[0][SC_UNIT_VPU].busy, 192);
  sc_sim_destroy(sim);
}

/* ---- DMA ---- */

static void test_dma_formula(void **state) {
  (void)state;
  /* 98304 bytes = 384 blocks of 256 over 96 channels (4 each): limited by
   * the engine's link width, 256 bytes per cycle: 64 + 384 + 192. */
  const char *one = ".core 0\n  li x8, 98304\n  li x1, 0x100000\n"
                    "  dma.1d sram[x0]:int8, hbm[x1]:int8, x8, x0, q0\n"
                    "  sync.fence dma\n  halt\n";
  assert_int_equal(cycles_of(one), 2 + 64 + 384 + 192 + 2);
  /* 256 rows of 64 bytes: one burst per cycle, 64 bytes each: 16384 / 64 */
  const char *rows = ".core 0\n  li x8, 64\n  li x9, 256\n  li x10, 64\n  li x11, 64\n"
                     "  li x1, 0x100000\n"
                     "  dma.2d sram[x0]:int8, hbm[x1]:int8, x8..x11, x0, q0\n"
                     "  sync.fence dma\n  halt\n";
  assert_int_equal(cycles_of(rows), 5 + 64 + 256 + 192 + 2);
  sc_status st;
  sc_sim *sim = run_text(rows, SC_SIM_TIMED, false, &st);
  const sc_profile *p = sc_sim_profile(sim);
  /* short bursts: 256 cycles instead of 16384 / 256 = 64 */
  assert_int_equal(p->units[0][SC_UNIT_DMA0].reason[SC_REASON_SHORT_BURSTS], 256 - 64);
  assert_int_equal(p->units[0][SC_UNIT_DMA0].reason[SC_REASON_DMA_SETUP], 64);
  assert_int_equal(p->units[0][SC_UNIT_DMA0].reason[SC_REASON_MEM_LATENCY], 192);
  assert_int_equal(p->actions.mem_rd_bytes, 16384);
  sc_sim_destroy(sim);
  /* Two DMAs on one engine overlap: the second's set-up and the first's
   * latency hide behind the data phases. */
  const char *two = ".core 0\n  li x8, 98304\n  li x1, 0x100000\n  li x2, 0x200000\n"
                    "  dma.1d sram[x0]:int8, hbm[x1]:int8, x8, x0, q0\n"
                    "  dma.1d sram[x8]:int8, hbm[x2]:int8, x8, x0, q0\n"
                    "  sync.fence dma\n  halt\n";
  assert_int_equal(cycles_of(two), 3 + 64 + 384 + 384 + 192 + 2);
}

static void test_noc_routes(void **state) {
  (void)state;
  /* Core 0 writes 65536 bytes into core 3's SRAM: 3 hops east, 2 cycles each. */
  const char *alone = ".core 0\n  li x8, 65536\n  li x3, 3\n"
                      "  dma.1d remote[x0]:int8, sram[x0]:int8, x8, x3, q0\n"
                      "  sync.fence dma\n  halt\n";
  assert_int_equal(cycles_of(alone), 2 + 64 + 256 + 6 + 2);
  /* Core 0 -> core 2 and core 1 -> core 3 share the link from (0,1) to (0,2)
   * (X first): each gets half of it. */
  const char *shared = ".core 0\n  csrr x1, core_id\n  li x8, 65536\n  addi x3, x1, 2\n"
                       "  li x4, 2\n  bge x1, x4, done\n"
                       "  dma.1d remote[x0]:int8, sram[x0]:int8, x8, x3, q0\n"
                       "  sync.fence dma\ndone:\n  halt\n"
                       ".core 1\n  csrr x1, core_id\n  li x8, 65536\n  addi x3, x1, 2\n"
                       "  li x4, 2\n  bge x1, x4, done\n"
                       "  dma.1d remote[x0]:int8, sram[x0]:int8, x8, x3, q0\n"
                       "  sync.fence dma\ndone:\n  halt\n";
  assert_int_equal(cycles_of(shared), 5 + 64 + 512 + 4 + 2);
  /* Disjoint routes (0 -> 1, 2 -> 3) do not slow each other. */
  const char *disjoint = ".core 0\n  li x8, 65536\n  li x3, 1\n"
                         "  dma.1d remote[x0]:int8, sram[x0]:int8, x8, x3, q0\n"
                         "  sync.fence dma\n  halt\n"
                         ".core 2\n  li x8, 65536\n  li x3, 3\n"
                         "  dma.1d remote[x0]:int8, sram[x0]:int8, x8, x3, q0\n"
                         "  sync.fence dma\n  halt\n";
  assert_int_equal(cycles_of(disjoint), 2 + 64 + 256 + 2 + 2);
}

/* ---- sync ---- */

static void test_signal_and_barrier(void **state) {
  (void)state;
  /* Core 0 signals core 15 at cycle 1: 6 hops, arriving at 1 + 1 + 12 = 14;
   * core 15's sync.wait then takes a cycle, its halt another. */
  const char *sig = ".core 0\n  li x1, 15\n  sync.signal x1, s3, 1\n  halt\n"
                    ".core 15\n  sync.wait s3, 1\n  halt\n";
  assert_int_equal(cycles_of(sig), 14 + 2);
  /* Every core at a barrier: core 0 arrives last (cycle 10, after 10 li);
   * released 2 x 6 hops x 2 cycles later; then the barrier and halt issue. */
  const char *bar = ".core 0\n  li x1, 0\n  li x1, 0\n  li x1, 0\n  li x1, 0\n  li x1, 0\n"
                    "  li x1, 0\n  li x1, 0\n  li x1, 0\n  li x1, 0\n  li x1, 0\n"
                    "  sync.barrier\n  halt\n"
                    ".core 1-15\n  sync.barrier\n  halt\n";
  assert_int_equal(cycles_of(bar), 10 + 24 + 1);
}

/* ---- energy, determinism, records ---- */

static void test_energy_and_records(void **state) {
  (void)state;
  char text[1024];
  snprintf(text, sizeof text, vpu_prog,
           "vpu.add sram[x3]:fp32, sram[x1]:fp32, sram[x2]:fp32, x8..x12, full");
  sc_status st;
  sc_sim *sim = run_text(text, SC_SIM_TIMED, true, &st);
  assert_int_equal(st, SC_STATUS_OK);
  const sc_profile *p = sc_sim_profile(sim);
  const sc_arch *a = sc_sim_arch(sim);
  /* 16384 adds; 3 x 64 KiB of SRAM; static power over 138 cycles */
  assert_int_equal(p->actions.vpu_ops, 16384);
  assert_int_equal(p->actions.sram_bytes, 3 * 65536);
  assert_true(fabs(p->energy_pj[SC_ENERGY_VPU] - 16384 * a->energy.vpu_op_pj) < 1e-6);
  assert_true(fabs(p->energy_pj[SC_ENERGY_SRAM] - 3 * 65536 * a->energy.sram_pj_per_byte) < 1e-6);
  double stat = a->energy.static_w * (138 / a->clock_ghz) * 1e3;
  assert_true(fabs(p->energy_pj[SC_ENERGY_STATIC] - stat) < 1e-6 * stat);
  assert_int_equal(p->energy_pj[SC_ENERGY_MEMORY], 0);
  /* the recorded ops: the VPU op [8, 136) and the fence's wait [9, 136) */
  int vpu = 0, fence = 0;
  for (size_t i = 0; i < p->n_ops; i++) {
    const sc_prof_op *o = &p->ops[i];
    if (o->unit == SC_UNIT_VPU) {
      vpu++;
      assert_int_equal(o->start, 8);
      assert_int_equal(o->end, 136);
    } else if (o->unit == SC_UNIT_SCALAR && o->opcode == SC_OP_SYNC_FENCE) {
      fence++;
      assert_int_equal(o->start, 9);
      assert_int_equal(o->end, 136);
    }
  }
  assert_int_equal(vpu, 1);
  assert_int_equal(fence, 1);
  assert_int_equal(p->units[0][SC_UNIT_VPU].busy, 128);
  assert_int_equal(p->units[0][SC_UNIT_SCALAR].reason[SC_REASON_FENCE], 127);
  assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_CYCLES), 138);
  assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_VPU_BUSY), 128);
  /* the same again, with any host-thread setting: the same cycles */
  uint64_t before = p->cycles;
  for (unsigned threads = 1; threads <= 8; threads *= 2) {
    sc_sim_set_threads(sim, threads);
    assert_int_equal(sc_sim_run(sim), SC_STATUS_OK);
    assert_int_equal(sc_sim_profile(sim)->cycles, before);
  }
  /* the functional mode has no profile */
  sc_sim_set_mode(sim, SC_SIM_FUNCTIONAL);
  assert_int_equal(sc_sim_run(sim), SC_STATUS_OK);
  assert_null(sc_sim_profile(sim));
  assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_CYCLES), 0);
  sc_sim_destroy(sim);
}

static void test_cnt_read_cycles(void **state) {
  (void)state;
  /* cnt.read cycles reads the clock when it executes: after the VPU op. */
  const char *text = ".core 0\n  li x8, 64\n  li x9, 256\n  li x10, 1024\n  li x11, 1024\n"
                     "  li x1, 0\n  li x2, 0x10000\n"
                     "  vpu.exp sram[x2]:fp32, sram[x1]:fp32, x8..x11 @signal(s1)\n"
                     "  sync.wait s1, 1\n  cnt.read x5, cycles\n  halt\n";
  sc_status st;
  sc_sim *sim = run_text(text, SC_SIM_TIMED, false, &st);
  assert_int_equal(st, SC_STATUS_OK);
  assert_int_equal(sc_sim_reg(sim, 0, 5), 6 + 512 + 1);
  sc_sim_destroy(sim);
}

/* ---- traps ---- */

static void test_timed_traps(void **state) {
  (void)state;
  sc_status st;
  /* an engine waits on a semaphore nobody signals */
  sc_sim *sim = run_text(".core 0\n  li x8, 16\n"
                         "  dma.1d sram[x0]:int8, hbm[x0]:int8, x8, x0, q0 @wait(s7)\n  halt\n",
                         SC_SIM_TIMED, false, &st);
  assert_int_equal(st, SC_STATUS_TRAP);
  assert_int_equal(sc_sim_trap(sim)->cause, SC_TRAP_DEADLOCK);
  assert_null(sc_sim_profile(sim));
  sc_sim_destroy(sim);
  /* an out-of-bounds DMA traps in the timed mode at the op */
  sim = run_text(".core 0\n  li x8, 16\n  li x1, 0x7fffffff\n  lih x1, 1\n"
                 "  dma.1d sram[x0]:int8, hbm[x1]:int8, x8, x0, q0\n  halt\n",
                 SC_SIM_TIMED, false, &st);
  assert_int_equal(st, SC_STATUS_TRAP);
  assert_int_equal(sc_sim_trap(sim)->cause, SC_TRAP_OUT_OF_BOUNDS);
  assert_int_equal(sc_sim_trap(sim)->pc, 3);
  sc_sim_destroy(sim);
  /* the watchdog stops a spinning core */
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_sim_options opt = {.mode = SC_SIM_TIMING_ONLY, .watchdog_insns = 1000};
  assert_int_equal(sc_sim_create(arch, &opt, &sim), SC_STATUS_OK);
  sc_insn j = {.opcode = SC_OP_JAL, .xd = 0, .imm = 0};
  uint64_t w;
  assert_int_equal(sc_isa_encode(&j, &w, NULL, 0), SC_STATUS_OK);
  assert_int_equal(sc_sim_set_code(sim, 0, &w, 1), SC_STATUS_OK);
  assert_int_equal(sc_sim_run(sim), SC_STATUS_TRAP);
  assert_int_equal(sc_sim_trap(sim)->cause, SC_TRAP_WATCHDOG);
  sc_sim_destroy(sim);
  sc_arch_destroy(arch);
}

/* ---- scalar loads and launch arguments (every mode) ---- */

static void test_loads_and_args(void **state) {
  (void)state;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_strbuf diags = {0};
  sc_program *prog;
  /* x1 = 0x100 (an argument): lw the words at 0x100 and 0x104, ld the
   * double word at 0x108, and x3 + x2 from the second argument. */
  const char *text = ".arch sc1\n.core 0-1\n  lw x5, x1, 0\n  lw x6, x1, 4\n  ld x7, x1, 8\n"
                     "  add x8, x2, x2\n  halt\n";
  if (sc_asm_assemble(text, strlen(text), "t.sasm", NULL, &prog, &diags) != SC_STATUS_OK)
    fail_msg("%s", sc_strbuf_str(&diags));
  static const uint8_t bytes[16] = {0x78, 0x56, 0x34, 0x12, 0xfe, 0xff, 0xff, 0xff,
                                    1,    2,    3,    4,    5,    6,    7,    0x88};
  for (sc_sim_mode m = SC_SIM_FUNCTIONAL; m < SC_SIM_MODE_COUNT; m++) {
    sc_sim_options opt = {.mode = m};
    sc_sim *sim;
    assert_int_equal(sc_sim_create(arch, &opt, &sim), SC_STATUS_OK);
    for (uint32_t c = 0; c < 2; c++) {
      size_t n;
      const uint64_t *code = sc_prog_code(prog, c, &n);
      assert_int_equal(sc_sim_set_code(sim, c, code, n), SC_STATUS_OK);
      assert_int_equal(sc_sim_write_sram(sim, c, 0x100, bytes, sizeof bytes), SC_STATUS_OK);
    }
    sc_sim_set_args(sim, (const uint64_t[]){0x100, 21}, 2);
    assert_int_equal(sc_sim_run(sim), SC_STATUS_OK);
    for (uint32_t c = 0; c < 2; c++) {
      assert_int_equal(sc_sim_reg(sim, c, 1), 0x100);
      assert_int_equal(sc_sim_reg(sim, c, 5), 0x12345678);
      assert_int_equal(sc_sim_reg(sim, c, 6), (uint64_t)-2); /* sign-extended */
      assert_int_equal(sc_sim_reg(sim, c, 7), 0x8807060504030201ull);
      assert_int_equal(sc_sim_reg(sim, c, 8), 42);
      assert_int_equal(sc_sim_reg(sim, c, 3), 0); /* beyond the arguments */
    }
    sc_sim_destroy(sim);
  }
  sc_prog_destroy(prog);
  /* misaligned and out-of-bounds loads trap */
  sc_status st;
  sc_sim *sim = run_text(".core 0\n  li x1, 2\n  lw x5, x1, 0\n  halt\n", SC_SIM_TIMED, false, &st);
  assert_int_equal(st, SC_STATUS_TRAP);
  assert_int_equal(sc_sim_trap(sim)->cause, SC_TRAP_MISALIGNED);
  sc_sim_destroy(sim);
  sim = run_text(".core 0\n  li x1, 0x1000000\n  ld x5, x1, -8\n  ld x5, x1, 0\n  halt\n",
                 SC_SIM_FUNCTIONAL, false, &st);
  assert_int_equal(st, SC_STATUS_TRAP);
  assert_int_equal(sc_sim_trap(sim)->cause, SC_TRAP_OUT_OF_BOUNDS);
  assert_int_equal(sc_sim_trap(sim)->pc, 2); /* the last double word loads; past the end traps */
  sc_sim_destroy(sim);
  sc_strbuf_free(&diags);
  sc_arch_destroy(arch);
}

/* ---- unbacked device memory (timing-only runs of programs without data) ---- */

static void test_unbacked(void **state) {
  (void)state;
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_sim *sim;
  sc_sim_options opt = {.mode = SC_SIM_TIMING_ONLY};
  assert_int_equal(sc_sim_create(arch, &opt, &sim), SC_STATUS_OK);
  /* 64 GiB without host memory behind it */
  assert_int_equal(sc_sim_map_unbacked(sim, 0, 64ull << 30), SC_STATUS_OK);
  uint8_t b[4];
  assert_int_equal(sc_sim_read(sim, 0, b, 4), SC_STATUS_INVALID);
  assert_int_equal(sc_sim_write(sim, 0, b, 4), SC_STATUS_INVALID);
  assert_int_equal(sc_sim_map(sim, 1 << 20, 16), SC_STATUS_INVALID); /* overlaps */
  sc_strbuf diags = {0};
  sc_program *prog;
  const char *text = ".arch sc1\n.core 0\n  li x8, 98304\n  li x1, 0x40000000\n"
                     "  dma.1d sram[x0]:int8, hbm[x1]:int8, x8, x0, q0\n  sync.fence dma\n  halt\n";
  if (sc_asm_assemble(text, strlen(text), "t.sasm", NULL, &prog, &diags) != SC_STATUS_OK)
    fail_msg("%s", sc_strbuf_str(&diags));
  size_t n;
  const uint64_t *code = sc_prog_code(prog, 0, &n);
  assert_int_equal(sc_sim_set_code(sim, 0, code, n), SC_STATUS_OK);
  /* timing-only: the copy's cycles as in test_dma_formula */
  assert_int_equal(sc_sim_run(sim), SC_STATUS_OK);
  assert_int_equal(sc_sim_profile(sim)->cycles, 2 + 64 + 384 + 192 + 2);
  /* with data: the unbacked range traps */
  sc_sim_set_mode(sim, SC_SIM_TIMED);
  assert_int_equal(sc_sim_run(sim), SC_STATUS_TRAP);
  assert_int_equal(sc_sim_trap(sim)->cause, SC_TRAP_OUT_OF_BOUNDS);
  sc_prog_destroy(prog);
  sc_strbuf_free(&diags);
  sc_sim_destroy(sim);
  sc_arch_destroy(arch);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vpu_throughput),     cmocka_unit_test(test_bank_conflicts),
      cmocka_unit_test(test_dma_formula),        cmocka_unit_test(test_noc_routes),
      cmocka_unit_test(test_signal_and_barrier), cmocka_unit_test(test_energy_and_records),
      cmocka_unit_test(test_cnt_read_cycles),    cmocka_unit_test(test_timed_traps),
      cmocka_unit_test(test_loads_and_args),     cmocka_unit_test(test_unbacked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
