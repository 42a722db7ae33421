/* sim_cost.c: what one engine op costs on the chip: cycles of its datapath,
 * cycles of its SRAM accesses (with bank conflicts), the MXU's pipeline
 * latency, a DMA's size, limits and latencies, the bytes it puts on each
 * memory channel, and the actions the energy model counts. Pure functions of
 * the op, its captured register values and the architecture: no data is
 * touched, so the timing-only mode costs ops exactly as the timed mode does.
 * docs/PERF_MODEL.md gives every formula. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_time.h"

/* Each opcode's engine and format (sc_isa_info_of's), as tables: every op is
 * costed, most of them twice. Opcodes that do not decode are never costed. */
const uint8_t sim_engine_of[256] = {
#define SC_INSN(name, opcode, mnemonic, engine, format, group, flags, semantics)                   \
  [(opcode)] = SC_ISA_ENGINE_##engine,
#include "seedchip/isa.def"
};
static const uint8_t format_of[256] = {
#define SC_INSN(name, opcode, mnemonic, engine, format, group, flags, semantics)                   \
  [(opcode)] = SC_ISA_FMT_##format,
#include "seedchip/isa.def"
};

static uint64_t ceil_div(uint64_t a, uint64_t b) {
  return b ? a / b + (a % b != 0) : 0;
}

static uint64_t ceil_d(double x) {
  return x <= 0 ? 0 : (uint64_t)ceil(x);
}

/* Bytes of a row of n elements of dtype dt (INT4: two per byte). */
static uint64_t row_bytes(sc_dtype dt, uint64_t n) {
  unsigned bits = sc_dtype_bits(dt);
  return bits == 4 ? (n + 1) / 2 : n * (bits / 8);
}

/* ---- SRAM banks ----
 * Bank b holds the words w with w mod banks == b, a word being
 * bank_width_bytes. An op's accesses to its core's SRAM add one access per
 * word touched to that word's bank; the op's SRAM time is the busiest bank's
 * accesses over the ports per bank. */
typedef struct banks {
  uint64_t n, width, all; /* banks, bytes per word, accesses added to every bank */
  uint64_t total;         /* accesses in all */
  int64_t *diff;          /* n + 1 entries: difference array of per-bank extras */
  bool touched;           /* diff holds something (it is zeroed when first used) */
  /* Banks and widths are powers of two on every chip we model: then the
   * divisions below are shifts (the same values, for far fewer cycles). */
  bool n_pow2, w_pow2;
  unsigned n_log2, w_log2;
} banks;

static uint64_t mod_n(const banks *b, uint64_t x) {
  return b->n_pow2 ? x & (b->n - 1) : x % b->n;
}

static uint64_t div_n(const banks *b, uint64_t x) {
  return b->n_pow2 ? x >> b->n_log2 : x / b->n;
}

static uint64_t div_w(const banks *b, uint64_t x) {
  return b->w_pow2 ? x >> b->w_log2 : x / b->width;
}

/* Adds `count` consecutive words starting at word w0, `times` times. */
static void bank_words(banks *b, uint64_t w0, uint64_t count, uint64_t times) {
  b->total += count * times;
  b->all += div_n(b, count) * times;
  uint64_t rem = mod_n(b, count), s = mod_n(b, w0);
  int64_t k = (int64_t)times;
  if (!rem) return;
  if (!b->touched) {
    memset(b->diff, 0, (b->n + 1) * sizeof *b->diff);
    b->touched = true;
  }
  if (s + rem <= b->n) {
    b->diff[s] += k;
    b->diff[s + rem] -= k;
  } else {
    b->diff[s] += k;
    b->diff[b->n] -= k;
    b->diff[0] += k;
    b->diff[s + rem - b->n] -= k;
  }
}

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Adds a tile: rows rows of nbytes bytes, stride apart, from addr. A row's
 * banks depend only on its offset within one bank period (banks * width
 * bytes), and the offsets repeat every P rows: only one period is visited.
 * Contiguous rows of whole words touch each word once: one run of words,
 * the same accesses per bank. */
