# A gdb backtrace's function list against independent unwinders' lists of
# the same dump (tests/gdb/real-irq.py, real-oops.py).  Each reference is
# a file with one function name a line, innermost first, written by the
# runner in the same run; VMC_REFS names them as NAME:KIND:FILE;...
import os
import re

import gdb
import gdb.frames
from gdb.FrameDecorator import FrameDecorator

from checks import check


def frame_functions():
    """gdb's frames of the selected thread as "bt" names them (through
    the frame filters: vmcore-orc.py's hides the pc-0 frame after the end
    of a stack and names interrupted frames by their pc), innermost
    first, without the tail-call frames gdb makes up from DWARF call-site
    information (no unwinder sees them on the stack)."""
    out = []
    frames = gdb.frames.execute_frame_filters(gdb.newest_frame(), 0, -1)
    if frames is None:          # no frame filter enabled
        frames = []
        f = gdb.newest_frame()
        while f is not None:
            frames.append(FrameDecorator(f))
            f = f.older()
    for d in frames:
        f = d.inferior_frame()
        if f.type() == gdb.TAILCALL_FRAME or (
                f.pc() == 0 and f.older() is None):
            continue
        name = d.function()
        out.append(name if isinstance(name, str) and name else
                   (f.name() or "??"))
    return out


# Names differ in ways that are not unwinding: compiler clones (.cold,
# .isra.0, ...), and asm labels at one address (gdb and drgn name a pc
# after the symbol they pick: entry_SYSCALL_64 or its _after_hwframe
# label, secondary_startup_64 or its _no_verify label).
ALIASES = {"entry_SYSCALL_64_after_hwframe": "entry_SYSCALL_64",
           "secondary_startup_64_no_verify": "secondary_startup_64"}


def norm(names):
    out = []
    for n in names:
        n = re.sub(r"\.(cold|isra|constprop|part)(\.\d+)*$", "", n)
        n = ALIASES.get(n, n)
        if n.startswith("0x") or n == "??":
            continue            # the user-mode frame, if any: checked apart
        out.append(n)
    return out


def from_first_common(got, ref):
    for j, name in enumerate(ref):
        if name in got:
            return got[got.index(name):], ref[j:]
    return [], ref


def subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def compare_refs(ours, must_have, refs=None, orc_end=None):
    """Check OURS (norm()ed frame_functions()) against each reference of
    REFS (default: $VMC_REFS).  KIND "same": the reference shows inline
    frames as gdb does (drgn 0.0.31), the lists must be equal from the
    first function both have.  "prefix": the same, but the reference is
    known to stop early and must agree as far as it goes.  "calls": the
    reference shows only real calls, no inline frames (crash 8.0.6, the
    kernel's own trace), its list must be a subsequence of gdb's ending
    at the same function.  Every reference must have MUST_HAVE (the
    function that crashed).  ORC_END: a function, not the end of its
    stack, where ORC says the stack ends and the kernel's own unwinder
    stopped (an interrupt at a retpoline thunk's first instruction);
    vmcore-orc.py goes on there, as crash does, so a reference that ends
    at ORC_END is compared with gdb's list up to it."""
    if refs is None:
        refs = os.environ.get("VMC_REFS", "")
    for spec in filter(None, refs.split(";")):
        name, kind, path = spec.split(":", 2)
        with open(path) as f:
            ref = norm([ln.strip() for ln in f if ln.strip()])
        got, want = from_first_common(ours, ref)
        if must_have in ours and must_have in ref and must_have not in got:
            # The reference's first common function is one of the deeper
            # frames (crash lists the oops path above the exception
            # frame, gdb starts at the registers the kernel saved, and a
            # second page fault deeper down has the same functions):
            # both from the function that crashed.
            got = ours[ours.index(must_have):]
            want = ref[ref.index(must_have):]
        upto = ""
        if orc_end and want[-1:] == [orc_end] and orc_end in got[:-1]:
            got = got[:got.index(orc_end) + 1]
            upto = " up to %s, where ORC ends the stack" % orc_end
        detail = "gdb: %s\n%s: %s" % (" ".join(got), name, " ".join(want))
        check("%s: its list has %s" % (name, must_have), must_have in want,
              detail)
        if kind == "same":
            check("bt names the same functions as %s%s" % (name, upto),
                  got == want and len(got) > 5, detail)
        elif kind == "prefix":
            check("bt names the same functions as %s as far as it goes"
                  % name, len(want) > 5 and got[:len(want)] == want, detail)
        else:
            check("bt has every call %s shows, in order, to the same end%s"
                  % (name, upto), len(want) > 5 and subsequence(want, got)
                  and got[-1:] == want[-1:], detail)
