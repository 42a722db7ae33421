/* fuzz_asm.c: the assembler on arbitrary text. Whatever the bytes, it returns
 * OK with a program or PARSE with "file:line:col: error:" diagnostics; a
 * program it accepts must disassemble to text that assembles to the same
 * bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/asm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1u << 16)) return 0;
  sc_program *p = NULL;
  sc_strbuf d = {0};
  sc_status st = sc_asm_assemble((const char *)data, size, "f.sasm", NULL, &p, &d);
  if (st == SC_STATUS_PARSE && strncmp(sc_strbuf_str(&d), "f.sasm:", 7) != 0) __builtin_trap();
  if (st != SC_STATUS_OK && p) __builtin_trap();
  if (st == SC_STATUS_OK) {
    sc_strbuf t = {0};
    sc_program *q = NULL;
    uint8_t *a, *b;
    size_t na, nb;
    if (sc_asm_disassemble(p, &t) != SC_STATUS_OK) __builtin_trap();
    if (sc_asm_assemble(t.data, t.len, "f.sasm", NULL, &q, NULL) != SC_STATUS_OK) __builtin_trap();
    if (sc_prog_serialize(p, &a, &na) != SC_STATUS_OK) __builtin_trap();
    if (sc_prog_serialize(q, &b, &nb) != SC_STATUS_OK) __builtin_trap();
    if (na != nb || memcmp(a, b, na) != 0) __builtin_trap();
    free(a);
    free(b);
    sc_prog_destroy(q);
    sc_strbuf_free(&t);
  }
  sc_prog_destroy(p);
  sc_strbuf_free(&d);
  return 0;
}
