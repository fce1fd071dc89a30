# Shared parts of the real-dump scripts (sourced, not run):
#   make-dump-x86_64.sh        kdump captured by a crash kernel
#   make-qemu-dumps-x86_64.sh  QEMU dump-guest-memory of a panicked kernel
# The caller sets $prog and $here, sources this file, then calls the
# functions below in order.  Conventions: stdout carries only the dump
# directory; progress and errors go to stderr; `die` stops the script.
# See tests/real/README.md.

deb_arch=amd64
. "$here/lib-fixture.sh"

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
	for a in $("$busybox_bin" --list); do
		[ "$a" = busybox ] || ln -s busybox "$tree/bin/$a"
	done
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

# Stamp $work complete and rename it into place (atomic), then print it.
publish() {
	chmod 755 "$work"	# mktemp made it private
	date -u +%Y-%m-%dT%H:%M:%SZ >"$work/done"	# last: marks the dump complete
	rm -rf "$dumpdir" "$dumpdir".failed-console*.log
	mv "$work" "$dumpdir"
	work=""
	log "dump ready in $(($(date +%s) - start)) s: $dumpdir"
	echo "$dumpdir"
}
