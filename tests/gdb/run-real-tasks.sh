#!/bin/sh
# Task threads (--vmlinux) on the real kdumps (x86_64 4- and 5-level,
# aarch64, i386): a reference walk of the task list through the CPU view,
# then the task view checked against it (tests/gdb/real-tasks.py).
# Usage: tests/gdb/run-real-tasks.sh BUILD_DIR
set -eu
. "$(dirname "$0")/lib-runner.sh"

# session NAME GDB DIR MODE SERVER-OPTIONS...
session() {
	name=$1 gdb=$2 dir=$3 mode=$4
	shift 4
	vmlinux=$(meta_get "$dir" VMLINUX)
	gdb_session "$name" env VMC_META="$dir/meta.txt" VMC_TASKS="$mode" \
		VMC_REF="$tmp/ref" timeout 600 "$gdb" -nx -batch -q \
		"${GDB_FILE:-$vmlinux}" -ex "target remote | $server $* $dir/vmcore" \
		-x "$here/real-tasks.py"
}

# dump NAME GDB DIR: the reference session, then the task session.
dump() {
	vml=$(sed -n 's/^VMLINUX=//p' "$3/meta.txt")
	session "$1-reference" "$2" "$3" ref -q --threads cpus --vmlinux "$vml"
	session "$1-tasks" "$2" "$3" check -q --vmlinux "$vml"
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
found ", [0-9]* tasks$" --search-dir "$(dirname "$vmlinux")" "$dir/vmcore"
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
found "^gdbserver-vmcore: .*2 CPUs, panic on CPU [0-9]*, KASLR offset 0x[0-9a-f]*$" --no-vmlinux \
	--search-dir "$(dirname "$vmlinux")" "$dir/vmcore"
usage "--threads takes cpus or tasks" "give cpus or tasks" \
	--threads all --vmlinux "$vmlinux" "$dir/vmcore"

dump x86_64-4level gdb "$dir"
# No --vmlinux: the server finds gdb's exec file (relative to gdb's cwd,
# through /bin/sh -c), checks its build-id and serves every task.
cd "$(dirname "$vmlinux")"
GDB_FILE=$(basename "$vmlinux")
session x86_64-4level-gdb-exec-file gdb "$dir" check --threads tasks
unset GDB_FILE
cd "$top"
if grep -q "^gdbserver-vmcore: using vmlinux $vmlinux: a file on gdb's command line (pid [0-9]*), its build-id is the dump's" \
	"$tmp/x86_64-4level-gdb-exec-file.log"; then
	echo "PASS gdb's exec file found and reported"
else
	echo "FAIL gdb's exec file not reported:"
	head -5 "$tmp/x86_64-4level-gdb-exec-file.log"
	fail=$((fail + 1))
fi
# monitor modules: gdb's exec file in a Debian-like debug tree that has
# virtio_blk's debug module; the server finds both.
modules() {
	tree_vmlinux=$("$top/tests/real/module-debug.sh" "$3")
	gdb_session "$1-modules" env VMC_META="$3/meta.txt" timeout 600 "$2" \
		-nx -batch -q "$tree_vmlinux" \
		-ex "target remote | $server -q $3/vmcore" \
		-x "$here/real-modules.py"
}
modules x86_64-4level gdb "$dir"
dump x86_64-5level gdb "$("$top/tests/real/make-dump-x86_64.sh" --levels 5)"
command -v gdb-multiarch >/dev/null ||
	{ echo "gdb-multiarch not found; run mk/install-deps.sh test" >&2; exit 1; }
adir=$("$top/tests/real/make-dump-aarch64.sh")
dump aarch64 gdb-multiarch "$adir"
modules aarch64 gdb-multiarch "$adir"
dump i386-pae gdb "$("$top/tests/real/make-dump-i386.sh" --flavour 686-pae \
	--core-headers elf32)"

runner_end "task-thread tests"
