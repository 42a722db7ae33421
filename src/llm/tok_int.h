/* tok_int.h: the inside of an sc_tokenizer, shared by tokenizer.c (the common
 * object, the SPM algorithm, llama2.c tokenizer files), tokenizer_bpe.c
 * (byte-level BPE and its pre-tokenizers) and tokenizer_hf.c (tokenizer.json).
 *
 * Division of work:
 *  - tokenizer.c's sc_tok_create copies the whole sc_tok_vocab (pieces, lens,
 *    scores, types, merges), builds `pieces_map` (piece bytes -> id), the list
 *    of pieces cut out of text verbatim (`specials`) and, for BPE,
 *    `merges_map` ("left right" bytes -> rank), then calls tok_bpe_init for
 *    kind BPE. sc_tok_free calls tok_bpe_free.
 *  - sc_tok_encode handles bos (prepends it when asked), the cap/n protocol,
 *    cutting out `specials` and NFC; each segment between them goes to the
 *    SPM algorithm or to tok_bpe_encode.
 *  - sc_tok_decode returns nothing for CONTROL tokens, bos and eos; for other
 *    BPE tokens it calls tok_bpe_decode.
 *
 * Invariants: pieces[i] points at lens[i] bytes (plus a NUL after them, for
 * convenience; pieces may themselves contain NUL bytes) that the tokenizer
 * owns; types[i] is always valid (NORMAL when the vocab had no types);
 * scores is NULL for BPE; merges is NULL for SPM. Map keys borrow the
 * tokenizer's own piece and merge bytes, so the maps never outlive them. */
#ifndef SEEDCHIP_TOK_INT_H
#define SEEDCHIP_TOK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seedchip/tokenizer.h"

/* An open-addressing hash map from byte strings (borrowed) to int32 values.
 * Zero-initialise, tok_map_init, tok_map_put..., tok_map_free. */
typedef struct tok_map_slot {
  const char *key; /* NULL = empty slot */
  uint32_t len;
  int32_t value;
} tok_map_slot;

typedef struct tok_map {
  tok_map_slot *slots;
  uint32_t mask; /* capacity - 1, capacity a power of two */
  uint32_t count;
} tok_map;

/* Room for n keys (load factor at most 1/2). NO_MEMORY or OVERFLOW. */
SC_MUST_USE sc_status tok_map_init(tok_map *m, uint32_t n);
/* Inserts key -> value; an existing key keeps its first value (returns
 * false then, true when inserted). The map must have been sized for it. */
bool tok_map_put(tok_map *m, const char *key, uint32_t len, int32_t value);
/* The value of key, or -1. */
int32_t tok_map_get(const tok_map *m, const char *key, size_t len);
void tok_map_free(tok_map *m);

struct sc_tokenizer {
  sc_tok_kind kind;
  uint32_t n; /* vocabulary size */
  char **pieces;
  uint32_t *lens;
  float *scores;  /* SPM: n scores; BPE: NULL */
  int32_t *types; /* n sc_tok_type values */
  tok_map pieces_map;

  uint32_t n_merges; /* BPE: merges[r] is "left right", merge_lens[r] bytes */
  char **merges;
  uint32_t *merge_lens;
  tok_map merges_map; /* BPE: "left right" -> rank r */

  int32_t bos, eos, unk; /* -1 when absent */
  bool add_bos;
  bool add_space_prefix;
  sc_tok_pre pre;     /* BPE */
  bool ignore_merges; /* BPE */
  bool nfc;
  bool split_special;
  sc_tok_prefix prefix;  /* SPM */
  int32_t byte_ids[256]; /* SPM: the id of piece <0xXX>, or -1 */

  /* Pieces cut out of text verbatim (USER_DEFINED; CONTROL too with
   * split_special; none for SPM without it), longest first, then by id. */
  uint32_t *specials;
  uint32_t n_specials;
  uint8_t special_first[32]; /* bitmap of their first bytes */

  void *bpe; /* tokenizer_bpe.c's private state (NULL for SPM) */
};

/* BPE (tokenizer_bpe.c). tok_bpe_init runs after the common part above is
 * filled, may set t->bpe, and reports problems of the vocabulary
 * ("tokenizer: merge 17 \"a b\": piece \"b\" is not in the vocabulary").
 * tok_bpe_free frees t->bpe (safe when NULL). */
SC_MUST_USE sc_status tok_bpe_init(sc_tokenizer *t, char *err, size_t err_size);
void tok_bpe_free(sc_tokenizer *t);

/* Encodes len bytes of text that holds no special piece (no bos): appends its
 * ids to ids[*n..cap) and adds their number to *n (counting those past cap).
 * NO_MEMORY on allocation failure. */
SC_MUST_USE sc_status tok_bpe_encode(const sc_tokenizer *t, const char *text, size_t len,
                                     int32_t *ids, size_t cap, size_t *n);

/* The words pre-tokenizer pre splits len bytes of text into: ends[k] is the
 * byte offset where word k ends. Writes at most cap ends, sets *n to the
 * number of words. NO_MEMORY, OVERFLOW beyond 1 GiB. The tests call it. */
SC_MUST_USE sc_status tok_bpe_split(sc_tok_pre pre, const char *text, size_t len, size_t *ends,
                                    size_t cap, size_t *n);

/* The bytes of token id (a valid, non-control id): code points mapped back
 * to bytes. Writes at most size bytes and returns the length written. */
size_t tok_bpe_decode(const sc_tokenizer *t, int32_t id, char *buf, size_t size);

/* sc_tok_load_llama2c on bytes in memory (name is the file name for
 * messages); the fuzz target calls it directly. */
SC_MUST_USE sc_status tok_llama2c_parse(const uint8_t *data, size_t size, uint32_t vocab_size,
                                        const char *name, sc_tokenizer **out, char *err,
                                        size_t err_size);

/* sc_tok_from_hf on text in memory: json is tokenizer.json (json_len bytes,
 * named `name` in messages); config is tokenizer_config.json (config_len
 * bytes, named config_name) or NULL. The fuzz target calls it directly. */
SC_MUST_USE sc_status tok_hf_parse(const char *json, size_t json_len, const char *name,
                                   const char *config, size_t config_len, const char *config_name,
                                   sc_tokenizer **out, char *err, size_t err_size);

/* UTF-8 helper: the length of the sequence that starts with byte c (1 for a
 * continuation or invalid byte, so a walk always advances). */
static inline size_t tok_utf8_len(unsigned char c) {
  static const unsigned char lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return lookup[c >> 4];
}

#endif
