/* cmd_bench.c: `seedchip bench`, the main job: the default system over a
 * built-in suite of full-size models in the timing-only mode (prefill of a
 * 2k-token prompt; decode at batch 1, 8, 64 and the largest batch that fits
 * with a 4k context), each row beside its physical floor and the H200's rows
 * computed the same way from its published figures, plus the published
 * measurements. Prints a compact table and writes bench-report.html and
 * bench-report.json (docs/BENCH.md explains every figure). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <getopt.h>
#include <pthread.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "seedchip/bench.h"
#include "seedchip/cc.h"
#include "seedchip/perf.h"
#include "seedchip/program.h"
#include "seedchip/runtime.h"
#include "seedchip/system.h"
#include "seedchip/util.h"

static const char usage[] =
    "usage: seedchip bench [--arch <preset|file>] [--models A,B,...] [--dtype D] [--kv D]\n"
    "                      [--system NAME] [--offline IN,OUT] [--html FILE] [--json FILE]\n"
    "                      [--quiet]\n"
    "\n"
    "Times the built-in suite on the simulated chip without weights (timing-only\n"
    "mode): for each model a prefill of 2048 tokens and decode steps at a context\n"
    "of 4096 positions for batch 1, 8, 64 and the largest batch that fits. Each row\n"
    "gives latency, tokens/s per chip, tokens per joule, MXU and bandwidth\n"
    "utilization and the ratio to the physical floor; beside it the H200 computed\n"
    "the same way from its datasheet and its published measurements. Prints a\n"
    "table and writes the HTML report (default bench-report.html) and the JSON\n"
    "file (default bench-report.json). docs/BENCH.md explains every figure.\n"
    "\n"
    "  --models   comma-separated built-in configurations, or config.json or GGUF\n"
    "             files read without weights (default:\n"
    "             llama-3.1-8b,llama-3.1-70b,mixtral-8x7b,deepseek-v3)\n"
    "  --dtype    weight dtype (default fp8; see seedchip compile)\n"
    "  --kv       the KV cache's dtype: bf16 (default) or fp32\n"
    "  --system   every model on this system, tensor parallel (mixtures expert\n"
    "             parallel): \"<N>\", \"<arch>x<N>[-ring|-torus|-switch]\" or a system\n"
    "             file (docs/SYSTEM.md); default: the fewest chips each model fits on,\n"
    "             on a switch\n"
    "  --offline  IN,OUT: an offline row for every model: requests of IN input and\n"
    "             OUT output tokens, the largest batch whose caches fit, each\n"
    "             request's prefill included (llama-2-70b always has one: 1024,290,\n"
    "             the project plan's figures for MLPerf's requests)\n"
    "  --quiet    no progress bar\n";

enum { PROMPT = 2048, CONTEXT = 4096, ROWS_PER_MODEL = 5 };

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the physical floor (docs/BENCH.md, "Floor") ---- */

/* Weight bytes and MACs per token of the matmuls of cfg in wdtype. */
typedef struct model_cost {
  double matmul_params;     /* weights every token multiplies (q, k, v, o, ffn, classifier) */
  double weight_bytes;      /* their bytes as stored */
  double kv_bytes_per_pos;  /* the cache of one position, every layer, K and V, as stored */
  double attn_macs_per_pos; /* MACs of one query against one cached position, all layers */
  double total_bytes;       /* everything the compiled program keeps in device memory per chip */
} model_cost;

static double wbytes_per_param(sc_cc_wdtype t) {
  switch (t) {
  case SC_CC_F32:
    return 4;
  case SC_CC_BF16:
    return 2;
  case SC_CC_INT4:
    return 0.5;
  default:
    return 1;
  }
}

static model_cost cost_of(const sc_model_config *c, sc_cc_wdtype t, double kv_bytes) {
  model_cost m = {0};
  double d = c->dim, hd = c->head_dim, H = c->n_heads, KVH = c->n_kv_heads, L = c->n_layers;
  double attn = d * H * hd + 2 * d * KVH * hd + H * hd * d;
  double E = c->n_experts, k = c->n_experts_used, F = c->hidden_dim;
  double EH = c->moe_hidden_dim ? c->moe_hidden_dim : F, expert = 3 * d * EH;
  double shared = 3 * d * EH * c->n_shared_experts, dense = 3 * d * F;
  double Ld = E ? c->n_dense_layers : L, Lm = L - Ld; /* dense and MoE layers */
  m.kv_bytes_per_pos = L * KVH * hd * 2 * kv_bytes;   /* K and V of every layer */
  m.attn_macs_per_pos = L * H * hd * 2;               /* q.k and p.v */
  if (c->kv_lora_rank) { /* latent attention (docs/COMPILER.md), absorbed */
    double ql = c->q_lora_rank, kvl = c->kv_lora_rank, r = c->qk_rope_dim;
    double qk = c->qk_nope_dim + r, vd = c->v_head_dim;
    attn = (ql ? d * ql + ql * H * qk : d * H * qk) + d * (kvl + r) + H * kvl * c->qk_nope_dim +
           H * vd * kvl + H * vd * d;
    m.kv_bytes_per_pos = L * (kvl + r) * kv_bytes; /* the latent and the RoPE key */
    m.attn_macs_per_pos = L * H * (2 * kvl + r);   /* q.(latent, key) and p.latent */
  }
  /* a token multiplies the attention, its k experts, the shared ones and the
   * router; all E are stored */
  double per_token = L * attn + Ld * dense + Lm * (k * expert + E * d + shared);
  double stored = L * attn + Ld * dense + Lm * (E * expert + E * d + shared);
  m.matmul_params = per_token + (double)c->vocab_size * d;
  m.weight_bytes = (stored + (double)c->vocab_size * d) * wbytes_per_param(t);
  return m;
}

/* ---- one timed step ---- */

typedef struct step_run {
  sc_arch *arch;
  uint32_t chips;       /* tensor parallel over this many chips (a switch) */
  const sc_system *sys; /* those chips (NULL: a switch of them) */
  sc_graph *graph;      /* chip 0's */
  sc_program *prog;
  sc_device *dev;
  sc_rt_program *p;
  uint32_t tokens;
  double weight_elems; /* elements of the weights the step's matmuls read (used experts only) */
} step_run;

static void step_free(step_run *s) {
  sc_rt_close(s->dev);
  sc_prog_destroy(s->prog);
  sc_graph_destroy(s->graph);
  *s = (step_run){.arch = s->arch, .chips = s->chips, .sys = s->sys};
}

