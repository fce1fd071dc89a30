#!/bin/sh
# Real aarch64 dump tests: make (or reuse from the cache) a kdump of a
# Debian 6.1 cloud-arm64 kernel in QEMU (tests/real/make-dump-aarch64.sh),
# then check it through the server with gdb-multiarch (real-aarch64.py).
# Usage: tests/gdb/run-real-aarch64.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"

command -v gdb-multiarch >/dev/null ||
	{ echo "gdb-multiarch not found; run mk/install-deps.sh test" >&2; exit 1; }

dir=$("$top/tests/real/make-dump-aarch64.sh")
vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")
[ -s "$vmlinux" ] || { echo "no vmlinux '$vmlinux' (from $dir/meta.txt)" >&2; exit 1; }

# session NAME GDB [SERVER-OPTION]: real-aarch64.py through the server.
session() {
	name=$1 gdb=$2
	shift 2
	strip=1
	[ "${1:-}" != --keep-pac ] || strip=0
	gdb_session "$name" env VMC_META="$dir/meta.txt" VMC_STRIP_PAC=$strip \
		timeout 900 "$gdb" -nx -batch -q "$vmlinux" \
		-ex "target remote | $server -q --threads cpus $* $dir/vmcore" \
		-x "$here/real-aarch64.py"
}

# By default the server strips kernel PACs itself (what gdb 13 and older
# need for kernel addresses); with --keep-pac it serves memory as it is and
# the masks as VMCOREINFO gives them (gdb unmasks the return addresses).
session real-aarch64-default gdb-multiarch
session real-aarch64-keep-pac gdb-multiarch --keep-pac
# gdb 16 strips kernel PACs itself (gdb >= 14): with --keep-pac its
# backtraces go the whole way (real-aarch64.py's full call-chain checks).
need_gdb16
session real-aarch64-keep-pac-gdb16 "$gdb16_multiarch" --keep-pac

# Backtraces with gdbserver-vmcore's unwinder (vmcore-arm64.py, loaded by
# vmcore-orc.py) on the plain dump and on the one of a panic in
# hard-interrupt context (make-dump-aarch64.sh --irq), task threads,
# gdb 13 and 16: real-bt.py against the kernel's own backtrace
# of the panic (in the log in the dump, as drgn 0.0.31 reads it) and
# drgn 0.0.31's stack trace of the crashed thread.
# gdb 13 loads the source tree's vmcore-orc.py, gdb 16 the loader `make
# install` puts in gdb's system gdbinit directory (installed into a temp
# dir), which finds vmcore-arm64.py in the installed data directory.
irqdir=$("$top/tests/real/make-dump-aarch64.sh" --irq)
trixie=$("$top/tests/real/trixie-root.sh")
inst=$tmp/inst
MAKEFLAGS= MAKELEVEL= make -C "$top" -s --no-print-directory BUILD="$build" \
	PREFIX="$inst" GDBINIT_DIR="$inst/gdbinit.d" install >"$tmp/install.log" 2>&1 ||
	{ echo "FAIL make install"; cat "$tmp/install.log"; fail=$((fail + 1)); }
for d in "$dir" "$irqdir"; do
	kind=plain
	[ "$(meta_get "$d" DUMP_KIND)" != kdump-irq ] || kind=irq
	vml=$(meta_get "$d" VMLINUX)
	# The kernel's backtrace, from its log in the dump as drgn reads it.
	"$trixie/python3" "$here/drgn-dmesg.py" "$d/vmcore" "$vml" >"$tmp/$kind.dmesg" ||
		{ echo "FAIL drgn 0.0.31 kernel log of the $kind dump"; fail=$((fail + 1)); }
	awk -f "$here/panic-trace.awk" "$tmp/$kind.dmesg" >"$tmp/$kind.kernel"
	"$trixie/python3" "$here/drgn-bt.py" "$d/vmcore" "$vml" >"$tmp/$kind.drgn" ||
		{ echo "FAIL drgn 0.0.31 stack trace of the $kind dump"; fail=$((fail + 1)); }
	echo "kernel ($kind): $(sed 's/+.*//' "$tmp/$kind.kernel" | tr '\n' ' ')"
	echo "drgn ($kind): $(tr '\n' ' ' <"$tmp/$kind.drgn")"
	for g in "gdb13:gdb-multiarch:$unwinder" \
		"gdb16:$gdb16_multiarch:$inst/gdbinit.d/gdbserver-vmcore.py"; do
		name=${g%%:*} g=${g#*:}
		gdb_session "aarch64-bt-$kind-$name" env VMC_META="$d/meta.txt" \
			VMC_KERNEL_TRACE="$tmp/$kind.kernel" VMC_DRGN="$tmp/$kind.drgn" \
			timeout 900 "${g%%:*}" -nx -batch -q -iex "source ${g#*:}" "$vml" \
			-ex "target remote | $server -q --vmlinux $vml $d/vmcore" \
			-x "$here/real-bt.py"
	done
done
# With --keep-pac gdb 16 strips the PACs itself, with the pauth masks,
# which every thread needs (sleeping tasks' frames too).
gdb_session aarch64-bt-plain-gdb16-keep-pac env VMC_META="$dir/meta.txt" \
	VMC_KERNEL_TRACE="$tmp/plain.kernel" VMC_DRGN="$tmp/plain.drgn" \
	timeout 900 "$gdb16_multiarch" -nx -batch -q -iex "source $unwinder" \
	"$vmlinux" -ex "target remote | $server -q --keep-pac --vmlinux $vmlinux $dir/vmcore" \
	-x "$here/real-bt.py"

runner_end "real aarch64 dump tests"
