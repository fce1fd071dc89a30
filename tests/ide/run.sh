#!/bin/sh
# IDE front ends and lldb against the server on the real x86_64 kdump:
# a gdb/MI session as VS Code's cpptools drives it (mi.py, with gdb 13
# and with gdb 16), a Debug
# Adapter Protocol session through Eclipse CDT's cdt-gdb-adapter (dap.js,
# packages installed by npm-deps.sh outside the tree), and lldb's
# gdb-remote (lldb.py).  Each runs against its own server over TCP.
# Usage: tests/ide/run.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server=$build/gdbserver-vmcore
tmp=$(mktemp -d)
spid=""
trap '[ -z "$spid" ] || kill "$spid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
fail=0
cache=${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore
# mi.py and lldb.py import results.py: no __pycache__ in the source tree.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
meta=$dir/meta.txt

# start_server NAME: a server on a free TCP port; sets $spid and $port.
start_server() {
	# shellcheck disable=SC2086
	"$server" --listen 127.0.0.1:0 ${server_opts:-} "$dir/vmcore" \
		2>"$tmp/$1.server" &
	spid=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/^gdbserver-vmcore: listening on 127\.0\.0\.1://p' \
			"$tmp/$1.server")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$tmp/$1.server" >&2; exit 1; }
}

# run_client NAME CMD...: CMD against a fresh server; the server must
# then exit 0 (the client detached or disconnected cleanly).
run_client() {
	name=$1
	shift
	echo "== $name"
	start_server "$name"
	if "$@" "$port" >"$tmp/$name.log" 2>&1; then
		grep -E '^(FAIL|[0-9]+ passed)' "$tmp/$name.log" || true
		# A driver that stops early may exit 0: want its summary too.
		if ! grep -qE '^[0-9]+ passed, 0 failed$' "$tmp/$name.log"; then
			echo "FAIL $name: no clean summary line; last lines:"
			tail -n 15 "$tmp/$name.log"
			fail=$((fail + 1))
		fi
	else
		grep -E '^(FAIL|[0-9]+ passed)' "$tmp/$name.log" ||
			tail -n 40 "$tmp/$name.log"
		fail=$((fail + 1))
	fi
	rc=0
	timeout 30 sh -c "while kill -0 $spid 2>/dev/null; do sleep 0.2; done" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "FAIL $name: the server is still running after the session"
		kill "$spid"
		fail=$((fail + 1))
	elif ! wait "$spid"; then
		echo "FAIL $name: the server exited with an error:"
		cat "$tmp/$name.server"
		fail=$((fail + 1))
	fi
	spid=""
}

mi() { timeout 900 python3 "$here/mi.py" "$meta" "127.0.0.1:$1"; }
dap() { NODE_PATH=$modules timeout 900 node "$here/dap.js" "$meta" 127.0.0.1 "$1"; }
lldb_session() {
	mkdir -p "$cache/lldb-index"
	timeout 1800 python3 "$here/lldb.py" "$meta" "127.0.0.1:$1" "$cache/lldb-index"
}

run_client gdb-mi mi
# The same MI session with gdb 16 (Debian 13's, tests/real/trixie-root.sh).
gdb16=$("$top/tests/real/trixie-root.sh")/gdb
mi16() { GDB=$gdb16 mi "$1"; }
run_client gdb-mi-gdb16 mi16
# Module symbols with no command over MI: the server has the vmlinux
# (CPU threads kept, as the checks above expect) and a --search-dir with
# virtio_blk's debug file (tests/real/module-debug.sh).
tree=$("$top/tests/real/module-debug.sh" "$dir")
kofile=${tree%/boot/*}/lib/modules/$(sed -n 's/^KVER=//p' "$meta")/kernel/drivers/block/virtio_blk.ko
mkdir -p "$tmp/kos"
cp "$kofile" "$tmp/kos/"
mi_mod() { MI_MODULE_FILE=$tmp/kos/virtio_blk.ko mi "$1"; }
mi16_mod() { MI_MODULE_FILE=$tmp/kos/virtio_blk.ko GDB=$gdb16 mi "$1"; }
server_opts="--vmlinux $(sed -n 's/^VMLINUX=//p' "$meta") --threads cpus --search-dir $tmp/kos"
run_client gdb-mi-modules mi_mod
run_client gdb-mi-gdb16-modules mi16_mod
modules=$("$here/npm-deps.sh")
dap_mod() { DAP_MODULES=1 dap "$1"; }
run_client dap-cdt-gdb-adapter-modules dap_mod
server_opts=""
run_client dap-cdt-gdb-adapter dap
run_client lldb lldb_session

if [ "$fail" -ne 0 ]; then
	echo "IDE tests: $fail session(s) failed"
	exit 1
fi
echo "IDE tests: all sessions passed"
