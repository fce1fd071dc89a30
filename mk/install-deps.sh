#!/bin/sh
# Install the Debian 12 packages the build, the tests and the demo need.
# Idempotent: does nothing when everything is already installed.
# Usage: mk/install-deps.sh [build|test|demo|deb]   (default: test)
# deb: what `make deb` needs (the build's and debhelper's packages).
set -eu
what=${1:-test}

build_pkgs="gcc make pkg-config libelf-dev libdw-dev zlib1g-dev liblzo2-dev libsnappy-dev libzstd-dev liblzma-dev"
test_pkgs="gdb gdb-multiarch debootstrap linux-kbuild-6.1 python3 python3-drgn python3-libkdumpfile crash clang libclang-rt-14-dev llvm qemu-system-x86 qemu-system-arm qemu-utils qemu-user kexec-tools makedumpfile busybox-static cpio xz-utils zstd kmod e2fsprogs gcc-aarch64-linux-gnu g++-aarch64-linux-gnu gcc-i686-linux-gnu g++-i686-linux-gnu lldb nodejs openssh-client openssh-server dropbear-bin strace debhelper lintian dpkg-dev fakeroot systemd g++"
demo_pkgs="gdb qemu-system-x86 busybox-static cpio kmod e2fsprogs"
deb_pkgs="debhelper dpkg-dev fakeroot g++"

case $what in
build) pkgs=$build_pkgs ;;
test)  pkgs="$build_pkgs $test_pkgs" ;;
demo)  pkgs="$build_pkgs $demo_pkgs" ;;
deb)   pkgs="$build_pkgs $deb_pkgs" ;;
*) echo "install-deps: unknown set '$what' (build, test, demo or deb)" >&2; exit 2 ;;
esac

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

# The i386 and aarch64 real-dump fixtures download (never install) Debian
# i386 and arm64 packages: the guests' kernels and userland, and gdb:i386
# (tests/real/make-dump-i386.sh, make-dump-aarch64.sh, gdb-i386.sh).
# qemu-user runs gdb:i386 where the host kernel has no IA-32 emulation
# (tests/real/i386-run.sh).
if [ "$what" = test ]; then
	added=0
	for a in i386 arm64; do
		if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
			echo "install-deps: adding the $a architecture for apt-get download" >&2
			$sudo dpkg --add-architecture "$a"
			added=1
		fi
	done
	[ $added = 0 ] || $sudo apt-get update -q >/dev/null
fi

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
# The DAP test installs its node packages with npm (tests/ide/npm-deps.sh).
# Debian's npm package, unless a nodejs that brings its own npm is there.
[ "$what" != test ] || command -v npm >/dev/null || missing="$missing npm"
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
$sudo apt-get update -q >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
