#!/bin/sh
# The kdump-compressed writer (elfconv --format kdump) on real dumps, read
# back by readers we did not write.
#
# Usage: tests/kdump/writer.sh BUILD_DIR [DUMPDIR]     (make check-kdump-write)
#
# DUMPDIR: the 4-level x86_64 dump of tests/real/make-dump-x86_64.sh
# (default: made or reused by it).  The other sources are the suite's
# cached fixtures: its kdump-compressed encodings (tests/kdump/encodings.sh),
# the i386 ELF32 kexec_load dump and QEMU's dump without VMCOREINFO.
#
# 1. Every compression (zstd, lzo, snappy, zlib, none): every page reads
#    back through our reader as in the ELF vmcore (cmppages), the header
#    names the compression, and the output is smaller than the vmcore.
# 2. At dump level 1 with zlib, the file is byte for byte makedumpfile's
#    `-c -d 1` (same layout, same shared zero page, same zlib stream).
# 3. The flattened stream (--flat, through a pipe): `makedumpfile -R`
#    rearranges it into the very file elfconv writes without --flat, and
#    our reader reads it in place.
# 4. Other sources: makedumpfile -d 31 files (plain, flattened and a
#    --split set) keep their excluded pages excluded and their dump level; a dump cut short
#    (mk-incomplete) and a truncated ELF vmcore give a warning, and the
#    pages they lack are flagged missing, not made up; the i386 ELF32 dump
#    (32-bit header layout, which drgn must read too; a partial page at
#    0x9fc00) and the aarch64 dump; QEMU's ELF dump
#    without VMCOREINFO (ours found in memory becomes a note).
# 5. Debian 13's makedumpfile 1.7.6 --dump-dmesg prints the same log from
#    each output as from the vmcore (snappy: that build has no snappy, and
#    must say so); crash 8.0.6's `bt` and `ps` print the same from the zstd
#    output as from the vmcore; drgn 0.0.31 (libkdumpfile)
#    reads a sample of pages of each output as it reads them from the
#    vmcore.
# 6. Refusals: an existing OUT is never replaced, a pipe without --flat
#    and ELF-only options with --format kdump are refused.
# 7. Progress on a terminal only.
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BUILD_DIR [DUMPDIR]" >&2; exit 2; }
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
conv=$build/elfconv
cmppages=$build/tests/cmppages
. "$top/tests/lib-check.sh"
start=$(date +%s)
section() { echo "== $1 (at $(($(date +%s) - start)) s)"; }

