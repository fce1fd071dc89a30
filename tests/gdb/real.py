# Checks on a real x86_64 dump made in QEMU: a kdump
# (tests/real/make-dump-x86_64.sh) or, with DUMP_KIND=qemu in meta.txt, a
# QEMU dump-guest-memory file (tests/real/make-qemu-dumps-x86_64.sh).
# Run by tests/gdb/run-real.sh as:
#   VMC_META=DUMPDIR/meta.txt gdb -batch -nx VMLINUX \
#       -ex 'target remote | gdbserver-vmcore DUMPDIR/vmcore' -x real.py
# Ground truth comes from the guest itself (meta.txt: /proc/kallsyms,
# /proc/modules, pids), never from our own reading of the dump.
import os
import re

import gdb
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_busy_cpu, check_idle_bt, other_cpu_pid  # noqa
from checks import (c_string, check, check_eq, check_in, check_match,  # noqa
                    finish, meta, run, value)

m = meta()
crash_cpu = int(m["CRASHER_CPU"])
panic_thread = crash_cpu + 1
quick = os.environ.get("VMC_QUICK") == "1"
# QEMU stopped a live machine: pr_pid is the vCPU number + 1 (so threads
# name no pid), the panic CPU still spins in panic() and the other one was
# halted by panic()'s stop IPI.  A kdump holds the registers the CPUs
# saved for crash_kexec() and the NMI that stopped the others.
qemu = m.get("DUMP_KIND") == "qemu"

# --- symbols are right without manual offsets (KASLR) -------------------
for sym in ("_stext", "linux_banner", "init_uts_ns", "init_task"):
    got = value("(unsigned long)&%s" % sym)
    check_eq("symbol %s relocated" % sym, "0x%x" % int(got),
             m["KSYM_" + sym])

# --- threads --------------------------------------------------------------
threads = run("info threads")
ncpus = int(m["NR_CPUS_ONLINE"])
check_eq("one thread per CPU", len(gdb.selected_inferior().threads()), ncpus)
check_match("panic CPU is the current thread",
            r"^\* %d +Thread %d \"CPU %d\"" % (panic_thread, panic_thread,
                                              crash_cpu), threads)
if qemu:
    check_in("panic thread named from the kernel log",
             "(CPU %d, %s, panic)" % (crash_cpu, m["CRASHER_COMM"]), threads)
else:
    check_in("panic thread named from the kernel log",
             "(CPU %d, %s pid %s, panic)" % (crash_cpu, m["CRASHER_COMM"],
                                              m["CRASHER_PID"]), threads)
    other, other_pid = other_cpu_pid(m, panic_thread)
    if other_pid == 0:
        check_in("idle CPU named swapper", "swapper/", threads)

# --- the panic backtrace goes through the vmalloc'ed stack ---------------
bt = run("bt")
for fn in ("panic", "sysrq_handle_crash", "write_sysrq_trigger",
           "do_syscall_64", "entry_SYSCALL_64"):
    check_in("panic bt reaches %s" % fn, " %s " % fn, bt)

# The syscall's pt_regs frame is from user mode: one frame at the user
# pc ends the backtrace (gdbserver-vmcore/vmcore-orc.py), at the RIP the
# kernel printed in its own panic report ("RIP: 0033:0x...").
after = bt.split(" entry_SYSCALL_64 ", 1)[-1].splitlines()[1:]
after = [ln for ln in after if ln.strip()]
check("panic bt: one user-mode frame after entry_SYSCALL_64, no more",
      len(after) == 1 and re.match(r"#\d+ +0x0000[0-7][0-9a-f]* in \?\? \(\)$",
                                   after[0]) is not None, bt)
if "SAVED_DMESG" in m and len(after) == 1:
    with open(m["SAVED_DMESG"], errors="replace") as f:
        urip = re.findall(r"RIP: 0033:(0x[0-9a-f]+)", f.read())
    check("the user-mode frame is at the RIP of the kernel's panic report",
          urip and int(after[0].split()[1], 16) == int(urip[-1], 16),
          "%s vs %s" % (after[0], urip))

rsp = int(value("$rsp"))
stack = int(value("(unsigned long)current_task->stack"))
check("panic stack pointer is in the task's stack",
      0 <= rsp - stack < 4 * 16384, "rsp 0x%x stack 0x%x" % (rsp, stack))
vmalloc_base = int(value("vmalloc_base"))
check("task stack is vmalloc'ed", stack >= vmalloc_base,
      "stack 0x%x vmalloc_base 0x%x" % (stack, vmalloc_base))
# CONFIG_SCHED_STACK_END_CHECK: STACK_END_MAGIC at the stack's lowest word.
check_eq("vmalloc read: STACK_END_MAGIC at the stack end",
         int(value("*(unsigned int *)current_task->stack")), 0x57AC6E9D)