/* Compiles cfg's step of `tokens` tokens with a cache of ctx positions,
 * over s->chips chips (tensor parallelism on a switch), and loads it for
 * timing-only runs. */
static bool step_make(step_run *s, const sc_model_config *cfg, sc_cc_wdtype t, sc_dtype kv,
                      uint32_t tokens, uint32_t batch, bool parts, uint32_t ctx, char *err,
                      size_t err_size) {
  uint32_t chips = s->chips ? s->chips : 1;
  sc_llama_step st = {.tokens = tokens,
                      .max_seq = ctx,
                      .act_dtype = SC_DTYPE_FP32,
                      .batch = batch,
                      .tp = chips,
                      .ep = cfg->n_experts > 0, /* experts whole, one chip each */
                      .last_logits = true};     /* a prefill chunk: its last token's */
  sc_cc_options opt = {.wdtype = t, .no_weights = true, .kv_dtype = kv};
  s->tokens = tokens;
  if (sc_cc_llama_graph(cfg, &st, &s->graph, err, err_size) != SC_STATUS_OK ||
      sc_cc_compile_tp(cfg, &st, NULL, s->arch, &opt, chips, &s->prog, NULL, err, err_size) !=
          SC_STATUS_OK)
    return false;
  s->weight_elems = 0; /* every chip's: chip 0's times the chips */
  for (size_t i = 0; i < sc_graph_count(s->graph); i++) {
    const sc_gvalue *v = sc_graph_value(s->graph, (uint32_t)i);
    if (v->kind != SC_GV_OP || v->op != SC_GOP_MATMUL) continue;
    const sc_gvalue *w = sc_graph_value(s->graph, v->in[1]);
    double n = 1;
    for (uint32_t d = 0; d < w->rank; d++) n *= (double)w->shape[d];
    s->weight_elems += n * chips;
  }
  sc_system sys;
  sc_strbuf e = {0};
  if (s->sys) {
    sys = *s->sys;
  } else if (sc_system_of(s->arch, chips, SC_SYS_SWITCH, &sys, &e) != SC_STATUS_OK) {
    snprintf(err, err_size, "%s", sc_strbuf_str(&e));
    sc_strbuf_free(&e);
    return false;
  }
  if (sc_rt_open_system(&sys, &s->dev, err, err_size) != SC_STATUS_OK) return false;
  /* the per-part breakdown needs every op recorded: only where the report shows it */
  if (sc_rt_set_mode(s->dev, SC_SIM_TIMING_ONLY, parts) != SC_STATUS_OK ||
      sc_rt_load(s->dev, s->prog, NULL, &s->p) != SC_STATUS_OK) {
    snprintf(err, err_size, "%s", sc_rt_errmsg(s->dev));
    return false;
  }
  return true;
}

/* The part of the step a graph op belongs to, by its name (lN.<op>). */
static const char *const part_names[] = {"attention",  "ffn",        "norm+residual",
                                         "classifier", "all-reduce", "other"};
enum { P_ATTN, P_FFN, P_NORM, P_CLS, P_COMM, P_OTHER, P_COUNT };

static int part_of(const char *where) {
  const char *op = where;
  if (where[0] == 'l' && where[1] >= '0' && where[1] <= '9') {
    const char *dot = strchr(where, '.');
    op = dot ? dot + 1 : where;
    if (op[0] == 'e' && op[1] >= '0' && op[1] <= '9') return P_FFN; /* an expert's op */
  }
  if (strcmp(op, "router") == 0 || strncmp(op, "shexp", 5) == 0) return P_FFN;
  static const char *const attn[] = {"q",        "k",         "v",         "q_rope",
                                     "k_rope",   "k_cache",   "v_cache",   "attn",
                                     "attn_out", "q_bias",    "k_bias",    "v_bias",
                                     "q_a",      "q_a_norm",  "q_nope",    "q_rope_in",
                                     "q_latent", "kv_latent", "k_rope_in", "kv_latent_norm",
                                     "kv_entry", "kv_cache",  "attn_v"};
  static const char *const ffn[] = {"gate", "up", "down", "swiglu"};
  for (size_t i = 0; i < SC_ARRAY_LEN(attn); i++)
    if (strcmp(op, attn[i]) == 0) return P_ATTN;
  for (size_t i = 0; i < SC_ARRAY_LEN(ffn); i++)
    if (strcmp(op, ffn[i]) == 0) return P_FFN;
  if (strcmp(op, "logits") == 0 || strcmp(op, "logits_part") == 0) return P_CLS;
  if (strcmp(op, "attn_sum") == 0 || strcmp(op, "ffn_sum") == 0) return P_COMM;
  if (strstr(op, "_in") || strncmp(op, "x_", 2) == 0 || strcmp(op, "x") == 0) return P_NORM;
  return P_OTHER;
}

typedef struct step_result {
  double cycles, energy_j, mem_bytes, parts[P_COUNT]; /* parts in cycles */
} step_result;

/* Runs the loaded step at position pos (the first, for several tokens) and
 * adds its cycles, energy, memory bytes and per-part wall cycles (each graph
 * op's span from its first op's start to its last op's end over all cores). */
static bool step_time(step_run *s, uint64_t pos, step_result *acc, char *err, size_t err_size) {
  sc_rt_set_args(s->dev, (const uint64_t[]){1, pos}, 2);
  if (sc_rt_launch(s->dev, s->p) != SC_STATUS_OK || sc_rt_wait(s->dev) != SC_STATUS_OK) {
    snprintf(err, err_size, "%s", sc_rt_errmsg(s->dev));
    return false;
  }
  const sc_profile *prof = sc_rt_profile(s->dev);
  sc_prof_summary sum;
  sc_perf_summarize(prof, s->arch, &sum);
  acc->cycles += (double)prof->cycles;
  acc->energy_j += sum.energy_j;
  acc->mem_bytes += sum.mem_bytes;
  /* each graph op's span: its debug entries' `where` (one string per op) */
  /* a power of two, twice the chips' graph ops (the `where`s) at least */
  size_t SLOTS = 1024;
  while (SLOTS < 2 * (s->chips ? s->chips : 1) * (sc_graph_count(s->graph) + 16)) SLOTS *= 2;
  typedef struct span {
    const char *where;
    uint64_t lo, hi;
  } span;
  span *tab = calloc(SLOTS, sizeof *tab);
  if (!tab) {
    snprintf(err, err_size, "out of memory");
    return false;
  }
  for (size_t i = 0; i < prof->n_ops; i++) {
    const sc_prof_op *o = &prof->ops[i];
    const sc_prog_debug *d = sc_prog_debug_at(s->prog, o->core, o->pc);
    const char *w = d ? d->where : "";
    size_t h = (size_t)(((uintptr_t)w >> 3) * 0x9E3779B97F4A7C15u >> 20) & (SLOTS - 1);
    while (tab[h].where && tab[h].where != w) h = (h + 1) & (SLOTS - 1);
    if (!tab[h].where) tab[h] = (span){w, o->start, o->end};
    if (o->start < tab[h].lo) tab[h].lo = o->start;
    if (o->end > tab[h].hi) tab[h].hi = o->end;
  }
  for (size_t h = 0; h < SLOTS; h++)
    if (tab[h].where) acc->parts[part_of(tab[h].where)] += (double)(tab[h].hi - tab[h].lo);
  free(tab);
  return true;
}

