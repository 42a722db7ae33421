/* model.h: a trained language model as the rest of SeedChip sees it,
 * whatever file it came from: its configuration (a Llama-family decoder) and
 * its named weight tensors, mapped from the file where the format allows.
 *
 * Loaders (layer `llm`): llama2.c checkpoints, GGUF v3, Hugging Face
 * safetensors with config.json; sc_model_synthetic makes one of any shape
 * with pseudo-random weights. Each loader checks everything it reads: a truncated,
 * corrupt or inconsistent file gets SC_STATUS_PARSE / INVALID / IO with a
 * message naming the place ("blk.3.attn_q.weight: expected 64 x 64 F32
 * (16384 bytes), found 4096 bytes at offset 21344"), never a crash.
 *
 * Tensor names are canonical (GGUF's llama names), whatever the source:
 *   token_embd.weight [vocab, dim]        output_norm.weight [dim]
 *   output.weight [vocab, dim]            (absent when tied to token_embd)
 *   blk.N.attn_norm.weight [dim]          blk.N.ffn_norm.weight [dim]
 *   blk.N.attn_q.weight [n_heads*head_dim, dim]
 *   blk.N.attn_k.weight [n_kv_heads*head_dim, dim]   (and attn_v)
 *   blk.N.attn_output.weight [dim, n_heads*head_dim]
 *   blk.N.attn_q.bias / attn_k.bias / attn_v.bias    (Qwen2 only)
 *   blk.N.ffn_gate.weight [hidden, dim]   blk.N.ffn_up.weight [hidden, dim]
 *   blk.N.ffn_down.weight [dim, hidden]
 * With multi-head latent attention (kv_lora_rank > 0; nope = qk_nope_dim,
 * rope = qk_rope_dim, H = n_heads), instead of attn_q/k/v (GGUF deepseek2's
 * names, with the key and value up-projections apart as llama.cpp stores them):
 *   blk.N.attn_q_a.weight [q_lora_rank, dim]   blk.N.attn_q_a_norm.weight [q_lora_rank]
 *   blk.N.attn_q_b.weight [H*(nope+rope), q_lora_rank]  (per head: nope, then rope)
 *     (q_lora_rank 0: blk.N.attn_q.weight [H*(nope+rope), dim])
 *   blk.N.attn_kv_a_mqa.weight [kv_lora_rank + rope, dim]  (the latent, then the rope key)
 *   blk.N.attn_kv_a_norm.weight [kv_lora_rank]
 *   blk.N.attn_k_b.weight [H, kv_lora_rank, nope]  (key h = attn_k_b[h]^T latent)
 *   blk.N.attn_v_b.weight [H, v_head_dim, kv_lora_rank]  (value h = attn_v_b[h] latent)
 *   blk.N.attn_output.weight [dim, H*v_head_dim]
 * Shapes are outermost first (row-major): W[out][in], so y = W x. */
#ifndef SEEDCHIP_MODEL_H
#define SEEDCHIP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of stored weights (block-quantized ones are GGUF's). */
typedef enum sc_wtype {
  SC_WTYPE_F32,
  SC_WTYPE_F16,
  SC_WTYPE_BF16,
  SC_WTYPE_Q8_0, /* blocks of 32: fp16 scale d, 32 x int8 q; x = d * q */
  SC_WTYPE_Q4_0, /* blocks of 32: fp16 scale d, 16 bytes of nibbles; x = d * (q - 8);
                    element j < 16 in the low nibble of byte j, j >= 16 in the high one of j-16 */
  SC_WTYPE_COUNT
} sc_wtype;

const char *sc_wtype_name(sc_wtype t); /* "F32" ... "Q4_0" */

/* How a rotary embedding pairs the elements of a head. */
typedef enum sc_rope_style {
  SC_ROPE_PAIRS,  /* (2i, 2i+1): llama2.c, Meta's checkpoints, GGUF llama */
  SC_ROPE_HALVES, /* (i, i + head_dim/2): Hugging Face / NeoX layout */
} sc_rope_style;

enum { SC_ROPE_MAX_PAIRS = 256 }; /* d / 2 for a scaled RoPE (d: sc_rope_freq) */

