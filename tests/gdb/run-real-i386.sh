#!/bin/sh
# Real i386 dump tests: make (or reuse from the cache) kdumps of Debian 6.1
# 32-bit kernels in QEMU: 686-pae (PAE page tables) with ELF32 and with
# ELF64 core headers (kexec_load), and 686 (2-level page tables) with ELF32
# ones; then check them through gdb (the host's gdb reads i386 targets).
# Usage: tests/gdb/run-real-i386.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"

# gdb_check NAME VMLINUX DUMPDIR TARGET: run real-i386.py against TARGET
# with $gdb (gdb 13 unless set), with gdbserver-vmcore's unwinder loaded
# (i386 entry frames: real-i386.py's strict backtrace checks need it).
gdb=gdb
gdb_check() {
	gdb_session "$1" env VMC_META="$3/meta.txt" timeout 600 "$gdb" -nx \
		-batch -q -iex "source $unwinder" "$2" -ex "target remote $4" \
		-x "$here/real-i386.py"
}

# expect NAME PATTERN FILE: a grep -E check on the server's stderr.
expect() {
	if grep -qE "$2" "$3"; then
		echo "PASS $1"
	else
		echo "FAIL $1: no /$2/ in:"
		cat "$3"
		fail=$((fail + 1))
	fi
}

