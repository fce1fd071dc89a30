#!/bin/sh
# vmcore-loader without a crash: status and crashkernel= sizing against
# fixture /proc and /sys files, load --dry-run's command line, and save
# (sparse copy, names, never overwriting, interrupted copy, full disk,
# --keep; --format kdump with each compression and dump level 31, checked
# page by page against the source; truncated and corrupt sources) on a
# real dump from tests/real/, and the end-to-end capture in QEMU with the
# default configuration (kdump, zstd, dump level 31), read back by gdb
# through gdbserver-vmcore, crash 8.0.6, drgn 0.0.31 and our reader.  Loading a crash kernel for real
# is tested in QEMU, never on the host.
# Usage: tests/loader/run.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
L=$build/vmcore-loader
cmppages=$build/tests/cmppages
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
	# The kernel and capture image `load` would take by default.
	mkdir -p "$r/boot"
	head -c 4096 /dev/zero >"$r/boot/vmlinuz-$(uname -r)"
	head -c 4096 /dev/zero >"$r/boot/vmcore-capture-$(uname -r).img"
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
r=$(sysroot disabled "root=/dev/vda crashkernel=256M" 268435456 0 "2b000000-3affffff")
mkdir -p "$r/proc/sys/kernel"
echo 1 >"$r/proc/sys/kernel/kexec_load_disabled"
VMCORE_LOADER_SYSROOT=$r expect "kexec_load_disabled is a reason" 1 \
	"next +kexec is disabled \(/proc/sys/kernel/kexec_load_disabled is 1\)" "$L" status
rm "$r/boot/vmcore-capture-$(uname -r).img"
VMCORE_LOADER_SYSROOT=$r expect "no capture image is a reason" 1 \
	"next +no capture image for this kernel" "$L" status

echo "== configuration file"
conf=$tmp/vmcore-loader.conf
printf '# test\nFORMAT=kdump\nFROB=1\n' >"$conf"
expect "unknown key: file and line" 1 "status: $conf:3: unknown key 'FROB'" \
	"$L" --config "$conf" status
VMCORE_LOADER_CONFIG=$conf expect "VMCORE_LOADER_CONFIG names it too" 1 \
	"load: $conf:3: unknown key 'FROB'" "$L" load --dry-run
expect "a named file must exist" 1 "configuration file: $tmp/none: No such file" \
	"$L" --config "$tmp/none" status
printf 'CMDLINE_APPEND="panic=5 console=ttyS1"\n' >"$conf"
r=$(sysroot conf "root=/dev/vda crashkernel=256M" 268435456 0 "2b000000-3affffff")
VMCORE_LOADER_SYSROOT=$r expect "CMDLINE_APPEND reaches load" 0 \
	"^command line root=/dev/vda .*panic=5 console=ttyS1\$" \
	"$L" --config "$conf" load --dry-run --no-initrd
VMCORE_LOADER_SYSROOT=$r expect "--append overrides CMDLINE_APPEND" 0 \
	"^command line root=/dev/vda .*panic=7\$" \
	"$L" --config "$conf" load --dry-run --no-initrd --append panic=7
expect "config --shell quotes for sh" 0 "^CMDLINE_APPEND='panic=5 console=ttyS1'\$" \
	"$L" --config "$conf" config --shell

echo "== service helpers"
r=$(sysroot svc "root=/dev/vda ro" 0 0 "")
VMCORE_LOADER_SYSROOT=$r expect "load --if-reserved without crashkernel=: exit 0, says so" 0 \
	"no crashkernel= on the kernel command line, so no memory is reserved .*nothing loaded, kdump is off" \
	"$L" load --if-reserved
r=$(sysroot svc2 "root=/dev/vda crashkernel=4G-:256M" 0 0 "")
VMCORE_LOADER_SYSROOT=$r expect "load --if-reserved, crashkernel= reserved nothing: exit 0" 0 \
	"booted with crashkernel=4G-:256M but reserved no memory" "$L" load --if-reserved
