/* system_json.c: the system file (docs/SYSTEM.md): parsing, canonical output
 * and the specs sc_system_load accepts ("sc1x8-ring", "8", a file).
 *
 * One table, `keys`, lists every JSON key path in canonical order; parsing
 * (unknown and duplicate keys, types, ranges, missing keys) and output both
 * walk it. The "chip" is read by the arch layer (a preset, a file or an inline
 * object) and its messages are relayed behind this file's source name.
 *
 * Parsing never trusts the input: every value is type- and range-checked
 * before it is stored, every problem is collected (up to ARCH_MAX_ERRORS) as
 * "source: key.path: problem", and sc_system_validate runs only once every key
 * parsed, so one bad value yields one message. No state outlives the call. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arch_int.h"
#include "seedchip/system.h"

typedef enum kind {
  K_OBJ,     /* a JSON object holding the rows below it */
  K_FORMAT,  /* the constant "seedchip-system" */
  K_VERSION, /* the constant 1 */
  K_STR,     /* char[size] */
  K_U32,     /* uint32_t, an integer in [min, max] */
  K_F64,     /* double in [min, max] ((min, max] with F_MIN_EXCL) */
  K_TOPO,    /* "ring" | "torus" | "switch" */
  K_SHAPE,   /* [rows, cols] of a torus */
  K_CHIP     /* an arch preset name, an arch file path or an inline arch object */
} kind;

enum {
  F_OPT = 1u,     /* may be absent (a default applies) */
  F_MIN_EXCL = 2u /* value must be greater than min, not equal */
};

typedef struct key {
  const char *path;
  kind kind;
  unsigned flags;
  size_t off, size; /* K_STR, K_U32, K_F64: the member; K_STR: its array size */
  double min, max;
} key;

#define OFF(m) offsetof(sc_system, m)
#define SIZE(m) sizeof(((sc_system *)0)->m)

/* Ranges match the arch file's (chip_links, host_link), so defaults taken from
 * a chip always pass them. */
static const key keys[] = {
    {"format", K_FORMAT, 0, 0, 0, 0, 0},
    {"version", K_VERSION, 0, 0, 0, 0, 0},
    {"name", K_STR, 0, OFF(name), SIZE(name), 0, 0},
    {"description", K_STR, F_OPT, OFF(description), SIZE(description), 0, 0},
    {"chips", K_U32, 0, OFF(chips), 0, 1, SC_SYS_MAX_CHIPS},
    {"topology", K_TOPO, 0, 0, 0, 0, 0},
    {"torus", K_SHAPE, F_OPT, 0, 0, 1, SC_SYS_MAX_CHIPS},
    {"links", K_OBJ, F_OPT, 0, 0, 0, 0},
    {"links.per_chip", K_U32, F_OPT, OFF(links.per_chip), 0, 0, 1024},
    {"links.gb_s", K_F64, F_OPT, OFF(links.gb_s), 0, 0, 1e6},
    {"links.latency_ns", K_F64, F_OPT, OFF(links.latency_ns), 0, 0, 1e9},
    {"links.pj_per_byte", K_F64, F_OPT, OFF(links.pj_per_byte), 0, 0, 1e6},
    {"switch", K_OBJ, F_OPT, 0, 0, 0, 0},
    {"switch.latency_ns", K_F64, F_OPT, OFF(switch_latency_ns), 0, 0, 1e9},
    {"host", K_OBJ, F_OPT, 0, 0, 0, 0},
    {"host.gb_s", K_F64, F_OPT | F_MIN_EXCL, OFF(host.gb_s), 0, 0, 1e6},
    {"host.latency_ns", K_F64, F_OPT, OFF(host.latency_ns), 0, 0, 1e9},
    {"chip", K_CHIP, 0, 0, 0, 0, 0},
};
enum { N_KEYS = sizeof keys / sizeof keys[0] };

/* The row of a key path; callers pass literal paths of the table. */
static int row_of(const char *path) {
  for (int r = 0; r < N_KEYS; r++)
    if (strcmp(keys[r].path, path) == 0) return r;
  return -1;
}

/* Index of the row named by path cut at the last '.', or -1 for top level. */
static int parent_of(int row) {
  const char *p = keys[row].path;
  const char *dot = strrchr(p, '.');
  if (!dot) return -1;
  size_t n = (size_t)(dot - p);
  for (int r = 0; r < row; r++)
    if (strlen(keys[r].path) == n && strncmp(keys[r].path, p, n) == 0) return r;
  return -1;
}

