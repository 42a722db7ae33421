/* sim_time.h: the timing model's pieces, shared by sim_cost.c (what an op
 * costs), sim_flow.c (bandwidth shared by concurrent transfers) and
 * sim_timed.c (the event-driven scheduler). docs/PERF_MODEL.md is the
 * specification of every formula here. */
#ifndef SEEDCHIP_SIM_TIME_H
#define SEEDCHIP_SIM_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include "seedchip/profile.h"
#include "sim_int.h"

/* ---- op costs (sim_cost.c) ---- */

/* Where a DMA's data comes from or goes to. */
typedef enum sim_end { END_MEM, END_LOCAL, END_REMOTE } sim_end;

/* What one engine op costs. Cycles are chip cycles. */
/* One device-memory end of a DMA, as its channel occupancy sees it: planes
 * tiles pstride bytes apart from addr, each rows rows of nbytes bytes, stride
 * apart. */
typedef struct sim_mem_side {
  uint64_t addr, planes, pstride, rows, nbytes, stride;
} sim_mem_side;

typedef struct sim_cost {
  /* VPU and MXU: cycles the op's own datapath needs at full rate (VPU compute;
   * ldw: K rows; mm: M rows at the dtype's rate; drain: M rows), and the cycles
   * its SRAM accesses need with bank conflicts. The op takes the larger. */
  uint64_t work, sram;
  uint64_t latency; /* mm: pipeline skew until the last result (rows + cols - 2) */
  /* DMA */
  double bytes;             /* transfer size: the larger of the source and destination bytes */
  double cap;               /* the engine's limit in bytes per cycle (link width, bursts) */
  double link_cap;          /* the link-width limit alone (for attributing short bursts) */
  uint64_t setup;           /* descriptor overhead */
  uint64_t mem_lat;         /* device-memory latency (0 when no device memory is involved) */
  uint64_t noc_lat;         /* hop latency over the mesh */
  bool uses_mem;            /* it reads or writes device memory */
  sim_mem_side mem_side[2]; /* with uses_mem: the source's and the destination's, where END_MEM */
  sim_end src_end, dst_end;
  uint32_t remote; /* the core of an END_REMOTE side */
  /* The chip of each end; a DMA between two chips crosses the system's links
   * (link_lat: their one-way latency, in noc_lat too). */
  uint32_t src_chip, dst_chip;
  uint64_t link_lat;
  /* actions */
  uint64_t macs;
  sc_dtype mac_dtype;
  uint64_t vpu_ops, sfu_elems, sram_bytes, acc_bytes, mem_rd, mem_wr;
  uint64_t noc_bytes, noc_byte_hops;
  uint64_t link_bytes, link_byte_hops;
  /* counters the functional executors would bump (timing-only mode bumps these) */
  uint64_t cnt_hbm_rd, cnt_hbm_wr, cnt_noc, cnt_macs, cnt_vpu_elems;
  /* MXU: the tile an ldw loads (K, N, dtype) */
  uint32_t tile_k, tile_n;
  sc_dtype tile_dtype;
} sim_cost;

/* The timing view of the MXU's loaded tile (timing-only mode executes no
 * loads, so the cost of mm reads K, N and the dtype from here). */
typedef struct sim_tile {
  uint32_t k, n;
  sc_dtype dtype;
} sim_tile;

/* Fills *c for op on core. A DMA's channel occupancy is not computed here:
 * c->mem_side gives its device-memory sides (sim_mem_side_chan). */
void sim_cost_op(const sc_sim *sim, const sim_core *core, const sim_op *op, const sim_tile *tile,
                 sim_cost *c);

/* A memo of MXU and VPU op costs: a program's loops start the same ops (same
 * operands and sizes; the same MXU tile) again and again, and sim_cost_op is
 * pure, so the timed modes look such an op's cost up by exactly what cost_mxu
 * or cost_vpu reads (the opcode and its fields, the registers it reads, the
 * loaded tile's shape) in a direct-mapped table before computing it. Same
 * costs, bit for bit. */
enum { SIM_COST_MEMO_LOG2 = 11, SIM_COST_MEMO_KEY = 10 };
typedef struct sim_cost_memo_entry {
  uint64_t key[SIM_COST_MEMO_KEY];
  bool valid;
  sim_cost c;
} sim_cost_memo_entry;
/* And of the device-memory sides of DMAs (sim_mem_side_key): what the timed
 * scheduler makes of a side's channel occupancy. */
enum { SIM_SIDE_MEMO_LOG2 = 10, SIM_SIDE_MEMO_CHANNELS = 16 };
typedef enum sim_side_kind {
  SIM_SIDE_EMPTY,  /* no bytes on any channel */
  SIM_SIDE_SPREAD, /* limited by the memory as a whole: sum bytes of occupancy */
  SIM_SIDE_UNEVEN, /* limited by each channel it uses too */
} sim_side_kind;
typedef struct sim_side_memo_entry {
  uint64_t key[6];
  bool valid;
  uint8_t kind;
  uint8_t n_ch; /* SIM_SIDE_UNEVEN: the channels it uses, at most SIM_SIDE_MEMO_CHANNELS */
  double sum;
  uint32_t ch[SIM_SIDE_MEMO_CHANNELS];
  double occ[SIM_SIDE_MEMO_CHANNELS];
} sim_side_memo_entry;
struct sim_cost_memo {
  sim_cost_memo_entry e[1 << SIM_COST_MEMO_LOG2];
  sim_side_memo_entry side[1 << SIM_SIDE_MEMO_LOG2];
  uint64_t hits, misses;
};

