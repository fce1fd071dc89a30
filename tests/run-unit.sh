#!/bin/sh
# Run the unit-test programs and summarise.
#
# Usage: tests/run-unit.sh BUILD_DIR TEST_BINARY...
#   e.g. make build/tests/test-rsp && tests/run-unit.sh build build/tests/test-rsp
#   (`make check-unit` builds them all and calls this.)
#
# Each binary prints "PASS name" or "FAIL name: ..." lines and the summary
# "# BINARY: N passed, M failed", and exits with its number of failed
# tests; a binary killed by a signal, running longer than UNIT_TIMEOUT
# seconds (default 300) or exiting 0 without a clean summary counts as
# one failure.  Exit status: 0 if every binary passed, 1 otherwise.
#
# The tests find their data through VMC_SRCDIR (the source tree, set here
# from this script's location) and the build through VMC_BUILD (which has
# tests/mkvmcore when the synthetic generator was built).
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_DIR TEST_BINARY..." >&2
	exit 2
fi
build=$1
shift

srcdir=$(cd "$(dirname "$0")/.." && pwd)
VMC_SRCDIR=$srcdir
VMC_BUILD=$(cd "$build" 2>/dev/null && pwd || echo "$build")
export VMC_SRCDIR VMC_BUILD
# Under ASan: report leaks; let huge malloc()s fail instead of aborting.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
export ASAN_OPTIONS UBSAN_OPTIONS
timeout_s=${UNIT_TIMEOUT:-300}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmc-run-unit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

bins=0 failed_bins=0 pass=0 fail=0
failed_names=""
for bin in "$@"; do
	name=$(basename "$bin")
	bins=$((bins + 1))
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: not built ($bin)"
		failed_bins=$((failed_bins + 1))
		failed_names="$failed_names $name"
		continue
	fi
	echo "== $name"
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 5 "$timeout_s" "$bin" >"$tmp/out" 2>"$tmp/err"
	else
		"$bin" >"$tmp/out" 2>"$tmp/err"
	fi
	status=$?
	cat "$tmp/out"
	# stderr (sanitizer reports, crash output) only matters on failure.
	p=$(grep -c '^PASS ' "$tmp/out")
	f=$(grep '^FAIL ' "$tmp/out" | sed 's/^FAIL \([^:]*\):.*/\1/' | sort -u | wc -l)
	pass=$((pass + p)) fail=$((fail + f))
	# A program that exits early may exit 0: want unit.c's summary line.
	summary=0
	grep -qE "^# $name: [0-9]+ passed, 0 failed\$" "$tmp/out" || summary=1
	if [ "$status" -ne 0 ] || [ "$f" -ne 0 ] || [ "$summary" -ne 0 ]; then
		if [ "$status" -eq 0 ] && [ "$f" -eq 0 ]; then
			echo "FAIL $name: exit status 0 without a clean summary line"
			fail=$((fail + 1))
		elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
			echo "FAIL $name: timed out after ${timeout_s}s"
		elif [ "$status" -gt 100 ]; then
			echo "FAIL $name: exit status $status (crashed?)"
		fi
		if [ -s "$tmp/err" ]; then
			echo "-- $name stderr:"
			tail -n 60 "$tmp/err"
		fi
		failed_bins=$((failed_bins + 1))
		failed_names="$failed_names $name"
	fi
done

echo "== unit tests: $pass passed, $fail failed" \
     "($bins programs, $failed_bins failing${failed_names:+:$failed_names})"
[ "$failed_bins" -eq 0 ]
