/* sim.c: the simulator handle, device memory calls, tile resolution, element
 * conversion, and the scheduler that runs every core to completion or a trap.
 *
 * Scheduling is in rounds. In a round every core takes one step: its scalar
 * unit issues until it blocks, then each queue (DMA 0..3, MXU, VPU) runs ops
 * until its head blocks. During a round a core changes only its own state (and
 * memory its program addresses); what crosses cores is deferred to the end of
 * the round and applied in core order: semaphore signals to other cores, the
 * release of a barrier, the choice of the trap (the lowest-numbered core's).
 * So the cores of a round may run on any number of host threads and the run's
 * results are the same. Rounds repeat until every core is done; a round in
 * which nothing moves while some core is not done is a deadlock.
 *
 * Cores interact only through semaphores, barriers and the memory their
 * programs order with them; this schedule is one legal interleaving, and the
 * timing layer computes when things happen. */
#define _POSIX_C_SOURCE 200809L /* pthread barriers */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/num.h"
#include "seedchip/util.h"
#include "sim_int.h"
#include "sim_scalar.h"

static const char *const trap_msgs[] = {
#define SC_TRAP(name, msg) msg,
#include "seedchip/trap.def"
#undef SC_TRAP
};

const char *sc_trap_cause_str(sc_trap_cause cause) {
  return (unsigned)cause < SC_TRAP_COUNT ? trap_msgs[cause] : "unknown trap";
}

static sc_status seterr(sc_sim *sim, sc_status st, const char *fmt, ...) SC_PRINTF(3, 4);
static sc_status seterr(sc_sim *sim, sc_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sim->errmsg, sizeof sim->errmsg, fmt, ap);
  va_end(ap);
  return st;
}

/* ---- lifetime ---- */

sc_status sc_sim_create(const sc_arch *arch, const sc_sim_options *options, sc_sim **out) {
  *out = NULL;
  if (sc_arch_validate(arch, arch->name, NULL) != SC_STATUS_OK) return SC_STATUS_INVALID;
  sc_system *one = malloc(sizeof *one);
  if (!one) return SC_STATUS_NO_MEMORY;
  sc_system_single(arch, one);
  sc_status st = sc_sim_create_system(one, options, out);
  free(one);
  return st;
}

sc_status sc_sim_create_system(const sc_system *sys, const sc_sim_options *options, sc_sim **out) {
  *out = NULL;
  if (sc_system_validate(sys, sys->name, NULL) != SC_STATUS_OK) return SC_STATUS_INVALID;
  sc_sim *sim = calloc(1, sizeof *sim);
  if (!sim) return SC_STATUS_NO_MEMORY;
  sim->sys = *sys;
  sim->arch = sys->chip;
  sim->chips = sys->chips;
  sim->chip_cores = sys->chip.cores.count;
  sim->n_cores = sim->chips * sim->chip_cores;
  sc_sim_set_watchdog(sim, options ? options->watchdog_insns : 0);
  sc_sim_set_threads(sim, options ? options->threads : 1);
  sc_sim_set_mode(sim, options ? options->mode : SC_SIM_FUNCTIONAL);
  sim->record_ops = options && options->record_ops;
  sim->cores = calloc(sim->n_cores, sizeof *sim->cores);
  if (!sim->cores) {
    free(sim);
    return SC_STATUS_NO_MEMORY;
  }
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    sim->cores[c].id = c;
    sim->cores[c].chip = c / sim->chip_cores;
  }
  sim_mem_init(&sim->mem, sys->chip.memory.capacity_bytes, sim->chips);
  *out = sim;
  return SC_STATUS_OK;
}

static void code_release(sim_core *core);

void sc_sim_destroy(sc_sim *sim) {
  if (!sim) return;
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    sim_core *core = &sim->cores[c];
    free(core->sram);
    free(core->acc);
    code_release(core);
    free(core->mxu.wf);
    free(core->mxu.wi);
    free(core->outbox);
  }
  free(sim->cores);
  sim_profile_free(&sim->profile);
  sim_cost_memo_free(sim->memo);
  sim_mem_free(&sim->mem);
  free(sim);
}

const char *sc_sim_errmsg(const sc_sim *sim) {
  return sim ? sim->errmsg : "";
}
const sc_arch *sc_sim_arch(const sc_sim *sim) {
  return &sim->arch;
}
const sc_system *sc_sim_system(const sc_sim *sim) {
  return &sim->sys;
}
uint32_t sc_sim_chips(const sc_sim *sim) {
  return sim->chips;
}
const sc_trap *sc_sim_trap(const sc_sim *sim) {
  return &sim->trap;
}

enum { DEFAULT_WATCHDOG = 1000000000 };

void sc_sim_set_watchdog(sc_sim *sim, uint64_t insns) {
  sim->watchdog = insns ? insns : DEFAULT_WATCHDOG;
}

void sc_sim_set_threads(sc_sim *sim, unsigned threads) {
  sim->threads = threads ? threads : 1;
}

static const char *const mode_names[] = {"functional", "timed", "timing-only"};

const char *sc_sim_mode_name(sc_sim_mode m) {
  return (unsigned)m < SC_SIM_MODE_COUNT ? mode_names[m] : "?";
}

