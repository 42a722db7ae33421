/* tokenizer_bpe.c: byte-level BPE (the tok_bpe_* hooks of tok_int.h),
 * reproducing llama.cpp's "gpt-2" pre-tokenizer and merge loop, and the
 * Llama-3 and Qwen2 pre-tokenizers as Hugging Face's regex engine runs them.
 *
 * Encoding, per segment (sc_tok_encode has cut out the special pieces):
 *  1. (nothing here: NFC, where asked, is sc_tok_encode's)
 *  2. Pre-tokenize with the tokenizer's regex, by a hand-written matcher over
 *     code points:
 *     GPT-2 (branch for branch the one in llama.cpp's unicode.cpp)
 *       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *     Llama-3 (Qwen2: \p{N} instead of \p{N}{1,3})
 *       (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *        ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *     Letters and numbers are Unicode general categories L* and N*
 *     (utf8proc); whitespace is the White_Space property.
 *  3. Map each word's bytes to GPT-2's printable code points (bytes that are
 *     printable Latin-1 keep their value, the other 68 become U+0100..U+0143
 *     in byte order), one symbol per byte, and merge the adjacent pair with
 *     the lowest merge rank (leftmost on ties) until no pair has a rank. A
 *     min-heap of candidate pairs makes that O(n log n); an entry whose
 *     symbols changed since it was pushed is stale and skipped.
 *     With ignore_merges (Llama-3) a word that is itself a piece skips this.
 *  4. Each symbol left is a piece; one that is not (a vocabulary without some
 *     merge result) becomes its characters' pieces, or unk, as llama.cpp.
 *
 * Invalid UTF-8 differs from llama.cpp in one way only: llama.cpp replaces
 * each bad byte with U+FFFD before mapping, we keep the byte itself (split as
 * the same "other" character), so decoding returns the input exactly.
 *
 * Decoding maps a piece's code points back to bytes; code points outside the
 * table (user-defined pieces) stay as they are. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "seedchip/util.h"
#include "tok_int.h"

/* The longest merge key "left right" that can have a rank (tokenizer.c caps
 * merges at 2 * 256 + 1 bytes). */
#define MAX_MERGE_BYTES 513u

typedef struct bpe_state {
  char byte_utf8[256][2]; /* the UTF-8 of each byte's code point (U+0021..U+0143) */
  uint8_t byte_utf8_len[256];
  int16_t cp_byte[0x144]; /* code point -> byte, or -1 */
} bpe_state;

/* GPT-2's bytes_to_unicode: the byte's own code point where it is printable. */
static bool byte_is_printable(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

sc_status tok_bpe_init(sc_tokenizer *t, char *err, size_t err_size) {
  bpe_state *s = calloc(1, sizeof *s);
  if (!s) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "tokenizer: out of memory");
  t->bpe = s;
  for (unsigned cp = 0; cp < SC_ARRAY_LEN(s->cp_byte); cp++) s->cp_byte[cp] = -1;
  unsigned extra = 0;
  for (unsigned b = 0; b < 256; b++) {
    unsigned cp = byte_is_printable(b) ? b : 256 + extra++;
    s->cp_byte[cp] = (int16_t)b;
    if (cp < 0x80) {
      s->byte_utf8[b][0] = (char)cp;
      s->byte_utf8_len[b] = 1;
    } else {
      s->byte_utf8[b][0] = (char)(0xC0 | cp >> 6);
      s->byte_utf8[b][1] = (char)(0x80 | (cp & 0x3F));
      s->byte_utf8_len[b] = 2;
    }
  }

  /* Every merge is "left right" with both sides non-empty. Whether the sides
   * are pieces does not matter to the algorithm, so it is not required. */
  for (uint32_t r = 0; r < t->n_merges; r++) {
    const char *m = t->merges[r];
    uint32_t len = t->merge_lens[r];
    const char *sp = len > 2 ? memchr(m + 1, ' ', len - 2) : NULL;
    if (!sp)
      return sc_errf(err, err_size, SC_STATUS_INVALID,
                     "tokenizer: merge %u \"%.*s\" is not two pieces separated by a space",
                     (unsigned)r, (int)(len < 64 ? len : 64), m);
  }
  return SC_STATUS_OK;
}

