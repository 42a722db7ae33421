#!/usr/bin/env bash
# test_run_cli.sh SEEDCHIP: `seedchip asm` + `seedchip run` end to end: a program
# runs from files, outputs are written, a trap is reported with its source line,
# bad bindings are refused with exit 1, usage errors exit 2.
set -u
bin=$1
src=${SEEDCHIP_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A program that negates a vector of 8 int8 values through core 0's SRAM.
cat >"$tmp/neg.sasm" <<'SASM'
.arch sc1
.buffer x input int8 [8] @ 0x0
.buffer y output int8 [8] @ 0x40
.core 0
        li x1, x
        li x2, y
        li x10, 8               # dma: 8 elements
        li x11, 1               # vpu tile: 1 row, 8 columns, strides 8
        li x12, 8
        li x13, 8
        li x14, 8
        dma.1d sram[x0]:int8, hbm[x1]:int8, x10, x0, q0 @signal(s0)
        vpu.neg sram[x0]:int8, sram[x0]:int8, x11..x14 @wait(s0) @signal(s1)
        dma.1d hbm[x2]:int8, sram[x0]:int8, x10, x0, q0 @wait(s1)
        halt
SASM
"$bin" asm "$tmp/neg.sasm" -o "$tmp/neg.scb" 2>"$tmp/err" || { fail "asm neg.sasm"; cat "$tmp/err"; }
printf '\x01\x02\x03\x7f\x80\xfe\x00\x05' >"$tmp/x.bin"
if "$bin" run "$tmp/neg.scb" --in x="$tmp/x.bin" --out y="$tmp/y.bin" >"$tmp/out" 2>"$tmp/err"; then
  want=$(printf '\xff\xfe\xfd\x81\x7f\x02\x00\xfb' | od -An -tx1)
  got=$(od -An -tx1 <"$tmp/y.bin")
  [ "$got" = "$want" ] || fail "negated output: got $got, want $want (-128 saturates to 127)"
  grep -q "completed on sc1" "$tmp/out" || fail "no completion line: $(cat "$tmp/out")"
else
  fail "run neg.scb exited $?"; cat "$tmp/err"
fi

# Wrong input size: refused, nothing written.
printf '\x01\x02' >"$tmp/short.bin"
"$bin" run "$tmp/neg.scb" --in x="$tmp/short.bin" --out y="$tmp/y2.bin" 2>"$tmp/err"
[ $? -eq 1 ] || fail "short input should exit 1"
grep -q "holds 8 bytes, the host gave 2" "$tmp/err" || fail "short input message: $(cat "$tmp/err")"
[ -e "$tmp/y2.bin" ] && fail "an output was written after an error"
"$bin" run "$tmp/neg.scb" --in nosuch="$tmp/x.bin" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "no buffer 'nosuch'" "$tmp/err" || fail "unknown buffer: $(cat "$tmp/err")"

# A trap: the source line and column come from the debug map.
cat >"$tmp/oob.sasm" <<'SASM'
.arch sc1
.buffer y output int8 [8] @ 0x0
.core 0
        li x1, 4
        li x10, 8
        dma.1d hbm[x1]:int8, sram[x0]:int8, x10, x0, q0
        halt
SASM
"$bin" asm "$tmp/oob.sasm" -o "$tmp/oob.scb" 2>"$tmp/err" || { fail "asm oob.sasm"; cat "$tmp/err"; }
"$bin" run "$tmp/oob.scb" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "a trapping program should exit 1"
grep -q "trap: out-of-bounds access" "$tmp/err" || fail "trap cause: $(cat "$tmp/err")"
grep -q "core 0, dma engine, pc 2: dma.1d" "$tmp/err" || fail "trap place: $(cat "$tmp/err")"
grep -q "oob.sasm:6:" "$tmp/err" || fail "trap source line: $(cat "$tmp/err")"

# The watchdog stops a program that never ends.
printf '.arch sc1\n.core 0\nspin:\n        j spin\n' >"$tmp/spin.sasm"
"$bin" asm "$tmp/spin.sasm" -o "$tmp/spin.scb" 2>/dev/null || fail "asm spin.sasm"
"$bin" run "$tmp/spin.scb" --watchdog 1000 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "watchdog" "$tmp/err" || fail "watchdog: $(cat "$tmp/err")"

# Usage errors.
"$bin" run 2>/dev/null; [ $? -eq 2 ] || fail "run without a program should exit 2"
"$bin" run "$tmp/neg.scb" --in novalue 2>/dev/null; [ $? -eq 2 ] || fail "--in without = should exit 2"
"$bin" run "$tmp/neg.scb" --watchdog -3 2>/dev/null; [ $? -eq 2 ] || fail "negative watchdog should exit 2"
"$bin" run "$tmp/neg.scb" --bogus 2>/dev/null; [ $? -eq 2 ] || fail "unknown option should exit 2"
"$bin" run "$tmp/neg.scb" --threads 0 2>/dev/null; [ $? -eq 2 ] || fail "--threads 0 should exit 2"
"$bin" run "$tmp/neg.scb" --in x="$tmp/x.bin" --out y="$tmp/y3.bin" --threads 3 >/dev/null 2>&1 &&
  cmp -s "$tmp/y.bin" "$tmp/y3.bin" || fail "--threads 3 gives other bytes"
"$bin" run --help | grep -q "^usage: seedchip run" || fail "run --help"
"$bin" run "$tmp/neg.scb" --mode timed --threads 2 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "threads applies to --mode functional" "$tmp/err" || fail "--threads with timed"
"$bin" run "$tmp/neg.scb" --mode fast 2>/dev/null; [ $? -eq 2 ] || fail "unknown mode should exit 2"
"$bin" run "$tmp/neg.scb" --mode functional --profile 2>/dev/null
[ $? -eq 2 ] || fail "--profile with functional should exit 2"
"$bin" run "$tmp/neg.scb" --mode timing-only --in x="$tmp/x.bin" 2>/dev/null
[ $? -eq 2 ] || fail "--in with timing-only should exit 2"

# Timed runs: the same bytes as functional, cycles printed; timing-only gives
# the same cycles; --profile, --trace and --report.
"$bin" run "$tmp/neg.scb" --in x="$tmp/x.bin" --out y="$tmp/y4.bin" --mode timed --profile \
  --trace "$tmp/t.json" --report "$tmp/r.html" >"$tmp/out" 2>"$tmp/err" || fail "timed run: $(cat "$tmp/err")"
cmp -s "$tmp/y.bin" "$tmp/y4.bin" || fail "the timed mode gives other bytes"
cyc=$(sed -n 's/.*: \([0-9]*\) cycles, .*(timed)$/\1/p' "$tmp/out")
[ -n "$cyc" ] && [ "$cyc" -gt 0 ] || fail "no cycle line: $(cat "$tmp/out")"
for want in "energy" "MXU" "memory bw" "stall and overhead reasons" "time by source op" "neg.sasm:"; do
  grep -q "$want" "$tmp/out" || fail "profile lacks '$want'"
done
grep -q '"traceEvents"' "$tmp/t.json" || fail "trace is not a Chrome trace"
grep -q '"name":"dma.1d"' "$tmp/t.json" || fail "trace lacks the DMA op"
grep -q "<svg" "$tmp/r.html" || fail "report lacks its plots"
if grep -o 'https\?://[^"]*' "$tmp/r.html" | grep -qv "www.w3.org/2000/svg"; then
  fail "report references the network"
fi
"$bin" run "$tmp/neg.scb" --mode timing-only >"$tmp/out2" 2>&1 || fail "timing-only run"
cyc2=$(sed -n 's/.*: \([0-9]*\) cycles, .*(timing-only)$/\1/p' "$tmp/out2")
[ "$cyc" = "$cyc2" ] || fail "timing-only gives $cyc2 cycles, timed $cyc"
"$bin" run "$tmp/neg.scb" --in x="$tmp/x.bin" --report /nonexistent/dir/r.html >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "^seedchip: --report /nonexistent/dir/r.html" "$tmp/err" || fail "bad report path: $(cat "$tmp/err")"
"$bin" run "$src/README.md" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "not a SeedChip program" "$tmp/err" || fail "non-program file: $(cat "$tmp/err")"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all run checks passed"
