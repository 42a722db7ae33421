/* test_perf.c: the perf layer on hand-built profiles of a 2-core run on sc1.
 * Summary figures are checked against values computed here from the published
 * SC1 numbers (not from sc_arch_derive); the text's rankings against orders
 * worked out by hand; the trace by parsing it with cJSON (event counts, times,
 * metadata, and the bandwidth counter integrating back to the bytes moved);
 * the HTML for its plots, its escaping and the absence of external resources;
 * the timeline's binning (overlapping ops count once, bytes are conserved);
 * and malformed profiles are errors. */
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

#include "perf_int.h"
#include "seedchip/isa.h"
#include "seedchip/perf.h"

/* SC1: 16 cores x 128 x 128 PEs x 1.6 GHz x 2 ops per MAC; FP8 at 2 MACs/PE/cycle. */
#define SC1_BF16_PEAK (16.0 * 128 * 128 * 1.6e9 * 2)
#define SC1_FP8_PEAK (2 * SC1_BF16_PEAK)
#define SC1_MEM_PEAK (96 * 80e9) /* channels x channel peak */
#define SC1_MEM_EFF 6000e9

static sc_arch *load_sc1(void) {
  sc_arch *a = NULL;
  sc_strbuf err = {0};
  sc_status st = sc_arch_load("sc1", &a, &err);
  if (st != SC_STATUS_OK) fprintf(stderr, "%s", sc_strbuf_str(&err));
  assert_int_equal(st, SC_STATUS_OK);
  sc_strbuf_free(&err);
  return a;
}

static void assert_close(double got, double want, double rel) {
  if (fabs(got - want) > rel * fabs(want)) {
    fprintf(stderr, "got %.17g, want %.17g (rel %g)\n", got, want, rel);
    fail();
  }
}

/* ---- hand-built profiles ---------------------------------------------------- */

enum { N_CORES = 2 };

typedef struct fixture {
  sc_profile p;
  sc_prof_unit units[N_CORES][SC_UNIT_COUNT];
  uint64_t core_end[N_CORES];
  uint64_t code0[5], code1[3];
  uint64_t *pc_cycles[N_CORES];
  size_t n_code[N_CORES];
  sc_prof_op ops[8];
} fixture;

/* A bare 2-core profile of 1e6 cycles at 1.6 GHz (625 us). */
static void init_bare(fixture *f) {
  memset(f, 0, sizeof *f);
  f->p.cycles = 1000000;
  f->p.clock_ghz = 1.6;
  f->p.n_cores = N_CORES;
  f->p.units = f->units;
  f->p.core_end = f->core_end;
}

/* Lost cycles by hand, ranked: bandwidth 5000, sem_wait 1000 + 3000, barrier 2500,
 * fence 2500 (a tie: reason.def order), mxu_pipeline 1200, dma_setup 640.
 * Source ops: matmul_1 5000, softmax 800, gemm.sasm:10 100 + 200 + 300 = 600,
 * no debug info 70 + 40 = 110; 6510 in all. */
static void init_rich(fixture *f) {
  init_bare(f);
  sc_prof_unit(*u)[SC_UNIT_COUNT] = f->units;
  u[0][SC_UNIT_SCALAR] = (sc_prof_unit){.ops = 100, .busy = 20000};
  u[0][SC_UNIT_SCALAR].reason[SC_REASON_BARRIER] = 2500;
  u[1][SC_UNIT_SCALAR] = (sc_prof_unit){.ops = 90, .busy = 18000};
  u[1][SC_UNIT_SCALAR].reason[SC_REASON_FENCE] = 2500;
  u[0][SC_UNIT_DMA0] = (sc_prof_unit){.ops = 10, .busy = 500000};
  u[0][SC_UNIT_DMA0].reason[SC_REASON_BANDWIDTH] = 5000;
  u[0][SC_UNIT_DMA0].reason[SC_REASON_DMA_SETUP] = 640;
  u[1][SC_UNIT_DMA1] = (sc_prof_unit){.ops = 8, .busy = 300000};
  u[1][SC_UNIT_DMA1].reason[SC_REASON_SEM_WAIT] = 1000;
  u[0][SC_UNIT_MXU] = (sc_prof_unit){.ops = 40, .busy = 400000};
  u[0][SC_UNIT_MXU].reason[SC_REASON_SEM_WAIT] = 3000;
  u[0][SC_UNIT_MXU].reason[SC_REASON_MXU_PIPELINE] = 1200;
  u[1][SC_UNIT_VPU] = (sc_prof_unit){.ops = 30, .busy = 100000};
  f->core_end[0] = 1000000;
  f->core_end[1] = 900000;

  f->p.actions.macs[SC_DTYPE_BF16] = 3000000000ull;
  f->p.actions.mem_rd_bytes = 200000000;
  f->p.actions.mem_wr_bytes = 100000000;
  const double pj[SC_ENERGY_COUNT] = {900e3, 100e3, 400e3, 50e3, 2e6, 150e3, 62.5e6};
  memcpy(f->p.energy_pj, pj, sizeof pj);

  const uint64_t c0[5] = {100, 200, 5000, 70, 0}, c1[3] = {300, 800, 40};
  memcpy(f->code0, c0, sizeof c0);
  memcpy(f->code1, c1, sizeof c1);
  f->pc_cycles[0] = f->code0;
  f->pc_cycles[1] = f->code1;
  f->n_code[0] = 5;
  f->n_code[1] = 3;
  f->p.pc_cycles = f->pc_cycles;
  f->p.n_code = f->n_code;
}

