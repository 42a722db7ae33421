/* test_sim_cost.c: the timed modes' memos of op costs (sim_time.h) against
 * the costing they stand for.
 *
 * - sim_cost_op_memo gives what sim_cost_op gives, field by field, for random
 *   MXU and VPU ops (every opcode of the two engines, random fields, operands
 *   drawn from small sets so that ops repeat and table slots collide), for
 *   DMA and scalar ops (which it does not keep) too, with hits and misses;
 * - the key of a DMA's device-memory side (sim_mem_side_key) holds what its
 *   channel occupancy depends on: random sides, and the same sides moved by
 *   whole rounds of the channels, have the same key and the same occupancy on
 *   every channel; a side whose addresses wrap has no key;
 * - the occupancy itself, on small sides, against a byte-by-byte count
 *   written here: each interleave block's access units touched, per channel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/arch.h"
#include "seedchip/isa.h"
#include "seedchip/sim.h"
#include "sim_time.h"

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

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t pick(const uint64_t *v, size_t n) {
  return v[rnd() % n];
}

/* Every field of two costs (not memcmp: padding). */
static void assert_cost_equal(const sim_cost *a, const sim_cost *b) {
#define F(f) assert_true(a->f == b->f)
  F(work), F(sram), F(latency), F(bytes), F(cap), F(link_cap), F(setup), F(mem_lat), F(noc_lat);
  F(uses_mem), F(src_end), F(dst_end), F(remote), F(src_chip), F(dst_chip), F(link_lat);
  F(macs), F(mac_dtype), F(vpu_ops), F(sfu_elems), F(sram_bytes), F(acc_bytes), F(mem_rd);
  F(mem_wr), F(noc_bytes), F(noc_byte_hops), F(link_bytes), F(link_byte_hops), F(cnt_hbm_rd);
  F(cnt_hbm_wr), F(cnt_noc), F(cnt_macs), F(cnt_vpu_elems), F(tile_k), F(tile_n), F(tile_dtype);
  for (int s = 0; s < 2; s++) {
    F(mem_side[s].addr), F(mem_side[s].planes), F(mem_side[s].pstride), F(mem_side[s].rows);
    F(mem_side[s].nbytes), F(mem_side[s].stride);
  }
#undef F
}

/* A random op of opcode: fields in their ranges, operand registers from
 * small sets. */
static void random_op(unsigned opcode, sim_op *op, sim_tile *tile) {
  static const uint64_t addr[] = {0, 64, 128, 4096, 6144, 65536 + 32, 1 << 20};
  static const uint64_t size[] = {1, 3, 16, 64, 100, 128};
  static const uint64_t stride[] = {0, 64, 128, 256, 512, 520, 4096};
  static const uint64_t dts[] = {SC_DTYPE_FP32, SC_DTYPE_BF16, SC_DTYPE_FP8_E4M3,
                                 SC_DTYPE_INT8, SC_DTYPE_INT4, SC_DTYPE_INT32};
  static const uint64_t sp[] = {SC_ISA_SPACE_HBM, SC_ISA_SPACE_SRAM, SC_ISA_SPACE_ACC};
  memset(op, 0, sizeof *op);
  op->in.opcode = (uint8_t)opcode;
  op->in.sel = (int64_t)(rnd() % 4);
  op->in.ddt = (int64_t)pick(dts, 6), op->in.s1dt = (int64_t)pick(dts, 6);
  op->in.s2dt = (int64_t)pick(dts, 6);
  op->in.dsp = (int64_t)pick(sp, 3), op->in.s1sp = (int64_t)pick(sp, 3);
  op->in.s2sp = (int64_t)pick(sp, 3);
  op->xd = pick(addr, 7), op->xs1 = pick(addr, 7), op->xs2 = pick(addr, 7);
  op->xc = rnd() % 3;
  op->g[0] = pick(size, 6), op->g[1] = pick(size, 6);
  for (int k = 2; k < SIM_MAX_GROUP; k++) op->g[k] = rnd() % 2 ? pick(stride, 7) : pick(size, 6);
  op->pc = (uint32_t)(rnd() % 1000);
  *tile = (sim_tile){(uint32_t)pick(size, 6), (uint32_t)pick(size, 6), SC_DTYPE_FP8_E4M3};
}

