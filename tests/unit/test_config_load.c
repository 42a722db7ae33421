/* test_config_load.c: a model's configuration without its weights
 * (sc_model_config_load), as `seedchip profile --config` and `seedchip bench
 * --models` take it:
 * - Llama-3.1-8B's published config.json (its text, written here) gives the
 *   built-in llama-3.1-8b configuration, scaled RoPE factors included, and
 *   Mixtral-8x7B's the built-in mixtral-8x7b (8 experts, 2 per token); its
 *   expert counts missing or out of range are errors naming the key (a GGUF
 *   file's expert counts: test_gguf.c, which writes GGUF files);
 * - DeepSeek-V3's published config.json (its router keys, multi-token
 *   prediction and YaRN rope_scaling included, which are ignored) gives the
 *   built-in deepseek-v3 field by field, and DeepSeek-V2-Lite's (q_lora_rank
 *   null) the built-in deepseek-v2-lite; the same configuration comes from a
 *   deepseek2 GGUF header written here, in llama.cpp's older form (key_length
 *   = qk_nope + qk_rope, head_count_kv = head_count) and its newer one
 *   (head_count_kv 1, key_length_mla and value_length_mla); malformed or
 *   missing MLA and DeepSeek-expert values are errors naming the key, and the
 *   model loader refuses a deepseek2 GGUF (experts or not) with its reason;
 * - a GGUF file's metadata gives the configuration the full loader finds for
 *   the same file (stories260K from ../shared/models; skipped without it);
 * - a built-in name gives the built-in; a missing file, a malformed JSON and
 *   a configuration that fails the loaders' checks are errors naming the
 *   file. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen, strdup */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../test_models.h"
#include "seedchip/model.h"
#include "seedchip/util.h"

static const char llama31_8b[] =
    "{\"architectures\": [\"LlamaForCausalLM\"], \"attention_bias\": false,"
    " \"attention_dropout\": 0.0, \"bos_token_id\": 128000, \"eos_token_id\": 128001,"
    " \"hidden_act\": \"silu\", \"hidden_size\": 4096, \"initializer_range\": 0.02,"
    " \"intermediate_size\": 14336, \"max_position_embeddings\": 131072, \"mlp_bias\": false,"
    " \"model_type\": \"llama\", \"num_attention_heads\": 32, \"num_hidden_layers\": 32,"
    " \"num_key_value_heads\": 8, \"pretraining_tp\": 1, \"rms_norm_eps\": 1e-05,"
    " \"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
    " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"},"
    " \"rope_theta\": 500000.0, \"tie_word_embeddings\": false, \"torch_dtype\": \"bfloat16\","
    " \"transformers_version\": \"4.43.0.dev0\", \"use_cache\": true, \"vocab_size\": 128256}";

/* mistralai/Mixtral-8x7B-v0.1 */
static const char mixtral_8x7b[] =
    "{\"architectures\": [\"MixtralForCausalLM\"], \"attention_dropout\": 0.0,"
    " \"bos_token_id\": 1, \"eos_token_id\": 2, \"hidden_act\": \"silu\", \"hidden_size\": 4096,"
    " \"initializer_range\": 0.02, \"intermediate_size\": 14336,"
    " \"max_position_embeddings\": 32768, \"model_type\": \"mixtral\","
    " \"num_attention_heads\": 32, \"num_experts_per_tok\": 2, \"num_hidden_layers\": 32,"
    " \"num_key_value_heads\": 8, \"num_local_experts\": 8, \"output_router_logits\": false,"
    " \"rms_norm_eps\": 1e-05, \"rope_theta\": 1e6, \"router_aux_loss_coef\": 0.02,"
    " \"sliding_window\": null, \"tie_word_embeddings\": false, \"torch_dtype\": \"bfloat16\","
    " \"transformers_version\": \"4.36.0.dev0\", \"use_cache\": true, \"vocab_size\": 32000}";

