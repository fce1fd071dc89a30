#!/bin/sh
# The dump-level filter (libkernel/dumplevel.c) against makedumpfile on
# real dumps.
#
# Usage: tests/kdump/dumplevel.sh BUILD_DIR     (make check-dumplevel)
#
# 1. On the 4-level and 5-level x86_64 kdumps (tests/real/make-dump-
#    x86_64.sh): Debian 13's makedumpfile 1.7.6 (tests/real/trixie-
#    root.sh) filters each at dump levels 31, 0, 1, 2, 4, 8 and 16 (each
#    bit alone); BUILD_DIR/tests/dlcheck runs our filter over the same
#    vmcore, window by window as the kdump writer does, and no page
#    makedumpfile keeps may be left out by us.  The pages we keep that
#    makedumpfile leaves out are counted ("extra": space, not data).
#    makedumpfile's choice is cached as the list of pfns it left out
#    (DUMPDIR/dumplevel/, keyed by makedumpfile's version and options).
# 2. The windows do not matter: windows of 8 pfns (free blocks and huge
#    pages carried from one window into the next) keep exactly the pages
#    one window per 2^18 pfns keeps.
# 3. End to end: `elfconv --format kdump --dump-level 31` (the kdump
#    writer with this filter) with zstd and lzo is byte for byte
#    makedumpfile 1.7.6's `-z -d 31` and `-l -d 31`, and it says nothing
#    is in doubt.
# 4. Memory: on a synthetic 64 GiB machine (tests/gen/mkmemmap, 99% of
#    it free blocks) the filter leaves out exactly the free pages, with a
#    peak RSS (dlcheck's, window bitmap included) under 64 MiB.
# 5. On the aarch64 and i386 (PAE and not) kdumps, the same against
#    Debian 13's makedumpfile 1.7.6 built for those architectures, run by
#    qemu-user (tests/real/makedumpfile-cross.sh; Debian's amd64 build
#    cannot read them) at -d 31 (and -d 1 on PAE, whose PG_hwpoison makes
#    both read struct pages even there); the filter finds the memory
#    model, leaves out free, cache and user pages, and has no doubt.
# Prints PASS/FAIL per check; exits 1 if anything failed.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dlcheck=$build/tests/dlcheck
cmppages=$build/tests/cmppages
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmc-dumplevel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1${2:+: $2}"; fail=$((fail + 1)); }
val() { sed -n "s/\(^\|.* \)$1 \([0-9]*\).*/\2/p" "$2" | tail -n 1; }

for f in "$dlcheck" "$cmppages"; do
	[ -x "$f" ] || { bad "setup" "$f is not built (make check-dumplevel)"; exit 1; }
done
trixie=$("$top/tests/real/trixie-root.sh") ||
	{ bad "setup" "tests/real/trixie-root.sh failed (makedumpfile 1.7.6 comes from its Debian 13 root)"; exit 1; }
mdf=$trixie/makedumpfile
mdf_id="makedumpfile $("$mdf" -v 2>&1 | sed -n 's/^makedumpfile: version \([^ ]*\).*/\1/p')"

# excluded DUMPDIR LEVEL [MAKEDUMPFILE]: the file listing the pfns
# makedumpfile ($mdf by default) leaves out of DUMPDIR/vmcore at LEVEL
# (made once, then cached).
excluded() {
	cache=$1/dumplevel list=$1/dumplevel/mdf-d$2.excluded
	m=${3:-$mdf}
	recipe="$("$m" -v 2>&1 | head -n 1) -l -d $2"
	mkdir -p "$cache"
	(
		flock 9
		if [ "$(cat "$list.recipe" 2>/dev/null)" != "$recipe" ]; then
			rm -f "$list" "$list.recipe"
			"$m" -l -d "$2" --message-level 0 "$1/vmcore" "$tmp/out.kdump" >&2 &&
				"$cmppages" --excluded "$tmp/out.kdump" >"$list.tmp" &&
				mv "$list.tmp" "$list" &&
				echo "$recipe" >"$list.recipe"
			rm -f "$tmp/out.kdump" "$list.tmp"
		fi
	) 9>"$cache/.lock"
	[ -f "$list" ] && echo "$list"
}

# against NAME DUMPDIR LEVEL [MAKEDUMPFILE]: our filter against
# makedumpfile's.
against() {
	if ! list=$(excluded "$2" "$3" "${4:-}"); then
		bad "$1 -d $3" "makedumpfile -d $3 failed"
		return
	fi
	start=$(date +%s%N)
	"$dlcheck" --level "$3" --ref-excluded "$list" "$2/vmcore" \
		>"$tmp/out" 2>&1 && rc=0 || rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	v=$(val violations "$tmp/out") x=$(val extra "$tmp/out")
	ram=$(val ram "$tmp/out") kept=$(val kept "$tmp/out")
	rkept=$(sed -n 's/^reference kept \([0-9]*\).*/\1/p' "$tmp/out")
	if [ "$rc" = 0 ] && [ "$v" = 0 ] && ! grep -q '^warning' "$tmp/out"; then
		ok "$1 -d $3: no page makedumpfile keeps is left out ($kept of $ram pages kept, makedumpfile $rkept, extra $x; ${ms} ms)"
	else
		bad "$1 -d $3" "$(grep -E '^(violation|warning|level|reference)' "$tmp/out" | head -n 12)"
	fi
}

# windows NAME VMCORE: windows of 8 pfns keep what big windows keep.
windows() {
	"$dlcheck" --level 31 "$2" >"$tmp/big" 2>&1 || true
	"$dlcheck" --level 31 --window 8 "$2" >"$tmp/small" 2>&1 || true
	a=$(sed -n 's/.* digest //p' "$tmp/big") b=$(sed -n 's/.* digest //p' "$tmp/small")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		ok "$1: windows of 8 pfns keep the same pages as windows of 2^18 (digest $a)"
	else
		bad "$1: windows of 8 pfns keep the same pages as windows of 2^18" "'$a' vs '$b'"
	fi
}

