#!/bin/sh
# kdump-compressed and flattened dumps, end to end, on a real crash.
#
# Usage: tests/kdump/run.sh BUILD_DIR     (make check-kdump)
#
# 1. Makes (or reuses) the 4-level real dump and its encodings
#    (tests/kdump/encodings.sh): makedumpfile -c/-l/raw at dump levels 0,
#    1 and 31, -F, and mkkdump's snappy, zstd, 32-bit-header, incomplete
#    and out-of-order flattened files.
# 2. The encoder: mkkdump's zlib files are byte for byte makedumpfile's,
#    and its flattened stream, rearranged by `makedumpfile -R`, is its
#    kdump file.
# 3. cmppages: every physical page of every encoding against the ELF
#    vmcore, through libvmcore (excluded pages as the dump level allows,
#    lost pages only in the incomplete dump).
# 4. drgn (Debian 13's: libkdumpfile and its own ELF reader, readers we
#    did not write) hashes a sample of pages of the vmcore and of each
#    encoding (split sets file by file); they must match ours.  Only the
#    encodings marked nodrgn=1 are not compared, and that is said.
# 5. gdb: tests/gdb/real.py (VMC_QUICK=1) against every readable
#    encoding, as tests/gdb/run-real.sh runs it on the ELF vmcore; and
#    tests/kdump/pages.py: a present page holds the bytes drgn read,
#    excluded pages fail with "Cannot access memory" and read as zeros
#    with `monitor zero-excluded on` or --zero-excluded, monitor info
#    counts makedumpfile's excluded pages; the incomplete dump opens with
#    a warning and what it lost fails.
#
# Prints PASS/FAIL per check and a
# summary; exits 1 if anything failed.  Jobs run $KDUMP_JOBS at a time
# (default: the number of CPUs).  gdb keeps an index of vmlinux in
# DUMPDIR/encodings/gdb-index, which makes loading it 20 times faster.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server=$build/gdbserver-vmcore
ELFCONV=$build/elfconv
export ELFCONV
cmppages=$build/tests/cmppages
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmc-kdump.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
jobs=${KDUMP_JOBS:-$(nproc 2>/dev/null || echo 2)}
start=$(date +%s)

pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
section() { echo "== $1 (at $(($(date +%s) - start)) s)"; }
bad() { echo "FAIL $1${2:+: $2}"; fail=$((fail + 1)); }

for f in "$server" "$cmppages" "$build/tests/mkkdump"; do
	[ -x "$f" ] || { bad "setup" "$f is not built (make check-kdump)"; exit 1; }
done

# Encodings and what to expect of them: NAME LEVEL KIND [CHECKS]
#   read        our reader must read it: cmppages, drgn, gdb
#   incomplete  read, but the pages past the cut are lost
#   phys        our reader must read its pages (cmppages, drgn) and call
#               its architecture arch=NAME; not a target for real.py
#   refuse      our reader must refuse it, naming machine=NAME; drgn must
#               read the reference's bytes from it (checks the encoder)
#   split       the files of a split set (makedumpfile --split): read as
#               one dump, given in reverse order; drgn takes one file only
#   nodrgn=1    drgn is not asked: the header names a machine drgn does
#               not read either (it opens the file and reads no page)
#   same=NAME   byte for byte that file;  flat=NAME  rearranged, that file
# mk-header32 is what a 32-bit makedumpfile writes (machine i686): the
# pages are this x86_64 guest's, but the header says i386, so the reader
# must take it as an i386 dump (phys: only its physical pages are
# checked, and that the server calls it i386); mk-header32-mips names a
# machine we do not support.  mk-header32-x86_64 is the same layout with
# machine x86_64, as QEMU's dump-guest-memory writes a guest that is not
# in long mode: the reader must notice the layout from the header itself.
expect='
mdf-zlib-d31        31 read
mdf-lzo-d31         31 read
mdf-none-d31        31 read
mdf-zlib-d1          1 read
mdf-zlib-d0          0 read
mdf-flat-zlib-d31   31 read
mk-zlib-d0           0 read same=mdf-zlib-d0
mk-zlib-d1share      1 read same=mdf-zlib-d1
mk-snappy-d0         0 read
mk-zstd-d0           0 read
mk-snappy-d1         1 read
mk-zstd-d1           1 read
mk-flat-snappy-d1    1 read flat=mk-snappy-d1
mk-header32          0 phys arch=i386
mk-header32-mips     0 refuse machine=mips nodrgn=1
mk-header32-x86_64   0 read
mk-incomplete        0 incomplete
split-lzo-d1         1 split
split-zlib-d31      31 split
'

dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4) || { bad "real dump" "tests/real/make-dump-x86_64.sh failed"; exit 1; }
vmcore=$dir/vmcore
vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")
"$here/encodings.sh" "$dir" "$build" >"$tmp/list" || { bad "encodings" "tests/kdump/encodings.sh failed"; exit 1; }
path_of() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/list"; }
# The files of NAME as arguments: a split set's in reverse order (the
# reader must sort them itself).
files_of() { path_of "$1" | tr ',' '\n' | sort -r | tr '\n' ' '; }
field() { echo "$expect" | awk -v n="$1" -v k="$2" '$1 == n { for (i = 4; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }'; }

names=$(echo "$expect" | awk 'NF { print $1 }')
for n in $names; do
	[ -n "$(path_of "$n")" ] || bad "encoding $n" "encodings.sh did not make it"
done
while read -r n _; do
	echo "$expect" | awk -v n="$n" '$1 == n { f = 1 } END { exit !f }' ||
		bad "encoding $n" "no expectations for it in run.sh"
done <"$tmp/list"

# --- job pool: run "$@" in the background, at most $jobs at a time -------
pids=""
spawn() {
	# shellcheck disable=SC2086
	if [ "$(echo $pids | wc -w)" -ge "$jobs" ]; then
		first=${pids%% *}
		wait "$first" || true
		pids=${pids#"$first"}
		pids=${pids# }
	fi
	"$@" &
	pids="${pids:+$pids }$!"
}
wait_all() { for p in $pids; do wait "$p" || true; done; pids=""; }

# --- 2. the encoder against makedumpfile ----------------------------------
section "encoder"
for n in $names; do
	if other=$(field "$n" same) && [ -n "$other" ]; then
		if cmp -s "$(path_of "$n")" "$(path_of "$other")"; then
			ok "mkkdump $n is byte for byte makedumpfile's $other"
		else
			bad "mkkdump $n is byte for byte makedumpfile's $other" "$(cmp "$(path_of "$n")" "$(path_of "$other")" 2>&1 | head -n 1)"
		fi
	fi
	if other=$(field "$n" flat) && [ -n "$other" ]; then
		if makedumpfile -R "$tmp/rearranged" <"$(path_of "$n")" >"$tmp/R.log" 2>&1 &&
		   cmp -s "$tmp/rearranged" "$(path_of "$other")"; then
			ok "makedumpfile -R of $n is $other"
		else
			bad "makedumpfile -R of $n is $other" "$(tail -n 2 "$tmp/R.log")"
		fi
		rm -f "$tmp/rearranged"
	fi
done

# --- 3. every page against the ELF vmcore ---------------------------------
section "cmppages (every page against the ELF vmcore)"
cmp_job() {	# NAME LEVEL KIND
	case $3 in
	incomplete) set -- "$1" --level "$2" --incomplete ;;
	*) set -- "$1" --level "$2" ;;
	esac
	n=$1
	shift
	# shellcheck disable=SC2046 # one argument per file
	if "$cmppages" "$@" "$vmcore" $(files_of "$n") >"$tmp/cmp.$n" 2>&1; then
		echo 0 >"$tmp/cmp.$n.rc"
	else
		echo 1 >"$tmp/cmp.$n.rc"
	fi
}
echo "$expect" | while read -r n level kind rest; do
	[ -n "$n" ] || continue
	case $kind in read|incomplete|split|phys) echo "$n $level $kind" ;; esac
done >"$tmp/cmplist"
while read -r n level kind; do
	spawn cmp_job "$n" "$level" "$kind"
done <"$tmp/cmplist"
wait_all
while read -r n level kind; do
	summary=$(grep -E 'pages compared' "$tmp/cmp.$n" | sed 's/^ *//')
	if [ "$(cat "$tmp/cmp.$n.rc")" = 0 ]; then
		ok "cmppages $n: $summary"
	else
		bad "cmppages $n" "$(cat "$tmp/cmp.$n")"
	fi
done <"$tmp/cmplist"

# cmppages itself: one flipped byte of page data must be caught.
cp "$(path_of mdf-none-d31)" "$tmp/flipped"
python3 -c 'import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(-100, os.SEEK_END); b = f.read(1)
    f.seek(-100, os.SEEK_END); f.write(bytes([b[0] ^ 0x40]))' "$tmp/flipped"
