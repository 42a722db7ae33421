/* model_cli.c: a model file compiled for a chip (model_cli.h). */
#include "model_cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool model_cores_parse(const char *s, uint32_t *out) {
  if (strcmp(s, "auto") == 0) {
    *out = 0;
    return true;
  }
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (end == s || *end || s[0] == '-' || v == 0 || v > 4096) return false;
  *out = (uint32_t)v;
  return true;
}

bool model_build_make(model_build *b, const char *path, const char *arch_name, sc_cc_wdtype wdtype,
                      uint32_t max_seq, uint32_t cores, sc_strbuf *listing) {
  char err[1024];
  sc_strbuf errors = {0};
  *b = (model_build){0};
  if (sc_model_load(path, &b->model, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("%s", err);
    return false;
  }
  if (sc_arch_load(arch_name, &b->arch, &errors) != SC_STATUS_OK) {
    cli_fail("cannot load architecture '%s':\n%s", arch_name, sc_strbuf_str(&errors));
    sc_strbuf_free(&errors);
    return false;
  }
  sc_system_single(b->arch, &b->sys);
  const sc_model_config *cfg = sc_model_config_of(b->model);
  b->cfg = *cfg;
  b->max_seq = max_seq                                       ? max_seq
               : cfg->max_seq_len && cfg->max_seq_len < 1024 ? cfg->max_seq_len
                                                             : 1024;
  sc_llama_step step = {.tokens = 1, .max_seq = b->max_seq, .act_dtype = SC_DTYPE_FP32};
  sc_cc_options opt = {.wdtype = wdtype, .cores = cores};
  if (sc_cc_llama_graph(cfg, &step, &b->graph, err, sizeof err) == SC_STATUS_OK && !cores)
    opt.cores = sc_cc_cores_auto(b->graph, b->arch);
  b->cores = opt.cores;
  if (!b->graph || sc_cc_compile_opts(b->graph, b->model, b->arch, &opt, &b->prog, listing, err,
                                      sizeof err) != SC_STATUS_OK) {
    cli_fail("%s: %s", path, err);
    return false;
  }
  return true;
}

bool model_build_config(model_build *b, const char *config, const char *arch_name,
                        const char *system, bool pipeline, sc_cc_wdtype wdtype, sc_dtype kv,
                        uint32_t max_seq, uint32_t tokens, uint32_t batch, bool attn_fp32,
                        uint32_t cores, sc_strbuf *listing) {
  char err[1024];
  sc_strbuf errors = {0};
  *b = (model_build){0};
  if (sc_model_config_load(config, &b->cfg, err, sizeof err) != SC_STATUS_OK) {
    sc_strbuf names = {0};
    for (const char *const *n = sc_model_config_names(); *n; n++)
      sc_strbuf_printf(&names, "%s%s", names.len ? ", " : "", *n);
    cli_fail("--config %s (built in: %s; or a config.json or GGUF file)", err,
             sc_strbuf_str(&names));
    sc_strbuf_free(&names);
    return false;
  }
  if (sc_arch_load(arch_name, &b->arch, &errors) != SC_STATUS_OK) {
    cli_fail("cannot load architecture '%s':\n%s", arch_name, sc_strbuf_str(&errors));
    sc_strbuf_free(&errors);
    return false;
  }
  if (!system) {
    sc_system_single(b->arch, &b->sys);
  } else if (sc_system_load(system, b->arch, &b->sys, &errors) != SC_STATUS_OK) {
    cli_fail("--system %s:\n%s", system, sc_strbuf_str(&errors));
    sc_strbuf_free(&errors);
    return false;
  }
  b->max_seq = max_seq ? max_seq : b->cfg.max_seq_len < 4096 ? b->cfg.max_seq_len : 4096;
  sc_llama_step step = {
      .tokens = batch > 1 ? batch
                : tokens  ? tokens
                          : 1,
      .batch = batch > 1 ? batch : 0,
      .max_seq = b->max_seq,
      .act_dtype = SC_DTYPE_FP32,
      .last_logits = true}; /* a prefill chunk: its last token's logits, as generation uses */
  if (pipeline && b->sys.chips > 1) {
    step.pp = b->sys.chips;
  } else {
    step.tp = b->sys.chips;
    step.ep = b->cfg.n_experts > 0;
  }
  sc_cc_options opt = {
      .wdtype = wdtype, .no_weights = true, .kv_dtype = kv, .attn_fp32 = attn_fp32, .cores = cores};
  if (sc_cc_llama_graph(&b->cfg, &step, &b->graph, err, sizeof err) == SC_STATUS_OK && !cores)
    opt.cores = sc_cc_cores_auto(b->graph, b->arch);
  b->cores = opt.cores;
  if (!b->graph || sc_cc_compile_tp(&b->cfg, &step, NULL, b->arch, &opt, b->sys.chips, &b->prog,
                                    listing, err, sizeof err) != SC_STATUS_OK) {
    cli_fail("%s: %s", config, err);
    return false;
  }
  return true;
}

void model_build_free(model_build *b) {
  sc_prog_destroy(b->prog);
  sc_graph_destroy(b->graph);
  sc_arch_destroy(b->arch);
  sc_model_free(b->model);
  *b = (model_build){0};
}