VMCORE_LOADER_SYSROOT=$r expect "unload --if-loaded with nothing loaded: exit 0" 0 \
	"no crash kernel is loaded: nothing to unload" "$L" unload --if-loaded
expect "--help: kexec_load loads" 0 "load with kexec_load\(2\), our own ELF core" "$L" --help

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
# kexec_file_load.  The files are in a directory of /tmp that user 65534
# can reach ($tmp may be under a private TMPDIR), removed however the
# script ends.
pub=$(mktemp -d /tmp/vmcore-loader-test.XXXXXX)
trap 'rm -rf "$pub"; cleanup' EXIT
trap 'exit 130' INT TERM
chmod 755 "$pub"
head -c 1048576 /dev/urandom >"$pub/kernel"
cp "$L" "$pub/vmcore-loader"
chmod 644 "$pub/kernel"
chmod 755 "$pub/vmcore-loader"
expect "not root: the kernel refuses, the message says why" 1 \
	"kexec_file_load $pub/kernel: Operation not permitted: loading a crash kernel needs root|this kernel has no kexec_file_load\(2\): loading with kexec_load\(2\)" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$pub/vmcore-loader" load --kernel "$pub/kernel" --no-initrd
rm -rf "$pub"
trap cleanup EXIT INT TERM

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

echo "== save --format kdump"
# cmp_ok NAME CMPPAGES-ARGS...: cmppages passes; its summary in the line.
cmp_ok() {
	name=$1
	shift
	if "$cmppages" "$@" >"$tmp/cmp" 2>&1; then
		ok "$name: $(grep 'pages compared' "$tmp/cmp" | sed 's/^ *//')"
	else
		bad "$name" "$(cat "$tmp/cmp")"
	fi
}
out=$tmp/crash-kdump
for c in zstd lzo snappy zlib none; do
	expect "save --format kdump --compress $c --dump-level 31" 0 \
		"kdump-compressed \($c, dump level 31\): [0-9]+ of [0-9]+ pages .*filtered out" \
		"$L" save --vmcore "$vmcore" --dir "$out" --host "$c" --format kdump \
		--compress "$c" --dump-level 31
	d=$(ls -d "$out/$c"-* | head -n 1)
	[ "$(head -c 8 "$d/vmcore")" = "KDUMP   " ] && [ ! -e "$d/vmcore-incomplete" ] &&
		[ "$(stat -c %a "$d/vmcore")" = 600 ] && cmp -s "$d/dmesg.txt" "$dir/dmesg.txt" &&
		ok "$c: a kdump-compressed vmcore (0600) and dmesg.txt, nothing incomplete" ||
		bad "$c: saved $(ls -l "$d")"
	cmp_ok "$c: every page kept equals the source's, the rest dump level 31's" \
		--level 31 "$vmcore" "$d/vmcore"
done
zsize=$(stat -c %s "$(ls -d "$out"/zstd-* | head -n 1)/vmcore")
[ "$zsize" -lt $(($(stat -c %s "$vmcore") / 10)) ] &&
	ok "zstd -d 31: $zsize bytes for a $(stat -c %s "$vmcore")-byte vmcore" ||
	bad "zstd -d 31 output is $zsize bytes"
expect "save --format elf: today's copy" 0 "dump saved in $out/elf-" \
	"$L" save --vmcore "$vmcore" --dir "$out" --host elf --format elf
cmp -s "$vmcore" "$(ls -d "$out"/elf-* | head -n 1)/vmcore" && ok "--format elf: the same bytes" ||
	bad "--format elf: the copy differs"
expect "--compress without --format kdump" 2 "--compress is for --format kdump" \
	"$L" save --vmcore "$vmcore" --dir "$out" --compress zstd
expect "--dump-level out of range" 2 "--dump-level is 0 to 31" \
	"$L" save --vmcore "$vmcore" --dir "$out" --format kdump --dump-level 32
