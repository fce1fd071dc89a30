#!/usr/bin/env python3
# A gdb/MI session as an IDE's debug adapter drives it: the commands
# VS Code's cpptools (MIEngine) sends when launch.json has
# miDebuggerServerAddress, then what it sends to fill its views, then
# the run-control buttons.  Every record gdb writes is checked against
# the facts the dump fixture recorded inside the guest (meta.txt).
#
# Usage: mi.py META HOST:PORT   (the server already listening there)
# Prints PASS/FAIL lines and "N passed, M failed"; exits with M.
import os
import queue
import re
import subprocess
import sys
import threading
import time

from results import check, failures, meta, summary


# ---- MI output syntax (gdb manual, "GDB/MI Output Syntax") -------------

def parse_cstring(s, i):
    assert s[i] == '"'
    i += 1
    out = []
    while s[i] != '"':
        if s[i] == "\\":
            i += 1
            c = s[i]
            if c in "01234567":
                j = i
                while j < i + 3 and s[j] in "01234567":
                    j += 1
                out.append(chr(int(s[i:j], 8)))
                i = j
                continue
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(c, c))
        else:
            out.append(s[i])
        i += 1
    return "".join(out), i + 1


def parse_value(s, i):
    if s[i] == '"':
        return parse_cstring(s, i)
    close = "}" if s[i] == "{" else "]"
    i += 1
    items = []
    named = close == "}"
    while s[i] != close:
        if s[i] not in '"{[':
            eq = s.index("=", i)
            name = s[i:eq]
            val, i = parse_value(s, eq + 1)
            items.append((name, val))
            named = named or True
        else:
            val, i = parse_value(s, i)
            items.append((None, val))
        if s[i] == ",":
            i += 1
    if close == "}":
        return dict(items), i + 1
    # A list of values, or of results (frame=...,frame=...).
    return [v for _, v in items], i + 1


def parse_results(s):
    """'a="1",b={c="2"}' -> dict (repeated names keep the last)."""
    d = {}
    i = 0
    while i < len(s):
        eq = s.index("=", i)
        name = s[i:eq]
        d[name], i = parse_value(s, eq + 1)
        if i < len(s) and s[i] == ",":
            i += 1
    return d


class Record:
    def __init__(self, line):
        self.line = line
        m = re.match(r'^(\d*)([\^*+=~@&])(.*)$', line)
        self.token, self.kind, rest = m.group(1), m.group(2), m.group(3)
        if self.kind in "~@&":
            self.text, _ = parse_cstring(rest, 0)
            self.cls, self.results = None, {}
        else:
            self.cls, _, res = rest.partition(",")
            self.results = parse_results(res)
            self.text = None

    def __repr__(self):
        return self.line


