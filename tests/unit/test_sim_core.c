/* test_sim_core.c: the simulator's scalar unit, sync instructions, DMA engines,
 * scheduler and traps, through the public API. Programs are written as assembly
 * lines (parsed one by one with sc_isa_parse); expected values are computed
 * here from the ISA's definitions, independently of the simulator. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/arch.h"
#include "seedchip/isa.h"
#include "seedchip/num.h"
#include "seedchip/sim.h"

static sc_arch *sc1;

static int setup(void **state) {
  (void)state;
  return sc_arch_load("sc1", &sc1, NULL) == SC_STATUS_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  sc_arch_destroy(sc1);
  return 0;
}

static sc_sim *new_sim(uint64_t watchdog) {
  sc_sim *sim;
  sc_sim_options opt = {.watchdog_insns = watchdog};
  assert_int_equal(sc_sim_create(sc1, &opt, &sim), SC_STATUS_OK);
  return sim;
}

/* Assembles NULL-terminated lines into core's code. */
static void load(sc_sim *sim, uint32_t core, const char *const *lines) {
  uint64_t words[256];
  size_t n = 0;
  for (; lines[n]; n++) {
    assert_true(n < 256);
    sc_insn in;
    size_t col;
    char err[200];
    if (sc_isa_parse(lines[n], strlen(lines[n]), &in, NULL, NULL, &col, err, sizeof err) !=
        SC_STATUS_OK)
      fail_msg("line %zu '%s' col %zu: %s", n, lines[n], col, err);
    assert_int_equal(sc_isa_encode(&in, &words[n], err, sizeof err), SC_STATUS_OK);
  }
  assert_int_equal(sc_sim_set_code(sim, core, words, n), SC_STATUS_OK);
}

static void run_ok(sc_sim *sim) {
  if (sc_sim_run(sim) != SC_STATUS_OK) fail_msg("trapped: %s", sc_sim_errmsg(sim));
}

