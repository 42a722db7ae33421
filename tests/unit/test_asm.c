/* test_asm.c: the assembler and disassembler: every opcode at its boundary
 * field values through text and back, exact round trips of whole programs
 * (labels, every buffer role and initialisation, core ranges), expected words
 * computed independently with sc_isa_encode, the expression language, data
 * conversions, and the exact line:col of every kind of diagnostic. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/arch.h"
#include "seedchip/asm.h"
#include "seedchip/num.h"
#include "test_isa_gen.h"

/* Assembles text; fails the test with the diagnostics when it does not. */
static sc_program *assemble_ok(const char *text) {
  sc_program *p = NULL;
  sc_strbuf d = {0};
  sc_status st = sc_asm_assemble(text, strlen(text), "t.sasm", NULL, &p, &d);
  if (st != SC_STATUS_OK)
    fail_msg("assembly failed:\n%s\n--- source:\n%s", sc_strbuf_str(&d), text);
  sc_strbuf_free(&d);
  return p;
}

/* Assembles text that must fail; returns the diagnostics (caller frees). */
static char *assemble_bad(const char *text) {
  sc_program *p = (sc_program *)1;
  sc_strbuf d = {0};
  assert_int_equal(sc_asm_assemble(text, strlen(text), "t.sasm", NULL, &p, &d), SC_STATUS_PARSE);
  assert_null(p);
  char *s = strdup(sc_strbuf_str(&d));
  sc_strbuf_free(&d);
  return s;
}

static void bytes_of(sc_program *p, uint8_t **b, size_t *n) {
  assert_int_equal(sc_prog_serialize(p, b, n), SC_STATUS_OK);
}

/* disasm(p) assembles to a program with the same bytes; returns the text. */
static char *check_round_trip(sc_program *p) {
  sc_strbuf t = {0};
  assert_int_equal(sc_asm_disassemble(p, &t), SC_STATUS_OK);
  sc_program *q = assemble_ok(sc_strbuf_str(&t));
  uint8_t *a, *b;
  size_t na, nb;
  bytes_of(p, &a, &na);
  bytes_of(q, &b, &nb);
  if (na != nb || memcmp(a, b, na) != 0)
    fail_msg("round trip differs (%zu vs %zu bytes):\n%s", na, nb, sc_strbuf_str(&t));
  /* and the text of the copy is the text of the original */
  sc_strbuf t2 = {0};
  assert_int_equal(sc_asm_disassemble(q, &t2), SC_STATUS_OK);
  assert_string_equal(sc_strbuf_str(&t), sc_strbuf_str(&t2));
  free(a);
  free(b);
  sc_strbuf_free(&t2);
  sc_prog_destroy(q);
  char *s = strdup(sc_strbuf_str(&t));
  sc_strbuf_free(&t);
  return s;
}

static uint64_t enc(sc_insn in) {
  uint64_t w;
  char err[160];
  if (sc_isa_encode(&in, &w, err, sizeof err) != SC_STATUS_OK) fail_msg("encode: %s", err);
  return w;
}

static void expect_code(const sc_program *p, uint32_t core, const uint64_t *want, size_t n) {
  size_t got_n;
  const uint64_t *got = sc_prog_code(p, core, &got_n);
  assert_int_equal(got_n, n);
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i])
      fail_msg("core %u word %zu: 0x%016llx, expected 0x%016llx", core, i,
               (unsigned long long)got[i], (unsigned long long)want[i]);
}

/* ---- every opcode, boundary values, through text ---- */

