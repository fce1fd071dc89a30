#!/bin/sh
# make check-kdump-e2e: the kdump service end to end, as a Debian 12 user
# gets it, in QEMU under TCG.
#   * this commit's packages (make deb); a copy of a cached, debootstrapped
#     Debian 12 root with systemd and the fixtures' 6.1 cloud kernel
#     (tests/deb/bookworm-root.sh e2e); vmcore-loader installed into it
#     with dpkg in a chroot, as an image builder would, nothing else
#     configured; an ext4 disk made of it (mkfs.ext4 -d);
#   * booted with crashkernel=256M (and this test's own small initramfs,
#     which loads virtio and mounts the disk), the guest runs
#     tests/deb/e2e-guest.sh at every boot (vmcore-e2e.service):
#       1. vmcore-loader.service built the capture image and armed kdump
#          at boot with no command; sysrq-c; the capture kernel saves to
#          /var/crash on the local disk with the installed configuration
#          (kdump format, zstd, dump level 31) and reboots;
#       2. SSH=, SSH_KEY=, SSH_KNOWN_HOSTS=, SSH_DIR=, MODULES= (the NIC)
#          added to /etc/default/vmcore-loader, the documented steps
#          (kernel hook, systemctl restart); sysrq-c; the capture kernel
#          brings the network up (DHCP from QEMU's user network) and
#          sends the dump with dropbear's dbclient to an sshd this test
#          runs on 127.0.0.1 (10.0.2.2 for the guest); reboot;
#       3. NFS= (SSH= emptied), NFS_OPTIONS= (the port), DUMP_DIR= added,
#          the same steps; the image holds the NFSv4 client; sysrq-c; the
#          capture kernel mounts the export of an NFS-Ganesha server this
#          test runs on 127.0.0.1 (tests/deb/lib-nfs.sh) and saves there;
#          reboot;
#       4. a second kernel package installed with dpkg: its hook builds
#          that kernel's capture image (with that kernel's modules);
#          power off;
#   * then the local dump (read from the disk image with debugfs), the
#     SSH one and the NFS one open in gdb through gdbserver-vmcore: the marker the
#     guest logged just before each crash is in that dump's log, the
#     panic thread's backtrace has sysrq_handle_crash, the release is the
#     guest's.
# Usage: tests/deb/qemu-e2e.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
server=$build/gdbserver-vmcore
. "$top/tests/lib-check.sh"
. "$top/tests/wrap/lib-sshd.sh"
. "$here/lib-nfs.sh"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
r="" qpid=""
trap 'sshd_stop; nfsd_stop; [ -z "$qpid" ] || kill "$qpid" 2>/dev/null; [ -z "$r" ] || $sudo rm -rf "$r"; cleanup' EXIT
trap 'exit 130' INT TERM
QEMU_TIMEOUT=${QEMU_TIMEOUT:-1800}
for c in qemu-system-x86_64 mkfs.ext4 debugfs gdb cpio dpkg-deb apt-cache; do
	command -v "$c" >/dev/null || { echo "qemu-e2e: $c missing (mk/install-deps.sh test)" >&2; exit 2; }
done
t0=$(date +%s)
ver=$(cat "$top/VERSION")
arch=$(dpkg --print-architecture)
[ "$arch" = amd64 ] || { echo "qemu-e2e: an amd64 host is needed (have $arch)" >&2; exit 2; }

# ---- the kernels: the fixtures' (the newest 6.1 cloud kernel with a -dbg
# package, its vmlinux for gdb) and the one before it, the second kernel.
info=$(
	here=$top/tests/real prog=qemu-e2e
	. "$top/tests/real/lib-x86_64.sh"
	pick_kver 0
	fetch_kernel
	echo "$kver"
	echo "$vmlinux"
	fetch_deb "linux-image-$kver-unsigned"
	k2=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' |
		awk '{ sub(/^linux-image-/, "", $1); sub(/-unsigned$/, "", $1); print $1 }' |
		sort -V | awk -v k="$kver" '$0 == k { print prev; exit } { prev = $0 }')
	[ -n "$k2" ] || die "apt knows no 6.1 cloud kernel older than $kver"
	fetch_deb "linux-image-$k2-unsigned"
) || { echo "qemu-e2e: fetching the kernels failed" >&2; exit 1; }
kver=$(echo "$info" | sed -n 1p)
vmlinux=$(echo "$info" | sed -n 2p)
kdeb=$(echo "$info" | sed -n 3p)
k2deb=$(echo "$info" | sed -n 4p)
k2=$(dpkg-deb -f "$k2deb" Package | sed 's/^linux-image-//; s/-unsigned$//')
echo "kernel $kver, second kernel $k2"

