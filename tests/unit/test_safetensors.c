/* test_safetensors.c: the safetensors loader against files this test writes
 * (no Hugging Face checkpoint is available offline):
 *  - synthetic tiny Llama / Qwen2 / Mistral checkpoints from a seeded
 *    xorshift, in F32, BF16, F16 and mixed dtypes, as one file, a directory
 *    and shards with an index, read back bit-exactly (raw bytes, and the FP32
 *    decoding against a decoder written here);
 *  - stories260K converted to Hugging Face layout (Q and K rows permuted from
 *    interleaved pairs to rotate-half, as HF's convert script does), whose
 *    reference logits (HALVES) must match the original's (PAIRS) over 32
 *    greedy steps, with the same tokens;
 *  - malformed files: every truncation, bad header lengths, bad JSON and
 *    UTF-8, offsets out of range / overlapping / reversed / with holes, wrong
 *    dtypes, missing or contradictory config keys, shapes that do not match the
 *    config, a sharded index pointing to a missing shard. Each must fail with
 *    the status and the message that names the place;
 *  - a Mixtral config.json (a mixture of experts) and a DeepSeek one
 *    (multi-head latent attention, with or without experts) are refused by
 *    the loaders, in memory, as a file and as a directory, before any tensor
 *    is read. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "llm_int.h"
#include "safetensors_int.h"
#include "seedchip/model.h"
#include "seedchip/reference.h"
#include "seedchip/util.h"

/* ---- a safetensors writer ---- */

#define MAX_T 160

typedef struct tw { /* one tensor of a file to write */
  char name[96];    /* Hugging Face name */
  char canon[64];   /* what the loader must call it; "" when it must drop it */
  char dtype[12];
  uint32_t rank;
  uint64_t shape[4];
  uint64_t begin, end; /* data offsets */
} tw;

typedef struct stf { /* a file to write: tensors and the data section */
  tw t[MAX_T];
  size_t n;
  uint8_t *data;
  size_t size, cap;
} stf;

static uint64_t rng_next(uint64_t *s) { /* xorshift64 */
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

static size_t dtype_size(const char *dtype) {
  if (strcmp(dtype, "F32") == 0 || strcmp(dtype, "I32") == 0) return 4;
  if (strcmp(dtype, "F64") == 0) return 8;
  if (strcmp(dtype, "U8") == 0) return 1;
  return 2;
}

static void stf_reserve(stf *f, size_t more) {
  if (f->size + more <= f->cap) return;
  size_t cap = f->cap ? f->cap : 4096;
  while (cap < f->size + more) cap *= 2;
  f->data = realloc(f->data, cap);
  assert_non_null(f->data);
  f->cap = cap;
}

/* Appends a tensor; bytes = NULL fills it from rng with finite values. */
static tw *stf_add(stf *f, const char *name, const char *canon, const char *dtype, uint32_t rank,
                   const uint64_t *shape, const void *bytes, uint64_t *rng) {
  assert_true(f->n < MAX_T);
  tw *t = &f->t[f->n++];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", name);
  snprintf(t->canon, sizeof t->canon, "%s", canon);
  snprintf(t->dtype, sizeof t->dtype, "%s", dtype);
  t->rank = rank;
  uint64_t n = 1;
  for (uint32_t i = 0; i < rank; i++) n *= (t->shape[i] = shape[i]);
  size_t es = dtype_size(dtype), nb = (size_t)n * es;
  stf_reserve(f, nb);
  t->begin = f->size;
  t->end = f->size + nb;
  uint8_t *p = f->data + f->size;
  f->size += nb;
  if (bytes) {
    memcpy(p, bytes, nb);
    return t;
  }
  for (uint64_t i = 0; i < n; i++) {
    uint64_t r = rng_next(rng);
    if (strcmp(dtype, "F32") == 0) { /* a multiple of 2^-23 in [-1, 1) */
      float v = (float)(int32_t)((r >> 40) - (1u << 23)) / (float)(1u << 23);
      memcpy(p + 4 * i, &v, 4);
    } else if (es == 2) {
      uint16_t b = (uint16_t)(r >> 17);
      if (strcmp(dtype, "BF16") == 0 && ((b >> 7) & 0xFF) == 0xFF) b ^= 0x4000; /* no inf/NaN */
      if (strcmp(dtype, "F16") == 0 && ((b >> 10) & 0x1F) == 0x1F) b ^= 0x4000;
      p[2 * i] = (uint8_t)b;
      p[2 * i + 1] = (uint8_t)(b >> 8);
    } else {
      for (size_t k = 0; k < es; k++) p[es * i + k] = (uint8_t)(r >> (8 * k));
    }
  }
  return t;
}

static void stf_free(stf *f) {
  free(f->data);
  memset(f, 0, sizeof *f);
}

/* The file's bytes: header length, header (padded with spaces so the data
 * starts at a multiple of 8, plus `misalign` more spaces), data. */
static uint8_t *stf_bytes(const stf *f, size_t misalign, size_t *len) {
  sc_strbuf h = {0};
  sc_strbuf_printf(&h, "{\"__metadata__\":{\"format\":\"pt\"}");
  for (size_t i = 0; i < f->n; i++) {
    const tw *t = &f->t[i];
    sc_strbuf_printf(&h, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->name, t->dtype);
    for (uint32_t k = 0; k < t->rank; k++)
      sc_strbuf_printf(&h, "%s%" PRIu64, k ? "," : "", t->shape[k]);
    sc_strbuf_printf(&h, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", t->begin, t->end);
  }
  sc_strbuf_printf(&h, "}");
  while ((8 + h.len) % 8 != 0) sc_strbuf_printf(&h, " ");
  for (size_t i = 0; i < misalign; i++) sc_strbuf_printf(&h, " ");
  assert_false(h.oom);
  *len = 8 + h.len + f->size;
  uint8_t *b = malloc(*len);
  assert_non_null(b);
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)h.len >> (8 * i));
  memcpy(b + 8, h.data, h.len);
  if (f->size) memcpy(b + 8 + h.len, f->data, f->size);
  sc_strbuf_free(&h);
  return b;
}

/* A file of raw header text and data (header length as given). */
static uint8_t *raw_bytes(const char *header, uint64_t header_len, const void *data, size_t n,
                          size_t *len) {
  size_t hl = strlen(header);
  *len = 8 + hl + n;
  uint8_t *b = malloc(*len + 1);
  assert_non_null(b);
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(header_len >> (8 * i));
  memcpy(b + 8, header, hl);
  if (n) memcpy(b + 8 + hl, data, n);
  return b;
}

/* Tensors [from, to) of src as a file of their own (offsets rebased). */
static void stf_subset(const stf *src, size_t from, size_t to, stf *dst) {
  memset(dst, 0, sizeof *dst);
  for (size_t i = from; i < to; i++) {
    const tw *t = &src->t[i];
    tw *d =
        stf_add(dst, t->name, t->canon, t->dtype, t->rank, t->shape, src->data + t->begin, NULL);
    assert_true(d->end - d->begin == t->end - t->begin);
  }
}

/* ---- synthetic models ---- */

typedef struct spec {
  const char *model_type; /* "llama", "qwen2", "mistral" */
  uint32_t dim, hidden, layers, heads, kv_heads, head_dim /* 0: not in the config */, vocab;
  uint32_t max_pos;
  bool tie;               /* tie_word_embeddings */
  bool lm_head;           /* write lm_head.weight (dropped when tied) */
  bool inv_freq;          /* write rotary_emb.inv_freq buffers (dropped) */
  const char *dtype;      /* of the matrices */
  const char *norm_dtype; /* of the norms and biases */
  const char *extra;      /* more config members ("\"k\": v"), or NULL */
  uint32_t want_seq;      /* the max_seq_len expected (0: max_pos) */
} spec;

static const spec tiny = {"llama", 16,    40,   2,     4,     2,     0,    32,
                          64,      false, true, false, "F32", "F32", NULL, 0};

static uint32_t head_dim_of(const spec *s) {
  return s->head_dim ? s->head_dim : s->dim / s->heads;
}

