#!/bin/sh
# /init of a capture initramfs made by vmcore-mkinitramfs (busybox ash).
#
# Runs in the capture kernel that the crashed kernel kexec'ed into: loads
# the modules the dump disk needs, mounts it, runs
# `vmcore-loader save` to copy /proc/vmcore there, unmounts, and does the
# final action.  Settings come from /etc/vmcore-capture.conf (written by
# vmcore-mkinitramfs) and can be overridden on the capture kernel's command
# line: vmcore.device= vmcore.fstype= vmcore.dir= vmcore.keep= vmcore.then=
# vmcore.format= vmcore.compress= vmcore.dump_level=
# vmcore.ssh= vmcore.ssh_dir= vmcore.net= vmcore.net_iface= vmcore.nfs=
# vmcore.nfs_options=
#
# With SSH= (USER@HOST[:PORT]) the dump goes there instead of to a disk:
# the network comes up (NET=dhcp through busybox udhcpc, or
# NET=ADDRESS/PREFIX[,GATEWAY] on NET_IFACE, default the first interface
# that is not lo) and `vmcore-loader save --ssh` streams it to SSH_DIR
# with the key SSH_KEY through the client the image holds.  With NFS=
# (SERVER:/EXPORT, SERVER an IPv4 address) the network comes up the same
# way and the export is mounted (NFSv4, busybox mount; NFS_OPTIONS= adds
# mount options) in place of the disk: the dump goes to DIR there.
#
# The dump is saved as distributions' kdump services save it (Debian's
# kdump-tools runs makedumpfile -z -d 31): kdump-compressed, zstd, dump
# level 31 (zero, page cache, user and free pages left out), unless the
# configuration says otherwise (FORMAT=elf: the whole of /proc/vmcore).
#
# Every line starts with "vmcore-capture: " so it is easy to find on a
# serial console.

PATH=/bin
export PATH

say() { echo "vmcore-capture: $*"; }

DEVICE=""
FSTYPE=auto
DIR=var/crash
KEEP=0
THEN=reboot
WAIT=30
FORMAT=kdump
COMPRESS=zstd
DUMP_LEVEL=31
SSH=""
SSH_KEY=/etc/vmcore-ssh/key
SSH_DIR=/var/crash
NET=dhcp
NET_IFACE=""
NFS=""
NFS_OPTIONS=""
# shellcheck disable=SC1091 # written by vmcore-mkinitramfs
[ -r /etc/vmcore-capture.conf ] && . /etc/vmcore-capture.conf

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for word in $(cat /proc/cmdline); do
	case $word in
	vmcore.device=*) DEVICE=${word#*=} ;;
	vmcore.fstype=*) FSTYPE=${word#*=} ;;
	vmcore.dir=*) DIR=${word#*=} ;;
	vmcore.keep=*) KEEP=${word#*=} ;;
	vmcore.then=*) THEN=${word#*=} ;;
	vmcore.wait=*) WAIT=${word#*=} ;;
	vmcore.format=*) FORMAT=${word#*=} ;;
	vmcore.compress=*) COMPRESS=${word#*=} ;;
	vmcore.dump_level=*) DUMP_LEVEL=${word#*=} ;;
	vmcore.ssh=*) SSH=${word#*=} ;;
	vmcore.ssh_dir=*) SSH_DIR=${word#*=} ;;
	vmcore.net=*) NET=${word#*=} ;;
	vmcore.net_iface=*) NET_IFACE=${word#*=} ;;
	vmcore.nfs=*) NFS=${word#*=} ;;
	vmcore.nfs_options=*) NFS_OPTIONS=${word#*=} ;;
	esac
done

finish() {	# finish STATUS-WORD: the final action, after a last message
	say "$1; final action: $THEN"
	sync
	case $THEN in
	reboot) sleep 1; reboot -f ;;
	poweroff) sleep 1; poweroff -f ;;
	shell) exec sh ;;
	none) ;;
	*) say "unknown final action '$THEN': rebooting"; sleep 1; reboot -f ;;
	esac
	while :; do sleep 3600; done	# PID 1 must not exit
}

say "capture kernel $(uname -r) is up"
[ -e /proc/vmcore ] || finish "no /proc/vmcore: this is not a capture kernel"

# Modules in load order, as vmcore-mkinitramfs numbered them.
for m in /lib/vmcore-modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || say "warning: insmod $m failed"
done

if [ "$FORMAT" = elf ]; then
	set -- --format elf
	how="ELF, every page"
else
	set -- --format "$FORMAT" --compress "$COMPRESS" --dump-level "$DUMP_LEVEL"
	how="$FORMAT, $COMPRESS, dump level $DUMP_LEVEL"
fi

