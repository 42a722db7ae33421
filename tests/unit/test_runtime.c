/* test_runtime.c: the runtime API: load, bind, launch, wait, shared buffers,
 * const data inline and from weight files, and every refusal with its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/isa.h"
#include "seedchip/num.h"
#include "seedchip/runtime.h"

static sc_arch *sc1;

static int setup(void **state) {
  (void)state;
  return sc_arch_load("sc1", &sc1, NULL) == SC_STATUS_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  sc_arch_destroy(sc1);
  return 0;
}

static void set_code(sc_program *p, uint32_t core, const char *const *lines) {
  uint64_t words[64];
  size_t n = 0;
  for (; lines[n]; n++) {
    sc_insn in;
    size_t col;
    char err[200];
    if (sc_isa_parse(lines[n], strlen(lines[n]), &in, NULL, NULL, &col, err, sizeof err))
      fail_msg("'%s': %s", lines[n], err);
    assert_int_equal(sc_isa_encode(&in, &words[n], err, sizeof err), SC_STATUS_OK);
  }
  assert_int_equal(sc_prog_set_code(p, core, words, n), SC_STATUS_OK);
}

static sc_prog_buffer buf2(const char *name, sc_dtype dt, sc_prog_role role, uint64_t addr,
                           uint64_t r, uint64_t c) {
  return (sc_prog_buffer){
      .name = name, .dtype = dt, .role = role, .rank = 2, .shape = {r, c}, .addr = addr};
}

/* y (4 x 8, bf16) = x (4 x 8, fp32) rounded, through core 3's SRAM. */
static sc_program *copy_program(uint64_t fingerprint) {
  sc_program *p;
  assert_int_equal(sc_prog_create("sc1", fingerprint, &p), SC_STATUS_OK);
  sc_prog_buffer x = buf2("x", SC_DTYPE_FP32, SC_PROG_ROLE_INPUT, 0x10000, 4, 8);
  sc_prog_buffer y = buf2("y", SC_DTYPE_BF16, SC_PROG_ROLE_OUTPUT, 0x20000, 4, 8);
  assert_int_equal(sc_prog_add_buffer(p, &x), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_buffer(p, &y), SC_STATUS_OK);
  static const char *const code[] = {"li x1, 65536",
                                     "li x2, 131072",
                                     "li x10, 32",
                                     "dma.1d sram[x0]:bf16, hbm[x1]:fp32, x10, x0, q0 @signal(s0)",
                                     "dma.1d hbm[x2]:bf16, sram[x0]:bf16, x10, x0, q1 @wait(s0)",
                                     "halt",
                                     NULL};
  static const char *const idle[] = {"halt", NULL};
  for (uint32_t c = 0; c < 3; c++) set_code(p, c, idle);
  set_code(p, 3, code);
  return p;
}

static void test_launch_and_wait(void **state) {
  (void)state;
  char err[256];
  sc_device *dev;
  assert_int_equal(sc_rt_open(sc1, &dev, err, sizeof err), SC_STATUS_OK);
  sc_program *prog = copy_program(sc_arch_fingerprint(sc1));
  sc_rt_program *p;
  assert_int_equal(sc_rt_load(dev, prog, NULL, &p), SC_STATUS_OK);
  float x[32];
  uint16_t y[32], want[32];
  for (int launch = 0; launch < 2; launch++) {
    for (int i = 0; i < 32; i++) {
      x[i] = (float)(i - 16) * 0.3337f + (float)launch;
      want[i] = sc_f32_to_bf16(x[i]);
    }
    memset(y, 0, sizeof y);
    assert_int_equal(sc_rt_bind(p, "x", x, sizeof x), SC_STATUS_OK);
    assert_int_equal(sc_rt_bind(p, "y", y, sizeof y), SC_STATUS_OK);
    assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
    assert_int_equal(sc_rt_wait(dev), SC_STATUS_OK);
    assert_memory_equal(y, want, sizeof y);
  }
  assert_int_equal(sc_rt_counter(dev, 3, SC_ISA_EVENT_HBM_RD_BYTES), 128);
  assert_int_equal(sc_rt_counter(dev, 3, SC_ISA_EVENT_HBM_WR_BYTES), 64);
  assert_int_equal(sc_rt_trap(dev)->cause, SC_TRAP_NONE);
  uint64_t addr, size;
  assert_int_equal(sc_rt_buffer(p, "y", &addr, &size), SC_STATUS_OK);
  assert_int_equal(addr, 0x20000);
  assert_int_equal(size, 64);

  /* Refusals. */
  assert_int_equal(sc_rt_bind(p, "x", x, 12), SC_STATUS_INVALID);
  assert_non_null(strstr(sc_rt_errmsg(dev), "holds 128 bytes, the host gave 12"));
  assert_int_equal(sc_rt_bind(p, "nope", x, 4), SC_STATUS_NOT_FOUND);
  assert_non_null(strstr(sc_rt_errmsg(dev), "'nope'"));
  assert_int_equal(sc_rt_wait(dev), SC_STATUS_INVALID);
  assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
  assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_INVALID);
  assert_int_equal(sc_rt_wait(dev), SC_STATUS_OK);
  assert_int_equal(sc_rt_free(dev, 0x10000), SC_STATUS_INVALID);
  assert_non_null(strstr(sc_rt_errmsg(dev), "program buffer 'x'"));

  /* Device memory outside programs. */
  uint64_t m;
  assert_int_equal(sc_rt_malloc(dev, 1000, &m), SC_STATUS_OK);
  assert_int_equal(m % 64, 0);
  assert_true(m + 1000 <= 0x10000 || m >= 0x20040); /* not inside a program buffer */
  uint8_t in[1000], out[1000];
  for (int i = 0; i < 1000; i++) in[i] = (uint8_t)(i * 7);
  assert_int_equal(sc_rt_copy_to_device(dev, m, in, sizeof in), SC_STATUS_OK);
  assert_int_equal(sc_rt_copy_from_device(dev, out, m, sizeof out), SC_STATUS_OK);
  assert_memory_equal(in, out, sizeof in);
  assert_int_equal(sc_rt_copy_from_device(dev, out, m + 1, sizeof out), SC_STATUS_INVALID);
  assert_int_equal(sc_rt_free(dev, m), SC_STATUS_OK);
  sc_rt_unload(dev, p);
  sc_rt_close(dev);
  sc_prog_destroy(prog);
}

