/* model.c: the sc_model object every loader builds (configuration, a table of
 * named tensors, mapped files, owned memory), weight decoding to FP32, the
 * configuration/tensor check and sc_model_load's dispatch by file contents.
 *
 * Invariants: every tensor's name is a copy the model owns and is unique
 * (an open-addressing index over the table finds it); every tensor's data is
 * exactly llm_wtype_bytes(type, n_elems) bytes inside a mapping or an owned
 * block of this model, so it lives exactly as long as the model. */
#define _POSIX_C_SOURCE 200809L /* mmap, fstat */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llm_int.h"
#include "seedchip/num.h"
#include "seedchip/util.h"

/* Where weights come from: a read-only file mapping or a malloc'd block. */
typedef struct block {
  void *addr;
  size_t size;
  bool mapped; /* munmap (true) or free (false) */
} block;

struct sc_model {
  char format[16];
  sc_model_config cfg;
  sc_tensor *tensors; /* n_tensors used, cap_tensors allocated */
  size_t n_tensors, cap_tensors;
  uint32_t *index; /* open addressing over tensors: index+1, 0 = empty */
  size_t index_mask;
  block *blocks;
  size_t n_blocks, cap_blocks;
};

static const char *const wtype_names[SC_WTYPE_COUNT] = {"F32", "F16", "BF16", "Q8_0", "Q4_0"};

const char *sc_wtype_name(sc_wtype t) {
  return (unsigned)t < SC_WTYPE_COUNT ? wtype_names[t] : "unknown";
}

/* ---- the object ---- */

sc_model *llm_model_new(const char *format) {
  sc_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  snprintf(m->format, sizeof m->format, "%s", format);
  m->cfg.rope_theta = 10000.0f;
  m->cfg.norm_eps = 1e-5f;
  m->cfg.rope_style = SC_ROPE_PAIRS;
  return m;
}

sc_model_config *llm_model_config(sc_model *m) {
  return &m->cfg;
}
const sc_model_config *sc_model_config_of(const sc_model *m) {
  return &m->cfg;
}
size_t sc_model_tensor_count(const sc_model *m) {
  return m->n_tensors;
}
const char *sc_model_format(const sc_model *m) {
  return m->format;
}

const sc_tensor *sc_model_tensor_at(const sc_model *m, size_t i) {
  return i < m->n_tensors ? &m->tensors[i] : NULL;
}

void sc_model_free(sc_model *m) {
  if (!m) return;
  for (size_t i = 0; i < m->n_tensors; i++) free((char *)m->tensors[i].name);
  free(m->tensors);
  free(m->index);
  for (size_t i = 0; i < m->n_blocks; i++) {
    if (m->blocks[i].mapped)
      munmap(m->blocks[i].addr, m->blocks[i].size);
    else
      free(m->blocks[i].addr);
  }
  free(m->blocks);
  free(m);
}

static bool add_block(sc_model *m, void *addr, size_t size, bool mapped) {
  if (m->n_blocks == m->cap_blocks) {
    size_t cap = m->cap_blocks ? 2 * m->cap_blocks : 4;
    block *b = realloc(m->blocks, cap * sizeof *b);
    if (!b) return false;
    m->blocks = b;
    m->cap_blocks = cap;
  }
  m->blocks[m->n_blocks++] = (block){addr, size, mapped};
  return true;
}

void *llm_model_alloc(sc_model *m, uint64_t size) {
  if (size > SIZE_MAX) return NULL;
  void *p = calloc(1, size ? (size_t)size : 1);
  if (!p) return NULL;
  if (!add_block(m, p, (size_t)size, false)) {
    free(p);
    return NULL;
  }
  return p;
}

sc_status llm_model_map(sc_model *m, const char *path, const uint8_t **base, uint64_t *size,
                        char *err, size_t err_size) {
  *base = NULL;
  *size = 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return sc_errf(err, err_size, SC_STATUS_IO, "%s: not a regular file", path);
  }
  if ((uint64_t)st.st_size > SIZE_MAX) {
    close(fd);
    return sc_errf(err, err_size, SC_STATUS_OVERFLOW, "%s: too large to map", path);
  }
  size_t len = (size_t)st.st_size;
  void *addr;
  if (len == 0) {
    addr = llm_model_alloc(m, 1); /* mmap refuses length 0; an empty file is still a file */
    close(fd);
    if (!addr) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
    *base = addr;
    return SC_STATUS_OK;
  }
  addr = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  int e = errno;
  close(fd);
  if (addr == MAP_FAILED)
    return sc_errf(err, err_size, SC_STATUS_IO, "%s: mmap: %s", path, strerror(e));
  if (!add_block(m, addr, len, true)) {
    munmap(addr, len);
    return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
  }
  *base = addr;
  *size = len;
  return SC_STATUS_OK;
}

