#!/usr/bin/env bash
# test_bench_cli.sh SEEDCHIP: `seedchip bench` on Llama-3.1-8B in FP8 against
# references computed here from the published architecture (dim 4096, hidden
# 14336, 32 layers, 32 heads, 8 KV heads of 128, vocabulary 128256): the
# H200 floor rows equal max(bytes / 4.8 TB/s, FLOPs / 1979 TFLOP/s) for the
# essential bytes and FLOPs of the step, and the simulated decode rows are no
# faster than SC1's memory floor. The HTML report has no scripts and the JSON
# parses. Bad usage exits 2 naming the problem; an unknown model and a model
# too large for one chip under --system 1 (Llama-3.1-405B) are rows "not run"
# that say why; an unwritable report path exits 1 naming it. A small model
# from a config.json runs on two chips (--system 2): its rows say 2 chips, the
# H200 floor is that of two GPUs, and SC1 stays above its own floor. With
# --offline its offline row's throughput follows from its step and prefill.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# ---- the references, from the public architectures alone ----

# essential work of a Llama step (docs/BENCH.md): every matmul weight read
# once (fp8: one byte each) plus the K and V cache of every position attended to
# (BF16 by default: two bytes each);
# 2 FLOPs per weight and per query-key and probability-value MAC
# llama_ref DIM HIDDEN LAYERS HEADS KV_HEADS HEAD_DIM VOCAB: prints params and
# the cache bytes and attention MACs of one position over all layers
llama_ref() {
  awk -v d="$1" -v f="$2" -v L="$3" -v H="$4" -v K="$5" -v hd="$6" -v V="$7" 'BEGIN {
    params = L * (d * H * hd + 2 * d * K * hd + H * hd * d + 3 * d * f) + V * d
    printf "%.0f %.0f %.0f\n", params, L * K * hd * 2 * 2, L * H * hd * 2 }'
}
read -r params kv_pos attn_pos <<<"$(llama_ref 4096 14336 32 32 8 128 128256)"
[ "$params" = 7504658432 ] || fail "Llama-3.1-8B matmul parameters $params"

# the table's ms column for chip $1, model $2, phase words $3 $4
table_ms() {
  awk -v c="$1" -v m="$2" -v p="$3" -v b="$4" '
    $1 == c && $2 == m && $3 == p && $4 == b { print ($3 == "decode" ? $7 : $6); exit }' "$tmp/out"
}
# within REL: near GOT WANT REL
near() {
  awk -v g="$1" -v w="$2" -v r="$3" 'BEGIN { d = g - w; exit !(g != "" && (d < 0 ? -d : d) <= r * w) }'
}

# ---- one real run: Llama-3.1-8B ----

"$bin" bench --models llama-3.1-8b --quiet --html "$tmp/b.html" --json "$tmp/b.json" \
  >"$tmp/out" 2>"$tmp/err" || fail "bench llama-3.1-8b exited $?: $(tail -5 "$tmp/err")"
n='[0-9][0-9.]*'
for want in "^sc1 +llama-3\.1-8b +decode b1 ctx4096 +1 +$n " \
  "^H200 +llama-3\.1-8b +decode b1 ctx4096 +1 +$n .*\(floor\)$" \
  "^sc1 +llama-3\.1-8b +decode b8 ctx4096 +1 +$n " \
  "^H200 +llama-3\.1-8b +decode b8 ctx4096 +1 +$n .*\(floor\)$" \
  "^sc1 +llama-3\.1-8b +prefill 2048p +1 +$n " \
  "^H200 +llama-3\.1-8b +prefill 2048p +1 +$n .*\(floor\)$"; do
  grep -Eq -- "$want" "$tmp/out" || fail "table lacks /$want/"
done
head -c 15 "$tmp/b.html" | grep -q '^<!DOCTYPE html>' || fail "HTML does not start with <!DOCTYPE html>"
grep -qi '<script' "$tmp/b.html" && fail "HTML has a <script>"

