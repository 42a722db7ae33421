/* test_tokenizer_hf.c: Hugging Face tokenizer.json files (sc_tok_from_hf) and
 * the Llama-3 and Qwen2 pre-tokenizers.
 *
 *  - pre-tokenizer splits worked out by hand from the regexes (Llama-3,
 *    Qwen2, GPT-2 for contrast), each tricky one explained;
 *  - the same splitters against Python's regex module (tests/data/
 *    pretok_splits.txt): llama.cpp's 46 tokenizer test strings (the
 *    llama-bpe vocabulary that goes with their expected ids is missing from
 *    the shared models, so only the splits are checked) and 120 random ones;
 *  - small tokenizer.json files this test writes: byte-level (GPT-2,
 *    Llama-3, Qwen2 set-ups), merges in both syntaxes, added and special
 *    tokens, ignore_merges, NFC, bos from the post-processor, eos from
 *    tokenizer_config.json; SentencePiece-style (Llama-2 legacy and
 *    Metaspace) with byte fallback, ids worked out by hand by merge rank;
 *  - refusals, each with its status and message: other models, malformed
 *    JSON (line:col), missing fields, duplicate tokens, merges naming
 *    unknown tokens, unknown regexes, ...;
 *  - decode(encode(s)) == s for random text with each byte-level
 *    pre-tokenizer.
 *
 * The shared models come from $SEEDCHIP_MODELS, else
 * $SEEDCHIP_SOURCE_DIR/../shared/models; the test that needs them skips
 * without them. */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "seedchip/tokenizer.h"
#include "seedchip/util.h"
#include "tok_int.h"

/* ---- helpers ---- */

static const char *source_dir(void) {
  const char *src = getenv("SEEDCHIP_SOURCE_DIR");
  return src && *src ? src : ".";
}

/* The words pre splits text into, joined by '|' (for messages). */
static void split_words(sc_tok_pre pre, const char *text, size_t len, sc_strbuf *out,
                        size_t *n_words) {
  size_t ends[512], n;
  assert_int_equal(tok_bpe_split(pre, text, len, ends, 512, &n), SC_STATUS_OK);
  assert_true(n <= 512);
  size_t prev = 0;
  for (size_t k = 0; k < n; k++) {
    assert_true(ends[k] > prev); /* no empty word, in order */
    if (k) sc_strbuf_append(out, "|", 1);
    sc_strbuf_append(out, text + prev, ends[k] - prev);
    prev = ends[k];
  }
  assert_int_equal(prev, len); /* the words cover the text */
  *n_words = n;
}

typedef struct split_case {
  const char *text;
  const char *words; /* joined by '|' (no case has a '|' in its text) */
} split_case;

static void check_splits(sc_tok_pre pre, const split_case *cases, size_t n_cases) {
  int bad = 0;
  for (size_t i = 0; i < n_cases; i++) {
    sc_strbuf got = {0};
    size_t n;
    split_words(pre, cases[i].text, strlen(cases[i].text), &got, &n);
    if (strcmp(sc_strbuf_str(&got), cases[i].words) != 0) {
      fprintf(stderr, "pre %d, case %zu: got   \"%s\"\n              want \"%s\"\n", (int)pre, i,
              sc_strbuf_str(&got), cases[i].words);
      bad++;
    }
    sc_strbuf_free(&got);
  }
  assert_int_equal(bad, 0);
}

/* ---- pre-tokenizer splits by hand ---- */

/* Llama-3:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *    ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * At each position the first alternative that matches wins. */
static void test_llama3_splits_by_hand(void **state) {
  (void)state;
  static const split_case cases[] = {
      {"Hello world", "Hello| world"},
      {" Hello World!", " Hello| World|!"},
      /* The apostrophe of "'all" starts no contraction ('a' is none), so it
       * is the one non-letter allowed before letters. The emoji (So) is
       * "other" and takes the space before it; "?" likewise. CJK and Latin
       * letters are all \p{L}: one word. Digits go in threes from the
       * left: 131|415|1. The full-width tilde U+FF5E is Sm, "other". */
      {"Hello, y'all! How are you \xf0\x9f\x98\x81 ?\xe6\x88\x91\xe6\x83\xb3\xe5\x9c\xa8"
       "apple\xe5\xb7\xa5\xe4\xbd\x9c"
       "1314151\xe5\xa4\xa9\xef\xbd\x9e",
       "Hello|,| y|'all|!| How| are| you| \xf0\x9f\x98\x81| ?|\xe6\x88\x91\xe6\x83\xb3\xe5\x9c\xa8"
       "apple\xe5\xb7\xa5\xe4\xbd\x9c|131|415|1|\xe5\xa4\xa9|\xef\xbd\x9e"},
      {"333333333", "333|333|333"},
      {"3333", "333|3"},
      /* Contractions are case-insensitive ('RE, 'Ve, 'lL), but only where the
       * apostrophe starts a match: in " 'RE" the space and the apostrophe
       * are taken first by ' ?[^\s\p{L}\p{N}]+' (the space may lead letters
       * only when a letter follows it), leaving "RE" a word alone. */
      {"I've been 'told he's there, 'RE you sure? We'Ve a'lL",
       "I|'ve| been| '|told| he|'s| there|,| '|RE| you| sure|?| We|'Ve| a|'lL"},
      {"DON'T", "DON|'T"},
      /* U+017F (long s) case-folds to 's', so "'\u017f" is a contraction; the
       * 't' after it is a word of its own. */
      {"'\xc5\xbft", "'\xc5\xbf|t"},
      /* Newlines: \s*[\r\n]+ takes whitespace up to the last newline of the
       * run. */
      {"\n\n\n", "\n\n\n"},
      {"\t\n", "\t\n"},
      {"a\r\n\r\nb", "a|\r\n\r\n|b"},
      /* After punctuation, newlines stay with it: [\r\n]* in ' ?[^...]+[\r\n]*'. */
      {"x!\n\ny", "x|!\n\n|y"},
      /* \s+(?!\S) leaves the last space for the letters after it. */
      {"   Hello", "  | Hello"},
      /* "\n    Hello": the run "\n    " ends its \s*[\r\n]+ match at the
       * newline; the four spaces then give "   " and " Hello". */
      {"    Hello\n    Hello", "   | Hello|\n|   | Hello"},
      /* A tab (or any non-newline whitespace) may lead letters too. */
      {"\t\tHello", "\t|\tHello"},
      /* U+3000 is whitespace: the run " \u3000" gives its last character to
       * the letter after it. */
      {" \xe3\x80\x80x", " |\xe3\x80\x80x"},
      /* The emoji ZWJ sequence (So, Cf, So, Mn) is one "other" run with its
       * space; "(" leads "normal" since a letter follows it, ")" is alone. */
      {"\xf0\x9f\x9a\x80 (normal) \xf0\x9f\x98\xb6\xe2\x80\x8d\xf0\x9f\x8c\xab\xef\xb8\x8f ok",
       "\xf0\x9f\x9a\x80| (|normal|)| \xf0\x9f\x98\xb6\xe2\x80\x8d\xf0\x9f\x8c\xab\xef\xb8\x8f| "
       "ok"},
      /* A space before a digit leads nothing: " " and "3" apart. */
      {"3.3 3..3", "3|.|3| |3|..|3"},
      {"\n =", "\n| ="},
      {"' era", "'| era"},
      {"C\xe1\xbb\xad"
       "a Vi\xe1\xbb\x87t",
       "C\xe1\xbb\xad"
       "a| Vi\xe1\xbb\x87t"},
      {"!!!!!!", "!!!!!!"},
      {"!!!abc", "!!!|abc"},
  };
  check_splits(SC_TOK_PRE_LLAMA3, cases, SC_ARRAY_LEN(cases));
}

