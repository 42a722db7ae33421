/* tokenizer.c: the sc_tokenizer object (a copied vocabulary, a piece -> id
 * map), SentencePiece-BPE encoding and decoding, and llama2.c tokenizer
 * files. GPT-2 byte-level BPE lives in tokenizer_bpe.c (see tok_int.h).
 *
 * SPM encoding is llama.cpp's llm_tokenizer_spm: prefix a space, turn every
 * space into U+2581, split into UTF-8 characters, then repeatedly merge the
 * adjacent pair whose concatenation is a piece with the highest score
 * (leftmost on ties); a symbol left that is no piece becomes its bytes'
 * <0xXX> pieces (or unk). A max-heap of candidate pairs makes that
 * O(n log n); an entry whose symbols changed since it was pushed is stale
 * and skipped when popped.
 *
 * Only NORMAL, USER_DEFINED and UNDEFINED pieces are matched against text:
 * control, unknown, byte and unused pieces ("<s>", "<0x41>") never come out
 * of plain text, as in SentencePiece.
 *
 * Before either algorithm, sc_tok_encode cuts the `specials` (tok_int.h) out
 * of the text, leftmost first and longest first at a position, and encodes
 * each segment between them alone (after NFC, for tokenizers that ask). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "seedchip/util.h"
#include "tok_int.h"

/* The longest piece a vocabulary may have (GPT-2's longest is 256 bytes). */
#define MAX_PIECE_BYTES 256u

/* "▁" (U+2581), SentencePiece's visible space. */
static const char spm_space[3] = {'\xe2', '\x96', '\x81'};

/* ---- the map ---- */

