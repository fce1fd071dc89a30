#!/bin/sh
# vmcore-loader save --ssh against an sshd of Debian's openssh-server
# started here on a loopback port (tests/wrap/lib-sshd.sh: its own config,
# host key and authorized keys; login as the current user), on a
# synthetic dump (tests/gen/mkvmcore):
#   - kdump (flattened stream) and ELF through OpenSSH's ssh, kdump
#     through dropbear's dbclient: the remote vmcore's pages are the
#     source's (cmppages), ELF byte for byte; no vmcore-incomplete left;
#     files 0600, directory 0700;
#   - refusals with clear messages: a key the server does not know (ssh
#     and dbclient), a host key that is not the known one, a directory the
#     remote side cannot make, bad options;
#   - remote disk full (an authorized key whose forced command runs the
#     step under `ulimit -f`: deterministic and unprivileged): exit status
#     1, vmcore-incomplete left, no vmcore;
#   - the connection lost in the middle (a forced command kills its sshd
#     session after 1 MiB): exit status 1, vmcore-incomplete left;
#   - bytes lost on the way with every status 0 (a forced command drops
#     all but the first MiB): the commit step's byte count refuses;
#   - a stream cut short (VMCORE_LOADER_STOP_AFTER): the remote cat sees
#     an ordinary end of input, yet no vmcore: only the byte count sent at
#     commit renames it;
#   - never overwriting: directory names in use get .1; a vmcore that
#     appears before the commit (a forced command makes one) is kept and
#     the save fails;
#   - the capture image built with --ssh holds the client, every library
#     it needs and its dynamic linker, the key (0600, dropbear's format),
#     known_hosts and the settings; a save through the image's own dbclient
#     and key (run with the image's dynamic linker) works.
# Usage: tests/loader/ssh-save.sh BUILD_DIR   (make check-ssh-save)
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
L=$build/vmcore-loader
cmppages=$build/tests/cmppages
static=$build/static/vmcore-loader
for f in "$L" "$cmppages" "$build/tests/mkvmcore" "$static"; do
	[ -x "$f" ] || { echo "ssh-save: $f missing (make all static $build/tests/cmppages)" >&2; exit 2; }
done
for c in dbclient dropbearconvert ssh-keygen cpio; do
	command -v "$c" >/dev/null || { echo "ssh-save: $c missing (mk/install-deps.sh test)" >&2; exit 2; }
done
EXPECT_OUTPUT=all
. "$here/../lib-check.sh"
. "$top/tests/wrap/lib-sshd.sh"
trap 'sshd_stop; cleanup' EXIT
trap 'exit 1' INT TERM

mkdir "$tmp/sshd"
sshd_start "$tmp/sshd"
k=$tmp/sshd/user_key
user=$(id -un)
dest=$user@127.0.0.1:$sshd_port
# OpenSSH's known_hosts names a host on another port [HOST]:PORT;
# dbclient's (in $HOME/.ssh/known_hosts) by the name alone, and it misreads
# a line with a comment after the key (as ssh-keyscan writes them: none).
hostkey=$(cut -d' ' -f1,2 "$tmp/sshd/host_key.pub")
kh=$tmp/known_hosts
echo "[127.0.0.1]:$sshd_port $hostkey" >"$kh"
mkdir -p "$tmp/dbhome/.ssh"
echo "127.0.0.1 $hostkey" >"$tmp/dbhome/.ssh/known_hosts"
dbkh=$tmp/dbhome/.ssh/known_hosts
dropbearconvert openssh dropbear "$k" "$tmp/user_key.db" >/dev/null 2>&1
remote=$tmp/remote

vmcore=$tmp/vmcore
"$build/tests/mkvmcore" --mem 48 "$vmcore" >/dev/null
S() { "$L" save --vmcore "$vmcore" --ssh "$dest" --dir "$remote" "$@"; }
# cmp_ok NAME SAVED: cmppages finds every page of the source in SAVED.
cmp_ok() {
	if "$cmppages" "$vmcore" "$2" >"$tmp/cmp" 2>&1; then
		ok "$1: $(grep 'pages compared' "$tmp/cmp" | sed 's/^ *//')"
	else
		bad "$1" "$(cat "$tmp/cmp")"
	fi
}
# clean NAME DIR: vmcore there, no *incomplete, 0600 files, 0700 directory.
clean() {
	if [ -f "$2/vmcore" ] && [ -z "$(ls "$2" | grep incomplete)" ] &&
		[ "$(stat -c %a "$2")" = 700 ] && [ "$(stat -c %a "$2/vmcore")" = 600 ]; then
		ok "$1: vmcore (0600) in a 0700 directory, nothing incomplete"
	else
		bad "$1: $(ls -la "$2" 2>&1)"
	fi
}