/* ---- the tensor table ---- */

static uint64_t hash_name(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* The slot of name in the index: the one holding it, or the empty one where it
 * would go. The index is never full (load factor at most 1/2). */
static size_t index_slot(const sc_model *m, const char *name) {
  size_t i = (size_t)hash_name(name) & m->index_mask;
  while (m->index[i] != 0 && strcmp(m->tensors[m->index[i] - 1].name, name) != 0)
    i = (i + 1) & m->index_mask;
  return i;
}

const sc_tensor *sc_model_tensor(const sc_model *m, const char *name) {
  if (!m->index) return NULL;
  uint32_t k = m->index[index_slot(m, name)];
  return k ? &m->tensors[k - 1] : NULL;
}

/* Makes room for one more tensor, in the table and the index. */
static bool grow_table(sc_model *m) {
  if (m->n_tensors == m->cap_tensors) {
    if (m->cap_tensors >= UINT32_MAX / 4) return false;
    size_t cap = m->cap_tensors ? 2 * m->cap_tensors : 64;
    sc_tensor *t = realloc(m->tensors, cap * sizeof *t);
    if (!t) return false;
    m->tensors = t;
    m->cap_tensors = cap;
  }
  if (m->index && 2 * (m->n_tensors + 1) <= m->index_mask + 1) return true;
  size_t slots = m->index ? 2 * (m->index_mask + 1) : 128;
  uint32_t *old = m->index;
  size_t old_slots = m->index ? m->index_mask + 1 : 0;
  m->index = calloc(slots, sizeof *m->index);
  if (!m->index) {
    m->index = old;
    return false;
  }
  m->index_mask = slots - 1;
  for (size_t i = 0; i < old_slots; i++)
    if (old[i]) m->index[index_slot(m, m->tensors[old[i] - 1].name)] = old[i];
  free(old);
  return true;
}

uint64_t llm_wtype_bytes(sc_wtype t, uint64_t n) {
  switch (t) {
  case SC_WTYPE_F32:
    return n <= UINT64_MAX / 4 ? 4 * n : 0;
  case SC_WTYPE_F16:
  case SC_WTYPE_BF16:
    return n <= UINT64_MAX / 2 ? 2 * n : 0;
  case SC_WTYPE_Q8_0:
    return n % 32 == 0 ? n / 32 * 34 : 0;
  case SC_WTYPE_Q4_0:
    return n % 32 == 0 ? n / 32 * 18 : 0;
  default:
    return 0;
  }
}

static bool is_block_type(sc_wtype t) {
  return t == SC_WTYPE_Q8_0 || t == SC_WTYPE_Q4_0;
}

/* "[172, 64]" */
static void format_shape(char *buf, size_t size, uint32_t rank, const uint64_t *shape) {
  size_t k = 0;
  k += (size_t)snprintf(buf, size, "[");
  for (uint32_t i = 0; i < rank && k < size; i++)
    k += (size_t)snprintf(buf + k, size - k, "%s%" PRIu64, i ? ", " : "", shape[i]);
  if (k < size) snprintf(buf + k, size - k, "]");
}

sc_status llm_model_add_tensor(sc_model *m, const char *name, sc_wtype type, uint32_t rank,
                               const uint64_t *shape, const void *data, uint64_t n_bytes, char *err,
                               size_t err_size) {
  if ((unsigned)type >= SC_WTYPE_COUNT)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: unknown weight type %d", name, (int)type);
  if (rank == 0 || rank > 4)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: rank %" PRIu32 " (must be 1 to 4)", name,
                   rank);
  uint64_t n = 1;
  for (uint32_t i = 0; i < rank; i++) {
    if (shape[i] == 0)
      return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: dimension %" PRIu32 " is 0", name, i);
    if (n > UINT64_MAX / shape[i])
      return sc_errf(err, err_size, SC_STATUS_OVERFLOW, "%s: element count overflows", name);
    n *= shape[i];
  }
  if (is_block_type(type) && shape[rank - 1] % 32 != 0)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: %s rows of %" PRIu64 " elements are not a multiple of 32", name,
                   sc_wtype_name(type), shape[rank - 1]);
  uint64_t need = llm_wtype_bytes(type, n);
  if (need == 0) return sc_errf(err, err_size, SC_STATUS_OVERFLOW, "%s: byte size overflows", name);
  if (n_bytes != need) {
    char sh[128];
    format_shape(sh, sizeof sh, rank, shape);
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "%s: expected %s %s (%" PRIu64 " bytes), found %" PRIu64 " bytes", name, sh,
                   sc_wtype_name(type), need, n_bytes);
  }
  if (sc_model_tensor(m, name))
    return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: tensor appears twice", name);
  size_t name_len = strlen(name);
  char *copy = malloc(name_len + 1);
  if (!copy || !grow_table(m)) {
    free(copy);
    return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", name);
  }
  memcpy(copy, name, name_len + 1);
  sc_tensor *t = &m->tensors[m->n_tensors];
  memset(t, 0, sizeof *t);
  t->name = copy;
  t->type = type;
  t->rank = rank;
  memcpy(t->shape, shape, rank * sizeof *shape);
  t->n_elems = n;
  t->data = data;
  t->n_bytes = n_bytes;
  m->n_tensors++;
  m->index[index_slot(m, copy)] = (uint32_t)m->n_tensors;
  return SC_STATUS_OK;
}

