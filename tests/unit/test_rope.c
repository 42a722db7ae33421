/* test_rope.c: Llama 3.1's scaled RoPE (sc_rope_llama3, sc_rope_freq).
 *
 * The factors for Llama-3.1-8B's published rope_scaling (theta 500000,
 * head_dim 128, factor 8, low_freq_factor 1, high_freq_factor 4,
 * original_max_position_embeddings 8192) are checked against values computed
 * independently from Hugging Face's formula (transformers'
 * _compute_llama3_parameters, evaluated in Python in double precision):
 * pairs 0-28 keep their frequency, 35-63 divide it by 8, and 29-34 lie
 * between. The built-in Llama 3.1 configurations carry these factors, other
 * models none; bad parameters are refused; sc_rope_freq divides the plain
 * frequency by the factor. With multi-head latent attention the rotated
 * dimension is qk_rope_dim, not head_dim (DeepSeek-V3: 64 of 192). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "seedchip/model.h"

/* Python: freq / new_freq for pairs 29..34 (the smooth band) */
static const double band[6] = {1.207483871283662, 1.5534146285049255, 2.0263132059050553,
                               2.694529687894733, 3.6842525277457185, 5.257326588708467};

static void test_llama3_factors(void **state) {
  (void)state;
  sc_model_config c = {.head_dim = 128, .rope_theta = 500000.0f};
  assert_int_equal(sc_rope_llama3(&c, 8, 1, 4, 8192), SC_STATUS_OK);
  assert_true(c.rope_scaled);
  for (uint32_t j = 0; j < 64; j++) {
    double want = j < 29 ? 1.0 : j > 34 ? 8.0 : band[j - 29];
    double got = (double)c.rope_factors[j];
    if (!(fabs(got - want) <= 1e-6 * want))
      fail_msg("pair %u: factor %.9g, Hugging Face's formula gives %.9g", j, got, want);
    /* the frequency used is the plain one divided by it */
    float plain = 1.0f / powf(500000.0f, (float)(2 * j) / 128.0f);
    assert_true(sc_rope_freq(&c, j) == plain / c.rope_factors[j]);
  }
}

static void test_builtins(void **state) {
  (void)state;
  sc_model_config c;
  assert_int_equal(sc_model_config_builtin("llama-3.1-70b", &c), SC_STATUS_OK);
  assert_true(c.rope_scaled);
  assert_true(c.rope_factors[0] == 1.0f && c.rope_factors[63] == 8.0f);
  assert_true(fabs((double)c.rope_factors[32] - band[3]) < 1e-6);
  assert_int_equal(sc_model_config_builtin("llama-2-70b", &c), SC_STATUS_OK);
  assert_false(c.rope_scaled);
  /* plain RoPE: sc_rope_freq is theta^(-2j/d) */
  assert_true(sc_rope_freq(&c, 5) == 1.0f / powf(c.rope_theta, 10.0f / (float)c.head_dim));
}

/* Multi-head latent attention turns only qk_rope_dim elements of a head:
 * the frequencies and the llama3 factors are those of a head of that size,
 * whatever head_dim is (the compiler's copy with head_dim set to the rope
 * table's width agrees). */
static void test_mla(void **state) {
  (void)state;
  sc_model_config c;
  assert_int_equal(sc_model_config_builtin("deepseek-v3", &c), SC_STATUS_OK);
  assert_int_equal(c.head_dim, 192);
  assert_int_equal(c.qk_rope_dim, 64);
  sc_model_config table = c;
  table.head_dim = c.qk_rope_dim;
  for (uint32_t j = 0; j < 32; j++) {
    float want = 1.0f / powf(10000.0f, (float)(2 * j) / 64.0f);
    assert_true(sc_rope_freq(&c, j) == want);
    assert_true(sc_rope_freq(&table, j) == want);
  }
  sc_model_config mla = {.head_dim = 192,
                         .rope_theta = 500000.0f,
                         .kv_lora_rank = 16,
                         .qk_nope_dim = 128,
                         .qk_rope_dim = 64};
  sc_model_config plain = {.head_dim = 64, .rope_theta = 500000.0f};
  assert_int_equal(sc_rope_llama3(&mla, 8, 1, 4, 8192), SC_STATUS_OK);
  assert_int_equal(sc_rope_llama3(&plain, 8, 1, 4, 8192), SC_STATUS_OK);
  assert_memory_equal(mla.rope_factors, plain.rope_factors, sizeof mla.rope_factors);
  for (uint32_t j = 0; j < 32; j++) assert_true(sc_rope_freq(&mla, j) == sc_rope_freq(&plain, j));
}

static void test_bad_parameters(void **state) {
  (void)state;
  sc_model_config c = {.head_dim = 128, .rope_theta = 500000.0f};
  assert_int_equal(sc_rope_llama3(&c, 0.5, 1, 4, 8192), SC_STATUS_INVALID); /* factor < 1 */
  assert_int_equal(sc_rope_llama3(&c, 8, 4, 1, 8192), SC_STATUS_INVALID);   /* low >= high */
  assert_int_equal(sc_rope_llama3(&c, 8, 1, 4, 0), SC_STATUS_INVALID);      /* no context */
  assert_int_equal(sc_rope_llama3(&c, (double)NAN, 1, 4, 8192), SC_STATUS_INVALID);
  c.head_dim = 2 * SC_ROPE_MAX_PAIRS + 2;
  assert_int_equal(sc_rope_llama3(&c, 8, 1, 4, 8192), SC_STATUS_INVALID);
  assert_false(c.rope_scaled);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_llama3_factors),
      cmocka_unit_test(test_builtins),
      cmocka_unit_test(test_mla),
      cmocka_unit_test(test_bad_parameters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
