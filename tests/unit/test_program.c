/* test_program.c: the .scb container: round trips, every builder check, and the
 * loader's answer to truncation, corruption, wrong versions, wrong architectures
 * and structurally bad files (made by patching a good file and re-sealing its
 * checksum here, with zlib, independently of the writer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "seedchip/program.h"

enum { FP = 0x5eedc41bull };

static uint64_t rng_state = 0x1234567;
static uint64_t next_u64(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static sc_prog_buffer buffer(const char *name, sc_dtype dt, sc_prog_role role, uint64_t addr,
                             uint32_t rank, const uint64_t *shape) {
  sc_prog_buffer b = {.name = name, .dtype = dt, .role = role, .rank = rank, .addr = addr};
  for (uint32_t i = 0; i < rank && i < SC_PROG_MAX_RANK; i++) b.shape[i] = shape[i];
  return b;
}

static uint8_t const_bytes[2 * 3 * 2 * 2]; /* w: fp16 (2, 3, 2) */

/* A program that uses every feature: 3 cores (core 1 empty), all roles and
 * initialisations, debug entries added out of order with one replaced. */
static sc_program *make_program(void) {
  sc_program *p;
  assert_int_equal(sc_prog_create("sc1", FP, &p), SC_STATUS_OK);
  uint64_t code0[37], code2[5];
  for (size_t i = 0; i < 37; i++) code0[i] = next_u64();
  for (size_t i = 0; i < 5; i++) code2[i] = next_u64();
  assert_int_equal(sc_prog_set_code(p, 0, code0, 37), SC_STATUS_OK);
  assert_int_equal(sc_prog_set_code(p, 2, code2, 5), SC_STATUS_OK);

  const uint64_t s48[] = {4, 8}, s7[] = {7}, s232[] = {2, 3, 2}, big[] = {1024, 1024};
  sc_prog_buffer b = buffer("x", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 0, 2, s48);
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_OK);
  b = buffer("y", SC_DTYPE_BF16, SC_PROG_ROLE_OUTPUT, 128, 2, s48);
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_OK);
  b = buffer("kv", SC_DTYPE_INT4, SC_PROG_ROLE_STATE, 192, 1, s7);
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_OK);
  for (size_t i = 0; i < sizeof const_bytes; i++) const_bytes[i] = (uint8_t)next_u64();
  b = buffer("w", SC_DTYPE_FP16, SC_PROG_ROLE_CONST, 256, 3, s232);
  b.init = SC_PROG_INIT_INLINE;
  b.data = const_bytes;
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_OK);
  b = buffer("big", SC_DTYPE_INT8, SC_PROG_ROLE_CONST, 1 << 20, 2, big);
  b.init = SC_PROG_INIT_EXTERNAL;
  b.ext_path = "weights/model.bin";
  b.ext_offset = 4096;
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_OK);
  b = buffer("scalar", SC_DTYPE_INT32, SC_PROG_ROLE_SCRATCH, 512, 0, NULL);
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_OK);

  assert_int_equal(sc_prog_add_debug(p, 0, 10, "gemm.sasm", 12, 3), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 0, 2, "gemm.sasm", 5, 1), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 0, 36, "layer0.matmul", 0, 0), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 0, 10, "gemm.sasm", 13, 7), SC_STATUS_OK); /* replaces */
  assert_int_equal(sc_prog_add_debug(p, 2, 4, "softmax.sasm", 1, 1), SC_STATUS_OK);
  return p;
}

