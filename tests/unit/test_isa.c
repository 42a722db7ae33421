/* test_isa.c: the instruction table's invariants (Spike-style overlap check),
 * and encode/decode of every opcode at boundary and random field values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "test_isa_gen.h"

/* Every pair of rows differs in opcode and mnemonic; 0x00 is never assigned;
 * the opcode index agrees with the rows. */
static void test_opcodes_distinct(void **state) {
  (void)state;
  size_t n = sc_isa_count();
  assert_true(n > 60);
  assert_null(sc_isa_info_of(0));
  assert_null(sc_isa_info_of(SC_ISA_N_OPCODES));
  for (size_t i = 0; i < n; i++) {
    const sc_isa_info *a = sc_isa_at(i);
    assert_ptr_equal(sc_isa_info_of(a->opcode), a);
    assert_ptr_equal(sc_isa_lookup(a->mnemonic, strlen(a->mnemonic)), a);
    assert_true(a->opcode != 0);
    assert_true(a->engine < SC_ISA_ENGINE_COUNT && a->format < SC_ISA_FMT_COUNT &&
                a->group < SC_ISA_GROUP_COUNT);
    assert_true(strlen(a->semantics) > 0);
    for (size_t j = 0; j < i; j++) {
      const sc_isa_info *b = sc_isa_at(j);
      if (a->opcode == b->opcode)
        fail_msg("%s and %s share opcode 0x%02x", a->mnemonic, b->mnemonic, a->opcode);
      if (strcmp(a->mnemonic, b->mnemonic) == 0) fail_msg("mnemonic %s twice", a->mnemonic);
    }
  }
  size_t assigned = 0;
  for (unsigned op = 0; op < SC_ISA_N_OPCODES; op++) assigned += sc_isa_info_of(op) != NULL;
  assert_int_equal(assigned, n);
}

/* Every format: fields inside bits 20-63, pairwise disjoint, packed in operand
 * order, legal values fit, and the template names each field exactly once.
 * Fields + reserved bits cover the operand bits exactly. */
static void test_formats_no_overlap(void **state) {
  (void)state;
  for (int fmt = 0; fmt < SC_ISA_FMT_COUNT; fmt++) {
    const sc_isa_format_info *fi = sc_isa_format_of((sc_isa_format)fmt);
    assert_non_null(fi);
    assert_true(fi->n_fields <= SC_ISA_MAX_FIELDS);
    uint64_t used = 0;
    unsigned next = SC_ISA_OPERAND_LO;
    for (unsigned i = 0; i < fi->n_fields; i++) {
      const sc_isa_field *f = &fi->fields[i];
      assert_true(f->width >= 1);
      if (f->lo < SC_ISA_OPERAND_LO || f->lo + f->width > 64)
        fail_msg("format %s field %s leaves bits 20-63", fi->name, sc_isa_slot_name(f->slot));
      uint64_t m = (f->width == 64 ? ~0ull : ((1ull << f->width) - 1)) << f->lo;
      if (used & m) fail_msg("format %s: field %s overlaps", fi->name, sc_isa_slot_name(f->slot));
      used |= m;
      assert_int_equal(f->lo, next); /* packed in operand order */
      next = f->lo + f->width;
      for (unsigned j = 0; j < i; j++) assert_int_not_equal(fi->fields[j].slot, f->slot);
      /* each value the kind can name fits the width */
      switch (f->kind) {
      case SC_ISA_KIND_REG:
      case SC_ISA_KIND_GRP:
      case SC_ISA_KIND_SEM:
        assert_int_equal(f->width, 5);
        break;
      case SC_ISA_KIND_DTYPE:
        assert_true(SC_DTYPE_COUNT <= (1 << f->width));
        break;
      case SC_ISA_KIND_SPACE:
        assert_int_equal(f->width, 2);
        assert_true(f->arg != 0 && f->arg <= 0xF);
        break;
      case SC_ISA_KIND_ENUM:
        assert_true(f->arg < SC_ISA_ENUM_COUNT);
        for (unsigned v = 0; v < 256; v++)
          if (sc_isa_enum_text((sc_isa_enum)f->arg, v)) assert_true(v < (1u << f->width));
        break;
      default:
        assert_true(f->width <= 32);
        break;
      }
      /* the template names this field exactly once */
      char ref[16];
      snprintf(ref, sizeof ref, "{%s}", sc_isa_slot_name(f->slot));
      const char *at = strstr(fi->syntax, ref);
      assert_non_null(at);
      assert_null(strstr(at + 1, ref));
    }
    /* ...and nothing else */
    unsigned refs = 0;
    for (const char *t = fi->syntax; *t; t++) refs += *t == '{';
    assert_int_equal(refs, fi->n_fields);
    assert_int_equal(sc_isa_used_mask((sc_isa_format)fmt), used | 0xfffff);
    assert_int_equal(used & 0xfffff, 0);
  }
}

/* Groups and formats agree: a row has a group iff its format has a GRP field;
 * every selector set is used and non-empty. */