/* Qwen2 is Llama-3 with \p{N} for \p{N}{1,3}; GPT-2's contractions are
 * case-sensitive and its digits are runs. */
static void test_qwen2_gpt2_splits_by_hand(void **state) {
  (void)state;
  static const split_case qwen2[] = {
      {"1314151", "1|3|1|4|1|5|1"},
      {"2024\xe5\xb9\xb4", "2|0|2|4|\xe5\xb9\xb4"},
      {"DON'T x1", "DON|'T| x|1"},
  };
  check_splits(SC_TOK_PRE_QWEN2, qwen2, SC_ARRAY_LEN(qwen2));
  static const split_case gpt2[] = {
      {"DON'T", "DON|'|T"},                 /* 'T is no contraction in GPT-2's regex */
      {"1314151", "1314151"},               /* one run of digits */
      {"Hello, y'all", "Hello|,| y|'|all"}, /* no letter may follow a "'" */
      {"\t\tHello", "\t|\t|Hello"},         /* only a space leads letters */
  };
  check_splits(SC_TOK_PRE_GPT2, gpt2, SC_ARRAY_LEN(gpt2));
}

/* ---- pre-tokenizer splits against Python's regex module ---- */

static sc_tok_pre pre_named(const char *name) {
  if (strcmp(name, "llama3") == 0) return SC_TOK_PRE_LLAMA3;
  if (strcmp(name, "qwen2") == 0) return SC_TOK_PRE_QWEN2;
  assert_string_equal(name, "gpt2");
  return SC_TOK_PRE_GPT2;
}

/* Compares the splits of text with "n n n" (byte lengths). */
static bool same_lengths(sc_tok_pre pre, const char *text, size_t len, const char *want) {
  size_t ends[512], n;
  assert_int_equal(tok_bpe_split(pre, text, len, ends, 512, &n), SC_STATUS_OK);
  size_t prev = 0, k = 0;
  for (const char *p = want; *p;) {
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p) break;
    if (k >= n || ends[k] - prev != v) return false;
    prev = ends[k++];
    p = end;
  }
  return k == n;
}

static void test_splits_against_regex(void **state) {
  (void)state;
  sc_strbuf path = {0};
  sc_strbuf_printf(&path, "%s/tests/data/pretok_splits.txt", source_dir());
  uint8_t *data;
  size_t len;
  char err[256];
  assert_int_equal(sc_read_file(sc_strbuf_str(&path), 1 << 20, &data, &len, err, sizeof err),
                   SC_STATUS_OK);
  sc_strbuf_free(&path);

  /* llama.cpp's test strings, when the shared models are there */
  const char *models = getenv("SEEDCHIP_MODELS");
  sc_strbuf inp_path = {0};
  if (models && *models)
    sc_strbuf_printf(&inp_path, "%s/gguf-vocab/ggml-vocab-llama-bpe.gguf.inp", models);
  else
    sc_strbuf_printf(&inp_path, "%s/../shared/models/gguf-vocab/ggml-vocab-llama-bpe.gguf.inp",
                     source_dir());
  uint8_t *inp = NULL;
  size_t inp_len = 0;
  const char *vectors[64];
  size_t vector_lens[64], n_vectors = 0;
  if (sc_read_file(sc_strbuf_str(&inp_path), 1 << 20, &inp, &inp_len, err, sizeof err) ==
      SC_STATUS_OK) {
    const char *delim = "\n__ggml_vocab_test__\n";
    char *s = (char *)inp, *end;
    while ((end = strstr(s, delim)) != NULL && n_vectors < 64) {
      vectors[n_vectors] = s;
      vector_lens[n_vectors++] = (size_t)(end - s);
      s = end + strlen(delim);
    }
  } else {
    printf("skipped the llama.cpp strings: %s\n", err);
  }
  sc_strbuf_free(&inp_path);

  int checked[2] = {0, 0}, bad = 0;
  for (char *line = (char *)data; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    char kind[16], name[16], key[512];
    int off = 0;
    if (line[0] != '#' && sscanf(line, "%15s %15s %511[^:]: %n", kind, name, key, &off) == 3) {
      sc_tok_pre pre = pre_named(name);
      const char *want = line + off;
      bool ok = true;
      if (strcmp(kind, "vector") == 0) {
        size_t i = strtoul(key, NULL, 10);
        if (n_vectors) {
          assert_true(i < n_vectors);
          ok = same_lengths(pre, vectors[i], vector_lens[i], want);
          checked[0]++;
        }
      } else {
        assert_string_equal(kind, "random");
        char text[256];
        size_t n = strlen(key) / 2;
        assert_true(n < sizeof text);
        for (size_t k = 0; k < n; k++) {
          unsigned v;
          assert_int_equal(sscanf(key + 2 * k, "%2x", &v), 1);
          text[k] = (char)v;
        }
        ok = same_lengths(pre, text, n, want);
        checked[1]++;
      }
      if (!ok) {
        fprintf(stderr, "differs from the regex: %s\n", line);
        bad++;
      }
    }
    line = nl ? nl + 1 : NULL;
  }
  printf("splits as Python's regex: %d llama.cpp strings, %d random strings (3 patterns each)\n",
         checked[0], checked[1]);
  assert_int_equal(bad, 0);
  assert_int_equal(checked[1], 3 * 120);
  if (n_vectors) assert_int_equal(checked[0], 3 * 46);
  free(inp);
  free(data);
}

/* ---- writing tokenizer.json files ---- */

/* JSON string of len bytes. */
static void put_json_str(sc_strbuf *sb, const char *s, size_t len) {
  sc_strbuf_append(sb, "\"", 1);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      sc_strbuf_append(sb, e, 2);
    } else if (c < 0x20) {
      sc_strbuf_printf(sb, "\\u%04x", c);
    } else {
      sc_strbuf_append(sb, s + i, 1);
    }
  }
  sc_strbuf_append(sb, "\"", 1);
}

static void put_cstr(sc_strbuf *sb, const char *s) {
  put_json_str(sb, s, strlen(s));
}