script -qec "$L save --vmcore $vmcore --dir $out --host tty --format kdump --dump-level 31" /dev/null >"$tmp/tty" 2>&1 || true
grep -aqE 'saving 100% +[0-9.]+ MB/s' "$tmp/tty" && ok "kdump: progress on a TTY" ||
	bad "kdump: no progress on a TTY" "$(tr '\r' '\n' <"$tmp/tty" | tail -n 5)"
"$L" save --vmcore "$vmcore" --dir "$out" --host pipe --format kdump >"$tmp/pipe" 2>&1
! grep -q 'MB/s' "$tmp/pipe" && ok "kdump: no progress on a pipe" || bad "kdump: progress on a pipe"
# A truncated source (a capture kernel that lost part of /proc/vmcore, a
# copy cut short): warnings, and every page it still holds is saved.
cp --sparse=always "$vmcore" "$tmp/trunc"
truncate -s 300M "$tmp/trunc"
expect "truncated source: warnings, saved" 0 \
	"warning: [0-9]+ pages could not be read from the source .*every other page is saved" \
	"$L" save --vmcore "$tmp/trunc" --dir "$out" --host trunc --format kdump --dump-level 1
grep -q "warning: $tmp/trunc: dump is truncated: PT_LOAD" "$tmp/err" &&
	ok "truncated source: the reader's warning says where it ends" || bad "no truncation warning" "$(cat "$tmp/err")"
# Every sampled page reads the same from the saved file as from the cut
# source: its data where the source has it, an error where it has none.
# (Not "missing only at the end": the kernel text PT_LOAD, first in the
# file, maps pages wherever KASLR put the kernel.  Dump level 1, so that
# no filtered page depends on whether the cut left mem_section readable.)
"$cmppages" --hash-sample "$vmcore" >"$tmp/tpfns"
"$cmppages" --hash-pfns "$tmp/trunc" <"$tmp/tpfns" >"$tmp/tsrc" 2>&1 || true
"$cmppages" --hash-pfns "$(ls -d "$out"/trunc-* | head -n 1)/vmcore" <"$tmp/tpfns" >"$tmp/tsaved" 2>&1 || true
n=$(grep -vc ' -$' "$tmp/tsrc" || true)
m=$(grep -c ' -$' "$tmp/tsrc" || true)
[ "$n" -gt 100 ] && [ "$m" -gt 100 ] && cmp -s "$tmp/tsrc" "$tmp/tsaved" &&
	ok "truncated source: what it holds is saved ($n sampled pages the same, $m unreadable in both)" ||
	bad "truncated source: saved pages" "$(diff "$tmp/tsrc" "$tmp/tsaved" | head -n 6)"
rm -f "$tmp/trunc"
head -c 1048576 /dev/urandom >"$tmp/junk"
expect "a source that is no dump: a warning, a plain copy" 0 \
	"not a dump format we know.*saving a plain copy instead" \
	"$L" save --vmcore "$tmp/junk" --dir "$out" --host junk --format kdump
cmp -s "$tmp/junk" "$(ls -d "$out"/junk-* | head -n 1)/vmcore" && ok "no dump: copied as it is" ||
	bad "no dump: the copy differs"
rm -rf "$out" "$tmp/junk"

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
# A static loader of these sources, built in the temp dir (never in the
# source tree's build/, and without the sanitizers of `make asan`).
MAKEFLAGS= MAKELEVEL= make -C "$top" --no-print-directory -s BUILD="$tmp/static-build" SAN= static
static=$tmp/static-build/static/vmcore-loader
mk() { "$M" --loader "$static" -k "$kver" -m "$moddir" "$@"; }
expect "image built" 0 "6 module\(s\); dumps go to LABEL=dumps:/var/crash \(kdump, zstd, dump level 31\), then reboot" \
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
grep -qx 'FORMAT=kdump' "$tmp/x/etc/vmcore-capture.conf" &&
	grep -qx 'COMPRESS=zstd' "$tmp/x/etc/vmcore-capture.conf" &&
	grep -qx 'DUMP_LEVEL=31' "$tmp/x/etc/vmcore-capture.conf" &&
	ok "default capture in the conf: kdump, zstd, dump level 31" || bad "conf: $(cat "$tmp/x/etc/vmcore-capture.conf")"