/* ---- decoding ---- */

static uint16_t le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static float le_f32(const uint8_t *p) {
  uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

void sc_tensor_to_f32(const sc_tensor *t, uint64_t first, uint64_t n, float *out) {
  const uint8_t *d = t->data;
  for (uint64_t k = 0; k < n; k++) {
    uint64_t i = first + k;
    switch (t->type) {
    case SC_WTYPE_F32:
      out[k] = le_f32(d + 4 * i);
      break;
    case SC_WTYPE_F16:
      out[k] = sc_fp16_to_f32(le16(d + 2 * i));
      break;
    case SC_WTYPE_BF16:
      out[k] = sc_bf16_to_f32(le16(d + 2 * i));
      break;
    case SC_WTYPE_Q8_0: { /* block: fp16 d, int8 q[32] */
      const uint8_t *b = d + i / 32 * 34;
      out[k] = sc_fp16_to_f32(le16(b)) * (float)(int8_t)b[2 + i % 32];
      break;
    }
    case SC_WTYPE_Q4_0: { /* block: fp16 d, uint8 nibbles[16]; j < 16 low, j >= 16 high */
      const uint8_t *b = d + i / 32 * 18;
      unsigned j = (unsigned)(i % 32);
      int q = j < 16 ? (b[2 + j] & 0x0F) : (b[2 + j - 16] >> 4);
      out[k] = sc_fp16_to_f32(le16(b)) * (float)(q - 8);
      break;
    }
    default:
      out[k] = 0.0f;
      break;
    }
  }
}

/* ---- the check ---- */

/* The largest count the check accepts for any one dimension, so that every
 * product of two of them (and the layer count) fits comfortably in 64 bits. */
#define MAX_DIM (1u << 24)
#define MAX_LAYERS 4096u

/* Checks that tensor `name` exists with the shape `want` of `rank`. */
static sc_status expect(const sc_model *m, const char *name, uint32_t rank, const uint64_t *want,
                        char *err, size_t err_size) {
  const sc_tensor *t = sc_model_tensor(m, name);
  if (!t) return sc_errf(err, err_size, SC_STATUS_NOT_FOUND, "%s: missing", name);
  bool ok = t->rank == rank;
  for (uint32_t i = 0; ok && i < rank; i++) ok = t->shape[i] == want[i];
  if (ok) return SC_STATUS_OK;
  char ws[96], fs[128];
  format_shape(ws, sizeof ws, rank, want);
  format_shape(fs, sizeof fs, t->rank, t->shape);
  return sc_errf(err, err_size, SC_STATUS_INVALID, "%s: expected %s, found %s", name, ws, fs);
}

/* One row of the list below. */
static void put_tensor(llm_layer_tensor *out, uint32_t *n, const char *suffix, llm_tkind kind,
                       uint32_t rank, uint64_t a, uint64_t b, uint64_t c) {
  out[*n] = (llm_layer_tensor){suffix, kind, rank, {a, b, c}};
  (*n)++;
}

uint32_t llm_layer_tensors(const sc_model_config *c, llm_layer_tensor *out) {
  uint64_t dim = c->dim, hidden = c->hidden_dim, H = c->n_heads;
  uint64_t q_dim = H * c->head_dim, kv_dim = (uint64_t)c->n_kv_heads * c->head_dim;
  uint32_t n = 0;
  put_tensor(out, &n, "attn_norm.weight", LLM_NORM, 1, dim, 0, 0);
  if (c->kv_lora_rank > 0) { /* multi-head latent attention (model.h) */
    uint64_t q_lora = c->q_lora_rank, kv_lora = c->kv_lora_rank;
    if (q_lora > 0) {
      put_tensor(out, &n, "attn_q_a.weight", LLM_MATRIX, 2, q_lora, dim, 0);
      put_tensor(out, &n, "attn_q_a_norm.weight", LLM_NORM, 1, q_lora, 0, 0);
      put_tensor(out, &n, "attn_q_b.weight", LLM_MATRIX, 2, q_dim, q_lora, 0);
    } else {
      put_tensor(out, &n, "attn_q.weight", LLM_MATRIX, 2, q_dim, dim, 0);
    }
    put_tensor(out, &n, "attn_kv_a_mqa.weight", LLM_MATRIX, 2, kv_lora + c->qk_rope_dim, dim, 0);
    put_tensor(out, &n, "attn_kv_a_norm.weight", LLM_NORM, 1, kv_lora, 0, 0);
    put_tensor(out, &n, "attn_k_b.weight", LLM_MATRIX, 3, H, kv_lora, c->qk_nope_dim);
    put_tensor(out, &n, "attn_v_b.weight", LLM_MATRIX, 3, H, c->v_head_dim, kv_lora);
    put_tensor(out, &n, "attn_output.weight", LLM_MATRIX, 2, dim, H * c->v_head_dim, 0);
  } else {
    put_tensor(out, &n, "attn_q.weight", LLM_MATRIX, 2, q_dim, dim, 0);
    put_tensor(out, &n, "attn_k.weight", LLM_MATRIX, 2, kv_dim, dim, 0);
    put_tensor(out, &n, "attn_v.weight", LLM_MATRIX, 2, kv_dim, dim, 0);
    put_tensor(out, &n, "attn_output.weight", LLM_MATRIX, 2, dim, q_dim, 0);
  }
  put_tensor(out, &n, "ffn_norm.weight", LLM_NORM, 1, dim, 0, 0);
  put_tensor(out, &n, "ffn_gate.weight", LLM_MATRIX, 2, hidden, dim, 0);
  put_tensor(out, &n, "ffn_up.weight", LLM_MATRIX, 2, hidden, dim, 0);
  put_tensor(out, &n, "ffn_down.weight", LLM_MATRIX, 2, dim, hidden, 0);
  if (c->qkv_bias && c->kv_lora_rank == 0) {
    put_tensor(out, &n, "attn_q.bias", LLM_BIAS, 1, q_dim, 0, 0);
    put_tensor(out, &n, "attn_k.bias", LLM_BIAS, 1, kv_dim, 0, 0);
    put_tensor(out, &n, "attn_v.bias", LLM_BIAS, 1, kv_dim, 0, 0);
  }
  return n;
}

/* Multi-head latent attention (kv_lora_rank > 0): its widths, head_dim =
 * qk_nope_dim + qk_rope_dim (filled in when 0), one key and value per query
 * head. Without it the MLA fields are all 0. */
static sc_status check_mla(sc_model_config *c, char *err, size_t err_size) {
  const struct {
    const char *name;
    uint32_t value;
  } f[] = {
      {"kv_lora_rank", c->kv_lora_rank}, {"qk_nope_dim", c->qk_nope_dim},
      {"qk_rope_dim", c->qk_rope_dim},   {"v_head_dim", c->v_head_dim},
      {"q_lora_rank", c->q_lora_rank},
  };
  if (c->kv_lora_rank == 0) {
    for (size_t i = 1; i < SC_ARRAY_LEN(f); i++)
      if (f[i].value != 0)
        return sc_errf(err, err_size, SC_STATUS_INVALID,
                       "config: %s is %" PRIu32 " without multi-head latent attention "
                       "(kv_lora_rank 0; must be 0)",
                       f[i].name, f[i].value);
    return SC_STATUS_OK;
  }
  for (size_t i = 0; i < SC_ARRAY_LEN(f); i++) {
    uint32_t lo = i + 1 < SC_ARRAY_LEN(f) ? 1 : 0; /* q_lora_rank 0: no query latent */
    if (f[i].value < lo || f[i].value > MAX_DIM)
      return sc_errf(err, err_size, SC_STATUS_INVALID,
                     "config: %s is %" PRIu32 " (must be %" PRIu32 " to %u with multi-head latent "
                     "attention)",
                     f[i].name, f[i].value, lo, MAX_DIM);
  }
  if (c->qk_rope_dim % 2 != 0)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: qk_rope_dim %" PRIu32 " must be even (RoPE turns pairs)",
                   c->qk_rope_dim);
  uint32_t qk = c->qk_nope_dim + c->qk_rope_dim; /* each at most 2^24 */
  if (c->head_dim == 0) c->head_dim = qk;
  if (c->head_dim != qk)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: head_dim %" PRIu32 " is not qk_nope_dim + qk_rope_dim (%" PRIu32
                   " + %" PRIu32 ") with multi-head latent attention",
                   c->head_dim, c->qk_nope_dim, c->qk_rope_dim);
  if (c->n_kv_heads != c->n_heads)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: n_kv_heads (%" PRIu32 ") must equal n_heads (%" PRIu32
                   ") with multi-head latent attention (a key and a value per head)",
                   c->n_kv_heads, c->n_heads);
  if ((uint64_t)c->v_head_dim * c->n_heads > MAX_DIM)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: v_head_dim %" PRIu32 " (v_head_dim * n_heads must be at most %u)",
                   c->v_head_dim, MAX_DIM);
  if (c->qkv_bias)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: qkv_bias with multi-head latent attention (it has no attn_q/k/v)");
  return SC_STATUS_OK;
}

