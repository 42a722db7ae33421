/* bench_sim_mxu.c: how fast the functional simulator does MXU work, in
 * simulated multiply-accumulates per second of one host core, next to a plain C
 * loop doing the same arithmetic (same dtypes, same rounding, same order) in the
 * same run. The goal for the simulator is 1e9 MAC/s per host core.
 *
 * The program: one core loads a 128 x 128 weight tile and streams M rows through
 * it R times (mxu.mm accumulate), for bf16 and for int8.
 *
 *   bench_sim_mxu [--quick]      (--quick: a small run that only checks it works) */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seedchip/arch.h"
#include "seedchip/isa.h"
#include "seedchip/num.h"
#include "seedchip/sim.h"

enum { KT = 128, NT = 128 };

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t enc(const char *line) {
  sc_insn in;
  size_t col;
  char err[200];
  uint64_t w = 0;
  if (sc_isa_parse(line, strlen(line), &in, NULL, NULL, &col, err, sizeof err) != SC_STATUS_OK ||
      sc_isa_encode(&in, &w, err, sizeof err) != SC_STATUS_OK) {
    fprintf(stderr, "bench: '%s': %s\n", line, err);
    exit(1);
  }
  return w;
}

/* Simulated MAC/s for M x 128 x 128 matmuls repeated reps times. */
static double sim_rate(const sc_arch *arch, const char *dt, unsigned elem, uint64_t m,
                       uint64_t reps, double *secs) {
  char l[8][160];
  snprintf(l[0], sizeof l[0], "li x1, %u", KT);
  snprintf(l[1], sizeof l[1], "li x2, %u", NT);
  snprintf(l[2], sizeof l[2], "li x3, %u", NT * elem);
  snprintf(l[3], sizeof l[3], "li x4, %llu", (unsigned long long)m);
  snprintf(l[4], sizeof l[4], "li x5, %u", KT * elem);
  snprintf(l[5], sizeof l[5], "li x6, %u", NT * 4);
  snprintf(l[6], sizeof l[6], "li x7, %u", 65536); /* activations after the tile */
  snprintf(l[7], sizeof l[7], "mxu.ldw sram[x0]:%s, x1..x3, kn", dt);
  uint64_t code[16];
  size_t n = 0;
  for (int i = 0; i < 8; i++) code[n++] = enc(l[i]);
  char mm[160];
  snprintf(mm, sizeof mm, "mxu.mm acc[x0], sram[x7]:%s, x4..x6, accumulate", dt);
  code[n++] = enc(mm);
  /* loop: x8 counts repetitions */
  snprintf(l[0], sizeof l[0], "li x9, %llu", (unsigned long long)reps);
  code[n++] = enc(l[0]);
  code[n++] = enc("addi x8, x8, 1");
  code[n++] = enc(mm);
  code[n++] = enc("blt x8, x9, -2");
  code[n++] = enc("halt");
  sc_sim *sim;
  if (sc_sim_create(arch, NULL, &sim) != SC_STATUS_OK || sc_sim_set_code(sim, 0, code, n)) {
    fprintf(stderr, "bench: cannot create the simulator\n");
    exit(1);
  }
  /* Activations: deterministic values, in range for both dtypes. */
  uint64_t bytes = 65536 + m * KT * elem;
  uint8_t *sram = malloc(bytes);
  for (uint64_t i = 0; i < bytes; i++) sram[i] = (uint8_t)((i * 37) ^ (i >> 7));
  if (elem == 2)
    for (uint64_t i = 0; i < bytes / 2; i++) /* finite bf16: clear the top exponent bit */
      sram[2 * i + 1] &= 0x3f;
  if (sc_sim_write_sram(sim, 0, 0, sram, bytes) != SC_STATUS_OK) exit(1);
  free(sram);
  double t0 = now_s();
  if (sc_sim_run(sim) != SC_STATUS_OK) {
    fprintf(stderr, "bench: %s\n", sc_sim_errmsg(sim));
    exit(1);
  }
  *secs = now_s() - t0;
  uint64_t macs = sc_sim_counter(sim, 0, SC_ISA_EVENT_MXU_MACS);
  sc_sim_destroy(sim);
  return (double)macs / *secs;
}

