/* tokenizer_hf.c: Hugging Face tokenizers (tokenizer.json, sc_tok_from_hf):
 * reads the JSON with cJSON, recognises one of the two BPE set-ups Llama-family
 * checkpoints use, checks the vocabulary, added tokens and merges as Hugging
 * Face's tokenizers does (and a little more), and hands an sc_tok_vocab
 * (borrowing the cJSON strings) to sc_tok_create, which copies it.
 *
 * The two set-ups, told apart by the normalizer and pre-tokenizer:
 *  - SentencePiece-style (Llama-2, Mistral): normalizer Prepend("▁") +
 *    Replace(" " -> "▁") and no pre-tokenizer, or no normalizer and a
 *    Metaspace pre-tokenizer that does not split. This becomes an SPM
 *    tokenizer. Hugging Face merges pairs by merge rank, SPM by the score of
 *    the merged piece; they agree when a piece's score is minus the rank of
 *    its first merge, every way to split the piece into two producible pieces
 *    is a merge, and a piece's merges are consecutive, which is how Hugging
 *    Face's converter writes SentencePiece models (check_spm_merges refuses
 *    files where they would not agree). One difference remains: when two
 *    overlapping pairs make the same piece, SentencePiece (and we) merge the
 *    leftmost, Hugging Face the one whose merge comes first.
 *  - byte-level (GPT-2, Llama-3, Qwen2): a ByteLevel pre-tokenizer with its
 *    built-in GPT-2 regex, or a Split by one of the three regexes tok_bpe
 *    knows followed by a ByteLevel without regex; normalizer none or NFC.
 *
 * Added tokens become CONTROL (special) or USER_DEFINED pieces, and the
 * tokenizer cuts all of them out of text verbatim (split_special), as
 * Hugging Face does by default. bos is the special token the post-processor
 * puts before the text; tokenizer_config.json beside the file may name
 * bos_token and eos_token and set add_bos_token.
 *
 * Invariants: ids run from 0 to n-1 without gaps (model.vocab plus the added
 * tokens beyond it); no token text repeats; every merge names tokens of
 * model.vocab whose concatenation is one too. */
#define _POSIX_C_SOURCE 200809L /* stat */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "llm_int.h"
#include "seedchip/util.h"
#include "tok_int.h"

#define MAX_JSON_BYTES ((size_t)512 << 20)  /* Gemma's tokenizer.json is 33 MB */
#define MAX_CONFIG_BYTES ((size_t)16 << 20) /* tokenizer_config.json: chat templates */
#define MAX_TOKENS (1u << 24)
#define MAX_TOKEN_BYTES 256u      /* sc_tok_create's limit */
#define MAX_SPM_MERGES (1u << 24) /* scores are floats: -rank must be exact */

/* The three pre-tokenizer regexes tok_bpe implements, as tokenizer.json
 * spells them (after JSON unescaping). GPT-2's is also what a ByteLevel
 * pre-tokenizer with use_regex runs. */
