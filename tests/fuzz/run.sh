#!/bin/sh
# Build and run the libFuzzer harnesses (tests/fuzz/fuzz-*.c).
#
# Usage (from anywhere; no make needed):
#   tests/fuzz/run.sh                 # every harness, FUZZ_SECONDS each
#   tests/fuzz/run.sh rsp server      # just these (rsp vmcoreinfo vmcore server loader dumplevel)
#   FUZZ_SECONDS=5 tests/fuzz/run.sh  # smoke run, for `make check`
#   FUZZ_BUILD_ONLY=1 tests/fuzz/run.sh
#
# Environment:
#   FUZZ_SECONDS  run time per harness (default 60)
#   FUZZ_BUILD    build directory (default build-fuzz in the source tree)
#   CLANG         compiler (default clang; needs libFuzzer: Debian clang +
#                 libclang-rt-*-dev) -- libelf-dev is needed as for make
#   FUZZ_ARGS     extra libFuzzer options (e.g. -jobs=2 -workers=2)
#
# Everything is compiled with -fsanitize=fuzzer,address,undefined: the
# objects of libvmcore/, arch/, libkernel/ and gdbserver-vmcore/ (without main.c), the
# harness, and tests/unit/corefile.c / gdbframes.c where a harness needs
# them.  Each harness runs over a working corpus FUZZ_BUILD/corpus/NAME
# (new inputs go there) plus the committed seeds tests/fuzz/corpus/NAME,
# with tests/fuzz/NAME.dict when there is one.  Crashes land in
# FUZZ_BUILD/crashes/NAME/, the log in FUZZ_BUILD/NAME.log.  To replay or
# minimise one:
#   FUZZ_BUILD/fuzz-NAME FUZZ_BUILD/crashes/NAME/crash-...
#   FUZZ_BUILD/fuzz-NAME -minimize_crash=1 -runs=10000 crash-...
#
# Exit status: 0 when no harness crashed, 1 otherwise, 2 on build errors.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
cd "$src" || exit 2
out=${FUZZ_BUILD:-build-fuzz}
cc=${CLANG:-clang}
secs=${FUZZ_SECONDS:-60}
all="rsp vmcoreinfo vmcore server loader dumplevel"
targets=${*:-$all}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: $cc not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-std=gnu11 -g -O1 -D_FILE_OFFSET_BITS=64 $san"
mkdir -p "$out/obj" || exit 2

# ---- build -------------------------------------------------------------
objs=""
for f in libvmcore/*.c arch/*.c libkernel/*.c gdbserver-vmcore/*.c; do
	[ "$f" = gdbserver-vmcore/main.c ] && continue
	o="$out/obj/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')"
	# Rebuild when the source or any header of the tree is newer.
	if [ ! -f "$o" ] || [ -n "$(find libvmcore arch libkernel gdbserver-vmcore \
	     -name '*.[ch]' -newer "$o" 2>/dev/null | head -n 1)" ]; then
		$cc $cflags -fsanitize=fuzzer-no-link -Wall -Wextra -c "$f" -o "$o" ||
			exit 2
	fi
	objs="$objs $o"
done

extra_rsp="tests/unit/gdbframes.c"
extra_server="tests/unit/corefile.c"
extra_dumplevel="tests/unit/corefile.c"
extra_loader="loader/bzimage.c loader/iomem.c loader/corehdr.c"
for t in $targets; do
	case " $all " in *" $t "*) ;; *)
		echo "fuzz: unknown harness '$t' (have: $all)" >&2; exit 2 ;;
	esac
	eval "extra=\${extra_$t:-}"
	# shellcheck disable=SC2086
	$cc $cflags -fsanitize=fuzzer -Wall -Wextra -Werror -Wshadow \
		-Wstrict-prototypes -Wmissing-prototypes \
		"tests/fuzz/fuzz-$t.c" $extra $objs -ldw -llzma -lelf -lz -llzo2 -lsnappy -lzstd -o "$out/fuzz-$t" ||
		exit 2
done
[ -n "${FUZZ_BUILD_ONLY:-}" ] && exit 0

# ---- run ---------------------------------------------------------------
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
status=0
for t in $targets; do
	mkdir -p "$out/corpus/$t" "$out/crashes/$t"
	case $t in
	vmcore) maxlen=65536 ;;
	dumplevel) maxlen=40000 ;;
	*) maxlen=4096 ;;
	esac
	dict=""
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	seeds=""
	[ -d "tests/fuzz/corpus/$t" ] && seeds="tests/fuzz/corpus/$t"
	echo "== fuzz-$t: ${secs}s"
	# shellcheck disable=SC2086
	"$out/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$maxlen" -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$t/" $dict ${FUZZ_ARGS:-} \
		"$out/corpus/$t" $seeds >"$out/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$out/$t.log" | tail -n 1)
	corpus=$(ls "$out/corpus/$t" | wc -l)
	echo "   ${runs:-?} executions, ${cov:-no coverage line}, corpus $corpus files"
	if [ "$rc" -ne 0 ]; then
		status=1
		echo "FAIL fuzz-$t (exit $rc): see $out/$t.log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' \
			"$out/$t.log" | head -n 10
	else
		echo "PASS fuzz-$t"
	fi
done
exit $status
