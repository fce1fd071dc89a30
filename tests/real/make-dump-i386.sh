#!/bin/sh
# Make (or reuse) a REAL kdump of a Debian 12 "686-pae" (or "686") 6.1
# kernel (i386).
#
# Usage: tests/real/make-dump-i386.sh [--flavour 686-pae|686]
#                                      [--core-headers elf32|elf64]
#                                      [--loader kexec-tools|ours]
#                                      [--crashkernel SPEC] [--irq] [--print-dir]
#
# Boots the 32-bit kernel in qemu-system-i386 (TCG; KVM is never used),
# arms kdump with kexec_load (i386 has no kexec_file_load), panics on CPU 1
# from a task named "vmcore-crasher", lets the capture kernel copy
# /proc/vmcore to a raw virtio disk (with --loader ours: save it with
# vmcore-loader save from a vmcore-mkinitramfs image with its default
# configuration, kdump-compressed, zstd, dump level 31, on an ext4 disk,
# and a test wrapper saves a full ELF copy too; see elf_copy_wrapper in
# lib-fixture.sh), and stores the result (vmcore: the ELF copy; with
# --loader ours also kdump and dmesg.txt) under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/gdbserver-vmcore/dumps/<kver>-i386-<headers>[-ours3-ck<crashkernel>]-v<FIXTURE_VERSION>-k<key>/
# where <key> is a hash of the fixture scripts and, with --loader ours, of
# the sources of vmcore-loader (with libvmcore, arch and the purgatory),
# vmcore-mkinitramfs and capture-init.sh, so that a change to any of them
# makes a new dump.
# The only thing printed on stdout is that directory; progress goes to stderr.
# A complete dump (its "done" stamp exists) is reused without doing anything.
#
#   --flavour 686-pae|686   the kernel: PAE (3-level page tables, the
#                  default) or not (2-level)
#   --core-headers elf32|elf64   the ELF class of the core header kexec
#                  writes (--elf32-core-headers, the default, or
#                  --elf64-core-headers: ELF64 with e_machine EM_386)
#   --loader kexec-tools|ours   who arms kdump: kexec-tools' kexec -p (the
#                  default) or our vmcore-loader's kexec_load path (`load
#                  --kexec-load`, cross-built static by
#                  tests/loader/cross-build.sh), with its own core header,
#                  boot_params and purgatory; the capture side is ours too
#                  (vmcore-mkinitramfs's default image: the kdump, and the
#                  ELF copy of the wrapper)
#   --crashkernel SPEC   the first kernel's crashkernel= (default 128M;
#                  e.g. 64M@16M for a fixed reservation)
#   --irq          a panic in hard-interrupt context instead (kexec-tools
#                  only): the crasher only sleeps (guest-irq-crasher.sh) and
#                  the host sends sysrq-c on the serial console (BREAK, 'c':
#                  serial-sysrq.py), which the 8250 driver runs in its
#                  interrupt handler, on the IRQ stack; the kind gets -irq and
#                  the dump the kernel's own panic backtrace (panic-trace.txt)
#   --print-dir    only print the directory; exit 0 if it holds a complete
#                  dump, 1 if not (nothing is built or downloaded)
#
# The guest's userland is i386: busybox-static:i386 and kexec-tools:i386 with
# every library it needs and its ELF interpreter, unpacked from their .debs
# (nothing is installed on the host; "dpkg --add-architecture i386" and
# "apt-get update" make apt know them: mk/install-deps.sh test does that).
# None of it runs on the host, which may have no IA-32 emulation.
#
# Environment: VMCORE_KVER=6.1.0-NN-686-pae (or -686) picks the kernel instead of the
# newest one apt knows; VMCORE_KEEP_BUILD=1 keeps a failed build dir.
# See tests/real/README.md.
set -eu

# Bump whenever the recipe changes in a way that changes the dumps.
FIXTURE_VERSION=1

QEMU_TIMEOUT=900	# seconds, for the whole two-boot run
# More than the ~890 MiB of lowmem, so the dump has highmem too.
GUEST_MEM=1G
CRASHKERNEL=128M
DISK_SIZE=2G		# sparse; must hold the 1 MiB header area + /proc/vmcore
DATA_OFFSET_MIB=1	# must match guest-init.sh
DUMP_DIR=crash		# --loader ours: where on the ext4 disk save writes
# Loaded in this order in both kernels (all are modules in the cloud kernel).
VIRTIO_MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk"

