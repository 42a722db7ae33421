/* llama2c.c: llama2.c "legacy v0" checkpoints (Karpathy's run.c format).
 *
 * Layout (all little-endian):
 *   header: 7 x int32 {dim, hidden_dim, n_layers, n_heads, n_kv_heads,
 *           vocab_size (negative: a separate classifier follows), seq_len}
 *   fp32 arrays, in this order (L = n_layers, kv_dim = n_kv_heads * head_size):
 *     token_embedding [vocab, dim]       rms_att [L, dim]
 *     wq [L, dim, dim]   wk [L, kv_dim, dim]   wv [L, kv_dim, dim]   wo [L, dim, dim]
 *     rms_ffn [L, dim]   w1 [L, hidden, dim]   w2 [L, dim, hidden]   w3 [L, hidden, dim]
 *     rms_final [dim]    freq_cis_real [seq_len, head_size/2]   freq_cis_imag (same)
 *     wcls [vocab, dim]  (only when vocab_size was negative)
 *
 * The model's tensors are views into the mapped file under canonical names
 * (w1 = ffn_gate, w3 = ffn_up, w2 = ffn_down); the RoPE tables are skipped
 * (run.c computes them). Every byte range is checked against the file size
 * before it is used, and bytes after the last array are an error, since they
 * usually mean a header that does not describe the file. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_int.h"
#include "seedchip/util.h"

#define HEADER_BYTES 28u

/* Limits on header fields: generous for any real model, small enough that the
 * byte sizes computed below cannot overflow 64 bits. */
#define MAX_DIM (1u << 20)
#define MAX_LAYERS 4096u
#define MAX_SEQ (1u << 24)

/* One array of the file: per-layer (n_layers slices of rows x cols) or not. */
typedef struct array {
  const char *name; /* canonical suffix ("attn_q.weight"), or a full name */
  bool per_layer;
  bool tensor; /* exposed as a tensor (the RoPE tables are not) */
  uint64_t rows, cols;
} array;

