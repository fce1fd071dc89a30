# Shared parts of the real-dump scripts (sourced, not run):
#   make-dump-x86_64.sh        kdump captured by a crash kernel
#   make-qemu-dumps-x86_64.sh  QEMU dump-guest-memory of a panicked kernel
# The caller sets $prog and $here, sources this file, then calls the
# functions below in order.  Conventions: stdout carries only the dump
# directory; progress and errors go to stderr; `die` stops the script.
# See tests/real/README.md.

deb_arch=amd64
. "$here/lib-fixture.sh"

# What every x86_64 fixture is made from (the key of its directory, see
# fixture_dir); the scripts add what else they use.
X86_64_FIXTURE_FILES="tests/real/$prog.sh tests/real/lib-x86_64.sh
	tests/real/lib-fixture.sh tests/real/guest-init.sh tests/real/busybox-applets"

usage() {
	sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2
	exit "${1:-2}"
}

# Loaded in this order (all are modules in the cloud kernel).
VIRTIO_MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk"

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
PATH=$PATH:/usr/sbin:/sbin

cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/gdbserver-vmcore

# --------------------------------------------------------------------------
# Which kernel: $VMCORE_KVER, else the newest 6.1.0-NN-cloud-amd64 for which
# apt knows both the -unsigned image and the -dbg package.
newest_kver() {
	apt-cache search --names-only \
		'^linux-image-6\.1\.0-[0-9]+-cloud-amd64-(unsigned|dbg)$' 2>/dev/null |
	awk '{ n = $1; sub(/^linux-image-/, "", n)
	       if (sub(/-unsigned$/, "", n)) u[n] = 1
	       else if (sub(/-dbg$/, "", n)) d[n] = 1 }
	     END { for (k in u) if (k in d) print k }' |
	sort -V | tail -n 1
}

pick_kver() {	# pick_kver PRINT_ONLY: sets $kver
	if [ -n "${VMCORE_KVER:-}" ]; then
		kver=$VMCORE_KVER
		case $kver in
		*[!A-Za-z0-9._+-]*) die "VMCORE_KVER='$kver' is not a kernel version" ;;
		esac
		return
	fi
	command -v apt-cache >/dev/null || die "apt-cache not found (Debian 12 needed)"
	kver=$(newest_kver)
	if [ -z "$kver" ] && [ "$1" = 0 ]; then
		log "apt knows no linux-image-6.1.0-*-cloud-amd64-dbg; running apt-get update"
		$sudo apt-get update -q >&2 || die "apt-get update failed"
		kver=$(newest_kver)
	fi
	[ -n "$kver" ] || die "no linux-image-6.1.0-NN-cloud-amd64-unsigned with a matching -dbg package in apt (is deb.debian.org bookworm + bookworm-security configured?)"
}

# With --print-dir, print $dumpdir and exit 0 if it is complete, 1 if not.
# Otherwise exit 0 at once if it is complete.
print_or_reuse() {	# print_or_reuse PRINT_ONLY
	if [ "$1" = 1 ]; then
		echo "$dumpdir"
		[ -e "$dumpdir/done" ]
		exit
	fi
	if [ -e "$dumpdir/done" ]; then
		mark_used "$dumpdir"
		echo "$dumpdir"
		exit 0
	fi
}

# --------------------------------------------------------------------------

need_static_busybox() {	# sets $busybox_bin
	busybox_bin=$(command -v busybox)
	# The initramfs has no libc: busybox must be busybox-static.
	if readelf -lW "$busybox_bin" | grep -q 'program interpreter'; then
		die "$busybox_bin is dynamically linked; install busybox-static"
	fi
}

# Build the dump in a temp dir next to its final place (same file system,
# so the final rename is atomic).  Sets $work and $start.
start_work() {
	start=$(date +%s)
	work=$(mktemp -d "$cache/dumps/.build.XXXXXX")
}

# --------------------------------------------------------------------------
# The guest's initramfs tree in $work/initramfs ($tree): guest-init.sh as
# /init, busybox, and the given modules.
new_tree() {	# new_tree MODULE...
	tree=$work/initramfs
	mkdir -p "$tree/bin" "$tree/dev" "$tree/proc" "$tree/sys" "$tree/tmp" \
		"$tree/run" "$tree/modules"

	cp "$here/guest-init.sh" "$tree/init"
	chmod 755 "$tree/init"
	cp "$busybox_bin" "$tree/bin/busybox"
	link_applets "$tree/bin"
	# Named copies of busybox: the kernel names a task after the executed
	# file, which is how the sleeper and crasher get their comm.
	ln "$tree/bin/busybox" "$tree/bin/vmcore-sleeper"
	ln "$tree/bin/busybox" "$tree/bin/vmcore-crasher"

	add_modules "$@"
}

show_console() {	# show_console FILE
	if [ -s "$1" ]; then
		log "last lines of the console log $1:"
		tail -n 40 "$1" | tr -d '\r' >&2
	fi
}

# --------------------------------------------------------------------------
# Checks of an ELF dump with binutils only.

check_elf_loads() {	# check_elf_loads VMCORE: an ELF core, PT_LOADs inside it
	size=$(stat -c %s "$1")
	readelf -h "$1" | grep -q 'Type: *CORE' || die "$1 is not an ELF core file"
	nload=$(readelf -lW "$1" | grep -c '^ *LOAD' || true)
	[ "$nload" -gt 0 ] || die "no PT_LOAD segments in $1"
	# Every PT_LOAD must lie inside the file (readelf prints hex; the
	# shell's arithmetic reads 0x... itself, mawk could not).
	readelf -lW "$1" | awk '$1 == "LOAD" { print $2, $5 }' >"$work/loads"
	while read -r lo lsz; do
		[ $((lo + lsz)) -le "$size" ] ||
			die "a PT_LOAD (offset $lo, size $lsz) extends past the end of $1"
	done <"$work/loads"
	rm -f "$work/loads"
}


