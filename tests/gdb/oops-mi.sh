#!/bin/sh
# oops-mi.sh GDB SERVER_COMMAND VMLINUX FUNC MODULE: a gdb/MI session (as
# an IDE drives gdb) on an oops dump whose crashing frame is in MODULE's
# code: with no command but the connection, =library-loaded names the
# module's file and -stack-list-frames gives frame FUNC with its source
# file MODULE.c.  Prints PASS/FAIL lines; exits non-zero on a failure.
# Used by run-real-oops.sh.
set -u
gdb=$1 target=$2 vmlinux=$3 func=$4 module=$5
out=$(printf '%s\n' "-target-select remote | $target" '-stack-list-frames' '-gdb-exit' |
	timeout 600 "$gdb" -nx -q --interpreter=mi "$vmlinux" 2>&1)
rc=0
if printf '%s\n' "$out" | grep -q "^=library-loaded,.*target-name=\"[^\"]*$module\.ko[^\"]*\""; then
	echo "PASS mi: =library-loaded for $module.ko with no command"
else
	echo "FAIL mi: no =library-loaded for $module.ko"; rc=1
fi
# One frame tuple: frame={level="N",addr="...",func="FUNC",file="...",...}
if printf '%s\n' "$out" | grep '^\^done,stack=' |
	grep -q "frame={level=\"[0-9]*\",addr=\"0x[0-9a-f]*\",func=\"$func\",file=\"[^\"]*$module\.c\""; then
	echo "PASS mi: -stack-list-frames has $func in $module.c"
else
	echo "FAIL mi: -stack-list-frames has no $func frame in $module.c"; rc=1
fi
[ $rc = 0 ] || printf '%s\n' "$out" | sed 's/^/    /' | head -60
exit $rc
