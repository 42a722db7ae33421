/* safetensors.c: Hugging Face checkpoints: config.json plus one
 * model.safetensors, or shards listed by model.safetensors.index.json.
 *
 * A .safetensors file is an 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
 * "__metadata__": {string: string}}), then the data section; offsets count from
 * its start. The files are mapped; tensors point into the mapping (a tensor
 * whose address is not a multiple of its element size is copied, so consumers
 * may read elements in place).
 *
 * Nothing in a file is trusted: the header length is checked against the file,
 * the JSON for UTF-8 and syntax (line:col), every tensor's dtype, shape and
 * byte count against each other, and the tensors must tile the data section
 * exactly (no overlap, no hole, nothing after the last one: the format's own
 * rule, which keeps a second payload from hiding in the file). Names map to the
 * canonical ones of model.h through two tables (`global_names`, `layer_names`);
 * a tensor that maps to nothing is an error naming it. config.json is read
 * through the `config_keys` table; settings the forward pass would silently
 * get wrong (scaled RoPE, an o_proj or MLP bias, another activation) are
 * refused as UNSUPPORTED. Hugging Face stores Q and K in the rotate-half
 * layout, so rope_style is HALVES.
 *
 * A Mixtral config.json (a mixture of experts) and a DeepSeek-V2/V3 one
 * (multi-head latent attention, DeepSeek's experts; arch "deepseek2") are
 * read for their configuration alone (llm_safetensors_config, for
 * timing-only runs): the model loaders refuse them before reading any
 * tensor, since experts' weights have no place in sc_model, MLA's are not
 * mapped yet, and loading either as a dense Llama would be wrong. */
#define _POSIX_C_SOURCE 200809L /* stat */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "llm_int.h"
#include "safetensors_int.h"
#include "seedchip/util.h"

#define MAX_HEADER_BYTES 100000000u /* the reference implementation's limit */
#define MAX_CONFIG_BYTES ((size_t)16 << 20)
#define MAX_INDEX_BYTES ((size_t)64 << 20)
#define MAX_RANK 8
/* The largest integer a JSON number (an IEEE double in cJSON) holds exactly. */
#define MAX_EXACT_INT 9007199254740992.0
/* Experts of a mixture (the GGUF reader's limit too). */
#define MAX_EXPERTS 256u

/* ---- tables ---- */

/* Every dtype of the safetensors format; the ones model.h can hold have a wtype. */
typedef struct st_dtype {
  const char *name;
  uint8_t size; /* bytes per element */
  int wtype;    /* sc_wtype, or -1: known to the format, not loadable */
} st_dtype;

static const st_dtype dtypes[] = {
    {"F32", 4, SC_WTYPE_F32},
    {"F16", 2, SC_WTYPE_F16},
    {"BF16", 2, SC_WTYPE_BF16},
    {"F64", 8, -1},
    {"I64", 8, -1},
    {"U64", 8, -1},
    {"I32", 4, -1},
    {"U32", 4, -1},
    {"I16", 2, -1},
    {"U16", 2, -1},
    {"I8", 1, -1},
    {"U8", 1, -1},
    {"BOOL", 1, -1},
    {"F8_E4M3", 1, -1},
    {"F8_E5M2", 1, -1},
};

/* Hugging Face tensor name -> canonical name (model.h). A NULL canonical name
 * marks a buffer that is recomputed rather than loaded. */
typedef struct name_map {
  const char *hf, *canon;
  bool bias; /* present only when the architecture has q/k/v biases */
} name_map;

static const name_map global_names[] = {
    {"model.embed_tokens.weight", "token_embd.weight", false},
    {"model.norm.weight", "output_norm.weight", false},
    {"lm_head.weight", "output.weight", false},
};

/* The part after "model.layers.N." -> the part after "blk.N.". */
static const name_map layer_names[] = {
    {"input_layernorm.weight", "attn_norm.weight", false},
    {"post_attention_layernorm.weight", "ffn_norm.weight", false},
    {"self_attn.q_proj.weight", "attn_q.weight", false},
    {"self_attn.k_proj.weight", "attn_k.weight", false},
    {"self_attn.v_proj.weight", "attn_v.weight", false},
    {"self_attn.o_proj.weight", "attn_output.weight", false},
    {"self_attn.q_proj.bias", "attn_q.bias", true},
    {"self_attn.k_proj.bias", "attn_k.bias", true},
    {"self_attn.v_proj.bias", "attn_v.bias", true},
    {"mlp.gate_proj.weight", "ffn_gate.weight", false},
    {"mlp.up_proj.weight", "ffn_up.weight", false},
    {"mlp.down_proj.weight", "ffn_down.weight", false},
    {"self_attn.rotary_emb.inv_freq", NULL, false}, /* older checkpoints: derived from rope_theta */
};

/* The architectures config.json may name, by model_type and by class, and
 * the arch they get in sc_model_config. */
typedef struct arch_map {
  const char *model_type, *hf_class, *arch;
  bool qkv_bias;
  bool sliding;  /* sliding_window applies whenever set (else only with use_sliding_window) */
  bool moe;      /* a mixture of experts: num_local_experts, num_experts_per_tok */
  bool deepseek; /* DeepSeek-V2/V3: MLA and DeepSeek's experts (read_deepseek) */
} arch_map;

static const arch_map archs[] = {
    {"llama", "LlamaForCausalLM", "llama", false, false, false, false},
    {"mistral", "MistralForCausalLM", "mistral", false, true, false, false},
    {"mixtral", "MixtralForCausalLM", "mixtral", false, true, true, false},
    {"qwen2", "Qwen2ForCausalLM", "qwen2", true, false, false, false},
    /* llama.cpp's name for both, as GGUF files say */
    {"deepseek_v2", "DeepseekV2ForCausalLM", "deepseek2", false, false, false, true},
    {"deepseek_v3", "DeepseekV3ForCausalLM", "deepseek2", false, false, false, true},
};

/* The numeric and boolean keys of config.json, stored into sc_model_config. */
typedef enum ckind { C_U32, C_F32, C_BOOL } ckind;

typedef struct config_key {
  const char *key;
  ckind kind;
  bool required; /* else absent or null keeps the default set before the walk */
  size_t offset; /* into sc_model_config */
} config_key;