static void test_every_opcode(void **state) {
  (void)state;
  uint64_t seed = 0x5eed;
  sc_strbuf src = {0};
  uint64_t *want = NULL;
  size_t n = 0, cap = 0;
  sc_strbuf_printf(&src, ".arch sc1\n.core 0\n");
  for (size_t i = 0; i < sc_isa_count(); i++) {
    const sc_isa_info *info = sc_isa_at(i);
    for (int how = GEN_MIN; how <= GEN_RANDOM + 3; how++) {
      sc_insn in = gen_insn(info, how > GEN_RANDOM ? GEN_RANDOM : how, &seed);
      if (how == GEN_MIN) { /* zero where zero is legal: the other boundary */
        const sc_isa_format_info *fi = sc_isa_format_of(info->format);
        for (unsigned f = 0; f < fi->n_fields; f++)
          if (gen_legal(&fi->fields[f], info->group, 0)) in.slot[fi->fields[f].slot] = 0;
      }
      char text[SC_ISA_DISASM_MAX];
      sc_isa_disasm(&in, text, sizeof text);
      sc_strbuf_printf(&src, "  %s\n", text);
      if (n == cap) {
        cap = cap ? 2 * cap : 256;
        want = realloc(want, cap * sizeof *want);
        assert_non_null(want);
      }
      want[n++] = enc(in);
    }
  }
  sc_program *p = assemble_ok(sc_strbuf_str(&src));
  expect_code(p, 0, want, n);
  /* each instruction has its debug entry */
  for (size_t i = 0; i < n; i++) {
    const sc_prog_debug *d = sc_prog_debug_at(p, 0, (uint32_t)i);
    assert_non_null(d);
    assert_string_equal(d->where, "t.sasm");
    assert_int_equal(d->line, i + 3);
    assert_int_equal(d->col, 3);
  }
  free(check_round_trip(p));
  sc_prog_destroy(p);
  free(want);
  sc_strbuf_free(&src);
}

/* ---- hand-written programs, words from sc_isa_encode ---- */

static void test_hand_written(void **state) {
  (void)state;
  const char *src = ".arch sc1\n"
                    ".const N = 4 * (3 + 1)   # 16\n"
                    ".buffer x input fp32 [N] @ 0x100\n"
                    "start:  li x1, N\n"
                    "        li x2, x\n"
                    "loop:   addi x2, x2, -1 @wait(s3)\n"
                    "        bne x2, x0, loop\n"
                    "        beq x0, x0, done @signal(s31)\n"
                    "        mv x5, x6 @signal(s2)\n"
                    "        j start\n"
                    "done:   halt\n";
  sc_program *p = assemble_ok(src);
  uint64_t want[] = {
      enc((sc_insn){.opcode = SC_OP_LI, .xd = 1, .imm = 16}),
      enc((sc_insn){.opcode = SC_OP_LI, .xd = 2, .imm = 0x100}),
      enc((sc_insn){
          .opcode = SC_OP_ADDI, .xd = 2, .xs1 = 2, .imm = -1, .has_wait = true, .wait = 3}),
      enc((sc_insn){.opcode = SC_OP_BNE, .xs1 = 2, .xs2 = 0, .imm = -1}),
      enc((sc_insn){.opcode = SC_OP_BEQ, .imm = 3, .has_signal = true, .signal = 31}),
      enc((sc_insn){.opcode = SC_OP_ADDI, .xd = 5, .xs1 = 6, .has_signal = true, .signal = 2}),
      enc((sc_insn){.opcode = SC_OP_JAL, .xd = 0, .imm = -6}),
      enc((sc_insn){.opcode = SC_OP_HALT}),
  };
  expect_code(p, 0, want, SC_ARRAY_LEN(want));
  const sc_prog_debug *d = sc_prog_debug_at(p, 0, 2);
  assert_int_equal(d->line, 6);
  assert_int_equal(d->col, 9);
  assert_string_equal(sc_prog_arch_name(p), "sc1");
  sc_arch *arch;
  assert_int_equal(sc_arch_load("sc1", &arch, NULL), SC_STATUS_OK);
  assert_true(sc_prog_fingerprint(p) == sc_arch_fingerprint(arch));
  sc_arch_destroy(arch);
  char *text = check_round_trip(p);
  assert_non_null(strstr(text, "bne x2, x0, L2\n"));
  assert_non_null(strstr(text, "jal x0, L0\n"));
  free(text);
  sc_prog_destroy(p);
}

