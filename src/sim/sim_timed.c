/* sim_timed.c: the event-driven scheduler of the timed modes.
 *
 * Time is in chip cycles. Every unit of every core (the scalar unit, each DMA
 * engine's queue, the MXU, the VPU) acts at the times the timing model gives,
 * taken from one event queue ordered by (cycle, sequence number), so a run is
 * the same on every host. An engine op executes (computes its data, in the
 * timed mode) at the cycle it starts, and signals its semaphore at the cycle it
 * completes; a correctly synchronised program therefore computes the same bits
 * as in the functional mode, and the timing-only mode, which computes no data,
 * gives the same cycles. docs/PERF_MODEL.md is the specification: the scalar
 * unit issues one instruction per cycle; engine queues start ops in order;
 * DMAs pay their descriptor overhead, move their bytes as flows that share
 * memory channels, NoC ports and links (sim_flow.c), then pay the memory or
 * hop latency; the MXU loads weights into a shadow buffer while it streams,
 * streams activation rows at its dtype's rate and drains results after the
 * array's skew; the VPU runs at its lanes' or special-function unit's rate;
 * SRAM bank conflicts stretch MXU and VPU ops (sim_cost.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_scalar.h"
#include "sim_time.h"

enum { N_Q = SIM_N_QUEUES, U_SCALAR = N_Q }; /* timing units: queues 0..5, then the scalar unit */

typedef enum ev_kind {
  EV_UNIT,     /* a unit tries to act */
  EV_DONE,     /* an op completes */
  EV_FLOW_GO,  /* a DMA's data phase begins */
  EV_FLOW_END, /* a flow may have finished (stale unless its version matches) */
  EV_SIGNAL,   /* a sync.signal arrives at its core */
  EV_BARRIER,  /* a barrier releases */
} ev_kind;

typedef struct event {
  uint64_t t, seq;
  uint64_t arg2; /* flow version, signal count */
  uint32_t core;
  uint32_t arg; /* in-flight slot, flow id, or semaphore */
  int32_t next; /* the wheel: the next event of its cycle's list, or -1 */
  uint8_t kind, unit;
} event;

/* The wheel's span in cycles (a power of two; see push). */
enum { WHEEL = 4096, WHEEL_WORDS = WHEEL / 64 };

/* An op between its start and its completion. */
typedef struct inflight {
  uint32_t core, pc;
  uint8_t unit, opcode;
  bool has_signal;
  uint8_t signal;
  uint64_t start, done;
  /* DMA */
  int64_t flow;
  uint64_t flow_start, flow_end;
  double bytes, cap, link_cap;
  uint64_t setup, lat;
  bool mem_lat;
  uint64_t mem_bytes;
  sim_cost cost; /* a DMA's cost, for its data phase */
} inflight;

/* Per unit: whether an EV_UNIT is pending, what it waits for, how many ops
 * are in flight, the last change of that count (for busy time). */
typedef struct tunit {
  bool sched, blocked;
  uint64_t blocked_since;
  uint8_t block_reason, block_key;
  uint32_t block_pc;
  uint8_t block_opcode;
  uint64_t free_at; /* DMA: the previous op's set-up end; VPU: its completion */
  /* DMA engines: the datapath moves one op's data at a time, while the next op
   * does its set-up and the one before waits out its latency. */
  bool data_busy;
  int64_t pending; /* in-flight slot whose set-up is done, waiting for the datapath */
  uint64_t data_last, data_cycles; /* union of data phases */
  uint64_t setup_sum, mem_lat_sum, noc_lat_sum;
  uint32_t active;
  uint64_t last_change, idle_since;
} tunit;

typedef struct tcore {
  tunit u[N_Q + 1];
  unsigned blocked_units; /* bit q: u[q].blocked */
  uint64_t t_scalar;      /* the scalar unit's next issue cycle */
  uint64_t end;           /* the last cycle anything of the core completed */
  uint64_t arrived;       /* barrier arrival */
  /* MXU state (docs/PERF_MODEL.md "MXU") */
  uint64_t ld_end, active_at, stream_end, last_mm_done, drain_end;
  uint64_t working_last, working_cycles; /* union of load, stream and drain intervals */
  uint64_t stream_last, stream_cycles;   /* union of stream intervals */
  uint64_t drain_cycles;
  uint32_t dma_active; /* DMA engines busy, for the dma_busy counter */
  uint64_t dma_last, dma_busy;
  sim_tile tile;
} tcore;

typedef struct timed {
  sc_sim *sim;
  event *heap; /* events WHEEL or more cycles ahead */
  size_t n_heap, cap_heap;
  /* The wheel: the events of cycles now .. now + WHEEL - 1, one list per
   * cycle (cycle t's at t mod WHEEL, in push order), their nodes in pool. */
  int32_t *head, *tail;       /* WHEEL list ends, -1 when empty */
  uint64_t bits[WHEEL_WORDS]; /* the cycles whose list is not empty */
  event *pool;
  int32_t n_pool, cap_pool, pool_free; /* pool_free: a list through next */
  size_t n_wheel;
  uint64_t seq, now;
  tcore *tc;
  inflight *fl;
  uint32_t n_fl, cap_fl;
  uint32_t *fl_free;
  uint32_t n_fl_free;
  sim_net net;
  double *chan; /* per-channel scratch of a DMA's cost */
  /* the channels an uneven side used (mem_side), and their occupancy */
  uint32_t *used_ch, n_used;
  double *used_occ;
  uint32_t *res;
  double *coef;
  uint32_t cap_res;
  uint64_t *flow_owner; /* inflight slot of each flow id */
  uint64_t *finish;     /* predicted finish cycle of each flow id */
  uint32_t cap_owner;
  bool dirty; /* flows started or ended since the last re-rating */
  bool oom;
} timed;

/* ---- the event heap ---- */

/* Without branches: the heap's comparisons go either way at random. */
static inline bool ev_less(const event *a, const event *b) {
  return (a->t < b->t) | ((a->t == b->t) & (a->seq < b->seq));
}

/* Events come out in (cycle, sequence) order; the sequence number is the
 * order of the pushes. Most events are due within a few thousand cycles, so
 * they go to the wheel: a list per cycle, in which push order is sequence
 * order. The rest wait in a heap, and move to the wheel when the clock comes
 * within WHEEL cycles of them (wheel_fill), in (cycle, sequence) order and
 * before anything else is pushed for their cycles: the heap never holds an
 * event of a cycle the wheel covers, so each list stays in sequence order. */
static void wheel_add(timed *T, const event *e) {
  if (T->pool_free < 0) {
    if (T->n_pool == T->cap_pool) {
      int32_t nc = T->cap_pool ? T->cap_pool * 2 : 1024;
      event *p = realloc(T->pool, (size_t)nc * sizeof *p);
      if (!p) {
        T->oom = true;
        return;
      }
      T->pool = p;
      T->cap_pool = nc;
    }
    T->pool_free = T->n_pool++;
    T->pool[T->pool_free].next = -1;
  }
  int32_t k = T->pool_free;
  T->pool_free = T->pool[k].next;
  T->pool[k] = *e;
  T->pool[k].next = -1;
  size_t b = e->t & (WHEEL - 1);
  if (T->tail[b] < 0) {
    T->head[b] = k;
    T->bits[b / 64] |= (uint64_t)1 << (b % 64);
  } else {
    T->pool[T->tail[b]].next = k;
  }
  T->tail[b] = k;
  T->n_wheel++;
}