expect "--format elf" 0 "\(elf\), then reboot" mk -o "$tmp/e.img" -d /dev/vdb --format elf
mkdir "$tmp/xe"
(cd "$tmp/xe" && gzip -dc "$tmp/e.img" | cpio -id --quiet 2>/dev/null)
grep -qx 'FORMAT=elf' "$tmp/xe/etc/vmcore-capture.conf" && ok "--format elf in the conf" ||
	bad "conf: $(cat "$tmp/xe/etc/vmcore-capture.conf")"
expect "--compress lzo --dump-level 1" 0 "\(kdump, lzo, dump level 1\)" \
	mk -o "$tmp/e.img" -d /dev/vdb --force --compress lzo --dump-level 1
expect "bad --compress" 1 "--compress is zstd, lzo, snappy, zlib or none" mk -o "$tmp/c.img" -d /dev/vdb --compress gzip
expect "bad --dump-level" 1 "--dump-level is 0 to 31" mk -o "$tmp/c.img" -d /dev/vdb --dump-level 32
expect "--dump-level with --format elf" 1 "are for --format kdump" mk -o "$tmp/c.img" -d /dev/vdb --format elf --dump-level 1
expect "existing output kept" 1 "a.img exists \(use --force" mk -o "$tmp/a.img" -d /dev/vdb
expect "--force replaces it" 0 "0 module\(s\)" mk -o "$tmp/a.img" -d /dev/vdb --force
cp "$tmp/a.img" "$tmp/a.copy"
expect "--if-missing: an existing image is kept, exit 0" 0 "" mk -o "$tmp/a.img" -d /dev/vdb --if-missing --format elf
cmp -s "$tmp/a.img" "$tmp/a.copy" && ok "--if-missing left it as it was" || bad "--if-missing changed the image"
expect "--if-missing: a missing one is built" 0 "0 module\(s\)" mk -o "$tmp/m.img" -d /dev/vdb --if-missing
expect "no device" 1 "no dump device" mk -o "$tmp/c.img"
expect "dynamic loader refused" 1 "dynamically linked; build one with 'make static'" \
	"$M" --loader "$L" -o "$tmp/c.img" -d /dev/vdb
expect "unknown module" 1 "module no_such_mod is not under" mk -o "$tmp/c.img" -d /dev/vdb -M no_such_mod
expect "bad --then" 1 "--then is reboot, poweroff, shell or none" mk -o "$tmp/c.img" -d /dev/vdb --then explode
expect "shell metacharacters refused" 1 "has characters not allowed" mk -o "$tmp/c.img" -d '/dev/vdb;reboot'
[ ! -e "$tmp/c.img" ] && [ ! -e "$tmp/c.img.incomplete" ] && ok "refusals write nothing" ||
	bad "refusal left $(ls "$tmp"/c.img*)"

# The configuration file (read through vmcore-loader config --shell).
export VMCORE_LOADER="$L"
cf=$tmp/mk.conf
printf '%s\n' "DUMP_DEVICE=LABEL=crash" "DUMP_FSTYPE=ext4" "DUMP_DIR=/srv/dumps" \
	"KEEP=3" "FINAL_ACTION=poweroff" "FORMAT=kdump" "COMPRESS=lzo" "DUMP_LEVEL=17" >"$cf"
expect "configuration: its values reach the image" 0 \
	"dumps go to LABEL=crash:/srv/dumps \(kdump, lzo, dump level 17\), then poweroff" \
	mk --config "$cf" -o "$tmp/k.img"