sc_sim_mode sc_sim_mode_parse(const char *s) {
  for (unsigned m = 0; m < SC_SIM_MODE_COUNT; m++)
    if (strcmp(s, mode_names[m]) == 0) return (sc_sim_mode)m;
  return SC_SIM_MODE_COUNT;
}

void sc_sim_set_mode(sc_sim *sim, sc_sim_mode mode) {
  sim->mode = (unsigned)mode < SC_SIM_MODE_COUNT ? mode : SC_SIM_FUNCTIONAL;
}

sc_sim_mode sc_sim_get_mode(const sc_sim *sim) {
  return sim->mode;
}

void sc_sim_set_record(sc_sim *sim, bool record_ops) {
  sim->record_ops = record_ops;
}

void sc_sim_set_args(sc_sim *sim, const uint64_t *args, unsigned n) {
  sim->n_args = n < SC_SIM_MAX_ARGS ? n : SC_SIM_MAX_ARGS;
  for (unsigned i = 0; i < sim->n_args; i++) sim->args[i] = args[i];
}

void sc_sim_set_host_traffic(sc_sim *sim, uint64_t to_device, uint64_t from_device) {
  sim->host_to_device = to_device;
  sim->host_from_device = from_device;
}

const sc_profile *sc_sim_profile(const sc_sim *sim) {
  return sim->have_profile ? &sim->profile : NULL;
}

uint64_t sc_sim_counter(const sc_sim *sim, uint32_t core, sc_sim_event c) {
  return core < sim->n_cores && c < SC_SIM_N_COUNTERS ? sim->cores[core].counters[c] : 0;
}

uint64_t sc_sim_reg(const sc_sim *sim, uint32_t core, unsigned r) {
  return core < sim->n_cores && r < SC_ISA_N_REGS ? sim->cores[core].x[r] : 0;
}

/* ---- device memory ---- */

sc_status sc_sim_map(sc_sim *sim, uint64_t addr, uint64_t size) {
  return sim_mem_map(&sim->mem, addr, size, sim->errmsg, sizeof sim->errmsg);
}

sc_status sc_sim_map_unbacked(sc_sim *sim, uint64_t addr, uint64_t size) {
  return sim_mem_map_unbacked(&sim->mem, addr, size, sim->errmsg, sizeof sim->errmsg);
}

sc_status sc_sim_alloc(sc_sim *sim, uint64_t size, uint64_t align, uint64_t *addr) {
  return sim_mem_alloc(&sim->mem, size, align, addr, sim->errmsg, sizeof sim->errmsg);
}

sc_status sc_sim_unmap(sc_sim *sim, uint64_t addr) {
  return sim_mem_unmap(&sim->mem, addr, sim->errmsg, sizeof sim->errmsg);
}

sc_status sc_sim_write(sc_sim *sim, uint64_t addr, const void *src, size_t n) {
  uint8_t *p = sim_mem_ptr(&sim->mem, addr, n);
  if (!p)
    return seterr(sim, SC_STATUS_INVALID, "device range [0x%llx, +%zu) is not mapped",
                  (unsigned long long)addr, n);
  if (n) memcpy(p, src, n);
  return SC_STATUS_OK;
}

sc_status sc_sim_read(sc_sim *sim, uint64_t addr, void *dst, size_t n) {
  const uint8_t *p = sim_mem_ptr(&sim->mem, addr, n);
  if (!p)
    return seterr(sim, SC_STATUS_INVALID, "device range [0x%llx, +%zu) is not mapped",
                  (unsigned long long)addr, n);
  if (n) memcpy(dst, p, n);
  return SC_STATUS_OK;
}

/* The core's SRAM or accumulators, allocated (zeroed) on first use. */
static uint8_t *core_space(sc_sim *sim, sim_core *core, bool acc, uint64_t *size) {
  uint8_t **p = acc ? &core->acc : &core->sram;
  *size = acc ? sim->arch.core.acc_sram.size_bytes : sim->arch.core.sram.size_bytes;
  if (!*p && *size <= SIZE_MAX) *p = calloc(1, (size_t)*size);
  return *p;
}

static sc_status sram_range(sc_sim *sim, uint32_t core, uint64_t addr, size_t n, uint8_t **p) {
  if (core >= sim->n_cores)
    return seterr(sim, SC_STATUS_INVALID, "core %u: the %s has %u cores", core, sim_what(sim),
                  sim->n_cores);
  uint64_t size;
  uint8_t *base = core_space(sim, &sim->cores[core], false, &size);
  if (!base) return seterr(sim, SC_STATUS_NO_MEMORY, "out of host memory for core %u SRAM", core);
  if (addr > size || n > size - addr)
    return seterr(sim, SC_STATUS_INVALID, "core %u SRAM range [0x%llx, +%zu) exceeds %llu bytes",
                  core, (unsigned long long)addr, n, (unsigned long long)size);
  *p = base + addr;
  return SC_STATUS_OK;
}

sc_status sc_sim_read_sram(sc_sim *sim, uint32_t core, uint64_t addr, void *dst, size_t n) {
  uint8_t *p = NULL;
  sc_status st = sram_range(sim, core, addr, n, &p);
  if (st == SC_STATUS_OK && n) memcpy(dst, p, n);
  return st;
}

