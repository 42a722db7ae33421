/* gguf.c: the GGUF reader (seedchip/gguf.h) and the GGUF model loader
 * (llm_load_gguf).
 *
 * File layout (all little-endian; "string" = uint64 length + bytes):
 *   "GGUF" | uint32 version | uint64 n_tensors | uint64 n_kv
 *   n_kv x { string key | uint32 type | value }
 *   n_tensors x { string name | uint32 rank | uint64 ne[rank] | uint32 ggml type | uint64 offset }
 *   padding to the alignment | data section (tensor offsets are relative to it)
 *
 * The reader walks the bytes with a bounded cursor: every read first checks
 * that the bytes are there, every count is checked against the bytes left
 * before anything is allocated for it, and every size is computed with
 * overflow checks. Values are not copied: a key/value pair records where its
 * value lies, and the getters decode it on demand. Keys and tensor names are
 * copied (NUL-terminated) into one buffer the reader owns; sorted index tables
 * find them by binary search and expose duplicates.
 *
 * The loader maps the file (the model keeps the mapping), reads the Llama
 * configuration from `<arch>.*` metadata and adds every tensor with its shape
 * reversed (GGUF's ne[] is innermost first, sc_tensor's shape outermost
 * first); the data stays in the mapping. A mixture of experts
 * (`<arch>.expert_count` above 0: llama.cpp writes Mixtral as `llama` with
 * its expert counts) gives its configuration to llm_gguf_config but is
 * refused by the loader, whose sc_model has no place for experts. So is
 * `deepseek2` (DeepSeek-V2/V3: multi-head latent attention, whose weights
 * the loader does not take yet, and DeepSeek's experts): read_mla. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_int.h"
#include "llm_int.h"
#include "seedchip/gguf.h"
#include "seedchip/util.h"

/* Experts of a mixture (config.json's limit too, safetensors.c). */
#define MAX_EXPERTS 256u

/* ---- tables ---- */

static const char *const type_names[SC_GGUF_TYPE_COUNT] = {
    "uint8", "int8",   "uint16", "int16",  "uint32", "int32",   "float32",
    "bool",  "string", "array",  "uint64", "int64",  "float64",
};

