#!/bin/sh
# /init of the guest initramfs built by make-dump-x86_64.sh and
# make-qemu-dumps-x86_64.sh (busybox ash).
#
# The same file serves both boots of the kdump run:
#   * first kernel ("crash" stage): load the virtio modules, arm kdump with
#     kexec_file_load (our vmcore-loader when the initramfs has it, else
#     kexec-tools), start a named sleeping task, print a metadata block on
#     the serial console, then panic from a named task pinned to CPU 1;
#   * capture kernel (/proc/vmcore exists): copy /proc/vmcore to the raw
#     virtio disk /dev/vda and power off.  (With vmcore-loader the capture
#     initramfs is vmcore-mkinitramfs's and this file is not in it.)
# With "vmcore_fixture=qemu" on the kernel command line (QEMU
# dump-guest-memory fixtures) the crash stage loads no crash kernel, so the
# kernel stays in panic() until the host has dumped it.  With
# "vmcore_kexec=elf32" or "vmcore_kexec=elf64" (i386, which has no
# kexec_file_load) the crash kernel is loaded with kexec_load and kexec
# writes ELF32 or ELF64 core headers.
#
# Every line the host parses starts with "VMCORE-META " (KEY=VALUE) or
# "VMCORE-FAIL " (a reason).  Any failure powers the VM off so the host
# notices at once instead of waiting for its timeout.

PATH=/bin
export PATH

CAPTURE_CMDLINE="console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=-1"
GUEST_HOSTNAME=vmcore-guest	# set when our loader arms kdump
loaded_by=""
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