/* ---- rows ---- */

typedef struct bench {
  sc_bench_result r;
  size_t cap;
  const sc_arch *arch;
  sc_cc_wdtype wdtype;
  sc_dtype kv;          /* the KV cache's dtype */
  uint32_t chips;       /* --system: chips for every model; 0: the fewest each model fits on */
  const sc_system *sys; /* --system's (NULL: a switch of the chips) */
  double peak_flop_s, mem_b_s;
  struct progress_state *ps; /* shared by the workers */
  bool full;                 /* --models given: every row; otherwise the default suite's (below) */
  uint32_t off_in, off_out;  /* --offline: every model's offline row (0: llama-2-70b's alone) */
} bench;

/* The progress bar's state, shared by the models' workers. */
typedef struct progress_state {
  pthread_mutex_t lock;
  bool quiet;
  size_t done, total;
} progress_state;

static sc_bench_row *row_add(bench *b) {
  if (b->r.n_rows == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 32;
    sc_bench_row *rows = realloc(b->r.rows, cap * sizeof *rows);
    if (!rows) return NULL;
    b->r.rows = rows;
    b->cap = cap;
  }
  sc_bench_row *row = &b->r.rows[b->r.n_rows++];
  memset(row, 0, sizeof *row);
  return row;
}

static void progress(bench *b, const char *what) {
  progress_state *ps = b->ps;
  if (ps->quiet) return;
  pthread_mutex_lock(&ps->lock);
  int width = 30, full = ps->total ? (int)(width * ps->done / ps->total) : width;
  if (full > width) full = width;
  fprintf(stderr, "\r[%.*s%*s] %2zu/%zu %-44.44s", full, "##############################",
          width - full, "", ps->done, ps->total, what);
  fflush(stderr);
  pthread_mutex_unlock(&ps->lock);
}

/* n more rows of the suite are done. */
static void tick(bench *b, size_t n) {
  pthread_mutex_lock(&b->ps->lock);
  b->ps->done += n;
  pthread_mutex_unlock(&b->ps->lock);
}
/* Fills a simulated row's figures from its step (tokens: output tokens of
 * the step, or the prompt). */
static void row_fill(bench *b, sc_bench_row *row, const step_result *s, double tokens, double flops,
                     double bytes) {
  double clock = b->arch->clock_ghz * 1e9;
  row->ok = true;
  row->step_s = s->cycles / clock;
  if (row->phase == SC_BENCH_PREFILL)
    row->ttft_ms = row->step_s * 1e3;
  else
    row->ms_per_token = row->step_s * 1e3;
  row->tok_s_chip = tokens / row->step_s / row->chips;
  row->energy_j = s->energy_j;
  row->power_w = s->energy_j / row->step_s;
  row->tok_per_j = s->energy_j > 0 ? tokens / s->energy_j : 0;
  row->flops = flops;
  row->bytes = bytes;
  row->mxu_util = flops / row->step_s / (b->peak_flop_s * row->chips);
  row->bw_util = s->mem_bytes / row->step_s / (b->mem_b_s * row->chips);
  row->floor_mem_s = bytes / (b->mem_b_s * row->chips);
  row->floor_flop_s = flops / (b->peak_flop_s * row->chips);
  row->floor_ratio = fmax(row->floor_mem_s, row->floor_flop_s) / row->step_s;
  row->n_parts = 0;
  for (int i = 0; i < P_COUNT; i++) {
    if (s->parts[i] <= 0) continue;
    sc_bench_part *p = &row->parts[row->n_parts++];
    snprintf(p->name, sizeof p->name, "%s", part_names[i]);
    p->seconds = s->parts[i] / clock;
  }
}

static void row_head(sc_bench_row *row, const char *chip, const char *model, const char *dtype,
                     sc_bench_phase phase, uint32_t batch) {
  row->kind = SC_BENCH_SIMULATED;
  snprintf(row->chip, sizeof row->chip, "%s", chip);
  snprintf(row->model, sizeof row->model, "%s", model);
  snprintf(row->dtype, sizeof row->dtype, "%s", dtype);
  row->phase = phase;
  row->batch = batch;
  row->chips = 1;
  if (phase == SC_BENCH_PREFILL)
    row->prompt = PROMPT;
  else
    row->context = CONTEXT;
}

/* The H200 (../shared/reference/PEERS.md): FP8 dense 1,979 TFLOP/s, 4.8 TB/s,
 * 700 W; its floor row for the same work as a simulated row. */
#define H200_FLOP_S 1979e12
#define H200_MEM_B_S 4.8e12
#define H200_TDP_W 700.0
#define H200_SRC "NVIDIA H200 SXM datasheet (MLPerf v4.1 system file H200-SXM-141GBx8)"

static void peer_floor(bench *b, const sc_bench_row *sim) {
  sc_bench_row *row = row_add(b);
  if (!row) return;
  *row = *sim;
  row->kind = SC_BENCH_FLOOR;
  snprintf(row->chip, sizeof row->chip, "H200");
  snprintf(row->source, sizeof row->source,
           "%s; floor = max(bytes / 4.8 TB/s, FLOPs / 1979 TFLOP/s)", H200_SRC);
  row->note[0] = 0;
  /* as many H200s as the row has chips */
  double n = row->chips ? row->chips : 1;
  row->floor_mem_s = row->bytes / (H200_MEM_B_S * n);
  row->floor_flop_s = row->flops / (H200_FLOP_S * n);
  row->step_s = fmax(row->floor_mem_s, row->floor_flop_s);
  double tokens = row->phase == SC_BENCH_PREFILL ? row->prompt : row->batch;
  row->ttft_ms = row->phase == SC_BENCH_PREFILL ? row->step_s * 1e3 : 0;
  row->ms_per_token = row->phase == SC_BENCH_DECODE ? row->step_s * 1e3 : 0;
  row->tok_s_chip = tokens / row->step_s / n;
  row->energy_j = H200_TDP_W * n * row->step_s;
  row->power_w = H200_TDP_W * n;
  row->tok_per_j = tokens / row->energy_j;
  row->mxu_util = row->flops / row->step_s / (H200_FLOP_S * n);
  row->bw_util = row->bytes / row->step_s / (H200_MEM_B_S * n);
  row->floor_ratio = 1;
  row->n_parts = 0;
  row->sim_wall_s = 0;
  row->offline_out = 0; /* the step's floor alone: no prefill of the H200's */
  row->offline_prefill_s = row->offline_tok_s_chip = 0;
}