static uint32_t hash_bytes(const char *s, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

sc_status tok_map_init(tok_map *m, uint32_t n) {
  uint64_t cap = 16;
  while (cap < 2 * (uint64_t)n) cap *= 2;
  if (cap > ((uint64_t)1 << 31)) return SC_STATUS_OVERFLOW;
  m->slots = calloc((size_t)cap, sizeof *m->slots);
  if (!m->slots) return SC_STATUS_NO_MEMORY;
  m->mask = (uint32_t)(cap - 1);
  m->count = 0;
  return SC_STATUS_OK;
}

static uint32_t map_find(const tok_map *m, const char *key, size_t len) {
  uint32_t i = hash_bytes(key, len) & m->mask;
  while (m->slots[i].key && !(m->slots[i].len == len && memcmp(m->slots[i].key, key, len) == 0))
    i = (i + 1) & m->mask;
  return i;
}

bool tok_map_put(tok_map *m, const char *key, uint32_t len, int32_t value) {
  uint32_t i = map_find(m, key, len);
  if (m->slots[i].key) return false;
  m->slots[i] = (tok_map_slot){key, len, value};
  m->count++;
  return true;
}

int32_t tok_map_get(const tok_map *m, const char *key, size_t len) {
  if (!m->slots) return -1;
  const tok_map_slot *s = &m->slots[map_find(m, key, len)];
  return s->key ? s->value : -1;
}

void tok_map_free(tok_map *m) {
  free(m->slots);
  m->slots = NULL;
}

/* ---- the object ---- */

void sc_tok_free(sc_tokenizer *t) {
  if (!t) return;
  if (t->kind == SC_TOK_BPE) tok_bpe_free(t);
  for (uint32_t i = 0; t->pieces && i < t->n; i++) free(t->pieces[i]);
  for (uint32_t i = 0; t->merges && i < t->n_merges; i++) free(t->merges[i]);
  free(t->pieces);
  free(t->lens);
  free(t->scores);
  free(t->types);
  free(t->merges);
  free(t->merge_lens);
  tok_map_free(&t->pieces_map);
  tok_map_free(&t->merges_map);
  free(t->specials);
  free(t);
}

sc_tok_kind sc_tok_kind_of(const sc_tokenizer *t) {
  return t->kind;
}
sc_tok_pre sc_tok_pre_of(const sc_tokenizer *t) {
  return t->pre;
}
uint32_t sc_tok_vocab_size(const sc_tokenizer *t) {
  return t->n;
}
int32_t sc_tok_bos(const sc_tokenizer *t) {
  return t->bos;
}
int32_t sc_tok_eos(const sc_tokenizer *t) {
  return t->eos;
}
bool sc_tok_add_bos(const sc_tokenizer *t) {
  return t->add_bos;
}

static char *copy_bytes(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  if (n) memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* The byte a piece "<0xXX>" stands for, or -1. */
static int byte_piece_value(const char *p, uint32_t len) {
  if (len != 6 || memcmp(p, "<0x", 3) != 0 || p[5] != '>') return -1;
  int v = 0;
  for (int i = 3; i < 5; i++) {
    char c = p[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Whether piece id may come out of plain text (see the top of the file). */
static bool matchable(const sc_tokenizer *t, int32_t id) {
  int32_t ty = t->types[id];
  return ty == SC_TOKT_NORMAL || ty == SC_TOKT_USER_DEFINED || ty == SC_TOKT_UNDEFINED;
}

/* Specials are tried longest first, then by id. */
static bool special_before(const sc_tokenizer *t, uint32_t x, uint32_t y) {
  return t->lens[x] > t->lens[y] || (t->lens[x] == t->lens[y] && x < y);
}

/* Fills t->specials: the non-empty pieces cut out of text verbatim. */
static sc_status find_specials(sc_tokenizer *t) {
  uint32_t k = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (uint32_t i = 0; i < t->n; i++) {
      int32_t ty = t->types[i];
      bool cut = t->lens[i] > 0 &&
                 ((ty == SC_TOKT_USER_DEFINED && (t->kind == SC_TOK_BPE || t->split_special)) ||
                  (ty == SC_TOKT_CONTROL && t->split_special));
      if (!cut) continue;
      if (pass == 1) {
        t->specials[k] = i;
        unsigned char c = (unsigned char)t->pieces[i][0];
        t->special_first[c >> 3] |= (uint8_t)(1u << (c & 7));
      }
      k++;
    }
    if (pass == 0) {
      if (k == 0) return SC_STATUS_OK;
      if (!(t->specials = malloc(k * sizeof *t->specials))) return SC_STATUS_NO_MEMORY;
      t->n_specials = k;
      k = 0;
    }
  }
  /* Longest first, so a special that contains another wins. Insertion sort:
   * they are few (a few hundred in Llama-3). */
  for (uint32_t a = 1; a < k; a++)
    for (uint32_t b = a; b > 0 && special_before(t, t->specials[b], t->specials[b - 1]); b--) {
      uint32_t x = t->specials[b];
      t->specials[b] = t->specials[b - 1];
      t->specials[b - 1] = x;
    }
  return SC_STATUS_OK;
}

/* The special piece that starts at text[0..len), or -1. */
static int32_t special_at(const sc_tokenizer *t, const char *text, size_t len) {
  unsigned char c = (unsigned char)text[0];
  if (!(t->special_first[c >> 3] & (1u << (c & 7)))) return -1;
  for (uint32_t k = 0; k < t->n_specials; k++) {
    uint32_t id = t->specials[k];
    if (t->lens[id] <= len && memcmp(t->pieces[id], text, t->lens[id]) == 0) return (int32_t)id;
  }
  return -1;
}

static sc_status check_special(const char *what, int32_t id, uint32_t n, char *err,
                               size_t err_size) {
  if (id < -1 || (id >= 0 && (uint32_t)id >= n))
    return sc_errf(err, err_size, SC_STATUS_INVALID,
                   "tokenizer: %s id %" PRId32 " is outside the vocabulary of %" PRIu32, what, id,
                   n);
  return SC_STATUS_OK;
}

sc_status sc_tok_create(const sc_tok_vocab *v, sc_tokenizer **out, char *err, size_t err_size) {
  *out = NULL;
  if (v->kind != SC_TOK_SPM && v->kind != SC_TOK_BPE)
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT, "tokenizer: unknown kind %d",
                   (int)v->kind);
  if (v->n == 0 || v->n > INT32_MAX || !v->pieces || !v->lens)
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT,
                   "tokenizer: the vocabulary is empty or has no pieces");
  if (v->kind == SC_TOK_BPE && v->n_merges > 0 && (!v->merges || !v->merge_lens))
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT, "tokenizer: merges are missing");
  if ((unsigned)v->pre > SC_TOK_PRE_QWEN2 || (unsigned)v->prefix > SC_TOK_PREFIX_UNLESS_SPACE)
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT,
                   "tokenizer: unknown pre-tokenizer %d or prefix mode %d", (int)v->pre,
                   (int)v->prefix);
  sc_status st;
  if ((st = check_special("bos", v->bos, v->n, err, err_size)) ||
      (st = check_special("eos", v->eos, v->n, err, err_size)) ||
      (st = check_special("unk", v->unk, v->n, err, err_size)))
    return st;

  sc_tokenizer *t = calloc(1, sizeof *t);
  if (!t) return sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "tokenizer: out of memory");
  t->kind = v->kind;
  t->n = v->n;
  t->bos = v->bos;
  t->eos = v->eos;
  t->unk = v->unk;
  t->add_bos = v->add_bos;
  t->add_space_prefix = v->add_space_prefix;
  t->pre = v->pre;
  t->ignore_merges = v->ignore_merges;
  t->nfc = v->nfc;
  t->split_special = v->split_special;
  t->prefix = v->prefix;
  for (int b = 0; b < 256; b++) t->byte_ids[b] = -1;
  t->pieces = calloc(v->n, sizeof *t->pieces);
  t->lens = malloc(v->n * sizeof *t->lens);
  t->types = malloc(v->n * sizeof *t->types);
  if (v->kind == SC_TOK_SPM) t->scores = malloc(v->n * sizeof *t->scores);
  if (!t->pieces || !t->lens || !t->types || (v->kind == SC_TOK_SPM && !t->scores) ||
      tok_map_init(&t->pieces_map, v->n) != SC_STATUS_OK) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "tokenizer: out of memory");
    goto fail;
  }
  for (uint32_t i = 0; i < v->n; i++) {
    uint32_t len = v->lens[i];
    if (len > MAX_PIECE_BYTES || (len > 0 && !v->pieces[i])) {
      st = sc_errf(err, err_size, SC_STATUS_INVALID,
                   "tokenizer: piece %" PRIu32 " is %" PRIu32 " bytes long (at most %u)", i, len,
                   MAX_PIECE_BYTES);
      goto fail;
    }
    int32_t ty = v->types ? v->types[i] : SC_TOKT_NORMAL;
    if (ty < SC_TOKT_UNDEFINED || ty > SC_TOKT_BYTE) {
      st = sc_errf(err, err_size, SC_STATUS_INVALID,
                   "tokenizer: piece %" PRIu32 " has unknown type %" PRId32, i, ty);
      goto fail;
    }
    float score = v->scores ? v->scores[i] : 0.0f;
    if (isnan(score)) {
      st = sc_errf(err, err_size, SC_STATUS_INVALID, "tokenizer: piece %" PRIu32 " has score NaN",
                   i);
      goto fail;
    }
    if (!(t->pieces[i] = copy_bytes(v->pieces[i], len))) {
      st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "tokenizer: out of memory");
      goto fail;
    }
    t->lens[i] = len;
    t->types[i] = ty;
    if (t->scores) t->scores[i] = score;
    /* Duplicate pieces: the first id wins, as in a SentencePiece model. */
    tok_map_put(&t->pieces_map, t->pieces[i], len, (int32_t)i);
    int b = byte_piece_value(t->pieces[i], len);
    if (b >= 0 && (ty == SC_TOKT_BYTE || !v->types) && t->byte_ids[b] < 0)
      t->byte_ids[b] = (int32_t)i;
  }
  if (v->kind == SC_TOK_BPE) {
    t->n_merges = v->n_merges;
    if (v->n_merges > 0) {
      t->merges = calloc(v->n_merges, sizeof *t->merges);
      t->merge_lens = malloc(v->n_merges * sizeof *t->merge_lens);
      if (!t->merges || !t->merge_lens ||
          tok_map_init(&t->merges_map, v->n_merges) != SC_STATUS_OK) {
        st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "tokenizer: out of memory");
        goto fail;
      }
    }
    for (uint32_t r = 0; r < v->n_merges; r++) {
      uint32_t len = v->merge_lens[r];
      if (len > 2 * MAX_PIECE_BYTES + 1 || (len > 0 && !v->merges[r])) {
        st = sc_errf(err, err_size, SC_STATUS_INVALID,
                     "tokenizer: merge %" PRIu32 " is %" PRIu32 " bytes long (at most %u)", r, len,
                     2 * MAX_PIECE_BYTES + 1);
        goto fail;
      }
      if (!(t->merges[r] = copy_bytes(v->merges[r], len))) {
        st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "tokenizer: out of memory");
        goto fail;
      }
      t->merge_lens[r] = len;
      tok_map_put(&t->merges_map, t->merges[r], len, (int32_t)r);
    }
    if ((st = tok_bpe_init(t, err, err_size)) != SC_STATUS_OK) goto fail;
  }
  if (find_specials(t) != SC_STATUS_OK) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "tokenizer: out of memory");
    goto fail;
  }
  *out = t;
  return SC_STATUS_OK;
