/* sim_flow.c: bandwidth shared by concurrent transfers. Each DMA in its data
 * phase is a flow over resources: device-memory channels, the cores' NoC ports
 * and the mesh links on its dimension-ordered route. Whenever a flow starts or
 * ends, every active flow is re-rated: the resources are shared max-min fairly
 * (progressive filling: all unfrozen flows grow at the same rate until a
 * resource they use is full or they reach their own cap), which is the
 * steady state of fair arbitration at every channel, port and link. Between
 * re-ratings each flow moves at a constant rate. docs/PERF_MODEL.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_time.h"

/* Resource layout: per chip a block of its channels, then ports (in, out) per
 * core, then 4 mesh links per core, then its device memory as a whole; after
 * the chips' blocks, the system's directed link resources (system.h). Cores
 * are global ids (chip * cores + core). */
static uint32_t block(const sc_arch *a) {
  return a->memory.channels + 6 * a->cores.count + 1;
}
static uint32_t chip_base(const sc_arch *a, uint32_t core) {
  return core / a->cores.count * block(a);
}
uint32_t sim_net_chan(const sc_arch *a, uint32_t chip, uint32_t ch) {
  return chip * block(a) + ch;
}
uint32_t sim_net_port_in(const sc_arch *a, uint32_t core) {
  return chip_base(a, core) + a->memory.channels + 2 * (core % a->cores.count);
}
uint32_t sim_net_port_out(const sc_arch *a, uint32_t core) {
  return sim_net_port_in(a, core) + 1;
}
uint32_t sim_net_mem(const sc_arch *a, uint32_t chip) {
  return chip * block(a) + a->memory.channels + 6 * a->cores.count;
}
static uint32_t link_id(const sc_arch *a, uint32_t core, unsigned dir) {
  return chip_base(a, core) + a->memory.channels + 2 * a->cores.count +
         4 * (core % a->cores.count) + dir;
}
uint32_t sim_net_syslink(const sim_net *net, uint32_t id) {
  return net->link_base + id;
}

enum { DIR_E, DIR_W, DIR_N, DIR_S };

uint32_t sim_net_route(const sc_arch *a, uint32_t from, uint32_t to, uint32_t *res, double *coef,
                       uint32_t max) {
  uint32_t cols = a->cores.mesh_cols, n = 0, base = from - from % a->cores.count;
  from %= a->cores.count, to %= a->cores.count;
  uint32_t r = from / cols, c = from % cols, tr = to / cols, tc = to % cols;
  while (c != tc && n < max) { /* X first */
    unsigned dir = tc > c ? DIR_E : DIR_W;
    res[n] = link_id(a, base + r * cols + c, dir), coef[n++] = 1;
    c = tc > c ? c + 1 : c - 1;
  }
  while (r != tr && n < max) {
    unsigned dir = tr > r ? DIR_S : DIR_N;
    res[n] = link_id(a, base + r * cols + c, dir), coef[n++] = 1;
    r = tr > r ? r + 1 : r - 1;
  }
  return n;
}

bool sim_net_init(sim_net *net, const sc_system *sys) {
  const sc_arch *a = &sys->chip;
  memset(net, 0, sizeof *net);
  net->link_base = sys->chips * block(a);
  net->n_res = net->link_base + sc_system_links(sys);
  net->cap = calloc(net->n_res, sizeof *net->cap);
  net->residual = calloc(net->n_res, sizeof *net->residual);
  net->load = calloc(net->n_res, sizeof *net->load);
  net->touched = calloc(net->n_res, sizeof *net->touched);
  net->mark = calloc(net->n_res, 1);
  if (!net->cap || !net->residual || !net->load || !net->touched || !net->mark) {
    sim_net_free(net);
    return false;
  }
  /* Bytes per cycle: a channel's share of the effective bandwidth; ports and links
   * move a link width per cycle; chip-to-chip links their bundle's bandwidth. */
  double per_chan = a->memory.effective_gb_s / a->clock_ghz / a->memory.channels;
  for (uint32_t chip = 0; chip < sys->chips; chip++) {
    uint32_t b = chip * block(a);
    for (uint32_t i = 0; i < a->memory.channels; i++) net->cap[b + i] = per_chan;
    for (uint32_t i = a->memory.channels; i < block(a); i++)
      net->cap[b + i] = a->noc.link_width_bytes;
    net->cap[sim_net_mem(a, chip)] = a->memory.effective_gb_s / a->clock_ghz;
  }
  for (uint32_t i = net->link_base; i < net->n_res; i++)
    net->cap[i] = sc_system_link_gb_s(sys, i - net->link_base) / a->clock_ghz;
  return true;
}

void sim_net_free(sim_net *net) {
  for (uint32_t i = 0; i < net->n_flows; i++) {
    free(net->flows[i].res);
    free(net->flows[i].coef);
  }
  free(net->flows);
  free(net->active);
  free(net->free_ids);
  free(net->cap);
  free(net->residual);
  free(net->load);
  free(net->touched);
  free(net->mark);
  memset(net, 0, sizeof *net);
}

