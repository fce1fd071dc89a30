#!/bin/sh
# vmcore-loader without a crash: status and crashkernel= sizing against
# fixture /proc and /sys files, load --dry-run's command line, and save
# (sparse copy, names, never overwriting, interrupted copy, full disk,
# --keep) on a real dump from tests/real/.  Loading a crash kernel for real
# is tested in QEMU, never on the host.
# Usage: tests/loader/run.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
L=$build/vmcore-loader
EXPECT_OUTPUT=all
. "$here/../lib-check.sh"

# sysroot NAME CMDLINE CRASH_SIZE LOADED IOMEM_CRASH: fixture /proc, /sys.
sysroot() {
	r=$tmp/root-$1
	mkdir -p "$r/proc" "$r/sys/kernel"
	printf '%s\n' "$2" >"$r/proc/cmdline"
	echo "$3" >"$r/sys/kernel/kexec_crash_size"
	echo "$4" >"$r/sys/kernel/kexec_crash_loaded"
	printf 'MemTotal:        8048576 kB\n' >"$r/proc/meminfo"
	{
		echo "00001000-0009fbff : System RAM"
		echo "00100000-bffdffff : System RAM"
		echo "  01000000-01e02a46 : Kernel code"
		[ -z "$5" ] || echo "  $5 : Crash kernel"
		echo "100000000-23fffffff : System RAM"
	} >"$r/proc/iomem"
	echo "$r"
}

echo "== status"
r=$(sysroot none "root=/dev/vda ro quiet" 0 0 "")
VMCORE_LOADER_SYSROOT=$r expect "no reservation: not ready, add crashkernel=" 1 \
	"next +no memory is reserved .*add crashkernel=" "$L" status
r=$(sysroot failed "root=/dev/vda crashkernel=4G-:256M" 0 0 "")
VMCORE_LOADER_SYSROOT=$r expect "crashkernel= that reserved nothing" 1 \
	"booted with crashkernel=4G-:256M but reserved nothing" "$L" status
r=$(sysroot unloaded "root=/dev/vda crashkernel=256M" 268435456 0 "2b000000-3affffff")
VMCORE_LOADER_SYSROOT=$r expect "reserved, not loaded: run load" 1 \
	"next +memory is reserved but no crash kernel is loaded: run .vmcore-loader load" "$L" status
VMCORE_LOADER_SYSROOT=$r expect "reserved size from kexec_crash_size" 1 "^reserved +256M$" "$L" status
r=$(sysroot ready "root=/dev/vda crashkernel=256M" 268435456 1 "2b000000-3affffff")
VMCORE_LOADER_SYSROOT=$r expect "ready: exit 0" 0 "state +ready" "$L" status
VMCORE_LOADER_SYSROOT=$r expect "status shows the crashkernel= value" 0 "crashkernel= 256M" "$L" status
r=$(sysroot hidden "crashkernel=256M" 268435456 1 "00000000-00000000")
sed -i 's/^\( *\)[0-9a-f]*-[0-9a-f]*/\100000000-00000000/' "$r/proc/iomem"
VMCORE_LOADER_SYSROOT=$r expect "iomem hidden from non-root is said" 0 "addresses hidden: not root" "$L" status

echo "== crashkernel"
expect "range form for 8G" 0 "crashkernel=512M-2G:64M,2G-:128M reserves 128M with 8G of RAM" \
	"$L" crashkernel --ram 8G 512M-2G:64M,2G-:128M
expect "range form, RAM below every range" 0 "reserves nothing with 256M of RAM" \
	"$L" crashkernel --ram 256M 512M-2G:64M
expect "offset" 0 "reserves 64M with 1G of RAM at 16M" "$L" crashkernel --ram 1G crashkernel=64M@16M
expect ",high" 0 "256M with 8G of RAM \(above 4 GiB" "$L" crashkernel --ram 8G 256M,high
expect "a recommendation for this machine" 0 "recommended for $(uname -m): crashkernel=" \
	"$L" crashkernel --ram 8G 128M
r=$(sysroot ck "ro crashkernel=1G-4G:192M,4G-:256M" 0 0 "")
VMCORE_LOADER_SYSROOT=$r expect "the running kernel's value" 0 \
	"running kernel: crashkernel=1G-4G:192M,4G-:256M reserves 256M with" "$L" crashkernel
expect "malformed value: column" 1 "crashkernel=512M-::: a size was expected at column 7" \
	"$L" crashkernel 512M-::
