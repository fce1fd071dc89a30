# Sourced by the tests/gdb/run-real*.sh runners (after set -eu), with the
# build directory as $1.  Sets build, here, top, server, tmp (removed on
# exit) and fail, and gives the session helpers.
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server=$build/gdbserver-vmcore
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# meta_get DUMP_DIR KEY: a value from the fixture's meta.txt.
meta_get() { sed -n "s/^$2=//p" "$1/meta.txt"; }

# gdb_session NAME COMMAND...: run COMMAND, a gdb -batch session whose
# check script (tests/gdb/checks.py) prints PASS/FAIL lines and a
# summary, with its output in $tmp/NAME.log.  Prints the failures and the
# summary; a failed session, or one that stopped before a clean summary,
# counts in $fail and shows its log.
gdb_session() {
	name=$1
	shift
	echo "== $name"
	log=$tmp/$name.log
	if "$@" >"$log" 2>&1; then
		grep -E '^(FAIL|[0-9]+ passed)' "$log" || true
	else
		grep -E '^(FAIL|[0-9]+ passed)' "$log" || cat "$log"
		fail=$((fail + 1))
		return 0
	fi
	if ! grep -qE '^[0-9]+ passed, 0 failed' "$log"; then
		echo "FAIL $name: no clean summary line; last lines:"
		tail -n 15 "$log"
		fail=$((fail + 1))
	fi
}

# runner_end WHAT: the closing line, and the exit status.
runner_end() {
	if [ "$fail" -ne 0 ]; then
		echo "$1: $fail failure(s); logs were in $tmp"
		exit 1
	fi
	echo "$1: all sessions passed"
}
