#!/bin/sh
# Make (or reuse) a REAL kdump of a Debian 12 "cloud-amd64" 6.1 kernel
# that panicked in hard-interrupt context, on the IRQ stack.
#
# Usage: tests/real/make-dump-x86_64-irq.sh [--print-dir]
#
# Like make-dump-x86_64.sh (QEMU TCG, 2 CPUs, 4-level paging, kdump armed
# with our vmcore-loader, the dump saved by the vmcore-mkinitramfs capture
# initramfs on an ext4 virtio disk), but the guest (guest-init-irq.sh) only
# sleeps, and the host crashes it from the serial console: a BREAK then
# 'c' (serial-sysrq.py through QEMU's telnet chardev) is sysrq-c, which the
# 8250 driver runs in its interrupt handler, on the IRQ stack of the CPU
# that took the interrupt.  The build fails unless the kernel's own panic
# backtrace (the saved dmesg.txt) shows sysrq_handle_crash inside <IRQ>.
# The dump goes to
#   ${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/dumps/<kver>-x86_64-irq-v<FIXTURE_VERSION>-k<key>/
# The only thing printed on stdout is that directory; progress goes to
# stderr.  A complete dump (its "done" stamp exists) is reused.
#
#   --print-dir    only print the directory; exit 0 if it holds a complete
#                  dump, 1 if not (nothing is built or downloaded)
#
# Environment: as make-dump-x86_64.sh (VMCORE_KVER, VMCORE_KEEP_BUILD,
# VMCORE_LOADER_STATIC).  See tests/real/README.md.
set -eu

# Bump whenever the recipe changes in a way that changes the dumps.
FIXTURE_VERSION=1

QEMU_TIMEOUT=600	# seconds, for the whole two-boot run
READY_TIMEOUT=300	# seconds until the guest says it is ready
GUEST_MEM=1G
CRASHKERNEL=256M
DISK_SIZE=2G		# sparse ext4 image; must hold /proc/vmcore
DUMP_DIR=crash		# where on it the capture initramfs saves

prog=make-dump-x86_64-irq
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-x86_64.sh"

levels=4
qemu_cpu=max,la57=off
print_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--print-dir) print_only=1; shift ;;
	-h|--help) usage 0 ;;
	*) log "unknown argument '$1'"; usage ;;
	esac
done

pick_kver $print_only
dumpkind=$kver-x86_64-irq-v$FIXTURE_VERSION
loader=${VMCORE_LOADER_STATIC:-}
if [ -n "$loader" ]; then
	[ -f "$loader" ] || die "VMCORE_LOADER_STATIC=$loader: no such file"
	dumpkind=$dumpkind-static$(sha256sum <"$loader" | cut -c1-12)
fi
# shellcheck disable=SC2086 # word lists
fixture_dir "$dumpkind" $X86_64_FIXTURE_FILES $LOADER_SOURCES \
	tests/real/guest-init-irq.sh tests/real/serial-sysrq.py
print_or_reuse $print_only

need apt-get dpkg-deb tar cpio gzip xz readelf od dd timeout flock \
	qemu-system-x86_64 busybox mke2fs debugfs modinfo make python3
need_static_busybox
lock_cache
fetch_kernel

qemu_pid=""
cleanup_more() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
}

# --------------------------------------------------------------------------
log "building the IRQ-context dump for $kver (QEMU TCG, this takes a minute)"
start_work
new_tree $VIRTIO_MODULES
cp "$here/guest-init-irq.sh" "$tree/init"
chmod 755 "$tree/init"

loader_images

# --------------------------------------------------------------------------
disk=$work/disk.img
truncate -s "$DISK_SIZE" "$disk"
mke2fs -q -t ext4 -F -L vmcore-dumps "$disk" || die "mke2fs $disk failed"
console=$work/console.log
sock=$work/serial.sock