fail:
  sc_tok_free(t);
  return st;
}

/* ---- SPM encoding ---- */

typedef struct symbol {
  uint32_t start, n;  /* bytes [start, start + n) of the escaped text; n = 0 once merged away */
  int32_t prev, next; /* neighbours in the chain, -1 at the ends */
} symbol;

typedef struct bigram {
  float score;
  int32_t left, right;
  uint32_t size; /* bytes of left + right when pushed: a different sum means it is stale */
} bigram;

/* Heap order: higher score first, then the leftmost pair. */
static bool before(const bigram *a, const bigram *b) {
  return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct spm_state {
  const sc_tokenizer *t;
  const char *text; /* the escaped text */
  symbol *sym;
  bigram *heap;
  size_t n_heap;
} spm_state;

static void heap_push(spm_state *s, bigram b) {
  size_t i = s->n_heap++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(&b, &s->heap[parent])) break;
    s->heap[i] = s->heap[parent];
    i = parent;
  }
  s->heap[i] = b;
}

static bigram heap_pop(spm_state *s) {
  bigram top = s->heap[0], last = s->heap[--s->n_heap];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= s->n_heap) break;
    if (c + 1 < s->n_heap && before(&s->heap[c + 1], &s->heap[c])) c++;
    if (!before(&s->heap[c], &last)) break;
    s->heap[i] = s->heap[c];
    i = c;
  }
  if (s->n_heap > 0) s->heap[i] = last;
  return top;
}

