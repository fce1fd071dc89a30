# Checks on a real aarch64 kdump made in QEMU (tests/real/make-dump-aarch64.sh).
# Run by tests/gdb/run-real-aarch64.sh as:
#   VMC_META=DUMPDIR/meta.txt gdb-multiarch -batch -nx VMLINUX \
#       -ex 'target remote | gdbserver-vmcore DUMPDIR/vmcore' -x real-aarch64.py
# Ground truth comes from the guest itself (meta.txt: /proc/kallsyms,
# /proc/modules, pids) and from the vmlinux, never from our own reading
# of the dump.
import os
import re
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_busy_cpu, other_cpu_pid  # noqa
from checks import (c_string, check, check_eq, check_in, check_match,  # noqa
                    finish, meta, run, value)

m = meta()
# VMC_STRIP_PAC=1: the server strips PACs (its default on a dump with
# KERNELPACMASK, or --strip-pac: no pauth registers, kernel return
# addresses served stripped); 0: --keep-pac.
strip_pac = os.environ.get("VMC_STRIP_PAC") == "1"
# gdb 13 strips a PAC with "addr & ~pauth_cmask", which zeroes the top of
# a kernel address instead of setting it; newer gdb sets it again for
# addresses with bit 55 set (aarch64_remove_top_bits in its
# aarch64_frame_unmask_lr; taken here to be 14 and later: if that is
# wrong, the pauth session fails and says so).
gdb_major = int(re.match(r"\d+", gdb.VERSION).group(0))
gdb_strips_kernel_pac = gdb_major >= 14
full_bt = strip_pac or gdb_strips_kernel_pac
crash_cpu = int(m["CRASHER_CPU"])
panic_thread = crash_cpu + 1
quick = os.environ.get("VMC_QUICK") == "1"
STACK_END_MAGIC = 0x57AC6E9D        # include/uapi/linux/magic.h
THREAD_SIZE = 16384                 # arm64 with 4K pages, no KASAN


def u64(expr):
    v = value(expr)
    if isinstance(v, gdb.error):
        return None
    return int(v) & 0xffffffffffffffff


check_in("architecture is aarch64", "aarch64", run("show architecture"))

# --- symbols are right without manual offsets (KASLR, qOffsets) ----------
for sym in ("_stext", "_etext", "linux_banner", "init_uts_ns", "init_task",
            "swapper_pg_dir"):
    got = u64("(unsigned long)&%s" % sym)
    check_eq("symbol %s relocated" % sym,
             "0x%x" % got if got is not None else None, m["KSYM_" + sym])
# Functions: kallsyms has the ELF symbol, which with patchable function
# entries (ftrace) lies before the address gdb gives "&function" (the
# DWARF entry pc); the ELF symbol is what "info symbol" names exactly.
for sym in ("sysrq_handle_crash", "panic", "el0_svc"):
    check_match("function %s relocated" % sym,
                r"^%s in section \.text" % re.escape(sym),
                run("info symbol %s" % m["KSYM_" + sym]))
# _text is not in 6.1 arm64 kallsyms: the guest derived it for kexec-tools
# from _stext and the System.map distance; gdb gets it from qOffsets.
if m.get("KALLSYMS_TEXT_ADDED") == "1":
    check_eq("symbol _text at the address kexec-tools was given",
             "0x%x" % u64("(unsigned long)&_text"), m["KSYM__text"])

# --- pointer authentication masks ------------------------------------------
tdesc = run("maint print xml-tdesc")
mask = int(m["KERNELPACMASK"], 16)
if strip_pac:
    check("--strip-pac: no pauth feature", "aarch64.pauth" not in tdesc,
          tdesc[-600:])
else:
    check_in("target description has the pauth feature",
             "org.gnu.gdb.aarch64.pauth", tdesc)
    check_eq("pauth_cmask is VMCOREINFO KERNELPACMASK", u64("$pauth_cmask"),
             mask)
    check_eq("pauth_dmask is VMCOREINFO KERNELPACMASK", u64("$pauth_dmask"),
             mask)
check_in("target description has the fpu feature (gdb numbers after it)",
         "org.gnu.gdb.aarch64.fpu", tdesc)

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

# --- the panic backtrace: arm64 sysrq path, PAC-signed return addresses ----
# The return addresses really are signed in memory: the frame record of
# the newest frame (x29 -> {saved x29, saved x30}) holds an LR whose top
# bits are a PAC, not the all-ones of a kernel address (--strip-pac
# serves it stripped).
fp = u64("$x29")
raw_lr = u64("*(unsigned long *)0x%x" % (fp + 8)) if fp else None
bt = run("bt")
frame, pcs = gdb.newest_frame(), []
while frame is not None and len(pcs) < 64:
    pcs.append(frame.pc())
    frame = frame.older()
