#!/bin/sh
# Debian 13's makedumpfile 1.7.6 built for another architecture, run on
# this host by qemu-user, as the reference for the dump-level filter on
# the aarch64 and i386 dumps: a makedumpfile reads only dumps of the
# architecture it was built for (its page-table walker and memory layout
# are compiled in), and the trixie root (tests/real/trixie-root.sh) has
# the amd64 one only.
#
# Usage: tests/real/makedumpfile-cross.sh aarch64|i386
#
# stdout is one line: a command that runs that makedumpfile with the
# arguments it is given (a wrapper script: qemu-aarch64 or qemu-i386 on
# the package's own dynamic loader and libraries, no chroot, no
# binfmt_misc), so it reads and writes the host's files.  The packages
# (makedumpfile and the libraries it needs) come from the Debian mirror
# the host's apt sources name (VMC_DEBIAN_MIRROR overrides it), through a
# private apt configuration (the host's apt state is not touched), checked
# with the host's debian-archive-keyring.  Made once per key (this
# script's text and the package list), in the cache.
set -eu

prog=makedumpfile-cross
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore
pkgs="makedumpfile libc6 libzstd1 liblzo2-2 libdw1t64 libelf1t64 zlib1g liblzma5 libbz2-1.0"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }

case ${1:-} in
aarch64) deb_arch=arm64 qemu=qemu-aarch64 ld=ld-linux-aarch64.so.1
	 libdir=aarch64-linux-gnu ;;
i386) deb_arch=i386 qemu=qemu-i386 ld=ld-linux.so.2 libdir=i386-linux-gnu ;;
*) die "usage: $0 aarch64|i386" ;;
esac
key=$( { cat "$0"; echo "$pkgs"; } | sha256sum | cut -c1-16)
base=$cache/makedumpfile-cross
dir=$base/$deb_arch-$key

if [ -x "$dir/makedumpfile" ]; then
	echo "$dir/makedumpfile"
	exit 0
fi
command -v "$qemu" >/dev/null 2>&1 || die "$qemu not found; run mk/install-deps.sh test (qemu-user)"
[ -f "$keyring" ] || die "$keyring not found (Debian's debian-archive-keyring)"
mkdir -p "$base"
exec 8>"$base/.lock"
flock 8
if [ -x "$dir/makedumpfile" ]; then
	echo "$dir/makedumpfile"
	exit 0
fi

# The mirror: the first Debian archive URI in the host's apt sources
# (deb822 .sources or one-line .list), not the security archive.
mirror=${VMC_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
		       -e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p' |
		grep -v -e security -e '^$' | grep -i debian | head -n 1)
fi
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources; set VMC_DEBIAN_MIRROR"

work=$(mktemp -d "$base/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
apt=$work/apt
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$work/debs" "$work/root"
echo "deb [arch=$deb_arch signed-by=$keyring] $mirror trixie main" >"$apt/sources.list"
: >"$apt/status"
set -- -o Dir::Etc::SourceList="$apt/sources.list" \
	-o Dir::Etc::SourceParts=/nonexistent -o Dir::State="$apt" \
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" \
	-o Dir::Cache::Archives="$apt/archives" \
	-o Dir::State::status="$apt/status" -o APT::Architecture="$deb_arch" \
	-o APT::Architectures::="$deb_arch" -o Acquire::Languages=none \
	-o APT::Sandbox::User=root
log "fetching Debian 13's makedumpfile for $deb_arch from $mirror"
apt-get "$@" -qq update >&2 || die "apt-get update (trixie, $deb_arch) failed"
list=""
for p in $pkgs; do
	list="$list $p:$deb_arch"
done
# shellcheck disable=SC2086 # one argument per package
(cd "$work/debs" && apt-get "$@" -qq download $list >&2) ||
	die "apt-get download$list failed"
for d in "$work"/debs/*.deb; do
	dpkg-deb -x "$d" "$work/root"
done
root=$dir/root
cat >"$work/makedumpfile" <<EOF
#!/bin/sh
# Debian 13's makedumpfile ($deb_arch) under $qemu (tests/real/$prog.sh).
exec $qemu "$root/usr/lib/$ld" --library-path "$root/usr/lib/$libdir" \\
	"$root/usr/bin/makedumpfile" "\$@"
EOF
chmod 755 "$work/makedumpfile"
rm -rf "$work/apt" "$work/debs"
# Other keys (older scripts) go.
for old in "$base/$deb_arch"-*; do
	[ -e "$old" ] || continue
	[ "$old" = "$dir" ] || rm -rf "$old"
done
mv "$work" "$dir"
trap - EXIT INT TERM
"$dir/makedumpfile" -v >/dev/null 2>&1 ||
	die "$dir/makedumpfile does not run (qemu-user?)"
echo "$dir/makedumpfile"
