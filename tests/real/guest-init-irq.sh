#!/bin/sh
# /init of the first kernel in make-dump-x86_64-irq.sh (busybox ash).
#
# Loads the virtio modules, arms kdump with our vmcore-loader
# (kexec_file_load, its default capture command line; the capture
# initramfs is vmcore-mkinitramfs's), enables every sysrq function, prints
# a metadata block on the serial console and then only sleeps.  The host
# crashes the kernel from the serial console: a BREAK followed by 'c' is
# sysrq-c, handled by the 8250 driver's interrupt handler, so the panic
# runs in hard-interrupt context on the IRQ stack of whichever CPU took
# the interrupt.
#
# Every line the host parses starts with "VMCORE-META " (KEY=VALUE),
# "VMCORE-FAIL " (a reason) or is "VMCORE-IRQ-READY".  Any failure powers
# the VM off so the host notices at once instead of waiting for its
# timeout.

PATH=/bin
export PATH

GUEST_HOSTNAME=vmcore-guest

meta() { echo "VMCORE-META $1=$2"; }

# Wait until the console has sent all that was written to it, before the
# machine goes away: stty's change of settings is a TCSETSW, which the
# kernel carries out only after the tty's output has drained
# (tty_wait_until_sent).  A sleep can be too short on a loaded host.
drain_console() { stty -F /dev/console opost; }

fail() {
	echo "VMCORE-FAIL $*"
	drain_console
	poweroff -f
	sleep 10
	exit 1
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for m in /modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || fail "insmod $m"
done

echo 0 >/proc/sys/kernel/kptr_restrict || fail "kptr_restrict"
hostname "$GUEST_HOSTNAME"
vmcore-loader load --kernel /vmlinuz --initrd /capture.cpio.gz ||
	fail "vmcore-loader load"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "kexec_crash_loaded is not 1"
# Debian's default (0x1b6) does not allow sysrq-c from a keyboard or a
# serial BREAK; /proc/sysrq-trigger ignores the mask, the console does not.
echo 1 >/proc/sys/kernel/sysrq || fail "kernel.sysrq"

marker="gdbserver-vmcore-marker $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
echo "$marker" >/dev/kmsg
if grep -qw la57 /proc/cpuinfo; then la57=1; else la57=0; fi

# Only emergency messages reach the console from here on (panic() raises
# the level again), so kernel lines cannot split ours.
dmesg -n 1
echo "VMCORE-META-BEGIN"
meta UNAME_R "$(uname -r)"
meta MARKER "$marker"
meta LA57 "$la57"
meta NR_CPUS_ONLINE "$(grep -c '^processor' /proc/cpuinfo)"
meta CMDLINE "$(cat /proc/cmdline)"
meta LOADED_BY vmcore-loader
meta HOSTNAME "$(hostname)"
meta SYSRQ "$(cat /proc/sys/kernel/sysrq)"
for sym in _stext linux_banner init_uts_ns sysrq_handle_crash \
	serial8250_interrupt; do
	meta "KSYM_$sym" \
		"$(awk -v s="$sym" '$3 == s && NF == 3 { print "0x" $1; exit }' /proc/kallsyms)"
done
echo "VMCORE-META-END"
echo "VMCORE-IRQ-READY"

# Nothing else runs: both CPUs idle until the host's BREAK.
while :; do
	sleep 1000
done