if strip_pac:
    check("--strip-pac: saved return address served stripped",
          raw_lr is not None and raw_lr & mask == mask,
          "saved lr %s" % (hex(raw_lr) if raw_lr else raw_lr))
else:
    check("saved return address on the stack carries a PAC",
          raw_lr is not None and raw_lr & mask != mask,
          "x29 0x%x saved lr %s" % (fp or 0,
                                    hex(raw_lr) if raw_lr else raw_lr))
    check_in("gdb marks return addresses it unsigned with [PAC]", "[PAC]",
             bt)
if not full_bt:
    # gdb 13 applied pauth_cmask to the signed LR: the caller's pc is the
    # saved LR without the mask bits (zero-extended, see above).
    check("gdb %d removed the pauth_cmask bits from the return address" %
          gdb_major, raw_lr is not None and len(pcs) > 2 and
          pcs[2] == raw_lr & ~mask & 0xffffffffffffffff,
          "frames %s, saved lr %s" % ([hex(p) for p in pcs[:4]],
                                      hex(raw_lr) if raw_lr else raw_lr))
    check("and the stripped value names the caller, panic",
          raw_lr is not None and
          "panic" in run("info symbol 0x%x" % (raw_lr | mask)),
          run("info symbol 0x%x" % ((raw_lr or 0) | mask)))
    check_chain = False
else:
    check_chain = True

chain = () if not check_chain else (
         "panic", "sysrq_handle_crash", "__handle_sysrq",
         "write_sysrq_trigger", "proc_reg_write", "vfs_write", "ksys_write",
         "__arm64_sys_write", "invoke_syscall", "el0_svc_common",
         "do_el0_svc", "el0_svc")
for fn in chain:
    check_match("panic bt reaches %s" % fn, r" %s \(" % re.escape(fn), bt)
check_match("bt starts in the crash path",
            r"^#0 .*(crash_setup_regs|__crash_kexec|crash_kexec)", bt)
stext, etext = u64("(unsigned long)&_stext"), u64("(unsigned long)&_etext")
if chain:
    pos = [bt.find(" %s (" % fn) for fn in chain]
    check("panic bt frames in call order", all(pos[i] < pos[i + 1]
                                               for i in range(len(pos) - 1)),
          "positions %s in:\n%s" % (pos, bt))
    check_match("panic bt ends in the EL0 exception vector",
                r" el0t_64_sync \(", bt)
    # Every frame's pc is kernel text: no PAC bits left in any of them.
    check("at least 15 frames", len(pcs) >= 15, "%d frames" % len(pcs))
    bad = [hex(pc) for pc in pcs if not stext <= pc < etext]
    check("every frame pc is in kernel text", not bad,
          "outside [0x%x, 0x%x): %s" % (stext, etext, bad))
    check("the saved return address, stripped, is the caller's pc",
          raw_lr is not None and (raw_lr | mask) in pcs[1:4],
          "0x%x not in %s" % ((raw_lr or 0) | mask,
                              [hex(p) for p in pcs[1:4]]))

# --- the crasher's task and its vmalloc'ed stack (page-table walk) --------
crasher = None
head = u64("(unsigned long)&init_task.tasks")
off = u64("(unsigned long)&((struct task_struct *)0)->tasks")
node = u64("init_task.tasks.next")
for _ in range(2000):
    if node is None or node == head:
        break
    t = node - off
    if u64("((struct task_struct *)0x%x)->pid" % t) == int(m["CRASHER_PID"]):
        crasher = t
        break
    node = u64("((struct task_struct *)0x%x)->tasks.next" % t)
check("crasher found in the task list", crasher is not None,
      "pid %s" % m["CRASHER_PID"])
if crasher is not None:
    task = "((struct task_struct *)0x%x)" % crasher
    check_eq("crasher comm", c_string(task + "->comm"), m["CRASHER_COMM"])
    stack = u64(task + "->stack")
    sp = u64("$sp")
    check("panic sp is in the crasher's stack",
          stack is not None and 0 <= sp - stack < THREAD_SIZE,
          "sp 0x%x stack %s" % (sp, hex(stack) if stack else stack))
    # VMAP_STACK: outside the linear map (below 2^(VA_BITS-1) from the top)
    # and outside the kernel image.
    va_bits = int(m["VA_BITS"])
    linear_end = (1 << 64) - (1 << (va_bits - 1))
    kend = u64("(unsigned long)&_end")
    check("task stack is vmalloc'ed", stack is not None and
          stack >= linear_end and not stext <= stack < kend,
          "stack %s" % (hex(stack) if stack else stack))
    check_eq("vmalloc read: STACK_END_MAGIC at the stack end",
             u64("*(unsigned int *)0x%x" % stack), STACK_END_MAGIC)

