#!/bin/sh
# vmcore-loader on a real arm64 kernel in QEMU: Debian's 6.1 cloud-arm64 has
# no kexec_file_load, so `load` must fail with the clear ENOSYS message (the
# kexec_load path is a separate piece of work); `status`, `crashkernel` and
# `load --dry-run` must read that kernel's /proc and /sys right.
#
# Usage: tests/loader/qemu-aarch64.sh
#
# The loader is cross-compiled statically (aarch64-linux-gnu-gcc) against
# Debian's arm64 -dev packages, downloaded and unpacked into the cache,
# never installed.  The kernel and busybox come from the aarch64 kdump
# fixture (tests/real/make-dump-aarch64.sh, cached).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
prog=qemu-aarch64
. "$here/../lib-check.sh"
PATH=$PATH:/usr/sbin:/sbin
cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/gdbserver-vmcore
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$prog" "$*" >&2; }

for t in aarch64-linux-gnu-gcc aarch64-linux-gnu-ar qemu-system-aarch64 apt-get dpkg-deb cpio gzip; do
	command -v "$t" >/dev/null 2>&1 || die "'$t' not found; run mk/install-deps.sh test"
done

# ---- the kernel and a static arm64 busybox: the aarch64 fixture's.
fixture=$("$top/tests/real/make-dump-aarch64.sh")
vmlinuz=$(sed -n 's/^VMLINUZ=//p' "$fixture/meta.txt")
busybox=$cache/guest/arm64/bin/busybox
[ -s "$vmlinuz" ] || die "no arm64 kernel in $fixture/meta.txt"
[ -x "$busybox" ] || die "no arm64 busybox at $busybox (tests/real/make-dump-aarch64.sh unpacks it)"