static void peer_measured(bench *b, const char *model, sc_bench_phase phase, uint32_t batch,
                          double ms_per_token, double tok_s_chip, const char *source,
                          const char *note) {
  sc_bench_row *row = row_add(b);
  if (!row) return;
  row_head(row, "H200", model, "fp8", phase, batch);
  row->kind = SC_BENCH_MEASURED;
  row->ok = true;
  snprintf(row->source, sizeof row->source, "%s", source);
  snprintf(row->note, sizeof row->note, "%s", note);
  row->ms_per_token = ms_per_token;
  row->step_s = ms_per_token * 1e-3;
  row->tok_s_chip = tok_s_chip;
  row->power_w = H200_TDP_W;
  row->tok_per_j = tok_s_chip / H200_TDP_W;
}

static void not_run(bench *b, const char *model, sc_bench_phase phase, uint32_t batch,
                    uint32_t chips, const char *fmt, ...) SC_PRINTF(6, 7);
static void not_run(bench *b, const char *model, sc_bench_phase phase, uint32_t batch,
                    uint32_t chips, const char *fmt, ...) {
  sc_bench_row *row = row_add(b);
  if (!row) return;
  row_head(row, "SC1", model, sc_cc_wdtype_name(b->wdtype), phase, batch);
  snprintf(row->chip, sizeof row->chip, "%s", b->arch->name);
  row->chips = chips;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(row->note, sizeof row->note, fmt, ap);
  va_end(ap);
}

/* Whether tensor parallelism over chips splits cfg evenly (sc_cc_llama_graph;
 * a mixture's experts go whole to the chips, expert parallelism). */
static bool tp_divides(const sc_model_config *cfg, uint32_t chips) {
  uint32_t heads = cfg->kv_lora_rank ? cfg->n_heads : cfg->n_kv_heads; /* split */
  uint32_t eh = cfg->moe_hidden_dim ? cfg->moe_hidden_dim : cfg->hidden_dim;
  bool dense = !cfg->n_experts || cfg->n_dense_layers; /* hidden_dim sliced */
  return chips == 1 || (heads % chips == 0 && (!dense || cfg->hidden_dim % chips == 0) &&
                        (cfg->n_shared_experts * eh) % chips == 0 && cfg->vocab_size % chips == 0);
}

/* The experts the step's tokens use in a mixture's first routed layer
 * (uniform routing). */
static uint32_t experts_touched(const sc_model_config *cfg, uint32_t tokens) {
  sc_llama_step st = {.tokens = tokens};
  bool used[256] = {0};
  uint32_t n = 0, ex[256];
  for (uint32_t t = 0; t < tokens; t++) {
    sc_cc_moe_route(cfg, &st, cfg->n_dense_layers, t, ex);
    for (uint32_t j = 0; j < cfg->n_experts_used && j < 256; j++)
      if (ex[j] < 256 && !used[ex[j]]) used[ex[j]] = true, n++;
  }
  return n;
}

/* Whether the default suite leaves out a step of `tokens` tokens: a mixture
 * of many experts whose step would run more than a quarter of them, each on
 * every token (no token dispatch is generated): the whole model's weights
 * every step, minutes to compile and simulate. Says so in a row not run. */
static bool left_out(bench *b, const char *name, const sc_model_config *cfg, sc_bench_phase ph,
                     uint32_t batch, uint32_t chips, uint32_t tokens) {
  if (b->full || cfg->n_experts < 64) return false;
  uint32_t used = experts_touched(cfg, tokens);
  if (used * 4 <= cfg->n_experts) return false;
  not_run(b, name, ph, batch, chips,
          "left out of the default suite: with no token dispatch generated, each used expert runs "
          "on all %u tokens of a step, here %u of the %u experts per layer (all the weights, "
          "minutes to simulate); `--models %.60s` runs it",
          tokens, used, cfg->n_experts, name);
  return true;
}

/* The batch to try after B did not fit in device memory (err: the
 * compiler's "needs N bytes of device memory"): a chip's memory is a fixed
 * part and a part per sequence, so B scaled by what the per-sequence part may
 * take, from the bytes it needed; at most next. */
static uint32_t fit_batch(const char *err, uint32_t B, uint32_t next, double fixed,
                          double per_chip) {
  const char *at = strstr(err, "needs ");
  unsigned long long need_b = 0;
  if (at && sscanf(at, "needs %llu", &need_b) == 1 && (double)need_b > per_chip &&
      (double)need_b > fixed && per_chip > fixed) {
    double fit = B * (per_chip - fixed) / ((double)need_b - fixed);
    if (fit < next) next = (uint32_t)fit;
  }
  return next;
}

/* The offline row of a model (docs/BENCH.md, "Offline"): requests of `in`
 * input and `out` output tokens, as many at once as their caches of in + out
 * positions let memory hold. A decode step of that batch at the mean position
 * of the generation (in + out / 2: attention grows linearly with it), and
 * one request's prefill of `in` tokens in chunks (the first and the last
 * simulated, the rest interpolated, as the prefill row); each output token
 * then costs step / batch of decode and prefill / out of its request's
 * prefill. */
