#!/bin/sh
# make deb: the Debian packages (debian/), built by dpkg-buildpackage in a
# copy of the source tree in a temp directory (it writes debian/ build
# directories and the build output there, never into the tree), moved to
# OUT_DIR: the .deb files, .buildinfo and .changes.
# Usage: mk/deb.sh OUT_DIR      (the Makefile's DEB_DIR)
set -eu
prog=deb
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
[ $# = 1 ] || die "usage: $0 OUT_DIR"
top=$(cd "$(dirname "$0")/.." && pwd)
command -v dpkg-buildpackage >/dev/null 2>&1 || die "no dpkg-buildpackage (make deps)"
mkdir -p "$1"
out=$(cd "$1" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmcore-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
src=$tmp/gdbserver-vmcore
mkdir "$src"
# The files of the tree: in a git checkout, those git knows or would add
# (uncommitted changes included, ignored build output not); else all but
# the build directories.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$top" && tr '\0' '\n' | while IFS= read -r f; do
			[ ! -e "$f" ] || printf '%s\0' "$f"
		done | tar --null -T - -cf -) | tar -C "$src" -xf -
else
	tar -C "$top" --exclude=./build --exclude=./build-asan \
		--exclude=./build-fuzz -cf - . | tar -C "$src" -xf -
fi

start=$(date +%s)
jobs=$(nproc 2>/dev/null || echo 1)
if ! (cd "$src" && dpkg-buildpackage -b -us -uc -j"$jobs") >"$tmp/build.log" 2>&1; then
	tail -n 40 "$tmp/build.log" >&2
	die "dpkg-buildpackage failed (the last lines of its log are above)"
fi
n=0
for f in "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp"/*.changes; do
	[ -e "$f" ] || continue
	mv -f "$f" "$out/"
	case $f in *.deb) n=$((n + 1)); echo "$out/${f##*/}" ;; esac
done
[ $n -gt 0 ] || die "dpkg-buildpackage made no .deb"
printf '%s: %s packages in %s (%s s)\n' "$prog" "$n" "$out" "$(($(date +%s) - start))" >&2
