#!/bin/sh
# Make (or reuse) a REAL kdump of a Debian 12 "cloud-arm64" 6.1 kernel.
#
# Usage: tests/real/make-dump-aarch64.sh [--irq] [--print-dir]
#
# Boots the kernel in QEMU (qemu-system-aarch64 -M virt -cpu max, TCG; KVM
# is never used), arms kdump with kexec_load (this kernel has no
# kexec_file_load), panics on CPU 1 from a task named "vmcore-crasher",
# lets the capture kernel copy /proc/vmcore to a raw virtio disk, and
# stores the result under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/dumps/<kver>-aarch64-v<FIXTURE_VERSION>-k<key>/
# (<key>: a hash of the fixture scripts; nothing of ours runs in the guest)
# The only thing printed on stdout is that directory; progress goes to stderr.
# A complete dump (its "done" stamp exists) is reused without doing anything.
#
#   --irq          a panic in hard-interrupt context instead: the crasher
#                  only sleeps (guest-irq-crasher.sh) and the host sends
#                  sysrq-c on the serial console (BREAK, 'c': serial-sysrq.py),
#                  which the PL011 driver runs in its interrupt handler, on
#                  the IRQ stack; stored in <kver>-aarch64-irq-v<N>-k<key>/
#                  with the kernel's own panic backtrace (panic-trace.txt)
#   --print-dir    only print the directory; exit 0 if it holds a complete
#                  dump, 1 if not (nothing is built or downloaded)
#
# The guest's userland (busybox-static, kexec-tools and every library it
# needs, all arm64) comes from Debian's arm64 packages, downloaded and
# unpacked, never installed: apt must know the arm64 architecture
# (mk/install-deps.sh test adds it).
#
# Environment: VMCORE_KVER=6.1.0-NN-cloud-arm64 picks the kernel instead of
# the newest one apt knows; VMCORE_KEEP_BUILD=1 keeps a failed build dir.
# See tests/real/README.md.
set -eu

# Bump whenever the recipe changes in a way that changes the dumps.
FIXTURE_VERSION=2

QEMU_TIMEOUT=900	# seconds, for the whole two-boot run
GUEST_MEM=1G
GUEST_MEM_BYTES=1073741824
CRASHKERNEL=256M
DISK_SIZE=2G		# sparse; must hold the 1 MiB header area + /proc/vmcore
DATA_OFFSET_MIB=1	# must match guest-init-aarch64.sh
# -cpu max has pointer authentication; pauth-impdef=on makes QEMU sign with
# its own (fast) algorithm instead of QARMA: the kernel cannot tell.
QEMU_CPU=max,pauth-impdef=on
# Loaded in this order in both kernels (all are modules in the cloud
# kernel); the disk is a virtio-mmio device.
VIRTIO_MODULES="virtio_ring virtio virtio_mmio virtio_blk"
# The guest's userland: arm64 packages, unpacked.
GUEST_PKGS="busybox-static kexec-tools"

prog=make-dump-aarch64
deb_arch=arm64

usage() {
	sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2
	exit "${1:-2}"
}

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib-fixture.sh"
qemu_pid=""
cleanup_more() {
	[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
}

print_only=0
irq=0
while [ $# -gt 0 ]; do
	case $1 in
	--irq) irq=1; shift ;;
	--print-dir) print_only=1; shift ;;
	-h|--help) usage 0 ;;
	*) log "unknown argument '$1'"; usage ;;
	esac
done

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/gdbserver-vmcore

# --------------------------------------------------------------------------
# Which kernel: $VMCORE_KVER, else the newest 6.1.0-NN-cloud-arm64 for which
# apt knows both the -unsigned image and the -dbg package.
newest_kver() {
	apt-cache search --names-only \
		'^linux-image-6\.1\.0-[0-9]+-cloud-arm64-(unsigned|dbg)$' 2>/dev/null |
	awk '{ n = $1; sub(/^linux-image-/, "", n)
	       if (sub(/-unsigned$/, "", n)) u[n] = 1
	       else if (sub(/-dbg$/, "", n)) d[n] = 1 }
	     END { for (k in u) if (k in d) print k }' |
	sort -V | tail -n 1
}

