#!/bin/sh
# Protocol abuse test: hostile clients against gdbserver-vmcore.
#
# Usage (no make needed): tests/proto/run.sh BUILD_DIR [tcp|pipe|both]
#   e.g. make && tests/proto/run.sh build
#
# Needs BUILD_DIR/gdbserver-vmcore, BUILD_DIR/tests/mkvmcore (make all)
# and python3.  The dump comes from the synthetic generator (48 MiB, KASLR
# 0x1c000000); DUMP=FILE READ_ADDR=HEX use another one.  The dump is
# written to a temporary directory and removed afterwards.
# Exit status: 0 when every case passed.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_DIR [tcp|pipe|both]" >&2
	exit 2
fi
build=$1
modes=${2:-both}
here=$(cd "$(dirname "$0")" && pwd)
server=$build/gdbserver-vmcore
for f in "$server" "$build/tests/mkvmcore"; do
	if [ ! -x "$f" ]; then
		echo "proto: $f not built (make BUILD=$build)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmc-proto.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ -n "${DUMP:-}" ]; then
	dump=$DUMP
	addr=${READ_ADDR:?set READ_ADDR with DUMP}
else
	dump=$tmp/vmcore
	# _stext = 0xffffffff81000000 + KASLR: 8 MiB of kernel image there.
	"$build/tests/mkvmcore" --mem 48 --kaslr 0x1c000000 "$dump" || exit 2
	addr=ffffffff9d000000
fi
echo "proto: $(basename "$server") on $(basename "$dump") (read at 0x$addr)"
timeout -k 10 900 python3 "$here/abuse.py" "$server" "$dump" "$addr" "$modes"
status=$?

# A signal must not leave the Unix socket behind (--keep-listening runs
# until killed).
for sig in TERM INT HUP; do
	sock=$tmp/sock-$sig
	"$server" -q --keep-listening --listen "unix:$sock" "$dump" &
	pid=$!
	n=0
	while [ ! -S "$sock" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	if [ ! -S "$sock" ]; then
		echo "FAIL socket_removed_on_$sig: $sock never appeared"
		status=1
	fi
	kill -s "$sig" "$pid"
	n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	if kill -0 "$pid" 2>/dev/null; then
		echo "FAIL socket_removed_on_$sig: SIG$sig did not stop the server"
		kill -9 "$pid"
		status=1
	fi
	wait "$pid" 2>/dev/null
	if [ -e "$sock" ]; then
		echo "FAIL socket_removed_on_$sig: $sock left behind"
		status=1
	else
		echo "PASS socket_removed_on_$sig"
	fi
done
exit $status