static void memo_gives_the_cost(void **state) {
  (void)state;
  sc_sim *sim;
  assert_int_equal(sc_sim_create(sc1, NULL, &sim), SC_STATUS_OK);
  sim_cost_memo *m = sim_cost_memo_new();
  assert_non_null(m);
  unsigned ops[256], n_ops = 0;
  unsigned n_engine[SC_ISA_ENGINE_COUNT] = {0};
  for (unsigned o = 0; o < 256; o++) {
    const sc_isa_info *info = sc_isa_info_of(o);
    if (!info) continue;
    ops[n_ops++] = o;
    n_engine[info->engine]++;
  }
  assert_true(n_engine[SC_ISA_ENGINE_MXU] >= 4 && n_engine[SC_ISA_ENGINE_VPU] >= 10);
  const sim_core *core = &sim->cores[1];
  /* a pool of ops, drawn from again and again */
  enum { POOL = 6000 };
  sim_op *pool = calloc(POOL, sizeof *pool);
  sim_tile *tiles = calloc(POOL, sizeof *tiles);
  assert_non_null(pool);
  assert_non_null(tiles);
  /* families of ops that differ in one thing: a field, a register's value,
   * the tile (a key that left out what a cost reads would mix them up) */
  for (int i = 0; i < POOL; i++) {
    random_op(ops[rnd() % n_ops], &pool[i], &tiles[i]);
    if (i < 500) continue;
    sim_op o;
    sim_tile t;
    random_op(pool[i].in.opcode, &o, &t);
    size_t from = rnd() % (size_t)i;
    pool[i] = pool[from], tiles[i] = tiles[from];
    switch (rnd() % 15) {
    case 0:
      pool[i].in.sel = o.in.sel;
      break;
    case 1:
      pool[i].in.ddt = o.in.ddt;
      break;
    case 2:
      pool[i].in.s1dt = o.in.s1dt;
      break;
    case 3:
      pool[i].in.s2dt = o.in.s2dt;
      break;
    case 4:
      pool[i].in.dsp = o.in.dsp;
      break;
    case 5:
      pool[i].in.s1sp = o.in.s1sp;
      break;
    case 6:
      pool[i].in.s2sp = o.in.s2sp;
      break;
    case 7:
      pool[i].xd = o.xd;
      break;
    case 8:
      pool[i].xs1 = o.xs1;
      break;
    case 9:
      pool[i].xs2 = o.xs2;
      break;
    case 10:
      pool[i].xc = o.xc;
      break;
    case 11:
      tiles[i].k = t.k;
      break;
    case 12:
      tiles[i].n = t.n;
      break;
    default:
      pool[i].g[rnd() % SIM_MAX_GROUP] = o.g[rnd() % SIM_MAX_GROUP];
      break;
    }
  }
  for (int i = 0; i < 60000; i++) {
    size_t k = rnd() % POOL;
    sim_cost direct, memo;
    sim_cost_op(sim, core, &pool[k], &tiles[k], &direct);
    sim_cost_op_memo(m, sim, core, &pool[k], &tiles[k], &memo);
    assert_cost_equal(&direct, &memo);
  }
  free(pool);
  free(tiles);
  /* both paths taken; the table (2048 entries) is smaller than the ops' variety */
  printf("memo: %llu hits, %llu misses\n", (unsigned long long)m->hits,
         (unsigned long long)m->misses);
  assert_true(m->hits > 1000 && m->misses > 2048);
  /* no memo: costed directly */
  sim_op op;
  sim_tile tile;
  random_op(SC_OP_MXU_MM, &op, &tile);
  sim_cost a, b;
  sim_cost_op(sim, core, &op, &tile, &a);
  sim_cost_op_memo(NULL, sim, core, &op, &tile, &b);
  assert_cost_equal(&a, &b);
  sim_cost_memo_free(m);
  sc_sim_destroy(sim);
}