echo "== make deb"
if (cd "$top" && make -s --no-print-directory deb DEB_DIR="$tmp/deb") >"$tmp/deb.log" 2>&1; then
	ok "make deb ($(($(date +%s) - t0)) s so far)"
else
	bad "make deb" "$(tail -n 20 "$tmp/deb.log")"
	echo "kdump e2e tests: $pass passed, $fail failed"
	exit 1
fi
ldr=$tmp/deb/vmcore-loader_${ver}_$arch.deb

echo "== the guest's disk"
base=$("$here/bookworm-root.sh" e2e "$kdeb") || { bad "tests/deb/bookworm-root.sh e2e failed"; exit 1; }
r=$tmp/root
$sudo cp -a "$base" "$r"
cp "$ldr" "$r/tmp/vmcore-loader.deb"
if $sudo chroot "$r" dpkg -i /tmp/vmcore-loader.deb >"$tmp/dpkg.log" 2>&1; then
	ok "vmcore-loader installed into the root with dpkg -i (chroot)"
else
	bad "dpkg -i vmcore-loader in the chroot" "$(cat "$tmp/dpkg.log")"
fi
rm -f "$r/tmp/vmcore-loader.deb"
# In a chroot the hook cannot tell the dump disk (no /proc): no image, a
# reason, and the service builds it at boot.
[ ! -e "$r/boot/vmcore-capture-$kver.img" ] && grep -q "could not build" "$tmp/dpkg.log" &&
	ok "in the chroot the kernel hook built no image and said why" ||
	bad "kernel hook in the chroot" "$(cat "$tmp/dpkg.log")"
[ -L "$r/etc/systemd/system/multi-user.target.wants/vmcore-loader.service" ] &&
	ok "vmcore-loader.service enabled by the package" || bad "vmcore-loader.service not enabled"

# The test's part of the guest: its driver and unit, the SSH settings for
# stage 2, the second kernel's package.  Nothing of ours is configured.
mkdir "$tmp/sshd"
sshd_start "$tmp/sshd"
mkdir -p "$r/etc/vmcore-e2e" "$r/usr/local/sbin"
cp "$here/e2e-guest.sh" "$r/usr/local/sbin/vmcore-e2e"
chmod 755 "$r/usr/local/sbin/vmcore-e2e"
cp "$tmp/sshd/user_key" "$r/etc/vmcore-e2e/key"
chmod 600 "$r/etc/vmcore-e2e/key"
# dbclient names a known host by its name alone (no [HOST]:PORT form).
echo "10.0.2.2 $(cut -d' ' -f1,2 "$tmp/sshd/host_key.pub")" >"$r/etc/vmcore-e2e/known_hosts"
remote=$tmp/remote
mkdir "$remote"
cat >"$r/etc/vmcore-e2e/ssh.conf" <<EOF

# Added by the end-to-end test's second stage.
SSH=$(id -un)@10.0.2.2:$sshd_port
SSH_KEY=/etc/vmcore-e2e/key
SSH_KNOWN_HOSTS=/etc/vmcore-e2e/known_hosts
SSH_DIR=$remote
MODULES='virtio_pci virtio_net'
EOF
# Stage 3's: NFS to the host's server (the guest's 10.0.2.2:PORT is the
# host's 127.0.0.1:PORT), SSH= emptied (an empty value is no value).
mkdir "$tmp/nfsd" "$tmp/nfs"
nfsd_start "$tmp/nfsd" "$tmp/nfs"
cat >"$r/etc/vmcore-e2e/nfs.conf" <<EOF

