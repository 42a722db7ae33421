/* llm_int.h: what the model loaders of layer `llm` share: building an
 * sc_model (configuration, tensors, mapped files, owned memory) and checking
 * that its tensors match its configuration. model.c implements it; the
 * loaders (llama2c.c, gguf.c, safetensors.c) use it. */
#ifndef SEEDCHIP_LLM_INT_H
#define SEEDCHIP_LLM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "seedchip/gguf.h"
#include "seedchip/model.h"

struct cJSON;

/* A new, empty model loaded from a file of `format` ("gguf"). NULL when out of
 * memory. Its configuration is zeroed except rope_theta 10000, norm_eps 1e-5,
 * rope_style PAIRS. */
sc_model *llm_model_new(const char *format);
sc_model_config *llm_model_config(sc_model *m);

/* Maps the whole file at path read-only for the model's lifetime (mmap, or
 * read into owned memory where mmap is unavailable). IO with "path: reason". */
SC_MUST_USE sc_status llm_model_map(sc_model *m, const char *path, const uint8_t **base,
                                    uint64_t *size, char *err, size_t err_size);

/* size bytes of zeroed memory the model owns (for converted data). NULL when
 * out of memory. */
void *llm_model_alloc(sc_model *m, uint64_t size);

/* Adds a tensor (name copied; data borrowed from a mapping or owned memory).
 * INVALID when the name repeats, the rank is 0 or above 4, a dimension is 0,
 * the element count overflows, a block type's row is not a multiple of 32, or
 * n_bytes is not exactly what type and shape need ("name: expected ... bytes,
 * found ..."). */
SC_MUST_USE sc_status llm_model_add_tensor(sc_model *m, const char *name, sc_wtype type,
                                           uint32_t rank, const uint64_t *shape, const void *data,
                                           uint64_t n_bytes, char *err, size_t err_size);

/* Bytes of n elements of type t (block types: n a multiple of 32), or 0. */
uint64_t llm_wtype_bytes(sc_wtype t, uint64_t n);

/* Checks a configuration alone: every count 1 to 2^24 (n_layers to 4096,
 * max_seq_len any positive value), n_heads a multiple of n_kv_heads, head_dim
 * (dim / n_heads when 0, then filled in) even with head_dim * n_heads at most
 * 2^24, rope_theta > 0, norm_eps in [0, 1], a known rope_style. With
 * multi-head latent attention (kv_lora_rank > 0): qk_nope_dim, qk_rope_dim
 * (even) and v_head_dim 1 to 2^24, q_lora_rank 0 to 2^24, head_dim =
 * qk_nope_dim + qk_rope_dim (filled in when 0; it may be odd), n_kv_heads =
 * n_heads, v_head_dim * n_heads at most 2^24, no qkv_bias; without it all
 * five MLA fields 0. moe_hidden_dim, n_shared_experts and n_dense_layers 0
 * without experts; with them n_dense_layers below n_layers and the shared
 * experts' width at most 2^24. INVALID with "config: dim is 0 (must be 1 to
 * 16777216)" and the like, naming the field. */
SC_MUST_USE sc_status llm_config_check(sc_model_config *c, char *err, size_t err_size);

/* The tensors of every layer of a configuration that passed
 * llm_config_check (model.h), after "blk.N.", in a fixed order: attention
 * (attn_q/k/v/output, or multi-head latent attention's), feed-forward, then
 * attn_q/k/v.bias with qkv_bias. Shapes outermost first; the list is what
 * llm_model_check requires and what sc_model_synthetic makes. */
typedef enum llm_tkind { LLM_MATRIX, LLM_NORM, LLM_BIAS } llm_tkind;
typedef struct llm_layer_tensor {
  const char *suffix; /* "attn_q.weight" (static) */
  llm_tkind kind;
  uint32_t rank; /* 1 to 3 */
  uint64_t shape[3];
} llm_layer_tensor;
enum { LLM_MAX_LAYER_TENSORS = 16 };
/* Fills out (room for LLM_MAX_LAYER_TENSORS) and returns the count. */
uint32_t llm_layer_tensors(const sc_model_config *c, llm_layer_tensor *out);

/* Checks the configuration (llm_config_check) and that every tensor the
 * configuration needs is present with the shape it needs (see model.h), naming
 * the first tensor that is missing or has the wrong shape:
 * "blk.2.ffn_up.weight: expected [172, 64], found [64, 172]". Sets
 * tied_embeddings when output.weight is absent. */
SC_MUST_USE sc_status llm_model_check(sc_model *m, char *err, size_t err_size);

/* A configuration alone from a GGUF file's metadata / a config.json's text
 * (what the loaders read first), not checked. */
SC_MUST_USE sc_status llm_gguf_config(const sc_gguf *g, sc_model_config *cfg, char *err,
                                      size_t err_size);
SC_MUST_USE sc_status llm_safetensors_config(const char *cfg_name, const char *text, size_t len,
                                             sc_model_config *cfg, char *err, size_t err_size);

/* The per-format loaders sc_model_load dispatches to (llama2c.c, gguf.c,
 * safetensors.c). Each fills *out on success (the caller frees it with
 * sc_model_free) and leaves it NULL on failure, with "path: ..." in err. */
SC_MUST_USE sc_status llm_load_llama2c(const char *path, sc_model **out, char *err,
                                       size_t err_size);
SC_MUST_USE sc_status llm_load_gguf(const char *path, sc_model **out, char *err, size_t err_size);
SC_MUST_USE sc_status llm_load_safetensors(const char *path, sc_model **out, char *err,
                                           size_t err_size);

/* The llama2.c loader on bytes already in memory (borrowed for the model's
 * lifetime; name is the file name for messages): fills the empty model m.
 * The fuzz target calls it directly. */
SC_MUST_USE sc_status llm_llama2c_parse(sc_model *m, const uint8_t *base, uint64_t size,
                                        const char *name, char *err, size_t err_size);

/* JSON (llm_json.c). llm_json_parse parses len bytes of text (not necessarily
 * NUL-terminated) as one JSON value followed only by whitespace; *out is the
 * tree (cJSON_Delete it). PARSE with "<where>:line:col: problem" for invalid
 * UTF-8, raw control characters and syntax errors. llm_json_type names the
 * type of a value for messages ("an object", "a string", ...). */
SC_MUST_USE sc_status llm_json_parse(const char *where, const char *text, size_t len,
                                     struct cJSON **out, char *err, size_t err_size);
const char *llm_json_type(const struct cJSON *j);

#endif