/* DeepSeek's mixture-of-experts fields need experts; n_dense_layers leaves
 * at least one layer of experts. */
static sc_status check_moe(const sc_model_config *c, char *err, size_t err_size) {
  const struct {
    const char *name;
    uint32_t value;
  } f[] = {
      {"moe_hidden_dim", c->moe_hidden_dim},
      {"n_shared_experts", c->n_shared_experts},
      {"n_dense_layers", c->n_dense_layers},
  };
  if (c->n_experts == 0) {
    for (size_t i = 0; i < SC_ARRAY_LEN(f); i++)
      if (f[i].value != 0)
        return sc_errf(err, err_size, SC_STATUS_INVALID,
                       "config: %s is %" PRIu32 " without experts (n_experts 0; must be 0)",
                       f[i].name, f[i].value);
    return SC_STATUS_OK;
  }
  uint32_t width = c->moe_hidden_dim ? c->moe_hidden_dim : c->hidden_dim;
  if (c->moe_hidden_dim > MAX_DIM || (uint64_t)c->n_shared_experts * width > MAX_DIM)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: moe_hidden_dim %" PRIu32 " and n_shared_experts %" PRIu32
                   " (each expert and the shared ones together at most %u wide)",
                   c->moe_hidden_dim, c->n_shared_experts, MAX_DIM);
  if (c->n_dense_layers >= c->n_layers)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: n_dense_layers %" PRIu32 " must be below n_layers (%" PRIu32 ")",
                   c->n_dense_layers, c->n_layers);
  return SC_STATUS_OK;
}

