#!/bin/sh
# Make (or reuse) REAL kdumps of a Debian 12 "cloud-amd64" 6.1 kernel
# oopsing in a test module: one dump per crash of tests/real/oops-module
# (vmcore_oops.ko, built here against Debian's linux-headers for that
# kernel), all from one QEMU run.
#
# Usage: tests/real/make-dump-x86_64-oops.sh [--print-dir]
#
# Like make-dump-x86_64-irq.sh (QEMU TCG, 2 CPUs, 4-level paging, kdump
# armed with our vmcore-loader, each dump saved by the vmcore-mkinitramfs
# capture initramfs on an ext4 virtio disk), with the kernel command line
# "oops=panic panic_on_warn=1".  The capture initramfs reboots after
# saving, QEMU starts the first kernel again, and its /init
# (guest-init-oops.sh) crashes it the next way, until every case has its
# dump:
#   null      NULL write in process context (the write(2) to /proc)
#   timer     NULL write in a hard hrtimer callback (in the timer interrupt,
#             on the IRQ stack; the writer spins in the kernel until then)
#   bug       BUG()
#   warn      WARN() with panic_on_warn=1
#   overflow  unbounded recursion: kernel stack overflow, #DF on its IST stack
# The build fails unless each saved dmesg.txt shows the kernel's own report
# of that crash (the function that crashed in its RIP line; <IRQ>, </IRQ>
# and the spinning writer for timer, the invalid-opcode exception for
# bug/warn) and the panic ran in the crasher's pid on CPU 1.
# The dumps go to
#   ${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/dumps/<kver>-x86_64-oops-v<FIXTURE_VERSION>-k<key>/
# with one directory per case (CASE/vmcore, dmesg.txt, panic-trace.txt,
# meta.txt) and the module (vmcore_oops.ko, with its debug info) at the
# top.  The only thing printed on stdout is that directory; progress goes
# to stderr.  A complete set (its "done" stamp exists) is reused.
#
#   --print-dir    only print the directory; exit 0 if it holds a complete
#                  set, 1 if not (nothing is built or downloaded)
#
# Environment: as make-dump-x86_64.sh (VMCORE_KVER, VMCORE_KEEP_BUILD,
# VMCORE_LOADER_STATIC).  See tests/real/README.md.
set -eu

# Bump whenever the recipe changes in a way that changes the dumps.
FIXTURE_VERSION=1

CASES="null timer bug warn overflow"	# as guest-init-oops.sh has them
QEMU_TIMEOUT=900	# seconds, for the whole run (five crashes, five captures)
# Less memory than the other fixtures: each dump is saved in TCG, five
# times.  With KASLR the kernel lands anywhere in RAM and the crash
# kernel's region must fit beside it in one piece: 256M of 512M failed
# one boot in five; 224M of 704M leaves at least 300M on one side.
GUEST_MEM=704M
CRASHKERNEL=224M
DISK_SIZE=4G		# sparse ext4 image; must hold the five dumps
DUMP_DIR=crash		# where on it the capture initramfs saves

prog=make-dump-x86_64-oops
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
dumpkind=$kver-x86_64-oops-v$FIXTURE_VERSION
loader=${VMCORE_LOADER_STATIC:-}
if [ -n "$loader" ]; then
	[ -f "$loader" ] || die "VMCORE_LOADER_STATIC=$loader: no such file"
	dumpkind=$dumpkind-static$(sha256sum <"$loader" | cut -c1-12)
fi
# shellcheck disable=SC2086 # word lists
fixture_dir "$dumpkind" $X86_64_FIXTURE_FILES $LOADER_SOURCES \
	tests/real/guest-init-oops.sh tests/real/oops-module
print_or_reuse $print_only

need apt-get dpkg-deb tar cpio gzip xz readelf od dd timeout flock \
	qemu-system-x86_64 busybox mke2fs debugfs modinfo make python3 gcc-12
need_static_busybox
lock_cache
fetch_kernel

qemu_pid=""
cleanup_more() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
}

