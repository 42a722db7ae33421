#!/usr/bin/env bash
# test_profile_config.sh SEEDCHIP: `seedchip profile --config` times a
# full-size model from its published configuration alone: Llama-3.1-8B in FP8
# compiles without weights, loads without host memory behind its 8 GB of
# weights (timing-only mode) and runs one decode step; its device-memory
# traffic is at least the weights' bytes. Unknown names are refused with the list.
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

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all profile --config checks passed"
