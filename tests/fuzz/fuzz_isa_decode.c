/* fuzz_isa_decode.c: libFuzzer entry point for the instruction decoder,
 * disassembler and one-line parser. The bytes are read twice: as
 * little-endian 64-bit words (decode; a word that decodes must disassemble,
 * parse back and re-encode to itself) and as one line of assembly text (a
 * line that parses must encode, and its disassembly must parse to the same
 * word). Any failure of these laws aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/isa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_word(uint64_t w) {
  sc_insn in, back;
  char text[SC_ISA_DISASM_MAX], err[256];
  size_t col;
  uint64_t w2;
  if (sc_isa_decode(w, &in, err, sizeof err) != SC_STATUS_OK) {
    if (err[0] == '\0') abort(); /* a failure must explain itself */
    sc_isa_disasm_word(w, text, sizeof text);
    return;
  }
  size_t n = sc_isa_disasm(&in, text, sizeof text);
  if (n >= sizeof text) abort();
  if (sc_isa_parse(text, n, &back, NULL, NULL, &col, err, sizeof err) != SC_STATUS_OK) abort();
  if (sc_isa_encode(&back, &w2, err, sizeof err) != SC_STATUS_OK || w2 != w) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t w = 0;
    for (int b = 7; b >= 0; b--) w = w << 8 | data[i + (size_t)b];
    check_word(w);
  }
  sc_insn in;
  char err[256];
  size_t col = 0;
  sc_status st = sc_isa_parse((const char *)data, size, &in, NULL, NULL, &col, err, sizeof err);
  if (st == SC_STATUS_OK) {
    uint64_t w;
    if (sc_isa_encode(&in, &w, err, sizeof err) != SC_STATUS_OK) abort();
    check_word(w);
  } else if (st != SC_STATUS_PARSE || col == 0 || col > size + 1 || err[0] == '\0') {
    abort();
  }
  return 0;
}