prog=make-dump-i386
deb_arch=i386

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

headers=elf32
flavour=686-pae
loader=kexec-tools
print_only=0
irq=0
while [ $# -gt 0 ]; do
	case $1 in
	--irq) irq=1; shift ;;
	--flavour) [ $# -ge 2 ] || usage; flavour=$2; shift 2 ;;
	--flavour=*) flavour=${1#--flavour=}; shift ;;
	--core-headers) [ $# -ge 2 ] || usage; headers=$2; shift 2 ;;
	--core-headers=*) headers=${1#--core-headers=}; shift ;;
	--loader) [ $# -ge 2 ] || usage; loader=$2; shift 2 ;;
	--crashkernel) [ $# -ge 2 ] || usage; CRASHKERNEL=$2; shift 2 ;;
	--print-dir) print_only=1; shift ;;
	-h|--help) usage 0 ;;
	*) log "unknown argument '$1'"; usage ;;
	esac
done
case $headers in
elf32) elf_class=ELF32 ;;
elf64) elf_class=ELF64 ;;
*) die "--core-headers must be elf32 or elf64, not '$headers'" ;;
esac
case $loader in
kexec-tools) variant="" ;;
# ours2: saved by vmcore-mkinitramfs's image; ours3: its default capture
# (kdump, zstd, -d 31) + an ELF copy.
ours) variant=-ours3-ck$(printf '%s' "$CRASHKERNEL" | tr '@' a) ;;
*) die "--loader must be kexec-tools or ours, not '$loader'" ;;
esac
case $CRASHKERNEL in
*[!0-9KMG@]*|'') die "--crashkernel '$CRASHKERNEL' is not SIZE or SIZE@OFFSET" ;;
esac
[ "$loader" = ours ] || [ "$CRASHKERNEL" = 128M ] ||
	die "--crashkernel goes with --loader ours (the kexec-tools fixtures are fixed)"
[ $irq = 0 ] || [ "$loader" = kexec-tools ] || die "--irq goes with --loader kexec-tools"
[ $irq = 0 ] || variant=$variant-irq
case $flavour in
686-pae) pae=1 ;;
686) pae=0 ;;
*) die "--flavour must be 686-pae or 686, not '$flavour'" ;;
esac
# TCG's "max" CPU has PAE and NX, which the 686-pae kernel needs (the 686
# one runs on it without using them).
qemu_cpu=max

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

cache=${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/gdbserver-vmcore

# --------------------------------------------------------------------------
# Which kernel: $VMCORE_KVER, else the newest 6.1.0-NN-$flavour for which
# apt knows both the -unsigned image and the -dbg package.
newest_kver() {
	apt-cache search --names-only \
		"^linux-image-6\\.1\\.0-[0-9]+-$flavour-(unsigned|dbg)\$" 2>/dev/null |
	awk '{ n = $1; sub(/^linux-image-/, "", n)
	       if (sub(/-unsigned$/, "", n)) u[n] = 1
	       else if (sub(/-dbg$/, "", n)) d[n] = 1 }
	     END { for (k in u) if (k in d) print k }' |
	sort -V | tail -n 1
}

if [ -n "${VMCORE_KVER:-}" ]; then
	kver=$VMCORE_KVER
	case $kver in
	*[!A-Za-z0-9._+-]*) die "VMCORE_KVER='$kver' is not a kernel version" ;;
	*-"$flavour") ;;
	*) die "VMCORE_KVER='$kver' is not a $flavour kernel (see --flavour)" ;;
	esac
else
	command -v apt-cache >/dev/null || die "apt-cache not found (Debian 12 needed)"
	kver=$(newest_kver)
	if [ -z "$kver" ] && [ $print_only = 0 ]; then
		log "apt knows no linux-image-6.1.0-*-$flavour-dbg; adding the i386 architecture and running apt-get update"
		$sudo dpkg --add-architecture i386 || die "dpkg --add-architecture i386 failed"
		$sudo apt-get update -q >&2 || die "apt-get update failed"
		kver=$(newest_kver)
	fi
	[ -n "$kver" ] || die "no linux-image-6.1.0-NN-$flavour-unsigned with a matching -dbg package in apt (is the i386 architecture added, and deb.debian.org bookworm + bookworm-security configured?)"
fi

key_files="tests/real/make-dump-i386.sh tests/real/lib-fixture.sh
	tests/real/guest-init.sh tests/real/busybox-applets"