# H200 floors: decode at batch B reads the weights once and B caches of 4096
# positions; prefill of 2048 tokens writes 2048 positions, and token i attends
# to positions 0..i (2048 * 2049 / 2 query-key pairs)
floor_ms() { # bytes flops -> ms on the H200
  awk -v b="$1" -v f="$2" 'BEGIN { s = b / 4.8e12; if (f / 1979e12 > s) s = f / 1979e12
                                   printf "%.6f\n", s * 1e3 }'
}
for B in 1 8; do
  bytes=$(awk -v p="$params" -v k="$kv_pos" -v B="$B" 'BEGIN { printf "%.0f", p + B * k * 4096 }')
  flops=$(awk -v p="$params" -v a="$attn_pos" -v B="$B" 'BEGIN { printf "%.0f", 2 * B * (p + a * 4096) }')
  want=$(floor_ms "$bytes" "$flops")
  got=$(table_ms H200 llama-3.1-8b decode "b$B")
  near "$got" "$want" 0.005 || fail "H200 floor, decode b$B: table $got ms, expected $want ms"
  [ "$B" = 1 ] && { bytes1=$bytes; flops1=$flops; }
done
bytes=$(awk -v p="$params" -v k="$kv_pos" 'BEGIN { printf "%.0f", p + k * 2048 }')
flops=$(awk -v p="$params" -v a="$attn_pos" 'BEGIN { printf "%.0f", 2 * (p * 2048 + a * 2048 * 2049 / 2) }')
want=$(floor_ms "$bytes" "$flops")
got=$(table_ms H200 llama-3.1-8b prefill 2048p)
near "$got" "$want" 0.005 || fail "H200 floor, prefill: table $got ms, expected $want ms"

# SC1 cannot beat its own floors: memory at its effective bandwidth (decode),
# the fp8 MXU peak (prefill); 0.05% allows for the table's four digits
arch=$("$bin" arch show sc1)
bw=$(sed -n 's/^ *effective bandwidth *\([0-9.]*\) GB\/s.*/\1/p' <<<"$arch")
peak=$(sed -n 's/^ *fp8e4m3 .* \([0-9.]*\) TFLOP\/s .*/\1/p' <<<"$arch")
[ "$bw" = 6000.0 ] || fail "sc1 effective bandwidth '$bw' GB/s, expected 6000.0"
[ -n "$peak" ] || fail "sc1 fp8 peak not found in arch show"
sc1_b1=$(table_ms sc1 llama-3.1-8b decode b1)
awk -v g="$sc1_b1" -v b="$bytes1" -v bw="$bw" '
  BEGIN { exit !(g != "" && g >= b / (bw * 1e9) * 1e3 * 0.9995) }' ||
  fail "sc1 decode b1: $sc1_b1 ms/token, below the memory floor $bytes1 B / $bw GB/s"
sc1_pf=$(table_ms sc1 llama-3.1-8b prefill 2048p)
awk -v g="$sc1_pf" -v f="$flops" -v p="${peak:-0}" '
  BEGIN { exit !(g != "" && g >= f / (p * 1e12) * 1e3 * 0.9995) }' ||
  fail "sc1 prefill: $sc1_pf ms, below the compute floor $flops FLOP / $peak TFLOP/s"

# the JSON parses and carries the exact essential bytes and FLOPs
if command -v python3 >/dev/null; then
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["rows"] if r["chip"] == "H200" and r["kind"] == "floor"
        and r["model"] == "llama-3.1-8b" and r["phase"] == "decode" and r["batch"] == 1]
assert len(rows) == 1, "no H200 floor row for decode b1"
r = rows[0]
assert r["bytes"] == int(sys.argv[2]), "bytes %s, expected %s" % (r["bytes"], sys.argv[2])
assert r["flops"] == int(sys.argv[3]), "flops %s, expected %s" % (r["flops"], sys.argv[3])
' "$tmp/b.json" "$bytes1" "$flops1" 2>"$tmp/py" || fail "JSON: $(tail -1 "$tmp/py")"
else
  grep -q '"rows"' "$tmp/b.json" || fail "JSON lacks \"rows\""
fi

# ---- bad input ----

# expect <exit-code> <stderr-regex|-> -- args...
expect() {
  local want=$1 err_re=$2
  shift 3
  "$bin" bench --quiet --html "$tmp/x.html" --json "$tmp/x.json" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "bench $*: exit $got, expected $want: $(head -3 "$tmp/err")"
  elif [ "$err_re" != - ] && ! grep -Eq -- "$err_re" "$tmp/err"; then
    fail "bench $*: stderr does not match /$err_re/: $(head -3 "$tmp/err")"
  fi
}
expect 2 "--dtype: unknown dtype 'bogus'" -- --dtype bogus
expect 2 "unknown .*option '--frobnicate'" -- --frobnicate
expect 2 "--system 'sc1x0'" -- --system sc1x0
expect 2 "--system '$tmp/none.json'" -- --system "$tmp/none.json"
expect 2 "--models.*''" -- --models ''
expect 2 "--models.*'a,,b'" -- --models a,,b
expect 1 "/nonexistent/dir/x\.html" -- --models no-such-model --html /nonexistent/dir/x.html

