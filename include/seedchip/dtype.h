/* dtype.h: the element types, generated from dtype.def, and their properties. */
#ifndef SEEDCHIP_DTYPE_H
#define SEEDCHIP_DTYPE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sc_dtype {
#define SC_DTYPE(name, text, bits, is_float, is_signed) SC_DTYPE_##name,
#include "seedchip/dtype.def"
#undef SC_DTYPE
  SC_DTYPE_COUNT
} sc_dtype;

/* "bf16"; "?" for values outside the enum. */
const char *sc_dtype_name(sc_dtype dt);
/* Storage bits per element (4 for INT4); 0 for values outside the enum. */
unsigned sc_dtype_bits(sc_dtype dt);
bool sc_dtype_is_float(sc_dtype dt);
/* Parses the text spelling ("fp8e4m3"); false when unknown. */
bool sc_dtype_from_name(const char *name, sc_dtype *out);

#ifdef __cplusplus
}
#endif
#endif