echo "== key login, OpenSSH's ssh"
expect "kdump over ssh: saved, says where" 0 \
	"dump saved in $user@127.0.0.1:$remote/k1-[0-9-]+:[0-9:]+ \(port $sshd_port\)\$" \
	S --ssh-key "$k" --ssh-known-hosts "$kh" --host k1 --format kdump
grep -qE "saving $vmcore \([0-9]+ MiB\) to $user@127.0.0.1:$remote/k1-[0-9-]+:[0-9:]+/vmcore through [^ ]*/ssh \(kdump-compressed, flattened\)\$" "$tmp/err" &&
	ok "kdump over ssh: says what goes where, how" || bad "kdump over ssh: no saving line" "$(cat "$tmp/err")"
d=$(ls -d "$remote"/k1-* | head -n 1)
[ "$(head -c 12 "$d/vmcore")" = makedumpfile ] && ok "kdump over ssh: the flattened format" ||
	bad "kdump over ssh: not flattened: $(head -c 16 "$d/vmcore" | od -c | head -n 1)"
cmp_ok "kdump over ssh: every page" "$d/vmcore"
clean "kdump over ssh" "$d"
[ ! -e "$d/dmesg.txt" ] && grep -q 'warning: no kernel log saved' "$tmp/err" &&
	ok "a dump without a log: no dmesg.txt, a warning" || bad "dmesg: $(ls "$d")"
expect "ELF over ssh" 0 "saving .* through [^ ]*/ssh\$" \
	S --ssh-key "$k" --ssh-known-hosts "$kh" --host e1
d=$(ls -d "$remote"/e1-* | head -n 1)
cmp -s "$vmcore" "$d/vmcore" && ok "ELF over ssh: the same bytes" || bad "ELF over ssh: differs"
clean "ELF over ssh" "$d"

echo "== dropbear's dbclient"
expect "kdump over dbclient" 0 "through [^ ]*dbclient \(kdump-compressed, flattened\)\$" \
	S --ssh-key "$tmp/user_key.db" --ssh-known-hosts "$dbkh" --ssh-client dbclient \
	--host db1 --format kdump --compress lzo
d=$(ls -d "$remote"/db1-* | head -n 1)
cmp_ok "kdump over dbclient: every page" "$d/vmcore"
clean "kdump over dbclient" "$d"
expect "an OpenSSH-format key for dbclient: a hint" 1 "OpenSSH-format key, which dbclient may not read.*dropbearconvert" \
	S --ssh-key "$k" --ssh-known-hosts "$dbkh" --ssh-client dbclient --host db2
expect "dbclient and a known_hosts not under .ssh: refused, says why" 1 \
	"dbclient reads known hosts only from .HOME/.ssh/known_hosts" \
	S --ssh-key "$tmp/user_key.db" --ssh-known-hosts "$kh" --ssh-client dbclient --host db3

echo "== refusals"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/stranger"
n0=$(ls "$remote" | wc -l)
expect "a key the server does not know (ssh): refused, clear message" 1 \
	"/ssh exited with status 255: no connection, login refused \(key $tmp/stranger\)" \
	S --ssh-key "$tmp/stranger" --ssh-known-hosts "$kh" --host bad1
grep -q "Permission denied (publickey)" "$tmp/err" && ok "ssh's own message is shown" || bad "no ssh message"
dropbearconvert openssh dropbear "$tmp/stranger" "$tmp/stranger.db" >/dev/null 2>&1
expect "a key the server does not know (dbclient): refused, clear message" 1 \
	"/dbclient exited with status 1: no connection, login refused \(key $tmp/stranger.db\)" \
	S --ssh-key "$tmp/stranger.db" --ssh-known-hosts "$dbkh" --ssh-client dbclient --host bad2
grep -q "No auth methods could be used" "$tmp/err" && ok "dbclient's own message is shown" || bad "no dbclient message" "$(cat "$tmp/err")"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/otherhost"
echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$tmp/otherhost.pub")" >"$tmp/wrong_kh"
expect "a host key that is not the known one (ssh): refused" 1 \
	"host key not accepted \(known hosts $tmp/wrong_kh\)" \
	S --ssh-key "$k" --ssh-known-hosts "$tmp/wrong_kh" --host bad3
