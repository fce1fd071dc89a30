#!/bin/sh
# A minimal Debian 12 (bookworm) root in the cache, of one of two kinds:
#   deb         what our packages depend on, for the package tests
#               (tests/deb/run.sh), which install, remove and purge them in
#               a copy of it (chroot; the cached root itself is never
#               changed);
#   e2e DEB     also systemd, udev, dropbear's client and the kernel
#               package DEB installed, a system to boot in QEMU for the
#               kdump service's end-to-end test (tests/deb/qemu-e2e.sh),
#               which installs our package into a copy of it;
#   nfs         NFS-Ganesha with its VFS back end, the NFSv4 server the
#               end-to-end test saves a dump to (tests/deb/lib-nfs.sh runs
#               it chrooted in the root, which it never changes).
#
# Usage: tests/deb/bookworm-root.sh [deb | e2e KERNEL_IMAGE_DEB | nfs]
#
# stdout is one line, the root's directory.  The root is made once per
# key: the kind, its package list, the kernel package's file name and
# this script's text (a changed script makes a new root; older ones of
# the kind are removed).  debootstrap needs root (or sudo).  The Debian
# mirror is the one the host's apt sources name (VMC_DEBIAN_MIRROR
# overrides it).
set -eu

prog=bookworm-root
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore
# Our packages' Depends (debian/control and what dh_shlibdeps adds): a
# missing one makes dpkg -i in the test fail with its name.
pkgs="libelf1 libdw1 liblzma5 liblzo2-2 libsnappy1v5 libzstd1 zlib1g busybox-static cpio binutils"
kind=${1:-deb}
kdeb=""
case $kind in
deb) [ $# -le 1 ] || { echo "usage: $0 [deb | e2e KERNEL_IMAGE_DEB | nfs]" >&2; exit 2; } ;;
nfs)
	[ $# = 1 ] || { echo "usage: $0 [deb | e2e KERNEL_IMAGE_DEB | nfs]" >&2; exit 2; }
	# A userspace NFS server: the test does not depend on the host
	# kernel's nfsd, and no service of the host is installed or started.
	pkgs="nfs-ganesha nfs-ganesha-vfs"
	;;
e2e)
	[ $# = 2 ] && [ -r "$2" ] || { echo "usage: $0 e2e KERNEL_IMAGE_DEB (readable)" >&2; exit 2; }
	kdeb=$2
	# A system that boots: systemd as init, udev for the devices, kmod;
	# the kernel package's dependencies (tiny-initramfs is the smallest
	# linux-initramfs-tool: the test boots with its own initramfs, and
	# a second kernel installed in the guest must not spend minutes in
	# mkinitramfs under TCG); dbclient and dropbearconvert for the
	# capture image's SSH target; what vmcore-loader recommends.
	pkgs="$pkgs systemd-sysv udev kmod linux-base tiny-initramfs dropbear-bin xz-utils zstd"
	;;
*) echo "usage: $0 [deb | e2e KERNEL_IMAGE_DEB | nfs]" >&2; exit 2 ;;
esac

log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }

key=$( { cat "$0"; echo "$kind $pkgs"; basename "${kdeb:-none}"; } | sha256sum | cut -c1-16)
root=$cache/roots/bookworm-$kind-$key
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
for old in "$cache"/roots/bookworm-"$kind"-*; do
	[ -e "$old" ] || continue
	case $old in "$root"|"$root".*) continue ;; esac
	$sudo rm -rf "$old"
done
$sudo rm -rf "$root"

log "debootstrap bookworm ($kind) into $root (about 1-3 min)"
$sudo debootstrap --variant=minbase --include="$(echo $pkgs | tr ' ' ,)" \
	bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
	die "debootstrap failed; see $root.log"
$sudo chroot "$root" apt-get clean >>"$root.log" 2>&1 || :
for p in $pkgs; do
	$sudo chroot "$root" dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || die "$p is not installed in $root"
done
if [ "$kind" = e2e ]; then
	# The kernel, installed as a user would (its hooks run: depmod).
	# The guest boots with the test's own initramfs: tiny-initramfs's
	# hook (which needs /proc to find the root device, absent in the
	# chroot) is made non-executable, so run-parts skips it here and in
	# the guest.
	chmod -x "$root/etc/kernel/postinst.d/tiny-initramfs"
	cp "$kdeb" "$root/tmp/kernel.deb"
	$sudo chroot "$root" dpkg -i /tmp/kernel.deb >>"$root.log" 2>&1 ||
		die "installing $(basename "$kdeb") in $root failed; see $root.log"
	rm -f "$root/tmp/kernel.deb"
	kver=$(dpkg-deb -f "$kdeb" Package | sed 's/^linux-image-//; s/-unsigned$//')
	[ -s "$root/lib/modules/$kver/modules.dep" ] ||
		die "no modules.dep for $kver in $root after installing it"
fi
if [ "$kind" = nfs ]; then
	# What ganesha.nfsd needs in its root: the mount table (its VFS
	# back end finds the exported file system there), localhost, and
	# the directory lib-nfs.sh binds the export to.
	ln -sf /proc/self/mounts "$root/etc/mtab"
	printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
	mkdir -p "$root/export"
	[ -x "$root/usr/bin/ganesha.nfsd" ] || die "no ganesha.nfsd in $root"
fi
touch "$root.done"
echo "$root"
