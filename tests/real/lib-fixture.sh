# Sourced by every real-dump fixture script (make-dump-*.sh through
# lib-x86_64.sh for x86_64): what does not depend on the architecture.
# The caller sets $here (tests/real) before sourcing, and $prog, $cache,
# $kver and $deb_arch (Debian's name of the guest's architecture: amd64,
# i386, arm64) before using the functions; fixture_dir sets $dumpdir; the
# others set $work, $ktmp, $tree, $kdir ... as each says.

# Cache keys and pruning (not part of any key: they make no fixture).
. "$here/lib-cache.sh"

log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }

need() {	# need COMMAND...: each is on $PATH, or die saying how to get it
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			die "'$t' not found; run mk/install-deps.sh test"
	done
}

# Stamp $work complete and rename it into place as $dumpdir (atomic), drop
# the kind's failed-run log and its dumps for other keys, print $dumpdir.
publish() {
	chmod 755 "$work"	# mktemp made it private
	date -u +%Y-%m-%dT%H:%M:%SZ >"$work/done"	# last: marks the dump complete
	rm -rf "$dumpdir"
	rm -f "$cache/dumps/$dumpkind".failed-console*.log
	mv "$work" "$dumpdir"
	work=""
	prune_kind
	log "dump ready in $(($(date +%s) - start)) s: $dumpdir"
	echo "$dumpdir"
}

# --------------------------------------------------------------------------
# busybox in the guests' initramfs images.  A guest's busybox is for the
# guest's architecture and may not run on the host (no IA-32 emulation in
# the host kernel, an arm64 guest): it is never run.  Its applets are
# linked from the fixed list tests/real/busybox-applets.

# busybox_applets BUSYBOX: the applet names compiled into BUSYBOX, one a
# line, read from the file: busybox keeps them as one sorted string of
# NUL-terminated names, "[", "[[", "acpid", ..., ending in an empty one.
busybox_applets() {
	LC_ALL=C tr '\0' '\n' <"$1" | LC_ALL=C awk '
		on && $0 == "" { exit }
		on { print; next }
		prev == "[" && $0 == "[[" { on = 1; print "["; print "[[" }
		{ prev = $0 }'
}

# link_applets BINDIR: BINDIR/busybox (a copy of the guest's busybox) gets
# a symlink BINDIR/APPLET for each applet of tests/real/busybox-applets;
# each must be in that busybox's own applet table.
link_applets() {
	list=$here/busybox-applets
	busybox_applets "$1/busybox" >"$1/.applets"
	[ -s "$1/.applets" ] || die "no applet table found in $1/busybox: not a busybox?"
	missing=$(grep -v '^#' "$list" | grep -vxF -f "$1/.applets" | tr '\n' ' ')
	[ -z "$missing" ] ||
		die "busybox $1/busybox lacks the applets $missing(tests/real/busybox-applets lists the applets of Debian 12's busybox-static)"
	rm -f "$1/.applets"
	grep -v '^#' "$list" | while IFS= read -r a; do
		[ "$a" = busybox ] || ln -s busybox "$1/$a"
	done
}

