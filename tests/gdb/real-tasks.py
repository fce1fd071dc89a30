# Task threads on a real kdump (tests/real/make-dump-*.sh), run by
# tests/gdb/run-real-tasks.sh with the server's --vmlinux (threads are
# tasks).  The task list is checked against readers we did not write, run
# by the runner on the same dump before this session:
#   VMC_DRGN_TASKS: tests/gdb/tasks_ref.py's output (drgn, Debian 13's):
#                   pid, ppid, cpu, state, the CPU a running task was on,
#                   task_struct address and comm of every task;
#   VMC_CRASH_PS:   the output of crash's `ps` (Debian 13's crash 8.0.6),
#                   where crash reads the dump's architecture (the runner
#                   says where not, and why): pid, cpu, task address and
#                   comm of every task, ">" on the tasks running on a CPU.
# Other facts come from the guest (meta.txt: pids and names of the tasks
# it started, the crashing CPU).
import os
import re
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, check_eq, check_in, check_match, finish, meta, run  # noqa

m = meta()
ncpus = int(m["NR_CPUS_ONLINE"])
IDLE_TID = 1000000000


def read_drgn(path):
    """{task address: (pid, ppid, cpu, state, oncpu or None, comm)}"""
    tasks = {}
    with open(path) as f:
        for line in f:
            pid, ppid, cpu, st, oncpu, addr, comm = line.rstrip("\n").split(
                " ", 6)
            tasks[int(addr, 16)] = (int(pid), int(ppid), int(cpu), st,
                                    None if oncpu == "-" else int(oncpu), comm)
    return tasks


CRASH_PS = re.compile(r"^(>?) +(\d+) +(\d+) +(\d+) +([0-9a-f]+) +([A-Z]{2}) +"
                      r"[\d.]+ +\d+ +\d+ +(.*)$")


def read_crash(path):
    """{task address: (pid, cpu, active, comm)} from crash's ps (kernel
    threads' comms in brackets there)."""
    tasks = {}
    with open(path) as f:
        for line in f:
            mt = CRASH_PS.match(line.rstrip("\n"))
            if mt:
                comm = mt.group(7)
                if comm.startswith("[") and comm.endswith("]"):
                    comm = comm[1:-1]
                tasks[int(mt.group(5), 16)] = (int(mt.group(2)),
                                               int(mt.group(4)),
                                               mt.group(1) == ">", comm)
    return tasks


# monitor ps: MARK PID PPID CPU ST TASK COMM THREAD; ">" running on a CPU,
# "*" the panicking task (running too).
PS = re.compile(r"^([>* ]) *(\d+) +(\d+) +(\d+) (\S) +0x([0-9a-f]+) +(.*?) +"
                r"(\d+)$")
ps = run("monitor ps")
ours = {}
for mt in map(PS.match, ps.splitlines()):
    if mt:
        ours[int(mt.group(6), 16)] = (
            int(mt.group(2)), int(mt.group(3)), int(mt.group(4)), mt.group(5),
            mt.group(1) != " ", mt.group(7), int(mt.group(8)))
ref = read_drgn(os.environ["VMC_DRGN_TASKS"])
check("drgn found the tasks", len(ref) > ncpus + 10,
      "only %d tasks in %s" % (len(ref), os.environ["VMC_DRGN_TASKS"]))


def diff(name, got, want):
    """What differs between two {task address: fields} maps."""
    addrs = sorted(set(got) | set(want))
    out = ["0x%x: ours %s, %s %s" % (a, got.get(a), name, want.get(a))
           for a in addrs if got.get(a) != want.get(a)]
    return "%d of %d tasks differ:\n%s" % (len(out), len(addrs),
                                           "\n".join(out[:20]))


# --- monitor ps is drgn's task list, field by field -----------------------
check_eq("monitor ps lists drgn's task_struct addresses",
         sorted(ours), sorted(ref))
want = {a: (pid, ppid, cpu, st, comm)
        for a, (pid, ppid, cpu, st, _, comm) in ref.items()}
got = {a: (pid, ppid, cpu, st, comm)
       for a, (pid, ppid, cpu, st, _, comm, _) in ours.items()}
check("monitor ps: each task's pid, ppid, cpu, state and comm are drgn's",
      got == want, diff("drgn", got, want))
want = {a: oncpu for a, (_, _, _, _, oncpu, _) in ref.items()
        if oncpu is not None}
got = {a: cpu for a, (_, _, cpu, _, running, _, _) in ours.items()
       if running}