static void bench_offline(bench *b, const char *name, const sc_model_config *cfg,
                          const model_cost *mc, uint32_t chips, double cap) {
  uint32_t in = b->off_in ? b->off_in : 1024, out = b->off_in ? b->off_out : 290;
  uint32_t ctx = in + out, pos = in + out / 2;
  char what[96], err[1024];
  const char *dt = sc_cc_wdtype_name(b->wdtype);
  snprintf(what, sizeof what, "%s offline", name);
  progress(b, what);
  double t0 = now_s(), clock = b->arch->clock_ghz * 1e9;
  double kv_seq = mc->kv_bytes_per_pos * ctx;
  double fit = (cap - mc->weight_bytes) / kv_seq;
  uint32_t B = fit >= 1 ? (fit > 65536 ? 65536 : (uint32_t)fit) : 0;
  if (B < 1) {
    not_run(b, name, SC_BENCH_DECODE, 0, chips, "offline: no cache of %u positions fits", ctx);
    return;
  }
  step_run s = {.arch = (sc_arch *)b->arch, .chips = chips, .sys = b->sys};
  bool made = step_make(&s, cfg, b->wdtype, b->kv, B, B, false, ctx, err, sizeof err);
  for (int tries = 0; !made && B > 1 && tries < 24; tries++) { /* fewer until it compiles */
    step_free(&s);
    uint32_t next = strstr(err, "bytes of device memory")
                        ? fit_batch(err, B, B * 7 / 8, mc->weight_bytes / chips, cap / chips)
                        : B / 2; /* other limits (SRAM): halve */
    B = next > 1 ? next : 1;
    made = step_make(&s, cfg, b->wdtype, b->kv, B, B, false, ctx, err, sizeof err);
  }
  step_result d = {0}, first = {0}, last = {0};
  if (!made || !step_time(&s, pos, &d, err, sizeof err)) {
    not_run(b, name, SC_BENCH_DECODE, B, chips, "offline: %s", err);
    step_free(&s);
    return;
  }
  step_free(&s);
  /* the prefill: chunks of mxu.rows (fewer tokens when the prompt is shorter) */
  uint32_t chunk = b->arch->core.mxu.rows < in ? b->arch->core.mxu.rows : in;
  uint32_t n_chunks = (in + chunk - 1) / chunk;
  bool ok =
      step_make(&s, cfg, b->wdtype, b->kv, chunk, 1, false, ctx, err, sizeof err) &&
      step_time(&s, 0, &first, err, sizeof err) &&
      (n_chunks == 1 || step_time(&s, (uint64_t)(n_chunks - 1) * chunk, &last, err, sizeof err));
  step_free(&s);
  if (!ok) {
    not_run(b, name, SC_BENCH_DECODE, B, chips, "offline: prefill: %s", err);
    return;
  }
  if (n_chunks == 1) last = first;
  double w = n_chunks / 2.0, pre_s = w * (first.cycles + last.cycles) / clock;
  double pre_j = w * (first.energy_j + last.energy_j);
  sc_bench_row *row = row_add(b);
  if (!row) return;
  row_head(row, b->arch->name, name, dt, SC_BENCH_DECODE, B);
  row->chips = chips;
  row->context = pos;
  row->prompt = in;
  double flops = 2 * B * (mc->matmul_params + mc->attn_macs_per_pos * pos);
  /* the weights the step reads (the matmuls' of the batch, as in the decode rows) */
  double bytes = mc->weight_bytes + B * mc->kv_bytes_per_pos * pos;
  row_fill(b, row, &d, B, flops, bytes);
  row->sim_wall_s = now_s() - t0;
  double step_s = row->step_s, per_tok = step_s / B + pre_s / out;
  row->offline_out = out;
  row->offline_prefill_s = pre_s;
  row->offline_tok_s_chip = 1 / per_tok / chips;
  snprintf(
      row->note, sizeof row->note,
      "offline: requests of %u input and %u output tokens, the largest batch whose %u-position "
      "caches fit (fewer while it does not compile), the step at position %u (the mean); with "
      "each request's prefill (%.1f ms, "
      "%u chunks) %.0f output tokens/s per chip, %.2f tokens/J",
      in, out, ctx, pos, pre_s * 1e3, n_chunks, row->offline_tok_s_chip,
      1 / (d.energy_j / B + pre_j / out));
  peer_floor(b, row);
}

/* Decode rows of one model at batch 1 (and the batches the compiler cannot
 * generate yet, as rows not run). */