mkdir "$tmp/xk"
(cd "$tmp/xk" && gzip -dc "$tmp/k.img" | cpio -id --quiet 2>/dev/null)
want="DEVICE=LABEL=crash FSTYPE=ext4 DIR=srv/dumps KEEP=3 THEN=poweroff FORMAT=kdump COMPRESS=lzo DUMP_LEVEL=17"
got=$(grep -v '^#' "$tmp/xk/etc/vmcore-capture.conf" | tr '\n' ' ')
[ "$got" = "$want " ] && ok "configuration: /etc/vmcore-capture.conf" || bad "conf: $got"
# A remote target from the configuration (save --ssh; the client and the
# key's conversion are tests/loader/ssh-save.sh's).
scf=$tmp/ssh.conf
ssh-keygen -q -t ed25519 -N '' -f "$tmp/key"
printf '%s\n' "SSH=dump@10.0.2.2:2222" "SSH_KEY=$tmp/key" "SSH_DIR=/srv/remote" \
	"FINAL_ACTION=poweroff" >"$scf"
expect "configuration: SSH= reaches the image" 0 \
	"dumps go to dump@10.0.2.2:2222:/srv/remote over SSH" \
	mk --config "$scf" -o "$tmp/s.img"
mkdir "$tmp/xs"
(cd "$tmp/xs" && gzip -dc "$tmp/s.img" | cpio -id --quiet 2>/dev/null)
for l in SSH=dump@10.0.2.2:2222 SSH_KEY=/etc/vmcore-ssh/key SSH_DIR=/srv/remote THEN=poweroff; do
	grep -qx "$l" "$tmp/xs/etc/vmcore-capture.conf" && ok "configuration: conf has $l" ||
		bad "conf lacks $l: $(tr '\n' ' ' <"$tmp/xs/etc/vmcore-capture.conf")"
done
[ -s "$tmp/xs/etc/vmcore-ssh/key" ] &&
	[ "$(stat -c %a "$tmp/xs/etc/vmcore-ssh/key")" = 600 ] &&
	ok "configuration: SSH_KEY copied into the image, mode 600" || bad "ssh key in the image"
# NFS= (the end-to-end test, tests/deb/qemu-e2e.sh, saves to a real
# NFSv4 server): the client modules with their dependencies, the
# settings and udhcpc's script; the dump directory is DUMP_DIR on the
# export; DUMP_DEVICE=auto is not looked at.
ncf=$tmp/nfs.conf
printf '%s\n' "NFS=10.0.2.2:/srv/nfs" "NFS_OPTIONS=port=2049,vers=4.2" "DUMP_DIR=/dumps" \
	"DUMP_DEVICE=auto" "MODULES='virtio_pci virtio_net'" "FINAL_ACTION=poweroff" >"$ncf"
expect "configuration: NFS= reaches the image" 0 \
	"dumps go to /dumps on the NFSv4 export 10.0.2.2:/srv/nfs, options port=2049,vers=4.2, network dhcp" \
	mk --config "$ncf" -o "$tmp/n.img"
mkdir "$tmp/xn"
(cd "$tmp/xn" && gzip -dc "$tmp/n.img" | cpio -id --quiet 2>/dev/null)
for l in NFS=10.0.2.2:/srv/nfs NFS_OPTIONS=port=2049,vers=4.2 DIR=dumps NET=dhcp THEN=poweroff; do
	grep -qx "$l" "$tmp/xn/etc/vmcore-capture.conf" && ok "NFS: conf has $l" ||
		bad "NFS: conf lacks $l: $(tr '\n' ' ' <"$tmp/xn/etc/vmcore-capture.conf")"
done
order=$(ls "$tmp/xn/lib/vmcore-modules" | sed 's/^[0-9]*-//' | tr '\n' ' ')
case $order in
*sunrpc.ko*" nfs.ko"*nfsv4.ko*) case $order in *virtio_net.ko*) ok "NFS: client modules in dependency order, and the NIC's ($order)" ;;
	*) bad "NFS: no virtio_net: $order" ;; esac ;;