static const sc_trap *run_trap(sc_sim *sim, sc_trap_cause cause) {
  assert_int_equal(sc_sim_run(sim), SC_STATUS_TRAP);
  const sc_trap *t = sc_sim_trap(sim);
  if (t->cause != cause)
    fail_msg("expected %s, got %s: %s", sc_trap_cause_str(cause), sc_trap_cause_str(t->cause),
             t->detail);
  return t;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_u64(void) {
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* ---- scalar ---- */

/* Reference results, from the ISA's one-line semantics. */
static uint64_t ref_rr(const char *op, uint64_t a, uint64_t b) {
  int64_t sa = (int64_t)a, sb = (int64_t)b;
  unsigned sh = (unsigned)(b & 63);
  if (!strcmp(op, "add")) return a + b;
  if (!strcmp(op, "sub")) return a - b;
  if (!strcmp(op, "mul")) return a * b;
  if (!strcmp(op, "divu")) return b ? a / b : ~0ull;
  if (!strcmp(op, "remu")) return b ? a % b : a;
  if (!strcmp(op, "and")) return a & b;
  if (!strcmp(op, "or")) return a | b;
  if (!strcmp(op, "xor")) return a ^ b;
  if (!strcmp(op, "shl")) return a << sh;
  if (!strcmp(op, "shr")) return a >> sh;
  if (!strcmp(op, "sra")) { /* floor(a / 2^sh) */
    uint64_t r = a >> sh;
    if (sa < 0 && sh) r |= ~0ull << (64 - sh);
    return r;
  }
  if (!strcmp(op, "slt")) return sa < sb;
  if (!strcmp(op, "sltu")) return a < b;
  if (!strcmp(op, "min")) return (uint64_t)(sa < sb ? sa : sb);
  if (!strcmp(op, "max")) return (uint64_t)(sa > sb ? sa : sb);
  if (!strcmp(op, "minu")) return a < b ? a : b;
  if (!strcmp(op, "maxu")) return a > b ? a : b;
  fail_msg("no reference for %s", op);
  return 0;
}

/* Loads a 64-bit constant with li + lih (the documented idiom). */
static void li64(char *buf, size_t n, const char *reg, uint64_t v, int part) {
  if (part == 0)
    snprintf(buf, n, "li %s, %d", reg, (int32_t)(uint32_t)v);
  else
    snprintf(buf, n, "lih %s, %u", reg, (uint32_t)(v >> 32));
}

static void test_register_ops(void **state) {
  (void)state;
  static const char *ops[] = {"add", "sub", "mul", "divu", "remu", "and", "or",   "xor", "shl",
                              "shr", "sra", "slt", "sltu", "min",  "max", "minu", "maxu"};
  static const uint64_t edge[] = {0,
                                  1,
                                  2,
                                  63,
                                  64,
                                  0x7fffffffffffffffull,
                                  0x8000000000000000ull,
                                  ~0ull,
                                  0xffffffff,
                                  0x100000000ull};
  sc_sim *sim = new_sim(0);
  for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
    for (int t = 0; t < 40; t++) {
      uint64_t a = t < 10 ? edge[t] : next_u64(), b = t < 10 ? edge[(t * 7) % 10] : next_u64();
      if (t >= 30) b &= 0xff; /* small shift and divisor values */
      char l0[64], l1[64], l2[64], l3[64], l4[64];
      li64(l0, sizeof l0, "x1", a, 0);
      li64(l1, sizeof l1, "x1", a, 1);
      li64(l2, sizeof l2, "x2", b, 0);
      li64(l3, sizeof l3, "x2", b, 1);
      snprintf(l4, sizeof l4, "%s x3, x1, x2", ops[o]);
      const char *prog[] = {l0, l1, l2, l3, l4, "halt", NULL};
      load(sim, 0, prog);
      run_ok(sim);
      assert_int_equal(sc_sim_reg(sim, 0, 1), a);
      if (sc_sim_reg(sim, 0, 3) != ref_rr(ops[o], a, b))
        fail_msg("%s %llx %llx: got %llx want %llx", ops[o], (unsigned long long)a,
                 (unsigned long long)b, (unsigned long long)sc_sim_reg(sim, 0, 3),
                 (unsigned long long)ref_rr(ops[o], a, b));
    }
  }
  sc_sim_destroy(sim);
}

static void test_immediates_and_x0(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  const char *prog[] = {"li x1, -5",
                        "addi x2, x1, 7",
                        "muli x3, x1, -3",
                        "andi x4, x1, 12",
                        "ori x5, x0, 9",
                        "xori x6, x1, -1",
                        "slti x7, x1, -4",
                        "sltiu x8, x1, 3",
                        "shli x9, x1, 60",
                        "shri x10, x1, 60",
                        "srai x11, x1, 1",
                        "addi x0, x1, 100",
                        "li x12, 1",
                        "lih x12, 2",
                        "csrr x13, core_count",
                        "csrr x14, core_id",
                        "halt",
                        NULL};
  load(sim, 0, prog);
  run_ok(sim);
  uint64_t m5 = (uint64_t)-5;
  assert_int_equal(sc_sim_reg(sim, 0, 2), 2);
  assert_int_equal(sc_sim_reg(sim, 0, 3), 15);
  assert_int_equal(sc_sim_reg(sim, 0, 4), m5 & 12);
  assert_int_equal(sc_sim_reg(sim, 0, 5), 9);
  assert_int_equal(sc_sim_reg(sim, 0, 6), 4);
  assert_int_equal(sc_sim_reg(sim, 0, 7), 1);
  assert_int_equal(sc_sim_reg(sim, 0, 8), 0); /* -5 unsigned is huge */
  assert_int_equal(sc_sim_reg(sim, 0, 9), m5 << 60);
  assert_int_equal(sc_sim_reg(sim, 0, 10), m5 >> 60);
  assert_int_equal(sc_sim_reg(sim, 0, 11), (uint64_t)-3);
  assert_int_equal(sc_sim_reg(sim, 0, 0), 0); /* writes to x0 are dropped */
  assert_int_equal(sc_sim_reg(sim, 0, 12), (2ull << 32) | 1);
  assert_int_equal(sc_sim_reg(sim, 0, 13), 16);
  assert_int_equal(sc_sim_reg(sim, 0, 14), 0);
  sc_sim_destroy(sim);
}

static void test_branches_and_calls(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  /* sum 1..100 with a loop; then call a subroutine that doubles x2 and return. */
  const char *prog[] = {"li x1, 0",         /* 0: i */
                        "li x2, 0",         /* 1: sum */
                        "li x3, 100",       /* 2 */
                        "addi x1, x1, 1",   /* 3: loop */
                        "add x2, x2, x1",   /* 4 */
                        "blt x1, x3, -2",   /* 5 */
                        "jal x31, +3",      /* 6: call 9 */
                        "bne x2, x2, +100", /* 7: never taken */
                        "halt",             /* 8 */
                        "add x2, x2, x2",   /* 9: subroutine */
                        "jalr x0, x31, 0",  /* 10: return to 7 */
                        NULL};
  load(sim, 0, prog);
  run_ok(sim);
  assert_int_equal(sc_sim_reg(sim, 0, 2), 2 * 5050);
  assert_int_equal(sc_sim_reg(sim, 0, 31), 7);
  /* Signed vs unsigned comparisons. */
  const char *cmp[] = {"li x1, -1",
                       "li x2, 1",
                       "li x5, 0",
                       "bltu x1, x2, +2",
                       "ori x5, x5, 1",
                       "bge x1, x2, +2",
                       "ori x5, x5, 2",
                       "bgeu x1, x2, +2",
                       "ori x5, x5, 4",
                       "beq x1, x1, +2",
                       "ori x5, x5, 8",
                       "halt",
                       NULL};
  load(sim, 0, cmp);
  run_ok(sim);
  /* bltu not taken (1), bge not taken (2), bgeu taken (skip 4), beq taken (skip 8). */
  assert_int_equal(sc_sim_reg(sim, 0, 5), 3);
  sc_sim_destroy(sim);
}

/* ---- DMA ---- */

static void put_f32(uint8_t *p, float f) {
  memcpy(p, &f, 4);
}

static void test_dma_hbm_sram_round_trip(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  enum { R = 5, C = 7, SRC_STRIDE = 40, DST_STRIDE = 16 };
  assert_int_equal(sc_sim_map(sim, 0x1000, 4096), SC_STATUS_OK);
  uint8_t host[R * SRC_STRIDE];
  float vals[R][C];
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) {
      uint32_t b = (uint32_t)next_u64();
      if ((b & 0x7f800000) == 0x7f800000) b &= 0xbfffffff; /* keep NaN out of this one */
      memcpy(&vals[i][j], &b, 4);
      put_f32(host + i * SRC_STRIDE + j * 4, vals[i][j]);
    }
  assert_int_equal(sc_sim_write(sim, 0x1000, host, sizeof host), SC_STATUS_OK);
  /* 2-D HBM (fp32, stride 40) -> SRAM (bf16, stride 16) -> HBM (fp32, stride 28). */
  const char *prog[] = {"li x1, 4096",
                        "li x2, 256",
                        "li x3, 8192",
                        "li x10, 7",
                        "li x11, 5",
                        "li x12, 16",
                        "li x13, 40",
                        "dma.2d sram[x2]:bf16, hbm[x1]:fp32, x10..x13, x0, q0 @signal(s1)",
                        "li x12, 28",
                        "li x13, 16",
                        "dma.2d hbm[x3]:fp32, sram[x2]:bf16, x10..x13, x0, q1 @wait(s1)",
                        "halt",
                        NULL};
  assert_int_equal(sc_sim_map(sim, 8192, 4096), SC_STATUS_OK);
  load(sim, 0, prog);
  run_ok(sim);
  uint8_t out[R * 28];
  assert_int_equal(sc_sim_read(sim, 8192, out, sizeof out), SC_STATUS_OK);
  for (int i = 0; i < R; i++)
    for (int j = 0; j < C; j++) {
      float got;
      memcpy(&got, out + i * 28 + j * 4, 4);
      float want = sc_bf16_to_f32(sc_f32_to_bf16(vals[i][j]));
      assert_memory_equal(&got, &want, 4);
    }
  /* Counters: bytes read from and written to HBM. */
  assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_HBM_RD_BYTES), R * C * 4);
  assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_HBM_WR_BYTES), R * C * 4);
  sc_sim_destroy(sim);
}