static const char *key_of(int row) {
  const char *dot = strrchr(keys[row].path, '.');
  return dot ? dot + 1 : keys[row].path;
}

/* ---- error collection ----------------------------------------------------- */

typedef struct ctx {
  arch_msgs msgs;
  const char *base_dir;  /* for a relative "chip" path; NULL: the current directory */
  sc_status chip_status; /* the arch layer's answer for "chip" */
  bool seen[N_KEYS];     /* met in the input (duplicate detection, defaults) */
  bool bad[N_KEYS];      /* rejected: rules that read it stay quiet */
} ctx;

/* Reports every line of msgs (the arch layer's messages) behind our source
 * and prefix. */
static void relay(ctx *c, const char *prefix, const sc_strbuf *msgs) {
  const char *p = sc_strbuf_str(msgs);
  while (*p) {
    const char *nl = strchr(p, '\n');
    int n = nl ? (int)(nl - p) : (int)strlen(p);
    if (n > 0) arch_report(&c->msgs, NULL, "%s%.*s", prefix, n, p);
    p += n + (nl ? 1 : 0);
  }
}

/* ---- parsing -------------------------------------------------------------- */

/* Reads a number for row k into *v: a number, an integer for K_U32, in range. */
static bool read_number(ctx *c, const char *path, const key *k, const cJSON *j, double *v) {
  return arch_json_number(&c->msgs, path, j, k->kind != K_F64, v) &&
         arch_check_range(&c->msgs, path, *v, k->min, k->max, k->flags & F_MIN_EXCL);
}

/* "chip": the arch layer parses it; our job is where the text comes from. */
static bool parse_chip(ctx *c, const cJSON *j, sc_system *s) {
  sc_arch *a = NULL;
  sc_strbuf msgs = {0};
  if (cJSON_IsObject(j)) {
    /* cJSON prints every number so that it reads back exactly, and keeps
     * duplicate keys, so the arch parser sees what the file said. */
    char *text = cJSON_PrintUnformatted(j);
    c->chip_status =
        text ? sc_arch_parse(text, strlen(text), "chip", &a, &msgs) : SC_STATUS_NO_MEMORY;
    cJSON_free(text);
    relay(c, "", &msgs);
  } else if (cJSON_IsString(j) && j->valuestring[0]) {
    const char *spec = j->valuestring;
    sc_strbuf path = {0};
    if (sc_arch_preset_text(spec, NULL) || spec[0] == '/' || !c->base_dir)
      sc_strbuf_printf(&path, "%s", spec);
    else
      sc_strbuf_printf(&path, "%s/%s", c->base_dir, spec);
    c->chip_status = path.oom ? SC_STATUS_NO_MEMORY : sc_arch_load(path.data, &a, &msgs);
    relay(c, "chip: ", &msgs);
    sc_strbuf_free(&path);
  } else {
    c->chip_status = SC_STATUS_INVALID;
    arch_report(&c->msgs, "chip",
                "must be an architecture preset name, a file path or an object, got %s",
                cJSON_IsString(j) ? "an empty string" : arch_json_type(j));
  }
  /* A failure without a message (out of memory) still counts as a problem. */
  if (c->chip_status != SC_STATUS_OK && c->chip_status != SC_STATUS_INVALID && msgs.len == 0)
    arch_report(&c->msgs, "chip", "%s", sc_status_str(c->chip_status));
  sc_strbuf_free(&msgs);
  if (!a) return false;
  s->chip = *a;
  sc_arch_destroy(a);
  return true;
}