static void assert_programs_equal(const sc_program *a, const sc_program *b) {
  assert_string_equal(sc_prog_arch_name(a), sc_prog_arch_name(b));
  assert_int_equal(sc_prog_fingerprint(a), sc_prog_fingerprint(b));
  assert_int_equal(sc_prog_core_count(a), sc_prog_core_count(b));
  for (uint32_t c = 0; c < sc_prog_core_count(a); c++) {
    size_t na, nb;
    const uint64_t *wa = sc_prog_code(a, c, &na), *wb = sc_prog_code(b, c, &nb);
    assert_int_equal(na, nb);
    if (na) assert_memory_equal(wa, wb, na * 8);
    for (uint32_t pc = 0; pc < na + 2; pc++) {
      const sc_prog_debug *da = sc_prog_debug_at(a, c, pc), *db = sc_prog_debug_at(b, c, pc);
      assert_true((da == NULL) == (db == NULL));
      if (!da) continue;
      assert_int_equal(da->pc, pc);
      assert_int_equal(db->pc, pc);
      assert_string_equal(da->where, db->where);
      assert_int_equal(da->line, db->line);
      assert_int_equal(da->col, db->col);
    }
  }
  assert_int_equal(sc_prog_buffer_count(a), sc_prog_buffer_count(b));
  for (size_t i = 0; i < sc_prog_buffer_count(a); i++) {
    const sc_prog_buffer *x = sc_prog_buffer_at(a, i), *y = sc_prog_buffer_at(b, i);
    assert_string_equal(x->name, y->name);
    assert_int_equal(x->dtype, y->dtype);
    assert_int_equal(x->role, y->role);
    assert_int_equal(x->rank, y->rank);
    assert_memory_equal(x->shape, y->shape, sizeof x->shape);
    assert_int_equal(x->addr, y->addr);
    assert_int_equal(x->size_bytes, y->size_bytes);
    assert_int_equal(x->init, y->init);
    assert_int_equal(x->ext_offset, y->ext_offset);
    if (x->init == SC_PROG_INIT_INLINE) assert_memory_equal(x->data, y->data, x->size_bytes);
    if (x->init == SC_PROG_INIT_EXTERNAL) assert_string_equal(x->ext_path, y->ext_path);
  }
}

static void test_builder_view(void **state) {
  (void)state;
  sc_program *p = make_program();
  assert_int_equal(sc_prog_core_count(p), 3);
  size_t n;
  assert_non_null(sc_prog_code(p, 0, &n));
  assert_int_equal(n, 37);
  sc_prog_code(p, 1, &n);
  assert_int_equal(n, 0); /* the gap core exists and idles */
  assert_null(sc_prog_code(p, 3, &n));
  /* Sizes from dtype and shape, computed here by hand. */
  assert_int_equal(sc_prog_find_buffer(p, "x")->size_bytes, 4 * 8 * 4);
  assert_int_equal(sc_prog_find_buffer(p, "y")->size_bytes, 4 * 8 * 2);
  assert_int_equal(sc_prog_find_buffer(p, "kv")->size_bytes, 4); /* 7 nibbles */
  assert_int_equal(sc_prog_find_buffer(p, "scalar")->size_bytes, 4);
  assert_int_equal(sc_prog_find_buffer(p, "big")->size_bytes, 1 << 20);
  assert_null(sc_prog_find_buffer(p, "nope"));
  assert_null(sc_prog_buffer_at(p, 6));
  const sc_prog_debug *d = sc_prog_debug_at(p, 0, 10);
  assert_non_null(d);
  assert_int_equal(d->line, 13);
  assert_int_equal(d->col, 7);
  assert_null(sc_prog_debug_at(p, 0, 11));
  assert_null(sc_prog_debug_at(p, 1, 0));
  assert_string_equal(sc_prog_debug_at(p, 0, 36)->where, "layer0.matmul");
  assert_string_equal(sc_prog_role_name(SC_PROG_ROLE_STATE), "state");
  assert_string_equal(sc_prog_role_name((sc_prog_role)99), "?");
  sc_prog_destroy(p);
  sc_prog_destroy(NULL);
}

