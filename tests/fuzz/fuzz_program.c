/* fuzz_program.c: the .scb loader on arbitrary bytes. Each input is parsed as
 * given, then again with its size and checksum fields re-sealed so that the
 * fuzzer reaches the section checks behind the CRC. A program that loads must
 * serialise and load again to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "seedchip/program.h"

static void check(const uint8_t *data, size_t size) {
  sc_program *prog;
  char err[512];
  if (sc_prog_parse(data, size, "fuzz", 0, &prog, err, sizeof err) != SC_STATUS_OK) return;
  uint8_t *a, *b;
  size_t na, nb;
  if (sc_prog_serialize(prog, &a, &na) != SC_STATUS_OK) __builtin_trap();
  sc_program *again;
  if (sc_prog_parse(a, na, "fuzz", 0, &again, err, sizeof err) != SC_STATUS_OK) __builtin_trap();
  if (sc_prog_serialize(again, &b, &nb) != SC_STATUS_OK) __builtin_trap();
  if (na != nb || memcmp(a, b, na) != 0) __builtin_trap();
  free(a);
  free(b);
  sc_prog_destroy(again);
  sc_prog_destroy(prog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check(data, size);
  if (size < 48 || size > (1u << 24)) return 0;
  uint8_t *copy = malloc(size);
  if (!copy) return 0;
  memcpy(copy, data, size);
  for (int i = 0; i < 8; i++) copy[24 + i] = (uint8_t)((uint64_t)size >> (8 * i));
  memset(copy + 36, 0, 4);
  uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), copy, (uInt)size);
  for (int i = 0; i < 4; i++) copy[36 + i] = (uint8_t)(crc >> (8 * i));
  check(copy, size);
  free(copy);
  return 0;
}
