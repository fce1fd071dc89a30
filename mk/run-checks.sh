#!/bin/bash
# run-checks.sh JOBS TARGET...: `make TARGET` for each TARGET, at most JOBS
# at a time, in the order given (put the longest first).  Each part's
# output is kept in a file and printed whole when the part ends, with its
# time, so parallel parts do not interleave in the log.  The first part
# that fails stops the run: the others are killed (each runs in its own
# process group, QEMU guests included) and the exit status is 1.
#
# Used by `make check`; the parts must not share temporary files or fixed
# ports (the fixture cache has its own lock, tests/real/lib-fixture.sh).
set -u
jobs=$1; shift
make=${MAKE:-make}
start=${CHECK_START:-$(date +%s)}	# `make check` passes its own start
logs=$(mktemp -d "${TMPDIR:-/tmp}/run-checks.XXXXXX")
declare -A pid_of t0_of
running=0

kill_all() {
	local t
	for t in "${!pid_of[@]}"; do kill -TERM -- "-${pid_of[$t]}" 2>/dev/null; done
	for t in "${!pid_of[@]}"; do wait "${pid_of[$t]}" 2>/dev/null; done
}
trap 'kill_all; rm -rf "$logs"; exit 130' INT TERM HUP

launch() {
	t0_of[$1]=$(date +%s)
	setsid "$make" --no-print-directory "$1" >"$logs/$1.log" 2>&1 </dev/null &
	pid_of[$1]=$!
	running=$((running + 1))
	echo "check: $1 started (total $(( t0_of[$1] - start )) s)"
}

# finish: wait for any part to end and report it; returns its status.
finish() {
	local done_pid rc t name=""
	wait -n -p done_pid; rc=$?
	for t in "${!pid_of[@]}"; do
		[ "${pid_of[$t]}" = "$done_pid" ] && name=$t
	done
	[ -n "$name" ] || return 0
	unset "pid_of[$name]"
	running=$((running - 1))
	now=$(date +%s)
	echo "==== $name"
	cat "$logs/$name.log"
	if [ "$rc" -ne 0 ]; then
		echo "check: $name failed after $(( now - t0_of[$name] )) s (total $(( now - start )) s)"
		return 1
	fi
	echo "check: $name passed in $(( now - t0_of[$name] )) s (total $(( now - start )) s)"
}

for t in "$@"; do
	while [ "$running" -ge "$jobs" ]; do
		finish || { kill_all; rm -rf "$logs"; exit 1; }
	done
	launch "$t"
done
while [ "$running" -gt 0 ]; do
	finish || { kill_all; rm -rf "$logs"; exit 1; }
done
rm -rf "$logs"
echo "check: everything passed in $(( $(date +%s) - start )) s"
