/* asm.c: the assembler: .sasm text -> sc_program (docs/ASM.md).
 *
 * Two passes. Pass 1 reads every statement: directives take effect at once
 * (constants, buffers, sections, the architecture), labels get the pc of the
 * next instruction, and each instruction statement is recorded with its place
 * and pc (pseudo-instructions know their word count without their operands).
 * Pass 2 parses the recorded instructions with sc_isa_parse, resolving names
 * through the complete symbol tables, so labels may be used before they are
 * defined. The program is built only when no error was found.
 *
 * Invariants: the input is read only through the bounded lexer below (the
 * text need not be NUL-terminated and may contain any byte); every problem
 * becomes one diagnostic with its line and column and the statement is
 * skipped, so one run reports everything up to SC_ASM_MAX_ERRORS; nothing is
 * allocated in proportion to a number written in the source, only to the
 * source's own length. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm_int.h"
#include "seedchip/arch.h"
#include "seedchip/asm.h"
#include "seedchip/isa.h"
#include "seedchip/num.h"

enum { EXPR_MAX_DEPTH = 64 };

typedef struct diag {
  uint32_t line, col;
  size_t seq; /* discovery order, to keep the sort stable */
  char *msg;
} diag;

typedef enum sym_kind { SYM_CONST, SYM_BUFFER } sym_kind;

typedef struct sym {
  char *name;
  sym_kind kind;
  int64_t value; /* the constant, or the buffer's address */
  uint32_t line;
} sym;

typedef struct label {
  char *name;
  size_t sect;
  uint32_t pc, line;
} label;

/* A `.core N-M` section (or the implicit core-0 section before any .core). */
typedef struct section {
  uint32_t first, last; /* cores */
  uint32_t line, col;
  uint32_t n_words;
  uint64_t *words; /* n_words, filled by pass 2 */
} section;

typedef enum insn_kind { INSN_REAL, INSN_MV, INSN_J, INSN_LIF, INSN_LI64, INSN_WORD } insn_kind;

/* An instruction statement recorded by pass 1. */
typedef struct insn_rec {
  insn_kind kind;
  size_t sect;
  uint32_t pc;
  size_t off, line_start; /* the mnemonic, and the start of its line */
  uint32_t line, col;
  bool has_debug; /* false after `.loc none` */
  char *where;    /* from `.loc`, owned; NULL = the source file */
  uint32_t dline, dcol;
} insn_rec;

typedef struct pending_buffer {
  sc_prog_buffer b;
  char *name, *path; /* owned */
  uint8_t *data;     /* owned */
  uint32_t line, col;
} pending_buffer;

typedef struct asm_ctx {
  const char *text;
  size_t len;
  const char *file;

  /* lexer */
  size_t pos, line_start;
  uint32_t line;

  /* diagnostics */
  diag *diags;
  size_t n_diags, cap_diags;
  bool stop; /* SC_ASM_MAX_ERRORS reached */
  bool oom;

  sym *syms;
  size_t n_syms, cap_syms;
  label *labels;
  size_t n_labels, cap_labels;
  /* indices of syms and labels by name (open addressing, UINT32_MAX empty) */
  uint32_t *sym_slots, *label_slots;
  size_t sym_cap, label_cap;
  section *sects;
  size_t n_sects, cap_sects;
  size_t cur_sect; /* SIZE_MAX before any section */
  insn_rec *insns;
  size_t n_insns, cap_insns;
  pending_buffer *bufs;
  size_t n_bufs, cap_bufs;

  /* .arch / .fingerprint */
  char *arch_text;
  uint32_t arch_line, arch_col;
  bool have_fp;
  uint64_t fp;
  uint32_t fp_line;

  /* the pending .loc */
  bool loc_set, loc_none;
  char *loc_where;
  uint32_t loc_line, loc_col;

  /* pass 2: the instruction being parsed, for the resolve callback */
  const insn_rec *cur;
  bool resolve_missed, missed_pcrel;
} asm_ctx;

/* ---- memory ---- */

/* Grows *arr (of *cap elements of size sz) to hold n + 1. */
static bool grow(asm_ctx *a, void **arr, size_t *cap, size_t n, size_t sz) {
  if (n < *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 16, bytes;
  if (!sc_mul_size(ncap, sz, &bytes)) {
    a->oom = true;
    return false;
  }
  void *p = realloc(*arr, bytes);
  if (!p) {
    a->oom = true;
    return false;
  }
  *arr = p;
  *cap = ncap;
  return true;
}
#define GROW(a, arr, n, cap) grow((a), (void **)&(arr), &(cap), (n), sizeof *(arr))

static char *dup_n(asm_ctx *a, const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) {
    a->oom = true;
    return NULL;
  }
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* ---- diagnostics ---- */

SC_PRINTF(4, 5)
static void error_at(asm_ctx *a, uint32_t line, uint32_t col, const char *fmt, ...) {
  if (a->stop) return;
  if (a->n_diags == SC_ASM_MAX_ERRORS) {
    a->stop = true;
    return;
  }
  if (!GROW(a, a->diags, a->n_diags, a->cap_diags)) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* Messages quote source bytes; keep the diagnostic one printable line. */
  for (char *p = msg; *p; p++)
    if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f) *p = '?';
  char *m = dup_n(a, msg, strlen(msg));
  if (!m) return;
  a->diags[a->n_diags] = (diag){line, col, a->n_diags, m};
  a->n_diags++;
}

static uint32_t col_of(const asm_ctx *a, size_t pos) {
  size_t c = pos - a->line_start + 1;
  return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

#define ERR(a, pos, ...) error_at((a), (a)->line, col_of((a), (pos)), __VA_ARGS__)

/* ---- the lexer ---- */

static char peek(const asm_ctx *a) {
  return a->pos < a->len ? a->text[a->pos] : '\0';
}
static char peek_at(const asm_ctx *a, size_t off) {
  return a->pos + off < a->len ? a->text[a->pos + off] : '\0';
}
static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}
static void skip_blank(asm_ctx *a) {
  while (a->pos < a->len && is_blank(a->text[a->pos])) a->pos++;
}
/* End of statement: end of text, a newline or a comment. */
static bool at_eol(const asm_ctx *a) {
  return a->pos >= a->len || a->text[a->pos] == '\n' || a->text[a->pos] == '#';
}
static void newline(asm_ctx *a) {
  a->pos++;
  a->line_start = a->pos;
  if (a->line < UINT32_MAX) a->line++;
}
/* Inside braces: blanks, comments and newlines all separate. */
static void skip_space_nl(asm_ctx *a) {
  for (;;) {
    skip_blank(a);
    if (peek(a) == '#')
      while (a->pos < a->len && a->text[a->pos] != '\n') a->pos++;
    if (a->pos < a->len && a->text[a->pos] == '\n')
      newline(a);
    else
      return;
  }
}
/* Skips the rest of a statement after an error; a brace block started on this
 * line is skipped to its end so that its lines are not read as statements. */
static void skip_statement(asm_ctx *a) {
  int depth = 0;
  while (a->pos < a->len) {
    char c = a->text[a->pos];
    if (c == '\n') {
      if (depth == 0) return;
      newline(a);
      continue;
    }
    if (c == '#') {
      while (a->pos < a->len && a->text[a->pos] != '\n') a->pos++;
      continue;
    }
    if (c == '"') {
      a->pos++;
      while (a->pos < a->len && a->text[a->pos] != '"' && a->text[a->pos] != '\n') {
        if (a->text[a->pos] == '\\' && a->pos + 1 < a->len && a->text[a->pos + 1] != '\n') a->pos++;
        a->pos++;
      }
      if (peek(a) == '"') a->pos++;
      continue;
    }
    if (c == '{') depth++;
    if (c == '}' && depth > 0) depth--;
    a->pos++;
  }
}