#define CFG(member) offsetof(sc_model_config, member)
static const config_key config_keys[] = {
    {"hidden_size", C_U32, true, CFG(dim)},
    {"intermediate_size", C_U32, true, CFG(hidden_dim)},
    {"num_hidden_layers", C_U32, true, CFG(n_layers)},
    {"num_attention_heads", C_U32, true, CFG(n_heads)},
    {"num_key_value_heads", C_U32, false, CFG(n_kv_heads)}, /* default num_attention_heads */
    {"head_dim", C_U32, false, CFG(head_dim)},              /* default hidden_size / heads */
    {"vocab_size", C_U32, true, CFG(vocab_size)},
    {"max_position_embeddings", C_U32, true, CFG(max_seq_len)},
    {"rope_theta", C_F32, false, CFG(rope_theta)},                /* default 10000 */
    {"rms_norm_eps", C_F32, false, CFG(norm_eps)},                /* default 1e-6 (HF's) */
    {"tie_word_embeddings", C_BOOL, false, CFG(tied_embeddings)}, /* default false */
};
#undef CFG

/* ---- JSON (parsing and type names: llm_json.c) ---- */

/* A JSON number that is an integer in [0, 2^53]. */
static bool json_uint(const cJSON *j, uint64_t *v) {
  if (!cJSON_IsNumber(j)) return false;
  double d = j->valuedouble;
  if (!(d >= 0.0 && d <= MAX_EXACT_INT) || d != floor(d)) return false;
  *v = (uint64_t)d;
  return true;
}

/* ---- config.json ---- */

static const arch_map *find_arch(const char *model_type, const char *hf_class) {
  for (size_t i = 0; i < SC_ARRAY_LEN(archs); i++)
    if ((model_type && strcmp(model_type, archs[i].model_type) == 0) ||
        (hf_class && strcmp(hf_class, archs[i].hf_class) == 0))
      return &archs[i];
  return NULL;
}

/* model_type and architectures: at least one present, all supported, all the same. */
static sc_status read_arch(const char *cfg_name, const cJSON *root, const arch_map **out, char *err,
                           size_t err_size) {
  *out = NULL;
  const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "model_type");
  const cJSON *ar = cJSON_GetObjectItemCaseSensitive(root, "architectures");
  if (mt && !cJSON_IsNull(mt)) {
    if (!cJSON_IsString(mt))
      return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: model_type must be a string, got %s",
                     cfg_name, llm_json_type(mt));
    *out = find_arch(mt->valuestring, NULL);
    if (!*out)
      return sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                     "%s: model_type '%s' is not supported (llama, mistral, mixtral, qwen2, "
                     "deepseek_v2, deepseek_v3 are)",
                     cfg_name, mt->valuestring);
  }
  if (ar && !cJSON_IsNull(ar)) {
    if (!cJSON_IsArray(ar) || cJSON_GetArraySize(ar) < 1)
      return sc_errf(err, err_size, SC_STATUS_INVALID,
                     "%s: architectures must be a non-empty array of strings", cfg_name);
    int i = 0;
    for (const cJSON *e = ar->child; e; e = e->next, i++) {
      if (!cJSON_IsString(e))
        return sc_errf(err, err_size, SC_STATUS_INVALID,
                       "%s: architectures[%d] must be a string, got %s", cfg_name, i,
                       llm_json_type(e));
      const arch_map *a = find_arch(NULL, e->valuestring);
      if (!a)
        return sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                       "%s: architectures[%d] '%s' is not supported (LlamaForCausalLM, "
                       "MistralForCausalLM, MixtralForCausalLM, Qwen2ForCausalLM, "
                       "DeepseekV2ForCausalLM, DeepseekV3ForCausalLM are)",
                       cfg_name, i, e->valuestring);
      if (*out && a != *out)
        return sc_errf(err, err_size, SC_STATUS_INVALID,
                       "%s: architectures[%d] '%s' contradicts model_type '%s'", cfg_name, i,
                       e->valuestring, (*out)->model_type);
      *out = a;
    }
  }
  if (!*out)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: has neither model_type nor architectures",
                   cfg_name);
  return SC_STATUS_OK;
}

/* rope_scaling / rope_parameters: absent, null, of rope_type "default" (plain
 * RoPE) or "llama3" (apply_llama3). The other scaled variants ("linear",
 * "dynamic", "yarn", ...) are refused, except "yarn" where yarn_ok (DeepSeek,
 * which is read for timing only: its YaRN is not modelled, RoPE stays plain). */
static sc_status check_rope_type(const char *cfg_name, const char *key, const cJSON *j,
                                 bool yarn_ok, char *err, size_t err_size) {
  if (!j || cJSON_IsNull(j)) return SC_STATUS_OK;
  if (!cJSON_IsObject(j))
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s must be an object or null, got %s",
                   cfg_name, key, llm_json_type(j));
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "rope_type");
  if (!t) t = cJSON_GetObjectItemCaseSensitive(j, "type");
  if (!t || cJSON_IsNull(t)) {
    /* rope_parameters may hold only rope_theta; a rope_scaling object must say what it is */
    if (strcmp(key, "rope_parameters") == 0) return SC_STATUS_OK;
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s has no rope_type", cfg_name, key);
  }
  if (!cJSON_IsString(t))
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s.rope_type must be a string, got %s",
                   cfg_name, key, llm_json_type(t));
  if (strcmp(t->valuestring, "default") == 0 || strcmp(t->valuestring, "llama3") == 0 ||
      (yarn_ok && strcmp(t->valuestring, "yarn") == 0))
    return SC_STATUS_OK;
  return sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                 "%s: %s of type '%s' is not supported (only null, 'default' and 'llama3')",
                 cfg_name, key, t->valuestring);
}

/* A "llama3" rope_scaling (Llama 3.1 and later): its factor (required),
 * low_freq_factor (1), high_freq_factor (4) and original_max_position_embeddings
 * (8192) into cfg's RoPE factors (sc_rope_llama3). Nothing for other types. */