# --------------------------------------------------------------------------
# Debian's headers for $kver (linux-headers-$kver, its -common and
# linux-kbuild-6.1), unpacked once beside the kernel: $hdir is the
# directory to build modules against.  Its Makefile includes the -common
# one by absolute path (/usr/src/...): pointed at the unpacked copy.
fetch_headers() {
	hroot=$cache/kernels/$kver-headers
	hdir=$hroot/usr/src/linux-headers-$kver
	[ -e "$hroot/done" ] && return 0
	common=linux-headers-$(echo "$kver" | sed 's/-cloud-amd64$//')-common
	kbuild=linux-kbuild-$(echo "$kver" | sed 's/^\([0-9]*\.[0-9]*\)\..*/\1/')
	h_deb=$(fetch_deb "linux-headers-$kver")
	c_deb=$(fetch_deb "$common")
	k_deb=$(fetch_deb "$kbuild")
	log "unpacking the headers of $kver into $hroot"
	ktmp=$(mktemp -d "$cache/kernels/.unpack.XXXXXX")
	for d in "$h_deb" "$c_deb" "$k_deb"; do
		dpkg-deb -x "$d" "$ktmp" || die "dpkg-deb -x $d failed"
	done
	[ -d "$ktmp/usr/src/$common" ] || die "$c_deb has no usr/src/$common"
	[ -e "$ktmp/usr/src/linux-headers-$kver/scripts/Makefile.build" ] ||
		die "the headers' scripts/ (from $k_deb) are missing"
	printf 'include %s/usr/src/%s/Makefile\n' "$hroot" "$common" \
		>"$ktmp/usr/src/linux-headers-$kver/Makefile"
	date -u +%Y-%m-%dT%H:%M:%SZ >"$ktmp/done"
	rm -rf "$hroot"
	mv "$ktmp" "$hroot"
	ktmp=""
}
fetch_headers

# --------------------------------------------------------------------------
log "building the oops dumps for $kver (QEMU TCG, five crashes: a few minutes)"
start_work
mkdir "$work/module"
cp "$here/oops-module/Kbuild" "$here/oops-module/vmcore_oops.c" "$work/module/"
make -C "$hdir" M="$work/module" modules >"$work/module/build.log" 2>&1 ||
	{ cat "$work/module/build.log" >&2; die "building vmcore_oops.ko failed"; }
ko=$work/vmcore_oops.ko
cp "$work/module/vmcore_oops.ko" "$ko"
rm -rf "$work/module"
[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ] ||
	die "vmcore_oops.ko has vermagic '$(modinfo -F vermagic "$ko")', not $kver"
readelf -SW "$ko" | grep -q ' \.debug_info ' || die "vmcore_oops.ko has no debug info"

new_tree $VIRTIO_MODULES
cp "$here/guest-init-oops.sh" "$tree/init"
chmod 755 "$tree/init"
cp "$ko" "$tree/vmcore_oops.ko"

# The loader images as loader_images makes them, but the capture
# initramfs reboots after saving (the next boot crashes the next way).
# --format elf: the tests read every page of an ELF vmcore (the image's
# default would save kdump-compressed, dump level 31).
if [ -z "$loader" ]; then
	MAKEFLAGS= MAKELEVEL= make -C "$top" --no-print-directory -s \
		BUILD="$work/build" SAN= static >&2 || die "make static failed"
	loader=$work/build/static/vmcore-loader
fi
[ -x "$loader" ] || die "no static vmcore-loader at $loader"
"$top/loader/vmcore-mkinitramfs" -o "$work/capture.cpio.gz" \
	--loader "$loader" --busybox "$busybox_bin" \
	-d /dev/vda -t ext4 -D "$DUMP_DIR" --then reboot --format elf \
	-k "$kver" -m "$moddir" -M virtio_pci -M virtio_blk ||
	die "vmcore-mkinitramfs failed"