# --------------------------------------------------------------------------
# lock_cache [SUBDIR...]: take the cache lock (exits printing $dumpdir if
# the dump appeared meanwhile), remove what killed runs left behind (in
# debs/, kernels/, dumps/ and each SUBDIR of the cache), and arrange for
# cleanup on exit.
lock_cache() {
	mkdir -p "$cache/debs" "$cache/kernels" "$cache/dumps"
	for d in "$@"; do mkdir -p "$cache/$d"; done

	# One build at a time per cache (the download/unpack steps are shared
	# by every dump; "make -j" may start several builds together).
	exec 9>"$cache/.lock"
	if ! flock -n 9; then
		log "waiting for another build in $cache"
		flock 9
	fi
	if [ -e "$dumpdir/done" ]; then	# built by whoever held the lock
		mark_used "$dumpdir"
		echo "$dumpdir"
		exit 0
	fi
	# Holding the lock, no other build is running: leftovers of killed
	# runs (each can be ~1 GB) can go.
	rm -rf "$cache"/dumps/.build.* "$cache"/kernels/.unpack.* "$cache"/debs/.dl.*
	for d in "$@"; do rm -rf "$cache/$d"/.unpack.*; done

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
			# The latest failed run's console log of this kind
			# (one per kind, whatever the key).
			for c in "$work"/console*.log; do
				[ -s "$c" ] || continue
				cp "$c" "$(failed_log "${c##*/}")"
				log "console log of the failed run: $(failed_log "${c##*/}")"
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

# Downloads (once).  apt-get download saves into the current directory, so
# download into a private temp dir and move the finished .deb.
find_deb() {	# newest cached $deb_arch (or all) .deb of package $1, or nothing
	found=""
	for f in "$cache/debs/$1"_*_"$deb_arch".deb "$cache/debs/$1"_*_all.deb; do
		[ -e "$f" ] && found=$f
	done
	echo "$found"
}

fetch_deb() {	# fetch_deb PACKAGE: the path of its cached .deb
	deb=$(find_deb "$1")
	if [ -z "$deb" ]; then
		log "downloading $1:$deb_arch"
		dl=$(mktemp -d "$cache/debs/.dl.XXXXXX")
		# As root, apt would warn that its _apt sandbox user cannot write here.
		sandbox=""
		[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
		# shellcheck disable=SC2086
		if ! (cd "$dl" && apt-get download -q $sandbox "$1:$deb_arch") >&2; then
			rm -rf "$dl"
			die "apt-get download $1:$deb_arch failed (try: ${sudo:+$sudo }apt-get update; for a foreign architecture, dpkg --add-architecture $deb_arch first)"
		fi
		mv "$dl"/*.deb "$cache/debs/"
		rmdir "$dl"
		deb=$(find_deb "$1")
		[ -n "$deb" ] || die "apt-get download $1:$deb_arch produced no .deb"
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
		# The -dbg package is ~1.7 GB unpacked; only the vmlinux and
		# System.map are needed.
		dpkg-deb --fsys-tarfile "$dbg_deb" |
			tar -x -C "$ktmp" --wildcards './usr/lib/debug/boot/*' ||
			die "extracting vmlinux from $dbg_deb failed"
		for f in "boot/vmlinuz-$kver" "usr/lib/debug/boot/vmlinux-$kver" \
			"usr/lib/debug/boot/System.map-$kver" \
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

# add_modules MODULE...: each module into $tree/modules, decompressed
# (busybox insmod may not read .ko.xz/.ko.zst) and numbered so the
# guest's glob loads them in the order given; built-in ones are skipped.
add_modules() {
	n=10
	for m in "$@"; do
		src=$(find "$moddir/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" \
			-o -name "$m.ko.zst" -o -name "$m.ko.gz" \) | head -n 1)
		if [ -z "$src" ]; then
			grep -q "/$m\.ko" "$moddir/modules.builtin" 2>/dev/null &&
				continue	# built in: nothing to load
			die "module $m not found under $moddir/kernel"
		fi
		dst=$tree/modules/$n-$m.ko
		case $src in
		*.xz) xz -dc "$src" >"$dst" ;;
		*.zst) zstd -qdc "$src" >"$dst" ;;
		*.gz) gzip -dc "$src" >"$dst" ;;
		*) cp "$src" "$dst" ;;
		esac
		n=$((n + 1))
	done
}

# newc cpio archive holding just /dev/console (char 5:1).  The kernel opens
# it for init's stdio before init can mount devtmpfs; writing the header by
# hand avoids needing root for mknod.  The kernel accepts concatenated
# archives, so it is appended to the real one.
console_cpio() {
	name=dev/console
	# magic ino mode uid gid nlink mtime filesize devmaj devmin rdevmaj rdevmin namesize check
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		1 $((0020600)) 0 0 1 0 0 0 0 5 1 $((${#name} + 1)) 0 "$name"
	# 110-byte header + 12-byte name = 122: pad to a multiple of 4.
	printf '\0\0'
	name=TRAILER!!!
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 0 0 0 1 0 0 0 0 0 0 $((${#name} + 1)) 0 "$name"
	printf '\0\0\0\0'	# 110 + 11 = 121: pad to 124 (and beyond is fine)
}

mk_cpio() {	# mk_cpio <out.cpio.gz>: archive $tree + /dev/console
	{
		(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
		console_cpio
	} | gzip -9 >"$1"
}

# Walk the PT_NOTE segment of ELF VMCORE: record each NT_PRSTATUS pr_pid
# in $prs_pids (at $prstatus_pid_offset in the note: 32 on the 64-bit
# architectures' struct elf_prstatus, the default; 24 on i386), count
# QEMU's CPU-state notes (name "QEMU") in $qemu_notes, and write the
# VMCOREINFO text to OUT (empty if there is none).  $prstatus_size, when
# set, is the size every NT_PRSTATUS must have.
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
			[ -z "${prstatus_size:-}" ] || [ "$descsz" = "$prstatus_size" ] ||
				die "NT_PRSTATUS note of $descsz bytes, not $prstatus_size"
			prs_pids=${prs_pids:+$prs_pids,}$(u32 $((desc + ${prstatus_pid_offset:-32})))
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
# The kdump fixtures armed by our loader (make-dump-x86_64.sh,
# make-dump-i386.sh --loader ours) boot the capture image that
# vmcore-mkinitramfs makes with its default configuration: its /init runs
# `vmcore-loader save` (kdump-compressed, zstd, dump level 31) into
# $DUMP_DIR on an ext4 disk.  The tests that need every page read a full
# ELF copy of the same /proc/vmcore, which a wrapper saves into
# $DUMP_DIR-elf.

# elf_copy_wrapper IMAGE LOADER: append the wrapper's archive to IMAGE
# (the kernel unpacks concatenated archives, later files replacing
# earlier ones): its /bin/vmcore-loader runs LOADER, the static loader
# the image holds, as /init asked, then `save --format elf`.
elf_copy_wrapper() {
	w=$work/wrap
	mkdir -p "$w/bin"
	cp "$2" "$w/bin/vmcore-loader.real"
	cat >"$w/bin/vmcore-loader" <<-WRAP
	#!/bin/sh
	# Test fixture only (tests/real/lib-fixture.sh): the save /init asks
	# for, then a full ELF copy for the tests that need every page.
	/bin/vmcore-loader.real "\$@" || exit \$?
	[ "\$1" = save ] || exit 0
	echo "vmcore-capture-test: saving the ELF copy in /mnt/$DUMP_DIR-elf"
	exec /bin/vmcore-loader.real save --dir /mnt/$DUMP_DIR-elf --format elf --quiet
	WRAP
	chmod 755 "$w/bin/vmcore-loader" "$w/bin/vmcore-loader.real"
	(cd "$w" && find . | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9n >>"$1"
	rm -rf "$w"
}

# What the two saves left on the ext4 image $disk, read with debugfs (no
# mount, no root): exactly one dump directory DIR/<host>-<time> (mode
# 0700) in each of $DUMP_DIR and $DUMP_DIR-elf, holding vmcore and
# dmesg.txt (both 0600) and nothing incomplete.
dfs() { debugfs -R "$1" "$disk" 2>/dev/null; }
saved_dir() {	# saved_dir DIR: the one dump directory's name in /DIR
	dfs "ls -p /$1" | awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $3, $6 }' \
		>"$work/dirs"
	[ "$(grep -c . "$work/dirs")" = 1 ] || die "expected one dump directory in /$1: $(cat "$work/dirs")"
	read -r mode name <"$work/dirs"
	rm -f "$work/dirs"
	[ "$mode" = 040700 ] || die "dump directory mode $mode, not 040700"
	dfs "ls -p /$1/$name" | awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $6, $3, $7 }' |
		LC_ALL=C sort >"$work/saved-$1.txt"
	[ "$(cut -d' ' -f1 "$work/saved-$1.txt" | tr '\n' ' ')" = "dmesg.txt vmcore " ] ||
		die "the dump directory /$1/$name holds: $(cat "$work/saved-$1.txt")"
	[ "$(awk '{ print $2 }' "$work/saved-$1.txt" | tr '\n' ' ')" = "100600 100600 " ] ||
		die "saved files are not private (0600): $(cat "$work/saved-$1.txt")"
	echo "$name"
}
file_size() {	# file_size LIST NAME
	v=$(awk -v n="$2" '$1 == n { print $3 }' "$1")
	case $v in ''|*[!0-9]*|0) die "bad $2 size in: $(cat "$1")" ;; esac
	echo "$v"
}

# copy_saved_dumps: copy the default save's vmcore out of $disk as
# $work/kdump (it must be kdump-compressed: "KDUMP   "), its dmesg.txt
# as $work/dmesg.txt and the ELF copy as $work/vmcore (sparse: most of
# a guest's memory is zero pages); the default save's listing goes to
# $work/saved.txt.  Sets $saved_name (the default save's directory in
# $DUMP_DIR), $kdump_size and $vmcore_size.
copy_saved_dumps() {
	saved_name=$(saved_dir "$DUMP_DIR")
	elf_name=$(saved_dir "$DUMP_DIR-elf")
	mv "$work/saved-$DUMP_DIR.txt" "$work/saved.txt"
	kdump_size=$(file_size "$work/saved.txt" vmcore)
	vmcore_size=$(file_size "$work/saved-$DUMP_DIR-elf.txt" vmcore)
	rm -f "$work/saved-$DUMP_DIR-elf.txt"
	dfs "cat /$DUMP_DIR/$saved_name/vmcore" >"$work/kdump"
	[ "$(stat -c %s "$work/kdump")" = "$kdump_size" ] || die "short kdump copy"
	[ "$(head -c 8 "$work/kdump")" = "KDUMP   " ] ||
		die "the default capture did not save a kdump-compressed file (no \"KDUMP   \" signature)"
	dfs "cat /$DUMP_DIR-elf/$elf_name/vmcore" |
		dd of="$work/vmcore" bs=1M iflag=fullblock conv=sparse status=none
	[ "$(stat -c %s "$work/vmcore")" = "$vmcore_size" ] || die "short vmcore copy"
	dfs "cat /$DUMP_DIR/$saved_name/dmesg.txt" >"$work/dmesg.txt"
}