/* GPT-2's printable code point for byte b, as UTF-8 (returns its length). */
static size_t byte_char(unsigned b, char out[2]) {
  unsigned cp = b, extra = 0;
  bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
  if (!printable) {
    for (unsigned x = 0; x < b; x++)
      extra += !((x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE);
    cp = 256 + extra;
  }
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  out[0] = (char)(0xC0 | cp >> 6);
  out[1] = (char)(0x80 | (cp & 0x3F));
  return 2;
}

static const char *const LLAMA3_REGEX =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char *const QWEN2_REGEX =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* The ids of the byte-level test vocabulary: byte b's character is id b. */
enum {
  BL_GT = 256,   /* "Ġt"  merges ["Ġ", "t"] (the array syntax) */
  BL_HE = 257,   /* "he"  merges "h e" */
  BL_GTHE = 258, /* "Ġthe" merges "Ġt he" */
  BL_12 = 259,   /* "12"  merges ["1", "2"] */
  BL_XYZ = 260,  /* "xyz" no merge makes it: only ignore_merges finds it */
  BL_BOT = 261,  /* "<|begin_of_text|>" added, special */
  BL_EOT = 262,  /* "<|eot_id|>" added, special */
  BL_TOOL = 263, /* "<tool>" added, not special */
};

/* A byte-level tokenizer.json: the 256 byte characters, the tokens above,
 * pre_tokenizer `pre` (JSON) or a Split by `regex` + ByteLevel, normalizer
 * `norm` (JSON), ignore_merges, and a post-processor adding bos. */
static char *byte_level_json(const char *pre, const char *regex, const char *norm,
                             bool ignore_merges) {
  sc_strbuf sb = {0};
  sc_strbuf_printf(&sb,
                   "{\"version\": \"1.0\", \"added_tokens\": [\n"
                   "  {\"id\": 261, \"content\": \"<|begin_of_text|>\", \"single_word\": "
                   "false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, "
                   "\"special\": true},\n"
                   "  {\"id\": 262, \"content\": \"<|eot_id|>\", \"special\": true},\n"
                   "  {\"id\": 263, \"content\": \"<tool>\", \"special\": false}],\n"
                   "\"normalizer\": %s,\n\"pre_tokenizer\": ",
                   norm ? norm : "null");
  if (pre) {
    sc_strbuf_printf(&sb, "%s", pre);
  } else {
    sc_strbuf_printf(&sb, "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", "
                          "\"pattern\": {\"Regex\": ");
    put_cstr(&sb, regex);
    sc_strbuf_printf(&sb, "}, \"behavior\": \"Isolated\", \"invert\": false}, {\"type\": "
                          "\"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, "
                          "\"use_regex\": false}]}");
  }
  sc_strbuf_printf(
      &sb,
      ",\n\"post_processor\": {\"type\": \"Sequence\", \"processors\": [{\"type\": "
      "\"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": "
      "true}, {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": "
      "\"<|begin_of_text|>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": "
      "0}}], \"pair\": [], \"special_tokens\": {\"<|begin_of_text|>\": {\"id\": "
      "\"<|begin_of_text|>\", \"ids\": [261], \"tokens\": [\"<|begin_of_text|>\"]}}}]},\n"
      "\"decoder\": {\"type\": \"ByteLevel\"},\n"
      "\"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": null, "
      "\"continuing_subword_prefix\": null, \"end_of_word_suffix\": null, \"fuse_unk\": "
      "false, \"byte_fallback\": false, \"ignore_merges\": %s,\n\"vocab\": {",
      ignore_merges ? "true" : "false");
  for (unsigned b = 0; b < 256; b++) {
    char c[2];
    put_json_str(&sb, c, byte_char(b, c));
    sc_strbuf_printf(&sb, ": %u, ", b);
  }
  sc_strbuf_printf(&sb, "\"\xc4\xa0t\": 256, \"he\": 257, \"\xc4\xa0the\": 258, \"12\": 259, "
                        "\"xyz\": 260, \"<|begin_of_text|>\": 261},\n"
                        "\"merges\": [[\"\xc4\xa0\", \"t\"], \"h e\", \"\xc4\xa0t he\", [\"1\", "
                        "\"2\"]]}}\n");
  assert_false(sb.oom);
  return sb.data;
}

static sc_tokenizer *parse_ok(const char *json, const char *config) {
  sc_tokenizer *t = NULL;
  char err[512] = "";
  sc_status st = tok_hf_parse(json, strlen(json), "t.json", config, config ? strlen(config) : 0,
                              "c.json", &t, err, sizeof err);
  if (st) fprintf(stderr, "%s\n", err);
  assert_int_equal(st, SC_STATUS_OK);
  return t;
}

/* Encodes text and compares with the ids want[0..n_want). */
static void expect_ids(const sc_tokenizer *t, const char *text, bool bos, const int32_t *want,
                       size_t n_want) {
  int32_t ids[64];
  size_t n;
  assert_int_equal(sc_tok_encode(t, text, strlen(text), bos, ids, 64, &n), SC_STATUS_OK);
  bool same = n == n_want && memcmp(ids, want, n * sizeof *ids) == 0;
  if (!same) {
    fprintf(stderr, "\"%s\": got", text);
    for (size_t i = 0; i < n && i < 64; i++) fprintf(stderr, " %d", ids[i]);
    fprintf(stderr, ", want");
    for (size_t i = 0; i < n_want; i++) fprintf(stderr, " %d", want[i]);
    fprintf(stderr, "\n");
  }
  assert_true(same);
}

#define EXPECT(t, text, bos, ...)                                                                  \
  do {                                                                                             \
    static const int32_t want_[] = {__VA_ARGS__};                                                  \
    expect_ids(t, text, bos, want_, SC_ARRAY_LEN(want_));                                          \
  } while (0)

/* The bytes ids decode to, each after its predecessor. */
static void decode_all(const sc_tokenizer *t, const int32_t *ids, size_t n, sc_strbuf *out) {
  for (size_t i = 0; i < n; i++) {
    char piece[256];
    size_t k = sc_tok_decode(t, i ? ids[i - 1] : -1, ids[i], piece, sizeof piece);
    sc_strbuf_append(out, piece, k);
  }
}

/* A fresh directory under $TMPDIR (malloc'd path). */
static char *temp_dir(void) {
  const char *dir = getenv("TMPDIR");
  sc_strbuf p = {0};
  sc_strbuf_printf(&p, "%s/test_tokhf_XXXXXX", dir && *dir ? dir : "/tmp");
  assert_non_null(mkdtemp(p.data));
  return p.data;
}

static char *write_in(const char *dir, const char *name, const char *text) {
  sc_strbuf p = {0};
  sc_strbuf_printf(&p, "%s/%s", dir, name);
  FILE *f = fopen(p.data, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
  fclose(f);
  return p.data;
}

/* ---- byte-level tokenizers ---- */

/* Llama-3's set-up, from a checkpoint directory with a tokenizer_config.json. */
static void test_byte_level_llama3(void **state) {
  (void)state;
  char *json = byte_level_json(NULL, LLAMA3_REGEX, NULL, true);
  char *dir = temp_dir();
  char *tok_path = write_in(dir, "tokenizer.json", json);
  char *cfg_path = write_in(dir, "tokenizer_config.json",
                            "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\": {\"content\": "
                            "\"<|eot_id|>\", \"special\": true}, \"chat_template\": \"...\"}");
  sc_tokenizer *t;
  char err[512];
  assert_int_equal(sc_tok_from_hf(dir, &t, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(sc_tok_kind_of(t), SC_TOK_BPE);
  assert_int_equal(sc_tok_pre_of(t), SC_TOK_PRE_LLAMA3);
  assert_int_equal(sc_tok_vocab_size(t), 264);
  assert_int_equal(sc_tok_bos(t), BL_BOT); /* from the post-processor */
  assert_int_equal(sc_tok_eos(t), BL_EOT); /* from tokenizer_config.json */
  assert_true(sc_tok_add_bos(t));

  /* "the": t,h,e; only "h e" applies ("t he" is no merge) */
  EXPECT(t, "the", false, 't', BL_HE);
  /* " the": Ġ t (rank 0), h e (rank 1), then Ġt he (rank 2) */
  EXPECT(t, " the", false, BL_GTHE);
  /* ignore_merges: "xyz" is a token although no merge makes it */
  EXPECT(t, "xyz", false, BL_XYZ);
  /* digits in threes: "123" is one word and "1 2" merges; "1234" is 123|4 */
  EXPECT(t, "1234", false, BL_12, '3', '4');
  /* added tokens, special or not, are cut out first; bos when asked */
  EXPECT(t, "<|eot_id|> the<tool>x", true, BL_BOT, BL_EOT, BL_GTHE, BL_TOOL, 'x');
  EXPECT(t, "<|begin_of_text|><|begin_of_text|", false, BL_BOT, '<', '|', 'b', 'e', 'g', 'i', 'n',
         '_', 'o', 'f', '_', 't', 'e', 'x', 't', '|');
  /* decoding: special tokens give nothing, the others their text */
  static const int32_t ids[] = {BL_BOT, BL_EOT, BL_GTHE, BL_TOOL, 0xC3, 0xA9};
  sc_strbuf back = {0};
  decode_all(t, ids, SC_ARRAY_LEN(ids), &back);
  assert_string_equal(sc_strbuf_str(&back), " the<tool>\xc3\xa9");
  sc_strbuf_free(&back);
  sc_tok_free(t);

  /* The file itself works too, and finds the config beside it. */
  assert_int_equal(sc_tok_from_hf(tok_path, &t, err, sizeof err), SC_STATUS_OK);
  assert_int_equal(sc_tok_eos(t), BL_EOT);
  sc_tok_free(t);
  /* add_bos_token false in the config wins over the post-processor. */
  free(write_in(dir, "tokenizer_config.json", "{\"add_bos_token\": false, \"bos_token\": null}"));
  assert_int_equal(sc_tok_from_hf(dir, &t, err, sizeof err), SC_STATUS_OK);
  assert_false(sc_tok_add_bos(t));
  assert_int_equal(sc_tok_bos(t), BL_BOT);
  assert_int_equal(sc_tok_eos(t), -1); /* no config eos and no well-known name */
  sc_tok_free(t);
  /* A bad config is an error naming it. */
  free(write_in(dir, "tokenizer_config.json", "{\"eos_token\": \"<|end|>\"}"));
  assert_int_equal(sc_tok_from_hf(dir, &t, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(strstr(err, "tokenizer_config.json: eos_token '<|end|>' is not a token of "));
  free(write_in(dir, "tokenizer_config.json", "{\"add_bos_token\": 1}"));
  assert_int_equal(sc_tok_from_hf(dir, &t, err, sizeof err), SC_STATUS_INVALID);
  assert_non_null(
      strstr(err, "tokenizer_config.json: add_bos_token must be a boolean, got a number"));
  free(write_in(dir, "tokenizer_config.json", "{\"a\": }"));
  assert_int_equal(sc_tok_from_hf(dir, &t, err, sizeof err), SC_STATUS_PARSE);
  assert_non_null(strstr(err, "tokenizer_config.json:1:7: JSON syntax error"));

  unlink(tok_path);
  unlink(cfg_path);
  /* A directory without tokenizer.json, and a path that does not exist. */
  assert_int_equal(sc_tok_from_hf(dir, &t, err, sizeof err), SC_STATUS_NOT_FOUND);
  assert_non_null(strstr(err, ": holds no tokenizer.json"));
  assert_null(t);
  assert_int_equal(sc_tok_from_hf(tok_path, &t, err, sizeof err), SC_STATUS_IO);
  assert_int_equal(rmdir(dir), 0);
  free(tok_path);
  free(cfg_path);
  free(dir);
  free(json);
}

/* GPT-2's set-up (ByteLevel with its own regex) and Qwen2's (NFC, single
 * digits), on the same vocabulary. */
static void test_byte_level_gpt2_qwen2(void **state) {
  (void)state;
  char *json = byte_level_json("{\"type\": \"ByteLevel\", \"add_prefix_space\": false, "
                               "\"trim_offsets\": true, \"use_regex\": true}",
                               NULL, NULL, false);
  sc_tokenizer *t = parse_ok(json, NULL);
  assert_int_equal(sc_tok_pre_of(t), SC_TOK_PRE_GPT2);
  EXPECT(t, "xyz", false, 'x', 'y', 'z'); /* no ignore_merges */
  EXPECT(t, "1234", false, BL_12, '3', '4');
  EXPECT(t, "DON'T", false, 'D', 'O', 'N', '\'', 'T');
  sc_tok_free(t);
  free(json);

  json = byte_level_json(NULL, QWEN2_REGEX, "{\"type\": \"NFC\"}", false);
  t = parse_ok(json, NULL);
  assert_int_equal(sc_tok_pre_of(t), SC_TOK_PRE_QWEN2);
  /* single digits: "1 2" never applies */
  EXPECT(t, "1234", false, '1', '2', '3', '4');
  /* NFC: e + U+0301 becomes U+00E9 (bytes C3 A9) */
  EXPECT(t, "e\xcc\x81", false, 0xC3, 0xA9);
  /* invalid UTF-8 is left as it is */
  EXPECT(t, "e\xcc", false, 'e', 0xCC);
  /* the same without NFC */
  sc_tok_free(t);
  free(json);
  json = byte_level_json(NULL, QWEN2_REGEX, NULL, false);
  t = parse_ok(json, NULL);
  EXPECT(t, "e\xcc\x81", false, 'e', 0xCC, 0x81);
  sc_tok_free(t);
  free(json);
}

/* Random text, valid UTF-8 or not, decodes back byte for byte with every
 * byte-level pre-tokenizer. */
static void test_round_trips(void **state) {
  (void)state;
  static const char *const parts[] = {"a",
                                      "Z",
                                      " ",
                                      "  ",
                                      "\n",
                                      "\t",
                                      "'s",
                                      "'LL",
                                      "7",
                                      "42",
                                      "12345",
                                      "!",
                                      "...",
                                      "the",
                                      " the",
                                      "xyz",
                                      "<tool>",
                                      "\xc3\xa9",
                                      "\xe2\x82\xac",
                                      "\xf0\x9f\x98\x80",
                                      "\xff",
                                      "\xc3",
                                      "\x80",
                                      "\xe4\xb8\xad",
                                      "\r\n",
                                      "\xc2\xa0",
                                      "\xc5\xbf",
                                      "e\xcc\x81"};
  const char *pres[3] = {"{\"type\": \"ByteLevel\", \"add_prefix_space\": false}", NULL, NULL};
  const char *regexes[3] = {NULL, LLAMA3_REGEX, QWEN2_REGEX};
  for (int k = 0; k < 3; k++) {
    char *json = byte_level_json(pres[k], regexes[k], NULL, k == 1);
    sc_tokenizer *t = parse_ok(json, NULL);
    uint64_t seed = 0x9E3779B97F4A7C15ull + (uint64_t)k;
    int32_t ids[1024];
    for (int iter = 0; iter < 400; iter++) {
      sc_strbuf text = {0};
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      int m = (int)(seed >> 59);
      for (int j = 0; j < m * 3; j++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        const char *p = parts[(seed >> 33) % SC_ARRAY_LEN(parts)];
        sc_strbuf_append(&text, p, strlen(p));
      }
      size_t n;
      assert_int_equal(sc_tok_encode(t, sc_strbuf_str(&text), text.len, false, ids, 1024, &n),
                       SC_STATUS_OK);
      assert_true(n <= 1024);
      sc_strbuf back = {0};
      decode_all(t, ids, n, &back);
      if (back.len != text.len || memcmp(sc_strbuf_str(&back), sc_strbuf_str(&text), text.len)) {
        fprintf(stderr, "pre %d: round trip of \"%s\" gives \"%s\"\n", k, sc_strbuf_str(&text),
                sc_strbuf_str(&back));
        fail();
      }
      sc_strbuf_free(&back);
      sc_strbuf_free(&text);
    }
    sc_tok_free(t);
    free(json);
  }
}

/* ---- SentencePiece-style ---- */

/* The ids of the SentencePiece-style test vocabulary (after <unk> <s> </s>
 * and the 256 byte pieces <0x00>..<0xFF> at 3..258, as in Llama-2). */
enum {
  SP_SPACE = 259, /* "▁" */
  SP_H,           /* "h" */
  SP_E,           /* "e" */
  SP_L,           /* "l" */
  SP_O,           /* "o" */
  SP_LL,          /* "ll"      merges[0] "l l" */
  SP_SH,          /* "▁h"      merges[1] "▁ h" */
  SP_HE,          /* "he"      merges[2] "h e" */
  SP_SHE,         /* "▁he"     merges[3] "▁h e", merges[4] "▁ he" */
  SP_LLO,         /* "llo"     merges[5] "ll o" */
  SP_SHELLO,      /* "▁hello"  merges[6] "▁he llo" */
  SP_EL,          /* "el"      merges[7] "e l" */
  SP_N            /* vocabulary size */
};
#define SP "\xe2\x96\x81" /* U+2581 */

/* merges: the JSON array; pipeline: the "normalizer" and "pre_tokenizer" members. */
static char *spm_json(const char *merges, const char *pipeline) {
  sc_strbuf sb = {0};
  sc_strbuf_printf(
      &sb,
      "{\"version\": \"1.0\", \"added_tokens\": [{\"id\": 0, \"content\": \"<unk>\", "
      "\"special\": true}, {\"id\": 1, \"content\": \"<s>\", \"special\": true}, {\"id\": 2, "
      "\"content\": \"</s>\", \"special\": true}],\n%s,\n"
      "\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": "
      "{\"id\": \"<s>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}], "
      "\"special_tokens\": {\"<s>\": {\"id\": \"<s>\", \"ids\": [1], \"tokens\": "
      "[\"<s>\"]}}},\n"
      "\"decoder\": null,\n\"model\": {\"type\": \"BPE\", \"dropout\": null, \"unk_token\": "
      "\"<unk>\", \"fuse_unk\": true, \"byte_fallback\": true, \"vocab\": {\"<unk>\": 0, "
      "\"<s>\": 1, \"</s>\": 2, ",
      pipeline);
  for (int b = 0; b < 256; b++) sc_strbuf_printf(&sb, "\"<0x%02X>\": %d, ", b, 3 + b);
  sc_strbuf_printf(&sb,
                   "\"" SP "\": 259, \"h\": 260, \"e\": 261, \"l\": 262, \"o\": 263, "
                   "\"ll\": 264, \"" SP "h\": 265, \"he\": 266, \"" SP "he\": 267, \"llo\": "
                   "268, \"" SP "hello\": 269, \"el\": 270},\n\"merges\": %s}}\n",
                   merges);
  assert_false(sb.oom);
  return sb.data;
}

static const char *const SPM_MERGES = "[\"l l\", \"" SP " h\", \"h e\", \"" SP "h e\", \"" SP
                                      " he\", \"ll o\", \"" SP "he llo\", \"e l\"]";
static const char *const LEGACY =
    "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Prepend\", "
    "\"prepend\": \"" SP "\"}, {\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, "
    "\"content\": \"" SP "\"}]}, \"pre_tokenizer\": null";
static const char *const METASPACE_FIRST =
    "\"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"" SP
    "\", \"prepend_scheme\": \"first\", \"split\": false}";

/* Llama-2's legacy set-up. Hugging Face merges by rank: for "▁hello" the
 * pairs are (▁,h) 1, (h,e) 2, (e,l) 7, (l,l) 0; l+l first, then ▁+h, then
 * ▁h+e (3), then ll+o (5), then ▁he+llo (6): one token. The scores -rank
 * make SPM take the same steps. */
static void test_spm_legacy(void **state) {
  (void)state;
  char *json = spm_json(SPM_MERGES, LEGACY);
  sc_tokenizer *t = parse_ok(json, NULL);
  assert_int_equal(sc_tok_kind_of(t), SC_TOK_SPM);
  assert_int_equal(sc_tok_vocab_size(t), SP_N);
  assert_int_equal(sc_tok_bos(t), 1);
  assert_int_equal(sc_tok_eos(t), 2); /* "</s>", by name */
  assert_true(sc_tok_add_bos(t));
  EXPECT(t, "hello", true, 1, SP_SHELLO);
  /* "▁hell": l+l, ▁+h, ▁h+e; (▁he, ll) is no merge */
  EXPECT(t, "hello hell", false, SP_SHELLO, SP_SHE, SP_LL);
  /* a leading space stays: Prepend always adds one, "▁▁hello" */
  EXPECT(t, " hello", false, SP_SPACE, SP_SHELLO);
  /* byte fallback: é is no piece, so its bytes C3 A9 */
  EXPECT(t, "h\xc3\xa9", false, SP_SH, 3 + 0xC3, 3 + 0xA9);
  /* special tokens are cut out; the normalizer (and its ▁) applies to each
   * segment between them, as in Hugging Face */
  EXPECT(t, "<s>hello</s>hello", false, 1, SP_SHELLO, 2, SP_SHELLO);
  /* "<unk>" typed in the text is cut out as well */
  EXPECT(t, "<unk>", false, 0);
  /* decoding drops the prefix space after bos, turns byte pieces into bytes */
  static const int32_t ids[] = {1, SP_SHELLO, SP_SHE, 3 + 0xC3, 3 + 0xA9, 2};
  sc_strbuf back = {0};
  decode_all(t, ids, SC_ARRAY_LEN(ids), &back);
  assert_string_equal(sc_strbuf_str(&back), "hello he\xc3\xa9");
  sc_strbuf_free(&back);
  sc_tok_free(t);
  free(json);
}

/* The Metaspace set-up with prepend_scheme "first": ▁ only before the text's
 * start, and not when it starts with a space. */
static void test_spm_metaspace(void **state) {
  (void)state;
  char *json = spm_json(SPM_MERGES, METASPACE_FIRST);
  sc_tokenizer *t = parse_ok(json, NULL);
  EXPECT(t, "hello", false, SP_SHELLO);
  EXPECT(t, " hello", false, SP_SHELLO);
  /* "hello" after <s> gets no ▁: h e l l o gives he + llo */
  EXPECT(t, "<s>hello", false, 1, SP_HE, SP_LLO);
  sc_tok_free(t);
  free(json);
  /* "always": every segment that does not start with a space */
  sc_strbuf always = {0};
  const char *p = strstr(METASPACE_FIRST, "\"first\"");
  sc_strbuf_append(&always, METASPACE_FIRST, (size_t)(p - METASPACE_FIRST));
  sc_strbuf_printf(&always, "\"always\"%s", p + strlen("\"first\""));
  json = spm_json(SPM_MERGES, sc_strbuf_str(&always));
  t = parse_ok(json, NULL);
  EXPECT(t, "<s>hello", false, 1, SP_SHELLO);
  EXPECT(t, "<s> hello", false, 1, SP_SHELLO);
  sc_tok_free(t);
  free(json);
  sc_strbuf_free(&always);
}

/* SPM with scores reproduces merge ranks only for merges written the way
 * Hugging Face's converter writes them; the others are refused. */
static void test_spm_merge_checks(void **state) {
  (void)state;
  struct {
    const char *merges, *msg;
  } cases[] = {
      /* without "▁ he", SPM would still join ▁ + he (its score is that of
       * ▁he) where Hugging Face does not */
      {"[\"l l\", \"" SP " h\", \"h e\", \"" SP "h e\", \"ll o\", \"" SP "he llo\", \"e l\"]",
       "t.json: model.merges: '" SP "he' can be made from '" SP "' + 'he', which no merge lists "
       "(SentencePiece-style BPE needs every split, as Hugging Face's converter writes them)"},
      /* the merges making ▁he must be together */
      {"[\"l l\", \"" SP " h\", \"h e\", \"" SP "h e\", \"ll o\", \"" SP " he\", \"" SP
       "he llo\", \"e l\"]",
       "t.json: model.merges[5] makes '" SP "he' again after other merges (first in merges[3]); "
       "SentencePiece-style BPE needs a token's merges together"},
  };
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    char *json = spm_json(cases[i].merges, LEGACY);
    sc_tokenizer *t;
    char err[512] = "";
    assert_int_equal(tok_hf_parse(json, strlen(json), "t.json", NULL, 0, NULL, &t, err, sizeof err),
                     SC_STATUS_UNSUPPORTED);
    assert_string_equal(err, cases[i].msg);
    assert_null(t);
    free(json);
  }
}

/* ---- against Hugging Face's tokenizers ---- */

/* tests/data/hf: six tokenizer.json files (byte-level GPT-2, Llama-3 and
 * Qwen2 set-ups with 200 learned merges and added tokens; SentencePiece-style
 * with converter-style merges, in the legacy, Metaspace "first" and
 * "always" set-ups) and the ids Hugging Face's tokenizers 0.23.2 gives for
 * 101 strings (words, spaces, newlines, digits, contractions, accents,
 * combining marks, CJK, emoji, U+2581, added tokens typed in the text). */
static void test_against_hugging_face(void **state) {
  (void)state;
  sc_strbuf path = {0};
  sc_strbuf_printf(&path, "%s/tests/data/hf/encodings.txt", source_dir());
  uint8_t *data;
  size_t len;
  char err[512];
  assert_int_equal(sc_read_file(sc_strbuf_str(&path), 1 << 20, &data, &len, err, sizeof err),
                   SC_STATUS_OK);
  enum { MAX_TEXTS = 128 };
  char *texts[MAX_TEXTS] = {0};
  size_t text_lens[MAX_TEXTS], n_texts = 0;
  char current[32] = "";
  sc_tokenizer *t = NULL;
  int checked = 0, bad = 0;
  for (char *line = (char *)data; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    char name[32];
    unsigned i;
    int off = 0;
    if (line[0] == '#') {
      /* a comment */
    } else if (sscanf(line, "text %u %n", &i, &off) == 1 && off > 0) {
      assert_int_equal(i, n_texts);
      assert_true(n_texts < MAX_TEXTS);
      size_t n = strlen(line + off) / 2;
      texts[n_texts] = malloc(n + 1);
      for (size_t k = 0; k < n; k++) {
        unsigned v;
        assert_int_equal(sscanf(line + off + 2 * k, "%2x", &v), 1);
        texts[n_texts][k] = (char)v;
      }
      text_lens[n_texts++] = n;
    } else {
      assert_int_equal(sscanf(line, "%31s %u: %n", name, &i, &off), 2);
      assert_true(i < n_texts);
      if (strcmp(name, current) != 0) {
        sc_tok_free(t);
        path.len = 0;
        sc_strbuf_printf(&path, "%s/tests/data/hf/%s.json", source_dir(), name);
        sc_status st = sc_tok_from_hf(sc_strbuf_str(&path), &t, err, sizeof err);
        if (st) fprintf(stderr, "%s\n", err);
        assert_int_equal(st, SC_STATUS_OK);
        snprintf(current, sizeof current, "%s", name);
      }
      int32_t ids[1024];
      size_t n;
      /* text 0 is encoded with the post-processor's special tokens */
      assert_int_equal(sc_tok_encode(t, texts[i], text_lens[i], i == 0, ids, 1024, &n),
                       SC_STATUS_OK);
      assert_true(n <= 1024);
      sc_strbuf got = {0};
      for (size_t k = 0; k < n; k++) sc_strbuf_printf(&got, "%s%d", k ? " " : "", ids[k]);
      if (strcmp(sc_strbuf_str(&got), line + off) != 0) {
        fprintf(stderr, "%s, text %u \"%.*s\":\n  got  %s\n  want %s\n", name, i, (int)text_lens[i],
                texts[i], sc_strbuf_str(&got), line + off);
        bad++;
      }
      sc_strbuf_free(&got);
      checked++;
    }
    line = nl ? nl + 1 : NULL;
  }
  printf("the same ids as Hugging Face's tokenizers: %d of %d encodings\n", checked - bad, checked);
  assert_int_equal(bad, 0);
  assert_int_equal(checked, 6 * 101);
  sc_tok_free(t);
  for (size_t k = 0; k < n_texts; k++) free(texts[k]);
  sc_strbuf_free(&path);
  free(data);
}

/* ---- refusals ---- */

static void test_errors(void **state) {
  (void)state;
  /* A minimal valid byte-level file, then variations of it. */
#define PRE "\"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false}"
#define OK_MODEL "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, "
  struct {
    const char *json;
    sc_status want;
    const char *msg;
  } cases[] = {
      {"{" PRE ", " OK_MODEL "\"merges\": [\"a b\"]}}", SC_STATUS_OK, ""},
      {"{" PRE ", " OK_MODEL "\"merges\": [[\"a\", \"b\"]]}}", SC_STATUS_OK, ""},
      /* other models */
      {"{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}}", SC_STATUS_UNSUPPORTED,
       "t.json: model.type 'WordPiece' is not supported (only BPE)"},
      {"{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]]}}", SC_STATUS_UNSUPPORTED,
       "t.json: model.type 'Unigram' is not supported (only BPE)"},
      /* malformed JSON, with line and column (cJSON's: at, or one past, the
       * character it could not take; here one past the second comma) */
      {"{\n  \"model\": {\n    \"type\": \"BPE\",,\n  }\n}", SC_STATUS_PARSE,
       "t.json:3:20: JSON syntax error"},
      {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"\x01\": 0}}}", SC_STATUS_PARSE,
       "t.json:1:38: control character (byte 0x01)"},
      {"{\"model\": ", SC_STATUS_PARSE, "t.json:1:11: JSON syntax error (unexpected end of input)"},
      {"[1, 2]", SC_STATUS_INVALID, "t.json: must be a JSON object, got an array"},
      /* missing and mistyped fields */
      {"{" PRE "}", SC_STATUS_INVALID, "t.json: model must be an object, got nothing"},
      {"{" PRE ", \"model\": {\"type\": \"BPE\", \"merges\": []}}", SC_STATUS_INVALID,
       "t.json: model.vocab must be an object of token -> id, got nothing"},
      {"{" PRE ", \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}", SC_STATUS_INVALID,
       "t.json: model.merges must be an array, got nothing"},
      {"{" PRE ", \"model\": {\"vocab\": {\"a\": 0}}}", SC_STATUS_INVALID,
       "t.json: model has no \"type\" (and no merges, so it is no BPE)"},
      {"{" PRE ", \"model\": {\"type\": 3, \"vocab\": {}, \"merges\": []}}", SC_STATUS_INVALID,
       "t.json: model.type must be a string, got a number"},
      {"{" PRE ", \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}",
       SC_STATUS_INVALID, "t.json: model.vocab is empty"},
      {"{" PRE ", \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"0\"}, \"merges\": []}}",
       SC_STATUS_INVALID, "t.json: model.vocab: the id of 'a' must be a number, got a string"},
      {"{" PRE ", \"added_tokens\": {}, " OK_MODEL "\"merges\": []}}", SC_STATUS_INVALID,
       "t.json: added_tokens must be an array, got an object"},
      {"{" PRE ", \"added_tokens\": [{\"id\": 3}], " OK_MODEL "\"merges\": []}}", SC_STATUS_INVALID,
       "t.json: added_tokens[0].content must be a string, got nothing"},
      {"{" PRE ", " OK_MODEL "\"merges\": [], \"ignore_merges\": \"yes\"}}", SC_STATUS_INVALID,
       "t.json: model.ignore_merges must be a boolean, got a string"},
      /* duplicate tokens and ids, gaps */
      {"{" PRE ", \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"a\": 1}, \"merges\": []}}",
       SC_STATUS_INVALID, "t.json: model.vocab: token 'a' appears twice"},
      {"{" PRE ", \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0}, \"merges\": []}}",
       SC_STATUS_INVALID, "t.json: model.vocab: 'a' and 'b' both have id 0"},
      {"{" PRE ", \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 2}, \"merges\": []}}",
       SC_STATUS_INVALID,
       "t.json: model.vocab: 'b' has id 2, not an integer from 0 to 1 (ids must run from 0 "
       "without gaps)"},
      {"{" PRE ", \"added_tokens\": [{\"id\": 4, \"content\": \"<s>\"}], " OK_MODEL
       "\"merges\": []}}",
       SC_STATUS_INVALID,
       "t.json: added_tokens[0].id must be an integer from 0 to 3 (ids must run from 0 without "
       "gaps)"},
      {"{" PRE ", \"added_tokens\": [{\"id\": 2, \"content\": \"ab\"}, {\"id\": 4, \"content\": "
       "\"<s>\"}], " OK_MODEL "\"merges\": []}}",
       SC_STATUS_INVALID,
       "t.json: id 3 is neither in model.vocab nor in added_tokens (ids must run from 0 without "
       "gaps)"},
      {"{" PRE ", \"added_tokens\": [{\"id\": 1, \"content\": \"<s>\"}], " OK_MODEL
       "\"merges\": []}}",
       SC_STATUS_INVALID, "t.json: added_tokens[0]: id 1 is 'b' in model.vocab, not '<s>'"},
      {"{" PRE ", \"added_tokens\": [{\"id\": 3, \"content\": \"ab\"}], " OK_MODEL
       "\"merges\": []}}",
       SC_STATUS_INVALID, "t.json: added_tokens[0] 'ab' has id 3, but it already has id 2"},
      {"{" PRE ", \"added_tokens\": [{\"id\": 3, \"content\": \"<s>\"}, {\"id\": 3, \"content\": "
       "\"<s>\"}], " OK_MODEL "\"merges\": []}}",
       SC_STATUS_INVALID, "t.json: added_tokens[1]: id 3 is already an added token ('<s>')"},
      {"{" PRE
       ", \"added_tokens\": [{\"id\": 3, \"content\": \"<s>\", \"lstrip\": true}], " OK_MODEL
       "\"merges\": []}}",
       SC_STATUS_UNSUPPORTED, "t.json: added_tokens[0] '<s>': lstrip true is not supported"},
      /* merges naming unknown tokens, malformed or repeated merges */
      {"{" PRE ", " OK_MODEL "\"merges\": [\"a q\"]}}", SC_STATUS_INVALID,
       "t.json: model.merges[0]: 'q' is not in model.vocab"},
      {"{" PRE ", " OK_MODEL "\"merges\": [\"b a\"]}}", SC_STATUS_INVALID,
       "t.json: model.merges[0] 'b' + 'a': the merged token 'ba' is not in model.vocab"},
      {"{" PRE ", " OK_MODEL "\"merges\": [\"ab\"]}}", SC_STATUS_INVALID,
       "t.json: model.merges[0] 'ab' is not two tokens separated by one space"},
      {"{" PRE ", " OK_MODEL "\"merges\": [\"a b c\"]}}", SC_STATUS_INVALID,
       "t.json: model.merges[0] 'a b c' is not two tokens separated by one space"},
      {"{" PRE ", " OK_MODEL "\"merges\": [[\"a\"]]}}", SC_STATUS_INVALID,
       "t.json: model.merges[0] must be a string \"a b\" or an array [\"a\", \"b\"], got an array"},
      {"{" PRE ", " OK_MODEL "\"merges\": [\"a b\", [\"a\", \"b\"]]}}", SC_STATUS_INVALID,
       "t.json: model.merges[1] 'a' + 'b' repeats model.merges[0]"},
      /* pipelines we do not run */
      {"{\"pre_tokenizer\": {\"type\": \"Whitespace\"}, " OK_MODEL "\"merges\": []}}",
       SC_STATUS_UNSUPPORTED,
       "t.json: pre_tokenizer 'Whitespace' is not supported (ByteLevel, [Split, ByteLevel], "
       "Metaspace, or none with a SentencePiece normalizer)"},
      {"{\"normalizer\": {\"type\": \"Lowercase\"}, " PRE ", " OK_MODEL "\"merges\": []}}",
       SC_STATUS_UNSUPPORTED,
       "t.json: normalizer 'Lowercase' is not supported (none, NFC, or Prepend(\"" SP
       "\") with Replace(\" \" -> \"" SP "\"))"},
      {"{\"normalizer\": {\"type\": \"NFC\"}, \"pre_tokenizer\": null, " OK_MODEL
       "\"merges\": []}}",
       SC_STATUS_UNSUPPORTED,
       "t.json: neither a pre-tokenizer nor a SentencePiece normalizer (Prepend(\"" SP
       "\") with Replace(\" \" -> \"" SP "\")): not a supported BPE set-up"},
      {"{\"pre_tokenizer\": {\"type\": \"ByteLevel\"}, " OK_MODEL "\"merges\": []}}",
       SC_STATUS_UNSUPPORTED,
       "t.json: pre_tokenizer: ByteLevel with add_prefix_space true (or absent) is not supported"},
      {"{\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", "
       "\"pattern\": {\"Regex\": \"\\\\p{N}+\"}, \"behavior\": \"Isolated\"}, {\"type\": "
       "\"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]}, " OK_MODEL
       "\"merges\": []}}",
       SC_STATUS_UNSUPPORTED,
       "t.json: pre_tokenizer.pretokenizers[0].pattern.Regex '\\p{N}+' is not supported (only "
       "GPT-2's, Llama-3's and Qwen2's)"},
      {"{\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", "
       "\"pattern\": {\"Regex\": \"x\"}, \"behavior\": \"Removed\"}, {\"type\": \"ByteLevel\", "
       "\"add_prefix_space\": false, \"use_regex\": false}]}, " OK_MODEL "\"merges\": []}}",
       SC_STATUS_UNSUPPORTED,
       "t.json: pre_tokenizer.pretokenizers[0]: a Split other than behavior \"Isolated\" without "
       "invert is not supported"},
      {"{\"pre_tokenizer\": {\"type\": \"Metaspace\", \"replacement\": \"" SP
       "\", \"prepend_scheme\": \"first\"}, " OK_MODEL "\"merges\": []}}",
       SC_STATUS_UNSUPPORTED,
       "t.json: pre_tokenizer: Metaspace that splits at spaces (\"split\" true or absent) is not "
       "supported"},
      {"{" PRE ", " OK_MODEL "\"merges\": [], \"dropout\": 0.1}}", SC_STATUS_UNSUPPORTED,
       "t.json: model.dropout other than null is not supported"},
      {"{" PRE ", " OK_MODEL "\"merges\": [], \"continuing_subword_prefix\": \"##\"}}",
       SC_STATUS_UNSUPPORTED,
       "t.json: model.continuing_subword_prefix other than null or \"\" is not supported"},
      {"{" PRE ", " OK_MODEL "\"merges\": [], \"unk_token\": \"<unk>\"}}", SC_STATUS_INVALID,
       "t.json: model: unk_token '<unk>' is not a token"},
      {"{" PRE ", \"post_processor\": {\"type\": \"BertProcessing\"}, " OK_MODEL "\"merges\": []}}",
       SC_STATUS_UNSUPPORTED,
       "t.json: post_processor 'BertProcessing' is not supported (ByteLevel, TemplateProcessing, "
       "or a Sequence of them)"},
      {"{" PRE ", \"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": "
       "[{\"SpecialToken\": {\"id\": \"<s>\"}}, {\"Sequence\": {\"id\": \"A\"}}]}, " OK_MODEL
       "\"merges\": []}}",
       SC_STATUS_INVALID, "t.json: post_processor: special token '<s>' is not a token"},
      /* too long a token */
      {"{" PRE ", \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, "
       "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
       "\": 1}, \"merges\": []}}",
       SC_STATUS_INVALID, "t.json: model.vocab: token 1 is 257 bytes (1 to 256)"},
  };
#undef PRE
#undef OK_MODEL
  int bad = 0;
  for (size_t i = 0; i < SC_ARRAY_LEN(cases); i++) {
    sc_tokenizer *t = (sc_tokenizer *)&bad; /* must be reset */
    char err[512] = "";
    sc_status st = tok_hf_parse(cases[i].json, strlen(cases[i].json), "t.json", NULL, 0, NULL, &t,
                                err, sizeof err);
    if (st != cases[i].want || (st && strcmp(err, cases[i].msg) != 0)) {
      fprintf(stderr, "case %zu: got %s \"%s\"\n         want %s \"%s\"\n", i, sc_status_name(st),
              err, sc_status_name(cases[i].want), cases[i].msg);
      bad++;
    }
    if (st) {
      assert_null(t);
    } else {
      int32_t ids[4];
      size_t n;
      assert_int_equal(sc_tok_encode(t, "ab", 2, false, ids, 4, &n), SC_STATUS_OK);
      assert_int_equal(n, 1);
      assert_int_equal(ids[0], 2);
    }
    sc_tok_free(st ? NULL : t);
  }
  assert_int_equal(bad, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_llama3_splits_by_hand),
      cmocka_unit_test(test_qwen2_gpt2_splits_by_hand),
      cmocka_unit_test(test_splits_against_regex),
      cmocka_unit_test(test_byte_level_llama3),
      cmocka_unit_test(test_byte_level_gpt2_qwen2),
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_spm_legacy),
      cmocka_unit_test(test_spm_metaspace),
      cmocka_unit_test(test_spm_merge_checks),
      cmocka_unit_test(test_against_hugging_face),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