# --- per-CPU variable of the panic CPU -----------------------------------
check_eq("current_task of CPU %d is the crasher" % crash_cpu,
         c_string("current_task->comm"), m["CRASHER_COMM"])
check_eq("current_task pid", int(value("current_task->pid")),
         int(m["CRASHER_PID"]))

# --- release string and banner --------------------------------------------
check_eq("init_uts_ns release", c_string("init_uts_ns.name.release"),
         m["UNAME_R"])
check_in("linux_banner", "Linux version %s " % m["UNAME_R"],
         run("x/s linux_banner"))

# --- module memory ----------------------------------------------------------
check_eq("module struct read (virtio_blk)",
         c_string("((struct module *)%s)->name" % m["VIRTIO_BLK_THIS_MODULE"]),
         "virtio_blk")

# --- unmapped memory --------------------------------------------------------
check_in("unmapped address fails like gdb expects",
         "Cannot access memory at address 0x1000", run("x/gx 0x1000"))

# --- the idle CPU -------------------------------------------------------------
idle = [t for t in range(1, ncpus + 1) if t != panic_thread][0]
run("thread %d" % idle)
idle_bt = run("bt")
if qemu:
    check_match("other CPU bt shows panic's stop IPI",
                r" stop_this_cpu .*\n.* (__)?sysvec_reboot ", idle_bt)
elif other_pid == 0:
    # Also when an interrupt caught the CPU (tests/gdb/run-real.sh loads
    # gdbserver-vmcore/vmcore-orc.py, as an installed gdb does).
    check_idle_bt(idle_bt)
else:
    check_busy_cpu(other, other_pid, idle_bt)
if qemu or other_pid == 0:
    check_match("idle CPU current_task is swapper",
                r"^swapper/", c_string("current_task->comm"))
run("thread %d" % panic_thread)

if not quick:
    # --- read-only target, resume requests --------------------------------
    pc = int(value("$pc"))
    out = run("stepi")
    check_in("stepi leaves the target stopped", "stopped", out)
    check_in("stepi explains why", "cannot run or step", out)
    check_eq("pc unchanged after stepi", int(value("$pc")), pc)
    if not qemu:
        check_match("kdump pc is where crash_kexec saved it",
                    r"crash_setup_regs|__crash_kexec", run("frame"))
    check_in("memory writes are refused", "Cannot access memory",
             run("set var jiffies_64 = 1"))

    # --- monitor --------------------------------------------------------
    info = run("monitor info")
    check_in("monitor info: release", m["UNAME_R"], info)
    check_in("monitor info: KASLR offset",
             "offset %s" % m["KERNELOFFSET"], info)
    check_in("monitor info: paging levels",
             "x86_64 %s-level" % m["LEVELS"], info)
    check_in("monitor info: panic CPU confirmed by the log",
             "as the kernel log says", info)
    if qemu:
        check("monitor info: no pid from QEMU's pr_pid",
              "(pid " not in info, info)
        if m["VMCOREINFO_NOTE"] == "0":
            check_in("monitor info: VMCOREINFO found in memory",
                     "using the kernel's own copy found in memory", info)
        # Which of QEMU's files this is, the runner says (not the server).
        if os.environ["VMC_QEMU_FORMAT"] == "kdump-zlib":
            check_match("monitor info: the flattened kdump-compressed file",
                        r"^format +kdump-compressed v6, zlib, .*flattened",
                        info)
            check_in("monitor info: QEMU's wrong phys_base reported",
                     "using VMCOREINFO (QEMU 7.2", info)
        else:
            check_match("monitor info: an ELF file", r"^format +ELF64, ", info)
            check("monitor info: no phys_base warning for an ELF file",
                  "phys_base" not in info, info)
    dmesg = run("monitor dmesg")
    check_in("monitor dmesg: marker written to /dev/kmsg", m["MARKER"], dmesg)
    check_in("monitor dmesg: sysrq crash", "sysrq: Trigger a crash", dmesg)
    check_match("monitor dmesg: panic line with the crasher",
                r"CPU: %d PID: %s Comm: %s" % (crash_cpu, m["CRASHER_PID"],
                                               m["CRASHER_COMM"]), dmesg)
    check("monitor dmesg ends with the crash",
          dmesg.rfind("sysrq: Trigger a crash") > dmesg.rfind(m["MARKER"]),
          "marker after the crash?")
    vtop = run("monitor vtop 0x%x" % stack)
    check_match("monitor vtop walks to a 4K page",
                r"pte .*\nphysical 0x[0-9a-f]+ \(page size 0x1000\)", vtop)
    check_in("monitor help", "vtop", run("monitor help"))

finish()