static void test_rows_consistent(void **state) {
  (void)state;
  bool enum_used[SC_ISA_ENUM_COUNT] = {0};
  enum_used[SC_ISA_ENUM_SPACE] = true;
  for (size_t i = 0; i < sc_isa_count(); i++) {
    const sc_isa_info *in = sc_isa_at(i);
    const sc_isa_format_info *fi = sc_isa_format_of(in->format);
    bool has_grp = false;
    for (unsigned k = 0; k < fi->n_fields; k++) {
      has_grp |= fi->fields[k].kind == SC_ISA_KIND_GRP;
      if (fi->fields[k].kind == SC_ISA_KIND_ENUM) enum_used[fi->fields[k].arg] = true;
    }
    if (has_grp != (in->group != SC_ISA_GROUP_NONE))
      fail_msg("%s: group %s does not match format %s", in->mnemonic, sc_isa_group_name(in->group),
               fi->name);
    bool queued = in->engine == SC_ISA_ENGINE_DMA || in->engine == SC_ISA_ENGINE_MXU ||
                  in->engine == SC_ISA_ENGINE_VPU;
    if (queued) assert_int_equal(in->flags & (SC_ISA_F_BRANCH | SC_ISA_F_WRX | SC_ISA_F_HALT), 0);
  }
  for (int e = 0; e < SC_ISA_ENUM_COUNT; e++) {
    assert_true(enum_used[e]);
    assert_non_null(sc_isa_enum_text((sc_isa_enum)e, 0));
  }
}