sc_status llm_llama2c_parse(sc_model *m, const uint8_t *base, uint64_t size, const char *name,
                            char *err, size_t err_size) {
  if (size < HEADER_BYTES)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: truncated: the header needs bytes [0, %u), the file has %" PRIu64, name,
                   HEADER_BYTES, size);
  int32_t h[7];
  for (int i = 0; i < 7; i++) {
    const uint8_t *p = base + 4 * i;
    h[i] = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
  }
  static const char *const field[7] = {"dim",        "hidden_dim", "n_layers", "n_heads",
                                       "n_kv_heads", "vocab_size", "seq_len"};
  const uint32_t max[7] = {MAX_DIM, MAX_DIM, MAX_LAYERS, MAX_DIM, MAX_DIM, MAX_DIM, MAX_SEQ};
  bool shared = h[5] > 0;
  for (int i = 0; i < 7; i++) {
    int64_t v = i == 5 ? (h[5] < 0 ? -(int64_t)h[5] : h[5]) : h[i];
    if (v < 1 || v > max[i])
      return sc_errf(err, err_size, SC_STATUS_PARSE,
                     "%s: header: %s is %" PRId32 " (must be %s1 to %" PRIu32 ")", name, field[i],
                     h[i], i == 5 ? "+-" : "", max[i]);
  }
  uint32_t dim = (uint32_t)h[0], hidden = (uint32_t)h[1], n_layers = (uint32_t)h[2];
  uint32_t n_heads = (uint32_t)h[3], n_kv_heads = (uint32_t)h[4], seq_len = (uint32_t)h[6];
  uint32_t vocab = (uint32_t)(h[5] < 0 ? -(int64_t)h[5] : h[5]);
  if (dim % n_heads != 0 || (dim / n_heads) % 2 != 0)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: header: dim %" PRIu32 " is not an even multiple of n_heads %" PRIu32
                   " (head size must be even)",
                   name, dim, n_heads);
  if (n_kv_heads > n_heads || n_heads % n_kv_heads != 0)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: header: n_heads %" PRIu32 " is not a multiple of n_kv_heads %" PRIu32, name,
                   n_heads, n_kv_heads);
  uint32_t head_size = dim / n_heads, kv_dim = n_kv_heads * head_size;

  sc_model_config *c = llm_model_config(m);
  snprintf(c->arch, sizeof c->arch, "llama");
  c->dim = dim;
  c->hidden_dim = hidden;
  c->n_layers = n_layers;
  c->n_heads = n_heads;
  c->n_kv_heads = n_kv_heads;
  c->head_dim = head_size;
  c->vocab_size = vocab;
  c->max_seq_len = seq_len;
  c->rope_theta = 10000.0f;
  c->norm_eps = 1e-5f;
  c->rope_style = SC_ROPE_PAIRS;

  const array arrays[] = {
      {"token_embd.weight", false, true, vocab, dim},
      {"attn_norm.weight", true, true, 1, dim},
      {"attn_q.weight", true, true, dim, dim},
      {"attn_k.weight", true, true, kv_dim, dim},
      {"attn_v.weight", true, true, kv_dim, dim},
      {"attn_output.weight", true, true, dim, dim},
      {"ffn_norm.weight", true, true, 1, dim},
      {"ffn_gate.weight", true, true, hidden, dim},
      {"ffn_down.weight", true, true, dim, hidden},
      {"ffn_up.weight", true, true, hidden, dim},
      {"output_norm.weight", false, true, 1, dim},
      {"freq_cis_real", false, false, seq_len, head_size / 2},
      {"freq_cis_imag", false, false, seq_len, head_size / 2},
      {"output.weight", false, true, vocab, dim},
  };
  size_t n_arrays = SC_ARRAY_LEN(arrays) - (shared ? 1 : 0);
  uint64_t off = HEADER_BYTES;
  char tname[64];
  for (size_t a = 0; a < n_arrays; a++) {
    const array *ar = &arrays[a];
    uint64_t bytes = ar->rows * ar->cols * 4; /* < 2^42 by the limits above */
    for (uint32_t l = 0; l < (ar->per_layer ? n_layers : 1); l++) {
      if (ar->per_layer)
        snprintf(tname, sizeof tname, "blk.%" PRIu32 ".%s", l, ar->name);
      else
        snprintf(tname, sizeof tname, "%s", ar->name);
      if (size < off + bytes)
        return sc_errf(err, err_size, SC_STATUS_PARSE,
                       "%s: truncated: %s needs bytes [%" PRIu64 ", %" PRIu64
                       "), the file has %" PRIu64,
                       name, tname, off, off + bytes, size);
      if (ar->tensor) {
        uint64_t shape[2] = {ar->rows, ar->cols};
        uint32_t rank = ar->rows == 1 ? 1 : 2;
        sc_status st =
            llm_model_add_tensor(m, tname, SC_WTYPE_F32, rank, rank == 1 ? shape + 1 : shape,
                                 base + off, bytes, err, err_size);
        if (st != SC_STATUS_OK) return st;
      }
      off += bytes;
    }
  }
  if (off != size) {
    uint64_t cls = (uint64_t)vocab * dim * 4;
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: %" PRIu64
                   " bytes of trailing data after the last array (which ends at %" PRIu64 ")%s",
                   name, size - off, off,
                   shared && size - off == cls
                       ? "; they are the size of a classifier: should vocab_size be negative?"
                       : "");
  }
  return llm_model_check(m, err, err_size);
}

sc_status llm_load_llama2c(const char *path, sc_model **out, char *err, size_t err_size) {
  *out = NULL;
  sc_model *m = llm_model_new("llama2.c");
  if (!m) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
  const uint8_t *base;
  uint64_t size;
  sc_status st = llm_model_map(m, path, &base, &size, err, err_size);
  if (st == SC_STATUS_OK) st = llm_llama2c_parse(m, base, size, path, err, err_size);
  if (st != SC_STATUS_OK) {
    sc_model_free(m);
    return st;
  }
  *out = m;
  return SC_STATUS_OK;
}