sc_status sc_sim_write_sram(sc_sim *sim, uint32_t core, uint64_t addr, const void *src, size_t n) {
  uint8_t *p = NULL;
  sc_status st = sram_range(sim, core, addr, n, &p);
  if (st == SC_STATUS_OK && n) memcpy(p, src, n);
  return st;
}

/* Drops core's share of its code. */
static void code_release(sim_core *core) {
  sim_code *c = core->cobj;
  core->cobj = NULL;
  core->code = NULL;
  core->n_code = 0;
  if (!c || --c->refs) return;
  free(c->words);
  free(c->dec);
  free(c->dec_state);
  free(c->uop);
  free(c);
}

sc_status sc_sim_set_code(sc_sim *sim, uint32_t core, const uint64_t *words, size_t n_words) {
  if (core >= sim->n_cores)
    return seterr(sim, SC_STATUS_INVALID, "core %u: the %s has %u cores", core, sim_what(sim),
                  sim->n_cores);
  sim_core *k = &sim->cores[core];
  code_release(k);
  if (!n_words) return SC_STATUS_OK;
  size_t bytes;
  if (!sc_mul_size(n_words, sizeof *words, &bytes))
    return seterr(sim, SC_STATUS_NO_MEMORY, "out of host memory for core %u code", core);
  sim_code *c = NULL;
  for (uint32_t o = 0; o < sim->n_cores && !c; o++) { /* another core's, if the same */
    sim_code *oc = sim->cores[o].cobj;
    if (oc && oc->n == n_words && memcmp(oc->words, words, bytes) == 0) c = oc;
  }
  if (!c) {
    c = calloc(1, sizeof *c);
    if (!c || !(c->words = malloc(bytes))) {
      free(c);
      return seterr(sim, SC_STATUS_NO_MEMORY, "out of host memory for core %u code", core);
    }
    memcpy(c->words, words, bytes);
    c->n = n_words;
  }
  c->refs++;
  k->cobj = c;
  k->code = c->words;
  k->n_code = n_words;
  return SC_STATUS_OK;
}

/* ---- traps ---- */

bool sim_trap(sc_sim *sim, const sim_core *core, const sim_op *op, sc_trap_cause cause,
              const char *fmt, ...) {
  sc_trap *t = &sim->cores[core->id].trap; /* only this core's thread writes it */
  if (t->cause != SC_TRAP_NONE) return false;
  t->cause = cause;
  t->core = core->id;
  t->pc = op ? op->pc : core->pc;
  t->word = t->pc < core->n_code ? core->code[t->pc] : 0;
  const sc_isa_info *info = op ? sc_isa_info_of(op->in.opcode) : NULL;
  t->engine = info ? info->engine : SC_ISA_ENGINE_SCALAR;
  if (op)
    sc_isa_disasm(&op->in, t->insn, sizeof t->insn);
  else if (t->pc < core->n_code)
    sc_isa_disasm_word(t->word, t->insn, sizeof t->insn);
  else
    snprintf(t->insn, sizeof t->insn, "(none)");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->detail, sizeof t->detail, fmt, ap);
  va_end(ap);
  return false;
}

bool sim_post_signal(sc_sim *sim, sim_core *core, const sim_op *op, uint32_t target, uint32_t sem,
                     uint64_t count) {
  if (target == core->id) {
    core->sem[sem] += count;
    return true;
  }
  if (core->n_out == core->cap_out) {
    size_t cap = core->cap_out ? core->cap_out * 2 : 16;
    sim_signal *out = realloc(core->outbox, cap * sizeof *out);
    if (!out) return sim_trap(sim, core, op, SC_TRAP_BAD_OPERAND, "host out of memory");
    core->outbox = out;
    core->cap_out = cap;
  }
  core->outbox[core->n_out++] = (sim_signal){target, sem, count};
  return true;
}

/* ---- tiles ---- */

static const char *space_name(unsigned space) {
  const char *s = sc_isa_enum_text(SC_ISA_ENUM_SPACE, space);
  return s ? s : "?";
}