# --- release string and banner --------------------------------------------
check_eq("init_uts_ns release", c_string("init_uts_ns.name.release"),
         m["UNAME_R"])
check_in("linux_banner", "Linux version %s " % m["UNAME_R"],
         run("x/s linux_banner"))

# --- module memory ----------------------------------------------------------
check_eq("module struct read (virtio_blk)",
         c_string("((struct module *)%s)->name" % m["VIRTIO_BLK_THIS_MODULE"]),
         "virtio_blk")

# --- unmapped and user addresses -------------------------------------------
check_in("unmapped address fails like gdb expects",
         "Cannot access memory at address 0x1000", run("x/gx 0x1000"))

# --- the idle CPU -------------------------------------------------------------
run("thread %d" % other)
idle_bt = run("bt")
if other_pid == 0:
    check_match("idle thread bt shows the idle loop",
                r" (do_idle|cpu_startup_entry|default_idle_call|arch_cpu_idle|"
                r"cpu_do_idle) ", idle_bt)
else:
    # gdb 13 with --keep-pac stops at the first signed return address.
    check_busy_cpu(other, other_pid, idle_bt, 3 if full_bt else 1)
run("thread %d" % panic_thread)

# --- a second opinion: libkdumpfile reads the same dump -------------------
# (python3-libkdumpfile; with addrxlat.ostype linux it walks the page
# tables itself).  Same bytes for image, linear-map, module and stack
# pages.  Not with --strip-pac, which changes return addresses.
if not strip_pac:
    try:
        import kdumpfile
    except ImportError as e:
        kdumpfile = None
        check("libkdumpfile for python (python3-libkdumpfile)", False, str(e))
if not strip_pac and kdumpfile is not None:
    kd = kdumpfile.kdumpfile(m["VMCORE"])
    kd.attr["addrxlat.ostype"] = "linux"

    def kd_read(addr, n):
        try:
            return kd.read(kdumpfile.KDUMP_KVADDR, addr, n)
        except Exception as e:  # noqa: libkdumpfile raises several kinds
            return "libkdumpfile: %s" % e

    def gdb_read(addr, n):
        try:
            return bytes(gdb.selected_inferior().read_memory(addr, n))
        except gdb.MemoryError as e:
            return "gdb: %s" % e

    page = lambda a: a & ~0xfff  # noqa: E731
    addrs = [page(int(m[k], 16)) for k in (
        "KSYM__stext", "KSYM_linux_banner", "KSYM_init_task",
        "KSYM_init_uts_ns", "KSYM_swapper_pg_dir", "VIRTIO_BLK_MODULE_ADDR",
        "VIRTIO_BLK_THIS_MODULE")]
    if crasher is not None and stack is not None:
        addrs += [stack + i * 4096 for i in range(THREAD_SIZE // 4096)]
        addrs.append(page(crasher))
    linear = (1 << 64) - (1 << int(m["VA_BITS"]))
    addrs += [linear + i * 0x1000000 for i in range(0, 0x28)]
    bad = []
    for a in addrs:
        ours, theirs = gdb_read(a, 4096), kd_read(a, 4096)
        if ours != theirs or isinstance(ours, str):
            bad.append("0x%x: %s / %s" % (a, str(ours)[:40],
                                          str(theirs)[:40]))
    check("%d pages read as libkdumpfile reads them" % len(addrs), not bad,
          "\n".join(bad[:10]))

if not quick:
    info = run("monitor info")
    check_in("monitor info: release", m["UNAME_R"], info)
    check_in("monitor info: KASLR offset",
             "offset %s" % m["KERNELOFFSET"], info)
    check_in("monitor info: page tables",
             "aarch64 4K pages, %s-bit VA, 4 levels" % m["VA_BITS"], info)
    check_in("monitor info: who strips PACs",
             "served stripped (default;" if strip_pac else
             "gdb strips return addresses with the pauth registers", info)
    check_in("monitor info: panic CPU confirmed by the log",
             "as the kernel log says", info)
    dmesg = run("monitor dmesg")
    check_in("monitor dmesg: marker written to /dev/kmsg", m["MARKER"], dmesg)
    check_in("monitor dmesg: sysrq crash", "sysrq: Trigger a crash", dmesg)
    if crasher is not None and stack is not None:
        vtop = run("monitor vtop 0x%x" % stack)
        check_match("monitor vtop walks the stack to a 4K page",
                    r"pte .*\nphysical 0x[0-9a-f]+ \(page size 0x1000\)",
                    vtop)

finish()
