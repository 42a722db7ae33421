/* util.h: small pieces every layer shares: status strings, checked size
 * arithmetic, message formatting, a growable string buffer and whole-file reads.
 *
 * Nothing here holds global state. */
#ifndef SEEDCHIP_UTIL_H
#define SEEDCHIP_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* a * b into *out; false (and *out untouched) when it would overflow size_t. */
static inline bool sc_mul_size(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return false;
  *out = a * b;
  return true;
}

/* a + b into *out; false when it would overflow size_t. */
static inline bool sc_add_size(size_t a, size_t b, size_t *out) {
  if (b > SIZE_MAX - a) return false;
  *out = a + b;
  return true;
}

/* printf into buf (always NUL-terminated, truncated to size); returns status
 * unchanged so error paths read `return sc_errf(err, n, SC_STATUS_PARSE, ...)`.
 * buf may be NULL when size is 0. */
SC_PRINTF(4, 5)
sc_status sc_errf(char *buf, size_t size, sc_status status, const char *fmt, ...);

/* A growable, always NUL-terminated string. Zero-initialise, append, then
 * sc_strbuf_free. An allocation failure latches `oom` and later appends do
 * nothing, so callers check once at the end. */
typedef struct sc_strbuf {
  char *data; /* NUL-terminated; NULL until the first append */
  size_t len; /* bytes before the NUL */
  size_t cap; /* bytes allocated */
  bool oom;   /* an append failed to allocate */
} sc_strbuf;

SC_PRINTF(2, 3) void sc_strbuf_printf(sc_strbuf *sb, const char *fmt, ...);
SC_PRINTF(2, 0) void sc_strbuf_vprintf(sc_strbuf *sb, const char *fmt, va_list ap);
void sc_strbuf_append(sc_strbuf *sb, const char *s, size_t n);
/* The contents, or "" when empty; valid until the next append or free. */
const char *sc_strbuf_str(const sc_strbuf *sb);
void sc_strbuf_free(sc_strbuf *sb);

/* The 1-based line and column (in bytes) of byte offset pos in text (for
 * messages that name a place in a file). */
void sc_text_line_col(const char *text, size_t pos, size_t *line, size_t *col);

/* Reads the whole file at path into a malloc'd buffer (NUL-terminated one byte
 * past *len, so text parsers may treat it as a string). Files larger than
 * max_bytes are refused. The caller frees *data. Returns SC_STATUS_IO or
 * SC_STATUS_OVERFLOW with "path: reason" in err. */
SC_MUST_USE sc_status sc_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len,
                                   char *err, size_t err_size);

/* Writes len bytes to path, atomically: into "path.tmp" then renamed, so a failed
 * write never leaves a truncated file behind. */
SC_MUST_USE sc_status sc_write_file(const char *path, const void *data, size_t len, char *err,
                                    size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
