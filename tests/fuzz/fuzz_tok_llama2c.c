/* fuzz_tok_llama2c.c: libFuzzer entry point for llama2.c tokenizer files and
 * SPM encoding/decoding. Input: a little-endian u16 vocab_size, then the file.
 * An accepted tokenizer encodes the whole input (arbitrary bytes) and a fixed
 * sentence: every id in range, the count the same with and without room for
 * the ids, and every id decodes within its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/tokenizer.h"
#include "tok_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint32_t vocab = (uint32_t)(data[0] | data[1] << 8);
  sc_tokenizer *t;
  char err[256] = "";
  sc_status st = tok_llama2c_parse(data + 2, size - 2, vocab, "fuzz.bin", &t, err, sizeof err);
  if (st != SC_STATUS_OK) {
    if (err[0] == '\0' || t != NULL) abort();
    return 0;
  }
  encode_check(t, (const char *)data, size);
  static const char sentence[] = "Once upon a time, the cat sat in the hat. \xc3\xa4\xe2\x82\xac\n";
  encode_check(t, sentence, sizeof sentence - 1);
  sc_tok_free(t);
  return 0;
}