void tok_bpe_free(sc_tokenizer *t) {
  bpe_state *s = t->bpe;
  if (!s) return;
  free(s);
  t->bpe = NULL;
}

/* ---- pre-tokenizer ---- */

enum { CLS_OTHER, CLS_LETTER, CLS_NUMBER, CLS_SPACE, CLS_END /* past the fragment */ };

typedef struct unit {
  uint32_t off; /* byte offset in the fragment */
  uint32_t cp;  /* code point (0xFFFD for a byte that starts no valid sequence) */
  uint8_t len;  /* bytes */
  uint8_t cls;
} unit;

/* Unicode White_Space, which is what \s matches in GPT-2's regex. */
static bool is_white_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

static uint8_t classify(uint32_t cp) {
  if (is_white_space(cp)) return CLS_SPACE;
  switch (utf8proc_category((utf8proc_int32_t)cp)) {
  case UTF8PROC_CATEGORY_LU:
  case UTF8PROC_CATEGORY_LL:
  case UTF8PROC_CATEGORY_LT:
  case UTF8PROC_CATEGORY_LM:
  case UTF8PROC_CATEGORY_LO:
    return CLS_LETTER;
  case UTF8PROC_CATEGORY_ND:
  case UTF8PROC_CATEGORY_NL:
  case UTF8PROC_CATEGORY_NO:
    return CLS_NUMBER;
  default:
    return CLS_OTHER;
  }
}

/* Decodes one character at s[0..n) the way llama.cpp does (lead byte,
 * continuation bytes checked, nothing else); *len 1 and 0xFFFD when invalid. */
static uint32_t decode_utf8(const unsigned char *s, size_t n, uint8_t *len) {
  unsigned char c = s[0];
  size_t k = c < 0x80             ? 1
             : (c & 0xE0) == 0xC0 ? 2
             : (c & 0xF0) == 0xE0 ? 3
             : (c & 0xF8) == 0xF0 ? 4
                                  : 0;
  if (k == 0 || k > n) goto invalid;
  uint32_t cp = k == 1 ? c : k == 2 ? c & 0x1Fu : k == 3 ? c & 0x0Fu : c & 0x07u;
  for (size_t i = 1; i < k; i++) {
    if ((s[i] & 0xC0) != 0x80) goto invalid;
    cp = cp << 6 | (s[i] & 0x3Fu);
  }
  *len = (uint8_t)k;
  return cp;
invalid:
  *len = 1;
  return 0xFFFD;
}

/* Splits units u[0..n) into words by GPT-2's regex; ends[k] is the unit
 * index where word k ends (exclusive). Returns the number of words. */
static size_t split_gpt2(const unit *u, size_t n, uint32_t *ends) {
  size_t n_words = 0, pos = 0;
#define CLS(i) ((i) < n ? u[i].cls : CLS_END)
#define WORD_TO(e) (ends[n_words++] = (uint32_t)(e))
  while (pos < n) {
    uint32_t cp = u[pos].cp;
    /* 's|'t|'re|'ve|'m|'ll|'d */
    if (cp == '\'' && pos + 1 < n) {
      uint32_t a = u[pos + 1].cp;
      if (a == 's' || a == 't' || a == 'm' || a == 'd') {
        pos += 2;
        WORD_TO(pos);
        continue;
      }
      if (pos + 2 < n) {
        uint32_t b = u[pos + 2].cp;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
          pos += 3;
          WORD_TO(pos);
          continue;
        }
      }
    }
    uint8_t c2 = cp == ' ' ? CLS(pos + 1) : u[pos].cls;
    /* ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+' */
    if (c2 == CLS_LETTER || c2 == CLS_NUMBER || c2 == CLS_OTHER) {
      pos += cp == ' ';
      while (CLS(pos) == c2) pos++;
      WORD_TO(pos);
      continue;
    }
    size_t ws = 0;
    while (CLS(pos + ws) == CLS_SPACE) ws++;
    /* '\s+(?!\S)': leave the last space to the word that follows */
    if (ws > 1 && pos + ws < n) {
      pos += ws - 1;
      WORD_TO(pos);
      continue;
    }
    /* '\s+' */
    if (ws > 0) {
      pos += ws;
      WORD_TO(pos);
      continue;
    }
    WORD_TO(++pos); /* unreachable with the classes above; kept as llama.cpp has it */
  }
