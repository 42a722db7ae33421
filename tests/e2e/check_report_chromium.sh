#!/usr/bin/env bash
# check_report_chromium.sh: render an HTML performance report (sc_perf_report,
# `seedchip run --report`) with headless Chromium and save a screenshot, for a
# person to look at. Not a CTest: it needs Chromium, and a picture is judged
# by eye. It checks what a script can: the page is self-contained (no URL but
# the SVG namespace, no scripts) and Chromium renders it to a non-trivial PNG.
#
# usage: check_report_chromium.sh <report.html> [<out.png>] [<width>,<height>]
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: $0 <report.html> [<out.png>] [<width>,<height>]" >&2
  exit 2
fi
html=$1
png=${2:-${html%.html}.png}
size=${3:-1400,2400}

browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [[ -z $browser ]]; then
  echo "$0: no chromium found (Debian: apt-get install chromium)" >&2
  exit 1
fi
[[ -f $html ]] || { echo "$0: $html: no such file" >&2; exit 1; }

fail=0
urls=$(grep -o 'https\?://[^"'"'"' )<>]*' "$html" | grep -v '^http://www\.w3\.org/2000/svg$' || true)
if [[ -n $urls ]]; then
  echo "$0: $html: external references:" >&2
  echo "$urls" | sort -u >&2
  fail=1
fi
if grep -qi '<script' "$html"; then
  echo "$0: $html: contains a script" >&2
  fail=1
fi

abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
rm -f "$png"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --screenshot="$png" --window-size="$size" "file://$abs" >/dev/null 2>&1 || true
if [[ ! -s $png ]] || (( $(stat -c %s "$png") < 20000 )); then
  echo "$0: $browser did not render $html to $png" >&2
  exit 1
fi
echo "$png"
exit $fail