# ---- arm64 static libraries: the -dev packages, unpacked once per set.
devpkgs="libelf-dev zlib1g-dev liblzo2-dev libsnappy-dev libzstd-dev"
mkdir -p "$cache/debs" "$cache/sysroot"
debs=""
for p in $devpkgs; do
	deb=$(ls "$cache/debs/${p}"_*_arm64.deb 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$deb" ]; then
		log "downloading $p:arm64"
		dl=$(mktemp -d "$cache/debs/.dl.XXXXXX")
		sandbox=""
		[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
		# shellcheck disable=SC2086
		(cd "$dl" && apt-get download -q $sandbox "$p:arm64") >&2 ||
			{ rm -rf "$dl"; die "apt-get download $p:arm64 failed"; }
		mv "$dl"/*.deb "$cache/debs/"
		rmdir "$dl"
		deb=$(ls "$cache/debs/${p}"_*_arm64.deb | sort -V | tail -n 1)
	fi
	debs="$debs $deb"
done
key=$(for d in $debs; do basename "$d"; done | md5sum | cut -c1-12)
sysroot=$cache/sysroot/arm64-$key
if [ ! -e "$sysroot/done" ]; then
	rm -rf "$sysroot.tmp"
	mkdir -p "$sysroot.tmp"
	for d in $debs; do dpkg-deb -x "$d" "$sysroot.tmp" || die "dpkg-deb -x $d"; done
	touch "$sysroot.tmp/done"
	rm -rf "$sysroot"
	mv "$sysroot.tmp" "$sysroot"
fi

# ---- cross build, static, in its own build directory.
bdir=$top/build-aarch64
inc=$sysroot/usr/include
lib=$sysroot/usr/lib/aarch64-linux-gnu
MAKEFLAGS= MAKELEVEL= make -C "$top" --no-print-directory -s BUILD="$bdir" SAN= \
	CC=aarch64-linux-gnu-gcc AR=aarch64-linux-gnu-ar \
	CFLAGS="-I$inc -I$inc/aarch64-linux-gnu -L$lib" "$bdir/static/vmcore-loader" ||
	die "cross build of vmcore-loader failed"
loader=$bdir/static/vmcore-loader
readelf -h "$loader" | grep -q 'AArch64' && ok "vmcore-loader cross-built for aarch64" ||
	bad "not an aarch64 program: $(readelf -h "$loader" | grep Machine)"
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
echo "== kexec-load"; vmcore-loader load --kexec-load --dry-run 2>&1; echo "KEXECLOAD-RC=$?"
echo "GUEST-END"
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

log "booting $(basename "$vmlinuz") in qemu-system-aarch64 (TCG)"
console=$tmp/console.log
rc=0
timeout 300 qemu-system-aarch64 -M virt -accel tcg -cpu max -smp 2 -m 1G \
	-nodefaults -display none -no-reboot -serial "file:$console" \
	-kernel "$vmlinuz" -initrd "$tmp/init.cpio.gz" \
	-append "console=ttyAMA0 crashkernel=256M panic=-1 quiet" </dev/null >&2 || rc=$?
tr -d '\r' <"$console" >"$tmp/c" && mv "$tmp/c" "$console"
[ $rc = 0 ] && grep -q '^GUEST-END' "$console" && ok "guest ran to the end" ||
	bad "QEMU exit $rc" "$(tail -n 20 "$console")"
section() { sed -n "/^== $1\$/,/^[A-Z-]*-RC=/p" "$console"; }

section status >"$tmp/s"
grep -q '^STATUS-RC=1' "$tmp/s" && grep -qE '^reserved +256M' "$tmp/s" &&
	grep -qE '^iomem +Crash kernel ranges: 256M' "$tmp/s" &&
	grep -q 'no crash kernel is loaded' "$tmp/s" &&
	ok "status on arm64: 256M reserved (iomem and sysfs), nothing loaded, not ready" ||
	bad "status" "$(cat "$tmp/s")"
section crashkernel >"$tmp/s"
grep -q '^CRASHKERNEL-RC=0' "$tmp/s" && grep -q '^recommended for aarch64' "$tmp/s" &&
	ok "crashkernel: aarch64 recommendation" || bad "crashkernel" "$(cat "$tmp/s")"
section dry-run >"$tmp/s"
grep -q '^DRYRUN-RC=0' "$tmp/s" &&
	grep -qx 'command line console=ttyAMA0 panic=-1 irqpoll nr_cpus=1 reset_devices cgroup_disable=memory' "$tmp/s" &&
	ok "dry run: command line without crashkernel= and quiet, with arm64's capture options" ||
	bad "dry run" "$(cat "$tmp/s")"
section load >"$tmp/s"
grep -q '^LOAD-RC=1' "$tmp/s" &&
	grep -q 'kexec_file_load /boot/vmlinuz: Function not implemented: this kernel has no kexec_file_load(2)' "$tmp/s" &&
	grep -q 'must be loaded with kexec_load(2)' "$tmp/s" &&
	ok "load on cloud-arm64: clear ENOSYS message (kexec_load path needed)" ||
	bad "load" "$(cat "$tmp/s")"

# The kexec_load path's core header from this kernel's own iomem, crash
# notes, VMCOREINFO and kcore: its kernel image and RAM ranges must be the
# PT_LOADs that
# kexec-tools wrote for the same machine (the aarch64 kdump fixture: same
# memory size and crashkernel=).
section kexec-load >"$tmp/s"
awk '$1 == "load" && $2 == "RAM" { print $3 } $1 == "load" && $2 == "kernel" { print $4 }' \
	"$tmp/s" >"$tmp/ours"
readelf -lW "$fixture/vmcore" | awk '$1 == "LOAD" { printf "%d %d\n", $4, $5 }' |
	while read -r p sz; do printf '0x%x-0x%x\n' "$p" $((p + sz - 1)); done >"$tmp/theirs"
grep -q '^KEXECLOAD-RC=0' "$tmp/s" &&
	grep -qE '^core header  ELF64, [0-9]+ bytes: 3 PT_NOTE \(2 CPUs \+ VMCOREINFO\)' "$tmp/s" &&
	ok "kexec-load dry run on arm64: ELF64, 2 CPUs' crash notes + VMCOREINFO" ||
	bad "kexec-load dry run" "$(cat "$tmp/s")"
[ -s "$tmp/ours" ] && cmp -s "$tmp/ours" "$tmp/theirs" &&
	ok "its kernel text and RAM ranges = kexec-tools' PT_LOADs for the same machine ($(tr '\n' ' ' <"$tmp/ours"))" ||
	bad "RAM ranges differ from kexec-tools'" "ours: $(cat "$tmp/ours"); kexec-tools: $(cat "$tmp/theirs")"

echo "loader aarch64 tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