cp "$loader" "$tree/bin/vmcore-loader"
cp "$vmlinuz" "$tree/vmlinuz"
cp "$work/capture.cpio.gz" "$tree/capture.cpio.gz"
mk_cpio "$work/main.cpio.gz"
rm -rf "$tree" "$work/build"

# --------------------------------------------------------------------------
disk=$work/disk.img
truncate -s "$DISK_SIZE" "$disk"
mke2fs -q -t ext4 -F -L vmcore-dumps "$disk" || die "mke2fs $disk failed"
console=$work/console.log

ncases=$(echo $CASES | wc -w)
log "booting QEMU (-cpu $qemu_cpu, $ncases crashes); console in $console"
# No -no-reboot: each capture's reboot starts the first kernel again.
timeout "$QEMU_TIMEOUT" qemu-system-x86_64 \
	-M q35 -accel tcg -cpu "$qemu_cpu" -smp 2 -m "$GUEST_MEM" \
	-nodefaults -display none \
	-serial "file:$console" \
	-kernel "$vmlinuz" -initrd "$work/main.cpio.gz" \
	-append "console=ttyS0 crashkernel=$CRASHKERNEL panic=-1 oops=panic panic_on_warn=1" \
	-drive "file=$disk,format=raw,if=virtio" \
	</dev/null >&2 &
qemu_pid=$!
qrc=0
wait "$qemu_pid" || qrc=$?
qemu_pid=""

[ $qrc != 124 ] || { show_console "$console"; die "QEMU timed out after ${QEMU_TIMEOUT}s"; }
[ $qrc = 0 ] || { show_console "$console"; die "QEMU failed (exit status $qrc)"; }
tr -d '\r' <"$console" >"$work/console.log.tmp"
mv "$work/console.log.tmp" "$console"
if grep -q '^VMCORE-FAIL' "$console"; then
	show_console "$console"
	die "guest: $(grep '^VMCORE-FAIL' "$console" | head -n 1)"
fi
grep -q '^VMCORE-OOPS-ALL-SAVED' "$console" ||
	{ show_console "$console"; die "the guest did not get through every case"; }
[ "$(grep -c '^vmcore-capture: dump saved; final action: reboot' "$console")" = "$ncases" ] ||
	{ show_console "$console"; die "expected $ncases saved dumps"; }

meta_raw=$work/meta.guest
sed -n 's/^VMCORE-META \([A-Za-z0-9_]*=.*\)$/\1/p' "$console" >"$meta_raw"
for k in UNAME_R LA57 NR_CPUS_ONLINE; do
	[ -n "$(gm $k)" ] || die "guest metadata lacks $k"
done
[ "$(gm UNAME_R)" = "$kver" ] || die "guest ran $(gm UNAME_R), not $kver"
[ "$(gm LA57)" = 0 ] || die "guest LA57=$(gm LA57), wanted 4-level paging"

# --------------------------------------------------------------------------
# Each dump directory vmcore-loader saved (vmcore and dmesg.txt), into
# $work/CASE by the case its dmesg.txt's marker names.
dfs() { debugfs -R "$1" "$disk" 2>/dev/null; }
dfs "ls -p /$DUMP_DIR" | awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $6 }' \
	>"$work/dirs"
[ "$(grep -c . "$work/dirs")" = "$ncases" ] ||
	die "expected $ncases dump directories in /$DUMP_DIR: $(cat "$work/dirs")"
