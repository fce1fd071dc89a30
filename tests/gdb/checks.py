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