[ "$loader" != ours ] || key_files="$key_files tests/loader/cross-build.sh $LOADER_SOURCES"
[ $irq = 0 ] || key_files="$key_files tests/real/guest-irq-crasher.sh tests/real/serial-sysrq.py"
# shellcheck disable=SC2086 # a word list
fixture_dir "$kver-i386-$headers$variant-v$FIXTURE_VERSION" $key_files

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
need apt-get apt-cache dpkg-deb tar cpio gzip xz readelf od dd timeout \
	flock qemu-system-i386
[ $irq = 0 ] || need python3
[ "$loader" != ours ] || need mke2fs debugfs

lock_cache userland

fetch_kernel

# --------------------------------------------------------------------------
# The i386 userland: busybox-static and kexec-tools with the library
# packages they depend on (recursively), unpacked into one private root.
lib_deps() {	# the lib* packages $1:i386 depends on, one level
	apt-cache depends --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$1:i386" 2>/dev/null |
	awk '$1 ~ /^\|?(Pre)?Depends:$/ && $2 ~ /^lib/ { sub(/:i386$/, "", $2); print $2 }'
}

user_pkgs="busybox-static kexec-tools"
todo="kexec-tools"
while [ -n "$todo" ]; do
	next=""
	for p in $todo; do
		for d in $(lib_deps "$p"); do
			case " $user_pkgs " in
			*" $d "*) ;;
			*) user_pkgs="$user_pkgs $d"; next="$next $d" ;;
			esac
		done
	done
	todo=$next
done
user_debs=""
for p in $user_pkgs; do
	user_debs="$user_debs $(fetch_deb "$p")"
done
# Keyed by the exact .debs, so a new package version unpacks afresh.
user_key=$(for d in $user_debs; do basename "$d"; done | LC_ALL=C sort | cksum | cut -d' ' -f1)
uroot=$cache/userland/i386-$user_key
if [ ! -e "$uroot/done" ]; then
	mkdir -p "$cache/userland"
	log "unpacking the i386 userland:$user_pkgs"
	utmp=$(mktemp -d "$cache/userland/.unpack.XXXXXX")
	for d in $user_debs; do
		dpkg-deb -x "$d" "$utmp" || die "dpkg-deb -x $d failed"
	done
	echo "$user_pkgs" >"$utmp/done"
	rm -rf "$uroot"
	mv "$utmp" "$uroot"
fi
busybox_bin=$uroot/bin/busybox
kexec_bin=$uroot/sbin/kexec
[ -x "$busybox_bin" ] || die "no bin/busybox in busybox-static:i386"
[ -x "$kexec_bin" ] || die "no sbin/kexec in kexec-tools:i386"
readelf -hW "$busybox_bin" | grep -q 'Machine: *Intel 80386' ||
	die "$busybox_bin is not an i386 program"
# The initramfs has no libc for busybox: it must be static.
if readelf -lW "$busybox_bin" | grep -q 'program interpreter'; then
	die "$busybox_bin is dynamically linked"
fi

# Where the i386 dynamic loader looks in $uroot (Debian multiarch paths).
find_lib() {	# path of soname $1 inside $uroot, relative, or nothing
	for d in lib/i386-linux-gnu usr/lib/i386-linux-gnu lib usr/lib; do
		if [ -e "$uroot/$d/$1" ]; then
			echo "$d/$1"
			return
		fi
	done
}

# Every NEEDED library of kexec, recursively, and its ELF interpreter
# (cannot use ldd: the host cannot run i386 programs).
kexec_libs() {
	seen=""
	todo=$(readelf -dW "$kexec_bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	while [ -n "$todo" ]; do
		next=""
		for so in $todo; do
			case " $seen " in *" $so "*) continue ;; esac
			seen="$seen $so"
			rel=$(find_lib "$so")
			[ -n "$rel" ] || die "library $so of kexec not found in the i386 packages:$user_pkgs"
			echo "$rel"
			next="$next $(readelf -dW "$uroot/$rel" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
		done
		todo=$next
	done
}

# --------------------------------------------------------------------------
# Build the dump in a temp dir next to its final place (same file system, so
# the final rename is atomic).
log "building the i386 dump with $elf_class core headers for $kver (QEMU TCG, this takes a few minutes)"
start=$(date +%s)
work=$(mktemp -d "$cache/dumps/.build.XXXXXX")
tree=$work/initramfs
mkdir -p "$tree/bin" "$tree/dev" "$tree/proc" "$tree/sys" "$tree/tmp" \
	"$tree/run" "$tree/modules"

