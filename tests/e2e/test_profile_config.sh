#!/usr/bin/env bash
# test_profile_config.sh SEEDCHIP: `seedchip profile --config` times a
# full-size model from its published configuration alone: Llama-3.1-8B in FP8
# compiles without weights, loads without host memory behind its 8 GB of
# weights (timing-only mode) and runs one decode step; its device-memory
# traffic is at least the weights' bytes. Unknown names are refused with the list.
# A small model from a config.json runs on 2 chips (tensor parallel) and 4
# (a pipeline) with link traffic; bad --system specs are refused. --tokens
# times a prefill chunk: about its bytes of a decode step, its layers' FLOPs
# 16 times and the classifier's once (the last token's logits): 9.8x; with
# --attn-fp32 (its attention on FP32 operands) more cycles. --batch B times a
# decode step of B sequences.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$bin" profile --config llama-3.1-8b --dtype fp8 --pos 100 >"$tmp/out" 2>&1 ||
  fail "profile --config: $(tail -5 "$tmp/out")"
for want in "llama-3.1-8b (fp8) on sc1: one decode step at position 100" "time by layer" \
  "layer 31" "time by source op"; do
  grep -q "$want" "$tmp/out" || fail "profile lacks '$want'"
done
# 8.03e9 parameters, about 7.5e9 of them in matmul weights, one byte each in fp8
bytes=$(sed -n 's/.*GFLOP over \([0-9.]*\) GB of device memory.*/\1/p' "$tmp/out")
awk -v b="$bytes" 'BEGIN { exit !(b >= 7.5 && b < 12) }' || fail "device-memory traffic $bytes GB"
"$bin" profile --config llama-9 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "llama-3.1-70b" "$tmp/err" || fail "unknown config: $(cat "$tmp/err")"
"$bin" profile --config llama-3.1-8b --model x 2>/dev/null; [ $? -eq 2 ] || fail "both --config and --model"

# on systems of chips: a small Llama (dim 1024, 4 layers, 8 heads over 4 KV
# heads) tensor parallel over 2 chips and in a pipeline of 4 stages moves
# bytes over the links (link energy), one chip none; bad specs are refused
cat >"$tmp/small.json" <<'JSON'
{"architectures": ["LlamaForCausalLM"], "hidden_size": 1024, "intermediate_size": 2816,
 "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 4,
 "vocab_size": 32000, "max_position_embeddings": 4096, "rms_norm_eps": 1e-5}
JSON
for sys in "1" "2" "4 --pipeline"; do
  # shellcheck disable=SC2086
  "$bin" profile --config "$tmp/small.json" --dtype fp8 --system $sys >"$tmp/s" 2>&1 ||
    fail "profile --system $sys: $(tail -3 "$tmp/s")"
  chips=${sys%% *}
  want="on sc1x$chips: one decode step"
  [ "$chips" = 1 ] && want="on sc1: one decode step"
  grep -q "$want" "$tmp/s" || fail "profile --system $sys: not '$want': $(head -1 "$tmp/s")"
  link=$(awk '$1 == "link" { print $2, $3 }' "$tmp/s")
  if [ "$chips" = 1 ]; then
    [ "$link" = "0 J" ] || fail "one chip has link energy '$link'"
  else
    [ -n "$link" ] && [ "$link" != "0 J" ] || fail "profile --system $sys: no link energy ('$link')"
  fi
done
"$bin" profile --config llama-3.1-8b --system sc1x0 >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "sc1x0" "$tmp/err" || fail "--system sc1x0: $(head -2 "$tmp/err")"
"$bin" profile --config llama-3.1-8b --pipeline >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "--pipeline without --system accepted"

# --tokens: a prefill chunk of the small model, 16 tokens from position 8; it
# moves the weights once, so its traffic is close to one decode step's; its
# layers' FLOPs are 16 decode steps' and its classifier's one (47.2 M and
# 32.8 M weights: 9.8x); it needs --config and room in the context
"$bin" profile --config "$tmp/small.json" --dtype fp8 --tokens 16 --pos 8 >"$tmp/p" 2>&1 ||
  fail "profile --tokens: $(tail -3 "$tmp/p")"