/* Stores JSON value j of leaf row `row` into s; false (reported) when refused. */
static bool parse_leaf(ctx *c, int row, const cJSON *j, sc_system *s) {
  const key *k = &keys[row];
  char *base = (char *)s + k->off;
  double v;
  switch (k->kind) {
  case K_FORMAT:
    if (cJSON_IsString(j) && strcmp(j->valuestring, SC_SYS_FORMAT) == 0) return true;
    arch_report(&c->msgs, k->path, "must be \"%s\" (this is not a SeedChip system file)",
                SC_SYS_FORMAT);
    return false;
  case K_VERSION:
    if (cJSON_IsNumber(j) && j->valuedouble == SC_SYS_VERSION) return true;
    arch_report(&c->msgs, k->path, "unsupported version (this build reads version %d)",
                SC_SYS_VERSION);
    return false;
  case K_STR:
    if (!cJSON_IsString(j)) {
      arch_report(&c->msgs, k->path, "must be a string, got %s", arch_json_type(j));
      return false;
    }
    if (strlen(j->valuestring) >= k->size) {
      arch_report(&c->msgs, k->path, "must be at most %zu bytes long, got %zu", k->size - 1,
                  strlen(j->valuestring));
      return false;
    }
    if (!(k->flags & F_OPT) && !j->valuestring[0]) {
      arch_report(&c->msgs, k->path, "must not be empty");
      return false;
    }
    memcpy(base, j->valuestring, strlen(j->valuestring) + 1);
    return true;
  case K_U32:
    if (!read_number(c, k->path, k, j, &v)) return false;
    {
      uint32_t u = (uint32_t)v;
      memcpy(base, &u, sizeof u);
    }
    return true;
  case K_F64:
    if (!read_number(c, k->path, k, j, &v)) return false;
    memcpy(base, &v, sizeof v);
    return true;
  case K_TOPO:
    if (cJSON_IsString(j)) {
      for (int t = 0; t < SC_SYS_TOPOLOGY_COUNT; t++) {
        if (strcmp(j->valuestring, sc_sys_topology_name((sc_sys_topology)t)) == 0) {
          s->topology = (sc_sys_topology)t;
          return true;
        }
      }
      sc_strbuf got = {0};
      arch_append_key(&got, j->valuestring);
      arch_report(&c->msgs, k->path,
                  "unknown value \"%s\" (known: \"ring\", \"torus\", \"switch\")",
                  sc_strbuf_str(&got));
      sc_strbuf_free(&got);
    } else {
      arch_report(&c->msgs, k->path, "must be a string, got %s", arch_json_type(j));
    }
    return false;
  case K_SHAPE: {
    double d[2];
    if (!arch_json_pair(&c->msgs, k->path, j, k->min, k->max, d)) return false;
    s->rows = (uint32_t)d[0];
    s->cols = (uint32_t)d[1];
    return true;
  }
  case K_CHIP:
    return parse_chip(c, j, s);
  default:
    return true;
  }
}

/* Walks the members of JSON object j, which is row `parent` (-1: the top level). */
static void parse_object(ctx *c, int parent, const cJSON *j, sc_system *s) {
  for (const cJSON *e = j->child; e; e = e->next) {
    const char *name = e->string ? e->string : "";
    int row = -1;
    for (int r = 0; r < N_KEYS && row < 0; r++)
      if (parent_of(r) == parent && strcmp(key_of(r), name) == 0) row = r;
    if (row < 0) {
      sc_strbuf path = {0};
      if (parent >= 0) sc_strbuf_printf(&path, "%s.", keys[parent].path);
      arch_append_key(&path, name);
      arch_report(&c->msgs, sc_strbuf_str(&path), "unknown key");
      sc_strbuf_free(&path);
      continue;
    }
    if (c->seen[row]) {
      arch_report(&c->msgs, keys[row].path, "duplicate key");
      c->bad[row] = true;
      continue;
    }
    c->seen[row] = true;
    if (keys[row].kind != K_OBJ) {
      c->bad[row] = !parse_leaf(c, row, e, s);
    } else if (cJSON_IsObject(e)) {
      parse_object(c, row, e, s);
    } else {
      arch_report(&c->msgs, keys[row].path, "must be an object, got %s", arch_json_type(e));
      c->bad[row] = true;
    }
  }
  for (int r = 0; r < N_KEYS; r++) {
    if (parent_of(r) != parent || c->seen[r] || (keys[r].flags & F_OPT)) continue;
    arch_report(&c->msgs, keys[r].path, "missing required key");
    c->bad[r] = true;
  }
}

