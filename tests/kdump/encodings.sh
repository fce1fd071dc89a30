#!/bin/sh
# Make (or reuse) the kdump-compressed and flattened encodings of a real
# dump made by tests/real/make-dump-x86_64.sh.
#
# Usage: tests/kdump/encodings.sh DUMPDIR [BUILD_DIR]
#
# Writes DUMPDIR/encodings/NAME.kdump for each encoding below and prints
# one "NAME PATH" line per encoding on stdout (progress goes to stderr).
# makedumpfile makes what it can (zlib, lzo, none; -d 0, 1, 31; -F);
# BUILD_DIR/tests/mkkdump (default build/) makes what it cannot: snappy and
# zstd (Debian's makedumpfile silently writes those uncompressed), the
# 32-bit header layout, a dump cut short by a full disk, flattened records
# out of order.
#
# Cached: NAME.recipe next to each file holds the command and the identity
# of the tool (makedumpfile's version, a checksum of mkkdump.c); a file is
# remade only when its recipe changed.  Files appear atomically (temporary
# file, then rename) and one run at a time works on a directory (flock).
# -d 31 needs no vmlinux: the dumps carry VMCOREINFO.
set -eu

prog=encodings
log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$prog" "$*" >&2; exit 1; }

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
dumpdir=$(cd "$1" && pwd) || die "no dump directory '$1'"
build=$(cd "${2:-$top/build}" && pwd) || die "no build directory '${2:-build}'"
vmcore=$dumpdir/vmcore
mkkdump=$build/tests/mkkdump
enc=$dumpdir/encodings

[ -f "$dumpdir/done" ] || die "$dumpdir holds no complete dump"
command -v makedumpfile >/dev/null || die "makedumpfile not found (mk/install-deps.sh test)"
[ -x "$mkkdump" ] || die "$mkkdump not built (make $build/tests/mkkdump)"

mkdir -p "$enc"
exec 9>"$enc/.lock"
flock 9

mdf_id="makedumpfile $(makedumpfile -v 2>&1 | sed -n 's/^makedumpfile: version \([^ ]*\).*/\1/p')"
mk_id="mkkdump $(cksum <"$top/tests/gen/mkkdump.c" | cut -d' ' -f1)"

# make NAME TOOL ARGS...: TOOL is mdf (makedumpfile ARGS VMCORE OUT),
# mdf-flat (makedumpfile ARGS VMCORE > OUT) or mk (mkkdump ARGS VMCORE OUT).
make_one() {
	name=$1 tool=$2
	shift 2
	out=$enc/$name.kdump
	case $tool in
	mdf|mdf-flat) recipe="$mdf_id $*" ;;
	mk) recipe="$mk_id $*" ;;
	esac
	if [ -f "$out" ] && [ "$(cat "$enc/$name.recipe" 2>/dev/null)" = "$recipe" ]; then
		echo "$name $out"
		return
	fi
	log "making $name ($tool $*)"
	tmp=$enc/.$name.tmp.$$
	rm -f "$tmp" "$out" "$enc/$name.recipe"
	case $tool in
	mdf) makedumpfile "$@" --message-level 4 "$vmcore" "$tmp" >&2 ||
		{ rm -f "$tmp"; die "makedumpfile $* failed"; } ;;
	mdf-flat) makedumpfile "$@" --message-level 4 "$vmcore" >"$tmp" ||
		{ rm -f "$tmp"; die "makedumpfile $* failed"; } ;;
	mk) "$mkkdump" "$@" "$vmcore" "$tmp" 2>/dev/null ||
		{ rm -f "$tmp"; die "mkkdump $* failed"; } ;;
	esac
	mv "$tmp" "$out"
	printf '%s\n' "$recipe" >"$enc/.$name.recipe.$$"
	mv "$enc/.$name.recipe.$$" "$enc/$name.recipe"
	echo "$name $out"
}

# make_split NAME N ARGS...: makedumpfile ARGS --split VMCORE into N files
# NAME.1.kdump ... NAME.N.kdump; prints "NAME PATH1,PATH2,...".
make_split() {
	name=$1 nparts=$2
	shift 2
	recipe="$mdf_id $* --split $nparts"
	outs="" tmps=""
	for i in $(seq "$nparts"); do
		outs="$outs $enc/$name.$i.kdump"
		tmps="$tmps $enc/.$name.$i.tmp.$$"
	done
	if [ "$(cat "$enc/$name.recipe" 2>/dev/null)" != "$recipe" ]; then
		log "making $name (makedumpfile $* --split, $nparts files)"
		# shellcheck disable=SC2086 # word splitting wanted
		rm -f $outs "$enc/$name.recipe"
		# shellcheck disable=SC2086
		makedumpfile "$@" --message-level 4 --split "$vmcore" $tmps >&2 ||
			{ rm -f $tmps; die "makedumpfile $* --split failed"; }
		for i in $(seq "$nparts"); do
			mv "$enc/.$name.$i.tmp.$$" "$enc/$name.$i.kdump"
		done
		printf '%s\n' "$recipe" >"$enc/.$name.recipe.$$"
		mv "$enc/.$name.recipe.$$" "$enc/$name.recipe"
	fi
	# shellcheck disable=SC2086
	echo "$name $(echo $outs | tr ' ' ',')"
}

rm -f "$enc"/.*.tmp.* "$enc"/.*.recipe.*

# makedumpfile 1.7.2: -c zlib, -l lzo, neither: raw pages.  -d 31 drops
# zero, cache, user and free pages (most of this idle guest); -d 1 keeps
# zero pages readable (they share one zero page), -d 0 keeps everything.
make_one mdf-zlib-d31 mdf -c -d 31
make_one mdf-lzo-d31 mdf -l -d 31
make_one mdf-none-d31 mdf -d 31
make_one mdf-zlib-d1 mdf -c -d 1
make_one mdf-zlib-d0 mdf -c -d 0
make_one mdf-flat-zlib-d31 mdf-flat -F -c -d 31

# mkkdump.  The first two must be byte for byte the makedumpfile files
# above (run.sh checks); the rest are what makedumpfile cannot make here.
make_one mk-zlib-d0 mk --compress zlib
make_one mk-zlib-d1share mk --compress zlib --share-zero
make_one mk-snappy-d0 mk --compress snappy
make_one mk-zstd-d0 mk --compress zstd
make_one mk-snappy-d1 mk --compress snappy --exclude-zero
make_one mk-zstd-d1 mk --compress zstd --exclude-zero
make_one mk-flat-snappy-d1 mk --flatten --compress snappy --exclude-zero
make_one mk-header32 mk --header32 --compress zlib
make_one mk-header32-x86_64 mk --header32 --machine x86_64 --compress zlib
make_one mk-header32-mips mk --header32 --machine mips --compress zlib
make_one mk-incomplete mk --incomplete --compress zstd

# Split dump sets (makedumpfile --split).  The guest has 1 GiB of RAM:
# with the default 1 GiB split block every page would land in the first
# file, so --splitblock-size (KiB) makes the parts hold real ranges.
make_split split-lzo-d1 3 -l -d 1 --splitblock-size 4096
make_split split-zlib-d31 2 -c -d 31 --splitblock-size 4096
