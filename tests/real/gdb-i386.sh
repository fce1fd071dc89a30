#!/bin/sh
# Make (or reuse) a private copy of Debian's 32-bit gdb (gdb:i386) and print
# the path of a wrapper that runs it.  gdb:i386 cannot be installed next to
# the host's gdb:amd64, so its packages and their library closure are
# unpacked into the cache and run through their own ELF interpreter, by
# tests/real/i386-run.sh: natively, or through qemu-user where the host
# kernel cannot run i386 programs (VMCORE_I386_RUN=qemu-user forces that).
#
# Usage: tests/real/gdb-i386.sh [--print-path]
#
# Result: ${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/gdb-i386/<gdb version>-k<key>/gdb
# (a shell script; arguments go to gdb), <key> a hash of this script and
# i386-run.sh (a copy of which the wrapper runs).  Needs the i386 dpkg
# architecture (mk/install-deps.sh adds it).  stdout is only the wrapper's
# path.
set -eu
prog=gdb-i386
log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-cache.sh"	# fixture_key, mark_used, prune_others

cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/gdbserver-vmcore
print_only=0
[ "${1:-}" != --print-path ] || print_only=1

dpkg --print-foreign-architectures | grep -qx i386 ||
	die "the i386 architecture is not enabled (run mk/install-deps.sh test)"
ver=$(apt-cache policy gdb:i386 2>/dev/null | sed -n 's/^ *Candidate: //p')
case $ver in
''|'(none)') die "apt knows no gdb:i386 (apt-get update after dpkg --add-architecture i386?)" ;;
esac
dir=$cache/gdb-i386/$(printf '%s' "$ver" | tr -c 'A-Za-z0-9.+~\n-' _)-k$(fixture_key \
	tests/real/gdb-i386.sh tests/real/i386-run.sh)
if [ -x "$dir/gdb" ] && [ -e "$dir/done" ]; then
	mark_used "$dir"
	echo "$dir/gdb"
	exit 0
fi
[ $print_only = 0 ] || { echo "$dir/gdb"; exit 1; }

mkdir -p "$cache/gdb-i386"
exec 9>"$cache/gdb-i386/.lock"
flock 9
if [ -e "$dir/done" ]; then mark_used "$dir"; echo "$dir/gdb"; exit 0; fi
work=$(mktemp -d "$cache/gdb-i386/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# gdb:i386 and every i386 package it needs (not recommends), minus the
# packaging tools that only run at install time.
log "resolving the gdb:i386 $ver package closure"
apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances gdb:i386 2>/dev/null |
	grep -v '^ ' | grep ':i386$' |
	grep -vE '^(dpkg|install-info|debconf|cdebconf|perl|libperl|perl-base|perl-modules)' |
	sort -u >"$work/pkgs"
[ -s "$work/pkgs" ] || die "no packages resolved for gdb:i386"
mkdir "$work/debs" "$work/root"
sandbox=""
[ "$(id -u)" != 0 ] || sandbox="-o APT::Sandbox::User=root"
log "downloading $(wc -l <"$work/pkgs") packages"
# shellcheck disable=SC2046,SC2086
(cd "$work/debs" && apt-get download -qq $sandbox $(cat "$work/pkgs")) >&2 ||
	die "apt-get download failed"
for d in "$work"/debs/*.deb; do
	dpkg-deb -x "$d" "$work/root" || die "dpkg-deb -x $d failed"
done
rm -rf "$work/debs"

root=$dir/root
[ -f "$work/root/lib/ld-linux.so.2" ] || die "no lib/ld-linux.so.2 in libc6:i386"
[ -x "$work/root/usr/bin/gdb" ] || die "no usr/bin/gdb in gdb:i386"
pyver=$(cd "$work/root/usr/lib" && ls -d python3.* 2>/dev/null | head -n 1)
cat >"$work/gdb" <<WRAP
#!/bin/sh
# Debian's gdb:i386 $ver, run from its private root (tests/real/gdb-i386.sh)
# by i386-run.sh: natively, or with qemu-user where the host cannot run
# i386 programs (VMCORE_I386_RUN=qemu-user forces it).
root=$root
GCONV_PATH=\$root/usr/lib/i386-linux-gnu/gconv
PYTHONHOME=\$root/usr
PYTHONPATH=\$root/usr/lib/$pyver:\$root/usr/lib/$pyver/lib-dynload
export GCONV_PATH PYTHONHOME PYTHONPATH
exec "$dir/i386-run.sh" "\$root" usr/bin/gdb --data-directory="\$root/usr/share/gdb" "\$@"
WRAP
chmod 755 "$work/gdb"
cp "$here/i386-run.sh" "$work/i386-run.sh"
rm -rf "$dir"
mkdir -p "$dir"
mv "$work/root" "$root"
mv "$work/gdb" "$work/i386-run.sh" "$dir/"
"$dir/gdb" -nx -batch -ex 'python print("py-ok")' -ex 'show version' >"$work/check" 2>&1 ||
	{ cat "$work/check" >&2; die "the unpacked gdb:i386 does not run"; }
grep -q py-ok "$work/check" || { cat "$work/check" >&2; die "gdb:i386 has no working Python"; }
date -u +%Y-%m-%dT%H:%M:%SZ >"$dir/done"
log "gdb:i386 $ver ready in $dir ($("$dir/i386-run.sh" --how "$root") on this host)"
# Older builds (other keys or versions), as lib-cache.sh prunes dumps.
prune_others "$dir" "$cache"/gdb-i386/*
echo "$dir/gdb"
