#!/bin/sh
# Make (or reuse) QEMU dump-guest-memory dumps of a panicked Debian 12
# "cloud-amd64" 6.1 kernel.
#
# Usage: tests/real/make-qemu-dumps-x86_64.sh [--no-vmcoreinfo] [--print-dir]
#
# Boots the kernel in QEMU (TCG, 4-level paging) with no crash kernel and
# panic=0, panics on CPU 1 from a task named "vmcore-crasher", stops the
# guest through QMP while it sits in panic(), and writes, from that one
# stopped machine:
#   vmcore-elf        dump-guest-memory paging=false (p_vaddr == p_paddr)
#   vmcore-paging     dump-guest-memory paging=true (virtual PT_LOADs)
#   vmcore-kdump-zlib dump-guest-memory format=kdump-zlib (flattened stream)
# With --no-vmcoreinfo the guest has no "-device vmcoreinfo", so the dump
# has no VMCOREINFO note, and only vmcore-elf is written.  The result is in
#   ${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/dumps/<kver>-x86_64-qemu[-novmci]-v<FIXTURE_VERSION>-k<key>/
# (<key>: a hash of the fixture scripts; nothing of ours runs in the guest)
# The only thing printed on stdout is that directory; progress goes to
# stderr.  A complete set (its "done" stamp exists) is reused as it is.
#
#   --no-vmcoreinfo  boot without QEMU's vmcoreinfo device
#   --print-dir      only print the directory; exit 0 if it is complete,
#                    1 if not (nothing is built or downloaded)
#
# Environment: VMCORE_KVER, VMCORE_KEEP_BUILD as for make-dump-x86_64.sh.
# See tests/real/README.md.
set -eu

# Bump whenever the recipe changes in a way that changes the dumps.
FIXTURE_VERSION=2

QEMU_TIMEOUT=300	# seconds until the guest must have panicked
GUEST_MEM=1G

prog=make-qemu-dumps-x86_64
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-x86_64.sh"

vmcoreinfo_dev=1
print_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--no-vmcoreinfo) vmcoreinfo_dev=0; shift ;;
	--print-dir) print_only=1; shift ;;
	-h|--help) usage 0 ;;
	*) log "unknown argument '$1'"; usage ;;
	esac
done
levels=4
qemu_cpu=max,la57=off
suffix=qemu
[ $vmcoreinfo_dev = 1 ] || suffix=qemu-novmci

pick_kver $print_only
# shellcheck disable=SC2086 # a word list
fixture_dir "$kver-x86_64-$suffix-v$FIXTURE_VERSION" $X86_64_FIXTURE_FILES tests/real/qmp.py
print_or_reuse $print_only

need apt-get dpkg-deb tar cpio gzip xz readelf od dd timeout flock \
	qemu-system-x86_64 busybox python3 fallocate
need_static_busybox
lock_cache
fetch_kernel

# --------------------------------------------------------------------------
log "building the QEMU dumps for $kver (QEMU TCG, this takes a minute)"
start_work
# qemu_fw_cfg hands the VMCOREINFO note's address to -device vmcoreinfo.
new_tree $VIRTIO_MODULES qemu_fw_cfg
mk_cpio "$work/main.cpio.gz"
rm -rf "$tree"

console=$work/console.log
qmp=$work/qmp.sock
dev=""
[ $vmcoreinfo_dev = 0 ] || dev="-device vmcoreinfo"
qpid=""
cleanup_more() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
}

log "booting QEMU (-cpu $qemu_cpu${dev:+ $dev}); console in $console"
# shellcheck disable=SC2086 # $dev is empty or two words
qemu-system-x86_64 \
	-M q35 -accel tcg -cpu "$qemu_cpu" -smp 2 -m "$GUEST_MEM" \
	-nodefaults -display none -no-reboot \
	-serial "file:$console" \
	-qmp "unix:$qmp,server=on,wait=off" $dev \
	-kernel "$vmlinuz" -initrd "$work/main.cpio.gz" \
	-append "console=ttyS0 panic=0 vmcore_fixture=qemu" \
	</dev/null >&2 &
qpid=$!