static const struct {
  const char *regex;
  sc_tok_pre pre;
} known_regex[] = {
    {"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
     SC_TOK_PRE_GPT2},
    {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
     "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     SC_TOK_PRE_LLAMA3},
    {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
     "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     SC_TOK_PRE_QWEN2},
};

/* End-of-text tokens, for tokenizers without a tokenizer_config.json. */
static const char *const eos_names[] = {"</s>", "<|end_of_text|>", "<|endoftext|>"};

static const char spm_space[] = "\xe2\x96\x81"; /* U+2581 */

enum { FROM_VOCAB = 1, FROM_ADDED = 2 }; /* origin bits of an id */

typedef struct hf {
  const char *name; /* tokenizer.json, in messages */
  char *err;
  size_t err_size;

  bool spm; /* SentencePiece-style; else byte-level */
  sc_tok_vocab v;

  uint32_t cap;        /* room in the tables: model.vocab plus added tokens */
  uint32_t n_vocab;    /* entries of model.vocab */
  const char **pieces; /* borrowed from the cJSON tree */
  uint32_t *lens;
  int32_t *types;
  float *scores;   /* SPM */
  uint8_t *origin; /* FROM_* bits */
  tok_map map;     /* token text -> id */

  /* merges: keys[r] is "left<sep>right" (sep ' ' for byte-level, NUL for
   * SPM), pointing into arena */
  uint32_t n_merges;
  sc_strbuf arena;
  size_t *key_off;
  const char **keys;
  uint32_t *key_lens;
  tok_map merge_map;
  int32_t *first_rank, *last_rank; /* SPM: per piece, -1 when no merge makes it */
  uint32_t *n_makers;              /* SPM: merges that make the piece */
} hf;

SC_PRINTF(3, 4) static sc_status fail(const hf *h, sc_status st, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sc_errf(h->err, h->err_size, st, "%s: %s", h->name, msg);
}

static sc_status no_memory(const hf *h) {
  return fail(h, SC_STATUS_NO_MEMORY, "out of memory");
}

/* A token for messages: quoted, at most 40 bytes of it, control bytes as \xNN. */
typedef struct shown {
  char s[200];
} shown;

static shown show(const char *p, size_t len) {
  shown o;
  size_t k = 0, i = 0;
  o.s[k++] = '\'';
  while (i < len && i < 40) {
    unsigned char c = (unsigned char)p[i];
    if (c < 0x20 || c == 0x7F) {
      k += (size_t)snprintf(o.s + k, sizeof o.s - k, "\\x%02x", c);
      i++;
      continue;
    }
    size_t cl = tok_utf8_len(c);
    if (cl > len - i) cl = len - i;
    memcpy(o.s + k, p + i, cl);
    k += cl;
    i += cl;
  }
  if (i < len) {
    memcpy(o.s + k, "...", 3);
    k += 3;
  }
  o.s[k++] = '\'';
  o.s[k] = '\0';
  return o;
}

static shown show_str(const char *s) {
  return show(s, strlen(s));
}

/* ---- JSON helpers ---- */

static const cJSON *get(const cJSON *obj, const char *key) {
  return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static bool absent(const cJSON *j) {
  return !j || cJSON_IsNull(j);
}

/* The "type" of a component object, or NULL. */
static const char *type_of(const cJSON *j) {
  const cJSON *t = get(j, "type");
  return cJSON_IsString(t) ? t->valuestring : NULL;
}

static bool is_str(const cJSON *j, const char *s) {
  return cJSON_IsString(j) && strcmp(j->valuestring, s) == 0;
}

/* An optional boolean field: absent or null gives def. */
static sc_status opt_bool(const hf *h, const cJSON *obj, const char *where, const char *key,
                          bool def, bool *out) {
  const cJSON *j = get(obj, key);
  *out = def;
  if (absent(j)) return SC_STATUS_OK;
  if (!cJSON_IsBool(j))
    return fail(h, SC_STATUS_INVALID, "%s.%s must be a boolean, got %s", where, key,
                llm_json_type(j));
  *out = cJSON_IsTrue(j);
  return SC_STATUS_OK;
}

/* A JSON number that is an integer in [0, limit). */
static bool json_index(const cJSON *j, uint32_t limit, uint32_t *out) {
  if (!cJSON_IsNumber(j)) return false;
  double d = j->valuedouble;
  if (!(d >= 0.0 && d < (double)limit) || d != (double)(uint32_t)d) return false;
  *out = (uint32_t)d;
  return true;
}

/* ---- normalizer and pre-tokenizer ---- */

static bool is_prepend_space(const cJSON *j) {
  const char *t = type_of(j);
  return t && strcmp(t, "Prepend") == 0 && is_str(get(j, "prepend"), spm_space);
}

static bool is_replace_space(const cJSON *j) {
  const char *t = type_of(j);
  return t && strcmp(t, "Replace") == 0 && is_str(get(get(j, "pattern"), "String"), " ") &&
         is_str(get(j, "content"), spm_space);
}

/* What a normalizer does. */
typedef enum norm_kind {
  NORM_NONE,
  NORM_NFC,
  NORM_SPM_PREPEND,
  NORM_SPM_REPLACE,
  NORM_OTHER
} norm_kind;

static norm_kind classify_normalizer(const cJSON *n) {
  if (absent(n)) return NORM_NONE;
  const char *t = type_of(n);
  if (!t) return NORM_OTHER;
  if (strcmp(t, "NFC") == 0) return NORM_NFC;
  if (is_replace_space(n)) return NORM_SPM_REPLACE;
  if (strcmp(t, "Sequence") != 0) return NORM_OTHER;
  const cJSON *list = get(n, "normalizers");
  int k = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
  const cJSON *a = k >= 1 ? list->child : NULL, *b = k == 2 ? a->next : NULL;
  if (k == 1 && is_replace_space(a)) return NORM_SPM_REPLACE;
  /* Prepend then Replace, or the other way round: the same text either way */
  if (k == 2 && ((is_prepend_space(a) && is_replace_space(b)) ||
                 (is_replace_space(a) && is_prepend_space(b))))
    return NORM_SPM_PREPEND;
  if (k == 0) return NORM_NONE;
  return NORM_OTHER;
}

/* A ByteLevel pre-tokenizer at `where`: add_prefix_space must be false
 * (Hugging Face's default is true); *regex tells use_regex (default true). */
static sc_status read_byte_level(const hf *h, const cJSON *j, const char *where, bool *regex) {
  bool prefix;
  sc_status st;
  if ((st = opt_bool(h, j, where, "add_prefix_space", true, &prefix)) ||
      (st = opt_bool(h, j, where, "use_regex", true, regex)))
    return st;
  if (prefix)
    return fail(h, SC_STATUS_UNSUPPORTED,
                "%s: ByteLevel with add_prefix_space true (or absent) is not supported", where);
  return SC_STATUS_OK;
}

/* Sets the byte-level or SentencePiece-style fields of h->v from the
 * normalizer and the pre-tokenizer. */
static sc_status read_pipeline(hf *h, const cJSON *root) {
  const cJSON *norm = get(root, "normalizer"), *pre = get(root, "pre_tokenizer");
  norm_kind nk = classify_normalizer(norm);
  const char *pt = absent(pre) ? NULL : type_of(pre);
  sc_status st;
  if (!absent(pre) && !pt)
    return fail(h, SC_STATUS_INVALID, "pre_tokenizer must be an object with a \"type\", got %s",
                llm_json_type(pre));
  if (nk == NORM_OTHER) {
    const char *nt = type_of(norm);
    return fail(h, SC_STATUS_UNSUPPORTED,
                "normalizer %s is not supported (none, NFC, or Prepend(\"\xe2\x96\x81\") with "
                "Replace(\" \" -> \"\xe2\x96\x81\"))",
                nt ? show_str(nt).s : llm_json_type(norm));
  }

  if (pt && (strcmp(pt, "ByteLevel") == 0 || strcmp(pt, "Sequence") == 0)) {
    h->spm = false;
    if (nk != NORM_NONE && nk != NORM_NFC)
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "normalizer %s with a byte-level pre-tokenizer is not supported (only none or "
                  "NFC)",
                  show_str(type_of(norm)).s);
    h->v.nfc = nk == NORM_NFC;
    bool regex;
    if (strcmp(pt, "ByteLevel") == 0) {
      if ((st = read_byte_level(h, pre, "pre_tokenizer", &regex))) return st;
      if (!regex)
        return fail(h, SC_STATUS_UNSUPPORTED,
                    "pre_tokenizer: ByteLevel without use_regex and without a Split before it "
                    "is not supported");
      h->v.pre = SC_TOK_PRE_GPT2;
      return SC_STATUS_OK;
    }
    const cJSON *list = get(pre, "pretokenizers");
    const cJSON *split = cJSON_IsArray(list) ? list->child : NULL;
    const cJSON *bl = split ? split->next : NULL;
    const char *st0 = type_of(split), *st1 = type_of(bl);
    if (!st0 || !st1 || bl->next || strcmp(st0, "Split") != 0 || strcmp(st1, "ByteLevel") != 0)
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "pre_tokenizer: a Sequence other than [Split, ByteLevel] is not supported");
    if ((st = read_byte_level(h, bl, "pre_tokenizer.pretokenizers[1]", &regex))) return st;
    if (regex)
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "pre_tokenizer.pretokenizers[1]: ByteLevel with use_regex after a Split is not "
                  "supported");
    const cJSON *pattern = get(get(split, "pattern"), "Regex");
    if (!cJSON_IsString(pattern))
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "pre_tokenizer.pretokenizers[0]: a Split without a \"Regex\" pattern is not "
                  "supported");
    bool invert;
    if ((st = opt_bool(h, split, "pre_tokenizer.pretokenizers[0]", "invert", false, &invert)))
      return st;
    if (!is_str(get(split, "behavior"), "Isolated") || invert)
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "pre_tokenizer.pretokenizers[0]: a Split other than behavior \"Isolated\" "
                  "without invert is not supported");
    for (size_t i = 0; i < SC_ARRAY_LEN(known_regex); i++)
      if (strcmp(pattern->valuestring, known_regex[i].regex) == 0) {
        h->v.pre = known_regex[i].pre;
        return SC_STATUS_OK;
      }
    return fail(h, SC_STATUS_UNSUPPORTED,
                "pre_tokenizer.pretokenizers[0].pattern.Regex %s is not supported (only GPT-2's, "
                "Llama-3's and Qwen2's)",
                show_str(pattern->valuestring).s);
  }

  if (pt && strcmp(pt, "Metaspace") == 0) {
    h->spm = true;
    if (nk != NORM_NONE)
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "a normalizer with a Metaspace pre-tokenizer is not supported");
    if (!is_str(get(pre, "replacement"), spm_space))
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "pre_tokenizer: Metaspace with a replacement other than \"\xe2\x96\x81\" is not "
                  "supported");
    const cJSON *split = get(pre, "split");
    if (!cJSON_IsFalse(split))
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "pre_tokenizer: Metaspace that splits at spaces (\"split\" true or absent) is "
                  "not supported");
    const cJSON *scheme = get(pre, "prepend_scheme");
    bool legacy_prefix = false;
    if (absent(scheme) &&
        (st = opt_bool(h, pre, "pre_tokenizer", "add_prefix_space", true, &legacy_prefix)))
      return st;
    if (is_str(scheme, "first")) {
      h->v.add_space_prefix = true;
      h->v.prefix = SC_TOK_PREFIX_FIRST;
    } else if (is_str(scheme, "always") || (absent(scheme) && legacy_prefix)) {
      h->v.add_space_prefix = true;
      h->v.prefix = SC_TOK_PREFIX_UNLESS_SPACE;
    } else if (!is_str(scheme, "never") && !absent(scheme)) {
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "pre_tokenizer.prepend_scheme must be \"first\", \"always\" or \"never\"");
    }
    return SC_STATUS_OK;
  }

  if (!pt && (nk == NORM_SPM_PREPEND || nk == NORM_SPM_REPLACE)) {
    h->spm = true;
    h->v.add_space_prefix = nk == NORM_SPM_PREPEND;
    h->v.prefix = SC_TOK_PREFIX_ALWAYS;
    return SC_STATUS_OK;
  }
  if (pt)
    return fail(h, SC_STATUS_UNSUPPORTED,
                "pre_tokenizer %s is not supported (ByteLevel, [Split, ByteLevel], Metaspace, or "
                "none with a SentencePiece normalizer)",
                show_str(pt).s);
  return fail(h, SC_STATUS_UNSUPPORTED,
              "neither a pre-tokenizer nor a SentencePiece normalizer (Prepend(\"\xe2\x96\x81\") "
              "with Replace(\" \" -> \"\xe2\x96\x81\")): not a supported BPE set-up");
}

