/* sim_kernels.h: the arithmetic of the MXU and VPU executors, shared by
 * sim_mxu.c, sim_vpu.c, sim_kernels.c and the tests that compare the fast
 * kernels with the reference ones.
 *
 * The ISA's FP32 rules (docs/ISA.md "Numerics of instructions"): every product
 * and sum is rounded on its own (the project builds with -ffp-contract=off, so
 * no fused multiply-add), and a NaN result never shows the host's choice: it is
 * the first NaN operand made quiet (sign and payload kept), or the default NaN
 * 0x7fc00000 for an invalid operation (x86 would give 0xffc00000). The sim_f*
 * helpers compute with the host's IEEE arithmetic, which decides THAT a result
 * is NaN identically everywhere, and only then replace the NaN's bits. */
#ifndef SEEDCHIP_SIM_KERNELS_H
#define SEEDCHIP_SIM_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim_int.h"

#define SIM_DEFAULT_NAN 0x7fc00000u

static inline uint32_t sim_f32_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}
static inline float sim_bits_f32(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}
static inline bool sim_is_nan(float x) {
  return (sim_f32_bits(x) & 0x7fffffffu) > 0x7f800000u;
}
static inline float sim_quiet(float x) {
  return sim_bits_f32(sim_f32_bits(x) | 0x00400000u);
}

/* The NaN a binary op (a, b) gives: the first NaN operand, quiet; else (an
 * invalid operation such as Inf - Inf, 0 * Inf, 0 / 0) the default NaN. */
static inline float sim_nan2(float a, float b) {
  return sim_is_nan(a)   ? sim_quiet(a)
         : sim_is_nan(b) ? sim_quiet(b)
                         : sim_bits_f32(SIM_DEFAULT_NAN);
}
static inline float sim_fadd(float a, float b) {
  float r = a + b;
  return sim_is_nan(r) ? sim_nan2(a, b) : r;
}
static inline float sim_fsub(float a, float b) {
  float r = a - b;
  return sim_is_nan(r) ? sim_nan2(a, b) : r;
}
static inline float sim_fmul(float a, float b) {
  float r = a * b;
  return sim_is_nan(r) ? sim_nan2(a, b) : r;
}
static inline float sim_fdiv(float a, float b) {
  float r = a / b;
  return sim_is_nan(r) ? sim_nan2(a, b) : r;
}
/* max/min: a NaN operand wins (as in sim_nan2); of two equal values the bits
 * are combined so that max(-0, +0) = +0 and min(-0, +0) = -0 in either order
 * (equal nonzero values have equal bits, so AND/OR changes nothing there). */
static inline float sim_fmax(float a, float b) {
  if (sim_is_nan(a) || sim_is_nan(b)) return sim_nan2(a, b);
  if (a > b) return a;
  if (b > a) return b;
  return sim_bits_f32(sim_f32_bits(a) & sim_f32_bits(b));
}
static inline float sim_fmin(float a, float b) {
  if (sim_is_nan(a) || sim_is_nan(b)) return sim_nan2(a, b);
  if (a < b) return a;
  if (b < a) return b;
  return sim_bits_f32(sim_f32_bits(a) | sim_f32_bits(b));
}

/* ---- rows of a view as host arrays (one dtype switch per row) ---- */

/* out[j] = element (i, j) of v as FP32, j < v->cols (sim_load_f32's rules). */
void sim_row_load_f32(const sim_view *v, uint64_t i, float *out);
/* Element (i, j) of v = in[j] converted to v's dtype (sim_store_f32's rules). */
void sim_row_store_f32(const sim_view *v, uint64_t i, const float *in);
/* The same with sim_load_i32 / sim_store_i32 (integer views). */
void sim_row_load_i32(const sim_view *v, uint64_t i, int32_t *out);
void sim_row_store_i32(const sim_view *v, uint64_t i, const int32_t *in);

/* ---- the matrix unit ---- */

/* The fast kernels on host arrays, i, k, n order with n innermost:
 *   a (M, K) @ w (K, N) -> c (M, N), c holding the start values on entry.
 * Per element (i, n) the operations are exactly the reference's:
 * c = c + a[i][k] * w[k][n] for ascending k, each product and sum rounded
 * to FP32, so the bits agree; an element that ends as NaN is recomputed with
 * the sim_f* helpers to get the ISA's NaN bits. scratch holds N floats. */
void sim_kern_mm_f32(size_t M, size_t K, size_t N, const float *a, const float *w, float *c,
                     float *scratch);
/* The same in INT32 modulo 2^32. */
void sim_kern_mm_i32(size_t M, size_t K, size_t N, const int32_t *a, const int32_t *w, int32_t *c);

/* acc (M, N) (+)= a (M, K) @ W (K, N), W = the loaded tile of mxu; a and acc
 * are resolved views (a->cols == mxu->k, acc->cols == mxu->n, acc fp32 for a
 * float tile and int32 for an integer tile). The reference reads and writes
 * element by element in i, n, k order; the fast one converts blocks of rows
 * and calls sim_kern_mm_*. Both give the same bits; fast returns false only
 * when the host is out of memory (nothing written then). */
void sim_mxu_mm_ref(const sim_mxu *mxu, const sim_view *a, const sim_view *acc, bool accumulate);
bool sim_mxu_mm_fast(const sim_mxu *mxu, const sim_view *a, const sim_view *acc, bool accumulate);

#endif