if "$cmppages" --level 31 "$vmcore" "$tmp/flipped" >"$tmp/cmp.flipped" 2>&1; then
	bad "cmppages catches a flipped byte" "it passed: $(tail -n 1 "$tmp/cmp.flipped")"
elif grep -q 'bytes differ' "$tmp/cmp.flipped"; then
	ok "cmppages catches a flipped byte: $(grep -m 1 MISMATCH "$tmp/cmp.flipped" | sed 's/^ *//')"
else
	bad "cmppages catches a flipped byte" "$(cat "$tmp/cmp.flipped")"
fi
rm -f "$tmp/flipped"

# --- refused files --------------------------------------------------------
section "refused"
for n in $names; do
	m=$(field "$n" machine)
	[ -n "$m" ] || continue
	if "$server" -q "$(path_of "$n")" </dev/null >/dev/null 2>"$tmp/refuse.$n"; then
		bad "server refuses $n" "it opened it"
	elif grep -q "\"$m\" machine" "$tmp/refuse.$n"; then
		ok "server refuses $n, naming the machine ($m)"
	else
		bad "server refuses $n, naming the machine ($m)" "$(cat "$tmp/refuse.$n")"
	fi
done

for n in $names; do
	a=$(field "$n" arch)
	[ -n "$a" ] || continue
	"$server" "$(path_of "$n")" </dev/null >/dev/null 2>"$tmp/arch.$n" || true
	if grep -q "^gdbserver-vmcore: .*[;,] $a, Linux" "$tmp/arch.$n"; then
		ok "server takes $n as $a"
	else
		bad "server takes $n as $a" "$(cat "$tmp/arch.$n")"
	fi
done

# Split sets given wrongly: each refused with a message saying what is
# wrong.  refuse_set WHAT PATTERN FILE...
refuse_set() {
	what=$1 pattern=$2
	shift 2
	if "$server" -q "$@" </dev/null >/dev/null 2>"$tmp/refuse.set"; then
		bad "server refuses $what" "it opened them"
	elif grep -q "$pattern" "$tmp/refuse.set"; then
		ok "server refuses $what: $(head -n 1 "$tmp/refuse.set" | sed "s|$dir/encodings/||g")"
	else
		bad "server refuses $what" "$(cat "$tmp/refuse.set")"
	fi
}
# shellcheck disable=SC2046
set -- $(path_of split-lzo-d1 | tr ',' ' ')
refuse_set "a split set with a file missing" "a file of the set is missing" "$1" "$3"
refuse_set "a split set with the last file missing" "a file of the set is missing" "$1" "$2"
refuse_set "a split file given twice" "given twice" "$1" "$2" "$2" "$3"
refuse_set "a split file with a whole dump" "not a file of a split dump set" "$1" "$(path_of mdf-zlib-d31)"
refuse_set "files of two different split dumps" "different split dumps" "$1" "$2" "$(path_of split-zlib-d31 | cut -d, -f2)"

# --- 4. drgn ---------------------------------------------------------------
# The reference for every page checked below is drgn's (Debian 13's, from
# tests/real/trixie-root.sh: libkdumpfile for kdump-compressed and
# flattened files, drgn's own ELF reader for the vmcore).  It must read
# every encoding, and the files of a split set (one file at a time); the
# only encodings it is not asked about are those marked nodrgn=1 above.
section "drgn (libkdumpfile) on a sample of pages"
"$cmppages" --hash-sample "$vmcore" >"$tmp/ours.vmcore"
: >"$tmp/ref.hash"
if ! trixie=$("$top/tests/real/trixie-root.sh"); then
	bad "drgn" "tests/real/trixie-root.sh failed (drgn comes from its Debian 13 root)"
elif ! "$trixie/python3" "$here/drgn_pages.py" "$vmcore" <"$tmp/ours.vmcore" \
	>"$tmp/ref.hash" 2>"$tmp/ref.err"; then
	bad "drgn reads the ELF vmcore" "$(cat "$tmp/ref.hash" "$tmp/ref.err")"
elif ! cmp -s "$tmp/ours.vmcore" "$tmp/ref.hash"; then
	bad "drgn reads the ELF vmcore as ours" "$(diff "$tmp/ours.vmcore" "$tmp/ref.hash" | grep -c '^[<>]') lines differ"
