/* llm_json.c: JSON text to a cJSON tree for the loaders that read JSON
 * (safetensors headers, config.json, tokenizer.json): the bytes are checked
 * for well-formed UTF-8 and raw control characters first, and every error
 * names its line and column. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "llm_int.h"
#include "seedchip/util.h"

const char *llm_json_type(const cJSON *j) {
  if (cJSON_IsObject(j)) return "an object";
  if (cJSON_IsArray(j)) return "an array";
  if (cJSON_IsString(j)) return "a string";
  if (cJSON_IsNumber(j)) return "a number";
  if (cJSON_IsBool(j)) return "a boolean";
  if (cJSON_IsNull(j)) return "null";
  return "an invalid value";
}

/* Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) or is a control
 * character JSON never allows raw (below 0x20 except tab, LF, CR); len when
 * there is none. */
static size_t first_bad_byte(const uint8_t *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
      i++;
      continue;
    }
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0; /* overlong */
      if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90; /* overlong */
      if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
      return i;
    }
    if (len - i < n || s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < n; k++)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += n;
  }
  return len;
}

/* Parses len bytes of text (not necessarily NUL-terminated) as one JSON
 * value followed only by whitespace. Errors read "<where>:line:col: problem". */
sc_status llm_json_parse(const char *where, const char *text, size_t len, cJSON **out, char *err,
                         size_t err_size) {
  *out = NULL;
  size_t line, col, bad = first_bad_byte((const uint8_t *)text, len);
  if (bad < len) {
    sc_text_line_col(text, bad, &line, &col);
    uint8_t b = (uint8_t)text[bad];
    return sc_errf(err, err_size, SC_STATUS_PARSE, "%s:%zu:%zu: %s (byte 0x%02x)", where, line, col,
                   b < 0x20 ? "control character" : "invalid UTF-8", b);
  }
  /* The position comes from return_parse_end rather than cJSON_GetErrorPtr,
   * which is process-wide state. */
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  size_t pos = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
  if (root) { /* cJSON stops after the value: anything but whitespace after it is an error */
    while (pos < len && strchr(" \t\r\n", text[pos])) pos++;
    if (pos < len) {
      cJSON_Delete(root);
      root = NULL;
    }
  }
  if (!root) {
    size_t rest = pos; /* cJSON stopped on trailing whitespace: the text ended too early */
    while (rest < len && strchr(" \t\r\n", text[rest])) rest++;
    if (rest >= len) pos = len;
    sc_text_line_col(text, pos, &line, &col);
    return sc_errf(err, err_size, SC_STATUS_PARSE, "%s:%zu:%zu: JSON syntax error%s", where, line,
                   col, pos >= len ? " (unexpected end of input)" : "");
  }
  *out = root;
  return SC_STATUS_OK;
}