static void heap_push(timed *T, const event *e) {
  if (T->n_heap == T->cap_heap) {
    size_t nc = T->cap_heap ? T->cap_heap * 2 : 1024;
    event *h = realloc(T->heap, nc * sizeof *h);
    if (!h) {
      T->oom = true;
      return;
    }
    T->heap = h;
    T->cap_heap = nc;
  }
  size_t i = T->n_heap++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!ev_less(e, &T->heap[p])) break;
    T->heap[i] = T->heap[p];
    i = p;
  }
  T->heap[i] = *e;
}

static void push(timed *T, uint64_t t, uint32_t core, ev_kind kind, uint8_t unit, uint32_t arg,
                 uint64_t arg2) {
  event e = {.t = t,
             .seq = T->seq++,
             .arg2 = arg2,
             .core = core,
             .arg = arg,
             .next = -1,
             .kind = (uint8_t)kind,
             .unit = unit};
  if (t >= T->now && t - T->now < WHEEL)
    wheel_add(T, &e);
  else
    heap_push(T, &e);
}

/* Takes the heap's top. The hole it leaves goes down to a leaf along the
 * smaller children (one comparison a level, which the compiler makes a
 * select), then the heap's last event goes up from there: it belongs near
 * the bottom, so that is a step or two, where sifting it down from the top
 * compares twice a level. */