#undef CLS
#undef WORD_TO
  return n_words;
}

/* The contractions of Llama-3's (?i:'s|'t|'re|'ve|'m|'ll|'d) under Unicode
 * case folding: ASCII letters either case, and U+017F (long s), which folds
 * to 's' (so a regex engine matches it; llama.cpp's tolower does not). */
static uint32_t fold(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + ('a' - 'A');
  return cp == 0x17F ? 's' : cp;
}

static bool is_newline(uint32_t cp) {
  return cp == '\r' || cp == '\n';
}

/* Splits units u[0..n) into words by Llama-3's regex (max_digits 3) or
 * Qwen2's (max_digits 1), the alternatives tried in order at each position
 * as a backtracking regex engine does; ends as for split_gpt2. */
static size_t split_llama3(const unit *u, size_t n, uint32_t *ends, size_t max_digits) {
  size_t n_words = 0, pos = 0;
#define CLS(i) ((i) < n ? u[i].cls : CLS_END)
#define WORD_TO(e) (ends[n_words++] = (uint32_t)(e))
  while (pos < n) {
    uint32_t cp = u[pos].cp;
    uint8_t cls = u[pos].cls;
    /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
    if (cp == '\'' && pos + 1 < n) {
      uint32_t a = fold(u[pos + 1].cp);
      if (a == 's' || a == 't' || a == 'm' || a == 'd') {
        pos += 2;
        WORD_TO(pos);
        continue;
      }
      if (pos + 2 < n) {
        uint32_t b = fold(u[pos + 2].cp);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
          pos += 3;
          WORD_TO(pos);
          continue;
        }
      }
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+: letters, with one leading character that is
     * none of those (a space, a tab, punctuation) */
    if (cls == CLS_LETTER || (cls != CLS_NUMBER && !is_newline(cp) && CLS(pos + 1) == CLS_LETTER)) {
      pos++;
      while (CLS(pos) == CLS_LETTER) pos++;
      WORD_TO(pos);
      continue;
    }
    /* \p{N}{1,3}: a run of digits in words of three from its start */
    if (cls == CLS_NUMBER) {
      size_t start = pos;
      while (pos - start < max_digits && CLS(pos) == CLS_NUMBER) pos++;
      WORD_TO(pos);
      continue;
    }
    /* ' ?[^\s\p{L}\p{N}]+[\r\n]*' */
    if (cls == CLS_OTHER || (cp == ' ' && CLS(pos + 1) == CLS_OTHER)) {
      pos += cp == ' ';
      while (CLS(pos) == CLS_OTHER) pos++;
      while (pos < n && is_newline(u[pos].cp)) pos++;
      WORD_TO(pos);
      continue;
    }
    /* What is left starts a run of whitespace. */
    size_t ws = 0, nl_end = 0;
    for (; CLS(pos + ws) == CLS_SPACE; ws++)
      if (is_newline(u[pos + ws].cp)) nl_end = pos + ws + 1;
    /* \s*[\r\n]+: \s* backtracks to the run's last \r or \n */
    if (nl_end > 0) {
      pos = nl_end;
      WORD_TO(pos);
      continue;
    }
    /* \s+(?!\S): leave the last space to the word that follows */
    if (ws > 1 && pos + ws < n) {
      pos += ws - 1;
      WORD_TO(pos);
      continue;
    }
    /* \s+ (ws >= 1: every other class was handled above) */
    pos += ws;
    WORD_TO(pos);
  }
#undef CLS
#undef WORD_TO
  return n_words;
}

static size_t pretokenize(sc_tok_pre pre, const unit *u, size_t n, uint32_t *ends) {
  switch (pre) {
  case SC_TOK_PRE_LLAMA3:
    return split_llama3(u, n, ends, 3);
  case SC_TOK_PRE_QWEN2:
    return split_llama3(u, n, ends, 1);
  case SC_TOK_PRE_GPT2:
    break;
  }
  return split_gpt2(u, n, ends);
}