static void bank_tile(banks *b, uint64_t addr, uint64_t rows, uint64_t nbytes, uint64_t stride) {
  if (!rows || !nbytes) return;
  uint64_t period = b->n * b->width;
  if (rows > 1 && stride == nbytes && b->w_pow2 && b->n_pow2 && rows < ((uint64_t)1 << 31) &&
      nbytes < ((uint64_t)1 << 31) && ((addr | nbytes) & (b->width - 1)) == 0) {
    bank_words(b, div_w(b, addr & (period - 1)), rows * div_w(b, nbytes), 1);
    return;
  }
  uint64_t step = b->n_pow2 && b->w_pow2 ? stride & (period - 1) : stride % period;
  uint64_t P = step ? period / gcd(step, period) : 1;
  uint64_t visit = rows < P ? rows : P, whole = rows / P, extra = rows % P;
  uint64_t base = b->n_pow2 && b->w_pow2 ? addr & (period - 1) : addr % period;
  for (uint64_t r = 0; r < visit; r++) {
    uint64_t a = base + r * step;
    uint64_t w0 = div_w(b, a), w1 = div_w(b, a + nbytes - 1);
    bank_words(b, w0, w1 - w0 + 1, rows < P ? 1 : whole + (r < extra));
  }
}

static unsigned log2_of(uint64_t x) {
  unsigned k = 0;
  while (x > 1) x >>= 1, k++;
  return k;
}

/* The busiest bank's accesses. */
static uint64_t bank_max(const banks *b) {
  if (!b->touched) return b->all;
  int64_t run = 0, best = 0;
  for (uint64_t i = 0; i < b->n; i++) {
    run += b->diff[i];
    if (run > best) best = run;
  }
  return b->all + (uint64_t)best;
}

enum { MAX_BANKS_STACK = 4096 };

typedef struct bank_buf {
  banks b;
  int64_t space[MAX_BANKS_STACK + 1];
} bank_buf;

static banks *bank_init(bank_buf *buf, const sc_arch *a) {
  uint64_t n = a->core.sram.banks;
  if (n > MAX_BANKS_STACK) n = MAX_BANKS_STACK; /* beyond this, banks are pooled */
  buf->b.n = n;
  buf->b.width = a->core.sram.bank_width_bytes;
  buf->b.all = buf->b.total = 0;
  buf->b.n_pow2 = n && (n & (n - 1)) == 0;
  buf->b.w_pow2 = buf->b.width && (buf->b.width & (buf->b.width - 1)) == 0;
  buf->b.n_log2 = log2_of(n);
  buf->b.w_log2 = log2_of(buf->b.width);
  buf->b.diff = buf->space;
  buf->b.touched = false;
  return &buf->b;
}

/* SRAM cycles of the accesses added to b. */
static uint64_t bank_cycles(const banks *b, const sc_arch *a) {
  return ceil_div(bank_max(b), a->core.sram.ports_per_bank);
}

/* A tile operand: added to the banks when it is in SRAM, to the byte counts. */
static void operand(sim_cost *c, banks *b, unsigned space, uint64_t addr, sc_dtype dt,
                    uint64_t rows, uint64_t cols, uint64_t stride) {
  if (!rows || !cols) return;
  uint64_t nb = row_bytes(dt, cols);
  if (space == SC_ISA_SPACE_ACC) {
    c->acc_bytes += rows * nb;
    return;
  }
  c->sram_bytes += rows * nb;
  bank_tile(b, addr, rows, nb, rows > 1 ? stride : 0);
}

/* ---- VPU ---- */

/* Lane ALU ops and special-function results per element, by opcode (the op
 * classes of docs/PERF_MODEL.md). */
static void vpu_class(unsigned opcode, unsigned *alu, unsigned *sfu) {
  *alu = 1, *sfu = 0;
  switch (opcode) {
  case SC_OP_VPU_EXP:
  case SC_OP_VPU_LOG:
  case SC_OP_VPU_RECIP:
  case SC_OP_VPU_SQRT:
  case SC_OP_VPU_RSQRT:
  case SC_OP_VPU_SIGMOID:
  case SC_OP_VPU_TANH:
    *alu = 0, *sfu = 1;
    break;
  case SC_OP_VPU_SILU:
  case SC_OP_VPU_DIV:
  case SC_OP_VPU_QUANT:
    *alu = 1, *sfu = 1;
    break;
  case SC_OP_VPU_GELU:
    *alu = 5, *sfu = 1;
    break;
  case SC_OP_VPU_RSUMSQ:
    *alu = 2;
    break;
  case SC_OP_VPU_ROPE:
    *alu = 3;
    break;
  default:
    break;
  }
}

