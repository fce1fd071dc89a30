#!/bin/sh
# The kexec_load path end to end, on real Debian kernels in QEMU: our
# vmcore-loader arms kdump with its own ELF core header, boot_params and
# purgatory (`load --kexec-load`, no kexec-tools anywhere), the guest
# panics, the capture kernel boots through our purgatory and the dump is
# saved by `vmcore-loader save` (vmcore-mkinitramfs image); then
# gdbserver-vmcore serves it to gdb, and Debian's 32-bit gdb
# opens the i386 ELF32 dump directly.
#   * i386 686-pae, crashkernel=64M@16M, ELF32 core header;
#   * i386 686-pae, crashkernel=64M (placed by the kernel), ELF64 header;
#   * x86_64 cloud-amd64 (4-level), ELF64 header, kernel text PT_LOAD.
# The dumps are fixtures (tests/real/make-dump-*.sh --loader ours /
# --kexec-load), cached like the others, and they are this commit's: the
# key in their directory names (tests/real/lib-fixture.sh fixture_key)
# hashes the sources of vmcore-loader (load, kexec_load, the core header,
# boot_params, the purgatory, save; libvmcore/, arch/, mk/build.mk),
# vmcore-mkinitramfs and capture-init.sh, so a change to any of them
# makes new dumps, and the checks below read what that code did.  Every
# capture saves with vmcore-mkinitramfs's default configuration (kdump,
# zstd, dump level 31), and a fixture wrapper in the capture image saves
# an ELF copy of the same /proc/vmcore too (the vmcore the gdb sessions
# and gdb:i386 read): the kdump must hold the ELF copy's pages, keep
# what dump level 31 keeps, fit the save in the reservation (its peak
# memory is reported) and give gdb the panic backtrace.
# Usage: tests/loader/qemu-kexec-load.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server=$build/gdbserver-vmcore
. "$here/../lib-check.sh"
m() { sed -n "s/^$2=//p" "$1/meta.txt" | head -n 1; }

# check_dump NAME DIR CLASS MACHINE CRASHKERNEL-RE
check_dump() {
	name=$1 dir=$2 class=$3 machine=$4
	[ "$(m "$dir" LOADED_BY)" = vmcore-loader-kexec-load ] &&
		ok "$name: armed by vmcore-loader load --kexec-load (load, unload, load), capture kernel booted through our purgatory, dump saved" ||
		bad "$name: LOADED_BY=$(m "$dir" LOADED_BY)"
	[ -n "$(m "$dir" SAVED_DIR)" ] && grep -qF "$(m "$dir" MARKER)" "$dir/dmesg.txt" &&
		ok "$name: saved by vmcore-loader save in the capture kernel ($(m "$dir" SAVED_DIR), dmesg.txt with the marker)" ||
		bad "$name: not saved by our save (SAVED_DIR=$(m "$dir" SAVED_DIR))"
	readelf -hW "$dir/vmcore" >"$tmp/h" 2>&1
	grep -qE "Class: +$class" "$tmp/h" && grep -qE "Machine: +$machine" "$tmp/h" &&
		ok "$name: /proc/vmcore from our $class core header ($machine)" ||
		bad "$name: vmcore header" "$(cat "$tmp/h")"
	# The segments the guest's dry run printed lie inside its reservation.
	ck=$(sed -n 's/^iomem .*Crash kernel ranges: //p' "$dir/console.log" | head -n 1)
	tr -d '\r' <"$dir/console.log" | awk '$1 == "segment" { print $2 }' | sort -u >"$tmp/segs"
	lo=$(tr -d '\r' <"$dir/console.log" | sed -n 's/.*Reserving \([0-9]*\)MB of memory at \([0-9]*\)MB for crashkernel.*/\2 \1/p' | head -n 1)
	if [ -n "$lo" ] && [ -s "$tmp/segs" ]; then
		set -- $lo
		base=$(($1 << 20)) end=$((($1 + $2) << 20)) out=""
		while IFS=- read -r a b; do
			[ $((a)) -ge $base ] && [ $((b)) -lt $end ] || out="$out $a-$b"
		done <"$tmp/segs"
		[ -z "$out" ] && ok "$name: all $(grep -c . "$tmp/segs") segments inside the crash reservation ($2 MiB at $1 MiB)" ||
			bad "$name: segments outside the reservation:$out"
	else
		bad "$name: no segments or reservation in the console log" "$ck"
	fi
	grep -qF "$(m "$dir" MARKER)" "$dir/vmcore" 2>/dev/null || grep -qaF "$(m "$dir" MARKER)" "$dir/vmcore" &&
		ok "$name: the /dev/kmsg marker is in the dumped memory" || bad "$name: marker not in the dump"
}

