# Checks on one real x86_64 kdump of a test-module crash
# (tests/real/make-dump-x86_64-oops.sh: the module vmcore_oops oopses on
# demand; oops=panic panic_on_warn=1).  Run by tests/gdb/run-real-oops.sh
# once per case and gdb as:
#   VMC_META=SET/CASE/meta.txt VMC_REFS=... gdb -batch -nx \
#       -iex 'source gdbserver-vmcore/vmcore-orc.py' VMLINUX \
#       -ex 'target remote | gdbserver-vmcore -q --search-dir KODIR SET/CASE/vmcore' \
#       -x real-oops.py
# with KODIR the fixture's directory that holds vmcore_oops.ko.  The
# panic thread's backtrace must go from the function that crashed
# through exception frames (page fault, invalid opcode, #DF), the IRQ
# stack and the entry code to the end of its stack, and name the same
# functions as independent unwinders of the same dump (VMC_REFS: drgn
# 0.0.31, crash 8.0.6, the kernel's own report); every task's backtrace
# must end without a stop; the write(2) buffer must be readable.
import os
import re
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import (bt_functions, check, check_busy_cpu, check_eq,  # noqa
                    check_idle_bt, check_in, check_match, finish,
                    interrupted_on_irq_stack, meta, run, value)
from btcompare import compare_refs, frame_functions, norm  # noqa

m = meta()
case = m["CASE"]
panic_thread = int(m["PANIC_CPU"]) + 1
# The function that crashed (the RIP of the kernel's report).
CRASHED = {"null": "oops_null_write", "timer": "oops_timer_fn",
           "bug": "oops_bug", "warn": "oops_warn",
           "overflow": "oops_recurse"}[case]
# Every case crashes inside the write(2) of the word to /proc/vmcore-oops:
# the timer case's writer spins in oops_timer_wait until its interrupt.

check_eq("symbol _stext relocated",
         "0x%x" % int(value("(unsigned long)&_stext")), m["KSYM__stext"])
check_eq("the panic CPU's thread is selected at connect",
         gdb.selected_thread().num, panic_thread)

# The module's symbols, with no command: the server lists vmcore_oops
# as a library (found by its build-id under --search-dir) and gdb loads
# it at connect.
check_match("gdb has vmcore_oops as a library, with no command",
            r"vmcore_oops\.ko", run("info sharedlibrary"))

# --- the panic backtrace -----------------------------------------------------
bt = run("bt")
print(bt)
funcs = bt_functions(bt)
lines = [ln for ln in bt.splitlines() if re.match(r"#\d+ ", ln)]
# gdb's frame number of each line (with gaps where a frame is hidden).
numbers = [int(ln[1:].split()[0]) for ln in lines]

check("panic bt has %s" % CRASHED, CRASHED in funcs, bt)
crash_line = [ln for ln in lines if re.search(r" %s \(" % CRASHED, ln)]
check("the module's frame is symbolic, with its source file",
      bool(crash_line) and "vmcore_oops.c:" in crash_line[0], bt)
check("panic bt: no stop", "Backtrace stopped" not in bt, bt)
check("panic bt: no unreadable memory",
      "Cannot access memory at address" not in bt.replace(
          "<error: Cannot access memory", ""), bt)
# An unnamed frame is allowed only as the last one, at a user-mode pc
# (ORC's user-mode pt_regs frame ends the stack).
unnamed = [i for i, ln in enumerate(lines) if " in ?? (" in ln]
user_end = (unnamed == [len(lines) - 1] and
            int(lines[-1].split()[1], 16) < 1 << 47)
check("panic bt: no unnamed frame but a last one in user mode",
      not unnamed or user_end, bt)
# The kernel's own report ends where its ORC unwinder stopped: the
# user-mode entry, or (an interrupt at an instruction whose ORC entry
# ends the stack: the first instruction of a retpoline thunk,
# __x86_indirect_thunk_array, was seen) in the middle of a stack, where
# vmcore-orc.py goes on when the word at sp is a call's return address.
CLEAN_END = r"(entry_SYSCALL_64|ret_from_fork|secondary_startup_64)"
with open(m["PANIC_TRACE"]) as f:
    kernel_last = [re.sub(r"\+0x.*", "", ln.strip()) for ln in f
                   if re.match(r"[A-Za-z_][\w.]*\+0x", ln)][-1:]
orc_end = kernel_last[0] if kernel_last and not re.match(
    CLEAN_END, kernel_last[0]) else None
check("panic bt ends at the system call's user-mode frame", user_end
      and funcs[-1:] == ["entry_SYSCALL_64"], bt)