/* Decodes and classifies text[0..len) into units; returns their number. */
static size_t to_units(const char *text, size_t len, unit *units) {
  size_t n = 0;
  for (size_t off = 0; off < len; n++) {
    unit *u = &units[n];
    u->off = (uint32_t)off;
    u->cp = decode_utf8((const unsigned char *)text + off, len - off, &u->len);
    u->cls = classify(u->cp);
    off += u->len;
  }
  return n;
}

sc_status tok_bpe_split(sc_tok_pre pre, const char *text, size_t len, size_t *ends, size_t cap,
                        size_t *n) {
  *n = 0;
  if (len == 0) return SC_STATUS_OK;
  if (len > (size_t)1 << 30) return SC_STATUS_OVERFLOW;
  unit *units = malloc(len * sizeof *units);
  uint32_t *word_ends = malloc(len * sizeof *word_ends);
  if (!units || !word_ends) {
    free(units);
    free(word_ends);
    return SC_STATUS_NO_MEMORY;
  }
  size_t n_units = to_units(text, len, units);
  *n = pretokenize(pre, units, n_units, word_ends);
  for (size_t k = 0; k < *n && k < cap; k++)
    ends[k] = word_ends[k] < n_units ? units[word_ends[k]].off : len;
  free(units);
  free(word_ends);
  return SC_STATUS_OK;
}

/* ---- merges ---- */

typedef struct symbol {
  uint32_t start, n;  /* bytes of the mapped word; n = 0 once merged away */
  int32_t prev, next; /* neighbours, -1 at the ends */
} symbol;

typedef struct bigram {
  int32_t rank, left, right;
  uint32_t size; /* bytes of left + right when pushed */
} bigram;

/* Heap order: lower rank first, then the leftmost pair. */
static bool before(const bigram *a, const bigram *b) {
  return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

typedef struct work {
  const sc_tokenizer *t;
  const bpe_state *s;
  unit *units;
  uint32_t *ends;
  char *mapped; /* the current word, mapped to code points */
  symbol *sym;
  bigram *heap;
  size_t n_heap;
  int32_t *ids;
  size_t cap, *n;
} work;

static void heap_push(work *w, bigram b) {
  size_t i = w->n_heap++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(&b, &w->heap[parent])) break;
    w->heap[i] = w->heap[parent];
    i = parent;
  }
  w->heap[i] = b;
}

static bigram heap_pop(work *w) {
  bigram top = w->heap[0], last = w->heap[--w->n_heap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= w->n_heap) break;
    if (c + 1 < w->n_heap && before(&w->heap[c + 1], &w->heap[c])) c++;
    if (!before(&w->heap[c], &last)) break;
    w->heap[i] = w->heap[c];
    i = c;
  }
  if (w->n_heap > 0) w->heap[i] = last;
  return top;
}

static void try_add_bigram(work *w, int32_t left, int32_t right) {
  if (left < 0 || right < 0) return;
  const symbol *l = &w->sym[left], *r = &w->sym[right];
  if (l->n + 1 + r->n > MAX_MERGE_BYTES) return;
  char key[MAX_MERGE_BYTES];
  memcpy(key, w->mapped + l->start, l->n);
  key[l->n] = ' ';
  memcpy(key + l->n + 1, w->mapped + r->start, r->n);
  int32_t rank = tok_map_get(&w->t->merges_map, key, l->n + 1 + r->n);
  if (rank >= 0) heap_push(w, (bigram){rank, left, right, l->n + r->n});
}

static void emit(work *w, int32_t id) {
  if (*w->n < w->cap) w->ids[*w->n] = id;
  (*w->n)++;
}