class MI:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.lines = queue.Queue()
        self.log = []
        self.token = 0
        threading.Thread(target=self._reader, daemon=True).start()
        self.pending = []

    def _reader(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _next(self, deadline):
        line = self.lines.get(timeout=max(0.1, deadline - time.time()))
        if line is not None:
            self.log.append(line)
        return line

    def records_until(self, pred, timeout=120):
        """Read records until pred(record) holds; returns all of them."""
        got = []
        deadline = time.time() + timeout
        while True:
            line = self._next(deadline)
            if line is None:
                raise EOFError("gdb exited")
            if line.startswith("(gdb)") or not line:
                continue
            try:
                r = Record(line)
            except Exception:
                got.append(line)	# not MI: reported by the caller
                continue
            got.append(r)
            if pred(r):
                return got

    def cmd(self, text, timeout=120):
        """Send TOKEN+TEXT; return (result record, every record read)."""
        self.token += 1
        tok = str(self.token)
        self.p.stdin.write(tok + text + "\n")
        self.p.stdin.flush()
        recs = self.records_until(
            lambda r: r.kind == "^" and r.token == tok, timeout)
        return recs[-1], recs

    def wait_stopped(self, timeout=60):
        return self.records_until(
            lambda r: r.kind == "*" and r.cls == "stopped", timeout)


def non_mi(recs):
    return [r for r in recs if not isinstance(r, Record)]


def streams(recs, kind):
    return "".join(r.text for r in recs
                   if isinstance(r, Record) and r.kind == kind)


def main():
    try:
        return session()
    except Exception as e:
        check("session ran to its end", False, repr(e))
        return summary()


def check_module(m, done, recs, path):
    """With the server given the vmlinux and a --search-dir holding
    virtio_blk's debug file (run.sh): the module's symbols with no
    command, as gdb announces a shared library to MI front ends."""
    loaded = [r.results for r in recs if r.kind == "=" and
              r.cls == "library-loaded"]
    check("connect: =library-loaded for virtio_blk's file, from its base",
          any(lib.get("target-name") == path and
              lib.get("host-name") == "target:" + path and
              lib.get("ranges", [{}])[0].get("from") ==
              m["VIRTIO_BLK_MODULE_ADDR"] for lib in loaded), loaded)
    res, _ = done("evaluate &__this_module",
                  '-data-evaluate-expression "(unsigned long)&__this_module"')
    check("virtio_blk's __this_module is where the guest had it",
          res.results.get("value") ==
          str(int(m["VIRTIO_BLK_THIS_MODULE"], 16)), res)
    _, crecs = done("info symbol", '-interpreter-exec console "info symbol '
                    '%s"' % m["VIRTIO_BLK_MODULE_ADDR"])
    check("info symbol: the module's base is virtio_blk text",
          " in section .text of target:%s" % path in streams(crecs, "~"),
          streams(crecs, "~"))


def session():
    m = meta(sys.argv[1])
    target = sys.argv[2]
    gdb = os.environ.get("GDB", "gdb")
    panic_tid = str(int(m["CRASHER_CPU"]) + 1)
    ncpus = int(m["NR_CPUS_ONLINE"])
    mi = MI([gdb, "-nx", "-q", "--interpreter=mi3"])
    mi.records_until(lambda r: True, 30)	# =thread-group-added

    def done(name, text, cls="done", timeout=120):
        res, recs = mi.cmd(text, timeout)
        check(name, res.cls == cls and not non_mi(recs),
              "want ^%s, got:\n%s" % (cls, "\n".join(map(str, recs))))
        return res, recs

    # What cpptools sends at launch (setupCommands, then its own).
    done("mi-async", "-gdb-set mi-async on")
    done("pretty-printing", "-enable-pretty-printing")
    done("pagination", '-interpreter-exec console "set pagination off"')
    done("auto-solib-add", "-gdb-set auto-solib-add on")
    done("file-exec-and-symbols",
         '-file-exec-and-symbols "%s"' % m["VMLINUX"], timeout=300)
    res, recs = done("target-select", "-target-select remote " + target,
                     cls="connected", timeout=300)
    stops = [r for r in recs if r.kind == "*"]
    check("connect: one *stopped, never *running",
          [r.cls for r in stops] == ["stopped"], stops)
    if stops:
        st = stops[0].results
        check("connect: *stopped in the panic thread " + panic_tid,
              st.get("thread-id") == panic_tid, st)
        check("connect: *stopped has a kernel frame",
              bool(st.get("frame", {}).get("func")), st)
    created = [r for r in recs if r.kind == "=" and r.cls == "thread-created"]
    check("connect: =thread-created per CPU", len(created) == ncpus, created)
    check("connect: no protocol errors",
          not re.search(r"(?i)protocol error|remote failure|"
                        r"connection closed", streams(recs, "&")),
          streams(recs, "&"))
    done("sizeof(void*)", '-data-evaluate-expression "sizeof (void*)"')
    if os.environ.get("MI_MODULE_FILE"):
        check_module(m, done, recs, os.environ["MI_MODULE_FILE"])

    # The views: threads, call stack, locals, registers, watch, memory.
    res, _ = done("thread-info", "-thread-info")
    threads = res.results.get("threads", [])
    check("thread-info: %d threads, all stopped" % ncpus,
          len(threads) == ncpus and
          all(t.get("state") == "stopped" for t in threads), threads)
    check("thread-info: current is the panic thread",
          res.results.get("current-thread-id") == panic_tid, res)
    pt = [t for t in threads if t.get("id") == panic_tid]
    check("thread-info: panic thread names %s" % m["CRASHER_COMM"],
          pt and m["CRASHER_COMM"] in pt[0].get("details", "") and
          "panic" in pt[0].get("details", ""), pt)

    sel = "--thread %s --frame 0" % panic_tid
    res, _ = done("stack-info-depth",
                  "-stack-info-depth --thread %s 1000" % panic_tid)
    depth = int(res.results.get("depth", "0"))
    check("stack-info-depth > 5", depth > 5, res)
    res, _ = done("stack-list-frames",
                  "-stack-list-frames --thread %s 0 1000" % panic_tid)
    frames = res.results.get("stack", [])
    funcs = [f.get("func") for f in frames]
    for fn in ("panic", "sysrq_handle_crash", "write_sysrq_trigger"):
        check("stack-list-frames has %s" % fn, fn in funcs, funcs)
    sysrq = [f for f in frames if f.get("func") == "sysrq_handle_crash"]
    check("sysrq_handle_crash frame near its symbol",
          sysrq and 0 < int(sysrq[0]["addr"], 16) -
          int(m["KSYM_sysrq_handle_crash"], 16) < 0x1000, sysrq)
    check("frames as deep as stack-info-depth", len(frames) == depth,
          (len(frames), depth))
    done("stack-list-arguments",
         "-stack-list-arguments --thread %s 1 0 %d" % (panic_tid, depth - 1))
    res, _ = done("stack-list-variables",
                  "-stack-list-variables %s --simple-values" % sel)
    names = [v.get("name") for v in res.results.get("variables", [])]
    check("stack-list-variables: frame 0 has variables", names, res)

    res, _ = done("register-names", "-data-list-register-names")
    regnames = res.results.get("register-names", [])
    check("register-names has rip and rsp",
          "rip" in regnames and "rsp" in regnames, regnames[:24])
    rip = str(regnames.index("rip")) if "rip" in regnames else "16"
    res, _ = done("register-values",
                  "-data-list-register-values %s x" % sel)
    vals = {v["number"]: v["value"]
            for v in res.results.get("register-values", [])}
    check("register-values: rip is frame 0's pc",
          frames and vals.get(rip) and
          int(vals[rip], 16) == int(frames[0]["addr"], 16),
          (vals.get(rip), frames[:1]))

    res, _ = done("evaluate release",
                  '-data-evaluate-expression %s "init_uts_ns.name.release"'
                  % sel)
    check("evaluate: release is %s" % m["UNAME_R"],
          m["UNAME_R"] in res.results.get("value", ""), res)
    res, _ = done("evaluate current_task->comm",
                  '-data-evaluate-expression %s "current_task->comm"' % sel)
    check("evaluate: current task is %s" % m["CRASHER_COMM"],
          m["CRASHER_COMM"] in res.results.get("value", ""), res)
    res, _ = done("evaluate current_task->pid",
                  '-data-evaluate-expression %s "current_task->pid"' % sel)
    check("evaluate: current pid is %s" % m["CRASHER_PID"],
          res.results.get("value") == m["CRASHER_PID"], res)
    res, _ = done("var-create", '-var-create - * "init_task.pid"')
    check("var-create: init_task.pid is 0",
          res.results.get("value") == "0", res)
    done("var-delete", "-var-delete %s" % res.results.get("name", "var1"))

    banner = m["PROC_VERSION"].encode()[:64]
    res, _ = done("read-memory-bytes",
                  "-data-read-memory-bytes %s %d"
                  % (m["KSYM_linux_banner"], len(banner)))
    mem = res.results.get("memory", [{}])
    got = bytes.fromhex(mem[0].get("contents", "")) if mem else b""
    check("read-memory-bytes: linux_banner is /proc/version", got == banner,
          (got, banner))
    res, _ = mi.cmd("-data-read-memory-bytes 0 8")
    check("read-memory-bytes at 0: ^error, not a protocol error",
          res.cls == "error" and re.search(
              r"Unable to read memory|Cannot access memory",
              res.results.get("msg", "")), res)

    # Run control: each request stops again at once, with our message.
    for what in ("-exec-continue", "-exec-next --thread %s" % panic_tid,
                 "-exec-step --thread %s" % panic_tid,
                 "-exec-finish --thread %s --frame 0" % panic_tid):
        name = what.split()[0]
        res, recs = mi.cmd(what)
        if res.cls != "running":
            check("%s: ^running" % name, False, recs)
            continue
        recs += mi.wait_stopped()
        check("%s: ^running then *stopped" % name,
              [r.cls for r in recs if r.kind == "*"] ==
              ["running", "stopped"], recs)
        stop = [r for r in recs if r.kind == "*"][-1].results
        check("%s: stopped in the panic thread, same pc" % name,
              stop.get("thread-id") == panic_tid and frames and
              stop.get("frame", {}).get("addr") == frames[0]["addr"], stop)
        # SIGINT: what front ends take for a pause (MIEngine reports any
        # other signal as an exception).
        check("%s: the stop reads as an interrupt (SIGINT)" % name,
              stop.get("reason") == "signal-received" and
              stop.get("signal-name") == "SIGINT", stop)
        check("%s: says a dump cannot run" % name,
              "crash dump" in streams(recs, "@"), recs)
    res, recs = mi.cmd("-exec-interrupt")
    check("exec-interrupt: ^done, no *running",
          res.cls == "done" and
          not [r for r in recs if r.kind == "*"], recs)
    res, _ = done("thread-info after run control", "-thread-info")
    check("still all stopped, still the panic thread",
          all(t.get("state") == "stopped"
              for t in res.results.get("threads", [])) and
          res.results.get("current-thread-id") == panic_tid, res)
    res, _ = done("stack-list-frames again",
                  "-stack-list-frames --thread %s 0 1000" % panic_tid)
    check("backtrace unchanged",
          [f.get("func") for f in res.results.get("stack", [])] == funcs,
          res)

    # The user's breakpoints are inserted at every resume: accepted,
    # never hit, and continue behaves as without them.
    res, _ = done("break-insert", "-break-insert -f panic")
    res, recs = mi.cmd("-exec-continue")
    if res.cls == "running":
        recs += mi.wait_stopped()
    check("continue with a breakpoint: *running, *stopped, our message",
          res.cls == "running" and
          [r.cls for r in recs if r.kind == "*"] == ["running", "stopped"]
          and "crash dump" in streams(recs, "@") and
          "Cannot insert" not in streams(recs, "&"), recs)
    done("break-delete", "-break-delete")

    done("monitor info",
         '-interpreter-exec console "monitor info"')
    done("target-detach", "-target-detach")
    res, recs = mi.cmd("-gdb-exit")
    check("gdb-exit", res.cls == "exit", recs)
    try:
        rc = mi.p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        mi.p.kill()
        rc = "timeout"
    check("gdb exits 0", rc == 0, rc)
    check("no protocol errors in the whole session",
          not [l for l in mi.log if re.search(
              r"(?i)protocol error|remote failure reply|"
              r"remote connection closed|bogus", l)], "")
    n = summary()
    if failures and os.environ.get("VMC_MI_LOG"):
        with open(os.environ["VMC_MI_LOG"], "w") as f:
            f.write("\n".join(mi.log) + "\n")
    return n


if __name__ == "__main__":
    sys.exit(main())
