#!/bin/sh
# make demo: a real kdump of a Debian kernel, opened in gdb through
# gdbserver-vmcore.  Usage: mk/demo.sh BUILD_DIR [gdb arguments...]
set -eu
build=$(cd "${1:-build}" && pwd)
shift || true
top=$(cd "$(dirname "$0")/.." && pwd)

echo "demo: making (or reusing) a kdump of a Debian 6.1 kernel in QEMU..." >&2
dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")
echo "demo: dump $dir/vmcore" >&2
echo "demo: gdb $vmlinux -ex 'target remote | gdbserver-vmcore $dir/vmcore'" >&2

# The ORC unwinder from the source tree, as an installed gdb loads it from
# its system gdbinit directory (backtraces through interrupts and entry code).
set -- -q -iex "source $top/gdbserver-vmcore/vmcore-orc.py" "$vmlinux" \
	-ex "target remote | $build/gdbserver-vmcore $dir/vmcore" \
	-ex 'echo \n(gdb) info threads\n' -ex 'info threads' \
	-ex 'echo \n(gdb) bt\n' -ex 'bt' \
	-ex 'echo \n(gdb) p init_uts_ns.name.release\n' \
	-ex 'p init_uts_ns.name.release' "$@"
if [ -t 0 ] && [ -t 1 ]; then
	echo "demo: you are in gdb on the dump; try 'thread 1', 'bt', 'monitor info', 'quit'" >&2
	exec gdb "$@"
fi
exec gdb -batch "$@"
