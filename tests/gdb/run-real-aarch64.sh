#!/bin/sh
# Real aarch64 dump tests: make (or reuse from the cache) a kdump of a
# Debian 6.1 cloud-arm64 kernel in QEMU (tests/real/make-dump-aarch64.sh),
# then check it through the server with gdb-multiarch (real-aarch64.py).
# Usage: tests/gdb/run-real-aarch64.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server=$build/gdbserver-vmcore
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

command -v gdb-multiarch >/dev/null ||
	{ echo "gdb-multiarch not found; run mk/install-deps.sh test" >&2; exit 1; }

dir=$("$top/tests/real/make-dump-aarch64.sh")
vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")
[ -s "$vmlinux" ] || { echo "no vmlinux '$vmlinux' (from $dir/meta.txt)" >&2; exit 1; }

# session NAME [SERVER-OPTION]: real-aarch64.py through the server.
session() {
	name=$1
	shift
	echo "== $name"
	strip=1
	[ "${1:-}" != --keep-pac ] || strip=0
	if env VMC_META="$dir/meta.txt" VMC_STRIP_PAC=$strip timeout 900 \
		gdb-multiarch -nx -batch -q "$vmlinux" \
		-ex "target remote | $server -q --threads cpus $* $dir/vmcore" \
		-x "$here/real-aarch64.py" >"$tmp/$name.log" 2>&1; then
		grep -E '^(FAIL|[0-9]+ passed)' "$tmp/$name.log" || true
	else
		grep -E '^(FAIL|[0-9]+ passed)' "$tmp/$name.log" || cat "$tmp/$name.log"
		fail=$((fail + 1))
	fi
	# A check script that stopped early must not pass quietly.
	if ! grep -qE '^[0-9]+ passed, 0 failed' "$tmp/$name.log"; then
		echo "FAIL $name: no clean summary line; last lines:"
		tail -n 15 "$tmp/$name.log"
		fail=$((fail + 1))
	fi
}

# By default the server strips kernel PACs itself (what gdb 13 and older
# need for kernel addresses); with --keep-pac it serves memory as it is and
# the masks as VMCOREINFO gives them (gdb unmasks the return addresses).
session real-aarch64-default
session real-aarch64-keep-pac --keep-pac

if [ "$fail" -ne 0 ]; then
	echo "real aarch64 dump tests: $fail failure(s); logs were in $tmp"
	exit 1
fi
echo "real aarch64 dump tests: all sessions passed"