/* What is at the cursor, for messages. */
static const char *found(const asm_ctx *a, char *tmp, size_t n) {
  if (a->pos >= a->len || a->text[a->pos] == '\n') return "end of line";
  if (a->text[a->pos] == '#') return "a comment";
  unsigned char c = (unsigned char)a->text[a->pos];
  if (c >= 0x20 && c < 0x7f)
    snprintf(tmp, n, "'%c'", c);
  else
    snprintf(tmp, n, "byte 0x%02x", c);
  return tmp;
}

static size_t ident_len(const asm_ctx *a) {
  if (!asm_is_ident_start(peek(a))) return 0;
  size_t n = 1;
  while (a->pos + n < a->len && asm_is_ident_char(a->text[a->pos + n])) n++;
  return n;
}

static bool word_is(const asm_ctx *a, size_t at, size_t n, const char *w) {
  return strlen(w) == n && memcmp(a->text + at, w, n) == 0;
}

/* Expects the character c (after blanks); reports and returns false otherwise. */
static bool expect(asm_ctx *a, char c, const char *what) {
  skip_blank(a);
  if (peek(a) == c) {
    a->pos++;
    return true;
  }
  char tmp[16];
  ERR(a, a->pos, "expected '%c' %s, found %s", c, what, found(a, tmp, sizeof tmp));
  return false;
}

static bool expect_eol(asm_ctx *a, const char *what) {
  skip_blank(a);
  if (at_eol(a)) return true;
  char tmp[16];
  ERR(a, a->pos, "unexpected %s after %s", found(a, tmp, sizeof tmp), what);
  return false;
}

/* An unsigned decimal or 0x-hex literal (any value up to 2^64 - 1). */
static bool read_uint(asm_ctx *a, uint64_t *v) {
  size_t p = a->pos;
  unsigned base = 10;
  if (peek(a) == '0' && (peek_at(a, 1) == 'x' || peek_at(a, 1) == 'X')) {
    base = 16;
    p += 2;
  }
  uint64_t acc = 0;
  size_t digits = 0;
  bool over = false;
  for (; p < a->len; p++, digits++) {
    char c = a->text[p];
    unsigned d;
    if (asm_is_digit(c))
      d = (unsigned)(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      break;
    if (acc > (UINT64_MAX - d) / base) over = true;
    acc = acc * base + d;
  }
  if (digits == 0 || (p < a->len && asm_is_ident_char(a->text[p]))) {
    ERR(a, a->pos, "malformed number");
    return false;
  }
  if (over) {
    ERR(a, a->pos, "number does not fit in 64 bits");
    return false;
  }
  a->pos = p;
  *v = acc;
  return true;
}

/* A "string" on one line into a malloc'd NUL-terminated copy. */
static char *read_string(asm_ctx *a) {
  size_t start = a->pos;
  if (peek(a) != '"') {
    char tmp[16];
    ERR(a, a->pos, "expected a string in double quotes, found %s", found(a, tmp, sizeof tmp));
    return NULL;
  }
  a->pos++;
  sc_strbuf s = {0};
  for (;;) {
    if (at_eol(a) && peek(a) != '#') {
      ERR(a, start, "unterminated string");
      break;
    }
    char c = a->text[a->pos];
    if (c == '\0') {
      ERR(a, a->pos, "NUL byte in a string");
      break;
    }
    if (c == '"') {
      a->pos++;
      if (s.oom) {
        a->oom = true;
        break;
      }
      if (s.len > ASM_MAX_STRING) {
        ERR(a, start, "string longer than %d bytes", ASM_MAX_STRING);
        break;
      }
      if (s.len == 0) {
        ERR(a, start, "empty string");
        break;
      }
      char *r = dup_n(a, sc_strbuf_str(&s), s.len);
      sc_strbuf_free(&s);
      return r;
    }
    if (c == '\\') {
      size_t at = a->pos;
      char e = peek_at(a, 1), out;
      a->pos += 2;
      if (e == '\\' || e == '"') {
        out = e;
      } else if (e == 'x') {
        unsigned v = 0;
        int k = 0;
        for (; k < 2; k++) {
          char h = peek(a);
          unsigned d = asm_is_digit(h)          ? (unsigned)(h - '0')
                       : (h >= 'a' && h <= 'f') ? (unsigned)(h - 'a' + 10)
                       : (h >= 'A' && h <= 'F') ? (unsigned)(h - 'A' + 10)
                                                : 16u;
          if (d == 16) break;
          v = v * 16 + d;
          a->pos++;
        }
        if (k != 2 || v == 0) {
          ERR(a, at, "bad escape: \\x needs two hex digits, not 00");
          break;
        }
        out = (char)v;
      } else {
        ERR(a, at, "unknown escape in string (use \\\\, \\\" or \\xHH)");
        break;
      }
      sc_strbuf_append(&s, &out, 1);
      continue;
    }
    sc_strbuf_append(&s, &c, 1);
    a->pos++;
  }
  sc_strbuf_free(&s);
  return NULL;
}

/* ---- symbols ---- */

/* FNV-1a of n bytes of name, mixed with seed (a label's section). */
static uint64_t name_hash(const char *name, size_t n, uint64_t seed) {
  uint64_t h = 1469598103934665603u ^ (seed * 0x9E3779B97F4A7C15u);
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)name[i]) * 1099511628211u;
  return h;
}

static uint64_t sym_hash(const asm_ctx *a, uint32_t i) {
  return name_hash(a->syms[i].name, strlen(a->syms[i].name), 0);
}
static uint64_t label_hash(const asm_ctx *a, uint32_t i) {
  return name_hash(a->labels[i].name, strlen(a->labels[i].name), a->labels[i].sect);
}

/* Adds item i (of n, the new one last) to an index, rebuilt twice as large
 * when it is half full. */
static bool index_add(asm_ctx *a, uint32_t **slots, size_t *cap, uint32_t i,
                      uint64_t (*hash)(const asm_ctx *, uint32_t)) {
  if ((i + 1) * 2 > *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    uint32_t *t = malloc(nc * sizeof *t);
    if (!t) {
      a->oom = true;
      return false;
    }
    for (size_t j = 0; j < nc; j++) t[j] = UINT32_MAX;
    for (uint32_t k = 0; k < i; k++) {
      size_t j = hash(a, k) & (nc - 1);
      while (t[j] != UINT32_MAX) j = (j + 1) & (nc - 1);
      t[j] = k;
    }
    free(*slots);
    *slots = t;
    *cap = nc;
  }
  size_t j = hash(a, i) & (*cap - 1);
  while ((*slots)[j] != UINT32_MAX) j = (j + 1) & (*cap - 1);
  (*slots)[j] = i;
  return true;
}

static sym *find_sym(asm_ctx *a, const char *name, size_t n) {
  if (!a->sym_cap) return NULL;
  for (size_t j = name_hash(name, n, 0) & (a->sym_cap - 1); a->sym_slots[j] != UINT32_MAX;
       j = (j + 1) & (a->sym_cap - 1)) {
    sym *s = &a->syms[a->sym_slots[j]];
    if (strlen(s->name) == n && memcmp(s->name, name, n) == 0) return s;
  }
  return NULL;
}

