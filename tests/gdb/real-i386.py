# Checks on a real i386 (686-pae or 686) kdump made in QEMU
# (tests/real/make-dump-i386.sh).  Run by tests/gdb/run-real-i386.sh as:
#   VMC_META=DUMPDIR/meta.txt gdb -batch -nx VMLINUX \
#       -ex 'target remote | gdbserver-vmcore --vmlinux VMLINUX DUMPDIR/vmcore' \
#       -x real-i386.py
# Ground truth comes from the guest itself (meta.txt: /proc/kallsyms,
# /proc/modules, /proc/version, pids), never from our own reading of the
# dump.  The 686(-pae) kernels have no CONFIG_KALLSYMS_ALL (kallsyms lists
# text symbols only), no VMAP_STACK (8 KiB stacks in the direct map) and
# per-CPU variables at their link address plus __per_cpu_offset[cpu].
import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import bt_functions, check_busy_cpu, check_idle_bt  # noqa
from checks import other_cpu_pid  # noqa
from checks import (c_string, check, check_eq, check_in, check_match,  # noqa
                    finish, meta, run, value)

m = meta()
crash_cpu = int(m["CRASHER_CPU"])
panic_thread = crash_cpu + 1
quick = os.environ.get("VMC_QUICK") == "1"
pae = m["PAE"] == "1"
THREAD_SIZE = 8192      # arch/x86/include/asm/page_32_types.h

check_eq("gdb architecture is i386", gdb.selected_inferior().architecture()
         .name(), "i386")

# --- symbols are right without manual offsets (KASLR) -------------------
check("the kernel was moved by KASLR", int(m["KASLR_OFFSET"], 16) != 0,
      "KASLR_OFFSET=%s: the test proves nothing" % m["KASLR_OFFSET"])
for sym in ("_stext", "_etext", "panic", "sysrq_handle_crash",
            "write_sysrq_trigger"):
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
check_in("panic thread named from the kernel log",
         "(CPU %d, %s pid %s, panic)" % (crash_cpu, m["CRASHER_COMM"],
                                          m["CRASHER_PID"]), threads)
other, other_pid = other_cpu_pid(m, panic_thread)
if other_pid == 0:
    check_in("idle CPU named swapper", "swapper/", threads)

# --- the panic backtrace ------------------------------------------------
bt = run("bt")
for fn in ("__crash_kexec", "panic", "sysrq_handle_crash",
           "__handle_sysrq", "write_sysrq_trigger", "vfs_write",
           "ksys_write"):
    check_in("panic bt reaches %s" % fn, " %s " % fn, bt)
# A 32-bit task enters by sysenter or int $0x80.
check_match("panic bt reaches the 32-bit syscall entry",
            r" (do_fast_syscall_32|do_int80_syscall_32|__do_fast_syscall_32)"
            r" ", bt)
check("panic bt has no garbage frames", "??" not in bt.split(
      "write_sysrq_trigger")[0], bt)


# --- entry frames (gdbserver-vmcore's unwinder: vmcore-orc.py) ---------------
# No independent i386 kernel unwinder exists here: drgn (0.0.31) reads
# these dumps (tasks_ref.py) but its stack_trace() says "core dump stack
# unwinding is not supported for i386 architecture", Debian's crash is
# built for the host's architecture only, and the dump keeps no backtrace
# of the kernel's own for an idle CPU.  So the references are the
# struct pt_regs the entry code saved, found without the unwinder: the
# argument of the C function it called (DWARF) or, for a task that entered
# from user mode, task_pt_regs() = (struct pt_regs *)thread.sp0 - 1, read
# with plain typed memory reads.
def pt_regs_at(addr):
    r = "(*(struct pt_regs *)0x%x)" % addr
    return dict((f, int(value("%s.%s" % (r, f))) & 0xffffffff)
                for f in ("ip", "sp", "cs", "bp"))