check_eq("drgn: one running task per CPU", sorted(want.values()),
         list(range(ncpus)))
check("monitor ps marks drgn's running tasks, on their CPUs", got == want,
      diff("drgn", got, want))

if os.environ.get("VMC_CRASH_PS"):
    cref = read_crash(os.environ["VMC_CRASH_PS"])
    check("crash's ps lists the tasks", len(cref) > ncpus + 10,
          "only %d tasks in %s" % (len(cref), os.environ["VMC_CRASH_PS"]))
    want = {a: (pid, cpu, comm) for a, (pid, cpu, _, comm) in cref.items()}
    got = {a: (pid, cpu, comm)
           for a, (pid, _, cpu, _, _, comm, _) in ours.items()}
    check("monitor ps: the task addresses, pids, cpus and comms of crash's ps",
          got == want, diff("crash", got, want))
    want = {a: cpu for a, (_, cpu, active, _) in cref.items() if active}
    got = {a: cpu for a, (_, _, cpu, _, running, _, _) in ours.items()
           if running}
    check("monitor ps marks crash's active tasks (ps '>'), on their CPUs",
          got == want, diff("crash", got, want))

# --- the thread list is the task list -----------------------------------
threads = gdb.selected_inferior().threads()
check_eq("info threads count = drgn's tasks", len(threads), len(ref))
got = sorted(0 if t.ptid[1] >= IDLE_TID else t.ptid[1] for t in threads)
check_eq("thread ids are drgn's pids", got,
         sorted(pid for pid, _, _, _, _, _ in ref.values()))
idle = sorted(t.ptid[1] for t in threads if t.ptid[1] >= IDLE_TID)
check_eq("idle tasks get one id per CPU", idle,
         [IDLE_TID + i for i in range(ncpus)])
# An idle task's id is IDLE_TID + its CPU (task_cpu() of an idle task).
check_eq("monitor ps: each task's thread id",
         sorted((a, tid) for a, (_, _, _, _, _, _, tid) in ours.items()),
         sorted((a, IDLE_TID + cpu if pid == 0 else pid)
                for a, (pid, _, cpu, _, _, _) in ref.items()))

info = run("info threads")
# "running on CPU N" in info threads: the CPU each running task was on.
got = sorted((0 if int(t) >= IDLE_TID else int(t), int(c)) for t, c in
             re.findall(r"Thread (\d+) \S+ \(R, running on CPU (\d+)", info))
check_eq("info threads: drgn's running tasks, on their CPUs", got,
         sorted((pid, oncpu) for pid, _, _, _, oncpu, _ in ref.values()
                if oncpu is not None))
sleeper = int(m["SLEEPER_PID"])
check_match("the guest's sleeper is a thread with its name and pid",
            r'Thread %d "%s/%d" \(S, CPU \d+\)' % (
                sleeper, re.escape(m["SLEEPER_COMM"]), sleeper), info)
crasher, ccpu = int(m["CRASHER_PID"]), int(m["CRASHER_CPU"])
check_match("the panicking task is selected at connect",
            r'^\* +\d+ +Thread %d "%s/%d" \(R, running on CPU %d, panic\)'
            % (crasher, re.escape(m["CRASHER_COMM"]), crasher, ccpu), info)
check_eq("selected thread is the crasher",
         gdb.selected_thread().ptid[1], crasher)

