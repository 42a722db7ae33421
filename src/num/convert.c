/* convert.c: array conversion between any two dtypes, and quantize / dequantize
 * of a 2-D tensor with per-tensor, per-channel (per-row) or per-group scales.
 *
 * Every element goes through the scalar rules of fp.c, so the array paths and
 * the scalar functions cannot disagree. INT4 is packed two per byte, element 2i
 * in the low nibble of byte i (docs/NUMERICS.md). */
#include "num_int.h"
#include "seedchip/util.h"

static bool valid_dtype(sc_dtype dt) {
  return (unsigned)dt < SC_DTYPE_COUNT;
}

static bool is_int(sc_dtype dt) {
  return dt == SC_DTYPE_INT8 || dt == SC_DTYPE_INT4 || dt == SC_DTYPE_INT32;
}

static const num_fmt *narrow_fmt(sc_dtype dt) {
  switch (dt) {
  case SC_DTYPE_BF16:
    return &num_fmt_bf16;
  case SC_DTYPE_FP16:
    return &num_fmt_fp16;
  case SC_DTYPE_FP8_E4M3:
    return &num_fmt_e4m3;
  case SC_DTYPE_FP8_E5M2:
    return &num_fmt_e5m2;
  default:
    return NULL;
  }
}

/* Element i of an integer buffer. */
static int32_t load_int(const void *p, sc_dtype dt, size_t i) {
  switch (dt) {
  case SC_DTYPE_INT8:
    return ((const int8_t *)p)[i];
  case SC_DTYPE_INT4:
    return sc_int4_unpack(((const uint8_t *)p)[i / 2], (unsigned)(i & 1));
  default: {
    int32_t v;
    memcpy(&v, (const uint8_t *)p + 4 * i, 4);
    return v;
  }
  }
}

/* Stores v (already in range) as element i; the other INT4 nibble is kept. */
static void store_int(void *p, sc_dtype dt, size_t i, int32_t v) {
  switch (dt) {
  case SC_DTYPE_INT8:
    ((int8_t *)p)[i] = (int8_t)v;
    break;
  case SC_DTYPE_INT4: {
    uint8_t *b = (uint8_t *)p + i / 2;
    unsigned nib = (unsigned)v & 0xfu;
    *b = (uint8_t)((i & 1) ? (*b & 0x0fu) | nib << 4 : (*b & 0xf0u) | nib);
    break;
  }
  default:
    memcpy((uint8_t *)p + 4 * i, &v, 4);
    break;
  }
}

static void int_range(sc_dtype dt, int32_t *lo, int32_t *hi) {
  *lo = dt == SC_DTYPE_INT8 ? -128 : dt == SC_DTYPE_INT4 ? -8 : INT32_MIN;
  *hi = dt == SC_DTYPE_INT8 ? 127 : dt == SC_DTYPE_INT4 ? 7 : INT32_MAX;
}

/* Element i of any buffer as FP32: exact, except INT32 beyond 2^24, which
 * rounds to nearest even (the C conversion under the default rounding mode). */
static float load_f32(const void *p, sc_dtype dt, size_t i) {
  const uint8_t *b = p;
  switch (dt) {
  case SC_DTYPE_FP32: {
    float v;
    memcpy(&v, b + 4 * i, 4);
    return v;
  }
  case SC_DTYPE_BF16:
  case SC_DTYPE_FP16: {
    uint16_t v;
    memcpy(&v, b + 2 * i, 2);
    return num_decode(narrow_fmt(dt), v);
  }
  case SC_DTYPE_FP8_E4M3:
  case SC_DTYPE_FP8_E5M2:
    return num_decode(narrow_fmt(dt), b[i]);
  default:
    return (float)load_int(p, dt, i);
  }
}

/* Stores FP32 v as element i of dtype dt: RNE for floats, RNE + saturation
 * (NaN -> 0) for integers. */
static void store_f32(void *p, sc_dtype dt, size_t i, float v, sc_fp8_mode mode) {
  uint8_t *b = p;
  const bool sat = mode == SC_FP8_SATURATE;
  switch (dt) {
  case SC_DTYPE_FP32:
    memcpy(b + 4 * i, &v, 4);
    break;
  case SC_DTYPE_BF16:
  case SC_DTYPE_FP16: {
    uint16_t h = (uint16_t)num_encode(narrow_fmt(dt), v, false); /* IEEE: no saturation */
    memcpy(b + 2 * i, &h, 2);
    break;
  }
  case SC_DTYPE_FP8_E4M3:
  case SC_DTYPE_FP8_E5M2:
    b[i] = (uint8_t)num_encode(narrow_fmt(dt), v, sat);
    break;
  default: {
    int32_t lo, hi;
    int_range(dt, &lo, &hi);
    store_int(p, dt, i, num_f32_to_int(v, lo, hi));
    break;
  }
  }
}