static void test_dma_3d_raw_and_nan_payloads(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  /* 3 planes x 2 rows x 4 fp16 elements, gathered into a dense block. */
  uint16_t src[3][4][8];
  for (int p = 0; p < 3; p++)
    for (int r = 0; r < 4; r++)
      for (int c = 0; c < 8; c++) src[p][r][c] = (uint16_t)(0x7c01 + p * 100 + r * 10 + c);
  assert_int_equal(sc_sim_write_sram(sim, 0, 0, src, sizeof src), SC_STATUS_OK);
  const char *prog[] = {"li x1, 0",   "li x2, 65536",
                        "li x10, 4",  "li x11, 2",
                        "li x12, 3",  "li x13, 8",
                        "li x14, 16", "li x15, 32",
                        "li x16, 64", "dma.3d sram[x2]:fp16, sram[x1]:fp16, x10..x16, x0, q0",
                        "halt",       NULL};
  load(sim, 0, prog);
  run_ok(sim);
  uint16_t out[3][2][4];
  assert_int_equal(sc_sim_read_sram(sim, 0, 65536, out, sizeof out), SC_STATUS_OK);
  for (int p = 0; p < 3; p++)
    for (int r = 0; r < 2; r++)
      for (int c = 0; c < 4; c++) assert_int_equal(out[p][r][c], src[p][r * 2][c]);
  sc_sim_destroy(sim);
}

