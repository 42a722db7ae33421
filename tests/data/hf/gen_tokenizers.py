#!/usr/bin/env python3
"""Writes small Hugging Face tokenizer.json files for test_tokenizer_hf.c, and
the test strings, into the directory given (tests/data/hf):

  gpt2.json        byte-level BPE, ByteLevel pre-tokenizer (GPT-2's regex), "a b" merges
  llama3.json      byte-level BPE, Split by Llama-3's regex + ByteLevel, [a, b] merges,
                   ignore_merges
  qwen2.json       byte-level BPE, Split by Qwen2's regex + ByteLevel, NFC normalizer
  spm_legacy.json  SentencePiece-style BPE (byte_fallback), Prepend + Replace normalizer
  spm_first.json   the same with a Metaspace pre-tokenizer, prepend_scheme "first"
  spm_always.json  the same with prepend_scheme "always"
  strings.json     the test strings (encode_with_hf.js turns them into encodings.txt)

Merges are learned here by plain BPE (most frequent pair first) from the
stories in tests/data; the byte-level files get three added tokens (two
special), the SentencePiece-style ones <unk> <s> </s> and <0x00>..<0xFF>, and
merges written the way Hugging Face's converter writes SentencePiece models
(every split of every piece into two pieces, in piece order).

Needs Python's regex module. Usage: gen_tokenizers.py tests/data/hf
"""
import collections
import json
import os
import random
import sys

import regex

HERE = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1]
corpus = (open(os.path.join(HERE, '..', 'stories260K_greedy.txt')).read() +
          open(os.path.join(HERE, '..', 'stories260K_t1_p0.9_s133742.txt')).read())
PATS = {
 "gpt2": r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
 "llama3": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
 "qwen2": r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
}
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~")+1))+list(range(ord("¡"), ord("¬")+1))+list(range(ord("®"), ord("ÿ")+1))
    cs = bs[:]; n = 0
    for b in range(256):
        if b not in bs: bs.append(b); cs.append(256+n); n += 1
    return dict(zip(bs, map(chr, cs)))
B2U = bytes_to_unicode()
def train(words, n_merges, init_vocab):
    # words: Counter of tuple-of-symbols
    vocab = dict(init_vocab); merges = []
    words = {tuple(w): c for w, c in words.items()}
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]): pairs[(a, b)] += c
        if not pairs: break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best); new = best[0] + best[1]
        if new not in vocab: vocab[new] = len(vocab)
        nw = {}
        for w, c in words.items():
            i = 0; o = []
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i+1]) == best: o.append(new); i += 2
                else: o.append(w[i]); i += 1
            nw[tuple(o)] = nw.get(tuple(o), 0) + c
        words = nw
    return vocab, merges
def byte_level(name, nfc):
    words = collections.Counter()
    for m in regex.findall(PATS[name], corpus):
        words[tuple(B2U[b] for b in m.encode())] += 1
    init = {B2U[b]: i for i, b in enumerate(range(256))}
    vocab, merges = train(words, 200, init)
    n = len(vocab)
    added = [("<|begin_of_text|>", True), ("<|eot_id|>", True), ("<tool>", False)]
    added_json = [{"id": n + i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": s} for i, (c, s) in enumerate(added)]
    if name == "gpt2":
        pre = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    else:
        pre = {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": PATS[name]}, "behavior": "Isolated", "invert": False}, {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
    tj = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added_json,
          "normalizer": {"type": "NFC"} if nfc else None, "pre_tokenizer": pre,
          "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
          "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
          "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": name == "llama3",
                    "vocab": vocab, "merges": [[a, b] if name != "gpt2" else a + " " + b for a, b in merges]}}
    return tj
def spm(legacy):
    text = corpus.replace(" ", "▁")
    words = collections.Counter()
    for w in regex.findall(r"▁?[^▁]+|▁", "▁" + text):
        words[tuple(w)] += 1
    chars = sorted({ch for w in words for ch in w if words})
    # drop rare chars so that byte fallback is exercised
    freq = collections.Counter(ch for w, c in words.items() for ch in w for _ in range(c))
    chars = [ch for ch in chars if freq[ch] >= 3]
    init = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256): init["<0x%02X>" % b] = len(init)
    for ch in chars: init[ch] = len(init)
    words = collections.Counter({tuple(w): c for w, c in words.items() if all(ch in init for ch in w)})
    vocab, merges = train(words, 200, init)
    # converter-style merges: every split of every piece into two pieces, by the piece's id
    conv = []
    for piece, pid in sorted(vocab.items(), key=lambda kv: kv[1]):
        local = []
        for i in range(1, len(piece)):
            l, r = piece[:i], piece[i:]
            if l in vocab and r in vocab: local.append((l, r))
        local.sort(key=lambda lr: (vocab[lr[0]], vocab[lr[1]]))
        conv.extend(local)
    added = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True} for i, c in enumerate(["<unk>", "<s>", "</s>"])]
    tj = {"version": "1.0", "added_tokens": added,
          "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
          "decoder": None,
          "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                    "vocab": vocab, "merges": [l + " " + r for l, r in conv]}}
    if legacy:
        tj["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
        tj["pre_tokenizer"] = None
    else:
        tj["normalizer"] = None
        tj["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": legacy is None and "always" or "first", "split": False}
    return tj
os.makedirs(out, exist_ok=True)
sets = {"gpt2": byte_level("gpt2", False), "llama3": byte_level("llama3", False), "qwen2": byte_level("qwen2", True),
        "spm_legacy": spm(True), "spm_first": spm(False), "spm_always": spm(None)}
for k, v in sets.items():
    json.dump(v, open(f"{out}/{k}.json", "w"), ensure_ascii=False, indent=0)
# test strings
rng = random.Random(7)
wordsl = regex.findall(r"\S+", corpus)
pool = [" ", " ", "  ", "   ", "\n", "\n\n", "\t", " \n", "'s", "'LL", "'Ve", "123", "4567", "2024", "!", "?!", "...", "(", ")", "\"", "é", "e\u0301", "中文", "日本語", "😀", "😶\u200d🌫\ufe0f", "▁", "\u00a0", "\u3000", "ſ", "Ω", "ß", "\r\n",
        "<|eot_id|>", "<|begin_of_text|>", "<tool>", "<s>", "</s>", "<unk>", "<0x41>", "\u017f", "ǅ", "Ⅷ", "²", "₂"]
strs = []
for i in range(100):
    n = rng.randint(1, 12)
    s = "".join(rng.choice(wordsl) + (" " if rng.random() < 0.6 else "") if rng.random() < 0.5 else rng.choice(pool) for _ in range(n))
    strs.append(s)
json.dump(strs, open(f"{out}/strings.json", "w"), ensure_ascii=False)
