#!/bin/sh
# Backtraces of real oopses on x86_64: the kdumps of
# tests/real/make-dump-x86_64-oops.sh (the test module vmcore_oops: NULL
# write in process context and in a timer callback, BUG(), WARN() with
# panic_on_warn, kernel stack overflow) through gdb 13 (Debian 12) and
# gdb 16 (Debian 13, tests/real/trixie-root.sh), each with
# gdbserver-vmcore's ORC unwinder loaded as users get it (gdb 13: the
# source tree's copy; gdb 16: the loader `make install` puts in gdb's
# system gdbinit directory, installed into a temp dir), checked by
# tests/gdb/real-oops.py against independent unwinders of the same dump,
# run here: drgn 0.0.31 (its own ORC/DWARF unwinder; inline frames like
# gdb's), crash 8.0.6 `bt` and the kernel's own report of the crash in
# the saved dmesg (no inline frames).  On the NULL-write dump, also a
# gdb/MI session per gdb (oops-mi.sh): the module as a library and its
# frame symbolic, with no command.
# Usage: tests/gdb/run-real-oops.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"

set_dir=$("$top/tests/real/make-dump-x86_64-oops.sh")
trixie=$("$top/tests/real/trixie-root.sh")
ko=$(meta_get "$set_dir" MODULE_KO)
kver=$(meta_get "$set_dir" KVER)

# The test module is out of tree: the server finds its .ko (by the
# build-id in the dump) in the fixture's directory, given with
# --search-dir, and hands it to gdb as a library with no command.
kodir=$(dirname "$ko")

inst=$tmp/inst
MAKEFLAGS= MAKELEVEL= make -C "$top" -s --no-print-directory BUILD="$build" \
	PREFIX="$inst" GDBINIT_DIR="$inst/gdbinit.d" install >"$tmp/install.log" 2>&1 ||
	{ echo "FAIL make install"; cat "$tmp/install.log"; fail=$((fail + 1)); }

for case in $(meta_get "$set_dir" CASES); do
	dir=$set_dir/$case
	vmlinux=$(meta_get "$dir" VMLINUX)
	ref=$tmp/$case
	mkdir "$ref"
	echo "== $case: references"
	"$trixie/python3" "$here/drgn-bt.py" "$dir/vmcore" "$vmlinux" "$ko" \
		>"$ref/drgn-0.0.31" ||
		{ echo "FAIL drgn 0.0.31 stack trace ($case)"; fail=$((fail + 1)); }
	# crash prints the panic task's bt: frames are " #N [SP] FUNCTION at
	# PC", an exception frame adds "[exception RIP: FUNC+OFF]" (the
	# function that was interrupted) and a register dump ("RIP: PC ...").
	# Some exception frames are followed by a frame of that same pc
	# (WARN's), others not (BUG's): the interrupted function is listed
	# once.
	printf 'mod -s vmcore_oops %s\nbt\nquit\n' "$ko" |
		timeout 300 "$trixie/crash" -s "$vmlinux" "$dir/vmcore" \
		>"$ref/crash.out" 2>&1 || true
	awk '$1 ~ /^#[0-9]+$/ && $2 ~ /^\[[0-9a-f]+\]$/ && $4 == "at" {
		if (exc != "" && $5 != exc_pc) print exc
		exc = ""
		print $3
		next
	}
	$1 == "[exception" && $2 == "RIP:" {
		exc = $3; sub(/\]$/, "", exc); sub(/\+[0-9]+$/, "", exc); exc_pc = ""
		next
	}
	exc != "" && exc_pc == "" && $1 == "RIP:" { exc_pc = $2 }
	END { if (exc != "") print exc }' "$ref/crash.out" >"$ref/crash-8.0.6"
	[ -s "$ref/crash-8.0.6" ] ||
		{ echo "FAIL crash 8.0.6 bt ($case):"; head -20 "$ref/crash.out"; fail=$((fail + 1)); }
	# The kernel's own report (its ORC unwinder at crash time): the
	# reliable entries, "FUNC+0xOFF/0xLEN [module]".
	sed -n 's/^\([A-Za-z_][A-Za-z0-9_.]*\)+0x[0-9a-f]*\/0x[0-9a-f]*\( \[[A-Za-z0-9_]*\]\)\{0,1\}$/\1/p' \
		"$(meta_get "$dir" PANIC_TRACE)" >"$ref/kernel"
	for r in drgn-0.0.31 crash-8.0.6 kernel; do
		echo "$r: $(tr '\n' ' ' <"$ref/$r")"
	done
	refs="drgn-0.0.31:same:$ref/drgn-0.0.31;crash-8.0.6:calls:$ref/crash-8.0.6"
	refs="$refs;kernel:calls:$ref/kernel"

	# session NAME GDB LOADER: real-oops.py through the server.
	session() {
		gdb_session "$1" env VMC_META="$dir/meta.txt" VMC_REFS="$refs" \
			timeout 600 "$2" -nx -batch -q -iex "source $3" \
			"$vmlinux" \
			-ex "target remote | $server -q --search-dir $kodir $dir/vmcore" \
			-x "$here/real-oops.py"
	}
	session "$case-gdb13" gdb "$unwinder"
	session "$case-gdb16" "$trixie/gdb" "$inst/gdbinit.d/gdbserver-vmcore.py"
	# An IDE's view of the same: a gdb/MI session, frame 0 in the module
	# (the NULL write in process context).
	if [ "$case" = null ]; then
		for g in gdb "$trixie/gdb"; do
			echo "== $case-mi ($g)"
			"$here/oops-mi.sh" "$g" "$server -q --search-dir $kodir $dir/vmcore" \
				"$vmlinux" oops_null_write vmcore_oops ||
				fail=$((fail + 1))
		done
	fi
done

runner_end "oops backtrace tests"