static void test_pseudo(void **state) {
  (void)state;
  const char *src = ".arch sc1\n"
                    ".const BIG = 0x123456789abcdef0\n"
                    "  lif x3, 1.5\n"
                    "  lif x4, -2\n"
                    "  li64 x5, BIG\n"
                    "  li64 x6, -1\n"
                    "  lif x7, 1e-45\n"
                    "  .word 0xffffffffffffffff\n";
  sc_program *p = assemble_ok(src);
  uint64_t want[] = {
      enc((sc_insn){.opcode = SC_OP_LI, .xd = 3, .imm = 0x3fc00000}),
      enc((sc_insn){.opcode = SC_OP_LI, .xd = 4, .imm = (int32_t)0xc0000000u}),
      enc((sc_insn){.opcode = SC_OP_LI, .xd = 5, .imm = (int32_t)0x9abcdef0u}),
      enc((sc_insn){.opcode = SC_OP_LIH, .xd = 5, .imm = 0x12345678}),
      enc((sc_insn){.opcode = SC_OP_LI, .xd = 6, .imm = -1}),
      enc((sc_insn){.opcode = SC_OP_LIH, .xd = 6, .imm = 0xffffffff}),
      enc((sc_insn){.opcode = SC_OP_LI, .xd = 7, .imm = 1}),
      0xffffffffffffffffull,
  };
  expect_code(p, 0, want, SC_ARRAY_LEN(want));
  /* both words of li64 point at its line */
  assert_int_equal(sc_prog_debug_at(p, 0, 3)->line, 5);
  free(check_round_trip(p));
  sc_prog_destroy(p);
}

static void test_expressions(void **state) {
  (void)state;
  const char *src = ".arch sc1\n"
                    ".const A = 1 + 2 * 3\n"          /* 7 */
                    ".const B = (1 + 2) * 3\n"        /* 9 */
                    ".const C = 1 << 4 + 1\n"         /* 32: + binds tighter */
                    ".const D = 0xff & 0x0f | 0x30\n" /* 0x3f */
                    ".const E = -7 / 2\n"             /* -3: truncation */
                    ".const F = -16 >> 2\n"           /* -4: arithmetic */
                    ".const G = ~0\n"
                    ".buffer buf input int8 [A, B] @ C * 2\n"
                    ".const H = buf + 1\n"
                    "  li x1, A\n  li x2, B\n  li x3, C\n  li x4, D\n  li x5, E\n"
                    "  li x6, F\n  li x7, G\n  li x8, H\n";
  sc_program *p = assemble_ok(src);
  int64_t v[] = {7, 9, 32, 0x3f, -3, -4, -1, 65};
  for (int i = 0; i < 8; i++) {
    size_t n;
    uint64_t w = sc_prog_code(p, 0, &n)[i];
    assert_int_equal(w, enc((sc_insn){.opcode = SC_OP_LI, .xd = i + 1, .imm = v[i]}));
  }
  assert_int_equal(sc_prog_find_buffer(p, "buf")->addr, 64);
  assert_int_equal(sc_prog_find_buffer(p, "buf")->size_bytes, 63);
  sc_prog_destroy(p);
}

/* ---- buffers, data and sections ---- */