static void bench_model(bench *b, const char *name) {
  sc_model_config cfg;
  char what[96], err[1024];
  const char *dt = sc_cc_wdtype_name(b->wdtype);
  if (sc_model_config_load(name, &cfg, err, sizeof err) != SC_STATUS_OK) {
    if (strchr(name, '/') || strchr(name, '.')) /* a file */
      not_run(b, name, SC_BENCH_DECODE, 1, 0, "%.300s", err);
    else
      not_run(b, name, SC_BENCH_DECODE, 1, 0, "no built-in configuration '%.100s' yet", name);
    tick(b, ROWS_PER_MODEL);
    progress(b, name);
    return;
  }
  model_cost mc = cost_of(&cfg, b->wdtype, b->kv == SC_DTYPE_BF16 ? 2 : 4);
  double kv_seq = mc.kv_bytes_per_pos * CONTEXT; /* one sequence's, on one chip */
  double need = mc.weight_bytes + kv_seq;
  double cap = (double)b->arch->memory.capacity_bytes;
  /* the chips: --system's, or the fewest whose memory holds the weights and
   * one cache and that split the model evenly (tensor parallelism) */
  uint32_t chips = b->chips ? b->chips : (uint32_t)ceil(need / cap);
  if (!b->chips)
    while (chips <= SC_SYS_MAX_CHIPS && !tp_divides(&cfg, chips)) chips++;
  if (chips > SC_SYS_MAX_CHIPS || need > cap * chips || !tp_divides(&cfg, chips)) {
    uint32_t least = (uint32_t)ceil(need / cap);
    if (b->chips && need <= cap * chips)
      not_run(b, name, SC_BENCH_DECODE, 1, chips,
              "%u chips do not divide its %u %s heads, %u hidden units and %u vocabulary "
              "entries evenly (tensor parallelism)",
              chips, cfg.kv_lora_rank ? cfg.n_heads : cfg.n_kv_heads,
              cfg.kv_lora_rank ? "query" : "kv", cfg.hidden_dim, cfg.vocab_size);
    else
      not_run(b, name, SC_BENCH_DECODE, 1, least,
              "needs %u chips or more (%.0f GB of weights in %s and one 4k cache, %.0f GB per "
              "chip)%s",
              least, need / 1e9, dt, cap / 1e9, b->chips ? "; --system has fewer" : "");
    tick(b, ROWS_PER_MODEL);
    progress(b, name);
    return;
  }
  cap *= chips;
  /* a latent cache is on every chip of the group (each has all the heads'
   * latent); other caches are split by kv heads */
  double kv_copies = cfg.kv_lora_rank ? chips : 1;
  mc.kv_bytes_per_pos *= kv_copies;
  kv_seq *= kv_copies;
  uint32_t max_batch = (uint32_t)((cap - mc.weight_bytes) / kv_seq);
  step_run s = {.arch = (sc_arch *)b->arch, .chips = chips, .sys = b->sys};
  /* decode at batch 1, 8, 64 and the largest that fits, at the context's last position */
  uint32_t batches[] = {1, 8, 64, max_batch};
  size_t ticked = 0;
  for (size_t i = 0; i < SC_ARRAY_LEN(batches); i++) {
    uint32_t B = batches[i];
    if (i == 3 && B <= 64) break;
    snprintf(what, sizeof what, "%s decode b%u", name, B);
    progress(b, what);
    double t0 = now_s();
    step_result r = {0};
    sc_bench_row *row;
    if (left_out(b, name, &cfg, SC_BENCH_DECODE, B, chips, B)) {
      tick(b, 1);
      ticked++;
      continue;
    }
    bool made = step_make(&s, &cfg, b->wdtype, b->kv, B, B, B == 1, CONTEXT, err, sizeof err);
    /* the largest batch: fewer while the caches and activations do not fit in memory */
    while (!made && i == 3 && B > 64 && strstr(err, "bytes of device memory")) {
      step_free(&s);
      uint32_t next = fit_batch(err, B, B * 31 / 32, mc.weight_bytes / chips, cap / chips);
      B = next > 64 ? next : 64;
      made = step_make(&s, &cfg, b->wdtype, b->kv, B, B, false, CONTEXT, err, sizeof err);
    }
    if (!made || !step_time(&s, CONTEXT - 1, &r, err, sizeof err)) {
      not_run(b, name, SC_BENCH_DECODE, B, chips, "%s", err);
    } else if ((row = row_add(b)) != NULL) {
      row_head(row, b->arch->name, name, dt, SC_BENCH_DECODE, B);
      row->chips = chips;
      double flops = 2 * B * (mc.matmul_params + mc.attn_macs_per_pos * CONTEXT);
      double bytes =
          s.weight_elems * wbytes_per_param(b->wdtype) + B * mc.kv_bytes_per_pos * CONTEXT;
      row_fill(b, row, &r, B, flops, bytes);
      row->sim_wall_s = now_s() - t0;
      if (i == 3) snprintf(row->note, sizeof row->note, "the largest batch whose 4k caches fit");
      if (chips > 1) {
        size_t len = strlen(row->note);
        snprintf(row->note + len, sizeof row->note - len, "%stensor parallel over %u chips",
                 len ? "; " : "", chips);
      }
      peer_floor(b, row);
    }
    step_free(&s);
    tick(b, 1);
    ticked++;
  }
  if (b->off_in || strcmp(name, "llama-2-70b") == 0) bench_offline(b, name, &cfg, &mc, chips, cap);
  /* prefill of PROMPT tokens in chunks of mxu.rows */
  snprintf(what, sizeof what, "%s prefill %u", name, PROMPT);
  progress(b, what);
  double t0 = now_s();
  step_result r = {0};
  sc_bench_row *row;
  /* the largest chunk the compiler fits in SRAM (activations are not tiled yet) */
  uint32_t chunk = b->arch->core.mxu.rows;
  if (left_out(b, name, &cfg, SC_BENCH_PREFILL, 1, chips, chunk)) {
    tick(b, ROWS_PER_MODEL - ticked);
    progress(b, name);
    return;
  }
  bool ok = step_make(&s, &cfg, b->wdtype, b->kv, chunk, 1, true, CONTEXT, err, sizeof err);
  while (!ok && chunk > 1) {
    step_free(&s);
    chunk /= 2;
    ok = step_make(&s, &cfg, b->wdtype, b->kv, chunk, 1, true, CONTEXT, err, sizeof err);
  }
  /* The first and the last chunk, and the chunks between by linear
   * interpolation: only attention depends on the position, linearly
   * (docs/BENCH.md, "Prefill"). A smaller chunk can be faster (more of it fits
   * in SRAM: the GEMVs): the first chunks of the largest and of half of it are
   * timed and the faster per token is kept. */
  step_result first = {0}, last = {0};
  ok = ok && step_time(&s, 0, &first, err, sizeof err);
  if (ok && chunk > 1) {
    step_run h = {.arch = s.arch, .chips = chips, .sys = b->sys};
    step_result hf = {0};
    if (step_make(&h, &cfg, b->wdtype, b->kv, chunk / 2, 1, true, CONTEXT, err, sizeof err) &&
        step_time(&h, 0, &hf, err, sizeof err) && 2 * hf.cycles < first.cycles) {
      step_free(&s);
      s = h;
      first = hf;
      chunk /= 2;
    } else {
      step_free(&h);
    }
  }
  uint32_t n_chunks = PROMPT / chunk;
  progress(b, what);
  ok = ok && (n_chunks == 1 || step_time(&s, PROMPT - chunk, &last, err, sizeof err));
  if (ok) {
    if (n_chunks == 1) last = first;
    double w = n_chunks / 2.0;
    r.cycles = w * (first.cycles + last.cycles);
    r.energy_j = w * (first.energy_j + last.energy_j);
    r.mem_bytes = w * (first.mem_bytes + last.mem_bytes);
    for (int i = 0; i < P_COUNT; i++) r.parts[i] = w * (first.parts[i] + last.parts[i]);
  }
  if (!ok) {
    not_run(b, name, SC_BENCH_PREFILL, 1, chips, "%s", err);
  } else if ((row = row_add(b)) != NULL) {
    row_head(row, b->arch->name, name, dt, SC_BENCH_PREFILL, 1);
    row->chips = chips;
    double n = PROMPT;
    double flops = 2 * (mc.matmul_params * n + mc.attn_macs_per_pos * n * (n + 1) / 2);
    double bytes = s.weight_elems * wbytes_per_param(b->wdtype) + mc.kv_bytes_per_pos * n;
    row_fill(b, row, &r, n, flops, bytes);
    row->sim_wall_s = now_s() - t0;
    snprintf(row->note, sizeof row->note,
             "%u launches of %u tokens (the largest chunk that fits); the first and last "
             "simulated, the rest interpolated%s%s",
             n_chunks, chunk,
             cfg.n_experts ? "; each used expert runs on every token of a chunk (up to "
                             "experts/k times the expert FLOPs)"
                           : "",
             chips > 1 ? "; tensor parallel" : "");
    peer_floor(b, row);
  }
  step_free(&s);
  tick(b, ROWS_PER_MODEL - ticked);
  progress(b, name);
}

