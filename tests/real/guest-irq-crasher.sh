#!/bin/sh
# /bin/vmcore-crasher of the interrupt-context fixtures
# (make-dump-aarch64.sh --irq, make-dump-i386.sh --irq), in place of the
# busybox copy of the other fixtures: guest-init-aarch64.sh and
# guest-init.sh run it as they run the crasher, pinned to CPU 1
# (`/bin/vmcore-crasher -c SCRIPT`, the arguments are not used), and the
# kernel names the task after this file.  It reports itself like the
# crasher does, enables every sysrq function (Debian's default 0x1b6
# refuses sysrq-c from a serial BREAK; /proc/sysrq-trigger ignores the
# mask, the console does not), says VMCORE-IRQ-READY and then sleeps:
# the host crashes the kernel from the serial console (BREAK, then 'c':
# serial-sysrq.py), so sysrq-c runs in the UART driver's interrupt
# handler, in hard-interrupt context, on whichever CPU took the interrupt.

read -r stat </proc/self/stat
# shellcheck disable=SC2086 # word splitting wanted
set -- $stat
shift 38
cpu=$1
echo "VMCORE-META CRASHER_PID=$$"
echo "VMCORE-META CRASHER_COMM=$(cat /proc/$$/comm)"
echo "VMCORE-META CRASHER_CPU=$cpu"
[ "$cpu" = 1 ] || { echo "VMCORE-FAIL crasher on CPU $cpu"; exit 1; }
echo 1 >/proc/sys/kernel/sysrq || { echo "VMCORE-FAIL kernel.sysrq"; exit 1; }
echo "VMCORE-META SYSRQ=$(cat /proc/sys/kernel/sysrq)"
echo "VMCORE-META-END"
echo "VMCORE-IRQ-READY"
while :; do
	sleep 1000
done