/* deepseek-ai/DeepSeek-V3 */
static const char deepseek_v3[] =
    "{\"architectures\": [\"DeepseekV3ForCausalLM\"], \"attention_bias\": false,"
    " \"attention_dropout\": 0.0, \"auto_map\": {\"AutoConfig\": "
    "\"configuration_deepseek.DeepseekV3Config\", \"AutoModel\": "
    "\"modeling_deepseek.DeepseekV3Model\", \"AutoModelForCausalLM\": "
    "\"modeling_deepseek.DeepseekV3ForCausalLM\"}, \"aux_loss_alpha\": 0.001,"
    " \"bos_token_id\": 0, \"eos_token_id\": 1, \"ep_size\": 1, \"first_k_dense_replace\": 3,"
    " \"hidden_act\": \"silu\", \"hidden_size\": 7168, \"initializer_range\": 0.02,"
    " \"intermediate_size\": 18432, \"kv_lora_rank\": 512, \"max_position_embeddings\": 163840,"
    " \"model_type\": \"deepseek_v3\", \"moe_intermediate_size\": 2048, \"moe_layer_freq\": 1,"
    " \"n_group\": 8, \"n_routed_experts\": 256, \"n_shared_experts\": 1,"
    " \"norm_topk_prob\": true, \"num_attention_heads\": 128, \"num_experts_per_tok\": 8,"
    " \"num_hidden_layers\": 61, \"num_key_value_heads\": 128, \"num_nextn_predict_layers\": 1,"
    " \"pretraining_tp\": 1, \"q_lora_rank\": 1536, \"qk_nope_head_dim\": 128,"
    " \"qk_rope_head_dim\": 64, \"quantization_config\": {\"activation_scheme\": \"dynamic\","
    " \"fmt\": \"e4m3\", \"quant_method\": \"fp8\", \"weight_block_size\": [128, 128]},"
    " \"rms_norm_eps\": 1e-06, \"rope_scaling\": {\"beta_fast\": 32, \"beta_slow\": 1,"
    " \"factor\": 40, \"mscale\": 1.0, \"mscale_all_dim\": 1.0,"
    " \"original_max_position_embeddings\": 4096, \"type\": \"yarn\"}, \"rope_theta\": 10000,"
    " \"routed_scaling_factor\": 2.5, \"scoring_func\": \"sigmoid\", \"seq_aux\": true,"
    " \"tie_word_embeddings\": false, \"topk_group\": 4, \"topk_method\": \"noaux_tc\","
    " \"torch_dtype\": \"bfloat16\", \"transformers_version\": \"4.33.1\", \"use_cache\": true,"
    " \"v_head_dim\": 128, \"vocab_size\": 129280}";

/* deepseek-ai/DeepSeek-V2-Lite: no query latent */
static const char deepseek_v2_lite[] =
    "{\"architectures\": [\"DeepseekV2ForCausalLM\"], \"attention_bias\": false,"
    " \"attention_dropout\": 0.0, \"aux_loss_alpha\": 0.001, \"bos_token_id\": 100000,"
    " \"eos_token_id\": 100001, \"first_k_dense_replace\": 1, \"hidden_act\": \"silu\","
    " \"hidden_size\": 2048, \"initializer_range\": 0.02, \"intermediate_size\": 10944,"
    " \"kv_lora_rank\": 512, \"max_position_embeddings\": 163840, \"model_type\": \"deepseek_v2\","
    " \"moe_intermediate_size\": 1408, \"moe_layer_freq\": 1, \"n_group\": 1,"
    " \"n_routed_experts\": 64, \"n_shared_experts\": 2, \"norm_topk_prob\": false,"
    " \"num_attention_heads\": 16, \"num_experts_per_tok\": 6, \"num_hidden_layers\": 27,"
    " \"num_key_value_heads\": 16, \"pretraining_tp\": 1, \"q_lora_rank\": null,"
    " \"qk_nope_head_dim\": 128, \"qk_rope_head_dim\": 64, \"rms_norm_eps\": 1e-06,"
    " \"rope_scaling\": {\"beta_fast\": 32, \"beta_slow\": 1, \"factor\": 40,"
    " \"mscale\": 0.707, \"mscale_all_dim\": 0.707, \"original_max_position_embeddings\": 4096,"
    " \"type\": \"yarn\"}, \"rope_theta\": 10000, \"routed_scaling_factor\": 1.0,"
    " \"scoring_func\": \"softmax\", \"seq_aux\": true, \"tie_word_embeddings\": false,"
    " \"topk_group\": 1, \"topk_method\": \"greedy\", \"torch_dtype\": \"bfloat16\","
    " \"transformers_version\": \"4.33.1\", \"use_cache\": true, \"v_head_dim\": 128,"
    " \"vocab_size\": 102400}";