*) bad "NFS: module order: $order" ;;
esac
[ -x "$tmp/xn/etc/vmcore-udhcpc.sh" ] && [ ! -e "$tmp/xn/etc/vmcore-ssh" ] &&
	ok "NFS: udhcpc's script, no SSH files" || bad "NFS: image files: $(ls "$tmp/xn/etc")"
# Only an NFS image has the client: a disk image is as it was.
if ls "$tmp/x/lib/vmcore-modules" | grep -qE -- '-(sunrpc|nfs|nfsv4|lockd)\.ko$'; then
	bad "the disk image has NFS modules: $(ls "$tmp/x/lib/vmcore-modules" | tr '\n' ' ')"
else
	ok "the disk image has no NFS modules ($(stat -c %s "$tmp/a.img") bytes; with NFS and virtio_net: $(stat -c %s "$tmp/n.img"))"
fi
expect "--nfs localhost:/x: the name is looked up now" 0 "export 127.0.0.1:/x \(localhost\)" \
	mk -o "$tmp/n2.img" --nfs localhost:/x
expect "SSH= and --nfs refused" 1 "the dump goes to one remote target" \
	mk --config "$scf" -o "$tmp/c.img" --nfs 10.0.2.2:/x
expect "--nfs without an export path refused" 1 "--nfs is SERVER:/EXPORT, not 'nas'" \
	mk -o "$tmp/c.img" --nfs nas
expect "--nfs with a name that does not resolve" 1 "cannot look up an IPv4 address for no-such-host.invalid" \
	mk -o "$tmp/c.img" --nfs no-such-host.invalid:/x
expect "bad --nfs-options refused" 1 "--nfs-options are mount options" \
	mk -o "$tmp/c.img" --nfs 10.0.2.2:/x --nfs-options 'port=1;reboot'
[ ! -e "$tmp/c.img" ] && ok "NFS refusals write nothing" || bad "c.img written"
expect "options override the configuration" 0 "dumps go to .*\(elf\), then reboot" \
	mk --config "$cf" -o "$tmp/k.img" --force --format elf --then reboot
VMCORE_LOADER_CONFIG=$cf expect "VMCORE_LOADER_CONFIG names it" 0 "then poweroff" \
	mk -o "$tmp/k.img" --force
VMCORE_LOADER_CONFIG=$cf expect "--no-config reads none" 1 "no dump device" \
	mk -o "$tmp/k2.img" --no-config
printf 'DUMP_DIR=/var/crash\nFORMAT=gzip\n' >"$cf"
expect "bad configuration: file and line" 1 "$cf:2: FORMAT='gzip': expected kdump\|elf" \
	mk --config "$cf" -o "$tmp/k2.img" -d /dev/vdb
expect "a named configuration must exist" 1 "configuration file: $tmp/none: No such file" \
	mk --config "$tmp/none" -o "$tmp/k2.img" -d /dev/vdb
[ ! -e "$tmp/k2.img" ] && ok "configuration refusals write nothing" || bad "k2.img written"
unset VMCORE_LOADER

