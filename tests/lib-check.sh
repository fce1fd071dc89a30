# Shared by the shell test scripts (sourced): a temp dir removed on exit
# (and a tmpfs at $mnt unmounted), pass/fail counting, and expect.
# EXPECT_OUTPUT=stderr (default) or all: what expect's PATTERN must match.
tmp=$(mktemp -d)
mnt=""
cleanup() {
	[ -z "$mnt" ] || umount "$mnt" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -lt 2 ] || printf '%s\n' "$2" | head -n 20 | sed 's/^/     /'; }
# expect NAME STATUS PATTERN CMD...: CMD exits STATUS and its output
# (see EXPECT_OUTPUT) matches the extended regex PATTERN (empty: anything).
expect() {
	name=$1 want=$2 pat=$3
	shift 3
	rc=0
	if [ "${EXPECT_OUTPUT:-stderr}" = all ]; then
		"$@" >"$tmp/err" 2>&1 || rc=$?
	else
		"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	fi
	if [ "$rc" = "$want" ] && { [ -z "$pat" ] || grep -qE -- "$pat" "$tmp/err"; }; then
		ok "$name"
	else
		bad "$name (exit $rc, want $want; output wants /$pat/)" "$(cat "$tmp/err")"
	fi
}
