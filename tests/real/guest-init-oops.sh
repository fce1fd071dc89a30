#!/bin/sh
# /init of the first kernel in make-dump-x86_64-oops.sh (busybox ash).
#
# One QEMU run makes one dump per crash of the test module vmcore_oops
# (tests/real/oops-module): the capture initramfs saves each dump on the
# ext4 virtio disk and reboots, QEMU starts this kernel again, and this
# script picks the first case with no dump yet, by the number of dump
# directories on the disk.  When every case has its dump it powers the
# machine off.  A boot that finds fewer dumps than earlier boots (a crash
# whose dump was not saved) fails, so a broken capture cannot loop.
#
# Each boot loads the virtio modules and vmcore_oops, arms kdump with our
# vmcore-loader, writes a marker naming the case into the kernel log (the
# host maps each saved dump to its case by it), prints metadata lines
# "VMCORE-META CASE_<case>_KEY=VALUE" (and the common ones) on the serial
# console, then writes the case's word to /proc/vmcore-oops from a task
# named vmcore-crasher pinned to CPU 1.  The kernel command line has
# oops=panic panic_on_warn=1.  "VMCORE-FAIL " lines give a reason and
# power the VM off.

PATH=/bin
export PATH

CASES="null timer bug warn overflow"	# the host script's order
DUMP_DIR=crash			# where the capture initramfs saves, on /dev/vda

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

# --- which case ---------------------------------------------------------------
i=0
while [ ! -b /dev/vda ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "no /dev/vda"
	sleep 0.1
done
mkdir -p /mnt
mount -t ext4 /dev/vda /mnt || fail "mount /dev/vda"
saved=0
for d in /mnt/$DUMP_DIR/*/; do
	[ -d "$d" ] && saved=$((saved + 1))
done
# One line per boot: boot N must find N-1 dumps.
echo boot >>/mnt/boots || fail "writing /mnt/boots"
boots=$(grep -c . /mnt/boots)
umount /mnt || fail "umount /mnt"
[ "$boots" = $((saved + 1)) ] ||
	fail "boot $boots finds $saved saved dump(s): a crash was not captured"
# shellcheck disable=SC2086 # word list
set -- $CASES
[ "$saved" -le $# ] || fail "$saved dumps saved, more than the $# cases"
shift "$saved"
if [ $# = 0 ]; then
	echo "VMCORE-OOPS-ALL-SAVED"
	drain_console
	poweroff -f
	sleep 10
	exit 1
fi
case=$1
echo "VMCORE-OOPS-CASE $case"

# --- arm kdump, crash ----------------------------------------------------------
insmod /vmcore_oops.ko || fail "insmod vmcore_oops.ko"
[ -e /proc/vmcore-oops ] || fail "no /proc/vmcore-oops"
echo 0 >/proc/sys/kernel/kptr_restrict || fail "kptr_restrict"
hostname vmcore-guest
vmcore-loader load --kernel /vmlinuz --initrd /capture.cpio.gz ||
	fail "vmcore-loader load"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "kexec_crash_loaded is not 1"

marker="gdbserver-vmcore-marker oops-case=$case $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
echo "$marker" >/dev/kmsg
if grep -qw la57 /proc/cpuinfo; then la57=1; else la57=0; fi

# Only emergency messages reach the console from here on (panic() raises
# the level again), so kernel lines cannot split ours.
dmesg -n 1
echo "VMCORE-META-BEGIN"
meta UNAME_R "$(uname -r)"
meta LA57 "$la57"
meta NR_CPUS_ONLINE "$(grep -c '^processor' /proc/cpuinfo)"
meta CMDLINE "$(cat /proc/cmdline)"
meta "CASE_${case}_MARKER" "$marker"
# /proc/modules: name size refcount deps state address
# shellcheck disable=SC2046 # word splitting wanted
set -- $(grep '^vmcore_oops ' /proc/modules)
[ $# -ge 6 ] || fail "vmcore_oops not in /proc/modules"
meta "CASE_${case}_MODULE_ADDR" "$6"
for sym in _stext oops_write; do
	meta "CASE_${case}_KSYM_$sym" \
		"$(awk -v s="$sym" '$3 == s { print "0x" $1; exit }' /proc/kallsyms)"
done

# The crasher: a copy of busybox named vmcore-crasher running ash, pinned
# to CPU 1 (taskset's affinity survives the exec); ash's builtin echo
# writes the word with one write(2) from its own buffer.  Every case
# crashes inside that write: "timer" spins in the kernel until its timer
# interrupt comes 10 ms later.
# shellcheck disable=SC2016 # expanded by the crasher, not here
crasher='
	c=$1
	read -r stat </proc/self/stat
	set -- $stat	# word splitting wanted
	shift 38
	cpu=$1
	echo "VMCORE-META CASE_${c}_CRASHER_PID=$$"
	echo "VMCORE-META CASE_${c}_CRASHER_CPU=$cpu"
	echo "VMCORE-META-END"
	[ "$cpu" = 1 ] || { echo "VMCORE-FAIL crasher on CPU $cpu"; exit 1; }
	stty -F /dev/console opost || { echo "VMCORE-FAIL console drain"; exit 1; }
	echo "$c" >/proc/vmcore-oops
	sleep 10
'
# shellcheck disable=SC2016
taskset -c 1 sh -c 'exec -a sh /bin/vmcore-crasher -c "$1" sh "$2"' \
	sh "$crasher" "$case"
fail "still alive after writing '$case' to /proc/vmcore-oops"