while read -r saved_name; do
	dfs "ls -p /$DUMP_DIR/$saved_name" |
		awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $6, $3, $7 }' |
		LC_ALL=C sort >"$work/saved.txt"
	[ "$(cut -d' ' -f1 "$work/saved.txt" | tr '\n' ' ')" = "dmesg.txt vmcore " ] ||
		die "$saved_name holds: $(cat "$work/saved.txt")"
	dfs "cat /$DUMP_DIR/$saved_name/dmesg.txt" >"$work/dmesg.tmp"
	case=$(sed -n 's/.*gdbserver-vmcore-marker oops-case=\([a-z]*\) .*/\1/p' \
		"$work/dmesg.tmp" | head -n 1)
	case " $CASES " in
	*" $case "*) ;;
	*) die "$saved_name: its dmesg.txt names no case (marker '$case')" ;;
	esac
	[ ! -e "$work/$case" ] || die "two dumps of the case $case"
	mkdir "$work/$case"
	mv "$work/dmesg.tmp" "$work/$case/dmesg.txt"
	size=$(awk '$1 == "vmcore" { print $3 }' "$work/saved.txt")
	case $size in
	''|*[!0-9]*|0) die "bad vmcore size in: $(cat "$work/saved.txt")" ;;
	esac
	dfs "cat /$DUMP_DIR/$saved_name/vmcore" |
		dd of="$work/$case/vmcore" bs=1M iflag=fullblock conv=sparse status=none
	[ "$(stat -c %s "$work/$case/vmcore")" = "$size" ] || die "short vmcore copy of $case"
	echo "$size" >"$work/$case/size"
done <"$work/dirs"
rm -f "$disk" "$work/main.cpio.gz" "$work/capture.cpio.gz" "$work/dirs" "$work/saved.txt"