expect "bad --ram" 2 "--ram takes a size" "$L" crashkernel --ram lots

echo "== load --dry-run"
kernel=$tmp/vmlinuz
head -c 100000 /dev/urandom >"$kernel"
printf 'initrd' >"$tmp/initrd"
r=$(sysroot load "BOOT_IMAGE=/boot/vmlinuz root=UUID=ab ro crashkernel=256M quiet hugepages=64 console=ttyS0 -- single" 268435456 0 "2b000000-3affffff")
want_defaults=$(case $(uname -m) in x86_64|i?86) echo "irqpoll nr_cpus=1 reset_devices" ;; aarch64) echo "irqpoll nr_cpus=1 reset_devices cgroup_disable=memory" ;; *) echo "" ;; esac)
VMCORE_LOADER_SYSROOT=$r expect "capture command line" 0 \
	"^command line root=UUID=ab ro console=ttyS0 $want_defaults panic=10 -- single\$" \
	"$L" load --dry-run --kernel "$kernel" --initrd "$tmp/initrd" --append panic=10
VMCORE_LOADER_SYSROOT=$r expect "dry run names the files and the syscall" 0 \
	"kernel +$kernel \(100000 bytes\)" "$L" load --dry-run --kernel "$kernel" --initrd "$tmp/initrd"
VMCORE_LOADER_SYSROOT=$r expect "--command-line replaces it" 0 "^command line console=ttyS1 irqpoll\$" \
	"$L" load --dry-run --kernel "$kernel" --no-initrd --command-line "console=ttyS1 irqpoll"
VMCORE_LOADER_SYSROOT=$r expect "missing kernel" 1 "kernel /nonexistent: No such file" \
	"$L" load --dry-run --kernel /nonexistent
expect "unknown command" 2 "unknown command 'frob'" "$L" frob

# A real kexec_file_load on this machine as an unprivileged user: refused
# by the kernel (nothing can be loaded), and the message says why: EPERM
# (not root), or ENOSYS where the host kernel or its sandbox has no
# kexec_file_load.
pub=$(mktemp -d /tmp/vmcore-loader-test.XXXXXX)
chmod 755 "$pub"
head -c 1048576 /dev/urandom >"$pub/kernel"
cp "$L" "$pub/vmcore-loader"
chmod 644 "$pub/kernel"
chmod 755 "$pub/vmcore-loader"
expect "not root: the kernel refuses, the message says why" 1 \
	"kexec_file_load $pub/kernel: Operation not permitted: loading a crash kernel needs root|this kernel has no kexec_file_load\(2\): loading with kexec_load\(2\)" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$pub/vmcore-loader" load --kernel "$pub/kernel" --no-initrd
rm -rf "$pub"

echo "== load --kexec-load --dry-run (the core header; fixture sysfs and /proc/kcore)"
# The boot segments (x86): a minimal relocatable bzImage (boot protocol
# 2.15, 4 setup sectors, kernel_alignment 2 MiB, init_size 32 MiB).
python3 - "$tmp/bz" <<'PY'
import struct, sys
d = bytearray(5 * 512 + 65536)
d[0x1f1] = 4
d[0x200:0x202] = b"\xeb\x66"
d[0x202:0x206] = b"HdrS"
struct.pack_into("<H", d, 0x206, 0x20f)
d[0x211] = 1                                    # LOADED_HIGH
struct.pack_into("<I", d, 0x22c, 0x7fffffff)    # initrd_addr_max
struct.pack_into("<I", d, 0x230, 0x200000)      # kernel_alignment
d[0x234] = 1                                    # relocatable
d[0x236] = 1                                    # XLF_KERNEL_64
struct.pack_into("<I", d, 0x238, 2047)          # cmdline_size
struct.pack_into("<I", d, 0x260, 0x2000000)     # init_size
open(sys.argv[1], "wb").write(d)
PY
r=$(sysroot kl "root=/dev/vda crashkernel=256M" 268435456 0 "2b000000-3affffff")
for c in 0 1; do
	mkdir -p "$r/sys/devices/system/cpu/cpu$c"
	printf '%x\n' $((0x23fc1c000 + c * 0x10000)) >"$r/sys/devices/system/cpu/cpu$c/crash_notes"
	echo 464 >"$r/sys/devices/system/cpu/cpu$c/crash_notes_size"
