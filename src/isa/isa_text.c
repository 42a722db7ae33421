/* isa_text.c: the canonical assembly text of one instruction, both ways.
 *
 * Both directions walk the same operand template of the instruction's format
 * ("{dsp}[{xd}]:{ddt}, ..."): `{slot}` is a field value, a space in the
 * template matches any run of blank space (or none), any other character or
 * word must appear as written. So disasm and parse cannot drift apart, and
 * disasm(parse(text)) is the canonical spelling of text. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "isa_int.h"
#include "seedchip/dtype.h"
#include "seedchip/util.h"

/* ---- a bounded writer that counts what it could not store ---- */
typedef struct writer {
  char *buf;
  size_t size, len;
} writer;

static void put(writer *o, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++, o->len++)
    if (o->len + 1 < o->size) o->buf[o->len] = s[i];
  if (o->size) o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
}

static void puts_(writer *o, const char *s) {
  put(o, s, strlen(s));
}

SC_PRINTF(2, 3) static void putf(writer *o, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* The field of fmt filling slot named by the n bytes at name, or NULL. */
static const sc_isa_field *field_named(const sc_isa_format_info *fi, const char *name, size_t n) {
  for (unsigned i = 0; i < fi->n_fields; i++) {
    const char *s = sc_isa_slot_name(fi->fields[i].slot);
    if (strlen(s) == n && memcmp(s, name, n) == 0) return &fi->fields[i];
  }
  return NULL;
}

static void put_value(writer *o, const sc_isa_field *f, sc_isa_group g, int64_t v) {
  if (sc_isa_field_check(f, g, v, NULL, 0) != SC_STATUS_OK) {
    puts_(o, "?");
    return;
  }
  switch (f->kind) {
  case SC_ISA_KIND_REG:
    putf(o, "x%d", (int)v);
    break;
  case SC_ISA_KIND_GRP:
    if (sc_isa_group_len(g) > 1)
      putf(o, "x%d..x%d", (int)v, (int)v + (int)sc_isa_group_len(g) - 1);
    else
      putf(o, "x%d", (int)v);
    break;
  case SC_ISA_KIND_SIMM:
  case SC_ISA_KIND_UIMM:
    putf(o, "%" PRId64, v);
    break;
  case SC_ISA_KIND_PCREL:
    putf(o, "%+" PRId64, v);
    break;
  case SC_ISA_KIND_DTYPE:
    puts_(o, sc_dtype_name((sc_dtype)v));
    break;
  case SC_ISA_KIND_SPACE:
    puts_(o, sc_isa_enum_text(SC_ISA_ENUM_SPACE, (unsigned)v));
    break;
  case SC_ISA_KIND_SEM:
    putf(o, "s%d", (int)v);
    break;
  case SC_ISA_KIND_ENUM:
    puts_(o, sc_isa_enum_text((sc_isa_enum)f->arg, (unsigned)v));
    break;
  default:
    puts_(o, "?");
    break;
  }
}

size_t sc_isa_disasm(const sc_insn *in, char *buf, size_t size) {
  writer o = {buf, size, 0};
  if (size) buf[0] = '\0';
  const sc_isa_info *info = sc_isa_info_of(in->opcode);
  if (!info) {
    putf(&o, "<opcode 0x%02x>", (unsigned)in->opcode);
    return o.len;
  }
  const sc_isa_format_info *fi = sc_isa_format_of(info->format);
  puts_(&o, info->mnemonic);
  if (fi->syntax[0]) puts_(&o, " ");
  for (const char *t = fi->syntax; *t;) {
    if (*t != '{') {
      put(&o, t++, 1);
      continue;
    }
    const char *close = strchr(t, '}');
    const sc_isa_field *f = close ? field_named(fi, t + 1, (size_t)(close - t - 1)) : NULL;
    if (!f) { /* a template naming no field is a table bug the tests catch */
      puts_(&o, "?");
      break;
    }
    put_value(&o, f, info->group, in->slot[f->slot]);
    t = close + 1;
  }
  if (in->has_wait) putf(&o, in->wait < SC_ISA_N_SEMS ? " @wait(s%u)" : " @wait(?%u)", in->wait);
  if (in->has_signal)
    putf(&o, in->signal < SC_ISA_N_SEMS ? " @signal(s%u)" : " @signal(?%u)", in->signal);
  return o.len;
}

size_t sc_isa_disasm_word(uint64_t word, char *buf, size_t size) {
  sc_insn in;
  if (sc_isa_decode(word, &in, NULL, 0) == SC_STATUS_OK) return sc_isa_disasm(&in, buf, size);
  writer o = {buf, size, 0};
  if (size) buf[0] = '\0';
  putf(&o, ".word 0x%016" PRIx64, word);
  return o.len;
}

/* ---- parsing ---- */
typedef struct lexer {
  const char *s;
  size_t pos, end;
  size_t *col;
  char *err;
  size_t err_size;
} lexer;

static bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}
static bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
static bool is_word(char c) {
  return is_alpha(c) || is_digit(c) || c == '.';
}

