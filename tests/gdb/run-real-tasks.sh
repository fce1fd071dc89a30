#!/bin/sh
# Task threads (--vmlinux) on the real kdumps (x86_64 4- and 5-level,
# aarch64, i386): the task view (tests/gdb/real-tasks.py) checked against
# readers we did not write, run on the same dump first: drgn
# (tests/gdb/tasks_ref.py) and, on x86_64, crash's ps, both Debian 13's
# (tests/real/trixie-root.sh).
# Usage: tests/gdb/run-real-tasks.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"
trixie=$("$top/tests/real/trixie-root.sh") ||
	{ echo "tests/real/trixie-root.sh failed" >&2; exit 1; }

# refs NAME DIR [crash]: the reference task lists of the dump in DIR,
# $tmp/NAME.drgn and, with "crash", $tmp/NAME.crash.  crash is asked only
# about x86_64 dumps: Debian builds it for the host's architecture alone,
# so it cannot read the aarch64 and i386 dumps.
refs() {
	vml=$(meta_get "$2" VMLINUX)
	if ! "$trixie/python3" "$here/tasks_ref.py" "$2/vmcore" "$vml" \
		>"$tmp/$1.drgn" 2>"$tmp/$1.drgn.err"; then
		echo "FAIL $1: drgn's task list (tests/gdb/tasks_ref.py):"
		cat "$tmp/$1.drgn.err"
		fail=$((fail + 1))
	fi
	[ "${3:-}" = crash ] || return 0
	if ! printf 'ps\nquit\n' | timeout 600 "$trixie/crash" -s "$vml" \
		"$2/vmcore" >"$tmp/$1.crash" 2>&1; then
		echo "FAIL $1: crash's ps:"
		tail -n 20 "$tmp/$1.crash"
		fail=$((fail + 1))
	fi
}

# session NAME REFS GDB DIR SERVER-OPTIONS...: real-tasks.py against the
# references $tmp/REFS.*.
session() {
	name=$1 refs=$2 gdb=$3 dir=$4
	shift 4
	crash_ps=""
	[ ! -e "$tmp/$refs.crash" ] || crash_ps=$tmp/$refs.crash
	vmlinux=$(meta_get "$dir" VMLINUX)
	gdb_session "$name" env VMC_META="$dir/meta.txt" \
		VMC_DRGN_TASKS="$tmp/$refs.drgn" VMC_CRASH_PS="$crash_ps" \
		timeout 600 "$gdb" -nx -batch -q -iex "source $unwinder" \
		"${GDB_FILE:-$vmlinux}" -ex "target remote | $server $* $dir/vmcore" \
		-x "$here/real-tasks.py"
}

# dump NAME GDB DIR [crash]: the references, then the task session.
dump() {
	refs "$1" "$3" "${4:-}"
	session "$1-tasks" "$1" "$2" "$3" -q --vmlinux "$(meta_get "$3" VMLINUX)"
}

# usage NAME WANT-IN-STDERR ARGS...: exit status 2 and a message.
usage() {
	name=$1 want=$2
	shift 2
	if "$server" "$@" </dev/null >/dev/null 2>"$tmp/usage.err"; then
		status=0
	else
		status=$?
	fi
	if [ "$status" -eq 2 ] && grep -q -- "$want" "$tmp/usage.err"; then
		echo "PASS $name"
	else
		echo "FAIL $name: status $status, stderr:"; cat "$tmp/usage.err"
		fail=$((fail + 1))
	fi
}

dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
vmlinux=$(sed -n 's/^VMLINUX=//p' "$dir/meta.txt")
echo "== options"
usage "--threads tasks needs a vmlinux" "needs a vmlinux" \
	--threads tasks --no-vmlinux "$dir/vmcore"
usage "--vmlinux and --no-vmlinux" "not both" \
	--vmlinux "$vmlinux" --no-vmlinux "$dir/vmcore"

# found WANT-IN-STDERR ARGS...: the server's startup report.
found() {
	want=$1
	shift
	env -u GDBSERVER_VMCORE_SEARCH_PATH "$server" "$@" </dev/null \
		>/dev/null 2>"$tmp/found.err" || true
	if grep -q -- "$want" "$tmp/found.err"; then
		echo "PASS vmlinux search: $want"
	else
		echo "FAIL vmlinux search: want \"$want\" in:"; cat "$tmp/found.err"
		fail=$((fail + 1))
	fi
}
echo "== vmlinux search"
found "warning: threads are CPUs, not tasks: no vmlinux found with the dump's build-id $(sed -n 's/^BUILD-ID=//p' "$dir/vmcoreinfo.txt")" \
	--threads tasks "$dir/vmcore"
