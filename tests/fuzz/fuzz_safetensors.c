/* fuzz_safetensors.c: libFuzzer entry point for the safetensors loader
 * (config.json + one .safetensors file, through llm_safetensors_parse).
 *
 * Input: "<config.json>\0<file>" when it starts with '{' (JSON text holds
 * no NUL), else the whole input is the file and the config is `fixed_config`,
 * a tiny Llama (dim 8, 1 layer, vocab 16), so mutations of a valid file reach
 * the tensor checks. Any input must end in OK or an error with a message, never a
 * crash or a leak; an accepted model must pass its own check, decode every
 * tensor and run two positions of the reference forward pass. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm_int.h"
#include "safetensors_int.h"
#include "seedchip/reference.h"

static const char fixed_config[] =
    "{\"model_type\": \"llama\", \"hidden_size\": 8, \"intermediate_size\": 16,"
    " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"num_key_value_heads\": 1,"
    " \"vocab_size\": 16, \"max_position_embeddings\": 32, \"tie_word_embeddings\": false}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = size && data[0] == '{' ? memchr(data, 0, size) : NULL;
  size_t cfg_len = nul ? (size_t)(nul - data) : sizeof fixed_config - 1;
  /* Each part in a buffer of exactly its size, so ASan sees any overread. */
  char *cfg = malloc(cfg_len ? cfg_len : 1);
  size_t file_len = nul ? size - cfg_len - 1 : size;
  uint8_t *file = malloc(file_len ? file_len : 1);
  if (!cfg || !file) {
    free(cfg);
    free(file);
    return 0;
  }
  memcpy(cfg, nul ? (const void *)data : fixed_config, cfg_len);
  if (file_len) memcpy(file, nul ? nul + 1 : data, file_len);

  sc_model *m = NULL;
  char err[512] = "";
  sc_status st = llm_safetensors_parse(cfg, cfg_len, file, file_len, &m, err, sizeof err);
  if (st != SC_STATUS_OK) {
    if (m != NULL || err[0] == '\0') abort(); /* a failure must explain itself */
  } else {
    const sc_model_config *c = sc_model_config_of(m);
    if (c->rope_style != SC_ROPE_HALVES || llm_model_check(m, err, sizeof err) != SC_STATUS_OK)
      abort();
    float buf[64];
    for (size_t i = 0; i < sc_model_tensor_count(m); i++) {
      const sc_tensor *t = sc_model_tensor_at(m, i);
      for (uint64_t k = 0; k < t->n_elems; k += 64)
        sc_tensor_to_f32(t, k, t->n_elems - k < 64 ? t->n_elems - k : 64, buf);
    }
    sc_ref *r;
    if (sc_ref_create(m, 2, &r, err, sizeof err) == SC_STATUS_OK) {
      if (!sc_ref_forward(r, 0, 0) || !sc_ref_forward(r, (int32_t)(c->vocab_size - 1), 1)) abort();
      sc_ref_free(r);
    } else if (err[0] == '\0') {
      abort();
    }
    sc_model_free(m);
  }
  free(cfg);
  free(file);
  return 0;
}