log "booting QEMU (-cpu $qemu_cpu); console in $console"
# The serial port is a telnet server on a Unix socket (a telnet BREAK is a
# UART break for QEMU) and logs everything the guest writes to $console.
timeout "$QEMU_TIMEOUT" qemu-system-x86_64 \
	-M q35 -accel tcg -cpu "$qemu_cpu" -smp 2 -m "$GUEST_MEM" \
	-nodefaults -display none -no-reboot \
	-chardev "socket,id=ser0,path=$sock,server=on,wait=off,telnet=on,logfile=$console" \
	-serial chardev:ser0 \
	-kernel "$vmlinuz" -initrd "$work/main.cpio.gz" \
	-append "console=ttyS0 crashkernel=$CRASHKERNEL panic=-1" \
	-drive "file=$disk,format=raw,if=virtio" \
	</dev/null >&2 &
qemu_pid=$!
src=0
python3 "$here/serial-sysrq.py" "$sock" "$READY_TIMEOUT" || src=$?
qrc=0
wait "$qemu_pid" || qrc=$?
qemu_pid=""

[ $qrc != 124 ] || { show_console "$console"; die "QEMU timed out after ${QEMU_TIMEOUT}s"; }
[ $qrc = 0 ] || { show_console "$console"; die "QEMU failed (exit status $qrc)"; }
if grep -q '^VMCORE-FAIL' "$console"; then
	show_console "$console"
	die "guest: $(grep '^VMCORE-FAIL' "$console" | head -n 1 | tr -d '\r')"
fi
[ $src = 0 ] || { show_console "$console"; die "could not send sysrq-c on the serial console"; }
tr -d '\r' <"$console" >"$work/console.log.tmp"
mv "$work/console.log.tmp" "$console"
grep -q '^vmcore-capture: dump saved; final action: poweroff' "$console" ||
	{ show_console "$console"; die "the capture initramfs did not save the dump"; }

# What `vmcore-loader save` left on the disk (as make-dump-x86_64.sh checks
# it): one dump directory with vmcore and dmesg.txt.
dfs() { debugfs -R "$1" "$disk" 2>/dev/null; }
dfs "ls -p /$DUMP_DIR" | awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $3, $6 }' \
	>"$work/dirs"
[ "$(grep -c . "$work/dirs")" = 1 ] || die "expected one dump directory in /$DUMP_DIR: $(cat "$work/dirs")"
read -r mode saved_name <"$work/dirs"
dfs "ls -p /$DUMP_DIR/$saved_name" | awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $6, $3, $7 }' |
	LC_ALL=C sort >"$work/saved.txt"
[ "$(cut -d' ' -f1 "$work/saved.txt" | tr '\n' ' ')" = "dmesg.txt vmcore " ] ||
	die "the dump directory holds: $(cat "$work/saved.txt")"
vmcore_size=$(awk '$1 == "vmcore" { print $3 }' "$work/saved.txt")
case $vmcore_size in
''|*[!0-9]*|0) die "bad vmcore size in: $(cat "$work/saved.txt")" ;;
esac
dfs "cat /$DUMP_DIR/$saved_name/vmcore" |
	dd of="$work/vmcore" bs=1M iflag=fullblock conv=sparse status=none
dfs "cat /$DUMP_DIR/$saved_name/dmesg.txt" >"$work/dmesg.txt"
rm -f "$disk" "$work/main.cpio.gz" "$work/capture.cpio.gz" "$work/dirs" "$sock"
[ "$(stat -c %s "$work/vmcore")" = "$vmcore_size" ] || die "short vmcore copy"

# --------------------------------------------------------------------------
# The dump, with binutils only.
vmcore=$work/vmcore
check_kdump_notes

meta_raw=$work/meta.guest
sed -n 's/^VMCORE-META \([A-Za-z0-9_]*=.*\)$/\1/p' "$console" >"$meta_raw"
for k in UNAME_R MARKER LA57 NR_CPUS_ONLINE KSYM__stext KSYM_sysrq_handle_crash; do
	[ -n "$(gm $k)" ] || die "guest metadata lacks $k"