cp "$here/guest-init.sh" "$tree/init"
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

add_modules $VIRTIO_MODULES

# Capture kernel's initramfs: busybox, modules, init.
mk_cpio "$work/capture.cpio.gz"

# First kernel's initramfs additionally has kexec (dynamically linked:
# every library it needs, recursively, plus the ELF interpreter), the
# kernel to load and the capture initramfs.
rm -f "$tree/bin/kexec"	# in case busybox has a kexec applet
cp "$kexec_bin" "$tree/bin/kexec"
libs=$(kexec_libs)
[ -n "$libs" ] || die "kexec needs no libraries? ($kexec_bin)"
interp=$(readelf -lW "$kexec_bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -n "$interp" ] || die "kexec has no ELF interpreter"
for l in $libs ${interp#/}; do
	mkdir -p "$tree/$(dirname "$l")"
	cp -L "$uroot/$l" "$tree/$l" || die "copying $l into the initramfs"
done
[ -e "$tree$interp" ] || die "ELF interpreter $interp of kexec not copied"
if [ "$loader" = ours ]; then
	ours_bin=$("$here/../loader/cross-build.sh" i386 "$work/build-i386") ||
		die "cross build of the i386 vmcore-loader failed"
	cp "$ours_bin" "$tree/bin/vmcore-loader"
	# The capture side is ours too: the vmcore-mkinitramfs image with
	# its default configuration (an i386 busybox: vmcore-mkinitramfs
	# reads its applet list from the file), whose `vmcore-loader save`
	# writes a kdump-compressed file (zstd, dump level 31) to an ext4
	# disk; the fixture's wrapper (elf_copy_wrapper) then saves the full
	# ELF copy that the tests read as the ELF32 or ELF64 vmcore.
	rm -f "$work/capture.cpio.gz"
	"$here/../../loader/vmcore-mkinitramfs" -o "$work/capture.cpio.gz" \
		--loader "$ours_bin" --busybox "$busybox_bin" \
		-d /dev/vda -t ext4 -D "$DUMP_DIR" --then poweroff \
		-k "$kver" -m "$moddir" -M virtio_pci -M virtio_blk \
		-M crc32c_generic || die "vmcore-mkinitramfs failed"
	elf_copy_wrapper "$work/capture.cpio.gz" "$ours_bin"
fi
cp "$vmlinuz" "$tree/vmlinuz"
cp "$work/capture.cpio.gz" "$tree/capture.cpio.gz"
mk_cpio "$work/main.cpio.gz"
rm -rf "$tree" "$work/build-i386"

# --------------------------------------------------------------------------
disk=$work/disk.img
truncate -s "$DISK_SIZE" "$disk"
if [ "$loader" = ours ]; then
	mke2fs -q -t ext4 -F -L vmcore-dumps "$disk" || die "mke2fs $disk failed"
fi
console=$work/console.log

log "booting QEMU (-cpu $qemu_cpu); console in $console"
qemu() {
	timeout "$QEMU_TIMEOUT" qemu-system-i386 \
		-M q35 -accel tcg -cpu "$qemu_cpu" -smp 2 -m "$GUEST_MEM" \
		-nodefaults -display none -no-reboot \
		-kernel "$vmlinuz" -initrd "$work/main.cpio.gz" \
		-append "console=ttyS0 crashkernel=$CRASHKERNEL panic=-1 vmcore_kexec=$headers vmcore_loader=$loader" \
		-drive "file=$disk,format=raw,if=virtio" "$@" </dev/null >&2
}
qrc=0 src=0
if [ $irq = 1 ]; then
	# The serial port is a telnet server on a Unix socket (a telnet BREAK
	# is a UART break for QEMU) that logs to $console.
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

if [ "$loader" = ours ]; then
	# What `vmcore-loader save` and the wrapper left on the ext4 disk
	# (lib-fixture.sh): the kdump, its dmesg.txt and the ELF copy.
	grep -q '^vmcore-capture: dump saved; final action: poweroff' "$console" ||
		{ show_console; die "the capture initramfs did not save the dump"; }
	copy_saved_dumps
else
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
	# Sparse copy: most of the guest's memory is zero pages.
	dd if="$disk" of="$work/vmcore" bs=1M skip=$DATA_OFFSET_MIB \
		count="$vmcore_size" iflag=count_bytes conv=sparse status=none
fi
rm -f "$disk" "$work/main.cpio.gz" "$work/capture.cpio.gz"
[ "$(stat -c %s "$work/vmcore")" = "$vmcore_size" ] || die "short vmcore copy"
tr -d '\r' <"$console" >"$work/console.log.tmp"
mv "$work/console.log.tmp" "$console"

# --irq: the proof that the panic ran in hard-interrupt context, from the
# kernel's own backtrace of the panic on the console (its frame-pointer
# unwinder, at crash time): sysrq_handle_crash, called from the 8250
# interrupt handler, between <IRQ> and </IRQ> (the IRQ stack).  Its
# reliable entries (not "? ") go to panic-trace.txt, with <IRQ>/</IRQ>
# and the interrupted function from the entry's "EIP: FUNC+..." line; the
# CPU, pid and comm of the panic to meta.txt.
panic_trace() {
	sed 's/^\[ *[0-9.]*\] //' "$console" |
		awk '/^Kernel panic - not syncing: sysrq triggered crash/ { p = 1 }
		     p && /^Call Trace:$/ { t = 1; next }
		     !t { next }
		     /^EIP: [A-Za-z_]/ { print $2; next }
		     /^ *<\/?IRQ>$/ { sub(/^ +/, ""); print; next }
		     /^ [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]*\/0x[0-9a-f]*$/ { sub(/^ +/, ""); print; next }
		     /^ *<\/TASK>$/ || /^(Kernel Offset|---\[|SMP|Starting crashdump|Linux version)/ { exit }' \
		>"$work/panic-trace.txt"
	grep -q . "$work/panic-trace.txt" || die "no panic call trace on the console"
	awk '$0 == "<IRQ>" { irq = 1 } $0 == "</IRQ>" { irq = 0 }
	     irq && /^(sysrq_handle_crash|__handle_sysrq)\+/ { crash = 1 }
	     irq && crash && /^serial8250_(interrupt|handle_irq)/ { ok = 1 }
	     END { exit !ok }' "$work/panic-trace.txt" ||
		die "sysrq-c did not run in interrupt context: $(tr '\n' ' ' <"$work/panic-trace.txt")"
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
readelf -h "$vmcore" | grep -q "Class: *$elf_class\$" ||
	die "vmcore is not $elf_class: $(readelf -h "$vmcore" | grep Class:)"
readelf -h "$vmcore" | grep -q 'Machine: *Intel 80386' ||
	die "vmcore is not for EM_386: $(readelf -h "$vmcore" | grep Machine:)"
nprs=$(readelf -nW "$vmcore" | grep -c NT_PRSTATUS || true)
[ "$nprs" = 2 ] || die "expected 2 NT_PRSTATUS notes, found $nprs"
nload=$(readelf -lW "$vmcore" | grep -c '^ *LOAD' || true)
[ "$nload" -gt 0 ] || die "no PT_LOAD segments"
# Every PT_LOAD must lie inside the file (readelf prints hex; the shell's
# arithmetic reads 0x... itself, mawk could not).
readelf -lW "$vmcore" | awk '$1 == "LOAD" { print $2, $5 }' >"$work/loads"
while read -r lo lsz; do
	[ $((lo + lsz)) -le "$vmcore_size" ] ||
		die "a PT_LOAD (offset $lo, size $lsz) extends past the end of the vmcore"
done <"$work/loads"
rm -f "$work/loads"

# NT_PRSTATUS pr_pid: offset 24 of the 144-byte i386 struct elf_prstatus.
prstatus_pid_offset=24 prstatus_size=144
vmcoreinfo=$work/vmcoreinfo.txt
read_notes "$vmcore" "$vmcoreinfo"
# 32-bit x86 writes no KERNELOFFSET: readers compute the KASLR offset as
# SYMBOL(_stext) minus the vmlinux's _stext.
[ -z "$(vci KERNELOFFSET)" ] || die "an i386 VMCOREINFO with KERNELOFFSET?"
[ "$(vci OSRELEASE)" = "$kver" ] ||
	die "VMCOREINFO OSRELEASE '$(vci OSRELEASE)' is not $kver"
# arch_crash_save_vmcoreinfo() writes CONFIG_X86_PAE=y on PAE kernels only.
if [ $pae = 1 ]; then
	[ "$(vci CONFIG_X86_PAE)" = y ] || die "VMCOREINFO lacks CONFIG_X86_PAE=y"
else
	[ -z "$(vci CONFIG_X86_PAE)" ] || die "a non-PAE kernel wrote CONFIG_X86_PAE"
fi
vi_stext=$(vci 'SYMBOL(_stext)')
vi_swapper=$(vci 'SYMBOL(swapper_pg_dir)')
[ -n "$vi_stext" ] && [ -n "$vi_swapper" ] ||
	die "VMCOREINFO lacks SYMBOL(_stext) or SYMBOL(swapper_pg_dir)"
link_stext=$(awk '$3 == "_stext" { print $1; exit }' "$system_map")
[ -n "$link_stext" ] || die "no _stext in $system_map"

# Metadata printed by the guest ("VMCORE-META KEY=VALUE").
meta_raw=$work/meta.guest
sed -n 's/^VMCORE-META \([A-Za-z0-9_]*=.*\)$/\1/p' "$console" >"$meta_raw"
gm() { sed -n "s/^$1=//p" "$meta_raw" | head -n 1; }
# CONFIG_KALLSYMS_ALL is off in 686-pae: kallsyms has text symbols only.
for k in UNAME_R MARKER SLEEPER_PID SLEEPER_COMM KEXEC_LOAD \
	VIRTIO_BLK_MODULE_ADDR KSYM__stext KSYM__etext \
	KSYM_sysrq_handle_crash KSYM_write_sysrq_trigger KSYM_panic \
	PROC_VERSION NR_MODULES CRASHER_PID CRASHER_COMM CRASHER_CPU; do
	[ -n "$(gm $k)" ] || die "guest metadata lacks $k"
done
[ "$(gm UNAME_R)" = "$kver" ] || die "guest ran $(gm UNAME_R), not $kver"
[ "$(gm KEXEC_LOAD)" = "--$headers-core-headers" ] ||
	die "guest loaded the crash kernel with '$(gm KEXEC_LOAD)'"
[ $((0x$vi_stext)) = $(($(gm KSYM__stext))) ] ||
	die "VMCOREINFO SYMBOL(_stext)=$vi_stext but the guest's kallsyms says $(gm KSYM__stext)"
[ "$(gm CRASHER_CPU)" = 1 ] || die "crasher ran on CPU $(gm CRASHER_CPU)"
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
if [ "$loader" = ours ]; then
	grep -qF "$(gm MARKER)" "$work/dmesg.txt" ||
		die "the saved dmesg.txt lacks the marker $(gm MARKER)"
	case $saved_name in
	"$(gm HOSTNAME)"-[0-9][0-9][0-9][0-9]-*) ;;
	*) die "dump directory '$saved_name' is not named after the guest $(gm HOSTNAME)" ;;
	esac
fi

{
	echo "# gdbserver-vmcore real i386 kdump, made by tests/real/make-dump-i386.sh"
	echo "FIXTURE_VERSION=$FIXTURE_VERSION"
	echo "ARCH=i386"
	echo "KVER=$kver"
	echo "KERNEL_PACKAGE_VERSION=$kpkg_version"
	echo "CORE_HEADERS=$headers"
	echo "LOADER=$loader"
	echo "CRASHKERNEL=$CRASHKERNEL"
	[ "$loader" != ours ] || echo "SAVED_DIR=$DUMP_DIR/$saved_name"
	[ "$loader" != ours ] || echo "SAVED_DMESG=$dumpdir/dmesg.txt"
	echo "ELF_CLASS=$elf_class"
	echo "FLAVOUR=$flavour"
	echo "PAE=$pae"
	echo "QEMU_CPU=$qemu_cpu"
	echo "VMLINUX=$vmlinux"
	echo "VMLINUZ=$vmlinuz"
	echo "SYSTEM_MAP=$system_map"
	echo "MODULES_DIR=$moddir"
	echo "VMCORE=$dumpdir/vmcore"
	echo "VMCORE_SIZE=$vmcore_size"
	if [ "$loader" = ours ]; then
		echo "KDUMP=$dumpdir/kdump"
		echo "KDUMP_SIZE=$kdump_size"
	fi
	echo "VMCOREINFO_STEXT=0x$vi_stext"
	echo "VMCOREINFO_SWAPPER_PG_DIR=0x$vi_swapper"
	echo "LINK_STEXT=0x$link_stext"
	printf 'KASLR_OFFSET=0x%x\n' $((0x$vi_stext - 0x$link_stext))
	echo "PRSTATUS_PIDS=$prs_pids"
	cat "$meta_raw"
} >"$work/meta.txt"
rm -f "$meta_raw"

publish