have_arm64() { dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64; }

if [ -n "${VMCORE_KVER:-}" ]; then
	kver=$VMCORE_KVER
	case $kver in
	*[!A-Za-z0-9._+-]*) die "VMCORE_KVER='$kver' is not a kernel version" ;;
	esac
else
	command -v apt-cache >/dev/null || die "apt-cache not found (Debian 12 needed)"
	kver=$(newest_kver)
	if [ -z "$kver" ] && [ $print_only = 0 ]; then
		if ! have_arm64; then
			log "adding the arm64 architecture to dpkg (for apt-get download)"
			$sudo dpkg --add-architecture arm64 || die "dpkg --add-architecture arm64 failed"
		fi
		log "apt knows no linux-image-6.1.0-*-cloud-arm64-dbg; running apt-get update"
		$sudo apt-get update -q >&2 || die "apt-get update failed"
		kver=$(newest_kver)
	fi
	[ -n "$kver" ] || die "no linux-image-6.1.0-NN-cloud-arm64-unsigned with a matching -dbg package in apt (is deb.debian.org bookworm + bookworm-security configured, with arm64 in dpkg --print-foreign-architectures?)"
fi
case $kver in
*-arm64) ;;
*) die "'$kver' is not an arm64 kernel version" ;;
esac

key_files="tests/real/make-dump-aarch64.sh tests/real/lib-fixture.sh
	tests/real/guest-init-aarch64.sh tests/real/busybox-applets"
kind=$kver-aarch64
if [ $irq = 1 ]; then
	kind=$kind-irq
	key_files="$key_files tests/real/guest-irq-crasher.sh tests/real/serial-sysrq.py"
fi
# shellcheck disable=SC2086 # a word list
fixture_dir "$kind-v$FIXTURE_VERSION" $key_files

if [ $print_only = 1 ]; then
	echo "$dumpdir"
	[ -e "$dumpdir/done" ]
	exit
fi
if [ -e "$dumpdir/done" ]; then
	mark_used "$dumpdir"
	echo "$dumpdir"
	exit 0
fi

# --------------------------------------------------------------------------
PATH=$PATH:/usr/sbin:/sbin
need apt-get apt-cache dpkg dpkg-deb tar cpio gzip xz readelf od dd timeout \
	flock qemu-system-aarch64
[ $irq = 0 ] || need python3
have_arm64 || die "dpkg does not know the arm64 architecture; run mk/install-deps.sh test (it runs dpkg --add-architecture arm64 and apt-get update)"

lock_cache guest

fetch_kernel

# The guest userland: GUEST_PKGS and, recursively, the library packages
# they depend on (Depends and Pre-Depends named lib* or zlib*), unpacked
# together.
# Which of those files go into the initramfs is decided below from the
# binaries' own NEEDED entries.
lib_closure() {
	todo=$*
	seen=" "
	while [ -n "$todo" ]; do
		set -- $todo
		p=$1
		shift
		todo=$*
		case $seen in *" $p "*) continue ;; esac
		seen="$seen$p "
		deps=$(apt-cache depends --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces --no-enhances \
			"$p:arm64" 2>/dev/null |
			sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([a-z0-9][^ :<>]*\).*/\2/p' |
			grep -E '^(lib|zlib)' || true)
		todo="$todo $deps"
	done
	echo "$seen"
}