static void skip_blank(lexer *lx) {
  while (lx->pos < lx->end && is_blank(lx->s[lx->pos])) lx->pos++;
}

static char peek(const lexer *lx) {
  return lx->pos < lx->end ? lx->s[lx->pos] : '\0';
}

SC_PRINTF(3, 4) static sc_status fail(lexer *lx, size_t at, const char *fmt, ...) {
  *lx->col = at + 1;
  if (lx->err_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->err, lx->err_size, fmt, ap);
    va_end(ap);
  }
  return SC_STATUS_PARSE;
}

/* What is at the cursor, for messages: "'x'" or "end of line". */
static const char *found(const lexer *lx, char *tmp, size_t n) {
  if (lx->pos >= lx->end) return "end of line";
  char c = lx->s[lx->pos];
  if (c >= 0x20 && c < 0x7f)
    snprintf(tmp, n, "'%c'", c);
  else
    snprintf(tmp, n, "byte 0x%02x", (unsigned)(unsigned char)c);
  return tmp;
}

/* Reads [A-Za-z0-9_.]+ ; returns its length (0 when none). */
static size_t word_len(const lexer *lx) {
  size_t n = 0;
  while (lx->pos + n < lx->end && is_word(lx->s[lx->pos + n])) n++;
  return n;
}