# Added by the end-to-end test's third stage.
SSH=
NFS=10.0.2.2:/export
NFS_OPTIONS=port=$nfsd_port
DUMP_DIR=/e2e-dumps
EOF
cat >"$r/etc/systemd/system/vmcore-e2e.service" <<'EOF'
[Unit]
Description=gdbserver-vmcore end-to-end test driver
After=vmcore-loader.service multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/vmcore-e2e
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
ln -s /etc/systemd/system/vmcore-e2e.service "$r/etc/systemd/system/multi-user.target.wants/vmcore-e2e.service"
cp "$k2deb" "$r/root/kernel2.deb"
echo vmcore-e2e >"$r/etc/hostname"
printf '/dev/vda / ext4 defaults 0 1\n' >"$r/etc/fstab"
# No getty on the serial console (nobody logs in), no waiting for a
# network the main system does not configure.
rm -f "$r/etc/systemd/system/getty.target.wants/"* 2>/dev/null || :
disk=$tmp/disk.img
truncate -s 3G "$disk"
mkfs.ext4 -q -F -L vmcore-e2e -d "$r" "$disk" >"$tmp/mkfs.log" 2>&1 ||
	{ bad "mkfs.ext4 -d" "$(cat "$tmp/mkfs.log")"; exit 1; }
$sudo rm -rf "$r"
r=""

# The boot initramfs: busybox, the virtio modules, an /init that mounts
# the disk and hands over to systemd.
ir=$tmp/initrd
mkdir -p "$ir/bin" "$ir/dev" "$ir/proc" "$ir/sys" "$ir/newroot"
debugfs -R "dump /bin/busybox $ir/bin/busybox" "$disk" >/dev/null 2>&1
chmod 755 "$ir/bin/busybox"
md=lib/modules/$kver
mkdir -p "$ir/$md"
debugfs -R "dump /$md/modules.dep $ir/$md/modules.dep" "$disk" >/dev/null 2>&1
for m in virtio_pci virtio_blk; do
	awk -v m="$m" -F': *' '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n) }
		n == m { print $1; if ($2 != "") print $2 }' "$ir/$md/modules.dep" | tr ' ' '\n'
done | sort -u | while read -r f; do
	[ -n "$f" ] || continue
	mkdir -p "$ir/$md/$(dirname "$f")"
	debugfs -R "dump /$md/$f $ir/$md/$f" "$disk" >/dev/null 2>&1
	[ -s "$ir/$md/$f" ] || echo "missing $f" >&2