/* Op intervals of the rich profile, in completion order; 1,600,064 device bytes. */
static void add_ops(fixture *f) {
  f->p.cycles = 100000;
  const sc_prof_op ops[] = {
      {0, SC_UNIT_SCALAR, SC_OP_ADD, 0, 0, 10, 0},
      {1, SC_UNIT_VPU, SC_OP_VPU_MOV, 4, 200, 300, 0},
      {1, SC_UNIT_DMA0, SC_OP_DMA_1D, 2, 400, 400, 64}, /* instantaneous */
      {1, SC_UNIT_DMA1, SC_OP_DMA_2D, 2, 100, 30100, 600000},
      {0, SC_UNIT_DMA0, SC_OP_DMA_1D, 1, 10, 50010, 1000000},
      {0, SC_UNIT_MXU, SC_OP_MXU_MM, 3, 50010, 90010, 0},
  };
  memcpy(f->ops, ops, sizeof ops);
  f->p.ops = f->ops;
  f->p.n_ops = SC_ARRAY_LEN(ops);
}

static sc_program *make_prog(void) {
  sc_program *prog = NULL;
  assert_int_equal(sc_prog_create("sc1", 0, &prog), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(prog, 0, 0, "gemm.sasm", 10, 3), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(prog, 0, 1, "gemm.sasm", 10, 9), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(prog, 0, 2, "matmul_1", 0, 0), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(prog, 1, 0, "gemm.sasm", 10, 3), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(prog, 1, 1, "softmax", 0, 0), SC_STATUS_OK);
  return prog;
}

/* ---- names and summary -------------------------------------------------------- */

static void test_names(void **state) {
  (void)state;
  assert_string_equal(sc_unit_name(SC_UNIT_SCALAR), "scalar");
  assert_string_equal(sc_unit_name(SC_UNIT_DMA2), "dma2");
  assert_string_equal(sc_unit_name(SC_UNIT_VPU), "vpu");
  assert_string_equal(sc_unit_name(SC_UNIT_COUNT), "?");
  assert_string_equal(sc_reason_key(SC_REASON_SEM_WAIT), "sem_wait");
  assert_string_equal(sc_reason_key(SC_REASON_MXU_PIPELINE), "mxu_pipeline");
  assert_string_equal(sc_reason_key(SC_REASON_COUNT), "?");
  assert_string_equal(sc_reason_doc(SC_REASON_COUNT), "?");
  for (int r = 0; r < SC_REASON_COUNT; r++) {
    assert_true(strlen(sc_reason_doc((sc_reason)r)) > 10);
    for (int q = 0; q < r; q++)
      assert_true(strcmp(sc_reason_key((sc_reason)r), sc_reason_key((sc_reason)q)) != 0);
  }
  assert_string_equal(sc_energy_name(SC_ENERGY_MXU), "mxu");
  assert_string_equal(sc_energy_name(SC_ENERGY_STATIC), "static");
  assert_string_equal(sc_energy_name(SC_ENERGY_COUNT), "?");
}