static void test_dma_overlapping_copy(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  uint8_t buf[64];
  for (int i = 0; i < 64; i++) buf[i] = (uint8_t)i;
  assert_int_equal(sc_sim_write_sram(sim, 0, 0, buf, 64), SC_STATUS_OK);
  /* Shift 32 int8 elements up by 8 in place: the source is read before writing. */
  const char *prog[] = {"li x1, 0",   "li x2, 8",
                        "li x10, 32", "dma.1d sram[x2]:int8, sram[x1]:int8, x10, x0, q0",
                        "halt",       NULL};
  load(sim, 0, prog);
  run_ok(sim);
  uint8_t out[64];
  assert_int_equal(sc_sim_read_sram(sim, 0, 0, out, 64), SC_STATUS_OK);
  for (int i = 0; i < 8; i++) assert_int_equal(out[i], i);
  for (int i = 8; i < 40; i++) assert_int_equal(out[i], i - 8);
  for (int i = 40; i < 64; i++) assert_int_equal(out[i], i);
  /* Four rows of 8 bytes moved down one row: copying row by row would read rows
   * already overwritten. */
  assert_int_equal(sc_sim_write_sram(sim, 0, 0, buf, 64), SC_STATUS_OK);
  const char *rows[] = {"li x1, 0",
                        "li x2, 8",
                        "li x10, 8",
                        "li x11, 4",
                        "li x12, 8",
                        "li x13, 8",
                        "dma.2d sram[x2]:int8, sram[x1]:int8, x10..x13, x0, q0",
                        "halt",
                        NULL};
  load(sim, 0, rows);
  run_ok(sim);
  assert_int_equal(sc_sim_read_sram(sim, 0, 0, out, 64), SC_STATUS_OK);
  for (int i = 0; i < 8; i++) assert_int_equal(out[i], i);
  for (int i = 8; i < 40; i++) assert_int_equal(out[i], i - 8);
  sc_sim_destroy(sim);
}