static sc_status apply_llama3(const char *cfg_name, const char *key, const cJSON *j,
                              sc_model_config *cfg, char *err, size_t err_size) {
  if (!cJSON_IsObject(j)) return SC_STATUS_OK;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "rope_type");
  if (!t) t = cJSON_GetObjectItemCaseSensitive(j, "type");
  if (!cJSON_IsString(t) || strcmp(t->valuestring, "llama3") != 0) return SC_STATUS_OK;
  static const char *const names[4] = {"factor", "low_freq_factor", "high_freq_factor",
                                       "original_max_position_embeddings"};
  double v[4] = {0, 1, 4, 8192};
  for (int i = 0; i < 4; i++) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, names[i]);
    if (!x && i == 0)
      return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s (llama3) has no factor", cfg_name,
                     key);
    if (!x) continue;
    if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || !(x->valuedouble > 0))
      return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s.%s must be a positive number",
                     cfg_name, key, names[i]);
    v[i] = x->valuedouble;
  }
  sc_model_config c = *cfg;
  if (!c.head_dim && c.n_heads) c.head_dim = c.dim / c.n_heads;
  if (sc_rope_llama3(&c, v[0], v[1], v[2], v[3]) != SC_STATUS_OK)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: %s (llama3): factor %g, low_freq_factor %g, high_freq_factor %g, "
                   "original_max_position_embeddings %g, head_dim %u: a factor of at least 1, "
                   "low below high and head_dim up to %d are needed",
                   cfg_name, key, v[0], v[1], v[2], v[3], c.head_dim, 2 * SC_ROPE_MAX_PAIRS);
  cfg->rope_scaled = true;
  memcpy(cfg->rope_factors, c.rope_factors, sizeof cfg->rope_factors);
  return SC_STATUS_OK;
}

/* A key that must be absent, null or false: a feature the forward pass lacks. */
static sc_status refuse_true(const char *cfg_name, const cJSON *root, const char *key,
                             const char *what, char *err, size_t err_size) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
  if (!j || cJSON_IsNull(j) || cJSON_IsFalse(j)) return SC_STATUS_OK;
  if (!cJSON_IsBool(j))
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s must be a boolean, got %s", cfg_name,
                   key, llm_json_type(j));
  return sc_errf(err, err_size, SC_STATUS_UNSUPPORTED, "%s: %s true (%s) is not supported",
                 cfg_name, key, what);
}

static sc_status read_key(const char *cfg_name, const cJSON *j, const config_key *k,
                          sc_model_config *cfg, char *err, size_t err_size) {
  void *dst = (char *)cfg + k->offset;
  uint64_t u;
  switch (k->kind) {
  case C_U32:
    if (!json_uint(j, &u) || u < 1 || u > UINT32_MAX)
      return sc_errf(err, err_size, SC_STATUS_INVALID,
                     "%s: %s must be an integer from 1 to %" PRIu32 ", got %s", cfg_name, k->key,
                     UINT32_MAX, cJSON_IsNumber(j) ? "another number" : llm_json_type(j));
    *(uint32_t *)dst = (uint32_t)u;
    return SC_STATUS_OK;
  case C_F32:
    if (!cJSON_IsNumber(j) || !(j->valuedouble > 0.0 && j->valuedouble <= 3.0e38))
      return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s must be a positive number, got %s",
                     cfg_name, k->key, cJSON_IsNumber(j) ? "another number" : llm_json_type(j));
    *(float *)dst = (float)j->valuedouble;
    return SC_STATUS_OK;
  case C_BOOL:
    if (!cJSON_IsBool(j))
      return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: %s must be a boolean, got %s", cfg_name,
                     k->key, llm_json_type(j));
    *(bool *)dst = cJSON_IsTrue(j);
    return SC_STATUS_OK;
  }
  return SC_STATUS_INTERNAL;
}

/* An integer key from lo to hi (a mixture's expert counts, MLA's widths);
 * `why` says what it counts, for the messages. Absent or null is an error
 * when required, else 0. */
static sc_status read_count(const char *cfg_name, const cJSON *root, const char *key, uint32_t lo,
                            uint32_t hi, const char *why, bool required, uint32_t *out, char *err,
                            size_t err_size) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
  *out = 0;
  if ((!j || cJSON_IsNull(j)) && !required) return SC_STATUS_OK;
  if (!j || cJSON_IsNull(j))
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: missing required key %s (%s)", cfg_name,
                   key, why);
  uint64_t u;
  if (!json_uint(j, &u) || u < lo || u > hi) {
    char got[48];
    if (cJSON_IsNumber(j))
      snprintf(got, sizeof got, "%g", j->valuedouble);
    else
      snprintf(got, sizeof got, "%s", llm_json_type(j));
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: %s must be an integer from %" PRIu32 " to %" PRIu32 " (%s), got %s",
                   cfg_name, key, lo, hi, why, got);
  }
  *out = (uint32_t)u;
  return SC_STATUS_OK;
}

/* DeepSeek-V2/V3: multi-head latent attention (every width required;
 * q_lora_rank null: no query latent) and DeepSeek's mixture of experts
 * (n_routed_experts null: a dense feed-forward). head_dim is left 0 for
 * llm_config_check to make qk_nope + qk_rope. The router's settings
 * (topk_method, n_group, topk_group, scoring_func, routed_scaling_factor,
 * norm_topk_prob) and the multi-token-prediction layers
 * (num_nextn_predict_layers) are not modelled and are ignored, as unknown
 * keys are. */
static sc_status read_deepseek(const char *cfg_name, const cJSON *root, sc_model_config *cfg,
                               char *err, size_t err_size) {
  sc_status st;
  const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "q_lora_rank");
  if (!cJSON_IsNull(q) && (st = read_count(cfg_name, root, "q_lora_rank", 1, UINT32_MAX,
                                           "the query latent's width, or null for none", true,
                                           &cfg->q_lora_rank, err, err_size)))
    return st;
  if ((st = read_count(cfg_name, root, "kv_lora_rank", 1, UINT32_MAX,
                       "the key-value latent's width", true, &cfg->kv_lora_rank, err, err_size)) ||
      (st = read_count(cfg_name, root, "qk_nope_head_dim", 1, UINT32_MAX,
                       "a head's query and key elements without RoPE", true, &cfg->qk_nope_dim, err,
                       err_size)) ||
      (st = read_count(cfg_name, root, "qk_rope_head_dim", 2, UINT32_MAX,
                       "a head's query and key elements with RoPE", true, &cfg->qk_rope_dim, err,
                       err_size)) ||
      (st = read_count(cfg_name, root, "v_head_dim", 1, UINT32_MAX, "a head's value elements", true,
                       &cfg->v_head_dim, err, err_size)))
    return st;
  if (cfg->qk_rope_dim % 2 != 0)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: qk_rope_head_dim must be even (RoPE turns pairs), got %" PRIu32, cfg_name,
                   cfg->qk_rope_dim);
  cfg->head_dim = 0;

  const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "n_routed_experts");
  if (cJSON_IsNull(e)) return SC_STATUS_OK; /* dense */
  if ((st = read_count(cfg_name, root, "n_routed_experts", 1, MAX_EXPERTS,
                       "routed experts per layer, or null for none", true, &cfg->n_experts, err,
                       err_size)) ||
      (st = read_count(cfg_name, root, "num_experts_per_tok", 1, cfg->n_experts,
                       "experts per token, at most n_routed_experts", true, &cfg->n_experts_used,
                       err, err_size)) ||
      (st = read_count(cfg_name, root, "moe_intermediate_size", 1, UINT32_MAX,
                       "each expert's hidden width", true, &cfg->moe_hidden_dim, err, err_size)) ||
      (st = read_count(cfg_name, root, "n_shared_experts", 0, MAX_EXPERTS,
                       "experts every token goes through", false, &cfg->n_shared_experts, err,
                       err_size)) ||
      (st = read_count(cfg_name, root, "first_k_dense_replace", 0, cfg->n_layers - 1,
                       "dense layers before the first with experts, below num_hidden_layers", false,
                       &cfg->n_dense_layers, err, err_size)))
    return st;
  /* every layer from first_k_dense_replace on has experts only with a frequency of 1 */
  const cJSON *freq = cJSON_GetObjectItemCaseSensitive(root, "moe_layer_freq");
  if (freq && !cJSON_IsNull(freq) && !(cJSON_IsNumber(freq) && freq->valuedouble == 1.0))
    return sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                   "%s: moe_layer_freq other than 1 is not supported (experts in every layer "
                   "from first_k_dense_replace on)",
                   cfg_name);
  return SC_STATUS_OK;
}