static void test_summary_bf16(void **state) {
  (void)state;
  sc_arch *a = load_sc1();
  fixture f;
  init_rich(&f);
  sc_prof_summary s;
  sc_perf_summarize(&f.p, a, &s);
  assert_close(s.seconds, 625e-6, 1e-12); /* 1e6 cycles at 1.6 GHz */
  double joules = (900e3 + 100e3 + 400e3 + 50e3 + 2e6 + 150e3 + 62.5e6) * 1e-12;
  assert_close(s.energy_j, joules, 1e-12);
  assert_close(s.avg_power_w, joules / 625e-6, 1e-12);
  assert_close(s.flops, 6e9, 0);
  assert_close(s.achieved_flop_s, 6e9 / 625e-6, 1e-12);
  assert_close(s.peak_flop_s, SC1_BF16_PEAK, 1e-12); /* bf16 only: the bf16 peak */
  assert_close(s.mxu_utilization, 9.6e12 / SC1_BF16_PEAK, 1e-12);
  assert_close(s.mem_bytes, 3e8, 0);
  assert_close(s.achieved_mem_b_s, 4.8e11, 1e-12);
  assert_close(s.mem_peak_b_s, SC1_MEM_PEAK, 1e-12);
  assert_close(s.mem_effective_b_s, SC1_MEM_EFF, 1e-12);
  assert_close(s.mem_utilization, 0.0625, 1e-12);
  assert_close(s.arithmetic_intensity, 20, 1e-12);
  sc_arch_destroy(a);
}

static void test_summary_mix(void **state) {
  (void)state;
  sc_arch *a = load_sc1();
  fixture f;
  init_bare(&f);
  /* 1e9 bf16 + 3e9 fp8 MACs: time at peak 2e9/P + 6e9/(2P) = 5e9/P for 8e9 FLOP,
   * so the mix's peak is 1.6 P. */
  f.p.actions.macs[SC_DTYPE_BF16] = 1000000000;
  f.p.actions.macs[SC_DTYPE_FP8_E4M3] = 3000000000;
  sc_prof_summary s;
  sc_perf_summarize(&f.p, a, &s);
  assert_close(s.flops, 8e9, 0);
  assert_close(s.peak_flop_s, 1.6 * SC1_BF16_PEAK, 1e-12);
  assert_close(s.peak_flop_s, 8e9 / (2e9 / SC1_BF16_PEAK + 6e9 / SC1_FP8_PEAK), 1e-12);
  assert_close(s.mxu_utilization, 8e9 / 625e-6 / (1.6 * SC1_BF16_PEAK), 1e-12);
  assert_true(s.mem_bytes == 0 && s.arithmetic_intensity == 0 && s.mem_utilization == 0);
  assert_true(s.energy_j == 0 && s.avg_power_w == 0);

  /* No MACs: no peak, no utilization; MACs of a dtype the MXU lacks (int32): no peak. */
  init_bare(&f);
  sc_perf_summarize(&f.p, a, &s);
  assert_true(s.flops == 0 && s.peak_flop_s == 0 && s.mxu_utilization == 0);
  f.p.actions.macs[SC_DTYPE_BF16] = 10;
  f.p.actions.macs[SC_DTYPE_INT32] = 10;
  sc_perf_summarize(&f.p, a, &s);
  assert_true(s.flops == 40 && s.peak_flop_s == 0 && s.mxu_utilization == 0);

  /* Zero cycles: no rates. A profile without its clock uses the arch's. */
  init_bare(&f);
  f.p.cycles = 0;
  f.p.actions.macs[SC_DTYPE_BF16] = 10;
  sc_perf_summarize(&f.p, a, &s);
  assert_true(s.seconds == 0 && s.achieved_flop_s == 0 && s.mxu_utilization == 0);
  init_bare(&f);
  f.p.clock_ghz = 0;
  sc_perf_summarize(&f.p, a, &s);
  assert_close(s.seconds, 625e-6, 1e-12);
  sc_arch_destroy(a);
}

/* ---- text ------------------------------------------------------------------- */

/* The section of text starting at the line that begins with head, up to the
 * next blank line (a malloc'd copy). */
static char *section(const char *text, const char *head) {
  const char *s = strstr(text, head);
  assert_non_null(s);
  const char *e = strstr(s, "\n\n");
  size_t n = e ? (size_t)(e - s) + 1 : strlen(s);
  char *out = malloc(n + 1);
  assert_non_null(out);
  memcpy(out, s, n);
  out[n] = '\0';
  return out;
}

static void assert_lines_under_100(const char *text) {
  for (const char *s = text; *s;) {
    int cols = 0;
    for (; *s && *s != '\n'; s++) cols += ((unsigned char)*s & 0xc0) != 0x80;
    if (cols >= 100) {
      fprintf(stderr, "line of %d columns\n", cols);
      fail();
    }
    if (*s) s++;
  }
}

