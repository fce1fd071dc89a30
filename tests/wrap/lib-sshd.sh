# shellcheck shell=sh
# Sourced: an sshd of Debian's openssh-server for tests and benchmarks,
# on a free loopback port, with its own config, host key and authorized
# key in a directory of the caller's (login as the current user with a
# key made there; nothing beyond 127.0.0.1).
#
# sshd_start DIR: start it; sets sshd_pid, sshd_port, sshd_opts (ssh
# options that log in with the key and trust the host key) and sshd_ssh
# ("ssh OPTIONS -p PORT 127.0.0.1", to which a remote command is added).
# sshd_stop: stop it (for an EXIT trap).  sshd_free_port: a loopback port
# nothing listens on.

sshd_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

sshd_stop() {
	[ -z "${sshd_pid:-}" ] || kill "$sshd_pid" 2>/dev/null || :
	sshd_pid=""
}

sshd_start() {
	_d=$1
	for _c in /usr/sbin/sshd ssh ssh-keygen python3; do
		command -v "$_c" >/dev/null || {
			echo "sshd: $_c missing (mk/install-deps.sh test)" >&2
			exit 2
		}
	done
	ssh-keygen -q -t ed25519 -N '' -f "$_d/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$_d/user_key"
	cp "$_d/user_key.pub" "$_d/authorized_keys"
	chmod 600 "$_d/authorized_keys"
	sshd_port=$(sshd_free_port)
	cat >"$_d/sshd_config" <<EOF2
ListenAddress 127.0.0.1
Port $sshd_port
HostKey $_d/host_key
PidFile $_d/sshd.pid
AuthorizedKeysFile $_d/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
EOF2
	# sshd wants its privilege separation directory (made by its
	# service, which is not started here).
	[ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 755 /run/sshd; } 2>/dev/null || :
	/usr/sbin/sshd -D -e -f "$_d/sshd_config" 2>"$_d/sshd.log" &
	sshd_pid=$!
	sshd_opts="-F /dev/null -i $_d/user_key -o IdentitiesOnly=yes -o BatchMode=yes"
	sshd_opts="$sshd_opts -o StrictHostKeyChecking=no -o UserKnownHostsFile=$_d/known_hosts -o LogLevel=ERROR"
	sshd_ssh="ssh $sshd_opts -p $sshd_port 127.0.0.1"
	_tries=0
	until $sshd_ssh true 2>"$_d/ssh-try.log"; do
		_tries=$((_tries + 1))
		if [ $_tries -ge 100 ] || ! kill -0 "$sshd_pid" 2>/dev/null; then
			echo "sshd on 127.0.0.1:$sshd_port does not take the key login:" >&2
			cat "$_d/sshd.log" "$_d/ssh-try.log" >&2
			exit 1
		fi
		sleep 0.1
	done
}