/* Rules between keys, and the defaults the chip supplies. */
static void finish(ctx *c, sc_system *s) {
  int topo = row_of("topology"), torus = row_of("torus"), sw = row_of("switch");
  if (!c->bad[topo]) {
    const char *tname = sc_sys_topology_name(s->topology);
    if (s->topology == SC_SYS_TORUS && !c->seen[torus])
      arch_report(&c->msgs, "torus", "missing: the torus topology needs [rows, cols]");
    if (s->topology != SC_SYS_TORUS && c->seen[torus])
      arch_report(&c->msgs, "torus", "only for the torus topology, not %s", tname);
    if (s->topology != SC_SYS_SWITCH && c->seen[sw])
      arch_report(&c->msgs, "switch", "only for the switch topology, not %s", tname);
  }
  if (s->topology != SC_SYS_TORUS) {
    s->rows = 1;
    s->cols = s->chips;
  }
  if (c->bad[row_of("chip")]) return;
  sc_system d;
  sc_system_single(&s->chip, &d);
  static const struct {
    const char *path;
    size_t off, size;
  } defaults[] = {
      {"links.per_chip", OFF(links.per_chip), SIZE(links.per_chip)},
      {"links.gb_s", OFF(links.gb_s), SIZE(links.gb_s)},
      {"links.latency_ns", OFF(links.latency_ns), SIZE(links.latency_ns)},
      {"links.pj_per_byte", OFF(links.pj_per_byte), SIZE(links.pj_per_byte)},
      {"host.gb_s", OFF(host.gb_s), SIZE(host.gb_s)},
      {"host.latency_ns", OFF(host.latency_ns), SIZE(host.latency_ns)},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(defaults); i++)
    if (!c->seen[row_of(defaults[i].path)])
      memcpy((char *)s + defaults[i].off, (const char *)&d + defaults[i].off, defaults[i].size);
}

sc_status sc_system_parse(const char *text, size_t len, const char *source_name,
                          const char *base_dir, sc_system *out, sc_strbuf *errors) {
  if (!out || (!text && len)) return SC_STATUS_INVALID_ARGUMENT;
  memset(out, 0, sizeof *out);
  if (!text) text = "";
  const char *source = source_name ? source_name : "system";
  cJSON *root;
  sc_status st = arch_json_parse(text, len, SC_SYS_MAX_FILE_BYTES, source, &root, errors);
  if (st != SC_STATUS_OK) return st;
  ctx *c = calloc(1, sizeof *c);
  sc_system *s = calloc(1, sizeof *s);
  if (!c || !s) {
    st = SC_STATUS_NO_MEMORY;
    goto done;
  }
  c->msgs.source = source;
  c->msgs.errors = errors;
  c->base_dir = base_dir;
  c->chip_status = SC_STATUS_OK;
  if (!cJSON_IsObject(root)) {
    arch_report(&c->msgs, NULL, "must be a JSON object, got %s", arch_json_type(root));
  } else {
    parse_object(c, -1, root, s);
    finish(c, s);
  }
  if (c->msgs.n_errors == 0 && sc_system_validate(s, source, errors) != SC_STATUS_OK)
    st = SC_STATUS_INVALID;
  if ((errors && errors->oom) || c->chip_status == SC_STATUS_NO_MEMORY)
    st = SC_STATUS_NO_MEMORY;
  else if (c->msgs.n_errors)
    st = c->chip_status == SC_STATUS_NOT_FOUND || c->chip_status == SC_STATUS_IO
             ? c->chip_status
             : SC_STATUS_INVALID;
  if (st == SC_STATUS_OK) *out = *s;
done:
  cJSON_Delete(root);
  free(c);
  free(s);
  return st;
}

/* ---- canonical JSON ------------------------------------------------------- */

/* False for a row the canonical form leaves out: an empty description, the
 * torus shape of another topology, the switch object of another topology. */
static bool row_written(const sc_system *s, int row) {
  const key *k = &keys[row];
  if (k->kind == K_STR && (k->flags & F_OPT)) return ((const char *)s + k->off)[0] != '\0';
  if (k->kind == K_SHAPE) return s->topology == SC_SYS_TORUS;
  if (strcmp(k->path, "switch") == 0) return s->topology == SC_SYS_SWITCH;
  return true;
}

/* Appends the chip's canonical arch JSON, indented one level. */
static sc_status append_chip(sc_strbuf *sb, const sc_arch *chip, int indent) {
  sc_strbuf js = {0};
  sc_status st = sc_arch_to_json(chip, &js);
  if (st == SC_STATUS_OK) {
    const char *p = sc_strbuf_str(&js);
    while (*p) {
      const char *nl = strchr(p, '\n');
      size_t n = nl ? (size_t)(nl - p) : strlen(p);
      sc_strbuf_append(sb, p, n);
      p += n;
      if (nl && *++p) sc_strbuf_printf(sb, "\n%*s", indent, "");
    }
  }
  sc_strbuf_free(&js);
  return st;
}

