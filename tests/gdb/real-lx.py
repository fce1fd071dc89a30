# Linux's own gdb scripts (scripts/gdb, vmlinux-gdb.py) through the server
# on a real kdump, run by tests/gdb/run-real-lx.sh after
# "source .../vmlinux-gdb.py".  VMC_LX says how gdb loaded the vmlinux:
#   exec:   gdb VMLINUX (qOffsets relocates every section; on x86_64 with
#           KASLR the per-CPU section moves too, so kernel-style per-CPU
#           arithmetic cannot work and the server says what to do);
#   percpu0: add-symbol-file VMLINUX -o KASLR -s .data..percpu 0 (the
#           man page's way for x86_64 with KASLR).
# Expected values come from the guest (meta.txt) and from the server's
# own thread list, never from the scripts themselves.
import os
import re
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, check_eq, check_in, check_match, finish, meta, run  # noqa

m = meta()
HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                      "gdbserver-vmcore", "vmcore-gdb.py")
mode = os.environ["VMC_LX"]
ncpus = int(m["NR_CPUS_ONLINE"])
crasher, ccpu = int(m["CRASHER_PID"]), int(m["CRASHER_CPU"])
sleeper = int(m["SLEEPER_PID"])
IDLE_TID = 1000000000
# Kernel-style per-CPU arithmetic works unless x86_64's zero-based
# per-CPU section was relocated by the KASLR offset.
pcpu_ok = mode == "percpu0" or m["ARCH"] != "x86_64" or \
    int(m.get("KERNELOFFSET", "0"), 16) == 0

check_match("the scripts take the server for QEMU's gdbstub "
            "(monitor info version)", r"^gdbserver-vmcore \S+$",
            run("monitor info version"))

threads = sorted(gdb.selected_inferior().threads(), key=lambda t: t.num)
tids = [t.ptid[1] for t in threads]
check("the server serves every task (it found the vmlinux gdb loads)",
      len(threads) > ncpus + 10, "%d threads" % len(threads))

# --- lx-ps lists the tasks the server lists -----------------------------
ps = run("lx-ps")
rows = re.findall(r"^(0x[0-9a-f]+) +(\d+) +(\S.*?)\s*$", ps, re.M)
ps_pids = sorted(int(pid) for _, pid, _ in rows)
# lx-ps walks init_task.tasks and the thread groups: every task but the
# idle tasks of CPUs other than 0, which are on no list.
want = sorted([0] + [t for t in tids if t < IDLE_TID])
check_eq("lx-ps lists the server's tasks", ps_pids, want)
check("lx-ps names the sleeper",
      ("%d" % sleeper, m["SLEEPER_COMM"]) in [(p, c) for _, p, c in rows],
      ps)
check("lx-ps names the crasher",
      ("%d" % crasher, m["CRASHER_COMM"]) in [(p, c) for _, p, c in rows],
      ps)
mps = run("monitor ps")
addr = dict((int(p), a) for a, p, _ in rows)
check_match("lx-ps and monitor ps agree on the sleeper's task_struct",
            r"^ +%d +\d+ +\d+ +\S +%s " % (sleeper, addr.get(sleeper, "?")),
            mps)

# --- lx-lsmod: the guest's modules ----------------------------------------
lsmod = run("lx-lsmod")
mods = re.findall(r"^(0x[0-9a-f]+) +(\w+) +(\d+)", lsmod, re.M)
check_eq("lx-lsmod lists the guest's modules", len(mods),
         int(m["NR_MODULES"]))
check("lx-lsmod: virtio_blk where the guest had it, its size",
      (m["VIRTIO_BLK_MODULE_ADDR"], "virtio_blk",
       m["VIRTIO_BLK_MODULE_SIZE"]) in mods, lsmod)

# --- lx-dmesg: the kernel log, as monitor dmesg reads it -----------------
lx = run("lx-dmesg")
check_in("lx-dmesg has the marker written to /dev/kmsg", m["MARKER"], lx)
check_match("lx-dmesg: the panic line names the crasher",
            r"Kernel panic - not syncing: sysrq triggered crash\n.*CPU: %d "
            r"PID: %d Comm: %s" % (ccpu, crasher,
                                   re.escape(m["CRASHER_COMM"])), lx)
mon = run("monitor dmesg")


def texts(log):
    return [re.sub(r"^\[ *\d+\.\d+\] ", "", ln) for ln in log.splitlines()
            if re.match(r"^\[ *\d+\.\d+\] ", ln)]


