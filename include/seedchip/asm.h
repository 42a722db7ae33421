/* asm.h: the SeedChip assembler and disassembler (layer `asm`).
 *
 * The assembler turns assembly text (.sasm, docs/ASM.md) into a program
 * (program.h): directives for the architecture, constants, named buffers and
 * core sections, one instruction per line in the canonical syntax of isa.h, a
 * few pseudo-instructions, labels as branch targets. Every instruction gets a
 * debug entry (file, line, col). The disassembler prints a program as text that
 * assembles back to the identical bytes (code, buffers, data, debug map,
 * architecture name and fingerprint). */
#ifndef SEEDCHIP_ASM_H
#define SEEDCHIP_ASM_H

#include <stddef.h>

#include "seedchip/program.h"
#include "seedchip/status.h"
#include "seedchip/util.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SC_ASM_MAX_ERRORS = 100 }; /* diagnostics reported before the assembler stops */

/* Assembles the len bytes at text (need not be NUL-terminated). file_name
 * (required) names the source in diagnostics and debug entries.
 * arch_override (may be NULL) is a preset name or architecture file that
 * replaces the file's `.arch` and `.fingerprint`.
 *
 * On success *out is a new program the caller frees with sc_prog_destroy.
 * On failure *out is NULL and every problem found (at most SC_ASM_MAX_ERRORS)
 * is appended to diags (may be NULL), one per line, in source order:
 * "file:line:col: error: message". Returns OK, PARSE (the source has errors),
 * NO_MEMORY or INVALID_ARGUMENT. */
SC_MUST_USE sc_status sc_asm_assemble(const char *text, size_t len, const char *file_name,
                                      const char *arch_override, sc_program **out,
                                      sc_strbuf *diags);

/* Appends the assembly text of prog to out: `.arch` and `.fingerprint`,
 * `.buffer` lines (inline data as exact `bytes { ... }`), one `.core` section
 * per run of cores with identical code and debug entries, one canonical
 * instruction per line with `L<pc>:` labels at branch targets, and a `.loc`
 * line before each instruction that restores its debug entry. Assembling the
 * text gives a program that serialises to the same bytes as prog.
 * Returns OK, INVALID_ARGUMENT (NULL arguments) or NO_MEMORY (out latched an
 * allocation failure). */
SC_MUST_USE sc_status sc_asm_disassemble(const sc_program *prog, sc_strbuf *out);

#ifdef __cplusplus
}
#endif
#endif
