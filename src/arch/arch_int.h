/* arch_int.h: declarations shared inside the arch layer. */
#ifndef SEEDCHIP_ARCH_INT_H
#define SEEDCHIP_ARCH_INT_H

#include <stddef.h>

/* A built-in preset: the bytes of examples/arch/<name>.json, embedded at build
 * time by src/arch/CMakeLists.txt (arch_presets.c in the build directory), so the
 * shipped files and the built-ins cannot drift apart. text is NUL-terminated. */
typedef struct arch_preset {
  const char *name;
  const char *text;
  size_t len;
} arch_preset;

extern const arch_preset arch_presets[];
extern const size_t arch_preset_count;
/* The names of arch_presets, NULL-terminated. */
extern const char *const arch_preset_names[];

#endif