static sc_status emit_object(sc_strbuf *sb, const sc_system *s, int parent, int indent) {
  sc_status st = SC_STATUS_OK;
  bool first = true;
  char num[32];
  sc_strbuf_append(sb, "{", 1);
  for (int r = parent + 1; r < N_KEYS && st == SC_STATUS_OK; r++) {
    if (parent_of(r) != parent || !row_written(s, r)) continue;
    const key *k = &keys[r];
    const char *base = (const char *)s + k->off;
    sc_strbuf_printf(sb, "%s\n%*s\"%s\": ", first ? "" : ",", indent + 2, "", key_of(r));
    first = false;
    switch (k->kind) {
    case K_OBJ:
      st = emit_object(sb, s, r, indent + 2);
      break;
    case K_FORMAT:
      arch_append_json_string(sb, SC_SYS_FORMAT, sizeof SC_SYS_FORMAT);
      break;
    case K_VERSION:
      sc_strbuf_printf(sb, "%d", SC_SYS_VERSION);
      break;
    case K_STR:
      arch_append_json_string(sb, base, k->size);
      break;
    case K_U32: {
      uint32_t u;
      memcpy(&u, base, sizeof u);
      sc_strbuf_printf(sb, "%" PRIu32, u);
      break;
    }
    case K_F64: {
      double d;
      memcpy(&d, base, sizeof d);
      arch_fmt_num(num, sizeof num, d);
      sc_strbuf_printf(sb, "%s", num);
      break;
    }
    case K_TOPO:
      arch_append_json_string(sb, sc_sys_topology_name(s->topology), SIZE(name));
      break;
    case K_SHAPE:
      sc_strbuf_printf(sb, "[%" PRIu32 ", %" PRIu32 "]", s->rows, s->cols);
      break;
    case K_CHIP:
      st = append_chip(sb, &s->chip, indent + 2);
      break;
    }
  }
  sc_strbuf_printf(sb, "\n%*s}", indent, "");
  return st;
}

sc_status sc_system_to_json(const sc_system *s, sc_strbuf *out) {
  if (!s || !out) return SC_STATUS_INVALID_ARGUMENT;
  sc_status st = emit_object(out, s, -1, 0);
  sc_strbuf_append(out, "\n", 1);
  if (out->oom) return SC_STATUS_NO_MEMORY;
  return st;
}

/* ---- loading -------------------------------------------------------------- */

/* A chip count of n decimal digits; false unless all are digits (at least one).
 * Saturates far above SC_SYS_MAX_CHIPS so the range message can say it. */
static bool read_count(const char *p, size_t n, uint32_t *count) {
  if (n == 0) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    if (v < 1000000) v = v * 10 + (uint32_t)(p[i] - '0');
  }
  *count = v;
  return true;
}

SC_PRINTF(3, 4) static sc_status load_error(sc_strbuf *errors, sc_status st, const char *fmt, ...) {
  if (!errors) return st;
  va_list ap;
  va_start(ap, fmt);
  sc_strbuf_vprintf(errors, fmt, ap);
  va_end(ap);
  sc_strbuf_append(errors, "\n", 1);
  return st;
}

/* n copies of arch after checking n, spelled `digits` in spec. */
static sc_status load_copies(const char *spec, const char *digits, const sc_arch *arch, uint32_t n,
                             sc_sys_topology t, sc_system *out, sc_strbuf *errors) {
  if (n < 1 || n > SC_SYS_MAX_CHIPS)
    return load_error(errors, SC_STATUS_INVALID, "%s: chips: %.*s is not in 1..%d", spec,
                      (int)strspn(digits, "0123456789"), digits, SC_SYS_MAX_CHIPS);
  return sc_system_of(arch, n, t, out, errors);
}

/* "<arch>x<N>[-topology]" where <arch> is a preset. NOT_FOUND when spec does
 * not start with a preset name and an 'x' (then it is something else). */