grep -q "Host key verification failed" "$tmp/err" && ok "ssh says the host key failed" || bad "no host key message"
mkdir -p "$tmp/wronghome/.ssh"
echo "127.0.0.1 $(cut -d' ' -f1,2 "$tmp/otherhost.pub")" >"$tmp/wronghome/.ssh/known_hosts"
expect "a host key that is not the known one (dbclient): refused" 1 \
	"host key not accepted \(known hosts $tmp/wronghome/.ssh/known_hosts\)" \
	S --ssh-key "$tmp/user_key.db" --ssh-known-hosts "$tmp/wronghome/.ssh/known_hosts" \
	--ssh-client dbclient --host bad4
grep -q "host key mismatch for 127.0.0.1" "$tmp/err" && ok "dbclient says the host key differs" || bad "no mismatch message"
[ "$(ls "$remote" | wc -l)" = "$n0" ] && ok "refused logins made nothing remotely" || bad "remote: $(ls "$remote")"
expect "a remote directory that cannot be made: the remote side says" 1 \
	"vmcore-loader \(remote [^)]*\): cannot create /proc/no-such-dir\$" \
	"$L" save --vmcore "$vmcore" --ssh "$dest" --dir /proc/no-such-dir --ssh-key "$k" --ssh-known-hosts "$kh"
expect "a missing key file" 1 "--ssh-key $tmp/nokey: No such file" S --ssh-key "$tmp/nokey"
expect "no such client" 1 "no ssh client: /nonexistent/ssh not found" S --ssh-key "$k" --ssh-client /nonexistent/ssh
expect "--ssh-key without --ssh" 2 "go with --ssh" "$L" save --ssh-key "$k"
expect "--keep with --ssh" 2 "--keep is for local dumps" S --keep 2
expect "a bad port" 2 "the port is 1 to 65535" "$L" save --ssh "$user@127.0.0.1:99999"
expect "an IPv6 address without [ ]" 2 "an IPv6 address goes in \[ \]" "$L" save --ssh "$user@::1:22"
expect "a destination that is an option" 2 "not a destination" "$L" save --ssh "-oProxyCommand=x"

echo "== remote disk full, stream cut short"
# Second and third authorized keys, with forced commands: the first runs
# every step under a 2 MiB file size limit (dash counts 512-byte blocks),
# the second makes a vmcore beside each vmcore-incomplete before the
# commit step (another save that got there first).
ssh-keygen -q -t ed25519 -N '' -f "$tmp/small"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/race"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/drop"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/lossy"
cat >"$tmp/small.sh" <<'EOF'
ulimit -f 4096
exec sh -c "$SSH_ORIGINAL_COMMAND"
EOF
cat >"$tmp/race.sh" <<EOF
case \$SSH_ORIGINAL_COMMAND in
*"vmcore-loader commit "*)
	for f in "$remote"/race-*/vmcore-incomplete; do echo other >"\${f%-incomplete}"; done ;;
esac
exec sh -c "\$SSH_ORIGINAL_COMMAND"
EOF
# The fourth drops the connection in the middle of the dump: the put step
# gets the first MiB, then the sshd session serving it is killed.
cat >"$tmp/drop.sh" <<'EOF'
case $SSH_ORIGINAL_COMMAND in
*"vmcore-loader put "*)
	head -c 1048576 | sh -c "$SSH_ORIGINAL_COMMAND"
	kill -9 $PPID ;;
*) exec sh -c "$SSH_ORIGINAL_COMMAND" ;;
esac
EOF
# The fifth loses the dump's end and says nothing (the put step gets its
# first MiB, the rest is thrown away, status 0): the commit step's byte
# count must catch it.
cat >"$tmp/lossy.sh" <<'EOF'
case $SSH_ORIGINAL_COMMAND in
*"vmcore-loader put "*)
	head -c 1048576 | sh -c "$SSH_ORIGINAL_COMMAND"
	cat >/dev/null ;;