/* With an odd INT4 count, the unused high nibble of the last byte is 0. */
static void int4_clear_tail(void *p, sc_dtype dt, size_t n) {
  if (dt == SC_DTYPE_INT4 && (n & 1)) ((uint8_t *)p)[n / 2] &= 0x0fu;
}

sc_status sc_num_convert(const void *src, sc_dtype src_dt, void *dst, sc_dtype dst_dt,
                         size_t n_elems, sc_fp8_mode mode) {
  if (!valid_dtype(src_dt) || !valid_dtype(dst_dt) || (unsigned)mode >= SC_FP8_MODE_COUNT)
    return SC_STATUS_INVALID_ARGUMENT;
  if (n_elems == 0) return SC_STATUS_OK;
  if (!src || !dst) return SC_STATUS_INVALID_ARGUMENT;
  for (size_t i = 0; i < n_elems; i++) {
    if (is_int(src_dt) && is_int(dst_dt)) {
      int32_t lo, hi, v = load_int(src, src_dt, i);
      int_range(dst_dt, &lo, &hi);
      store_int(dst, dst_dt, i, v < lo ? lo : v > hi ? hi : v);
    } else {
      store_f32(dst, dst_dt, i, load_f32(src, src_dt, i), mode);
    }
  }
  int4_clear_tail(dst, dst_dt, n_elems);
  return SC_STATUS_OK;
}

/* Validates a (rows, cols) tensor's scales; *n_elems gets rows * cols. */
static sc_status check_quant_args(const void *a, const void *b, size_t rows, size_t cols,
                                  const sc_num_scales *s, sc_dtype dt, size_t *n_elems) {
  if (!valid_dtype(dt) || !s || (unsigned)s->layout >= SC_SCALE_LAYOUT_COUNT)
    return SC_STATUS_INVALID_ARGUMENT;
  if (!sc_mul_size(rows, cols, n_elems)) return SC_STATUS_INVALID_ARGUMENT;
  size_t n_scales = 1;
  if (s->layout == SC_SCALE_PER_CHANNEL) n_scales = rows;
  if (s->layout == SC_SCALE_PER_GROUP) {
    if (s->group_size == 0 || cols % s->group_size != 0) return SC_STATUS_INVALID_ARGUMENT;
    n_scales = rows * (cols / s->group_size); /* <= rows * cols: no overflow */
  }
  if (*n_elems == 0) return SC_STATUS_OK;
  if (!a || !b || !s->values) return SC_STATUS_INVALID_ARGUMENT;
  for (size_t i = 0; i < n_scales; i++) {
    /* A zero, negative or non-finite scale is a caller bug, not data to round. */
    uint32_t u = num_f32_bits(s->values[i]);
    if (u == 0 || u >= 0x7f800000u) return SC_STATUS_INVALID_ARGUMENT; /* <= 0, Inf, NaN */
  }
  return SC_STATUS_OK;
}

/* The scale of element (r, c). */
static float scale_at(const sc_num_scales *s, size_t r, size_t c, size_t cols) {
  switch (s->layout) {
  case SC_SCALE_PER_CHANNEL:
    return s->values[r];
  case SC_SCALE_PER_GROUP:
    return s->values[r * (cols / s->group_size) + c / s->group_size];
  default:
    return s->values[0];
  }
}

sc_status sc_num_quantize(const float *x, size_t rows, size_t cols, const sc_num_scales *scales,
                          sc_dtype dt, sc_fp8_mode mode, void *q) {
  size_t n;
  sc_status st = check_quant_args(x, q, rows, cols, scales, dt, &n);
  if (st != SC_STATUS_OK) return st;
  if ((unsigned)mode >= SC_FP8_MODE_COUNT) return SC_STATUS_INVALID_ARGUMENT;
  /* x (rows, cols) / scale -> q (rows, cols) */
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++)
      store_f32(q, dt, r * cols + c, x[r * cols + c] / scale_at(scales, r, c, cols), mode);
  int4_clear_tail(q, dt, n);
  return SC_STATUS_OK;
}

sc_status sc_num_dequantize(const void *q, sc_dtype dt, size_t rows, size_t cols,
                            const sc_num_scales *scales, float *x) {
  size_t n;
  sc_status st = check_quant_args(q, x, rows, cols, scales, dt, &n);
  if (st != SC_STATUS_OK) return st;
  /* q (rows, cols) * scale -> x (rows, cols) */
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++)
      x[r * cols + c] = load_f32(q, dt, r * cols + c) * scale_at(scales, r, c, cols);
  return SC_STATUS_OK;
}