static void make_model(const spec *s, uint64_t seed, stf *f) {
  memset(f, 0, sizeof *f);
  uint64_t rng = seed, hd = head_dim_of(s), q = s->heads * hd, kv = s->kv_heads * hd;
  bool bias = strcmp(s->model_type, "qwen2") == 0;
  char hf[96], cn[64];
  stf_add(f, "model.embed_tokens.weight", "token_embd.weight", s->dtype, 2,
          (uint64_t[]){s->vocab, s->dim}, NULL, &rng);
  for (uint32_t l = 0; l < s->layers; l++) {
    const struct {
      const char *hf, *canon;
      bool norm;
      uint32_t rank;
      uint64_t a, b;
    } rows[] = {
        {"input_layernorm.weight", "attn_norm.weight", true, 1, s->dim, 0},
        {"self_attn.q_proj.weight", "attn_q.weight", false, 2, q, s->dim},
        {"self_attn.k_proj.weight", "attn_k.weight", false, 2, kv, s->dim},
        {"self_attn.v_proj.weight", "attn_v.weight", false, 2, kv, s->dim},
        {"self_attn.q_proj.bias", "attn_q.bias", true, 1, q, 0},
        {"self_attn.k_proj.bias", "attn_k.bias", true, 1, kv, 0},
        {"self_attn.v_proj.bias", "attn_v.bias", true, 1, kv, 0},
        {"self_attn.o_proj.weight", "attn_output.weight", false, 2, s->dim, q},
        {"post_attention_layernorm.weight", "ffn_norm.weight", true, 1, s->dim, 0},
        {"mlp.gate_proj.weight", "ffn_gate.weight", false, 2, s->hidden, s->dim},
        {"mlp.up_proj.weight", "ffn_up.weight", false, 2, s->hidden, s->dim},
        {"mlp.down_proj.weight", "ffn_down.weight", false, 2, s->dim, s->hidden},
        {"self_attn.rotary_emb.inv_freq", "", true, 1, hd / 2, 0},
    };
    for (size_t i = 0; i < SC_ARRAY_LEN(rows); i++) {
      if (strstr(rows[i].hf, "bias") && !bias) continue;
      if (strstr(rows[i].hf, "inv_freq") && !s->inv_freq) continue;
      snprintf(hf, sizeof hf, "model.layers.%" PRIu32 ".%s", l, rows[i].hf);
      if (rows[i].canon[0])
        snprintf(cn, sizeof cn, "blk.%" PRIu32 ".%s", l, rows[i].canon);
      else
        cn[0] = '\0';
      stf_add(f, hf, cn,
              strstr(rows[i].hf, "inv_freq") ? "F32"
              : rows[i].norm                 ? s->norm_dtype
                                             : s->dtype,
              rows[i].rank, (uint64_t[]){rows[i].a, rows[i].b}, NULL, &rng);
    }
  }
  stf_add(f, "model.norm.weight", "output_norm.weight", s->norm_dtype, 1, (uint64_t[]){s->dim},
          NULL, &rng);
  if (s->lm_head)
    stf_add(f, "lm_head.weight", s->tie ? "" : "output.weight", s->dtype, 2,
            (uint64_t[]){s->vocab, s->dim}, NULL, &rng);
}

static char *config_json(const spec *s) {
  static const struct {
    const char *type, *cls;
  } classes[] = {{"llama", "LlamaForCausalLM"},
                 {"qwen2", "Qwen2ForCausalLM"},
                 {"mistral", "MistralForCausalLM"}};
  const char *cls = "?";
  for (size_t i = 0; i < SC_ARRAY_LEN(classes); i++)
    if (strcmp(classes[i].type, s->model_type) == 0) cls = classes[i].cls;
  sc_strbuf b = {0};
  sc_strbuf_printf(&b,
                   "{\n  \"architectures\": [\"%s\"],\n  \"model_type\": \"%s\",\n"
                   "  \"hidden_size\": %" PRIu32 ",\n  \"intermediate_size\": %" PRIu32 ",\n"
                   "  \"num_hidden_layers\": %" PRIu32 ",\n  \"num_attention_heads\": %" PRIu32
                   ",\n  \"num_key_value_heads\": %" PRIu32 ",\n  \"vocab_size\": %" PRIu32
                   ",\n  \"max_position_embeddings\": %" PRIu32 ",\n  \"rope_theta\": 500000.0,\n"
                   "  \"rms_norm_eps\": 1e-05,\n  \"hidden_act\": \"silu\",\n"
                   "  \"rope_scaling\": null,\n  \"torch_dtype\": \"bfloat16\",\n"
                   "  \"tie_word_embeddings\": %s",
                   cls, s->model_type, s->dim, s->hidden, s->layers, s->heads, s->kv_heads,
                   s->vocab, s->max_pos, s->tie ? "true" : "false");
  if (s->head_dim) sc_strbuf_printf(&b, ",\n  \"head_dim\": %" PRIu32, s->head_dim);
  if (s->extra) sc_strbuf_printf(&b, ",\n  %s", s->extra);
  sc_strbuf_printf(&b, "\n}\n");
  assert_false(b.oom);
  return b.data;
}

/* ---- checking what was loaded ---- */

static float f16_decode(uint16_t h) { /* independent of sc_fp16_to_f32 */
  int e = (h >> 10) & 0x1F, m = h & 0x3FF;
  float v = e == 0 ? ldexpf((float)m, -24) : ldexpf((float)(m | 0x400), e - 25);
  return (h & 0x8000) ? -v : v;
}

static float decode(const char *dtype, const uint8_t *p, uint64_t i) {
  uint32_t u;
  float v;
  if (strcmp(dtype, "F32") == 0) {
    u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
        (uint32_t)p[4 * i + 3] << 24;
  } else {
    uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
    if (strcmp(dtype, "F16") == 0) return f16_decode(h);
    u = (uint32_t)h << 16; /* BF16 */
  }
  memcpy(&v, &u, 4);
  return v;
}

static sc_wtype wtype_of(const char *dtype) {
  return strcmp(dtype, "F32") == 0   ? SC_WTYPE_F32
         : strcmp(dtype, "F16") == 0 ? SC_WTYPE_F16
                                     : SC_WTYPE_BF16;
}

static void check_model(const sc_model *m, const spec *s, const stf *const *files, size_t n_files) {
  const sc_model_config *c = sc_model_config_of(m);
  assert_string_equal(sc_model_format(m), "safetensors");
  assert_string_equal(c->arch, s->model_type);
  assert_int_equal(c->dim, s->dim);
  assert_int_equal(c->hidden_dim, s->hidden);
  assert_int_equal(c->n_layers, s->layers);
  assert_int_equal(c->n_heads, s->heads);
  assert_int_equal(c->n_kv_heads, s->kv_heads);
  assert_int_equal(c->head_dim, head_dim_of(s));
  assert_int_equal(c->vocab_size, s->vocab);
  assert_int_equal(c->max_seq_len, s->want_seq ? s->want_seq : s->max_pos);
  assert_true(c->rope_theta == 500000.0f);
  assert_true(c->norm_eps == 1e-5f);
  assert_int_equal(c->rope_style, SC_ROPE_HALVES);
  assert_int_equal(c->tied_embeddings, s->tie);
  assert_int_equal(c->qkv_bias, strcmp(s->model_type, "qwen2") == 0);
  size_t want = 0;
  float *got = NULL;
  for (size_t k = 0; k < n_files; k++) {
    const stf *f = files[k];
    for (size_t i = 0; i < f->n; i++) {
      const tw *w = &f->t[i];
      if (!w->canon[0]) continue;
      want++;
      const sc_tensor *t = sc_model_tensor(m, w->canon);
      if (!t) fail_msg("%s (%s) missing", w->canon, w->name);
      assert_int_equal(t->type, wtype_of(w->dtype));
      assert_int_equal(t->rank, w->rank);
      for (uint32_t d = 0; d < w->rank; d++) assert_true(t->shape[d] == w->shape[d]);
      assert_true(t->n_bytes == w->end - w->begin);
      assert_memory_equal(t->data, f->data + w->begin, (size_t)t->n_bytes);
      assert_true((uintptr_t)t->data % dtype_size(w->dtype) == 0);
      got = realloc(got, (size_t)t->n_elems * sizeof *got);
      assert_non_null(got);
      sc_tensor_to_f32(t, 0, t->n_elems, got);
      for (uint64_t e = 0; e < t->n_elems; e++) {
        float r = decode(w->dtype, f->data + w->begin, e);
        if (memcmp(&r, &got[e], 4) != 0)
          fail_msg("%s[%" PRIu64 "]: decoded %a, want %a", w->canon, e, (double)got[e], (double)r);
      }
    }
  }
  free(got);
  assert_int_equal(sc_model_tensor_count(m), want);
}

/* ---- files ---- */

static char *make_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  sc_strbuf p = {0};
  sc_strbuf_printf(&p, "%s/sc_safetensors_XXXXXX", base && *base ? base : "/tmp");
  assert_non_null(mkdtemp(p.data));
  return p.data;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

static void rm_tree(char *dir) {
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(dir);
}

static char *join(const char *dir, const char *name) {
  sc_strbuf p = {0};
  sc_strbuf_printf(&p, "%s/%s", dir, name);
  assert_false(p.oom);
  return p.data;
}

static void put(const char *dir, const char *name, const void *data, size_t len) {
  char *p = join(dir, name);
  char err[256];
  sc_status st = sc_write_file(p, data, len, err, sizeof err);
  if (st != SC_STATUS_OK) fail_msg("%s", err);
  free(p);
}

static void put_text(const char *dir, const char *name, const char *text) {
  put(dir, name, text, strlen(text));
}

static void put_stf(const char *dir, const char *name, const stf *f, size_t misalign) {
  size_t len;
  uint8_t *b = stf_bytes(f, misalign, &len);
  put(dir, name, b, len);
  free(b);
}

