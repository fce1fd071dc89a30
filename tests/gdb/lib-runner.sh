# Sourced by the tests/gdb/run-real*.sh runners (after set -eu), with the
# build directory as $1.  Sets build, here, top, server, tmp (removed on
# exit) and fail, and gives the session helpers.
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server=$build/gdbserver-vmcore
# gdb loads the ORC unwinder (x86_64 kernel entry code, IRQ stacks, pt_regs
# frames; i386 entry code's pt_regs frames) from the source tree, as an installed gdb does from its system
# gdbinit directory: gdb -iex "source $unwinder" ...
unwinder=$top/gdbserver-vmcore/vmcore-orc.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

# The second gdb client: Debian 13's gdb 16 (and gdb-multiarch 16), from
# the cached trixie root (tests/real/trixie-root.sh builds it once).
# need_gdb16 sets gdb16 and gdb16_multiarch to their commands.  gdb 16
# reads memory with the binary 'x' packet, gdb 13 with 'm'; gdb 16 runs
# through the root's loader, so its command line starts with ld.so.
need_gdb16() {
	[ -z "${gdb16:-}" ] || return 0
	gdb16_bin=$("$top/tests/real/trixie-root.sh") ||
		{ echo "no Debian 13 root for gdb 16 (tests/real/trixie-root.sh)" >&2; exit 1; }
	gdb16=$gdb16_bin/gdb
	gdb16_multiarch=$gdb16_bin/gdb-multiarch
}

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
	t0=$(date +%s)
	if "$@" >"$log" 2>&1; then
		grep -E '^(FAIL|[0-9]+ passed)' "$log" || true
		echo "($name took $(($(date +%s) - t0)) s)"
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