*) exec sh -c "$SSH_ORIGINAL_COMMAND" ;;
esac
EOF
{
	echo "command=\"dash $tmp/lossy.sh\" $(cat "$tmp/lossy.pub")"
	echo "command=\"dash $tmp/drop.sh\" $(cat "$tmp/drop.pub")"
	echo "command=\"dash $tmp/small.sh\" $(cat "$tmp/small.pub")"
	echo "command=\"dash $tmp/race.sh\" $(cat "$tmp/race.pub")"
} >>"$tmp/sshd/authorized_keys"
expect "remote disk full: exit 1, the remote failure said" 1 \
	"save failed: $user@127.0.0.1:$remote/full-[^ ]*/vmcore-incomplete left incomplete: writing the dump on $dest: the remote side failed" \
	S --ssh-key "$tmp/small" --ssh-known-hosts "$kh" --host full --format kdump --compress none
grep -qE "vmcore-loader \(remote [^)]*\): writing $remote/full-[^ ]*/vmcore-incomplete failed \(status [0-9]+\): left incomplete" "$tmp/err" &&
	ok "remote disk full: the remote side says what failed where" || bad "no remote message" "$(cat "$tmp/err")"
d=$(ls -d "$remote"/full-* | head -n 1)
sz=$(stat -c %s "$d/vmcore-incomplete" 2>/dev/null || echo 0)
[ -e "$d/vmcore-incomplete" ] && [ ! -e "$d/vmcore" ] && [ "$sz" -le 2097152 ] &&
	ok "remote disk full: vmcore-incomplete ($sz bytes) left, no vmcore" || bad "disk full left: $(ls -l "$d")"
expect "connection lost: exit 1, says where" 1 \
	"save failed: $user@127.0.0.1:$remote/drop-[^ ]*/vmcore-incomplete left incomplete: writing the dump on $dest: [^ ]*ssh exited with status 255" \
	S --ssh-key "$tmp/drop" --ssh-known-hosts "$kh" --host drop
d=$(ls -d "$remote"/drop-* | head -n 1)
[ "$(stat -c %s "$d/vmcore-incomplete" 2>/dev/null)" = 1048576 ] && [ ! -e "$d/vmcore" ] &&
	ok "connection lost: 1 MiB in vmcore-incomplete, no vmcore" || bad "drop left: $(ls -l "$d")"
expect "bytes lost on the way: the commit refuses, exit 1" 1 \
	"vmcore-loader \(remote [^)]*\): $remote/lossy-[^ ]*/vmcore-incomplete holds 1048576 bytes of the [0-9]+ sent: left incomplete" \
	S --ssh-key "$tmp/lossy" --ssh-known-hosts "$kh" --host lossy
d=$(ls -d "$remote"/lossy-* | head -n 1)
[ -e "$d/vmcore-incomplete" ] && [ ! -e "$d/vmcore" ] &&
	ok "bytes lost: vmcore-incomplete, no vmcore" || bad "lossy left: $(ls -l "$d")"
VMCORE_LOADER_STOP_AFTER=10000000 expect "stream cut short: exit 1" 1 \
	"vmcore-incomplete left incomplete: stopped after 10485760 bytes" \
	S --ssh-key "$k" --ssh-known-hosts "$kh" --host cut
d=$(ls -d "$remote"/cut-* | head -n 1)
[ "$(stat -c %s "$d/vmcore-incomplete" 2>/dev/null)" = 10485760 ] && [ ! -e "$d/vmcore" ] &&
	ok "stream cut short: the remote got a clean end of input, still no vmcore" || bad "cut left: $(ls -l "$d")"

echo "== never overwrite"
now=$(date -u +%s)
for i in 0 1 2 3 4 5 6 7 8 9; do
	o=$remote/ow-$(date -u -d "@$((now + i))" +%Y-%m-%d-%H:%M:%S)
	mkdir -p "$o"
	echo old >"$o/vmcore"
done
expect "a directory name in use: .1" 0 "dump saved in $user@127.0.0.1:$remote/ow-[0-9:-]+\.1 " \
	S --ssh-key "$k" --ssh-known-hosts "$kh" --host ow --format kdump
changed=""
for o in "$remote"/ow-*; do
	case $o in *.1) ;; *) [ "$(cat "$o/vmcore")" = old ] || changed="$changed $o" ;; esac
done
[ -z "$changed" ] && ok "the dumps there are untouched" || bad "changed:$changed"
expect "a vmcore there before the commit: kept, the save fails" 1 \
	"vmcore: already there; never overwritten .*vmcore-incomplete kept" \
	S --ssh-key "$tmp/race" --ssh-known-hosts "$kh" --host race --format kdump
d=$(ls -d "$remote"/race-* | head -n 1)
[ "$(cat "$d/vmcore")" = other ] && [ -s "$d/vmcore-incomplete" ] &&
	ok "the other vmcore kept, ours left as vmcore-incomplete" || bad "race: $(ls -l "$d")"