echo "== end to end in QEMU (the x86_64 kdump fixture: $dir)"
# tests/real/make-dump-x86_64.sh booted the Debian kernel with
# crashkernel=256M, armed kdump with our static vmcore-loader (not
# kexec-tools), crashed it with sysrq-c, and the capture kernel ran the
# vmcore-mkinitramfs image, whose /init saved the dump with
# `vmcore-loader save` on an ext4 disk; the host took it out with debugfs.
# run-real.sh checks that gdb through gdbserver-vmcore shows the panic
# backtrace on it; here the loader's part.  The fixture is this commit's:
# its directory's key (tests/real/lib-fixture.sh fixture_key) hashes the
# loader's sources (loader/ with the purgatory, capture-init.sh and
# vmcore-mkinitramfs, libvmcore/, arch/, mk/build.mk, VERSION), so a change
# to load, save, the purgatory or the capture image makes a new dump,
# and what is checked below is what that code did in the guest.
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
# The capture ran with vmcore-mkinitramfs's default configuration: the
# vmcore it saved ($kdump) is kdump-compressed, zstd, dump level 31; the
# fixture's test wrapper saved an ELF copy ($vmcore) after it, from the
# same /proc/vmcore, for the tests that read every page.
kdump=$(m KDUMP)
[ "$(cat "$dir/saved.txt" | tr '\n' ' ')" = "dmesg.txt 100600 $(stat -c %s "$dir/dmesg.txt") vmcore 100600 $(stat -c %s "$kdump") " ] &&
	ok "the disk holds vmcore and dmesg.txt (0600), no vmcore-incomplete" ||
	bad "saved files: $(cat "$dir/saved.txt")"
grep -q '^vmcore-capture: saving to /dev/vda:/crash (kdump, zstd, dump level 31)$' "$console" &&
	grep -qE '^vmcore-loader: kdump-compressed \(zstd, dump level 31\): [0-9]+ of [0-9]+ pages' "$console" &&
	ok "default capture: kdump, zstd, dump level 31 ($(stat -c %s "$kdump") bytes; the ELF copy $(stat -c %s "$vmcore"))" ||
	bad "default capture settings" "$(grep -E '^vmcore-(capture|loader):' "$console")"
[ "$(head -c 8 "$kdump")" = "KDUMP   " ] && ok "the saved vmcore is kdump-compressed" ||
	bad "the saved vmcore is not kdump-compressed"
cmp_ok "our reader: every page the capture kept equals /proc/vmcore's (ELF copy), the rest dump level 31's" \
	--level 31 "$vmcore" "$kdump"
grep -qF "$marker" "$dir/dmesg.txt" && grep -q 'sysrq: Trigger a crash' "$dir/dmesg.txt" &&
	ok "the capture kernel's dmesg.txt has the crashed kernel's log" || bad "guest dmesg.txt"
# The panicking thread's backtrace through the server, symbolic (KASLR).
gdb -nx -batch -ex 'set pagination off' -ex "file $(m VMLINUX)" \
	-ex "target remote | $build/gdbserver-vmcore -q $vmcore" -ex 'bt' \
	>"$tmp/bt" 2>&1 || true
grep -q 'sysrq_handle_crash' "$tmp/bt" && grep -q 'write_sysrq_trigger' "$tmp/bt" &&
	ok "gdb through gdbserver-vmcore: panic backtrace (sysrq_handle_crash <- write_sysrq_trigger)" ||
	bad "gdb bt on the saved vmcore" "$(cat "$tmp/bt")"
gdb -nx -batch -ex 'set pagination off' -ex "file $(m VMLINUX)" \
	-ex "target remote | $build/gdbserver-vmcore -q $kdump" -ex 'bt' \
	>"$tmp/bt" 2>&1 || true
grep -q 'sysrq_handle_crash' "$tmp/bt" && grep -q 'write_sysrq_trigger' "$tmp/bt" &&
	ok "gdb through gdbserver-vmcore on the default capture's kdump: panic backtrace" ||
	bad "gdb bt on the default capture's kdump" "$(cat "$tmp/bt")"