lx_t, mon_t = texts(lx), texts(mon)
check("lx-dmesg and monitor dmesg end with the same 30 lines",
      len(lx_t) > 30 and lx_t[-30:] == mon_t[-30:],
      "lx-dmesg:\n%s\nmonitor dmesg:\n%s" % ("\n".join(lx_t[-30:]),
                                             "\n".join(mon_t[-30:])))

online = run("lx-cpus")
check_match("lx-cpus: the dumped CPUs are online",
            r"^Online CPUs +: \[%s\]" % ", ".join(str(i) for i in range(ncpus)),
            online)

# --- $lx_current(): gdb's thread N is CPU N - 1 -----------------------------
info = run("monitor info")
if pcpu_ok:
    for t in threads[:ncpus]:
        cpu = t.num - 1
        t.switch()
        want_pid = 0 if t.ptid[1] >= IDLE_TID else t.ptid[1]
        got = run("p $lx_current().pid")
        if m["ARCH"] == "i386":
            # Linux 6.1's get_current_task() knows "x86" (in gdb's
            # "i386:x86-64") and "aarch64": gdb's "i386" is neither.
            check_in("thread %d: $lx_current() is the scripts' own refusal "
                     "on i386" % t.num, "not yet supported with this arch",
                     got)
        else:
            check_match("thread %d: $lx_current() is the task running on "
                        "CPU %d" % (t.num, cpu), r"^\$\d+ = %d$" % want_pid,
                        got)
        got = run('p $lx_per_cpu("runqueues").curr->pid')
        check_match("thread %d: $lx_per_cpu(\"runqueues\").curr too" % t.num,
                    r"^\$\d+ = %d$" % want_pid, got)
        if m["ARCH"] == "x86_64":
            # By name, through the server's per-CPU window.
            got = run("p current_task->pid")
            check_match("thread %d: current_task reads CPU %d's"
                        % (t.num, cpu), r"^\$\d+ = %d$" % want_pid, got)
        check_in("thread %d is the one running on CPU %d" % (t.num, cpu),
                 "running on CPU %d" % cpu,
                 run("info threads %d" % t.num))
    gdb.execute("thread %d" % (ccpu + 1), to_string=True)
    check_eq("the crasher's comm through the scripts",
             gdb.parse_and_eval('$lx_per_cpu("runqueues").curr->comm')
             .string(), m["CRASHER_COMM"])
    if m["ARCH"] == "aarch64":
        # $SP_EL0 is each task thread's own task, as when it runs.
        next(t for t in threads if t.ptid[1] == sleeper).switch()
        check_match("aarch64: $lx_current() on the sleeper's thread is the "
                    "sleeper", r"^\$\d+ = %d$" % sleeper,
                    run("p $lx_current().pid"))
    check("monitor info gives no per-CPU advice",
          "needs the section at 0" not in info, info)
else:
    advice = re.search(r"^per-cpu +kernel-style per-CPU arithmetic .*; in "
                       r"gdb: symbol-file, then (add-symbol-file (\S+) -o "
                       r"(0x[0-9a-f]+) -s \.data\.\.percpu 0)$", info, re.M)
    if check("monitor info says how to keep the per-CPU section at 0",
             advice is not None, info):
        check_eq("... with the vmlinux and the KASLR offset",
                 (advice.group(2), advice.group(3)),
                 (m["VMLINUX"], m["KERNELOFFSET"]))
        # Follow it in this session, with the shipped helper
        # (vmcore-gdb.py), which runs exactly those two commands.
        gdb.execute("source " + HELPER)
        check_eq("vmcore-percpu-at-zero runs the advice",
                 run("vmcore-percpu-at-zero").strip(),
                 "reloaded: " + advice.group(1))
        for t in threads[:ncpus]:
            t.switch()
            want_pid = 0 if t.ptid[1] >= IDLE_TID else t.ptid[1]
            check_match("after the advice, thread %d: $lx_current() is the "
                        "task running on CPU %d" % (t.num, t.num - 1),
                        r"^\$\d+ = %d$" % want_pid, run("p $lx_current().pid"))
        check("after the advice, monitor info gives none",
              "needs the section at 0" not in run("monitor info"), "")
        check_in("vmcore-percpu-at-zero again has nothing to do",
                 "nothing to do", run("vmcore-percpu-at-zero"))

# --- the server's own views still work -------------------------------------
crasher_thread = next(t for t in threads if t.ptid[1] == crasher)
crasher_thread.switch()
bt = run("bt")
check_in("the crasher's backtrace reaches sysrq_handle_crash",
         "sysrq_handle_crash", bt)
finish()
