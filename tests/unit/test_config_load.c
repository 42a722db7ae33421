/* test_config_load.c: a model's configuration without its weights
 * (sc_model_config_load), as `seedchip profile --config` and `seedchip bench
 * --models` take it:
 * - Llama-3.1-8B's published config.json (its text, written here) gives the
 *   built-in llama-3.1-8b configuration, scaled RoPE factors included, and
 *   Mixtral-8x7B's the built-in mixtral-8x7b (8 experts, 2 per token); its
 *   expert counts missing or out of range are errors naming the key (a GGUF
 *   file's expert counts: test_gguf.c, which writes GGUF files);
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
      cmocka_unit_test(test_config_json),
      cmocka_unit_test(test_mixtral_json),
      cmocka_unit_test(test_gguf_metadata),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