static void test_round_trip(void **state) {
  (void)state;
  sc_program *p = make_program();
  uint8_t *bytes, *again;
  size_t len, len2;
  assert_int_equal(sc_prog_serialize(p, &bytes, &len), SC_STATUS_OK);
  assert_int_equal(len % 8, 0);
  sc_program *q;
  char err[256];
  assert_int_equal(sc_prog_parse(bytes, len, "t.scb", FP, &q, err, sizeof err), SC_STATUS_OK);
  assert_programs_equal(p, q);
  /* Serialising the parsed program reproduces the bytes exactly. */
  assert_int_equal(sc_prog_serialize(q, &again, &len2), SC_STATUS_OK);
  assert_int_equal(len, len2);
  assert_memory_equal(bytes, again, len);
  /* Fingerprint 0 means "don't check". */
  sc_program *r;
  assert_int_equal(sc_prog_parse(bytes, len, "t.scb", 0, &r, err, sizeof err), SC_STATUS_OK);
  sc_prog_destroy(r);
  free(again);
  free(bytes);
  sc_prog_destroy(q);

  /* Through a file. */
  const char *path = "test_program_rt.scb";
  assert_int_equal(sc_prog_write(p, path), SC_STATUS_OK);
  assert_int_equal(sc_prog_load(path, FP, &q, err, sizeof err), SC_STATUS_OK);
  assert_programs_equal(p, q);
  sc_prog_destroy(q);
  remove(path);
  assert_int_equal(sc_prog_load("no/such.scb", FP, &q, err, sizeof err), SC_STATUS_IO);
  assert_null(q);
  assert_non_null(strstr(err, "no/such.scb"));
  sc_prog_destroy(p);
}

static void test_empty_program(void **state) {
  (void)state;
  sc_program *p, *q;
  assert_int_equal(sc_prog_create("tpu-v1", 7, &p), SC_STATUS_OK);
  uint8_t *bytes;
  size_t len;
  char err[256];
  assert_int_equal(sc_prog_serialize(p, &bytes, &len), SC_STATUS_OK);
  assert_int_equal(sc_prog_parse(bytes, len, "e.scb", 7, &q, err, sizeof err), SC_STATUS_OK);
  assert_programs_equal(p, q);
  free(bytes);
  sc_prog_destroy(p);
  sc_prog_destroy(q);
}

/* Each bad buffer is refused with a message naming it; the program is unchanged. */
static void test_buffer_checks(void **state) {
  (void)state;
  sc_program *p = make_program();
  const uint64_t s4[] = {4}, s0[] = {4, 0}, huge[] = {1ull << 40, 1ull << 40},
                 s9[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  struct {
    sc_prog_buffer b;
    const char *msg;
  } cases[] = {
      {buffer("x", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 4096, 1, s4), "already used"},
      {buffer("z", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 120, 1, s4), "overlaps buffer 'x'"},
      {buffer("z", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 4096, 2, s0), "shape[1] is 0"},
      {buffer("z", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 4096, 2, huge), "overflows"},
      {buffer("z", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, UINT64_MAX - 8, 1, s4), "overflows"},
      {buffer("z", SC_DTYPE_FP32, SC_PROG_ROLE_CONST, 4096, 1, s4), "needs inline or external"},
      {buffer("", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 4096, 1, s4), "name must be"},
      {buffer("z", (sc_dtype)42, SC_PROG_ROLE_INPUT, 4096, 1, s4), "unknown dtype"},
      {buffer("z", SC_DTYPE_FP32, (sc_prog_role)9, 4096, 1, s4), "unknown role"},
      {buffer("z", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 4096, 9, s9), "rank 9"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(sc_prog_add_buffer(p, &cases[i].b), SC_STATUS_INVALID);
    if (!strstr(sc_prog_errmsg(p), cases[i].msg))
      fail_msg("case %zu: '%s' does not contain '%s'", i, sc_prog_errmsg(p), cases[i].msg);
  }
  sc_prog_buffer b = buffer("z", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 4096, 1, s4);
  b.init = SC_PROG_INIT_INLINE;
  b.data = const_bytes;
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_INVALID);
  assert_non_null(strstr(sc_prog_errmsg(p), "only const buffers"));
  b.role = SC_PROG_ROLE_CONST;
  b.init = SC_PROG_INIT_EXTERNAL;
  b.ext_path = "";
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_INVALID);
  assert_non_null(strstr(sc_prog_errmsg(p), "path"));
  assert_int_equal(sc_prog_buffer_count(p), 6);
  /* Adjacent ranges do not overlap. */
  b = buffer("z", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 128 - 16, 1, s4);
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_INVALID); /* [112,128) inside x */
  b.addr = 4 * 8 * 4 + 0;                                         /* x ends at 128 ... */
  b.addr = 1 << 21;
  assert_int_equal(sc_prog_add_buffer(p, &b), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 0, 1, "", 1, 1), SC_STATUS_INVALID);
  assert_int_equal(sc_prog_set_code(p, SC_PROG_MAX_CORES, NULL, 0), SC_STATUS_INVALID);
  sc_prog_destroy(p);
}

