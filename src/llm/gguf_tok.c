/* gguf_tok.c: tokenizers from GGUF metadata (sc_tok_from_gguf): reads the
 * tokenizer.ggml.* keys with the bounded reader, checks that the per-token
 * arrays agree in length and that special ids are in the vocabulary, and hands
 * an sc_tok_vocab (pointing into the file) to sc_tok_create, which copies it.
 *
 * Defaults where a key is absent are llama.cpp's: SPM adds bos and a dummy
 * prefix space and has unk 0, bos 1, eos 2; GPT-2 BPE adds neither; Llama-3
 * BPE adds bos and takes a word that is a piece whole (ignore_merges). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_int.h"
#include "llm_int.h"
#include "seedchip/util.h"

/* A special-token id: absent keys keep *id; 0xFFFFFFFF (or -1) means none. */
static sc_status special_id(const sc_gguf *g, const char *key, uint32_t n_vocab, int32_t *id,
                            char *err, size_t n) {
  size_t i;
  const sc_gguf_kv *kv = sc_gguf_find(g, key, &i);
  if (!kv) return SC_STATUS_OK;
  double v = kv->type == SC_GGUF_ARRAY ? -2.0 : sc_gguf_number_at(kv, 0);
  bool integer = kv->type != SC_GGUF_ARRAY && kv->type != SC_GGUF_STRING &&
                 kv->type != SC_GGUF_FLOAT32 && kv->type != SC_GGUF_FLOAT64 &&
                 kv->type != SC_GGUF_BOOL;
  if (!integer)
    return sc_errf(err, n, SC_STATUS_INVALID,
                   "%s: metadata key %zu '%s': expected uint32, found %s%s", llm_gguf_name(g), i,
                   key, kv->type == SC_GGUF_ARRAY ? "array of " : "",
                   sc_gguf_type_name(kv->elem_type));
  if (v == -1.0 || v == 4294967295.0) {
    *id = -1;
    return SC_STATUS_OK;
  }
  if (v < 0 || v >= n_vocab)
    return sc_errf(err, n, SC_STATUS_INVALID,
                   "%s: metadata key %zu '%s': token id %.0f is outside the vocabulary of %" PRIu32,
                   llm_gguf_name(g), i, key, v, n_vocab);
  *id = (int32_t)v;
  return SC_STATUS_OK;
}

/* tokenizer.ggml.pre values and the pre-tokenizers they name (llama.cpp's
 * names; a missing key is GPT-2's). */
static const struct {
  const char *name;
  sc_tok_pre pre;
} pre_names[] = {
    {"default", SC_TOK_PRE_GPT2},     {"gpt-2", SC_TOK_PRE_GPT2},
    {"llama-bpe", SC_TOK_PRE_LLAMA3}, {"llama3", SC_TOK_PRE_LLAMA3},
    {"llama-v3", SC_TOK_PRE_LLAMA3},  {"qwen2", SC_TOK_PRE_QWEN2},
};

static sc_status opt_bool(const sc_gguf *g, const char *key, bool *v, char *err, size_t n) {
  sc_status st = sc_gguf_get_bool(g, key, v, err, n);
  return st == SC_STATUS_NOT_FOUND ? SC_STATUS_OK : st;
}

/* An optional per-token array: NULL when absent, an error when its element
 * type or length is wrong. */
static sc_status per_token(const sc_gguf *g, const char *key, sc_gguf_type elem, uint64_t n_tok,
                           const sc_gguf_kv **kv, char *err, size_t n) {
  sc_status st = sc_gguf_get_array(g, key, elem, kv, err, n);
  if (st == SC_STATUS_NOT_FOUND) {
    *kv = NULL;
    return SC_STATUS_OK;
  }
  if (st) return st;
  if ((*kv)->n != n_tok) {
    size_t i;
    sc_gguf_find(g, key, &i);
    return sc_errf(err, n, SC_STATUS_INVALID,
                   "%s: metadata key %zu '%s': %" PRIu64 " elements for %" PRIu64 " tokens",
                   llm_gguf_name(g), i, key, (*kv)->n, n_tok);
  }
  return SC_STATUS_OK;
}

/* The strings of an array, with lengths narrowed to uint32 (sc_tok_create
 * bounds them further). */