done
cat >"$ir/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox modprobe virtio_pci
/bin/busybox modprobe virtio_blk
i=0
while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do /bin/busybox sleep 0.1; i=$((i + 1)); done
/bin/busybox mount -t ext4 -o rw /dev/vda /newroot || { echo "e2e initramfs: cannot mount /dev/vda"; exec /bin/busybox sh; }
/bin/busybox umount /proc /sys
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot /sbin/init
EOF
chmod 755 "$ir/init"
(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$tmp/initrd.gz"
debugfs -R "dump /boot/vmlinuz-$kver $tmp/vmlinuz" "$disk" >/dev/null 2>&1
[ -s "$tmp/vmlinuz" ] || { bad "no /boot/vmlinuz-$kver on the disk"; exit 1; }
ok "disk image and boot initramfs ready ($(($(date +%s) - t0)) s so far)"

echo "== QEMU (TCG): boot, crash, save locally; crash, save over SSH; crash, save on NFS; second kernel"
console=$tmp/console.log
t=$(date +%s)
timeout "$QEMU_TIMEOUT" qemu-system-x86_64 \
	-M q35 -accel tcg -cpu max,la57=off -smp 2 -m 1024 \
	-nodefaults -display none -serial "file:$console" \
	-kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 crashkernel=256M panic=-1 quiet systemd.show_status=0" \
	-drive "file=$disk,format=raw,if=virtio" \
	-nic user,model=virtio-net-pci \
	</dev/null >"$tmp/qemu.log" 2>&1 &
qpid=$!
qrc=0
wait "$qpid" || qrc=$?
qpid=""
tq=$(($(date +%s) - t))
e2e() { tr -d '\r' <"$console" | sed -n 's/^\[ *[0-9.]*\] VMCORE-E2E //p'; }
e2e >"$tmp/e2e"
sed 's/^/     guest: /' "$tmp/e2e"
if [ "$qrc" = 0 ] && grep -qx DONE "$tmp/e2e" && ! grep -q '^FAIL' "$tmp/e2e"; then
	ok "the guest went through its four stages and powered off ($tq s)"
else
	bad "the guest (QEMU exit $qrc after $tq s)" "$(grep '^FAIL' "$tmp/e2e"; tr -d '\r' <"$console" | tail -n 40)"
fi
grep -q '^IMAGE .* built at boot$' "$tmp/e2e" && grep -qx 'ARMED local' "$tmp/e2e" &&
	ok "boot 1: the service built the capture image and armed kdump at boot, no command typed" ||
	bad "boot 1: not armed at boot"
grep -qx 'HOOK-RESTARTED' "$tmp/e2e" &&
	ok "boot 2: the kernel hook for the running kernel rebuilt its image and restarted the service" ||
	bad "boot 2: the hook did not restart the service"
grep -qx 'KNOWN-HOSTS-IN-IMAGE' "$tmp/e2e" &&
	ok "boot 2: the capture image holds SSH_KNOWN_HOSTS's file as root/.ssh/known_hosts" ||
	bad "boot 2: SSH_KNOWN_HOSTS did not reach the capture image"
grep -qx 'ARMED remote' "$tmp/e2e" && grep -q '^HOOK .* over SSH' "$tmp/e2e" &&
	ok "boot 2: after the documented steps (hook, restart) kdump is armed with the SSH target" ||
	bad "boot 2: not armed with the SSH target"
nimg=$(sed -n 's/^NFS-IMAGE \([0-9]*\)$/\1/p' "$tmp/e2e")
limg=$(sed -n 's/^IMAGE \([0-9]*\) bytes, built at boot$/\1/p' "$tmp/e2e")
grep -qx 'ARMED nfs' "$tmp/e2e" && grep -q '^HOOK .* on the NFSv4 export 10\.0\.2\.2:/export' "$tmp/e2e" &&
	[ -n "$nimg" ] &&
	ok "boot 3: after the same steps kdump is armed with the NFS target; the image holds the NFSv4 client ($nimg bytes; the local one $limg)" ||
	bad "boot 3: not armed with the NFS target" "$(grep -E '^(HOOK|NFS-IMAGE|ARMED)' "$tmp/e2e")"
grep -q "^SECOND-KERNEL-IMAGE $k2 " "$tmp/e2e" &&
	ok "boot 4: installing $k2 built /boot/vmcore-capture-$k2.img" ||
	bad "boot 4: no capture image for $k2"
if grep -q '^SECOND-KERNEL-MODULE ' "$tmp/e2e" &&
	[ -z "$(grep '^SECOND-KERNEL-MODULE ' "$tmp/e2e" | awk -v k="$k2" '$3 != k')" ]; then
	ok "boot 4: its modules are $k2's ($(grep -c '^SECOND-KERNEL-MODULE ' "$tmp/e2e"))"
else
	bad "boot 4: the second image's modules" "$(grep '^SECOND-KERNEL-MODULE ' "$tmp/e2e")"
fi
tr -d '\r' <"$console" | grep -q 'vmcore-capture: ' &&
	ok "the capture kernel's /init reported on the console" || bad "no capture kernel output on the console"
# What each save took in the capture kernel (its memory is the 256 MiB
# reservation): the figures, as save printed them.
peaks=$(tr -d '\r' <"$console" | sed -n 's/.*vmcore-loader: peak memory \([0-9.]*\) MiB.*/\1/p' | tr '\n' ' ')
[ "$(echo "$peaks" | wc -w)" = 3 ] &&
	ok "save's peak memory in the capture kernel (crashkernel=256M), local, SSH, NFS: ${peaks}MiB" ||
	bad "save's peak memory: want three figures on the console, have '$peaks'"
tr -d '\r' <"$console" | grep -q '^vmcore-capture: saving to /e2e-dumps on NFS 10\.0\.2\.2:/export (kdump, zstd, dump level 31)$' &&
	ok "the capture kernel mounted the NFS export (NFSv4, busybox mount, port from NFS_OPTIONS=)" ||
	bad "no NFS save on the console" "$(tr -d '\r' <"$console" | grep 'vmcore-capture:' | tail -n 8)"

echo "== the dumps"
# The local one, from the disk image.
ldump=$(e2e | sed -n 's/^LOCAL-DUMP \([^ ]*\) .*/\1/p' | head -n 1)
if [ -n "$ldump" ] && debugfs -R "dump $ldump $tmp/local.vmcore" "$disk" >/dev/null 2>&1 &&
	[ -s "$tmp/local.vmcore" ]; then
	ok "local dump $ldump ($(stat -c %s "$tmp/local.vmcore") bytes) read from the disk image"
else
	bad "no local dump on the disk (LOCAL-DUMP '$ldump')"
fi
grep -q '^LOCAL-FILE vmcore-incomplete' "$tmp/e2e" && bad "a local vmcore-incomplete was left" ||
	ok "no local vmcore-incomplete left"
set -- "$remote"/*/vmcore
if [ $# = 1 ] && [ -s "$1" ]; then
	rdump=$1
	ok "remote dump ${rdump#"$remote"/} ($(stat -c %s "$rdump") bytes) arrived over SSH"
else
	rdump=""
	bad "remote dumps: $*" "$(ls -lR "$remote")"
fi
[ -z "$(find "$remote" -name '*incomplete*')" ] && ok "no remote *incomplete left" ||
	bad "remote *incomplete left" "$(find "$remote")"
# The NFS one, in the directory the server exported.
set -- "$tmp"/nfs/e2e-dumps/*/vmcore
if [ $# = 1 ] && [ -s "$1" ] && [ "$(head -c 8 "$1")" = "KDUMP   " ] &&
	[ -s "$(dirname "$1")/dmesg.txt" ]; then
	ndump=$1
	ok "NFS dump ${ndump#"$tmp"/nfs/} ($(stat -c %s "$ndump") bytes, kdump-compressed) and dmesg.txt on the export"
else
	ndump=""
	bad "NFS dumps: $*" "$(ls -lR "$tmp/nfs"; tail -n 20 "$tmp/nfsd/ganesha.log")"
fi
[ -z "$(find "$tmp/nfs" -name '*incomplete*')" ] && ok "no *incomplete left on the export" ||
	bad "*incomplete left on the export" "$(find "$tmp/nfs")"

# check_dump NAME FILE MARK: gdb through gdbserver-vmcore.
check_dump() {
	name=$1 f=$2 mark=$3
	[ -s "$f" ] || { bad "$name: no dump to open"; return; }
	[ -n "$mark" ] || { bad "$name: the guest logged no marker"; return; }
	timeout 600 gdb -nx -batch -q -iex "source $top/gdbserver-vmcore/vmcore-orc.py" \
		"$vmlinux" -ex "target remote | $server -q $f" \
		-ex "monitor dmesg" -ex "bt" -ex 'p init_uts_ns.name.release' \
		>"$tmp/$name.gdb" 2>&1 || :
	grep -qF "$mark" "$tmp/$name.gdb" &&
		ok "$name: its marker ($mark) is in the dump's log (monitor dmesg)" ||
		bad "$name: marker not in monitor dmesg" "$(tail -n 20 "$tmp/$name.gdb")"
	grep -q ' sysrq_handle_crash ' "$tmp/$name.gdb" &&
		ok "$name: the panic thread's bt has sysrq_handle_crash" ||
		bad "$name: bt" "$(grep '^#' "$tmp/$name.gdb" | head -n 20)"
	grep -qF "\"$kver\"" "$tmp/$name.gdb" &&
		ok "$name: init_uts_ns.name.release is \"$kver\"" ||
		bad "$name: release" "$(grep '^\$1' "$tmp/$name.gdb")"
}
check_dump local "$tmp/local.vmcore" "$(sed -n 's/^MARK \(local-.*\)/\1/p' "$tmp/e2e")"
check_dump remote "$rdump" "$(sed -n 's/^MARK \(remote-.*\)/\1/p' "$tmp/e2e")"
check_dump nfs "$ndump" "$(sed -n 's/^MARK \(nfs-.*\)/\1/p' "$tmp/e2e")"

echo "kdump e2e tests: $pass passed, $fail failed ($(($(date +%s) - t0)) s)"
if [ "$fail" != 0 ]; then
	echo "--- guest console (last 80 lines)"
	tr -d '\r' <"$console" | tail -n 80
	exit 1
fi
