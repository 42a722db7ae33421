/* test_cc_golden.c: a small graph compiles to exactly the reviewed
 * instruction listings in tests/golden/ (FP32 and INT8 weights): embedding,
 * RMSNorm and a tied-classifier matmul of a synthetic model (vocab 8, dim 16)
 * for SC1. Any change to the code generator shows up here as a diff to
 * review; SEEDCHIP_UPDATE_GOLDEN=1 rewrites the files after that review. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/cc.h"
#include "seedchip/util.h"

static sc_graph *tiny_graph(void) {
  sc_graph *g = sc_graph_create("tiny");
  uint32_t tok = (uint32_t)sc_graph_input(g, "tokens", SC_DTYPE_INT32, 1, (int64_t[]){1});
  uint32_t emb =
      (uint32_t)sc_graph_const(g, "token_embd.weight", SC_DTYPE_FP32, 2, (int64_t[]){8, 16}, NULL);
  uint32_t nw =
      (uint32_t)sc_graph_const(g, "output_norm.weight", SC_DTYPE_FP32, 1, (int64_t[]){16}, NULL);
  uint32_t x = (uint32_t)sc_graph_op(g, "x", SC_GOP_EMBEDDING, (uint32_t[]){emb, tok}, 2, NULL);
  sc_gattrs eps = {.eps = 1e-5f}, tb = {.trans_b = 1};
  uint32_t h = (uint32_t)sc_graph_op(g, "h", SC_GOP_RMSNORM, (uint32_t[]){x, nw}, 2, &eps);
  int64_t y = sc_graph_op(g, "logits", SC_GOP_MATMUL, (uint32_t[]){h, emb}, 2, &tb);
  assert_true(y >= 0);
  sc_graph_output(g, (uint32_t)y);
  assert_int_equal(sc_graph_verify(g, NULL), SC_STATUS_OK);
  return g;
}

static void check(sc_cc_wdtype t, const char *file) {
  sc_model_config cfg = {.dim = 16,
                         .hidden_dim = 32,
                         .n_layers = 1,
                         .n_heads = 2,
                         .n_kv_heads = 1,
                         .vocab_size = 8,
                         .max_seq_len = 16,
                         .tied_embeddings = true};
  sc_model *m;
  char err[512];
  if (sc_model_synthetic(&cfg, 7, &m, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  sc_graph *g = tiny_graph();
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  sc_program *prog;
  sc_strbuf listing = {0}, path = {0};
  sc_cc_options opt = {.wdtype = t};
  if (sc_cc_compile_opts(g, m, arch, &opt, &prog, &listing, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  assert_non_null(src);
  sc_strbuf_printf(&path, "%s/tests/golden/%s", src, file);
  const char *update = getenv("SEEDCHIP_UPDATE_GOLDEN");
  if (update && update[0] == '1') {
    assert_int_equal(sc_write_file(path.data, listing.data, listing.len, err, sizeof err),
                     SC_STATUS_OK);
    print_message("rewrote %s: review the diff\n", path.data);
  }
  uint8_t *want;
  size_t len;
  if (sc_read_file(path.data, 1 << 22, &want, &len, err, sizeof err) != SC_STATUS_OK)
    fail_msg("%s", err);
  if (len != listing.len || memcmp(want, listing.data, len) != 0) {
    /* the first differing line */
    size_t i = 0, line = 1;
    while (i < len && i < listing.len && want[i] == (uint8_t)listing.data[i])
      line += want[i++] == '\n';
    fail_msg("%s: the listing differs from line %zu on (review; SEEDCHIP_UPDATE_GOLDEN=1 to "
             "accept)",
             file, line);
  }
  free(want);
  sc_strbuf_free(&listing);
  sc_strbuf_free(&path);
  sc_prog_destroy(prog);
  sc_arch_destroy(arch);
  sc_graph_destroy(g);
  sc_model_free(m);
}

static void test_tiny_f32(void **state) {
  (void)state;
  check(SC_CC_F32, "tiny_f32.sasm");
}

static void test_tiny_int8(void **state) {
  (void)state;
  check(SC_CC_INT8, "tiny_int8.sasm");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tiny_f32),
      cmocka_unit_test(test_tiny_int8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
