#!/usr/bin/env bash
# test_asm_cli.sh SEEDCHIP: `seedchip asm` and `seedchip disasm`: assemble,
# disassemble, reassemble to the identical .scb; usage errors exit 2; assembly
# errors exit 1 with file:line:col on stderr and no output file.
set -u
bin=$1
src=${SEEDCHIP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect <exit-code> <stderr-regex|-> -- args...
expect() {
  local want=$1 err_re=$2
  shift 3
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "seedchip $*: exit $got, expected $want"; cat "$tmp/err"; return
  fi
  if [ "$err_re" != - ] && ! grep -Eq -- "$err_re" "$tmp/err"; then
    fail "seedchip $*: stderr does not match /$err_re/"; cat "$tmp/err"; return
  fi
  echo "ok: seedchip $*"
}

# help and usage
expect 0 - -- asm --help
grep -q '^usage: seedchip asm' "$tmp/out" || fail "asm --help: no usage on stdout"
expect 0 - -- disasm --help
grep -q '^usage: seedchip disasm' "$tmp/out" || fail "disasm --help: no usage on stdout"
expect 2 'no source file given' -- asm
expect 2 'one source file only' -- asm a.sasm b.sasm
expect 2 "unknown or incomplete option" -- asm --bogus x.sasm
expect 2 "unknown or incomplete option" -- asm x.sasm -o
expect 2 'no program given' -- disasm
expect 2 "unknown or incomplete option" -- disasm -z x.scb

# round trip of every example: asm -> disasm -> asm gives the same bytes
for f in "$src"/examples/asm/*.sasm; do
  name=$(basename "$f" .sasm)
  cp "$f" "$tmp/$name.sasm"
  expect 0 - -- asm "$tmp/$name.sasm"
  [ -s "$tmp/$name.scb" ] || { fail "$name: no default output $name.scb"; continue; }
  expect 0 - -- disasm "$tmp/$name.scb" -o "$tmp/$name.re.sasm"
  expect 0 - -- asm "$tmp/$name.re.sasm" -o "$tmp/$name.re.scb"
  cmp -s "$tmp/$name.scb" "$tmp/$name.re.scb" || fail "$name: reassembled program differs"
  "$bin" disasm "$tmp/$name.scb" >"$tmp/$name.stdout.sasm" || fail "$name: disasm to stdout"
  cmp -s "$tmp/$name.stdout.sasm" "$tmp/$name.re.sasm" || fail "$name: stdout and -o differ"
done

# --arch supplies the architecture
printf 'halt\n' >"$tmp/noarch.sasm"
expect 1 'noarch.sasm:1:1: error: no architecture' -- asm "$tmp/noarch.sasm"
expect 0 - -- asm "$tmp/noarch.sasm" --arch sc1 -o "$tmp/noarch.scb"
[ -s "$tmp/noarch.scb" ] || fail "--arch: no output"

# errors: every one reported with its place, exit 1, nothing written
cat >"$tmp/bad.sasm" <<'SRC'
.arch sc1
  frob x1
  addi x1, x2, nowhere
.const K = 1 / 0
SRC
expect 1 - -- asm "$tmp/bad.sasm"
grep -q 'bad.sasm:2:3: error: unknown mnemonic' "$tmp/err" || fail "bad: 2:3 not reported"
grep -q 'bad.sasm:3:16: error: undefined constant or buffer' "$tmp/err" || fail "bad: 3:16 not reported"
grep -q 'bad.sasm:4:14: error: division by zero' "$tmp/err" || fail "bad: 4:14 not reported"
[ -e "$tmp/bad.scb" ] && fail "bad: an output file was written"
[ -s "$tmp/out" ] && fail "bad: errors went to stdout"
expect 1 'cannot|No such' -- asm "$tmp/missing.sasm"
expect 1 - -- disasm "$tmp/bad.sasm"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all asm CLI checks passed"
