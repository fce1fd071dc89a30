#!/bin/sh
# /init of the guest initramfs built by make-dump-aarch64.sh (busybox ash).
# The aarch64 sibling of guest-init.sh; the host parses the same lines.
#
# The same file serves both boots of the kdump run:
#   * first kernel ("crash" stage): load the virtio modules, arm kdump with
#     kexec_load (the Debian arm64 kernel has no kexec_file_load), start a
#     named sleeping task, print a metadata block on the serial console,
#     then panic from a named task pinned to CPU 1;
#   * capture kernel (/proc/vmcore exists): copy /proc/vmcore to the raw
#     virtio disk /dev/vda and power off.
#
# Every line the host parses starts with "VMCORE-META " (KEY=VALUE) or
# "VMCORE-FAIL " (a reason).  Any failure powers the VM off so the host
# notices at once instead of waiting for its timeout.

PATH=/bin:/sbin
export PATH

CAPTURE_CMDLINE="console=ttyAMA0 irqpoll nr_cpus=1 reset_devices panic=-1"
DATA_OFFSET_MIB=1	# must match the host script: vmcore bytes start at 1 MiB

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
mkdir -p /tmp
mount -t tmpfs tmpfs /tmp

# The host stored the virtio modules (decompressed) as /modules/NN-name.ko
# in dependency order; the glob sorts them.
for m in /modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || fail "insmod $m"
done

# ---------------------------------------------------------------------------
capture_stage() {
	echo "vmcore-capture: capture kernel $(uname -r) is up"
	size=$(stat -c %s /proc/vmcore) || fail "stat /proc/vmcore"
	[ "$size" -gt 0 ] || fail "/proc/vmcore is empty"
	# A broken ELF core header (e.g. a PT_LOAD at 2^64 - 1) shows up as a
	# vmcore far larger than the machine: refuse it here.
	[ "$size" -lt 17179869184 ] || fail "/proc/vmcore has $size bytes"

	# The disk node appears asynchronously after virtio_blk probes.
	i=0
	while [ ! -b /dev/vda ]; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "no /dev/vda"
		sleep 0.1
	done

	echo "vmcore-capture: copying $size bytes of /proc/vmcore to /dev/vda"
	dd if=/proc/vmcore of=/dev/vda bs=1M seek=$DATA_OFFSET_MIB 2>/dev/null ||
		fail "dd /proc/vmcore"
	sync
	# The header goes last: its presence means the data is complete.
	printf 'GDBSERVER-VMCORE-DISK\nSIZE=%s\nOFFSET_MIB=%s\nEND\n' \
		"$size" "$DATA_OFFSET_MIB" >/dev/vda || fail "write header"
	sync
	echo "VMCORE-CAPTURE-DONE size=$size"
	drain_console
	poweroff -f
	sleep 10
	exit 1
}

# ---------------------------------------------------------------------------
# kexec-tools' arm64 kexec_load reads _text from /proc/kallsyms: for the
# kernel-image PT_LOAD of the ELF core header it builds (kern_vaddr_start;
# without _text it becomes 2^64 - 1 and /proc/vmcore a ~2^64-byte file),
# to place "Kernel code" of /proc/iomem, and for PAGE_OFFSET.  Linux 6.1
# arm64 has no _text in kallsyms.  _text is a fixed distance below _stext
# (the vmlinux's own link addresses, which KASLR shifts together); the
# host measured it in System.map and stored it in /text_to_stext.  Give
# kexec a /proc/kallsyms that has the line, through a bind mount.
kallsyms_with_text() {
	delta=$(cat /text_to_stext) || fail "no /text_to_stext"
	stext=$(awk '$3 == "_stext" && NF == 3 { print $1; exit }' /proc/kallsyms)
	[ -n "$stext" ] || fail "no _stext in /proc/kallsyms"
	if awk '$3 == "_text" && NF == 3 { f = 1 } END { exit !f }' /proc/kallsyms; then
		meta KALLSYMS_TEXT_ADDED 0
		return
	fi
	text=$(printf '%016x' $((0x$stext - delta)))
	{ echo "$text T _text"; cat /proc/kallsyms; } >/tmp/kallsyms ||
		fail "writing /tmp/kallsyms"
	mount -o bind /tmp/kallsyms /proc/kallsyms || fail "bind-mount kallsyms"
	[ "$(awk '$3 == "_text" { print $1; exit }' /proc/kallsyms)" = "$text" ] ||
		fail "bind-mounted /proc/kallsyms has no _text"
	meta KALLSYMS_TEXT_ADDED 1
	meta KSYM__text "0x$text"
}

