/* fuzz_tokenizer_hf.c: libFuzzer entry point for Hugging Face tokenizer.json
 * files (tok_hf_parse) and the tokenizers they make. Input: the file, then
 * optionally a NUL byte and a tokenizer_config.json. A refused file must say
 * why and leave no tokenizer; an accepted one encodes the whole input
 * (arbitrary bytes) and a fixed sentence with every id in range, the same
 * count with and without room for the ids, every id decoding within its
 * buffer, and byte-level tokenizers without NFC that hold all 256 byte
 * pieces decoding back to the exact input (unless a special, added or unk
 * piece came out). Seeds: tests/fuzz/corpus/fuzz_tokenizer_hf (two of the
 * tests/data/hf files and small hand-written ones, refusals among them). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seedchip/tokenizer.h"
#include "tok_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether every byte's GPT-2 code point is a piece (the byte alphabet). */
static bool has_byte_alphabet(const sc_tokenizer *t) {
  unsigned extra = 0;
  for (unsigned b = 0; b < 256; b++) {
    bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    unsigned cp = printable ? b : 256 + extra++;
    char c[2] = {(char)cp, 0};
    size_t cl = 1;
    if (cp >= 0x80) {
      c[0] = (char)(0xC0 | cp >> 6);
      c[1] = (char)(0x80 | (cp & 0x3F));
      cl = 2;
    }
    if (tok_map_get(&t->pieces_map, c, cl) < 0) return false;
  }
  return true;
}

/* Whether decoding must give the text back. */
static bool must_round_trip(const sc_tokenizer *t, const int32_t *ids, size_t n) {
  if (t->kind != SC_TOK_BPE || t->nfc || !has_byte_alphabet(t)) return false;
  for (size_t i = 0; i < n; i++)
    if (t->types[ids[i]] == SC_TOKT_CONTROL || t->types[ids[i]] == SC_TOKT_USER_DEFINED ||
        ids[i] == t->bos || ids[i] == t->eos || ids[i] == t->unk)
      return false;
  return true;
}

static void encode_check(const sc_tokenizer *t, const char *text, size_t len) {
  size_t need = 0, n = 0;
  if (sc_tok_encode(t, text, len, false, NULL, 0, &need) != SC_STATUS_OK) return;
  int32_t *ids = malloc((need ? need : 1) * sizeof *ids);
  if (!ids) return;
  if (sc_tok_encode(t, text, len, false, ids, need, &n) != SC_STATUS_OK || n != need) abort();
  uint32_t vocab = sc_tok_vocab_size(t);
  char buf[300];
  size_t at = 0;
  bool same = true;
  for (size_t i = 0; i < n; i++) {
    if (ids[i] < 0 || (uint32_t)ids[i] >= vocab) abort();
    memset(buf, 0x5A, sizeof buf);
    size_t k = sc_tok_decode(t, i ? ids[i - 1] : -1, ids[i], buf, 256);
    if (k > 256 || buf[256] != 0x5A) abort(); /* the sentinel past the buffer */
    same = same && k <= len - at && memcmp(buf, text + at, k) == 0;
    at += k;
  }
  if (!(same && at == len) && must_round_trip(t, ids, n)) abort();
  free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *json = (const char *)data, *config = NULL;
  size_t json_len = size, config_len = 0;
  const uint8_t *nul = memchr(data, 0, size);
  if (nul) {
    json_len = (size_t)(nul - data);
    config = (const char *)nul + 1;
    config_len = size - json_len - 1;
  }
  sc_tokenizer *t = (sc_tokenizer *)&t; /* must be reset */
  char err[512] = "";
  sc_status st = tok_hf_parse(json, json_len, "fuzz.json", config, config_len, "fuzz_config.json",
                              &t, err, sizeof err);
  if (st != SC_STATUS_OK) {
    if (err[0] == '\0' || t != NULL) abort();
    return 0;
  }
  encode_check(t, (const char *)data, size);
  static const char sentence[] = "Once upon a time, the cat's 12345 hats\n\n \xc3\xa4\xe2\x82\xac "
                                 "<|eot_id|> \xe2\x96\x81x e\xcc\x81";
  encode_check(t, sentence, sizeof sentence - 1);
  sc_tok_free(t);
  return 0;
}
