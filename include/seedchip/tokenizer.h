/* tokenizer.h: text to token ids and back, for the tokenizers Llama-family
 * models ship with:
 *  - SentencePiece BPE with piece scores ("llama" in GGUF, llama2.c's
 *    tokenizer files, Llama-2/Mistral tokenizer.json): a dummy-prefix space,
 *    spaces as U+2581, pairs merged by highest score, byte fallback <0xXX>
 *    pieces for what no piece covers;
 *  - byte-level BPE with ranked merges ("gpt2" in GGUF, GPT-2/Llama-3/Qwen2
 *    tokenizer.json): a pre-tokenizer split (GPT-2's, Llama-3's or Qwen2's
 *    regex), bytes mapped to printable code points, merges by rank.
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
  SC_TOK_BPE, /* byte-level BPE with ranked merges (GPT-2, Llama-3, Qwen2) */
} sc_tok_kind;

/* The pre-tokenizer of a byte-level BPE: which regex splits text into words
 * before merging (docs/LLM.md gives the patterns). */
typedef enum sc_tok_pre {
  SC_TOK_PRE_GPT2 = 0, /* GPT-2: ' ?\p{L}+', ' ?\p{N}+', ... */
  SC_TOK_PRE_LLAMA3,   /* Llama-3: case-insensitive contractions, digits in threes */
  SC_TOK_PRE_QWEN2,    /* Qwen2: Llama-3's with single digits */
} sc_tok_pre;

/* Where SPM puts its dummy-prefix space (when add_space_prefix), for each
 * segment of text between pieces cut out verbatim (see split_special). */
typedef enum sc_tok_prefix {
  SC_TOK_PREFIX_ALWAYS = 0,   /* every segment (SentencePiece; HF's Prepend normalizer) */
  SC_TOK_PREFIX_FIRST,        /* only a segment at the start of the text, and only when it starts
                                 with neither a space nor U+2581 (HF Metaspace "first") */
  SC_TOK_PREFIX_UNLESS_SPACE, /* every segment that starts with neither a space nor U+2581
                                 (HF Metaspace "always") */
} sc_tok_prefix;

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
  /* The rest is zero for llama.cpp's behaviour (GGUF, llama2.c files). */
  sc_tok_pre pre;       /* BPE: the pre-tokenizer */
  bool ignore_merges;   /* BPE: a word that is itself a (non-control) piece is that piece,
                           merges or not (Llama-3) */
  bool nfc;             /* normalize each segment to Unicode NFC first (Qwen2) */
  bool split_special;   /* cut CONTROL pieces out of the text verbatim too, as Hugging Face
                           does with its added tokens (SPM: USER_DEFINED ones as well); without
                           it BPE cuts out only USER_DEFINED pieces and SPM none (llama.cpp) */
  sc_tok_prefix prefix; /* SPM: where the dummy prefix goes */
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
 * byte-level BPE (tokens, merges, token_type, bos/eos) with the pre-tokenizer
 * tokenizer.ggml.pre names: GPT-2's when absent, "default" or "gpt-2";
 * Llama-3's for "llama-bpe", "llama3" or "llama-v3" (with ignore_merges and
 * add_bos by default, as llama.cpp); Qwen2's for "qwen2". Ids of 0xFFFFFFFF
 * mean absent. UNSUPPORTED for other models and pre-tokenizers; PARSE / INVALID
 * with "path: metadata key ...: problem" for malformed metadata. */
SC_MUST_USE sc_status sc_tok_from_gguf(const char *path, sc_tokenizer **out, char *err,
                                       size_t err_size);

/* A Hugging Face tokenizer: path is a tokenizer.json file or a checkpoint
 * directory holding one; a tokenizer_config.json beside it (optional) gives
 * bos_token, eos_token and add_bos_token. Supported: model "BPE" either
 *  - SentencePiece-style (Llama-2, Mistral): byte_fallback, spaces as U+2581
 *    through a Prepend+Replace normalizer or a Metaspace pre-tokenizer; an
 *    SPM tokenizer whose piece scores follow the merge order;
 *  - byte-level (GPT-2, Llama-3, Qwen2): a ByteLevel pre-tokenizer, alone
 *    (GPT-2's regex) or after a Split by exactly GPT-2's, Llama-3's or Qwen2's
 *    regex; normalizer none or NFC.
 * Added tokens (special or not) are cut out of the text verbatim before
 * anything else, as Hugging Face's tokenizers does; the post-processor's
 * leading special token is bos (add_bos). docs/LLM.md lists every rule.
 * UNSUPPORTED naming what is not (WordPiece, Unigram, another regex, ...);
 * PARSE "file:line:col: ..." for malformed JSON; INVALID "file: field:
 * problem" for missing fields, duplicate tokens, merges naming unknown
 * tokens; IO and NOT_FOUND for files. */
SC_MUST_USE sc_status sc_tok_from_hf(const char *path, sc_tokenizer **out, char *err,
                                     size_t err_size);

void sc_tok_free(sc_tokenizer *t);

sc_tok_kind sc_tok_kind_of(const sc_tokenizer *t);
sc_tok_pre sc_tok_pre_of(const sc_tokenizer *t); /* BPE's pre-tokenizer (SPM: GPT2, unused) */
uint32_t sc_tok_vocab_size(const sc_tokenizer *t);
int32_t sc_tok_bos(const sc_tokenizer *t);
int32_t sc_tok_eos(const sc_tokenizer *t);
bool sc_tok_add_bos(const sc_tokenizer *t);

/* Encodes len bytes of UTF-8 text; bos is prepended when add_bos. Pieces cut
 * out verbatim (USER_DEFINED, and CONTROL with split_special) are matched
 * first, longest first at each position; the segments between them are
 * encoded on their own. Writes at most cap ids and sets *n to the number the
 * text needs (so a second call with a larger buffer gets them all).
 * NO_MEMORY on allocation failure, OVERFLOW beyond 1 GiB of text. */
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