echo "== the capture image with --ssh"
expect "image with --ssh: says the client and its size" 0 \
	"busybox, vmcore-loader, dbclient \([0-9]+ KiB with its libraries\), 0 module\(s\); dumps go to $dest:/srv/dumps over SSH \(dbclient, network dhcp\)" \
	"$top/loader/vmcore-mkinitramfs" --loader "$static" -o "$tmp/ssh.img" --ssh "$dest" \
	--ssh-key "$k" --ssh-dir /srv/dumps --ssh-known-hosts "$dbkh" --ssh-client "$(command -v dbclient)"
[ "$(stat -c %a "$tmp/ssh.img")" = 600 ] && ok "the image (it holds a key) is 0600" ||
	bad "image mode $(stat -c %a "$tmp/ssh.img")"
gzip -dc "$tmp/ssh.img" | cpio -itv --quiet 2>/dev/null >"$tmp/list"
for f in bin/dbclient etc/vmcore-ssh/key root/.ssh/known_hosts etc/passwd etc/vmcore-udhcpc.sh \
	"$(readelf -lW "$(command -v dbclient)" | sed -n 's/.*interpreter: \/\(.*\)\]/\1/p')"; do
	grep -q " $f\$" "$tmp/list" && ok "image lists $f" || bad "image lacks $f"
done
grep -q '^-rw------- .* etc/vmcore-ssh/key$' "$tmp/list" && ok "the key is 0600 in the image" ||
	bad "key mode: $(grep vmcore-ssh/key "$tmp/list")"
mkdir "$tmp/x"
(cd "$tmp/x" && gzip -dc "$tmp/ssh.img" | cpio -id --quiet 2>/dev/null)
# Every library the client and its libraries need, by name, in the image.
miss=""
for f in "$tmp/x/bin/dbclient" $(find "$tmp/x/lib" "$tmp/x/lib64" "$tmp/x/usr" -name '*.so*' 2>/dev/null); do
	for n in $(readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		find "$tmp/x" -name "$n" | grep -q . || miss="$miss $n"
	done
done
[ -z "$miss" ] && ok "every NEEDED library of dbclient is in the image" || bad "missing:$miss"
head -c 40 "$tmp/x/etc/vmcore-ssh/key" | grep -q 'OPENSSH PRIVATE KEY' &&
	bad "the image's key is in OpenSSH's format" || ok "the image's key is in dropbear's format"
for l in "SSH=$dest" SSH_KEY=/etc/vmcore-ssh/key SSH_DIR=/srv/dumps NET=dhcp; do
	grep -qx "$l" "$tmp/x/etc/vmcore-capture.conf" && ok "conf: $l" || bad "conf lacks $l"
done
# The image's dbclient, run by the image's dynamic linker with the
# image's libraries first, logs in with the image's key.
interp=$tmp/x/$(readelf -lW "$tmp/x/bin/dbclient" | sed -n 's/.*interpreter: \/\(.*\)\]/\1/p')
libdirs=$(find "$tmp/x" -name 'lib*.so*' -exec dirname {} \; | sort -u | tr '\n' :)
printf '#!/bin/sh\nexec %s --library-path %s %s "$@"\n' "$interp" "$libdirs" "$tmp/x/bin/dbclient" >"$tmp/imgdbclient"
chmod 755 "$tmp/imgdbclient"
expect "a save through the image's dbclient and key" 0 "through $tmp/imgdbclient \(kdump-compressed, flattened\)\$" \
	env HOME="$tmp/x/root" "$L" save --vmcore "$vmcore" --ssh "$dest" --dir "$remote" --host img \
	--ssh-key "$tmp/x/etc/vmcore-ssh/key" --ssh-client "$tmp/imgdbclient" --format kdump
cmp_ok "through the image's client: every page" "$(ls -d "$remote"/img-* | head -n 1)/vmcore"
expect "--ssh without --ssh-key: refused" 1 "--ssh needs --ssh-key" \
	"$top/loader/vmcore-mkinitramfs" --loader "$static" -o "$tmp/no.img" --ssh "$dest"
expect "--net that is neither dhcp nor an address: refused" 1 "--net is dhcp or ADDRESS/PREFIX" \
	"$top/loader/vmcore-mkinitramfs" --loader "$static" -o "$tmp/no.img" --ssh "$dest" --ssh-key "$k" --net static

echo "ssh-save tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