static void test_text(void **state) {
  (void)state;
  sc_arch *a = load_sc1();
  sc_program *prog = make_prog();
  fixture f;
  init_rich(&f);
  sc_strbuf out = {0};
  assert_int_equal(sc_perf_text(&f.p, a, prog, &out), SC_STATUS_OK);
  const char *t = sc_strbuf_str(&out);
  assert_lines_under_100(t);
  assert_non_null(strstr(t, "profile on sc1: 2 cores at 1.6 GHz\n"));
  assert_non_null(strstr(t, "1000000 cycles = 625.0 µs"));
  assert_non_null(strstr(t, "66.10 µJ"));              /* 66.1e6 pJ */
  assert_non_null(strstr(t, "TFLOP/s peak for bf16")); /* bf16 only */

  /* Engines: the two DMA engines of sc1, not dma2/dma3. */
  char *eng = section(t, "engines");
  assert_non_null(strstr(eng, "\n  dma0 "));
  assert_non_null(strstr(eng, "\n  dma1 "));
  assert_null(strstr(eng, "dma2"));
  assert_non_null(strstr(eng, "bandwidth 5000")); /* dma0's top reason */
  free(eng);

  /* Reasons, ranked with their cycles. */
  static const struct {
    const char *key;
    unsigned long long cycles;
  } want[] = {{"bandwidth", 5000}, {"sem_wait", 4000},     {"barrier", 2500},
              {"fence", 2500},     {"mxu_pipeline", 1200}, {"dma_setup", 640}};
  char *rs = section(t, "stall and overhead reasons");
  size_t n = 0;
  for (char *line = strtok(rs, "\n"); line; line = strtok(NULL, "\n")) {
    int rank;
    char key[32];
    unsigned long long cycles;
    if (sscanf(line, " %d %31s %llu", &rank, key, &cycles) != 3) continue;
    assert_true(n < SC_ARRAY_LEN(want));
    assert_int_equal(rank, (int)n + 1);
    assert_string_equal(key, want[n].key);
    assert_true(cycles == want[n].cycles);
    n++;
  }
  assert_int_equal(n, SC_ARRAY_LEN(want));
  free(rs);
  assert_non_null(strstr(t, sc_reason_doc(SC_REASON_SEM_WAIT)));

  /* Source ops, ranked; gemm.sasm:10 merges three instructions on two cores. */
  static const struct {
    const char *name;
    unsigned long long cycles, instrs;
  } want_src[] = {
      {"matmul_1", 5000, 1}, {"softmax", 800, 1}, {"gemm.sasm:10", 600, 3}, {"(no", 110, 2}};
  char *ss = section(t, "time by source op");
  n = 0;
  for (char *line = strtok(ss, "\n"); line; line = strtok(NULL, "\n")) {
    int rank;
    char name[64];
    unsigned long long cycles, instrs;
    double pct;
    int got = sscanf(line, " %d %63s", &rank, name);
    if (got != 2) continue;
    const char *rest = strstr(line, want_src[n].name) + strlen(want_src[n].name);
    if (n == 3) rest = strstr(line, "info)") + 5;
    assert_int_equal(sscanf(rest, " %llu %lf%% %llu", &cycles, &pct, &instrs), 3);
    assert_string_equal(name, want_src[n].name);
    assert_true(cycles == want_src[n].cycles);
    assert_true(instrs == want_src[n].instrs);
    assert_close(pct, round(1000.0 * (double)cycles / 6510) / 10, 1e-9);
    n++;
  }
  assert_int_equal(n, 4);
  free(ss);

  /* Without a program every instruction is "(no debug info)". */
  sc_strbuf out2 = {0};
  assert_int_equal(sc_perf_text(&f.p, a, NULL, &out2), SC_STATUS_OK);
  assert_non_null(strstr(sc_strbuf_str(&out2), "(no debug info)"));
  assert_null(strstr(sc_strbuf_str(&out2), "matmul_1"));
  assert_non_null(strstr(sc_strbuf_str(&out2), "6510"));

  /* A core without ops is idle. */
  fixture idle;
  init_rich(&idle);
  memset(idle.units[1], 0, sizeof idle.units[1]);
  sc_strbuf out3 = {0};
  assert_int_equal(sc_perf_text(&idle.p, a, prog, &out3), SC_STATUS_OK);
  assert_non_null(strstr(sc_strbuf_str(&out3), "profile on sc1: 2 cores (1 active) at 1.6 GHz"));
  sc_strbuf_free(&out3);

  /* Deterministic. */
  sc_strbuf again = {0};
  assert_int_equal(sc_perf_text(&f.p, a, prog, &again), SC_STATUS_OK);
  assert_string_equal(sc_strbuf_str(&again), t);

  sc_strbuf_free(&again);
  sc_strbuf_free(&out2);
  sc_strbuf_free(&out);
  sc_prog_destroy(prog);
  sc_arch_destroy(a);
}

