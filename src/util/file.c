/* file.c: whole-file reads with a size limit, and atomic whole-file writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/util.h"

sc_status sc_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, char *err,
                       size_t err_size) {
  *data = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  if (!buf) {
    fclose(f);
    return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
  }
  for (;;) {
    if (n + 1 >= cap) {
      if (cap > max_bytes) {
        free(buf);
        fclose(f);
        return sc_errf(err, err_size, SC_STATUS_OVERFLOW,
                       "%s: file is larger than the limit of %zu bytes", path, max_bytes);
      }
      uint8_t *p = realloc(buf, cap * 2);
      if (!p) {
        free(buf);
        fclose(f);
        return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
      }
      buf = p;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - 1 - n, f);
    n += got;
    if (got == 0) break;
  }
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    free(buf);
    return sc_errf(err, err_size, SC_STATUS_IO, "%s: read error", path);
  }
  if (n > max_bytes) {
    free(buf);
    return sc_errf(err, err_size, SC_STATUS_OVERFLOW,
                   "%s: file is larger than the limit of %zu bytes", path, max_bytes);
  }
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return SC_STATUS_OK;
}

sc_status sc_write_file(const char *path, const void *data, size_t len, char *err,
                        size_t err_size) {
  sc_strbuf tmp = {0};
  sc_strbuf_printf(&tmp, "%s.tmp", path);
  if (tmp.oom) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
  sc_status st = SC_STATUS_OK;
  FILE *f = fopen(tmp.data, "wb");
  if (!f) {
    st = sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", tmp.data, strerror(errno));
  } else {
    size_t put = len ? fwrite(data, 1, len, f) : 0;
    int close_failed = fclose(f);
    if (put != len || close_failed) {
      st = sc_errf(err, err_size, SC_STATUS_IO, "%s: write failed", tmp.data);
      remove(tmp.data);
    } else if (rename(tmp.data, path) != 0) {
      st = sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", path, strerror(errno));
      remove(tmp.data);
    }
  }
  sc_strbuf_free(&tmp);
  return st;
}
