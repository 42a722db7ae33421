#!/usr/bin/env python3
"""gen_safetensors_corpus.py: writes the seed corpus of fuzz_safetensors
(tiny, valid inputs; see fuzz_safetensors.c for the input layout).

  llama_f32.seed    a file for the fuzzer's fixed config (Llama, dim 8, 1 layer, untied)
  llama_bf16_tied.bin      config.json, NUL, a BF16 file without lm_head (tied)
  qwen2_f16_bias.bin       config.json, NUL, an F16 Qwen2 file with q/k/v biases and inv_freq
  mistral_mixed.bin        config.json, NUL, F32 norms and BF16 matrices, head_dim 4 of dim 8

Run from anywhere: python3 tests/fuzz/gen_safetensors_corpus.py"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = {"F32": 4, "F16": 2, "BF16": 2}


def values(n, dtype, seed):
    """n deterministic finite values of dtype, little-endian."""
    out = bytearray()
    for i in range(n):
        v = ((i * 37 + seed * 11) % 101 - 50) / 200.0
        if dtype == "F32":
            out += struct.pack("<f", v)
        elif dtype == "F16":
            out += struct.pack("<e", v)
        else:  # BF16: the top half of the F32 bits
            out += struct.pack("<f", v)[2:4]
    return bytes(out)


def safetensors(tensors):
    """tensors: [(name, dtype, shape)] -> file bytes (header padded to 8)."""
    header, data = {"__metadata__": {"format": "pt"}}, bytearray()
    for k, (name, dtype, shape) in enumerate(tensors):
        n = 1
        for d in shape:
            n *= d
        b = values(n, dtype, k)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-(8 + len(h)) % 8)
    return struct.pack("<Q", len(h)) + h + bytes(data)


def model(cfg, dtype, norm_dtype, lm_head, bias=False, inv_freq=False):
    dim, hidden, heads = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"]
    kvh, vocab = cfg.get("num_key_value_heads", heads), cfg["vocab_size"]
    hd = cfg.get("head_dim") or dim // heads
    t = [("model.embed_tokens.weight", dtype, [vocab, dim])]
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        t += [(p + "input_layernorm.weight", norm_dtype, [dim]),
              (p + "self_attn.q_proj.weight", dtype, [heads * hd, dim]),
              (p + "self_attn.k_proj.weight", dtype, [kvh * hd, dim]),
              (p + "self_attn.v_proj.weight", dtype, [kvh * hd, dim]),
              (p + "self_attn.o_proj.weight", dtype, [dim, heads * hd]),
              (p + "post_attention_layernorm.weight", norm_dtype, [dim]),
              (p + "mlp.gate_proj.weight", dtype, [hidden, dim]),
              (p + "mlp.up_proj.weight", dtype, [hidden, dim]),
              (p + "mlp.down_proj.weight", dtype, [dim, hidden])]
        if bias:
            t += [(p + "self_attn.q_proj.bias", norm_dtype, [heads * hd]),
                  (p + "self_attn.k_proj.bias", norm_dtype, [kvh * hd]),
                  (p + "self_attn.v_proj.bias", norm_dtype, [kvh * hd])]
        if inv_freq:
            t += [(p + "self_attn.rotary_emb.inv_freq", "F32", [hd // 2])]
    t += [("model.norm.weight", norm_dtype, [dim])]
    if lm_head:
        t += [("lm_head.weight", dtype, [vocab, dim])]
    return safetensors(t)


def main():
    d = os.path.join(HERE, "corpus", "fuzz_safetensors")
    os.makedirs(d, exist_ok=True)
    base = {"model_type": "llama", "hidden_size": 8, "intermediate_size": 16,
            "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
            "vocab_size": 16, "max_position_embeddings": 32, "tie_word_embeddings": False}
    with open(os.path.join(d, "llama_f32.seed"), "wb") as f:
        f.write(model(base, "F32", "F32", lm_head=True))
    cfgs = [
        ("llama_bf16_tied.bin", dict(base, tie_word_embeddings=True, rope_theta=500000.0,
                                     rms_norm_eps=1e-5, rope_scaling=None), "BF16", "BF16", False, {}),
        ("qwen2_f16_bias.bin", dict(base, model_type="qwen2", architectures=["Qwen2ForCausalLM"],
                                    use_sliding_window=False, sliding_window=4), "F16", "F16", True,
         {"bias": True, "inv_freq": True}),
        ("mistral_mixed.bin", dict(base, model_type="mistral", head_dim=4, sliding_window=16,
                                   hidden_act="silu", num_key_value_heads=2), "BF16", "F32", True, {}),
    ]
    for name, cfg, dtype, norm, lm_head, kw in cfgs:
        text = json.dumps(cfg, indent=1).encode()
        with open(os.path.join(d, name), "wb") as f:
            f.write(text + b"\0" + model(cfg, dtype, norm, lm_head, **kw))


if __name__ == "__main__":
    main()
