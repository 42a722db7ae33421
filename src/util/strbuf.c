/* strbuf.c: the growable string. Invariant: when data != NULL, data[len] == '\0'
 * and len < cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/util.h"

static bool strbuf_reserve(sc_strbuf *sb, size_t extra) {
  if (sb->oom) return false;
  size_t need;
  if (!sc_add_size(sb->len, extra, &need) || !sc_add_size(need, 1, &need)) {
    sb->oom = true;
    return false;
  }
  if (need <= sb->cap) return true;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  char *p = realloc(sb->data, cap);
  if (!p) {
    sb->oom = true;
    return false;
  }
  sb->data = p;
  sb->cap = cap;
  return true;
}

void sc_strbuf_append(sc_strbuf *sb, const char *s, size_t n) {
  if (!strbuf_reserve(sb, n)) return;
  if (n) memcpy(sb->data + sb->len, s, n);
  sb->len += n;
  sb->data[sb->len] = '\0';
}

void sc_strbuf_vprintf(sc_strbuf *sb, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    sb->oom = true;
    return;
  }
  if (!strbuf_reserve(sb, (size_t)n)) return;
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  sb->len += (size_t)n;
}

void sc_strbuf_printf(sc_strbuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sc_strbuf_vprintf(sb, fmt, ap);
  va_end(ap);
}

const char *sc_strbuf_str(const sc_strbuf *sb) {
  return sb->data ? sb->data : "";
}

void sc_strbuf_free(sc_strbuf *sb) {
  free(sb->data);
  *sb = (sc_strbuf){0};
}

void sc_text_line_col(const char *text, size_t pos, size_t *line, size_t *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < pos; i++) {
    if (text[i] == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}