static event heap_pop(timed *T) {
  event *h = T->heap;
  event top = h[0];
  size_t n = --T->n_heap, i = 0;
  if (!n) return top;
  for (;;) {
    size_t l = 2 * i + 1;
    if (l >= n) break;
    size_t m = l + (l + 1 < n && ev_less(&h[l + 1], &h[l]));
    h[i] = h[m];
    i = m;
  }
  event last = h[n];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!ev_less(&last, &h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = last;
  return top;
}

static bool ev_pending(const timed *T) {
  return T->n_heap || T->n_wheel;
}

/* The wheel's first non-empty cycle list at or after the clock (the wheel
 * holds an event). */
static size_t wheel_first(const timed *T) {
  size_t b = T->now & (WHEEL - 1), w = b / 64;
  uint64_t m = T->bits[w] & (~(uint64_t)0 << (b % 64));
  for (size_t k = 0; !m && k < WHEEL_WORDS; k++) {
    w = (w + 1) % WHEEL_WORDS;
    m = T->bits[w];
  }
  return w * 64 + (size_t)__builtin_ctzll(m);
}

/* Whether an event is due at the current cycle (none can be earlier). */
static bool ev_due_now(const timed *T) {
  return T->tail[T->now & (WHEEL - 1)] >= 0 || (T->n_heap && T->heap[0].t <= T->now);
}

/* Moves the heap's events of cycles now .. now + WHEEL - 1 to the wheel. */
static void wheel_fill(timed *T) {
  while (T->n_heap && T->heap[0].t >= T->now && T->heap[0].t - T->now < WHEEL && !T->oom) {
    event e = heap_pop(T);
    wheel_add(T, &e);
  }
}

/* The next event (one is pending); the clock moves to its cycle. */
static event pop(timed *T) {
  event e;
  const event *w = NULL;
  size_t b = 0;
  if (T->n_wheel) {
    b = wheel_first(T);
    w = &T->pool[T->head[b]];
  }
  if (!w || (T->n_heap && ev_less(&T->heap[0], w))) {
    e = heap_pop(T);
  } else {
    int32_t k = T->head[b];
    e = *w;
    T->head[b] = e.next;
    if (e.next < 0) {
      T->tail[b] = -1;
      T->bits[b / 64] &= ~((uint64_t)1 << (b % 64));
    }
    T->pool[k].next = T->pool_free;
    T->pool_free = k;
    T->n_wheel--;
  }
  if (e.t > T->now) {
    T->now = e.t;
    wheel_fill(T);
  }
  return e;
}

/* ---- profile bookkeeping ---- */

static sc_prof_unit *pu(timed *T, uint32_t core, unsigned unit) {
  /* timing unit -> profile unit: queues 0..3 are DMA0..3, then MXU, VPU; scalar */
  unsigned p = unit == U_SCALAR     ? SC_UNIT_SCALAR
               : unit < SIM_MAX_DMA ? SC_UNIT_DMA0 + unit
               : unit == SIM_Q_MXU  ? SC_UNIT_MXU
                                    : SC_UNIT_VPU;
  return &T->sim->profile.units[core][p];
}

/* A unit's in-flight count changes by delta at now (busy time accrues while > 0). */
static void unit_change(timed *T, uint32_t core, unsigned unit, int delta) {
  tunit *u = &T->tc[core].u[unit];
  if (u->active) pu(T, core, unit)->busy += T->now - u->last_change;
  u->last_change = T->now;
  u->active = (uint32_t)((int)u->active + delta);
  if (!u->active && delta) u->idle_since = T->now;
  if (unit < SIM_MAX_DMA) {
    tcore *tc = &T->tc[core];
    if (tc->dma_active) tc->dma_busy += T->now - tc->dma_last;
    tc->dma_last = T->now;
    tc->dma_active = (uint32_t)((int)tc->dma_active + delta);
  }
}

/* Adds [from, to) to a union of intervals that start in order. */
static void union_add(uint64_t *last, uint64_t *cycles, uint64_t from, uint64_t to) {
  uint64_t s = from > *last ? from : *last;
  if (to > s) *cycles += to - s;
  if (to > *last) *last = to;
}

static void mxu_working(timed *T, uint32_t core, uint64_t from, uint64_t to) {
  tcore *tc = &T->tc[core];
  union_add(&tc->working_last, &tc->working_cycles, from, to);
}

static void record(timed *T, uint32_t core, unsigned unit, uint8_t opcode, uint32_t pc,
                   uint64_t start, uint64_t end, uint64_t mem_bytes) {
  sc_profile *p = &T->sim->profile;
  if (pc < p->n_code[core]) p->pc_cycles[core][pc] += end - start;
  if (!T->sim->record_ops) return;
  /* capacity: 256, then doubled whenever n_ops reaches a power of two */
  size_t n = p->n_ops;
  if ((n & (n - 1)) == 0 && n >= 256) {
    sc_prof_op *o = realloc(p->ops, 2 * n * sizeof *o);
    if (!o) {
      T->oom = true;
      return;
    }
    p->ops = o;
  } else if (n == 0) {
    p->ops = malloc(256 * sizeof *p->ops);
    if (!p->ops) {
      T->oom = true;
      return;
    }
  }
  uint8_t pu_unit = (uint8_t)(unit == U_SCALAR     ? SC_UNIT_SCALAR
                              : unit < SIM_MAX_DMA ? SC_UNIT_DMA0 + unit
                              : unit == SIM_Q_MXU  ? SC_UNIT_MXU
                                                   : SC_UNIT_VPU);
  p->ops[p->n_ops++] = (sc_prof_op){core, pu_unit, opcode, pc, start, end, mem_bytes};
}

/* ---- waking units ---- */

static void wake(timed *T, uint32_t core, unsigned unit, uint64_t t) {
  tunit *u = &T->tc[core].u[unit];
  if (u->sched) return;
  u->sched = true;
  push(T, t, core, EV_UNIT, (uint8_t)unit, 0, 0);
}

/* Wakes the units of core blocked for `why` on `key` (a semaphore for
 * SEM_WAIT and SYNC_WAIT, a queue for QUEUE_FULL; ignored for FENCE). */
static void wake_blocked(timed *T, uint32_t core, sc_reason why, unsigned key) {
  for (unsigned m = T->tc[core].blocked_units; m; m &= m - 1) { /* in unit order */
    unsigned q = (unsigned)__builtin_ctz(m);
    const tunit *u = &T->tc[core].u[q];
    if (u->block_reason == why && (why == SC_REASON_FENCE || u->block_key == key))
      wake(T, core, q, T->now);
  }
}

/* Semaphore sem of core went up: whoever waits on it looks again. */
static void sem_changed(timed *T, uint32_t core, unsigned sem) {
  wake_blocked(T, core, SC_REASON_SEM_WAIT, sem);
  wake_blocked(T, core, SC_REASON_SYNC_WAIT, sem);
}

static void block(timed *T, uint32_t core, unsigned unit, sc_reason why, unsigned key, uint32_t pc,
                  uint8_t opcode) {
  tunit *u = &T->tc[core].u[unit];
  u->block_key = (uint8_t)key;
  if (u->blocked) return;
  u->blocked = true;
  T->tc[core].blocked_units |= 1u << unit;
  u->blocked_since = T->now;
  u->block_reason = (uint8_t)why;
  u->block_pc = pc;
  u->block_opcode = opcode;
}

/* Ends a block at t: its cycles go to its reason and, for the scalar unit, to
 * the instruction that waited. */
static void unblock_slow(timed *T, uint32_t core, unsigned unit, uint64_t t) {
  tunit *u = &T->tc[core].u[unit];
  u->blocked = false;
  T->tc[core].blocked_units &= ~(1u << unit);
  /* An engine's wait costs only the cycles it had nothing else in flight. */
  uint64_t from = u->blocked_since;
  if (unit != U_SCALAR && u->idle_since > from) from = u->idle_since;
  uint64_t d = unit != U_SCALAR && u->active ? 0 : t > from ? t - from : 0;
  pu(T, core, unit)->reason[u->block_reason] += d;
  if (unit == U_SCALAR && d)
    record(T, core, unit, u->block_opcode, u->block_pc, u->blocked_since, t, 0);
}

static inline void unblock(timed *T, uint32_t core, unsigned unit, uint64_t t) {
  if (T->tc[core].u[unit].blocked) unblock_slow(T, core, unit, t);
}

static void core_end(timed *T, uint32_t core, uint64_t t) {
  if (t > T->tc[core].end) T->tc[core].end = t;
}

/* ---- in-flight ops ---- */

static int64_t fl_new(timed *T) {
  if (T->n_fl_free) return T->fl_free[--T->n_fl_free];
  if (T->n_fl == T->cap_fl) {
    uint32_t nc = T->cap_fl ? T->cap_fl * 2 : 256;
    inflight *f = realloc(T->fl, nc * sizeof *f);
    uint32_t *fr = f ? realloc(T->fl_free, nc * sizeof *fr) : NULL;
    if (f) T->fl = f;
    if (!fr) {
      T->oom = true;
      return -1;
    }
    T->fl_free = fr;
    T->cap_fl = nc;
  }
  return T->n_fl++;
}

/* ---- semaphores ---- */

static void sem_add(timed *T, uint32_t core, unsigned sem, uint64_t n) {
  T->sim->cores[core].sem[sem] += n;
  sem_changed(T, core, sem);
}

/* ---- DMA flows ---- */

static bool ensure_res(timed *T, uint32_t n) {
  if (n <= T->cap_res) return true;
  uint32_t *r = realloc(T->res, n * sizeof *r);
  if (r) T->res = r;
  double *c = realloc(T->coef, n * sizeof *c);
  if (c) T->coef = c;
  if (!r || !c) return false;
  T->cap_res = n;
  return true;
}

/* Re-rates every flow (once per cycle at most: flows that start or end in
 * the same cycle share one re-rating) and schedules the next finish. */
static void rerate(timed *T) {
  T->dirty = false;
  sim_net_rerate(&T->net, T->now);
  uint64_t next = UINT64_MAX;
  for (uint32_t i = 0; i < T->net.n_active; i++) {
    uint32_t id = T->net.active[i];
    uint64_t f = sim_net_finish(&T->net, id, T->now);
    T->finish[id] = f;
    if (f < next) next = f;
  }
  if (next != UINT64_MAX) push(T, next, 0, EV_FLOW_END, 0, 0, T->net.epoch);
}

/* Adds the channels and the memory of one chip's side of a DMA (chan: its
 * occupancy per channel); *kind and *total say what it was, and an
 * uneven side's channels and their occupancy are in T->used_ch, used_occ. */
static uint32_t mem_side(timed *T, uint32_t n, uint32_t chip, const double *chan, double bytes,
                         sim_side_kind *kind, double *total) {
  const sc_arch *a = &T->sim->arch;
  uint32_t C = a->memory.channels;
  T->n_used = 0;
  /* A transfer spread over every channel (none carrying more than twice
   * the mean) is limited by the memory as a whole; a concentrated one also
   * by each channel it uses (docs/PERF_MODEL.md "Memory"). */
  /* chan[0]: on every channel; chan[1 + ch]: differences (sim_cost_op).
   * Channel ch carries chan[0] + run(ch), run the prefix sums of the
   * differences: the sum, the largest and the smallest of run, and chan[0]
   * once. Occupancies are whole bytes, exact in doubles in any order while
   * below 2^53 (sim_cost.c); a DMA far from that (2^40 bytes) sums channel
   * by channel, as the occupancies are defined. */
  double sum = 0, max = 0, min = 0;
  if (bytes < 0x1p40) {
    double run = 0, hi = -HUGE_VAL, lo = HUGE_VAL, s = 0;
    for (uint32_t ch = 0; ch < C; ch++) {
      run += chan[1 + ch];
      s += run;
      hi = run > hi ? run : hi;
      lo = run < lo ? run : lo;
    }
    sum = s + (double)C * chan[0];
    max = hi + chan[0];
    min = lo + chan[0];
  } else {
    double run = 0;
    min = HUGE_VAL;
    for (uint32_t ch = 0; ch < C; ch++) {
      run += chan[1 + ch];
      double v = run + chan[0];
      sum += v;
      if (v > max) max = v;
      if (v < min) min = v;
    }
  }
  *total = sum;
  *kind = SIM_SIDE_EMPTY;
  if (!(sum > 0)) return n;
  *kind = SIM_SIDE_SPREAD;
  if (!(min > 0) || max > 2 * sum / C) {
    *kind = SIM_SIDE_UNEVEN;
    double run = 0;
    for (uint32_t ch = 0; ch < C; ch++) {
      run += chan[1 + ch];
      double v = run + chan[0];
      if (!(v > 0)) continue;
      T->used_ch[T->n_used] = ch, T->used_occ[T->n_used++] = v;
      T->res[n] = sim_net_chan(a, chip, ch), T->coef[n++] = v / bytes;
    }
  }
  T->res[n] = sim_net_mem(a, chip), T->coef[n++] = sum / bytes;
  return n;
}

/* mem_side of one side s of a DMA, through the memo where s has a key (an
 * uneven side on more channels than an entry holds is computed again). */
static uint32_t side_res(timed *T, uint32_t n, uint32_t chip, const sim_mem_side *s, double bytes) {
  const sc_arch *a = &T->sim->arch;
  uint32_t C = a->memory.channels;
  sim_cost_memo *m = T->sim->memo;
  sim_side_memo_entry *e = NULL;
  uint64_t key[6];
  if (m && sim_mem_side_key(a, s, key)) {
    e = &m->side[sim_memo_slot(key, 6, SIM_SIDE_MEMO_LOG2)];
    if (e->valid && memcmp(e->key, key, sizeof key) == 0) {
      if (e->kind == SIM_SIDE_EMPTY) return n;
      for (unsigned k = 0; k < e->n_ch; k++)
        T->res[n] = sim_net_chan(a, chip, e->ch[k]), T->coef[n++] = e->occ[k] / bytes;
      T->res[n] = sim_net_mem(a, chip), T->coef[n++] = e->sum / bytes;
      return n;
    }
  }
  memset(T->chan, 0, (C + 2) * sizeof *T->chan);
  sim_mem_side_chan(a, s, T->chan);
  sim_side_kind kind;
  double sum;
  n = mem_side(T, n, chip, T->chan, bytes, &kind, &sum);
  if (e) {
    e->valid = T->n_used <= SIM_SIDE_MEMO_CHANNELS;
    if (!e->valid) return n;
    memcpy(e->key, key, sizeof key);
    e->kind = (uint8_t)kind;
    e->sum = sum;
    e->n_ch = (uint8_t)T->n_used;
    memcpy(e->ch, T->used_ch, T->n_used * sizeof *e->ch);
    memcpy(e->occ, T->used_occ, T->n_used * sizeof *e->occ);
  }
  return n;
}

/* Builds the resources of a DMA (channels, ports, links) and starts its flow. */
static void flow_go(timed *T, uint32_t slot, const sim_cost *c, uint32_t core) {
  const sc_arch *a = &T->sim->arch;
  inflight *f = &T->fl[slot];
  uint32_t C = a->memory.channels;
  uint32_t need = 2 * C + 4 * (a->cores.mesh_rows + a->cores.mesh_cols) + 12 + 2 * SC_SYS_MAX_CHIPS;
  if (!ensure_res(T, need)) {
    T->oom = true;
    return;
  }
  uint32_t n = 0;
  if (c->uses_mem) {
    bool both = c->src_end == END_MEM && c->dst_end == END_MEM;
    if (both && c->src_chip == c->dst_chip) { /* one memory: the two sides' occupancy */
      sim_side_kind kind;
      double sum;
      memset(T->chan, 0, 2 * (C + 2) * sizeof *T->chan);
      sim_mem_side_chan(a, &c->mem_side[0], T->chan);
      sim_mem_side_chan(a, &c->mem_side[1], T->chan + C + 2);
      for (uint32_t ch = 0; ch < C + 2; ch++) T->chan[ch] += T->chan[C + 2 + ch];
      n = mem_side(T, n, c->src_chip, T->chan, c->bytes, &kind, &sum);
    } else {
      if (c->src_end == END_MEM) n = side_res(T, n, c->src_chip, &c->mem_side[0], c->bytes);
      if (c->dst_end == END_MEM) n = side_res(T, n, c->dst_chip, &c->mem_side[1], c->bytes);
    }
  }
  uint32_t self = core, rem = c->remote;
  /* Data enters or leaves the core that owns each SRAM end through its port;
   * device memory connects to every port (docs/PERF_MODEL.md "NoC"). */
  uint32_t from = c->src_end == END_REMOTE ? rem : self;
  uint32_t to = c->dst_end == END_REMOTE ? rem : self;
  bool xchip = c->src_chip != c->dst_chip;
  if (c->src_end == END_MEM && c->dst_end == END_MEM) {
    T->res[n] = sim_net_port_in(a, self), T->coef[n++] = 1;
    T->res[n] = sim_net_port_out(a, self), T->coef[n++] = 1;
  } else if (c->src_end == END_MEM) {
    T->res[n] = sim_net_port_in(a, to), T->coef[n++] = 1;
  } else if (c->dst_end == END_MEM) {
    T->res[n] = sim_net_port_out(a, from), T->coef[n++] = 1;
  } else if (from != to) {
    T->res[n] = sim_net_port_out(a, from), T->coef[n++] = 1;
    if (!xchip) n += sim_net_route(a, from, to, T->res + n, T->coef + n, need - n - 1);
    T->res[n] = sim_net_port_in(a, to), T->coef[n++] = 1;
  }
  if (xchip) { /* the chip-to-chip links of the route (docs/SYSTEM.md) */
    uint32_t ids[2 * SC_SYS_MAX_CHIPS];
    uint32_t h = sc_system_route(&T->sim->sys, c->src_chip, c->dst_chip, ids, 2 * SC_SYS_MAX_CHIPS);
    for (uint32_t i = 0; i < h && n < need; i++)
      T->res[n] = sim_net_syslink(&T->net, ids[i]), T->coef[n++] = 1;
  }
  int64_t id = sim_net_add(&T->net, T->now, c->bytes, c->cap, n, T->res, T->coef);
  if (id < 0) {
    T->oom = true;
    return;
  }
  if ((uint32_t)id >= T->cap_owner) {
    uint32_t nc = (uint32_t)id * 2 + 64;
    uint64_t *o = realloc(T->flow_owner, nc * sizeof *o);
    if (o) T->flow_owner = o;
    uint64_t *fin = realloc(T->finish, nc * sizeof *fin);
    if (fin) T->finish = fin;
    if (!o || !fin) {
      T->oom = true;
      return;
    }
    T->cap_owner = nc;
  }
  T->flow_owner[id] = slot;
  T->finish[id] = UINT64_MAX; /* until the next re-rating */
  f->flow = id;
  f->flow_start = T->now;
  T->dirty = true;
}

static void dma_data(timed *T, uint32_t slot);

/* Flow id has moved its bytes: its op waits out its latency, and its
 * engine's datapath takes the next op. */
static void flow_end(timed *T, uint32_t id) {
  uint32_t slot = (uint32_t)T->flow_owner[id];
  inflight *f = &T->fl[slot];
  sim_net_remove(&T->net, id);
  T->dirty = true;
  f->flow_end = T->now;
  f->flow = -1;
  f->done = T->now + f->lat;
  push(T, f->done, f->core, EV_DONE, f->unit, slot, 0);
  tunit *du = &T->tc[f->core].u[f->unit];
  du->data_busy = false;
  union_add(&du->data_last, &du->data_cycles, f->flow_start, T->now);
  if (du->pending >= 0) {
    uint32_t next = (uint32_t)du->pending;
    du->pending = -1;
    dma_data(T, next);
  }
}

/* ---- starting engine ops ---- */

/* Ops a DMA engine holds at once: one in set-up or waiting for the datapath,
 * one moving data or waiting out its latency. */
enum { DMA_DEPTH = 2 };

/* A DMA's data phase begins now if its engine's datapath is free. */
static void dma_data(timed *T, uint32_t slot) {
  inflight *f = &T->fl[slot];
  tunit *u = &T->tc[f->core].u[f->unit];
  if (u->data_busy) {
    u->pending = slot;
    return;
  }
  u->data_busy = true;
  flow_go(T, slot, &f->cost, f->core); /* (flow_go does not move T->fl) */
}

/* The earliest cycle the unit can start op (ignoring its semaphore). */
static uint64_t earliest(timed *T, uint32_t core, unsigned q, const sim_op *op) {
  tcore *tc = &T->tc[core];
  uint64_t t = op->t_issue;
  uint64_t f = tc->u[q].free_at;
  if (q < SIM_MAX_DMA && tc->u[q].active >= DMA_DEPTH) return UINT64_MAX;
  if (q == SIM_Q_MXU) {
    switch (op->in.opcode) {
    case SC_OP_MXU_LDW:
    case SC_OP_MXU_LDWQ:
      f = tc->ld_end > tc->active_at ? tc->ld_end : tc->active_at;
      break;
    case SC_OP_MXU_MM:
      f = tc->stream_end > tc->active_at ? tc->stream_end : tc->active_at;
      break;
    default:
      f = tc->last_mm_done > tc->drain_end ? tc->last_mm_done : tc->drain_end;
      break;
    }
  }
  return t > f ? t : f;
}

static void start_op(timed *T, uint32_t core_id, unsigned q, const sim_op *op) {
  sc_sim *sim = T->sim;
  sim_core *core = &sim->cores[core_id];
  tcore *tc = &T->tc[core_id];
  sc_profile *p = &sim->profile;
  uint64_t now = T->now;
  /* Data first (the timed mode), so that a trap stops the run at this op. */
  if (sim->mode == SC_SIM_TIMED) {
    if (!sim_exec(sim, core, op)) return;
  } else if (!sim_watchdog(sim, core, op)) {
    return;
  }
  bool dma = q < SIM_MAX_DMA;
  sim_cost c; /* a DMA's channels are costed when its data phase begins */
  sim_cost_op_memo(sim->memo, sim, core, op, &tc->tile, &c);
  if (sim->mode == SC_SIM_TIMING_ONLY) {
    sim_count(core, SC_ISA_EVENT_HBM_RD_BYTES, c.cnt_hbm_rd);
    sim_count(core, SC_ISA_EVENT_HBM_WR_BYTES, c.cnt_hbm_wr);
    sim_count(core, SC_ISA_EVENT_NOC_BYTES, c.cnt_noc);
    sim_count(core, SC_ISA_EVENT_MXU_MACS, c.cnt_macs);
    sim_count(core, SC_ISA_EVENT_VPU_ELEMS, c.cnt_vpu_elems);
  }
  /* Actions. */
  sc_prof_actions *ac = &p->actions;
  if (c.mac_dtype < SC_DTYPE_COUNT) ac->macs[c.mac_dtype] += c.macs;
  ac->vpu_ops += c.vpu_ops;
  ac->sfu_elems += c.sfu_elems;
  ac->sram_bytes += c.sram_bytes;
  ac->acc_bytes += c.acc_bytes;
  ac->mem_rd_bytes += c.mem_rd;
  ac->mem_wr_bytes += c.mem_wr;
  ac->noc_bytes += c.noc_bytes;
  ac->noc_byte_hops += c.noc_byte_hops;
  ac->link_bytes += c.link_bytes;
  ac->link_byte_hops += c.link_byte_hops;
  pu(T, core_id, q)->ops++;

  int64_t slot = fl_new(T);
  if (slot < 0) return;
  inflight *f = &T->fl[slot];
  /* Field by field: a compound literal would zero the op too (a DMA's is
   * copied below; the other units' never read). */
  f->core = core_id;
  f->pc = op->pc;
  f->unit = (uint8_t)q;
  f->opcode = op->in.opcode;
  f->has_signal = op->in.has_signal;
  f->signal = op->in.signal;
  f->start = now;
  f->done = 0;
  f->flow = -1;
  f->flow_start = f->flow_end = 0;
  f->bytes = f->cap = f->link_cap = 0;
  f->setup = f->lat = 0;
  f->mem_lat = false;
  f->mem_bytes = 0;
  unit_change(T, core_id, q, +1);
  sc_prof_unit *u = pu(T, core_id, q);
  if (dma) {
    f->bytes = c.bytes;
    f->cap = c.cap;
    f->link_cap = c.link_cap;
    f->setup = c.setup;
    f->lat = c.mem_lat + c.noc_lat;
    f->mem_lat = c.mem_lat > 0;
    f->mem_bytes = c.mem_rd + c.mem_wr;
    f->cost = c;
    tunit *du = &tc->u[q];
    du->free_at = now + c.setup; /* the next op's set-up may begin */
    du->setup_sum += c.setup;
    if (c.mem_lat)
      du->mem_lat_sum += f->lat;
    else
      du->noc_lat_sum += f->lat;
    if (c.bytes > 0) {
      /* The data phase begins after the descriptor overhead. */
      if (c.setup)
        push(T, now + c.setup, core_id, EV_FLOW_GO, (uint8_t)q, (uint32_t)slot, 0);
      else
        dma_data(T, (uint32_t)slot);
    } else {
      f->flow_start = f->flow_end = now + c.setup;
      f->done = now + c.setup + f->lat;
      push(T, f->done, core_id, EV_DONE, (uint8_t)q, (uint32_t)slot, 0);
    }
    return;
  }
  if (q == SIM_Q_VPU) {
    uint64_t d = c.work > c.sram ? c.work : c.sram;
    if (c.sram > c.work) u->reason[SC_REASON_BANK_CONFLICT] += c.sram - c.work;
    f->done = now + d;
    tc->u[q].free_at = f->done;
    push(T, f->done, core_id, EV_DONE, (uint8_t)q, (uint32_t)slot, 0);
    return;
  }
  /* MXU */
  uint64_t d = c.work > c.sram ? c.work : c.sram;
  if (c.sram > c.work) u->reason[SC_REASON_BANK_CONFLICT] += c.sram - c.work;
  switch (op->in.opcode) {
  case SC_OP_MXU_LDW:
  case SC_OP_MXU_LDWQ:
    tc->ld_end = now + d;
    /* The loaded tile becomes active when the streaming before it is over. */
    tc->active_at = tc->ld_end > tc->stream_end ? tc->ld_end : tc->stream_end;
    tc->tile = (sim_tile){c.tile_k, c.tile_n, c.tile_dtype};
    f->done = tc->ld_end;
    mxu_working(T, core_id, now, f->done);
    break;
  case SC_OP_MXU_MM:
    tc->stream_end = now + d;
    f->done = tc->stream_end + c.latency;
    if (f->done > tc->last_mm_done) tc->last_mm_done = f->done;
    mxu_working(T, core_id, now, tc->stream_end);
    union_add(&tc->stream_last, &tc->stream_cycles, now, tc->stream_end);
    break;
  default: /* drain */
    tc->drain_end = now + d;
    f->done = tc->drain_end;
    tc->drain_cycles += d;
    mxu_working(T, core_id, now, f->done);
    break;
  }
  push(T, f->done, core_id, EV_DONE, (uint8_t)q, (uint32_t)slot, 0);
}

/* An engine queue tries to start its head op at T->now. */
static void try_engine(timed *T, uint32_t core_id, unsigned q) {
  sim_core *core = &T->sim->cores[core_id];
  for (;;) {
    sim_queue *queue = &core->q[q];
    if (!queue->count) return;
    const sim_op *op = &queue->ops[queue->head];
    uint64_t e = earliest(T, core_id, q, op);
    if (e == UINT64_MAX) return; /* busy: its completion wakes it */
    if (e > T->now) {
      wake(T, core_id, q, e);
      return;
    }
    if (op->in.has_wait && core->sem[op->in.wait] == 0) {
      block(T, core_id, q, SC_REASON_SEM_WAIT, op->in.wait, op->pc, op->in.opcode);
      return;
    }
    unblock(T, core_id, q, T->now);
    if (op->in.has_wait) core->sem[op->in.wait]--;
    /* op stays in its slot until the scalar unit issues into it again,
     * which it does only at an event of its own, after start_op */
    queue->head = (queue->head + 1) % SIM_QUEUE_DEPTH;
    queue->count--;
    wake_blocked(T, core_id, SC_REASON_QUEUE_FULL, q); /* room in the queue */
    start_op(T, core_id, q, op);
    if (core->trap.cause != SC_TRAP_NONE || T->oom) return;
  }
}

/* ---- the scalar unit ---- */

static bool fence_clear(timed *T, uint32_t core_id, unsigned sel) {
  const sim_core *core = &T->sim->cores[core_id];
  unsigned lo = 0, hi = SIM_N_QUEUES;
  if (sel == SC_ISA_FENCE_DMA) hi = SIM_MAX_DMA;
  if (sel == SC_ISA_FENCE_MXU) lo = SIM_Q_MXU, hi = SIM_Q_MXU + 1;
  if (sel == SC_ISA_FENCE_VPU) lo = SIM_Q_VPU, hi = SIM_Q_VPU + 1;
  for (unsigned q = lo; q < hi; q++)
    if (core->q[q].count || T->tc[core_id].u[q].active) return false;
  return true;
}

static uint64_t barrier_latency(const sc_arch *a) {
  /* gather to one corner and broadcast back over the mesh diameter */
  return 2ull * ((a->cores.mesh_rows - 1) + (a->cores.mesh_cols - 1)) * a->noc.hop_latency_cycles;
}

/* Releases chip's barrier when every core of it still issuing waits at one
 * (a barrier spans one chip). */
static void check_barrier(timed *T, uint32_t chip) {
  sc_sim *sim = T->sim;
  bool any = false;
  uint32_t lo = chip * sim->chip_cores, hi = lo + sim->chip_cores;
  for (uint32_t c = lo; c < hi; c++) {
    const sim_core *core = &sim->cores[c];
    if (core->issuing && !core->at_barrier) return;
    any |= core->at_barrier;
  }
  if (any) push(T, T->now + barrier_latency(&sim->arch), lo, EV_BARRIER, 0, 0, 0);
}

static void release_barrier(timed *T, uint32_t chip) {
  sc_sim *sim = T->sim;
  uint32_t lo = chip * sim->chip_cores, hi = lo + sim->chip_cores;
  for (uint32_t c = lo; c < hi; c++) {
    sim_core *core = &sim->cores[c];
    if (!core->at_barrier) continue;
    core->at_barrier = false;
    const sc_insn *in = &core->cobj->dec[core->pc]; /* decoded when it arrived */
    core->pc++;
    sim_count(core, SC_ISA_EVENT_ISSUED, 1);
    unblock(T, c, U_SCALAR, T->now);
    T->tc[c].t_scalar = T->now;
    wake(T, c, U_SCALAR, T->now);
    if (in->has_signal) sem_add(T, c, in->signal, 1);
  }
}

/* Instructions the scalar unit may run ahead of the event clock before it
 * yields (only scalar arithmetic and enqueues run ahead; see issue()). */
enum { RUN_AHEAD = 4096 };

static void issue(timed *T, uint32_t core_id) {
  sc_sim *sim = T->sim;
  sim_core *core = &sim->cores[core_id];
  tcore *tc = &T->tc[core_id];
  uint64_t t = tc->t_scalar > T->now ? tc->t_scalar : T->now;
  if (t > T->now) {
    wake(T, core_id, U_SCALAR, t);
    return;
  }
  sc_prof_unit *u = pu(T, core_id, U_SCALAR);
  uint64_t *pc_cycles = sim->profile.pc_cycles[core_id];
  for (unsigned budget = RUN_AHEAD; budget; budget--) {
    if (!core->issuing || core->at_barrier) return;
    if (core->pc >= core->n_code) {
      sim_trap(sim, core, NULL, SC_TRAP_PC_OUT_OF_RANGE,
               "pc %u is past the end of the core's %zu instructions (missing halt?)", core->pc,
               core->n_code);
      return;
    }
    /* Each word was decoded before the run (predecode). */
    sim_code *code = core->cobj;
    if (code->dec_state[core->pc] != SIM_DEC_OK) {
      char why[160];
      sc_insn bad;
      if (sc_isa_decode(core->code[core->pc], &bad, why, sizeof why) == SC_STATUS_OK) why[0] = 0;
      sim_trap(sim, core, NULL, SC_TRAP_ILLEGAL_INSTRUCTION, "%s", why);
      return;
    }
    const sc_insn *ip = &code->dec[core->pc];
    unsigned engine = sim_engine_of[ip->opcode];
    bool at_scalar = engine == SC_ISA_ENGINE_SCALAR || engine == SC_ISA_ENGINE_SYNC;
    if (!at_scalar) {
      unsigned q = sim_queue_of(engine, ip);
      if (q < SIM_MAX_DMA && q >= sim->arch.core.dma.engines) {
        sim_trap(sim, core, NULL, SC_TRAP_ILLEGAL_INSTRUCTION, "DMA engine q%u: the core has %u", q,
                 sim->arch.core.dma.engines);
        return;
      }
      sim_queue *queue = &core->q[q];
      if (queue->count == SIM_QUEUE_DEPTH) {
        if (t > T->now) break; /* look again at t */
        block(T, core_id, U_SCALAR, SC_REASON_QUEUE_FULL, q, core->pc, ip->opcode);
        return;
      }
      unblock(T, core_id, U_SCALAR, t);
      sim_op *op = &queue->ops[(queue->head + queue->count) % SIM_QUEUE_DEPTH];
      sim_capture(core, ip, core->pc, op);
      op->t_issue = t;
      queue->count++;
      core->pc++;
      sim_count(core, SC_ISA_EVENT_ISSUED, 1);
      u->ops++;
      u->busy++;
      pc_cycles[op->pc]++;
      wake(T, core_id, q, t);
      t++;
      continue;
    }
    if (code->uop[core->pc].opcode && core->executed < sim->watchdog) {
      /* Register and branch instructions, at once, in a run until another
       * kind of instruction, each one of the budget: nothing else happens
       * between them. */
      uint64_t max = sim->watchdog - core->executed;
      uint64_t n = sim_uop_run(core, code->uop, max < budget ? max : budget, pc_cycles);
      if (n) {
        unblock(T, core_id, U_SCALAR, t);
        t += n;
        budget -= (unsigned)(n - 1); /* and one more as the loop goes on */
        core->executed += n;
        sim_count(core, SC_ISA_EVENT_ISSUED, n);
        u->ops += n;
        u->busy += n;
        continue;
      }
    }
    /* Sync and counter instructions act at the event clock. */
    bool sync = engine == SC_ISA_ENGINE_SYNC || ip->has_wait;
    if (sync && t > T->now) break;
    if (ip->has_wait && core->sem[ip->wait] == 0) {
      block(T, core_id, U_SCALAR, SC_REASON_SYNC_WAIT, ip->wait, core->pc, ip->opcode);
      return;
    }
    if (ip->opcode == SC_OP_SYNC_WAIT && core->sem[ip->sem] < (uint64_t)ip->imm) {
      block(T, core_id, U_SCALAR, SC_REASON_SYNC_WAIT, (unsigned)ip->sem, core->pc, ip->opcode);
      return;
    }
    if (ip->opcode == SC_OP_SYNC_FENCE && !fence_clear(T, core_id, (unsigned)ip->sel)) {
      block(T, core_id, U_SCALAR, SC_REASON_FENCE, 0, core->pc, ip->opcode);
      return;
    }
    unblock(T, core_id, U_SCALAR, t);
    sim_op op;
    sim_capture(core, ip, core->pc, &op);
    if (ip->has_wait) core->sem[ip->wait]--;
    if (ip->opcode == SC_OP_SYNC_BARRIER) {
      if (!sim_watchdog(sim, core, &op)) return;
      core->at_barrier = true;
      tc->arrived = t;
      block(T, core_id, U_SCALAR, SC_REASON_BARRIER, 0, core->pc, ip->opcode);
      u->ops++;
      check_barrier(T, core->chip);
      return;
    }
    if (ip->opcode == SC_OP_SYNC_SIGNAL) {
      if (!sim_watchdog(sim, core, &op)) return;
      if (op.xc >= sim->n_cores) {
        sim_trap(sim, core, &op, SC_TRAP_BAD_CORE, "signal to core %llu, the %s has %u",
                 (unsigned long long)op.xc, sim_what(sim), sim->n_cores);
        return;
      }
      uint32_t to = (uint32_t)op.xc;
      if (to == core_id) {
        sem_add(T, core_id, (unsigned)ip->sem, (uint64_t)ip->imm);
      } else {
        uint64_t lat = 1;
        if (sim->cores[to].chip == core->chip)
          lat +=
              (uint64_t)sim_mesh_hops(&sim->arch, core_id, to) * sim->arch.noc.hop_latency_cycles;
        else /* over the system's links (docs/SYSTEM.md) */
          lat += (uint64_t)ceil(sc_system_latency_ns(&sim->sys, core->chip, sim->cores[to].chip) *
                                sim->arch.clock_ghz);
        push(T, t + lat, to, EV_SIGNAL, 0, (uint32_t)ip->sem, (uint64_t)ip->imm);
      }
      core->pc++;
    } else {
      if (ip->opcode == SC_OP_CNT_READ) {
        core->counters[SC_ISA_EVENT_CYCLES] = t;
        core->counters[SC_ISA_EVENT_DMA_BUSY] = tc->dma_busy;
      }
      if (!sim_exec(sim, core, &op)) return;
    }
    if (ip->has_signal) sem_add(T, core_id, ip->signal, 1);
    sim_count(core, SC_ISA_EVENT_ISSUED, 1);
    u->ops++;
    u->busy++;
    pc_cycles[op.pc]++;
    t++;
    if (!core->issuing) { /* halt */
      core_end(T, core_id, t);
      check_barrier(T, core->chip); /* a halted core no longer takes part */
      return;
    }
  }
  tc->t_scalar = t;
  wake(T, core_id, U_SCALAR, t);
}

/* ---- completions ---- */

static void complete(timed *T, uint32_t slot) {
  inflight *f = &T->fl[slot];
  uint32_t core = f->core;
  unsigned q = f->unit;
  sc_prof_unit *u = pu(T, core, q);
  if (q < SIM_MAX_DMA) {
    /* The data phase beyond what the engine's link width alone would take
     * (set-up and latency are attributed when the run ends). */
    double xfer = (double)(f->flow_end - f->flow_start);
    double at_link = f->bytes / f->link_cap, at_engine = f->bytes / f->cap;
    double bursts = at_engine - at_link, bw = xfer - at_engine;
    if (bursts > xfer) bursts = xfer;
    if (bursts > 0) u->reason[SC_REASON_SHORT_BURSTS] += (uint64_t)llround(bursts);
    if (bw > 0.5) u->reason[SC_REASON_BANDWIDTH] += (uint64_t)llround(bw);
  }
  unit_change(T, core, q, -1);
  record(T, core, q, f->opcode, f->pc, f->start, T->now, f->mem_bytes);
  core_end(T, core, T->now);
  T->fl_free[T->n_fl_free++] = slot;
  if (f->has_signal) sem_add(T, core, f->signal, 1);
  if (q < SIM_MAX_DMA) wake(T, core, q, T->now); /* room in the engine's pipeline */
  wake_blocked(T, core, SC_REASON_FENCE, 0);
}

/* ---- the run ---- */

void sim_profile_free(sc_profile *p) {
  if (p->pc_cycles)
    for (uint32_t c = 0; c < p->n_cores; c++) free(p->pc_cycles[c]);
  free(p->pc_cycles);
  free(p->n_code);
  free(p->units);
  free(p->core_end);
  free(p->ops);
  memset(p, 0, sizeof *p);
}

/* A zeroed profile for this run. The arrays of the last run are reused
 * (zeroed) when the code has the same shape: launches of one program do not
 * pay for fresh pages every time. */
static bool profile_init(sc_sim *sim) {
  sc_profile *p = &sim->profile;
  bool same = p->units && p->n_cores == sim->n_cores;
  for (uint32_t c = 0; same && c < sim->n_cores; c++) same = p->n_code[c] == sim->cores[c].n_code;
  if (same) {
    sc_prof_unit(*units)[SC_UNIT_COUNT] = p->units;
    uint64_t *core_end = p->core_end, **pc_cycles = p->pc_cycles;
    size_t *n_code = p->n_code;
    free(p->ops);
    memset(units, 0, sim->n_cores * sizeof *units);
    memset(core_end, 0, sim->n_cores * sizeof *core_end);
    for (uint32_t c = 0; c < sim->n_cores; c++)
      memset(pc_cycles[c], 0, (n_code[c] ? n_code[c] : 1) * sizeof **pc_cycles);
    *p = (sc_profile){.units = units,
                      .core_end = core_end,
                      .pc_cycles = pc_cycles,
                      .n_code = n_code,
                      .n_cores = sim->n_cores,
                      .chips = sim->chips,
                      .clock_ghz = sim->arch.clock_ghz};
    return true;
  }
  sim_profile_free(p);
  p->clock_ghz = sim->arch.clock_ghz;
  p->n_cores = sim->n_cores;
  p->chips = sim->chips;
  p->units = calloc(sim->n_cores, sizeof *p->units);
  p->core_end = calloc(sim->n_cores, sizeof *p->core_end);
  p->pc_cycles = calloc(sim->n_cores, sizeof *p->pc_cycles);
  p->n_code = calloc(sim->n_cores, sizeof *p->n_code);
  if (!p->units || !p->core_end || !p->pc_cycles || !p->n_code) return false;
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    p->n_code[c] = sim->cores[c].n_code;
    p->pc_cycles[c] = calloc(p->n_code[c] ? p->n_code[c] : 1, sizeof **p->pc_cycles);
    if (!p->pc_cycles[c]) return false;
  }
  return true;
}