# check_kdump NAME DIR: the default save (KDUMP in meta.txt) of the
# fixture in DIR; the wrapper's ELF copy is DIR/vmcore.
check_kdump() {
	name=$1 dir=$2
	kd=$(m "$dir" KDUMP)
	if [ -z "$kd" ] || [ ! -f "$kd" ]; then
		bad "$name: the fixture has no default capture's kdump (KDUMP=$kd)"
		return
	fi
	ksize=$(stat -Lc %s "$kd") esize=$(stat -Lc %s "$dir/vmcore")
	[ "$(head -c 8 "$kd")" = "KDUMP   " ] && [ "$ksize" = "$(m "$dir" KDUMP_SIZE)" ] &&
		ok "$name: the default capture saved a kdump-compressed file (\"KDUMP   \", $ksize bytes; the ELF copy: $esize bytes)" ||
		bad "$name: the default capture's file" "$(head -c 8 "$kd" | od -c | head -n 1); KDUMP_SIZE=$(m "$dir" KDUMP_SIZE), size $ksize"
	# What save printed on the capture kernel's console: the format it
	# wrote, and (once: the wrapper's ELF save is quiet) its peak memory.
	tr -d '\r' <"$dir/console.log" >"$tmp/console"
	grep -q '^vmcore-loader: kdump-compressed (zstd, dump level 31): ' "$tmp/console" &&
		ok "$name: $(sed -n 's/^vmcore-loader: kdump-compressed (zstd, dump level 31): \([^;]*\).*/kdump-compressed, zstd, dump level 31: \1/p' "$tmp/console" | head -n 1)" ||
		bad "$name: no 'kdump-compressed (zstd, dump level 31)' report of save on the console" \
			"$(grep '^vmcore-loader' "$tmp/console")"
	peak=$(sed -n 's/.*vmcore-loader: peak memory \([0-9][0-9.]*\) MiB.*/\1/p' "$tmp/console")
	[ "$(printf '%s\n' "$peak" | grep -c .)" = 1 ] &&
		ok "$name: the kdump save's peak memory in the capture kernel (crashkernel=$(m "$dir" CRASHKERNEL)): $peak MiB" ||
		bad "$name: want one 'vmcore-loader: peak memory N MiB' on the console, have '$peak'"
	if "$build/tests/cmppages" --level 31 "$dir/vmcore" "$kd" >"$tmp/cmp" 2>&1 &&
		grep -q 'pages compared' "$tmp/cmp"; then
		ok "$name: the kdump holds the ELF copy's pages (cmppages --level 31): $(grep 'pages compared' "$tmp/cmp" | sed 's/^ *//')"
	else
		bad "$name: cmppages --level 31 ELF-copy kdump" "$(cat "$tmp/cmp")"
	fi
	vmlinux=$(m "$dir" VMLINUX)
	timeout 300 gdb -nx -batch -ex 'set pagination off' -ex "file $vmlinux" \
		-ex "target remote | $server -q --vmlinux $vmlinux $kd" -ex 'bt' \
		>"$tmp/kbt" 2>&1 || true
	grep -qE '^#[0-9]+ .*sysrq_handle_crash' "$tmp/kbt" &&
		grep -qE '^#[0-9]+ .*write_sysrq_trigger' "$tmp/kbt" &&
		ok "$name: gdb through gdbserver-vmcore on the kdump: panic backtrace sysrq_handle_crash <- write_sysrq_trigger ($(grep -cE '^#[0-9]+ ' "$tmp/kbt") frames)" ||
		bad "$name: gdb bt on the kdump" "$(tail -n 10 "$tmp/kbt")"
}