if [ $# = 2 ]; then
	dir=$(cd "$2" && pwd)
else
	dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
fi
vmcore=$dir/vmcore
vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")
"$here/encodings.sh" "$dir" "$build" >"$tmp/enc" || { bad "encodings" "tests/kdump/encodings.sh failed"; exit 1; }
enc() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/enc"; }
trixie=$("$top/tests/real/trixie-root.sh")
mdf176=$trixie/makedumpfile
vsize=$(stat -c %s "$vmcore")

# cmp_ok NAME CMPPAGES-ARGS...: cmppages passes; its summary in the line.
cmp_ok() {
	name=$1
	shift
	if "$cmppages" "$@" >"$tmp/cmp" 2>&1; then
		ok "$name: $(grep 'pages compared' "$tmp/cmp" | sed 's/^ *//')"
	else
		bad "$name" "$(cat "$tmp/cmp")"
	fi
}

# --- 1. every compression ---------------------------------------------------
section "compressions"
for c in zstd lzo snappy zlib none; do
	out=$tmp/w-$c.kdump
	if ! "$conv" -q --format kdump --compress "$c" "$vmcore" "$out" 2>"$tmp/err"; then
		bad "elfconv --compress $c" "$(cat "$tmp/err")"
		continue
	fi
	want=$c
	[ "$c" != none ] || want=uncompressed
	size=$(stat -c %s "$out")
	"$conv" --info "$out" >"$tmp/info"
	if grep -q "^format *kdump-compressed v6, $want," "$tmp/info" &&
	   grep -q "^filtered *dump level 0, 0 pages excluded" "$tmp/info" &&
	   [ "$size" -lt "$vsize" ]; then
		ok "--compress $c: header says $want, $size bytes ($((size * 100 / vsize))% of the vmcore)"
	else
		bad "--compress $c: header or size" "$(head -n 5 "$tmp/info"; echo "size $size of $vsize")"
	fi
	cmp_ok "--compress $c: every page as in the vmcore" --level 0 "$vmcore" "$out"
done
[ ! -e "$tmp/w-zstd.kdump.incomplete" ] && ok "no OUT.incomplete left after success" ||
	bad "OUT.incomplete left after success"

# --- 2. byte for byte makedumpfile's -------------------------------------------
section "makedumpfile's layout"
if "$conv" -q --format kdump --compress zlib --dump-level 1 "$vmcore" "$tmp/d1.kdump" &&
   cmp "$tmp/d1.kdump" "$(enc mdf-zlib-d1)" >"$tmp/cmp" 2>&1; then
	ok "--compress zlib --dump-level 1 is byte for byte makedumpfile -c -d 1 ($(stat -c %s "$tmp/d1.kdump") bytes)"
else
	bad "--compress zlib --dump-level 1 is byte for byte makedumpfile -c -d 1" "$(cat "$tmp/cmp")"
fi

# --- 3. the flattened stream ------------------------------------------------------
section "flattened"
if "$conv" -q --format kdump --compress lzo --flat "$vmcore" - | cat >"$tmp/flat" &&
   makedumpfile -R "$tmp/rearranged" <"$tmp/flat" >"$tmp/R.log" 2>&1 &&
   cmp -s "$tmp/rearranged" "$tmp/w-lzo.kdump"; then
	ok "--flat through a pipe: makedumpfile -R gives the file written without --flat"
else
	bad "--flat through a pipe, makedumpfile -R" "$(tail -n 3 "$tmp/R.log")"
fi
rm -f "$tmp/rearranged"
cmp_ok "--flat: our reader reads every page in place" --level 0 "$vmcore" "$tmp/flat"

# --- 4. other sources -----------------------------------------------------------------
section "sources"
for n in mdf-zlib-d31 mdf-flat-zlib-d31; do
	if "$conv" -q --format kdump --compress zstd "$(enc "$n")" "$tmp/$n.kdump"; then
		cmp_ok "from $n: its excluded pages stay excluded, dump level 31" --level 31 "$vmcore" "$tmp/$n.kdump"
	else
		bad "from $n" "elfconv failed"
	fi
done

# shellcheck disable=SC2046 # one argument per file
if "$conv" -q --format kdump $(enc split-zlib-d31 | tr ',' ' ') "$tmp/split.kdump"; then
	cmp_ok "from the split set split-zlib-d31 (makedumpfile --split): one file" --level 31 "$vmcore" "$tmp/split.kdump"
else
	bad "from the split set split-zlib-d31" "elfconv failed"
fi

# A kdump file cut short, and an ELF vmcore cut short: what they lack is
# flagged missing (empty descriptors, the incomplete flag), never zeros.
expect "from mk-incomplete: warns about the pages it lacks" 0 \
	"warning: [0-9]+ pages could not be read from the input .*flagged incomplete" \
	"$conv" --format kdump "$(enc mk-incomplete)" "$tmp/inc.kdump"
cmp_ok "from mk-incomplete: what it holds is intact, the rest missing" --incomplete "$vmcore" "$tmp/inc.kdump"
# The ELF vmcore cut at 40%: its PT_LOADs are not in pfn order (the
# kernel image first), so the lost pages are not a suffix: compare with
# the cut file itself, and count them.
head -c $((vsize * 2 / 5 / 4096 * 4096)) "$vmcore" >"$tmp/trunc.elf"
expect "from a truncated vmcore: warns" 0 \
	"warning: [0-9]+ pages could not be read from the input" \
	"$conv" --format kdump --compress lzo "$tmp/trunc.elf" "$tmp/trunc.kdump"
lost=$(sed -n 's/.*warning: \([0-9]*\) pages could not be read.*/\1/p' "$tmp/err")
cmp_ok "from a truncated vmcore: every page it holds, as it holds it" --level 0 "$tmp/trunc.elf" "$tmp/trunc.kdump"
"$cmppages" --incomplete "$vmcore" "$tmp/trunc.kdump" >"$tmp/cmp" 2>&1 || true
missing=$(sed -n 's/.* \([0-9]*\) missing,.*/\1/p' "$tmp/cmp")
if [ -n "$lost" ] && [ "$lost" -gt 0 ] && [ "$missing" = "$lost" ] &&
   "$conv" --info "$tmp/trunc.kdump" | grep -q "incomplete"; then
	ok "from a truncated vmcore: the $lost pages it lost are missing in the output (not zeros), which says it is incomplete"
else
	bad "from a truncated vmcore: lost pages" "warned $lost, missing $missing; $(tail -n 2 "$tmp/cmp")"
fi
rm -f "$tmp/trunc.elf"

# other_arch NAME VMCORE ARCH: every page, the architecture, and drgn's
# (libkdumpfile's) reading of a sample.  (The amd64 makedumpfile and crash
# read no dump of another architecture.)
other_arch() {
	n=$1 src=$2 arch=$3
	if ! "$conv" -q --format kdump "$src" "$tmp/$n.kdump"; then
		bad "from the $n dump" "elfconv failed"
		return
	fi
	cmp_ok "from the $n dump" --level 0 "$src" "$tmp/$n.kdump"
	if "$conv" --info "$tmp/$n.kdump" | grep -q "^machine *$arch "; then
		ok "$n output: read as an $arch dump"
	else
		bad "$n output: read as an $arch dump" "$("$conv" --info "$tmp/$n.kdump" | head -n 4)"
	fi
	"$cmppages" --hash-sample "$src" | grep -v ' -$' >"$tmp/$n.ours" || true
	"$trixie/python3" "$here/drgn_pages.py" "$src" <"$tmp/$n.ours" >"$tmp/$n.ref" 2>&1 || true
	"$trixie/python3" "$here/drgn_pages.py" "$tmp/$n.kdump" <"$tmp/$n.ours" >"$tmp/$n.drgn" 2>&1 || true
	if [ "$(wc -l <"$tmp/$n.ours")" -gt 1000 ] && cmp -s "$tmp/$n.ours" "$tmp/$n.ref" &&
	   cmp -s "$tmp/$n.ref" "$tmp/$n.drgn"; then
		ok "drgn reads the $n output as the vmcore: $(wc -l <"$tmp/$n.ours") sampled pages"
	else
		bad "drgn reads the $n output as the vmcore" "$(diff "$tmp/$n.ref" "$tmp/$n.drgn" | head -n 6)"
	fi
}
# i386: the 32-bit header layout, which libkdumpfile must take too, and a
# partial page at 0x9fc00 (kexec_load's first PT_LOAD).
other_arch i386-elf32 "$("$top/tests/real/make-dump-i386.sh" --core-headers elf32)/vmcore" i386
other_arch aarch64 "$("$top/tests/real/make-dump-aarch64.sh")/vmcore" aarch64
qdir=$("$top/tests/real/make-qemu-dumps-x86_64.sh" --no-vmcoreinfo)
if "$conv" -q --format kdump "$qdir/vmcore-elf" "$tmp/qemu.kdump"; then
	cmp_ok "from QEMU's ELF dump without VMCOREINFO" --level 0 "$qdir/vmcore-elf" "$tmp/qemu.kdump"
	if "$conv" --info "$tmp/qemu.kdump" | grep -q 'VMCOREINFO  *type 0'; then
		ok "from QEMU's dump: the VMCOREINFO found in memory is a note of the output"
	else
		bad "from QEMU's dump: VMCOREINFO note" "$("$conv" --info "$tmp/qemu.kdump" | sed -n '/^notes/,/^vmcoreinfo/p')"
	fi
else
	bad "from QEMU's ELF dump" "elfconv failed"
fi

# --- 5. readers we did not write ----------------------------------------------
section "makedumpfile 1.7.6 --dump-dmesg"
"$mdf176" --dump-dmesg "$vmcore" "$tmp/dmesg.ref" >/dev/null 2>&1 ||
	bad "makedumpfile --dump-dmesg of the vmcore"
for c in zstd lzo zlib none; do
	rm -f "$tmp/dmesg.$c"
	if "$mdf176" --dump-dmesg "$tmp/w-$c.kdump" "$tmp/dmesg.$c" >"$tmp/err" 2>&1 &&
	   [ -s "$tmp/dmesg.ref" ] && cmp -s "$tmp/dmesg.ref" "$tmp/dmesg.$c"; then
		ok "makedumpfile --dump-dmesg, $c: the vmcore's log ($(wc -l <"$tmp/dmesg.ref") lines)"
	else
		bad "makedumpfile --dump-dmesg, $c" "$(tail -n 5 "$tmp/err")"
	fi
done
# Debian 13's makedumpfile is built without snappy: it must say that, not
# misread the file.
if ! "$mdf176" --dump-dmesg "$tmp/w-snappy.kdump" "$tmp/dmesg.snappy" >"$tmp/err" 2>&1 &&
   grep -q 'snappy compression unsupported' "$tmp/err"; then
	ok "makedumpfile --dump-dmesg, snappy: refused as its build has no snappy"
else
	bad "makedumpfile --dump-dmesg, snappy: refusal" "$(tail -n 5 "$tmp/err")"
fi

section "crash 8.0.6 bt and ps"
crash_job() {	# NAME DUMP
	printf 'bt\nps\nquit\n' | timeout 600 nice "$trixie/crash" -s "$vmlinux" "$2" \
		>"$tmp/crash.$1" 2>&1 || echo "exit status $?" >>"$tmp/crash.$1"
}
# One output only (crash takes ~20 s to load the vmlinux): zstd, the
# default; the others are read by drgn and makedumpfile below.
crash_job ref "$vmcore" &
p1=$!
crash_job zstd "$tmp/w-zstd.kdump"
wait "$p1" || true
for c in zstd; do
	if grep -q 'COMMAND: "vmcore-crasher"' "$tmp/crash.ref" &&
	   grep -q 'PPID.*COMM' "$tmp/crash.ref" &&
	   cmp -s "$tmp/crash.ref" "$tmp/crash.$c"; then
		ok "crash bt and ps on the $c output: as on the vmcore ($(grep -c '^ *[>0-9]' "$tmp/crash.ref") lines)"
	else
		bad "crash bt and ps on the $c output" "$(diff "$tmp/crash.ref" "$tmp/crash.$c" | head -n 10; tail -n 5 "$tmp/crash.$c")"
	fi
done

section "drgn 0.0.31 (libkdumpfile)"
"$cmppages" --hash-sample "$vmcore" >"$tmp/ours.ref"
"$trixie/python3" "$here/drgn_pages.py" "$vmcore" <"$tmp/ours.ref" >"$tmp/drgn.ref" 2>"$tmp/err" ||
	bad "drgn reads the vmcore" "$(cat "$tmp/err")"
for f in w-zstd w-lzo w-snappy w-zlib w-none flat mdf-zlib-d31; do
	"$cmppages" --hash-pfns "$tmp/$f"* <"$tmp/ours.ref" >"$tmp/ours.$f" 2>&1 || true
	"$trixie/python3" "$here/drgn_pages.py" "$tmp/$f"* <"$tmp/ours.ref" >"$tmp/drgn.$f" 2>"$tmp/err" || true
	n=$(grep -vc ' -$' "$tmp/drgn.$f" || true)
	case $f in
	mdf-zlib-d31) same=$tmp/ours.$f ;;	# filtered: as we read it
	*) same=$tmp/drgn.ref ;;		# every page: as in the vmcore
	esac
	if [ "$n" -gt 100 ] && cmp -s "$tmp/drgn.$f" "$same" && cmp -s "$tmp/ours.$f" "$tmp/drgn.$f"; then
		ok "drgn reads $f as we do: $(wc -l <"$tmp/ours.ref") pfns, $n readable"
	else
		bad "drgn reads $f" "$(diff "$same" "$tmp/drgn.$f" | head -n 6; cat "$tmp/err" | head -n 3)"
	fi
