#!/bin/sh
# A minimal Debian 13 (trixie) root in the cache, with the tools the suite
# uses as a second gdb client and as independent references: gdb 16 (and
# gdb-multiarch 16 for the aarch64 dumps), crash
# 8.0.6 (lists every task of 6.1 dumps, bookworm's 8.0.2 does not), drgn
# 0.0.31 and libkdumpfile, makedumpfile 1.7.6 (zstd built in).
#
# Usage: tests/real/trixie-root.sh [--print-dir]
#
# stdout is one line, the directory of wrapper commands: BIN/gdb,
# BIN/gdb-multiarch, BIN/crash, BIN/python3 (with drgn and kdumpfile importable) and
# BIN/makedumpfile.  They run the root's programs on the host through the
# root's own dynamic loader (no chroot, no mounts, no namespaces), so they
# see the host's files and their pipes (`target remote | ...`) start host
# programs.  --print-dir prints it and exits 0 when the root is complete,
# 1 when not, building nothing.
#
# The root is made once per key: the trixie package list below and this
# script's own text (a changed script makes a new root; older ones are
# removed).  debootstrap needs root (or sudo).  The Debian mirror is the
# one the host's apt sources name (VMC_DEBIAN_MIRROR overrides it).
set -eu

prog=trixie-root
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore
pkgs="gdb gdb-multiarch crash python3-drgn python3-libkdumpfile makedumpfile"

log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }

key=$( { cat "$0"; echo "$pkgs"; } | sha256sum | cut -c1-16)
root=$cache/roots/trixie-$key
bin=$root.bin

if [ "${1:-}" = --print-dir ]; then
	echo "$bin"
	[ -e "$root.done" ]
	exit
fi
[ $# = 0 ] || die "usage: $0 [--print-dir]"
if [ -e "$root.done" ]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache/roots"
exec 8>"$cache/roots/.lock"
flock 8
if [ -e "$root.done" ]; then
	echo "$bin"
	exit 0
fi

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
command -v debootstrap >/dev/null 2>&1 ||
	[ -x /usr/sbin/debootstrap ] ||
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
for old in "$cache"/roots/trixie-*; do
	[ -e "$old" ] || continue
	case $old in "$root"|"$root".*) continue ;; esac
	$sudo rm -rf "$old"
done
$sudo rm -rf "$root" "$bin"

log "debootstrap trixie into $root (about 1-2 min)"
$sudo debootstrap --variant=minbase trixie "$root" "$mirror" >"$root.log" 2>&1 ||
	die "debootstrap failed; see $root.log"
log "installing $pkgs"
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive chroot "$root" \
	apt-get install -y -q --no-install-recommends $pkgs >>"$root.log" 2>&1 ||
	die "apt-get install in the trixie root failed; see $root.log"
$sudo chroot "$root" apt-get clean >>"$root.log" 2>&1 || :
[ "$(id -u)" = 0 ] || $sudo chown -R "$(id -u):$(id -g)" "$root"

# The wrappers.  The root's loader runs the root's binary with the root's
# libraries; Python and gconv are pointed at the root too.  The variables
# are set for the wrapped program only: its children (gdb's pipe to the
# server) are host programs and get them unset again where it matters.
mkdir -p "$bin"
libs="$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu"
pyver=$(cd "$root/usr/lib" && ls -d python3.[0-9]* | sort -V | tail -n 1)
[ -n "$pyver" ] || die "no Python in the trixie root"
mkwrap() {	# mkwrap NAME PROGRAM [ARGS...]: $bin/NAME runs PROGRAM from the root
	name=$1
	shift
	{
		echo '#!/bin/sh'
		echo "# $name from the Debian 13 root (tests/real/trixie-root.sh)"
		echo "export PYTHONHOME='$root/usr' GCONV_PATH='$root/usr/lib/x86_64-linux-gnu/gconv'"
		echo "exec '$root/lib64/ld-linux-x86-64.so.2' --library-path '$libs' $* \"\$@\""
	} >"$bin/$name"
	chmod 755 "$bin/$name"
}
inroot() {	# inroot NAME: the root's program NAME (trixie merges /usr)
	for d in usr/bin usr/sbin; do
		[ ! -x "$root/$d/$1" ] || { echo "'$root/$d/$1'"; return; }
	done
	die "no $1 in the trixie root"
}
mkwrap gdb "$(inroot gdb)" "--data-directory='$root/usr/share/gdb'"
mkwrap gdb-multiarch "$(inroot gdb-multiarch)" "--data-directory='$root/usr/share/gdb'"
mkwrap crash "$(inroot crash)"
mkwrap python3 "$(inroot "$pyver")"
mkwrap makedumpfile "$(inroot makedumpfile)"

# Each works, or the root is not done.
"$bin/gdb" -nx -batch -ex 'python import sys; print(sys.version_info[0])' >/dev/null 2>&1 ||
	die "the trixie gdb does not run (see: $bin/gdb -nx -batch -ex 'python print(1)')"
"$bin/gdb-multiarch" -nx -batch -ex 'set architecture aarch64' >/dev/null 2>&1 ||
	die "the trixie gdb-multiarch does not run or has no aarch64"
"$bin/gdb" --version | head -n 1 >&2
"$bin/crash" --version 2>/dev/null | grep -m 1 crash >&2 ||
	die "the trixie crash does not run"
"$bin/python3" -c 'import drgn, kdumpfile; print("drgn", drgn.__version__)' >&2 ||
	die "the trixie python3 cannot import drgn and kdumpfile"
"$bin/makedumpfile" -v 2>&1 | grep -m 1 makedumpfile >&2 ||
	die "the trixie makedumpfile does not run"

touch "$root.done"
echo "$bin"