/* ---- model ---- */

/* The model's options that change encoding: refused unless neutral. */
static sc_status read_model_options(hf *h, const cJSON *model) {
  const cJSON *dropout = get(model, "dropout");
  if (!absent(dropout) && !(cJSON_IsNumber(dropout) && dropout->valuedouble == 0.0))
    return fail(h, SC_STATUS_UNSUPPORTED, "model.dropout other than null is not supported");
  static const char *const affixes[] = {"continuing_subword_prefix", "end_of_word_suffix"};
  for (size_t i = 0; i < SC_ARRAY_LEN(affixes); i++) {
    const cJSON *a = get(model, affixes[i]);
    if (!absent(a) && !is_str(a, ""))
      return fail(h, SC_STATUS_UNSUPPORTED, "model.%s other than null or \"\" is not supported",
                  affixes[i]);
  }
  sc_status st = opt_bool(h, model, "model", "ignore_merges", false, &h->v.ignore_merges);
  if (st) return st;
  if (h->spm && h->v.ignore_merges)
    return fail(h, SC_STATUS_UNSUPPORTED,
                "model.ignore_merges with a SentencePiece-style set-up is not supported");
  return SC_STATUS_OK;
}

/* Allocates the tables for cap ids. */
static sc_status alloc_tables(hf *h, uint32_t cap) {
  h->cap = cap;
  h->pieces = calloc(cap, sizeof *h->pieces);
  h->lens = calloc(cap, sizeof *h->lens);
  h->types = calloc(cap, sizeof *h->types);
  h->origin = calloc(cap, sizeof *h->origin);
  if (!h->pieces || !h->lens || !h->types || !h->origin || tok_map_init(&h->map, cap))
    return no_memory(h);
  return SC_STATUS_OK;
}