# an unknown model and one too large for the one chip --system gives: rows
# "not run" saying why
expect 0 - -- --models no-such-model,llama-3.1-405b --system 1
[ -s "$tmp/err" ] && fail "bench no-such-model,llama-3.1-405b wrote to stderr: $(head -3 "$tmp/err")"
grep -Eq "^sc1 +no-such-model .*not run: .*'no-such-model'" "$tmp/out" ||
  fail "no 'not run' row for no-such-model: $(grep no-such-model "$tmp/out")"
# Llama-3.1-405B (dim 16384, hidden 53248, 126 layers, 128 heads, 8 KV heads):
# its fp8 weights and one 4k cache over SC1's capacity
read -r p405 kv405 _ <<<"$(llama_ref 16384 53248 126 128 8 128 128256)"
cap=$(sed -n 's/^ *capacity *\([0-9.]*\) GB.*/\1/p' <<<"$arch")
read -r need chips <<<"$(awk -v p="$p405" -v k="$kv405" -v c="$cap" 'BEGIN {
  n = (p + k * 4096) / 1e9; x = n / c; printf "%.0f %d\n", n, (x == int(x) ? x : int(x) + 1) }')"
line=$(grep -E "^sc1 +llama-3\.1-405b " "$tmp/out")
got_chips=$(sed -n 's/.*not run: needs \([0-9]*\) chips or more (\([0-9]*\) GB.*/\1/p' <<<"$line")
got_need=$(sed -n 's/.*not run: needs \([0-9]*\) chips or more (\([0-9]*\) GB.*/\2/p' <<<"$line")
[ "$got_chips" = "$chips" ] || fail "llama-3.1-405b: '$line', expected needs $chips chips"
near "$got_need" "$need" 0.005 || fail "llama-3.1-405b: '$line', expected $need GB"
tr -s ' \n' ' ' <"$tmp/out" | grep -q "system has fewer" ||
  fail "llama-3.1-405b note does not say --system has fewer chips"

# ---- two chips, tensor parallel: a small Llama from a config.json ----
# dim 1024, hidden 2816, 2 layers, 8 heads of 128 over 4 KV heads, vocabulary 32000
cat >"$tmp/small.json" <<'JSON'
{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 1024,
 "intermediate_size": 2816, "num_hidden_layers": 2, "num_attention_heads": 8,
 "num_key_value_heads": 4, "vocab_size": 32000, "max_position_embeddings": 4096,
 "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": false}
JSON
"$bin" bench --models "$tmp/small.json" --system 2 --quiet --html "$tmp/s.html" \
  --json "$tmp/s.json" >"$tmp/out" 2>"$tmp/err" || fail "bench --system 2 exited $?: $(tail -3 "$tmp/err")"
read -r sp skv _ <<<"$(llama_ref 1024 2816 2 8 4 128 32000)"
sbytes=$(awk -v p="$sp" -v k="$skv" 'BEGIN { printf "%.0f", p + k * 4096 }')
sflops=$(awk -v p="$sp" -v k="$skv" -v a="$(llama_ref 1024 2816 2 8 4 128 32000 | cut -d' ' -f3)" \
  'BEGIN { printf "%.0f", 2 * (p + a * 4096) }')
# the H200 floor of two GPUs, and SC1's two chips no faster than their floor
want=$(awk -v b="$sbytes" -v f="$sflops" 'BEGIN { s = b / 9.6e12; if (f / 3958e12 > s) s = f / 3958e12
                                                 printf "%.9f\n", s * 1e3 }')
sname=$(awk '$1 == "sc1" && $3 == "decode" && $4 == "b1" { print $2; exit }' "$tmp/out")
[ -n "$sname" ] || fail "no sc1 decode b1 row for the small model: $(head -5 "$tmp/out")"
grep -Eq "^sc1 +$sname +decode b1 ctx4096 +2 +$n " "$tmp/out" ||
  fail "the small model's decode b1 row is not on 2 chips: $(grep "$sname" "$tmp/out" | head -2)"