done
mkdir -p "$r/sys/devices/system/cpu/cpufreq"	# not a CPU
echo "23e2a000 1000" >"$r/sys/kernel/vmcoreinfo"
# /proc/kcore's program headers: the kernel text and one direct-map range.
python3 - "$r/proc/kcore" <<'PY'
import struct, sys
phs = [(1, 7, 0x1000, 0xffffffff9a800000, 0x27400000, 0x2830000),
       (1, 7, 0x3000000, 0xffff8bc840100000, 0x100000, 0x2ef00000)]
eh = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH",
    4, 62, 1, 0, 64, 0, 0, 64, 56, len(phs), 0, 0, 0)
body = b"".join(struct.pack("<IIQQQQQQ", t, f, o, v, p, s, s, 4096)
                for t, f, o, v, p, s in phs)
open(sys.argv[1], "wb").write(eh + body)
PY
VMCORE_LOADER_SYSROOT=$r expect "ELF64 header for x86_64: notes, kernel text, RAM minus crash kernel" 0 \
	"core header  ELF64, 512 bytes: 3 PT_NOTE \(2 CPUs \+ VMCOREINFO\), PT_LOADs for 7935 MiB of crash memory \+ the kernel text" \
	"$L" load --kexec-load --dry-run --kernel "$tmp/bz" --no-initrd
for l in "note       cpu1 crash notes at 0x23fc2c000, 464 bytes" \
	"note       VMCOREINFO at 0x23e2a000, 4096 bytes" \
	"load       kernel text 0x27400000-0x29c2ffff at 0xffffffff9a800000" \
	"load       RAM 0x100000-0x2affffff at 0xffff8bc840100000" \
	"load       RAM 0x3b000000-0xbffdffff at 0xffff8bc87b000000" \
	"load       RAM 0x100000000-0x23fffffff at 0xffff8bc940000000"; do
	grep -qF "  $l" "$tmp/err" && ok "dry run: $l" || bad "dry run lacks: $l" "$(cat "$tmp/err")"
done
VMCORE_LOADER_SYSROOT=$r expect "ELF32 refused for RAM above 4 GiB, says why" 1 \
	"ELF32 core headers cannot describe RAM at physical 0x100000000-0x23fffffff \(above 4 GiB\): use --elf64-core-headers" \
	"$L" load --kexec-load --elf32-core-headers --dry-run --kernel "$tmp/bz" --no-initrd
printf 'initrd-bytes' >"$tmp/ird"
VMCORE_LOADER_SYSROOT=$r expect "segments: kernel at the reservation's start, core header at its top" 0 \
	"segment +0x2b000000-0x2b00ffff +65536 bytes +kernel" \
	"$L" load --kexec-load --dry-run --kernel "$tmp/bz" --initrd "$tmp/ird"
for l in "segment      0x2d000000-0x2d000fff       12 bytes  initrd" \
	"segment      0x2d001000-0x2d002fff     8192 bytes  boot_params + command line" \
	"segment      0x3afff000-0x3affffff      512 bytes  core header" \
	"e820         0x2b000000-0x3affefff usable" \
	"command line root=/dev/vda $want_defaults elfcorehdr=966652K"; do
	grep -qF "$l" "$tmp/err" && ok "dry run: $l" || bad "dry run lacks: $l" "$(cat "$tmp/err")"
done
grep -qE '^entry +0x2d003010 \(purgatory; kernel at 0x2b000000, 64-bit entry\)' "$tmp/err" &&
	ok "dry run: the entry is the purgatory's, the kernel's 64-bit entry after it" ||
	bad "dry run: entry" "$(grep entry "$tmp/err")"
VMCORE_LOADER_SYSROOT=$r expect "a kernel that is no bzImage is refused, says why" 1 \
	"is not an x86 bzImage \(no \"HdrS\" setup header" \
	"$L" load --kexec-load --dry-run --kernel "$kernel" --no-initrd
truncate -s 240M "$tmp/ird"
VMCORE_LOADER_SYSROOT=$r expect "too big for the reservation: says what needs how much" 1 \
	"does not fit in the 256 MiB reserved at 0x2b000000: the kernel needs 32 MiB .*, the initrd 240 MiB" \
	"$L" load --kexec-load --dry-run --kernel "$tmp/bz" --initrd "$tmp/ird" --append "$(head -c 300 /dev/zero | tr '\0' x)"
expect "--elf32-core-headers without --kexec-load" 2 "go with --kexec-load" \
	"$L" load --elf32-core-headers --dry-run
