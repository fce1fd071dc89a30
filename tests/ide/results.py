# Shared by the IDE test drivers that run as plain Python (mi.py, lldb.py;
# tests/gdb/checks.py is the in-gdb equivalent): PASS/FAIL lines, the
# summary line the runner greps, and meta.txt.
import sys

passes = 0
failures = []


def check(name, ok, detail=""):
    global passes
    if ok:
        passes += 1
        print("PASS %s" % name)
    else:
        failures.append(name)
        print("FAIL %s: %s" % (name, detail))
    sys.stdout.flush()
    return ok


def summary():
    """Print "N passed, M failed[: names]"; return the failure count."""
    print("%d passed, %d failed%s" % (
        passes, len(failures),
        (": " + ", ".join(failures)) if failures else ""))
    return len(failures)


def meta(path):
    d = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                d[k] = v
    return d