static void test_wrong_architecture_and_cores(void **state) {
  (void)state;
  char err[256];
  sc_device *dev;
  assert_int_equal(sc_rt_open(sc1, &dev, err, sizeof err), SC_STATUS_OK);
  sc_program *prog = copy_program(0x1234);
  sc_rt_program *p;
  assert_int_equal(sc_rt_load(dev, prog, NULL, &p), SC_STATUS_MISMATCH);
  assert_null(p);
  assert_non_null(strstr(sc_rt_errmsg(dev), "fingerprint 0000000000001234"));
  sc_prog_destroy(prog);

  sc_arch *tpu;
  assert_int_equal(sc_arch_load("tpu-v1", &tpu, NULL), SC_STATUS_OK);
  sc_device *one;
  assert_int_equal(sc_rt_open(tpu, &one, err, sizeof err), SC_STATUS_OK);
  prog = copy_program(sc_arch_fingerprint(tpu)); /* code for 4 cores, tpu-v1 has 1 */
  assert_int_equal(sc_rt_load(one, prog, NULL, &p), SC_STATUS_MISMATCH);
  assert_non_null(strstr(sc_rt_errmsg(one), "code for 4 cores, the chip has 1"));
  sc_prog_destroy(prog);
  sc_rt_close(one);
  sc_arch_destroy(tpu);
  sc_rt_close(dev);
}