static void test_dma_int_conversions(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  int32_t src[8] = {-200, -129, -128, -9, 7, 8, 127, 1000};
  assert_int_equal(sc_sim_write_sram(sim, 0, 0, src, sizeof src), SC_STATUS_OK);
  const char *prog[] = {"li x1, 0",
                        "li x2, 64",
                        "li x3, 128",
                        "li x10, 8",
                        "dma.1d sram[x2]:int8, sram[x1]:int32, x10, x0, q0",
                        "dma.1d sram[x3]:int4, sram[x1]:int32, x10, x0, q0",
                        "halt",
                        NULL};
  load(sim, 0, prog);
  run_ok(sim);
  int8_t i8[8];
  uint8_t i4[4];
  assert_int_equal(sc_sim_read_sram(sim, 0, 64, i8, 8), SC_STATUS_OK);
  assert_int_equal(sc_sim_read_sram(sim, 0, 128, i4, 4), SC_STATUS_OK);
  for (int i = 0; i < 8; i++) {
    int32_t s8 = src[i] > 127 ? 127 : src[i] < -128 ? -128 : src[i];
    int32_t s4 = src[i] > 7 ? 7 : src[i] < -8 ? -8 : src[i];
    assert_int_equal(i8[i], s8);
    int nib = (i4[i / 2] >> (4 * (i % 2))) & 15; /* element 2i in the low nibble */
    assert_int_equal(nib >= 8 ? nib - 16 : nib, s4);
  }
  sc_sim_destroy(sim);
}

/* ---- cores and sync ---- */

static void test_remote_copy_and_signals(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  uint32_t data[16];
  for (int i = 0; i < 16; i++) data[i] = 0xc0de0000u + (uint32_t)i;
  assert_int_equal(sc_sim_write_sram(sim, 0, 0, data, sizeof data), SC_STATUS_OK);
  assert_int_equal(sc_sim_map(sim, 1 << 20, 64), SC_STATUS_OK);
  /* Core 0 pushes 16 words into core 5's SRAM, then tells core 5, which copies
   * them to HBM. Core 5 starts first in every round and must wait. */
  const char *c0[] = {"li x1, 0",
                      "li x2, 512",
                      "li x3, 5",
                      "li x10, 16",
                      "dma.1d remote[x2]:int32, sram[x1]:int32, x10, x3, q0 @signal(s1)",
                      "sync.wait s1, 1",
                      "sync.signal x3, s2, 1",
                      "halt",
                      NULL};
  const char *c5[] = {"sync.wait s2, 1",
                      "li x1, 512",
                      "li x2, 1048576",
                      "li x10, 16",
                      "dma.1d hbm[x2]:int32, sram[x1]:int32, x10, x0, q1",
                      "halt",
                      NULL};
  load(sim, 0, c0);
  load(sim, 5, c5);
  run_ok(sim);
  uint32_t out[16];
  assert_int_equal(sc_sim_read(sim, 1 << 20, out, sizeof out), SC_STATUS_OK);
  assert_memory_equal(out, data, sizeof data);
  assert_int_equal(sc_sim_counter(sim, 0, SC_ISA_EVENT_NOC_BYTES), 64);
  sc_sim_destroy(sim);
}

static void test_barrier_and_fence(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  /* Every core signals core 0's s3 before the barrier; after it, core 0 must
   * see all 16 (sync.wait of 16 succeeds without blocking forever). */
  const char *worker[] = {
      "li x1, 0", "sync.signal x1, s3, 1", "sync.barrier", "csrr x20, core_id", "halt", NULL};
  const char *chief[] = {"li x1, 0",       "sync.signal x1, s3, 1",
                         "sync.barrier",   "sync.wait s3, 16",
                         "li x2, 4",       "li x3, 0",
                         "li x10, 64",     "dma.1d sram[x3]:int8, sram[x2]:int8, x10, x0, q0",
                         "sync.fence all", "cnt.read x21, issued",
                         "halt",           NULL};
  load(sim, 0, chief);
  for (uint32_t c = 1; c < 16; c++) load(sim, c, worker);
  run_ok(sim);
  for (uint32_t c = 1; c < 16; c++) assert_int_equal(sc_sim_reg(sim, c, 20), c);
  /* Issued before cnt.read: 9 instructions before it in the chief's program. */
  assert_int_equal(sc_sim_reg(sim, 0, 21), 9);
  sc_sim_destroy(sim);
}