bool sim_view_resolve(sc_sim *sim, sim_core *core, const sim_op *op, const char *what,
                      unsigned space, uint64_t remote_core, uint64_t addr, sc_dtype dtype,
                      uint64_t rows, uint64_t cols, uint64_t stride, sim_view *v) {
  *v = (sim_view){NULL, dtype, rows, cols, stride};
  unsigned bits = sc_dtype_bits(dtype);
  if (bits == 0) return sim_trap(sim, core, op, SC_TRAP_BAD_DTYPE, "%s: dtype %d", what, dtype);
  uint64_t elem = bits >= 8 ? bits / 8 : 1;
  if (addr % elem || (rows > 1 && stride % elem))
    return sim_trap(sim, core, op, SC_TRAP_MISALIGNED,
                    "%s: address 0x%llx or row stride %llu is not a multiple of %llu (%s)", what,
                    (unsigned long long)addr, (unsigned long long)stride, (unsigned long long)elem,
                    sc_dtype_name(dtype));
  if (bits == 4 && rows > 1 && cols % 2)
    return sim_trap(sim, core, op, SC_TRAP_MISALIGNED,
                    "%s: int4 rows of %llu elements do not end on a byte", what,
                    (unsigned long long)cols);
  /* Bytes spanned: (rows-1)*stride + bytes of one row. */
  uint64_t row_bytes = bits == 4 ? (cols + 1) / 2 : cols * elem, span = 0;
  if (rows && cols) {
    if (bits != 4 && cols > UINT64_MAX / elem) goto overflow;
    if (rows > 1 && stride && rows - 1 > (UINT64_MAX - row_bytes) / stride) goto overflow;
    span = (rows - 1) * stride + row_bytes;
  }
  uint8_t *base = NULL;
  uint64_t size = 0;
  switch (space) {
  case SC_ISA_SPACE_HBM:
    if (!span) return true;
    base = sim_mem_ptr(&sim->mem, addr, span);
    if (!base)
      return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS,
                      "%s: hbm [0x%llx, +%llu) is not inside one mapped buffer", what,
                      (unsigned long long)addr, (unsigned long long)span);
    v->base = base;
    return true;
  case SC_ISA_SPACE_SRAM:
  case SC_ISA_SPACE_ACC:
  case SC_ISA_SPACE_REMOTE: {
    sim_core *owner = core;
    if (space == SC_ISA_SPACE_REMOTE) {
      if (remote_core >= sim->n_cores)
        return sim_trap(sim, core, op, SC_TRAP_BAD_CORE, "%s: core %llu, the %s has %u", what,
                        (unsigned long long)remote_core, sim_what(sim), sim->n_cores);
      owner = &sim->cores[remote_core];
    }
    if (space == SC_ISA_SPACE_ACC && elem != 4)
      return sim_trap(sim, core, op, SC_TRAP_BAD_DTYPE,
                      "%s: accumulators hold fp32 or int32, not %s", what, sc_dtype_name(dtype));
    base = core_space(sim, owner, space == SC_ISA_SPACE_ACC, &size);
    if (!base)
      return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS, "%s: host out of memory for %s", what,
                      space_name(space));
    if (!span) return true;
    if (addr > size || span > size - addr)
      return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS,
                      "%s: %s [0x%llx, +%llu) exceeds its %llu bytes", what, space_name(space),
                      (unsigned long long)addr, (unsigned long long)span, (unsigned long long)size);
    v->base = base + addr;
    return true;
  }
  default:
    return sim_trap(sim, core, op, SC_TRAP_ILLEGAL_INSTRUCTION, "%s: address space %u", what,
                    space);
  }
overflow:
  return sim_trap(sim, core, op, SC_TRAP_OUT_OF_BOUNDS,
                  "%s: a %llu x %llu tile with row stride %llu overflows the address space", what,
                  (unsigned long long)rows, (unsigned long long)cols, (unsigned long long)stride);
}

static uint8_t *elem_ptr(const sim_view *v, uint64_t i, uint64_t j) {
  unsigned bits = sc_dtype_bits(v->dtype);
  return v->base + i * v->stride + (bits == 4 ? j / 2 : j * (bits / 8));
}

static uint16_t rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr16(uint8_t *p, uint16_t x) {
  p[0] = (uint8_t)x;
  p[1] = (uint8_t)(x >> 8);
}
static void wr32(uint8_t *p, uint32_t x) {
  for (int b = 0; b < 4; b++) p[b] = (uint8_t)(x >> (8 * b));
}

int32_t sim_load_i32(const sim_view *v, uint64_t i, uint64_t j) {
  const uint8_t *p = elem_ptr(v, i, j);
  switch (v->dtype) {
  case SC_DTYPE_INT8:
    return (int8_t)p[0];
  case SC_DTYPE_INT4:
    return sc_int4_unpack(p[0], (unsigned)(j & 1));
  case SC_DTYPE_INT32:
    return (int32_t)rd32(p);
  default:
    return sc_f32_to_int32(sim_load_f32(v, i, j));
  }
}

float sim_load_f32(const sim_view *v, uint64_t i, uint64_t j) {
  const uint8_t *p = elem_ptr(v, i, j);
  switch (v->dtype) {
  case SC_DTYPE_FP32: {
    uint32_t b = rd32(p);
    float f;
    memcpy(&f, &b, 4);
    return f;
  }
  case SC_DTYPE_BF16:
    return sc_bf16_to_f32(rd16(p));
  case SC_DTYPE_FP16:
    return sc_fp16_to_f32(rd16(p));
  case SC_DTYPE_FP8_E4M3:
    return sc_fp8e4m3_to_f32(p[0]);
  case SC_DTYPE_FP8_E5M2:
    return sc_fp8e5m2_to_f32(p[0]);
  default:
    return (float)sim_load_i32(v, i, j);
  }
}

void sim_store_i32(const sim_view *v, uint64_t i, uint64_t j, int32_t x) {
  uint8_t *p = elem_ptr(v, i, j);
  switch (v->dtype) {
  case SC_DTYPE_INT8:
    p[0] = (uint8_t)(x > 127 ? 127 : x < -128 ? -128 : x);
    break;
  case SC_DTYPE_INT4: {
    int8_t q = (int8_t)(x > 7 ? 7 : x < -8 ? -8 : x);
    p[0] =
        j & 1 ? sc_int4_pack(sc_int4_unpack(p[0], 0), q) : sc_int4_pack(q, sc_int4_unpack(p[0], 1));
    break;
  }
  case SC_DTYPE_INT32:
    wr32(p, (uint32_t)x);
    break;
  default:
    sim_store_f32(v, i, j, (float)x);
    break;
  }
}

