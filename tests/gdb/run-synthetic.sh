#!/bin/sh
# gdb against synthetic dumps from tests/gen/mkvmcore: layouts the real
# fixture cannot give (ELF32 containers, truncation, no page tables...).
# Usage: tests/gdb/run-synthetic.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
gdb=gdb

# variant NAME MKVMCORE-OPTIONS...: synthetic.py with $gdb on that dump.
variant() {
	name=$1
	shift
	"$build/tests/mkvmcore" "$@" --expect "$tmp/$name.exp" "$tmp/$name.vmcore"
	if VMC_EXPECT="$tmp/$name.exp" VMC_DUMP="$tmp/$name.vmcore" timeout 300 "$gdb" -nx -batch -q \
		-ex "target remote | $build/gdbserver-vmcore -q $tmp/$name.vmcore" \
		-x "$here/synthetic.py" >"$tmp/$name.log" 2>&1 &&
		# a script that dies early exits 0 too: want its clean summary
		grep -qE '^[0-9]+ passed, 0 failed$' "$tmp/$name.log"; then
		printf '%-28s %s\n' "$name" "$(grep -E '^[0-9]+ passed' "$tmp/$name.log")"
	else
		printf '%-28s FAILED\n' "$name"
		grep -E '^FAIL' "$tmp/$name.log" || cat "$tmp/$name.log"
		fail=$((fail + 1))
	fi
	rm -f "$tmp/$name.vmcore"
}

variant default
variant 5level --levels 5
variant elf32 --class 32
variant no-kaslr --kaslr 0
variant 4cpus-panic0 --cpus 4 --panic-cpu 0
variant no-swapper --no-swapper
# Cut in the middle of the last RAM segment.
variant truncated --truncate 50000000
variant 5level-elf32-truncated --levels 5 --class 32 --truncate 40000000

# gdb 16 (Debian 13's, tests/real/trixie-root.sh: binary 'x' reads) on
# the default layout and the 5-level one.
gdb=$("$here/../real/trixie-root.sh")/gdb
variant default-gdb16
variant 5level-gdb16 --levels 5

[ "$fail" -eq 0 ] || { echo "synthetic gdb tests: $fail variant(s) failed"; exit 1; }
echo "synthetic gdb tests: all variants passed"