/* The slot of a key of n words in a table of 2^log2 entries. */
static inline size_t sim_memo_slot(const uint64_t *key, unsigned n, unsigned log2) {
  uint64_t h = 0;
  for (unsigned i = 0; i < n; i++) h ^= (key[i] + i) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 31;
  return (size_t)((h * 0xbf58476d1ce4e5b9ull) >> (64 - log2));
}

/* A new, empty memo (kept by the simulator across runs: its chips do not
 * change), or NULL when the host is out of memory. */
sim_cost_memo *sim_cost_memo_new(void);
/* sim_cost_op, through the memo for MXU and VPU ops. */
void sim_cost_op_memo(sim_cost_memo *m, const sc_sim *sim, const sim_core *core, const sim_op *op,
                      const sim_tile *tile, sim_cost *c);

/* Adds the channel occupancy in bytes of side s to side (C + 2 values for
 * the arch's C channels): side[0] is what every channel carries alike,
 * side[1 .. C + 1] a difference array: channel ch carries side[0] + side[1]
 * + ... + side[1 + ch]. */
void sim_mem_side_chan(const sc_arch *a, const sim_mem_side *s, double *side);
/* The occupancy of side s depends only on these six values (its address
 * modulo one round of the channels, interleave x channels bytes, and its
 * shape): false when that does not hold (addresses that wrap, occupancies
 * too large to be exact), when s cannot be keyed. */
bool sim_mem_side_key(const sc_arch *a, const sim_mem_side *s, uint64_t key[6]);

/* Mesh hops between two cores of one chip (dimension-ordered routing; global
 * ids). */
uint32_t sim_mesh_hops(const sc_arch *a, uint32_t from, uint32_t to);

/* ---- the flow network (sim_flow.c) ----
 * Resources, per chip: memory channels 0..C-1, then per core an ingress and
 * an egress port, then per core four outgoing mesh links (east, west, north,
 * south), then the device memory as a whole; after every chip's, the
 * system's chip-to-chip link resources.
 * Concurrent transfers share them max-min fairly. */
typedef struct sim_flow {
  double remaining; /* bytes left */
  double rate;      /* bytes per cycle now */
  double cap;       /* the flow's own limit */
  uint64_t t_last;  /* when remaining was last brought up to date */
  uint64_t version; /* bumps at every re-rating; stale finish events carry an old one */
  uint32_t n_uses, cap_uses;
  uint32_t *res;
  double *coef; /* resource bytes per transfer byte */
  bool active, frozen;
} sim_flow;

typedef struct sim_net {
  uint32_t n_res;
  double *cap;      /* bytes per cycle of each resource */
  double *residual; /* scratch of a re-rating */
  double *load;
  uint32_t *touched; /* resources in use during a re-rating */
  uint8_t *mark;
  sim_flow *flows;
  uint32_t n_flows, cap_flows;
  uint32_t *active; /* ids of active flows */
  uint32_t n_active;
  uint32_t *free_ids;
  uint32_t n_free;
  uint64_t epoch;     /* bumps at every re-rating */
  uint32_t link_base; /* the first chip-to-chip link resource */
} sim_net;

/* Sets up the resources of every chip of sys and its links. False when the
 * host is out of memory. */
bool sim_net_init(sim_net *net, const sc_system *sys);
void sim_net_free(sim_net *net);
/* A new flow of bytes at time now with its own cap and its uses (copied).
 * Returns its id, or -1 when the host is out of memory. Call sim_net_rerate. */
int64_t sim_net_add(sim_net *net, uint64_t now, double bytes, double cap, uint32_t n,
                    const uint32_t *res, const double *coef);
/* Ends flow id (call sim_net_rerate after). */
void sim_net_remove(sim_net *net, uint32_t id);
/* Brings every active flow's remaining bytes up to now and shares the
 * resources max-min fairly among them (progressive filling). */
void sim_net_rerate(sim_net *net, uint64_t now);
/* The cycle by which flow id finishes at its current rate. */
uint64_t sim_net_finish(const sim_net *net, uint32_t id, uint64_t now);

/* Resources by global core id and chip. */
uint32_t sim_net_port_in(const sc_arch *a, uint32_t core);
uint32_t sim_net_port_out(const sc_arch *a, uint32_t core);
/* Memory channel ch of chip. */
uint32_t sim_net_chan(const sc_arch *a, uint32_t chip, uint32_t ch);
/* A chip's device memory as a whole (capacity memory.effective_gb_s). */
uint32_t sim_net_mem(const sc_arch *a, uint32_t chip);
/* System link resource id (sc_system_route's numbering). */
uint32_t sim_net_syslink(const sim_net *net, uint32_t id);
/* Appends the mesh links of the route from -> to (XY; two cores of one chip)
 * to res/coef; returns the count. */
uint32_t sim_net_route(const sc_arch *a, uint32_t from, uint32_t to, uint32_t *res, double *coef,
                       uint32_t max);

#endif