/* nop does nothing but its wait and signal: here the signal is what lets the
 * sync.wait through, and the wait of the second nop consumes it again. */
static void test_nop_wait_and_signal(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  const char *prog[] = {"nop @signal(s3)",
                        "sync.wait s3, 1",
                        "nop @signal(s4)",
                        "nop @wait(s4)",
                        "cnt.read x1, issued",
                        "halt",
                        NULL};
  load(sim, 0, prog);
  run_ok(sim);
  assert_int_equal(sc_sim_reg(sim, 0, 1), 4);
  const char *stuck[] = {"nop @wait(s5)", "halt", NULL};
  load(sim, 0, stuck);
  assert_int_equal(run_trap(sim, SC_TRAP_DEADLOCK)->pc, 0);
  sc_sim_destroy(sim);
}

/* Cross-core programs (remote copies, signals, barriers, a deadlock, a trap on
 * two cores at once) give the same registers, memory, counters and trap for
 * every number of host threads. */
static void test_thread_counts_agree(void **state) {
  (void)state;
  /* A token passed around the ring after a barrier: core c waits for it (core 0
   * starts it), copies 8 bytes into the next core's SRAM and signals it. */
  const char *ring[] = {"csrr x1, core_id",
                        "csrr x2, core_count",
                        "addi x3, x1, 1",
                        "remu x3, x3, x2",
                        "li x10, 8",
                        "li x4, 64",
                        "sync.barrier",
                        "beq x1, x0, +2",
                        "sync.wait s1, 1",
                        "dma.1d remote[x4]:int8, sram[x4]:int8, x10, x3, q0 @signal(s2)",
                        "sync.wait s2, 1",
                        "sync.signal x3, s1, 1",
                        "cnt.read x20, issued",
                        "halt",
                        NULL};
  const char *two_traps[] = {"csrr x1, core_id",
                             "li x2, 5",
                             "blt x1, x2, +2",
                             "sync.signal x1, s0, 1", /* cores >= 5: fine */
                             "li x3, 99",
                             "blt x1, x2, +2",
                             "halt",
                             "sync.signal x3, s0, 1", /* cores < 5: bad core */
                             "halt",
                             NULL};
  uint64_t regs[16][32];
  sc_trap first_trap;
  static const unsigned counts[] = {1, 2, 5, 16, 40};
  for (size_t t = 0; t < sizeof counts / sizeof counts[0]; t++) {
    sc_sim_options opt = {.threads = counts[t]};
    sc_sim *sim;
    assert_int_equal(sc_sim_create(sc1, &opt, &sim), SC_STATUS_OK);
    for (uint32_t c = 0; c < 16; c++) load(sim, c, ring);
    run_ok(sim);
    for (uint32_t c = 0; c < 16; c++)
      for (unsigned r = 0; r < 32; r++) {
        if (t == 0) regs[c][r] = sc_sim_reg(sim, c, r);
        assert_int_equal(sc_sim_reg(sim, c, r), regs[c][r]);
      }
    for (uint32_t c = 0; c < 16; c++) load(sim, c, two_traps);
    const sc_trap *trap = run_trap(sim, SC_TRAP_BAD_CORE);
    assert_int_equal(trap->core, 0); /* the lowest-numbered core's trap wins */
    if (t == 0) first_trap = *trap;
    assert_memory_equal(trap, &first_trap, sizeof *trap);
    sc_sim_destroy(sim);
  }
}

static void test_same_results_every_run(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  const char *prog[] = {"li x1, 3", "li x2, 7", "mul x3, x1, x2", "halt", NULL};
  load(sim, 2, prog);
  run_ok(sim);
  uint64_t first = sc_sim_reg(sim, 2, 3);
  run_ok(sim);
  assert_int_equal(sc_sim_reg(sim, 2, 3), first);
  assert_int_equal(first, 21);
  sc_sim_destroy(sim);
}

/* ---- traps: every kind the core raises, with its report ---- */

