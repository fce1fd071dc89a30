#!/bin/sh
# Make (or reuse) a REAL kdump of a 4 GiB x86_64 guest with crashkernel=256M,
# saved the default way (kdump-compressed, zstd, dump level 31).
#
# Usage: tests/real/make-dump-x86_64-4g.sh [--print-dir]
#
# The recipe of make-dump-x86_64.sh (the Debian 12 cloud kernel in QEMU TCG,
# kdump armed by our vmcore-loader, a panic from "vmcore-crasher" on CPU 1,
# the vmcore-mkinitramfs capture image with its default configuration onto
# an ext4 virtio disk), with 4 GiB of RAM and no ELF copy: the capture
# kernel runs in a 256 MiB reservation and must filter and compress 4 GiB,
# which is the case distributions' kdump services are sized for.  The host
# takes the saved vmcore (as `kdump`) and dmesg.txt out with debugfs into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/dumps/<kver>-x86_64-4g-v<FIXTURE_VERSION>-k<key>/
# (key: as make-dump-x86_64.sh's).  Only that directory is printed on
# stdout; a complete dump is reused.
#
#   --print-dir    only print the directory; exit 0 if it holds a complete
#                  dump, 1 if not (nothing is built or downloaded)
# See tests/real/README.md.
set -eu

FIXTURE_VERSION=1

QEMU_TIMEOUT=900	# seconds, for the whole two-boot run
GUEST_MEM=4G
CRASHKERNEL=256M
DISK_SIZE=1G		# sparse ext4 image; the filtered dump is small
DUMP_DIR=crash

prog=make-dump-x86_64-4g
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-x86_64.sh"

levels=4 qemu_cpu=max,la57=off
print_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--print-dir) print_only=1; shift ;;
	-h|--help) usage 0 ;;
	*) log "unknown argument '$1'"; usage ;;
	esac
done

pick_kver $print_only
dumpkind=$kver-x86_64-4g-v$FIXTURE_VERSION
loader=""
# shellcheck disable=SC2086 # word lists
fixture_dir "$dumpkind" $X86_64_FIXTURE_FILES $LOADER_SOURCES
print_or_reuse $print_only

need apt-get dpkg-deb tar cpio gzip xz readelf od dd timeout flock \
	qemu-system-x86_64 busybox mke2fs debugfs modinfo make
need_static_busybox
lock_cache
fetch_kernel

# --------------------------------------------------------------------------
log "building the 4 GiB dump for $kver (QEMU TCG, a few minutes)"
start_work
new_tree $VIRTIO_MODULES
capture_default=1 capture_elf_copy=0
loader_images

disk=$work/disk.img
truncate -s "$DISK_SIZE" "$disk"
mke2fs -q -t ext4 -F -L vmcore-dumps "$disk" || die "mke2fs $disk failed"
console=$work/console.log

log "booting QEMU with $GUEST_MEM; console in $console"
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
tr -d '\r' <"$console" >"$work/console.log.tmp"
mv "$work/console.log.tmp" "$console"
grep -q '^vmcore-capture: dump saved; final action: poweroff' "$console" ||
	{ show_console "$console"; die "the capture initramfs did not save the dump"; }

dfs() { debugfs -R "$1" "$disk" 2>/dev/null; }
dfs "ls -p /$DUMP_DIR" | awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $3, $6 }' \
	>"$work/dirs"
[ "$(grep -c . "$work/dirs")" = 1 ] || die "expected one dump directory in /$DUMP_DIR: $(cat "$work/dirs")"
read -r mode saved_name <"$work/dirs"
dfs "ls -p /$DUMP_DIR/$saved_name" | awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $6, $3, $7 }' |
	LC_ALL=C sort >"$work/saved.txt"
[ "$(cut -d' ' -f1 "$work/saved.txt" | tr '\n' ' ')" = "dmesg.txt vmcore " ] ||
	die "the dump directory holds: $(cat "$work/saved.txt")"
kdump_size=$(awk '$1 == "vmcore" { print $3 }' "$work/saved.txt")
dfs "cat /$DUMP_DIR/$saved_name/vmcore" >"$work/kdump"
dfs "cat /$DUMP_DIR/$saved_name/dmesg.txt" >"$work/dmesg.txt"
rm -f "$disk" "$work/main.cpio.gz" "$work/capture.cpio.gz" "$work/dirs"
[ "$(stat -c %s "$work/kdump")" = "$kdump_size" ] || die "short kdump copy"
[ "$(head -c 8 "$work/kdump")" = "KDUMP   " ] ||
	die "the capture did not save a kdump-compressed file"

guest_meta "$console"
grep -qF "$(gm MARKER)" "$work/dmesg.txt" ||
	die "the saved dmesg.txt lacks the marker $(gm MARKER)"
{
	meta_common "4 GiB kdump"
	echo "KDUMP=$dumpdir/kdump"
	echo "KDUMP_SIZE=$kdump_size"
	echo "GUEST_MEM=$GUEST_MEM"
	echo "CRASHKERNEL=$CRASHKERNEL"
	echo "SAVED_DIR=$DUMP_DIR/$saved_name"
	cat "$meta_raw"
} >"$work/meta.txt"
rm -f "$meta_raw"

publish
