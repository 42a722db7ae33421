/* num.h: number formats and special functions, bit-exact and host-independent.
 *
 * Everything here is a pure function of its arguments (no global state, no
 * dependence on the host's rounding mode, math library or FMA contraction), so
 * the functional model computes the same bits on every host and compiler.
 * docs/NUMERICS.md is the specification: bit layouts, rounding, overflow and NaN
 * rules of every conversion, quantization formulas and scale layouts, and the
 * algorithm and error bound of every special function.
 *
 * Summary of the rules (details in docs/NUMERICS.md):
 *  - FP32 -> narrower float: round to nearest, ties to even, on the value as if
 *    the exponent were unbounded; a result above the format's max finite is an
 *    overflow. BF16 and FP16 overflow to Inf (IEEE 754). FP8 follows sc_fp8_mode.
 *    Subnormals are produced and consumed exactly; signed zero is kept.
 *  - NaN -> BF16/FP16/E5M2: sign kept, quiet bit set, the top payload bits kept.
 *    NaN -> E4M3: S.1111.111 with the sign.
 *  - Narrow -> FP32 is exact (NaN payload placed at the top of the FP32 mantissa).
 *  - FP32 -> INT8/INT4/INT32: round half to even, saturate, NaN -> 0.
 *  - INT4 packs two elements per byte: element 2i in the low nibble of byte i,
 *    element 2i+1 in the high nibble, two's complement, range [-8, 7]. */
#ifndef SEEDCHIP_NUM_H
#define SEEDCHIP_NUM_H

#include <stddef.h>
#include <stdint.h>

#include "seedchip/dtype.h"
#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Overflow behaviour of conversions to FP8 (BF16 and FP16 always follow IEEE
 * 754: finite overflow and Inf give Inf).
 *              finite overflow         +-Inf input          NaN input
 *   SATURATE   +-max finite            +-max finite         NaN
 *   NONSAT     E4M3: NaN, E5M2: +-Inf  E4M3: NaN, E5M2: Inf NaN */
typedef enum sc_fp8_mode {
  SC_FP8_SATURATE, /* clamp to +-max finite (NVIDIA "satfinite") */
  SC_FP8_NONSAT,   /* overflow to Inf (E5M2) or NaN (E4M3, which has no Inf) */
  SC_FP8_MODE_COUNT
} sc_fp8_mode;

/* ---- scalar conversions (pure) ---- */

uint16_t sc_f32_to_bf16(float x);
float sc_bf16_to_f32(uint16_t bits);
uint16_t sc_f32_to_fp16(float x);
float sc_fp16_to_f32(uint16_t bits);
uint8_t sc_f32_to_fp8e4m3(float x, sc_fp8_mode mode);
float sc_fp8e4m3_to_f32(uint8_t bits);
uint8_t sc_f32_to_fp8e5m2(float x, sc_fp8_mode mode);
float sc_fp8e5m2_to_f32(uint8_t bits);

/* Round half to even, saturate to the type's range, NaN -> 0. No scale: the
 * quantize functions below divide by the scale first. */
int8_t sc_f32_to_int8(float x);
int8_t sc_f32_to_int4(float x); /* in [-8, 7] */
int32_t sc_f32_to_int32(float x);

/* INT4 packing: lo goes to bits 3..0, hi to bits 7..4 (each masked to 4 bits). */
uint8_t sc_int4_pack(int8_t lo, int8_t hi);
/* Element `which` (0 = low nibble, 1 = high nibble) of a packed byte, sign-extended. */
int8_t sc_int4_unpack(uint8_t byte, unsigned which);

/* ---- array conversion ---- */

