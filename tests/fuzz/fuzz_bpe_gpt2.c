/* fuzz_bpe_gpt2.c: libFuzzer entry point for the GPT-2 byte-level BPE encoder
 * with the real GPT-2 vocabulary (gguf-vocab/ggml-vocab-gpt-2.gguf from
 * $SEEDCHIP_MODELS, else the shared models beside the source tree; without it
 * every input passes untested). Any bytes, valid UTF-8 or not, must encode to
 * ids in range that decode back to exactly those bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/tokenizer.h"
#include "seedchip/util.h"

#ifndef SC_MODELS_DIR
#define SC_MODELS_DIR "../shared/models"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Loaded once per process: the harness, not the library, keeps this. */
static sc_tokenizer *vocab(void) {
  static sc_tokenizer *t;
  static int tried;
  if (tried) return t;
  tried = 1;
  const char *dir = getenv("SEEDCHIP_MODELS");
  sc_strbuf p = {0};
  sc_strbuf_printf(&p, "%s/gguf-vocab/ggml-vocab-gpt-2.gguf", dir && *dir ? dir : SC_MODELS_DIR);
  char err[512];
  if (sc_tok_from_gguf(sc_strbuf_str(&p), &t, err, sizeof err) != SC_STATUS_OK) {
    fprintf(stderr, "fuzz_bpe_gpt2: %s (inputs pass untested)\n", err);
    t = NULL;
  }
  sc_strbuf_free(&p);
  return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sc_tokenizer *t = vocab();
  if (!t) return 0;
  size_t need = 0, n = 0;
  if (sc_tok_encode(t, (const char *)data, size, false, NULL, 0, &need) != SC_STATUS_OK) abort();
  int32_t *ids = malloc((need ? need : 1) * sizeof *ids);
  if (!ids) abort();
  if (sc_tok_encode(t, (const char *)data, size, false, ids, need, &n) != SC_STATUS_OK || n != need)
    abort();
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (ids[i] < 0 || (uint32_t)ids[i] >= sc_tok_vocab_size(t)) abort();
    char piece[256];
    size_t m = sc_tok_decode(t, i ? ids[i - 1] : -1, ids[i], piece, sizeof piece);
    if (m > size - k || memcmp(piece, data + k, m) != 0) abort(); /* decodes to the input */
    k += m;
  }
  if (k != size) abort();
  free(ids);
  return 0;
}
