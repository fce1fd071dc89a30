# Backtraces of real kdumps with gdbserver-vmcore's unwinder
# (gdbserver-vmcore/vmcore-orc.py, with vmcore-arm64.py on aarch64), on
# aarch64 and i386: the plain dumps (sysrq-c written to
# /proc/sysrq-trigger: a syscall from user mode) and those of a panic in
# hard-interrupt context (make-dump-aarch64.sh --irq, make-dump-i386.sh
# --irq: sysrq-c from a serial BREAK, run by the UART's interrupt
# handler (PL011, 8250) on the IRQ stack of whichever CPU took the
# interrupt, interrupting whatever it ran).  Run by
# tests/gdb/run-real-aarch64.sh and run-real-i386.sh as:
#   VMC_META=DUMPDIR/meta.txt VMC_KERNEL_TRACE=FILE [VMC_DRGN=FILE] \
#       gdb -batch -nx -iex 'source .../vmcore-orc.py' VMLINUX \
#       -ex 'target remote | gdbserver-vmcore --vmlinux VMLINUX DUMP' \
#       -x real-bt.py
# (task threads).  References, made by the runner from the same dump:
# the kernel's own backtrace of the panic (VMC_KERNEL_TRACE: its
# unwinder at crash time, "FUNC+0xOFF/0xLEN" lines) and, on aarch64,
# drgn 0.0.31's stack trace of the crashed thread (VMC_DRGN: one
# function a line, inline frames included, as gdb shows them; drgn has
# no i386 unwinder, and Debian's crash reads dumps of the host's
# architecture only).
import os
import re
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, check_eq, finish, meta, run  # noqa

m = meta()
irq = m.get("DUMP_KIND") == "kdump-irq"
arch = m["ARCH"]
# Where a kernel stack ends: a task's first kernel frame is the
# exception entry from user mode (then one frame at the user pc) or
# ret_from_fork; the idle tasks' stacks were set up by the boot code.
BOTTOM = {
    "aarch64": ("ret_from_fork", "el0t_64_sync", "el0t_64_irq",
                "el0t_32_sync", "el0t_32_irq", "__primary_switched",
                "__secondary_switched"),
    "i386": ("ret_from_fork", "entry_SYSENTER_32", "entry_INT80_32",
             "handle_exception", "asm_common_interrupt", "startup_32_smp"),
}[arch]
# The interrupt path, in order: the sysrq handler, the UART's interrupt
# handler, the IRQ stack switch, the entry code and its pt_regs.
IRQ_CHAIN = {
    "aarch64": ["sysrq_handle_crash", "pl011_int", "call_on_irq_stack",
                "el1h_64_irq"],
    "i386": ["sysrq_handle_crash", "serial8250_interrupt", "__handle_irq",
             "common_interrupt", "asm_common_interrupt"],
}[arch]
ENTRY = {"aarch64": "el0t_64_sync", "i386": "entry_SYSENTER_32"}[arch]
# User addresses are below this (aarch64: 48-bit VA; i386: 3G/1G split).
USER_TOP = {"aarch64": 1 << 48, "i386": 0xc0000000}[arch]
MASK = {"aarch64": (1 << 64) - 1, "i386": (1 << 32) - 1}[arch]
SLIDE = int(m.get("KERNELOFFSET") or m.get("KASLR_OFFSET"), 16)


def frames():
    """gdb's frames of the selected thread, innermost first, as (pc, name),
    without the tail-call frames gdb makes up from call-site information
    and the pc-0 frame after the end of a stack (the unwinder's way to end
    it; its frame filter keeps it out of "bt")."""
    out = []
    f = gdb.newest_frame()
    while f is not None and len(out) < 200:
        if f.type() != gdb.TAILCALL_FRAME and not (
                f.pc() == 0 and f.older() is None):
            out.append((f.pc(), f.name() or "??"))
        f = f.older()
    return out


# --- the panic thread ----------------------------------------------------------
panic_pid = int(m["PANIC_PID"] if irq else m["CRASHER_PID"])
panic_cpu = int(m["PANIC_CPU"] if irq else m["CRASHER_CPU"])
current = [ln for ln in run("info threads").splitlines()
           if ln.startswith("*")]
check("the panic's task is selected at connect (pid %d, CPU %d)"
      % (panic_pid, panic_cpu),
      len(current) == 1 and "CPU %d, panic)" % panic_cpu in current[0] and
      ("/%d\"" % panic_pid in current[0] or panic_pid == 0), current)
bt = run("bt")
print(bt)
ours = frames()
names = [n for _, n in ours]
check("panic bt: no stop, no unreadable memory",
      "Backtrace stopped" not in bt and "Cannot access memory" not in
      bt.replace("<error: Cannot access memory", ""), bt)
if irq:
    chain = list(IRQ_CHAIN)
    if arch == "aarch64" and "el1h_64_irq" not in names and \
            "el0t_64_irq" in names:
        # The CPU was in user mode (on the suite's dumps it idles in the
        # kernel, but that is not assumed).
        chain[-1] = "el0t_64_irq"
    pos = [names.index(n) if n in names else -1 for n in chain]
    check("panic bt: %s, in order" % " < ".join(chain),
          -1 not in pos and pos == sorted(pos), bt)
    # Below the entry frame: the interrupted context, its pc exact (the
    # entry's pt_regs), down to its stack's end.
    at = pos[-1]
    check("panic bt goes on below %s's pt_regs" % chain[-1],
          at >= 0 and len(names) > at + 1, bt)
else:
    check("panic bt: sysrq_handle_crash down to %s" % ENTRY,
          "sysrq_handle_crash" in names and ENTRY in names, bt)
