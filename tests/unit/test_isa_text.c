/* test_isa_text.c: disassembly and the one-line parser: disasm -> parse ->
 * encode gives the same word for every opcode; errors carry a column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "test_isa_gen.h"

static void text_round_trip(const sc_insn *in) {
  uint64_t w = 0, w2 = 0;
  char text[SC_ISA_DISASM_MAX], err[256], again[SC_ISA_DISASM_MAX];
  assert_int_equal(sc_isa_encode(in, &w, err, sizeof err), SC_STATUS_OK);
  size_t n = sc_isa_disasm(in, text, sizeof text);
  assert_true(n < sizeof text);
  assert_int_equal(n, strlen(text));
  assert_null(strchr(text, '?'));
  sc_insn back;
  size_t col = 0;
  if (sc_isa_parse(text, n, &back, NULL, NULL, &col, err, sizeof err) != SC_STATUS_OK)
    fail_msg("'%s': col %zu: %s", text, col, err);
  assert_int_equal(sc_isa_encode(&back, &w2, err, sizeof err), SC_STATUS_OK);
  if (w != w2)
    fail_msg("'%s': 0x%016llx != 0x%016llx", text, (unsigned long long)w, (unsigned long long)w2);
  sc_isa_disasm_word(w2, again, sizeof again);
  assert_string_equal(text, again);
}

static void test_disasm_parse_every_opcode(void **state) {
  (void)state;
  uint64_t seed = 5;
  for (size_t i = 0; i < sc_isa_count(); i++) {
    const sc_isa_info *info = sc_isa_at(i);
    sc_insn lo = gen_insn(info, GEN_MIN, &seed), hi = gen_insn(info, GEN_MAX, &seed);
    text_round_trip(&lo);
    text_round_trip(&hi);
    for (int r = 0; r < 200; r++) {
      sc_insn x = gen_insn(info, GEN_RANDOM, &seed);
      text_round_trip(&x);
    }
  }
}

static void expect_text(const sc_insn *in, const char *want) {
  char buf[SC_ISA_DISASM_MAX];
  sc_isa_disasm(in, buf, sizeof buf);
  assert_string_equal(buf, want);
}

static void test_canonical_text(void **state) {
  (void)state;
  sc_insn mm = {.opcode = SC_OP_MXU_MM,
                .xd = 5,
                .xs1 = 6,
                .s1dt = SC_DTYPE_BF16,
                .xg = 8,
                .sel = SC_ISA_ACCMODE_ACCUMULATE,
                .has_wait = true,
                .wait = 3,
                .has_signal = true,
                .signal = 4};
  expect_text(&mm, "mxu.mm acc[x5], sram[x6]:bf16, x8..x10, accumulate @wait(s3) @signal(s4)");
  sc_insn dma = {.opcode = SC_OP_DMA_2D,
                 .dsp = SC_ISA_SPACE_SRAM,
                 .xd = 1,
                 .ddt = SC_DTYPE_BF16,
                 .s1sp = SC_ISA_SPACE_HBM,
                 .xs1 = 2,
                 .s1dt = SC_DTYPE_FP32,
                 .xg = 10,
                 .xc = 0,
                 .eng = 1};
  expect_text(&dma, "dma.2d sram[x1]:bf16, hbm[x2]:fp32, x10..x13, x0, q1");
  sc_insn b = {.opcode = SC_OP_BNE, .xs1 = 1, .xs2 = 0, .imm = -3};
  expect_text(&b, "bne x1, x0, -3");
  sc_insn h = {.opcode = SC_OP_HALT};
  expect_text(&h, "halt");
  sc_insn d1 = {.opcode = SC_OP_DMA_1D, .dsp = 3, .xs1 = 4, .s1sp = 1, .xg = 31, .xc = 9};
  expect_text(&d1, "dma.1d remote[x0]:fp32, sram[x4]:fp32, x31, x9, q0");
  /* values that do not fit print as '?', and a short buffer is terminated */
  sc_insn bad = {.opcode = SC_OP_ADD, .xd = 40};
  expect_text(&bad, "add ?, x0, x0");
  char small[6];
  size_t n = sc_isa_disasm(&mm, small, sizeof small);
  assert_true(n > sizeof small);
  assert_string_equal(small, "mxu.m");
  char buf[64];
  sc_isa_disasm_word(0, buf, sizeof buf);
  assert_string_equal(buf, ".word 0x0000000000000000");
}

static void test_parse_forms(void **state) {
  (void)state;
  sc_insn in;
  size_t col;
  char err[256];
  /* blanks, hex, a comment, the group's base alone, suffixes in any order */
  const char *t = "  vpu.add sram[x1] : bf16 ,acc[x2]:fp32, sram[ x3 ]:fp8e4m3, x8, row "
                  "@signal(s2) @wait(s31)  # comment";
  assert_int_equal(sc_isa_parse(t, strlen(t), &in, NULL, NULL, &col, err, sizeof err),
                   SC_STATUS_OK);
  assert_int_equal(in.opcode, SC_OP_VPU_ADD);
  assert_int_equal(in.s1sp, SC_ISA_SPACE_ACC);
  assert_int_equal(in.s2dt, SC_DTYPE_FP8_E4M3);
  assert_int_equal(in.sel, SC_ISA_BCAST_ROW);
  assert_true(in.has_wait && in.wait == 31 && in.has_signal && in.signal == 2);
  t = "addi x1, x2, -0x80000000\nnext line is ignored";
  assert_int_equal(sc_isa_parse(t, strlen(t), &in, NULL, NULL, &col, err, sizeof err),
                   SC_STATUS_OK);
  assert_int_equal(in.imm, INT32_MIN);
  t = "lih x3, 0xffffffff";
  assert_int_equal(sc_isa_parse(t, strlen(t), &in, NULL, NULL, &col, err, sizeof err),
                   SC_STATUS_OK);
  assert_int_equal(in.imm, 0xffffffffll);
  /* the parser stops at len, not at a NUL */
  assert_int_equal(sc_isa_parse("nopXYZ", 3, &in, NULL, NULL, &col, err, sizeof err), SC_STATUS_OK);
}