static uint8_t *serialize(size_t *len) {
  sc_program *p = make_program();
  uint8_t *bytes;
  assert_int_equal(sc_prog_serialize(p, &bytes, len), SC_STATUS_OK);
  sc_prog_destroy(p);
  return bytes;
}

static sc_status parse(const uint8_t *bytes, size_t len, char *err, size_t err_size) {
  sc_program *q = (sc_program *)1;
  sc_status st = sc_prog_parse(bytes, len, "bad.scb", FP, &q, err, err_size);
  if (st == SC_STATUS_OK)
    sc_prog_destroy(q);
  else
    assert_null(q);
  return st;
}

static void test_truncation_and_trailing(void **state) {
  (void)state;
  size_t len;
  uint8_t *bytes = serialize(&len);
  char err[256];
  for (size_t n = 0; n < len; n++) {
    assert_int_equal(parse(bytes, n, err, sizeof err), SC_STATUS_PARSE);
    assert_non_null(strstr(err, "bad.scb: "));
  }
  assert_int_equal(parse(bytes, 20, err, sizeof err), SC_STATUS_PARSE);
  assert_non_null(strstr(err, "truncated"));
  assert_int_equal(parse(bytes, len - 1, err, sizeof err), SC_STATUS_PARSE);
  assert_non_null(strstr(err, "truncated: the header says"));
  uint8_t *longer = calloc(1, len + 3);
  memcpy(longer, bytes, len);
  assert_int_equal(parse(longer, len + 3, err, sizeof err), SC_STATUS_PARSE);
  assert_non_null(strstr(err, "3 bytes of trailing data"));
  free(longer);
  free(bytes);
}

/* CRC-32 detects every single-bit error, so every flipped bit must be refused
 * (by the magic, version, size or checksum checks). */
