/* model_cli.h: what `seedchip generate`, `compile` and `profile` share: a
 * model file compiled for a chip, with the options they all take. */
#ifndef SEEDCHIP_MODEL_CLI_H
#define SEEDCHIP_MODEL_CLI_H

#include <stdint.h>

#include <stdbool.h>

#include "seedchip/cc.h"
#include "seedchip/system.h"

typedef struct model_build {
  sc_model *model; /* NULL when built from a configuration alone */
  sc_model_config cfg;
  sc_arch *arch;
  sc_graph *graph;
  sc_program *prog;
  uint32_t max_seq;
  sc_system sys;  /* the chips the program is for (one unless built for a system) */
  uint32_t cores; /* the cores of each chip the program runs on (sc_cc_options.cores) */
} model_build;

/* --cores: "auto" (0: sc_cc_cores_auto chooses) or a count of 1 to 4096;
 * false for anything else. */
bool model_cores_parse(const char *s, uint32_t *out);

/* Loads the model at path and the architecture, builds the one-token step
 * graph with a context of max_seq positions (0: the model's, at most 1024)
 * and compiles it with wdtype on `cores` cores of the chip (0: as many as
 * sc_cc_cores_auto chooses; more than the chip has is an error). listing (may be NULL) gets the
 * assembly. Prints the error ("seedchip: ...") and returns false on failure (b holds what was made;
 * model_build_free frees it either way). */
bool model_build_make(model_build *b, const char *path, const char *arch_name, sc_cc_wdtype wdtype,
                      uint32_t max_seq, uint32_t cores, sc_strbuf *listing);
/* The same from a configuration alone (a built-in name such as
 * "llama-3.1-8b"): the program has no weight data and runs only in the
 * timing-only mode. system (may be NULL: one chip) is a system spec
 * (sc_system_load): the step is split over its chips, tensor parallel
 * (experts whole on the chips for a mixture), or a pipeline of one stage per
 * chip. kv is the KV cache's dtype (fp32 or bf16). tokens (0 or 1: one, a
 * decode step) is the step's tokens of one sequence: a prefill chunk, which
 * gives its last token's logits alone (sc_llama_step.last_logits).
 * batch (0 or 1: one sequence) makes it a decode step of that many sequences
 * (tokens ignored). attn_fp32: a prefill's attention with FP32 MXU operands
 * (sc_cc_options.attn_fp32). cores as for model_build_make, on each chip.
 * listing (may be NULL) gets the assembly. */
bool model_build_config(model_build *b, const char *config, const char *arch_name,
                        const char *system, bool pipeline, sc_cc_wdtype wdtype, sc_dtype kv,
                        uint32_t max_seq, uint32_t tokens, uint32_t batch, bool attn_fp32,
                        uint32_t cores, sc_strbuf *listing);
void model_build_free(model_build *b);

#endif