/* ---- trace ------------------------------------------------------------------ */

static const char *meta_name(const cJSON *events, const char *kind, int pid, int tid) {
  const cJSON *e;
  cJSON_ArrayForEach(e, events) {
    const cJSON *ph = cJSON_GetObjectItem(e, "ph"), *name = cJSON_GetObjectItem(e, "name");
    if (strcmp(ph->valuestring, "M") != 0 || strcmp(name->valuestring, kind) != 0) continue;
    if (cJSON_GetObjectItem(e, "pid")->valueint != pid) continue;
    if (tid >= 0 && cJSON_GetObjectItem(e, "tid")->valueint != tid) continue;
    return cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "name")->valuestring;
  }
  return NULL;
}

static void test_trace(void **state) {
  (void)state;
  sc_arch *a = load_sc1();
  sc_program *prog = make_prog();
  fixture f;
  init_rich(&f);
  add_ops(&f);
  sc_strbuf out = {0};
  assert_int_equal(sc_perf_trace(&f.p, a, prog, &out), SC_STATUS_OK);
  cJSON *root = cJSON_Parse(sc_strbuf_str(&out));
  assert_non_null(root);
  const cJSON *events = cJSON_GetObjectItem(root, "traceEvents");
  assert_true(cJSON_IsArray(events));
  assert_string_equal(cJSON_GetObjectItem(root, "displayTimeUnit")->valuestring, "ns");
  const cJSON *other = cJSON_GetObjectItem(root, "otherData");
  assert_string_equal(cJSON_GetObjectItem(other, "arch")->valuestring, "sc1");
  assert_true(cJSON_GetObjectItem(other, "cycles")->valuedouble == 100000);

  /* Metadata: a process per core, a thread per unit sc1 has, the memory process. */
  assert_string_equal(meta_name(events, "process_name", 0, -1), "core 0");
  assert_string_equal(meta_name(events, "process_name", 1, -1), "core 1");
  assert_string_equal(meta_name(events, "process_name", 2, -1), "memory");
  for (int c = 0; c < N_CORES; c++) {
    assert_string_equal(meta_name(events, "thread_name", c, SC_UNIT_SCALAR), "scalar");
    assert_string_equal(meta_name(events, "thread_name", c, SC_UNIT_DMA0), "dma0");
    assert_string_equal(meta_name(events, "thread_name", c, SC_UNIT_DMA1), "dma1");
    assert_null(meta_name(events, "thread_name", c, SC_UNIT_DMA2));
    assert_string_equal(meta_name(events, "thread_name", c, SC_UNIT_MXU), "mxu");
    assert_string_equal(meta_name(events, "thread_name", c, SC_UNIT_VPU), "vpu");
  }

  /* One X event per op, at its time in microseconds (1600 cycles per us). */
  size_t n_x = 0, n_c = 0;
  double prev_ts = -1, prev_gb = 0, bytes = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, events) {
    const char *ph = cJSON_GetObjectItem(e, "ph")->valuestring;
    if (strcmp(ph, "X") == 0) {
      const sc_prof_op *op = &f.ops[n_x++];
      assert_true(n_x <= f.p.n_ops);
      assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring,
                          sc_isa_info_of(op->opcode)->mnemonic);
      assert_int_equal(cJSON_GetObjectItem(e, "pid")->valueint, op->core);
      assert_int_equal(cJSON_GetObjectItem(e, "tid")->valueint, op->unit);
      assert_close(cJSON_GetObjectItem(e, "ts")->valuedouble + 1, (double)op->start / 1600 + 1,
                   1e-9);
      assert_close(cJSON_GetObjectItem(e, "dur")->valuedouble + 1,
                   (double)(op->end - op->start) / 1600 + 1, 1e-9);
      const cJSON *args = cJSON_GetObjectItem(e, "args");
      assert_int_equal(cJSON_GetObjectItem(args, "pc")->valueint, op->pc);
      assert_true(cJSON_GetObjectItem(args, "cycles")->valuedouble ==
                  (double)(op->end - op->start));
      char src[64];
      perf_source_at(prog, op->core, op->pc, src, sizeof src);
      assert_string_equal(cJSON_GetObjectItem(args, "source")->valuestring, src);
    } else if (strcmp(ph, "C") == 0) {
      assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring, "memory bandwidth (GB/s)");
      assert_int_equal(cJSON_GetObjectItem(e, "pid")->valueint, N_CORES);
      double ts = cJSON_GetObjectItem(e, "ts")->valuedouble;
      double gb = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "GB/s")->valuedouble;
      if (n_c > 0) {
        assert_true(ts > prev_ts);
        bytes += prev_gb * 1e9 * (ts - prev_ts) * 1e-6;
      }
      prev_ts = ts;
      prev_gb = gb;
      n_c++;
    }
  }
  assert_int_equal(n_x, f.p.n_ops);
  /* Bins of cycles / 1000 = 100 cycles: 1000 samples and the closing one at the end. */
  assert_int_equal(n_c, 1001);
  assert_close(prev_ts, 100000 / 1600.0, 1e-12);
  assert_true(prev_gb == 0);
  assert_close(bytes, 1600064, 1e-7);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(events, 0), "ph")->valuestring, "M");
  cJSON_Delete(root);

  /* Without recorded ops: metadata and a note, no events. */
  init_rich(&f);
  sc_strbuf bare = {0};
  assert_int_equal(sc_perf_trace(&f.p, a, NULL, &bare), SC_STATUS_OK);
  root = cJSON_Parse(sc_strbuf_str(&bare));
  assert_non_null(root);
  events = cJSON_GetObjectItem(root, "traceEvents");
  assert_string_equal(meta_name(events, "process_name", 1, -1), "core 1");
  cJSON_ArrayForEach(e, events) {
    assert_string_equal(cJSON_GetObjectItem(e, "ph")->valuestring, "M");
  }
  assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "otherData"), "note"));
  cJSON_Delete(root);

  sc_strbuf_free(&bare);
  sc_strbuf_free(&out);
  sc_prog_destroy(prog);
  sc_arch_destroy(a);
}