sc_status llm_config_check(sc_model_config *c, char *err, size_t err_size) {
  const struct {
    const char *name;
    uint32_t value, max;
  } counts[] = {
      {"dim", c->dim, MAX_DIM},
      {"hidden_dim", c->hidden_dim, MAX_DIM},
      {"n_layers", c->n_layers, MAX_LAYERS},
      {"n_heads", c->n_heads, MAX_DIM},
      {"n_kv_heads", c->n_kv_heads, MAX_DIM},
      {"vocab_size", c->vocab_size, MAX_DIM},
      {"max_seq_len", c->max_seq_len, UINT32_MAX},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(counts); i++)
    if (counts[i].value < 1 || counts[i].value > counts[i].max)
      return sc_errf(err, err_size, SC_STATUS_INVALID,
                     "config: %s is %" PRIu32 " (must be 1 to %" PRIu32 ")", counts[i].name,
                     counts[i].value, counts[i].max);
  if (c->n_heads % c->n_kv_heads != 0)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: n_heads (%" PRIu32 ") is not a multiple of n_kv_heads (%" PRIu32 ")",
                   c->n_heads, c->n_kv_heads);
  sc_status st = check_mla(c, err, err_size);
  if (st != SC_STATUS_OK) return st;
  if ((st = check_moe(c, err, err_size)) != SC_STATUS_OK) return st;
  if (c->head_dim == 0) {
    if (c->dim % c->n_heads != 0)
      return sc_errf(err, err_size, SC_STATUS_INVALID,
                     "config: dim (%" PRIu32 ") is not a multiple of n_heads (%" PRIu32 ")", c->dim,
                     c->n_heads);
    c->head_dim = c->dim / c->n_heads;
  }
  /* with MLA only the qk_rope_dim part turns (checked even above) */
  if ((c->head_dim % 2 != 0 && c->kv_lora_rank == 0) ||
      (uint64_t)c->head_dim * c->n_heads > MAX_DIM)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: head_dim %" PRIu32 " (must be even, and head_dim * n_heads at most "
                   "%u)",
                   c->head_dim, MAX_DIM);
  if (!(c->rope_theta > 0.0f) || !(c->norm_eps >= 0.0f) || c->norm_eps > 1.0f)
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "config: rope_theta %g must be positive and norm_eps %g in [0, 1]",
                   (double)c->rope_theta, (double)c->norm_eps);
  if (c->rope_style != SC_ROPE_PAIRS && c->rope_style != SC_ROPE_HALVES)
    return sc_errf(err, err_size, SC_STATUS_INVALID, "config: unknown rope_style %d",
                   (int)c->rope_style);
  return SC_STATUS_OK;
}