/* Bytes of one scalar value; 0 for string and array (variable). */
static const uint8_t type_sizes[SC_GGUF_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *sc_gguf_type_name(sc_gguf_type t) {
  return (unsigned)t < SC_GGUF_TYPE_COUNT ? type_names[t] : "unknown";
}

/* ggml's tensor types: elements per block and bytes per block. Numbers ggml
 * removed (4, 5, 31-33, 36-38) have no row. */
static const struct {
  const char *name;
  uint32_t block, size;
} ggml_types[] = {
    [0] = {"F32", 1, 4},         [1] = {"F16", 1, 2},         [2] = {"Q4_0", 32, 18},
    [3] = {"Q4_1", 32, 20},      [6] = {"Q5_0", 32, 22},      [7] = {"Q5_1", 32, 24},
    [8] = {"Q8_0", 32, 34},      [9] = {"Q8_1", 32, 36},      [10] = {"Q2_K", 256, 84},
    [11] = {"Q3_K", 256, 110},   [12] = {"Q4_K", 256, 144},   [13] = {"Q5_K", 256, 176},
    [14] = {"Q6_K", 256, 210},   [15] = {"Q8_K", 256, 292},   [16] = {"IQ2_XXS", 256, 66},
    [17] = {"IQ2_XS", 256, 74},  [18] = {"IQ3_XXS", 256, 98}, [19] = {"IQ1_S", 256, 50},
    [20] = {"IQ4_NL", 32, 18},   [21] = {"IQ3_S", 256, 110},  [22] = {"IQ2_S", 256, 82},
    [23] = {"IQ4_XS", 256, 136}, [24] = {"I8", 1, 1},         [25] = {"I16", 1, 2},
    [26] = {"I32", 1, 4},        [27] = {"I64", 1, 8},        [28] = {"F64", 1, 8},
    [29] = {"IQ1_M", 256, 56},   [30] = {"BF16", 1, 2},       [34] = {"TQ1_0", 256, 54},
    [35] = {"TQ2_0", 256, 66},   [39] = {"MXFP4", 32, 17},
};

const char *sc_ggml_type_name(uint32_t t) {
  return t < SC_ARRAY_LEN(ggml_types) ? ggml_types[t].name : NULL;
}

/* ---- the reader object ---- */

struct sc_gguf {
  const uint8_t *base;
  size_t size;
  char *name; /* message prefix */
  uint32_t version, alignment;
  uint64_t data_offset;
  sc_gguf_kv *kvs;
  size_t n_kv;
  sc_gguf_tensor *tensors;
  size_t n_tensors;
  char *strings;          /* keys and names, NUL-terminated, back to back */
  uint32_t *kv_order;     /* kv indices sorted by key */
  uint32_t *tensor_order; /* tensor indices sorted by name */
};

void sc_gguf_free(sc_gguf *g) {
  if (!g) return;
  free(g->name);
  free(g->kvs);
  free(g->tensors);
  free(g->strings);
  free(g->kv_order);
  free(g->tensor_order);
  free(g);
}

uint32_t sc_gguf_version(const sc_gguf *g) {
  return g->version;
}
uint32_t sc_gguf_alignment(const sc_gguf *g) {
  return g->alignment;
}
uint64_t sc_gguf_data_offset(const sc_gguf *g) {
  return g->data_offset;
}
size_t sc_gguf_kv_count(const sc_gguf *g) {
  return g->n_kv;
}
size_t sc_gguf_tensor_count(const sc_gguf *g) {
  return g->n_tensors;
}

const sc_gguf_kv *sc_gguf_kv_at(const sc_gguf *g, size_t i) {
  return i < g->n_kv ? &g->kvs[i] : NULL;
}

const sc_gguf_tensor *sc_gguf_tensor_at(const sc_gguf *g, size_t i) {
  return i < g->n_tensors ? &g->tensors[i] : NULL;
}

/* ---- little-endian decoding (never cast file bytes to wider types) ---- */

static uint16_t rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) {
  return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static float rd_f32(const uint8_t *p) {
  uint32_t u = rd32(p);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static double rd_f64(const uint8_t *p) {
  uint64_t u = rd64(p);
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static bool is_integer(sc_gguf_type t) {
  return t <= SC_GGUF_INT32 || t == SC_GGUF_UINT64 || t == SC_GGUF_INT64;
}

/* An integer element as a sign flag and magnitude-free pair: *neg when below
 * zero (then *v is its two's-complement int64 bits), else *v is the value. */
static void int_at(sc_gguf_type t, const uint8_t *p, bool *neg, uint64_t *v) {
  int64_t s = 0;
  switch (t) {
  case SC_GGUF_UINT8:
    *v = p[0];
    *neg = false;
    return;
  case SC_GGUF_UINT16:
    *v = rd16(p);
    *neg = false;
    return;
  case SC_GGUF_UINT32:
    *v = rd32(p);
    *neg = false;
    return;
  case SC_GGUF_UINT64:
    *v = rd64(p);
    *neg = false;
    return;
  case SC_GGUF_INT8:
    s = (int8_t)p[0];
    break;
  case SC_GGUF_INT16:
    s = (int16_t)rd16(p);
    break;
  case SC_GGUF_INT32:
    s = (int32_t)rd32(p);
    break;
  case SC_GGUF_INT64:
    s = (int64_t)rd64(p);
    break;
  default:
    break;
  }
  *neg = s < 0;
  *v = (uint64_t)s;
}

double sc_gguf_number_at(const sc_gguf_kv *kv, uint64_t i) {
  sc_gguf_type t = kv->elem_type;
  if (t >= SC_GGUF_TYPE_COUNT || type_sizes[t] == 0 || i >= kv->n) return 0.0;
  const uint8_t *p = kv->data + i * type_sizes[t];
  if (t == SC_GGUF_FLOAT32) return (double)rd_f32(p);
  if (t == SC_GGUF_FLOAT64) return rd_f64(p);
  if (t == SC_GGUF_BOOL) return p[0] ? 1.0 : 0.0;
  bool neg;
  uint64_t v;
  int_at(t, p, &neg, &v);
  return neg ? (double)(int64_t)v : (double)v;
}

void sc_gguf_string_at(const sc_gguf_kv *kv, uint64_t i, const char **s, uint64_t *len) {
  const uint8_t *p = kv->data;
  for (uint64_t k = 0; k < i; k++) p += 8 + rd64(p); /* validated by sc_gguf_open */
  *len = rd64(p);
  *s = (const char *)p + 8;
}

void sc_gguf_strings(const sc_gguf_kv *kv, const char **ptrs, uint64_t *lens) {
  const uint8_t *p = kv->data;
  for (uint64_t k = 0; k < kv->n; k++) {
    lens[k] = rd64(p);
    ptrs[k] = (const char *)p + 8;
    p += 8 + lens[k];
  }
}

/* ---- parsing ---- */

/* A bounded cursor over the file, with the place being read for messages. */
typedef struct cursor {
  sc_gguf *g;
  size_t pos;
  char where[160]; /* "metadata key 12 'llama.block_count'" */
  char *err;
  size_t err_size;
} cursor;

/* The smallest encodings, for rejecting counts no file of this size can hold:
 * a pair is a key (8-byte length, at least 1 byte), a type and a 1-byte value;
 * a tensor info a name (8 + 1), a rank, one dimension, a type and an offset. */
#define MIN_KV_BYTES 14u
#define MIN_TENSOR_BYTES 33u

/* Longest key or tensor name accepted (GGUF limits keys to 65535 bytes). */
#define MAX_NAME_BYTES 65535u

static sc_status truncated(cursor *c, const char *what, uint64_t need) {
  return sc_errf(c->err, c->err_size, SC_STATUS_PARSE,
                 "%s: %s: %s at offset %zu needs %" PRIu64
                 " bytes and runs past the end of the file (%zu bytes)",
                 c->g->name, c->where, what, c->pos, need, c->g->size);
}

/* The next n bytes, or NULL (then *st is the truncation error). */
static const uint8_t *take(cursor *c, uint64_t n, const char *what, sc_status *st) {
  if (n > c->g->size - c->pos) {
    *st = truncated(c, what, n);
    return NULL;
  }
  const uint8_t *p = c->g->base + c->pos;
  c->pos += (size_t)n;
  return p;
}

static sc_status take_u32(cursor *c, const char *what, uint32_t *v) {
  sc_status st = SC_STATUS_OK;
  const uint8_t *p = take(c, 4, what, &st);
  if (p) *v = rd32(p);
  return st;
}

static sc_status take_u64(cursor *c, const char *what, uint64_t *v) {
  sc_status st = SC_STATUS_OK;
  const uint8_t *p = take(c, 8, what, &st);
  if (p) *v = rd64(p);
  return st;
}

/* A key or tensor name: copied into sb (with its NUL) at *off. */
static sc_status take_name(cursor *c, sc_strbuf *sb, size_t *off) {
  uint64_t len = 0;
  sc_status st = take_u64(c, "name length", &len);
  if (st) return st;
  if (len == 0 || len > MAX_NAME_BYTES)
    return sc_errf(c->err, c->err_size, SC_STATUS_PARSE,
                   "%s: %s: name length %" PRIu64 " at offset %zu (must be 1 to %u)", c->g->name,
                   c->where, len, c->pos - 8, MAX_NAME_BYTES);
  const uint8_t *p = take(c, len, "name", &st);
  if (!p) return st;
  if (memchr(p, '\0', (size_t)len))
    return sc_errf(c->err, c->err_size, SC_STATUS_PARSE,
                   "%s: %s: name at offset %zu contains a NUL byte", c->g->name, c->where,
                   c->pos - (size_t)len);
  *off = sb->len;
  sc_strbuf_append(sb, (const char *)p, (size_t)len);
  sc_strbuf_append(sb, "", 1); /* keeps the NUL inside len, so names sit back to back */
  return SC_STATUS_OK;
}

/* "metadata key 12 'llama.block_count'" into c->where; the name may be
 * shortened for the message. */
static void set_where(cursor *c, const char *kind, size_t i, const char *name) {
  if (name)
    snprintf(c->where, sizeof c->where, "%s %zu '%.100s'", kind, i, name);
  else
    snprintf(c->where, sizeof c->where, "%s %zu", kind, i);
}

/* The value of a pair whose type has been read. */
static sc_status take_value(cursor *c, sc_gguf_kv *kv) {
  sc_status st = SC_STATUS_OK;
  if (kv->type >= SC_GGUF_TYPE_COUNT)
    return sc_errf(c->err, c->err_size, SC_STATUS_PARSE, "%s: %s: unknown value type %u",
                   c->g->name, c->where, (unsigned)kv->type);
  kv->elem_type = kv->type;
  kv->n = 1;
  if (kv->type == SC_GGUF_ARRAY) {
    uint32_t et;
    if ((st = take_u32(c, "array element type", &et))) return st;
    if (et == SC_GGUF_ARRAY)
      return sc_errf(c->err, c->err_size, SC_STATUS_UNSUPPORTED,
                     "%s: %s: arrays of arrays are not supported", c->g->name, c->where);
    if (et >= SC_GGUF_TYPE_COUNT)
      return sc_errf(c->err, c->err_size, SC_STATUS_PARSE,
                     "%s: %s: unknown array element type %" PRIu32, c->g->name, c->where, et);
    kv->elem_type = (sc_gguf_type)et;
    if ((st = take_u64(c, "array length", &kv->n))) return st;
  }
  size_t start = c->pos;
  kv->data = c->g->base + start;
  if (kv->elem_type != SC_GGUF_STRING) {
    uint64_t bytes;
    if (kv->n > UINT64_MAX / type_sizes[kv->elem_type]) return truncated(c, "value", UINT64_MAX);
    bytes = kv->n * type_sizes[kv->elem_type];
    if (!take(c, bytes, kv->type == SC_GGUF_ARRAY ? "array" : "value", &st)) return st;
  } else {
    /* Each string needs at least its 8-byte length: reject absurd counts
     * before walking them. */
    if (kv->n > (c->g->size - c->pos) / 8)
      return sc_errf(c->err, c->err_size, SC_STATUS_PARSE,
                     "%s: %s: %" PRIu64 " strings cannot fit in the %zu bytes left in the file",
                     c->g->name, c->where, kv->n, c->g->size - c->pos);
    for (uint64_t k = 0; k < kv->n; k++) {
      uint64_t len = 0;
      if ((st = take_u64(c, "string length", &len))) return st;
      if (!take(c, len, "string", &st)) return st;
    }
  }
  kv->n_bytes = c->pos - start;
  return SC_STATUS_OK;
}

/* qsort has no context argument; sort small index tables with a merge sort. */
typedef int (*cmp_fn)(uint32_t a, uint32_t b, const sc_gguf *g);

static int cmp_keys(uint32_t a, uint32_t b, const sc_gguf *g) {
  return strcmp(g->kvs[a].key, g->kvs[b].key);
}

static int cmp_names(uint32_t a, uint32_t b, const sc_gguf *g) {
  int r = strcmp(g->tensors[a].name, g->tensors[b].name);
  return r ? r : (a > b) - (a < b);
}

static void merge_sort(uint32_t *v, uint32_t *tmp, size_t n, cmp_fn cmp, const sc_gguf *g) {
  if (n < 2) return;
  size_t h = n / 2;
  merge_sort(v, tmp, h, cmp, g);
  merge_sort(v + h, tmp, n - h, cmp, g);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = cmp(v[j], v[i], g) < 0 ? v[j++] : v[i++];
  while (i < h) tmp[k++] = v[i++];
  while (j < n) tmp[k++] = v[j++];
  memcpy(v, tmp, n * sizeof *v);
}

/* An index table 0..n-1 sorted by cmp (stable, so equal names keep file
 * order). NULL when out of memory. */
static uint32_t *sorted_order(size_t n, cmp_fn cmp, const sc_gguf *g) {
  uint32_t *v = malloc((n ? n : 1) * sizeof *v), *tmp = malloc((n ? n : 1) * sizeof *tmp);
  if (!v || !tmp) {
    free(v);
    free(tmp);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) v[i] = (uint32_t)i;
  merge_sort(v, tmp, n, cmp, g);
  free(tmp);
  return v;
}

static sc_status parse_header(cursor *c) {
  sc_gguf *g = c->g;
  snprintf(c->where, sizeof c->where, "header");
  if (g->size < 4 || memcmp(g->base, "GGUF", 4) != 0)
    return sc_errf(c->err, c->err_size, SC_STATUS_PARSE,
                   "%s: not a GGUF file (no \"GGUF\" magic at offset 0)", g->name);
  c->pos = 4;
  sc_status st;
  uint64_t n_tensors, n_kv;
  if ((st = take_u32(c, "version", &g->version))) return st;
  if (g->version != 0 && (g->version & 0xFFFFu) == 0)
    return sc_errf(c->err, c->err_size, SC_STATUS_UNSUPPORTED,
                   "%s: big-endian GGUF (version field 0x%08" PRIx32 ") is not supported", g->name,
                   g->version);
  if (g->version != 2 && g->version != 3)
    return sc_errf(c->err, c->err_size, SC_STATUS_UNSUPPORTED,
                   "%s: GGUF version %" PRIu32 " is not supported (2 and 3 are)", g->name,
                   g->version);
  if ((st = take_u64(c, "tensor count", &n_tensors)) || (st = take_u64(c, "metadata count", &n_kv)))
    return st;
  size_t left = g->size - c->pos;
  if (n_kv > left / MIN_KV_BYTES || n_kv > UINT32_MAX)
    return sc_errf(c->err, c->err_size, SC_STATUS_PARSE,
                   "%s: metadata count %" PRIu64 " cannot fit in the file (%zu bytes)", g->name,
                   n_kv, g->size);
  if (n_tensors > (left - n_kv * MIN_KV_BYTES) / MIN_TENSOR_BYTES || n_tensors > UINT32_MAX)
    return sc_errf(c->err, c->err_size, SC_STATUS_PARSE,
                   "%s: tensor count %" PRIu64 " cannot fit in the file (%zu bytes)", g->name,
                   n_tensors, g->size);
  g->n_kv = (size_t)n_kv;
  g->n_tensors = (size_t)n_tensors;
  g->kvs = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kvs);
  g->tensors = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->tensors);
  if (!g->kvs || !g->tensors)
    return sc_errf(c->err, c->err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", g->name);
  return SC_STATUS_OK;
}

/* The metadata; key offsets into sb go to key_off[]. */
static sc_status parse_kvs(cursor *c, sc_strbuf *sb, size_t *key_off) {
  sc_gguf *g = c->g;
  for (size_t i = 0; i < g->n_kv; i++) {
    sc_gguf_kv *kv = &g->kvs[i];
    sc_status st;
    uint32_t type;
    set_where(c, "metadata key", i, NULL);
    if ((st = take_name(c, sb, &key_off[i]))) return st;
    if (sb->oom)
      return sc_errf(c->err, c->err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", g->name);
    set_where(c, "metadata key", i, sb->data + key_off[i]);
    if ((st = take_u32(c, "value type", &type))) return st;
    kv->type = type < SC_GGUF_TYPE_COUNT ? (sc_gguf_type)type : SC_GGUF_TYPE_COUNT;
    if (type >= SC_GGUF_TYPE_COUNT)
      return sc_errf(c->err, c->err_size, SC_STATUS_PARSE, "%s: %s: unknown value type %" PRIu32,
                     g->name, c->where, type);
    if ((st = take_value(c, kv))) return st;
  }
  return SC_STATUS_OK;
}

static sc_status parse_tensor_infos(cursor *c, sc_strbuf *sb, size_t *name_off) {
  sc_gguf *g = c->g;
  for (size_t i = 0; i < g->n_tensors; i++) {
    sc_gguf_tensor *t = &g->tensors[i];
    sc_status st;
    set_where(c, "tensor", i, NULL);
    if ((st = take_name(c, sb, &name_off[i]))) return st;
    if (sb->oom)
      return sc_errf(c->err, c->err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", g->name);
    const char *name = sb->data + name_off[i];
    set_where(c, "tensor", i, name);
    if ((st = take_u32(c, "rank", &t->rank))) return st;
    if (t->rank == 0 || t->rank > 4)
      return sc_errf(c->err, c->err_size, SC_STATUS_INVALID, "%s: %s: rank %" PRIu32 " %s", g->name,
                     c->where, t->rank, t->rank ? "exceeds 4" : "(must be 1 to 4)");
    t->n_elems = 1;
    for (uint32_t d = 0; d < 4; d++) {
      t->ne[d] = 1;
      if (d < t->rank && (st = take_u64(c, "dimension", &t->ne[d]))) return st;
      if (t->ne[d] != 0 && t->n_elems > INT64_MAX / t->ne[d])
        return sc_errf(c->err, c->err_size, SC_STATUS_OVERFLOW, "%s: %s: element count overflows",
                       g->name, c->where);
      t->n_elems *= t->ne[d];
    }
    if ((st = take_u32(c, "type", &t->type)) || (st = take_u64(c, "data offset", &t->offset)))
      return st;
    if (!sc_ggml_type_name(t->type))
      return sc_errf(c->err, c->err_size, SC_STATUS_INVALID, "%s: %s: unknown ggml type %" PRIu32,
                     g->name, c->where, t->type);
    uint32_t block = ggml_types[t->type].block;
    if (t->ne[0] % block != 0)
      return sc_errf(c->err, c->err_size, SC_STATUS_INVALID,
                     "%s: %s: row length %" PRIu64 " is not a multiple of the block size %" PRIu32
                     " of %s",
                     g->name, c->where, t->ne[0], block, ggml_types[t->type].name);
    uint64_t blocks = t->n_elems / block;
    if (blocks > UINT64_MAX / ggml_types[t->type].size)
      return sc_errf(c->err, c->err_size, SC_STATUS_OVERFLOW, "%s: %s: byte size overflows",
                     g->name, c->where);
    t->n_bytes = blocks * ggml_types[t->type].size;
  }
  return SC_STATUS_OK;
}

static sc_status parse_alignment(cursor *c) {
  sc_gguf *g = c->g;
  g->alignment = 32;
  size_t i;
  const sc_gguf_kv *kv = sc_gguf_find(g, "general.alignment", &i);
  if (!kv) return SC_STATUS_OK;
  if (kv->type != SC_GGUF_UINT32)
    return sc_errf(c->err, c->err_size, SC_STATUS_INVALID,
                   "%s: metadata key %zu 'general.alignment': expected uint32, found %s%s", g->name,
                   i, kv->type == SC_GGUF_ARRAY ? "array of " : "",
                   sc_gguf_type_name(kv->elem_type));
  uint32_t a = rd32(kv->data);
  if (a == 0 || (a & (a - 1)) != 0)
    return sc_errf(c->err, c->err_size, SC_STATUS_INVALID,
                   "%s: metadata key %zu 'general.alignment': %" PRIu32 " is not a power of two",
                   g->name, i, a);
  g->alignment = a;
  return SC_STATUS_OK;
}

/* Places every tensor's data in the data section and checks it is in the file. */
static sc_status place_tensors(cursor *c) {
  sc_gguf *g = c->g;
  uint64_t pad = (g->alignment - c->pos % g->alignment) % g->alignment;
  g->data_offset = (uint64_t)c->pos + pad; /* pos <= size, so no overflow */
  for (size_t i = 0; i < g->n_tensors; i++) {
    sc_gguf_tensor *t = &g->tensors[i];
    if (t->offset % g->alignment != 0)
      return sc_errf(c->err, c->err_size, SC_STATUS_INVALID,
                     "%s: %s: data offset %" PRIu64 " is not a multiple of the alignment %" PRIu32,
                     g->name, t->name, t->offset, g->alignment);
    uint64_t a = g->data_offset + t->offset, b = a + t->n_bytes;
    if (t->offset > UINT64_MAX - g->data_offset || t->n_bytes > UINT64_MAX - a || b > g->size)
      return sc_errf(c->err, c->err_size, SC_STATUS_PARSE,
                     "%s: %s: data [%" PRIu64 ", %" PRIu64
                     ") runs past the end of the file (%zu bytes)",
                     g->name, t->name, a, t->n_bytes > UINT64_MAX - a ? UINT64_MAX : b, g->size);
    t->data = g->base + a;
  }
  return SC_STATUS_OK;
}

/* Sorted lookup tables; a repeated key or name is an error. */
static sc_status index_names(cursor *c) {
  sc_gguf *g = c->g;
  g->kv_order = sorted_order(g->n_kv, cmp_keys, g);
  g->tensor_order = sorted_order(g->n_tensors, cmp_names, g);
  if (!g->kv_order || !g->tensor_order)
    return sc_errf(c->err, c->err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", g->name);
  for (size_t k = 1; k < g->n_kv; k++) {
    uint32_t a = g->kv_order[k - 1], b = g->kv_order[k];
    if (strcmp(g->kvs[a].key, g->kvs[b].key) == 0)
      return sc_errf(c->err, c->err_size, SC_STATUS_INVALID,
                     "%s: metadata key '%.100s' appears twice (keys %" PRIu32 " and %" PRIu32 ")",
                     g->name, g->kvs[a].key, a < b ? a : b, a < b ? b : a);
  }
  for (size_t k = 1; k < g->n_tensors; k++) {
    uint32_t a = g->tensor_order[k - 1], b = g->tensor_order[k];
    if (strcmp(g->tensors[a].name, g->tensors[b].name) == 0)
      return sc_errf(c->err, c->err_size, SC_STATUS_INVALID,
                     "%s: tensor name '%.100s' appears twice (tensors %" PRIu32 " and %" PRIu32 ")",
                     g->name, g->tensors[a].name, a, b);
  }
  return SC_STATUS_OK;
}

sc_status sc_gguf_open(const uint8_t *data, size_t size, const char *name, sc_gguf **out, char *err,
                       size_t err_size) {
  *out = NULL;
  sc_gguf *g = calloc(1, sizeof *g);
  size_t name_len = strlen(name);
  if (g) g->name = malloc(name_len + 1);
  if (!g || !g->name) {
    sc_gguf_free(g);
    return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", name);
  }
  memcpy(g->name, name, name_len + 1);
  g->base = data;
  g->size = size;
  cursor c = {.g = g, .err = err, .err_size = err_size};
  sc_strbuf sb = {0};
  size_t *offs = NULL;
  sc_status st = parse_header(&c);
  if (st == SC_STATUS_OK) {
    offs = malloc((g->n_kv + g->n_tensors + 1) * sizeof *offs); /* counts bounded by size */
    if (!offs) st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", name);
  }
  if (st == SC_STATUS_OK) st = parse_kvs(&c, &sb, offs);
  if (st == SC_STATUS_OK) st = parse_tensor_infos(&c, &sb, offs + g->n_kv);
  if (st == SC_STATUS_OK && sb.oom)
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", name);
  if (st == SC_STATUS_OK) {
    /* The names are final now: point into the buffer the reader keeps. */
    g->strings = sb.data;
    sb.data = NULL;
    for (size_t i = 0; i < g->n_kv; i++) g->kvs[i].key = g->strings + offs[i];
    for (size_t i = 0; i < g->n_tensors; i++) g->tensors[i].name = g->strings + offs[g->n_kv + i];
    st = parse_alignment(&c);
  }
  if (st == SC_STATUS_OK) st = place_tensors(&c);
  if (st == SC_STATUS_OK) st = index_names(&c);
  free(offs);
  sc_strbuf_free(&sb);
  if (st != SC_STATUS_OK) {
    sc_gguf_free(g);
    return st;
  }
  *out = g;
  return SC_STATUS_OK;
}

/* ---- lookup ---- */

const sc_gguf_kv *sc_gguf_find(const sc_gguf *g, const char *key, size_t *index) {
  size_t lo = 0, hi = g->n_kv;
  while (g->kv_order && lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = strcmp(g->kvs[g->kv_order[mid]].key, key);
    if (r == 0) {
      if (index) *index = g->kv_order[mid];
      return &g->kvs[g->kv_order[mid]];
    }
    if (r < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  /* Before the tables exist (inside sc_gguf_open), a linear walk. */
  for (size_t i = 0; !g->kv_order && i < g->n_kv; i++)
    if (g->kvs[i].key && strcmp(g->kvs[i].key, key) == 0) {
      if (index) *index = i;
      return &g->kvs[i];
    }
  return NULL;
}

const sc_gguf_tensor *sc_gguf_find_tensor(const sc_gguf *g, const char *name) {
  size_t lo = 0, hi = g->n_tensors;
  while (g->tensor_order && lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int r = strcmp(g->tensors[g->tensor_order[mid]].name, name);
    if (r == 0) return &g->tensors[g->tensor_order[mid]];
    if (r < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* ---- typed getters ---- */

/* The pair for key, or an error: NOT_FOUND, or INVALID when ok_type says its
 * type is wrong ("expected <want>, found <type>"). */
static sc_status find_typed(const sc_gguf *g, const char *key, const char *want,
                            bool (*ok_type)(const sc_gguf_kv *), const sc_gguf_kv **kv,
                            size_t *index, char *err, size_t err_size) {
  *kv = sc_gguf_find(g, key, index);
  if (!*kv)
    return sc_errf(err, err_size, SC_STATUS_NOT_FOUND, "%s: metadata key '%s' is missing", g->name,
                   key);
  if (!ok_type(*kv))
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: metadata key %zu '%s': expected %s, found %s%s", g->name, *index, key, want,
                   (*kv)->type == SC_GGUF_ARRAY ? "array of " : "",
                   sc_gguf_type_name((*kv)->elem_type));
  return SC_STATUS_OK;
}

static bool is_int_scalar(const sc_gguf_kv *kv) {
  return is_integer(kv->type);
}
static bool is_float_scalar(const sc_gguf_kv *kv) {
  return kv->type == SC_GGUF_FLOAT32 || kv->type == SC_GGUF_FLOAT64;
}
static bool is_bool_scalar(const sc_gguf_kv *kv) {
  return kv->type == SC_GGUF_BOOL;
}
static bool is_str_scalar(const sc_gguf_kv *kv) {
  return kv->type == SC_GGUF_STRING;
}

sc_status sc_gguf_get_u32(const sc_gguf *g, const char *key, uint32_t *out, char *err,
                          size_t err_size) {
  const sc_gguf_kv *kv;
  size_t i;
  sc_status st = find_typed(g, key, "uint32", is_int_scalar, &kv, &i, err, err_size);
  if (st) return st;
  bool neg;
  uint64_t v;
  int_at(kv->type, kv->data, &neg, &v);
  if (neg || v > UINT32_MAX) {
    char num[32];
    if (neg)
      snprintf(num, sizeof num, "%" PRId64, (int64_t)v);
    else
      snprintf(num, sizeof num, "%" PRIu64, v);
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: metadata key %zu '%s': value %s does not fit uint32", g->name, i, key, num);
  }
  *out = (uint32_t)v;
  return SC_STATUS_OK;
}

sc_status sc_gguf_get_f32(const sc_gguf *g, const char *key, float *out, char *err,
                          size_t err_size) {
  const sc_gguf_kv *kv;
  size_t i;
  sc_status st = find_typed(g, key, "float32", is_float_scalar, &kv, &i, err, err_size);
  if (st) return st;
  *out = kv->type == SC_GGUF_FLOAT32 ? rd_f32(kv->data) : (float)rd_f64(kv->data);
  return SC_STATUS_OK;
}

sc_status sc_gguf_get_bool(const sc_gguf *g, const char *key, bool *out, char *err,
                           size_t err_size) {
  const sc_gguf_kv *kv;
  size_t i;
  sc_status st = find_typed(g, key, "bool", is_bool_scalar, &kv, &i, err, err_size);
  if (st) return st;
  *out = kv->data[0] != 0;
  return SC_STATUS_OK;
}

sc_status sc_gguf_get_str(const sc_gguf *g, const char *key, const char **s, uint64_t *len,
                          char *err, size_t err_size) {
  const sc_gguf_kv *kv;
  size_t i;
  sc_status st = find_typed(g, key, "string", is_str_scalar, &kv, &i, err, err_size);
  if (st) return st;
  *len = rd64(kv->data);
  *s = (const char *)kv->data + 8;
  return SC_STATUS_OK;
}

sc_status sc_gguf_get_array(const sc_gguf *g, const char *key, sc_gguf_type elem,
                            const sc_gguf_kv **kv, char *err, size_t err_size) {
  size_t i;
  *kv = sc_gguf_find(g, key, &i);
  if (!*kv)
    return sc_errf(err, err_size, SC_STATUS_NOT_FOUND, "%s: metadata key '%s' is missing", g->name,
                   key);
  if ((*kv)->type != SC_GGUF_ARRAY || (*kv)->elem_type != elem) {
    sc_status st =
        sc_errf(err, err_size, SC_STATUS_INVALID,
                "%s: metadata key %zu '%s': expected array of %s, found %s%s", g->name, i, key,
                sc_gguf_type_name(elem), (*kv)->type == SC_GGUF_ARRAY ? "array of " : "",
                sc_gguf_type_name((*kv)->elem_type));
    *kv = NULL;
    return st;
  }
  return SC_STATUS_OK;
}

const char *llm_gguf_name(const sc_gguf *g) {
  return g->name;
}

/* ---- the model loader ---- */

/* Architectures loaded as Llama-family decoders, and how their GGUF files
 * store Q and K: llama.cpp's converter permutes Hugging Face's llama weights
 * into its "normal" RoPE (adjacent pairs); Qwen2 keeps NeoX halves. */
static const struct {
  const char *arch;
  sc_rope_style rope;
  bool qkv_bias;
  bool mla; /* multi-head latent attention and DeepSeek's experts (read_mla) */
} archs[] = {
    {"llama", SC_ROPE_PAIRS, false, false},
    {"mistral", SC_ROPE_PAIRS, false, false},
    {"qwen2", SC_ROPE_HALVES, true, false},
    /* llama.cpp's DeepSeek-V2/V3: "normal" RoPE, adjacent pairs */
    {"deepseek2", SC_ROPE_PAIRS, false, true},
};

/* "<arch>.<suffix>" into buf. */
static const char *arch_key(char *buf, size_t size, const char *arch, const char *suffix) {
  snprintf(buf, size, "%s.%s", arch, suffix);
  return buf;
}

/* Optional keys: NOT_FOUND keeps the default. */
static sc_status opt_u32(const sc_gguf *g, const char *key, uint32_t *v, char *err, size_t n) {
  sc_status st = sc_gguf_get_u32(g, key, v, err, n);
  return st == SC_STATUS_NOT_FOUND ? SC_STATUS_OK : st;
}

static sc_status opt_f32(const sc_gguf *g, const char *key, float *v, char *err, size_t n) {
  sc_status st = sc_gguf_get_f32(g, key, v, err, n);
  return st == SC_STATUS_NOT_FOUND ? SC_STATUS_OK : st;
}

/* A required u32 key that must be at least lo ("<key> 0 must be at least 1"). */
static sc_status req_u32(const sc_gguf *g, const char *key, uint32_t lo, uint32_t *v, char *err,
                         size_t n) {
  sc_status st = sc_gguf_get_u32(g, key, v, err, n);
  if (st == SC_STATUS_OK && *v < lo)
    return sc_errf(err, n, SC_STATUS_INVALID, "%s: %s %" PRIu32 " must be at least %" PRIu32,
                   llm_gguf_name(g), key, *v, lo);
  return st;
}

/* deepseek2 (after the common keys and the expert counts): multi-head latent
 * attention and DeepSeek's experts. llama.cpp's converter wrote key_length =
 * qk_nope + qk_rope and value_length = v_head_dim; since it stores MLA as one
 * shared latent "kv head" (head_count_kv 1) it writes key_length =
 * kv_lora_rank + qk_rope and value_length = kv_lora_rank, and the per-head
 * sizes as key_length_mla and value_length_mla, which win when present. */
static sc_status read_mla(const sc_gguf *g, sc_model_config *cfg, const char *A, char *err,
                          size_t n) {
  char k[96], kr[96], kl[96], vl[96];
  sc_status st;
  uint32_t rope = 0, key_len = 0, v_len = 0;
  cfg->q_lora_rank = 0;
  if ((st = opt_u32(g, arch_key(k, sizeof k, A, "attention.q_lora_rank"), &cfg->q_lora_rank, err,
                    n)) ||
      (st = req_u32(g, arch_key(k, sizeof k, A, "attention.kv_lora_rank"), 1, &cfg->kv_lora_rank,
                    err, n)) ||
      (st = req_u32(g, arch_key(kr, sizeof kr, A, "rope.dimension_count"), 2, &rope, err, n)))
    return st;
  arch_key(kl, sizeof kl, A, "attention.key_length_mla");
  arch_key(vl, sizeof vl, A, "attention.value_length_mla");
  bool kl_mla = sc_gguf_find(g, kl, NULL) != NULL, vl_mla = sc_gguf_find(g, vl, NULL) != NULL;
  /* the one-kv-head form's key_length is the latent's: the _mla keys are needed */
  if (cfg->n_kv_heads == 1 && cfg->n_heads > 1 && !(kl_mla && vl_mla))
    return sc_errf(err, n, SC_STATUS_INVALID,
                   "%s: %s.attention.head_count_kv 1 (the latent as one kv head) needs %s and %s",
                   llm_gguf_name(g), A, kl, vl);
  if (!kl_mla) arch_key(kl, sizeof kl, A, "attention.key_length");
  if (!vl_mla) arch_key(vl, sizeof vl, A, "attention.value_length");
  if ((st = req_u32(g, kl, 1, &key_len, err, n)) || (st = req_u32(g, vl, 1, &v_len, err, n)))
    return st;
  if (rope % 2 != 0)
    return sc_errf(err, n, SC_STATUS_INVALID, "%s: %s %" PRIu32 " must be even (RoPE turns pairs)",
                   llm_gguf_name(g), kr, rope);
  if (key_len <= rope)
    return sc_errf(err, n, SC_STATUS_INVALID,
                   "%s: %s %" PRIu32 " must be above %s %" PRIu32
                   " (a key is qk_nope + qk_rope elements)",
                   llm_gguf_name(g), kl, key_len, kr, rope);
  cfg->qk_rope_dim = rope;
  cfg->qk_nope_dim = key_len - rope;
  cfg->v_head_dim = v_len;
  cfg->head_dim = key_len;
  /* a key and a value per head, whichever way the file counts kv heads */
  if (cfg->n_kv_heads != 1 && cfg->n_kv_heads != cfg->n_heads)
    return sc_errf(err, n, SC_STATUS_INVALID,
                   "%s: %s.attention.head_count_kv %" PRIu32
                   " must be 1 or %s.attention.head_count "
                   "(%" PRIu32 ") with multi-head latent attention",
                   llm_gguf_name(g), A, cfg->n_kv_heads, A, cfg->n_heads);
  cfg->n_kv_heads = cfg->n_heads;

  /* DeepSeek's experts: each expert_feed_forward_length wide (required),
   * expert_shared_count on every token, the first leading_dense_block_count
   * layers dense */
  cfg->moe_hidden_dim = cfg->n_shared_experts = cfg->n_dense_layers = 0;
  char ke[96];
  arch_key(ke, sizeof ke, A, "expert_count");
  const struct {
    const char *suffix;
    uint32_t *dst;
  } moe[] = {
      {"expert_feed_forward_length", &cfg->moe_hidden_dim},
      {"expert_shared_count", &cfg->n_shared_experts},
      {"leading_dense_block_count", &cfg->n_dense_layers},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(moe); i++) {
    arch_key(k, sizeof k, A, moe[i].suffix);
    if (cfg->n_experts > 0 && i == 0)
      st = req_u32(g, k, 1, moe[i].dst, err, n);
    else
      st = opt_u32(g, k, moe[i].dst, err, n);
    if (st) return st;
    if (cfg->n_experts == 0 && *moe[i].dst != 0)
      return sc_errf(err, n, SC_STATUS_INVALID,
                     "%s: %s %" PRIu32 " without experts (%s absent or 0)", llm_gguf_name(g), k,
                     *moe[i].dst, ke);
  }
  if (cfg->n_experts > 0 && cfg->n_dense_layers >= cfg->n_layers)
    return sc_errf(err, n, SC_STATUS_INVALID,
                   "%s: %s.leading_dense_block_count %" PRIu32 " must be below %s.block_count "
                   "(%" PRIu32 ")",
                   llm_gguf_name(g), A, cfg->n_dense_layers, A, cfg->n_layers);
  return SC_STATUS_OK;
}

static sc_status read_config(const sc_gguf *g, sc_model_config *cfg, char *err, size_t n) {
  const char *arch;
  uint64_t arch_len;
  sc_status st = sc_gguf_get_str(g, "general.architecture", &arch, &arch_len, err, n);
  if (st) return st;
  size_t a = SC_ARRAY_LEN(archs);
  for (size_t i = 0; i < SC_ARRAY_LEN(archs); i++)
    if (arch_len == strlen(archs[i].arch) && memcmp(arch, archs[i].arch, arch_len) == 0) a = i;
  if (a == SC_ARRAY_LEN(archs))
    return sc_errf(err, n, SC_STATUS_UNSUPPORTED,
                   "%s: general.architecture '%.*s' is not supported (llama, qwen2, mistral, "
                   "deepseek2)",
                   llm_gguf_name(g), (int)(arch_len < 64 ? arch_len : 64), arch);
  snprintf(cfg->arch, sizeof cfg->arch, "%s", archs[a].arch);
  cfg->rope_style = archs[a].rope;
  cfg->qkv_bias = archs[a].qkv_bias;

  char k[96];
  const char *A = archs[a].arch;
  if ((st = sc_gguf_get_u32(g, arch_key(k, sizeof k, A, "embedding_length"), &cfg->dim, err, n)) ||
      (st = sc_gguf_get_u32(g, arch_key(k, sizeof k, A, "feed_forward_length"), &cfg->hidden_dim,
                            err, n)) ||
      (st = sc_gguf_get_u32(g, arch_key(k, sizeof k, A, "block_count"), &cfg->n_layers, err, n)) ||
      (st = sc_gguf_get_u32(g, arch_key(k, sizeof k, A, "attention.head_count"), &cfg->n_heads, err,
                            n)) ||
      (st = sc_gguf_get_u32(g, arch_key(k, sizeof k, A, "context_length"), &cfg->max_seq_len, err,
                            n)))
    return st;
  cfg->n_kv_heads = cfg->n_heads;
  if ((st = opt_u32(g, arch_key(k, sizeof k, A, "attention.head_count_kv"), &cfg->n_kv_heads, err,
                    n)) ||
      (st = opt_u32(g, arch_key(k, sizeof k, A, "attention.key_length"), &cfg->head_dim, err, n)) ||
      (st = opt_f32(g, arch_key(k, sizeof k, A, "rope.freq_base"), &cfg->rope_theta, err, n)) ||
      (st = opt_f32(g, arch_key(k, sizeof k, A, "attention.layer_norm_rms_epsilon"), &cfg->norm_eps,
                    err, n)))
    return st;

  /* A mixture of experts: expert_count absent or 0 is a dense model; else
   * expert_used_count (required) of them take each token. */
  char ku[96];
  arch_key(ku, sizeof ku, A, "expert_used_count");
  cfg->n_experts = cfg->n_experts_used = 0;
  cfg->moe_hidden_dim = cfg->n_shared_experts = cfg->n_dense_layers = 0;
  cfg->q_lora_rank = cfg->kv_lora_rank = cfg->qk_nope_dim = cfg->qk_rope_dim = cfg->v_head_dim = 0;
  if ((st = opt_u32(g, arch_key(k, sizeof k, A, "expert_count"), &cfg->n_experts, err, n)))
    return st;
  if (cfg->n_experts > MAX_EXPERTS)
    return sc_errf(err, n, SC_STATUS_INVALID, "%s: %s %" PRIu32 " is above %u experts",
                   llm_gguf_name(g), k, cfg->n_experts, MAX_EXPERTS);
  if (cfg->n_experts > 0) {
    if ((st = sc_gguf_get_u32(g, ku, &cfg->n_experts_used, err, n))) return st;
    if (cfg->n_experts_used < 1 || cfg->n_experts_used > cfg->n_experts)
      return sc_errf(err, n, SC_STATUS_INVALID, "%s: %s %" PRIu32 " must be 1 to %s (%" PRIu32 ")",
                     llm_gguf_name(g), ku, cfg->n_experts_used, k, cfg->n_experts);
  } else {
    uint32_t used = 0;
    if ((st = opt_u32(g, ku, &used, err, n))) return st;
    if (used != 0)
      return sc_errf(err, n, SC_STATUS_INVALID,
                     "%s: %s %" PRIu32 " without experts (%s absent or 0)", llm_gguf_name(g), ku,
                     used, k);
  }

  bool mla = archs[a].mla;
  if (mla && (st = read_mla(g, cfg, A, err, n))) return st;
  /* The forward pass rotates whole heads with plain RoPE: partial rotation,
   * separate value widths and RoPE scaling are other models (but MLA's
   * widths are its own, and DeepSeek's YaRN is accepted, not modelled, for
   * timing-only runs). */
  uint32_t v = 0;
  if (!mla && (st = opt_u32(g, arch_key(k, sizeof k, A, "attention.value_length"), &v, err, n)))
    return st;
  if (v != 0 && v != cfg->head_dim)
    return sc_errf(err, n, SC_STATUS_UNSUPPORTED,
                   "%s: %s %" PRIu32 " differs from the key length %" PRIu32 " (not supported)",
                   llm_gguf_name(g), k, v, cfg->head_dim);
  const char *s;
  uint64_t len;
  st = sc_gguf_get_str(g, arch_key(k, sizeof k, A, "rope.scaling.type"), &s, &len, err, n);
  if (st == SC_STATUS_OK && !(len == 4 && memcmp(s, "none", 4) == 0) &&
      !(mla && len == 4 && memcmp(s, "yarn", 4) == 0))
    return sc_errf(err, n, SC_STATUS_UNSUPPORTED, "%s: %s '%.*s' is not supported",
                   llm_gguf_name(g), k, (int)(len < 32 ? len : 32), s);
  if (st != SC_STATUS_OK && st != SC_STATUS_NOT_FOUND) return st;

  /* Vocabulary: the architecture's key, else the tokenizer's, else the
   * embedding's rows. */
  cfg->vocab_size = 0;
  if ((st = opt_u32(g, arch_key(k, sizeof k, A, "vocab_size"), &cfg->vocab_size, err, n)))
    return st;
  const sc_gguf_kv *tokens = sc_gguf_find(g, "tokenizer.ggml.tokens", NULL);
  const sc_gguf_tensor *embd = sc_gguf_find_tensor(g, "token_embd.weight");
  if (cfg->vocab_size == 0 && tokens && tokens->type == SC_GGUF_ARRAY && tokens->n <= UINT32_MAX)
    cfg->vocab_size = (uint32_t)tokens->n;
  if (cfg->vocab_size == 0 && embd && embd->rank == 2 && embd->ne[1] <= UINT32_MAX)
    cfg->vocab_size = (uint32_t)embd->ne[1];

  uint32_t head_dim = cfg->head_dim ? cfg->head_dim : cfg->n_heads ? cfg->dim / cfg->n_heads : 0;
  uint32_t rot = head_dim;
  if (!mla && (st = opt_u32(g, arch_key(k, sizeof k, A, "rope.dimension_count"), &rot, err, n)))
    return st;
  if (!mla && rot != head_dim)
    return sc_errf(err, n, SC_STATUS_UNSUPPORTED,
                   "%s: %s %" PRIu32 " differs from the head size %" PRIu32
                   " (partial RoPE is not supported)",
                   llm_gguf_name(g), k, rot, head_dim);
  if (!cfg->qkv_bias && sc_gguf_find_tensor(g, "blk.0.attn_q.bias")) cfg->qkv_bias = true;
  /* Llama 3.1's scaled RoPE: llama.cpp stores the per-pair divisors */
  const sc_gguf_tensor *rf = sc_gguf_find_tensor(g, "rope_freqs.weight");
  if (rf) {
    uint32_t pairs = (mla ? cfg->qk_rope_dim : head_dim) / 2;
    if (rf->type != SC_GGML_F32 || rf->n_elems != pairs || pairs > SC_ROPE_MAX_PAIRS)
      return sc_errf(err, n, SC_STATUS_INVALID,
                     "%s: rope_freqs.weight: F32 with %s / 2 = %" PRIu32
                     " elements expected, found %s with %" PRIu64,
                     llm_gguf_name(g), mla ? "qk_rope_dim" : "head_dim", pairs,
                     sc_ggml_type_name(rf->type), rf->n_elems);
    for (uint32_t j = 0; j < pairs; j++) {
      float f;
      memcpy(&f, rf->data + 4 * (size_t)j, 4);
      if (!isfinite(f) || !(f > 0))
        return sc_errf(err, n, SC_STATUS_INVALID,
                       "%s: rope_freqs.weight: element %" PRIu32 " is %g, a positive factor is "
                       "needed",
                       llm_gguf_name(g), j, (double)f);
      cfg->rope_factors[j] = f;
    }
    cfg->rope_scaled = true;
  }
  return SC_STATUS_OK;
}

static sc_status add_tensors(sc_model *m, const sc_gguf *g, char *err, size_t n) {
  for (size_t i = 0; i < sc_gguf_tensor_count(g); i++) {
    const sc_gguf_tensor *t = sc_gguf_tensor_at(g, i);
    sc_wtype wt;
    switch (t->type) {
    case SC_GGML_F32:
      wt = SC_WTYPE_F32;
      break;
    case SC_GGML_F16:
      wt = SC_WTYPE_F16;
      break;
    case SC_GGML_BF16:
      wt = SC_WTYPE_BF16;
      break;
    case SC_GGML_Q8_0:
      wt = SC_WTYPE_Q8_0;
      break;
    case SC_GGML_Q4_0:
      wt = SC_WTYPE_Q4_0;
      break;
    default:
      return sc_errf(err, n, SC_STATUS_UNSUPPORTED,
                     "%s: %s: tensor type %" PRIu32 " (%s) is not supported (F32, F16, BF16, "
                     "Q8_0, Q4_0)",
                     llm_gguf_name(g), t->name, t->type, sc_ggml_type_name(t->type));
    }
    uint64_t shape[4];
    for (uint32_t d = 0; d < t->rank; d++) shape[d] = t->ne[t->rank - 1 - d];
    char msg[256];
    sc_status st =
        llm_model_add_tensor(m, t->name, wt, t->rank, shape, t->data, t->n_bytes, msg, sizeof msg);
    if (st) return sc_errf(err, n, st, "%s: %s", llm_gguf_name(g), msg);
  }
  return SC_STATUS_OK;
}

sc_status llm_gguf_config(const sc_gguf *g, sc_model_config *cfg, char *err, size_t err_size) {
  return read_config(g, cfg, err, err_size);
}

sc_status llm_gguf_build(sc_model *m, const sc_gguf *g, char *err, size_t err_size) {
  const sc_model_config *c = llm_model_config(m);
  sc_status st = read_config(g, llm_model_config(m), err, err_size);
  /* a mixture's expert tensors have no place in sc_model (model.h) */
  if (st == SC_STATUS_OK && c->n_experts > 0)
    st = sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                 "%s: %s.expert_count %" PRIu32 " (%" PRIu32 " per token): mixture-of-experts "
                 "weights are not loaded; use the configuration alone for timing-only runs "
                 "(seedchip profile --config, seedchip bench --models)",
                 llm_gguf_name(g), c->arch, c->n_experts, c->n_experts_used);
  /* nor are multi-head latent attention's, yet */
  if (st == SC_STATUS_OK && c->kv_lora_rank > 0)
    st = sc_errf(err, err_size, SC_STATUS_UNSUPPORTED,
                 "%s: %s.attention.kv_lora_rank %" PRIu32 ": multi-head latent attention weights "
                 "are not loaded yet; use the file for its configuration (timing-only runs: "
                 "seedchip profile --config, seedchip bench --models)",
                 llm_gguf_name(g), c->arch, c->kv_lora_rank);
  if (st == SC_STATUS_OK) st = add_tensors(m, g, err, err_size);
  if (st == SC_STATUS_OK) {
    char msg[256];
    st = llm_model_check(m, msg, sizeof msg);
    if (st) return sc_errf(err, err_size, st, "%s: %s", llm_gguf_name(g), msg);
  }
  return st;
}

sc_status llm_load_gguf(const char *path, sc_model **out, char *err, size_t err_size) {
  *out = NULL;
  sc_model *m = llm_model_new("gguf");
  if (!m) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
  const uint8_t *base;
  uint64_t size;
  sc_gguf *g = NULL;
  sc_status st = llm_model_map(m, path, &base, &size, err, err_size);
  if (st == SC_STATUS_OK) st = sc_gguf_open(base, (size_t)size, path, &g, err, err_size);
  if (st == SC_STATUS_OK) st = llm_gguf_build(m, g, err, err_size);
  sc_gguf_free(g);
  if (st != SC_STATUS_OK) {
    sc_model_free(m);
    return st;
  }
  *out = m;
  return SC_STATUS_OK;
}