done
[ "$(gm UNAME_R)" = "$kver" ] || die "guest ran $(gm UNAME_R), not $kver"
[ "$(gm LA57)" = 0 ] || die "guest LA57=$(gm LA57), wanted 4-level paging"
check_marker "$vmcore"
grep -qF "$(gm MARKER)" "$work/dmesg.txt" ||
	die "the saved dmesg.txt lacks the marker $(gm MARKER)"

# The proof that the panic ran in hard-interrupt context: the kernel's own
# backtrace of the panic (its ORC unwinder, at crash time) has
# sysrq_handle_crash between <IRQ> and </IRQ>, called from the 8250
# interrupt handler.  Its reliable lines (not "? ") go to panic-trace.txt
# for the check scripts, with the CPU, pid and comm of the panic.
# The trace goes on below the entry code's pt_regs: "RIP: 0010:FUNC+..."
# names the interrupted function, then come register lines and its
# callers, to </TASK>.
sed 's/^\[ *[0-9.]*\] //' "$work/dmesg.txt" |
	awk '/^Kernel panic - not syncing: sysrq triggered crash/ { p = 1 }
	     p && /^Call Trace:/ { t = 1; next }
	     !t { next }
	     /^RIP: [0-9a-f]+:/ { print $2; next }
	     /^ *(Code|RSP|RAX|RDX|RBP|R10|R13|FS|CS|CR2|DR[0-7]|PKRU|ORIG_RAX):/ { next }
	     /^ *<\/TASK>$/ || /^(Kernel Offset|---\[)/ { exit }
	     { sub(/^ +/, ""); print }' |
	sed 's/^[0-9a-f]*:\([A-Za-z_]\)/\1/' >"$work/panic-trace.txt"
grep -q . "$work/panic-trace.txt" || die "no panic call trace in dmesg.txt"
awk '$0 == "<IRQ>" { irq = 1 } $0 == "</IRQ>" { irq = 0 }
     irq && /^sysrq_handle_crash\+/ { crash = 1 }
     irq && crash && /^serial8250_(interrupt|handle_irq)/ { ok = 1 }
     END { exit !ok }' "$work/panic-trace.txt" ||
	die "sysrq-c did not run in interrupt context: $(tr '\n' ' ' <"$work/panic-trace.txt")"
panic_line=$(sed -n '/Kernel panic - not syncing: sysrq triggered crash/{n;p;q}' "$work/dmesg.txt" |
	sed 's/^\[ *[0-9.]*\] //')
panic_cpu=$(echo "$panic_line" | sed -n 's/^CPU: \([0-9]*\) PID: \([0-9]*\) Comm: \([^ ]*\) .*/\1/p')
panic_pid=$(echo "$panic_line" | sed -n 's/^CPU: \([0-9]*\) PID: \([0-9]*\) Comm: \([^ ]*\) .*/\2/p')
panic_comm=$(echo "$panic_line" | sed -n 's/^CPU: \([0-9]*\) PID: \([0-9]*\) Comm: \([^ ]*\) .*/\3/p')
[ -n "$panic_cpu" ] && [ -n "$panic_pid" ] ||
	die "no 'CPU: N PID: P Comm: C' line after the panic: $panic_line"
case ,$prs_pids, in
*,"$panic_pid",*) ;;
*) die "no NT_PRSTATUS carries the panic's pid $panic_pid (pids: $prs_pids)" ;;
esac

{
	meta_common "kdump of a panic in hard-interrupt context (serial sysrq-c)"
	echo "DUMP_KIND=kdump-irq"
	echo "VMCORE=$dumpdir/vmcore"
	echo "VMCORE_SIZE=$vmcore_size"
	echo "SAVED_DMESG=$dumpdir/dmesg.txt"
	echo "PANIC_TRACE=$dumpdir/panic-trace.txt"
	echo "KERNELOFFSET=0x$kernel_offset"
	echo "PRSTATUS_PIDS=$prs_pids"
	echo "PANIC_CPU=$panic_cpu"
	echo "PANIC_PID=$panic_pid"
	echo "PANIC_COMM=$panic_comm"
	cat "$meta_raw"
} >"$work/meta.txt"
rm -f "$meta_raw"

publish
