#!/bin/sh
# Task threads (--vmlinux) on the real x86_64 kdump: a reference walk of
# the task list through the CPU view, then the task view checked against
# it (tests/gdb/real-tasks.py).  Usage: tests/gdb/run-real-tasks.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server=$build/gdbserver-vmcore
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")

# session NAME MODE SERVER-OPTIONS...
session() {
	name=$1 mode=$2
	shift 2
	echo "== $name"
	if env VMC_META="$dir/meta.txt" VMC_TASKS="$mode" VMC_REF="$tmp/ref" \
		timeout 600 gdb -nx -batch -q "$vmlinux" \
		-ex "target remote | $server -q $* $dir/vmcore" \
		-x "$here/real-tasks.py" >"$tmp/$name.log" 2>&1; then
		grep -E '^(FAIL|[0-9]+ passed)' "$tmp/$name.log" || true
	else
		grep -E '^(FAIL|[0-9]+ passed)' "$tmp/$name.log" ||
			cat "$tmp/$name.log"
		fail=$((fail + 1))
	fi
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

echo "== options"
usage "--threads tasks needs --vmlinux" "needs --vmlinux" \
	--threads tasks "$dir/vmcore"
usage "--threads takes cpus or tasks" "give cpus or tasks" \
	--threads all --vmlinux "$vmlinux" "$dir/vmcore"

session tasks-reference ref --threads cpus --vmlinux "$vmlinux"
session tasks check --vmlinux "$vmlinux"

if [ "$fail" -ne 0 ]; then
	echo "task-thread tests: $fail session(s) failed"
	exit 1
fi
echo "task-thread tests: all sessions passed"