rm -r "$r/sys/devices/system/cpu/cpu0" "$r/sys/devices/system/cpu/cpu1"
VMCORE_LOADER_SYSROOT=$r expect "no crash notes: says so" 1 "no CPU in .* has crash_notes" \
	"$L" load --kexec-load --dry-run

echo "== save"
dir=$("$top/tests/real/make-dump-x86_64.sh" --levels 4)
vmcore=$dir/vmcore
marker=$(sed -n 's/^MARKER=//p' "$dir/meta.txt")
out=$tmp/crash
expect "save a real dump" 0 "dump saved in $out/testhost-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}" \
	"$L" save --vmcore "$vmcore" --dir "$out" --host testhost
d1=$(ls -d "$out"/testhost-* | head -n 1)
if cmp -s "$vmcore" "$d1/vmcore"; then ok "saved vmcore is the same bytes"; else bad "saved vmcore differs"; fi
[ ! -e "$d1/vmcore-incomplete" ] && ok "no vmcore-incomplete left" || bad "vmcore-incomplete left"
blocks=$(stat -c %b "$d1/vmcore")
size=$(stat -c %s "$d1/vmcore")
[ $((blocks * 512)) -lt $((size / 2)) ] && ok "saved vmcore is sparse" || bad "not sparse: $blocks blocks, $size bytes"
if grep -qF "$marker" "$d1/dmesg.txt" && grep -q 'sysrq: Trigger a crash' "$d1/dmesg.txt"; then
	ok "dmesg.txt has the crashed kernel's log (marker, sysrq)"
else
	bad "dmesg.txt" "$(tail -n 5 "$d1/dmesg.txt" 2>&1)"
fi
[ "$(stat -c %a "$d1/vmcore")" = 600 ] && ok "vmcore is private (0600)" || bad "vmcore mode $(stat -c %a "$d1/vmcore")"
sum=$(md5sum <"$d1/vmcore")
expect "second save (--quiet)" 0 "" "$L" save --vmcore "$vmcore" --dir "$out" --host testhost --quiet --keep 0
[ "$(ls -d "$out"/testhost-* | wc -l)" = 2 ] && ok "a second save gets its own directory" || bad "dirs: $(ls "$out")"
[ "$(md5sum <"$d1/vmcore")" = "$sum" ] && ok "the first dump is untouched" || bad "first dump changed"
expect "--keep 1 removes the older dump" 0 "removed the old dump .*--keep 1" \
	"$L" save --vmcore "$vmcore" --dir "$out" --host testhost --keep 1
[ "$(ls -d "$out"/testhost-* | wc -l)" = 1 ] && ok "--keep 1 leaves one dump" || bad "dirs: $(ls "$out")"
rm -rf "$out"
VMCORE_LOADER_STOP_AFTER=50000000 expect "interrupted copy" 1 "vmcore-incomplete left incomplete" \
	"$L" save --vmcore "$vmcore" --dir "$out" --host testhost
d=$(ls -d "$out"/testhost-* | head -n 1)
[ -e "$d/vmcore-incomplete" ] && [ ! -e "$d/vmcore" ] && ok "interrupted: vmcore-incomplete, no vmcore" ||
	bad "interrupted: $(ls "$d")"
expect "no dump (not a capture kernel)" 1 "/nonexistent/vmcore.*capture kernel" \
	"$L" save --vmcore /nonexistent/vmcore --dir "$out"
expect "bad --then" 2 "--then is none, reboot, poweroff or shell" "$L" save --then explode

# Without --host the directory is named after the crashed machine: the
# dump's own utsname (the guest set its hostname to vmcore-guest), not
# this one's and not the capture kernel's "(none)".
guest_host=$(sed -n 's/^HOSTNAME=//p' "$dir/meta.txt")
out=$tmp/crash-nohost
expect "save without --host: named after the dump's nodename" 0 \
	"dump saved in $out/$guest_host-[0-9]{4}-" "$L" save --vmcore "$vmcore" --dir "$out"
d2=$(ls -d "$out/$guest_host"-* 2>/dev/null | head -n 1)
if [ -n "$d2" ] && cmp -s "$d2/dmesg.txt" "$dir/dmesg.txt"; then
	ok "host save's dmesg.txt = the one the capture kernel saved"
else
	bad "dmesg.txt differs from the capture kernel's" "$(diff "$d2/dmesg.txt" "$dir/dmesg.txt" 2>&1 | head)"