/* Debug-map names are untrusted bytes: quotes, backslashes, control characters
 * and invalid UTF-8 still make valid JSON; markup stays text in the HTML. */
static void test_trace_escapes(void **state) {
  (void)state;
  sc_arch *a = load_sc1();
  sc_program *prog = NULL;
  assert_int_equal(sc_prog_create("sc1", 0, &prog), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(prog, 0, 1, "a\"b\\c\td\x01\xff\xc3\xa9", 0, 0), SC_STATUS_OK);
  fixture f;
  init_rich(&f);
  add_ops(&f);
  sc_strbuf out = {0};
  assert_int_equal(sc_perf_trace(&f.p, a, prog, &out), SC_STATUS_OK);
  cJSON *root = cJSON_Parse(sc_strbuf_str(&out));
  assert_non_null(root);
  const cJSON *e;
  int found = 0;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, "traceEvents")) {
    const cJSON *src = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "source");
    if (src && cJSON_GetObjectItem(e, "args") && cJSON_GetObjectItem(e, "pid")->valueint == 0 &&
        cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "pc")->valueint == 1) {
      assert_string_equal(src->valuestring, "a\"b\\c\td\x01\xef\xbf\xbd\xc3\xa9");
      found++;
    }
  }
  assert_int_equal(found, 1);
  cJSON_Delete(root);

  /* Markup in a name is text in the HTML; a long name is shortened in the text. */
  char long_name[201];
  memset(long_name, 'x', 200);
  long_name[195] = '\0'; /* "xx...x.sasm" */
  memcpy(long_name + 190, ".sasm", 5);
  assert_int_equal(sc_prog_add_debug(prog, 1, 1, "<script>alert(1)</script>", 0, 0), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(prog, 0, 2, long_name, 7, 1), SC_STATUS_OK);
  sc_strbuf html = {0}, text = {0};
  assert_int_equal(sc_perf_report(&f.p, a, prog, NULL, &html), SC_STATUS_OK);
  assert_null(strstr(sc_strbuf_str(&html), "<script"));
  assert_non_null(strstr(sc_strbuf_str(&html), "&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert_non_null(strstr(sc_strbuf_str(&html), long_name));
  assert_int_equal(sc_perf_text(&f.p, a, prog, &text), SC_STATUS_OK);
  assert_lines_under_100(sc_strbuf_str(&text));
  assert_non_null(strstr(sc_strbuf_str(&text), "  ...xxxxxxxxxx"));
  assert_non_null(strstr(sc_strbuf_str(&text), "xx.sasm:7 "));
  sc_strbuf_free(&text);
  sc_strbuf_free(&html);
  sc_strbuf_free(&out);
  sc_prog_destroy(prog);
  sc_arch_destroy(a);
}

/* ---- report ----------------------------------------------------------------- */

static size_t count(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

static void test_report(void **state) {
  (void)state;
  sc_arch *a = load_sc1();
  sc_program *prog = make_prog();
  fixture f;
  init_rich(&f);
  add_ops(&f);
  sc_strbuf out = {0};
  assert_int_equal(sc_perf_report(&f.p, a, prog, "GEMM <&> \"run\"", &out), SC_STATUS_OK);
  const char *h = sc_strbuf_str(&out);
  assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
  assert_non_null(strstr(h, "</html>\n"));
  /* The title, escaped, in <title> and <h1>. */
  assert_int_equal(count(h, "GEMM &lt;&amp;&gt; &quot;run&quot;"), 2);
  assert_null(strstr(h, "<&>"));
  /* Two plots: the roofline and the timeline. */
  assert_int_equal(count(h, "<svg "), 2);
  assert_int_equal(count(h, "</svg>"), 2);
  assert_non_null(strstr(h, "Roofline"));
  assert_non_null(strstr(h, "this run:"));
  assert_null(strstr(h, "dtype mix (")); /* bf16 only: its roof is a dtype roof */
  assert_non_null(strstr(h, "effective 6000 GB/s"));
  assert_non_null(strstr(h, "bf16, fp16: 838.9 TFLOP/s"));
  assert_non_null(strstr(h, "fp8e4m3, fp8e5m2, int8, int4: 1677.7 Top/s"));
  assert_non_null(strstr(h, "fp32: 209.7 TFLOP/s"));
  assert_non_null(strstr(h, "Utilization over time"));
  assert_non_null(strstr(h, "matmul_1"));
  assert_non_null(strstr(h, sc_reason_doc(SC_REASON_BANDWIDTH)));
  /* Self-contained: the only URL is the SVG namespace; no scripts or links. */
  const char *xmlns = "http://www.w3.org/2000/svg";
  assert_int_equal(count(h, "http://"), count(h, xmlns));
  assert_int_equal(count(h, "https://"), 0);
  assert_null(strstr(h, "<script"));
  assert_null(strstr(h, "<link"));
  assert_null(strstr(h, "src="));

  /* Without ops: the timeline asks for trace recording. */
  init_rich(&f);
  sc_strbuf bare = {0};
  assert_int_equal(sc_perf_report(&f.p, a, NULL, NULL, &bare), SC_STATUS_OK);
  assert_non_null(strstr(sc_strbuf_str(&bare), "run with trace recording"));
  assert_int_equal(count(sc_strbuf_str(&bare), "<svg "), 1);
  assert_non_null(strstr(sc_strbuf_str(&bare), "SeedChip performance report"));

  /* A run without MACs or memory traffic still renders, without a point. */
  init_bare(&f);
  sc_strbuf empty = {0};
  assert_int_equal(sc_perf_report(&f.p, a, NULL, "empty", &empty), SC_STATUS_OK);
  assert_non_null(strstr(sc_strbuf_str(&empty), "No point for this run"));

  sc_strbuf_free(&empty);
  sc_strbuf_free(&bare);
  sc_strbuf_free(&out);
  sc_prog_destroy(prog);
  sc_arch_destroy(a);
}

/* ---- timeline --------------------------------------------------------------- */

static void test_timeline(void **state) {
  (void)state;
  fixture f;
  init_bare(&f);
  f.p.cycles = 1000;
  const sc_prof_op ops[] = {
      {0, SC_UNIT_MXU, SC_OP_MXU_MM, 0, 0, 100, 0},
      {0, SC_UNIT_MXU, SC_OP_MXU_MM, 1, 50, 150, 0}, /* overlaps the first */
      {1, SC_UNIT_MXU, SC_OP_MXU_MM, 0, 50, 150, 0}, /* another core */
      {0, SC_UNIT_DMA0, SC_OP_DMA_1D, 2, 10, 1000, 990},
      {0, SC_UNIT_DMA1, SC_OP_DMA_1D, 3, 300, 300, 7}, /* instantaneous */
  };
  memcpy(f.ops, ops, sizeof ops);
  f.p.ops = f.ops;
  f.p.n_ops = SC_ARRAY_LEN(ops);
  perf_timeline t;
  assert_int_equal(perf_timeline_build(&f.p, 64, &t), SC_STATUS_OK);
  assert_int_equal(t.n_bins, 16); /* ceil(1000 / 64) */
  assert_int_equal(perf_bin_cycles(&t, 15), 1000 - 15 * 64);
  double mxu = 0, dma = 0, bytes = 0;
  for (size_t i = 0; i < t.n_bins; i++) {
    mxu += t.busy[SC_UNIT_MXU][i];
    dma += t.busy[SC_UNIT_DMA0][i];
    bytes += t.mem_bytes[i];
    for (int u = 0; u < SC_UNIT_COUNT; u++)
      assert_true(t.busy[u][i] <= (double)perf_bin_cycles(&t, i) * N_CORES + 1e-9);
  }
  assert_close(mxu, 150 + 100, 1e-12); /* core 0's union [0, 150) and core 1's [50, 150) */
  assert_close(dma, 990, 1e-12);
  assert_close(bytes, 997, 1e-12);
  /* Bin 0 [0, 64): MXU core 0 64 + core 1 14; DMA bytes 54 of 990 at 1 byte/cycle. */
  assert_close(t.busy[SC_UNIT_MXU][0], 78, 1e-12);
  assert_close(t.mem_bytes[0], 54, 1e-12);
  assert_close(t.mem_bytes[300 / 64], 64 + 7, 1e-12);
  assert_close(t.mem_bytes[15], 40, 1e-12);
  perf_timeline_free(&t);
}

/* ---- bad input -------------------------------------------------------------- */

static void test_bad_profiles(void **state) {
  (void)state;
  sc_arch *a = load_sc1();
  fixture f;
  init_rich(&f);
  add_ops(&f);
  sc_strbuf out = {0};
  assert_int_equal(sc_perf_text(NULL, a, NULL, &out), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_perf_trace(&f.p, NULL, NULL, &out), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_perf_report(&f.p, a, NULL, NULL, NULL), SC_STATUS_INVALID_ARGUMENT);

  f.ops[2].core = N_CORES; /* no such core */
  assert_int_equal(sc_perf_trace(&f.p, a, NULL, &out), SC_STATUS_INVALID);
  add_ops(&f);
  f.ops[2].unit = SC_UNIT_DMA3; /* sc1 has two DMA engines */
  assert_int_equal(sc_perf_report(&f.p, a, NULL, NULL, &out), SC_STATUS_INVALID);
  add_ops(&f);
  f.ops[2].unit = SC_UNIT_COUNT;
  assert_int_equal(sc_perf_text(&f.p, a, NULL, &out), SC_STATUS_INVALID);
  add_ops(&f);
  f.ops[3].end = f.ops[3].start - 1; /* ends before it starts */
  assert_int_equal(sc_perf_trace(&f.p, a, NULL, &out), SC_STATUS_INVALID);
  add_ops(&f);
  f.p.ops = NULL; /* n_ops without ops */
  assert_int_equal(sc_perf_trace(&f.p, a, NULL, &out), SC_STATUS_INVALID);
  add_ops(&f);
  f.p.units = NULL;
  assert_int_equal(sc_perf_text(&f.p, a, NULL, &out), SC_STATUS_INVALID);
  init_rich(&f);
  f.p.n_code = NULL;
  assert_int_equal(sc_perf_text(&f.p, a, NULL, &out), SC_STATUS_INVALID);
  init_rich(&f);
  f.pc_cycles[1] = NULL;
  assert_int_equal(sc_perf_report(&f.p, a, NULL, NULL, &out), SC_STATUS_INVALID);
  assert_int_equal(out.len, 0); /* nothing written for a refused profile */
  sc_strbuf_free(&out);
  sc_arch_destroy(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),        cmocka_unit_test(test_summary_bf16),
      cmocka_unit_test(test_summary_mix),  cmocka_unit_test(test_text),
      cmocka_unit_test(test_trace),        cmocka_unit_test(test_trace_escapes),
      cmocka_unit_test(test_report),       cmocka_unit_test(test_timeline),
      cmocka_unit_test(test_bad_profiles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
