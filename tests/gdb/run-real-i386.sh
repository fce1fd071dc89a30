#!/bin/sh
# Real i386 dump tests: make (or reuse from the cache) kdumps of Debian 6.1
# 32-bit kernels in QEMU: 686-pae (PAE page tables) with ELF32 and with
# ELF64 core headers (kexec_load), and 686 (2-level page tables) with ELF32
# ones; then check them through gdb (the host's gdb reads i386 targets).
# Usage: tests/gdb/run-real-i386.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"

# gdb_check NAME VMLINUX DUMPDIR TARGET: run real-i386.py against TARGET.
gdb_check() {
	gdb_session "$1" env VMC_META="$3/meta.txt" timeout 600 gdb -nx \
		-batch -q "$2" -ex "target remote $4" -x "$here/real-i386.py"
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
	timeout 120 gdb -nx -batch -q -ex "target remote | $server -q $dir/vmcore" \
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

# Debian's 32-bit gdb through the server, the full script on the 686
# ELF32 dump (gdb:i386 13.1 aborts on the 686-pae vmlinux's types even
# without a target: elfconv(1) BUGS).
dir=$("$top/tests/real/make-dump-i386.sh" --flavour 686 --core-headers elf32)
vmlinux=$(meta_get "$dir" VMLINUX)
gdb32=$("$top/tests/real/gdb-i386.sh")
gdb_session real-i386-686-gdb-i386 env VMC_META="$dir/meta.txt" \
	VMC_KDUMPFILE=0 timeout 600 "$gdb32" -nx -batch -q "$vmlinux" \
	-ex "target remote | $server -q --threads cpus --vmlinux $vmlinux $dir/vmcore" \
	-x "$here/real-i386.py"

runner_end "real i386 dump tests"
