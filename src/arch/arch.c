/* arch.c: the architecture description: JSON parsing, validation, canonical
 * output, fingerprint, diff and the built-in presets.
 *
 * One table, `fields`, lists every JSON key path in canonical order with its C
 * member, kind, range and whether it may be absent. Parsing, validation, output
 * and diff all walk this table, so a new key is one row (plus its struct member
 * and its docs/ARCH.md entry). Rows are in pre-order: an object row comes before
 * its children, and a row's parent is the row whose path is its path up to the
 * last '.'.
 *
 * Parsing never trusts the input: every value is type- and range-checked before
 * it is stored, every problem is collected (up to ARCH_MAX_ERRORS) as
 * "source: key.path: problem", and no state outlives the call. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arch_int.h"
#include "seedchip/arch.h"

/* The largest integer a JSON number (an IEEE double in cJSON) holds exactly. */
#define MAX_EXACT_INT 9007199254740992.0

typedef enum kind {
  K_OBJ,     /* a JSON object holding the rows below it */
  K_FORMAT,  /* the constant "seedchip-arch" */
  K_VERSION, /* the constant 1 */
  K_STR,     /* char[size] */
  K_U32,     /* uint32_t */
  K_U64,     /* uint64_t */
  K_F64,     /* double */
  K_ENUM,    /* an int-sized enum spelled by names[] */
  K_MESH,    /* [rows, cols]: two uint32_t at off and off2 */
  K_DMAP     /* {"dtype": number}: double[SC_DTYPE_COUNT], 0 = absent */
} kind;

enum {
  F_OPT = 1u,         /* may be absent (objects, strings: "" when absent) */
  F_ZERO_ABSENT = 2u, /* numeric: absent is stored as 0, so 0 itself is not allowed */
  F_MIN_EXCL = 4u     /* value must be greater than min, not equal */
};

static const char *const dataflow_names[] = {"weight-stationary", "output-stationary", NULL};
static const char *const topology_names[] = {"mesh", NULL};

typedef struct field {
  const char *path;
  kind kind;
  unsigned flags;
  size_t off, off2, size;
  double min, max;
  const char *const *names;
} field;

#define OFF(m) offsetof(sc_arch, m)
#define OBJ(p, fl)                                                                                 \
  { p, K_OBJ, fl, 0, 0, 0, 0, 0, NULL }
#define STR(p, m, fl)                                                                              \
  { p, K_STR, fl, OFF(m), 0, sizeof(((sc_arch *)0)->m), 0, 0, NULL }
#define U32(p, m, lo, hi)                                                                          \
  { p, K_U32, 0, OFF(m), 0, 0, lo, hi, NULL }
#define U64(p, m, lo, hi)                                                                          \
  { p, K_U64, 0, OFF(m), 0, 0, lo, hi, NULL }
#define F64(p, m, fl, lo, hi)                                                                      \
  { p, K_F64, fl, OFF(m), 0, 0, lo, hi, NULL }
#define POS(p, m, hi) F64(p, m, F_MIN_EXCL, 0, hi) /* (0, hi] */
#define NNEG(p, m, hi) F64(p, m, 0, 0, hi)         /* [0, hi] */
#define ENUM(p, m, n)                                                                              \
  { p, K_ENUM, 0, OFF(m), 0, 0, 0, 0, n }
#define DMAP(p, m, hi)                                                                             \
  { p, K_DMAP, F_MIN_EXCL, OFF(m), 0, 0, 0, hi, NULL }

/* Ranges are generous sanity bounds, wide enough for any chip worth exploring,
 * tight enough that derived products stay far from overflow. */