found "using vmlinux $vmlinux: in a search directory, its build-id is the dump's" \
	--search-dir "$(dirname "$vmlinux")" "$dir/vmcore"
refs x86_64-4level "$dir" crash
found ", $(grep -c . "$tmp/x86_64-4level.drgn") tasks$" \
	--search-dir "$(dirname "$vmlinux")" "$dir/vmcore"
mkdir -p "$tmp/sp"
ln -s "$vmlinux" "$tmp/sp/vmlinux-$(sed -n 's/^UNAME_R=//p' "$dir/meta.txt")"
GDBSERVER_VMCORE_SEARCH_PATH=/nonexistent:$tmp/sp "$server" "$dir/vmcore" \
	</dev/null >/dev/null 2>"$tmp/found.err" || true
if grep -q "using vmlinux $tmp/sp/vmlinux-" "$tmp/found.err"; then
	echo "PASS vmlinux search: \$GDBSERVER_VMCORE_SEARCH_PATH"
else
	echo "FAIL vmlinux search: \$GDBSERVER_VMCORE_SEARCH_PATH:"; cat "$tmp/found.err"
	fail=$((fail + 1))
fi
found "^gdbserver-vmcore: .*$(meta_get "$dir" NR_CPUS_ONLINE) CPUs, panic on CPU $(meta_get "$dir" CRASHER_CPU), KASLR offset $(meta_get "$dir" KERNELOFFSET)$" --no-vmlinux \
	--search-dir "$(dirname "$vmlinux")" "$dir/vmcore"
usage "--threads takes cpus or tasks" "give cpus or tasks" \
	--threads all --vmlinux "$vmlinux" "$dir/vmcore"

session x86_64-4level-tasks x86_64-4level gdb "$dir" -q --vmlinux "$vmlinux"
# gdb 16 on the same references (its 'x' reads; the vmlinux found through
# the loader gdb 16 runs under, and its exec file).
need_gdb16
session x86_64-4level-gdb16-tasks x86_64-4level "$gdb16" "$dir" -q --vmlinux "$vmlinux"
# No --vmlinux: the server finds gdb's exec file (relative to gdb's cwd,
# through /bin/sh -c), checks its build-id and serves every task.
cd "$(dirname "$vmlinux")"
GDB_FILE=$(basename "$vmlinux")
session x86_64-4level-gdb-exec-file x86_64-4level gdb "$dir" --threads tasks
session x86_64-4level-gdb16-exec-file x86_64-4level "$gdb16" "$dir" --threads tasks
unset GDB_FILE
cd "$top"
for s in gdb gdb16; do
	if grep -q "^gdbserver-vmcore: using vmlinux $vmlinux: a file on gdb's command line (pid [0-9][0-9]*), its build-id is the dump's" \
		"$tmp/x86_64-4level-$s-exec-file.log"; then
		echo "PASS gdb's exec file found and reported ($s)"
	else
		echo "FAIL gdb's exec file not reported ($s):"
		head -5 "$tmp/x86_64-4level-$s-exec-file.log"
		fail=$((fail + 1))
	fi
