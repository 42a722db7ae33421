/* dtype.c: the dtype table from dtype.def. */
#include <string.h>

#include "seedchip/dtype.h"

typedef struct dtype_info {
  const char *name;
  unsigned bits;
  bool is_float;
} dtype_info;

static const dtype_info dtypes[SC_DTYPE_COUNT] = {
#define SC_DTYPE(name, text, bits, is_float, is_signed) {text, bits, is_float},
#include "seedchip/dtype.def"
#undef SC_DTYPE
};

const char *sc_dtype_name(sc_dtype dt) {
  return (unsigned)dt < SC_DTYPE_COUNT ? dtypes[dt].name : "?";
}

unsigned sc_dtype_bits(sc_dtype dt) {
  return (unsigned)dt < SC_DTYPE_COUNT ? dtypes[dt].bits : 0;
}

bool sc_dtype_is_float(sc_dtype dt) {
  return (unsigned)dt < SC_DTYPE_COUNT && dtypes[dt].is_float;
}

bool sc_dtype_from_name(const char *name, sc_dtype *out) {
  for (unsigned i = 0; i < SC_DTYPE_COUNT; i++) {
    if (strcmp(name, dtypes[i].name) == 0) {
      *out = (sc_dtype)i;
      return true;
    }
  }
  return false;
}
