/* sim_kernels.c: the hot loops of the MXU and VPU executors (built with -O3):
 * row conversion between views and host arrays, and the matmul kernels.
 *
 * Invariant: every function here computes exactly the bits of the
 * element-by-element reference (sim_load_f32 / sim_store_f32 and the loops in
 * sim_mxu.c); only the order of independent work changes. The loops are written
 * over restrict-qualified contiguous arrays so the compiler vectorizes them;
 * -ffp-contract=off keeps products and sums separate roundings. */
#include "sim_kernels.h"

#include "seedchip/num.h"

static const uint8_t *row_ptr(const sim_view *v, uint64_t i) {
  return v->base + i * v->stride;
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

void sim_row_load_f32(const sim_view *v, uint64_t i, float *out) {
  const uint8_t *p = row_ptr(v, i);
  size_t n = (size_t)v->cols;
  switch (v->dtype) {
  case SC_DTYPE_FP32:
    for (size_t j = 0; j < n; j++) out[j] = sim_bits_f32(rd32(p + 4 * j));
    break;
  case SC_DTYPE_BF16:
    for (size_t j = 0; j < n; j++) out[j] = sc_bf16_to_f32(rd16(p + 2 * j));
    break;
  case SC_DTYPE_FP16:
    for (size_t j = 0; j < n; j++) out[j] = sc_fp16_to_f32(rd16(p + 2 * j));
    break;
  case SC_DTYPE_FP8_E4M3:
    for (size_t j = 0; j < n; j++) out[j] = sc_fp8e4m3_to_f32(p[j]);
    break;
  case SC_DTYPE_FP8_E5M2:
    for (size_t j = 0; j < n; j++) out[j] = sc_fp8e5m2_to_f32(p[j]);
    break;
  case SC_DTYPE_INT8:
    for (size_t j = 0; j < n; j++) out[j] = (float)(int8_t)p[j];
    break;
  default:
    for (size_t j = 0; j < n; j++) out[j] = sim_load_f32(v, i, j);
    break;
  }
}

void sim_row_store_f32(const sim_view *v, uint64_t i, const float *in) {
  uint8_t *p = v->base + i * v->stride;
  size_t n = (size_t)v->cols;
  switch (v->dtype) {
  case SC_DTYPE_FP32:
    for (size_t j = 0; j < n; j++) {
      uint32_t u = sim_f32_bits(in[j]);
      for (int b = 0; b < 4; b++) p[4 * j + (size_t)b] = (uint8_t)(u >> (8 * b));
    }
    break;
  case SC_DTYPE_BF16:
    for (size_t j = 0; j < n; j++) {
      uint16_t u = sc_f32_to_bf16(in[j]);
      p[2 * j] = (uint8_t)u;
      p[2 * j + 1] = (uint8_t)(u >> 8);
    }
    break;
  default:
    for (size_t j = 0; j < n; j++) sim_store_f32(v, i, j, in[j]);
    break;
  }
}

void sim_row_load_i32(const sim_view *v, uint64_t i, int32_t *out) {
  const uint8_t *p = row_ptr(v, i);
  size_t n = (size_t)v->cols;
  switch (v->dtype) {
  case SC_DTYPE_INT8:
    for (size_t j = 0; j < n; j++) out[j] = (int8_t)p[j];
    break;
  case SC_DTYPE_INT32:
    for (size_t j = 0; j < n; j++) out[j] = (int32_t)rd32(p + 4 * j);
    break;
  default:
    for (size_t j = 0; j < n; j++) out[j] = sim_load_i32(v, i, j);
    break;
  }
}

void sim_row_store_i32(const sim_view *v, uint64_t i, const int32_t *in) {
  uint8_t *p = v->base + i * v->stride;
  size_t n = (size_t)v->cols;
  if (v->dtype == SC_DTYPE_INT32) {
    for (size_t j = 0; j < n; j++) {
      uint32_t u = (uint32_t)in[j];
      for (int b = 0; b < 4; b++) p[4 * j + (size_t)b] = (uint8_t)(u >> (8 * b));
    }
    return;
  }
  for (size_t j = 0; j < n; j++) sim_store_i32(v, i, j, in[j]);
}

/* One output element the reference way, for the rare NaN results. */
static float dot_ref(float s, const float *a, const float *w, size_t K, size_t N) {
  for (size_t k = 0; k < K; k++) s = sim_fadd(s, sim_fmul(a[k], w[k * N]));
  return s;
}

// a (M, K) @ w (K, N) -> c (M, N), c = start values on entry
static inline __attribute__((always_inline)) void
mm_f32(size_t M, size_t K, size_t N, const float *a, const float *w, float *c, float *scratch) {
  for (size_t i = 0; i < M; i++) {
    float *restrict ci = c + i * N;
    const float *ai = a + i * K;
    memcpy(scratch, ci, N * sizeof *ci); /* the start values, for the NaN fix-up */
    for (size_t k = 0; k < K; k++) {
      const float ak = ai[k];
      const float *restrict wk = w + k * N;
      for (size_t n = 0; n < N; n++) ci[n] = ci[n] + ak * wk[n];
    }
    /* The host decided which elements are NaN exactly as IEEE 754 says; their
     * bits follow the ISA's NaN rule instead of the host's. */
    for (size_t n = 0; n < N; n++)
      if (sim_is_nan(ci[n])) ci[n] = dot_ref(scratch[n], ai, w + n, K, N);
  }
}

// a (M, K) @ w (K, N) -> c (M, N) in INT32, wrapping modulo 2^32
static inline __attribute__((always_inline)) void
mm_i32(size_t M, size_t K, size_t N, const int32_t *a, const int32_t *w, int32_t *c) {
  for (size_t i = 0; i < M; i++) {
    /* uint32 arithmetic: the same bits as two's-complement wraparound, without
     * signed-overflow undefined behaviour. */
    uint32_t *restrict ci = (uint32_t *)(c + i * N);
    for (size_t k = 0; k < K; k++) {
      const uint32_t ak = (uint32_t)a[i * K + k];
      const int32_t *restrict wk = w + k * N;
      for (size_t n = 0; n < N; n++) ci[n] = ci[n] + ak * (uint32_t)wk[n];
    }
  }
}

/* The matmul loops above are compiled once per x86-64 vector extension and the
 * best one the host has is chosen at each call (AVX-512, AVX2, else the
 * baseline). Every version performs the same IEEE operations in the same order
 * for each element (no contraction: -ffp-contract=off), so all give the same
 * bits; tests/unit/test_sim_mxu.c checks the chosen one against the reference. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SIM_X86_DISPATCH 1
#define VERSIONS(name, params, args)                                                               \
  __attribute__((target("avx512f"))) static void name##_avx512 params {                            \
    name args;                                                                                     \
  }                                                                                                \
  __attribute__((target("avx2"))) static void name##_avx2 params {                                 \
    name args;                                                                                     \
  }                                                                                                \
  static void name##_base params {                                                                 \
    name args;                                                                                     \
  }
VERSIONS(mm_f32,
         (size_t M, size_t K, size_t N, const float *a, const float *w, float *c, float *scratch),
         (M, K, N, a, w, c, scratch))
VERSIONS(mm_i32, (size_t M, size_t K, size_t N, const int32_t *a, const int32_t *w, int32_t *c),
         (M, K, N, a, w, c))
#endif

void sim_kern_mm_f32(size_t M, size_t K, size_t N, const float *a, const float *w, float *c,
                     float *scratch) {
#ifdef SIM_X86_DISPATCH
  if (__builtin_cpu_supports("avx512f"))
    mm_f32_avx512(M, K, N, a, w, c, scratch);
  else if (__builtin_cpu_supports("avx2"))
    mm_f32_avx2(M, K, N, a, w, c, scratch);
  else
    mm_f32_base(M, K, N, a, w, c, scratch);
#else
  mm_f32(M, K, N, a, w, c, scratch);
#endif
}

void sim_kern_mm_i32(size_t M, size_t K, size_t N, const int32_t *a, const int32_t *w, int32_t *c) {
#ifdef SIM_X86_DISPATCH
  if (__builtin_cpu_supports("avx512f"))
    mm_i32_avx512(M, K, N, a, w, c);
  else if (__builtin_cpu_supports("avx2"))
    mm_i32_avx2(M, K, N, a, w, c);
  else
    mm_i32_base(M, K, N, a, w, c);
#else
  mm_i32(M, K, N, a, w, c);
#endif
}