static void test_const_data_and_sharing(void **state) {
  (void)state;
  const char *wpath = "test_runtime_weights.bin";
  uint8_t file[300];
  for (int i = 0; i < 300; i++) file[i] = (uint8_t)(255 - i);
  FILE *f = fopen(wpath, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(file, 1, sizeof file, f), sizeof file);
  fclose(f);

  uint64_t fp = sc_arch_fingerprint(sc1);
  sc_program *a, *b;
  assert_int_equal(sc_prog_create("sc1", fp, &a), SC_STATUS_OK);
  assert_int_equal(sc_prog_create("sc1", fp, &b), SC_STATUS_OK);
  uint8_t inline_bytes[16];
  for (int i = 0; i < 16; i++) inline_bytes[i] = (uint8_t)(i * 3);
  sc_prog_buffer w = buf2("w", SC_DTYPE_INT8, SC_PROG_ROLE_CONST, 0, 4, 4);
  w.init = SC_PROG_INIT_INLINE;
  w.data = inline_bytes;
  sc_prog_buffer e = buf2("e", SC_DTYPE_INT8, SC_PROG_ROLE_CONST, 4096, 10, 10);
  e.init = SC_PROG_INIT_EXTERNAL;
  e.ext_path = wpath;
  e.ext_offset = 200;
  sc_prog_buffer kv = buf2("kv", SC_DTYPE_FP16, SC_PROG_ROLE_STATE, 8192, 2, 2);
  assert_int_equal(sc_prog_add_buffer(a, &w), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_buffer(a, &e), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_buffer(a, &kv), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_buffer(b, &kv), SC_STATUS_OK);

  char err[256];
  sc_device *dev;
  assert_int_equal(sc_rt_open(sc1, &dev, err, sizeof err), SC_STATUS_OK);
  sc_rt_program *pa, *pb;
  assert_int_equal(sc_rt_load(dev, a, ".", &pa), SC_STATUS_OK);
  assert_int_equal(sc_rt_load(dev, b, ".", &pb), SC_STATUS_OK); /* shares kv */
  uint8_t got[100];
  assert_int_equal(sc_rt_copy_from_device(dev, got, 0, 16), SC_STATUS_OK);
  assert_memory_equal(got, inline_bytes, 16);
  assert_int_equal(sc_rt_copy_from_device(dev, got, 4096, 100), SC_STATUS_OK);
  assert_memory_equal(got, file + 200, 100);
  uint16_t kv_in[4] = {1, 2, 3, 4};
  assert_int_equal(sc_rt_copy_to_device(dev, 8192, kv_in, 8), SC_STATUS_OK);
  sc_rt_unload(dev, pa); /* kv stays: b still uses it */
  uint16_t kv_out[4];
  assert_int_equal(sc_rt_copy_from_device(dev, kv_out, 8192, 8), SC_STATUS_OK);
  assert_memory_equal(kv_in, kv_out, 8);
  assert_int_equal(sc_rt_copy_from_device(dev, got, 0, 16), SC_STATUS_INVALID); /* w is gone */
  assert_int_equal(sc_rt_bind(pb, "kv", kv_out, 8), SC_STATUS_OK);
  sc_rt_unload(dev, pb);
  assert_int_equal(sc_rt_copy_from_device(dev, kv_out, 8192, 8), SC_STATUS_INVALID);

  /* A different buffer at the same address is refused, and nothing stays mapped. */
  sc_prog_buffer other = buf2("other", SC_DTYPE_FP16, SC_PROG_ROLE_STATE, 8192, 2, 2);
  assert_int_equal(sc_rt_load(dev, b, NULL, &pb), SC_STATUS_OK);
  sc_prog_buffer before = buf2("before", SC_DTYPE_INT8, SC_PROG_ROLE_INPUT, 0, 1, 16);
  sc_program *d;
  assert_int_equal(sc_prog_create("sc1", fp, &d), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_buffer(d, &before), SC_STATUS_OK);
  assert_int_equal(sc_prog_add_buffer(d, &other), SC_STATUS_OK);
  sc_rt_program *pd;
  assert_int_equal(sc_rt_load(dev, d, NULL, &pd), SC_STATUS_INVALID);
  assert_non_null(strstr(sc_rt_errmsg(dev), "buffer 'other'"));
  assert_non_null(strstr(sc_rt_errmsg(dev), "overlaps"));
  uint64_t m;
  assert_int_equal(sc_rt_malloc(dev, 16, &m), SC_STATUS_OK);
  assert_int_equal(m, 0); /* 'before' was unmapped again */

  /* Weight files: missing, and too short. */
  sc_program *g;
  assert_int_equal(sc_prog_create("sc1", fp, &g), SC_STATUS_OK);
  e.ext_offset = 250;
  e.addr = 1 << 20;
  assert_int_equal(sc_prog_add_buffer(g, &e), SC_STATUS_OK);
  sc_rt_program *pg;
  assert_int_equal(sc_rt_load(dev, g, ".", &pg), SC_STATUS_IO);
  assert_non_null(strstr(sc_rt_errmsg(dev), "the file ends after 50"));
  assert_int_equal(sc_rt_load(dev, g, "no/such/dir", &pg), SC_STATUS_IO);
  assert_non_null(strstr(sc_rt_errmsg(dev), "no/such/dir/test_runtime_weights.bin"));
  remove(wpath);

  sc_rt_close(dev); /* unloads pb */
  sc_prog_destroy(a);
  sc_prog_destroy(b);
  sc_prog_destroy(d);
  sc_prog_destroy(g);
}

static void test_trap_through_runtime(void **state) {
  (void)state;
  char err[256];
  sc_device *dev;
  assert_int_equal(sc_rt_open(sc1, &dev, err, sizeof err), SC_STATUS_OK);
  sc_program *prog;
  assert_int_equal(sc_prog_create("sc1", sc_arch_fingerprint(sc1), &prog), SC_STATUS_OK);
  sc_prog_buffer y = buf2("y", SC_DTYPE_INT8, SC_PROG_ROLE_OUTPUT, 0, 1, 8);
  assert_int_equal(sc_prog_add_buffer(prog, &y), SC_STATUS_OK);
  static const char *const code[] = {
      "li x1, 4", "li x10, 8", "dma.1d hbm[x1]:int8, sram[x0]:int8, x10, x0, q0", "halt", NULL};
  set_code(prog, 0, code);
  sc_rt_program *p;
  assert_int_equal(sc_rt_load(dev, prog, NULL, &p), SC_STATUS_OK);
  uint8_t out[8] = {9, 9, 9, 9, 9, 9, 9, 9};
  assert_int_equal(sc_rt_bind(p, "y", out, 8), SC_STATUS_OK);
  assert_int_equal(sc_rt_launch(dev, p), SC_STATUS_OK);
  assert_int_equal(sc_rt_wait(dev), SC_STATUS_TRAP);
  const sc_trap *t = sc_rt_trap(dev);
  assert_int_equal(t->cause, SC_TRAP_OUT_OF_BOUNDS);
  assert_int_equal(t->pc, 2);
  assert_non_null(strstr(sc_rt_errmsg(dev), "out-of-bounds"));
  for (int i = 0; i < 8; i++) assert_int_equal(out[i], 9); /* outputs untouched */
  sc_rt_close(dev);
  sc_prog_destroy(prog);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_launch_and_wait),
      cmocka_unit_test(test_wrong_architecture_and_cores),
      cmocka_unit_test(test_const_data_and_sharing),
      cmocka_unit_test(test_trap_through_runtime),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