static const field fields[] = {
    {"format", K_FORMAT, 0, 0, 0, 0, 0, 0, NULL},
    {"version", K_VERSION, 0, 0, 0, 0, 0, 0, NULL},
    STR("name", name, 0),
    STR("description", description, F_OPT),
    POS("clock_ghz", clock_ghz, 100),
    OBJ("cores", 0),
    U32("cores.count", cores.count, 1, 65536),
    {"cores.mesh", K_MESH, 0, OFF(cores.mesh_rows), OFF(cores.mesh_cols), 0, 1, 65536, NULL},
    OBJ("core", 0),
    OBJ("core.mxu", 0),
    U32("core.mxu.rows", core.mxu.rows, 1, 65536),
    U32("core.mxu.cols", core.mxu.cols, 1, 65536),
    ENUM("core.mxu.dataflow", core.mxu.dataflow, dataflow_names),
    DMAP("core.mxu.macs_per_pe_cycle", core.mxu.macs_per_pe_cycle, 1024),
    OBJ("core.vpu", 0),
    U32("core.vpu.lanes", core.vpu.lanes, 1, 1048576),
    POS("core.vpu.alu_ops_per_lane_cycle", core.vpu.alu_ops_per_lane_cycle, 1024),
    NNEG("core.vpu.sfu_elems_per_cycle", core.vpu.sfu_elems_per_cycle, 1048576),
    OBJ("core.scalar", 0),
    U32("core.scalar.registers", core.scalar.registers, 1, 65536),
    OBJ("core.sram", 0),
    U64("core.sram.size_bytes", core.sram.size_bytes, 1, 1099511627776.0),
    U32("core.sram.banks", core.sram.banks, 1, 65536),
    U32("core.sram.ports_per_bank", core.sram.ports_per_bank, 1, 64),
    U32("core.sram.bank_width_bytes", core.sram.bank_width_bytes, 1, 65536),
    OBJ("core.acc_sram", 0),
    U64("core.acc_sram.size_bytes", core.acc_sram.size_bytes, 1, 1099511627776.0),
    U32("core.acc_sram.banks", core.acc_sram.banks, 1, 65536),
    OBJ("core.dma", 0),
    U32("core.dma.engines", core.dma.engines, 1, 1024),
    U32("core.dma.descriptor_overhead_cycles", core.dma.descriptor_overhead_cycles, 0, 1000000),
    U64("core.dma.max_burst_bytes", core.dma.max_burst_bytes, 1, 1073741824.0),
    OBJ("memory", 0),
    STR("memory.technology", memory.technology, 0),
    U32("memory.stacks", memory.stacks, 0, 1024),
    U32("memory.channels", memory.channels, 1, 65536),
    POS("memory.channel_peak_gb_s", memory.channel_peak_gb_s, 1e6),
    U64("memory.capacity_bytes", memory.capacity_bytes, 1, MAX_EXACT_INT),
    POS("memory.effective_gb_s", memory.effective_gb_s, 1e9),
    NNEG("memory.latency_ns", memory.latency_ns, 1e9),
    U64("memory.interleave_bytes", memory.interleave_bytes, 1, 1073741824.0),
    U32("memory.access_bytes", memory.access_bytes, 1, 65536),
    OBJ("noc", 0),
    ENUM("noc.topology", noc.topology, topology_names),
    U32("noc.link_width_bytes", noc.link_width_bytes, 1, 65536),
    U32("noc.hop_latency_cycles", noc.hop_latency_cycles, 0, 1000000),
    OBJ("chip_links", 0),
    U32("chip_links.count", chip_links.count, 0, 1024),
    NNEG("chip_links.gb_s", chip_links.gb_s, 1e6),
    NNEG("chip_links.latency_ns", chip_links.latency_ns, 1e9),
    OBJ("host_link", 0),
    STR("host_link.name", host_link.name, 0),
    POS("host_link.gb_s", host_link.gb_s, 1e6),
    NNEG("host_link.latency_ns", host_link.latency_ns, 1e9),
    OBJ("energy", 0),
    DMAP("energy.mac_pj", energy.mac_pj, 1e6),
    NNEG("energy.vpu_op_pj", energy.vpu_op_pj, 1e6),
    NNEG("energy.sfu_elem_pj", energy.sfu_elem_pj, 1e6),
    NNEG("energy.sram_pj_per_byte", energy.sram_pj_per_byte, 1e6),
    NNEG("energy.acc_sram_pj_per_byte", energy.acc_sram_pj_per_byte, 1e6),
    NNEG("energy.memory_pj_per_byte", energy.memory_pj_per_byte, 1e6),
    NNEG("energy.noc_pj_per_byte_hop", energy.noc_pj_per_byte_hop, 1e6),
    NNEG("energy.chip_link_pj_per_byte", energy.chip_link_pj_per_byte, 1e6),
    NNEG("energy.host_link_pj_per_byte", energy.host_link_pj_per_byte, 1e6),
    NNEG("energy.static_w", energy.static_w, 1e6),
    OBJ("power", 0),
    POS("power.tdp_w", power.tdp_w, 1e6),
    OBJ("area", F_OPT),
    F64("area.die_mm2", area_die_mm2, F_MIN_EXCL | F_ZERO_ABSENT, 0, 1e5),
    OBJ("cost", F_OPT),
    F64("cost.unit_usd", cost_unit_usd, F_MIN_EXCL | F_ZERO_ABSENT, 0, 1e9),
};
enum { N_FIELDS = sizeof fields / sizeof fields[0] };

/* Index of the row named by path cut at the last '.', or -1 for top level. */
static int parent_of(int row) {
  const char *p = fields[row].path;
  const char *dot = strrchr(p, '.');
  if (!dot) return -1;
  size_t n = (size_t)(dot - p);
  for (int r = 0; r < row; r++)
    if (strlen(fields[r].path) == n && strncmp(fields[r].path, p, n) == 0) return r;
  return -1; /* unreachable with a well-formed table; tests walk every row */
}

static const char *key_of(int row) {
  const char *dot = strrchr(fields[row].path, '.');
  return dot ? dot + 1 : fields[row].path;
}

/* ---- JSON helpers of the layer (arch_int.h) ------------------------------- */

void arch_report(arch_msgs *m, const char *path, const char *fmt, ...) {
  m->n_errors++;
  if (!m->errors || m->n_errors > ARCH_MAX_ERRORS + 1) return;
  if (m->n_errors == ARCH_MAX_ERRORS + 1) {
    sc_strbuf_printf(m->errors, "%s: too many errors, stopping after %d\n", m->source,
                     ARCH_MAX_ERRORS);
    return;
  }
  sc_strbuf_printf(m->errors, "%s: ", m->source);
  if (path) sc_strbuf_printf(m->errors, "%s: ", path);
  va_list ap;
  va_start(ap, fmt);
  sc_strbuf_vprintf(m->errors, fmt, ap);
  va_end(ap);
  sc_strbuf_append(m->errors, "\n", 1);
}