def entry_frames():
    """(entry frame, its caller) for every frame in .entry.text."""
    lo = int(value("(unsigned long)&__entry_text_start"))
    hi = int(value("(unsigned long)&__entry_text_end"))
    f, out = gdb.newest_frame(), []
    while f is not None:
        if lo <= f.pc() < hi and f.newer() is not None:
            out.append((f, f.older()))
        f = f.older()
    return out


def check_entry_frames(bt, what, task_regs=None):
    """Each entry frame's caller is the context its pt_regs saved (at the
    called function's regs argument, else at TASK_REGS); returns how many
    entry frames were checked."""
    n = 0
    for f, older in entry_frames():
        name = "%s: %s's caller" % (what, f.name())
        regs = None
        try:
            v = f.newer().read_var("regs")
            regs = None if v.is_optimized_out else int(v) & 0xffffffff
        except (gdb.error, ValueError):
            pass
        if regs is None:
            regs = task_regs
        if not check("%s: the pt_regs are known" % name, regs is not None,
                     bt):
            continue
        n += 1
        r = pt_regs_at(regs)
        if r["cs"] & 3:
            # (gdb's frame list ends with the pc-0 frame the unwinder's
            # end of stack is, which backtraces leave out.)
            last = older is not None and (older.older() is None or
                                          older.older().pc() == 0)
            check("%s is the last frame (user mode)" % name, last, bt)
        else:
            ebp = int(f.read_register("ebp")) & 0xffffffff
            check_eq("%s: %%ebp encodes the pt_regs at %s's regs argument"
                     % (name, f.newer().name()), "0x%x" % (ebp | 0x80000000),
                     "0x%x" % regs)
        if check("%s exists" % name, older is not None, bt):
            check_eq("%s: pc = pt_regs.ip" % name, "0x%x" % older.pc(),
                     "0x%x" % r["ip"])
            check_eq("%s: sp = pt_regs.sp" % name, "0x%x" % (
                int(older.read_register("esp")) & 0xffffffff), "0x%x" % r["sp"])
    return n



# --- per-CPU variables: link address + __per_cpu_offset[cpu] ----------
def cpu_current(cpu):
    return "(*(struct task_struct **)((char *)&current_task + " \
           "__per_cpu_offset[%d]))" % cpu


cur = cpu_current(crash_cpu)

# The crasher entered by sysenter or int $0x80: its user context ends the
# backtrace, one frame at the user pc task_pt_regs() holds.
task_regs = int(value("(unsigned long)((struct pt_regs *)%s->thread.sp0 - 1)"
                      % cur)) & 0xffffffff
check_eq("panic bt: one entry frame, checked against its pt_regs",
         check_entry_frames(bt, "panic bt", task_regs), 1)
funcs = bt_functions(bt)
check_match("panic bt: the syscall entry is the last kernel frame",
            r"^entry_(SYSENTER|INT80)_32$", funcs[-1] if funcs else "")
check_match("panic bt: then one frame at the user pc of task_pt_regs()",
            r"\n#\d+ +0x0*%x in \?\? \(\)\s*$" %
            pt_regs_at(task_regs)["ip"], bt)
check("panic bt: no stop", "Backtrace stopped" not in bt, bt)
check_eq("current_task of CPU %d is the crasher" % crash_cpu,
         c_string("%s->comm" % cur), m["CRASHER_COMM"])
check_eq("current_task pid", int(value("%s->pid" % cur)),
         int(m["CRASHER_PID"]))
esp = int(value("$esp"))
stack = int(value("(unsigned long)%s->stack" % cur))
check("panic stack pointer is in the crasher's stack",
      0 <= esp - stack < THREAD_SIZE, "esp 0x%x stack 0x%x" % (esp, stack))
# CONFIG_SCHED_STACK_END_CHECK: STACK_END_MAGIC at the stack's lowest word.
check_eq("STACK_END_MAGIC at the crasher's stack end",
         int(value("*(unsigned int *)%s->stack" % cur)), 0x57AC6E9D)