/* The same arithmetic as a plain C loop: acc (M, N) += a (M, K) @ w (K, N), one
 * FP32 rounding per product and per sum, k ascending. */
static double c_rate_bf16(uint64_t m, uint64_t reps, float *sink) {
  float *a = malloc(m * KT * 4), *w = malloc(KT * NT * 4), *acc = calloc(m * NT, 4);
  for (uint64_t i = 0; i < m * KT; i++) a[i] = sc_bf16_to_f32((uint16_t)(i * 37 & 0x3fff));
  for (uint64_t i = 0; i < KT * NT; i++) w[i] = sc_bf16_to_f32((uint16_t)(i * 11 & 0x3fff));
  double t0 = now_s();
  for (uint64_t r = 0; r < reps; r++)
    for (uint64_t i = 0; i < m; i++)
      for (uint64_t n = 0; n < NT; n++) {
        float s = acc[i * NT + n];
        for (uint64_t k = 0; k < KT; k++) s = s + a[i * KT + k] * w[k * NT + n];
        acc[i * NT + n] = s;
      }
  double dt = now_s() - t0;
  *sink += acc[m * NT / 2];
  free(a), free(w), free(acc);
  return (double)(m * KT * NT * reps) / dt;
}

static double c_rate_int8(uint64_t m, uint64_t reps, float *sink) {
  int8_t *a = malloc(m * KT), *w = malloc(KT * NT);
  uint32_t *acc = calloc(m * NT, 4);
  for (uint64_t i = 0; i < m * KT; i++) a[i] = (int8_t)(i * 37);
  for (uint64_t i = 0; i < KT * NT; i++) w[i] = (int8_t)(i * 11);
  double t0 = now_s();
  for (uint64_t r = 0; r < reps; r++)
    for (uint64_t i = 0; i < m; i++)
      for (uint64_t n = 0; n < NT; n++) {
        uint32_t s = acc[i * NT + n];
        for (uint64_t k = 0; k < KT; k++)
          s += (uint32_t)((int32_t)a[i * KT + k] * (int32_t)w[k * NT + n]);
        acc[i * NT + n] = s;
      }
  double dt = now_s() - t0;
  *sink += (float)acc[m * NT / 2];
  free(a), free(w), free(acc);
  return (double)(m * KT * NT * reps) / dt;
}

int main(int argc, char **argv) {
  bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  sc_arch *arch;
  if (sc_arch_load("sc1", &arch, NULL) != SC_STATUS_OK) return 1;
  uint64_t m = quick ? 16 : 512, reps = quick ? 2 : 64;
  float sink = 0;
  printf("bench_sim_mxu: mxu.mm of %llu x %d x %d, %llu times, one host core\n",
         (unsigned long long)m, KT, NT, (unsigned long long)reps);
  printf("%-6s %16s %16s %8s %10s\n", "dtype", "simulator MAC/s", "plain C MAC/s", "ratio",
         "goal 1e9");
  struct {
    const char *dt;
    unsigned elem;
    double (*baseline)(uint64_t, uint64_t, float *);
  } cases[] = {{"bf16", 2, c_rate_bf16}, {"int8", 1, c_rate_int8}};
  for (size_t i = 0; i < 2; i++) {
    double secs, sim = sim_rate(arch, cases[i].dt, cases[i].elem, m, reps, &secs);
    double base = cases[i].baseline(m, reps, &sink);
    printf("%-6s %16.3e %16.3e %8.2f %10s\n", cases[i].dt, sim, base, sim / base,
           sim >= 1e9 ? "met" : "MISSED");
  }
  if (sink == 12345.0f) printf("\n"); /* keeps the baselines from being optimised away */
  sc_arch_destroy(arch);
  return 0;
}
