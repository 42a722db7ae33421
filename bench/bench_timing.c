/* bench_timing.c: how fast the timing-only mode simulates, in simulated
 * cycles and simulated instructions per second of one host core, on a large
 * tiled GEMM across the 16 cores of SC1. The baseline, measured in the same
 * run on the same program (fewer tiles), is the timed mode, which also
 * computes every bit. The goal for the timing-only mode is 1e8 simulated
 * cycles per wall second.
 *
 * The program (the scheme of examples/asm/wstream.sasm): every core multiplies
 * M activation rows held in its SRAM by T weight tiles of 128 x 128 bf16
 * streamed from device memory through four SRAM buffers on two DMA engines,
 * accumulating C (M x 128); together the cores compute an
 * M x (T * 128) x (16 * 128) GEMM.
 *
 *   bench_timing [--quick | --no-baseline]
 *     --quick: a small run that only checks it works
 *     --no-baseline: the timing-only run alone (for profiling the simulator) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seedchip/asm.h"
#include "seedchip/sim.h"
#include "seedchip/util.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The GEMM program for T tiles of M rows per core. */
static sc_program *gemm_program(unsigned m, unsigned t) {
  sc_strbuf s = {0}, diags = {0};
  sc_strbuf_printf(&s,
                   ".arch sc1\n"
                   ".const M = %u\n.const T = %u\n"
                   ".const TILE = 128 * 128 * 2\n.const WB = 0x100000\n"
                   ".const SLICE = T * TILE\n.const QUADS = T / 4\n"
                   ".buffer W input bf16 [16 * T * 128, 128] @ 0x0\n"
                   ".core 0-15\n"
                   "  csrr x1, core_id\n"
                   "  li x10, 16384\n  li x26, 128\n  li x27, 128\n  li x28, 256\n"
                   "  li x5, M\n  li x6, 256\n  li x7, 512\n  li x9, TILE\n"
                   "  li x11, WB\n  add x12, x11, x9\n  add x13, x12, x9\n  add x14, x13, x9\n"
                   "  li x4, SLICE\n  mul x4, x1, x4\n  addi x4, x4, W\n  li x31, 0\n",
                   m, t);
  for (int b = 0; b < 4; b++) sc_strbuf_printf(&s, "  sync.signal x1, s%d, 1\n", 4 + b);
  sc_strbuf_printf(&s, "  li x20, 0\n  li x21, QUADS\nloop:\n");
  for (int b = 0; b < 4; b++)
    sc_strbuf_printf(&s,
                     "  dma.1d sram[x%d]:bf16, hbm[x4]:bf16, x10, x0, q%d @wait(s%d) @signal(s%d)\n"
                     "  add x4, x4, x9\n",
                     11 + b, b % 2, 4 + b, b);
  for (int b = 0; b < 4; b++)
    sc_strbuf_printf(&s,
                     "  mxu.ldw sram[x%d]:bf16, x26..x28, kn @wait(s%d) @signal(s%d)\n"
                     "  mxu.mm acc[x31], sram[x0]:bf16, x5..x7, accumulate\n",
                     11 + b, b, 4 + b);
  sc_strbuf_printf(&s,
                   "  addi x20, x20, 1\n  blt x20, x21, loop\n"
                   "  li x10, M\n  li x11, 128\n  li x12, 512\n  li x13, 512\n  li x9, 0x200000\n"
                   "  mxu.drain sram[x9]:fp32, acc[x31]:fp32, x10..x13\n"
                   "  sync.fence all\n  halt\n");
  sc_program *prog = NULL;
  if (s.oom ||
      sc_asm_assemble(s.data, s.len, "bench_timing", NULL, &prog, &diags) != SC_STATUS_OK) {
    fprintf(stderr, "bench_timing: %s\n", sc_strbuf_str(&diags));
    exit(1);
  }
  sc_strbuf_free(&s);
  sc_strbuf_free(&diags);
  return prog;
}

typedef struct result {
  double secs, cycles, insns;
} result;

/* Runs the program in mode; the best of `reps` runs. */
static result measure(const sc_arch *arch, sc_program *prog, sc_sim_mode mode, int reps) {
  sc_sim *sim;
  sc_sim_options opt = {.mode = mode};
  if (sc_sim_create(arch, &opt, &sim) != SC_STATUS_OK) exit(1);
  for (uint32_t c = 0; c < sc_prog_core_count(prog); c++) {
    size_t n;
    const uint64_t *code = sc_prog_code(prog, c, &n);
    if (sc_sim_set_code(sim, c, code, n) != SC_STATUS_OK) exit(1);
  }
  if (mode != SC_SIM_TIMING_ONLY) { /* the timed mode needs the weights mapped */
    const sc_prog_buffer *w = sc_prog_buffer_at(prog, 0);
    if (sc_sim_map(sim, w->addr, w->size_bytes) != SC_STATUS_OK) exit(1);
  }
  result best = {0};
  for (int r = 0; r < reps; r++) {
    double t0 = now_s();
    if (sc_sim_run(sim) != SC_STATUS_OK) {
      fprintf(stderr, "bench_timing: %s\n", sc_sim_errmsg(sim));
      exit(1);
    }
    double dt = now_s() - t0;
    if (r == 0 || dt < best.secs) best.secs = dt;
    best.cycles = (double)sc_sim_profile(sim)->cycles;
    best.insns = 0;
    for (uint32_t c = 0; c < arch->cores.count; c++)
      best.insns += (double)sc_sim_counter(sim, c, SC_ISA_EVENT_ISSUED);
  }
  sc_sim_destroy(sim);
  return best;
}

int main(int argc, char **argv) {
  bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  bool baseline = !(argc > 1 && strcmp(argv[1], "--no-baseline") == 0);
  sc_arch *arch;
  if (sc_arch_load("sc1", &arch, NULL) != SC_STATUS_OK) return 1;
  const unsigned m = 2048, t_big = quick ? 8 : 1024, t_small = quick ? 4 : 8;
  sc_program *big = gemm_program(m, t_big), *small = gemm_program(m, t_small);
  result to = measure(arch, big, SC_SIM_TIMING_ONLY, quick ? 1 : 3);
  result tm = baseline ? measure(arch, small, SC_SIM_TIMED, 1) : (result){1, 1, 1};
  double rate = to.cycles / to.secs, base = tm.cycles / tm.secs;
  printf("timing-only simulation speed, SC1, 16 cores, GEMM %u x %u x %u bf16, one host thread\n",
         m, t_big * 128, 16 * 128);
  printf("  timing-only: %.0f cycles (%.3f ms at the chip clock), %.0f instructions in %.3f s\n",
         to.cycles, to.cycles / (arch->clock_ghz * 1e6), to.insns, to.secs);
  printf("               %.3g simulated cycles/s, %.3g simulated instructions/s\n", rate,
         to.insns / to.secs);
  printf("  baseline, timed mode (data too), %u tiles: %.0f cycles in %.3f s = %.3g cycles/s\n",
         t_small, tm.cycles, tm.secs, base);
  printf("  timing-only / timed: %.1fx\n", rate / base);
  printf("  goal >= 1e8 simulated cycles/s: %s (%.3g)\n", rate >= 1e8 ? "met" : "MISSED", rate);
  sc_prog_destroy(big);
  sc_prog_destroy(small);
  sc_arch_destroy(arch);
  return 0;
}