fi
rm -rf "$out"
# On a terminal save shows progress (percent, MB/s); on a pipe nothing.
script -qec "$L save --vmcore $vmcore --dir $out --host tty" /dev/null >"$tmp/tty" 2>&1 || true
grep -aqE 'saving 100% +[0-9.]+ MB/s' "$tmp/tty" && ok "progress on a TTY" || bad "no progress on a TTY" "$(tr '\r' '\n' <"$tmp/tty" | tail -n 5)"
rm -rf "$out"
"$L" save --vmcore "$vmcore" --dir "$out" --host pipe >"$tmp/pipe" 2>&1
! grep -q 'MB/s' "$tmp/pipe" && ok "no progress on a pipe" || bad "progress on a pipe"
rm -rf "$out"

mnt=$tmp/small
mkdir "$mnt"
mount -t tmpfs -o size=16m tmpfs "$mnt"
expect "full disk: says what is missing" 1 "has [0-9]+ MiB free; the dump needs up to [0-9]+ MiB .*MiB missing" \
	"$L" save --vmcore "$vmcore" --dir "$mnt/crash" --host testhost
[ -z "$(ls "$mnt/crash" 2>/dev/null)" ] && ok "full disk: nothing half-written" || bad "full disk left: $(ls -R "$mnt")"
umount "$mnt"
mnt=""

echo "== capture initramfs (vmcore-mkinitramfs)"
M=$top/loader/vmcore-mkinitramfs
kver=$(sed -n 's/^KVER=//p' "$dir/meta.txt")
moddir=$(sed -n 's/^MODULES_DIR=//p' "$dir/meta.txt")
MAKEFLAGS= MAKELEVEL= make -C "$top" --no-print-directory -s BUILD=build SAN= static
static=$top/build/static/vmcore-loader
mk() { "$M" --loader "$static" -k "$kver" -m "$moddir" "$@"; }
expect "image built" 0 "6 module\(s\); dumps go to LABEL=dumps:/var/crash, then reboot" \
	mk -o "$tmp/a.img" -d LABEL=dumps -M virtio_pci -M virtio_blk
sleep 1	# a different time of day must not change the bytes
mk -o "$tmp/b.img" -d LABEL=dumps -M virtio_pci -M virtio_blk 2>/dev/null
cmp -s "$tmp/a.img" "$tmp/b.img" && ok "reproducible: the same inputs give the same bytes" ||
	bad "two builds differ"
mkdir "$tmp/x"
(cd "$tmp/x" && gzip -dc "$tmp/a.img" | cpio -id --quiet 2>/dev/null)
[ -x "$tmp/x/init" ] && [ -x "$tmp/x/bin/vmcore-loader" ] && [ -x "$tmp/x/bin/busybox" ] &&
	ok "image has /init, vmcore-loader and busybox" || bad "image: $(ls -R "$tmp/x" | head)"
! readelf -lW "$tmp/x/bin/vmcore-loader" | grep -q interpreter &&
	ok "its vmcore-loader is statically linked" || bad "dynamic vmcore-loader in the image"
# Dependencies first: virtio_ring before virtio_pci and virtio_blk.
order=$(ls "$tmp/x/lib/vmcore-modules" | tr '\n' ' ')
case $order in
*virtio_ring.ko*virtio_pci.ko*virtio_blk.ko*) ok "modules in dependency order ($order)" ;;
*) bad "module order: $order" ;;
esac
grep -qx 'DEVICE=LABEL=dumps' "$tmp/x/etc/vmcore-capture.conf" &&
	grep -qx 'THEN=reboot' "$tmp/x/etc/vmcore-capture.conf" &&
	ok "settings written to /etc/vmcore-capture.conf" || bad "conf: $(cat "$tmp/x/etc/vmcore-capture.conf")"
expect "existing output kept" 1 "a.img exists \(use --force" mk -o "$tmp/a.img" -d /dev/vdb
expect "--force replaces it" 0 "0 module\(s\)" mk -o "$tmp/a.img" -d /dev/vdb --force
expect "no device" 1 "no dump device" mk -o "$tmp/c.img"
expect "dynamic loader refused" 1 "dynamically linked; build one with 'make static'" \
	"$M" --loader "$L" -o "$tmp/c.img" -d /dev/vdb
expect "unknown module" 1 "module no_such_mod is not under" mk -o "$tmp/c.img" -d /dev/vdb -M no_such_mod
expect "bad --then" 1 "--then is reboot, poweroff, shell or none" mk -o "$tmp/c.img" -d /dev/vdb --then explode
expect "shell metacharacters refused" 1 "has characters not allowed" mk -o "$tmp/c.img" -d '/dev/vdb;reboot'
[ ! -e "$tmp/c.img" ] && [ ! -e "$tmp/c.img.incomplete" ] && ok "refusals write nothing" ||
	bad "refusal left $(ls "$tmp"/c.img*)"