static void test_trap_illegal_and_pc(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  uint64_t zero = 0;
  assert_int_equal(sc_sim_set_code(sim, 3, &zero, 1), SC_STATUS_OK);
  const sc_trap *t = run_trap(sim, SC_TRAP_ILLEGAL_INSTRUCTION);
  assert_int_equal(t->core, 3);
  assert_int_equal(t->pc, 0);
  assert_non_null(strstr(t->insn, ".word"));
  assert_int_equal(sc_sim_set_code(sim, 3, NULL, 0), SC_STATUS_OK);

  const char *nohalt[] = {"li x1, 1", "li x2, 2", NULL};
  load(sim, 1, nohalt);
  t = run_trap(sim, SC_TRAP_PC_OUT_OF_RANGE);
  assert_int_equal(t->core, 1);
  assert_int_equal(t->pc, 2);
  assert_non_null(strstr(t->detail, "missing halt"));

  const char *wild[] = {"beq x0, x0, -5", NULL};
  load(sim, 1, wild);
  t = run_trap(sim, SC_TRAP_PC_OUT_OF_RANGE);
  assert_non_null(strstr(t->insn, "beq"));
  assert_non_null(strstr(t->detail, "-5"));

  const char *q3[] = {"li x10, 1", "dma.1d sram[x0]:int8, sram[x0]:int8, x10, x0, q3", "halt",
                      NULL};
  load(sim, 1, q3);
  t = run_trap(sim, SC_TRAP_ILLEGAL_INSTRUCTION);
  assert_non_null(strstr(t->detail, "has 2"));
  sc_sim_destroy(sim);
}

static void test_trap_memory(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  assert_int_equal(sc_sim_map(sim, 4096, 64), SC_STATUS_OK);
  const char *oob[] = {"li x1, 4096", "li x10, 17",
                       "dma.1d sram[x0]:fp32, hbm[x1]:fp32, x10, x0, q0", "halt", NULL};
  load(sim, 0, oob);
  const sc_trap *t = run_trap(sim, SC_TRAP_OUT_OF_BOUNDS);
  assert_int_equal(t->engine, SC_ISA_ENGINE_DMA);
  assert_int_equal(t->pc, 2);
  assert_non_null(strstr(t->insn, "dma.1d"));
  assert_non_null(strstr(t->detail, "0x1000, +68"));

  const char *sram_end[] = {"li x1, 16777215", "li x10, 2",
                            "dma.1d sram[x1]:int8, sram[x0]:int8, x10, x0, q0", "halt", NULL};
  load(sim, 0, sram_end);
  t = run_trap(sim, SC_TRAP_OUT_OF_BOUNDS);
  assert_non_null(strstr(t->detail, "sram"));

  const char *mis[] = {"li x1, 2", "li x10, 1", "dma.1d sram[x1]:fp32, sram[x0]:fp32, x10, x0, q0",
                       "halt", NULL};
  load(sim, 0, mis);
  t = run_trap(sim, SC_TRAP_MISALIGNED);
  assert_non_null(strstr(t->detail, "0x2"));

  const char *core[] = {"li x3, 99", "sync.signal x3, s0, 1", "halt", NULL};
  load(sim, 0, core);
  t = run_trap(sim, SC_TRAP_BAD_CORE);
  assert_non_null(strstr(t->detail, "99"));

  const char *rcore[] = {"li x3, 16", "li x10, 1",
                         "dma.1d remote[x0]:int8, sram[x0]:int8, x10, x3, q0", "halt", NULL};
  load(sim, 0, rcore);
  run_trap(sim, SC_TRAP_BAD_CORE);
  sc_sim_destroy(sim);
}

