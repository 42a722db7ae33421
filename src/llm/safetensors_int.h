/* safetensors_int.h: the in-memory entry point of safetensors.c, for the
 * fuzz target and the unit test (llm_load_safetensors in llm_int.h is the one
 * the rest of the code base uses). */
#ifndef SEEDCHIP_SAFETENSORS_INT_H
#define SEEDCHIP_SAFETENSORS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "seedchip/model.h"

/* Builds a model from the text of a config.json (config_len bytes) and the
 * bytes of one .safetensors file, exactly as llm_load_safetensors does for a
 * single file, with messages naming "config.json" and "model.safetensors".
 * The tensors borrow `file` (except misaligned ones, which are copied): the
 * caller keeps it alive and unchanged until sc_model_free. Statuses as for
 * llm_load_safetensors; *out is NULL on failure. */
SC_MUST_USE sc_status llm_safetensors_parse(const char *config, size_t config_len,
                                            const uint8_t *file, size_t file_size, sc_model **out,
                                            char *err, size_t err_size);

#endif