static label *find_label(asm_ctx *a, size_t sect, const char *name, size_t n) {
  if (!a->label_cap) return NULL;
  for (size_t j = name_hash(name, n, sect) & (a->label_cap - 1); a->label_slots[j] != UINT32_MAX;
       j = (j + 1) & (a->label_cap - 1)) {
    label *l = &a->labels[a->label_slots[j]];
    if (l->sect == sect && strlen(l->name) == n && memcmp(l->name, name, n) == 0) return l;
  }
  return NULL;
}

/* Defines a constant or buffer name; reports a duplicate at col. */
static bool define_sym(asm_ctx *a, const char *name, sym_kind kind, int64_t value, size_t at) {
  sym *old = find_sym(a, name, strlen(name));
  if (old) {
    ERR(a, at, "duplicate name '%s' (a %s defined at line %" PRIu32 ")", name,
        old->kind == SYM_CONST ? "constant" : "buffer", old->line);
    return false;
  }
  if (!GROW(a, a->syms, a->n_syms, a->cap_syms)) return false;
  char *d = dup_n(a, name, strlen(name));
  if (!d) return false;
  a->syms[a->n_syms++] = (sym){d, kind, value, a->line};
  return index_add(a, &a->sym_slots, &a->sym_cap, (uint32_t)(a->n_syms - 1), sym_hash);
}

/* ---- expressions: integers with C precedence, checked for overflow ---- */

static bool expr_or(asm_ctx *a, int64_t *v, int depth);

static bool expr_primary(asm_ctx *a, int64_t *v, int depth) {
  skip_blank(a);
  size_t at = a->pos;
  char c = peek(a);
  if (depth > EXPR_MAX_DEPTH) {
    ERR(a, at, "expression nested too deeply");
    return false;
  }
  if (c == '(') {
    a->pos++;
    if (!expr_or(a, v, depth + 1)) return false;
    return expect(a, ')', "to close the parenthesis");
  }
  if (c == '-' || c == '+' || c == '~') {
    a->pos++;
    int64_t x;
    if (!expr_primary(a, &x, depth + 1)) return false;
    if (c == '-' && x == INT64_MIN) {
      ERR(a, at, "overflow: -(%" PRId64 ") does not fit in 64 bits", x);
      return false;
    }
    *v = c == '-' ? -x : c == '~' ? ~x : x;
    return true;
  }
  if (asm_is_digit(c)) {
    bool hex = c == '0' && (peek_at(a, 1) == 'x' || peek_at(a, 1) == 'X');
    uint64_t u;
    if (!read_uint(a, &u)) return false;
    /* hex literals are 64-bit patterns; decimal ones are values */
    if (!hex && u > (uint64_t)INT64_MAX) {
      ERR(a, at, "number does not fit in a signed 64-bit value (write it in hex)");
      return false;
    }
    *v = (int64_t)u;
    return true;
  }
  size_t n = ident_len(a);
  if (n) {
    const sym *s = find_sym(a, a->text + at, n);
    if (!s) {
      ERR(a, at, "undefined name '%.*s' (constants and buffers must be defined before use here)",
          (int)n, a->text + at);
      return false;
    }
    a->pos += n;
    *v = s->value;
    return true;
  }
  char tmp[16];
  ERR(a, at, "expected a number, a name or '(', found %s", found(a, tmp, sizeof tmp));
  return false;
}

static bool expr_mul(asm_ctx *a, int64_t *v, int depth) {
  if (!expr_primary(a, v, depth)) return false;
  for (;;) {
    skip_blank(a);
    char op = peek(a);
    if (op != '*' && op != '/') return true;
    size_t at = a->pos++;
    int64_t r;
    if (!expr_primary(a, &r, depth)) return false;
    if (op == '*') {
      if (__builtin_mul_overflow(*v, r, v)) {
        ERR(a, at, "overflow in '*': the product does not fit in 64 bits");
        return false;
      }
    } else {
      if (r == 0) {
        ERR(a, at, "division by zero");
        return false;
      }
      if (*v == INT64_MIN && r == -1) {
        ERR(a, at, "overflow in '/': the quotient does not fit in 64 bits");
        return false;
      }
      *v /= r;
    }
  }
}

static bool expr_add(asm_ctx *a, int64_t *v, int depth) {
  if (!expr_mul(a, v, depth)) return false;
  for (;;) {
    skip_blank(a);
    char op = peek(a);
    if (op != '+' && op != '-') return true;
    size_t at = a->pos++;
    int64_t r;
    if (!expr_mul(a, &r, depth)) return false;
    bool over = op == '+' ? __builtin_add_overflow(*v, r, v) : __builtin_sub_overflow(*v, r, v);
    if (over) {
      ERR(a, at, "overflow in '%c': the result does not fit in 64 bits", op);
      return false;
    }
  }
}

static bool expr_shift(asm_ctx *a, int64_t *v, int depth) {
  if (!expr_add(a, v, depth)) return false;
  for (;;) {
    skip_blank(a);
    char op = peek(a);
    if (!((op == '<' || op == '>') && peek_at(a, 1) == op)) return true;
    size_t at = a->pos;
    a->pos += 2;
    int64_t r;
    if (!expr_add(a, &r, depth)) return false;
    if (r < 0 || r > 63) {
      ERR(a, at, "shift by %" PRId64 ": the count must be 0 to 63", r);
      return false;
    }
    if (op == '<') {
      int64_t shifted = (int64_t)((uint64_t)*v << r);
      if ((shifted >> r) != *v) { /* arithmetic >> is what GCC and Clang do */
        ERR(a, at, "overflow in '<<': the result does not fit in 64 bits");
        return false;
      }
      *v = shifted;
    } else {
      *v = *v >> r;
    }
  }
}

static bool expr_and(asm_ctx *a, int64_t *v, int depth) {
  if (!expr_shift(a, v, depth)) return false;
  for (;;) {
    skip_blank(a);
    if (peek(a) != '&') return true;
    a->pos++;
    int64_t r;
    if (!expr_shift(a, &r, depth)) return false;
    *v &= r;
  }
}

static bool expr_or(asm_ctx *a, int64_t *v, int depth) {
  if (!expr_and(a, v, depth)) return false;
  for (;;) {
    skip_blank(a);
    if (peek(a) != '|') return true;
    a->pos++;
    int64_t r;
    if (!expr_and(a, &r, depth)) return false;
    *v |= r;
  }
}

static bool expr(asm_ctx *a, int64_t *v) {
  return expr_or(a, v, 0);
}

/* ---- sections ---- */

static bool new_section(asm_ctx *a, uint32_t first, uint32_t last, uint32_t line, uint32_t col) {
  for (size_t i = 0; i < a->n_sects; i++) {
    const section *s = &a->sects[i];
    if (first <= s->last && s->first <= last) {
      error_at(a, line, col, "core %" PRIu32 " already has a section (line %" PRIu32 ")",
               first > s->first ? first : s->first, s->line);
      return false;
    }
  }
  if (!GROW(a, a->sects, a->n_sects, a->cap_sects)) return false;
  a->sects[a->n_sects] = (section){first, last, line, col, 0, NULL};
  a->cur_sect = a->n_sects++;
  return true;
}

/* The current section; instructions and labels before any .core open core 0's. */
static bool current_section(asm_ctx *a, size_t at) {
  if (a->cur_sect != SIZE_MAX) return true;
  return new_section(a, 0, 0, a->line, col_of(a, at));
}

/* ---- directives ---- */

