#!/bin/sh
# vmcore-loader on real Debian kernels that have no kexec_file_load, in
# QEMU: arm64 (6.1 cloud-arm64) and i386 (6.1 686-pae).  `load` must fail
# with the clear ENOSYS message on arm64 and fall back to the kexec_load
# path on i386; `status`, `crashkernel` and
# `load --dry-run` must read that kernel's /proc and /sys right; and
# `load --kexec-load --dry-run` must build, from the guest's own iomem,
# crash notes, VMCOREINFO and kcore, the PT_LOADs that kexec-tools wrote
# for the same machine (the fixture kdump's).
#
# Usage: tests/loader/qemu-cross.sh aarch64|i386
#
# The loader is cross-compiled statically against Debian's -dev packages of
# that architecture, downloaded and unpacked into the cache, never
# installed.  The kernel and busybox come from the kdump fixture of that
# architecture (tests/real/make-dump-*.sh, cached).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
arch=${1:-}
prog=qemu-$arch
. "$here/../lib-check.sh"
PATH=$PATH:/usr/sbin:/sbin
cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/gdbserver-vmcore
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$prog" "$*" >&2; }

case $arch in
aarch64)
	triplet=aarch64-linux-gnu debarch=arm64 libdir=aarch64-linux-gnu
	machine=AArch64 qemu=qemu-system-aarch64 tty=ttyAMA0 crash=256M
	qemu_args="-M virt -cpu max"
	capture="irqpoll nr_cpus=1 reset_devices cgroup_disable=memory"
	class=64
	fixture=$("$top/tests/real/make-dump-aarch64.sh")
	busybox=$cache/guest/arm64/bin/busybox ;;
i386)
	triplet=i686-linux-gnu debarch=i386 libdir=i386-linux-gnu
	machine="Intel 80386" qemu=qemu-system-i386 tty=ttyS0 crash=128M
	qemu_args="-M q35 -cpu max"
	capture="irqpoll nr_cpus=1 reset_devices"
	class=32
	fixture=$("$top/tests/real/make-dump-i386.sh" --flavour 686-pae --core-headers elf32)
	busybox=$(ls -d "$cache"/userland/i386-*/bin/busybox 2>/dev/null | head -n 1) ;;
*) die "usage: $0 aarch64|i386" ;;
esac
for t in "$qemu" cpio gzip readelf; do
	command -v "$t" >/dev/null 2>&1 || die "'$t' not found; run mk/install-deps.sh test"
done
vmlinuz=$(sed -n 's/^VMLINUZ=//p' "$fixture/meta.txt")
[ -s "$vmlinuz" ] || die "no kernel in $fixture/meta.txt"
[ -n "$busybox" ] && [ -x "$busybox" ] || die "no $debarch busybox (the $arch fixture script unpacks it)"

# ---- the static loader, cross-built (tests/loader/cross-build.sh).
loader=$("$here/cross-build.sh" "$arch" "$tmp/build") || die "cross build of vmcore-loader failed"
readelf -h "$loader" | grep -q "Machine: *$machine" && ok "vmcore-loader cross-built for $arch" ||
	bad "not an $arch program: $(readelf -h "$loader" | grep Machine)"
! readelf -lW "$loader" | grep -q interpreter && ok "statically linked" || bad "dynamically linked"

# ---- the guest: status, sizing, dry run, then a real load.
tree=$tmp/tree
mkdir -p "$tree/bin" "$tree/dev" "$tree/proc" "$tree/sys" "$tree/boot"
cp "$busybox" "$tree/bin/busybox"
for a in sh mount cat echo poweroff sleep uname; do ln -s busybox "$tree/bin/$a"; done
cp "$loader" "$tree/bin/vmcore-loader"
cp "$vmlinuz" "$tree/boot/vmlinuz"
cat >"$tree/init" <<'EOF'
#!/bin/sh
PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "GUEST-BEGIN $(uname -m) $(uname -r)"
echo "== status"; vmcore-loader status; echo "STATUS-RC=$?"
echo "== crashkernel"; vmcore-loader crashkernel; echo "CRASHKERNEL-RC=$?"
echo "== dry-run"; vmcore-loader load --dry-run --kernel /boot/vmlinuz --no-initrd; echo "DRYRUN-RC=$?"
echo "== load"; vmcore-loader load --kernel /boot/vmlinuz --no-initrd 2>&1; echo "LOAD-RC=$?"
echo "== kexec-load"; vmcore-loader load --kexec-load --dry-run --kernel /boot/vmlinuz --no-initrd 2>&1; echo "KEXECLOAD-RC=$?"
echo "== iomem"; cat /proc/iomem; echo "IOMEM-RC=$?"
echo "GUEST-END"
if [ "$(uname -m)" != aarch64 ]; then
	# The purgatory must refuse segments that changed after the load:
	# a loader told (for this test) to store a wrong digest, then a panic.
	VMCORE_LOADER_TEST_BAD_DIGEST=1 vmcore-loader load --kexec-load \
		--kernel /boot/vmlinuz --no-initrd >/dev/null 2>&1
	# Through printk (KERN_CRIT, printed despite "quiet"): a line echoed
	# to the tty can still sit in the UART's buffer when the panic
	# stops everything, and whether it does depends on timing.
	echo "<2>GUEST-CRASH loaded=$(cat /sys/kernel/kexec_crash_loaded)" >/dev/kmsg
	echo c >/proc/sysrq-trigger
