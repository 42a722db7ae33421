#!/usr/bin/env bash
# install-deps.sh: installs the Debian 12 packages SeedChip needs, only those that
# are missing. Needs root (or sudo) when something is missing; says so otherwise.
set -euo pipefail

packages=(
  gcc libc6-dev make cmake ninja-build pkg-config   # build
  libcmocka-dev libcjson-dev zlib1g-dev             # unit tests, JSON, CRC-32
  libutf8proc-dev                                   # Unicode classes (GPT-2 BPE tokenizer)
  clang clang-format libclang-rt-14-dev             # fuzz targets, format check
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: these Debian packages are missing: ${missing[*]}" >&2
  echo "install-deps: run this script as root (or install sudo) to install them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