static void test_every_bit_flip_is_refused(void **state) {
  (void)state;
  size_t len;
  uint8_t *bytes = serialize(&len);
  char err[256];
  for (size_t i = 0; i < len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      bytes[i] ^= (uint8_t)(1u << bit);
      sc_status st = parse(bytes, len, err, sizeof err);
      if (st == SC_STATUS_OK) fail_msg("flip of byte %zu bit %d was accepted", i, bit);
      bytes[i] ^= (uint8_t)(1u << bit);
    }
  }
  /* A flip in the body is reported as corruption. */
  bytes[len - 9] ^= 1;
  assert_int_equal(parse(bytes, len, err, sizeof err), SC_STATUS_PARSE);
  assert_non_null(strstr(err, "checksum mismatch"));
  free(bytes);
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) {
  return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Re-seals a patched file: the documented CRC-32 over the file with bytes 36..39
 * read as zero. */
static void reseal(uint8_t *bytes, size_t len) {
  put32(bytes + 36, 0);
  put32(bytes + 36, (uint32_t)crc32(crc32(0L, Z_NULL, 0), bytes, (uInt)len));
}

/* Offset of the section table entry of (kind, arg), from the documented layout. */
static uint8_t *section_entry(uint8_t *bytes, uint32_t kind, uint32_t arg) {
  uint32_t n = get32(bytes + 32);
  for (uint32_t i = 0; i < n; i++) {
    uint8_t *e = bytes + 48 + 24 * i;
    if (get32(e) == kind && get32(e + 4) == arg) return e;
  }
  fail_msg("no section %u/%u", kind, arg);
  return NULL;
}

static void expect_patched(void (*patch)(uint8_t *, size_t), sc_status want, const char *msg) {
  size_t len;
  uint8_t *bytes = serialize(&len);
  patch(bytes, len);
  reseal(bytes, len);
  char err[256];
  assert_int_equal(parse(bytes, len, err, sizeof err), want);
  if (!strstr(err, msg)) fail_msg("'%s' does not contain '%s'", err, msg);
  free(bytes);
}

static void p_version(uint8_t *b, size_t n) {
  (void)n, b[8] = 2;
}
static void p_minor(uint8_t *b, size_t n) {
  (void)n, b[10] = 1;
}
static void p_flags(uint8_t *b, size_t n) {
  (void)n, b[12] = 1;
}
static void p_kind(uint8_t *b, size_t n) {
  (void)n, put32(section_entry(b, 2, 2), 77);
}
static void p_past_end(uint8_t *b, size_t n) {
  uint8_t *e = section_entry(b, 2, 2);
  put64(e + 16, n - get64(e + 8) + 8);
}
static void p_misaligned(uint8_t *b, size_t n) {
  (void)n;
  uint8_t *e = section_entry(b, 2, 2);
  put64(e + 8, get64(e + 8) + 4);
}
static void p_code_size(uint8_t *b, size_t n) {
  (void)n;
  uint8_t *e = section_entry(b, 2, 2);
  put64(e + 16, 12);
}
static void p_duplicate(uint8_t *b, size_t n) {
  (void)n;
  put32(section_entry(b, 2, 2) + 4, 0);
}
static void p_gap(uint8_t *b, size_t n) {
  (void)n;
  put32(section_entry(b, 2, 1) + 4, 9);
}
static void p_debug_pc(uint8_t *b, size_t n) {
  (void)n;
  uint8_t *e = section_entry(b, 5, 2);
  put32(b + get64(e + 8), 5); /* core 2 has 5 instructions: pc 5 is past them */
}
static void p_debug_order(uint8_t *b, size_t n) {
  (void)n;
  uint8_t *e = section_entry(b, 5, 0);
  put32(b + get64(e + 8) + 16, 1); /* second entry before the first (pc 2) */
}
static void p_debug_core(uint8_t *b, size_t n) {
  (void)n;
  put32(section_entry(b, 5, 2) + 4, 7);
}
static void p_string_ref(uint8_t *b, size_t n) {
  (void)n, put32(b + 40, 0x7fffffff);
}
static void p_strings_unterminated(uint8_t *b, size_t n) {
  (void)n;
  uint8_t *e = section_entry(b, 1, 0);
  b[get64(e + 8) + get64(e + 16) - 1] = 'x';
}
static void p_buffer_dtype(uint8_t *b, size_t n) {
  (void)n;
  b[get64(section_entry(b, 3, 0) + 8) + 4] = 200;
}
static void p_buffer_overlap(uint8_t *b, size_t n) {
  (void)n;
  put64(b + get64(section_entry(b, 3, 0) + 8) + 96 + 72, 64); /* y onto x */
}
static void p_buffer_inline_range(uint8_t *b, size_t n) {
  (void)n;
  put64(b + get64(section_entry(b, 3, 0) + 8) + 3 * 96 + 80, 1 << 20); /* w's data offset */
}
static void p_buffer_reserved(uint8_t *b, size_t n) {
  (void)n;
  put32(b + get64(section_entry(b, 3, 0) + 8) + 92, 1);
}
static void p_section_count(uint8_t *b, size_t n) {
  (void)n, put32(b + 32, 1000000);
}

static void test_structural_errors(void **state) {
  (void)state;
  expect_patched(p_version, SC_STATUS_UNSUPPORTED, "format version 2.0 is not supported");
  expect_patched(p_minor, SC_STATUS_UNSUPPORTED, "format version 1.1");
  expect_patched(p_flags, SC_STATUS_UNSUPPORTED, "unknown header flags");
  expect_patched(p_kind, SC_STATUS_PARSE, "unknown kind 77");
  expect_patched(p_past_end, SC_STATUS_PARSE, "(code): extends past the end of the file");
  expect_patched(p_misaligned, SC_STATUS_PARSE, "is not 8-byte aligned");
  expect_patched(p_code_size, SC_STATUS_PARSE, "not a whole number of records");
  expect_patched(p_duplicate, SC_STATUS_PARSE, "appears twice");
  expect_patched(p_gap, SC_STATUS_PARSE, "code sections for 3 cores, but core numbers go up to 9");
  expect_patched(p_debug_pc, SC_STATUS_PARSE, "names pc 5, the core has 5 instructions");
  expect_patched(p_debug_order, SC_STATUS_PARSE, "out of pc order");
  expect_patched(p_debug_core, SC_STATUS_PARSE, "core 7 has no code");
  expect_patched(p_string_ref, SC_STATUS_PARSE, "bad architecture name reference");
  expect_patched(p_strings_unterminated, SC_STATUS_PARSE, "not terminated");
  expect_patched(p_buffer_dtype, SC_STATUS_PARSE, "buffer 0: buffer 'x': unknown dtype 200");
  expect_patched(p_buffer_overlap, SC_STATUS_PARSE, "buffer 'y' [0x40, 0x80) overlaps buffer 'x'");
  expect_patched(p_buffer_inline_range, SC_STATUS_PARSE, "outside the data section");
  expect_patched(p_buffer_reserved, SC_STATUS_PARSE, "reserved field");
  expect_patched(p_section_count, SC_STATUS_PARSE, "1000000 sections");
}

static void test_wrong_architecture(void **state) {
  (void)state;
  size_t len;
  uint8_t *bytes = serialize(&len);
  sc_program *q;
  char err[256];
  assert_int_equal(sc_prog_parse(bytes, len, "p.scb", 0xabc, &q, err, sizeof err),
                   SC_STATUS_MISMATCH);
  assert_null(q);
  assert_non_null(strstr(err, "p.scb: built for architecture 'sc1'"));
  assert_non_null(strstr(err, "0000000000000abc"));
  assert_int_equal(sc_prog_parse(bytes, 7, "p.scb", FP, &q, err, sizeof err), SC_STATUS_PARSE);
  assert_non_null(strstr(err, "bad magic"));
  free(bytes);
}

/* sc_prog_copy_debug: core 3 gets core 0's entries (replacing its own),
 * independent of later changes to core 0; a missing source is refused. */
static void test_copy_debug(void **state) {
  (void)state;
  sc_program *p;
  assert_int_equal(sc_prog_create("sc1", 1, &p), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 0, 1, "a", 1, 2), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 0, 7, "b", 3, 4), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 3, 5, "old", 9, 9), SC_STATUS_OK);
  assert_int_equal(sc_prog_copy_debug(p, 0, 3), SC_STATUS_OK);
  assert_null(sc_prog_debug_at(p, 3, 5));
  const sc_prog_debug *d = sc_prog_debug_at(p, 3, 7);
  assert_non_null(d);
  assert_string_equal(d->where, "b");
  assert_int_equal(d->line, 3);
  assert_int_equal(sc_prog_add_debug(p, 0, 7, "c", 5, 6), SC_STATUS_OK);
  assert_string_equal(sc_prog_debug_at(p, 3, 7)->where, "b");
  assert_string_equal(sc_prog_debug_at(p, 3, 1)->where, "a");
  assert_int_equal(sc_prog_copy_debug(p, 9, 1), SC_STATUS_INVALID);
  assert_int_equal(sc_prog_copy_debug(p, 0, 0), SC_STATUS_INVALID);
  assert_int_equal(sc_prog_copy_debug(p, 0, SC_PROG_MAX_CORES), SC_STATUS_INVALID);
  sc_prog_destroy(p);
}