/* Fills cfg from the text of config.json; cfg->tied_embeddings holds
 * tie_word_embeddings (llm_model_check later derives it from the tensors). */
static sc_status read_config(const char *cfg_name, const char *text, size_t len,
                             sc_model_config *cfg, char *err, size_t err_size) {
  cJSON *root;
  sc_status st = llm_json_parse(cfg_name, text, len, &root, err, err_size);
  if (st != SC_STATUS_OK) return st;
  const arch_map *arch = NULL;
  if (!cJSON_IsObject(root)) {
    st = sc_errf(err, err_size, SC_STATUS_INVALID, "%s: must be a JSON object, got %s", cfg_name,
                 llm_json_type(root));
    goto done;
  }
  if ((st = read_arch(cfg_name, root, &arch, err, err_size))) goto done;
  snprintf(cfg->arch, sizeof cfg->arch, "%s", arch->arch);
  cfg->qkv_bias = arch->qkv_bias;
  /* DeepSeek's modelling code turns adjacent pairs (it de-interleaves q_pe
   * and k_pe before its rotate_half), so its weights are PAIRS */
  cfg->rope_style = arch->deepseek ? SC_ROPE_PAIRS : SC_ROPE_HALVES;
  cfg->rope_theta = 10000.0f;
  cfg->norm_eps = 1e-6f;
  cfg->tied_embeddings = false;
  cfg->n_experts = cfg->n_experts_used = 0;
  cfg->moe_hidden_dim = cfg->n_shared_experts = cfg->n_dense_layers = 0;
  cfg->q_lora_rank = cfg->kv_lora_rank = cfg->qk_nope_dim = cfg->qk_rope_dim = cfg->v_head_dim = 0;
  for (size_t i = 0; i < SC_ARRAY_LEN(config_keys); i++) {
    const config_key *k = &config_keys[i];
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, k->key);
    /* transformers' DeepSeek classes write head_dim = qk_rope_head_dim (for
     * their RoPE tables); the head here is qk_nope + qk_rope (read_deepseek) */
    if (arch->deepseek && strcmp(k->key, "head_dim") == 0) continue;
    if (!j || (cJSON_IsNull(j) && !k->required)) {
      if (k->required) {
        st = sc_errf(err, err_size, SC_STATUS_INVALID, "%s: missing required key %s", cfg_name,
                     k->key);
        goto done;
      }
      continue;
    }
    if ((st = read_key(cfg_name, j, k, cfg, err, err_size))) goto done;
  }
  if (cfg->n_kv_heads == 0) cfg->n_kv_heads = cfg->n_heads;
  /* Mixtral: intermediate_size is each expert's hidden width */
  if (arch->moe && ((st = read_count(cfg_name, root, "num_local_experts", 1, MAX_EXPERTS,
                                     "experts per layer", true, &cfg->n_experts, err, err_size)) ||
                    (st = read_count(cfg_name, root, "num_experts_per_tok", 1, cfg->n_experts,
                                     "experts per token, at most num_local_experts", true,
                                     &cfg->n_experts_used, err, err_size))))
    goto done;
  if (arch->deepseek && (st = read_deepseek(cfg_name, root, cfg, err, err_size))) goto done;

  /* transformers 5 moves rope_theta into rope_parameters */
  const cJSON *rp = cJSON_GetObjectItemCaseSensitive(root, "rope_parameters");
  if ((st = check_rope_type(cfg_name, "rope_scaling",
                            cJSON_GetObjectItemCaseSensitive(root, "rope_scaling"), arch->deepseek,
                            err, err_size)) ||
      (st = check_rope_type(cfg_name, "rope_parameters", rp, arch->deepseek, err, err_size)))
    goto done;
  const cJSON *theta =
      cJSON_IsObject(rp) ? cJSON_GetObjectItemCaseSensitive(rp, "rope_theta") : NULL;
  if (theta) {
    static const config_key k = {"rope_parameters.rope_theta", C_F32, false,
                                 offsetof(sc_model_config, rope_theta)};
    if ((st = read_key(cfg_name, theta, &k, cfg, err, err_size))) goto done;
  }
  if ((st = apply_llama3(cfg_name, "rope_scaling",
                         cJSON_GetObjectItemCaseSensitive(root, "rope_scaling"), cfg, err,
                         err_size)) ||
      (st = apply_llama3(cfg_name, "rope_parameters", rp, cfg, err, err_size)))
    goto done;

  const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "hidden_act");
  if (act && !cJSON_IsNull(act) && !cJSON_IsString(act)) {
    st = sc_errf(err, err_size, SC_STATUS_INVALID, "%s: hidden_act must be a string, got %s",
                 cfg_name, llm_json_type(act));
    goto done;
  }
  if (cJSON_IsString(act) && strcmp(act->valuestring, "silu") != 0) {
    st = sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                 "%s: hidden_act '%s' is not supported (only silu)", cfg_name, act->valuestring);
    goto done;
  }
  /* Llama's attention_bias adds an o_proj bias too, which the model has no tensor for. */
  if ((st = refuse_true(cfg_name, root, "attention_bias", "biases on q/k/v/o_proj", err,
                        err_size)) ||
      (st =
           refuse_true(cfg_name, root, "mlp_bias", "biases on the MLP projections", err, err_size)))
    goto done;

  /* A sliding attention window equals full attention up to its length, so
   * the usable context is capped there instead of refusing the model. Mistral
   * and Mixtral apply sliding_window whenever it is set; Qwen2 only with
   * use_sliding_window. */
  const cJSON *sw = cJSON_GetObjectItemCaseSensitive(root, "sliding_window");
  const cJSON *use = cJSON_GetObjectItemCaseSensitive(root, "use_sliding_window");
  if (use && !cJSON_IsBool(use) && !cJSON_IsNull(use)) {
    st = sc_errf(err, err_size, SC_STATUS_INVALID,
                 "%s: use_sliding_window must be a boolean, got %s", cfg_name, llm_json_type(use));
    goto done;
  }
  bool sliding = use && !cJSON_IsNull(use) ? cJSON_IsTrue(use) : arch->sliding;
  if (sliding && sw && !cJSON_IsNull(sw)) {
    uint64_t w;
    if (!json_uint(sw, &w) || w < 1) {
      st = sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: sliding_window must be a positive integer or null, got %s", cfg_name,
                   cJSON_IsNumber(sw) ? "another number" : llm_json_type(sw));
      goto done;
    }
    if (w < cfg->max_seq_len) cfg->max_seq_len = (uint32_t)w;
  }
