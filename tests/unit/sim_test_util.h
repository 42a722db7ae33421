/* sim_test_util.h: helpers shared by test_sim_mxu.c and test_sim_vpu.c:
 * building programs with sc_isa_encode, running them through the public API,
 * element codecs written on num.h's public conversions, a seeded RNG, and the
 * ISA's FP32 rules written plainly (the tests' own reference, independent of
 * the simulator's sim_kernels.h). */
#ifndef SEEDCHIP_SIM_TEST_UTIL_H
#define SEEDCHIP_SIM_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "seedchip/arch.h"
#include "seedchip/isa.h"
#include "seedchip/num.h"
#include "seedchip/sim.h"

/* ---- programs ---- */

typedef struct tprog {
  uint64_t w[512];
  size_t n;
} tprog;

static inline void tp_insn(tprog *p, const sc_insn *in) {
  char err[200];
  assert_true(p->n < 512);
  if (sc_isa_encode(in, &p->w[p->n], err, sizeof err) != SC_STATUS_OK) fail_msg("encode: %s", err);
  p->n++;
}

/* x[r] = v (li, plus lih when v is not a sign-extended 32-bit value). */
static inline void tp_li(tprog *p, unsigned r, uint64_t v) {
  sc_insn in = {0};
  in.opcode = SC_OP_LI;
  in.xd = r;
  in.imm = (int32_t)(uint32_t)v;
  tp_insn(p, &in);
  if ((uint64_t)(int64_t)(int32_t)(uint32_t)v != v) {
    sc_insn h = {0};
    h.opcode = SC_OP_LIH;
    h.xd = r;
    h.imm = (int64_t)(v >> 32);
    tp_insn(p, &h);
  }
}

/* Registers x8.. = the n values of a group; returns the base register 8. */
enum { TP_XD = 1, TP_XS1 = 2, TP_XS2 = 3, TP_XG = 8 };
static inline unsigned tp_group(tprog *p, unsigned n, const uint64_t *g) {
  for (unsigned k = 0; k < n; k++) tp_li(p, TP_XG + k, g[k]);
  return TP_XG;
}

/* Waits until every engine's queue has drained (engines run concurrently). */
static inline void tp_fence(tprog *p) {
  sc_insn in = {0};
  in.opcode = SC_OP_SYNC_FENCE;
  in.sel = SC_ISA_FENCE_ALL;
  tp_insn(p, &in);
}

/* Appends halt, loads core 0 and runs; the program must not trap. */
static inline void tp_run_ok(sc_sim *sim, tprog *p) {
  sc_insn h = {0};
  h.opcode = SC_OP_HALT;
  tp_insn(p, &h);
  assert_int_equal(sc_sim_set_code(sim, 0, p->w, p->n), SC_STATUS_OK);
  if (sc_sim_run(sim) != SC_STATUS_OK)
    fail_msg("trapped: %s (%s)", sc_sim_trap(sim)->detail, sc_sim_trap(sim)->insn);
}

/* Runs a program expected to trap with cause at pc (core 0); the trap's detail
 * must contain each of the NULL-terminated strings. */
static inline const sc_trap *tp_run_trap(sc_sim *sim, tprog *p, sc_trap_cause cause, size_t pc,
                                         ...) {
  sc_insn h = {0};
  h.opcode = SC_OP_HALT;
  tp_insn(p, &h);
  assert_int_equal(sc_sim_set_code(sim, 0, p->w, p->n), SC_STATUS_OK);
  assert_int_equal(sc_sim_run(sim), SC_STATUS_TRAP);
  const sc_trap *t = sc_sim_trap(sim);
  if (t->cause != cause)
    fail_msg("expected %s, got %s: %s", sc_trap_cause_str(cause), sc_trap_cause_str(t->cause),
             t->detail);
  assert_int_equal(t->pc, pc);
  assert_int_equal(t->core, 0);
  va_list ap;
  va_start(ap, pc);
  for (const char *s; (s = va_arg(ap, const char *));)
    if (!strstr(t->detail, s)) fail_msg("detail '%s' lacks '%s'", t->detail, s);
  va_end(ap);
  return t;
}

