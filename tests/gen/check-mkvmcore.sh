#!/bin/sh
# SPDX-License-Identifier: MIT
# Self-test of the synthetic vmcore generator: build it (plain and with
# ASan/UBSan), generate the default, 5-level, ELF32, no-swapper,
# no-VMCOREINFO, truncated and sparse variants, and check them with
# binutils (readelf -h -l -n) and with walk-vmcore.py, an independent
# Python page walker.  Exits non-zero on the first mismatch.
#
# Environment: CC (default cc), MKVMCORE (use this binary, skip the
# build), SANITIZE=0 (skip the sanitizer build), KEEP=1 (keep the tmp dir).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
walk="$here/walk-vmcore.py"
CC=${CC:-cc}
CFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Werror"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-mkvmcore.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT INT TERM

failures=0
pass() { echo "  ok   $*"; }
fail() { echo "  FAIL $*" >&2; failures=$((failures + 1)); }
expect_eq() { # WHAT GOT WANT
	if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi
}

# --- build --------------------------------------------------------------
if [ -n "${MKVMCORE:-}" ]; then
	fast=$MKVMCORE
	gen=$MKVMCORE
else
	echo "build: $CC $CFLAGS"
	# shellcheck disable=SC2086 # CC and CFLAGS are word lists
	$CC $CFLAGS -o "$tmp/mkvmcore" "$here/mkvmcore.c"
	fast="$tmp/mkvmcore"
	gen=$fast
	if [ "${SANITIZE:-1}" != 0 ]; then
		# shellcheck disable=SC2086
		$CC $CFLAGS -fsanitize=address,undefined -fno-omit-frame-pointer \
			-o "$tmp/mkvmcore-san" "$here/mkvmcore.c"
		gen="$tmp/mkvmcore-san"
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	fi
fi

# --- helpers --------------------------------------------------------------
# vmcoreinfo_text FILE: the VMCOREINFO note's text, decoded from the
# "description data" hex that readelf -n prints for unknown note types.
vmcoreinfo_text() {
	readelf -nW "$1" | python3 -c '
import sys
for line in sys.stdin:
    if line.split()[:1] == ["VMCOREINFO"] and "description data:" in line:
        sys.stdout.write(bytes.fromhex(line.split("description data:")[1]).decode())
'
}

# check_elf NAME CLASS NLOADS NCPUS VMCOREINFO(yes|no)
check_elf() {
	f="$tmp/$1.core"
	echo "$1:"
	expect_eq "class" "$(readelf -h "$f" | sed -n 's/^ *Class: *//p')" "ELF$2"
	expect_eq "type" "$(readelf -h "$f" | sed -n 's/^ *Type: *\(CORE\).*/\1/p')" CORE
	expect_eq "machine" "$(readelf -h "$f" | sed -n 's/^ *Machine: *//p')" \
		"Advanced Micro Devices X86-64"
	expect_eq "PT_LOADs" "$(readelf -lW "$f" | grep -c '^ *LOAD ')" "$3"
	expect_eq "PT_NOTEs" "$(readelf -lW "$f" | grep -c '^ *NOTE ')" 1
	expect_eq "first phdr" \
		"$(readelf -lW "$f" | sed -n '/^ *Type /{n;p;q}' | awk '{print $1}')" NOTE
	expect_eq "NT_PRSTATUS notes" \
		"$(readelf -nW "$f" | grep -c '^ *CORE .*NT_PRSTATUS')" "$4"
	expect_eq "VMCOREINFO notes" \
		"$(readelf -nW "$f" | grep -c '^ *VMCOREINFO ')" \
		"$([ "$5" = yes ] && echo 1 || echo 0)"
}

# has_line NAME LINE: the VMCOREINFO text has exactly this line
has_line() {
	if vmcoreinfo_text "$tmp/$1.core" | grep -qxF "$2"; then
		pass "VMCOREINFO has $2"
	else
		fail "$1: VMCOREINFO lacks '$2'"
	fi
}
lacks_key() {
	if vmcoreinfo_text "$tmp/$1.core" | grep -q "^$2"; then
		fail "$1: VMCOREINFO has $2"
	else
		pass "VMCOREINFO has no $2"
	fi
}

# walk NAME [--headers-only]
walk() {
	name=$1
	shift
	if python3 "$walk" "$tmp/$name.core" "$tmp/$name.exp" "$@"; then
		pass "walk-vmcore $name"
	else
		fail "walk-vmcore $name"
	fi
}

# gen NAME ARGS...: run the (sanitized) generator
mk() {
	name=$1
	shift
	"$gen" "$@" --expect "$tmp/$name.exp" "$tmp/$name.core"
}

