#!/bin/sh
# elfconv on real dumps (tests/real/ fixtures): conversions read back the
# same memory and notes, plain gdb reads a converted kdump-compressed dump
# as gdbserver-vmcore reads the original, and every refusal and failure
# (existing OUT, OUT == IN, full disk, interrupted run) leaves OUT alone.
# Usage: tests/elfconv/run.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
conv=$build/elfconv
server=$build/gdbserver-vmcore
cmppages=$build/tests/cmppages
. "$here/../lib-check.sh"
meta_get() { sed -n "s/^$2=//p" "$1/meta.txt"; }

dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
vmcore=$dir/vmcore
vmlinux=$(meta_get "$dir" VMLINUX)
koff=$(meta_get "$dir" KERNELOFFSET)
qdir=$("$top/tests/real/make-qemu-dumps-x86_64.sh" --no-vmcoreinfo)

# notes NAME FILE: the notes as readelf decodes them, without offsets.
notes() { readelf -nW "$1" | grep -v -e '^Displaying notes' -e '^$'; }
# sample_same NAME REF OUT [KDUMP]: OUT's readable pages (a sample) read
# as in REF; with KDUMP, a page KDUMP excluded may be zeros in OUT (a
# short excluded run).  REF and KDUMP are read by drgn (Debian 13's, a
# reader we did not write: its own ELF reader, libkdumpfile for KDUMP),
# and OUT by drgn as by us.
trixie=$("$top/tests/real/trixie-root.sh")
drgn_pages() { "$trixie/python3" "$top/tests/kdump/drgn_pages.py" "$@"; }
zero=$(python3 -c 'import zlib; d = bytes(4096); print("%08x%08x" % (zlib.crc32(d), zlib.adler32(d)))')
sample_same() {
	"$cmppages" --hash-sample "$3" | grep -v ' -$' >"$tmp/s.out" || true
	# drgn's stderr (a warning on flattened files) goes to s.err.
	drgn_pages "$2" <"$tmp/s.out" >"$tmp/s.ref" 2>"$tmp/s.err" || cat "$tmp/s.err" >>"$tmp/s.ref"
	if [ $# -ge 4 ]; then
		drgn_pages "$4" <"$tmp/s.out" 2>"$tmp/s.err" >"$tmp/s.kdump" ||
			cat "$tmp/s.err" >>"$tmp/s.kdump"
		paste -d ' ' "$tmp/s.ref" "$tmp/s.kdump" |
			awk -v z="$zero" '{ print $1, ($4 == "-" && $2 != "-") ? z : $2 }' >"$tmp/s.ref2"
		mv "$tmp/s.ref2" "$tmp/s.ref"
	fi
	drgn_pages "$3" <"$tmp/s.out" >"$tmp/s.drgn" 2>"$tmp/s.err" || cat "$tmp/s.err" >>"$tmp/s.drgn"
	n=$(wc -l <"$tmp/s.out")
	if [ "$n" -gt 200 ] && cmp -s "$tmp/s.out" "$tmp/s.ref" && cmp -s "$tmp/s.out" "$tmp/s.drgn"; then
		ok "$1: $n sampled pages read as drgn reads the original, and drgn reads them so too"
	else
		bad "$1: sampled pages differ ($n readable)" "$(diff "$tmp/s.ref" "$tmp/s.out" | head -n 6; diff "$tmp/s.drgn" "$tmp/s.out" | head -n 6)"
	fi
}

echo "== conversions"
# ELF64 -> ELF64: every page and note as before.
if "$conv" -q "$vmcore" "$tmp/copy.elf" && "$cmppages" "$vmcore" "$tmp/copy.elf" >"$tmp/cmp" 2>&1 &&
	grep -q ' 0 mismatches' "$tmp/cmp"; then
	ok "ELF64 copy: $(grep -o '[0-9]* pages compared' "$tmp/cmp")"
else
	bad "ELF64 copy" "$(cat "$tmp/cmp")"
fi
sample_same "ELF64 copy" "$vmcore" "$tmp/copy.elf"
notes "$vmcore" >"$tmp/n.ref"
notes "$tmp/copy.elf" >"$tmp/n.out"
if cmp -s "$tmp/n.ref" "$tmp/n.out"; then ok "ELF64 copy: notes unchanged"
else bad "ELF64 copy: notes" "$(diff "$tmp/n.ref" "$tmp/n.out")"; fi
blocks=$(stat -c %b "$tmp/copy.elf")
size=$(stat -c %s "$tmp/copy.elf")
if [ $((blocks * 512)) -lt $((size / 2)) ]; then ok "output is sparse ($((blocks / 2048)) MiB on disk of $((size >> 20)) MiB)"
else bad "output is not sparse: $blocks blocks for $size bytes"; fi

# Standard output carries the same bytes.
if "$conv" -q "$vmcore" - | cmp -s - "$tmp/copy.elf"; then ok "OUT '-' streams the same bytes"
else bad "OUT '-' differs from the file output"; fi

# kdump-compressed (-d 31) and flattened (-d 1) -> ELF.
makedumpfile -c -d 31 "$vmcore" "$tmp/k31" >/dev/null 2>&1
makedumpfile -F -l -d 1 "$vmcore" >"$tmp/f1" 2>/dev/null
for k in k31 f1; do
	if "$conv" "$tmp/$k" "$tmp/$k.elf" 2>"$tmp/err"; then
		ok "$k -> ELF"
		sample_same "$k -> ELF" "$vmcore" "$tmp/$k.elf" "$tmp/$k"
		notes "$tmp/$k.elf" >"$tmp/n.out"
		if cmp -s "$tmp/n.ref" "$tmp/n.out"; then ok "$k -> ELF: notes as in the original"
		else bad "$k -> ELF: notes" "$(diff "$tmp/n.ref" "$tmp/n.out")"; fi
	else
		bad "$k -> ELF" "$(cat "$tmp/err")"
	fi
done
"$conv" "$tmp/k31" "$tmp/k31b.elf" 2>"$tmp/err" || true
if grep -q 'runs of at least 256 excluded pages .* left out' "$tmp/err"; then ok "k31: says long excluded runs are left out"
else bad "k31: no note about excluded runs" "$(cat "$tmp/err")"; fi

# Plain gdb reads the converted kdump as gdbserver-vmcore reads the
# original kdump: kernel image, direct map (a slab pointer), strings.
gdbcmds="p init_uts_ns.name.release
x/8gx &init_task
x/s linux_banner
p/x init_task.tasks.next
x/4gx init_task.tasks.next
p jiffies_64 > 0"
printf '%s\n' "$gdbcmds" >"$tmp/cmds.gdb"
timeout 300 gdb -nx -batch -q -ex "symbol-file -o $koff $vmlinux" \
	-ex "core-file $tmp/k31.elf" -x "$tmp/cmds.gdb" 2>&1 |
	grep -E '^(\$|0x)' >"$tmp/plain.txt" || true
timeout 300 gdb -nx -batch -q "$vmlinux" -ex "target remote | $server -q $tmp/k31" \
	-x "$tmp/cmds.gdb" 2>&1 | grep -E '^(\$|0x)' >"$tmp/server.txt" || true
if [ "$(wc -l <"$tmp/plain.txt")" -ge 10 ] && cmp -s "$tmp/plain.txt" "$tmp/server.txt"; then
	ok "plain gdb on the converted kdump reads as gdbserver-vmcore on the original ($(wc -l <"$tmp/plain.txt") lines)"
else
	bad "plain gdb vs gdbserver-vmcore" "$(diff "$tmp/server.txt" "$tmp/plain.txt")"
fi

# QEMU dump without a VMCOREINFO note: the output gets one.
if "$conv" -q "$qdir/vmcore-elf" "$tmp/q.elf" && readelf -nW "$tmp/q.elf" | grep -q VMCOREINFO &&
	"$conv" --info "$tmp/q.elf" | grep -q "^release .*$(meta_get "$qdir" UNAME_R)"; then
	ok "QEMU dump without VMCOREINFO: the note is added"
else
	bad "QEMU dump without VMCOREINFO: no note in the output"
fi
rm -f "$tmp/q.elf" "$tmp/k31b.elf" "$tmp/f1" "$tmp/f1.elf"

echo "== i386 (real 686-pae kdumps)"
# ELF64 core headers (kexec --elf64-core-headers): Debian's gdb:i386 cannot
# open that file; elfconv's ELF32 of it shows what the amd64 gdb shows for
# the original.
i64=$("$top/tests/real/make-dump-i386.sh" --core-headers elf64)
i32=$("$top/tests/real/make-dump-i386.sh" --core-headers elf32)
gdb32=$("$top/tests/real/gdb-i386.sh")
ivmlinux=$(meta_get "$i64" VMLINUX)
ioff=$(meta_get "$i64" KASLR_OFFSET)
cat >"$tmp/i386.gdb" <<GDB
info threads
thread 2
bt
info registers
p init_uts_ns.name.release
x/s linux_banner
GDB
# The lines gdb prints for those commands, not its startup chatter.  Two
# gdb builds differ in what they do not read from the dump: how they label
# the first thread (process 1 or process PID) and which entry values they
# recover (x@entry=... or <optimized out>), so frames are compared without
# their arguments and threads without their labels.
gdb_view() {
	grep -E '^(\*? +[0-9]+ +(process|LWP)|#[0-9]|\$[0-9]|[a-z]{2,6} +0x|0x[0-9a-f]+ <linux_banner>)' |
		sed -e 's/^\(#[0-9].*\) (.*) at \(.*\)$/\1 at \2/' \
		    -e 's/ \(process\|LWP\) [0-9][0-9]* / THREAD /' -e 's/  */ /g' || true
}
expect "gdb:i386 still refuses the ELF64 original" 0 "" sh -c \
	"'$gdb32' -nx -batch -ex 'core-file $i64/vmcore' 2>&1 | grep -q 'is not a core dump: file format not recognized'"
if "$conv" -q "$i64/vmcore" "$tmp/i386.elf32" && [ "$(od -An -tx1 -j4 -N1 "$tmp/i386.elf32" | tr -d ' ')" = 01 ]; then
	ok "i386 ELF64 -> ELF32 (auto)"
else
	bad "i386 ELF64 -> ELF32"
fi
timeout 300 gdb -nx -batch -q -ex "symbol-file -o $ioff $ivmlinux" \
	-ex "core-file $i64/vmcore" -x "$tmp/i386.gdb" 2>&1 | gdb_view >"$tmp/amd64.view"
timeout 300 "$gdb32" -nx -batch -q -ex "symbol-file -o $ioff $ivmlinux" \
	-ex "core-file $tmp/i386.elf32" -x "$tmp/i386.gdb" 2>&1 | gdb_view >"$tmp/i386.view"
if grep -q ' sysrq_handle_crash ' "$tmp/i386.view" && grep -q "$(meta_get "$i64" UNAME_R)" "$tmp/i386.view" &&
	[ "$(wc -l <"$tmp/i386.view")" -gt 20 ] && cmp -s "$tmp/amd64.view" "$tmp/i386.view"; then
	ok "gdb:i386 on the ELF32 shows what amd64 gdb shows for the ELF64 original ($(wc -l <"$tmp/i386.view") lines: threads, bt through sysrq_handle_crash, registers, release)"
else
	bad "gdb:i386 on the ELF32 vs amd64 gdb on the original" "$(diff "$tmp/amd64.view" "$tmp/i386.view" | head -n 20; head -n 5 "$tmp/i386.view")"
fi
rm -f "$tmp/i386.elf32"

# ELF32 core headers: ELF32 -> ELF64 -> ELF32 gives back every page and
# note; and the two ELF32 outputs are the same bytes.
"$conv" -q --class 64 "$i32/vmcore" "$tmp/r64"
"$conv" -q "$tmp/r64" "$tmp/r32"
"$conv" -q "$i32/vmcore" "$tmp/d32"
if "$cmppages" "$i32/vmcore" "$tmp/r32" >"$tmp/cmp" 2>&1 && grep -q ' 0 mismatches' "$tmp/cmp"; then
	ok "i386 ELF32 -> ELF64 -> ELF32: $(grep -o '[0-9]* pages compared, [0-9]* identical' "$tmp/cmp")"
else
	bad "i386 round trip memory" "$(cat "$tmp/cmp")"
fi
notes "$i32/vmcore" >"$tmp/n.ref"
notes "$tmp/r32" >"$tmp/n.out"
if cmp -s "$tmp/n.ref" "$tmp/n.out" && [ "$(readelf -hW "$tmp/r64" | sed -n 's/ *Class: *//p')" = ELF64 ]; then
	ok "i386 round trip: notes unchanged"
else
	bad "i386 round trip notes" "$(diff "$tmp/n.ref" "$tmp/n.out")"
fi
if cmp -s "$tmp/r32" "$tmp/d32"; then ok "i386 round trip: the same bytes as the direct conversion"
else bad "i386 round trip differs from the direct conversion"; fi
rm -f "$tmp/r64" "$tmp/r32" "$tmp/d32"

echo "== --info"
"$conv" --info "$tmp/k31" >"$tmp/info" 2>&1 || true
for want in "^format +kdump-compressed" "^machine +x86_64" "dump level 31" \
	"NT_PRSTATUS" "OSRELEASE +$(meta_get "$dir" UNAME_R)" "CRASHTIME" \
	"elfconv would write ELF64"; do
	if grep -qE "$want" "$tmp/info"; then ok "--info: $want"
	else bad "--info lacks /$want/" "$(cat "$tmp/info")"; fi
done

echo "== refusals"
sum=$(md5sum <"$tmp/copy.elf")
expect "existing OUT is not replaced" 1 "exists; not replacing it \(use --force\)" \
	"$conv" -q "$tmp/k31" "$tmp/copy.elf"
[ "$(md5sum <"$tmp/copy.elf")" = "$sum" ] && ok "existing OUT unchanged" || bad "existing OUT changed"
expect "OUT == IN refused" 1 "is the input .*refusing to write over a dump" \
	"$conv" -q --force "$tmp/copy.elf" "$tmp/copy.elf"
ln "$tmp/copy.elf" "$tmp/hard.elf"
expect "OUT a hard link of IN refused" 1 "refusing to write over a dump" \
	"$conv" -q --force "$tmp/copy.elf" "$tmp/hard.elf"
rm -f "$tmp/hard.elf"
[ "$(md5sum <"$tmp/copy.elf")" = "$sum" ] && ok "input unchanged" || bad "input changed"
expect "--force replaces OUT" 0 "" "$conv" -q --force "$tmp/k31" "$tmp/copy.elf"
: >"$tmp/x.elf.incomplete"
expect "leftover OUT.incomplete refused" 1 "x.elf.incomplete exists .*remove it or use --force" \
	"$conv" -q "$tmp/k31" "$tmp/x.elf"
rm -f "$tmp/x.elf.incomplete"
expect "--class 32 of x86_64 refused" 1 "x86_64 is a 64-bit machine.*x32" \
	"$conv" --class 32 "$tmp/k31" "$tmp/x.elf"
expect "bad --class" 2 "--class must be 32, 64 or auto" "$conv" --class 16 "$tmp/k31" "$tmp/x.elf"
expect "no OUT" 2 "give an input dump and an output file" "$conv" "$tmp/k31"
head -c 4096 /dev/urandom >"$tmp/junk"
expect "unknown format lists the supported ones" 1 "not a dump format we know.*supported:" \
	"$conv" "$tmp/junk" "$tmp/x.elf"
[ ! -e "$tmp/x.elf" ] && [ ! -e "$tmp/x.elf.incomplete" ] && ok "refusals created nothing" ||
	bad "a refusal left a file"

echo "== truncated input"
head -c 200000000 "$vmcore" >"$tmp/trunc"
expect "truncated ELF converts with a warning" 0 "warning: .*(truncated|cut|end of the file)" \
	"$conv" "$tmp/trunc" "$tmp/trunc.elf"
sample_same "truncated -> ELF" "$vmcore" "$tmp/trunc.elf"
rm -f "$tmp/trunc" "$tmp/trunc.elf"

echo "== full disk"
# No mount, no privileges: the file-size limit (RLIMIT_FSIZE, 8 MiB here)
# makes a write past it fail with EFBIG, as a full disk fails one with
# ENOSPC (SIGXFSZ ignored, as a shell leaves it for its children; the
# default action would kill elfconv).  /dev/full gives ENOSPC itself, on
# standard output.
mkdir "$tmp/small"
expect "file too large: clear error, partial output kept" 1 \
	"out.elf.incomplete: .*File too large; the partial output is left in" \
	sh -c 'trap "" XFSZ; ulimit -f 16384; exec "$1" -q "$2" "$3"' sh \
	"$conv" "$tmp/k31" "$tmp/small/out.elf"
[ ! -e "$tmp/small/out.elf" ] && [ -e "$tmp/small/out.elf.incomplete" ] &&
	ok "file too large: no OUT, OUT.incomplete left" ||
	bad "file too large: files wrong" "$(ls -l "$tmp/small")"
size=$(wc -c <"$tmp/small/out.elf.incomplete" 2>/dev/null || echo 0)
[ "$size" -le $((16384 * 512)) ] && [ "$size" -gt 0 ] &&
	ok "file too large: the partial output stops at the limit ($size bytes)" ||
	bad "file too large: partial output of $size bytes, limit $((16384 * 512))"
rm -rf "$tmp/small"
expect "full disk on standard output: clear error" 1 \
	"standard output: .*No space left on device" \
	sh -c 'exec "$1" -q "$2" - >/dev/full' sh "$conv" "$tmp/k31"

echo "== interrupted run"
big=$(meta_get "$qdir" VMCORE_SIZE)
"$conv" -q "$qdir/vmcore-elf" "$tmp/int.elf" &
pid=$!
i=0
while [ ! -s "$tmp/int.elf.incomplete" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if [ ! -e "$tmp/int.elf" ] && [ -e "$tmp/int.elf.incomplete" ]; then
	ok "killed mid-way: no OUT, OUT.incomplete left for inspection"
else
	bad "killed mid-way: files wrong" "$(ls -l "$tmp" | grep int.elf)"
fi
: "$big"

echo "== progress"
script -qfec "$conv --force $tmp/k31 $tmp/tty.elf" /dev/null >"$tmp/tty.log" 2>&1 || true
if grep -q '100%.*MB/s.*ETA' "$tmp/tty.log" && grep -q 'wrote .*tty.elf: ELF64' "$tmp/tty.log"; then
	ok "progress bar on a terminal"
else
	bad "no progress bar on a terminal" "$(cat "$tmp/tty.log")"
fi
"$conv" --force "$tmp/k31" "$tmp/tty.elf" >"$tmp/pipe.log" 2>&1
if grep -q 'MB/s' "$tmp/pipe.log"; then bad "progress bar on a pipe" "$(cat "$tmp/pipe.log")"
else ok "no progress bar on a pipe"; fi

echo "elfconv tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