/* ---- RNG (splitmix64, fixed seeds) ---- */

static uint64_t t_rng = 0x9e3779b97f4a7c15ull;
static inline uint64_t t_u64(void) {
  uint64_t z = (t_rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static inline uint32_t t_below(uint32_t n) {
  return (uint32_t)(t_u64() % n);
}

/* ---- FP32 bits and the ISA's arithmetic, written plainly ---- */

static inline uint32_t t_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  return u;
}
static inline float t_float(uint32_t u) {
  float x;
  memcpy(&x, &u, 4);
  return x;
}
static inline bool t_isnan(float x) {
  return isnan(x);
}
/* A NaN result: the first NaN operand with its quiet bit set, else 0x7fc00000. */
static inline float t_nan(float a, float b) {
  if (isnan(a)) return t_float(t_bits(a) | 0x400000u);
  if (isnan(b)) return t_float(t_bits(b) | 0x400000u);
  return t_float(0x7fc00000u);
}
static inline float t_add(float a, float b) {
  float r = a + b;
  return isnan(r) ? t_nan(a, b) : r;
}
static inline float t_sub(float a, float b) {
  float r = a - b;
  return isnan(r) ? t_nan(a, b) : r;
}
static inline float t_mul(float a, float b) {
  float r = a * b;
  return isnan(r) ? t_nan(a, b) : r;
}
static inline float t_div(float a, float b) {
  float r = a / b;
  return isnan(r) ? t_nan(a, b) : r;
}
static inline float t_max(float a, float b) {
  if (isnan(a) || isnan(b)) return t_nan(a, b);
  if (a == 0 && b == 0) return signbit(a) && signbit(b) ? -0.0f : 0.0f;
  return a > b ? a : b;
}
static inline float t_min(float a, float b) {
  if (isnan(a) || isnan(b)) return t_nan(a, b);
  if (a == 0 && b == 0) return signbit(a) || signbit(b) ? -0.0f : 0.0f;
  return a < b ? a : b;
}

/* ---- elements of a host buffer in a dtype (flat element index) ---- */

static inline size_t t_bytes(sc_dtype dt, size_t n) {
  unsigned b = sc_dtype_bits(dt);
  return b == 4 ? (n + 1) / 2 : n * (b / 8);
}

/* Stores the dtype's encoding of x at element idx of buf (cvt of the ISA). */
static inline void t_put(uint8_t *buf, sc_dtype dt, size_t idx, float x) {
  uint8_t *p = buf + (sc_dtype_bits(dt) == 4 ? idx / 2 : idx * (sc_dtype_bits(dt) / 8));
  uint32_t u;
  switch (dt) {
  case SC_DTYPE_FP32:
    u = t_bits(x);
    memcpy(p, &u, 4);
    break;
  case SC_DTYPE_BF16: {
    uint16_t h = sc_f32_to_bf16(x);
    memcpy(p, &h, 2);
    break;
  }
  case SC_DTYPE_FP16: {
    uint16_t h = sc_f32_to_fp16(x);
    memcpy(p, &h, 2);
    break;
  }
  case SC_DTYPE_FP8_E4M3:
    *p = sc_f32_to_fp8e4m3(x, SC_FP8_SATURATE);
    break;
  case SC_DTYPE_FP8_E5M2:
    *p = sc_f32_to_fp8e5m2(x, SC_FP8_SATURATE);
    break;
  case SC_DTYPE_INT8:
    *p = (uint8_t)sc_f32_to_int8(x);
    break;
  case SC_DTYPE_INT32: {
    int32_t v = sc_f32_to_int32(x);
    memcpy(p, &v, 4);
    break;
  }
  case SC_DTYPE_INT4: {
    int8_t q = sc_f32_to_int4(x);
    *p = idx & 1 ? sc_int4_pack(sc_int4_unpack(*p, 0), q) : sc_int4_pack(q, sc_int4_unpack(*p, 1));
    break;
  }
  default:
    fail();
  }
}

/* Integer store (saturating) for int dtypes. */
static inline void t_put_i(uint8_t *buf, sc_dtype dt, size_t idx, int64_t v) {
  if (dt == SC_DTYPE_INT32) {
    int32_t x = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
    memcpy(buf + 4 * idx, &x, 4);
  } else if (dt == SC_DTYPE_INT8) {
    buf[idx] = (uint8_t)(int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
  } else if (dt == SC_DTYPE_INT4) {
    int8_t q = (int8_t)(v > 7 ? 7 : v < -8 ? -8 : v);
    uint8_t *p = buf + idx / 2;
    *p = idx & 1 ? sc_int4_pack(sc_int4_unpack(*p, 0), q) : sc_int4_pack(q, sc_int4_unpack(*p, 1));
  } else {
    t_put(buf, dt, idx, (float)v);
  }
}

static inline float t_get(const uint8_t *buf, sc_dtype dt, size_t idx) {
  const uint8_t *p = buf + (sc_dtype_bits(dt) == 4 ? idx / 2 : idx * (sc_dtype_bits(dt) / 8));
  switch (dt) {
  case SC_DTYPE_FP32: {
    uint32_t u;
    memcpy(&u, p, 4);
    return t_float(u);
  }
  case SC_DTYPE_BF16: {
    uint16_t h;
    memcpy(&h, p, 2);
    return sc_bf16_to_f32(h);
  }
  case SC_DTYPE_FP16: {
    uint16_t h;
    memcpy(&h, p, 2);
    return sc_fp16_to_f32(h);
  }
  case SC_DTYPE_FP8_E4M3:
    return sc_fp8e4m3_to_f32(*p);
  case SC_DTYPE_FP8_E5M2:
    return sc_fp8e5m2_to_f32(*p);
  case SC_DTYPE_INT8:
    return (float)(int8_t)*p;
  case SC_DTYPE_INT4:
    return (float)sc_int4_unpack(*p, (unsigned)(idx & 1));
  case SC_DTYPE_INT32: {
    int32_t v;
    memcpy(&v, p, 4);
    return (float)v;
  }
  default:
    fail();
    return 0;
  }
}

static inline int32_t t_get_i(const uint8_t *buf, sc_dtype dt, size_t idx) {
  switch (dt) {
  case SC_DTYPE_INT8:
    return (int8_t)buf[idx];
  case SC_DTYPE_INT4:
    return sc_int4_unpack(buf[idx / 2], (unsigned)(idx & 1));
  case SC_DTYPE_INT32: {
    int32_t v;
    memcpy(&v, buf + 4 * idx, 4);
    return v;
  }
  default:
    fail();
    return 0;
  }
}

/* A random value representable in dt: mostly moderate values, sometimes
 * special ones (NaN, +-Inf, +-0, subnormals, the format's extremes). */
static inline float t_rand_val(sc_dtype dt, bool specials) {
  if (!sc_dtype_is_float(dt)) {
    int lo = dt == SC_DTYPE_INT4 ? -8 : -128, hi = dt == SC_DTYPE_INT4 ? 7 : 127;
    if (dt == SC_DTYPE_INT32) lo = -100000, hi = 100000;
    uint32_t r = t_below(8);
    if (r == 0) return (float)lo;
    if (r == 1) return (float)hi;
    return (float)(lo + (int)t_below((uint32_t)(hi - lo + 1)));
  }
  uint8_t cell[4] = {0};
  uint32_t r = t_below(specials ? 16 : 10);
  if (r < 10) {
    float x = (float)((double)(int)t_below(2001) - 1000.0) / 256.0f;
    t_put(cell, dt, 0, x);
  } else if (r == 10) {
    return t_float(0x7fc00000u | (t_below(2) << 31));
  } else if (r == 11) {
    return t_float(0x7f800000u | (t_below(2) << 31));
  } else if (r == 12) {
    return t_float(t_below(2) << 31); /* +-0 */
  } else {
    /* random bits of the format: subnormals, extremes, NaN payloads */
    uint32_t b = (uint32_t)t_u64();
    memcpy(cell, &b, 4);
  }
  return t_get(cell, dt, 0);
}

#endif