/* model.vocab: token text -> id. */
static sc_status read_vocab(hf *h, const cJSON *vocab) {
  uint32_t k = 0;
  for (const cJSON *e = vocab->child; e; e = e->next, k++) {
    uint32_t id;
    size_t len = strlen(e->string);
    if (!cJSON_IsNumber(e))
      return fail(h, SC_STATUS_INVALID, "model.vocab: the id of %s must be a number, got %s",
                  show(e->string, len).s, llm_json_type(e));
    if (!json_index(e, h->cap, &id))
      return fail(h, SC_STATUS_INVALID,
                  "model.vocab: %s has id %.17g, not an integer from 0 to %" PRIu32
                  " (ids must run from 0 without gaps)",
                  show(e->string, len).s, e->valuedouble, h->cap - 1);
    if (len == 0 || len > MAX_TOKEN_BYTES)
      return fail(h, SC_STATUS_INVALID, "model.vocab: token %" PRIu32 " is %zu bytes (1 to %u)", id,
                  len, MAX_TOKEN_BYTES);
    if (h->pieces[id])
      return fail(h, SC_STATUS_INVALID, "model.vocab: %s and %s both have id %" PRIu32,
                  show(h->pieces[id], h->lens[id]).s, show(e->string, len).s, id);
    if (!tok_map_put(&h->map, e->string, (uint32_t)len, (int32_t)id))
      return fail(h, SC_STATUS_INVALID, "model.vocab: token %s appears twice",
                  show(e->string, len).s);
    h->pieces[id] = e->string;
    h->lens[id] = (uint32_t)len;
    h->origin[id] = FROM_VOCAB;
  }
  return SC_STATUS_OK;
}

/* added_tokens: [{"id", "content", "special", "lstrip", "rstrip",
 * "single_word", "normalized"}, ...]. */
static sc_status read_added(hf *h, const cJSON *added) {
  int i = 0;
  for (const cJSON *e = added ? added->child : NULL; e; e = e->next, i++) {
    char where[48];
    snprintf(where, sizeof where, "added_tokens[%d]", i);
    if (!cJSON_IsObject(e))
      return fail(h, SC_STATUS_INVALID, "%s must be an object, got %s", where, llm_json_type(e));
    const cJSON *content = get(e, "content");
    uint32_t id;
    if (!json_index(get(e, "id"), h->cap, &id))
      return fail(h, SC_STATUS_INVALID,
                  "%s.id must be an integer from 0 to %" PRIu32 " (ids must run from 0 without "
                  "gaps)",
                  where, h->cap - 1);
    if (!cJSON_IsString(content))
      return fail(h, SC_STATUS_INVALID, "%s.content must be a string, got %s", where,
                  content ? llm_json_type(content) : "nothing");
    size_t len = strlen(content->valuestring);
    if (len == 0 || len > MAX_TOKEN_BYTES)
      return fail(h, SC_STATUS_INVALID, "%s.content is %zu bytes (1 to %u)", where, len,
                  MAX_TOKEN_BYTES);
    bool special, flag;
    sc_status st;
    if ((st = opt_bool(h, e, where, "special", false, &special))) return st;
    static const char *const refused[] = {"lstrip", "rstrip", "single_word"};
    for (size_t k = 0; k < SC_ARRAY_LEN(refused); k++) {
      if ((st = opt_bool(h, e, where, refused[k], false, &flag))) return st;
      if (flag)
        return fail(h, SC_STATUS_UNSUPPORTED, "%s %s: %s true is not supported", where,
                    show(content->valuestring, len).s, refused[k]);
    }
    if (h->origin[id] & FROM_ADDED)
      return fail(h, SC_STATUS_INVALID, "%s: id %" PRIu32 " is already an added token (%s)", where,
                  id, show(h->pieces[id], h->lens[id]).s);
    int32_t known = tok_map_get(&h->map, content->valuestring, len);
    if (h->pieces[id] && (h->lens[id] != len || memcmp(h->pieces[id], content->valuestring, len)))
      return fail(h, SC_STATUS_INVALID, "%s: id %" PRIu32 " is %s in model.vocab, not %s", where,
                  id, show(h->pieces[id], h->lens[id]).s, show(content->valuestring, len).s);
    if (known >= 0 && (uint32_t)known != id)
      return fail(h, SC_STATUS_INVALID, "%s %s has id %" PRIu32 ", but it already has id %" PRId32,
                  where, show(content->valuestring, len).s, id, known);
    if (known < 0) tok_map_put(&h->map, content->valuestring, (uint32_t)len, (int32_t)id);
    h->pieces[id] = content->valuestring;
    h->lens[id] = (uint32_t)len;
    h->origin[id] |= FROM_ADDED;
    h->types[id] = special ? SC_TOKT_CONTROL : SC_TOKT_USER_DEFINED;
  }
  return SC_STATUS_OK;
}

/* The id of token text s (model.vocab or added), or -1. */
static int32_t lookup(const hf *h, const char *s, size_t len) {
  return tok_map_get(&h->map, s, len);
}

