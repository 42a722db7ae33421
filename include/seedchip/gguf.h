/* gguf.h: a bounded reader of GGUF files (versions 2 and 3, little-endian):
 * the header, every metadata key/value (all thirteen value types, arrays of
 * scalars and of strings), the tensor infos, the alignment
 * (general.alignment, default 32) and the start of the data section. It works
 * on any GGUF file, vocabulary-only ones (no tensors) included; turning one
 * into an sc_model is sc_model_load's job (model.h), into a tokenizer
 * sc_tok_from_gguf's (tokenizer.h).
 *
 * The reader borrows the file's bytes (a mapping or a buffer the caller keeps
 * alive while the reader lives) and never trusts them: every length, count and
 * offset is checked against the size before it is used, so a truncated or
 * corrupt file gets an error naming the place ("name: metadata key 12
 * 'llama.block_count': value runs past the end of the file (1000 bytes)"),
 * never a crash. Values stay in the file; the reader copies only keys and
 * tensor names (NUL-terminated) and its tables. */
#ifndef SEEDCHIP_GGUF_H
#define SEEDCHIP_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Metadata value types, numbered as in the file. */
typedef enum sc_gguf_type {
  SC_GGUF_UINT8 = 0,
  SC_GGUF_INT8 = 1,
  SC_GGUF_UINT16 = 2,
  SC_GGUF_INT16 = 3,
  SC_GGUF_UINT32 = 4,
  SC_GGUF_INT32 = 5,
  SC_GGUF_FLOAT32 = 6,
  SC_GGUF_BOOL = 7,
  SC_GGUF_STRING = 8, /* uint64 length, then that many bytes (no NUL) */
  SC_GGUF_ARRAY = 9,  /* uint32 element type, uint64 count, elements (no arrays of arrays) */
  SC_GGUF_UINT64 = 10,
  SC_GGUF_INT64 = 11,
  SC_GGUF_FLOAT64 = 12,
  SC_GGUF_TYPE_COUNT
} sc_gguf_type;

/* "uint8" ... "float64"; "unknown" out of range. */
const char *sc_gguf_type_name(sc_gguf_type t);

/* ggml tensor type numbers the loaders know by name. */
enum {
  SC_GGML_F32 = 0,
  SC_GGML_F16 = 1,
  SC_GGML_Q4_0 = 2,
  SC_GGML_Q8_0 = 8,
  SC_GGML_BF16 = 30,
};

/* The name of ggml tensor type t ("Q4_K"), or NULL for a number ggml does not
 * (or no longer) define. */
const char *sc_ggml_type_name(uint32_t t);

typedef struct sc_gguf_kv {
  const char *key;        /* NUL-terminated copy */
  sc_gguf_type type;      /* SC_GGUF_ARRAY for arrays */
  sc_gguf_type elem_type; /* arrays: the element type; otherwise == type */
  uint64_t n;             /* arrays: the element count; otherwise 1 */
  const uint8_t *data;    /* the value in the file (arrays: the first element) */
  uint64_t n_bytes;       /* bytes of the value (arrays: of all elements) */
} sc_gguf_kv;

typedef struct sc_gguf_tensor {
  const char *name; /* NUL-terminated copy */
  uint32_t type;    /* ggml type number (sc_ggml_type_name knows it) */
  uint32_t rank;    /* 1 to 4 */
  uint64_t ne[4];   /* innermost first: ne[0] is the row length; 1 past rank */
  uint64_t n_elems;
  uint64_t offset;     /* from the start of the data section, a multiple of the alignment */
  uint64_t n_bytes;    /* what type and ne need */
  const uint8_t *data; /* n_bytes inside the file */
} sc_gguf_tensor;

typedef struct sc_gguf sc_gguf;

/* Parses the GGUF file in size bytes at data (borrowed: keep them alive and
 * unchanged while the reader lives). name prefixes every message ("path: ...").
 * Returns PARSE (bad magic, truncation, malformed values), UNSUPPORTED
 * (version, big-endian files, arrays of arrays), INVALID (duplicate keys or
 * tensor names, bad alignment, misaligned or out-of-file tensor data, unknown
 * ggml types, rank above 4), OVERFLOW (counts or sizes no file can hold) or
 * NO_MEMORY, with the message in err. */
SC_MUST_USE sc_status sc_gguf_open(const uint8_t *data, size_t size, const char *name,
                                   sc_gguf **out, char *err, size_t err_size);
void sc_gguf_free(sc_gguf *g);

uint32_t sc_gguf_version(const sc_gguf *g);
uint32_t sc_gguf_alignment(const sc_gguf *g);
/* Where the data section starts (aligned end of the tensor infos). */
uint64_t sc_gguf_data_offset(const sc_gguf *g);

size_t sc_gguf_kv_count(const sc_gguf *g);
const sc_gguf_kv *sc_gguf_kv_at(const sc_gguf *g, size_t i); /* NULL out of range */
/* The pair with this key, or NULL; *index (may be NULL) gets its position. */
const sc_gguf_kv *sc_gguf_find(const sc_gguf *g, const char *key, size_t *index);

size_t sc_gguf_tensor_count(const sc_gguf *g);
const sc_gguf_tensor *sc_gguf_tensor_at(const sc_gguf *g, size_t i); /* NULL out of range */
const sc_gguf_tensor *sc_gguf_find_tensor(const sc_gguf *g, const char *name);

/* Typed getters. NOT_FOUND when the key is absent ("name: metadata key
 * 'x' is missing"), INVALID when it has another type ("name: metadata key 12
 * 'llama.block_count': expected uint32, found string") or its value does not
 * fit. Integer getters accept any integer type whose value fits; the float
 * getter accepts float32 and float64. */
SC_MUST_USE sc_status sc_gguf_get_u32(const sc_gguf *g, const char *key, uint32_t *out, char *err,
                                      size_t err_size);
SC_MUST_USE sc_status sc_gguf_get_f32(const sc_gguf *g, const char *key, float *out, char *err,
                                      size_t err_size);
SC_MUST_USE sc_status sc_gguf_get_bool(const sc_gguf *g, const char *key, bool *out, char *err,
                                       size_t err_size);
/* *s points into the file (len bytes, not NUL-terminated). */
SC_MUST_USE sc_status sc_gguf_get_str(const sc_gguf *g, const char *key, const char **s,
                                      uint64_t *len, char *err, size_t err_size);
/* An array whose elements have type elem ("expected array of string, found
 * array of int32"). */
SC_MUST_USE sc_status sc_gguf_get_array(const sc_gguf *g, const char *key, sc_gguf_type elem,
                                        const sc_gguf_kv **kv, char *err, size_t err_size);

/* Element i < kv->n of an array of strings: the bytes in the file. The walk
 * from the start makes this O(i), so use sc_gguf_strings for whole arrays. */
void sc_gguf_string_at(const sc_gguf_kv *kv, uint64_t i, const char **s, uint64_t *len);
/* All kv->n strings of an array of strings into ptrs[] and lens[]. */
void sc_gguf_strings(const sc_gguf_kv *kv, const char **ptrs, uint64_t *lens);
/* Element i < kv->n of a numeric array (or the scalar, i = 0) as a double
 * (int64/uint64 beyond 2^53 round). */
double sc_gguf_number_at(const sc_gguf_kv *kv, uint64_t i);

#ifdef __cplusplus
}
#endif
#endif
