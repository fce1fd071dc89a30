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
#
# With SSH= in the settings (the configuration's remote target) the dump
# goes to SSH:SSH_DIR through `vmcore-loader save --ssh SSH --ssh-key
# SSH_KEY --dir SSH_DIR` instead of a disk.
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
SSH_KEY=""
SSH_DIR=/var/crash
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

# A remote target: no disk.
if [ -n "$SSH" ]; then
	say "saving to $SSH:$SSH_DIR over ssh ($how)"
	rc=0
	vmcore-loader save --ssh "$SSH" ${SSH_KEY:+--ssh-key "$SSH_KEY"} \
		--dir "$SSH_DIR" --keep "$KEEP" "$@" || rc=$?
	[ $rc = 0 ] && finish "dump saved" ||
		finish "FAILED: vmcore-loader save exited with status $rc"
fi

# The disk appears asynchronously; LABEL= and UUID= go through findfs.
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
say "saving to $dev:/${DIR#/} ($how)"
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