/* One merge's two sides: "a b" (exactly one space) or ["a", "b"]. */
static sc_status merge_sides(const hf *h, const cJSON *e, uint32_t r, const char **a, size_t *la,
                             const char **b, size_t *lb) {
  if (cJSON_IsString(e)) {
    const char *s = e->valuestring, *sp = strchr(s, ' ');
    if (!sp || strchr(sp + 1, ' '))
      return fail(h, SC_STATUS_INVALID,
                  "model.merges[%" PRIu32 "] %s is not two tokens separated by one space", r,
                  show_str(s).s);
    *a = s;
    *la = (size_t)(sp - s);
    *b = sp + 1;
    *lb = strlen(sp + 1);
    return SC_STATUS_OK;
  }
  if (cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2 && cJSON_IsString(e->child) &&
      cJSON_IsString(e->child->next)) {
    *a = e->child->valuestring;
    *la = strlen(*a);
    *b = e->child->next->valuestring;
    *lb = strlen(*b);
    return SC_STATUS_OK;
  }
  return fail(h, SC_STATUS_INVALID,
              "model.merges[%" PRIu32
              "] must be a string \"a b\" or an array [\"a\", \"b\"], got %s",
              r, llm_json_type(e));
}

/* model.merges: checked as Hugging Face does (both sides and their
 * concatenation in model.vocab), no merge twice; keys built in the arena. */
static sc_status read_merges(hf *h, const cJSON *merges) {
  int count = cJSON_GetArraySize(merges);
  if (count < 0 || (h->spm && (uint32_t)count > MAX_SPM_MERGES))
    return fail(h, SC_STATUS_UNSUPPORTED, "model.merges: %d merges (at most %u)", count,
                MAX_SPM_MERGES);
  h->n_merges = (uint32_t)count;
  size_t n = h->n_merges ? h->n_merges : 1;
  h->key_off = malloc(n * sizeof *h->key_off);
  h->keys = malloc(n * sizeof *h->keys);
  h->key_lens = malloc(n * sizeof *h->key_lens);
  if (!h->key_off || !h->keys || !h->key_lens || tok_map_init(&h->merge_map, h->n_merges))
    return no_memory(h);
  if (h->spm) {
    h->first_rank = malloc(h->cap * sizeof *h->first_rank);
    h->last_rank = malloc(h->cap * sizeof *h->last_rank);
    h->n_makers = calloc(h->cap, sizeof *h->n_makers);
    if (!h->first_rank || !h->last_rank || !h->n_makers) return no_memory(h);
    for (uint32_t i = 0; i < h->cap; i++) h->first_rank[i] = h->last_rank[i] = -1;
  }
  char sep = h->spm ? '\0' : ' ';
  uint32_t r = 0;
  for (const cJSON *e = merges->child; e; e = e->next, r++) {
    const char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    sc_status st = merge_sides(h, e, r, &a, &la, &b, &lb);
    if (st) return st;
    const char *side[2] = {a, b};
    size_t side_len[2] = {la, lb};
    for (int k = 0; k < 2; k++) {
      int32_t id = lookup(h, side[k], side_len[k]);
      if (id < 0 || !(h->origin[id] & FROM_VOCAB))
        return fail(h, SC_STATUS_INVALID, "model.merges[%" PRIu32 "]: %s is not in model.vocab", r,
                    show(side[k], side_len[k]).s);
      if (!h->spm && memchr(side[k], ' ', side_len[k]))
        return fail(h, SC_STATUS_UNSUPPORTED,
                    "model.merges[%" PRIu32 "]: token %s holds a space (byte-level tokens do not)",
                    r, show(side[k], side_len[k]).s);
    }
    char both[2 * MAX_TOKEN_BYTES];
    memcpy(both, a, la);
    memcpy(both + la, b, lb);
    int32_t made = lookup(h, both, la + lb);
    if (made < 0 || !(h->origin[made] & FROM_VOCAB))
      return fail(h, SC_STATUS_INVALID,
                  "model.merges[%" PRIu32 "] %s + %s: the merged token %s is not in model.vocab", r,
                  show(a, la).s, show(b, lb).s, show(both, la + lb).s);
    if (h->spm) {
      if (h->origin[made] & FROM_ADDED)
        return fail(h, SC_STATUS_UNSUPPORTED,
                    "model.merges[%" PRIu32 "] makes the added token %s (not supported with "
                    "SentencePiece-style BPE)",
                    r, show(both, la + lb).s);
      if (h->first_rank[made] >= 0 && h->last_rank[made] != (int32_t)r - 1)
        return fail(h, SC_STATUS_UNSUPPORTED,
                    "model.merges[%" PRIu32 "] makes %s again after other merges (first in "
                    "merges[%" PRId32 "]); SentencePiece-style BPE needs a token's merges together",
                    r, show(both, la + lb).s, h->first_rank[made]);
      if (h->first_rank[made] < 0) h->first_rank[made] = (int32_t)r;
      h->last_rank[made] = (int32_t)r;
      h->n_makers[made]++;
    }
    h->key_off[r] = h->arena.len;
    sc_strbuf_append(&h->arena, a, la);
    sc_strbuf_append(&h->arena, &sep, 1);
    sc_strbuf_append(&h->arena, b, lb);
    h->key_lens[r] = (uint32_t)(la + 1 + lb);
  }
  if (h->arena.oom) return no_memory(h);
  for (r = 0; r < h->n_merges; r++) {
    h->keys[r] = h->arena.data + h->key_off[r];
    if (!tok_map_put(&h->merge_map, h->keys[r], h->key_lens[r], (int32_t)r)) {
      int32_t first = tok_map_get(&h->merge_map, h->keys[r], h->key_lens[r]);
      const char *k = h->keys[r];
      size_t la = strnlen(k, h->key_lens[r]);
      if (!h->spm) la = (size_t)((const char *)memchr(k, ' ', h->key_lens[r]) - k);
      return fail(h, SC_STATUS_INVALID,
                  "model.merges[%" PRIu32 "] %s + %s repeats model.merges[%" PRId32 "]", r,
                  show(k, la).s, show(k + la + 1, h->key_lens[r] - la - 1).s, first);
    }
  }
  return SC_STATUS_OK;
}

/* Whether SPM could hold bytes p[0..len) as one symbol: a single character
 * (in the vocabulary or not: SPM keeps unknown characters as symbols), or a
 * piece some merge makes. */
