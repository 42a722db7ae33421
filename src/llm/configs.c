/* configs.c: the architecture parameters of well-known models, as published
 * with their weights (each model's config.json), for compiling and timing
 * them without their weights (docs/LLM.md, "Built-in configurations"). */
#define _POSIX_C_SOURCE 200809L /* mmap, fstat */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llm_int.h"
#include "seedchip/gguf.h"
#include "seedchip/model.h"
#include "seedchip/util.h"

typedef struct builtin {
  const char *name;
  sc_model_config cfg;
} builtin;

#define LLAMA(d, f, l, h, kv, v, ctx, theta, eps)                                                  \
  {                                                                                                \
    .arch = "llama", .dim = d, .hidden_dim = f, .n_layers = l, .n_heads = h, .n_kv_heads = kv,     \
    .head_dim = (d) / (h), .vocab_size = v, .max_seq_len = ctx, .rope_theta = theta,               \
    .norm_eps = eps, .rope_style = SC_ROPE_HALVES                                                  \
  }

static const builtin builtins[] = {
    /* meta-llama/Llama-2-70b-hf */
    {"llama-2-70b", LLAMA(8192, 28672, 80, 64, 8, 32000, 4096, 10000.0f, 1e-5f)},
    /* meta-llama/Llama-3.1-8B (its rope_scaling: below, sc_model_config_builtin) */
    {"llama-3.1-8b", LLAMA(4096, 14336, 32, 32, 8, 128256, 131072, 500000.0f, 1e-5f)},
    {"llama-3.1-70b", LLAMA(8192, 28672, 80, 64, 8, 128256, 131072, 500000.0f, 1e-5f)},
    {"llama-3.1-405b", LLAMA(16384, 53248, 126, 128, 8, 128256, 131072, 500000.0f, 1e-5f)},
    /* mistralai/Mixtral-8x7B-v0.1: 8 experts of 14336, 2 per token; no sliding
     * window (sliding_window null) */
    {"mixtral-8x7b",
     {.arch = "mixtral",
      .dim = 4096,
      .hidden_dim = 14336,
      .n_layers = 32,
      .n_heads = 32,
      .n_kv_heads = 8,
      .head_dim = 128,
      .vocab_size = 32000,
      .max_seq_len = 32768,
      .rope_theta = 1000000.0f,
      .norm_eps = 1e-5f,
      .rope_style = SC_ROPE_HALVES,
      .n_experts = 8,
      .n_experts_used = 2}},
    /* deepseek-ai/DeepSeek-V3: multi-head latent attention, 256 routed experts
     * of 2048 (8 per token) and 1 shared, the first 3 layers dense. For timing
     * without weights: its YaRN rope_scaling (factor 40) and its sigmoid,
     * group-limited router are not modelled (plain RoPE, docs/LLM.md). */
    {"deepseek-v3",
     {.arch = "deepseek2",
      .dim = 7168,
      .hidden_dim = 18432,
      .n_layers = 61,
      .n_heads = 128,
      .n_kv_heads = 128,
      .head_dim = 128 + 64,
      .vocab_size = 129280,
      .max_seq_len = 163840,
      .rope_theta = 10000.0f,
      .norm_eps = 1e-6f,
      .rope_style = SC_ROPE_PAIRS,
      .n_experts = 256,
      .n_experts_used = 8,
      .moe_hidden_dim = 2048,
      .n_shared_experts = 1,
      .n_dense_layers = 3,
      .q_lora_rank = 1536,
      .kv_lora_rank = 512,
      .qk_nope_dim = 128,
      .qk_rope_dim = 64,
      .v_head_dim = 128}},
    /* deepseek-ai/DeepSeek-V2-Lite: queries straight from the input
     * (q_lora_rank null), 64 routed experts of 1408 (6 per token) and 2
     * shared, the first layer dense; YaRN not modelled, as above */
    {"deepseek-v2-lite",
     {.arch = "deepseek2",
      .dim = 2048,
      .hidden_dim = 10944,
      .n_layers = 27,
      .n_heads = 16,
      .n_kv_heads = 16,
      .head_dim = 128 + 64,
      .vocab_size = 102400,
      .max_seq_len = 163840,
      .rope_theta = 10000.0f,
      .norm_eps = 1e-6f,
      .rope_style = SC_ROPE_PAIRS,
      .n_experts = 64,
      .n_experts_used = 6,
      .moe_hidden_dim = 1408,
      .n_shared_experts = 2,
      .n_dense_layers = 1,
      .kv_lora_rank = 512,
      .qk_nope_dim = 128,
      .qk_rope_dim = 64,
      .v_head_dim = 128}},
};

const char *const *sc_model_config_names(void) {
  static const char *names[SC_ARRAY_LEN(builtins) + 2];
  for (size_t i = 0; i < SC_ARRAY_LEN(builtins); i++) names[i] = builtins[i].name;
  names[SC_ARRAY_LEN(builtins)] = "qwen2.5-72b";
  names[SC_ARRAY_LEN(builtins) + 1] = NULL;
  return names;
}