static sc_model *load_ok(const char *path) {
  sc_model *m = NULL;
  char err[512] = "";
  sc_status st = llm_load_safetensors(path, &m, err, sizeof err);
  if (st != SC_STATUS_OK) fail_msg("%s: %s", path, err);
  assert_non_null(m);
  return m;
}

/* Loading path fails with status st and a message holding want (exactly equal
 * to it when exact). */
static void load_fails(const char *path, sc_status st, const char *want) {
  sc_model *m = (sc_model *)1;
  char err[512] = "";
  sc_status got = llm_load_safetensors(path, &m, err, sizeof err);
  assert_null(m);
  if (got != st || !strstr(err, want))
    fail_msg("%s: got %s \"%s\", want %s \"%s\"", path, sc_status_name(got), err,
             sc_status_name(st), want);
}

/* ---- (a) synthetic models read back ---- */

static void roundtrip(const spec *s, bool sharded, size_t misalign, uint64_t seed) {
  char *dir = make_tmpdir();
  char *cfg = config_json(s);
  put_text(dir, "config.json", cfg);
  stf f;
  make_model(s, seed, &f);
  if (!sharded) {
    put_stf(dir, "model.safetensors", &f, misalign);
    const stf *files[] = {&f};
    char *file = join(dir, "model.safetensors");
    sc_model *m = load_ok(file); /* the file */
    check_model(m, s, files, 1);
    sc_model_free(m);
    m = load_ok(dir); /* its directory */
    check_model(m, s, files, 1);
    sc_model_free(m);
    char err[512] = "";
    if (sc_model_load(file, &m, err, sizeof err) != SC_STATUS_OK) /* dispatch by contents */
      fail_msg("%s", err);
    check_model(m, s, files, 1);
    sc_model_free(m);
    /* the in-memory entry point, on the same bytes */
    size_t len;
    uint8_t *b = stf_bytes(&f, misalign, &len);
    sc_status st = llm_safetensors_parse(cfg, strlen(cfg), b, len, &m, err, sizeof err);
    if (st != SC_STATUS_OK) fail_msg("%s", err);
    check_model(m, s, files, 1);
    sc_model_free(m);
    free(b);
    free(file);
  } else {
    stf a, b;
    stf_subset(&f, 0, f.n / 2, &a);
    stf_subset(&f, f.n / 2, f.n, &b);
    put_stf(dir, "model-00001-of-00002.safetensors", &a, misalign);
    put_stf(dir, "model-00002-of-00002.safetensors", &b, 0);
    sc_strbuf idx = {0};
    sc_strbuf_printf(&idx, "{\"metadata\": {\"total_size\": %zu},\n \"weight_map\": {", f.size);
    for (size_t i = 0; i < f.n; i++)
      sc_strbuf_printf(&idx, "%s\n  \"%s\": \"model-0000%d-of-00002.safetensors\"", i ? "," : "",
                       f.t[i].name, i < f.n / 2 ? 1 : 2);
    sc_strbuf_printf(&idx, "}}\n");
    put_text(dir, "model.safetensors.index.json", idx.data);
    sc_strbuf_free(&idx);
    const stf *files[] = {&a, &b};
    sc_model *m = load_ok(dir);
    check_model(m, s, files, 2);
    sc_model_free(m);
    char *index = join(dir, "model.safetensors.index.json");
    m = load_ok(index);
    check_model(m, s, files, 2);
    sc_model_free(m);
    free(index);
    stf_free(&a);
    stf_free(&b);
  }
  stf_free(&f);
  free(cfg);
  rm_tree(dir);
}

static void test_llama_f32(void **state) {
  (void)state;
  roundtrip(&tiny, false, 0, 0x1234567);
}

static void test_llama_bf16_tied(void **state) {
  (void)state;
  spec s = tiny;
  s.dtype = s.norm_dtype = "BF16";
  s.tie = true;
  s.lm_head = false;
  s.inv_freq = true;
  roundtrip(&s, false, 0, 42);
}

static void test_llama_f16_misaligned(void **state) {
  (void)state;
  spec s = tiny;
  s.dtype = s.norm_dtype = "F16";
  roundtrip(&s, false, 1, 7); /* every tensor is copied to an aligned block */
  s.dtype = s.norm_dtype = "F32";
  roundtrip(&s, false, 2, 8);
}

static void test_mixed_dtypes(void **state) {
  (void)state;
  spec s = tiny;
  s.dtype = "BF16";
  s.norm_dtype = "F32";
  roundtrip(&s, false, 0, 9);
  s.dtype = "F16";
  s.norm_dtype = "BF16";
  roundtrip(&s, false, 0, 10);
}

static void test_qwen2_biases(void **state) {
  (void)state;
  spec s = tiny;
  s.model_type = "qwen2";
  s.dtype = "BF16";
  s.tie = true;
  s.lm_head = true; /* present but tied: Hugging Face ignores it, so do we */
  s.extra = "\"use_sliding_window\": false, \"sliding_window\": 4, \"max_window_layers\": 28";
  roundtrip(&s, false, 0, 11);
}

static void test_mistral_head_dim(void **state) {
  (void)state;
  spec s = tiny;
  s.model_type = "mistral";
  s.head_dim = 8; /* not dim / heads = 4 */
  s.kv_heads = 1;
  s.extra = "\"sliding_window\": 48";
  s.want_seq = 48;
  char *dir = make_tmpdir();
  char *cfg = config_json(&s);
  put_text(dir, "config.json", cfg);
  stf f;
  make_model(&s, 12, &f);
  put_stf(dir, "model.safetensors", &f, 0);
  sc_model *m = load_ok(dir);
  const stf *files[] = {&f};
  check_model(m, &s, files, 1);
  /* a sliding window is full attention up to its length: the context is capped there */
  assert_int_equal(sc_model_config_of(m)->max_seq_len, 48);
  sc_model_free(m);
  stf_free(&f);
  free(cfg);
  rm_tree(dir);
}

static void test_sharded(void **state) {
  (void)state;
  roundtrip(&tiny, true, 0, 13);
  spec s = tiny;
  s.dtype = "BF16";
  s.model_type = "qwen2";
  roundtrip(&s, true, 1, 14);
}

static void test_config_defaults(void **state) {
  (void)state;
  /* Only the required keys, and model_type alone: HF's defaults for the rest. */
  const char *cfg = "{\"model_type\": \"llama\", \"hidden_size\": 16, \"intermediate_size\": 40,"
                    " \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                    " \"vocab_size\": 32, \"max_position_embeddings\": 64,"
                    " \"num_key_value_heads\": null, \"head_dim\": null,"
                    " \"rope_scaling\": {\"rope_type\": \"default\"}}";
  spec s = tiny;
  s.kv_heads = 4;
  stf f;
  make_model(&s, 15, &f);
  size_t len;
  uint8_t *b = stf_bytes(&f, 0, &len);
  sc_model *m;
  char err[512] = "";
  sc_status st = llm_safetensors_parse(cfg, strlen(cfg), b, len, &m, err, sizeof err);
  if (st != SC_STATUS_OK) fail_msg("%s", err);
  const sc_model_config *c = sc_model_config_of(m);
  assert_int_equal(c->n_kv_heads, 4);
  assert_int_equal(c->head_dim, 4);
  assert_true(c->rope_theta == 10000.0f);
  assert_true(c->norm_eps == 1e-6f);
  assert_false(c->tied_embeddings);
  assert_int_equal(c->max_seq_len, 64);
  sc_model_free(m);
  /* transformers 5 spells rope_theta inside rope_parameters */
  const char *cfg5 = "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 16,"
                     " \"intermediate_size\": 40, \"num_hidden_layers\": 2,"
                     " \"num_attention_heads\": 4, \"vocab_size\": 32,"
                     " \"max_position_embeddings\": 64,"
                     " \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 1e6}}";
  st = llm_safetensors_parse(cfg5, strlen(cfg5), b, len, &m, err, sizeof err);
  if (st != SC_STATUS_OK) fail_msg("%s", err);
  assert_string_equal(sc_model_config_of(m)->arch, "llama");
  assert_true(sc_model_config_of(m)->rope_theta == 1e6f);
  assert_false(sc_model_config_of(m)->rope_scaled);
  sc_model_free(m);
  /* Llama 3.1's rope_scaling: the factors of sc_rope_llama3 with the file's
   * parameters (defaults for the ones left out) */
  const char *cfg3 = "{\"model_type\": \"llama\", \"hidden_size\": 16, \"intermediate_size\": 40,"
                     " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 32,"
                     " \"max_position_embeddings\": 64, \"rope_theta\": 2.0,"
                     " \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 16.0,"
                     " \"high_freq_factor\": 8.0, \"original_max_position_embeddings\": 16}}";
  st = llm_safetensors_parse(cfg3, strlen(cfg3), b, len, &m, err, sizeof err);
  if (st != SC_STATUS_OK) fail_msg("%s", err);
  sc_model_config want = {.head_dim = 4, .rope_theta = 2.0f};
  assert_int_equal(sc_rope_llama3(&want, 16, 1, 8, 16), SC_STATUS_OK);
  const sc_model_config *c3 = sc_model_config_of(m);
  assert_true(c3->rope_scaled);
  assert_memory_equal(c3->rope_factors, want.rope_factors, 2 * sizeof(float));
  assert_true(want.rope_factors[0] > 1.0f); /* the parameters reach the factors */
  sc_model_free(m);
  /* the other scaled variants are refused; llama3 needs its factor */
  static const struct {
    const char *scaling;
    sc_status want;
    const char *says;
  } bad[] = {
      {"{\"rope_type\": \"yarn\", \"factor\": 4.0}", SC_STATUS_UNSUPPORTED, "'yarn'"},
      {"{\"rope_type\": \"llama3\"}", SC_STATUS_INVALID, "no factor"},
      {"{\"rope_type\": \"llama3\", \"factor\": -2}", SC_STATUS_INVALID, "factor"},
      {"{\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 4}", SC_STATUS_INVALID,
       "low below high"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char text[512];
    snprintf(text, sizeof text,
             "{\"model_type\": \"llama\", \"hidden_size\": 16, \"intermediate_size\": 40,"
             " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"vocab_size\": 32,"
             " \"max_position_embeddings\": 64, \"rope_scaling\": %s}",
             bad[i].scaling);
    err[0] = 0;
    st = llm_safetensors_parse(text, strlen(text), b, len, &m, err, sizeof err);
    if (st != bad[i].want || !strstr(err, bad[i].says))
      fail_msg("rope_scaling %s: %s (%s), expected %s with '%s'", bad[i].scaling, sc_status_str(st),
               err, sc_status_str(bad[i].want), bad[i].says);
  }
  free(b);
  stf_free(&f);
}

/* ---- (b) stories260K in Hugging Face layout ---- */

static char *models_dir(void) {
  sc_strbuf p = {0};
  const char *env = getenv("SEEDCHIP_MODELS");
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  if (env && *env)
    sc_strbuf_printf(&p, "%s", env);
  else
    sc_strbuf_printf(&p, "%s/../shared/models", src && *src ? src : ".");
  return p.data;
}

static size_t argmax(const float *x, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; i++)
    if (x[i] > x[best]) best = i;
  return best;
}