sc_status arch_json_parse(const char *text, size_t len, size_t max_bytes, const char *source,
                          cJSON **root, sc_strbuf *errors) {
  *root = NULL;
  if (len > max_bytes) {
    if (errors)
      sc_strbuf_printf(errors, "%s: larger than the limit of %zu bytes\n", source, max_bytes);
    return SC_STATUS_OVERFLOW;
  }
  /* Position from return_parse_end rather than cJSON_GetErrorPtr, which is a
   * process-wide global. */
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  size_t pos = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
  if (j) { /* cJSON stops after the value: anything but whitespace after it is an error */
    while (pos < len && text[pos] && strchr(" \t\r\n", text[pos])) pos++;
    if (pos < len) {
      cJSON_Delete(j);
      j = NULL;
    }
  }
  if (!j) {
    size_t line, col;
    sc_text_line_col(text, pos, &line, &col);
    if (errors)
      sc_strbuf_printf(errors, "%s:%zu:%zu: JSON syntax error%s\n", source, line, col,
                       pos >= len ? " (unexpected end of input)" : "");
    return SC_STATUS_PARSE;
  }
  *root = j;
  return SC_STATUS_OK;
}

const char *arch_json_type(const cJSON *j) {
  if (cJSON_IsObject(j)) return "an object";
  if (cJSON_IsArray(j)) return "an array";
  if (cJSON_IsString(j)) return "a string";
  if (cJSON_IsNumber(j)) return "a number";
  if (cJSON_IsBool(j)) return "a boolean";
  if (cJSON_IsNull(j)) return "null";
  return "invalid";
}

bool arch_json_number(arch_msgs *m, const char *path, const cJSON *j, bool integer, double *v) {
  if (!cJSON_IsNumber(j)) {
    arch_report(m, path, "must be %s, got %s", integer ? "an integer" : "a number",
                arch_json_type(j));
    return false;
  }
  *v = j->valuedouble;
  if (integer && isfinite(*v) && floor(*v) != *v) {
    char got[32];
    arch_fmt_num(got, sizeof got, *v);
    arch_report(m, path, "must be an integer, got %s", got);
    return false;
  }
  return true;
}

bool arch_check_range(arch_msgs *m, const char *path, double v, double min, double max,
                      bool min_excl) {
  char lim[32], got[32];
  arch_fmt_num(got, sizeof got, v);
  if (isnan(v) || isinf(v)) {
    arch_report(m, path, "must be a finite number, got %s", got);
    return false;
  }
  arch_fmt_num(lim, sizeof lim, min);
  if (min_excl ? !(v > min) : !(v >= min)) {
    arch_report(m, path, "must be %s %s, got %s", min_excl ? "greater than" : "at least", lim, got);
    return false;
  }
  arch_fmt_num(lim, sizeof lim, max);
  if (v > max) {
    arch_report(m, path, "must be at most %s, got %s", lim, got);
    return false;
  }
  return true;
}

bool arch_json_pair(arch_msgs *m, const char *path, const cJSON *j, double min, double max,
                    double d[2]) {
  if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) != 2) {
    arch_report(m, path, "must be an array of 2 integers [rows, cols], got %s",
                cJSON_IsArray(j) ? "an array of another length" : arch_json_type(j));
    return false;
  }
  bool ok = true;
  for (int i = 0; i < 2; i++) {
    char item[96];
    snprintf(item, sizeof item, "%s[%d]", path, i);
    d[i] = 0;
    if (!arch_json_number(m, item, cJSON_GetArrayItem(j, i), true, &d[i]) ||
        !arch_check_range(m, item, d[i], min, max, false))
      ok = false;
  }
  return ok;
}

void arch_fmt_num(char *buf, size_t size, double v) {
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, size, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) return;
  }
}

void arch_append_json_string(sc_strbuf *sb, const char *s, size_t n) {
  sc_strbuf_append(sb, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; n && *p; p++, n--) {
    if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char)*p};
      sc_strbuf_append(sb, esc, 2);
    } else if (*p < 0x20 || *p == 0x7f) {
      sc_strbuf_printf(sb, "\\u%04x", *p);
    } else {
      sc_strbuf_append(sb, (const char *)p, 1);
    }
  }
  sc_strbuf_append(sb, "\"", 1);
}

void arch_append_key(sc_strbuf *sb, const char *key) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++, n++) {
    if (n == 48) {
      sc_strbuf_append(sb, "...", 3);
      return;
    }
    if (*p < 0x20 || *p == 0x7f)
      sc_strbuf_printf(sb, "\\x%02x", *p);
    else
      sc_strbuf_append(sb, (const char *)p, 1);
  }
}

/* ---- error collection ----------------------------------------------------- */

typedef struct ctx {
  arch_msgs msgs;
  bool bad[N_FIELDS];  /* row missing or rejected: skip rules that read it */
  bool seen[N_FIELDS]; /* row met in the input (duplicate detection) */
} ctx;

/* Checks v against a row's range; reports and returns false when outside. */
static bool check_range(ctx *c, const char *path, const field *f, double v) {
  return arch_check_range(&c->msgs, path, v, f->min, f->max, f->flags & F_MIN_EXCL);
}

/* ---- validation of the struct --------------------------------------------- */

static double num_at(const sc_arch *a, const field *f) {
  const char *base = (const char *)a + f->off;
  uint32_t u32;
  uint64_t u64;
  double d;
  switch (f->kind) {
  case K_U32:
    memcpy(&u32, base, sizeof u32);
    return (double)u32;
  case K_U64:
    memcpy(&u64, base, sizeof u64);
    return (double)u64;
  default:
    memcpy(&d, base, sizeof d);
    return d;
  }
}