typedef struct sc_model_config {
  char arch[32];       /* "llama", "qwen2", "mistral", "mixtral", "deepseek2" */
  uint32_t dim;        /* model width */
  uint32_t hidden_dim; /* feed-forward width */
  uint32_t n_layers;
  uint32_t n_heads, n_kv_heads; /* n_heads % n_kv_heads == 0 */
  uint32_t head_dim; /* dim / n_heads unless the file says otherwise (MLA: nope + rope) */
  uint32_t vocab_size;
  uint32_t max_seq_len; /* context the model was trained for */
  float rope_theta;     /* 10000 unless the file says otherwise */
  float norm_eps;       /* RMSNorm epsilon (1e-5 unless the file says otherwise) */
  sc_rope_style rope_style;
  /* Scaled RoPE (Llama 3.1's "llama3" rope_scaling, GGUF rope_freqs): pair j
   * of a head turns by pos * theta^(-2j / d) / rope_factors[j] (d: head_dim,
   * or qk_rope_dim with MLA; sc_rope_freq). All 0 (or rope_scaled false) =
   * plain RoPE. */
  bool rope_scaled;
  float rope_factors[SC_ROPE_MAX_PAIRS];
  bool tied_embeddings; /* the classifier is token_embd */
  bool qkv_bias;        /* attn_q/k/v have biases (Qwen2) */
  /* Mixture of experts (Mixtral): 0 = a dense feed-forward. Otherwise each
   * layer has n_experts SwiGLU experts of hidden_dim and a router, and each
   * token goes through n_experts_used of them. */
  uint32_t n_experts, n_experts_used;
  /* DeepSeek's mixture of experts (DeepSeek-V2/V3; all 0 for Mixtral): the
   * routed experts are moe_hidden_dim wide (0: hidden_dim), n_shared_experts
   * more of that width run on every token (one SwiGLU of n_shared_experts *
   * moe_hidden_dim), and the first n_dense_layers layers have a dense
   * feed-forward of hidden_dim instead. */
  uint32_t moe_hidden_dim, n_shared_experts, n_dense_layers;
  /* Multi-head latent attention (DeepSeek-V2/V3); kv_lora_rank 0: none.
   * Keys and values come from a latent of kv_lora_rank per position (the
   * cache holds it, normed, and one RoPE key of qk_rope_dim shared by every
   * head). A head's query and key have qk_nope_dim + qk_rope_dim (= head_dim)
   * elements, its value v_head_dim. Queries come from a latent of q_lora_rank
   * (0: straight from the input). RoPE turns the qk_rope_dim elements only,
   * in pairs, at theta^(-2j / qk_rope_dim). */
  uint32_t q_lora_rank, kv_lora_rank, qk_nope_dim, qk_rope_dim, v_head_dim;
} sc_model_config;

/* Fills c->rope_factors for Llama 3.1's "llama3" RoPE scaling (c->head_dim,
 * or with multi-head latent attention c->qk_rope_dim, and c->rope_theta set;
 * d below is that dimension): with f_j = theta^(-2j / d) and wavelength
 * w_j = 2 pi / f_j, the new frequency is f_j when w_j < orig_ctx / high,
 * f_j / factor when w_j > orig_ctx / low, and between them
 * (1 - s) f_j / factor + s f_j with s = (orig_ctx / w_j - low) / (high - low);
 * the factor stored is f_j / new (in double precision). INVALID for factor
 * < 1, low >= high, a zero orig_ctx or d beyond 2 SC_ROPE_MAX_PAIRS. */
SC_MUST_USE sc_status sc_rope_llama3(sc_model_config *c, double factor, double low, double high,
                                     double orig_ctx);
/* The RoPE frequency of pair j of c's heads (the reference forward pass and
 * the compiler's RoPE table both use it): 1 / powf(theta, 2j / d), divided by
 * rope_factors[j] when the RoPE is scaled, where d, the rotated dimension, is
 * qk_rope_dim with multi-head latent attention (kv_lora_rank > 0), else
 * head_dim. */
float sc_rope_freq(const sc_model_config *c, uint32_t j);

