# Checks on the real x86_64 kdump of a panic in hard-interrupt context
# (tests/real/make-dump-x86_64-irq.sh: sysrq-c from a serial BREAK, run by
# the 8250 interrupt handler on the IRQ stack of whichever CPU took the
# interrupt).  Run by tests/gdb/run-real-irq.sh as:
#   VMC_META=DUMPDIR/meta.txt VMC_REFS=... gdb -batch -nx \
#       -iex 'source gdbserver-vmcore/vmcore-orc.py' VMLINUX \
#       -ex 'target remote | gdbserver-vmcore --threads cpus DUMPDIR/vmcore' \
#       -x real-irq.py
# The panic CPU's backtrace must go from sysrq_handle_crash through the
# interrupt handler, the IRQ stack, the entry code's pt_regs frame and
# into the interrupted context, down to that stack's outermost frame,
# and name the same functions as independent unwinders of the same dump
# (VMC_REFS, written by the runner in the same run).  What the interrupted
# context was (an idle CPU or a task, kernel or user mode) is not assumed.
import os
import re
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import (bt_frame_numbers, bt_functions, check,  # noqa
                    check_busy_cpu, check_eq, check_idle_bt, check_in, finish,
                    interrupted_on_irq_stack, meta, run, value)
from btcompare import compare_refs, frame_functions, norm  # noqa

m = meta()
panic_cpu = int(m["PANIC_CPU"])
panic_thread = panic_cpu + 1
ncpus = int(m["NR_CPUS_ONLINE"])

# --- symbols and threads -----------------------------------------------------
check_eq("symbol _stext relocated",
         "0x%x" % int(value("(unsigned long)&_stext")), m["KSYM__stext"])
check_eq("one thread per CPU", len(gdb.selected_inferior().threads()), ncpus)
check_eq("the panic CPU's thread is selected at connect",
         gdb.selected_thread().num, panic_thread)

# --- the panic backtrace -----------------------------------------------------
bt = run("bt")
funcs = bt_functions(bt)
print(bt)


def index(name, start=0):
    """Index of the first frame at or after START whose function is NAME
    (or NAME.something, as gdb names some compiler clones), else -1."""
    for i in range(start, len(funcs)):
        if funcs[i] == name or funcs[i].startswith(name + "."):
            return i
    return -1


# The chain, in order: the sysrq handler, the 8250 interrupt handler,
# __common_interrupt (run on the IRQ stack by call_on_irqstack() inlined
# in common_interrupt, whose compiler CFI knows nothing of the switch),
# common_interrupt, the entry code asm_common_interrupt (no CFI: its
# pt_regs frame is ORC's REGS type), then the interrupted context.
chain = ["sysrq_handle_crash", "serial8250_interrupt", "__common_interrupt",
         "common_interrupt", "asm_common_interrupt"]
at = [index(chain[0])]
for name in chain[1:]:
    at.append(index(name, max(at[-1], 0) + 1) if at[-1] >= 0 else -1)
for name, i in zip(chain, at):
    check("panic bt reaches %s (in order)" % name, i >= 0, bt)
entry = at[-1]
check("panic bt goes on below the interrupt's pt_regs frame",
      entry >= 0 and len(funcs) > entry + 1 or "?? (" in bt, bt)

check("panic bt: no stop", "Backtrace stopped" not in bt, bt)
check("panic bt: no unreadable memory",
      "Cannot access memory at address" not in bt.replace(
          "<error: Cannot access memory", ""), bt)
# An unnamed frame is allowed only as the last one, at a user-mode pc
# (the interrupt came from user mode; ORC's REGS frame ends the stack).
lines = [ln for ln in bt.splitlines() if re.match(r"#\d+ ", ln)]
unnamed = [i for i, ln in enumerate(lines) if " in ?? (" in ln]
user_end = (unnamed == [len(lines) - 1] and
            int(lines[-1].split()[1], 16) < 1 << 47)
check("panic bt: no unnamed frame but a last one in user mode",
      not unnamed or user_end, bt)
if not user_end:
    check("panic bt ends at its stack's outermost frame (ORC end of "
          "stack: secondary_startup_64 for an idle CPU, ret_from_fork "
          "for a task)",
          bool(funcs) and re.match(r"(secondary_startup_64|ret_from_fork)",
                                   funcs[-1]), bt)
    if m["PANIC_PID"] == "0":
        check_idle_bt(bt, "panic CPU (idle when interrupted) bt")

# The stacks: sysrq_handle_crash ran on this CPU's IRQ stack (the per-CPU
# hardirq_stack_ptr is its top; gdbserver-vmcore reads per-CPU variables
# of the selected thread's CPU), the frame below the entry code on another
# stack.
def frame_sp(i):
    run("frame %d" % i)
    return int(value("(unsigned long)$sp"))


irq_top = int(value("(unsigned long)hardirq_stack_ptr"))
numbers = bt_frame_numbers(bt)
if at[0] >= 0 and entry >= 0 and entry + 1 < len(lines):
    crash_sp = frame_sp(numbers[at[0]])
    below_sp = frame_sp(numbers[entry] + 1)
    run("frame 0")
    check("sysrq_handle_crash ran on the IRQ stack",
          irq_top - 16384 <= crash_sp <= irq_top,
          "sp 0x%x, hardirq_stack_ptr 0x%x" % (crash_sp, irq_top))
    # Unless the kernel's report says the interrupt came while the CPU was
    # on its IRQ stack already (a softirq at the end of another interrupt).
    nested = interrupted_on_irq_stack(m["PANIC_TRACE"], "asm_common_interrupt")
    if check("the entry frame is in the kernel's report", nested is not None):
        check("the interrupted frame is %s, as in the kernel's report"
              % ("on the IRQ stack too" if nested else "on another stack"),
              (irq_top - 16384 <= below_sp <= irq_top + 8) == nested,
              "sp 0x%x, hardirq_stack_ptr 0x%x" % (below_sp, irq_top))


# --- the same functions as independent unwinders -----------------------------
# (tests/gdb/btcompare.py.)  The references disagree with each other:
# drgn 0.0.22 stops at the IRQ stack switch in common_interrupt (it trusts
# the compiler's CFI there; later drgn prefers ORC's SP_INDIRECT
# entries), so it is only a prefix; crash and the kernel lack the inline
# frames.
ours = norm(frame_functions())
run("thread %d" % panic_thread)
compare_refs(ours, "sysrq_handle_crash")

# --- the other CPU -----------------------------------------------------------
pids = [int(p) for p in m["PRSTATUS_PIDS"].split(",")]
for t in range(1, ncpus + 1):
    if t == panic_thread:
        continue
    run("thread %d" % t)
    other_bt = run("bt")
    if pids[t - 1] == 0:
        check_idle_bt(other_bt, "CPU %d (idle) bt" % (t - 1))
    else:
        check_busy_cpu(t, pids[t - 1], other_bt)
run("thread %d" % panic_thread)

finish()