/* BPE of one word: bytes text[0..len). */
static void encode_word(work *w, const char *text, size_t len) {
  uint32_t m = 0;
  int32_t n_sym = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char b = (unsigned char)text[i];
    uint8_t bl = w->s->byte_utf8_len[b];
    memcpy(w->mapped + m, w->s->byte_utf8[b], bl);
    w->sym[n_sym] = (symbol){m, bl, n_sym - 1, i + 1 < len ? n_sym + 1 : -1};
    m += bl;
    n_sym++;
  }
  if (w->t->ignore_merges) {
    int32_t id = tok_map_get(&w->t->pieces_map, w->mapped, m);
    if (id >= 0 && w->t->types[id] != SC_TOKT_CONTROL) {
      emit(w, id);
      return;
    }
  }
  w->n_heap = 0;
  for (int32_t i = 1; i < n_sym; i++) try_add_bigram(w, i - 1, i);
  while (w->n_heap > 0) {
    bigram b = heap_pop(w);
    symbol *l = &w->sym[b.left], *r = &w->sym[b.right];
    if (l->n == 0 || r->n == 0 || l->n + r->n != b.size || l->next != b.right) continue;
    l->n += r->n;
    r->n = 0;
    l->next = r->next;
    if (r->next >= 0) w->sym[r->next].prev = b.left;
    try_add_bigram(w, l->prev, b.left);
    try_add_bigram(w, b.left, l->next);
  }
  for (int32_t i = 0; i >= 0 && n_sym > 0; i = w->sym[i].next) {
    const char *p = w->mapped + w->sym[i].start;
    uint32_t n = w->sym[i].n;
    int32_t id = tok_map_get(&w->t->pieces_map, p, n);
    if (id >= 0) {
      emit(w, id);
      continue;
    }
    /* Not a piece: its characters' pieces, or unk. */
    for (uint32_t k = 0; k < n;) {
      uint32_t cl = (uint32_t)tok_utf8_len((unsigned char)p[k]);
      if (cl > n - k) cl = n - k;
      int32_t cid = tok_map_get(&w->t->pieces_map, p + k, cl);
      if (cid < 0) cid = w->t->unk;
      if (cid >= 0) emit(w, cid);
      k += cl;
    }
  }
}

/* Pre-tokenizes and encodes a fragment without specials. */
static void encode_fragment(work *w, const char *text, size_t len) {
  size_t n = to_units(text, len, w->units);
  size_t n_words = pretokenize(w->t->pre, w->units, n, w->ends);
  size_t start = 0;
  for (size_t k = 0; k < n_words; k++) {
    size_t end = w->ends[k];
    size_t b0 = w->units[start].off;
    size_t b1 = end < n ? w->units[end].off : len;
    encode_word(w, text + b0, b1 - b0);
    start = end;
  }
}

sc_status tok_bpe_encode(const sc_tokenizer *t, const char *text, size_t len, int32_t *ids,
                         size_t cap, size_t *n) {
  if (len == 0) return SC_STATUS_OK;
  if (len > (size_t)1 << 30) return SC_STATUS_OVERFLOW; /* indices are 32-bit */
  const bpe_state *s = t->bpe;
  work w = {.t = t, .s = s, .ids = ids, .cap = cap, .n = n};
  w.units = malloc(len * sizeof *w.units);
  w.ends = malloc(len * sizeof *w.ends);
  w.mapped = malloc(2 * len);
  w.sym = malloc(len * sizeof *w.sym);
  w.heap = malloc(3 * len * sizeof *w.heap); /* n-1 pushes, then at most 2 per merge */
  sc_status st = SC_STATUS_OK;
  if (!w.units || !w.ends || !w.mapped || !w.sym || !w.heap) {
    st = SC_STATUS_NO_MEMORY;
    goto done;
  }
  encode_fragment(&w, text, len);
done:
  free(w.units);
  free(w.ends);
  free(w.mapped);
  free(w.sym);
  free(w.heap);
  return st;
}

/* ---- decoding ---- */

size_t tok_bpe_decode(const sc_tokenizer *t, int32_t id, char *buf, size_t size) {
  const bpe_state *s = t->bpe;
  const char *p = t->pieces[id];
  uint32_t len = t->lens[id];
  size_t k = 0;
  if (t->types[id] == SC_TOKT_USER_DEFINED) {
    k = len < size ? len : size;
    if (k) memcpy(buf, p, k);
    return k;
  }
  for (uint32_t i = 0; i < len;) {
    uint8_t cl;
    uint32_t cp = decode_utf8((const unsigned char *)p + i, len - i, &cl);
    bool bad = cp == 0xFFFD && cl == 1 && (unsigned char)p[i] >= 0x80;
    if (!bad && cp < SC_ARRAY_LEN(s->cp_byte) && s->cp_byte[cp] >= 0) {
      if (k < size) buf[k++] = (char)s->cp_byte[cp];
    } else {
      for (uint32_t j = 0; j < cl && k < size; j++) buf[k++] = p[i + j];
    }
    i += cl;
  }
  return k;
}
