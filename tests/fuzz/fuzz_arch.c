/* fuzz_arch.c: libFuzzer entry point for the architecture-file parser. Any
 * input must end in OK or an error status with messages, never a crash or a
 * leak; an accepted input must survive the canonical round trip unchanged. */
#include <stdint.h>
#include <stdlib.h>

#include "seedchip/arch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sc_arch *a = NULL;
  sc_strbuf err = {0};
  sc_status st = sc_arch_parse((const char *)data, size, "fuzz.json", &a, &err);
  if (st == SC_STATUS_OK) {
    sc_arch_figures f;
    sc_arch_derive(a, &f);
    sc_strbuf js = {0};
    sc_arch *b = NULL;
    if (sc_arch_to_json(a, &js) == SC_STATUS_OK &&
        sc_arch_parse(js.data, js.len, "canonical", &b, NULL) == SC_STATUS_OK) {
      if (!sc_arch_equal(a, b) || sc_arch_fingerprint(a) != sc_arch_fingerprint(b)) abort();
    } else if (!js.oom) {
      abort(); /* what we write must read back */
    }
    sc_arch_destroy(b);
    sc_strbuf_free(&js);
  } else if (a != NULL || (err.len == 0 && !err.oom && st != SC_STATUS_NO_MEMORY)) {
    abort(); /* a failure must explain itself */
  }
  sc_arch_destroy(a);
  sc_strbuf_free(&err);
  return 0;
}