static const double *dmap_at(const sc_arch *a, const field *f) {
  return (const double *)(const void *)((const char *)a + f->off);
}

static bool row_ok(const ctx *c, const char *path) {
  for (int r = 0; r < N_FIELDS; r++)
    if (strcmp(fields[r].path, path) == 0) return !c->bad[r];
  return false;
}

/* Per-row checks, skipping rows the parser already rejected. */
static void validate_rows(const sc_arch *a, ctx *c) {
  for (int r = 0; r < N_FIELDS; r++) {
    const field *f = &fields[r];
    if (c->bad[r]) continue;
    const char *base = (const char *)a + f->off;
    switch (f->kind) {
    case K_STR:
      if (!memchr(base, '\0', f->size)) {
        arch_report(&c->msgs, f->path, "is not NUL-terminated within %zu bytes", f->size);
        c->bad[r] = true;
      } else if (!(f->flags & F_OPT) && base[0] == '\0') {
        arch_report(&c->msgs, f->path, "must not be empty");
        c->bad[r] = true;
      }
      break;
    case K_U32:
    case K_U64:
    case K_F64: {
      double v = num_at(a, f);
      if ((f->flags & F_ZERO_ABSENT) && v == 0) break;
      if (!check_range(c, f->path, f, v)) c->bad[r] = true;
      break;
    }
    case K_ENUM: {
      int v;
      memcpy(&v, base, sizeof v);
      size_t n = 0;
      while (f->names[n]) n++;
      if (v < 0 || (size_t)v >= n) {
        arch_report(&c->msgs, f->path, "enum value %d out of range", v);
        c->bad[r] = true;
      }
      break;
    }
    case K_MESH: {
      uint32_t d[2];
      memcpy(&d[0], base, sizeof d[0]);
      memcpy(&d[1], (const char *)a + f->off2, sizeof d[1]);
      for (int i = 0; i < 2; i++) {
        char path[64];
        snprintf(path, sizeof path, "%s[%d]", f->path, i);
        if (!check_range(c, path, f, (double)d[i])) c->bad[r] = true;
      }
      break;
    }
    case K_DMAP: {
      const double *m = dmap_at(a, f);
      for (int t = 0; t < SC_DTYPE_COUNT; t++) {
        if (m[t] == 0) continue;
        char path[96];
        snprintf(path, sizeof path, "%s.%s", f->path, sc_dtype_name((sc_dtype)t));
        if (!check_range(c, path, f, m[t])) c->bad[r] = true;
      }
      break;
    }
    default:
      break;
    }
  }
}

static bool is_pow2(uint64_t v) {
  return v && !(v & (v - 1));
}

/* Rules that tie several values together. Each runs only when the values it
 * reads were accepted, so one bad value yields one message. */
