/* fuzz_gguf.c: libFuzzer entry point for GGUF files: the reader, the model
 * loader (on the bytes in memory) and tokenizers from GGUF metadata. Any input
 * must end in OK or an error with a message, never a crash or a leak. What is
 * accepted is walked whole: every metadata value read back, every tensor's
 * first and last element decoded, the tokenizer run over the input itself and
 * a fixed sentence with every id in range and decoded within its buffer.
 * Seeds: tests/fuzz/corpus/fuzz_gguf, written by test_gguf (test_fuzz_seeds). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gguf_int.h"
#include "llm_int.h"
#include "seedchip/gguf.h"
#include "seedchip/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_metadata(const sc_gguf *g) {
  for (size_t i = 0; i < sc_gguf_kv_count(g); i++) {
    const sc_gguf_kv *kv = sc_gguf_kv_at(g, i);
    size_t at;
    if (sc_gguf_find(g, kv->key, &at) != kv || at != i) abort(); /* keys are unique */
    if (kv->elem_type == SC_GGUF_STRING) {
      const char **p = malloc((size_t)(kv->n ? kv->n : 1) * sizeof *p);
      uint64_t *l = malloc((size_t)(kv->n ? kv->n : 1) * sizeof *l);
      if (p && l) {
        sc_gguf_strings(kv, p, l);
        for (uint64_t k = 0; k < kv->n; k++)
          if (p[k] < (const char *)kv->data || l[k] > kv->n_bytes) abort();
      }
      free(p);
      free(l);
    } else {
      double sum = 0;
      for (uint64_t k = 0; k < kv->n; k++) sum += sc_gguf_number_at(kv, k);
      if (sum != sum && kv->elem_type != SC_GGUF_FLOAT32 && kv->elem_type != SC_GGUF_FLOAT64)
        abort(); /* only float elements can be NaN */
    }
  }
  for (size_t i = 0; i < sc_gguf_tensor_count(g); i++) {
    const sc_gguf_tensor *t = sc_gguf_tensor_at(g, i);
    if (sc_gguf_find_tensor(g, t->name) != t) abort();
    if (t->n_bytes) {
      volatile uint8_t x = t->data[0];
      x = t->data[t->n_bytes - 1];
      (void)x;
    }
  }
}

static void check_model(const sc_gguf *g) {
  sc_model *m = llm_model_new("gguf");
  if (!m) return;
  char err[512] = "";
  sc_status st = llm_gguf_build(m, g, err, sizeof err);
  if (st != SC_STATUS_OK && err[0] == '\0') abort();
  if (st == SC_STATUS_OK) {
    for (size_t i = 0; i < sc_model_tensor_count(m); i++) {
      const sc_tensor *t = sc_model_tensor_at(m, i);
      float x[2];
      sc_tensor_to_f32(t, 0, 1, x);
      sc_tensor_to_f32(t, t->n_elems - 1, 1, x + 1);
    }
  }
  sc_model_free(m);
}

static void encode_check(const sc_tokenizer *t, const char *text, size_t len) {
  size_t need = 0, n = 0;
  if (sc_tok_encode(t, text, len, true, NULL, 0, &need) != SC_STATUS_OK) return;
  int32_t *ids = malloc((need ? need : 1) * sizeof *ids);
  if (!ids) return;
  if (sc_tok_encode(t, text, len, true, ids, need, &n) != SC_STATUS_OK || n != need) abort();
  uint32_t vocab = sc_tok_vocab_size(t);
  char buf[300];
  for (size_t i = 0; i < n; i++) {
    if (ids[i] < 0 || (uint32_t)ids[i] >= vocab) abort();
    memset(buf, 0x5A, sizeof buf);
    size_t k = sc_tok_decode(t, i ? ids[i - 1] : -1, ids[i], buf, 256);
    if (k > 256 || buf[256] != 0x5A) abort(); /* the sentinel past the buffer */
  }
  free(ids);
}

static void check_tokenizer(const sc_gguf *g, const uint8_t *data, size_t size) {
  sc_tokenizer *t = NULL;
  char err[512] = "";
  sc_status st = llm_gguf_tokenizer(g, &t, err, sizeof err);
  if (st != SC_STATUS_OK) {
    if (t != NULL || err[0] == '\0') abort();
    return;
  }
  encode_check(t, (const char *)data, size < 4096 ? size : 4096);
  static const char sentence[] = "Hello, y'all! It's 2024 \xc3\xa4\xe2\x82\xac  \n\t ab ab\xff";
  encode_check(t, sentence, sizeof sentence - 1);
  sc_tok_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sc_gguf *g = NULL;
  char err[512] = "";
  sc_status st = sc_gguf_open(data, size, "fuzz.gguf", &g, err, sizeof err);
  if (st != SC_STATUS_OK) {
    if (g != NULL || err[0] == '\0') abort(); /* a failure must explain itself */
    return 0;
  }
  walk_metadata(g);
  check_model(g);
  check_tokenizer(g, data, size);
  sc_gguf_free(g);
  return 0;
}