static void test_buffers_and_sections(void **state) {
  (void)state;
  const char *src = ".arch sc1\n"
                    ".buffer in input fp32 [2, 2] @ 0x0\n"
                    ".buffer out output bf16 [4] @ 0x10\n"
                    ".buffer kv state int4 [3] @ 0x20\n"
                    ".buffer tmp scratch int32 [] @ 0x30\n"
                    ".buffer f const fp32 [2] @ 0x40 = { 1.5, -2 }\n"
                    ".buffer h const bf16 [3] @ 0x50 = { 1.0, 3.140625,\n"
                    "    # a comment inside the data\n"
                    "    -0.0 }\n"
                    ".buffer q const int8 [4] @ 0x60 = { 300, -300, 2.5, -3.5 }\n"
                    ".buffer n const int4 [3] @ 0x70 = { 7, -8, 20 }\n"
                    ".buffer e const fp8e4m3 [1] @ 0x78 = { 1000 }\n"
                    ".buffer r const fp16 [2] @ 0x80 = bytes { 0x00, 0x3c, 0xff, 7 }\n"
                    ".buffer w const int8 [1024] @ 0x1000 = extern \"w \\\"x\\\".bin\" + 64\n"
                    ".buffer \"odd name\" const int32 [1] @ 0x90 = extern \"z.bin\"\n"
                    "  halt            # core 0, implicit\n"
                    ".core 2-3\n"
                    "top: nop\n"
                    "  j top\n"
                    ".core 1\n"
                    "  j end\n"
                    "end:\n"
                    ".core 5\n";
  sc_program *p = assemble_ok(src);
  assert_int_equal(sc_prog_core_count(p), 6);
  size_t n;
  sc_prog_code(p, 4, &n);
  assert_int_equal(n, 0);
  sc_prog_code(p, 5, &n);
  assert_int_equal(n, 0);
  const uint64_t *c2 = sc_prog_code(p, 2, &n), *c3;
  assert_int_equal(n, 2);
  c3 = sc_prog_code(p, 3, &n);
  assert_memory_equal(c2, c3, 16);
  assert_int_equal(c2[1], enc((sc_insn){.opcode = SC_OP_JAL, .imm = -1}));
  assert_int_equal(sc_prog_code(p, 1, &n)[0], enc((sc_insn){.opcode = SC_OP_JAL, .imm = 1}));
  assert_int_equal(sc_prog_debug_at(p, 3, 1)->line, 19);

  const sc_prog_buffer *b = sc_prog_find_buffer(p, "f");
  float f[2];
  memcpy(f, b->data, 8);
  assert_true(f[0] == 1.5f && f[1] == -2.0f);
  b = sc_prog_find_buffer(p, "h");
  uint16_t h[3];
  memcpy(h, b->data, 6);
  assert_int_equal(h[0], sc_f32_to_bf16(1.0f));
  assert_int_equal(h[1], sc_f32_to_bf16(3.140625f));
  assert_int_equal(h[2], 0x8000);
  b = sc_prog_find_buffer(p, "q");
  const int8_t qv[] = {127, -128, 2, -4}; /* saturation, round half to even */
  assert_memory_equal(b->data, qv, 4);
  b = sc_prog_find_buffer(p, "n");
  assert_int_equal(b->size_bytes, 2);
  assert_int_equal(b->data[0], sc_int4_pack(7, -8));
  assert_int_equal(b->data[1], sc_int4_pack(7, 0));
  assert_int_equal(sc_prog_find_buffer(p, "e")->data[0], sc_f32_to_fp8e4m3(1000, SC_FP8_SATURATE));
  const uint8_t rb[] = {0, 0x3c, 0xff, 7};
  assert_memory_equal(sc_prog_find_buffer(p, "r")->data, rb, 4);
  b = sc_prog_find_buffer(p, "w");
  assert_int_equal(b->init, SC_PROG_INIT_EXTERNAL);
  assert_string_equal(b->ext_path, "w \"x\".bin");
  assert_int_equal(b->ext_offset, 64);
  assert_non_null(sc_prog_find_buffer(p, "odd name"));

  char *text = check_round_trip(p);
  assert_non_null(strstr(text, ".core 2-3\n"));
  assert_non_null(strstr(text, ".core 4-5\n"));
  free(text);
  sc_prog_destroy(p);
}

/* A program made with the builder (foreign arch name, missing and graph-op
 * debug entries, undecodable words) disassembles to text that rebuilds it. */
static void test_builder_program_round_trip(void **state) {
  (void)state;
  sc_program *p;
  assert_int_equal(sc_prog_create("my chip #2", 0xfeedfacecafebeefull, &p), SC_STATUS_OK);
  /* strings interned in the assembler's order (buffers, then debug places):
   * the string table keeps interning order, and exact bytes need the same one */
  uint8_t data[6] = {1, 2, 3, 4, 5, 6};
  sc_prog_buffer b = {.name = "c",
                      .dtype = SC_DTYPE_FP16,
                      .role = SC_PROG_ROLE_CONST,
                      .rank = 2,
                      .shape = {1, 3},
                      .addr = 0x200,
                      .init = SC_PROG_INIT_INLINE,
                      .data = data};
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_OK);
  uint64_t seed = 7;
  uint64_t code[64];
  for (int i = 0; i < 64; i++) {
    code[i] = gen_next(&seed);
    if (i % 3 == 0) {
      sc_insn in = gen_insn(sc_isa_at((size_t)i % sc_isa_count()), GEN_RANDOM, &seed);
      code[i] = enc(in);
    }
    if (i % 5 == 0) code[i] = enc((sc_insn){.opcode = SC_OP_BLT, .imm = (i % 2 ? -i : 63 - i)});
  }
  assert_int_equal(sc_prog_set_code(p, 0, code, 64), SC_STATUS_OK);
  assert_int_equal(sc_prog_set_code(p, 1, code, 10), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 0, 3, "matmul_3", 0, 0), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 0, 4, "dir/a b.sasm", 12, 80), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 1, 0, "tab\there", 1, 1), SC_STATUS_OK);
  free(check_round_trip(p));
  sc_prog_destroy(p);
}