done:
  cJSON_Delete(root);
  return st;
}

/* ---- one .safetensors file ---- */

typedef struct st_entry {
  const char *name; /* the header's key (owned by the parsed header) */
  const st_dtype *dtype;
  uint32_t rank;
  uint64_t shape[MAX_RANK];
  uint64_t begin, end; /* in the data section */
  size_t order;        /* position in the header, to sort deterministically */
} st_entry;

/* State across the files of one model. */
typedef struct st_ctx {
  sc_model *m;
  bool tie;                /* config.json: tie_word_embeddings */
  bool have_lm_head;       /* lm_head.weight was loaded */
  const cJSON *weight_map; /* sharded: the index's weight_map, else NULL */
  bool *seen;              /* sharded: weight_map entries found in a shard */
  const char *index_name;  /* sharded: the index file, for messages */
} st_ctx;

static int cmp_entry(const void *pa, const void *pb) {
  const st_entry *a = pa, *b = pb;
  if (a->begin != b->begin) return a->begin < b->begin ? -1 : 1;
  if (a->end != b->end) return a->end < b->end ? -1 : 1;
  return a->order < b->order ? -1 : a->order > b->order;
}

static void format_shape(char *buf, size_t size, uint32_t rank, const uint64_t *shape) {
  size_t k = (size_t)snprintf(buf, size, "[");
  for (uint32_t i = 0; i < rank && k < size; i++)
    k += (size_t)snprintf(buf + k, size - k, "%s%" PRIu64, i ? ", " : "", shape[i]);
  if (k < size) snprintf(buf + k, size - k, "]");
}

/* Reads one tensor's entry; data_size is the length of the data section. */
static sc_status read_entry(const char *file, const cJSON *j, uint64_t data_size, st_entry *e,
                            char *err, size_t err_size) {
  const char *name = e->name;
  if (!cJSON_IsObject(j))
    return sc_errf(err, err_size, SC_STATUS_PARSE, "%s: tensor '%s': must be an object, got %s",
                   file, name, llm_json_type(j));
  const cJSON *dt = cJSON_GetObjectItemCaseSensitive(j, "dtype");
  const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "shape");
  const cJSON *off = cJSON_GetObjectItemCaseSensitive(j, "data_offsets");
  if (!dt || !sh || !off)
    return sc_errf(err, err_size, SC_STATUS_PARSE, "%s: tensor '%s': missing key %s", file, name,
                   !dt   ? "dtype"
                   : !sh ? "shape"
                         : "data_offsets");
  if (!cJSON_IsString(dt))
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: tensor '%s': dtype must be a string, got %s", file, name,
                   llm_json_type(dt));
  for (size_t i = 0; i < SC_ARRAY_LEN(dtypes) && !e->dtype; i++)
    if (strcmp(dt->valuestring, dtypes[i].name) == 0) e->dtype = &dtypes[i];
  if (!e->dtype)
    return sc_errf(err, err_size, SC_STATUS_PARSE, "%s: tensor '%s': unknown dtype '%s'", file,
                   name, dt->valuestring);
  if (!cJSON_IsArray(sh))
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: tensor '%s': shape must be an array, got %s", file, name,
                   llm_json_type(sh));
  uint64_t n = 1;
  for (const cJSON *d = sh->child; d; d = d->next) {
    if (e->rank == MAX_RANK)
      return sc_errf(err, err_size, SC_STATUS_PARSE,
                     "%s: tensor '%s': shape has more than %d dimensions", file, name, MAX_RANK);
    uint64_t v;
    if (!json_uint(d, &v))
      return sc_errf(err, err_size, SC_STATUS_PARSE,
                     "%s: tensor '%s': shape[%" PRIu32 "] must be a non-negative integer", file,
                     name, e->rank);
    e->shape[e->rank++] = v;
    n = v == 0 || n == 0 ? 0 : (n > UINT64_MAX / v ? UINT64_MAX : n * v);
  }
  uint64_t need = n > UINT64_MAX / e->dtype->size ? UINT64_MAX : n * e->dtype->size;
  if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2 || !json_uint(off->child, &e->begin) ||
      !json_uint(off->child->next, &e->end))
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: tensor '%s': data_offsets must be [begin, end], two non-negative integers",
                   file, name);
  if (e->begin > e->end)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 ") end before they begin",
                   file, name, e->begin, e->end);
  if (e->end > data_size)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64
                   ") exceed the data section (%" PRIu64 " bytes)",
                   file, name, e->begin, e->end, data_size);
  if (e->end - e->begin != need) {
    char s[160], bytes[32] = "more than 2^64";
    if (need != UINT64_MAX) snprintf(bytes, sizeof bytes, "%" PRIu64, need);
    format_shape(s, sizeof s, e->rank, e->shape);
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: tensor '%s': %s %s needs %s bytes, data_offsets [%" PRIu64 ", %" PRIu64
                   ") hold %" PRIu64,
                   file, name, e->dtype->name, s, bytes, e->begin, e->end, e->end - e->begin);
  }
  return SC_STATUS_OK;
}