static void free_models(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* The comma-separated names of list, each 1 to 47 bytes; false (nothing
 * allocated) for an empty name or list. */
static bool split_models(const char *list, char ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  const char *p = list;
  while (*p) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    char **v = len == 0 || len >= 48 ? NULL : realloc(*out, (*n + 1) * sizeof *v);
    if (v) *out = v;
    char *name = v ? strndup(p, len) : NULL;
    if (!name || (e && !e[1])) {
      free(name);
      free_models(*out, *n);
      *out = NULL;
      *n = 0;
      return false;
    }
    v[(*n)++] = name;
    p += len + (e != NULL);
  }
  return *n > 0;
}

static void goal_line(bench *b, const char *fmt, ...) SC_PRINTF(2, 3);
static void goal_line(bench *b, const char *fmt, ...) {
  size_t len = strlen(b->r.goals);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b->r.goals + len, sizeof b->r.goals - len, fmt, ap);
  va_end(ap);
  len = strlen(b->r.goals);
  if (len + 1 < sizeof b->r.goals) {
    b->r.goals[len] = '\n';
    b->r.goals[len + 1] = 0;
  }
}

static void goals(bench *b) {
  for (size_t i = 0; i < b->r.n_rows; i++) {
    const sc_bench_row *r = &b->r.rows[i];
    if (r->kind != SC_BENCH_SIMULATED || !r->ok) continue;
    if (r->phase == SC_BENCH_DECODE && r->batch == 1)
      goal_line(b, "%s decode batch 1 at %.1f%% of the memory-bandwidth floor (goal 85%%): %s",
                r->model, 100 * r->floor_mem_s / r->step_s,
                r->floor_mem_s / r->step_s >= 0.85 ? "met" : "MISSED");
    if (r->phase == SC_BENCH_DECODE && r->batch == 1 && strcmp(r->model, "llama-3.1-70b") == 0)
      goal_line(b, "llama-3.1-70b batch 1, 4k context: %.2f ms per token (goal 12 ms): %s",
                r->ms_per_token, r->ms_per_token <= 12 ? "met" : "MISSED");
    if (r->phase == SC_BENCH_PREFILL)
      goal_line(b, "%s prefill of %u tokens at %.1f%% of the %s peak (goal 50%%): %s", r->model,
                r->prompt, 100 * r->mxu_util, r->dtype, r->mxu_util >= 0.5 ? "met" : "MISSED");
  }
  /* offline rows: Llama-2-70B's against the goal, the others' as they are */
  bool l2 = false;
  for (size_t i = 0; i < b->r.n_rows; i++) {
    const sc_bench_row *r = &b->r.rows[i];
    if (r->kind != SC_BENCH_SIMULATED || !r->ok || r->offline_tok_s_chip <= 0) continue;
    bool goal = strcmp(r->model, "llama-2-70b") == 0;
    l2 |= goal;
    goal_line(b,
              "%s offline, %u input + %u output tokens a request, batch %u, prefill included: "
              "%.0f output tokens/s per chip%s%s",
              r->model, r->prompt, r->offline_out, r->batch, r->offline_tok_s_chip,
              goal ? " (goal 4,000; H200 3,913 in MLPerf v4.1): " : "",
              goal ? (r->offline_tok_s_chip >= 4000 ? "met" : "MISSED") : "");
  }
  if (!l2)
    goal_line(b, "llama-2-70b offline throughput (goal 4,000 output tokens/s per chip; H200 "
                 "3,913): not in this run (add llama-2-70b to --models)");
}

typedef struct model_job {
  bench b; /* its own rows */
  const char *name;
} model_job;

typedef struct job_pool {
  model_job *jobs;
  size_t n, next;
  pthread_mutex_t lock;
} job_pool;

/* Takes models from the pool until none is left. */
static void *model_worker(void *arg) {
  job_pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    size_t i = p->next++;
    pthread_mutex_unlock(&p->lock);
    if (i >= p->n) return NULL;
    model_job *j = &p->jobs[i];
    bench_model(&j->b, j->name);
    if (strcmp(j->name, "llama-3.1-70b") == 0)
      peer_measured(&j->b, j->name, SC_BENCH_DECODE, 1, 19.6, 51.1,
                    "TensorRT-LLM, Llama-3.3-70B (the same architecture), batch 1, H200; NVIDIA "
                    "developer blog",
                    "measured");
  }
}