/* Energy of the run's actions (docs/PERF_MODEL.md "Energy"). */
static void energy(sc_sim *sim) {
  sc_profile *p = &sim->profile;
  const sc_arch *a = &sim->arch;
  const sc_prof_actions *ac = &p->actions;
  double mxu = 0;
  for (int d = 0; d < SC_DTYPE_COUNT; d++) mxu += (double)ac->macs[d] * a->energy.mac_pj[d];
  p->energy_pj[SC_ENERGY_MXU] = mxu;
  p->energy_pj[SC_ENERGY_VPU] =
      (double)ac->vpu_ops * a->energy.vpu_op_pj + (double)ac->sfu_elems * a->energy.sfu_elem_pj;
  p->energy_pj[SC_ENERGY_SRAM] = (double)ac->sram_bytes * a->energy.sram_pj_per_byte;
  p->energy_pj[SC_ENERGY_ACC] = (double)ac->acc_bytes * a->energy.acc_sram_pj_per_byte;
  p->energy_pj[SC_ENERGY_MEMORY] =
      (double)(ac->mem_rd_bytes + ac->mem_wr_bytes) * a->energy.memory_pj_per_byte;
  p->energy_pj[SC_ENERGY_NOC] = (double)ac->noc_byte_hops * a->energy.noc_pj_per_byte_hop;
  p->energy_pj[SC_ENERGY_HOST] =
      (double)(p->host_to_device + p->host_from_device) * a->energy.host_link_pj_per_byte;
  p->energy_pj[SC_ENERGY_LINK] = (double)ac->link_byte_hops * sim->sys.links.pj_per_byte;
  /* W * ns = nJ; * 1e3 = pJ; every chip leaks */
  p->energy_pj[SC_ENERGY_STATIC] =
      a->energy.static_w * sim->chips * ((double)p->cycles / a->clock_ghz) * 1e3;
}