static void test_arch_override(void **state) {
  (void)state;
  const char *src = "  halt\n";
  sc_program *p = NULL;
  sc_strbuf d = {0};
  assert_int_equal(sc_asm_assemble(src, strlen(src), "t.sasm", "sc1", &p, &d), SC_STATUS_OK);
  assert_string_equal(sc_prog_arch_name(p), "sc1");
  sc_prog_destroy(p);
  /* --arch also replaces .fingerprint */
  const char *src2 = ".arch nosuch\n.fingerprint 0x1234\nhalt\n";
  assert_int_equal(sc_asm_assemble(src2, strlen(src2), "t.sasm", NULL, &p, &d), SC_STATUS_OK);
  assert_string_equal(sc_prog_arch_name(p), "nosuch");
  assert_int_equal(sc_prog_fingerprint(p), 0x1234);
  sc_prog_destroy(p);
  assert_int_equal(sc_asm_assemble(src2, strlen(src2), "t.sasm", "sc1", &p, &d), SC_STATUS_OK);
  assert_string_equal(sc_prog_arch_name(p), "sc1");
  assert_true(sc_prog_fingerprint(p) != 0x1234);
  sc_prog_destroy(p);
  sc_strbuf_free(&d);
}

/* ---- diagnostics ---- */

static int diag_misses; /* reported together so one run shows every mismatch */

static void expect_diag(const char *src, const char *want) {
  char *d = assemble_bad(src);
  if (!strstr(d, want)) {
    print_error("expected '%s' in:\n%s--- source:\n%s\n", want, d, src);
    diag_misses++;
  }
  free(d);
}

static void test_many_errors_at_once(void **state) {
  (void)state;
  const char *src = ".arch sc1\n"                               /* 1 */
                    "  frob x1, x2\n"                           /* 2: unknown mnemonic */
                    "  addi x1, x99, 3\n"                       /* 3: bad operand */
                    "  beq x1, x2, nowhere\n"                   /* 4: undefined label */
                    "  li x1, NOPE\n"                           /* 5: undefined constant */
                    "a:\n"                                      /* 6 */
                    "a: nop\n"                                  /* 7: duplicate label */
                    ".const K = 1\n"                            /* 8 */
                    ".const K = 2\n"                            /* 9: duplicate const */
                    ".bogus 3\n"                                /* 10: bad directive */
                    ".const Z = 1 / (K - 1)\n"                  /* 11: division by zero */
                    ".buffer c const int8 [3] @ 0 = { 1, 2 }\n" /* 12: count */
                    ".core 99\n"                                /* 13: out of range */
                    "  li x1, a\n"                              /* 14: 'a' is core 0's label */
                    ".buffer p input fp32 [4] @ 0x100\n"        /* 15 */
                    ".buffer o input fp32 [4] @ 0x108\n"        /* 16: overlap */
                    ".buffer p input fp32 [4] @ 0x200\n"        /* 17: duplicate buffer */
                    "  lif x1, abc\n"                           /* 18: bad float */
                    ".const M = 0x7fffffffffffffff + 1\n";      /* 19: overflow */
  char *d = assemble_bad(src);
  const char *want[] = {
      "t.sasm:2:3: error: unknown mnemonic 'frob'",
      "t.sasm:3:12: error: addi: expected a register x0..x31 for xs1",
      "t.sasm:4:15: error: undefined label 'nowhere'",
      "t.sasm:5:10: error: undefined constant or buffer 'NOPE'",
      "t.sasm:7:1: error: duplicate label 'a' (defined at line 6)",
      "t.sasm:9:8: error: duplicate name 'K' (a constant defined at line 8)",
      "t.sasm:10:1: error: unknown directive '.bogus'",
      "t.sasm:11:14: error: division by zero",
      "t.sasm:12:32: error: buffer 'c': 2 values for 3 elements",
      "t.sasm:13:1: error: core 99 is out of range: architecture 'sc1' has 16 cores",
      "t.sasm:14:10: error: undefined constant or buffer 'a'",
      "t.sasm:16:1: error: buffer 'o' [0x108, 0x118) overlaps buffer 'p' [0x100, 0x110)",
      "t.sasm:17:9: error: duplicate name 'p' (a buffer defined at line 15)",
      "t.sasm:18:11: error: malformed number 'abc'",
      "t.sasm:19:31: error: overflow in '+'",
  };
  const char *at = d;
  for (size_t i = 0; i < SC_ARRAY_LEN(want); i++) {
    const char *hit = strstr(at, want[i]);
    if (!hit) fail_msg("missing (or out of order) '%s' in:\n%s", want[i], d);
    at = hit + 1;
  }
  /* one line per error, nothing else */
  size_t lines = 0;
  for (const char *s = d; *s; s++) lines += *s == '\n';
  assert_int_equal(lines, SC_ARRAY_LEN(want));
  free(d);
}