for fixture in 686-pae:elf32 686-pae:elf64 686:elf32; do
	flavour=${fixture%:*} headers=${fixture#*:}
	dir=$("$top/tests/real/make-dump-i386.sh" --flavour "$flavour" \
		--core-headers "$headers")
	vmlinux=$(meta_get "$dir" VMLINUX)
	name=real-i386-$flavour-$headers
	gdb_check "$name" "$vmlinux" "$dir" \
		"| $server -q --threads cpus --vmlinux $vmlinux $dir/vmcore"

	# Without --vmlinux: the server says the offset is unknown and gdb
	# gets no qOffsets (EOF on stdin ends the session at once).
	echo "== $name-no-vmlinux"
	"$server" "$dir/vmcore" </dev/null >"$tmp/out" 2>"$tmp/err" || true
	expect "no --vmlinux: KASLR offset unknown" \
		"warning: .*KASLR offset is unknown.*pass --vmlinux" "$tmp/err"
	printf '+$qOffsets#4b' | "$server" -q "$dir/vmcore" >"$tmp/out" 2>/dev/null || true
	expect "no --vmlinux: empty qOffsets reply" '^\+\$#00$' "$tmp/out"
	timeout 120 gdb -nx -batch -q -iex "source $unwinder" -ex "target remote | $server -q $dir/vmcore" \
		-ex "monitor info" >"$tmp/out" 2>&1 || true
	expect "no --vmlinux: monitor info says the offset is unknown" \
		"kaslr +unknown: no KERNELOFFSET in VMCOREINFO and no --vmlinux" "$tmp/out"
	# With it: the summary names the offset the guest's kallsyms implies.
	"$server" --vmlinux "$vmlinux" "$dir/vmcore" </dev/null >"$tmp/out" 2>"$tmp/err" || true
	expect "--vmlinux: KASLR offset in the summary" \
		"KASLR offset $(meta_get "$dir" KASLR_OFFSET) \(from --vmlinux\)" "$tmp/err"
	if grep -q 'warning' "$tmp/err"; then
		echo "FAIL --vmlinux: unexpected warnings:"; cat "$tmp/err"
		fail=$((fail + 1))
	else
		echo "PASS --vmlinux: no warnings"
	fi
	expect "--vmlinux: $(meta_get "$dir" ELF_CLASS), i386" \
		"$(meta_get "$dir" ELF_CLASS); i386, Linux $(meta_get "$dir" KVER)" "$tmp/err"
	# A file that is no kernel is refused (another architecture's
	# vmlinux: see tests/unit/test-vmlinux.c).
	if "$server" --vmlinux "$server" "$dir/vmcore" </dev/null >"$tmp/out" 2>"$tmp/err"; then
		echo "FAIL --vmlinux of a non-kernel accepted"; fail=$((fail + 1))
	else
		expect "--vmlinux of a non-kernel refused" "has no _stext symbol" "$tmp/err"
	fi
done

# gdb 16 (x86_64, which reads i386 targets) on the PAE ELF32 dump.
need_gdb16
dir=$("$top/tests/real/make-dump-i386.sh" --flavour 686-pae --core-headers elf32)
gdb=$gdb16
gdb_check real-i386-686-pae-elf32-gdb16 "$(meta_get "$dir" VMLINUX)" "$dir" \
	"| $server -q --threads cpus --vmlinux $(meta_get "$dir" VMLINUX) $dir/vmcore"
gdb=gdb

# Backtraces with the unwinder, task threads, gdb 13 and 16:
# tests/gdb/real-bt.py against the kernel's own backtrace of the panic,
# on the PAE ELF32 dump (a syscall) and on the one of a panic in
# hard-interrupt context (make-dump-i386.sh --irq: sysrq-c from a serial
# BREAK in the 8250 interrupt handler, on the IRQ stack).  drgn 0.0.31
# has no i386 unwinder, and Debian's crash reads x86_64 dumps only.  The
# kernel's backtrace comes from its log in the dump as drgn reads it
# (drgn-dmesg.py): the console's copy can be garbled, the 8250 driver
# printing the panic while its interrupt handler holds the port.
trixie=$("$top/tests/real/trixie-root.sh")
for kind in plain irq; do
	opt=
	[ $kind = plain ] || opt=--irq
	dir=$("$top/tests/real/make-dump-i386.sh" --flavour 686-pae --core-headers elf32 $opt)
	vmlinux=$(meta_get "$dir" VMLINUX)
	"$trixie/python3" "$here/drgn-dmesg.py" "$dir/vmcore" "$vmlinux" >"$tmp/$kind.dmesg" ||
		{ echo "FAIL drgn 0.0.31 kernel log of the i386 $kind dump"; fail=$((fail + 1)); }
	awk -f "$here/panic-trace.awk" "$tmp/$kind.dmesg" >"$tmp/$kind.kernel"
	echo "kernel (i386 $kind): $(sed 's/+.*//' "$tmp/$kind.kernel" | tr '\n' ' ')"
	for g in gdb13:gdb "gdb16:$gdb16"; do
		gdb_session "real-i386-bt-$kind-${g%%:*}" env VMC_META="$dir/meta.txt" \
			VMC_KERNEL_TRACE="$tmp/$kind.kernel" VMC_DRGN= \
			timeout 600 "${g#*:}" -nx -batch -q -iex "source $unwinder" "$vmlinux" \
			-ex "target remote | $server -q --vmlinux $vmlinux $dir/vmcore" \
			-x "$here/real-bt.py"
	done
done

# Debian's 32-bit gdb through the server, the full script on the 686
# ELF32 dump (gdb:i386 13.1 aborts on the 686-pae vmlinux's types even
# without a target: elfconv(1) BUGS).  gdb:i386 runs through
# tests/real/i386-run.sh: natively where this host runs i386 programs,
# else under qemu-user (VMCORE_I386_RUN=qemu-user forces that for the
# whole session: about 6x the CPU time, 137 s against 21 s).  Which one
# ran is read from the gdb process's own name (/proc/self/status, which
# qemu-user does not emulate: ld-linux.so.2 natively, qemu-i386 under
# qemu-user), not from i386-run.sh's choice.
dir=$("$top/tests/real/make-dump-i386.sh" --flavour 686 --core-headers elf32)
vmlinux=$(meta_get "$dir" VMLINUX)
gdb32=$("$top/tests/real/gdb-i386.sh")
how=$("$(dirname "$gdb32")/i386-run.sh" --how "$(dirname "$gdb32")/root")
comm_of() {	# comm_of [WRAPPER...]: the name gdb:i386 runs under
	timeout 300 "$@" "$gdb32" -nx -batch \
		-ex 'python print("COMM=" + open("/proc/self/status").readline().split()[1])' \
		2>&1 | sed -n 's/^COMM=//p'
}
want=qemu-i386
[ "$how" != native ] || want=ld-linux.so.2
comm=$(comm_of)
if [ "$comm" = "$want" ]; then
	echo "PASS gdb:i386 runs as $comm ($how on this host)"
else
	echo "FAIL gdb:i386 runs as '$comm', not $want (i386-run.sh says $how)"
	fail=$((fail + 1))
fi
gdb_session real-i386-686-gdb-i386 env VMC_META="$dir/meta.txt" \
	VMC_KDUMPFILE=0 timeout 900 "$gdb32" -nx -batch -q \
	-iex "source $unwinder" "$vmlinux" \
	-ex "target remote | $server -q --threads cpus --vmlinux $vmlinux $dir/vmcore" \
	-x "$here/real-i386.py"

# The other path, where this host has both: a short session as on a host
# kernel without IA-32 emulation (tests/real/no-ia32.c: every 32-bit
# process dies at its first system call), where i386-run.sh must find by
# trying that ld-linux.so.2 does not run and take qemu-user (the `target
# remote |` pipe, threads, a read of linux_banner, which must be the
# guest's /proc/version), without the vmlinux's debug info, whose reading
# makes most of the full session's time.
if [ "$how" = native ]; then
	echo "== real-i386-686-gdb-i386-no-ia32"
	noia32=$build/tests/no-ia32
	[ -x "$noia32" ] || { echo "no $noia32: make $noia32" >&2; exit 1; }
	how=$("$noia32" "$(dirname "$gdb32")/i386-run.sh" --how "$(dirname "$gdb32")/root")
	comm=$(comm_of "$noia32")
	if [ "$how" = qemu-user ] && [ "$comm" = qemu-i386 ]; then
		echo "PASS without IA-32 emulation: i386-run.sh takes qemu-user, gdb:i386 runs as qemu-i386"
	else
		echo "FAIL without IA-32 emulation: i386-run.sh says '$how', gdb:i386 runs as '$comm'"
		fail=$((fail + 1))
	fi
	banner=$(awk '$3 == "linux_banner" { print $1; exit }' "$(meta_get "$dir" SYSTEM_MAP)")
	banner=$(printf '0x%x' $((0x$banner + $(meta_get "$dir" KASLR_OFFSET))))
	timeout 600 "$noia32" "$gdb32" -nx -batch -iex "source $unwinder" \
		-ex "target remote | $server -q --threads cpus --vmlinux $vmlinux $dir/vmcore" \
		-ex 'set print elements 0' -ex 'info threads' -ex "x/s $banner" \
		>"$tmp/qemu-user.log" 2>&1 || true
	if grep -qF "$banner:	\"$(meta_get "$dir" PROC_VERSION)\\n\"" "$tmp/qemu-user.log" &&
		grep -qE "^\* 2 +Thread 2 .*vmcore-crasher pid $(meta_get "$dir" CRASHER_PID), panic" "$tmp/qemu-user.log"; then
		echo "PASS qemu-user: gdb:i386 through the server reads linux_banner = the guest's /proc/version; the crasher's thread is current"
	else
		echo "FAIL qemu-user: gdb:i386 session through the server:"
		cat "$tmp/qemu-user.log"
		fail=$((fail + 1))
	fi
fi

runner_end "real i386 dump tests"