# Where each case's frames must be, in order.
CHAIN = {
    "null": ["oops_null_write", "oops_write", "proc_reg_write", "vfs_write",
             "ksys_write", "do_syscall_64", "entry_SYSCALL_64"],
    "timer": ["oops_timer_fn", "__hrtimer_run_queues",
              "__sysvec_apic_timer_interrupt",
              "sysvec_apic_timer_interrupt",
              "asm_sysvec_apic_timer_interrupt", "oops_timer_wait",
              "oops_write", "proc_reg_write", "ksys_write", "do_syscall_64",
              "entry_SYSCALL_64"],
    "bug": ["oops_bug", "oops_write", "proc_reg_write", "ksys_write",
            "do_syscall_64", "entry_SYSCALL_64"],
    "warn": ["panic", "__warn", "report_bug", "handle_bug",
             "exc_invalid_op", "asm_exc_invalid_op", "oops_warn",
             "oops_write", "proc_reg_write", "ksys_write", "do_syscall_64",
             "entry_SYSCALL_64"],
    "overflow": ["oops_recurse", "oops_write", "proc_reg_write",
                 "ksys_write", "do_syscall_64", "entry_SYSCALL_64"],
}[case]
ours = norm(frame_functions())
pos = 0
for name in CHAIN:
    at = ours.index(name, pos) if name in ours[pos:] else -1
    check("panic bt reaches %s (in order)" % name, at >= 0,
          " ".join(ours))
    if at >= 0:
        pos = at + 1

if case == "timer":
    # oops_timer_fn ran on this CPU's IRQ stack (hardirq_stack_ptr is its
    # top; the server reads per-CPU variables of the selected thread's
    # CPU), the frame below the entry code on another stack.
    irq_top = int(value("(unsigned long)hardirq_stack_ptr"))
    entry = [i for i, ln in enumerate(lines)
             if " asm_sysvec_apic_timer_interrupt (" in ln]
    run("frame 0")
    sp0 = int(value("(unsigned long)$sp"))
    check("oops_timer_fn ran on the IRQ stack",
          irq_top - 16384 <= sp0 <= irq_top,
          "sp 0x%x, hardirq_stack_ptr 0x%x" % (sp0, irq_top))
    # The interrupted frame is on another stack unless the interrupt came
    # while the CPU was already on its IRQ stack (a softirq run at the end
    # of an earlier interrupt): the kernel's report says which, by leaving
    # the IRQ stack (</IRQ>) before the entry code's frame or not.
    nested = interrupted_on_irq_stack(m["PANIC_TRACE"],
                                      "asm_sysvec_apic_timer_interrupt")
    if check("the entry frame is in the bt", bool(entry), bt) and \
            check("the entry frame is in the kernel's report",
                  nested is not None) and entry[0] + 1 < len(lines):
        run("frame %d" % (numbers[entry[0]] + 1))
        below = int(value("(unsigned long)$sp"))
        check("the interrupted frame is %s, as in the kernel's report"
              % ("on the IRQ stack too" if nested else "on another stack"),
              (irq_top - 16384 <= below <= irq_top + 8) == nested,
              "sp 0x%x, hardirq_stack_ptr 0x%x" % (below, irq_top))
    run("frame 0")

compare_refs(ours, CRASHED, orc_end=orc_end)

# --- the written word, in user memory ----------------------------------------
at = [i for i, ln in enumerate(lines) if " ksys_write (" in ln]
if check("ksys_write has a frame", bool(at), bt):
    run("frame %d" % numbers[at[0]])
    xs = run("x/s buf")
    check_match("x/s buf in ksys_write's frame shows the word written",
                r':\s+"%s\\n' % case, xs)
    run("frame 0")

# --- every task --------------------------------------------------------------
all_bt = run("thread apply all bt")
nthreads = len(gdb.selected_inferior().threads())
check("thread apply all bt: a backtrace per thread",
      all_bt.count("\nThread ") + all_bt.startswith("Thread ") == nthreads,
      "%d threads" % nthreads)
stops = [ln for ln in all_bt.splitlines() if "Backtrace stopped" in ln or
         ("Cannot access memory" in ln and "<error: Cannot access" not in ln)]
check("thread apply all bt: no stop, no unreadable memory", not stops,
      "\n".join(stops[:10]))
# Each ends cleanly: at the user pc of a user task, a kernel thread's
# ret_from_fork, an idle task's secondary_startup_64.
unclean = []
for block in re.split(r"\n(?=Thread \d+ )", all_bt.strip()):
    frames = [ln for ln in block.splitlines() if re.match(r"#\d+ ", ln)]
    last = frames[-1] if frames else ""
    mo = re.match(r"#\d+ +0x([0-9a-f]+) in \?\? \(", last)
    if mo and int(mo.group(1), 16) < 1 << 47:
        continue
    if not (bt_functions(last) and re.match(
            r"(ret_from_fork|secondary_startup_64)", bt_functions(last)[0])):
        unclean.append(block.splitlines()[0] + ": " + last)
check("thread apply all bt: every thread ends at user mode, ret_from_fork "
      "or secondary_startup_64", not unclean, "\n".join(unclean[:10]))

# The other CPU: idle (the idle loop down to secondary_startup_64), or
# running a task.
pids = [int(p) for p in m["PRSTATUS_PIDS"].split(",")]
for t in range(1, len(pids) + 1):
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
