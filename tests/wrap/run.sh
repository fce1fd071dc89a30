#!/bin/sh
# gdbserver-vmcore --wrap through a real ssh: an sshd of Debian's
# openssh-server started here on a loopback port, with its own config,
# host key and authorized key in a temporary directory (lib-sshd.sh:
# login as the current user with a key made here; nothing beyond
# 127.0.0.1).
#
# Usage: tests/wrap/run.sh BUILD_DIR   (make check-wrap)
#
# With gdb 13 (the host's) and gdb 16 (tests/real/trixie-root.sh), each
# as `target remote | gdbserver-vmcore --wrap ssh ... gdbserver-vmcore
# DUMP` on a synthetic dump (tests/gen/mkvmcore):
#   - the server's startup summary arrives in gdb;
#   - 4 MiB read with `dump binary memory` are the bytes the server gives
#     over a direct pipe;
#   - gdb stopped polling the wrapper's stderr: after every character it
#     reads, gdb's ser-base.c tries to read that socket (gdb 13: a read
#     that fails with EAGAIN; later ones ask for its unread bytes with
#     FIONREAD first) until the socket ends.  Those calls, counted with
#     strace, are a handful, not one per character.  The same read through ssh
#     without --wrap is the control: there the count is in the
#     thousands, so the check can tell;
#   - the same with gdb's $SHELL set to dash and to bash, also over the
#     direct pipe: gdb runs the command with $SHELL -c, and Debian's dash
#     does not exec its last command, so the shell keeps a copy of gdb's
#     stderr for the whole session (the server must end the socket, not
#     only its own descriptor);
#   - errors arrive in gdb: a dump that does not exist (the remote
#     server's message), an sshd that does not answer (ssh's message and
#     its exit status).
# Counts, not times: nothing here depends on the machine's speed.
set -eu

build=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
server=$build/gdbserver-vmcore
for f in "$server" "$build/tests/mkvmcore"; do
	[ -x "$f" ] || { echo "wrap: $f missing (make all; mk/install-deps.sh test)" >&2; exit 2; }
done
for c in strace python3; do
	command -v "$c" >/dev/null || { echo "wrap: $c missing (mk/install-deps.sh test)" >&2; exit 2; }
done
trixie=$("$top/tests/real/trixie-root.sh") ||
	{ echo "wrap: no Debian 13 root for gdb 16" >&2; exit 2; }

. "$top/tests/wrap/lib-sshd.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmc-wrap.XXXXXX")
cleanup() {
	sshd_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

sshd_start "$tmp"
ssh_opts=$sshd_opts

# ---- the dump ---------------------------------------------------------
dump=$tmp/vmcore
"$build/tests/mkvmcore" --mem 48 --kaslr 0x1c000000 "$dump" >/dev/null
start=0xffffffff9d000000	# _stext: the 8 MiB kernel image mkvmcore writes
end=0xffffffff9d400000
bigend=0xffffffff9d004000	# 16 KiB for the slow control
ssh_cmd=$sshd_ssh

# session GDB NAME TARGET END: gdb reads [start, END) through TARGET into
# $tmp/NAME.bin; its output in $tmp/NAME.log, its ioctls in $tmp/NAME.st.
# gdb runs TARGET with $gdb_shell -c.
gdb_shell=/bin/sh
session() {
	SHELL=$gdb_shell timeout 600 strace -o "$tmp/$2.st" -e trace=ioctl,read,write \
		"$1" -nx -batch -ex "target remote | $3" \
		-ex "dump binary memory $tmp/$2.bin $start $4" \
		>"$tmp/$2.log" 2>&1 || :
}
# Polls of an empty stderr socket (reads that would block, FIONREADs)
# from gdb's first request for the dumped range on.
polls() {
	awk '/^write\(.*"\$[mx]ffffffff9d00/ { on = 1 }
	     on && (/FIONREAD/ || /^read\(.*= -1 EAGAIN/) { n++ }
	     END { print n + 0 }' "$tmp/$1.st"
}
has() {	# has NAME TEXT: the gdb session's output says TEXT
	if grep -qF -- "$2" "$tmp/$1.log"; then
		pass "$1: gdb shows \"$2\""
	else
		fail "$1: gdb does not show \"$2\"; its output:"
		sed 's/^/    /' "$tmp/$1.log"
	fi
}

for g in host trixie; do
	case $g in
	host) gdb=gdb ;;
	trixie) gdb=$trixie/gdb ;;
	esac
	ver=$("$gdb" --version | sed -n '1s/.* \([0-9][0-9.]*\)$/\1/p')
	echo "== gdb $ver ($g)"
	session "$gdb" $g-direct "$server -q $dump" $end
	session "$gdb" $g-wrap "$server --wrap $ssh_cmd $server $dump" $end
	has $g-wrap "gdbserver-vmcore: $dump: ELF64; x86_64"
	if [ -s "$tmp/$g-direct.bin" ] &&
	   [ "$(stat -c %s "$tmp/$g-direct.bin")" = 4194304 ] &&
	   cmp -s "$tmp/$g-direct.bin" "$tmp/$g-wrap.bin"; then
		pass "$g-wrap: 4 MiB read through ssh are the direct pipe's bytes"
	else
		fail "$g-wrap: the 4 MiB read through ssh differ from the direct pipe's"
		sed 's/^/    /' "$tmp/$g-wrap.log"
	fi
	for gdb_shell in /bin/sh /bin/bash; do
		sh=$(basename $gdb_shell)
		[ $sh = sh ] || session "$gdb" $g-wrap "$server --wrap $ssh_cmd $server $dump" $end
		session "$gdb" $g-direct-$sh "$server -q $dump" $end
		for s in wrap direct-$sh; do
			n=$(polls $g-$s)
			if [ "$n" -lt 100 ]; then
				pass "$g-$s: gdb (SHELL=$gdb_shell) polled the stderr socket $n times for 4 MiB"
			else
				fail "$g-$s: gdb (SHELL=$gdb_shell) polled the stderr socket $n times for 4 MiB (kept open?)"
			fi
		done
	done
	gdb_shell=/bin/sh
	# The control: ssh alone keeps gdb's stderr open (16 KiB only: each
	# poll is a traced system call).
	session "$gdb" $g-plain "$ssh_cmd $server -q $dump" $bigend
	n=$(polls $g-plain)
	if [ "$n" -ge 8192 ]; then
		pass "$g-plain: without --wrap, ssh makes gdb poll $n times for 16 KiB (the control)"
	else
		fail "$g-plain: without --wrap gdb polled only $n times: the check above cannot tell"
	fi
	# Errors.
	session "$gdb" $g-nodump "$server --wrap $ssh_cmd $server $tmp/no-such-vmcore" $end
	has $g-nodump "gdbserver-vmcore: $tmp/no-such-vmcore: No such file or directory"
	deadport=$(sshd_free_port)
	session "$gdb" $g-nossh "$server --wrap ssh $ssh_opts -p $deadport 127.0.0.1 $server $dump" $end
	has $g-nossh "port $deadport: Connection refused"
	has $g-nossh "gdbserver-vmcore: --wrap: ssh exited with status 255"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