static sc_status load_shorthand(const char *spec, sc_system *out, sc_strbuf *errors) {
  for (const char *x = strchr(spec, 'x'); x; x = strchr(x + 1, 'x')) {
    char arch_name[64];
    size_t n = (size_t)(x - spec);
    if (n == 0 || n >= sizeof arch_name) continue;
    memcpy(arch_name, spec, n);
    arch_name[n] = '\0';
    if (!sc_arch_preset_text(arch_name, NULL)) continue;
    const char *tail = x + 1, *dash = strchr(tail, '-');
    size_t count_len = dash ? (size_t)(dash - tail) : strlen(tail);
    uint32_t count;
    if (!read_count(tail, count_len, &count))
      return load_error(errors, SC_STATUS_INVALID,
                        "%s: \"%.*s\" is not a chip count (<arch>x<N>[-ring|-torus|-switch])", spec,
                        (int)count_len, tail);
    sc_sys_topology t = SC_SYS_SWITCH;
    if (dash) {
      int found = -1;
      for (int i = 0; i < SC_SYS_TOPOLOGY_COUNT; i++)
        if (strcmp(dash + 1, sc_sys_topology_name((sc_sys_topology)i)) == 0) found = i;
      if (found < 0)
        return load_error(errors, SC_STATUS_INVALID,
                          "%s: unknown topology \"%s\" (known: ring, torus, switch)", spec,
                          dash + 1);
      t = (sc_sys_topology)found;
    }
    sc_arch *arch = NULL;
    sc_status st = sc_arch_load(arch_name, &arch, errors);
    if (st == SC_STATUS_OK) st = load_copies(spec, tail, arch, count, t, out, errors);
    sc_arch_destroy(arch);
    return st;
  }
  return SC_STATUS_NOT_FOUND;
}

/* True when spec reads "<word>x<digits>[-<word>]" with no '/': meant as a
 * shorthand, so a missing file deserves a word about presets. */
static bool looks_like_shorthand(const char *spec) {
  const char *x = strrchr(spec, 'x');
  if (!x || x == spec || strchr(spec, '/')) return false;
  const char *dash = strchr(x, '-');
  size_t n = dash ? (size_t)(dash - x - 1) : strlen(x + 1);
  uint32_t count;
  return read_count(x + 1, n, &count);
}

sc_status sc_system_load(const char *spec, const sc_arch *default_arch, sc_system *out,
                         sc_strbuf *errors) {
  if (!out) return SC_STATUS_INVALID_ARGUMENT;
  memset(out, 0, sizeof *out);
  if (!spec || !*spec) return SC_STATUS_INVALID_ARGUMENT;

  uint32_t count;
  if (read_count(spec, strlen(spec), &count)) {
    if (default_arch)
      return load_copies(spec, spec, default_arch, count, SC_SYS_SWITCH, out, errors);
    sc_arch *arch = NULL;
    sc_status st = sc_arch_load("sc1", &arch, errors);
    if (st == SC_STATUS_OK) st = load_copies(spec, spec, arch, count, SC_SYS_SWITCH, out, errors);
    sc_arch_destroy(arch);
    return st;
  }
  sc_status st = load_shorthand(spec, out, errors);
  if (st != SC_STATUS_NOT_FOUND) return st;

  uint8_t *data;
  size_t len;
  char err[512];
  st = sc_read_file(spec, SC_SYS_MAX_FILE_BYTES, &data, &len, err, sizeof err);
  if (st != SC_STATUS_OK) {
    if (errors) {
      sc_strbuf_printf(errors, "%s", err);
      if (looks_like_shorthand(spec)) {
        sc_strbuf_printf(errors, " (nor is it <arch>x<N> of an arch preset; presets:");
        for (const char *const *p = sc_arch_preset_names(); *p; p++)
          sc_strbuf_printf(errors, " %s", *p);
        sc_strbuf_printf(errors, ")");
      }
      sc_strbuf_printf(errors, "\n");
    }
    return st == SC_STATUS_IO ? SC_STATUS_NOT_FOUND : st;
  }
  /* A relative "chip" path is relative to the file's directory. */
  const char *slash = strrchr(spec, '/');
  char *dir = NULL;
  if (slash) {
    size_t n = slash == spec ? 1 : (size_t)(slash - spec);
    dir = malloc(n + 1);
    if (!dir) {
      free(data);
      return SC_STATUS_NO_MEMORY;
    }
    memcpy(dir, spec, n);
    dir[n] = '\0';
  }
  st = sc_system_parse((const char *)data, len, spec, dir, out, errors);
  free(dir);
  free(data);
  return st;
}