groot=$cache/guest/arm64
pkgs=$(lib_closure $GUEST_PKGS)
[ -n "$pkgs" ] || die "no packages for the guest userland"
# Unpacked again when the package set changes.
if [ ! -e "$groot/done" ] || [ "$(sed -n 's/^PACKAGES=//p' "$groot/done")" != "$pkgs" ]; then
	log "guest userland (arm64):$pkgs"
	ktmp=$(mktemp -d "$cache/guest/.unpack.XXXXXX")
	for p in $pkgs; do
		deb=$(fetch_deb "$p")
		dpkg-deb -x "$deb" "$ktmp" || die "dpkg-deb -x $deb failed"
		echo "$(basename "$deb")" >>"$ktmp/packages"
	done
	[ -x "$ktmp/bin/busybox" ] || die "busybox-static:arm64 has no bin/busybox"
	[ -x "$ktmp/sbin/kexec" ] || die "kexec-tools:arm64 has no sbin/kexec"
	echo "PACKAGES=$pkgs" >"$ktmp/done"
	rm -rf "$groot"
	mv "$ktmp" "$groot"
	ktmp=""
fi
busybox_bin=$groot/bin/busybox
kexec_bin=$groot/sbin/kexec
readelf -h "$busybox_bin" | grep -q 'Machine: *AArch64' ||
	die "$busybox_bin is not an AArch64 binary"
if readelf -lW "$busybox_bin" | grep -q 'program interpreter'; then
	die "$busybox_bin is dynamically linked; busybox-static is needed"
fi

