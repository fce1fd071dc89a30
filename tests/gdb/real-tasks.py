# Task threads on a real kdump (tests/real/make-dump-*.sh),
# run by tests/gdb/run-real-tasks.sh in two sessions:
#   VMC_TASKS=ref:   server with --threads cpus; walk init_task.tasks and
#                    every thread group with gdb Python (gdb's own reading
#                    of the vmlinux types) and write the pids to VMC_REF;
#   VMC_TASKS=check: server with --vmlinux (threads are tasks); compare.
# Other facts come from the guest (meta.txt: pids and names of the tasks
# it started, the crashing CPU).
import os
import re
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, check_eq, check_in, check_match, finish, meta, run  # noqa

m = meta()
mode = os.environ["VMC_TASKS"]
ref_path = os.environ["VMC_REF"]
ncpus = int(m["NR_CPUS_ONLINE"])


def offset_of(member):
    return int(gdb.parse_and_eval(
        "(unsigned long)&((struct task_struct *)0)->%s" % member))


def list_tasks(head, member, limit=100000):
    """Tasks linked through MEMBER from the list_head HEAD (a gdb.Value)."""
    off = offset_of(member)
    task_p = gdb.lookup_type("struct task_struct").pointer()
    end = int(head.address)
    node = head["next"]
    out = []
    while int(node) != end and len(out) < limit:
        out.append((node.cast(gdb.lookup_type("unsigned long")) - off)
                   .cast(task_p))
        node = node["next"]
    return out


def reference_walk():
    init = gdb.parse_and_eval("init_task")
    leaders = list_tasks(init["tasks"], "tasks")
    pids = [0]  # init_task, swapper/0
    for t in leaders:
        pids.append(int(t["pid"]))
        for th in list_tasks(t["thread_group"], "thread_group"):
            pids.append(int(th["pid"]))
    # The other CPUs' idle tasks are on no list: one each, pid 0.
    pids += [0] * (ncpus - 1)
    return pids


if mode == "ref":
    check_eq("--threads cpus: one thread per CPU",
             len(gdb.selected_inferior().threads()), ncpus)
    pids = reference_walk()
    with open(ref_path, "w") as f:
        f.write("\n".join(str(p) for p in sorted(pids)) + "\n")
    check("reference walk found tasks", len(pids) > ncpus + 10,
          "only %d" % len(pids))
    finish()

with open(ref_path) as f:
    ref = sorted(int(x) for x in f.read().split())

# --- the thread list is the task list -----------------------------------
threads = gdb.selected_inferior().threads()
check_eq("info threads count = tasks walked through the CPU view",
         len(threads), len(ref))
IDLE_TID = 1000000000
got = sorted(0 if t.ptid[1] >= IDLE_TID else t.ptid[1] for t in threads)
check_eq("thread ids are the walked pids", got, ref)
idle = sorted(t.ptid[1] for t in threads if t.ptid[1] >= IDLE_TID)
check_eq("idle tasks get one id per CPU", idle,
         [IDLE_TID + i for i in range(ncpus)])

info = run("info threads")
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
bad = []
for tid, text in sorted(by_tid.items()):
    funcs = [f for _, f in FRAME.findall(text)]
    head = text.split("\n", 1)[0]
    if tid == crasher:
        ok = "sysrq_handle_crash" in funcs and "panic" in funcs
    elif "running on CPU" in head:
        ok = "do_idle" in funcs or len(funcs) >= 3
    else:
        ok = "__schedule" in funcs and any(
            f.startswith("schedule") or f.endswith("schedule")
            for f in funcs if f != "__schedule")
    if not ok or len(funcs) < 3:
        bad.append("%d: %s" % (tid, funcs[:6]))
check("every backtrace is symbolic (sleeping: __schedule/schedule, "
      "panic: sysrq_handle_crash)", not bad, "\n".join(bad[:10]))
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
    check("vtop walks %s through the page-table levels" % where,
          len(re.findall(r"^ *(pgd|p4d|pud|pmd|pte) ", vt, re.M)) >= 2, vt)
finish()