# clean NAME VMCORE MODEL: no reference, but no doubt either.
clean() {
	"$dlcheck" --level 31 "$2" >"$tmp/out" 2>&1 || true
	line=$(grep '^level 31' "$tmp/out" || true)
	if echo "$line" | grep -q "($3)" &&
	   [ "$(val free "$tmp/out")" -gt 0 ] && [ "$(val cache "$tmp/out")" -gt 0 ] &&
	   [ "$(val user "$tmp/out")" -gt 0 ] &&
	   echo "$line" | grep -q 'unreadable 0, suspect 0$' &&
	   ! grep -q '^warning' "$tmp/out"; then
		ok "$1 -d 31: $3, no doubt: ${line#*: }"
	else
		bad "$1 -d 31 ($3, no doubt)" "$(head -n 8 "$tmp/out")"
	fi
}

echo "== x86_64 against $mdf_id"
d4=$("$top/tests/real/make-dump-x86_64.sh" --levels 4) ||
	{ bad "setup" "tests/real/make-dump-x86_64.sh --levels 4 failed"; exit 1; }
for level in 31 0 1 2 4 8 16; do
	against "x86_64 4-level" "$d4" "$level"
done
if d5=$("$top/tests/real/make-dump-x86_64.sh" --levels 5); then
	against "x86_64 5-level" "$d5" 31
else
	bad "setup" "tests/real/make-dump-x86_64.sh --levels 5 failed"
fi
windows "x86_64 4-level" "$d4/vmcore"

# e2e NAME ALG MDF_OPTION: elfconv against makedumpfile, same options.
e2e() {
	rm -f "$tmp/ours.kdump" "$tmp/mdf.kdump"
	if ! "$build/elfconv" --format kdump --compress "$2" --dump-level 31 \
		"$d4/vmcore" "$tmp/ours.kdump" >"$tmp/e2e.out" 2>&1; then
		bad "$1" "elfconv failed: $(head -n 3 "$tmp/e2e.out")"
	elif ! "$mdf" "$3" -d 31 --message-level 0 "$d4/vmcore" "$tmp/mdf.kdump"; then
		bad "$1" "makedumpfile $3 -d 31 failed"
	elif grep -q warning "$tmp/e2e.out"; then
		bad "$1" "$(grep warning "$tmp/e2e.out" | head -n 3)"
	elif cmp -s "$tmp/ours.kdump" "$tmp/mdf.kdump"; then
		ok "$1 ($(stat -c %s "$tmp/ours.kdump") bytes)"
	else
		bad "$1" "$(cmp "$tmp/ours.kdump" "$tmp/mdf.kdump" 2>&1 | head -n 1)"
	fi
}
e2e "elfconv --compress zstd --dump-level 31 is byte for byte makedumpfile -z -d 31" zstd -z
e2e "elfconv --compress lzo --dump-level 31 is byte for byte makedumpfile -l -d 31" lzo -l

echo "== a synthetic 64 GiB machine"
if free=$("$build/tests/mkmemmap" --gib 64 --free-percent 99 "$tmp/big.vmcore" |
	  sed -n 's/.* free //p') && [ -n "$free" ]; then
	"$dlcheck" --level 31 "$tmp/big.vmcore" >"$tmp/out" 2>&1 || true
	out=$(val left-out "$tmp/out") rss=$(val maxrss "$tmp/out")
	if [ "$out" = "$free" ] && [ -n "$rss" ] && [ "$rss" -lt 65536 ] &&
	   ! grep -q '^warning' "$tmp/out"; then
		ok "64 GiB: the $free free pages left out, peak RSS $((rss / 1024)) MiB"
	else
		bad "64 GiB: the $free free pages left out, peak RSS under 64 MiB" "$(cat "$tmp/out")"
	fi
else
	bad "64 GiB" "tests/gen/mkmemmap failed"
fi
rm -f "$tmp/big.vmcore"

echo "== aarch64 and i386 against makedumpfile 1.7.6 built for them (qemu-user)"
cross() {	# cross ARCH NAME DUMPDIR MODEL LEVEL...
	if ! m=$("$top/tests/real/makedumpfile-cross.sh" "$1"); then
		bad "$2" "tests/real/makedumpfile-cross.sh $1 failed"
		return
	fi
	name=$2 d=$3 model=$4
	shift 4
	for level in "$@"; do
		against "$name" "$d" "$level" "$m"
	done
	clean "$name" "$d/vmcore" "$model"
	windows "$name" "$d/vmcore"
}
if da=$("$top/tests/real/make-dump-aarch64.sh"); then
	cross aarch64 aarch64 "$da" SPARSEMEM_EXTREME 31
else
	bad "setup" "tests/real/make-dump-aarch64.sh failed"
fi
# 686-pae has PG_hwpoison: at -d 1 both read the struct pages.
if di=$("$top/tests/real/make-dump-i386.sh" --flavour 686-pae --core-headers elf32); then
	cross i386 "i386 PAE" "$di" FLATMEM 31 1
else
	bad "setup" "tests/real/make-dump-i386.sh --flavour 686-pae failed"
fi
if di=$("$top/tests/real/make-dump-i386.sh" --flavour 686 --core-headers elf32); then
	cross i386 "i386" "$di" FLATMEM 31
else
	bad "setup" "tests/real/make-dump-i386.sh --flavour 686 failed"
fi

echo "dumplevel: $pass passed, $fail failed"
[ "$fail" = 0 ]