static void validate_cross(const sc_arch *a, ctx *c) {
  char x[32], y[32], z[32];
  if (row_ok(c, "cores.count") && row_ok(c, "cores.mesh") &&
      (uint64_t)a->cores.mesh_rows * a->cores.mesh_cols != a->cores.count)
    arch_report(&c->msgs, "cores.mesh",
                "[%" PRIu32 ", %" PRIu32 "] holds %" PRIu64 " cores, but cores.count is %" PRIu32,
                a->cores.mesh_rows, a->cores.mesh_cols,
                (uint64_t)a->cores.mesh_rows * a->cores.mesh_cols, a->cores.count);

  if (row_ok(c, "core.mxu.macs_per_pe_cycle")) {
    bool any = false;
    for (int t = 0; t < SC_DTYPE_COUNT; t++) any |= a->core.mxu.macs_per_pe_cycle[t] > 0;
    if (!any) arch_report(&c->msgs, "core.mxu.macs_per_pe_cycle", "must name at least one dtype");
  }
  if (row_ok(c, "core.mxu.macs_per_pe_cycle") && row_ok(c, "energy.mac_pj")) {
    for (int t = 0; t < SC_DTYPE_COUNT; t++)
      if (a->core.mxu.macs_per_pe_cycle[t] > 0 && !(a->energy.mac_pj[t] > 0))
        arch_report(&c->msgs, "energy.mac_pj",
                    "missing %s, which core.mxu.macs_per_pe_cycle supports",
                    sc_dtype_name((sc_dtype)t));
  }

  if (row_ok(c, "core.sram.size_bytes") && row_ok(c, "core.sram.banks")) {
    uint64_t size = a->core.sram.size_bytes, banks = a->core.sram.banks;
    if (size % banks)
      arch_report(&c->msgs, "core.sram.banks",
                  "%" PRIu64 " banks do not divide size_bytes %" PRIu64, banks, size);
    else if (row_ok(c, "core.sram.bank_width_bytes") &&
             (size / banks) % a->core.sram.bank_width_bytes)
      arch_report(&c->msgs, "core.sram.bank_width_bytes",
                  "%" PRIu32 " does not divide the bank size of %" PRIu64 " bytes",
                  a->core.sram.bank_width_bytes, size / banks);
  }
  if (row_ok(c, "core.acc_sram.size_bytes") && row_ok(c, "core.acc_sram.banks") &&
      a->core.acc_sram.size_bytes % a->core.acc_sram.banks)
    arch_report(&c->msgs, "core.acc_sram.banks",
                "%" PRIu32 " banks do not divide size_bytes %" PRIu64, a->core.acc_sram.banks,
                a->core.acc_sram.size_bytes);

  if (row_ok(c, "memory.channels") && row_ok(c, "memory.channel_peak_gb_s") &&
      row_ok(c, "memory.effective_gb_s")) {
    double peak = a->memory.channels * a->memory.channel_peak_gb_s;
    if (a->memory.effective_gb_s > peak) {
      arch_fmt_num(x, sizeof x, a->memory.effective_gb_s);
      arch_fmt_num(y, sizeof y, a->memory.channel_peak_gb_s);
      arch_fmt_num(z, sizeof z, peak);
      arch_report(&c->msgs, "memory.effective_gb_s",
                  "%s exceeds what %" PRIu32 " channels of %s GB/s can carry (%s)", x,
                  a->memory.channels, y, z);
    }
  }
  if (row_ok(c, "memory.technology") && row_ok(c, "memory.stacks")) {
    bool hbm = strncmp(a->memory.technology, "HBM", 3) == 0;
    if (hbm && a->memory.stacks == 0)
      arch_report(&c->msgs, "memory.stacks", "must be at least 1 for %s memory, got 0",
                  a->memory.technology);
    if (!hbm && a->memory.stacks != 0)
      arch_report(&c->msgs, "memory.stacks", "must be 0 for non-HBM memory (%s), got %" PRIu32,
                  a->memory.technology, a->memory.stacks);
  }
  if (row_ok(c, "memory.stacks") && row_ok(c, "memory.channels") && a->memory.stacks &&
      a->memory.channels % a->memory.stacks)
    arch_report(&c->msgs, "memory.channels",
                "%" PRIu32 " channels do not divide evenly over %" PRIu32 " stacks",
                a->memory.channels, a->memory.stacks);
  /* The timing model maps addresses to channels and rounds accesses up with
   * shifts and masks, so both sizes are powers of two. */
  bool interleave_ok = row_ok(c, "memory.interleave_bytes");
  if (interleave_ok && !is_pow2(a->memory.interleave_bytes)) {
    arch_report(&c->msgs, "memory.interleave_bytes", "must be a power of two, got %" PRIu64,
                a->memory.interleave_bytes);
    interleave_ok = false;
  }
  bool access_ok = row_ok(c, "memory.access_bytes");
  if (access_ok && !is_pow2(a->memory.access_bytes)) {
    arch_report(&c->msgs, "memory.access_bytes", "must be a power of two, got %" PRIu32,
                a->memory.access_bytes);
    access_ok = false;
  }
  if (interleave_ok && access_ok && a->memory.access_bytes > a->memory.interleave_bytes)
    arch_report(&c->msgs, "memory.access_bytes",
                "%" PRIu32 " exceeds memory.interleave_bytes (%" PRIu64 ")", a->memory.access_bytes,
                a->memory.interleave_bytes);

  if (row_ok(c, "chip_links.count") && row_ok(c, "chip_links.gb_s") && a->chip_links.count &&
      !(a->chip_links.gb_s > 0))
    arch_report(&c->msgs, "chip_links.gb_s",
                "must be greater than 0 when chip_links.count is %" PRIu32, a->chip_links.count);

  if (row_ok(c, "energy.static_w") && row_ok(c, "power.tdp_w") &&
      a->energy.static_w > a->power.tdp_w) {
    arch_fmt_num(x, sizeof x, a->energy.static_w);
    arch_fmt_num(y, sizeof y, a->power.tdp_w);
    arch_report(&c->msgs, "energy.static_w", "%s W exceeds power.tdp_w (%s W)", x, y);
  }
}

sc_status sc_arch_validate(const sc_arch *arch, const char *source_name, sc_strbuf *errors) {
  if (!arch) return SC_STATUS_INVALID_ARGUMENT;
  ctx c = {.msgs = {.source = source_name ? source_name : "arch", .errors = errors}};
  validate_rows(arch, &c);
  validate_cross(arch, &c);
  return c.msgs.n_errors ? SC_STATUS_INVALID : SC_STATUS_OK;
}

/* ---- parsing -------------------------------------------------------------- */

/* Reads a number for row f into *v: must be a finite number, an integer for
 * integer kinds, and inside the row's range. */
static bool read_number(ctx *c, const char *path, const field *f, const cJSON *j, double *v) {
  bool integer = f->kind == K_U32 || f->kind == K_U64 || f->kind == K_MESH;
  if (!arch_json_number(&c->msgs, path, j, integer, v)) return false;
  if ((f->flags & F_ZERO_ABSENT) && *v == 0) {
    arch_report(&c->msgs, path, "must be greater than 0 (leave the key out when unknown), got 0");
    return false;
  }
  return check_range(c, path, f, *v);
}