/* The tensors, sorted by offset, must tile [0, data_size) exactly. */
static sc_status check_layout(const char *file, const st_entry *e, size_t n, uint64_t data_size,
                              char *err, size_t err_size) {
  uint64_t at = 0;
  for (size_t i = 0; i < n; i++) {
    if (e[i].begin < at)
      return sc_errf(err, err_size, SC_STATUS_PARSE,
                     "%s: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64
                     ") overlap tensor '%s' [%" PRIu64 ", %" PRIu64 ")",
                     file, e[i].name, e[i].begin, e[i].end, e[i - 1].name, e[i - 1].begin,
                     e[i - 1].end);
    if (e[i].begin > at)
      return sc_errf(
          err, err_size, SC_STATUS_PARSE,
          "%s: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 ") leave a hole of %" PRIu64
          " bytes after %s%s%s (the tensors must cover the data section without holes)",
          file, e[i].name, e[i].begin, e[i].end, e[i].begin - at,
          i ? "tensor '" : "the start of the data section", i ? e[i - 1].name : "", i ? "'" : "");
    at = e[i].end;
  }
  if (at != data_size)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: %" PRIu64 " bytes after the last tensor (at data offset %" PRIu64
                   ") belong to no tensor",
                   file, data_size - at, at);
  return SC_STATUS_OK;
}

/* Canonical name of a Hugging Face name into buf; *map the row (NULL: unknown).
 * *layer is the layer (UINT32_MAX for a global name). */
static const name_map *map_name(const char *hf, uint32_t *layer, char *buf, size_t size) {
  *layer = UINT32_MAX;
  for (size_t i = 0; i < SC_ARRAY_LEN(global_names); i++)
    if (strcmp(hf, global_names[i].hf) == 0) {
      snprintf(buf, size, "%s", global_names[i].canon);
      return &global_names[i];
    }
  static const char prefix[] = "model.layers.";
  if (strncmp(hf, prefix, sizeof prefix - 1) != 0) return NULL;
  const char *p = hf + sizeof prefix - 1;
  if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '.')) return NULL; /* no leading zeros */
  uint64_t l = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    l = l * 10 + (uint64_t)(*p - '0');
    if (l > UINT32_MAX - 1) return NULL;
  }
  if (*p++ != '.') return NULL;
  for (size_t i = 0; i < SC_ARRAY_LEN(layer_names); i++)
    if (strcmp(p, layer_names[i].hf) == 0) {
      *layer = (uint32_t)l;
      snprintf(buf, size, "blk.%" PRIu32 ".%s", *layer,
               layer_names[i].canon ? layer_names[i].canon : "");
      return &layer_names[i];
    }
  return NULL;
}

/* The Hugging Face name of a canonical one into buf; false when there is none. */
static bool hf_name(const char *canon, char *buf, size_t size) {
  for (size_t i = 0; i < SC_ARRAY_LEN(global_names); i++)
    if (strcmp(canon, global_names[i].canon) == 0) {
      snprintf(buf, size, "%s", global_names[i].hf);
      return true;
    }
  unsigned long l;
  int used = 0;
  if (sscanf(canon, "blk.%lu.%n", &l, &used) != 1 || used == 0) return false;
  for (size_t i = 0; i < SC_ARRAY_LEN(layer_names); i++)
    if (layer_names[i].canon && strcmp(canon + used, layer_names[i].canon) == 0) {
      snprintf(buf, size, "model.layers.%lu.%s", l, layer_names[i].hf);
      return true;
    }
  return false;
}

/* The weight_map entry of name: its position, or -1. */
static int weight_map_find(const cJSON *wm, const char *name, const cJSON **item) {
  int i = 0;
  for (const cJSON *e = wm->child; e; e = e->next, i++)
    if (strcmp(e->string, name) == 0) {
      *item = e;
      return i;
    }
  return -1;
}

/* Adds the tensors of one mapped file (size bytes at base). shard: its name
 * in the index when sharded, else NULL. */
