/* asm_int.h: what the assembler and the disassembler share: the spelling of
 * names and strings, so that what one prints the other reads back. */
#ifndef SEEDCHIP_ASM_INT_H
#define SEEDCHIP_ASM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "seedchip/util.h"

enum { ASM_MAX_STRING = 4096 }; /* bytes in a string literal (external paths) */

static inline bool asm_is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static inline bool asm_is_digit(char c) {
  return c >= '0' && c <= '9';
}
/* Identifiers continue with '.' as mnemonics do (mxu.mm), so dotted names work. */
static inline bool asm_is_ident_char(char c) {
  return asm_is_ident_start(c) || asm_is_digit(c) || c == '.';
}
/* A bare architecture word: a preset name or a plain path. */
static inline bool asm_is_bare_arch_char(char c) {
  return asm_is_ident_char(c) || c == '/' || c == '-';
}

/* True when s is an identifier ([A-Za-z_][A-Za-z0-9_.]*). */
bool asm_is_ident(const char *s);

/* Appends s as a string literal: "..." with \\, \" and \xHH for bytes outside
 * printable ASCII. */
void asm_put_string(sc_strbuf *out, const char *s);

#endif