static sc_status resolve(void *ctx, const char *name, size_t len, const sc_isa_field *f,
                         int64_t *value) {
  (void)f;
  int *calls = ctx;
  ++*calls;
  if (len == 4 && memcmp(name, "loop", 4) == 0) {
    *value = -7;
    return SC_STATUS_OK;
  }
  if (len == 3 && memcmp(name, "far", 3) == 0) {
    *value = (int64_t)1 << 40;
    return SC_STATUS_OK;
  }
  return SC_STATUS_NOT_FOUND;
}

static void test_parse_labels(void **state) {
  (void)state;
  sc_insn in;
  size_t col;
  char err[256];
  int calls = 0;
  const char *t = "blt x1, x2, loop";
  assert_int_equal(sc_isa_parse(t, strlen(t), &in, resolve, &calls, &col, err, sizeof err),
                   SC_STATUS_OK);
  assert_int_equal(in.imm, -7);
  assert_int_equal(calls, 1);
  t = "blt x1, x2, nowhere";
  assert_int_equal(sc_isa_parse(t, strlen(t), &in, resolve, &calls, &col, err, sizeof err),
                   SC_STATUS_PARSE);
  assert_int_equal(col, 13);
  assert_non_null(strstr(err, "unknown name 'nowhere'"));
  t = "blt x1, x2, far";
  assert_int_equal(sc_isa_parse(t, strlen(t), &in, resolve, &calls, &col, err, sizeof err),
                   SC_STATUS_PARSE);
  assert_int_equal(col, 13);
  assert_non_null(strstr(err, "field imm"));
}

typedef struct bad_line {
  const char *text;
  size_t col;
  const char *msg;
} bad_line;

static void test_parse_errors(void **state) {
  (void)state;
  static const bad_line cases[] = {
      {"", 1, "expected a mnemonic"},
      {"   # only a comment", 4, "expected a mnemonic"},
      {"frob x1", 1, "unknown mnemonic 'frob'"},
      {"add x1, x2", 11, "expected ','"},
      {"add x1 x2, x3", 8, "expected ','"},
      {"add x1, x32, x3", 9, "expected a register"},
      {"add x1, x2, x3, x4", 15, "unexpected ','"},
      {"addi x1, x2, 2147483648", 14, "field imm"},
      {"addi x1, x2, 99999999999999999999999", 14, "too large"},
      {"addi x1, x2, 12ab", 14, "malformed"},
      {"shli x1, x2, 64", 14, "field imm"},
      {"li x1, foo", 8, "expected a number"},
      {"vpu.add hbm[x1]:bf16, sram[x2]:bf16, sram[x3]:bf16, x8, full", 9, "field dsp"},
      {"vpu.add sram[x1]:bf17, sram[x2]:bf16, sram[x3]:bf16, x8, full", 18, "unknown dtype 'bf17'"},
      {"vpu.add sram[x1]:bf16, sram[x2]:bf16, sram[x3]:bf16, x8, diag", 58,
       "unknown BCAST value 'diag'"},
      {"vpu.add sram[x1]:bf16, sram[x2]:bf16, sram[x3]:bf16, x28, full", 54, "runs past x31"},
      {"vpu.add sram[x1]:bf16, sram[x2]:bf16, sram[x3]:bf16, x8..x11, full", 58, "5 registers"},
      {"mxu.ldw hbm[x1]:bf16, x2, kn", 9, "expected 'sram'"},
      {"dma.1d sram[x1]:fp32, hbm[x2]:fp32, x3, x0, q4", 46, "field eng"},
      {"nop @wait(s32)", 11, "expected a semaphore"},
      {"nop @wait(s1) @wait(s2)", 15, "given twice"},
      {"nop @later(s1)", 5, "expected @wait"},
      {"nop @wait(s1", 13, "expected ')'"},
      {"sync.wait s1, -1", 15, "field imm"},
      {"cnt.read x1, cycles2", 14, "unknown EVENT value"},
      {"add\x01 x1", 4, "byte 0x01"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sc_insn in;
    size_t col = 0;
    char err[256];
    sc_status st =
        sc_isa_parse(cases[i].text, strlen(cases[i].text), &in, NULL, NULL, &col, err, sizeof err);
    if (st != SC_STATUS_PARSE) fail_msg("'%s' parsed", cases[i].text);
    if (col != cases[i].col || !strstr(err, cases[i].msg))
      fail_msg("'%s': col %zu '%s', want col %zu '%s'", cases[i].text, col, err, cases[i].col,
               cases[i].msg);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_disasm_parse_every_opcode),
      cmocka_unit_test(test_canonical_text),
      cmocka_unit_test(test_parse_forms),
      cmocka_unit_test(test_parse_labels),
      cmocka_unit_test(test_parse_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
