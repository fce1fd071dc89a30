#!/bin/sh
# Make (or reuse) a REAL kdump of a Debian 12 "cloud-amd64" 6.1 kernel.
#
# Usage: tests/real/make-dump-x86_64.sh [--levels 4|5] [--print-dir]
#
# Boots the kernel in QEMU (TCG; KVM is never used), arms kdump with
# kexec_file_load, panics on CPU 1 from a task named "vmcore-crasher", lets
# the capture kernel copy /proc/vmcore to a raw virtio disk, and stores the
# result under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/dumps/<kver>-x86_64-<levels>l-v<FIXTURE_VERSION>/
# The only thing printed on stdout is that directory; progress goes to stderr.
# A complete dump (its "done" stamp exists) is reused without doing anything.
#
#   --levels 4|5   paging levels of the guest (default 4)
#   --print-dir    only print the directory; exit 0 if it holds a complete
#                  dump, 1 if not (nothing is built or downloaded)
#
# Environment: VMCORE_KVER=6.1.0-NN-cloud-amd64 picks the kernel instead of
# the newest one apt knows; VMCORE_KEEP_BUILD=1 keeps a failed build dir.
# See tests/real/README.md.
set -eu

# Bump whenever the recipe changes in a way that changes the dumps.
FIXTURE_VERSION=1

QEMU_TIMEOUT=600	# seconds, for the whole two-boot run
GUEST_MEM=1G
CRASHKERNEL=256M
DISK_SIZE=2G		# sparse; must hold the 1 MiB header area + /proc/vmcore
DATA_OFFSET_MIB=1	# must match guest-init.sh

prog=make-dump-x86_64
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-x86_64.sh"

levels=4
print_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--levels) [ $# -ge 2 ] || usage; levels=$2; shift 2 ;;
	--levels=*) levels=${1#--levels=}; shift ;;
	--print-dir) print_only=1; shift ;;
	-h|--help) usage 0 ;;
	*) log "unknown argument '$1'"; usage ;;
	esac
done
case $levels in
4) qemu_cpu=max,la57=off ;;	# no LA57 -> the kernel uses 4-level paging
5) qemu_cpu=max ;;		# LA57 + CONFIG_X86_5LEVEL -> 5-level paging
*) die "--levels must be 4 or 5, not '$levels'" ;;
esac

pick_kver $print_only
dumpdir=$cache/dumps/$kver-x86_64-${levels}l-v$FIXTURE_VERSION
print_or_reuse $print_only

need apt-get dpkg-deb tar cpio gzip xz readelf ldd od dd timeout flock \
	qemu-system-x86_64 kexec busybox
kexec_bin=$(command -v kexec)
need_static_busybox
lock_cache
fetch_kernel

# --------------------------------------------------------------------------
log "building the ${levels}-level dump for $kver (QEMU TCG, this takes a minute)"
start_work
new_tree $VIRTIO_MODULES

# Capture kernel's initramfs: busybox, modules, init.
mk_cpio "$work/capture.cpio.gz"