/* An architecture without a special-function unit computes each result in
 * this many lane ALU ops. */
enum { SFU_EMULATION_OPS = 16 };

static void cost_vpu(const sc_sim *sim, const sim_op *op, sim_cost *c) {
  const sc_arch *a = &sim->arch;
  const sc_insn *in = &op->in;
  const uint64_t *g = op->g;
  bank_buf bb;
  banks *b = bank_init(&bb, a);
  uint64_t rows = g[0], cols = g[1];
  sc_dtype ddt = (sc_dtype)in->ddt, sdt = (sc_dtype)in->s1dt, s2dt = (sc_dtype)in->s2dt;
  unsigned dsp = (unsigned)in->dsp, s1sp = (unsigned)in->s1sp, s2sp = (unsigned)in->s2sp;
  uint64_t produced = rows * cols;
  switch (format_of[in->opcode]) {
  case SC_ISA_FMT_VU:
    if (in->opcode == SC_OP_VPU_TRANS) {
      operand(c, b, dsp, op->xd, ddt, cols, rows, g[2]);
    } else if (in->opcode == SC_OP_VPU_RARGMAX) {
      operand(c, b, dsp, op->xd, ddt, rows, 1, g[2]);
      produced = rows;
    } else {
      operand(c, b, dsp, op->xd, ddt, rows, cols, g[2]);
    }
    operand(c, b, s1sp, op->xs1, sdt, rows, cols, g[3]);
    break;
  case SC_ISA_FMT_VS:
    operand(c, b, dsp, op->xd, ddt, rows, cols, g[2]);
    operand(c, b, s1sp, op->xs1, sdt, rows, cols, g[3]);
    break;
  case SC_ISA_FMT_VR:
    operand(c, b, dsp, op->xd, ddt, rows, 1, g[2]);
    if (in->sel == SC_ISA_ACCMODE_ACCUMULATE) operand(c, b, dsp, op->xd, ddt, rows, 1, g[2]);
    operand(c, b, s1sp, op->xs1, sdt, rows, cols, g[3]);
    produced = rows;
    break;
  case SC_ISA_FMT_VB: {
    unsigned bc = (unsigned)in->sel;
    uint64_t r2 = bc == SC_ISA_BCAST_FULL || bc == SC_ISA_BCAST_COL ? rows : 1;
    uint64_t c2 = bc == SC_ISA_BCAST_FULL || bc == SC_ISA_BCAST_ROW ? cols : 1;
    operand(c, b, dsp, op->xd, ddt, rows, cols, g[2]);
    operand(c, b, s1sp, op->xs1, sdt, rows, cols, g[3]);
    operand(c, b, s2sp, op->xs2, s2dt, r2, c2, g[4]);
    break;
  }
  case SC_ISA_FMT_VQ: {
    unsigned gr = (unsigned)in->sel;
    uint64_t G = g[5] ? g[5] : 1;
    uint64_t sr = gr == SC_ISA_GRAN_ROW || gr == SC_ISA_GRAN_GROUP ? rows : 1;
    uint64_t sc = gr == SC_ISA_GRAN_COL ? cols : gr == SC_ISA_GRAN_GROUP ? ceil_div(cols, G) : 1;
    operand(c, b, dsp, op->xd, ddt, rows, cols, g[2]);
    operand(c, b, s1sp, op->xs1, sdt, rows, cols, g[3]);
    operand(c, b, s2sp, op->xs2, s2dt, sr, sc, g[4]);
    break;
  }
  case SC_ISA_FMT_VROPE:
    operand(c, b, dsp, op->xd, ddt, rows, cols, g[2]);
    operand(c, b, s1sp, op->xs1, sdt, rows, cols, g[3]);
    operand(c, b, s2sp, op->xs2, s2dt, rows, cols, g[4]);
    break;
  case SC_ISA_FMT_VF:
    operand(c, b, dsp, op->xd, ddt, rows, cols, g[2]);
    break;
  default:
    break;
  }
  unsigned alu, sfu;
  vpu_class(in->opcode, &alu, &sfu);
  uint64_t elems = rows * cols;
  double alu_rate = a->core.vpu.lanes * a->core.vpu.alu_ops_per_lane_cycle;
  c->vpu_ops = elems * alu;
  c->sfu_elems = elems * sfu;
  uint64_t alu_cycles = ceil_d((double)c->vpu_ops / alu_rate), sfu_cycles;
  if (a->core.vpu.sfu_elems_per_cycle > 0) {
    sfu_cycles = ceil_d((double)c->sfu_elems / a->core.vpu.sfu_elems_per_cycle);
  } else {
    c->vpu_ops += c->sfu_elems * SFU_EMULATION_OPS;
    alu_cycles = ceil_d((double)c->vpu_ops / alu_rate);
    sfu_cycles = 0;
  }
  c->work = alu_cycles > sfu_cycles ? alu_cycles : sfu_cycles;
  if (c->work == 0) c->work = 1;
  c->sram = bank_cycles(b, a);
  c->cnt_vpu_elems = rows && cols ? produced : 0;
}

