#!/bin/sh
# The guest side of tests/deb/qemu-e2e.sh: run at every boot of the
# Debian 12 guest by vmcore-e2e.service (after vmcore-loader.service),
# one stage per boot, kept in /var/lib/vmcore-e2e/stage.  Everything the
# host reads goes through /dev/kmsg at KERN_CRIT ("VMCORE-E2E ..."): the
# kernel prints it on the serial console before write(2) returns, and it
# is in the next dump's log buffer too.
#   0  the package was installed into the image (chroot): the service
#      must have built the capture image and armed kdump at this boot,
#      with no command typed; sysrq-c, the capture kernel saves to the
#      local disk (/etc/default/vmcore-loader as installed) and reboots;
#   1  that dump is in /var/crash; the SSH settings the host wrote to
#      /etc/vmcore-e2e/ssh.conf go into /etc/default/vmcore-loader, then
#      what vmcore-loader(1) says to do after a change (the kernel hook,
#      which restarts the service itself for the running kernel, then
#      systemctl restart); sysrq-c, the capture kernel sends the dump to
#      the host's sshd (10.0.2.2, QEMU's user network) and reboots;
#   2  no new local dump; the NFS settings (/etc/vmcore-e2e/nfs.conf:
#      SSH= emptied, NFS=, NFS_OPTIONS=, DUMP_DIR=) go in, the same
#      documented steps; the image must hold the NFSv4 client; sysrq-c,
#      the capture kernel mounts the host's NFS export and saves there;
#   3  no new local dump; the second kernel package (/root/kernel2.deb)
#      is installed with dpkg: its hook must build that kernel's capture
#      image; power off.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
state=/var/lib/vmcore-e2e