/* An unsigned decimal or 0x-hex number at the cursor, at most max. */
static bool read_uint(lexer *lx, uint64_t max, uint64_t *v) {
  size_t p = lx->pos;
  unsigned base = 10;
  if (p + 1 < lx->end && lx->s[p] == '0' && (lx->s[p + 1] == 'x' || lx->s[p + 1] == 'X')) {
    base = 16;
    p += 2;
  }
  uint64_t acc = 0;
  size_t digits = 0;
  for (; p < lx->end; p++, digits++) {
    char c = lx->s[p];
    unsigned d;
    if (is_digit(c))
      d = (unsigned)(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      break;
    if (acc > (max - d) / base) return false;
    acc = acc * base + d;
  }
  if (digits == 0 || (p < lx->end && (is_alpha(lx->s[p]) || is_digit(lx->s[p])))) return false;
  lx->pos = p;
  *v = acc;
  return true;
}

/* "<prefix>N" with N <= max (registers, semaphores). */
static bool read_indexed(lexer *lx, char prefix, unsigned max, int64_t *v) {
  size_t start = lx->pos;
  uint64_t n;
  if (peek(lx) != prefix) return false;
  lx->pos++;
  if (!is_digit(peek(lx)) || !read_uint(lx, UINT64_MAX, &n) || n > max) {
    lx->pos = start;
    return false;
  }
  *v = (int64_t)n;
  return true;
}

typedef struct parse_ctx {
  const sc_isa_info *info;
  sc_isa_resolve_fn resolve;
  void *ctx;
} parse_ctx;

static sc_status read_number(lexer *lx, const parse_ctx *pc, const sc_isa_field *f, int64_t *v) {
  size_t at = lx->pos;
  char tmp[16];
  if (is_alpha(peek(lx))) {
    size_t n = word_len(lx);
    if (!pc->resolve)
      return fail(lx, at, "%s: expected a number for %s, found '%.*s'", pc->info->mnemonic,
                  sc_isa_slot_name(f->slot), (int)n, lx->s + at);
    sc_status st = pc->resolve(pc->ctx, lx->s + at, n, f, v);
    if (st == SC_STATUS_NOT_FOUND)
      return fail(lx, at, "%s: unknown name '%.*s'", pc->info->mnemonic, (int)n, lx->s + at);
    if (st != SC_STATUS_OK)
      return fail(lx, at, "%s: cannot resolve '%.*s': %s", pc->info->mnemonic, (int)n, lx->s + at,
                  sc_status_str(st));
    lx->pos += n;
    return SC_STATUS_OK;
  }
  bool neg = false;
  if (peek(lx) == '-' || peek(lx) == '+') {
    neg = peek(lx) == '-';
    lx->pos++;
  }
  uint64_t mag;
  if (!is_digit(peek(lx)))
    return fail(lx, at, "%s: expected a number for %s, found %s", pc->info->mnemonic,
                sc_isa_slot_name(f->slot), found(lx, tmp, sizeof tmp));
  if (!read_uint(lx, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &mag))
    return fail(lx, at, "%s: malformed or too large number for %s", pc->info->mnemonic,
                sc_isa_slot_name(f->slot));
  *v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  return SC_STATUS_OK;
}

static sc_status read_value(lexer *lx, const parse_ctx *pc, const sc_isa_field *f, int64_t *v) {
  size_t at = lx->pos;
  const char *mn = pc->info->mnemonic;
  const char *slot = sc_isa_slot_name(f->slot);
  char tmp[16];
  switch (f->kind) {
  case SC_ISA_KIND_REG:
    if (!read_indexed(lx, 'x', SC_ISA_N_REGS - 1, v))
      return fail(lx, at, "%s: expected a register x0..x31 for %s", mn, slot);
    return SC_STATUS_OK;
  case SC_ISA_KIND_GRP: {
    if (!read_indexed(lx, 'x', SC_ISA_N_REGS - 1, v))
      return fail(lx, at, "%s: expected a register group for %s", mn, slot);
    unsigned n = sc_isa_group_len(pc->info->group);
    if (lx->pos + 1 < lx->end && lx->s[lx->pos] == '.' && lx->s[lx->pos + 1] == '.') {
      size_t at2 = lx->pos + 2;
      int64_t last;
      lx->pos += 2;
      if (!read_indexed(lx, 'x', SC_ISA_N_REGS - 1, &last))
        return fail(lx, at2, "%s: expected the last register of the group", mn);
      if (n == 0 || last != *v + (int64_t)n - 1)
        return fail(lx, at2, "%s: the group of %s is %u registers, x%d..x%d", mn, slot, n, (int)*v,
                    (int)*v + (int)n - 1);
    }
    return SC_STATUS_OK;
  }
  case SC_ISA_KIND_SEM:
    if (!read_indexed(lx, 's', SC_ISA_N_SEMS - 1, v))
      return fail(lx, at, "%s: expected a semaphore s0..s31 for %s", mn, slot);
    return SC_STATUS_OK;
  case SC_ISA_KIND_SIMM:
  case SC_ISA_KIND_UIMM:
  case SC_ISA_KIND_PCREL:
    return read_number(lx, pc, f, v);
  case SC_ISA_KIND_DTYPE:
  case SC_ISA_KIND_SPACE:
  case SC_ISA_KIND_ENUM: {
    size_t n = word_len(lx);
    char name[32];
    if (n == 0 || n >= sizeof name)
      return fail(lx, at, "%s: expected a name for %s, found %s", mn, slot,
                  found(lx, tmp, sizeof tmp));
    memcpy(name, lx->s + at, n);
    name[n] = '\0';
    if (f->kind == SC_ISA_KIND_DTYPE) {
      sc_dtype dt;
      if (!sc_dtype_from_name(name, &dt))
        return fail(lx, at, "%s: unknown dtype '%s' for %s", mn, name, slot);
      *v = dt;
    } else {
      sc_isa_enum e = f->kind == SC_ISA_KIND_SPACE ? SC_ISA_ENUM_SPACE : (sc_isa_enum)f->arg;
      unsigned i = 0;
      for (; i < 64; i++) {
        const char *t = sc_isa_enum_text(e, i);
        if (t && strcmp(t, name) == 0) break;
      }
      if (i == 64)
        return fail(lx, at, "%s: unknown %s value '%s' for %s", mn, sc_isa_enum_name(e), name,
                    slot);
      *v = i;
    }
    lx->pos += n;
    return SC_STATUS_OK;
  }
  default:
    return fail(lx, at, "%s: field %s has no text form", mn, slot);
  }
}

/* Matches one literal template token (a word or one character). */
static sc_status expect_literal(lexer *lx, const parse_ctx *pc, const char *lit, size_t n) {
  char tmp[16];
  skip_blank(lx);
  if (lx->pos + n <= lx->end && memcmp(lx->s + lx->pos, lit, n) == 0) {
    lx->pos += n;
    return SC_STATUS_OK;
  }
  return fail(lx, lx->pos, "%s: expected '%.*s', found %s (syntax: %s %s)", pc->info->mnemonic,
              (int)n, lit, found(lx, tmp, sizeof tmp), pc->info->mnemonic,
              sc_isa_format_of(pc->info->format)->syntax);
}

static sc_status parse_suffixes(lexer *lx, const parse_ctx *pc, sc_insn *in) {
  for (;;) {
    skip_blank(lx);
    if (peek(lx) != '@') return SC_STATUS_OK;
    size_t at = lx->pos++;
    size_t n = word_len(lx);
    bool is_wait = n == 4 && memcmp(lx->s + lx->pos, "wait", 4) == 0;
    bool is_signal = n == 6 && memcmp(lx->s + lx->pos, "signal", 6) == 0;
    if (!is_wait && !is_signal)
      return fail(lx, at, "%s: expected @wait(sN) or @signal(sN)", pc->info->mnemonic);
    if (is_wait ? in->has_wait : in->has_signal)
      return fail(lx, at, "%s: @%s given twice", pc->info->mnemonic, is_wait ? "wait" : "signal");
    lx->pos += n;
    sc_status st = expect_literal(lx, pc, "(", 1);
    if (st != SC_STATUS_OK) return st;
    skip_blank(lx);
    size_t at_sem = lx->pos;
    int64_t s;
    if (!read_indexed(lx, 's', SC_ISA_N_SEMS - 1, &s))
      return fail(lx, at_sem, "%s: expected a semaphore s0..s31", pc->info->mnemonic);
    if ((st = expect_literal(lx, pc, ")", 1)) != SC_STATUS_OK) return st;
    if (is_wait) {
      in->has_wait = true;
      in->wait = (uint8_t)s;
    } else {
      in->has_signal = true;
      in->signal = (uint8_t)s;
    }
  }
}

sc_status sc_isa_parse(const char *text, size_t len, sc_insn *out, sc_isa_resolve_fn resolve,
                       void *ctx, size_t *col, char *err, size_t err_size) {
  size_t col_dummy;
  lexer lx = {text, 0, 0, col ? col : &col_dummy, err, err_size};
  *lx.col = 0;
  if (err_size) err[0] = '\0';
  while (lx.end < len && text[lx.end] != '\n' && text[lx.end] != '#') lx.end++;
  memset(out, 0, sizeof *out);

  skip_blank(&lx);
  size_t at = lx.pos, n = word_len(&lx);
  char tmp[16];
  if (n == 0) return fail(&lx, at, "expected a mnemonic, found %s", found(&lx, tmp, sizeof tmp));
  parse_ctx pc = {sc_isa_lookup(text + at, n), resolve, ctx};
  if (!pc.info) return fail(&lx, at, "unknown mnemonic '%.*s'", (int)n, text + at);
  lx.pos += n;
  if (lx.pos < lx.end && !is_blank(text[lx.pos]) && text[lx.pos] != '@')
    return fail(&lx, lx.pos, "expected a blank after the mnemonic, found %s",
                found(&lx, tmp, sizeof tmp));

  sc_insn in = {.opcode = pc.info->opcode};
  const sc_isa_format_info *fi = sc_isa_format_of(pc.info->format);
  for (const char *t = fi->syntax; *t;) {
    sc_status st;
    if (*t == ' ') {
      t++;
      continue;
    }
    if (*t == '{') {
      const char *close = strchr(t, '}');
      const sc_isa_field *f = close ? field_named(fi, t + 1, (size_t)(close - t - 1)) : NULL;
      if (!f) return fail(&lx, lx.pos, "%s: bad operand template (table bug)", pc.info->mnemonic);
      skip_blank(&lx);
      size_t at_v = lx.pos;
      int64_t v = 0;
      if ((st = read_value(&lx, &pc, f, &v)) != SC_STATUS_OK) return st;
      char why[160];
      if (sc_isa_field_check(f, pc.info->group, v, why, sizeof why) != SC_STATUS_OK)
        return fail(&lx, at_v, "%s: %s", pc.info->mnemonic, why);
      in.slot[f->slot] = v;
      t = close + 1;
      continue;
    }
    size_t lit = 1;
    if (is_word(*t))
      while (is_word(t[lit])) lit++;
    if ((st = expect_literal(&lx, &pc, t, lit)) != SC_STATUS_OK) return st;
    t += lit;
  }
  sc_status st = parse_suffixes(&lx, &pc, &in);
  if (st != SC_STATUS_OK) return st;
  skip_blank(&lx);
  if (lx.pos < lx.end)
    return fail(&lx, lx.pos, "%s: unexpected %s after the operands", pc.info->mnemonic,
                found(&lx, tmp, sizeof tmp));
  *out = in;
  return SC_STATUS_OK;
}