# Independent readers (tests/real/trixie-root.sh: Debian 13's crash and
# drgn, whose kdump reader is libkdumpfile).
trixie=$("$top/tests/real/trixie-root.sh")
"$cmppages" --hash-sample "$vmcore" >"$tmp/pfns"
"$cmppages" --hash-pfns "$kdump" <"$tmp/pfns" >"$tmp/ours" 2>&1 || true
"$trixie/python3" "$top/tests/kdump/drgn_pages.py" "$kdump" <"$tmp/pfns" >"$tmp/drgn" 2>"$tmp/err" || true
n=$(grep -vc ' -$' "$tmp/drgn" || true)
[ "$n" -gt 100 ] && cmp -s "$tmp/ours" "$tmp/drgn" &&
	ok "drgn 0.0.31 reads the default capture's kdump as we do: $(wc -l <"$tmp/pfns") pfns, $n readable" ||
	bad "drgn on the default capture's kdump" "$(diff "$tmp/ours" "$tmp/drgn" | head -n 6; head -n 3 "$tmp/err")"
printf 'bt\nquit\n' | timeout 600 nice "$trixie/crash" -s "$(m VMLINUX)" "$kdump" >"$tmp/crash-bt" 2>&1 || true
grep -q 'COMMAND: "vmcore-crasher"' "$tmp/crash-bt" && grep -q 'sysrq_handle_crash' "$tmp/crash-bt" &&
	ok "crash 8.0.6 bt on the default capture's kdump: the crasher's panic backtrace" ||
	bad "crash bt on the default capture's kdump" "$(tail -n 15 "$tmp/crash-bt")"

echo "== end to end in QEMU: 4 GiB guest, crashkernel=256M, the default capture"
# tests/real/make-dump-x86_64-4g.sh: the same recipe with 4 GiB of RAM and
# no ELF copy; the capture kernel filters and compresses 4 GiB inside its
# 256 MiB reservation.
d4=$("$top/tests/real/make-dump-x86_64-4g.sh")
k4=$(sed -n 's/^KDUMP=//p' "$d4/meta.txt")
line=$(grep -E '^vmcore-loader: kdump-compressed \(zstd, dump level 31\): [0-9]+ of [0-9]+ pages' "$d4/console.log" | head -n 1)
total=$(echo "$line" | sed -n 's/.* of \([0-9]*\) pages.*/\1/p')
[ -n "$total" ] && [ "$total" -gt 900000 ] && grep -q '^vmcore-capture: dump saved; final action: poweroff' "$d4/console.log" &&
	ok "4 GiB: saved in the 256 MiB capture kernel: ${line#vmcore-loader: }" ||
	bad "4 GiB: the capture's save" "$(grep -E '^vmcore-(capture|loader)|Out of memory|oom' "$d4/console.log" | tail -n 8)"
gdb -nx -batch -ex 'set pagination off' -ex "file $(sed -n 's/^VMLINUX=//p' "$d4/meta.txt")" \
	-ex "target remote | $build/gdbserver-vmcore -q $k4" -ex 'bt' >"$tmp/bt4" 2>&1 || true
grep -q 'sysrq_handle_crash' "$tmp/bt4" && grep -q 'write_sysrq_trigger' "$tmp/bt4" &&
	ok "4 GiB: gdb through gdbserver-vmcore: panic backtrace" || bad "4 GiB: gdb bt" "$(tail -n 10 "$tmp/bt4")"
"$cmppages" --hash-sample "$k4" >"$tmp/pfns4"
"$cmppages" --hash-pfns "$k4" <"$tmp/pfns4" >"$tmp/ours4" 2>&1 || true
"$trixie/python3" "$top/tests/kdump/drgn_pages.py" "$k4" <"$tmp/pfns4" >"$tmp/drgn4" 2>"$tmp/err" || true
n=$(grep -vc ' -$' "$tmp/drgn4" || true)
[ "$n" -gt 100 ] && cmp -s "$tmp/ours4" "$tmp/drgn4" &&
	ok "4 GiB: drgn 0.0.31 reads the kdump as we do: $(wc -l <"$tmp/pfns4") pfns, $n readable" ||
	bad "4 GiB: drgn" "$(diff "$tmp/ours4" "$tmp/drgn4" | head -n 6; head -n 3 "$tmp/err")"

echo "loader tests: $pass passed, $fail failed"
[ "$fail" = 0 ]