say() { echo "<2>VMCORE-E2E $*" >/dev/kmsg; }
fail() {
	say "FAIL $*"
	systemctl --no-block poweroff
	exit 1
}
# say_file TAG FILE: FILE's lines, each as "VMCORE-E2E TAG line".
say_file() {
	while IFS= read -r line; do say "$1 $line"; done <"$2"
}
armed() {	# armed WHAT: kdump is loaded and the unit active
	[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] ||
		fail "$1: /sys/kernel/kexec_crash_loaded is not 1"
	systemctl is-active --quiet vmcore-loader.service ||
		fail "$1: vmcore-loader.service is not active"
	vmcore-loader status >"$state/status" 2>&1 || :
	say_file STATUS "$state/status"
	say "ARMED $1"
}
crash() {	# crash NAME: a marker in the log, then sysrq-c
	echo "$2" >"$state/stage"
	sync
	say "MARK $1-$(cat /proc/sys/kernel/random/uuid)"
	echo c >/proc/sysrq-trigger
	fail "still alive after sysrq-c"
}
dumps() { ls -d /var/crash/*/vmcore 2>/dev/null | LC_ALL=C sort; }

mkdir -p "$state"
stage=$(cat "$state/stage" 2>/dev/null || echo 0)
kver=$(uname -r)
say "BOOT stage=$stage kernel=$kver"
case $stage in
0)
	[ -s "/boot/vmcore-capture-$kver.img" ] ||
		fail "no /boot/vmcore-capture-$kver.img after boot"
	say "IMAGE $(stat -c %s "/boot/vmcore-capture-$kver.img") bytes, built at boot"
	journalctl -b -u vmcore-loader.service --no-pager -o cat >"$state/journal" 2>&1 || :
	say_file JOURNAL "$state/journal"
	armed local
	[ -z "$(dumps)" ] || fail "dumps before the first crash: $(dumps)"
	crash local 1
	;;
1)
	set -- $(dumps)
	[ $# = 1 ] || fail "want one local dump after the first crash, have $#: $*"
	say "LOCAL-DUMP $1 $(stat -c %s "$1")"
	for f in "$(dirname "$1")"/*; do say "LOCAL-FILE $(basename "$f")"; done
	cat /etc/vmcore-e2e/ssh.conf >>/etc/default/vmcore-loader
	# The hook for the running kernel (what a reinstall of its package
	# runs) rebuilds the image and restarts the active service itself.
	before=$(systemctl show -P ActiveEnterTimestampMonotonic vmcore-loader.service)
	/etc/kernel/postinst.d/vmcore-loader "$kver" >"$state/hook" 2>&1 ||
		{ say_file HOOK "$state/hook"; fail "the kernel hook failed"; }
	say_file HOOK "$state/hook"
	after=$(systemctl show -P ActiveEnterTimestampMonotonic vmcore-loader.service)
	[ "$after" != "$before" ] && systemctl is-active --quiet vmcore-loader.service ||
		fail "the kernel hook for the running kernel did not restart the service ($before, $after)"
	say "HOOK-RESTARTED"
	# SSH_KNOWN_HOSTS= reached the image (without it the capture kernel
	# would accept any host key, and the save would work all the same).
	rm -rf "$state/kh"
	mkdir "$state/kh"
	(cd "$state/kh" && zcat "/boot/vmcore-capture-$kver.img" |
		cpio -i -d --quiet root/.ssh/known_hosts) || :
	cmp -s "$state/kh/root/.ssh/known_hosts" /etc/vmcore-e2e/known_hosts ||
		fail "the capture image's root/.ssh/known_hosts is not SSH_KNOWN_HOSTS's file"
	say "KNOWN-HOSTS-IN-IMAGE"
	systemctl restart vmcore-loader.service || fail "systemctl restart vmcore-loader failed"
	armed remote
	crash remote 2
	;;
2)
	set -- $(dumps)
	[ $# = 1 ] || fail "a local dump appeared with the SSH target: $*"
	cat /etc/vmcore-e2e/nfs.conf >>/etc/default/vmcore-loader
	/etc/kernel/postinst.d/vmcore-loader "$kver" >"$state/hook" 2>&1 ||
		{ say_file HOOK "$state/hook"; fail "the kernel hook failed (NFS)"; }
	say_file HOOK "$state/hook"
	systemctl restart vmcore-loader.service || fail "systemctl restart vmcore-loader failed"
	# The NFSv4 client is in this image (and was in none before).
	img=/boot/vmcore-capture-$kver.img
	zcat "$img" | cpio -t --quiet 2>/dev/null | grep -q '^lib/vmcore-modules/[0-9]*-nfsv4\.ko$' ||
		fail "$img has no nfsv4.ko"
	say "NFS-IMAGE $(stat -c %s "$img")"
	armed nfs
	crash nfs 3
	;;
3)
	set -- $(dumps)
	[ $# = 1 ] || fail "a local dump appeared with the NFS target: $*"
	k2=$(dpkg-deb -f /root/kernel2.deb Package | sed 's/^linux-image-//; s/-unsigned$//')
	dpkg -i /root/kernel2.deb >"$state/dpkg" 2>&1 ||
		{ say_file DPKG "$state/dpkg"; fail "dpkg -i of $k2 failed"; }
	grep -i 'vmcore' "$state/dpkg" >"$state/dpkg-ours" || :
	say_file DPKG "$state/dpkg-ours"
	img=/boot/vmcore-capture-$k2.img
	[ -s "$img" ] || fail "installing $k2 built no $img"
	say "SECOND-KERNEL-IMAGE $k2 $(stat -c %s "$img")"
	# Its modules are that kernel's (their vermagic).
	rm -rf "$state/img"
	mkdir "$state/img"
	(cd "$state/img" && zcat "$img" | cpio -i -d --quiet 'lib/vmcore-modules/*') ||
		fail "cannot unpack $img"
	for m in "$state"/img/lib/vmcore-modules/*; do
		[ -e "$m" ] || fail "$img has no modules"
		say "SECOND-KERNEL-MODULE $(basename "$m") $(modinfo -F vermagic "$m" | cut -d' ' -f1)"
	done
	echo 4 >"$state/stage"
	sync
	say "DONE"
	systemctl --no-block poweroff
	;;
*)
	fail "unexpected stage $stage"
	;;
esac
exit 0