/* The id of the matchable piece spelled by bytes [start, start + n), or -1. */
static int32_t lookup(const spm_state *s, uint32_t start, uint32_t n) {
  int32_t id = tok_map_get(&s->t->pieces_map, s->text + start, n);
  return id >= 0 && matchable(s->t, id) ? id : -1;
}

static void try_add_bigram(spm_state *s, int32_t left, int32_t right) {
  if (left < 0 || right < 0) return;
  uint32_t size = s->sym[left].n + s->sym[right].n;
  int32_t id = lookup(s, s->sym[left].start, size);
  if (id < 0) return;
  heap_push(s, (bigram){s->t->scores[id], left, right, size});
}

/* Appends id to ids (at most cap of them), counting all in *n. */
static void emit(int32_t id, int32_t *ids, size_t cap, size_t *n) {
  if (*n < cap) ids[*n] = id;
  (*n)++;
}

/* SPM of one segment; prefix: put the dummy-prefix space before it. */
static sc_status spm_encode(const sc_tokenizer *t, const char *text, size_t len, bool prefix,
                            int32_t *ids, size_t cap, size_t *n) {
  if (len == 0) return SC_STATUS_OK; /* no dummy prefix for empty text, as llama.cpp */
  /* Escape: an optional leading space, every ' ' as U+2581 (3 bytes). */
  if (len > INT32_MAX / 3 - 1) return SC_STATUS_OVERFLOW; /* offsets, symbol ids are 32-bit */
  size_t spaces = prefix;
  for (size_t i = 0; i < len; i++) spaces += text[i] == ' ';
  size_t e = 0, n_esc = len + 2 * spaces + prefix;
  char *esc = malloc(n_esc);
  symbol *sym = NULL;
  bigram *heap = NULL;
  sc_status st = SC_STATUS_OK;
  if (!esc) return SC_STATUS_NO_MEMORY;
  if (prefix) {
    memcpy(esc, spm_space, 3);
    e = 3;
  }
  for (size_t i = 0; i < len; i++) {
    if (text[i] == ' ') {
      memcpy(esc + e, spm_space, 3);
      e += 3;
    } else {
      esc[e++] = text[i];
    }
  }

  /* One symbol per UTF-8 character (a truncated one at the end keeps what is there). */
  size_t chars = 0;
  for (size_t off = 0; off < e; chars++) off += tok_utf8_len((unsigned char)esc[off]);
  sym = malloc(chars * sizeof *sym);
  heap = malloc(3 * chars * sizeof *heap); /* chars-1 pushes, then at most 2 per merge */
  if (!sym || !heap) {
    st = SC_STATUS_NO_MEMORY;
    goto done;
  }
  int32_t n_sym = 0;
  for (size_t off = 0; off < e;) {
    size_t cl = tok_utf8_len((unsigned char)esc[off]);
    if (cl > e - off) cl = e - off;
    sym[n_sym] = (symbol){(uint32_t)off, (uint32_t)cl, n_sym - 1, -1};
    off += cl;
    if (off < e) sym[n_sym].next = n_sym + 1;
    n_sym++;
  }

  spm_state s = {t, esc, sym, heap, 0};
  for (int32_t i = 1; i < n_sym; i++) try_add_bigram(&s, i - 1, i);
  while (s.n_heap > 0) {
    bigram b = heap_pop(&s);
    symbol *l = &sym[b.left], *r = &sym[b.right];
    if (l->n == 0 || r->n == 0 || l->n + r->n != b.size || l->next != b.right) continue;
    l->n += r->n; /* merge the right symbol into the left one */
    r->n = 0;
    l->next = r->next;
    if (r->next >= 0) sym[r->next].prev = b.left;
    try_add_bigram(&s, l->prev, b.left);
    try_add_bigram(&s, b.left, l->next);
  }

  for (int32_t i = 0; i >= 0 && n_sym > 0; i = sym[i].next) {
    int32_t id = lookup(&s, sym[i].start, sym[i].n);
    if (id >= 0) {
      emit(id, ids, cap, n);
      continue;
    }
    /* Byte fallback: every byte as its <0xXX> piece, or unk where there is none. */
    for (uint32_t j = 0; j < sym[i].n; j++) {
      int32_t bid = t->byte_ids[(unsigned char)esc[sym[i].start + j]];
      if (bid < 0) bid = t->unk;
      if (bid >= 0) emit(bid, ids, cap, n);
    }
  }
done:
  free(esc);
  free(sym);
  free(heap);
  return st;
}

