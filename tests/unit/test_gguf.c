/* test_gguf.c: the GGUF reader and model loader, tokenizers from GGUF
 * metadata and the GPT-2 byte-level BPE.
 *
 *  - stories260K.gguf loads with the MANIFEST's configuration, and every
 *    tensor is bit-identical to the llama2.c checkpoint of the same model;
 *  - llama.cpp's tokenizer vectors (gpt-2 and llama-spm) through
 *    sc_tok_from_gguf, plus byte-exact round trips of random text;
 *  - weight decoding (Q8_0, Q4_0, F16, BF16) of a small model this test writes
 *    with its own GGUF writer, against values chosen here;
 *  - errors: every truncation of the real file, bad magic and versions, absurd
 *    counts, unknown types, misaligned data, duplicates, wrong shapes, wrong
 *    metadata types, each with its message;
 *  - a mixture of experts (llama.expert_count, expert_used_count): its
 *    configuration through sc_model_config_load, the loader's refusal, and
 *    out-of-range counts.
 *
 * Real files come from $SEEDCHIP_MODELS, else $SEEDCHIP_SOURCE_DIR/../shared/models;
 * tests that need them skip, with the reason, when they are absent. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gguf_int.h"
#include "llm_int.h"
#include "seedchip/gguf.h"
#include "seedchip/model.h"
#include "seedchip/tokenizer.h"
#include "seedchip/util.h"
#include "../test_models.h"

/* ---- helpers ---- */

static uint8_t *read_all(const char *path, size_t *len) {
  uint8_t *data;
  char err[256];
  sc_status st = sc_read_file(path, (size_t)1 << 30, &data, len, err, sizeof err);
  if (st != SC_STATUS_OK) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  return data;
}

/* Writes data to a fresh temporary file; the caller removes it and frees the path. */
static char *write_temp(const void *data, size_t len) {
  const char *dir = getenv("TMPDIR");
  sc_strbuf p = {0};
  sc_strbuf_printf(&p, "%s/test_gguf_XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(p.data);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, len), (ssize_t)len);
  close(fd);
  return p.data;
}

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* ---- a GGUF writer, independent of the reader ---- */

typedef struct gw {
  sc_strbuf kv, ti, data;
  uint64_t n_kv, n_t;
  uint32_t align;
} gw;

static void put(sc_strbuf *b, const void *p, size_t n) {
  sc_strbuf_append(b, p, n);
}

static void put_u32(sc_strbuf *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  put(b, x, 4);
}

static void put_u64(sc_strbuf *b, uint64_t v) {
  put_u32(b, (uint32_t)v);
  put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(sc_strbuf *b, const char *s) {
  put_u64(b, strlen(s));
  put(b, s, strlen(s));
}

static void gw_key(gw *w, const char *key, uint32_t type) {
  put_str(&w->kv, key);
  put_u32(&w->kv, type);
  w->n_kv++;
}

static void gw_u32(gw *w, const char *key, uint32_t v) {
  gw_key(w, key, 4);
  put_u32(&w->kv, v);
}

static void gw_f32(gw *w, const char *key, float v) {
  gw_key(w, key, 6);
  put_u32(&w->kv, f32_bits(v));
}

static void gw_bool(gw *w, const char *key, bool v) {
  gw_key(w, key, 7);
  uint8_t b = v;
  put(&w->kv, &b, 1);
}

static void gw_str(gw *w, const char *key, const char *v) {
  gw_key(w, key, 8);
  put_str(&w->kv, v);
}

static void gw_arr_str(gw *w, const char *key, const char *const *v, size_t n) {
  gw_key(w, key, 9);
  put_u32(&w->kv, 8);
  put_u64(&w->kv, n);
  for (size_t i = 0; i < n; i++) put_str(&w->kv, v[i]);
}

static void gw_arr_f32(gw *w, const char *key, const float *v, size_t n) {
  gw_key(w, key, 9);
  put_u32(&w->kv, 6);
  put_u64(&w->kv, n);
  for (size_t i = 0; i < n; i++) put_u32(&w->kv, f32_bits(v[i]));
}

static void gw_arr_i32(gw *w, const char *key, const int32_t *v, size_t n) {
  gw_key(w, key, 9);
  put_u32(&w->kv, 5);
  put_u64(&w->kv, n);
  for (size_t i = 0; i < n; i++) put_u32(&w->kv, (uint32_t)v[i]);
}

static void pad_to(sc_strbuf *b, size_t base, uint32_t align) {
  static const uint8_t zero[64];
  while ((base + b->len) % align) put(b, zero, 1);
}

/* A tensor; skew adds to its data offset (to misalign it). */
static void gw_tensor_ex(gw *w, const char *name, uint32_t type, uint32_t rank, const uint64_t *ne,
                         const void *data, size_t n_bytes, uint64_t skew) {
  pad_to(&w->data, 0, w->align);
  put_str(&w->ti, name);
  put_u32(&w->ti, rank);
  for (uint32_t d = 0; d < rank; d++) put_u64(&w->ti, ne[d]);
  put_u32(&w->ti, type);
  put_u64(&w->ti, w->data.len + skew);
  put(&w->data, data, n_bytes);
  w->n_t++;
}

static void gw_tensor(gw *w, const char *name, uint32_t type, uint32_t rank, const uint64_t *ne,
                      const void *data, size_t n_bytes) {
  gw_tensor_ex(w, name, type, rank, ne, data, n_bytes, 0);
}

/* The file: header, metadata, tensor infos, padding, data. */
static uint8_t *gw_finish(gw *w, size_t *len) {
  sc_strbuf f = {0};
  put(&f, "GGUF", 4);
  put_u32(&f, 3);
  put_u64(&f, w->n_t);
  put_u64(&f, w->n_kv);
  put(&f, sc_strbuf_str(&w->kv), w->kv.len);
  put(&f, sc_strbuf_str(&w->ti), w->ti.len);
  if (w->n_t) {
    pad_to(&f, 0, w->align);
    put(&f, sc_strbuf_str(&w->data), w->data.len);
  }
  assert_false(f.oom);
  sc_strbuf_free(&w->kv);
  sc_strbuf_free(&w->ti);
  sc_strbuf_free(&w->data);
  *len = f.len;
  if (!f.data) f.data = calloc(1, 1);
  return (uint8_t *)f.data;
}

static void patch_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i);
}

static void patch_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i);
}

/* ---- the small model the test writes ---- */

/* dim 32, hidden 64, 1 layer, 2 heads of 16, 1 kv head, vocab 8, tied:
 * attn_q Q8_0, attn_k Q4_0, attn_v F16, attn_output BF16, the rest F32. The
 * values follow recipes the checks below recompute on their own. */
enum { T_DIM = 32, T_HIDDEN = 64, T_KV = 16, T_VOCAB = 8 };

static const uint16_t q8_scale_bits[3] = {0x3800, 0x3C00, 0xB400}; /* 0.5, 1, -0.25 */
static const float q8_scales[3] = {0.5f, 1.0f, -0.25f};
static const uint16_t q4_scale_bits[2] = {0x3400, 0x4000}; /* 0.25, 2 */
static const float q4_scales[2] = {0.25f, 2.0f};
static int8_t q8_value(uint64_t i) {
  return (int8_t)(uint8_t)((i * 37 + 11) & 0xFF);
}
static int q4_value(uint64_t block, unsigned j) {
  return (int)((block * 5 + j * 3) & 15);
}

/* F16 and BF16 bit patterns with their values, written out by hand. */
static const uint16_t f16_bits[8] = {0x3C00, 0xC000, 0x3555, 0x7BFF,
                                     0x0001, 0x8000, 0x03FF, 0x7C00};
static const uint32_t f16_f32_bits[8] = {0x3F800000u /* 1 */,
                                         0xC0000000u /* -2 */,
                                         0x3EAAA000u /* 0.333251953125 */,
                                         0x477FE000u /* 65504 */,
                                         0x33800000u /* 2^-24 */,
                                         0x80000000u /* -0 */,
                                         0x387FC000u /* 1023*2^-24 */,
                                         0x7F800000u /* inf */};
static const uint16_t bf16_bits[8] = {0x3F80, 0xC040, 0x3EAB, 0x7F7F,
                                      0x0001, 0x8000, 0x4049, 0xFF80};

static float f32_value(uint64_t i) {
  return (float)((int)(i % 19) - 9) * 0.125f;
}