static sc_status add_file(st_ctx *c, const char *file, const uint8_t *base, uint64_t size,
                          const char *shard, char *err, size_t err_size) {
  if (size < 8)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: %" PRIu64 " bytes is too short for a safetensors file (at least the "
                   "8-byte header length)",
                   file, size);
  uint64_t n_header = 0;
  for (int i = 0; i < 8; i++) n_header |= (uint64_t)base[i] << (8 * i);
  if (n_header < 2 || n_header > MAX_HEADER_BYTES)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: header length %" PRIu64 " is outside 2 to %u bytes", file, n_header,
                   MAX_HEADER_BYTES);
  if (n_header > size - 8)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: header length %" PRIu64 " runs past the end of the file (%" PRIu64
                   " bytes follow the length)",
                   file, n_header, size - 8);
  const uint8_t *data = base + 8 + n_header;
  uint64_t data_size = size - 8 - n_header;

  sc_strbuf where = {0};
  sc_strbuf_printf(&where, "%s: header", file);
  if (where.oom) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", file);
  cJSON *root;
  sc_status st =
      llm_json_parse(where.data, (const char *)base + 8, (size_t)n_header, &root, err, err_size);
  sc_strbuf_free(&where);
  if (st != SC_STATUS_OK) return st;

  st_entry *e = NULL;
  size_t n = 0;
  if (!cJSON_IsObject(root)) {
    st = sc_errf(err, err_size, SC_STATUS_PARSE, "%s: header must be a JSON object, got %s", file,
                 llm_json_type(root));
    goto done;
  }
  size_t cap = (size_t)cJSON_GetArraySize(root);
  e = calloc(cap ? cap : 1, sizeof *e);
  if (!e) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", file);
    goto done;
  }
  for (const cJSON *j = root->child; j; j = j->next) {
    if (strcmp(j->string, "__metadata__") == 0) {
      if (!cJSON_IsObject(j)) {
        st = sc_errf(err, err_size, SC_STATUS_PARSE,
                     "%s: __metadata__ must be an object of strings, got %s", file,
                     llm_json_type(j));
        goto done;
      }
      for (const cJSON *v = j->child; v; v = v->next)
        if (!cJSON_IsString(v)) {
          st = sc_errf(err, err_size, SC_STATUS_PARSE,
                       "%s: __metadata__.%s must be a string, got %s", file, v->string,
                       llm_json_type(v));
          goto done;
        }
      continue;
    }
    e[n].name = j->string;
    e[n].order = n;
    if ((st = read_entry(file, j, data_size, &e[n], err, err_size))) goto done;
    n++;
  }
  qsort(e, n, sizeof *e, cmp_entry);
  if ((st = check_layout(file, e, n, data_size, err, err_size))) goto done;

  const sc_model_config *cfg = sc_model_config_of(c->m);
  for (size_t i = 0; i < n; i++) {
    const char *hf = e[i].name;
    if (c->weight_map) {
      const cJSON *item = NULL;
      int k = weight_map_find(c->weight_map, hf, &item);
      if (k < 0) {
        st = sc_errf(err, err_size, SC_STATUS_INVALID, "%s: tensor '%s': not listed in %s", file,
                     hf, c->index_name);
        goto done;
      }
      if (strcmp(item->valuestring, shard) != 0) {
        st = sc_errf(err, err_size, SC_STATUS_INVALID, "%s: tensor '%s': %s places it in '%s'",
                     file, hf, c->index_name, item->valuestring);
        goto done;
      }
      c->seen[k] = true;
    }
    char canon[96];
    uint32_t layer;
    const name_map *row = map_name(hf, &layer, canon, sizeof canon);
    if (!row) {
      st = sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: tensor '%s': not a tensor of a %s model (unknown name)", file, hf,
                   cfg->arch);
      goto done;
    }
    if (layer != UINT32_MAX && layer >= cfg->n_layers) {
      st = sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: tensor '%s': layer %" PRIu32 " is beyond num_hidden_layers (%" PRIu32 ")",
                   file, hf, layer, cfg->n_layers);
      goto done;
    }
    if (row->bias && !cfg->qkv_bias) {
      st = sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: tensor '%s': a %s model has no attention biases", file, hf, cfg->arch);
      goto done;
    }
    if (!row->canon) continue; /* a derived buffer */
    if (strcmp(hf, "lm_head.weight") == 0) {
      if (c->tie) continue; /* tied: Hugging Face replaces it by embed_tokens */
      c->have_lm_head = true;
    }
    if (e[i].dtype->wtype < 0) {
      st = sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                   "%s: tensor '%s': dtype %s is not supported (F32, F16 and BF16 are)", file, hf,
                   e[i].dtype->name);
      goto done;
    }
    const void *p = data + e[i].begin;
    uint64_t n_bytes = e[i].end - e[i].begin;
    if ((uintptr_t)p % e[i].dtype->size != 0) { /* readers may load elements in place */
      void *copy = llm_model_alloc(c->m, n_bytes);
      if (!copy) {
        st =
            sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: tensor '%s': out of memory", file, hf);
        goto done;
      }
      memcpy(copy, p, (size_t)n_bytes);
      p = copy;
    }
    char inner[256];
    if (e[i].rank > 4 ||
        (st = llm_model_add_tensor(c->m, canon, (sc_wtype)e[i].dtype->wtype, e[i].rank, e[i].shape,
                                   p, n_bytes, inner, sizeof inner))) {
      if (e[i].rank > 4) {
        snprintf(inner, sizeof inner, "rank %" PRIu32 " (must be 1 to 4)", e[i].rank);
        st = SC_STATUS_INVALID;
      }
      st = sc_errf(err, err_size, st, "%s: tensor '%s': %s", file, hf, inner);
      goto done;
    }
  }
done:
  free(e);
  cJSON_Delete(root);
  return st;
}

/* After every file: the classifier, and the tensors against the configuration.
 * A message of llm_model_check that names a canonical tensor gets its Hugging
 * Face name too. */
static sc_status finish(st_ctx *c, const char *path, const char *cfg_name, char *err,
                        size_t err_size) {
  if (!c->tie && !c->have_lm_head)
    return sc_errf(err, err_size, SC_STATUS_NOT_FOUND,
                   "%s: lm_head.weight: missing (%s: tie_word_embeddings is false)", path,
                   cfg_name);
  char inner[512];
  sc_status st = llm_model_check(c->m, inner, sizeof inner);
  if (st == SC_STATUS_OK) return st;
  const char *colon = strstr(inner, ": ");
  char canon[128], hf[160];
  size_t len = colon ? (size_t)(colon - inner) : 0;
  if (len > 0 && len < sizeof canon) {
    memcpy(canon, inner, len);
    canon[len] = '\0';
    if (strcmp(canon, "config") == 0)
      return sc_errf(err, err_size, st, "%s: %s", cfg_name, colon + 2);
    if (hf_name(canon, hf, sizeof hf))
      return sc_errf(err, err_size, st, "%s: tensor '%s' (%s): %s", path, hf, canon, colon + 2);
  }
  return sc_errf(err, err_size, st, "%s: %s", path, inner);
}

/* ---- entry points ---- */

/* The model loaders take dense models with attn_q/k/v only: a mixture's
 * experts have no tensors in sc_model (model.h), multi-head latent
 * attention's Hugging Face tensors are not mapped to model.h's yet, and
 * either read as a dense Llama would be wrong. */
static sc_status refuse_unloaded(const char *cfg_name, const sc_model_config *cfg, char *err,
                                 size_t err_size) {
  if (cfg->n_experts > 0)
    return sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                   "%s: %s, %" PRIu32 " experts (%" PRIu32 " per token): mixture-of-experts "
                   "weights are not loaded; use the configuration alone for timing-only runs "
                   "(seedchip profile --config, seedchip bench --models)",
                   cfg_name, cfg->arch, cfg->n_experts, cfg->n_experts_used);
  if (cfg->kv_lora_rank > 0)
    return sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                   "%s: %s, kv_lora_rank %" PRIu32 ": multi-head latent attention weights are "
                   "not loaded yet; use the file for its configuration (timing-only runs: "
                   "seedchip profile --config, seedchip bench --models)",
                   cfg_name, cfg->arch, cfg->kv_lora_rank);
  return SC_STATUS_OK;
}

sc_status llm_safetensors_config(const char *cfg_name, const char *text, size_t len,
                                 sc_model_config *cfg, char *err, size_t err_size) {
  return read_config(cfg_name, text, len, cfg, err, err_size);
}

sc_status llm_safetensors_parse(const char *config, size_t config_len, const uint8_t *file,
                                size_t file_size, sc_model **out, char *err, size_t err_size) {
  *out = NULL;
  sc_model *m = llm_model_new("safetensors");
  if (!m) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "config.json: out of memory");
  st_ctx c = {.m = m};
  sc_status st = read_config("config.json", config, config_len, llm_model_config(m), err, err_size);
  if (st == SC_STATUS_OK) st = refuse_unloaded("config.json", llm_model_config(m), err, err_size);
  if (st == SC_STATUS_OK) {
    c.tie = llm_model_config(m)->tied_embeddings;
    st = add_file(&c, "model.safetensors", file, file_size, NULL, err, err_size);
  }
  if (st == SC_STATUS_OK) st = finish(&c, "model.safetensors", "config.json", err, err_size);
  if (st != SC_STATUS_OK) {
    sc_model_free(m);
    return st;
  }
  *out = m;
  return SC_STATUS_OK;
}