done
# Modules with no command (tests/gdb/real-modules.py): virtio_blk's
# debug .ko from the cached -dbg package (tests/real/module-debug.sh) is
# found by the server in each place it looks, and gdb loads it as a
# shared library as it connects.
# mod_session NAME GDB DIR GDB-FILE FILE ORIGIN [ENV...] -- SERVER-OPTIONS...
# (uses $ko, set by modules)
mod_session() {
	name=$1 gdb=$2 mdir=$3 gdb_file=$4 file=$5 origin=$6
	shift 6
	envs=""
	while [ "$1" != -- ]; do envs="$envs $1"; shift; done
	shift
	objtool_dump=""
	if [ "$(meta_get "$mdir" ARCH)" = x86_64 ]; then
		objtool_dump=$tmp/$name.objtool
		/usr/lib/linux-kbuild-6.1/tools/objtool/objtool --dump=orc \
			"$ko" >"$objtool_dump" ||
			{ echo "FAIL $name: objtool --dump=orc $ko"; fail=$((fail + 1)); }
	fi
	# shellcheck disable=SC2086
	gdb_session "$name" env VMC_META="$mdir/meta.txt" VMC_MOD_FILE="$file" \
		VMC_MOD_ORIGIN="$origin" VMC_OBJTOOL_DUMP="$objtool_dump" \
		GDBSERVER_VMCORE_ROOT="$tmp/$name.root" $envs \
		timeout 600 "$gdb" -nx -batch -q -iex "source $unwinder" \
		"$gdb_file" \
		-ex "target remote | $server -q $* $mdir/vmcore" \
		-x "$here/real-modules.py"
	if grep -q 'symtab\|strtab' "$tmp/$name.log"; then
		echo "FAIL $name: gdb warned about .symtab/.strtab:"
		grep 'symtab\|strtab' "$tmp/$name.log" | head -3
		fail=$((fail + 1))
	fi
}

# modules NAME GDB DIR: in the debug tree of gdb's exec file.
modules() {
	tree_vmlinux=$("$top/tests/real/module-debug.sh" "$3")
	kver=$(meta_get "$3" KVER)
	ko=${tree_vmlinux%/boot/*}/lib/modules/$kver/kernel/drivers/block/virtio_blk.ko
	mkdir -p "$tmp/$1.root"
	mod_session "$1-modules" "$2" "$3" "$tree_vmlinux" "$ko" \
		"in the vmlinux's debug tree" --
}

# more_modules NAME GDB DIR (after modules, for $ko and $kver): the
# other places, with gdb's exec file
# outside any tree and an empty system root ($GDBSERVER_VMCORE_ROOT):
# a copy in a --search-dir; after a copy with another build-id in a
# --search-dir (refused), a .ko.xz in the root's /lib/modules/KVER; a
# .ko.zst in a $GDBSERVER_VMCORE_SEARCH_PATH directory.
more_modules() {
	n=$1
	m=$tmp/$n-mods
	mkdir -p "$m/copy/sub" "$m/bad" "$m/zst/extra" "$m/empty" \
		"$tmp/$n-search.root" "$tmp/$n-env-zst.root" \
		"$tmp/$n-xz.root/lib/modules/$kver/kernel/drivers/block"
	cp "$ko" "$m/copy/sub/"
	python3 "$here/rebuild-id.py" "$ko" "$m/bad/virtio_blk.ko"
	xz -c "$ko" >"$tmp/$n-xz.root/lib/modules/$kver/kernel/drivers/block/virtio_blk.ko.xz"
	zstd -q -c "$ko" >"$m/zst/extra/virtio_blk.ko.zst"
	v=$(meta_get "$3" VMLINUX)
	mod_session "$n-search" "$2" "$3" "$v" "$m/copy/sub/virtio_blk.ko" \
		"in a search directory" -- --search-dir "$m/copy"
	mod_session "$n-xz" "$2" "$3" "$v" \
		"$tmp/$n-xz.root/lib/modules/$kver/kernel/drivers/block/virtio_blk.ko.xz" \
		"in the installed modules" VMC_MOD_REFUSED="$m/bad/virtio_blk.ko" \
		-- --search-dir "$m/bad"
	mod_session "$n-env-zst" "$2" "$3" "$v" "$m/zst/extra/virtio_blk.ko.zst" \
		"in a search directory" \
		GDBSERVER_VMCORE_SEARCH_PATH="$m/empty:$m/zst" --
}
modules x86_64-4level gdb "$dir"
modules x86_64-4level-gdb16 "$gdb16" "$dir"
more_modules x86_64-4level-gdb16 "$gdb16" "$dir"
dump x86_64-5level gdb "$("$top/tests/real/make-dump-x86_64.sh" --levels 5)" crash
command -v gdb-multiarch >/dev/null ||
	{ echo "gdb-multiarch not found; run mk/install-deps.sh test" >&2; exit 1; }
adir=$("$top/tests/real/make-dump-aarch64.sh")
dump aarch64 gdb-multiarch "$adir"
modules aarch64 gdb-multiarch "$adir"
idir=$("$top/tests/real/make-dump-i386.sh" --flavour 686-pae --core-headers elf32)
dump i386-pae gdb "$idir"
modules i386-pae gdb "$idir"

runner_end "task-thread tests"
