/* disasm.c: sc_program -> assembly text that assembles back to the same bytes.
 *
 * Exactness is the invariant: everything the container holds is printed in a
 * form the assembler reads back unchanged: the architecture name as written
 * plus `.fingerprint`, buffers in the order they were added with inline data
 * as raw bytes, every core's words (undecodable ones as `.word`), and each
 * debug entry as a `.loc` line (or `.loc none` where there is none). Cores
 * with identical code and debug entries share one `.core N-M` section. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "asm_int.h"
#include "seedchip/asm.h"
#include "seedchip/isa.h"

bool asm_is_ident(const char *s) {
  if (!asm_is_ident_start(*s)) return false;
  for (; *s; s++)
    if (!asm_is_ident_char(*s)) return false;
  return true;
}

void asm_put_string(sc_strbuf *out, const char *s) {
  sc_strbuf_append(out, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      sc_strbuf_printf(out, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f)
      sc_strbuf_printf(out, "\\x%02x", c);
    else
      sc_strbuf_append(out, (const char *)&c, 1);
  }
  sc_strbuf_append(out, "\"", 1);
}

static void put_name(sc_strbuf *out, const char *s) {
  if (asm_is_ident(s))
    sc_strbuf_printf(out, "%s", s);
  else
    asm_put_string(out, s);
}

static bool same_debug(const sc_program *p, uint32_t c1, uint32_t c2, size_t n) {
  for (uint32_t pc = 0; pc < n; pc++) {
    const sc_prog_debug *x = sc_prog_debug_at(p, c1, pc), *y = sc_prog_debug_at(p, c2, pc);
    if (!x != !y) return false;
    if (x && (strcmp(x->where, y->where) != 0 || x->line != y->line || x->col != y->col))
      return false;
  }
  return true;
}

/* The pc-relative field of an instruction's format, or NULL. */
static const sc_isa_field *pcrel_field(const sc_insn *in) {
  const sc_isa_info *info = sc_isa_info_of(in->opcode);
  if (!info) return NULL;
  const sc_isa_format_info *fi = sc_isa_format_of(info->format);
  for (unsigned i = 0; i < fi->n_fields; i++)
    if (fi->fields[i].kind == SC_ISA_KIND_PCREL) return &fi->fields[i];
  return NULL;
}

/* The branch target of word at pc when it is inside [0, n] (a label can sit
 * just past the last instruction), else -1. */
static int64_t target_of(uint64_t word, uint32_t pc, size_t n, sc_insn *in) {
  if (sc_isa_decode(word, in, NULL, 0) != SC_STATUS_OK) return -1;
  const sc_isa_field *f = pcrel_field(in);
  if (!f) return -1;
  int64_t t = (int64_t)pc + in->slot[f->slot];
  return t >= 0 && (uint64_t)t <= n ? t : -1;
}

static void put_section(sc_strbuf *out, const sc_program *p, uint32_t core, uint32_t last) {
  size_t n;
  const uint64_t *code = sc_prog_code(p, core, &n);
  if (core == last)
    sc_strbuf_printf(out, "\n.core %" PRIu32 "\n", core);
  else
    sc_strbuf_printf(out, "\n.core %" PRIu32 "-%" PRIu32 "\n", core, last);
  bool *is_target = calloc(n + 1, sizeof *is_target);
  if (!is_target) {
    out->oom = true;
    return;
  }
  sc_insn in;
  for (size_t pc = 0; pc < n; pc++) {
    int64_t t = target_of(code[pc], (uint32_t)pc, n, &in);
    if (t >= 0) is_target[t] = true;
  }
  char text[SC_ISA_DISASM_MAX];
  for (size_t pc = 0; pc <= n; pc++) {
    if (is_target[pc]) sc_strbuf_printf(out, "L%zu:\n", pc);
    if (pc == n) break;
    const sc_prog_debug *d = sc_prog_debug_at(p, core, (uint32_t)pc);
    if (d) {
      sc_strbuf_printf(out, "        .loc ");
      asm_put_string(out, d->where);
      sc_strbuf_printf(out, " %" PRIu32 " %" PRIu32 "\n", d->line, d->col);
    } else {
      sc_strbuf_printf(out, "        .loc none\n");
    }
    int64_t t = target_of(code[pc], (uint32_t)pc, n, &in);
    if (t >= 0) {
      /* An out-of-range value prints as the one '?' of the line: the label's place. */
      in.slot[pcrel_field(&in)->slot] = INT64_MAX;
      sc_isa_disasm(&in, text, sizeof text);
      char *q = strchr(text, '?');
      if (q) {
        sc_strbuf_printf(out, "        %.*sL%" PRId64 "%s\n", (int)(q - text), text, t, q + 1);
        continue;
      }
    }
    if (sc_isa_decode(code[pc], &in, NULL, 0) == SC_STATUS_OK) {
      sc_isa_disasm(&in, text, sizeof text);
      sc_strbuf_printf(out, "        %s\n", text);
    } else {
      sc_strbuf_printf(out, "        .word 0x%016" PRIx64 "\n", code[pc]);
    }
  }
  free(is_target);
}

