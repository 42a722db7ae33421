#!/usr/bin/env bash
# test.sh [preset]: installs what is missing, builds with warnings as errors and
# runs every test of the preset (dev by default; asan for the sanitizer build).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
scripts/install-deps.sh
cmake --preset "$preset" -DSC_WERROR=ON
cmake --build --preset "$preset"
ctest --preset "$preset" -j "$(nproc)"