else
	ok "drgn reads the ELF vmcore as ours: $(wc -l <"$tmp/ref.hash") pfns, $(grep -vc ' -$' "$tmp/ref.hash") readable"
	echo "$expect" | while read -r n level kind rest; do
		[ -n "$n" ] || continue
		[ -n "$(path_of "$n")" ] || continue
		if [ "$(field "$n" nodrgn)" = 1 ]; then
			echo "NOTE drgn is not asked about $n: its header names machine $(field "$n" machine), which drgn does not read either (it opens the file and reads none of its pages)"
			continue
		fi
		# shellcheck disable=SC2046 # one argument per file
		"$trixie/python3" "$here/drgn_pages.py" $(files_of "$n") \
			<"$tmp/ref.hash" >"$tmp/drgn.$n" 2>"$tmp/drgn.$n.err" && rc=0 || rc=$?
		# shellcheck disable=SC2046 # one argument per file
		case $kind in
		refuse) want=$tmp/ref.hash what="the ELF vmcore's" ;;
		*) "$cmppages" --hash-pfns $(files_of "$n") <"$tmp/ref.hash" >"$tmp/ours.$n" 2>&1 || true
		   want=$tmp/ours.$n what="ours" ;;
		esac
		npages=$(grep -vc ' -$' "$tmp/drgn.$n" || true)
		if [ "$rc" = 0 ] && cmp -s "$want" "$tmp/drgn.$n"; then
			echo "PASS drgn reads $n as $what: $(wc -l <"$tmp/ref.hash") pfns, $npages readable"
		elif [ "$rc" != 0 ]; then
			echo "FAIL drgn reads $n: exit status $rc: $(cat "$tmp/drgn.$n" "$tmp/drgn.$n.err" | head -n 5 | tr '\n' ' ')"
		else
			echo "FAIL drgn reads $n as $what: $(diff "$want" "$tmp/drgn.$n" | grep -c '^[<>]') lines differ, first: $(diff "$want" "$tmp/drgn.$n" | grep '^[<>]' | head -n 2 | tr '\n' ' ')"
		fi
	done >"$tmp/drgn.out"
	cat "$tmp/drgn.out"
	pass=$((pass + $(grep -c '^PASS' "$tmp/drgn.out" || true)))
	fail=$((fail + $(grep -c '^FAIL' "$tmp/drgn.out" || true)))
fi

# --- 5. gdb ------------------------------------------------------------------
section "gdb"
idx=$dir/encodings/gdb-index
mkdir -p "$idx"
gdb_job() {	# NAME SCRIPT DUMP [SERVER-OPTION] -- ENV...
	name=$1 script=$2 dump=$3 opt=$4
	shift 5
	if env VMC_META="$dir/meta.txt" "$@" timeout 300 gdb -nx -batch -q \
		-iex "set index-cache directory $idx" -iex "set index-cache enabled on" \
		-iex "source $top/gdbserver-vmcore/vmcore-orc.py" "$vmlinux" -ex "target remote | $server -q --threads cpus $opt $dump" \
		-x "$script" >"$tmp/gdb.$name" 2>&1; then
		echo 0 >"$tmp/gdb.$name.rc"
	else
		echo 1 >"$tmp/gdb.$name.rc"
	fi
}
gdb_report() {	# a script that dies early exits 0 too: want its summary
	if [ "$(cat "$tmp/gdb.$1.rc")" = 0 ] &&
	   grep -Eq '^[0-9]+ passed, 0 failed' "$tmp/gdb.$1"; then
		ok "gdb $1: $(grep -E '^[0-9]+ passed' "$tmp/gdb.$1")"
	else
		bad "gdb $1" "$(grep -E '^(FAIL|[0-9]+ passed)' "$tmp/gdb.$1" || tail -n 20 "$tmp/gdb.$1")"
	fi
}

# Pages for pages.py, as drgn read them (section 4): a present, non-zero
# page of the -d 31 dump with its hash, and one the dump excluded (the
# middle one of those the vmcore has and the -d 31 dump does not).  The
# number of pages it excluded is makedumpfile's own: its report for the
# same vmcore and dump level, less the zero pages (at -d 31 makedumpfile
# writes those as one shared zero page, so they read as zeros).
zero=$(python3 -c 'import zlib; d = bytes(4096); print("%08x%08x" % (zlib.crc32(d), zlib.adler32(d)))')
d31=$(path_of mdf-zlib-d31)
inc=$(path_of mk-incomplete)
touch "$tmp/drgn.mdf-zlib-d31"
present=$(awk -v z="$zero" '$2 != "-" && $2 != z { print $1 "=" $2; exit }' "$tmp/drgn.mdf-zlib-d31")
awk 'NR == FNR { if ($2 != "-") have[$1] = 1; next }
     $2 == "-" && ($1 in have) { print $1 }' "$tmp/ref.hash" "$tmp/drgn.mdf-zlib-d31" >"$tmp/d31.excluded"