static sc_status string_table(const sc_gguf *g, const char *key, const sc_gguf_kv *kv,
                              const char ***ptrs, uint32_t **lens, char *err, size_t n) {
  /* Callers bound kv->n to 32 bits. */
  size_t count = kv->n ? (size_t)(uint32_t)kv->n : 1;
  uint64_t *l64 = malloc(count * sizeof *l64);
  *ptrs = malloc(count * sizeof **ptrs);
  *lens = malloc(count * sizeof **lens);
  if (!l64 || !*ptrs || !*lens) {
    free(l64);
    return sc_errf(err, n, SC_STATUS_NO_MEMORY, "%s: out of memory", llm_gguf_name(g));
  }
  sc_gguf_strings(kv, *ptrs, l64);
  for (uint64_t i = 0; i < kv->n; i++) {
    if (l64[i] > UINT32_MAX) {
      free(l64);
      return sc_errf(err, n, SC_STATUS_INVALID, "%s: %s: string %" PRIu64 " is too long",
                     llm_gguf_name(g), key, i);
    }
    (*lens)[i] = (uint32_t)l64[i];
  }
  free(l64);
  return SC_STATUS_OK;
}

sc_status llm_gguf_tokenizer(const sc_gguf *g, sc_tokenizer **out, char *err, size_t n) {
  *out = NULL;
  const char *model;
  uint64_t model_len;
  sc_status st = sc_gguf_get_str(g, "tokenizer.ggml.model", &model, &model_len, err, n);
  if (st) return st;
  sc_tok_vocab v = {.bos = -1, .eos = -1, .unk = -1};
  if (model_len == 5 && memcmp(model, "llama", 5) == 0) {
    v.kind = SC_TOK_SPM;
    v.unk = 0, v.bos = 1, v.eos = 2;
    v.add_bos = true;
    v.add_space_prefix = true;
  } else if (model_len == 4 && memcmp(model, "gpt2", 4) == 0) {
    v.kind = SC_TOK_BPE;
    /* Other pre-tokenizers split text differently; refusing them beats
     * encoding silently wrong. */
    const char *pre;
    uint64_t pre_len;
    st = sc_gguf_get_str(g, "tokenizer.ggml.pre", &pre, &pre_len, err, n);
    if (st && st != SC_STATUS_NOT_FOUND) return st;
    if (st == SC_STATUS_OK) {
      size_t k = 0;
      while (k < SC_ARRAY_LEN(pre_names) && !(strlen(pre_names[k].name) == pre_len &&
                                              memcmp(pre, pre_names[k].name, pre_len) == 0))
        k++;
      if (k == SC_ARRAY_LEN(pre_names))
        return sc_errf(err, n, SC_STATUS_UNSUPPORTED,
                       "%s: tokenizer.ggml.pre '%.*s' is not supported (GPT-2's: 'gpt-2', "
                       "'default'; Llama-3's: 'llama-bpe', 'llama3', 'llama-v3'; Qwen2's: "
                       "'qwen2')",
                       llm_gguf_name(g), (int)(pre_len < 64 ? pre_len : 64), pre);
      v.pre = pre_names[k].pre;
      /* llama.cpp: Llama-3 vocabularies add bos and skip merges for whole pieces */
      v.ignore_merges = v.add_bos = v.pre == SC_TOK_PRE_LLAMA3;
    }
  } else {
    return sc_errf(err, n, SC_STATUS_UNSUPPORTED,
                   "%s: tokenizer.ggml.model '%.*s' is not supported (llama, gpt2)",
                   llm_gguf_name(g), (int)(model_len < 64 ? model_len : 64), model);
  }

  const sc_gguf_kv *tokens, *scores_kv = NULL, *types_kv, *merges = NULL;
  if ((st = sc_gguf_get_array(g, "tokenizer.ggml.tokens", SC_GGUF_STRING, &tokens, err, n)))
    return st;
  if (tokens->n == 0 || tokens->n > INT32_MAX)
    return sc_errf(err, n, SC_STATUS_INVALID, "%s: tokenizer.ggml.tokens: %" PRIu64 " tokens",
                   llm_gguf_name(g), tokens->n);
  v.n = (uint32_t)tokens->n;
  if ((v.kind == SC_TOK_SPM &&
       (st = per_token(g, "tokenizer.ggml.scores", SC_GGUF_FLOAT32, v.n, &scores_kv, err, n))) ||
      (st = per_token(g, "tokenizer.ggml.token_type", SC_GGUF_INT32, v.n, &types_kv, err, n)))
    return st;
  if (v.kind == SC_TOK_BPE) {
    if ((st = sc_gguf_get_array(g, "tokenizer.ggml.merges", SC_GGUF_STRING, &merges, err, n)))
      return st;
    if (merges->n > UINT32_MAX)
      return sc_errf(err, n, SC_STATUS_INVALID, "%s: tokenizer.ggml.merges: %" PRIu64 " merges",
                     llm_gguf_name(g), merges->n);
    v.n_merges = (uint32_t)merges->n;
  }
  if ((st = special_id(g, "tokenizer.ggml.bos_token_id", v.n, &v.bos, err, n)) ||
      (st = special_id(g, "tokenizer.ggml.eos_token_id", v.n, &v.eos, err, n)) ||
      (st = special_id(g, "tokenizer.ggml.unknown_token_id", v.n, &v.unk, err, n)) ||
      (st = opt_bool(g, "tokenizer.ggml.add_bos_token", &v.add_bos, err, n)) ||
      (st = opt_bool(g, "tokenizer.ggml.add_space_prefix", &v.add_space_prefix, err, n)))
    return st;
  if (v.bos >= (int32_t)v.n) v.bos = -1;
  if (v.eos >= (int32_t)v.n) v.eos = -1;
  if (v.unk >= (int32_t)v.n) v.unk = -1;

  const char **pieces = NULL, **merge_ptrs = NULL;
  uint32_t *lens = NULL, *merge_lens = NULL;
  float *scores = NULL;
  int32_t *types = NULL;
  if ((st = string_table(g, "tokenizer.ggml.tokens", tokens, &pieces, &lens, err, n))) goto done;
  if (merges &&
      (st = string_table(g, "tokenizer.ggml.merges", merges, &merge_ptrs, &merge_lens, err, n)))
    goto done;
  if (v.kind == SC_TOK_SPM) {
    scores = calloc(v.n, sizeof *scores); /* absent scores are 0, as in llama.cpp */
    if (!scores) goto oom;
    for (uint32_t i = 0; scores_kv && i < v.n; i++)
      scores[i] = (float)sc_gguf_number_at(scores_kv, i);
  }
  if (types_kv) {
    types = malloc(v.n * sizeof *types);
    if (!types) goto oom;
    for (uint32_t i = 0; i < v.n; i++) types[i] = (int32_t)sc_gguf_number_at(types_kv, i);
  }
  v.pieces = pieces;
  v.lens = lens;
  v.scores = scores;
  v.types = types;
  v.merges = merge_ptrs;
  v.merge_lens = merge_lens;
  {
    char msg[256];
    st = sc_tok_create(&v, out, msg, sizeof msg);
    if (st) sc_errf(err, n, st, "%s: %s", llm_gguf_name(g), msg);
  }
  goto done;
oom:
  st = sc_errf(err, n, SC_STATUS_NO_MEMORY, "%s: out of memory", llm_gguf_name(g));
done:
  free(pieces);
  free(lens);
  free(merge_ptrs);
  free(merge_lens);
  free(scores);
  free(types);
  return st;
}

sc_status sc_tok_from_gguf(const char *path, sc_tokenizer **out, char *err, size_t err_size) {
  *out = NULL;
  /* A model object holds the mapping: model files may be far larger than
   * what reading them whole would allow, and only the metadata is touched. */
  sc_model *holder = llm_model_new("gguf");
  if (!holder) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
  const uint8_t *base;
  uint64_t size;
  sc_gguf *g = NULL;
  sc_status st = llm_model_map(holder, path, &base, &size, err, err_size);
  if (st == SC_STATUS_OK) st = sc_gguf_open(base, (size_t)size, path, &g, err, err_size);
  if (st == SC_STATUS_OK) st = llm_gguf_tokenizer(g, out, err, err_size);
  sc_gguf_free(g);
  sc_model_free(holder);
  return st;
}
