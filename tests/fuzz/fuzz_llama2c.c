/* fuzz_llama2c.c: libFuzzer entry point for the llama2.c checkpoint loader.
 * Any input must end in OK or an error with a message, never a crash or a
 * leak; an accepted model must pass its own check and run two positions of
 * the reference forward pass (whatever the weights, NaN included). */
#include <stdint.h>
#include <stdlib.h>

#include "llm_int.h"
#include "seedchip/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sc_model *m = llm_model_new("llama2.c");
  if (!m) return 0;
  char err[256] = "";
  sc_status st = llm_llama2c_parse(m, data, size, "fuzz.bin", err, sizeof err);
  if (st != SC_STATUS_OK) {
    if (err[0] == '\0') abort(); /* a failure must explain itself */
  } else {
    const sc_model_config *c = sc_model_config_of(m);
    if (sc_model_tensor(m, "token_embd.weight") == NULL || c->vocab_size == 0) abort();
    sc_ref *r;
    if (sc_ref_create(m, 2, &r, err, sizeof err) == SC_STATUS_OK) {
      if (!sc_ref_forward(r, 0, 0) || !sc_ref_forward(r, (int32_t)(c->vocab_size - 1), 1)) abort();
      if (sc_ref_forward(r, (int32_t)c->vocab_size, 0) || sc_ref_forward(r, 0, 2)) abort();
      sc_ref_free(r);
    } else if (err[0] == '\0') {
      abort();
    }
  }
  sc_model_free(m);
  return 0;
}
