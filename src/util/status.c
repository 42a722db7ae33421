/* status.c: status strings, generated from status.def, and sc_errf. */
#include <stdio.h>

#include "seedchip/util.h"

static const char *const status_msg[] = {
#define SC_STATUS(name, msg) msg,
#include "seedchip/status.def"
#undef SC_STATUS
};

static const char *const status_names[] = {
#define SC_STATUS(name, msg) #name,
#include "seedchip/status.def"
#undef SC_STATUS
};

const char *sc_status_str(sc_status status) {
  if ((unsigned)status >= SC_ARRAY_LEN(status_msg)) return "unknown status";
  return status_msg[status];
}

const char *sc_status_name(sc_status status) {
  if ((unsigned)status >= SC_ARRAY_LEN(status_names)) return "UNKNOWN";
  return status_names[status];
}

sc_status sc_errf(char *buf, size_t size, sc_status status, const char *fmt, ...) {
  if (buf && size > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
  }
  return status;
}
