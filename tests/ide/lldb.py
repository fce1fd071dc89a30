#!/usr/bin/env python3
# lldb against the server over TCP (gdb-remote), on the real dump:
# registers, threads, the panic backtrace with the kernel's symbols,
# memory, each checked against the fixture's meta.txt.  lldb is given
# the vmlinux and no slide: the server's qOffsets gives it the KASLR one.
#
# Usage: lldb.py META HOST:PORT INDEX_CACHE_DIR
# Prints PASS/FAIL lines and "N passed, M failed"; exits with M.
import os
import re
import subprocess
import sys
import tempfile

from results import check, meta, summary


def section(out, cmd):
    """The output of one command in lldb -b's transcript."""
    start = out.find("(lldb) %s\n" % cmd)
    if start < 0:
        return ""
    start += len("(lldb) %s\n" % cmd)
    end = out.find("\n(lldb) ", start)
    return out[start:] if end < 0 else out[start:end + 1]


def main():
    m = meta(sys.argv[1])
    target, cache = sys.argv[2], sys.argv[3]
    panic_tid = int(m["CRASHER_CPU"]) + 1
    banner = m["PROC_VERSION"][:16]
    kslide = int(m["KERNELOFFSET"], 16)
    cmds = [
        # The DWARF index of a vmlinux takes minutes to build: keep it.
        "settings set symbols.enable-lldb-index-cache true",
        "settings set symbols.lldb-index-cache-path " + cache,
        "target create " + m["VMLINUX"],
        "gdb-remote " + target,
        "image list",
        "thread list",
        "register read",
        "register read rip rsp",
        "bt",
        "memory read --size 1 --count 16 " + m["KSYM_linux_banner"],
        "memory read --format x --size 8 --count 1 0",
        "thread select 2",
        "process plugin packet monitor info",
        "process detach",
    ]
    # From a file: "-e false" goes on after a failing command (the read
    # of address 0), which -o commands in batch mode do not.
    fd, script = tempfile.mkstemp(prefix="lldb-session.")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(cmds) + "\n")
    argv = [os.environ.get("LLDB", "lldb"), "-b", "-x", "-o",
            "command source -e false " + script]
    p = subprocess.run(argv, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=1500)
    out = p.stdout
    os.unlink(script)
    if os.environ.get("VMC_LLDB_LOG"):
        with open(os.environ["VMC_LLDB_LOG"], "w") as f:
            f.write(out)

    conn = section(out, "gdb-remote " + target)
    check("gdb-remote connects, the process is stopped",
          re.search(r"Process \d+ stopped", conn), conn)
    check("stopped in a kernel function",
          re.search(r"frame #0: 0x[0-9a-f]+ \S+`\w+", conn), conn)
    img = section(out, "image list")
    check("vmlinux loaded at its KASLR slide (qOffsets)",
          re.search(r"0x%x " % (0xffffffff81000000 + kslide) +
                    re.escape(m["VMLINUX"]), img) or
          re.search(r"0x%016x " % (0xffffffff81000000 + kslide), img), img)

    tl = section(out, "thread list")
    tids = re.findall(r"thread #\d+: tid = (?:0x)?([0-9a-f]+)", tl)
    check("thread list: one thread per CPU (%s)" % m["NR_CPUS_ONLINE"],
          len(tids) == int(m["NR_CPUS_ONLINE"]), tl)
    check("thread list: the selected thread is the panic thread",
          re.search(r"^\* thread #\d+: tid = (0x)?%x," % panic_tid, tl, re.M),
          tl)

    regs = section(out, "register read")
    for r in ("rax", "rsp", "rip", "eflags", "cs"):
        check("register read shows %s" % r,
              re.search(r"^\s+%s = 0x[0-9a-f]+" % r, regs, re.M), regs)
    two = section(out, "register read rip rsp")
    rip = re.search(r"rip = (0x[0-9a-f]+)", two)
    check("rip is symbolized in the kernel",
          rip and "`" in two.split("\n")[0] and
          int(rip.group(1), 16) >= 0xffffffff80000000, two)

    bt = section(out, "bt")
    for fn in ("panic", "sysrq_handle_crash", "write_sysrq_trigger"):
        check("bt has %s" % fn, re.search(r"`%s[( ]" % fn, bt), bt)
    sysrq = re.search(r"frame #\d+: (0x[0-9a-f]+) \S+`sysrq_handle_crash", bt)
    check("sysrq_handle_crash pc is in the function",
          sysrq and 0 < int(sysrq.group(1), 16) -
          int(m["KSYM_sysrq_handle_crash"], 16) < 0x1000, bt)
    check("bt: write_sysrq_trigger(count=2)", "count=2" in bt, bt)

    mem = section(out, "memory read --size 1 --count 16 " +
                  m["KSYM_linux_banner"])
    check("memory read: linux_banner is /proc/version",
          re.search(r"0x%x: .*%s" % (int(m["KSYM_linux_banner"], 16),
                                      re.escape(banner)), mem), mem)
    zero = section(out, "memory read --format x --size 8 --count 1 0")
    check("memory read at 0 fails cleanly", "error:" in zero, zero)
    # lldb prints the newly selected frame asynchronously, later on.
    sel = out[out.find("(lldb) thread select 2"):]
    check("thread select 2: another CPU, in a kernel function",
          re.search(r"\* thread #2\n\s+frame #0: 0x[0-9a-f]+ \S+`\w+", sel),
          sel)
    mon = section(out, "process plugin packet monitor info")
    check("monitor info through qRcmd names lldb's slide",
          re.search(r"kaslr .*lldb slides vmlinux by qOffsets Text=0x%x"
                    % kslide, mon), mon)
    check("process detach", "detached" in section(out, "process detach"),
          out[-500:])
    check("lldb exits 0", p.returncode == 0, p.returncode)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