echo "== end to end in QEMU (the x86_64 kdump fixture: $dir)"
# tests/real/make-dump-x86_64.sh booted the Debian kernel with
# crashkernel=256M, armed kdump with our static vmcore-loader (not
# kexec-tools), crashed it with sysrq-c, and the capture kernel ran the
# vmcore-mkinitramfs image, whose /init saved the dump with
# `vmcore-loader save` on an ext4 disk; the host took it out with debugfs.
# run-real.sh checks that gdb through gdbserver-vmcore shows the panic
# backtrace on it; here the loader's part.
console=$dir/console.log
m() { sed -n "s/^$1=//p" "$dir/meta.txt" | head -n 1; }
[ "$(m LOADED_BY)" = vmcore-loader ] && ok "crash kernel loaded by vmcore-loader" || bad "LOADED_BY=$(m LOADED_BY)"
grep -q 'memory is reserved but no crash kernel is loaded: run `vmcore-loader load`' "$console" &&
	ok "guest: status before load says what to do" || bad "no not-ready status in the console log"
sed -n '/^vmcore-guest: vmcore-loader status after unload:/,/^next/p' "$console" >"$tmp/unl"
grep -q '^vmcore-loader: crash kernel unloaded' "$console" && grep -qE '^loaded +no' "$tmp/unl" &&
	grep -q 'no crash kernel is loaded' "$tmp/unl" &&
	ok "guest: unload, then status says not loaded" || bad "unload in the guest" "$(cat "$tmp/unl")"
grep -q '^state        ready' "$console" && ok "guest: status after load says ready" ||
	bad "no ready status in the console log"
want_cmd="console=ttyS0 panic=-1 irqpoll nr_cpus=1 reset_devices"
grep -qF "vmcore-loader: crash kernel /vmlinuz loaded (command line: $want_cmd)" "$console" &&
	[ "$(m CAPTURE_CMDLINE)" = "$want_cmd" ] &&
	ok "default capture command line: running one minus crashkernel=, plus x86's" ||
	bad "capture command line: $(m CAPTURE_CMDLINE)"
grep -qE "Command line: elfcorehdr=0x[0-9a-f]+ $want_cmd\$" "$console" &&
	ok "the capture kernel booted with it (plus the kernel's elfcorehdr=)" || bad "capture kernel command line not in the console log"
grep -q '^vmcore-capture: capture kernel .* is up' "$console" &&
	grep -q '^vmcore-loader: dump saved in /mnt/crash/' "$console" &&
	grep -q '^vmcore-capture: dump saved; final action: poweroff' "$console" &&
	ok "capture initramfs: saved, then powered off" || bad "capture messages missing"
case $(m SAVED_DIR) in
crash/"$guest_host"-[0-9][0-9][0-9][0-9]-*) ok "saved as $(m SAVED_DIR)" ;;
*) bad "saved dir $(m SAVED_DIR)" ;;
esac
[ "$(cat "$dir/saved.txt" | tr '\n' ' ')" = "dmesg.txt 100600 $(stat -c %s "$dir/dmesg.txt") vmcore 100600 $(stat -c %s "$vmcore") " ] &&
	ok "the disk holds vmcore and dmesg.txt (0600), no vmcore-incomplete" ||
	bad "saved files: $(cat "$dir/saved.txt")"
grep -qF "$marker" "$dir/dmesg.txt" && grep -q 'sysrq: Trigger a crash' "$dir/dmesg.txt" &&
	ok "the capture kernel's dmesg.txt has the crashed kernel's log" || bad "guest dmesg.txt"
# The panicking thread's backtrace through the server, symbolic (KASLR).
gdb -nx -batch -ex 'set pagination off' -ex "file $(m VMLINUX)" \
	-ex "target remote | $build/gdbserver-vmcore -q $vmcore" -ex 'bt' \
	>"$tmp/bt" 2>&1 || true
grep -q 'sysrq_handle_crash' "$tmp/bt" && grep -q 'write_sysrq_trigger' "$tmp/bt" &&
	ok "gdb through gdbserver-vmcore: panic backtrace (sysrq_handle_crash <- write_sysrq_trigger)" ||
	bad "gdb bt on the saved vmcore" "$(cat "$tmp/bt")"

echo "loader tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