# gdb_session NAME DIR SCRIPT: the full real-dump check script through the server.
gdb_session() {
	name=$1 dir=$2 script=$3
	vmlinux=$(m "$dir" VMLINUX)
	if env VMC_META="$dir/meta.txt" timeout 600 gdb -nx -batch -q \
		-iex "source $top/gdbserver-vmcore/vmcore-orc.py" "$vmlinux" \
		-ex "target remote | $server -q --threads cpus --vmlinux $vmlinux $dir/vmcore" \
		-x "$top/tests/gdb/$script" >"$tmp/$name.log" 2>&1 &&
		grep -qE '^[0-9]+ passed, 0 failed' "$tmp/$name.log"; then
		ok "$name: gdb through gdbserver-vmcore: $(grep -E '^[0-9]+ passed' "$tmp/$name.log")"
	else
		bad "$name: gdb session" "$(grep -E '^FAIL' "$tmp/$name.log" | head -n 10; tail -n 5 "$tmp/$name.log")"
	fi
}

echo "== i386 686-pae, crashkernel=64M@16M, ELF32"
d32=$("$top/tests/real/make-dump-i386.sh" --flavour 686-pae --core-headers elf32 \
	--loader ours --crashkernel 64M@16M)
check_dump i386-elf32 "$d32" ELF32 "Intel 80386"
tr -d '\r' <"$d32/console.log" | grep -q '^segment *0x01000000-.* kernel$' &&
	ok "i386-elf32: kernel segment at 16 MiB, the fixed reservation's start" ||
	bad "i386-elf32: kernel segment" "$(grep '^segment' "$d32/console.log")"
gdb_session i386-elf32 "$d32" real-i386.py

# Debian's gdb:i386 on the file itself: ELF32 is what it can open.
gdb32=$("$top/tests/real/gdb-i386.sh")
vml=$(m "$d32" VMLINUX)
timeout 300 "$gdb32" -nx -batch -q -iex "source $top/gdbserver-vmcore/vmcore-orc.py" -ex "symbol-file -o $(m "$d32" KASLR_OFFSET) $vml" \
	-ex "core-file $d32/vmcore" -ex "thread $(($(m "$d32" CRASHER_CPU) + 1))" -ex bt \
	>"$tmp/g32" 2>&1 || true
grep -qE '^#[0-9]+ .*sysrq_handle_crash' "$tmp/g32" && grep -qE '^#[0-9]+ .*write_sysrq_trigger' "$tmp/g32" &&
	ok "i386-elf32: Debian's gdb:i386 opens the vmcore directly, panic backtrace sysrq_handle_crash <- write_sysrq_trigger" ||
	bad "i386-elf32: gdb:i386 on the vmcore" "$(tail -n 15 "$tmp/g32")"
check_kdump i386-elf32 "$d32"

echo "== i386 686-pae, crashkernel=64M, ELF64"
d64=$("$top/tests/real/make-dump-i386.sh" --flavour 686-pae --core-headers elf64 \
	--loader ours --crashkernel 64M)
check_dump i386-elf64 "$d64" ELF64 "Intel 80386"
gdb_session i386-elf64 "$d64" real-i386.py
check_kdump i386-elf64 "$d64"

echo "== x86_64 cloud-amd64, kexec_load path, ELF64"
dx=$("$top/tests/real/make-dump-x86_64.sh" --kexec-load)
check_dump x86_64 "$dx" ELF64 "Advanced Micro Devices X86-64"
tr -d '\r' <"$dx/console.log" | grep -qE '^entry .*64-bit entry' &&
	ok "x86_64: the purgatory enters the kernel at its 64-bit entry" ||
	bad "x86_64: entry" "$(grep '^entry' "$dx/console.log")"
gdb_session x86_64 "$dx" real.py
check_kdump x86_64 "$dx"

echo "kexec_load path end to end: $pass passed, $fail failed"
[ "$fail" = 0 ]
