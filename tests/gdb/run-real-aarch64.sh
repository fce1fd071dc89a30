#!/bin/sh
# Real aarch64 dump tests: make (or reuse from the cache) a kdump of a
# Debian 6.1 cloud-arm64 kernel in QEMU (tests/real/make-dump-aarch64.sh),
# then check it through the server with gdb-multiarch (real-aarch64.py).
# Usage: tests/gdb/run-real-aarch64.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"

command -v gdb-multiarch >/dev/null ||
	{ echo "gdb-multiarch not found; run mk/install-deps.sh test" >&2; exit 1; }

dir=$("$top/tests/real/make-dump-aarch64.sh")
vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")
[ -s "$vmlinux" ] || { echo "no vmlinux '$vmlinux' (from $dir/meta.txt)" >&2; exit 1; }

# session NAME [SERVER-OPTION]: real-aarch64.py through the server.
session() {
	name=$1
	shift
	strip=1
	[ "${1:-}" != --keep-pac ] || strip=0
	gdb_session "$name" env VMC_META="$dir/meta.txt" VMC_STRIP_PAC=$strip \
		timeout 900 gdb-multiarch -nx -batch -q "$vmlinux" \
		-ex "target remote | $server -q --threads cpus $* $dir/vmcore" \
		-x "$here/real-aarch64.py"
}

# By default the server strips kernel PACs itself (what gdb 13 and older
# need for kernel addresses); with --keep-pac it serves memory as it is and
# the masks as VMCOREINFO gives them (gdb unmasks the return addresses).
session real-aarch64-default
session real-aarch64-keep-pac --keep-pac

runner_end "real aarch64 dump tests"