/* sc_prog_share_code: cores 1 and 2 run core 0's words (one array) with its
 * entries; a change to any one's entries leaves the others' as they were;
 * new code for core 0 leaves 1 and 2 with the old; the serialised program
 * is the same as one with copies; every array is freed once (ASan). */
static void test_share_code(void **state) {
  (void)state;
  sc_program *p, *q;
  uint64_t w[3] = {0x1111, 0x2222, 0x3333}, w2[1] = {0x4444};
  assert_int_equal(sc_prog_create("sc1", 1, &p), SC_STATUS_OK);
  assert_int_equal(sc_prog_create("sc1", 1, &q), SC_STATUS_OK);
  for (uint32_t c = 0; c < 3; c++) {
    assert_int_equal(sc_prog_set_code(q, c, w, 3), SC_STATUS_OK);
    assert_int_equal(sc_prog_add_debug(q, c, 1, "x", 1, 1), SC_STATUS_OK);
  }
  assert_int_equal(sc_prog_set_code(p, 0, w, 3), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_debug(p, 0, 1, "x", 1, 1), SC_STATUS_OK);
  assert_int_equal(sc_prog_share_code(p, 0, 1), SC_STATUS_OK);
  assert_int_equal(sc_prog_share_code(p, 0, 2), SC_STATUS_OK);
  size_t n0, n1;
  assert_ptr_equal(sc_prog_code(p, 0, &n0), sc_prog_code(p, 2, &n1));
  assert_int_equal(n1, 3);
  uint8_t *a, *b;
  size_t la, lb;
  assert_int_equal(sc_prog_serialize(p, &a, &la), SC_STATUS_OK);
  assert_int_equal(sc_prog_serialize(q, &b, &lb), SC_STATUS_OK);
  assert_int_equal(la, lb);
  assert_memory_equal(a, b, la);
  free(a);
  free(b);
  assert_int_equal(sc_prog_add_debug(p, 1, 2, "y", 2, 2), SC_STATUS_OK);
  assert_non_null(sc_prog_debug_at(p, 1, 2));
  assert_null(sc_prog_debug_at(p, 0, 2));
  assert_null(sc_prog_debug_at(p, 2, 2));
  assert_string_equal(sc_prog_debug_at(p, 2, 1)->where, "x");
  assert_int_equal(sc_prog_set_code(p, 0, w2, 1), SC_STATUS_OK);
  assert_int_equal(sc_prog_code(p, 0, &n0)[0], 0x4444);
  assert_int_equal(sc_prog_code(p, 2, &n1)[2], 0x3333);
  assert_int_equal(sc_prog_share_code(p, 0, 0), SC_STATUS_INVALID);
  assert_int_equal(sc_prog_share_code(p, 7, 1), SC_STATUS_INVALID);
  sc_prog_destroy(p);
  sc_prog_destroy(q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_builder_view),
      cmocka_unit_test(test_copy_debug),
      cmocka_unit_test(test_share_code),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_empty_program),
      cmocka_unit_test(test_buffer_checks),
      cmocka_unit_test(test_truncation_and_trailing),
      cmocka_unit_test(test_every_bit_flip_is_refused),
      cmocka_unit_test(test_structural_errors),
      cmocka_unit_test(test_wrong_architecture),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