static char *write_temp(const char *text) {
  char *path = strdup("/tmp/seedchip_cfg_XXXXXX");
  assert_non_null(path);
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* text with its first `from` replaced by `to` (malloc'd). */
static char *edit(const char *text, const char *from, const char *to) {
  const char *p = strstr(text, from);
  assert_non_null(p);
  size_t head = (size_t)(p - text), n = strlen(text) - strlen(from) + strlen(to) + 1;
  char *s = malloc(n);
  assert_non_null(s);
  snprintf(s, n, "%.*s%s%s", (int)head, text, to, p + strlen(from));
  return s;
}

static void same_config(const sc_model_config *a, const sc_model_config *b) {
  assert_string_equal(a->arch, b->arch);
  assert_int_equal(a->dim, b->dim);
  assert_int_equal(a->hidden_dim, b->hidden_dim);
  assert_int_equal(a->n_layers, b->n_layers);
  assert_int_equal(a->n_heads, b->n_heads);
  assert_int_equal(a->n_kv_heads, b->n_kv_heads);
  assert_int_equal(a->head_dim, b->head_dim);
  assert_int_equal(a->vocab_size, b->vocab_size);
  assert_int_equal(a->max_seq_len, b->max_seq_len);
  assert_true(a->rope_theta == b->rope_theta);
  assert_true(a->norm_eps == b->norm_eps);
  assert_int_equal(a->rope_style, b->rope_style);
  assert_int_equal(a->tied_embeddings, b->tied_embeddings);
  assert_int_equal(a->qkv_bias, b->qkv_bias);
  assert_int_equal(a->rope_scaled, b->rope_scaled);
  assert_memory_equal(a->rope_factors, b->rope_factors, sizeof a->rope_factors);
  assert_int_equal(a->n_experts, b->n_experts);
  assert_int_equal(a->n_experts_used, b->n_experts_used);
  assert_int_equal(a->moe_hidden_dim, b->moe_hidden_dim);
  assert_int_equal(a->n_shared_experts, b->n_shared_experts);
  assert_int_equal(a->n_dense_layers, b->n_dense_layers);
  assert_int_equal(a->q_lora_rank, b->q_lora_rank);
  assert_int_equal(a->kv_lora_rank, b->kv_lora_rank);
  assert_int_equal(a->qk_nope_dim, b->qk_nope_dim);
  assert_int_equal(a->qk_rope_dim, b->qk_rope_dim);
  assert_int_equal(a->v_head_dim, b->v_head_dim);
}

static void test_config_json(void **state) {
  (void)state;
  char *path = write_temp(llama31_8b);
  sc_model_config got, want;
  char err[512];
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(sc_model_config_builtin("llama-3.1-8b", &want), SC_STATUS_OK);
  same_config(&got, &want);
  remove(path);
  free(path);
  /* a built-in name */
  assert_int_equal(sc_model_config_load("llama-2-70b", &got, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(got.n_layers, 80);
}

static void test_mixtral_json(void **state) {
  (void)state;
  char *path = write_temp(mixtral_8x7b);
  sc_model_config got, want;
  char err[512];
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(sc_model_config_builtin("mixtral-8x7b", &want), SC_STATUS_OK);
  same_config(&got, &want);
  /* the published values, written out once more */
  assert_int_equal(got.dim, 4096);
  assert_int_equal(got.hidden_dim, 14336);
  assert_int_equal(got.n_layers, 32);
  assert_int_equal(got.n_heads, 32);
  assert_int_equal(got.n_kv_heads, 8);
  assert_int_equal(got.vocab_size, 32000);
  assert_int_equal(got.max_seq_len, 32768);
  assert_true(got.rope_theta == 1e6f);
  assert_true(got.norm_eps == 1e-5f);
  assert_int_equal(got.n_experts, 8);
  assert_int_equal(got.n_experts_used, 2);
  remove(path);
  free(path);

  /* the expert counts: required, integers, 1 to 256 experts, 1 to experts per token */
  const struct {
    const char *from, *to, *want;
  } cases[] = {
      {"\"num_local_experts\": 8, ", "",
       "missing required key num_local_experts (experts per layer)"},
      {"\"num_local_experts\": 8", "\"num_local_experts\": null",
       "missing required key num_local_experts"},
      {"\"num_experts_per_tok\": 2, ", "",
       "missing required key num_experts_per_tok (experts per token, at most "
       "num_local_experts)"},
      {"\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 0",
       "num_experts_per_tok must be an integer from 1 to 8 (experts per token, at most "
       "num_local_experts), got 0"},
      {"\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 9",
       "num_experts_per_tok must be an integer from 1 to 8 (experts per token, at most "
       "num_local_experts), got 9"},
      {"\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 1.5",
       "num_experts_per_tok must be an integer from 1 to 8"},
      {"\"num_local_experts\": 8", "\"num_local_experts\": 0",
       "num_local_experts must be an integer from 1 to 256 (experts per layer), got 0"},
      {"\"num_local_experts\": 8", "\"num_local_experts\": 257",
       "num_local_experts must be an integer from 1 to 256 (experts per layer), got 257"},
      {"\"num_local_experts\": 8", "\"num_local_experts\": \"8\"",
       "num_local_experts must be an integer from 1 to 256 (experts per layer), got a string"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *text = edit(mixtral_8x7b, cases[i].from, cases[i].to);
    path = write_temp(text);
    err[0] = '\0';
    sc_status st = sc_model_config_load(path, &got, err, sizeof err);
    if (st != SC_STATUS_INVALID || strncmp(err, path, strlen(path)) != 0 ||
        !strstr(err, cases[i].want))
      fail_msg("case %zu: got %s \"%s\", want INVALID \"%s: ...%s\"", i, sc_status_name(st), err,
               path, cases[i].want);
    remove(path);
    free(path);
    free(text);
  }
  /* a dense architecture ignores the keys */
  char *text = edit(mixtral_8x7b, "\"model_type\": \"mixtral\"", "\"model_type\": \"mistral\"");
  char *dense = edit(text, "MixtralForCausalLM", "MistralForCausalLM");
  path = write_temp(dense);
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_string_equal(got.arch, "mistral");
  assert_int_equal(got.n_experts, 0);
  assert_int_equal(got.n_experts_used, 0);
  remove(path);
  free(path);
  free(dense);
  free(text);
}

/* A config file's text loads with status want and a message "path: ...<msg>...". */
static void load_fails(const char *text, sc_status want, const char *msg, const char *what) {
  char *path = write_temp(text);
  sc_model_config got;
  char err[512] = "";
  sc_status st = sc_model_config_load(path, &got, err, sizeof err);
  if (st != want || strncmp(err, path, strlen(path)) != 0 || !strstr(err, msg))
    fail_msg("%s: got %s \"%s\", want %s \"%s: ...%s\"", what, sc_status_name(st), err,
             sc_status_name(want), path, msg);
  remove(path);
  free(path);
}

static void test_deepseek_json(void **state) {
  (void)state;
  char *path = write_temp(deepseek_v3);
  sc_model_config got, want;
  char err[512];
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(sc_model_config_builtin("deepseek-v3", &want), SC_STATUS_OK);
  same_config(&got, &want);
  /* the published values, written out once more */
  assert_string_equal(got.arch, "deepseek2");
  assert_int_equal(got.dim, 7168);
  assert_int_equal(got.hidden_dim, 18432);
  assert_int_equal(got.n_layers, 61);
  assert_int_equal(got.n_heads, 128);
  assert_int_equal(got.n_kv_heads, 128);
  assert_int_equal(got.head_dim, 128 + 64);
  assert_int_equal(got.vocab_size, 129280);
  assert_int_equal(got.max_seq_len, 163840);
  assert_true(got.rope_theta == 10000.0f);
  assert_true(got.norm_eps == 1e-6f);
  assert_int_equal(got.rope_style, SC_ROPE_PAIRS);
  assert_false(got.rope_scaled); /* YaRN is not modelled */
  assert_false(got.tied_embeddings);
  assert_int_equal(got.n_experts, 256);
  assert_int_equal(got.n_experts_used, 8);
  assert_int_equal(got.moe_hidden_dim, 2048);
  assert_int_equal(got.n_shared_experts, 1);
  assert_int_equal(got.n_dense_layers, 3);
  assert_int_equal(got.q_lora_rank, 1536);
  assert_int_equal(got.kv_lora_rank, 512);
  assert_int_equal(got.qk_nope_dim, 128);
  assert_int_equal(got.qk_rope_dim, 64);
  assert_int_equal(got.v_head_dim, 128);
  remove(path);
  free(path);

  /* DeepSeek-V2-Lite: q_lora_rank null */
  path = write_temp(deepseek_v2_lite);
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(sc_model_config_builtin("deepseek-v2-lite", &want), SC_STATUS_OK);
  same_config(&got, &want);
  assert_int_equal(got.q_lora_rank, 0);
  assert_int_equal(got.n_shared_experts, 2);
  remove(path);
  free(path);

  /* transformers' own DeepSeek classes write head_dim = qk_rope_head_dim: ignored */
  char *text =
      edit(deepseek_v3, "\"hidden_size\": 7168", "\"head_dim\": 64, \"hidden_size\": 7168");
  path = write_temp(text);
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(got.head_dim, 192);
  remove(path);
  free(path);
  free(text);
  /* n_routed_experts null: a dense feed-forward, the other expert keys ignored */
  text = edit(deepseek_v3, "\"n_routed_experts\": 256", "\"n_routed_experts\": null");
  path = write_temp(text);
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(got.n_experts, 0);
  assert_int_equal(got.n_shared_experts, 0);
  assert_int_equal(got.n_dense_layers, 0);
  assert_int_equal(got.kv_lora_rank, 512);
  remove(path);
  free(path);
  free(text);

  const struct {
    const char *from, *to;
    sc_status st;
    const char *want;
  } cases[] = {
      {"\"qk_rope_head_dim\": 64, ", "", SC_STATUS_INVALID,
       "missing required key qk_rope_head_dim (a head's query and key elements with RoPE)"},
      {"\"qk_rope_head_dim\": 64", "\"qk_rope_head_dim\": 63", SC_STATUS_INVALID,
       "qk_rope_head_dim must be even (RoPE turns pairs), got 63"},
      {"\"qk_rope_head_dim\": 64", "\"qk_rope_head_dim\": 0", SC_STATUS_INVALID,
       "qk_rope_head_dim must be an integer from 2 to 4294967295 (a head's query and key "
       "elements with RoPE), got 0"},
      {"\"qk_nope_head_dim\": 128, ", "", SC_STATUS_INVALID,
       "missing required key qk_nope_head_dim"},
      {"\"v_head_dim\": 128", "\"v_head_dim\": \"128\"", SC_STATUS_INVALID,
       "v_head_dim must be an integer from 1 to 4294967295 (a head's value elements), got a "
       "string"},
      {"\"kv_lora_rank\": 512", "\"kv_lora_rank\": 0", SC_STATUS_INVALID,
       "kv_lora_rank must be an integer from 1 to 4294967295 (the key-value latent's width), "
       "got 0"},
      {"\"q_lora_rank\": 1536, ", "", SC_STATUS_INVALID,
       "missing required key q_lora_rank (the query latent's width, or null for none)"},
      {"\"q_lora_rank\": 1536", "\"q_lora_rank\": 1.5", SC_STATUS_INVALID,
       "q_lora_rank must be an integer from 1 to 4294967295"},
      {"\"n_routed_experts\": 256, ", "", SC_STATUS_INVALID,
       "missing required key n_routed_experts (routed experts per layer, or null for none)"},
      {"\"n_routed_experts\": 256", "\"n_routed_experts\": 257", SC_STATUS_INVALID,
       "n_routed_experts must be an integer from 1 to 256 (routed experts per layer, or null for "
       "none), got 257"},
      {"\"num_experts_per_tok\": 8", "\"num_experts_per_tok\": 300", SC_STATUS_INVALID,
       "num_experts_per_tok must be an integer from 1 to 256 (experts per token, at most "
       "n_routed_experts), got 300"},
      {"\"moe_intermediate_size\": 2048, ", "", SC_STATUS_INVALID,
       "missing required key moe_intermediate_size (each expert's hidden width)"},
      {"\"first_k_dense_replace\": 3", "\"first_k_dense_replace\": 61", SC_STATUS_INVALID,
       "first_k_dense_replace must be an integer from 0 to 60 (dense layers before the first "
       "with experts, below num_hidden_layers), got 61"},
      {"\"n_shared_experts\": 1", "\"n_shared_experts\": -1", SC_STATUS_INVALID,
       "n_shared_experts must be an integer from 0 to 256 (experts every token goes through), "
       "got -1"},
      {"\"moe_layer_freq\": 1", "\"moe_layer_freq\": 2", SC_STATUS_UNSUPPORTED,
       "moe_layer_freq other than 1 is not supported"},
      {"\"type\": \"yarn\"", "\"type\": \"linear\"", SC_STATUS_UNSUPPORTED,
       "rope_scaling of type 'linear' is not supported"},
      /* the configuration check, after the reader */
      {"\"num_key_value_heads\": 128", "\"num_key_value_heads\": 1", SC_STATUS_INVALID,
       "config: n_kv_heads (1) must equal n_heads (128) with multi-head latent attention"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    text = edit(deepseek_v3, cases[i].from, cases[i].to);
    char what[32];
    snprintf(what, sizeof what, "case %zu", i);
    load_fails(text, cases[i].st, cases[i].want, what);
    free(text);
  }
  /* a dense architecture ignores the DeepSeek keys */
  text = edit(deepseek_v3, "\"model_type\": \"deepseek_v3\"", "\"model_type\": \"llama\"");
  char *llama = edit(text, "DeepseekV3ForCausalLM", "LlamaForCausalLM");
  char *plain = edit(llama, "\"type\": \"yarn\"", "\"type\": \"default\"");
  path = write_temp(plain);
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_string_equal(got.arch, "llama");
  assert_int_equal(got.kv_lora_rank, 0);
  assert_int_equal(got.n_experts, 0);
  assert_int_equal(got.head_dim, 7168 / 128);
  remove(path);
  free(path);
  free(plain);
  free(llama);
  free(text);
}

/* ---- a deepseek2 GGUF header, as llama.cpp writes it ---- */

static void put_u32(sc_strbuf *b, uint32_t v) {
  char x[4] = {(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)};
  sc_strbuf_append(b, x, 4);
}

static void put_str(sc_strbuf *b, const char *s) {
  put_u32(b, (uint32_t)strlen(s));
  put_u32(b, 0);
  sc_strbuf_append(b, s, strlen(s));
}

/* GGUF value types: 4 uint32, 6 float32, 7 bool, 8 string */
typedef struct gkv {
  const char *key; /* after "deepseek2." */
  uint32_t type, u;
  float f;
  const char *s;
} gkv;

/* DeepSeek-V3's metadata in llama.cpp's older form (key_length = qk_nope +
 * qk_rope, head_count_kv = head_count) or newer one (MLA as one latent kv
 * head: head_count_kv 1, key_length kv_lora + rope, value_length kv_lora,
 * and the per-head sizes in key_length_mla / value_length_mla). Keys named in
 * skip are left out; key `set` gets value `v` (added as a uint32 when absent
 * or skipped). */
static char *deepseek_gguf(bool newer, const char *const *skip, const char *set, uint32_t v) {
  const gkv keys[] = {
      {"context_length", 4, 163840, 0, NULL},
      {"embedding_length", 4, 7168, 0, NULL},
      {"feed_forward_length", 4, 18432, 0, NULL},
      {"block_count", 4, 61, 0, NULL},
      {"attention.head_count", 4, 128, 0, NULL},
      {"attention.head_count_kv", 4, newer ? 1 : 128, 0, NULL},
      {"rope.freq_base", 6, 0, 10000.0f, NULL},
      {"attention.layer_norm_rms_epsilon", 6, 0, 1e-6f, NULL},
      {"expert_used_count", 4, 8, 0, NULL},
      {"leading_dense_block_count", 4, 3, 0, NULL},
      {"vocab_size", 4, 129280, 0, NULL},
      {"attention.q_lora_rank", 4, 1536, 0, NULL},
      {"attention.kv_lora_rank", 4, 512, 0, NULL},
      {"attention.key_length", 4, newer ? 512 + 64 : 192, 0, NULL},
      {"attention.value_length", 4, newer ? 512 : 128, 0, NULL},
      {newer ? "attention.key_length_mla" : NULL, 4, 192, 0, NULL},
      {newer ? "attention.value_length_mla" : NULL, 4, 128, 0, NULL},
      {"expert_feed_forward_length", 4, 2048, 0, NULL},
      {"expert_count", 4, 256, 0, NULL},
      {"expert_shared_count", 4, 1, 0, NULL},
      {"expert_weights_scale", 6, 0, 2.5f, NULL},
      {"expert_weights_norm", 7, 1, 0, NULL},
      {"expert_gating_func", 4, 2, 0, NULL},
      {"rope.dimension_count", 4, 64, 0, NULL},
      {"rope.scaling.type", 8, 0, 0, "yarn"},
      {"rope.scaling.factor", 6, 0, 40.0f, NULL},
      {"rope.scaling.original_context_length", 4, 4096, 0, NULL},
      {"rope.scaling.yarn_log_multiplier", 6, 0, 0.1f, NULL},
  };
  sc_strbuf kv = {0};
  uint32_t n = 0;
  bool set_done = set == NULL;
  for (size_t i = 0; i <= sizeof keys / sizeof keys[0]; i++) {
    gkv k;
    if (i < sizeof keys / sizeof keys[0])
      k = keys[i];
    else if (!set_done)
      k = (gkv){set, 4, v, 0, NULL}; /* the key to set was not in the table */
    else
      break;
    if (!k.key) continue;
    bool is_set = set && strcmp(set, k.key) == 0, skipped = false;
    for (const char *const *p = skip; p && *p; p++) skipped |= strcmp(*p, k.key) == 0;
    if (skipped && !is_set) continue;
    if (is_set) k.u = v, set_done = true;
    char name[96];
    snprintf(name, sizeof name, "deepseek2.%s", k.key);
    put_str(&kv, name);
    put_u32(&kv, k.type);
    if (k.type == 4 || k.type == 6) {
      uint32_t bits = k.u;
      if (k.type == 6) memcpy(&bits, &k.f, 4);
      put_u32(&kv, bits);
    } else if (k.type == 7) {
      sc_strbuf_append(&kv, k.u ? "\1" : "\0", 1);
    } else {
      put_str(&kv, k.s);
    }
    n++;
  }
  sc_strbuf f = {0};
  sc_strbuf_append(&f, "GGUF", 4);
  put_u32(&f, 3); /* version */
  put_u32(&f, 0); /* no tensors (u64) */
  put_u32(&f, 0);
  put_u32(&f, n + 1); /* keys (u64) */
  put_u32(&f, 0);
  put_str(&f, "general.architecture");
  put_u32(&f, 8);
  put_str(&f, "deepseek2");
  sc_strbuf_append(&f, sc_strbuf_str(&kv), kv.len);
  assert_false(f.oom || kv.oom);
  sc_strbuf_free(&kv);
  char *path = strdup("/tmp/seedchip_gguf_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *out = fdopen(fd, "wb");
  assert_non_null(out);
  assert_int_equal(fwrite(f.data, 1, f.len, out), f.len);
  fclose(out);
  sc_strbuf_free(&f);
  return path;
}

static void test_deepseek_gguf(void **state) {
  (void)state;
  sc_model_config want, got;
  char err[512];
  assert_int_equal(sc_model_config_builtin("deepseek-v3", &want), SC_STATUS_OK);
  want.tied_embeddings = true; /* a header alone has no output.weight */
  for (int newer = 0; newer < 2; newer++) {
    char *path = deepseek_gguf(newer, NULL, NULL, 0);
    if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
    same_config(&got, &want);
    /* the model loader refuses it, for its experts */
    sc_model *m = (sc_model *)1;
    assert_int_equal(sc_model_load(path, &m, err, sizeof err), SC_STATUS_UNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(err, "deepseek2.expert_count 256 (8 per token): mixture-of-experts"));
    remove(path);
    free(path);
  }
  /* without experts: the configuration of a dense MLA model; the loader refuses MLA */
  static const char *const no_experts[] = {
      "expert_count",        "expert_used_count",         "expert_feed_forward_length",
      "expert_shared_count", "leading_dense_block_count", NULL};
  char *path = deepseek_gguf(true, no_experts, NULL, 0);
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(got.n_experts, 0);
  assert_int_equal(got.kv_lora_rank, 512);
  assert_int_equal(got.head_dim, 192);
  sc_model *m = (sc_model *)1;
  assert_int_equal(sc_model_load(path, &m, err, sizeof err), SC_STATUS_UNSUPPORTED);
  assert_null(m);
  char msg[512];
  snprintf(msg, sizeof msg,
           "%s: deepseek2.attention.kv_lora_rank 512: multi-head latent attention weights are "
           "not loaded yet; use the file for its configuration (timing-only runs: seedchip "
           "profile --config, seedchip bench --models)",
           path);
  assert_string_equal(err, msg);
  remove(path);
  free(path);

  static const char *const no_kv_lora[] = {"attention.kv_lora_rank", NULL};
  static const char *const no_rope[] = {"rope.dimension_count", NULL};
  static const char *const no_moe_ffn[] = {"expert_feed_forward_length", NULL};
  static const char *const no_mla_lengths[] = {"attention.key_length_mla",
                                               "attention.value_length_mla", NULL};
  const struct {
    bool newer;
    const char *const *skip;
    const char *set;
    uint32_t v;
    sc_status st;
    const char *msg;
  } cases[] = {
      {true, NULL, "rope.dimension_count", 63, SC_STATUS_INVALID,
       "deepseek2.rope.dimension_count 63 must be even (RoPE turns pairs)"},
      {true, NULL, "attention.key_length_mla", 48, SC_STATUS_INVALID,
       "deepseek2.attention.key_length_mla 48 must be above deepseek2.rope.dimension_count 64 "
       "(a key is qk_nope + qk_rope elements)"},
      {false, NULL, "attention.key_length", 64, SC_STATUS_INVALID,
       "deepseek2.attention.key_length 64 must be above deepseek2.rope.dimension_count 64"},
      {false, NULL, "attention.value_length", 0, SC_STATUS_INVALID,
       "deepseek2.attention.value_length 0 must be at least 1"},
      {true, no_kv_lora, NULL, 0, SC_STATUS_NOT_FOUND,
       "metadata key 'deepseek2.attention.kv_lora_rank' is missing"},
      {true, NULL, "attention.kv_lora_rank", 0, SC_STATUS_INVALID,
       "deepseek2.attention.kv_lora_rank 0 must be at least 1"},
      {true, no_rope, NULL, 0, SC_STATUS_NOT_FOUND,
       "metadata key 'deepseek2.rope.dimension_count' is missing"},
      {true, NULL, "attention.head_count_kv", 8, SC_STATUS_INVALID,
       "deepseek2.attention.head_count_kv 8 must be 1 or deepseek2.attention.head_count (128) "
       "with multi-head latent attention"},
      {true, no_moe_ffn, NULL, 0, SC_STATUS_NOT_FOUND,
       "metadata key 'deepseek2.expert_feed_forward_length' is missing"},
      {true, NULL, "leading_dense_block_count", 61, SC_STATUS_INVALID,
       "deepseek2.leading_dense_block_count 61 must be below deepseek2.block_count (61)"},
      {true, no_experts + 1, NULL, 0, SC_STATUS_NOT_FOUND, /* expert_count kept, the rest gone */
       "metadata key 'deepseek2.expert_used_count' is missing"},
      {true, no_experts, "expert_shared_count", 2, SC_STATUS_INVALID,
       "deepseek2.expert_shared_count 2 without experts (deepseek2.expert_count absent or 0)"},
      /* the newer form needs its _mla keys: its key_length (576) is the latent's */
      {true, no_mla_lengths, NULL, 0, SC_STATUS_INVALID,
       "deepseek2.attention.head_count_kv 1 (the latent as one kv head) needs "
       "deepseek2.attention.key_length_mla and deepseek2.attention.value_length_mla"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    path = deepseek_gguf(cases[i].newer, cases[i].skip, cases[i].set, cases[i].v);
    err[0] = '\0';
    sc_status st = sc_model_config_load(path, &got, err, sizeof err);
    if (st != cases[i].st || strncmp(err, path, strlen(path)) != 0 || !strstr(err, cases[i].msg))
      fail_msg("case %zu: got %s \"%s\"\n  want %s \"%s: ...%s\"", i, sc_status_name(st), err,
               sc_status_name(cases[i].st), path, cases[i].msg);
    remove(path);
    free(path);
  }
}

static void test_gguf_metadata(void **state) {
  (void)state;
  char *path = test_model_path("gguf/stories260K.gguf");
  if (!path) skip(); /* test_model_path printed why */
  sc_model_config got;
  char err[512];
  if (sc_model_config_load(path, &got, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_model *m;
  if (sc_model_load(path, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  same_config(&got, sc_model_config_of(m));
  sc_model_free(m);
  free(path);
}

static void test_errors(void **state) {
  (void)state;
  sc_model_config c;
  char err[512];
  assert_int_equal(sc_model_config_load("/nonexistent/config.json", &c, err, sizeof err),
                   SC_STATUS_NOT_FOUND);
  assert_non_null(strstr(err, "/nonexistent/config.json"));
  char *bad = write_temp("{\"model_type\": \"llama\", \"hidden_size\": ");
  assert_int_not_equal(sc_model_config_load(bad, &c, err, sizeof err), SC_STATUS_OK);
  assert_non_null(strstr(err, bad));
  remove(bad);
  free(bad);
  /* passes the JSON reader, fails the loaders' check: heads do not divide into kv heads */
  char *odd = write_temp("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": "
                         "128, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, "
                         "\"num_key_value_heads\": 3, \"vocab_size\": 32, "
                         "\"max_position_embeddings\": 64}");
  assert_int_equal(sc_model_config_load(odd, &c, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(strstr(err, "n_kv_heads"));
  remove(odd);
  free(odd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_json),   cmocka_unit_test(test_mixtral_json),
      cmocka_unit_test(test_deepseek_json), cmocka_unit_test(test_deepseek_gguf),
      cmocka_unit_test(test_gguf_metadata), cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
