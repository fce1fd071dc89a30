#!/bin/sh
# Cross-build the static vmcore-loader for ARCH (aarch64 | i386) against
# Debian's -dev packages of that architecture, downloaded and unpacked into
# the cache (never installed), in BUILD_DIR (the caller's temporary
# directory: never the source tree); print the loader's path on stdout.
# Usage: tests/loader/cross-build.sh aarch64|i386 BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
arch=${1:-}
bdir=${2:-}
prog=cross-build-$arch
cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/gdbserver-vmcore
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "$prog" "$*" >&2; }
case $arch in
aarch64) triplet=aarch64-linux-gnu debarch=arm64 libdir=aarch64-linux-gnu ;;
i386) triplet=i686-linux-gnu debarch=i386 libdir=i386-linux-gnu ;;
*) die "usage: $0 aarch64|i386 BUILD_DIR" ;;
esac
[ -n "$bdir" ] || die "usage: $0 aarch64|i386 BUILD_DIR"
mkdir -p "$bdir" && bdir=$(cd "$bdir" && pwd) || die "cannot make $bdir"
for t in "$triplet-gcc" "$triplet-ar" apt-get dpkg-deb; do
	command -v "$t" >/dev/null 2>&1 || die "'$t' not found; run mk/install-deps.sh test"
done

# ---- static libraries: the -dev packages, unpacked once per set.
devpkgs="libelf-dev zlib1g-dev liblzo2-dev libsnappy-dev libzstd-dev"
mkdir -p "$cache/debs" "$cache/sysroot"
# One cross build at a time fetches and unpacks (make check runs parts side
# by side; the fixture scripts call this while holding the cache lock, so
# this lock is another file).
exec 7>"$cache/sysroot/.lock"
flock 7
debs=""
for p in $devpkgs; do
	deb=$(ls "$cache/debs/${p}"_*_"$debarch".deb 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$deb" ]; then
		log "downloading $p:$debarch"
		dl=$(mktemp -d "$cache/debs/.dl.XXXXXX")
		sandbox=""
		[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
		# shellcheck disable=SC2086
		(cd "$dl" && apt-get download -q $sandbox "$p:$debarch") >&2 ||
			{ rm -rf "$dl"; die "apt-get download $p:$debarch failed"; }
		mv "$dl"/*.deb "$cache/debs/"
		rmdir "$dl"
		deb=$(ls "$cache/debs/${p}"_*_"$debarch".deb | sort -V | tail -n 1)
	fi
	debs="$debs $deb"
done
key=$(for d in $debs; do basename "$d"; done | md5sum | cut -c1-12)
sysroot=$cache/sysroot/$debarch-$key
if [ ! -e "$sysroot/done" ]; then
	rm -rf "$sysroot.tmp"
	mkdir -p "$sysroot.tmp"
	for d in $debs; do dpkg-deb -x "$d" "$sysroot.tmp" || die "dpkg-deb -x $d"; done
	touch "$sysroot.tmp/done"
	rm -rf "$sysroot"
	mv "$sysroot.tmp" "$sysroot"
fi
exec 7>&-

# ---- cross build, static, in the build directory given.
inc=$sysroot/usr/include
lib=$sysroot/usr/lib/$libdir
MAKEFLAGS= MAKELEVEL= make -C "$top" --no-print-directory -s BUILD="$bdir" SAN= \
	CC="$triplet-gcc" AR="$triplet-ar" \
	CFLAGS="-I$inc -I$inc/$libdir -L$lib" "$bdir/static/vmcore-loader" >&2 ||
	die "cross build of vmcore-loader failed"
loader=$bdir/static/vmcore-loader
echo "$loader"