/* Whether SPM puts its dummy prefix before a segment (at_start: the segment
 * begins the text). */
static bool spm_prefix(const sc_tokenizer *t, const char *seg, size_t len, bool at_start) {
  if (!t->add_space_prefix) return false;
  bool spaced = len > 0 && (seg[0] == ' ' || (len >= 3 && memcmp(seg, spm_space, 3) == 0));
  switch (t->prefix) {
  case SC_TOK_PREFIX_ALWAYS:
    return true;
  case SC_TOK_PREFIX_FIRST:
    return at_start && !spaced;
  case SC_TOK_PREFIX_UNLESS_SPACE:
    return !spaced;
  }
  return true;
}

/* Encodes one segment between specials. */
static sc_status encode_segment(const sc_tokenizer *t, const char *seg, size_t len, bool at_start,
                                int32_t *ids, size_t cap, size_t *n) {
  utf8proc_uint8_t *norm = NULL;
  if (t->nfc) {
    /* Hugging Face only ever sees valid UTF-8; invalid text stays as it is. */
    utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)seg, (utf8proc_ssize_t)len, &norm,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (m == UTF8PROC_ERROR_NOMEM) return SC_STATUS_NO_MEMORY;
    if (m >= 0) {
      seg = (const char *)norm;
      len = (size_t)m;
    }
  }
  sc_status st = t->kind == SC_TOK_SPM
                     ? spm_encode(t, seg, len, spm_prefix(t, seg, len, at_start), ids, cap, n)
                     : tok_bpe_encode(t, seg, len, ids, cap, n);
  free(norm);
  return st;
}