/* ---- MXU ---- */

static void cost_mxu(const sc_sim *sim, const sim_op *op, const sim_tile *tile, sim_cost *c) {
  const sc_arch *a = &sim->arch;
  const sc_insn *in = &op->in;
  const uint64_t *g = op->g;
  bank_buf bb;
  banks *b = bank_init(&bb, a);
  switch (in->opcode) {
  case SC_OP_MXU_LDW:
  case SC_OP_MXU_LDWQ: {
    uint64_t K = g[0], N = g[1];
    bool nk = in->sel == SC_ISA_LAYOUT_NK;
    operand(c, b, SC_ISA_SPACE_SRAM, op->xs1, (sc_dtype)in->s1dt, nk ? N : K, nk ? K : N, g[2]);
    if (in->opcode == SC_OP_MXU_LDWQ && g[3]) {
      sc_dtype sdt = (sc_dtype)in->s2dt;
      operand(c, b, SC_ISA_SPACE_SRAM, op->xs2, sdt, ceil_div(K, g[3]), N, row_bytes(sdt, N));
    }
    c->work = K ? K : 1;
    c->tile_k = (uint32_t)(K < UINT32_MAX ? K : UINT32_MAX);
    c->tile_n = (uint32_t)(N < UINT32_MAX ? N : UINT32_MAX);
    c->tile_dtype = (sc_dtype)(in->opcode == SC_OP_MXU_LDWQ ? in->ddt : in->s1dt);
    break;
  }
  case SC_OP_MXU_MM: {
    uint64_t M = g[0], K = tile->k, N = tile->n;
    sc_dtype adt = (sc_dtype)in->s1dt;
    double rate = adt < SC_DTYPE_COUNT ? a->core.mxu.macs_per_pe_cycle[adt] : 0;
    if (!(rate > 0)) rate = 1;
    operand(c, b, SC_ISA_SPACE_SRAM, op->xs1, adt, M, K, g[1]);
    bool acc = in->sel == SC_ISA_ACCMODE_ACCUMULATE;
    c->acc_bytes += M * N * 4 * (acc ? 2 : 1);
    c->work = ceil_d((double)M / rate);
    if (c->work == 0) c->work = 1;
    c->latency = (uint64_t)a->core.mxu.rows + a->core.mxu.cols - 2;
    c->macs = c->cnt_macs = M * K * N;
    c->mac_dtype = adt;
    break;
  }
  case SC_OP_MXU_DRAIN: {
    uint64_t M = g[0], N = g[1];
    operand(c, b, SC_ISA_SPACE_SRAM, op->xd, (sc_dtype)in->ddt, M, N, g[2]);
    c->acc_bytes += M * N * 4;
    c->work = M * ceil_div(N, a->core.mxu.cols);
    if (c->work == 0) c->work = 1;
    break;
  }
  default:
    break;
  }
  c->sram = bank_cycles(b, a);
}

/* The memo's key of an MXU or VPU op: exactly what cost_mxu or cost_vpu
 * reads of it (keep them in step), the rest zero. false when a field does not
 * fit the packing or the op is of another engine (it is then costed without
 * the memo). */