static void parse_leaf(ctx *c, int row, const cJSON *j, sc_arch *a) {
  const field *f = &fields[row];
  char *base = (char *)a + f->off;
  double v;
  switch (f->kind) {
  case K_FORMAT:
    if (!cJSON_IsString(j) || strcmp(j->valuestring, SC_ARCH_FORMAT) != 0) {
      arch_report(&c->msgs, f->path, "must be \"%s\" (this is not a SeedChip architecture file)",
                  SC_ARCH_FORMAT);
      c->bad[row] = true;
    }
    return;
  case K_VERSION:
    if (!cJSON_IsNumber(j) || j->valuedouble != SC_ARCH_VERSION) {
      arch_report(&c->msgs, f->path, "unsupported version (this build reads version %d)",
                  SC_ARCH_VERSION);
      c->bad[row] = true;
    }
    return;
  case K_STR:
    if (!cJSON_IsString(j)) {
      arch_report(&c->msgs, f->path, "must be a string, got %s", arch_json_type(j));
    } else if (strlen(j->valuestring) >= f->size) {
      arch_report(&c->msgs, f->path, "must be at most %zu bytes long, got %zu", f->size - 1,
                  strlen(j->valuestring));
    } else {
      memcpy(base, j->valuestring, strlen(j->valuestring) + 1);
      return;
    }
    break;
  case K_U32:
  case K_U64:
  case K_F64:
    if (read_number(c, f->path, f, j, &v)) {
      if (f->kind == K_U32) {
        uint32_t u = (uint32_t)v;
        memcpy(base, &u, sizeof u);
      } else if (f->kind == K_U64) {
        uint64_t u = (uint64_t)v;
        memcpy(base, &u, sizeof u);
      } else {
        memcpy(base, &v, sizeof v);
      }
      return;
    }
    break;
  case K_ENUM:
    if (cJSON_IsString(j)) {
      for (int i = 0; f->names[i]; i++) {
        if (strcmp(j->valuestring, f->names[i]) == 0) {
          memcpy(base, &i, sizeof i);
          return;
        }
      }
      sc_strbuf known = {0};
      for (int i = 0; f->names[i]; i++)
        sc_strbuf_printf(&known, "%s\"%s\"", i ? ", " : "", f->names[i]);
      sc_strbuf got = {0};
      arch_append_key(&got, j->valuestring);
      arch_report(&c->msgs, f->path, "unknown value \"%s\" (known: %s)", sc_strbuf_str(&got),
                  sc_strbuf_str(&known));
      sc_strbuf_free(&got);
      sc_strbuf_free(&known);
    } else {
      arch_report(&c->msgs, f->path, "must be a string, got %s", arch_json_type(j));
    }
    break;
  case K_MESH: {
    double d[2];
    if (arch_json_pair(&c->msgs, f->path, j, f->min, f->max, d)) {
      uint32_t u[2] = {(uint32_t)d[0], (uint32_t)d[1]};
      memcpy(base, &u[0], sizeof u[0]);
      memcpy((char *)a + f->off2, &u[1], sizeof u[1]);
      return;
    }
    break;
  }
  case K_DMAP:
    if (!cJSON_IsObject(j)) {
      arch_report(&c->msgs, f->path, "must be an object of dtype: number, got %s",
                  arch_json_type(j));
    } else {
      bool ok = true, seen[SC_DTYPE_COUNT] = {false};
      double *m = (double *)(void *)base;
      for (const cJSON *e = j->child; e; e = e->next) {
        sc_strbuf path = {0};
        sc_strbuf_printf(&path, "%s.", f->path);
        arch_append_key(&path, e->string ? e->string : "");
        sc_dtype t;
        if (!e->string || !sc_dtype_from_name(e->string, &t)) {
          sc_strbuf known = {0};
          for (int i = 0; i < SC_DTYPE_COUNT; i++)
            sc_strbuf_printf(&known, "%s%s", i ? ", " : "", sc_dtype_name((sc_dtype)i));
          arch_report(&c->msgs, sc_strbuf_str(&path), "unknown dtype (known: %s)",
                      sc_strbuf_str(&known));
          sc_strbuf_free(&known);
          ok = false;
        } else if (seen[t]) {
          arch_report(&c->msgs, sc_strbuf_str(&path), "duplicate key");
          ok = false;
        } else {
          seen[t] = true;
          if (read_number(c, sc_strbuf_str(&path), f, e, &v))
            m[t] = v;
          else
            ok = false;
        }
        sc_strbuf_free(&path);
      }
      if (ok) return;
    }
    break;
  default:
    return;
  }
  c->bad[row] = true;
}

/* Marks every row below object row `obj` as handled, so the missing-key check,
 * the validator and the cross rules leave them alone; bad when they hold no
 * usable value (the object was required but absent, or not an object). */
static void mark_subtree(ctx *c, int obj, bool bad) {
  size_t n = strlen(fields[obj].path);
  for (int k = obj + 1; k < N_FIELDS; k++) {
    if (strncmp(fields[k].path, fields[obj].path, n) == 0 && fields[k].path[n] == '.') {
      c->seen[k] = true;
      c->bad[k] = bad;
    }
  }
}

/* Walks the members of JSON object j, which is row `parent` (-1: the top level). */
static void parse_object(ctx *c, int parent, const cJSON *j, sc_arch *a) {
  const char *prefix = parent < 0 ? "" : fields[parent].path;
  for (const cJSON *e = j->child; e; e = e->next) {
    const char *key = e->string ? e->string : "";
    int row = -1;
    for (int r = 0; r < N_FIELDS; r++) {
      if (strcmp(key_of(r), key) == 0 && parent_of(r) == parent) {
        row = r;
        break;
      }
    }
    if (row < 0) {
      sc_strbuf path = {0};
      if (parent >= 0) sc_strbuf_printf(&path, "%s.", prefix);
      arch_append_key(&path, key);
      arch_report(&c->msgs, sc_strbuf_str(&path), "unknown key");
      sc_strbuf_free(&path);
      continue;
    }
    if (c->seen[row]) {
      arch_report(&c->msgs, fields[row].path, "duplicate key");
      c->bad[row] = true;
      continue;
    }
    c->seen[row] = true;
    if (fields[row].kind == K_OBJ) {
      if (!cJSON_IsObject(e)) {
        arch_report(&c->msgs, fields[row].path, "must be an object, got %s", arch_json_type(e));
        c->bad[row] = true;
        mark_subtree(c, row, true);
      } else {
        parse_object(c, row, e, a);
      }
    } else {
      parse_leaf(c, row, e, a);
    }
  }
  /* Absent keys: a missing required object is one message, not one per child. */
  for (int r = 0; r < N_FIELDS; r++) {
    if (parent_of(r) != parent || c->seen[r]) continue;
    c->bad[r] = true;
    if (!(fields[r].flags & (F_OPT | F_ZERO_ABSENT)))
      arch_report(&c->msgs, fields[r].path, "missing required key");
    else
      c->bad[r] = false; /* an absent optional value is valid (zero / empty) */
    if (fields[r].kind == K_OBJ) mark_subtree(c, r, !(fields[r].flags & F_OPT));
  }
}