sc_status sc_tok_encode(const sc_tokenizer *t, const char *text, size_t len, bool add_bos,
                        int32_t *ids, size_t cap, size_t *n) {
  *n = 0;
  if (add_bos && t->bos >= 0) emit(t->bos, ids, cap, n);
  if (len > (size_t)1 << 30) return SC_STATUS_OVERFLOW; /* offsets are 32-bit */
  sc_status st = SC_STATUS_OK;
  size_t seg = 0;
  for (size_t i = 0; i < len && st == SC_STATUS_OK;) {
    int32_t sid = t->n_specials ? special_at(t, text + i, len - i) : -1;
    if (sid < 0) {
      i++;
      continue;
    }
    if (i > seg) st = encode_segment(t, text + seg, i - seg, seg == 0, ids, cap, n);
    emit(sid, ids, cap, n);
    i += t->lens[sid];
    seg = i;
  }
  if (st == SC_STATUS_OK && len > seg)
    st = encode_segment(t, text + seg, len - seg, seg == 0, ids, cap, n);
  return st;
}

/* ---- decoding ---- */

size_t sc_tok_decode(const sc_tokenizer *t, int32_t prev, int32_t id, char *buf, size_t size) {
  if (id < 0 || (uint32_t)id >= t->n) return 0;
  int32_t ty = t->types[id];
  if (id == t->bos || id == t->eos || ty == SC_TOKT_CONTROL) return 0;
  if (t->kind == SC_TOK_BPE) return tok_bpe_decode(t, id, buf, size);

  char tmp[MAX_PIECE_BYTES];
  size_t k = 0;
  if (ty == SC_TOKT_BYTE && byte_piece_value(t->pieces[id], t->lens[id]) >= 0) {
    tmp[k++] = (char)byte_piece_value(t->pieces[id], t->lens[id]);
  } else if (ty == SC_TOKT_UNKNOWN) {
    memcpy(tmp, "\xe2\x96\x85", 3); /* U+2585, as llama.cpp shows an unknown piece */
    k = 3;
  } else {
    const char *p = t->pieces[id];
    for (uint32_t i = 0; i < t->lens[id];) {
      if (t->lens[id] - i >= 3 && memcmp(p + i, spm_space, 3) == 0) {
        tmp[k++] = ' ';
        i += 3;
      } else {
        tmp[k++] = p[i++];
      }
    }
    /* SentencePiece drops the dummy-prefix space of the first piece after bos. */
    if (prev >= 0 && prev == t->bos && k > 0 && tmp[0] == ' ') {
      memmove(tmp, tmp + 1, --k);
    }
  }
  if (k > size) k = size;
  if (k) memcpy(buf, tmp, k);
  return k;
}

/* ---- llama2.c tokenizer files ---- */

static uint32_t rd_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walks the token records of a llama2.c tokenizer file without storing
 * anything, so a truncated or corrupt file is refused before vocab_size
 * entries are allocated. */
static sc_status check_layout(const uint8_t *data, size_t size, uint32_t vocab_size,
                              const char *name, char *err, size_t err_size) {
  if (size < 4)
    return sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: truncated: the header needs bytes [0, 4), the file has %zu", name, size);
  size_t off = 4; /* after int32 max_token_length, which nothing needs */
  for (uint32_t i = 0; i < vocab_size; i++) {
    if (size - off < 8)
      return sc_errf(err, err_size, SC_STATUS_PARSE,
                     "%s: truncated: token %" PRIu32 " needs bytes [%zu, %zu), the file has %zu",
                     name, i, off, off + 8, size);
    int32_t len = (int32_t)rd_u32(data + off + 4);
    off += 8;
    if (len < 0 || (uint32_t)len > MAX_PIECE_BYTES)
      return sc_errf(err, err_size, SC_STATUS_PARSE,
                     "%s: token %" PRIu32 " at offset %zu: length %" PRId32 " (must be 0 to %u)",
                     name, i, off - 4, len, MAX_PIECE_BYTES);
    if (size - off < (size_t)len)
      return sc_errf(err, err_size, SC_STATUS_PARSE,
                     "%s: truncated: token %" PRIu32 " needs bytes [%zu, %zu), the file has %zu",
                     name, i, off, off + (size_t)len, size);
    off += (size_t)len;
  }
  return SC_STATUS_OK;
}