static bool memo_key(const sim_op *op, const sim_tile *tile, uint64_t key[SIM_COST_MEMO_KEY]) {
  const sc_insn *in = &op->in;
  const uint64_t *g = op->g;
  uint64_t sel = (uint64_t)in->sel, s1dt = (uint64_t)in->s1dt, s2dt = (uint64_t)in->s2dt,
           ddt = (uint64_t)in->ddt, dsp = (uint64_t)in->dsp, s1sp = (uint64_t)in->s1sp,
           s2sp = (uint64_t)in->s2sp;
  if ((sel | s1dt | s2dt | ddt | dsp | s1sp | s2sp) > 0xff) return false; /* negative too */
  key[0] = (uint64_t)in->opcode | sel << 8 | s1dt << 16 | s2dt << 24 | ddt << 32 | dsp << 40 |
           s1sp << 48 | s2sp << 56;
  unsigned engine = sim_engine_of[in->opcode];
  if (engine == SC_ISA_ENGINE_VPU) {
    key[1] = op->xd, key[2] = op->xs1, key[3] = op->xs2;
    key[4] = g[0], key[5] = g[1], key[6] = g[2], key[7] = g[3], key[8] = g[4], key[9] = g[5];
    return true;
  }
  if (engine != SC_ISA_ENGINE_MXU) return false;
  for (unsigned k = 5; k < SIM_COST_MEMO_KEY; k++) key[k] = 0;
  switch (in->opcode) {
  case SC_OP_MXU_LDW:
  case SC_OP_MXU_LDWQ:
    key[1] = op->xs1, key[2] = g[0], key[3] = g[1], key[4] = g[2];
    if (in->opcode == SC_OP_MXU_LDWQ) key[5] = op->xs2, key[6] = g[3];
    return true;
  case SC_OP_MXU_MM:
    key[1] = op->xs1, key[2] = g[0], key[3] = g[1];
    key[4] = (uint64_t)tile->k | (uint64_t)tile->n << 32;
    return true;
  case SC_OP_MXU_DRAIN:
    key[1] = op->xd, key[2] = g[0], key[3] = g[1], key[4] = g[2];
    return true;
  default:
    return false;
  }
}

sim_cost_memo *sim_cost_memo_new(void) {
  return calloc(1, sizeof(sim_cost_memo));
}

void sim_cost_memo_free(sim_cost_memo *m) {
  free(m);
}

void sim_cost_op_memo(sim_cost_memo *m, const sc_sim *sim, const sim_core *core, const sim_op *op,
                      const sim_tile *tile, sim_cost *c) {
  uint64_t key[SIM_COST_MEMO_KEY];
  if (!m || !memo_key(op, tile, key)) {
    sim_cost_op(sim, core, op, tile, c);
    return;
  }
  sim_cost_memo_entry *e = &m->e[sim_memo_slot(key, SIM_COST_MEMO_KEY, SIM_COST_MEMO_LOG2)];
  if (e->valid && memcmp(e->key, key, sizeof key) == 0) {
    m->hits++;
    *c = e->c;
    return;
  }
  m->misses++;
  sim_cost_op(sim, core, op, tile, c);
  memcpy(e->key, key, sizeof key);
  e->c = *c;
  e->valid = true;
}

/* ---- DMA ---- */

uint32_t sim_mesh_hops(const sc_arch *a, uint32_t from, uint32_t to) {
  uint32_t cols = a->cores.mesh_cols;
  from %= a->cores.count, to %= a->cores.count;
  int64_t dr = (int64_t)(from / cols) - (int64_t)(to / cols);
  int64_t dc = (int64_t)(from % cols) - (int64_t)(to % cols);
  return (uint32_t)((dr < 0 ? -dr : dr) + (dc < 0 ? -dc : dc));
}

/* A side's channel occupancy (docs above sim_mem_side_chan): side[0] is what every
 * channel carries alike, side[1 + ch] a difference array over the channels
 * (channel ch carries side[0] + side[1] + ... + side[1 + ch]). */
static void chan_add(double *side, uint64_t C, uint64_t ch, uint64_t n, double v) {
  /* channels ch .. ch + n - 1 (mod C), n <= C */
  if (!n) return;
  double *d = side + 1;
  d[ch] += v;
  if (ch + n <= C) {
    d[ch + n] -= v;
  } else {
    d[C] -= v;
    d[0] += v;
    d[ch + n - C] -= v;
  }
}

/* Adds mult times the channel occupancy of the bytes [lo, hi) of device
 * memory: within each interleave block they occupy whole access units. */