static void round_trip(const sc_insn *in) {
  uint64_t w = 0, w2 = 0;
  char err[256];
  sc_insn out;
  if (sc_isa_encode(in, &w, err, sizeof err) != SC_STATUS_OK) fail_msg("encode: %s", err);
  if (sc_isa_decode(w, &out, err, sizeof err) != SC_STATUS_OK) fail_msg("decode: %s", err);
  assert_true(gen_insn_equal(in, &out));
  assert_int_equal(sc_isa_encode(&out, &w2, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(w, w2);
}

static void test_round_trip_every_opcode(void **state) {
  (void)state;
  uint64_t seed = 42;
  for (size_t i = 0; i < sc_isa_count(); i++) {
    const sc_isa_info *info = sc_isa_at(i);
    sc_insn lo = gen_insn(info, GEN_MIN, &seed), hi = gen_insn(info, GEN_MAX, &seed);
    round_trip(&lo);
    round_trip(&hi);
    for (int r = 0; r < 200; r++) {
      sc_insn x = gen_insn(info, GEN_RANDOM, &seed);
      round_trip(&x);
    }
  }
}

/* Known words, checked by hand against the diagrams. */
static void test_golden_words(void **state) {
  (void)state;
  uint64_t w;
  sc_insn add = {.opcode = SC_OP_ADD, .xd = 1, .xs1 = 2, .xs2 = 3};
  assert_int_equal(sc_isa_encode(&add, &w, NULL, 0), SC_STATUS_OK);
  assert_int_equal(w, 0x08ull | 1ull << 20 | 2ull << 25 | 3ull << 30);
  sc_insn nop = {.opcode = SC_OP_NOP, .has_wait = true, .wait = 3, .has_signal = true, .signal = 4};
  assert_int_equal(sc_isa_encode(&nop, &w, NULL, 0), SC_STATUS_OK);
  assert_int_equal(w, 0x01ull | 3ull << 8 | 1ull << 13 | 4ull << 14 | 1ull << 19);
  sc_insn li = {.opcode = SC_OP_LI, .xd = 7, .imm = -1};
  assert_int_equal(sc_isa_encode(&li, &w, NULL, 0), SC_STATUS_OK);
  assert_int_equal(w, 0x03ull | 7ull << 20 | 0xffffffffull << 25);
}

/* Each field one step outside its legal range is refused, naming the field. */
static void test_encode_rejects_out_of_range(void **state) {
  (void)state;
  uint64_t seed = 7, w = 0;
  char err[256], want[64];
  int checked = 0;
  for (size_t i = 0; i < sc_isa_count(); i++) {
    const sc_isa_info *info = sc_isa_at(i);
    const sc_isa_format_info *fi = sc_isa_format_of(info->format);
    for (unsigned k = 0; k < fi->n_fields; k++) {
      const sc_isa_field *f = &fi->fields[k];
      int64_t bad[4];
      int nb = 0;
      bad[nb++] = gen_max(f, info->group) + 1;
      if (f->kind == SC_ISA_KIND_SIMM || f->kind == SC_ISA_KIND_PCREL)
        bad[nb++] = gen_min(f, info->group) - 1;
      else
        bad[nb++] = -1;
      if (f->kind == SC_ISA_KIND_SPACE || f->kind == SC_ISA_KIND_ENUM)
        for (int64_t v = 0; v < (1 << f->width) && nb < 4; v++)
          if (!gen_legal(f, info->group, v)) bad[nb++] = v;
      for (int b = 0; b < nb; b++) {
        sc_insn in = gen_insn(info, GEN_RANDOM, &seed);
        in.slot[f->slot] = bad[b];
        err[0] = '\0';
        if (sc_isa_encode(&in, &w, err, sizeof err) != SC_STATUS_INVALID)
          fail_msg("%s: field %s accepted %lld", info->mnemonic, sc_isa_slot_name(f->slot),
                   (long long)bad[b]);
        snprintf(want, sizeof want, "field %s", sc_isa_slot_name(f->slot));
        if (!strstr(err, want) || !strstr(err, info->mnemonic))
          fail_msg("message '%s' does not name %s", err, want);
        checked++;
      }
    }
    sc_insn in = gen_insn(info, GEN_MIN, &seed);
    in.has_wait = true;
    in.wait = 32;
    assert_int_equal(sc_isa_encode(&in, &w, err, sizeof err), SC_STATUS_INVALID);
    assert_non_null(strstr(err, "field wait"));
    in.has_wait = false;
    in.has_signal = true;
    in.signal = 200;
    assert_int_equal(sc_isa_encode(&in, &w, err, sizeof err), SC_STATUS_INVALID);
    assert_non_null(strstr(err, "field signal"));
  }
  assert_true(checked > 300);
  sc_insn none = {.opcode = 0};
  assert_int_equal(sc_isa_encode(&none, &w, err, sizeof err), SC_STATUS_INVALID);
}

static void test_decode_rejects(void **state) {
  (void)state;
  sc_insn out;
  char err[256];
  for (unsigned op = 0; op < SC_ISA_N_OPCODES; op++)
    if (!sc_isa_info_of(op)) {
      assert_int_equal(sc_isa_decode(op, &out, err, sizeof err), SC_STATUS_INVALID);
      assert_non_null(strstr(err, "not assigned"));
    }
  uint64_t seed = 99;
  for (size_t i = 0; i < sc_isa_count(); i++) {
    const sc_isa_info *info = sc_isa_at(i);
    sc_insn in = gen_insn(info, GEN_MIN, &seed);
    uint64_t w;
    assert_int_equal(sc_isa_encode(&in, &w, NULL, 0), SC_STATUS_OK);
    uint64_t reserved = ~sc_isa_used_mask(info->format);
    for (unsigned b = 0; b < 64; b++)
      if (reserved >> b & 1) {
        assert_int_equal(sc_isa_decode(w | 1ull << b, &out, err, sizeof err), SC_STATUS_INVALID);
        assert_non_null(strstr(err, "reserved"));
      }
    /* semaphore bits of a disabled wait / signal */
    assert_int_equal(sc_isa_decode((w & ~0xfff00ull) | 5ull << 8, &out, NULL, 0),
                     SC_STATUS_INVALID);
    assert_int_equal(sc_isa_decode((w & ~0xfff00ull) | 5ull << 14, &out, NULL, 0),
                     SC_STATUS_INVALID);
  }
  /* an illegal dtype, space and group */
  sc_insn v = {.opcode = SC_OP_VPU_ADD,
               .dsp = SC_ISA_SPACE_SRAM,
               .s1sp = SC_ISA_SPACE_SRAM,
               .s2sp = SC_ISA_SPACE_SRAM,
               .xg = 8};
  uint64_t w;
  assert_int_equal(sc_isa_encode(&v, &w, NULL, 0), SC_STATUS_OK);
  assert_int_equal(sc_isa_decode(w | 15ull << 27, &out, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(strstr(err, "field ddt"));
  assert_int_equal(sc_isa_decode(w & ~(3ull << 20), &out, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(strstr(err, "field dsp")); /* hbm is not a VPU space */
  assert_int_equal(sc_isa_decode(w | 31ull << 53, &out, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(strstr(err, "field xg"));
}

/* Random words: whatever decodes must re-encode to the same word (one
 * encoding per instruction). */
static void test_random_words(void **state) {
  (void)state;
  uint64_t seed = 2024;
  int ok = 0;
  for (int i = 0; i < 1000000; i++) {
    uint64_t w = gen_next(&seed);
    /* bias toward legal words: assigned opcode, few high bits */
    const sc_isa_info *info = sc_isa_at(w % sc_isa_count());
    w = (w & sc_isa_used_mask(info->format) & ~0xffull) | info->opcode;
    sc_insn in;
    uint64_t w2;
    if (sc_isa_decode(w, &in, NULL, 0) != SC_STATUS_OK) continue;
    ok++;
    assert_int_equal(sc_isa_encode(&in, &w2, NULL, 0), SC_STATUS_OK);
    assert_int_equal(w, w2);
  }
  assert_true(ok > 1000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_opcodes_distinct), cmocka_unit_test(test_formats_no_overlap),
      cmocka_unit_test(test_rows_consistent),  cmocka_unit_test(test_round_trip_every_opcode),
      cmocka_unit_test(test_golden_words),     cmocka_unit_test(test_encode_rejects_out_of_range),
      cmocka_unit_test(test_decode_rejects),   cmocka_unit_test(test_random_words),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