typedef enum mutation {
  MUT_NONE,
  MUT_BLOCK_COUNT_STRING, /* llama.block_count is a string */
  MUT_NO_BLOCK_COUNT,     /* llama.block_count is missing */
  MUT_Q_SHAPE,            /* attn_q is [16, 32] */
  MUT_DUP_NAME,           /* attn_k is called attn_q too */
  MUT_MISALIGNED,         /* ffn_norm's data offset is 4 past an aligned one */
  MUT_Q4_1,               /* attn_q has type Q4_1, which the loader does not take */
  MUT_TYPE_31,            /* attn_q has type 31, which ggml removed */
  MUT_RANK_7,             /* attn_q has rank 7 */
  MUT_ALIGN_3,            /* general.alignment is 3 */
  MUT_ARCH_GPT2,          /* general.architecture is gpt2 */
  MUT_DUP_KEY,            /* general.name twice */
  MUT_NESTED_ARRAY,       /* an array of arrays */
  MUT_ROPE_FREQS,         /* Llama 3.1's rope_freqs.weight: 8 factors (head_dim 16) */
  MUT_ROPE_FREQS_SHORT,   /* rope_freqs.weight of 4 */
  MUT_EXPERTS,            /* llama.expert_count 4, expert_used_count 2 (Mixtral's keys) */
  MUT_EXPERTS_0,          /* expert_count 0 alone: dense */
  MUT_EXPERTS_NO_USED,    /* expert_count 4 without expert_used_count */
  MUT_EXPERTS_USED_0,     /* expert_count 4, expert_used_count 0 */
  MUT_EXPERTS_USED_5,     /* expert_count 4, expert_used_count 5 */
  MUT_EXPERTS_257,        /* expert_count 257, expert_used_count 2 */
  MUT_USED_NO_EXPERTS,    /* expert_used_count 2 without expert_count */
} mutation;

static uint8_t *f32_block(uint64_t n, uint64_t salt) {
  uint8_t *b = malloc(n * 4);
  for (uint64_t i = 0; i < n; i++) {
    uint32_t u = f32_bits(f32_value(i + salt));
    for (int k = 0; k < 4; k++) b[4 * i + (uint64_t)k] = (uint8_t)(u >> 8 * k);
  }
  return b;
}

/* An F32 tensor [rows, cols], or [cols] when rows is 0. */
static void add_f32(gw *w, const char *name, uint64_t rows, uint64_t cols, uint64_t salt) {
  uint64_t ne[2] = {cols, rows}, n = (rows ? rows : 1) * cols;
  uint8_t *b = f32_block(n, salt);
  gw_tensor(w, name, 0, rows ? 2 : 1, ne, b, (size_t)n * 4);
  free(b);
}

static uint8_t *tiny_model(mutation mut, size_t *len) {
  gw w = {.align = 32};
  if (mut == MUT_ALIGN_3) gw_u32(&w, "general.alignment", 3);
  gw_str(&w, "general.architecture", mut == MUT_ARCH_GPT2 ? "gpt2" : "llama");
  gw_str(&w, "general.name", "tiny");
  if (mut == MUT_DUP_KEY) gw_str(&w, "general.name", "again");
  gw_u32(&w, "llama.context_length", 64);
  gw_u32(&w, "llama.embedding_length", T_DIM);
  gw_u32(&w, "llama.feed_forward_length", T_HIDDEN);
  if (mut == MUT_BLOCK_COUNT_STRING)
    gw_str(&w, "llama.block_count", "1");
  else if (mut != MUT_NO_BLOCK_COUNT)
    gw_u32(&w, "llama.block_count", 1);
  gw_u32(&w, "llama.attention.head_count", 2);
  gw_u32(&w, "llama.attention.head_count_kv", 1);
  gw_u32(&w, "llama.rope.dimension_count", 16);
  gw_f32(&w, "llama.rope.freq_base", 500000.0f);
  gw_f32(&w, "llama.attention.layer_norm_rms_epsilon", 1e-6f);
  static const struct {
    mutation mut;
    uint32_t count, used; /* UINT32_MAX: key absent */
  } experts[] = {
      {MUT_EXPERTS, 4, 2},
      {MUT_EXPERTS_0, 0, UINT32_MAX},
      {MUT_EXPERTS_NO_USED, 4, UINT32_MAX},
      {MUT_EXPERTS_USED_0, 4, 0},
      {MUT_EXPERTS_USED_5, 4, 5},
      {MUT_EXPERTS_257, 257, 2},
      {MUT_USED_NO_EXPERTS, UINT32_MAX, 2},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(experts); i++)
    if (experts[i].mut == mut) {
      if (experts[i].count != UINT32_MAX) gw_u32(&w, "llama.expert_count", experts[i].count);
      if (experts[i].used != UINT32_MAX) gw_u32(&w, "llama.expert_used_count", experts[i].used);
    }
  if (mut == MUT_NESTED_ARRAY) {
    gw_key(&w, "nested", 9);
    put_u32(&w.kv, 9);
    put_u64(&w.kv, 0);
  }
  static const char *const toks[T_VOCAB] = {"<unk>", "<s>", "</s>",          "\xe2\x96\x81",
                                            "h",     "i",   "\xe2\x96\x81h", "\xe2\x96\x81hi"};
  static const float scores[T_VOCAB] = {0, 0, 0, -1, -2, -3, -4, -5};
  static const int32_t types[T_VOCAB] = {2, 3, 3, 1, 1, 1, 1, 1};
  gw_str(&w, "tokenizer.ggml.model", "llama");
  gw_arr_str(&w, "tokenizer.ggml.tokens", toks, T_VOCAB);
  gw_arr_f32(&w, "tokenizer.ggml.scores", scores, T_VOCAB);
  gw_arr_i32(&w, "tokenizer.ggml.token_type", types, T_VOCAB);

  add_f32(&w, "token_embd.weight", T_VOCAB, T_DIM, 1);
  add_f32(&w, "output_norm.weight", 0, T_DIM, 2);
  add_f32(&w, "blk.0.attn_norm.weight", 0, T_DIM, 3);

  /* attn_q: Q8_0, [32, 32] */
  {
    uint8_t blk[32 * 34];
    for (uint64_t b = 0; b < 32; b++) {
      uint8_t *p = blk + b * 34;
      p[0] = (uint8_t)q8_scale_bits[b % 3];
      p[1] = (uint8_t)(q8_scale_bits[b % 3] >> 8);
      for (unsigned j = 0; j < 32; j++) p[2 + j] = (uint8_t)q8_value(b * 32 + j);
    }
    uint64_t ne[7] = {T_DIM, mut == MUT_Q_SHAPE ? 16 : T_DIM, 1, 1, 1, 1, 1};
    uint32_t type = mut == MUT_Q4_1 ? 3 : mut == MUT_TYPE_31 ? 31 : 8;
    size_t n_bytes = mut == MUT_Q_SHAPE ? 16 * 34 : mut == MUT_Q4_1 ? 32 * 20 : sizeof blk;
    gw_tensor(&w, "blk.0.attn_q.weight", type, mut == MUT_RANK_7 ? 7 : 2, ne, blk, n_bytes);
  }
  /* attn_k: Q4_0, [16, 32] */
  {
    uint8_t blk[16 * 18];
    for (uint64_t b = 0; b < 16; b++) {
      uint8_t *p = blk + b * 18;
      p[0] = (uint8_t)q4_scale_bits[b % 2];
      p[1] = (uint8_t)(q4_scale_bits[b % 2] >> 8);
      for (unsigned k = 0; k < 16; k++)
        p[2 + k] = (uint8_t)(q4_value(b, k) | q4_value(b, k + 16) << 4);
    }
    uint64_t ne[2] = {T_DIM, T_KV};
    gw_tensor(&w, mut == MUT_DUP_NAME ? "blk.0.attn_q.weight" : "blk.0.attn_k.weight", 2, 2, ne,
              blk, sizeof blk);
  }
  /* attn_v: F16, [16, 32]; attn_output: BF16, [32, 32] */
  {
    uint8_t v[T_KV * T_DIM * 2], o[T_DIM * T_DIM * 2];
    for (unsigned i = 0; i < T_KV * T_DIM; i++) {
      v[2 * i] = (uint8_t)f16_bits[i % 8];
      v[2 * i + 1] = (uint8_t)(f16_bits[i % 8] >> 8);
    }
    for (unsigned i = 0; i < T_DIM * T_DIM; i++) {
      o[2 * i] = (uint8_t)bf16_bits[i % 8];
      o[2 * i + 1] = (uint8_t)(bf16_bits[i % 8] >> 8);
    }
    uint64_t nv[2] = {T_DIM, T_KV}, no[2] = {T_DIM, T_DIM};
    gw_tensor(&w, "blk.0.attn_v.weight", 1, 2, nv, v, sizeof v);
    gw_tensor(&w, "blk.0.attn_output.weight", 30, 2, no, o, sizeof o);
  }
  {
    uint64_t ne[1] = {T_DIM};
    uint8_t *b = f32_block(T_DIM, 4);
    gw_tensor_ex(&w, "blk.0.ffn_norm.weight", 0, 1, ne, b, T_DIM * 4,
                 mut == MUT_MISALIGNED ? 4 : 0);
    free(b);
  }
  add_f32(&w, "blk.0.ffn_gate.weight", T_HIDDEN, T_DIM, 5);
  add_f32(&w, "blk.0.ffn_up.weight", T_HIDDEN, T_DIM, 6);
  add_f32(&w, "blk.0.ffn_down.weight", T_DIM, T_HIDDEN, 7);
  if (mut == MUT_ROPE_FREQS || mut == MUT_ROPE_FREQS_SHORT) {
    uint64_t ne[1] = {mut == MUT_ROPE_FREQS ? 8u : 4u};
    uint8_t b[32];
    for (uint32_t j = 0; j < 8; j++) {
      uint32_t u = f32_bits(1.0f + 0.5f * (float)j);
      for (int k = 0; k < 4; k++) b[4 * j + (uint32_t)k] = (uint8_t)(u >> 8 * k);
    }
    gw_tensor(&w, "rope_freqs.weight", 0, 1, ne, b, (size_t)ne[0] * 4);
  }
  return gw_finish(&w, len);
}

