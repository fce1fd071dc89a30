#!/bin/sh
# A debug tree laid out as Debian installs linux-image-*-dbg, for a dump
# fixture's kernel: ROOT/usr/lib/debug/boot/vmlinux-KVER (a link to the
# cached vmlinux) and the debug file of virtio_blk (a module every fixture
# guest loads) under ROOT/usr/lib/debug/lib/modules/KVER, taken from the
# cached -dbg package once.  Prints the vmlinux path in that tree.
#
#   tests/real/module-debug.sh DUMP_DIR
set -eu
prog=${0##*/}
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }

[ $# = 1 ] && [ -r "$1/meta.txt" ] ||
	die "usage: $prog DUMP_DIR (a directory with a meta.txt)"
meta() { sed -n "s/^$1=//p" "$dumpdir/meta.txt" | head -n 1; }
dumpdir=$1
kver=$(meta KVER)
pkgver=$(meta KERNEL_PACKAGE_VERSION)
vmlinux=$(meta VMLINUX)
[ -n "$kver" ] && [ -n "$pkgver" ] && [ -s "$vmlinux" ] ||
	die "$dumpdir/meta.txt has no KVER, KERNEL_PACKAGE_VERSION or VMLINUX"
cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/gdbserver-vmcore
root=$cache/module-debug/$kver-$pkgver-v1
mkdir -p "$cache/module-debug"
exec 7>"$cache/module-debug/.lock"	# parts of make check run side by side
flock 7
if [ ! -e "$root/done" ]; then
	# The fixture script downloaded the package: its .deb is cached.
	deb=""
	for f in "$cache/debs/linux-image-$kver-dbg_$(echo "$pkgver" |
		sed 's/:/%3a/')"_*.deb; do
		[ -e "$f" ] && deb=$f
	done
	[ -n "$deb" ] || die "no cached linux-image-$kver-dbg $pkgver .deb"
	mkdir -p "$cache/module-debug"
	work=$(mktemp -d "$cache/module-debug/.build.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards \
		"./usr/lib/debug/lib/modules/$kver/kernel/drivers/block/virtio_blk.ko" ||
		die "extracting virtio_blk.ko from $deb failed"
	mkdir -p "$work/usr/lib/debug/boot"
	ln -s "$vmlinux" "$work/usr/lib/debug/boot/vmlinux-$kver"
	date -u +%Y-%m-%dT%H:%M:%SZ >"$work/done"
	rm -rf "$root"
	mv "$work" "$root"
fi
echo "$root/usr/lib/debug/boot/vmlinux-$kver"