# panic() prints this last; with panic=0 the CPU then spins in panic().
i=0
until grep -q 'end Kernel panic' "$console" 2>/dev/null; do
	if grep -q '^VMCORE-FAIL' "$console" 2>/dev/null; then
		show_console "$console"
		die "guest: $(grep '^VMCORE-FAIL' "$console" | head -n 1 | tr -d '\r')"
	fi
	kill -0 "$qpid" 2>/dev/null || { show_console "$console"; die "QEMU exited before the panic"; }
	i=$((i + 1))
	[ $i -le $((QEMU_TIMEOUT * 5)) ] || { show_console "$console"; die "no panic after ${QEMU_TIMEOUT}s"; }
	sleep 0.2
done

set -- stop
set -- "$@" -- dump-guest-memory paging=false "protocol=file:$work/vmcore-elf"
if [ $vmcoreinfo_dev = 1 ]; then
	set -- "$@" -- dump-guest-memory paging=true "protocol=file:$work/vmcore-paging"
	set -- "$@" -- dump-guest-memory paging=false format=kdump-zlib \
		"protocol=file:$work/vmcore-kdump-zlib"
fi
python3 "$here/qmp.py" "$qmp" "$@" -- quit || die "QMP commands failed"
wait "$qpid" || true
qpid=""
tr -d '\r' <"$console" >"$work/console.log.tmp"
mv "$work/console.log.tmp" "$console"
rm -f "$work/main.cpio.gz"

# QEMU writes every zero page of the ELF dumps: punch holes.
for f in vmcore-elf vmcore-paging; do
	[ -e "$work/$f" ] || continue
	fallocate -d "$work/$f" || die "fallocate -d $work/$f failed"
done

# --------------------------------------------------------------------------
# Sanity checks with binutils only, and facts for meta.txt.
vmcore=$work/vmcore-elf
check_elf_loads "$vmcore"
vmcoreinfo=$work/vmcoreinfo.txt
read_notes "$vmcore" "$vmcoreinfo"
[ "$qemu_notes" = 2 ] || die "expected 2 QEMU CPU-state notes, found $qemu_notes"
[ "$prs_pids" = 1,2 ] || die "expected QEMU's pr_pids 1,2 (vCPU + 1), found $prs_pids"
guest_meta "$console"
[ "$(gm FW_CFG_VMCOREINFO)" = $vmcoreinfo_dev ] ||
	die "guest FW_CFG_VMCOREINFO=$(gm FW_CFG_VMCOREINFO), wanted $vmcoreinfo_dev"
if [ $vmcoreinfo_dev = 1 ]; then
	[ "$(vci OSRELEASE)" = "$kver" ] ||
		die "VMCOREINFO OSRELEASE '$(vci OSRELEASE)' is not $kver"
	kernel_offset=0x$(vci KERNELOFFSET)
	[ "$kernel_offset" != 0x ] || die "no KERNELOFFSET in the VMCOREINFO note"
	check_elf_loads "$work/vmcore-paging"
	head -c 16 "$work/vmcore-kdump-zlib" | grep -q '^makedumpfile' ||
		die "vmcore-kdump-zlib is not a flattened stream"
else
	[ ! -s "$vmcoreinfo" ] || die "a VMCOREINFO note without -device vmcoreinfo"
	# The guest's view: _stext's address minus its link address
	# 0xffffffff81000000.  The shell's arithmetic is signed 64-bit, so
	# subtract in the low 32 bits (the kernel image stays in the top 2 GiB).
	stext=$(gm KSYM__stext)
	case $stext in
	0xffffffff[0-9a-f]*) ;;
	*) die "guest _stext $stext is not in the kernel image mapping" ;;
	esac
	kernel_offset=$(printf '0x%x' $((0x${stext#0xffffffff} - 0x81000000)))
fi
check_marker "$vmcore"
rm -f "$vmcoreinfo"

{
	meta_common "QEMU dump-guest-memory set"
	echo "DUMP_KIND=qemu"
	echo "VMCOREINFO_NOTE=$vmcoreinfo_dev"
	echo "KERNELOFFSET=$kernel_offset"
	echo "PGTABLE_L5_ENABLED=0"
	echo "PRSTATUS_PIDS=$prs_pids"
	cat "$meta_raw"
} >"$work/meta.txt"
rm -f "$meta_raw"

publish
