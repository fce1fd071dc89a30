# Check helpers for test scripts run inside gdb (gdb -batch -x SCRIPT).
# Each check prints "PASS name" or "FAIL name: detail"; finish() makes gdb
# exit with the number of failures, so the shell runner sees it.
import os
import re
import sys

import gdb

_failures = []
_passes = 0


def run(cmd):
    """Run a gdb command and return its output (errors become text)."""
    try:
        return gdb.execute(cmd, to_string=True)
    except gdb.error as e:
        return "error: %s" % e


def check(name, ok, detail=""):
    global _passes
    if ok:
        _passes += 1
        print("PASS %s" % name)
    else:
        _failures.append(name)
        print("FAIL %s: %s" % (name, detail))
    sys.stdout.flush()
    return ok


def check_eq(name, got, want):
    return check(name, got == want, "got %r, want %r" % (got, want))


def check_in(name, needle, haystack):
    return check(name, needle in haystack,
                 "%r not in output:\n%s" % (needle, haystack))


def check_match(name, pattern, text):
    return check(name, re.search(pattern, text, re.M) is not None,
                 "no match for /%s/ in:\n%s" % (pattern, text))


def value(expr):
    try:
        return gdb.parse_and_eval(expr)
    except gdb.error as e:
        return e


def c_string(expr):
    v = value(expr)
    if isinstance(v, gdb.error):
        return "error: %s" % v
    # An array of unknown bound (`extern const char linux_banner[]`, the
    # declaration gdb finds first unless the defining unit is expanded:
    # gdb 16 on the i386 vmlinux) holds no bytes: read from its start.
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_ARRAY and t.sizeof == 0:
        v = v[0].address
    return v.string()


def meta(path=None):
    """KEY=VALUE file written by the dump fixture or the generator."""
    path = path or os.environ["VMC_META"]
    d = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                d[k] = v
    return d


def other_cpu_pid(m, panic_thread):
    """(gdb thread, pid) of the first CPU that did not panic, from the
    CPU notes' pids the fixture recorded (PRSTATUS_PIDS).  It is usually
    idle (pid 0), but a dump can catch it running a task."""
    pids = [int(p) for p in m["PRSTATUS_PIDS"].split(",")]
    thread = [t for t in range(1, len(pids) + 1) if t != panic_thread][0]
    return thread, pids[thread - 1]


def check_busy_cpu(thread, pid, bt, min_frames=3):
    """A CPU that was running task PID when the panic stopped it."""
    check_in("CPU thread %d names the pid it ran" % thread,
             "pid %d" % pid, run("info threads %d" % thread))
    frames = re.findall(r"^#\d+ +(?:0x[0-9a-f]+ in )?[A-Za-z_]\w* \(", bt,
                        re.M)
    check("CPU thread %d (pid %d) has a symbolic backtrace of %d frames or "
          "more" % (thread, pid, min_frames), len(frames) >= min_frames, bt)


# A frame line of gdb's backtrace and the function it names.
BT_FRAME = re.compile(r"^#(\d+) +(?:0x[0-9a-f]+ in )?([A-Za-z_][\w.]*) \(", re.M)


def bt_functions(bt):
    return [f for _, f in BT_FRAME.findall(bt)]


def bt_frame_numbers(bt):
    """The frame numbers of bt_functions(bt)'s frames, for `frame N`.  Not
    their indexes: the numbering has gaps where vmcore-orc.py's frame
    filter hides an inline frame that gdb made at an interrupted pc - 1."""
    return [int(n) for n, _ in BT_FRAME.findall(bt)]


def check_idle_bt(bt, what="idle thread bt", outermost="secondary_startup_64"):
    """An x86 idle task's backtrace (with gdbserver-vmcore's unwinder
    loaded): through any interrupt that caught it, into the idle loop, down
    to its stack's outermost frame (x86_64: secondary_startup_64, where ORC
    says the stack ends; i386: startup_32_smp), with no stop and no unnamed
    frame."""
    funcs = bt_functions(bt)
    check("%s shows the idle loop" % what, "do_idle" in funcs, bt)
    check("%s ends at the stack's outermost frame" % what,
          bool(funcs) and re.match(outermost, funcs[-1]), bt)
    check("%s has no stop and no unnamed frame" % what,
          "Backtrace stopped" not in bt and "Cannot access memory" not in bt
          and "?? (" not in bt and "in  (" not in bt, bt)


def interrupted_on_irq_stack(trace_file, entry):
    """From the kernel's own report of the crash (its call trace as the
    fixture saved it, one entry or stack marker per line): whether the
    context the interrupt entry code ENTRY (asm_common_interrupt, ...)
    interrupted was already on the IRQ stack (a softirq run at the end of
    an earlier interrupt), i.e. no </IRQ> before ENTRY's frame.  None if
    the report has no ENTRY frame.  Where a guest CPU was when the
    interrupt came is chance: the tests take it from this reference."""
    with open(trace_file) as f:
        report = [ln.strip() for ln in f]
    at = [i for i, ln in enumerate(report) if ln.startswith(entry + "+")]
    if not at:
        return None
    return "</IRQ>" not in report[:at[0]]


def finish():
    print("%d passed, %d failed%s" % (
        _passes, len(_failures),
        (": " + ", ".join(_failures)) if _failures else ""))
    sys.stdout.flush()
    try:
        gdb.execute("detach", to_string=True)
    except gdb.error:
        pass
    gdb.execute("quit %d" % min(len(_failures), 100))