# ---- over SSH ----------------------------------------------------------
net_up() {	# the interface (it appears asynchronously), then its address
	i=0
	while [ -z "$NET_IFACE" ] && [ $i -lt $((WAIT * 10)) ]; do
		for n in /sys/class/net/*; do
			n=${n##*/}
			[ "$n" = lo ] || [ "$n" = '*' ] || { NET_IFACE=$n; break; }
		done
		i=$((i + 1))
		[ -n "$NET_IFACE" ] || sleep 0.1
	done
	[ -n "$NET_IFACE" ] || return 1
	ip link set lo up
	ip link set "$NET_IFACE" up || return 1
	case $NET in
	dhcp) udhcpc -i "$NET_IFACE" -n -q -t 10 -s /etc/vmcore-udhcpc.sh ;;
	*)
		ip addr add "${NET%%,*}" dev "$NET_IFACE" || return 1
		case $NET in *,*) ip route add default via "${NET#*,}" dev "$NET_IFACE" ;; esac ;;
	esac
}
if [ -n "$SSH" ]; then
	HOME=/root	# dbclient's known_hosts: /root/.ssh/known_hosts
	export HOME
	net_up || finish "FAILED: no network for $SSH (interface ${NET_IFACE:-none found}, $NET)"
	say "network up: $NET_IFACE $(ip -4 -o addr show dev "$NET_IFACE" | awk '{ print $4 }')"
	say "saving to $SSH:$SSH_DIR ($how)"
	# Known hosts from the image: the host key is checked against them.
	[ ! -s /root/.ssh/known_hosts ] || set -- "$@" --ssh-known-hosts /root/.ssh/known_hosts
	rc=0
	vmcore-loader save --ssh "$SSH" --ssh-key "$SSH_KEY" --dir "$SSH_DIR" "$@" || rc=$?
	if [ $rc = 2 ]; then
		say "warning: bad settings (see above): saving kdump, zstd, dump level 31"
		rc=0
		set -- --format kdump --compress zstd --dump-level 31
		[ ! -s /root/.ssh/known_hosts ] || set -- "$@" --ssh-known-hosts /root/.ssh/known_hosts
		vmcore-loader save --ssh "$SSH" --ssh-key "$SSH_KEY" --dir "$SSH_DIR" "$@" || rc=$?
	fi
	[ $rc = 0 ] && finish "dump saved"
	finish "FAILED: vmcore-loader save --ssh exited with status $rc"
fi

# The disk appears asynchronously; LABEL= and UUID= go through findfs.
mount_disk() {
	[ -n "$DEVICE" ] || finish "no dump device configured (vmcore.device=)"
	dev=""
	i=0
	while [ $i -lt $((WAIT * 10)) ]; do
		case $DEVICE in
		LABEL=*|UUID=*) dev=$(findfs "$DEVICE" 2>/dev/null) ;;
		*) [ -b "$DEVICE" ] && dev=$DEVICE ;;
		esac
		[ -n "$dev" ] && break
		i=$((i + 1))
		sleep 0.1
	done
	[ -n "$dev" ] || finish "FAILED: dump device $DEVICE did not appear in ${WAIT}s"

	mkdir -p /mnt
	if [ "$FSTYPE" = auto ]; then
		mount "$dev" /mnt || finish "FAILED: cannot mount $dev"
	else
		mount -t "$FSTYPE" "$dev" /mnt || finish "FAILED: cannot mount $dev ($FSTYPE)"
	fi
	where="$dev:/${DIR#/}"
}

# ---- on NFS ------------------------------------------------------------
# NFSv4 only (one TCP connection to the server's port, no rpcbind, mountd
# or lockd), mounted by address: the kernel takes addr= and clientaddr=
# as mount.nfs would pass them.
mount_nfs() {
	net_up || finish "FAILED: no network for NFS $NFS (interface ${NET_IFACE:-none found}, $NET)"
	cip=$(ip -4 -o addr show dev "$NET_IFACE" | awk '{ print $4 }')
	say "network up: $NET_IFACE $cip"
	opts="addr=${NFS%%:*}${cip:+,clientaddr=${cip%%/*}}${NFS_OPTIONS:+,$NFS_OPTIONS}"
	mkdir -p /mnt
	mount -t nfs4 -o "$opts" "$NFS" /mnt ||
		finish "FAILED: cannot mount $NFS (nfs4, $opts)"
	where="/${DIR#/} on NFS $NFS"
}
where=""
if [ -n "$NFS" ]; then
	mount_nfs
else
	mount_disk
fi
say "saving to $where ($how)"
rc=0
vmcore-loader save --dir "/mnt/${DIR#/}" --keep "$KEEP" "$@" || rc=$?
if [ $rc = 2 ]; then
	# Bad usage: a mistyped vmcore.format=, vmcore.compress= or
	# vmcore.dump_level=.  The dump is still saved, the default way.
	say "warning: bad settings (see above): saving kdump, zstd, dump level 31"
	rc=0
	vmcore-loader save --dir "/mnt/${DIR#/}" --keep "$KEEP" --format kdump \
		--compress zstd --dump-level 31 || rc=$?
fi
if [ $rc = 0 ]; then
	status="dump saved"
else
	status="FAILED: vmcore-loader save exited with status $rc"
fi
umount /mnt || say "warning: umount /mnt failed"
finish "$status"