# --- release string and banner --------------------------------------------
check_eq("init_uts_ns release", c_string("init_uts_ns.name.release"),
         m["UNAME_R"])
check_eq("linux_banner is /proc/version", c_string("linux_banner"),
         m["PROC_VERSION"] + "\n")

# --- module memory (vmalloc area: read through 4 KiB page-table leaves) ---
mod_addr = int(m["VIRTIO_BLK_MODULE_ADDR"], 16)
found = None
mods = []
pos = value("modules.next")
for _ in range(200):
    if int(pos) == int(value("&modules")):
        break
    mod = value("(struct module *)((char *)%d - (unsigned long)"
                "&((struct module *)0)->list)" % int(pos))
    name = mod["name"].string()
    mods.append(name)
    if name == "virtio_blk":
        found = mod
    pos = mod["list"]["next"]
check("module list (in vmalloc'ed module memory) holds virtio_blk",
      found is not None, "modules: %s" % mods)
if found is not None:
    check_eq("virtio_blk core_layout.base is /proc/modules' address",
             "0x%x" % int(found["core_layout"]["base"]), "0x%x" % mod_addr)
check_eq("modules as /proc/modules counts them", len(mods),
         int(m["NR_MODULES"]))

# --- a second opinion: libkdumpfile reads the same dump -------------------
# libkdumpfile 0.5.1 translates all of 0xc0000000-0xffffffff as the direct
# map (vmalloc and module addresses read wrong there), so it is compared
# on the direct map, and for the module's pages its physical reads are
# compared at addresses from a page walk written here (PAE or 2-level,
# root __pa(swapper_pg_dir) with PAGE_OFFSET 0xc0000000).
# VMC_KDUMPFILE=0 (the gdb:i386 session of tests/gdb/run-real-i386.sh):
# the same dump was compared with libkdumpfile in the 64-bit session; the
# comparison is of the server's reads, not of gdb's word size.
if os.environ.get("VMC_KDUMPFILE") == "0":
    kdumpfile = None
else:
    try:
        import kdumpfile
    except ImportError as e:
        kdumpfile = None
        check("libkdumpfile for python (python3-libkdumpfile)", False,
              str(e))

PAGE_OFFSET = 0xc0000000


def gdb_read(addr, n):
    try:
        return bytes(gdb.selected_inferior().read_memory(addr, n))
    except gdb.MemoryError as e:
        return "gdb: %s" % e


def kd_read(kd, space, addr, n):
    try:
        return kd.read(space, addr, n)
    except Exception as e:  # noqa: libkdumpfile raises several kinds
        return "libkdumpfile: %s" % e


def same(a, b):
    """Equal bytes, or both unreadable (not in the dump: page 0 and the
    crashkernel region)."""
    return a == b or (isinstance(a, str) and isinstance(b, str))


def walk(kd, va):
    """Physical address of VA by the kernel's page tables, or None."""
    def entry(addr, size):
        raw = kd_read(kd, kdumpfile.KDUMP_KPHYSADDR, addr, size)
        return None if isinstance(raw, str) else int.from_bytes(raw, "little")
    table = int(m["VMCOREINFO_SWAPPER_PG_DIR"], 16) - PAGE_OFFSET
    if pae:     # pgd (2 bits) -> pmd (9) -> pte (9), 8-byte entries
        mask = 0x000ffffffffff000
        e = entry(table + (va >> 30) * 8, 8)
        if e is None or not e & 1:
            return None
        e = entry((e & mask) + ((va >> 21) & 511) * 8, 8)
        if e is None or not e & 1:
            return None
        if e & 0x80:
            return (e & mask & ~0x1fffff) | (va & 0x1fffff)
        e = entry((e & mask) + ((va >> 12) & 511) * 8, 8)
    else:       # pgd (10 bits) -> pte (10), 4-byte entries
        e = entry(table + (va >> 22) * 4, 4)
        if e is None or not e & 1:
            return None
        if e & 0x80:
            return (e & 0xffc00000) | (va & 0x3fffff)
        e = entry((e & 0xfffff000) + ((va >> 12) & 1023) * 4, 4)
    if e is None or not e & 1:
        return None
    return (e & 0x000ffffffffff000) | (va & 0xfff)