fi
sleep 1
poweroff -f
EOF
chmod 755 "$tree/init"
name=dev/console
{
	(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0\0\0' \
		1 $((0020600)) 0 0 1 0 0 0 0 5 1 $((${#name} + 1)) 0 "$name"
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0\0\0\0\0' \
		0 0 0 0 1 0 0 0 0 0 0 11 0 'TRAILER!!!'
} | gzip -1 >"$tmp/init.cpio.gz"

log "booting $(basename "$vmlinuz") in $qemu (TCG)"
console=$tmp/console.log
rc=0
# shellcheck disable=SC2086 # qemu_args is a word list
timeout 300 "$qemu" $qemu_args -accel tcg -smp 2 -m 1G \
	-nodefaults -display none -no-reboot -serial "file:$console" \
	-kernel "$vmlinuz" -initrd "$tmp/init.cpio.gz" \
	-append "console=$tty crashkernel=$crash panic=-1 quiet" </dev/null >&2 &
qpid=$!
# On i386 the guest ends in the purgatory's refusal, where it halts for
# good: stop QEMU once that message is out.
while kill -0 $qpid 2>/dev/null; do
	if grep -q 'vmcore-loader purgatory: SHA-256' "$console" 2>/dev/null; then
		sleep 1
		kill $qpid 2>/dev/null || true
		break
	fi
	sleep 1
done
wait $qpid || rc=$?
[ "$arch" != i386 ] || [ $rc != 143 ] || rc=0
tr -d '\r' <"$console" >"$tmp/c" && mv "$tmp/c" "$console"
[ $rc = 0 ] && grep -q '^GUEST-END' "$console" && ok "guest ran to the end" ||
	bad "QEMU exit $rc" "$(tail -n 20 "$console")"
section() { sed -n "/^== $1\$/,/^[A-Z-]*-RC=/p" "$console"; }

section status >"$tmp/s"
grep -q '^STATUS-RC=1' "$tmp/s" && grep -qE "^reserved +$crash" "$tmp/s" &&
	grep -qE "^iomem +Crash kernel ranges: $crash" "$tmp/s" &&
	grep -q 'no crash kernel is loaded' "$tmp/s" &&
	ok "status on $arch: $crash reserved (iomem and sysfs), nothing loaded, not ready" ||
	bad "status" "$(cat "$tmp/s")"
section crashkernel >"$tmp/s"
grep -q '^CRASHKERNEL-RC=0' "$tmp/s" && grep -q "^recommended for $arch" "$tmp/s" &&
	ok "crashkernel: $arch recommendation" || bad "crashkernel" "$(cat "$tmp/s")"
section dry-run >"$tmp/s"
grep -q '^DRYRUN-RC=0' "$tmp/s" &&
	grep -qx "command line console=$tty panic=-1 $capture" "$tmp/s" &&
	ok "dry run: command line without crashkernel= and quiet, with $arch's capture options" ||
	bad "dry run" "$(cat "$tmp/s")"
section load >"$tmp/s"
if [ "$arch" = i386 ]; then
	# No kexec_file_load: load falls back to the kexec_load path.
	grep -q '^LOAD-RC=0' "$tmp/s" &&
		grep -q 'this kernel has no kexec_file_load(2): loading with kexec_load(2)' "$tmp/s" &&
		grep -q 'crash kernel loaded with kexec_load (ELF32 core header)' "$tmp/s" &&
		ok "load on $(basename "$vmlinuz"): no kexec_file_load, so kexec_load with our ELF32 header" ||
		bad "load" "$(cat "$tmp/s")"
else
	grep -q '^LOAD-RC=1' "$tmp/s" &&
		grep -q 'kexec_file_load /boot/vmlinuz: Function not implemented: this kernel has no kexec_file_load(2)' "$tmp/s" &&
		grep -q 'must be loaded with kexec_load(2), which this loader does for x86 only' "$tmp/s" &&
		ok "load on $(basename "$vmlinuz"): clear ENOSYS message (kexec_load path is x86 only)" ||
		bad "load" "$(cat "$tmp/s")"
fi

# The kexec_load path's core header from this kernel's own iomem, crash
# notes, VMCOREINFO and kcore.  Its RAM PT_LOADs must be the guest's System
# RAM minus its Crash kernel range (worked out here from the guest's
# /proc/iomem, independently), split at 896 MiB on i386 with highmem
# unmapped; the kernel image segment (arm64) must lie in RAM.  (The unit
# tests check the same rules against the headers kexec-tools wrote: the
# real fixtures' crash kernel sits elsewhere, as their initrd differs.)
section kexec-load >"$tmp/s"
grep -q '^KEXECLOAD-RC=0' "$tmp/s" &&
	grep -qE "^core header  ELF$class, [0-9]+ bytes: 3 PT_NOTE \(2 CPUs \+ VMCOREINFO\)" "$tmp/s" &&
	ok "kexec-load dry run on $arch: ELF$class, 2 CPUs' crash notes + VMCOREINFO" ||
	bad "kexec-load dry run" "$(cat "$tmp/s")"
awk '$1 == "load" && $2 == "RAM" { print $3, ($4 == "at" ? $5 : "none") }' "$tmp/s" >"$tmp/ours"
section iomem | tr -d ' ' | awk -F'[-:]' 'NF == 3 { print $1, $2, $3 }' >"$tmp/io"
lowmem=0
[ "$arch" = i386 ] && lowmem=$((0x38000000))
: >"$tmp/want"
emit() {	# emit START END(exclusive): as the header must describe it
	if [ "$lowmem" != 0 ] && [ "$1" -lt "$lowmem" ] && [ "$2" -gt "$lowmem" ]; then
		emit "$1" "$lowmem"
		emit "$lowmem" "$2"
		return
	fi
	if [ "$lowmem" != 0 ] && [ "$1" -ge "$lowmem" ]; then v=none; else v=lin; fi
	printf '0x%x-0x%x %s\n' "$1" $(($2 - 1)) "$v" >>"$tmp/want"
}
ck=$(awk '$3 == "Crashkernel" { print $1, $2; exit }' "$tmp/io")
# shellcheck disable=SC2086 # two words
set -- $ck
ck_lo=$((0x$1)) ck_hi=$((0x$2 + 1))
# Top-level System RAM lines are the ones iomem does not indent; the tr
# above removed the indentation, so take them from the raw section.
section iomem | grep -E '^[0-9a-f]+-[0-9a-f]+ : System RAM$' | tr -d ' ' | awk -F'[-:]' '{ print $1, $2 }' |
while read -r lo hi; do
	lo=$((0x$lo)) hi=$((0x$hi + 1))
	if [ "$ck_lo" -ge "$lo" ] && [ "$ck_hi" -le "$hi" ]; then
		[ "$ck_lo" -le "$lo" ] || emit "$lo" "$ck_lo"
		[ "$ck_hi" -ge "$hi" ] || emit "$ck_hi" "$hi"
	else
		emit "$lo" "$hi"
	fi
done
awk '{ print $1, ($2 == "none" ? "none" : "lin") }' "$tmp/ours" >"$tmp/ours2"
[ -s "$tmp/want" ] && cmp -s "$tmp/ours2" "$tmp/want" &&
	ok "RAM PT_LOADs = the guest's System RAM minus its crash kernel ($(awk '{ printf "%s ", $1 }' "$tmp/want"))" ||
	bad "RAM PT_LOADs" "ours: $(cat "$tmp/ours2"); from iomem: $(cat "$tmp/want")"
if [ "$arch" = i386 ]; then
	bad_va=$(awk '$2 != "none" { split($1, r, "-"); if (($2 + 0) != (r[1] + 0) + 3221225472) print }' "$tmp/ours")
	[ -z "$bad_va" ] && ok "i386 lowmem linear at 0xc0000000, highmem without a virtual address" ||
		bad "i386 virtual addresses" "$bad_va"
else
	grep -qE '^  load       kernel text 0x[0-9a-f]+-0x[0-9a-f]+ at 0xffff' "$tmp/s" &&
		ok "aarch64: the kernel image segment (KIMAGE_VADDR) from /proc/kcore" ||
		bad "no kernel text segment" "$(cat "$tmp/s")"
fi

if [ "$arch" = i386 ]; then
	grep -qE '^\[ *[0-9.]+\] GUEST-CRASH loaded=1$' "$console" &&
		grep -q "vmcore-loader purgatory: SHA-256 of the capture kernel's segments does not match" "$console" &&
		! grep -q 'VFS: Unable to mount root' "$console" &&
		ok "a wrong digest: the purgatory refuses on the serial console and no capture kernel starts" ||
		bad "purgatory digest refusal" "$(tail -n 8 "$console")"
fi

echo "loader $arch tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