static bool spm_symbol(const hf *h, const char *p, size_t len) {
  if (tok_utf8_len((unsigned char)p[0]) == len) {
    int32_t id = lookup(h, p, len);
    return id < 0 || !(h->origin[id] & FROM_ADDED);
  }
  int32_t id = lookup(h, p, len);
  return id >= 0 && h->n_makers[id] > 0;
}

/* SentencePiece-style only: every way SPM could make a merged piece out of
 * two symbols must be a merge, or SPM would merge where Hugging Face does not. */
static sc_status check_spm_merges(const hf *h) {
  for (uint32_t id = 0; id < h->cap; id++) {
    if (!h->n_makers[id]) continue;
    const char *p = h->pieces[id];
    size_t len = h->lens[id];
    for (size_t cut = tok_utf8_len((unsigned char)p[0]); cut < len;
         cut += tok_utf8_len((unsigned char)p[cut])) {
      if (!spm_symbol(h, p, cut) || !spm_symbol(h, p + cut, len - cut)) continue;
      char key[2 * MAX_TOKEN_BYTES + 1];
      memcpy(key, p, cut);
      key[cut] = '\0';
      memcpy(key + cut + 1, p + cut, len - cut);
      if (tok_map_get(&h->merge_map, key, len + 1) < 0)
        return fail(h, SC_STATUS_UNSUPPORTED,
                    "model.merges: %s can be made from %s + %s, which no merge lists "
                    "(SentencePiece-style BPE needs every split, as Hugging Face's converter "
                    "writes them)",
                    show(p, len).s, show(p, cut).s, show(p + cut, len - cut).s);
    }
  }
  return SC_STATUS_OK;
}

/* The byte a piece "<0xXX>" stands for, or -1. */
static int byte_piece(const char *p, size_t len) {
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

/* Types (and SPM scores) of the pieces model.vocab alone has. */
static sc_status set_types(hf *h, bool byte_fallback) {
  if (h->spm) {
    h->scores = calloc(h->cap, sizeof *h->scores);
    if (!h->scores) return no_memory(h);
  }
  for (uint32_t id = 0; id < h->cap; id++) {
    if (h->origin[id] & FROM_ADDED) continue; /* CONTROL or USER_DEFINED already */
    int32_t ty = SC_TOKT_NORMAL;
    if ((int32_t)id == h->v.unk) {
      ty = SC_TOKT_UNKNOWN;
    } else if (h->spm && byte_fallback && byte_piece(h->pieces[id], h->lens[id]) >= 0) {
      ty = SC_TOKT_BYTE;
    } else if (h->spm && h->n_makers[id]) {
      h->scores[id] = -(float)h->first_rank[id];
    } else if (h->spm && tok_utf8_len((unsigned char)h->pieces[id][0]) != h->lens[id]) {
      ty = SC_TOKT_UNUSED; /* no merge makes it: Hugging Face never produces it */
    }
    h->types[id] = ty;
  }
  return SC_STATUS_OK;
}

/* ---- special ids ---- */

/* The id of a token named in a post-processor or config, or an error. */
static sc_status named_id(const hf *h, const char *where, const char *what, const char *name,
                          int32_t *id) {
  *id = lookup(h, name, strlen(name));
  if (*id < 0)
    return fail(h, SC_STATUS_INVALID, "%s: %s %s is not a token", where, what, show_str(name).s);
  return SC_STATUS_OK;
}

/* TemplateProcessing: a special token before $A is bos. */
static sc_status read_template(hf *h, const cJSON *tp, const char *where, bool *bos_found) {
  const cJSON *single = get(tp, "single");
  if (!cJSON_IsArray(single))
    return fail(h, SC_STATUS_UNSUPPORTED, "%s.single must be an array, got %s", where,
                llm_json_type(single));
  int leading = 0;
  const cJSON *e = single->child;
  for (; e && get(e, "SpecialToken"); e = e->next) leading++;
  if (!e || !get(e, "Sequence"))
    return fail(h, SC_STATUS_UNSUPPORTED, "%s.single has no sequence $A", where);
  if (leading > 1)
    return fail(h, SC_STATUS_UNSUPPORTED,
                "%s.single puts %d special tokens before the text (one, bos, is supported)", where,
                leading);
  if (leading == 0) return SC_STATUS_OK;
  const cJSON *name = get(get(single->child, "SpecialToken"), "id");
  if (!cJSON_IsString(name))
    return fail(h, SC_STATUS_INVALID, "%s.single[0].SpecialToken.id must be a string", where);
  /* special_tokens[name].ids, when given, is what Hugging Face inserts */
  const cJSON *ids = get(get(get(tp, "special_tokens"), name->valuestring), "ids");
  uint32_t id;
  if (cJSON_IsArray(ids)) {
    if (cJSON_GetArraySize(ids) != 1 || !json_index(ids->child, h->v.n, &id))
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "%s.special_tokens[%s].ids must be one id of the vocabulary", where,
                  show_str(name->valuestring).s);
    h->v.bos = (int32_t)id;
  } else {
    sc_status st = named_id(h, where, "special token", name->valuestring, &h->v.bos);
    if (st) return st;
  }
  *bos_found = true;
  return SC_STATUS_OK;
}

