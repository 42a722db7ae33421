#!/usr/bin/env bash
# test_generate_cli.sh SEEDCHIP: `seedchip generate` end to end on the
# simulated chip: stories260K (llama2.c checkpoint with its tokenizer, and the
# GGUF copy with the tokenizer it carries) reproduces the greedy and the
# sampled stories that llama2.c's documentation publishes (tests/data), and
# prints the chip's figures; bad usage exits 2. Needs ../shared/models (or
# $SEEDCHIP_MODELS); exits 77 (skipped) without it.
set -u
bin=$1
src=${SEEDCHIP_SOURCE_DIR:?}
models=${SEEDCHIP_MODELS:-$src/../shared/models}
ckpt=$models/llama2c/stories260K.bin
if [ ! -f "$ckpt" ]; then
  echo "skipped: $ckpt not found (set SEEDCHIP_MODELS)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
same_text() { diff <(sed 's/[[:space:]]*$//' "$1") <(sed 's/[[:space:]]*$//' "$2") >/dev/null; }

"$bin" generate --model "$ckpt" --tokenizer "$models/llama2c/tok512.bin" -n 256 \
  >"$tmp/greedy.txt" 2>"$tmp/figures" || fail "greedy run: $(cat "$tmp/figures")"
same_text "$tmp/greedy.txt" "$src/tests/data/stories260K_greedy.txt" ||
  fail "greedy story differs from the published one: $(head -c 300 "$tmp/greedy.txt")"
for want in "time to first token" "time per output token" "tokens/s" "energy per token" \
  "MXU utilization" "bandwidth" "simulator"; do
  grep -q "$want" "$tmp/figures" || fail "figures lack '$want': $(cat "$tmp/figures")"
done
# the programs run on 4 cores (the classifier's 512 outputs are 4 tiles of
# 128); on every core (--cores 16) the story is the same
grep -q "4 of 16 cores" "$tmp/figures" || fail "figures lack '4 of 16 cores': $(cat "$tmp/figures")"
"$bin" generate --model "$ckpt" --tokenizer "$models/llama2c/tok512.bin" -n 256 --cores 16 \
  >"$tmp/greedy16.txt" 2>"$tmp/figures16" || fail "--cores 16 run: $(cat "$tmp/figures16")"
grep -q "16 of 16 cores" "$tmp/figures16" || fail "--cores 16: $(cat "$tmp/figures16")"
same_text "$tmp/greedy16.txt" "$src/tests/data/stories260K_greedy.txt" ||
  fail "--cores 16 generates another story: $(head -c 300 "$tmp/greedy16.txt")"

# A prompt of 39 tokens (prefill launches of 32 and 7): the continuation is
# still the published story's.
prompt="Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big"
"$bin" generate --model "$ckpt" --tokenizer "$models/llama2c/tok512.bin" --prompt "$prompt" -n 40 \
  >"$tmp/prompted.txt" 2>"$tmp/figures2" || fail "prompted run: $(cat "$tmp/figures2")"
grep -q "39 prompt tokens in 2 prefill launches" "$tmp/figures2" || fail "prefill: $(cat "$tmp/figures2")"
n=$(wc -c <"$tmp/prompted.txt")
[ "$(head -c "$((n - 1))" "$tmp/prompted.txt")" = "$(head -c "$((n - 1))" "$src/tests/data/stories260K_greedy.txt")" ] ||
  fail "the prompted continuation leaves the published story: $(cat "$tmp/prompted.txt")"

"$bin" generate --model "$ckpt" --tokenizer "$models/llama2c/tok512.bin" -n 256 --temp 1.0 \
  --top-p 0.9 --seed 133742 >"$tmp/sampled.txt" 2>/dev/null || fail "sampled run"
same_text "$tmp/sampled.txt" "$src/tests/data/stories260K_t1_p0.9_s133742.txt" ||
  fail "sampled story differs from the published one: $(head -c 300 "$tmp/sampled.txt")"

if [ -f "$models/gguf/stories260K.gguf" ]; then
  "$bin" generate --model "$models/gguf/stories260K.gguf" -n 256 >"$tmp/gguf.txt" 2>/dev/null ||
    fail "gguf run"
  same_text "$tmp/gguf.txt" "$src/tests/data/stories260K_greedy.txt" ||
    fail "the GGUF copy generates another story: $(head -c 300 "$tmp/gguf.txt")"
fi

# compile: a program that runs (timing-only), its listing and graph; profile:
# the time per graph op and per layer, the report.
"$bin" compile --model "$ckpt" -o "$tmp/s.scb" --listing "$tmp/s.sasm" --graph "$tmp/s.txt" \
  --dtype bf16 >"$tmp/out" 2>&1 || fail "compile: $(cat "$tmp/out")"
grep -q "^graph llama_t1 {" "$tmp/s.txt" || fail "compile --graph"
grep -q "mxu.ldw sram\[x29\]:bf16" "$tmp/s.sasm" || fail "compile --listing lacks bf16 weight loads"
"$bin" run "$tmp/s.scb" --mode timing-only >"$tmp/out" 2>&1 || fail "run compiled: $(cat "$tmp/out")"
"$bin" profile --model "$ckpt" --pos 100 --report "$tmp/p.html" >"$tmp/prof" 2>&1 ||
  fail "profile: $(cat "$tmp/prof")"
for want in "one decode step at position 100" "l0.attn" "time by layer" "layer 4"; do
  grep -q "$want" "$tmp/prof" || fail "profile lacks '$want'"
done
grep -q "<svg" "$tmp/p.html" || fail "profile --report"
"$bin" profile --model "$ckpt" --pos 9999 2>/dev/null; [ $? -eq 1 ] || fail "profile --pos past the context"
"$bin" compile --model "$ckpt" 2>/dev/null; [ $? -eq 2 ] || fail "compile without -o"

# Usage errors exit 2; a model without a tokenizer exits 1.
"$bin" generate 2>/dev/null; [ $? -eq 2 ] || fail "no --model should exit 2"
"$bin" generate --model "$ckpt" --dtype int3 2>/dev/null; [ $? -eq 2 ] || fail "bad dtype"
"$bin" generate --model "$ckpt" --temp -1 2>/dev/null; [ $? -eq 2 ] || fail "negative temp"
"$bin" generate --model "$ckpt" --cores 0 2>/dev/null; [ $? -eq 2 ] || fail "--cores 0"
"$bin" generate --model "$ckpt" --tokenizer "$models/llama2c/tok512.bin" --cores 17 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "17 cores: sc1 has 16" "$tmp/err" || fail "--cores 17: $(cat "$tmp/err")"
"$bin" compile --model "$ckpt" -o "$tmp/c2.scb" --cores 2 >"$tmp/out" 2>&1 &&
  grep -q "2 of 16 cores" "$tmp/out" || fail "compile --cores 2: $(cat "$tmp/out")"
"$bin" generate --model "$ckpt" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "pass --tokenizer" "$tmp/err" || fail "missing tokenizer: $(cat "$tmp/err")"
"$bin" generate --model "$src/README.md" 2>"$tmp/err"
[ $? -eq 1 ] || fail "a non-model file should exit 1: $(cat "$tmp/err")"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all generate checks passed"