void sim_store_f32(const sim_view *v, uint64_t i, uint64_t j, float x) {
  uint8_t *p = elem_ptr(v, i, j);
  switch (v->dtype) {
  case SC_DTYPE_FP32: {
    uint32_t b;
    memcpy(&b, &x, 4);
    wr32(p, b);
    break;
  }
  case SC_DTYPE_BF16:
    wr16(p, sc_f32_to_bf16(x));
    break;
  case SC_DTYPE_FP16:
    wr16(p, sc_f32_to_fp16(x));
    break;
  case SC_DTYPE_FP8_E4M3:
    p[0] = sc_f32_to_fp8e4m3(x, SC_FP8_SATURATE);
    break;
  case SC_DTYPE_FP8_E5M2:
    p[0] = sc_f32_to_fp8e5m2(x, SC_FP8_SATURATE);
    break;
  case SC_DTYPE_INT8:
    p[0] = (uint8_t)sc_f32_to_int8(x);
    break;
  case SC_DTYPE_INT4:
    sim_store_i32(v, i, j, sc_f32_to_int4(x));
    break;
  case SC_DTYPE_INT32:
    wr32(p, (uint32_t)sc_f32_to_int32(x));
    break;
  default:
    break;
  }
}

/* ---- the scheduler ---- */

static const sim_exec_fn exec_table[SC_ISA_N_OPCODES] = {
#define SC_INSN(name, opcode, mnemonic, engine, format, group, flags, semantics)                   \
  [opcode] = sim_exec_##name,
#include "seedchip/isa.def"
};

/* Runs op's wait (if any): false when the semaphore is still 0. */
static bool try_wait(sim_core *core, const sc_insn *in) {
  if (!in->has_wait) return true;
  if (core->sem[in->wait] == 0) return false;
  core->sem[in->wait]--;
  return true;
}

static void do_signal(sim_core *core, const sc_insn *in) {
  if (in->has_signal) core->sem[in->signal]++;
}

bool sim_watchdog(sc_sim *sim, sim_core *core, const sim_op *op) {
  if (++core->executed > sim->watchdog)
    return sim_trap(sim, core, op, SC_TRAP_WATCHDOG,
                    "core %u executed more than %llu instructions in one run", core->id,
                    (unsigned long long)sim->watchdog);
  return true;
}

bool sim_exec(sc_sim *sim, sim_core *core, const sim_op *op) {
  return sim_watchdog(sim, core, op) && exec_table[op->in.opcode](sim, core, op);
}

/* Executes op on core and applies its signal; false when it trapped. */
static bool execute(sc_sim *sim, sim_core *core, const sim_op *op) {
  if (!sim_exec(sim, core, op)) return false;
  do_signal(core, &op->in);
  return true;
}

/* What sim_capture reads for each opcode, from its format (built once). */
typedef struct cap_plan {
  uint8_t regs;     /* bit s: slot s (xd, xs1, xs2, xc) is a register operand */
  uint8_t grp_slot; /* the slot naming the group's first register */
  uint8_t grp_len;  /* registers in the group (0: none) */
} cap_plan;

static cap_plan cap_plans[256];
static pthread_once_t cap_once = PTHREAD_ONCE_INIT;

static void cap_build(void) {
  for (unsigned opc = 0; opc < 256; opc++) {
    const sc_isa_info *info = sc_isa_info_of((uint8_t)opc);
    if (!info) continue;
    const sc_isa_format_info *fmt = sc_isa_format_of(info->format);
    cap_plan *p = &cap_plans[opc];
    for (unsigned f = 0; f < fmt->n_fields; f++) {
      const sc_isa_field *fd = &fmt->fields[f];
      if (fd->kind == SC_ISA_KIND_GRP) {
        p->grp_slot = (uint8_t)fd->slot;
        p->grp_len = (uint8_t)sc_isa_group_len(info->group);
      } else if (fd->kind == SC_ISA_KIND_REG &&
                 (fd->slot == SC_ISA_SLOT_xd || fd->slot == SC_ISA_SLOT_xs1 ||
                  fd->slot == SC_ISA_SLOT_xs2 || fd->slot == SC_ISA_SLOT_xc)) {
        p->regs |= (uint8_t)(1u << fd->slot);
      }
    }
  }
}

void sim_capture(const sim_core *core, const sc_insn *in, uint32_t pc, sim_op *op) {
  pthread_once(&cap_once, cap_build);
  const cap_plan *p = &cap_plans[in->opcode];
  /* Field by field: a compound literal would zero the whole op first (a
   * slow string store, on the issue path of every engine op). */
  op->in = *in;
  op->pc = pc;
  op->t_issue = 0;
  op->xd = p->regs & (1u << SC_ISA_SLOT_xd) ? core->x[in->slot[SC_ISA_SLOT_xd]] : 0;
  op->xs1 = p->regs & (1u << SC_ISA_SLOT_xs1) ? core->x[in->slot[SC_ISA_SLOT_xs1]] : 0;
  op->xs2 = p->regs & (1u << SC_ISA_SLOT_xs2) ? core->x[in->slot[SC_ISA_SLOT_xs2]] : 0;
  op->xc = p->regs & (1u << SC_ISA_SLOT_xc) ? core->x[in->slot[SC_ISA_SLOT_xc]] : 0;
  for (unsigned k = 0; k < SIM_MAX_GROUP; k++)
    op->g[k] = k < p->grp_len ? core->x[in->slot[p->grp_slot] + (int64_t)k] : 0;
}

