/* tokenizer.h: text to token ids and back, for the tokenizers Llama-family
 * models ship with:
 *  - SentencePiece BPE with piece scores ("llama" in GGUF, llama2.c's
 *    tokenizer files): a dummy-prefix space, spaces as U+2581, pairs merged
 *    by highest score, byte fallback <0xXX> pieces for what no piece covers;
 *  - GPT-2 byte-level BPE with ranked merges ("gpt2" in GGUF): the GPT-2
 *    pre-tokenizer split, bytes mapped to printable code points, merges by
 *    rank.
 * Both reproduce llama.cpp's test vectors (../shared/models/gguf-vocab)
 * exactly. */
#ifndef SEEDCHIP_TOKENIZER_H
#define SEEDCHIP_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sc_tok_kind {
  SC_TOK_SPM, /* SentencePiece BPE with scores */
  SC_TOK_BPE, /* GPT-2 byte-level BPE with merges */
} sc_tok_kind;

/* GGUF token types (tokenizer.ggml.token_type). */
typedef enum sc_tok_type {
  SC_TOKT_UNDEFINED = 0,
  SC_TOKT_NORMAL = 1,
  SC_TOKT_UNKNOWN = 2,
  SC_TOKT_CONTROL = 3,
  SC_TOKT_USER_DEFINED = 4,
  SC_TOKT_UNUSED = 5,
  SC_TOKT_BYTE = 6,
} sc_tok_type;

typedef struct sc_tokenizer sc_tokenizer;

/* The vocabulary of a tokenizer: n pieces (bytes, not NUL-terminated: piece i
 * is lens[i] bytes at pieces[i]), their scores (SPM; NULL for BPE) and types
 * (NULL = all NORMAL), the merges of a BPE ("a b" strings, rank = index;
 * NULL for SPM), and the special ids (-1 when absent). Everything is copied. */
typedef struct sc_tok_vocab {
  sc_tok_kind kind;
  uint32_t n;
  const char *const *pieces;
  const uint32_t *lens;
  const float *scores;
  const int32_t *types;
  uint32_t n_merges;
  const char *const *merges;
  const uint32_t *merge_lens;
  int32_t bos, eos, unk;
  bool add_bos;          /* prepend bos when encoding a prompt */
  bool add_space_prefix; /* SPM: prepend a space (default true) */
} sc_tok_vocab;

SC_MUST_USE sc_status sc_tok_create(const sc_tok_vocab *v, sc_tokenizer **out, char *err,
                                    size_t err_size);

/* A llama2.c tokenizer file (int32 max_token_length, then per token: float
 * score, int32 len, bytes) with vocab_size tokens: an SPM tokenizer with
 * bos 1, eos 2, unk 0 and byte pieces <0x00>..<0xFF> at ids 3..258 when the
 * vocabulary has them. */
SC_MUST_USE sc_status sc_tok_load_llama2c(const char *path, uint32_t vocab_size, sc_tokenizer **out,
                                          char *err, size_t err_size);

/* The tokenizer a GGUF file describes in its tokenizer.ggml.* metadata (model
 * and vocabulary-only files alike): model "llama" is SPM (tokens, scores,
 * token_type, bos/eos/unk ids, add_bos_token, add_space_prefix), "gpt2" is
 * BPE with the GPT-2 pre-tokenizer (tokens, merges, token_type, bos/eos;
 * tokenizer.ggml.pre absent, "default" or "gpt-2"). Ids of 0xFFFFFFFF mean
 * absent. UNSUPPORTED for other models and pre-tokenizers; PARSE / INVALID
 * with "path: metadata key ...: problem" for malformed metadata. */
SC_MUST_USE sc_status sc_tok_from_gguf(const char *path, sc_tokenizer **out, char *err,
                                       size_t err_size);

void sc_tok_free(sc_tokenizer *t);

sc_tok_kind sc_tok_kind_of(const sc_tokenizer *t);
uint32_t sc_tok_vocab_size(const sc_tokenizer *t);
int32_t sc_tok_bos(const sc_tokenizer *t);
int32_t sc_tok_eos(const sc_tokenizer *t);
bool sc_tok_add_bos(const sc_tokenizer *t);

/* Encodes len bytes of UTF-8 text; bos is prepended when add_bos. Writes at
 * most cap ids and sets *n to the number the text needs (so a second call
 * with a larger buffer gets them all). NO_MEMORY on allocation failure. */
SC_MUST_USE sc_status sc_tok_encode(const sc_tokenizer *t, const char *text, size_t len,
                                    bool add_bos, int32_t *ids, size_t cap, size_t *n);

/* The bytes token id stands for when it follows token prev (-1 at the start):
 * SPM drops the dummy-prefix space after bos and turns <0xXX> into its byte;
 * BPE maps its code points back to bytes. Returns the length written to buf
 * (at most size bytes; a piece is never longer than 256 bytes). Control
 * tokens (bos, eos) decode to nothing. */
size_t sc_tok_decode(const sc_tokenizer *t, int32_t prev, int32_t id, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