typedef struct sc_tensor {
  const char *name; /* canonical name (see above) */
  sc_wtype type;
  uint32_t rank;
  uint64_t shape[4]; /* outermost first */
  uint64_t n_elems;
  const void *data; /* n_bytes at data, inside the mapped file (or owned) */
  uint64_t n_bytes;
} sc_tensor;

typedef struct sc_model sc_model;

/* The configuration (always filled, also for weightless loads). */
const sc_model_config *sc_model_config_of(const sc_model *m);
/* Tensor by canonical name, or NULL. */
const sc_tensor *sc_model_tensor(const sc_model *m, const char *name);
size_t sc_model_tensor_count(const sc_model *m);
const sc_tensor *sc_model_tensor_at(const sc_model *m, size_t i);
/* The file the model came from ("llama2.c", "gguf", "safetensors"), or
 * "synthetic" (sc_model_synthetic). */
const char *sc_model_format(const sc_model *m);
void sc_model_free(sc_model *m);

/* Decodes n elements of t starting at element `first` to FP32 (exact for
 * F32/F16/BF16; d * q for the block formats, in FP32 arithmetic). */
void sc_tensor_to_f32(const sc_tensor *t, uint64_t first, uint64_t n, float *out);

/* The published architecture parameters of a well-known model, for timing it
 * without its weights: "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b",
 * "llama-3.1-405b", "qwen2.5-72b", "mixtral-8x7b", "deepseek-v3",
 * "deepseek-v2-lite" (arch "deepseek2"; their YaRN RoPE scaling is not
 * modelled). NOT_FOUND for another name. The names, NULL terminated, in a
 * static table. */
SC_MUST_USE sc_status sc_model_config_builtin(const char *name, sc_model_config *out);
const char *const *sc_model_config_names(void);

/* A configuration alone, for timing a model without its weights: a built-in
 * name (sc_model_config_builtin), or a file: a Hugging Face config.json (what
 * the safetensors loader reads) or a GGUF file, of which only the metadata is
 * read. The configuration is checked as the loaders check it (head_dim filled
 * in). Errors name the file and the problem, as the loaders'. */
SC_MUST_USE sc_status sc_model_config_load(const char *name_or_path, sc_model_config *out,
                                           char *err, size_t err_size);

/* Loads by file contents: a GGUF magic, a safetensors header, else a llama2.c
 * checkpoint. err gets the message on failure. */
SC_MUST_USE sc_status sc_model_load(const char *path, sc_model **out, char *err, size_t err_size);

/* A model of configuration cfg (any Llama-family shape) with deterministic
 * pseudo-random FP32 weights, for testing shapes no real model has and for
 * benchmarks: format "synthetic", every tensor of model.h in one owned block.
 * The weights depend only on seed and the tensor's name (xorshift64* seeded
 * from both), so a model with more layers starts with the same ones:
 *   matrices  W[out][in] ~ uniform(-a, a), a = 1 / sqrt(in), so activations
 *             stay O(1); token_embd (also the tied classifier) with in = dim
 *   norms     ~ uniform(0.8, 1.2)
 *   biases    ~ uniform(-0.1, 0.1) (attn_q/k/v, only with cfg->qkv_bias)
 * output.weight exists unless cfg->tied_embeddings. With multi-head latent
 * attention (kv_lora_rank > 0) each layer has MLA's tensors (above) instead
 * of attn_q/k/v: attn_q_a_norm and attn_kv_a_norm are norms, the rest
 * matrices whose "in" is the last dimension (attn_k_b's too). A mixture of
 * experts gets no expert weights: the dense feed-forward of hidden_dim in
 * every layer. head_dim 0 means dim / n_heads (qk_nope_dim + qk_rope_dim with
 * MLA); rope_theta 0 and norm_eps 0 take the defaults 10000 and 1e-5.
 * INVALID for a configuration llm's check refuses ("synthetic: config:
 * n_heads (6) is not a multiple of n_kv_heads (4)"), OVERFLOW when the
 * weights' bytes overflow or exceed 8 GiB, NO_MEMORY; *out is NULL then. */
SC_MUST_USE sc_status sc_model_synthetic(const sc_model_config *cfg, uint64_t seed, sc_model **out,
                                         char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