# --------------------------------------------------------------------------
# Metadata printed by the guest ("VMCORE-META KEY=VALUE") on CONSOLE, into
# $meta_raw, with the checks every fixture needs.
guest_meta() {	# guest_meta CONSOLE
	meta_raw=$work/meta.guest
	sed -n 's/^VMCORE-META \([A-Za-z0-9_]*=.*\)$/\1/p' "$1" >"$meta_raw"
	for k in UNAME_R MARKER SLEEPER_PID SLEEPER_COMM LA57 VIRTIO_BLK_MODULE_ADDR \
		VIRTIO_BLK_THIS_MODULE KSYM__stext KSYM_linux_banner KSYM_init_uts_ns \
		CRASHER_PID CRASHER_COMM CRASHER_CPU; do
		[ -n "$(gm $k)" ] || die "guest metadata lacks $k"
	done
	[ "$(gm UNAME_R)" = "$kver" ] || die "guest ran $(gm UNAME_R), not $kver"
	[ "$(gm LA57)" = $((levels == 5)) ] ||
		die "guest LA57=$(gm LA57) does not match $levels-level paging"
	[ "$(gm CRASHER_CPU)" = 1 ] || die "crasher ran on CPU $(gm CRASHER_CPU)"
}
gm() { sed -n "s/^$1=//p" "$meta_raw" | head -n 1; }

# The marker went through /dev/kmsg, so the printk ring buffer in the dump
# must hold it: a cheap check that the dumped memory is the real thing.
check_marker() {	# check_marker VMCORE (not compressed)
	grep -qaF "$(gm MARKER)" "$1" || die "marker '$(gm MARKER)' not found in $1"
}

# The meta.txt lines every fixture starts with.
meta_common() {	# meta_common DESCRIPTION
	echo "# gdbserver-vmcore real x86_64 $1, made by tests/real/$prog.sh"
	echo "FIXTURE_VERSION=$FIXTURE_VERSION"
	echo "ARCH=x86_64"
	echo "KVER=$kver"
	echo "KERNEL_PACKAGE_VERSION=$kpkg_version"
	echo "LEVELS=$levels"
	echo "QEMU_CPU=$qemu_cpu"
	echo "VMLINUX=$vmlinux"
	echo "VMLINUZ=$vmlinuz"
	echo "SYSTEM_MAP=$system_map"
	echo "MODULES_DIR=$moddir"
}

# loader_images: the first kernel's initramfs $work/main.cpio.gz from
# $tree plus our loader, the kernel to load and the capture initramfs,
# made by the documented recipe as a user makes it.  The statically linked
# loader is built from the sources the key covers in the dump's build
# directory (never the source tree's build/, which may be another
# configuration's), unless $loader names one.  Removes $tree.
#
# capture_default=1: the capture image has vmcore-mkinitramfs's default
# configuration (kdump-compressed, zstd, dump level 31) and saves that in
# $DUMP_DIR; the full ELF vmcore the other tests read is saved too, into
# $DUMP_DIR-elf, by a wrapper appended to the image (elf_copy_wrapper in
# lib-fixture.sh), unless capture_elf_copy=0.  Otherwise the image saves
# ELF only.
loader_images() {
	if [ -z "$loader" ]; then
		MAKEFLAGS= MAKELEVEL= make -C "$top" --no-print-directory -s \
			BUILD="$work/build" SAN= static >&2 || die "make static failed"
		loader=$work/build/static/vmcore-loader
	fi
	[ -x "$loader" ] || die "no static vmcore-loader at $loader"
	fmt="--format elf"
	[ "${capture_default:-0}" = 0 ] || fmt=""
	# shellcheck disable=SC2086 # $fmt: zero or two words
	"$top/loader/vmcore-mkinitramfs" -o "$work/capture.cpio.gz" \
		--loader "$loader" --busybox "$busybox_bin" \
		-d /dev/vda -t ext4 -D "$DUMP_DIR" --then poweroff $fmt \
		-k "$kver" -m "$moddir" -M virtio_pci -M virtio_blk ||
		die "vmcore-mkinitramfs failed"
	[ "${capture_default:-0}" = 0 ] || [ "${capture_elf_copy:-1}" = 0 ] ||
		elf_copy_wrapper "$work/capture.cpio.gz" "$loader"
	cp "$loader" "$tree/bin/vmcore-loader"
	cp "$vmlinuz" "$tree/vmlinuz"
	cp "$work/capture.cpio.gz" "$tree/capture.cpio.gz"
	mk_cpio "$work/main.cpio.gz"
	rm -rf "$tree" "$work/build"
}

# check_kdump_notes: $vmcore (a kdump of the 2-CPU guest) is an ELF core
# with one NT_PRSTATUS per CPU and the VMCOREINFO of $kver with its
# KERNELOFFSET.  Sets $vmcoreinfo, $prs_pids (read_notes) and
# $kernel_offset.
check_kdump_notes() {
	check_elf_loads "$vmcore"
	vmcoreinfo=$work/vmcoreinfo.txt
	read_notes "$vmcore" "$vmcoreinfo"
	nprs=$(echo "$prs_pids" | tr ',' '\n' | grep -c . || true)
	[ "$nprs" = 2 ] || die "expected 2 NT_PRSTATUS notes, found $nprs"
	kernel_offset=$(vci KERNELOFFSET)
	[ -n "$kernel_offset" ] || die "no KERNELOFFSET in the VMCOREINFO note"
	[ "$(vci OSRELEASE)" = "$kver" ] ||
		die "VMCOREINFO OSRELEASE '$(vci OSRELEASE)' is not $kver"
}
