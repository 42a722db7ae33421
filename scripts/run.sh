#!/usr/bin/env bash
# run.sh: installs what is missing, builds the release binary and runs the main job
# on built-in defaults. Extra arguments replace the default job's arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
if [ $# -eq 0 ]; then set -- bench; fi
exec build/release/tools/seedchip "$@"