case " $(cat /proc/cmdline) " in
*" vmcore_fixture=qemu "*) qemu_mode=1 ;;
*) qemu_mode=0 ;;
esac
# How kexec loads the crash kernel: -s is kexec_file_load (the kernel
# builds the ELF core header), else kexec_load with the header class given.
case " $(cat /proc/cmdline) " in
*" vmcore_kexec=elf32 "*) kexec_load_opt=--elf32-core-headers ;;
*" vmcore_kexec=elf64 "*) kexec_load_opt=--elf64-core-headers ;;
*) kexec_load_opt=-s ;;
esac
# With "vmcore_loader=ours" and elf32/elf64: our vmcore-loader's kexec_load
# path (its own core header, boot_params and purgatory) instead of kexec.
case " $(cat /proc/cmdline) " in
*" vmcore_loader=ours "*) ours_kexec_load=1 ;;
*) ours_kexec_load=0 ;;
esac

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
crash_stage() {
	# Let unprivileged-looking readers (and us) see real addresses.
	echo 0 >/proc/sys/kernel/kptr_restrict || fail "kptr_restrict"

	if [ $qemu_mode = 1 ]; then
		# No crash kernel: panic() must not leave.
		[ "$(cat /sys/kernel/kexec_crash_loaded)" = 0 ] ||
			fail "kexec_crash_loaded is not 0"
	elif [ -x /bin/vmcore-loader ] && [ "$kexec_load_opt" = -s ]; then
		# Our own loader (kexec_file_load) with its default capture
		# command line; the capture initramfs (vmcore-mkinitramfs)
		# saves the dump with `vmcore-loader save` on an ext4 disk.
		hostname "$GUEST_HOSTNAME"
		echo "vmcore-guest: vmcore-loader status before load:"
		if vmcore-loader status; then fail "status says ready before load"; fi
		vmcore-loader load --kernel /vmlinuz --initrd /capture.cpio.gz ||
			fail "vmcore-loader load"
		# unload, and load again: the state must follow.
		vmcore-loader unload || fail "vmcore-loader unload"
		[ "$(cat /sys/kernel/kexec_crash_loaded)" = 0 ] ||
			fail "kexec_crash_loaded is not 0 after unload"
		echo "vmcore-guest: vmcore-loader status after unload:"
		if vmcore-loader status; then fail "status says ready after unload"; fi
		vmcore-loader load --kernel /vmlinuz --initrd /capture.cpio.gz ||
			fail "vmcore-loader load (again)"
		echo "vmcore-guest: vmcore-loader status after load:"
		vmcore-loader status || fail "status says not ready after load"
		[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] ||
			fail "kexec_crash_loaded is not 1"
		loaded_by=vmcore-loader
	elif [ "$ours_kexec_load" = 1 ]; then
		# Our kexec_load path, as kexec -p is used below; load, unload
		# and load again, the state must follow.  The dry run prints
		# the segments and the command line for the console log.
		hostname "$GUEST_HOSTNAME"
		set -- --kexec-load "$kexec_load_opt" --kernel /vmlinuz \
			--initrd /capture.cpio.gz --command-line "$CAPTURE_CMDLINE"
		vmcore-loader load --dry-run "$@" || fail "vmcore-loader load --dry-run"
		vmcore-loader load "$@" || fail "vmcore-loader load --kexec-load"
		[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] ||
			fail "kexec_crash_loaded is not 1 after load"
		vmcore-loader unload || fail "vmcore-loader unload"
		[ "$(cat /sys/kernel/kexec_crash_loaded)" = 0 ] ||
			fail "kexec_crash_loaded is not 0 after unload"
		vmcore-loader load "$@" || fail "vmcore-loader load --kexec-load (again)"
		[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] ||
			fail "kexec_crash_loaded is not 1"
		loaded_by=vmcore-loader-kexec-load
	else
		# kexec_file_load (-s): the kernel itself builds elfcorehdr= and
		# the purgatory; with kexec_load, kexec does.  The capture kernel
		# is the same vmlinuz.
		kexec -p "$kexec_load_opt" /vmlinuz --initrd=/capture.cpio.gz \
			--append="$CAPTURE_CMDLINE" || fail "kexec -p"
		[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] ||
			fail "kexec_crash_loaded is not 1"
		loaded_by=kexec
	fi

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

	if grep -qw la57 /proc/cpuinfo; then la57=1; else la57=0; fi

	# From here on only emergency messages reach the console (panic()
	# raises the level again), so kernel lines cannot split ours.
	dmesg -n 1
	echo "VMCORE-META-BEGIN"
	meta UNAME_R "$(uname -r)"
	meta MARKER "$marker"
	meta SLEEPER_PID "$sleeper_pid"
	meta SLEEPER_COMM vmcore-sleeper
	meta LA57 "$la57"
	meta KEXEC_LOAD "$kexec_load_opt"
	meta NR_CPUS_ONLINE "$(grep -c '^processor' /proc/cpuinfo)"
	meta CMDLINE "$(cat /proc/cmdline)"
	if [ $qemu_mode = 1 ]; then
		# qemu_fw_cfg gave QEMU's vmcoreinfo device the VMCOREINFO note's
		# address if this file exists (-device vmcoreinfo).
		if [ -e /sys/firmware/qemu_fw_cfg/by_name/etc/vmcoreinfo ]; then
			meta FW_CFG_VMCOREINFO 1
		else
			meta FW_CFG_VMCOREINFO 0
		fi
	elif [ "$loaded_by" = vmcore-loader ]; then
		meta LOADED_BY vmcore-loader
		meta HOSTNAME "$(hostname)"
		meta CAPTURE_CMDLINE "$(vmcore-loader load --dry-run \
			--kernel /vmlinuz --initrd /capture.cpio.gz |
			sed -n 's/^command line //p')"
	elif [ "$loaded_by" = vmcore-loader-kexec-load ]; then
		meta LOADED_BY "$loaded_by"
		meta HOSTNAME "$(hostname)"
		meta CAPTURE_CMDLINE "$(vmcore-loader load --dry-run "$@" |
			sed -n 's/^command line //p')"
	else
		meta LOADED_BY kexec
		meta CAPTURE_CMDLINE "$CAPTURE_CMDLINE"
	fi
	# /proc/modules: name size refcount deps state address
	# shellcheck disable=SC2046 # word splitting wanted
	set -- $(grep '^virtio_blk ' /proc/modules)
	[ $# -ge 6 ] || fail "virtio_blk not in /proc/modules"
	meta VIRTIO_BLK_MODULE_SIZE "$2"
	meta NR_MODULES "$(grep -c . /proc/modules)"
	meta VIRTIO_BLK_MODULE_ADDR "$6"
	# Addresses are all printed as 0x<hex> (kallsyms has no 0x prefix).
	meta VIRTIO_BLK_THIS_MODULE \
		"$(awk '$3 == "__this_module" && $4 == "[virtio_blk]" { print "0x" $1; exit }' /proc/kallsyms)"
	# Data symbols are empty without CONFIG_KALLSYMS_ALL (686-pae).
	for sym in _stext _etext linux_banner init_uts_ns init_task \
		sysrq_handle_crash write_sysrq_trigger panic; do
		meta "KSYM_$sym" \
			"$(awk -v s="$sym" '$3 == s && NF == 3 { print "0x" $1; exit }' /proc/kallsyms)"
	done
	# linux_banner as the kernel prints it (the release string).
	meta PROC_VERSION "$(cat /proc/version)"

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
