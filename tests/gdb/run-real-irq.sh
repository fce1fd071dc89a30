#!/bin/sh
# Backtraces through interrupt entry on x86_64: the real kdump of a panic
# in hard-interrupt context (tests/real/make-dump-x86_64-irq.sh) through
# gdb 13 (Debian 12) and gdb 16 (Debian 13, tests/real/trixie-root.sh),
# each with gdbserver-vmcore's ORC unwinder loaded as users get it (gdb 13:
# the source tree's copy; gdb 16: the loader `make install` puts in gdb's
# system gdbinit directory, installed into a temp dir), checked by
# tests/gdb/real-irq.py against independent unwinders of the same dump,
# run here: drgn 0.0.22 and 0.0.31 (their own ORC/DWARF unwinders; inline
# frames like gdb's), crash 8.0.6 `bt` and the kernel's own backtrace of
# the panic in the saved dmesg (no inline frames).  Before that, the
# unwinder's reading of the ORC tables is checked entry by entry against
# the kernel's objtool (tests/gdb/orc-objtool.py).
# Usage: tests/gdb/run-real-irq.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"

dir=$("$top/tests/real/make-dump-x86_64-irq.sh")
vmlinux=$(meta_get "$dir" VMLINUX)
trixie=$("$top/tests/real/trixie-root.sh")

# References, each a function list (innermost first).
echo "== references"
/usr/bin/python3 "$here/drgn-bt.py" "$dir/vmcore" "$vmlinux" >"$tmp/drgn-0.0.22" ||
	{ echo "FAIL drgn 0.0.22 stack trace"; fail=$((fail + 1)); }
"$trixie/python3" "$here/drgn-bt.py" "$dir/vmcore" "$vmlinux" >"$tmp/drgn-0.0.31" ||
	{ echo "FAIL drgn 0.0.31 stack trace"; fail=$((fail + 1)); }
# crash prints the panic task's bt by default; frames are
# " #N [SP] FUNCTION at PC", exception frames add register dumps.
printf 'bt\nquit\n' | timeout 300 "$trixie/crash" -s "$vmlinux" "$dir/vmcore" \
	>"$tmp/crash.out" 2>&1 || true
sed -n 's/^ *#[0-9]* \[[0-9a-f]*\] \([^ ]*\) at .*/\1/p' "$tmp/crash.out" >"$tmp/crash-8.0.6"
[ -s "$tmp/crash-8.0.6" ] ||
	{ echo "FAIL crash 8.0.6 bt:"; head -20 "$tmp/crash.out"; fail=$((fail + 1)); }
# The kernel's own panic backtrace (its ORC unwinder at crash time), the
# reliable entries: "FUNC+0xOFF/0xLEN", not "? FUNC...".
sed -n 's/^\([A-Za-z_][A-Za-z0-9_.]*\)+0x[0-9a-f]*\/0x[0-9a-f]*$/\1/p' \
	"$(meta_get "$dir" PANIC_TRACE)" >"$tmp/kernel"
for r in drgn-0.0.22 drgn-0.0.31 crash-8.0.6 kernel; do
	echo "$r: $(tr '\n' ' ' <"$tmp/$r")"
done
# How each one is compared (and why drgn 0.0.22 only as a prefix):
# tests/gdb/real-irq.py.
refs="drgn-0.0.22:prefix:$tmp/drgn-0.0.22;drgn-0.0.31:same:$tmp/drgn-0.0.31"
refs="$refs;crash-8.0.6:calls:$tmp/crash-8.0.6;kernel:calls:$tmp/kernel"

# The ORC table reader against the kernel's objtool (linux-kbuild-6.1,
# mk/install-deps.sh), and its FDE ranges against binutils' readelf, on
# the fixture's vmlinux.
objtool=/usr/lib/linux-kbuild-6.1/tools/objtool/objtool
if [ ! -x "$objtool" ]; then
	echo "== orc-objtool"
	echo "FAIL $objtool not found: run mk/install-deps.sh test"
	fail=$((fail + 1))
elif ! "$objtool" --dump=orc "$vmlinux" >"$tmp/objtool-orc.txt" 2>"$tmp/objtool.err"; then
	echo "== orc-objtool"
	echo "FAIL objtool --dump=orc $vmlinux:"; head -5 "$tmp/objtool.err"
	fail=$((fail + 1))
elif ! readelf --debug-dump=frames "$vmlinux" >"$tmp/frames.txt" 2>"$tmp/readelf.err"; then
	echo "== orc-objtool"
	echo "FAIL readelf --debug-dump=frames $vmlinux:"; head -5 "$tmp/readelf.err"
	fail=$((fail + 1))
else
	gdb_session orc-objtool env VMC_VMLINUX="$vmlinux" \
		VMC_OBJTOOL_DUMP="$tmp/objtool-orc.txt" \
		VMC_READELF_FRAMES="$tmp/frames.txt" \
		VMC_RELEASE="$(meta_get "$dir" KVER)" timeout 600 gdb -nx -batch -q \
		-iex "source $unwinder" -x "$here/orc-objtool.py"
fi

# session NAME GDB LOADER: real-irq.py through the server.
session() {
	gdb_session "$1" env VMC_META="$dir/meta.txt" VMC_REFS="$refs" \
		timeout 600 "$2" -nx -batch -q -iex "source $3" "$vmlinux" \
		-ex "target remote | $server -q --threads cpus $dir/vmcore" \
		-x "$here/real-irq.py"
}
session irq-gdb13 gdb "$unwinder"

inst=$tmp/inst
MAKEFLAGS= MAKELEVEL= make -C "$top" -s --no-print-directory BUILD="$build" \
	PREFIX="$inst" GDBINIT_DIR="$inst/gdbinit.d" install >"$tmp/install.log" 2>&1 ||
	{ echo "FAIL make install"; cat "$tmp/install.log"; fail=$((fail + 1)); }
session irq-gdb16 "$trixie/gdb" "$inst/gdbinit.d/gdbserver-vmcore.py"

runner_end "interrupt backtrace tests"
