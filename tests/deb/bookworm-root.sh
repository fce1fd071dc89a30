#!/bin/sh
# A minimal Debian 12 (bookworm) root in the cache with what our packages
# depend on, for the package tests (tests/deb/run.sh), which install,
# remove and purge them in a copy of it (chroot; the cached root itself
# is never changed).
#
# Usage: tests/deb/bookworm-root.sh
#
# stdout is one line, the root's directory.  The root is made once per
# key: the package list below and this script's text (a changed script
# makes a new root; older ones are removed).  debootstrap needs root (or
# sudo).  The Debian mirror is the one the host's apt sources name
# (VMC_DEBIAN_MIRROR overrides it).
set -eu

prog=bookworm-root
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore
# Our packages' Depends (debian/control and what dh_shlibdeps adds): a
# missing one makes dpkg -i in the test fail with its name.
pkgs="libelf1 libdw1 liblzma5 liblzo2-2 libsnappy1v5 libzstd1 zlib1g busybox-static cpio binutils"

log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }

key=$( { cat "$0"; echo "$pkgs"; } | sha256sum | cut -c1-16)
root=$cache/roots/bookworm-deb-$key
[ $# = 0 ] || die "usage: $0"
if [ -e "$root.done" ]; then
	touch "$root.done"
	echo "$root"
	exit 0
fi

mkdir -p "$cache/roots"
exec 8>"$cache/roots/.lock"
flock 8
if [ -e "$root.done" ]; then
	echo "$root"
	exit 0
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] ||
	die "debootstrap not found; run mk/install-deps.sh test"

# The mirror: the first Debian archive URI in the host's apt sources
# (deb822 .sources or one-line .list), not the security archive.
mirror=${VMC_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
		    -e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' |
		grep '/debian/*$' | grep -v security | head -n 1)
fi
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources; set VMC_DEBIAN_MIRROR"

# Roots of other keys (older scripts) and killed builds go.
for old in "$cache"/roots/bookworm-deb-*; do
	[ -e "$old" ] || continue
	case $old in "$root"|"$root".*) continue ;; esac
	$sudo rm -rf "$old"
done
$sudo rm -rf "$root"

log "debootstrap bookworm into $root (about 1-2 min)"
$sudo debootstrap --variant=minbase --include="$(echo $pkgs | tr ' ' ,)" \
	bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
	die "debootstrap failed; see $root.log"
$sudo chroot "$root" apt-get clean >>"$root.log" 2>&1 || :
for p in $pkgs; do
	$sudo chroot "$root" dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || die "$p is not installed in $root"
done
touch "$root.done"
echo "$root"
