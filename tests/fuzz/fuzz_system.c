/* fuzz_system.c: libFuzzer entry point for the system-file parser. Any input
 * must end in OK or an error status with messages, never a crash or a leak;
 * an accepted input must survive the canonical round trip (chip inline)
 * unchanged, and routing must stay inside the link ids.
 *
 * The harness keeps off the file system: a "chip" that names an absolute path
 * is skipped (sc_arch_load's file reading is not what is fuzzed here), and
 * relative paths resolve under a directory that does not exist. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "seedchip/system.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when the input's top-level "chip" is a string starting with '/'. */
static bool names_absolute_path(const uint8_t *data, size_t size) {
  if (size > SC_SYS_MAX_FILE_BYTES) return false;
  cJSON *root = cJSON_ParseWithLength((const char *)data, size);
  bool abs_path = false;
  for (const cJSON *e = root && cJSON_IsObject(root) ? root->child : NULL; e; e = e->next)
    if (e->string && strcmp(e->string, "chip") == 0 && cJSON_IsString(e) &&
        e->valuestring[0] == '/')
      abs_path = true;
  cJSON_Delete(root);
  return abs_path;
}

static void check_routes(const sc_system *s) {
  uint32_t ids[2 * SC_SYS_MAX_CHIPS];
  uint32_t links = sc_system_links(s);
  for (uint32_t a = 0; a < s->chips; a++) {
    for (uint32_t b = 0; b < s->chips; b++) {
      uint32_t n = sc_system_route(s, a, b, ids, 2 * SC_SYS_MAX_CHIPS);
      if ((a == b) != (n == 0)) abort();
      for (uint32_t k = 0; k < n; k++)
        if (ids[k] >= links) abort();
      double lat = sc_system_latency_ns(s, a, b);
      if (!(lat >= 0)) abort();
    }
  }
  sc_system_figures f;
  sc_system_derive(s, &f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (names_absolute_path(data, size)) return 0;
  static sc_system s, back; /* large: off the stack */
  sc_strbuf err = {0};
  sc_status st =
      sc_system_parse((const char *)data, size, "fuzz.json", "/nonexistent-fuzz-dir", &s, &err);
  if (st == SC_STATUS_OK) {
    check_routes(&s);
    sc_strbuf js = {0}, js2 = {0};
    if (sc_system_to_json(&s, &js) == SC_STATUS_OK &&
        sc_system_parse(js.data, js.len, "canonical", NULL, &back, NULL) == SC_STATUS_OK) {
      if (sc_system_to_json(&back, &js2) != SC_STATUS_OK || strcmp(js.data, js2.data) != 0 ||
          !sc_arch_equal(&s.chip, &back.chip))
        abort();
    } else if (!js.oom) {
      abort(); /* what we write must read back */
    }
    sc_strbuf_free(&js);
    sc_strbuf_free(&js2);
  } else if (err.len == 0 && !err.oom && st != SC_STATUS_NO_MEMORY) {
    abort(); /* a failure must explain itself */
  }
  sc_strbuf_free(&err);
  return 0;
}