static void finish(timed *T) {
  sc_sim *sim = T->sim;
  sc_profile *p = &sim->profile;
  uint64_t end = 0;
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    tcore *tc = &T->tc[c];
    if (tc->end > end) end = tc->end;
  }
  T->now = end;
  p->cycles = end;
  /* The host link, one way each: latency plus bytes at its bandwidth. */
  const sc_arch *a = &sim->arch;
  p->host_to_device = sim->host_to_device;
  p->host_from_device = sim->host_from_device;
  double per_byte = a->clock_ghz / sim->sys.host.gb_s,
         lat = sim->sys.host.latency_ns * a->clock_ghz;
  double hc = 0;
  if (p->host_to_device) hc += lat + (double)p->host_to_device * per_byte;
  if (p->host_from_device) hc += lat + (double)p->host_from_device * per_byte;
  p->host_cycles = (uint64_t)ceil(hc);
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    tcore *tc = &T->tc[c];
    p->core_end[c] = tc->end;
    for (unsigned q = 0; q < N_Q; q++) unit_change(T, c, q, 0);
    /* A DMA engine's busy time outside data phases is set-up and latency that
     * nothing overlapped, shared between them by their totals. */
    for (unsigned q = 0; q < SIM_MAX_DMA; q++) {
      tunit *du = &tc->u[q];
      sc_prof_unit *pd = &p->units[c][SC_UNIT_DMA0 + q];
      double over = pd->busy > du->data_cycles ? (double)(pd->busy - du->data_cycles) : 0;
      double tot = (double)(du->setup_sum + du->mem_lat_sum + du->noc_lat_sum);
      if (!(tot > 0)) continue;
      uint64_t s_c = (uint64_t)llround(over * (double)du->setup_sum / tot);
      uint64_t m_c = (uint64_t)llround(over * (double)du->mem_lat_sum / tot);
      pd->reason[SC_REASON_DMA_SETUP] += s_c;
      pd->reason[SC_REASON_MEM_LATENCY] += m_c;
      pd->reason[SC_REASON_NOC_LATENCY] +=
          (uint64_t)over > s_c + m_c ? (uint64_t)over - s_c - m_c : 0;
    }
    /* MXU skew: in flight but neither loading, streaming nor draining; weight
     * loads that no streaming or draining hides. */
    sc_prof_unit *m = &p->units[c][SC_UNIT_MXU];
    if (m->busy > tc->working_cycles)
      m->reason[SC_REASON_MXU_PIPELINE] += m->busy - tc->working_cycles;
    if (tc->working_cycles > tc->stream_cycles + tc->drain_cycles)
      m->reason[SC_REASON_MXU_WEIGHTS] += tc->working_cycles - tc->stream_cycles - tc->drain_cycles;
    sim_core *core = &sim->cores[c];
    core->counters[SC_ISA_EVENT_CYCLES] = tc->end;
    core->counters[SC_ISA_EVENT_DMA_BUSY] = tc->dma_busy;
    core->counters[SC_ISA_EVENT_MXU_BUSY] = m->busy;
    core->counters[SC_ISA_EVENT_VPU_BUSY] = p->units[c][SC_UNIT_VPU].busy;
    uint64_t stall = 0;
    for (unsigned u = SC_UNIT_DMA0; u < SC_UNIT_COUNT; u++)
      stall += p->units[c][u].reason[SC_REASON_SEM_WAIT];
    core->counters[SC_ISA_EVENT_SEM_STALL] = stall;
  }
  energy(sim);
}