int64_t sim_net_add(sim_net *net, uint64_t now, double bytes, double cap, uint32_t n,
                    const uint32_t *res, const double *coef) {
  uint32_t id;
  if (net->n_free) {
    id = net->free_ids[--net->n_free];
  } else {
    if (net->n_flows == net->cap_flows) {
      uint32_t nc = net->cap_flows ? net->cap_flows * 2 : 64;
      sim_flow *f = realloc(net->flows, nc * sizeof *f);
      if (!f) return -1;
      net->flows = f;
      uint32_t *act = realloc(net->active, nc * sizeof *act);
      if (!act) return -1;
      net->active = act;
      uint32_t *fr = realloc(net->free_ids, nc * sizeof *fr);
      if (!fr) return -1;
      net->free_ids = fr;
      memset(net->flows + net->cap_flows, 0, (nc - net->cap_flows) * sizeof *f);
      net->cap_flows = nc;
    }
    id = net->n_flows++;
  }
  sim_flow *f = &net->flows[id];
  if (n > f->cap_uses) {
    uint32_t *r = realloc(f->res, n * sizeof *r);
    if (r) f->res = r;
    double *c = realloc(f->coef, n * sizeof *c);
    if (c) f->coef = c;
    if (!r || !c) {
      net->free_ids[net->n_free++] = id;
      return -1;
    }
    f->cap_uses = n;
  }
  memcpy(f->res, res, n * sizeof *res);
  memcpy(f->coef, coef, n * sizeof *coef);
  f->n_uses = n;
  f->remaining = bytes;
  f->rate = 0;
  f->cap = cap;
  f->t_last = now;
  f->version++;
  f->active = true;
  net->active[net->n_active++] = id;
  return id;
}

void sim_net_remove(sim_net *net, uint32_t id) {
  sim_flow *f = &net->flows[id];
  f->active = false;
  f->version++;
  for (uint32_t i = 0; i < net->n_active; i++)
    if (net->active[i] == id) {
      /* keep the order of the others: re-rating visits flows in start order */
      memmove(net->active + i, net->active + i + 1, (net->n_active - i - 1) * sizeof *net->active);
      net->n_active--;
      break;
    }
  net->free_ids[net->n_free++] = id;
}

/* A resource is full when less than this fraction of it is left. */
#define FULL_EPS 1e-9

void sim_net_rerate(sim_net *net, uint64_t now) {
  uint32_t n_touched = 0;
  for (uint32_t i = 0; i < net->n_active; i++) {
    sim_flow *f = &net->flows[net->active[i]];
    f->remaining -= f->rate * (double)(now - f->t_last);
    if (f->remaining < 0) f->remaining = 0;
    f->t_last = now;
    f->rate = 0;
    f->frozen = false;
    f->version++;
    for (uint32_t u = 0; u < f->n_uses; u++) {
      uint32_t r = f->res[u];
      if (!net->mark[r]) {
        net->mark[r] = 1;
        net->touched[n_touched++] = r;
        net->residual[r] = net->cap[r];
      }
    }
  }
  uint32_t unfrozen = net->n_active;
  while (unfrozen) {
    for (uint32_t k = 0; k < n_touched; k++) net->load[net->touched[k]] = 0;
    double delta = (double)INFINITY;
    for (uint32_t i = 0; i < net->n_active; i++) {
      sim_flow *f = &net->flows[net->active[i]];
      if (f->frozen) continue;
      for (uint32_t u = 0; u < f->n_uses; u++) net->load[f->res[u]] += f->coef[u];
      if (f->cap - f->rate < delta) delta = f->cap - f->rate;
    }
    for (uint32_t k = 0; k < n_touched; k++) {
      uint32_t r = net->touched[k];
      if (net->load[r] > 0 && net->residual[r] / net->load[r] < delta)
        delta = net->residual[r] / net->load[r];
    }
    if (delta < 0) delta = 0;
    for (uint32_t k = 0; k < n_touched; k++) {
      uint32_t r = net->touched[k];
      net->residual[r] -= delta * net->load[r];
    }
    for (uint32_t i = 0; i < net->n_active; i++) {
      sim_flow *f = &net->flows[net->active[i]];
      if (f->frozen) continue;
      f->rate += delta;
      bool full = f->cap - f->rate <= FULL_EPS * f->cap;
      for (uint32_t u = 0; u < f->n_uses && !full; u++) {
        uint32_t r = f->res[u];
        full = net->residual[r] <= FULL_EPS * net->cap[r];
      }
      if (full) {
        f->frozen = true;
        unfrozen--;
      }
    }
    if (!(delta < (double)INFINITY))
      break; /* flows without limits (cannot happen: caps are finite) */
  }
  for (uint32_t k = 0; k < n_touched; k++) net->mark[net->touched[k]] = 0;
  net->epoch++;
}

uint64_t sim_net_finish(const sim_net *net, uint32_t id, uint64_t now) {
  const sim_flow *f = &net->flows[id];
  if (f->remaining <= 0) return now;
  double t = (double)now + f->remaining / f->rate;
  uint64_t c = (uint64_t)ceil(t - 1e-9 * f->remaining / f->rate);
  return c > now ? c : now + 1;
}