# _text is not in 6.1 arm64 /proc/kallsyms (kexec-tools needs it; see
# guest-init-aarch64.sh): how far below _stext it is, from System.map.
text_to_stext=$(awk '$3 == "_text" { t = $1 } $3 == "_stext" { s = $1 }
	END { if (t != "" && s != "") print t, s }' "$system_map")
# shellcheck disable=SC2086 # two words
set -- $text_to_stext
[ $# = 2 ] || die "no _text and _stext in $system_map"
# The shell's arithmetic is signed 64-bit: subtract the low 48 bits of two
# addresses that share their top 16.
[ ${#1} = 16 ] && [ ${#2} = 16 ] && [ "${1%????????????}" = "${2%????????????}" ] ||
	die "System.map: _text $1 and _stext $2 are not in the same kernel half"
text_to_stext=$((0x${2#????} - 0x${1#????}))
[ "$text_to_stext" -gt 0 ] && [ "$text_to_stext" -lt 2097152 ] ||
	die "System.map: _stext - _text = $text_to_stext, not a small positive distance"

# --------------------------------------------------------------------------
# Build the dump in a temp dir next to its final place (same file system, so
# the final rename is atomic).
log "building the aarch64 dump for $kver (QEMU TCG, this takes a few minutes)"
start=$(date +%s)
work=$(mktemp -d "$cache/dumps/.build.XXXXXX")
tree=$work/initramfs
mkdir -p "$tree/bin" "$tree/sbin" "$tree/dev" "$tree/proc" "$tree/sys" \
	"$tree/tmp" "$tree/run" "$tree/modules"

cp "$here/guest-init-aarch64.sh" "$tree/init"
chmod 755 "$tree/init"
cp "$busybox_bin" "$tree/bin/busybox"
link_applets "$tree/bin"
# Named copies of busybox: the kernel names a task after the executed file,
# which is how the sleeper and crasher get their comm.
ln "$tree/bin/busybox" "$tree/bin/vmcore-sleeper"
if [ $irq = 1 ]; then
	cp "$here/guest-irq-crasher.sh" "$tree/bin/vmcore-crasher"
else
	ln "$tree/bin/busybox" "$tree/bin/vmcore-crasher"
fi
printf '%s\n' "$text_to_stext" >"$tree/text_to_stext"

add_modules $VIRTIO_MODULES

# Capture kernel's initramfs: busybox, modules, init.
mk_cpio "$work/capture.cpio.gz"

# Where soname $1 is in the unpacked userland (Debian arm64 library dirs).
find_lib() {
	for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib; do
		if [ -e "$groot/$d/$1" ]; then
			echo "/$d/$1"
			return
		fi
	done
}

# First kernel's initramfs additionally has kexec (dynamically linked: its
# NEEDED libraries, recursively, and its ELF interpreter, all from the
# unpacked arm64 packages), the kernel to load and the capture initramfs.
cp "$kexec_bin" "$tree/sbin/kexec"
interp=$(readelf -lW "$kexec_bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -n "$interp" ] || die "$kexec_bin has no ELF interpreter"
todo=$(readelf -dW "$kexec_bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$todo" ] || die "readelf found no NEEDED libraries in $kexec_bin"
copied=" "
while [ -n "$todo" ]; do
	# shellcheck disable=SC2086
	set -- $todo
	so=$1
	shift
	todo=$*
	case $copied in *" $so "*) continue ;; esac
	copied="$copied$so "
	path=$(find_lib "$so")
	[ -n "$path" ] || die "library $so (needed by kexec) is in none of the unpacked packages: $(tr '\n' ' ' <"$groot/packages")"
	mkdir -p "$tree$(dirname "$path")"
	cp -L "$groot$path" "$tree$path"
	todo="$todo $(readelf -dW "$groot$path" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
done
if [ ! -e "$tree$interp" ]; then
	mkdir -p "$tree$(dirname "$interp")"
	cp -L "$groot$interp" "$tree$interp" 2>/dev/null ||
		cp -L "$groot$(find_lib "$(basename "$interp")")" "$tree$interp" ||
		die "ELF interpreter $interp of kexec not found"
fi
log "kexec with$copied"
cp "$vmlinuz" "$tree/vmlinuz"
cp "$work/capture.cpio.gz" "$tree/capture.cpio.gz"
mk_cpio "$work/main.cpio.gz"
rm -rf "$tree"

# --------------------------------------------------------------------------
disk=$work/disk.img
truncate -s "$DISK_SIZE" "$disk"
console=$work/console.log

log "booting QEMU (-M virt -cpu $QEMU_CPU); console in $console"
qemu() {
	timeout "$QEMU_TIMEOUT" qemu-system-aarch64 \
		-M virt -accel tcg -cpu "$QEMU_CPU" -smp 2 -m "$GUEST_MEM" \
		-nodefaults -display none -no-reboot \
		-kernel "$vmlinuz" -initrd "$work/main.cpio.gz" \
		-append "console=ttyAMA0 crashkernel=$CRASHKERNEL panic=-1" \
		-drive "file=$disk,format=raw,if=none,id=vd0" \
		-device virtio-blk-device,drive=vd0 "$@" </dev/null >&2
}
qrc=0 src=0
if [ $irq = 1 ]; then
	# The serial port is a telnet server on a Unix socket (a telnet BREAK
	# is a UART break for QEMU's PL011) that logs to $console.
	sock=$work/serial.sock
	qemu -chardev "socket,id=ser0,path=$sock,server=on,wait=off,telnet=on,logfile=$console" \
		-serial chardev:ser0 &
	qemu_pid=$!
	python3 "$here/serial-sysrq.py" "$sock" "$QEMU_TIMEOUT" || src=$?
	wait "$qemu_pid" || qrc=$?
	qemu_pid=""
	rm -f "$sock"
else
	qemu -serial "file:$console" || qrc=$?
fi

show_console() {
	if [ -s "$console" ]; then
		log "last lines of the console log:"
		tail -n 40 "$console" | tr -d '\r' >&2
	fi
}
[ $qrc != 124 ] || { show_console; die "QEMU timed out after ${QEMU_TIMEOUT}s"; }
[ $qrc = 0 ] || { show_console; die "QEMU failed (exit status $qrc)"; }
if grep -q '^VMCORE-FAIL' "$console"; then
	show_console
	die "guest: $(grep '^VMCORE-FAIL' "$console" | head -n 1 | tr -d '\r')"
fi
[ $src = 0 ] || { show_console; die "could not send sysrq-c on the serial console"; }

# The capture kernel wrote a text header at offset 0 and the vmcore bytes at
# DATA_OFFSET_MIB; the header is written last, so it marks completion.
hdr=$(head -c 512 "$disk" | tr -d '\0')
case $hdr in
GDBSERVER-VMCORE-DISK*END*) ;;
*) show_console; die "no dump on the disk image (did the capture kernel run?)" ;;
esac
vmcore_size=$(printf '%s\n' "$hdr" | sed -n 's/^SIZE=//p')
case $vmcore_size in
''|*[!0-9]*|0) die "bad disk header: $hdr" ;;
esac
# /proc/vmcore is the first kernel's memory less the crash kernel's: it
# cannot be larger than the guest's RAM plus the ELF headers.
[ "$vmcore_size" -lt $((GUEST_MEM_BYTES + 16777216)) ] ||
	die "the vmcore has $vmcore_size bytes, more than the guest's $GUEST_MEM of RAM: broken ELF core header"
[ "$vmcore_size" -gt $((GUEST_MEM_BYTES / 4)) ] ||
	die "the vmcore has only $vmcore_size bytes"
# Sparse copy: most of the guest's memory is zero pages.
dd if="$disk" of="$work/vmcore" bs=1M skip=$DATA_OFFSET_MIB \
	count="$vmcore_size" iflag=count_bytes conv=sparse status=none
rm -f "$disk" "$work/main.cpio.gz" "$work/capture.cpio.gz"
[ "$(stat -c %s "$work/vmcore")" = "$vmcore_size" ] || die "short vmcore copy"
tr -d '\r' <"$console" >"$work/console.log.tmp"
mv "$work/console.log.tmp" "$console"

# --irq: the proof that the panic ran in hard-interrupt context, from the
# kernel's own backtrace of the panic on the console (its frame-record
# unwinder, at crash time): sysrq_handle_crash called (through the serial
# core) from the PL011 interrupt handler, pl011_int, under the IRQ entry
# el1h_64_irq (el0t_64_irq if the CPU was in user mode), whose pt_regs
# frame record gives the interrupted pc as the next entry.  The entries ("FUNC+0xOFF/0xLEN", one a line, from
# the first after "Call trace:") go to panic-trace.txt for the check
# scripts; the CPU, pid and comm of the panic to meta.txt.
panic_trace() {
	awk '/Kernel panic - not syncing: sysrq triggered crash/ { p = 1 }
	     p && /Call trace:$/ { t = 1; next }
	     t && !/^\[ *[0-9.]*\]  [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]*\/0x[0-9a-f]*$/ { exit }
	     t { sub(/^\[ *[0-9.]*\]  /, ""); print }' "$console" >"$work/panic-trace.txt"
	grep -q . "$work/panic-trace.txt" || die "no panic call trace on the console"
	awk '/^sysrq_handle_crash\+/ || /^__handle_sysrq\+/ { crash = 1 }
	     crash && /^pl011_int\+/ { uart = 1 }
	     uart && /^el(1h|0t)_64_irq\+/ { ok = 1 }
	     END { exit !ok }' "$work/panic-trace.txt" ||
		die "sysrq-c did not run in the PL011 interrupt handler: $(tr '\n' ' ' <"$work/panic-trace.txt")"
	panic_line=$(sed -n '/Kernel panic - not syncing: sysrq triggered crash/{n;p;q}' "$console" |
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
		echo "DUMP_KIND=kdump-irq"
		echo "PANIC_TRACE=$dumpdir/panic-trace.txt"
		echo "PANIC_CPU=$panic_cpu"
		echo "PANIC_PID=$panic_pid"
		echo "PANIC_COMM=$panic_comm"
	} >>"$meta_raw"
}

# --------------------------------------------------------------------------
# Sanity checks with binutils only, and facts for meta.txt.
vmcore=$work/vmcore
readelf -h "$vmcore" | grep -q 'Type: *CORE' || die "vmcore is not an ELF core file"
readelf -h "$vmcore" | grep -q 'Machine: *AArch64' || die "vmcore is not an AArch64 core file"
nprs=$(readelf -nW "$vmcore" | grep -c NT_PRSTATUS || true)
[ "$nprs" = 2 ] || die "expected 2 NT_PRSTATUS notes, found $nprs"
nload=$(readelf -lW "$vmcore" | grep -c '^ *LOAD' || true)
[ "$nload" -gt 0 ] || die "no PT_LOAD segments"
# Every PT_LOAD must lie inside the file, and no segment may claim more
# memory than the guest has (the 2^64-byte header of a kexec without _text).
readelf -lW "$vmcore" | awk '$1 == "LOAD" { print $2, $3, $5, $6 }' >"$work/loads"
while read -r lo lva lsz lmem; do
	[ $((lo + lsz)) -le "$vmcore_size" ] ||
		die "a PT_LOAD (offset $lo, size $lsz) extends past the end of the vmcore"
	[ $((lmem)) -ge 0 ] && [ $((lmem)) -le "$GUEST_MEM_BYTES" ] ||
		die "a PT_LOAD (vaddr $lva) has memsz $lmem, more than the guest's RAM"
done <"$work/loads"
rm -f "$work/loads"

# NT_PRSTATUS pr_pid: offset 32 of struct elf_prstatus on aarch64.
vmcoreinfo=$work/vmcoreinfo.txt
read_notes "$vmcore" "$vmcoreinfo"
kernel_offset=$(vci KERNELOFFSET)
[ -n "$kernel_offset" ] || die "no KERNELOFFSET in the VMCOREINFO note"
[ "$(vci OSRELEASE)" = "$kver" ] ||
	die "VMCOREINFO OSRELEASE '$(vci OSRELEASE)' is not $kver"
for k in 'NUMBER(VA_BITS)' 'NUMBER(kimage_voffset)' 'NUMBER(PHYS_OFFSET)' \
	PAGESIZE 'SYMBOL(swapper_pg_dir)' 'SYMBOL(_stext)'; do
	[ -n "$(vci "$k")" ] || die "no $k in the VMCOREINFO note"
done
pacmask=$(vci 'NUMBER(KERNELPACMASK)')

# Metadata printed by the guest ("VMCORE-META KEY=VALUE").
meta_raw=$work/meta.guest
sed -n 's/^VMCORE-META \([A-Za-z0-9_]*=.*\)$/\1/p' "$console" >"$meta_raw"
gm() { sed -n "s/^$1=//p" "$meta_raw" | head -n 1; }
for k in UNAME_R MARKER SLEEPER_PID SLEEPER_COMM PAUTH VIRTIO_BLK_MODULE_ADDR \
	VIRTIO_BLK_THIS_MODULE KSYM__stext KSYM__etext KSYM_sysrq_handle_crash \
	KSYM_panic KSYM_el0_svc KALLSYMS_TEXT_ADDED NR_MODULES \
	CRASHER_PID CRASHER_COMM CRASHER_CPU; do
	[ -n "$(gm $k)" ] || die "guest metadata lacks $k"
done
case $(gm VIRTIO_BLK_THIS_MODULE) in
0xffff[0-9a-f]*) ;;
*) die "guest VIRTIO_BLK_THIS_MODULE '$(gm VIRTIO_BLK_THIS_MODULE)' is not a kernel address" ;;
esac

# Kernel data symbols are not in the guest's kallsyms (no KALLSYMS_ALL):
# their run-time addresses are System.map's moved by the guest's own KASLR
# offset, its kallsyms _stext minus System.map's.  Kernel-half addresses
# share their top 16 bits, so 48-bit arithmetic (the shell's is signed
# 64-bit) suffices.
low48() { printf '%d' "0x$(printf '%s' "${1#0x}" | tail -c 12)"; }
map_addr() { awk -v s="$1" '$3 == s { print $1; exit }' "$system_map"; }
guest_stext=$(gm KSYM__stext)
kaslr_guest=$(($(low48 "$guest_stext") - $(low48 "$(map_addr _stext)")))
[ "$kaslr_guest" = $(($(low48 "$kernel_offset"))) ] ||
	die "the guest's KASLR offset (kallsyms _stext $guest_stext - System.map) is not VMCOREINFO KERNELOFFSET 0x$kernel_offset"
for sym in linux_banner init_uts_ns init_task swapper_pg_dir; do
	a=$(map_addr "$sym")
	[ -n "$a" ] || die "no $sym in $system_map"
	printf 'KSYM_%s=0xffff%012x\n' "$sym" $(($(low48 "$a") + kaslr_guest)) >>"$meta_raw"
done
[ "$(gm UNAME_R)" = "$kver" ] || die "guest ran $(gm UNAME_R), not $kver"
[ "$(gm CRASHER_CPU)" = 1 ] || die "crasher ran on CPU $(gm CRASHER_CPU)"
[ "$(gm PAUTH)" = 1 ] ||
	die "the guest CPU has no pointer authentication (-cpu $QEMU_CPU)"
case $pacmask in
''|0x0|0) die "VMCOREINFO NUMBER(KERNELPACMASK) is '$pacmask' on a CPU with pointer authentication" ;;
esac
[ "0x$(vci 'SYMBOL(_stext)')" = "$(gm KSYM__stext)" ] ||
	die "VMCOREINFO SYMBOL(_stext) 0x$(vci 'SYMBOL(_stext)') is not the guest's _stext $(gm KSYM__stext)"
if [ $irq = 0 ]; then
	case ,$prs_pids, in
	*,"$(gm CRASHER_PID)",*) ;;
	*) die "no NT_PRSTATUS carries the crasher's pid $(gm CRASHER_PID) (pids: $prs_pids)" ;;
	esac
else
	panic_trace
fi
# The marker went through /dev/kmsg, so the printk ring buffer in the dump
# must hold it: a cheap check that the dumped memory is the real thing.
grep -qaF "$(gm MARKER)" "$vmcore" || die "marker '$(gm MARKER)' not found in the vmcore"

{
	echo "# gdbserver-vmcore real aarch64 kdump, made by tests/real/make-dump-aarch64.sh"
	echo "FIXTURE_VERSION=$FIXTURE_VERSION"
	echo "ARCH=aarch64"
	echo "KVER=$kver"
	echo "KERNEL_PACKAGE_VERSION=$kpkg_version"
	echo "QEMU_CPU=$QEMU_CPU"
	echo "VMLINUX=$vmlinux"
	echo "VMLINUZ=$vmlinuz"
	echo "SYSTEM_MAP=$system_map"
	echo "MODULES_DIR=$moddir"
	echo "GUEST_PACKAGES=$(tr '\n' ' ' <"$groot/packages")"
	echo "VMCORE=$dumpdir/vmcore"
	echo "VMCORE_SIZE=$vmcore_size"
	echo "KERNELOFFSET=0x$kernel_offset"
	echo "VA_BITS=$(vci 'NUMBER(VA_BITS)')"
	echo "PAGESIZE=$(vci PAGESIZE)"
	echo "KIMAGE_VOFFSET=$(vci 'NUMBER(kimage_voffset)')"
	echo "PHYS_OFFSET=$(vci 'NUMBER(PHYS_OFFSET)')"
	echo "KERNELPACMASK=$pacmask"
	echo "TEXT_TO_STEXT=$text_to_stext"
	echo "PRSTATUS_PIDS=$prs_pids"
	cat "$meta_raw"
} >"$work/meta.txt"
rm -f "$meta_raw"

publish
