#!/usr/bin/env bash
# test_cli.sh SEEDCHIP: the CLI's global contract: --help and --version on stdout
# with exit 0; bad usage on stderr with usage text and exit 2.
set -u
bin=$1
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect <exit-code> <stdout-regex|-> <stderr-regex|-> -- args...
expect() {
  local want=$1 out_re=$2 err_re=$3
  shift 4
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  local what="seedchip $*"
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"; cat "$tmp/err"; fails=$((fails + 1)); return
  fi
  if [ "$out_re" != - ] && ! grep -Eq -- "$out_re" "$tmp/out"; then
    echo "FAIL: $what: stdout does not match /$out_re/"; cat "$tmp/out"; fails=$((fails + 1)); return
  fi
  if [ "$err_re" != - ] && ! grep -Eq -- "$err_re" "$tmp/err"; then
    echo "FAIL: $what: stderr does not match /$err_re/"; cat "$tmp/err"; fails=$((fails + 1)); return
  fi
  echo "ok: $what"
}

expect 0 '^usage: seedchip' - -- --help
expect 0 '^  arch ' - -- --help
expect 0 '^seedchip [0-9]+\.[0-9]+\.[0-9]+$' - -- --version
expect 2 - '^usage: seedchip' --
expect 2 - "unknown command 'frobnicate'" -- frobnicate
expect 2 - "unknown option '--bogus'" -- --bogus
# Errors never go to stdout.
"$bin" frobnicate >"$tmp/out" 2>/dev/null
[ -s "$tmp/out" ] && { echo "FAIL: usage error wrote to stdout"; fails=$((fails + 1)); }

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all CLI checks passed"