excluded=$(awk -v n="$((($(wc -l <"$tmp/d31.excluded") + 1) / 2))" 'NR == n { print; exit }' "$tmp/d31.excluded")
makedumpfile -d 31 --dry-run --show-stats "$vmcore" "$tmp/dry-run.kdump" >"$tmp/d31.stats" 2>&1 || true
e=$(sed -n 's/^ *Excluded pages *: *\(0x[0-9a-f]*\)$/\1/p' "$tmp/d31.stats")
z=$(sed -n 's/^ *Pages filled with zero *: *\(0x[0-9a-f]*\)$/\1/p' "$tmp/d31.stats")
nexcl=""
[ -z "$e" ] || [ -z "$z" ] || nexcl=$((e - z))
if [ -z "$present" ] || [ -z "$excluded" ] || [ -z "$nexcl" ]; then
	bad "pages for gdb" "present '$present' excluded '$excluded' count '$nexcl' (makedumpfile: $(tail -n 3 "$tmp/d31.stats" | tr '\n' ' '))"
fi

# The first run alone writes the vmlinux index the others use.
gdb_job real-mdf-zlib-d31 "$top/tests/gdb/real.py" "$d31" "" -- VMC_QUICK=1
gdb_report real-mdf-zlib-d31
echo "$expect" | awk 'NF && ($3 == "read" || $3 == "split") && $1 != "mdf-zlib-d31" { print $1 }' >"$tmp/gdblist"
while read -r n; do
	spawn gdb_job "real-$n" "$top/tests/gdb/real.py" "$(files_of "$n")" "" -- VMC_QUICK=1
done <"$tmp/gdblist"
# One file of a split set alone: it opens with a warning, and what the
# other files hold fails to read.  Which file holds the kernel image
# depends on where KASLR put it: take one that holds neither symbol.
lone=$(python3 - "$dir/meta.txt" "$dir/vmcoreinfo.txt" $(files_of split-lzo-d1) <<'PY'
import re, subprocess, sys
meta = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]) if "=" in l and l[0] != "#")
vi = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[2]) if "=" in l)
phys_base = int(vi["NUMBER(phys_base)"])
pas = [int(meta["KSYM_" + s], 16) - 0xffffffff80000000 + phys_base
       for s in ("linux_banner", "init_task")]
for f in sys.argv[3:]:
    out = subprocess.run(["sh", "-c", 'exec "$ELFCONV" --info "$1"', "sh", f],
                         capture_output=True, text=True).stdout
    m = re.search(r"holds physical 0x([0-9a-f]+)-0x([0-9a-f]+) only", out)
    if m and all(not (int(m[1], 16) <= pa < int(m[2], 16)) for pa in pas):
        print(f)
        break
PY
)
[ -n "$lone" ] || bad "split-lone-part" "no file of split-lzo-d1 lacks the kernel image"
spawn gdb_job split-lone-part "$here/pages.py" "$lone" "" -- \
	VMC_INFO_HAS="split part|one file of a split dump set" \
	VMC_UNREADABLE="linux_banner init_task"
spawn gdb_job excluded-d31 "$here/pages.py" "$d31" "" -- \
	VMC_PAGES="$present ${excluded}=-" VMC_EXCLUDED="$excluded" \
	VMC_INFO_HAS="dump level 31, $nexcl pages excluded; they read as errors"
spawn gdb_job zero-excluded-option-d31 "$here/pages.py" "$d31" --zero-excluded -- \
	VMC_PAGES="$present" VMC_EXCLUDED="$excluded" VMC_ZERO_START=1
# Half the incomplete dump is lost, the kernel image with it, so no
# virtual address translates: the pages can be checked only by cmppages.
spawn gdb_job incomplete "$here/pages.py" "$inc" "" -- \
	VMC_INFO_HAS="incomplete" VMC_UNREADABLE="linux_banner init_task"
wait_all
while read -r n; do gdb_report "real-$n"; done <"$tmp/gdblist"
gdb_report excluded-d31
gdb_report zero-excluded-option-d31
gdb_report incomplete
gdb_report split-lone-part

echo "kdump tests: $pass passed, $fail failed ($(($(date +%s) - start)) s)"
[ "$fail" -eq 0 ]
