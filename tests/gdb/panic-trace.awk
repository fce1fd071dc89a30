# The kernel's own backtrace of a sysrq-c panic, from a kernel log with
# timestamps (drgn-dmesg.py's): its reliable entries ("FUNC+0xOFF/0xLEN",
# not "? ..."), one a line, innermost first, from the line after
# "Call trace:" (arm64) or "Call Trace:" (x86), with the interrupted
# function of an x86 entry's pt_regs from its "EIP: FUNC+..." or
# "RIP: SEG:FUNC+..." line; <IRQ> markers and register lines are left out.
# Usage: awk -f panic-trace.awk DMESG
{ sub(/^\[ *[0-9.]*\] /, "") }
/^Kernel panic - not syncing: sysrq triggered crash/ { p = 1 }
p && /^Call [Tt]race:$/ { t = 1; next }
!t { next }
/^[ER]IP: / { sub(/^[ER]IP: ([0-9a-f]+:)?/, ""); if (/^[A-Za-z_]/) print; next }
/^ [A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+\/0x[0-9a-f]+$/ { sub(/^ /, ""); print; next }
/^ *(<\/?IRQ>|<\/?TASK>|\? .*)$/ { next }
/^(Code|EAX|ESI|DS|CR0|DR[0-7]|RSP|RAX|RDX|RBP|R10|R13|FS|CS|CR2|PKRU):/ { next }
{ exit }