static void channel_range(const sc_arch *a, double *side, uint64_t lo, uint64_t hi, double mult) {
  const uint64_t I = a->memory.interleave_bytes, A = a->memory.access_bytes;
  const uint64_t C = a->memory.channels;
  uint64_t blk = lo / I, last = (hi - 1) / I;
  uint64_t s = lo - blk * I, e = hi - last * I; /* the first block from s, the last to e */
  if (blk == last) {
    chan_add(side, C, blk % C, 1, mult * (double)((ceil_div(e, A) - s / A) * A));
    return;
  }
  chan_add(side, C, blk % C, 1, mult * (double)((ceil_div(I, A) - s / A) * A));
  chan_add(side, C, last % C, 1, mult * (double)(ceil_div(e, A) * A));
  uint64_t whole = last - blk - 1, per = whole / C, rem = whole % C;
  if (per) side[0] += mult * (double)(per * I); /* whole rounds: every channel alike */
  chan_add(side, C, (blk + 1) % C, rem, mult * (double)I);
}

/* Adds mult times the channel occupancy of a device-memory tile: rows of
 * nbytes from addr, stride apart (each row on its own: a row's partial access
 * units are its own). Occupancies are whole bytes, so the sums are exact in
 * any order (while they stay below 2^53: see by_periods): rows a multiple of
 * interleave x channels apart occupy the channels alike (one row times rows),
 * and contiguous rows that start and end on access units are one range. Otherwise a
 * row's occupancy depends only on its address modulo one round of the
 * channels (interleave x channels bytes), and those repeat every P rows:
 * with periods, one period is visited, each row counted as often as it
 * recurs; without, every row is added in turn. */
static void channel_tile(const sc_arch *a, double *chan, uint64_t addr, uint64_t rows,
                         uint64_t nbytes, uint64_t stride, double mult, bool periods) {
  const uint64_t I = a->memory.interleave_bytes, A = a->memory.access_bytes;
  const uint64_t C = a->memory.channels;
  if (!rows || !nbytes) return;
  if (rows > 1 && stride == nbytes && nbytes % A == 0 && addr % A == 0) {
    channel_range(a, chan, addr, addr + rows * nbytes, mult);
    return;
  }
  if (rows > 1 && stride % (I * C) == 0) {
    channel_range(a, chan, addr, addr + nbytes, mult * (double)rows);
    return;
  }
  if (rows > 1 && stride % I == 0 && addr % I + nbytes <= I) {
    /* each row inside one block, the same occupancy; row r's block is
     * stride / I blocks further on: the channels repeat every C / gcd rows */
    uint64_t s = stride / I % C, g = C, t = s;
    while (t) {
      uint64_t u = g % t;
      g = t;
      t = u;
    }
    uint64_t period = C / g, full = rows / period, rem = rows % period;
    uint64_t lo = addr % I, occ = (ceil_div(lo + nbytes, A) - lo / A) * A, ch = addr / I % C;
    for (uint64_t j = 0; j < period && j < rows; j++) {
      chan_add(chan, C, ch, 1, mult * (double)(occ * (full + (j < rem))));
      ch = (ch + s) % C;
    }
    return;
  }
  uint64_t round = I * C, step = stride % round;
  uint64_t P = !periods ? UINT64_MAX : step ? round / gcd(step, round) : 1;
  uint64_t visit = rows < P ? rows : P, whole = rows / P, extra = rows % P;
  for (uint64_t r = 0; r < visit; r++) {
    uint64_t lo = addr + r * stride;
    double times = rows < P ? 1 : (double)(whole + (r < extra));
    channel_range(a, chan, lo, lo + nbytes, mult * times);
  }
}

/* Whether a DMA side of planes x rows rows may be summed by periods
 * (channel_tile, channel_planes): its addresses stay below 2^64 (so rows a
 * round apart really are congruent) and its occupancy far below 2^53 (so
 * every partial sum of whole bytes is exact, in any order, as it is when the
 * rows are added one by one). */
static bool by_periods(const sc_arch *a, uint64_t addr, uint64_t planes, uint64_t pstride,
                       uint64_t rows, uint64_t nbytes, uint64_t stride) {
  const uint64_t I = a->memory.interleave_bytes, A = a->memory.access_bytes;
  const uint64_t lim = (uint64_t)1 << 50;
  if (!planes || !rows) return true; /* nothing to add */
  if (planes > lim || rows > lim || nbytes > lim || I > lim || A > lim) return false;
  if (!I || a->memory.channels > lim / I) return false;
  /* a row occupies at most its bytes, a block and a few access units more */
  uint64_t per = nbytes + I + 4 * A;
  if (planes > lim / rows || per > lim / (planes * rows)) return false;
  uint64_t end = addr; /* the last row's end, checked for wrapping step by step */
  if (pstride > (UINT64_MAX - end) / planes) return false;
  end += (planes - 1) * pstride;
  if (stride > (UINT64_MAX - end) / rows) return false;
  end += (rows - 1) * stride;
  return nbytes <= UINT64_MAX - end;
}

