/* perf_fmt.c: numbers with SI prefixes, column padding by display width, and
 * the JSON and HTML escapes. Strings from programs (debug-map names) are
 * untrusted bytes: both escapes emit valid UTF-8 whatever they are given. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "perf_int.h"

void perf_fmt_si(char *buf, size_t size, double value, const char *unit) {
  static const struct {
    double scale;
    const char *prefix;
  } si[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"},  {1e6, "M"},  {1e3, "k"},
            {1, ""},     {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}, {1e-12, "p"}};
  if (value == 0 || !isfinite(value)) {
    snprintf(buf, size, "%g %s", value, unit);
    return;
  }
  double mag = fabs(value);
  size_t i = 0;
  while (i + 1 < SC_ARRAY_LEN(si) && mag < si[i].scale) i++;
  double v = value / si[i].scale;
  /* 4 significant digits; a mantissa that rounds up to 1000 takes the next prefix. */
  double av = fabs(v);
  int decimals = av < 9.9995 ? 3 : av < 99.995 ? 2 : av < 999.95 ? 1 : 0;
  if (decimals == 0 && i > 0 && av >= 999.95) {
    i--;
    v = value / si[i].scale;
    decimals = 3;
  }
  snprintf(buf, size, "%.*f %s%s", decimals, v, si[i].prefix, unit);
}

void perf_fmt_num(char *buf, size_t size, double value) {
  double av = fabs(value);
  if (value == 0)
    snprintf(buf, size, "0");
  else if (av < 1e-3 || av >= 1e15 || !isfinite(value))
    snprintf(buf, size, "%.3g", value);
  else
    snprintf(buf, size, "%.*f", av >= 999.5 ? 0 : av >= 99.95 ? 1 : av >= 9.995 ? 2 : 3, value);
}

void perf_fmt_group(char *buf, size_t size, uint64_t value) {
  char digits[24], grouped[32];
  int n = snprintf(digits, sizeof digits, "%" PRIu64, value), k = 0;
  for (int i = 0; i < n; i++) {
    if (i > 0 && (n - i) % 3 == 0) grouped[k++] = ',';
    grouped[k++] = digits[i];
  }
  grouped[k] = '\0';
  snprintf(buf, size, "%s", grouped);
}

/* Display columns of a UTF-8 string: bytes that do not continue a sequence. */
static int display_width(const char *s) {
  int w = 0;
  for (; *s; s++) w += ((unsigned char)*s & 0xc0) != 0x80;
  return w;
}

void perf_pad(sc_strbuf *sb, const char *s, int width, bool right_align) {
  int pad = width - display_width(s);
  if (right_align)
    for (int i = 0; i < pad; i++) sc_strbuf_append(sb, " ", 1);
  sc_strbuf_append(sb, s, strlen(s));
  if (!right_align)
    for (int i = 0; i < pad; i++) sc_strbuf_append(sb, " ", 1);
}

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0 when s starts an
 * ill-formed one (RFC 3629: no overlongs, surrogates or values past U+10FFFF). */
static size_t utf8_seq(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t n;
  unsigned lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf) return 0;
  return n;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void perf_json_string(sc_strbuf *sb, const char *s) {
  sc_strbuf_append(sb, "\"", 1);
  const unsigned char *u = (const unsigned char *)(s ? s : "");
  while (*u) {
    size_t n = utf8_seq(u);
    if (n == 0) {
      sc_strbuf_append(sb, replacement, 3);
      u++;
    } else if (*u == '"' || *u == '\\') {
      sc_strbuf_printf(sb, "\\%c", *u);
      u++;
    } else if (*u < 0x20 || *u == 0x7f) {
      sc_strbuf_printf(sb, "\\u%04x", *u);
      u++;
    } else {
      sc_strbuf_append(sb, (const char *)u, n);
      u += n;
    }
  }
  sc_strbuf_append(sb, "\"", 1);
}

void perf_html(sc_strbuf *sb, const char *s) {
  const unsigned char *u = (const unsigned char *)(s ? s : "");
  while (*u) {
    size_t n = utf8_seq(u);
    const char *rep = NULL;
    switch (n == 1 ? *u : 0) {
    case '&':
      rep = "&amp;";
      break;
    case '<':
      rep = "&lt;";
      break;
    case '>':
      rep = "&gt;";
      break;
    case '"':
      rep = "&quot;";
      break;
    case '\'':
      rep = "&#39;";
      break;
    default:
      if (n == 1 && (*u < 0x20 || *u == 0x7f)) rep = " ";
      break;
    }
    if (n == 0) {
      sc_strbuf_append(sb, replacement, 3);
      u++;
    } else if (rep) {
      sc_strbuf_append(sb, rep, strlen(rep));
      u++;
    } else {
      sc_strbuf_append(sb, (const char *)u, n);
      u += n;
    }
  }
}

const char perf_css_head[] =
    ":root{--fg:#1c2433;--muted:#5d6677;--line:#dde2ea;--bg:#f3f5f8;--accent:#24477f}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
    "sans-serif}\n"
    "header{background:#1b2a47;color:#fff;padding:26px 0 22px}\n"
    ".wrap{max-width:1180px;margin:0 auto;padding:0 32px}\n"
    "header h1{margin:0;font-size:25px;font-weight:600;letter-spacing:.2px}\n"
    "header .sub{margin-top:6px;color:#c9d3e6;font-size:14px}\n";

const char perf_css_tail[] =
    ".sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:7px;"
    "vertical-align:-1px}\n"
    "svg{display:block;max-width:100%;height:auto}\n"
    "svg text{font-family:inherit;font-size:12px;fill:#3a4354}\n"
    "svg .t{font-size:11px;fill:#6b7487}\n"
    "svg .h{font-size:12.5px;font-weight:600;fill:#1c2433}\n"
    "svg .halo{paint-order:stroke;stroke:#fbfcfd;stroke-width:4px;stroke-linejoin:round}\n"
    "footer{color:var(--muted);font-size:12px;padding:4px 0 30px}\n"
    "@media print{body{background:#fff}section{box-shadow:none;break-inside:avoid}}\n";

void perf_decade_label(char *buf, size_t size, int k, bool plain_small) {
  static const char *const prefix[] = {"", "k", "M", "G", "T", "P", "E", "Z"};
  if (plain_small && k >= -4 && k <= 3) {
    snprintf(buf, size, "%.*f", k < 0 ? -k : 0, pow(10, k));
  } else if (k >= 0 && k / 3 < (int)SC_ARRAY_LEN(prefix)) {
    snprintf(buf, size, "%.0f%s", pow(10, k % 3), prefix[k / 3]);
  } else {
    snprintf(buf, size, "1e%d", k);
  }
}