sc_status sc_arch_parse(const char *text, size_t len, const char *source_name, sc_arch **out,
                        sc_strbuf *errors) {
  if (!out) return SC_STATUS_INVALID_ARGUMENT;
  *out = NULL;
  if (!text && len) return SC_STATUS_INVALID_ARGUMENT;
  if (!text) text = "";
  const char *source = source_name ? source_name : "arch";
  cJSON *root;
  sc_status st = arch_json_parse(text, len, SC_ARCH_MAX_FILE_BYTES, source, &root, errors);
  if (st != SC_STATUS_OK) return st;
  ctx *c = calloc(1, sizeof *c);
  sc_arch *a = calloc(1, sizeof *a);
  if (!c || !a) {
    st = SC_STATUS_NO_MEMORY;
    goto done;
  }
  c->msgs.source = source;
  c->msgs.errors = errors;
  if (!cJSON_IsObject(root)) {
    arch_report(&c->msgs, NULL, "must be a JSON object, got %s", arch_json_type(root));
  } else {
    parse_object(c, -1, root, a);
    validate_rows(a, c);
    validate_cross(a, c);
  }
  if (errors && errors->oom)
    st = SC_STATUS_NO_MEMORY;
  else if (c->msgs.n_errors)
    st = SC_STATUS_INVALID;
done:
  cJSON_Delete(root);
  free(c);
  if (st == SC_STATUS_OK)
    *out = a;
  else
    free(a);
  return st;
}

void sc_arch_destroy(sc_arch *arch) {
  free(arch);
}

/* ---- presets and loading -------------------------------------------------- */

const char *const *sc_arch_preset_names(void) {
  return arch_preset_names;
}

const char *sc_arch_preset_text(const char *name, size_t *len) {
  for (size_t i = 0; name && i < arch_preset_count; i++) {
    if (strcmp(arch_presets[i].name, name) == 0) {
      if (len) *len = arch_presets[i].len;
      return arch_presets[i].text;
    }
  }
  return NULL;
}

sc_status sc_arch_load(const char *preset_or_path, sc_arch **out, sc_strbuf *errors) {
  if (!out) return SC_STATUS_INVALID_ARGUMENT;
  *out = NULL;
  if (!preset_or_path || !*preset_or_path) return SC_STATUS_INVALID_ARGUMENT;
  size_t len;
  const char *text = sc_arch_preset_text(preset_or_path, &len);
  if (text) return sc_arch_parse(text, len, preset_or_path, out, errors);
  uint8_t *data;
  char err[512];
  sc_status st = sc_read_file(preset_or_path, SC_ARCH_MAX_FILE_BYTES, &data, &len, err, sizeof err);
  if (st != SC_STATUS_OK) {
    if (errors) {
      sc_strbuf_printf(errors, "%s", err);
      if (!strchr(preset_or_path, '/')) {
        sc_strbuf_printf(errors, " (and no preset has that name; presets:");
        for (size_t i = 0; i < arch_preset_count; i++)
          sc_strbuf_printf(errors, " %s", arch_presets[i].name);
        sc_strbuf_printf(errors, ")");
      }
      sc_strbuf_printf(errors, "\n");
    }
    return st == SC_STATUS_IO ? SC_STATUS_NOT_FOUND : st;
  }
  st = sc_arch_parse((const char *)data, len, preset_or_path, out, errors);
  free(data);
  return st;
}

/* ---- canonical JSON, fingerprint, diff ------------------------------------ */

const char *sc_arch_dataflow_name(sc_arch_dataflow d) {
  return (unsigned)d < SC_ARCH_DATAFLOW_COUNT ? dataflow_names[d] : "?";
}

const char *sc_arch_topology_name(sc_arch_topology t) {
  return (unsigned)t < SC_ARCH_TOPOLOGY_COUNT ? topology_names[t] : "?";
}

/* True when an optional row (or object: all its rows) holds nothing to write. */
static bool row_absent(const sc_arch *a, int row) {
  const field *f = &fields[row];
  if (f->kind == K_OBJ) {
    if (!(f->flags & F_OPT)) return false;
    for (int r = row + 1; r < N_FIELDS; r++)
      if (parent_of(r) == row && !row_absent(a, r)) return false;
    return true;
  }
  if (f->kind == K_STR && (f->flags & F_OPT)) return ((const char *)a + f->off)[0] == '\0';
  if (f->flags & F_ZERO_ABSENT) return num_at(a, f) == 0;
  return false;
}