typedef enum step { STEP_BLOCKED, STEP_MOVED, STEP_TRAPPED } step;

/* The scalar unit issues until it blocks, halts or traps. */
static step issue(sc_sim *sim, sim_core *core) {
  step result = STEP_BLOCKED;
  while (core->issuing && !core->at_barrier) {
    if (core->pc >= core->n_code)
      return sim_trap(sim, core, NULL, SC_TRAP_PC_OUT_OF_RANGE,
                      "pc %u is past the end of the core's %zu instructions (missing halt?)",
                      core->pc, core->n_code),
             STEP_TRAPPED;
    if (core->cobj->dec_state[core->pc] != SIM_DEC_OK) {
      char why[160];
      sc_insn bad;
      if (sc_isa_decode(core->code[core->pc], &bad, why, sizeof why) == SC_STATUS_OK) why[0] = 0;
      return sim_trap(sim, core, NULL, SC_TRAP_ILLEGAL_INSTRUCTION, "%s", why), STEP_TRAPPED;
    }
    const sc_insn *ip = &core->cobj->dec[core->pc];
    unsigned engine = sim_engine_of[ip->opcode];
    bool at_scalar = engine == SC_ISA_ENGINE_SCALAR || engine == SC_ISA_ENGINE_SYNC;
    const sim_uop *u = &core->cobj->uop[core->pc]; /* a register or branch instruction */
    if (u->opcode && core->executed < sim->watchdog) {
      uint64_t n = sim_uop_run(core, core->cobj->uop, sim->watchdog - core->executed, NULL);
      if (n) {
        core->executed += n;
        sim_count(core, SC_ISA_EVENT_ISSUED, n);
        result = STEP_MOVED;
        continue;
      }
    }
    if (!at_scalar) {
      unsigned q = sim_queue_of(engine, ip);
      if (q < SIM_MAX_DMA && q >= sim->arch.core.dma.engines)
        return sim_trap(sim, core, NULL, SC_TRAP_ILLEGAL_INSTRUCTION,
                        "DMA engine q%u: the core has %u", q, sim->arch.core.dma.engines),
               STEP_TRAPPED;
      sim_queue *queue = &core->q[q];
      if (queue->count == SIM_QUEUE_DEPTH) return result;
      sim_capture(core, ip, core->pc, &queue->ops[(queue->head + queue->count) % SIM_QUEUE_DEPTH]);
      queue->count++;
      core->pc++;
      sim_count(core, SC_ISA_EVENT_ISSUED, 1);
      result = STEP_MOVED;
      continue;
    }
    /* Scalar and sync: execute now; a blocking one leaves the pc unchanged. */
    if (ip->has_wait && core->sem[ip->wait] == 0) return result;
    sim_op op;
    sim_capture(core, ip, core->pc, &op);
    uint32_t pc_before = core->pc;
    uint64_t wait_sem = ip->has_wait ? core->sem[ip->wait] : 0;
    if (ip->has_wait) core->sem[ip->wait]--;
    if (!execute(sim, core, &op)) return STEP_TRAPPED;
    if (core->at_barrier) { /* arrived: the wait stays taken, the signal waits for release */
      if (ip->has_signal) core->sem[ip->signal]--;
      return STEP_MOVED;
    }
    if (core->pc == pc_before && (sc_isa_info_of(ip->opcode)->flags & SC_ISA_F_BLOCK) &&
        core->issuing) {
      /* It blocked: undo the wait and the count; try again next round. */
      if (ip->has_wait) core->sem[ip->wait] = wait_sem;
      if (ip->has_signal) core->sem[ip->signal]--;
      core->executed--;
      return result;
    }
    sim_count(core, SC_ISA_EVENT_ISSUED, 1);
    result = STEP_MOVED;
  }
  return result;
}

/* Runs queue q of core until its head blocks or it empties. */
static step drain(sc_sim *sim, sim_core *core, unsigned q) {
  sim_queue *queue = &core->q[q];
  step result = STEP_BLOCKED;
  while (queue->count) {
    const sim_op *op = &queue->ops[queue->head];
    if (!try_wait(core, &op->in)) return result;
    if (!execute(sim, core, op)) return STEP_TRAPPED;
    queue->head = (queue->head + 1) % SIM_QUEUE_DEPTH;
    queue->count--;
    result = STEP_MOVED;
  }
  return result;
}

bool sim_core_done(const sim_core *core) {
  if (core->issuing) return false;
  for (unsigned q = 0; q < SIM_N_QUEUES; q++)
    if (core->q[q].count) return false;
  return true;
}

/* Releases the barrier of each chip whose cores still issuing all wait at one
 * (a barrier spans one chip). */