if command -v python3 >/dev/null; then
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
b1 = [r for r in d["rows"] if r["phase"] == "decode" and r["batch"] == 1 and r["chips"] == 2]
h = [r for r in b1 if r["chip"] == "H200"]
s = [r for r in b1 if r["chip"] == "sc1"]
assert len(h) == 1 and len(s) == 1, "decode b1 rows on 2 chips: %d H200, %d sc1" % (len(h), len(s))
h, s = h[0], s[0]
assert h["bytes"] == int(sys.argv[2]), "bytes %s, expected %s" % (h["bytes"], sys.argv[2])
assert h["flops"] == int(sys.argv[3]), "flops %s, expected %s" % (h["flops"], sys.argv[3])
want = float(sys.argv[4])
assert abs(h["ms_per_token"] - want) <= 1e-6 * want, "H200 x2 floor %s ms, expected %s" % (h["ms_per_token"], want)
floor = h["bytes"] / (2 * float(sys.argv[5]) * 1e9) * 1e3
assert s["ms_per_token"] >= floor * 0.9995, "sc1 x2 %s ms below the floor %s ms" % (s["ms_per_token"], floor)
' "$tmp/s.json" "$sbytes" "$sflops" "$want" "$bw" 2>"$tmp/py" || fail "JSON, 2 chips: $(tail -1 "$tmp/py")"
fi
grep -q "all-reduce" "$tmp/s.html" || fail "the report's breakdown has no all-reduce part"

# ---- an offline row: requests of 256 input and 64 output tokens ----
# the decode step of its batch at position 256 + 32 (caches of 320 positions);
# its throughput is 1 / (step / batch + prefill / 64) per chip, recomputed
# here from the JSON; the batch is at least the 4k rows' largest (shorter
# caches) and within memory; the H200 floor row has no offline figure
"$bin" bench --models "$tmp/small.json" --offline 256,64 --quiet --html "$tmp/o.html" \
  --json "$tmp/o.json" >"$tmp/out" 2>"$tmp/err" || fail "bench --offline exited $?: $(tail -3 "$tmp/err")"
grep -Eq "offline, 256 input \+ 64 output tokens a request, batch [0-9]+, prefill included: [0-9]+ output tokens/s per chip" \
  "$tmp/out" || fail "no offline line: $(grep -i offline "$tmp/out" | head -3)"
if command -v python3 >/dev/null; then
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
off = [r for r in d["rows"] if r["chip"] == "sc1" and r["offline_tok_s_chip"] > 0]
assert len(off) == 1, "%d offline rows" % len(off)
r = off[0]
assert r["phase"] == "decode" and r["context"] == 288 and r["prompt"] == 256 and r["offline_out"] == 64, r
want = 1 / (r["step_s"] / r["batch"] + r["offline_prefill_s"] / 64) / r["chips"]
assert abs(r["offline_tok_s_chip"] - want) <= 1e-9 * want, "offline %s, expected %s" % (r["offline_tok_s_chip"], want)
assert r["offline_prefill_s"] > 0 and r["offline_tok_s_chip"] < r["tok_s_chip"], r
big = [x["batch"] for x in d["rows"] if x["chip"] == "sc1" and x["ok"] and x["context"] == 4096]
assert r["batch"] >= max(big), "offline batch %d below the 4k rows %s" % (r["batch"], big)
kv_seq = 2 * 4 * 128 * 2 * 2 * 320  # 2 layers, K and V of 4 heads of 128, bf16
assert r["batch"] * kv_seq <= float(sys.argv[2]) * 1e9, "batch %d over memory" % r["batch"]
h = [x for x in d["rows"] if x["chip"] == "H200" and x["context"] == 288]
assert len(h) == 1 and h[0]["offline_tok_s_chip"] == 0, h
' "$tmp/o.json" "$cap" 2>"$tmp/py" || fail "JSON, offline: $(tail -1 "$tmp/py")"
fi
expect 2 "--offline: IN,OUT" -- --offline 0,5
expect 2 "--offline: IN,OUT" -- --offline 5
expect 2 "--offline: IN,OUT" -- --offline 5,6,7
expect 2 "--offline: IN,OUT" -- --offline=-1,4

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all bench CLI checks passed"