# --- every task has a symbolic backtrace ----------------------------------
FRAME = re.compile(r"^#(\d+) +(?:0x[0-9a-f]+ in )?([A-Za-z_][\w.]*) \(", re.M)
bts = run("thread apply all bt")
parts = re.split(r"^Thread \d+ \(Thread (\d+) ", bts, flags=re.M)[1:]
by_tid = {int(parts[i]): parts[i + 1] for i in range(0, len(parts), 2)}
check_eq("thread apply all bt covers every thread", len(by_tid), len(ref))
# Where a whole kernel stack ends: a task's first kernel frame is the
# syscall (or exception) entry from user space, or ret_from_fork (kernel
# threads, and where a new task first runs); an idle task's stack was set
# up by the boot code.
BOTTOM = {
    "x86_64": ("ret_from_fork", "entry_SYSCALL_64", "secondary_startup_64"),
    "i386": ("ret_from_fork", "entry_SYSENTER_32", "entry_INT80_32",
             "startup_32_smp"),
    "aarch64": ("ret_from_fork", "el0t_64_sync", "__secondary_switched",
                "__primary_switched"),
}[m["ARCH"]]
# (swapper/0's bottom frames on aarch64, start_kernel and
# arch_call_rest_init, are in .init.text, which the kernel freed after
# boot: the dump has no code there, and gdb without gdbserver-vmcore's
# unwinder stops after arch_call_rest_init; vmcore-arm64.py unwinds them
# with the vmlinux's CFI, to __primary_switched.)
BOTTOM_OF = {}
bad = []
x86_64 = gdb.selected_inferior().architecture().name() == "i386:x86-64"
for tid, text in sorted(by_tid.items()):
    funcs = [f for _, f in FRAME.findall(text)]
    head = text.split("\n", 1)[0]
    if tid == crasher:
        ok = "sysrq_handle_crash" in funcs and "panic" in funcs
    elif tid >= IDLE_TID and "running on CPU" in head:
        ok = "do_idle" in funcs
    elif "running on CPU" in head:
        # A task another CPU was running when the panic stopped it: where
        # it was is timing; that its whole stack unwinds is not.
        ok = True
    else:
        ok = "__schedule" in funcs and any(
            f.startswith("schedule") or f.endswith("schedule")
            for f in funcs if f != "__schedule")
    if not ok or len(funcs) < 3 or funcs[-1] not in BOTTOM_OF.get(tid,
                                                                 BOTTOM):
        bad.append("%d: %s ... %s" % (tid, funcs[:6], funcs[-3:]))
check("every backtrace is symbolic and whole (sleeping: __schedule/schedule, "
      "panic: sysrq_handle_crash, idle: do_idle; the last frame one of %s)"
      % ", ".join(BOTTOM), not bad, "\n".join(bad[:10]))
check_in("the sleeper sleeps in nanosleep", "do_nanosleep",
         by_tid.get(sleeper, ""))

# --- a sleeping task's own registers --------------------------------------
sleeper_thread = next(t for t in threads if t.ptid[1] == sleeper)
sleeper_thread.switch()
frame0 = gdb.selected_frame().name()
check("sleeping thread's pc is in the context switch",
      frame0 in ("context_switch", "__schedule", "__switch_to"),
      "frame 0 is %s" % frame0)

# --- monitor ps --------------------------------------------------------------
helptext = run("monitor help")
check_match("monitor help lists ps", r"^  ps ", helptext)
ps = run("monitor ps")
check_match("monitor ps lists the sleeper",
            r"^ +%d +1 +\d+ S +0x[0-9a-f]+ +%s " % (
                sleeper, re.escape(m["SLEEPER_COMM"])), ps)
check_match("monitor ps marks the panicking task",
            r"^\* +%d +\d+ +%d R .*%s" % (crasher, ccpu,
                                          re.escape(m["CRASHER_COMM"])), ps)
check_match("monitor ps counts the tasks", r"^%d tasks;" % len(ref), ps)
check_match("monitor info version names the server (scripts/gdb take it "
            "for QEMU's stub: thread N is CPU N - 1)",
            r"^gdbserver-vmcore \S+\n$", run("monitor info version"))
for n in range(1, ncpus + 1):
    check_match("gdb's thread %d is the task running on CPU %d" % (n, n - 1),
                r"running on CPU %d\b" % (n - 1), run("info threads %d" % n))
minfo = run("monitor info")
check_match("monitor info says threads are tasks",
            r"^threads +%d tasks" % len(ref), minfo)
check_match("monitor info still counts CPUs", r"^cpus +%d; panic on CPU %d "
            r"\(pid %d\), thread %d" % (ncpus, ccpu, crasher, crasher), minfo)

# --- monitor dmesg in task mode ----------------------------------------------
dmesg = run("monitor dmesg")
lines = [ln for ln in dmesg.splitlines() if ln.strip()]
tail = "\n".join(lines[-60:])
check_in("monitor dmesg: the marker written to /dev/kmsg", m["MARKER"], dmesg)
check_in("monitor dmesg ends with the sysrq crash lines",
         "sysrq: Trigger a crash", tail)
check_match("monitor dmesg: the panic line names the crasher",
            r"Kernel panic - not syncing: sysrq triggered crash\n.*CPU: %d "
            r"PID: %d Comm: %s" % (ccpu, crasher, re.escape(m["CRASHER_COMM"])),
            tail)
check("monitor dmesg: the crash comes after the marker",
      dmesg.rfind("sysrq: Trigger a crash") > dmesg.rfind(m["MARKER"]),
      "crash at %d, marker at %d" % (dmesg.rfind("sysrq: Trigger a crash"),
                                     dmesg.rfind(m["MARKER"])))