/* Adds the channel occupancy of planes tiles (channel_tile's rows of nbytes,
 * stride apart) pstride apart from addr. A tile's occupancy depends only on
 * its address modulo one round of the channels, so the planes repeat too. */
static void channel_planes(const sc_arch *a, double *chan, uint64_t addr, uint64_t planes,
                           uint64_t pstride, uint64_t rows, uint64_t nbytes, uint64_t stride) {
  bool periods = by_periods(a, addr, planes, pstride, rows, nbytes, stride);
  uint64_t round = a->memory.interleave_bytes * a->memory.channels, step = pstride % round;
  uint64_t P = !periods ? UINT64_MAX : step ? round / gcd(step, round) : 1;
  uint64_t visit = planes < P ? planes : P, whole = planes / P, extra = planes % P;
  for (uint64_t p = 0; p < visit; p++) {
    double times = planes < P ? 1 : (double)(whole + (p < extra));
    channel_tile(a, chan, addr + p * pstride, rows, nbytes, stride, times, periods);
  }
}

void sim_mem_side_chan(const sc_arch *a, const sim_mem_side *s, double *side) {
  channel_planes(a, side, s->addr, s->planes, s->pstride, s->rows, s->nbytes, s->stride);
}

bool sim_mem_side_key(const sc_arch *a, const sim_mem_side *s, uint64_t key[6]) {
  if (!by_periods(a, s->addr, s->planes, s->pstride, s->rows, s->nbytes, s->stride)) return false;
  uint64_t round = a->memory.interleave_bytes * a->memory.channels;
  key[0] = s->addr % round, key[1] = s->planes, key[2] = s->pstride;
  key[3] = s->rows, key[4] = s->nbytes, key[5] = s->stride;
  return true;
}

static sim_end end_of(unsigned space) {
  return space == SC_ISA_SPACE_HBM      ? END_MEM
         : space == SC_ISA_SPACE_REMOTE ? END_REMOTE
                                        : END_LOCAL;
}

/* The chip of one end of a DMA: a device-memory address's (the issuing
 * core's when the address is outside the system: the functional mode traps
 * it, the timing-only mode does not look), or the core's that owns the SRAM. */
static uint32_t end_chip(const sc_sim *sim, const sim_core *core, sim_end end, uint32_t remote,
                         uint64_t addr) {
  if (end == END_MEM) {
    uint32_t chip = sc_sys_chip_of(addr);
    return chip < sim->chips ? chip : core->chip;
  }
  return end == END_REMOTE ? sim->cores[remote].chip : core->chip;
}