/* The channel occupancy of side s: the difference arrays summed up. */
static void occupancy(const sc_arch *a, const sim_mem_side *s, double *occ) {
  uint32_t C = a->memory.channels;
  double *side = calloc(C + 2, sizeof *side);
  assert_non_null(side);
  sim_mem_side_chan(a, s, side);
  double run = 0;
  for (uint32_t ch = 0; ch < C; ch++) {
    run += side[1 + ch];
    occ[ch] = side[0] + run;
  }
  free(side);
}

/* The same by counting: each row's bytes, each access unit of each
 * interleave block it touches, on that block's channel. */
static void occupancy_counted(const sc_arch *a, const sim_mem_side *s, double *occ) {
  uint64_t I = a->memory.interleave_bytes, A = a->memory.access_bytes, C = a->memory.channels;
  memset(occ, 0, C * sizeof *occ);
  for (uint64_t p = 0; p < s->planes; p++)
    for (uint64_t r = 0; r < s->rows; r++) {
      uint64_t lo = s->addr + p * s->pstride + r * s->stride, hi = lo + s->nbytes;
      for (uint64_t unit = lo / A; unit * A < hi; unit++) occ[unit * A / I % C] += (double)A;
    }
}

static void side_key_holds_the_occupancy(void **state) {
  (void)state;
  const sc_arch *a = sc1;
  uint32_t C = a->memory.channels;
  uint64_t round = a->memory.interleave_bytes * C;
  double *o1 = calloc(C, sizeof *o1), *o2 = calloc(C, sizeof *o2);
  assert_non_null(o1);
  assert_non_null(o2);
  static const uint64_t nbytes[] = {1, 64, 100, 256, 300, 4096, 16384, 24576};
  unsigned counted = 0;
  for (int i = 0; i < 3000; i++) {
    sim_mem_side s = {.addr = rnd() % ((uint64_t)1 << 40),
                      .planes = 1 + rnd() % 4,
                      .rows = 1 + rnd() % 6,
                      .nbytes = pick(nbytes, 8)};
    s.stride = rnd() % 2 ? s.nbytes : s.nbytes + rnd() % 70000;
    s.pstride = rnd() % 3 ? s.rows * s.stride : rnd() % 300000;
    if (rnd() % 4 == 0) s.addr &= ~(uint64_t)255; /* aligned to a block */
    sim_mem_side t = s;
    t.addr = s.addr + (1 + rnd() % 1000) * round;
    uint64_t k1[6], k2[6];
    assert_true(sim_mem_side_key(a, &s, k1));
    assert_true(sim_mem_side_key(a, &t, k2));
    assert_memory_equal(k1, k2, sizeof k1);
    occupancy(a, &s, o1);
    occupancy(a, &t, o2);
    assert_memory_equal(o1, o2, C * sizeof *o1);
    if (s.planes * s.rows * s.nbytes <= 200000) { /* small enough to count */
      occupancy_counted(a, &s, o2);
      for (uint32_t ch = 0; ch < C; ch++) assert_true(o1[ch] == o2[ch]);
      counted++;
    }
  }
  assert_true(counted > 1000);
  /* addresses that wrap past 2^64: no key */
  sim_mem_side w = {.addr = UINT64_MAX - 1000,
                    .planes = 2,
                    .pstride = 4096,
                    .rows = 1,
                    .nbytes = 64,
                    .stride = 64};
  uint64_t k[6];
  assert_false(sim_mem_side_key(a, &w, k));
  free(o1);
  free(o2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(memo_gives_the_cost),
      cmocka_unit_test(side_key_holds_the_occupancy),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
