#!/bin/sh
# Linux's own gdb scripts (lx-ps, lx-lsmod, lx-dmesg, lx-cpus,
# $lx_current(), $lx_per_cpu()) through the server on the real kdumps
# (x86_64, aarch64, i386), as Debian's linux-source ships them
# (tests/real/linux-gdb-scripts.sh); the checks are tests/gdb/real-lx.py.
# Usage: tests/gdb/run-real-lx.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"

# session NAME GDB DIR MODE GDB-ARGS...: gdb GDB-ARGS, then the scripts,
# then the checks.
session() {
	name=$1 gdb=$2 dir=$3 mode=$4
	shift 4
	scripts=$("$top/tests/real/linux-gdb-scripts.sh" "$dir")
	gdb_session "$name" env VMC_META="$dir/meta.txt" VMC_LX="$mode" \
		timeout 600 "$gdb" -nx -batch -q -iex "source $unwinder" "$@" \
		-ex "source $scripts/vmlinux-gdb.py" -x "$here/real-lx.py"
}

# gdb VMLINUX: the server finds gdb's exec file and serves every task.
exec_session() {
	session "$1-exec" "$2" "$3" exec "$(meta_get "$3" VMLINUX)" \
		-ex "target remote | $server -q $3/vmcore"
}

x86=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
exec_session x86_64 gdb "$x86"
need_gdb16
exec_session x86_64-gdb16 "$gdb16" "$x86"
# x86_64 with KASLR: the vmlinux loaded after connecting with the
# per-CPU section at 0, as monitor info advises; the server finds it
# from gdb's -ex command.
session x86_64-percpu0 gdb "$x86" percpu0 \
	-ex "target remote | $server $x86/vmcore" \
	-ex "add-symbol-file $(meta_get "$x86" VMLINUX) -o $(meta_get "$x86" KERNELOFFSET) -s .data..percpu 0"
if grep -q "^gdbserver-vmcore: using vmlinux $(meta_get "$x86" VMLINUX): a file on gdb's command line" \
	"$tmp/x86_64-percpu0.log"; then
	echo "PASS the server found the vmlinux of gdb's add-symbol-file"
else
	echo "FAIL the server did not report the vmlinux of add-symbol-file:"
	head -5 "$tmp/x86_64-percpu0.log"
	fail=$((fail + 1))
fi
command -v gdb-multiarch >/dev/null ||
	{ echo "gdb-multiarch not found; run mk/install-deps.sh test" >&2; exit 1; }
exec_session aarch64 gdb-multiarch "$("$top/tests/real/make-dump-aarch64.sh")"
exec_session i386-pae gdb "$("$top/tests/real/make-dump-i386.sh" \
	--flavour 686-pae --core-headers elf32)"

runner_end "scripts/gdb tests"
