#!/bin/sh
# make bench: each figure against its anchor, measured in the same run.
# Usage: bench/run.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
# gdb 16 and drgn 0.0.31 (Debian 13's) as the second client and drgn,
# and an sshd on 127.0.0.1 for the --wrap figures.
trixie=$("$top/tests/real/trixie-root.sh")
gdb16=$trixie/gdb
. "$top/tests/wrap/lib-sshd.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmc-bench.XXXXXX")
trap 'sshd_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
sshd_start "$tmp"
python3 "$top/bench/bench.py" --build "$build" --dump-dir "$dir" \
	--gdb16 "$gdb16" --drgn-python "$trixie/python3" --ssh "$sshd_ssh" \
	--makedumpfile "$trixie/makedumpfile"
