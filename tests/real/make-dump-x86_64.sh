#!/bin/sh
# Make (or reuse) a REAL kdump of a Debian 12 "cloud-amd64" 6.1 kernel.
#
# Usage: tests/real/make-dump-x86_64.sh [--levels 4|5] [--kexec-load] [--print-dir]
#
# Boots the kernel in QEMU (TCG; KVM is never used), arms kdump with our own
# vmcore-loader (kexec_file_load, its default capture command line), panics
# on CPU 1 from a task named "vmcore-crasher"; the capture kernel boots the
# initramfs that loader/vmcore-mkinitramfs builds with its default
# configuration, whose /init runs `vmcore-loader save` onto an ext4 virtio
# disk (kdump-compressed, zstd, dump level 31; a test wrapper then saves a
# full ELF copy too, see loader_images); the host takes the saved files
# out of that file system with debugfs and stores them (vmcore: the ELF
# copy, kdump: the default save, dmesg.txt) under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/dumps/<kver>-x86_64-<levels>l-v<FIXTURE_VERSION>-k<key>/
# where <key> is a hash of the fixture scripts and of the sources of
# everything the guest runs of ours: vmcore-loader (with libvmcore, arch
# and the purgatory), vmcore-mkinitramfs and capture-init.sh.  A change to
# any of them makes a new dump, so the tests that read this one test the
# code it was made with.
# The only thing printed on stdout is that directory; progress goes to stderr.
# A complete dump (its "done" stamp exists) is reused without doing anything.
#
#   --levels 4|5   paging levels of the guest (default 4)
#   --kexec-load   arm kdump with vmcore-loader's kexec_load path (its own
#                  ELF64 core header, boot_params and purgatory) instead of
#                  kexec_file_load; the dump directory ends in -kexec-load
#   --print-dir    only print the directory; exit 0 if it holds a complete
#                  dump, 1 if not (nothing is built or downloaded)
#
# Environment: VMCORE_KVER=6.1.0-NN-cloud-amd64 picks the kernel instead of
# the newest one apt knows; VMCORE_KEEP_BUILD=1 keeps a failed build dir;
# VMCORE_LOADER_STATIC=FILE uses that static vmcore-loader instead of
# building one with `make static` in a temporary build directory (its
# hash goes into the directory name).
# See tests/real/README.md.
set -eu

# Bump whenever the recipe changes in a way that changes the dumps.
FIXTURE_VERSION=3	# 2: our vmcore-loader and capture initramfs, not kexec-tools
			# 3: the default capture (kdump, zstd, -d 31) + an ELF copy

QEMU_TIMEOUT=600	# seconds, for the whole two-boot run
GUEST_MEM=1G
CRASHKERNEL=256M
DISK_SIZE=2G		# sparse ext4 image; must hold /proc/vmcore
DUMP_DIR=crash		# where on it the capture initramfs saves

prog=make-dump-x86_64
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-x86_64.sh"

levels=4
kexec_load=0
print_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--levels) [ $# -ge 2 ] || usage; levels=$2; shift 2 ;;
	--levels=*) levels=${1#--levels=}; shift ;;
	--kexec-load) kexec_load=1; shift ;;
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
variant="" guest_opts="" loaded_by=vmcore-loader
if [ $kexec_load = 1 ]; then
	variant=-kexec-load guest_opts=" vmcore_kexec=elf64 vmcore_loader=ours"
	loaded_by=vmcore-loader-kexec-load
fi
dumpkind=$kver-x86_64-${levels}l$variant-v$FIXTURE_VERSION
loader=${VMCORE_LOADER_STATIC:-}
if [ -n "$loader" ]; then
	[ -f "$loader" ] || die "VMCORE_LOADER_STATIC=$loader: no such file"
	dumpkind=$dumpkind-static$(sha256sum <"$loader" | cut -c1-12)
fi
# shellcheck disable=SC2086 # word lists
fixture_dir "$dumpkind" $X86_64_FIXTURE_FILES $LOADER_SOURCES
print_or_reuse $print_only

need apt-get dpkg-deb tar cpio gzip xz readelf od dd timeout flock \
	qemu-system-x86_64 busybox mke2fs debugfs modinfo make
need_static_busybox
lock_cache
fetch_kernel

# --------------------------------------------------------------------------
log "building the ${levels}-level dump for $kver (QEMU TCG, this takes a minute)"
start_work
new_tree $VIRTIO_MODULES

capture_default=1
loader_images

# --------------------------------------------------------------------------
disk=$work/disk.img
truncate -s "$DISK_SIZE" "$disk"
mke2fs -q -t ext4 -F -L vmcore-dumps "$disk" || die "mke2fs $disk failed"
console=$work/console.log

log "booting QEMU (-cpu $qemu_cpu); console in $console"
qrc=0
timeout "$QEMU_TIMEOUT" qemu-system-x86_64 \
	-M q35 -accel tcg -cpu "$qemu_cpu" -smp 2 -m "$GUEST_MEM" \
	-nodefaults -display none -no-reboot \
	-serial "file:$console" \
	-kernel "$vmlinuz" -initrd "$work/main.cpio.gz" \
	-append "console=ttyS0 crashkernel=$CRASHKERNEL panic=-1$guest_opts" \
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

# What `vmcore-loader save` and the wrapper left on the disk
# (lib-fixture.sh): the kdump, its dmesg.txt and the ELF copy.
copy_saved_dumps
rm -f "$disk" "$work/main.cpio.gz" "$work/capture.cpio.gz"

# --------------------------------------------------------------------------
# Sanity checks with binutils only, and facts for meta.txt.
vmcore=$work/vmcore
check_kdump_notes
l5=$(vci 'NUMBER(pgtable_l5_enabled)')
[ "$l5" = $((levels == 5)) ] ||
	die "VMCOREINFO says pgtable_l5_enabled=$l5, wanted $levels-level paging"

guest_meta "$console"
case ,$prs_pids, in
*,"$(gm CRASHER_PID)",*) ;;
*) die "no NT_PRSTATUS carries the crasher's pid $(gm CRASHER_PID) (pids: $prs_pids)" ;;
esac
check_marker "$vmcore"
grep -qF "$(gm MARKER)" "$work/dmesg.txt" ||
	die "the saved dmesg.txt lacks the marker $(gm MARKER)"
[ "$(gm LOADED_BY)" = "$loaded_by" ] || die "the crash kernel was loaded by '$(gm LOADED_BY)'"
# save names the directory after the crashed machine (read from the dump).
case $saved_name in
"$(gm HOSTNAME)"-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-[0-9][0-9]:[0-9][0-9]:[0-9][0-9]) ;;
*) die "dump directory '$saved_name' is not $(gm HOSTNAME)-YYYY-MM-DD-HH:MM:SS" ;;
esac

{
	meta_common kdump
	echo "VMCORE=$dumpdir/vmcore"
	echo "VMCORE_SIZE=$vmcore_size"
	echo "KDUMP=$dumpdir/kdump"
	echo "KDUMP_SIZE=$kdump_size"
	echo "CRASHKERNEL=$CRASHKERNEL"
	echo "SAVED_DIR=$DUMP_DIR/$saved_name"
	echo "SAVED_DMESG=$dumpdir/dmesg.txt"
	echo "KERNELOFFSET=0x$kernel_offset"
	echo "PGTABLE_L5_ENABLED=$l5"
	echo "PRSTATUS_PIDS=$prs_pids"
	cat "$meta_raw"
} >"$work/meta.txt"
rm -f "$meta_raw"

publish