sc_status llm_model_check(sc_model *m, char *err, size_t err_size) {
  sc_model_config *c = &m->cfg;
  sc_status st = llm_config_check(c, err, err_size);
  if (st != SC_STATUS_OK) return st;
  const uint64_t embd[2] = {c->vocab_size, c->dim}, norm[1] = {c->dim};
  if ((st = expect(m, "token_embd.weight", 2, embd, err, err_size)) ||
      (st = expect(m, "output_norm.weight", 1, norm, err, err_size)))
    return st;
  c->tied_embeddings = sc_model_tensor(m, "output.weight") == NULL;
  if (!c->tied_embeddings && (st = expect(m, "output.weight", 2, embd, err, err_size))) return st;
  llm_layer_tensor want[LLM_MAX_LAYER_TENSORS];
  uint32_t n = llm_layer_tensors(c, want);
  for (uint32_t l = 0; l < c->n_layers; l++) {
    char name[64];
    for (uint32_t i = 0; i < n; i++) {
      snprintf(name, sizeof name, "blk.%" PRIu32 ".%s", l, want[i].suffix);
      if ((st = expect(m, name, want[i].rank, want[i].shape, err, err_size))) return st;
    }
  }
  return SC_STATUS_OK;
}

/* ---- loading by contents ---- */

sc_status sc_model_load(const char *path, sc_model **out, char *err, size_t err_size) {
  *out = NULL;
  /* A directory or a shard index is a Hugging Face checkpoint. */
  struct stat sb;
  size_t plen = strlen(path);
  if ((stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) ||
      (plen >= 11 && strcmp(path + plen - 11, ".index.json") == 0))
    return llm_load_safetensors(path, out, err, err_size);
  FILE *f = fopen(path, "rb");
  if (!f) return sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", path, strerror(errno));
  uint8_t head[9] = {0};
  size_t got = fread(head, 1, sizeof head, f);
  fclose(f);
  if (got >= 4 && memcmp(head, "GGUF", 4) == 0) return llm_load_gguf(path, out, err, err_size);
  /* safetensors: a little-endian u64 header length, then the JSON header. */
  if (got == 9 && head[8] == '{') return llm_load_safetensors(path, out, err, err_size);
  return llm_load_llama2c(path, out, err, err_size);
}