static void cost_dma(const sc_sim *sim, const sim_core *core, const sim_op *op, sim_cost *c) {
  const sc_arch *a = &sim->arch;
  const sc_insn *in = &op->in;
  const uint64_t *g = op->g;
  uint64_t n0 = g[0], n1 = 1, n2 = 1, ds1 = 0, ds2 = 0, ss1 = 0, ss2 = 0;
  if (in->opcode == SC_OP_DMA_2D) n1 = g[1], ds1 = g[2], ss1 = g[3];
  if (in->opcode == SC_OP_DMA_3D)
    n1 = g[1], n2 = g[2], ds1 = g[3], ds2 = g[4], ss1 = g[5], ss2 = g[6];
  sc_dtype sdt = (sc_dtype)in->s1dt, ddt = (sc_dtype)in->ddt;
  uint64_t srow = row_bytes(sdt, n0), drow = row_bytes(ddt, n0), rows = n1 * n2;
  uint64_t n = n0 * rows;
  uint64_t sbytes = row_bytes(sdt, n), dbytes = row_bytes(ddt, n);
  if (sc_dtype_bits(sdt) == 4 && rows > 1) sbytes = srow * rows;
  if (sc_dtype_bits(ddt) == 4 && rows > 1) dbytes = drow * rows;
  c->src_end = end_of((unsigned)in->s1sp);
  c->dst_end = end_of((unsigned)in->dsp);
  c->remote = (uint32_t)(op->xc < sim->n_cores ? op->xc : core->id);
  if (c->src_end == END_REMOTE && c->remote == core->id) c->src_end = END_LOCAL;
  if (c->dst_end == END_REMOTE && c->remote == core->id) c->dst_end = END_LOCAL;
  c->src_chip = end_chip(sim, core, c->src_end, c->remote, op->xs1);
  c->dst_chip = end_chip(sim, core, c->dst_end, c->remote, op->xd);
  uint64_t big = sbytes > dbytes ? sbytes : dbytes;
  c->bytes = (double)big;
  c->setup = a->core.dma.descriptor_overhead_cycles;
  /* The engine moves a link width per cycle, one burst per cycle at most. */
  uint64_t maxrow = srow > drow ? srow : drow;
  uint64_t bursts = rows * (maxrow ? ceil_div(maxrow, a->core.dma.max_burst_bytes) : 0);
  c->link_cap = a->noc.link_width_bytes;
  c->cap = c->link_cap;
  if (bursts && (double)big / (double)bursts < c->cap) c->cap = (double)big / (double)bursts;
  if (n == 0) c->bytes = 0;
  double lat = a->memory.latency_ns * a->clock_ghz;
  c->mem_lat = 0;
  if (n && (c->src_end == END_MEM || c->dst_end == END_MEM)) {
    c->mem_lat = ceil_d(lat);
    c->uses_mem = true;
    c->mem_side[0] = (sim_mem_side){op->xs1, n2, ss2, n1, srow, ss1};
    c->mem_side[1] = (sim_mem_side){op->xd, n2, ds2, n1, drow, ds1};
  }
  uint32_t hops = 0;
  bool xchip = c->src_chip != c->dst_chip;
  if (n && !xchip && (c->src_end == END_REMOTE || c->dst_end == END_REMOTE) &&
      !(c->src_end == END_MEM || c->dst_end == END_MEM))
    hops = sim_mesh_hops(a, core->id, c->remote);
  c->noc_lat = (uint64_t)hops * a->noc.hop_latency_cycles;
  if (n && xchip) {
    /* docs/SYSTEM.md "In the simulator": the links' latency, their bytes */
    const sc_system *sys = &sim->sys;
    c->link_lat = ceil_d(sc_system_latency_ns(sys, c->src_chip, c->dst_chip) * a->clock_ghz);
    c->noc_lat += c->link_lat;
    c->link_bytes = big;
    c->link_byte_hops = big * sc_system_hops(sys, c->src_chip, c->dst_chip);
  }
  /* Actions. */
  if (c->src_end == END_MEM) c->mem_rd = sbytes;
  if (c->dst_end == END_MEM) c->mem_wr = dbytes;
  if (c->src_end != END_MEM) c->sram_bytes += sbytes;
  if (c->dst_end != END_MEM) c->sram_bytes += dbytes;
  if (n && !(c->src_end == END_LOCAL && c->dst_end == END_LOCAL)) {
    uint64_t through = c->src_end == END_MEM ? sbytes : dbytes;
    if (c->src_end == END_MEM && c->dst_end == END_MEM) through = sbytes + dbytes;
    c->noc_bytes = through;
    c->noc_byte_hops = through * (hops + 1);
  }
  if (in->s1sp == SC_ISA_SPACE_HBM) c->cnt_hbm_rd = sbytes;
  if (in->dsp == SC_ISA_SPACE_HBM) c->cnt_hbm_wr = dbytes;
  if (in->dsp == SC_ISA_SPACE_REMOTE) c->cnt_noc += dbytes;
  if (in->s1sp == SC_ISA_SPACE_REMOTE) c->cnt_noc += sbytes;
}

void sim_cost_op(const sc_sim *sim, const sim_core *core, const sim_op *op, const sim_tile *tile,
                 sim_cost *c) {
  memset(c, 0, sizeof *c);
  c->mac_dtype = SC_DTYPE_COUNT;
  switch (sim_engine_of[op->in.opcode]) {
  case SC_ISA_ENGINE_DMA:
    cost_dma(sim, core, op, c);
    break;
  case SC_ISA_ENGINE_MXU:
    cost_mxu(sim, op, tile, c);
    break;
  case SC_ISA_ENGINE_VPU:
    cost_vpu(sim, op, c);
    break;
  default:
    break;
  }
}