static void dir_arch(asm_ctx *a, size_t at) {
  skip_blank(a);
  size_t vat = a->pos;
  char *name;
  if (peek(a) == '"') {
    if (!(name = read_string(a))) return;
  } else {
    size_t n = 0;
    while (a->pos + n < a->len && asm_is_bare_arch_char(a->text[a->pos + n])) n++;
    if (n == 0) {
      char tmp[16];
      ERR(a, vat, ".arch: expected a preset name, a path or a \"string\", found %s",
          found(a, tmp, sizeof tmp));
      return;
    }
    if (!(name = dup_n(a, a->text + a->pos, n))) return;
    a->pos += n;
  }
  if (!expect_eol(a, "the architecture")) {
    free(name);
    return;
  }
  if (a->arch_text) {
    ERR(a, at, "duplicate .arch (first at line %" PRIu32 ")", a->arch_line);
    free(name);
    return;
  }
  a->arch_text = name;
  a->arch_line = a->line;
  a->arch_col = col_of(a, vat);
}

static void dir_fingerprint(asm_ctx *a, size_t at) {
  int64_t v;
  if (!expr(a, &v) || !expect_eol(a, "the fingerprint")) return;
  if (a->have_fp) {
    ERR(a, at, "duplicate .fingerprint (first at line %" PRIu32 ")", a->fp_line);
    return;
  }
  a->have_fp = true;
  a->fp = (uint64_t)v;
  a->fp_line = a->line;
}

static void dir_const(asm_ctx *a) {
  skip_blank(a);
  size_t nat = a->pos, n = ident_len(a);
  if (n == 0) {
    char tmp[16];
    ERR(a, nat, ".const: expected a name, found %s", found(a, tmp, sizeof tmp));
    return;
  }
  a->pos += n;
  int64_t v;
  if (!expect(a, '=', "after the constant's name") || !expr(a, &v) ||
      !expect_eol(a, "the expression"))
    return;
  char name[SC_PROG_MAX_NAME + 1];
  if (n > SC_PROG_MAX_NAME) {
    ERR(a, nat, "name longer than %d bytes", SC_PROG_MAX_NAME);
    return;
  }
  memcpy(name, a->text + nat, n);
  name[n] = '\0';
  define_sym(a, name, SYM_CONST, v, nat);
}

/* A literal of inline data: an integer or a float, as one token. */
typedef struct literal {
  bool is_int;
  int64_t i;
  float f;
} literal;

