#!/bin/sh
# Run a 32-bit x86 program of an unpacked Debian i386 root (such as the
# gdb:i386 of gdb-i386.sh) on this host: through the root's own ELF
# interpreter and libraries, natively where the host kernel executes i386
# programs, else through Debian's qemu-user (qemu-i386; no binfmt_misc
# needed).  Programs it starts, such as gdb's `target remote | CMD` pipe,
# are host programs and run natively either way.  Every i386 program the
# tests run on the host goes through here: this is the one place that
# decides.
#
# Usage: i386-run.sh ROOT PROGRAM [ARG...]   run ROOT/PROGRAM (a path
#                                            relative to ROOT) with ARGs
#        i386-run.sh --how ROOT             print native or qemu-user
#
# The decision is made by trying: the host runs i386 programs if ROOT's
# ld-linux.so.2 --version runs (some hosts' kernels have no IA-32
# emulation: "Exec format error").  VMCORE_I386_RUN=qemu-user forces
# qemu-user (to test that path on a host that could run the program
# itself), VMCORE_I386_RUN=native forces native execution; auto (the
# default) tries.
set -eu
die() { printf 'i386-run: ERROR: %s\n' "$*" >&2; exit 127; }

how=0
[ "${1:-}" != --how ] || { how=1; shift; }
[ $# -ge $((2 - how)) ] || die "usage: i386-run.sh ROOT PROGRAM [ARG...] | --how ROOT"
root=$1
shift
ld=$root/lib/ld-linux.so.2
[ -f "$ld" ] || die "no lib/ld-linux.so.2 in $root (libc6:i386)"

case ${VMCORE_I386_RUN:-auto} in
native|qemu-user) mode=$VMCORE_I386_RUN ;;
auto)
	if "$ld" --version 2>/dev/null | grep -q '^ld\.so '; then
		mode=native
	else
		mode=qemu-user
	fi ;;
*) die "VMCORE_I386_RUN='$VMCORE_I386_RUN': auto, native or qemu-user" ;;
esac
if [ $how = 1 ]; then
	echo "$mode"
	exit 0
fi

prog=$root/${1#/}
shift
libs=$root/lib/i386-linux-gnu:$root/usr/lib/i386-linux-gnu
if [ "$mode" = native ]; then
	exec "$ld" --library-path "$libs" "$prog" "$@"
fi
command -v qemu-i386 >/dev/null 2>&1 ||
	die "this host cannot run i386 programs and has no qemu-i386 (package qemu-user: run mk/install-deps.sh test)"
exec qemu-i386 "$ld" --library-path "$libs" "$prog" "$@"