sc_status tok_llama2c_parse(const uint8_t *data, size_t size, uint32_t vocab_size, const char *name,
                            sc_tokenizer **out, char *err, size_t err_size) {
  *out = NULL;
  if (vocab_size == 0 || vocab_size > (1u << 24))
    return sc_errf(err, err_size, SC_STATUS_INVALID_ARGUMENT,
                   "%s: vocab_size %" PRIu32 " (must be 1 to %u)", name, vocab_size, 1u << 24);
  sc_status st = check_layout(data, size, vocab_size, name, err, err_size);
  if (st != SC_STATUS_OK) return st;
  char **pieces = calloc(vocab_size, sizeof *pieces);
  uint32_t *lens = malloc(vocab_size * sizeof *lens);
  float *scores = malloc(vocab_size * sizeof *scores);
  int32_t *types = malloc(vocab_size * sizeof *types);
  if (!pieces || !lens || !scores || !types) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", name);
    goto done;
  }
  size_t off = 4;
  for (uint32_t i = 0; i < vocab_size; i++) { /* check_layout made every read safe */
    uint32_t bits = rd_u32(data + off);
    memcpy(&scores[i], &bits, sizeof bits);
    int32_t len = (int32_t)rd_u32(data + off + 4);
    off += 8;
    if (isnan(scores[i])) {
      st = sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: token %" PRIu32 " at offset %zu: score is NaN", name, i, off - 8);
      goto done;
    }
    /* llama2.c's export wrote U+2581 as ' ' and bos/eos as "\n<s>\n"/"\n</s>\n";
     * undo both so the pieces are SentencePiece's again. */
    const char *src = (const char *)data + off;
    size_t n = (size_t)len;
    off += n;
    if ((i == 1 || i == 2) && n >= 2 && src[0] == '\n' && src[n - 1] == '\n') src++, n -= 2;
    size_t spaces = 0;
    for (size_t k = 0; k < n; k++) spaces += src[k] == ' ';
    size_t out_len = n + 2 * spaces;
    if (out_len > MAX_PIECE_BYTES) {
      st = sc_errf(err, err_size, SC_STATUS_PARSE,
                   "%s: token %" PRIu32 ": %zu bytes once spaces are U+2581 (at most %u)", name, i,
                   out_len, MAX_PIECE_BYTES);
      goto done;
    }
    char *p = malloc(out_len + 1);
    if (!p) {
      st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", name);
      goto done;
    }
    size_t w = 0;
    for (size_t k = 0; k < n; k++) {
      if (src[k] == ' ') {
        memcpy(p + w, spm_space, 3);
        w += 3;
      } else {
        p[w++] = src[k];
      }
    }
    p[w] = '\0';
    pieces[i] = p;
    lens[i] = (uint32_t)w;
    /* The types a SentencePiece model has and the file lost. */
    types[i] = SC_TOKT_NORMAL;
    if (i == 0 && w == 5 && memcmp(p, "<unk>", 5) == 0) types[i] = SC_TOKT_UNKNOWN;
    if ((i == 1 && w == 3 && memcmp(p, "<s>", 3) == 0) ||
        (i == 2 && w == 4 && memcmp(p, "</s>", 4) == 0))
      types[i] = SC_TOKT_CONTROL;
    if (i >= 3 && i < 259 && byte_piece_value(p, (uint32_t)w) == (int)(i - 3))
      types[i] = SC_TOKT_BYTE;
  }
  sc_tok_vocab v = {
      .kind = SC_TOK_SPM,
      .n = vocab_size,
      .pieces = (const char *const *)pieces,
      .lens = lens,
      .scores = scores,
      .types = types,
      .bos = vocab_size > 1 ? 1 : -1,
      .eos = vocab_size > 2 ? 2 : -1,
      .unk = 0,
      .add_bos = true,
      .add_space_prefix = true,
  };
  st = sc_tok_create(&v, out, err, err_size);
done:
  for (uint32_t i = 0; pieces && i < vocab_size; i++) free(pieces[i]);
  free(pieces);
  free(lens);
  free(scores);
  free(types);
  return st;
}

sc_status sc_tok_load_llama2c(const char *path, uint32_t vocab_size, sc_tokenizer **out, char *err,
                              size_t err_size) {
  *out = NULL;
  uint8_t *data;
  size_t size;
  sc_status st = sc_read_file(path, (size_t)1 << 30, &data, &size, err, err_size);
  if (st != SC_STATUS_OK) return st;
  st = tok_llama2c_parse(data, size, vocab_size, path, out, err, err_size);
  free(data);
  return st;
}