int cmd_bench(int argc, char **argv) {
  static const struct option opts[] = {{"arch", required_argument, NULL, 'a'},
                                       {"models", required_argument, NULL, 'm'},
                                       {"dtype", required_argument, NULL, 'd'},
                                       {"system", required_argument, NULL, 's'},
                                       {"kv", required_argument, NULL, 'k'},
                                       {"html", required_argument, NULL, 'H'},
                                       {"json", required_argument, NULL, 'J'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"offline", required_argument, NULL, 'o'},
                                       {NULL, 0, NULL, 0}};
  const char *arch_name = "sc1", *models = "llama-3.1-8b,llama-3.1-70b,mixtral-8x7b,deepseek-v3";
  const char *html = "bench-report.html", *json = "bench-report.json", *system = NULL;
  sc_system *sys = NULL;
  bench b = {0};
  bool b_quiet = false;
  progress_state ps = {.lock = PTHREAD_MUTEX_INITIALIZER};
  b.wdtype = SC_CC_FP8;
  b.kv = SC_DTYPE_BF16;
  optind = 0;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'a':
      arch_name = optarg;
      break;
    case 'm':
      models = optarg;
      b.full = true;
      break;
    case 'd':
      b.wdtype = sc_cc_wdtype_parse(optarg);
      if (b.wdtype == SC_CC_WDTYPE_COUNT)
        return cli_usage_error("bench", usage, "--dtype: unknown dtype '%s'", optarg);
      break;
    case 's':
      system = optarg;
      break;
    case 'k':
      if (strcmp(optarg, "bf16") == 0)
        b.kv = SC_DTYPE_BF16;
      else if (strcmp(optarg, "fp32") == 0)
        b.kv = SC_DTYPE_FP32;
      else
        return cli_usage_error("bench", usage, "--kv: bf16 or fp32, not '%s'", optarg);
      break;
    case 'H':
      html = optarg;
      break;
    case 'J':
      json = optarg;
      break;
    case 'q':
      b_quiet = true;
      break;
    case 'o': {
      unsigned in = 0, out = 0;
      int used = 0;
      if (sscanf(optarg, "%u,%u%n", &in, &out, &used) != 2 || optarg[used] || optarg[0] == '-' ||
          strchr(optarg, '-') || in < 1 || out < 1 || in > 65536 || out > 65536)
        return cli_usage_error("bench", usage,
                               "--offline: IN,OUT (input and output tokens, 1 to 65536), not '%s'",
                               optarg);
      b.off_in = in;
      b.off_out = out;
      break;
    }
    case 'h':
      fputs(usage, stdout);
      return CLI_EXIT_OK;
    default:
      return cli_bad_option("bench", usage, argv);
    }
  }
  if (optind != argc)
    return cli_usage_error("bench", usage, "unexpected argument '%s'", argv[optind]);
  char **names;
  size_t n_models;
  if (!split_models(models, &names, &n_models))
    return cli_usage_error("bench", usage, "--models: expected names separated by commas, got '%s'",
                           models);
  int rc = CLI_EXIT_FAIL;
  sc_arch *arch = NULL;
  sc_strbuf errors = {0}, out = {0};
  char err[512];
  double t0 = now_s();
  if (sc_arch_load(arch_name, &arch, &errors) != SC_STATUS_OK) {
    cli_fail("cannot load architecture '%s':\n%s", arch_name, sc_strbuf_str(&errors));
    goto done;
  }
  snprintf(b.r.system, sizeof b.r.system, "fewest %.20s chips per model", arch->name);
  if (system) { /* its chips, topology and links; its chip replaces --arch */
    if (!(sys = malloc(sizeof *sys))) {
      cli_fail("out of memory");
      goto done;
    }
    if (sc_system_load(system, arch, sys, &errors) != SC_STATUS_OK) {
      rc = cli_usage_error("bench", usage, "--system '%s': %s", system, sc_strbuf_str(&errors));
      goto done;
    }
    *arch = sys->chip;
    b.chips = sys->chips;
    b.sys = sys;
    snprintf(b.r.system, sizeof b.r.system, "%s", sys->name);
  }
  b.arch = arch;
  sc_dtype pk = b.wdtype == SC_CC_FP8 || b.wdtype == SC_CC_FP8_CHANNEL ? SC_DTYPE_FP8_E4M3
                : b.wdtype == SC_CC_F32                                ? SC_DTYPE_FP32
                                                                       : SC_DTYPE_BF16;
  sc_arch_figures fig;
  sc_arch_derive(arch, &fig);
  b.peak_flop_s = fig.peak_ops_per_s[pk];
  b.mem_b_s = fig.mem_effective_gb_s * 1e9;
  snprintf(b.r.arch, sizeof b.r.arch, "%s", arch->name);
  snprintf(b.r.dtype, sizeof b.r.dtype, "%s", sc_cc_wdtype_name(b.wdtype));
  snprintf(b.r.kv_dtype, sizeof b.r.kv_dtype, "%s", sc_dtype_name(b.kv));
  b.r.n_roofs = 2;
  snprintf(b.r.roofs[0].chip, sizeof b.r.roofs[0].chip, "%s", arch->name);
  b.r.roofs[0].peak_flop_s = b.peak_flop_s;
  b.r.roofs[0].mem_b_s = b.mem_b_s;
  b.r.roofs[0].tdp_w = arch->power.tdp_w;
  snprintf(b.r.roofs[1].chip, sizeof b.r.roofs[1].chip, "H200");
  b.r.roofs[1].peak_flop_s = H200_FLOP_S;
  b.r.roofs[1].mem_b_s = H200_MEM_B_S;
  b.r.roofs[1].tdp_w = H200_TDP_W;
  ps.quiet = b_quiet;
  ps.total = ROWS_PER_MODEL * n_models;
  b.ps = &ps;
  /* the models on as many host threads as there are cores: each its own rows */
  model_job *jobs = calloc(n_models, sizeof *jobs);
  if (!jobs) {
    cli_fail("out of memory");
    goto done;
  }
  job_pool pool = {.jobs = jobs, .n = n_models, .lock = PTHREAD_MUTEX_INITIALIZER};
  for (size_t i = 0; i < n_models; i++) {
    jobs[i].b = b;
    jobs[i].b.r.rows = NULL;
    jobs[i].b.r.n_rows = 0;
    jobs[i].b.cap = 0;
    jobs[i].name = names[i];
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t n_threads = cpus < 1 ? 1 : (size_t)cpus;
  if (n_threads > n_models) n_threads = n_models;
  if (n_threads > 16) n_threads = 16;
  pthread_t threads[16];
  size_t started = 0;
  for (size_t t = 1; t < n_threads; t++)
    if (pthread_create(&threads[started], NULL, model_worker, &pool) == 0) started++;
  model_worker(&pool); /* this thread is a worker too */
  for (size_t t = 0; t < started; t++) pthread_join(threads[t], NULL);
  bool oom = false;
  for (size_t i = 0; i < n_models; i++) { /* rows in model order */
    for (size_t k = 0; k < jobs[i].b.r.n_rows && !oom; k++) {
      sc_bench_row *row = row_add(&b);
      if (row)
        *row = jobs[i].b.r.rows[k];
      else
        oom = true;
    }
    free(jobs[i].b.r.rows);
  }
  free(jobs);
  if (oom) {
    cli_fail("out of memory");
    goto done;
  }
  peer_measured(&b, "llama-2-70b", SC_BENCH_DECODE, 0, 0, 3913,
                "MLPerf Inference v4.1, Llama-2-70B offline, 8x H200: 31,303 tok/s; "
                "MLCommons inference_results_v4.1",
                "offline throughput per chip");
  if (!b_quiet) fputc('\n', stderr);
  goals(&b);
  b.r.wall_s = now_s() - t0;
  if (sc_bench_table(&b.r, &out) != SC_STATUS_OK) {
    cli_fail("out of memory");
    goto done;
  }
  fputs(sc_strbuf_str(&out), stdout);
  sc_strbuf_free(&out);
  if (sc_bench_html(&b.r, &out) != SC_STATUS_OK ||
      sc_write_file(html, out.data, out.len, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("--html %s: %s", html, err);
    goto done;
  }
  sc_strbuf_free(&out);
  if (sc_bench_json(&b.r, &out) != SC_STATUS_OK ||
      sc_write_file(json, out.data, out.len, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("--json %s: %s", json, err);
    goto done;
  }
  printf("wrote %s and %s (%.1f s)\n", html, json, now_s() - t0);
  rc = CLI_EXIT_OK;
done:
  free_models(names, n_models);
  free(b.r.rows);
  sc_strbuf_free(&out);
  sc_strbuf_free(&errors);
  sc_arch_destroy(arch);
  free(sys);
  return rc;
}