user = [pc for pc, n in ours if pc < USER_TOP]
named = [n for pc, n in ours if pc >= USER_TOP]
check("panic bt: every frame named, but one last at a user pc",
      "??" not in named and (not user or (len(user) == 1 and
                                          ours[-1][0] == user[0])), bt)
check("panic bt ends at its stack's end (%s)" % ", ".join(BOTTOM),
      bool(named) and named[-1] in BOTTOM, bt)

# --- the kernel's own backtrace: the same return addresses -----------------
# Its entries name each return address as symbol+offset; the addresses
# are System.map's moved by the KASLR offset.  The kernel walks frame
# records: it starts in dump_backtrace and shows no inline frames, and
# a return address past a noreturn call's function is named after the
# next symbol (sysrq_handle_crash's as sysrq_reset_seq_param_set+0x0).
# From the frame after panic's on, its list of addresses is gdb's,
# without gdb's inline frames (which repeat a pc), to the same end.
symaddr = {}
with open(m["SYSTEM_MAP"]) as f:
    for line in f:
        parts = line.split()
        if len(parts) == 3:
            symaddr.setdefault(parts[2], []).append(int(parts[0], 16))
kernel = []
with open(os.environ["VMC_KERNEL_TRACE"]) as f:
    for line in f:
        mt = re.match(r"([A-Za-z_][\w.]*)\+0x([0-9a-f]+)/0x[0-9a-f]+$",
                      line.strip())
        if mt:
            kernel.append((mt.group(1), [(a + SLIDE + int(mt.group(2), 16))
                                         & MASK
                                         for a in symaddr.get(mt.group(1),
                                                              [])]))
gdb_pcs = []
for pc, n in ours:
    if pc >= USER_TOP and (not gdb_pcs or gdb_pcs[-1] != pc):
        gdb_pcs.append(pc)
k_at = next((i for i, (n, _) in enumerate(kernel) if n == "panic"), -1)
g_at = next((i for i, (pc, n) in enumerate(ours) if n == "panic"), -1)
check("the kernel's trace and gdb's both have panic", k_at >= 0 and
      g_at >= 0, "kernel: %s" % [n for n, _ in kernel])
if k_at >= 0 and g_at >= 0:
    want = kernel[k_at + 1:]
    got = gdb_pcs[gdb_pcs.index(ours[g_at][0]) + 1:]
    detail = "gdb: %s\nkernel: %s" % (
        " ".join("0x%x" % pc for pc in got),
        " ".join("%s(%s)" % (n, ",".join("0x%x" % a for a in pcs))
                 for n, pcs in want))
    check("panic bt: the kernel's return addresses after panic, in order, "
          "and no other (%d)" % len(want),
          len(got) == len(want) and len(want) > 5 and
          all(g in pcs for g, (_, pcs) in zip(got, want)), detail)

# --- drgn 0.0.31: the same functions ------------------------------------------
# drgn shows inline frames as gdb does: its list is gdb's, as far as it
# goes.  On the interrupt dump it goes as far as do_interrupt_handler,
# the caller of call_on_irq_stack, and gives up below it (an unnamed
# "???" frame and the end: it has no way through the EL1 entry's
# pt_regs); on the plain one it goes to el0t_64_sync, like gdb.
drgn = None
if os.environ.get("VMC_DRGN"):
    with open(os.environ["VMC_DRGN"]) as f:
        drgn = [ln.strip() for ln in f if ln.strip()]
if drgn is not None:
    unknown = [i for i, n in enumerate(drgn) if n.startswith("??")]
    known = drgn[:unknown[0]] if unknown else drgn
    detail = "gdb:  %s\ndrgn: %s" % (" ".join(named), " ".join(drgn))
    check("drgn's trace has sysrq_handle_crash",
          "sysrq_handle_crash" in known, detail)
    if irq:
        check("panic bt names the functions drgn 0.0.31 does, in order, "
              "as far as drgn goes (at least to call_on_irq_stack's "
              "caller)", named[:len(known)] == known and
              "call_on_irq_stack" in known[:-1], detail)
    else:
        check("panic bt names the functions drgn 0.0.31 does, in order",
              named == drgn, detail)

# --- every task ----------------------------------------------------------------
FRAME = re.compile(r"^#\d+ +(?:(0x[0-9a-f]+)(?: \[PAC\])? in )?(\S+) \(",
                   re.M)
bts = run("thread apply all bt")
parts = re.split(r"^Thread \d+ \(Thread (\d+) ", bts, flags=re.M)[1:]
by_tid = {int(parts[i]): parts[i + 1] for i in range(0, len(parts), 2)}
check_eq("thread apply all bt covers every thread", len(by_tid),
         len(gdb.selected_inferior().threads()))
bad = []
for tid, text in sorted(by_tid.items()):
    fr = FRAME.findall(text)
    last_named = [n for pc, n in fr if n != "??"]
    unnamed = [i for i, (pc, n) in enumerate(fr) if n == "??"]
    ok = (len(fr) >= 2 and "Backtrace stopped" not in text and
          "Cannot access memory" not in text.replace(
              "<error: Cannot access memory", "") and
          "Traceback" not in text and last_named and
          last_named[-1] in BOTTOM and
          (not unnamed or (unnamed == [len(fr) - 1] and fr[-1][0] and
                           int(fr[-1][0], 16) < USER_TOP)))
    if not ok:
        bad.append("%d: %s" % (tid, text.strip()[-600:]))
check("every task's bt ends cleanly at %s (one frame at the user pc at "
      "most), no stop, no unreadable memory, no unnamed frame"
      % ", ".join(BOTTOM), not bad, "\n".join(bad[:5]))

finish()
