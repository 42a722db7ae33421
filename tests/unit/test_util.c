/* test_util.c: status table, checked arithmetic, string buffer, file round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/util.h"

static void test_status_strings(void **state) {
  (void)state;
  assert_string_equal(sc_status_str(SC_STATUS_OK), "ok");
  assert_string_equal(sc_status_name(SC_STATUS_PARSE), "PARSE");
  assert_string_equal(sc_status_str((sc_status)9999), "unknown status");
  assert_string_equal(sc_status_name((sc_status)-1), "UNKNOWN");
  /* Every code has a distinct, non-empty message. */
  for (int i = 0; i < SC_STATUS_COUNT_; i++) {
    assert_true(strlen(sc_status_str((sc_status)i)) > 0);
    for (int j = 0; j < i; j++)
      assert_string_not_equal(sc_status_str((sc_status)i), sc_status_str((sc_status)j));
  }
}

static void test_checked_size(void **state) {
  (void)state;
  size_t r = 7;
  assert_true(sc_mul_size(0, SIZE_MAX, &r) && r == 0);
  assert_true(sc_mul_size(SIZE_MAX / 3, 3, &r) && r == SIZE_MAX / 3 * 3);
  r = 7;
  assert_false(sc_mul_size(SIZE_MAX / 2 + 1, 2, &r));
  assert_int_equal(r, 7);
  assert_true(sc_add_size(SIZE_MAX - 1, 1, &r) && r == SIZE_MAX);
  assert_false(sc_add_size(SIZE_MAX, 1, &r));
}

static void test_errf(void **state) {
  (void)state;
  char buf[8];
  assert_int_equal(sc_errf(buf, sizeof buf, SC_STATUS_IO, "%s-%d", "abcdef", 42), SC_STATUS_IO);
  assert_string_equal(buf, "abcdef-"); /* truncated, terminated */
  assert_int_equal(sc_errf(NULL, 0, SC_STATUS_PARSE, "x"), SC_STATUS_PARSE);
}

static void test_strbuf(void **state) {
  (void)state;
  sc_strbuf sb = {0};
  assert_string_equal(sc_strbuf_str(&sb), "");
  for (int i = 0; i < 1000; i++) sc_strbuf_printf(&sb, "%d,", i % 10);
  assert_false(sb.oom);
  assert_int_equal(sb.len, 2000);
  assert_int_equal(strlen(sc_strbuf_str(&sb)), 2000);
  assert_memory_equal(sb.data + 1990, "5,6,7,8,9,", 10);
  sc_strbuf_append(&sb, "", 0);
  assert_int_equal(sb.len, 2000);
  sc_strbuf_free(&sb);
  assert_null(sb.data);
  sc_strbuf_free(&sb); /* twice is harmless */
}

static void test_file_round_trip(void **state) {
  (void)state;
  char path[] = "test_util_file.bin";
  uint8_t payload[10000];
  for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 131 + 7);
  char err[256];
  assert_int_equal(sc_write_file(path, payload, sizeof payload, err, sizeof err), SC_STATUS_OK);
  uint8_t *data;
  size_t len;
  assert_int_equal(sc_read_file(path, 1 << 20, &data, &len, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(len, sizeof payload);
  assert_memory_equal(data, payload, len);
  assert_int_equal(data[len], 0);
  free(data);
  /* Over the limit: refused with the path in the message. */
  assert_int_equal(sc_read_file(path, 100, &data, &len, err, sizeof err), SC_STATUS_OVERFLOW);
  assert_non_null(strstr(err, path));
  assert_null(data);
  remove(path);
  assert_int_equal(sc_read_file("no/such/file", 100, &data, &len, err, sizeof err), SC_STATUS_IO);
  assert_non_null(strstr(err, "no/such/file"));
  /* Writing into a missing directory fails cleanly and leaves nothing behind. */
  assert_int_equal(sc_write_file("no/such/dir/x", payload, 1, err, sizeof err), SC_STATUS_IO);
}

/* sc_text_line_col: 1-based, a newline starts the next line at column 1. */
static void test_line_col(void **state) {
  (void)state;
  const char *t = "ab\ncd\n\nx";
  static const struct {
    size_t pos, line, col;
  } cases[] = {{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {6, 3, 1}, {7, 4, 1}, {8, 4, 2}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    size_t line, col;
    sc_text_line_col(t, cases[i].pos, &line, &col);
    assert_int_equal(line, cases[i].line);
    assert_int_equal(col, cases[i].col);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_line_col),     cmocka_unit_test(test_status_strings),
      cmocka_unit_test(test_checked_size), cmocka_unit_test(test_errf),
      cmocka_unit_test(test_strbuf),       cmocka_unit_test(test_file_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