static bool read_literal(asm_ctx *a, literal *out) {
  size_t at = a->pos, n = 0;
  char tok[72];
  if (peek(a) == '-' || peek(a) == '+') n++;
  bool hex = peek_at(a, n) == '0' && (peek_at(a, n + 1) == 'x' || peek_at(a, n + 1) == 'X');
  while (a->pos + n < a->len) {
    char c = a->text[a->pos + n], prev = a->text[a->pos + n - (n > 0)];
    if (asm_is_ident_char(c) ||
        ((c == '+' || c == '-') && n > 0 && !hex && (prev == 'e' || prev == 'E')))
      n++;
    else
      break;
  }
  if (n == 0 || n >= sizeof tok) {
    char tmp[16];
    ERR(a, at, "expected a number, found %s", n ? "a token too long" : found(a, tmp, sizeof tmp));
    return false;
  }
  memcpy(tok, a->text + at, n);
  tok[n] = '\0';
  const char *digits = tok + (tok[0] == '-' || tok[0] == '+');
  bool integral = *digits != '\0';
  for (const char *p = digits + (hex ? 2 : 0); *p; p++)
    if (!(asm_is_digit(*p) || (hex && ((*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))))
      integral = false;
  if (hex && digits[2] == '\0') integral = false;
  char *end;
  errno = 0;
  if (integral) {
    out->is_int = true;
    uint64_t u = strtoull(digits, &end, hex ? 16 : 10);
    bool neg = tok[0] == '-';
    if (errno || *end || (!neg && u > (uint64_t)INT64_MAX) ||
        (neg && u > (uint64_t)INT64_MAX + 1)) {
      ERR(a, at, "integer '%s' does not fit in 64 bits", tok);
      return false;
    }
    out->i = neg ? (int64_t)(0 - u) : (int64_t)u;
  } else {
    out->is_int = false;
    out->f = strtof(tok, &end);
    if (*end || end == tok) {
      ERR(a, at, "malformed number '%s'", tok);
      return false;
    }
  }
  a->pos += n;
  return true;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* Appends element number idx of dtype dt with value lit to *s (INT4 packs two
 * per byte, element 2i in the low nibble). */
static void put_elem(sc_strbuf *s, sc_dtype dt, size_t idx, const literal *lit) {
  float f = lit->is_int ? (float)lit->i : lit->f;
  uint8_t b[4];
  size_t n = 0;
  switch (dt) {
  case SC_DTYPE_FP32: {
    uint32_t u;
    memcpy(&u, &f, 4);
    for (n = 0; n < 4; n++) b[n] = (uint8_t)(u >> (8 * n));
    break;
  }
  case SC_DTYPE_BF16:
  case SC_DTYPE_FP16: {
    uint16_t u = dt == SC_DTYPE_BF16 ? sc_f32_to_bf16(f) : sc_f32_to_fp16(f);
    b[0] = (uint8_t)u;
    b[1] = (uint8_t)(u >> 8);
    n = 2;
    break;
  }
  case SC_DTYPE_FP8_E4M3:
    b[n++] = sc_f32_to_fp8e4m3(f, SC_FP8_SATURATE);
    break;
  case SC_DTYPE_FP8_E5M2:
    b[n++] = sc_f32_to_fp8e5m2(f, SC_FP8_SATURATE);
    break;
  case SC_DTYPE_INT8:
    b[n++] = (uint8_t)(lit->is_int ? (int8_t)clamp(lit->i, -128, 127) : sc_f32_to_int8(f));
    break;
  case SC_DTYPE_INT32: {
    int32_t v = lit->is_int ? (int32_t)clamp(lit->i, INT32_MIN, INT32_MAX) : sc_f32_to_int32(f);
    for (n = 0; n < 4; n++) b[n] = (uint8_t)((uint32_t)v >> (8 * n));
    break;
  }
  case SC_DTYPE_INT4: {
    int8_t v = lit->is_int ? (int8_t)clamp(lit->i, -8, 7) : sc_f32_to_int4(f);
    if (idx % 2 == 0) {
      uint8_t lo = sc_int4_pack(v, 0);
      sc_strbuf_append(s, (const char *)&lo, 1);
    } else if (s->len && s->data) {
      s->data[s->len - 1] = (char)sc_int4_pack(sc_int4_unpack((uint8_t)s->data[s->len - 1], 0), v);
    }
    return;
  }
  default:
    return;
  }
  sc_strbuf_append(s, (const char *)b, n);
}

/* `= { v, ... }` or `= bytes { b, ... }` after the '{': fills *data. */
static bool read_data(asm_ctx *a, pending_buffer *pb, bool raw, uint64_t n_elems, size_t open_at,
                      uint32_t open_line) {
  sc_strbuf s = {0};
  uint64_t count = 0;
  bool ok = true;
  uint32_t open_col = col_of(a, open_at);
  skip_space_nl(a);
  while (peek(a) != '}') {
    if (a->pos >= a->len) {
      error_at(a, open_line, open_col, "unterminated '{': expected '}'");
      sc_strbuf_free(&s);
      return false;
    }
    size_t at = a->pos;
    literal lit;
    if (!read_literal(a, &lit)) {
      ok = false;
      break;
    }
    if (raw) {
      if (!lit.is_int || lit.i < 0 || lit.i > 255) {
        ERR(a, at, "bytes: each value must be an integer 0 to 255");
        ok = false;
        break;
      }
      uint8_t b = (uint8_t)lit.i;
      sc_strbuf_append(&s, (const char *)&b, 1);
    } else {
      put_elem(&s, pb->b.dtype, (size_t)count, &lit);
    }
    count++;
    skip_space_nl(a);
    if (peek(a) == ',') {
      a->pos++;
      skip_space_nl(a);
    } else if (a->pos >= a->len) {
      error_at(a, open_line, open_col, "unterminated '{': expected '}'");
      ok = false;
      break;
    } else if (peek(a) != '}') {
      char tmp[16];
      ERR(a, a->pos, "expected ',' or '}' in the data, found %s", found(a, tmp, sizeof tmp));
      ok = false;
      break;
    }
  }
  if (!ok) {
    sc_strbuf_free(&s);
    skip_statement(a); /* the rest of the block */
    if (peek(a) == '}') a->pos++;
    return false;
  }
  a->pos++; /* '}' */
  if (s.oom) {
    a->oom = true;
    sc_strbuf_free(&s);
    return false;
  }
  uint64_t want = raw ? pb->b.size_bytes : n_elems;
  if (count != want) {
    error_at(a, open_line, open_col, "buffer '%s': %" PRIu64 " %s for %" PRIu64 " %s", pb->name,
             count, raw ? "bytes" : "values", want, raw ? "bytes" : "elements");
    sc_strbuf_free(&s);
    return false;
  }
  pb->data = (uint8_t *)s.data; /* take ownership */
  if (!pb->data) pb->data = calloc(1, 1);
  return true;
}

static void free_pending(pending_buffer *pb) {
  free(pb->name);
  free(pb->path);
  free(pb->data);
}

static void dir_buffer(asm_ctx *a, size_t at) {
  pending_buffer pb = {.line = a->line, .col = col_of(a, at)};
  char tmp[16];
  skip_blank(a);
  size_t nat = a->pos;
  if (peek(a) == '"') {
    if (!(pb.name = read_string(a))) goto fail;
  } else {
    size_t n = ident_len(a);
    if (n == 0) {
      ERR(a, nat, ".buffer: expected a name, found %s", found(a, tmp, sizeof tmp));
      goto fail;
    }
    if (!(pb.name = dup_n(a, a->text + nat, n))) goto fail;
    a->pos += n;
  }
  if (strlen(pb.name) > SC_PROG_MAX_NAME) {
    ERR(a, nat, "buffer name longer than %d bytes", SC_PROG_MAX_NAME);
    goto fail;
  }
  pb.b.name = pb.name;

  skip_blank(a);
  size_t rat = a->pos, n = ident_len(a);
  int role = 0;
  for (; role < SC_PROG_ROLE_COUNT; role++)
    if (word_is(a, rat, n, sc_prog_role_name((sc_prog_role)role))) break;
  if (n == 0 || role == SC_PROG_ROLE_COUNT) {
    ERR(a, rat, ".buffer: expected a role (input, output, state, const, scratch), found '%.*s'",
        (int)(n ? n : 1), n ? a->text + rat : "?");
    goto fail;
  }
  pb.b.role = (sc_prog_role)role;
  a->pos += n;

  skip_blank(a);
  size_t dat = a->pos;
  n = ident_len(a);
  char dname[16] = "";
  if (n > 0 && n < sizeof dname) memcpy(dname, a->text + dat, n);
  if (n == 0 || n >= sizeof dname || !sc_dtype_from_name(dname, &pb.b.dtype)) {
    ERR(a, dat,
        ".buffer: expected a dtype (fp32, bf16, fp16, fp8e4m3, fp8e5m2, int8, int4, int32)");
    goto fail;
  }
  a->pos += n;

  if (!expect(a, '[', "before the shape")) goto fail;
  uint64_t n_elems = 1;
  skip_blank(a);
  if (peek(a) != ']') {
    for (;;) {
      skip_blank(a);
      size_t eat = a->pos;
      int64_t d;
      if (!expr(a, &d)) goto fail;
      if (d < 1) {
        ERR(a, eat, "shape: each dimension must be at least 1, got %" PRId64, d);
        goto fail;
      }
      if (pb.b.rank == SC_PROG_MAX_RANK) {
        ERR(a, eat, "shape: at most %d dimensions", SC_PROG_MAX_RANK);
        goto fail;
      }
      if (__builtin_mul_overflow(n_elems, (uint64_t)d, &n_elems)) {
        ERR(a, eat, "shape: the element count overflows 64 bits");
        goto fail;
      }
      pb.b.shape[pb.b.rank++] = (uint64_t)d;
      skip_blank(a);
      if (peek(a) == ',') {
        a->pos++;
        continue;
      }
      break;
    }
  }
  if (!expect(a, ']', "after the shape")) goto fail;
  unsigned bits = sc_dtype_bits(pb.b.dtype);
  if (n_elems > UINT64_MAX / bits) {
    ERR(a, dat, "buffer '%s': the size overflows 64 bits", pb.name);
    goto fail;
  }
  pb.b.size_bytes = (n_elems * bits + 7) / 8;

  if (!expect(a, '@', "before the address")) goto fail;
  skip_blank(a);
  size_t aat = a->pos;
  int64_t addr;
  if (!expr(a, &addr)) goto fail;
  if (addr < 0) {
    ERR(a, aat, "buffer '%s': negative address %" PRId64, pb.name, addr);
    goto fail;
  }
  pb.b.addr = (uint64_t)addr;

  skip_blank(a);
  if (peek(a) == '=') {
    size_t eq = a->pos++;
    if (pb.b.role != SC_PROG_ROLE_CONST) {
      ERR(a, eq, "buffer '%s': only const buffers take initial data", pb.name);
      goto fail;
    }
    skip_blank(a);
    size_t kat = a->pos;
    n = ident_len(a);
    if (word_is(a, kat, n, "extern")) {
      a->pos += n;
      skip_blank(a);
      if (!(pb.path = read_string(a))) goto fail;
      skip_blank(a);
      int64_t off = 0;
      if (peek(a) == '+') {
        a->pos++;
        skip_blank(a);
        size_t oat = a->pos;
        if (!expr(a, &off)) goto fail;
        if (off < 0) {
          ERR(a, oat, "buffer '%s': negative external offset", pb.name);
          goto fail;
        }
      }
      pb.b.init = SC_PROG_INIT_EXTERNAL;
      pb.b.ext_path = pb.path;
      pb.b.ext_offset = (uint64_t)off;
    } else {
      bool raw = word_is(a, kat, n, "bytes");
      if (raw) {
        a->pos += n;
        skip_blank(a);
      }
      if (peek(a) != '{') {
        ERR(a, a->pos, "buffer '%s': expected '{ values }', 'bytes { ... }' or 'extern \"path\"'",
            pb.name);
        goto fail;
      }
      size_t open = a->pos++;
      if (!read_data(a, &pb, raw, n_elems, open, a->line)) goto fail_skipped;
      pb.b.init = SC_PROG_INIT_INLINE;
      pb.b.data = pb.data;
    }
  } else if (pb.b.role == SC_PROG_ROLE_CONST) {
    ERR(a, a->pos,
        "buffer '%s': a const buffer needs '= { values }', '= bytes { ... }' or "
        "'= extern \"path\" + offset'",
        pb.name);
    goto fail;
  }
  if (!expect_eol(a, "the buffer")) goto fail;
  if (!define_sym(a, pb.name, SYM_BUFFER, addr, nat)) goto fail;
  if (!GROW(a, a->bufs, a->n_bufs, a->cap_bufs)) goto fail;
  a->bufs[a->n_bufs++] = pb;
  return;
fail:
  skip_statement(a);
fail_skipped:
  free_pending(&pb);
}

static bool read_core_number(asm_ctx *a, uint32_t *v) {
  size_t at = a->pos;
  uint64_t u;
  if (!asm_is_digit(peek(a))) {
    char tmp[16];
    ERR(a, at, ".core: expected a core number, found %s", found(a, tmp, sizeof tmp));
    return false;
  }
  if (!read_uint(a, &u)) return false;
  if (u >= SC_PROG_MAX_CORES) {
    ERR(a, at, ".core: core %" PRIu64 " is beyond the %d cores a program may have", u,
        SC_PROG_MAX_CORES);
    return false;
  }
  *v = (uint32_t)u;
  return true;
}

static void dir_core(asm_ctx *a, size_t at) {
  skip_blank(a);
  uint32_t first, last;
  size_t nat = a->pos;
  if (!read_core_number(a, &first)) return;
  last = first;
  if (peek(a) == '-') {
    a->pos++;
    if (!read_core_number(a, &last)) return;
    if (last < first) {
      ERR(a, nat, ".core: empty range %" PRIu32 "-%" PRIu32, first, last);
      return;
    }
  }
  if (!expect_eol(a, "the core range")) return;
  if (!new_section(a, first, last, a->line, col_of(a, at))) {
    /* keep collecting in a section of its own so labels do not leak */
    a->cur_sect = SIZE_MAX - 1;
  }
}

static void dir_loc(asm_ctx *a, size_t at) {
  skip_blank(a);
  size_t n = ident_len(a);
  free(a->loc_where);
  a->loc_where = NULL;
  a->loc_set = false;
  if (word_is(a, a->pos, n, "none")) {
    a->pos += n;
    if (!expect_eol(a, ".loc none")) return;
    a->loc_set = a->loc_none = true;
    return;
  }
  char *w = read_string(a);
  if (!w) return;
  if (strlen(w) > SC_PROG_MAX_NAME) {
    ERR(a, at, ".loc: place longer than %d bytes", SC_PROG_MAX_NAME);
    free(w);
    return;
  }
  uint64_t v[2];
  for (int i = 0; i < 2; i++) {
    skip_blank(a);
    if (!asm_is_digit(peek(a))) {
      char tmp[16];
      ERR(a, a->pos, ".loc: expected a %s number, found %s", i ? "column" : "line",
          found(a, tmp, sizeof tmp));
      free(w);
      return;
    }
    size_t nat = a->pos;
    if (!read_uint(a, &v[i])) {
      free(w);
      return;
    }
    if (v[i] > UINT32_MAX) {
      ERR(a, nat, ".loc: number above %u", UINT32_MAX);
      free(w);
      return;
    }
  }
  if (!expect_eol(a, ".loc")) {
    free(w);
    return;
  }
  a->loc_set = true;
  a->loc_none = false;
  a->loc_where = w;
  a->loc_line = (uint32_t)v[0];
  a->loc_col = (uint32_t)v[1];
}

/* ---- pass 1 ---- */

static void record_insn(asm_ctx *a, insn_kind kind, size_t at) {
  if (!current_section(a, at)) {
    a->cur_sect = SIZE_MAX - 1;
  }
  if (a->cur_sect >= a->n_sects) return; /* a bad .core: its instructions are not checked */
  section *s = &a->sects[a->cur_sect];
  uint32_t n = kind == INSN_LI64 ? 2 : 1;
  if (s->n_words > UINT32_MAX - n) {
    ERR(a, at, "too many instructions in this section");
    return;
  }
  if (!GROW(a, a->insns, a->n_insns, a->cap_insns)) return;
  insn_rec r = {kind,          a->cur_sect, s->n_words, at,      a->line_start, a->line,
                col_of(a, at), true,        NULL,       a->line, col_of(a, at)};
  if (a->loc_set) {
    r.has_debug = !a->loc_none;
    r.where = a->loc_where;
    r.dline = a->loc_line;
    r.dcol = a->loc_col;
    a->loc_where = NULL;
    a->loc_set = a->loc_none = false;
  }
  a->insns[a->n_insns++] = r;
  s->n_words += n;
}

static void statement(asm_ctx *a) {
  skip_blank(a);
  /* labels */
  for (;;) {
    size_t at = a->pos, n = ident_len(a);
    if (n == 0 || peek_at(a, n) != ':') break;
    a->pos += n + 1;
    if (!current_section(a, at)) a->cur_sect = SIZE_MAX - 1;
    if (a->cur_sect < a->n_sects) {
      const section *s = &a->sects[a->cur_sect];
      label *old = find_label(a, a->cur_sect, a->text + at, n);
      if (old) {
        ERR(a, at, "duplicate label '%.*s' (defined at line %" PRIu32 ")", (int)n, a->text + at,
            old->line);
      } else if (GROW(a, a->labels, a->n_labels, a->cap_labels)) {
        char *d = dup_n(a, a->text + at, n);
        if (d) {
          a->labels[a->n_labels++] = (label){d, a->cur_sect, s->n_words, a->line};
          index_add(a, &a->label_slots, &a->label_cap, (uint32_t)(a->n_labels - 1), label_hash);
        }
      }
    }
    skip_blank(a);
  }
  if (at_eol(a)) return;
  size_t at = a->pos;
  if (peek(a) == '.') {
    a->pos++;
    size_t n = ident_len(a);
    const char *d = a->text + a->pos;
    a->pos += n;
    if (n == 4 && memcmp(d, "arch", 4) == 0)
      dir_arch(a, at);
    else if (n == 11 && memcmp(d, "fingerprint", 11) == 0)
      dir_fingerprint(a, at);
    else if (n == 5 && memcmp(d, "const", 5) == 0)
      dir_const(a);
    else if (n == 6 && memcmp(d, "buffer", 6) == 0) {
      dir_buffer(a, at);
      return; /* it skips its own statement on error */
    } else if (n == 4 && memcmp(d, "core", 4) == 0)
      dir_core(a, at);
    else if (n == 3 && memcmp(d, "loc", 3) == 0)
      dir_loc(a, at);
    else if (n == 4 && memcmp(d, "word", 4) == 0)
      record_insn(a, INSN_WORD, at);
    else
      ERR(a, at,
          "unknown directive '.%.*s' (expected .arch, .fingerprint, .const, .buffer, "
          ".core, .loc or .word)",
          (int)n, d);
    skip_statement(a);
    return;
  }
  size_t n = 0;
  while (a->pos + n < a->len && asm_is_ident_char(a->text[a->pos + n])) n++;
  insn_kind k = word_is(a, at, n, "mv")     ? INSN_MV
                : word_is(a, at, n, "j")    ? INSN_J
                : word_is(a, at, n, "lif")  ? INSN_LIF
                : word_is(a, at, n, "li64") ? INSN_LI64
                                            : INSN_REAL;
  record_insn(a, k, at); /* unknown mnemonics are reported by pass 2 */
  skip_statement(a);
}

/* ---- pass 2 ---- */

/* A line of text spliced from pieces of the source, with a map back to source
 * columns: a pseudo-instruction is parsed as the real one it expands to, and
 * sc_isa_parse's column points into the source. */
typedef struct splice_seg {
  size_t at, len, src; /* text[at, at+len) came from source offset src */
  bool copied;         /* else inserted: every column maps to src */
} splice_seg;

typedef struct splice {
  sc_strbuf text;
  splice_seg seg[6];
  int n;
} splice;

static void sp_add(splice *sp, const char *s, size_t len, size_t src, bool copied) {
  if (sp->n < 6) sp->seg[sp->n++] = (splice_seg){sp->text.len, len, src, copied};
  sc_strbuf_append(&sp->text, s, len);
}

static size_t sp_map(const splice *sp, size_t col0) {
  for (int i = 0; i < sp->n; i++) {
    if (col0 < sp->seg[i].at + sp->seg[i].len || i == sp->n - 1) {
      size_t d = col0 >= sp->seg[i].at ? col0 - sp->seg[i].at : 0;
      return sp->seg[i].copied ? sp->seg[i].src + d : sp->seg[i].src;
    }
  }
  return 0;
}

static sc_status resolve(void *ctx, const char *name, size_t len, const sc_isa_field *f,
                         int64_t *value) {
  asm_ctx *a = ctx;
  if (f->kind == SC_ISA_KIND_PCREL) {
    const label *l = find_label(a, a->cur->sect, name, len);
    if (l) {
      *value = (int64_t)l->pc - (int64_t)a->cur->pc;
      return SC_STATUS_OK;
    }
  }
  const sym *s = find_sym(a, name, len);
  if (s) {
    *value = s->value;
    return SC_STATUS_OK;
  }
  a->resolve_missed = true;
  a->missed_pcrel = f->kind == SC_ISA_KIND_PCREL;
  return SC_STATUS_NOT_FOUND;
}

/* The end of the statement at off (before a comment), blanks trimmed. */
static size_t stmt_end(const asm_ctx *a, size_t off) {
  size_t e = off;
  while (e < a->len && a->text[e] != '\n' && a->text[e] != '#') e++;
  while (e > off && is_blank(a->text[e - 1])) e--;
  return e;
}

/* Parses the spliced text as one instruction into *w; reports at source cols. */
static bool parse_spliced(asm_ctx *a, const insn_rec *r, const splice *sp, const char *pseudo,
                          uint64_t *w) {
  if (sp->text.oom) {
    a->oom = true;
    return false;
  }
  sc_insn in;
  size_t col = 0;
  char msg[256];
  a->cur = r;
  a->resolve_missed = false;
  const char *t = sc_strbuf_str(&sp->text);
  sc_status st = sc_isa_parse(t, sp->text.len, &in, resolve, a, &col, msg, sizeof msg);
  if (st != SC_STATUS_OK) {
    size_t src = sp_map(sp, col ? col - 1 : 0);
    uint32_t c = col_of(a, src);
    size_t n = 0;
    while (col && col - 1 + n < sp->text.len && asm_is_ident_char(t[col - 1 + n])) n++;
    if (a->resolve_missed && n && asm_is_ident_start(t[col - 1]) && strstr(msg, "unknown name")) {
      /* sc_isa_parse only knows the name was not resolved; say what was missing */
      const char *nm = t + col - 1;
      if (!a->missed_pcrel && find_label(a, r->sect, nm, n))
        error_at(a, r->line, c, "'%.*s' is a label; labels are only branch and jump targets",
                 (int)n, nm);
      else
        error_at(a, r->line, c, "undefined %s '%.*s'",
                 a->missed_pcrel ? "label" : "constant or buffer", (int)n, nm);
      return false;
    }
    if (pseudo)
      error_at(a, r->line, c, "in %s: %s", pseudo, msg);
    else
      error_at(a, r->line, c, "%s", msg);
    return false;
  }
  if (sc_isa_encode(&in, w, msg, sizeof msg) != SC_STATUS_OK) {
    error_at(a, r->line, r->col, "%s", msg);
    return false;
  }
  return true;
}

/* Parses "xN" at the cursor for pseudo operands; reports otherwise. */
static void assemble_insn(asm_ctx *a, const insn_rec *r) {
  section *s = &a->sects[r->sect];
  uint64_t *out = s->words + r->pc;
  a->pos = r->off;
  a->line = r->line;
  a->line_start = r->line_start;
  size_t end = stmt_end(a, r->off);
  size_t mn = 0;
  while (r->off + mn < a->len && asm_is_ident_char(a->text[r->off + mn])) mn++;
  size_t ops = r->off + mn; /* just after the mnemonic */
  splice sp = {0};

  switch (r->kind) {
  case INSN_REAL:
    sp_add(&sp, a->text + r->off, end - r->off, r->off, true);
    parse_spliced(a, r, &sp, NULL, out);
    break;
  case INSN_MV: { /* mv xd, xs = addi xd, xs, 0 (before any @wait/@signal) */
    size_t at = ops;
    while (at < end && a->text[at] != '@') at++;
    size_t trim = at;
    while (trim > ops && is_blank(a->text[trim - 1])) trim--;
    sp_add(&sp, "addi", 4, r->off, false);
    sp_add(&sp, a->text + ops, trim - ops, ops, true);
    sp_add(&sp, ", 0", 3, trim, false);
    sp_add(&sp, a->text + trim, end - trim, trim, true);
    parse_spliced(a, r, &sp, "mv", out);
    break;
  }
  case INSN_J: /* j target = jal x0, target */
    sp_add(&sp, "jal x0,", 7, r->off, false);
    sp_add(&sp, a->text + ops, end - ops, ops, true);
    parse_spliced(a, r, &sp, "j", out);
    break;
  case INSN_LIF:
  case INSN_LI64: {
    /* The value follows the first comma; the rest is checked by sc_isa_parse
     * on the spliced li/lih line. */
    size_t comma = ops;
    while (comma < end && a->text[comma] != ',') comma++;
    if (comma == end) {
      error_at(a, r->line, col_of(a, end), "%s: expected ',' and a value after the register",
               r->kind == INSN_LIF ? "lif" : "li64");
      break;
    }
    a->pos = comma + 1;
    skip_blank(a);
    size_t vat = a->pos;
    int64_t lo, hi = 0;
    if (r->kind == INSN_LIF) {
      literal lit;
      if (!read_literal(a, &lit)) break;
      float f = lit.is_int ? (float)lit.i : lit.f;
      uint32_t bits;
      memcpy(&bits, &f, 4);
      lo = (int32_t)bits; /* li sign-extends */
    } else {
      int64_t v;
      if (!expr(a, &v)) break;
      lo = (int32_t)(uint32_t)(uint64_t)v;
      hi = (int64_t)((uint64_t)v >> 32);
    }
    size_t vend = a->pos;
    for (size_t i = vend; i < end; i++)
      if (r->kind == INSN_LI64 && a->text[i] == '@') {
        error_at(a, r->line, col_of(a, i),
                 "li64 takes no @wait/@signal (it is two instructions; use li and lih)");
        return;
      }
    for (int half = 0; half < (r->kind == INSN_LI64 ? 2 : 1); half++) {
      char num[32];
      int nn = snprintf(num, sizeof num, "%" PRId64, half ? hi : lo);
      sp.text.len = 0;
      sp.n = 0;
      sp_add(&sp, half ? "lih" : "li", half ? 3 : 2, r->off, false);
      sp_add(&sp, a->text + ops, vat - ops, ops, true);
      sp_add(&sp, num, (size_t)nn, vat, false);
      sp_add(&sp, a->text + vend, end - vend, vend, true);
      if (!parse_spliced(a, r, &sp, r->kind == INSN_LIF ? "lif" : "li64", out + half)) break;
    }
    break;
  }
  case INSN_WORD: {
    a->pos = r->off + 5; /* ".word" */
    int64_t v;
    if (expr(a, &v) && expect_eol(a, ".word")) *out = (uint64_t)v;
    break;
  }
  }
  sc_strbuf_free(&sp.text);
}

/* ---- the architecture ---- */

/* Loads name; on failure reports the loader's first message at (line, col). */
static sc_arch *load_arch(asm_ctx *a, const char *name, uint32_t line, uint32_t col, bool report) {
  sc_arch *arch = NULL;
  sc_strbuf e = {0};
  sc_status st = sc_arch_load(name, &arch, &e);
  if (st != SC_STATUS_OK && report) {
    const char *m = sc_strbuf_str(&e);
    int n = (int)strcspn(m, "\n");
    error_at(a, line, col, "cannot load architecture '%s': %.*s", name, n ? n : INT_MAX,
             n ? m : sc_status_str(st));
  }
  sc_strbuf_free(&e);
  return arch;
}

/* ---- the whole ---- */

static int cmp_diag(const void *x, const void *y) {
  const diag *p = x, *q = y;
  if (p->line != q->line) return p->line < q->line ? -1 : 1;
  if (p->col != q->col) return p->col < q->col ? -1 : 1;
  return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static void free_ctx(asm_ctx *a) {
  for (size_t i = 0; i < a->n_diags; i++) free(a->diags[i].msg);
  free(a->diags);
  for (size_t i = 0; i < a->n_syms; i++) free(a->syms[i].name);
  free(a->syms);
  for (size_t i = 0; i < a->n_labels; i++) free(a->labels[i].name);
  free(a->labels);
  free(a->sym_slots);
  free(a->label_slots);
  for (size_t i = 0; i < a->n_sects; i++) free(a->sects[i].words);
  free(a->sects);
  for (size_t i = 0; i < a->n_insns; i++) free(a->insns[i].where);
  free(a->insns);
  for (size_t i = 0; i < a->n_bufs; i++) free_pending(&a->bufs[i]);
  free(a->bufs);
  free(a->arch_text);
  free(a->loc_where);
}

/* Builds the program from the collected pieces; buffer problems the program
 * finds (overlaps) become diagnostics at their .buffer line. */
static sc_program *build(asm_ctx *a, const char *arch_name, uint64_t fp) {
  sc_program *p = NULL;
  if (sc_prog_create(arch_name, fp, &p) != SC_STATUS_OK) {
    a->oom = true;
    return NULL;
  }
  for (size_t i = 0; i < a->n_bufs && !a->oom; i++) {
    sc_status st = sc_prog_add_buffer(p, &a->bufs[i].b);
    if (st == SC_STATUS_NO_MEMORY) a->oom = true;
    if (st != SC_STATUS_OK) error_at(a, a->bufs[i].line, a->bufs[i].col, "%s", sc_prog_errmsg(p));
  }
  /* the place of debug entries: the program keeps at most SC_PROG_MAX_NAME bytes */
  const char *file = a->file;
  size_t flen = strlen(file);
  if (flen > SC_PROG_MAX_NAME) file += flen - SC_PROG_MAX_NAME;
  if (flen == 0) file = "<input>";
  for (size_t i = 0; i < a->n_sects && !a->oom; i++) {
    const section *s = &a->sects[i]; /* the first core's; the others share it (below) */
    for (uint32_t core = s->first; core <= s->last && !a->oom; core++)
      if ((core == s->first || s->n_words == 0) &&
          sc_prog_set_code(p, core, s->words, s->n_words) != SC_STATUS_OK)
        a->oom = true;
  }
  for (size_t i = 0; i < a->n_insns && !a->oom; i++) {
    const insn_rec *r = &a->insns[i];
    if (!r->has_debug || r->sect >= a->n_sects) continue;
    const section *s = &a->sects[r->sect];
    uint32_t n = r->kind == INSN_LI64 ? 2 : 1;
    for (uint32_t k = 0; k < n && !a->oom; k++) /* the section's first core; the rest copy it */
      if (sc_prog_add_debug(p, s->first, r->pc + k, r->where ? r->where : file, r->dline,
                            r->dcol) != SC_STATUS_OK)
        a->oom = true;
  }
  for (size_t i = 0; i < a->n_sects && !a->oom; i++) {
    const section *s = &a->sects[i];
    if (s->n_words == 0) continue;
    for (uint32_t core = s->first + 1; core <= s->last && !a->oom; core++)
      if (sc_prog_share_code(p, s->first, core) != SC_STATUS_OK) a->oom = true;
  }
  return p;
}

sc_status sc_asm_assemble(const char *text, size_t len, const char *file_name,
                          const char *arch_override, sc_program **out, sc_strbuf *diags) {
  if (out) *out = NULL;
  if ((!text && len) || !file_name || !out) return SC_STATUS_INVALID_ARGUMENT;
  asm_ctx a = {.text = text ? text : "", .len = len, .file = file_name, .line = 1};
  a.cur_sect = SIZE_MAX;

  /* pass 1 */
  while (a.pos < a.len && !a.stop && !a.oom) {
    statement(&a);
    if (a.pos < a.len) {
      if (a.text[a.pos] == '#') skip_statement(&a);
      if (a.pos < a.len) newline(&a);
    }
  }
  if (a.loc_set && !a.stop) error_at(&a, a.line, 1, ".loc at the end: no instruction follows it");

  /* the architecture: --arch replaces .arch and .fingerprint */
  sc_arch *arch = NULL;
  char *arch_name = NULL;
  uint64_t fp = 0;
  if (arch_override) {
    arch = load_arch(&a, arch_override, 1, 1, true);
  } else if (a.arch_text) {
    arch = load_arch(&a, a.arch_text, a.arch_line, a.arch_col, !a.have_fp);
    if (a.have_fp) arch_name = a.arch_text; /* an exact round trip keeps the name as written */
  } else {
    error_at(&a, 1, 1, "no architecture: add '.arch <preset or file>' or pass --arch");
  }
  if (arch) {
    if (!arch_name) arch_name = arch->name;
    fp = a.have_fp && !arch_override ? a.fp : sc_arch_fingerprint(arch);
    for (size_t i = 0; i < a.n_sects; i++)
      if (a.sects[i].last >= arch->cores.count)
        error_at(&a, a.sects[i].line, a.sects[i].col,
                 "core %" PRIu32 " is out of range: architecture '%s' has %" PRIu32 " cores",
                 a.sects[i].last, arch->name, arch->cores.count);
  } else if (arch_name) {
    fp = a.fp;
  }

  /* pass 2 */
  for (size_t i = 0; i < a.n_sects && !a.oom; i++) {
    a.sects[i].words = calloc(a.sects[i].n_words ? a.sects[i].n_words : 1, sizeof(uint64_t));
    if (!a.sects[i].words) a.oom = true;
  }
  for (size_t i = 0; i < a.n_insns && !a.stop && !a.oom; i++) assemble_insn(&a, &a.insns[i]);

  sc_program *p = NULL;
  if (!a.oom) p = build(&a, arch_name ? arch_name : "?", fp);
  sc_arch_destroy(arch);

  sc_status st = SC_STATUS_OK;
  if (a.oom) {
    st = SC_STATUS_NO_MEMORY;
  } else if (a.n_diags) {
    st = SC_STATUS_PARSE;
    qsort(a.diags, a.n_diags, sizeof *a.diags, cmp_diag);
    for (size_t i = 0; diags && i < a.n_diags; i++)
      sc_strbuf_printf(diags, "%s:%" PRIu32 ":%" PRIu32 ": error: %s\n", file_name, a.diags[i].line,
                       a.diags[i].col, a.diags[i].msg);
    if (a.stop && diags)
      sc_strbuf_printf(diags, "%s: error: too many errors (%d), stopping\n", file_name,
                       SC_ASM_MAX_ERRORS);
  }
  if (st == SC_STATUS_OK)
    *out = p;
  else
    sc_prog_destroy(p);
  free_ctx(&a);
  return st;
}