sc_status sc_asm_disassemble(const sc_program *prog, sc_strbuf *out) {
  if (!prog || !out) return SC_STATUS_INVALID_ARGUMENT;
  const char *arch = sc_prog_arch_name(prog);
  sc_strbuf_printf(out, "# disassembled by seedchip; assembles back to the same program\n.arch ");
  bool bare = *arch != '\0';
  for (const char *c = arch; *c; c++)
    if (!asm_is_bare_arch_char(*c)) bare = false;
  if (bare)
    sc_strbuf_printf(out, "%s", arch);
  else
    asm_put_string(out, arch);
  sc_strbuf_printf(out, "\n.fingerprint 0x%016" PRIx64 "\n", sc_prog_fingerprint(prog));

  size_t nb = sc_prog_buffer_count(prog);
  if (nb) sc_strbuf_append(out, "\n", 1);
  for (size_t i = 0; i < nb; i++) {
    const sc_prog_buffer *b = sc_prog_buffer_at(prog, i);
    sc_strbuf_printf(out, ".buffer ");
    put_name(out, b->name);
    sc_strbuf_printf(out, " %s %s [", sc_prog_role_name(b->role), sc_dtype_name(b->dtype));
    for (uint32_t d = 0; d < b->rank; d++)
      sc_strbuf_printf(out, "%s%" PRIu64, d ? ", " : "", b->shape[d]);
    sc_strbuf_printf(out, "] @ 0x%" PRIx64, b->addr);
    if (b->init == SC_PROG_INIT_EXTERNAL) {
      sc_strbuf_printf(out, " = extern ");
      asm_put_string(out, b->ext_path);
      sc_strbuf_printf(out, " + 0x%" PRIx64, b->ext_offset);
    } else if (b->init == SC_PROG_INIT_INLINE) {
      sc_strbuf_printf(out, " = bytes {");
      for (uint64_t k = 0; k < b->size_bytes; k++)
        sc_strbuf_printf(out, "%s0x%02x%s", k % 16 ? " " : "\n   ", b->data[k],
                         k + 1 < b->size_bytes ? "," : "");
      sc_strbuf_printf(out, "\n}");
    }
    sc_strbuf_append(out, "\n", 1);
  }

  uint32_t nc = sc_prog_core_count(prog);
  for (uint32_t c = 0; c < nc;) {
    size_t n;
    const uint64_t *code = sc_prog_code(prog, c, &n);
    uint32_t last = c;
    while (last + 1 < nc) {
      size_t m;
      const uint64_t *next = sc_prog_code(prog, last + 1, &m);
      if (m != n || (n && memcmp(next, code, n * sizeof *code) != 0) ||
          !same_debug(prog, c, last + 1, n))
        break;
      last++;
    }
    put_section(out, prog, c, last);
    c = last + 1;
  }
  return out->oom ? SC_STATUS_NO_MEMORY : SC_STATUS_OK;
}
