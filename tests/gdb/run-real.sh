#!/bin/sh
# Real-dump tests: make (or reuse from the cache) kdumps of a Debian 6.1
# kernel in QEMU with 4-level and 5-level paging, and QEMU dump-guest-memory
# files, then check them through gdb (over each transport for the kdump).  Usage: tests/gdb/run-real.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"

# gdb_check NAME VMLINUX DUMPDIR TARGET [ENV...]: run real.py against TARGET
# with $gdb (gdb 13 unless set).
gdb=gdb
gdb_check() {
	name=$1 vmlinux=$2 dir=$3 target=$4
	shift 4
	gdb_session "$name" env VMC_META="$dir/meta.txt" "$@" timeout 600 \
		"$gdb" -nx -batch -q -iex "source $unwinder" "$vmlinux" -ex "target remote $target" \
		-x "$here/real.py"
}

# start_listener SPEC DUMP: run the server on SPEC, print where it listens.
start_listener() {
	"$server" --listen "$1" "$2" 2>"$tmp/listen.err" &
	pid=$!
	for _ in $(seq 50); do
		where=$(sed -n 's/^gdbserver-vmcore: listening on //p' "$tmp/listen.err")
		[ -n "$where" ] && break
		sleep 0.1
	done
	[ -n "$where" ] || { cat "$tmp/listen.err" >&2; exit 1; }
}

for levels in 4 5; do
	dir=$("$top/tests/real/make-dump-x86_64.sh" --levels "$levels")
	vmlinux=$(meta_get "$dir" VMLINUX)
	gdb_check "real-${levels}level-stdio" "$vmlinux" "$dir" \
		"| $server -q --threads cpus $dir/vmcore"
done

# gdb 16 as the second client (binary 'x' memory reads) on the 4-level
# dump, over a pipe and over TCP.
need_gdb16
dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
gdb=$gdb16
gdb_check real-4level-stdio-gdb16 "$(meta_get "$dir" VMLINUX)" "$dir" \
	"| $server -q --threads cpus $dir/vmcore"
gdb=gdb

# Transports, on the 4-level dump.
dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
vmlinux=$(meta_get "$dir" VMLINUX)

start_listener 127.0.0.1:0 "$dir/vmcore"
gdb_check real-tcp "$vmlinux" "$dir" "$where" VMC_QUICK=1
wait "$pid" || { echo "FAIL server over TCP exited with $?"; fail=$((fail + 1)); }
start_listener 127.0.0.1:0 "$dir/vmcore"
gdb=$gdb16
gdb_check real-tcp-gdb16 "$vmlinux" "$dir" "$where" VMC_QUICK=1
gdb=gdb
wait "$pid" || { echo "FAIL server over TCP (gdb 16) exited with $?"; fail=$((fail + 1)); }

sock=$tmp/gdbserver-vmcore.sock
start_listener "unix:$sock" "$dir/vmcore"
gdb_check real-unix "$vmlinux" "$dir" "$sock" VMC_QUICK=1
wait "$pid" || { echo "FAIL server over a Unix socket exited with $?"; fail=$((fail + 1)); }
[ ! -e "$sock" ] || { echo "FAIL unix socket left behind"; fail=$((fail + 1)); }

# QEMU dump-guest-memory: ELF with paging off and on, kdump-zlib (a
# flattened stream), all of one stopped machine; and an ELF of a guest
# without -device vmcoreinfo (no VMCOREINFO note).
qdir=$("$top/tests/real/make-qemu-dumps-x86_64.sh")
vmlinux=$(meta_get "$qdir" VMLINUX)
for f in vmcore-elf vmcore-paging vmcore-kdump-zlib; do
	gdb_check "qemu-${f#vmcore-}" "$vmlinux" "$qdir" "| $server -q --threads cpus $qdir/$f" \
		VMC_QEMU_FORMAT="${f#vmcore-}"
done
ndir=$("$top/tests/real/make-qemu-dumps-x86_64.sh" --no-vmcoreinfo)
gdb_check qemu-no-vmcoreinfo "$(meta_get "$ndir" VMLINUX)" "$ndir" \
	"| $server -q --threads cpus $ndir/vmcore-elf" VMC_QEMU_FORMAT=elf

# Differential: the same machine's pages read the same from every file.
# paging=true holds only the mapped pages, so it is compared on a sample;
# drgn (libkdumpfile) reads that one too (not paging=false, not flattened).
echo "== qemu-differential"
cmppages=$build/tests/cmppages
if "$cmppages" "$qdir/vmcore-elf" "$qdir/vmcore-kdump-zlib" >"$tmp/cmp.log" 2>&1 &&
	grep -q ' 0 mismatches' "$tmp/cmp.log"; then
	grep 'pages compared' "$tmp/cmp.log"
else
	echo "FAIL cmppages vmcore-elf vmcore-kdump-zlib"; cat "$tmp/cmp.log"
	fail=$((fail + 1))
fi
"$cmppages" --hash-sample "$qdir/vmcore-paging" >"$tmp/paging.hash"
"$cmppages" --hash-pfns "$qdir/vmcore-elf" <"$tmp/paging.hash" >"$tmp/elf.hash"
npages=$(grep -vc ' -$' "$tmp/paging.hash" || true)
if [ "$npages" -gt 1000 ] && cmp -s "$tmp/paging.hash" "$tmp/elf.hash"; then
	echo "paging=true and paging=false agree on $npages sampled pages"
else
	echo "FAIL paging=true vs paging=false sample ($npages pages readable)"
	diff "$tmp/paging.hash" "$tmp/elf.hash" | head -n 5
	fail=$((fail + 1))
fi
py=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import drgn' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
	echo "FAIL no python3 with drgn (mk/install-deps.sh installs python3-drgn)"
	fail=$((fail + 1))
elif "$py" "$top/tests/kdump/drgn_pages.py" "$qdir/vmcore-paging" \
	<"$tmp/paging.hash" >"$tmp/drgn.hash" &&
	cmp -s "$tmp/paging.hash" "$tmp/drgn.hash"; then
	echo "drgn reads the same $npages sampled pages of vmcore-paging"
else
	echo "FAIL drgn disagrees on vmcore-paging"
	diff "$tmp/paging.hash" "$tmp/drgn.hash" | head -n 5
	fail=$((fail + 1))
fi

runner_end "real-dump tests"