# --- variants ---------------------------------------------------------------
mk default
check_elf default 64 4 2 yes
has_line default "OSRELEASE=6.1.0-synthetic-amd64"
has_line default "PAGESIZE=4096"
has_line default "SYMBOL(swapper_pg_dir)=ffffffff9d400000"
has_line default "SYMBOL(_stext)=ffffffff9d000000"
has_line default "SYMBOL(init_uts_ns)=ffffffff9d010000"
has_line default "NUMBER(phys_base)=-452984832"
has_line default "NUMBER(pgtable_l5_enabled)=0"
has_line default "KERNELOFFSET=1c000000"
has_line default "CRASHTIME=1700000000"
expect_eq "BUILD-ID length" \
	"$(vmcoreinfo_text "$tmp/default.core" | sed -n 's/^BUILD-ID=//p' | tr -d '\n' | wc -c)" 40
expect_eq "expect phys_base" "$(sed -n 's/^phys_base //p' "$tmp/default.exp")" -452984832
walk default

mk l5 --levels 5 --cpus 4 --panic-cpu 0 --kaslr 0 --mem 128
check_elf l5 64 4 4 yes
has_line l5 "NUMBER(pgtable_l5_enabled)=1"
has_line l5 "NUMBER(phys_base)=16777216"
has_line l5 "SYMBOL(swapper_pg_dir)=ffffffff81400000"
lacks_key l5 "KERNELOFFSET="
walk l5

mk elf32 --class 32 --mem 96 --cpus 3
check_elf elf32 32 4 3 yes
walk elf32

mk edge --cpus 64 --panic-cpu 40 --kaslr 0x3e800000 --mem 48
check_elf edge 64 4 64 yes
has_line edge "KERNELOFFSET=3e800000"
has_line edge "NUMBER(phys_base)=-1031798784"
walk edge

mk noswapper --no-swapper
check_elf noswapper 64 4 2 yes
lacks_key noswapper "SYMBOL(swapper_pg_dir)="
walk noswapper

mk novmcoreinfo --no-vmcoreinfo --cpus 1
check_elf novmcoreinfo 64 4 1 no
walk novmcoreinfo --headers-only

mk truncated --truncate 3145728
check_elf truncated 64 4 2 yes
expect_eq "truncated size" "$(wc -c <"$tmp/truncated.core" | tr -d ' ')" 3145728
walk truncated --headers-only

# Sparse: plain build for the timing, then the sanitized one for checking.
start=$(date +%s%N)
"$fast" --sparse-segments 1000 "$tmp/sparse-fast.core"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$ms" -lt 1000 ]; then pass "sparse 64 GiB / 1000 segments in ${ms} ms"
else fail "sparse dump took ${ms} ms"; fi
kib=$(du -k "$tmp/sparse-fast.core" | cut -f1)
if [ "$kib" -lt 16384 ]; then pass "sparse dump uses ${kib} KiB of disk"
else fail "sparse dump uses ${kib} KiB of disk"; fi
rm -f "$tmp/sparse-fast.core"
mk sparse --sparse-segments 1000 --levels 5
check_elf sparse 64 1000 2 yes
expect_eq "sparse apparent size >= 63 GiB" \
	"$([ "$(wc -c <"$tmp/sparse.core")" -ge $((63 << 30)) ] && echo yes)" yes
walk sparse

mk sparse32 --class 32 --sparse-segments 100 --sparse-gib 4 --cpus 1
check_elf sparse32 32 100 1 yes
walk sparse32

# Determinism: same options, same bytes.
"$gen" "$tmp/again.core"
if cmp -s "$tmp/default.core" "$tmp/again.core"; then pass "deterministic"
else fail "two runs differ"; fi
rm -f "$tmp/again.core"

# --- negative tests: the checks must catch mistakes -------------------------
echo "negative:"
sed 's/^map \(0xffffc90000003000\) 0x27fc000/map \1 0x27fd000/' \
	"$tmp/default.exp" >"$tmp/bad.exp"
if python3 "$walk" "$tmp/default.core" "$tmp/bad.exp" 2>/dev/null; then
	fail "walker accepted a wrong map line"
else
	pass "walker rejects a wrong map line"
fi
cp "$tmp/default.core" "$tmp/bad.core"
# swapper_pg_dir is at file offset 0x1000 (image data) + 0x400000.
dd if=/dev/zero of="$tmp/bad.core" bs=4096 seek=$((0x401)) count=1 \
	conv=notrunc 2>/dev/null
if python3 "$walk" "$tmp/bad.core" "$tmp/default.exp" 2>/dev/null; then
	fail "walker accepted a zeroed swapper_pg_dir"
else
	pass "walker rejects a zeroed swapper_pg_dir"
fi
rm -f "$tmp/bad.core"
for bad in "--mem 32" "--kaslr 0x1234" "--levels 3" "--cpus 65" \
	"--cpus 2 --panic-cpu 2" "--class 32 --sparse-segments 10" \
	"--sparse-gib 8" "--truncate 999999999999"; do
	# shellcheck disable=SC2086
	if "$gen" $bad "$tmp/bad.core" 2>/dev/null; then
		fail "accepted bad options: $bad"
	else
		pass "rejects $bad"
	fi
done

if [ "$failures" -ne 0 ]; then
	echo "check-mkvmcore: $failures failure(s)" >&2
	exit 1
fi
echo "check-mkvmcore: all checks passed"
