#!/bin/sh
# Linux's own gdb helpers (scripts/gdb: lx-dmesg, lx-ps, lx-lsmod,
# $lx_current(), ...) for a Debian kernel, ready to source, cached outside
# the repository; prints the directory, which holds vmlinux-gdb.py and
# scripts/gdb/linux/ as a kernel build tree does.
#
#   tests/real/linux-gdb-scripts.sh DUMP_DIR
#
# DUMP_DIR is a directory made by make-dump-*.sh (its meta.txt names the
# kernel and its package version).  Debian ships scripts/gdb only inside
# linux-source-6.1, and without the generated linux/constants.py that a
# kernel build makes from constants.py.in; this script makes it the way
# the kernel's scripts/gdb/linux/Makefile does (the C preprocessor over
# constants.py.in with the kernel's include flags), with the headers and
# configuration of Debian's linux-headers packages for that kernel.
set -eu
prog=${0##*/}
log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-cache.sh"	# fixture_key, mark_used, prune_others

[ $# = 1 ] && [ -r "$1/meta.txt" ] ||
	die "usage: $prog DUMP_DIR (a directory with a meta.txt)"
meta() { sed -n "s/^$1=//p" "$dumpdir/meta.txt" | head -n 1; }
dumpdir=$1
kver=$(meta KVER)
pkgver=$(meta KERNEL_PACKAGE_VERSION)
[ -n "$kver" ] && [ -n "$pkgver" ] ||
	die "$dumpdir/meta.txt has no KVER or KERNEL_PACKAGE_VERSION"
case $kver in
*-amd64) debarch=amd64 srcarch=x86 cc=gcc ;;
*-arm64) debarch=arm64 srcarch=arm64 cc=aarch64-linux-gnu-gcc ;;
*-686|*-686-pae) debarch=i386 srcarch=x86 cc=i686-linux-gnu-gcc ;;
*) die "$kver: unknown Debian kernel flavour" ;;
esac
abi=${kver%-*}			# 6.1.0-57-cloud-amd64 -> 6.1.0-57-cloud
case $abi in *-cloud|*-686) abi=${abi%-*} ;; esac
common=linux-headers-$abi-common
series=$(echo "$kver" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
command -v "$cc" >/dev/null || die "$cc not found; run mk/install-deps.sh test"

cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/gdbserver-vmcore
# Keyed by this script (tests/real/README.md, "Cache keys").
out=$cache/linux-gdb-scripts/$kver-$pkgver-k$(fixture_key tests/real/linux-gdb-scripts.sh)
if [ -e "$out/done" ]; then
	mark_used "$out"
	echo "$out"
	exit 0
fi
mkdir -p "$cache/debs" "$cache/linux-gdb-scripts"
exec 9>"$cache/linux-gdb-scripts/.lock"
flock 9
if [ -e "$out/done" ]; then
	mark_used "$out"
	echo "$out"
	exit 0
fi
work=$(mktemp -d "$cache/linux-gdb-scripts/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

# fetch PACKAGE ARCH: the cached .deb of PACKAGE=$pkgver, downloaded once.
fetch() {
	f=$cache/debs/$1_${pkgver}_$2.deb
	if [ ! -s "$f" ]; then
		log "downloading $1 $pkgver"
		dl=$(mktemp -d "$cache/debs/.dl.XXXXXX")
		sandbox=""
		[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
		pkg=$1
		[ "$2" = all ] || pkg=$1:$2
		# shellcheck disable=SC2086
		(cd "$dl" && apt-get download -q $sandbox "$pkg=$pkgver") >&2 ||
			{ rm -rf "$dl"; die "apt-get download $pkg=$pkgver failed"; }
		mv "$dl"/*.deb "$f" || die "apt-get download $pkg gave no .deb"
		rmdir "$dl"
	fi
	echo "$f"
}

src_deb=$(fetch "linux-source-$series" all)
hdr_deb=$(fetch "linux-headers-$kver" "$debarch")
com_deb=$(fetch "$common" all)

log "unpacking scripts/gdb from linux-source-$series $pkgver"
dpkg-deb --fsys-tarfile "$src_deb" |
	tar -x -O "./usr/src/linux-source-$series.tar.xz" |
	xz -dc | tar -x -C "$work" --wildcards "linux-source-$series/scripts/gdb/*" ||
	die "extracting scripts/gdb from $src_deb failed"
dpkg-deb -x "$hdr_deb" "$work/h" || die "dpkg-deb -x $hdr_deb failed"
dpkg-deb -x "$com_deb" "$work/h" || die "dpkg-deb -x $com_deb failed"

mkdir -p "$work/out/scripts"
mv "$work/linux-source-$series/scripts/gdb" "$work/out/scripts/gdb"
cp "$work/out/scripts/gdb/vmlinux-gdb.py" "$work/out/"

# The include flags of the kernel's Makefile (LINUXINCLUDE and the forced
# includes of scripts/Makefile.lib), source tree = the -common package,
# object tree = the flavour's package.
c=$work/h/usr/src/$common
o=$work/h/usr/src/linux-headers-$kver
[ -r "$o/include/generated/autoconf.h" ] ||
	die "linux-headers-$kver has no include/generated/autoconf.h"
log "generating linux/constants.py with $cc"
"$cc" -E -x c -P -nostdinc -isystem "$("$cc" -print-file-name=include)" \
	-I"$c/arch/$srcarch/include" -I"$o/arch/$srcarch/include/generated" \
	-I"$c/include" -I"$o/include" \
	-I"$c/arch/$srcarch/include/uapi" \
	-I"$o/arch/$srcarch/include/generated/uapi" \
	-I"$c/include/uapi" -I"$o/include/generated/uapi" \
	-include "$c/include/linux/compiler-version.h" \
	-include "$c/include/linux/kconfig.h" \
	-include "$c/include/linux/compiler_types.h" \
	-D__KERNEL__ "$work/out/scripts/gdb/linux/constants.py.in" \
	>"$work/constants.i" 2>"$work/cpp.err" ||
	{ cat "$work/cpp.err" >&2; die "preprocessing constants.py.in failed"; }
sed '1,/<!-- end-c-headers -->/d' "$work/constants.i" \
	>"$work/out/scripts/gdb/linux/constants.py"
grep -q '^LX_NR_CPUS = [0-9]' "$work/out/scripts/gdb/linux/constants.py" ||
	die "the generated constants.py has no LX_NR_CPUS"
printf 'KVER=%s\nPACKAGE_VERSION=%s\n' "$kver" "$pkgver" >"$work/out/done"
rm -rf "$out"
mv "$work/out" "$out"
# Made for this kernel by other versions of this script.
prune_others "$out" "$cache/linux-gdb-scripts/$kver-$pkgver"-*
echo "$out"
