#!/bin/sh
# make bench: each figure against its anchor, measured in the same run.
# Usage: bench/run.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
exec python3 "$top/bench/bench.py" --build "$build" --dump-dir "$dir"