static bool release_barrier(sc_sim *sim) {
  bool released = false;
  for (uint32_t chip = 0; chip < sim->chips; chip++) {
    uint32_t lo = chip * sim->chip_cores, hi = lo + sim->chip_cores;
    bool any = false, all = true;
    for (uint32_t c = lo; c < hi && all; c++) {
      const sim_core *core = &sim->cores[c];
      if (core->issuing && !core->at_barrier) all = false;
      any |= core->at_barrier;
    }
    if (!any || !all) continue;
    released = true;
    for (uint32_t c = lo; c < hi; c++) {
      sim_core *core = &sim->cores[c];
      if (!core->at_barrier) continue;
      core->at_barrier = false;
      sc_insn in; /* decoded fine when the core arrived */
      if (sc_isa_decode(core->code[core->pc], &in, NULL, 0) == SC_STATUS_OK) do_signal(core, &in);
      core->pc++;
      sim_count(core, SC_ISA_EVENT_ISSUED, 1);
    }
  }
  return released;
}

bool sim_reset(sc_sim *sim) {
  sim->trap = (sc_trap){0};
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    sim_core *core = &sim->cores[c];
    memset(core->x, 0, sizeof core->x);
    for (unsigned i = 0; i < sim->n_args; i++) core->x[1 + i] = sim->args[i];
    memset(core->sem, 0, sizeof core->sem);
    for (unsigned q = 0; q < SIM_N_QUEUES; q++) /* empty (ops past count are never read) */
      core->q[q].head = core->q[q].count = 0;
    memset(core->counters, 0, sizeof core->counters);
    core->pc = 0;
    core->at_barrier = false;
    core->issuing = core->n_code > 0;
    core->mxu.loaded = false;
    core->trap = (sc_trap){0};
    core->executed = 0;
    core->n_out = 0;
    uint64_t size;
    if (!core_space(sim, core, false, &size) || !core_space(sim, core, true, &size)) return false;
  }
  return true;
}

void sim_report_deadlock(sc_sim *sim) {
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    sim_core *core = &sim->cores[c];
    if (sim_core_done(core)) continue;
    for (unsigned q = 0; q < SIM_N_QUEUES; q++) {
      if (!core->q[q].count) continue;
      const sim_op *op = &core->q[q].ops[core->q[q].head];
      sim_trap(sim, core, op, SC_TRAP_DEADLOCK,
               "core %u engine queue %u waits on s%u (0); no engine or core can signal it", c, q,
               (unsigned)op->in.wait);
      return;
    }
    sim_trap(sim, core, NULL, SC_TRAP_DEADLOCK,
             "core %u's scalar unit is blocked and no engine or core can release it", c);
    return;
  }
}

/* One core's step of a round. */
static void step_core(sc_sim *sim, sim_core *core) {
  core->moved = false;
  if (core->trap.cause != SC_TRAP_NONE) return;
  step s = issue(sim, core);
  core->moved |= s == STEP_MOVED;
  for (unsigned q = 0; q < SIM_N_QUEUES && s != STEP_TRAPPED; q++) {
    s = drain(sim, core, q);
    core->moved |= s == STEP_MOVED;
  }
}

/* The host threads of a run: worker t steps cores t, t + n, t + 2n, ... of
 * every round; the calling thread is worker 0 and does the serial part between
 * rounds. Workers wait for `ready` before touching the barriers, so the pool is
 * sized to the threads that actually started (the results do not depend on it). */
typedef struct pool {
  sc_sim *sim;
  unsigned n;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool ready, stop;
  pthread_barrier_t start, end;
} pool;

typedef struct worker {
  pool *pool;
  unsigned id;
} worker;

static void step_share(pool *p, unsigned id) {
  for (uint32_t c = id; c < p->sim->n_cores; c += p->n) step_core(p->sim, &p->sim->cores[c]);
}

static void *worker_main(void *arg) {
  worker *w = arg;
  pool *p = w->pool;
  pthread_mutex_lock(&p->lock);
  while (!p->ready) pthread_cond_wait(&p->cond, &p->lock);
  bool stop = p->stop; /* the barriers could not be made */
  pthread_mutex_unlock(&p->lock);
  if (stop) return NULL;
  for (;;) {
    pthread_barrier_wait(&p->start); /* stop is read only after this barrier */
    if (p->stop) return NULL;
    step_share(p, w->id);
    pthread_barrier_wait(&p->end);
  }
}

/* The serial end of a round: the trap, cross-core signals, barriers, and
 * whether the run is over. Returns OK to go on, DONE, or TRAP. */
enum { ROUND_GO_ON, ROUND_DONE, ROUND_TRAP };
static int end_round(sc_sim *sim) {
  bool moved = false, all_done = true;
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    sim_core *core = &sim->cores[c];
    if (core->trap.cause != SC_TRAP_NONE) {
      sim->trap = core->trap;
      return ROUND_TRAP;
    }
    moved |= core->moved;
  }
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    sim_core *core = &sim->cores[c];
    for (size_t i = 0; i < core->n_out; i++)
      sim->cores[core->outbox[i].core].sem[core->outbox[i].sem] += core->outbox[i].count;
    core->n_out = 0;
  }
  moved |= release_barrier(sim);
  for (uint32_t c = 0; c < sim->n_cores; c++) all_done &= sim_core_done(&sim->cores[c]);
  if (all_done) return ROUND_DONE;
  if (!moved) {
    sim_report_deadlock(sim);
    for (uint32_t c = 0; c < sim->n_cores; c++)
      if (sim->cores[c].trap.cause != SC_TRAP_NONE) {
        sim->trap = sim->cores[c].trap;
        break;
      }
    return ROUND_TRAP;
  }
  return ROUND_GO_ON;
}

