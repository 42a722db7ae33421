#!/usr/bin/env bash
# test_arch_cli.sh: end-to-end test of `seedchip arch` (list, show, check, diff,
# dump, usage errors). Usage: test_arch_cli.sh <path to seedchip>
set -u

SC=${1:?usage: test_arch_cli.sh <seedchip binary>}
SRC=${SEEDCHIP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run <expected exit> <args...>: runs seedchip, output in $TMP/out and $TMP/err.
run() {
  local want=$1
  shift
  "$SC" "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  [ "$got" -eq "$want" ] || fail "seedchip $* exited $got, want $want; stderr: $(head -c 400 "$TMP/err")"
}

# expect <file> <fixed string>: the file contains the string.
expect() {
  grep -qF -- "$2" "$TMP/$1" || fail "$1 lacks '$2'; got: $(head -c 600 "$TMP/$1")"
}

# help and usage
run 0 arch --help
expect out "usage: seedchip arch"
run 0 arch show --help
expect out "usage: seedchip arch show"
run 2 arch
expect err "usage: seedchip arch"
run 2 arch frobnicate
expect err "unknown subcommand 'frobnicate'"
run 2 arch show --bogus sc1
expect err "unknown option '--bogus'"
expect err "usage: seedchip arch show"
run 2 arch show
run 2 arch diff sc1

# list
run 0 arch list
for p in sc1 sc1-lp tpu-v1; do expect out "$p"; done

# show: the headline figures of the SC1 design and the TPU v1 paper
run 0 arch show sc1
expect out "bf16"
expect out "838.9 TFLOP/s"
expect out "1677.7 TFLOP/s"
expect out "6000.0 GB/s"
expect out "216.0 GB"
expect out "1638.4 GB/s per direction"
run 0 arch show tpu-v1
expect out "91.8 TOPS"
expect out "34.0 GB/s"
run 0 arch show --json sc1-lp
expect out '"peak_tflop_s"'
expect out '"technology":	"LPDDR5X"'
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert abs(d["mxu"]["bf16"]["peak_ops_per_s"]-838.8608e12)<1e6' "$TMP/out" ||
    fail "show --json is not valid JSON with the bf16 peak"
fi

# a file argument gives the same figures as the preset
run 0 arch show "$SRC/examples/arch/sc1.json"
expect out "838.9 TFLOP/s"

# dump -> check -> diff round trip
run 0 arch dump sc1
cp "$TMP/out" "$TMP/copy.json"
run 0 arch check "$TMP/copy.json"
expect out "ok"
expect copy.json '"latency_ns": 120,'
expect copy.json '"interleave_bytes": 256,'
expect copy.json '"access_bytes": 64'
run 0 arch diff sc1 "$TMP/copy.json"
expect out "no differences"
run 0 arch diff sc1 sc1-lp
expect out 'memory.technology: "HBM3E" -> "LPDDR5X"'

# validation errors: all reported, on stderr, exit 1
sed -e 's/"lanes": 128/"lanes": 0/' -e 's/"effective_gb_s": 6000/"effective_gb_s": 9000/' \
  "$TMP/copy.json" >"$TMP/bad.json"
run 1 arch check "$TMP/bad.json"
expect err "bad.json: core.vpu.lanes: must be at least 1, got 0"
expect err "bad.json: memory.effective_gb_s: 9000 exceeds what 96 channels of 80 GB/s can carry (7680)"
run 1 arch show "$TMP/bad.json"
expect err "core.vpu.lanes"
# memory interleave: power-of-two and access <= interleave rules; diff sees the key
sed -e 's/"interleave_bytes": 256/"interleave_bytes": 384/' "$TMP/copy.json" >"$TMP/il.json"
run 1 arch check "$TMP/il.json"
expect err "il.json: memory.interleave_bytes: must be a power of two, got 384"
sed -e 's/"access_bytes": 64/"access_bytes": 512/' "$TMP/copy.json" >"$TMP/acc.json"
run 1 arch check "$TMP/acc.json"
expect err "acc.json: memory.access_bytes: 512 exceeds memory.interleave_bytes (256)"
sed -e '/"access_bytes": 64/d' -e 's/"interleave_bytes": 256,/"interleave_bytes": 256/' \
  "$TMP/copy.json" >"$TMP/noacc.json"
run 1 arch check "$TMP/noacc.json"
expect err "noacc.json: memory.access_bytes: missing required key"
sed -e 's/"interleave_bytes": 256/"interleave_bytes": 512/' "$TMP/copy.json" >"$TMP/il512.json"
run 0 arch diff sc1 "$TMP/il512.json"
expect out "memory.interleave_bytes: 256 -> 512"
printf '{\n  "format": "seedchip-arch",,\n}\n' >"$TMP/syntax.json"
run 1 arch check "$TMP/syntax.json"
expect err "syntax.json:2:30: JSON syntax error"
run 1 arch show no-such-preset
expect err "no-such-preset"
expect err "presets: sc1 sc1-lp tpu-v1"

if [ "$failures" -ne 0 ]; then
  echo "test_arch_cli: $failures failure(s)" >&2
  exit 1
fi
echo "test_arch_cli: all passed"