/* Appends the JSON value of a leaf row. Strings are bounded by their array. */
static void append_value(sc_strbuf *sb, const sc_arch *a, const field *f) {
  const char *base = (const char *)a + f->off;
  char num[32];
  switch (f->kind) {
  case K_FORMAT:
    arch_append_json_string(sb, SC_ARCH_FORMAT, SIZE_MAX);
    break;
  case K_VERSION:
    sc_strbuf_printf(sb, "%d", SC_ARCH_VERSION);
    break;
  case K_STR: /* bounded by the array, and by 511 bytes */
    arch_append_json_string(sb, base, f->size < 512 ? f->size : 511);
    break;
  case K_U32:
  case K_U64:
    sc_strbuf_printf(sb, "%.0f", num_at(a, f));
    break;
  case K_F64:
    arch_fmt_num(num, sizeof num, num_at(a, f));
    sc_strbuf_printf(sb, "%s", num);
    break;
  case K_ENUM: {
    int v;
    memcpy(&v, base, sizeof v);
    arch_append_json_string(
        sb, f->names == dataflow_names ? sc_arch_dataflow_name(v) : sc_arch_topology_name(v),
        SIZE_MAX);
    break;
  }
  case K_MESH: {
    uint32_t r, c;
    memcpy(&r, base, sizeof r);
    memcpy(&c, (const char *)a + f->off2, sizeof c);
    sc_strbuf_printf(sb, "[%" PRIu32 ", %" PRIu32 "]", r, c);
    break;
  }
  case K_DMAP: {
    const double *m = dmap_at(a, f);
    bool first = true;
    sc_strbuf_append(sb, "{", 1);
    for (int t = 0; t < SC_DTYPE_COUNT; t++) {
      if (m[t] == 0) continue;
      arch_fmt_num(num, sizeof num, m[t]);
      sc_strbuf_printf(sb, "%s\"%s\": %s", first ? "" : ", ", sc_dtype_name((sc_dtype)t), num);
      first = false;
    }
    sc_strbuf_append(sb, "}", 1);
    break;
  }
  default:
    break;
  }
}

static void emit_object(sc_strbuf *sb, const sc_arch *a, int parent, int indent) {
  bool first = true;
  sc_strbuf_append(sb, "{", 1);
  for (int r = parent + 1; r < N_FIELDS; r++) {
    if (parent_of(r) != parent || row_absent(a, r)) continue;
    sc_strbuf_printf(sb, "%s\n%*s\"%s\": ", first ? "" : ",", indent + 2, "", key_of(r));
    first = false;
    if (fields[r].kind == K_OBJ)
      emit_object(sb, a, r, indent + 2);
    else
      append_value(sb, a, &fields[r]);
  }
  sc_strbuf_printf(sb, "\n%*s}", indent, "");
}

sc_status sc_arch_to_json(const sc_arch *arch, sc_strbuf *out) {
  if (!arch || !out) return SC_STATUS_INVALID_ARGUMENT;
  emit_object(out, arch, -1, 0);
  sc_strbuf_append(out, "\n", 1);
  return out->oom ? SC_STATUS_NO_MEMORY : SC_STATUS_OK;
}

uint64_t sc_arch_fingerprint(const sc_arch *arch) {
  sc_strbuf sb = {0};
  if (sc_arch_to_json(arch, &sb) != SC_STATUS_OK) {
    sc_strbuf_free(&sb);
    return 0;
  }
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < sb.len; i++) {
    h ^= (unsigned char)sb.data[i];
    h *= 0x100000001b3u;
  }
  sc_strbuf_free(&sb);
  return h;
}

size_t sc_arch_diff(const sc_arch *a, const sc_arch *b, sc_strbuf *out) {
  size_t n = 0;
  for (int r = 0; r < N_FIELDS; r++) {
    const field *f = &fields[r];
    if (f->kind == K_OBJ || f->kind == K_FORMAT || f->kind == K_VERSION) continue;
    if (f->kind == K_DMAP) {
      const double *ma = dmap_at(a, f), *mb = dmap_at(b, f);
      for (int t = 0; t < SC_DTYPE_COUNT; t++) {
        if (ma[t] == mb[t]) continue;
        n++;
        if (!out) continue;
        char x[32] = "(absent)", y[32] = "(absent)";
        if (ma[t] != 0) arch_fmt_num(x, sizeof x, ma[t]);
        if (mb[t] != 0) arch_fmt_num(y, sizeof y, mb[t]);
        sc_strbuf_printf(out, "%s.%s: %s -> %s\n", f->path, sc_dtype_name((sc_dtype)t), x, y);
      }
      continue;
    }
    sc_strbuf va = {0}, vb = {0};
    append_value(&va, a, f);
    append_value(&vb, b, f);
    if (strcmp(sc_strbuf_str(&va), sc_strbuf_str(&vb)) != 0 || va.oom || vb.oom) {
      n++;
      if (out)
        sc_strbuf_printf(out, "%s: %s -> %s\n", f->path,
                         row_absent(a, r) ? "(absent)" : sc_strbuf_str(&va),
                         row_absent(b, r) ? "(absent)" : sc_strbuf_str(&vb));
    }
    sc_strbuf_free(&va);
    sc_strbuf_free(&vb);
  }
  return n;
}

bool sc_arch_equal(const sc_arch *a, const sc_arch *b) {
  return sc_arch_diff(a, b, NULL) == 0;
}