static void test_trap_deadlock_and_watchdog(void **state) {
  (void)state;
  sc_sim *sim = new_sim(10000);
  const char *stuck[] = {"sync.wait s4, 1", "halt", NULL};
  load(sim, 7, stuck);
  const sc_trap *t = run_trap(sim, SC_TRAP_DEADLOCK);
  assert_int_equal(t->core, 7);
  assert_int_equal(sc_sim_set_code(sim, 7, NULL, 0), SC_STATUS_OK);

  /* A queued op waits on a semaphore nobody signals. */
  const char *queued[] = {"li x10, 1", "dma.1d sram[x0]:int8, sram[x0]:int8, x10, x0, q1 @wait(s9)",
                          "halt", NULL};
  load(sim, 2, queued);
  t = run_trap(sim, SC_TRAP_DEADLOCK);
  assert_int_equal(t->core, 2);
  assert_int_equal(t->pc, 1);
  assert_int_equal(t->engine, SC_ISA_ENGINE_DMA);
  assert_non_null(strstr(t->detail, "s9"));
  assert_int_equal(sc_sim_set_code(sim, 2, NULL, 0), SC_STATUS_OK);

  /* Two cores at different barriers' counts: core 0 waits at a barrier while
   * core 1 waits on a semaphore: nobody can move. */
  const char *b0[] = {"sync.barrier", "halt", NULL};
  const char *b1[] = {"sync.wait s0, 1", "sync.barrier", "halt", NULL};
  load(sim, 0, b0);
  load(sim, 1, b1);
  run_trap(sim, SC_TRAP_DEADLOCK);
  assert_int_equal(sc_sim_set_code(sim, 0, NULL, 0), SC_STATUS_OK);
  assert_int_equal(sc_sim_set_code(sim, 1, NULL, 0), SC_STATUS_OK);

  const char *spin[] = {"addi x1, x1, 1", "beq x0, x0, -1", "halt", NULL};
  load(sim, 0, spin);
  t = run_trap(sim, SC_TRAP_WATCHDOG);
  assert_non_null(strstr(t->detail, "10000"));
  sc_sim_destroy(sim);
}

static void test_api_errors(void **state) {
  (void)state;
  sc_sim *sim = new_sim(0);
  uint8_t b[8] = {0};
  assert_int_equal(sc_sim_write(sim, 0, b, 8), SC_STATUS_INVALID);
  assert_non_null(strstr(sc_sim_errmsg(sim), "not mapped"));
  assert_int_equal(sc_sim_set_code(sim, 16, NULL, 0), SC_STATUS_INVALID);
  assert_int_equal(sc_sim_read_sram(sim, 0, 16777216 - 4, b, 8), SC_STATUS_INVALID);
  assert_int_equal(sc_sim_map(sim, sc1->memory.capacity_bytes - 8, 16), SC_STATUS_INVALID);
  uint64_t addr;
  assert_int_equal(sc_sim_alloc(sim, 100, 64, &addr), SC_STATUS_OK);
  assert_int_equal(addr, 0);
  assert_int_equal(sc_sim_unmap(sim, addr), SC_STATUS_OK);
  /* A clean run of a chip with no code at all. */
  run_ok(sim);
  assert_int_equal(sc_sim_trap(sim)->cause, SC_TRAP_NONE);
  assert_string_equal(sc_trap_cause_str(SC_TRAP_DEADLOCK),
                      "semaphore deadlock: every engine is waiting");
  sc_sim_destroy(sim);
  sc_sim_destroy(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_register_ops),
      cmocka_unit_test(test_immediates_and_x0),
      cmocka_unit_test(test_branches_and_calls),
      cmocka_unit_test(test_dma_hbm_sram_round_trip),
      cmocka_unit_test(test_dma_3d_raw_and_nan_payloads),
      cmocka_unit_test(test_dma_overlapping_copy),
      cmocka_unit_test(test_dma_int_conversions),
      cmocka_unit_test(test_remote_copy_and_signals),
      cmocka_unit_test(test_barrier_and_fence),
      cmocka_unit_test(test_nop_wait_and_signal),
      cmocka_unit_test(test_thread_counts_agree),
      cmocka_unit_test(test_same_results_every_run),
      cmocka_unit_test(test_trap_illegal_and_pc),
      cmocka_unit_test(test_trap_memory),
      cmocka_unit_test(test_trap_deadlock_and_watchdog),
      cmocka_unit_test(test_api_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