static void test_each_error_kind(void **state) {
  (void)state;
  expect_diag("halt\n", "t.sasm:1:1: error: no architecture");
  expect_diag(".arch nosuch_arch\nhalt\n", "t.sasm:1:7: error: cannot load architecture");
  expect_diag(".arch sc1\n.arch sc1\n", "t.sasm:2:1: error: duplicate .arch");
  expect_diag(".arch sc1\n.core 3\n.core 1-4\n", "t.sasm:3:1: error: core 3 already has");
  expect_diag(".arch sc1\n.core 4-2\n", "t.sasm:2:7: error: .core: empty range");
  expect_diag(".arch sc1\n.core 5000\n", "t.sasm:2:7: error: .core: core 5000 is beyond");
  expect_diag(".arch sc1\nnop\n.core 0\n", "t.sasm:3:1: error: core 0 already has");
  expect_diag(".arch sc1\n.const = 3\n", "t.sasm:2:8: error: .const: expected a name");
  expect_diag(".arch sc1\n.const X 3\n", "t.sasm:2:10: error: expected '='");
  expect_diag(".arch sc1\n.const X = 1 << 64\n", "t.sasm:2:14: error: shift by 64");
  expect_diag(".arch sc1\n.const X = 1 << 63\n", "t.sasm:2:14: error: overflow in '<<'");
  expect_diag(".arch sc1\n.const X = 0x4000000000000000 * 2\n", "2:31: error: overflow in '*'");
  expect_diag(".arch sc1\n.const X = (1\n", "t.sasm:2:14: error: expected ')'");
  expect_diag(".arch sc1\n.const X = 99999999999999999999\n", "2:12: error: number does not fit");
  expect_diag(".arch sc1\n.const X = Y\n.const Y = 1\n", "2:12: error: undefined name 'Y'");
  expect_diag(".arch sc1\n.buffer b weird fp32 [1] @ 0\n", "2:11: error: .buffer: expected a role");
  expect_diag(".arch sc1\n.buffer b input fp64 [1] @ 0\n",
              "2:17: error: .buffer: expected a dtype");
  expect_diag(".arch sc1\n.buffer b input fp32 [0] @ 0\n", "2:23: error: shape: each dimension");
  expect_diag(".arch sc1\n.buffer b input fp32 [1] 0\n", "2:26: error: expected '@'");
  expect_diag(".arch sc1\n.buffer b input fp32 [1] @ 0 = { 1 }\n",
              "2:30: error: buffer 'b': only const buffers take initial data");
  expect_diag(".arch sc1\n.buffer b const fp32 [1] @ 0\n", "2:29: error: buffer 'b': a const");
  expect_diag(".arch sc1\n.buffer b const int8 [2] @ 0 = bytes { 1, 256 }\n",
              "2:43: error: bytes: each value");
  expect_diag(".arch sc1\n.buffer b const int8 [2] @ 0 = bytes { 1 }\n",
              "2:38: error: buffer 'b': 1 bytes for 2 bytes");
  expect_diag(".arch sc1\n.buffer b const int8 [2] @ 0 = { 1,\n 2\n", "2:32: error: unterminated");
  expect_diag(".arch sc1\n.buffer b const int8 [2] @ 0 = { 1 2 }\n", "2:36: error: expected ','");
  expect_diag(".arch sc1\n.buffer b const int8 [2] @ 0 = extern \"x\n",
              "2:39: error: unterminated string");
  expect_diag(".arch sc1\n.buffer b const int8 [2] @ 0 = extern \"\\q\"\n",
              "2:40: error: unknown escape");
  expect_diag(".arch sc1\n  add x1, x2, x3 junk\n", "2:18: error: add: unexpected");
  expect_diag(".arch sc1\n  mv x1\n", "t.sasm:2:8: error: in mv: addi:");
  expect_diag(".arch sc1\n  j\n", "t.sasm:2:4: error: in j: jal:");
  expect_diag(".arch sc1\n  li64 x1\n", "2:10: error: li64: expected ','");
  expect_diag(".arch sc1\n  li64 x1, 5 @wait(s1)\n", "2:14: error: li64 takes no @wait");
  expect_diag(".arch sc1\n  li x1, 5000000000\n", "2:10: error: li: field imm");
  expect_diag(".arch sc1\n  .loc \"f\" 1\n", "2:13: error: .loc: expected a column");
  expect_diag(".arch sc1\n  .loc \"f\" 1 2\n", "3:1: error: .loc at the end");
  expect_diag(".arch sc1\n  .word\n", "2:8: error: expected a number");
  expect_diag(".arch sc1\nl: nop\n  li x1, l\n", "3:10: error: 'l' is a label; labels are only");
  /* the diagnostic stays one line whatever bytes the source holds */
  char *d = assemble_bad(".arch sc1\n  \x01\x02 x\n");
  assert_non_null(strstr(d, "t.sasm:2:3: error: "));
  free(d);
  assert_int_equal(diag_misses, 0);
}

