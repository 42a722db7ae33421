#!/usr/bin/env python3
"""gen_llm_corpus.py: writes the seed corpora of fuzz_llama2c and fuzz_tok_llama2c
(tiny, valid files; real models are far too large for a fuzzer to mutate).

  corpus/fuzz_llama2c/tiny_shared.bin   llama2.c checkpoint, dim 8, 1 layer, tied classifier
  corpus/fuzz_llama2c/tiny_cls.bin      the same with a separate classifier (vocab_size < 0)
  corpus/fuzz_tok_llama2c/*.bin         u16 vocab_size, then a llama2.c tokenizer file

Run from anywhere: python3 tests/fuzz/gen_llm_corpus.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def checkpoint(dim, hidden, layers, heads, kv_heads, vocab, seq):
    hs = dim // heads
    kv = kv_heads * hs
    v = abs(vocab)
    n = (v * dim + layers * (dim + dim * dim + 2 * kv * dim + dim * dim + dim + 3 * hidden * dim)
         + dim + seq * hs + (v * dim if vocab < 0 else 0))
    head = struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab, seq)
    return head + struct.pack("<%df" % n, *[((i * 37) % 101 - 50) / 200.0 for i in range(n)])


def tokenizer(pieces, max_len=None):
    out = [struct.pack("<i", max_len or max(len(p) for p, _ in pieces))]
    for p, score in pieces:
        out.append(struct.pack("<fi", score, len(p)) + p)
    return b"".join(out)


def main():
    d = os.path.join(HERE, "corpus", "fuzz_llama2c")
    with open(os.path.join(d, "tiny_shared.bin"), "wb") as f:
        f.write(checkpoint(8, 16, 1, 2, 1, 8, 2))
    with open(os.path.join(d, "tiny_cls.bin"), "wb") as f:
        f.write(checkpoint(8, 8, 1, 2, 2, -8, 2))

    d = os.path.join(HERE, "corpus", "fuzz_tok_llama2c")
    special = [(b"<unk>", 0.0), (b"\n<s>\n", 0.0), (b"\n</s>\n", 0.0)]
    byte_pieces = [(b"<0x%02X>" % i, 0.0) for i in range(256)]
    merges = [b" t", b"he", b" a", b"in", b" the", b"th", b"er", b" s", b"\xc3\xa4", b"  "]
    merges = [(m, -float(i)) for i, m in enumerate(merges)]
    chars = [(bytes([c]), -100.0 - i) for i, c in enumerate(b" abehinrst.,")]
    full = special + byte_pieces + merges + chars
    with open(os.path.join(d, "bytes_and_merges.bin"), "wb") as f:
        f.write(struct.pack("<H", len(full)) + tokenizer(full) + b"the cat sat in the hat")
    small = special + merges + chars
    with open(os.path.join(d, "no_bytes.bin"), "wb") as f:
        f.write(struct.pack("<H", len(small)) + tokenizer(small))


if __name__ == "__main__":
    main()