/* Loads bytes written to a temporary file; returns the status, message in err. */
static sc_status load_bytes(const uint8_t *data, size_t len, sc_model **m, char *err, size_t n,
                            char **path_out) {
  char *path = write_temp(data, len);
  sc_status st = sc_model_load(path, m, err, n);
  remove(path);
  if (path_out)
    *path_out = path;
  else
    free(path);
  return st;
}

/* ---- stories260K ---- */

static void test_stories_config(void **state) {
  (void)state;
  char *path = test_model_path("gguf/stories260K.gguf");
  if (!path) skip();
  sc_model *m;
  char err[512];
  sc_status st = sc_model_load(path, &m, err, sizeof err);
  if (st) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  const sc_model_config *c = sc_model_config_of(m);
  assert_string_equal(sc_model_format(m), "gguf");
  assert_string_equal(c->arch, "llama");
  assert_int_equal(c->dim, 64);
  assert_int_equal(c->hidden_dim, 172);
  assert_int_equal(c->n_layers, 5);
  assert_int_equal(c->n_heads, 8);
  assert_int_equal(c->n_kv_heads, 4);
  assert_int_equal(c->head_dim, 8);
  assert_int_equal(c->vocab_size, 512);
  assert_int_equal(c->max_seq_len, 2048);
  assert_int_equal(c->rope_style, SC_ROPE_PAIRS);
  assert_true(c->rope_theta == 10000.0f);
  assert_true(c->norm_eps == 1e-5f);
  assert_false(c->tied_embeddings); /* the file has output.weight, a copy */
  assert_false(c->qkv_bias);
  assert_int_equal(sc_model_tensor_count(m), 48);
  const sc_tensor *q = sc_model_tensor(m, "blk.4.attn_k.weight");
  assert_non_null(q);
  assert_int_equal(q->rank, 2);
  assert_int_equal(q->shape[0], 32);
  assert_int_equal(q->shape[1], 64);
  sc_model_free(m);

  /* The reader's view of the same file (MANIFEST: v3, alignment 32, data at 14176). */
  size_t len;
  uint8_t *data = read_all(path, &len);
  sc_gguf *g;
  assert_int_equal(sc_gguf_open(data, len, "s.gguf", &g, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(sc_gguf_version(g), 3);
  assert_int_equal(sc_gguf_alignment(g), 32);
  assert_int_equal(sc_gguf_data_offset(g), 14176);
  assert_int_equal(sc_gguf_kv_count(g), 19);
  assert_int_equal(sc_gguf_tensor_count(g), 48);
  uint32_t v;
  assert_int_equal(sc_gguf_get_u32(g, "llama.block_count", &v, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(v, 5);
  assert_int_equal(sc_gguf_get_u32(g, "general.architecture", &v, err, sizeof err),
                   SC_STATUS_INVALID);
  assert_string_equal(
      err, "s.gguf: metadata key 4 'general.architecture': expected uint32, found string");
  assert_int_equal(sc_gguf_get_u32(g, "tokenizer.ggml.scores", &v, err, sizeof err),
                   SC_STATUS_INVALID);
  assert_string_equal(
      err,
      "s.gguf: metadata key 1 'tokenizer.ggml.scores': expected uint32, found array of float32");
  assert_int_equal(sc_gguf_get_u32(g, "llama.nothing", &v, err, sizeof err), SC_STATUS_NOT_FOUND);
  assert_string_equal(err, "s.gguf: metadata key 'llama.nothing' is missing");
  const sc_gguf_kv *toks;
  assert_int_equal(
      sc_gguf_get_array(g, "tokenizer.ggml.tokens", SC_GGUF_STRING, &toks, err, sizeof err),
      SC_STATUS_OK);
  assert_int_equal(toks->n, 512);
  const char *s;
  uint64_t slen;
  sc_gguf_string_at(toks, 1, &s, &slen);
  assert_int_equal(slen, 3);
  assert_memory_equal(s, "<s>", 3);
  const sc_gguf_tensor *t = sc_gguf_find_tensor(g, "token_embd.weight");
  assert_non_null(t);
  assert_int_equal(t->ne[0], 64);
  assert_int_equal(t->ne[1], 512);
  assert_int_equal(t->offset, 0);
  assert_ptr_equal(t->data, data + 14176);
  assert_null(sc_gguf_find_tensor(g, "nope"));
  sc_gguf_free(g);
  free(data);
  free(path);
}

/* Every tensor of the GGUF file equals the llama2.c checkpoint's tensor of the
 * same name, bit for bit (output.weight equals the tied token_embd). */
static void test_stories_matches_llama2c(void **state) {
  (void)state;
  char *gp = test_model_path("gguf/stories260K.gguf"),
       *lp = test_model_path("llama2c/stories260K.bin");
  if (!gp || !lp) {
    free(gp);
    free(lp);
    skip();
  }
  sc_model *g, *l;
  char err[512];
  assert_int_equal(sc_model_load(gp, &g, err, sizeof err), SC_STATUS_OK);
  sc_status st = sc_model_load(lp, &l, err, sizeof err);
  if (st) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  size_t compared = 0;
  for (size_t i = 0; i < sc_model_tensor_count(g); i++) {
    const sc_tensor *a = sc_model_tensor_at(g, i);
    const sc_tensor *b = sc_model_tensor(l, a->name);
    if (!b && strcmp(a->name, "output.weight") == 0) b = sc_model_tensor(l, "token_embd.weight");
    if (!b) {
      fprintf(stderr, "%s: not in the llama2.c model\n", a->name);
      fail();
    }
    assert_int_equal(a->type, SC_WTYPE_F32);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->rank, b->rank);
    for (uint32_t d = 0; d < a->rank; d++) assert_int_equal(a->shape[d], b->shape[d]);
    assert_int_equal(a->n_bytes, b->n_bytes);
    if (memcmp(a->data, b->data, a->n_bytes) != 0) {
      fprintf(stderr, "%s differs\n", a->name);
      fail();
    }
    compared++;
  }
  assert_int_equal(compared, 48);
  for (size_t i = 0; i < sc_model_tensor_count(l); i++)
    assert_non_null(sc_model_tensor(g, sc_model_tensor_at(l, i)->name));
  sc_model_free(g);
  sc_model_free(l);
  free(gp);
  free(lp);
}

/* ---- weight decoding through a file this test writes ---- */

static void expect_bits(float got, uint32_t want, const char *what, uint64_t i) {
  if (f32_bits(got) != want) {
    fprintf(stderr, "%s[%llu]: got %a (0x%08x), want 0x%08x\n", what, (unsigned long long)i,
            (double)got, f32_bits(got), want);
    fail();
  }
}

static void test_decode_formats(void **state) {
  (void)state;
  size_t len;
  uint8_t *file = tiny_model(MUT_NONE, &len);
  sc_model *m;
  char err[512];
  sc_status st = load_bytes(file, len, &m, err, sizeof err, NULL);
  if (st) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  const sc_model_config *c = sc_model_config_of(m);
  assert_int_equal(c->dim, 32);
  assert_int_equal(c->hidden_dim, 64);
  assert_int_equal(c->n_heads, 2);
  assert_int_equal(c->n_kv_heads, 1);
  assert_int_equal(c->head_dim, 16);
  assert_int_equal(c->vocab_size, T_VOCAB);
  assert_int_equal(c->max_seq_len, 64);
  assert_true(c->rope_theta == 500000.0f);
  assert_true(c->norm_eps == 1e-6f);
  assert_true(c->tied_embeddings);

  float out[T_DIM * T_HIDDEN];
  const sc_tensor *q = sc_model_tensor(m, "blk.0.attn_q.weight");
  assert_int_equal(q->type, SC_WTYPE_Q8_0);
  sc_tensor_to_f32(q, 0, T_DIM * T_DIM, out);
  for (uint64_t i = 0; i < T_DIM * T_DIM; i++)
    expect_bits(out[i], f32_bits(q8_scales[(i / 32) % 3] * (float)q8_value(i)), "Q8_0", i);

  const sc_tensor *k = sc_model_tensor(m, "blk.0.attn_k.weight");
  assert_int_equal(k->type, SC_WTYPE_Q4_0);
  assert_int_equal(k->shape[0], T_KV);
  assert_int_equal(k->shape[1], T_DIM);
  sc_tensor_to_f32(k, 0, T_KV * T_DIM, out);
  for (uint64_t i = 0; i < T_KV * T_DIM; i++) {
    uint64_t b = i / 32;
    float want = q4_scales[b % 2] * (float)(q4_value(b, (unsigned)(i % 32)) - 8);
    expect_bits(out[i], f32_bits(want), "Q4_0", i);
  }
  /* A window that starts inside a block. */
  sc_tensor_to_f32(k, 45, 3, out);
  for (uint64_t i = 45; i < 48; i++)
    expect_bits(out[i - 45], f32_bits(q4_scales[1] * (float)(q4_value(1, (unsigned)(i % 32)) - 8)),
                "Q4_0 window", i);

  const sc_tensor *v = sc_model_tensor(m, "blk.0.attn_v.weight");
  assert_int_equal(v->type, SC_WTYPE_F16);
  sc_tensor_to_f32(v, 0, T_KV * T_DIM, out);
  for (uint64_t i = 0; i < T_KV * T_DIM; i++) expect_bits(out[i], f16_f32_bits[i % 8], "F16", i);

  const sc_tensor *o = sc_model_tensor(m, "blk.0.attn_output.weight");
  assert_int_equal(o->type, SC_WTYPE_BF16);
  sc_tensor_to_f32(o, 0, T_DIM * T_DIM, out);
  for (uint64_t i = 0; i < T_DIM * T_DIM; i++)
    expect_bits(out[i], (uint32_t)bf16_bits[i % 8] << 16, "BF16", i);

  const sc_tensor *down = sc_model_tensor(m, "blk.0.ffn_down.weight");
  assert_int_equal(down->shape[0], T_DIM);
  assert_int_equal(down->shape[1], T_HIDDEN);
  sc_tensor_to_f32(down, 0, T_DIM * T_HIDDEN, out);
  for (uint64_t i = 0; i < T_DIM * T_HIDDEN; i++)
    expect_bits(out[i], f32_bits(f32_value(i + 7)), "F32", i);
  sc_model_free(m);

  /* The same file's tokenizer (SPM, 4 pieces). */
  sc_gguf *g;
  sc_tokenizer *t;
  assert_int_equal(sc_gguf_open(file, len, "tiny", &g, err, sizeof err), SC_STATUS_OK);
  st = llm_gguf_tokenizer(g, &t, err, sizeof err);
  if (st) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  assert_int_equal(sc_tok_kind_of(t), SC_TOK_SPM);
  assert_int_equal(sc_tok_vocab_size(t), T_VOCAB);
  assert_int_equal(sc_tok_bos(t), 1);
  assert_int_equal(sc_tok_eos(t), 2);
  assert_true(sc_tok_add_bos(t));
  int32_t ids[8];
  size_t n;
  assert_int_equal(sc_tok_encode(t, "hi", 2, true, ids, 8, &n), SC_STATUS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(ids[0], 1);
  assert_int_equal(ids[1], 7);
  sc_tok_free(t);
  sc_gguf_free(g);
  free(file);
}

/* ---- errors ---- */

/* Opens and builds bytes in memory; returns the status, message in err. */
static sc_status build_bytes(const uint8_t *data, size_t len, char *err, size_t n) {
  sc_gguf *g;
  sc_status st = sc_gguf_open(data, len, "f.gguf", &g, err, n);
  if (st) return st;
  sc_model *m = llm_model_new("gguf");
  assert_non_null(m);
  st = llm_gguf_build(m, g, err, n);
  sc_model_free(m);
  sc_gguf_free(g);
  return st;
}

static void expect_error(mutation mut, sc_status want, const char *msg) {
  size_t len;
  uint8_t *file = tiny_model(mut, &len);
  char err[512] = "";
  sc_status st = build_bytes(file, len, err, sizeof err);
  if (st != want || strcmp(err, msg) != 0) {
    fprintf(stderr, "mutation %d: got %s \"%s\"\n  want %s \"%s\"\n", (int)mut, sc_status_name(st),
            err, sc_status_name(want), msg);
    fail();
  }
  free(file);
}

static void test_errors_written(void **state) {
  (void)state;
  expect_error(MUT_BLOCK_COUNT_STRING, SC_STATUS_INVALID,
               "f.gguf: metadata key 5 'llama.block_count': expected uint32, found string");
  expect_error(MUT_NO_BLOCK_COUNT, SC_STATUS_NOT_FOUND,
               "f.gguf: metadata key 'llama.block_count' is missing");
  expect_error(MUT_Q_SHAPE, SC_STATUS_INVALID,
               "f.gguf: blk.0.attn_q.weight: expected [32, 32], found [16, 32]");
  expect_error(MUT_DUP_NAME, SC_STATUS_INVALID,
               "f.gguf: tensor name 'blk.0.attn_q.weight' appears twice (tensors 3 and 4)");
  expect_error(MUT_MISALIGNED, SC_STATUS_INVALID,
               "f.gguf: blk.0.ffn_norm.weight: data offset 5732 is not a multiple of the "
               "alignment 32");
  expect_error(MUT_Q4_1, SC_STATUS_UNSUPPORTED,
               "f.gguf: blk.0.attn_q.weight: tensor type 3 (Q4_1) is not supported (F32, F16, "
               "BF16, Q8_0, Q4_0)");
  expect_error(MUT_TYPE_31, SC_STATUS_INVALID,
               "f.gguf: tensor 3 'blk.0.attn_q.weight': unknown ggml type 31");
  expect_error(MUT_RANK_7, SC_STATUS_INVALID,
               "f.gguf: tensor 3 'blk.0.attn_q.weight': rank 7 exceeds 4");
  expect_error(MUT_ALIGN_3, SC_STATUS_INVALID,
               "f.gguf: metadata key 0 'general.alignment': 3 is not a power of two");
  expect_error(MUT_ARCH_GPT2, SC_STATUS_UNSUPPORTED,
               "f.gguf: general.architecture 'gpt2' is not supported (llama, qwen2, mistral, "
               "deepseek2)");
  expect_error(MUT_DUP_KEY, SC_STATUS_INVALID,
               "f.gguf: metadata key 'general.name' appears twice (keys 1 and 2)");
  expect_error(MUT_NESTED_ARRAY, SC_STATUS_UNSUPPORTED,
               "f.gguf: metadata key 11 'nested': arrays of arrays are not supported");
  expect_error(MUT_ROPE_FREQS_SHORT, SC_STATUS_INVALID,
               "f.gguf: rope_freqs.weight: F32 with head_dim / 2 = 8 elements expected, found "
               "F32 with 4");
  /* Llama 3.1's RoPE factors: read into the configuration, divisors of each pair's frequency */
  size_t flen;
  uint8_t *ffile = tiny_model(MUT_ROPE_FREQS, &flen);
  sc_gguf *fg;
  char ferr[512];
  assert_int_equal(sc_gguf_open(ffile, flen, "f.gguf", &fg, ferr, sizeof ferr), SC_STATUS_OK);
  sc_model *fm = llm_model_new("gguf");
  assert_non_null(fm);
  if (llm_gguf_build(fm, fg, ferr, sizeof ferr) != SC_STATUS_OK) fail_msg("%s", ferr);
  const sc_model_config *fc = sc_model_config_of(fm);
  assert_true(fc->rope_scaled);
  for (uint32_t j = 0; j < 8; j++) {
    assert_true(fc->rope_factors[j] == 1.0f + 0.5f * (float)j);
    float plain = 1.0f / powf(500000.0f, (float)(2 * j) / 16.0f);
    assert_true(sc_rope_freq(fc, j) == plain / fc->rope_factors[j]);
  }
  sc_model_free(fm);
  sc_gguf_free(fg);
  free(ffile);

  /* Header damage, on the valid file. */
  size_t len;
  uint8_t *file = tiny_model(MUT_NONE, &len);
  char err[512];
  uint8_t *bad = malloc(len);
  struct {
    size_t at;
    int width; /* 4 or 8 */
    uint64_t value;
    sc_status want;
    const char *msg;
  } cases[] = {
      {0, 4, 0x46554746, SC_STATUS_PARSE,
       "f.gguf: not a GGUF file (no \"GGUF\" magic at offset 0)"},
      {4, 4, 1, SC_STATUS_UNSUPPORTED, "f.gguf: GGUF version 1 is not supported (2 and 3 are)"},
      {4, 4, 4, SC_STATUS_UNSUPPORTED, "f.gguf: GGUF version 4 is not supported (2 and 3 are)"},
      {4, 4, 0x03000000, SC_STATUS_UNSUPPORTED,
       "f.gguf: big-endian GGUF (version field 0x03000000) is not supported"},
      {8, 8, (uint64_t)1 << 62, SC_STATUS_PARSE,
       NULL /* "tensor count 4611686018427387904 cannot fit ..." */},
      {16, 8, UINT64_MAX, SC_STATUS_PARSE, NULL},
      /* the first key's length */
      {24, 8, (uint64_t)1 << 40, SC_STATUS_PARSE,
       "f.gguf: metadata key 0: name length 1099511627776 at offset 24 (must be 1 to 65535)"},
      {24, 8, 0, SC_STATUS_PARSE,
       "f.gguf: metadata key 0: name length 0 at offset 24 (must be 1 to 65535)"},
      /* the first value's type (after "general.architecture", 20 bytes) */
      {52, 4, 77, SC_STATUS_PARSE,
       "f.gguf: metadata key 0 'general.architecture': unknown value type 77"},
      /* the first value's string length */
      {56, 8, UINT64_MAX - 3, SC_STATUS_PARSE, NULL},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    memcpy(bad, file, len);
    if (cases[i].width == 4)
      patch_u32(bad + cases[i].at, (uint32_t)cases[i].value);
    else
      patch_u64(bad + cases[i].at, cases[i].value);
    err[0] = '\0';
    sc_status st = build_bytes(bad, len, err, sizeof err);
    if (st != cases[i].want || (cases[i].msg && strcmp(err, cases[i].msg) != 0) || !err[0]) {
      fprintf(stderr, "case %zu: got %s \"%s\"\n", i, sc_status_name(st), err);
      fail();
    }
  }
  memcpy(bad, file, len);
  patch_u64(bad + 8, (uint64_t)1 << 62);
  assert_int_equal(build_bytes(bad, len, err, sizeof err), SC_STATUS_PARSE);
  char want[200];
  snprintf(want, sizeof want,
           "f.gguf: tensor count 4611686018427387904 cannot fit in the file (%zu bytes)", len);
  assert_string_equal(err, want);

  /* A file of only a header, and empty input. */
  assert_int_equal(build_bytes(file, 24, err, sizeof err), SC_STATUS_PARSE);
  assert_int_equal(build_bytes(file, 0, err, sizeof err), SC_STATUS_PARSE);
  free(bad);
  free(file);
}

/* A mixture of experts: llama.cpp writes Mixtral as `llama` with its expert
 * counts. The configuration is read (sc_model_config_load, from a file); the
 * loader refuses the weights instead of loading the file as a dense model;
 * counts out of range are errors naming the key. */
static void test_experts(void **state) {
  (void)state;
  size_t len;
  uint8_t *file = tiny_model(MUT_EXPERTS, &len);
  char err[512];
  /* in memory: the configuration, then the loader's refusal */
  sc_gguf *g;
  assert_int_equal(sc_gguf_open(file, len, "f.gguf", &g, err, sizeof err), SC_STATUS_OK);
  sc_model_config c = {0};
  if (llm_gguf_config(g, &c, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(c.n_experts, 4);
  assert_int_equal(c.n_experts_used, 2);
  sc_gguf_free(g);
  expect_error(MUT_EXPERTS, SC_STATUS_UNSUPPORTED,
               "f.gguf: llama.expert_count 4 (2 per token): mixture-of-experts weights are not "
               "loaded; use the configuration alone for timing-only runs (seedchip profile "
               "--config, seedchip bench --models)");
  /* from a file: sc_model_config_load reads it, sc_model_load refuses it */
  char *path = write_temp(file, len);
  if (sc_model_config_load(path, &c, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_string_equal(c.arch, "llama");
  assert_int_equal(c.dim, T_DIM);
  assert_int_equal(c.hidden_dim, T_HIDDEN); /* each expert's */
  assert_int_equal(c.n_layers, 1);
  assert_int_equal(c.n_heads, 2);
  assert_int_equal(c.n_kv_heads, 1);
  assert_int_equal(c.head_dim, 16);
  assert_int_equal(c.vocab_size, T_VOCAB);
  assert_int_equal(c.n_experts, 4);
  assert_int_equal(c.n_experts_used, 2);
  sc_model *m = (sc_model *)1;
  assert_int_equal(sc_model_load(path, &m, err, sizeof err), SC_STATUS_UNSUPPORTED);
  assert_null(m);
  char want[512];
  snprintf(want, sizeof want,
           "%s: llama.expert_count 4 (2 per token): mixture-of-experts weights are not loaded",
           path);
  if (strncmp(err, want, strlen(want)) != 0) fail_msg("got \"%s\"\nwant \"%s...\"", err, want);
  remove(path);
  free(path);
  free(file);
  /* expert_count 0 is a dense model, which loads */
  file = tiny_model(MUT_EXPERTS_0, &len);
  if (build_bytes(file, len, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  free(file);
  expect_error(MUT_EXPERTS_NO_USED, SC_STATUS_NOT_FOUND,
               "f.gguf: metadata key 'llama.expert_used_count' is missing");
  expect_error(MUT_EXPERTS_USED_0, SC_STATUS_INVALID,
               "f.gguf: llama.expert_used_count 0 must be 1 to llama.expert_count (4)");
  expect_error(MUT_EXPERTS_USED_5, SC_STATUS_INVALID,
               "f.gguf: llama.expert_used_count 5 must be 1 to llama.expert_count (4)");
  expect_error(MUT_EXPERTS_257, SC_STATUS_INVALID,
               "f.gguf: llama.expert_count 257 is above 256 experts");
  expect_error(MUT_USED_NO_EXPERTS, SC_STATUS_INVALID,
               "f.gguf: llama.expert_used_count 2 without experts (llama.expert_count absent or "
               "0)");
}

/* Every prefix of the real file is an error with a message, never a crash.
 * Prefixes are copied to buffers of exactly their size so that the sanitizer
 * build catches any read past them. */
static void test_truncations(void **state) {
  (void)state;
  char *path = test_model_path("gguf/stories260K.gguf");
  if (!path) skip();
  size_t len;
  uint8_t *data = read_all(path, &len);
  char err[512];
  sc_gguf *g;
  assert_int_equal(sc_gguf_open(data, len, "s", &g, err, sizeof err), SC_STATUS_OK);
  size_t header = (size_t)sc_gguf_data_offset(g);
  sc_gguf_free(g);
  bool quick = getenv("SEEDCHIP_TEST_QUICK") != NULL;
  size_t tried = 0;
  for (size_t n = 0; n < len; n += n < header ? (quick && n > 64 ? 7 : 1) : 4099) {
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, data, n);
    err[0] = '\0';
    sc_status st = build_bytes(copy, n, err, sizeof err);
    if (st == SC_STATUS_OK || !err[0]) {
      fprintf(stderr, "prefix %zu: %s \"%s\"\n", n, sc_status_name(st), err);
      fail();
    }
    if (n >= 4 && st != SC_STATUS_PARSE) {
      fprintf(stderr, "prefix %zu: %s \"%s\"\n", n, sc_status_name(st), err);
      fail();
    }
    free(copy);
    tried++;
  }
  assert_true(tried > 1000);

  /* Through the file loader: the message names the path and the tensor. */
  char *tmp = write_temp(data, len - 1);
  sc_model *m;
  assert_int_equal(sc_model_load(tmp, &m, err, sizeof err), SC_STATUS_PARSE);
  assert_null(m);
  char want[512];
  snprintf(want, sizeof want,
           "%s: blk.4.ffn_norm.weight: data [1185120, 1185376) runs past the end of the file "
           "(1185375 bytes)",
           tmp);
  assert_string_equal(err, want);
  remove(tmp);
  free(tmp);
  tmp = write_temp(data, 5000); /* inside the 512 token strings */
  assert_int_equal(sc_model_load(tmp, &m, err, sizeof err), SC_STATUS_PARSE);
  snprintf(want, sizeof want,
           "%s: metadata key 0 'tokenizer.ggml.tokens': string length at offset 4996 needs 8 bytes "
           "and runs past the end of the file (5000 bytes)",
           tmp);
  assert_string_equal(err, want);
  remove(tmp);
  free(tmp);
  free(data);
  free(path);
}

/* ---- tokenizers ---- */

/* Runs llama.cpp's test-tokenizer-0 vectors (strings separated by
 * "\n__ggml_vocab_test__\n", one line of ids per string, no bos) through t;
 * returns how many pass, *cases how many there are. */
static int run_vectors(const sc_tokenizer *t, const char *inp_path, const char *out_path,
                       int *cases, bool round_trip) {
  size_t inp_len, out_len;
  char *inp = (char *)read_all(inp_path, &inp_len);
  char *out = (char *)read_all(out_path, &out_len);
  const char *delim = "\n__ggml_vocab_test__\n";
  char *s = inp, *line = out, *end;
  int passed = 0;
  *cases = 0;
  enum { MAX_IDS = 2048 };
  int32_t *ids = malloc(MAX_IDS * sizeof *ids), *want = malloc(MAX_IDS * sizeof *want);
  while ((end = strstr(s, delim)) != NULL) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    size_t n_want = 0;
    for (char *p = line;;) {
      while (*p == ' ') p++;
      if (!*p || n_want == MAX_IDS) break;
      want[n_want++] = (int32_t)strtol(p, &p, 10);
    }
    size_t n, len = (size_t)(end - s);
    assert_int_equal(sc_tok_encode(t, s, len, false, ids, MAX_IDS, &n), SC_STATUS_OK);
    bool ok = n == n_want && memcmp(ids, want, n * sizeof *ids) == 0;
    if (!ok) {
      fprintf(stderr, "case %d \"%.*s\": got", *cases, (int)len, s);
      for (size_t i = 0; i < n && i < MAX_IDS; i++) fprintf(stderr, " %d", ids[i]);
      fprintf(stderr, "\n  want %s\n", line);
    }
    if (round_trip && n <= MAX_IDS) {
      sc_strbuf back = {0};
      for (size_t i = 0; i < n; i++) {
        char piece[256];
        size_t k = sc_tok_decode(t, i ? ids[i - 1] : -1, ids[i], piece, sizeof piece);
        sc_strbuf_append(&back, piece, k);
      }
      if (back.len != len || memcmp(sc_strbuf_str(&back), s, len) != 0) {
        fprintf(stderr, "case %d: decodes to \"%s\"\n", *cases, sc_strbuf_str(&back));
        ok = false;
      }
      sc_strbuf_free(&back);
    }
    passed += ok;
    (*cases)++;
    s = end + strlen(delim);
    line = nl ? nl + 1 : line + strlen(line);
  }
  free(ids);
  free(want);
  free(inp);
  free(out);
  return passed;
}

static sc_tokenizer *gguf_tok(const char *rel) {
  char *path = test_model_path(rel);
  if (!path) return NULL;
  sc_tokenizer *t;
  char err[512];
  sc_status st = sc_tok_from_gguf(path, &t, err, sizeof err);
  if (st) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  free(path);
  return t;
}

static void test_gpt2_vectors(void **state) {
  (void)state;
  char *inp = test_model_path("gguf-vocab/ggml-vocab-gpt-2.gguf.inp");
  char *out = test_model_path("gguf-vocab/ggml-vocab-gpt-2.gguf.out");
  sc_tokenizer *t = inp && out ? gguf_tok("gguf-vocab/ggml-vocab-gpt-2.gguf") : NULL;
  if (!t) {
    free(inp);
    free(out);
    skip();
  }
  assert_int_equal(sc_tok_kind_of(t), SC_TOK_BPE);
  assert_int_equal(sc_tok_vocab_size(t), 50257);
  assert_int_equal(sc_tok_bos(t), 50256);
  assert_int_equal(sc_tok_eos(t), 50256);
  assert_false(sc_tok_add_bos(t));
  int cases;
  int passed = run_vectors(t, inp, out, &cases, true);
  printf("gpt-2 vectors: %d of %d pass (ids and round trip)\n", passed, cases);
  assert_int_equal(cases, 46); /* MANIFEST.md says 47; the files hold 46 */
  assert_int_equal(passed, cases);

  /* Control tokens never come out of text; they decode to nothing. */
  int32_t ids[32];
  size_t n;
  assert_int_equal(sc_tok_encode(t, "<|endoftext|>", 13, false, ids, 32, &n), SC_STATUS_OK);
  assert_true(n > 1);
  for (size_t i = 0; i < n; i++) assert_int_not_equal(ids[i], 50256);
  char buf[8];
  assert_int_equal(sc_tok_decode(t, -1, 50256, buf, sizeof buf), 0);
  /* Too small a buffer: the count is still right, then a second call gets them all. */
  assert_int_equal(sc_tok_encode(t, "Hello world", 11, false, ids, 1, &n), SC_STATUS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(ids[0], 15496);
  sc_tok_free(t);
  free(inp);
  free(out);
}

/* Random bytes (valid UTF-8 or not) come back exactly through the GPT-2 vocab. */
static void test_gpt2_round_trips(void **state) {
  (void)state;
  sc_tokenizer *t = gguf_tok("gguf-vocab/ggml-vocab-gpt-2.gguf");
  if (!t) skip();
  static const char *const parts[] = {"a",
                                      "Z",
                                      " ",
                                      "  ",
                                      "\n",
                                      "\t",
                                      "'s",
                                      "'ll",
                                      "7",
                                      "42",
                                      "!",
                                      "...",
                                      "\xc3\xa9",
                                      "\xe2\x82\xac",
                                      "\xf0\x9f\x98\x80",
                                      "\xff",
                                      "\xc3",
                                      "\x80",
                                      "\xe4\xb8\xad",
                                      "\r\n",
                                      "\xc2\xa0"};
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  int32_t ids[1024];
  for (int iter = 0; iter < 500; iter++) {
    sc_strbuf text = {0};
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    int k = (int)(seed >> 59);
    for (int j = 0; j < k * 3; j++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      const char *p = parts[(seed >> 33) % SC_ARRAY_LEN(parts)];
      sc_strbuf_append(&text, p, strlen(p));
    }
    size_t n;
    assert_int_equal(sc_tok_encode(t, sc_strbuf_str(&text), text.len, false, ids, 1024, &n),
                     SC_STATUS_OK);
    assert_true(n <= 1024);
    sc_strbuf back = {0};
    for (size_t i = 0; i < n; i++) {
      char piece[256];
      size_t m = sc_tok_decode(t, i ? ids[i - 1] : -1, ids[i], piece, sizeof piece);
      sc_strbuf_append(&back, piece, m);
    }
    if (back.len != text.len || memcmp(sc_strbuf_str(&back), sc_strbuf_str(&text), text.len)) {
      fprintf(stderr, "round trip of \"%s\" gives \"%s\"\n", sc_strbuf_str(&text),
              sc_strbuf_str(&back));
      fail();
    }
    sc_strbuf_free(&back);
    sc_strbuf_free(&text);
  }
  sc_tok_free(t);
}

static void test_spm_vectors_from_gguf(void **state) {
  (void)state;
  char *inp = test_model_path("gguf-vocab/ggml-vocab-llama-spm.gguf.inp");
  char *out = test_model_path("gguf-vocab/ggml-vocab-llama-spm.gguf.out");
  sc_tokenizer *t = inp && out ? gguf_tok("gguf-vocab/ggml-vocab-llama-spm.gguf") : NULL;
  if (!t) {
    free(inp);
    free(out);
    skip();
  }
  assert_int_equal(sc_tok_kind_of(t), SC_TOK_SPM);
  assert_int_equal(sc_tok_vocab_size(t), 32000);
  assert_int_equal(sc_tok_bos(t), 1);
  assert_int_equal(sc_tok_eos(t), 2);
  assert_true(sc_tok_add_bos(t));
  int cases;
  int passed = run_vectors(t, inp, out, &cases, false);
  printf("llama-spm vectors through GGUF: %d of %d pass\n", passed, cases);
  assert_int_equal(cases, 46); /* MANIFEST.md says 47; the files hold 46 */
  assert_int_equal(passed, cases);
  sc_tok_free(t);
  free(inp);
  free(out);
}

/* stories260K.gguf embeds tok512: the same ids as the llama2.c tokenizer file. */
static void test_stories_tokenizer(void **state) {
  (void)state;
  char *tp = test_model_path("llama2c/tok512.bin");
  sc_tokenizer *g = tp ? gguf_tok("gguf/stories260K.gguf") : NULL;
  if (!g) {
    free(tp);
    skip();
  }
  sc_tokenizer *l;
  char err[256];
  assert_int_equal(sc_tok_load_llama2c(tp, 512, &l, err, sizeof err), SC_STATUS_OK);
  const char *texts[] = {"Once upon a time, there was a little girl named Lily.",
                         "  odd  spacing\tand\nlines ", "caf\xc3\xa9 \xf0\x9f\x98\x80 123"};
  for (size_t i = 0; i < SC_ARRAY_LEN(texts); i++) {
    int32_t a[256], b[256];
    size_t na, nb;
    assert_int_equal(sc_tok_encode(g, texts[i], strlen(texts[i]), true, a, 256, &na), SC_STATUS_OK);
    assert_int_equal(sc_tok_encode(l, texts[i], strlen(texts[i]), true, b, 256, &nb), SC_STATUS_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na * sizeof *a);
  }
  sc_tok_free(g);
  sc_tok_free(l);
  free(tp);
}

/* A hand-made byte-level BPE: merge order, ties, user-defined and control
 * pieces, decoding. */
static void test_bpe_small(void **state) {
  (void)state;
  /* "Ġ" is U+0120, GPT-2's code point for the byte ' '. */
  static const char *const pieces[] = {"a", "b", "c", "\xc4\xa0", "ab", "abc",  "\304\240a", "aa",
                                       "<", ">", "e", "o",        "t",  "<sp>", "<eot>"};
  enum { A, B, C, SP, AB, ABC, SPA, AA, LT, GT, E, O, T, USER, CTRL, N };
  static const char *const merges[] = {"a b", "ab c", "\xc4\xa0 a", "a a"};
  uint32_t lens[N], mlens[4];
  int32_t types[N];
  for (int i = 0; i < N; i++) {
    lens[i] = (uint32_t)strlen(pieces[i]);
    types[i] = i == USER ? SC_TOKT_USER_DEFINED : i == CTRL ? SC_TOKT_CONTROL : SC_TOKT_NORMAL;
  }
  for (int i = 0; i < 4; i++) mlens[i] = (uint32_t)strlen(merges[i]);
  sc_tok_vocab v = {.kind = SC_TOK_BPE,
                    .n = N,
                    .pieces = pieces,
                    .lens = lens,
                    .types = types,
                    .n_merges = 4,
                    .merges = merges,
                    .merge_lens = mlens,
                    .bos = -1,
                    .eos = CTRL,
                    .unk = -1};
  sc_tokenizer *t;
  char err[256];
  sc_status st = sc_tok_create(&v, &t, err, sizeof err);
  if (st) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  struct {
    const char *text;
    int n;
    int32_t ids[12];
  } cases[] = {
      {"abc", 1, {ABC}},               /* a b (rank 0), then ab c (rank 1) */
      {" ab", 2, {SP, AB}},            /* a b (0) beats Ġ a (2) */
      {" ac", 2, {SPA, C}},            /* Ġ a when nothing better */
      {"aaa", 2, {AA, A}},             /* equal ranks: leftmost first */
      {"ab<sp>a", 3, {AB, USER, A}},   /* user-defined pieces match verbatim */
      {"<eot>", 5, {LT, E, O, T, GT}}, /* control pieces never come out of text */
      {"a'sb", 3, {A, -1, B}},         /* "'s" is a word; "'" is no piece: dropped */
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    int32_t ids[16];
    size_t n;
    assert_int_equal(sc_tok_encode(t, cases[i].text, strlen(cases[i].text), false, ids, 16, &n),
                     SC_STATUS_OK);
    int32_t want[12];
    int k = 0;
    for (int j = 0; j < cases[i].n; j++)
      if (cases[i].ids[j] >= 0) want[k++] = cases[i].ids[j];
    if (n != (size_t)k || memcmp(ids, want, n * sizeof *ids) != 0) {
      fprintf(stderr, "\"%s\": got", cases[i].text);
      for (size_t j = 0; j < n; j++) fprintf(stderr, " %d", ids[j]);
      fprintf(stderr, "\n");
      fail();
    }
  }
  char buf[16];
  assert_int_equal(sc_tok_decode(t, -1, SPA, buf, sizeof buf), 2);
  assert_memory_equal(buf, " a", 2);
  assert_int_equal(sc_tok_decode(t, -1, USER, buf, sizeof buf), 4);
  assert_memory_equal(buf, "<sp>", 4);
  assert_int_equal(sc_tok_decode(t, -1, CTRL, buf, sizeof buf), 0);
  assert_int_equal(sc_tok_decode(t, -1, SPA, buf, 1), 1); /* truncated to the buffer */
  sc_tok_free(t);

  /* A merge that is not two pieces is refused. */
  static const char *const bad_merges[] = {"a b", "ab"};
  uint32_t bad_lens[2] = {3, 2};
  v.merges = bad_merges;
  v.merge_lens = bad_lens;
  v.n_merges = 2;
  assert_int_equal(sc_tok_create(&v, &t, err, sizeof err), SC_STATUS_INVALID);
  assert_string_equal(err, "tokenizer: merge 1 \"ab\" is not two pieces separated by a space");
}

/* Tokenizer metadata errors. */
static void test_tokenizer_metadata_errors(void **state) {
  (void)state;
  static const char *const toks[3] = {"a", "b", "ab"};
  static const float scores[2] = {0, 0};
  struct {
    int variant;
    sc_status want;
    const char *msg;
  } cases[] = {
      {0, SC_STATUS_OK, ""},
      {1, SC_STATUS_UNSUPPORTED,
       "v: tokenizer.ggml.pre 'falcon' is not supported (GPT-2's: 'gpt-2', 'default'; Llama-3's: "
       "'llama-bpe', 'llama3', 'llama-v3'; Qwen2's: 'qwen2')"},
      {2, SC_STATUS_INVALID,
       "v: metadata key 2 'tokenizer.ggml.bos_token_id': token id 7 is outside the vocabulary of "
       "3"},
      {3, SC_STATUS_INVALID, "v: metadata key 2 'tokenizer.ggml.scores': 2 elements for 3 tokens"},
      {4, SC_STATUS_UNSUPPORTED, "v: tokenizer.ggml.model 'bert' is not supported (llama, gpt2)"},
      {5, SC_STATUS_NOT_FOUND, "v: metadata key 'tokenizer.ggml.merges' is missing"},
      {6, SC_STATUS_OK, ""}, /* bos 0xFFFFFFFF = none */
      {7, SC_STATUS_OK, ""}, /* pre "llama-bpe": Llama-3's, add_bos, ignore_merges */
      {8, SC_STATUS_OK, ""}, /* pre "qwen2" */
      {9, SC_STATUS_OK, ""}, /* pre "llama3" with add_bos_token false */
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    gw w = {.align = 32};
    int var = cases[i].variant;
    gw_str(&w, "tokenizer.ggml.model", var == 3 ? "llama" : var == 4 ? "bert" : "gpt2");
    gw_arr_str(&w, "tokenizer.ggml.tokens", toks, 3);
    if (var == 1) gw_str(&w, "tokenizer.ggml.pre", "falcon");
    if (var == 7) gw_str(&w, "tokenizer.ggml.pre", "llama-bpe");
    if (var == 8) gw_str(&w, "tokenizer.ggml.pre", "qwen2");
    if (var == 9) gw_str(&w, "tokenizer.ggml.pre", "llama3");
    if (var == 9) gw_bool(&w, "tokenizer.ggml.add_bos_token", false);
    if (var == 2) gw_u32(&w, "tokenizer.ggml.bos_token_id", 7);
    if (var == 6) gw_u32(&w, "tokenizer.ggml.bos_token_id", 0xFFFFFFFFu);
    if (var == 3) gw_arr_f32(&w, "tokenizer.ggml.scores", scores, 2);
    static const char *const m[1] = {"a b"};
    if (var != 5 && var != 3) gw_arr_str(&w, "tokenizer.ggml.merges", m, 1);
    size_t len;
    uint8_t *file = gw_finish(&w, &len);
    sc_gguf *g;
    char err[512] = "";
    assert_int_equal(sc_gguf_open(file, len, "v", &g, err, sizeof err), SC_STATUS_OK);
    assert_int_equal(sc_gguf_tensor_count(g), 0);
    sc_tokenizer *t = NULL;
    sc_status st = llm_gguf_tokenizer(g, &t, err, sizeof err);
    if (st != cases[i].want || (st && strcmp(err, cases[i].msg) != 0)) {
      fprintf(stderr, "variant %d: got %s \"%s\"\n", var, sc_status_name(st), err);
      fail();
    }
    if (var == 6) assert_int_equal(sc_tok_bos(t), -1);
    if (st == SC_STATUS_OK) {
      sc_tok_pre want_pre = var == 7 || var == 9 ? SC_TOK_PRE_LLAMA3
                            : var == 8           ? SC_TOK_PRE_QWEN2
                                                 : SC_TOK_PRE_GPT2;
      assert_int_equal(sc_tok_pre_of(t), want_pre);
      assert_int_equal(sc_tok_add_bos(t), var == 7);
    }
    if (st == SC_STATUS_OK) {
      int32_t ids[4];
      size_t n;
      assert_int_equal(sc_tok_encode(t, "ab", 2, false, ids, 4, &n), SC_STATUS_OK);
      assert_int_equal(n, 1);
      assert_int_equal(ids[0], 2);
    }
    sc_tok_free(t);
    sc_gguf_free(g);
    free(file);
  }
}

/* ---- the fuzz seeds ---- */

/* The smallest model a GGUF can hold (dim 2, one layer, three tokens, F32 with
 * one F16 and one BF16 tensor), and a vocabulary-only GPT-2 file: the seeds of
 * tests/fuzz/corpus/fuzz_gguf, which must equal what this writes
 * (SEEDCHIP_UPDATE_CORPUS=1 rewrites them). */
static uint8_t *seed_model(size_t *len) {
  gw w = {.align = 32};
  gw_str(&w, "general.architecture", "llama");
  gw_u32(&w, "llama.context_length", 8);
  gw_u32(&w, "llama.embedding_length", 2);
  gw_u32(&w, "llama.feed_forward_length", 2);
  gw_u32(&w, "llama.block_count", 1);
  gw_u32(&w, "llama.attention.head_count", 1);
  gw_f32(&w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  static const char *const toks[3] = {"<unk>", "<s>", "\342\226\201a"};
  static const float scores[3] = {0, 0, -1};
  static const int32_t types[3] = {2, 3, 1};
  gw_str(&w, "tokenizer.ggml.model", "llama");
  gw_arr_str(&w, "tokenizer.ggml.tokens", toks, 3);
  gw_arr_f32(&w, "tokenizer.ggml.scores", scores, 3);
  gw_arr_i32(&w, "tokenizer.ggml.token_type", types, 3);
  gw_bool(&w, "tokenizer.ggml.add_bos_token", true);
  static const char *const names[] = {
      "token_embd.weight",        "output_norm.weight",    "blk.0.attn_norm.weight",
      "blk.0.attn_q.weight",      "blk.0.attn_k.weight",   "blk.0.attn_v.weight",
      "blk.0.attn_output.weight", "blk.0.ffn_norm.weight", "blk.0.ffn_gate.weight",
      "blk.0.ffn_up.weight",      "blk.0.ffn_down.weight"};
  for (size_t i = 0; i < SC_ARRAY_LEN(names); i++) {
    uint64_t ne[2] = {2, i == 0 ? 3 : 2};
    uint32_t rank = (i == 1 || i == 2 || i == 7) ? 1 : 2;
    uint32_t type = i == 5 ? 1 : i == 6 ? 30 : 0;
    uint8_t b[24];
    for (size_t k = 0; k < sizeof b; k++) b[k] = (uint8_t)(0x3C + k % 3);
    size_t n = (size_t)(ne[0] * (rank == 2 ? ne[1] : 1)) * (type ? 2 : 4);
    gw_tensor(&w, names[i], type, rank, ne, b, n);
  }
  return gw_finish(&w, len);
}

static uint8_t *seed_vocab(size_t *len) {
  gw w = {.align = 32};
  gw_str(&w, "general.architecture", "gpt2");
  gw_str(&w, "tokenizer.ggml.model", "gpt2");
  gw_str(&w, "tokenizer.ggml.pre", "gpt-2");
  static const char *const toks[6] = {"a", "b", "\xc4\xa0", "ab", "\304\240ab", "<|end|>"};
  static const int32_t types[6] = {1, 1, 1, 1, 1, 3};
  static const char *const merges[2] = {"a b", "\xc4\xa0 ab"};
  gw_arr_str(&w, "tokenizer.ggml.tokens", toks, 6);
  gw_arr_i32(&w, "tokenizer.ggml.token_type", types, 6);
  gw_arr_str(&w, "tokenizer.ggml.merges", merges, 2);
  gw_u32(&w, "tokenizer.ggml.eos_token_id", 5);
  return gw_finish(&w, len);
}

static void check_seed(const char *name, const uint8_t *want, size_t want_len) {
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  if (!src) {
    printf("skipped: the seed check needs SEEDCHIP_SOURCE_DIR (ctest sets it)\n");
    return;
  }
  sc_strbuf p = {0};
  sc_strbuf_printf(&p, "%s/tests/fuzz/corpus/fuzz_gguf/%s", src, name);
  char err[512];
  if (getenv("SEEDCHIP_UPDATE_CORPUS")) {
    assert_int_equal(sc_write_file(sc_strbuf_str(&p), want, want_len, err, sizeof err),
                     SC_STATUS_OK);
    printf("wrote %s (%zu bytes)\n", sc_strbuf_str(&p), want_len);
  }
  size_t len;
  uint8_t *have = read_all(sc_strbuf_str(&p), &len);
  if (len != want_len || memcmp(have, want, len) != 0) {
    fprintf(stderr, "%s is stale: rerun with SEEDCHIP_UPDATE_CORPUS=1\n", sc_strbuf_str(&p));
    fail();
  }
  free(have);
  sc_strbuf_free(&p);
}

static void test_fuzz_seeds(void **state) {
  (void)state;
  size_t len;
  char err[512];
  uint8_t *m = seed_model(&len);
  sc_status st = build_bytes(m, len, err, sizeof err);
  if (st) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  check_seed("tiny_model.seed", m, len);
  free(m);
  uint8_t *v = seed_vocab(&len);
  sc_gguf *g;
  sc_tokenizer *t;
  assert_int_equal(sc_gguf_open(v, len, "seed", &g, err, sizeof err), SC_STATUS_OK);
  st = llm_gguf_tokenizer(g, &t, err, sizeof err);
  if (st) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  int32_t ids[4];
  size_t n;
  assert_int_equal(sc_tok_encode(t, " ab", 3, false, ids, 4, &n), SC_STATUS_OK);
  assert_int_equal(n, 1);
  assert_int_equal(ids[0], 4);
  sc_tok_free(t);
  sc_gguf_free(g);
  check_seed("vocab_gpt2.seed", v, len);
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stories_config),
      cmocka_unit_test(test_stories_matches_llama2c),
      cmocka_unit_test(test_decode_formats),
      cmocka_unit_test(test_errors_written),
      cmocka_unit_test(test_experts),
      cmocka_unit_test(test_truncations),
      cmocka_unit_test(test_gpt2_vectors),
      cmocka_unit_test(test_gpt2_round_trips),
      cmocka_unit_test(test_spm_vectors_from_gguf),
      cmocka_unit_test(test_stories_tokenizer),
      cmocka_unit_test(test_bpe_small),
      cmocka_unit_test(test_tokenizer_metadata_errors),
      cmocka_unit_test(test_fuzz_seeds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