/* Converts n_elems elements from src (dtype src_dt) to dst (dtype dst_dt). Any
 * pair of dtypes from dtype.def is allowed:
 *   float -> float   decode to FP32 (exact), then encode (one rounding);
 *   int   -> float   to FP32 first (INT32 rounds to nearest even there), then encode;
 *   float -> int     round half to even, saturate, NaN -> 0 (scale 1);
 *   int   -> int     saturate.
 * mode applies to FP8 destinations only. INT4 buffers are packed (see above);
 * with an odd count the unused high nibble of the last dst byte is written as 0.
 * src and dst must not overlap unless they are the same pointer with dtypes of
 * equal width. Returns OK, or INVALID_ARGUMENT for an unknown dtype or mode, or
 * a NULL pointer with n_elems > 0. */
SC_MUST_USE sc_status sc_num_convert(const void *src, sc_dtype src_dt, void *dst, sc_dtype dst_dt,
                                     size_t n_elems, sc_fp8_mode mode);

/* ---- quantization of a 2-D tensor (rows, cols), row-major ---- */

/* Where the scales of a (rows, cols) tensor apply. A row is one output channel
 * (the layout of a weight W (out, in)). */
typedef enum sc_scale_layout {
  SC_SCALE_PER_TENSOR,  /* 1 scale */
  SC_SCALE_PER_CHANNEL, /* rows scales: scale[r] for row r */
  SC_SCALE_PER_GROUP,   /* rows * (cols / G) scales: scale[r * (cols / G) + c / G] */
  SC_SCALE_LAYOUT_COUNT
} sc_scale_layout;

typedef struct sc_num_scales {
  sc_scale_layout layout;
  size_t group_size;   /* G, PER_GROUP only (ignored otherwise): >= 1 and divides cols */
  const float *values; /* the count above; each finite and > 0 */
} sc_num_scales;

/* q (rows, cols) of dtype dt = convert(x[r][c] / scale(r, c)), the division an
 * FP32 division (correctly rounded), the conversion as in sc_num_convert with
 * mode (so INT: saturate(round_half_even(x / s)), NaN -> 0). INT4 q is packed
 * over the flat row-major element index (rows are not padded to whole bytes).
 * Returns OK, or INVALID_ARGUMENT for an unknown dtype, mode or layout, a bad
 * group size, a scale that is not finite and positive, NULL pointers, or a
 * size that overflows. */
SC_MUST_USE sc_status sc_num_quantize(const float *x, size_t rows, size_t cols,
                                      const sc_num_scales *scales, sc_dtype dt, sc_fp8_mode mode,
                                      void *q);

/* x (rows, cols) = to_f32(q[r][c]) * scale(r, c), one FP32 multiplication
 * (to_f32 as in sc_num_convert). Same statuses as sc_num_quantize. */
SC_MUST_USE sc_status sc_num_dequantize(const void *q, sc_dtype dt, size_t rows, size_t cols,
                                        const sc_num_scales *scales, float *x);

/* ---- special functions of the VPU (float32 in and out) ----
 * Fixed algorithms using only FP32 +, -, *, / and integer bit operations, so
 * the bits are the same on every IEEE-754 host. An input NaN is returned quiet
 * (quiet bit set, sign and payload kept); an invalid operation (log or rsqrt of
 * a negative number) returns the default NaN 0x7fc00000. Error bounds and the
 * sweep that measures them: docs/NUMERICS.md. */
float sc_num_exp(float x);       /* e^x; +Inf above ~88.72, +0 below ~-103.97 */
float sc_num_log(float x);       /* ln x; log(+-0) = -Inf, log(x < 0) = NaN */
float sc_num_rcp(float x);       /* 1 / x, correctly rounded */
float sc_num_rsqrt(float x);     /* 1 / sqrt(x); rsqrt(+-0) = +-Inf, x < 0 -> NaN */
float sc_num_sigmoid(float x);   /* 1 / (1 + e^-x) */
float sc_num_tanh(float x);      /* odd; tanh(+-Inf) = +-1 */
float sc_num_silu(float x);      /* x * sigmoid(x) */
float sc_num_gelu_tanh(float x); /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */

#ifdef __cplusplus
}
#endif
#endif