static void timed_free(timed *T) {
  free(T->heap);
  free(T->head);
  free(T->tail);
  free(T->pool);
  free(T->tc);
  free(T->fl);
  free(T->fl_free);
  free(T->chan);
  free(T->used_ch);
  free(T->used_occ);
  free(T->res);
  free(T->coef);
  free(T->flow_owner);
  free(T->finish);
  sim_net_free(&T->net);
}

int sim_run_timed(sc_sim *sim) {
  timed T = {.sim = sim};
  if (!profile_init(sim) || !(T.tc = calloc(sim->n_cores, sizeof *T.tc)) ||
      !(T.chan = calloc(2 * ((size_t)sim->arch.memory.channels + 2), sizeof *T.chan)) ||
      !(T.used_ch = calloc(sim->arch.memory.channels + 1, sizeof *T.used_ch)) ||
      !(T.used_occ = calloc(sim->arch.memory.channels + 1, sizeof *T.used_occ)) ||
      !(T.head = malloc(WHEEL * sizeof *T.head)) || !(T.tail = malloc(WHEEL * sizeof *T.tail)) ||
      !sim_net_init(&T.net, &sim->sys)) {
    timed_free(&T);
    sim_profile_free(&sim->profile);
    return -1;
  }
  /* without a memo (out of memory), ops are costed directly */
  if (!sim->memo) sim->memo = sim_cost_memo_new();
  for (size_t b = 0; b < WHEEL; b++) T.head[b] = T.tail[b] = -1;
  T.pool_free = -1;
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    /* the decoded code, kept across runs until the code changes */
    for (unsigned q = 0; q < SIM_MAX_DMA; q++) T.tc[c].u[q].pending = -1;
    if (sim->cores[c].issuing) wake(&T, c, U_SCALAR, 0);
  }
  sc_trap *trap = NULL;
  for (;;) {
    if (T.dirty && !ev_due_now(&T)) rerate(&T);
    if (!ev_pending(&T) || T.oom) break;
    event e = pop(&T);
    switch ((ev_kind)e.kind) {
    case EV_UNIT:
      T.tc[e.core].u[e.unit].sched = false;
      if (e.unit == U_SCALAR)
        issue(&T, e.core);
      else
        try_engine(&T, e.core, e.unit);
      break;
    case EV_DONE:
      complete(&T, e.arg);
      break;
    case EV_FLOW_GO:
      dma_data(&T, e.arg);
      break;
    case EV_FLOW_END: /* every flow due by now ends (stale after a re-rating) */
      if (e.arg2 != T.net.epoch) break;
      for (uint32_t i = 0; i < T.net.n_active;) {
        uint32_t id = T.net.active[i];
        if (T.finish[id] > T.now) {
          i++;
          continue;
        }
        flow_end(&T, id);
      }
      break;
    case EV_SIGNAL:
      sem_add(&T, e.core, e.arg, e.arg2);
      break;
    case EV_BARRIER:
      release_barrier(&T, sim->cores[e.core].chip);
      break;
    }
    /* Only a unit acting can trap, and only on its own core. */
    if (e.kind == EV_UNIT && sim->cores[e.core].trap.cause != SC_TRAP_NONE) {
      trap = &sim->cores[e.core].trap;
      break;
    }
  }
  if (T.oom) {
    timed_free(&T);
    sim_profile_free(&sim->profile);
    return -1;
  }
  if (!trap) {
    bool done = true;
    for (uint32_t c = 0; c < sim->n_cores; c++) done &= sim_core_done(&sim->cores[c]);
    if (!done) {
      sim_report_deadlock(sim);
      for (uint32_t c = 0; c < sim->n_cores && !trap; c++)
        if (sim->cores[c].trap.cause != SC_TRAP_NONE) trap = &sim->cores[c].trap;
    }
  }
  if (trap) {
    sim->trap = *trap;
    timed_free(&T);
    return 1;
  }
  finish(&T);
  sim->have_profile = true;
  timed_free(&T);
  return 0;
}