/* Runs rounds on the calling thread alone. */
static int run_serial(sc_sim *sim) {
  int r = ROUND_GO_ON;
  while (r == ROUND_GO_ON) {
    for (uint32_t c = 0; c < sim->n_cores; c++) step_core(sim, &sim->cores[c]);
    r = end_round(sim);
  }
  return r;
}

/* Runs rounds on up to `want` threads; falls back to fewer (or to the calling
 * thread alone) when the host cannot start them all. */
static int run_threaded(sc_sim *sim, unsigned want) {
  pool p = {.sim = sim};
  pthread_t *threads = calloc(want, sizeof *threads);
  worker *workers = calloc(want, sizeof *workers);
  if (!threads || !workers || pthread_mutex_init(&p.lock, NULL) != 0) {
    free(threads);
    free(workers);
    return run_serial(sim);
  }
  pthread_cond_init(&p.cond, NULL);
  unsigned started = 0;
  for (unsigned t = 1; t < want; t++) {
    workers[t] = (worker){&p, t};
    if (pthread_create(&threads[t], NULL, worker_main, &workers[t]) != 0) break;
    started++;
  }
  p.n = started + 1;
  bool barriers = pthread_barrier_init(&p.start, NULL, p.n) == 0;
  if (barriers && pthread_barrier_init(&p.end, NULL, p.n) != 0) {
    pthread_barrier_destroy(&p.start);
    barriers = false;
  }
  pthread_mutex_lock(&p.lock);
  p.stop = !barriers;
  p.ready = true;
  pthread_cond_broadcast(&p.cond);
  pthread_mutex_unlock(&p.lock);
  int r;
  if (barriers) {
    r = ROUND_GO_ON;
    while (r == ROUND_GO_ON) {
      pthread_barrier_wait(&p.start);
      step_share(&p, 0);
      pthread_barrier_wait(&p.end);
      r = end_round(sim);
    }
    p.stop = true; /* published to the workers by the barrier */
    pthread_barrier_wait(&p.start);
  }
  for (unsigned t = 1; t <= started; t++) pthread_join(threads[t], NULL);
  if (barriers) {
    pthread_barrier_destroy(&p.start);
    pthread_barrier_destroy(&p.end);
  } else {
    r = run_serial(sim);
  }
  pthread_cond_destroy(&p.cond);
  pthread_mutex_destroy(&p.lock);
  free(threads);
  free(workers);
  return r;
}

/* Decodes every core's code once (cores that share code share it) before
 * any core runs: the run's threads then only read it. */
static bool predecode(sc_sim *sim) {
  for (uint32_t c = 0; c < sim->n_cores; c++) {
    sim_code *code = sim->cores[c].cobj;
    if (!code || code->decoded) continue;
    if (!code->dec) code->dec = malloc(code->n * sizeof *code->dec);
    if (!code->dec_state) code->dec_state = malloc(code->n);
    /* one more: a zeroed entry past the end stops sim_uop_run */
    if (!code->uop) code->uop = malloc((code->n + 1) * sizeof *code->uop);
    if (!code->dec || !code->dec_state || !code->uop) return false;
    for (size_t i = 0; i < code->n; i++) {
      const sc_insn *in = &code->dec[i];
      code->dec_state[i] = sc_isa_decode(code->words[i], &code->dec[i], NULL, 0) == SC_STATUS_OK
                               ? SIM_DEC_OK
                               : SIM_DEC_BAD;
      if (code->dec_state[i] != SIM_DEC_OK || in->has_wait || in->has_signal ||
          !sim_uop_make(in, &code->uop[i]))
        code->uop[i] = (sim_uop){0};
    }
    code->uop[code->n] = (sim_uop){0};
    code->decoded = true;
  }
  return true;
}

sc_status sc_sim_run(sc_sim *sim) {
  sim->have_profile = false;
  if (!sim_reset(sim)) return seterr(sim, SC_STATUS_NO_MEMORY, "out of host memory for core SRAM");
  if (!predecode(sim)) return seterr(sim, SC_STATUS_NO_MEMORY, "out of host memory for the code");
  int r;
  if (sim->mode == SC_SIM_FUNCTIONAL) {
    unsigned n = sim->threads < sim->n_cores ? sim->threads : sim->n_cores;
    r = n > 1 ? run_threaded(sim, n) : run_serial(sim);
  } else {
    int t = sim_run_timed(sim);
    if (t < 0) return seterr(sim, SC_STATUS_NO_MEMORY, "out of host memory for the timing model");
    r = t == 0 ? ROUND_DONE : ROUND_TRAP;
  }
  sim->host_to_device = sim->host_from_device = 0;
  if (r == ROUND_DONE) return SC_STATUS_OK;
  return seterr(sim, SC_STATUS_TRAP, "core %u pc %u (%s): %s: %s", sim->trap.core, sim->trap.pc,
                sim->trap.insn, sc_trap_cause_str(sim->trap.cause), sim->trap.detail);
}
