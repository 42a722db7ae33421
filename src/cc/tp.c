/* tp.c: tensor-parallel programs: each chip's share of a step compiled on its
 * own (its buffers in its own memory, collectives to its peers), then linked
 * into one program for the system (docs/COMPILER.md, "Tensor parallelism"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/cc.h"
#include "seedchip/system.h"

_Static_assert(SC_SYS_MAX_CORES == SC_PROG_MAX_CORES, "a system's cores fit one program");

sc_status sc_cc_link_system(const sc_program *const *progs, uint32_t n, uint32_t cores,
                            sc_program **out, char *err, size_t err_size) {
  *out = NULL;
  if (!n || n > SC_SYS_MAX_CHIPS || !cores || (uint64_t)n * cores > SC_PROG_MAX_CORES)
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT,
                   "link: %u programs of %u cores (1..%d chips, %d cores)", n, cores,
                   SC_SYS_MAX_CHIPS, SC_PROG_MAX_CORES);
  sc_program *p;
  sc_status st = sc_prog_create(sc_prog_arch_name(progs[0]), sc_prog_fingerprint(progs[0]), &p);
  if (st != SC_STATUS_OK) return sc_errf(err, err_size, st, "link: out of memory");
  for (uint32_t c = 0; c < n && st == SC_STATUS_OK; c++) {
    const sc_program *q = progs[c];
    if (sc_prog_fingerprint(q) != sc_prog_fingerprint(progs[0]) || sc_prog_core_count(q) > cores) {
      st = sc_errf(err, err_size, SC_STATUS_MISMATCH,
                   "link: chip %u's program is for another architecture or has more than %u cores",
                   c, cores);
      break;
    }
    for (uint32_t k = 0; k < sc_prog_core_count(q) && st == SC_STATUS_OK; k++) {
      size_t words;
      const uint64_t *code = sc_prog_code(q, k, &words);
      if (!words) continue;
      size_t w0;
      if (k > 0 && code == sc_prog_code(q, 0, &w0)) { /* core 0's code and map, shared */
        st = sc_prog_share_code(p, c * cores, c * cores + k);
        continue;
      }
      st = sc_prog_set_code(p, c * cores + k, code, words);
      for (uint32_t pc = 0; pc < words && st == SC_STATUS_OK; pc++) {
        const sc_prog_debug *d = sc_prog_debug_at(q, k, pc);
        if (d) st = sc_prog_add_debug(p, c * cores + k, pc, d->where, d->line, d->col);
      }
    }
    for (size_t i = 0; i < sc_prog_buffer_count(q) && st == SC_STATUS_OK; i++) {
      sc_prog_buffer b = *sc_prog_buffer_at(q, i);
      char name[SC_PROG_MAX_NAME + 1];
      if (c) { /* chip 0's names stay: the host finds its inputs and outputs there */
        snprintf(name, sizeof name, "chip%u/%s", c, b.name);
        b.name = name;
      }
      st = sc_prog_add_buffer(p, &b);
    }
    if (st != SC_STATUS_OK && err_size && !err[0])
      snprintf(err, err_size, "link: chip %u: %s", c, sc_prog_errmsg(p));
  }
  if (st != SC_STATUS_OK) {
    sc_prog_destroy(p);
    return st;
  }
  *out = p;
  return SC_STATUS_OK;
}

sc_status sc_cc_compile_tp(const sc_model_config *cfg, const sc_llama_step *step, const sc_model *m,
                           const sc_arch *arch, const sc_cc_options *opt, uint32_t tp,
                           sc_program **out, sc_strbuf *listing, char *err, size_t err_size) {
  *out = NULL;
  bool pp = step->pp > 1;
  if (pp && tp <= 1) tp = step->pp; /* one chip per stage */
  if (tp < 1 || tp > SC_SYS_MAX_CHIPS || (pp && tp != step->pp))
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT,
                   "parallelism over %u chips (a pipeline of %u stages)", tp, step->pp);
  sc_program **progs = calloc(tp, sizeof *progs);
  if (!progs) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "out of memory");
  sc_status st = SC_STATUS_OK;
  for (uint32_t c = 0; c < tp && st == SC_STATUS_OK; c++) {
    sc_llama_step s = *step;
    if (pp) {
      s.pp_stage = c;
    } else {
      s.tp = tp;
      s.tp_chip = c;
    }
    sc_graph *g;
    st = sc_cc_llama_graph(cfg, &s, &g, err, err_size);
    if (st != SC_STATUS_OK) break;
    if (listing && tp > 1) sc_strbuf_printf(listing, "; ---- chip %u ----\n", c);
    st = sc_cc_compile_opts(g, m, arch, opt, &progs[c], listing, err, err_size);
    sc_graph_destroy(g);
  }
  if (st == SC_STATUS_OK) {
    if (tp == 1) {
      *out = progs[0];
      progs[0] = NULL;
    } else {
      st = sc_cc_link_system((const sc_program *const *)progs, tp, arch->cores.count, out, err,
                             err_size);
    }
  }
  for (uint32_t c = 0; c < tp; c++) sc_prog_destroy(progs[c]);
  free(progs);
  return st;
}