crash_stage() {
	# Let unprivileged-looking readers (and us) see real addresses.
	echo 0 >/proc/sys/kernel/kptr_restrict || fail "kptr_restrict"

	kallsyms_with_text
	kexec -p /vmlinuz --initrd=/capture.cpio.gz \
		--append="$CAPTURE_CMDLINE" || fail "kexec -p"
	[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] ||
		fail "kexec_crash_loaded is not 1"
	umount /proc/kallsyms || fail "umount /proc/kallsyms"

	# A unique line in the kernel log buffer, for log-extraction tests.
	marker="gdbserver-vmcore-marker $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	echo "$marker" >/dev/kmsg

	# A long-sleeping task with a recognisable comm: the kernel names a task
	# after the file it executes, while busybox picks its applet from argv[0].
	# shellcheck disable=SC3038 # busybox ash has exec -a
	exec -a sleep /bin/vmcore-sleeper 100000 &
	sleeper_pid=$!
	i=0
	until [ "$(cat "/proc/$sleeper_pid/comm" 2>/dev/null)" = vmcore-sleeper ]; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "sleeper pid $sleeper_pid is not vmcore-sleeper"
		sleep 0.1
	done

	# Pointer authentication as the kernel sees it (hwcaps of EL0 follow
	# the CPU's; the kernel signs its own return addresses when it has it).
	if grep -qw paca /proc/cpuinfo; then pauth=1; else pauth=0; fi

	# From here on only emergency messages reach the console (panic()
	# raises the level again), so kernel lines cannot split ours.
	dmesg -n 1
	echo "VMCORE-META-BEGIN"
	meta UNAME_R "$(uname -r)"
	meta MARKER "$marker"
	meta SLEEPER_PID "$sleeper_pid"
	meta SLEEPER_COMM vmcore-sleeper
	meta PAUTH "$pauth"
	meta NR_CPUS_ONLINE "$(grep -c '^processor' /proc/cpuinfo)"
	meta CMDLINE "$(cat /proc/cmdline)"
	meta CAPTURE_CMDLINE "$CAPTURE_CMDLINE"
	# /proc/modules: name size refcount deps state address
	# shellcheck disable=SC2046 # word splitting wanted
	set -- $(grep '^virtio_blk ' /proc/modules)
	[ $# -ge 6 ] || fail "virtio_blk not in /proc/modules"
	meta VIRTIO_BLK_MODULE_SIZE "$2"
	meta NR_MODULES "$(grep -c . /proc/modules)"
	meta VIRTIO_BLK_MODULE_ADDR "$6"
	# Debian's arm64 kernel has no CONFIG_KALLSYMS_ALL: kallsyms lists
	# code only.  struct module is all of its .gnu.linkonce.this_module
	# section, whose address sysfs shows.
	meta VIRTIO_BLK_THIS_MODULE \
		"$(cat /sys/module/virtio_blk/sections/.gnu.linkonce.this_module)"
	# Addresses are all printed as 0x<hex> (kallsyms has no 0x prefix).
	for sym in _stext _etext sysrq_handle_crash panic el0_svc; do
		meta "KSYM_$sym" \
			"$(awk -v s="$sym" '$3 == s && NF == 3 { print "0x" $1; exit }' /proc/kallsyms)"
	done

	# The crasher: a copy of busybox named vmcore-crasher running ash,
	# pinned to CPU 1 (taskset's affinity survives the exec).  It reports
	# its own pid and CPU, waits for the UART to drain, then panics the
	# kernel from its own context ("echo" is an ash builtin).
	# shellcheck disable=SC2016 # expanded by the crasher, not here
	crasher='
		read -r stat </proc/self/stat
		set -- $stat	# word splitting wanted
		shift 38
		cpu=$1
		echo "VMCORE-META CRASHER_PID=$$"
		echo "VMCORE-META CRASHER_COMM=$(cat /proc/$$/comm)"
		echo "VMCORE-META CRASHER_CPU=$cpu"
		echo "VMCORE-META-END"
		[ "$cpu" = 1 ] || { echo "VMCORE-FAIL crasher on CPU $cpu"; exit 1; }
		stty -F /dev/console opost || { echo "VMCORE-FAIL console drain"; exit 1; }
		echo c >/proc/sysrq-trigger
	'
	# shellcheck disable=SC2016
	taskset -c 1 sh -c 'exec -a sh /bin/vmcore-crasher -c "$1"' sh "$crasher"
	fail "still alive after sysrq-c"
}

if [ -e /proc/vmcore ]; then
	capture_stage
else
	crash_stage
fi