/* HF's convert_llama_weights_to_hf.py permute(): per head, rows 0, 2, 4, ...
 * then 1, 3, 5, ...: W_hf[h*hd + i] = W[h*hd + 2i], W_hf[h*hd + hd/2 + i] =
 * W[h*hd + 2i + 1]. */
static float *permute_rows(const float *w, uint32_t n_heads, uint32_t hd, uint32_t cols) {
  float *out = malloc((size_t)n_heads * hd * cols * sizeof *out);
  assert_non_null(out);
  for (uint32_t h = 0; h < n_heads; h++)
    for (uint32_t i = 0; i < hd / 2; i++) {
      memcpy(out + ((size_t)h * hd + i) * cols, w + ((size_t)h * hd + 2 * i) * cols,
             cols * sizeof *w);
      memcpy(out + ((size_t)h * hd + hd / 2 + i) * cols, w + ((size_t)h * hd + 2 * i + 1) * cols,
             cols * sizeof *w);
    }
  return out;
}

static void test_stories260k_hf(void **state) {
  (void)state;
  char *mdir = models_dir();
  char *bin = join(mdir, "llama2c/stories260K.bin");
  free(mdir);
  uint8_t *raw;
  size_t raw_len;
  char err[512] = "";
  if (sc_read_file(bin, (size_t)64 << 20, &raw, &raw_len, err, sizeof err) != SC_STATUS_OK) {
    printf("SKIP stories260K in HF layout: %s (set SEEDCHIP_MODELS)\n", err);
    free(bin);
    skip();
  }
  /* The llama2.c file, read here independently of the loader. */
  int32_t h[7];
  memcpy(h, raw, sizeof h);
  uint32_t dim = (uint32_t)h[0], hidden = (uint32_t)h[1], L = (uint32_t)h[2];
  uint32_t heads = (uint32_t)h[3], kvh = (uint32_t)h[4], vocab = (uint32_t)abs(h[5]);
  uint32_t seq = (uint32_t)h[6], hd = dim / heads, kvd = kvh * hd;
  assert_true(h[5] > 0); /* shared classifier */
  const float *w = (const float *)(raw + 28);
  const float *emb = w, *rms_att = emb + (size_t)vocab * dim, *wq = rms_att + (size_t)L * dim;
  const float *wk = wq + (size_t)L * dim * dim, *wv = wk + (size_t)L * kvd * dim;
  const float *wo = wv + (size_t)L * kvd * dim, *rms_ffn = wo + (size_t)L * dim * dim;
  const float *w1 = rms_ffn + (size_t)L * dim, *w2 = w1 + (size_t)L * hidden * dim;
  const float *w3 = w2 + (size_t)L * dim * hidden, *rms_final = w3 + (size_t)L * hidden * dim;
  assert_true((const uint8_t *)(rms_final + dim) <= raw + raw_len);

  stf f = {0};
  char name[96];
  stf_add(&f, "model.embed_tokens.weight", "token_embd.weight", "F32", 2, (uint64_t[]){vocab, dim},
          emb, NULL);
  for (uint32_t l = 0; l < L; l++) {
#define ADD(hfname, rows, cols, ptr)                                                               \
  do {                                                                                             \
    snprintf(name, sizeof name, "model.layers.%" PRIu32 ".%s", l, hfname);                         \
    stf_add(&f, name, "x", "F32", (cols) ? 2 : 1, (uint64_t[]){rows, cols}, ptr, NULL);            \
  } while (0)
    float *q = permute_rows(wq + (size_t)l * dim * dim, heads, hd, dim);
    float *k = permute_rows(wk + (size_t)l * kvd * dim, kvh, hd, dim);
    ADD("input_layernorm.weight", dim, 0, rms_att + (size_t)l * dim);
    ADD("self_attn.q_proj.weight", dim, dim, q);
    ADD("self_attn.k_proj.weight", kvd, dim, k);
    ADD("self_attn.v_proj.weight", kvd, dim, wv + (size_t)l * kvd * dim);
    ADD("self_attn.o_proj.weight", dim, dim, wo + (size_t)l * dim * dim);
    ADD("post_attention_layernorm.weight", dim, 0, rms_ffn + (size_t)l * dim);
    ADD("mlp.gate_proj.weight", hidden, dim, w1 + (size_t)l * hidden * dim);
    ADD("mlp.down_proj.weight", dim, hidden, w2 + (size_t)l * dim * hidden);
    ADD("mlp.up_proj.weight", hidden, dim, w3 + (size_t)l * hidden * dim);
#undef ADD
    free(q);
    free(k);
  }
  stf_add(&f, "model.norm.weight", "output_norm.weight", "F32", 1, (uint64_t[]){dim}, rms_final,
          NULL);
  char *tmp = make_tmpdir();
  put_stf(tmp, "model.safetensors", &f, 0);
  char cfg[1024];
  snprintf(cfg, sizeof cfg,
           "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\","
           " \"hidden_size\": %" PRIu32 ", \"intermediate_size\": %" PRIu32
           ", \"num_hidden_layers\": %" PRIu32 ", \"num_attention_heads\": %" PRIu32
           ", \"num_key_value_heads\": %" PRIu32 ", \"vocab_size\": %" PRIu32
           ", \"max_position_embeddings\": %" PRIu32 ", \"rms_norm_eps\": 1e-05,"
           " \"rope_theta\": 10000.0, \"tie_word_embeddings\": true, \"hidden_act\": \"silu\"}",
           dim, hidden, L, heads, kvh, vocab, seq);
  put_text(tmp, "config.json", cfg);
  free(raw);
  stf_free(&f);

  sc_model *orig = NULL, *hf = load_ok(tmp);
  if (sc_model_load(bin, &orig, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  assert_int_equal(sc_model_config_of(orig)->rope_style, SC_ROPE_PAIRS);
  assert_int_equal(sc_model_config_of(hf)->rope_style, SC_ROPE_HALVES);
  assert_true(sc_model_config_of(hf)->tied_embeddings);
  sc_ref *ra = NULL, *rb = NULL;
  if (sc_ref_create(orig, 64, &ra, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  if (sc_ref_create(hf, 64, &rb, err, sizeof err) != SC_STATUS_OK) fail_msg("%s", err);
  int32_t tok = 1; /* BOS */
  double worst = 0;
  for (uint32_t pos = 0; pos < 32; pos++) {
    const float *la = sc_ref_forward(ra, tok, pos), *lb = sc_ref_forward(rb, tok, pos);
    assert_non_null(la);
    assert_non_null(lb);
    /* The rotate-half copy sums each q . k in another order, so the logits
     * agree to rounding, measured against the largest logit. */
    double scale = 0, diff = 0;
    for (uint32_t i = 0; i < vocab; i++) {
      scale = fmax(scale, fabs((double)la[i]));
      diff = fmax(diff, fabs((double)la[i] - (double)lb[i]));
    }
    double rel = diff / scale;
    worst = fmax(worst, rel);
    if (rel > 1e-5) fail_msg("pos %" PRIu32 ": logits differ by %g relative", pos, rel);
    size_t a = argmax(la, vocab), b = argmax(lb, vocab);
    if (a != b) fail_msg("pos %" PRIu32 ": greedy token %zu (PAIRS) vs %zu (HALVES)", pos, a, b);
    tok = (int32_t)a;
  }
  printf("stories260K HF copy: 32 greedy steps identical, worst logit difference %.3g relative\n",
         worst);
  sc_ref_free(ra);
  sc_ref_free(rb);
  sc_model_free(orig);
  sc_model_free(hf);
  free(bin);
  rm_tree(tmp);
}

/* ---- (c) malformed files ---- */

/* A small valid model: config text and the file's tensors. */
typedef struct fixture {
  spec s;
  char *cfg;
  stf f;
} fixture;

static void fixture_init(fixture *x) {
  x->s = tiny;
  x->s.dim = 8;
  x->s.hidden = 16;
  x->s.layers = 4;
  x->s.heads = 2;
  x->s.kv_heads = 1;
  x->s.vocab = 16;
  x->cfg = config_json(&x->s);
  make_model(&x->s, 99, &x->f);
}

static void fixture_free(fixture *x) {
  free(x->cfg);
  stf_free(&x->f);
}

static tw *find(stf *f, const char *name) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
  fail_msg("no tensor %s", name);
  return NULL;
}

/* Parsing cfg + the file's bytes fails with st and a message holding want. */
static void mem_fails(const char *cfg, const uint8_t *b, size_t len, sc_status st,
                      const char *want) {
  sc_model *m = (sc_model *)1;
  char err[512] = "";
  sc_status got = llm_safetensors_parse(cfg, strlen(cfg), b, len, &m, err, sizeof err);
  assert_null(m);
  if (got != st || !strstr(err, want))
    fail_msg("got %s \"%s\", want %s \"%s\"", sc_status_name(got), err, sc_status_name(st), want);
}

static void stf_fails(const char *cfg, const stf *f, sc_status st, const char *want) {
  size_t len;
  uint8_t *b = stf_bytes(f, 0, &len);
  mem_fails(cfg, b, len, st, want);
  free(b);
}

static void header_fails(const char *cfg, const char *header, sc_status st, const char *want) {
  size_t len;
  static const uint8_t zeros[64];
  uint8_t *b = raw_bytes(header, strlen(header), zeros, sizeof zeros, &len);
  mem_fails(cfg, b, len, st, want);
  free(b);
}

/* The fixture's config with `from` replaced by `to`. */
static char *edit(const char *cfg, const char *from, const char *to) {
  const char *p = strstr(cfg, from);
  assert_non_null(p);
  sc_strbuf b = {0};
  sc_strbuf_append(&b, cfg, (size_t)(p - cfg));
  sc_strbuf_printf(&b, "%s%s", to, p + strlen(from));
  return b.data;
}

static void test_truncated(void **state) {
  (void)state;
  fixture x;
  fixture_init(&x);
  size_t len;
  uint8_t *full = stf_bytes(&x.f, 0, &len);
  char err[512];
  sc_model *m;
  /* every prefix, each in a buffer of exactly its size (ASan sees any overread) */
  for (size_t n = 0; n < len; n++) {
    uint8_t *b = malloc(n ? n : 1);
    memcpy(b, full, n);
    err[0] = '\0';
    sc_status st = llm_safetensors_parse(x.cfg, strlen(x.cfg), b, n, &m, err, sizeof err);
    if (st == SC_STATUS_OK || m != NULL || strncmp(err, "model.safetensors: ", 19) != 0)
      fail_msg("prefix %zu of %zu: %s \"%s\"", n, len, sc_status_name(st), err);
    assert_int_equal(st, SC_STATUS_PARSE);
    free(b);
  }
  /* and a few through the file system */
  char *dir = make_tmpdir();
  put_text(dir, "config.json", x.cfg);
  char *path = join(dir, "model.safetensors");
  const size_t cuts[] = {0, 5, 8, 9, 100, len / 2, len - 1};
  for (size_t i = 0; i < SC_ARRAY_LEN(cuts); i++) {
    put(dir, "model.safetensors", full, cuts[i]);
    load_fails(path, SC_STATUS_PARSE, path);
  }
  put(dir, "model.safetensors", full, len);
  sc_model_free(load_ok(path));
  free(path);
  rm_tree(dir);
  free(full);
  fixture_free(&x);
}

static void test_header_length(void **state) {
  (void)state;
  fixture x;
  fixture_init(&x);
  size_t len;
  uint8_t *b = stf_bytes(&x.f, 0, &len);
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n |= (uint64_t)b[i] << (8 * i);
  const struct {
    uint64_t value;
    const char *want;
  } cases[] = {
      {0, "header length 0 is outside 2 to 100000000 bytes"},
      {1, "header length 1 is outside"},
      {UINT64_MAX, "header length 18446744073709551615 is outside"},
      {100000001, "header length 100000001 is outside"},
      {len - 7, "runs past the end of the file"},
  };
  char want[128];
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)(cases[i].value >> (8 * k));
    mem_fails(x.cfg, b, len, SC_STATUS_PARSE, cases[i].want);
  }
  /* a header length that stops before the closing brace */
  uint64_t close = n;
  while (b[8 + close - 1] != '}') close--;
  for (int k = 0; k < 8; k++) b[k] = (uint8_t)((close - 1) >> (8 * k));
  mem_fails(x.cfg, b, len, SC_STATUS_PARSE, "JSON syntax error");
  for (int k = 0; k < 8; k++) b[k] = (uint8_t)((len - 7) >> (8 * k));
  snprintf(want, sizeof want,
           "model.safetensors: header length %zu runs past the end of the file (%zu bytes follow "
           "the length)",
           len - 7, len - 8);
  mem_fails(x.cfg, b, len, SC_STATUS_PARSE, want);
  free(b);
  fixture_free(&x);
}

static void test_bad_json(void **state) {
  (void)state;
  fixture x;
  fixture_init(&x);
  header_fails(x.cfg, "{\"a\": {\"dtype\": \"F32\",}}", SC_STATUS_PARSE,
               "model.safetensors: header:1:24: JSON syntax error");
  header_fails(x.cfg, "{\n\"a\":\n  {\"dtype\": \"F32\" \"shape\": []}}", SC_STATUS_PARSE,
               "model.safetensors: header:3:19: JSON syntax error");
  /* cJSON's failure position: at, or one past, the character it could not take */
  header_fails(x.cfg, "{\"a\": {\"dtype\": \"F3", SC_STATUS_PARSE,
               "header:1:18: JSON syntax error");
  header_fails(x.cfg, "{\"a\": ", SC_STATUS_PARSE, "JSON syntax error (unexpected end of input)");
  header_fails(x.cfg, "{\"a\xff\": 1}", SC_STATUS_PARSE,
               "model.safetensors: header:1:4: invalid UTF-8 (byte 0xff)");
  header_fails(x.cfg, "{\"\xc0\xaf\": 1}", SC_STATUS_PARSE, "header:1:3: invalid UTF-8");
  header_fails(x.cfg, "{\"\xed\xa0\x80\": 1}", SC_STATUS_PARSE, "invalid UTF-8"); /* surrogate */
  header_fails(x.cfg, "{\"a\": \"\x01\"}", SC_STATUS_PARSE, "header:1:8: control character");
  {
    /* a NUL inside the header */
    static const char hdr[] = "{\"a\0b\": 1}";
    size_t len;
    uint8_t *b = raw_bytes("", sizeof hdr - 1, NULL, 0, &len);
    b = realloc(b, 8 + sizeof hdr - 1);
    memcpy(b + 8, hdr, sizeof hdr - 1);
    mem_fails(x.cfg, b, 8 + sizeof hdr - 1, SC_STATUS_PARSE, "header:1:4: control character");
    free(b);
  }
  header_fails(x.cfg, "[1, 2]", SC_STATUS_PARSE, "header must be a JSON object, got an array");
  header_fails(x.cfg, "{} {}", SC_STATUS_PARSE, "header:1:4: JSON syntax error");
  header_fails(x.cfg, "{\"__metadata__\": {\"format\": 1}}", SC_STATUS_PARSE,
               "__metadata__.format must be a string, got a number");
  header_fails(x.cfg, "{\"__metadata__\": []}", SC_STATUS_PARSE, "__metadata__ must be an object");
  header_fails(x.cfg, "{\"model.norm.weight\": 3}", SC_STATUS_PARSE,
               "tensor 'model.norm.weight': must be an object, got a number");
  header_fails(x.cfg, "{\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [8]}}",
               SC_STATUS_PARSE, "tensor 'model.norm.weight': missing key data_offsets");
  header_fails(x.cfg,
               "{\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [8, -1], "
               "\"data_offsets\": [0, 32]}}",
               SC_STATUS_PARSE, "shape[1] must be a non-negative integer");
  header_fails(x.cfg,
               "{\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [8.5], "
               "\"data_offsets\": [0, 32]}}",
               SC_STATUS_PARSE, "shape[0] must be a non-negative integer");
  header_fails(x.cfg,
               "{\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [1,1,1,1,1,1,1,1,1], "
               "\"data_offsets\": [0, 4]}}",
               SC_STATUS_PARSE, "shape has more than 8 dimensions");
  header_fails(x.cfg,
               "{\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [8], "
               "\"data_offsets\": [0]}}",
               SC_STATUS_PARSE, "data_offsets must be [begin, end]");
  header_fails(x.cfg,
               "{\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [8], "
               "\"data_offsets\": [0, 1e300]}}",
               SC_STATUS_PARSE, "data_offsets must be [begin, end]");
  header_fails(x.cfg,
               "{\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [4294967296, "
               "4294967296, 4294967296], \"data_offsets\": [0, 64]}}",
               SC_STATUS_PARSE, "needs more than 2^64 bytes");
  fixture_free(&x);
}

static void test_offsets(void **state) {
  (void)state;
  fixture x;
  fixture_init(&x);
  stf f = x.f;
  const char *up = "model.layers.3.mlp.up_proj.weight";
  tw *t = find(&f, up);
  tw saved = *t;
  char want[256];

  t->begin = f.size - 8;
  t->end = t->begin + (saved.end - saved.begin);
  snprintf(want, sizeof want,
           "model.safetensors: tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64
           ") exceed the data section (%zu bytes)",
           up, t->begin, t->end, f.size);
  stf_fails(x.cfg, &f, SC_STATUS_PARSE, want);

  *t = saved;
  t->begin = saved.end;
  t->end = saved.begin;
  stf_fails(x.cfg, &f, SC_STATUS_PARSE, "end before they begin");

  *t = saved;
  t->end = saved.end - 4;
  snprintf(want, sizeof want,
           "model.safetensors: tensor '%s': F32 [16, 8] needs 512 bytes, data_offsets [%" PRIu64
           ", %" PRIu64 ") hold 508",
           up, t->begin, t->end);
  stf_fails(x.cfg, &f, SC_STATUS_PARSE, want);

  /* moved onto the previous tensor: an overlap, and a hole where it was */
  *t = saved;
  tw *prev = t - 1;
  t->begin = prev->begin;
  t->end = prev->begin + (saved.end - saved.begin);
  stf_fails(x.cfg, &f, SC_STATUS_PARSE, "overlap tensor");

  /* two tensors swapped in the data: allowed (the header may list them in any order) */
  *t = saved;
  stf g = f;
  tw *a = find(&g, "model.layers.0.input_layernorm.weight"), *b = find(&g, "model.norm.weight");
  uint64_t ab = a->begin, ae = a->end;
  assert_true(ae - ab == b->end - b->begin);
  a->begin = b->begin, a->end = b->end;
  b->begin = ab, b->end = ae;
  {
    size_t len;
    uint8_t *bytes = stf_bytes(&g, 0, &len);
    sc_model *m;
    char err[512];
    if (llm_safetensors_parse(x.cfg, strlen(x.cfg), bytes, len, &m, err, sizeof err))
      fail_msg("%s", err);
    sc_model_free(m);
    free(bytes);
  }

  /* holes: a tensor dropped from the header but not from the data */
  g = f;
  g.n--; /* lm_head.weight, the last one */
  {
    char *cfg = edit(x.cfg, "\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true");
    snprintf(want, sizeof want,
             "model.safetensors: 512 bytes after the last tensor (at data offset %zu) belong to "
             "no tensor",
             f.size - 512);
    stf_fails(cfg, &g, SC_STATUS_PARSE, want);
    free(cfg);
  }
  g = f;
  g.t[0] = g.t[--g.n]; /* the embedding, the first one */
  stf_fails(x.cfg, &g, SC_STATUS_PARSE,
            "tensor 'model.layers.0.input_layernorm.weight': data_offsets [512, 544) leave a hole "
            "of 512 bytes after the start of the data section");
  g = f;
  g.t[2] = g.t[--g.n];
  snprintf(want, sizeof want,
           "tensor 'model.layers.0.self_attn.k_proj.weight': data_offsets [%" PRIu64 ", %" PRIu64
           ") leave a hole of 256 bytes after tensor 'model.layers.0.input_layernorm.weight'",
           f.t[3].begin, f.t[3].end);
  stf_fails(x.cfg, &g, SC_STATUS_PARSE, want);
  g = f;
  find(&g, "model.embed_tokens.weight")->begin += 4;
  find(&g, "model.embed_tokens.weight")->end += 4;
  stf_fails(x.cfg, &g, SC_STATUS_PARSE, "leave a hole of 4 bytes after the start");
  g = f;
  g.t[1].begin += 4; /* shrink: dtype and shape no longer match */
  stf_fails(x.cfg, &g, SC_STATUS_PARSE, "needs 32 bytes");
  fixture_free(&x);
}

static void test_dtypes(void **state) {
  (void)state;
  fixture x;
  fixture_init(&x);
  stf f = x.f;
  tw *t = find(&f, "model.norm.weight");
  snprintf(t->dtype, sizeof t->dtype, "F33");
  stf_fails(x.cfg, &f, SC_STATUS_PARSE, "tensor 'model.norm.weight': unknown dtype 'F33'");
  snprintf(t->dtype, sizeof t->dtype, "I32");
  stf_fails(x.cfg, &f, SC_STATUS_UNSUPPORTED,
            "model.safetensors: tensor 'model.norm.weight': dtype I32 is not supported (F32, F16 "
            "and BF16 are)");
  snprintf(t->dtype, sizeof t->dtype, "BF16"); /* right shape, half the bytes */
  stf_fails(x.cfg, &f, SC_STATUS_PARSE, "BF16 [8] needs 16 bytes, data_offsets");
  fixture_free(&x);
}

static void test_names_and_shapes(void **state) {
  (void)state;
  fixture x;
  fixture_init(&x);
  stf f = x.f;
  tw *t = find(&f, "model.layers.2.mlp.up_proj.weight");
  tw saved = *t;
  snprintf(t->name, sizeof t->name, "model.layers.2.mlp.fc_in.weight");
  stf_fails(x.cfg, &f, SC_STATUS_INVALID,
            "model.safetensors: tensor 'model.layers.2.mlp.fc_in.weight': not a tensor of a "
            "llama model (unknown name)");
  snprintf(t->name, sizeof t->name, "model.layers.02.mlp.up_proj.weight");
  stf_fails(x.cfg, &f, SC_STATUS_INVALID, "(unknown name)");
  snprintf(t->name, sizeof t->name, "model.layers.4.mlp.up_proj.weight");
  stf_fails(x.cfg, &f, SC_STATUS_INVALID,
            "tensor 'model.layers.4.mlp.up_proj.weight': layer 4 is beyond num_hidden_layers (4)");
  snprintf(t->name, sizeof t->name, "model.layers.2.self_attn.q_proj.bias");
  stf_fails(x.cfg, &f, SC_STATUS_INVALID, "a llama model has no attention biases");
  snprintf(t->name, sizeof t->name, "model.layers.2.mlp.gate_proj.weight"); /* twice */
  stf_fails(x.cfg, &f, SC_STATUS_INVALID, "blk.2.ffn_gate.weight: tensor appears twice");
  *t = saved;
  /* transposed: [16, 8] stored as [8, 16] */
  t->shape[0] = 8;
  t->shape[1] = 16;
  stf_fails(x.cfg, &f, SC_STATUS_INVALID,
            "model.safetensors: tensor 'model.layers.2.mlp.up_proj.weight' (blk.2.ffn_up.weight): "
            "expected [16, 8], found [8, 16]");
  t->rank = 3;
  t->shape[0] = 2, t->shape[1] = 8, t->shape[2] = 8;
  stf_fails(x.cfg, &f, SC_STATUS_INVALID, "expected [16, 8], found [2, 8, 8]");
  *t = saved;
  /* missing: drop the tensor from the header and its bytes from the data */
  stf g;
  size_t k = (size_t)(t - f.t);
  stf_subset(&x.f, 0, k, &g);
  for (size_t i = k + 1; i < x.f.n; i++)
    stf_add(&g, x.f.t[i].name, x.f.t[i].canon, x.f.t[i].dtype, x.f.t[i].rank, x.f.t[i].shape,
            x.f.data + x.f.t[i].begin, NULL);
  stf_fails(x.cfg, &g, SC_STATUS_NOT_FOUND,
            "tensor 'model.layers.2.mlp.up_proj.weight' (blk.2.ffn_up.weight): missing");
  stf_free(&g);
  /* lm_head missing while the config says untied */
  stf_subset(&x.f, 0, x.f.n - 1, &g);
  stf_fails(x.cfg, &g, SC_STATUS_NOT_FOUND,
            "model.safetensors: lm_head.weight: missing (config.json: tie_word_embeddings is "
            "false)");
  stf_free(&g);
  fixture_free(&x);
}

static void test_config_errors(void **state) {
  (void)state;
  fixture x;
  fixture_init(&x);
  size_t len;
  uint8_t *bytes = stf_bytes(&x.f, 0, &len);
  const struct {
    const char *from, *to;
    sc_status st;
    const char *want;
  } cases[] = {
      {"\"hidden_size\": 8,", "", SC_STATUS_INVALID,
       "config.json: missing required key hidden_size"},
      {"\"vocab_size\": 16,", "", SC_STATUS_INVALID, "missing required key vocab_size"},
      {"\"max_position_embeddings\": 64,", "", SC_STATUS_INVALID,
       "missing required key max_position_embeddings"},
      {"\"hidden_size\": 8", "\"hidden_size\": \"8\"", SC_STATUS_INVALID,
       "config.json: hidden_size must be an integer from 1 to 4294967295, got a string"},
      {"\"hidden_size\": 8", "\"hidden_size\": 8.5", SC_STATUS_INVALID,
       "hidden_size must be an integer from 1 to 4294967295, got another number"},
      {"\"hidden_size\": 8", "\"hidden_size\": 0", SC_STATUS_INVALID, "hidden_size must be"},
      {"\"num_hidden_layers\": 4", "\"num_hidden_layers\": 4294967296", SC_STATUS_INVALID,
       "num_hidden_layers must be"},
      {"\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": -1", SC_STATUS_INVALID,
       "rms_norm_eps must be a positive number, got another number"},
      {"\"rope_theta\": 500000.0", "\"rope_theta\": 1e39", SC_STATUS_INVALID,
       "rope_theta must be a positive number"},
      {"\"tie_word_embeddings\": false", "\"tie_word_embeddings\": 0", SC_STATUS_INVALID,
       "tie_word_embeddings must be a boolean, got a number"},
      {"\"model_type\": \"llama\"", "\"model_type\": \"gpt2\"", SC_STATUS_UNSUPPORTED,
       "config.json: model_type 'gpt2' is not supported (llama, mistral, mixtral, qwen2, "
       "deepseek_v2, "
       "deepseek_v3 are)"},
      /* a mixture of experts: its configuration is read (and checked), its weights refused */
      {"\"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",",
       "\"model_type\": \"mixtral\", \"num_local_experts\": 4, \"num_experts_per_tok\": 2,",
       SC_STATUS_UNSUPPORTED,
       "config.json: mixtral, 4 experts (2 per token): mixture-of-experts weights are not "
       "loaded; use the configuration alone for timing-only runs"},
      {"[\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",",
       "[\"MixtralForCausalLM\"], \"num_local_experts\": 8, \"num_experts_per_tok\": 8,",
       SC_STATUS_UNSUPPORTED, "config.json: mixtral, 8 experts (8 per token): mixture-of-experts"},
      {"\"model_type\": \"llama\"", "\"model_type\": \"mixtral\"", SC_STATUS_INVALID,
       "architectures[0] 'LlamaForCausalLM' contradicts model_type 'mixtral'"},
      /* DeepSeek: multi-head latent attention, with and without experts; refused the same way */
      {"\"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",",
       "\"model_type\": \"deepseek_v3\", \"q_lora_rank\": null, \"kv_lora_rank\": 4, "
       "\"qk_nope_head_dim\": 2, \"qk_rope_head_dim\": 2, \"v_head_dim\": 4, "
       "\"n_routed_experts\": null,",
       SC_STATUS_UNSUPPORTED,
       "config.json: deepseek2, kv_lora_rank 4: multi-head latent attention weights are not "
       "loaded yet; use the file for its configuration (timing-only runs: seedchip profile "
       "--config, seedchip bench --models)"},
      {"[\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",",
       "[\"DeepseekV2ForCausalLM\"], \"q_lora_rank\": 4, \"kv_lora_rank\": 4, "
       "\"qk_nope_head_dim\": 2, \"qk_rope_head_dim\": 2, \"v_head_dim\": 4, "
       "\"n_routed_experts\": 4, \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 8,",
       SC_STATUS_UNSUPPORTED,
       "config.json: deepseek2, 4 experts (2 per token): mixture-of-experts"},
      {"\"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",",
       "\"model_type\": \"mixtral\", \"num_experts_per_tok\": 2,", SC_STATUS_INVALID,
       "config.json: missing required key num_local_experts (experts per layer)"},
      {"\"model_type\": \"llama\"", "\"model_type\": \"qwen2\"", SC_STATUS_INVALID,
       "architectures[0] 'LlamaForCausalLM' contradicts model_type 'qwen2'"},
      {"[\"LlamaForCausalLM\"]", "[\"LlamaForSequenceClassification\"]", SC_STATUS_UNSUPPORTED,
       "architectures[0] 'LlamaForSequenceClassification' is not supported"},
      {"[\"LlamaForCausalLM\"]", "[]", SC_STATUS_INVALID, "architectures must be a non-empty"},
      {"\"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",", "",
       SC_STATUS_INVALID, "config.json: has neither model_type nor architectures"},
      {"\"rope_scaling\": null",
       "\"rope_scaling\": {\"factor\": 0.5, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
       "\"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}",
       SC_STATUS_INVALID,
       "config.json: rope_scaling (llama3): factor 0.5, low_freq_factor 1, high_freq_factor 4"},
      {"\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}",
       SC_STATUS_UNSUPPORTED, "rope_scaling of type 'linear' is not supported"},
      {"\"rope_scaling\": null", "\"rope_scaling\": {\"factor\": 2.0}", SC_STATUS_INVALID,
       "rope_scaling has no rope_type"},
      {"\"rope_scaling\": null", "\"rope_scaling\": 2", SC_STATUS_INVALID,
       "rope_scaling must be an object or null, got a number"},
      {"\"rope_scaling\": null", "\"rope_parameters\": {\"rope_type\": \"yarn\"}",
       SC_STATUS_UNSUPPORTED, "rope_parameters of type 'yarn' is not supported"},
      {"\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", SC_STATUS_UNSUPPORTED,
       "config.json: hidden_act 'gelu' is not supported (only silu)"},
      {"\"hidden_act\": \"silu\"", "\"attention_bias\": true", SC_STATUS_UNSUPPORTED,
       "config.json: attention_bias true (biases on q/k/v/o_proj) is not supported"},
      {"\"hidden_act\": \"silu\"", "\"mlp_bias\": true", SC_STATUS_UNSUPPORTED, "mlp_bias true"},
      {"\"num_key_value_heads\": 1", "\"num_key_value_heads\": 3", SC_STATUS_INVALID,
       "config.json: n_heads (2) is not a multiple of n_kv_heads (3)"},
      {"\"num_key_value_heads\": 1", "\"num_key_value_heads\": 2", SC_STATUS_INVALID,
       "tensor 'model.layers.0.self_attn.k_proj.weight' (blk.0.attn_k.weight): expected [8, 8], "
       "found [4, 8]"},
      {"\"intermediate_size\": 16", "\"intermediate_size\": 17", SC_STATUS_INVALID,
       "(blk.0.ffn_gate.weight): expected [17, 8], found [16, 8]"},
      {"\"vocab_size\": 16", "\"vocab_size\": 15", SC_STATUS_INVALID,
       "tensor 'model.embed_tokens.weight' (token_embd.weight): expected [15, 8]"},
      {"\"num_hidden_layers\": 4", "\"num_hidden_layers\": 5", SC_STATUS_NOT_FOUND,
       "tensor 'model.layers.4.input_layernorm.weight' (blk.4.attn_norm.weight): missing"},
      {"\"model_type\": \"llama\"", "\"model_type\": \"llama\" \"x\"", SC_STATUS_PARSE,
       "config.json:3:25: JSON syntax error"},
      {"{", "[", SC_STATUS_PARSE, "config.json:"},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    char *cfg = edit(x.cfg, cases[i].from, cases[i].to);
    mem_fails(cfg, bytes, len, cases[i].st, cases[i].want);
    free(cfg);
  }
  mem_fails("[1]", bytes, len, SC_STATUS_INVALID,
            "config.json: must be a JSON object, got an array");
  mem_fails("", bytes, len, SC_STATUS_PARSE, "config.json:1:1: JSON syntax error (unexpected end");
  free(bytes);
  fixture_free(&x);
}

static void test_files_and_shards(void **state) {
  (void)state;
  fixture x;
  fixture_init(&x);
  char *dir = make_tmpdir();
  char *file = join(dir, "model.safetensors"), *cfg = join(dir, "config.json");
  char *index = join(dir, "model.safetensors.index.json");
  char want[512];

  snprintf(want, sizeof want,
           "%s: holds neither model.safetensors nor model.safetensors.index.json", dir);
  load_fails(dir, SC_STATUS_NOT_FOUND, want);
  char *nope = join(dir, "nope.safetensors");
  snprintf(want, sizeof want, "%s: No such file or directory", nope);
  load_fails(nope, SC_STATUS_IO, want);
  free(nope);
  put_stf(dir, "model.safetensors", &x.f, 0);
  snprintf(want, sizeof want, "%s: No such file or directory", cfg);
  load_fails(dir, SC_STATUS_IO, want); /* no config.json */
  put_text(dir, "config.json", "{\n  \"model_type\": \"llama\",\n  oops\n}");
  snprintf(want, sizeof want, "%s:3:4: JSON syntax error", cfg);
  load_fails(file, SC_STATUS_PARSE, want);
  put_text(dir, "config.json", x.cfg);
  sc_model_free(load_ok(file));
  /* a mixture of experts, as a file and as a directory */
  char *moe = edit(x.cfg, "\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",",
                   "\"MixtralForCausalLM\"], \"model_type\": \"mixtral\", "
                   "\"num_local_experts\": 8, \"num_experts_per_tok\": 2,");
  put_text(dir, "config.json", moe);
  snprintf(want, sizeof want,
           "%s: mixtral, 8 experts (2 per token): mixture-of-experts weights are not loaded", cfg);
  load_fails(file, SC_STATUS_UNSUPPORTED, want);
  load_fails(dir, SC_STATUS_UNSUPPORTED, want);
  free(moe);
  /* multi-head latent attention, as a file and as a directory */
  char *mla = edit(x.cfg, "\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",",
                   "\"DeepseekV3ForCausalLM\"], \"q_lora_rank\": null, \"kv_lora_rank\": 4, "
                   "\"qk_nope_head_dim\": 2, \"qk_rope_head_dim\": 2, \"v_head_dim\": 4, "
                   "\"n_routed_experts\": null,");
  put_text(dir, "config.json", mla);
  snprintf(want, sizeof want,
           "%s: deepseek2, kv_lora_rank 4: multi-head latent attention weights are not loaded yet",
           cfg);
  load_fails(file, SC_STATUS_UNSUPPORTED, want);
  load_fails(dir, SC_STATUS_UNSUPPORTED, want);
  free(mla);
  put_text(dir, "config.json", x.cfg);
  remove(file);

  /* shards */
  stf a, b;
  size_t half = x.f.n / 2;
  stf_subset(&x.f, 0, half, &a);
  stf_subset(&x.f, half, x.f.n, &b);
  put_stf(dir, "model-00001-of-00002.safetensors", &a, 0);
  sc_strbuf good = {0};
  sc_strbuf_printf(&good, "{\"weight_map\": {");
  for (size_t i = 0; i < x.f.n; i++)
    sc_strbuf_printf(&good, "%s\"%s\": \"model-0000%d-of-00002.safetensors\"", i ? ", " : "",
                     x.f.t[i].name, i < half ? 1 : 2);
  sc_strbuf_printf(&good, "}}");
  put_text(dir, "model.safetensors.index.json", good.data);
  char *shard2 = join(dir, "model-00002-of-00002.safetensors");
  snprintf(want, sizeof want,
           "%s: shard 'model-00002-of-00002.safetensors': %s: No such file or directory", index,
           shard2);
  load_fails(dir, SC_STATUS_IO, want);
  put_stf(dir, "model-00002-of-00002.safetensors", &b, 0);
  sc_model_free(load_ok(dir));

  /* the index lists a tensor that no shard holds */
  char *txt = edit(good.data, "{\"weight_map\": {",
                   "{\"weight_map\": {\"model.extra\": "
                   "\"model-00002-of-00002.safetensors\", ");
  put_text(dir, "model.safetensors.index.json", txt);
  snprintf(want, sizeof want,
           "%s: tensor 'model.extra': not in shard 'model-00002-of-00002.safetensors', where "
           "weight_map places it",
           index);
  load_fails(dir, SC_STATUS_NOT_FOUND, want);
  free(txt);
  /* a shard holds a tensor the index does not list, or places elsewhere */
  snprintf(want, sizeof want, "\"%s\": \"model-00001-of-00002.safetensors\", ", x.f.t[0].name);
  txt = edit(good.data, want, "");
  put_text(dir, "model.safetensors.index.json", txt);
  snprintf(want, sizeof want, "tensor '%s': not listed in %s", x.f.t[0].name, index);
  load_fails(dir, SC_STATUS_INVALID, want);
  free(txt);
  snprintf(want, sizeof want, "\"%s\": \"model-00001-of-00002.safetensors\"", x.f.t[1].name);
  char repl[1024];
  snprintf(repl, sizeof repl, "\"%s\": \"model-00002-of-00002.safetensors\"", x.f.t[1].name);
  txt = edit(good.data, want, repl);
  put_text(dir, "model.safetensors.index.json", txt);
  load_fails(dir, SC_STATUS_INVALID, "places it in 'model-00002-of-00002.safetensors'");
  free(txt);
  /* shard names must stay in the directory */
  txt = edit(good.data, "model-00001-of-00002.safetensors", "../model-00001-of-00002.safetensors");
  put_text(dir, "model.safetensors.index.json", txt);
  load_fails(dir, SC_STATUS_INVALID, "must be a file name in the same directory");
  free(txt);
  txt = edit(good.data, "{\"weight_map\": {", "{\"weight_map\": {\"a\": 1, ");
  put_text(dir, "model.safetensors.index.json", txt);
  load_fails(dir, SC_STATUS_INVALID, "weight_map.a must be a file name in the same directory");
  free(txt);
  snprintf(want, sizeof want, "\"%s\": \"model-00001-of-00002.safetensors\", ", x.f.t[0].name);
  snprintf(repl, sizeof repl, "%s%s", want, want);
  txt = edit(good.data, want, repl);
  put_text(dir, "model.safetensors.index.json", txt);
  load_fails(dir, SC_STATUS_INVALID, "lists 'model.embed_tokens.weight' twice");
  free(txt);
  put_text(dir, "model.safetensors.index.json", "{\"weight_map\": {}}");
  load_fails(dir, SC_STATUS_INVALID, "weight_map must be a non-empty object");
  put_text(dir, "model.safetensors.index.json", "{\"weight_map\": \n\xfe}");
  snprintf(want, sizeof want, "%s:2:1: invalid UTF-8 (byte 0xfe)", index);
  load_fails(dir, SC_STATUS_PARSE, want);
  /* a shard that is itself broken names itself */
  put_text(dir, "model.safetensors.index.json", good.data);
  put(dir, "model-00002-of-00002.safetensors", "\x02\0\0\0\0\0\0\0{", 9);
  snprintf(want, sizeof want, "%s: header length 2 runs past the end of the file", shard2);
  load_fails(index, SC_STATUS_PARSE, want);

  sc_strbuf_free(&good);
  stf_free(&a);
  stf_free(&b);
  free(shard2);
  free(index);
  free(file);
  free(cfg);
  rm_tree(dir);
  fixture_free(&x);
}

/* Any byte of the header replaced by a few interesting values: OK or an
 * error with a message, never a crash (ASan/UBSan builds check the rest). */
static void test_header_mutations(void **state) {
  (void)state;
  fixture x;
  fixture_init(&x);
  size_t len;
  uint8_t *b = stf_bytes(&x.f, 0, &len);
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n |= (uint64_t)b[i] << (8 * i);
  static const uint8_t values[] = {0, ' ', '"', '{', '}', ',', '9', '-', 0xC3, 0xFF};
  char err[512];
  for (size_t i = 0; i < 8 + n; i++) {
    uint8_t keep = b[i];
    for (size_t v = 0; v < sizeof values; v++) {
      b[i] = values[v];
      sc_model *m = NULL;
      err[0] = '\0';
      sc_status st = llm_safetensors_parse(x.cfg, strlen(x.cfg), b, len, &m, err, sizeof err);
      if (st == SC_STATUS_OK)
        sc_model_free(m);
      else if (m != NULL || err[0] == '\0')
        fail_msg("byte %zu = 0x%02x: %s without a message", i, values[v], sc_status_name(st));
    }
    b[i] = keep;
  }
  free(b);
  fixture_free(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_llama_f32),
      cmocka_unit_test(test_llama_bf16_tied),
      cmocka_unit_test(test_llama_f16_misaligned),
      cmocka_unit_test(test_mixed_dtypes),
      cmocka_unit_test(test_qwen2_biases),
      cmocka_unit_test(test_mistral_head_dim),
      cmocka_unit_test(test_sharded),
      cmocka_unit_test(test_config_defaults),
      cmocka_unit_test(test_stories260k_hf),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_header_length),
      cmocka_unit_test(test_bad_json),
      cmocka_unit_test(test_offsets),
      cmocka_unit_test(test_dtypes),
      cmocka_unit_test(test_names_and_shapes),
      cmocka_unit_test(test_config_errors),
      cmocka_unit_test(test_files_and_shards),
      cmocka_unit_test(test_header_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