static sc_status read_post_processor(hf *h, const cJSON *root) {
  const cJSON *pp = get(root, "post_processor");
  h->v.add_bos = false;
  if (absent(pp)) return SC_STATUS_OK;
  const char *t = type_of(pp);
  const cJSON *list = NULL, *one = pp;
  if (t && strcmp(t, "Sequence") == 0) {
    list = get(pp, "processors");
    if (!cJSON_IsArray(list))
      return fail(h, SC_STATUS_INVALID, "post_processor.processors must be an array");
    one = list->child;
  }
  bool found = false;
  for (int i = 0; one; one = list ? one->next : NULL, i++) {
    char where[48];
    if (list)
      snprintf(where, sizeof where, "post_processor.processors[%d]", i);
    else
      snprintf(where, sizeof where, "post_processor");
    const char *ot = type_of(one);
    if (ot && strcmp(ot, "ByteLevel") == 0) continue; /* offsets only */
    if (!ot || strcmp(ot, "TemplateProcessing") != 0)
      return fail(h, SC_STATUS_UNSUPPORTED,
                  "%s %s is not supported (ByteLevel, TemplateProcessing, or a Sequence of them)",
                  where, ot ? show_str(ot).s : llm_json_type(one));
    if (found) return fail(h, SC_STATUS_UNSUPPORTED, "%s: a second TemplateProcessing", where);
    bool bos = false;
    sc_status st = read_template(h, one, where, &bos);
    if (st) return st;
    found = true;
    h->v.add_bos = bos;
  }
  return SC_STATUS_OK;
}

/* A token in tokenizer_config.json: "text", {"content": "text"} or null. */
static sc_status config_token(const hf *h, const char *cfg_name, const cJSON *cfg, const char *key,
                              int32_t *id) {
  const cJSON *j = get(cfg, key);
  if (absent(j)) return SC_STATUS_OK;
  if (cJSON_IsObject(j)) j = get(j, "content");
  if (!cJSON_IsString(j))
    return sc_errf(h->err, h->err_size, SC_STATUS_INVALID,
                   "%s: %s must be a string or an object with \"content\"", cfg_name, key);
  *id = lookup(h, j->valuestring, strlen(j->valuestring));
  if (*id < 0)
    return sc_errf(h->err, h->err_size, SC_STATUS_INVALID, "%s: %s %s is not a token of %s",
                   cfg_name, key, show_str(j->valuestring).s, h->name);
  return SC_STATUS_OK;
}

static sc_status read_config(hf *h, const char *text, size_t len, const char *cfg_name) {
  cJSON *cfg;
  sc_status st = llm_json_parse(cfg_name, text, len, &cfg, h->err, h->err_size);
  if (st) return st;
  int32_t bos = -1, eos = -1;
  const cJSON *add = get(cfg, "add_bos_token");
  if (!cJSON_IsObject(cfg)) {
    st = sc_errf(h->err, h->err_size, SC_STATUS_INVALID, "%s: must be a JSON object, got %s",
                 cfg_name, llm_json_type(cfg));
  } else if (!absent(add) && !cJSON_IsBool(add)) {
    st = sc_errf(h->err, h->err_size, SC_STATUS_INVALID,
                 "%s: add_bos_token must be a boolean, got %s", cfg_name, llm_json_type(add));
  } else if (!(st = config_token(h, cfg_name, cfg, "bos_token", &bos)) &&
             !(st = config_token(h, cfg_name, cfg, "eos_token", &eos))) {
    if (h->v.bos < 0) h->v.bos = bos; /* the post-processor's bos comes first */
    if (eos >= 0) h->v.eos = eos;
    if (cJSON_IsBool(add)) h->v.add_bos = cJSON_IsTrue(add);
    if (h->v.add_bos && h->v.bos < 0)
      st = sc_errf(h->err, h->err_size, SC_STATUS_INVALID,
                   "%s: add_bos_token is true but there is no bos token", cfg_name);
  }
  cJSON_Delete(cfg);
  return st;
}

/* ---- the whole file ---- */

static void hf_free(hf *h) {
  free(h->pieces);
  free(h->lens);
  free(h->types);
  free(h->scores);
  free(h->origin);
  tok_map_free(&h->map);
  sc_strbuf_free(&h->arena);
  free(h->key_off);
  free(h->keys);
  free(h->key_lens);
  tok_map_free(&h->merge_map);
  free(h->first_rank);
  free(h->last_rank);
  free(h->n_makers);
}

