/* bench.h: the results of `seedchip bench` (docs/BENCH.md) and their three
 * renderings: a compact text table, a JSON file with every figure, and a
 * self-contained HTML report (rooflines, batch-size curves, per-layer
 * breakdown).
 *
 * The driver (tools/seedchip/cmd_bench.c) fills the rows from timing-only
 * runs of compiled programs; the peer rows (H200) are computed the same way
 * from published figures (../shared/reference/PEERS.md) and carry their
 * source. The writers only read the result and are deterministic: equal
 * inputs give equal bytes. */
#ifndef SEEDCHIP_BENCH_H
#define SEEDCHIP_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/status.h"
#include "seedchip/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Time of one graph-op group (a transformer layer part: "attention",
 * "ffn", "lm_head", ...) within a row's step, summed over layers. */
typedef struct sc_bench_part {
  char name[32];
  double seconds; /* time the chip spent in this part, summed over layers */
} sc_bench_part;

typedef enum sc_bench_phase {
  SC_BENCH_PREFILL, /* a prompt of `prompt` tokens, one sequence */
  SC_BENCH_DECODE,  /* one output token for each of `batch` sequences at `context` positions */
} sc_bench_phase;

typedef enum sc_bench_kind {
  SC_BENCH_SIMULATED, /* timed by the simulator (timing-only mode) */
  SC_BENCH_FLOOR,     /* a peer's physical floor: max(bytes / bandwidth, flops / peak) */
  SC_BENCH_MEASURED,  /* a peer's published measurement */
} sc_bench_kind;

typedef struct sc_bench_row {
  sc_bench_kind kind;
  char chip[64];    /* "SC1", "H200" */
  char model[48];   /* "llama-3.1-8b" */
  char dtype[16];   /* "fp8" */
  char source[200]; /* where a peer figure comes from; "" for simulated rows */
  char note[320];   /* why a row is missing or what it assumes; "" if nothing */
  sc_bench_phase phase;
  uint32_t batch;   /* sequences per step (1 for prefill) */
  uint32_t context; /* decode: cached positions each sequence attends to */
  uint32_t prompt;  /* prefill: prompt tokens */
  uint32_t chips;   /* chips the model runs on */
  bool ok;          /* false: not run (note says why); the figures below are 0 */

  /* the step: prefill = the whole prompt; decode = one token per sequence */
  double step_s;
  double ttft_ms;      /* prefill: time to first token = step_s; decode: 0 */
  double ms_per_token; /* decode: step_s in ms (per output token of one sequence) */
  double tok_s_chip;   /* prefill: prompt / step_s / chips; decode: batch / step_s / chips */
  double tok_per_j;    /* tokens of the step / energy of the step (all chips) */
  double energy_j, power_w;
  double mxu_util;     /* achieved FLOP/s / peak of the dtype */
  double bw_util;      /* achieved device-memory bytes/s / effective bandwidth */
  double flops;        /* essential FLOPs of the step (2 x MACs of the model) */
  double bytes;        /* essential bytes: weights read + KV cache read and written */
  double floor_mem_s;  /* bytes / (effective bandwidth x chips) */
  double floor_flop_s; /* flops / (dtype peak x chips) */
  double floor_ratio;  /* max(floor_mem_s, floor_flop_s) / step_s: 1 = at the floor */
  double sim_wall_s;   /* simulator wall time for the row */
  /* An offline row (a decode step of the largest batch of requests of
   * `prompt` input and offline_out output tokens, at the mean position of
   * their generation): each request's prefill time and the output tokens per
   * second per chip with it, 1 / (step_s / batch + prefill / out) / chips
   * (docs/BENCH.md, "Offline"); 0 on other rows. */
  uint32_t offline_out;
  double offline_prefill_s, offline_tok_s_chip;

  size_t n_parts;
  sc_bench_part parts[16];
} sc_bench_row;

/* A chip's roofline for the plots. */
typedef struct sc_bench_roof {
  char chip[64];
  double peak_flop_s; /* of the benchmark's dtype */
  double mem_b_s;     /* effective (SC1) or datasheet (peers) bandwidth */
  double tdp_w;
} sc_bench_roof;

typedef struct sc_bench_result {
  char arch[64];    /* architecture name (preset or file) */
  char system[160]; /* the system: a description name, or how chips are chosen */
  char dtype[16];
  char kv_dtype[16]; /* the KV cache's dtype */
  double wall_s;     /* whole run */
  size_t n_rows;
  sc_bench_row *rows; /* simulated and peer rows, in table order */
  size_t n_roofs;
  sc_bench_roof roofs[4]; /* [0] the simulated chip, then peers */
  char goals[2048];       /* the goal lines, met or missed, one per line */
} sc_bench_result;

/* The compact table printed at the end of a run (lines < 120 columns). */
SC_MUST_USE sc_status sc_bench_table(const sc_bench_result *r, sc_strbuf *out);
/* Every field of every row as JSON (docs/BENCH.md gives the schema). */
SC_MUST_USE sc_status sc_bench_json(const sc_bench_result *r, sc_strbuf *out);
/* The self-contained HTML report (inline CSS and SVG, no scripts). */
SC_MUST_USE sc_status sc_bench_html(const sc_bench_result *r, sc_strbuf *out);

#ifdef __cplusplus
}
#endif
#endif