if kdumpfile is not None:
    kd = kdumpfile.kdumpfile(m["VMCORE"])
    kd.attr["addrxlat.ostype"] = "linux"
    check_eq("libkdumpfile: the dump is ia32", kd.attr["arch.name"], "ia32")
    lowmem_end = int(value("(unsigned long)high_memory"))
    check("high_memory is in the 32-bit direct map",
          PAGE_OFFSET < lowmem_end <= 0xff800000, "0x%x" % lowmem_end)
    step = ((lowmem_end - PAGE_OFFSET) // 64) & ~0xfff
    addrs = [int(value("(unsigned long)&%s" % s)) for s in
             ("_stext", "linux_banner", "init_uts_ns", "init_task")]
    # From page 1: kexec leaves physical page 0 out of the dump (we fail
    # to read it, libkdumpfile reads zeros).
    addrs += [PAGE_OFFSET + 0x1000 + i * step + 0x7c0 for i in range(64)]
    reads = [(a, gdb_read(a, 64), kd_read(kd, kdumpfile.KDUMP_KVADDR, a, 64))
             for a in addrs]
    bad = ["0x%x: %s / %s" % r for r in reads if not same(r[1], r[2])]
    check("direct map reads as libkdumpfile reads it (%d addresses)"
          % len(addrs), not bad, "differ at %s" % bad)
    nread = len([r for r in reads if isinstance(r[1], bytes)])
    check("most of the direct map is in the dump (%d of %d read)"
          % (nread, len(addrs)), nread >= len(addrs) * 3 // 4, "")
    pages = int(m["VIRTIO_BLK_MODULE_SIZE"]) // 4096
    bad = []
    for va in range(mod_addr, mod_addr + pages * 4096, 4096):
        pa = walk(kd, va)
        ours = run("monitor vtop 0x%x" % va)
        if pa is None or "physical 0x%x " % pa not in ours or \
                gdb_read(va, 4096) != kd_read(kd, kdumpfile.KDUMP_KPHYSADDR,
                                              pa, 4096):
            bad.append("0x%x (walk: %s)" % (va, pa and hex(pa)))
    check("module pages: same walk and bytes as libkdumpfile's physical "
          "reads (%d pages)" % pages, pages > 0 and not bad,
          "differ at %s" % bad)

# --- unmapped memory --------------------------------------------------------
check_in("unmapped address fails like gdb expects",
         "Cannot access memory at address 0x1000", run("x/wx 0x1000"))

# --- the idle CPU -------------------------------------------------------------
idle = other
run("thread %d" % idle)
idle_bt = run("bt")
idle_cpu = idle - 1
if other_pid == 0:
    check_idle_bt(idle_bt, outermost="startup_32_smp")
    n = check_entry_frames(idle_bt, "idle thread bt")
    print("idle thread bt: %d interrupt entry frame(s) checked" % n)
    check_match("idle CPU current_task is swapper",
                r"^swapper/", c_string("%s->comm" % cpu_current(idle_cpu)))
else:
    check_busy_cpu(other, other_pid, idle_bt)
run("thread %d" % panic_thread)

if not quick:
    # --- read-only target ----------------------------------------------------
    pc = int(value("$pc"))
    out = run("stepi")
    check_in("stepi leaves the target stopped", "stopped", out)
    check_in("stepi explains why", "cannot run or step", out)
    check_eq("pc unchanged after stepi", int(value("$pc")), pc)
    check_match("... in the panicking task's crash path",
                r"crash_setup_regs|__crash_kexec", run("frame"))
    check_in("memory writes are refused", "Cannot access memory",
             run("set var jiffies_64 = 1"))

    # --- monitor ---------------------------------------------------------
    info = run("monitor info")
    check_in("monitor info: release", m["UNAME_R"], info)
    check_in("monitor info: %s container" % m["ELF_CLASS"],
             m["ELF_CLASS"], info)
    check_in("monitor info: KASLR offset from the vmlinux",
             "offset %s (SYMBOL(_stext) - vmlinux _stext)" % m["KASLR_OFFSET"],
             info)
    if pae:
        check_in("monitor info: PAE page tables", "i386 PAE 3-level", info)
    else:
        check_in("monitor info: 2-level page tables", "i386 2-level", info)
    check_in("monitor info: panic CPU confirmed by the log",
             "as the kernel log says", info)
    dmesg = run("monitor dmesg")
    check_in("monitor dmesg: marker written to /dev/kmsg", m["MARKER"], dmesg)
    check_in("monitor dmesg: sysrq crash", "sysrq: Trigger a crash", dmesg)
    vtop = run("monitor vtop 0x%x" % mod_addr)
    if pae:
        check_match("monitor vtop of the module walks pgd, pmd, pte to a "
                    "4K page", r"pgd .*\n.*pmd .*\n.*pte .*\nphysical "
                    r"0x[0-9a-f]+ \(page size 0x1000\)", vtop)
    else:
        check_match("monitor vtop of the module walks pgd, pte to a 4K page",
                    r"pgd .*\n.*pte .*\nphysical 0x[0-9a-f]+ "
                    r"\(page size 0x1000\)", vtop)
    vtop = run("monitor vtop 0x%x" % int(value("(unsigned long)&_stext")))
    # The kernel image is in the direct map: physical = virtual -
    # PAGE_OFFSET (0xc0000000, CONFIG_VMSPLIT_3G), which the kernel maps
    # with large pages: 2 MiB pmd leaves with PAE, 4 MiB PSE pgd leaves
    # without.
    check_match("monitor vtop of _stext: a %s large page of the direct map"
                % ("2 MiB" if pae else "4 MiB"),
                r"physical 0x%x \(page size 0x%x\)" %
                (int(m["KSYM__stext"], 16) - 0xc0000000,
                 0x200000 if pae else 0x400000), vtop)

# --- user memory in the CPU view ---------------------------------------------
# The panicking CPU's task (the crasher, busybox ash running `echo c
# >/proc/sysrq-trigger`, make-dump-i386.sh) wrote "c\n" from its user
# memory; the server reads it through that task's mm->pgd (2-level or
# PAE), found from the vmlinux at the first user read.
run("thread %d" % panic_thread)
f, buf = gdb.newest_frame(), None
while f is not None and buf is None:
    if f.name() in ("write_sysrq_trigger", "vfs_write", "ksys_write"):
        try:
            v = f.read_var("buf")
            buf = None if v.is_optimized_out else int(v)
        except (gdb.error, ValueError):
            pass
    f = f.older()
if check("a write frame on the panicking CPU has buf", buf is not None,
         run("bt")):
    xs = run("x/2xb 0x%x" % buf)
    check_match("CPU view: buf holds the crasher's \"c\\n\" (its user "
                "page tables)", r":\s+0x63\s+0x0a\s*$", xs)
    vt = run("monitor vtop 0x%x" % buf)
    check_match("monitor vtop of buf walks the CPU's task's mm->pgd",
                r"\(user, thread CPU %d\)\n  mm->pgd at physical 0x[0-9a-f]+"
                r"\n(.*\n)+physical 0x" % crash_cpu, vt)
    # The idle CPU runs a kernel thread (swapper/N): no user memory.
    run("thread %d" % idle)
    check_in("idle CPU: no user memory at buf", "Cannot access memory",
             run("x/2xb 0x%x" % buf))
    check_in("unmapped user page 0x1000: Cannot access memory",
             "Cannot access memory", run("x/2xb 0x1000"))

finish()