static void test_error_limit(void **state) {
  (void)state;
  sc_strbuf src = {0};
  sc_strbuf_printf(&src, ".arch sc1\n");
  for (int i = 0; i < 300; i++) sc_strbuf_printf(&src, "bad%d\n", i);
  char *d = assemble_bad(sc_strbuf_str(&src));
  size_t lines = 0;
  for (const char *s = d; *s; s++) lines += *s == '\n';
  assert_int_equal(lines, SC_ASM_MAX_ERRORS + 1);
  assert_non_null(strstr(d, "too many errors"));
  free(d);
  sc_strbuf_free(&src);
}

/* Random bytes and mangled programs never crash and always either assemble or
 * say where the problem is. */
static void test_garbage(void **state) {
  (void)state;
  uint64_t seed = 42;
  const char *good = ".arch sc1\n.const A = 4\n.buffer b const bf16 [2] @ 0 = { 1, 2 }\n"
                     ".core 0-1\nl: addi x1, x1, A\n  bne x1, x0, l\n  li64 x2, b\n  halt\n";
  size_t glen = strlen(good);
  char buf[256];
  for (int iter = 0; iter < 3000; iter++) {
    size_t n;
    if (iter % 2) {
      n = gen_next(&seed) % sizeof buf;
      for (size_t i = 0; i < n; i++) buf[i] = (char)gen_next(&seed);
    } else {
      n = glen;
      memcpy(buf, good, n);
      for (int k = 0; k < 3; k++) buf[gen_next(&seed) % n] = (char)(gen_next(&seed) % 128);
    }
    sc_program *p = NULL;
    sc_strbuf d = {0};
    sc_status st = sc_asm_assemble(buf, n, "g.sasm", NULL, &p, &d);
    if (st == SC_STATUS_OK) {
      assert_non_null(p);
      free(check_round_trip(p));
    } else {
      assert_int_equal(st, SC_STATUS_PARSE);
      assert_null(p);
      assert_true(strncmp(sc_strbuf_str(&d), "g.sasm:", 7) == 0);
    }
    sc_prog_destroy(p);
    sc_strbuf_free(&d);
  }
}

static void test_bad_arguments(void **state) {
  (void)state;
  sc_program *p;
  assert_int_equal(sc_asm_assemble("x", 1, NULL, NULL, &p, NULL), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_asm_assemble(NULL, 1, "f", NULL, &p, NULL), SC_STATUS_INVALID_ARGUMENT);
  assert_int_equal(sc_asm_assemble("halt", 4, "f", NULL, NULL, NULL), SC_STATUS_INVALID_ARGUMENT);
  sc_strbuf s = {0};
  assert_int_equal(sc_asm_disassemble(NULL, &s), SC_STATUS_INVALID_ARGUMENT);
  /* diags may be NULL */
  assert_int_equal(sc_asm_assemble("halt", 4, "f", NULL, &p, NULL), SC_STATUS_PARSE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_opcode),
      cmocka_unit_test(test_hand_written),
      cmocka_unit_test(test_pseudo),
      cmocka_unit_test(test_expressions),
      cmocka_unit_test(test_buffers_and_sections),
      cmocka_unit_test(test_builder_program_round_trip),
      cmocka_unit_test(test_arch_override),
      cmocka_unit_test(test_many_errors_at_once),
      cmocka_unit_test(test_each_error_kind),
      cmocka_unit_test(test_error_limit),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