sc_status sc_model_config_builtin(const char *name, sc_model_config *out) {
  for (size_t i = 0; i < SC_ARRAY_LEN(builtins); i++)
    if (strcmp(name, builtins[i].name) == 0) {
      *out = builtins[i].cfg;
      /* Llama 3.1's rope_scaling: llama3, factor 8, low 1, high 4, 8192 positions */
      if (strncmp(name, "llama-3.1-", 10) == 0) return sc_rope_llama3(out, 8, 1, 4, 8192);
      return SC_STATUS_OK;
    }
  if (strcmp(name, "qwen2.5-72b") == 0) { /* Qwen/Qwen2.5-72B: q/k/v biases */
    *out = (sc_model_config)LLAMA(8192, 29568, 80, 64, 8, 152064, 32768, 1000000.0f, 1e-6f);
    memcpy(out->arch, "qwen2", 6);
    out->qkv_bias = true;
    return SC_STATUS_OK;
  }
  return SC_STATUS_NOT_FOUND;
}

/* The elements of a head that RoPE turns: all, or MLA's qk_rope_dim. */
static uint32_t rope_dim(const sc_model_config *c) {
  return c->kv_lora_rank > 0 ? c->qk_rope_dim : c->head_dim;
}

sc_status sc_rope_llama3(sc_model_config *c, double factor, double low, double high,
                         double orig_ctx) {
  uint32_t d = rope_dim(c), pairs = d / 2;
  if (!(factor >= 1) || !(low < high) || !(low > 0) || !(orig_ctx > 0) || pairs == 0 ||
      pairs > SC_ROPE_MAX_PAIRS)
    return SC_STATUS_INVALID;
  const double pi = 3.14159265358979323846;
  double lo_wave = orig_ctx / low, hi_wave = orig_ctx / high;
  for (uint32_t j = 0; j < pairs; j++) {
    double f = 1.0 / pow((double)c->rope_theta, 2.0 * j / (double)d);
    double wave = 2 * pi / f, g;
    if (wave < hi_wave) {
      g = f;
    } else if (wave > lo_wave) {
      g = f / factor;
    } else {
      double s = (orig_ctx / wave - low) / (high - low);
      g = (1 - s) * f / factor + s * f;
    }
    c->rope_factors[j] = (float)(f / g);
  }
  c->rope_scaled = true;
  return SC_STATUS_OK;
}

float sc_rope_freq(const sc_model_config *c, uint32_t j) {
  float f = 1.0f / powf(c->rope_theta, (float)(2 * j) / (float)rope_dim(c));
  if (c->rope_scaled && j < SC_ROPE_MAX_PAIRS && c->rope_factors[j] > 0) f /= c->rope_factors[j];
  return f;
}

/* The whole file mapped read-only (a GGUF: its metadata is read in place). */
static sc_status map_file(const char *path, const uint8_t **base, size_t *len, char *err,
                          size_t err_size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0 || sb.st_size <= 0) {
    close(fd);
    return sc_errf(err, err_size, SC_STATUS_IO, "%s: cannot read its size", path);
  }
  void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", path, strerror(errno));
  *base = p;
  *len = (size_t)sb.st_size;
  return SC_STATUS_OK;
}

sc_status sc_model_config_load(const char *name_or_path, sc_model_config *out, char *err,
                               size_t err_size) {
  *out = (sc_model_config){0};
  if (sc_model_config_builtin(name_or_path, out) == SC_STATUS_OK) return SC_STATUS_OK;
  /* the defaults a loaded model starts from (llm_model_new) */
  *out = (sc_model_config){.rope_theta = 10000.0f, .norm_eps = 1e-5f, .rope_style = SC_ROPE_PAIRS};
  char magic[4] = {0}, msg[512];
  FILE *f = fopen(name_or_path, "rb");
  if (!f)
    return sc_errf(err, err_size, SC_STATUS_NOT_FOUND,
                   "%s: neither a built-in configuration nor a readable file (%s)", name_or_path,
                   strerror(errno));
  size_t got = fread(magic, 1, 4, f);
  fclose(f);
  sc_status st;
  if (got == 4 && memcmp(magic, "GGUF", 4) == 0) {
    const uint8_t *base = NULL;
    size_t len = 0;
    st = map_file(name_or_path, &base, &len, err, err_size);
    if (st != SC_STATUS_OK) return st;
    sc_gguf *g;
    st = sc_gguf_open(base, len, name_or_path, &g, err, err_size);
    if (st == SC_STATUS_OK) {
      st = llm_gguf_config(g, out, err, err_size);
      /* tied as the loader finds it: no output.weight */
      out->tied_embeddings = sc_gguf_find_tensor(g, "output.weight") == NULL;
      sc_gguf_free(g);
    }
    munmap((void *)base, len);
  } else { /* a config.json, at most 16 MiB */
    uint8_t *bytes;
    size_t len;
    st = sc_read_file(name_or_path, 16u << 20, &bytes, &len, msg, sizeof msg);
    if (st != SC_STATUS_OK) return sc_errf(err, err_size, st, "%s", msg);
    st = llm_safetensors_config(name_or_path, (const char *)bytes, len, out, err, err_size);
    free(bytes);
  }
  if (st == SC_STATUS_OK && llm_config_check(out, msg, sizeof msg) != SC_STATUS_OK)
    st = sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s", name_or_path, msg);
  return st;
}
