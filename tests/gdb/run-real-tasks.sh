#!/bin/sh
# Task threads (--vmlinux) on the real kdumps (x86_64 4- and 5-level,
# aarch64, i386): a reference walk of the task list through the CPU view,
# then the task view checked against it (tests/gdb/real-tasks.py).
# Usage: tests/gdb/run-real-tasks.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server=$build/gdbserver-vmcore
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# session NAME GDB DIR MODE SERVER-OPTIONS...
session() {
	name=$1 gdb=$2 dir=$3 mode=$4
	shift 4
	vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")
	echo "== $name"
	if env VMC_META="$dir/meta.txt" VMC_TASKS="$mode" VMC_REF="$tmp/ref" \
		timeout 600 "$gdb" -nx -batch -q "$vmlinux" \
		-ex "target remote | $server -q $* --vmlinux $vmlinux $dir/vmcore" \
		-x "$here/real-tasks.py" >"$tmp/$name.log" 2>&1; then
		grep -E '^(FAIL|[0-9]+ passed)' "$tmp/$name.log" || true
	else
		grep -E '^(FAIL|[0-9]+ passed)' "$tmp/$name.log" ||
			cat "$tmp/$name.log"
		fail=$((fail + 1))
	fi
}

# dump NAME GDB DIR: the reference session, then the task session.
dump() {
	session "$1-reference" "$2" "$3" ref --threads cpus
	session "$1-tasks" "$2" "$3" check
}

# usage NAME WANT-IN-STDERR ARGS...: exit status 2 and a message.
usage() {
	name=$1 want=$2
	shift 2
	if "$server" "$@" </dev/null >/dev/null 2>"$tmp/usage.err"; then
		status=0
	else
		status=$?
	fi
	if [ "$status" -eq 2 ] && grep -q -- "$want" "$tmp/usage.err"; then
		echo "PASS $name"
	else
		echo "FAIL $name: status $status, stderr:"; cat "$tmp/usage.err"
		fail=$((fail + 1))
	fi
}

dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")
echo "== options"
usage "--threads tasks needs --vmlinux" "needs --vmlinux" \
	--threads tasks "$dir/vmcore"
usage "--threads takes cpus or tasks" "give cpus or tasks" \
	--threads all --vmlinux "$vmlinux" "$dir/vmcore"

dump x86_64-4level gdb "$dir"
dump x86_64-5level gdb "$("$top/tests/real/make-dump-x86_64.sh" --levels 5)"
command -v gdb-multiarch >/dev/null ||
	{ echo "gdb-multiarch not found; run mk/install-deps.sh test" >&2; exit 1; }
dump aarch64 gdb-multiarch "$("$top/tests/real/make-dump-aarch64.sh")"
dump i386-pae gdb "$("$top/tests/real/make-dump-i386.sh" --flavour 686-pae \
	--core-headers elf32)"

if [ "$fail" -ne 0 ]; then
	echo "task-thread tests: $fail session(s) failed; logs were in $tmp"
	exit 1
fi
echo "task-thread tests: all sessions passed"
