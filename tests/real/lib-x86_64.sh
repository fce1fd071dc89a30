# Shared parts of the real-dump scripts (sourced, not run):
#   make-dump-x86_64.sh        kdump captured by a crash kernel
#   make-qemu-dumps-x86_64.sh  QEMU dump-guest-memory of a panicked kernel
# The caller sets $prog and $here, sources this file, then calls the
# functions below in order.  Conventions: stdout carries only the dump
# directory; progress and errors go to stderr; `die` stops the script.
# See tests/real/README.md.

log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }
. "$here/lib-initramfs.sh"

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
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			die "'$t' not found; run mk/install-deps.sh test"
	done
}

need_static_busybox() {	# sets $busybox_bin
	busybox_bin=$(command -v busybox)
	# The initramfs has no libc: busybox must be busybox-static.
	if readelf -lW "$busybox_bin" | grep -q 'program interpreter'; then
		die "$busybox_bin is dynamically linked; install busybox-static"
	fi
}

# Take the cache lock (exits if the dump appeared meanwhile), remove what
# killed runs left behind, and arrange for cleanup on exit.
lock_cache() {
	mkdir -p "$cache/debs" "$cache/kernels" "$cache/dumps"

	# One build at a time per cache (the download/unpack steps are shared
	# by every dump; "make -j" may start several builds together).
	exec 9>"$cache/.lock"
	if ! flock -n 9; then
		log "waiting for another build in $cache"
		flock 9
	fi
	if [ -e "$dumpdir/done" ]; then	# built by whoever held the lock
		echo "$dumpdir"
		exit 0
	fi
	# Holding the lock, no other build is running: leftovers of killed
	# runs (each can be ~1 GB) can go.
	rm -rf "$cache"/dumps/.build.* "$cache"/kernels/.unpack.* "$cache"/debs/.dl.*

	work=""
	ktmp=""
	trap cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# Callers may redefine this to stop what they started (it runs first).
cleanup_more() { :; }

cleanup() {
	rc=$?
	cleanup_more
	[ -z "$ktmp" ] || rm -rf "$ktmp"
	if [ -n "$work" ] && [ -d "$work" ]; then
		if [ $rc != 0 ]; then
			for c in "$work"/console*.log; do
				[ -s "$c" ] || continue
				cp "$c" "$dumpdir.failed-${c##*/}"
				log "console log of the failed run: $dumpdir.failed-${c##*/}"
			done
		fi
		if [ $rc != 0 ] && [ "${VMCORE_KEEP_BUILD:-0}" = 1 ]; then
			log "keeping the failed build in $work"
		else
			rm -rf "$work"
		fi
	fi
	exit $rc
}

# --------------------------------------------------------------------------
# Download the two packages (once).  apt-get download saves into the current
# directory, so download into a private temp dir and move the finished .deb.
find_deb() {	# newest cached .deb of package $1, or nothing
	found=""
	for f in "$cache/debs/$1"_*_amd64.deb; do
		[ -e "$f" ] && found=$f
	done
	echo "$found"
}

fetch_deb() {
	deb=$(find_deb "$1")
	if [ -z "$deb" ]; then
		log "downloading $1"
		dl=$(mktemp -d "$cache/debs/.dl.XXXXXX")
		# As root, apt would warn that its _apt sandbox user cannot write here.
		sandbox=""
		[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
		# shellcheck disable=SC2086
		if ! (cd "$dl" && apt-get download -q $sandbox "$1") >&2; then
			rm -rf "$dl"
			die "apt-get download $1 failed (try: ${sudo:+$sudo }apt-get update)"
		fi
		mv "$dl"/*.deb "$cache/debs/"
		rmdir "$dl"
		deb=$(find_deb "$1")
		[ -n "$deb" ] || die "apt-get download $1 produced no .deb"
	fi
	echo "$deb"
}

# Download and unpack $kver (once).  Sets $kdir, $vmlinuz, $vmlinux,
# $system_map, $moddir and $kpkg_version.
fetch_kernel() {
	kdir=$cache/kernels/$kver
	vmlinuz=$kdir/boot/vmlinuz-$kver
	vmlinux=$kdir/usr/lib/debug/boot/vmlinux-$kver
	system_map=$kdir/usr/lib/debug/boot/System.map-$kver
	moddir=$kdir/lib/modules/$kver

	if [ ! -e "$kdir/done" ]; then
		img_deb=$(fetch_deb "linux-image-$kver-unsigned")
		dbg_deb=$(fetch_deb "linux-image-$kver-dbg")
		log "unpacking $kver into $kdir"
		ktmp=$(mktemp -d "$cache/kernels/.unpack.XXXXXX")
		dpkg-deb -x "$img_deb" "$ktmp" || die "dpkg-deb -x $img_deb failed"
		# The -dbg package is ~1.7 GB unpacked; only the vmlinux is needed.
		dpkg-deb --fsys-tarfile "$dbg_deb" |
			tar -x -C "$ktmp" --wildcards './usr/lib/debug/boot/*' ||
			die "extracting vmlinux from $dbg_deb failed"
		for f in "boot/vmlinuz-$kver" "usr/lib/debug/boot/vmlinux-$kver" \
			"lib/modules/$kver/modules.order"; do
			[ -s "$ktmp/$f" ] || die "$f missing after unpacking $kver"
		done
		printf 'PACKAGE_VERSION=%s\n' "$(dpkg-deb -f "$img_deb" Version)" >"$ktmp/done"
		rm -rf "$kdir"
		mv "$ktmp" "$kdir"
		ktmp=""
	fi
	kpkg_version=$(sed -n 's/^PACKAGE_VERSION=//p' "$kdir/done")
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

# Walk the PT_NOTE segment of ELF VMCORE: record each NT_PRSTATUS pr_pid
# (offset 32 of struct elf_prstatus on x86_64) in $prs_pids, count QEMU's
# CPU-state notes (name "QEMU") in $qemu_notes, and write the VMCOREINFO
# text to OUT (empty if there is none).
read_notes() {	# read_notes VMCORE OUT
	# shellcheck disable=SC2046 # two numbers wanted
	set -- "$1" "$2" $(readelf -lW "$1" | awk '$1 == "NOTE" { print $2, $5; exit }')
	[ $# = 4 ] || die "no PT_NOTE segment in $1"
	notes=$work/notes.bin
	notes_size=$(($4))
	dd if="$1" of="$notes" bs=64K skip=$(($3)) count="$notes_size" \
		iflag=skip_bytes,count_bytes status=none
	off=0
	prs_pids=""
	qemu_notes=0
	: >"$2"
	while [ $((off + 12)) -le "$notes_size" ]; do
		namesz=$(u32 $off)
		descsz=$(u32 $((off + 4)))
		ntype=$(u32 $((off + 8)))
		[ "$namesz" -gt 0 ] || break
		name=$(dd if="$notes" bs=1 skip=$((off + 12)) count=$((namesz - 1)) status=none)
		desc=$((off + 12 + (namesz + 3) / 4 * 4))
		if [ "$name" = CORE ] && [ "$ntype" = 1 ]; then
			prs_pids=${prs_pids:+$prs_pids,}$(u32 $((desc + 32)))
		elif [ "$name" = QEMU ]; then
			qemu_notes=$((qemu_notes + 1))
		elif [ "$name" = VMCOREINFO ]; then
			dd if="$notes" bs=1 skip=$desc count="$descsz" status=none |
				tr -d '\0' >"$2"
		fi
		off=$((desc + (descsz + 3) / 4 * 4))
	done
	rm -f "$notes"
}
u32() { od -An -tu4 -j "$1" -N 4 "$notes" | tr -d ' '; }

# A VMCOREINFO value from the file $vmcoreinfo.
vci() { sed -n "s/^$1=//p" "$vmcoreinfo" | head -n 1; }

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