# --------------------------------------------------------------------------
# The kernel's own report of the crash in DMESG: the block of its last
# "CPU: N PID: P Comm: C" line (the oops report die() printed before
# crash_kexec(); with panic_on_warn, panic()'s own stack dump, after
# "Kernel panic - not syncing").  Printed: the CPU line, then the frames
# in order: each RIP line's function (CS:FUNC+off/len, or the user pc),
# each call trace entry, the stack markers (<IRQ>, </IRQ>, <TASK>, ...);
# "? " entries (not reliable) and register lines are left out.
kernel_report() {	# kernel_report DMESG
	sed 's/^\[ *[0-9.]*\] //' "$1" | awk '
		{ line[NR] = $0 }
		/^CPU: [0-9]+ PID: [0-9]+ Comm: / { s = NR }
		END {
			if (!s) exit 1
			print line[s]
			for (i = s + 1; i <= NR; i++) {
				l = line[i]
				if (l ~ /^RIP: [0-9a-f]+:/) { sub(/^RIP: [0-9a-f]+:/, "", l); print l; continue }
				sub(/^ +/, "", l)
				if (l ~ /^<\/?[A-Z#]+>$/) { print l; if (l == "</TASK>") exit; continue }
				if (l ~ /^[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+\/0x[0-9a-f]+( \[[A-Za-z0-9_]+\])?$/) print l
			}
		}'
}

# check_case CASE ERE...: each ERE matches a line of CASE's report.
check_case() {
	c=$1
	shift
	for re in "$@"; do
		grep -qE "$re" "$work/$c/panic-trace.txt" ||
			die "$c: the kernel's report has no line matching '$re': $(tr '\n' ' ' <"$work/$c/panic-trace.txt")"
	done
}

for case in $CASES; do
	[ -d "$work/$case" ] || die "no dump of the case $case"
	vmcore=$work/$case/vmcore
	check_kdump_notes
	marker=$(gm "CASE_${case}_MARKER")
	[ -n "$marker" ] || die "guest metadata lacks CASE_${case}_MARKER"
	grep -qaF "$marker" "$vmcore" || die "marker '$marker' not found in $vmcore"
	grep -qF "$marker" "$work/$case/dmesg.txt" || die "$case: dmesg.txt lacks '$marker'"
	kernel_report "$work/$case/dmesg.txt" >"$work/$case/report.txt" ||
		die "$case: no oops or panic report in dmesg.txt"
	head -n 1 "$work/$case/report.txt" >"$work/$case/cpu-line"
	tail -n +2 "$work/$case/report.txt" >"$work/$case/panic-trace.txt"
	rm -f "$work/$case/report.txt"
	# The crash each case is for, as the kernel reported it.  The stack
	# overflow's report unwinds from the faulting context (the #DF
	# handler's pt_regs), so its trace has no <#DF>: its message says
	# the #DF handler found the guard page hit.
	[ "$case" != overflow ] ||
		grep -q '^\[ *[0-9.]*\] BUG: TASK stack guard page was hit at ' "$work/$case/dmesg.txt" ||
		die "overflow: dmesg.txt has no 'BUG: TASK stack guard page was hit'"
	case $case in
	null) check_case null '^oops_null_write\+.* \[vmcore_oops\]$' '^oops_write\+' '^ksys_write\+' ;;
	timer) check_case timer '^<IRQ>$' '^oops_timer_fn\+.* \[vmcore_oops\]$' '^__hrtimer_run_queues\+' \
		'^</IRQ>$' '^oops_timer_wait\+.* \[vmcore_oops\]$' '^oops_write\+' ;;
	bug) check_case bug '^oops_bug\+.* \[vmcore_oops\]$' '^oops_write\+' ;;
	warn) check_case warn '^panic\+' '^asm_exc_invalid_op\+' '^oops_warn\+.* \[vmcore_oops\]$' '^oops_write\+' ;;
	overflow) check_case overflow '^oops_recurse\+.* \[vmcore_oops\]$' '^oops_write\+' ;;
	esac
	cpu_line=$(cat "$work/$case/cpu-line")
	rm -f "$work/$case/cpu-line"
	panic_cpu=$(echo "$cpu_line" | sed -n 's/^CPU: \([0-9]*\) PID: \([0-9]*\) Comm: \([^ ]*\) .*/\1/p')
	panic_pid=$(echo "$cpu_line" | sed -n 's/^CPU: \([0-9]*\) PID: \([0-9]*\) Comm: \([^ ]*\) .*/\2/p')
	panic_comm=$(echo "$cpu_line" | sed -n 's/^CPU: \([0-9]*\) PID: \([0-9]*\) Comm: \([^ ]*\) .*/\3/p')
	[ -n "$panic_cpu" ] && [ -n "$panic_pid" ] || die "$case: bad CPU line: $cpu_line"
	[ "$panic_cpu" = 1 ] || die "$case: the panic ran on CPU $panic_cpu, not the crasher's CPU 1"
	# Every case crashes inside the crasher's write(2), the timer case
	# too (its writer spins until the interrupt).
	[ "$panic_pid" = "$(gm "CASE_${case}_CRASHER_PID")" ] ||
		die "$case: the panic ran in pid $panic_pid, not the crasher's $(gm "CASE_${case}_CRASHER_PID")"
	case ,$prs_pids, in
	*,"$panic_pid",*) ;;
	*) die "$case: no NT_PRSTATUS carries the panic's pid $panic_pid (pids: $prs_pids)" ;;
	esac
	d=$dumpdir/$case
	{
		meta_common "kdump of a test-module oops ($case)"
		echo "DUMP_KIND=kdump-oops"
		echo "CASE=$case"
		echo "VMCORE=$d/vmcore"
		echo "VMCORE_SIZE=$(cat "$work/$case/size")"
		echo "SAVED_DMESG=$d/dmesg.txt"
		echo "PANIC_TRACE=$d/panic-trace.txt"
		echo "MODULE_KO=$dumpdir/vmcore_oops.ko"
		echo "KERNELOFFSET=0x$kernel_offset"
		echo "PRSTATUS_PIDS=$prs_pids"
		echo "PANIC_CPU=$panic_cpu"
		echo "PANIC_PID=$panic_pid"
		echo "PANIC_COMM=$panic_comm"
		grep -v '^CASE_' "$meta_raw" | LC_ALL=C sort -u
		sed -n "s/^CASE_${case}_//p" "$meta_raw"
	} >"$work/$case/meta.txt"
	rm -f "$work/$case/size" "$work/vmcoreinfo.txt"
done
{
	meta_common "kdumps of test-module oopses"
	echo "DUMP_KIND=kdump-oops-set"
	echo "CASES=$CASES"
	echo "MODULE_KO=$dumpdir/vmcore_oops.ko"
} >"$work/meta.txt"
rm -f "$meta_raw"

publish