done

# --- 6. refusals ------------------------------------------------------------------
section "refusals"
: >"$tmp/exists"
expect "an existing OUT is not replaced" 1 "exists; not replacing it" \
	"$conv" --format kdump "$vmcore" "$tmp/exists"
[ ! -s "$tmp/exists" ] && ok "the existing OUT is untouched" || bad "the existing OUT is untouched"
mkfifo "$tmp/fifo"
expect "a pipe without --flat is refused" 2 "use --flat for a pipe" \
	sh -c 'cat "$3" >/dev/null & "$1" --format kdump "$2" - >"$3"; rc=$?; wait; exit $rc' \
	sh "$conv" "$vmcore" "$tmp/fifo"
expect "--class with --format kdump is refused" 2 "--class is for --format elf" \
	"$conv" --format kdump --class 64 "$vmcore" "$tmp/x.kdump"
expect "--compress without --format kdump is refused" 2 "--compress is for --format kdump" \
	"$conv" --compress lzo "$vmcore" "$tmp/x.elf"
expect "an unknown compression is refused" 2 "--compress must be" \
	"$conv" --format kdump --compress lz4 "$vmcore" "$tmp/x.kdump"

section "progress"
script -qfec "$conv --format kdump --compress lzo $vmcore $tmp/tty.kdump" /dev/null >"$tmp/tty.log" 2>&1 || true
if grep -q '100%.*MB/s' "$tmp/tty.log" && grep -q 'wrote .*kdump-compressed (lzo)' "$tmp/tty.log"; then
	ok "progress and a summary on a terminal"
else
	bad "progress and a summary on a terminal" "$(tr '\r' '\n' <"$tmp/tty.log" | tail -n 5)"
fi
"$conv" --format kdump --compress lzo "$vmcore" "$tmp/pipe.kdump" 2>"$tmp/pipe.log" | cat
if grep -q 'MB/s' "$tmp/pipe.log"; then bad "no progress on a pipe" "$(cat "$tmp/pipe.log")"
else ok "no progress on a pipe"; fi

echo "kdump writer tests: $pass passed, $fail failed ($(($(date +%s) - start)) s)"
[ "$fail" -eq 0 ]