# --- monitor vtop against the direct map -------------------------------------
# The sleeper's stack pointer.  x86_64 and aarch64 stacks are vmalloc'ed:
# the physical page vtop walks to must hold the same bytes at its
# direct-map alias, and vtop of that alias must give the same address.
# i386 stacks are in lowmem (no VMAP_STACK on 32-bit x86): the walk must
# land where the linear rule puts it.
def direct_map(phys):
    if m["ARCH"] == "x86_64":
        return int(gdb.parse_and_eval("page_offset_base")) + phys
    if m["ARCH"] == "aarch64":  # __phys_to_virt(), VA_BITS-wide PAGE_OFFSET
        page_offset = (1 << 64) - (1 << int(m["VA_BITS"]))
        return (phys - int(m["PHYS_OFFSET"], 16)) | page_offset
    return 0xc0000000 + phys  # i386 lowmem, __PAGE_OFFSET (VMSPLIT_3G)


sleeper_thread.switch()
where, vaddr = "the sleeper's stack", int(gdb.parse_and_eval("$sp")) & ~7
vt = run("monitor vtop 0x%x" % vaddr)
mt = re.search(r"^physical (0x[0-9a-f]+)", vt, re.M)
if check("monitor vtop of %s gives a physical address" % where,
         mt is not None, vt):
    phys = int(mt.group(1), 16)
    alias = direct_map(phys)
    if m["ARCH"] == "i386":
        check_eq("i386: vtop of a lowmem stack follows the linear map",
                 alias, vaddr)
    inf = gdb.selected_inferior()
    check_eq("vtop's page holds %s's bytes at its direct-map alias" % where,
             bytes(inf.read_memory(alias, 64)),
             bytes(inf.read_memory(vaddr, 64)))
    back = run("monitor vtop 0x%x" % alias)
    check_match("vtop of the alias is the same physical address",
                r"^physical 0x%x " % phys, back)
    # The levels of the walk: every level of the kernel's page tables
    # down to a 4 KiB page for the vmalloc'ed stacks; i386 maps lowmem
    # with large pages (2 MiB with PAE, 4 MiB without) where it can, and
    # the walk then ends a level higher.
    if m["ARCH"] == "x86_64":
        levels = ["pgd", "p4d", "pud", "pmd", "pte"]
        if m["LEVELS"] == "4":
            levels.remove("p4d")
        size = {"0x1000": levels}
    elif m["ARCH"] == "aarch64":   # 4 KiB granule: 9 bits a level
        levels = ["pgd", "pud", "pmd", "pte"][
            4 - (int(m["VA_BITS"]) - 12 + 8) // 9:]
        size = {"0x1000": levels}
    elif m["PAE"] == "1":
        size = {"0x1000": ["pgd", "pmd", "pte"], "0x200000": ["pgd", "pmd"]}
    else:
        size = {"0x1000": ["pgd", "pte"], "0x400000": ["pgd"]}
    walked = re.findall(r"^ *(pgd|p4d|pud|pmd|pte) ", vt, re.M)
    page = re.search(r"\(page size (0x[0-9a-f]+)\)", vt)
    check("vtop walks %s through the page-table levels (%s)" % (
              where, "; ".join("%s for page size %s" % ("/".join(lv), ps)
                               for ps, lv in size.items())),
          page is not None and size.get(page.group(1)) == walked, vt)

# --- user memory through the task's page tables ---------------------------
# The crasher is busybox ash running `echo c >/proc/sysrq-trigger`
# (tests/real/guest-init*.sh, make-dump-i386.sh): write(2)'s buffer, in
# its user memory, holds "c\n" (ash's echo writes the line in one call).
# The server reads user addresses through the selected task's mm->pgd.
WRITTEN = b"c\n"
by_pid = {t.ptid[1]: t for t in threads}
by_pid[crasher].switch()


def write_buf():
    """buf of the first write frame that has it (DWARF may drop it in
    some), as (frame name, address)."""
    f = gdb.newest_frame()
    while f is not None:
        if f.name() in ("write_sysrq_trigger", "vfs_write", "ksys_write",
                        "__x64_sys_write", "__arm64_sys_write",
                        "__ia32_sys_write", "__se_sys_write"):
            try:
                v = f.read_var("buf")
                if not v.is_optimized_out:
                    return f.name(), int(v)
            except (gdb.error, ValueError):
                pass
        f = f.older()
    return None, None


def read_user(addr, n):
    """N bytes at ADDR as gdb's x command reads them in the selected
    thread (gdb 16's Inferior.read_memory reads for "any thread", Hg0),
    or "error: ..."."""
    out = run("x/%dxb 0x%x" % (n, addr))
    if out.startswith("error:"):
        return out
    got = []
    for line in out.splitlines():
        got += [int(b, 16) for b in re.findall(r"\b0x([0-9a-f]{2})\b",
                                                line.split(":", 1)[1])]
    return bytes(got)


def elf_phys(paddr, n):
    """N bytes at physical PADDR of the fixture's ELF vmcore, from its
    program headers (a reader independent of the server's)."""
    import struct
    path = os.path.join(os.path.dirname(os.environ["VMC_META"]), "vmcore")
    with open(path, "rb") as f:
        ident = f.read(64)
        if ident[:4] != b"\x7fELF":
            return "not an ELF vmcore"
        e = "<" if ident[5] == 1 else ">"
        if ident[4] == 2:
            phoff, = struct.unpack(e + "Q", ident[32:40])
            phentsize, phnum = struct.unpack(e + "HH", ident[54:58])
            fmt, fields = e + "IIQQQQQQ", (2, 4, 5)   # offset, paddr, filesz
        else:
            phoff, = struct.unpack(e + "I", ident[28:32])
            phentsize, phnum = struct.unpack(e + "HH", ident[42:46])
            fmt, fields = e + "IIIIIIII", (1, 3, 4)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = struct.unpack(fmt, f.read(struct.calcsize(fmt)))
            off, pa, filesz = (ph[j] for j in fields)
            if ph[0] == 1 and pa <= paddr and paddr + n <= pa + filesz:
                f.seek(off + paddr - pa)
                return f.read(n)
    return "0x%x is in no PT_LOAD" % paddr


fname, buf = write_buf()
if check("a write frame of the crasher has buf", buf is not None,
         run("bt")):
    check_eq("%s's buf reads what the crasher wrote" % fname,
             read_user(buf, len(WRITTEN)), WRITTEN)
    run("frame function %s" % fname)
    xs = run("x/s buf")
    check_match("x/s buf in %s shows the string" % fname,
                r':\s+"c\\n', xs)
    # A user address of a kernel thread: kthreadd has no mm.
    by_pid[2].switch()
    got = read_user(buf, 1)
    check("kthreadd (a kernel thread) has no user memory at buf",
          isinstance(got, str) and "Cannot access memory" in got, repr(got))
    vt = run("monitor vtop 0x%x" % buf)
    check_in("monitor vtop on kthreadd: no user memory", "kernel thread",
             vt)
    by_pid[crasher].switch()
    # Unmapped user addresses: page 1 (below mmap_min_addr) on aarch64
    # and i386 (x86_64 may serve the per-CPU window there without
    # KASLR), and past TASK_SIZE: x86_64's last user page
    # (TASK_SIZE_MAX = 2^47 - 4096) and the non-canonical 2^47; aarch64's
    # 2^VA_BITS.
    bad = {"x86_64": [0x7ffffffff000, 0x800000000000],
           "aarch64": [0x1000, 1 << int(m.get("VA_BITS", "48"))],
           "i386": [0x1000]}[m["ARCH"]]
    for a in bad:
        got = read_user(a, 1)
        check("unmapped user address 0x%x: Cannot access memory" % a,
              isinstance(got, str) and "Cannot access memory" in got,
              repr(got))
    # The walk through the crasher's tables ends at a page that holds the
    # string at its direct-map (linear-map) alias.
    vt = run("monitor vtop 0x%x" % buf)
    mt = re.search(r"^physical (0x[0-9a-f]+)", vt, re.M)
    if check("monitor vtop of buf walks the crasher's page tables",
             mt is not None and "mm->pgd at physical" in vt, vt):
        phys = int(mt.group(1), 16)
        check_eq("vtop of buf: the dump file holds the string at that "
                 "physical address (its PT_LOADs, read here)",
                 elf_phys(phys, len(WRITTEN)), WRITTEN)
        # i386 user pages are mostly highmem, which has no linear-map
        # alias (1 GiB guest, lowmem ends below 896 MiB).
        if m["ARCH"] != "i386" or phys < 0x30000000:
            check_eq("vtop of buf: the page's direct-map alias holds the "
                     "string", read_user(direct_map(phys), len(WRITTEN)),
                     WRITTEN)
finish()