static bool exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Loads the shards an index lists; every listed tensor must be found where
 * the index says. */
static sc_status load_sharded(st_ctx *c, const char *dir, const char *index_path, char *err,
                              size_t err_size) {
  uint8_t *text = NULL;
  size_t len = 0;
  sc_status st = sc_read_file(index_path, MAX_INDEX_BYTES, &text, &len, err, err_size);
  if (st != SC_STATUS_OK) return st;
  cJSON *root = NULL;
  const char **shards = NULL;
  sc_strbuf shard_path = {0};
  if ((st = llm_json_parse(index_path, (const char *)text, len, &root, err, err_size))) goto done;
  const cJSON *wm =
      cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
  if (!cJSON_IsObject(wm) || !wm->child) {
    st = sc_errf(err, err_size, SC_STATUS_INVALID,
                 "%s: weight_map must be a non-empty object of tensor name -> file name",
                 index_path);
    goto done;
  }
  size_t n = (size_t)cJSON_GetArraySize(wm), n_shards = 0;
  c->seen = calloc(n, sizeof *c->seen);
  shards = calloc(n, sizeof *shards);
  if (!c->seen || !shards) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", index_path);
    goto done;
  }
  c->weight_map = wm;
  c->index_name = index_path;
  for (const cJSON *e = wm->child; e; e = e->next) {
    const char *f = cJSON_IsString(e) ? e->valuestring : NULL;
    if (!f || !*f || strchr(f, '/') || strchr(f, '\\') || strcmp(f, ".") == 0 ||
        strcmp(f, "..") == 0) {
      st = sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: weight_map.%s must be a file name in the same directory", index_path,
                   e->string);
      goto done;
    }
    for (const cJSON *d = wm->child; d != e; d = d->next)
      if (strcmp(d->string, e->string) == 0) {
        st = sc_errf(err, err_size, SC_STATUS_INVALID, "%s: weight_map lists '%s' twice",
                     index_path, e->string);
        goto done;
      }
    size_t k = 0;
    while (k < n_shards && strcmp(shards[k], f) != 0) k++;
    if (k == n_shards) shards[n_shards++] = f;
  }
  for (size_t k = 0; k < n_shards; k++) {
    shard_path.len = 0;
    sc_strbuf_printf(&shard_path, "%s/%s", dir, shards[k]);
    if (shard_path.oom) {
      st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", index_path);
      goto done;
    }
    const uint8_t *base;
    uint64_t size;
    char inner[512];
    if ((st = llm_model_map(c->m, shard_path.data, &base, &size, inner, sizeof inner))) {
      st = sc_errf(err, err_size, st, "%s: shard '%s': %s", index_path, shards[k], inner);
      goto done;
    }
    if ((st = add_file(c, shard_path.data, base, size, shards[k], err, err_size))) goto done;
  }
  size_t i = 0;
  for (const cJSON *e = wm->child; e; e = e->next, i++)
    if (!c->seen[i]) {
      st = sc_errf(err, err_size, SC_STATUS_NOT_FOUND,
                   "%s: tensor '%s': not in shard '%s', where weight_map places it", index_path,
                   e->string, e->valuestring);
      goto done;
    }
done:
  sc_strbuf_free(&shard_path);
  free(shards);
  free(c->seen);
  c->seen = NULL;
  c->weight_map = NULL;
  cJSON_Delete(root);
  free(text);
  return st;
}

sc_status llm_load_safetensors(const char *path, sc_model **out, char *err, size_t err_size) {
  *out = NULL;
  struct stat sb;
  if (stat(path, &sb) != 0)
    return sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", path, strerror(errno));
  sc_strbuf dir = {0}, file = {0}, cfg_path = {0};
  sc_model *m = NULL;
  sc_status st = SC_STATUS_OK;
  bool sharded;
  if (S_ISDIR(sb.st_mode)) {
    sc_strbuf_printf(&dir, "%s", path);
    sc_strbuf_printf(&file, "%s/model.safetensors", path);
    sharded = !file.oom && !exists(file.data);
    if (sharded) {
      file.len = 0;
      sc_strbuf_printf(&file, "%s/model.safetensors.index.json", path);
      if (!file.oom && !exists(file.data)) {
        st = sc_errf(err, err_size, SC_STATUS_NOT_FOUND,
                     "%s: holds neither model.safetensors nor model.safetensors.index.json", path);
        goto done;
      }
    }
  } else {
    const char *slash = strrchr(path, '/');
    if (!slash)
      sc_strbuf_printf(&dir, ".");
    else if (slash == path)
      sc_strbuf_printf(&dir, "/");
    else
      sc_strbuf_append(&dir, path, (size_t)(slash - path));
    sc_strbuf_printf(&file, "%s", path);
    sharded = ends_with(path, ".index.json");
  }
  sc_strbuf_printf(&cfg_path, "%s/config.json", sc_strbuf_str(&dir));
  m = llm_model_new("safetensors");
  if (dir.oom || file.oom || cfg_path.oom || !m) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
    goto done;
  }
  uint8_t *text;
  size_t len;
  if ((st = sc_read_file(cfg_path.data, MAX_CONFIG_BYTES, &text, &len, err, err_size))) goto done;
  st = read_config(cfg_path.data, (const char *)text, len, llm_model_config(m), err, err_size);
  free(text);
  if (st == SC_STATUS_OK) st = refuse_unloaded(cfg_path.data, llm_model_config(m), err, err_size);
  if (st != SC_STATUS_OK) goto done;
  st_ctx c = {.m = m, .tie = llm_model_config(m)->tied_embeddings};
  if (sharded) {
    st = load_sharded(&c, dir.data, file.data, err, err_size);
  } else {
    const uint8_t *base;
    uint64_t size;
    if ((st = llm_model_map(m, file.data, &base, &size, err, err_size)) == SC_STATUS_OK)
      st = add_file(&c, file.data, base, size, NULL, err, err_size);
  }
  if (st == SC_STATUS_OK) st = finish(&c, path, cfg_path.data, err, err_size);
done:
  sc_strbuf_free(&dir);
  sc_strbuf_free(&file);
  sc_strbuf_free(&cfg_path);
  if (st != SC_STATUS_OK) {
    sc_model_free(m);
    return st;
  }
  *out = m;
  return SC_STATUS_OK;
}