grep -q "a prefill chunk of 16 tokens at positions 8 .. 23" "$tmp/p" ||
  fail "profile --tokens: $(head -1 "$tmp/p")"
"$bin" profile --config "$tmp/small.json" --dtype fp8 --pos 100 >"$tmp/d" 2>&1 || fail "decode"
# "intensity 26.24 FLOP/B (2.565 GFLOP over 97.75 MB of device memory)" -> FLOPs and bytes
flops_bytes() {
  sed -n 's/.*intensity.*(\([0-9.]*\) \([kMGTP]*\)FLOP over \([0-9.]*\) \([kMGTP]*\)B of.*/\1 \2 \3 \4/p' "$1" |
    awk 'function u(s) { return s == "" ? 1 : s == "k" ? 1e3 : s == "M" ? 1e6 : s == "G" ? 1e9 : s == "T" ? 1e12 : 1e15 }
         { print $1 * u($2), $3 * u($4) }'
}
read -r pf pb <<<"$(flops_bytes "$tmp/p")"
read -r df db <<<"$(flops_bytes "$tmp/d")"
awk -v p="$pb" -v d="$db" 'BEGIN { exit !(p > 0 && d > 0 && p < 2 * d) }' ||
  fail "prefill chunk traffic $pb B against a decode step's $db"
awk -v p="$pf" -v d="$df" 'BEGIN { exit !(d > 0 && p > 8 * d && p < 12 * d) }' ||
  fail "prefill chunk $pf FLOP against a decode step's $df"
"$bin" profile --config "$tmp/small.json" --tokens 16 --pos 4090 >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "outside the context" "$tmp/err" || fail "--tokens past the context"
"$bin" profile --model x --tokens 4 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "--tokens with --model accepted"
"$bin" profile --config llama-3.1-8b --tokens 0 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "--tokens 0 accepted"
# --attn-fp32: the chunk's attention with FP32 MXU operands, a quarter of the
# FP8 rate against BF16's half: more cycles; only for a prefill chunk
"$bin" profile --config "$tmp/small.json" --dtype fp8 --tokens 16 --pos 8 --attn-fp32 >"$tmp/p32" 2>&1 ||
  fail "profile --attn-fp32: $(tail -3 "$tmp/p32")"
cycles() { sed -n 's/^ *time *\([0-9]*\) cycles.*/\1/p' "$1"; }
c16=$(cycles "$tmp/p")
c32=$(cycles "$tmp/p32")
[ -n "$c16" ] && [ -n "$c32" ] && [ "$c32" -gt "$c16" ] ||
  fail "--attn-fp32: $c32 cycles against $c16 with BF16 operands"
"$bin" profile --config llama-3.1-8b --attn-fp32 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "needs --tokens" "$tmp/err" || fail "--attn-fp32 without --tokens accepted"
# --batch: a decode step of 4 sequences moves the weights once and 4 caches:
# more bytes than one sequence's step and fewer than 4 of them; its FLOPs are
# 4 steps' (within 1%); it needs --config and goes without --tokens
"$bin" profile --config "$tmp/small.json" --dtype fp8 --batch 4 --pos 100 >"$tmp/b4" 2>&1 ||
  fail "profile --batch: $(tail -3 "$tmp/b4")"
grep -q "one decode step of 4 sequences, each at position 100" "$tmp/b4" ||
  fail "profile --batch: $(head -1 "$tmp/b4")"
read -r bf bb <<<"$(flops_bytes "$tmp/b4")"
awk -v p="$bb" -v d="$db" 'BEGIN { exit !(p > d && p < 4 * d) }' ||
  fail "batch of 4: $bb B against a step's $db"
awk -v p="$bf" -v d="$df" 'BEGIN { exit !(p > 3.96 * d && p < 4.04 * d) }' ||
  fail "batch of 4: $bf FLOP against a step's $df"
"$bin" profile --config llama-3.1-8b --batch 4 --tokens 8 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "--batch with --tokens accepted"
"$bin" profile --model x --batch 4 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "--batch with --model accepted"
"$bin" profile --config llama-3.1-8b --batch 0 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "--batch 0 accepted"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all profile --config checks passed"