static sc_status hf_read(hf *h, const cJSON *root, const char *config, size_t config_len,
                         const char *config_name, sc_tokenizer **out) {
  if (!cJSON_IsObject(root))
    return fail(h, SC_STATUS_INVALID, "must be a JSON object, got %s", llm_json_type(root));
  const cJSON *model = get(root, "model");
  if (!cJSON_IsObject(model))
    return fail(h, SC_STATUS_INVALID, "model must be an object, got %s",
                model ? llm_json_type(model) : "nothing");
  const cJSON *type = get(model, "type"), *vocab = get(model, "vocab"),
              *merges = get(model, "merges"), *added = get(root, "added_tokens");
  if (absent(type) && !merges)
    return fail(h, SC_STATUS_INVALID, "model has no \"type\" (and no merges, so it is no BPE)");
  if (!absent(type) && !cJSON_IsString(type))
    return fail(h, SC_STATUS_INVALID, "model.type must be a string, got %s", llm_json_type(type));
  if (!absent(type) && strcmp(type->valuestring, "BPE") != 0)
    return fail(h, SC_STATUS_UNSUPPORTED, "model.type %s is not supported (only BPE)",
                show_str(type->valuestring).s);
  if (!cJSON_IsObject(vocab))
    return fail(h, SC_STATUS_INVALID, "model.vocab must be an object of token -> id, got %s",
                vocab ? llm_json_type(vocab) : "nothing");
  if (!cJSON_IsArray(merges))
    return fail(h, SC_STATUS_INVALID, "model.merges must be an array, got %s",
                merges ? llm_json_type(merges) : "nothing");
  if (!absent(added) && !cJSON_IsArray(added))
    return fail(h, SC_STATUS_INVALID, "added_tokens must be an array, got %s",
                llm_json_type(added));
  sc_status st = read_pipeline(h, root);
  if (st) return st;

  /* Room for every id: with no gaps, the largest is below this. */
  uint64_t cap = (uint64_t)cJSON_GetArraySize(vocab) + (uint64_t)cJSON_GetArraySize(added);
  if (cap == 0) return fail(h, SC_STATUS_INVALID, "model.vocab is empty");
  if (cap > MAX_TOKENS)
    return fail(h, SC_STATUS_UNSUPPORTED, "%" PRIu64 " tokens (at most %u)", cap, MAX_TOKENS);
  if ((st = alloc_tables(h, (uint32_t)cap))) return st;
  bool byte_fallback;
  if ((st = opt_bool(h, model, "model", "byte_fallback", false, &byte_fallback)) ||
      (st = read_model_options(h, model)))
    return st;
  for (uint32_t i = 0; i < h->cap; i++) h->types[i] = SC_TOKT_NORMAL;
  if ((st = read_vocab(h, vocab)) || (st = read_added(h, absent(added) ? NULL : added))) return st;
  h->n_vocab = (uint32_t)cJSON_GetArraySize(vocab);
  uint32_t n = 0;
  for (uint32_t i = 0; i < h->cap; i++)
    if (h->pieces[i]) n = i + 1;
  for (uint32_t i = 0; i < n; i++)
    if (!h->pieces[i])
      return fail(h, SC_STATUS_INVALID,
                  "id %" PRIu32 " is neither in model.vocab nor in added_tokens (ids must run "
                  "from 0 without gaps)",
                  i);
  h->cap = n;
  h->v.n = n;

  h->v.bos = h->v.eos = h->v.unk = -1;
  const cJSON *unk = get(model, "unk_token");
  if (!absent(unk)) {
    if (!cJSON_IsString(unk))
      return fail(h, SC_STATUS_INVALID, "model.unk_token must be a string or null, got %s",
                  llm_json_type(unk));
    if ((st = named_id(h, "model", "unk_token", unk->valuestring, &h->v.unk))) return st;
  }
  if ((st = read_merges(h, merges))) return st;
  if (h->spm && (st = check_spm_merges(h))) return st;
  if ((st = set_types(h, byte_fallback))) return st;
  if ((st = read_post_processor(h, root))) return st;
  for (size_t i = 0; i < SC_ARRAY_LEN(eos_names) && h->v.eos < 0; i++) {
    int32_t id = lookup(h, eos_names[i], strlen(eos_names[i]));
    if (id >= 0 && h->types[id] == SC_TOKT_CONTROL) h->v.eos = id;
  }
  if (config && (st = read_config(h, config, config_len, config_name))) return st;

  h->v.kind = h->spm ? SC_TOK_SPM : SC_TOK_BPE;
  h->v.pieces = h->pieces;
  h->v.lens = h->lens;
  h->v.types = h->types;
  h->v.scores = h->scores;
  h->v.split_special = true;
  if (!h->spm) {
    h->v.n_merges = h->n_merges;
    h->v.merges = h->keys;
    h->v.merge_lens = h->key_lens;
  }
  char msg[256];
  st = sc_tok_create(&h->v, out, msg, sizeof msg);
  if (st) return fail(h, st, "%s", msg);
  return SC_STATUS_OK;
}

sc_status tok_hf_parse(const char *json, size_t json_len, const char *name, const char *config,
                       size_t config_len, const char *config_name, sc_tokenizer **out, char *err,
                       size_t err_size) {
  *out = NULL;
  cJSON *root;
  sc_status st = llm_json_parse(name, json, json_len, &root, err, err_size);
  if (st) return st;
  hf h = {.name = name, .err = err, .err_size = err_size};
  st = hf_read(&h, root, config, config_len, config_name ? config_name : "tokenizer_config.json",
               out);
  hf_free(&h);
  cJSON_Delete(root);
  return st;
}

static bool is_file(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

sc_status sc_tok_from_hf(const char *path, sc_tokenizer **out, char *err, size_t err_size) {
  *out = NULL;
  struct stat sb;
  if (stat(path, &sb) != 0)
    return sc_errf(err, err_size, SC_STATUS_IO, "%s: %s", path, strerror(errno));
  sc_strbuf file = {0}, cfg = {0};
  if (S_ISDIR(sb.st_mode)) {
    sc_strbuf_printf(&file, "%s/tokenizer.json", path);
    sc_strbuf_printf(&cfg, "%s/tokenizer_config.json", path);
  } else {
    const char *slash = strrchr(path, '/');
    sc_strbuf_printf(&file, "%s", path);
    if (slash)
      sc_strbuf_printf(&cfg, "%.*s/tokenizer_config.json", (int)(slash - path), path);
    else
      sc_strbuf_printf(&cfg, "tokenizer_config.json");
  }
  uint8_t *json = NULL, *config = NULL;
  size_t json_len = 0, config_len = 0;
  sc_status st = SC_STATUS_OK;
  if (file.oom || cfg.oom) {
    st = sc_errf(err, err_size, SC_STATUS_NO_MEMORY, "%s: out of memory", path);
  } else if (S_ISDIR(sb.st_mode) && !is_file(file.data)) {
    st = sc_errf(err, err_size, SC_STATUS_NOT_FOUND, "%s: holds no tokenizer.json", path);
  } else if (!(st = sc_read_file(file.data, MAX_JSON_BYTES, &json, &json_len, err, err_size)) &&
             is_file(cfg.data)) {
    st = sc_read_file(cfg.data, MAX_CONFIG_BYTES, &config, &config_len, err, err_size);
  }
  if (st == SC_STATUS_OK)
    st = tok_hf_parse((const char *)json, json_len, file.data, (const char *)config, config_len,
                      cfg.data, out, err, err_size);
  free(json);
  free(config);
  sc_strbuf_free(&file);
  sc_strbuf_free(&cfg);
  return st;
}