# First kernel's initramfs additionally has kexec (dynamically linked:
# copy every library ldd resolves, which is the recursive closure, plus the
# ELF interpreter), the kernel to load and the capture initramfs.
rm -f "$tree/bin/kexec"	# in case busybox has a kexec applet
cp "$kexec_bin" "$tree/bin/kexec"
libs=$(ldd "$kexec_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
[ -n "$libs" ] || die "ldd found no libraries for $kexec_bin"
for l in $libs; do
	mkdir -p "$tree$(dirname "$l")"
	cp -L "$l" "$tree$l"
done
interp=$(readelf -lW "$kexec_bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -e "$tree$interp" ] || die "ELF interpreter $interp of kexec not copied"
cp "$vmlinuz" "$tree/vmlinuz"
cp "$work/capture.cpio.gz" "$tree/capture.cpio.gz"
mk_cpio "$work/main.cpio.gz"
rm -rf "$tree"

# --------------------------------------------------------------------------
disk=$work/disk.img
truncate -s "$DISK_SIZE" "$disk"
console=$work/console.log

log "booting QEMU (-cpu $qemu_cpu); console in $console"
qrc=0
timeout "$QEMU_TIMEOUT" qemu-system-x86_64 \
	-M q35 -accel tcg -cpu "$qemu_cpu" -smp 2 -m "$GUEST_MEM" \
	-nodefaults -display none -no-reboot \
	-serial "file:$console" \
	-kernel "$vmlinuz" -initrd "$work/main.cpio.gz" \
	-append "console=ttyS0 crashkernel=$CRASHKERNEL panic=-1" \
	-drive "file=$disk,format=raw,if=virtio" \
	</dev/null >&2 || qrc=$?

[ $qrc != 124 ] || { show_console "$console"; die "QEMU timed out after ${QEMU_TIMEOUT}s"; }
[ $qrc = 0 ] || { show_console "$console"; die "QEMU failed (exit status $qrc)"; }
if grep -q '^VMCORE-FAIL' "$console"; then
	show_console "$console"
	die "guest: $(grep '^VMCORE-FAIL' "$console" | head -n 1 | tr -d '\r')"
fi

# The capture kernel wrote a text header at offset 0 and the vmcore bytes at
# DATA_OFFSET_MIB; the header is written last, so it marks completion.
hdr=$(head -c 512 "$disk" | tr -d '\0')
case $hdr in
GDBSERVER-VMCORE-DISK*END*) ;;
*) show_console "$console"; die "no dump on the disk image (did the capture kernel run?)" ;;
esac
vmcore_size=$(printf '%s\n' "$hdr" | sed -n 's/^SIZE=//p')
case $vmcore_size in
''|*[!0-9]*|0) die "bad disk header: $hdr" ;;
esac
# Sparse copy: most of the guest's memory is zero pages.
dd if="$disk" of="$work/vmcore" bs=1M skip=$DATA_OFFSET_MIB \
	count="$vmcore_size" iflag=count_bytes conv=sparse status=none
rm -f "$disk" "$work/main.cpio.gz" "$work/capture.cpio.gz"
[ "$(stat -c %s "$work/vmcore")" = "$vmcore_size" ] || die "short vmcore copy"
tr -d '\r' <"$console" >"$work/console.log.tmp"
mv "$work/console.log.tmp" "$console"

# --------------------------------------------------------------------------
# Sanity checks with binutils only, and facts for meta.txt.
vmcore=$work/vmcore
check_elf_loads "$vmcore"
vmcoreinfo=$work/vmcoreinfo.txt
read_notes "$vmcore" "$vmcoreinfo"
nprs=$(echo "$prs_pids" | tr ',' '\n' | grep -c . || true)
[ "$nprs" = 2 ] || die "expected 2 NT_PRSTATUS notes, found $nprs"
kernel_offset=$(vci KERNELOFFSET)
[ -n "$kernel_offset" ] || die "no KERNELOFFSET in the VMCOREINFO note"
[ "$(vci OSRELEASE)" = "$kver" ] ||
	die "VMCOREINFO OSRELEASE '$(vci OSRELEASE)' is not $kver"
l5=$(vci 'NUMBER(pgtable_l5_enabled)')
[ "$l5" = $((levels == 5)) ] ||
	die "VMCOREINFO says pgtable_l5_enabled=$l5, wanted $levels-level paging"

guest_meta "$console"
case ,$prs_pids, in
*,"$(gm CRASHER_PID)",*) ;;
*) die "no NT_PRSTATUS carries the crasher's pid $(gm CRASHER_PID) (pids: $prs_pids)" ;;
esac
check_marker "$vmcore"

{
	meta_common kdump
	echo "VMCORE=$dumpdir/vmcore"
	echo "VMCORE_SIZE=$vmcore_size"
	echo "KERNELOFFSET=0x$kernel_offset"
	echo "PGTABLE_L5_ENABLED=$l5"
	echo "PRSTATUS_PIDS=$prs_pids"
	cat "$meta_raw"
} >"$work/meta.txt"
rm -f "$meta_raw"

publish
