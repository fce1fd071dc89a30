# shellcheck shell=sh
# Sourced: an NFSv4 server for tests, NFS-Ganesha 4.3 from Debian 12
# (userspace: nothing depends on the host kernel's nfsd, and no service
# of the host is installed or started).  It runs chrooted in a cached
# debootstrapped root (tests/deb/bookworm-root.sh nfs) inside a mount
# namespace of its own, where the caller's directories are bound in:
# the cached root is never written.  NFSv4 only, TCP, on a free loopback
# port (no rpcbind: version 4 needs none), no grace period; root is not
# squashed (the capture kernel writes as root).  Needs root (chroot and
# mounts), or sudo.
#
# nfsd_start DIR EXPORT: serve the directory EXPORT as SERVER:/export;
# DIR holds the configuration and the log (DIR/ganesha.log).  Sets
# nfsd_pid and nfsd_port.  nfsd_stop: stop it (for an EXIT trap).

nfsd_stop() {
	[ -z "${nfsd_pid:-}" ] || ${sudo:-} kill "$nfsd_pid" 2>/dev/null || :
	nfsd_pid=""
}

nfsd_start() {
	_d=$(cd "$1" && pwd) _x=$(cd "$2" && pwd)
	_root=$("$top/tests/deb/bookworm-root.sh" nfs) || exit 1
	nfsd_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$_d/ganesha"
	cat >"$_d/ganesha.conf" <<EOF2
NFS_CORE_PARAM {
	Protocols = 4;
	NFS_Port = $nfsd_port;
	Bind_addr = 127.0.0.1;
	Enable_NLM = false;
	Enable_RQUOTA = false;
}
NFSV4 {
	Graceless = true;
	Only_Numeric_Owners = true;
}
EXPORT {
	Export_Id = 1;
	Path = /export;
	Pseudo = /export;
	Protocols = 4;
	Transports = TCP;
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
EOF2
	# In the namespace: /proc for the mount table, DIR as /run (the
	# configuration, log, pid file and callback directory), a tmpfs for
	# the client recovery state, EXPORT as /export.
	# shellcheck disable=SC2016 # expanded by the inner shell
	${sudo:-} unshare -m sh -c '
		r=$1 d=$2 x=$3
		mount --make-rprivate / &&
		mount -t proc proc "$r/proc" &&
		mount --bind "$d" "$r/run" &&
		mount -t tmpfs tmpfs "$r/var/lib/nfs" &&
		mount --bind "$x" "$r/export" &&
		exec chroot "$r" ganesha.nfsd -F -f /run/ganesha.conf \
			-L /run/ganesha.log -p /run/ganesha.pid' \
		nfsd "$_root" "$_d" "$_x" >"$_d/ganesha.out" 2>&1 &
	nfsd_pid=$!
	_tries=0
	until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
		"$nfsd_port" 2>/dev/null; do
		_tries=$((_tries + 1))
		if [ $_tries -ge 200 ] || [ ! -d "/proc/$nfsd_pid" ]; then
			echo "ganesha.nfsd did not listen on 127.0.0.1:$nfsd_port:" >&2
			cat "$_d/ganesha.out" "$_d/ganesha.log" >&2 2>/dev/null
			exit 1
		fi
		sleep 0.1
	done
	# An export that failed to load still leaves a listening server.
	! grep -q 'Could not create export' "$_d/ganesha.log" || {
		echo "ganesha.nfsd: the export of $_x failed:" >&2
		cat "$_d/ganesha.log" >&2
		exit 1
	}
}
